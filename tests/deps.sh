#!/bin/sh
# deps.sh - installs the Debian packages sip needs, only those missing:
#   sh tests/deps.sh build   compiler, headers and libraries to build
#   sh tests/deps.sh test    tools the tests, make lint and make fuzz use
# Runs apt-get update once, and only when something is missing; uses sudo
# when not root. Does nothing when everything is installed.
set -eu

case ${1:-} in
build)
	pkgs="build-essential pkg-config libreadline-dev libc-ares-dev libssl-dev clang"
	;;
test)
	# mandoc, shellcheck: man pages and scripts; jq: JSON output; clang with
	# its runtime: libFuzzer; valgrind: make bench; cppcheck, clang-format:
	# make lint; zsh, fish: the completion test.
	pkgs="mandoc shellcheck jq clang libclang-rt-dev valgrind cppcheck clang-format zsh fish"
	;;
*)
	echo "usage: sh tests/deps.sh build|test" >&2
	exit 2
	;;
esac

missing=
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -eq 0 ]; then
	sudo=
elif command -v sudo >/dev/null 2>&1; then
	sudo=sudo
else
	echo "deps.sh: need root or sudo to install:$missing" >&2
	exit 1
fi

echo "deps.sh: installing$missing"
$sudo apt-get update -q
# shellcheck disable=SC2086 # one word per package
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
