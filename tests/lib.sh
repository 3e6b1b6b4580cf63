# shellcheck shell=sh
# lib.sh - the test library every shell test sources (POSIX sh).
#
#   . tests/lib.sh
#   t_run "unknown option" 2 "$SIP" decode --foo   # runs it, checks the exit status
#   t_err_has "unknown option '--foo'"             # checks what the last t_run printed
#   t_done                                         # "N passed, N failed[, N skipped]"
#
# t_run keeps the last command's output in $T_OUT and $T_ERR (files) and its
# status in $T_RC. Every check prints "ok" or "FAIL" with its name and counts
# towards the closing line; t_done exits 1 when anything failed. $SIP is the
# binary under test (tests/run.sh exports it); $T_ROOT is the source tree.

T_PASSED=0
T_FAILED=0
T_SKIPPED=0
T_NAME=
T_RC=0
T_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SIP=${SIP:-$T_ROOT/cmd/sip}
case $SIP in
/*) ;;
*) SIP=$T_ROOT/$SIP ;;
esac
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sip-test.XXXXXX") || exit 1
T_OUT=$T_TMP/out
T_ERR=$T_TMP/err
: >"$T_OUT"
: >"$T_ERR"
trap 'rm -rf "$T_TMP"' EXIT
trap 'exit 1' HUP INT TERM
export SIP T_ROOT T_TMP

t_ok() {
	T_PASSED=$((T_PASSED + 1))
	printf 'ok   %s\n' "$1"
}

# t_fail NAME [WHY]
t_fail() {
	T_FAILED=$((T_FAILED + 1))
	printf 'FAIL %s%s\n' "$1" "${2:+: $2}"
}

# t_skip NAME WHY
t_skip() {
	T_SKIPPED=$((T_SKIPPED + 1))
	printf 'skip %s: %s\n' "$1" "$2"
}

# t_show: the last command's output, indented, after a failure.
t_show() {
	sed -n '1,20s/^/     out| /p' "$T_OUT"
	sed -n '1,20s/^/     err| /p' "$T_ERR"
}

# t_run NAME EXPECTED_EXIT CMD [ARG...]: runs CMD with no stdin (or $T_STDIN).
t_run() {
	T_NAME=$1
	t_want=$2
	shift 2
	"$@" <"${T_STDIN:-/dev/null}" >"$T_OUT" 2>"$T_ERR"
	T_RC=$?
	if [ "$T_RC" -eq "$t_want" ]; then
		t_ok "$T_NAME"
	else
		t_fail "$T_NAME" "exit $T_RC, expected $t_want"
		t_show
	fi
}

# t_check DESCRIPTION CMD...: passes when CMD succeeds.
t_check() {
	t_what=$1
	shift
	if "$@"; then
		t_ok "$T_NAME: $t_what"
	else
		t_fail "$T_NAME: $t_what"
		t_show
	fi
}

# t_out_has / t_err_has STRING: the last output contains STRING (fixed text).
t_out_has() { t_check "stdout has '$1'" grep -qF -e "$1" "$T_OUT"; }
t_err_has() { t_check "stderr has '$1'" grep -qF -e "$1" "$T_ERR"; }
t_out_lacks() { t_check "stdout lacks '$1'" t_lacks "$1" "$T_OUT"; }
t_err_lacks() { t_check "stderr lacks '$1'" t_lacks "$1" "$T_ERR"; }
t_lacks() { ! grep -qF -e "$1" "$2"; }

# t_out_empty / t_err_empty
t_out_empty() { t_check "stdout is empty" test ! -s "$T_OUT"; }
t_err_empty() { t_check "stderr is empty" test ! -s "$T_ERR"; }

# t_err_lines N: stderr has exactly N lines.
t_err_lines() { t_check "stderr has $1 line(s)" t_nlines "$1" "$T_ERR"; }
t_out_lines() { t_check "stdout has $1 line(s)" t_nlines "$1" "$T_OUT"; }
t_nlines() { [ "$(wc -l <"$2" | tr -d ' ')" -eq "$1" ]; }

# t_eq NAME EXPECTED ACTUAL
t_eq() {
	if [ "$2" = "$3" ]; then
		t_ok "$1"
	else
		t_fail "$1" "got '$3', expected '$2'"
	fi
}

# t_have PROGRAM: true when PROGRAM is installed.
t_have() { command -v "$1" >/dev/null 2>&1; }

# t_need NAME WHAT...: true when every WHAT is there, installing what is
# missing with tests/deps.sh. A WHAT is PROGRAM=PACKAGE, or a PACKAGE that
# has the program of its name (a library package has none and is asked of
# dpkg). When they cannot be had here at all (not Debian, no root), NAME is
# skipped with the reason; when installing failed, NAME fails.
t_need() {
	t_what=$1
	shift
	t_pkgs=
	for t_w in "$@"; do
		t_have "${t_w%%=*}" || t_pkgs="$t_pkgs ${t_w#*=}"
	done
	[ -n "$t_pkgs" ] || return 0
	# shellcheck disable=SC2086 # one word per package
	sh "$T_ROOT/tests/deps.sh" pkg $t_pkgs >"$T_TMP/deps.out" 2>"$T_TMP/deps.err"
	case $? in
	0) return 0 ;;
	3) t_skip "$t_what" "$(tail -n 1 "$T_TMP/deps.err")" ;;
	*) t_fail "$t_what" "$(tail -n 1 "$T_TMP/deps.err")" ;;
	esac
	return 1
}

t_done() {
	if [ "$T_SKIPPED" -gt 0 ]; then
		printf '%d passed, %d failed, %d skipped\n' "$T_PASSED" "$T_FAILED" "$T_SKIPPED"
	else
		printf '%d passed, %d failed\n' "$T_PASSED" "$T_FAILED"
	fi
	[ "$T_FAILED" -eq 0 ]
	exit
}
