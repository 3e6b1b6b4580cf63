#!/bin/sh
# listen.sh - `sip listen` against real peers on loopback. SIPp is the
# caller, with the scenarios in sipp/uac-listen-*.xml, and checks what the
# listener sends (SIPp exits 0 only when every check held): a call answered
# after ringing and ended by SIPp's BYE (then the same BYE again: 481; the
# messages shown without -q), one the listener ends (-d, --pcap), 100rel (a
# reliable 180, PRACK, then the 200), a CANCEL while it rings (200, 487),
# --answer 486 (and --ladder's diagram), a late offer (the offer in the
# 200, the answer in the ACK), hold and resume by re-INVITE and DTMF by
# INFO (-o json events), a transfer in the call (--accept-refer: NOTIFYs of
# its progress, a second SIPp as the target, the listener's BYEs), a REFER
# naming the listener itself (403), requests outside a dialog (MESSAGE,
# 415, OPTIONS' Allow, 501, 420, NOTIFY, 489, REFER without --accept-refer:
# 603, 481 for a dialog it has not), a presence subscription (refreshed,
# unsubscribed) and a dialog one while a call is up (confirmed). Then sip
# against sip: invite (JSON events), a 486, subscribe, message, notify,
# request FOO, options, invite --transfer-to and refer with a second
# listener as the target, --auth (right and wrong password, none),
# --register with Kamailio (bound, called through the proxy, removed on
# Ctrl-C), Ctrl-C with a call up and a subscriber (BYE, terminated NOTIFY,
# exit 0) and twice with a BYE unanswered (130 at once); a listener on
# 0.0.0.0 (Contact and Via name the route's address; a REFER to the host's
# own address refused), --100rel with --ring 0 and with a late offer (the
# offer in the reliable 180), 415 to an INVITE body that is not SDP, 400 to
# a Replaces that would break a line, a transfer whose REFER's call ends
# first (its last NOTIFY still goes), and IPv6 (a call, a MESSAGE over
# TCP to [::1]). The listener's
# lines, its exit (-c ends it) and its quiet stderr are checked each time;
# a tshark capture of it all must decode as SIP with nothing malformed.
# Every peer is on a free port and stopped by its PID; every client call is
# bounded by `timeout 30`, and short timers (--t1 100, --ring 0 or 1, -d 1)
# keep it within half a minute.
# shellcheck disable=SC2317 # helpers are called through t_run and t_check
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/integration/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

d=$T_TMP

t_need "sip listen against SIPp and Kamailio" sipp=sip-tester tshark jq kamailio || t_done

# The ports first, so that one capture sees every exchange; take_port hands
# them out in turn (in $P_PORT).
pool=
for _ in $(seq 1 72); do
	p_free_port
	pool="$pool $P_PORT"
done
all_ports=$pool
take_port() {
	# shellcheck disable=SC2086 # the ports are words
	set -- $pool
	P_PORT=$1
	shift
	pool="$*"
}
take_port
kp=$P_PORT

cap=$d/listen.pcap
# shellcheck disable=SC2086
if p_tshark "$cap" $all_ports; then
	tpid=$P_PID
else
	t_fail "tshark capture" "$P_WHY"
	tpid=
fi

# listener NAME ARG...: starts `sip listen --t1 100 ARG... 127.0.0.1:PORT`
# on a free port of the pool (or $l_port once, when set: $lp) under `timeout`, stdout in $lout, stderr in $lerr,
# PID in $lpid; false (a failure) when it does not say it listens within
# 5 s. $L_NAME is NAME for the checks of the listener that follow.
listener() {
	L_NAME=$1
	shift
	if [ -n "${l_port:-}" ]; then
		lp=$l_port
		l_port=
	else
		take_port
		lp=$P_PORT
	fi
	lout=$d/listen-$lp.out
	lerr=$d/listen-$lp.err
	if ! p_sip_listen "$lout" "$lerr" "$lp" --t1 100 "$@"; then
		t_fail "$L_NAME: sip listen starts" "$P_WHY"
		return 1
	fi
	lpid=$P_PID
}

# l_signal SIG: sends SIG to the listener itself: `timeout` passes on only
# the first signal it gets (then ignores it), and KILLs 3 s after it.
l_signal() {
	kill "-$1" "$(pgrep -P "$lpid")"
}

# l_show: the listener's output, indented, after a failure.
l_show() {
	sed -n '1,25s/^/     lout| /p' "$lout"
	sed -n '1,10s/^/     lerr| /p' "$lerr"
}

# l_has TEXT / l_lacks TEXT / l_match ERE: the listener's stdout has TEXT
# (fixed), has not, has a line matching ERE.
l_has() {
	if grep -qF -e "$1" "$lout"; then
		t_ok "$L_NAME: listener says '$1'"
	else
		t_fail "$L_NAME: listener says '$1'"
		l_show
	fi
}
l_lacks() {
	if grep -qF -e "$1" "$lout"; then
		t_fail "$L_NAME: listener does not say '$1'"
		l_show
	else
		t_ok "$L_NAME: listener does not say '$1'"
	fi
}
l_match() {
	if grep -qE -e "$1" "$lout"; then
		t_ok "$L_NAME: a listener line matches '$1'"
	else
		t_fail "$L_NAME: a listener line matches '$1'"
		l_show
	fi
}

# l_check DESCRIPTION CMD...: CMD succeeds; else the listener's output.
l_check() {
	lk_what=$1
	shift
	if "$@"; then
		t_ok "$L_NAME: $lk_what"
	else
		t_fail "$L_NAME: $lk_what"
		l_show
	fi
}

# l_count N ERE: N of the listener's lines match ERE.
l_count() {
	lc_n=$(grep -cE -e "$2" "$lout")
	if [ "$lc_n" -eq "$1" ]; then
		t_ok "$L_NAME: $1 listener lines match '$2'"
	else
		t_fail "$L_NAME: $1 listener lines match '$2'" "$lc_n do"
		l_show
	fi
}

# l_jq DESCRIPTION FILTER: jq -s -e FILTER holds over the listener's stdout.
l_jq() {
	if jq -s -e "$2" "$lout" >/dev/null 2>&1; then
		t_ok "$L_NAME: json: $1"
	else
		t_fail "$L_NAME: json: $1"
		l_show
	fi
}

# l_ends EXIT [PID]: the listener (PID, else $lpid) ends by itself within
# 10 s (-c reached) with status EXIT, having said nothing on stderr but
# where it listens (no warning, no sanitizer's report).
l_ends() {
	if p_wait_exit "${2:-$lpid}" 100; then
		t_eq "$L_NAME: sip listen exits $1" "$1" "$P_RC"
		[ "$P_RC" -eq "$1" ] || l_show
		l_check "stderr: the listening line alone" t_nlines 1 "$lerr"
	else
		t_fail "$L_NAME: sip listen ends by itself (-c)" "still running 10 s later"
		l_show
		p_stop "${2:-$lpid}"
	fi
}

# sipp_call SCENARIO [SIPP-ARG...]: SIPp calls the listener (127.0.0.1:$lp)
# from a free port ($sport) with sipp/SCENARIO.xml, one call; its screen
# in $slog, every message in $slog.msg, what went wrong in $slog.err; PID
# in $spid. A caller needs no wait: it sends at once, ends with its call.
sipp_call() {
	c_scen=$1
	shift
	take_port
	sport=$P_PORT
	slog=$d/$c_scen-$sport.log
	p_start "$slog" sipp -sf "$P_DIR/sipp/$c_scen.xml" -i 127.0.0.1 -p "$sport" -t u1 -m 1 \
		-nostdin -timeout 30s -trace_msg -message_file "$slog.msg" -trace_err \
		-error_file "$slog.err" "$@" "127.0.0.1:$lp"
	spid=$P_PID
}

# sipp_verdict PID LOG: SIPp ended within 10 s and found every check of its
# scenario true (exit 0).
sipp_verdict() {
	if p_wait_exit "$1" 100; then
		t_eq "$L_NAME: SIPp's checks of what arrived hold" 0 "$P_RC"
		[ "$P_RC" -eq 0 ] || grep -v -e '^ *$' "$2.err" 2>/dev/null | sed -n '1,8s/^/     | /p'
	else
		t_fail "$L_NAME: SIPp ends after its call" "still running 10 s later"
		grep -v -e '^ *$' "$2.err" 2>/dev/null | sed -n '1,8s/^/     | /p'
		p_stop "$1"
	fi
}

# secs LABEL TEXT: the time on the listener's first LABEL line with TEXT.
secs() {
	grep -F -e "$1" "$lout" | grep -F -e "$2" | head -n 1 |
		awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "s" && $i ~ /^[0-9]+\.[0-9]+$/) { print $i; exit } }'
}

# ==== SIPp calls the listener ===================================================

# --- answered after 1 s of ringing, ended by SIPp; then OPTIONS: -c 2 --------
if listener "SIPp's call, answered after ringing, its BYE (messages shown)" -c 2 --ring 1; then
	sipp_call uac-listen-answer
	sipp_verdict "$spid" "$slog"
	t_run "$L_NAME: then sip options, the second of -c 2: exit 0" 0 timeout 30 "$SIP" options \
		-q --t1 100 "127.0.0.1:$lp"
	l_ends 0
	l_check "stderr says where it listens, first" sh -c \
		"head -n 1 '$lerr' | grep -qx 'sip: listen: listening on 127.0.0.1:$lp (UDP, TCP)'"
	l_match "^Call 1:     [0-9]+\\.[0-9]{3} s  from sip:sipp@127\\.0\\.0\\.1:$sport \\(UDP 127\\.0\\.0\\.1:$sport\\)\$"
	l_match "^Call 1:     [0-9]+\\.[0-9]{3} s  180 Ringing for 1 s\$"
	l_match "^Call 1:     [0-9]+\\.[0-9]{3} s  200 OK\$"
	l_has "confirmed (ACK): PCMU/8000 at 127.0.0.1:6000, sendrecv"
	l_has "ended by the far end's BYE after"
	l_match "^OPTIONS:    [0-9]+\\.[0-9]{3} s  from .*\\(UDP 127\\.0\\.0\\.1:[0-9]+\\): 200 OK\$"
	ring=$(secs "Call 1:" "180 Ringing")
	ok=$(secs "Call 1:" "200 OK")
	l_check "the 200 a second after the 180 ($ring s, $ok s)" \
		awk -v a="$ring" -v b="$ok" 'BEGIN { exit !(a != "" && b != "" && b - a >= 0.9 && b - a < 2) }'
	l_has "INVITE sip:bob@127.0.0.1:$lp SIP/2.0"
	l_has "SIP/2.0 180 Ringing"
	l_has "SIP/2.0 481"
fi

# --- the listener hangs up after -d 1; --ring 0: no 180; --pcap --------------
if listener "-d 1 --ring 0: the listener's BYE" -q -c 1 --ring 0 -d 1 --pcap "$d/bye.pcap"; then
	sipp_call uac-listen-bye
	sipp_verdict "$spid" "$slog"
	l_ends 0
	l_lacks "180 Ringing"
	l_match "^Call 1:     [0-9]+\\.[0-9]{3} s  hung up after 1\\.[0-9]{3} s; the BYE got 200\$"
	l_lacks "INVITE sip:"
	t_eq "$L_NAME: --pcap holds INVITE 200 ACK BYE 200 (a 100 aside)" "INVITE 200 ACK BYE 200" \
		"$(tshark -n -r "$d/bye.pcap" -d "udp.port==$lp,sip" -Y sip -T fields -e sip.Method \
			-e sip.Status-Code 2>/dev/null | tr -s '\t' '\n' | grep -v -x -e '' -e 100 |
			tr '\n' ' ' | sed 's/ $//')"
fi

# --- 100rel: a reliable 180, PRACKed, then the 200 -------------------------------
if listener "--100rel: 180 with Require: 100rel and RSeq, PRACK, 200" -q -c 1 --ring 1 --100rel \
	--t1 500; then
	sipp_call uac-listen-100rel
	sipp_verdict "$spid" "$slog"
	l_ends 0
	l_has "180 Ringing for 1 s"
	l_has "confirmed (ACK)"
	l_has "ended by the far end's BYE"
fi

# --- CANCEL while it rings ----------------------------------------------------
if listener "CANCEL while ringing: 200, 487" -q -c 1 --ring 5; then
	sipp_call uac-listen-cancel
	sipp_verdict "$spid" "$slog"
	l_ends 0
	l_has "180 Ringing for 5 s"
	l_has "cancelled by the caller: 487 to the INVITE"
	l_lacks "200 OK"
fi

# --- --answer 486 after ringing; --ladder -----------------------------------------
if listener "--answer 486 --ladder: 180, then 486" -q -c 1 --ring 1 --answer 486 --ladder; then
	sipp_call uac-listen-busy
	sipp_verdict "$spid" "$slog"
	l_ends 0
	l_has "180 Ringing for 1 s"
	l_has "declined with 486 Busy Here"
	l_check "the diagram: the INVITE, 180, 486" sh -c \
		"grep -v '^Call 1: ' '$lout' | grep -oE '(INVITE|180 Ringing|486 Busy Here)' | tr '\n' '|' | grep -q '^INVITE|180 Ringing|486 Busy Here|'"
fi

# --- a late offer: the offer in the 200, the answer in the ACK -----------------
if listener "INVITE without SDP: offer in the 200, answer in the ACK" -q -c 1 --ring 0; then
	sipp_call uac-listen-late
	sipp_verdict "$spid" "$slog"
	l_ends 0
	l_has "confirmed (ACK): PCMU/8000 at 127.0.0.1:6002, sendrecv"
fi

# --- hold, DTMF, resume; -o json -------------------------------------------------
if listener "re-INVITE sendonly, INFO Signal=5, re-INVITE sendrecv, -o json" -q -o json -c 1 \
	--ring 0; then
	sipp_call uac-listen-hold
	sipp_verdict "$spid" "$slog"
	l_ends 0
	l_jq "the call's events in order" \
		'[.[] | select(.call) | .call.event] == ["incoming", "answering", "answered", "held", "dtmf", "resumed", "ended"]'
	l_jq "one call, numbered 1, with a time" 'all(.[]; .call.call == 1 and (.call.time | type) == "number")'
	l_jq "held says sendonly" '[.[] | select(.call.event == "held")][0].call.text | test("sendonly")'
	l_jq "dtmf says 5" '[.[] | select(.call.event == "dtmf")][0].call.text | test("DTMF 5")'
	l_jq "nothing but call events (-q)" 'all(.[]; has("call"))'
fi

# --- a transfer in the call: SIPp refers the listener to a second SIPp -------------
take_port
tport=$P_PORT
if ! p_sipp "$d/target.log" invite-answer "$tport" 1; then
	t_fail "transfer target: sipp invite-answer" "$P_WHY"
else
	tgpid=$P_PID
	if listener "REFER in the call (--accept-refer): 202, NOTIFYs, the call placed, BYE" -q \
		-c 1 --ring 0 --accept-refer; then
		sipp_call uac-listen-refer -key tport "$tport"
		sipp_verdict "$spid" "$slog"
		l_ends 0
		l_has "asks for a call to sip:carol@127.0.0.1:$tport (in call 1): 202"
		l_match "^Transfer:   [0-9.]+ s  200 OK: transferred\$"
		l_match "^Call 2:     [0-9.]+ s  calling sip:carol@127\\.0\\.0\\.1:$tport"
		l_match "^Call 1:     [0-9.]+ s  hung up after [0-9.]+ s; the BYE got 200\$"
		l_match "^Call 2:     [0-9.]+ s  hung up after [0-9.]+ s; the BYE got 200\$"
		L_NAME="$L_NAME: the target SIPp"
		sipp_verdict "$tgpid" "$d/target.log"
	else
		p_stop "$tgpid"
	fi
fi

# --- a REFER to the listener itself: 403 ------------------------------------------
if listener "REFER naming the listener: 403; then OPTIONS: REFER allowed" -q -c 2 --accept-refer; then
	sipp_call uac-listen-refer-self
	sipp_verdict "$spid" "$slog"
	t_run "--accept-refer: sip options: exit 0" 0 timeout 30 "$SIP" options --t1 100 \
		"sip:bob@127.0.0.1:$lp"
	t_out_has "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, MESSAGE, NOTIFY, SUBSCRIBE, REFER"
	t_out_has "Allow-Events: presence, dialog, message-summary, refer"
	l_ends 0
	l_match "^REFER:      [0-9.]+ s  from sip:sipp@127\\.0\\.0\\.1:$sport \\(UDP 127\\.0\\.0\\.1:$sport\\): 403 "
	l_lacks "Call 1:"
fi

# --- requests outside a dialog --------------------------------------------------
if listener "requests outside a dialog: 481 481 200 415 200 501 420 200 489 603" -q -c 8; then
	sipp_call uac-listen-requests
	sipp_verdict "$spid" "$slog"
	l_ends 0
	l_match "^MESSAGE:    [0-9.]+ s  from sip:sipp@127\\.0\\.0\\.1:$sport \\(UDP 127\\.0\\.0\\.1:$sport\\): 200 OK: hello from sipp"
	l_match "^MESSAGE: .*: 415 "
	l_match "^FOO: .*: 501 "
	l_match "^OPTIONS: .*: 420 .*foo"
	l_match "^NOTIFY: .*: 200 OK: check-sync"
	l_match "^SUBSCRIBE: .*: 489 "
	l_match "^REFER: .*: 603 "
	l_match "^BYE: .*: 481 "
	l_match "^INFO: .*: 481 "
fi

# --- a presence subscription: NOTIFY, refresh, unsubscribe ------------------------
if listener "SUBSCRIBE presence: NOTIFY (open), refreshed, unsubscribed" -q -c 1; then
	sipp_call uac-listen-subscribe
	sipp_verdict "$spid" "$slog"
	l_ends 0
	l_match "^Sub 1:      [0-9.]+ s  presence from sip:sipp@127\\.0\\.0\\.1:$sport: 200, 60 s\$"
	l_has "refreshed for 60 s"
	l_has "unsubscribed"
fi

# --- a dialog subscription while a call is up: confirmed -------------------------
if listener "SUBSCRIBE dialog while sip invite's call is up: confirmed" -q -c 2 --ring 0; then
	timeout 30 "$SIP" invite -q --t1 100 -d 3 "sip:bob@127.0.0.1:$lp" \
		</dev/null >"$d/dlg-invite.out" 2>"$d/dlg-invite.err" &
	ipid=$!
	P_PIDS="$P_PIDS $ipid"
	if p_wait_text "$lout" "confirmed (ACK)" "$lpid" 50; then
		sipp_call uac-listen-dialog
		sipp_verdict "$spid" "$slog"
	else
		t_fail "$L_NAME: the call is answered"
		l_show
	fi
	if p_wait_exit "$ipid" 100; then
		t_eq "$L_NAME: sip invite -d 3 exits 0" 0 "$P_RC"
	else
		t_fail "$L_NAME: sip invite -d 3 ends"
		p_stop "$ipid"
	fi
	l_ends 0
	l_has "dialog from sip:sipp@127.0.0.1:$sport: 200, 60 s"
	l_has "unsubscribed"
	l_match "ended by the far end's BYE after (2\.9[0-9]*|3\.[0-9]+) s"
fi

# ==== sip against sip ==========================================================

if listener "sip invite -d 1: exit 0; the listener's JSON events" -q -o json -c 1 --ring 1; then
	t_run "$L_NAME" 0 timeout 30 "$SIP" invite -q --t1 100 -d 1 "sip:bob@127.0.0.1:$lp"
	l_ends 0
	l_jq "incoming, ringing, answering, answered, ended" \
		'[.[] | select(.call) | .call.event] == ["incoming", "ringing", "answering", "answered", "ended"]'
	l_jq "ended by the far end's BYE" '[.[] | select(.call.event == "ended")][0].call.text | test("BYE")'
fi

if listener "sip invite against --answer 486: exit 1" -q -c 1 --ring 0 --answer 486; then
	t_run "$L_NAME" 1 timeout 30 "$SIP" invite -q --t1 100 "sip:bob@127.0.0.1:$lp"
	t_err_has "486 Busy Here"
	l_ends 0
	l_has "declined with 486 Busy Here"
	l_lacks "180 Ringing"
fi

if listener "sip subscribe --event dialog -c 1: exit 0; -o json" -q -o json -c 1; then
	t_run "$L_NAME" 0 timeout 30 "$SIP" subscribe -q --t1 100 --event dialog -c 1 \
		"sip:bob@127.0.0.1:$lp"
	l_ends 0
	l_jq "subscription 1 of dialog: accepted, ended" \
		'[.[] | .subscription | [.subscription, .package, .event]] == [[1, "dialog", "accepted"], [1, "dialog", "ended"]]'
	l_jq "from the subscriber, unsubscribed" \
		'.[-1].subscription | (.from | test("^sip:")) and (.text | test("unsubscribed"))'
fi

if listener "sip message, notify, request FOO, options" -q -c 4; then
	t_run "sip message hello: exit 0" 0 timeout 30 "$SIP" message -q --t1 100 \
		"sip:bob@127.0.0.1:$lp" hello
	t_run "sip notify --event check-sync: exit 0" 0 timeout 30 "$SIP" notify -q --t1 100 \
		--event check-sync "sip:bob@127.0.0.1:$lp"
	t_run "sip request FOO: 501, exit 1" 1 timeout 30 "$SIP" request -q --t1 100 FOO \
		"sip:bob@127.0.0.1:$lp"
	t_out_has "501 Not Implemented"
	t_run "sip options: exit 0" 0 timeout 30 "$SIP" options --t1 100 "sip:bob@127.0.0.1:$lp"
	t_out_has "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, MESSAGE, NOTIFY, SUBSCRIBE"
	t_out_has "Allow-Events: presence, dialog, message-summary"
	l_ends 0
	l_match "^MESSAGE:    [0-9.]+ s  from sip:[^ ]* \\(UDP 127\\.0\\.0\\.1:[0-9]+\\): 200 OK: hello\$"
	l_match "^NOTIFY: .*: 200 OK: check-sync"
	l_match "^FOO: .*: 501 Not Implemented"
	l_match "^OPTIONS: .*: 200 OK"
fi

if listener "sip message, -o json" -q -o json -c 1; then
	t_run "$L_NAME: exit 0" 0 timeout 30 "$SIP" message -q --t1 100 "sip:bob@127.0.0.1:$lp" \
		hello
	l_ends 0
	l_jq "a request object: MESSAGE, 200, hello" \
		'.[0].request | .method == "MESSAGE" and .status == 200 and .text == "hello" and (.from | test("^sip:"))'
fi

if listener "MESSAGE, then a message-summary fetch" -q -c 2; then
	t_run "$L_NAME: sip message: exit 0" 0 timeout 30 "$SIP" message -q --t1 100 \
		"sip:bob@127.0.0.1:$lp" hello
	t_run "$L_NAME: sip subscribe --event message-summary -e 0: exit 0" 0 timeout 30 "$SIP" \
		subscribe -q --t1 100 --event message-summary -e 0 "sip:bob@127.0.0.1:$lp"
	t_out_has "messages waiting: yes"
	t_out_has "1 new"
	l_ends 0
	l_has "message-summary from sip:"
fi

# --- TLS (--tls --cert --key), on a port the capture leaves out ---------------
mkdir -p "$d/tls"
if ! p_certs "$d/tls"; then
	t_fail "--tls: certificates" "$(tail -n 2 "$d/tls/openssl.log" | tr '\n' ' ')"
else
	p_free_port
	l_port=$P_PORT
	if listener "--tls: sip options -t tls" -q -c 1 --tls --cert "$d/tls/server.pem" \
		--key "$d/tls/server.key"; then
		t_run "$L_NAME: exit 0" 0 timeout 30 "$SIP" options -q --t1 100 -t tls \
			--ca-file "$d/tls/ca.pem" "sip:bob@127.0.0.1:$lp"
		l_ends 0
		l_check "stderr says TLS" grep -qx "sip: listen: listening on 127.0.0.1:$lp (UDP, TLS)" "$lerr"
		l_match "^OPTIONS:    [0-9.]+ s  from sip:[^ ]* \\(TLS 127\\.0\\.0\\.1:[0-9]+\\): 200 OK\$"
	fi
fi

# --- a transfer between three: sip invite --transfer-to, and sip refer ---------
if listener "transfer target" -q -c 1 --ring 0; then
	l2pid=$lpid l2p=$lp l2out=$lout l2err=$lerr
	if listener "sip invite --transfer-to a second listener: exit 0" -q -c 1 --ring 0 \
		--accept-refer; then
		t_run "$L_NAME" 0 timeout 30 "$SIP" invite -q --t1 100 \
			--transfer-to "sip:carol@127.0.0.1:$l2p" "sip:bob@127.0.0.1:$lp"
		l_ends 0
		l_has "asks for a call to sip:carol@127.0.0.1:$l2p (in call 1): 202"
		l_has "200 OK: transferred"
		lpid=$l2pid lp=$l2p lout=$l2out lerr=$l2err
		L_NAME="sip invite --transfer-to: the target"
		l_ends 0
		l_has "Call 1:"
		l_has "ended by the far end's BYE"
	else
		p_stop "$l2pid"
	fi
fi

# The REFER counts for -c once the call it placed is over: the target hangs up.
if listener "transfer target" -q -c 1 --ring 0 -d 0.5; then
	l2pid=$lpid l2p=$lp l2out=$lout l2err=$lerr
	if listener "sip refer outside a call to a second listener: exit 0" -q -c 1 --accept-refer; then
		t_run "$L_NAME" 0 timeout 30 "$SIP" refer -q --t1 100 "127.0.0.1:$lp" \
			"sip:carol@127.0.0.1:$l2p"
		t_out_has "200 OK"
		l_ends 0
		l_has "asks for a call to sip:carol@127.0.0.1:$l2p: 202"
		l_has "200 OK: transferred"
		l_has "ended by the far end's BYE"
		lpid=$l2pid lp=$l2p lout=$l2out lerr=$l2err
		L_NAME="sip refer: the target"
		l_ends 0
		l_has "hung up after"
	else
		p_stop "$l2pid"
	fi
fi

# --- --auth: digest, SHA-256 and MD5 ---------------------------------------------
SIP_PASSWORD=secret
export SIP_PASSWORD
if listener "--auth alice" -c 1 -q --auth alice; then
	unset SIP_PASSWORD
	t_run "--auth: sip options, no -u: exit 6" 6 timeout 30 "$SIP" options --t1 100 \
		"sip:bob@127.0.0.1:$lp"
	t_out_has "SIP/2.0 401"
	t_check "challenged with SHA-256 and MD5, qop auth" sh -c \
		"grep -i '^WWW-Authenticate: Digest' '$T_OUT' | grep -qi 'algorithm=SHA-256' &&
		 grep -i '^WWW-Authenticate: Digest' '$T_OUT' | grep -qi 'algorithm=MD5' &&
		 grep -i '^WWW-Authenticate: Digest' '$T_OUT' | grep -qi 'qop=\"auth\"'"
	t_run "--auth: sip options -u alice, a wrong password: exit 6" 6 env SIP_PASSWORD=wrong \
		timeout 30 "$SIP" options -q --t1 100 -u alice "sip:bob@127.0.0.1:$lp"
	t_run "--auth: sip options -u alice, the password: exit 0" 0 env SIP_PASSWORD=secret \
		timeout 30 "$SIP" options -q --t1 100 -u alice "sip:bob@127.0.0.1:$lp"
	l_ends 0
	# Each client's first OPTIONS goes without credentials: 1 + 2 + 1.
	l_count 4 ": 401 Unauthorized"
	l_match "^OPTIONS:    [0-9.]+ s  from .*: 200 OK"
fi
unset SIP_PASSWORD

# --- --register with Kamailio: bound, called through it, removed on Ctrl-C ---------
# has_binding PORT FILE: FILE lists a binding on 127.0.0.1:PORT.
has_binding() { grep -q "^  sip:[^ ]*@127\.0\.0\.1:$1\([ >;]\|\$\)" "$2"; }
lacks_binding() { ! has_binding "$@"; }
if ! p_kamailio_proxy "$d/kam" "$kp"; then
	t_fail "kamailio proxy" "$P_WHY"
else
	kpid=$P_PID
	if listener "--register sip:bob@127.0.0.1:$kp" -q --ring 0 --register "sip:bob@127.0.0.1:$kp"; then
		if p_wait_text "$lout" "bound for" "$lpid" 50; then
			l_match "^Register:   [0-9.]+ s  sip:bob@127\\.0\\.0\\.1:$kp bound for [0-9]+ s\$"
			t_run "--register: sip register --query lists it" 0 timeout 30 "$SIP" register \
				-o pretty --t1 100 --query "sip:bob@127.0.0.1:$kp"
			t_check "a binding on 127.0.0.1:$lp" has_binding "$lp" "$T_OUT"
			t_run "--register: sip invite -d 1 to bob through Kamailio: exit 0" 0 timeout 30 \
				"$SIP" invite -q --t1 100 -d 1 "sip:bob@127.0.0.1:$kp"
			l_has "Call 1:"
			l_has "ended by the far end's BYE"
			l_signal INT
			l_ends 0
			l_match "^Register:   [0-9.]+ s  sip:bob@127\\.0\\.0\\.1:$kp removed\$"
			t_run "--register: after Ctrl-C, sip register --query" 0 timeout 30 "$SIP" register \
				-o pretty --t1 100 --query "sip:bob@127.0.0.1:$kp"
			t_check "no binding on 127.0.0.1:$lp" lacks_binding "$lp" "$T_OUT"
		else
			t_fail "$L_NAME: bound" "no 'bound for' within 5 s"
			l_show
			p_stop "$lpid"
		fi
	fi
	p_stop "$kpid"
fi

# --- Ctrl-C with a call up and a subscriber: BYE, terminated NOTIFY, exit 0 ---
if listener "Ctrl-C with a call and a subscriber" -q --ring 0; then
	timeout 30 "$SIP" invite -q --t1 100 "sip:bob@127.0.0.1:$lp" \
		</dev/null >"$d/int-invite.out" 2>"$d/int-invite.err" &
	ipid=$!
	timeout 30 "$SIP" subscribe --t1 100 "sip:bob@127.0.0.1:$lp" \
		</dev/null >"$d/int-sub.out" 2>"$d/int-sub.err" &
	bpid=$!
	P_PIDS="$P_PIDS $ipid $bpid"
	if p_wait_text "$lout" "confirmed (ACK)" "$lpid" 50 && p_wait_text "$lout" "Sub 1:" "$lpid" 50; then
		l_signal INT
		l_ends 0
		l_has "hung up after"
		l_has "the BYE got 200"
		l_has "terminated by us"
		if p_wait_exit "$ipid" 50; then
			t_eq "$L_NAME: sip invite, hung up on, exits 0" 0 "$P_RC"
		else
			t_fail "$L_NAME: sip invite ends"
			p_stop "$ipid"
		fi
		if p_wait_exit "$bpid" 50; then
			t_eq "$L_NAME: sip subscribe, terminated by the notifier, exits 1" 1 "$P_RC"
			l_check "sip subscribe got the terminated NOTIFY" grep -q 'terminated' "$d/int-sub.out"
		else
			t_fail "$L_NAME: sip subscribe ends"
			p_stop "$bpid"
		fi
	else
		t_fail "$L_NAME: the call and the subscription are up"
		l_show
		p_stop "$lpid"
		p_stop "$ipid"
		p_stop "$bpid"
	fi
fi

# --- Ctrl-C twice, the BYE unanswered: 130 at once -----------------------------
if listener "Ctrl-C twice, the BYE unanswered" -q --ring 0; then
	sipp_call uac-listen-deaf
	if p_wait_text "$lout" "confirmed (ACK)" "$lpid" 50; then
		l_signal INT
		sleep 0.5
		l_signal INT
		t0=$(p_now_ms)
		l_ends 130
		ms=$(($(p_now_ms) - t0))
		l_check "at once (${ms} ms)" test "$ms" -lt 2000
	else
		t_fail "$L_NAME: the call is up"
		l_show
		p_stop "$lpid"
	fi
	p_stop "$spid"
fi

# --- on every address: Contact and Via name the address the route leaves by -------
take_port
wp=$P_PORT
T_NAME="0.0.0.0"
timeout -k 3 "$P_LIFETIME" "$SIP" listen -o raw --t1 100 -c 1 --ring 0 -d 0.2 ":$wp" \
	</dev/null >"$d/any.out" 2>"$d/any.err" &
wpid=$!
P_PIDS="$P_PIDS $wpid"
if p_wait_text "$d/any.err" "listening on 0.0.0.0:$wp" "$wpid" 50; then
	t_run "sip listen :PORT: a call to 127.0.0.1" 0 timeout 30 "$SIP" invite -q --t1 100 \
		"sip:bob@127.0.0.1:$wp"
	p_wait_exit "$wpid" 100 || p_stop "$wpid"
	t_check "its 200 has Contact <sip:sip@127.0.0.1:$wp>" \
		grep -qF "Contact: <sip:sip@127.0.0.1:$wp>" "$d/any.out"
	t_check "no 0.0.0.0 in what it sent" t_lacks "0.0.0.0" "$d/any.out"
	# A REFER to one of the host's other addresses is a REFER to itself.
	other=$(ip -4 -o addr show scope global 2>/dev/null | awk '{ sub("/.*", "", $4); print $4; exit }')
	if [ -n "$other" ]; then
		take_port
		op=$P_PORT
		timeout -k 3 "$P_LIFETIME" "$SIP" listen -q --t1 100 -c 1 --accept-refer ":$op" \
			</dev/null >"$d/any2.out" 2>"$d/any2.err" &
		opid=$!
		P_PIDS="$P_PIDS $opid"
		if p_wait_text "$d/any2.err" "listening on 0.0.0.0:$op" "$opid" 50; then
			t_run "a REFER to the host's address $other: 403" 1 timeout 30 "$SIP" refer -q \
				--t1 100 "sip:bob@127.0.0.1:$op" "sip:me@$other:$op"
			t_err_has "403 Refer-To Is This Listener"
		fi
		p_wait_exit "$opid" 100 || p_stop "$opid"
	fi
else
	t_fail "sip listen :$wp starts" "$(head -n 2 "$d/any.err")"
	p_stop "$wpid"
fi

# --- --100rel: --ring 0 answers at once; a late offer's offer in the reliable 180 ---
if listener "--100rel --ring 0" -q -c 1 --100rel --ring 0 -d 0.2; then
	t_run "$L_NAME: sip invite answered at once" 0 timeout 30 "$SIP" invite -q --t1 100 \
		"sip:bob@127.0.0.1:$lp"
	l_ends 0
fi
if listener "--100rel, a late offer" -o raw -c 1 --100rel --ring 0.2 -d 0.2; then
	t_run "$L_NAME: sip invite --no-sdp" 0 timeout 30 "$SIP" invite -q --t1 100 --no-sdp \
		"sip:bob@127.0.0.1:$lp"
	p_wait_exit "$lpid" 100 || p_stop "$lpid"
	l_check "the reliable 180 carries the offer" \
		awk '/^SIP\/2.0 180/ { r = 1 } r && /^Content-Type: application\/sdp/ { ok = 1 }
			/^SIP\/2.0 200/ { r = 0 } END { exit !ok }' "$lout"
fi

# --- an INVITE whose body is no SDP: 415; a Replaces that would break a line: 400 ---
if listener "bodies it cannot take" -q -c 2 --accept-refer; then
	t_run "$L_NAME: an offer typed text/plain: 415, exit 1" 1 timeout 30 "$SIP" invite -q \
		--t1 100 -H 'Content-Type: text/plain' "sip:bob@127.0.0.1:$lp"
	t_err_has "415 Unsupported Media Type"
	l_has "a body that is not plain SDP: 415"
	t_run "$L_NAME: a Replaces with CRLF in it: 400, exit 1" 1 timeout 30 "$SIP" refer -q \
		--t1 100 "sip:bob@127.0.0.1:$lp" \
		"sip:carol@127.0.0.1:9?Replaces=abc%0D%0AX-Injected%3A%20yes"
	t_err_has "400 Bad Refer-To"
	l_ends 0
fi

# --- the REFER's call ends before the transfer: its last NOTIFY still goes ---------
if listener "a slow transfer target" -q -c 1 --ring 10; then
	l2pid=$lpid l2p=$lp l2out=$lout l2err=$lerr
	if listener "Ctrl-C while the transfer rings" -q --accept-refer --ring 0; then
		"$SIP" invite -q --t1 100 --transfer-to "sip:carol@127.0.0.1:$l2p" \
			"sip:bob@127.0.0.1:$lp" </dev/null >"$d/slow.out" 2>"$d/slow.err" &
		ipid=$!
		p_wait_text "$lout" "Transfer:" "$lpid" 50
		sleep 0.3
		l_signal INT
		l_ends 0
		l_has "487 Request Terminated: failed"
		if p_wait_exit "$ipid" 100; then
			t_eq "$L_NAME: sip invite --transfer-to hears the 487: exit 1" 1 "$P_RC"
			t_check "$L_NAME: its progress shows the 487" grep -qF "487" "$d/slow.out"
		else
			t_fail "$L_NAME: sip invite --transfer-to ends" "no final NOTIFY"
			p_stop "$ipid"
		fi
	fi
	p_stop "$l2pid"
fi

# --- IPv6: a call and a MESSAGE over TCP to [::1] ----------------------------------
take_port
v6p=$P_PORT
T_NAME="IPv6"
if ip -6 addr show lo 2>/dev/null | grep -q "::1"; then
	timeout -k 3 "$P_LIFETIME" "$SIP" listen -q --t1 100 -c 2 --ring 0 -d 0.2 "[::1]:$v6p" \
		</dev/null >"$d/v6.out" 2>"$d/v6.err" &
	v6pid=$!
	P_PIDS="$P_PIDS $v6pid"
	if p_wait_text "$d/v6.err" "listening on [::1]:$v6p" "$v6pid" 50; then
		t_run "sip invite to [::1]: exit 0" 0 timeout 30 "$SIP" invite -q --t1 100 \
			"sip:bob@[::1]:$v6p"
		t_run "sip message over TCP to [::1]: exit 0" 0 timeout 30 "$SIP" message -q -t tcp \
			--t1 100 "sip:bob@[::1]:$v6p" "over six"
		if p_wait_exit "$v6pid" 100; then
			t_eq "IPv6: sip listen exits 0 after -c 2" 0 "$P_RC"
		else
			t_fail "IPv6: sip listen ends by itself (-c)"
			p_stop "$v6pid"
		fi
		T_NAME="IPv6"
		t_check "the call's media address is [::1]" grep -qF "at [::1]:" "$d/v6.out"
		t_check "the MESSAGE came over TCP [::1]" grep -qF "(TCP [::1]:" "$d/v6.out"
		t_check "its text" grep -qF ": 200 OK: over six" "$d/v6.out"
	else
		t_fail "sip listen [::1]:$v6p starts" "$(head -n 2 "$d/v6.err")"
		p_stop "$v6pid"
	fi
else
	t_skip "IPv6" "no ::1 on lo"
fi

# --- tshark: every message decodes as SIP, nothing malformed ---------------------
if [ -n "$tpid" ]; then
	T_NAME="tshark"
	sleep 1
	p_stop "$tpid"
	decode=
	for p in $all_ports; do
		decode="$decode -d udp.port==$p,sip -d tcp.port==$p,sip"
	done
	# shellcheck disable=SC2086 # $decode is words
	tshark -n -r "$cap" $decode -Y 'sip.Method' -T fields -e sip.Method \
		>"$d/methods.txt" 2>"$d/tshark.err"
	for m in INVITE ACK BYE CANCEL PRACK INFO MESSAGE OPTIONS SUBSCRIBE NOTIFY REFER REGISTER; do
		n=$(grep -cx "$m" "$d/methods.txt")
		t_check "tshark decodes the ${m} requests ($n)" test "$n" -ge 1
	done
	# shellcheck disable=SC2086
	tshark -n -r "$cap" $decode -Y '_ws.malformed || _ws.expert.severity == error' \
		>"$d/malformed.txt" 2>>"$d/tshark.err"
	t_check "tshark: nothing malformed" test ! -s "$d/malformed.txt"
	sed -n '1,6s/^/     | /p' "$d/malformed.txt"
fi

# --- an INVITE that makes no dialog: 400 naming the header, no call --------------
# (after the capture: these INVITEs are malformed on purpose)
# raw_invite PORT FROM CONTACT [CSEQ]: the first line of the answer to an
# INVITE sent over UDP with these From, Contact and CSeq number values.
raw_invite() {
	# shellcheck disable=SC2016 # Perl's variables
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]", Proto => "udp")
			or die "socket: $!\n";
		my $p = $s->sockport;
		$s->send("INVITE sip:b\@127.0.0.1:$ARGV[0] SIP/2.0\r\n"
			. "Via: SIP/2.0/UDP 127.0.0.1:$p;branch=z9hG4bK-bad$p\r\n"
			. "From: $ARGV[1];tag=a\r\nTo: <sip:b\@127.0.0.1>\r\nCall-ID: bad$p\r\n"
			. "CSeq: " . ($ARGV[3] // 1) . " INVITE\r\nContact: $ARGV[2]\r\n"
			. "Content-Length: 0\r\n\r\n");
		my $b = "";
		eval {
			local $SIG{ALRM} = sub { die "timeout\n" };
			alarm 3;
			do { $s->recv($b, 65535) } while ($b =~ /^SIP\/2.0 1/);
			alarm 0;
		};
		print((split /\r\n/, $b)[0] // "", "\n");
	' "$@"
}
if listener "a bad From or Contact" -q; then
	T_NAME=$L_NAME
	t_eq "From: <<<<: 400 naming it" "SIP/2.0 400 Bad From Header" \
		"$(raw_invite "$lp" '<<<<' '<sip:a@127.0.0.1>')"
	t_eq "Contact: <sip:>: 400 naming it" "SIP/2.0 400 Bad Contact Header" \
		"$(raw_invite "$lp" '<sip:a@127.0.0.1>' '<sip:>')"
	t_check "the listener says so" grep -qF "its From header does not parse: 400" "$lout"
	t_check "and for the Contact" grep -qF "its Contact header does not parse: 400" "$lout"
	t_eq "CSeq: 4294967296: 400 naming it, not another" "SIP/2.0 400 Bad CSeq Header" \
		"$(raw_invite "$lp" '<sip:a@127.0.0.1>' '<sip:a@127.0.0.1>' 4294967296)"
	p_stop "$lpid"
fi

# --- -c reached: a BYE sent again (its 200 lost) is still answered ---------------
# The listener (--t1 100) ends at its count, but its stack stays up 2 T1 for
# the copy of a request whose answer was lost (RFC 3261 section 17.2.2):
# the caller's BYE again, 100 ms after, gets its 200 again.
if listener "-c 1, the BYE again" --ring 0 -c 1; then
	# shellcheck disable=SC2016 # Perl's variables
	perl -MIO::Socket::INET -MTime::HiRes=sleep -e '
		my ($lp) = @ARGV;
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$lp", Proto => "udp")
			or die "socket: $!\n";
		my $me = $s->sockport;
		my $sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			. "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
		sub req {
			my ($m, $cseq, $to, $body) = @_;
			return "$m sip:b\@127.0.0.1:$lp SIP/2.0\r\n"
				. "Via: SIP/2.0/UDP 127.0.0.1:$me;branch=z9hG4bK$m$me\r\n"
				. "From: <sip:a\@127.0.0.1>;tag=a\r\nTo: <sip:b\@127.0.0.1>$to\r\n"
				. "Call-ID: again$me\r\nCSeq: $cseq $m\r\n"
				. "Contact: <sip:a\@127.0.0.1:$me>\r\n"
				. ($body ? "Content-Type: application/sdp\r\n" : "")
				. "Content-Length: " . length($body) . "\r\n\r\n$body";
		}
		sub answer {
			my $b = "";
			local $SIG{ALRM} = sub { die "no answer\n" };
			alarm 3;
			do { $s->recv($b, 65535) } while ($b =~ /^SIP\/2.0 1/);
			alarm 0;
			return $b;
		}
		$s->send(req("INVITE", 1, "", $sdp));
		my ($tag) = answer() =~ /^To:.*(;tag=[^\r;]*)/mi;
		$s->send(req("ACK", 1, $tag, ""));
		my $bye = req("BYE", 2, $tag, "");
		$s->send($bye);
		print "first: ", (split /\r\n/, answer())[0], "\n";
		sleep 0.1;
		$s->send($bye);
		print "again: ", (split /\r\n/, answer())[0], "\n";
	' "$lp" >"$d/again.out" 2>&1
	T_NAME=$L_NAME
	t_check "the BYE answered 200" grep -qx "first: SIP/2.0 200 OK" "$d/again.out"
	t_check "and again, after -c was reached" grep -qx "again: SIP/2.0 200 OK" "$d/again.out"
	sed -n '1,4s/^/     | /p' "$d/again.out"
	if p_wait_exit "$lpid" 30; then
		t_eq "then the listener exits 0" 0 "$P_RC"
	else
		t_fail "then the listener exits" "still running 3 s later"
		p_stop "$lpid"
	fi
fi

t_done
