#!/bin/sh
# subscribe.sh - `sip subscribe` against real notifiers on loopback: SIPp
# scenarios in sipp/ that check what arrives (a presence server whose
# subscription ends by --count (over UDP and TCP), --duration or Ctrl-C,
# each with the unsubscribe, Expires: 0, it must see; one whose bodies are
# of no known type or do not decode; one whose reason phrases carry an
# escape sequence; one that challenges the SUBSCRIBE and the unsubscribe;
# one that sends no NOTIFY, one no final NOTIFY; one whose NOTIFY comes and
# whose answer never does; a fetch whose NOTIFY overtakes its 200; a forked
# message-summary subscription, each fork unsubscribed in its own dialog; a
# fork ended by its notifier at once; one whose NOTIFY has no
# Subscription-State (answered 400, warned of, exit 7), one whose 202 has no
# To tag (exit 7); a reg server that answers 423, takes a refresh and then
# terminates the subscription; one that refuses with 489), a server that
# never answers, and Kamailio's presence server (PUBLISH a PIDF, a
# dialog-info, a message-summary and a reginfo for bob, then subscribe to
# each). A tshark capture of it all must decode every request sent as SIP
# with nothing malformed. Peers run on free ports and are stopped by their
# PID; every client call is bounded by `timeout 30`.
# shellcheck disable=SC2317 # helpers are called through t_run and t_check
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/integration/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

d=$T_TMP

# sipc ARG...: the sip under test, bounded in time, with short timers.
sipc() { timeout 30 "$SIP" subscribe --t1 100 "$@"; }

# t_jq FILTER: jq -s -e FILTER holds over stdout's JSON lines.
t_jq() { jq -s -e "$1" "$T_OUT" >/dev/null 2>&1; }

# before FIRST SECOND: stdout has a line with FIRST before one with SECOND.
before() {
	awk -v a="$1" -v b="$2" 'index($0, a) && !x { x = NR } index($0, b) && !y { y = NR }
		END { exit !(x && y && x < y) }' "$T_OUT"
}

# sipp_verdict NAME PID LOG: SIPp ended and found every check of its
# scenario true (exit 0).
sipp_verdict() {
	if p_wait_exit "$2" 50; then
		t_eq "$1: SIPp's checks of what arrived hold" 0 "$P_RC"
		[ "$P_RC" -eq 0 ] || sed -n '1,5s/^/     | /p' "$3.err"
	else
		t_fail "$1: SIPp ends after its call"
		p_stop "$2"
	fi
}

# notifier SCENARIO [tcp]: SIPp runs SCENARIO for one call on $pn (UDP
# unless told); its PID in $spid.
notifier() {
	p_sipp "$d/$1.log" "$1" "$pn" 1 "${2:-udp}" || {
		t_fail "sipp $1" "$P_WHY"
		return 1
	}
	spid=$P_PID
}

# presence_server DIR PORT: Kamailio with kamailio/presence.cfg, its state
# in a db_text directory DIR/db made from Kamailio's own table files.
presence_server() {
	p_mods=
	for p_m in /usr/lib/*/kamailio/modules /usr/lib/kamailio/modules; do
		[ -f "$p_m/presence.so" ] && p_mods=$p_m && break
	done
	if [ -z "$p_mods" ]; then
		P_WHY="no Kamailio module directory with presence.so (kamailio-presence-modules)"
		return 1
	fi
	mkdir -p "$1/db"
	for p_t in version presentity active_watchers watchers xcap pua; do
		cp /usr/share/kamailio/dbtext/kamailio/$p_t "$1/db/" || {
			P_WHY="no db_text table $p_t in /usr/share/kamailio/dbtext/kamailio"
			return 1
		}
	done
	chmod u+w "$1"/db/*
	sed -e "s|@PORT@|$2|g" -e "s|@DB@|$1/db|g" -e "s|@MODULES@|$p_mods|g" \
		"$P_DIR/kamailio/presence.cfg" >"$1/presence.cfg"
	if ! kamailio -c -f "$1/presence.cfg" >"$1/kamailio-check.log" 2>&1; then
		P_WHY="kamailio -c rejects the config: $(grep -m 1 -i error "$1/kamailio-check.log")"
		return 1
	fi
	p_start "$1/kamailio.log" kamailio -DD -E -f "$1/presence.cfg" \
		-P "$1/kamailio.pid" -Y "$1" -w "$1" -m 64 -M 8
	if ! p_wait_listen udp "$2" "$P_PID" 100; then
		P_WHY="kamailio did not start: $(grep -m 1 -E 'ERROR|CRITICAL' "$1/kamailio.log")"
		p_stop "$P_PID"
		return 1
	fi
}

t_need "sip subscribe against SIPp and Kamailio" sipp=sip-tester kamailio tshark jq || t_done

p_free_port
pn=$P_PORT
p_free_port
pk=$P_PORT

cap=$d/subscribe.pcap
if p_tshark "$cap" "$pn" "$pk"; then
	tpid=$P_PID
else
	t_fail "tshark capture" "$P_WHY"
	tpid=
fi

# --- presence: --count 1, then the unsubscribe and its final NOTIFY -----------
if notifier uas-subscribe; then
	t_run "presence --count 1: 202, bob open, unsubscribed, exit 0" 0 \
		sipc -o pretty --color never -c 1 "sip:bob@127.0.0.1:$pn"
	t_out_has "Accepted:"
	t_out_has 'active;expires=60  sip:bob@127.0.0.1: open "sipp here"'
	t_out_has "terminated;reason=timeout  sip:bob@127.0.0.1: closed"
	t_out_has "2 NOTIFYs from 1 subscription"
	t_out_has "--count reached"
	sipp_verdict "--count 1" "$spid" "$d/uas-subscribe.log"
fi

if notifier uas-subscribe; then
	t_run "presence -o json --count 1: an object per NOTIFY, and a summary" 0 \
		sipc -o json -c 1 "sip:bob@127.0.0.1:$pn"
	t_check "json: the 202 comes first, with its expiry" \
		t_jq '[.[] | select(.accepted or .notify or .ended or .summary)][0].accepted | .status == 202 and .expires == 60 and .subscription == 1'
	t_check "json: the first NOTIFY has bob open with his note" \
		t_jq '[.[] | select(.notify)][0].notify | .state == "active" and .expires == 60 and .event.type == "pidf" and .event.basic == "open" and .event.notes == ["sipp here"]'
	t_check "json: the last NOTIFY is terminated, reason timeout, bob closed" \
		t_jq '[.[] | select(.notify)][-1].notify | .state == "terminated" and .reason == "timeout" and .event.basic == "closed"'
	t_check "json: the end: by the notifier, reason timeout" \
		t_jq '[.[] | select(.ended)] | length == 1 and .[0].ended.by == "notifier" and .[0].ended.reason == "timeout" and .[0].ended.subscription == 1'
	t_check "json: the summary: 202, 2 NOTIFYs, ended by --count, exit 0" \
		t_jq '.[-1].summary | .status == 202 and .notifies == 2 and .ended_by == "count" and .subscriptions[0].ended == "timeout" and .exit == 0'
	sipp_verdict "-o json" "$spid" "$d/uas-subscribe.log"
fi

# --- over TCP: the NOTIFYs come on the connection ------------------------------
if notifier uas-subscribe tcp; then
	t_run "presence over TCP --count 1: exit 0" 0 sipc -q -t tcp -c 1 "sip:bob@127.0.0.1:$pn"
	t_out_has 'sip:bob@127.0.0.1: open "sipp here"'
	t_out_has "--count reached"
	sipp_verdict "TCP" "$spid" "$d/uas-subscribe.log"
fi

# --- --duration: unsubscribes when the time is up -------------------------------
if notifier uas-subscribe; then
	t0=$(p_now_ms)
	t_run "presence --duration 1 --ladder: unsubscribed a second after the 202, exit 0" 0 \
		sipc -q -d 1 --ladder "sip:bob@127.0.0.1:$pn"
	ms=$(($(p_now_ms) - t0))
	t_check "it took a second or more ($ms ms)" test "$ms" -ge 1000
	t_out_has "--duration over"
	t_check "the ladder has the SUBSCRIBE and its unsubscribe" \
		test "$(grep -c 'SUBSCRIBE' "$T_OUT")" -eq 2
	sipp_verdict "--duration 1" "$spid" "$d/uas-subscribe.log"
fi

# --- Ctrl-C: the unsubscribe goes, then exit 0 --------------------------------
if notifier uas-subscribe; then
	T_NAME="SIGINT after the first NOTIFY"
	if p_interrupt "$T_OUT" "NOTIFY:" INT "$SIP" subscribe -o pretty --color never --t1 100 \
		"sip:bob@127.0.0.1:$pn"; then
		t_eq "$T_NAME: exit 0" 0 "$P_RC"
		t_err_has "unsubscribing (Ctrl-C again to quit at once)"
		t_out_has ", interrupted"
	else
		t_fail "$T_NAME" "$P_WHY"
	fi
	sipp_verdict "Ctrl-C" "$spid" "$d/uas-subscribe.log"
fi

# --- a body of no known type, and a PIDF cut short: exit 7 -------------------
if notifier uas-subscribe-odd; then
	t_run "text/plain shown as it is, a PIDF that does not decode: exit 7" 7 \
		sipc -q -c 2 "sip:bob@127.0.0.1:$pn"
	t_out_has "active;expires=60  text/plain, 19 bytes:"
	t_out_has "    bob is"
	t_out_has "    somewhere"
	t_out_has "active;expires=60  pidf does not decode: syntax error"
	t_out_has "terminated;reason=timeout  (no body)"
	t_err_has "sip: subscribe: warning: a NOTIFY's pidf body does not decode: syntax error"
	sipp_verdict "odd bodies" "$spid" "$d/uas-subscribe-odd.log"
fi

# --- reason phrases with an escape sequence: shown escaped ---------------------
if notifier uas-subscribe-esc; then
	t_run "a 202 and a 481 whose reasons set the window title: escaped, exit 0" 0 \
		sipc -q -c 1 "sip:bob@127.0.0.1:$pn"
	t_out_has 'Accepted \x1b]0;pwned\x07, expires in 60 s'
	t_out_has '#1 481 Gone \x1b]0;pwned\x07'
	t_err_has 'sip: subscribe: warning: subscription 1: 481 Gone \x1b]0;pwned\x07'
	t_check "no ESC reaches stdout or stderr" eval "! grep -q \"\$(printf '\\033')\" \"\$T_OUT\" \"\$T_ERR\""
	sipp_verdict "escaped reasons" "$spid" "$d/uas-subscribe-esc.log"
fi
if notifier uas-subscribe-esc; then
	t_run "the same -o json: the reasons as they came, JSON-escaped" 0 \
		sipc -q -o json -c 1 "sip:bob@127.0.0.1:$pn"
	t_check "json: the 202's reason" \
		t_jq '[.[] | select(.accepted)][0].accepted.reason == "Accepted \u001b]0;pwned\u0007"'
	t_check "json: the end by the 481" \
		t_jq '[.[] | select(.ended)][0].ended | .status == 481 and .reason == "481 Gone \u001b]0;pwned\u0007"'
	t_check "no ESC reaches stdout or stderr" eval "! grep -q \"\$(printf '\\033')\" \"\$T_OUT\" \"\$T_ERR\""
	sipp_verdict "escaped reasons, json" "$spid" "$d/uas-subscribe-esc.log"
fi

# --- digest: the SUBSCRIBE and the unsubscribe challenged ----------------------
if notifier uas-subscribe-401; then
	t_run "401 answered as alice, for the unsubscribe too: exit 0" 0 env SIP_PASSWORD=secret \
		timeout 30 "$SIP" subscribe -q -u alice --t1 100 -c 1 "sip:bob@127.0.0.1:$pn"
	t_out_has 'active;expires=60  sip:bob@127.0.0.1: open'
	sipp_verdict "401" "$spid" "$d/uas-subscribe-401.log"
fi
if notifier uas-subscribe-401; then
	t_run "401 without -u: exit 6" 6 sipc -q "sip:bob@127.0.0.1:$pn"
	t_err_has "realm 'sipp.test' wants credentials: give -u USER"
	p_stop "$spid"
fi

# --- no NOTIFY at all: given up after 64*T1, exit 3 ---------------------------
if notifier uas-subscribe-silent; then
	t_run "202 and no NOTIFY: given up 64*T1 later, exit 3" 3 \
		timeout 30 "$SIP" subscribe -q --t1 20 "sip:bob@127.0.0.1:$pn"
	t_out_has "#1 timeout: no NOTIFY 1.3 s after the 2xx"
	sipp_verdict "no NOTIFY" "$spid" "$d/uas-subscribe-silent.log"
fi

# --- NOTIFYs, none valid (no Subscription-State): warned of, exit 7 ----------
# Its own port, outside the capture: tshark may call such a NOTIFY an error.
p_free_port
pns=$P_PORT
if p_sipp "$d/nostate.log" uas-subscribe-nostate "$pns" 1; then
	spid=$P_PID
	t_run "a NOTIFY without Subscription-State: answered 400, said, exit 7" 7 \
		timeout 30 "$SIP" subscribe -q --t1 20 "sip:bob@127.0.0.1:$pns"
	t_err_has "sip: subscribe: warning: NOTIFY of subscription 1 answered 400: no Subscription-State"
	t_err_has "sip: subscribe: 'sip:bob@127.0.0.1:$pns': no valid NOTIFY: 1 refused as malformed, the last: 400 no Subscription-State"
	t_out_has "#1 timeout: no valid NOTIFY 1.3 s after the 2xx"
	sipp_verdict "no Subscription-State" "$spid" "$d/nostate.log"
else
	t_fail "sipp uas-subscribe-nostate" "$P_WHY"
fi

# --- a 202 without a To tag: no dialog, no subscription, exit 7 ---------------
p_free_port
pnt=$P_PORT
if p_sipp "$d/notag.log" uas-subscribe-notag "$pnt" 1; then
	spid=$P_PID
	t_run "a 202 without a To tag: no subscription, exit 7" 7 \
		timeout 30 "$SIP" subscribe -q --t1 20 "sip:bob@127.0.0.1:$pnt"
	t_err_has "sip: subscribe: 'sip:bob@127.0.0.1:$pnt': 202 Accepted without a To tag: no subscription"
	sipp_verdict "no To tag" "$spid" "$d/notag.log"
else
	t_fail "sipp uas-subscribe-notag" "$P_WHY"
fi

# --- no NOTIFY before --duration, nor after the unsubscribe: exit 3 -----------
if notifier uas-subscribe-silent; then
	t_run "202, no NOTIFY within -d 0.3, none after the unsubscribe: exit 3" 3 \
		timeout 30 "$SIP" subscribe -q --t1 20 -d 0.3 "sip:bob@127.0.0.1:$pn"
	t_out_has "0 NOTIFYs from 1 subscription"
	t_err_has "sip: subscribe: 'sip:bob@127.0.0.1:$pn': no NOTIFY came"
	sipp_verdict "no NOTIFY before --duration" "$spid" "$d/uas-subscribe-silent.log"
fi

# --- a NOTIFY, and no answer to the SUBSCRIBE: exit 3, said so ----------------
if notifier uas-subscribe-noanswer; then
	t_run "a NOTIFY and no answer to the SUBSCRIBE: exit 3" 3 \
		timeout 30 "$SIP" subscribe -q --t1 20 "sip:bob@127.0.0.1:$pn"
	t_out_has 'active;expires=60  sip:bob@127.0.0.1: open'
	t_out_has "#1 timeout: no final response to the SUBSCRIBE"
	sipp_verdict "no answer" "$spid" "$d/uas-subscribe-noanswer.log"
fi

# --- no final NOTIFY after the unsubscribe: said, and still exit 0 ------------
if notifier uas-subscribe-nofinal; then
	t_run "no final NOTIFY after the unsubscribe: a warning, exit 0" 0 \
		timeout 30 "$SIP" subscribe -q --t1 20 -c 1 "sip:bob@127.0.0.1:$pn"
	t_err_has "sip: subscribe: warning: subscription 1: no final NOTIFY 1.3 s after the unsubscribe"
	t_out_has "--count reached"
	sipp_verdict "no final NOTIFY" "$spid" "$d/uas-subscribe-nofinal.log"
fi

# --- a fetch whose NOTIFY comes before the 200 ----------------------------------
if notifier uas-subscribe-early; then
	t_run "dialog -e 0: the NOTIFY before the 200, the dialog decoded, exit 0" 0 \
		sipc -o pretty --color never --event dialog -e 0 "sip:bob@127.0.0.1:$pn"
	t_out_has 'sip:bob@127.0.0.1: 1 dialog (full, version 0)'
	t_out_has '  dialog d1: confirmed, recipient, remote "Alice" sip:alice@127.0.0.1'
	t_out_has "fetched"
	t_check "the NOTIFY is shown before the 200" before "NOTIFY: " "Accepted:"
	t_err_lacks "unsubscribing"
	sipp_verdict "fetch" "$spid" "$d/uas-subscribe-early.log"
fi

# --- a forked subscription: two notifiers, each unsubscribed --------------------
if notifier uas-subscribe-fork; then
	t_run "message-summary --count 2, forked: two subscriptions, exit 0" 0 \
		sipc -q --event message-summary -c 2 "sip:alice@127.0.0.1:$pn"
	t_out_has "active;expires=60  messages waiting: yes, Voice-Message 2 new, 1 old"
	t_out_has "#2  active;expires=60  messages waiting: no"
	t_out_has "#1 terminated by the notifier: timeout"
	t_out_has "#2 terminated by the notifier: timeout"
	t_out_has "from 2 subscriptions"
	sipp_verdict "fork" "$spid" "$d/uas-subscribe-fork.log"
fi

# --- a fork ended by its notifier before --duration: exit 1 ---------------------
if notifier uas-subscribe-forkend; then
	t_run "presence -d 1, forked, one fork rejected at once: the other unsubscribed, exit 1" 1 \
		sipc -q -d 1 "sip:bob@127.0.0.1:$pn"
	t_out_has "#2 terminated by the notifier: rejected"
	t_out_has "#1 terminated by the notifier: timeout"
	t_out_has "from 2 subscriptions in"
	t_out_has ", --duration over, #2 ended first"
	sipp_verdict "fork ended first" "$spid" "$d/uas-subscribe-forkend.log"
fi

# --- 423, a refresh, then the notifier ends it: exit 1 --------------------------
if notifier uas-subscribe-terminate; then
	t_run "reg -e 1: 423, asked again for 2 s, refreshed, terminated: exit 1" 1 \
		sipc -o pretty --color never --event reg -e 1 "sip:alice@127.0.0.1:$pn"
	t_err_has "sip: subscribe: warning: 423 Interval Too Brief: asking again for Min-Expires 2 s"
	t_err_has "sip: subscribe: subscription 1 refreshed for 2 s"
	t_out_has "sip:alice@127.0.0.1: active"
	t_out_has "  contact sip:alice@192.0.2.1:5060: active (registered, expires 3600)"
	t_out_has "#1 terminated by the notifier: timeout"
	sipp_verdict "423 and terminated" "$spid" "$d/uas-subscribe-terminate.log"
fi

# --- refused: 489 is exit 1 ----------------------------------------------------
if notifier uas-subscribe-489; then
	t_run "an unknown package refused with 489: exit 1" 1 \
		sipc -o json --event foo "sip:bob@127.0.0.1:$pn"
	t_err_has "sip: subscribe: 'sip:bob@127.0.0.1:$pn': 489 Bad Event"
	t_check "json: the summary says 489, no NOTIFY, exit 1" \
		t_jq '.[-1].summary | .status == 489 and .notifies == 0 and .exit == 1'
	sipp_verdict "489" "$spid" "$d/uas-subscribe-489.log"
fi

# --- nobody answers: timeout, Ctrl-C, a second Ctrl-C ---------------------------
# blackhole NAME: a fresh one on a free port ($bh), its log $d/NAME.log.
blackhole() {
	p_free_port
	bh=$P_PORT
	p_blackhole "$d/$1.log" "$bh" || {
		t_fail "blackhole" "$P_WHY"
		return 1
	}
	bhpid=$P_PID
}
if blackhole bh1; then
	t_run "a SUBSCRIBE nobody answers: exit 3" 3 sipc -q --timeout 1 "127.0.0.1:$bh"
	t_err_has "sip: subscribe: 'sip:127.0.0.1:$bh': timed out"
	p_stop "$bhpid"
fi
if blackhole bh2; then
	T_NAME="SIGINT while the SUBSCRIBE waits, -o json"
	if p_interrupt "$d/bh2.log" "datagram" INT "$SIP" subscribe -o json --t1 50 "127.0.0.1:$bh"; then
		t_eq "$T_NAME: exit 3" 3 "$P_RC"
		t_err_has "waiting for the SUBSCRIBE's answer to unsubscribe (Ctrl-C again to quit at once)"
		t_err_has "sip: subscribe: 'sip:127.0.0.1:$bh': interrupted"
		t_check "json: the summary says interrupted, exit 3" \
			t_jq '.[-1].summary.error == "interrupted" and .[-1].summary.exit == 3'
	else
		t_fail "$T_NAME" "$P_WHY"
	fi
	p_stop "$bhpid"
fi
if blackhole bh3; then
	T_NAME="SIGINT twice while the SUBSCRIBE waits"
	if p_interrupt "$d/bh3.log" "datagram" "INT INT" "$SIP" subscribe -q --t1 1000 "127.0.0.1:$bh"; then
		t_eq "$T_NAME: exit 130" 130 "$P_RC"
		t_check "$T_NAME: at once ($P_MS ms)" test "$P_MS" -lt 2000
	else
		t_fail "$T_NAME" "$P_WHY"
	fi
	p_stop "$bhpid"
fi

# --- Kamailio's presence server ------------------------------------------------
if ! t_need "Kamailio's presence server" kamailio-presence-modules; then
	:
elif ! presence_server "$d/k" "$pk"; then
	t_fail "kamailio presence server" "$P_WHY"
else
	kpid=$P_PID
	cat >"$d/bob.pidf" <<PIDF
<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:bob@127.0.0.1">
<tuple id="t1"><status><basic>open</basic></status><note>at the desk</note></tuple>
</presence>
PIDF
	cat >"$d/bob.dialog" <<DLG
<?xml version="1.0"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="sip:bob@127.0.0.1">
<dialog id="d1" call-id="c1" local-tag="l1" remote-tag="r1" direction="initiator"><state>early</state><remote><identity display="Carol">sip:carol@127.0.0.1</identity></remote></dialog>
</dialog-info>
DLG
	printf 'Messages-Waiting: yes\r\nMessage-Account: sip:bob@127.0.0.1\r\nVoice-Message: 3/1\r\n' >"$d/bob.mwi"
	cat >"$d/bob.reg" <<REG
<?xml version="1.0"?>
<reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="0" state="full">
<registration aor="sip:bob@127.0.0.1" id="a1" state="active"><contact id="c1" state="active" event="registered" expires="3600"><uri>sip:bob@127.0.0.1:5099</uri></contact></registration>
</reginfo>
REG
	bob="sip:bob@127.0.0.1:$pk"
	publish() {
		timeout 30 "$SIP" request -q --t1 100 PUBLISH -H "Event: $1" -H 'Expires: 60' \
			--body "$2" --content-type "$3" "$bob"
	}
	if kerr=$(grep -m 3 -E 'ERROR|CRITICAL' "$d/k/kamailio.log"); then
		t_fail "kamailio: start-up: no ERROR in its log" "$kerr"
	else
		t_ok "kamailio: start-up: no ERROR in its log"
	fi
	t_run "kamailio: PUBLISH bob's PIDF: exit 0" 0 publish presence "$d/bob.pidf" application/pidf+xml
	t_run "kamailio: presence --count 1 shows bob open" 0 sipc -q -c 1 "$bob"
	t_out_has 'active;expires=3600  sip:bob@127.0.0.1: open "at the desk"'
	t_out_has "terminated;reason=timeout"
	# A watch: carol has no state yet; her PUBLISH while subscribed is the next NOTIFY.
	cat >"$d/carol.pidf" <<PIDF
<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:carol@127.0.0.1">
<tuple id="t2"><status><basic>open</basic></status></tuple>
<dm:person id="p1"><rpid:activities><rpid:on-the-phone/></rpid:activities><dm:note>On a call</dm:note></dm:person>
</presence>
PIDF
	T_NAME="kamailio: a watch of carol, who publishes while it runs"
	p_start "$d/watch.out" "$SIP" subscribe -q --t1 100 -c 2 "sip:carol@127.0.0.1:$pk"
	wpid=$P_PID
	if p_wait_text "$d/watch.out" "NOTIFY:" "$wpid" 100; then
		timeout 30 "$SIP" request -q --t1 100 PUBLISH -H 'Event: presence' -H 'Expires: 60' \
			--body "$d/carol.pidf" --content-type application/pidf+xml \
			"sip:carol@127.0.0.1:$pk" >/dev/null 2>&1
		if p_wait_exit "$wpid" 100; then
			t_eq "$T_NAME: exit 0" 0 "$P_RC"
			t_check "the first NOTIFY has no state" grep -q 'active;expires=[0-9]*  (no body)' "$d/watch.out"
			t_check "the next one has her on the phone" \
				grep -q 'sip:carol@127.0.0.1: open (on-the-phone) "On a call"' "$d/watch.out"
		else
			t_fail "$T_NAME" "no second NOTIFY: $(tail -n 3 "$d/watch.out" | tr '\n' ' ')"
			p_stop "$wpid"
		fi
	else
		t_fail "$T_NAME" "no NOTIFY: $(head -n 3 "$d/watch.out" | tr '\n' ' ')"
		p_stop "$wpid"
	fi
	t_run "kamailio: PUBLISH bob's dialog-info: exit 0" 0 \
		publish dialog "$d/bob.dialog" application/dialog-info+xml
	t_run "kamailio: dialog -e 0 shows bob's early call with Carol" 0 \
		sipc -q --event dialog -e 0 "$bob"
	t_out_has '  dialog d1: early, initiator, remote "Carol" sip:carol@127.0.0.1'
	t_run "kamailio: PUBLISH bob's message summary: exit 0" 0 \
		publish message-summary "$d/bob.mwi" application/simple-message-summary
	t_run "kamailio: message-summary -e 0 -o json: 3 new, 1 old" 0 \
		sipc -q -o json --event message-summary -e 0 "$bob"
	t_check "json: Voice-Message 3/1, waiting" \
		t_jq '[.[] | select(.notify)][0].notify.event | .waiting == true and .classes[0].new == 3 and .classes[0].old == 1'
	t_run "kamailio: PUBLISH bob's registration state: exit 0" 0 \
		publish reg "$d/bob.reg" application/reginfo+xml
	t_run "kamailio: reg -e 0 shows bob's contact registered" 0 sipc -q --event reg -e 0 "$bob"
	t_out_has "  contact sip:bob@127.0.0.1:5099: active (registered, expires 3600)"
	t_run "kamailio: a SUBSCRIBE for nobody gets 404: exit 1" 1 sipc -q "sip:nobody@127.0.0.1:$pk"
	t_err_has "404 Not Found"
	t_run "kamailio: an event package it has not: 489, exit 1" 1 sipc -q --event foo "$bob"
	t_err_has "489 Bad Event"
	p_stop "$kpid"
fi

# --- tshark: every request decodes as SIP, nothing malformed -------------------
if [ -n "$tpid" ]; then
	T_NAME="tshark"
	sleep 1
	p_stop "$tpid"
	decode="-d udp.port==$pn,sip -d tcp.port==$pn,sip -d udp.port==$pk,sip"
	# shellcheck disable=SC2086 # $decode is words
	tshark -n -r "$cap" $decode -Y 'sip.Method' -T fields -e sip.Method \
		>"$d/methods.txt" 2>"$d/tshark.err"
	n=$(grep -cx SUBSCRIBE "$d/methods.txt")
	t_check "tshark decodes the SUBSCRIBEs sent ($n)" test "$n" -ge 20
	# shellcheck disable=SC2086
	tshark -n -r "$cap" $decode -Y '_ws.malformed || _ws.expert.severity == error' \
		>"$d/malformed.txt" 2>>"$d/tshark.err"
	t_check "tshark: nothing malformed" test ! -s "$d/malformed.txt"
	sed -n '1,6s/^/     | /p' "$d/malformed.txt"
	# shellcheck disable=SC2086
	tshark -n -r "$cap" $decode -Y 'sip.Method == "SUBSCRIBE" && sip.Expires == 0' \
		-T fields -e sip.Call-ID >"$d/unsub.txt" 2>>"$d/tshark.err"
	t_check "tshark sees the unsubscribes (Expires: 0)" test -s "$d/unsub.txt"
fi

t_done
