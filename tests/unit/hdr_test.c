/* hdr_test.c - typed header views (lib/hdr.c): lists, parameters, Via,
 * name-addr, CSeq, RAck, numbers, Content-Type, token and parameters. */
#include <stdint.h>

#include "test.h"

/* CHECK_INT for calls too long to quote in a failure message. */
#define CHECK_RC(call, want)                                                                       \
	do {                                                                                       \
		int rc_ = (call);                                                                  \
		CHECK_INT(rc_, want);                                                              \
	} while (0)

/* ---- sip_list_next ---- */

/* Splits list into at most 8 elements; returns the last result (0 at a
 * clean end, or the error). */
static int split(const char *list, struct sip_str *elems, int *n)
{
	struct sip_str l = sip_str_from(list);
	int r;
	*n = 0;
	while (*n < 8 && (r = sip_list_next(&l, &elems[*n])) == 1)
		(*n)++;
	return *n == 8 ? 1 : r;
}

TEST(hdr_list_simple)
{
	struct sip_str e[8];
	int n;
	CHECK_INT(split("INVITE, ACK ,BYE,\tCANCEL", e, &n), 0);
	CHECK_INT(n, 4);
	CHECK_STR(e[0], "INVITE");
	CHECK_STR(e[1], "ACK");
	CHECK_STR(e[2], "BYE");
	CHECK_STR(e[3], "CANCEL");
	return 0;
}

TEST(hdr_list_empty_and_blank)
{
	struct sip_str e[8];
	int n;
	CHECK_INT(split("", e, &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(split("   \t ", e, &n), 0);
	CHECK_INT(n, 0);
	struct sip_str none = {NULL, 0};
	CHECK_INT(sip_list_next(&none, &e[0]), 0);
	CHECK_INT(split("one", e, &n), 0);
	CHECK_INT(n, 1);
	CHECK_STR(e[0], "one");
	return 0;
}

TEST(hdr_list_quotes_with_commas)
{
	struct sip_str e[8];
	int n;
	CHECK_RC(split("\"Smith, John\" <sip:j@example.com>, \"a\\\"b, c\" <sip:k@example.com>", e,
	               &n),
	         0);
	CHECK_INT(n, 2);
	CHECK_STR(e[0], "\"Smith, John\" <sip:j@example.com>");
	CHECK_STR(e[1], "\"a\\\"b, c\" <sip:k@example.com>");
	return 0;
}

TEST(hdr_list_angle_with_commas)
{
	struct sip_str e[8];
	int n;
	CHECK_INT(
		split("<sip:a@example.com?Route=%3Csip:x%3E,y>;q=0.5, <sip:b@example.com>", e, &n),
		0);
	CHECK_INT(n, 2);
	CHECK_STR(e[0], "<sip:a@example.com?Route=%3Csip:x%3E,y>;q=0.5");
	CHECK_STR(e[1], "<sip:b@example.com>");
	return 0;
}

TEST(hdr_list_folded)
{
	struct sip_str e[8];
	int n;
	CHECK_INT(split("<sip:p1.example.com;lr>,\r\n <sip:p2.example.com;lr>", e, &n), 0);
	CHECK_INT(n, 2);
	CHECK_STR(e[1], "<sip:p2.example.com;lr>");
	return 0;
}

TEST(hdr_list_empty_elements)
{
	struct sip_str e[8];
	int n;
	CHECK_INT(split("a,,b", e, &n), SIP_EEMPTY);
	CHECK_INT(n, 1);
	CHECK_STR(e[0], "a");
	CHECK_INT(split(", a", e, &n), SIP_EEMPTY);
	CHECK_INT(n, 0);
	CHECK_INT(split("a, ,b", e, &n), SIP_EEMPTY);
	CHECK_INT(n, 1);
	CHECK_INT(split(" , ", e, &n), SIP_EEMPTY);
	return 0;
}

TEST(hdr_list_trailing_comma)
{
	struct sip_str e[8];
	int n;
	CHECK_INT(split("a, b,", e, &n), SIP_EEMPTY);
	CHECK_INT(n, 2);
	CHECK_STR(e[1], "b");
	CHECK_INT(split("a,  \t", e, &n), SIP_EEMPTY);
	CHECK_INT(n, 1);
	/* the error sticks: the list is not consumed past the comma */
	struct sip_str l = SIP_STR("a,"), x;
	CHECK_INT(sip_list_next(&l, &x), 1);
	CHECK_INT(sip_list_next(&l, &x), SIP_EEMPTY);
	CHECK_INT(sip_list_next(&l, &x), SIP_EEMPTY);
	return 0;
}

TEST(hdr_list_unterminated_quote)
{
	struct sip_str e[8];
	int n;
	CHECK_INT(split("\"Smith, John <sip:j@example.com>", e, &n), SIP_EQUOTE);
	CHECK_INT(n, 0);
	CHECK_INT(split("a, \"b", e, &n), SIP_EQUOTE);
	CHECK_INT(n, 1);
	CHECK_INT(split("\"ends in a backslash\\", e, &n), SIP_EQUOTE);
	CHECK_INT(split("\"ends in an escaped quote\\\"", e, &n), SIP_EQUOTE);
	return 0;
}

/* ---- parameters ---- */

TEST(hdr_param_next_forms)
{
	struct sip_str ps = SIP_STR(";a=1;lr;c=\"x;y\";D=tok-en.1");
	struct sip_param p;
	CHECK_INT(sip_param_next(&ps, &p), 1);
	CHECK_STR(p.name, "a");
	CHECK_STR(p.value, "1");
	CHECK(p.has_value);
	CHECK_INT(sip_param_next(&ps, &p), 1);
	CHECK_STR(p.name, "lr");
	CHECK_STR(p.value, "");
	CHECK(!p.has_value);
	CHECK_INT(sip_param_next(&ps, &p), 1);
	CHECK_STR(p.name, "c");
	CHECK_STR(p.value, "x;y");
	CHECK(p.has_value);
	CHECK_INT(sip_param_next(&ps, &p), 1);
	CHECK_STR(p.name, "D");
	CHECK_STR(p.value, "tok-en.1");
	CHECK_INT(sip_param_next(&ps, &p), 0);
	CHECK_INT(sip_param_next(&ps, &p), 0);
	return 0;
}

TEST(hdr_param_without_leading_semicolon_and_lws)
{
	struct sip_str ps = SIP_STR("  a = 1 ;\tb ; c=\"q\\\"x\" ");
	struct sip_param p;
	CHECK_INT(sip_param_next(&ps, &p), 1);
	CHECK_STR(p.name, "a");
	CHECK_STR(p.value, "1");
	CHECK_INT(sip_param_next(&ps, &p), 1);
	CHECK_STR(p.name, "b");
	CHECK(!p.has_value);
	CHECK_INT(sip_param_next(&ps, &p), 1);
	CHECK_STR(p.name, "c");
	CHECK_STR(p.value, "q\\\"x");
	CHECK_INT(sip_param_next(&ps, &p), 0);
	return 0;
}

TEST(hdr_param_empty_lists)
{
	struct sip_param p;
	struct sip_str ps = SIP_STR("");
	CHECK_INT(sip_param_next(&ps, &p), 0);
	ps = SIP_STR("   ");
	CHECK_INT(sip_param_next(&ps, &p), 0);
	ps = (struct sip_str){NULL, 0};
	CHECK_INT(sip_param_next(&ps, &p), 0);
	return 0;
}

TEST(hdr_param_double_semicolon)
{
	struct sip_param p;
	struct sip_str ps = SIP_STR(";;a=1");
	CHECK_INT(sip_param_next(&ps, &p), SIP_EPARAM);
	ps = SIP_STR("a=1;;b");
	CHECK_INT(sip_param_next(&ps, &p), 1);
	CHECK_INT(sip_param_next(&ps, &p), SIP_EPARAM);
	ps = SIP_STR("a=1; ;b");
	CHECK_INT(sip_param_next(&ps, &p), 1);
	CHECK_INT(sip_param_next(&ps, &p), SIP_EPARAM);
	return 0;
}

TEST(hdr_param_trailing_semicolon)
{
	struct sip_param p;
	struct sip_str ps = SIP_STR("a=1;");
	CHECK_INT(sip_param_next(&ps, &p), 1);
	CHECK_STR(p.name, "a");
	CHECK_INT(sip_param_next(&ps, &p), SIP_EPARAM);
	ps = SIP_STR(";");
	CHECK_INT(sip_param_next(&ps, &p), SIP_EPARAM);
	ps = SIP_STR("lr ; ");
	CHECK_INT(sip_param_next(&ps, &p), 1);
	CHECK_INT(sip_param_next(&ps, &p), SIP_EPARAM);
	return 0;
}

TEST(hdr_param_malformed)
{
	struct sip_param p;
	struct sip_str ps = SIP_STR("a=");
	CHECK_INT(sip_param_next(&ps, &p), SIP_EPARAM);
	ps = SIP_STR("=x");
	CHECK_INT(sip_param_next(&ps, &p), SIP_EPARAM);
	ps = SIP_STR("a=1 b=2");
	CHECK_INT(sip_param_next(&ps, &p), SIP_EPARAM);
	ps = SIP_STR("a=\"open");
	CHECK_INT(sip_param_next(&ps, &p), SIP_EQUOTE);
	ps = SIP_STR("a=<x>");
	CHECK_INT(sip_param_next(&ps, &p), SIP_EPARAM);
	return 0;
}

TEST(hdr_param_ipv6_values)
{
	struct sip_param p;
	struct sip_str ps = SIP_STR(";received=[2001:db8::9:255];maddr=2001:db8::1;x");
	CHECK_INT(sip_param_next(&ps, &p), 1);
	CHECK_STR(p.name, "received");
	CHECK_STR(p.value, "[2001:db8::9:255]");
	CHECK_INT(sip_param_next(&ps, &p), 1);
	CHECK_STR(p.name, "maddr");
	CHECK_STR(p.value, "2001:db8::1");
	CHECK_INT(sip_param_next(&ps, &p), 1);
	CHECK_STR(p.name, "x");
	CHECK_INT(sip_param_next(&ps, &p), 0);
	return 0;
}

TEST(hdr_param_get)
{
	struct sip_str params = SIP_STR("transport=tcp;LR;Tag=\"a b\";ttl=16");
	struct sip_str v = SIP_STR("unset");
	CHECK(sip_param_get(params, "tag", &v));
	CHECK_STR(v, "a b");
	CHECK(sip_param_get(params, "TRANSPORT", &v));
	CHECK_STR(v, "tcp");
	CHECK(sip_param_get(params, "lr", &v));
	CHECK_STR(v, "");
	CHECK(sip_param_get(params, "ttl", NULL));
	v = SIP_STR("unset");
	CHECK(!sip_param_get(params, "maddr", &v));
	CHECK_STR(v, "unset");
	CHECK(!sip_param_get(params, "t", &v));
	CHECK(!sip_param_get(SIP_STR(""), "lr", &v));
	/* a malformed list stops the search */
	CHECK(!sip_param_get(SIP_STR("a=1;;b=2"), "b", &v));
	return 0;
}

/* ---- Via ---- */

TEST(hdr_via_all_fields)
{
	struct sip_via v;
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP pc33.atlanta.example.com:5066"
	                                    ";branch=z9hG4bK776asdhds;received=192.0.2.1"
	                                    ";rport=5067;maddr=224.2.0.1;ttl=16")),
	          0);
	CHECK_STR(v.protocol, "SIP/2.0");
	CHECK_STR(v.transport, "UDP");
	CHECK_STR(v.host, "pc33.atlanta.example.com");
	CHECK(v.has_port);
	CHECK_INT(v.port, 5066);
	CHECK_STR(v.branch, "z9hG4bK776asdhds");
	CHECK_STR(v.received, "192.0.2.1");
	CHECK(v.rport);
	CHECK_INT(v.rport_value, 5067);
	CHECK_STR(v.maddr, "224.2.0.1");
	CHECK_STR(v.params,
	          "branch=z9hG4bK776asdhds;received=192.0.2.1;rport=5067;maddr=224.2.0.1;ttl=16");
	return 0;
}

TEST(hdr_via_minimal)
{
	struct sip_via v;
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/TLS host")), 0);
	CHECK_STR(v.transport, "TLS");
	CHECK_STR(v.host, "host");
	CHECK(!v.has_port);
	CHECK_INT(v.port, 0);
	CHECK_STR(v.params, "");
	CHECK_STR(v.branch, "");
	CHECK(!v.rport);
	return 0;
}

TEST(hdr_via_lws_around_slashes)
{
	struct sip_via v;
	CHECK_INT(sip_via_parse(&v, SIP_STR("  SIP / 2.0 /\tTCP   h.example.com : 5070 ;"
	                                    " branch = z9hG4bKabc  ")),
	          0);
	CHECK_STR(v.protocol, "SIP / 2.0");
	CHECK_STR(v.transport, "TCP");
	CHECK_STR(v.host, "h.example.com");
	CHECK_INT(v.port, 5070);
	CHECK_STR(v.branch, "z9hG4bKabc");
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP\r\n h.example.com;branch=z9hG4bKf")), 0);
	CHECK_STR(v.host, "h.example.com");
	return 0;
}

TEST(hdr_via_ipv6_sent_by)
{
	struct sip_via v;
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP [2001:db8::9:1]:5070;branch=z9hG4bKx"
	                                    ";received=[2001:db8::9:255]")),
	          0);
	CHECK_STR(v.host, "[2001:db8::9:1]");
	CHECK(v.has_port);
	CHECK_INT(v.port, 5070);
	CHECK_STR(v.received, "[2001:db8::9:255]");
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP [::1];branch=z9hG4bKy")), 0);
	CHECK_STR(v.host, "[::1]");
	CHECK(!v.has_port);
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP [2001:db8::1;branch=z9hG4bKy")),
	          SIP_EHOST);
	return 0;
}

TEST(hdr_via_rport_forms)
{
	struct sip_via v;
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP h;rport;branch=z9hG4bK1")), 0);
	CHECK(v.rport);
	CHECK_INT(v.rport_value, 0);
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP h;branch=z9hG4bK1;RPORT=65535")), 0);
	CHECK(v.rport);
	CHECK_INT(v.rport_value, 65535);
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP h;rport=70000")), SIP_EPORT);
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP h;rport=abc")), SIP_EPORT);
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP h;rport=")), SIP_EPARAM);
	return 0;
}

TEST(hdr_via_bad_port)
{
	struct sip_via v;
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP h:65536")), SIP_EPORT);
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP h:")), SIP_EPORT);
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP h:;branch=z9hG4bK1")), SIP_EPORT);
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP h:0")), 0);
	CHECK(v.has_port);
	CHECK_INT(v.port, 0);
	return 0;
}

TEST(hdr_via_missing_sent_by)
{
	struct sip_via v;
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP")), SIP_ESYNTAX);
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP   ")), SIP_ESYNTAX);
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP ;branch=z9hG4bK1")), SIP_EHOST);
	return 0;
}

TEST(hdr_via_malformed)
{
	struct sip_via v;
	CHECK_INT(sip_via_parse(&v, SIP_STR("")), SIP_ESYNTAX);
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0 UDP h")), SIP_ESYNTAX);
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP//UDP h")), SIP_ESYNTAX);
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDPh")), SIP_ESYNTAX);
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP h junk")), SIP_ESYNTAX);
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP h;;branch=z9hG4bK1")), SIP_EPARAM);
	CHECK_INT(sip_via_parse(&v, SIP_STR("SIP/2.0/UDP h;branch=z9hG4bK1;")), SIP_EPARAM);
	return 0;
}

/* ---- name-addr ---- */

static int addr(struct sip_addr *a, const char *s)
{
	return sip_addr_parse(a, sip_str_from(s));
}

TEST(hdr_addr_quoted_display_with_escaped_quote)
{
	struct sip_addr a;
	CHECK_INT(addr(&a,
	               "\"Alice \\\"Al\\\" Smith\" <sip:alice@atlanta.example.com>;tag=9fxced76sl"),
	          0);
	CHECK_STR(a.display, "Alice \\\"Al\\\" Smith");
	CHECK(a.display_quoted);
	CHECK_STR(a.uri, "sip:alice@atlanta.example.com");
	CHECK(a.angle);
	CHECK_STR(a.params, "tag=9fxced76sl");
	CHECK_STR(a.tag, "9fxced76sl");
	CHECK(!a.star);
	return 0;
}

TEST(hdr_addr_quoted_display_special_characters)
{
	struct sip_addr a;
	CHECK_INT(addr(&a, "\"Smith, John <boss>; ok\" <sip:j@example.com>"), 0);
	CHECK_STR(a.display, "Smith, John <boss>; ok");
	CHECK_STR(a.uri, "sip:j@example.com");
	CHECK_INT(addr(&a, "\"\" <sip:anonymous@anonymous.invalid>"), 0);
	CHECK_STR(a.display, "");
	CHECK(a.display_quoted);
	return 0;
}

TEST(hdr_addr_quoted_display_control_characters)
{
	static const char *const bad[] = {
		"\"Eve\r\nVia: x\" <sip:e@example.com>",
		"\"Eve\n\" <sip:e@example.com>",
		"\"Eve\r\" <sip:e@example.com>",
		"\"Eve\x1b[31m\" <sip:e@example.com>",
		"\"Eve\x7f\" <sip:e@example.com>",
		"\"Eve\x00\" <sip:e@example.com>",
		"\"Eve\\\r\" <sip:e@example.com>", /* quoted-pair takes no CR or LF */
		"\"Eve\\\n\" <sip:e@example.com>",
		"\"Eve\r\n\" <sip:e@example.com>", /* CRLF with no SP after: no fold */
	};
	struct sip_addr a;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sip_str v = {bad[i], strlen(bad[i])};
		if (i == 5) /* its NUL is part of it */
			v.len = strlen(bad[i]) + 1 + strlen(bad[i] + strlen(bad[i]) + 1);
		CHECK_INT(sip_addr_parse(&a, v), SIP_ESYNTAX);
	}
	/* HTAB, UTF-8, a fold and an escaped other control are qdtext and quoted-pair. */
	CHECK_INT(addr(&a, "\"Jos\xc3\xa9\tM.\r\n Smith \\\x01\" <sip:j@example.com>"), 0);
	CHECK_STR(a.display, "Jos\xc3\xa9\tM.\r\n Smith \\\x01");
	return 0;
}

TEST(hdr_addr_token_display)
{
	struct sip_addr a;
	CHECK_INT(addr(&a, "  Bob  Smith \t<sip:bob@biloxi.example.com> "), 0);
	CHECK_STR(a.display, "Bob  Smith");
	CHECK(!a.display_quoted);
	CHECK_STR(a.uri, "sip:bob@biloxi.example.com");
	CHECK(a.angle);
	CHECK_STR(a.params, "");
	CHECK_STR(a.tag, "");
	return 0;
}

TEST(hdr_addr_no_space_before_angle)
{
	struct sip_addr a;
	CHECK_INT(addr(&a, "\"Carol\"<sip:carol@example.com>"), 0);
	CHECK_STR(a.display, "Carol");
	CHECK_STR(a.uri, "sip:carol@example.com");
	CHECK_INT(addr(&a, "Carol<sip:carol@example.com>"), 0);
	CHECK_STR(a.display, "Carol");
	CHECK_STR(a.uri, "sip:carol@example.com");
	CHECK_INT(addr(&a, "<sip:carol@example.com>"), 0);
	CHECK_STR(a.display, "");
	CHECK(!a.display_quoted);
	return 0;
}

TEST(hdr_addr_spec_params_are_header_params)
{
	struct sip_addr a;
	CHECK_INT(addr(&a, "sip:alice@atlanta.example.com;tag=88sja8x;lr"), 0);
	CHECK(!a.angle);
	CHECK_STR(a.uri, "sip:alice@atlanta.example.com");
	CHECK_STR(a.params, "tag=88sja8x;lr");
	CHECK_STR(a.tag, "88sja8x");
	CHECK_INT(addr(&a, "sip:alice@atlanta.example.com ;tag=1"), 0);
	CHECK_STR(a.uri, "sip:alice@atlanta.example.com");
	CHECK_STR(a.tag, "1");
	CHECK_INT(addr(&a, "tel:+1-201-555-0123"), 0);
	CHECK_STR(a.uri, "tel:+1-201-555-0123");
	return 0;
}

/* A quoted parameter value of an addr-spec may hold '<' (RFC 5626's
 * +sip.instance): it starts no name-addr. */
TEST(hdr_addr_spec_quoted_param_with_angle)
{
	struct sip_addr a;
	CHECK_INT(addr(&a, "sip:alice@192.0.2.4;expires=60;+sip.instance="
	                   "\"<urn:uuid:00000000-0000-1000-8000-000a95a0e128>\""),
	          0);
	CHECK(!a.angle);
	CHECK_STR(a.uri, "sip:alice@192.0.2.4");
	CHECK_STR(a.params,
	          "expires=60;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000a95a0e128>\"");
	return 0;
}

TEST(hdr_addr_tag_extraction)
{
	struct sip_addr a;
	CHECK_INT(addr(&a, "<sip:a@example.com;tag=inner;transport=tcp>;expires=60;TAG = outer ;"
	                   "+sip.instance=\"<urn:uuid:1>\""),
	          0);
	CHECK_STR(a.uri, "sip:a@example.com;tag=inner;transport=tcp");
	CHECK_STR(a.tag, "outer");
	CHECK_STR(a.params, "expires=60;TAG = outer ;+sip.instance=\"<urn:uuid:1>\"");
	CHECK_INT(addr(&a, "<sip:a@example.com>;tag=\"quoted\""), 0);
	CHECK_STR(a.tag, "quoted");
	return 0;
}

TEST(hdr_addr_star)
{
	struct sip_addr a;
	CHECK_INT(addr(&a, "*"), 0);
	CHECK(a.star);
	CHECK_INT(addr(&a, "  * "), 0);
	CHECK(a.star);
	return 0;
}

TEST(hdr_addr_unterminated_quote)
{
	struct sip_addr a;
	CHECK_INT(addr(&a, "\"Alice <sip:alice@example.com>"), SIP_EQUOTE);
	CHECK_INT(addr(&a, "Al\"ice <sip:alice@example.com>"), SIP_EQUOTE);
	return 0;
}

TEST(hdr_addr_unquoted_comma_display)
{
	struct sip_addr a;
	CHECK_INT(addr(&a, "Smith, John <sip:j@example.com>"), SIP_EDISPLAY);
	CHECK_INT(addr(&a, "Dr. J@ne <sip:j@example.com>"), SIP_EDISPLAY);
	return 0;
}

TEST(hdr_addr_spaces_inside_angle)
{
	struct sip_addr a;
	CHECK_INT(addr(&a, "< sip:a@example.com>"), SIP_EANGLE);
	CHECK_INT(addr(&a, "<sip:a@example.com >"), SIP_EANGLE);
	CHECK_INT(addr(&a, "\"A\" <\tsip:a@example.com>"), SIP_EANGLE);
	CHECK_INT(addr(&a, "<>"), SIP_EANGLE);
	return 0;
}

TEST(hdr_addr_missing_close_angle)
{
	struct sip_addr a;
	CHECK_INT(addr(&a, "<sip:a@example.com"), SIP_EANGLE);
	CHECK_INT(addr(&a, "Bob <sip:a@example.com;tag=1"), SIP_EANGLE);
	CHECK_INT(addr(&a, "\"Bob\" sip:a@example.com"), SIP_EANGLE);
	CHECK_INT(addr(&a, "\"Bob\""), SIP_EANGLE);
	return 0;
}

TEST(hdr_addr_bare_uri_specials)
{
	struct sip_addr a;
	CHECK_INT(addr(&a, "sip:a@example.com?subject=hi"), SIP_EBARE);
	CHECK_INT(addr(&a, "sip:a@example.com,sip:b@example.com"), SIP_EBARE);
	CHECK_INT(addr(&a, "<sip:a@example.com?subject=hi>"), 0);
	CHECK_STR(a.uri, "sip:a@example.com?subject=hi");
	return 0;
}

TEST(hdr_addr_malformed)
{
	struct sip_addr a;
	CHECK_INT(addr(&a, ""), SIP_EEMPTY);
	CHECK_INT(addr(&a, "  \t"), SIP_EEMPTY);
	CHECK_INT(addr(&a, "<sip:a@example.com> junk"), SIP_ESYNTAX);
	CHECK_INT(addr(&a, "<sip:a@example.com>;;tag=1"), SIP_EPARAM);
	CHECK_INT(addr(&a, "<sip:a@example.com>;tag=1;"), SIP_EPARAM);
	return 0;
}

/* ---- CSeq, RAck, numbers ---- */

TEST(hdr_cseq)
{
	struct sip_cseq c;
	CHECK_INT(sip_cseq_parse(&c, SIP_STR("314159 INVITE")), 0);
	CHECK_INT(c.num, 314159);
	CHECK_STR(c.method_name, "INVITE");
	CHECK_INT(c.method, SIP_INVITE);
	CHECK_INT(sip_cseq_parse(&c, SIP_STR("  0\t ACK  ")), 0);
	CHECK_INT(c.num, 0);
	CHECK_INT(c.method, SIP_ACK);
	CHECK_INT(sip_cseq_parse(&c, SIP_STR("7\r\n BYE")), 0);
	CHECK_INT(c.method, SIP_BYE);
	CHECK_INT(sip_cseq_parse(&c, SIP_STR("1 invite")), 0);
	CHECK_INT(c.method, SIP_METHOD_OTHER);
	CHECK_STR(c.method_name, "invite");
	return 0;
}

TEST(hdr_cseq_range)
{
	struct sip_cseq c;
	CHECK_INT(sip_cseq_parse(&c, SIP_STR("4294967295 BYE")), 0);
	CHECK(c.num == UINT32_MAX);
	CHECK_INT(sip_cseq_parse(&c, SIP_STR("4294967296 BYE")), SIP_ERANGE);
	CHECK_INT(sip_cseq_parse(&c, SIP_STR("99999999999999999999999 BYE")), SIP_ERANGE);
	CHECK_INT(sip_cseq_parse(&c, SIP_STR("00000000004294967295 BYE")), 0);
	return 0;
}

TEST(hdr_cseq_malformed)
{
	struct sip_cseq c;
	CHECK_INT(sip_cseq_parse(&c, SIP_STR("1")), SIP_ESYNTAX);
	CHECK_INT(sip_cseq_parse(&c, SIP_STR("1 ")), SIP_ESYNTAX);
	CHECK_INT(sip_cseq_parse(&c, SIP_STR("INVITE")), SIP_ESYNTAX);
	CHECK_INT(sip_cseq_parse(&c, SIP_STR("1INVITE")), SIP_ESYNTAX);
	CHECK_INT(sip_cseq_parse(&c, SIP_STR("-1 INVITE")), SIP_ESYNTAX);
	CHECK_INT(sip_cseq_parse(&c, SIP_STR("1 INVITE x")), SIP_ESYNTAX);
	CHECK_INT(sip_cseq_parse(&c, SIP_STR("1 INV@TE")), SIP_ESYNTAX);
	CHECK_INT(sip_cseq_parse(&c, SIP_STR("")), SIP_ESYNTAX);
	return 0;
}

TEST(hdr_rack)
{
	struct sip_rack r;
	CHECK_INT(sip_rack_parse(&r, SIP_STR("776656 1 INVITE")), 0);
	CHECK_INT(r.rseq, 776656);
	CHECK_INT(r.cseq, 1);
	CHECK_STR(r.method_name, "INVITE");
	CHECK_INT(r.method, SIP_INVITE);
	CHECK_INT(sip_rack_parse(&r, SIP_STR("  4294967295 \t 4294967295  UPDATE ")), 0);
	CHECK(r.rseq == UINT32_MAX && r.cseq == UINT32_MAX);
	CHECK_INT(r.method, SIP_UPDATE);
	return 0;
}

TEST(hdr_rack_malformed)
{
	struct sip_rack r;
	CHECK_INT(sip_rack_parse(&r, SIP_STR("1 2")), SIP_ESYNTAX);
	CHECK_INT(sip_rack_parse(&r, SIP_STR("1")), SIP_ESYNTAX);
	CHECK_INT(sip_rack_parse(&r, SIP_STR("1 INVITE")), SIP_ESYNTAX);
	CHECK_INT(sip_rack_parse(&r, SIP_STR("1 2 INVITE extra")), SIP_ESYNTAX);
	CHECK_INT(sip_rack_parse(&r, SIP_STR("4294967296 1 INVITE")), SIP_ERANGE);
	CHECK_INT(sip_rack_parse(&r, SIP_STR("1 4294967296 INVITE")), SIP_ERANGE);
	CHECK_INT(sip_rack_parse(&r, SIP_STR("")), SIP_ESYNTAX);
	return 0;
}

TEST(hdr_uint)
{
	uint64_t v = 0;
	CHECK_INT(sip_hdr_uint(SIP_STR(" 3600 "), UINT32_MAX, &v), 0);
	CHECK(v == 3600);
	CHECK_INT(sip_hdr_uint(SIP_STR("\r\n 70"), 255, &v), 0);
	CHECK(v == 70);
	CHECK_INT(sip_hdr_uint(SIP_STR("255"), 255, &v), 0);
	CHECK_INT(sip_hdr_uint(SIP_STR("256"), 255, &v), SIP_ERANGE);
	CHECK_INT(sip_hdr_uint(SIP_STR(""), 255, &v), SIP_ESYNTAX);
	CHECK_INT(sip_hdr_uint(SIP_STR("   "), 255, &v), SIP_ESYNTAX);
	CHECK_INT(sip_hdr_uint(SIP_STR("1 2"), 255, &v), SIP_ESYNTAX);
	CHECK_INT(sip_hdr_uint(SIP_STR("-5"), 255, &v), SIP_ESYNTAX);
	CHECK_INT(sip_hdr_uint(SIP_STR("60;comment"), UINT32_MAX, &v), SIP_ESYNTAX);
	CHECK(v == 255);
	return 0;
}

/* ---- Content-Type, token and parameters ---- */

TEST(hdr_ctype)
{
	struct sip_ctype ct;
	CHECK_INT(sip_ctype_parse(&ct, SIP_STR("application/sdp")), 0);
	CHECK_STR(ct.type, "application");
	CHECK_STR(ct.subtype, "sdp");
	CHECK_STR(ct.params, "");
	CHECK_INT(sip_ctype_parse(&ct, SIP_STR(" text / plain ; charset=UTF-8 ")), 0);
	CHECK_STR(ct.type, "text");
	CHECK_STR(ct.subtype, "plain");
	CHECK_STR(ct.params, " charset=UTF-8");
	CHECK_INT(sip_ctype_parse(&ct, SIP_STR("multipart/mixed;boundary=\"b;c\"")), 0);
	CHECK_STR(ct.subtype, "mixed");
	CHECK_STR(ct.params, "boundary=\"b;c\"");
	struct sip_str b;
	CHECK(sip_param_get(ct.params, "boundary", &b));
	CHECK_STR(b, "b;c");
	CHECK_INT(sip_ctype_parse(&ct, SIP_STR("application/pidf+xml")), 0);
	CHECK_STR(ct.subtype, "pidf+xml");
	return 0;
}

TEST(hdr_ctype_malformed)
{
	struct sip_ctype ct;
	CHECK_INT(sip_ctype_parse(&ct, SIP_STR("")), SIP_ESYNTAX);
	CHECK_INT(sip_ctype_parse(&ct, SIP_STR("application")), SIP_ESYNTAX);
	CHECK_INT(sip_ctype_parse(&ct, SIP_STR("application/")), SIP_ESYNTAX);
	CHECK_INT(sip_ctype_parse(&ct, SIP_STR("/sdp")), SIP_ESYNTAX);
	CHECK_INT(sip_ctype_parse(&ct, SIP_STR("application/sdp x")), SIP_ESYNTAX);
	CHECK_INT(sip_ctype_parse(&ct, SIP_STR("application/sdp;")), SIP_EPARAM);
	CHECK_INT(sip_ctype_parse(&ct, SIP_STR("application/sdp;;a=1")), SIP_EPARAM);
	CHECK_INT(sip_ctype_parse(&ct, SIP_STR("text/plain;charset=\"x")), SIP_EQUOTE);
	return 0;
}

TEST(hdr_token_params)
{
	struct sip_token_params tp;
	CHECK_INT(sip_token_params_parse(&tp, SIP_STR("presence;id=1")), 0);
	CHECK_STR(tp.token, "presence");
	CHECK_STR(tp.params, "id=1");
	CHECK_INT(sip_token_params_parse(&tp, SIP_STR(" active ; expires=3600 ")), 0);
	CHECK_STR(tp.token, "active");
	struct sip_str v;
	CHECK(sip_param_get(tp.params, "expires", &v));
	CHECK_STR(v, "3600");
	CHECK_INT(sip_token_params_parse(&tp, SIP_STR("dialog")), 0);
	CHECK_STR(tp.token, "dialog");
	CHECK_STR(tp.params, "");
	CHECK_INT(sip_token_params_parse(&tp, SIP_STR("terminated;reason=timeout;retry-after=30")),
	          0);
	CHECK_STR(tp.token, "terminated");
	return 0;
}

TEST(hdr_token_params_malformed)
{
	struct sip_token_params tp;
	CHECK_INT(sip_token_params_parse(&tp, SIP_STR("")), SIP_ESYNTAX);
	CHECK_INT(sip_token_params_parse(&tp, SIP_STR("a b")), SIP_ESYNTAX);
	CHECK_INT(sip_token_params_parse(&tp, SIP_STR(";id=1")), SIP_ESYNTAX);
	CHECK_INT(sip_token_params_parse(&tp, SIP_STR("x;;")), SIP_EPARAM);
	CHECK_INT(sip_token_params_parse(&tp, SIP_STR("x;")), SIP_EPARAM);
	return 0;
}

TEST(hdr_views_allocate_nothing)
{
	long before = test_heap_allocs();
	struct sip_via v;
	struct sip_addr a;
	struct sip_cseq c;
	struct sip_rack r;
	struct sip_ctype ct;
	struct sip_token_params tp;
	struct sip_str l = SIP_STR("a, \"b,c\", <d,e>"), e;
	uint64_t n;
	sip_via_parse(&v, SIP_STR("SIP/2.0/UDP h:1;branch=z9hG4bK1;rport"));
	sip_addr_parse(&a, SIP_STR("\"A\" <sip:a@example.com>;tag=1"));
	sip_cseq_parse(&c, SIP_STR("1 INVITE"));
	sip_rack_parse(&r, SIP_STR("1 1 INVITE"));
	sip_ctype_parse(&ct, SIP_STR("application/sdp"));
	sip_token_params_parse(&tp, SIP_STR("presence;id=1"));
	sip_hdr_uint(SIP_STR("70"), 255, &n);
	while (sip_list_next(&l, &e) == 1)
		;
	CHECK_INT(test_heap_allocs(), before);
	return 0;
}
