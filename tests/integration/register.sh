#!/bin/sh
# register.sh - `sip register` and digest authentication against real peers
# on loopback. Kamailio as a registrar (auth + auth_db over a db_text table
# of users this script writes, usrloc in memory): register, query, refresh,
# unregister one binding and all of them, JSON output, a wrong password, no
# credentials, --password-file, SHA-256 challenges, a --pcap capture that
# tshark reads, and --keep refreshing a
# short binding and removing it on SIGTERM. SIPp scenarios in sipp/ for what
# Kamailio will not do: a 407 challenge answered with Proxy-Authorization, a
# stale=true challenge with a new nonce, and one 401 with two challenges
# (MD5 and SHA-256) where the stronger must be answered; each checks that the
# retry keeps Call-ID and From tag and counts CSeq up. Missing peers are
# installed (tests/deps.sh); one that does not start fails with the reason,
# and only where they cannot be had at all (not Debian, no root) is the file
# skipped, saying why. Every peer is on a free port and
# stopped by its PID; every client call is bounded by `timeout 30`.
# shellcheck disable=SC2317 # helpers are called through t_run and t_check
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=tests/integration/lib/peers.sh
. "$(dirname "$0")/lib/peers.sh"

d=$T_TMP

# sipc ARG...: the sip under test, bounded in time.
sipc() { timeout 30 "$SIP" "$@"; }

# nopass CMD...: CMD without SIP_PASSWORD in its environment.
nopass() { env -u SIP_PASSWORD "$@"; }

# t_jq DESCRIPTION FILTER: jq -e FILTER holds on the last stdout read as one
# array of its JSON values (jq -s).
t_jq() {
	t_check "$1" t_jq_true "$2"
}
t_jq_true() { jq -s -e "$1" "$T_OUT" >/dev/null 2>&1; }

# The requests sip sent, as jq sees them in -o json output.
SENT='map(select(.direction == "sent"))'
# ... and the value of header NAME in each of them ("" when absent).
hdr() { printf '(.headers | map(select(.name == "%s") | .value) | first // "")' "$1"; }

# expires_of PORT FILE: the expiry -o pretty printed for the binding on
# 127.0.0.1:PORT ("  sip:alice@127.0.0.1:PORT  expires N s"), or nothing.
expires_of() {
	sed -n "s/^  sip:[^ ]*@127\.0\.0\.1:$1[ >;].*expires \([0-9][0-9]*\) s.*/\1/p" "$2" | head -n 1
}

# has_binding PORT FILE: FILE lists a binding on 127.0.0.1:PORT.
has_binding() { grep -q "^  sip:[^ ]*@127\.0\.0\.1:$1\([ >;]\|\$\)" "$2"; }
lacks_binding() { ! has_binding "$@"; }

# lt A B / le A B: both numbers, A < B (A <= B).
lt() { [ -n "$1" ] && [ -n "$2" ] && [ "$1" -lt "$2" ]; }
le() { [ -n "$1" ] && [ -n "$2" ] && [ "$1" -le "$2" ]; }

# count_re FILE REGEX: lines of FILE matching REGEX.
count_re() { grep -Ec -e "$2" "$1"; }

# pcap_exchange FILE PORT: the SIP messages in the capture FILE (TCP on
# PORT read as SIP), on one line: each method or status, then ">" when it
# went to PORT, "<" when it came from it.
pcap_exchange() {
	tshark -n -r "$1" -d "tcp.port==$2,sip" -Y sip -T fields -E separator=, \
		-e sip.Method -e sip.Status-Code -e tcp.dstport 2>/dev/null |
		awk -F, -v p="$2" '{ printf "%s%s%s", (NR > 1 ? " " : ""), ($1 != "" ? $1 : $2), ($3 == p ? ">" : "<") }'
}

# t_no_secret PASSWORD: the password is nowhere in the last output.
t_no_secret() { t_check "the password is not in the output" t_lacks_both "$1"; }
t_lacks_both() { ! grep -qF -e "$1" "$T_OUT" "$T_ERR"; }

t_need "sip register against Kamailio and SIPp" kamailio sipp=sip-tester tshark jq \
	script=bsdutils || t_done

# --- Kamailio as a registrar -------------------------------------------------
kamailio_tests() {
	P_USERS="alice:secret bob:other"
	mkdir "$d/kam"
	p_free_port
	kp=$P_PORT
	if ! p_kamailio_registrar "$d/kam" "$kp"; then
		t_fail "kamailio registrar" "$P_WHY"
		return
	fi
	kpid=$P_PID
	aor=sip:alice@127.0.0.1:$kp
	# Our Contact is the local address and port: fixed ones, so that a later
	# run can name the binding an earlier one made.
	p_free_port
	l1=$P_PORT
	p_free_port
	l2=$P_PORT
	p_free_port
	l3=$P_PORT
	SIP_PASSWORD=secret
	export SIP_PASSWORD

	# Register: the exchange (401, then the answer), then the bindings.
	t_run "register alice (-e 100)" 0 sipc register -o pretty -u alice -l "127.0.0.1:$l1" -e 100 "$aor"
	t_out_has "401 Unauthorized"
	t_out_has "Authorization: Digest username=\"alice\", realm=\"127.0.0.1\""
	t_out_has "SIP/2.0 200 OK"
	t_out_has "sip:alice@127.0.0.1:$l1  expires 100 s  (this one)"
	t_out_has "registered <sip:alice@127.0.0.1> for 100 s"
	t_no_secret secret

	sleep 2
	t_run "--query lists the binding" 0 sipc register -o pretty -u alice --query "$aor"
	t_check "with the binding on port $l1" has_binding "$l1" "$T_OUT"
	q1=$(expires_of "$l1" "$T_OUT")
	t_check "its expiry has run down from 100 s (got '$q1')" lt "$q1" 100
	t_run "--query, -o json" 0 sipc register -o json -u alice --query "$aor"
	t_jq "no Contact in the query" "$SENT | all(.[]; $(hdr Contact) == \"\")"
	t_jq "no Expires in the query" "$SENT | all(.[]; $(hdr Expires) == \"\")"
	t_jq ".bindings names it with its expiry" \
		".[-1].bindings | map(select(.uri == \"sip:alice@127.0.0.1:$l1\")) | length == 1 and .[0].expires > 0 and .[0].expires < 100"

	# -q: no messages, the outcome alone (sip(1): "only the problems and
	# the outcome"), as `sip options -q` prints its summary alone.
	t_run "--query -q -o json: the bindings alone" 0 sipc register -q -o json -u alice --query "$aor"
	t_jq "one JSON value, with .bindings" 'length == 1 and (.[0].bindings | length == 1)'
	t_run "-q -o pretty: the outcome alone" 0 \
		sipc register -q -o pretty -u alice -l "127.0.0.1:$l1" -e 100 "$aor"
	t_out_lacks "REGISTER sip:"
	t_out_has "registered <sip:alice@127.0.0.1> for 100 s"

	t_run "-q in raw (a pipe): the outcome too" 0 \
		sipc register -q -u alice -l "127.0.0.1:$l1" -e 100 "$aor"
	t_out_lacks "REGISTER sip:"
	t_out_has "registered <sip:alice@127.0.0.1> for 100 s"

	# -u without --from: From is the user at the target's domain, which a
	# server that checks From against the credentials wants.
	t_run "options -u alice to a From-checking realm: 200" 0 \
		sipc options -o json -u alice "sip:auth@127.0.0.1:$kp"
	t_jq "From is sip:alice@127.0.0.1" \
		"$SENT | all(.[]; ($(hdr From) | startswith(\"<sip:alice@127.0.0.1>;tag=\")))"
	t_jq "answered 200 after the challenge" ".[-1].summary.status == 200"
	t_run "options -u alice --from sip:sip@127.0.0.1: the realm refuses" 6 \
		sipc options -u alice --from sip:sip@127.0.0.1 "sip:auth@127.0.0.1:$kp"

	t_run "re-register refreshes it" 0 sipc register -o pretty -u alice -l "127.0.0.1:$l1" -e 100 "$aor"
	t_out_has "sip:alice@127.0.0.1:$l1  expires 100 s  (this one)"
	t_run "--query after the refresh" 0 sipc register -o pretty -u alice --query "$aor"
	q2=$(expires_of "$l1" "$T_OUT")
	t_check "the expiry is fresh again ($q1 s before, $q2 s now)" lt "$q1" "$q2"
	t_check "still one binding on port $l1" \
		[ "$(count_re "$T_OUT" "^  sip:alice@127\.0\.0\.1:$l1 ")" -eq 1 ]

	# JSON, and what the retry after the challenge kept.
	t_run "register a second contact, -o json" 0 \
		sipc register -o json -u alice -l "127.0.0.1:$l2" -e 300 "$aor"
	t_jq "two bindings, the new one ours with 300 s" \
		".[-1].bindings | length == 2 and (map(select(.ours)) | length == 1 and .[0].uri == \"sip:alice@127.0.0.1:$l2\" and .[0].expires == 300)"
	t_jq ".granted is 300" '.[-1].granted == 300'
	t_jq "two requests: the first, and the answer to the challenge" "$SENT | length == 2"
	t_jq "the retry keeps Call-ID and From tag" \
		"$SENT | (map(.call_id) | unique | length == 1) and (map(.from.tag) | unique | length == 1)"
	t_jq "CSeq counts up: 1, 2" "$SENT | map(.cseq.num) == [1, 2]"
	t_jq "only the retry carries Authorization" \
		"$SENT | (.[0] | $(hdr Authorization)) == \"\" and (.[1] | $(hdr Authorization) | startswith(\"Digest \"))"
	t_no_secret secret
	t_run "--query, -o json: both bindings" 0 sipc register -o json -u alice --query "$aor"
	t_jq ".bindings has both contacts" \
		"[.[-1].bindings[].uri] | sort == ([\"sip:alice@127.0.0.1:$l1\", \"sip:alice@127.0.0.1:$l2\"] | sort)"

	# Unregister one binding, then all.
	t_run "--unregister removes ours" 0 sipc register -o pretty -u alice -l "127.0.0.1:$l1" --unregister "$aor"
	t_out_has "Expires: 0"
	t_check "the answer no longer lists port $l1" lacks_binding "$l1" "$T_OUT"
	t_run "--query after --unregister" 0 sipc register -o pretty -u alice --query "$aor"
	t_check "port $l1 is gone" lacks_binding "$l1" "$T_OUT"
	t_check "port $l2 is still there" has_binding "$l2" "$T_OUT"

	t_run "register port $l1 again" 0 sipc register -q -u alice -l "127.0.0.1:$l1" "$aor"
	t_run "--unregister-all, -o json" 0 sipc register -o json -u alice --unregister-all "$aor"
	t_jq "Contact: * with Expires: 0" \
		"$SENT | all(.[]; $(hdr Contact) == \"*\" and $(hdr Expires) == \"0\")"
	t_jq "no bindings left in the answer" '.[-1].bindings == []'
	t_run "--query after --unregister-all" 0 sipc register -o pretty -u alice --query "$aor"
	t_out_has "no bindings for <sip:alice@127.0.0.1>"
	t_check "port $l2 is gone" lacks_binding "$l2" "$T_OUT"

	# The registrar caps lifetimes at 3600 s (max_expires): what it grants
	# is what counts, for the binding we chose and for one --contact names.
	t_run "-e 7200: the registrar grants 3600 s" 0 \
		sipc register -o pretty -u alice -l "127.0.0.1:$l1" -e 7200 "$aor"
	t_out_has "sip:alice@127.0.0.1:$l1  expires 3600 s  (this one)"
	t_out_has "registered <sip:alice@127.0.0.1> for 3600 s"
	t_run "--contact URI -e 7200, -o json" 0 \
		sipc register -o json -u alice --contact "sip:alice@127.0.0.1:$l2" -e 7200 "$aor"
	t_jq "the Contact sent is the one given" \
		"$SENT | all(.[]; $(hdr Contact) | ltrimstr(\"<\") | rtrimstr(\">\") == \"sip:alice@127.0.0.1:$l2\")"
	t_jq "its binding is marked ours" \
		".[-1].bindings | map(select(.ours)) | length == 1 and .[0].uri == \"sip:alice@127.0.0.1:$l2\""
	t_jq ".granted is the 3600 s granted, not the 7200 asked" '.[-1].granted == 3600'
	t_run "--unregister --contact URI" 0 \
		sipc register -o pretty -u alice --unregister --contact "sip:alice@127.0.0.1:$l2" "$aor"
	t_check "its binding is gone" lacks_binding "$l2" "$T_OUT"
	t_check "the other one stays" has_binding "$l1" "$T_OUT"

	# -e 0 is a removal (RFC 3261 section 10.2.2), said as one: not
	# "registered ... for 0 s"; and there is nothing to --keep.
	t_run "-e 0 removes the binding" 0 \
		sipc register -o pretty -u alice -l "127.0.0.1:$l1" -e 0 "$aor"
	t_out_has "Expires: 0"
	t_check "the answer no longer lists port $l1" lacks_binding "$l1" "$T_OUT"
	t_out_lacks "registered"
	t_run "--keep -e 0: exit 2" 2 sipc register -u alice --keep -e 0 "$aor"
	t_err_has "--keep with -e 0"

	# A one-shot run from a free port leaves a binding that nothing answers
	# once it exits: it says so, with the command that removes it. Another
	# process's --unregister without -l or --contact (its own free port)
	# removes nothing of it, and must not exit 0 while the registrar still
	# lists it: it names it, with the same command, which does remove it.
	t_run "one-shot from a free port" 0 sipc register -o pretty -u alice -e 300 "$aor"
	t_err_has "outlives this run (nothing listens on its port once sip exits)"
	fix=$(sed -n 's/^sip: register: sip:alice@127\.0\.0\.1:[0-9]* outlives .*; remove it with: \(sip register .*\)$/\1/p' "$T_ERR")
	t_check "with the command that removes it" test -n "$fix"
	t_run "--unregister from another process: exit 1" 1 \
		sipc register -o pretty -u alice --unregister "$aor"
	t_err_has "is still registered from this host"
	t_check "naming the same command" grep -qxF -e "  $fix" "$T_ERR"
	t_run "the same, -o json: exit 1" 1 sipc register -o json -u alice --unregister "$aor"
	t_jq ".summary says why, exit 1" \
		'.[-1].summary | (.error | test("still registered")) and .exit == 1'
	# sip ARG...: the command as it gave it, run with the sip under test.
	sip() { timeout 30 "$SIP" "$@"; }
	t_run "the command it gave removes it" 0 eval "$fix"
	t_run "--unregister again: nothing of this host is left, exit 0" 0 \
		sipc register -o pretty -u alice --unregister "$aor"
	t_err_lacks "still registered"

	# --from: who is responsible for the registration (RFC 3261 section
	# 10.2); here alice herself, with a display name.
	t_run "--from with a display name, -o json" 0 \
		sipc register -o json -u alice --from '"Alice Desk" <sip:alice@127.0.0.1>' --query "$aor"
	t_jq "the From sent is --from's" "$SENT | all(.[]; $(hdr From) | startswith(\"\\\"Alice Desk\\\" <sip:alice@127.0.0.1>\"))"

	# TCP: the binding says so; -l's port is the one the connection comes
	# from, so that a later run with the same -l names the same binding.
	t_run "register over tcp (;transport=tcp)" 0 \
		sipc register -o pretty -u alice -e 60 "sip:alice@127.0.0.1:$kp;transport=tcp"
	t_check "its binding says ;transport=tcp and is ours" \
		grep -q "^  sip:alice@127\.0\.0\.1:[0-9]*;transport=tcp  expires 60 s  (this one)" "$T_OUT"
	p_free_port
	l4=$P_PORT
	t_run "-t tcp -l 127.0.0.1:PORT, -o json" 0 \
		sipc register -o json -u alice -t tcp -e 60 -l "127.0.0.1:$l4" "$aor"
	t_jq "sent from port $l4" "$SENT | all(.[]; .local == \"127.0.0.1:$l4\")"
	tcp_uri=
	tcp_uri=$(jq -r 'select(.bindings) | .bindings[] | select(.ours) | .uri' "$T_OUT")
	t_run "--unregister -t tcp -l 127.0.0.1:PORT" 0 \
		sipc register -o json -u alice -t tcp --unregister -l "127.0.0.1:$l4" "$aor"
	t_jq "the binding the first run made (${tcp_uri:-?}) is gone" \
		"\"$tcp_uri\" != \"\" and (.[-1].bindings | map(.uri) | index(\"$tcp_uri\") == null)"
	# --pcap: the challenge and the answer to it on one connection, as
	# tshark reads them, whatever -q leaves out of stdout.
	t_run "--pcap, tcp, -q" 0 sipc register -q -u alice -t tcp -e 60 --pcap "$d/reg.pcap" "$aor"
	t_eq "$T_NAME: tshark reads REGISTER, 401, REGISTER, 200 (> to port $kp, < from it)" \
		"REGISTER> 401< REGISTER> 200<" "$(pcap_exchange "$d/reg.pcap" "$kp")"
	tshark -n -r "$d/reg.pcap" -d "tcp.port==$kp,sip" \
		-Y '_ws.malformed || _ws.expert.severity >= warning || tcp.analysis.flags' \
		>"$d/reg-bad.txt" 2>"$d/tshark.err"
	t_check "nothing malformed, no warning" test ! -s "$d/reg-bad.txt"
	t_run "clean up the tcp bindings" 0 sipc register -q -u alice --unregister-all "$aor"

	# Credentials: wrong, missing, from a file, a prompt, another user.
	t_run "wrong password: exit 6" 6 env SIP_PASSWORD=wrong timeout 30 "$SIP" register -q -u alice "$aor"
	t_err_has "'alice'"
	t_err_has "realm '127.0.0.1'"
	t_err_lacks "wrong"
	t_run "no -u: exit 6" 6 sipc register -q "$aor"
	t_err_has "-u USER"
	t_err_has "realm '127.0.0.1'"
	t_run "-u but no password and no terminal: exit 6" 6 \
		nopass setsid -w timeout 30 "$SIP" register -q -u alice "$aor"
	t_err_has "SIP_PASSWORD"
	t_err_has "--password-file"
	printf 'secret\n' >"$d/alice.pw"
	chmod 600 "$d/alice.pw"
	t_run "--password-file" 0 nopass timeout 30 "$SIP" register -o pretty -u alice \
		--password-file "$d/alice.pw" -l "127.0.0.1:$l1" -e 60 "$aor"
	t_out_has "registered <sip:alice@127.0.0.1> for 60 s"
	t_err_empty
	chmod 644 "$d/alice.pw"
	t_run "--password-file that others can read: a warning, still registered" 0 \
		nopass timeout 30 "$SIP" register -q -u alice --password-file "$d/alice.pw" \
		-l "127.0.0.1:$l1" -e 60 "$aor"
	t_err_has "chmod 600"
	# A FIFO is read once, at the challenge: the check before sending must
	# not open it (that blocked for the writer and threw its line away).
	mkfifo -m 600 "$d/alice.fifo"
	(printf 'secret\n' >"$d/alice.fifo") 2>/dev/null &
	fifo_writer=$!
	t_run "--password-file that is a FIFO" 0 nopass timeout 10 "$SIP" register -q -u alice \
		--password-file "$d/alice.fifo" -l "127.0.0.1:$l1" -e 60 "$aor"
	kill "$fifo_writer" 2>/dev/null
	# The prompt, on a terminal script(1) gives it: no echo, and the typed
	# password goes in a second after the start (the prompt flushes
	# what was typed before it).
	T_NAME="password from the terminal prompt"
	(
		sleep 1
		printf 'secret\n'
	) | nopass timeout 30 script -qec "'$SIP' register -o pretty -u alice -l 127.0.0.1:$l1 -e 60 '$aor'" \
		/dev/null >"$T_OUT" 2>"$T_ERR"
	t_eq "$T_NAME: exit 0" 0 "$?"
	t_out_has "Password for alice@127.0.0.1:"
	t_out_has "registered <sip:alice@127.0.0.1> for 60 s"
	t_no_secret secret
	# The prompt does not stop the clock: --timeout ends the REGISTER while
	# the password is still being typed, and the terminal gets its echo back.
	T_NAME="a prompt left unanswered"
	rm -f "$d/prompt.rc" "$d/prompt.end"
	pr_t0=$(date +%s%3N)
	(
		sleep 4
		printf 'secret\n'
	) | nopass timeout 30 script -qec "'$SIP' register -q --timeout 1 -u alice -l 127.0.0.1:$l1 -e 60 '$aor'; echo \$? >'$d/prompt.rc'; date +%s%3N >'$d/prompt.end'" \
		/dev/null >"$T_OUT" 2>"$T_ERR"
	t_eq "$T_NAME: --timeout 1 ends it, exit 3" 3 "$(cat "$d/prompt.rc" 2>/dev/null)"
	t_check "within 3 s, before the password came" \
		test "$(($(cat "$d/prompt.end" 2>/dev/null || echo 0) - pr_t0))" -lt 3000
	t_out_has "Password for alice@127.0.0.1:"
	t_no_secret secret
	t_run "bob's address with bob's password" 0 \
		env SIP_PASSWORD=other timeout 30 "$SIP" register -o pretty -u bob "sip:bob@127.0.0.1:$kp"
	t_out_has "registered <sip:bob@127.0.0.1>"
	t_run "bob for alice's address: refused, exit 6" 6 \
		env SIP_PASSWORD=other timeout 30 "$SIP" register -q -u bob "$aor"
	t_err_has "'bob'"
	t_run "--auth-user names the authentication user" 6 \
		env SIP_PASSWORD=other timeout 30 "$SIP" register -o json -u alice --auth-user bob "$aor"
	t_jq "the answer says username=\"bob\"" \
		"$SENT | .[1] | $(hdr Authorization) | contains(\"username=\\\"bob\\\"\")"
	t_run "clean up alice" 0 sipc register -q -u alice --unregister-all "$aor"

	# --keep: a 4 s binding, refreshed halfway, removed on SIGTERM.
	timeout 30 "$SIP" register -o pretty -u alice --keep --expires 4 -l "127.0.0.1:$l3" "$aor" \
		</dev/null >"$d/keep.out" 2>"$d/keep.err" &
	tpid=$!
	P_PIDS="$P_PIDS $tpid"
	sleep 0.3
	spid=$(pgrep -P "$tpid" | head -n 1)
	T_NAME="--keep --expires 4"
	n=0
	while [ "$n" -lt 100 ] && [ "$(count_re "$d/keep.err" refreshed)" -lt 2 ] && p_alive "$tpid"; do
		sleep 0.1
		n=$((n + 1))
	done
	t_check "refreshed at least twice within 10 s" [ "$(count_re "$d/keep.err" '^sip: register: refreshed .* for 4 s$')" -ge 2 ]
	t_run "--query while --keep runs" 0 sipc register -o pretty -u alice --query "$aor"
	t_check "shows its binding" has_binding "$l3" "$T_OUT"
	t_check "never older than the 4 s granted" le "$(expires_of "$l3" "$T_OUT")" 4
	T_NAME="--keep, SIGTERM"
	if [ -n "$spid" ] && p_alive "$spid"; then
		kill -TERM "$spid"
		if p_wait_exit "$tpid" 100; then
			t_eq "--keep exits 0 after SIGTERM" 0 "$P_RC"
		else
			t_fail "--keep exits after SIGTERM" "still running after 10 s"
			kill -KILL "$spid" 2>/dev/null
		fi
	else
		t_fail "--keep is still running when SIGTERM comes" "$(head -n 3 "$d/keep.err")"
	fi
	T_OUT=$d/keep.out T_ERR=$d/keep.err
	t_err_has "removing the binding of <sip:alice@127.0.0.1>"
	t_out_has "registered <sip:alice@127.0.0.1> for 4 s; refreshing until Ctrl-C"
	t_check "the bindings and the registered line once, whatever the refreshes" \
		test "$(count_re "$d/keep.out" '^registered ')" -eq 1 -a \
		"$(count_re "$d/keep.out" '\(this one\)$')" -eq 1
	T_OUT=$T_TMP/out T_ERR=$T_TMP/err
	t_run "--query after SIGTERM" 0 sipc register -o pretty -u alice --query "$aor"
	t_check "the --keep binding is gone" lacks_binding "$l3" "$T_OUT"

	p_stop "$kpid"
	unset SIP_PASSWORD

	# SHA-256: the same registrar started with algorithm=SHA-256.
	mkdir "$d/kam256"
	p_free_port
	kp=$P_PORT
	if ! p_kamailio_registrar "$d/kam256" "$kp" WITH_SHA256; then
		t_fail "kamailio SHA-256" "$P_WHY"
		return
	fi
	kpid=$P_PID
	t_run "SHA-256 registrar, -o json" 0 \
		env SIP_PASSWORD=secret timeout 30 "$SIP" register -o json -u alice "sip:alice@127.0.0.1:$kp"
	t_jq "Kamailio challenges with algorithm=SHA-256" \
		"map(select(.status == 401))[0] | $(hdr WWW-Authenticate) | test(\"algorithm=\\\"?SHA-256\")"
	t_jq "sip answers with algorithm=SHA-256 and a 64-digit response" \
		"$SENT | .[1] | $(hdr Authorization) | test(\"algorithm=\\\"?SHA-256\") and test(\"response=\\\"[0-9a-f]{64}\\\"\")"
	t_jq "and is registered" '.[-1].bindings | map(select(.ours)) | length == 1'
	t_run "SHA-256 registrar, wrong password: exit 6" 6 \
		env SIP_PASSWORD=wrong timeout 30 "$SIP" register -q -u alice "sip:alice@127.0.0.1:$kp"
	t_err_has "realm '127.0.0.1'"
	p_stop "$kpid"
}
kamailio_tests

# --- SIPp: 407, stale nonce, two challenges -----------------------------------

# sipp_case SCENARIO NAME EXIT [ENV=VALUE...] -- ARG...: starts SIPp with
# SCENARIO for one call, runs `sip register -o json ARG...` for alice at it
# (with the environment given), checks sip's exit and then SIPp's: 0 when
# every check in the scenario held ($sipp_rc when set: a scenario that is
# meant to fail; "stop" for a call sip leaves unfinished on purpose, SIPp
# is stopped then). Returns 1 when SIPp did not start; leaves the output
# for t_jq.
sipp_case() {
	sc_scen=$1 sc_name=$2 sc_want=$3
	shift 3
	sc_env=
	while [ "$1" != "--" ]; do
		sc_env="$sc_env $1"
		shift
	done
	shift
	p_free_port
	if ! p_sipp "$d/$sc_scen.log" "$sc_scen" "$P_PORT" 1; then
		t_fail "$sc_name" "$P_WHY"
		return 1
	fi
	sc_pid=$P_PID
	# shellcheck disable=SC2086 # one word per VAR=value
	t_run "$sc_name" "$sc_want" env $sc_env timeout 30 "$SIP" register -o json "$@" \
		"sip:alice@127.0.0.1:$P_PORT"
	if [ "$sipp_rc" = stop ]; then
		p_stop "$sc_pid"
	elif p_wait_exit "$sc_pid" 50; then
		t_eq "$sc_name: SIPp's checks (exit ${sipp_rc:-0})" "${sipp_rc:-0}" "$P_RC"
		[ "$P_RC" -eq "${sipp_rc:-0}" ] || sed -n '1,6s/^/     | /p' "$d/$sc_scen.log.err"
	else
		t_fail "$sc_name: SIPp ends after its call"
		p_stop "$sc_pid"
	fi
	return 0
}

# --keep when a refresh gets no answer: it tries again, and still removes
# the binding on SIGTERM.
keep_lost_test() {
	p_free_port
	if ! p_sipp "$d/lost.log" uas-refresh-lost "$P_PORT" 1; then
		t_fail "--keep, a lost refresh" "$P_WHY"
		return
	fi
	lpid=$P_PID
	timeout 30 "$SIP" register -o pretty --keep -e 2 --timeout 1 "sip:alice@127.0.0.1:$P_PORT" \
		</dev/null >"$d/lost.out" 2>"$d/lost.err" &
	tpid=$!
	P_PIDS="$P_PIDS $tpid"
	T_NAME="--keep, a refresh that times out"
	# 1 s to the refresh, 1 s to its timeout, 5 s to the next try.
	p_wait_text "$d/lost.err" "refreshed" "$tpid" 150
	spid=$(pgrep -P "$tpid" | head -n 1)
	if [ -n "$spid" ]; then
		kill -TERM "$spid"
	fi
	if p_wait_exit "$tpid" 100; then
		t_eq "$T_NAME: exit 0 after SIGTERM" 0 "$P_RC"
	else
		t_fail "$T_NAME: exits after SIGTERM" "still running after 10 s"
		p_stop "$tpid"
	fi
	T_OUT=$d/lost.out T_ERR=$d/lost.err
	t_err_has "retrying in 5 s"
	t_err_has "refreshed <sip:alice@127.0.0.1> for 60 s"
	t_err_has "removing the binding"
	T_OUT=$T_TMP/out T_ERR=$T_TMP/err
	if p_wait_exit "$lpid" 50; then
		t_eq "$T_NAME: SIPp's checks (CSeq 1 to 4, Expires: 0 last)" 0 "$P_RC"
		[ "$P_RC" -eq 0 ] || sed -n '1,6s/^/     | /p' "$d/lost.log.err"
	else
		t_fail "$T_NAME: SIPp ends after its call" "$(tail -n 3 "$d/lost.err")"
		p_stop "$lpid"
	fi
}

sipp_tests() {
	sipp_rc=0
	if sipp_case uas-407 "407 Proxy-Authenticate: answered with Proxy-Authorization" 0 \
		SIP_PASSWORD=secret -- -u alice; then
		t_jq "the retry carries Proxy-Authorization, no Authorization" \
			"$SENT | .[1] | ($(hdr Proxy-Authorization) | startswith(\"Digest \")) and $(hdr Authorization) == \"\""
		t_jq "same Call-ID and From tag, CSeq 1 then 2" \
			"$SENT | (map(.call_id) | unique | length == 1) and (map(.from.tag) | unique | length == 1) and map(.cseq.num) == [1, 2]"
		t_jq "registered for the 60 s granted" '.[-1].granted == 60'
		t_no_secret secret
	fi
	# No retry comes: SIPp waits for it in vain, and is stopped.
	sipp_rc=stop
	if sipp_case uas-407 "407 without -u: exit 6" 6 SIP_PASSWORD=secret --; then
		t_err_has "-u USER"
		t_err_has "realm 'sipp.test'"
	fi
	sipp_rc=0
	if sipp_case uas-stale "stale=true: answered again with the new nonce, exit 0" 0 \
		SIP_PASSWORD=secret -- -u alice; then
		t_jq "three requests, CSeq 1, 2, 3, one Call-ID and From tag" \
			"$SENT | map(.cseq.num) == [1, 2, 3] and (map(.call_id) | unique | length == 1) and (map(.from.tag) | unique | length == 1)"
		t_jq "the last answers the new nonce" \
			"$SENT | .[2] | $(hdr Authorization) | contains(\"nonce=\\\"staleNonceBBBB0002\\\"\")"
	fi
	# A 200 of the REGISTER's transaction with another Call-ID: not its
	# answer, so not registered: exit 7 (it was 0).
	sipp_rc=0
	if sipp_case uas-register-wrong-callid "a 200 with another Call-ID: exit 7" 7 --; then
		t_err_has "protocol violation: 200 OK from 127.0.0.1:"
		t_err_has ": Call-ID 'broken-"
		t_jq "the summary's error names it, exit 7" \
			'.[-1].summary | (.error | test("^protocol violation: .*Call-ID")) and .exit == 7'
	fi
	# SIPp's digest check fails on purpose: it answers 403, and exits 1.
	sipp_rc=1
	if sipp_case uas-stale "403 after a wrong password: exit 6" 6 \
		SIP_PASSWORD=wrong -- -u alice; then
		t_err_has "'alice'"
		# The issue: a refusal names the user and the realm, 403 included.
		t_err_has "sipp.test"
	fi
	sipp_rc=0
	if sipp_case uas-423 "423 Interval Too Brief: asks again for Min-Expires" 0 -- -e 30; then
		t_err_has "Min-Expires 120"
		t_jq "Expires 30, then 120; CSeq 1, 2; one Call-ID and From tag" \
			"$SENT | map($(hdr Expires)) == [\"30\", \"120\"] and map(.cseq.num) == [1, 2] and (map(.call_id) | unique | length == 1) and (map(.from.tag) | unique | length == 1)"
		t_jq "registered for the 120 s granted" '.[-1].granted == 120'
	fi
	keep_lost_test
	if sipp_case uas-two-challenges "MD5 and SHA-256 offered: SHA-256 answered" 0 \
		SIP_PASSWORD=secret -- -u alice; then
		t_jq "one Authorization, algorithm=SHA-256" \
			"$SENT | .[1] | [.headers[] | select(.name == \"Authorization\")] | length == 1 and (.[0].value | test(\"algorithm=\\\"?SHA-256\"))"
		t_jq "same Call-ID and From tag, CSeq 1 then 2" \
			"$SENT | (map(.call_id) | unique | length == 1) and (map(.from.tag) | unique | length == 1) and map(.cseq.num) == [1, 2]"
	fi
}
sipp_tests

# A signal before the registrar's final response is its own verdict,
# "interrupted", exit 3, on stderr and in the JSON, never a silent exit 0:
# while the registrar's name is being resolved (a DNS server that never
# answers), and while the REGISTER goes unanswered (it is let run to its
# --timeout, as its answer would say whether there is a binding to remove).
interrupt_tests() {
	p_free_port
	bh=$P_PORT
	if ! p_blackhole "$d/bh.log" "$bh"; then
		t_fail "a server that never answers" "$P_WHY"
		return
	fi
	bhpid=$P_PID
	T_NAME="SIGINT while resolving the registrar"
	if p_interrupt "$d/bh.log" datagram INT "$SIP" register -o json \
		--dns-server "127.0.0.1:$bh" sip:alice@example.test; then
		t_eq "$T_NAME: exit 3" 3 "$P_RC"
		t_check "at once (${P_MS} ms)" test "$P_MS" -lt 2000
		t_err_has "'<sip:alice@example.test>': interrupted"
		t_jq ".summary: interrupted, exit 3" \
			'.[-1].summary | .aor == "sip:alice@example.test" and .error == "interrupted" and .exit == 3'
	else
		t_fail "$T_NAME" "$P_WHY"
	fi
	for sig in INT TERM; do
		T_NAME="SIG$sig, the REGISTER unanswered, -o pretty"
		if p_interrupt "$T_OUT" "REGISTER sip:" "$sig" "$SIP" register -o pretty \
			--timeout 2 "sip:alice@127.0.0.1:$bh"; then
			t_eq "$T_NAME: exit 3" 3 "$P_RC"
			t_err_has "'<sip:alice@127.0.0.1>': interrupted"
			t_err_lacks "timed out"
			t_out_lacks "registered"
		else
			t_fail "$T_NAME" "$P_WHY"
		fi
	done
	T_NAME="SIGINT, the REGISTER unanswered, -o json"
	if p_interrupt "$T_OUT" '"method":"REGISTER"' INT "$SIP" register -o json \
		--timeout 2 "sip:alice@127.0.0.1:$bh"; then
		t_eq "$T_NAME: exit 3" 3 "$P_RC"
		t_jq ".summary: interrupted, exit 3" \
			'.[-1].summary | .aor == "sip:alice@127.0.0.1" and .error == "interrupted" and .exit == 3'
	else
		t_fail "$T_NAME" "$P_WHY"
	fi
	T_NAME="SIGINT twice: at once, 130"
	if p_interrupt "$T_OUT" "REGISTER sip:" "INT INT" "$SIP" register -o pretty \
		--timeout 20 "sip:alice@127.0.0.1:$bh"; then
		t_eq "$T_NAME: exit 130" 130 "$P_RC"
		t_check "at once (${P_MS} ms)" test "$P_MS" -lt 2000
		t_err_has "'<sip:alice@127.0.0.1>': interrupted"
	else
		t_fail "$T_NAME" "$P_WHY"
	fi
	p_stop "$bhpid"

	# The registrar's 200 comes after the signal. A --keep binding never
	# reported is removed and the run says interrupted (it exited 0 with
	# nothing said); a removal or a query that got its 200 did its work.
	p_free_port
	if p_sipp "$d/late.log" uas-register-late "$P_PORT" 1; then
		T_NAME="SIGINT, --keep, the 200 after it"
		if p_interrupt "$d/late.log.msg" "REGISTER sip:" INT "$SIP" register -o pretty \
			--keep -v --t1 100 "sip:alice@127.0.0.1:$P_PORT"; then
			t_eq "$T_NAME: exit 3" 3 "$P_RC"
			t_err_has "'<sip:alice@127.0.0.1>': interrupted"
			t_out_lacks "registered"
			t_check "the binding made after the signal is removed" \
				[ "$(grep -c '^Expires: 0' "$T_OUT")" -ge 1 ]
		else
			t_fail "$T_NAME" "$P_WHY"
		fi
		p_stop "$P_PID"
	else
		t_fail "sipp uas-register-late" "$P_WHY"
	fi
	p_free_port
	if p_sipp "$d/late2.log" uas-register-late "$P_PORT" 1; then
		T_NAME="SIGINT, --unregister, the 200 after it"
		if p_interrupt "$T_OUT" "REGISTER sip:" INT "$SIP" register -o pretty --unregister \
			--contact sip:alice@127.0.0.1:5999 --t1 100 "sip:alice@127.0.0.1:$P_PORT"; then
			t_eq "$T_NAME: exit 0 (the removal was made)" 0 "$P_RC"
			t_err_lacks "interrupted"
		else
			t_fail "$T_NAME" "$P_WHY"
		fi
		p_stop "$P_PID"
	else
		t_fail "sipp uas-register-late" "$P_WHY"
	fi
}

# Ctrl-Z at the password prompt, in a real terminal (tmux): the shell gets
# its echo back while sip is stopped; fg asks again, and what is typed then
# is not shown.
ctrl_z_test() {
	T_NAME="Ctrl-Z at the password prompt"
	t_need "$T_NAME" tmux || return
	p_free_port
	if ! p_sipp "$d/tstp.log" uas-407 "$P_PORT" 1; then
		t_fail "$T_NAME" "$P_WHY"
		return
	fi
	tz_sipp=$P_PID tz=sip-test-$$
	tmux new-session -d -s "$tz" -x 150 -y 20 "env -u SIP_PASSWORD bash --norc --noprofile"
	tz_wait '#' &&
		tmux send-keys -t "$tz" "'$SIP' register -q -u alice sip:alice@127.0.0.1:$P_PORT" Enter &&
		tz_wait 'Password for' && tmux send-keys -t "$tz" C-z && tz_wait 'Stopped' &&
		tmux send-keys -t "$tz" "stty -a | grep -o ' -*echo ' | head -n 1" Enter &&
		tz_wait '^ ?-?echo ?$' && tmux send-keys -t "$tz" fg Enter && tz_wait 'Password for.*Password for' &&
		tmux send-keys -t "$tz" secret Enter && tz_wait 'registered'
	tmux capture-pane -t "$tz" -p >"$T_OUT"
	tmux kill-session -t "$tz" 2>/dev/null
	p_stop "$tz_sipp"
	t_out_has "Stopped"
	t_check "echo is on while it is stopped" grep -qE '^ ?echo ?$' "$T_OUT"
	t_check "fg asks again" test "$(grep -c 'Password for alice@sipp.test:' "$T_OUT")" -eq 2
	t_out_has "registered <sip:alice@127.0.0.1>"
	t_no_secret secret
}

# tz_wait REGEX: a line of the tmux screen, or the screen read as one line,
# matches REGEX within 5 s.
tz_wait() {
	tw_n=0
	while [ "$tw_n" -lt 50 ]; do
		tmux capture-pane -t "$tz" -p >"$d/tz.screen"
		grep -qE -e "$1" "$d/tz.screen" && return 0
		tr '\n' ' ' <"$d/tz.screen" | grep -qE -e "$1" && return 0
		sleep 0.1
		tw_n=$((tw_n + 1))
	done
	return 1
}
ctrl_z_test
interrupt_tests

t_done
