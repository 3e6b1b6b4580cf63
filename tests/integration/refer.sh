#!/bin/sh
# refer.sh - `sip refer` against real peers on loopback: SIPp phones with
# scenarios in sipp/refer-*.xml that carry out a transfer (202, NOTIFY 100
# Trying, NOTIFY 200 OK, or 180 and 486, terminated), whose first NOTIFY
# overtakes the 202 (and one whose final one does: the 202 waited for, then
# unsubscribed), that send none (64*T1 ends it), that do not answer the
# REFER before the wait runs out, that put an escape sequence in the
# sipfrag's reason (malformed: exit 7, nothing of it shown), that report the
# final status while still active (that NOTIFY answered, then unsubscribed),
# that never get past 100 Trying (the wait runs out: unsubscribe, exit 3 in
# bounded time; over UDP and over TCP), that refuse the REFER (403), that
# send a NOTIFY without a sipfrag (exit 7), that send only NOTIFYs the
# library refuses (no Subscription-State, another Event: each warned of,
# exit 7), whose 202 has no To tag (exit 7), that challenge it (401:
# answered with -u, exit 6 without), that check Refer-Sub: false (--no-sub;
# one ignores it, which is warned of) and the exact Refer-To and Referred-By
# of an attended transfer (--replaces, RFC 3891's example); progress lines
# written as the NOTIFYs come, not at exit; Ctrl-C once (unsubscribe,
# "interrupted", exit 3) and twice (130); and Kamailio proxying the REFER to
# a SIPp phone registered with it. A tshark capture of it all must decode
# every message as SIP with nothing malformed. Peers run on free ports and
# are stopped by their PID; every client call is bounded by `timeout 30`.
# shellcheck disable=SC2317 # helpers are called through t_run and t_check
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/integration/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

d=$T_TMP

# t_jq FILTER: jq -s -e FILTER holds over stdout's JSON lines.
t_jq() { jq -s -e "$1" "$T_OUT" >/dev/null 2>&1; }

# sipp_verdict NAME PID LOG: SIPp ended and found every check of its
# scenario true (exit 0).
sipp_verdict() {
	if p_wait_exit "$2" 50; then
		t_eq "$1: SIPp's checks of what arrived hold" 0 "$P_RC"
		[ "$P_RC" -eq 0 ] || grep -v -e '^ *$' "$3.err" 2>/dev/null | sed -n '1,5s/^/     | /p'
	else
		t_fail "$1: SIPp ends after its call"
		p_stop "$2"
	fi
}

t_need "sip refer against SIPp and Kamailio" sipp=sip-tester tshark jq kamailio || t_done

# The ports first, so that one capture sees every exchange.
ports=
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	p_free_port
	ports="$ports $P_PORT"
done
# shellcheck disable=SC2086 # the ports are words
set -- $ports
p200=$1 p486=$2 ptry=$3 pbad=$4 prej=$5 pnosub=$6 prepl=$7 pint=$8 pint2=$9 pact=${10} pauth=${11} pnoauth=${12} pearly=${13} ptcp=${14} psilent=${15}
pearlyfin=${16} punans=${17} pkept=${18} pesc=${19} plive=${20}
p_free_port
kp=$P_PORT
p_free_port
pk=$P_PORT

echo secret >"$d/password"
cap=$d/refer.pcap
# shellcheck disable=SC2086
if p_tshark "$cap" $ports "$kp" "$pk"; then
	tpid=$P_PID
else
	t_fail "tshark capture" "$P_WHY"
	tpid=
fi

# phone SCENARIO PORT: a SIPp phone for one REFER. PID in $P_PID.
phone() {
	p_sipp "$d/$1-$2.log" "$1" "$2" 1
}

# refer NAME SCENARIO PORT EXIT SIP-ARG...: `sip refer --t1 100
# SIP-ARG... 127.0.0.1:PORT sip:carol@127.0.0.1` against SIPp with
# SCENARIO, its exit and SIPp's checks; false when SIPp did not start.
refer() {
	r_name=$1 r_scen=$2 r_port=$3 r_want=$4
	shift 4
	if ! phone "$r_scen" "$r_port"; then
		t_fail "$r_name: sipp $r_scen" "$P_WHY"
		return 1
	fi
	r_pid=$P_PID
	t_run "$r_name" "$r_want" timeout 30 "$SIP" refer --t1 100 "$@" \
		"127.0.0.1:$r_port" sip:carol@127.0.0.1
	sipp_verdict "$r_name" "$r_pid" "$d/$r_scen-$r_port.log"
}

# --- 202, NOTIFY 100 Trying, NOTIFY 200 OK terminated: exit 0 -----------------
if refer "transfer done: 100 Trying, 200 OK, --ladder: exit 0" refer-notify "$p200" 0 -o pretty \
	--color never --ladder; then
	t_check "the diagram: REFER, 202, two NOTIFYs answered" sh -c \
		"grep -oE '(REFER|202 Accepted|NOTIFY|200 OK \\(NOTIFY\\))' '$T_OUT' | tail -n 6 | tr '\n' '|' | grep -qx 'REFER|202 Accepted|NOTIFY|200 OK (NOTIFY)|NOTIFY|200 OK (NOTIFY)|'"
	t_out_has "Refer-To: <sip:carol@127.0.0.1>"
	t_out_has "202 Accepted"
	t_check "one progress line per NOTIFY, in order" sh -c \
		"grep '^Progress:' '$T_OUT' | tr -s ' ' | tr '\n' '|' | grep -qx 'Progress: 100 Trying|Progress: 200 OK (subscription terminated: noresource)|'"
	t_check "the summary says 200 OK" grep -q '^Transfer: *200 OK after' "$T_OUT"
	t_err_empty
fi

# --- the final sipfrag is 486: exit 1, -o json ---------------------------------
if refer "transfer failed: 486 Busy Here, -o json, --pcap: exit 1" refer-busy "$p486" 1 -o json \
	--pcap "$d/busy.pcap"; then
	t_eq "--pcap: the REFER, the NOTIFYs and our answers, in order" \
		"REFER 202 NOTIFY 200 NOTIFY 200 NOTIFY 200" \
		"$(tshark -n -r "$d/busy.pcap" -d "udp.port==$p486,sip" -T fields -e sip.Method \
			-e sip.Status-Code 2>/dev/null | tr -s '\t\n' '  ' | sed 's/ $//')"
	t_check "json: one object per NOTIFY, 100, 180, 486" \
		t_jq '[.[] | select(.notify) | .notify.status] == [100, 180, 486]'
	t_check "json: the last NOTIFY is final and terminated" \
		t_jq '[.[] | select(.notify)][-1].notify | .final and .state == "terminated"'
	t_check "json: the summary says 486, 202, exit 1" \
		t_jq '.[-1].summary | .last_status == 486 and .status == 202 and .final and .exit == 1'
	t_err_has "sip: refer: '127.0.0.1:$p486': 486 Busy Here after"
fi

# --- the first NOTIFY before the 202 (RFC 6665 §4.1.2.4) -----------------------
if refer "NOTIFY before the 202: both NOTIFYs shown, exit 0" refer-early "$pearly" 0 -o json; then
	t_check "json: 100 then 200, one subscription, the 202 in the summary" \
		t_jq '[.[] | select(.notify) | .notify | [.status, .subscription]] == [[100, 1], [200, 1]] and .[-1].summary.status == 202'
fi

# --- the final status before the 202: the 202 taken, then unsubscribed ---------
if refer "final NOTIFY before the 202: the 202 waited for, unsubscribed: exit 0" \
	refer-early-final "$pearlyfin" 0 -o json; then
	t_check "json: 200 (active), then the unsubscribe's 200 (terminated)" \
		t_jq '[.[] | select(.notify) | .notify | [.status, .state]] == [[200, "active"], [200, "terminated"]]'
	t_check "json: the summary has the 202, exit 0" \
		t_jq '.[-1].summary | .status == 202 and .final and .exit == 0'
fi

# --- the final status while still active: its NOTIFY answered, then unsubscribe -
if refer "200 OK in an active NOTIFY: answered, then unsubscribed: exit 0" refer-active "$pact" 0 \
	-q; then
	t_out_has "Progress:   200 OK"
	t_out_has "Transfer:   200 OK after"
fi

# --- only 100 Trying: the wait runs out, the unsubscribe ends it: exit 3 -------
t0=$(p_now_ms)
if refer "only 100 Trying: --transfer-timeout 1, unsubscribed: exit 3" refer-trying "$ptry" 3 \
	-q --transfer-timeout 1; then
	ms=$(($(p_now_ms) - t0))
	t_check "it ends soon after the wait (${ms} ms)" test "$ms" -lt 6000
	t_out_has "Progress:   100 Trying"
	t_out_has "Transfer:   no final NOTIFY within 1 s (last: 100 Trying)"
	t_err_has "sip: refer: '127.0.0.1:$ptry': no final NOTIFY within 1 s (last: 100 Trying)"
fi

# --- the same over TCP: the NOTIFYs and the unsubscribe on the connection ----
if p_sipp "$d/tcp.log" refer-trying "$ptcp" 1 tcp; then
	spid=$P_PID
	t_run "over TCP: only 100 Trying, unsubscribed: exit 3" 3 timeout 30 "$SIP" refer -q -t tcp \
		--t1 100 --transfer-timeout 1 "127.0.0.1:$ptcp" sip:carol@127.0.0.1
	t_out_has "Progress:   100 Trying (subscription terminated: timeout)"
	sipp_verdict "over TCP" "$spid" "$d/tcp.log"
else
	t_fail "sipp refer-trying over tcp" "$P_WHY"
fi

# --- 202 and then no NOTIFY at all: the subscription lapses after 64*T1 ------
t0=$(p_now_ms)
if refer "202 and no NOTIFY: exit 3 after 64*T1" refer-silent "$psilent" 3 -q --t1 50; then
	ms=$(($(p_now_ms) - t0))
	t_check "it ends at 64*T1 (3.2 s), not at --transfer-timeout (${ms} ms)" test "$ms" -lt 6000
	t_out_has "Transfer:   the subscription ended: no NOTIFY in time"
fi

# --- NOTIFYs, none valid (no Subscription-State, another Event): each warned
# of with the status it got, and exit 7, not "no NOTIFY in time" (3) ----------
# Its own port, outside the capture: tshark may call such a NOTIFY an error.
p_free_port
pnostate=$P_PORT
if refer "NOTIFYs without Subscription-State or of presence: 400, 489, exit 7" refer-nostate \
	"$pnostate" 7 -q --t1 50; then
	t_err_has "sip: refer: warning: NOTIFY answered 400: no Subscription-State"
	t_err_has "sip: refer: warning: NOTIFY answered 489: an Event other than refer;id=1"
	t_out_has "Transfer:   no valid NOTIFY: 2 refused as malformed, the last: 489 an Event other than refer;id=1"
fi

# --- a 202 without a To tag: no subscription, exit 7 ---------------------------
p_free_port
pnotag=$P_PORT
if refer "a 202 without a To tag: exit 7" refer-notag "$pnotag" 7 -q; then
	t_out_has "Transfer:   the 202 has no To tag: no subscription"
	t_err_has "the 202 has no To tag: no subscription"
fi

# --- the REFER unanswered when the wait runs out: said so, exit 3 ---------------
if refer "the REFER unanswered at --transfer-timeout 1: exit 3" refer-unanswered "$punans" 3 -q \
	--transfer-timeout 1; then
	t_out_has "Transfer:   no answer to the REFER within 1 s"
	t_err_has "sip: refer: '127.0.0.1:$punans': no answer to the REFER within 1 s"
fi

# --- an escape sequence in the sipfrag reason: malformed (exit 7), not shown --
printf 'SEQUENTIAL\n\033[2J;\n' >"$d/esc.csv"
if p_sipp "$d/esc.log" refer-escape "$pesc" 1 udp -inf "$d/esc.csv"; then
	spid=$P_PID
	t_run "an ESC in the sipfrag reason phrase: exit 7" 7 timeout 30 "$SIP" refer -q --t1 100 \
		"127.0.0.1:$pesc" sip:carol@127.0.0.1
	t_check "no ESC on stdout" test "$(tr -cd '\033' <"$T_OUT" | wc -c)" -eq 0
	t_out_has "Progress:   not a transfer's progress: a message/sipfrag body that does not parse (subscription terminated: noresource)"
	t_out_has "Transfer:   NOTIFY 1: a message/sipfrag body that does not parse"
	sipp_verdict "escape" "$spid" "$d/esc.log"
else
	t_fail "sipp refer-escape" "$P_WHY"
fi

# --- a NOTIFY whose body is not a sipfrag: exit 7 ------------------------------
if refer "a NOTIFY with text/plain: exit 7" refer-badbody "$pbad" 7 -q; then
	t_out_has "not a transfer's progress: Content-Type text/plain, not message/sipfrag"
	t_err_has "NOTIFY 1: Content-Type text/plain, not message/sipfrag"
fi

# --- the REFER refused: exit 1 --------------------------------------------------
if refer "REFER refused with 403: exit 1" refer-reject "$prej" 1 -o json; then
	t_check "json: no NOTIFY, the summary says 403, exit 1" \
		t_jq '([.[] | select(.notify)] | length) == 0 and .[-1].summary.status == 403 and .[-1].summary.exit == 1'
	t_err_has "REFER refused: 403 Forbidden"
fi

# --- a challenged REFER: answered as alice, the NOTIFY names the CSeq 2 -------
if refer "REFER challenged with 401, answered as alice: exit 0" refer-401 "$pauth" 0 -q \
	-u alice --password-file "$d/password"; then
	t_out_has "Transfer:   200 OK after"
fi
if phone refer-401 "$pnoauth"; then
	t_run "REFER challenged, no -u: exit 6" 6 timeout 30 "$SIP" refer -q --t1 100 \
		"127.0.0.1:$pnoauth" sip:carol@127.0.0.1
	t_err_has "realm 'sipp.test' wants credentials: give -u USER"
	t_out_has "Transfer:   REFER refused: 401 Unauthorized: authentication failed"
	p_stop "$P_PID"
else
	t_fail "sipp refer-401" "$P_WHY"
fi

# --- --no-sub: Refer-Sub: false, done at the 202 ----------------------------------
t0=$(p_now_ms)
if refer "--no-sub: Refer-Sub: false, the 202 ends it: exit 0" refer-nosub "$pnosub" 0 \
	--no-sub -q; then
	ms=$(($(p_now_ms) - t0))
	t_check "no NOTIFY waited for (${ms} ms)" test "$ms" -lt 3000
	t_out_has "Transfer:   accepted (202 Accepted); no progress asked for (Refer-Sub: false)"
	t_err_empty
fi

# --- --no-sub, and a 202 without Refer-Sub: false: NOTIFYs follow, unanswered ---
if refer "--no-sub, the 202 keeps the subscription: warned, exit 0" refer-nosub-kept "$pkept" 0 \
	--no-sub -q; then
	t_err_has "sip: refer: warning: the 202 has no 'Refer-Sub: false' (RFC 4488): the target keeps the subscription, and its NOTIFYs go unanswered"
fi

# --- --replaces and --referred-by: the exact header fields, per RFC 3891 §2 ------
if phone refer-replaces "$prepl"; then
	spid=$P_PID
	t_run "--replaces, --referred-by: SIPp checks the Refer-To and Referred-By: exit 0" 0 \
		timeout 30 "$SIP" refer -q --t1 100 --referred-by 'Alice <sip:alice@atlanta.example.com>' \
		--replaces '12345@192.168.118.3;to-tag=12345;from-tag=5FFE-3994' \
		"127.0.0.1:$prepl" sips:bob@bobster.example.org
	sipp_verdict "--replaces" "$spid" "$d/refer-replaces-$prepl.log"
else
	t_fail "sipp refer-replaces" "$P_WHY"
fi

# --- Ctrl-C while the transfer rings: unsubscribe, interrupted, exit 3 ---------
if phone refer-trying "$pint"; then
	spid=$P_PID
	T_NAME="SIGINT after 100 Trying"
	if p_interrupt "$d/refer-trying-$pint.log.msg" "CSeq: 1 NOTIFY" INT "$SIP" refer -o json \
		--t1 100 "127.0.0.1:$pint" sip:carol@127.0.0.1; then
		t_eq "$T_NAME: exit 3" 3 "$P_RC"
		t_err_has "sip: refer: unsubscribing (Ctrl-C again to quit at once)"
		t_err_has "sip: refer: '127.0.0.1:$pint': interrupted"
		t_check "json: the summary says interrupted, exit 3" \
			t_jq '.[-1].summary | .error == "interrupted" and .last_status == 100 and .exit == 3'
		t_check "json: the unsubscribe's NOTIFY shown too" \
			t_jq '[.[] | select(.notify)][-1].notify.state == "terminated"'
	else
		t_fail "$T_NAME" "$P_WHY"
	fi
	sipp_verdict "SIGINT" "$spid" "$d/refer-trying-$pint.log"
else
	t_fail "sipp refer-trying" "$P_WHY"
fi

# --- stdout a file: each progress line is there as its NOTIFY comes ------------
if phone refer-trying "$plive"; then
	spid=$P_PID
	T_NAME="-q into a file: the progress line written at once"
	if p_interrupt "$T_OUT" "Progress:   100 Trying" INT "$SIP" refer -q --t1 100 \
		"127.0.0.1:$plive" sip:carol@127.0.0.1; then
		t_eq "$T_NAME: exit 3 after Ctrl-C" 3 "$P_RC"
	else
		t_fail "$T_NAME" "$P_WHY"
	fi
	sipp_verdict "live" "$spid" "$d/refer-trying-$plive.log"
else
	t_fail "sipp refer-trying" "$P_WHY"
fi

# --- Ctrl-C twice, the unsubscribe unanswered: 130 at once -----------------------
if phone refer-deaf "$pint2"; then
	spid=$P_PID
	T_NAME="SIGINT twice"
	if p_interrupt "$d/refer-deaf-$pint2.log.msg" "CSeq: 1 NOTIFY" "INT INT" "$SIP" refer -q \
		--t1 100 "127.0.0.1:$pint2" sip:carol@127.0.0.1; then
		t_eq "$T_NAME: exit 130" 130 "$P_RC"
		t_check "at once (${P_MS} ms)" test "$P_MS" -lt 2000
		t_out_has "Transfer:   interrupted (last: 100 Trying)"
	else
		t_fail "$T_NAME" "$P_WHY"
	fi
	p_stop "$spid"
else
	t_fail "sipp refer-deaf" "$P_WHY"
fi

# --- Kamailio: the REFER proxied to a registered phone ---------------------------
if ! p_kamailio_proxy "$d/kam" "$kp"; then
	t_fail "kamailio proxy" "$P_WHY"
elif ! p_sipp "$d/proxied.log" refer-proxied "$pk" 1 udp -key kport "$kp"; then
	t_fail "sipp refer-proxied" "$P_WHY"
else
	spid=$P_PID
	t_run "register a SIPp phone as carol with Kamailio" 0 timeout 30 "$SIP" register -q \
		--contact "<sip:carol@127.0.0.1:$pk>" "sip:carol@127.0.0.1:$kp"
	t_run "refer carol through Kamailio: 100 Trying, 200 OK: exit 0" 0 timeout 30 "$SIP" refer \
		-o pretty --color never --t1 100 "sip:carol@127.0.0.1:$kp" sip:dave@127.0.0.1
	t_out_has "Record-Route: <sip:127.0.0.1:$kp;lr"
	t_check "both NOTIFYs came through Kamailio" test "$(grep -c '^Progress:' "$T_OUT")" -eq 2
	t_check "the summary says 200 OK" grep -q '^Transfer: *200 OK after' "$T_OUT"
	sipp_verdict "proxied" "$spid" "$d/proxied.log"
fi

# --- tshark: every message decodes as SIP, nothing malformed ---------------------
if [ -n "$tpid" ]; then
	T_NAME="tshark"
	sleep 1
	p_stop "$tpid"
	decode=
	for p in $ports "$kp" "$pk"; do
		decode="$decode -d udp.port==$p,sip -d tcp.port==$p,sip"
	done
	# shellcheck disable=SC2086 # $decode is words
	tshark -n -r "$cap" $decode -Y 'sip.Method' -T fields -e sip.Method \
		>"$d/methods.txt" 2>"$d/tshark.err"
	for m in REFER NOTIFY SUBSCRIBE; do
		n=$(grep -cx "$m" "$d/methods.txt")
		t_check "tshark decodes the ${m} requests ($n)" test "$n" -ge 1
	done
	# shellcheck disable=SC2086
	tshark -n -r "$cap" $decode -Y '_ws.malformed || _ws.expert.severity == error' \
		>"$d/malformed.txt" 2>>"$d/tshark.err"
	t_check "tshark: nothing malformed" test ! -s "$d/malformed.txt"
	sed -n '1,6s/^/     | /p' "$d/malformed.txt"
	# shellcheck disable=SC2086
	t_eq "tshark reads the attended transfer's Refer-To, Replaces and Referred-By" \
		"<sips:bob@bobster.example.org?Replaces=12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994>|Alice <sip:alice@atlanta.example.com>" \
		"$(tshark -n -r "$cap" $decode -Y "sip.Method == \"REFER\" && udp.dstport == $prepl" \
			-T fields -E separator='|' -e sip.Refer-To -e sip.Referred-by 2>/dev/null | head -n 1)"
	# shellcheck disable=SC2086
	t_eq "tshark reads Refer-Sub: false in the --no-sub REFER" "false" \
		"$(tshark -n -r "$cap" $decode -Y "sip.Method == \"REFER\" && udp.dstport == $pnosub" \
			-T fields -e sip.Refer-Sub 2>/dev/null | head -n 1)"
fi

t_done
