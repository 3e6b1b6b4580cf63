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

#ifdef __cplusplus
}
#endif
#endif
