/* roundtrip_test.c - build, print, parse: every method and a response of
 * every class comes out of the builder as a message the parser reads back
 * field for field, that the checker finds nothing wrong with, and that the
 * raw printer reproduces byte for byte. */
#include "test.h"

static const char offer[] = "v=0\r\n"
			    "o=- 1 1 IN IP4 192.0.2.5\r\n"
			    "s=-\r\n"
			    "c=IN IP4 192.0.2.5\r\n"
			    "t=0 0\r\n"
			    "m=audio 40000 RTP/AVP 0 101\r\n"
			    "a=rtpmap:101 telephone-event/8000\r\n";

/* Prints m raw into a buffer, parses that, and compares. fmemopen rather
 * than open_memstream: the runner counts only the heap blocks our code
 * allocates and frees, and open_memstream's buffer is libc's. */
static int reparse_equal(const struct sip_msg *m)
{
	static char out[8192];
	FILE *f = fmemopen(out, sizeof out, "w");
	CHECK(f != NULL);
	struct sip_print_opts po = {.format = SIP_PRINT_RAW};
	int err = sip_msg_print(f, m, &po);
	size_t len = (size_t)ftell(f);
	fclose(f);
	CHECK_INT(err, 0);
	CHECK_INT(len, m->raw.len);
	CHECK(memcmp(out, m->raw.p, len) == 0);
	static struct sip_msg again;
	err = sip_msg_parse(&again, out, len, 0);
	if (err == 0) {
		err = again.nhdrs != m->nhdrs || again.is_request != m->is_request ||
		      again.status != m->status || again.body.len != m->body.len;
		for (unsigned i = 0; !err && i < m->nhdrs; i++)
			err = !sip_str_eq(again.hdrs[i].name, m->hdrs[i].name) ||
			      !sip_str_eq(again.hdrs[i].value, m->hdrs[i].value);
	}
	CHECK_INT(err, 0);
	return 0;
}

static int no_problems(const struct sip_msg *m)
{
	struct sip_diag d[8];
	size_t n = sip_msg_check(m, d, 8);
	for (size_t i = 0; i < n && i < 8; i++)
		printf("     problem: line %u: %s\n", d[i].line, d[i].text);
	CHECK_INT(n, 0);
	return 0;
}

TEST(roundtrip_every_method)
{
	static const enum sip_method methods[] = {
		SIP_INVITE, SIP_ACK,    SIP_BYE,   SIP_CANCEL,    SIP_OPTIONS, SIP_REGISTER,
		SIP_PRACK,  SIP_UPDATE, SIP_REFER, SIP_SUBSCRIBE, SIP_NOTIFY,  SIP_MESSAGE,
	};
	static struct sip_msg m;
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		struct sip_request_spec s = {
			.method = methods[i],
			.ruri = "sip:bob@example.net",
			.from = "\"Alice\" <sip:alice@example.com>",
			.via_host = "192.0.2.5",
			.via_port = 5060,
			.cseq = 7,
			.contact = "sip:alice@192.0.2.5",
		};
		if (methods[i] == SIP_INVITE || methods[i] == SIP_UPDATE) {
			s.content_type = "application/sdp";
			s.body = offer;
			s.body_len = sizeof offer - 1;
		}
		struct sip_buf b;
		sip_buf_init(&b, 0);
		CHECK_INT(sip_build_request(&b, &s), 0);
		int err = sip_msg_parse(&m, b.p, b.len, 0);
		if (err)
			printf("     %s: %s\n", sip_method_name(methods[i]), m.err_text);
		CHECK_INT(err, 0);
		CHECK(m.is_request);
		CHECK_INT(m.method, methods[i]);
		CHECK_INT(m.trailing, 0);
		CHECK_INT(m.body.len, s.body_len);
		int r = no_problems(&m);
		if (r == 0)
			r = reparse_equal(&m);
		sip_buf_reset(&b);
		CHECK_INT(r, 0);
	}
	return 0;
}

TEST(roundtrip_every_response_class)
{
	static const unsigned codes[] = {100, 180, 183, 200, 202, 302, 404, 486, 503, 603, 699};
	static const char req[] = "INVITE sip:bob@example.net SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP p.example.com;branch=z9hG4bKp1\r\n"
				  "Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKa1;rport=5060\r\n"
				  "Max-Forwards: 69\r\n"
				  "From: <sip:alice@example.com>;tag=a1\r\n"
				  "To: <sip:bob@example.net>\r\n"
				  "Call-ID: rt-1@192.0.2.5\r\n"
				  "CSeq: 1 INVITE\r\n"
				  "Content-Length: 0\r\n\r\n";
	static struct sip_msg r, m;
	CHECK_INT(sip_msg_parse(&r, req, sizeof req - 1, 0), 0);
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		struct sip_response_spec rs = {.status = codes[i]};
		struct sip_buf b;
		sip_buf_init(&b, 0);
		CHECK_INT(sip_build_response(&b, &r, &rs), 0);
		CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
		CHECK(!m.is_request);
		CHECK_INT(m.status, codes[i]);
		CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_VIA), 2);
		int rc = no_problems(&m);
		if (rc == 0)
			rc = reparse_equal(&m);
		sip_buf_reset(&b);
		CHECK_INT(rc, 0);
	}
	return 0;
}
