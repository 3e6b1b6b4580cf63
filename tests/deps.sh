#!/bin/sh
# deps.sh - installs the Debian packages sip needs, only those missing:
#   sh tests/deps.sh build     the compiler, make and the libraries to build
#   sh tests/deps.sh test      every tool `make test`, `make lint` and
#                              `make fuzz` use (`make test` runs this first)
#   sh tests/deps.sh pkg P...  the packages named
# Runs apt-get update once, and only when something is missing; uses sudo
# when not root. Exits 0 when all are installed, 1 when apt-get failed, and
# 3 when they cannot be had here at all (not Debian, or no root nor sudo),
# the reason on stderr.
set -u

# A bare Debian (debootstrap --variant=minbase) has coreutils, grep, sed,
# mawk, findutils, diffutils, bsdutils (script) and util-linux; the rest
# the scripts call comes from these.
build="build-essential pkg-config libreadline-dev libc-ares-dev libssl-dev libwslay-dev"
# iproute2: ss, which finds free ports and waits for peers to listen;
# procps: ps, pgrep; openssl: the test certificates; sip-tester: SIPp;
# dnsmasq-base: the DNS server without its system service; mandoc,
# groff-base: the man page lint; jq: JSON output; zsh, fish: completions;
# tmux: a real terminal for Ctrl-Z at the password prompt;
# binutils: readelf, nm; shellcheck, cppcheck, clang-format: make lint;
# clang and its runtime: make fuzz and the clang build; valgrind: make bench;
# kamailio-presence-modules: the presence server of subscribe.sh; netbase:
# /etc/protocols, without which Kamailio opens no TCP socket (a bare Debian
# has none: "tcp_init(): could not get TCP protocol number"); nftables: the
# packet loss of `make test-hostile`.
test="$build iproute2 procps openssl sip-tester kamailio kamailio-tls-modules tshark
	kamailio-presence-modules kamailio-websocket-modules netbase nftables
	dnsmasq-base mandoc groff-base jq zsh fish tmux binutils shellcheck cppcheck clang-format
	clang libclang-rt-dev valgrind"

case ${1:-} in
build) pkgs=$build ;;
test) pkgs=$test ;;
pkg)
	shift
	pkgs=$*
	;;
*)
	echo "usage: sh tests/deps.sh build|test|pkg PACKAGE..." >&2
	exit 2
	;;
esac

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
	echo "deps.sh: not a Debian system (no dpkg-query or apt-get); install by hand: $pkgs" >&2
	exit 3
fi
missing=
for p in $pkgs; do
	installed "$p" || missing="$missing $p"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -eq 0 ]; then
	sudo=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	sudo=sudo
else
	echo "deps.sh: need root or sudo to install:$missing" >&2
	exit 3
fi

log=$(mktemp "${TMPDIR:-/tmp}/sip-deps.XXXXXX") || exit 1
trap 'rm -f "$log"' EXIT
echo "deps.sh: installing$missing"
# Wireshark's question about a setuid dumpcap: no (the tests run as root).
echo 'wireshark-common wireshark-common/install-setuid boolean false' |
	$sudo debconf-set-selections 2>/dev/null
$sudo apt-get update -q >"$log" 2>&1
# shellcheck disable=SC2086 # one word per package
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	$missing >>"$log" 2>&1

# The tests run their own Kamailio on their own ports: not the system's.
case " $missing " in
*" kamailio "*)
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		$sudo systemctl disable --now kamailio >/dev/null 2>&1
	elif [ -x /etc/init.d/kamailio ]; then
		$sudo /etc/init.d/kamailio stop >/dev/null 2>&1
		$sudo update-rc.d kamailio disable >/dev/null 2>&1
	fi
	;;
esac

left=
for p in $missing; do
	installed "$p" || left="$left $p"
done
if [ -n "$left" ]; then
	echo "deps.sh: apt-get install failed for$left: $(grep -E '^E:' "$log" | tail -n 1)" >&2
	exit 1
fi
exit 0
