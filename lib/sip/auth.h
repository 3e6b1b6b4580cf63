/* sip/auth.h - HTTP digest authentication for SIP: challenges, responses,
 * Authorization values. */
#ifndef SIP_AUTH_H
#define SIP_AUTH_H

#include <sip/base.h>
#include <sip/str.h>
#include <sip/msg.h>
#include <sip/build.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- auth: HTTP digest for SIP (RFC 3261 §22, RFC 7616, RFC 8760) ------ */

enum sip_digest_alg {
	SIP_DIGEST_UNKNOWN = 0,
	SIP_DIGEST_MD5,
	SIP_DIGEST_MD5_SESS,
	SIP_DIGEST_SHA256,
	SIP_DIGEST_SHA256_SESS,
	SIP_DIGEST_SHA512_256,
	SIP_DIGEST_SHA512_256_SESS,
};
/* "MD5", "SHA-256-sess"...; NULL for UNKNOWN. */
SIP_API const char *sip_digest_alg_name(enum sip_digest_alg alg);

/* One WWW-Authenticate or Proxy-Authenticate value, as slices of it. */
struct sip_challenge {
	bool proxy;            /* from Proxy-Authenticate (a 407) */
	struct sip_str scheme; /* "Digest" */
	struct sip_str realm;
	struct sip_str nonce;
	struct sip_str opaque;
	struct sip_str algorithm; /* as written; empty means MD5 */
	enum sip_digest_alg alg;
	struct sip_str qop; /* the list as written */
	bool qop_auth;
	bool qop_auth_int;
	bool stale;
	bool userhash;
};
/* Parses a challenge; quoted values keep their escapes. SIP_ESCHEME for a
 * scheme other than Digest (the challenge still says which, in scheme). */
SIP_API int sip_challenge_parse(struct sip_challenge *ch, struct sip_str value, bool proxy);
/*
 * From a 401's WWW-Authenticate or a 407's Proxy-Authenticate headers (one
 * or several), the challenge to answer: the strongest algorithm this
 * library computes (SHA-512-256, then SHA-256, then MD5). SIP_ENOTFOUND
 * when there is none it can answer.
 */
SIP_API int sip_challenge_pick(const struct sip_msg *resp, struct sip_challenge *ch);

struct sip_digest_input {
	const struct sip_challenge *ch;
	const char *user; /* the authentication user name */
	const char *password;
	const char *method;  /* of the request being authorized */
	const char *uri;     /* its Request-URI: the digest-uri */
	struct sip_str body; /* for qop=auth-int */
	uint32_t nc;         /* nonce count: 1 for a fresh nonce, then up */
	const char *cnonce;  /* NULL: a fresh random one */
};
/* The hex "response" of RFC 7616 §3.4.1 into hex (cap > 128). */
SIP_API int sip_digest_response(const struct sip_digest_input *in, const char *cnonce, char *hex,
                                size_t cap);
/* Appends the whole Authorization (or Proxy-Authorization) header value,
 * "Digest username=..., realm=..., ...", to out. qop is auth when offered,
 * else auth-int, else none (RFC 2069 style): auth-int protects only a body,
 * and many servers and SDP-rewriting middleboxes get it wrong. */
SIP_API int sip_digest_authorization(struct sip_buf *out, const struct sip_digest_input *in);

/* ---- the server's side: challenge and check (RFC 3261 §22.4) ------------ */

/* One Authorization or Proxy-Authorization value, as slices of it; quoted
 * values without their quotes, escapes kept. */
struct sip_credentials {
	struct sip_str scheme; /* "Digest" */
	struct sip_str username, realm, nonce, uri, response;
	struct sip_str algorithm; /* as written; empty means MD5 */
	enum sip_digest_alg alg;
	struct sip_str cnonce, nc, qop, opaque;
	bool userhash;
};
/* Parses credentials: username, realm, nonce, uri and response are required
 * (RFC 7616 §3.4), a known parameter given twice is SIP_ESYNTAX. SIP_ESCHEME
 * for a scheme other than Digest. */
SIP_API int sip_credentials_parse(struct sip_credentials *cr, struct sip_str value);

/* What a server accepts and how it makes its nonces. */
struct sip_digest_server {
	const char *realm;
	const char *user;
	const char *password;
	const void *secret; /* the key of the nonces' HMAC, random per run (sip_rand_token) */
	size_t secret_len;
	uint64_t now;       /* seconds, on a clock that does not go back while the secret lives */
	uint32_t nonce_ttl; /* seconds a nonce stays fresh */
	bool proxy;         /* 407: Proxy-Authenticate and Proxy-Authorization */
};

/* A nonce: the time in 16 hex digits and an HMAC-SHA-256 of it under the
 * secret, 64 more, so that the check needs no table of nonces given. */
#define SIP_DIGEST_NONCE_LEN 80
/* The nonce for srv->now into out (cap > SIP_DIGEST_NONCE_LEN). */
SIP_API int sip_digest_nonce(const struct sip_digest_server *srv, char *out, size_t cap);

/* A 401's challenges: SHA-256 first, then MD5 (RFC 8760 §2.4). */
#define SIP_DIGEST_NCHALLENGES 2
/*
 * Appends the challenge header lines to out, each followed by a NUL:
 *   WWW-Authenticate: Digest realm="R", nonce="N", algorithm=SHA-256, qop="auth"
 * and the same with MD5 (Proxy-Authenticate when srv->proxy), and points
 * hdrs at them for sip_response_spec.headers; they are valid while out is
 * not changed. stale adds stale=true (after SIP_DIGEST_STALE).
 */
SIP_API int sip_digest_challenge(struct sip_buf *out,
                                 struct sip_build_hdr hdrs[SIP_DIGEST_NCHALLENGES],
                                 const struct sip_digest_server *srv, bool stale);

enum sip_digest_verdict {
	SIP_DIGEST_OK = 0,
	/* No credentials for our realm: challenge. */
	SIP_DIGEST_NONE,
	/* Another user, a wrong response, an algorithm or qop not offered, a
	 * digest-uri other than the Request-URI, userhash (not offered):
	 * challenge again, or refuse (403). */
	SIP_DIGEST_WRONG,
	/* The right response to a nonce expired or not ours (made in a run
	 * before): challenge with stale=true. */
	SIP_DIGEST_STALE,
	/* Credentials that do not parse, or without qop, cnonce or nc: 400. */
	SIP_DIGEST_MALFORMED,
};
/*
 * Checks the credentials of req (Authorization, or Proxy-Authorization when
 * srv->proxy) for srv's realm into *verdict. Credentials without qop (RFC
 * 2069) are MALFORMED: we offer qop=auth, and without a cnonce the response
 * is the server's nonce hashed with the password alone. A nonce stays
 * usable until it expires, however often it is used: there is no table
 * of nonce counts. Returns 0, or SIP_EINVAL / SIP_ENOMEM.
 */
SIP_API int sip_digest_check(const struct sip_digest_server *srv, const struct sip_msg *req,
                             enum sip_digest_verdict *verdict);

#ifdef __cplusplus
}
#endif
#endif
