/* ws.c - WebSocket for SIP (RFC 6455, RFC 7118) without I/O: the Upgrade
 * handshake both ways, and frames through libwslay's frame API.
 *
 * The frame API and not wslay's event API: the event layer turns every
 * protocol error into a close frame it queues itself, leaving no way to
 * tell the user which rule the peer broke; it copies each frame into a
 * heap chunk of its own and each message once more; and it validates
 * UTF-8, which SIP does not need. The frame API hands over each frame's
 * header with its first bytes, so a masked frame from a server or a
 * message over the limit is refused before its payload is kept, and the
 * message is reassembled in one buffer capped at the limit. */
#include <stdarg.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <wslay/wslay.h>

#include "sip_int.h"
#include "ws_int.h"

static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* A close frame's payload: the code and at most 123 bytes of reason. */
#define CLOSE_REASON_MAX 123
/* The longest frame header: 2 bytes, 8 of length, 4 of mask. */
#define FRAME_HEAD_MAX 14

void sip_ws_accept_key(const char *key, char out[SIP_WS_ACCEPT_LEN + 1])
{
	char in[SIP_WS_KEY_LEN + sizeof guid];
	size_t n = strnlen(key, SIP_WS_KEY_LEN);
	memcpy(in, key, n);
	memcpy(in + n, guid, sizeof guid - 1);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	/* SHA-1 fails only without memory: an empty key then matches nothing. */
	if (!EVP_Digest(in, n + sizeof guid - 1, md, &mdlen, EVP_sha1(), NULL)) {
		out[0] = '\0';
		return;
	}
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
}

static void why_set(char *why, size_t cap, const char *fmt, ...) SIP_PRINTF(3, 4);

static void why_set(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
}

/* At most cap - 1 bytes of s for a message, control characters as '?'. */
static void safe_copy(char *out, size_t cap, struct sip_str s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = sip_is_ctl(s.p[i]) ? '?' : s.p[i];
	out[n] = '\0';
}

/* ---- building the handshake ---- */

struct put {
	char *p;
	size_t cap, len;
	bool over;
};

static void put(struct put *o, const char *s, size_t n)
{
	if (o->over || n >= o->cap - o->len) {
		o->over = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct put *o, const char *s)
{
	put(o, s, strlen(s));
}

static int put_end(const struct put *o)
{
	return o->over ? SIP_ENOSPC : (int)o->len;
}

/* Text that may go into a header value: no control character but HTAB. */
static bool value_ok(const char *s)
{
	for (; *s; s++)
		if (sip_is_ctl(*s))
			return false;
	return true;
}

/* One "Name: value" line: a token, a colon, a value without CR or LF. */
static bool header_ok(const char *h)
{
	const char *colon = strchr(h, ':');
	if (!colon)
		return false;
	struct sip_str name = {h, (size_t)(colon - h)};
	return sip_is_token(name) && value_ok(colon + 1);
}

int sip_ws_client_request(struct sip_ws_hs *hs, const struct sip_ws_req *req, char *buf, size_t cap)
{
	const char *path = req->path ? req->path : "/";
	if (path[0] != '/' || strchr(path, ' ') || !value_ok(path)) {
		char safe[100];
		safe_copy(safe, sizeof safe, sip_str_from(path));
		why_set(hs->why, sizeof hs->why, "bad path '%s'", safe);
		return SIP_EINVAL;
	}
	if (!req->host || !*req->host || !value_ok(req->host) || strpbrk(req->host, " /")) {
		why_set(hs->why, sizeof hs->why, "bad host");
		return SIP_EINVAL;
	}
	if (req->origin && !value_ok(req->origin)) {
		why_set(hs->why, sizeof hs->why, "bad origin");
		return SIP_EINVAL;
	}
	for (size_t i = 0; i < req->nheaders; i++) {
		if (!header_ok(req->headers[i])) {
			char safe[100];
			safe_copy(safe, sizeof safe, sip_str_from(req->headers[i]));
			why_set(hs->why, sizeof hs->why,
			        "header '%s' is not one 'Name: value' line", safe);
			return SIP_EINVAL;
		}
	}
	unsigned char raw[16];
	if (RAND_bytes(raw, sizeof raw) != 1) {
		why_set(hs->why, sizeof hs->why, "no random bytes for the key");
		return SIP_ESYS;
	}
	EVP_EncodeBlock((unsigned char *)hs->key, raw, sizeof raw);

	struct put o = {buf, cap, 0, cap == 0};
	puts_(&o, "GET ");
	puts_(&o, path);
	puts_(&o, " HTTP/1.1\r\nHost: ");
	bool v6 = strchr(req->host, ':') != NULL;
	puts_(&o, v6 ? "[" : "");
	puts_(&o, req->host);
	puts_(&o, v6 ? "]" : "");
	if (req->port && req->port != (req->secure ? 443 : 80)) {
		char port[12] = ":";
		put(&o, port, 1 + sip_put_decimal(port + 1, req->port));
	}
	puts_(&o, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
	puts_(&o, hs->key);
	puts_(&o, "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n");
	if (req->origin) {
		puts_(&o, "Origin: ");
		puts_(&o, req->origin);
		puts_(&o, "\r\n");
	}
	for (size_t i = 0; i < req->nheaders; i++) {
		puts_(&o, req->headers[i]);
		puts_(&o, "\r\n");
	}
	puts_(&o, "\r\n");
	return put_end(&o);
}

/* ---- reading a header block ---- */

/* The end of the header block at p (past the empty line), or 0 when it is
 * not whole yet; the search resumes at *scan, so a peer that sends a byte
 * at a time costs linear time. */
static size_t head_end(size_t *scan, const char *p, size_t len)
{
	size_t i = *scan;
	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		if (!nl)
			break;
		i = (size_t)(nl - p);
		if (i + 1 < len && p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
		if (i + 2 >= len)
			break;
		i++;
	}
	*scan = i < len ? i : len;
	return 0;
}

/* The lines of a header block, each without its CR LF. */
struct lines {
	struct sip_str rest;
};

static bool next_line(struct lines *l, struct sip_str *line)
{
	if (l->rest.len == 0)
		return false;
	const char *nl = memchr(l->rest.p, '\n', l->rest.len);
	size_t n = nl ? (size_t)(nl - l->rest.p) : l->rest.len;
	*line = sip_str_sub(l->rest, 0, n);
	if (line->len && line->p[line->len - 1] == '\r')
		line->len--;
	l->rest = sip_str_advance(l->rest, nl ? n + 1 : n);
	return true;
}

/* What the handshake looks at in the header lines; a header given more
 * than once is a list, as HTTP reads it. */
struct head {
	struct sip_str line1;
	bool upgrade_ws, connection_upgrade, has_accept, has_key, has_version, has_ext;
	bool proto_sip; /* client: the answer names sip and nothing else; server: sip is offered */
	struct sip_str accept, key, version, proto;
	unsigned nproto;
};

/* The comma-separated list v holds tok, in any case. */
static bool list_has(struct sip_str v, const char *tok)
{
	struct sip_str t = sip_str_from(tok);
	while (v.len) {
		const char *comma = memchr(v.p, ',', v.len);
		size_t n = comma ? (size_t)(comma - v.p) : v.len;
		if (sip_ieq(sip_trim(sip_str_sub(v, 0, n)), t))
			return true;
		v = sip_str_advance(v, comma ? n + 1 : n);
	}
	return false;
}

#define NAME_IS(name, lit) sip_ieq(name, sip_str_from(lit))

/* SIP_ESYNTAX with why set when a line is not "Name: value". */
static int read_head(const char *p, size_t end, struct head *h, char *why, size_t cap)
{
	struct lines l = {{p, end}};
	memset(h, 0, sizeof *h);
	next_line(&l, &h->line1);
	struct sip_str line;
	while (next_line(&l, &line) && line.len) {
		const char *colon = memchr(line.p, ':', line.len);
		struct sip_str name = colon ? sip_str_sub(line, 0, (size_t)(colon - line.p)) : line;
		if (!colon || !sip_is_token(name)) {
			char safe[80];
			safe_copy(safe, sizeof safe, line);
			why_set(why, cap, "bad header line '%s'", safe);
			return SIP_ESYNTAX;
		}
		struct sip_str v = sip_trim(sip_str_advance(line, name.len + 1));
		if (NAME_IS(name, "Upgrade")) {
			h->upgrade_ws |= list_has(v, "websocket");
		} else if (NAME_IS(name, "Connection")) {
			h->connection_upgrade |= list_has(v, "upgrade");
		} else if (NAME_IS(name, "Sec-WebSocket-Accept")) {
			h->accept = v;
			h->has_accept = true;
		} else if (NAME_IS(name, "Sec-WebSocket-Key")) {
			h->key = v;
			h->has_key = true;
		} else if (NAME_IS(name, "Sec-WebSocket-Version")) {
			h->version = v;
			h->has_version = true;
		} else if (NAME_IS(name, "Sec-WebSocket-Protocol")) {
			h->proto = v;
			h->nproto++;
			h->proto_sip |= list_has(v, "sip");
		} else if (NAME_IS(name, "Sec-WebSocket-Extensions")) {
			h->has_ext = true;
		}
	}
	return 0;
}

/* The header block at p: its end, 0 when more is needed, or
 * SIP_ETOOBIG past the cap. */
static int head_find(struct sip_ws_hs *hs, const char *p, size_t len, const char *what)
{
	size_t end = head_end(&hs->scan, p, len < SIP_WS_HEAD_MAX ? len : SIP_WS_HEAD_MAX);
	if (end)
		return (int)end;
	if (len >= SIP_WS_HEAD_MAX) {
		why_set(hs->why, sizeof hs->why, "%s's header block is over %d bytes", what,
		        SIP_WS_HEAD_MAX);
		return SIP_ETOOBIG;
	}
	return 0;
}

/* ---- the client's side ---- */

static int refuse(struct sip_ws_hs *hs, const char *why)
{
	why_set(hs->why, sizeof hs->why, "%s", why);
	return SIP_EWS;
}

/* "HTTP/1.x NNN reason": the status and reason into hs. */
static bool status_line(struct sip_ws_hs *hs, struct sip_str l)
{
	if (l.len < 12 || memcmp(l.p, "HTTP/1.", 7) != 0 || !sip_is_digit(l.p[7]) ||
	    l.p[8] != ' ' || !sip_is_digit(l.p[9]) || !sip_is_digit(l.p[10]) ||
	    !sip_is_digit(l.p[11]) || (l.len > 12 && l.p[12] != ' '))
		return false;
	hs->status = (l.p[9] - '0') * 100 + (l.p[10] - '0') * 10 + (l.p[11] - '0');
	safe_copy(hs->reason, sizeof hs->reason, sip_str_advance(l, l.len > 12 ? 13 : 12));
	return true;
}

int sip_ws_client_check(struct sip_ws_hs *hs, const char *p, size_t len)
{
	int end = head_find(hs, p, len, "the answer");
	if (end <= 0)
		return end ? end : SIP_EAGAIN;
	struct head h;
	if (read_head(p, (size_t)end, &h, hs->why, sizeof hs->why) < 0)
		return SIP_EWS;
	if (!status_line(hs, h.line1)) {
		char safe[80];
		safe_copy(safe, sizeof safe, h.line1);
		why_set(hs->why, sizeof hs->why, "the answer is not HTTP: '%s'", safe);
		return SIP_EWS;
	}
	if (hs->status != 101) {
		why_set(hs->why, sizeof hs->why, "the server answered %d %s", hs->status,
		        hs->reason);
		return SIP_EWS;
	}
	if (!h.upgrade_ws)
		return refuse(hs, "no Upgrade: websocket in the answer");
	if (!h.connection_upgrade)
		return refuse(hs, "no Connection: Upgrade in the answer");
	if (!h.has_accept)
		return refuse(hs, "no Sec-WebSocket-Accept in the answer");
	char want[SIP_WS_ACCEPT_LEN + 1];
	sip_ws_accept_key(hs->key, want);
	if (!want[0] || h.accept.len != SIP_WS_ACCEPT_LEN ||
	    memcmp(h.accept.p, want, SIP_WS_ACCEPT_LEN) != 0)
		return refuse(hs, "Sec-WebSocket-Accept does not match the key");
	if (h.nproto != 1 || !SIP_IEQ_LETTERS(h.proto, "sip"))
		return refuse(hs, "no Sec-WebSocket-Protocol: sip in the answer");
	/* None was offered: the server may not use one (RFC 6455 §4.1). */
	if (h.has_ext)
		return refuse(hs, "Sec-WebSocket-Extensions in the answer, none was offered");
	return end;
}

/* ---- the server's side ---- */

static int bad_request(struct sip_ws_hs *hs, int status, const char *why)
{
	hs->status = status;
	why_set(hs->why, sizeof hs->why, "%s", why);
	return SIP_ESYNTAX;
}

/* A Sec-WebSocket-Key is 16 bytes in base64: 22 characters and "==". */
static bool key_ok(struct sip_str k)
{
	if (k.len != SIP_WS_KEY_LEN || k.p[22] != '=' || k.p[23] != '=')
		return false;
	for (size_t i = 0; i < 22; i++)
		if (!sip_is_alpha(k.p[i]) && !sip_is_digit(k.p[i]) && k.p[i] != '+' &&
		    k.p[i] != '/')
			return false;
	return true;
}

int sip_ws_server_check(struct sip_ws_hs *hs, const char *p, size_t len)
{
	hs->status = 400;
	int end = head_find(hs, p, len, "the request");
	if (end <= 0)
		return end ? end : SIP_EAGAIN;
	struct head h;
	if (read_head(p, (size_t)end, &h, hs->why, sizeof hs->why) < 0)
		return SIP_ESYNTAX;
	struct sip_str l = h.line1;
	if (l.len < 4 || memcmp(l.p, "GET ", 4) != 0)
		return bad_request(hs, 400, "the request is not a GET");
	if (l.len < 9 || memcmp(l.p + l.len - 9, " HTTP/1.1", 9) != 0)
		return bad_request(hs, 400, "the request is not HTTP/1.1");
	if (!h.upgrade_ws)
		return bad_request(hs, 400, "no Upgrade: websocket in the request");
	if (!h.connection_upgrade)
		return bad_request(hs, 400, "no Connection: Upgrade in the request");
	if (!h.has_version || h.version.len != 2 || memcmp(h.version.p, "13", 2) != 0)
		return bad_request(hs, 426, "the request's Sec-WebSocket-Version is not 13");
	if (!h.has_key || !key_ok(h.key))
		return bad_request(hs, 400, "no valid Sec-WebSocket-Key in the request");
	if (!h.proto_sip)
		return bad_request(hs, 400,
		                   "the request does not offer Sec-WebSocket-Protocol sip");
	memcpy(hs->key, h.key.p, SIP_WS_KEY_LEN);
	hs->key[SIP_WS_KEY_LEN] = '\0';
	hs->status = 101;
	return end;
}

int sip_ws_server_answer(const struct sip_ws_hs *hs, char *buf, size_t cap)
{
	struct put o = {buf, cap, 0, cap == 0};
	if (hs->status == 101) {
		char accept[SIP_WS_ACCEPT_LEN + 1];
		sip_ws_accept_key(hs->key, accept);
		puts_(&o, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		          "Connection: Upgrade\r\nSec-WebSocket-Accept: ");
		puts_(&o, accept);
		puts_(&o, "\r\nSec-WebSocket-Protocol: sip\r\n\r\n");
	} else if (hs->status == 426) {
		puts_(&o, "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"
		          "Connection: close\r\nContent-Length: 0\r\n\r\n");
	} else {
		puts_(&o, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
		          "Content-Length: 0\r\n\r\n");
	}
	return put_end(&o);
}

/* ---- frames ---- */

struct sip_ws {
	wslay_frame_context_ptr fr;
	bool client;
	size_t max;
	/* The bytes sip_ws_read was given and wslay has not pulled yet. */
	const char *feed;
	size_t feed_len;
	size_t pulled; /* bytes wslay took since the last frame ended */
	/* The frame being read. */
	bool in_frame;
	uint8_t op;
	bool fin;
	uint64_t frame_len, frame_got;
	/* The message being reassembled, or the one last reported. */
	bool in_msg, binary, reported;
	char *msg;
	size_t msg_len, msg_cap;
	char ctl[125]; /* the control frame being read: never longer */
	size_t ctl_len;
	bool close_got, close_sent;
	int err;
	char why[160];
	char *out;
	size_t out_len, out_cap, out_max;
};

static ssize_t recv_cb(uint8_t *buf, size_t len, int flags, void *arg)
{
	(void)flags;
	struct sip_ws *ws = arg;
	size_t n = len < ws->feed_len ? len : ws->feed_len;
	if (n == 0)
		return 0;
	memcpy(buf, ws->feed, n);
	ws->pulled += n;
	ws->feed += n;
	ws->feed_len -= n;
	return (ssize_t)n;
}

/* Room is made before each frame is built: this never refuses. */
static ssize_t send_cb(const uint8_t *data, size_t len, int flags, void *arg)
{
	(void)flags;
	struct sip_ws *ws = arg;
	memcpy(ws->out + ws->out_len, data, len);
	ws->out_len += len;
	return (ssize_t)len;
}

static int genmask_cb(uint8_t *buf, size_t len, void *arg)
{
	(void)arg;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

struct sip_ws *sip_ws_new(bool client, size_t max_msg)
{
	struct sip_ws *ws = calloc(1, sizeof *ws);
	if (!ws)
		return NULL;
	struct wslay_frame_callbacks cb = {send_cb, recv_cb, genmask_cb};
	if (wslay_frame_context_init(&ws->fr, &cb, ws) != 0) {
		free(ws);
		return NULL;
	}
	ws->client = client;
	ws->max = max_msg;
	/* Messages queued before the handshake wait here: room for a few of the
	 * largest, and for the control frames answered meanwhile. */
	size_t room = (SIZE_MAX - 4096) / 8 - FRAME_HEAD_MAX;
	ws->out_max = max_msg < room ? 8 * (max_msg + FRAME_HEAD_MAX) + 4096 : SIZE_MAX;
	return ws;
}

void sip_ws_free(struct sip_ws *ws)
{
	if (!ws)
		return;
	wslay_frame_context_free(ws->fr);
	free(ws->msg);
	free(ws->out);
	free(ws);
}

static int out_room(struct sip_ws *ws, size_t more)
{
	if (more > ws->out_max - ws->out_len)
		return SIP_ETOOBIG;
	if (ws->out_len + more <= ws->out_cap)
		return 0;
	size_t want = ws->out_len + more, cap = ws->out_cap ? ws->out_cap : 1024;
	while (cap < want && cap <= ws->out_max / 2)
		cap *= 2;
	if (cap < want || cap > ws->out_max)
		cap = ws->out_max;
	char *p = realloc(ws->out, cap);
	if (!p)
		return SIP_ENOMEM;
	ws->out = p;
	ws->out_cap = cap;
	return 0;
}

static int frame_send(struct sip_ws *ws, uint8_t op, const char *p, size_t len)
{
	if (len > ws->out_max - FRAME_HEAD_MAX)
		return SIP_ETOOBIG;
	int r = out_room(ws, len + FRAME_HEAD_MAX);
	if (r < 0)
		return r;
	struct wslay_frame_iocb io = {.fin = 1,
	                              .opcode = op,
	                              .mask = ws->client,
	                              .payload_length = len,
	                              .data = (const uint8_t *)p,
	                              .data_length = len};
	ssize_t n = wslay_frame_send(ws->fr, &io);
	return n == (ssize_t)len ? 0 : SIP_ESYS;
}

static int close_send(struct sip_ws *ws, uint16_t code, const char *reason, size_t len)
{
	char b[2 + CLOSE_REASON_MAX];
	size_t n = 0;
	if (code) {
		b[0] = (char)(code >> 8);
		b[1] = (char)(code & 0xff);
		if (len)
			memcpy(b + 2, reason, len);
		n = 2 + len;
	}
	ws->close_sent = true;
	return frame_send(ws, WSLAY_CONNECTION_CLOSE, b, n);
}

static int fail(struct sip_ws *ws, uint16_t code, const char *fmt, ...) SIP_PRINTF(3, 4);

/* The peer broke the protocol: the connection is done, and a close frame
 * says why to the peer if the caller can still send it. */
static int fail(struct sip_ws *ws, uint16_t code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ws->why, sizeof ws->why, fmt, ap);
	va_end(ap);
	ws->err = SIP_ESYNTAX;
	if (!ws->close_sent)
		close_send(ws, code, NULL, 0);
	return ws->err;
}

/* Checks the header of the frame whose first bytes came. */
static int frame_start(struct sip_ws *ws, const struct wslay_frame_iocb *io)
{
	if (io->rsv)
		return fail(ws, WSLAY_CODE_PROTOCOL_ERROR,
		            "frame with reserved bits set, no extension was agreed");
	if (ws->client && io->mask)
		return fail(ws, WSLAY_CODE_PROTOCOL_ERROR, "masked frame from the server");
	if (!ws->client && !io->mask)
		return fail(ws, WSLAY_CODE_PROTOCOL_ERROR, "unmasked frame from the client");
	ws->in_frame = true;
	ws->op = io->opcode;
	ws->fin = io->fin;
	ws->frame_len = io->payload_length;
	ws->frame_got = 0;
	switch (io->opcode) {
	case WSLAY_CONNECTION_CLOSE:
	case WSLAY_PING:
	case WSLAY_PONG: ws->ctl_len = 0; return 0;
	case WSLAY_CONTINUATION_FRAME:
		if (!ws->in_msg)
			return fail(ws, WSLAY_CODE_PROTOCOL_ERROR,
			            "continuation frame outside a message");
		break;
	case WSLAY_TEXT_FRAME:
	case WSLAY_BINARY_FRAME:
		if (ws->in_msg)
			return fail(ws, WSLAY_CODE_PROTOCOL_ERROR,
			            "new message inside a fragmented one");
		ws->in_msg = true;
		ws->binary = io->opcode == WSLAY_BINARY_FRAME;
		ws->msg_len = 0;
		break;
	default: return fail(ws, WSLAY_CODE_PROTOCOL_ERROR, "frame with opcode %#x", io->opcode);
	}
	if (io->payload_length > ws->max - ws->msg_len)
		return fail(ws, WSLAY_CODE_MESSAGE_TOO_BIG, "message larger than %zu bytes",
		            ws->max);
	size_t need = ws->msg_len + (size_t)io->payload_length;
	if (need > ws->msg_cap) {
		size_t cap = ws->msg_cap ? ws->msg_cap : 1024;
		while (cap < need && cap <= ws->max / 2)
			cap *= 2;
		if (cap < need || cap > ws->max)
			cap = ws->max;
		char *p = realloc(ws->msg, cap);
		if (!p) {
			ws->err = SIP_ENOMEM;
			why_set(ws->why, sizeof ws->why, "out of memory");
			return ws->err;
		}
		ws->msg = p;
		ws->msg_cap = cap;
	}
	return 0;
}

/* RFC 6455 section 7.4: 1000 to 1014 but for 1004 to 1006 (reserved, or
 * for reports alone), 3000 to 4999 for libraries and applications. */
static bool close_code_ok(uint16_t code)
{
	if (code >= 3000 && code <= 4999)
		return true;
	return code >= 1000 && code <= 1014 && (code < 1004 || code > 1006);
}

/* The frame is whole: true when it makes an event. */
static bool frame_end(struct sip_ws *ws, struct sip_ws_event *ev)
{
	ws->in_frame = false;
	ws->pulled = 0;
	switch (ws->op) {
	case WSLAY_PING:
		/* A pong that does not fit waits for none: the peer pings again. */
		if (!ws->close_sent)
			frame_send(ws, WSLAY_PONG, ws->ctl, ws->ctl_len);
		return false;
	case WSLAY_PONG: return false;
	case WSLAY_CONNECTION_CLOSE:
		if (ws->ctl_len == 1) {
			fail(ws, WSLAY_CODE_PROTOCOL_ERROR, "close frame of one byte");
			return false;
		}
		if (ws->ctl_len >= 2) {
			ev->code = (uint16_t)((unsigned char)ws->ctl[0] << 8 |
			                      (unsigned char)ws->ctl[1]);
			if (!close_code_ok(ev->code)) {
				fail(ws, WSLAY_CODE_PROTOCOL_ERROR,
				     "close frame with code %u, which no endpoint may send",
				     (unsigned)ev->code);
				ev->code = 0;
				return false;
			}
			ev->data = (struct sip_str){ws->ctl + 2, ws->ctl_len - 2};
		}
		ws->close_got = true;
		ev->type = SIP_WS_CLOSE;
		/* The answer echoes the code (RFC 6455 §5.5.1). */
		if (!ws->close_sent)
			close_send(ws, ev->code, NULL, 0);
		return true;
	}
	if (!ws->fin)
		return false;
	ws->in_msg = false;
	ws->reported = true;
	ev->type = SIP_WS_MSG;
	ev->data = (struct sip_str){ws->msg, ws->msg_len};
	ev->binary = ws->binary;
	return true;
}

int sip_ws_read(struct sip_ws *ws, const char *p, size_t len, size_t *used, struct sip_ws_event *ev)
{
	memset(ev, 0, sizeof *ev);
	*used = 0;
	if (ws->err)
		return ws->err;
	if (ws->close_got) {
		*used = len;
		return 0;
	}
	/* The message reported last is the caller's no more. */
	if (ws->reported) {
		ws->reported = false;
		ws->msg_len = 0;
	}
	ws->feed = p;
	ws->feed_len = len;
	for (;;) {
		struct wslay_frame_iocb io;
		ssize_t r = wslay_frame_recv(ws->fr, &io);
		/* wslay asks for more only when every byte given is pulled. */
		if (r == WSLAY_ERR_WANT_READ)
			break;
		if (r < 0) {
			fail(ws, WSLAY_CODE_PROTOCOL_ERROR,
			     "bad frame header (a control frame over 125 bytes or "
			     "fragmented, or a length not in its shortest form)");
			break;
		}
		if (!ws->in_frame && frame_start(ws, &io) < 0)
			break;
		if (io.data_length) {
			if (wslay_is_ctrl_frame(ws->op)) {
				memcpy(ws->ctl + ws->ctl_len, io.data, io.data_length);
				ws->ctl_len += io.data_length;
			} else {
				memcpy(ws->msg + ws->msg_len, io.data, io.data_length);
				ws->msg_len += io.data_length;
			}
		}
		ws->frame_got += io.data_length;
		if (ws->frame_got == ws->frame_len && (frame_end(ws, ev) || ws->err))
			break;
	}
	*used = len - ws->feed_len;
	ws->feed = NULL;
	ws->feed_len = 0;
	return ws->err;
}

int sip_ws_send(struct sip_ws *ws, const char *p, size_t len)
{
	if (ws->close_sent || ws->close_got || ws->err)
		return SIP_ECLOSED;
	return frame_send(ws, WSLAY_TEXT_FRAME, p, len);
}

int sip_ws_close(struct sip_ws *ws, uint16_t code, const char *reason)
{
	size_t n = reason && code ? strlen(reason) : 0;
	if (n > CLOSE_REASON_MAX)
		return SIP_EINVAL;
	if (ws->close_sent)
		return 0;
	return close_send(ws, code, reason, n);
}

size_t sip_ws_out(const struct sip_ws *ws, const char **p)
{
	*p = ws->out;
	return ws->out_len;
}

void sip_ws_out_done(struct sip_ws *ws, size_t n)
{
	if (n > ws->out_len)
		n = ws->out_len;
	if (n == 0)
		return;
	memmove(ws->out, ws->out + n, ws->out_len - n);
	ws->out_len -= n;
}

bool sip_ws_busy(const struct sip_ws *ws)
{
	return ws->in_frame || ws->in_msg || ws->pulled > 0;
}

const char *sip_ws_why(const struct sip_ws *ws)
{
	return ws->why;
}
