#!/bin/sh
# decode.sh - `sip decode` as a user runs it: formats, framing, validation
# messages with line numbers, exit codes, hostile input; then, when the
# shared corpora are beside the project, every RFC 4475 and RFC 5118 verdict.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ex=$T_ROOT/tests/data
d=$T_TMP

# crlf FILE LINE...: writes the lines joined by CRLF, with the empty line
# that ends the headers.
crlf() {
	f=$1
	shift
	printf '%s\r\n' "$@" >"$f"
	printf '\r\n' >>"$f"
}

crlf "$d/options.sip" \
	"OPTIONS sip:carol@chicago.example.com SIP/2.0" \
	"v: SIP/2.0/UDP 192.0.2.40:5060;branch=z9hG4bKopt1" \
	"Max-Forwards: 70" \
	"f: <sip:dave@example.com>;tag=88" \
	"t: <sip:carol@chicago.example.com>" \
	"i: opt-1@192.0.2.40" \
	"CSeq: 7 OPTIONS" \
	"l: 0"

t_run "valid datagram, raw" 0 "$SIP" decode -o raw "$d/options.sip"
t_check "raw output is the input byte for byte" cmp -s "$T_OUT" "$d/options.sip"
t_err_empty

t_run "valid datagram, pretty" 0 "$SIP" decode -o pretty --color never "$d/options.sip"
t_out_has "Via: SIP/2.0/UDP 192.0.2.40:5060;branch=z9hG4bKopt1"
t_out_has "Call-ID: opt-1@192.0.2.40"
t_out_has "hop 1: UDP 192.0.2.40:5060  branch z9hG4bKopt1"
t_out_lacks "v: "
t_check "no colour with --color never" t_lacks "$(printf '\033')" "$T_OUT"

t_run "pretty with colour" 0 "$SIP" decode -o pretty --color always "$d/options.sip"
t_check "ANSI colour with --color always" grep -q "$(printf '\033')\\[" "$T_OUT"

NO_COLOR=1 t_run "NO_COLOR is honoured" 0 "$SIP" decode -o pretty --color auto "$d/options.sip"
t_check "no colour under NO_COLOR" t_lacks "$(printf '\033')" "$T_OUT"

t_run "response meaning and Via chain" 0 "$SIP" decode -o pretty "$ex/busy.sip"
t_out_has "486 Busy Here: the callee is busy"
t_out_has "hop 2: UDP 192.0.2.10:5060"
t_out_has "received 198.51.100.7  rport 5060"
t_out_has 'name "Alice"  uri sip:alice@atlanta.example.com  user alice  host atlanta.example.com  tag 9fxced76sl'

t_run "SDP summary" 0 "$SIP" decode -o pretty "$ex/invite.sip"
t_out_has "SDP: connection IN IP4 192.0.2.10"
t_out_has "audio port 49170 RTP/AVP: PCMU/8000 PCMA/8000 telephone-event/8000 (sendrecv)"

t_run "json" 0 "$SIP" decode -o json "$ex/invite.sip"
t_out_lines 1
t_out_has '"valid":true'
t_out_has '"method":"INVITE"'
t_out_has '"cseq":{"num":1,"method":"INVITE"}'
t_out_has '"codecs":[{"pt":0,"name":"PCMU","rate":8000}'
if t_need "jq reads the JSON" jq; then
	t_check "jq reads the JSON" sh -c "jq -e '.via[0].branch == \"z9hG4bK74bf9\" and .from.tag == \"9fxced76sl\"' <'$T_OUT' >/dev/null"
fi

t_run "several files, one exit status" 0 "$SIP" decode -o json "$ex/invite.sip" "$ex/busy.sip" "$ex/register.sip"
t_out_lines 3

t_run "standard input" 0 sh -c "'$SIP' decode -o raw < '$d/options.sip'"
t_check "stdin raw is the input" cmp -s "$T_OUT" "$d/options.sip"
t_run "'-' is standard input" 0 sh -c "'$SIP' decode -o json - < '$d/options.sip'"
t_out_has '"source":"<stdin>"'

# notify FILE EVENT CONTENT-TYPE BODY: a NOTIFY carrying BODY (a file),
# its Content-Length counted.
notify() {
	crlf "$1" \
		"NOTIFY sip:alice@192.0.2.10:5060 SIP/2.0" \
		"Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKev$2" \
		"Max-Forwards: 70" \
		"From: <sip:bob@example.com>;tag=n1" \
		"To: <sip:alice@example.com>;tag=s1" \
		"Call-ID: ev-$2@192.0.2.20" \
		"CSeq: 2 NOTIFY" \
		"Contact: <sip:bob@192.0.2.20:5060>" \
		"Event: $2" \
		"Subscription-State: active;expires=600" \
		"Content-Type: $3" \
		"Content-Length: $(wc -c <"$4" | tr -d ' ')"
	cat "$4" >>"$1"
}

printf 'SIP/2.0 180 Ringing\r\n' >"$d/frag.txt"
notify "$d/frag.sip" refer "message/sipfrag;version=2.0" "$d/frag.txt"
t_run "sipfrag summary" 0 "$SIP" decode -o pretty "$d/frag.sip"
t_out_has "sipfrag:"
t_out_has "    180 Ringing"
t_run "sipfrag in json" 0 "$SIP" decode -o json "$d/frag.sip"
t_out_has '"event":{"type":"sipfrag","status":180,"reason":"Ringing"}'

cat >"$d/pidf.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
    xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:bob@example.com">
  <tuple id="t1"><status><basic>open</basic></status></tuple>
  <dm:person id="p1"><rpid:activities><rpid:on-the-phone/></rpid:activities>
    <dm:note>In a meeting</dm:note></dm:person>
</presence>
XML
notify "$d/pidf.sip" presence "application/pidf+xml" "$d/pidf.xml"
t_run "PIDF summary" 0 "$SIP" decode -o pretty "$d/pidf.sip"
t_out_has '    sip:bob@example.com: open (on-the-phone) "In a meeting"'
t_run "PIDF in json" 0 "$SIP" decode -o json "$d/pidf.sip"
if t_need "jq reads the PIDF" jq; then
	t_check "jq reads the PIDF" sh -c "jq -e '.body.event.basic == \"open\" and .body.event.activities == [\"on-the-phone\"]' <'$T_OUT' >/dev/null"
fi

cat >"$d/dialog.xml" <<'XML'
<?xml version="1.0"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="3" state="full" entity="sip:bob@example.com">
  <dialog id="d1" call-id="c1@h" direction="initiator"><state>confirmed</state>
    <remote><identity display="Alice">sip:alice@example.com</identity></remote></dialog>
</dialog-info>
XML
notify "$d/dialog.sip" dialog "application/dialog-info+xml" "$d/dialog.xml"
t_run "dialog-info summary" 0 "$SIP" decode -o pretty "$d/dialog.sip"
t_out_has "    sip:bob@example.com: 1 dialog (full, version 3)"
t_out_has '      dialog d1: confirmed, initiator, remote "Alice" sip:alice@example.com'

printf 'Messages-Waiting: yes\r\nMessage-Account: sip:*97@example.com\r\nVoice-Message: 2/8 (1/0)\r\n' >"$d/mwi.txt"
notify "$d/mwi.sip" message-summary "application/simple-message-summary" "$d/mwi.txt"
t_run "message-summary summary" 0 "$SIP" decode -o pretty "$d/mwi.sip"
t_out_has "    messages waiting: yes, Voice-Message 2 new (1 urgent), 8 old (0 urgent); account sip:*97@example.com"
t_run "message-summary in json" 0 "$SIP" decode -o json "$d/mwi.sip"
t_out_has '"classes":[{"class":"Voice-Message","new":2,"old":8,"new_urgent":1,"old_urgent":0}]'

cat >"$d/reg.xml" <<'XML'
<reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="1" state="full">
  <registration aor="sip:alice@example.com" id="r1" state="active">
    <contact id="c1" state="active" event="registered" expires="3600"><uri>sip:alice@192.0.2.1</uri></contact>
    <contact id="c2" state="terminated" event="expired"><uri>sip:alice@192.0.2.2</uri></contact>
  </registration>
</reginfo>
XML
notify "$d/reg.sip" reg "application/reginfo+xml" "$d/reg.xml"
t_run "reginfo summary" 0 "$SIP" decode -o pretty "$d/reg.sip"
t_out_has "    sip:alice@example.com: active"
t_out_has "      contact sip:alice@192.0.2.1: active (registered, expires 3600)"
t_out_has "      contact sip:alice@192.0.2.2: terminated (expired)"

# A body that does not decode is said, and the message still is what it is.
printf '<presence><tuple>' >"$d/cut.xml"
notify "$d/cut.sip" presence "application/pidf+xml" "$d/cut.xml"
t_run "truncated PIDF" 0 "$SIP" decode -o pretty "$d/cut.sip"
t_out_has "pidf does not decode: syntax error"
t_run "truncated PIDF, json" 0 "$SIP" decode -o json "$d/cut.sip"
t_out_has '"event":{"type":"pidf","error":"syntax error"}'

# Validation: each problem with its line.
t_run "invalid message exits 7" 7 "$SIP" decode -q "$ex/broken.sip"
t_out_has "line 7: error: CSeq method INVITE does not match request method OPTIONS"
t_out_has "line 9: error: Content-Length says 150, body has 13 bytes"
t_out_has "line 2: warning: Via has no branch"
t_run "invalid message, json" 7 "$SIP" decode -o json "$ex/broken.sip"
t_out_has '"valid":false'
t_out_has '{"line":7,"severity":"error","text":"CSeq method INVITE does not match request method OPTIONS"}'
t_run "invalid message, pretty" 7 "$SIP" decode -o pretty "$ex/broken.sip"
t_out_has "error: line 9: Content-Length says 150, body has 13 bytes"

crlf "$d/nofrom.sip" \
	"OPTIONS sip:carol@chicago.example.com SIP/2.0" \
	"Via: SIP/2.0/UDP 192.0.2.40;branch=z9hG4bKnf" \
	"Max-Forwards: 70" \
	"Call-ID: nf@192.0.2.40" \
	"CSeq: 1 OPTIONS" \
	"Content-Length: 0"
t_run "missing headers are an error" 7 "$SIP" decode -q "$d/nofrom.sip"
t_out_has "error: missing From, To (RFC 3261 §8.1.1"
t_out_lines 1
# Raw output is the message octet for octet; why it is refused goes to stderr.
t_run "raw: missing headers said on stderr" 7 "$SIP" decode -o raw "$d/nofrom.sip"
t_check "raw: the message as it was" cmp -s "$T_OUT" "$d/nofrom.sip"
t_err_has "$d/nofrom.sip: error: missing From, To (RFC 3261 §8.1.1"
t_err_lines 1
crlf "$d/nomf.sip" \
	"OPTIONS sip:carol@chicago.example.com SIP/2.0" \
	"Via: SIP/2.0/UDP 192.0.2.40;branch=z9hG4bKmf" \
	"From: <sip:dave@example.com>;tag=88" \
	"To: <sip:carol@chicago.example.com>" \
	"Call-ID: mf@192.0.2.40" \
	"CSeq: 1 OPTIONS" \
	"Content-Length: 0"
t_run "missing Max-Forwards is a warning" 0 "$SIP" decode -q "$d/nomf.sip"
t_out_has "warning: missing Max-Forwards"
t_run "--strict makes warnings fatal" 7 "$SIP" decode -q --strict "$d/nomf.sip"
crlf "$d/nocid-resp.sip" \
	"SIP/2.0 200 OK" \
	"Via: SIP/2.0/UDP 192.0.2.40;branch=z9hG4bKmf" \
	"From: <sip:dave@example.com>;tag=88" \
	"To: <sip:carol@chicago.example.com>;tag=99" \
	"CSeq: 1 OPTIONS" \
	"Content-Length: 0"
t_run "a response without Call-ID is an error" 7 "$SIP" decode -o json "$d/nocid-resp.sip"
t_out_has '"valid":false'
t_out_has 'missing Call-ID'

# LF-only line ends, as pasted: accepted with a warning.
tr -d '\r' <"$d/options.sip" >"$d/lf.sip"
t_run "LF-only line ends" 0 "$SIP" decode -q "$d/lf.sip"
t_out_has "warning: lines end in LF alone, not CRLF (accepted)"

# Datagram: octets after the body are reported and ignored (RFC 3261 §18.3).
cat "$d/options.sip" "$d/options.sip" >"$d/two.sip"
t_run "datagram with trailing octets" 0 "$SIP" decode -q "$d/two.sip"
t_out_has "octets after the body ignored (Content-Length says 0)"
t_run "the same as a stream: two messages" 0 "$SIP" decode -s -o json "$d/two.sip"
t_out_lines 2
t_out_has "two.sip#2"

head -c 200 "$d/options.sip" >"$d/cut.sip"
cat "$d/options.sip" "$d/cut.sip" >"$d/stream-cut.sip"
t_run "stream ending inside a message" 7 "$SIP" decode -s -q "$d/stream-cut.sip"
t_out_has "incomplete message"

# Bad usage and files.
t_run "missing file" 2 "$SIP" decode "$d/no-such-file.sip"
t_err_has "sip: decode: cannot open '$d/no-such-file.sip': No such file or directory"
t_err_lines 1
t_run "bad output format" 2 "$SIP" decode -o xml "$d/options.sip"
t_err_has "xml"
t_run "empty input" 7 sh -c "'$SIP' decode -q < /dev/null"
t_err_has "sip: decode: no message on standard input"
t_err_lines 1
t_out_empty
printf '\r\n\r\n' >"$d/blank.sip"
t_run "a file of empty lines" 7 "$SIP" decode "$d/blank.sip"
t_err_has "sip: decode: no message in '$d/blank.sip'"
t_err_lines 1
t_run "empty stream" 7 "$SIP" decode -s "$d/blank.sip"
t_err_has "no message in"

# Hostile input: garbage, a huge Content-Length, thousands of headers, a
# huge header line, binary noise. Each ends with a clear message and exit 7.
# The headers every message needs, for those that are otherwise valid.
required=$(printf 'Via: SIP/2.0/UDP 192.0.2.40;branch=z9hG4bKh\r\nMax-Forwards: 70\r\nFrom: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: h@192.0.2.40\r\nCSeq: 1 OPTIONS')
head -c 4096 /dev/urandom >"$d/noise.bin"
t_run "binary noise" 7 "$SIP" decode -q "$d/noise.bin"
crlf "$d/hugecl.sip" "OPTIONS sip:a@example.com SIP/2.0" "Content-Length: 99999999999999999999"
t_run "huge Content-Length" 7 "$SIP" decode -q "$d/hugecl.sip"
t_out_has "Content-Length '99999999999999999999' is out of range"
{
	printf 'OPTIONS sip:a@example.com SIP/2.0\r\n'
	i=0
	while [ $i -lt 3000 ]; do
		printf 'X-H%d: %d\r\n' "$i" "$i"
		i=$((i + 1))
	done
	printf '\r\n'
} >"$d/many.sip"
t_run "thousands of headers" 7 "$SIP" decode -q "$d/many.sip"
t_out_has "more than 256 header lines"
{
	printf 'OPTIONS sip:a@example.com SIP/2.0\r\n%s\r\nX-Long: ' "$required"
	head -c 1000000 /dev/zero | tr '\0' 'a'
	printf '\r\n\r\n'
} >"$d/long.sip"
t_run "a 1 MB header line" 0 "$SIP" decode -o json "$d/long.sip"
printf 'INVITE sip:a@example.com SIP/2.0\r\n%s\r\nSubject: \033[2J\033]0;pwned\007\r\n\r\n' \
	"$(echo "$required" | sed 's/CSeq: 1 OPTIONS/CSeq: 1 INVITE/')" >"$d/esc.sip"
t_run "terminal escapes in a header" 0 "$SIP" decode -o pretty "$d/esc.sip"
t_check "no raw ESC reaches the terminal" t_lacks "$(printf '\033')" "$T_OUT"

# A request and its response (the same top Via branch and CSeq method):
# the response's Call-ID, From tag and CSeq number must be the request's.
crlf "$d/reply-ok.sip" \
	"SIP/2.0 200 OK" \
	"v: SIP/2.0/UDP 192.0.2.40:5060;branch=z9hG4bKopt1" \
	"f: <sip:dave@example.com>;tag=88" \
	"t: <sip:carol@chicago.example.com>;tag=99" \
	"i: opt-1@192.0.2.40" \
	"CSeq: 7 OPTIONS" \
	"l: 0"
crlf "$d/reply-bad.sip" \
	"SIP/2.0 200 OK" \
	"v: SIP/2.0/UDP 192.0.2.40:5060;branch=z9hG4bKopt1" \
	"f: <sip:dave@example.com>;tag=77" \
	"t: <sip:carol@chicago.example.com>;tag=99" \
	"i: other@192.0.2.40" \
	"CSeq: 8 OPTIONS" \
	"l: 0"
t_run "a request and its response: exit 0" 0 "$SIP" decode -q "$d/options.sip" "$d/reply-ok.sip"
t_out_empty
t_run "a response that breaks its request's identity: exit 7" 7 \
	"$SIP" decode -q "$d/options.sip" "$d/reply-bad.sip"
t_out_has "reply-bad.sip: line 5: error: Call-ID 'other@192.0.2.40' is not the request's 'opt-1@192.0.2.40'"
t_out_has "reply-bad.sip: line 3: error: From tag '77' is not the request's '88'"
t_out_has "reply-bad.sip: line 6: error: CSeq '8' is not the request's '7'"
t_run "the same response alone: nothing to compare, exit 0" 0 "$SIP" decode -q "$d/reply-bad.sip"

# The corpora: every verdict of RFC 4475 and RFC 5118 (wire form).
corpus=$T_ROOT/../shared/corpus
corpus_dir() {
	dir=$1
	tab=$(printf '\t')
	tail -n +2 "$dir/INDEX.tsv" | while IFS=$tab read -r file _ verdict _; do
		case $verdict in
		invalid) want=7 ;;
		*) want=0 ;;
		esac
		# RFC 4475 files insuf (no Call-ID, From, To) under §3.3 but
		# expects a 400 for it: such a message cannot be used, an error.
		[ "$file" = insuf.dat ] && want=7
		"$SIP" decode -q "$dir/$file" >"$d/corpus.out" 2>&1
		rc=$?
		problems=$(grep -c ': error: \|: warning: ' "$d/corpus.out")
		errors=$(grep -c ': error: ' "$d/corpus.out")
		if [ "$rc" -ne "$want" ]; then
			echo "FAIL $file ($verdict): exit $rc, expected $want"
		elif [ "$verdict" = invalid ] && [ "$errors" -eq 0 ]; then
			echo "FAIL $file ($verdict): no error names the defect"
		elif [ "$verdict" = valid-but-semantically-wrong ] && [ "$problems" -eq 0 ]; then
			echo "FAIL $file ($verdict): no warning names the problem"
		else
			echo "ok   $file"
		fi
	done
}
for sub in rfc4475 rfc5118/wire; do
	if [ -f "$corpus/$sub/INDEX.tsv" ]; then
		corpus_dir "$corpus/$sub" >"$d/corpus.log"
		n_ok=$(grep -c '^ok' "$d/corpus.log")
		n=$(($(wc -l <"$corpus/$sub/INDEX.tsv") - 1))
		grep '^FAIL' "$d/corpus.log"
		t_eq "corpus $sub: every verdict" "$n" "$n_ok"
	else
		t_skip "corpus $sub" "../shared/corpus is not beside the project"
	fi
done
if [ -d "$corpus/realistic" ]; then
	bad=0
	for f in "$corpus"/realistic/*.sip; do
		"$SIP" decode -q "$f" >"$d/real.out" 2>&1 || bad=$((bad + 1))
		[ -s "$d/real.out" ] && bad=$((bad + 1)) && cat "$d/real.out"
	done
	t_eq "realistic corpus decodes clean" 0 "$bad"
else
	t_skip "realistic corpus" "../shared/corpus is not beside the project"
fi

t_done
