/* auth_test.c - digest authentication (lib/auth.c): the RFC 7616 §3.9.1
 * examples, our own vectors for SHA-512-256, auth-int, -sess, no qop and
 * escapes (computed independently with python3 hashlib and cross-checked
 * with `openssl dgst`), challenge parsing, picking among challenges, and
 * the Authorization value. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>

#include "test.h"

#define CHECK_RC(call, want)                                                                       \
	do {                                                                                       \
		int rc_ = (call);                                                                  \
		CHECK_INT(rc_, want);                                                              \
	} while (0)

/* A C string equals another. */
#define CHECK_CSTR(a, b) CHECK_STR(sip_str_from(a), b)

static int parse(struct sip_challenge *ch, const char *value)
{
	return sip_challenge_parse(ch, sip_str_from(value), false);
}

/* ---- the RFC 7616 §3.9.1 example ---- */

#define RFC_REALM "http-auth@example.org"
#define RFC_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define RFC_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define RFC_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"

static const char rfc_md5[] = "Digest realm=\"" RFC_REALM "\", qop=\"auth, auth-int\", "
			      "algorithm=MD5, nonce=\"" RFC_NONCE "\", opaque=\"" RFC_OPAQUE "\"";
static const char rfc_sha256[] =
	"Digest realm=\"" RFC_REALM "\", qop=\"auth, auth-int\", "
	"algorithm=SHA-256, nonce=\"" RFC_NONCE "\", opaque=\"" RFC_OPAQUE "\"";

static struct sip_digest_input rfc_input(const struct sip_challenge *ch)
{
	struct sip_digest_input in = {
		.ch = ch,
		.user = "Mufasa",
		.password = "Circle of Life",
		.method = "GET",
		.uri = "/dir/index.html",
		.nc = 1,
		.cnonce = RFC_CNONCE,
	};
	return in;
}

TEST(auth_rfc7616_md5)
{
	struct sip_challenge ch;
	CHECK_INT(parse(&ch, rfc_md5), 0);
	CHECK_INT(ch.alg, SIP_DIGEST_MD5);
	struct sip_digest_input in = rfc_input(&ch);
	char hex[129];
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), 0);
	CHECK_CSTR(hex, "8ca523f5e9506fed4657c9700eebdbec");
	/* the cnonce argument wins over in->cnonce */
	in.cnonce = "other";
	CHECK_INT(sip_digest_response(&in, RFC_CNONCE, hex, sizeof hex), 0);
	CHECK_CSTR(hex, "8ca523f5e9506fed4657c9700eebdbec");
	return 0;
}

TEST(auth_rfc7616_sha256)
{
	struct sip_challenge ch;
	CHECK_INT(parse(&ch, rfc_sha256), 0);
	CHECK_INT(ch.alg, SIP_DIGEST_SHA256);
	struct sip_digest_input in = rfc_input(&ch);
	char hex[129];
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), 0);
	CHECK_CSTR(hex, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
	return 0;
}

TEST(auth_sha512_256)
{
	struct sip_challenge ch;
	CHECK_INT(parse(&ch, "Digest realm=\"" RFC_REALM "\", qop=\"auth\", algorithm=SHA-512-256, "
	                     "nonce=\"" RFC_NONCE "\""),
	          0);
	CHECK_INT(ch.alg, SIP_DIGEST_SHA512_256);
	struct sip_digest_input in = rfc_input(&ch);
	char hex[129];
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), 0);
	CHECK_CSTR(hex, "430d05014cecc49cab6fbe03176d41a1da86cbfe24a16580e22aaad928d960d0");
	return 0;
}

/* ---- our own vectors ---- */

static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
			  "t=0 0\r\nm=audio 49170 RTP/AVP 0\r\n";

static struct sip_digest_input alice(const struct sip_challenge *ch, const char *method,
                                     const char *uri)
{
	struct sip_digest_input in = {
		.ch = ch,
		.user = "alice",
		.password = "secret",
		.method = method,
		.uri = uri,
		.nc = 1,
		.cnonce = "0a4f113b",
	};
	return in;
}

TEST(auth_qop_auth_int)
{
	struct sip_challenge ch;
	char hex[129];
	CHECK_INT(parse(&ch, "Digest realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\", "
	                     "algorithm=SHA-256, qop=\"auth-int\""),
	          0);
	CHECK(ch.qop_auth_int && !ch.qop_auth);
	struct sip_digest_input in = alice(&ch, "INVITE", "sip:bob@example.com");
	in.body = SIP_STR(sdp);
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), 0);
	CHECK_CSTR(hex, "28521f255164d367b1524d96ce519bc03f41a9ada2df72ee3c91b8a2d97dbc0b");

	/* an empty body hashes as H("") */
	CHECK_INT(parse(&ch, "Digest realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\", "
	                     "qop=auth-int"),
	          0);
	in = alice(&ch, "INVITE", "sip:bob@example.com");
	in.nc = 2;
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), 0);
	CHECK_CSTR(hex, "a75a86f09f2d8df6b31da4d27c414672");
	return 0;
}

TEST(auth_no_qop)
{
	struct sip_challenge ch;
	char hex[129];
	/* RFC 2069: H(HA1:nonce:HA2); nc and cnonce play no part */
	CHECK_INT(parse(&ch, "Digest realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\""), 0);
	struct sip_digest_input in = alice(&ch, "REGISTER", "sip:example.com");
	in.nc = 7;
	in.cnonce = NULL;
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), 0);
	CHECK_CSTR(hex, "509ee8dc1e8578080b2b60c9931718ba");

	CHECK_INT(parse(&ch, "Digest realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\", "
	                     "algorithm=sha-512-256"),
	          0);
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), 0);
	CHECK_CSTR(hex, "2c7c26c73627c650f96df8bd86c67e2d4207130093e35b7c627a1f652ccb2c0e");
	return 0;
}

TEST(auth_sess)
{
	struct sip_challenge ch;
	char hex[129];
	CHECK_INT(parse(&ch, "Digest realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\", "
	                     "algorithm=MD5-sess, qop=\"auth\""),
	          0);
	CHECK_INT(ch.alg, SIP_DIGEST_MD5_SESS);
	struct sip_digest_input in = alice(&ch, "REGISTER", "sip:example.com");
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), 0);
	CHECK_CSTR(hex, "5593696b0662ccb1950e06cc74c8a743");

	CHECK_INT(parse(&ch, "Digest realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\", "
	                     "algorithm=SHA-256-sess, qop=\"auth\""),
	          0);
	CHECK_INT(ch.alg, SIP_DIGEST_SHA256_SESS);
	in.nc = 3;
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), 0);
	CHECK_CSTR(hex, "0e066d2efdf0278233154859cd1b5f44a702a6d80756aebcf0cf2f3742a58674");

	CHECK_INT(parse(&ch, "Digest realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\", "
	                     "algorithm=SHA-512-256-SESS, qop=\"auth-int\""),
	          0);
	CHECK_INT(ch.alg, SIP_DIGEST_SHA512_256_SESS);
	in.nc = 0x1a2b;
	in.body = SIP_STR("hello");
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), 0);
	CHECK_CSTR(hex, "53519ae647f0f09336537c3d014c366b08a97c83afdb3c46aea69b60d4083550");

	/* -sess without qop still needs a cnonce for A1 */
	CHECK_INT(parse(&ch, "Digest realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\", "
	                     "algorithm=MD5-sess"),
	          0);
	in = alice(&ch, "REGISTER", "sip:example.com");
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), 0);
	CHECK_CSTR(hex, "ccad62c08deff8843b0965bc3cbb0e9c");
	in.cnonce = NULL;
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), SIP_EINVAL);
	return 0;
}

/* Realm and nonce are hashed as the quoted-string's value, escapes removed. */
TEST(auth_escaped_realm_and_nonce)
{
	struct sip_challenge ch;
	char hex[129];
	CHECK_INT(parse(&ch, "Digest realm=\"a\\\"b\\\\c\", nonce=\"n\\\"x\", qop=auth"), 0);
	CHECK_STR(ch.realm, "a\\\"b\\\\c");
	CHECK_STR(ch.nonce, "n\\\"x");
	struct sip_digest_input in = alice(&ch, "REGISTER", "sip:example.com");
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), 0);
	CHECK_CSTR(hex, "d70ceb01786c91900ba32af2e0d1898d");
	/* a needless escape stands for its character: \a is a */
	CHECK_INT(parse(&ch, "Digest realm=\"sip.ex\\ample.com\", nonce=\"4e0a8f6b2c\""), 0);
	in = alice(&ch, "REGISTER", "sip:example.com");
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), 0);
	CHECK_CSTR(hex, "509ee8dc1e8578080b2b60c9931718ba");
	return 0;
}

TEST(auth_nc_format)
{
	struct sip_challenge ch;
	char hex[129];
	CHECK_INT(parse(&ch, "Digest realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\", qop=auth"),
	          0);
	struct sip_digest_input in = alice(&ch, "REGISTER", "sip:example.com");
	in.nc = 0x1a2b; /* hashed as 00001a2b */
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), 0);
	CHECK_CSTR(hex, "d660eab2c16413791c5defc076ce3220");
	struct sip_buf b;
	sip_buf_init(&b, 0);
	CHECK_INT(sip_digest_authorization(&b, &in), 0);
	CHECK(strstr(b.p, ", nc=00001a2b"));
	CHECK(strstr(b.p, "response=\"d660eab2c16413791c5defc076ce3220\""));
	sip_buf_reset(&b);
	in.nc = 0; /* counts as 1 */
	CHECK_INT(sip_digest_authorization(&b, &in), 0);
	CHECK(strstr(b.p, ", nc=00000001"));
	sip_buf_reset(&b);
	in.nc = 0xffffffffu;
	CHECK_INT(sip_digest_authorization(&b, &in), 0);
	CHECK(strstr(b.p, ", nc=ffffffff"));
	sip_buf_reset(&b);
	return 0;
}

/* ---- qop choice ---- */

/* With both offered the answer is qop=auth, hashed and written alike. */
TEST(auth_qop_prefers_auth)
{
	struct sip_challenge ch;
	char hex[129];
	CHECK_INT(parse(&ch, rfc_md5), 0);
	CHECK(ch.qop_auth && ch.qop_auth_int);
	CHECK_STR(ch.qop, "auth, auth-int");
	struct sip_digest_input in = rfc_input(&ch);
	in.body = SIP_STR("a body that auth does not cover");
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), 0);
	CHECK_CSTR(hex, "8ca523f5e9506fed4657c9700eebdbec");
	struct sip_buf b;
	sip_buf_init(&b, 0);
	CHECK_INT(sip_digest_authorization(&b, &in), 0);
	CHECK(strstr(b.p, ", qop=auth, "));
	CHECK(!strstr(b.p, "auth-int"));
	CHECK(strstr(b.p, "response=\"8ca523f5e9506fed4657c9700eebdbec\""));
	sip_buf_reset(&b);
	/* the order they are offered in does not matter */
	CHECK_INT(parse(&ch, "Digest realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\", "
	                     "qop=\"auth-int,auth\""),
	          0);
	in = alice(&ch, "REGISTER", "sip:example.com");
	in.nc = 0x1a2b;
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), 0);
	CHECK_CSTR(hex, "d660eab2c16413791c5defc076ce3220");
	return 0;
}

TEST(auth_qop_unknown_only)
{
	struct sip_challenge ch;
	char hex[129];
	CHECK_INT(parse(&ch, "Digest realm=\"r\", nonce=\"n\", qop=\"auth-conf, x\""), 0);
	CHECK(!ch.qop_auth && !ch.qop_auth_int);
	struct sip_digest_input in = alice(&ch, "REGISTER", "sip:example.com");
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), SIP_EINVAL);
	/* unknown values beside a known one are ignored */
	CHECK_INT(parse(&ch, "Digest realm=\"r\", nonce=\"n\", qop=\"auth-conf , AUTH\""), 0);
	CHECK(ch.qop_auth && !ch.qop_auth_int);
	/* an empty qop is no qop */
	CHECK_INT(parse(&ch, "Digest realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\", qop=\"\""),
	          0);
	in = alice(&ch, "REGISTER", "sip:example.com");
	CHECK_INT(sip_digest_response(&in, NULL, hex, sizeof hex), 0);
	CHECK_CSTR(hex, "509ee8dc1e8578080b2b60c9931718ba");
	return 0;
}

/* ---- challenge parsing ---- */

TEST(auth_parse_fields)
{
	struct sip_challenge ch;
	CHECK_INT(sip_challenge_parse(&ch, sip_str_from(rfc_sha256), true), 0);
	CHECK(ch.proxy);
	CHECK_STR(ch.scheme, "Digest");
	CHECK_STR(ch.realm, RFC_REALM);
	CHECK_STR(ch.nonce, RFC_NONCE);
	CHECK_STR(ch.opaque, RFC_OPAQUE);
	CHECK_STR(ch.algorithm, "SHA-256");
	CHECK_STR(ch.qop, "auth, auth-int");
	CHECK(!ch.stale && !ch.userhash);
	/* absent algorithm: MD5, with an empty slice; absent opaque: NULL slice */
	CHECK_INT(parse(&ch, "digest realm=\"r\",nonce=\"n\""), 0);
	CHECK_STR(ch.scheme, "digest");
	CHECK_INT(ch.alg, SIP_DIGEST_MD5);
	CHECK_INT(ch.algorithm.len, 0);
	CHECK(ch.opaque.p == NULL);
	CHECK(!ch.qop_auth && !ch.qop_auth_int && !ch.proxy);
	/* empty values are values */
	CHECK_INT(parse(&ch, "Digest realm=\"\", nonce=\"\", opaque=\"\""), 0);
	CHECK_INT(ch.realm.len, 0);
	CHECK(ch.opaque.p != NULL);
	return 0;
}

TEST(auth_parse_quotes)
{
	struct sip_challenge ch;
	CHECK_INT(parse(&ch, "Digest realm=\"a, b\", nonce=\"x\\\"y, z\\\\\", opaque=\"o,\""), 0);
	CHECK_STR(ch.realm, "a, b");
	CHECK_STR(ch.nonce, "x\\\"y, z\\\\");
	CHECK_STR(ch.opaque, "o,");
	/* a parameter name inside a quoted value is not a parameter */
	CHECK_INT(parse(&ch, "Digest domain=\"nonce=bad, realm=bad\", realm=r, nonce=n"), 0);
	CHECK_STR(ch.realm, "r");
	CHECK_STR(ch.nonce, "n");
	/* a bare base64 nonce */
	CHECK_INT(parse(&ch, "Digest realm=r, nonce=ab/c+d==, algorithm=MD5"), 0);
	CHECK_STR(ch.nonce, "ab/c+d==");
	return 0;
}

TEST(auth_parse_lws)
{
	struct sip_challenge ch;
	CHECK_INT(parse(&ch, "  Digest\trealm = \"r\" ,\tnonce=\t\"n\"  , ,algorithm= SHA-256 ,"),
	          0);
	CHECK_STR(ch.realm, "r");
	CHECK_STR(ch.nonce, "n");
	CHECK_INT(ch.alg, SIP_DIGEST_SHA256);
	/* a folded line between parameters, as a message may hold it */
	CHECK_INT(parse(&ch, "Digest realm=\"r\",\r\n nonce=\"n\""), 0);
	CHECK_STR(ch.nonce, "n");
	return 0;
}

TEST(auth_parse_stale_userhash)
{
	struct sip_challenge ch;
	CHECK_INT(parse(&ch, "Digest realm=r, nonce=n, stale=TRUE"), 0);
	CHECK(ch.stale);
	CHECK_INT(parse(&ch, "Digest realm=r, nonce=n, stale=\"true\""), 0);
	CHECK(ch.stale);
	CHECK_INT(parse(&ch, "Digest realm=r, nonce=n, STALE=False"), 0);
	CHECK(!ch.stale);
	CHECK_INT(parse(&ch, "Digest realm=r, nonce=n, stale=yes"), 0);
	CHECK(!ch.stale);
	CHECK_INT(parse(&ch, "Digest realm=r, nonce=n"), 0);
	CHECK(!ch.stale && !ch.userhash);
	CHECK_INT(parse(&ch, "Digest realm=r, nonce=n, userhash=True"), 0);
	CHECK(ch.userhash);
	return 0;
}

TEST(auth_parse_unknown_params)
{
	struct sip_challenge ch;
	CHECK_INT(parse(&ch, "Digest foo=bar, realm=\"r\", domain=\"sip:a.example sip:b.example\", "
	                     "x-thing=\"q, \\\"w\", charset=UTF-8, nonce=\"n\", Realmx=1"),
	          0);
	CHECK_STR(ch.realm, "r");
	CHECK_STR(ch.nonce, "n");
	/* names are case-insensitive */
	CHECK_INT(parse(&ch, "Digest REALM=\"r\", Nonce=\"n\", OPAQUE=\"o\", ALGORITHM=sha-256"),
	          0);
	CHECK_STR(ch.opaque, "o");
	CHECK_INT(ch.alg, SIP_DIGEST_SHA256);
	return 0;
}

TEST(auth_parse_algorithms)
{
	static const struct {
		const char *text;
		enum sip_digest_alg alg;
	} cases[] = {
		{"MD5", SIP_DIGEST_MD5},
		{"md5", SIP_DIGEST_MD5},
		{"MD5-sess", SIP_DIGEST_MD5_SESS},
		{"SHA-256", SIP_DIGEST_SHA256},
		{"sha-256-SESS", SIP_DIGEST_SHA256_SESS},
		{"SHA-512-256", SIP_DIGEST_SHA512_256},
		{"\"SHA-512-256-sess\"", SIP_DIGEST_SHA512_256_SESS},
		{"SHA-1", SIP_DIGEST_UNKNOWN},
		{"SHA256", SIP_DIGEST_UNKNOWN},
		{"AKAv1-MD5", SIP_DIGEST_UNKNOWN},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char v[128];
		snprintf(v, sizeof v, "Digest realm=r, nonce=n, algorithm=%s", cases[i].text);
		struct sip_challenge ch;
		CHECK_INT(parse(&ch, v), 0);
		CHECK_INT(ch.alg, cases[i].alg);
	}
	return 0;
}

TEST(auth_parse_errors)
{
	struct sip_challenge ch;
	/* missing nonce or realm */
	CHECK_INT(parse(&ch, "Digest realm=\"r\""), SIP_ESYNTAX);
	CHECK_INT(parse(&ch, "Digest nonce=\"n\", qop=auth"), SIP_ESYNTAX);
	CHECK_INT(parse(&ch, "Digest"), SIP_ESYNTAX);
	CHECK_INT(parse(&ch, ""), SIP_ESYNTAX);
	CHECK_INT(parse(&ch, "   "), SIP_ESYNTAX);
	/* malformed */
	CHECK_INT(parse(&ch, "Digest realm=\"r\", nonce=\"n"), SIP_EQUOTE);
	CHECK_INT(parse(&ch, "Digest realm=\"r\" nonce=\"n\""), SIP_ESYNTAX);
	CHECK_INT(parse(&ch, "Digest realm, nonce=\"n\""), SIP_ESYNTAX);
	CHECK_INT(parse(&ch, "Digest realm=, nonce=\"n\""), SIP_ESYNTAX);
	CHECK_INT(parse(&ch, "Digest realm=\"r\", nonce=\"n\", ="), SIP_ESYNTAX);
	CHECK_INT(parse(&ch, "Digest,realm=\"r\", nonce=\"n\""), SIP_ESYNTAX);
	CHECK_INT(parse(&ch, "Digest realm=\"r\"x, nonce=\"n\""), SIP_ESYNTAX);
	CHECK_INT(parse(&ch, "Digest realm=a\\b, nonce=n"), SIP_ESYNTAX);
	CHECK_INT(parse(&ch, "\"Digest\" realm=r, nonce=n"), SIP_ESYNTAX);
	/* a known parameter twice is ambiguous */
	CHECK_INT(parse(&ch, "Digest realm=\"r\", nonce=\"n\", realm=\"s\""), SIP_ESYNTAX);
	CHECK_INT(parse(&ch, "Digest realm=r, nonce=n, Nonce=m"), SIP_ESYNTAX);
	/* line breaks or controls in what is hashed or echoed */
	CHECK_INT(parse(&ch, "Digest realm=\"a\r\n b\", nonce=\"n\""), SIP_ESYNTAX);
	static const char nul[] = "Digest realm=\"a\0b\", nonce=n";
	CHECK_INT(sip_challenge_parse(&ch, (struct sip_str){nul, sizeof nul - 1}, false),
	          SIP_ESYNTAX);
	CHECK_INT(sip_challenge_parse(NULL, SIP_STR("Digest realm=r, nonce=n"), false), SIP_EINVAL);
	struct sip_str none = {NULL, 0};
	CHECK_INT(sip_challenge_parse(&ch, none, false), SIP_ESYNTAX);
	return 0;
}

TEST(auth_parse_other_scheme)
{
	struct sip_challenge ch;
	CHECK_INT(sip_challenge_parse(&ch, SIP_STR("Basic realm=\"r\""), true), SIP_ESCHEME);
	CHECK_STR(ch.scheme, "Basic");
	CHECK(ch.proxy);
	CHECK_INT(parse(&ch, "Bearer"), SIP_ESCHEME);
	CHECK_STR(ch.scheme, "Bearer");
	CHECK_INT(parse(&ch, "DigestX realm=r, nonce=n"), SIP_ESCHEME);
	CHECK_STR(ch.scheme, "DigestX");
	return 0;
}

/* Parsing borrows the value: not one allocation. */
TEST(auth_parse_no_alloc)
{
	struct sip_challenge ch;
	long before = test_heap_allocs();
	CHECK_INT(parse(&ch, rfc_sha256), 0);
	CHECK_INT(parse(&ch, "Digest realm=\"a\\\"b\", nonce=n, qop=\"auth,auth-int\", stale=true, "
	                     "userhash=true, domain=\"sip:x\", foo=bar"),
	          0);
	CHECK_INT(parse(&ch, "Basic realm=r"), SIP_ESCHEME);
	CHECK_INT(parse(&ch, "Digest realm=\"r"), SIP_EQUOTE);
	CHECK_INT(test_heap_allocs(), before);
	return 0;
}

TEST(auth_alg_names)
{
	CHECK(sip_digest_alg_name(SIP_DIGEST_UNKNOWN) == NULL);
	CHECK_CSTR(sip_digest_alg_name(SIP_DIGEST_MD5), "MD5");
	CHECK_CSTR(sip_digest_alg_name(SIP_DIGEST_MD5_SESS), "MD5-sess");
	CHECK_CSTR(sip_digest_alg_name(SIP_DIGEST_SHA256), "SHA-256");
	CHECK_CSTR(sip_digest_alg_name(SIP_DIGEST_SHA256_SESS), "SHA-256-sess");
	CHECK_CSTR(sip_digest_alg_name(SIP_DIGEST_SHA512_256), "SHA-512-256");
	CHECK_CSTR(sip_digest_alg_name(SIP_DIGEST_SHA512_256_SESS), "SHA-512-256-sess");
	CHECK(sip_digest_alg_name((enum sip_digest_alg)99) == NULL);
	return 0;
}

/* ---- picking a challenge ---- */

#define RESP_HEAD(code)                                                                            \
	"SIP/2.0 " code "\r\n"                                                                     \
	"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK776asdhds\r\n"                                   \
	"To: <sip:alice@example.com>;tag=1\r\n"                                                    \
	"From: <sip:alice@example.com>;tag=2\r\n"                                                  \
	"Call-ID: abc@192.0.2.1\r\n"                                                               \
	"CSeq: 1 REGISTER\r\n"
#define RESP_TAIL "Content-Length: 0\r\n\r\n"

static struct sip_msg msg;

static int parse_msg(const char *text)
{
	return sip_msg_parse(&msg, text, strlen(text), 0);
}

TEST(auth_pick_strongest)
{
	struct sip_challenge ch;
	CHECK_INT(
		parse_msg(RESP_HEAD(
			"401 Unauthorized") "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", algorithm=MD5\r\n"
	                                    "WWW-Authenticate: Digest realm=\"r\", nonce=\"n2\", algorithm=SHA-256, "
	                                    "qop=\"auth\"\r\n"
	                                    "WWW-Authenticate: Digest realm=\"r\", nonce=\"n3\"\r\n" RESP_TAIL),
		0);
	CHECK_INT(sip_challenge_pick(&msg, &ch), 0);
	CHECK_INT(ch.alg, SIP_DIGEST_SHA256);
	CHECK_STR(ch.nonce, "n2");
	CHECK(!ch.proxy);

	CHECK_INT(
		parse_msg(RESP_HEAD(
			"401 Unauthorized") "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", algorithm=SHA-256\r\n"
	                                    "WWW-Authenticate: Digest realm=\"r\", nonce=\"n2\", "
	                                    "algorithm=SHA-512-256-sess, qop=auth\r\n"
	                                    "WWW-Authenticate: Digest realm=\"r\", nonce=\"n3\"\r\n" RESP_TAIL),
		0);
	CHECK_INT(sip_challenge_pick(&msg, &ch), 0);
	CHECK_INT(ch.alg, SIP_DIGEST_SHA512_256_SESS);
	CHECK_STR(ch.nonce, "n2");
	return 0;
}

/* -sess counts as its base: among equals the first wins. */
TEST(auth_pick_first_among_equals)
{
	struct sip_challenge ch;
	CHECK_INT(
		parse_msg(RESP_HEAD(
			"401 Unauthorized") "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", "
	                                    "algorithm=SHA-256-sess, qop=auth\r\n"
	                                    "WWW-Authenticate: Digest realm=\"r\", nonce=\"n2\", algorithm=SHA-256\r\n"
	                                    "WWW-Authenticate: Digest realm=\"r\", nonce=\"n3\", algorithm=MD5\r\n" RESP_TAIL),
		0);
	CHECK_INT(sip_challenge_pick(&msg, &ch), 0);
	CHECK_STR(ch.nonce, "n1");
	return 0;
}

TEST(auth_pick_skips_unusable)
{
	struct sip_challenge ch;
	CHECK_INT(
		parse_msg(RESP_HEAD(
			"401 Unauthorized") "WWW-Authenticate: Basic realm=\"r\"\r\n"
	                                    "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", algorithm=SHA-1\r\n"
	                                    "WWW-Authenticate: Digest realm=\"r\", nonce=\"n2\", algorithm=SHA-256, "
	                                    "qop=\"auth-conf\"\r\n"
	                                    "WWW-Authenticate: Digest realm=\"r\", algorithm=SHA-512-256\r\n"
	                                    "WWW-Authenticate: Digest realm=\"r\", nonce=\"n5\", algorithm=md5\r\n" RESP_TAIL),
		0);
	CHECK_INT(sip_challenge_pick(&msg, &ch), 0);
	CHECK_INT(ch.alg, SIP_DIGEST_MD5);
	CHECK_STR(ch.nonce, "n5");
	return 0;
}

TEST(auth_pick_proxy)
{
	struct sip_challenge ch;
	CHECK_INT(
		parse_msg(RESP_HEAD(
			"407 Proxy Authentication Required") "WWW-Authenticate: Digest realm=\"www\", nonce=\"w\", "
	                                                     "algorithm=SHA-512-256\r\n"
	                                                     "Proxy-Authenticate: Digest realm=\"proxy\", nonce=\"p\", qop=auth, "
	                                                     "stale=true\r\n" RESP_TAIL),
		0);
	CHECK_INT(sip_challenge_pick(&msg, &ch), 0);
	CHECK(ch.proxy);
	CHECK(ch.stale);
	CHECK_STR(ch.realm, "proxy");
	CHECK_INT(ch.alg, SIP_DIGEST_MD5);
	return 0;
}

TEST(auth_pick_none)
{
	struct sip_challenge ch;
	/* nothing usable: ch tells what there was */
	CHECK_INT(
		parse_msg(RESP_HEAD(
			"401 Unauthorized") "WWW-Authenticate: Basic realm=\"r\"\r\n"
	                                    "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", algorithm=SHA-1\r\n" RESP_TAIL),
		0);
	CHECK_INT(sip_challenge_pick(&msg, &ch), SIP_ENOTFOUND);
	CHECK_STR(ch.scheme, "Basic");
	/* a 401 with no challenge at all */
	CHECK_INT(parse_msg(RESP_HEAD("401 Unauthorized") RESP_TAIL), 0);
	CHECK_INT(sip_challenge_pick(&msg, &ch), SIP_ENOTFOUND);
	CHECK_INT(ch.scheme.len, 0);
	/* a 407 answers Proxy-Authenticate only */
	CHECK_INT(
		parse_msg(RESP_HEAD(
			"407 Proxy Authentication Required") "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\"\r\n" RESP_TAIL),
		0);
	CHECK_INT(sip_challenge_pick(&msg, &ch), SIP_ENOTFOUND);
	/* not a 401 or 407 */
	CHECK_INT(
		parse_msg(RESP_HEAD(
			"403 Forbidden") "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\"\r\n" RESP_TAIL),
		0);
	CHECK_INT(sip_challenge_pick(&msg, &ch), SIP_EINVAL);
	CHECK_INT(parse_msg("OPTIONS sip:example.com SIP/2.0\r\n"
	                    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK776asdhds\r\n"
	                    "To: <sip:example.com>\r\nFrom: <sip:a@example.com>;tag=2\r\n"
	                    "Call-ID: abc\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
	                    "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\"\r\n" RESP_TAIL),
	          0);
	CHECK_INT(sip_challenge_pick(&msg, &ch), SIP_EINVAL);
	CHECK_INT(sip_challenge_pick(NULL, &ch), SIP_EINVAL);
	return 0;
}

/* ---- the Authorization value ---- */

/* The value of name= in an Authorization value (quotes removed, escapes
 * kept) into out; 1 when present, 0 when absent, -1 when it appears twice
 * or the value is malformed. */
static int field(const char *auth, const char *name, char *out, size_t cap)
{
	if (strncmp(auth, "Digest ", 7) != 0)
		return -1;
	struct sip_str list = sip_str_from(auth + 7), e;
	int found = 0, r;
	while ((r = sip_list_next(&list, &e)) == 1) {
		const char *eq = memchr(e.p, '=', e.len);
		if (!eq)
			return -1;
		struct sip_str n = {e.p, (size_t)(eq - e.p)}, v = {eq + 1, e.len - n.len - 1};
		if (!sip_str_eq(n, sip_str_from(name)))
			continue;
		if (found++)
			return -1;
		if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"') {
			v.p++;
			v.len -= 2;
		}
		if (v.len >= cap)
			return -1;
		memcpy(out, v.p, v.len);
		out[v.len] = '\0';
	}
	return r < 0 ? -1 : found;
}

/* Every field: present with its value, or absent. */
#define CHECK_FIELD(auth, name, want)                                                              \
	do {                                                                                       \
		char v_[256];                                                                      \
		const char *want_ = (want);                                                        \
		int f_ = field((auth), (name), v_, sizeof v_);                                     \
		CHECK_INT(f_, want_ ? 1 : 0);                                                      \
		if (want_)                                                                         \
			CHECK_CSTR(v_, want_);                                                     \
	} while (0)

TEST(auth_header_rfc_example)
{
	struct sip_challenge ch;
	CHECK_INT(parse(&ch, rfc_sha256), 0);
	struct sip_digest_input in = rfc_input(&ch);
	struct sip_buf b;
	sip_buf_init(&b, 0);
	CHECK_INT(sip_digest_authorization(&b, &in), 0);
	CHECK(strncmp(b.p, "Digest username=\"Mufasa\", ", 26) == 0);
	CHECK_FIELD(b.p, "username", "Mufasa");
	CHECK_FIELD(b.p, "realm", RFC_REALM);
	CHECK_FIELD(b.p, "nonce", RFC_NONCE);
	CHECK_FIELD(b.p, "uri", "/dir/index.html");
	CHECK_FIELD(b.p, "response",
	            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
	CHECK_FIELD(b.p, "algorithm", "SHA-256");
	CHECK_FIELD(b.p, "cnonce", RFC_CNONCE);
	CHECK_FIELD(b.p, "opaque", RFC_OPAQUE);
	CHECK_FIELD(b.p, "qop", "auth");
	CHECK_FIELD(b.p, "nc", "00000001");
	CHECK_FIELD(b.p, "userhash", NULL);
	CHECK(!strstr(b.p, "Circle"));
	CHECK(!strchr(b.p, '\r') && !strchr(b.p, '\n'));
	/* unquoted tokens stay unquoted */
	CHECK(strstr(b.p, "algorithm=SHA-256"));
	CHECK(strstr(b.p, "qop=auth"));
	CHECK(strstr(b.p, "nc=00000001"));
	CHECK_INT(b.len, strlen(b.p));
	sip_buf_reset(&b);
	return 0;
}

TEST(auth_header_minimal)
{
	struct sip_challenge ch;
	CHECK_INT(parse(&ch, "Digest realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\""), 0);
	struct sip_digest_input in = alice(&ch, "REGISTER", "sip:example.com");
	struct sip_buf b;
	sip_buf_init(&b, 0);
	CHECK_INT(sip_digest_authorization(&b, &in), 0);
	CHECK_FIELD(b.p, "username", "alice");
	CHECK_FIELD(b.p, "realm", "sip.example.com");
	CHECK_FIELD(b.p, "nonce", "4e0a8f6b2c");
	CHECK_FIELD(b.p, "uri", "sip:example.com");
	CHECK_FIELD(b.p, "response", "509ee8dc1e8578080b2b60c9931718ba");
	CHECK_FIELD(b.p, "algorithm", NULL);
	CHECK_FIELD(b.p, "cnonce", NULL);
	CHECK_FIELD(b.p, "opaque", NULL);
	CHECK_FIELD(b.p, "qop", NULL);
	CHECK_FIELD(b.p, "nc", NULL);
	CHECK(!strstr(b.p, "secret"));
	sip_buf_reset(&b);

	/* an explicit algorithm is echoed as written, an empty opaque kept */
	CHECK_INT(parse(&ch, "Digest realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\", "
	                     "algorithm=md5, opaque=\"\""),
	          0);
	CHECK_INT(sip_digest_authorization(&b, &in), 0);
	CHECK_FIELD(b.p, "algorithm", "md5");
	CHECK_FIELD(b.p, "opaque", "");
	CHECK_FIELD(b.p, "response", "509ee8dc1e8578080b2b60c9931718ba");
	sip_buf_reset(&b);
	return 0;
}

TEST(auth_header_sess_without_qop)
{
	struct sip_challenge ch;
	CHECK_INT(parse(&ch, "Digest realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\", "
	                     "algorithm=MD5-sess"),
	          0);
	struct sip_digest_input in = alice(&ch, "REGISTER", "sip:example.com");
	struct sip_buf b;
	sip_buf_init(&b, 0);
	CHECK_INT(sip_digest_authorization(&b, &in), 0);
	CHECK_FIELD(b.p, "response", "ccad62c08deff8843b0965bc3cbb0e9c");
	CHECK_FIELD(b.p, "cnonce", "0a4f113b");
	CHECK_FIELD(b.p, "algorithm", "MD5-sess");
	CHECK_FIELD(b.p, "qop", NULL);
	CHECK_FIELD(b.p, "nc", NULL);
	sip_buf_reset(&b);
	return 0;
}

TEST(auth_header_auth_int)
{
	struct sip_challenge ch;
	CHECK_INT(parse(&ch, "Digest realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\", "
	                     "algorithm=SHA-256, qop=\"auth-int\""),
	          0);
	struct sip_digest_input in = alice(&ch, "INVITE", "sip:bob@example.com");
	in.body = SIP_STR(sdp);
	struct sip_buf b;
	sip_buf_init(&b, 0);
	CHECK_INT(sip_digest_authorization(&b, &in), 0);
	CHECK_FIELD(b.p, "qop", "auth-int");
	CHECK_FIELD(b.p, "response",
	            "28521f255164d367b1524d96ce519bc03f41a9ada2df72ee3c91b8a2d97dbc0b");
	sip_buf_reset(&b);
	return 0;
}

static bool all_alnum(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s))
			return false;
	return true;
}

/* Without in->cnonce a fresh one is made, and the response is computed with it. */
TEST(auth_header_fresh_cnonce)
{
	struct sip_challenge ch;
	CHECK_INT(parse(&ch, rfc_md5), 0);
	struct sip_digest_input in = rfc_input(&ch);
	in.cnonce = NULL;
	struct sip_buf b1, b2;
	sip_buf_init(&b1, 0);
	sip_buf_init(&b2, 0);
	CHECK_INT(sip_digest_authorization(&b1, &in), 0);
	CHECK_INT(sip_digest_authorization(&b2, &in), 0);
	char c1[256], c2[256], r1[256], want[129];
	CHECK_INT(field(b1.p, "cnonce", c1, sizeof c1), 1);
	CHECK_INT(field(b2.p, "cnonce", c2, sizeof c2), 1);
	CHECK(strlen(c1) >= 16);
	CHECK(all_alnum(c1));
	CHECK(strcmp(c1, c2) != 0);
	CHECK_INT(field(b1.p, "response", r1, sizeof r1), 1);
	CHECK_INT(sip_digest_response(&in, c1, want, sizeof want), 0);
	CHECK_CSTR(r1, want);
	/* the response function alone has no cnonce to make up */
	CHECK_INT(sip_digest_response(&in, NULL, want, sizeof want), SIP_EINVAL);
	sip_buf_reset(&b1);
	sip_buf_reset(&b2);
	return 0;
}

/* RFC 7616 §3.4.4: username=H(user:realm), the response from the real name. */
TEST(auth_header_userhash)
{
	struct sip_challenge ch;
	CHECK_INT(parse(&ch, "Digest realm=\"" RFC_REALM "\", qop=\"auth\", algorithm=SHA-256, "
	                     "nonce=\"" RFC_NONCE "\", opaque=\"" RFC_OPAQUE "\", userhash=true"),
	          0);
	CHECK(ch.userhash);
	struct sip_digest_input in = rfc_input(&ch);
	struct sip_buf b;
	sip_buf_init(&b, 0);
	CHECK_INT(sip_digest_authorization(&b, &in), 0);
	CHECK_FIELD(b.p, "username",
	            "a947aad205e80e429958a387394944c6b496301e79f89d35a4cc23b6ee12b5b6");
	CHECK_FIELD(b.p, "userhash", "true");
	CHECK_FIELD(b.p, "response",
	            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
	CHECK(!strstr(b.p, "Mufasa"));
	sip_buf_reset(&b);

	CHECK_INT(parse(&ch, "Digest realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\", "
	                     "userhash=\"TRUE\""),
	          0);
	in = alice(&ch, "REGISTER", "sip:example.com");
	CHECK_INT(sip_digest_authorization(&b, &in), 0);
	CHECK_FIELD(b.p, "username", "e47b5c7042994e0f80e5f60481d9d726");
	CHECK_FIELD(b.p, "response", "509ee8dc1e8578080b2b60c9931718ba");
	sip_buf_reset(&b);
	return 0;
}

TEST(auth_header_escapes)
{
	struct sip_challenge ch;
	/* a user name with '"' and '\\' is escaped in the header, hashed as is */
	CHECK_INT(parse(&ch, "Digest realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\", qop=auth"),
	          0);
	struct sip_digest_input in = alice(&ch, "REGISTER", "sip:example.com");
	in.user = "al\"i\\ce";
	struct sip_buf b;
	sip_buf_init(&b, 0);
	CHECK_INT(sip_digest_authorization(&b, &in), 0);
	CHECK(strstr(b.p, "username=\"al\\\"i\\\\ce\", "));
	CHECK_FIELD(b.p, "response", "27867c5fdf0b8c589d39f32472217254");
	sip_buf_reset(&b);
	/* realm and nonce go back exactly as the server wrote them */
	CHECK_INT(parse(&ch, "Digest realm=\"a\\\"b\\\\c\", nonce=\"n\\\"x\", qop=auth"), 0);
	in = alice(&ch, "REGISTER", "sip:example.com");
	CHECK_INT(sip_digest_authorization(&b, &in), 0);
	CHECK(strstr(b.p, "realm=\"a\\\"b\\\\c\", nonce=\"n\\\"x\", "));
	CHECK_FIELD(b.p, "response", "d70ceb01786c91900ba32af2e0d1898d");
	/* a bare realm is quoted */
	sip_buf_reset(&b);
	CHECK_INT(parse(&ch, "Digest realm=sip.example.com, nonce=4e0a8f6b2c"), 0);
	CHECK_INT(sip_digest_authorization(&b, &in), 0);
	CHECK(strstr(b.p, "realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\""));
	CHECK_FIELD(b.p, "response", "509ee8dc1e8578080b2b60c9931718ba");
	sip_buf_reset(&b);
	return 0;
}

/* The value is appended to what the buffer holds. */
TEST(auth_header_appends)
{
	struct sip_challenge ch;
	CHECK_INT(parse(&ch, "Digest realm=\"sip.example.com\", nonce=\"4e0a8f6b2c\""), 0);
	struct sip_digest_input in = alice(&ch, "REGISTER", "sip:example.com");
	struct sip_buf b;
	sip_buf_init(&b, 0);
	CHECK_INT(sip_buf_puts(&b, "Authorization: "), 0);
	CHECK_INT(sip_digest_authorization(&b, &in), 0);
	CHECK(strncmp(b.p, "Authorization: Digest username=\"alice\", ", 40) == 0);
	sip_buf_reset(&b);
	/* too small a buffer: an error, and nothing half-written */
	sip_buf_init(&b, 40);
	CHECK_INT(sip_buf_puts(&b, "Authorization: "), 0);
	CHECK_INT(sip_digest_authorization(&b, &in), SIP_ETOOBIG);
	CHECK_CSTR(b.p, "Authorization: ");
	sip_buf_reset(&b);
	return 0;
}

TEST(auth_bad_input)
{
	struct sip_challenge ch;
	char hex[129];
	CHECK_INT(parse(&ch, rfc_md5), 0);
	struct sip_digest_input in = rfc_input(&ch);
	struct sip_buf b;
	sip_buf_init(&b, 0);
	/* the hex buffer: 32 digits and a NUL for MD5 */
	CHECK_INT(sip_digest_response(&in, NULL, hex, 32), SIP_ENOSPC);
	CHECK_INT(sip_digest_response(&in, NULL, hex, 33), 0);
	CHECK_INT(sip_digest_response(&in, NULL, NULL, 33), SIP_EINVAL);
	CHECK_INT(sip_digest_response(NULL, NULL, hex, sizeof hex), SIP_EINVAL);

	struct sip_digest_input bad = in;
	bad.user = NULL;
	CHECK_INT(sip_digest_response(&bad, NULL, hex, sizeof hex), SIP_EINVAL);
	bad = in;
	bad.password = NULL;
	CHECK_INT(sip_digest_authorization(&b, &bad), SIP_EINVAL);
	bad = in;
	bad.uri = "sip:a@b\r\nX-Injected: 1";
	CHECK_INT(sip_digest_authorization(&b, &bad), SIP_EINVAL);
	bad = in;
	bad.uri = "sip:\"a\"@b";
	CHECK_INT(sip_digest_authorization(&b, &bad), SIP_EINVAL);
	bad = in;
	bad.user = "ali\nce";
	CHECK_INT(sip_digest_authorization(&b, &bad), SIP_EINVAL);
	bad = in;
	bad.method = "REG ISTER";
	CHECK_INT(sip_digest_authorization(&b, &bad), SIP_EINVAL);
	bad = in;
	bad.cnonce = "a\"b";
	CHECK_INT(sip_digest_authorization(&b, &bad), SIP_EINVAL);
	bad = in;
	bad.ch = NULL;
	CHECK_INT(sip_digest_authorization(&b, &bad), SIP_EINVAL);
	CHECK_INT(sip_digest_authorization(NULL, &in), SIP_EINVAL);
	CHECK_INT(b.len, 0);

	/* an algorithm we do not compute */
	struct sip_challenge unk;
	CHECK_INT(parse(&unk, "Digest realm=r, nonce=n, algorithm=SHA-1"), 0);
	bad = in;
	bad.ch = &unk;
	CHECK_INT(sip_digest_authorization(&b, &bad), SIP_EINVAL);
	CHECK_INT(b.len, 0);

	/* a challenge filled in by hand must hold what a parse would give */
	struct sip_challenge hand = {
		.realm = SIP_STR("r\"x"), .nonce = SIP_STR("n"), .alg = SIP_DIGEST_MD5};
	bad = in;
	bad.ch = &hand;
	CHECK_INT(sip_digest_authorization(&b, &bad), SIP_EINVAL);
	hand.realm = SIP_STR("r\\");
	CHECK_INT(sip_digest_authorization(&b, &bad), SIP_EINVAL);
	hand.realm = SIP_STR("r\r\n");
	CHECK_INT(sip_digest_authorization(&b, &bad), SIP_EINVAL);
	hand.realm = SIP_STR("r");
	hand.algorithm = SIP_STR("MD5\r\nX: y");
	CHECK_INT(sip_digest_authorization(&b, &bad), SIP_EINVAL);
	hand.algorithm = SIP_STR("MD5");
	CHECK_INT(sip_digest_authorization(&b, &bad), 0);
	CHECK_FIELD(b.p, "realm", "r");
	sip_buf_reset(&b);
	return 0;
}
