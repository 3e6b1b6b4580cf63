#!/bin/sh
# client.sh - `sip listen` and `sip shell` under a hostile client
# (tests/hostile/client.c): garbage datagrams and garbage on TCP, REFERs
# that name the listener itself (in calls and outside them), floods of 5000
# INVITEs from 5000 Call-IDs over UDP and over TCP, never ACKed, 1000 TCP
# connections that send nothing, 10 that drip an OPTIONS a byte a second,
# and 1100 silent connections, more than the listener takes. After each
# attack (during it, for the connections held) a normal `sip options
# --timeout 1` over UDP and over TCP must get 200 within a second, the
# target must be alive, and its memory (VmRSS, VmHWM) and descriptors
# (/proc/PID/fd) must stay within bounds; the figures are in the names of
# the checks. For sip listen, the silent and dripping connections are held
# past its 32 s limit for a message (a dripper must be cut off, and so
# must a connection that never says anything), the flood comes a second
# time once the first one's transactions are over (Timer H, 32 s) and
# must not grow the memory (state kept per Call-ID), and SIGTERM ends it
# within 5 s. sip shell runs a script from a fifo this test holds open, so
# that it stays up with its listener through the attacks; closing the fifo
# must end it with status 0.
# Only 127.0.0.1 is used; every process is bounded by `timeout`, every
# attack by the client's count and deadline, and stopped by its PID.
# shellcheck disable=SC2317 # helpers are called through t_check
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/integration/lib/peers.sh
. "$T_ROOT/tests/integration/lib/peers.sh"

d=$T_TMP
CL=$T_ROOT/tests/hostile/client
# Built by `make test-hostile`; made here when this runs alone.
if ! make -s -C "$T_ROOT" tests/hostile/client >"$d/make.out" 2>&1; then
	t_fail "make tests/hostile/client" "$(head -n 3 "$d/make.out" | tr '\n' ' ')"
	t_done
fi

# The bounds. The listener starts at about 5 MB and keeps about 1.3 KB for
# each transaction a flood leaves (a 486 waits 32 s, Timer H, for its ACK):
# 5000 INVITEs over UDP and 5000 over TCP take it to 15 MB. 64 MB leaves
# room for that several times over, and is what a buffer of 64 KB for each
# of 1000 idle connections would cost. Under ASan, shadow memory and
# redzones double the figures: 128 MB; and the freed blocks it holds back
# would make a heap that frees and reuses look like one that grows, so its
# quarantine is cut to 2 MB here. The second flood, once the first one's
# transactions are over, may add to what they left: 0.3 MB measured (3 to
# 5 MB under ASan), where state kept for each Call-ID would add 9 MB (11 MB
# under ASan).
if LC_ALL=C grep -q -a __asan_init "$SIP"; then
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=2
	export ASAN_OPTIONS
	rss_max=131072
	grow_max=8192
else
	rss_max=65536
	grow_max=4096
fi
# Descriptors: 1000 connections, the target's own dozen at most (sockets,
# pipes, standard streams) and the probe's connection: 1100. Otherwise, the
# count at the start and 3 more: the connections of the probe and of the
# last attack may still be closing.
idle_fds=1100

# Run as `timeout` children; the target's own PID is the child of that.
t_child() {
	pgrep -P "$1" | head -n 1
}

# kb PID FIELD: a figure of /proc/PID/status, in kB.
kb() {
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null
}

# nfds PID: how many descriptors PID has open.
nfds() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l | tr -d ' '
}

# wait_fds PID le|ge N TENTHS: waits until PID's descriptor count is at
# most (le) or at least (ge) N, for at most TENTHS tenths of a second.
wait_fds() {
	w_n=0
	while [ "$w_n" -lt "$4" ]; do
		w_fds=$(nfds "$1")
		case $2 in
		le) [ "$w_fds" -le "$3" ] && return ;;
		*) [ "$w_fds" -ge "$3" ] && return ;;
		esac
		sleep 0.1
		w_n=$((w_n + 1))
	done
}

# probe PROTO: `sip options` over PROTO to the target: status 0, a 200, in
# under a second (process start included).
probe() {
	pr_t0=$(p_now_ms)
	timeout 10 "$SIP" options -q -t "$1" --timeout 1 "127.0.0.1:$tport" \
		</dev/null >"$T_OUT" 2>"$T_ERR" 3>&-
	pr_rc=$?
	pr_ms=$(($(p_now_ms) - pr_t0))
	T_NAME="$tname: $what: OPTIONS over $1"
	if [ "$pr_rc" -eq 0 ] && grep -q ' 200 OK' "$T_OUT" && [ "$pr_ms" -lt 1000 ]; then
		t_ok "$T_NAME: 200 in $pr_ms ms"
	else
		t_fail "$T_NAME: 200 within 1 s" "exit $pr_rc after $pr_ms ms"
		t_show
	fi
}

# checks WHAT FDS_MAX: the target answers over UDP and over TCP, is alive,
# within the memory bound and has at most FDS_MAX descriptors.
checks() {
	what=$1
	probe udp
	probe tcp
	T_NAME="$tname: $what"
	if ! p_alive "$tpid"; then
		t_fail "$T_NAME: alive" "it is gone: $(tail -n 3 "$terr" | tr '\n' ' ')"
		return 1
	fi
	c_rss=$(kb "$tpid" VmRSS)
	c_hwm=$(kb "$tpid" VmHWM)
	c_fds=$(nfds "$tpid")
	c_why=
	[ "${c_rss:-0}" -lt "$rss_max" ] || c_why="$c_why RSS over $((rss_max / 1024)) MB"
	[ "${c_hwm:-0}" -lt "$rss_max" ] || c_why="$c_why peak over $((rss_max / 1024)) MB"
	[ "$c_fds" -le "$2" ] || c_why="$c_why more than $2 descriptors"
	c_fig="$((c_rss / 1024)) MB (peak $((c_hwm / 1024)) MB), $c_fds fds"
	if [ -z "$c_why" ]; then
		t_ok "$T_NAME: alive, $c_fig"
	else
		t_fail "$T_NAME: alive, $c_fig" "$c_why"
	fi
}

# attack NAME MODE ARG...: runs the client against the target, to the
# end: status 0, its summary line in $T_OUT.
attack() {
	T_NAME="$tname: $1"
	a_mode=$2
	shift 2
	timeout 120 "$CL" "$a_mode" 127.0.0.1 "$tport" "$@" </dev/null >"$T_OUT" 2>"$T_ERR" 3>&-
	T_RC=$?
	if [ "$T_RC" -eq 0 ]; then
		t_ok "$T_NAME: $(tail -n 1 "$T_OUT" | cut -c 1-200)"
	else
		t_fail "$T_NAME" "the client exited $T_RC"
		t_show
	fi
}

# hold NAME FILE TEXT MODE ARG...: starts the client in the background
# (its output in FILE, PID in $hpid) and waits until it says TEXT: its
# connections are up.
hold() {
	h_name=$1 h_file=$2 h_text=$3 h_mode=$4
	shift 4
	timeout 120 "$CL" "$h_mode" 127.0.0.1 "$tport" "$@" </dev/null >"$h_file" \
		2>"$h_file.err" 3>&- &
	hpid=$!
	P_PIDS="$P_PIDS $hpid"
	if ! p_wait_text "$h_file" "$h_text" "$hpid" 200; then
		t_fail "$tname: $h_name: the connections are up" "$(cat "$h_file" "$h_file.err" | tr '\n' ' ')"
		p_stop "$hpid"
		return 1
	fi
}

# held NAME PID FILE ERE: the client of hold ended by itself with status 0
# and a summary matching ERE.
held() {
	T_NAME="$tname: $1"
	if ! p_wait_exit "$2" 600; then
		t_fail "$T_NAME: the client ends" "still running"
		p_stop "$2"
		return
	fi
	cp "$3" "$T_OUT"
	cp "$3.err" "$T_ERR"
	t_eq "$T_NAME: the client exits 0" 0 "$P_RC"
	t_check "$(tail -n 1 "$T_OUT" | cut -c 1-200)" grep -qE -e "$4" "$T_OUT"
}

# never_self: the target placed no call to itself: no request came to it
# from its own port.
never_self() {
	T_NAME="$tname: the REFERs"
	t_check "it never called itself (nothing from 127.0.0.1:$tport)" t_lacks \
		"(UDP 127.0.0.1:$tport)" "$tout"
	t_check "nor over TCP" t_lacks "(TCP 127.0.0.1:$tport)" "$tout"
}

# The attacks both targets get; $1 is how long to hold the connections.
attacks() {
	hold_s=$1
	fd0=$(nfds "$tpid")
	checks "at the start" "$fd0"
	fdx=$((fd0 + 3))

	attack "garbage over UDP" garbage -n 1000 -w 500
	t_out_has "1000 of 1000 datagrams sent over UDP"
	# A request it cannot parse (a From, To or Contact) is the client's
	# fault, not the server's: 400, never 500.
	t_check "no 500 among the answers" t_lacks " 500 x" "$T_OUT"
	checks "after 1000 garbage datagrams" "$fdx"
	attack "garbage over TCP" garbage -t tcp -n 130 -w 500
	t_out_has "130 of 130 messages, a connection each, sent over TCP"
	checks "after 130 garbage messages over TCP" "$fdx"

	attack "REFERs to itself, in calls" refer-loop -D -n "$refer_n" -w 2000
	t_out_has "$refer_n REFERs naming the peer itself, $refer_n answered"
	t_check "no transfer to itself went through (no 2xx final NOTIFY)" t_lacks_re \
		'final NOTIFYs: ([^;]*, )?2[0-9][0-9] x'
	attack "REFERs to itself, outside calls" refer-loop -n 10 -w 2000
	t_out_has "10 REFERs naming the peer itself, 10 answered"
	t_check "no transfer to itself went through (no 2xx final NOTIFY)" t_lacks_re \
		'final NOTIFYs: ([^;]*, )?2[0-9][0-9] x'
	never_self
	checks "after $((refer_n + 10)) REFERs to itself" "$fdx"

	attack "INVITE flood over UDP" invite-flood -n 5000 -w 500
	t_out_has "5000 of 5000 INVITEs sent over UDP from 5000 Call-IDs"
	checks "after 5000 INVITEs from 5000 Call-IDs over UDP" "$fdx"
	attack "INVITE flood over TCP" invite-flood -t tcp -n 5000 -w 1000
	t_out_has "5000 of 5000 INVITEs sent over TCP from 5000 Call-IDs"
	checks "after 5000 INVITEs from 5000 Call-IDs over TCP" "$fdx"
	rss1=$(kb "$tpid" VmRSS)

	if hold "1000 idle connections" "$d/$tname-idle.out" holding idle-tcp -n 1000 \
		-s "$hold_s"; then
		ipid=$hpid
		# Up on the client's side may still be queued on the target's.
		wait_fds "$tpid" ge $((fd0 + 1000)) 50
		checks "with 1000 idle TCP connections" "$idle_fds"
		if hold "10 dripping connections" "$d/$tname-drip.out" dripping drip-tcp -k 10 \
			-i 1000 -s "$hold_s"; then
			dpid=$hpid
			sleep 2
			checks "with 10 connections dripping a byte a second, 1000 idle" "$idle_fds"
			held "10 dripping connections" "$dpid" "$d/$tname-drip.out" \
				"drip-tcp: 10 connections dripped"
			if [ "$hold_s" -gt 32 ]; then
				# Its limit for a whole message is 32 s.
				t_check "cut off by the target within $hold_s s" grep -qF \
					"the peer closed 10;" "$T_OUT"
			fi
		fi
		held "1000 idle connections" "$ipid" "$d/$tname-idle.out" \
			"idle-tcp: 1000 of 1000 connections held"
		if [ "$hold_s" -gt 32 ]; then
			# A connection that never says anything is held as long
			# as its client likes: 1024 of them and TCP is shut.
			t_check "closed by the target within $hold_s s, as a dripper is" \
				grep -qF "the peer closed 1000 " "$T_OUT"
		fi
		wait_fds "$tpid" le "$fdx" 50
		checks "after the 1000 idle connections closed" "$fdx"
	fi

	# More than it takes (1024): the probe's connection must still get in.
	if hold "1100 idle connections" "$d/$tname-idle2.out" holding idle-tcp -n 1100 -s 3; then
		ipid=$hpid
		wait_fds "$tpid" ge $((fd0 + 1000)) 50
		checks "with 1100 idle TCP connections" "$idle_fds"
		held "1100 idle connections" "$ipid" "$d/$tname-idle2.out" \
			"idle-tcp: 1100 of 1100 connections held"
		wait_fds "$tpid" le "$fdx" 50
		checks "after the 1100 idle connections closed" "$fdx"
	fi
}

# t_lacks_re ERE: no line of the last output matches ERE.
t_lacks_re() { ! grep -qE -e "$1" "$T_OUT"; }

# sanitizer: the target's stderr has no sanitizer report.
sanitizer() {
	T_NAME="$tname"
	t_check "no sanitizer report on its stderr" t_lacks_re_in \
		'AddressSanitizer|LeakSanitizer|runtime error:' "$terr"
}
t_lacks_re_in() { ! grep -qE -e "$1" "$2"; }
term_status() { [ "$1" -eq 0 ] || [ "$1" -eq 143 ]; }

# ==== sip listen ==============================================================
tname=listen
p_free_port
tport=$P_PORT
tout=$d/listen.out
terr=$d/listen.err
# Answering at once (--ring 0) holds the flood's calls up, unACKed; the
# REFERs are taken (--accept-refer), so that a loop would be tried.
timeout -k 3 200 "$SIP" listen -q --ring 0 --accept-refer "127.0.0.1:$tport" \
	</dev/null >"$tout" 2>"$terr" &
lwrap=$!
P_PIDS="$P_PIDS $lwrap"
if p_wait_text "$terr" "listening on 127.0.0.1:$tport (UDP, TCP)" "$lwrap" 100; then
	tpid=$(t_child "$lwrap")
	refer_n=20
	# Past its 32 s limit for a message, so that the first flood's
	# transactions are over before the second.
	attacks 36
	attack "INVITE flood over UDP, again" invite-flood -n 5000 -w 500
	t_out_has "5000 of 5000 INVITEs sent over UDP from 5000 Call-IDs"
	attack "INVITE flood over TCP, again" invite-flood -t tcp -n 5000 -w 1000
	t_out_has "5000 of 5000 INVITEs sent over TCP from 5000 Call-IDs"
	checks "after 20000 INVITEs" "$fdx"
	rss2=$(kb "$tpid" VmRSS)
	t_check "the second flood grew it by $((rss2 - rss1)) kB (at most $grow_max kB)" \
		test "$((rss2 - rss1))" -le "$grow_max"
	T_NAME="listen: SIGTERM"
	t0=$(p_now_ms)
	kill -TERM "$tpid"
	if p_wait_exit "$lwrap" 100; then
		ms=$(($(p_now_ms) - t0))
		t_check "ends in $ms ms (under 5 s)" test "$ms" -lt 5000
		# 0 when it has ended what it started, 143 when that took 3 s.
		t_check "exit $P_RC (0 or 143)" term_status "$P_RC"
	else
		t_fail "$T_NAME: ends" "still running 10 s later"
		p_stop "$lwrap"
	fi
	sanitizer
else
	t_fail "sip listen starts" "$(head -n 3 "$terr" | tr '\n' ' ')"
	p_stop "$lwrap"
fi

# ==== sip shell ===============================================================
tname=shell
p_free_port
tport=$P_PORT
tout=$d/shell.out
terr=$d/shell.err
mkfifo "$d/shell.in"
timeout -k 3 200 "$SIP" shell -l "127.0.0.1:$tport" <"$d/shell.in" >"$tout" 2>"$terr" &
swrap=$!
P_PIDS="$P_PIDS $swrap"
# Held open by this script, so that the shell's input does not end.
exec 3>"$d/shell.in"
# Calls answered, after a second of ringing: the REFERs come in calls.
printf '%s\n' 'set answer auto' >&3
if p_wait_listen udp "$tport" "$swrap" 100 && p_wait_listen tcp "$tport" "$swrap" 50; then
	tpid=$(t_child "$swrap")
	refer_n=5
	attacks 6
	T_NAME="shell: the end of its input"
	t0=$(p_now_ms)
	exec 3>&-
	if p_wait_exit "$swrap" 150; then
		ms=$(($(p_now_ms) - t0))
		t_eq "$T_NAME: exit 0" 0 "$P_RC"
		# It gives the calls left 5 s to end (sip-shell(1)); then it frees
		# what the floods left, and under the sanitizers LeakSanitizer
		# scans the heap: 210 ms here, more on a slower machine.
		t_check "ends in $ms ms (under 7 s)" test "$ms" -lt 7000
	else
		t_fail "$T_NAME: the shell ends" "still running 15 s later"
		p_stop "$swrap"
	fi
	sanitizer
else
	exec 3>&-
	t_fail "sip shell -l 127.0.0.1:$tport starts" "$(head -n 3 "$terr" | tr '\n' ' ')"
	p_stop "$swrap"
fi

t_done
