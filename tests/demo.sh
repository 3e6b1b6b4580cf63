#!/bin/sh
# demo.sh - what `make demo` runs: decode the example messages that ship
# with sip, the way an admin would look at a capture. Needs no server.
# usage: sh tests/demo.sh [path/to/sip]
sip=${1:-cmd/sip}
dir=$(dirname "$0")/data

run() {
	printf '\n$ %s\n' "$*"
	"$@"
	printf '(exit %d)\n' "$?"
}

run "$sip" decode -o pretty "$dir/invite.sip" "$dir/busy.sip"
run "$sip" decode -o json "$dir/register.sip"
# A broken message: sip names each problem with its line, and exits 7.
run "$sip" decode -q "$dir/broken.sip"
exit 0
