#!/bin/sh
# failover.sh - `sip options` through RFC 3263 on a real DNS server: dnsmasq
# on a free loopback port gives NAPTR and SRV records whose first target is
# dead and whose second is a live `sip listen`; the probe must reach the live
# one, over UDP (ICMP port unreachable) and TCP (connection refused). The
# warning names why it left a target, then the next one; -v lists the
# targets first, --dry-run says where it would go. A TLS target whose
# certificate does not verify is final: no fall-back to UDP, unless
# --insecure. `sip invite --ladder` draws two targets as two peers.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/integration/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

t_need "fail-over through SRV" dnsmasq=dnsmasq-base openssl || t_done

# The live server: sip listen on a port it picks; it says which.
p_start "$T_TMP/listen.log" "$SIP" listen 127.0.0.1:0 -q --ring 0 --answer 486
listen_pid=$P_PID
if ! p_wait_text "$T_TMP/listen.log" "listening on" "$listen_pid" 50; then
	t_fail "sip listen starts" "$(cat "$T_TMP/listen.log")"
	t_done
fi
live=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T_TMP/listen.log")

# A TLS server whose certificate comes from a CA no one trusts but --ca-file.
mkdir "$T_TMP/pki"
if ! p_certs "$T_TMP/pki"; then
	t_fail "openssl makes the test certificates" "$(tail -n 1 "$T_TMP/pki/openssl.log")"
	t_done
fi
p_start "$T_TMP/listen-tls.log" "$SIP" listen 127.0.0.1:0 -q --tls \
	--cert "$T_TMP/pki/server.pem" --key "$T_TMP/pki/server.key"
tls_pid=$P_PID
if ! p_wait_text "$T_TMP/listen-tls.log" "listening on" "$tls_pid" 50; then
	t_fail "sip listen --tls starts" "$(cat "$T_TMP/listen-tls.log")"
	t_done
fi
tls=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T_TMP/listen-tls.log")
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
	--naptr-record=tls.test,10,50,s,SIPS+D2T,,_sips._tcp.tls.test \
	--naptr-record=tls.test,20,50,s,SIP+D2U,,_sip._udp.tls.test \
	--srv-host=_sips._tcp.tls.test,localhost,"$tls",10,0 \
	--srv-host=_sip._udp.tls.test,live.fail.test,"$live",10,0 \
	--naptr-record=plain.test,10,50,s,SIPS+D2T,,_sips._tcp.plain.test \
	--naptr-record=plain.test,20,50,s,SIP+D2U,,_sip._udp.plain.test \
	--srv-host=_sips._tcp.plain.test,live.fail.test,"$live",10,0 \
	--srv-host=_sip._udp.plain.test,live.fail.test,"$live",10,0 \
	--naptr-record=deadtls.test,10,50,s,SIPS+D2T,,_sips._tcp.deadtls.test \
	--naptr-record=deadtls.test,20,50,s,SIP+D2U,,_sip._udp.deadtls.test \
	--srv-host=_sips._tcp.deadtls.test,dead.fail.test,"$dead",10,0 \
	--srv-host=_sip._udp.deadtls.test,live.fail.test,"$live",10,0 \
	--host-record=localhost,127.0.0.1 \
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
# The reason for leaving, then where to: one line.
t_err_has "warning: TCP 127.0.0.1:$dead (dead.fail.test): connection refused; trying TCP 127.0.0.1:$live (live.fail.test)"
t_err_lacks "connection refused: connection refused"

# shellcheck disable=SC2086
t_run "-v lists the targets before sending" 0 timeout 20 "$SIP" options -v -q $D fail.test
t_err_has "'sip:fail.test' resolves to 4 targets, tried in this order:"
printf '%s\n' "  1. TCP 127.0.0.1:$dead (dead.fail.test)" "  2. TCP 127.0.0.1:$live (live.fail.test)" \
	"  3. UDP 127.0.0.1:$dead (dead.fail.test)" "  4. UDP 127.0.0.1:$live (live.fail.test)" >"$T_TMP/want"
t_check "the list in RFC 3263 order" sh -c "grep '^  [0-9]\. ' '$T_ERR' | cmp -s '$T_TMP/want' -"
t_check "first the list, then the warning" sh -c "
	[ \$(grep -n 'resolves to' '$T_ERR' | cut -d: -f1) -lt \$(grep -n 'trying' '$T_ERR' | cut -d: -f1) ]"

# shellcheck disable=SC2086
t_run "--dry-run says where it would go, as a send would resolve it" 0 \
	timeout 20 "$SIP" options --dry-run -o raw $D fail.test
t_err_has "would send over TCP to 127.0.0.1:$dead (dead.fail.test)"
t_out_has "OPTIONS sip:fail.test SIP/2.0"

# shellcheck disable=SC2086
t_run "TLS first, its certificate unverified: exit 4, no fall-back to UDP" 4 \
	timeout 20 "$SIP" options -o json $D tls.test
t_err_has "TLS 127.0.0.1:$tls"
t_err_has "unable to get local issuer certificate"
t_err_lacks "trying UDP"
t_out_lacks '"status":200'

# shellcheck disable=SC2086
t_run "TLS with the CA: verified, over TLS" 0 \
	timeout 20 "$SIP" options -o json --ca-file "$T_TMP/pki/ca.pem" $D tls.test
t_out_has '"transport":"TLS"'

# plain.test's TLS target is the UDP/TCP listener: its handshake fails.
# shellcheck disable=SC2086
t_run "a broken TLS handshake: exit 4, no fall-back to UDP" 4 \
	timeout 20 "$SIP" options -q $D plain.test
t_err_lacks "trying UDP"
# A refused (or reset) TLS connection is as easy to force as a bad certificate.
# shellcheck disable=SC2086
t_run "a TLS target refused: exit 4, no fall-back to UDP" 4 \
	timeout 20 "$SIP" options -q $D deadtls.test
t_err_has "warning: TLS 127.0.0.1:$dead (dead.fail.test): connection refused; the targets left are not TLS, and going on without it would be a downgrade (--insecure allows it)"
t_err_lacks "trying UDP"
# shellcheck disable=SC2086
t_run "--insecure: TLS protects nothing, so UDP may follow" 0 \
	timeout 20 "$SIP" options -q --insecure $D plain.test
t_err_has "warning: TLS 127.0.0.1:$live (live.fail.test): TLS failure"
t_err_has "; trying UDP 127.0.0.1:$live (live.fail.test)"

# shellcheck disable=SC2086
t_run "over UDP: ICMP from the dead target, then the live one" 0 \
	timeout 20 "$SIP" options -t udp -o json $D fail.test
t_check "it reached the live port over UDP" \
	sh -c "grep -q '\"transport\":\"UDP\".*\"remote\":\"127.0.0.1:$live\"' '$T_OUT'"

# An INVITE's diagram: the dead target and the live one (which declines
# the call) are each a peer of their own, not one a proxy before the
# other.
# shellcheck disable=SC2086
t_run "invite --ladder fails over from the dead UDP target: 486, exit 1" 1 \
	env COLUMNS=200 timeout 20 "$SIP" invite -q --ladder -d 0 --t1 100 -t udp $D sip:bob@fail.test
t_check "the diagram: us, bob at the dead port, bob at the live one" sh -c "
	grep -Eq '^ +us +bob@fail\.test +bob@fail\.test\$' '$T_OUT' &&
		grep -Eq ' 127\.0\.0\.1:$dead +127\.0\.0\.1:$live\$' '$T_OUT'"

# shellcheck disable=SC2086
t_run "SRV without NAPTR" 0 timeout 20 "$SIP" options -q $D srvonly.test

# shellcheck disable=SC2086
t_run "a name with no records: exit 5" 5 timeout 20 "$SIP" options -q $D nothing.test
t_err_has "cannot resolve 'nothing.test'"

p_stop "$tls_pid"
p_stop "$listen_pid"
# shellcheck disable=SC2086
t_run "every target dead: exit 4" 4 timeout 20 "$SIP" options -q --timeout 5 $D fail.test

t_done
