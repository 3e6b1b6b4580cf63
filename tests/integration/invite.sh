#!/bin/sh
# invite.sh - `sip invite` against real peers on loopback. SIPp plays the
# callee with the scenarios in sipp/invite-*.xml, each on its own free port
# for one call, and checks what it receives (SIPp exits 0 only when every
# check in the scenario held): an answered call ended by us (after -d, or
# on Ctrl-C) and by the far end, over UDP, TCP and IPv6; a second 200 from
# another fork (ACK and BYE); --codecs, --rtp-port,
# --sdp FILE; 486; a 200 without Contact (warned, and called at the
# Request-URI) and one without a To tag (exit 7); no response at all
# (exit 3) and nothing listening
# (exit 4); ringing until --ring-timeout or Ctrl-C (CANCEL, 487, ACK), and
# a CANCEL after which no 487 comes (exit 3); a
# reliable 183 PRACKed once though it comes twice; 407 and the retry, whose
# digest is checked here, and 401 and the retry, whose digest SIPp verifies;
# 302 with and without --follow, to one Contact and to two by q; a 200
# retransmitted after its ACK; --reinvite, --update (confirmed and early
# dialog), --no-sdp, a far-end re-INVITE, --ladder (a redirect in columns
# of its own; COLUMNS=50 and a 36-column terminal get the list), and the diagram a
# pretty run on a terminal ends with.
# Kamailio as a record-routing proxy and registrar in front of a registered
# SIPp callee: ACK and BYE follow the route set, over UDP, and over TCP
# and TLS (two Record-Routes). Each call writes --pcap,
# which tshark must read as well-formed SIP in the expected order. Missing
# peers are installed (tests/deps.sh); one that does not start fails with
# the reason, and only where they cannot be had at all (not Debian, no
# root) is the file skipped, saying why. Every peer is on a free port and stopped by its PID; every call is bounded by `timeout 30`,
# and short timers (--t1 100, -d 1, -r 1) keep the file within a minute.
# shellcheck disable=SC2317 # helpers are called through t_run and t_check
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/integration/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

d=$T_TMP
# The diagrams are checked at the width given here, not the caller's.
unset COLUMNS

t_need "sip invite against SIPp and Kamailio" sipp=sip-tester tshark kamailio \
	kamailio-tls-modules openssl jq script=bsdutils md5sum=coreutils || t_done

# t_jq DESCRIPTION FILTER: jq -e FILTER holds on the last stdout read as one
# array of its JSON values (jq -s).
t_jq() {
	t_check "$1" t_jq_true "$2"
}
t_jq_true() { jq -s -e "$1" "$T_OUT" >/dev/null 2>&1; }

# decode PORT...: tshark's arguments to read SIP on those ports.
decode() {
	for dp in "$@"; do
		printf ' -d udp.port==%s,sip -d tcp.port==%s,sip' "$dp" "$dp"
	done
}

# flow PCAP PORT...: the SIP messages in PCAP in order, one word each: a
# request's method, a response's status/CSeq method ("200/INVITE"). A
# retransmission (the same word with the same top Via branch again) is
# left out: with timers this short, one may come under load.
flow() {
	f_pcap=$1
	shift
	# shellcheck disable=SC2046 # decode gives several arguments
	tshark -n -r "$f_pcap" $(decode "$@") -Y sip -T fields -E 'separator=|' \
		-e sip.Method -e sip.Status-Code -e sip.CSeq.method -e sip.Via.branch 2>/dev/null |
		awk -F'|' '{ w = ($1 != "") ? $1 : $2 "/" $3
			split($4, b, ",")
			if (seen[w " " b[1]]++) next
			printf "%s%s", (n++ ? " " : ""), w }
			END { print "" }'
}

# count PCAP PORT WORD: how many messages flow would write as WORD,
# retransmissions included.
count() {
	# shellcheck disable=SC2046
	tshark -n -r "$1" $(decode "$2") -Y sip -T fields -E 'separator=|' \
		-e sip.Method -e sip.Status-Code -e sip.CSeq.method 2>/dev/null |
		awk -F'|' -v want="$3" '{ w = ($1 != "") ? $1 : $2 "/" $3 } w == want { n++ } END { print n + 0 }'
}

# t_pcap WHAT EXPECTED PORT...: the capture $pcap of the last call holds
# the SIP messages EXPECTED (as flow writes them), and nothing tshark finds
# malformed or in error.
t_pcap() {
	tp_what=$1 tp_want=$2
	shift 2
	tp_got=$(flow "$pcap" "$@")
	t_eq "$T_NAME: --pcap holds $tp_what" "$tp_want" "$tp_got"
	# shellcheck disable=SC2046
	tshark -n -r "$pcap" $(decode "$@") -Y '_ws.malformed || _ws.expert.severity == error' \
		>"$d/malformed.txt" 2>/dev/null
	t_check "--pcap: nothing malformed" test ! -s "$d/malformed.txt"
	sed -n '1,5s/^/     | /p' "$d/malformed.txt"
}

# sipp_done LOG PID: SIPp (PID, logging to LOG) ends by itself within 5 s
# of the call, with status 0: every check of its scenario held.
sipp_done() {
	if p_wait_exit "$2" 50; then
		t_eq "$T_NAME: SIPp's checks held (exit 0)" 0 "$P_RC"
		[ "$P_RC" -eq 0 ] || grep -v -e '^ *$' -e 'jumping to label' "$1.err" 2>/dev/null |
			sed -n '1,6s/^/     | /p'
	else
		t_fail "$T_NAME: SIPp ends after its call" "still running 5 s later"
		grep -v -e '^ *$' "$1.err" 2>/dev/null | sed -n '1,6s/^/     | /p'
		p_stop "$2"
	fi
}

# call SCENARIO NAME EXIT [SIPP-ARG... --] SIP-ARG...: starts SIPp with
# sipp/SCENARIO.xml for one call on a free port ($port; over $proto, UDP
# unless set), runs `sip invite --t1 100 --pcap FILE SIP-ARG...
# sip:callee@127.0.0.1:PORT`, checks its exit and then SIPp's (sipp_done).
# The capture is left in $pcap, the output for t_out_has and t_jq. Returns
# 1 (a failure) when SIPp does not start.
ncall=0
call() {
	c_scen=$1 c_name=$2 c_want=$3
	shift 3
	c_sargs=
	case " $* " in
	*" -- "*)
		while [ "$1" != "--" ]; do
			c_sargs="$c_sargs $1"
			shift
		done
		shift
		;;
	esac
	ncall=$((ncall + 1))
	pcap=$d/call$ncall.pcap
	p_free_port
	port=$P_PORT
	# shellcheck disable=SC2086 # one word per SIPp argument
	if ! p_sipp "$d/call$ncall.log" "$c_scen" "$port" 1 "${proto:-udp}" $c_sargs; then
		t_fail "$c_name" "$P_WHY"
		return 1
	fi
	c_pid=$P_PID
	t_run "$c_name" "$c_want" timeout 30 "$SIP" invite --t1 100 --pcap "$pcap" "$@" \
		"sip:callee@127.0.0.1:$port"
	sipp_done "$d/call$ncall.log" "$c_pid"
}

# digest_ok PASSWORD: the Proxy-Authorization in the last output answers
# its challenge (MD5, qop=auth) for the method INVITE with PASSWORD.
digest_ok() {
	pa=$(grep -m 1 '^Proxy-Authorization: Digest ' "$T_OUT" | tr -d '\r')
	[ -n "$pa" ] || return 1
	ha1=$(md5 "$(param username):$(param realm):$1")
	ha2=$(md5 "INVITE:$(param uri)")
	want=$(md5 "$ha1:$(param nonce):$(param nc):$(param cnonce):$(param qop):$ha2")
	[ -n "$want" ] && [ "$want" = "$(param response)" ]
}
md5() { printf '%s' "$1" | md5sum | cut -d ' ' -f 1; }
# param NAME: NAME's value in $pa, quoted or not.
param() {
	printf '%s\n' "$pa" | sed -n "s/.*[ ,]$1=\"\\{0,1\\}\\([^\",]*\\).*/\\1/p" | head -n 1
}

# --- calls answered ------------------------------------------------------------
if call invite-answer "answered, held 1 s, BYE: exit 0" 0 -d 1; then
	t_out_has "INVITE sip:callee@127.0.0.1:$port SIP/2.0"
	t_out_has "m=audio 4000 RTP/AVP 0 8 101"
	t_out_has "a=rtpmap:101 telephone-event/8000"
	t_out_has "SIP/2.0 180 Ringing"
	t_out_has "SIP/2.0 200 OK"
	t_out_has "BYE sip:callee@127.0.0.1:$port;transport=UDP SIP/2.0"
	t_pcap "INVITE 100 180 200 ACK BYE 200" \
		"INVITE 100/INVITE 180/INVITE 200/INVITE ACK BYE 200/BYE" "$port"
	t_eq "$T_NAME: --pcap: the INVITE went to 127.0.0.1:$port" "127.0.0.1 $port" \
		"$(tshark -n -r "$pcap" -d "udp.port==$port,sip" -Y 'sip.Method == "INVITE"' \
			-T fields -E separator=' ' -e ip.dst -e udp.dstport 2>/dev/null)"
fi

if call invite-answer "-o json --codecs PCMA,telephone-event --rtp-port 4100: exit 0" 0 \
	-d 1 -o json --codecs PCMA,telephone-event --rtp-port 4100; then
	t_jq "the offer is audio on port 4100 with PCMA and telephone-event alone" \
		'map(select(.direction == "sent" and .method == "INVITE"))[0].body.sdp.media | length == 1 and .[0].port == 4100 and ([.[0].codecs[].name] == ["PCMA", "telephone-event"])'
	t_jq ".summary: answered, ended by us, exit 0" \
		'.[-1].summary | .status == 200 and .answered == true and .cancelled == false and .ended_by == "us" and .exit == 0'
fi

# RFC 3264 §6.1: the answer's formats must include one the offer had. SIPp
# answers PCMU whatever was offered: to PCMA, G722 and opus that is wrong,
# warned of and listed in the JSON summary's problems; the call goes on.
if call invite-answer "an answer with a codec that was not offered: warning, exit 0" 0 \
	-d 0 -o json --codecs PCMA,G722,opus,telephone-event; then
	t_err_has "sip: invite: warning: the answer's audio stream picks PCMU/8000, which the offer did not have (RFC 3264 §6.1)"
	t_err_lines 1
	t_jq ".summary.problems names PCMU, once (the 200 alone answers)" \
		'.[-1].summary | (.problems | length) == 1 and (.problems[0] | test("picks PCMU/8000")) and .exit == 0'
fi
if call invite-answer "an answer with an offered codec: no problem" 0 -d 0 -o json; then
	t_err_lacks "offer did not have"
	t_jq ".summary has no problems" '.[-1].summary | has("problems") | not'
fi

proto=tcp
if call invite-answer "answered over TCP (-t tcp): exit 0" 0 -d 1 -t tcp; then
	t_out_has "Via: SIP/2.0/TCP 127.0.0.1:"
	t_pcap "the call over TCP" \
		"INVITE 100/INVITE 180/INVITE 200/INVITE ACK BYE 200/BYE" "$port"
	t_check "--pcap: as TCP segments to port $port" test "$(tshark -n -r "$pcap" \
		-d "tcp.port==$port,sip" -Y "sip.Method == \"INVITE\" && tcp.dstport == $port" 2>/dev/null |
		wc -l)" -eq 1
fi
proto=

if call invite-far-bye "the far end hangs up: 200 to its BYE, exit 0" 0; then
	t_err_has "hung up"
	t_pcap "the far end's BYE and our 200" "INVITE 200/INVITE ACK BYE 200/BYE" "$port"
fi

if call invite-200-retrans "a 200 repeated after its ACK is ACKed again: exit 0" 0 -nr -- -d 1; then
	t_pcap "the call" "INVITE 200/INVITE ACK BYE 200/BYE" "$port"
	t_eq "$T_NAME: --pcap: two 200s to the INVITE" 2 "$(count "$pcap" "$port" 200/INVITE)"
	t_eq "$T_NAME: --pcap: two ACKs" 2 "$(count "$pcap" "$port" ACK)"
fi

# Two phones of a forking proxy answer: the second 200 is ACKed in its own
# dialog and hung up, the call goes on.
if call invite-fork "a second 200 from another fork: ACK and BYE to it, exit 0" 0 -d 1; then
	t_err_has "another fork answered too"
	t_pcap "both answers" "INVITE 200/INVITE ACK ACK BYE 200/BYE BYE 200/BYE" "$port"
	t_eq "$T_NAME: --pcap: ACK each fork, BYE the second, then the first" \
		"ACK 1 ACK 2 BYE 2 BYE 1" \
		"$(tshark -n -r "$pcap" -d "udp.port==$port,sip" -Y 'sip.Method == "ACK" || sip.Method == "BYE"' \
			-T fields -E separator=' ' -e sip.Method -e sip.to.tag 2>/dev/null |
			sed 's/ [0-9]*SIPpTag0\([12]\)[0-9]*$/ \1/' | tr '\n' ' ' | sed 's/ $//')"
fi
# The same with a late offer: each fork's 200 offers, and each ACK answers.
if call invite-fork "--no-sdp, two forks answer: both ACKs carry an answer, exit 0" 0 -d 1 --no-sdp; then
	t_eq "$T_NAME: --pcap: an INVITE without SDP, two ACKs with it" "0 2" \
		"$(tshark -n -r "$pcap" -d "udp.port==$port,sip" -Y 'sip.Method == "INVITE" && sdp' 2>/dev/null |
			wc -l) $(tshark -n -r "$pcap" -d "udp.port==$port,sip" -Y 'sip.Method == "ACK" && sdp' \
			2>/dev/null | wc -l)"
fi

# --- --transfer-to: a blind transfer in the call ------------------------------------
# The REFER goes in the call's dialog (CSeq 2; the scenarios check it and its
# Refer-To), each NOTIFY of its subscription is answered and shown, and the
# BYE follows the transfer's outcome, which is the verdict.
tr_flow="INVITE 200/INVITE ACK REFER 202/REFER NOTIFY 200/NOTIFY NOTIFY 200/NOTIFY BYE 200/BYE"
if call invite-transfer "--transfer-to: REFER, 100 then 200 OK, BYE: exit 0" 0 \
	-key final 200 -key reason OK -- -o pretty --transfer-to carol@127.0.0.1; then
	t_out_has "REFER sip:callee@127.0.0.1:$port;transport=UDP SIP/2.0"
	t_out_has "Refer-To: <sip:carol@127.0.0.1>"
	t_out_has "Progress:   100 Trying"
	t_out_has "Progress:   200 OK (subscription terminated: noresource)"
	t_out_has "Transfer:   200 OK after"
	t_out_has "hung up by us (BYE answered)"
	t_pcap "the transfer, then the BYE" "$tr_flow" "$port"
fi
if call invite-transfer "--transfer-to after -d 1, the transfer fails with 486: exit 1" 1 \
	-key final 486 -key reason Busy -- -o json -d 1 --transfer-to sip:carol@127.0.0.1; then
	t_jq "the NOTIFYs are objects: 100, then 486 final" \
		'[.[] | select(.notify) | .notify.status] == [100, 486]'
	t_jq "the summary: held 1 s, the transfer 486, exit 1" \
		'.[-1].summary | .held_s >= 1 and .transfer.last_status == 486 and .transfer.final
			and .transfer.exit == 1 and .bye_status == 200 and .exit == 1'
	t_pcap "the transfer, then the BYE" "$tr_flow" "$port"
fi
if call invite-transfer-refused "--transfer-to refused with 403: BYE, exit 1" 1 \
	-- -o pretty --transfer-to sip:carol@127.0.0.1; then
	t_out_has "Transfer:   REFER refused: 403 Transfer Not Allowed"
	t_pcap "the REFER refused, then the BYE" \
		"INVITE 200/INVITE ACK REFER 403/REFER BYE 200/BYE" "$port"
fi
if call invite-transfer-trying "--transfer-to, only 100 Trying: unsubscribed, BYE, exit 3" 3 \
	-- -o pretty --transfer-to sip:carol@127.0.0.1 --transfer-timeout 1; then
	t_out_has "Transfer:   no final NOTIFY within 1 s (last: 100 Trying)"
	t_pcap "the unsubscribe and its NOTIFY, then the BYE" \
		"INVITE 200/INVITE ACK REFER 202/REFER NOTIFY 200/NOTIFY SUBSCRIBE 200/SUBSCRIBE NOTIFY 200/NOTIFY BYE 200/BYE" \
		"$port"
fi
# Transferees that hang up on the transferor. The far end's BYE while the
# transfer rings is answered and the final NOTIFY after it awaited (no BYE
# of ours: SIPp fails on one); a 481 to our BYE after the transfer worked
# is theirs having gone, not a failure.
if call invite-transfer-bye "--transfer-to, their BYE before the final NOTIFY: exit 0" 0 \
	-- -o json --transfer-to sip:carol@127.0.0.1; then
	t_jq "the summary: ended by them, the transfer 200, exit 0" \
		'.[-1].summary | .ended_by == "them" and .transfer.last_status == 200
			and .transfer.final and .transfer.exit == 0 and .exit == 0'
	t_pcap "their BYE, then the final NOTIFY, and no BYE of ours" \
		"INVITE 200/INVITE ACK REFER 202/REFER NOTIFY 200/NOTIFY BYE 200/BYE NOTIFY 200/NOTIFY" \
		"$port"
fi
if call invite-transfer-hangup "--transfer-to, 481 to the BYE after the 200 OK: exit 0" 0 \
	-- -o pretty --transfer-to sip:carol@127.0.0.1; then
	t_out_has "Transfer:   200 OK after"
	t_err_has "BYE: 481 Call/Transaction Does Not Exist: the far end had left the call after the transfer"
	t_pcap "the transfer, then the BYE refused" \
		"INVITE 200/INVITE ACK REFER 202/REFER NOTIFY 200/NOTIFY NOTIFY 200/NOTIFY BYE 481/BYE" "$port"
fi
if call invite-transfer-gone "--transfer-to, their BYE and no final NOTIFY: unsubscribed, exit 3" 3 \
	-- -o pretty --transfer-to sip:carol@127.0.0.1 --transfer-timeout 1; then
	t_out_has "Transfer:   no final NOTIFY within 1 s (last: 100 Trying)"
	t_out_has "hung up by them"
	t_pcap "their BYE, the unsubscribe refused, and no BYE of ours" \
		"INVITE 200/INVITE ACK REFER 202/REFER NOTIFY 200/NOTIFY BYE 200/BYE SUBSCRIBE 481/SUBSCRIBE" \
		"$port"
fi
# Ctrl-C once the far end has hung up: the transfer, all that is left, ends.
p_free_port
port=$P_PORT
if p_sipp "$d/trgone.log" invite-transfer-gone "$port" 1 udp; then
	tr_pid=$P_PID
	if p_interrupt "$T_ERR" "the far end hung up" INT "$SIP" invite -o pretty --t1 100 \
		--transfer-to sip:carol@127.0.0.1 "sip:callee@127.0.0.1:$port"; then
		T_NAME="--transfer-to, Ctrl-C after their BYE"
		t_eq "$T_NAME: unsubscribed, interrupted: exit 3" 3 "$P_RC"
		t_check "the first Ctrl-C ends it (${P_MS} ms)" test "$P_MS" -lt 3000
		t_out_has "Transfer:   interrupted (last: 100 Trying)"
		t_err_has "unsubscribing (Ctrl-C again to quit at once)"
	else
		t_fail "--transfer-to, Ctrl-C after their BYE" "$P_WHY"
	fi
	sipp_done "$d/trgone.log" "$tr_pid"
else
	t_fail "--transfer-to, Ctrl-C after their BYE" "$P_WHY"
fi
# A second Ctrl-C while the unsubscribe is unanswered quits at once.
p_free_port
port=$P_PORT
if p_sipp "$d/trgone2.log" invite-transfer-gone "$port" 1 udp; then
	tr_pid=$P_PID
	if p_interrupt "$T_ERR" "the far end hung up" "INT INT" "$SIP" invite -o json --t1 100 \
		--transfer-to sip:carol@127.0.0.1 "sip:callee@127.0.0.1:$port"; then
		T_NAME="--transfer-to, Ctrl-C twice after their BYE"
		t_eq "$T_NAME: quit at once: exit 130" 130 "$P_RC"
		t_jq "the summary: the transfer interrupted, exit 130" \
			'.[-1].summary | .transfer.error == "interrupted" and .transfer.exit == 3
				and .exit == 130'
	else
		t_fail "--transfer-to, Ctrl-C twice after their BYE" "$P_WHY"
	fi
	p_stop "$tr_pid"
else
	t_fail "--transfer-to, Ctrl-C twice after their BYE" "$P_WHY"
fi
# A REFER challenged in the dialog: the retry takes the dialog's next CSeq,
# the NOTIFYs name it (id=3), and the BYE the one after.
SIP_PASSWORD=secret
export SIP_PASSWORD
if call invite-transfer-401 "--transfer-to, the REFER challenged with 401: exit 0" 0 \
	-- -o pretty -u alice --transfer-to sip:carol@127.0.0.1; then
	t_out_has "Transfer:   200 OK after"
	t_pcap "the REFER challenged and sent again, the transfer, the BYE" \
		"INVITE 200/INVITE ACK REFER 401/REFER REFER 202/REFER NOTIFY 200/NOTIFY NOTIFY 200/NOTIFY BYE 200/BYE" \
		"$port"
fi
unset SIP_PASSWORD
# --update with --transfer-to and no -d: the transfer waits for the UPDATE's
# answer (the hold of 0 s is over long before), then BYE.
if call invite-transfer-update "--transfer-to --update: UPDATE, then the transfer, BYE: exit 0" 0 \
	-- -o pretty --update --transfer-to sip:carol@127.0.0.1; then
	t_out_has "Transfer:   200 OK after"
	t_pcap "the UPDATE, the transfer, the BYE" \
		"INVITE 200/INVITE ACK UPDATE 200/UPDATE REFER 202/REFER NOTIFY 200/NOTIFY NOTIFY 200/NOTIFY BYE 200/BYE" \
		"$port"
fi
# Ctrl-C while the transfer rings: unsubscribed, then BYE, interrupted.
p_free_port
port=$P_PORT
if p_sipp "$d/trint.log" invite-transfer-trying "$port" 1 udp; then
	tr_pid=$P_PID
	if p_interrupt "$T_OUT" "Progress:   100 Trying" INT "$SIP" invite -o pretty --t1 100 \
		--transfer-to sip:carol@127.0.0.1 "sip:callee@127.0.0.1:$port"; then
		T_NAME="--transfer-to, Ctrl-C while it rings"
		t_eq "$T_NAME: unsubscribed, BYE, interrupted: exit 3" 3 "$P_RC"
		t_out_has "Transfer:   interrupted (last: 100 Trying)"
		t_out_has "hung up by us (BYE answered)"
	else
		t_fail "--transfer-to, Ctrl-C while it rings" "$P_WHY"
	fi
	sipp_done "$d/trint.log" "$tr_pid"
else
	t_fail "--transfer-to, Ctrl-C while it rings" "$P_WHY"
fi

# --- failures, cancelled calls ---------------------------------------------------
if call invite-busy "486 Busy Here: ACK, exit 1" 1 -d 1; then
	t_err_has "486 Busy Here"
	t_pcap "the 486 and its ACK" "INVITE 100/INVITE 486/INVITE ACK" "$port"
fi

T0=$(p_now_ms)
if call invite-ring "no answer, --ring-timeout 1: CANCEL, exit 1" 1 -r 1 -o json; then
	ms=$(($(p_now_ms) - T0))
	t_check "cancelled after about 1 s (${ms} ms)" [ "$ms" -ge 900 ] && [ "$ms" -lt 8000 ]
	t_jq ".summary: cancelled, 487, exit 1" \
		'.[-1].summary | .cancelled == true and .answered == false and .status == 487 and .exit == 1'
	t_pcap "CANCEL, its 200, the 487 and its ACK" \
		"INVITE 100/INVITE 180/INVITE CANCEL 200/CANCEL 487/INVITE ACK" "$port"
fi

# The CANCEL is taken but the INVITE never ends: given up 64*T1 (3.2 s
# with --t1 50) after the CANCEL, exit 3.
if call invite-ring-no-487 "CANCEL answered, no 487 ever: exit 3" 3 --t1 50 -r 1 -o json; then
	t_err_has "no final response 3.2 s after the CANCEL; giving up"
	t_jq ".summary: cancelled, exit 3" '.[-1].summary | .cancelled == true and .exit == 3'
fi

# The 200 crosses the CANCEL of -r: ACKed and hung up, and the summary says
# so: still no answer in time, exit 1.
if call invite-cancel-crossed "a 200 crossing the CANCEL: ACK, BYE, exit 1" 1 -r 1 -q; then
	t_out_has "Call:       cancelled, but 200 OK crossed the CANCEL at "
	t_out_has "Ended:      held "
	t_out_has "hung up by us (BYE answered)"
	t_pcap "the INVITE cancelled, the 200 ACKed, the BYE" \
		"INVITE 180/INVITE CANCEL 200/CANCEL 200/INVITE ACK BYE 200/BYE" "$port"
fi

# No answer at all: exit 3 at --timeout, after Timer A retransmissions.
if call invite-silent "no response at all, --timeout 1: exit 3" 3 --timeout 1; then
	t_err_has "timed out"
	t_check "the INVITE was retransmitted (Timer A)" \
		test "$(grep -c '^INVITE sip:' "$T_OUT")" -ge 3
fi

# Broken answers: a 200 without Contact and with a body that is not SDP
# is warned of and still ACKed and hung up, at the Request-URI; a 200
# without a To tag makes no dialog (exit 7).
if call invite-no-contact "a 200 without Contact, its SDP not SDP: warnings, exit 0" 0 -d 0; then
	t_err_has "200 OK has no Contact (RFC 3261 section 13.3.1.4): the ACK and BYE go to the Request-URI"
	t_err_has "the SDP of the 200 OK does not parse (RFC 4566)"
	# The 200's body is malformed SDP on purpose: flow alone, not t_pcap.
	t_eq "$T_NAME: --pcap holds the call" \
		"INVITE 200/INVITE ACK BYE 200/BYE" "$(flow "$pcap" "$port")"
fi
if call invite-no-totag "a 200 without a To tag: exit 7" 7 -d 0; then
	t_err_has "200 OK makes no dialog: it has no To tag"
fi

# Nothing listens: ICMP port unreachable ends the call at once.
p_free_port
t_run "nothing listening: exit 4" 4 timeout 30 "$SIP" invite --t1 100 --timeout 5 \
	"sip:callee@127.0.0.1:$P_PORT"

# A target that does not resolve (no DNS server on that port): exit 5,
# and the summary says why the call was not placed.
p_free_port
t_run "a target that does not resolve: exit 5" 5 timeout 30 "$SIP" invite -o json \
	--dns-server "127.0.0.1:$P_PORT" sip:callee@nowhere.test
t_err_has "cannot resolve 'sip:callee@nowhere.test'"
t_jq ".summary: not answered, the DNS failure, exit 5" \
	'.[-1].summary | .answered == false and .reason == "DNS server failure" and .exit == 5'

# Ctrl-C while it rings: the same, at once.
ctrl_c_test() {
	p_free_port
	port=$P_PORT
	if ! p_sipp "$d/ctrlc.log" invite-ring "$port" 1; then
		t_fail "Ctrl-C while ringing" "$P_WHY"
		return
	fi
	spid=$P_PID
	pcap=$d/ctrlc.pcap
	T_NAME="Ctrl-C while ringing"
	if p_interrupt "$T_OUT" "SIP/2.0 180 Ringing" INT "$SIP" invite -o pretty --t1 100 -r 30 \
		--pcap "$pcap" "sip:callee@127.0.0.1:$port"; then
		t_eq "$T_NAME: SIGINT: CANCEL, interrupted, exit 3" 3 "$P_RC"
	else
		t_fail "$T_NAME" "$P_WHY"
	fi
	t_out_has "CANCEL sip:callee@127.0.0.1:$port SIP/2.0"
	t_out_has "SIP/2.0 487 Request Terminated"
	t_check "the summary says interrupted, then cancelled" \
		grep -q '^Call: *interrupted after [0-9.]* s, cancelled: Request Terminated' "$T_OUT"
	t_err_has "cancel"
	sipp_done "$d/ctrlc.log" "$spid"
	t_pcap "CANCEL, its 200, the 487 and its ACK" \
		"INVITE 100/INVITE 180/INVITE CANCEL 200/CANCEL 487/INVITE ACK" "$port"
}
ctrl_c_test

# Interrupted before any answer: a DNS server that never answers (it stops
# at once), and a callee that never answers (the first Ctrl-C waits for a
# provisional response to CANCEL, RFC 3261 section 9.1, and gets none by
# 64*T1). Either way the verdict is "interrupted", exit 3, not a timeout.
interrupted_test() {
	p_free_port
	bh=$P_PORT
	if ! p_blackhole "$d/bh.log" "$bh"; then
		t_fail "a callee that never answers" "$P_WHY"
		return
	fi
	bhpid=$P_PID
	T_NAME="Ctrl-C while resolving, -o json"
	if p_interrupt "$d/bh.log" "datagram" INT "$SIP" invite -o json \
		--dns-server "127.0.0.1:$bh" sip:callee@nowhere.test; then
		t_eq "$T_NAME: exit 3" 3 "$P_RC"
		t_check "at once (${P_MS} ms)" test "$P_MS" -lt 2000
		t_jq ".summary: interrupted, exit 3" \
			'.[-1].summary | .interrupted == true and .reason == "interrupted" and .cancelled == false and .exit == 3'
	else
		t_fail "$T_NAME" "$P_WHY"
	fi
	T_NAME="Ctrl-C, the INVITE unanswered"
	if p_interrupt "$T_OUT" "INVITE sip:" INT "$SIP" invite -o pretty --t1 50 \
		"sip:callee@127.0.0.1:$bh"; then
		t_eq "$T_NAME: exit 3" 3 "$P_RC"
		t_check "by 64*T1 (${P_MS} ms)" test "$P_MS" -lt 5000
		t_check "the summary says interrupted" grep -q '^Call: *interrupted after' "$T_OUT"
		t_out_lacks "timed out"
		t_err_has "INVITE to 'sip:callee@127.0.0.1:$bh': interrupted"
	else
		t_fail "$T_NAME" "$P_WHY"
	fi
	# 64*T1 (6.4 s) is well past SIGTERM's 3 s of grace: it stops then, and
	# says why.
	T_NAME="SIGTERM, the INVITE unanswered, -o json"
	if p_interrupt "$T_OUT" '"method":"INVITE"' TERM "$SIP" invite -o json --t1 100 \
		"sip:callee@127.0.0.1:$bh"; then
		t_eq "$T_NAME: exit 143" 143 "$P_RC"
		t_jq ".summary: interrupted, exit 143" \
			'.[-1].summary | .interrupted == true and .reason == "interrupted" and .answered == false and .exit == 143'
	else
		t_fail "$T_NAME" "$P_WHY"
	fi
	p_stop "$bhpid"
}
interrupted_test

# A callee that answers the CANCEL only with 100: the first Ctrl-C sends the
# CANCEL and waits; a second one ends sip at once (130); SIGTERM alone ends
# it within its few seconds of grace (143), not 64*T1 later.
ring_forever_test() {
	rf_name=$1 rf_want=$2
	shift 2
	T_NAME=$rf_name
	p_free_port
	port=$P_PORT
	if ! p_sipp "$d/forever.log" invite-ring-forever "$port" 1; then
		t_fail "$T_NAME" "$P_WHY"
		return
	fi
	spid=$P_PID
	# Files of this run's own: the background job truncates them only once
	# it runs, and the last run's 180 and CANCEL must not be read for it.
	rf_out=$d/forever-$1.out rf_err=$d/forever-$1.err
	timeout 40 "$SIP" invite -r 30 "sip:callee@127.0.0.1:$port" \
		</dev/null >"$rf_out" 2>"$rf_err" &
	tpid=$!
	P_PIDS="$P_PIDS $tpid"
	if ! p_wait_text "$rf_out" "SIP/2.0 180 Ringing" "$tpid" 50; then
		t_fail "$T_NAME: the call rings" "$(head -n 3 "$rf_err")"
		p_stop "$tpid"
		p_stop "$spid"
		return
	fi
	rf_pid=$(pgrep -P "$tpid" | head -n 1)
	kill "-$1" "$rf_pid" 2>/dev/null
	t_check "the first $1 sends the CANCEL" p_wait_text "$rf_out" "CANCEL sip:" "$tpid" 30
	if [ $# -gt 1 ]; then
		sleep 1
		t_check "it waits for the CANCEL's answer" p_alive "$tpid"
		kill "-$2" "$rf_pid" 2>/dev/null
	fi
	rf_t0=$(p_now_ms)
	if p_wait_exit "$tpid" 100; then
		t_eq "$T_NAME: exit $rf_want" "$rf_want" "$P_RC"
		t_check "within 5 s of the last signal" test $(($(p_now_ms) - rf_t0)) -lt 5000
	else
		t_fail "$T_NAME: exits" "still running 10 s later"
		p_stop "$tpid"
	fi
	p_stop "$spid"
}
ring_forever_test "Ctrl-C twice, the CANCEL unanswered" 130 INT INT
ring_forever_test "SIGTERM, the CANCEL unanswered" 143 TERM

# Ctrl-C during the call: BYE, exit 0 (with no -d the call lasts until then).
ctrl_c_call_test() {
	p_free_port
	port=$P_PORT
	if ! p_sipp "$d/ctrlc2.log" invite-answer "$port" 1; then
		t_fail "Ctrl-C during the call" "$P_WHY"
		return
	fi
	spid=$P_PID
	pcap=$d/ctrlc2.pcap
	T_NAME="Ctrl-C during the call"
	timeout 30 "$SIP" invite --t1 100 --pcap "$pcap" "sip:callee@127.0.0.1:$port" \
		</dev/null >"$d/ctrlc2.out" 2>"$d/ctrlc2.err" &
	tpid=$!
	P_PIDS="$P_PIDS $tpid"
	# The ACK is printed once sent: the call is up.
	if p_wait_text "$d/ctrlc2.out" "ACK sip:callee@" "$tpid" 50; then
		sleep 0.3
		t_check "it is still up 0.3 s after the ACK" p_alive "$tpid"
		kill -INT "$(pgrep -P "$tpid" | head -n 1)" 2>/dev/null
		if p_wait_exit "$tpid" 50; then
			t_eq "$T_NAME: SIGINT: BYE, exit 0" 0 "$P_RC"
		else
			t_fail "$T_NAME: exits after SIGINT" "still running 5 s later"
			p_stop "$tpid"
		fi
	else
		t_fail "$T_NAME: the call is answered" "$(head -n 3 "$d/ctrlc2.err")"
		p_stop "$tpid"
	fi
	T_OUT=$d/ctrlc2.out
	t_out_has "BYE sip:callee@127.0.0.1:$port;transport=UDP SIP/2.0"
	T_OUT=$T_TMP/out
	sipp_done "$d/ctrlc2.log" "$spid"
	t_pcap "the call ended by our BYE" \
		"INVITE 100/INVITE 180/INVITE 200/INVITE ACK BYE 200/BYE" "$port"
}
ctrl_c_call_test

# --sdp FILE: the user's own offer, as it is.
printf '%s\r\n' 'v=0' 'o=itest 7 7 IN IP4 127.0.0.1' 's=itest-own-offer' 'c=IN IP4 127.0.0.1' \
	't=0 0' 'm=audio 4242 RTP/AVP 0 101' 'a=rtpmap:0 PCMU/8000' \
	'a=rtpmap:101 telephone-event/8000' >"$d/offer.sdp"
if call invite-answer "--sdp FILE: exit 0" 0 -d 1 --sdp "$d/offer.sdp"; then
	t_out_has "s=itest-own-offer"
	t_out_has "m=audio 4242 RTP/AVP 0 101"
	t_eq "$T_NAME: --pcap: the INVITE offers port 4242" 4242 \
		"$(tshark -n -r "$pcap" -d "udp.port==$port,sip" -Y 'sip.Method == "INVITE"' \
			-T fields -e sdp.media.port 2>/dev/null)"
fi
t_run "--sdp with --no-sdp: usage, exit 2" 2 timeout 30 "$SIP" invite --sdp "$d/offer.sdp" \
	--no-sdp "sip:callee@127.0.0.1:$port"

# --- reliable provisional responses, authentication --------------------------
if call invite-100rel "183 with Require: 100rel: one PRACK, exit 0" 0 -d 1; then
	t_out_has "RAck: 1 1 INVITE"
	t_pcap "the PRACK before the 200" \
		"INVITE 100/INVITE 183/INVITE PRACK 200/PRACK 200/INVITE ACK BYE 200/BYE" "$port"
	t_eq "$T_NAME: --pcap: the 183 came twice" 2 "$(count "$pcap" "$port" 183/INVITE)"
	t_eq "$T_NAME: --pcap: one PRACK" 1 "$(count "$pcap" "$port" PRACK)"
fi

if call invite-busy "--no-100rel: exit 1 (486)" 1 --no-100rel; then
	t_out_has "INVITE sip:callee@127.0.0.1:$port SIP/2.0"
	t_out_lacks "100rel"
fi

SIP_PASSWORD=secret
export SIP_PASSWORD
if call invite-407 "407: the INVITE again with Proxy-Authorization, exit 0" 0 -d 1 -u alice; then
	t_check "the digest answers the challenge for alice/secret" digest_ok secret
	t_pcap "the 407, its ACK, the retry" \
		"INVITE 407/INVITE ACK INVITE 200/INVITE ACK BYE 200/BYE" "$port"
fi
if call invite-401 "401: the INVITE again with an Authorization SIPp verifies, exit 0" 0 -d 1 \
	-u alice; then
	t_out_has "WWW-Authenticate: Digest realm=\"callee.test\""
	t_out_has "Authorization: Digest username=\"alice\""
	t_out_lacks "secret"
	t_err_lacks "secret"
	t_pcap "the 401, its ACK, the retry" \
		"INVITE 401/INVITE ACK INVITE 200/INVITE ACK BYE 200/BYE" "$port"
fi
# No retry comes: SIPp waits for it in vain, and is stopped.
p_free_port
if p_sipp "$d/noauth.log" invite-407 "$P_PORT" 1; then
	t_run "407 without -u: exit 6" 6 timeout 30 "$SIP" invite --t1 100 "sip:callee@127.0.0.1:$P_PORT"
	t_err_has "-u USER"
	t_err_has "realm 'sipp.test'"
	p_stop "$P_PID"
fi
unset SIP_PASSWORD

# --- redirects -------------------------------------------------------------------
if call invite-302 "302 without --follow: ACK, the Contact shown, exit 1" 1 -key target 9 --; then
	t_out_has "Contact: <sip:callee@127.0.0.1:9>"
	t_err_has "302 Moved Temporarily"
	t_pcap "the 302 and its ACK" "INVITE 302/INVITE ACK" "$port"
fi

# follow_test NAME SCENARIO DEAD: a 302 to the callee of invite-answer on a
# port of its own ($tport; and, with DEAD, to a dead port with a higher q
# first), called with --follow --ladder.
follow_test() {
	p_free_port
	tport=$P_PORT
	if ! p_sipp "$d/target$tport.log" invite-answer "$tport" 1; then
		t_fail "$1" "$P_WHY"
		return
	fi
	tpid=$P_PID
	f_dead=
	if [ -n "$3" ]; then
		p_free_port
		f_dead=$P_PORT
		set -- "$1" "$2" -key dead "$f_dead"
	else
		set -- "$1" "$2"
	fi
	f_name=$1 f_scen=$2
	shift 2
	if ! call "$f_scen" "$f_name" 0 -key target "$tport" "$@" -- --follow -d 1 --ladder; then
		p_stop "$tpid"
		return
	fi
	t_err_has "sip:callee@127.0.0.1:$tport"
	T_NAME="$f_name: the callee it was redirected to"
	sipp_done "$d/target$tport.log" "$tpid"
	T_NAME=$f_name
	if [ -n "$f_dead" ]; then
		t_pcap "the 302, its ACK, the INVITE to the dead port, then the call" \
			"INVITE 302/INVITE ACK INVITE INVITE 100/INVITE 180/INVITE 200/INVITE ACK BYE 200/BYE" \
			"$port" "$f_dead" "$tport"
		# shellcheck disable=SC2046 # decode gives several arguments
		t_eq "$T_NAME: --pcap: the INVITEs went to $port, $f_dead (q=0.9), $tport (q=0.4)" \
			"$port $f_dead $tport" "$(tshark -n -r "$pcap" $(decode "$port" "$f_dead" "$tport") \
				-Y 'sip.Method == "INVITE"' -T fields -e udp.dstport 2>/dev/null | uniq | tr '\n' ' ' |
				sed 's/ $//')"
	else
		t_pcap "the 302, its ACK, then the call" \
			"INVITE 302/INVITE ACK INVITE 100/INVITE 180/INVITE 200/INVITE ACK BYE 200/BYE" \
			"$port" "$tport"
	fi
}
# The diagram of a redirect, on 200 columns: the redirect server's own
# exchange (INVITE, 302, ACK) in its column, then the call in a new column
# for the Contact: the redirect server is no proxy in front of it.
COLUMNS=200
export COLUMNS
follow_test "302 --follow: the Contact called, exit 0" invite-302
t_check "the diagram: us, the redirect server, the Contact" \
	grep -Eq "^ +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:$port +127\.0\.0\.1:$tport\$" "$T_OUT"
t_check "the diagram: the 302 from the redirect server" \
	grep -Eq "(<|◀)(-|─)+ 302 Moved Temporarily (-|─)+(\||┤) +(\||│)\$" "$T_OUT"
t_check "the diagram: the second INVITE to the Contact, past no proxy" \
	grep -Eq "(\||├)(-|─)+ INVITE \(SDP\) (-|─)+(>|▶)(\||│)\$" "$T_OUT"
follow_test "302 --follow, two Contacts: q=0.9 (dead) first, then q=0.4: exit 0" invite-302-two dead
t_check "the diagram: us, the redirect server, the dead Contact, the live one" \
	grep -Eq "^ +us( +callee@127\.0\.0\.1){3}\$" "$T_OUT"
# On 50 columns, too few for those three with every address and label
# whole: the numbered list, each party with its address.
COLUMNS=50
follow_test "302 --follow on 50 columns: exit 0" invite-302
t_check "the list: the redirect server is party 2" \
	grep -Eq "^ +2  callee@127\.0\.0\.1  127\.0\.0\.1:$port\$" "$T_OUT"
t_check "the list: the Contact is party 3" \
	grep -Eq "^ +3  callee@127\.0\.0\.1  127\.0\.0\.1:$tport\$" "$T_OUT"
t_check "the list: the 302 from party 2" grep -Eq "^[0-9.]+  2 (->|→) 1  302 Moved Temporarily\$" "$T_OUT"
t_check "the list: the call to party 3" grep -Eq "^[0-9.]+  1 (->|→) 3  INVITE \(SDP\)\$" "$T_OUT"
unset COLUMNS

# -u without --from: From is the user at the target's domain, the one the
# call began with; the redirect's Contact (another host) does not change it
# within the call.
p_free_port
tport=$P_PORT
if p_sipp "$d/fromtarget.log" invite-answer "$tport" 1; then
	tpid=$P_PID
	p_free_port
	if p_sipp "$d/from302.log" invite-302 "$P_PORT" 1 udp -key target "$tport"; then
		rpid=$P_PID
		t_run "302 --follow -u alice: exit 0" 0 timeout 30 "$SIP" invite -4 \
			--t1 100 --follow -d 0 -u alice "sip:callee@localhost:$P_PORT"
		t_check "both INVITEs are from sip:alice@localhost" \
			[ "$(tr -d '\r' <"$T_OUT" | grep -c '^From: <sip:alice@localhost>;tag=')" -ge 2 ]
		t_out_lacks "From: <sip:alice@127.0.0.1>"
		sipp_done "$d/from302.log" "$rpid"
	else
		t_fail "sipp invite-302" "$P_WHY"
	fi
	sipp_done "$d/fromtarget.log" "$tpid"
else
	t_fail "sipp invite-answer" "$P_WHY"
fi

# --- changes during the call -----------------------------------------------------
call invite-hold "--reinvite: re-INVITE with a=sendonly, exit 0" 0 -d 1 --reinvite &&
	t_pcap "the re-INVITE, its 200 and ACK" \
		"INVITE 200/INVITE ACK INVITE 200/INVITE ACK BYE 200/BYE" "$port"

# A re-INVITE that gets no answer does not hold up the hangup: the BYE goes
# at -d 1, not when the re-INVITE times out (64*T1, 6.4 s with --t1 100).
# Over TCP: SIPp takes no retransmission of it for another message.
proto=tcp
T0=$(p_now_ms)
if call invite-reinvite-silent "--reinvite -d 1, the re-INVITE unanswered: BYE at 1 s, exit 0" \
	0 -d 1 --reinvite -t tcp; then
	t_check "it ends within 5 s (64*T1 = 6.4 s before the fix)" test $(($(p_now_ms) - T0)) -lt 5000
	t_err_has "re-INVITE: no final response before the hangup"
	t_pcap "the unanswered re-INVITE, then BYE" \
		"INVITE 200/INVITE ACK INVITE BYE 200/BYE" "$port"
fi
proto=

call invite-update "--update in the confirmed dialog: exit 0" 0 -d 1 --update &&
	t_pcap "the UPDATE and its 200" "INVITE 200/INVITE ACK UPDATE 200/UPDATE BYE 200/BYE" "$port"

# Session timers (RFC 4028): refreshed by us when the callee says so,
# hung up when the callee was to refresh and did not.
call invite-session-timer "a session timer we refresh: UPDATE at half of 2 s, exit 0" 0 -d 2 &&
	t_pcap "the refresh and its 200" "INVITE 200/INVITE ACK UPDATE 200/UPDATE BYE 200/BYE" "$port"
T0=$(p_now_ms)
if call invite-session-expired "a session timer nobody refreshes: BYE at 2 of 3 s, exit 1" 1 -d 20; then
	ms=$(($(p_now_ms) - T0))
	t_err_has "the session expired (RFC 4028 session timer): hung up"
	t_check "hung up after about 2 s, not at -d 20 (${ms} ms)" [ "$ms" -ge 1500 ] && [ "$ms" -lt 8000 ]
fi

call invite-update-early "--update after a reliable 183: UPDATE in the early dialog, exit 0" 0 \
	-d 1 --update &&
	t_pcap "PRACK, then UPDATE, then the 200" \
		"INVITE 183/INVITE PRACK 200/PRACK UPDATE 200/UPDATE 200/INVITE ACK BYE 200/BYE" "$port"

if call invite-late-offer "--no-sdp: the answer goes in the ACK, exit 0" 0 -d 1 --no-sdp; then
	t_pcap "INVITE without SDP, ACK with it" "INVITE 200/INVITE ACK BYE 200/BYE" "$port"
	t_eq "$T_NAME: --pcap: SDP in the 200 and the ACK alone" "200 ACK" \
		"$(tshark -n -r "$pcap" -d "udp.port==$port,sip" -Y 'sdp' -T fields \
			-e sip.Status-Code -e sip.Method 2>/dev/null | tr -d '\t' | tr '\n' ' ' | sed 's/ $//')"
fi

call invite-far-reinvite "the far end's re-INVITE: 200 with SDP, exit 0" 0 -d 1 &&
	t_pcap "its re-INVITE, our 200, its ACK" \
		"INVITE 200/INVITE ACK INVITE 200/INVITE ACK BYE 200/BYE" "$port"

# --ladder: the sequence diagram, even with the messages left out (-q).
if call invite-answer "--ladder -q: exit 0" 0 -d 1 -q --ladder; then
	t_out_has "INVITE (SDP)"
	t_check "an arrow for the BYE" grep -Eq -e '(-|─) BYE (-|─)' "$T_OUT"
	t_out_lacks "Via:"
fi

# A capture that stops growing mid-call (a file size limit, as a full disk
# would): one line says so, the call and its diagram go on.
# shellcheck disable=SC2016 # expanded by the wrapper
printf '#!/bin/sh\nulimit -f 4\nexec "$SIP_REAL" "$@"\n' >"$d/sip-fsize"
chmod +x "$d/sip-fsize"
SIP_REAL=$SIP SIP=$d/sip-fsize
export SIP_REAL
if call invite-answer "--pcap under a 2 KiB file size limit, --ladder -q: exit 0" 0 \
	-d 1 -q --ladder; then
	t_err_has "sip: invite: cannot write '$pcap': File too large"
	t_err_lines 1
	t_check "an arrow for the BYE" grep -Eq -e '(-|─) BYE (-|─)' "$T_OUT"
	t_check "the capture holds the INVITE" sh -c \
		"tshark -n -r '$pcap' -d udp.port==$port,sip -Y 'sip.Method == \"INVITE\"' 2>/dev/null | grep -q ."
	t_check "and stopped at 2 KiB" test "$(wc -c <"$pcap")" -le 2048
fi
SIP=$SIP_REAL

# IPv6: the call to [::1], its offer on IP6 (SIPp's -i given last wins).
ipv6_test() {
	T_NAME="a call to [::1]"
	p_free_port
	port=$P_PORT
	if ! p_sipp "$d/v6.log" invite-answer "$port" 1 udp -i ::1; then
		t_fail "$T_NAME" "$P_WHY"
		return
	fi
	spid=$P_PID
	t_run "$T_NAME: exit 0" 0 timeout 30 "$SIP" invite --t1 100 -d 0 "sip:callee@[::1]:$port"
	t_out_has "Via: SIP/2.0/UDP [::1]:"
	t_out_has "c=IN IP6 ::1"
	t_out_has "BYE sip:callee@[::1]:$port;transport=UDP SIP/2.0"
	sipp_done "$d/v6.log" "$spid"
}
ipv6_test

# On a terminal (script(1) gives one) a run is pretty, and the diagram
# comes at its end without --ladder; on one of 36 columns (stty), too
# narrow for the two columns and their labels whole (40), the numbered
# list, where a ladder with its labels cut was drawn.
tty_test() {
	T_NAME="a call on a terminal${1:+ of $1 columns}"
	p_free_port
	port=$P_PORT
	if ! p_sipp "$d/tty$port.log" invite-answer "$port" 1; then
		t_fail "$T_NAME" "$P_WHY"
		return
	fi
	spid=$P_PID
	# script(1) ends when stdin does: keep it open for the call.
	sleep 5 | timeout 30 script -qec "${1:+stty cols $1; }'$SIP' invite --color never --t1 100 -d 1 sip:callee@127.0.0.1:$port" \
		/dev/null >"$T_OUT" 2>"$T_ERR"
	t_eq "$T_NAME: exit 0" 0 "$?"
	t_out_has "SDP: connection IN IP4 127.0.0.1"
	if [ -n "$1" ]; then
		t_check "the list at the end: the BYE from party 1 to 2" \
			grep -Eq "^[0-9.]+  1 (->|→) 2  BYE" "$T_OUT"
	else
		t_check "the diagram at the end: an arrow for the BYE" grep -Eq -e '(-|─) BYE (-|─)' "$T_OUT"
	fi
	t_check "the summary after the diagram" sh -c "tail -n 3 '$T_OUT' | grep -q '^Call: *200 OK'"
	sipp_done "$d/tty$port.log" "$spid"
}
tty_test
tty_test 36

# --- Kamailio: a record-routing proxy and registrar ----------------------------------
# proxied_call PROTO AOR: registers a SIPp callee (over UDP) as AOR with
# Kamailio and calls AOR through it over PROTO ($kp for UDP and TCP, $ktls
# for TLS, verified against the test CA). Over TCP and TLS Kamailio
# record-routes twice (that side and the UDP side, r2=on): the ACK and BYE
# must carry both, in reverse, and leave the way the INVITE did.
proxied_call() {
	pc_proto=$1 pc_aor=$2
	pc_port=$kp pc_tp=$pc_proto pc_tls=
	if [ "$pc_proto" = tls ]; then
		pc_port=$ktls pc_tp=tcp pc_tls="--ca-file $d/kam/ca.pem"
	fi
	p_free_port
	port=$P_PORT
	if ! p_sipp "$d/proxied-$pc_proto.log" invite-proxied "$port" 1 udp -key kport "$kp"; then
		t_fail "kamailio proxy over $pc_proto" "$P_WHY"
		return
	fi
	spid=$P_PID
	t_run "register a SIPp callee as $pc_aor with Kamailio" 0 timeout 30 "$SIP" register -q \
		--contact "<sip:bob@127.0.0.1:$port>" "sip:$pc_aor@127.0.0.1:$kp"
	pcap=$d/proxied-$pc_proto.pcap
	# shellcheck disable=SC2086 # $pc_tls is an option and its value, or nothing
	t_run "call $pc_aor through Kamailio over $pc_proto: exit 0" 0 timeout 30 "$SIP" invite \
		-t "$pc_proto" $pc_tls --t1 100 -d 1 --ladder --pcap "$pcap" "sip:$pc_aor@127.0.0.1:$pc_port"
	# Three columns: Kamailio once, however many Record-Routes it wrote.
	t_check "the diagram: us, Kamailio, $pc_aor" \
		grep -Eq "^ +us +127\.0\.0\.1:$pc_port +$pc_aor@127\.0\.0\.1\$" "$T_OUT"
	sipp_done "$d/proxied-$pc_proto.log" "$spid"
	t_pcap "the call, all of it to and from Kamailio" \
		"INVITE 100/INVITE 180/INVITE 200/INVITE ACK BYE 200/BYE" "$pc_port"
	if [ "$pc_proto" = udp ]; then
		t_out_has "Record-Route: <sip:127.0.0.1:$kp;lr"
		t_out_has "Route: <sip:127.0.0.1:$kp;lr"
		pc_routes="<kamailio>"
	else
		t_out_has "Route: <sip:127.0.0.1:$pc_port;transport=$pc_proto;r2=on;lr"
		pc_routes="<kamailio-$pc_proto>,<kamailio-udp>"
	fi
	# Each: method, port sent to, Route, Request-URI.
	t_eq "$T_NAME: --pcap: ACK and BYE over $pc_proto to Kamailio with its Route, for the SIPp callee" \
		"ACK $pc_port $pc_routes sip:callee@127.0.0.1:$port BYE $pc_port $pc_routes sip:callee@127.0.0.1:$port" \
		"$(tshark -n -r "$pcap" -d "$pc_tp.port==$pc_port,sip" -Y 'sip.Method == "ACK" || sip.Method == "BYE"' \
			-T fields -E separator=' ' -e sip.Method -e "$pc_tp.dstport" -e sip.Route -e sip.r-uri \
			2>/dev/null | sed -e "s|<sip:127\.0\.0\.1:$kp;lr[^>]*>|<kamailio>|" \
			-e "s|<sip:127\.0\.0\.1:$pc_port;transport=$pc_proto;r2=on[^>]*>|<kamailio-$pc_proto>|" \
			-e "s|<sip:127\.0\.0\.1:$kp;r2=on[^>]*>|<kamailio-udp>|" -e 's/;transport=[A-Za-z]*//' |
			tr '\n' ' ' | sed 's/ $//')"
}

proxy_test() {
	p_free_port
	kp=$P_PORT
	p_free_port
	ktls=$P_PORT
	mkdir -p "$d/kam"
	if ! p_certs "$d/kam"; then
		t_fail "kamailio proxy over tls" "openssl could not make the certificates: $(tail -n 1 "$d/kam/openssl.log")"
		ktls=
	fi
	if ! p_kamailio_proxy "$d/kam" "$kp" "$ktls"; then
		t_fail "kamailio proxy" "$P_WHY"
		return
	fi
	kpid=$P_PID
	proxied_call udp bob
	proxied_call tcp carol
	[ -n "$ktls" ] && proxied_call tls dave
	p_stop "$kpid"
}
proxy_test

t_done
