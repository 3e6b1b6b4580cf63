/* authsrv_test.c - the server's side of digest (lib/auth.c): credentials
 * parsing, nonces, the challenge lines, and the check, answered by the
 * library's own client (sip_challenge_parse, sip_digest_authorization) and
 * by the RFC 7616 §3.9.1 example. */
#include <stdint.h>
#include <stdlib.h>

#include "test.h"

#define REALM "sip.example.com"
#define RURI "sip:bob@sip.example.com"

static const char secret[] = "a per-run secret of some length!";

static struct sip_digest_server server(uint64_t now)
{
	struct sip_digest_server srv = {
		.realm = REALM,
		.user = "alice",
		.password = "s3cret",
		.secret = secret,
		.secret_len = sizeof secret - 1,
		.now = now,
		.nonce_ttl = 300,
	};
	return srv;
}

/* The value of challenge line i from srv: what follows "Name: ". */
static const char *challenge_value(struct sip_buf *b, const struct sip_digest_server *srv, size_t i,
                                   bool stale)
{
	struct sip_build_hdr hdrs[SIP_DIGEST_NCHALLENGES];
	if (sip_digest_challenge(b, hdrs, srv, stale))
		return NULL;
	const char *colon = strchr(hdrs[i].line, ':');
	return colon ? colon + 2 : NULL;
}

/* The Authorization value our client gives for challenge i of srv. */
static int answer(char *out, size_t cap, const struct sip_digest_server *srv, size_t i,
                  const char *user, const char *password, const char *uri)
{
	struct sip_buf b, a;
	sip_buf_init(&b, 4096);
	sip_buf_init(&a, 4096);
	struct sip_challenge ch;
	const char *value = challenge_value(&b, srv, i, false);
	int err = value ? sip_challenge_parse(&ch, sip_str_from(value), srv->proxy) : SIP_EINVAL;
	if (!err) {
		struct sip_digest_input in = {.ch = &ch,
		                              .user = user,
		                              .password = password,
		                              .method = "INVITE",
		                              .uri = uri};
		err = sip_digest_authorization(&a, &in);
	}
	if (!err)
		snprintf(out, cap, "%s", a.p);
	sip_buf_reset(&a);
	sip_buf_reset(&b);
	return err;
}

static struct sip_msg msg;
static char text[4096];

/* The verdict on a request to ruri carrying the header lines extra. */
static int verdict_on(const struct sip_digest_server *srv, const char *method, const char *ruri,
                      const char *extra, enum sip_digest_verdict *v)
{
	snprintf(text, sizeof text,
	         "%s %s SIP/2.0\r\n"
	         "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK776asdhds\r\n"
	         "To: <" RURI ">\r\n"
	         "From: <sip:alice@sip.example.com>;tag=2\r\n"
	         "Call-ID: abc@192.0.2.1\r\n"
	         "CSeq: 1 %s\r\n"
	         "%s"
	         "Content-Length: 0\r\n\r\n",
	         method, ruri, method, extra);
	int err = sip_msg_parse(&msg, text, strlen(text), 0);
	if (err)
		return err;
	return sip_digest_check(srv, &msg, v);
}

/* The verdict on an INVITE to RURI with "Authorization: value". */
static int verdict(const struct sip_digest_server *srv, const char *value,
                   enum sip_digest_verdict *v)
{
	char line[2048];
	snprintf(line, sizeof line, "%s: %s\r\n",
	         srv->proxy ? "Proxy-Authorization" : "Authorization", value);
	return verdict_on(srv, "INVITE", RURI, line, v);
}

TEST(authsrv_round_trip)
{
	for (size_t i = 0; i < SIP_DIGEST_NCHALLENGES; i++) {
		struct sip_digest_server srv = server(1000);
		char auth[1024];
		enum sip_digest_verdict v;
		CHECK_INT(answer(auth, sizeof auth, &srv, i, "alice", "s3cret", RURI), 0);
		CHECK(strstr(auth, i == 0 ? "algorithm=SHA-256" : "algorithm=MD5") != NULL);
		CHECK(strstr(auth, "qop=auth") != NULL);
		CHECK_INT(verdict(&srv, auth, &v), 0);
		CHECK_INT(v, SIP_DIGEST_OK);
		srv.now += 300; /* the last second of its life */
		CHECK_INT(verdict(&srv, auth, &v), 0);
		CHECK_INT(v, SIP_DIGEST_OK);
		srv.proxy = true; /* a proxy reads Proxy-Authorization only */
		CHECK_INT(verdict_on(&srv, "INVITE", RURI, "", &v), 0);
		CHECK_INT(v, SIP_DIGEST_NONE);
	}
	return 0;
}

TEST(authsrv_proxy)
{
	struct sip_digest_server srv = server(50);
	srv.proxy = true;
	char auth[1024], line[1100];
	enum sip_digest_verdict v;
	CHECK_INT(answer(auth, sizeof auth, &srv, 0, "alice", "s3cret", RURI), 0);
	CHECK_INT(verdict(&srv, auth, &v), 0);
	CHECK_INT(v, SIP_DIGEST_OK);
	snprintf(line, sizeof line, "Authorization: %s\r\n", auth);
	CHECK_INT(verdict_on(&srv, "INVITE", RURI, line, &v), 0);
	CHECK_INT(v, SIP_DIGEST_NONE);
	return 0;
}

TEST(authsrv_challenge_lines)
{
	struct sip_digest_server srv = server(0x1234);
	struct sip_buf b;
	sip_buf_init(&b, 4096);
	struct sip_build_hdr hdrs[SIP_DIGEST_NCHALLENGES];
	CHECK_INT(sip_digest_challenge(&b, hdrs, &srv, false), 0);
	char nonce[SIP_DIGEST_NONCE_LEN + 1];
	CHECK_INT(sip_digest_nonce(&srv, nonce, sizeof nonce), 0);
	CHECK_INT(strlen(nonce), SIP_DIGEST_NONCE_LEN);
	CHECK(strncmp(nonce, "0000000000001234", 16) == 0);
	char want[256];
	snprintf(want, sizeof want,
	         "WWW-Authenticate: Digest realm=\"" REALM
	         "\", nonce=\"%s\", algorithm=SHA-256, qop=\"auth\"",
	         nonce);
	CHECK(strcmp(hdrs[0].line, want) == 0);
	snprintf(want, sizeof want,
	         "WWW-Authenticate: Digest realm=\"" REALM
	         "\", nonce=\"%s\", algorithm=MD5, qop=\"auth\"",
	         nonce);
	CHECK(strcmp(hdrs[1].line, want) == 0);
	sip_buf_reset(&b);

	srv.proxy = true;
	sip_buf_init(&b, 4096);
	CHECK_INT(sip_digest_challenge(&b, hdrs, &srv, true), 0);
	for (size_t i = 0; i < SIP_DIGEST_NCHALLENGES; i++) {
		CHECK(strncmp(hdrs[i].line, "Proxy-Authenticate: Digest ", 27) == 0);
		struct sip_challenge ch;
		CHECK_INT(sip_challenge_parse(&ch, sip_str_from(hdrs[i].line + 20), true), 0);
		CHECK(ch.stale);
		CHECK(ch.qop_auth);
		CHECK_INT(ch.alg, i == 0 ? SIP_DIGEST_SHA256 : SIP_DIGEST_MD5);
		CHECK_STR(ch.realm, REALM);
		CHECK_STR(ch.nonce, nonce);
	}
	sip_buf_reset(&b);

	/* a buffer too small keeps nothing half-written */
	sip_buf_init(&b, 64);
	sip_buf_puts(&b, "x");
	CHECK_INT(sip_digest_challenge(&b, hdrs, &srv, false), SIP_ETOOBIG);
	sip_buf_reset(&b);

	srv.realm = "a\"b"; /* no realm we could not quote as given */
	sip_buf_init(&b, 4096);
	CHECK_INT(sip_digest_challenge(&b, hdrs, &srv, false), SIP_EINVAL);
	CHECK_INT(b.len, 0);
	sip_buf_reset(&b);
	return 0;
}

TEST(authsrv_wrong)
{
	struct sip_digest_server srv = server(1000);
	char auth[1024];
	enum sip_digest_verdict v;
	CHECK_INT(answer(auth, sizeof auth, &srv, 0, "alice", "guess", RURI), 0);
	CHECK_INT(verdict(&srv, auth, &v), 0);
	CHECK_INT(v, SIP_DIGEST_WRONG);
	CHECK_INT(answer(auth, sizeof auth, &srv, 1, "mallory", "s3cret", RURI), 0);
	CHECK_INT(verdict(&srv, auth, &v), 0);
	CHECK_INT(v, SIP_DIGEST_WRONG);
	/* the digest-uri names another resource */
	CHECK_INT(
		answer(auth, sizeof auth, &srv, 0, "alice", "s3cret", "sip:carol@sip.example.com"),
		0);
	CHECK_INT(verdict(&srv, auth, &v), 0);
	CHECK_INT(v, SIP_DIGEST_WRONG);
	/* the same request, another method: the response covers it */
	CHECK_INT(answer(auth, sizeof auth, &srv, 0, "alice", "s3cret", RURI), 0);
	char line[1100];
	snprintf(line, sizeof line, "Authorization: %s\r\n", auth);
	CHECK_INT(verdict_on(&srv, "MESSAGE", RURI, line, &v), 0);
	CHECK_INT(v, SIP_DIGEST_WRONG);
	return 0;
}

TEST(authsrv_uri_loose)
{
	/* the digest-uri with its parameters re-ordered is the same URI */
	struct sip_digest_server srv = server(1000);
	char auth[1024], line[1100];
	enum sip_digest_verdict v;
	CHECK_INT(answer(auth, sizeof auth, &srv, 0, "alice", "s3cret",
	                 "sip:bob@SIP.example.com;transport=udp;lr"),
	          0);
	snprintf(line, sizeof line, "Authorization: %s\r\n", auth);
	CHECK_INT(verdict_on(&srv, "INVITE", "sip:bob@sip.example.com;lr;transport=udp", line, &v),
	          0);
	CHECK_INT(v, SIP_DIGEST_OK);
	return 0;
}

TEST(authsrv_other_realm)
{
	struct sip_digest_server srv = server(1000), other = server(1000);
	other.realm = "elsewhere.example.com";
	char auth[1024], mine[1024], lines[2200];
	enum sip_digest_verdict v;
	CHECK_INT(answer(auth, sizeof auth, &other, 0, "alice", "s3cret", RURI), 0);
	CHECK_INT(verdict(&srv, auth, &v), 0);
	CHECK_INT(v, SIP_DIGEST_NONE);
	/* credentials for two realms: ours are judged, wherever they stand */
	CHECK_INT(answer(mine, sizeof mine, &srv, 1, "alice", "s3cret", RURI), 0);
	snprintf(lines, sizeof lines, "Authorization: %s\r\nAuthorization: %s\r\n", auth, mine);
	CHECK_INT(verdict_on(&srv, "INVITE", RURI, lines, &v), 0);
	CHECK_INT(v, SIP_DIGEST_OK);
	/* a Basic header is not ours to judge */
	CHECK_INT(verdict_on(&srv, "INVITE", RURI, "Authorization: Basic YWxpY2U6czNjcmV0\r\n", &v),
	          0);
	CHECK_INT(v, SIP_DIGEST_NONE);
	return 0;
}

/* The nonce's n-th character, changed. */
static void tamper(char *auth, size_t n)
{
	char *p = strstr(auth, "nonce=\"") + 7 + n;
	*p = *p == '0' ? '1' : '0';
}

TEST(authsrv_nonce)
{
	struct sip_digest_server srv = server(1000);
	char auth[1024];
	enum sip_digest_verdict v;

	/* tampered after the response was computed: the response is wrong */
	CHECK_INT(answer(auth, sizeof auth, &srv, 0, "alice", "s3cret", RURI), 0);
	tamper(auth, 20);
	CHECK_INT(verdict(&srv, auth, &v), 0);
	CHECK_INT(v, SIP_DIGEST_WRONG);

	/* expired, or in the future: stale, since the response is right */
	CHECK_INT(answer(auth, sizeof auth, &srv, 0, "alice", "s3cret", RURI), 0);
	srv.now = 1301;
	CHECK_INT(verdict(&srv, auth, &v), 0);
	CHECK_INT(v, SIP_DIGEST_STALE);
	srv.now = 999;
	CHECK_INT(verdict(&srv, auth, &v), 0);
	CHECK_INT(v, SIP_DIGEST_STALE);

	/* made under another secret (a run before) or with its time changed */
	struct sip_digest_server before = server(1000);
	before.secret = "another secret";
	before.secret_len = 14;
	srv.now = 1000;
	CHECK_INT(answer(auth, sizeof auth, &before, 0, "alice", "s3cret", RURI), 0);
	CHECK_INT(verdict(&srv, auth, &v), 0);
	CHECK_INT(v, SIP_DIGEST_STALE);
	CHECK_INT(verdict(&before, auth, &v), 0);
	CHECK_INT(v, SIP_DIGEST_OK);
	return 0;
}

/* tmpl with its one "%s" replaced by nonce. */
static void fill(char *out, size_t cap, const char *tmpl, const char *nonce)
{
	const char *at = strstr(tmpl, "%s");
	snprintf(out, cap, "%.*s%s%s", (int)(at - tmpl), tmpl, nonce, at + 2);
}

TEST(authsrv_malformed)
{
	struct sip_digest_server srv = server(1000);
	char nonce[SIP_DIGEST_NONCE_LEN + 1], value[1024];
	enum sip_digest_verdict v;
	CHECK_INT(sip_digest_nonce(&srv, nonce, sizeof nonce), 0);
	static const char *const bad[] = {
		/* no qop (RFC 2069 style), refused */
		"Digest username=\"alice\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" RURI
		"\", response=\"0123456789abcdef0123456789abcdef\"",
		/* qop without cnonce, without nc, with a bad nc */
		"Digest username=\"alice\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" RURI
		"\", response=\"00\", qop=auth, nc=00000001",
		"Digest username=\"alice\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" RURI
		"\", response=\"00\", qop=auth, cnonce=\"c\"",
		"Digest username=\"alice\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" RURI
		"\", response=\"00\", qop=auth, cnonce=\"c\", nc=1",
		"Digest username=\"alice\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" RURI
		"\", response=\"00\", qop=auth, cnonce=\"c\", nc=00000000",
		"Digest username=\"alice\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" RURI
		"\", response=\"00\", qop=auth, cnonce=\"\", nc=00000001",
		/* no uri */
		"Digest username=\"alice\", realm=\"" REALM "\", nonce=\"%s\", response=\"00\"",
		/* garbage */
		"Digest username=\"alice, realm=\"" REALM "\" %s",
		"Digest %s",
		"Digest username=\"alice\", username=\"bob\", realm=\"" REALM "\", nonce=\"%s\", "
		"uri=\"" RURI "\", response=\"00\"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fill(value, sizeof value, bad[i], nonce);
		CHECK_INT(verdict(&srv, value, &v), 0);
		if (v != SIP_DIGEST_MALFORMED)
			fprintf(stderr, "case %zu\n", i);
		CHECK_INT(v, SIP_DIGEST_MALFORMED);
	}
	/* an algorithm or qop we did not offer: answered with a new challenge */
	static const char *const other[] = {
		"Digest username=\"alice\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" RURI
		"\", response=\"00\", qop=auth-int, cnonce=\"c\", nc=00000001",
		"Digest username=\"alice\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" RURI
		"\", response=\"00\", qop=auth, cnonce=\"c\", nc=00000001, algorithm=SHA-512-256",
		"Digest username=\"alice\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" RURI
		"\", response=\"00\", qop=auth, cnonce=\"c\", nc=00000001, algorithm=MD5-sess",
	};
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
		fill(value, sizeof value, other[i], nonce);
		CHECK_INT(verdict(&srv, value, &v), 0);
		CHECK_INT(v, SIP_DIGEST_WRONG);
	}
	CHECK_INT(verdict_on(&srv, "INVITE", RURI, "", &v), 0);
	CHECK_INT(v, SIP_DIGEST_NONE);
	return 0;
}

TEST(authsrv_credentials_parse)
{
	struct sip_credentials cr;
	CHECK_INT(sip_credentials_parse(
			  &cr, SIP_STR("Digest username=\"a\\\"b\", realm=\"r\", nonce=n1, "
	                               "uri=\"sip:x@y\", response=\"ab\", algorithm=SHA-256, "
	                               "cnonce=\"c\", nc=0000000a, qop=auth, opaque=\"o\", "
	                               "userhash=true, extension=\"x\"")),
	          0);
	CHECK_STR(cr.scheme, "Digest");
	CHECK_STR(cr.username, "a\\\"b");
	CHECK_STR(cr.realm, "r");
	CHECK_STR(cr.nonce, "n1");
	CHECK_STR(cr.uri, "sip:x@y");
	CHECK_STR(cr.response, "ab");
	CHECK_STR(cr.algorithm, "SHA-256");
	CHECK_INT(cr.alg, SIP_DIGEST_SHA256);
	CHECK_STR(cr.cnonce, "c");
	CHECK_STR(cr.nc, "0000000a");
	CHECK_STR(cr.qop, "auth");
	CHECK_STR(cr.opaque, "o");
	CHECK(cr.userhash);

	CHECK_INT(sip_credentials_parse(&cr, SIP_STR("Digest username=\"a\", realm=\"r\", "
	                                             "nonce=\"n\", uri=\"u\", response=\"x\"")),
	          0);
	CHECK_INT(cr.alg, SIP_DIGEST_MD5);
	CHECK(cr.cnonce.p == NULL && cr.qop.p == NULL && !cr.userhash);

	CHECK_INT(sip_credentials_parse(&cr, SIP_STR("Basic YWxpY2U6czNjcmV0")), SIP_ESCHEME);
	CHECK_STR(cr.scheme, "Basic");
	CHECK_INT(sip_credentials_parse(&cr, SIP_STR("Digest username=\"a\", realm=\"r\", "
	                                             "nonce=\"n\", uri=\"u\"")),
	          SIP_ESYNTAX);
	CHECK_INT(sip_credentials_parse(&cr, SIP_STR("Digest username=\"a")), SIP_EQUOTE);
	CHECK_INT(sip_credentials_parse(&cr, SIP_STR("Digest username=\"a\r\nb\", realm=\"r\", "
	                                             "nonce=\"n\", uri=\"u\", response=\"x\"")),
	          SIP_ESYNTAX);
	CHECK_INT(sip_credentials_parse(&cr, SIP_STR("")), SIP_ESYNTAX);
	CHECK_INT(sip_credentials_parse(NULL, SIP_STR("Digest")), SIP_EINVAL);
	return 0;
}

/* RFC 7616 §3.9.1's credentials, checked by a server holding Mufasa's
 * password: the responses are right, the nonce is not one of ours. */
TEST(authsrv_rfc7616)
{
	static const char *const creds[] = {
		"Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", "
		"algorithm=MD5, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, "
		"cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, "
		"response=\"8ca523f5e9506fed4657c9700eebdbec\", "
		"opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
		"Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", "
		"algorithm=SHA-256, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
		"nc=00000001, cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, "
		"response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\", "
		"opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
	};
	struct sip_digest_server srv = server(1000);
	srv.realm = "http-auth@example.org";
	srv.user = "Mufasa";
	srv.password = "Circle of Life";
	char line[1024];
	enum sip_digest_verdict v;
	for (size_t i = 0; i < 2; i++) {
		snprintf(line, sizeof line, "Authorization: %s\r\n", creds[i]);
		srv.password = "Circle of Life";
		CHECK_INT(verdict_on(&srv, "GET", "/dir/index.html", line, &v), 0);
		CHECK_INT(v, SIP_DIGEST_STALE);
		srv.password = "Circle of life";
		CHECK_INT(verdict_on(&srv, "GET", "/dir/index.html", line, &v), 0);
		CHECK_INT(v, SIP_DIGEST_WRONG);
	}
	return 0;
}

TEST(authsrv_bad_input)
{
	struct sip_digest_server srv = server(1000);
	enum sip_digest_verdict v;
	char nonce[SIP_DIGEST_NONCE_LEN + 1];
	CHECK_INT(sip_digest_nonce(&srv, nonce, SIP_DIGEST_NONCE_LEN), SIP_ENOSPC);
	CHECK_INT(verdict_on(&srv, "INVITE", RURI, "", &v), 0);
	CHECK_INT(sip_digest_check(NULL, &msg, &v), SIP_EINVAL);
	CHECK_INT(sip_digest_check(&srv, &msg, NULL), SIP_EINVAL);
	srv.secret_len = 0;
	CHECK_INT(sip_digest_check(&srv, &msg, &v), SIP_EINVAL);
	CHECK_INT(sip_digest_nonce(&srv, nonce, sizeof nonce), SIP_EINVAL);
	srv = server(1000);
	srv.password = NULL;
	CHECK_INT(sip_digest_check(&srv, &msg, &v), SIP_EINVAL);
	return 0;
}
