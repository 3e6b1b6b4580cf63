#!/bin/sh
# request.sh - `sip request`, `sip message` and `sip notify` against real
# peers on loopback: SIPp servers with scenarios in sipp/ that check what
# arrives (a MESSAGE's text and Content-Type; an INFO challenged with 401,
# answered, its DTMF body; a message-summary NOTIFY's headers and RFC 3842
# body, answered 404), a MESSAGE that Kamailio proxies to a SIPp phone
# registered as carol, a server that never answers (Ctrl-C: exit 3), and
# `sip listen` (501 to a method it does not know, 405 with Allow to
# PUBLISH, 200 to a check-sync NOTIFY and a MESSAGE). A
# tshark capture of it all must decode every request sent as SIP with
# nothing malformed. Peers run on free ports and are stopped by their PID;
# every client call is bounded by `timeout 30`.
# shellcheck disable=SC2317 # helpers are called through t_run and t_check
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/integration/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

d=$T_TMP

# sipc ARG...: the sip under test, bounded in time.
sipc() { timeout 30 "$SIP" "$@"; }

# t_jq FILTER: jq -s -e FILTER holds over stdout's JSON lines.
t_jq() { jq -s -e "$1" "$T_OUT" >/dev/null 2>&1; }

# sipp_verdict NAME PID LOG: SIPp ended and found every check of its
# scenario true (exit 0).
sipp_verdict() {
	if p_wait_exit "$2" 50; then
		t_eq "$1: SIPp's checks of what arrived hold" 0 "$P_RC"
		[ "$P_RC" -eq 0 ] || sed -n '1,5s/^/     | /p' "$3.err"
	else
		t_fail "$1: SIPp ends after its calls"
		p_stop "$2"
	fi
}

t_need "sip request, message and notify against SIPp and sip listen" \
	sipp=sip-tester tshark jq kamailio || t_done

# The ports first, so that one capture sees every exchange.
p_free_port
pmsg=$P_PORT
p_free_port
pinfo=$P_PORT
p_free_port
pntf=$P_PORT
p_free_port
plisten=$P_PORT
p_free_port
kp=$P_PORT
p_free_port
pk=$P_PORT

cap=$d/request.pcap
if p_tshark "$cap" "$pmsg" "$pinfo" "$pntf" "$plisten" "$kp" "$pk"; then
	tpid=$P_PID
else
	t_fail "tshark capture" "$P_WHY"
	tpid=
fi

# --- MESSAGE: the text and its type arrive, 200 is exit 0 ---------------------
if ! p_sipp "$d/msg.log" uas-message "$pmsg" 2; then
	t_fail "sipp uas-message" "$P_WHY"
else
	spid=$P_PID
	t_run "message to SIPp: 200, exit 0" 0 sipc message -o raw "127.0.0.1:$pmsg" 'hello sipp'
	t_out_has "SIP/2.0 200 OK"
	t_out_lacks "Contact:"
	t_check "the text ends its line: the next direction line starts one" \
		grep -qx 'hello sipp' "$T_OUT"
	# shellcheck disable=SC2016 # expanded by the inner sh
	t_run "message from standard input, -o json: 200, exit 0" 0 sh -c \
		'echo "hello sipp" | timeout 30 "$SIP" message -o json "127.0.0.1:$1"' sh "$pmsg"
	t_check "json: the summary says 200" \
		t_jq '.[-1].summary.status == 200'
	sipp_verdict "message" "$spid" "$d/msg.log"
fi

# --- INFO: a 401 answered with -u, the body and type arrive --------------------
if ! p_sipp "$d/info.log" uas-info-401 "$pinfo" 1; then
	t_fail "sipp uas-info-401" "$P_WHY"
else
	spid=$P_PID
	printf 'Signal=5\r\nDuration=160\r\n' >"$d/dtmf"
	t_run "INFO challenged with 401, answered as alice: exit 0" 0 env SIP_PASSWORD=secret \
		timeout 30 "$SIP" request -o raw -u alice --body "$d/dtmf" \
		--content-type application/dtmf-relay INFO "127.0.0.1:$pinfo"
	t_out_has "SIP/2.0 401 Unauthorized"
	t_out_has "CSeq: 2 INFO"
	t_out_has "SIP/2.0 200 OK"
	sipp_verdict "INFO" "$spid" "$d/info.log"
fi

# --- NOTIFY message-summary: what arrives, and 404 is exit 1 ------------------
if ! p_sipp "$d/ntf.log" uas-notify-404 "$pntf" 1; then
	t_fail "sipp uas-notify-404" "$P_WHY"
else
	spid=$P_PID
	t_run "notify message-summary 2/5 to SIPp: 404, exit 1" 1 sipc notify -o pretty \
		--color never --event message-summary --messages 2/5 "sip:alice@127.0.0.1:$pntf"
	t_out_has "404 Not Found"
	t_out_has "Answer:"
	sipp_verdict "NOTIFY" "$spid" "$d/ntf.log"
fi

# --- sip listen: 501 to a method it does not know, 405 to PUBLISH, 200 to --
# --- MESSAGE and NOTIFY ------------------------------------------------------
p_start "$d/listen.log" "$SIP" listen -q "127.0.0.1:$plisten" --count 5
lpid=$P_PID
if ! p_wait_text "$d/listen.log" "listening on" "$lpid" 50; then
	t_fail "sip listen on 127.0.0.1:$plisten" "$(head -n 3 "$d/listen.log")"
	p_stop "$lpid"
else
	t_run "request FOO to sip listen: 501, exit 1" 1 sipc request -o raw FOO "127.0.0.1:$plisten"
	t_out_has "SIP/2.0 501 Not Implemented"
	t_out_has "CSeq: 1 FOO"
	t_run "request FOO --expect 501: exit 0" 0 sipc request -q --expect 501 FOO "127.0.0.1:$plisten"
	t_run "request PUBLISH to sip listen: 405, exit 1" 1 \
		sipc request -o json -H 'Event: presence' PUBLISH "127.0.0.1:$plisten"
	t_check "json: the summary says 405 and Allow" \
		t_jq '.[-1].summary.status == 405 and (.[-1].summary.allow | test("MESSAGE"))'
	t_run "notify check-sync to sip listen: 200, exit 0" 0 \
		sipc notify -q --event check-sync "127.0.0.1:$plisten"
	t_run "message to sip listen: 200, exit 0" 0 sipc message -q "127.0.0.1:$plisten" hi
	p_wait_exit "$lpid" 50 || p_stop "$lpid"
fi

# --- nobody there: ICMP port unreachable is exit 4, with the reason -----------
p_free_port
t_run "request INFO to a closed port: exit 4" 4 \
	sipc request --timeout 1 INFO "127.0.0.1:$P_PORT"
t_err_has "sip: request: '127.0.0.1:$P_PORT':"

# --- a server that never answers: Ctrl-C is "interrupted", exit 3 ------------
p_free_port
if ! p_blackhole "$d/bh.log" "$P_PORT"; then
	t_fail "blackhole" "$P_WHY"
else
	bhpid=$P_PID
	T_NAME="SIGINT while MESSAGE waits, -o json"
	if p_interrupt "$d/bh.log" "datagram" INT "$SIP" message -o json --t1 100 "127.0.0.1:$P_PORT" hi; then
		t_eq "$T_NAME: exit 3" 3 "$P_RC"
		t_err_has "sip: message: '127.0.0.1:$P_PORT': interrupted"
		t_check "json: the summary says interrupted, exit 3" \
			t_jq '.[-1].summary.error == "interrupted" and .[-1].summary.exit == 3'
	else
		t_fail "$T_NAME" "$P_WHY"
	fi
	p_stop "$bhpid"
fi

# --- Kamailio: a MESSAGE proxied to a registered phone ------------------------
if ! p_kamailio_proxy "$d/kam" "$kp"; then
	t_fail "kamailio proxy" "$P_WHY"
elif ! p_sipp "$d/kmsg.log" uas-message "$pk" 1; then
	t_fail "sipp uas-message behind Kamailio" "$P_WHY"
else
	spid=$P_PID
	t_run "register a SIPp phone as carol with Kamailio" 0 timeout 30 "$SIP" register -q \
		--contact "<sip:carol@127.0.0.1:$pk>" "sip:carol@127.0.0.1:$kp"
	t_run "message carol through Kamailio: 200 from her phone, exit 0" 0 \
		sipc message -o raw --t1 100 "sip:carol@127.0.0.1:$kp" 'hello sipp'
	t_out_has "MESSAGE sip:carol@127.0.0.1:$kp SIP/2.0"
	t_out_has "SIP/2.0 200 OK"
	sipp_verdict "message through Kamailio" "$spid" "$d/kmsg.log"
fi

# --- tshark: every request decodes as SIP, nothing malformed -------------------
if [ -n "$tpid" ]; then
	T_NAME="tshark"
	sleep 1
	p_stop "$tpid"
	decode="-d udp.port==$pmsg,sip -d udp.port==$pinfo,sip -d udp.port==$pntf,sip -d udp.port==$plisten,sip -d udp.port==$kp,sip -d udp.port==$pk,sip"
	# shellcheck disable=SC2086 # $decode is words
	tshark -n -r "$cap" $decode -Y 'sip.Method' -T fields -e sip.Method \
		>"$d/methods.txt" 2>"$d/tshark.err"
	for m in MESSAGE INFO NOTIFY FOO; do
		n=$(grep -cx "$m" "$d/methods.txt")
		t_check "tshark decodes the ${m} requests sent ($n)" test "$n" -ge 1
	done
	# The MESSAGE to carol is seen twice: to Kamailio and from it to her phone.
	t_eq "tshark: 5 MESSAGE, 2 INFO, 2 NOTIFY, 2 FOO" "5 2 2 2" \
		"$(grep -cx MESSAGE "$d/methods.txt") $(grep -cx INFO "$d/methods.txt") $(grep -cx NOTIFY "$d/methods.txt") $(grep -cx FOO "$d/methods.txt")"
	# shellcheck disable=SC2086
	tshark -n -r "$cap" $decode -Y '_ws.malformed || _ws.expert.severity == error' \
		>"$d/malformed.txt" 2>>"$d/tshark.err"
	t_check "tshark: nothing malformed" test ! -s "$d/malformed.txt"
	sed -n '1,6s/^/     | /p' "$d/malformed.txt"
	# shellcheck disable=SC2086
	tshark -n -r "$cap" $decode -Y 'sip.Method == "NOTIFY"' -V >"$d/notify.txt" 2>>"$d/tshark.err"
	t_check "tshark reads the message-summary body" grep -q 'Voice-Message: 2/5' "$d/notify.txt"
fi

t_done
