#!/bin/sh
# lint.sh - `make lint`: mandoc -Tlint and groff -mandoc -ww (what man(1)
# renders with on Debian) on the man pages, shellcheck on the
# scripts and the bash completion, cppcheck on lib/ and cmd/, and
# clang-format --dry-run against .clang-format on every C file; any finding
# fails the run, and so does a tool that is not installed. Ends with
# "N passed, N failed".

cd "$(dirname "$0")/.." || exit 1
passed=0
failed=0
out=$(mktemp "${TMPDIR:-/tmp}/sip-lint.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT

# step NAME TOOL CMD...: runs CMD, which uses TOOL; it passes when it exits 0
# and prints nothing.
step() {
	name=$1
	shift
	if ! command -v "$1" >/dev/null 2>&1; then
		printf 'FAIL %s: %s is not installed (sh tests/deps.sh test)\n' "$name" "$1"
		failed=$((failed + 1))
		return
	fi
	shift
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
# (tshark(1)) until their package is: not a defect of ours. One page a run:
# mandoc buffers its findings on stdout and writes the mandoc.db notes to
# stderr unbuffered, so over 4 KiB of findings a note lands inside a line,
# which the filter then lets through.
mandoc_lint() {
	for f; do
		mandoc -Tlint "$f" 2>&1
	done |
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

step "mandoc -Tlint man/*.1" mandoc mandoc_lint man/*.1
# groff reads mdoc its own way: a reference title starting "An" calls the
# author macro there ("cannot chop empty macro"), not in mandoc. Some
# warnings come on one device only (a macro as .Ql's first argument on the
# default one), so both are read: the terminal's and groff's default.
groff_lint() {
	for f in man/*.1; do
		groff -mandoc -ww -Tutf8 -z "$f" 2>&1 | sed "s|^|$f: |"
		groff -mandoc -ww -z "$f" 2>&1 | sed "s|^|$f: |"
	done
}
step "groff -mandoc -ww man/*.1" groff groff_lint
# shellcheck disable=SC2086 # one word per file
step "shellcheck" shellcheck shellcheck -x $scripts
step "shellcheck completions/sip.bash" shellcheck shellcheck -s bash completions/sip.bash
step "cppcheck lib/ cmd/" cppcheck cppcheck --quiet --error-exitcode=1 --std=c11 \
	--enable=warning,portability,performance --inline-suppr \
	--suppress=missingIncludeSystem -D__GNUC__ -Ilib -Icmd lib cmd

# clang-format: every C file as .clang-format has it; the differences shown.
clang_format_check() {
	for f in lib/*.c lib/*.h lib/sip/*.h cmd/*.c cmd/*.h tests/*/*.c tests/*/*.h; do
		clang-format --dry-run "$f" 2>&1 | head -n 6
	done
}
step "clang-format" clang-format clang_format_check

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
