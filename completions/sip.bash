# bash completion for sip(1).
#
# It names no command or option itself: it asks the binary,
#   sip __complete commands       the subcommands
#   sip __complete options [CMD]  "--long" and "-s" lines, and "--long=V1 V2"
#                                 lines for the options that take a value
#   sip __complete files CMD      the options whose value is a file name
#   sip __complete args CMD       what the operands are: file, command
# so it offers exactly what the binary accepts.

_sip_ask()
{
	"$_sip_bin" __complete "$@" 2>/dev/null
}

_sip()
{
	local cur prev cmd word i line opt values kind pre=
	local _sip_bin=${COMP_WORDS[0]}
	local -a lines files
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

	# "--opt=val": bash may split the word at '=' (COMP_WORDBREAKS).
	if [[ $cur == = ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $cur == --*=* ]]; then
		# '=' is not a word break here: the reply replaces the whole word
		prev=${cur%%=*}
		pre=$prev=
		cur=${cur#*=}
	fi

	# The subcommand: the first word after sip that is not an option.
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		case $word in
		-* | =) ;;
		*)
			cmd=$word
			break
			;;
		esac
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			mapfile -t lines < <(_sip_ask options)
			mapfile -t COMPREPLY < <(compgen -W "${lines[*]}" -- "$cur")
		else
			mapfile -t lines < <(_sip_ask commands)
			mapfile -t COMPREPLY < <(compgen -W "${lines[*]}" -- "$cur")
		fi
		return 0
	fi

	mapfile -t lines < <(_sip_ask options "$cmd")

	# The value of an option: "-x <TAB>", "--opt <TAB>", "--opt=<TAB>".
	if [[ $prev == -* ]]; then
		mapfile -t files < <(_sip_ask files "$cmd")
		for opt in "${files[@]}"; do
			if [[ $opt == "$prev" ]]; then
				compopt -o filenames 2>/dev/null
				mapfile -t COMPREPLY < <(compgen -P "$pre" -f -- "$cur")
				return 0
			fi
		done
		for line in "${lines[@]}"; do
			[[ $line == *=* ]] || continue
			opt=${line%%=*}
			values=${line#*=}
			if [[ $opt == "$prev" ]]; then
				mapfile -t COMPREPLY < <(compgen -P "$pre" -W "$values" -- "$cur")
				return 0
			fi
		done
	fi

	if [[ $cur == -* ]]; then
		local -a names=()
		for line in "${lines[@]}"; do
			[[ $line == *=* ]] || names+=("$line")
		done
		mapfile -t COMPREPLY < <(compgen -W "${names[*]}" -- "$cur")
		return 0
	fi

	kind=$(_sip_ask args "$cmd")
	case $kind in
	file)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		;;
	command)
		mapfile -t lines < <(_sip_ask commands)
		mapfile -t COMPREPLY < <(compgen -W "${lines[*]}" -- "$cur")
		;;
	esac
	return 0
}

complete -F _sip sip
