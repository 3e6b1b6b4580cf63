#!/bin/sh
# tests/bench/run.sh - `make bench`: libsip's parser against sofia-sip,
# libosip2 and libre on the same corpus (tests/bench/corpus/*.sip).
#
# Each parser gets a small program (bench_<name>.c + harness.c) that parses
# every message afresh, takes the top Via's branch, From and To tags,
# Call-ID, CSeq number and method and the first Contact's URI, and frees
# what it allocated. For each parser this prints
#   msgs/s       wall clock over BENCH_N parses (default 200000), best of 3
#   instr/msg    callgrind Ir inside bench_measured() (--toggle-collect, so
#                start-up and the corpus loading are not counted) over
#                BENCH_CG_N parses (default 2600), divided by that count
#   allocs/msg   malloc/calloc/realloc/memalign calls inside the same section,
#                counted by the harness's own malloc (it interposes on glibc's
#                for the shared libraries too; nothing is preloaded)
# then ratios, the targets (>= 3x sofia-sip's msgs/s, 0 allocs/msg; at most
# 6,500 instructions per message) and the top of libsip's profile. Then
# tests/bench/probe.sh: the wall time and peak memory of one `sip options`
# probe beside `sipsak -s`, the flood rate of `sip options -c N -i 0` beside
# SIPp's client and `sipsak -F`, and the flood's CPU per answered request and
# peak RSS at two sizes beside SIPp's looping client, all against a SIPp UAS
# on loopback (see that script). Missing competitor packages are installed
# when possible; one that cannot be had is reported as skipped. Exits
# non-zero only when libsip or sip itself cannot be built, refuses a corpus
# message or fails against the loopback server.
set -u

cd "$(dirname "$0")/../.." || exit 1
B=build/bench
CORPUS=tests/bench/corpus
N=${BENCH_N:-200000}
NCG=${BENCH_CG_N:-2600}
CC=${CC:-cc}
WARN="-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2"
BFLAGS="-std=c11 -D_GNU_SOURCE -O2 -g $WARN"
mkdir -p "$B" || exit 1

# ---- packages ---------------------------------------------------------------
# shellcheck source=tests/bench/install.sh
. tests/bench/install.sh
bench_install libsofia-sip-ua-dev libosip2-dev libre-dev valgrind pkg-config

have_valgrind=0
command -v valgrind >/dev/null 2>&1 && have_valgrind=1

# ---- build --------------------------------------------------------------------
# The corpus, sorted, as the programs' arguments.
set -- "$CORPUS"/*.sip
if [ ! -f "$1" ]; then
	echo "no corpus in $CORPUS"
	exit 1
fi
nfiles=$#

# build NAME PKG: compiles bench_NAME against the pkg-config package PKG.
build() {
	if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists "$2"; then
		echo "$2: not installed, skipped"
		return 1
	fi
	# Their headers are system headers: our warnings are not theirs.
	cflags=$(pkg-config --cflags "$2" | sed 's/\(^\| \)-I/\1-isystem /g')
	libs=$(pkg-config --libs "$2")
	# shellcheck disable=SC2086
	if ! $CC $BFLAGS $cflags -o "$B/bench_$1" "tests/bench/bench_$1.c" \
		tests/bench/harness.c $libs >"$B/build_$1.log" 2>&1; then
		echo "$2: build failed, skipped:"
		tail -n 5 "$B/build_$1.log"
		return 1
	fi
	return 0
}

if ! make -s lib/libsip.a >"$B/build_libsip.log" 2>&1; then
	echo "libsip: make lib/libsip.a failed:"
	tail -n 10 "$B/build_libsip.log"
	exit 1
fi
# shellcheck disable=SC2086
if ! $CC $BFLAGS -Ilib -o "$B/bench_sip" tests/bench/bench_sip.c tests/bench/harness.c \
	lib/libsip.a >"$B/build_sip.log" 2>&1; then
	echo "libsip: the benchmark does not build:"
	tail -n 10 "$B/build_sip.log"
	exit 1
fi
parsers=sip
build sofia sofia-sip-ua && parsers="$parsers sofia"
build osip libosip2 && parsers="$parsers osip"
build re libre && parsers="$parsers re"

label() {
	case $1 in
	sip) echo sip ;;
	sofia) echo sofia-sip ;;
	osip) echo libosip2 ;;
	re) echo libre ;;
	esac
}

# val FILE KEY: the number after KEY in a harness output file.
val() {
	awk -v k="$2" '$1 == k { print $2 }' "$1" 2>/dev/null
}

# ---- run -------------------------------------------------------------------------
echo "corpus: $nfiles messages in $CORPUS; $N parses per timed run (best of 3);" \
	"$NCG parses under callgrind"
status=0
rm -f "$B/results.new"
for p in $parsers; do
	name=$(label "$p")
	prog=$B/bench_$p
	rm -f "$B/$p.time" "$B/$p.count" "$B/cg.$p.out"

	if ! "$prog" check "$@" >"$B/$p.check" 2>&1; then
		echo "$name: refused a corpus message:"
		grep 'parse error' "$B/$p.check"
		[ "$p" = sip ] && status=1
		echo "$p - - - - refused" >>"$B/results.new"
		continue
	fi
	if [ "$p" = sip ]; then
		fields=reference
	elif [ ! -f "$B/sip.check" ]; then
		fields=unchecked
	elif cmp -s "$B/sip.check" "$B/$p.check"; then
		fields=same
	else
		fields=differ
		echo "$name: extracted fields differ from sip's:"
		diff "$B/sip.check" "$B/$p.check" | sed -n '2,20p'
	fi

	"$prog" time "$N" "$@" >"$B/$p.time" 2>&1
	if [ "$have_valgrind" = 1 ]; then
		valgrind -q --tool=callgrind --collect-atstart=no --toggle-collect=bench_measured \
			--callgrind-out-file="$B/cg.$p.out" "$prog" count "$NCG" "$@" \
			>"$B/$p.count" 2>"$B/$p.cg.log"
	else
		"$prog" count "$NCG" "$@" >"$B/$p.count" 2>&1
	fi

	rate=$(val "$B/$p.time" rate)
	ns=$(val "$B/$p.time" ns_per_msg)
	allocs=$(val "$B/$p.count" allocs)
	ir=
	[ -f "$B/cg.$p.out" ] && ir=$(awk '$1 == "totals:" { print $2 }' "$B/cg.$p.out")
	echo "$p ${rate:--} ${ns:--} ${ir:--} ${allocs:--} $fields" >>"$B/results.new"
done
[ -f "$B/results.new" ] && mv "$B/results.new" "$B/results"

echo
awk -v ncg="$NCG" '
function label(p) {
	return p == "sofia" ? "sofia-sip" : p == "osip" ? "libosip2" : p == "re" ? "libre" : p
}
{
	p[NR] = $1; rate[NR] = $2; ns[NR] = $3; ir[NR] = $4; al[NR] = $5; f[NR] = $6
	if ($1 == "sip") me = NR
}
END {
	printf "%-10s %12s %10s %12s %11s  %s\n", "parser", "msgs/s", "ns/msg", "instr/msg",
	       "allocs/msg", "fields"
	for (i = 1; i <= NR; i++) {
		irm = ir[i] == "-" ? "-" : sprintf("%.0f", ir[i] / ncg)
		alm = al[i] == "-" ? "-" : sprintf("%.2f", al[i] / ncg)
		printf "%-10s %12s %10s %12s %11s  %s\n", label(p[i]), rate[i], ns[i], irm, alm, f[i]
	}
	if (!me || rate[me] == "-")
		exit
	print ""
	printf "%-10s %22s %26s\n", "sip vs", "speed (sip/theirs)", "instructions (theirs/sip)"
	for (i = 1; i <= NR; i++) {
		if (i == me)
			continue
		sp = rate[i] == "-" || rate[i] == 0 ? "-" : sprintf("%.2fx", rate[me] / rate[i])
		ins = ir[i] == "-" || ir[me] == "-" || ir[me] == 0 ? "-" : sprintf("%.2fx", ir[i] / ir[me])
		printf "%-10s %22s %26s\n", label(p[i]), sp, ins
		if (p[i] == "sofia" && sp != "-")
			sofia = rate[me] / rate[i]
	}
	print ""
	zero = (al[me] == "0")
	if (sofia == "") {
		printf "target (>= 3x sofia-sip msgs/s, 0 allocs/msg): unknown, sofia-sip was skipped" \
		       " (sip allocs/msg: %s)\n", al[me] == "-" ? "-" : sprintf("%.2f", al[me] / ncg)
	} else {
		printf "target (>= 3x sofia-sip msgs/s, 0 allocs/msg): %s (%.2fx sofia-sip, %s allocs/msg)\n",
		       (sofia >= 3 && zero) ? "MET" : "NOT MET", sofia,
		       al[me] == "-" ? "-" : sprintf("%.2f", al[me] / ncg)
	}
	t = "target (at most 6,500 instructions per message)"
	if (ir[me] == "-") {
		printf "%s: unknown, no callgrind figures (valgrind missing?)\n", t
	} else {
		im = ir[me] / ncg
		printf "%s: %s (%.0f instr/msg", t, im <= 6500 ? "MET" : "NOT MET", im
		for (i = 1; i <= NR; i++)
			if (p[i] == "sofia" && ir[i] != "-")
				printf "; sofia-sip %.0f", ir[i] / ncg
		print ")"
	}
}' "$B/results"

if [ -f "$B/cg.sip.out" ] && command -v callgrind_annotate >/dev/null 2>&1; then
	echo
	echo "sip profile (callgrind over $NCG parses; full data in $B/cg.sip.out)"
	# Lines look like "3,275,300 (19.15%)  /path/lib/msg.c:sip_msg_parse [/path/bench_sip]";
	# a function can come in several lines (inlined code keeps its own file):
	# self costs are added up, inclusive ones take the largest.
	top() {
		callgrind_annotate --auto=no --inclusive="$1" "$B/cg.sip.out" 2>/dev/null |
			awk -v incl="$1" -v root="$PWD/" '
			!/^ *[0-9][0-9,]* *\( *[0-9.]+%\)/ { next }
			{
				ir = $1; gsub(",", "", ir); ir += 0
				line = $0; sub(/^[^)]*\) */, "", line); sub(/ \[[^]]*\]$/, "", line)
			}
			line == "PROGRAM TOTALS" { total = ir; next }
			line ~ /harness\.c|bench_sip\.c|libc-start|below main|\?\?\?:/ { next }
			{
				fn = line; sub(/.*:/, "", fn); file = line; sub(/:[^:]*$/, "", file)
				sub(root, "", file); sub(/^\.\//, "", file)
				if (!(fn in where)) where[fn] = file
				if (incl == "yes") { if (ir > cost[fn]) cost[fn] = ir } else cost[fn] += ir
			}
			END {
				for (fn in cost)
					printf "%d %6.2f%%  %s (%s)\n", cost[fn], 100 * cost[fn] / total, fn, where[fn]
			}' | sort -rn | head -n "$2" | cut -d' ' -f2-
	}
	echo " self cost:"
	top no 12
	echo " inclusive:"
	top yes 8
fi

# ---- the network figures ------------------------------------------------------------
# One probe and a flood against a loopback server, beside sipsak and SIPp.
sh tests/bench/probe.sh || status=1
exit "$status"
