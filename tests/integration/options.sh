#!/bin/sh
# options.sh - `sip options` and `sip listen` against real peers on loopback:
# Kamailio (UDP, TCP, TLS with a certificate made here, IPv6; output
# formats, ping and flood modes, many targets), SIPp servers with scenarios
# in sipp/ (200 with Allow and Supported, 404 and --expect, an answer only
# after retransmissions, no answer at all), an ICMP port unreachable, `sip
# listen` probed by `sip options`, and a tshark capture that must decode as
# SIP with nothing malformed; --pcap files over UDP, TCP, TLS and IPv6 that
# tshark must read the same way, and a TLS capture on lo that the keys
# SSLKEYLOGFILE logged must decrypt. Missing peers are installed
# (tests/deps.sh); one that does not start fails with the reason, and only
# where they cannot be had at all (not Debian, no root) is the file skipped,
# saying why; so is localhost where /etc/hosts does not name it. Every peer is on a free port and stopped by its PID;
# every client call is bounded by `timeout 30`.
# shellcheck disable=SC2317 # helpers are called through t_run and t_check
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/integration/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

d=$T_TMP

# sipc ARG...: the sip under test, bounded in time.
sipc() { timeout 30 "$SIP" "$@"; }

# t_timed NAME EXIT CMD...: t_run, with the wall time in $ms.
t_timed() {
	t_t0=$(p_now_ms)
	t_run "$@"
	ms=$(($(p_now_ms) - t_t0))
}

# t_faster NAME MS: the last t_timed took less than MS milliseconds.
t_faster() {
	if [ "$ms" -lt "$2" ]; then
		t_ok "$1 (${ms} ms < $2 ms)"
	else
		t_fail "$1" "took ${ms} ms, limit $2 ms"
	fi
}

# t_nonzero NAME CMD...: runs CMD like t_run and passes on any failure
# status (not a crash, not the timeout's 124).
t_nonzero() {
	T_NAME=$1
	shift
	"$@" </dev/null >"$T_OUT" 2>"$T_ERR"
	T_RC=$?
	if [ "$T_RC" -ge 1 ] && [ "$T_RC" -le 8 ]; then
		t_ok "$T_NAME (exit $T_RC)"
	else
		t_fail "$T_NAME" "exit $T_RC, expected a failure status 1-8"
		t_show
	fi
}

# t_run_in NAME "CODE..." CMD...: t_run accepting any of the exit codes.
t_run_in() {
	T_NAME=$1
	t_codes=$2
	shift 2
	"$@" </dev/null >"$T_OUT" 2>"$T_ERR"
	T_RC=$?
	case " $t_codes " in
	*" $T_RC "*) t_ok "$T_NAME (exit $T_RC)" ;;
	*)
		t_fail "$T_NAME" "exit $T_RC, expected one of $t_codes"
		t_show
		;;
	esac
}

# t_err_has_i TEXT: stderr has TEXT, in any case.
t_err_has_i() { t_check "stderr has '$1' (any case)" grep -qiF -e "$1" "$T_ERR"; }

# zero_loss FILE: a ping summary in FILE says 0% loss.
zero_loss() { grep -Eq '(^|[^0-9.])0(\.0+)?% (packet )?loss' "$1"; }

# between N LOW HIGH: LOW <= N <= HIGH.
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

# t_jq DESCRIPTION FILTER: jq -e FILTER holds on the last stdout read as one
# array of its JSON values (jq -s).
t_jq() {
	t_check "$1" t_jq_true "$2"
}
t_jq_true() { jq -s -e "$1" "$T_OUT" >/dev/null 2>&1; }

# t_any_has TEXT: stdout or stderr has TEXT.
t_any_has() { t_check "stdout or stderr has '$1'" grep -qF -e "$1" "$T_OUT" "$T_ERR"; }

# count_lines FILE PATTERN: lines of FILE matching the extended regex.
count_lines() { grep -Ec -e "$2" "$1"; }

# pcap_sip FILE PORT: the SIP messages tshark decodes in FILE (UDP or TCP
# on PORT read as SIP), one a line in capture order: "METHOD-OR-STATUS
# SRC-ADDR SRC-PORT DST-ADDR DST-PORT".
pcap_sip() {
	tshark -n -r "$1" -d "udp.port==$2,sip" -d "tcp.port==$2,sip" -Y sip -T fields \
		-E separator=, -e sip.Method -e sip.Status-Code -e ip.src -e ipv6.src \
		-e udp.srcport -e tcp.srcport -e ip.dst -e ipv6.dst -e udp.dstport -e tcp.dstport \
		2>/dev/null | awk -F, '{ print ($1 != "" ? $1 : $2), $3 $4, $5 $6, $7 $8, $9 $10 }'
}

# pcap_pairs FILE ADDR PORT N: FILE (from pcap_sip) is N exchanges with
# ADDR:PORT, each an OPTIONS to it, then a 200 from it back to the port the
# OPTIONS came from.
pcap_pairs() {
	[ "$(wc -l <"$1")" -eq $(($4 * 2)) ] &&
		awk -v a="$2" -v p="$3" '
			NR % 2 == 1 { if ($1 != "OPTIONS" || $4 != a || $5 != p) exit 1; from = $2 " " $3 }
			NR % 2 == 0 { if ($1 != "200" || $2 != a || $3 != p || $4 " " $5 != from) exit 1 }
		' "$1"
}

# t_pcap FILE ADDR PORT N: the capture --pcap wrote holds N OPTIONS to
# ADDR:PORT each answered by a 200, as tshark sees them, and nothing that it
# finds malformed or worth a warning (TCP analysis included).
t_pcap() {
	pcap_sip "$1" "$3" >"$d/pcap.txt"
	t_check "tshark reads $4 OPTIONS to $2 port $3, each followed by its 200" \
		pcap_pairs "$d/pcap.txt" "$2" "$3" "$4"
	[ -s "$d/pcap.txt" ] || tshark -n -r "$1" 2>&1 | sed -n '1,6s/^/     | /p'
	tshark -n -r "$1" -d "udp.port==$3,sip" -d "tcp.port==$3,sip" \
		-Y '_ws.malformed || _ws.expert.severity >= warning || tcp.analysis.flags' \
		>"$d/pcap-bad.txt" 2>"$d/tshark.err"
	t_check "nothing malformed, no warning" test ! -s "$d/pcap-bad.txt"
	sed -n '1,6s/^/     | /p' "$d/pcap-bad.txt"
}

t_need "sip options against Kamailio and SIPp" kamailio kamailio-tls-modules \
	sipp=sip-tester tshark openssl jq || t_done

# Certificates for the TLS peers: a CA and a server certificate it signed.
mkdir "$d/pki"
certs=$d/pki
if ! p_certs "$certs"; then
	t_fail "openssl makes the test certificates" "$(tail -n 1 "$certs/openssl.log")"
	t_done
fi

# A port nothing listens on, for ICMP port unreachable and refused TCP.
p_free_port
dead=$P_PORT

# --- ICMP port unreachable, TCP refused --------------------------------------
t_timed "udp to a closed port: exit 4 (ICMP port unreachable)" 4 \
	sipc options --timeout 10 "127.0.0.1:$dead"
t_faster "ICMP ends the probe at once, not at the timeout" 3000
t_timed "tcp to a closed port: exit 4 (refused)" 4 \
	sipc options -t tcp --timeout 10 "127.0.0.1:$dead"
t_faster "refused ends the probe at once" 3000

# --- sip listen, probed by sip options ---------------------------------------
listen_tests() {
	p_start "$d/listen.log" "$SIP" listen 127.0.0.1:0 --count 3 --pcap "$d/listen.pcap"
	lpid=$P_PID
	if ! p_wait_text "$d/listen.log" "listening on" "$lpid" 50; then
		t_fail "sip listen 127.0.0.1:0 says where it listens" "$(head -n 3 "$d/listen.log")"
		p_stop "$lpid"
		return
	fi
	T_NAME="sip listen 127.0.0.1:0"
	lport=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$d/listen.log" | head -n 1)
	t_check "sip listen names its port" test -n "$lport"
	t_check "the first line is 'sip: listen: listening on 127.0.0.1:PORT (UDP, TCP)'" \
		grep -q "^sip: listen: listening on 127\.0\.0\.1:$lport (UDP, TCP)" "$d/listen.log"
	[ -n "$lport" ] || {
		p_stop "$lpid"
		return
	}

	# --dry-run sends nothing: were it sent, the listener would count it.
	t_run "--dry-run prints the request" 0 sipc options --dry-run "127.0.0.1:$lport"
	t_out_has "OPTIONS sip:127.0.0.1:$lport SIP/2.0"
	t_out_has "Via: SIP/2.0/UDP 127.0.0.1:"
	t_err_has "sip: options: would send over UDP to 127.0.0.1:$lport"

	t_run "sip options against sip listen (udp)" 0 \
		sipc options -H 'X-Probe: 42' --user-agent 'itest/1' --max-forwards 7 \
		--from sip:alice@example.test "127.0.0.1:$lport"
	t_out_has "200 OK"
	t_run "sip options against sip listen (tcp)" 0 sipc options -t tcp "127.0.0.1:$lport"
	t_out_has "200 OK"
	t_check "the OPTIONS says Accept: application/sdp (RFC 3261 11.1)" \
		sh -c "tr -d '\r' <'$T_OUT' | grep -qx 'Accept: application/sdp'"
	t_check "the 200 names its product in Server, not User-Agent" \
		sh -c "tr -d '\r' <'$T_OUT' | sed -n '/^SIP.2.0 200/,/^\$/p' >'$d/ok.txt' &&
			grep -q '^Server: sip/' '$d/ok.txt' && ! grep -q '^User-Agent:' '$d/ok.txt'"
	t_run "the summary of sip listen's answer" 0 sipc options -q -o pretty "127.0.0.1:$lport"
	t_out_has "Allow:      INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, MESSAGE, NOTIFY, SUBSCRIBE"
	t_out_has "Supported:  100rel, timer"
	if p_wait_exit "$lpid" 50; then
		t_eq "sip listen --count 3 exits 0 by itself" 0 "$P_RC"
	else
		t_fail "sip listen --count 3 exits 0 by itself" "still running after 5 s"
		p_stop "$lpid"
	fi
	T_NAME="sip listen prints the requests"
	T_OUT=$d/listen.log
	t_out_has "X-Probe: 42"
	t_out_has "User-Agent: itest/1"
	t_out_has "Max-Forwards: 7"
	t_out_has "sip:alice@example.test"
	t_check "three requests arrived (none from --dry-run)" \
		[ "$(count_lines "$d/listen.log" '^OPTIONS sip:')" -eq 3 ]
	# RFC 3581 section 4: with rport, the server MUST add received, even
	# when it equals the sent-by host.
	t_check "its 200 carries Via rport=PORT and received=127.0.0.1 (RFC 3581)" \
		grep -Eq '^Via: SIP/2.0/UDP 127.0.0.1:[0-9]+;.*rport=[0-9]+.*received=127.0.0.1|received=127.0.0.1.*rport=[0-9]+' \
		"$d/listen.log"
	T_OUT=$T_TMP/out
	T_NAME="sip listen --pcap"
	t_pcap "$d/listen.pcap" 127.0.0.1 "$lport" 3

	# TLS: sip listen --tls with the test's certificate.
	p_start "$d/listen-tls.log" "$SIP" listen 127.0.0.1:0 --count 1 --tls \
		--cert "$certs/server.pem" --key "$certs/server.key"
	lpid=$P_PID
	if ! p_wait_text "$d/listen-tls.log" "listening on" "$lpid" 50; then
		t_fail "sip listen --tls says where it listens" "$(head -n 3 "$d/listen-tls.log")"
		p_stop "$lpid"
		return
	fi
	lport=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$d/listen-tls.log" | head -n 1)
	t_run "sip options -t tls against sip listen --tls" 0 \
		sipc options -t tls --ca-file "$certs/ca.pem" "127.0.0.1:$lport"
	t_out_has "200 OK"
	if p_wait_exit "$lpid" 50; then
		t_eq "sip listen --tls --count 1 exits 0 by itself" 0 "$P_RC"
	else
		t_fail "sip listen --tls --count 1 exits 0 by itself" "still running after 5 s"
		p_stop "$lpid"
	fi
}
listen_tests

# --- Kamailio ----------------------------------------------------------------
kamailio_tests() {
	p_free_port
	kp=$P_PORT
	p_free_port
	ktls=$P_PORT
	if ! p_kamailio "$certs" "$kp" "$ktls"; then
		t_fail "kamailio" "$P_WHY"
		return
	fi
	kpid=$P_PID

	# A capture of the UDP, TCP and IPv6 probes, for tshark to judge.
	tpid=
	if p_tshark "$d/kam.pcap" "$kp"; then
		tpid=$P_PID
	else
		t_fail "tshark capture" "$P_WHY"
	fi

	t_run "kamailio, udp" 0 sipc options "127.0.0.1:$kp"
	t_out_has "200 OK"
	t_out_has "kamailio"
	t_run "kamailio, tcp (-t tcp)" 0 sipc options -t tcp "127.0.0.1:$kp"
	t_out_has "200 OK"
	t_run "kamailio, tcp (;transport=tcp)" 0 sipc options "sip:127.0.0.1:$kp;transport=tcp"
	t_run "kamailio, ipv6 [::1] udp" 0 sipc options "[::1]:$kp"
	t_out_has "200 OK"
	t_run "kamailio, ipv6 -6 tcp" 0 sipc options -6 -t tcp "sip:[::1]:$kp"

	if [ -n "$tpid" ]; then
		sleep 0.3
		p_stop "$tpid"
		decode="-d udp.port==$kp,sip -d tcp.port==$kp,sip"
		# shellcheck disable=SC2086 # $decode is several arguments
		nreq=$(tshark -n -r "$d/kam.pcap" $decode -Y 'sip.Method == "OPTIONS"' 2>/dev/null | wc -l)
		# shellcheck disable=SC2086
		nok=$(tshark -n -r "$d/kam.pcap" $decode -Y 'sip.Status-Code == 200' 2>/dev/null | wc -l)
		# shellcheck disable=SC2086
		tshark -n -r "$d/kam.pcap" $decode -Y '_ws.malformed || _ws.expert.severity == error' \
			>"$d/malformed.txt" 2>"$d/tshark.err"
		t_eq "tshark: the 5 OPTIONS requests decode as SIP" 5 "$nreq"
		t_eq "tshark: the 5 responses decode as SIP 200" 5 "$nok"
		T_NAME="tshark"
		t_check "no malformed packet or expert error" test ! -s "$d/malformed.txt"
		sed -n '1,10s/^/     | /p' "$d/malformed.txt"
	fi

	# TLS: verified against the test's CA, failing without it.
	t_run "kamailio, tls with --ca-file" 0 \
		sipc options -t tls --ca-file "$certs/ca.pem" "127.0.0.1:$ktls"
	t_out_has "200 OK"
	t_run "kamailio, sips: URI with --ca-file" 0 \
		sipc options --ca-file "$certs/ca.pem" "sips:127.0.0.1:$ktls"
	t_run "kamailio, tls without the CA: exit 4" 4 sipc options -t tls "127.0.0.1:$ktls"
	t_err_has_i "certificate"
	t_run "kamailio, tls --insecure" 0 sipc options -t tls --insecure "127.0.0.1:$ktls"
	t_run "kamailio, tls -v shows the peer certificate" 0 \
		sipc options -v -t tls --ca-file "$certs/ca.pem" "127.0.0.1:$ktls"
	t_any_has "CN=localhost"
	t_any_has "sip test CA"

	# Names from /etc/hosts, -4 and -6.
	if grep -Eq '^127\.0\.0\.1[[:space:]]+([^#]*[[:space:]])?localhost([[:space:]]|$)' /etc/hosts; then
		t_run "kamailio, localhost (127.0.0.1 in /etc/hosts)" 0 sipc options "localhost:$kp"
		t_run "kamailio, -4 localhost" 0 sipc options -4 "sip:localhost:$kp"
	else
		t_skip "localhost" "/etc/hosts does not map localhost to 127.0.0.1"
	fi

	# -q, -l, -p.
	t_run "kamailio, -q" 0 sipc options -q "127.0.0.1:$kp"
	t_out_has "Answer:     127.0.0.1:$kp 200 OK in"
	t_out_lacks "OPTIONS sip:"
	p_free_port
	t_run "kamailio, -l 127.0.0.1:PORT" 0 sipc options -o json -l "127.0.0.1:$P_PORT" "127.0.0.1:$kp"
	t_jq "sent from that port" "map(select(.direction == \"sent\"))[0].local == \"127.0.0.1:$P_PORT\""
	t_jq "the server answers to that port (rport)" \
		"map(select(.direction == \"received\"))[0].via[0].rport == $P_PORT"
	t_run "kamailio as outbound proxy (-p)" 0 \
		sipc options -o json -p "sip:127.0.0.1:$kp" sip:nobody@example.invalid
	t_jq "the request goes to the proxy" "map(select(.direction == \"sent\"))[0].remote == \"127.0.0.1:$kp\""
	t_jq "with the target as Request-URI" "map(select(.direction == \"sent\"))[0].ruri == \"sip:nobody@example.invalid\""

	# Output formats.
	t_run "kamailio, -o json" 0 sipc options -o json "127.0.0.1:$kp"
	t_jq "jq reads it: sent, received, summary" \
		'map(.direction // "summary") == ["sent", "received", "summary"]'
	t_check "one JSON value per line" t_json_lines "$T_OUT"
	t_jq ".summary: status, server, allow, supported" \
		'.[-1].summary | .status == 200 and .server == "kamailio (sip integration test)" and .allow == "INVITE, ACK, CANCEL, BYE, OPTIONS" and .supported == "path, outbound"'
	t_run "ping mode, -o json" 0 sipc options -o json -c 3 -i 0.1 "127.0.0.1:$kp"
	t_jq "jq reads it, with a .summary" 'map(select(type == "object" and has("summary"))) | length == 1'
	t_run "two targets, -o json" 0 sipc options -o json "127.0.0.1:$kp" "sip:127.0.0.1:$kp;transport=tcp"
	t_jq "jq reads it: an object for each target" 'length >= 2 and all(.[]; type == "object")'
	t_run "kamailio, -o nagios" 0 sipc options -o nagios "127.0.0.1:$kp"
	t_out_lines 1
	t_out_has "SIP OK - 200 OK"
	t_out_has "| rtt="
	t_run "nagios, nothing listening: CRITICAL" 2 sipc options -o nagios --timeout 5 "127.0.0.1:$dead"
	t_out_has "SIP CRITICAL"

	# Ping and flood.
	t_timed "ping -c 5 -i 0.1" 0 sipc options -c 5 -i 0.1 "127.0.0.1:$kp"
	t_check "0% loss" zero_loss "$T_OUT"
	t_out_has "rtt min/avg/max/mdev"
	t_out_has "rtt p50/p95/p99"
	t_check "the interval is kept (>= 400 ms for 5 probes)" [ "$ms" -ge 400 ]
	t_timed "flood -c 200 -i 0 --concurrency 10" 0 \
		sipc options -c 200 -i 0 --concurrency 10 "127.0.0.1:$kp"
	t_check "0% loss" zero_loss "$T_OUT"
	t_out_has "200 requests sent"
	t_check "200 received" grep -Eq '(^|[ ,])200 ([a-z]+ )?received' "$T_OUT"
	t_faster "the flood completes" 20000
	t_run_in "Ctrl-C in ping mode prints the summary" "0 130" \
		timeout --preserve-status -s INT 1 "$SIP" options -c 100 -i 0.2 "127.0.0.1:$kp"
	t_out_has "rtt min/avg/max/mdev"
	t_check "it stopped early" t_lacks "100 requests sent" "$T_OUT"

	# Many targets, one line each.
	t_nonzero "two targets, one dead: non-zero exit" \
		sipc options --timeout 3 "127.0.0.1:$kp" "127.0.0.1:$dead"
	t_check "the live target's line shows 200" grep -q "127\.0\.0\.1:$kp.*200" "$T_OUT"
	t_check "the dead target has a line" grep -q "127\.0\.0\.1:$dead" "$T_OUT"
	t_check "the dead target's line shows no 200" t_lacks_re "127\.0\.0\.1:$dead.* 200 " "$T_OUT"
	printf '%s\n' "127.0.0.1:$kp" "sip:127.0.0.1:$kp;transport=tcp" >"$d/targets"
	t_run "-f FILE, all alive" 0 sipc options -f "$d/targets"
	t_out_lines 2
	printf '%s\n' "127.0.0.1:$dead" >>"$d/targets"
	t_nonzero "-f FILE, one dead: non-zero exit" sipc options --timeout 3 -f "$d/targets"
	t_out_lines 3

	pcap_tests
	p_stop "$kpid"
}

# pcap_tests: --pcap over UDP, TCP, TLS and IPv6 against the Kamailio on
# $kp (TLS on $ktls), and a TLS capture taken beside sip, on lo, that the
# key log SSLKEYLOGFILE names lets tshark decrypt.
pcap_tests() {
	t_run "--pcap, udp, -q" 0 sipc options -q --pcap "$d/udp.pcap" "127.0.0.1:$kp"
	t_out_lacks "OPTIONS sip:"
	t_pcap "$d/udp.pcap" 127.0.0.1 "$kp" 1
	t_run "--pcap, tcp" 0 sipc options -t tcp --pcap "$d/tcp.pcap" "127.0.0.1:$kp"
	t_pcap "$d/tcp.pcap" 127.0.0.1 "$kp" 1
	t_run "--pcap, tcp, ping -c 3: one connection" 0 \
		sipc options -t tcp -c 3 -i 0.1 --pcap "$d/tcp3.pcap" "127.0.0.1:$kp"
	t_pcap "$d/tcp3.pcap" 127.0.0.1 "$kp" 3
	t_run "--pcap, ipv6 [::1] udp" 0 sipc options --pcap "$d/udp6.pcap" "[::1]:$kp"
	t_pcap "$d/udp6.pcap" ::1 "$kp" 1
	t_run "--pcap, ipv6 -6 tcp" 0 sipc options -6 -t tcp --pcap "$d/tcp6.pcap" "sip:[::1]:$kp"
	t_pcap "$d/tcp6.pcap" ::1 "$kp" 1
	t_run "--pcap, tls: its plaintext" 0 \
		sipc options -t tls --ca-file "$certs/ca.pem" --pcap "$d/tls.pcap" "127.0.0.1:$ktls"
	t_pcap "$d/tls.pcap" 127.0.0.1 "$ktls" 1

	# SSLKEYLOGFILE: the real TLS on lo, decrypted with the keys sip logged.
	if ! p_tshark "$d/tls-lo.pcap" "$ktls"; then
		t_fail "SSLKEYLOGFILE" "$P_WHY"
		return
	fi
	tpid=$P_PID
	t_run "SSLKEYLOGFILE, tls" 0 env SSLKEYLOGFILE="$d/keys.log" \
		timeout 30 "$SIP" options -q -t tls --ca-file "$certs/ca.pem" "127.0.0.1:$ktls"
	sleep 0.3
	p_stop "$tpid"
	t_check "the key log has the TLS secrets" grep -q TRAFFIC_SECRET "$d/keys.log"
	# The port is not 5061: tshark is told that it carries TLS, and SIP inside.
	tls_as_sip="-d tcp.port==$ktls,tls -d tls.port==$ktls,sip"
	# shellcheck disable=SC2086 # $tls_as_sip is several arguments
	tshark -n -r "$d/tls-lo.pcap" -o "tls.keylog_file:$d/keys.log" $tls_as_sip -Y sip \
		>"$d/tls-lo.txt" 2>"$d/tshark.err"
	t_check "tshark decrypts the capture on lo: the OPTIONS" grep -q 'Request: OPTIONS' "$d/tls-lo.txt"
	t_check "and its 200" grep -q 'Status: 200 OK' "$d/tls-lo.txt"
	[ -s "$d/tls-lo.txt" ] || tshark -n -r "$d/tls-lo.pcap" 2>&1 | sed -n '1,8s/^/     | /p'
	# shellcheck disable=SC2086
	tshark -n -r "$d/tls-lo.pcap" $tls_as_sip -Y sip >"$d/tls-nokeys.txt" 2>"$d/tshark.err"
	t_check "without the keys, no SIP" test ! -s "$d/tls-nokeys.txt"
}

# t_json_lines FILE: every line of FILE is one JSON value.
t_json_lines() {
	[ "$(jq -c . "$1" 2>/dev/null | wc -l)" -eq "$(wc -l <"$1")" ]
}

# t_lacks_re REGEX FILE: no line of FILE matches REGEX.
t_lacks_re() { ! grep -Eq -e "$1" "$2"; }

kamailio_tests

# --- SIPp --------------------------------------------------------------------
sipp_tests() {
	# 200 with Allow and Supported; SIPp checks the request (exit 1 if not).
	p_free_port
	if ! p_sipp "$d/s200.log" uas-200 "$P_PORT" 2; then
		t_fail "sipp uas-200" "$P_WHY"
	else
		spid=$P_PID
		t_run "sipp 200: exit 0" 0 sipc options "127.0.0.1:$P_PORT"
		t_out_has "200 OK"
		t_out_has "MESSAGE, SUBSCRIBE"
		t_out_has "replaces"
		t_out_has "SIPp integration peer"
		t_run "sipp 200, -o json" 0 sipc options -o json "127.0.0.1:$P_PORT"
		t_jq ".summary has Allow, Supported, Accept, Server" \
			'.[-1].summary | .allow == "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, SUBSCRIBE, NOTIFY" and .supported == "replaces, timer, 100rel" and .accept == "application/sdp, text/plain" and .server == "SIPp integration peer"'
		if p_wait_exit "$spid" 50; then
			t_eq "sipp 200: SIPp found the requests well-formed" 0 "$P_RC"
			[ "$P_RC" -eq 0 ] || sed -n '1,5s/^/     | /p' "$d/s200.log.err"
		else
			t_fail "sipp 200: SIPp ends after its calls"
			p_stop "$spid"
		fi
	fi

	# Supported with an empty list: no extension, said as such.
	p_free_port
	if ! p_sipp "$d/snothing.log" uas-200-nothing "$P_PORT" 1; then
		t_fail "sipp uas-200-nothing" "$P_WHY"
	else
		spid=$P_PID
		t_run "sipp 200 with an empty Supported: exit 0" 0 sipc options -q -o pretty \
			"127.0.0.1:$P_PORT"
		t_out_has "Supported:  (none)"
		p_wait_exit "$spid" 50 || p_stop "$spid"
	fi

	# A 200 whose Via matches the transaction but whose Call-ID, From tag or
	# CSeq is not the request's: nobody's answer to it, exit 7 (it was 0).
	for broken in callid:Call-ID fromtag:"From tag" cseq:CSeq; do
		p_free_port
		if ! p_sipp "$d/swrong.log" "uas-options-wrong-${broken%%:*}" "$P_PORT" 1; then
			t_fail "sipp uas-options-wrong-${broken%%:*}" "$P_WHY"
			continue
		fi
		spid=$P_PID
		t_run "a 200 with another ${broken#*:}: a protocol violation, exit 7" 7 \
			sipc options -q --timeout 2 "127.0.0.1:$P_PORT"
		t_err_has "'127.0.0.1:$P_PORT': protocol violation: 200 OK from 127.0.0.1:$P_PORT: ${broken#*:} '"
		t_err_has "is not the request's '"
		t_out_lacks "200 OK"
		p_wait_exit "$spid" 50 || p_stop "$spid"
	done
	p_free_port
	if p_sipp "$d/swrong.log" uas-options-wrong-callid "$P_PORT" 1; then
		spid=$P_PID
		t_run "the same, -o json: the summary's error says what differs, exit 7" 7 \
			sipc options -o json --timeout 2 "127.0.0.1:$P_PORT"
		t_jq "error names the Call-ID, exit 7" \
			'map(select(.summary)) | .[0].summary | (.error | test("^protocol violation: 200 OK from .*: Call-ID .broken-")) and .exit == 7'
		p_wait_exit "$spid" 50 || p_stop "$spid"
	else
		t_fail "sipp uas-options-wrong-callid" "$P_WHY"
	fi

	# 404: exit 1, or 0 when --expect names it.
	p_free_port
	if ! p_sipp "$d/s404.log" uas-404 "$P_PORT" 4; then
		t_fail "sipp uas-404" "$P_WHY"
	else
		spid=$P_PID
		t_run "sipp 404: exit 1" 1 sipc options "127.0.0.1:$P_PORT"
		t_out_has "404 Not Found"
		t_run "sipp 404, --expect 404: exit 0" 0 sipc options --expect 404 "127.0.0.1:$P_PORT"
		t_run "sipp 404, --expect 4xx: exit 0" 0 sipc options --expect 4xx "127.0.0.1:$P_PORT"
		t_run "sipp 404, --expect 5xx: exit 1" 1 sipc options --expect 5xx "127.0.0.1:$P_PORT"
		p_wait_exit "$spid" 50 || p_stop "$spid"
	fi

	# An answer only after the third copy: retransmission must get it.
	p_free_port
	if ! p_sipp "$d/late.log" uas-late "$P_PORT" 3; then
		t_fail "sipp uas-late" "$P_WHY"
	else
		spid=$P_PID
		t_timed "sipp answers after 2 lost copies, --t1 100: exit 0" 0 \
			sipc options --t1 100 "127.0.0.1:$P_PORT"
		t_out_has "200 OK"
		t_eq "sipp saw 3 copies (0, 100, 300 ms)" 3 "$(p_sipp_received "$d/late.log")"
		# The same server answers in ~500 ms: nagios thresholds.
		t_run "nagios, rtt over --warn: WARNING" 1 \
			sipc options -o nagios --t1 1000 --warn 200 --crit 5000 "127.0.0.1:$P_PORT"
		t_out_has "SIP WARNING"
		t_run "nagios, rtt over --crit: CRITICAL" 2 \
			sipc options -o nagios --t1 1000 --warn 50 --crit 200 "127.0.0.1:$P_PORT"
		t_out_has "SIP CRITICAL"
		p_wait_exit "$spid" 50 || p_stop "$spid"
	fi

	# No answer at all: exit 3 at the timeout, after Timer E retransmissions.
	p_free_port
	if ! p_sipp "$d/silent.log" uas-silent "$P_PORT" 1; then
		t_fail "sipp uas-silent" "$P_WHY"
	else
		spid=$P_PID
		t_timed "sipp never answers, --t1 50 --timeout 2: exit 3" 3 \
			sipc options --t1 50 --timeout 2 "127.0.0.1:$P_PORT"
		t_faster "gives up near the 2 s timeout" 10000
		t_check "waits for the timeout (>= 1.5 s)" [ "$ms" -ge 1500 ]
		n=$(p_sipp_received "$d/silent.log")
		t_check "sipp saw the retransmissions (0, 50, 150, 350, 750, 1550 ms: 6, got $n)" \
			between "$n" 5 7
		p_stop "$spid"
	fi

	# A broken server: its answers do not parse. Each is dropped, the first
	# few said on stderr with what is wrong, and the run ends as a protocol
	# failure (exit 7), not as silence.
	p_free_port
	if ! p_sipp "$d/garbled.log" uas-garbled "$P_PORT" 10; then
		t_fail "sipp uas-garbled" "$P_WHY"
	else
		spid=$P_PID
		t_run "sipp answers what does not parse, --timeout 1: exit 7" 7 \
			sipc options --t1 50 --timeout 1 "127.0.0.1:$P_PORT"
		t_err_has "warning: a message from UDP 127.0.0.1:$P_PORT does not parse: line 8: Content-Length says 99999, body has 0 bytes"
		t_err_has "more messages that do not parse: not reported"
		t_check "three of the five said, then one line for the rest" \
			test "$(grep -c 'not parse' "$T_ERR")" -eq 4
		t_err_has "syntax error"
		t_out_has "Content-Length: 99999"
		t_run "the same at Timer F (64*T1), with no --timeout: exit 7" 7 \
			sipc options -q --t1 20 "127.0.0.1:$P_PORT"
		t_run "-o json: the answer as invalid, received, with its problem" 7 \
			sipc options -o json --t1 50 --timeout 1 "127.0.0.1:$P_PORT"
		t_check "a received, invalid object naming the Content-Length" grep -q \
			'"direction":"received".*"valid":false.*"problems":\[{"line":8,"severity":"error","text":"Content-Length says 99999' \
			"$T_OUT"
		p_stop "$spid"
	fi

	# The same over TCP: no retransmission on a reliable transport (Timer E
	# is for UDP alone), still exit 3 at the timeout.
	p_free_port
	if ! p_sipp "$d/silent-tcp.log" uas-silent "$P_PORT" 1 tcp; then
		t_fail "sipp uas-silent over tcp" "$P_WHY"
	else
		spid=$P_PID
		t_timed "sipp never answers over tcp, --timeout 2: exit 3" 3 \
			sipc options -t tcp --t1 50 --timeout 2 "127.0.0.1:$P_PORT"
		t_faster "gives up near the 2 s timeout" 10000
		t_eq "sipp saw one copy over tcp" 1 "$(p_sipp_received "$d/silent-tcp.log")"
		p_stop "$spid"
	fi
}
sipp_tests

# fresh_blackholes: two new servers that never answer, on 127.0.0.1:$bh and
# :$bh2 (the ones before stopped), $d/bh.log noting what the first gets.
bhpid=
bh2pid=
fresh_blackholes() {
	for fb_pid in $bhpid $bh2pid; do
		p_stop "$fb_pid"
	done
	rm -f "$d/bh.log"
	p_free_port
	bh=$P_PORT
	p_free_port
	bh2=$P_PORT
	if ! p_blackhole "$d/bh.log" "$bh" || ! { bhpid=$P_PID && p_blackhole "$d/bh2.log" "$bh2"; }; then
		t_fail "servers that never answer" "$P_WHY"
		return 1
	fi
	bh2pid=$P_PID
}

# interrupted NAME SIGNALS EXIT ARG...: `sip options --t1 100 ARG...`,
# signalled once the server on $bh has its OPTIONS; passes when it exits
# EXIT within 2 s of the (last) signal.
interrupted() {
	T_NAME=$1
	in_sigs=$2 in_want=$3
	shift 3
	if p_interrupt "$d/bh.log" "datagram" "$in_sigs" "$SIP" options --t1 100 "$@"; then
		t_eq "$T_NAME: exit $in_want" "$in_want" "$P_RC"
		t_check "at once (${P_MS} ms)" test "$P_MS" -lt 2000
	else
		t_fail "$T_NAME" "$P_WHY"
	fi
}

# A signal before the final response is its own verdict, "interrupted",
# exit 3, in every output format; with several targets, each target still
# without its answer says so (not "not probed": it was sent).
interrupt_tests() {
	fresh_blackholes || return
	interrupted "SIGINT, one target" INT 3 "127.0.0.1:$bh"
	t_err_has "'127.0.0.1:$bh': interrupted"
	fresh_blackholes || return
	interrupted "SIGTERM, one target, -o json" TERM 3 -o json "127.0.0.1:$bh"
	t_jq ".summary: interrupted, exit 3" \
		".[-1].summary | .target == \"127.0.0.1:$bh\" and .error == \"interrupted\" and .exit == 3"
	fresh_blackholes || return
	interrupted "SIGINT, -o nagios: UNKNOWN" INT 3 -o nagios "127.0.0.1:$bh"
	t_out_lines 1
	t_out_has "SIP UNKNOWN - 127.0.0.1:$bh: interrupted"
	fresh_blackholes || return
	interrupted "SIGINT, two targets" INT 3 "127.0.0.1:$bh" "127.0.0.1:$bh2"
	t_check "each target's line says interrupted" \
		test "$(grep -c -e '--- interrupted$' "$T_OUT")" -eq 2
	t_out_lacks "not probed"
	fresh_blackholes || return
	interrupted "SIGINT, two targets, -o json" INT 3 -o json "127.0.0.1:$bh" "127.0.0.1:$bh2"
	t_jq "each target: interrupted, exit 3" \
		'length == 2 and all(.[]; .error == "interrupted" and .exit == 3)'
	fresh_blackholes || return
	interrupted "SIGINT twice, ping: at once, 130" "INT INT" 130 -c 3 -i 0 "127.0.0.1:$bh"
	p_stop "$bhpid"
	p_stop "$bh2pid"
}
interrupt_tests

t_done
