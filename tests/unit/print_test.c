/* print_test.c - rendering messages raw, pretty and as JSON (lib/print.c),
 * into a memory FILE. open_memstream allocates inside libc, so these tests
 * make no allocation-count checks. */
#include <stdlib.h>

#include "test.h"

static char out[1 << 16];
static size_t outlen;

/* Renders into out (NUL-terminated, cut at its size); returns the printer's result. */
static int render(const struct sip_msg *m, const struct sip_print_opts *o)
{
	struct test_memfile mf;
	if (!test_memfile_open(&mf))
		return -100;
	int r = sip_msg_print(mf.f, m, o);
	outlen = test_memfile_close(&mf, out, sizeof out);
	return r;
}

static int render_unparsed(struct sip_str raw, const struct sip_print_opts *o)
{
	struct test_memfile mf;
	if (!test_memfile_open(&mf))
		return -100;
	int r = sip_msg_print_unparsed(mf.f, raw, o);
	outlen = test_memfile_close(&mf, out, sizeof out);
	return r;
}

/* Fails, showing the output, when out lacks s. */
static int has(const char *s)
{
	if (memmem(out, outlen, s, strlen(s)))
		return 1;
	printf("     output was:\n%s\n     (looked for '%s')\n", out, s);
	return 0;
}

static int lacks(const char *s)
{
	if (!memmem(out, outlen, s, strlen(s)))
		return 1;
	printf("     output was:\n%s\n     (did not want '%s')\n", out, s);
	return 0;
}

#define PARSE(m, text) sip_msg_parse((m), (text), sizeof(text) - 1, 0)

static const char invite[] =
	"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n" /* 1 */
	"v: SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bK776asdhds;rport=5067\r\n" /* 2 */
	"Via: SIP/2.0/TCP 192.0.2.9;branch=z9hG4bKold;received=192.0.2.1\r\n" /* 3 */
	"Max-Forwards: 70\r\n"                                                /* 4 */
	"t: Bob <sip:bob@biloxi.example.com>\r\n"                             /* 5 */
	"f: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"     /* 6 */
	"i: a84b4c76e66710@pc33.atlanta.example.com\r\n"                      /* 7 */
	"CSeq: 314159 INVITE\r\n"                                             /* 8 */
	"Subject: first part\r\n"                                             /* 9 */
	" second part\r\n"                                                    /* 10 */
	"X-Custom: yes\r\n"                                                   /* 11 */
	"c: application/sdp\r\n"                                              /* 12 */
	"l: 151\r\n"                                                          /* 13 */
	"\r\n"
	"v=0\r\n"
	"o=alice 2890844526 2890844526 IN IP4 192.0.2.4\r\n"
	"s=-\r\n"
	"c=IN IP4 192.0.2.4\r\n"
	"t=0 0\r\n"
	"m=audio 49170 RTP/AVP 0 8 101\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n";

static const char busy[] = "SIP/2.0 486 Busy Here\r\n"
			   "Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK77\r\n"
			   "To: <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
			   "From: <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
			   "Call-ID: busy-1@atlanta.example.com\r\n"
			   "CSeq: 1 INVITE\r\n"
			   "Content-Length: 0\r\n"
			   "\r\n";

/* ---- raw ---- */

TEST(print_raw_is_byte_identical)
{
	static const char text[] = "\r\n\r\nMESSAGE sip:a@example.com SIP/2.0\r\n"
				   "Call-ID: raw\r\n"
				   "Subject: \x1b[31mred\r\n"
				   "Content-Length: 6\r\n"
				   "\r\n"
				   "a\0b\xff\r\n"
				   "trailing";
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_RAW};
	CHECK_INT(PARSE(&m, text), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK_INT(outlen, m.raw.len);
	CHECK(memcmp(out, m.raw.p, m.raw.len) == 0);
	CHECK(memcmp(out, "MESSAGE", 7) == 0);
	return 0;
}

TEST(print_raw_default_options)
{
	struct sip_msg m;
	CHECK_INT(PARSE(&m, invite), 0);
	CHECK_INT(render(&m, NULL), 0);
	CHECK_INT(outlen, sizeof invite - 1);
	CHECK(memcmp(out, invite, outlen) == 0);
	return 0;
}

/* ---- pretty ---- */

TEST(print_pretty_expands_compact_names)
{
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_PRETTY};
	CHECK_INT(PARSE(&m, invite), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK(has("\nVia: SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bK776asdhds"));
	CHECK(has("\nTo: Bob <sip:bob@biloxi.example.com>\n"));
	CHECK(has("\nFrom: \"Alice\""));
	CHECK(has("\nCall-ID: a84b4c76e66710@pc33.atlanta.example.com\n"));
	CHECK(has("\nContent-Type: application/sdp\n"));
	CHECK(has("\nContent-Length: 151\n"));
	CHECK(has("\nX-Custom: yes\n"));
	CHECK(lacks("\nv:"));
	CHECK(lacks("\ni:"));
	CHECK(lacks("\nl:"));
	return 0;
}

TEST(print_pretty_start_line_and_request_uri)
{
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_PRETTY};
	CHECK_INT(PARSE(&m, invite), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK(memcmp(out, "INVITE sip:bob@biloxi.example.com SIP/2.0\n", 42) == 0);
	CHECK(has("request-uri  user bob  host biloxi.example.com"));
	return 0;
}

TEST(print_pretty_unfolds_values)
{
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_PRETTY};
	CHECK_INT(PARSE(&m, invite), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK(has("\nSubject: first part second part\n"));
	return 0;
}

TEST(print_pretty_status_meaning)
{
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_PRETTY};
	CHECK_INT(PARSE(&m, busy), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK(memcmp(out, "SIP/2.0 486 Busy Here\n", 22) == 0);
	CHECK(has("486 Busy Here: the callee is busy"));
	return 0;
}

TEST(print_pretty_via_hops)
{
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_PRETTY};
	CHECK_INT(PARSE(&m, invite), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK(has(
		"hop 1: UDP pc33.atlanta.example.com:5066  branch z9hG4bK776asdhds  rport 5067\n"));
	CHECK(has("hop 2: TCP 192.0.2.9  branch z9hG4bKold  received 192.0.2.1\n"));
	return 0;
}

TEST(print_pretty_addresses)
{
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_PRETTY};
	CHECK_INT(PARSE(&m, invite), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK(has("name \"Alice\"  uri sip:alice@atlanta.example.com  user alice  host "
	          "atlanta.example.com  tag 1928301774"));
	CHECK(has("name \"Bob\"  uri sip:bob@biloxi.example.com"));
	return 0;
}

TEST(print_pretty_sdp_summary)
{
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_PRETTY};
	CHECK_INT(PARSE(&m, invite), 0);
	CHECK_INT(m.body.len, 151);
	CHECK_INT(render(&m, &o), 0);
	CHECK(has("\n\nv=0\r\n"));
	CHECK(has("SDP: connection IN IP4 192.0.2.4"));
	CHECK(has("audio port 49170 RTP/AVP: PCMU/8000 PCMA/8000 telephone-event/8000 (sendrecv)"));
	return 0;
}

TEST(print_pretty_binary_body)
{
	static const char text[] = "MESSAGE sip:a@example.com SIP/2.0\r\n"
				   "Content-Type: application/octet-stream\r\n"
				   "Content-Length: 5\r\n"
				   "\r\n"
				   "a\0\x1b\x02z";
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_PRETTY};
	CHECK_INT(PARSE(&m, text), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK(has("[5 bytes of binary body]"));
	CHECK(lacks("\x1b"));
	CHECK_INT(strlen(out), outlen); /* no NUL written */
	return 0;
}

TEST(print_pretty_problems)
{
	static const struct sip_diag diags[] = {
		{0, SIP_SEV_WARNING, "missing Call-ID"},
		{4, SIP_SEV_ERROR, "Max-Forwards 256 is out of range (0 to 255)"},
	};
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_PRETTY, .diags = diags, .ndiags = 2};
	CHECK_INT(PARSE(&m, invite), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK(has("error: line 4: Max-Forwards 256 is out of range (0 to 255)\n"));
	CHECK(has("warning: missing Call-ID\n"));
	/* the line's problem comes under that line, before the next header */
	const char *hdr = strstr(out, "\nMax-Forwards: 70\n");
	const char *err = strstr(out, "error: line 4:");
	const char *next = strstr(out, "\nTo: ");
	CHECK(hdr && err && next);
	CHECK(hdr < err && err < next);
	return 0;
}

TEST(print_pretty_source)
{
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_PRETTY, .source = "busy.sip"};
	CHECK_INT(PARSE(&m, busy), 0);
	CHECK_INT(render(&m, &o), 0);
	char want[64];
	snprintf(want, sizeof want, "-- busy.sip (%zu bytes)\n", sizeof busy - 1);
	CHECK(memcmp(out, want, strlen(want)) == 0);
	return 0;
}

TEST(print_pretty_no_color)
{
	static const struct sip_diag diags[] = {{3, SIP_SEV_ERROR, "bad"},
	                                        {0, SIP_SEV_WARNING, "meh"}};
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_PRETTY, .diags = diags, .ndiags = 2};
	CHECK_INT(PARSE(&m, invite), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK(lacks("\x1b"));
	CHECK_INT(PARSE(&m, busy), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK(lacks("\x1b"));
	return 0;
}

TEST(print_pretty_color)
{
	static const struct sip_diag diags[] = {{3, SIP_SEV_ERROR, "bad"}};
	struct sip_msg m;
	struct sip_print_opts o = {
		.format = SIP_PRINT_PRETTY, .color = true, .diags = diags, .ndiags = 1};
	CHECK_INT(PARSE(&m, invite), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK(has("\x1b["));
	CHECK(has("\x1b[0m"));
	return 0;
}

static const char hostile[] = "SIP/2.0 200 O\x1b[2JK\r\n"
			      "Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK\x1b]0;x\x07\r\n"
			      "To: \"\x1b[5mBob\" <sip:bob@biloxi.example.com>;tag=1\r\n"
			      "From: <sip:alice@atlanta.example.com>;tag=2\r\n"
			      "Call-ID: a\x1b]0;pwned\x07z\r\n"
			      "Subject: \x1b[31mred\x9b\x7f\r\n"
			      "CSeq: 1 INVITE\r\n"
			      "Content-Length: 0\r\n"
			      "\r\n";

TEST(print_pretty_control_characters_not_emitted)
{
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_PRETTY};
	CHECK_INT(PARSE(&m, hostile), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK(lacks("\x1b"));
	CHECK(lacks("\x07"));
	CHECK(lacks("\x7f"));
	CHECK(has("Subject: ?[31mred"));
	CHECK(has("SIP/2.0 200 O?[2JK"));
	return 0;
}

/* The checker quotes header values in its texts; pretty output must not
 * pass a peer's escape sequence to the terminal through them. */
TEST(print_pretty_problem_texts_are_sanitized)
{
	struct sip_msg m;
	struct sip_diag d[16];
	CHECK_INT(PARSE(&m, hostile), 0);
	size_t n = sip_msg_check(&m, d, 16);
	CHECK(n > 0 && n <= 16);
	bool quoted = false;
	for (size_t i = 0; i < n; i++)
		quoted |= strchr(d[i].text, '\x1b') != NULL;
	CHECK(quoted); /* the test means something only if a text holds the ESC */
	struct sip_print_opts o = {.format = SIP_PRINT_PRETTY, .diags = d, .ndiags = n};
	CHECK_INT(render(&m, &o), 0);
	CHECK(has("Call-ID 'a?]0;pwned?z' has whitespace or a control character"));
	CHECK(lacks("\x1b"));
	CHECK(lacks("\x07"));
	o.color = true;
	CHECK_INT(render(&m, &o), 0);
	CHECK(lacks("\x1b]"));
	CHECK(lacks("\x07"));
	return 0;
}

/* ---- JSON ---- */

static int one_json_line(void)
{
	CHECK(outlen > 2);
	CHECK_INT(out[0], '{');
	CHECK_INT(out[outlen - 2], '}');
	CHECK_INT(out[outlen - 1], '\n');
	CHECK(memchr(out, '\n', outlen - 1) == NULL);
	CHECK_INT(strlen(out), outlen);
	for (size_t i = 0; i < outlen - 1; i++)
		CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
	return 0;
}

TEST(print_json_one_line_valid)
{
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_JSON};
	CHECK_INT(PARSE(&m, invite), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK_INT(one_json_line(), 0);
	CHECK(has("\"valid\":true"));
	CHECK(has("\"problems\":[]"));
	return 0;
}

TEST(print_json_invalid_with_error)
{
	static const struct sip_diag err[] = {{4, SIP_SEV_ERROR, "Max-Forwards \"x\" is bad"}};
	static const struct sip_diag warn[] = {{0, SIP_SEV_WARNING, "missing Via"}};
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_JSON, .diags = err, .ndiags = 1};
	CHECK_INT(PARSE(&m, invite), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK_INT(one_json_line(), 0);
	CHECK(has("\"valid\":false"));
	CHECK(has("\"problems\":[{\"line\":4,\"severity\":\"error\","
	          "\"text\":\"Max-Forwards \\\"x\\\" is bad\"}]"));
	o.diags = warn;
	CHECK_INT(render(&m, &o), 0);
	CHECK(has("\"valid\":true"));
	CHECK(has("{\"line\":0,\"severity\":\"warning\",\"text\":\"missing Via\"}"));
	return 0;
}

TEST(print_json_request_fields)
{
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_JSON, .source = "in\"vite.sip"};
	CHECK_INT(PARSE(&m, invite), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK_INT(one_json_line(), 0);
	CHECK(has("{\"source\":\"in\\\"vite.sip\",\"valid\":true"));
	CHECK(has(
		"\"type\":\"request\",\"method\":\"INVITE\",\"ruri\":\"sip:bob@biloxi.example.com\""));
	CHECK(has("{\"name\":\"Via\",\"value\":\"SIP/2.0/UDP pc33.atlanta.example.com:5066;"
	          "branch=z9hG4bK776asdhds;rport=5067\",\"line\":2}"));
	CHECK(has("{\"name\":\"Subject\",\"value\":\"first part\\r\\n second part\",\"line\":9}"));
	CHECK(has("{\"name\":\"X-Custom\",\"value\":\"yes\",\"line\":11}"));
	CHECK(has("\"via\":[{\"transport\":\"UDP\",\"host\":\"pc33.atlanta.example.com\","
	          "\"port\":5066,\"branch\":\"z9hG4bK776asdhds\",\"rport\":5067},"
	          "{\"transport\":\"TCP\",\"host\":\"192.0.2.9\",\"branch\":\"z9hG4bKold\","
	          "\"received\":\"192.0.2.1\"}]"));
	CHECK(has("\"from\":{\"display\":\"Alice\",\"uri\":\"sip:alice@atlanta.example.com\","
	          "\"user\":\"alice\",\"host\":\"atlanta.example.com\",\"tag\":\"1928301774\","
	          "\"params\":\"tag=1928301774\"}"));
	CHECK(has("\"call_id\":\"a84b4c76e66710@pc33.atlanta.example.com\""));
	CHECK(has("\"cseq\":{\"num\":314159,\"method\":\"INVITE\"}"));
	CHECK(has("\"body\":{\"length\":151,\"type\":\"application/sdp\",\"sdp\":{"));
	CHECK(has("\"codecs\":[{\"pt\":0,\"name\":\"PCMU\",\"rate\":8000},"
	          "{\"pt\":8,\"name\":\"PCMA\",\"rate\":8000},"
	          "{\"pt\":101,\"name\":\"telephone-event\",\"rate\":8000}]"));
	CHECK_INT(strstr(out, "\"size\":") != NULL, 1);
	return 0;
}

TEST(print_json_response_fields)
{
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_JSON};
	CHECK_INT(PARSE(&m, busy), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK_INT(one_json_line(), 0);
	CHECK(has("\"type\":\"response\",\"status\":486,\"reason\":\"Busy Here\""));
	CHECK(lacks("\"method\":\"INVITE\",\"ruri\""));
	CHECK(has("\"body\":{\"length\":0}"));
	return 0;
}

TEST(print_json_escapes)
{
	static const char text[] = "MESSAGE sip:a@example.com SIP/2.0\r\n"
				   "Subject: say \"hi\" \\ back\x01\x1f\x7f\tend\r\n"
				   "Call-ID: 1\r\n"
				   "\r\n";
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_JSON};
	CHECK_INT(PARSE(&m, text), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK_INT(one_json_line(), 0);
	CHECK(has("\"value\":\"say \\\"hi\\\" \\\\ back\\u0001\\u001f\\u007f\\tend\""));
	return 0;
}

TEST(print_json_invalid_utf8)
{
	static const char text[] = "MESSAGE sip:a@example.com SIP/2.0\r\n"
				   "X-Bad: a\xff"
				   "b\xc0\xaf"
				   "c\xed\xa0\x80"
				   "d\xf5\x80\x80\x80"
				   "e\x80"
				   "f\xe2\x82\r\n"
				   "X-Cut: \xf0\x9f\x98\r\n"
				   "\r\n";
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_JSON};
	CHECK_INT(PARSE(&m, text), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK_INT(one_json_line(), 0);
	CHECK(has("\"value\":\"a\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffd\\ufffd"
	          "d\\ufffd\\ufffd\\ufffd\\ufffde\\ufffdf\\ufffd\\ufffd\""));
	CHECK(has("\"value\":\"\\ufffd\\ufffd\\ufffd\""));
	for (size_t i = 0; i < outlen; i++)
		CHECK((unsigned char)out[i] < 0x80);
	return 0;
}

TEST(print_json_valid_utf8_passes)
{
	static const char text[] =
		"MESSAGE sip:a@example.com SIP/2.0\r\n"
		"Subject: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\r\n"
		"Call-ID: 1\r\n"
		"\r\n";
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_JSON};
	CHECK_INT(PARSE(&m, text), 0);
	CHECK_INT(render(&m, &o), 0);
	CHECK_INT(one_json_line(), 0);
	CHECK(has("\"value\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\""));
	CHECK(lacks("ufffd"));
	return 0;
}

TEST(print_json_problem_text_escaped)
{
	struct sip_msg m;
	struct sip_diag d[16];
	CHECK_INT(PARSE(&m, hostile), 0);
	size_t n = sip_msg_check(&m, d, 16);
	struct sip_print_opts o = {.format = SIP_PRINT_JSON, .diags = d, .ndiags = n};
	CHECK_INT(render(&m, &o), 0);
	CHECK_INT(one_json_line(), 0);
	CHECK(has("\"valid\":false"));
	CHECK(has("Call-ID 'a\\u001b]0;pwned\\u0007z'"));
	return 0;
}

/* ---- unparsed ---- */

static const char broken[] = "INVITE  sip:bob@biloxi.example.com SIP/2.0\r\n"
			     "Subject: \x1b[2J\r\n"
			     "\r\n"
			     "no newline at the end";

static const struct sip_diag broken_diag[] = {
	{1, SIP_SEV_ERROR, "more than one space after the method in the request line"},
};

TEST(print_unparsed_raw)
{
	struct sip_print_opts o = {.format = SIP_PRINT_RAW, .diags = broken_diag, .ndiags = 1};
	CHECK_INT(render_unparsed((struct sip_str){broken, sizeof broken - 1}, &o), 0);
	CHECK_INT(outlen, sizeof broken - 1);
	CHECK(memcmp(out, broken, outlen) == 0);
	CHECK_INT(render_unparsed((struct sip_str){broken, sizeof broken - 1}, NULL), 0);
	CHECK_INT(outlen, sizeof broken - 1);
	return 0;
}

TEST(print_unparsed_pretty)
{
	struct sip_print_opts o = {
		.format = SIP_PRINT_PRETTY, .diags = broken_diag, .ndiags = 1, .source = "b.sip"};
	CHECK_INT(render_unparsed((struct sip_str){broken, sizeof broken - 1}, &o), 0);
	char want[64];
	snprintf(want, sizeof want, "-- b.sip (%zu bytes)\n", sizeof broken - 1);
	CHECK(memcmp(out, want, strlen(want)) == 0);
	CHECK(has("INVITE  sip:bob@biloxi.example.com SIP/2.0"));
	CHECK(has("Subject: ?[2J"));
	CHECK(has("no newline at the end\nerror: line 1: more than one space after the method"));
	CHECK(lacks("\x1b"));
	CHECK_INT(out[outlen - 1], '\n');
	return 0;
}

TEST(print_unparsed_pretty_problem_text_sanitized)
{
	static const struct sip_diag d[] = {
		{2, SIP_SEV_ERROR, "not a header line: '\x1b]0;x\x07'"}};
	struct sip_print_opts o = {.format = SIP_PRINT_PRETTY, .diags = d, .ndiags = 1};
	CHECK_INT(render_unparsed(SIP_STR("x\r\n"), &o), 0);
	CHECK(has("error: line 2: not a header line: '?]0;x?'"));
	CHECK(lacks("\x1b"));
	CHECK(lacks("\x07"));
	return 0;
}

TEST(print_unparsed_json)
{
	struct sip_print_opts o = {.format = SIP_PRINT_JSON, .diags = broken_diag, .ndiags = 1};
	CHECK_INT(render_unparsed((struct sip_str){broken, sizeof broken - 1}, &o), 0);
	char want[256];
	snprintf(want, sizeof want,
	         "{\"valid\":false,\"size\":%zu,\"problems\":[{\"line\":1,\"severity\":\"error\","
	         "\"text\":\"more than one space after the method in the request line\"}]}\n",
	         sizeof broken - 1);
	CHECK_STR(((struct sip_str){out, outlen}), want);
	o.source = "x.sip";
	o.ndiags = 0;
	CHECK_INT(render_unparsed(SIP_STR("junk"), &o), 0);
	CHECK_STR(((struct sip_str){out, outlen}),
	          "{\"source\":\"x.sip\",\"valid\":false,\"size\":4,\"problems\":[]}\n");
	return 0;
}

/* Received and refused: raw and JSON say from where and when, as for a
 * message that parsed. */
TEST(print_unparsed_packet)
{
	struct sip_packet_info pi = {.tx = false, .tp = SIP_TP_UDP, .time_us = 1250000};
	sip_sockaddr_set(&pi.local, SIP_STR("127.0.0.1"), 5060);
	sip_sockaddr_set(&pi.remote, SIP_STR("192.0.2.7"), 5070);
	struct sip_print_opts o = {.format = SIP_PRINT_RAW, .packet = &pi, .t0_us = 1000000};
	CHECK_INT(render_unparsed(SIP_STR("junk"), &o), 0);
	CHECK_STR(((struct sip_str){out, outlen}),
	          "\u2190 UDP 192.0.2.7:5070  4 B  +250.0 ms\njunk\n");
	o.format = SIP_PRINT_JSON;
	CHECK_INT(render_unparsed(SIP_STR("junk"), &o), 0);
	CHECK_STR(((struct sip_str){out, outlen}),
	          "{\"direction\":\"received\",\"transport\":\"UDP\",\"local\":\"127.0.0.1:5060\","
	          "\"remote\":\"192.0.2.7:5070\",\"time\":0.250000,\"valid\":false,\"size\":4,"
	          "\"problems\":[]}\n");
	return 0;
}

/* A MESSAGE's text has no last newline: under a packet line, raw output
 * ends the message with one, so the next packet's line starts a line;
 * without one (sip decode) it stays octet for octet. */
TEST(print_raw_packet_body_without_newline)
{
	static const char msg[] = "MESSAGE sip:a@b SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
				  "From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\n"
				  "CSeq: 1 MESSAGE\r\nContent-Length: 2\r\n\r\nhi";
	struct sip_packet_info pi = {.tx = true, .tp = SIP_TP_UDP, .time_us = 1000000};
	sip_sockaddr_set(&pi.local, SIP_STR("127.0.0.1"), 5060);
	sip_sockaddr_set(&pi.remote, SIP_STR("192.0.2.7"), 5070);
	struct sip_msg m;
	CHECK_INT(sip_msg_parse(&m, msg, sizeof msg - 1, 0), 0);
	struct sip_print_opts o = {.format = SIP_PRINT_RAW, .packet = &pi, .t0_us = 1000000};
	CHECK_INT(render(&m, &o), 0);
	CHECK(outlen > 4 && memcmp(out + outlen - 4, "\nhi\n", 4) == 0);
	o.packet = NULL;
	CHECK_INT(render(&m, &o), 0);
	CHECK_STR(((struct sip_str){out, outlen}), msg);
	return 0;
}

TEST(print_write_error_reported)
{
	FILE *f = fopen("/dev/full", "w");
	if (!f)
		return 0; /* no /dev/full here: nothing to test */
	setvbuf(f, NULL, _IONBF, 0);
	struct sip_msg m;
	struct sip_print_opts o = {.format = SIP_PRINT_PRETTY};
	int r = PARSE(&m, busy);
	int p = r == 0 ? sip_msg_print(f, &m, &o) : 0;
	int u = sip_msg_print_unparsed(f, SIP_STR("abc"), NULL);
	fclose(f);
	CHECK_INT(r, 0);
	CHECK_INT(p, SIP_ENOSPC);
	CHECK_INT(u, SIP_ENOSPC);
	return 0;
}
