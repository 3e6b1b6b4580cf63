#!/bin/sh
# demo.sh - what `make demo` runs: decode the example messages that ship
# with sip, then start a responder on loopback and probe it the way an
# admin probes a server. Needs no outside server.
# usage: sh tests/demo.sh [path/to/sip]
sip=${1:-cmd/sip}
dir=$(dirname "$0")/data

run() {
	printf '\n$ %s\n' "$*"
	"$@"
	printf '(exit %d)\n' "$?"
}

run "$sip" decode -o pretty "$dir/invite.sip" "$dir/busy.sip"
# A broken message: sip names each problem with its line, and exits 7.
run "$sip" decode -q "$dir/broken.sip"

# A responder on a free loopback port; it says which port on its first line.
log=$(mktemp "${TMPDIR:-/tmp}/sip-demo.XXXXXX") || exit 1
"$sip" listen 127.0.0.1:0 --count 6 -q 2>"$log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; rm -f "$log"' EXIT
port=
i=0
while [ -z "$port" ] && [ $i -lt 50 ]; do
	port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")
	[ -n "$port" ] || sleep 0.1
	i=$((i + 1))
done
if [ -z "$port" ]; then
	echo "demo: sip listen did not start:" >&2
	cat "$log" >&2
	exit 1
fi
run "$sip" options -o pretty "127.0.0.1:$port"
run "$sip" options -c 3 -i 0.2 "127.0.0.1:$port"
run "$sip" options -o nagios "127.0.0.1:$port"
run "$sip" options -t tcp -q "127.0.0.1:$port"
exit 0
