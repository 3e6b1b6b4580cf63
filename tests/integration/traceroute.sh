#!/bin/sh
# traceroute.sh - `sip options --traceroute` through a chain of two Kamailio
# proxies on loopback to `sip listen`: bob is registered at the first proxy
# with the second one as his contact, and at the second with the listener,
# so that an OPTIONS to bob at the first proxy gets 483 from it with
# Max-Forwards 0, 483 from the second with 1, and 200 from the listener
# with 2. Every peer is on a free port and stopped by its PID; every client
# call is bounded by `timeout 30`.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/integration/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

d=$T_TMP

# shellcheck disable=SC2317 # called through t_run
# sipc ARG...: the sip under test, bounded in time.
sipc() { timeout 30 "$SIP" "$@"; }

t_need "sip options --traceroute through Kamailio" kamailio jq || t_done

p_start "$d/listen.log" "$SIP" listen -o raw 127.0.0.1:0
lpid=$P_PID
if ! p_wait_text "$d/listen.log" "listening on" "$lpid" 50; then
	t_fail "sip listen says where it listens" "$(head -n 3 "$d/listen.log")"
	t_done
fi
lport=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$d/listen.log" | head -n 1)

p_free_port
ka=$P_PORT
p_free_port
kb=$P_PORT
for k in "a $ka" "b $kb"; do
	# shellcheck disable=SC2086 # a name and a port
	set -- $k
	mkdir "$d/$1"
	if ! p_kamailio_proxy "$d/$1" "$2"; then
		t_fail "kamailio proxy $1" "$P_WHY"
		t_done
	fi
done

t_run "bob at proxy a is at proxy b" 0 \
	sipc register -q --contact "<sip:bob@127.0.0.1:$kb>" -e 100 "sip:bob@127.0.0.1:$ka"
t_run "bob at proxy b is at sip listen" 0 \
	sipc register -q --contact "<sip:bob@127.0.0.1:$lport>" -e 100 "sip:bob@127.0.0.1:$kb"

t_run "--traceroute: two proxies, then the target" 0 \
	sipc options --traceroute "sip:bob@127.0.0.1:$ka"
t_out_has "traceroute to sip:bob@127.0.0.1:$ka over UDP 127.0.0.1:$ka, 20 hops max"
t_check "hop 1: proxy a's 483" grep -qE '^ 1  kamailio \(sip proxy test\) +483 Too Many Hops  [0-9.]+ ms$' "$T_OUT"
t_check "hop 2: proxy b's 483" grep -qE '^ 2  kamailio \(sip proxy test\) +483 Too Many Hops  [0-9.]+ ms$' "$T_OUT"
t_check "hop 3: the target's 200" grep -qE '^ 3  sip/[0-9.]+ +200 OK  [0-9.]+ ms$' "$T_OUT"
t_out_lines 4
t_check "sip listen saw the probe with Max-Forwards 0" grep -q "^Max-Forwards: 0" "$d/listen.log"

t_run "--traceroute -o json: one object a hop" 0 \
	sipc options --traceroute -o json "sip:bob@127.0.0.1:$ka"
# shellcheck disable=SC2016 # expanded by the inner sh
t_check "hops 1, 2, 3 with 483, 483, 200 and Max-Forwards 0, 1, 2" sh -c \
	'[ "$(jq -c "[.hop, .max_forwards, .status]" "$1" | tr "\n" " ")" = "[1,0,483] [2,1,483] [3,2,200] " ]' \
	sh "$T_OUT"

t_run "--max-hops 2: 483s all the way" 1 \
	sipc options --traceroute --max-hops 2 "sip:bob@127.0.0.1:$ka"
t_out_lines 3
t_err_has "sip: options: 'sip:bob@127.0.0.1:$ka': no answer but 483 within 2 hops"

t_run "-v: the probes are shown" 0 sipc options --traceroute -v -o raw "sip:bob@127.0.0.1:$ka"
t_out_has "Max-Forwards: 2"

p_stop "$lpid"
t_done
