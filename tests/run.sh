#!/bin/sh
# run.sh - the test driver `make test` calls: sh tests/run.sh [O [DIR...]]
#
# O is the build prefix ("" or "build/san/"). Installs what the tests use
# (tests/deps.sh test), runs ${O}tests/unit/run, then
# every tests/cmd/*.sh and tests/integration/*.sh with SIP=${O}cmd/sip
# (with DIRs, every DIR/*.sh instead, and no unit tests: `make test-hostile`),
# prints each one's output, and ends with the sum of their closing lines:
# "N passed, N failed" (", N skipped" when some were). Exits 1 when any
# test failed or a suite ended without printing its count.

cd "$(dirname "$0")/.." || exit 1
O=${1:-}
[ $# -gt 0 ] && shift
SIP=$(pwd)/${O}cmd/sip
export SIP

passed=0
failed=0
skipped=0
broken=0
log=$(mktemp "${TMPDIR:-/tmp}/sip-run.XXXXXX") || exit 1
# What failed, said again just above the count: a CI log shows its tail.
fails=$(mktemp "${TMPDIR:-/tmp}/sip-run.XXXXXX") || exit 1
trap 'rm -f "$log" "$fails"' EXIT
trap 'exit 1' HUP INT TERM

# suite NAME CMD...: runs one suite and adds its closing line to the totals.
suite() {
	name=$1
	shift
	printf '== %s\n' "$name"
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	cat "$log"
	grep -E '^FAIL ' "$log" | sed "s|^|$name: |" >>"$fails"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		printf 'run.sh: %s ended (exit %d) without printing its count\n' "$name" "$rc" |
			tee -a "$fails"
		broken=$((broken + 1))
		return
	fi
	# "3 passed, 1 failed, 2 skipped" -> 3 1 2, split into $1 $2 $3
	# shellcheck disable=SC2046
	set -- $(printf '%s\n' "$line" | tr -cs '0-9' ' ')
	passed=$((passed + $1))
	failed=$((failed + $2))
	skipped=$((skipped + ${3:-0}))
	if [ "$rc" -ne 0 ] && [ "$2" -eq 0 ]; then
		printf 'run.sh: %s exited %d with no failed test\n' "$name" "$rc" | tee -a "$fails"
		broken=$((broken + 1))
	fi
}

# What the tests use, installed when missing. Where it cannot be (not
# Debian, no root) the tests that need it say so and skip; a failed install
# is a failure.
printf '== %s\n' "sh tests/deps.sh test"
sh tests/deps.sh test </dev/null
case $? in
0 | 3) ;;
*) broken=$((broken + 1)) ;;
esac

if [ $# -gt 0 ]; then
	dirs=$*
elif [ -x "${O}tests/unit/run" ]; then
	dirs="tests/cmd tests/integration"
	suite unit "${O}tests/unit/run"
else
	dirs="tests/cmd tests/integration"
	printf 'run.sh: %stests/unit/run is not built\n' "$O"
	broken=$((broken + 1))
fi
if [ ! -x "$SIP" ]; then
	printf 'run.sh: %s is not built\n' "$SIP"
	broken=$((broken + 1))
fi
for d in $dirs; do
	for t in "$d"/*.sh; do
		[ -f "$t" ] || continue
		suite "$t" sh "$t"
	done
done

# A suite that broke counts as one failure, so the total never hides it.
failed=$((failed + broken))
echo
if [ -s "$fails" ]; then
	echo "What failed:"
	cat "$fails"
fi
if [ "$skipped" -gt 0 ]; then
	printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
else
	printf '%d passed, %d failed\n' "$passed" "$failed"
fi
[ "$failed" -eq 0 ]
