/* sip/build.h - output buffers, random tokens, and building requests and
 * responses. */
#ifndef SIP_BUILD_H
#define SIP_BUILD_H

#include <sip/base.h>
#include <sip/method.h>
#include <sip/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- build: requests and responses ----------------------------------- */

/* A growable output buffer with a size cap; an error sticks in err. */
struct sip_buf {
	char *p;
	size_t len;
	size_t cap;
	size_t max;
	int err;
};
SIP_API void sip_buf_init(struct sip_buf *b, size_t max);
SIP_API void sip_buf_reset(struct sip_buf *b); /* frees and re-inits */
SIP_API int sip_buf_append(struct sip_buf *b, const char *p, size_t len);
SIP_API int sip_buf_puts(struct sip_buf *b, const char *s);
SIP_API int sip_buf_printf(struct sip_buf *b, const char *fmt, ...) SIP_PRINTF(2, 3);

/* Random tokens from the system CSPRNG: out gets len characters and a NUL. */
SIP_API int sip_rand_token(char *out, size_t len);

/* A user-given header line "Name: value": replaces a default of that name, or adds. */
struct sip_build_hdr {
	const char *line;
};

struct sip_request_spec {
	enum sip_method method;
	const char *method_name; /* for SIP_METHOD_OTHER */
	const char *ruri;
	const char *from;     /* name-addr or URI; a tag is added unless from_tag is "" */
	const char *from_tag; /* NULL: fresh */
	const char *to;       /* default: the Request-URI */
	const char *to_tag;
	const char *call_id;   /* NULL: fresh */
	uint32_t cseq;         /* 0: 1 */
	const char *transport; /* Via transport, default "UDP" */
	const char *via_host;  /* sent-by */
	uint16_t via_port;
	const char *branch;    /* NULL: fresh z9hG4bK branch */
	const char *contact;   /* NULL: none */
	unsigned max_forwards; /* 0: the default, 70 (send 0 with a Max-Forwards user header) */
	const char *user_agent;
	const char *content_type;
	const char *body;
	size_t body_len;
	const struct sip_build_hdr *headers;
	size_t nheaders;
};
SIP_API int sip_build_request(struct sip_buf *out, const struct sip_request_spec *spec);

struct sip_response_spec {
	unsigned status;
	const char *reason; /* NULL: the default phrase */
	const char *to_tag; /* added to To when it has none; NULL: fresh for >100, none for 100 */
	const char *contact;
	const char *server; /* the Server header: a response's User-Agent */
	const char *content_type;
	const char *body;
	size_t body_len;
	const struct sip_build_hdr *headers;
	size_t nheaders;
};
/* A response to req: Via, From, To, Call-ID, CSeq copied as RFC 3261 §8.2.6 says. */
SIP_API int sip_build_response(struct sip_buf *out, const struct sip_msg *req,
                               const struct sip_response_spec *spec);

#ifdef __cplusplus
}
#endif
#endif
