#!/bin/sh
# tests/bench/probe.sh - the network half of `make bench` (run.sh calls it;
# it also runs alone): `sip options` against sipsak and SIPp, all of them
# against the same server, a SIPp UAS (tests/bench/sipp/uas-options.xml)
# answering every OPTIONS with a 200 on a free 127.0.0.1 port.
#
#   one-shot probe  `sip options -q` and `sipsak -s`: wall time (hyperfine,
#                   BENCH_WARMUP warm-ups then BENCH_RUNS runs, default 5 and
#                   50) and peak memory (max RSS from /usr/bin/time, median of
#                   BENCH_MEM_RUNS runs, default 9); target: at most a third
#                   of sipsak's wall time and a peak RSS below sipsak's.
#   flood           BENCH_FLOOD_N OPTIONS (default 20000), BENCH_FLOOD_C in
#                   flight (default 50), best of BENCH_FLOOD_RUNS runs
#                   (default 3), each against a fresh server: `sip options -c
#                   N -i 0 --concurrency C`; SIPp's client with C calls
#                   sending OPTIONS after OPTIONS as sip does
#                   (sipp/uac-options-loop.xml) and with a call per request
#                   (sipp/uac-options.xml, -l C); and `sipsak -F -e N`, which
#                   sends blindly (its Via names port 9, it reads no answer),
#                   so its answered count is the server's. Rates are answers
#                   per second of wall time, process start-up included;
#                   target: at least SIPp's best.
#   flood cost      for each N in BENCH_COST_N (default 10000 and 300000),
#                   BENCH_COST_C in flight (default 20), each run against a
#                   fresh server: `sip options -c N -i 0 --concurrency C`,
#                   SIPp's looping client, and the floor (floor.c: the same
#                   flood with no SIP work, what the kernel alone charges,
#                   with and without sendmmsg/recvmmsg); CPU (user + sys from bash's
#                   time keyword: the server is the bottleneck, so wall time
#                   says little of the client) per answered request and peak
#                   RSS (/usr/bin/time), best (least CPU per answer) of
#                   BENCH_COST_RUNS runs (default 2). Targets: sip's CPU per request at the
#                   largest N within 20 % of that at the smallest, its peak
#                   RSS under 32 MiB at every N, and its CPU per request at
#                   most a third of SIPp's at every N; then whether that third
#                   is above the floor at all, and sip's cost against it.
#
# Missing tools (sip-tester, sipsak, hyperfine, time) are installed when
# possible; a competitor that cannot be had is reported as skipped. Every
# process runs under `timeout` and is stopped by its PID. Exits non-zero
# only when sip itself fails against the server.
set -u

cd "$(dirname "$0")/../.." || exit 1
B=build/bench/net
SIP=${SIP:-./cmd/sip}
SCEN=tests/bench/sipp
WARMUP=${BENCH_WARMUP:-5}
RUNS=${BENCH_RUNS:-50}
MEMRUNS=${BENCH_MEM_RUNS:-9}
FN=${BENCH_FLOOD_N:-20000}
FC=${BENCH_FLOOD_C:-50}
FRUNS=${BENCH_FLOOD_RUNS:-3}
COSTN=${BENCH_COST_N:-10000 300000}
COSTC=${BENCH_COST_C:-20}
COSTRUNS=${BENCH_COST_RUNS:-2}
PATH=$PATH:/usr/sbin:/sbin
mkdir -p "$B" || exit 1
# Nothing from an earlier run may pass for this one's.
rm -f "$B"/*.ms "$B"/*.kib "$B"/*.csv "$B"/*.runs "$B"/*.rss "$B"/*.out "$B"/*.log
status=0

# ---- processes ------------------------------------------------------------
PIDS=

# alive PID: true while PID runs (a zombie is not running).
alive() {
	a_stat=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $a_stat in
	Z*) return 1 ;;
	esac
	return 0
}

# stop PID: TERM, up to 5 s to end, then KILL; reaps it.
stop() {
	kill -TERM "$1" 2>/dev/null
	s_n=0
	while alive "$1" && [ "$s_n" -lt 50 ]; do
		sleep 0.1
		s_n=$((s_n + 1))
	done
	alive "$1" && kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	s_keep=
	for s_p in $PIDS; do
		[ "$s_p" = "$1" ] || s_keep="$s_keep $s_p"
	done
	PIDS=$s_keep
}

# cleanup: stops what still runs; the EXIT trap.
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	for c_p in $PIDS; do
		stop "$c_p"
	done
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# free_port: sets $PORT to a port no TCP or UDP socket uses, 6000-9999 (sipsak
# cuts a five-digit port out of its Request-URI), not handed out before.
GIVEN=
free_port() {
	f_used=$(ss -Hantu 2>/dev/null | awk '{ n = split($5, a, ":"); print a[n] }')
	f_try=0
	while [ "$f_try" -lt 200 ]; do
		f_try=$((f_try + 1))
		PORT=$((6000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 4000))
		case " $GIVEN " in
		*" $PORT "*) continue ;;
		esac
		printf '%s\n' "$f_used" | grep -qx "$PORT" && continue
		GIVEN="$GIVEN $PORT"
		return 0
	done
	echo "no free port found"
	return 1
}

# start_uas LOG: a SIPp UAS on 127.0.0.1:$PORT (a new free port); its PID in
# $UAS, its closing screens in LOG once stopped. Returns 1 if it does not
# listen within 5 s.
start_uas() {
	free_port || return 1
	timeout -k 3 150 sipp -sf "$SCEN/uas-options.xml" -i 127.0.0.1 -p "$PORT" -t u1 \
		-m 1000000000 -nostdin </dev/null >"$1" 2>&1 &
	UAS=$!
	PIDS="$PIDS $UAS"
	u_n=0
	while [ "$u_n" -lt 50 ]; do
		if ! alive "$UAS"; then
			break
		fi
		ss -Hlnu "sport = :$PORT" 2>/dev/null | grep -q . && return 0
		sleep 0.1
		u_n=$((u_n + 1))
	done
	echo "sipp UAS did not start: $(head -n 3 "$1" | tr '\n' ' ')"
	stop "$UAS"
	return 1
}

# ---- packages ---------------------------------------------------------------
# shellcheck source=tests/bench/install.sh
. tests/bench/install.sh
bench_install sip-tester sipsak hyperfine time

have() { command -v "$1" >/dev/null 2>&1; }
have_time=0
[ -x /usr/bin/time ] && have_time=1

if [ ! -x "$SIP" ] && ! make -s cmd/sip >"$B/build.log" 2>&1; then
	echo "sip: the build failed:"
	tail -n 10 "$B/build.log"
	exit 1
fi
if ! have sipp; then
	echo "network benchmark skipped: no sipp (Debian sip-tester) to serve as the server"
	exit 0
fi
have sipsak || echo "sipsak: not installed, skipped"
have hyperfine || echo "hyperfine: not installed; probe times from a shell loop instead"
[ "$have_time" = 1 ] || echo "/usr/bin/time: not installed; peak memory skipped"

now() { date +%s.%N; }

# ---- one-shot probe --------------------------------------------------------------
# probe_time NAME CMD...: mean and standard deviation of CMD's wall time in ms,
# into $B/NAME.ms ("mean sd"); 1 when CMD failed.
probe_time() {
	pt_name=$1
	shift
	rm -f "$B/$pt_name.ms" "$B/$pt_name.csv"
	if have hyperfine; then
		if ! timeout 120 hyperfine -N --warmup "$WARMUP" --runs "$RUNS" \
			--export-csv "$B/$pt_name.csv" "$*" >"$B/$pt_name.hf" 2>&1; then
			return 1
		fi
		# command,mean,stddev,median,user,system,min,max (seconds)
		awk -F, 'NR == 2 { printf "%.3f %.3f\n", $2 * 1000, $3 * 1000 }' \
			"$B/$pt_name.csv" >"$B/$pt_name.ms"
		return 0
	fi
	pt_i=0
	while [ "$pt_i" -lt "$WARMUP" ]; do
		timeout 10 "$@" >/dev/null 2>&1 || return 1
		pt_i=$((pt_i + 1))
	done
	pt_i=0
	: >"$B/$pt_name.runs"
	while [ "$pt_i" -lt "$RUNS" ]; do
		pt_t0=$(now)
		timeout 10 "$@" >/dev/null 2>&1 || return 1
		pt_t1=$(now)
		echo "$pt_t0 $pt_t1" >>"$B/$pt_name.runs"
		pt_i=$((pt_i + 1))
	done
	awk '{ d = ($2 - $1) * 1000; s += d; q += d * d; n++ }
	END { m = s / n; v = q / n - m * m; sd = v > 0 ? sqrt(v) : 0; printf "%.3f %.3f\n", m, sd }' \
		"$B/$pt_name.runs" >"$B/$pt_name.ms"
}

# probe_mem NAME CMD...: the median of CMD's max RSS (KiB) over MEMRUNS runs,
# into $B/NAME.kib.
probe_mem() {
	pm_name=$1
	shift
	rm -f "$B/$pm_name.kib"
	[ "$have_time" = 1 ] || return 0
	: >"$B/$pm_name.rss"
	pm_i=0
	while [ "$pm_i" -lt "$MEMRUNS" ]; do
		timeout 10 /usr/bin/time -f %M -o "$B/$pm_name.one" "$@" >/dev/null 2>&1 || return 1
		tail -n 1 "$B/$pm_name.one" >>"$B/$pm_name.rss"
		pm_i=$((pm_i + 1))
	done
	sort -n "$B/$pm_name.rss" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }' \
		>"$B/$pm_name.kib"
}

# field FILE N: the Nth word of FILE's first line, or "-".
field() {
	f_v=
	[ -f "$1" ] && f_v=$(awk -v n="$2" 'NR == 1 { print $n }' "$1")
	echo "${f_v:--}"
}

echo
if start_uas "$B/uas-probe.log"; then
	uri="127.0.0.1:$PORT"
	echo "one-shot OPTIONS probe against a SIPp UAS on $uri: wall time by" \
		"$(have hyperfine && echo hyperfine || echo 'a shell loop')" \
		"($WARMUP warm-ups, $RUNS runs), peak RSS the median of $MEMRUNS runs"
	clients=sip
	have sipsak && clients="$clients sipsak"
	for c in $clients; do
		case $c in
		sip) set -- "$SIP" options -q "$uri" ;;
		sipsak) set -- sipsak -s "sip:bench@$uri" ;;
		esac
		# Exit 0 means a 200 came back, for both.
		timeout 10 "$@" >"$B/$c.once" 2>&1
		rc=$?
		if [ "$rc" -ne 0 ]; then
			echo "$c: a probe exited $rc instead of 0 (a 200):"
			tail -n 5 "$B/$c.once"
			[ "$c" = sip ] && status=1
			continue
		fi
		probe_time "$c" "$@" || echo "$c: a timed run failed (see $B/$c.hf)"
		probe_mem "$c" "$@" || echo "$c: a run under /usr/bin/time failed"
	done
	stop "$UAS"

	echo
	printf '%-12s %12s %10s %14s\n' client "time ms" "sd ms" "peak RSS KiB"
	for c in sip sipsak; do
		printf '%-12s %12s %10s %14s\n' "$c" "$(field "$B/$c.ms" 1)" "$(field "$B/$c.ms" 2)" \
			"$(field "$B/$c.kib" 1)"
	done
	awk -v st="$(field "$B/sip.ms" 1)" -v kt="$(field "$B/sipsak.ms" 1)" \
		-v sm="$(field "$B/sip.kib" 1)" -v km="$(field "$B/sipsak.kib" 1)" '
	function ratio(a, b) { return (a == "-" || b == "-" || b == 0) ? "-" : sprintf("%.2fx", a / b) }
	BEGIN {
		rt = ratio(st, kt); rm = ratio(sm, km)
		printf "%-12s %12s %10s %14s\n", "sip/sipsak", rt, "", rm
		print ""
		t = "target (one-shot probe: at most a third of sipsak'\''s wall time, peak RSS below sipsak'\''s)"
		if (rt == "-" || rm == "-") {
			printf "%s: unknown (sip %s ms %s KiB, sipsak %s ms %s KiB)\n", t, st, sm, kt, km
			exit
		}
		met = (3 * st <= kt + 0 && sm + 0 < km + 0)
		printf "%s: %s (sip %s ms and %s KiB = %s and %s of sipsak'\''s %s ms and %s KiB)\n",
		       t, met ? "MET" : "NOT MET", st, sm, rt, rm, kt, km
	}'
else
	echo "one-shot probe skipped: no server"
fi

# ---- flood ----------------------------------------------------------------------------
# Rates of each run go to $B/flood.runs as
#   CLIENT SENT ANSWERED WALL_S PEAK_KIB
# The best (highest answered/s) of each client is kept for the table.
per_call=$(((FN + FC - 1) / FC))
sed "s/@COUNT@/$per_call/" "$SCEN/uac-options-loop.xml" >"$B/uac-options-loop.xml"

# screen_count LOG ARROW-FIRST? METHOD-OR-CODE: a message count from the
# last SIPp screen in LOG. A UAS shows "----------> OPTIONS  N" and
# "<---------- 200  N"; a UAC "OPTIONS ---------->  N" and "200 <----------  N".
screen_count() {
	awk -v a="$2" -v b="$3" '$1 == a && $2 == b { n = $3 } END { print n + 0 }' "$1" 2>/dev/null
}

# flood_run CLIENT: one run of CLIENT against a fresh server; appends a line
# to $B/flood.runs. Returns 1 when the run failed.
flood_run() {
	fr=$1
	start_uas "$B/uas-$fr.log" || return 1
	uri="127.0.0.1:$PORT"
	case $fr in
	sip) set -- "$SIP" options -c "$FN" -i 0 --concurrency "$FC" -q "$uri" ;;
	sipp-loop | sipp-call)
		lport=$PORT
		free_port || {
			stop "$UAS"
			return 1
		}
		if [ "$fr" = sipp-loop ]; then
			set -- sipp -sf "$B/uac-options-loop.xml" -m "$FC" -l "$FC" -r 1000000
		else
			set -- sipp -sf "$SCEN/uac-options.xml" -m "$FN" -l "$FC" -r 1000000
		fi
		set -- "$@" "127.0.0.1:$lport" -i 127.0.0.1 -p "$PORT" -t u1 -nostdin
		;;
	sipsak) set -- sipsak -F -e "$FN" -s "sip:bench@$uri" ;;
	esac
	if [ "$have_time" = 1 ]; then
		set -- /usr/bin/time -f %M -o "$B/$fr.flood.kib" "$@"
	fi
	rm -f "$B/$fr.flood.kib"
	fr_t0=$(now)
	timeout 60 "$@" </dev/null >"$B/$fr.flood.out" 2>&1
	fr_rc=$?
	fr_t1=$(now)
	stop "$UAS"
	if [ "$fr_rc" -ne 0 ]; then
		echo "$fr: flood run exited $fr_rc (see $B/$fr.flood.out)"
		tail -n 3 "$B/$fr.flood.out"
		return 1
	fi
	case $fr in
	sip)
		sent=$(awk '/requests sent/ { print $1 }' "$B/$fr.flood.out")
		got=$(awk '/requests sent/ { for (i = 2; i < NF; i++) if ($(i + 1) ~ /^received/) print $i }' \
			"$B/$fr.flood.out")
		;;
	sipp-*)
		sent=$(screen_count "$B/$fr.flood.out" OPTIONS "---------->")
		got=$(screen_count "$B/$fr.flood.out" 200 "<----------")
		;;
	sipsak)
		sent=$FN
		got=$(screen_count "$B/uas-$fr.log" "<----------" 200)
		;;
	esac
	kib=-
	[ -f "$B/$fr.flood.kib" ] && kib=$(tail -n 1 "$B/$fr.flood.kib")
	echo "$fr ${sent:-0} ${got:-0} $(echo "$fr_t0 $fr_t1" | awk '{ printf "%.4f", $2 - $1 }') $kib" \
		>>"$B/flood.runs"
}

echo
echo "flood: $FN OPTIONS, $FC in flight, best of $FRUNS runs, a fresh SIPp UAS each run;" \
	"rates over wall time"
clients="sip sipp-loop sipp-call"
have sipsak && clients="$clients sipsak"
rm -f "$B/flood.runs"
for c in $clients; do
	i=0
	while [ "$i" -lt "$FRUNS" ]; do
		if ! flood_run "$c"; then
			[ "$c" = sip ] && status=1
			break
		fi
		i=$((i + 1))
	done
done

echo
[ -f "$B/flood.runs" ] || : >"$B/flood.runs"
awk -v c="$FC" -v clients="$clients" '
function label(k) {
	if (k == "sip")
		return "sip"
	if (k == "sipp-loop")
		return "SIPp (" c " looping calls)"
	if (k == "sipp-call")
		return "SIPp (a call per request)"
	return "sipsak -F (blind)"
}
function how(k) {
	return k == "sipp-loop" ? c " calls looping" : "a call per request"
}
function rate(k) {
	return (k in best) ? sprintf("%.0f/s", best[k]) : "skipped"
}
{
	r = $4 > 0 ? $3 / $4 : 0
	if (!($1 in best) || r > best[$1]) {
		best[$1] = r; sent[$1] = $2; got[$1] = $3; wall[$1] = $4; kib[$1] = $5
	}
}
END {
	f = "%-27s %12s %10s %8s %9s %8s %13s\n"
	printf f, "client", "answered/s", "sent/s", "sent", "answered", "wall s", "peak RSS KiB"
	k = split(clients, list, " ")
	for (i = 1; i <= k; i++) {
		x = list[i]
		if (!(x in best)) {
			printf f, label(x), "-", "-", "-", "-", "-", "-"
			continue
		}
		printf f, label(x), sprintf("%.0f", best[x]), sprintf("%.0f", sent[x] / wall[x]),
		       sent[x], got[x], sprintf("%.3f", wall[x]), kib[x]
	}
	print ""
	t = "target (flood rate at least that of SIPp)"
	top = ""
	if ("sipp-loop" in best)
		top = "sipp-loop"
	if (("sipp-call" in best) && (top == "" || best["sipp-call"] > best[top]))
		top = "sipp-call"
	if (!("sip" in best) || top == "") {
		mine = "failed"
		if ("sip" in best)
			mine = rate("sip")
		theirs = "skipped"
		if (top != "")
			theirs = rate(top)
		printf "%s: unknown (sip %s, SIPp %s)\n", t, mine, theirs
		exit
	}
	met = best["sip"] >= best[top] ? "MET" : "NOT MET"
	printf "%s: %s (sip %s = %.2fx SIPp'\''s best, %s as %s", t, met, rate("sip"),
	       best["sip"] / best[top], rate(top), how(top)
	other = "sipp-loop"
	if (top == "sipp-loop")
		other = "sipp-call"
	if (other in best)
		printf "; %.2fx SIPp as %s", best["sip"] / best[other], how(other)
	if ("sipsak" in best)
		printf "; sipsak -F sends blind, the server answered %.0f%% of its requests",
		       100 * got["sipsak"] / sent["sipsak"]
	print ")"
}' "$B/flood.runs"

# ---- flood cost ---------------------------------------------------------------------
# Each run goes to $B/cost.runs as
#   CLIENT N ANSWERED USER_S SYS_S PEAK_KIB
# The best (least CPU per answered request) of each client and N is kept.

# cost_run CLIENT N: one run of CLIENT sending N OPTIONS, COSTC in flight,
# against a fresh server, its CPU and peak RSS measured. Returns 1 when it
# failed.
cost_run() {
	cr=$1
	cr_n=$2
	start_uas "$B/uas-cost.log" || return 1
	case $cr in
	sip) set -- "$SIP" options -c "$cr_n" -i 0 --concurrency "$COSTC" -q "127.0.0.1:$PORT" ;;
	floor) set -- "$B/floor" "$PORT" "$cr_n" "$COSTC" ;;
	floor-b) set -- "$B/floor" -b "$PORT" "$cr_n" "$COSTC" ;;
	sipp-loop)
		lport=$PORT
		free_port || {
			stop "$UAS"
			return 1
		}
		sed "s/@COUNT@/$(((cr_n + COSTC - 1) / COSTC))/" "$SCEN/uac-options-loop.xml" \
			>"$B/uac-cost-loop.xml"
		set -- sipp -sf "$B/uac-cost-loop.xml" -m "$COSTC" -l "$COSTC" -r 1000000 \
			"127.0.0.1:$lport" -i 127.0.0.1 -p "$PORT" -t u1 -nostdin
		;;
	esac
	# 300,000 take sip about 6 s; well inside the server's own 150 s.
	cr_limit=$((30 + cr_n / 5000))
	[ "$cr_limit" -gt 140 ] && cr_limit=140
	# /usr/bin/time gives CPU seconds cut to hundredths: sip's 0.07 s at
	# N = 10,000 may be up to 0.0899, too coarse to tell 20 %. bash's time
	# keyword gives milliseconds (they include /usr/bin/time's own, under
	# one); /usr/bin/time still gives the peak RSS.
	rm -f "$B/cost.cpu" "$B/cost.kib"
	# shellcheck disable=SC2016 # expanded by bash
	timeout "$cr_limit" bash -c 'TIMEFORMAT="%3U %3S"; out=$1 cpu=$2; shift 2
		{ time "$@" </dev/null >"$out" 2>&1; } 2>"$cpu"' cost \
		"$B/$cr.cost.out" "$B/cost.cpu" /usr/bin/time -f %M -o "$B/cost.kib" "$@"
	cr_rc=$?
	stop "$UAS"
	if [ "$cr_rc" -ne 0 ]; then
		echo "$cr: $cr_n OPTIONS exited $cr_rc (see $B/$cr.cost.out)"
		tail -n 3 "$B/$cr.cost.out"
		return 1
	fi
	case $cr in
	sip)
		got=$(awk '/requests sent/ { for (i = 2; i <= NF; i++) if ($i == "answered") print $(i - 1) }' \
			"$B/$cr.cost.out")
		;;
	sipp-loop) got=$(screen_count "$B/$cr.cost.out" 200 "<----------") ;;
	floor*) got=$(awk '/ sent, / { print $3 }' "$B/$cr.cost.out") ;;
	esac
	case $got in
	'' | *[!0-9]*) got=0 ;;
	esac
	cr_fig=$({
		tail -n 1 "$B/cost.cpu"
		tail -n 1 "$B/cost.kib"
	} 2>/dev/null | tr '\n' ' ' |
		awk 'NF == 3 && $1 ~ /^[0-9.]+$/ && $2 ~ /^[0-9.]+$/ && $3 ~ /^[0-9]+$/ { print $1, $2, $3 }')
	if [ "$got" -eq 0 ] || [ -z "$cr_fig" ]; then
		echo "$cr: $cr_n OPTIONS: no answer counted or no CPU and RSS figures"
		return 1
	fi
	echo "$cr $cr_n $got $cr_fig" >>"$B/cost.runs"
}

echo
if [ "$have_time" = 1 ] && have bash; then
	echo "flood cost: N OPTIONS, $COSTC in flight, a fresh SIPp UAS each run, best (least CPU" \
		"per answer) of $COSTRUNS runs; CPU is user + sys (bash's time), peak RSS from /usr/bin/time"
	rm -f "$B/cost.runs"
	# The floor: what the kernel charges a client that does no SIP work.
	costers="sip sipp-loop"
	if ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -o "$B/floor" tests/bench/floor.c; then
		costers="$costers floor floor-b"
	else
		echo "floor: cannot build tests/bench/floor.c; its rows skipped"
	fi
	for n in $COSTN; do
		i=0
		while [ "$i" -lt "$COSTRUNS" ]; do
			# Interleaved, so that a busy moment of the machine falls on all.
			for c in $costers; do
				if ! cost_run "$c" "$n"; then
					[ "$c" = sip ] && status=1
				fi
			done
			i=$((i + 1))
		done
	done

	echo
	[ -f "$B/cost.runs" ] || : >"$B/cost.runs"
	awk -v c="$COSTC" -v ns="$COSTN" '
	function label(k) {
		if (k == "floor") return "floor (no SIP work)"
		if (k == "floor-b") return "floor, sendmmsg/recvmmsg"
		return k == "sip" ? "sip" : "SIPp (" c " looping calls)"
	}
	{
		k = $1 SUBSEP $2
		cpu = ($4 + $5) / $3 * 1e6
		if (!(k in best) || cpu < best[k]) {
			best[k] = cpu; got[k] = $3; usr[k] = $4; sys[k] = $5; kib[k] = $6
		}
	}
	END {
		f = "%-24s %8s %9s %8s %8s %15s %13s\n"
		printf f, "client", "N", "answered", "user s", "sys s", "CPU us/answer", "peak RSS KiB"
		m = split(ns, list, " ")
		for (j = 1; j <= m; j++) {
			for (x = 1; x <= 4; x++) {
				cl = x == 1 ? "sip" : x == 2 ? "sipp-loop" : x == 3 ? "floor" : "floor-b"
				k = cl SUBSEP list[j]
				if (k in best)
					printf f, label(cl), list[j], got[k], usr[k], sys[k],
					       sprintf("%.2f", best[k]), kib[k]
				else
					printf f, label(cl), list[j], "-", "-", "-", "-", "-"
			}
		}
		print ""

		lo = hi = ""
		for (j = 1; j <= m; j++) {
			if (lo == "" || list[j] + 0 < lo + 0) lo = list[j]
			if (hi == "" || list[j] + 0 > hi + 0) hi = list[j]
		}
		kl = "sip" SUBSEP lo; kh = "sip" SUBSEP hi
		t = "target (cost flat in N: sip'\''s CPU per request at N = " hi \
		    " within 20% of that at N = " lo ")"
		if (lo == hi || !(kl in best) || !(kh in best))
			printf "%s: unknown (needs sip figures at two sizes)\n", t
		else {
			d = best[kh] - best[kl]
			met = d <= 0.2 * best[kl] && -d <= 0.2 * best[kl]
			printf "%s: %s (%.2f us at %s, %.2f us at %s: %+.1f%%)\n", t, met ? "MET" : "NOT MET",
			       best[kl], lo, best[kh], hi, 100 * d / best[kl]
		}

		t = "target (memory flat in N: sip'\''s peak RSS under 32 MiB at every N)"
		met = 1; say = ""; known = 1
		for (j = 1; j <= m; j++) {
			k = "sip" SUBSEP list[j]
			if (!(k in best)) { known = 0; continue }
			if (kib[k] + 0 >= 32768) met = 0
			say = say (say == "" ? "" : ", ") kib[k] " KiB at " list[j]
		}
		if (!known)
			printf "%s: unknown (sip failed at some N%s%s)\n", t, say == "" ? "" : ": ", say
		else
			printf "%s: %s (%s)\n", t, met ? "MET" : "NOT MET", say

		t = "target (CPU per request at most a third of SIPp'\''s looping client, at every N)"
		met = 1; say = ""; known = 1
		for (j = 1; j <= m; j++) {
			k = "sip" SUBSEP list[j]; o = "sipp-loop" SUBSEP list[j]
			if (!(k in best) || !(o in best)) { known = 0; continue }
			if (3 * best[k] > best[o]) met = 0
			say = say (say == "" ? "" : "; ") sprintf("%.2fx SIPp'\''s at %s (%.2f us vs %.2f us)",
			                                          best[k] / best[o], list[j], best[k], best[o])
		}
		if (!known)
			printf "%s: unknown (a run failed%s%s)\n", t, say == "" ? "" : "; ", say
		else
			printf "%s: %s (%s)\n", t, met ? "MET" : "NOT MET", say

		# Whether a third of SIPp is within reach at all: no client costs
		# less than the kernel charges for its datagrams: the floor.
		for (j = 1; j <= m; j++) {
			k = "sip" SUBSEP list[j]; o = "sipp-loop" SUBSEP list[j]
			f = "floor" SUBSEP list[j]; fb = "floor-b" SUBSEP list[j]
			if (!(f in best) || !(fb in best) || !(o in best) || !(k in best))
				continue
			lo = best[f] < best[fb] ? best[f] : best[fb]
			printf "floor at %s: %.2f us a request with no SIP work (%.2f us batched): %.2fx SIPp'\''s; " \
			       "a third of SIPp'\''s is %.2f us, %s the floor; sip costs %.2fx the floor\n",
			       list[j], best[f], best[fb], lo / best[o], best[o] / 3,
			       best[o] / 3 < lo ? "below" : "above", best[k] / lo
		}
	}' "$B/cost.runs"
else
	echo "flood cost skipped: it needs /usr/bin/time and bash"
fi

exit "$status"
