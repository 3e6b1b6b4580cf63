#!/bin/sh
# ws.sh - SIP over WebSocket (RFC 7118), WS and WSS, against real peers on
# loopback. Kamailio with its xhttp and websocket modules (kamailio/ws.cfg:
# a WebSocket server on one TCP port and one TLS port, a registrar with
# digest, a relay to a SIPp callee over UDP, and handshakes refused with 403
# and 404 by path): OPTIONS with the handshake shown by -v, --ws-path,
# --ws-origin and --ws-header on the wire, the refusals, WSS verified with
# the test CA and refused without it or under a wrong name, REGISTER with
# digest over WS and WSS, MESSAGE, a call from WS to the UDP callee through
# Kamailio (SIPp checks what came), and a --pcap capture tshark decodes.
# Then `sip listen --ws` and `--wss` against sip itself: OPTIONS, MESSAGE
# and a call. Then what is refused before anything is sent. Every peer is on
# a free port and stopped by its PID; every client call is bounded in time.
# shellcheck disable=SC2317 # helpers are called through t_run and t_check
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/integration/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

d=$T_TMP

# sipc ARG...: the sip under test, bounded in time.
sipc() { timeout 30 "$SIP" "$@"; }

# t_out_re ERE: a line of the last stdout matches ERE.
t_out_ere() { t_check "stdout matches '$1'" grep -qE -e "$1" "$T_OUT"; }

# pcap_sip FILE PORT: what tshark decodes as SIP in FILE, TCP on PORT read as
# SIP: "METHOD-OR-STATUS SRC-PORT DST-PORT" a line.
pcap_sip() {
	tshark -n -r "$1" -d "tcp.port==$2,sip" -Y sip -T fields -E separator=, \
		-e sip.Method -e sip.Status-Code -e tcp.srcport -e tcp.dstport 2>/dev/null |
		awk -F, '{ print ($1 != "" ? $1 : $2), $3, $4 }'
}

t_need "SIP over WebSocket against Kamailio and SIPp" kamailio kamailio-tls-modules \
	kamailio-websocket-modules sipp=sip-tester tshark openssl || t_done

mkdir "$d/k"
if ! p_certs "$d/k"; then
	t_fail "openssl makes the test certificates" "$(tail -n 1 "$d/k/openssl.log")"
	t_done
fi
ca=$d/k/ca.pem

# ==== Kamailio ===================================================================
p_free_port
kp=$P_PORT
p_free_port
ws=$P_PORT
p_free_port
wss=$P_PORT
p_free_port
callee=$P_PORT
P_USERS="alice:secret carol:secret"
if ! p_kamailio_ws "$d/k" "$kp" "$ws" "$wss" "127.0.0.1:$callee"; then
	t_fail "kamailio with WebSocket on $ws and $wss" "$P_WHY"
	t_done
fi
kpid=$P_PID

sect="OPTIONS over WS"
t_run "$sect: exit 0" 0 sipc options -o raw "ws://127.0.0.1:$ws/"
t_out_has "SIP/2.0 200 OK"
# RFC 7118 section 5.2: a made-up host in Via and Contact, ;transport=ws.
t_out_ere '^Via: SIP/2\.0/WS [A-Za-z0-9]+\.invalid;branch=z9hG4bK'
t_out_ere '^Contact: <sip:sip@[A-Za-z0-9]+\.invalid;transport=ws>'

sect="-v shows the handshake"
t_run "$sect: exit 0" 0 sipc options -v -o raw --ws-path /sip --ws-origin https://web.test \
	--ws-header 'X-Token: t1' "ws://127.0.0.1:$ws"
t_out_has "GET /sip HTTP/1.1"
t_out_has "Host: 127.0.0.1:$ws"
t_out_has "Sec-WebSocket-Protocol: sip"
t_out_has "Sec-WebSocket-Version: 13"
t_out_has "Origin: https://web.test"
t_out_has "X-Token: t1"
t_out_has "HTTP/1.1 101 Switching Protocols"
t_out_has "SIP/2.0 200 OK"

sect="-t ws and ;transport=ws"
t_run "$sect: -t ws HOST:PORT, exit 0" 0 sipc options -q -t ws "127.0.0.1:$ws"
t_run "$sect: sip:HOST:PORT;transport=ws, exit 0" 0 sipc options -q \
	"sip:127.0.0.1:$ws;transport=ws"

sect="handshake refused"
t_run "$sect: 403 by path, exit 4" 4 sipc options -q "ws://127.0.0.1:$ws/forbidden"
t_err_has "WebSocket handshake refused: 403 Forbidden"
t_run "$sect: 404 by path, exit 4" 4 sipc options -q "ws://127.0.0.1:$ws/missing"
t_err_has "WebSocket handshake refused: 404 Not Found"

sect="WSS"
t_run "$sect: with the test CA, exit 0" 0 sipc options -q --ca-file "$ca" "wss://127.0.0.1:$wss/"
t_run "$sect: sips: with ;transport=ws is WSS, exit 0" 0 sipc options -q --ca-file "$ca" \
	"sips:127.0.0.1:$wss;transport=ws"
t_run "$sect: without the CA, exit 4" 4 sipc options -q "wss://127.0.0.1:$wss/"
t_err_has "TLS failure"
t_run "$sect: --insecure, exit 0" 0 sipc options -q --insecure "wss://127.0.0.1:$wss/"

# A name the certificate does not carry, from a DNS server of the test's.
if t_have dnsmasq || t_need "WSS under a wrong name" dnsmasq=dnsmasq-base; then
	p_free_port
	dns=$P_PORT
	p_start "$d/dnsmasq.log" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
		--port="$dns" --listen-address=127.0.0.1 --bind-interfaces --local=/test/ \
		--host-record=wrong.test,127.0.0.1
	if p_wait_listen udp "$dns" "$P_PID" 50; then
		t_run "$sect: under a name not in the certificate, exit 4" 4 sipc options -q \
			--dns-server "127.0.0.1:$dns" --ca-file "$ca" "wss://wrong.test:$wss/"
		t_err_has "TLS failure"
		t_err_has "hostname mismatch"
	else
		t_fail "dnsmasq starts" "$(head -n 2 "$d/dnsmasq.log")"
	fi
fi

SIP_PASSWORD=secret
export SIP_PASSWORD
sect="REGISTER with digest"
t_run "$sect over WS: exit 0" 0 sipc register -o pretty -u alice -e 60 \
	-p "ws://127.0.0.1:$ws/" sip:alice@127.0.0.1
t_out_has "SIP/2.0 401 Unauthorized"
t_out_has 'Authorization: Digest username="alice"'
t_out_has "registered <sip:alice@127.0.0.1> for "
t_out_ere '^  sip:alice@[A-Za-z0-9]+\.invalid;transport=ws  expires'
t_run "$sect over WSS: exit 0" 0 sipc register -q -u carol -e 60 --ca-file "$ca" \
	-p "wss://127.0.0.1:$wss/" sip:carol@127.0.0.1
unset SIP_PASSWORD

sect="MESSAGE"
t_run "$sect over WS, to Kamailio's echo: exit 0" 0 sipc message -q \
	-p "ws://127.0.0.1:$ws/" sip:echo@127.0.0.1 "hello over WebSocket"

# The call: WS to Kamailio, UDP from it to the SIPp callee, which checks that
# the INVITE, ACK and BYE came through the proxy (invite-proxied.xml).
sect="a call from WS to UDP"
if p_sipp "$d/callee.log" invite-proxied "$callee" 1 udp -key kport "$kp"; then
	spid=$P_PID
	t_run "$sect: invite -d 1 through Kamailio, exit 0" 0 sipc invite -d 1 -o pretty \
		-p "ws://127.0.0.1:$ws/" "sip:bob@127.0.0.1:$callee"
	t_out_ere "^Ended: +held 1\.[0-9]+ s, hung up by us \(BYE answered\)$"
	# The route set back to front: the WebSocket side's Record-Route first.
	t_out_ere "^Route: <sip:127\.0\.0\.1:$ws;transport=ws;"
	if p_wait_exit "$spid" 100; then
		t_eq "$sect: SIPp's checks of what arrived hold" 0 "$P_RC"
	else
		t_fail "$sect: SIPp ends" "still running 10 s later"
		p_stop "$spid"
	fi
else
	t_fail "$sect: the SIPp callee starts" "$P_WHY"
fi

sect="--pcap over WS"
t_run "$sect: exit 0" 0 sipc options -q --pcap "$d/ws.pcap" "ws://127.0.0.1:$ws/"
pcap_sip "$d/ws.pcap" "$ws" >"$d/ws.txt"
# shellcheck disable=SC2016 # awk's own variables
t_check "$sect: tshark reads the OPTIONS and its 200, not the handshake" \
	awk -v p="$ws" 'NR == 1 && !($1 == "OPTIONS" && $3 == p) { exit 1 }
		NR == 2 && !($1 == "200" && $2 == p) { exit 1 } END { if (NR != 2) exit 1 }' "$d/ws.txt"
tshark -n -r "$d/ws.pcap" -d "tcp.port==$ws,sip" \
	-Y '_ws.malformed || _ws.expert.severity >= warning || tcp.analysis.flags' \
	>"$d/ws-bad.txt" 2>/dev/null
t_check "$sect: nothing malformed, no warning" test ! -s "$d/ws-bad.txt"
# WSS: the plaintext, as for TLS.
t_run "$sect, WSS: exit 0" 0 sipc options -q --ca-file "$ca" --pcap "$d/wss.pcap" \
	"wss://127.0.0.1:$wss/"
pcap_sip "$d/wss.pcap" "$wss" >"$d/wss.txt"
# shellcheck disable=SC2016 # the inner shell's $1
t_check "$sect, WSS: tshark reads the OPTIONS and its 200 in the clear" sh -c \
	'[ "$(cut -d " " -f 1 "$1" | tr "\n" " ")" = "OPTIONS 200 " ]' sh "$d/wss.txt"
p_stop "$kpid"

# ==== sip listen --ws and --wss ====================================================
# listener NAME ARG...: sip listen ARG... 127.0.0.1:0; its port in $lp.
listener() {
	l_name=$1
	shift
	p_start "$d/$l_name.log" "$SIP" listen -q "$@" 127.0.0.1:0
	lpid=$P_PID
	if ! p_wait_text "$d/$l_name.log" "listening on" "$lpid" 50; then
		t_fail "sip listen $* starts" "$(head -n 3 "$d/$l_name.log")"
		return 1
	fi
	lp=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$d/$l_name.log" | head -n 1)
}

sect="sip listen --ws"
if listener lws --ws --ring 0; then
	t_check "$sect: says it listens for WS" grep -q "(UDP, WS)" "$d/lws.log"
	t_run "$sect: OPTIONS, exit 0" 0 sipc options -q "ws://127.0.0.1:$lp/"
	# 2,000 queued before the upgrade is done, each its own frame after it.
	t_run "$sect: 2000 OPTIONS at once, exit 0" 0 sipc options -q -c 2000 -i 0 \
		--concurrency 2000 "ws://127.0.0.1:$lp/"
	t_out_has "2000 requests sent, 2000 received, 2000 answered 2xx"
	printf '%s\n' "ws://127.0.0.1:$lp/sip" "  ws://127.0.0.1:$lp/sip" >"$d/targets.txt"
	t_run "$sect: -f with ws:// lines, exit 0" 0 sipc options -q -f "$d/targets.txt"
	t_run "$sect: a ws:// proxy's path is the handshake's, exit 0" 0 sipc options -v -o raw \
		--proxy "ws://127.0.0.1:$lp/prox" sip:bob@127.0.0.1
	t_out_has "GET /prox HTTP/1.1"
	t_run "$sect: MESSAGE, exit 0" 0 sipc message -q "ws://127.0.0.1:$lp/" "hi"
	t_run "$sect: a call, exit 0" 0 sipc invite -q -d 1 "ws://127.0.0.1:$lp/"
	t_out_ere "hung up by us \(BYE answered\)$"
	# shellcheck disable=SC2016 # the inner shell's $1
	t_check "$sect: the listener saw the MESSAGE and the call over WS" sh -c \
		'grep -q "MESSAGE: .*(WS 127\.0\.0\.1:" "$1" && grep -q "ended by the far end.s BYE" "$1"' \
		sh "$d/lws.log"
	# Requests from the listener go back over the client's connection: its
	# Contact names a made-up host.
	t_run "$sect: SUBSCRIBE, the NOTIFYs back over the connection, exit 0" 0 \
		sipc subscribe -q -c 1 --event presence "ws://127.0.0.1:$lp/"
	t_out_has "--count reached"
	p_stop "$lpid"
fi
if listener lwsd --ws --ring 0 -d 1; then
	t_run "$sect: the listener hangs up: its BYE comes over the connection, exit 0" 0 \
		sipc invite -q "ws://127.0.0.1:$lp/"
	t_out_ere "hung up by them"
	p_stop "$lpid"
fi

sect="sip listen --wss"
if listener lwss --wss --cert "$d/k/server.pem" --key "$d/k/server.key"; then
	t_run "$sect: OPTIONS with the test CA, exit 0" 0 sipc options -q --ca-file "$ca" \
		"wss://127.0.0.1:$lp/"
	t_run "$sect: without it, exit 4" 4 sipc options -q "wss://127.0.0.1:$lp/"
	p_stop "$lpid"
fi

# ==== refused before anything is sent =================================================
sect="usage"
t_run "$sect: ws:// with no host, exit 2" 2 "$SIP" options ws:///x
t_err_has "expected ws://HOST[:PORT][/PATH]"
t_run "$sect: a path that is not --ws-path's, exit 2" 2 "$SIP" options --ws-path /a \
	ws://127.0.0.1:9/b
t_err_has "its WebSocket path '/b' is not --ws-path's '/a'"
t_run "$sect: two targets with two paths, exit 2" 2 "$SIP" options ws://127.0.0.1:9/a \
	ws://127.0.0.1:9/b
t_err_has "its WebSocket path '/b' is not an earlier ws:// URL's '/a'"
t_run "$sect: a fragment, exit 2" 2 "$SIP" options "ws://127.0.0.1:9/a#b"
t_run "$sect: a parameter after the port, exit 2" 2 "$SIP" options "ws://127.0.0.1:9;transport=tcp"
t_run "$sect: --ws-path without a slash, exit 2" 2 "$SIP" options --ws-path ws 127.0.0.1
t_run "$sect: --ws-header without a colon, exit 2" 2 "$SIP" options --ws-header X 127.0.0.1
t_run "$sect: listen --ws --tls, exit 2" 2 "$SIP" listen --ws --tls 127.0.0.1:0
t_err_has "--ws and --tls: one of them at most"
t_run "$sect: listen --wss without --cert, exit 2" 2 "$SIP" listen --wss 127.0.0.1:0
t_err_has "--wss needs --cert and --key"

t_done
