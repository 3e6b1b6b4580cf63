/*
 * sip.h - the public API of libsip: parse, build and print SIP messages.
 *
 * Every public name starts with sip_. Parsing never allocates: a parsed
 * message, URI or header view is a set of slices into the caller's buffer,
 * and that buffer must outlive it. Functions that can fail return 0 or a
 * negative SIP_E* code; sip_strerror() names it.
 */
#ifndef SIP_H
#define SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SIP_API __attribute__((visibility("default")))
#define SIP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SIP_API
#define SIP_PRINTF(f, a)
#endif

#define SIP_VERSION "0.1.0"

/* Error codes; each has a one-line description from sip_strerror(). */
enum sip_err {
	SIP_OK = 0,
	SIP_EINVAL = -1,     /* bad argument */
	SIP_ENOMEM = -2,     /* out of memory */
	SIP_EAGAIN = -3,     /* incomplete: more bytes are needed */
	SIP_ETOOBIG = -4,    /* over a size or count limit */
	SIP_ERANGE = -5,     /* number out of range */
	SIP_ESYNTAX = -6,    /* malformed */
	SIP_EQUOTE = -7,     /* unterminated quoted string */
	SIP_EEMPTY = -8,     /* empty value or list element */
	SIP_EHOST = -9,      /* bad host or IP address */
	SIP_EPORT = -10,     /* bad port */
	SIP_ESCHEME = -11,   /* unsupported URI scheme */
	SIP_EESCAPE = -12,   /* bad %-escape */
	SIP_ENOSPC = -13,    /* output buffer too small */
	SIP_EDISPLAY = -14,  /* display name with special characters not quoted */
	SIP_EANGLE = -15,    /* <URI> not closed, or whitespace inside the brackets */
	SIP_EBARE = -16,     /* URI with ',', ';' or '?' of its own outside <> */
	SIP_EPARAM = -17,    /* empty or malformed ;parameter */
	SIP_ENOTFOUND = -18, /* DNS: no records for the name */
	SIP_EDNS = -19,      /* DNS: the server failed or did not answer */
	SIP_ETIMEDOUT = -20, /* no answer in time */
	SIP_EREFUSED = -21,  /* connection refused, or ICMP port unreachable */
	SIP_ENET = -22,      /* network or host unreachable, or a send failed */
	SIP_ETLS = -23,      /* TLS handshake or certificate verification failed */
	SIP_ECLOSED = -24,   /* the peer closed the connection */
	SIP_ESYS = -25,      /* a system call failed (see errno) */
	SIP_EDROPPED = -26,  /* a datagram received did not parse and was dropped */
};
SIP_API const char *sip_strerror(int err);

/* ---- str: slices ------------------------------------------------------ */

struct sip_str {
	const char *p;
	size_t len;
};
#define SIP_STR(lit) ((struct sip_str){(lit), sizeof(lit) - 1})
#define SIP_STR_FMT(s) (int)(s).len, (s).p /* printf("%.*s", SIP_STR_FMT(s)) */

SIP_API struct sip_str sip_str_from(const char *cstr);
SIP_API bool sip_str_eq(struct sip_str a, struct sip_str b);
/* Case-insensitive (ASCII) equality. */
SIP_API bool sip_str_ieq(struct sip_str a, struct sip_str b);
SIP_API bool sip_str_ieq_cstr(struct sip_str a, const char *b);
/* Strips LWS (SP, HT and folded line breaks) from both ends. */
SIP_API struct sip_str sip_str_trim(struct sip_str s);
/* Decimal digits only (leading zeros allowed), value <= max. */
SIP_API int sip_str_to_u64(struct sip_str s, uint64_t max, uint64_t *out);
SIP_API int sip_str_to_u32(struct sip_str s, uint32_t *out);

/* ---- methods and status codes ---------------------------------------- */

enum sip_method {
	SIP_METHOD_OTHER = 0,
	SIP_INVITE,
	SIP_ACK,
	SIP_BYE,
	SIP_CANCEL,
	SIP_OPTIONS,
	SIP_REGISTER,
	SIP_PRACK,
	SIP_UPDATE,
	SIP_REFER,
	SIP_SUBSCRIBE,
	SIP_NOTIFY,
	SIP_MESSAGE,
	SIP_INFO,
	SIP_PUBLISH,
	SIP_METHOD_COUNT
};
/* Method names are case-sensitive (RFC 3261 §7.1). */
SIP_API enum sip_method sip_method_from_str(struct sip_str s);
SIP_API const char *sip_method_name(enum sip_method m); /* NULL for OTHER */

/* Default reason phrase ("Busy Here"), or NULL for an unknown code. */
SIP_API const char *sip_status_reason(unsigned code);
/* What the code means to a troubleshooter ("the callee is busy"). */
SIP_API const char *sip_status_meaning(unsigned code);

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

/* ---- uri ---------------------------------------------------------------- */

enum sip_uri_scheme { SIP_URI_OTHER = 0, SIP_URI_SIP, SIP_URI_SIPS, SIP_URI_TEL };

struct sip_uri {
	enum sip_uri_scheme scheme;
	struct sip_str scheme_name; /* as written */
	struct sip_str user;        /* sip/sips userinfo, tel number; still %-escaped */
	struct sip_str password;    /* p set and len 0: an empty password ("alice:@host") */
	struct sip_str host;        /* IPv6 references keep their brackets */
	uint16_t port;              /* 0 when absent */
	bool has_port;
	bool host_is_ip6;
	bool host_is_ip4;
	struct sip_str params;  /* after the first ';', before '?'; without the leading ';' */
	struct sip_str headers; /* after '?' */
	struct sip_str opaque;  /* other schemes: everything after "scheme:" */
};
/* Parses sip:, sips:, tel: fully; any other RFC 3986 scheme as opaque. */
SIP_API int sip_uri_parse(struct sip_uri *uri, struct sip_str s);
/* Writes the URI in canonical form, NUL-terminated (cap counts the NUL);
 * returns its length or a SIP_E* code. */
SIP_API int sip_uri_print(const struct sip_uri *uri, char *buf, size_t cap);
/* Equality per RFC 3261 §19.1.4. */
SIP_API bool sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b);
/* Decodes %-escapes into out, NUL-terminated (cap counts the NUL); returns
 * the length or SIP_EESCAPE/SIP_ENOSPC. */
SIP_API int sip_uri_unescape(struct sip_str in, char *out, size_t cap);

/* ---- hdr: typed views parsed on demand ------------------------------- */

struct sip_param {
	struct sip_str name;
	struct sip_str value; /* empty when the parameter has no '=' */
	bool has_value;
};
/*
 * Takes the next ";name[=value]" from *params (a parameter list with or
 * without a leading ';') and advances it. Returns 1 with *p filled, 0 at
 * the end, or a SIP_E* code for a malformed list.
 */
SIP_API int sip_param_next(struct sip_str *params, struct sip_param *p);
/* Finds a parameter by name (case-insensitive); true when present. */
SIP_API bool sip_param_get(struct sip_str params, const char *name, struct sip_str *value);

/*
 * Takes the next element of a comma-separated header value from *list,
 * honouring quotes and <>, and advances *list. Returns 1, 0 at the end, or
 * SIP_EEMPTY / SIP_EQUOTE.
 */
SIP_API int sip_list_next(struct sip_str *list, struct sip_str *elem);

struct sip_via {
	struct sip_str protocol;  /* "SIP/2.0" */
	struct sip_str transport; /* "UDP" */
	struct sip_str host;      /* sent-by host, IPv6 in brackets */
	uint16_t port;
	bool has_port;
	struct sip_str params; /* without the leading ';' */
	struct sip_str branch;
	struct sip_str received;
	bool rport;           /* rport present */
	uint16_t rport_value; /* 0 when rport has no value */
	struct sip_str maddr;
};
/* Parses one via-parm (one element of a Via list). */
SIP_API int sip_via_parse(struct sip_via *via, struct sip_str s);

/* name-addr or addr-spec, as in From, To, Contact, Route, Refer-To. */
struct sip_addr {
	struct sip_str display; /* without quotes; still escaped */
	bool display_quoted;
	struct sip_str uri;
	bool angle;            /* the URI was in <> */
	struct sip_str params; /* header parameters, without the leading ';' */
	struct sip_str tag;
	bool star; /* "Contact: *" */
};
SIP_API int sip_addr_parse(struct sip_addr *addr, struct sip_str s);

struct sip_cseq {
	uint32_t num;
	struct sip_str method_name;
	enum sip_method method;
};
SIP_API int sip_cseq_parse(struct sip_cseq *cseq, struct sip_str s);

struct sip_rack {
	uint32_t rseq;
	uint32_t cseq;
	struct sip_str method_name;
	enum sip_method method;
};
SIP_API int sip_rack_parse(struct sip_rack *rack, struct sip_str s);

/* A header whose value is one delta-seconds-like number (Max-Forwards, Expires, RSeq...). */
SIP_API int sip_hdr_uint(struct sip_str value, uint64_t max, uint64_t *out);

struct sip_ctype {
	struct sip_str type;    /* "application" */
	struct sip_str subtype; /* "sdp" */
	struct sip_str params;
};
SIP_API int sip_ctype_parse(struct sip_ctype *ct, struct sip_str s);

/* Event / Subscription-State: a token followed by parameters. */
struct sip_token_params {
	struct sip_str token;
	struct sip_str params;
};
SIP_API int sip_token_params_parse(struct sip_token_params *tp, struct sip_str s);

/* ---- check: validation with line numbers ------------------------------ */

enum sip_severity { SIP_SEV_WARNING = 1, SIP_SEV_ERROR = 2 };

struct sip_diag {
	uint32_t line; /* 0 when the problem belongs to no single line */
	enum sip_severity severity;
	char text[160];
};

/*
 * Checks a parsed message against RFC 3261 and its extensions: every known
 * header's syntax and ranges, required headers, CSeq method, Request-URI,
 * Content-Length against the body. Fills at most max diagnostics in order
 * of their lines and returns how many problems were found in all.
 */
SIP_API size_t sip_msg_check(const struct sip_msg *msg, struct sip_diag *out, size_t max);

/* ---- sdp: parse side -------------------------------------------------- */

#define SIP_SDP_MAX_MEDIA 8
#define SIP_SDP_MAX_CODECS 16

enum sip_sdp_dir { SIP_SDP_SENDRECV = 0, SIP_SDP_SENDONLY, SIP_SDP_RECVONLY, SIP_SDP_INACTIVE };

struct sip_sdp_codec {
	unsigned pt;         /* payload type */
	struct sip_str name; /* from a=rtpmap, or the RFC 3551 name of a static type */
	unsigned rate;
	struct sip_str params; /* channels, after the rate */
};

struct sip_sdp_media {
	struct sip_str type; /* "audio" */
	uint16_t port;
	struct sip_str proto; /* "RTP/AVP" */
	struct sip_str fmts;  /* the format list as written ("0 8 101", "t38") */
	struct sip_str conn;  /* c= of the media, or the session's */
	enum sip_sdp_dir dir;
	unsigned ncodecs;
	struct sip_sdp_codec codecs[SIP_SDP_MAX_CODECS];
};

struct sip_sdp {
	struct sip_str origin;  /* o= */
	struct sip_str session; /* s= */
	struct sip_str conn;    /* session-level c= address ("IN IP4 192.0.2.1") */
	enum sip_sdp_dir dir;   /* session-level direction */
	unsigned nmedia;
	struct sip_sdp_media media[SIP_SDP_MAX_MEDIA];
};
SIP_API int sip_sdp_parse(struct sip_sdp *sdp, struct sip_str body);
SIP_API const char *sip_sdp_dir_name(enum sip_sdp_dir dir);

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
	const char *user_agent;
	const char *content_type;
	const char *body;
	size_t body_len;
	const struct sip_build_hdr *headers;
	size_t nheaders;
};
/* A response to req: Via, From, To, Call-ID, CSeq copied as RFC 3261 §8.2.6 says. */
SIP_API int sip_build_response(struct sip_buf *out, const struct sip_msg *req,
                               const struct sip_response_spec *spec);

/* ---- sdp: offers and answers (RFC 3264) ----------------------------- */

/*
 * Codecs the builder knows, by name (any case) or payload number: PCMU (0),
 * GSM (3), G723 (4), PCMA (8), G722 (9), CN (13), G729 (18, annexb=no),
 * AMR (96), iLBC (97, mode=30), speex (98), AMR-WB (99), telephone-event
 * (101, events 0-16), opus (111).
 */
#define SIP_SDP_DEFAULT_CODECS "PCMU,PCMA,telephone-event"

struct sip_sdp_spec {
	const char *addr;     /* numeric IPv4 or IPv6 (brackets allowed) for o= and c= */
	uint16_t port;        /* RTP port of the audio stream */
	const char *codecs;   /* comma-separated, in preference order; NULL: the default */
	enum sip_sdp_dir dir; /* ours: sendonly puts the peer on hold */
	uint64_t session_id;  /* o= sess-id; 0: the wall clock in µs since the NTP epoch */
	uint64_t version;     /* o= sess-version: bump it for a re-offer (re-INVITE, UPDATE) */
	unsigned ptime;       /* 0: 20 ms */
};
/* Appends an offer: one audio stream with the codecs of s->codecs, each with
 * a=rtpmap (static ones too: many UAs want them) and its a=fmtp. */
SIP_API int sip_sdp_build_offer(struct sip_buf *out, const struct sip_sdp_spec *s);
/*
 * Appends the answer to a parsed offer (RFC 3264 §6): the first audio
 * RTP/AVP stream gets the codecs of s->codecs that the offer has, in the
 * offer's order and with its payload numbers (dynamic ones matched by name,
 * rate and channels), and the direction both sides allow (an offer's
 * sendonly gets recvonly); every other stream is rejected with port 0.
 * SIP_ENOTFOUND when there is no such stream, or no voice codec in common
 * (telephone-event or CN alone make no call).
 */
SIP_API int sip_sdp_build_answer(struct sip_buf *out, const struct sip_sdp *offer,
                                 const struct sip_sdp_spec *s);
/* Checks a codec list: SIP_EINVAL for an unknown name, SIP_EEMPTY for an
 * empty item, with *bad (when not NULL) set to the item, so that a command
 * can say "unknown codec 'X'". NULL is the default list. */
SIP_API int sip_sdp_codecs_check(const char *list, struct sip_str *bad);

/* ---- loop: one poll() loop for sockets, timers and signals ----------- */

struct sip_loop;

#define SIP_EV_READ 0x1
#define SIP_EV_WRITE 0x2
#define SIP_EV_ERROR 0x4 /* POLLERR or POLLHUP; delivered whatever was asked */

typedef void(sip_fd_h)(int fd, unsigned events, void *arg);
typedef void(sip_timer_h)(void *arg);

/* A timer lives in its owner's storage; zero it (or sip_timer_init) once. */
struct sip_timer {
	uint64_t due; /* microseconds on the loop's clock */
	sip_timer_h *h;
	void *arg;
	size_t slot; /* index + 1 in the loop's heap; 0 when not armed */
	uint64_t seq;
};

SIP_API int sip_loop_new(struct sip_loop **loopp);
SIP_API void sip_loop_free(struct sip_loop *loop);
/* Monotonic microseconds. */
SIP_API uint64_t sip_loop_now(const struct sip_loop *loop);
/* Tests replace the clock: a 32-second Timer B then takes no real time. */
SIP_API void sip_loop_set_clock(struct sip_loop *loop, uint64_t (*now)(void *arg), void *arg);
/* Watches fd for events (0 stops watching). One handler per fd. */
SIP_API int sip_loop_fd(struct sip_loop *loop, int fd, unsigned events, sip_fd_h *h, void *arg);
SIP_API void sip_timer_init(struct sip_timer *t);
/* (Re)arms t to fire after delay_us; a 0 delay runs it on the loop's next
 * turn, never inside the current call. SIP_ENOMEM leaves it unarmed. */
SIP_API int sip_timer_start(struct sip_loop *loop, struct sip_timer *t, uint64_t delay_us,
                            sip_timer_h *h, void *arg);
SIP_API void sip_timer_cancel(struct sip_loop *loop, struct sip_timer *t);
SIP_API bool sip_timer_armed(const struct sip_timer *t);
/* Calls h on the loop (not in the signal handler) when signo arrives. */
SIP_API int sip_loop_signal(struct sip_loop *loop, int signo, sip_timer_h *h, void *arg);
/* One turn: waits for I/O at most max_wait_us (or until the next timer;
 * -1: no limit), then runs what is due. Returns the handlers run, or SIP_E*. */
SIP_API int sip_loop_poll(struct sip_loop *loop, int64_t max_wait_us);
/* Turns until sip_loop_stop, or until nothing is left to wait for. */
SIP_API int sip_loop_run(struct sip_loop *loop);
SIP_API void sip_loop_stop(struct sip_loop *loop);

/* ---- transport: UDP, TCP and TLS ------------------------------------- */

enum sip_tp { SIP_TP_UDP = 0, SIP_TP_TCP, SIP_TP_TLS, SIP_TP_COUNT };
SIP_API const char *sip_tp_name(enum sip_tp tp); /* "UDP" */
/* "udp", "TCP", "tls"... case-insensitive; -1 when unknown. */
SIP_API int sip_tp_from_str(struct sip_str s);

struct sip_sockaddr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_storage ss;
	} u;
	socklen_t len;
};
/* A numeric IPv4 or IPv6 address (brackets allowed) and a port. */
SIP_API int sip_sockaddr_set(struct sip_sockaddr *sa, struct sip_str host, uint16_t port);
/* "192.0.2.1:5060" or "[2001:db8::1]:5060"; returns the length or SIP_ENOSPC. */
SIP_API int sip_sockaddr_print(const struct sip_sockaddr *sa, char *buf, size_t cap);
/* The address alone, IPv6 in brackets as Via and Contact want it. */
SIP_API int sip_sockaddr_host(const struct sip_sockaddr *sa, char *buf, size_t cap);
SIP_API uint16_t sip_sockaddr_port(const struct sip_sockaddr *sa);
SIP_API bool sip_sockaddr_eq(const struct sip_sockaddr *a, const struct sip_sockaddr *b);

/* What travelled where, for printing a message sent or received. */
struct sip_packet_info {
	bool tx;
	enum sip_tp tp;
	struct sip_sockaddr local;
	struct sip_sockaddr remote;
	uint64_t time_us; /* loop clock */
};

typedef void(sip_trace_h)(const struct sip_packet_info *pi, const char *buf, size_t len, void *arg);
/* A message arrived; msg and its buffer live until the handler returns. */
typedef void(sip_recv_h)(const struct sip_msg *msg, const struct sip_packet_info *pi, void *arg);
/* Sending to remote failed: SIP_EREFUSED (ICMP port unreachable, RST),
 * SIP_ENET, SIP_ETLS, SIP_ECLOSED, SIP_ESYNTAX (a stream that does not
 * parse, closed)...; detail says more (certificate error, "line 7: ...").
 * SIP_EDROPPED fails nothing: a datagram from remote that does not parse
 * was dropped, and a transaction waits on for one that does. */
typedef void(sip_tp_err_h)(int err, enum sip_tp tp, const struct sip_sockaddr *remote,
                           const char *detail, void *arg);

struct sip_transport_opts {
	int family;             /* AF_UNSPEC, AF_INET or AF_INET6 */
	const char *local_host; /* numeric address to bind; NULL: any */
	uint16_t local_port;    /* 0: ephemeral */
	const char *ca_file;    /* TLS trust anchors; NULL: the system's */
	bool insecure;          /* TLS: do not verify the peer certificate */
	const char *cert_file;  /* TLS server side (sip listen) */
	const char *key_file;
	size_t max_msg;   /* largest message accepted; 0: 65535 */
	uint64_t idle_us; /* close a stream whose message is not complete by then; 0: 32 s */
	sip_trace_h *trace;
	void *trace_arg;
};

struct sip_transport;
SIP_API int sip_transport_new(struct sip_transport **tpp, struct sip_loop *loop,
                              const struct sip_transport_opts *opts, sip_recv_h *recv,
                              sip_tp_err_h *err, void *arg);
SIP_API void sip_transport_free(struct sip_transport *tp);
/*
 * The local address a message to remote leaves from, for Via and Contact.
 * For TCP and TLS this opens the connection (verifying tls_name, or the
 * address when NULL) if none is open yet; the connect completes later.
 */
SIP_API int sip_transport_local(struct sip_transport *tp, enum sip_tp t,
                                const struct sip_sockaddr *remote, const char *tls_name,
                                struct sip_sockaddr *local);
/* Sends one message; a stream queues it until the connection is up. */
SIP_API int sip_transport_send(struct sip_transport *tp, enum sip_tp t,
                               const struct sip_sockaddr *remote, const char *tls_name,
                               const char *buf, size_t len);
/* Accepts connections on TCP or TLS at the bound address (UDP always receives). */
SIP_API int sip_transport_listen(struct sip_transport *tp, enum sip_tp t);
/* The bound address of a transport's socket (UDP, or a TCP/TLS listener). */
SIP_API int sip_transport_bound(struct sip_transport *tp, enum sip_tp t, int family,
                                struct sip_sockaddr *local);
/* Subject, issuer and expiry of a TLS peer's certificate, one line. */
SIP_API int sip_transport_tls_peer(struct sip_transport *tp, const struct sip_sockaddr *remote,
                                   char *buf, size_t cap);

/* ---- pcap: traced messages as a packet capture ------------------------ */

/*
 * A classic pcap file (microsecond timestamps, LINKTYPE_RAW) that
 * Wireshark and tshark read. Each message becomes an IPv4 or IPv6 packet
 * between the addresses of its sip_packet_info: one UDP datagram, or TCP
 * segments whose sequence numbers run on across the messages of each
 * connection, which starts with a made-up handshake. TLS messages are
 * written as the TCP segments of their plaintext. Records are timestamped
 * with the wall clock when written and are in the file when
 * sip_pcap_write returns.
 */
struct sip_pcap;
/* Creates or truncates path (mode 0600: the capture holds what TLS hid)
 * and writes the file header. SIP_ESYS with errno set when it cannot. */
SIP_API int sip_pcap_open(struct sip_pcap **pp, const char *path);
/* One message, as the transport's trace handler sees it. SIP_ESYS (errno
 * set) when the file cannot be written; that error sticks, for a record
 * cut short leaves the rest of the file unreadable. */
SIP_API int sip_pcap_write(struct sip_pcap *p, const struct sip_packet_info *pi, const char *buf,
                           size_t len);
SIP_API void sip_pcap_close(struct sip_pcap *p);

/* ---- dns: RFC 3263 target selection --------------------------------- */

struct sip_target {
	enum sip_tp tp;
	struct sip_sockaddr addr;
	char name[256]; /* the host name the address came from: TLS verification, Host */
};

#define SIP_RESOLVE_MAX 32

struct sip_resolve_opts {
	unsigned tp_mask; /* transports allowed: 1 << SIP_TP_UDP ...; 0: all */
	int family;       /* AF_UNSPEC, AF_INET or AF_INET6 */
	void (*trace)(const char *line, void *arg); /* each step, for `sip resolve` */
	void *trace_arg;
};

struct sip_resolver;
/* server: "host[:port]" of the DNS server to ask, or NULL for resolv.conf. */
SIP_API int sip_resolver_new(struct sip_resolver **rp, struct sip_loop *loop, const char *server);
SIP_API void sip_resolver_free(struct sip_resolver *r);
typedef void(sip_resolve_h)(int err, const struct sip_target *targets, size_t n, void *arg);
/*
 * Resolves a sip:, sips: or tel-free URI per RFC 3263: numeric host, or
 * explicit port or transport short-cuts, else NAPTR -> SRV -> A/AAAA, and
 * calls h (never from inside this call) with the targets in the order to
 * try. err is SIP_ENOTFOUND or SIP_EDNS when there is none.
 */
SIP_API int sip_resolve(struct sip_resolver *r, const struct sip_uri *uri,
                        const struct sip_resolve_opts *opts, sip_resolve_h *h, void *arg);

/* ---- txn: the context and its transactions (RFC 3261 §17) ------------ */

#define SIP_T1_DEFAULT 500000u /* µs */
#define SIP_T2_DEFAULT 4000000u
#define SIP_T4_DEFAULT 5000000u

struct sip_ctx_opts {
	struct sip_transport_opts tp;
	uint64_t t1_us; /* 0: SIP_T1_DEFAULT */
	uint64_t t2_us;
	uint64_t t4_us;
	const char *user_agent; /* in responses the context sends itself */
};

struct sip_ctx;
struct sip_txn;
struct sip_strans;

/*
 * A response to a client transaction: each provisional one, then the final
 * one; or err (SIP_ETIMEDOUT when Timer B/F fired, a transport error such as
 * SIP_EREFUSED) with msg NULL. The call with a final response or an error is
 * the last. The transaction may be freed from inside the handler.
 */
typedef void(sip_resp_h)(int err, const struct sip_msg *msg, void *arg);
/* A new request (retransmissions are answered by its server transaction).
 * Answer it with sip_strans_respond before returning: a request left without
 * a final response gets 500. ACKs never arrive here (see the stray handler). */
typedef void(sip_req_h)(struct sip_strans *st, const struct sip_msg *req,
                        const struct sip_packet_info *pi, void *arg);

SIP_API int sip_ctx_new(struct sip_ctx **ctxp, struct sip_loop *loop,
                        const struct sip_ctx_opts *opts, sip_tp_err_h *tp_err, void *arg);
SIP_API void sip_ctx_free(struct sip_ctx *ctx);
SIP_API struct sip_transport *sip_ctx_transport(struct sip_ctx *ctx);
SIP_API struct sip_loop *sip_ctx_loop(struct sip_ctx *ctx);
/* Without a handler, the context answers OPTIONS with 200 (Allow, Supported,
 * Accept), an in-dialog request with 481 and the rest with 405. */
SIP_API void sip_ctx_set_request_handler(struct sip_ctx *ctx, sip_req_h *h, void *arg);
/* Messages no transaction takes: a 2xx to an INVITE after its client
 * transaction ended (retransmissions, other forks: RFC 3261 §13.2.2.4 has
 * the UAC core ACK each), an ACK for a 2xx, a response to nothing. */
SIP_API void sip_ctx_set_stray_handler(struct sip_ctx *ctx, sip_recv_h *h, void *arg);
/* The answer the context gives when there is no handler, for one to reuse. */
SIP_API int sip_ctx_default_answer(struct sip_ctx *ctx, struct sip_strans *st,
                                   const struct sip_msg *req);

/*
 * Sends the request in buf (built with sip_build_request) to target and
 * runs its client transaction: retransmissions on Timer A/E over UDP,
 * timeout on Timer B/F, ACK for a non-2xx final response to INVITE. The
 * request is copied.
 */
SIP_API int sip_txn_start(struct sip_txn **txp, struct sip_ctx *ctx,
                          const struct sip_target *target, const char *buf, size_t len,
                          sip_resp_h *h, void *arg);
/* CANCELs an INVITE still waiting for its final response (§9.1): a
 * transaction of its own whose handler gets the CANCEL's response; the
 * INVITE's handler then gets its final one (487). Send it only once a
 * provisional response has come. SIP_EINVAL when there is nothing to cancel. */
SIP_API int sip_txn_cancel(struct sip_txn **txp, struct sip_txn *invite, sip_resp_h *h, void *arg);
/* Stops the transaction (no more calls to its handler) and frees it. */
SIP_API void sip_txn_free(struct sip_txn *txn);
/* The request as sent, parsed; NULL once a final response other than an
 * INVITE's 2xx has been handled (the transaction then keeps only what it
 * needs to absorb retransmissions). */
SIP_API const struct sip_msg *sip_txn_request(const struct sip_txn *txn);
/* Time the request was first sent (loop clock, µs) and how many times it was sent. */
SIP_API uint64_t sip_txn_sent_at(const struct sip_txn *txn);
SIP_API unsigned sip_txn_sends(const struct sip_txn *txn);
/* Its destination sent what does not parse (SIP_EDROPPED): it answered, if
 * not in SIP. Such a transaction times out with SIP_ESYNTAX. */
SIP_API bool sip_txn_garbled(const struct sip_txn *txn);

/* Answers a request: the response goes where RFC 3261 §18.2.2 says (the
 * source address with rport, the connection it came on) and is kept to
 * answer retransmissions. A 1xx may be followed by another response. A 2xx
 * to an INVITE is repeated on T1..T2 until its ACK or 64*T1 (§13.3.1.4). */
SIP_API int sip_strans_respond(struct sip_strans *st, const struct sip_response_spec *spec);

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

/* ---- dialog: RFC 3261 §12 ------------------------------------------------ */

struct sip_dialog;

/* A dialog from a request we sent (INVITE, SUBSCRIBE, REFER) and a 1xx/2xx
 * response with a To tag: Call-ID, tags, CSeq, remote target from Contact
 * (the Request-URI when it has none), route set from Record-Route in
 * reverse. Everything is copied. SIP_EINVAL without a To tag; a Contact
 * that is there but not a URI fails as sip_uri_parse does. */
SIP_API int sip_dialog_new_uac(struct sip_dialog **dp, const struct sip_msg *req,
                               const struct sip_msg *resp);
/* A dialog from a request we received, answered with local_tag as To tag;
 * the route set is its Record-Route in order. */
SIP_API int sip_dialog_new_uas(struct sip_dialog **dp, const struct sip_msg *req,
                               const char *local_tag);
SIP_API void sip_dialog_free(struct sip_dialog *d);
/* A later response (the 2xx after a 1xx) or a target refresh (re-INVITE,
 * UPDATE): new remote target; a 2xx to the creating request replaces the
 * early route set. */
SIP_API int sip_dialog_update(struct sip_dialog *d, const struct sip_msg *msg);
/* msg belongs to the dialog: same Call-ID and tags (ours and theirs in
 * the places a request or a response puts them). */
SIP_API bool sip_dialog_match(const struct sip_dialog *d, const struct sip_msg *msg);
/* The next local CSeq (each call uses one); an ACK reuses its INVITE's. */
SIP_API uint32_t sip_dialog_next_cseq(struct sip_dialog *d);

struct sip_dialog_request {
	enum sip_method method;
	uint32_t cseq;         /* 0: sip_dialog_next_cseq */
	const char *transport; /* Via */
	const char *via_host;
	uint16_t via_port;
	const char *contact;
	const char *content_type;
	const char *body;
	size_t body_len;
	const struct sip_build_hdr *headers;
	size_t nheaders;
};
/* Appends an in-dialog request (ACK, BYE, re-INVITE, UPDATE, PRACK, NOTIFY,
 * REFER, INFO...): Request-URI and Route per §12.2.1.1 (loose routing, or
 * the strict-router rewrite), From/To with tags, Call-ID, CSeq, a fresh
 * branch. */
SIP_API int sip_dialog_request(struct sip_dialog *d, struct sip_buf *out,
                               const struct sip_dialog_request *r);
/* Where the request goes first: the top Route's URI, or the remote target. */
SIP_API int sip_dialog_next_hop(const struct sip_dialog *d, char *buf, size_t cap);

/* ---- print ------------------------------------------------------------ */

enum sip_print_format { SIP_PRINT_RAW = 0, SIP_PRINT_PRETTY, SIP_PRINT_JSON };

struct sip_print_opts {
	enum sip_print_format format;
	bool color;
	const struct sip_diag *diags; /* from sip_msg_check, shown with the message */
	size_t ndiags;
	const char *source; /* where the message came from (a file name), or NULL */
	const struct sip_packet_info *packet; /* sent or received: direction, peer, time */
	uint64_t t0_us;                       /* packet times are shown relative to this */
};
SIP_API int sip_msg_print(FILE *f, const struct sip_msg *msg, const struct sip_print_opts *opts);
/* s as a JSON string literal: quotes, escapes, invalid UTF-8 as U+FFFD. */
SIP_API void sip_print_json_str(FILE *f, struct sip_str s);
/* A message that sip_msg_parse refused: its bytes (raw, pretty) or a JSON
 * object with "valid": false, and the problems in opts. */
SIP_API int sip_msg_print_unparsed(FILE *f, struct sip_str raw, const struct sip_print_opts *opts);

/* ---- ladder: a sequence diagram of an exchange ------------------------- */

/*
 * Columns: "us" (the local address), the first hop (the remote address a
 * message went to or came from: a proxy when one is in the path), the
 * proxies past it that the far end's first Record-Route names (a proxy
 * that record-routes twice, r2=on, once), and the far end, known by its
 * address of record (To in the requests we send and the responses we get,
 * From in the others), with its Contact address once one is seen. A far
 * end whose address (its Contact's, or a numeric AOR's) is the hop's
 * shares its column: a direct call has two columns. Requests go end to
 * end, crossing the proxies; a response without a To tag (a proxy's 100)
 * or a 407 comes from the hop alone, and so does all of a REGISTER.
 */
struct sip_ladder;
SIP_API int sip_ladder_new(struct sip_ladder **lp);
SIP_API void sip_ladder_free(struct sip_ladder *l);
/* One message sent or received (pi->tx), in the order they travelled. What
 * the diagram needs is copied: msg and its buffer may go after the call. The
 * same bytes again in the same direction are a retransmission ("×2"). */
SIP_API int sip_ladder_add(struct sip_ladder *l, const struct sip_msg *msg,
                           const struct sip_packet_info *pi);

struct sip_ladder_opts {
	bool color;     /* ANSI: requests cyan; 1xx and 3xx yellow, 2xx green, 4xx-6xx red */
	bool ascii;     /* | - + > < instead of UTF-8 box drawing */
	unsigned width; /* terminal columns; 0: 80 (20 at the least) */
	uint64_t t0_us; /* times are seconds from this (loop clock); 0: the first message's */
};
/* Draws the diagram: header, then one arrow per message with its time and
 * "INVITE (SDP)", "180 Ringing"... Labels are cut to the width; parties too
 * many for it are numbered and each message becomes a line "1 → 2  BYE". */
SIP_API int sip_ladder_print(FILE *f, const struct sip_ladder *l,
                             const struct sip_ladder_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
