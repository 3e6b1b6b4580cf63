/* check_test.c - validation with line numbers (lib/check.c): one small
 * message for each kind of problem, with its severity, line and text. */
#include "test.h"

/* A clean OPTIONS, one header per line: the start line is line 1, Via 2,
 * Max-Forwards 3, To 4, From 5, Call-ID 6, CSeq 7; what follows is line 8. */
#define RL "OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\n"
#define VIA "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
#define MF "Max-Forwards: 70\r\n"
#define TO "To: Bob <sip:bob@biloxi.example.com>\r\n"
#define FROM "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
#define CID "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
#define CSEQ "CSeq: 63104 OPTIONS\r\n"
#define END "Content-Length: 0\r\n\r\n"
#define BASE RL VIA MF TO FROM CID CSEQ

#define MAXD 32

static int check_text(const char *text, size_t len, struct sip_diag *d, size_t *n)
{
	struct sip_msg m;
	int r = sip_msg_parse(&m, text, len, SIP_PARSE_LENIENT);
	if (r != 0) {
		char w[200];
		snprintf(w, sizeof w, "parse failed (%d): line %u: %s", r, m.err_line, m.err_text);
		test_fail(__FILE__, __LINE__, w);
		return 1;
	}
	*n = sip_msg_check(&m, d, MAXD);
	return 0;
}

static void dump(const struct sip_diag *d, size_t n)
{
	for (size_t i = 0; i < n && i < MAXD; i++)
		printf("     got %s line %u: %s\n",
		       d[i].severity == SIP_SEV_ERROR ? "error" : "warning", d[i].line, d[i].text);
}

/* Asserts that checking text gives a diagnostic containing sub, with
 * severity sev on line. */
static int expect(const char *text, size_t len, enum sip_severity sev, uint32_t line,
                  const char *sub)
{
	struct sip_diag d[MAXD];
	size_t n;
	if (check_text(text, len, d, &n))
		return 1;
	for (size_t i = 0; i < n && i < MAXD; i++) {
		if (!strstr(d[i].text, sub))
			continue;
		if (d[i].severity == sev && d[i].line == line)
			return 0;
	}
	char w[240];
	snprintf(w, sizeof w, "no %s on line %u containing '%s'",
	         sev == SIP_SEV_ERROR ? "error" : "warning", line, sub);
	test_fail(__FILE__, __LINE__, w);
	return 1;
}

#define EXPECT(text, sev, line, sub)                                                               \
	do {                                                                                       \
		if (expect(text, sizeof(text) - 1, sev, line, sub))                                \
			return 1;                                                                  \
	} while (0)

#define E SIP_SEV_ERROR
#define W SIP_SEV_WARNING

/* ---- clean messages ---- */

TEST(check_clean_request)
{
	static const char text[] = BASE END;
	struct sip_diag d[MAXD];
	size_t n;
	CHECK_INT(check_text(text, sizeof text - 1, d, &n), 0);
	if (n)
		dump(d, n);
	CHECK_INT(n, 0);
	return 0;
}

TEST(check_clean_invite_with_sdp)
{
	static const char text[] =
		"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
		"Via: SIP/2.0/TCP [2001:db8::10]:5060;branch=z9hG4bKnashds8;received=2001:db8::9;rport\r\n"
		"v: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKbbb\r\n"
		"Max-Forwards: 70\r\n"
		"Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
		"t: \"Bob, the builder\" <sip:bob@biloxi.example.com>\r\n"
		"f: <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
		"i: 3848276298220188511@atlanta.example.com\r\n"
		"CSeq: 1 INVITE\r\n"
		"m: <sip:alice@192.0.2.4;transport=tcp>;expires=3600\r\n"
		"Contact: sip:alice@192.0.2.4;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000a95a0e128>\"\r\n"
		"Supported: 100rel, timer\r\n"
		"Require: 100rel\r\n"
		"Accept: application/sdp, text/plain\r\n"
		"Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"
		"Expires: 3600\r\n"
		"Warning: 399 atlanta.example.com \"noted\"\r\n"
		"Authorization: Digest username=\"alice\", realm=\"atlanta.example.com\"\r\n"
		"Event: presence;id=1\r\n"
		"Content-Type: application/sdp\r\n"
		"l: 63\r\n"
		"\r\n"
		"v=0\r\n"
		"o=- 1 1 IN IP4 192.0.2.4\r\n"
		"s=-\r\n"
		"c=IN IP4 192.0.2.4\r\n"
		"t=0 0\r\n";
	struct sip_diag d[MAXD];
	size_t n;
	CHECK_INT(check_text(text, sizeof text - 1, d, &n), 0);
	if (n)
		dump(d, n);
	CHECK_INT(n, 0);
	return 0;
}

TEST(check_clean_response)
{
	static const char text[] =
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK77;received=192.0.2.5\r\n"
		"To: <sip:bob@biloxi.example.com>;tag=314\r\n"
		"From: <sip:alice@atlanta.example.com>\r\n"
		"Call-ID: 1@atlanta.example.com\r\n"
		"CSeq: 2 INVITE\r\n"
		"Record-Route: <sip:p1.example.com;lr>\r\n"
		"Contact: *\r\n"
		"Content-Length: 0\r\n"
		"\r\n";
	struct sip_diag d[MAXD];
	size_t n;
	CHECK_INT(check_text(text, sizeof text - 1, d, &n), 0);
	if (n)
		dump(d, n);
	CHECK_INT(n, 0);
	return 0;
}

TEST(check_allocates_nothing)
{
	static const char text[] = BASE "Contact: <sip:a@x.example.com;foo>\r\n" END;
	struct sip_msg m;
	struct sip_diag d[MAXD];
	CHECK_INT(sip_msg_parse(&m, text, sizeof text - 1, 0), 0);
	long before = test_heap_allocs();
	CHECK_INT(sip_msg_check(&m, d, MAXD), 1);
	CHECK_INT(test_heap_allocs(), before);
	return 0;
}

/* ---- Request-URI ---- */

TEST(check_ruri_in_angle_brackets)
{
	static const char text[] =
		"OPTIONS <sip:bob@biloxi.example.com> SIP/2.0\r\n" VIA MF TO FROM CID CSEQ END;
	EXPECT(text, E, 1, "must not be enclosed in <>");
	return 0;
}

TEST(check_ruri_unparsable)
{
	static const char text[] =
		"OPTIONS sip:bob@biloxi.example.com:99999 SIP/2.0\r\n" VIA MF TO FROM CID CSEQ END;
	EXPECT(text, E, 1, "Request-URI 'sip:bob@biloxi.example.com:99999': bad port");
	return 0;
}

TEST(check_ruri_other_scheme)
{
	static const char text[] =
		"OPTIONS urn:service:sos SIP/2.0\r\n" VIA MF TO FROM CID CSEQ END;
	EXPECT(text, W, 1, "Request-URI scheme 'urn' is not sip, sips or tel");
	return 0;
}

TEST(check_ruri_with_headers)
{
	static const char text[] =
		"OPTIONS sip:bob@biloxi.example.com?Subject=hi SIP/2.0\r\n" VIA MF TO FROM CID CSEQ
			END;
	EXPECT(text, E, 1, "carries header fields '?Subject=hi'");
	return 0;
}

/* ---- required and single headers ---- */

TEST(check_missing_required)
{
	static const char novia[] = RL MF TO FROM CID CSEQ END;
	static const char nofrom[] = RL VIA MF TO CID CSEQ END;
	static const char noto[] = RL VIA MF FROM CID CSEQ END;
	static const char nocid[] = RL VIA MF TO FROM CSEQ END;
	static const char nocseq[] = RL VIA MF TO FROM CID END;
	static const char nomf[] = RL VIA TO FROM CID CSEQ END;
	static const char nothing[] = RL MF END;
	static const char resp[] = "SIP/2.0 200 OK\r\n" VIA TO FROM CSEQ END;
	EXPECT(novia, E, 0, "missing Via");
	EXPECT(nofrom, E, 0, "missing From");
	EXPECT(noto, E, 0, "missing To");
	EXPECT(nocid, E, 0, "missing Call-ID");
	EXPECT(nocseq, E, 0, "missing CSeq");
	EXPECT(nothing, E, 0, "missing Via, From, To, Call-ID, CSeq");
	EXPECT(resp, E, 0, "missing Call-ID");
	/* An RFC 2543 client sends no Max-Forwards; it can still be answered. */
	EXPECT(nomf, W, 0, "missing Max-Forwards");
	return 0;
}

TEST(check_missing_names)
{
	struct sip_msg m;
	char names[64];
	static const char nocid[] = RL VIA MF TO FROM CSEQ END;
	static const char full[] = BASE END;
	CHECK(sip_msg_parse(&m, nocid, sizeof nocid - 1, 0) == 0);
	CHECK(sip_msg_missing(&m, names, sizeof names) == 1);
	CHECK(strcmp(names, "Call-ID") == 0);
	/* A short buffer still ends in a terminator. */
	CHECK(sip_msg_missing(&m, names, 4) == 1);
	CHECK(strcmp(names, "Cal") == 0);
	CHECK(sip_msg_parse(&m, full, sizeof full - 1, 0) == 0);
	CHECK(sip_msg_missing(&m, names, sizeof names) == 0);
	CHECK(names[0] == '\0');
	return 0;
}

TEST(check_response_needs_no_max_forwards)
{
	static const char text[] = "SIP/2.0 486 Busy Here\r\n" VIA TO FROM CID CSEQ END;
	struct sip_diag d[MAXD];
	size_t n;
	CHECK_INT(check_text(text, sizeof text - 1, d, &n), 0);
	if (n)
		dump(d, n);
	CHECK_INT(n, 0);
	return 0;
}

TEST(check_single_header_repeated)
{
	static const char text[] = BASE "X-Other: 1\r\n"
					"Call-ID: second@pc33.atlanta.example.com\r\n" END;
	EXPECT(text, W, 9, "Call-ID appears 2 times; it takes one value");
	return 0;
}

/* ---- framing ---- */

TEST(check_no_empty_line)
{
	static const char text[] = BASE;
	EXPECT(text, E, 8, "the headers do not end with an empty line");
	return 0;
}

TEST(check_content_length_short)
{
	static const char text[] = BASE "Content-Length: 10\r\n\r\nabc";
	EXPECT(text, E, 8, "Content-Length says 10, body has 3 bytes");
	return 0;
}

TEST(check_bare_lf)
{
	static const char text[] =
		"OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\n"
		"Max-Forwards: 70\n"
		"To: Bob <sip:bob@biloxi.example.com>\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n"
		"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\n"
		"CSeq: 63104 OPTIONS\n"
		"\n";
	EXPECT(text, W, 0, "lines end in LF alone, not CRLF");
	return 0;
}

TEST(check_content_length_twice_same)
{
	static const char text[] = BASE "Content-Length: 0\r\nl: 0\r\n\r\n";
	EXPECT(text, W, 9, "Content-Length appears more than once");
	return 0;
}

TEST(check_content_length_twice_different)
{
	static const char text[] = BASE "Content-Length: 0\r\nContent-Length: 4\r\n\r\nabcd";
	EXPECT(text, W, 9, "appears twice with different values (0 and 4)");
	return 0;
}

TEST(check_trailing_octets)
{
	static const char text[] = BASE "Content-Length: 0\r\n\r\nextra";
	EXPECT(text, W, 10, "5 octets after the body ignored");
	return 0;
}

/* ---- Via ---- */

TEST(check_via_unparsable)
{
	static const char text[] = RL "Via: SIP/2.0/UDP\r\n" MF TO FROM CID CSEQ END;
	EXPECT(text, E, 2, "Via 'SIP/2.0/UDP': syntax error");
	return 0;
}

TEST(check_via_bad_ipv6)
{
	static const char text[] =
		RL "Via: SIP/2.0/UDP [zz::q];branch=z9hG4bK1\r\n" MF TO FROM CID CSEQ END;
	EXPECT(text, E, 2, "Via sent-by '[zz::q]' is not an IPv6 address");
	return 0;
}

TEST(check_via_broadcast)
{
	static const char text[] =
		RL "Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1\r\n" MF TO FROM CID CSEQ END;
	EXPECT(text, W, 2, "broadcast address");
	return 0;
}

TEST(check_via_received_not_ip)
{
	static const char text[] = RL VIA "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK2"
					  ";received=h.example.com\r\n" MF TO FROM CID CSEQ END;
	EXPECT(text, W, 3, "Via received 'h.example.com' is not an IP address");
	return 0;
}

TEST(check_via_no_branch)
{
	static const char text[] = RL "Via: SIP/2.0/UDP h.example.com\r\n" MF TO FROM CID CSEQ END;
	EXPECT(text, W, 2, "Via has no branch");
	return 0;
}

TEST(check_via_branch_only_cookie)
{
	static const char text[] =
		RL "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK\r\n" MF TO FROM CID CSEQ END;
	EXPECT(text, W, 2, "only the magic cookie");
	return 0;
}

TEST(check_via_branch_without_cookie)
{
	static const char text[] =
		RL "Via: SIP/2.0/UDP h.example.com;branch=1234\r\n" MF TO FROM CID CSEQ END;
	EXPECT(text, W, 2, "Via branch '1234' lacks the z9hG4bK cookie");
	return 0;
}

TEST(check_via_branch_only_on_top_of_request)
{
	/* lower Vias and responses are not held to the cookie */
	static const char lower[] =
		RL VIA "Via: SIP/2.0/UDP h.example.com\r\n" MF TO FROM CID CSEQ END;
	static const char resp[] =
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h.example.com\r\n" TO FROM CID CSEQ END;
	struct sip_diag d[MAXD];
	size_t n;
	CHECK_INT(check_text(lower, sizeof lower - 1, d, &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(check_text(resp, sizeof resp - 1, d, &n), 0);
	CHECK_INT(n, 0);
	return 0;
}

TEST(check_via_empty_element)
{
	static const char text[] =
		RL "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1,,"
		   "SIP/2.0/UDP b.example.com;branch=z9hG4bK2\r\n" MF TO FROM CID CSEQ END;
	EXPECT(text, E, 2, "Via: empty element in the list");
	return 0;
}

TEST(check_via_list_error)
{
	static const char text[] = RL VIA
		"Via: SIP/2.0/UDP a.example.com;branch=\"z9hG4bK1\r\n" MF TO FROM CID CSEQ END;
	EXPECT(text, E, 3, "Via: unterminated quoted string");
	return 0;
}

/* ---- Contact, Route, Record-Route, Path ---- */

TEST(check_addr_unparsable)
{
	static const char text[] = BASE "Contact: <sip:alice@192.0.2.4\r\n" END;
	EXPECT(text, E, 8, "Contact '<sip:alice@192.0.2.4': URI in <> is not closed");
	return 0;
}

TEST(check_route_star)
{
	static const char text[] = BASE "Route: *\r\n" END;
	EXPECT(text, E, 8, "Route cannot be '*'");
	return 0;
}

TEST(check_addr_uri_unparsable)
{
	static const char text[] = BASE "Record-Route: <sip:p1.example.com:99999;lr>\r\n" END;
	EXPECT(text, E, 8, "Record-Route URI 'sip:p1.example.com:99999;lr': bad port");
	return 0;
}

TEST(check_addr_uri_other_scheme)
{
	static const char text[] = BASE "Contact: <mailto:alice@atlanta.example.com>\r\n" END;
	EXPECT(text, W, 8, "Contact URI scheme 'mailto' is not sip, sips or tel");
	return 0;
}

TEST(check_contact_params_without_brackets)
{
	static const char text[] =
		BASE "Contact: sip:alice@192.0.2.4;expires=60;transport=tcp\r\n" END;
	static const char lr[] = BASE "Contact: sip:alice@192.0.2.4;lr\r\n" END;
	EXPECT(text, W, 8, "';transport=tcp' is a Contact parameter, not a URI parameter");
	EXPECT(lr, W, 8, "Contact 'sip:alice@192.0.2.4' has no <>: ';lr' is a Contact parameter");
	return 0;
}

TEST(check_contact_binding_params_without_brackets_are_fine)
{
	static const char text[] = BASE "Contact: sip:alice@192.0.2.4;expires=60;q=0.5\r\n" END;
	struct sip_diag d[MAXD];
	size_t n;
	CHECK_INT(check_text(text, sizeof text - 1, d, &n), 0);
	if (n)
		dump(d, n);
	CHECK_INT(n, 0);
	return 0;
}

TEST(check_contact_valueless_uri_param)
{
	static const char text[] = BASE "Contact: <sip:alice@192.0.2.4;expires>\r\n" END;
	EXPECT(text, W, 8, "Contact URI parameter 'expires' is inside <>");
	return 0;
}

TEST(check_contact_known_valueless_uri_param_is_fine)
{
	static const char text[] = BASE "Contact: <sip:alice@192.0.2.4;lr;ob>\r\n" END;
	struct sip_diag d[MAXD];
	size_t n;
	CHECK_INT(check_text(text, sizeof text - 1, d, &n), 0);
	CHECK_INT(n, 0);
	return 0;
}

TEST(check_contact_uri_headers)
{
	static const char text[] = BASE "Contact: <sip:alice@192.0.2.4?Subject=hi>\r\n" END;
	EXPECT(text, W, 8, "Contact URI carries header fields '?Subject=hi'");
	return 0;
}

TEST(check_route_without_brackets)
{
	static const char text[] = BASE "Route: sip:p1.example.com\r\n" END;
	static const char path[] = BASE "Path: sip:p1.example.com\r\n" END;
	EXPECT(text, E, 8, "Route 'sip:p1.example.com' must be enclosed in <>");
	EXPECT(path, E, 8, "Path 'sip:p1.example.com' must be enclosed in <>");
	return 0;
}

TEST(check_route_empty_element)
{
	static const char text[] =
		BASE "Route: <sip:p1.example.com;lr>,,<sip:p2.example.com;lr>\r\n" END;
	EXPECT(text, E, 8, "Route: empty element in the list");
	return 0;
}

TEST(check_route_empty)
{
	static const char text[] = BASE "Route:\r\n" END;
	EXPECT(text, E, 8, "Route is empty");
	return 0;
}

/* ---- From, To ---- */

TEST(check_to_unparsable)
{
	static const char text[] =
		RL VIA MF "To: Smith, Bob <sip:bob@biloxi.example.com>\r\n" FROM CID CSEQ END;
	EXPECT(text, E, 4, "display name with special characters must be quoted");
	return 0;
}

TEST(check_from_star)
{
	static const char text[] = RL VIA MF TO "From: *\r\n" CID CSEQ END;
	EXPECT(text, E, 5, "From cannot be '*'");
	return 0;
}

TEST(check_from_uri_unparsable)
{
	static const char text[] =
		RL VIA MF TO "From: <sip:alice@atlanta.example.com:70000>;tag=1\r\n" CID CSEQ END;
	EXPECT(text, E, 5, "From URI 'sip:alice@atlanta.example.com:70000': bad port");
	return 0;
}

TEST(check_from_without_tag)
{
	static const char text[] =
		RL VIA MF TO "From: <sip:alice@atlanta.example.com>\r\n" CID CSEQ END;
	EXPECT(text, W, 5, "From has no tag");
	return 0;
}

TEST(check_refer_to_unparsable)
{
	static const char text[] = BASE "Refer-To: <sip:carol@example.com\r\n" END;
	EXPECT(text, E, 8, "Refer-To '<sip:carol@example.com'");
	return 0;
}

/* ---- CSeq, Call-ID, numbers ---- */

TEST(check_cseq_out_of_range)
{
	static const char text[] = RL VIA MF TO FROM CID "CSeq: 4294967296 OPTIONS\r\n" END;
	EXPECT(text, E, 7, "CSeq number in '4294967296 OPTIONS' is out of range");
	return 0;
}

TEST(check_cseq_unparsable)
{
	static const char text[] = RL VIA MF TO FROM CID "CSeq: OPTIONS\r\n" END;
	EXPECT(text, E, 7, "CSeq 'OPTIONS': syntax error");
	return 0;
}

TEST(check_cseq_method_mismatch)
{
	static const char text[] = RL VIA MF TO FROM CID "CSeq: 1 INVITE\r\n" END;
	EXPECT(text, E, 7, "CSeq method INVITE does not match request method OPTIONS");
	return 0;
}

TEST(check_call_id_whitespace)
{
	static const char text[] = RL VIA MF TO FROM "Call-ID: a b\r\n" CSEQ END;
	EXPECT(text, E, 6, "Call-ID 'a b' has whitespace or a control character");
	return 0;
}

TEST(check_call_id_empty)
{
	static const char text[] = RL VIA MF TO FROM "Call-ID:  \r\n" CSEQ END;
	EXPECT(text, E, 6, "Call-ID is empty");
	return 0;
}

TEST(check_max_forwards_out_of_range)
{
	static const char text[] = RL VIA "Max-Forwards: 256\r\n" TO FROM CID CSEQ END;
	EXPECT(text, E, 3, "Max-Forwards 256 is out of range (0 to 255)");
	return 0;
}

TEST(check_max_forwards_not_a_number)
{
	static const char text[] = RL VIA "Max-Forwards: ten\r\n" TO FROM CID CSEQ END;
	EXPECT(text, E, 3, "Max-Forwards 'ten' is not a number");
	return 0;
}

TEST(check_max_forwards_zero)
{
	static const char text[] = RL VIA "Max-Forwards: 0\r\n" TO FROM CID CSEQ END;
	EXPECT(text, W, 3, "Max-Forwards is 0: a proxy answers 483 Too Many Hops");
	return 0;
}

TEST(check_expires_out_of_range)
{
	static const char text[] = BASE "Expires: 4294967296\r\n" END;
	EXPECT(text, E, 8, "Expires 4294967296 is out of range (0 to 4294967295)");
	return 0;
}

TEST(check_retry_after)
{
	static const char ok[] = BASE "Retry-After: 18000 (in a meeting);duration=3600\r\n" END;
	static const char bad[] = BASE "Retry-After: soon\r\n" END;
	struct sip_diag d[MAXD];
	size_t n;
	CHECK_INT(check_text(ok, sizeof ok - 1, d, &n), 0);
	CHECK_INT(n, 0);
	EXPECT(bad, E, 8, "Retry-After 'soon' is not a number");
	return 0;
}

TEST(check_rack_unparsable)
{
	static const char text[] = BASE "RAck: 1 INVITE\r\n" END;
	EXPECT(text, E, 8, "RAck '1 INVITE': syntax error");
	return 0;
}

TEST(check_event_unparsable)
{
	static const char text[] = BASE "Event: ;id=1\r\n" END;
	static const char state[] = BASE "Subscription-State: active;;expires=1\r\n" END;
	EXPECT(text, E, 8, "Event ';id=1': syntax error");
	EXPECT(state, E, 8, "Subscription-State 'active;;expires=1': empty or malformed parameter");
	return 0;
}

/* ---- Warning, Date, Require, auth ---- */

TEST(check_warning_code)
{
	static const char text[] =
		BASE "Warning: 30 isi.edu \"Incompatible network address\"\r\n" END;
	EXPECT(text, E, 8, "Warning code in '30 isi.edu");
	return 0;
}

TEST(check_date_shape)
{
	static const char text[] = BASE "Date: 13 Nov 2010\r\n" END;
	EXPECT(text, E, 8, "Date '13 Nov 2010' is not like 'Sun, 06 Nov 1994 08:49:37 GMT'");
	return 0;
}

TEST(check_date_not_gmt)
{
	static const char text[] = BASE "Date: Sat, 13 Nov 2010 23:29:00 PST\r\n" END;
	EXPECT(text, E, 8, "Date must be in GMT, not 'PST'");
	return 0;
}

TEST(check_require_unknown)
{
	static const char text[] = BASE "Require: 100rel, frobnicate\r\n" END;
	static const char proxy[] = BASE "Proxy-Require: sec-agree, nope\r\n" END;
	EXPECT(text, W, 8, "Require lists unknown extension 'frobnicate' (a server answers 420)");
	EXPECT(proxy, W, 8, "Proxy-Require lists unknown extension 'nope'");
	return 0;
}

TEST(check_require_list_error)
{
	static const char text[] = BASE "Require: 100rel,,timer\r\n" END;
	EXPECT(text, E, 8, "Require: empty value");
	return 0;
}

TEST(check_auth_not_digest)
{
	static const char text[] = BASE "Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l\r\n" END;
	EXPECT(text, W, 8, "Authorization scheme 'Basic' is not Digest");
	return 0;
}

/* ---- body ---- */

TEST(check_body_without_content_type)
{
	static const char text[] = BASE "Content-Length: 5\r\n\r\nhello";
	EXPECT(text, W, 10, "body of 5 bytes has no Content-Type");
	return 0;
}

TEST(check_content_type_unparsable)
{
	static const char text[] = BASE "Content-Type: application\r\n" END;
	EXPECT(text, E, 8, "Content-Type 'application': syntax error");
	return 0;
}

TEST(check_content_type_unknown)
{
	static const char text[] =
		BASE "Content-Type: application/x-frob\r\nContent-Length: 2\r\n\r\nhi";
	EXPECT(text, W, 8, "Content-Type application/x-frob is not a known body type");
	return 0;
}

TEST(check_sdp_unparsable)
{
	static const char text[] = BASE "Content-Type: application/sdp\r\nContent-Length: 7\r\n\r\n"
					"hello\r\n";
	EXPECT(text, W, 11, "SDP body: syntax error");
	return 0;
}

TEST(check_accept_without_sdp)
{
	static const char text[] =
		"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n" VIA MF TO FROM CID
		"CSeq: 1 INVITE\r\n"
		"Accept: text/plain\r\n"
		"Content-Type: application/sdp\r\n"
		"Content-Length: 10\r\n"
		"\r\n"
		"v=0\r\ns=-\r\n";
	EXPECT(text, W, 8, "Accept does not list application/sdp");
	return 0;
}

/* ---- ordering and limits ---- */

static const char many_problems[] = "OPTIONS <sip:bob@biloxi.example.com> SIP/2.0\r\n" /* 1 */
				    "CSeq: 1 INVITE\r\n"                               /* 2 */
				    "Max-Forwards: 0\r\n"                              /* 3 */
				    "Date: never\r\n"                                  /* 4 */
				    "Call-ID: a b\r\n"                                 /* 5 */
				    "Route: sip:p1.example.com\r\n"                    /* 6 */
				    "Call-ID: c\r\n"                                   /* 7 */
				    "Content-Length: 9\r\n"                            /* 8 */
				    "\r\n"
				    "abc";

TEST(check_sorted_by_line)
{
	struct sip_diag d[MAXD];
	size_t n;
	CHECK_INT(check_text(many_problems, sizeof many_problems - 1, d, &n), 0);
	CHECK(n >= 10);
	CHECK(n <= MAXD);
	for (size_t i = 1; i < n; i++)
		CHECK(d[i - 1].line <= d[i].line);
	CHECK_INT(d[0].line, 0);
	CHECK_INT(d[n - 1].line, 10); /* the body: no Content-Type */
	for (size_t i = 0; i < n; i++)
		CHECK(d[i].text[0] != '\0');
	return 0;
}

TEST(check_max_smaller_than_count)
{
	struct sip_msg m;
	struct sip_diag all[MAXD], few[5];
	CHECK_INT(sip_msg_parse(&m, many_problems, sizeof many_problems - 1, SIP_PARSE_LENIENT), 0);
	size_t total = sip_msg_check(&m, all, MAXD);
	CHECK(total > 4);
	memset(few, 0x5a, sizeof few);
	CHECK_INT(sip_msg_check(&m, few, 4), total);
	for (size_t i = 0; i < 4; i++) {
		CHECK(few[i].text[0] != '\0');
		CHECK(memchr(few[i].text, '\0', sizeof few[i].text) != NULL);
		if (i)
			CHECK(few[i - 1].line <= few[i].line);
	}
	/* the fifth entry is untouched */
	const unsigned char *raw = (const unsigned char *)&few[4];
	for (size_t i = 0; i < sizeof few[4]; i++)
		CHECK_INT(raw[i], 0x5a);
	CHECK_INT(sip_msg_check(&m, NULL, 0), total);
	CHECK_INT(sip_msg_check(&m, few, 1), total);
	return 0;
}

TEST(check_long_values_are_cut)
{
	/* a 300-byte Call-ID with a space: the text stays within its array */
	char text[1024];
	char cid[301];
	memset(cid, 'x', sizeof cid - 1);
	cid[150] = ' ';
	cid[300] = '\0';
	int len = snprintf(text, sizeof text, RL VIA MF TO FROM "Call-ID: %s\r\n" CSEQ END, cid);
	CHECK(len > 0 && (size_t)len < sizeof text);
	struct sip_diag d[MAXD];
	size_t n;
	CHECK_INT(check_text(text, (size_t)len, d, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(d[0].line, 6);
	CHECK(strstr(d[0].text, "Call-ID 'xxxx") != NULL);
	CHECK(strlen(d[0].text) < sizeof d[0].text);
	return 0;
}
