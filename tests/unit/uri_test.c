/* uri_test.c - sip_uri_parse, _print, _equal and _unescape. */
#include "test.h"

static int parse(struct sip_uri *u, const char *s)
{
	return sip_uri_parse(u, sip_str_from(s));
}

static int parse_err(const char *s)
{
	struct sip_uri u;
	return sip_uri_parse(&u, sip_str_from(s));
}

/* Parses both and compares them in both directions. */
static int equal(const char *a, const char *b)
{
	struct sip_uri x, y;
	if (parse(&x, a) != 0 || parse(&y, b) != 0)
		return -1;
	bool ab = sip_uri_equal(&x, &y), ba = sip_uri_equal(&y, &x);
	if (ab != ba)
		return -2;
	return ab;
}

TEST(uri_sip_all_fields)
{
	struct sip_uri u;
	CHECK_INT(parse(&u, "sip:alice:secret@atlanta.example.com:5061;transport=tcp;lr"
	                    "?subject=project%20x&priority=urgent"),
	          0);
	CHECK_INT(u.scheme, SIP_URI_SIP);
	CHECK_STR(u.scheme_name, "sip");
	CHECK_STR(u.user, "alice");
	CHECK_STR(u.password, "secret");
	CHECK_STR(u.host, "atlanta.example.com");
	CHECK(u.has_port);
	CHECK_INT(u.port, 5061);
	CHECK(!u.host_is_ip4);
	CHECK(!u.host_is_ip6);
	CHECK_STR(u.params, "transport=tcp;lr");
	CHECK_STR(u.headers, "subject=project%20x&priority=urgent");
	CHECK_INT(u.opaque.len, 0);
	return 0;
}

TEST(uri_sip_minimal)
{
	struct sip_uri u;
	CHECK_INT(parse(&u, "sip:example.org"), 0);
	CHECK_INT(u.scheme, SIP_URI_SIP);
	CHECK_INT(u.user.len, 0);
	CHECK(u.password.p == NULL);
	CHECK_STR(u.host, "example.org");
	CHECK(!u.has_port);
	CHECK_INT(u.port, 0);
	CHECK_INT(u.params.len, 0);
	CHECK_INT(u.headers.len, 0);

	CHECK_INT(parse(&u, "sip:localhost"), 0);
	CHECK_STR(u.host, "localhost");
	CHECK_INT(parse(&u, "sip:proxy.example.org.;lr"), 0);
	CHECK_STR(u.host, "proxy.example.org.");
	CHECK_STR(u.params, "lr");
	CHECK_INT(parse(&u, "sip:gw-1.x9.example"), 0);
	CHECK_INT(parse(&u, "sip:carol@chicago.com?Subject=next%20meeting"), 0);
	CHECK_INT(u.params.len, 0);
	CHECK_STR(u.headers, "Subject=next%20meeting");
	return 0;
}

TEST(uri_sips_and_scheme_case)
{
	struct sip_uri u;
	CHECK_INT(parse(&u, "sips:bob@biloxi.example.com"), 0);
	CHECK_INT(u.scheme, SIP_URI_SIPS);
	CHECK_STR(u.user, "bob");
	CHECK_INT(parse(&u, "SIP:Bob@Biloxi.Example.COM"), 0);
	CHECK_INT(u.scheme, SIP_URI_SIP);
	CHECK_STR(u.scheme_name, "SIP");
	CHECK_STR(u.user, "Bob");
	CHECK_STR(u.host, "Biloxi.Example.COM");
	CHECK_INT(parse(&u, "SiPs:x.example"), 0);
	CHECK_INT(u.scheme, SIP_URI_SIPS);
	CHECK_INT(parse(&u, "TEL:+15551234"), 0);
	CHECK_INT(u.scheme, SIP_URI_TEL);
	return 0;
}

TEST(uri_empty_password)
{
	struct sip_uri u;
	CHECK_INT(parse(&u, "sip:alice:@h.example"), 0);
	CHECK_STR(u.user, "alice");
	CHECK(u.password.p != NULL);
	CHECK_INT(u.password.len, 0);
	return 0;
}

TEST(uri_ipv4)
{
	struct sip_uri u;
	CHECK_INT(parse(&u, "sip:bob@192.0.2.4:5060"), 0);
	CHECK(u.host_is_ip4);
	CHECK(!u.host_is_ip6);
	CHECK_STR(u.host, "192.0.2.4");
	CHECK_INT(u.port, 5060);
	CHECK_INT(parse(&u, "sip:255.255.255.255"), 0);
	CHECK(u.host_is_ip4);
	CHECK_INT(parse(&u, "sip:0.0.0.0;maddr=239.255.255.1"), 0);
	CHECK_INT(parse_err("sip:256.1.1.1"), SIP_EHOST);
	CHECK_INT(parse_err("sip:1.2.3"), SIP_EHOST);
	CHECK_INT(parse_err("sip:1.2.3.4.5"), SIP_EHOST);
	CHECK_INT(parse_err("sip:1.2.3.4."), SIP_EHOST);
	CHECK_INT(parse_err("sip:1..3.4"), SIP_EHOST);
	CHECK_INT(parse_err("sip:1.2.3.1000"), SIP_EHOST);
	CHECK_INT(parse_err("sip:12345"), SIP_EHOST);
	return 0;
}

/* RFC 5118 §4: references, port ambiguity, and bad or bare addresses. */
TEST(uri_ipv6)
{
	struct sip_uri u;
	CHECK_INT(parse(&u, "sip:[2001:db8::10]"), 0);
	CHECK(u.host_is_ip6);
	CHECK(!u.host_is_ip4);
	CHECK_STR(u.host, "[2001:db8::10]");
	CHECK(!u.has_port);

	CHECK_INT(parse(&u, "sip:[2001:db8::10:5070]"), 0);
	CHECK_STR(u.host, "[2001:db8::10:5070]");
	CHECK(!u.has_port);

	CHECK_INT(parse(&u, "sip:[2001:db8::10]:5070"), 0);
	CHECK_STR(u.host, "[2001:db8::10]");
	CHECK(u.has_port);
	CHECK_INT(u.port, 5070);

	CHECK_INT(parse(&u, "sip:user@[2001:db8::192.0.2.1]"), 0);
	CHECK_STR(u.user, "user");
	CHECK_STR(u.host, "[2001:db8::192.0.2.1]");
	CHECK(u.host_is_ip6);

	CHECK_INT(parse(&u, "sips:[::ffff:192.0.2.10];transport=tls"), 0);
	CHECK_STR(u.params, "transport=tls");
	CHECK_INT(parse(&u, "sip:[::1]"), 0);
	CHECK_INT(parse(&u, "sip:a@[FE80:0:0:0:0:0:0:1]?x=y"), 0);
	CHECK_STR(u.headers, "x=y");

	CHECK_INT(parse_err("sip:user@[2001:db8:::192.0.2.1]"), SIP_EHOST);
	CHECK_INT(parse_err("sip:[2001:db8::10"), SIP_EHOST);
	CHECK_INT(parse_err("sip:[]"), SIP_EHOST);
	CHECK_INT(parse_err("sip:[1:2:3:4:5:6:7:8:9]"), SIP_EHOST);
	CHECK_INT(parse_err("sip:[fe80::1%25eth0]"), SIP_EHOST);
	CHECK_INT(parse_err("sip:[2001:db8::10]x"), SIP_EHOST);
	CHECK_INT(parse_err("sip:[2001:db8::g]"), SIP_EHOST);
	CHECK_INT(parse_err("sip:[0000:0000:0000:0000:0000:0000:0000:0000:0000]"), SIP_EHOST);
	CHECK_INT(parse_err("sip:[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]"), SIP_EHOST);

	int err = parse_err("sip:2001:db8::10");
	CHECK(err == SIP_EHOST || err == SIP_EPORT);
	err = parse_err("sip:user@2001:db8::10");
	CHECK(err == SIP_EHOST || err == SIP_EPORT);
	return 0;
}

TEST(uri_port_range)
{
	struct sip_uri u;
	CHECK_INT(parse(&u, "sip:h.example:0"), 0);
	CHECK(u.has_port);
	CHECK_INT(u.port, 0);
	CHECK_INT(parse(&u, "sip:h.example:65535;lr"), 0);
	CHECK_INT(u.port, 65535);
	CHECK_INT(parse(&u, "sip:h.example:000005060?a=b"), 0);
	CHECK_INT(u.port, 5060);
	CHECK_INT(parse_err("sip:h.example:65536"), SIP_EPORT);
	CHECK_INT(parse_err("sip:h.example:99999999999999999999999"), SIP_EPORT);
	CHECK_INT(parse_err("sip:h.example:"), SIP_EPORT);
	CHECK_INT(parse_err("sip:h.example:;lr"), SIP_EPORT);
	CHECK_INT(parse_err("sip:h.example:50x0"), SIP_EPORT);
	CHECK_INT(parse_err("sip:h.example:-1"), SIP_EPORT);
	CHECK_INT(parse_err("sip:h.example:5060:5060"), SIP_EPORT);
	return 0;
}

TEST(uri_tel)
{
	struct sip_uri u;
	CHECK_INT(parse(&u, "tel:+1-201-555-0123"), 0);
	CHECK_INT(u.scheme, SIP_URI_TEL);
	CHECK_STR(u.scheme_name, "tel");
	CHECK_STR(u.user, "+1-201-555-0123");
	CHECK_INT(u.params.len, 0);
	CHECK_INT(u.host.len, 0);

	CHECK_INT(parse(&u, "tel:7042;phone-context=example.com"), 0);
	CHECK_STR(u.user, "7042");
	CHECK_STR(u.params, "phone-context=example.com");
	CHECK_INT(parse(&u, "tel:+1(555)123.4567;ext=22;isub=1411"), 0);
	CHECK_STR(u.user, "+1(555)123.4567");
	CHECK_STR(u.params, "ext=22;isub=1411");
	CHECK_INT(parse(&u, "tel:*67#;phone-context=+1555"), 0);
	CHECK_STR(u.user, "*67#");

	CHECK_INT(parse_err("tel:"), SIP_ESYNTAX);
	CHECK_INT(parse_err("tel:+"), SIP_ESYNTAX);
	CHECK_INT(parse_err("tel:+-.-"), SIP_ESYNTAX);
	CHECK_INT(parse_err("tel:+1abc"), SIP_ESYNTAX);
	CHECK_INT(parse_err("tel:+1555;"), SIP_ESYNTAX);
	CHECK_INT(parse_err("tel:+1555?x=y"), SIP_ESYNTAX);
	CHECK_INT(parse_err("tel:+1 555"), SIP_ESYNTAX);
	CHECK_INT(parse_err("tel:+1555;ext=%4"), SIP_EESCAPE);
	CHECK_INT(parse_err("tel:+1555;a_b=1"), SIP_ESYNTAX);
	CHECK_INT(parse_err("tel:+1555;!x"), SIP_ESYNTAX);
	CHECK_INT(parse(&u, "tel:+1555;x-Y9=a/b:[c]"), 0);
	return 0;
}

/* RFC 3986 schemes the library does not know keep the rest opaque. */
TEST(uri_other_schemes)
{
	struct sip_uri u;
	CHECK_INT(parse(&u, "soap.beep://192.0.2.103:3002"), 0);
	CHECK_INT(u.scheme, SIP_URI_OTHER);
	CHECK_STR(u.scheme_name, "soap.beep");
	CHECK_STR(u.opaque, "//192.0.2.103:3002");
	CHECK_INT(u.host.len, 0);

	CHECK_INT(parse(&u, "nobodyKnowsThisScheme:totallyopaquecontent"), 0);
	CHECK_STR(u.scheme_name, "nobodyKnowsThisScheme");
	CHECK_STR(u.opaque, "totallyopaquecontent");
	CHECK_INT(parse(&u, "isbn:9780470017050"), 0);
	CHECK_STR(u.scheme_name, "isbn");
	CHECK_INT(parse(&u, "HTTP://www.example.com/a?b=c#d"), 0);
	CHECK_INT(u.scheme, SIP_URI_OTHER);
	CHECK_STR(u.opaque, "//www.example.com/a?b=c#d");
	CHECK_INT(parse(&u, "x-a+b.c-9:%41"), 0);
	CHECK_STR(u.scheme_name, "x-a+b.c-9");
	CHECK_INT(parse(&u, "sipx:alice@example.com"), 0);
	CHECK_INT(u.scheme, SIP_URI_OTHER);
	CHECK_INT(parse(&u, "mailto:a@example.com"), 0);

	CHECK_INT(parse_err("isbn:"), SIP_ESYNTAX);
	CHECK_INT(parse_err("urn:a b"), SIP_ESYNTAX);
	CHECK_INT(parse_err("urn:a<b>"), SIP_ESYNTAX);
	CHECK_INT(parse_err("urn:a%zz"), SIP_EESCAPE);
	CHECK_INT(parse_err("9p:x"), SIP_ESYNTAX);
	CHECK_INT(parse_err("a_b:x"), SIP_ESYNTAX);
	return 0;
}

TEST(uri_no_scheme)
{
	CHECK_INT(parse_err(""), SIP_ESYNTAX);
	CHECK_INT(parse_err("alice@example.com"), SIP_ESYNTAX);
	CHECK_INT(parse_err("example.com"), SIP_ESYNTAX);
	CHECK_INT(parse_err(":alice@example.com"), SIP_ESYNTAX);
	CHECK_INT(parse_err("<sip:alice@example.com>"), SIP_ESYNTAX);
	struct sip_uri u;
	CHECK_INT(sip_uri_parse(&u, (struct sip_str){NULL, 0}), SIP_ESYNTAX);
	CHECK_INT(sip_uri_parse(&u, (struct sip_str){NULL, 3}), SIP_EINVAL);
	CHECK_INT(sip_uri_parse(NULL, SIP_STR("sip:a.example")), SIP_EINVAL);
	return 0;
}

TEST(uri_whitespace)
{
	CHECK_INT(parse_err(" sip:alice@example.com"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip :alice@example.com"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip: alice@example.com"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:alice @example.com"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:alice@ example.com"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:alice@exa mple.com"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:alice@example.com "), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:alice@example.com\r\n"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:alice@example.com: 5060"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:alice@example.com:5060 "), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:alice@example.com; lr"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:alice@example.com;lr ;x"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:alice@example.com?a=b c"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:al\tice@example.com"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:alice:pa ss@example.com"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:[::1] "), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:[::1 ]"), SIP_ESYNTAX);
	struct sip_uri u;
	CHECK_INT(sip_uri_parse(&u, (struct sip_str){"sip:a\0b@c.example", 17}), SIP_ESYNTAX);
	return 0;
}

TEST(uri_escapes)
{
	struct sip_uri u;
	CHECK_INT(parse(&u, "sip:sips%3Auser%40example.com@example.net"), 0);
	CHECK_STR(u.user, "sips%3Auser%40example.com");
	CHECK_STR(u.host, "example.net");
	CHECK_INT(parse(&u, "sip:I%20have%20spaces@example.net"), 0);
	CHECK_INT(parse(&u, "sip:null-%00-null@example.com"), 0);
	CHECK_INT(parse(&u, "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31"), 0);
	CHECK_STR(u.params, "%6C%72;n%61me=v%61lue%25%34%31");
	CHECK_INT(parse(&u, "sip:a:p%2a@h.example?s=%41"), 0);
	CHECK_STR(u.password, "p%2a");

	CHECK_INT(parse_err("sip:a%4@h.example"), SIP_EESCAPE);
	CHECK_INT(parse_err("sip:a%GG@h.example"), SIP_EESCAPE);
	CHECK_INT(parse_err("sip:a%@h.example"), SIP_EESCAPE);
	CHECK_INT(parse_err("sip:a:b%4@h.example"), SIP_EESCAPE);
	CHECK_INT(parse_err("sip:a:b%GG@h.example"), SIP_EESCAPE);
	CHECK_INT(parse_err("sip:h.example;x=%4"), SIP_EESCAPE);
	CHECK_INT(parse_err("sip:h.example;%GG=1"), SIP_EESCAPE);
	CHECK_INT(parse_err("sip:h.example?x=%4"), SIP_EESCAPE);
	CHECK_INT(parse_err("sip:h.example?x=%GG"), SIP_EESCAPE);
	CHECK_INT(parse_err("sip:h.example?%4=1"), SIP_EESCAPE);
	return 0;
}

/* RFC 4475 semiuri and intmeth: ';', '?' and '/' belong to the user part
 * up to the last '@'. */
TEST(uri_semicolon_in_user)
{
	struct sip_uri u;
	CHECK_INT(parse(&u, "sip:user;par=u%40example.net@example.com"), 0);
	CHECK_STR(u.user, "user;par=u%40example.net");
	CHECK_STR(u.host, "example.com");
	CHECK_INT(u.params.len, 0);

	CHECK_INT(parse(&u, "sip:a;b?c/d@example.com;e=f?g=h"), 0);
	CHECK_STR(u.user, "a;b?c/d");
	CHECK_STR(u.params, "e=f");
	CHECK_STR(u.headers, "g=h");

	CHECK_INT(parse(&u, "sip:1_odd.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,"
	                    "weird!*pas$wo~d_too.(doesn't-it)@example.com"),
	          0);
	CHECK_STR(u.user, "1_odd.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	CHECK_STR(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
	CHECK_STR(u.host, "example.com");

	CHECK_INT(parse(&u, "sip:+1-212-555-1212:1234@gw.example;user=phone"), 0);
	CHECK_STR(u.user, "+1-212-555-1212");
	CHECK_STR(u.password, "1234");
	CHECK_STR(u.params, "user=phone");
	return 0;
}

TEST(uri_params_headers)
{
	struct sip_uri u;
	CHECK_INT(parse(&u, "sip:h.example;maddr=[2001:db8::1];x=a/b:c&d+e$f;lr"), 0);
	CHECK_STR(u.params, "maddr=[2001:db8::1];x=a/b:c&d+e$f;lr");
	CHECK_INT(parse(&u, "sip:biloxi.com;method=REGISTER?to=sip:bob%40biloxi.com"), 0);
	CHECK_STR(u.params, "method=REGISTER");
	CHECK_STR(u.headers, "to=sip:bob%40biloxi.com");
	CHECK_INT(parse(&u, "sip:h.example?a=&b=?/[]:+$"), 0);
	CHECK_STR(u.headers, "a=&b=?/[]:+$");
	CHECK_INT(parse(&u, "sip:h.example;lr?"), SIP_ESYNTAX);

	CHECK_INT(parse_err("sip:h.example;"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:h.example;;lr"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:h.example;x="), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:h.example;x=a=b"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:h.example;=a"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:h.example;x=<a>"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:h.example?"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:h.example?a"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:h.example?=b"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:h.example?a=b&"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:h.example?a=b=c"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:h.example?a=b;c"), SIP_ESYNTAX);
	return 0;
}

TEST(uri_rejects)
{
	CHECK_INT(parse_err("sip:"), SIP_EHOST);
	CHECK_INT(parse_err("sip:alice@"), SIP_EHOST);
	CHECK_INT(parse_err("sip:@h.example"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip::pw@h.example"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:a:b:c@h.example"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:a@b@h.example"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:a#b@h.example"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:a\"b@h.example"), SIP_ESYNTAX);
	CHECK_INT(parse_err("sip:h_1.example"), SIP_EHOST);
	CHECK_INT(parse_err("sip:-h.example"), SIP_EHOST);
	CHECK_INT(parse_err("sip:h-.example"), SIP_EHOST);
	CHECK_INT(parse_err("sip:h.-example"), SIP_EHOST);
	CHECK_INT(parse_err("sip:h..example"), SIP_EHOST);
	CHECK_INT(parse_err("sip:.example"), SIP_EHOST);
	CHECK_INT(parse_err("sip:example.123"), SIP_EHOST);
	CHECK_INT(parse_err("sip:example.9com"), SIP_EHOST);
	CHECK_INT(parse_err("sip://h.example"), SIP_EHOST);
	CHECK_INT(parse_err("sip:h.example/path"), SIP_EHOST);
	CHECK_INT(parse_err("sip:h\xc3\xa9.example"), SIP_EHOST);
	return 0;
}

struct pair {
	const char *in, *want;
};

TEST(uri_print_roundtrip)
{
	static const struct pair t[] = {
		{"sip:alice:secret@atlanta.example.com:5061;transport=tcp?a=b&c=d",
	         "sip:alice:secret@atlanta.example.com:5061;transport=tcp?a=b&c=d"},
		{"SIPS:Alice@Atlanta.COM", "sips:Alice@Atlanta.COM"},
		{"sip:h.example:000080", "sip:h.example:80"},
		{"sip:h.example:0", "sip:h.example:0"},
		{"sip:alice:@h.example", "sip:alice:@h.example"},
		{"sip:[2001:db8::10]:5070;lr", "sip:[2001:db8::10]:5070;lr"},
		{"sip:user;par=u%40example.net@example.com",
	         "sip:user;par=u%40example.net@example.com"},
		{"Tel:+1-201-555-0123;ext=7", "tel:+1-201-555-0123;ext=7"},
		{"Soap.BEEP://192.0.2.103:3002", "soap.beep://192.0.2.103:3002"},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct sip_uri u, v;
		char buf[256];
		CHECK_INT(parse(&u, t[i].in), 0);
		int n = sip_uri_print(&u, buf, sizeof buf);
		CHECK_INT(n, strlen(t[i].want));
		CHECK_STR(((struct sip_str){buf, (size_t)n}), t[i].want);
		CHECK_INT(parse(&v, buf), 0);
		CHECK(sip_uri_equal(&u, &v));
	}
	return 0;
}

TEST(uri_print_nospace)
{
	struct sip_uri u;
	char buf[32];
	CHECK_INT(parse(&u, "sip:bob@biloxi.example.com"), 0);
	/* 26 characters need 27 bytes with the NUL. */
	CHECK_INT(sip_uri_print(&u, buf, 27), 26);
	CHECK(strcmp(buf, "sip:bob@biloxi.example.com") == 0);
	memset(buf, 'x', sizeof buf);
	CHECK_INT(sip_uri_print(&u, buf, 26), SIP_ENOSPC);
	CHECK(strcmp(buf, "sip:bob@biloxi.example.co") == 0);
	CHECK_INT(sip_uri_print(&u, buf, 1), SIP_ENOSPC);
	CHECK_INT(buf[0], '\0');
	CHECK_INT(sip_uri_print(&u, NULL, 0), SIP_ENOSPC);
	CHECK_INT(sip_uri_print(NULL, buf, sizeof buf), SIP_EINVAL);

	struct sip_uri hand = {.scheme = SIP_URI_SIP,
	                       .host = SIP_STR("h.example"),
	                       .port = 5080,
	                       .has_port = true};
	CHECK_INT(sip_uri_print(&hand, buf, sizeof buf), 18);
	CHECK(strcmp(buf, "sip:h.example:5080") == 0);
	return 0;
}

struct eq_case {
	const char *a, *b;
	int want; /* 1 equal, 0 not */
};

static int check_equal(const struct eq_case *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int got = equal(t[i].a, t[i].b);
		if (got != t[i].want) {
			char w[320];
			snprintf(w, sizeof w, "equal(%.140s, %.140s) is %d", t[i].a, t[i].b, got);
			test_fail(__FILE__, __LINE__, w);
			return 1;
		}
	}
	return 0;
}

#define CHECK_EQUAL(t) CHECK_INT(check_equal(t, sizeof t / sizeof t[0]), 0)

/* RFC 3261 §19.1.4: the URIs it lists as equivalent. */
TEST(uri_equal_rfc3261)
{
	static const struct eq_case t[] = {
		{"sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp", 1},
		{"sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5", 1},
		{"sip:carol@chicago.com", "sip:carol@chicago.com;security=on", 1},
		{"sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on", 1},
		{"sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
	         "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com", 1},
		{"sip:alice@atlanta.com?subject=project%20x&priority=urgent",
	         "sip:alice@atlanta.com?priority=urgent&subject=project%20x", 1},
		/* Equality is not transitive. */
		{"sip:carol@chicago.com", "sip:carol@chicago.com;security=off", 1},
		{"sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off", 0},
	};
	CHECK_EQUAL(t);
	return 0;
}

/* RFC 3261 §19.1.4: the URIs it lists as not equivalent. */
TEST(uri_not_equal_rfc3261)
{
	static const struct eq_case t[] = {
		{"SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP", 0},
		{"sip:bob@biloxi.com", "sip:bob@biloxi.com:5060", 0},
		{"sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp", 0},
		{"sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp", 0},
		{"sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting", 0},
		{"sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4", 0},
	};
	CHECK_EQUAL(t);
	return 0;
}

TEST(uri_equal_more)
{
	static const struct eq_case t[] = {
		{"sip:alice@h.example", "sips:alice@h.example", 0},
		{"sip:alice:pw@h.example", "sip:alice:PW@h.example", 0},
		{"sip:alice:pw@h.example", "sip:alice@h.example", 0},
		{"sip:alice:@h.example", "sip:alice@h.example", 0},
		{"sip:alice:p%77@h.example", "sip:alice:pw@h.example", 1},
		{"sip:h.example", "sip:alice@h.example", 0},
		{"sip:h.example:5060", "sip:h.example:5061", 0},
		/* Escaped and literal forms of a reserved character differ; hex case does not. */
		{"sip:a%3Bb@h.example", "sip:a;b@h.example", 0},
		{"sip:a%3bb@h.example", "sip:a%3Bb@h.example", 1},
		{"sip:%41@h.example", "sip:%61@h.example", 0},
		/* Escaped parameter names and values; must-match parameters on one side only. */
		{"sip:h.example;%6C%72;m%61ddr=192.0.2.1", "sip:h.example;lr;maddr=192.0.2.1", 1},
		{"sip:h.example;m%61ddr=192.0.2.1", "sip:h.example", 0},
		{"sip:h.example", "sip:h.example;user=phone", 0},
		{"sip:h.example;ttl=1", "sip:h.example", 0},
		{"sip:h.example;method=INVITE", "sip:h.example;method=invite", 1},
		{"sip:h.example;lr", "sip:h.example", 1},
		{"sip:h.example;lr", "sip:h.example;lr=on", 0},
		/* Headers: all of them, in any order, names case-insensitive. */
		{"sip:h.example?a=1&b=2", "sip:h.example?B=2&A=1", 1},
		{"sip:h.example?a=1&b=2", "sip:h.example?a=1", 0},
		{"sip:h.example?a=1", "sip:h.example?a=2", 0},
		{"sip:h.example?a=%31", "sip:h.example?a=1", 1},
		/* IPv6 references compare as addresses, not as text. */
		{"sip:[2001:db8::9:1]", "sip:[2001:DB8:0:0:0:0:9:01]", 1},
		{"sip:[::ffff:192.0.2.10]", "sip:[0:0:0:0:0:ffff:c000:20a]", 1},
		{"sip:[2001:db8::10]", "sip:[2001:db8::11]", 0},
		{"sip:[2001:db8::10]:5070", "sip:[2001:db8::10:5070]", 0},
		/* Repeated names pair up in order (found by fuzzing: a URI must equal itself). */
		{"sip:h.example;x=1;x=2", "sip:h.example;x=1;x=2", 1},
		{"sip:h.example;x=1;x=2", "sip:h.example;x=2;x=1", 0},
		{"sip:h.example;transport=tcp;transport=tcp", "sip:h.example;transport=tcp", 0},
		{"sip:h.example?a=1&a=2", "sip:h.example?a=1&a=2", 1},
	};
	CHECK_EQUAL(t);
	return 0;
}

TEST(uri_equal_tel_and_other)
{
	static const struct eq_case t[] = {
		{"tel:+1-201-555-0123", "tel:+12015550123", 1},
		{"tel:+1(201)555.0123;EXT=7", "TEL:+12015550123;ext=7", 1},
		{"tel:+12015550123", "tel:12015550123", 0},
		{"tel:+12015550123;ext=7", "tel:+12015550123", 0},
		{"tel:+12015550123;ext=7", "tel:+12015550123;ext=8", 0},
		{"tel:7042;phone-context=Example.COM", "tel:7042;phone-context=example.com", 1},
		{"tel:a1;phone-context=x.example", "tel:A1;phone-context=x.example", 1},
		{"tel:+12015550123", "sip:+12015550123@h.example", 0},
		{"urn:service:sos", "URN:service:sos", 1},
		{"urn:service:sos", "urn:service:SOS", 0},
		{"urn:service:sos", "urx:service:sos", 0},
		{"isbn:%39", "isbn:9", 1},
		{"tel:+1555;ext=4;isub=1;ext=7", "tel:+1555;ext=4;isub=1;ext=7", 1},
		{"tel:+1555;ext=4;ext=7", "tel:+1555;ext=7;ext=4", 0},
	};
	CHECK_EQUAL(t);
	return 0;
}

TEST(uri_unescape)
{
	char out[32];
	CHECK_INT(sip_uri_unescape(SIP_STR("%61lice%20%3a%3A"), out, sizeof out), 8);
	CHECK(strcmp(out, "alice ::") == 0);
	CHECK_INT(sip_uri_unescape(SIP_STR("plain"), out, sizeof out), 5);
	CHECK(strcmp(out, "plain") == 0);
	CHECK_INT(sip_uri_unescape(SIP_STR(""), out, sizeof out), 0);
	CHECK_INT(out[0], '\0');
	CHECK_INT(sip_uri_unescape(SIP_STR("a%00b"), out, sizeof out), 3);
	CHECK(memcmp(out, "a\0b", 4) == 0);
	CHECK_INT(sip_uri_unescape(SIP_STR("%ff"), out, sizeof out), 1);
	CHECK_INT((unsigned char)out[0], 0xff);

	CHECK_INT(sip_uri_unescape(SIP_STR("a%4"), out, sizeof out), SIP_EESCAPE);
	CHECK_INT(sip_uri_unescape(SIP_STR("a%GG"), out, sizeof out), SIP_EESCAPE);
	CHECK_INT(sip_uri_unescape(SIP_STR("%"), out, sizeof out), SIP_EESCAPE);

	/* The output is NUL-terminated, so it needs one byte more. */
	CHECK_INT(sip_uri_unescape(SIP_STR("%41%42%43"), out, 4), 3);
	CHECK(strcmp(out, "ABC") == 0);
	CHECK_INT(sip_uri_unescape(SIP_STR("%41%42%43"), out, 3), SIP_ENOSPC);
	CHECK(strcmp(out, "AB") == 0);
	CHECK_INT(sip_uri_unescape(SIP_STR("x"), out, 0), SIP_ENOSPC);
	return 0;
}

TEST(uri_parse_allocates_nothing)
{
	static const char *const uris[] = {
		"sip:alice:pw@atlanta.example.com:5060;transport=tcp?a=b",
		"sips:[2001:db8::10]:5061",
		"tel:+1-201-555-0123;ext=1",
		"urn:service:sos",
		"sip:user@[2001:db8:::192.0.2.1]",
	};
	struct sip_uri u, v;
	char buf[128], out[64];
	long a = test_heap_allocs();
	for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++) {
		if (parse(&u, uris[i]) == 0) {
			CHECK(sip_uri_print(&u, buf, sizeof buf) > 0);
			CHECK_INT(parse(&v, buf), 0);
			CHECK(sip_uri_equal(&u, &v));
			CHECK(sip_uri_unescape(u.user, out, sizeof out) >= 0);
		}
	}
	CHECK_INT(test_heap_allocs(), a);
	return 0;
}
