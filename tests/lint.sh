#!/bin/sh
# lint.sh - `make lint`: mandoc -Tlint on the man pages, shellcheck on the
# scripts and the bash completion, cppcheck on lib/ and cmd/, and
# clang-format --dry-run against .clang-format. The clang-format step only
# reports (the code is not yet formatted by it throughout); the others fail
# the run. Ends with "N passed, N failed".

cd "$(dirname "$0")/.." || exit 1
passed=0
failed=0
out=$(mktemp "${TMPDIR:-/tmp}/sip-lint.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT

# step NAME CMD...: runs CMD; it passes when it exits 0 and prints nothing.
step() {
	name=$1
	shift
	if ! command -v "$1" >/dev/null 2>&1; then
		printf 'FAIL %s: %s is not installed (sh tests/deps.sh test)\n' "$name" "$1"
		failed=$((failed + 1))
		return
	fi
	"$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && [ ! -s "$out" ]; then
		printf 'ok   %s\n' "$name"
		passed=$((passed + 1))
	else
		printf 'FAIL %s\n' "$name"
		sed 's/^/     /' "$out"
		failed=$((failed + 1))
	fi
}

# mandoc cannot find our own pages until they are installed, nor others'
# (tshark(1)) until their package is: not a defect of ours.
mandoc_lint() {
	mandoc -Tlint "$@" 2>&1 |
		grep -v -E -e 'STYLE: referenced manual not found: Xr ' \
			-e 'outdated mandoc.db'
	return 0
}

scripts=$(find tests examples .ci -name build -prune -o -type f \( -name '*.sh' -o -name run \) \
	-print 2>/dev/null | while IFS= read -r f; do
	case $(head -n 1 "$f") in
	'#!/bin/sh'* | '#!/usr/bin/env bash'* | '#!/bin/bash'* | '# '*) printf '%s\n' "$f" ;;
	esac
done | sort)

step "mandoc -Tlint man/*.1" mandoc_lint man/*.1
# shellcheck disable=SC2086 # one word per file
step "shellcheck" shellcheck -x $scripts
step "shellcheck completions/sip.bash" shellcheck -s bash completions/sip.bash
step "cppcheck lib/ cmd/" cppcheck --quiet --error-exitcode=1 --std=c11 \
	--enable=warning,portability,performance --inline-suppr \
	--suppress=missingIncludeSystem -D__GNUC__ -Ilib -Icmd lib cmd

# clang-format: report the files it would change, never fail.
if command -v clang-format >/dev/null 2>&1; then
	n=0
	for f in lib/*.c lib/*.h cmd/*.c cmd/*.h; do
		w=$(clang-format --dry-run "$f" 2>&1 | grep -c 'warning:')
		if [ "$w" -gt 0 ]; then
			printf 'note clang-format: %s: %s lines differ from .clang-format\n' "$f" "$w"
			n=$((n + 1))
		fi
	done
	printf 'ok   clang-format (report only: %d file(s) differ)\n' "$n"
	passed=$((passed + 1))
else
	printf 'FAIL clang-format: not installed (sh tests/deps.sh test)\n'
	failed=$((failed + 1))
fi

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
