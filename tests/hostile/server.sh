#!/bin/sh
# server.sh - every subcommand that sends requests (options, register,
# invite, refer, subscribe, message, notify, request, send) against every
# mode of the hostile server tests/hostile/server, over UDP and TCP: each run
# must end within its bound (tests/hostile/measure kills it at $BOUND s),
# with the exit status EXIT STATUS in sip(1) and the command's page give for
# what the server did (the table in `expect` below), with no sanitizer
# report, no death by a signal, a peak RSS under 64 MB, and, where the mode
# says so, the problem named on stderr. One server serves all the modes: the
# user part of the Request-URI (`sip:storm@127.0.0.1:PORT`; the To URI of a
# REGISTER) picks one; see server.c for what each does. Two runs go at once.
#
# HOSTILE_ONLY=REGEX runs only the cases whose "CMD MODE TRANSPORT" it
# matches (`HOSTILE_ONLY='^invite .* tcp$'`).
#
# `make test-hostile` builds tests/hostile/server and measure first; this
# script builds nothing.
# shellcheck disable=SC2317 # helpers are called through t_check
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# The server outlives every run of the battery, which takes minutes.
P_LIFETIME=600
# shellcheck source=tests/integration/lib/peers.sh
. "$T_ROOT/tests/integration/lib/peers.sh"

H=$T_ROOT/tests/hostile
d=$T_TMP
BOUND=12
RSS_MAX_KB=65536

for tool in server measure; do
	if [ ! -x "$H/$tool" ]; then
		t_fail "tests/hostile/$tool is built" "run 'make tests/hostile/$tool' (make test-hostile does)"
		t_done
	fi
done

# ASan keeps up to 256 MB of freed memory in quarantine to catch a use after
# free; a run that receives 10,000 NOTIFYs frees that much, and its RSS
# would measure ASan, not sip. A small quarantine still catches a use right
# after the free, and what is left is sip's own memory and ASan's shadow.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16:thread_local_quarantine_size_kb=256
export ASAN_OPTIONS
# The 401 mode gets credentials, so that the retries themselves are tried.
SIP_PASSWORD=secret
export SIP_PASSWORD

if ! { p_free_port && pu=$P_PORT && p_free_port && pt=$P_PORT && p_free_port && pr=$P_PORT; }; then
	t_fail "free ports for the hostile server"
	t_done
fi
p_start "$d/server.log" "$H/server" "$pu" "$pt" "$pr"
spid=$P_PID
if ! p_wait_listen udp "$pu" "$spid" 50 || ! p_wait_listen tcp "$pt" "$spid" 50 ||
	! p_wait_listen tcp "$pr" "$spid" 50; then
	t_fail "the hostile server starts" "$(head -n 3 "$d/server.log")"
	t_done
fi

# The request of sip send, its placeholders filled in by sip.
# shellcheck disable=SC2016 # $name$ are sip's placeholders, not the shell's
printf '%s\n' 'OPTIONS $target$ SIP/2.0' \
	'Via: SIP/2.0/$transport$ $local_ip$:$local_port$;branch=$branch$;rport' \
	'Max-Forwards: 70' 'From: <sip:$user$@$local_ip$>;tag=$tag$' 'To: <$target$>' \
	'Call-ID: $call_id$' 'CSeq: $cseq$ OPTIONS' \
	'Contact: <sip:$user$@$local_ip$:$local_port$;transport=$transport$>' \
	'Content-Length: 0' >"$d/send.txt"

# The modes that answer the request itself, and those that answer a
# SUBSCRIBE or REFER well and then send hostile NOTIFYs (refer and subscribe
# only). close and reset are TCP's alone: over UDP there is no connection.
RMODES="ok silence garbage truncated clhuge clneg clpast headers longline drip callid branch
storm stormwrong ring barelf nul code099 code700 body50m loop3xx auth401 close reset"
NMODES="nforever nstorm nbadbody nhuge"
CMDS="options register invite refer subscribe message notify request send"

# expect CMD MODE TRANSPORT: sets $want to the exit statuses that are right
# (more than one only where each is an honest reading, said why), and $say
# to a phrase that names the problem, if any: on stderr, or on stdout for a
# final response, which -q still prints there.
expect() {
	want='' say=
	case $2 in
	ok | storm) want=0 ;; # storm: 10,000 copies of the right answer are it, retransmitted
	silence | branch | stormwrong | ring)
		# No answer of the request's transaction: a 200 of another branch
		# is no answer (no false success); 1xx forever ends at the timer.
		want=3 say="timed out"
		[ "$1.$2" = invite.ring ] && say="after the CANCEL"
		;;
	garbage | clhuge | clneg | code099 | code700) want=7 say="does not parse" ;;
	truncated | clpast | drip)
		# Over TCP, half a message (or a Content-Length past what came) is
		# a stream that may still go on: the timeout is all sip can tell.
		if [ "$3" = tcp ]; then
			want=3 say="timed out"
		else
			want=7 say="does not parse"
		fi
		;;
	headers | longline)
		# Over UDP, what one datagram holds (7,000 header lines, a 60 KB
		# line) is a 200 that the parser may take or refuse by its limits;
		# over TCP, 100,000 lines or 1 MB is a message to refuse, not a
		# transport failure.
		if [ "$3" = udp ]; then want="0 7"; else want=7; fi
		;;
	body50m) want=7 ;; # UDP: a Content-Length of 50 MB past the datagram
	barelf | nul)
		# LF line ends (RFC 3261 7.5 asks for CRLF) and a NUL in the reason
		# phrase and a header value: a parser may be lenient with what is
		# otherwise the right 200, or refuse it; nothing else.
		want="0 7"
		;;
	callid) want=7 say="protocol violation" ;;
	loop3xx) want=1 say="302 Moved" ;; # invite --follow must not follow it forever
	auth401) want=6 say="rejected" ;;
	# The connection closes in the middle of the 200: a transport failure,
	# or a message cut short.
	close) want="4 7" say="closed" ;;
	reset) want=4 say="connection" ;;
	nforever | nstorm)
		# refer: no final status in --transfer-timeout; subscribe: -d over.
		[ "$1" = refer ] && want=3 || want=0
		;;
	nbadbody)
		want=7
		[ "$1" = refer ] && say="does not parse" || say="does not decode"
		;;
	nhuge)
		# UDP: what a datagram holds, a sipfrag of 503 and 2,000 header lines
		# or a PIDF with a 60 KB note, may be taken (503: exit 1; the PIDF
		# decodes: 0) or refused (7). TCP: 10 MB is refused, as malformed
		# (7) or dropped with its connection: refer then has no final status
		# (3), subscribe ends at -d with the final NOTIFY of the
		# unsubscribe (0).
		case $1.$3 in
		refer.udp) want="1 7" ;;
		refer.tcp) want="3 7" ;;
		*) want="0 7" ;;
		esac
		;;
	esac
}

# runargs CMD MODE TRANSPORT: sets $args to the words of sip's command line.
runargs() {
	port=$pu
	[ "$3" = tcp ] && port=$pt
	[ "$2" = reset ] && port=$pr
	uri=sip:$2@127.0.0.1:$port
	common="-q -u alice --t1 50 --timeout 1 -t $3"
	# shellcheck disable=SC2086 # $common is words
	case $1 in
	invite) set -- invite $common -r 1 -d 0 --follow "$uri" ;;
	refer) set -- refer $common --transfer-timeout 1 "$uri" sip:bob@127.0.0.1 ;;
	subscribe)
		case $2 in
		nforever | nstorm | nbadbody | nhuge) set -- subscribe $common -d 1 "$uri" ;;
		*) set -- subscribe $common -c 1 -d 1 "$uri" ;;
		esac
		;;
	message) set -- message $common "$uri" hello ;;
	notify) set -- notify $common --event message-summary --messages 1/0 "$uri" ;;
	request) set -- request $common INFO "$uri" ;;
	send) set -- send -q -u alice --t1 50 --timeout 1 -t "$3" "$d/send.txt" "$uri" ;;
	*) set -- "$1" $common "$uri" ;;
	esac
	args="$*"
}

# start N CMD MODE TRANSPORT: runs case N in the background.
start() {
	runargs "$2" "$3" "$4"
	# shellcheck disable=SC2086 # $args is words, none with a space
	"$H/measure" -o "$d/$1.m" "$BOUND" "$SIP" $args >"$d/$1.out" 2>"$d/$1.err" &
	eval "pid_$1=\$! args_$1=\$args"
}

# verdict N CMD MODE TRANSPORT: waits for case N and checks it.
verdict() {
	eval "wait \$pid_$1; args=\$args_$1"
	expect "$2" "$3" "$4"
	T_NAME="$2 $4 $3"
	T_OUT=$d/$1.out T_ERR=$d/$1.err
	m=$(cat "$d/$1.m" 2>/dev/null)
	rc=$(printf '%s\n' "$m" | sed -n 's/^exit=\([0-9]*\) .*/\1/p')
	ms=$(printf '%s\n' "$m" | sed -n 's/.* ms=\([0-9]*\) .*/\1/p')
	kb=$(printf '%s\n' "$m" | sed -n 's/.* maxrss_kb=\([0-9]*\)$/\1/p')
	how=${rc:+exit $rc}
	[ -n "$how" ] || how=${m%% ms=*}
	fig="$how in ${ms:-?} ms, $(((${kb:-0} + 512) / 1024)) MB"
	why=
	if [ -z "$rc" ]; then
		why="$m (bound ${BOUND} s)"
	elif ! printf ' %s ' "$want" | grep -q " $rc "; then
		why="expected exit $(echo "$want" | sed 's/ / or /g')"
	elif [ "${kb:-0}" -ge "$RSS_MAX_KB" ]; then
		why="peak RSS over 64 MB"
	elif grep -q 'Sanitizer\|runtime error' "$T_ERR"; then
		why="sanitizer report"
	elif [ -n "$say" ] && ! cat "$T_ERR" "$T_OUT" | grep -qF "$say"; then
		why="the output does not say '$say'"
	fi
	if [ -z "$why" ]; then
		t_ok "$T_NAME: $fig"
	else
		t_fail "$T_NAME: $fig" "$why"
		printf '     | %s\n' "$SIP $args"
		t_show
	fi
}

# The cases, one a line: CMD MODE TRANSPORT.
for t in udp tcp; do
	for m in $RMODES; do
		case $m.$t in
		close.udp | reset.udp) continue ;;
		esac
		for c in $CMDS; do
			echo "$c $m $t"
		done
	done
	for m in $NMODES; do
		echo "refer $m $t"
		echo "subscribe $m $t"
	done
done | grep -E -e "${HOSTILE_ONLY:-.}" >"$d/cases"

# Two at a time: A and B run together, then both are judged.
set --
while read -r c m t; do
	set -- "$@" "$c" "$m" "$t"
	if [ $# -eq 6 ]; then
		start a "$1" "$2" "$3"
		start b "$4" "$5" "$6"
		verdict a "$1" "$2" "$3"
		verdict b "$4" "$5" "$6"
		set --
	fi
done <"$d/cases"
if [ $# -eq 3 ]; then
	start a "$1" "$2" "$3"
	verdict a "$1" "$2" "$3"
fi

T_NAME="hostile server"
T_OUT=$d/server.log T_ERR=/dev/null
t_check "still runs after it all" p_alive "$spid"
p_stop "$spid"
t_eq "hostile server: ends on SIGTERM, exit 0" 0 "$P_RC"
t_done
