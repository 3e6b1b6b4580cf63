#!/bin/sh
# send.sh - `sip send` against real peers on loopback: `sip listen` (UDP and
# TCP, an ACK that gets no answer, an INFO), Kamailio as a registrar whose
# challenge a REGISTER written by hand answers with -u (and fails without),
# a port nobody listens on; the REGISTER exchange captured with --pcap must
# decode in tshark with nothing malformed. Every peer is on a free port and
# stopped by its PID; every client call is bounded by `timeout 30`.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/integration/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

d=$T_TMP

# shellcheck disable=SC2317 # called through t_run
# sipc ARG...: the sip under test, bounded in time.
sipc() { timeout 30 "$SIP" "$@"; }

t_need "sip send against sip listen and Kamailio" kamailio tshark || t_done

# The requests, with LF line ends as an editor writes them.
# shellcheck disable=SC2016 # the placeholders are sip send's
printf '%s\n' 'OPTIONS $target$ SIP/2.0' \
	'Via: SIP/2.0/$transport$ $local_ip$:$local_port$;branch=$branch$;rport' \
	'Max-Forwards: 70' 'From: <sip:probe@$local_ip$>;tag=$tag$' 'To: <$target$>' \
	'Call-ID: $call_id$' 'CSeq: $cseq$ OPTIONS' '' >"$d/options.sip"
# shellcheck disable=SC2016
{
	sed -e '/^$/d' -e 's/OPTIONS/INFO/g' "$d/options.sip"
	printf '%s\n' 'Content-Type: application/dtmf-relay' '' 'Signal=5' 'Duration=160'
} >"$d/info.sip"
# shellcheck disable=SC2016
sed -e 's/OPTIONS/ACK/g' "$d/options.sip" >"$d/ack.sip"

# --- sip listen ----------------------------------------------------------------
# shellcheck disable=SC2120 # $1 and $2 are the inner sh's
listen_tests() {
	p_start "$d/listen.log" "$SIP" listen -o raw 127.0.0.1:0
	lpid=$P_PID
	if ! p_wait_text "$d/listen.log" "listening on" "$lpid" 50; then
		t_fail "sip listen says where it listens" "$(head -n 3 "$d/listen.log")"
		return
	fi
	lport=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$d/listen.log" | head -n 1)

	t_run "send OPTIONS to sip listen (udp)" 0 sipc send -o raw "$d/options.sip" "127.0.0.1:$lport"
	t_out_has "OPTIONS sip:127.0.0.1:$lport SIP/2.0"
	t_out_has "Via: SIP/2.0/UDP 127.0.0.1:"
	t_out_has "SIP/2.0 200 OK"
	t_out_lacks "\$"

	t_run "send OPTIONS to sip listen (tcp), the summary" 0 \
		sipc send -q -o pretty -t tcp "$d/options.sip" "127.0.0.1:$lport"
	t_out_has "Answer:     127.0.0.1:$lport 200 OK"

	t_run "send -o json: the messages, then the summary" 0 \
		sipc send -o json "$d/options.sip" "127.0.0.1:$lport"
	# shellcheck disable=SC2016 # expanded by the inner sh
	t_check "the last line is the summary with status 200" \
		sh -c 'tail -n 1 "$1" | grep -q "^{\"summary\":{\"peer\":\"127.0.0.1:$2\",\"status\":200"' \
		sh "$T_OUT" "$lport"

	# A DNS server that refuses (nothing listens on the discard port) fails
	# the lookup at once: JSON readers still get the summary.
	t_run "send -o json: a failed lookup still ends with the summary" 5 \
		sipc send -o json --dns-server 127.0.0.1:9 "$d/options.sip" sip:x@example.test
	# shellcheck disable=SC2016 # expanded by the inner sh
	t_check "the last line is the summary naming the error" \
		sh -c 'tail -n 1 "$1" | grep -q "^{\"summary\":{\"target\":\"sip:x@example.test\",\"error\":"' \
		sh "$T_OUT"

	# An INFO outside a call: sip listen says 481 (RFC 6086), a final
	# response outside 2xx.
	t_run "send INFO with a body: its Content-Length is the body's" 1 \
		sipc send -o raw "$d/info.sip" "127.0.0.1:$lport"
	t_out_has "Content-Length: 24"
	t_out_has "SIP/2.0 481 Call/Transaction Does Not Exist"
	t_check "sip listen got the body" p_wait_text "$d/listen.log" "Duration=160" "$lpid" 30

	t_run "send ACK: sent, no answer awaited" 0 sipc send -o raw "$d/ack.sip" "127.0.0.1:$lport"
	t_out_has "ACK sip:127.0.0.1:$lport SIP/2.0"
	t_check "sip listen got the ACK" p_wait_text "$d/listen.log" "CSeq: 1 ACK" "$lpid" 30

	t_run "send ACK over TCP" 0 sipc send -o raw -t tcp "$d/ack.sip" "127.0.0.1:$lport"
	t_check "sip listen got it over TCP" p_wait_text "$d/listen.log" "SIP/2.0/TCP" "$lpid" 30
	p_stop "$lpid"
}

# --- Kamailio: a challenge answered --------------------------------------------
kamailio_tests() {
	P_USERS="alice:secret"
	mkdir "$d/kam"
	p_free_port
	kp=$P_PORT
	if ! p_kamailio_registrar "$d/kam" "$kp"; then
		t_fail "kamailio registrar" "$P_WHY"
		return
	fi
	# shellcheck disable=SC2016
	printf '%s\n' 'REGISTER sip:127.0.0.1:'"$kp"' SIP/2.0' \
		'Via: SIP/2.0/$transport$ $local_ip$:$local_port$;branch=$branch$;rport' \
		'Max-Forwards: 70' 'From: <sip:$user$@127.0.0.1>;tag=$tag$' \
		'To: <sip:$user$@127.0.0.1>' 'Call-ID: $call_id$' 'CSeq: $cseq$ REGISTER' \
		'Contact: <sip:$user$@$local_ip$:$local_port$>' 'Expires: 0' >"$d/register.sip"

	SIP_PASSWORD=secret
	export SIP_PASSWORD
	t_run "send REGISTER with -u: the challenge answered" 0 \
		sipc send -o raw -u alice --pcap "$d/reg.pcap" "$d/register.sip"
	t_out_has "SIP/2.0 401 Unauthorized"
	t_out_has "Authorization: Digest username=\"alice\", realm=\"127.0.0.1\""
	t_out_has "CSeq: 2 REGISTER"
	t_out_has "SIP/2.0 200 OK"
	# shellcheck disable=SC2016 # expanded by the inner sh
	t_check "tshark reads REGISTER, 401, REGISTER, 200" sh -c \
		'[ "$(tshark -n -r "$1" -Y sip -T fields -e sip.Method -e sip.Status-Code | tr -d "\t" | tr "\n" " ")" = "REGISTER 401 REGISTER 200 " ]' \
		sh "$d/reg.pcap"
	tshark -n -r "$d/reg.pcap" -Y '_ws.malformed || _ws.expert.severity >= warning' \
		>"$d/reg-bad.txt" 2>"$d/tshark.err"
	t_check "nothing malformed, no warning" test ! -s "$d/reg-bad.txt"

	SIP_PASSWORD=wrong
	t_run "send REGISTER with a wrong password" 6 sipc send -o raw -u alice "$d/register.sip"
	t_err_has "credentials of 'alice' rejected by realm '127.0.0.1'"
	unset SIP_PASSWORD

	# shellcheck disable=SC2016 # a placeholder, not a variable
	sed 's/\$user\$/alice/g' "$d/register.sip" >"$d/register-alice.sip"
	t_run "send without -u: the challenge ends it" 6 sipc send -o raw "$d/register-alice.sip"
	t_out_has "SIP/2.0 401"
	t_err_has "give -u USER"
}

# --- nobody there ----------------------------------------------------------------
nobody_tests() {
	p_free_port
	t_run "send to a port nobody listens on: unreachable" 4 \
		sipc send --timeout 2 "$d/options.sip" "127.0.0.1:$P_PORT"
	t_run "send to it over TCP: refused" 4 \
		sipc send --timeout 2 -t tcp "$d/options.sip" "127.0.0.1:$P_PORT"
}

listen_tests
kamailio_tests
nobody_tests
t_done
