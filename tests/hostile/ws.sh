#!/bin/sh
# ws.sh - SIP over WebSocket (RFC 7118) against hostile peers, both ways.
#
# sip options (and, for the modes that get as far as frames, sip message
# and sip register) against each mode of the hostile WebSocket server
# tests/hostile/wsserver (`ws://127.0.0.1:PORT/MODE`; see wsserver.c): each
# run must end within its bound (tests/hostile/measure kills it at $BOUND
# s) with the exit status EXIT STATUS in sip(1) gives for what the server
# did (the table in `expect` below), the problem named on stderr, no
# sanitizer report, no death by a signal and a peak RSS under 64 MB. The
# server's log says what sip sent back: its pongs, the close frames that
# answer the server's, and that every frame of a client is masked.
#
# Then `sip listen --ws` under a hostile WebSocket client (wsserver client
# MODE): an unmasked frame from the client closes its connection (with a
# close frame, 1002), a handshake that does not offer `sip` gets 400, one
# of version 12 gets 426, garbage instead of a handshake gets 400, a ping
# gets its pong and a close frame its answer (1000), a frame that
# announces 10 MB gets a close frame (1009, too big), a
# handshake dripped a byte a second is cut off at the listener's idle limit
# (32 s, which no option lowers: the drip runs from the start, alongside
# the rest), and 500 WebSocket connections upgraded and left idle are held
# with bounded descriptors. Through it all a normal `sip options
# ws://127.0.0.1:PORT/` gets its 200 within a second, and SIGTERM ends the
# listener.
#
# Only 127.0.0.1 is used; every process is bounded by `timeout` or measure,
# every attack by its count and deadline, and stopped by its PID.
# `make test-hostile` builds tests/hostile/wsserver and measure first; this
# script builds nothing.
# shellcheck disable=SC2317 # helpers are called through t_check
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# The listener and the server outlive the whole script.
P_LIFETIME=300
# shellcheck source=tests/integration/lib/peers.sh
. "$T_ROOT/tests/integration/lib/peers.sh"

H=$T_ROOT/tests/hostile
W=$H/wsserver
d=$T_TMP
BOUND=12
RSS_MAX_KB=65536

for tool in wsserver measure; do
	if [ ! -x "$H/$tool" ]; then
		t_fail "tests/hostile/$tool is built" "run 'make tests/hostile/$tool' (make test-hostile does)"
		t_done
	fi
done

# A small quarantine, as in server.sh: what is measured is sip's memory.
# The listener's bound doubles under ASan (shadow memory, redzones), as in
# client.sh.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16:thread_local_quarantine_size_kb=256
export ASAN_OPTIONS
if LC_ALL=C grep -q -a __asan_init "$SIP"; then
	listen_rss_max=131072
else
	listen_rss_max=65536
fi

if ! { p_free_port && sport=$P_PORT && p_free_port && lport=$P_PORT; }; then
	t_fail "free ports for the hostile server and the listener"
	t_done
fi

# ==== the listener, and the drip that runs alongside the rest =================
lout=$d/listen.out
lerr=$d/listen.err
timeout -k 3 "$P_LIFETIME" "$SIP" listen -q --ws "127.0.0.1:$lport" \
	</dev/null >"$lout" 2>"$lerr" &
lwrap=$!
P_PIDS="$P_PIDS $lwrap"
lpid=
if p_wait_text "$lerr" "listening on 127.0.0.1:$lport (UDP, WS)" "$lwrap" 100; then
	lpid=$(pgrep -P "$lwrap" | head -n 1)
	timeout 60 "$W" client drip "$lport" 1 40 </dev/null >"$d/drip.out" 2>&1 &
	dpid=$!
	P_PIDS="$P_PIDS $dpid"
	p_wait_text "$d/drip.out" "drip: dripping" "$dpid" 50
	drip_t0=$(p_now_ms)
else
	t_fail "sip listen --ws starts" "$(head -n 3 "$lerr" | tr '\n' ' ')"
	p_stop "$lwrap"
fi

# ==== sip against the hostile server ==========================================
p_start "$d/server.log" "$W" "$sport"
spid=$P_PID
if ! p_wait_listen tcp "$sport" "$spid" 50; then
	t_fail "the hostile WebSocket server starts" "$(head -n 3 "$d/server.log")"
	t_done
fi

# expect CMD MODE: sets $want to the exit status that is right and $say to
# a phrase that names the problem on stderr, or the 200 (the binding made)
# on stdout.
expect() {
	case $2 in
	ok | bytewise | fragmented | binary | pingfirst)
		want=0 say="200 OK"
		[ "$1" = register ] && say="registered <sip:alice@127.0.0.1> for 3600 s"
		;;
	# A refused or spoilt upgrade is a connection that could not be made.
	badaccept) want=4 say="Sec-WebSocket-Accept does not match the key" ;;
	noproto) want=4 say="no Sec-WebSocket-Protocol: sip in the answer" ;;
	refuse403) want=4 say="403 Forbidden" ;;
	refuse404) want=4 say="404 Not Found" ;;
	# Nothing, or not all of the 101, before --timeout.
	silent | dripshake) want=3 say="timed out" ;;
	# The server closed it in the middle of the answer, and said why.
	closemid) want=4 say="1001 going away" ;;
	oversize) want=7 say="message larger than" ;;
	masked) want=7 say="masked frame from the server" ;;
	garbage) want=7 say="reserved bits set" ;;
	hugehead) want=7 say="header block is over 8192 bytes" ;;
	# Closed without a close frame: a connection lost.
	shut) want=4 say="connection closed" ;;
	ctlbig) want=7 say="a control frame over 125 bytes" ;;
	contfirst) want=7 say="continuation frame outside a message" ;;
	esac
}

# runargs CMD MODE: sets $args to the words of sip's command line.
runargs() {
	to=5
	case $2 in
	silent | dripshake) to=2 ;;
	esac
	url=ws://127.0.0.1:$sport/$2
	case $1 in
	message) set -- message -q --timeout "$to" "$url" hello ;;
	# An address of record has a user: the mode goes in the path.
	register) set -- register -q -u alice --timeout "$to" -t ws --ws-path "/$2" \
		"sip:alice@127.0.0.1:$sport" ;;
	*) set -- "$1" -q --timeout "$to" "$url" ;;
	esac
	args="$*"
}

# run CMD MODE: runs sip under measure and checks how it ended.
run() {
	runargs "$1" "$2"
	expect "$1" "$2"
	T_NAME="$1 ws $2"
	T_OUT=$d/run.out T_ERR=$d/run.err
	# shellcheck disable=SC2086 # $args is words, none with a space
	"$H/measure" -o "$d/run.m" "$BOUND" "$SIP" $args >"$T_OUT" 2>"$T_ERR"
	res=$(cat "$d/run.m" 2>/dev/null)
	rc=$(printf '%s\n' "$res" | sed -n 's/^exit=\([0-9]*\) .*/\1/p')
	ms=$(printf '%s\n' "$res" | sed -n 's/.* ms=\([0-9]*\) .*/\1/p')
	kb=$(printf '%s\n' "$res" | sed -n 's/.* maxrss_kb=\([0-9]*\)$/\1/p')
	how=${rc:+exit $rc}
	[ -n "$how" ] || how=${res%% ms=*}
	fig="$how in ${ms:-?} ms, $(((${kb:-0} + 512) / 1024)) MB"
	why=
	if [ -z "$rc" ]; then
		why="$res (bound ${BOUND} s)"
	elif [ "$rc" != "$want" ]; then
		why="expected exit $want"
	elif [ "${kb:-0}" -ge "$RSS_MAX_KB" ]; then
		why="peak RSS over 64 MB"
	elif grep -q 'Sanitizer\|runtime error' "$T_ERR"; then
		why="sanitizer report"
	elif ! cat "$T_ERR" "$T_OUT" | grep -qF -e "$say"; then
		why="the output does not say '$say'"
	fi
	if [ -z "$why" ]; then
		# What it said: the problem, not the summary line, or the answer.
		said=$(grep -v "^sip: [a-z]*: '" "$T_ERR" | head -n 1)
		[ -n "$said" ] || said=$(head -n 1 "$T_OUT")
		[ -n "$said" ] || said=$(head -n 1 "$T_ERR")
		t_ok "$T_NAME: $fig: $(printf '%s' "$said" | cut -c 1-150)"
	else
		t_fail "$T_NAME: $fig" "$why"
		printf '     | %s\n' "$SIP $args"
		t_show
	fi
}

for m in ok badaccept noproto refuse403 refuse404 silent dripshake oversize bytewise \
	fragmented closemid masked garbage binary hugehead pingfirst shut ctlbig contfirst; do
	run options "$m"
done
for m in bytewise fragmented binary closemid oversize masked; do
	run message "$m"
	run register "$m"
done

# count ERE: how many lines of the server's log match ERE.
count() { grep -cE -e "$1" "$d/server.log"; }

T_NAME="hostile server's log"
T_OUT=$d/server.log T_ERR=/dev/null
t_check "sip masked every frame it sent" t_lacks "not masked" "$d/server.log"
n=$(count "fragmented: request")
t_eq "$T_NAME: sip answered both pings of all $n fragmented answers" "$n $n" \
	"$(count '^fragmented: pong "hostile1"') $(count '^fragmented: pong "hostile2"')"
n=$(count "^closemid: request")
t_eq "$T_NAME: sip answered the close frame of all $n closemid runs with 1001" "$n" \
	"$(count "^closemid: close 1001")"
n=$(count "^(masked|garbage|ctlbig|contfirst): request")
t_eq "$T_NAME: sip closed all $n runs with a broken frame with a close frame, 1002" "$n" \
	"$(count "^(masked|garbage|ctlbig|contfirst): close 1002")"
n=$(count "^pingfirst: request")
t_eq "$T_NAME: sip answered the ping that came with the 101 in all $n runs" "$n" \
	"$(count '^pingfirst: pong "early"')"
# RFC 6455 7.1.2: an endpoint that is done with the connection starts the
# closing handshake; a TCP close without it is an abnormal closure (1006).
good="^(ok|bytewise|fragmented|binary|pingfirst)"
n=$(count "$good: request")
t_eq "$T_NAME: sip ended all $n good runs with a close frame" "$n" "$(count "$good: close")"
t_check "still runs after it all" p_alive "$spid"
p_stop "$spid"
t_eq "hostile server: ends on SIGTERM, exit 0" 0 "$P_RC"

# ==== sip listen --ws under a hostile client ==================================
[ -n "$lpid" ] || t_done

# nfds PID: how many descriptors PID has open.
nfds() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l | tr -d ' '
}

# probe WHAT: a normal OPTIONS over WebSocket gets its 200 within a second,
# process start included.
probe() {
	pr_t0=$(p_now_ms)
	timeout 10 "$SIP" options -q --timeout 1 "ws://127.0.0.1:$lport/" \
		</dev/null >"$d/probe.out" 2>"$d/probe.err"
	pr_rc=$?
	pr_ms=$(($(p_now_ms) - pr_t0))
	T_NAME="listen: $1: OPTIONS over WS"
	T_OUT=$d/probe.out T_ERR=$d/probe.err
	if [ "$pr_rc" -eq 0 ] && grep -q ' 200 OK' "$T_OUT" && [ "$pr_ms" -lt 1000 ]; then
		t_ok "$T_NAME: 200 in $pr_ms ms"
	else
		t_fail "$T_NAME: 200 within 1 s" "exit $pr_rc after $pr_ms ms"
		t_show
	fi
	T_NAME="listen: $1"
	if ! p_alive "$lpid"; then
		t_fail "$T_NAME: alive" "it is gone: $(tail -n 3 "$lerr" | tr '\n' ' ')"
		return 1
	fi
}

# attack MODE ERE: the client's attack ends with status 0 and its output,
# its lines joined by spaces, matches ERE.
attack() {
	T_NAME="listen: client $1"
	T_OUT=$d/attack.out T_ERR=$d/attack.err
	timeout 30 "$W" client "$1" "$lport" </dev/null >"$T_OUT" 2>"$T_ERR"
	T_RC=$?
	if [ "$T_RC" -eq 0 ] && tr '\n' ' ' <"$T_OUT" | grep -qE -e "$2"; then
		t_ok "$T_NAME: $(tr '\n' ' ' <"$T_OUT" | cut -c 1-200)"
	else
		t_fail "$T_NAME: exit 0 and /$2/" "exit $T_RC"
		t_show
	fi
}

fd0=$(nfds "$lpid")
probe "at the start (a handshake dripping)"
attack unmasked "closed by the peer after [0-9]+ ms; close frame 1002"
probe "after an unmasked frame"
attack noproto "answered HTTP/1.1 400 "
probe "after a handshake without sip"
attack v12 "answered HTTP/1.1 426 "
probe "after a handshake of version 12"
attack garbage "answered HTTP/1.1 400 "
probe "after garbage instead of a handshake"
attack ping 'ping: pong "hello".*closed by the peer after [0-9]+ ms; close frame 1000'
probe "after a ping and a close"
attack bigframe "closed by the peer after [0-9]+ ms; close frame 1009"
probe "after a frame of 10 MB announced"

timeout 60 "$W" client idle "$lport" 500 3 </dev/null >"$d/idle.out" 2>&1 &
ipid=$!
P_PIDS="$P_PIDS $ipid"
T_NAME="listen: 500 idle WebSocket connections"
if p_wait_text "$d/idle.out" "holding" "$ipid" 200; then
	t_check "all upgraded" grep -qF "idle: 500 of 500 upgraded" "$d/idle.out"
	fds=$(nfds "$lpid")
	probe "with 500 idle WebSocket connections"
	t_check "$fds descriptors (at most $((fd0 + 510)))" test "$fds" -le $((fd0 + 510))
	if p_wait_exit "$ipid" 300; then
		t_check "held: $(tail -n 1 "$d/idle.out")" grep -qF "idle: 500 of 500 held 3 s" \
			"$d/idle.out"
	else
		t_fail "$T_NAME: the client ends" "still running"
		p_stop "$ipid"
	fi
	n=0
	while [ "$(nfds "$lpid")" -gt $((fd0 + 3)) ] && [ "$n" -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	fds=$(nfds "$lpid")
	probe "after the 500 idle connections closed"
	t_check "$fds descriptors, $fd0 at the start" test "$fds" -le $((fd0 + 3))
else
	t_fail "$T_NAME: the connections are up" "$(tr '\n' ' ' <"$d/idle.out")"
	p_stop "$ipid"
fi

# The drip began before everything else; the listener gives a handshake
# its idle time, 32 s, from the accept.
T_NAME="listen: a handshake dripped a byte a second"
T_OUT=$d/drip.out T_ERR=/dev/null
if p_wait_exit "$dpid" 450; then
	t_check "$(tail -n 1 "$d/drip.out") ($(($(p_now_ms) - drip_t0)) ms into it)" \
		grep -qE "drip: closed by the peer after [0-9]+ bytes, 3[1-5][0-9]{3} ms" "$d/drip.out"
else
	t_fail "$T_NAME: the client ends" "still running after 45 s"
	p_stop "$dpid"
fi
probe "after the drip"

T_NAME="listen"
rss=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$lpid/status" 2>/dev/null)
t_check "peak RSS $((${rss:-0} / 1024)) MB (under $((listen_rss_max / 1024)) MB)" \
	test "${rss:-0}" -lt "$listen_rss_max"
T_NAME="listen: SIGTERM"
t0=$(p_now_ms)
kill -TERM "$lpid"
if p_wait_exit "$lwrap" 100; then
	ms=$(($(p_now_ms) - t0))
	t_check "ends in $ms ms (under 5 s)" test "$ms" -lt 5000
	t_eq "$T_NAME: exit 0" 0 "$P_RC"
else
	t_fail "$T_NAME: ends" "still running 10 s later"
	p_stop "$lwrap"
fi
T_NAME="listen"
T_OUT=$lout T_ERR=$lerr
t_lacks_re() { ! grep -qE -e "$1" "$2"; }
t_check "no sanitizer report on its stderr" t_lacks_re 'AddressSanitizer|LeakSanitizer|runtime error:' \
	"$lerr"
t_done
