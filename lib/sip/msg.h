/* sip/msg.h - the zero-copy message parser: struct sip_msg, its header table,
 * header ids and names. */
#ifndef SIP_MSG_H
#define SIP_MSG_H

#include <sip/base.h>
#include <sip/str.h>
#include <sip/method.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- msg: zero-copy message parser ----------------------------------- */

enum sip_hdr_id {
	SIP_HDR_OTHER = 0,
	SIP_HDR_ACCEPT,
	SIP_HDR_ACCEPT_CONTACT,
	SIP_HDR_ACCEPT_ENCODING,
	SIP_HDR_ACCEPT_LANGUAGE,
	SIP_HDR_ALERT_INFO,
	SIP_HDR_ALLOW,
	SIP_HDR_ALLOW_EVENTS,
	SIP_HDR_AUTHENTICATION_INFO,
	SIP_HDR_AUTHORIZATION,
	SIP_HDR_CALL_ID,
	SIP_HDR_CALL_INFO,
	SIP_HDR_CONTACT,
	SIP_HDR_CONTENT_DISPOSITION,
	SIP_HDR_CONTENT_ENCODING,
	SIP_HDR_CONTENT_LANGUAGE,
	SIP_HDR_CONTENT_LENGTH,
	SIP_HDR_CONTENT_TYPE,
	SIP_HDR_CSEQ,
	SIP_HDR_DATE,
	SIP_HDR_ERROR_INFO,
	SIP_HDR_EVENT,
	SIP_HDR_EXPIRES,
	SIP_HDR_FROM,
	SIP_HDR_IDENTITY,
	SIP_HDR_IN_REPLY_TO,
	SIP_HDR_MAX_FORWARDS,
	SIP_HDR_MIME_VERSION,
	SIP_HDR_MIN_EXPIRES,
	SIP_HDR_MIN_SE,
	SIP_HDR_ORGANIZATION,
	SIP_HDR_P_ASSERTED_IDENTITY,
	SIP_HDR_PATH,
	SIP_HDR_PRIORITY,
	SIP_HDR_PRIVACY,
	SIP_HDR_PROXY_AUTHENTICATE,
	SIP_HDR_PROXY_AUTHORIZATION,
	SIP_HDR_PROXY_REQUIRE,
	SIP_HDR_RACK,
	SIP_HDR_REASON,
	SIP_HDR_RECORD_ROUTE,
	SIP_HDR_REFER_SUB,
	SIP_HDR_REFER_TO,
	SIP_HDR_REFERRED_BY,
	SIP_HDR_REJECT_CONTACT,
	SIP_HDR_REPLACES,
	SIP_HDR_REPLY_TO,
	SIP_HDR_REQUEST_DISPOSITION,
	SIP_HDR_REQUIRE,
	SIP_HDR_RETRY_AFTER,
	SIP_HDR_ROUTE,
	SIP_HDR_RSEQ,
	SIP_HDR_SERVER,
	SIP_HDR_SESSION_EXPIRES,
	SIP_HDR_SIP_ETAG,
	SIP_HDR_SIP_IF_MATCH,
	SIP_HDR_SUBJECT,
	SIP_HDR_SUBSCRIPTION_STATE,
	SIP_HDR_SUPPORTED,
	SIP_HDR_TIMESTAMP,
	SIP_HDR_TO,
	SIP_HDR_UNSUPPORTED,
	SIP_HDR_USER_AGENT,
	SIP_HDR_VIA,
	SIP_HDR_WARNING,
	SIP_HDR_WWW_AUTHENTICATE,
	SIP_HDR_COUNT
};
/* Folds a header name (long or compact form, any case) to its id. */
SIP_API enum sip_hdr_id sip_hdr_id_from_name(struct sip_str name);
/* Canonical long name ("Via"), or NULL for SIP_HDR_OTHER. */
SIP_API const char *sip_hdr_name(enum sip_hdr_id id);

struct sip_hdr {
	struct sip_str name;  /* as written, possibly compact */
	struct sip_str value; /* trimmed; may span folded lines */
	uint16_t id;          /* enum sip_hdr_id */
	uint16_t next;        /* index + 1 of the next header with this id, 0 at the end */
	uint32_t line;        /* 1-based line number in the message */
};

/* A message with more header lines than this is refused (SIP_ETOOBIG). */
#define SIP_MSG_MAX_HDRS 256

/* sip_msg_parse flags */
#define SIP_PARSE_STREAM 0x1 /* framed by Content-Length; SIP_EAGAIN if short */
/* A datagram whose framing is broken (no empty line after the headers, a
 * Content-Length beyond its end) still parses, with SIP_MSG_NO_EOH or
 * SIP_MSG_CL_SHORT set, so that sip_msg_check can name every problem in it. */
#define SIP_PARSE_LENIENT 0x2

/* sip_msg.flags, set by the parser */
#define SIP_MSG_BARE_LF 0x1   /* some lines end in LF alone, not CRLF */
#define SIP_MSG_NO_CL 0x2     /* no Content-Length header */
#define SIP_MSG_CL_MULTI 0x4  /* more than one Content-Length header */
#define SIP_MSG_NO_EOH 0x8    /* datagram ended inside the headers: no empty line */
#define SIP_MSG_CL_SHORT 0x10 /* datagram body shorter than its Content-Length */

struct sip_msg {
	struct sip_str raw;        /* the whole message, start line to body end */
	struct sip_str start_line; /* without its line end */
	bool is_request;
	enum sip_method method;     /* requests */
	struct sip_str method_name; /* as written */
	struct sip_str ruri;
	struct sip_str version; /* "SIP/2.0" */
	unsigned status;        /* responses */
	struct sip_str reason;
	struct sip_str body;
	size_t trailing;    /* datagram octets after the body, ignored (§18.3) */
	uint32_t body_line; /* line the body starts on */
	unsigned flags;     /* SIP_MSG_* */
	unsigned nhdrs;
	uint16_t first[SIP_HDR_COUNT]; /* index + 1 of the first header of an id */
	struct sip_hdr hdrs[SIP_MSG_MAX_HDRS];
	/* Set when sip_msg_parse fails: where and why. */
	uint32_t err_line;
	char err_text[128];
};

/*
 * Parses one message from buf. Without SIP_PARSE_STREAM the buffer is one
 * datagram: a Content-Length larger than what follows the headers is an
 * error, octets beyond it are counted in msg->trailing and ignored. With
 * SIP_PARSE_STREAM a short buffer gives SIP_EAGAIN, and msg->raw.len tells
 * how many octets the message took (leading CRLFs, which RFC 3261 §7.5
 * says to ignore, are skipped: the message used msg->raw.p + msg->raw.len - buf).
 * On failure msg->err_line and msg->err_text say where and why.
 */
SIP_API int sip_msg_parse(struct sip_msg *msg, const char *buf, size_t len, unsigned flags);

/* The first header with this id, or NULL. */
SIP_API const struct sip_hdr *sip_msg_hdr(const struct sip_msg *msg, enum sip_hdr_id id);
/* The next header of the same id after h, or NULL. */
SIP_API const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *msg, const struct sip_hdr *h);
/* The first header of this name (compared case-insensitively, compact forms folded). */
SIP_API const struct sip_hdr *sip_msg_hdr_by_name(const struct sip_msg *msg, struct sip_str name);
/* Number of headers with this id. */
SIP_API unsigned sip_msg_hdr_count(const struct sip_msg *msg, enum sip_hdr_id id);

#ifdef __cplusplus
}
#endif
#endif
