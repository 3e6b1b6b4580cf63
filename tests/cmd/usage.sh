#!/bin/sh
# usage.sh - `sip` itself: help, version, unknown commands and options,
# bad option values, and the exit code 2 for every usage error.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

t_run "sip help" 0 "$SIP" help
t_out_has "decode"
t_out_has "decode and validate SIP messages"
t_err_empty

t_run "sip --help" 0 "$SIP" --help
t_out_has "decode"

t_run "sip -h" 0 "$SIP" -h
t_out_has "usage: sip"

t_run "sip with no arguments" 2 "$SIP"
t_err_has "decode"
t_out_empty

t_run "sip --version" 0 "$SIP" --version
t_out_has "sip 0.1.0"
t_out_lines 1

t_run "unknown command" 2 "$SIP" foo
t_err_has "sip: 'foo' is not a sip command. See 'sip help'."
t_err_lines 1
t_out_empty

t_run "unknown top-level option" 2 "$SIP" --frobnicate
t_err_has "unknown option '--frobnicate'"

t_run "sip help decode" 0 "$SIP" help decode
t_out_has "usage: sip decode [options] [FILE...]"
t_out_has "--output FORMAT"
t_out_has "--stream"
t_out_has "--strict"
cp "$T_OUT" "$T_TMP/help1"

t_run "sip decode --help" 0 "$SIP" decode --help
t_check "same text as sip help decode" cmp -s "$T_OUT" "$T_TMP/help1"

t_run "sip decode -h" 0 "$SIP" decode -h
t_check "same text as sip help decode" cmp -s "$T_OUT" "$T_TMP/help1"

t_run "sip help of an unknown command" 2 "$SIP" help nosuch
t_err_has "'nosuch' is not a sip command"

# Every option the command accepts is in its --help.
for opt in $("$SIP" __complete options decode | grep -v -e =); do
	t_eq "--help names $opt" yes "$(grep -qe "$opt\\b" "$T_TMP/help1" && echo yes)"
done

# A command that gives a shared option another default says so in its --help,
# once: register's From and To are the address of record (RFC 3261 §10.2).
t_run "sip register --help" 0 "$SIP" register --help
t_out_has "--from URI                From address (default: the address of record)"
t_out_has "--to URI                  To address (default: the address of record)"
t_out_lacks "LOCAL-ADDRESS"
t_check "--from once" test "$(grep -c -e '--from' "$T_OUT")" -eq 1
t_run "sip options --help" 0 "$SIP" options --help
t_out_has "--from URI                From address (default: sip:sip@LOCAL-ADDRESS)"

t_run "unknown long option" 2 "$SIP" decode --foo
t_err_has "sip: decode: unknown option '--foo'"
t_err_has "See 'sip decode --help'."
t_err_lines 2
t_out_empty

t_run "unknown long option with a value" 2 "$SIP" decode --foo=bar
t_err_has "unknown option '--foo'"
t_err_lacks "bar"

t_run "unknown short option" 2 "$SIP" decode -Z
t_err_has "sip: decode: unknown option '-Z'"
t_err_lines 2

t_run "bad -o value" 2 "$SIP" decode -o xml
t_err_has "sip: decode: bad value 'xml' for -o: expected raw, pretty or json"
t_err_lines 2

t_run "bad --output= value" 2 "$SIP" decode --output=xml
t_err_has "bad value 'xml' for --output: expected raw, pretty or json"

t_run "bad --color value" 2 "$SIP" decode --color=sometimes
t_err_has "bad value 'sometimes' for --color: expected auto, always or never"

t_run "missing value" 2 "$SIP" decode --output
t_err_has "sip: decode: option '--output' needs a value"
t_err_lines 2

t_run "missing short value" 2 "$SIP" decode -o
t_err_has "option '-o' needs a value"

t_run "value given to a flag" 2 "$SIP" decode --quiet=yes
t_err_has "option '--quiet' takes no value"

# ---- the shared output options, seen through decode.
msg=$T_TMP/options.sip
printf 'OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bKx\r\nMax-Forwards: 70\r\nTo: <sip:a@example.com>\r\nFrom: <sip:b@example.com>;tag=1\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' >"$msg"
esc=$(printf '\033')

t_run "not a terminal: raw by default" 0 "$SIP" decode "$msg"
t_check "output is the message, byte for byte" cmp -s "$T_OUT" "$msg"

t_run "--output=raw after the operand" 0 "$SIP" decode "$msg" --output=raw
t_check "output is the message" cmp -s "$T_OUT" "$msg"

t_run "-o pretty, not a terminal: no colour" 0 "$SIP" decode -o pretty "$msg"
t_out_lacks "${esc}["

t_run "--color=always" 0 "$SIP" decode -o pretty --color=always "$msg"
t_out_has "${esc}["

t_run "NO_COLOR does not beat --color=always" 0 env NO_COLOR=1 "$SIP" decode -o pretty --color always "$msg"
t_out_has "${esc}["

t_run "abbreviated long options" 0 "$SIP" decode --out pretty --col never "$msg"
t_out_lacks "${esc}["

if t_need "terminal output" script=bsdutils; then
	if script -qec true /dev/null >/dev/null 2>&1; then
		# script(1) gives sip a terminal for standard output.
		t_run "terminal: pretty and colour by default" 0 script -qec "'$SIP' decode '$msg'" /dev/null
		t_out_has "${esc}["
		t_run "terminal, NO_COLOR=1: no colour" 0 env NO_COLOR=1 script -qec "'$SIP' decode '$msg'" /dev/null
		t_out_lacks "${esc}["
		t_out_has "OPTIONS sip:a@example.com"
		t_run "terminal, NO_COLOR empty: colour" 0 env NO_COLOR= script -qec "'$SIP' decode '$msg'" /dev/null
		t_out_has "${esc}["
		t_run "terminal, --color=never" 0 script -qec "'$SIP' decode --color=never '$msg'" /dev/null
		t_out_lacks "${esc}["
	else
		t_skip "terminal output" "script(1) cannot open a terminal here"
	fi
fi

# --pcap FILE that cannot be created: a usage error, before anything is sent.
for c in "options 127.0.0.1:9" "register sip:alice@127.0.0.1:9" "listen 127.0.0.1:0"; do
	# shellcheck disable=SC2086 # the command and its operand
	t_run "${c%% *} --pcap in a missing directory" 2 \
		timeout 10 "$SIP" $c --pcap "$T_TMP/missing/x.pcap"
	t_err_has "sip: ${c%% *}: cannot write '$T_TMP/missing/x.pcap': No such file or directory"
	t_err_lines 1
	t_out_empty
done
t_run "options --pcap naming a directory" 2 timeout 10 "$SIP" options --pcap "$T_TMP" 127.0.0.1:9
t_err_has "sip: options: cannot write '$T_TMP': Is a directory"
t_err_lines 1

t_run "__complete commands" 0 "$SIP" __complete commands
t_out_has "decode"

t_run "__complete args" 0 "$SIP" __complete args decode
t_out_has "file"

if [ -w /dev/full ]; then
	# shellcheck disable=SC2016 # expanded by the inner sh
	t_run "stdout write error" 8 sh -c '"$SIP" --version >/dev/full'
	t_err_has "cannot write to standard output"
else
	t_skip "stdout write error" "no /dev/full"
fi

t_done
