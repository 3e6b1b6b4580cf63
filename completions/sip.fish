# fish completion for sip(1).
#
# It names no command or option itself: it asks the binary,
#   sip __complete commands       the subcommands
#   sip __complete options [CMD]  "--long" and "-s" lines, and "--long=V1 V2"
#                                 lines for the options that take a value
#   sip __complete files CMD      the options whose value is a file name
#   sip __complete args CMD       what the operands are: file, command
# so it offers exactly what the binary accepts.

function __sip_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l sip $tokens[1]

    # The subcommand: the first word after sip that is not an option.
    set -l cmd
    for t in $tokens[2..-1]
        if not string match -q -- '-*' $t
            set cmd $t
            break
        end
    end

    if test -z "$cmd"
        if string match -q -- '-*' $cur
            $sip __complete options 2>/dev/null
        else
            $sip __complete commands 2>/dev/null
        end
        return 0
    end

    set -l lines ($sip __complete options $cmd 2>/dev/null)
    set -l files ($sip __complete files $cmd 2>/dev/null)

    # "--opt=<TAB>"
    if string match -q -- '--*=*' $cur
        set -l kv (string split -m 1 -- = $cur)
        set -l opt $kv[1]
        if contains -- $opt $files
            for p in (__fish_complete_path $kv[2])
                echo "$opt=$p"
            end
            return 0
        end
        for line in $lines
            set -l kv (string split -m 1 -- = $line)
            if test (count $kv) -eq 2; and test "$kv[1]" = "$opt"
                for v in (string split -n -- ' ' $kv[2])
                    echo "$opt=$v"
                end
            end
        end
        return 0
    end

    # "-x <TAB>", "--opt <TAB>"
    set -l prev
    if test (count $tokens) -gt 1
        set prev $tokens[-1]
    end
    if string match -q -- '-*' $prev
        if contains -- $prev $files
            __fish_complete_path $cur
            return 0
        end
        for line in $lines
            set -l kv (string split -m 1 -- = $line)
            if test (count $kv) -eq 2; and test "$kv[1]" = "$prev"
                string split -n -- ' ' $kv[2]
                return 0
            end
        end
    end

    if string match -q -- '-*' $cur
        string match -v -- '*=*' $lines
        return 0
    end

    switch ($sip __complete args $cmd 2>/dev/null)
        case file
            __fish_complete_path $cur
        case command
            $sip __complete commands 2>/dev/null
    end
end

complete -c sip -f -a '(__sip_complete)'
