#!/bin/sh
# loss.sh - every command through 30 % packet loss each way, against peers
# that follow the retransmission rules: Kamailio (a registrar with digest
# authentication, which answers OPTIONS too) and `sip listen`. 20 of 20
# OPTIONS probes; 20 of 20 registrations through their challenge, each then
# removed; 20 of 20 calls set up and ended by the caller's BYE, which the
# listener says; 5 of 5 transfers (sip refer to a listener that takes them,
# calling a second listener, which hangs up); 10 of 10 subscriptions
# (presence and dialog), each ended by an unsubscribe the listener says.
#
# The loss: the script runs itself again in a network namespace of its own
# (unshare -n), where loopback is up and one nftables rule drops 30 % of the
# packets at the input hook, which every packet on loopback passes once, so
# 30 % of each direction. Not at the output hook: a packet dropped there is
# told to its sender (sendto() fails with EPERM), which is a local firewall,
# not a lossy network, and ends a transaction at once (exit 4). Where no
# namespace or nftables can be had (not root, no nf_tables), the whole file
# is skipped, saying why. Two counters of the rule say how many packets went
# and were dropped; the share dropped is checked.
#
# The arithmetic. A send of a request is answered when the request and its
# response both get through: 0.7 * 0.7 = 0.49; Kamailio answers each copy
# statelessly and `sip listen`'s transactions answer a copy again, so the
# sends are independent. A transaction ends at Timer F, 64*T1, the only
# bound (--timeout can shorten it, not lengthen it), and its retransmission
# interval doubles from T1 up to T2 (4 s). With --t1 100 that is 7 sends in
# 6.4 s: 0.51^7 = 0.9 % of transactions fail, and 20 of 20 probes pass only
# 83 % of the time. With --t1 1000 (here, on every sip, listeners included):
# sends at 0, 1, 3, 7, then every 4 s up to 63 s, 18 sends, and a
# transaction fails with 0.51^18 = 5.5e-6; the ~200 transactions of a run
# fail together about 0.1 % of the time. An INVITE's retransmissions double
# without the T2 cap (Timer A: 0, 1, 3, 7, 15, 31, 63 s), whatever T1 is,
# but one copy of the 7 reaching the listener is enough, as the listener
# then sends its 200 again on its own (18 times, Timer G capped at T2) until
# the ACK: 0.3^7 = 2.2e-4 of calls fail, 0.5 % of runs with their 25
# INVITEs. sip invite has -r 0: its ring timeout, 60 s, would cancel before
# the seventh copy. Most transactions are done in a second or two, so each
# batch runs in parallel: the slowest of 20 sets the pace, 10 to 40 s; a
# run takes 70 to 170 s. No call goes through a Kamailio proxy: its tm
# module gives up a relayed non-INVITE after fr_timer (5 s in proxy.cfg: 4
# sends, 0.51^4 = 6.8 % lost) and each relayed message crosses two lossy
# hops, so 20 of 20 would test Kamailio's timers, not ours.
#
# Every peer is on a free port of the namespace and stopped by its PID;
# every sip is bounded by `timeout`.
# shellcheck disable=SC2317 # helpers are called through t_check

# Every peer outlives a whole run, not the 110 s peers.sh gives by default.
P_LIFETIME=220
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/integration/lib/peers.sh
. "$(dirname "$0")/../integration/lib/peers.sh"

d=$T_TMP
T1=1000
LOSS=30
# A client's bound: its requests one after the other (a challenge doubles
# them), each at most 64*T1.
LIMIT=150

if [ -z "${SIP_LOSS_NS:-}" ]; then
	# Installed out here: the namespace has no network but loopback.
	t_need "30 % packet loss" kamailio nft=nftables unshare=util-linux ip=iproute2 || t_done
	if ! why=$(unshare -n sh -c 'ip link set lo up && nft add table inet probe' 2>&1); then
		t_skip "30 % packet loss" "no network namespace with nftables here: $why"
		t_done
	fi
	SIP_LOSS_NS=1 unshare -n sh "$0"
	exit
fi

if ! ip link set lo up 2>"$d/nft.err" || ! nft -f - <<EOF 2>"$d/nft.err"; then
table inet loss {
	counter seen { }
	counter lost { }
	chain input {
		type filter hook input priority 0; policy accept;
		counter name "seen"
		numgen random mod 100 < $LOSS counter name "lost" drop
	}
}
EOF
	t_fail "$LOSS % loss on loopback" "$(head -n 1 "$d/nft.err")"
	t_done
fi

# packets NAME: what the rule's counter NAME has counted.
packets() {
	nft list counter inet loss "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

# sipc ARG...: the sip under test, bounded in time, with our T1.
sipc() {
	sc_cmd=$1
	shift
	timeout -k 3 "$LIMIT" "$SIP" "$sc_cmd" --t1 "$T1" "$@"
}

# job NAME CMD...: runs CMD in the background, stdout in $d/NAME.out,
# stderr in $d/NAME.err; when it ends, its exit status and milliseconds in
# $d/NAME.rc. jobs_wait waits for all of them.
J_PIDS=
job() {
	j_name=$1
	shift
	(
		j_t0=$(p_now_ms)
		"$@" </dev/null >"$d/$j_name.out" 2>"$d/$j_name.err"
		echo "$? $(($(p_now_ms) - j_t0))" >"$d/$j_name.rc"
	) &
	J_PIDS="$J_PIDS $!"
	P_PIDS="$P_PIDS $!"
}
jobs_wait() {
	for j_p in $J_PIDS; do
		wait "$j_p"
		p_forget "$j_p"
	done
	J_PIDS=
}

# tally WHAT PREFIX N TEXT...: of the jobs PREFIX1 .. PREFIXN, those that
# exited 0, printed each TEXT (fixed; a %i in it is the job's number) and
# nothing on stderr; "N of N" is checked, the others are shown, and the
# average and slowest times are said.
tally() {
	ty_what=$1 ty_pre=$2 ty_n=$3
	shift 3
	ty_good=0 ty_max=0 ty_sum=0 ty_bad=
	for ty_i in $(seq 1 "$ty_n"); do
		ty_f=$d/$ty_pre$ty_i
		read -r ty_rc ty_ms <"$ty_f.rc" || ty_rc=none ty_ms=0
		ty_sum=$((ty_sum + ty_ms))
		[ "$ty_ms" -gt "$ty_max" ] && ty_max=$ty_ms
		ty_ok=1
		[ "$ty_rc" = 0 ] && [ ! -s "$ty_f.err" ] || ty_ok=
		for ty_t in "$@"; do
			case $ty_t in
			*%i*) ty_t=${ty_t%%%i*}$ty_i${ty_t#*%i} ;;
			esac
			grep -qF -e "$ty_t" "$ty_f.out" || ty_ok=
		done
		if [ -n "$ty_ok" ]; then
			ty_good=$((ty_good + 1))
		else
			ty_bad="$ty_bad $ty_i:$ty_rc"
		fi
	done
	t_eq "$ty_what: $ty_n of $ty_n exit 0, saying what they did" "$ty_n" "$ty_good"
	for ty_b in $ty_bad; do
		ty_f=$d/$ty_pre${ty_b%%:*}
		printf '     %s%s: exit %s\n' "$ty_pre" "${ty_b%%:*}" "${ty_b#*:}"
		sed -n '1,12s/^/     out| /p' "$ty_f.out"
		sed -n '1,8s/^/     err| /p' "$ty_f.err"
	done
	printf '     %s: %d ms on average, the slowest %d ms\n' "$ty_what" \
		$((ty_sum / ty_n)) "$ty_max"
}

# listener NAME ARG...: starts `sip listen --t1 $T1 -q ARG... 127.0.0.1:PORT`
# on a free port ($lp), stdout in $lout, stderr in $lerr, PID in $lpid;
# false (a failure) when it does not say it listens within 5 s.
listener() {
	L_NAME=$1
	shift
	p_free_port
	lp=$P_PORT
	lout=$d/listen-$lp.out
	lerr=$d/listen-$lp.err
	if ! p_sip_listen "$lout" "$lerr" "$lp" --t1 "$T1" -q "$@"; then
		t_fail "$L_NAME: sip listen starts" "$P_WHY"
		return 1
	fi
	lpid=$P_PID
}

# l_show: the listener's output, indented, after a failure.
l_show() {
	sed -n '1,30s/^/     lout| /p' "$lout"
	sed -n '1,10s/^/     lerr| /p' "$lerr"
}

# l_count N ERE: N of the listener's lines match ERE.
l_count() {
	lc_n=$(grep -cE -e "$2" "$lout")
	t_eq "$L_NAME: $1 listener lines match '$2'" "$1" "$lc_n"
	[ "$lc_n" -eq "$1" ] || l_show
}

# l_ends [TERM]: the listener ends by itself (-c reached), or on SIGTERM
# once its callers are done, within 70 s (a last transaction of its own may
# run to 64*T1), exits 0, and said nothing on stderr but where it listens.
# SIGTERM goes to sip itself: `timeout` would KILL it 3 s after passing it
# on. A transfer's listener may still be sending its last NOTIFY to a
# referrer gone before the 200 of it got through (a lost answer its 2 T1
# linger did not see again): then its 3 s of grace run out, 143.
l_ends() {
	[ -n "${1:-}" ] && kill -TERM "$(pgrep -P "$lpid")"
	if p_wait_exit "$lpid" 700; then
		if [ -n "${1:-}" ] && [ "$P_RC" -eq 143 ]; then
			t_ok "$L_NAME: sip listen exits 143 (TERM, its last NOTIFY unanswered)"
			return
		fi
		t_eq "$L_NAME: sip listen exits 0 (${1:--c reached})" 0 "$P_RC"
		if [ "$(wc -l <"$lerr")" -eq 1 ]; then
			t_ok "$L_NAME: its stderr has the listening line alone"
		else
			t_fail "$L_NAME: its stderr has the listening line alone"
			l_show
		fi
	else
		t_fail "$L_NAME: sip listen ends by itself (-c)" "still running 70 s later"
		l_show
		p_stop "$lpid"
	fi
}

t_start=$(p_now_ms)

# --- Kamailio: OPTIONS probes, registrations with their challenge ------------
kamailio_tests() {
	P_USERS=
	for i in $(seq 1 20); do
		P_USERS="$P_USERS u$i:secret"
	done
	mkdir "$d/kam"
	p_free_port
	kp=$P_PORT
	if ! p_kamailio_registrar "$d/kam" "$kp"; then
		t_fail "kamailio registrar" "$P_WHY"
		return
	fi
	kpid=$P_PID

	for i in $(seq 1 20); do
		job "options$i" sipc options -q "sip:127.0.0.1:$kp"
	done
	jobs_wait
	tally "20 OPTIONS probes to Kamailio" options 20 "127.0.0.1:$kp 200 OK in"

	# A user each: the registrar keeps at most 10 bindings per address. A
	# port each, so that the removal names the binding the registration made.
	SIP_PASSWORD=secret
	export SIP_PASSWORD
	rports=
	for i in $(seq 1 20); do
		p_free_port
		rports="$rports $P_PORT"
		job "register$i" sipc register -o pretty -u "u$i" -l "127.0.0.1:$P_PORT" -e 600 \
			"sip:u$i@127.0.0.1:$kp"
	done
	jobs_wait
	tally "20 registrations" register 20 "SIP/2.0 401 Unauthorized" \
		"Authorization: Digest username=\"u%i\"" "registered <sip:u%i@127.0.0.1> for "
	i=0
	for port in $rports; do
		i=$((i + 1))
		job "unregister$i" sipc register -o pretty -u "u$i" -l "127.0.0.1:$port" \
			--unregister "sip:u$i@127.0.0.1:$kp"
	done
	jobs_wait
	tally "20 removals" unregister 20 "SIP/2.0 401 Unauthorized" "Expires: 0" \
		"no bindings for <sip:u%i@127.0.0.1>"
	unset SIP_PASSWORD
	p_stop "$kpid"
}
kamailio_tests

# --- calls: INVITE, 200, ACK, the caller's BYE ---------------------------------
# The listener is stopped once every caller is done, not by -c: a listener
# that has reached its count exits at once, and a BYE sent again because
# its 200 was lost finds no one (RFC 3261 section 17.2.2 wants it answered
# for Timer J, 64*T1 after). So are the transfers' listeners below, for the
# target's BYE. The notifier ends at its count: that count is of final
# NOTIFYs answered or failed, its own transactions, which it waits for (a
# subscriber gone before the 200 of it arrived makes it fail, and it is still
# one unsubscribed).
if listener "20 calls" --ring 0; then
	for i in $(seq 1 20); do
		job "invite$i" sipc invite -q -d 1 -r 0 "sip:bob@127.0.0.1:$lp"
	done
	jobs_wait
	tally "20 calls (sip invite -d 1 -r 0)" invite 20 "hung up by us (BYE answered)"
	l_ends TERM
	l_count 20 "^Call [0-9]+: .* ended by the far end's BYE after "
fi

# --- transfers: sip refer to a listener, which calls a second one ----------------
# One listener takes each REFER (one transfer at a time each); the target
# hangs up each call after a second, which ends the transfer's count.
if listener "the transfers' target" --ring 0 -d 1 -c 5; then
	tpid=$lpid tp=$lp tout=$lout terr=$lerr
	apids=
	for i in $(seq 1 5); do
		listener "transfer $i" --ring 0 --accept-refer || continue
		eval "apid$i=\$lpid aout$i=\$lout aerr$i=\$lerr"
		apids="$apids $i"
		job "refer$i" sipc refer -q "sip:bob@127.0.0.1:$lp" "sip:carol@127.0.0.1:$tp"
	done
	jobs_wait
	tally "5 transfers (sip refer)" refer 5 "Transfer:   200 OK after "
	lpid=$tpid lout=$tout lerr=$terr
	L_NAME="the transfers' target"
	l_ends
	l_count 5 "^Call [0-9]+: .* hung up after [0-9.]+ s; the BYE got 200\$"
	for i in $apids; do
		eval "lpid=\$apid$i lout=\$aout$i lerr=\$aerr$i"
		L_NAME="transfer $i"
		l_ends TERM
		l_count 1 "^Transfer: .* 200 OK: transferred\$"
		l_count 1 "^Call 1: .* ended by the far end's BYE after "
	done
fi

# --- subscriptions: SUBSCRIBE, NOTIFY, unsubscribe, the final NOTIFY ----------
if listener "10 subscriptions" -c 10; then
	for i in $(seq 1 10); do
		if [ "$i" -le 5 ]; then
			ev=presence
		else
			ev=dialog
		fi
		job "subscribe$i" sipc subscribe -q -c 1 --event "$ev" "sip:bob@127.0.0.1:$lp"
	done
	jobs_wait
	tally "10 subscriptions (sip subscribe -c 1)" subscribe 10 "--count reached"
	l_ends
	l_count 10 "^Sub [0-9]+: .* unsubscribed\$"
fi

# --- the loss itself -------------------------------------------------------------
# share_ok LOST SEEN: enough packets went, and 20 to 40 % of them were lost.
share_ok() { [ "$2" -gt 500 ] && [ $(($1 * 100)) -ge $(($2 * 20)) ] && [ $(($1 * 100)) -le $(($2 * 40)) ]; }
seen=$(packets seen)
lost=$(packets lost)
printf '     %d of %d packets dropped; the run took %d s\n' "$lost" "$seen" \
	$((($(p_now_ms) - t_start) / 1000))
T_NAME="the rule"
t_check "dropped 20 to 40 % of the packets ($lost of $seen)" share_ok "$lost" "$seen"

t_done
