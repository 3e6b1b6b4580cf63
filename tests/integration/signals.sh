#!/bin/sh
# signals.sh - Ctrl-C and SIGTERM in every subcommand (sip(1), EXIT STATUS):
# the first signal ends what is under way gracefully, a second SIGINT exits
# 130 at once, and SIGTERM is over within 5 s (143 when the graceful end
# could not finish in its 3 s). Each command that sends requests is sent to a
# UDP blackhole that never answers, so what it waits for never comes: a
# one-shot request is "interrupted" (3) at the first signal; register,
# invite and subscribe have something to end first (the REGISTER, the
# CANCEL, the SUBSCRIBE's answer) and wait for it. sip listen ends at
# once; sip resolve is stopped while its DNS server never answers.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/integration/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

d=$T_TMP

# shellcheck disable=SC2016 # the placeholders are sip send's
printf '%s\n' 'OPTIONS $target$ SIP/2.0' \
	'Via: SIP/2.0/$transport$ $local_ip$:$local_port$;branch=$branch$;rport' \
	'Max-Forwards: 70' 'From: <sip:probe@$local_ip$>;tag=$tag$' 'To: <$target$>' \
	'Call-ID: $call_id$' 'CSeq: $cseq$ OPTIONS' '' >"$d/options.sip"

# stopped NAME SIGNALS EXIT MAX_MS SAYS CMD [ARG...]: CMD sends to a fresh
# blackhole (its address in the words as BH, at a word's end) and gets
# SIGNALS once the first datagram is there; it must exit EXIT within MAX_MS
# of the last, its output saying SAYS.
stopped() {
	s_name=$1 s_sig=$2 s_exit=$3 s_max=$4 s_says=$5
	shift 5
	p_free_port
	s_bh=127.0.0.1:$P_PORT
	if ! p_blackhole "$d/bh.log" "$P_PORT"; then
		t_fail "$s_name" "$P_WHY"
		return
	fi
	s_pid=$P_PID
	s_cmd=
	for s_w; do
		case $s_w in
		*BH) s_w=${s_w%BH}$s_bh ;;
		esac
		s_cmd="$s_cmd '$s_w'"
	done
	eval "set -- $s_cmd"
	if p_interrupt "$d/bh.log" datagram "$s_sig" "$SIP" "$@"; then
		t_eq "$s_name: exit $s_exit" "$s_exit" "$P_RC"
		t_check "$s_name: over in $P_MS ms (at most $s_max)" test "$P_MS" -le "$s_max"
		t_check "$s_name: says '$s_says'" grep -qF -e "$s_says" "$T_OUT" "$T_ERR"
	else
		t_fail "$s_name" "$P_WHY"
	fi
	p_stop "$s_pid"
}

# One-shot requests: the first signal is the end; the second finds nothing.
for sig in INT TERM; do
	stopped "options, SIG$sig" "$sig" 3 1000 "interrupted" options --t1 1000 BH
	stopped "options -c 100 (a ping), SIG$sig" "$sig" 3 2000 "100.0% loss" options -c 100 -i 0.2 --t1 1000 BH
	stopped "message, SIG$sig" "$sig" 3 1000 "interrupted" message --t1 1000 BH hello
	stopped "notify, SIG$sig" "$sig" 3 1000 "interrupted" notify --t1 1000 --event check-sync BH
	stopped "request INFO, SIG$sig" "$sig" 3 1000 "interrupted" request --t1 1000 INFO BH
	stopped "send, SIG$sig" "$sig" 3 1000 "interrupted" send --t1 1000 "$d/options.sip" BH
	stopped "refer, SIG$sig" "$sig" 3 1000 "interrupted" refer --t1 1000 BH sip:carol@127.0.0.1
done

# What has to be ended first: a second Ctrl-C quits at once, SIGTERM waits
# out its 3 s of grace and no more.
stopped "register, Ctrl-C twice" "INT INT" 130 1000 "interrupted" register --t1 1000 sip:alice@BH
stopped "register, SIGTERM" TERM 143 5000 "interrupted" register --t1 1000 sip:alice@BH
stopped "invite, Ctrl-C twice" "INT INT" 130 1000 "cancelling" invite --t1 1000 BH
stopped "invite, SIGTERM" TERM 143 5000 "cancelling" invite --t1 1000 BH
stopped "subscribe, Ctrl-C twice" "INT INT" 130 1000 "answer to unsubscribe" subscribe --t1 1000 BH
stopped "subscribe, SIGTERM" TERM 143 5000 "answer to unsubscribe" subscribe --t1 1000 BH

# sip listen: nothing of its own is under way; either signal ends it, 0.
for sig in INT TERM; do
	p_start "$d/listen.log" "$SIP" listen 127.0.0.1:0
	lpid=$P_PID
	if p_wait_text "$d/listen.log" "listening on" "$lpid" 50; then
		kill "-$sig" "$lpid"
		t0=$(p_now_ms)
		if p_wait_exit "$lpid" 50; then
			ms=$(($(p_now_ms) - t0))
			t_eq "listen, SIG$sig: exit 0" 0 "$P_RC"
			t_check "listen, SIG$sig: over in $ms ms" test "$ms" -le 1000
		else
			t_fail "listen, SIG$sig" "still running 5 s after it"
			p_stop "$lpid"
		fi
	else
		t_fail "listen, SIG$sig" "$(head -n 2 "$d/listen.log")"
		p_stop "$lpid"
	fi
done

# sip resolve, and a probe still looking its target up, with a DNS server
# that never answers: interrupted (3), at once.
for sig in INT TERM; do
	stopped "resolve, SIG$sig" "$sig" 3 1000 "interrupted" resolve --dns-server BH sip:example.com
	t_err_has "sip: resolve: cannot resolve 'example.com': interrupted"
	stopped "options while resolving, SIG$sig" "$sig" 3 1000 "interrupted" options --dns-server BH sip:example.com
done

t_done
