# shellcheck shell=sh
# shellcheck disable=SC2034 # P_PORT, P_PID, P_RC, P_MS, P_WHY are for the tests that source this
# peers.sh - real SIP peers for the integration tests (POSIX sh), sourced
# after tests/lib.sh:
#
#   . "$(dirname "$0")/lib/peers.sh"
#   t_need "kamailio" kamailio sipp=sip-tester  # installs what is missing
#   p_free_port; port=$P_PORT              # a UDP+TCP port free on loopback
#   p_start kamailio "$T_TMP/k.log" kamailio -DD -E -f ...   # PID in $P_PID
#   p_wait_listen udp "$port" "$P_PID" 50  # until it listens (tenths of s)
#   p_stop "$P_PID"                        # TERM, then KILL
#
# Every peer runs under `timeout` (P_LIFETIME seconds) so that nothing
# outlives a killed test, and is stopped by its PID in the EXIT trap this
# file sets (which also removes $T_TMP). Only loopback addresses are used.

P_DIR=$T_ROOT/tests/integration
PATH=$PATH:/usr/sbin:/sbin
P_PIDS=
P_PORTS=
P_LIFETIME=${P_LIFETIME:-110}
P_WHY=

# p_cleanup: stops every peer still running; the EXIT trap.
p_cleanup() {
	for p_pid in $P_PIDS; do
		p_stop "$p_pid"
	done
	P_PIDS=
}
trap 'p_cleanup; rm -rf "$T_TMP"' EXIT

# p_now_ms: milliseconds on a clock that only moves forward (uptime).
p_now_ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

# p_random N: a random number in [0, N).
p_random() {
	echo $(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1))
}

# p_free_port: sets $P_PORT to a port that no TCP or UDP socket on this
# machine uses (listening or not), below the ephemeral range, and not handed
# out before by this script. (Not in $(...): it remembers what it gave.)
p_free_port() {
	p_used=$(ss -Hantu 2>/dev/null | awk '{ n = split($5, a, ":"); print a[n] }')
	p_try=0
	while [ $p_try -lt 100 ]; do
		P_PORT=$((20000 + $(p_random 12000)))
		p_try=$((p_try + 1))
		case " $P_PORTS " in
		*" $P_PORT "*) continue ;;
		esac
		if ! printf '%s\n' "$p_used" | grep -qx "$P_PORT"; then
			P_PORTS="$P_PORTS $P_PORT"
			return 0
		fi
	done
	echo "peers.sh: no free port found" >&2
	return 1
}

# p_start LOG CMD [ARG...]: runs CMD in the background (no stdin, output to
# LOG) under `timeout`, records its PID; the PID is left in $P_PID.
p_start() {
	p_log=$1
	shift
	timeout -k 3 "$P_LIFETIME" "$@" </dev/null >"$p_log" 2>&1 &
	P_PID=$!
	P_PIDS="$P_PIDS $P_PID"
}

# p_alive PID: true while PID runs (a zombie is not running).
p_alive() {
	p_stat=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $p_stat in
	Z*) return 1 ;;
	esac
	return 0
}

# p_wait_exit PID TENTHS: waits up to TENTHS tenths of a second for PID to
# end by itself; returns 0 when it did, with its exit status in $P_RC.
p_wait_exit() {
	p_n=0
	while p_alive "$1"; do
		[ "$p_n" -ge "$2" ] && return 1
		sleep 0.1
		p_n=$((p_n + 1))
	done
	wait "$1"
	P_RC=$?
	p_forget "$1"
	return 0
}

# p_forget PID: drops PID from the list the EXIT trap stops.
p_forget() {
	p_keep=
	for p_p in $P_PIDS; do
		[ "$p_p" = "$1" ] || p_keep="$p_keep $p_p"
	done
	P_PIDS=$p_keep
}

# p_stop PID: TERM, up to 5 s to end, then KILL; leaves the status in $P_RC.
p_stop() {
	kill -TERM "$1" 2>/dev/null
	if ! p_wait_exit "$1" 50; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		P_RC=$?
		p_forget "$1"
	fi
}

# p_family PID: PID and its descendants, three generations deep (the peer
# runs under `timeout`, and Kamailio's listeners are its children).
p_family() {
	p_gen=$1
	p_all=$1
	for _ in 1 2 3; do
		p_next=
		for p_p in $p_gen; do
			p_next="$p_next $(pgrep -P "$p_p" | tr '\n' ' ')"
		done
		p_gen=$p_next
		p_all="$p_all $p_next"
	done
	echo "$p_all"
}

# p_wait_listen udp|tcp PORT PID TENTHS: waits until PID (or one of its
# descendants) listens on PORT, while PID still runs.
p_wait_listen() {
	case $1 in
	udp) p_ssopt=-Hlnup ;;
	*) p_ssopt=-Hlntp ;;
	esac
	p_n=0
	while [ "$p_n" -lt "$4" ]; do
		p_alive "$3" || return 1
		p_owners=$(ss "$p_ssopt" "sport = :$2" 2>/dev/null | grep -o 'pid=[0-9]*')
		for p_p in $(p_family "$3"); do
			printf '%s\n' "$p_owners" | grep -qx "pid=$p_p" && return 0
		done
		sleep 0.1
		p_n=$((p_n + 1))
	done
	return 1
}

# p_wait_text FILE TEXT PID TENTHS: waits until FILE contains TEXT, while PID
# still runs.
p_wait_text() {
	p_n=0
	while [ "$p_n" -lt "$4" ]; do
		grep -qF -e "$2" "$1" 2>/dev/null && return 0
		p_alive "$3" || return 1
		sleep 0.1
		p_n=$((p_n + 1))
	done
	return 1
}

# p_blackhole LOG PORT: a server that hangs: a UDP socket on 127.0.0.1:PORT
# that takes every datagram and answers none, each noted in LOG as a line
# "datagram N bytes". PID in $P_PID. Returns 1 with the reason in $P_WHY
# when it does not come up.
p_blackhole() {
	# shellcheck disable=SC2016 # Perl's variables, for Perl to expand
	p_start "$1" perl -MIO::Socket::INET -e '
		$| = 1;
		my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $ARGV[0],
			Proto => "udp") or die "bind: $!\n";
		while (defined $s->recv(my $b, 65535)) { print "datagram ", length($b), " bytes\n"; }
	' "$2"
	if ! p_wait_listen udp "$2" "$P_PID" 50; then
		P_WHY="the blackhole did not start: $(head -n 1 "$1")"
		p_stop "$P_PID"
		return 1
	fi
}

# p_sip_listen OUT ERR PORT ARG...: starts `$SIP listen ARG... 127.0.0.1:PORT`
# under `timeout`, stdout in OUT, stderr in ERR, its PID in $P_PID; returns 1
# with the reason in $P_WHY (it is stopped) when it does not say it listens
# within 5 s.
p_sip_listen() {
	p_out=$1 p_err=$2 p_port=$3
	shift 3
	timeout -k 3 "$P_LIFETIME" "$SIP" listen "$@" "127.0.0.1:$p_port" \
		</dev/null >"$p_out" 2>"$p_err" &
	P_PID=$!
	P_PIDS="$P_PIDS $P_PID"
	if ! p_wait_text "$p_err" "sip: listen: listening on 127.0.0.1:$p_port (UDP, " "$P_PID" 50; then
		P_WHY=$(head -n 3 "$p_err" | tr '\n' ' ')
		p_stop "$P_PID"
		return 1
	fi
}

# p_interrupt FILE TEXT SIGNALS CMD [ARG...]: runs CMD in the background
# (stdout in $T_OUT, stderr in $T_ERR), sends it each of SIGNALS ("INT",
# "INT INT": half a second apart) once FILE has TEXT (within 10 s), and
# waits up to 10 s for it to end: its status in $P_RC, the milliseconds
# from the last signal to its end in $P_MS. Returns 1 with the reason in
# $P_WHY when TEXT did not come or CMD did not end (it is stopped then).
p_interrupt() {
	p_file=$1 p_text=$2 p_sig=$3
	shift 3
	# Emptied here, not only by the child's redirections, which may come
	# after the first look: the last test's output would be read as this
	# one's, and the signal sent before the command has set its handlers;
	# a background job of a script ignores SIGINT until then, so it was
	# lost (invite.sh's "Ctrl-C after their BYE" once ran on for 10 s).
	: >"$T_OUT"
	: >"$T_ERR"
	"$@" </dev/null >"$T_OUT" 2>"$T_ERR" &
	p_ipid=$!
	P_PIDS="$P_PIDS $p_ipid"
	if ! p_wait_text "$p_file" "$p_text" "$p_ipid" 100; then
		P_WHY="no '$p_text' before the signal: $(head -n 2 "$T_ERR" | tr '\n' ' ')"
		p_stop "$p_ipid"
		return 1
	fi
	p_first=1
	for p_s in $p_sig; do
		[ -n "$p_first" ] || sleep 0.5
		p_first=
		kill "-$p_s" "$p_ipid"
	done
	p_t0=$(p_now_ms)
	if ! p_wait_exit "$p_ipid" 100; then
		P_WHY="still running 10 s after SIG$p_s"
		p_stop "$p_ipid"
		return 1
	fi
	P_MS=$(($(p_now_ms) - p_t0))
}

# p_certs DIR: a CA (ca.pem) and a server certificate it signed
# (server.pem, server.key) for localhost, 127.0.0.1 and ::1, valid 2 days.
p_certs() {
	(
		cd "$1" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=sip test CA' \
			-addext 'basicConstraints=critical,CA:TRUE' \
			-addext 'keyUsage=critical,keyCertSign,cRLSign' &&
			openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
				-nodes -keyout server.key -out server.csr -subj '/CN=localhost' &&
			printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1' \
				'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' \
				'extendedKeyUsage=serverAuth' >ext.cnf &&
			openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
				-CAcreateserial -out server.pem -days 2 -extfile ext.cnf &&
			openssl verify -CAfile ca.pem server.pem
	) >"$1/openssl.log" 2>&1
}

# p_kamailio DIR PORT TLS_PORT: writes DIR/kamailio.cfg from
# kamailio/kamailio.cfg (certificates from p_certs in DIR), checks it and
# starts Kamailio in the foreground; PID in $P_PID, log in DIR/kamailio.log.
# Returns 1 with the reason in $P_WHY when it does not come up.
p_kamailio() {
	p_mods=
	for p_m in /usr/lib/*/kamailio/modules /usr/lib/kamailio/modules; do
		[ -f "$p_m/sl.so" ] && p_mods=$p_m && break
	done
	if [ -z "$p_mods" ]; then
		P_WHY="no Kamailio module directory with sl.so"
		return 1
	fi
	if [ ! -f "$p_mods/tls.so" ]; then
		P_WHY="no tls.so in $p_mods (kamailio-tls-modules)"
		return 1
	fi
	sed -e "s|@PORT@|$2|g" -e "s|@TLS_PORT@|$3|g" -e "s|@DIR@|$1|g" \
		-e "s|@MODULES@|$p_mods|g" "$P_DIR/kamailio/kamailio.cfg" >"$1/kamailio.cfg"
	if ! kamailio -c -f "$1/kamailio.cfg" >"$1/kamailio-check.log" 2>&1; then
		P_WHY="kamailio -c rejects the config: $(grep -m 1 -i error "$1/kamailio-check.log")"
		return 1
	fi
	p_start "$1/kamailio.log" kamailio -DD -E -f "$1/kamailio.cfg" \
		-P "$1/kamailio.pid" -Y "$1" -w "$1" -m 64 -M 8
	if ! p_wait_listen udp "$2" "$P_PID" 100 || ! p_wait_listen tcp "$3" "$P_PID" 50; then
		P_WHY="kamailio did not start: $(grep -m 1 -E 'ERROR|CRITICAL' "$1/kamailio.log")"
		p_stop "$P_PID"
		return 1
	fi
}

# p_sipp LOG SCENARIO PORT CALLS [udp|tcp [SIPP-ARG...]]: starts SIPp as a
# server on 127.0.0.1:PORT (UDP unless told) with
# tests/integration/sipp/SCENARIO.xml, ending after CALLS calls, with any
# further arguments passed on (-key NAME VALUE, -nr); its screen at exit
# goes to LOG, every message it sent and received to LOG.msg, unexpected
# ones to LOG.err. PID in $P_PID.
p_sipp() {
	p_log=$1 p_scen=$2 p_port=$3 p_calls=$4 p_proto=${5:-udp}
	shift 4
	[ $# -gt 0 ] && shift
	case $p_proto in
	tcp) p_mode=t1 ;;
	*) p_mode=u1 ;;
	esac
	p_start "$p_log" sipp -sf "$P_DIR/sipp/$p_scen.xml" -i 127.0.0.1 -p "$p_port" \
		-t "$p_mode" -m "$p_calls" -nostdin -timeout 30s -trace_msg \
		-message_file "$p_log.msg" -trace_err -error_file "$p_log.err" "$@"
	if ! p_wait_listen "$p_proto" "$p_port" "$P_PID" 50; then
		P_WHY="sipp did not start: $(head -n 3 "$p_log" | tr '\n' ' ')"
		p_stop "$P_PID"
		return 1
	fi
}

# p_sipp_received LOG: how many requests SIPp received (retransmissions
# included) per its message log.
p_sipp_received() {
	grep -c 'message received' "$1.msg" 2>/dev/null
}

# p_tshark FILE PORT...: captures on lo what goes to or from the ports into
# FILE; returns once tshark reports capturing. PID in $P_PID.
p_tshark() {
	p_file=$1
	shift
	p_filter=
	for p_p in "$@"; do
		p_filter="${p_filter:+$p_filter or }port $p_p"
	done
	p_start "$p_file.log" tshark -q -n -i lo -f "$p_filter" -w "$p_file"
	if ! p_wait_text "$p_file.log" "Capturing on" "$P_PID" 100; then
		P_WHY="tshark did not start: $(head -n 2 "$p_file.log" | tr '\n' ' ')"
		p_stop "$P_PID"
		return 1
	fi
	# "Capturing on" comes a moment before dumpcap really captures; a probe
	# sent at once was seen missing from the file under load.
	sleep 1
}

# p_users_db DIR: a db_text directory of Kamailio's subscriber table with
# the users in $P_USERS ("user:password" words, domain 127.0.0.1).
p_users_db() {
	mkdir -p "$1"
	printf '%s\n' 'id(int,auto) table_name(string) table_version(int)' \
		'0:subscriber:7' >"$1/version"
	printf '%s\n' 'id(int,auto) username(string) domain(string) password(string) ha1(string,null) ha1b(string,null)' \
		>"$1/subscriber"
	p_n=0
	for p_u in $P_USERS; do
		p_n=$((p_n + 1))
		printf '%d:%s:127.0.0.1:%s::\n' "$p_n" "${p_u%%:*}" "${p_u#*:}" >>"$1/subscriber"
	done
}

# p_kamailio_registrar DIR PORT [DEFINE...]: writes DIR/registrar.cfg from
# kamailio/registrar.cfg and a db_text directory DIR/db with the users given
# in $P_USERS ("user:password" words, domain 127.0.0.1), checks the config
# and starts Kamailio in the foreground (each DEFINE passed as -A DEFINE);
# PID in $P_PID, log in DIR/kamailio.log. Returns 1 with the reason in
# $P_WHY when it does not come up.
p_kamailio_registrar() {
	p_dir=$1 p_port=$2
	shift 2
	p_mods=
	for p_m in /usr/lib/*/kamailio/modules /usr/lib/kamailio/modules; do
		[ -f "$p_m/registrar.so" ] && p_mods=$p_m && break
	done
	if [ -z "$p_mods" ]; then
		P_WHY="no Kamailio module directory with registrar.so"
		return 1
	fi
	for p_m in pv tm sl rr maxfwd textops db_text usrloc auth auth_db; do
		if [ ! -f "$p_mods/$p_m.so" ]; then
			P_WHY="no $p_m.so in $p_mods"
			return 1
		fi
	done
	p_users_db "$p_dir/db"
	sed -e "s|@PORT@|$p_port|g" -e "s|@DB@|$p_dir/db|g" -e "s|@MODULES@|$p_mods|g" \
		"$P_DIR/kamailio/registrar.cfg" >"$p_dir/registrar.cfg"
	p_defs=
	for p_d in "$@"; do
		p_defs="$p_defs -A $p_d"
	done
	# shellcheck disable=SC2086 # -A NAME pairs
	if ! kamailio -c $p_defs -f "$p_dir/registrar.cfg" >"$p_dir/kamailio-check.log" 2>&1; then
		P_WHY="kamailio -c rejects the config: $(grep -m 1 -i error "$p_dir/kamailio-check.log")"
		return 1
	fi
	# shellcheck disable=SC2086
	p_start "$p_dir/kamailio.log" kamailio -DD -E $p_defs -f "$p_dir/registrar.cfg" \
		-P "$p_dir/kamailio.pid" -Y "$p_dir" -w "$p_dir" -m 64 -M 8
	if ! p_wait_listen udp "$p_port" "$P_PID" 100 || ! p_wait_listen tcp "$p_port" "$P_PID" 50; then
		P_WHY="kamailio did not start: $(grep -m 1 -E 'ERROR|CRITICAL' "$p_dir/kamailio.log")"
		p_stop "$P_PID"
		return 1
	fi
}

# p_kamailio_proxy DIR PORT [TLS_PORT]: writes DIR/proxy.cfg from
# kamailio/proxy.cfg (a record-routing proxy and registrar, bindings in
# memory; with TLS_PORT, TLS there too, with the certificates p_certs made
# in DIR), checks it and starts Kamailio in the foreground; PID in $P_PID,
# log in DIR/kamailio.log. Returns 1 with the reason in $P_WHY when it
# does not come up.
p_kamailio_proxy() {
	p_dir=$1 p_port=$2 p_tls_port=${3:-}
	p_mods=
	for p_m in /usr/lib/*/kamailio/modules /usr/lib/kamailio/modules; do
		[ -f "$p_m/registrar.so" ] && p_mods=$p_m && break
	done
	if [ -z "$p_mods" ]; then
		P_WHY="no Kamailio module directory with registrar.so"
		return 1
	fi
	for p_m in pv tm sl rr maxfwd siputils textops usrloc; do
		if [ ! -f "$p_mods/$p_m.so" ]; then
			P_WHY="no $p_m.so in $p_mods"
			return 1
		fi
	done
	mkdir -p "$p_dir"
	p_tls=
	if [ -n "$p_tls_port" ]; then
		if [ ! -f "$p_mods/tls.so" ]; then
			P_WHY="no tls.so in $p_mods (kamailio-tls-modules)"
			return 1
		fi
		p_tls="-A WITH_TLS"
	fi
	sed -e "s|@PORT@|$p_port|g" -e "s|@TLS_PORT@|$p_tls_port|g" -e "s|@DIR@|$p_dir|g" \
		-e "s|@MODULES@|$p_mods|g" "$P_DIR/kamailio/proxy.cfg" >"$p_dir/proxy.cfg"
	# shellcheck disable=SC2086 # $p_tls is one option and its value, or nothing
	if ! kamailio -c $p_tls -f "$p_dir/proxy.cfg" >"$p_dir/kamailio-check.log" 2>&1; then
		P_WHY="kamailio -c rejects the config: $(grep -m 1 -i error "$p_dir/kamailio-check.log")"
		return 1
	fi
	# shellcheck disable=SC2086
	p_start "$p_dir/kamailio.log" kamailio -DD -E $p_tls -f "$p_dir/proxy.cfg" \
		-P "$p_dir/kamailio.pid" -Y "$p_dir" -w "$p_dir" -m 64 -M 8
	if ! p_wait_listen udp "$p_port" "$P_PID" 100 || ! p_wait_listen tcp "$p_port" "$P_PID" 50 ||
		{ [ -n "$p_tls_port" ] && ! p_wait_listen tcp "$p_tls_port" "$P_PID" 50; }; then
		P_WHY="kamailio did not start: $(grep -m 1 -E 'ERROR|CRITICAL' "$p_dir/kamailio.log")"
		p_stop "$P_PID"
		return 1
	fi
}

# p_kamailio_ws DIR PORT WS_PORT WSS_PORT CALLEE: writes DIR/ws.cfg from
# kamailio/ws.cfg (SIP over UDP on PORT, WebSocket on TCP WS_PORT, secure
# WebSocket on WSS_PORT with the certificates p_certs made in DIR; calls for
# no registered user go to CALLEE, "127.0.0.1:port", over UDP) and a db_text
# directory DIR/db with the users in $P_USERS ("user:password" words, domain
# 127.0.0.1), checks the config and starts Kamailio in the foreground; PID
# in $P_PID, log in DIR/kamailio.log. Returns 1 with the reason in $P_WHY
# when it does not come up.
p_kamailio_ws() {
	p_dir=$1 p_port=$2 p_ws_port=$3 p_wss_port=$4 p_callee=$5
	p_mods=
	for p_m in /usr/lib/*/kamailio/modules /usr/lib/kamailio/modules; do
		[ -f "$p_m/registrar.so" ] && p_mods=$p_m && break
	done
	if [ -z "$p_mods" ]; then
		P_WHY="no Kamailio module directory with registrar.so"
		return 1
	fi
	for p_m in pv tm sl rr maxfwd siputils textops db_text usrloc auth auth_db \
		nathelper tls xhttp websocket; do
		if [ ! -f "$p_mods/$p_m.so" ]; then
			P_WHY="no $p_m.so in $p_mods"
			case $p_m in
			tls) P_WHY="$P_WHY (kamailio-tls-modules)" ;;
			websocket) P_WHY="$P_WHY (kamailio-websocket-modules)" ;;
			esac
			return 1
		fi
	done
	p_users_db "$p_dir/db"
	sed -e "s|@PORT@|$p_port|g" -e "s|@WS_PORT@|$p_ws_port|g" \
		-e "s|@WSS_PORT@|$p_wss_port|g" -e "s|@CALLEE@|$p_callee|g" \
		-e "s|@DB@|$p_dir/db|g" -e "s|@DIR@|$p_dir|g" -e "s|@MODULES@|$p_mods|g" \
		"$P_DIR/kamailio/ws.cfg" >"$p_dir/ws.cfg"
	if ! kamailio -c -f "$p_dir/ws.cfg" >"$p_dir/kamailio-check.log" 2>&1; then
		P_WHY="kamailio -c rejects the config: $(grep -m 1 -i error "$p_dir/kamailio-check.log")"
		return 1
	fi
	p_start "$p_dir/kamailio.log" kamailio -DD -E -f "$p_dir/ws.cfg" \
		-P "$p_dir/kamailio.pid" -Y "$p_dir" -w "$p_dir" -m 64 -M 8
	if ! p_wait_listen udp "$p_port" "$P_PID" 100 ||
		! p_wait_listen tcp "$p_ws_port" "$P_PID" 50 ||
		! p_wait_listen tcp "$p_wss_port" "$P_PID" 50; then
		P_WHY="kamailio did not start: $(grep -m 1 -E 'ERROR|CRITICAL' "$p_dir/kamailio.log")"
		p_stop "$P_PID"
		return 1
	fi
}

# What every peer needs: ss finds free ports and sees peers listen, ps and
# pgrep follow them.
t_need "peers on loopback" ss=iproute2 ps=procps pgrep=procps || t_done
