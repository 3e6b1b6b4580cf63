#!/bin/sh
# chroot.sh - the README's two commands, run as a new user runs them, on a
# bare Debian: a minbase debootstrap of this machine's release with git and
# a clone of this project's HEAD in it, nothing else. As root:
#
#   sh tests/chroot.sh [DIR]        DIR defaults to /var/tmp/sip-chroot
#
# Makes DIR anew (the downloaded packages are kept in DIR.cache), clones the
# project to DIR/root/sip and ../shared beside it when there is one, then
# runs in the chroot `sh tests/deps.sh build && make all demo` and then
# `make test`, their output on stdout and in DIR.build.log and DIR.test.log.
# Ends with the test run's closing line and exits 1 when either failed;
# when no chroot can be had here (not root, no Debian mirror, debootstrap
# failing to fetch), it says why and ends "0 passed, 0 failed, 1 skipped".
#
# The chroot shares this machine's network (the tests use loopback only) and
# so gets a policy-rc.d that keeps packages from starting their services, as
# a chroot should; /etc/hosts and resolv.conf are this machine's. The Debian
# mirror is the one apt uses here, or $DEBIAN_MIRROR.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
DIR=${1:-/var/tmp/sip-chroot}
case $DIR in
/*) ;;
*) DIR=$ROOT/$DIR ;;
esac

die() {
	printf 'chroot.sh: %s\n' "$1" >&2
	exit 1
}

# cannot WHY: no chroot can be had here; not a failure of the project's.
cannot() {
	printf 'skip bare Debian: %s\n0 passed, 0 failed, 1 skipped\n' "$1"
	exit 0
}

[ "$(id -u)" -eq 0 ] || cannot "needs root (debootstrap, chroot, mount)"
sh tests/deps.sh pkg debootstrap git || cannot "debootstrap cannot be installed"
PATH=$PATH:/usr/sbin:/sbin

# The first Debian archive apt uses here, security updates aside.
host_mirror() {
	{
		sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null
		sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*\).*/\2/p' \
			/etc/apt/sources.list 2>/dev/null
	} | tr ' ' '\n' | grep -v -e security -e '^$' | grep -m 1 '/debian/*$'
}
MIRROR=${DEBIAN_MIRROR:-$(host_mirror)}
[ -n "$MIRROR" ] || cannot "no Debian mirror in /etc/apt; set DEBIAN_MIRROR"
# shellcheck disable=SC1091 # the host's
SUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$SUITE" ] || cannot "/etc/os-release names no release"

# unmount_all: kills what still runs in the chroot and unmounts it.
unmount_all() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$DIR" ] && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	awk -v d="$DIR" 'index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r |
		while IFS= read -r m; do
			umount "$m" 2>/dev/null || umount -l "$m"
		done
}
trap unmount_all EXIT
trap 'exit 1' HUP INT TERM

unmount_all
rm -rf "$DIR" || die "cannot remove $DIR"
mkdir -p "$DIR.cache"
echo "chroot.sh: debootstrap --variant=minbase $SUITE $DIR"
debootstrap --variant=minbase --include=git --cache-dir="$DIR.cache" "$SUITE" "$DIR" "$MIRROR" \
	>"$DIR.debootstrap.log" 2>&1 || cannot "debootstrap failed: $(tail -n 1 "$DIR.debootstrap.log")"

# What an installed Debian has that debootstrap leaves out, and the chroot's
# promise not to start services on the shared network.
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
	cp /etc/apt/sources.list.d/debian.sources "$DIR/etc/apt/sources.list.d/"
	: >"$DIR/etc/apt/sources.list"
fi
cp /etc/resolv.conf "$DIR/etc/resolv.conf"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$DIR/etc/hosts"
printf '#!/bin/sh\nexit 101\n' >"$DIR/usr/sbin/policy-rc.d"
chmod 755 "$DIR/usr/sbin/policy-rc.d"

git clone -q "$ROOT" "$DIR/root/sip" || die "git clone failed"
if [ -d "$ROOT/../shared" ]; then
	cp -rL "$ROOT/../shared" "$DIR/root/shared"
	chmod -R a-w "$DIR/root/shared"
fi

if ! mount -t proc proc "$DIR/proc" || ! mount -t sysfs sysfs "$DIR/sys" ||
	! mount --rbind /dev "$DIR/dev" || ! mount --make-rslave "$DIR/dev"; then
	die "cannot mount /proc, /sys and /dev in $DIR"
fi

# in_chroot LOG COMMAND: runs the shell COMMAND in the project's clone with
# the environment of a root login, its output on stdout and in LOG; returns
# its status.
in_chroot() {
	echo "chroot.sh: \$ $2"
	timeout -k 10 3600 chroot "$DIR" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		sh -c "cd /root/sip && { $2; }; echo \"chroot.sh: exit \$?\"" </dev/null 2>&1 |
		tee "$1"
	tail -n 1 "$1" | grep -qx 'chroot.sh: exit 0'
}

rc=0
if ! in_chroot "$DIR.build.log" 'sh tests/deps.sh build && make all demo' ||
	! in_chroot "$DIR.test.log" 'make test'; then
	rc=1
fi
echo
grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$DIR.test.log" 2>/dev/null | tail -n 1 ||
	echo "0 passed, 1 failed"
exit "$rc"
