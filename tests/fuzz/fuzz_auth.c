/* fuzz_auth.c - libFuzzer target for digest challenges: the input is parsed
 * as one WWW-Authenticate value and, inside a 401 and a 407, as the headers
 * sip_challenge_pick chooses among. Whatever parses must lie inside the
 * input, be answerable exactly when its algorithm and qop are known, and
 * give an Authorization value that is one line and parses back, as a
 * challenge and as credentials, to the same realm, nonce and opaque. The
 * input is read as credentials too, alone and in a request a server checks:
 * it cannot be accepted, since no nonce of ours is in it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sip/sip.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool inside(struct sip_str s, const char *buf, size_t size)
{
	return s.len == 0 || (s.p >= buf && s.p + s.len <= buf + size);
}

static bool same(struct sip_str a, struct sip_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static void answer(const struct sip_challenge *ch)
{
	struct sip_digest_input in = {
		.ch = ch,
		.user = "al\"ice",
		/* a control character no output can hold: the check below cannot
		 * be fooled by a realm that spells the password */
		.password = "se\001cret",
		.method = "REGISTER",
		.uri = "sip:example.com",
		.body = {"body", 4},
		.nc = 3,
		.cnonce = "0a4f113b",
	};
	bool usable = ch->alg != SIP_DIGEST_UNKNOWN &&
	              (ch->qop_auth || ch->qop_auth_int || sip_str_trim(ch->qop).len == 0);
	char hex[129];
	int rc = sip_digest_response(&in, NULL, hex, sizeof hex);
	if ((rc == 0) != usable)
		abort();
	if (rc == 0 && strlen(hex) != (ch->alg <= SIP_DIGEST_MD5_SESS ? 32u : 64u))
		abort();

	struct sip_buf b;
	sip_buf_init(&b, 0);
	in.cnonce = NULL; /* a fresh one */
	rc = sip_digest_authorization(&b, &in);
	if ((rc == 0) != usable)
		abort();
	if (rc == 0) {
		if (strlen(b.p) != b.len || strpbrk(b.p, "\r\n") || strstr(b.p, "se\001cret"))
			abort();
		/* Authorization shares the challenge's syntax */
		struct sip_challenge back;
		if (sip_challenge_parse(&back, (struct sip_str){b.p, b.len}, false) != 0)
			abort();
		if (!same(back.realm, ch->realm) || !same(back.nonce, ch->nonce) ||
		    !same(back.opaque, ch->opaque) || back.alg != ch->alg)
			abort();
		struct sip_credentials cr;
		if (sip_credentials_parse(&cr, (struct sip_str){b.p, b.len}) != 0 ||
		    !same(cr.realm, ch->realm) || !same(cr.nonce, ch->nonce) ||
		    !same(cr.opaque, ch->opaque) || cr.alg != ch->alg)
			abort();
	}
	sip_buf_reset(&b);
}

static void check(const struct sip_challenge *ch, const char *buf, size_t size)
{
	if (!inside(ch->scheme, buf, size) || !inside(ch->realm, buf, size) ||
	    !inside(ch->nonce, buf, size) || !inside(ch->opaque, buf, size) ||
	    !inside(ch->algorithm, buf, size) || !inside(ch->qop, buf, size))
		abort();
	if (ch->alg > SIP_DIGEST_SHA512_256_SESS)
		abort();
	answer(ch);
}

static void credentials(const char *buf, size_t size)
{
	struct sip_credentials cr;
	int rc = sip_credentials_parse(&cr, (struct sip_str){buf, size});
	if ((rc == 0 || rc == SIP_ESCHEME) && !inside(cr.scheme, buf, size))
		abort();
	if (rc == 0 && (!inside(cr.username, buf, size) || !inside(cr.realm, buf, size) ||
	                !inside(cr.nonce, buf, size) || !inside(cr.uri, buf, size) ||
	                !inside(cr.response, buf, size) || !inside(cr.algorithm, buf, size) ||
	                !inside(cr.cnonce, buf, size) || !inside(cr.nc, buf, size) ||
	                !inside(cr.qop, buf, size) || !inside(cr.opaque, buf, size)))
		abort();

	static const char head[] = "INVITE sip:bob@example.com SIP/2.0\r\nAuthorization: ";
	static const char tail[] =
		"\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\n"
		"From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
		"Call-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
	static struct sip_msg m;
	size_t len = sizeof head - 1 + size + sizeof tail - 1;
	char *msg = malloc(len);
	if (!msg)
		abort();
	memcpy(msg, head, sizeof head - 1);
	if (size)
		memcpy(msg + sizeof head - 1, buf, size);
	memcpy(msg + sizeof head - 1 + size, tail, sizeof tail - 1);
	if (sip_msg_parse(&m, msg, len, 0) == 0) {
		struct sip_digest_server srv = {
			.realm = "example.com",
			.user = "alice",
			.password = "secret",
			.secret = "fuzz",
			.secret_len = 4,
			.now = 1000,
			.nonce_ttl = 300,
		};
		enum sip_digest_verdict v;
		if (sip_digest_check(&srv, &m, &v) != 0 || v == SIP_DIGEST_OK ||
		    v > SIP_DIGEST_MALFORMED)
			abort();
	}
	free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct sip_challenge ch;
	int rc = sip_challenge_parse(&ch, (struct sip_str){buf, size}, false);
	if (rc == 0)
		check(&ch, buf, size);
	else if (rc == SIP_ESCHEME && !inside(ch.scheme, buf, size))
		abort();
	credentials(buf, size);

	/* The input as the header values of a 401 and a 407 (line breaks in it
	 * make more header lines). */
	static const char *const heads[] = {
		"SIP/2.0 401 Unauthorized\r\nWWW-Authenticate: ",
		"SIP/2.0 407 Proxy Authentication Required\r\nProxy-Authenticate: ",
	};
	static const char tail[] =
		"\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
	static struct sip_msg m;
	for (int i = 0; i < 2; i++) {
		size_t hl = strlen(heads[i]), len = hl + size + sizeof tail - 1;
		char *msg = malloc(len);
		if (!msg)
			abort();
		memcpy(msg, heads[i], hl);
		if (size)
			memcpy(msg + hl, data, size);
		memcpy(msg + hl + size, tail, sizeof tail - 1);
		if (sip_msg_parse(&m, msg, len, 0) == 0) {
			rc = sip_challenge_pick(&m, &ch);
			if (rc == 0) {
				if (ch.proxy != (i == 1))
					abort();
				check(&ch, msg, len);
			} else if (rc != SIP_ENOTFOUND) {
				abort();
			}
		}
		free(msg);
	}
	return 0;
}
