#!/bin/sh
# shell.sh - `sip shell` as a user runs it, against real peers on loopback:
# `sip listen -q` answers OPTIONS and calls, SIPp takes a call, Kamailio is
# the registrar (as a proxy with its bindings in memory, and with digest
# authentication), and a UDP socket that answers nothing stands for a dead
# server.
# Script mode (a pipe, a file): help, comments and quoting (a header that
# reaches the wire as written), `source`, `set`/`show`/`unset` (and that
# `set t1` shortens the retransmissions), a bad line that stops the script
# (the lines after it never run), --keep-going (they do; the first failure's
# code is the exit), `exit N`, `wait` with a deadline; a registration kept
# (`register -k`) listed by `regs`, marked "(this one)" by a query on the
# same stack, removed by `unregister` or at the end of the script, and
# refreshed while a slow pipe has not sent the next line.
# Calls and subscriptions in scripts, against `sip listen` peers: a call
# placed, listed, sent DTMF, held, resumed, updated and hung up (the peer's
# log says each), `bye` of no call and `hold` twice refused, a transfer to a
# peer that takes it (the target's log has the call), a dialog subscription
# telling a call's states, `subs`, `unsubscribe`; calls and a MESSAGE to the
# shell's own listener, answered by itself or rejected by the script.
# Interactive, in a real terminal (tmux, its own socket and no user
# configuration): the prompt, Tab completing a command, an option and a URI
# typed before, refresh lines above a half-typed line that stays whole,
# Ctrl-C dropping the line and ending a ping (its summary, the shell stays),
# a call to SIPp placed, listed, its number completed by Tab and hung up,
# the history file (0600, without the line typed after a space and the
# password) recalled by Up in the next session, Ctrl-D removing the binding;
# then, through Kamailio to the shell's binding, a MESSAGE and a ringing
# call announced above a half-typed line, the call answered by hand, Tab
# completing the number of a call placed for `bye`.
# What review found: a second account's registration and a plain probe
# between refreshes leave each registration its own credentials (after `set
# password` too), incoming calls refuse what only placed calls take, `listen
# ADDR` in a shell started with -l, a subscription's NOTIFYs in a raw
# script, `unsubscribe` not called an interruption, a `bye` right after
# `dtmf` or `hold` waiting for them, and a job that does not end at the end
# of a script named and failing it.
# Every peer is on a free port and stopped by its PID; every sip is bounded
# by `timeout`, and the tmux server is killed at the end.
# shellcheck disable=SC2317 # helpers are called through t_run and t_check
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/integration/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

d=$T_TMP
# The history of the interactive sessions goes here, never to the real home.
XDG_STATE_HOME=$d/state
export XDG_STATE_HOME

t_need "sip shell against sip listen, SIPp and Kamailio" kamailio jq sipp=sip-tester || t_done

# sipc ARG...: the sip under test, bounded in time.
sipc() { timeout 30 "$SIP" "$@"; }

# piped FILE ARG...: `sip shell ARG...` reading FILE through a pipe.
piped() {
	pf=$1
	shift
	# shellcheck disable=SC2002 # a pipe, not a file, is what is tested
	cat "$pf" | timeout 30 "$SIP" shell "$@"
}

# script NAME LINE...: the lines, one each, in $d/NAME.sip.
script() {
	sn=$1
	shift
	printf '%s\n' "$@" >"$d/$sn.sip"
}

# has_binding PORT FILE: FILE lists a binding on 127.0.0.1:PORT.
has_binding() { grep -q "^  sip:[^ ]*@127\.0\.0\.1:$1\([ >;]\|\$\)" "$2"; }
lacks_binding() { ! has_binding "$@"; }

# t_out_re / t_err_re REGEX: a line of the last output matches REGEX.
t_out_re() { t_check "stdout matches '$1'" grep -qE -e "$1" "$T_OUT"; }
t_err_re() { t_check "stderr matches '$1'" grep -qE -e "$1" "$T_ERR"; }

# count_re FILE REGEX: lines of FILE matching REGEX.
count_re() { grep -Ec -e "$2" "$1"; }

# t_jq DESCRIPTION FILTER: jq -e FILTER holds on the last stdout read as one
# array of its JSON values (jq -s).
t_jq() { t_check "$1" t_jq_true "$2"; }
t_jq_true() { jq -s -e "$1" "$T_OUT" >/dev/null 2>&1; }

p_free_port
lp=$P_PORT
p_start "$d/listen.log" "$SIP" listen -q "127.0.0.1:$lp"
if ! p_wait_listen udp "$lp" "$P_PID" 50; then
	t_fail "sip listen -q as the peer" "$(head -n 2 "$d/listen.log" | tr '\n' ' ')"
	t_done
fi
peer=127.0.0.1:$lp

# --- script mode ---------------------------------------------------------------
script_tests() {
	script basic '# a comment line' '' 'help' "options -q $peer   # to the end of the line"
	t_run "script from a pipe: help, then options -q" 0 piped "$d/basic.sip"
	t_out_has "The shell's own:"
	t_out_has "unregister N"
	t_check "the answer of the peer" grep -qE "^Answer: +$peer 200 OK" "$T_OUT"
	# No prompt, no greeting: a script's output is the commands' alone.
	t_out_lacks "sip> "
	t_err_empty

	script stop "options -q $peer" 'bogus --flag' 'help'
	T_STDIN=$d/stop.sip t_run "script from a file: a bad line stops it, exit 2" 2 \
		timeout 30 "$SIP" shell
	t_err_has "sip: 'bogus' is not a command; 'help' lists them"
	t_check "the line before ran" grep -qE "^Answer: +$peer 200 OK" "$T_OUT"
	t_out_lacks "The shell's own:"

	# A port nobody listens on refuses (exit 4), after the bad line's 2.
	p_free_port
	script going 'bogus' "options -q 127.0.0.1:$P_PORT" 'help'
	T_STDIN=$d/going.sip t_run "--keep-going: the later lines run, exit 2 (the first failure)" 2 \
		timeout 30 "$SIP" shell --keep-going
	t_err_has "'bogus' is not a command"
	t_err_has "connection refused"
	t_out_has "The shell's own:"

	# Quotes as in sh: a header with runs of spaces and a '#' inside quotes
	# reaches the wire as written; a '\ ' joins words.
	script quoting "options -o json -H 'X-Said: a  b # not a comment' -H \"X-Two: \\\"q\\\"\" -H X-Three:\\ c $peer # a comment"
	t_run "quoting: single, double, backslash; # inside quotes" 0 piped "$d/quoting.sip"
	t_jq "X-Said as written, # and all" \
		'map(select(.direction == "sent")) | .[0].headers | map(select(.name == "X-Said")) | .[0].value == "a  b # not a comment"'
	t_jq "X-Two with its escaped quotes" \
		'map(select(.direction == "sent")) | .[0].headers | map(select(.name == "X-Two")) | .[0].value == "\"q\""'
	t_jq "X-Three after the backslashed space" \
		'map(select(.direction == "sent")) | .[0].headers | map(select(.name == "X-Three")) | .[0].value == "c"'
	t_jq "the peer answered 200" 'map(select(.summary)) | .[0].summary.status == 200'

	script unterminated "set from \"abc" 'help'
	t_run "an unterminated quote: exit 2" 2 piped "$d/unterminated.sip"
	t_err_has "sip: unterminated quote"
	t_out_lacks "The shell's own:"

	script settings 'set user alice' 'set transport tcp' \
		"set from '\"Alice Desk\" <sip:alice@127.0.0.1>'" 'set t1 100' 'show' \
		'set user' 'unset user' 'unset t1' 'show'
	t_run "set, show, set NAME, unset" 0 piped "$d/settings.sip"
	t_check "show: user alice, then -" test "$(grep -E '^user +' "$T_OUT" | tr -s ' ' | tr '\n' '|')" = "user alice|user -|"
	t_check "show: t1 100, then -" test "$(grep -E '^t1 +' "$T_OUT" | tr -s ' ' | tr '\n' '|')" = "t1 100|t1 -|"
	t_out_re '^transport +tcp$'
	t_out_re '^from +"Alice Desk" <sip:alice@127\.0\.0\.1>$'
	t_out_re '^password +-$'
	t_check "set user alone prints its value" grep -qx alice "$T_OUT"

	script badset 'set colour red' 'help'
	t_run "set of an unknown name: exit 2" 2 piped "$d/badset.sip"
	t_err_has "unknown setting 'colour'"
	script badt1 'set t1 fast'
	t_run "set t1 with a bad value: exit 2" 2 piped "$d/badt1.sip"
	t_err_has "t1"

	# `set t1 50` makes the whole transaction 64 * 50 ms: the dead server
	# gets its retransmissions that fast, and the timeout comes after 3.2 s
	# (the default T1 would take 32 s, past `timeout 30`).
	p_free_port
	bh=$P_PORT
	if p_blackhole "$d/bh.log" "$bh"; then
		bhpid=$P_PID
		script t1 'set t1 50' "options -q 127.0.0.1:$bh"
		t0=$(p_now_ms)
		t_run "set t1 50, then options to a server that never answers: exit 3" 3 \
			piped "$d/t1.sip"
		ms=$(($(p_now_ms) - t0))
		t_err_has "timed out"
		t_check "not before 64 * T1 ($ms ms)" test "$ms" -ge 3000
		t_check "nor long after it" test "$ms" -lt 6000
		t_check "7 requests, T1 doubling from 50 ms ($(count_re "$d/bh.log" datagram))" \
			test "$(count_re "$d/bh.log" datagram)" -ge 6
		p_stop "$bhpid"
	else
		t_fail "a server that never answers" "$P_WHY"
	fi

	printf '%s\n' 'set t1 100' "options -q $peer" >"$d/inc.sip"
	script source "source $d/inc.sip" 'show' "source $d/missing.sip" 'help'
	t_run "source FILE runs its lines; a missing one: exit 2" 2 piped "$d/source.sip"
	t_check "the sourced options ran" grep -qE "^Answer: +$peer 200 OK" "$T_OUT"
	t_out_re '^t1 +100$'
	t_err_has "sip: source: cannot read '$d/missing.sip'"
	t_out_lacks "The shell's own:"

	script exit5 'show' 'exit 5' 'help'
	t_run "exit 5: exit status 5, nothing after it runs" 5 piped "$d/exit5.sip"
	t_out_re '^t1 +-$'
	t_out_lacks "The shell's own:"
	t_err_empty
	script quit 'quit' 'bogus'
	t_run "quit: exit 0" 0 piped "$d/quit.sip"
	t_err_empty
}

# --- script mode: calls and subscriptions --------------------------------------
# listen_peer LOG ARG...: `sip listen -q` on a free port with ARGs, its
# output in LOG; port in $P_PORT, PID in $P_PID. Rings 0.2 s: the default
# second, paid by every call here, would be most of the section's time.
listen_peer() {
	lpl=$1
	shift
	p_free_port || return 1
	p_start "$lpl" "$SIP" listen -q --ring 0.2 "127.0.0.1:$P_PORT" "$@"
	if ! p_wait_listen udp "$P_PORT" "$P_PID" 50; then
		t_fail "sip listen -q $* as a peer" "$(head -n 2 "$lpl" | tr '\n' ' ')"
		return 1
	fi
}

# said FILE REGEX: a line of FILE (a peer's log) matches REGEX, within 2 s:
# the peer may write it a moment after it answered.
said() {
	sd_n=0
	until grep -qE -e "$2" "$1"; do
		[ "$sd_n" -ge 20 ] && return 1
		sleep 0.1
		sd_n=$((sd_n + 1))
	done
}

# in_order FILE REGEX...: lines matching each REGEX come in FILE in that order.
in_order() {
	io_f=$1
	shift
	io_prev=0
	for io_re in "$@"; do
		io_n=$(grep -nE -e "$io_re" "$io_f" | head -n 1 | cut -d: -f1)
		[ -n "$io_n" ] && [ "$io_n" -gt "$io_prev" ] || return 1
		io_prev=$io_n
	done
}

# shell_bg FILE PORT: `sip shell -l 127.0.0.1:PORT` reading FILE through a
# pipe in the background (output in $d/bg.out, $d/bg.err) until it listens;
# its PID in $bgpid.
shell_bg() {
	: >"$d/bg.out"
	: >"$d/bg.err"
	piped "$1" -l "127.0.0.1:$2" >"$d/bg.out" 2>"$d/bg.err" &
	bgpid=$!
	P_PIDS="$P_PIDS $bgpid"
	p_wait_listen udp "$2" "$bgpid" 50
}

# shell_bg_end NAME: waits for the shell_bg shell to end by itself; its
# output becomes the last output and its status is checked as 0.
shell_bg_end() {
	T_NAME=$1
	if p_wait_exit "$bgpid" 150; then
		t_eq "$T_NAME: the shell exits 0" 0 "$P_RC"
	else
		t_fail "$T_NAME: the shell ends" "still running after 15 s"
		p_stop "$bgpid"
	fi
	cp "$d/bg.out" "$T_OUT"
	cp "$d/bg.err" "$T_ERR"
}

# notifys_counted: the last output's `subs` line counts the NOTIFY lines above it.
notifys_counted() {
	awk '/^NOTIFY: / { n++ } /^sub 1  / { seen = 1; ok = ($(NF - 1) == n) } END { exit !(seen && ok) }' "$T_OUT"
}

call_script_tests() {
	listen_peer "$d/bob.log" || return
	bob=sip:bob@127.0.0.1:$P_PORT
	bre=sip:bob@127\\.0\\.0\\.1:$P_PORT
	listen_peer "$d/xfer.log" --accept-refer || return
	xfer=sip:bob@127.0.0.1:$P_PORT
	xport=$P_PORT
	listen_peer "$d/carol.log" || return
	carol=sip:carol@127.0.0.1:$P_PORT

	# The sleeps let each step finish: the shell goes on with the next line
	# as soon as a request is sent, and a re-INVITE under way refuses the next.
	script call "invite -q $bob" 'calls' 'dtmf 1 12#' 'sleep 0.5' 'hold 1' 'sleep 0.5' \
		'calls' 'unhold 1' 'sleep 0.5' 'update 1' 'sleep 0.5' 'bye 1' 'wait 5' 'calls'
	t_run "invite, calls, dtmf, hold, unhold, update, bye, wait" 0 piped "$d/call.sip"
	t_out_re "^call 1  $bre, up [0-9]+ s, 127\.0\.0\.1:4000 PCMU/8000"
	t_out_re "^call 1  $bre, on hold [0-9]+ s, "
	t_check "the last line: no calls" test "$(tail -n 1 "$T_OUT")" = "no calls"
	t_out_re '^Call: +200 OK after '
	t_out_re '^Ended: +held [0-9.]+ s, hung up by us \(BYE answered\)$'
	t_err_empty
	T_OUT=$d/bob.log
	t_check "the peer: call 1 ended by our BYE" said "$T_OUT" "^Call 1: .* ended by the far end's BYE after "
	t_check "the peer: DTMF 1, 2, # by INFO, in order" in_order "$T_OUT" \
		'^Call 1: .* DTMF 1 \(INFO\)$' '^Call 1: .* DTMF 2 \(INFO\)$' '^Call 1: .* DTMF # \(INFO\)$'
	t_check "the peer: put on hold, taken off hold, UPDATE, BYE, in order" in_order "$T_OUT" \
		'^Call 1: .* put on hold by the far end \(sendonly\)$' \
		'^Call 1: .* taken off hold: .*sendrecv$' '^Call 1: .* UPDATE: .*sendrecv$' \
		"^Call 1: .* ended by the far end's BYE after "
	T_OUT=$T_TMP/out

	script nocall 'bye 9' 'help'
	t_run "bye 9, no such call: exit 2, the script stops" 2 piped "$d/nocall.sip"
	t_err_lines 1
	t_err_has "sip: bye: no call 9 (see 'calls')"
	t_out_empty

	script twice "invite -q $bob" 'hold 1' 'sleep 0.5' 'hold 1' 'calls'
	t_run "hold 1 twice, --keep-going: exit 2" 2 piped "$d/twice.sip" --keep-going
	t_err_lines 1
	t_err_has "sip: hold: call 1 is on hold already"
	t_out_re "^call 1  $bre, on hold [0-9]+ s, "
	t_out_re '^Ended: +held [0-9.]+ s, hung up by us \(BYE answered\)$'

	script transfer "invite -q $xfer" "transfer 1 $carol" 'wait 10' 'calls'
	t_run "transfer 1 to a peer that takes it" 0 piped "$d/transfer.sip"
	t_check "Progress: 100, 180, 200, then Transfer: 200 OK" in_order "$T_OUT" \
		'^Progress: +100 Trying$' '^Progress: +180 Ringing$' '^Progress: +200 OK' \
		'^Transfer: +200 OK after '
	# Both ends may hang up once the transfer worked (RFC 5589 section 6).
	t_out_re '^Ended: +held [0-9.]+ s, hung up by (us \(BYE answered\)|them)$'
	t_check "no calls after" test "$(tail -n 1 "$T_OUT")" = "no calls"
	t_check "the transfer target's log: a call from the transferee" said "$d/carol.log" \
		"^Call 1: .* from sip:sip@127\.0\.0\.1 \(UDP 127\.0\.0\.1:$xport\)$"
	t_check "...which it answered" said "$d/carol.log" '^Call 1: .* confirmed \(ACK\)'
	t_check "the transferee's log: 200 OK: transferred" said "$d/xfer.log" \
		'^Transfer: .* 200 OK: transferred$'

	script sub "subscribe -q --event dialog $bob" "invite -q -d 1 $bob" 'sleep 3' 'subs' \
		'unsubscribe 1' 'wait 5' 'subs'
	t_run "subscribe to dialog, a call, subs, unsubscribe" 0 piped "$d/sub.sip"
	t_check "the dialog early, confirmed, terminated" in_order "$T_OUT" \
		'^  dialog [^ ]+: early, ' '^  dialog [^ ]+: confirmed, ' '^  dialog [^ ]+: terminated, '
	t_out_re "^NOTIFY: +[0-9.]+ s  active;expires=[0-9]+  $bre: 1 dialog \(full, version [0-9]+\)$"
	t_out_re "^sub 1  $bre dialog, [34] NOTIFYs$"
	t_check "subs counts the NOTIFYs printed before it" notifys_counted
	t_out_re '^Ended: +[0-9.]+ s  #1 terminated by the notifier'
	t_check "the last line: no subscriptions" test "$(tail -n 1 "$T_OUT")" = "no subscriptions"
	t_err_empty

	# Incoming: the shell's own listener answers by itself after 1 s.
	p_free_port
	sp=$P_PORT
	script incoming 'set answer auto' 'sleep 5'
	if shell_bg "$d/incoming.sip" "$sp"; then
		t_run "a call to the shell (set answer auto): invite -d 1 exits 0" 0 \
			sipc invite -q -d 1 "sip:me@127.0.0.1:$sp"
		t_run "a MESSAGE to the shell: exit 0" 0 sipc message -q "sip:me@127.0.0.1:$sp" hello
		shell_bg_end "incoming, set answer auto"
		t_check "the call rang, was answered and ended by their BYE" in_order "$T_OUT" \
			'^Call 1: .* from sip:sip@127\.0\.0\.1 \(UDP 127\.0\.0\.1:[0-9]+\)$' \
			'^Call 1: .* 180 Ringing' '^Call 1: .* 200 OK$' \
			"^Call 1: .* ended by the far end's BYE after "
		t_out_re '^MESSAGE: +[0-9.]+ s  from sip:sip@127\.0\.0\.1 \(UDP 127\.0\.0\.1:[0-9]+\): 200 OK: hello$'
		t_err_empty
	else
		t_fail "sip shell -l 127.0.0.1:$sp listens" "$(head -n 2 "$d/bg.err")"
	fi

	# Manual, the default: the call rings until `reject`.
	p_free_port
	sp=$P_PORT
	script reject 'sleep 2' 'calls' 'reject 1 603' 'sleep 1'
	if shell_bg "$d/reject.sip" "$sp"; then
		sleep 0.3
		t_run "a call the shell's script rejects with 603: exit 1" 1 \
			sipc invite -q "sip:me@127.0.0.1:$sp"
		t_err_has "603 Decline"
		shell_bg_end "reject 1 603"
		t_out_re "^Call 1: .* 180 Ringing, sip:sip@127\.0\.0\.1 calls sip:me@127\.0\.0\.1:$sp: 'answer 1' or 'reject 1 \[CODE\]'$"
		t_out_re '^Call 1: .* declined with 603 Decline$'
		t_out_re '^call 1  from sip:sip@127\.0\.0\.1, ringing \(incoming\)$'
		t_err_empty
	else
		t_fail "sip shell -l 127.0.0.1:$sp listens" "$(head -n 2 "$d/bg.err")"
	fi
}

# --- script mode with a registrar ----------------------------------------------
register_script_tests() {
	mkdir -p "$d/proxy"
	p_free_port
	kp=$P_PORT
	if ! p_kamailio_proxy "$d/proxy" "$kp"; then
		t_fail "kamailio as a registrar" "$P_WHY"
		return 1
	fi
	aor=sip:alice@127.0.0.1:$kp

	script reg "register -k -e 60 -q $aor" 'regs' "register --query -q $aor" \
		'unregister 1' 'wait 5' "register --query -q $aor" 'regs'
	t_run "register -k, regs, query, unregister 1, wait, query" 0 piped "$d/reg.sip"
	t_out_has "registered <sip:alice@127.0.0.1> for 60 s; kept as reg 1 ('unregister 1' removes it)"
	t_out_re "^reg 1  <sip:alice@127\.0\.0\.1> at 127\.0\.0\.1:$kp, (59|60) s left, not refreshed yet$"
	rport=$(sed -n 's/^  sip:alice@127\.0\.0\.1:\([0-9]*\)  expires 60 s  (this one)$/\1/p' "$T_OUT" |
		head -n 1)
	t_check "the binding is on the shell's port (${rport:-none})" test -n "$rport"
	t_check "the query in the same shell marks it (this one)" \
		test "$(count_re "$T_OUT" "^  sip:alice@127\.0\.0\.1:${rport:-x}  expires [0-9]+ s  \(this one\)$")" -eq 2
	t_check "the last query: no binding" \
		test "$(grep -v '^reg \|^no reg' "$T_OUT" | tail -n 1)" = "no bindings for <sip:alice@127.0.0.1>"
	t_check "regs after it: none" grep -qE '^no reg(s|istrations)$' "$T_OUT"
	t_run "...and another process's query agrees" 0 sipc register --query -q "$aor"
	t_check "no binding on port ${rport:-?}" lacks_binding "${rport:-x}" "$T_OUT"

	# The end of the script removes what it kept.
	script kept "register -k -e 60 -q $aor"
	t_run "a script that ends with a binding kept" 0 piped "$d/kept.sip"
	kport=$(sed -n 's/^  sip:alice@127\.0\.0\.1:\([0-9]*\)  expires 60 s  (this one)$/\1/p' "$T_OUT")
	t_check "it was registered (port ${kport:-none})" test -n "$kport"
	t_run "a query after it" 0 sipc register --query -q "$aor"
	t_check "no binding on port ${kport:-?}" lacks_binding "${kport:-x}" "$T_OUT"

	script waiting "register -k -e 60 -q $aor" 'wait 0.5' 'regs'
	t_run "wait 0.5 with a binding kept: exit 3, the script stops" 3 piped "$d/waiting.sip"
	t_out_lacks "reg 1  "
	wport=$(sed -n 's/^  sip:alice@127\.0\.0\.1:\([0-9]*\)  expires 60 s  (this one)$/\1/p' "$T_OUT")
	t_run "a query after it" 0 sipc register --query -q "$aor"
	t_check "its binding (port ${wport:-none}) was there" test -n "$wport"
	t_check "and is gone" lacks_binding "${wport:-x}" "$T_OUT"

	# A pipe whose next line is slow to come: the loop turns meanwhile, a
	# 4 s binding is refreshed (every half of it) and says so on stderr.
	T_NAME="a slow pipe: register -k -e 4, 5 s, regs"
	{
		echo "register -k -e 4 $aor"
		sleep 5
		echo regs
	} | timeout 30 "$SIP" shell >"$T_OUT" 2>"$T_ERR"
	t_eq "$T_NAME: exit 0" 0 "$?"
	t_check "refreshed meanwhile, on stderr" \
		test "$(count_re "$T_ERR" '^sip: register: refreshed <sip:alice@127\.0\.0\.1> for 4 s$')" -ge 1
	t_out_re "^reg 1  <sip:alice@127\.0\.0\.1> at 127\.0\.0\.1:$kp, [0-9] s left, refreshed (once|[2-9] times|[1-9][0-9]+ times)$"
	t_err_has "sip: register: removing the binding of <sip:alice@127.0.0.1>"
	return 0
}

# With digest authentication: `set user` and `set password` in a script
# answer the challenges of the first REGISTER, of its refreshes and of the
# removal at the end.
auth_script_tests() {
	mkdir -p "$d/reg"
	# shellcheck disable=SC2034 # for p_kamailio_registrar
	P_USERS="alice:secret bob:bobpw"
	p_free_port
	ap=$P_PORT
	if ! p_kamailio_registrar "$d/reg" "$ap"; then
		t_fail "kamailio as a registrar with authentication" "$P_WHY"
		return
	fi
	aaor=sip:alice@127.0.0.1:$ap
	baor=sip:bob@127.0.0.1:$ap
	printf 'bobpw\n' >"$d/bob.pw"
	chmod 600 "$d/bob.pw"
	# Two accounts on the one stack, a probe with none between their
	# refreshes, and `set password` forgetting what the stack knew: each
	# refresh is answered for its own registration's user.
	script accounts 'set password secret' "register -k -e 2 -q -u alice $aaor" \
		"register -k -e 2 -q -u bob --password-file $d/bob.pw $baor" "options -q $peer" \
		'set password secret' 'sleep 2.5' 'regs'
	t_run "two accounts, a probe between, set password again: both refreshed" 0 \
		piped "$d/accounts.sip"
	t_out_re "^reg 1  <sip:alice@127\.0\.0\.1> at 127\.0\.0\.1:$ap, [0-9] s left, refreshed (once|[2-9] times)$"
	t_out_re "^reg 2  <sip:bob@127\.0\.0\.1> at 127\.0\.0\.1:$ap, [0-9] s left, refreshed (once|[2-9] times)$"
	t_err_empty
	t_check "bobpw is nowhere in the output" t_lacks bobpw "$T_OUT"
	script auth 'set user alice' 'set password secret' "register -k -e 2 -q $aaor" \
		'sleep 2.5' 'regs' "register --query -q $aaor" 'show'
	t_run "set user, set password, register -k -e 2 with digest" 0 piped "$d/auth.sip"
	t_out_has "registered <sip:alice@127.0.0.1> for 2 s; kept as reg 1"
	t_out_re "^reg 1  <sip:alice@127\.0\.0\.1> at 127\.0\.0\.1:$ap, [0-9] s left, refreshed (once|[2-9] times|[1-9][0-9]+ times)$"
	t_out_re '^  sip:alice@127\.0\.0\.1:[0-9]+  expires [0-9]+ s  \(this one\)$'
	t_out_re '^password +\(set\)$'
	t_check "the password is nowhere in the output" t_lacks secret "$T_OUT"
	t_err_empty
	t_run "...its binding removed at the end" 0 \
		env SIP_PASSWORD=secret timeout 30 "$SIP" register -u alice --query -q "$aaor"
	t_out_has "no bindings for <sip:alice@127.0.0.1>"

	script nopass 'set password' 'help'
	t_run "set password without a value and no terminal: exit 2" 2 piped "$d/nopass.sip"
	t_err_has "no terminal to ask on"
	t_out_lacks "The shell's own:"
}

# --- interactive, in tmux -------------------------------------------------------
tx=sip-shell
# tm ARG...: tmux on a socket of this test's own, without any user's configuration.
tm() { env -u TMUX tmux -S "$d/tmux.sock" -f /dev/null "$@"; }

# tx_start [ARG...]: a session whose pane runs `sip shell ARG...` (readline
# without any user's inputrc; the ARGs are words without quotes), then says
# how it exited and stays for the screen to be read.
tx_start() {
	tm new-session -d -s "$tx" -x 120 -y 40 \
		"env XDG_STATE_HOME='$XDG_STATE_HOME' INPUTRC=/dev/null timeout --foreground 60 '$SIP' shell $*; echo \"shell exited \$?\"; exec sleep 60"
}
tx_kill() { tm kill-server 2>/dev/null; }

# screen: the pane as it shows now, in $T_OUT; $T_LAST its last line that is not blank.
screen() {
	tm capture-pane -p -t "$tx" >"$T_OUT" 2>"$T_ERR"
	T_LAST=$(grep -v '^ *$' "$T_OUT" | tail -n 1)
}

# tx_until CMD...: takes the screen until CMD holds on it, within 10 s.
tx_until() {
	tu_n=0
	while :; do
		screen
		"$@" && return 0
		[ "$tu_n" -ge 100 ] && return 1
		sleep 0.1
		tu_n=$((tu_n + 1))
	done
}

# last_is REGEX: the screen's last line that is not blank matches REGEX.
last_is() { printf '%s\n' "$T_LAST" | grep -qE -e "$1"; }

# more_than REGEX MIN LAST: more than MIN lines match REGEX and the last one LAST.
more_than() { [ "$(count_re "$T_OUT" "$1")" -gt "$2" ] && last_is "$3"; }

# tx_has REGEX: a line of the screen matches REGEX, within 10 s.
tx_has() { tx_until grep -qE -e "$1" "$T_OUT"; }

# tx_last REGEX: the last line of the screen matches REGEX (the
# prompt's trailing space is trimmed by tmux), within 10 s.
tx_last() { tx_until last_is "$1"; }

# tx_more REGEX MIN LAST: one screen where more than MIN lines match REGEX
# and the last line matches LAST, within 10 s (both at once: a screen taken
# between the clearing of the line and its redrawing has no prompt).
tx_more() { tx_until more_than "$@"; }

# above_last REGEX: the line above the screen's last one that is not blank matches REGEX.
above_last() { grep -v '^ *$' "$T_OUT" | tail -n 2 | head -n 1 | grep -qE -e "$1"; }

# keys KEY...: tmux send-keys to the pane.
keys() { tm send-keys -t "$tx" "$@"; }

PROMPT='^sip>$'
REFRESH='^sip: register: refreshed <sip:alice@127\.0\.0\.1> for 4 s$'

interactive_tests() {
	T_NAME="interactive"
	t_need "$T_NAME" tmux || return
	hist=$XDG_STATE_HOME/sip/history
	tx_start
	T_NAME="interactive: the prompt"
	t_check "the greeting" tx_has "^sip: shell: listening on 0\.0\.0\.0:[0-9]+ \(UDP, TCP\); 'help' for the commands$"
	sport=$(sed -n 's/^sip: shell: listening on 0\.0\.0\.0:\([0-9]*\) .*/\1/p' "$T_OUT")
	t_check "'sip> '" tx_last "$PROMPT"

	T_NAME="interactive: Tab"
	keys opt Tab
	t_check "opt completes to 'options '" tx_last '^sip> options$'
	keys -- --ti Tab
	t_check "--ti completes to --timeout (after the space the first Tab added)" \
		tx_last '^sip> options --timeout$'
	keys C-u "options -q $peer" Enter
	t_check "options -q: the peer's answer" tx_has "^Answer: +$peer 200 OK"
	t_check "back at the prompt" tx_last "$PROMPT"

	T_NAME="interactive: register -k -e 4"
	keys "register -k -e 4 $aor" Enter
	t_check "registered, kept as reg 1" tx_has \
		"^registered <sip:alice@127\.0\.0\.1> for 4 s; kept as reg 1 \('unregister 1' removes it\)$"
	t_check "back at the prompt" tx_last "$PROMPT"
	t_check "on the shell's port ($sport)" grep -qE \
		"^  sip:alice@127\.0\.0\.1:$sport  expires 4 s  \(this one\)$" "$T_OUT"

	T_NAME="interactive: Tab, a URI typed before"
	keys "register --query -q sip:al" Tab
	t_check "sip:al completes to $aor" tx_last "^sip> register --query -q $aor\$"
	keys Enter
	t_check "the query marks the binding (this one)" tx_last "$PROMPT"
	t_check "twice on the screen now" test "$(count_re "$T_OUT" "^  sip:alice@127\.0\.0\.1:$sport  expires [0-9] s  \(this one\)$")" -eq 2

	T_NAME="interactive: refreshes above a half-typed line"
	screen
	n0=$(count_re "$T_OUT" "$REFRESH")
	keys "options half"
	t_check "a refresh line comes and 'sip> options half' is still the last line" \
		tx_more "$REFRESH" "$n0" '^sip> options half$'
	t_check "the half-typed line is on the screen once" \
		test "$(count_re "$T_OUT" 'options half')" -eq 1
	t_check "the refresh is right above it" above_last "$REFRESH"

	T_NAME="interactive: Ctrl-C at the prompt"
	keys C-c
	t_check "^C, a new empty prompt" tx_last "$PROMPT"
	t_check "the dropped line ends in ^C" grep -q '^sip> options half^C$' "$T_OUT"
	keys regs Enter
	t_check "regs: reg 1, refreshed" tx_has \
		"^reg 1  <sip:alice@127\.0\.0\.1> at 127\.0\.0\.1:$kp, [0-9] s left, refreshed (once|[2-9] times|[1-9][0-9]+ times)$"
	t_check "the dropped text is not in the next line" grep -q '^sip> regs$' "$T_OUT"

	T_NAME="interactive: Ctrl-C ends a ping"
	keys "options -c 1000 -i 0.2 $peer" Enter
	t_check "the ping runs" tx_has "^200 OK from $peer seq=3 "
	keys C-c
	t_check "its summary" tx_has "^--- $peer sip options statistics ---$"
	t_check "back at the prompt" tx_last "$PROMPT"
	t_check "the counts" grep -qE '^[0-9]+ requests sent, [0-9]+ received, [0-9]+ answered 2xx, 0\.0% loss$' "$T_OUT"
	keys "options -q $peer" Enter
	t_check "the shell goes on: the next options" tx_has "^NAT: .*$sport$"

	T_NAME="interactive: a call to SIPp placed, listed, hung up"
	p_free_port
	spp=$P_PORT
	if p_sipp "$d/sipp-call.log" invite-answer "$spp" 1; then
		spid=$P_PID
		keys "invite -q sip:svc@127.0.0.1:$spp" Enter
		t_check "answered: back at the prompt" tx_last "$PROMPT"
		keys calls Enter
		t_check "calls: call 1 up" tx_has "^call 1  sip:svc@127\.0\.0\.1:$spp, up [0-9]+ s, "
		keys "bye " Tab
		t_check "Tab completes the call's number" tx_last '^sip> bye 1$'
		keys Enter
		t_check "its summary: hung up by us" tx_has '^Ended: +held [0-9.]+ s, hung up by us \(BYE answered\)$'
		if p_wait_exit "$spid" 100; then
			t_eq "SIPp had INVITE, ACK and BYE in order: it exits 0" 0 "$P_RC"
		else
			t_fail "SIPp ends after the call" "still running 10 s later"
			p_stop "$spid"
		fi
	else
		t_fail "sipp invite-answer" "$P_WHY"
	fi

	T_NAME="interactive: lines kept out of the history"
	keys " help" Enter
	t_check "a line after a space runs" tx_has "The shell's own:"
	keys "set password xyz" Enter "show" Enter
	t_check "set password xyz, show: (set)" tx_has '^password +\(set\)$'

	T_NAME="interactive: Ctrl-D"
	keys C-d
	t_check "the ending message" tx_has \
		'^sip: shell: ending the calls, subscriptions and registrations \(Ctrl-C or Ctrl-D quits at once\)$'
	t_check "the shell exits 0" tx_has '^shell exited 0$'
	t_check "removing the binding" grep -q '^sip: register: removing the binding of <sip:alice@127\.0\.0\.1>$' "$T_OUT"
	tx_kill
	t_run "a query after Ctrl-D" 0 sipc register --query -q "$aor"
	t_check "no binding on port $sport" lacks_binding "$sport" "$T_OUT"

	T_NAME="interactive: the history"
	t_check "$hist is there" test -f "$hist"
	t_eq "$T_NAME: the file is 0600" 600 "$(stat -c %a "$hist" 2>/dev/null)"
	t_eq "$T_NAME: its folder is 0700" 700 "$(stat -c %a "$XDG_STATE_HOME/sip" 2>/dev/null)"
	T_OUT=$hist
	t_check "the lines typed" grep -qxF "options -q $peer" "$hist"
	t_check "register -k" grep -qxF "register -k -e 4 $aor" "$hist"
	t_check "regs" grep -qx regs "$hist"
	t_check "show, last" test "$(tail -n 1 "$hist")" = show
	t_out_lacks "help"
	t_out_lacks "xyz"
	t_out_lacks "password"
	t_out_lacks "options half"
	T_OUT=$T_TMP/out

	T_NAME="interactive: a new session"
	tx_start
	t_check "the prompt" tx_last "$PROMPT"
	keys Up
	t_check "Up recalls the last line" tx_last '^sip> show$'
	keys C-u "exit 7" Enter
	t_check "exit 7: the shell exits 7" tx_has '^shell exited 7$'
	t_check "no jobs: no ending message" t_lacks "ending the calls" "$T_OUT"
	tx_kill
	t_check "exit 7 is in the history now" test "$(tail -n 1 "$hist")" = "exit 7"
	t_eq "$T_NAME: still 0600" 600 "$(stat -c %a "$hist" 2>/dev/null)"
}

# A call and a MESSAGE from outside, routed by Kamailio to the binding the
# shell registered: both announced above a half-typed line that stays whole;
# the call answered by hand, Tab offering its number to `bye`.
incoming_interactive_tests() {
	T_NAME="interactive, incoming"
	t_need "$T_NAME" tmux || return
	p_free_port
	ip=$P_PORT
	tx_start -l "127.0.0.1:$ip"
	T_NAME="interactive, incoming: register -k"
	t_check "the greeting" tx_has "^sip: shell: listening on 127\.0\.0\.1:$ip \(UDP, TCP\); 'help' for the commands$"
	keys "register -k -e 60 $aor" Enter
	t_check "registered, kept as reg 1" tx_has "^registered <sip:alice@127\.0\.0\.1> for 60 s; kept as reg 1 "
	t_check "on the shell's port ($ip)" grep -qE \
		"^  sip:alice@127\.0\.0\.1:$ip  expires 60 s  \(this one\)$" "$T_OUT"

	T_NAME="interactive, incoming: a MESSAGE above a half-typed line"
	keys "options hal"
	t_check "'sip> options hal' typed" tx_last '^sip> options hal$'
	t_run "sip message to alice through Kamailio: exit 0" 0 sipc message -q "$aor" 'hi from bob'
	t_check "the MESSAGE line comes, 'sip> options hal' still last" tx_more \
		"^MESSAGE: +[0-9.]+ s  from sip:sip@127\.0\.0\.1 \(UDP 127\.0\.0\.1:$kp\): 200 OK: hi from bob$" 0 \
		'^sip> options hal$'
	t_check "right above it" above_last ': 200 OK: hi from bob$'
	t_check "the half-typed line is on the screen once" \
		test "$(count_re "$T_OUT" 'options hal')" -eq 1

	T_NAME="interactive, incoming: a call answered by hand"
	sipc invite -q -d 2 "$aor" >"$d/inv.out" 2>"$d/inv.err" &
	ipid=$!
	P_PIDS="$P_PIDS $ipid"
	t_check "it rings above the line" tx_more \
		"^Call 1: .* 180 Ringing, sip:sip@127\.0\.0\.1 calls sip:alice@127\.0\.0\.1:[0-9]+: 'answer 1' or 'reject 1 \[CODE\]'$" 0 \
		'^sip> options hal$'
	keys C-u "answer 1" Enter
	t_check "answered, their ACK" tx_has '^Call 1: .* confirmed \(ACK\)'
	keys calls Enter
	t_check "calls: call 1 up" tx_has '^call 1  from sip:sip@127\.0\.0\.1, up [0-9]+ s \(incoming\)$'
	if p_wait_exit "$ipid" 100; then
		t_eq "$T_NAME: the outside invite exits 0 after its 2 s" 0 "$P_RC"
	else
		t_fail "$T_NAME: the outside invite ends" "still running after 10 s"
		p_stop "$ipid"
	fi
	t_check "its summary: hung up by us" grep -qE '^Ended: +held [12]\.[0-9]+ s, hung up by us' "$d/inv.out"
	t_check "the shell: ended by their BYE" tx_has "^Call 1: .* ended by the far end's BYE after [12]\.[0-9]+ s$"

	# Tab offers the numbers of the calls the shell placed (not yet of
	# those that came in); the numbering is shared, so this one is 2.
	T_NAME="interactive, incoming: Tab after 'bye '"
	keys "invite -q sip:bob@$peer" Enter
	t_check "a call placed, back at the prompt" tx_last "$PROMPT"
	keys "bye " Tab
	t_check "completes the number of the call up" tx_last '^sip> bye 2$'
	keys Enter
	t_check "bye 2: its summary" tx_has '^Ended: +held [0-9.]+ s, hung up by us \(BYE answered\)$'

	T_NAME="interactive, incoming: Ctrl-D"
	keys C-d
	t_check "the shell exits 0" tx_has '^shell exited 0$'
	tx_kill
	t_run "a query after Ctrl-D" 0 sipc register --query -q "$aor"
	t_check "no binding on port $ip" lacks_binding "$ip" "$T_OUT"
}

# --- what review found ---------------------------------------------------------
review_tests() {
	listen_peer "$d/rv.log" || return
	rv=sip:bob@127.0.0.1:$P_PORT

	# An incoming call takes answer, reject and bye; hold is a placed call's.
	p_free_port
	sp=$P_PORT
	printf '%s\n' 'set answer auto' 'sleep 2' 'hold 1' 'sleep 2' >"$d/inhold.sip"
	# shellcheck disable=SC2002 # a pipe, as a script
	cat "$d/inhold.sip" | timeout 30 "$SIP" shell --keep-going -l "127.0.0.1:$sp" \
		>"$d/inhold.out" 2>"$d/inhold.err" &
	ihpid=$!
	P_PIDS="$P_PIDS $ihpid"
	if p_wait_listen udp "$sp" "$ihpid" 50; then
		t_run "a call to the shell, answered by itself: exit 0" 0 \
			sipc invite -q -d 3 "sip:me@127.0.0.1:$sp"
		p_wait_exit "$ihpid" 100
		t_eq "hold of a call that came in: the script exits 2" 2 "$P_RC"
		cp "$d/inhold.err" "$T_ERR"
		t_err_has "sip: hold: call 1 came in: answer, reject and bye act on it"
	else
		t_fail "sip shell -l 127.0.0.1:$sp" "$(head -n 2 "$d/inhold.err")"
	fi

	# listen ADDR in a shell started with -l: the operand wins.
	p_free_port
	sp=$P_PORT
	p_free_port
	lx=$P_PORT
	printf '%s\n' "listen -q -c 1 127.0.0.1:$lx" >"$d/lx.sip"
	# shellcheck disable=SC2002
	cat "$d/lx.sip" | timeout 30 "$SIP" shell -l "127.0.0.1:$sp" >"$d/lx.out" 2>"$d/lx.err" &
	lxpid=$!
	P_PIDS="$P_PIDS $lxpid"
	if p_wait_listen udp "$lx" "$lxpid" 50; then
		t_run "listen 127.0.0.1:PORT in a shell with -l: it answers OPTIONS" 0 \
			sipc options -q "127.0.0.1:$lx"
		p_wait_exit "$lxpid" 100
		t_eq "...and ends after -c 1: the script exits 0" 0 "$P_RC"
	else
		t_fail "listen 127.0.0.1:$lx in sip shell -l" "$(head -n 2 "$d/lx.err")"
	fi

	# A raw script shows a background subscription's NOTIFYs as messages;
	# `unsubscribe` ends it as asked.
	script rawsub "subscribe --event dialog $rv" 'sleep 0.5' 'unsubscribe 1' 'wait 5'
	t_run "subscribe in a raw script, unsubscribe: exit 0" 0 piped "$d/rawsub.sip"
	t_out_re '^NOTIFY sip:'
	t_err_has "sip: subscribe: unsubscribing sub 1"
	t_err_lacks "interrupted"
	script sumsub "subscribe -q --event dialog $rv" 'sleep 0.5' 'unsubscribe 1' 'wait 5'
	t_run "the summary of a subscription ended by unsubscribe" 0 piped "$d/sumsub.sip"
	t_out_re '^Summary: +[0-9]+ NOTIFYs? from 1 subscription in [0-9.]+ s, unsubscribed$'

	# bye at once after dtmf: the INFO is answered before the BYE goes.
	script dtmfbye "invite -q $rv" 'dtmf 1 7' 'bye 1' 'wait 5'
	t_run "dtmf then bye at once: exit 0" 0 piped "$d/dtmfbye.sip"
	t_err_lacks "481"
	t_check "the peer had the DTMF 7" said "$d/rv.log" '^Call [0-9]+: .* DTMF 7 \(INFO\)$'

	# A call whose far end has frozen cannot end at the end of the script:
	# named, and the exit is 3.
	# (The peer is started here, not under p_start's timeout: SIGSTOP must
	# reach sip itself.)
	p_free_port
	fz=$P_PORT
	"$SIP" listen -q --ring 0.2 "127.0.0.1:$fz" >"$d/fz.log" 2>&1 &
	fzpid=$!
	P_PIDS="$P_PIDS $fzpid"
	if p_wait_listen udp "$fz" "$fzpid" 50; then
		script frozen "invite -q sip:bob@127.0.0.1:$fz" 'sleep 2'
		(sleep 1 && kill -STOP "$fzpid") &
		t_run "the far end frozen: the call does not end in time, exit 3" 3 \
			piped "$d/frozen.sip" --t1 100
		t_err_has "sip: shell: call 1 did not end in time"
		# Held from the answer to the BYE at the script's end, its 2 s of
		# sleep: not counting the 5 s the BYE then went unanswered.
		t_out_re '^Ended: +held 2\.[0-4][0-9]* s, then failed without a BYE$'
		kill -CONT "$fzpid" 2>/dev/null

		# SIGTERM while a call to the frozen far end is up: all over within 5 s.
		printf '%s\n' "invite -q sip:bob@127.0.0.1:$fz" 'sleep 30' >"$d/term.sip"
		# shellcheck disable=SC2002 # a pipe, as a script
		cat "$d/term.sip" | timeout 30 "$SIP" shell >"$d/term.out" 2>"$d/term.err" &
		tpid=$!
		P_PIDS="$P_PIDS $tpid"
		sleep 1
		kill -STOP "$fzpid"
		t0=$(p_now_ms)
		kill -TERM "$tpid"
		p_wait_exit "$tpid" 100
		ms=$(($(p_now_ms) - t0))
		kill -CONT "$fzpid" 2>/dev/null
		t_eq "SIGTERM with a call to a frozen far end: exit 143" 143 "$P_RC"
		t_check "within 5 s ($ms ms)" test "$ms" -lt 5000
		cp "$d/term.err" "$T_ERR"
		t_err_has "sip: shell: call 1 did not end in time"
		p_stop "$fzpid"
	else
		t_fail "sip listen as a peer to freeze" "$(head -n 2 "$d/fz.log")"
	fi
}

trap 'tx_kill; p_cleanup; rm -rf "$T_TMP"' EXIT
script_tests
call_script_tests
review_tests
if register_script_tests; then
	interactive_tests
	incoming_interactive_tests
fi
auth_script_tests

t_done
