/* ws_int.h - WebSocket (RFC 6455) as SIP uses it (RFC 7118), without I/O:
 * the HTTP Upgrade handshake of either side, and the frames of one
 * connection through libwslay. The transport moves the bytes; nothing here
 * reads, writes or prints. Not public API. */
#ifndef SIP_WS_INT_H
#define SIP_WS_INT_H

#include "sip_int.h"

/* The longest handshake header block taken, either way. */
#define SIP_WS_HEAD_MAX 8192
/* Sec-WebSocket-Key (16 bytes) and -Accept (20 bytes) in base64. */
#define SIP_WS_KEY_LEN 24
#define SIP_WS_ACCEPT_LEN 28

/* One handshake, in the caller's storage, zeroed before the first call. */
struct sip_ws_hs {
	char key[SIP_WS_KEY_LEN + 1]; /* the client's Sec-WebSocket-Key, sent or received */
	/* Client: the answer's HTTP status. Server: the one to answer, 101 once
	 * the request is good. */
	int status;
	char reason[64]; /* client: the answer's reason phrase, control characters as '?' */
	char why[160];   /* what was wrong, when a call failed */
	size_t scan;     /* where the search for the end of the header block resumes */
};

/* What the client's request asks for. */
struct sip_ws_req {
	const char *host; /* a name or address; an IPv6 one without brackets */
	uint16_t port;
	bool secure;        /* wss: the port Host leaves out is 443, not 80 */
	const char *path;   /* NULL: "/" */
	const char *origin; /* NULL: no Origin */
	/* More header lines, "Name: value" each, with no CR or LF. */
	const char *const *headers;
	size_t nheaders;
};

/* base64(SHA-1(key + the RFC 6455 GUID)), NUL-terminated. */
void sip_ws_accept_key(const char *key, char out[SIP_WS_ACCEPT_LEN + 1]);

/* Client: the GET Upgrade request for req into buf, with a fresh key kept in
 * hs. Its length, or SIP_EINVAL (a bad path, origin or header line: hs->why
 * says which), SIP_ENOSPC, or SIP_ESYS when no random bytes could be had. */
int sip_ws_client_request(struct sip_ws_hs *hs, const struct sip_ws_req *req, char *buf,
                          size_t cap);
/* Client: the server's answer, the len bytes received so far at p (the same
 * start each call). The length of its header block once it accepted: the
 * bytes after it are frames. SIP_EAGAIN until the block is whole;
 * SIP_ETOOBIG when it is over SIP_WS_HEAD_MAX; SIP_EWS when the server
 * refused (hs->status and hs->reason are its answer) or answered wrong;
 * hs->why says what it was in each case. */
int sip_ws_client_check(struct sip_ws_hs *hs, const char *p, size_t len);

/* Server: the client's request, as sip_ws_client_check takes an answer.
 * The length of its header block when it is a good upgrade to `sip`, with
 * hs->status 101. SIP_EAGAIN until it is whole; SIP_ETOOBIG or SIP_ESYNTAX
 * when it is not good, with hs->status the error to answer (400, or 426 for
 * a version other than 13) and hs->why. */
int sip_ws_server_check(struct sip_ws_hs *hs, const char *p, size_t len);
/* Server: the answer hs->status calls for into buf: 101 with the accept key,
 * or the error to send before closing. Its length, or SIP_ENOSPC. */
int sip_ws_server_answer(const struct sip_ws_hs *hs, char *buf, size_t cap);

/* The frames of one connection once the handshake is done. */
struct sip_ws;

enum sip_ws_ev {
	SIP_WS_NONE, /* every byte given was taken, none makes an event yet */
	SIP_WS_MSG,  /* a whole message: one SIP message */
	SIP_WS_CLOSE /* the peer's close frame; the answer is queued */
};

struct sip_ws_event {
	enum sip_ws_ev type;
	/* SIP_WS_MSG: the message, reassembled; SIP_WS_CLOSE: the reason. Valid
	 * until the next call on the object. */
	struct sip_str data;
	bool binary;   /* SIP_WS_MSG: it came in binary frames, not text */
	uint16_t code; /* SIP_WS_CLOSE: the status code, 0 when it gave none */
};

/* A client masks what it sends and refuses masked frames; a server the
 * reverse. max_msg caps a message received; what waits to be written is
 * capped too. NULL when out of memory. */
struct sip_ws *sip_ws_new(bool client, size_t max_msg);
void sip_ws_free(struct sip_ws *ws);
/* Takes bytes received, the len at p, up to the end of the next event, and
 * sets *used to how many. After an event, call again with the bytes left
 * (even none: some may be held here) until SIP_WS_NONE. Pings are answered
 * and a close frame too (take the bytes with sip_ws_out); bytes after a
 * close are ignored. SIP_ESYNTAX when the peer broke the protocol (an
 * oversize message included), with sip_ws_why() and a close frame queued
 * for it; every call after an error returns the same error. */
int sip_ws_read(struct sip_ws *ws, const char *p, size_t len, size_t *used,
                struct sip_ws_event *ev);
/* Queues the SIP message at p as one text frame. SIP_ECLOSED after a close
 * either way or an error, SIP_ETOOBIG when the bytes waiting would pass
 * their cap. */
int sip_ws_send(struct sip_ws *ws, const char *p, size_t len);
/* Queues a close frame (code 0: none, and no reason); once only, after
 * which nothing more is sent. SIP_EINVAL for a reason over 123 bytes. */
int sip_ws_close(struct sip_ws *ws, uint16_t code, const char *reason);
/* The bytes to write out, at *p until the next call on ws; 0 when none. */
size_t sip_ws_out(const struct sip_ws *ws, const char **p);
/* The first n of them were written. */
void sip_ws_out_done(struct sip_ws *ws, size_t n);
/* A frame or a message has begun and not ended: a peer dripping it is
 * timed by the caller. */
bool sip_ws_busy(const struct sip_ws *ws);
/* What went wrong, "" when nothing did. */
const char *sip_ws_why(const struct sip_ws *ws);

#endif
