#!/bin/sh
# resolve.sh - `sip resolve` against dnsmasq on a free loopback port: NAPTR
# order, SRV priority, A and AAAA, SRV without NAPTR, A alone, a name with
# nothing, the port and ;transport= short-cuts, JSON, and the exit codes.
# Installs dnsmasq (the program, not the service) when it is missing.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/integration/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

PATH=$PATH:/usr/sbin:/sbin
dns_pid=
fail_pid=
trap 'for p in $dns_pid $fail_pid; do kill "$p" 2>/dev/null; done; p_cleanup; rm -rf "$T_TMP"' EXIT

t_need "sip resolve against dnsmasq" dnsmasq=dnsmasq-base ss=iproute2 jq || t_done

# in_use PORT: something listens on UDP PORT.
in_use() { ss -Hlun "sport = :$1" 2>/dev/null | grep -q .; }

# start_dnsmasq PORT: starts dnsmasq serving the test zone on PORT, waits
# until it listens; fails when it does not within 5 s.
start_dnsmasq() {
	dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --port="$1" \
		--listen-address=127.0.0.1 --bind-interfaces --pid-file="$T_TMP/dnsmasq.pid" \
		--local=/test/ \
		--naptr-record=example.test,20,50,s,SIP+D2U,,_sip._udp.example.test \
		--naptr-record=example.test,10,50,s,SIP+D2T,,_sip._tcp.example.test \
		--naptr-record=example.test,10,40,s,SIP+D2S,,_sip._sctp.example.test \
		--srv-host=_sip._tcp.example.test,sip2.example.test,5062,20,0 \
		--srv-host=_sip._tcp.example.test,sip1.example.test,5060,10,60 \
		--srv-host=_sip._udp.example.test,sip2.example.test,5070,10,0 \
		--host-record=sip1.example.test,127.0.0.1,::1 \
		--host-record=sip2.example.test,127.0.0.2 \
		--srv-host=_sips._tcp.srv.test,host.srv.test,5081,10,0 \
		--srv-host=_sip._udp.srv.test,host.srv.test,5080,10,0 \
		--host-record=host.srv.test,127.0.0.3 \
		--host-record=a.test,127.0.0.4 \
		>"$T_TMP/dnsmasq.log" 2>&1 &
	dns_pid=$!
	i=0
	while [ $i -lt 50 ]; do
		in_use "$1" && kill -0 "$dns_pid" 2>/dev/null && return 0
		kill -0 "$dns_pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	kill "$dns_pid" 2>/dev/null
	dns_pid=
	return 1
}

# A free port: candidates spread by our PID, so that parallel runs differ.
port=
n=0
while [ $n -lt 20 ] && [ -z "$port" ]; do
	p=$((20000 + ($$ * 7 + n * 997) % 40000))
	n=$((n + 1))
	in_use "$p" && continue
	start_dnsmasq "$p" && port=$p
done
if [ -z "$port" ]; then
	t_fail "dnsmasq starts" "no port found, or it would not start"
	sed 's/^/     | /' "$T_TMP/dnsmasq.log"
	t_done
fi
t_ok "dnsmasq listens on 127.0.0.1:$port"

D="--dns-server 127.0.0.1:$port"
# shellcheck disable=SC2086,SC2317 # $D is two words; called through t_run
resolve() { timeout 20 "$SIP" resolve $D "$@"; }

# want LINE...: stdout is exactly these lines.
want() {
	printf '%s\n' "$@" >"$T_TMP/want"
	t_check "prints exactly the list" cmp -s "$T_TMP/want" "$T_OUT"
}

t_run "NAPTR, SRV, A/AAAA" 0 resolve -o raw example.test
t_out_has 'NAPTR example.test: 10 40 "s" "SIP+D2S" -> _sip._sctp.example.test (ignored: SCTP is not supported)'
t_out_has 'NAPTR example.test: 10 50 "s" "SIP+D2T" -> _sip._tcp.example.test'
t_out_has 'SRV _sip._tcp.example.test: 10 60 5060 sip1.example.test'
t_out_has 'A sip1.example.test: 127.0.0.1'
t_out_has 'AAAA sip1.example.test: ::1'
t_out_has '1. TCP 127.0.0.1:5060 (sip1.example.test)'
t_out_has '2. TCP [::1]:5060 (sip1.example.test)'
t_out_has '3. TCP 127.0.0.2:5062 (sip2.example.test)'
t_out_has '4. UDP 127.0.0.2:5070 (sip2.example.test)'
t_err_empty
# The NAPTR lines come in order, then the SRV ones.
grep -n -e '^NAPTR' -e '^SRV' "$T_OUT" | cut -d: -f2- >"$T_TMP/steps"
printf '%s\n' \
	'NAPTR example.test: 10 40 "s" "SIP+D2S" -> _sip._sctp.example.test (ignored: SCTP is not supported)' \
	'NAPTR example.test: 10 50 "s" "SIP+D2T" -> _sip._tcp.example.test' \
	'NAPTR example.test: 20 50 "s" "SIP+D2U" -> _sip._udp.example.test' \
	'SRV _sip._tcp.example.test: 10 60 5060 sip1.example.test' \
	'SRV _sip._tcp.example.test: 20 0 5062 sip2.example.test' \
	'SRV _sip._udp.example.test: 10 0 5070 sip2.example.test' >"$T_TMP/want"
t_check "steps in RFC 3263 order" cmp -s "$T_TMP/want" "$T_TMP/steps"

t_run "IPv4 only, the list alone" 0 resolve -4 -q example.test
want '1. TCP 127.0.0.1:5060 (sip1.example.test)' \
	'2. TCP 127.0.0.2:5062 (sip2.example.test)' \
	'3. UDP 127.0.0.2:5070 (sip2.example.test)'

t_run "IPv6 only" 0 resolve -6 -q example.test
want '1. TCP [::1]:5060 (sip1.example.test)'

t_run "-t udp" 0 resolve -t udp -q example.test
want '1. UDP 127.0.0.2:5070 (sip2.example.test)'

t_run "json" 0 resolve -o json example.test
t_out_lines 1
t_out_has '"target":"sip:example.test"'
t_out_has '{"transport":"TCP","address":"127.0.0.1","port":5060,"name":"sip1.example.test"}'
t_out_has '{"transport":"TCP","address":"::1","port":5060,"name":"sip1.example.test"}'
t_out_lacks '"error"'
t_check "jq reads it" sh -c "jq -e '(.targets | length) == 4 and .targets[3].transport == \"UDP\" and (.steps | length) > 5' <'$T_OUT' >/dev/null"

t_run "SRV without NAPTR" 0 resolve -o raw srv.test
t_out_has 'no NAPTR for srv.test; trying SRV'
t_out_has 'no SRV for _sip._tcp.srv.test'
t_run "SRV without NAPTR: the list" 0 resolve -q srv.test
want '1. TLS 127.0.0.3:5081 (host.srv.test)' '2. UDP 127.0.0.3:5080 (host.srv.test)'
t_run "sips: TLS alone" 0 resolve -q sips:srv.test
want '1. TLS 127.0.0.3:5081 (host.srv.test)'

t_run "A alone" 0 resolve -o raw a.test
t_out_has 'no SRV for a.test; trying A/AAAA with UDP port 5060'
t_out_has '1. UDP 127.0.0.4:5060 (a.test)'

t_run "explicit port: no NAPTR or SRV" 0 resolve -4 -o raw sip1.example.test:5099
t_out_has 'port 5099 given: A of sip1.example.test, no NAPTR or SRV'
t_out_lacks 'NAPTR sip1'
t_out_lacks 'SRV _sip'
t_out_has '1. UDP 127.0.0.1:5099 (sip1.example.test)'

t_run ";transport=tcp: SRV for TCP alone" 0 resolve -4 -q 'sip:alice@example.test;transport=tcp'
want '1. TCP 127.0.0.1:5060 (sip1.example.test)' '2. TCP 127.0.0.2:5062 (sip2.example.test)'

t_run "IP address: no DNS" 0 resolve -q 'sips:[::1]:5999'
want '1. TLS [::1]:5999 (::1)'

t_run "a name with nothing exits 5" 5 resolve empty.test
t_err_has "sip: resolve: cannot resolve 'empty.test': no NAPTR, SRV or A records"
t_err_lines 1
t_run "a name with nothing, json" 5 resolve -o json empty.test
t_out_has '"targets":[],"error":"no NAPTR, SRV or A records"'

t_run "bad target exits 2" 2 resolve 'sip:exa mple.test'
t_err_has "sip: resolve: bad target 'sip:exa mple.test'"
t_run "sips with UDP exits 2" 2 resolve 'sips:example.test;transport=udp'
t_err_has "a sips: URI cannot use UDP"
t_run "bad --dns-server exits 2" 2 timeout 20 "$SIP" resolve --dns-server dns.example.test example.test
t_err_has "bad value 'dns.example.test' for --dns-server"

# A server that answers with a failure answered: it is named, not taken for
# one that cannot be reached (c-ares says ECONNREFUSED for both).
t_run "REFUSED (a name dnsmasq does not serve): named, exit 5" 5 resolve x.example
t_out_has "NAPTR x.example: the DNS server answered REFUSED"
t_out_lacks "cannot be reached"
# shellcheck disable=SC2086 # $D is two words
t_run "REFUSED, sip options: exit 5" 5 timeout 20 "$SIP" options $D x.example
t_err_has "sip: options: cannot resolve 'x.example': DNS server failure"

# -l pins a family: a name's other addresses are left out; none left is a usage error.
# shellcheck disable=SC2086 # $D is two words
t_run "options -l [::1] to a name with IPv4 alone: exit 2" 2 \
	timeout 20 "$SIP" options $D -l '[::1]' --timeout 1 a.test
t_err_has "sip: options: local address [::1] is IPv6, but 'a.test' has IPv4 addresses only"
t_err_lines 1
# shellcheck disable=SC2086 # $D is two words
t_run "register -l [::1] the same: exit 2" 2 \
	timeout 20 "$SIP" register $D -l '[::1]' --timeout 1 sip:alice@a.test
t_err_has "sip: register: local address [::1] is IPv6, but 'a.test' has IPv4 addresses only"
# shellcheck disable=SC2086 # $D is two words
t_run "options -l [::1] to a name with both: its IPv6 address" 0 \
	timeout 20 "$SIP" options $D -l '[::1]' --dry-run -o raw sip1.example.test
t_out_has "Via: SIP/2.0/UDP [::1]:"

# SERVFAIL from a responder of a few lines, for every question.
if t_have python3; then
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
s.settimeout(1)
end = time.time() + 30
while time.time() < end:
    try:
        q, peer = s.recvfrom(512)
    except socket.timeout:
        continue
    i = 12
    while i < len(q) and q[i]:
        i += 1 + q[i]
    # the question echoed, QR and RA set, RCODE 2
    s.sendto(q[:2] + bytes([0x80 | (q[2] & 0x79), 0x82]) + q[4:6] + bytes(6) + q[12:i + 5], peer)
' >"$T_TMP/servfail.port" 2>"$T_TMP/servfail.log" &
	fail_pid=$!
	i=0
	while [ $i -lt 50 ] && [ ! -s "$T_TMP/servfail.port" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	fport=$(cat "$T_TMP/servfail.port")
	t_run "SERVFAIL: named, exit 5" 5 timeout 20 "$SIP" resolve --dns-server "127.0.0.1:$fport" example.test
	t_out_has "NAPTR example.test: the DNS server answered SERVFAIL (server failure)"
	t_out_lacks "cannot be reached"
	t_run "SERVFAIL, sip options: exit 5" 5 \
		timeout 20 "$SIP" options --dns-server "127.0.0.1:$fport" example.test
	t_err_has "cannot resolve 'example.test': DNS server failure"
	kill "$fail_pid" 2>/dev/null
	fail_pid=
else
	t_skip "SERVFAIL" "no python3 for the responder"
fi

# A server that is gone: refused at once, exit 5.
kill "$dns_pid" 2>/dev/null
wait "$dns_pid" 2>/dev/null
dns_pid=
t_run "a DNS server that does not answer exits 5" 5 resolve example.test
t_err_has "sip: resolve: cannot resolve 'example.test': the DNS server failed or did not answer"

# A server that takes the query and never answers (a new one each time: its
# log says when the query came): a signal ends the wait at once, and the
# verdict is "interrupted" (exit 3), not the server's failure.
for sig in INT TERM; do
	T_NAME="SIG$sig while the DNS server is silent, -o json"
	p_free_port
	if ! p_blackhole "$T_TMP/bh-$sig.log" "$P_PORT"; then
		t_fail "$T_NAME" "$P_WHY"
		continue
	fi
	bhpid=$P_PID
	if p_interrupt "$T_TMP/bh-$sig.log" datagram "$sig" "$SIP" resolve -o json \
		--dns-server "127.0.0.1:$P_PORT" example.test; then
		t_eq "$T_NAME: exit 3" 3 "$P_RC"
		t_check "at once (${P_MS} ms)" test "$P_MS" -lt 2000
		t_out_has '"targets":[],"error":"interrupted"'
		t_err_has "sip: resolve: cannot resolve 'example.test': interrupted"
	else
		t_fail "$T_NAME" "$P_WHY"
	fi
	p_stop "$bhpid"
done

t_done
