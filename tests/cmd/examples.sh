#!/bin/sh
# examples.sh - the README's and the man pages' examples, run: so that they
# cannot drift from what the commands do.
#
# An example that can run on loopback is marked where it is written, on the
# line before it:
#   README.md:  <!-- example: NAME [PEER...] -->   before an indented block
#   man/*.1:    .\" example: NAME [PEER...]        before .Dl or .Bd -literal
# Its "$ " lines are run in order (each through bash -c, the reader's shell,
# where `time` is a keyword even without /usr/bin/time; with `sip` the binary
# under test and the documented ports mapped to free ones); the lines that
# follow one are its output as documented, stdout and stderr together. The
# output's shape is compared: ports, times, sizes, tags, branches, Call-IDs
# and nonces are normalised on both sides, and so are runs of blanks. A
# block with a "..." line, or marked "subset", shows some lines of the
# output: they must appear in order. Otherwise the output is the same.
#
# PEERs, started before the block and stopped after it:
#   port=PORT        a free port stands for PORT (nothing listens on it but
#                    what the block starts; a command that ends in "&" runs
#                    in the background until the block is over)
#   listen=PORT      sip listen -q on 127.0.0.1:PORT (the documented PORT)
#   dnsmasq=PORT     dnsmasq serving the README's example.test zone
#   sipp=SCEN:PORT[:KEY=VALUE...]
#                    SIPp running tests/integration/sipp/SCEN.xml, its
#                    keys (-key KEY VALUE) set
#   kamailio=PORT    the Kamailio registrar of tests/integration/register.sh,
#                    with alice (password secret); one for the whole run, so
#                    that the bindings one example makes are there in the next
#   binding=PORT:S   alice registered from 127.0.0.1:PORT for S seconds first
#   probe=PORT       the block's last command is a responder on PORT: it is
#                    started in the background, probed once with OPTIONS,
#                    then interrupted, and its output compared
#   workdir          run in an empty directory (the example writes files);
#                    README examples run in the source tree, the pages' in
#                    an empty directory of their own
#   certs            a CA (ca.pem) and a server certificate for 127.0.0.1
#                    (server.pem, server.key) in that directory
#   subset           the output shown is some of its lines
#   exit=K:N         its K-th command exits N (the text says so); every other
#                    one exits 0
#
# Documented ports stand for the same free port in every block, and a
# command `export NAME=VALUE` holds for the blocks after it, as in the
# reader's shell.
#
# Every other example, command by command, must match a reason in SKIPS
# below: one that is neither fails the test, so a new example is either run
# or said not to be runnable here, and why.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/integration/lib/peers.sh
. "$T_ROOT/tests/integration/lib/peers.sh"

# PATTERN<TAB>REASON: the examples (extended regular expressions on the
# command line) that cannot run on loopback.
SKIPS='example\.(com|net|org)|\.example\b|corp\.example	names a server on the Internet, which a test on loopback cannot reach
192\.0\.2\.|198\.51\.100\.|203\.0\.113\.	names a documentation address (RFC 5737) that no peer answers on
capture\.sip|tcp-dump\.txt|msg\.sip|notify\.sip|req\.sip|info\.sip|msgs/|servers\.txt|pbpaste	reads a file or clipboard of the reader'"'"'s
deps\.sh|^make |chroot\.sh|^sh tests/	builds, installs or runs the test suite: make test and tests/chroot.sh run these
0\.0\.0\.0|^sip listen$|^host\$ |^far\$ 	listens on every address, or on two hosts
--tls --cert|sip\.pem	needs a certificate of the reader'"'"'s (TLS is tested in tests/integration/options.sh)
tshark -i any|SSLKEYLOGFILE|wireshark|^kill %1	captures the wire or opens a window
^export SIP_PASSWORD	sets a variable for the next commands, which name a server on the Internet
\[::1\]:5060	listens on the standard port 5060, which may be taken
^define command|^    command_|^}	a Nagios configuration, not a command
^sip resolve -o json -t tcp example\.com	names a server on the Internet
--keep -e 4	stays registered until Ctrl-C
-c 1 127\.0\.0\.1:0|-c 100 127\.0\.0\.1:5080	waits for requests that another program is to send
^tshark -r (call|tls)\.pcap -(Y|o)	reads the capture an example before it made of a server on the Internet'

# The peers the examples run against, installed when missing; an example
# whose peer cannot be had fails saying so.
t_need "the examples' peers" sipp=sip-tester dnsmasq=dnsmasq-base kamailio tshark jq openssl \
	ss=iproute2

examples=$T_TMP/examples
mkdir -p "$examples" "$T_TMP/bin"
ln -sf "$SIP" "$T_TMP/bin/sip"
# `sip` in an example is the binary under test.
PATH=$T_TMP/bin:$PATH
export PATH

# ---- extraction --------------------------------------------------------------

# readme_blocks FILE: for each marked block, writes $examples/N.spec
# (file, name, peers) and $examples/N.text (the block, unindented).
readme_blocks() {
	awk -v dir="$examples" -v src="$1" -v base="${2:-0}" '
	function flush() {
		if (n) {
			while (n && lines[n] == "") n--
			f = dir "/" (base + nb) ".text"
			for (i = 1; i <= n; i++) print lines[i] > f
			close(f)
		}
		n = 0; inblock = 0
	}
	/^<!-- example: .* -->$/ {
		flush()
		spec = $0; sub(/^<!-- example: /, "", spec); sub(/ -->$/, "", spec)
		nb++
		print src " " spec > (dir "/" (base + nb) ".spec")
		close(dir "/" (base + nb) ".spec")
		want = 1; next
	}
	want && /^$/ && !inblock { next }
	want && /^    / { inblock = 1; sub(/^    /, ""); lines[++n] = $0; next }
	want && /^$/ { lines[++n] = ""; next }
	want { flush(); want = 0 }
	END { flush() }
	' "$1"
}

# man_blocks FILE BASE: the same for a page's ".\" example:" marks.
man_blocks() {
	awk -v dir="$examples" -v src="$1" -v base="$2" '
	function unesc(s) { gsub(/\\e/, "\\", s); gsub(/\\&/, "", s); gsub(/\\-/, "-", s); return s }
	/^\.\\" example: / {
		spec = $0; sub(/^\.\\" example: /, "", spec)
		nb++; f = dir "/" (base + nb) ".text"
		print src " " spec > (dir "/" (base + nb) ".spec")
		close(dir "/" (base + nb) ".spec")
		want = 1; next
	}
	want && /^\.Dl / { sub(/^\.Dl /, ""); print unesc($0) > f; close(f); want = 0; next }
	want && /^\.Bd / { inbd = 1; next }
	want && inbd && /^\.Ed/ { close(f); inbd = 0; want = 0; next }
	want && inbd { print unesc($0) > f }
	' "$1"
}

# All example commands, one a line, for the classification: README lines of
# indented blocks outside fences ("$ " lines, or each line of a block of
# commands without "$ "); in the pages, the EXAMPLES section"s .Dl lines
# and the "$ " lines (or the first line) of its literal blocks.
all_commands() {
	awk '
	/^```/ { fence = !fence; next }
	fence { next }
	/^    / {
		l = $0; sub(/^    /, "", l)
		if (!inblock) { inblock = 1; dollar = (l ~ /^\$ /) }
		if (dollar) { if (l ~ /^\$ /) print l }
		else if (l !~ /^ *#/ && l !~ /^ /) print "$ " l
		next
	}
	/^$/ { next }
	{ inblock = 0 }
	' "$T_ROOT/README.md" | sed 's/  *#.*//'
	for page in "$T_ROOT"/man/*.1; do
		awk '
		function unesc(s) { gsub(/\\e/, "\\", s); gsub(/\\&/, "", s); gsub(/\\-/, "-", s); return s }
		/^\.Sh / { ex = ($2 == "EXAMPLES") }
		ex && /^\.Dl / { sub(/^\.Dl /, ""); print unesc($0); next }
		ex && /^\.Bd/ { bd = 1; first = 1; next }
		ex && /^\.Ed/ { bd = 0; next }
		ex && bd && cont {
			sub(/ *\\$/, "", cmd); l = unesc($0); sub(/^ +/, "", l); cmd = cmd " " l
			cont = (cmd ~ /\\$/); if (!cont) print cmd; next
		}
		ex && bd {
			l = unesc($0)
			if (l ~ /^\$ / || first) {
				cmd = (l ~ /^\$ / ? l : "$ " l)
				cont = (cmd ~ /\\$/)
				if (!cont) print cmd
			}
			first = 0
		}
		' "$page"
	done
}

readme_blocks "$T_ROOT/README.md" 0
n=100
for page in "$T_ROOT"/man/*.1; do
	man_blocks "$page" "$n"
	n=$((n + 100))
done

# ---- the shape of an output ----------------------------------------------------

# normalise < TEXT: what does not vary between runs.
normalise() {
	sed -E \
		-e '/^Running as user "root" and group "root"/d' \
		-e 's/[[:space:]]+$//' \
		-e 's/branch=z9hG4bK[^;, ]*/branch=z9hG4bKX/g' \
		-e 's/tag=[^;, >"]*/tag=X/g' \
		-e 's/^(Call-ID|i): .*/\1: X/' \
		-e 's/(c?nonce|response|opaque)="[^"]*"/\1="X"/g' \
		-e 's/[0-9]+/0/g' \
		-e 's/0([.:]0)+/0/g' \
		-e 's/─+/─/g' \
		-e 's/[[:space:]]+/ /g' \
		-e 's/^ //'
}

# in_order EXPECTED ACTUAL: every line of EXPECTED but "..." is in ACTUAL,
# in that order.
in_order() {
	awk 'NR == FNR { if ($0 != "...") want[++n] = $0; next }
	     i < n && $0 == want[i + 1] { i++ }
	     END { if (i < n) { print "     missing: " want[i + 1]; exit 1 } }' "$1" "$2"
}

# ---- peers ------------------------------------------------------------------------

# map PORT: the free port that stands for a documented one, in every block.
ports=
map() {
	mapped=$(sed -n "s/^$1 //p" "$T_TMP/ports" 2>/dev/null)
	[ -n "$mapped" ] && return 0
	p_free_port || return 1
	ports="$ports s/127\\.0\\.0\\.1:$1\\b/127.0.0.1:$P_PORT/g;"
	echo "$1 $P_PORT" >>"$T_TMP/ports"
	mapped=$P_PORT
}
kam_pid=

# start_peer SPEC: starts one PEER of the block; 1 (with $why) when it cannot.
start_peer() {
	case $1 in
	listen=*)
		map "${1#*=}" || return 1
		p_start "$T_TMP/listen.$mapped.log" "$SIP" listen -q "127.0.0.1:$mapped"
		p_wait_listen udp "$mapped" "$P_PID" 50 || {
			why="sip listen does not start"
			return 1
		}
		;;
	port=*) map "${1#*=}" ;;
	certs)
		p_certs "$dir" || {
			why="openssl cannot make certificates: $(tail -n 1 "$dir/openssl.log")"
			return 1
		}
		;;
	dnsmasq=*)
		t_have dnsmasq || {
			why="no dnsmasq (tests/deps.sh test)"
			return 1
		}
		map "${1#*=}" || return 1
		p_start "$T_TMP/dnsmasq.log" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv \
			--no-hosts --port="$mapped" --listen-address=127.0.0.1 --bind-interfaces \
			--pid-file="$T_TMP/dnsmasq.pid" --local=/test/ \
			--naptr-record=example.test,10,50,s,SIP+D2T,,_sip._tcp.example.test \
			--naptr-record=example.test,20,50,s,SIP+D2U,,_sip._udp.example.test \
			--srv-host=_sip._tcp.example.test,sip1.example.test,5060,10,60 \
			--srv-host=_sip._tcp.example.test,sip2.example.test,5062,20,0 \
			--srv-host=_sip._udp.example.test,sip1.example.test,5060,10,0 \
			--host-record=sip1.example.test,127.0.0.1,::1 \
			--host-record=sip2.example.test,127.0.0.2
		p_wait_listen udp "$mapped" "$P_PID" 50 || {
			why="dnsmasq does not start: $(tail -n 1 "$T_TMP/dnsmasq.log")"
			return 1
		}
		;;
	sipp=*)
		t_have sipp || {
			why="no SIPp (tests/deps.sh test)"
			return 1
		}
		scen=${1#sipp=}
		rest=${scen#*:}
		map "${rest%%:*}" || return 1
		set -- udp
		while [ "$rest" != "${rest#*:}" ]; do
			rest=${rest#*:}
			kv=${rest%%:*}
			set -- "$@" -key "${kv%%=*}" "${kv#*=}"
		done
		p_sipp "$T_TMP/sipp.$mapped.log" "${scen%%:*}" "$mapped" 1 "$@" || {
			why=$P_WHY
			return 1
		}
		;;
	probe=*)
		map "${1#*=}" || return 1
		probe_port=$mapped
		;;
	kamailio=*)
		map "${1#*=}" || return 1
		[ -n "$kam_pid" ] && return 0
		t_have kamailio || {
			why="no Kamailio (tests/deps.sh test)"
			return 1
		}
		P_USERS="alice:secret"
		p_kamailio_registrar "$T_TMP/kam" "$mapped" || {
			why=$P_WHY
			return 1
		}
		kam_pid=$P_PID
		kam_port=$mapped
		;;
	binding=*)
		b=${1#binding=}
		map "${b%%:*}" || return 1
		SIP_PASSWORD=secret "$SIP" register -q -u alice -l "127.0.0.1:$mapped" -e "${b#*:}" \
			--timeout 5 "sip:alice@127.0.0.1:$kam_port" >"$T_TMP/binding.log" 2>&1 || {
			why="alice cannot register: $(tail -n 1 "$T_TMP/binding.log")"
			return 1
		}
		;;
	esac
	return 0
}

# ---- running a block ----------------------------------------------------------------

# run_block N: runs example N and compares its outputs with the text.
run_block() {
	read -r src name peers <"$examples/$1.spec"
	label="$(basename "$src"): $name"
	probe=
	subset=
	exits=
	dir=$T_TMP/work.$1
	mkdir -p "$dir"
	case " $src $peers " in
	*" workdir "* | *.1" "*) ;;
	*) dir=$T_ROOT ;;
	esac
	pids_before=$P_PIDS
	for peer in $peers; do
		case $peer in
		subset) subset=1 ;;
		probe=*) probe=1 ;;
		exit=*) exits="$exits ${peer#exit=}" ;;
		esac
		why=
		if ! start_peer "$peer"; then
			t_fail "$label" "${why:-no free port}"
			cleanup_block "$pids_before"
			return
		fi
	done
	grep -q '^\.\.\.$' "$examples/$1.text" && subset=1
	# Split the block: each "$ " command and the lines it prints.
	rm -f "$examples/$1".cmd.* "$examples/$1".want.*
	# A block without "$ " is one script.
	grep -q '^\$ ' "$examples/$1.text" || cp "$examples/$1.text" "$examples/$1.cmd.1"
	awk -v pre="$examples/$1" '
		/^\$ / { k++; sub(/^\$ /, ""); cmd = $0; cont = (cmd ~ /\\$/)
			 print cmd > (pre ".cmd." k); next }
		cont { print > (pre ".cmd." k); cont = ($0 ~ /\\$/); next }
		k { print > (pre ".want." k) }
	' "$examples/$1.text"
	k=1
	while [ -f "$examples/$1.cmd.$k" ]; do
		cmd=$(sed "$ports" "$examples/$1.cmd.$k")
		shown=$(printf '%s\n' "$cmd" | sed -n '1p')
		last=
		[ -f "$examples/$1.cmd.$((k + 1))" ] || last=1
		out=$examples/$1.got.$k
		case $cmd in
		"export "[A-Z]*=*)
			assignment=${cmd#export }
			assignment=${assignment%% *}
			export "${assignment?}"
			t_ok "$label: \$ $shown"
			k=$((k + 1))
			continue
			;;
		esac
		if [ -n "$probe" ] && [ -n "$last" ]; then
			run_probed "$cmd" "$out" "$dir"
		elif [ "${cmd%&}" != "$cmd" ]; then
			# in the background until the block is over; a responder is
			# waited for
			cd "$dir" || return
			p_start "$out" bash -c "exec ${cmd%&}"
			cd "$T_ROOT" || return
			bg_pid=$P_PID
			case $cmd in
			*"sip listen"*)
				p_wait_text "$out" "listening on" "$bg_pid" 50 ||
					t_fail "$label: \$ $shown" "it does not start"
				;;
			esac
		else
			(cd "$dir" && timeout 30 bash -c "$cmd" >"$out" 2>&1)
			rc=$?
			want=0
			for e in $exits; do
				[ "${e%%:*}" = "$k" ] && want=${e#*:}
			done
			if [ "$rc" -ne "$want" ]; then
				t_fail "$label: \$ $shown" "exit $rc, expected $want"
				sed -n '1,10s/^/     | /p' "$out"
			fi
		fi
		if [ -s "$examples/$1.want.$k" ]; then
			normalise <"$examples/$1.want.$k" >"$out.want"
			normalise <"$out" >"$out.norm"
			if [ -n "$subset" ]; then
				if in_order "$out.want" "$out.norm" >"$out.why"; then
					t_ok "$label: \$ $shown"
				else
					t_fail "$label: \$ $shown" "the output drifted from the docs"
					cat "$out.why"
					sed -n '1,30s/^/     got| /p' "$out"
				fi
			elif cmp -s "$out.want" "$out.norm"; then
				t_ok "$label: \$ $shown"
			else
				t_fail "$label: \$ $shown" "the output drifted from the docs"
				diff "$out.want" "$out.norm" | sed -n '1,30s/^/     /p'
			fi
		else
			t_ok "$label: \$ $shown"
		fi
		k=$((k + 1))
	done
	cleanup_block "$pids_before"
}

# run_probed CMD OUT DIR: a responder on $probe_port, probed once, then
# interrupted.
run_probed() {
	(cd "$3" && exec timeout 30 bash -c "exec $1") >"$2" 2>&1 &
	r_pid=$!
	if p_wait_text "$2" "listening on" "$r_pid" 50; then
		"$SIP" options -q --timeout 3 "127.0.0.1:$probe_port" >/dev/null 2>&1
		sleep 0.3
	fi
	kill -INT "$r_pid" 2>/dev/null
	wait "$r_pid"
}

# cleanup_block PIDS: stops the peers, and what the block left in the
# background, started since PIDS.
cleanup_block() {
	for c_pid in $P_PIDS; do
		case " $1 $kam_pid " in
		*" $c_pid "*) ;;
		*) p_stop "$c_pid" ;;
		esac
	done
}

# In the order they are written: an example may build on the one before.
for n in $(cd "$examples" && printf '%s\n' *.spec | sed 's/\.spec$//' | sort -n); do
	run_block "$n"
done

# ---- every other example is said not to be runnable here, and why -----------

for f in "$examples"/*.cmd.*; do
	sed -e ':a' -e '/\\$/{N;s/ *\\\n */ /;ba' -e '}' "$f" | sed -e 's/^/$ /' -e 's/  *#.*//'
done >"$T_TMP/run"
all_commands | sort -u >"$T_TMP/all"
unclassified=0
printf '%s\n' "$SKIPS" >"$T_TMP/skips"
while IFS= read -r line; do
	cmd=${line#\$ }
	grep -qxF -e "$line" "$T_TMP/run" && continue
	reason=
	while IFS='	' read -r pat why; do
		if printf '%s\n' "$cmd" | grep -qE -e "$pat"; then
			reason=$why
			break
		fi
	done <"$T_TMP/skips"
	if [ -z "$reason" ]; then
		t_fail "example not run and not listed in SKIPS" "$line"
		unclassified=$((unclassified + 1))
	fi
done <"$T_TMP/all"
t_eq "every example is run or has a reason not to be" 0 "$unclassified"

t_done
