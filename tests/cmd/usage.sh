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

t_run "a mistyped command: the nearest is suggested" 2 "$SIP" opitons 127.0.0.1
t_err_has "sip: 'opitons' is not a sip command. Did you mean 'options'?"
t_err_lines 1
t_out_empty

t_run "sip help of a mistyped command" 2 "$SIP" help regster
t_err_has "sip: 'regster' is not a sip command. Did you mean 'register'?"

t_run "sip help help: the general usage" 0 "$SIP" help help
t_out_has "usage: sip COMMAND"
t_err_empty

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
t_out_has "--from URI                From address (default: sip:USER@TARGET-DOMAIN with -u, else sip:sip@LOCAL-ADDRESS)"

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

t_run "values in any case: -o JSON --color=Never" 0 "$SIP" decode -o JSON --color=Never "$msg"
t_out_has '"method":"OPTIONS"'

t_run "-t in any case, as every output prints it: -t Tcp" 0 \
	timeout 10 "$SIP" options --dry-run -o raw -t Tcp 127.0.0.1:9
t_out_has "Via: SIP/2.0/TCP"
t_run "-t UDP" 0 timeout 10 "$SIP" options --dry-run -o raw -t UDP 127.0.0.1:9
t_out_has "Via: SIP/2.0/UDP"

t_run "listen --cert and --key without --tls" 2 timeout 10 "$SIP" listen --cert c.pem --key k.pem 127.0.0.1:0
t_err_has "sip: listen: --cert goes with --tls"
t_err_has "See 'sip listen --help'."
t_err_lines 2
t_out_empty
t_run "listen --key without --tls" 2 timeout 10 "$SIP" listen --key k.pem 127.0.0.1:0
t_err_has "sip: listen: --key goes with --tls"
t_run "listen --answer 302: a redirect needs a Contact" 2 timeout 10 "$SIP" listen --answer 302 127.0.0.1:0
t_err_has "sip: listen: --answer 302: a redirect needs a Contact; use 200 or 400 to 699"
t_run "listen --answer 183: not an answer" 2 timeout 10 "$SIP" listen --answer 183 127.0.0.1:0
t_err_has "sip: listen: bad value '183' for --answer"
t_run "listen --auth with a space" 2 timeout 10 "$SIP" listen --auth 'a b' 127.0.0.1:0
t_err_has "sip: listen: --auth 'a b': not a user name"
t_run "listen -l: the operand is the address" 2 timeout 10 "$SIP" listen -l 127.0.0.1 127.0.0.1:0
t_err_has "sip: listen: -l: the address to listen on is the operand"
t_run "listen --register tel:" 2 timeout 10 "$SIP" listen --register tel:+123 127.0.0.1:0
t_err_has "sip: listen: --register 'tel:+123': not a sip: or sips: URI"
t_run "listen --ring -1" 2 timeout 10 "$SIP" listen --ring -1 127.0.0.1:0
t_err_has "sip: listen: bad value '-1' for --ring"

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

# --password-file that cannot be read: found before anything is sent.
t_run "options --password-file naming a directory" 2 \
	timeout 10 "$SIP" options -u alice --password-file "$T_TMP" 127.0.0.1:9
t_err_has "sip: options: cannot read '$T_TMP': Is a directory"
t_err_lines 1
t_out_empty
for c in "options 127.0.0.1:9" "register sip:alice@127.0.0.1:9" "invite --timeout 1 127.0.0.1:9"; do
	# shellcheck disable=SC2086 # the command and its operand
	t_run "${c%% *} --password-file missing: before anything is sent" 2 \
		timeout 10 "$SIP" $c -u alice --password-file "$T_TMP/missing"
	t_err_has "sip: ${c%% *}: cannot open '$T_TMP/missing': No such file or directory"
	t_err_lines 1
	t_out_empty
done

# --from, --to, --contact without a scheme are sip: URIs, as a target is;
# what does not parse then is a usage error, not a malformed header.
t_run "--from alice@127.0.0.1: read as sip:alice@127.0.0.1" 0 \
	timeout 10 "$SIP" options --dry-run -o raw --from alice@127.0.0.1 --to 'Bob <bob@127.0.0.1>' \
	--contact alice@127.0.0.1:5099 127.0.0.1:9
t_out_has "From: <sip:alice@127.0.0.1>;tag="
t_out_has "To: Bob <sip:bob@127.0.0.1>"
t_out_has "Contact: <sip:alice@127.0.0.1:5099>"
t_run "--from with a '<' in its quoted display name" 0 \
	timeout 10 "$SIP" options --dry-run -o raw --from '"a<b" <alice@127.0.0.1>' 127.0.0.1:9
t_out_has 'From: "a<b" <sip:alice@127.0.0.1>;tag='
cp "$T_OUT" "$T_TMP/noscheme.sip"
t_run "sip decode finds the request valid" 0 "$SIP" decode "$T_TMP/noscheme.sip"
for c in "options 127.0.0.1:9" "register sip:alice@127.0.0.1:9" "invite 127.0.0.1:9"; do
	# shellcheck disable=SC2086 # the command and its operand
	t_run "${c%% *} --from 'a b@h': exit 2" 2 timeout 10 "$SIP" $c --from 'a b@h'
	t_err_has "sip: ${c%% *}: bad value 'a b@h' for --from: syntax error"
	t_out_empty
done
t_run "--to 'alice@': exit 2" 2 "$SIP" options --to 'alice@' 127.0.0.1:9
t_err_has "bad value 'alice@' for --to: bad host"
t_run "--contact '<alice@h': exit 2" 2 "$SIP" options --contact '<alice@h' 127.0.0.1:9
t_err_has "bad value '<alice@h' for --contact:"

# -u without --from: From is the user at the target's domain.
t_run "options -u alice: From sip:alice@TARGET-DOMAIN" 0 \
	timeout 10 "$SIP" options --dry-run -o raw -u alice 127.0.0.1:9
t_out_has "From: <sip:alice@127.0.0.1>;tag="
t_run "-u with characters a URI user cannot hold: escaped" 0 \
	timeout 10 "$SIP" options --dry-run -o raw -u 'al ice@corp' 127.0.0.1:9
t_out_has "From: <sip:al%20ice%40corp@127.0.0.1>;tag="
t_run "-u and --from: --from wins" 0 \
	timeout 10 "$SIP" options --dry-run -o raw -u alice --from sip:bob@example.com 127.0.0.1:9
t_out_has "From: <sip:bob@example.com>;tag="
t_run "invite -u alice: From sip:alice@TARGET-DOMAIN" 4 \
	timeout 10 "$SIP" invite -o raw --timeout 1 -u alice 127.0.0.1:9
t_out_has "From: <sip:alice@127.0.0.1>;tag="

# -l of one family towards a target of the other: a usage error naming both.
for c in "options 127.0.0.1:9" "register sip:alice@127.0.0.1:9" "invite 127.0.0.1:9"; do
	# shellcheck disable=SC2086 # the command and its operand
	t_run "${c%% *} -l [::1]:7082 towards 127.0.0.1" 2 timeout 10 "$SIP" $c -l '[::1]:7082' --timeout 1
	t_err_has "sip: ${c%% *}: local address [::1]:7082 is IPv6, but 127.0.0.1 is IPv4"
	t_err_lines 1
	t_out_empty
done
t_run "options -l 127.0.0.1 towards [::1]" 2 timeout 10 "$SIP" options -l 127.0.0.1 --timeout 1 '[::1]:9'
t_err_has "sip: options: local address 127.0.0.1 is IPv4, but [::1] is IPv6"
t_run "options -l [::1] through -p 127.0.0.1" 2 \
	timeout 10 "$SIP" options -l '[::1]' -p 127.0.0.1:9 --timeout 1 'sip:bob@[::1]'
t_err_has "local address [::1] is IPv6, but 127.0.0.1 is IPv4"
t_run "options -6 -l 127.0.0.1" 2 timeout 10 "$SIP" options -6 -l 127.0.0.1 --timeout 1 '[::1]:9'
t_err_has "sip: options: local address 127.0.0.1 is IPv4, but -6 was given"
t_run "nagios, -l of the other family: UNKNOWN naming both" 3 \
	timeout 10 "$SIP" options -o nagios -l '[::1]' --timeout 1 127.0.0.1:9
t_out_has "SIP UNKNOWN - 127.0.0.1:9: local address [::1] is IPv6, but 127.0.0.1 is IPv4"

# -o nagios: a usage error is UNKNOWN (3) with the plugin line naming it,
# wherever -o nagios stands (Nagios reads 2 as CRITICAL).
t_run "nagios: --warn 0.001 before -o nagios" 3 "$SIP" options --warn 0.001 -o nagios 127.0.0.1:9
t_out_has "SIP UNKNOWN - bad value '0.001' for --warn: expected a whole number from 0 to 3600000"
t_out_lines 1
t_run "nagios: --timeout abc before -onagios" 3 "$SIP" options --timeout abc -onagios 127.0.0.1:9
t_out_has "SIP UNKNOWN - bad value 'abc' for --timeout: expected seconds from 0.001 to 3600"
t_out_lines 1
t_run "nagios: an unknown option before --output=nagios" 3 "$SIP" options --bogus --output=nagios 127.0.0.1:9
t_out_has "SIP UNKNOWN - unknown option '--bogus'"
t_run "nagios: -qonagios, then a bad -c" 3 "$SIP" options -qonagios -c 0 127.0.0.1:9
t_out_has "SIP UNKNOWN - bad value '0' for --count"
t_run "nagios: two targets" 3 "$SIP" options -o nagios 127.0.0.1:9 127.0.0.1:10
t_out_has "SIP UNKNOWN - -o nagios takes one target and no -c or -i"
t_run "nagios: a bad -l" 3 "$SIP" options -o nagios -l 1.2.3 127.0.0.1:9
t_out_has "SIP UNKNOWN - bad address '1.2.3'"
t_run "-H's value is not -o: no plugin line" 2 "$SIP" options -H -o nagios --timeout x 127.0.0.1:9
t_out_empty

# A range says what is accepted.
t_run "--timeout 0" 2 "$SIP" options --timeout 0 127.0.0.1:9
t_err_has "sip: options: bad value '0' for --timeout: expected seconds from 0.001 to 3600"
t_run "--timeout below a millisecond (it would round to 0, the default)" 2 \
	"$SIP" register --timeout 0.0001 sip:alice@127.0.0.1:9
t_err_has "bad value '0.0001' for --timeout: expected seconds from 0.001 to 3600"
t_run "-i below a millisecond (it would round to 0, a flood)" 2 \
	timeout 10 "$SIP" options -i 0.0001 -c 3 127.0.0.1:9
t_err_has "bad value '0.0001' for --interval: expected 0, or seconds from 0.001 to 86400"
t_run "--warn with a fraction" 2 "$SIP" options --warn 0.5 127.0.0.1:9
t_err_has "bad value '0.5' for --warn: expected a whole number from 0 to 3600000"
t_run "--expect 1xx" 2 "$SIP" options --expect 1xx 127.0.0.1:9
t_err_has "bad value '1xx' for --expect: expected a final status from 200 to 699, or a class from 2xx to 6xx"

t_run "__complete commands" 0 "$SIP" __complete commands
t_out_has "decode"

t_run "__complete args" 0 "$SIP" __complete args decode
t_out_has "file"

# ---- sip options --traceroute: one target, its own Max-Forwards.
for o in "-c 2" "--dry-run" "--max-forwards 3"; do
	# shellcheck disable=SC2086 # an option and its value
	t_run "options --traceroute with $o" 2 "$SIP" options --traceroute $o 127.0.0.1:9
	t_err_has "--traceroute takes one target"
done
t_run "options --traceroute -o nagios: UNKNOWN, as its usage errors are" 3 \
	"$SIP" options --traceroute -o nagios 127.0.0.1:9
t_out_has "SIP UNKNOWN - --traceroute takes one target"
t_run "options --traceroute with two targets" 2 "$SIP" options --traceroute 127.0.0.1:9 127.0.0.2:9
t_err_has "--traceroute takes one target"
t_run "options --max-hops without --traceroute" 2 "$SIP" options --max-hops 3 127.0.0.1:9
t_err_has "sip: options: --max-hops goes with --traceroute"
t_run "options --max-hops 0" 2 "$SIP" options --traceroute --max-hops 0 127.0.0.1:9
t_err_has "max-hops"

# ---- sip send: the file is checked before anything is sent.
req=$T_TMP/send.sip
# shellcheck disable=SC2016 # the placeholders are sip send's
printf '%s\n' 'OPTIONS sip:127.0.0.1:9 SIP/2.0' \
	'Via: SIP/2.0/$transport$ $local_ip$:$local_port$;branch=$branch$;rport' \
	'From: <sip:a@$local_ip$>;tag=$tag$' 'To: <$target$>' 'Call-ID: $call_id$' \
	'CSeq: $cseq$ OPTIONS' 'Content-Length: 99' '' 'hello' >"$req"

t_run "send without a file" 2 "$SIP" send
t_err_has "sip: send: no file given"
t_out_empty

t_run "send with three operands" 2 "$SIP" send "$req" 127.0.0.1:9 more
t_err_has "sip: send: too many operands"

t_run "send of a file that is not there" 2 "$SIP" send "$T_TMP/nosuch.sip"
t_err_has "sip: send: cannot open '$T_TMP/nosuch.sip': No such file or directory"
t_err_lines 1

t_run "send of a directory" 2 "$SIP" send "$T_TMP"
t_err_has "sip: send: cannot read '$T_TMP': Is a directory"

t_run "send of an empty file" 2 "$SIP" send /dev/null
t_err_has "sip: send: '/dev/null' is empty"

# shellcheck disable=SC2016 # expanded by the inner sh
t_run "send: an unknown placeholder is named" 2 sh -c \
	'sed "s/^To:.*/To: <\$tagg\$>/" "$1" | "$2" send -' sh "$req" "$SIP"
t_err_has "sip: send: standard input: unknown placeholder '\$tagg\$'"
t_err_lines 1
t_out_empty

# shellcheck disable=SC2016 # expanded by the inner sh
t_run "send: \$user\$ wants -u" 2 sh -c \
	'sed "s/a@/\$user\$@/" "$1" | "$2" send -' sh "$req" "$SIP"
t_err_has "sip: send: standard input has \$user\$: give -u USER"

# shellcheck disable=SC2016 # expanded by the inner sh
t_run "send: a \$ that starts no placeholder stays" 0 sh -c \
	'sed "s/^hello/costs \$5 or \$a b\$/" "$1" | timeout 10 "$2" send --dry-run -o raw -' sh "$req" "$SIP"
# shellcheck disable=SC2016 # dollars as written
t_out_has 'costs $5 or $a b$'

# shellcheck disable=SC2016 # expanded by the inner sh
t_run "send: a request that does not parse, with its line" 7 sh -c \
	'sed "s/^CSeq: /CSeq /" "$1" | "$2" send -' sh "$req" "$SIP"
t_err_has "sip: send: standard input line 6: "
t_err_lines 1

# shellcheck disable=SC2016 # expanded by the inner sh
t_run "send: a response is not a request" 7 sh -c \
	'printf "SIP/2.0 200 OK\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\n\n" | "$1" send -' sh "$SIP"
t_err_has "is a response, not a request"

# shellcheck disable=SC2016 # expanded by the inner sh
t_run "send: no Via with a branch" 7 sh -c \
	'grep -v ^Via "$1" | "$2" send -' sh "$req" "$SIP"
t_err_has "has no Via with a branch"

# shellcheck disable=SC2016 # expanded by the inner sh
t_run "send: placeholders in the Request-URI want TARGET" 2 sh -c \
	'sed "1s/127.0.0.1:9/\$remote_ip\$/" "$1" | "$2" send -' sh "$req" "$SIP"
t_err_has "the Request-URI of standard input has placeholders: give TARGET"

for o in "-H X-A:1" "--from sip:a@b" "--max-forwards 0"; do
	# shellcheck disable=SC2086 # an option and its value
	t_run "send refuses $o: the file has the headers" 2 "$SIP" send $o "$req"
	t_err_has "does not apply: the file has the request's header fields"
done

t_run "send: a bad TARGET" 2 "$SIP" send "$req" 'sip:'
t_err_has "sip: send: bad target 'sip:'"

t_run "send --dry-run: filled in, CRLF, its Content-Length fixed" 0 \
	timeout 10 "$SIP" send --dry-run -o raw "$req"
t_err_has "sip: send: would send over UDP to 127.0.0.1:9"
t_out_has "Content-Length: 7"
t_out_lacks "Content-Length: 99"
t_out_lacks "\$"
# shellcheck disable=SC2016 # expanded by the inner sh
t_check "every line ends in CRLF" sh -c '! grep -qv "$(printf "\r")\$" "$1"' sh "$T_OUT"
t_check "one branch, z9hG4bK" grep -qE 'branch=z9hG4bK[A-Za-z0-9]{16};rport' "$T_OUT"

t_run "send --dry-run to TARGET over TCP: its transport and address" 0 \
	timeout 10 "$SIP" send --dry-run -o raw -t tcp "$req" 127.0.0.2:9
t_out_has "Via: SIP/2.0/TCP 127.0.0.1:"
t_out_has "To: <sip:127.0.0.2:9>"

t_run "send --raw --dry-run: the Content-Length as written" 7 \
	timeout 10 "$SIP" send --raw --dry-run -o raw "$req"
t_err_has "line"

# ---- sip request, message, notify: what they send, and bad input in one line.
t_run "request: no operand" 2 "$SIP" request
t_err_has "sip: request: no method and target given"
t_run "request: no target" 2 "$SIP" request INFO
t_err_has "sip: request: no target given"
t_run "request: a method that is no token" 2 "$SIP" request 'IN FO' 127.0.0.1:9
t_err_has "sip: request: bad method 'IN FO': expected a token such as INFO or PUBLISH"
t_err_lines 1
t_run "request: INVITE points to sip invite" 2 "$SIP" request invite 127.0.0.1:9
t_err_has "sip: request: INVITE is not a request of its own: use 'sip invite'"
t_run "request: a bad URI" 2 "$SIP" request INFO 'sip:@'
t_err_has "sip: request: bad target 'sip:@'"
t_run "request: an unreadable body file" 2 \
	"$SIP" request --body "$T_TMP/nonexistent" --content-type text/plain INFO 127.0.0.1:9
t_err_has "sip: request: cannot read '$T_TMP/nonexistent': No such file or directory"
t_err_lines 1
t_run "request: a directory as the body" 2 \
	"$SIP" request --body "$T_TMP" --content-type text/plain INFO 127.0.0.1:9
t_err_has "Is a directory"
head -c 70000 /dev/zero | tr '\0' a >"$T_TMP/big.txt"
t_run "request: a body too large for a message" 2 timeout 10 \
	"$SIP" request --body "$T_TMP/big.txt" --content-type text/plain INFO 127.0.0.1:9
t_err_has "sip: request: cannot send the INFO request: too large"
t_err_lines 1
t_run "request: --body without --content-type" 2 "$SIP" request --body /dev/null INFO 127.0.0.1:9
t_err_has "sip: request: --body needs --content-type"
t_run "request: --expect 1xx" 2 "$SIP" request --expect 1xx INFO 127.0.0.1:9
t_err_has "bad value '1xx' for --expect"
# shellcheck disable=SC2016 # expanded by the inner sh
t_run "request info --dry-run: INFO, its body and type" 0 sh -c \
	'printf "Signal=5\r\n" | timeout 10 "$SIP" request --dry-run -o raw --body - --content-type application/dtmf-relay info 127.0.0.1:9'
t_out_has "INFO sip:127.0.0.1:9 SIP/2.0"
t_out_has "CSeq: 1 INFO"
t_out_has "Content-Type: application/dtmf-relay"
t_out_has "Content-Length: 10"
t_out_has "Signal=5"
t_run "request FoO --dry-run: an extension method as typed" 0 \
	timeout 10 "$SIP" request --dry-run -o raw FoO 127.0.0.1:9
t_out_has "FoO sip:127.0.0.1:9 SIP/2.0"
t_out_has "CSeq: 1 FoO"

t_run "message: no operand" 2 "$SIP" message
t_err_has "sip: message: no target given"
t_run "message: empty standard input" 2 "$SIP" message 127.0.0.1:9
t_err_has "sip: message: no text: the message is empty"
t_run "message: too many operands" 2 "$SIP" message 127.0.0.1:9 a b
t_err_has "too many operands"
t_run "message --dry-run: the text, plain UTF-8, no Contact" 0 \
	timeout 10 "$SIP" message --dry-run -o raw 127.0.0.1:9 'hello there'
t_out_has "MESSAGE sip:127.0.0.1:9 SIP/2.0"
t_out_has "Content-Type: text/plain;charset=UTF-8"
t_out_has "hello there"
t_out_lacks "Contact:"
# shellcheck disable=SC2016 # expanded by the inner sh
t_run "message - --dry-run: standard input, its last newline dropped" 0 sh -c \
	'echo hi | timeout 10 "$SIP" message --dry-run -o raw --content-type text/x-test 127.0.0.1:9 -'
t_out_has "Content-Type: text/x-test"
t_out_has "Content-Length: 2"

t_run "notify: no --event" 2 "$SIP" notify 127.0.0.1:9
t_err_has "sip: notify: no --event given"
t_run "notify: bad --messages" 2 "$SIP" notify --event message-summary --messages 2-1 127.0.0.1:9
t_err_has "sip: notify: bad value '2-1' for --messages: expected NEW/OLD, as 2/0"
t_err_lines 1
t_run "notify: --messages without message-summary" 2 \
	"$SIP" notify --event check-sync --messages 1/0 127.0.0.1:9
t_err_has "--messages goes with --event message-summary"
t_run "notify: message-summary without a body" 2 "$SIP" notify --event message-summary 127.0.0.1:9
t_err_has "needs --messages NEW/OLD or --body"
t_run "notify check-sync;reboot=true --dry-run" 0 \
	timeout 10 "$SIP" notify --dry-run -o raw --event 'check-sync;reboot=true' 127.0.0.1:9
t_out_has "NOTIFY sip:127.0.0.1:9 SIP/2.0"
t_out_has "Event: check-sync;reboot=true"
t_out_has "Subscription-State: terminated"
t_out_has "Content-Length: 0"
t_run "notify message-summary --messages 2/5 --dry-run: an RFC 3842 body" 0 \
	timeout 10 "$SIP" notify --dry-run -o raw --event message-summary --messages 2/5 sip:alice@127.0.0.1:9
t_out_has "Content-Type: application/simple-message-summary"
t_out_has "Messages-Waiting: yes"
t_out_has "Message-Account: sip:alice@127.0.0.1:9"
t_out_has "Voice-Message: 2/5"
t_run "notify --messages 0/3: the lamp off" 0 \
	timeout 10 "$SIP" notify --dry-run -o raw --event message-summary --messages 0/3 127.0.0.1:9
t_out_has "Messages-Waiting: no"

# ---- sip subscribe: bad input in one line, exit 2, nothing sent.
t_run "subscribe: no operand" 2 "$SIP" subscribe
t_err_has "sip: subscribe: no target given"
t_run "subscribe: too many operands" 2 "$SIP" subscribe 127.0.0.1:9 127.0.0.1:10
t_err_has "sip: subscribe: too many operands: one target"
t_run "subscribe: a bad URI" 2 "$SIP" subscribe 'sip:@'
t_err_has "sip: subscribe: bad target 'sip:@'"
t_run "subscribe: a tel: URI" 2 "$SIP" subscribe tel:+15551234
t_err_has "sip: subscribe: bad target 'tel:+15551234': expected a sip: or sips: URI"
t_err_lines 1
for ev in 'pres ence' 'presence;' ';id=1' 'presence;id=' 'dialog;=x' 'a@b'; do
	t_run "subscribe: --event '$ev' is no package token" 2 "$SIP" subscribe --event "$ev" 127.0.0.1:9
	t_err_has "sip: subscribe: bad value '$ev' for --event: expected a package name"
	t_err_lines 1
done
t_run "subscribe: --count 0" 2 "$SIP" subscribe --count 0 127.0.0.1:9
t_err_has "sip: subscribe: bad value '0' for --count"
t_run "subscribe: --count x" 2 "$SIP" subscribe -c x 127.0.0.1:9
t_err_has "bad value 'x' for --count"
t_run "subscribe: --duration 0" 2 "$SIP" subscribe -d 0 127.0.0.1:9
t_err_has "bad value '0' for --duration"
t_run "subscribe: -e 0 with --count" 2 "$SIP" subscribe -e 0 -c 2 127.0.0.1:9
t_err_has "sip: subscribe: -e 0 fetches the state once: --count and --duration do not apply"
t_run "subscribe: --accept and -H Accept" 2 \
	"$SIP" subscribe --accept text/plain -H 'Accept: text/html' 127.0.0.1:9
t_err_has "--accept and -H 'Accept: ...' both give the Accept"
# sip_sub's limits on an Event: a package of 63 characters, 250 in all.
pkg=$(printf '%064d' 0 | tr 0 a)
t_run "subscribe: --event with a package of 64 characters" 2 "$SIP" subscribe --event "$pkg" 127.0.0.1:9
t_err_has "sip: subscribe: bad value '$pkg' for --event: too long"
t_err_lines 1
ev="presence;p=$(printf '%0240d' 0)"
t_run "subscribe: --event of 251 characters" 2 "$SIP" subscribe --event "$ev" 127.0.0.1:9
t_err_has "for --event: too long (a package of at most 63 characters, 250 in all)"
t_err_lines 1
t_run "subscribe: --event of 250 characters is taken" 0 "$SIP" subscribe --event "${ev%?}" --help
# The Event and Expires it sends, and each refresh and unsubscribe, are --event's and -e's.
for h in 'Event: dialog' 'o: dialog' 'expires : 10'; do
	t_run "subscribe: -H '$h'" 2 "$SIP" subscribe -H "$h" 127.0.0.1:9
	t_err_has "sip: subscribe: -H '$h': give the"
	t_err_lines 1
done

# ---- sip refer: bad input in one line (and the hint), exit 2, nothing sent.
t_run "refer: no operand" 2 "$SIP" refer
t_err_has "sip: refer: no target and REFER_TO given"
t_err_lines 2
t_run "refer: no REFER_TO" 2 "$SIP" refer 127.0.0.1:9
t_err_has "sip: refer: no REFER_TO given: the URI the target is to call"
t_run "refer: too many operands" 2 "$SIP" refer 127.0.0.1:9 sip:a@b sip:c@d
t_err_has "sip: refer: too many operands: one target and one REFER_TO"
t_run "refer: a bad target" 2 "$SIP" refer 'sip:@' sip:carol@127.0.0.1
t_err_has "sip: refer: bad target 'sip:@'"
t_err_lines 2
t_run "refer: a tel: target" 2 "$SIP" refer tel:+15551234567 sip:carol@127.0.0.1
t_err_has "sip: refer: bad target 'tel:+15551234567': expected a sip: or sips: URI"
t_run "refer: a bad REFER_TO" 2 "$SIP" refer 127.0.0.1:9 'sip:carol@'
t_err_has "sip: refer: bad value 'sip:carol@' for REFER_TO:"
t_err_lines 2
t_run "refer: a bad REFER_TO name-addr" 2 "$SIP" refer 127.0.0.1:9 'Carol <sip:@x>'
t_err_has "sip: refer: bad value 'Carol <sip:@x>' for REFER_TO:"
t_run "refer: a bad --referred-by" 2 "$SIP" refer --referred-by 'sip:a b' 127.0.0.1:9 carol@127.0.0.1
t_err_has "sip: refer: bad value 'sip:a b' for --referred-by:"
t_run "refer: --replaces without its tags" 2 "$SIP" refer --replaces abc@host 127.0.0.1:9 carol@x
t_err_has "sip: refer: bad value 'abc@host' for --replaces: no to-tag; expected CALL-ID;to-tag=T;from-tag=F"
t_err_lines 2
t_run "refer: --replaces without from-tag" 2 "$SIP" refer --replaces 'abc;to-tag=1' 127.0.0.1:9 carol@x
t_err_has "no from-tag"
t_run "refer: --replaces with a Call-ID that is no word" 2 \
	"$SIP" refer --replaces 'a b@c;to-tag=1;from-tag=2' 127.0.0.1:9 carol@x
t_err_has "'a b@c' is not a Call-ID"
t_run "refer: --replaces with an empty tag" 2 "$SIP" refer --replaces 'a;to-tag=;from-tag=2' 127.0.0.1:9 carol@x
t_err_has "to-tag needs a tag (a token)"
t_run "refer: --replaces with a tag twice" 2 \
	"$SIP" refer --replaces 'a;to-tag=1;from-tag=2;to-tag=3' 127.0.0.1:9 carol@x
t_err_has "to-tag given twice"
t_run "refer: --replaces with an unknown parameter" 2 \
	"$SIP" refer --replaces 'a;to-tag=1;from-tag=2;x=3' 127.0.0.1:9 carol@x
t_err_has "unknown parameter 'x' (to-tag, from-tag, early-only)"
t_run "refer: --replaces with a tel: REFER_TO" 2 \
	"$SIP" refer --replaces 'a;to-tag=1;from-tag=2' 127.0.0.1:9 tel:+15551234567
t_err_has "bad value 'tel:+15551234567' for REFER_TO: --replaces needs a sip: or sips: URI"
# What REFER_TO becomes, seen in the REFER sent to a closed port (exit 4).
t_run "refer: a bare REFER_TO with a header goes in <> as it is" 4 \
	timeout 10 "$SIP" refer -o raw --timeout 1 127.0.0.1:9 'carol@127.0.0.1;user=phone?Subject=hi'
t_out_has "Refer-To: <sip:carol@127.0.0.1;user=phone?Subject=hi>"
t_run "refer: a name-addr REFER_TO, --replaces added to its URI's headers" 4 \
	timeout 10 "$SIP" refer -o raw --timeout 1 --replaces 'a@b;to-tag=1;from-tag=2' 127.0.0.1:9 \
	'"Carol" <sip:carol@127.0.0.1?Subject=hi>;x=1'
t_out_has 'Refer-To: "Carol" <sip:carol@127.0.0.1?Subject=hi&Replaces=a%40b%3Bto-tag%3D1%3Bfrom-tag%3D2>;x=1'
t_run "refer: --replaces and a REFER_TO with a Replaces of its own" 2 \
	"$SIP" refer --replaces 'a;to-tag=1;from-tag=2' 127.0.0.1:9 'sip:carol@x?replaces=b%3Bto-tag%3D3'
t_err_has "sip: refer: bad value 'sip:carol@x?replaces=b%3Bto-tag%3D3' for REFER_TO: it has a Replaces header, and so does --replaces"
t_err_lines 2
t_run "refer: --no-sub and --transfer-timeout" 2 \
	"$SIP" refer --no-sub --transfer-timeout 5 127.0.0.1:9 carol@x
t_err_has "sip: refer: --no-sub ends at the 2xx: there is no NOTIFY for --transfer-timeout to wait for"
t_err_lines 2
t_run "refer: -H Refer-To" 2 "$SIP" refer -H 'Refer-To: <sip:x@y>' 127.0.0.1:9 carol@x
t_err_has "sip: refer: REFER_TO gives the Refer-To: no -H 'Refer-To: ...'"
t_err_lines 2
t_run "refer: -H r (Refer-To's compact form)" 2 "$SIP" refer -H 'r : <sip:x@y>' 127.0.0.1:9 carol@x
t_err_has "REFER_TO gives the Refer-To"
t_run "refer: --referred-by and -H Referred-By" 2 \
	"$SIP" refer --referred-by sip:a@b -H 'referred-by: <sip:c@d>' 127.0.0.1:9 carol@x
t_err_has "sip: refer: --referred-by and -H 'Referred-By: ...' both give the Referred-By: one of them"
t_run "refer: -H Refer-Sub" 2 "$SIP" refer -H 'Refer-Sub: false' 127.0.0.1:9 carol@x
t_err_has "sip: refer: -H 'Refer-Sub: ...': --no-sub asks for Refer-Sub: false"
t_run "refer: --transfer-timeout 0" 2 "$SIP" refer --transfer-timeout 0 127.0.0.1:9 carol@x
t_err_has "bad value '0' for --transfer-timeout"
# A quoted display name takes anything but a control character: CR LF
# there would end the header line (and the lib refuse the request, exit 8).
crlf=$(printf '"A\r\nX-Evil: 1" <sip:a@127.0.0.1>')
t_run "refer: a REFER_TO display name with CR LF" 2 "$SIP" refer 127.0.0.1:9 "$crlf"
t_err_has "sip: refer: bad value for REFER_TO: a control character (0x0d)"
t_err_lines 2
t_run "refer: a --referred-by display name with CR LF" 2 "$SIP" refer --referred-by "$crlf" \
	127.0.0.1:9 carol@x
t_err_has "sip: refer: bad value for --referred-by: a control character (0x0d)"
t_run "refer: a --from display name with CR LF" 2 "$SIP" refer --from "$crlf" 127.0.0.1:9 carol@x
t_err_has "sip: refer: bad value for --from: a control character (0x0d)"
t_run "refer: a --user-agent with CR LF" 2 "$SIP" refer --user-agent "$(printf 'a\r\nX: 1')" \
	127.0.0.1:9 carol@x
t_err_has "sip: refer: bad value for --user-agent: a control character (0x0d)"
t_err_lines 2

# ---- sip invite --transfer-to: a bad URI or a lone --transfer-timeout, exit 2.
t_run "invite: a bad --transfer-to" 2 "$SIP" invite --transfer-to 'sip:carol@' 127.0.0.1:9
t_err_has "sip: invite: bad value 'sip:carol@' for --transfer-to:"
t_run "invite: --transfer-timeout without --transfer-to" 2 \
	"$SIP" invite --transfer-timeout 5 127.0.0.1:9
t_err_has "sip: invite: --transfer-timeout needs --transfer-to"
t_run "invite: --transfer-timeout 0" 2 \
	"$SIP" invite --transfer-to carol@x --transfer-timeout 0 127.0.0.1:9
t_err_has "bad value '0' for --transfer-timeout"

if [ -w /dev/full ]; then
	# shellcheck disable=SC2016 # expanded by the inner sh
	t_run "stdout write error" 8 sh -c '"$SIP" --version >/dev/full'
	t_err_has "cannot write to standard output"
	# The message was flushed as it went; the loop's calls set errno since.
	# shellcheck disable=SC2016 # expanded by the inner sh
	t_run "stdout write error during a probe: its errno" 8 \
		sh -c 'timeout 10 "$SIP" options --timeout 1 127.0.0.1:9 >/dev/full'
	t_err_has "sip: cannot write to standard output: No space left on device"
else
	t_skip "stdout write error" "no /dev/full"
fi

t_done
