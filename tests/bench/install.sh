# shellcheck shell=sh
# install.sh - sourced by the benchmark scripts: bench_install PKG...
# installs the Debian packages that are missing (one apt-get update, only
# when something is missing), as root or through sudo -n; a benchmark goes
# on without what cannot be had. $B is the scratch directory for the log.
bench_install() {
	command -v dpkg >/dev/null 2>&1 || return 0
	missing=
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -n "$missing" ] || return 0
	sudo=
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
			sudo="sudo -n"
		else
			echo "cannot install$missing (not root); going on without them"
			return 0
		fi
	fi
	echo "installing$missing"
	# $sudo and $missing are word lists on purpose.
	# shellcheck disable=SC2086
	if ! { $sudo apt-get update -qq &&
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; } \
		>"$B/apt.log" 2>&1; then
		echo "apt-get failed (last lines of $B/apt.log):"
		tail -n 5 "$B/apt.log"
	fi
}
