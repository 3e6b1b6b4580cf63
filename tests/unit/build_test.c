/* build_test.c - requests and responses from lib/build.c, parsed back with
 * lib/msg.c; the growable buffer and random tokens. */
#include "test.h"

static const char sdp_body[] = "v=0\r\n"
			       "o=carol 1201 1201 IN IP4 198.51.100.7\r\n"
			       "s=-\r\n"
			       "c=IN IP4 198.51.100.7\r\n"
			       "t=0 0\r\n"
			       "m=audio 30000 RTP/AVP 0\r\n";

static void spec_init(struct sip_request_spec *s, enum sip_method m)
{
	memset(s, 0, sizeof *s);
	s->method = m;
	s->ruri = "sip:dave@example.net";
	s->from = "\"Carol\" <sip:carol@example.com>";
	s->via_host = "198.51.100.7";
	s->via_port = 5070;
}

/* A header's value, or "" when absent. */
static struct sip_str hval(const struct sip_msg *m, enum sip_hdr_id id)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);
	return h ? h->value : SIP_STR("");
}

static struct sip_str tag_of(const struct sip_msg *m, enum sip_hdr_id id)
{
	struct sip_addr a;
	if (sip_addr_parse(&a, hval(m, id)) != 0)
		return SIP_STR("");
	return a.tag;
}

static bool has_tag_param(const struct sip_msg *m, enum sip_hdr_id id)
{
	struct sip_addr a;
	return sip_addr_parse(&a, hval(m, id)) == 0 && sip_param_get(a.params, "tag", NULL);
}

static struct sip_str branch_of(const struct sip_msg *m)
{
	struct sip_via v;
	if (sip_via_parse(&v, hval(m, SIP_HDR_VIA)) != 0)
		return SIP_STR("");
	return v.branch;
}

static uint64_t content_length(const struct sip_msg *m)
{
	uint64_t n = UINT64_MAX;
	sip_hdr_uint(hval(m, SIP_HDR_CONTENT_LENGTH), UINT32_MAX, &n);
	return n;
}

/* The whole buffer is want; when not, both are shown. */
static bool text_is(const struct sip_buf *b, const char *want)
{
	return test_text_is(b->p, b->len, want);
}

static bool starts_with(struct sip_str s, const char *prefix)
{
	size_t n = strlen(prefix);
	return s.len >= n && memcmp(s.p, prefix, n) == 0;
}

TEST(build_request_every_method)
{
	static const enum sip_method methods[] = {
		SIP_INVITE,   SIP_ACK,     SIP_BYE,    SIP_CANCEL,  SIP_OPTIONS,
		SIP_REGISTER, SIP_PRACK,   SIP_UPDATE, SIP_REFER,   SIP_SUBSCRIBE,
		SIP_NOTIFY,   SIP_MESSAGE, SIP_INFO,   SIP_PUBLISH,
	};
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		struct sip_request_spec s;
		spec_init(&s, methods[i]);
		s.cseq = (uint32_t)(100 + i);
		if (i % 2) {
			s.content_type = "application/sdp";
			s.body = sdp_body;
			s.body_len = sizeof sdp_body - 1;
		}
		struct sip_buf b;
		sip_buf_init(&b, 0);
		CHECK_INT(sip_build_request(&b, &s), 0);
		CHECK_INT(strlen(b.p), b.len);

		struct sip_msg m;
		CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
		CHECK(m.is_request);
		CHECK_INT(m.method, methods[i]);
		CHECK_STR(m.method_name, sip_method_name(methods[i]));
		CHECK_STR(m.ruri, "sip:dave@example.net");
		CHECK_INT(m.flags, 0);

		struct sip_cseq cs;
		CHECK_INT(sip_cseq_parse(&cs, hval(&m, SIP_HDR_CSEQ)), 0);
		CHECK_INT(cs.num, 100 + i);
		CHECK_INT(cs.method, methods[i]);

		CHECK_INT(content_length(&m), m.body.len);
		CHECK_INT(m.body.len, s.body_len);
		if (s.body_len)
			CHECK_STR(hval(&m, SIP_HDR_CONTENT_TYPE), "application/sdp");
		else
			CHECK(!sip_msg_hdr(&m, SIP_HDR_CONTENT_TYPE));

		struct sip_via v;
		CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_VIA), 1);
		CHECK_INT(sip_via_parse(&v, hval(&m, SIP_HDR_VIA)), 0);
		CHECK_STR(v.transport, "UDP");
		CHECK_STR(v.host, "198.51.100.7");
		CHECK_INT(v.port, 5070);
		CHECK(v.rport);
		CHECK(starts_with(v.branch, "z9hG4bK"));
		CHECK(v.branch.len > 7 + 8);

		CHECK_STR(hval(&m, SIP_HDR_MAX_FORWARDS), "70");
		CHECK(tag_of(&m, SIP_HDR_FROM).len > 0);
		CHECK(!has_tag_param(&m, SIP_HDR_TO));
		CHECK_STR(hval(&m, SIP_HDR_TO), "<sip:dave@example.net>");
		CHECK(hval(&m, SIP_HDR_CALL_ID).len >= 20);
		CHECK(!sip_msg_hdr(&m, SIP_HDR_CONTACT));
		CHECK(!sip_msg_hdr(&m, SIP_HDR_USER_AGENT));
		sip_buf_reset(&b);
	}
	return 0;
}

/* Everything given, nothing random: the exact bytes, in the default order. */
TEST(build_request_exact)
{
	struct sip_request_spec s;
	spec_init(&s, SIP_MESSAGE);
	s.from = "sip:carol@example.com";
	s.from_tag = "f00d";
	s.to = "Dave <sip:dave@example.net>";
	s.to_tag = "beef";
	s.call_id = "k3y-77@198.51.100.7";
	s.cseq = 9;
	s.transport = "TCP";
	s.branch = "z9hG4bKfixed1";
	s.contact = "sip:carol@198.51.100.7:5070;transport=tcp";
	s.max_forwards = 5;
	s.user_agent = "sip-test/1";
	s.content_type = "text/plain";
	s.body = "ping";
	s.body_len = 4;
	struct sip_buf b;
	sip_buf_init(&b, 0);
	CHECK_INT(sip_build_request(&b, &s), 0);
	CHECK(text_is(&b, "MESSAGE sip:dave@example.net SIP/2.0\r\n"
	                  "Via: SIP/2.0/TCP 198.51.100.7:5070;branch=z9hG4bKfixed1;rport\r\n"
	                  "Max-Forwards: 5\r\n"
	                  "From: <sip:carol@example.com>;tag=f00d\r\n"
	                  "To: Dave <sip:dave@example.net>;tag=beef\r\n"
	                  "Call-ID: k3y-77@198.51.100.7\r\n"
	                  "CSeq: 9 MESSAGE\r\n"
	                  "Contact: <sip:carol@198.51.100.7:5070;transport=tcp>\r\n"
	                  "User-Agent: sip-test/1\r\n"
	                  "Content-Type: text/plain\r\n"
	                  "Content-Length: 4\r\n"
	                  "\r\n"
	                  "ping"));
	sip_buf_reset(&b);
	return 0;
}

TEST(build_request_options)
{
	struct sip_request_spec s;
	spec_init(&s, SIP_REGISTER);
	s.from_tag = ""; /* no tag at all */
	s.via_host = "2001:db8::7";
	s.via_port = 0;
	s.contact = "*";
	/* Max-Forwards 0 (a probe for 483) goes through a user header. */
	struct sip_build_hdr zero_hops[] = {{"Max-Forwards: 0"}};
	s.headers = zero_hops;
	s.nheaders = 1;
	struct sip_buf b;
	sip_buf_init(&b, 0);
	CHECK_INT(sip_build_request(&b, &s), 0);
	struct sip_msg m;
	CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
	CHECK_STR(hval(&m, SIP_HDR_FROM), "\"Carol\" <sip:carol@example.com>");
	CHECK_STR(hval(&m, SIP_HDR_CONTACT), "*");
	CHECK_STR(hval(&m, SIP_HDR_MAX_FORWARDS), "0");
	CHECK_STR(hval(&m, SIP_HDR_CSEQ), "1 REGISTER");
	struct sip_via v;
	CHECK_INT(sip_via_parse(&v, hval(&m, SIP_HDR_VIA)), 0);
	CHECK_STR(v.host, "[2001:db8::7]");
	CHECK(!v.has_port);
	sip_buf_reset(&b);

	/* A From that has its tag keeps it, and gets no second one. */
	spec_init(&s, SIP_BYE);
	s.from = "<sip:carol@example.com>;tag=given";
	sip_buf_init(&b, 0);
	CHECK_INT(sip_build_request(&b, &s), 0);
	CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
	CHECK_STR(hval(&m, SIP_HDR_FROM), "<sip:carol@example.com>;tag=given");
	sip_buf_reset(&b);
	return 0;
}

TEST(build_request_other_method)
{
	struct sip_request_spec s;
	spec_init(&s, SIP_METHOD_OTHER);
	s.method_name = "FROB";
	struct sip_buf b;
	sip_buf_init(&b, 0);
	CHECK_INT(sip_build_request(&b, &s), 0);
	struct sip_msg m;
	CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
	CHECK_INT(m.method, SIP_METHOD_OTHER);
	CHECK_STR(m.method_name, "FROB");
	CHECK_STR(hval(&m, SIP_HDR_CSEQ), "1 FROB");
	sip_buf_reset(&b);
	return 0;
}

TEST(build_request_fresh_values_differ)
{
	struct sip_request_spec s;
	spec_init(&s, SIP_INVITE);
	struct sip_buf b1, b2;
	sip_buf_init(&b1, 0);
	sip_buf_init(&b2, 0);
	CHECK_INT(sip_build_request(&b1, &s), 0);
	CHECK_INT(sip_build_request(&b2, &s), 0);
	struct sip_msg m1, m2;
	CHECK_INT(sip_msg_parse(&m1, b1.p, b1.len, 0), 0);
	CHECK_INT(sip_msg_parse(&m2, b2.p, b2.len, 0), 0);
	CHECK(branch_of(&m1).len > 7 && tag_of(&m1, SIP_HDR_FROM).len > 0);
	CHECK(!sip_str_eq(branch_of(&m1), branch_of(&m2)));
	CHECK(!sip_str_eq(tag_of(&m1, SIP_HDR_FROM), tag_of(&m2, SIP_HDR_FROM)));
	CHECK(!sip_str_eq(hval(&m1, SIP_HDR_CALL_ID), hval(&m2, SIP_HDR_CALL_ID)));
	sip_buf_reset(&b1);
	sip_buf_reset(&b2);
	return 0;
}

TEST(build_request_bad_spec)
{
	struct sip_request_spec s;
	struct sip_buf b;
	sip_buf_init(&b, 0);

	spec_init(&s, SIP_OPTIONS);
	s.ruri = NULL;
	CHECK_INT(sip_build_request(&b, &s), SIP_EINVAL);
	spec_init(&s, SIP_OPTIONS);
	s.from = "";
	CHECK_INT(sip_build_request(&b, &s), SIP_EINVAL);
	spec_init(&s, SIP_OPTIONS);
	s.via_host = NULL;
	CHECK_INT(sip_build_request(&b, &s), SIP_EINVAL);
	spec_init(&s, SIP_METHOD_OTHER);
	CHECK_INT(sip_build_request(&b, &s), SIP_EINVAL);
	s.method_name = "NO SPACE";
	CHECK_INT(sip_build_request(&b, &s), SIP_EINVAL);
	spec_init(&s, SIP_METHOD_COUNT);
	CHECK_INT(sip_build_request(&b, &s), SIP_EINVAL);
	/* a line break in any value would inject a header */
	spec_init(&s, SIP_OPTIONS);
	s.from = "<sip:carol@example.com>\r\nX-Injected: 1";
	CHECK_INT(sip_build_request(&b, &s), SIP_EINVAL);
	spec_init(&s, SIP_OPTIONS);
	s.user_agent = "ua\n";
	CHECK_INT(sip_build_request(&b, &s), SIP_EINVAL);
	spec_init(&s, SIP_OPTIONS);
	s.body_len = 3;
	CHECK_INT(sip_build_request(&b, &s), SIP_EINVAL);
	CHECK_INT(b.len, 0);
	CHECK_INT(b.err, 0);
	return 0;
}

static int build_with(struct sip_buf *b, const struct sip_build_hdr *h, size_t n)
{
	struct sip_request_spec s;
	spec_init(&s, SIP_OPTIONS);
	s.user_agent = "sip-test/1";
	s.headers = h;
	s.nheaders = n;
	sip_buf_init(b, 0);
	return sip_build_request(b, &s);
}

TEST(build_user_header_replaces_in_place)
{
	const struct sip_build_hdr h[] = {
		{"Max-Forwards: 10"},
		{"user-agent: other/2"},
		{"v: SIP/2.0/TCP 203.0.113.9;branch=z9hG4bKmine"},
		{"i: my-call-id"},
	};
	struct sip_buf b;
	CHECK_INT(build_with(&b, h, 4), 0);
	struct sip_msg m;
	CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_MAX_FORWARDS), 1);
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_USER_AGENT), 1);
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_VIA), 1);
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_CALL_ID), 1);
	CHECK_STR(hval(&m, SIP_HDR_MAX_FORWARDS), "10");
	CHECK_STR(hval(&m, SIP_HDR_USER_AGENT), "other/2");
	CHECK_STR(hval(&m, SIP_HDR_VIA), "SIP/2.0/TCP 203.0.113.9;branch=z9hG4bKmine");
	CHECK_STR(hval(&m, SIP_HDR_CALL_ID), "my-call-id");
	/* where the defaults were, written as the user wrote them */
	CHECK_STR(m.hdrs[0].name, "v");
	CHECK_STR(m.hdrs[1].name, "Max-Forwards");
	CHECK_STR(m.hdrs[4].name, "i");
	CHECK_STR(m.hdrs[7].name, "user-agent");
	sip_buf_reset(&b);
	return 0;
}

/* RFC 3261 §11.1: an OPTIONS says what its answer's body may be; -H replaces it. */
TEST(build_options_accept)
{
	struct sip_buf b;
	struct sip_msg m;
	CHECK_INT(build_with(&b, NULL, 0), 0);
	CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_ACCEPT), 1);
	CHECK_STR(hval(&m, SIP_HDR_ACCEPT), "application/sdp");
	sip_buf_reset(&b);

	const struct sip_build_hdr h[] = {{"Accept: text/plain"}};
	CHECK_INT(build_with(&b, h, 1), 0);
	CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_ACCEPT), 1);
	CHECK_STR(hval(&m, SIP_HDR_ACCEPT), "text/plain");
	sip_buf_reset(&b);

	struct sip_request_spec s;
	spec_init(&s, SIP_MESSAGE);
	sip_buf_init(&b, 0);
	CHECK_INT(sip_build_request(&b, &s), 0);
	CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_ACCEPT), 0);
	sip_buf_reset(&b);
	return 0;
}

TEST(build_user_header_adds)
{
	const struct sip_build_hdr h[] = {
		{"X-Foo: 1"},
		{"Route: <sip:edge.example.net;lr>"},
		{"X-Foo: 2"},
	};
	struct sip_buf b;
	CHECK_INT(build_with(&b, h, 3), 0);
	struct sip_msg m;
	CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
	/* in the order given, just before Content-Length, which stays last */
	unsigned n = m.nhdrs;
	CHECK(n >= 4);
	CHECK_STR(m.hdrs[n - 4].name, "X-Foo");
	CHECK_STR(m.hdrs[n - 4].value, "1");
	CHECK_INT(m.hdrs[n - 3].id, SIP_HDR_ROUTE);
	CHECK_STR(m.hdrs[n - 2].value, "2");
	CHECK_INT(m.hdrs[n - 1].id, SIP_HDR_CONTENT_LENGTH);
	CHECK_STR(hval(&m, SIP_HDR_MAX_FORWARDS), "70");
	sip_buf_reset(&b);
	return 0;
}

/* Tools send a wrong Content-Length on purpose, and a Content-Type for no body. */
TEST(build_user_header_content_length_honoured)
{
	const struct sip_build_hdr h[] = {{"Content-Length: 999"}, {"c: text/plain"}};
	struct sip_buf b;
	CHECK_INT(build_with(&b, h, 2), 0);
	CHECK(strstr(b.p, "\r\nc: text/plain\r\nContent-Length: 999\r\n\r\n"));
	CHECK(!strstr(b.p, "Content-Length: 0"));
	sip_buf_reset(&b);
	return 0;
}

TEST(build_user_header_bad_line)
{
	static const char *const bad[] = {
		"NoColon",   "X-Foo: 1\r\nX-Bar: 2", "X-Foo: a\nb", "X-Foo: a\r",
		": no name", " X-Lead: folded",      "Bad Name: x",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sip_build_hdr h[] = {{"X-Fine: 1"}, {bad[i]}};
		struct sip_buf b;
		CHECK_INT(build_with(&b, h, 2), SIP_EINVAL);
		CHECK_INT(b.len, 0);
		sip_buf_reset(&b);
	}
	struct sip_build_hdr h[] = {{NULL}};
	struct sip_buf b;
	CHECK_INT(build_with(&b, h, 1), SIP_EINVAL);
	return 0;
}

static const char invite[] =
	"INVITE sip:dave@example.net SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKp1;received=10.0.0.1\r\n"
	"v: SIP/2.0/TCP 203.0.113.2;branch=z9hG4bKp2, SIP/2.0/UDP 203.0.113.3\r\n"
	"Via: SIP/2.0/UDP 198.51.100.7:5070;branch=z9hG4bKuac;rport=5070\r\n"
	"Record-Route: <sip:203.0.113.1;lr>\r\n"
	"Max-Forwards: 68\r\n"
	"f: Carol <sip:carol@example.com>;tag=c1\r\n"
	"To: <sip:dave@example.net>\r\n"
	"Call-ID: a84b4c76e66710@198.51.100.7\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Timestamp: 54\r\n"
	"Contact: <sip:carol@198.51.100.7:5070>\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

static const char *const invite_vias[] = {
	"SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKp1;received=10.0.0.1",
	"SIP/2.0/TCP 203.0.113.2;branch=z9hG4bKp2, SIP/2.0/UDP 203.0.113.3",
	"SIP/2.0/UDP 198.51.100.7:5070;branch=z9hG4bKuac;rport=5070",
};

/* Parses req_text and writes the response to it into a fresh b. */
static int respond(struct sip_buf *b, const char *req_text, const struct sip_response_spec *s)
{
	struct sip_msg req;
	int err = sip_msg_parse(&req, req_text, strlen(req_text), 0);
	sip_buf_init(b, 0);
	return err ? err : sip_build_response(b, &req, s);
}

TEST(build_response_codes)
{
	static const unsigned codes[] = {100, 180, 200, 302, 404, 486, 500, 603};
	struct sip_msg req, m;
	CHECK_INT(sip_msg_parse(&req, invite, sizeof invite - 1, 0), 0);
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		struct sip_response_spec s = {.status = codes[i]};
		struct sip_buf b;
		sip_buf_init(&b, 0);
		CHECK_INT(sip_build_response(&b, &req, &s), 0);
		CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
		CHECK(!m.is_request);
		CHECK_INT(m.status, codes[i]);
		CHECK_STR(m.reason, sip_status_reason(codes[i]));
		CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_VIA), 3);
		const struct sip_hdr *h = sip_msg_hdr(&m, SIP_HDR_VIA);
		for (size_t k = 0; k < 3; k++, h = sip_msg_hdr_next(&m, h)) {
			CHECK(h);
			CHECK_STR(h->name, "Via");
			CHECK_STR(h->value, invite_vias[k]);
		}
		CHECK(sip_str_eq(hval(&m, SIP_HDR_FROM), hval(&req, SIP_HDR_FROM)));
		CHECK_STR(tag_of(&m, SIP_HDR_FROM), "c1");
		CHECK(sip_str_eq(hval(&m, SIP_HDR_CALL_ID), hval(&req, SIP_HDR_CALL_ID)));
		CHECK(sip_str_eq(hval(&m, SIP_HDR_CSEQ), hval(&req, SIP_HDR_CSEQ)));
		CHECK_INT(content_length(&m), 0);
		CHECK_INT(m.body.len, 0);
		CHECK(!sip_msg_hdr(&m, SIP_HDR_CONTACT));
		CHECK(!sip_msg_hdr(&m, SIP_HDR_MAX_FORWARDS));
		/* a 100 has no To tag; the others have a fresh one */
		CHECK_INT(has_tag_param(&m, SIP_HDR_TO), codes[i] > 100);
		if (codes[i] > 100)
			CHECK(tag_of(&m, SIP_HDR_TO).len >= 8);
		sip_buf_reset(&b);
	}
	return 0;
}

TEST(build_response_exact)
{
	const struct sip_build_hdr h[] = {{"Allow: INVITE, ACK, BYE"}};
	struct sip_response_spec s = {
		.status = 200,
		.to_tag = "d4",
		.contact = "sip:dave@203.0.113.50",
		.server = "sip-test/1",
		.content_type = "application/sdp",
		.body = sdp_body,
		.body_len = sizeof sdp_body - 1,
		.headers = h,
		.nheaders = 1,
	};
	struct sip_buf b;
	CHECK_INT(respond(&b, invite, &s), 0);
	CHECK(text_is(&b,
	              "SIP/2.0 200 OK\r\n"
	              "Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKp1;received=10.0.0.1\r\n"
	              "Via: SIP/2.0/TCP 203.0.113.2;branch=z9hG4bKp2, SIP/2.0/UDP 203.0.113.3\r\n"
	              "Via: SIP/2.0/UDP 198.51.100.7:5070;branch=z9hG4bKuac;rport=5070\r\n"
	              "Record-Route: <sip:203.0.113.1;lr>\r\n"
	              "From: Carol <sip:carol@example.com>;tag=c1\r\n"
	              "To: <sip:dave@example.net>;tag=d4\r\n"
	              "Call-ID: a84b4c76e66710@198.51.100.7\r\n"
	              "CSeq: 314159 INVITE\r\n"
	              "Contact: <sip:dave@203.0.113.50>\r\n"
	              "Server: sip-test/1\r\n"
	              "Content-Type: application/sdp\r\n"
	              "Allow: INVITE, ACK, BYE\r\n"
	              "Content-Length: 104\r\n"
	              "\r\n"
	              "v=0\r\n"
	              "o=carol 1201 1201 IN IP4 198.51.100.7\r\n"
	              "s=-\r\n"
	              "c=IN IP4 198.51.100.7\r\n"
	              "t=0 0\r\n"
	              "m=audio 30000 RTP/AVP 0\r\n"));
	CHECK_INT(sizeof sdp_body - 1, 104);
	sip_buf_reset(&b);
	return 0;
}

/* A 100 echoes Timestamp (RFC 3261 §8.2.6.1); only dialog-making
 * responses carry Record-Route back. */
TEST(build_response_trying_and_failure)
{
	struct sip_buf b1, b2;
	CHECK_INT(respond(&b1, invite, &(struct sip_response_spec){.status = 100}), 0);
	CHECK_INT(respond(&b2, invite, &(struct sip_response_spec){.status = 486}), 0);
	CHECK(strstr(b1.p, "\r\nTimestamp: 54\r\n"));
	CHECK(strstr(b1.p, "\r\nTo: <sip:dave@example.net>\r\n"));
	CHECK(!strstr(b1.p, "Record-Route"));
	CHECK(!strstr(b2.p, "Timestamp"));
	CHECK(!strstr(b2.p, "Record-Route"));
	CHECK(strstr(b2.p, "SIP/2.0 486 Busy Here\r\n") == b2.p);
	sip_buf_reset(&b1);
	sip_buf_reset(&b2);
	return 0;
}

TEST(build_response_to_tag_and_reason)
{
	static const char bye[] = "BYE sip:carol@198.51.100.7:5070 SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP 203.0.113.50;branch=z9hG4bKb1\r\n"
				  "From: <sip:dave@example.net>;tag=d4\r\n"
				  "t: Carol <sip:carol@example.com> ; TAG = c1\r\n"
				  "Call-ID: a84b4c76e66710@198.51.100.7\r\n"
				  "CSeq: 7 BYE\r\n"
				  "\r\n";
	struct sip_buf b1, b2, b3, b4;
	CHECK_INT(respond(&b1, bye, &(struct sip_response_spec){.status = 200, .to_tag = "x9"}), 0);
	CHECK_INT(respond(&b2, bye, &(struct sip_response_spec){.status = 499}), 0);
	CHECK_INT(respond(&b3, bye,
	                  &(struct sip_response_spec){.status = 481, .reason = "Gone Away"}),
	          0);
	CHECK_INT(respond(&b4, invite, &(struct sip_response_spec){.status = 180, .to_tag = ""}),
	          0);
	/* the To of an in-dialog request already has its tag */
	CHECK(strstr(b1.p, "\r\nTo: Carol <sip:carol@example.com> ; TAG = c1\r\n"));
	CHECK(!strstr(b1.p, "x9"));
	CHECK(strstr(b2.p, "SIP/2.0 499 Unknown\r\n") == b2.p);
	CHECK(strstr(b3.p, "SIP/2.0 481 Gone Away\r\n") == b3.p);
	CHECK(strstr(b4.p, "\r\nTo: <sip:dave@example.net>\r\n"));
	sip_buf_reset(&b1);
	sip_buf_reset(&b2);
	sip_buf_reset(&b3);
	sip_buf_reset(&b4);
	return 0;
}

TEST(build_response_user_headers)
{
	const struct sip_build_hdr h[] = {
		{"Via: SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKonly"},
		{"Server: sip-test/2"},
		{"m: <sip:dave@192.0.2.99>"},
	};
	struct sip_response_spec s = {
		.status = 302, .contact = "sip:ignored@192.0.2.1", .headers = h, .nheaders = 3};
	struct sip_buf b;
	CHECK_INT(respond(&b, invite, &s), 0);
	CHECK(strstr(b.p, "SIP/2.0 302 Moved Temporarily\r\n"
	                  "Via: SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKonly\r\n"
	                  "From: ") == b.p);
	CHECK(!strstr(b.p, "ignored"));
	CHECK(strstr(b.p, "\r\nm: <sip:dave@192.0.2.99>\r\nServer: sip-test/2\r\n"
	                  "Content-Length: 0\r\n\r\n"));
	sip_buf_reset(&b);

	const struct sip_build_hdr bad[] = {{"X-A: 1\r\n"}};
	s.headers = bad;
	s.nheaders = 1;
	CHECK_INT(respond(&b, invite, &s), SIP_EINVAL);
	CHECK_INT(b.len, 0);
	return 0;
}

TEST(build_response_bad_input)
{
	static const char resp[] = "SIP/2.0 200 OK\r\n"
				   "Via: SIP/2.0/UDP 203.0.113.50;branch=z9hG4bKb1\r\n"
				   "Content-Length: 0\r\n\r\n";
	struct sip_buf b;
	CHECK_INT(respond(&b, resp, &(struct sip_response_spec){.status = 200}), SIP_EINVAL);
	CHECK_INT(respond(&b, invite, &(struct sip_response_spec){.status = 99}), SIP_EINVAL);
	CHECK_INT(respond(&b, invite, &(struct sip_response_spec){.status = 700}), SIP_EINVAL);
	CHECK_INT(respond(&b, invite, &(struct sip_response_spec){.status = 200, .reason = "O\nK"}),
	          SIP_EINVAL);
	CHECK_INT(b.len, 0);
	return 0;
}

/* What a request lacks is left out, so that a 400 can still answer it. */
TEST(build_response_to_broken_request)
{
	static const char req[] = "OPTIONS sip:dave@example.net SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP 203.0.113.50;branch=z9hG4bKo1\r\n"
				  "CSeq: 1 OPTIONS\r\n\r\n";
	struct sip_buf b;
	CHECK_INT(respond(&b, req, &(struct sip_response_spec){.status = 400}), 0);
	CHECK(text_is(&b, "SIP/2.0 400 Bad Request\r\n"
	                  "Via: SIP/2.0/UDP 203.0.113.50;branch=z9hG4bKo1\r\n"
	                  "CSeq: 1 OPTIONS\r\n"
	                  "Content-Length: 0\r\n\r\n"));
	sip_buf_reset(&b);
	return 0;
}

TEST(build_buf_growth)
{
	struct sip_buf b;
	sip_buf_init(&b, 0);
	CHECK(b.p == NULL);
	CHECK_INT(b.max, 64 * 1024);
	CHECK_INT(sip_buf_append(&b, "", 0), 0);
	CHECK(b.p && b.p[0] == '\0');
	for (int i = 0; i < 1000; i++)
		CHECK_INT(sip_buf_printf(&b, "%03d,", i), 0);
	CHECK_INT(b.len, 4000);
	CHECK_INT(strlen(b.p), 4000);
	CHECK(b.cap > b.len && b.cap <= 2 * (b.len + 1));
	CHECK(memcmp(b.p, "000,001,", 8) == 0);
	CHECK(memcmp(b.p + 3992, "998,999,", 8) == 0);
	char big[3000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK_INT(sip_buf_printf(&b, "[%s]", big), 0);
	CHECK_INT(sip_buf_puts(&b, "end"), 0);
	CHECK_INT(b.len, 4000 + 3001 + 3);
	CHECK(strcmp(b.p + b.len - 5, "x]end") == 0);
	sip_buf_reset(&b);
	CHECK(b.p == NULL);
	CHECK_INT(b.len, 0);
	return 0;
}

TEST(build_buf_cap)
{
	struct sip_buf b;
	sip_buf_init(&b, 16);
	CHECK_INT(sip_buf_puts(&b, "0123456789"), 0);
	CHECK_INT(sip_buf_printf(&b, "%s", "abcdef"), 0);
	CHECK_INT(b.len, 16);
	CHECK_INT(sip_buf_append(&b, "!", 1), SIP_ETOOBIG);
	/* the error sticks, and what was written stays */
	CHECK_INT(b.err, SIP_ETOOBIG);
	CHECK_INT(sip_buf_append(&b, "", 0), SIP_ETOOBIG);
	CHECK_INT(sip_buf_printf(&b, "x"), SIP_ETOOBIG);
	CHECK_INT(b.len, 16);
	CHECK(strcmp(b.p, "0123456789abcdef") == 0);
	sip_buf_reset(&b);
	CHECK_INT(b.max, 16);
	CHECK_INT(b.err, 0);

	/* a printf that does not fit leaves the text before it terminated */
	CHECK_INT(sip_buf_puts(&b, "head"), 0);
	CHECK_INT(sip_buf_printf(&b, "%s", "a string much longer than sixteen"), SIP_ETOOBIG);
	CHECK(strcmp(b.p, "head") == 0);
	sip_buf_reset(&b);

	struct sip_request_spec s;
	spec_init(&s, SIP_INVITE);
	sip_buf_init(&b, 200);
	CHECK_INT(sip_build_request(&b, &s), SIP_ETOOBIG);
	CHECK(b.len <= 200);
	/* a builder does not write into a buffer that has failed */
	CHECK_INT(sip_build_request(&b, &s), SIP_ETOOBIG);
	sip_buf_reset(&b);
	return 0;
}

TEST(build_rand_token)
{
	char a[33], c[33];
	CHECK_INT(sip_rand_token(a, 32), 0);
	CHECK_INT(sip_rand_token(c, 32), 0);
	CHECK_INT(strlen(a), 32);
	CHECK(strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == 32);
	CHECK(strcmp(a, c) != 0);
	char z[1] = {'x'};
	CHECK_INT(sip_rand_token(z, 0), 0);
	CHECK_INT(z[0], '\0');
	return 0;
}
