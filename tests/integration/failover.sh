#!/bin/sh
# failover.sh - `sip options` through RFC 3263 on a real DNS server: dnsmasq
# on a free loopback port gives NAPTR and SRV records whose first target is
# dead and whose second is a live `sip listen`; the probe must reach the live
# one, over UDP (ICMP port unreachable) and TCP (connection refused); and
# `sip invite --ladder` draws the two targets as two peers.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/integration/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

t_need "fail-over through SRV" dnsmasq=dnsmasq-base || t_done

# The live server: sip listen on a port it picks; it says which.
p_start "$T_TMP/listen.log" "$SIP" listen 127.0.0.1:0 -q
listen_pid=$P_PID
if ! p_wait_text "$T_TMP/listen.log" "listening on" "$listen_pid" 50; then
	t_fail "sip listen starts" "$(cat "$T_TMP/listen.log")"
	t_done
fi
live=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T_TMP/listen.log")
p_free_port
dead=$P_PORT
p_free_port
dns=$P_PORT

# fail.test: NAPTR prefers TCP, then UDP; each SRV set lists the dead port
# (priority 10) before the live one (priority 20). srvonly.test has no NAPTR.
p_start "$T_TMP/dnsmasq.log" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
	--port="$dns" --listen-address=127.0.0.1 --bind-interfaces --local=/test/ \
	--naptr-record=fail.test,10,50,s,SIP+D2T,,_sip._tcp.fail.test \
	--naptr-record=fail.test,20,50,s,SIP+D2U,,_sip._udp.fail.test \
	--srv-host=_sip._tcp.fail.test,dead.fail.test,"$dead",10,0 \
	--srv-host=_sip._tcp.fail.test,live.fail.test,"$live",20,0 \
	--srv-host=_sip._udp.fail.test,dead.fail.test,"$dead",10,0 \
	--srv-host=_sip._udp.fail.test,live.fail.test,"$live",20,0 \
	--srv-host=_sip._udp.srvonly.test,live.fail.test,"$live",10,0 \
	--host-record=dead.fail.test,127.0.0.1 \
	--host-record=live.fail.test,127.0.0.1
if ! p_wait_listen udp "$dns" "$P_PID" 50; then
	t_fail "dnsmasq starts" "$(cat "$T_TMP/dnsmasq.log")"
	t_done
fi
t_ok "dnsmasq on 127.0.0.1:$dns, sip listen on $live, nothing on $dead"
D="--dns-server 127.0.0.1:$dns"

# shellcheck disable=SC2086 # $D is two words
t_run "resolve lists the dead target first" 0 timeout 20 "$SIP" resolve -q $D fail.test
t_check "TCP dead, TCP live, UDP dead, UDP live" sh -c "
	sed -n 's/^[0-9]*\\. //p' '$T_OUT' | tr '\\n' ' ' |
		grep -qx 'TCP 127.0.0.1:$dead (dead.fail.test) TCP 127.0.0.1:$live (live.fail.test) UDP 127.0.0.1:$dead (dead.fail.test) UDP 127.0.0.1:$live (live.fail.test) '"

# shellcheck disable=SC2086
t_run "options fails over from the dead TCP target" 0 timeout 20 "$SIP" options -o json $D fail.test
t_check "it reached the live port over TCP" \
	sh -c "grep -q '\"summary\":{\"peer\":\"127.0.0.1:$live\"' '$T_OUT'"
t_err_has "trying live.fail.test"

# shellcheck disable=SC2086
t_run "over UDP: ICMP from the dead target, then the live one" 0 \
	timeout 20 "$SIP" options -t udp -o json $D fail.test
t_check "it reached the live port over UDP" \
	sh -c "grep -q '\"transport\":\"UDP\".*\"remote\":\"127.0.0.1:$live\"' '$T_OUT'"

# An INVITE's diagram: the dead target and the live one (which refuses
# the method) are each a peer of their own, not one a proxy before the
# other.
# shellcheck disable=SC2086
t_run "invite --ladder fails over from the dead UDP target: 405, exit 1" 1 \
	env COLUMNS=200 timeout 20 "$SIP" invite -q --ladder -d 0 --t1 100 -t udp $D sip:bob@fail.test
t_check "the diagram: us, bob at the dead port, bob at the live one" sh -c "
	grep -Eq '^ +us +bob@fail\.test +bob@fail\.test\$' '$T_OUT' &&
		grep -Eq ' 127\.0\.0\.1:$dead +127\.0\.0\.1:$live\$' '$T_OUT'"

# shellcheck disable=SC2086
t_run "SRV without NAPTR" 0 timeout 20 "$SIP" options -q $D srvonly.test

# shellcheck disable=SC2086
t_run "a name with no records: exit 5" 5 timeout 20 "$SIP" options -q $D nothing.test
t_err_has "cannot resolve 'nothing.test'"

p_stop "$listen_pid"
# shellcheck disable=SC2086
t_run "every target dead: exit 4" 4 timeout 20 "$SIP" options -q --timeout 5 $D fail.test

t_done
