/* msg_test.c - the zero-copy message parser (lib/msg.c): start lines,
 * header names and chains, folding, framing on datagrams and streams,
 * errors with their lines and texts, limits. */
#include <stdint.h>
#include <stdlib.h>

#include "test.h"

#define PARSE(m, text, flags) sip_msg_parse((m), (text), sizeof(text) - 1, (flags))

/* A heap copy of exactly n bytes, so that the sanitizers catch any read
 * past the end of what the parser was given. */
static char *dup_exact(const char *p, size_t n)
{
	char *b = malloc(n ? n : 1);
	if (b && n)
		memcpy(b, p, n);
	return b;
}

static const char invite[] = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8\r\n"
			     "Max-Forwards: 70\r\n"
			     "To: Bob <sip:bob@biloxi.example.com>\r\n"
			     "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
			     "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
			     "CSeq: 314159 INVITE\r\n"
			     "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
			     "Content-Type: application/sdp\r\n"
			     "Content-Length: 4\r\n"
			     "\r\n"
			     "v=0\n";

TEST(msg_request_start_line)
{
	struct sip_msg m;
	CHECK_INT(PARSE(&m, invite, 0), 0);
	CHECK(m.is_request);
	CHECK_INT(m.method, SIP_INVITE);
	CHECK_STR(m.method_name, "INVITE");
	CHECK_STR(m.ruri, "sip:bob@biloxi.example.com");
	CHECK_STR(m.version, "SIP/2.0");
	CHECK_STR(m.start_line, "INVITE sip:bob@biloxi.example.com SIP/2.0");
	CHECK_INT(m.status, 0);
	CHECK_INT(m.nhdrs, 9);
	CHECK_STR(m.body, "v=0\n");
	CHECK_INT(m.body_line, 12);
	CHECK_INT(m.flags, 0);
	CHECK_INT(m.trailing, 0);
	CHECK(m.raw.p == invite);
	CHECK_INT(m.raw.len, sizeof invite - 1);
	CHECK_INT(m.err_line, 0);
	CHECK_STR(sip_str_from(m.err_text), "");
	return 0;
}

TEST(msg_request_fields_are_slices_of_the_buffer)
{
	struct sip_msg m;
	CHECK_INT(PARSE(&m, invite, 0), 0);
	for (unsigned i = 0; i < m.nhdrs; i++) {
		CHECK(m.hdrs[i].name.p >= invite && m.hdrs[i].name.p < invite + sizeof invite);
		CHECK(m.hdrs[i].value.p >= invite &&
		      m.hdrs[i].value.p + m.hdrs[i].value.len <= invite + sizeof invite - 1);
	}
	CHECK(m.body.p == invite + sizeof invite - 1 - 4);
	return 0;
}

TEST(msg_extension_method)
{
	static const char text[] = "FOO-BAR sip:x@example.com SIP/2.0\r\nCall-ID: 1\r\n\r\n";
	static const char lower[] = "invite sip:x@example.com sip/2.0\r\nCall-ID: 1\r\n\r\n";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), 0);
	CHECK(m.is_request);
	CHECK_INT(m.method, SIP_METHOD_OTHER);
	CHECK_STR(m.method_name, "FOO-BAR");
	/* methods are case-sensitive; the version is not */
	CHECK_INT(PARSE(&m, lower, 0), 0);
	CHECK_INT(m.method, SIP_METHOD_OTHER);
	CHECK_STR(m.method_name, "invite");
	CHECK_STR(m.version, "sip/2.0");
	return 0;
}

TEST(msg_response_start_line)
{
	static const char text[] = "SIP/2.0 180 Ringing\r\n"
				   "Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK77\r\n"
				   "CSeq: 1 INVITE\r\n"
				   "Content-Length: 0\r\n"
				   "\r\n";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), 0);
	CHECK(!m.is_request);
	CHECK_INT(m.status, 180);
	CHECK_STR(m.reason, "Ringing");
	CHECK_STR(m.version, "SIP/2.0");
	CHECK_INT(m.method, SIP_METHOD_OTHER);
	CHECK_STR(m.method_name, "");
	CHECK_STR(m.ruri, "");
	CHECK_INT(m.nhdrs, 3);
	CHECK_STR(m.body, "");
	CHECK_INT(m.flags, 0);
	return 0;
}

TEST(msg_response_reason_forms)
{
	static const char spaces[] = "SIP/2.0 181 Call Is Being Forwarded\r\n\r\n";
	static const char empty[] = "SIP/2.0 200 \r\n\r\n";
	static const char none[] = "SIP/2.0 200\r\n\r\n";
	static const char utf8[] = "SIP/2.0 603 Abgelehnt \xc3\xbc\tjetzt\r\n\r\n";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, spaces, 0), 0);
	CHECK_INT(m.status, 181);
	CHECK_STR(m.reason, "Call Is Being Forwarded");
	CHECK_INT(PARSE(&m, empty, 0), 0);
	CHECK_INT(m.status, 200);
	CHECK_STR(m.reason, "");
	CHECK_INT(PARSE(&m, none, 0), 0);
	CHECK_INT(m.status, 200);
	CHECK_STR(m.reason, "");
	CHECK_INT(PARSE(&m, utf8, 0), 0);
	CHECK_INT(m.status, 603);
	CHECK_STR(m.reason, "Abgelehnt \xc3\xbc\tjetzt");
	return 0;
}

/* RFC 3261 §7.1: the SIP-Version string is case-insensitive, in
 * responses as in requests. */
TEST(msg_response_version_case_insensitive)
{
	static const char text[] = "sip/2.0 200 OK\r\nCall-ID: 1\r\n\r\n";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), 0);
	CHECK(!m.is_request);
	CHECK_INT(m.status, 200);
	CHECK_STR(m.version, "sip/2.0");
	CHECK_STR(m.reason, "OK");
	return 0;
}

/* ---- header names ---- */

static const struct {
	char letter;
	enum sip_hdr_id id;
	const char *name;
} compacts[] = {
	{'i', SIP_HDR_CALL_ID, "Call-ID"},
	{'m', SIP_HDR_CONTACT, "Contact"},
	{'f', SIP_HDR_FROM, "From"},
	{'t', SIP_HDR_TO, "To"},
	{'v', SIP_HDR_VIA, "Via"},
	{'l', SIP_HDR_CONTENT_LENGTH, "Content-Length"},
	{'c', SIP_HDR_CONTENT_TYPE, "Content-Type"},
	{'k', SIP_HDR_SUPPORTED, "Supported"},
	{'s', SIP_HDR_SUBJECT, "Subject"},
	{'e', SIP_HDR_CONTENT_ENCODING, "Content-Encoding"},
	{'o', SIP_HDR_EVENT, "Event"},
	{'r', SIP_HDR_REFER_TO, "Refer-To"},
	{'b', SIP_HDR_REFERRED_BY, "Referred-By"},
	{'u', SIP_HDR_ALLOW_EVENTS, "Allow-Events"},
	{'x', SIP_HDR_SESSION_EXPIRES, "Session-Expires"},
	{'y', SIP_HDR_IDENTITY, "Identity"},
	{'a', SIP_HDR_ACCEPT_CONTACT, "Accept-Contact"},
	{'d', SIP_HDR_REQUEST_DISPOSITION, "Request-Disposition"},
	{'j', SIP_HDR_REJECT_CONTACT, "Reject-Contact"},
};

TEST(msg_compact_forms)
{
	CHECK_INT(sizeof compacts / sizeof compacts[0], 19);
	for (size_t i = 0; i < sizeof compacts / sizeof compacts[0]; i++) {
		char lo = compacts[i].letter, up = (char)(lo - 32);
		CHECK_INT(sip_hdr_id_from_name((struct sip_str){&lo, 1}), compacts[i].id);
		CHECK_INT(sip_hdr_id_from_name((struct sip_str){&up, 1}), compacts[i].id);
		CHECK(strcmp(sip_hdr_name(compacts[i].id), compacts[i].name) == 0);
	}
	return 0;
}

TEST(msg_compact_unassigned_letters)
{
	static const char other[] = "ghnpqwzGHNPQWZ0-_!~*";
	for (size_t i = 0; i < sizeof other - 1; i++)
		CHECK_INT(sip_hdr_id_from_name((struct sip_str){&other[i], 1}), SIP_HDR_OTHER);
	return 0;
}

TEST(msg_compact_forms_in_message)
{
	char buf[2048];
	size_t n = (size_t)snprintf(buf, sizeof buf, "OPTIONS sip:a@example.com SIP/2.0\r\n");
	/* alternating upper and lower case letters; l: must be a number */
	for (size_t i = 0; i < sizeof compacts / sizeof compacts[0]; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%c: %s\r\n",
		                      i % 2 ? compacts[i].letter : compacts[i].letter - 32,
		                      compacts[i].id == SIP_HDR_CONTENT_LENGTH ? "0" : "value");
	n += (size_t)snprintf(buf + n, sizeof buf - n, "\r\n");
	CHECK(n < sizeof buf);
	struct sip_msg m;
	CHECK_INT(sip_msg_parse(&m, buf, n, 0), 0);
	CHECK_INT(m.nhdrs, sizeof compacts / sizeof compacts[0]);
	for (size_t i = 0; i < m.nhdrs; i++) {
		CHECK_INT(m.hdrs[i].id, compacts[i].id);
		CHECK_INT(m.hdrs[i].name.len, 1);
		CHECK_INT(m.hdrs[i].line, i + 2);
		CHECK(sip_msg_hdr(&m, compacts[i].id) == &m.hdrs[i]);
	}
	return 0;
}

/* Copies name into buf changing its case: 0 lower, 1 upper, 2 alternating. */
static struct sip_str recase(char *buf, const char *name, int how)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool up = how == 1 || (how == 2 && i % 2 == 0);
		if (up && c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		else if (!up && c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		buf[i] = c;
	}
	return (struct sip_str){buf, n};
}

TEST(msg_long_names_fold_in_every_case)
{
	for (int id = 1; id < SIP_HDR_COUNT; id++) {
		const char *name = sip_hdr_name((enum sip_hdr_id)id);
		char buf[64];
		CHECK(name != NULL);
		CHECK(strlen(name) < sizeof buf);
		CHECK_INT(sip_hdr_id_from_name(sip_str_from(name)), id);
		for (int how = 0; how < 3; how++)
			CHECK_INT(sip_hdr_id_from_name(recase(buf, name, how)), id);
	}
	CHECK(sip_hdr_name(SIP_HDR_OTHER) == NULL);
	CHECK(sip_hdr_name(SIP_HDR_COUNT) == NULL);
	return 0;
}

TEST(msg_long_names_in_message)
{
	static char buf[8192];
	size_t n = (size_t)snprintf(buf, sizeof buf, "OPTIONS sip:a@example.com SIP/2.0\r\n");
	for (int id = 1; id < SIP_HDR_COUNT; id++) {
		char name[64];
		struct sip_str s = recase(name, sip_hdr_name((enum sip_hdr_id)id), id % 3);
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%.*s: %s\r\n", SIP_STR_FMT(s),
		                      id == SIP_HDR_CONTENT_LENGTH ? "0" : "x");
	}
	n += (size_t)snprintf(buf + n, sizeof buf - n, "\r\n");
	CHECK(n < sizeof buf);
	struct sip_msg m;
	CHECK_INT(sip_msg_parse(&m, buf, n, 0), 0);
	CHECK_INT(m.nhdrs, SIP_HDR_COUNT - 1);
	for (int id = 1; id < SIP_HDR_COUNT; id++) {
		const struct sip_hdr *h = sip_msg_hdr(&m, (enum sip_hdr_id)id);
		CHECK(h != NULL);
		CHECK(h == &m.hdrs[id - 1]);
		CHECK_INT(h->line, id + 1);
		CHECK_INT(sip_msg_hdr_count(&m, (enum sip_hdr_id)id), 1);
	}
	CHECK(sip_msg_hdr(&m, SIP_HDR_OTHER) == NULL);
	return 0;
}

TEST(msg_unknown_names)
{
	static const char *const names[] = {
		"X-Custom",
		"Vias",
		"Vi",
		"Via-",
		"Too",
		"T",
		"Contact-X",
		"From:",
		"CSeq ",
		"Call_ID",
		"CallID",
		"Content-Lengths",
		"WWW-Authenticat",
		"P-Asserted-Identit",
		"ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
	};
	CHECK_INT(sip_hdr_id_from_name(SIP_STR("")), SIP_HDR_OTHER);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		enum sip_hdr_id id = sip_hdr_id_from_name(sip_str_from(names[i]));
		if (strcmp(names[i], "T") == 0)
			CHECK_INT(id, SIP_HDR_TO); /* compact t */
		else
			CHECK_INT(id, SIP_HDR_OTHER);
	}
	return 0;
}

/* One letter changed away from the first, middle and last positions (which
 * the hash sees) must not be mistaken for the known name. */
TEST(msg_near_miss_names)
{
	for (int id = 1; id < SIP_HDR_COUNT; id++) {
		const char *name = sip_hdr_name((enum sip_hdr_id)id);
		size_t n = strlen(name);
		char buf[72];
		memcpy(buf, name, n);
		for (size_t k = 1; k + 1 < n; k++) {
			if (k == n / 2)
				continue;
			char save = buf[k];
			buf[k] =
				(sip_str_ieq((struct sip_str){&save, 1}, SIP_STR("q"))) ? 'z' : 'q';
			CHECK_INT(sip_hdr_id_from_name((struct sip_str){buf, n}), SIP_HDR_OTHER);
			buf[k] = save;
		}
		/* one more or one fewer letter */
		buf[n] = 's';
		CHECK_INT(sip_hdr_id_from_name((struct sip_str){buf, n + 1}), SIP_HDR_OTHER);
		if (n > 2)
			CHECK_INT(sip_hdr_id_from_name((struct sip_str){buf, n - 1}),
			          SIP_HDR_OTHER);
	}
	return 0;
}

/* A name with a NUL where a known name ends is not that name, and is never
 * compared past the end of the canonical one. */
TEST(msg_name_with_nul_is_other)
{
	for (int id = 1; id < SIP_HDR_COUNT; id++) {
		const char *name = sip_hdr_name((enum sip_hdr_id)id);
		size_t n = strlen(name);
		char buf[80];
		memcpy(buf, name, n);
		buf[n] = '\0';
		/* Try every length and fill so that some land in the known name's hash slot. */
		for (size_t len = n + 1; len < n + 8; len++)
			for (char c = 'a'; c <= 'z'; c++) {
				for (size_t k = n + 1; k < len; k++)
					buf[k] = c;
				CHECK_INT(sip_hdr_id_from_name((struct sip_str){buf, len}),
				          SIP_HDR_OTHER);
			}
	}
	return 0;
}

/* ---- chains ---- */

static const char chained[] = "SIP/2.0 200 OK\r\n"
			      "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"
			      "Record-Route: <sip:p1.example.com;lr>\r\n"
			      "v: SIP/2.0/UDP b.example.com;branch=z9hG4bK2\r\n"
			      "X-A: 1\r\n"
			      "X-B: 2\r\n"
			      "Record-Route: <sip:p2.example.com;lr>\r\n"
			      "x-a: 3\r\n"
			      "VIA: SIP/2.0/UDP c.example.com;branch=z9hG4bK3\r\n"
			      "X-C: 4\r\n"
			      "X-A : 5\r\n"
			      "l: 0\r\n"
			      "\r\n";

TEST(msg_hdr_chain_known)
{
	struct sip_msg m;
	CHECK_INT(PARSE(&m, chained, 0), 0);
	const struct sip_hdr *h = sip_msg_hdr(&m, SIP_HDR_VIA);
	CHECK(h != NULL);
	CHECK_STR(h->value, "SIP/2.0/UDP a.example.com;branch=z9hG4bK1");
	CHECK_INT(h->line, 2);
	h = sip_msg_hdr_next(&m, h);
	CHECK(h != NULL);
	CHECK_STR(h->name, "v");
	CHECK_STR(h->value, "SIP/2.0/UDP b.example.com;branch=z9hG4bK2");
	CHECK_INT(h->line, 4);
	h = sip_msg_hdr_next(&m, h);
	CHECK(h != NULL);
	CHECK_STR(h->name, "VIA");
	CHECK_INT(h->line, 9);
	CHECK(sip_msg_hdr_next(&m, h) == NULL);
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_VIA), 3);
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_RECORD_ROUTE), 2);
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_CONTENT_LENGTH), 1);
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_ROUTE), 0);
	CHECK(sip_msg_hdr(&m, SIP_HDR_ROUTE) == NULL);
	CHECK(sip_msg_hdr(&m, SIP_HDR_COUNT) == NULL);
	return 0;
}

TEST(msg_hdr_chain_unknown_by_name)
{
	struct sip_msg m;
	CHECK_INT(PARSE(&m, chained, 0), 0);
	const struct sip_hdr *h = sip_msg_hdr_by_name(&m, SIP_STR("X-A"));
	CHECK(h != NULL);
	CHECK_INT(h->id, SIP_HDR_OTHER);
	CHECK_STR(h->value, "1");
	h = sip_msg_hdr_next(&m, h);
	CHECK(h != NULL);
	CHECK_STR(h->name, "x-a");
	CHECK_STR(h->value, "3");
	h = sip_msg_hdr_next(&m, h);
	CHECK(h != NULL);
	CHECK_STR(h->name, "X-A");
	CHECK_STR(h->value, "5");
	CHECK_INT(h->line, 11);
	CHECK(sip_msg_hdr_next(&m, h) == NULL);

	h = sip_msg_hdr_by_name(&m, SIP_STR("x-b"));
	CHECK(h != NULL);
	CHECK_STR(h->value, "2");
	CHECK(sip_msg_hdr_next(&m, h) == NULL);
	h = sip_msg_hdr_by_name(&m, SIP_STR("X-C"));
	CHECK(h != NULL);
	CHECK_STR(h->value, "4");
	CHECK(sip_msg_hdr_next(&m, h) == NULL);
	CHECK(sip_msg_hdr_by_name(&m, SIP_STR("X-D")) == NULL);
	CHECK(sip_msg_hdr_by_name(&m, SIP_STR("X")) == NULL);
	return 0;
}

TEST(msg_hdr_by_name_known_and_compact)
{
	struct sip_msg m;
	CHECK_INT(PARSE(&m, chained, 0), 0);
	CHECK(sip_msg_hdr_by_name(&m, SIP_STR("via")) == sip_msg_hdr(&m, SIP_HDR_VIA));
	CHECK(sip_msg_hdr_by_name(&m, SIP_STR("V")) == sip_msg_hdr(&m, SIP_HDR_VIA));
	CHECK(sip_msg_hdr_by_name(&m, SIP_STR("Content-Length")) ==
	      sip_msg_hdr(&m, SIP_HDR_CONTENT_LENGTH));
	CHECK(sip_msg_hdr_by_name(&m, SIP_STR("Call-ID")) == NULL);
	CHECK(sip_msg_hdr_by_name(&m, SIP_STR("i")) == NULL);
	return 0;
}

TEST(msg_hdr_count_other_counts_every_unknown_header)
{
	struct sip_msg m;
	CHECK_INT(PARSE(&m, chained, 0), 0);
	CHECK(sip_msg_hdr(&m, SIP_HDR_OTHER) == sip_msg_hdr_by_name(&m, SIP_STR("X-A")));
	/* X-A, X-B, x-a, X-C, X-A: five headers have the id SIP_HDR_OTHER */
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_OTHER), 5);
	return 0;
}

/* ---- lines: folding, LWS, numbers ---- */

TEST(msg_line_folding)
{
	static const char text[] = "OPTIONS sip:a@example.com SIP/2.0\r\n"
				   "Subject: first part\r\n"
				   "  second part\r\n"
				   "\tthird part\r\n"
				   "Call-ID: abc\r\n"
				   "Route: <sip:p1.example.com;lr>,\r\n"
				   " <sip:p2.example.com;lr>\r\n"
				   "\r\n";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), 0);
	CHECK_INT(m.nhdrs, 3);
	const struct sip_hdr *h = sip_msg_hdr(&m, SIP_HDR_SUBJECT);
	CHECK_STR(h->value, "first part\r\n  second part\r\n\tthird part");
	CHECK_INT(h->line, 2);
	CHECK_INT(sip_msg_hdr(&m, SIP_HDR_CALL_ID)->line, 5);
	CHECK_STR(sip_msg_hdr(&m, SIP_HDR_CALL_ID)->value, "abc");
	h = sip_msg_hdr(&m, SIP_HDR_ROUTE);
	CHECK_INT(h->line, 6);
	CHECK_STR(h->value, "<sip:p1.example.com;lr>,\r\n <sip:p2.example.com;lr>");
	CHECK_INT(m.body_line, 9);
	CHECK_INT(m.flags & SIP_MSG_BARE_LF, 0);
	return 0;
}

TEST(msg_fold_right_after_colon)
{
	static const char text[] = "OPTIONS sip:a@example.com SIP/2.0\r\n"
				   "Subject:\r\n"
				   "   folded value  \r\n"
				   "Call-ID: abc\r\n"
				   "\r\n";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), 0);
	CHECK_STR(sip_msg_hdr(&m, SIP_HDR_SUBJECT)->value, "folded value");
	CHECK_INT(sip_msg_hdr(&m, SIP_HDR_SUBJECT)->line, 2);
	CHECK_INT(sip_msg_hdr(&m, SIP_HDR_CALL_ID)->line, 4);
	return 0;
}

TEST(msg_lws_around_colon)
{
	static const char text[] = "OPTIONS sip:a@example.com SIP/2.0\r\n"
				   "Via \t: \t SIP/2.0/UDP h.example.com  \r\n"
				   "Subject:\r\n"
				   "Call-ID:abc\r\n"
				   "X-Thing\t:x\r\n"
				   "\r\n";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), 0);
	CHECK_INT(m.nhdrs, 4);
	CHECK_STR(m.hdrs[0].name, "Via");
	CHECK_INT(m.hdrs[0].id, SIP_HDR_VIA);
	CHECK_STR(m.hdrs[0].value, "SIP/2.0/UDP h.example.com");
	CHECK_STR(m.hdrs[1].name, "Subject");
	CHECK_STR(m.hdrs[1].value, "");
	CHECK_STR(m.hdrs[2].value, "abc");
	CHECK_STR(m.hdrs[3].name, "X-Thing");
	CHECK_STR(m.hdrs[3].value, "x");
	return 0;
}

TEST(msg_header_line_numbers)
{
	struct sip_msg m;
	CHECK_INT(PARSE(&m, invite, 0), 0);
	for (unsigned i = 0; i < m.nhdrs; i++)
		CHECK_INT(m.hdrs[i].line, i + 2);
	CHECK_INT(sip_msg_hdr(&m, SIP_HDR_CSEQ)->line, 7);
	return 0;
}

TEST(msg_header_line_numbers_after_leading_crlf)
{
	/* Lines count from the start line: skipped CRLFs before it do not count. */
	static const char text[] =
		"\r\n\r\nOPTIONS sip:a@example.com SIP/2.0\r\nCall-ID: 1\r\n\r\n";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), 0);
	CHECK_INT(m.hdrs[0].line, 2);
	CHECK(m.raw.p == text + 4);
	CHECK(m.start_line.p == text + 4);
	return 0;
}

TEST(msg_header_not_a_header_line)
{
	static const char nocolon[] = "OPTIONS sip:a@example.com SIP/2.0\r\n"
				      "Call-ID: 1\r\n"
				      "Via SIP/2.0/UDP h\r\n"
				      "\r\n";
	static const char noname[] = "OPTIONS sip:a@example.com SIP/2.0\r\n"
				     ": value\r\n"
				     "\r\n";
	static const char badname[] = "OPTIONS sip:a@example.com SIP/2.0\r\n"
				      "Call-ID: 1\r\n"
				      "X(y): value\r\n"
				      "\r\n";
	static const char indented[] = "OPTIONS sip:a@example.com SIP/2.0\r\n"
				       " Call-ID: 1\r\n"
				       "\r\n";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, nocolon, 0), SIP_ESYNTAX);
	CHECK_INT(m.err_line, 3);
	CHECK_STR(sip_str_from(m.err_text), "not a header line: 'Via SIP/2.0/UDP h'");
	CHECK_INT(PARSE(&m, noname, 0), SIP_ESYNTAX);
	CHECK_INT(m.err_line, 2);
	CHECK_STR(sip_str_from(m.err_text), "not a header line: ': value'");
	CHECK_INT(PARSE(&m, badname, 0), SIP_ESYNTAX);
	CHECK_INT(m.err_line, 3);
	CHECK_INT(PARSE(&m, indented, 0), SIP_ESYNTAX);
	CHECK_INT(m.err_line, 2);
	CHECK_STR(sip_str_from(m.err_text), "line starts with whitespace but follows no header");
	return 0;
}

/* ---- body and framing ---- */

TEST(msg_body_with_nul_octets)
{
	static const char text[] = "MESSAGE sip:a@example.com SIP/2.0\r\n"
				   "Content-Type: application/octet-stream\r\n"
				   "Content-Length: 7\r\n"
				   "\r\n"
				   "a\0b\0\0c\0";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), 0);
	CHECK_INT(m.body.len, 7);
	CHECK(memcmp(m.body.p, "a\0b\0\0c\0", 7) == 0);
	CHECK_INT(m.raw.len, sizeof text - 1);
	CHECK_INT(m.trailing, 0);
	CHECK_INT(m.body_line, 5);
	return 0;
}

TEST(msg_nul_in_header_value)
{
	static const char text[] = "OPTIONS sip:a@example.com SIP/2.0\r\n"
				   "Subject: a\0b\r\n"
				   "Call-ID: 1\r\n"
				   "\r\n";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), 0);
	CHECK_INT(sip_msg_hdr(&m, SIP_HDR_SUBJECT)->value.len, 3);
	CHECK_STR(sip_msg_hdr(&m, SIP_HDR_CALL_ID)->value, "1");
	return 0;
}

static const char cl_long[] = "MESSAGE sip:a@example.com SIP/2.0\r\n"
			      "Call-ID: 1\r\n"
			      "Content-Length: 10\r\n"
			      "\r\n"
			      "abc";

TEST(msg_datagram_content_length_beyond_body)
{
	struct sip_msg m;
	CHECK_INT(PARSE(&m, cl_long, 0), SIP_ESYNTAX);
	CHECK_INT(m.err_line, 3);
	CHECK_STR(sip_str_from(m.err_text), "Content-Length says 10, body has 3 bytes");
	return 0;
}

TEST(msg_datagram_content_length_beyond_body_lenient)
{
	struct sip_msg m;
	CHECK_INT(PARSE(&m, cl_long, SIP_PARSE_LENIENT), 0);
	CHECK(m.flags & SIP_MSG_CL_SHORT);
	CHECK_STR(m.body, "abc");
	CHECK_INT(m.trailing, 0);
	CHECK_INT(m.raw.len, sizeof cl_long - 1);
	CHECK_INT(m.nhdrs, 2);
	return 0;
}

TEST(msg_datagram_trailing_octets)
{
	static const char text[] = "MESSAGE sip:a@example.com SIP/2.0\r\n"
				   "Content-Length: 3\r\n"
				   "\r\n"
				   "abcXYZW";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), 0);
	CHECK_STR(m.body, "abc");
	CHECK_INT(m.trailing, 4);
	CHECK_INT(m.raw.len, sizeof text - 1 - 4);
	CHECK_INT(m.flags, 0);
	return 0;
}

TEST(msg_datagram_no_content_length)
{
	static const char text[] = "MESSAGE sip:a@example.com SIP/2.0\r\n"
				   "Call-ID: 1\r\n"
				   "\r\n"
				   "the rest\r\nof it";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), 0);
	CHECK_STR(m.body, "the rest\r\nof it");
	CHECK(m.flags & SIP_MSG_NO_CL);
	CHECK_INT(m.trailing, 0);
	CHECK_INT(m.raw.len, sizeof text - 1);
	return 0;
}

TEST(msg_datagram_no_body)
{
	static const char text[] = "OPTIONS sip:a@example.com SIP/2.0\r\nCall-ID: 1\r\n\r\n";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), 0);
	CHECK_STR(m.body, "");
	CHECK_INT(m.body_line, 4);
	CHECK(m.flags & SIP_MSG_NO_CL);
	return 0;
}

TEST(msg_multiple_content_length)
{
	static const char text[] = "MESSAGE sip:a@example.com SIP/2.0\r\n"
				   "Content-Length: 2\r\n"
				   "l: 4\r\n"
				   "\r\n"
				   "abcd";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), 0);
	CHECK(m.flags & SIP_MSG_CL_MULTI);
	CHECK_STR(m.body, "ab");
	CHECK_INT(m.trailing, 2);
	return 0;
}

TEST(msg_content_length_lws)
{
	static const char text[] = "MESSAGE sip:a@example.com SIP/2.0\r\n"
				   "Content-Length:   002  \r\n"
				   "\r\n"
				   "ab";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), 0);
	CHECK_STR(m.body, "ab");
	return 0;
}

TEST(msg_content_length_negative)
{
	static const char text[] = "MESSAGE sip:a@example.com SIP/2.0\r\n"
				   "Call-ID: 1\r\n"
				   "Content-Length: -1\r\n"
				   "\r\n";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), SIP_ESYNTAX);
	CHECK_INT(m.err_line, 3);
	CHECK_STR(sip_str_from(m.err_text), "Content-Length '-1' is not a number");
	CHECK_INT(PARSE(&m, text, SIP_PARSE_STREAM), SIP_ESYNTAX);
	CHECK_INT(PARSE(&m, text, SIP_PARSE_LENIENT), SIP_ESYNTAX);
	return 0;
}

TEST(msg_content_length_huge)
{
	static const char over64[] = "MESSAGE sip:a@example.com SIP/2.0\r\n"
				     "Content-Length: 18446744073709551616\r\n"
				     "\r\n";
	static const char over32[] = "MESSAGE sip:a@example.com SIP/2.0\r\n"
				     "Call-ID: 1\r\n"
				     "Content-Length: 4294967296\r\n"
				     "\r\n";
	static const char max32[] = "MESSAGE sip:a@example.com SIP/2.0\r\n"
				    "Content-Length: 4294967295\r\n"
				    "\r\n"
				    "abc";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, over64, 0), SIP_ERANGE);
	CHECK_INT(m.err_line, 2);
	CHECK_STR(sip_str_from(m.err_text),
	          "Content-Length '18446744073709551616' is out of range");
	CHECK_INT(PARSE(&m, over32, SIP_PARSE_STREAM), SIP_ERANGE);
	CHECK_INT(m.err_line, 3);
	/* in range but far beyond the datagram */
	CHECK_INT(PARSE(&m, max32, 0), SIP_ESYNTAX);
	CHECK_STR(sip_str_from(m.err_text), "Content-Length says 4294967295, body has 3 bytes");
	CHECK_INT(PARSE(&m, max32, SIP_PARSE_STREAM), SIP_EAGAIN);
	return 0;
}

TEST(msg_content_length_not_a_number)
{
	static const char text[] = "MESSAGE sip:a@example.com SIP/2.0\r\n"
				   "Content-Length: 1 2\r\n"
				   "\r\n"
				   "ab";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), SIP_ESYNTAX);
	CHECK_STR(sip_str_from(m.err_text), "Content-Length '1 2' is not a number");
	return 0;
}

/* ---- streams ---- */

TEST(msg_stream_two_messages_back_to_back)
{
	static const char buf[] = "MESSAGE sip:a@example.com SIP/2.0\r\n"
				  "Call-ID: one\r\n"
				  "Content-Length: 5\r\n"
				  "\r\n"
				  "hello"
				  "\r\n"
				  "SIP/2.0 200 OK\r\n"
				  "Call-ID: two\r\n"
				  "Content-Length: 0\r\n"
				  "\r\n";
	const size_t len = sizeof buf - 1;
	struct sip_msg m;
	CHECK_INT(sip_msg_parse(&m, buf, len, SIP_PARSE_STREAM), 0);
	CHECK(m.is_request);
	CHECK_STR(sip_msg_hdr(&m, SIP_HDR_CALL_ID)->value, "one");
	CHECK_STR(m.body, "hello");
	CHECK_INT(m.trailing, 0);
	size_t off = (size_t)(m.raw.p + m.raw.len - buf);
	CHECK(memcmp(buf + off, "\r\nSIP/2.0", 9) == 0);

	CHECK_INT(sip_msg_parse(&m, buf + off, len - off, SIP_PARSE_STREAM), 0);
	CHECK(!m.is_request);
	CHECK_INT(m.status, 200);
	CHECK_STR(sip_msg_hdr(&m, SIP_HDR_CALL_ID)->value, "two");
	CHECK(m.raw.p == buf + off + 2); /* the CRLF keep-alive is skipped */
	off = (size_t)(m.raw.p + m.raw.len - buf);
	CHECK_INT(off, len);

	CHECK_INT(sip_msg_parse(&m, buf + off, len - off, SIP_PARSE_STREAM), SIP_EAGAIN);
	return 0;
}

TEST(msg_stream_without_content_length_reads_no_body)
{
	static const char buf[] = "OPTIONS sip:a@example.com SIP/2.0\r\n"
				  "Call-ID: one\r\n"
				  "\r\n"
				  "OPTIONS sip:b@example.com SIP/2.0\r\n";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, buf, SIP_PARSE_STREAM), 0);
	CHECK(m.flags & SIP_MSG_NO_CL);
	CHECK_STR(m.body, "");
	CHECK_INT(m.trailing, 0);
	const char *next = m.raw.p + m.raw.len;
	CHECK(memcmp(next, "OPTIONS sip:b", 13) == 0);
	CHECK_INT(sip_msg_parse(&m, next, (size_t)(buf + sizeof buf - 1 - next), SIP_PARSE_STREAM),
	          SIP_EAGAIN);
	return 0;
}

static const char streamed[] = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
			       "Via: SIP/2.0/TCP pc33.atlanta.example.com\r\n"
			       " ;branch=z9hG4bKfolded\r\n"
			       "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
			       "l: 12\r\n"
			       "\r\n"
			       "v=0\r\no=- 1\r\n";

static const char streamed_lf[] = "SIP/2.0 486 Busy Here\n"
				  "Via: SIP/2.0/TCP pc33.atlanta.example.com\n"
				  "\t;branch=z9hG4bKfolded\n"
				  "Content-Length: 3\n"
				  "\n"
				  "a\nb";

static int every_prefix_is_eagain(const char *text, size_t len)
{
	struct sip_msg m;
	for (size_t k = 0; k < len; k++) {
		char *b = dup_exact(text, k);
		int r = sip_msg_parse(&m, b, k, SIP_PARSE_STREAM);
		free(b);
		if (r != SIP_EAGAIN) {
			char w[96];
			snprintf(w, sizeof w, "prefix of %zu bytes gave %d, not SIP_EAGAIN", k, r);
			test_fail(__FILE__, __LINE__, w);
			return 1;
		}
	}
	char *b = dup_exact(text, len);
	int r = sip_msg_parse(&m, b, len, SIP_PARSE_STREAM);
	bool whole = m.raw.p + m.raw.len == b + len;
	free(b);
	CHECK_INT(r, 0);
	CHECK(whole);
	return 0;
}

TEST(msg_stream_every_truncation_is_eagain)
{
	return every_prefix_is_eagain(streamed, sizeof streamed - 1);
}

TEST(msg_stream_every_truncation_is_eagain_bare_lf)
{
	return every_prefix_is_eagain(streamed_lf, sizeof streamed_lf - 1);
}

TEST(msg_stream_every_truncation_is_eagain_leading_crlf)
{
	static const char text[] = "\r\n\r\nSIP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
	return every_prefix_is_eagain(text, sizeof text - 1);
}

/* Datagram and lenient parses of every prefix: any result, but never a
 * read outside the buffer, and slices inside it on success. */
TEST(msg_datagram_every_truncation_never_crashes)
{
	static const char *const texts[] = {streamed, streamed_lf, invite};
	static const unsigned flags[] = {0, SIP_PARSE_LENIENT};
	for (size_t t = 0; t < 3; t++) {
		size_t len = strlen(texts[t]);
		for (size_t k = 0; k <= len; k++) {
			for (size_t f = 0; f < 2; f++) {
				struct sip_msg m;
				char *b = dup_exact(texts[t], k);
				int r = sip_msg_parse(&m, b, k, flags[f]);
				/* checked before the free; a failure leaks b, which is reported too */
				CHECK(r <= 0);
				CHECK(r != 0 || (m.raw.p >= b && m.raw.p + m.raw.len <= b + k &&
				                 m.body.p >= b && m.body.p + m.body.len <= b + k));
				CHECK(r == 0 || m.err_text[0] != '\0');
				free(b);
			}
		}
	}
	return 0;
}

TEST(msg_stream_folded_header_complete)
{
	struct sip_msg m;
	CHECK_INT(PARSE(&m, streamed, SIP_PARSE_STREAM), 0);
	CHECK_STR(sip_msg_hdr(&m, SIP_HDR_VIA)->value,
	          "SIP/2.0/TCP pc33.atlanta.example.com\r\n ;branch=z9hG4bKfolded");
	CHECK_INT(sip_msg_hdr(&m, SIP_HDR_CALL_ID)->line, 4);
	CHECK_STR(m.body, "v=0\r\no=- 1\r\n");
	CHECK_INT(m.body_line, 7);
	return 0;
}

TEST(msg_leading_crlf_skipped)
{
	static const char text[] =
		"\r\n\n\r\nOPTIONS sip:a@example.com SIP/2.0\r\nCall-ID: 1\r\n\r\n";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), 0);
	CHECK(m.raw.p == text + 5);
	CHECK_INT(m.raw.len, sizeof text - 1 - 5);
	CHECK_STR(m.method_name, "OPTIONS");
	CHECK_INT(PARSE(&m, text, SIP_PARSE_STREAM), 0);
	CHECK(m.raw.p + m.raw.len == text + sizeof text - 1);
	return 0;
}

TEST(msg_empty_input)
{
	static const char crlf[] = "\r\n\r\n";
	struct sip_msg m;
	CHECK_INT(sip_msg_parse(&m, "", 0, 0), SIP_EEMPTY);
	CHECK_STR(sip_str_from(m.err_text), "empty message");
	CHECK_INT(sip_msg_parse(&m, NULL, 0, 0), SIP_EEMPTY);
	CHECK_INT(PARSE(&m, crlf, 0), SIP_EEMPTY);
	CHECK_INT(sip_msg_parse(&m, "", 0, SIP_PARSE_STREAM), SIP_EAGAIN);
	CHECK_INT(PARSE(&m, crlf, SIP_PARSE_STREAM), SIP_EAGAIN);
	return 0;
}

TEST(msg_invalid_arguments)
{
	struct sip_msg m;
	CHECK_INT(sip_msg_parse(NULL, "x", 1, 0), SIP_EINVAL);
	CHECK_INT(sip_msg_parse(&m, NULL, 5, 0), SIP_EINVAL);
	return 0;
}

TEST(msg_bare_lf_accepted)
{
	static const char text[] = "OPTIONS sip:a@example.com SIP/2.0\n"
				   "Call-ID: lf-only\n"
				   "Subject: one\n"
				   " two\n"
				   "Content-Length: 2\n"
				   "\n"
				   "hi";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), 0);
	CHECK(m.flags & SIP_MSG_BARE_LF);
	CHECK_STR(m.start_line, "OPTIONS sip:a@example.com SIP/2.0");
	CHECK_STR(m.version, "SIP/2.0");
	CHECK_INT(m.nhdrs, 3);
	CHECK_STR(sip_msg_hdr(&m, SIP_HDR_CALL_ID)->value, "lf-only");
	CHECK_STR(sip_msg_hdr(&m, SIP_HDR_SUBJECT)->value, "one\n two");
	CHECK_INT(sip_msg_hdr(&m, SIP_HDR_CONTENT_LENGTH)->line, 5);
	CHECK_STR(m.body, "hi");
	CHECK_INT(m.body_line, 7);
	return 0;
}

TEST(msg_bare_lf_on_one_line_only)
{
	static const char text[] = "OPTIONS sip:a@example.com SIP/2.0\r\n"
				   "Call-ID: 1\n"
				   "CSeq: 1 OPTIONS\r\n"
				   "\r\n";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), 0);
	CHECK(m.flags & SIP_MSG_BARE_LF);
	CHECK_STR(sip_msg_hdr(&m, SIP_HDR_CALL_ID)->value, "1");
	CHECK_STR(sip_msg_hdr(&m, SIP_HDR_CSEQ)->value, "1 OPTIONS");
	return 0;
}

/* ---- start-line errors ---- */

static int start_line_error(const char *line, const char *want)
{
	char buf[256];
	int n = snprintf(buf, sizeof buf, "%s\r\nCall-ID: 1\r\n\r\n", line);
	struct sip_msg m;
	int r = sip_msg_parse(&m, buf, (size_t)n, 0);
	if (r != SIP_ESYNTAX || m.err_line != 1 || strcmp(m.err_text, want) != 0) {
		char w[400];
		snprintf(w, sizeof w, "'%s' gave %d at line %u: '%s', want '%s'", line, r,
		         m.err_line, m.err_text, want);
		test_fail(__FILE__, __LINE__, w);
		return 1;
	}
	return 0;
}

#define START_ERR(line, want)                                                                      \
	do {                                                                                       \
		if (start_line_error(line, want))                                                  \
			return 1;                                                                  \
	} while (0)

TEST(msg_start_line_double_space)
{
	START_ERR("INVITE  sip:a@example.com SIP/2.0",
	          "more than one space after the method in the request line");
	START_ERR("INVITE sip:a@example.com  SIP/2.0",
	          "more than one space after the Request-URI in the request line");
	return 0;
}

TEST(msg_start_line_trailing_space)
{
	START_ERR("INVITE sip:a@example.com SIP/2.0 ",
	          "trailing whitespace after the SIP version in the request line");
	return 0;
}

TEST(msg_start_line_space_in_uri)
{
	START_ERR("INVITE sip:a@example.com;x=a b SIP/2.0",
	          "whitespace inside the Request-URI 'sip:a@example.com;x=a b "
	          "SIP/2.0' (escape it or remove it)");
	return 0;
}

TEST(msg_start_line_version)
{
	START_ERR("INVITE sip:a@example.com SIP/3.0", "unsupported SIP version 'SIP/3.0' (505)");
	START_ERR("SIP/3.0 200 OK", "unsupported SIP version 'SIP/3.0' (505)");
	START_ERR("INVITE sip:a@example.com HTTP/1.1", "bad SIP version 'HTTP/1.1'");
	START_ERR("INVITE sip:a@example.com", "request line has no SIP version");
	START_ERR("INVITE", "request line 'INVITE' is not METHOD URI SIP/2.0");
	return 0;
}

TEST(msg_start_line_status_codes)
{
	START_ERR("SIP/2.0 99 Low", "status code '99' is not three digits from 100 to 699");
	START_ERR("SIP/2.0 700 High", "status code 700 is not from 100 to 699");
	START_ERR("SIP/2.0 1000 Big", "status code '1000' is not three digits from 100 to 699");
	START_ERR("SIP/2.0 abc OK", "status code 'abc' is not three digits from 100 to 699");
	START_ERR("SIP/2.0 099 OK", "status code '099' is not three digits from 100 to 699");
	START_ERR("SIP/2.0 20x OK", "status code '20x' is not three digits from 100 to 699");
	START_ERR("SIP/2.0", "status line has no status code");
	return 0;
}

TEST(msg_start_line_tab)
{
	START_ERR("INVITE sip:a\tb@example.com SIP/2.0", "tab in the request line");
	START_ERR("INVITE\tsip:a@example.com SIP/2.0", "tab in the request line");
	START_ERR("INVITE sip:a@example.com\tSIP/2.0", "tab in the request line");
	START_ERR("INVITE sip:a@example.com SIP/2.0\t", "tab in the request line");
	START_ERR("SIP/2.0\t200 OK", "tab in the status line");
	START_ERR("SIP/2.0 200\tOK", "tab in the status line");
	return 0;
}

TEST(msg_start_line_method_not_token)
{
	START_ERR("INV@TE sip:a@example.com SIP/2.0", "method 'INV@TE' is not a token");
	START_ERR(" INVITE sip:a@example.com SIP/2.0", "method '' is not a token");
	return 0;
}

/* ---- limits ---- */

/* A request with nhdr header lines "X-N: v" in a heap buffer of exact size. */
static char *many_headers(unsigned nhdr, size_t *len)
{
	size_t cap = 64 + (size_t)nhdr * 16;
	char *b = malloc(cap);
	if (!b)
		return NULL;
	size_t n = (size_t)snprintf(b, cap, "OPTIONS sip:a@example.com SIP/2.0\r\n");
	for (unsigned i = 0; i < nhdr; i++)
		n += (size_t)snprintf(b + n, cap - n, "X-%u: v\r\n", i);
	n += (size_t)snprintf(b + n, cap - n, "\r\n");
	*len = n;
	return b;
}

TEST(msg_max_headers_accepted)
{
	size_t len;
	char *b = many_headers(SIP_MSG_MAX_HDRS, &len);
	CHECK(b != NULL);
	struct sip_msg m;
	int r = sip_msg_parse(&m, b, len, 0);
	free(b);
	CHECK_INT(r, 0);
	CHECK_INT(m.nhdrs, SIP_MSG_MAX_HDRS);
	CHECK_INT(m.hdrs[SIP_MSG_MAX_HDRS - 1].line, SIP_MSG_MAX_HDRS + 1);
	return 0;
}

TEST(msg_too_many_headers)
{
	size_t len;
	char *b = many_headers(SIP_MSG_MAX_HDRS + 1, &len);
	CHECK(b != NULL);
	struct sip_msg m;
	int r = sip_msg_parse(&m, b, len, 0);
	int rs = sip_msg_parse(&m, b, len, SIP_PARSE_STREAM);
	free(b);
	CHECK_INT(r, SIP_ETOOBIG);
	CHECK_INT(rs, SIP_ETOOBIG);
	CHECK_INT(m.err_line, SIP_MSG_MAX_HDRS + 2);
	CHECK_STR(sip_str_from(m.err_text), "more than 256 header lines");
	return 0;
}

TEST(msg_2000_headers)
{
	size_t len;
	char *b = many_headers(2000, &len);
	CHECK(b != NULL);
	struct sip_msg m;
	int r1 = sip_msg_parse(&m, b, len, 0);
	int r2 = sip_msg_parse(&m, b, len, SIP_PARSE_STREAM | SIP_PARSE_LENIENT);
	free(b);
	CHECK_INT(r1, SIP_ETOOBIG);
	CHECK_INT(r2, SIP_ETOOBIG);
	CHECK_INT(m.nhdrs, SIP_MSG_MAX_HDRS);
	return 0;
}

TEST(msg_1mib_header_value)
{
	const size_t big = 1 << 20;
	static const char head[] = "OPTIONS sip:a@example.com SIP/2.0\r\nSubject: ";
	static const char tail[] = "\r\nCall-ID: 1\r\n\r\n";
	size_t len = sizeof head - 1 + big + sizeof tail - 1;
	char *b = malloc(len);
	CHECK(b != NULL);
	memcpy(b, head, sizeof head - 1);
	memset(b + sizeof head - 1, 'a', big);
	memcpy(b + sizeof head - 1 + big, tail, sizeof tail - 1);
	struct sip_msg m;
	int r = sip_msg_parse(&m, b, len, 0);
	bool ok = r == 0 && m.nhdrs == 2 && m.hdrs[0].value.len == big &&
	          m.hdrs[0].value.p == b + sizeof head - 1 && m.hdrs[1].line == 3;
	int rs = sip_msg_parse(&m, b, len - 5, SIP_PARSE_STREAM);
	free(b);
	CHECK_INT(r, 0);
	CHECK(ok);
	CHECK_INT(rs, SIP_EAGAIN);
	return 0;
}

TEST(msg_1mib_header_name)
{
	const size_t big = 1 << 20;
	static const char head[] = "OPTIONS sip:a@example.com SIP/2.0\r\n";
	static const char tail[] = ": v\r\n\r\n";
	size_t len = sizeof head - 1 + big + sizeof tail - 1;
	char *b = malloc(len);
	CHECK(b != NULL);
	memcpy(b, head, sizeof head - 1);
	memset(b + sizeof head - 1, 'X', big);
	memcpy(b + sizeof head - 1 + big, tail, sizeof tail - 1);
	struct sip_msg m;
	int r = sip_msg_parse(&m, b, len, 0);
	bool ok = r == 0 && m.nhdrs == 1 && m.hdrs[0].id == SIP_HDR_OTHER &&
	          m.hdrs[0].name.len == big;
	free(b);
	CHECK(ok);
	return 0;
}

TEST(msg_many_folded_lines)
{
	const unsigned folds = 200000;
	static const char head[] = "OPTIONS sip:a@example.com SIP/2.0\r\nSubject: a";
	static const char tail[] = "\r\nCall-ID: 1\r\n\r\n";
	size_t len = sizeof head - 1 + (size_t)folds * 4 + sizeof tail - 1;
	char *b = malloc(len);
	CHECK(b != NULL);
	size_t n = sizeof head - 1;
	memcpy(b, head, n);
	for (unsigned i = 0; i < folds; i++, n += 4)
		memcpy(b + n, "\r\n a", 4);
	memcpy(b + n, tail, sizeof tail - 1);
	struct sip_msg m;
	int r = sip_msg_parse(&m, b, len, 0);
	bool ok = r == 0 && m.nhdrs == 2 && m.hdrs[0].line == 2 && m.hdrs[1].line == 3 + folds &&
	          m.body_line == 5 + folds && m.hdrs[0].value.len == 1 + (size_t)folds * 4;
	free(b);
	CHECK_INT(r, 0);
	CHECK(ok);
	return 0;
}

TEST(msg_missing_empty_line)
{
	static const char text[] = "OPTIONS sip:a@example.com SIP/2.0\r\n"
				   "Call-ID: 1\r\n"
				   "CSeq: 1 OPTIONS\r\n";
	static const char noeol[] = "OPTIONS sip:a@example.com SIP/2.0\r\n"
				    "Call-ID: 1\r\n"
				    "CSeq: 1 OPTIONS";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, 0), SIP_ESYNTAX);
	CHECK_STR(sip_str_from(m.err_text), "the headers do not end with an empty line");
	CHECK_INT(m.err_line, 3);
	CHECK_INT(PARSE(&m, noeol, 0), SIP_ESYNTAX);
	CHECK_STR(sip_str_from(m.err_text), "the headers do not end with an empty line");
	CHECK_INT(PARSE(&m, text, SIP_PARSE_STREAM), SIP_EAGAIN);
	return 0;
}

TEST(msg_missing_empty_line_lenient)
{
	static const char text[] = "OPTIONS sip:a@example.com SIP/2.0\r\n"
				   "Call-ID: 1\r\n"
				   "CSeq: 1 OPTIONS\r\n";
	static const char noeol[] = "OPTIONS sip:a@example.com SIP/2.0\r\n"
				    "Call-ID: 1\r\n"
				    "CSeq: 1 OPTIONS";
	static const char startonly[] = "OPTIONS sip:a@example.com SIP/2.0";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, text, SIP_PARSE_LENIENT), 0);
	CHECK(m.flags & SIP_MSG_NO_EOH);
	CHECK_INT(m.nhdrs, 2);
	CHECK_STR(m.body, "");
	CHECK_INT(m.raw.len, sizeof text - 1);
	CHECK_INT(m.body_line, 4);
	CHECK_INT(PARSE(&m, noeol, SIP_PARSE_LENIENT), 0);
	CHECK(m.flags & SIP_MSG_NO_EOH);
	CHECK_STR(sip_msg_hdr(&m, SIP_HDR_CSEQ)->value, "1 OPTIONS");
	CHECK_INT(m.raw.len, sizeof noeol - 1);
	CHECK_INT(PARSE(&m, startonly, SIP_PARSE_LENIENT), 0);
	CHECK(m.flags & SIP_MSG_NO_EOH);
	CHECK_INT(m.nhdrs, 0);
	CHECK_INT(m.raw.len, sizeof startonly - 1);
	return 0;
}

TEST(msg_parse_allocates_nothing)
{
	static const char *const texts[] = {invite, streamed, streamed_lf, chained, cl_long};
	long before = test_heap_allocs();
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		struct sip_msg m;
		size_t n = strlen(texts[i]);
		sip_msg_parse(&m, texts[i], n, 0);
		sip_msg_parse(&m, texts[i], n, SIP_PARSE_STREAM);
		sip_msg_parse(&m, texts[i], n, SIP_PARSE_LENIENT);
		sip_msg_parse(&m, texts[i], n / 2, SIP_PARSE_STREAM);
		sip_msg_hdr_count(&m, SIP_HDR_VIA);
		sip_msg_hdr_by_name(&m, SIP_STR("X-A"));
	}
	CHECK_INT(test_heap_allocs(), before);
	return 0;
}

TEST(msg_reparse_resets_state)
{
	static const char small[] = "SIP/2.0 100 Trying\r\n\r\n";
	struct sip_msg m;
	CHECK_INT(PARSE(&m, chained, 0), 0);
	CHECK_INT(PARSE(&m, cl_long, 0), SIP_ESYNTAX);
	CHECK_INT(PARSE(&m, small, 0), 0);
	CHECK_INT(m.nhdrs, 0);
	CHECK_INT(m.flags, SIP_MSG_NO_CL);
	CHECK_INT(m.err_line, 0);
	CHECK_STR(sip_str_from(m.err_text), "");
	CHECK(sip_msg_hdr(&m, SIP_HDR_VIA) == NULL);
	CHECK(sip_msg_hdr_by_name(&m, SIP_STR("X-A")) == NULL);
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_OTHER), 0);
	return 0;
}
