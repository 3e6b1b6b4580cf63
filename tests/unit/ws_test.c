/* ws_test.c - the WebSocket handshake both ways and the frames of one
 * connection, the frames of the far end built here by hand so that the
 * module is checked against RFC 6455 and not against itself. */
#include <stdlib.h>

#include "test.h"
#include "ws_int.h"

#define MAX_MSG 65535

/* A frame as a peer sends it; mask: 0 for none, else the masking key. */
static size_t frame(char *out, bool fin, unsigned op, uint32_t mask, const char *p, size_t len)
{
	size_t n = 0;
	out[n++] = (char)((fin ? 0x80 : 0) | op);
	unsigned m = mask ? 0x80 : 0;
	if (len < 126) {
		out[n++] = (char)(m | len);
	} else {
		out[n++] = (char)(m | 126);
		out[n++] = (char)(len >> 8);
		out[n++] = (char)(len & 0xff);
	}
	unsigned char key[4] = {(unsigned char)(mask >> 24), (unsigned char)(mask >> 16),
	                        (unsigned char)(mask >> 8), (unsigned char)mask};
	if (mask) {
		memcpy(out + n, key, 4);
		n += 4;
	}
	for (size_t i = 0; i < len; i++)
		out[n + i] = (char)(p[i] ^ (mask ? key[i % 4] : 0));
	return n + len;
}

/* The payload of the one frame at f (unmasked in place), its opcode and
 * whether it was masked. */
struct parsed {
	unsigned op;
	bool fin, masked;
	const char *p;
	size_t len, frame_len;
};

static bool parse(char *f, size_t n, struct parsed *out)
{
	if (n < 2)
		return false;
	out->fin = (unsigned char)f[0] >> 7;
	out->op = f[0] & 0x0f;
	out->masked = (unsigned char)f[1] >> 7;
	size_t len = f[1] & 0x7f, h = 2;
	if (len == 126) {
		len = (size_t)((unsigned char)f[2] << 8 | (unsigned char)f[3]);
		h = 4;
	}
	unsigned char key[4] = {0};
	if (out->masked) {
		memcpy(key, f + h, 4);
		h += 4;
	}
	if (h + len > n)
		return false;
	for (size_t i = 0; i < len; i++)
		f[h + i] = (char)(f[h + i] ^ key[i % 4]);
	out->p = f + h;
	out->len = len;
	out->frame_len = h + len;
	return true;
}

/* What a connection reported while bytes were fed to it. */
struct got {
	int msgs, closes, err;
	char msg[MAX_MSG + 1];
	size_t msg_len;
	bool binary;
	uint16_t code;
	char reason[130];
};

/* Feeds the len bytes at p, step at a time, as the transport would. */
static void feed(struct sip_ws *ws, const char *p, size_t len, size_t step, struct got *g)
{
	size_t off = 0;
	do {
		size_t n = len - off < step ? len - off : step;
		for (;;) {
			struct sip_ws_event ev;
			size_t used;
			int r = sip_ws_read(ws, p + off, n, &used, &ev);
			off += used;
			n -= used;
			if (r < 0) {
				g->err = r;
				return;
			}
			if (ev.type == SIP_WS_NONE)
				break;
			if (ev.type == SIP_WS_MSG) {
				g->msgs++;
				memcpy(g->msg, ev.data.p, ev.data.len);
				g->msg_len = ev.data.len;
				g->msg[g->msg_len] = '\0';
				g->binary = ev.binary;
			} else {
				g->closes++;
				g->code = ev.code;
				memcpy(g->reason, ev.data.p, ev.data.len);
				g->reason[ev.data.len] = '\0';
			}
		}
	} while (off < len);
}

/* Everything a connection has to write, moved to buf. */
static size_t take_out(struct sip_ws *ws, char *buf, size_t cap)
{
	const char *p;
	size_t n = sip_ws_out(ws, &p);
	if (n > cap)
		n = cap;
	memcpy(buf, p, n);
	sip_ws_out_done(ws, n);
	return n;
}

static struct got *got_new(void)
{
	return calloc(1, sizeof(struct got));
}

TEST(ws_accept_key_rfc6455_example)
{
	char accept[SIP_WS_ACCEPT_LEN + 1];
	sip_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", accept);
	CHECK(strcmp(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0);
	return 0;
}

#define ANSWER101                                                                                  \
	"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"        \
	"Sec-WebSocket-Accept: %s\r\n%s\r\n"

/* A client handshake's request, made into hs; the answer a server would
 * give it, with extra header lines, into buf. */
static int answer_for(struct sip_ws_hs *hs, const char *extra, char *buf, size_t cap)
{
	char req[1024];
	struct sip_ws_req r = {.host = "example.com", .port = 80};
	if (sip_ws_client_request(hs, &r, req, sizeof req) <= 0)
		return -1;
	char accept[SIP_WS_ACCEPT_LEN + 1];
	sip_ws_accept_key(hs->key, accept);
	return snprintf(buf, cap, ANSWER101, accept, extra);
}

TEST(ws_handshake_then_messages_both_ways)
{
	struct sip_ws_hs chs = {0}, shs = {0};
	const char *extra[] = {"X-Token: abc", "User-Agent: sip"};
	struct sip_ws_req r = {.host = "::1",
	                       .port = 8080,
	                       .path = "/sip",
	                       .origin = "https://example.com",
	                       .headers = extra,
	                       .nheaders = 2};
	char req[1024];
	int n = sip_ws_client_request(&chs, &r, req, sizeof req);
	CHECK(n > 0);
	CHECK_INT(strlen(chs.key), SIP_WS_KEY_LEN);
	CHECK(strncmp(req, "GET /sip HTTP/1.1\r\nHost: [::1]:8080\r\n", 37) == 0);
	CHECK(strstr(req, "\r\nUpgrade: websocket\r\n") != NULL);
	CHECK(strstr(req, "\r\nConnection: Upgrade\r\n") != NULL);
	CHECK(strstr(req, "\r\nSec-WebSocket-Version: 13\r\n") != NULL);
	CHECK(strstr(req, "\r\nSec-WebSocket-Protocol: sip\r\n") != NULL);
	CHECK(strstr(req, "\r\nOrigin: https://example.com\r\n") != NULL);
	CHECK(strstr(req, "\r\nX-Token: abc\r\nUser-Agent: sip\r\n\r\n") != NULL);
	char keyline[64];
	snprintf(keyline, sizeof keyline, "\r\nSec-WebSocket-Key: %s\r\n", chs.key);
	CHECK(strstr(req, keyline) != NULL);

	/* Each request has its own key. */
	struct sip_ws_hs other = {0};
	char req2[1024];
	CHECK(sip_ws_client_request(&other, &r, req2, sizeof req2) > 0);
	CHECK(strcmp(other.key, chs.key) != 0);

	/* The request, a byte at a time: the server waits for all of it. */
	for (int i = 1; i < n; i++)
		CHECK_INT(sip_ws_server_check(&shs, req, (size_t)i), SIP_EAGAIN);
	CHECK_INT(sip_ws_server_check(&shs, req, (size_t)n), n);
	CHECK_INT(shs.status, 101);
	CHECK(strcmp(shs.key, chs.key) == 0);

	/* The answer with the server's first frame behind it, in one read. */
	char ans[2048];
	int an = sip_ws_server_answer(&shs, ans, sizeof ans);
	CHECK(an > 0);
	CHECK(strncmp(ans, "HTTP/1.1 101 Switching Protocols\r\n", 34) == 0);
	struct sip_ws *srv = sip_ws_new(false, MAX_MSG), *cli = sip_ws_new(true, MAX_MSG);
	CHECK(srv && cli);
	const char *sip1 = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n";
	CHECK_INT(sip_ws_send(srv, sip1, strlen(sip1)), 0);
	size_t fn = take_out(srv, ans + an, sizeof ans - (size_t)an);
	struct parsed pf;
	char copy[256];
	memcpy(copy, ans + an, fn);
	CHECK(parse(copy, fn, &pf));
	CHECK(!pf.masked && pf.fin && pf.op == 1);
	for (int i = 1; i < an; i++)
		CHECK_INT(sip_ws_client_check(&chs, ans, (size_t)i), SIP_EAGAIN);
	CHECK_INT(sip_ws_client_check(&chs, ans, (size_t)an + fn), an);
	CHECK_INT(chs.status, 101);

	struct got *g = got_new();
	CHECK(g);
	feed(cli, ans + an, fn, fn, g);
	CHECK_INT(g->err, 0);
	CHECK_INT(g->msgs, 1);
	CHECK(!g->binary);
	CHECK(strcmp(g->msg, sip1) == 0);

	/* Two messages from the client, masked, in one read at the server. */
	const char *sip2 = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	CHECK_INT(sip_ws_send(cli, sip2, strlen(sip2)), 0);
	CHECK_INT(sip_ws_send(cli, sip1, strlen(sip1)), 0);
	char buf[512];
	size_t bn = take_out(cli, buf, sizeof buf);
	memcpy(copy, buf, bn);
	CHECK(parse(copy, bn, &pf));
	CHECK(pf.masked && pf.op == 1 && pf.len == strlen(sip2));
	CHECK(memcmp(pf.p, sip2, pf.len) == 0);
	struct got *h = got_new();
	CHECK(h);
	feed(srv, buf, bn, bn, h);
	CHECK_INT(h->err, 0);
	CHECK_INT(h->msgs, 2);
	CHECK(strcmp(h->msg, sip1) == 0);
	CHECK_INT(sip_ws_out(srv, &(const char *){NULL}), 0);
	free(g);
	free(h);
	sip_ws_free(srv);
	sip_ws_free(cli);
	return 0;
}

TEST(ws_host_leaves_out_the_default_port)
{
	struct sip_ws_hs hs = {0};
	char req[512];
	struct sip_ws_req r = {.host = "example.com", .port = 443, .secure = true};
	CHECK(sip_ws_client_request(&hs, &r, req, sizeof req) > 0);
	CHECK(strncmp(req, "GET / HTTP/1.1\r\nHost: example.com\r\n", 35) == 0);
	r.secure = false;
	CHECK(sip_ws_client_request(&hs, &r, req, sizeof req) > 0);
	CHECK(strstr(req, "\r\nHost: example.com:443\r\n") != NULL);
	CHECK(strstr(req, "Origin") == NULL);
	CHECK_INT(sip_ws_client_request(&hs, &r, req, 40), SIP_ENOSPC);
	return 0;
}

TEST(ws_fragmented_message_reassembled)
{
	struct sip_ws *srv = sip_ws_new(false, MAX_MSG);
	CHECK(srv);
	char in[256];
	size_t n = frame(in, false, 1, 0x11223344, "REG", 3);
	n += frame(in + n, true, 9, 0x55667788, "hi", 2); /* a ping between fragments */
	n += frame(in + n, false, 0, 0x01020304, "IST", 3);
	n += frame(in + n, false, 0, 0x01020304, "", 0);
	n += frame(in + n, true, 0, 0x0a0b0c0d, "ER", 2);
	struct got *g = got_new();
	CHECK(g);
	feed(srv, in, n, n, g);
	CHECK_INT(g->err, 0);
	CHECK_INT(g->msgs, 1);
	CHECK(strcmp(g->msg, "REGISTER") == 0);
	char out[64];
	size_t on = take_out(srv, out, sizeof out);
	struct parsed pf;
	CHECK(parse(out, on, &pf));
	CHECK(pf.op == 0xa && !pf.masked && pf.len == 2 && memcmp(pf.p, "hi", 2) == 0);
	CHECK_INT(pf.frame_len, on);
	/* Binary frames are a message too. */
	n = frame(in, true, 2, 0x99, "BYE", 3);
	feed(srv, in, n, n, g);
	CHECK_INT(g->msgs, 2);
	CHECK(g->binary);
	CHECK(strcmp(g->msg, "BYE") == 0);
	free(g);
	sip_ws_free(srv);
	return 0;
}

TEST(ws_frames_fed_one_byte_at_a_time)
{
	struct sip_ws *cli = sip_ws_new(true, MAX_MSG);
	CHECK(cli);
	char big[300], in[1024];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)('a' + i % 26);
	size_t n = frame(in, true, 1, 0, big, sizeof big); /* a 16-bit length */
	n += frame(in + n, false, 1, 0, "MESS", 4);
	n += frame(in + n, true, 0, 0, "AGE", 3);
	struct got *g = got_new();
	CHECK(g);
	feed(cli, in, n, 1, g);
	CHECK_INT(g->err, 0);
	CHECK_INT(g->msgs, 2);
	CHECK(strcmp(g->msg, "MESSAGE") == 0);
	/* The first one, checked on its own. */
	struct got *h = got_new();
	CHECK(h);
	struct sip_ws *c2 = sip_ws_new(true, MAX_MSG);
	CHECK(c2);
	feed(c2, in, 304, 1, h);
	CHECK_INT(h->msgs, 1);
	CHECK_INT(h->msg_len, sizeof big);
	CHECK(memcmp(h->msg, big, sizeof big) == 0);
	free(g);
	free(h);
	sip_ws_free(cli);
	sip_ws_free(c2);
	return 0;
}

TEST(ws_ping_answered_with_pong)
{
	struct sip_ws *cli = sip_ws_new(true, MAX_MSG);
	CHECK(cli);
	char in[64];
	size_t n = frame(in, true, 9, 0, "keepalive", 9);
	n += frame(in + n, true, 0xa, 0, "x", 1); /* an unasked pong: ignored */
	struct got *g = got_new();
	CHECK(g);
	feed(cli, in, n, n, g);
	CHECK_INT(g->err, 0);
	CHECK_INT(g->msgs + g->closes, 0);
	char out[64];
	size_t on = take_out(cli, out, sizeof out);
	struct parsed pf;
	CHECK(parse(out, on, &pf));
	CHECK_INT(pf.frame_len, on);
	CHECK(pf.op == 0xa && pf.fin && pf.masked); /* a client masks its pongs too */
	CHECK(pf.len == 9 && memcmp(pf.p, "keepalive", 9) == 0);
	free(g);
	sip_ws_free(cli);
	return 0;
}

TEST(ws_close_reported_with_code_and_reason)
{
	struct sip_ws *cli = sip_ws_new(true, MAX_MSG);
	CHECK(cli);
	char in[64];
	size_t n = frame(in, true, 8, 0, "\x03\xe9going away", 12);
	n += frame(in + n, true, 1, 0, "late", 4); /* after the close: ignored */
	struct got *g = got_new();
	CHECK(g);
	feed(cli, in, n, n, g);
	CHECK_INT(g->err, 0);
	CHECK_INT(g->closes, 1);
	CHECK_INT(g->msgs, 0);
	CHECK_INT(g->code, 1001);
	CHECK(strcmp(g->reason, "going away") == 0);
	/* The answer echoes the code. */
	char out[64];
	size_t on = take_out(cli, out, sizeof out);
	struct parsed pf;
	CHECK(parse(out, on, &pf));
	CHECK(pf.op == 8 && pf.masked && pf.len == 2);
	CHECK((unsigned char)pf.p[0] == 0x03 && (unsigned char)pf.p[1] == 0xe9);
	CHECK_INT(sip_ws_send(cli, "x", 1), SIP_ECLOSED);
	sip_ws_free(cli);

	/* A close of our own, then none more. */
	struct sip_ws *srv = sip_ws_new(false, MAX_MSG);
	CHECK(srv);
	CHECK_INT(sip_ws_close(srv, 1000, "bye"), 0);
	CHECK_INT(sip_ws_close(srv, 1001, NULL), 0);
	on = take_out(srv, out, sizeof out);
	CHECK(parse(out, on, &pf));
	CHECK(pf.op == 8 && !pf.masked && pf.len == 5 &&
	      memcmp(pf.p,
	             "\x03\xe8"
	             "bye",
	             5) == 0);
	CHECK_INT(pf.frame_len, on);
	char reason[200];
	memset(reason, 'r', sizeof reason - 1);
	reason[sizeof reason - 1] = '\0';
	struct sip_ws *s2 = sip_ws_new(false, MAX_MSG);
	CHECK(s2);
	CHECK_INT(sip_ws_close(s2, 1000, reason), SIP_EINVAL);
	free(g);
	sip_ws_free(srv);
	sip_ws_free(s2);
	return 0;
}

TEST(ws_oversize_message_refused)
{
	struct sip_ws *srv = sip_ws_new(false, 100);
	CHECK(srv);
	char big[101], in[256];
	memset(big, 'x', sizeof big);
	size_t n = frame(in, true, 1, 0x12345678, big, 100); /* at the limit: fine */
	struct got *g = got_new();
	CHECK(g);
	feed(srv, in, n, n, g);
	CHECK_INT(g->err, 0);
	CHECK_INT(g->msgs, 1);
	n = frame(in, true, 1, 0x12345678, big, 101);
	feed(srv, in, n, n, g);
	CHECK_INT(g->err, SIP_ESYNTAX);
	CHECK(strstr(sip_ws_why(srv), "larger than 100 bytes") != NULL);
	/* The peer is told why: 1009. */
	char out[64];
	size_t on = take_out(srv, out, sizeof out);
	struct parsed pf;
	CHECK(parse(out, on, &pf));
	CHECK(pf.op == 8 && pf.len == 2 && (unsigned char)pf.p[0] == 0x03 &&
	      (unsigned char)pf.p[1] == 0xf1);
	/* And it stays failed. */
	struct sip_ws_event ev;
	size_t used;
	CHECK_INT(sip_ws_read(srv, in, 1, &used, &ev), SIP_ESYNTAX);
	sip_ws_free(srv);

	/* Fragments that together pass the limit. */
	struct sip_ws *cli = sip_ws_new(true, 100);
	CHECK(cli);
	n = frame(in, false, 1, 0, big, 60);
	n += frame(in + n, true, 0, 0, big, 41);
	memset(g, 0, sizeof *g);
	feed(cli, in, n, 7, g);
	CHECK_INT(g->err, SIP_ESYNTAX);
	CHECK_INT(g->msgs, 0);
	CHECK(strstr(sip_ws_why(cli), "larger than 100 bytes") != NULL);
	free(g);
	sip_ws_free(cli);
	return 0;
}

TEST(ws_unmasked_frame_to_server_refused)
{
	struct sip_ws *srv = sip_ws_new(false, MAX_MSG);
	CHECK(srv);
	char in[64];
	size_t n = frame(in, true, 1, 0, "OPTIONS", 7);
	struct got *g = got_new();
	CHECK(g);
	feed(srv, in, n, n, g);
	CHECK_INT(g->err, SIP_ESYNTAX);
	CHECK_INT(g->msgs, 0);
	CHECK(strcmp(sip_ws_why(srv), "unmasked frame from the client") == 0);
	CHECK_INT(sip_ws_send(srv, "x", 1), SIP_ECLOSED);
	char out[16];
	size_t on = take_out(srv, out, sizeof out);
	struct parsed pf;
	CHECK(parse(out, on, &pf));
	CHECK(pf.op == 8 && pf.len == 2 && (unsigned char)pf.p[0] == 0x03 &&
	      (unsigned char)pf.p[1] == 0xea); /* 1002: protocol error */
	free(g);
	sip_ws_free(srv);
	return 0;
}

TEST(ws_masked_frame_to_client_refused)
{
	struct sip_ws *cli = sip_ws_new(true, MAX_MSG);
	CHECK(cli);
	char in[64];
	size_t n = frame(in, true, 1, 0xdeadbeef, "OPTIONS", 7);
	struct got *g = got_new();
	CHECK(g);
	feed(cli, in, n, n, g);
	CHECK_INT(g->err, SIP_ESYNTAX);
	CHECK_INT(g->msgs, 0);
	CHECK(strcmp(sip_ws_why(cli), "masked frame from the server") == 0);
	free(g);
	sip_ws_free(cli);
	return 0;
}

TEST(ws_bad_frames_refused)
{
	static const struct {
		const char *bytes;
		size_t len;
		const char *why;
	} cases[] = {
		{"\x83\x01x", 3, "frame with opcode 0x3"},
		{"\x80\x01x", 3, "continuation frame outside a message"},
		{"\x01\x01x\x81\x01y", 6, "new message inside a fragmented one"},
		{"\xc1\x01x", 3, "frame with reserved bits set, no extension was agreed"},
		{"\x09\x01x", 3, "bad frame header"},             /* a fragmented ping */
		{"\x81\x7e\x00\x05hello", 9, "bad frame header"}, /* 16 bits for 5 */
		{"\x88\x01x", 3, "close frame of one byte"},
		{"\x88\x02\x03\xed", 4, "close frame with code 1005"}, /* for reports alone */
		{"\x88\x02\x03\xe7", 4, "close frame with code 999"},
		{"\x88\x02\x13\x88", 4, "close frame with code 5000"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sip_ws *cli = sip_ws_new(true, MAX_MSG);
		CHECK(cli);
		struct got g = {0};
		feed(cli, cases[i].bytes, cases[i].len, cases[i].len, &g);
		CHECK_INT(g.err, SIP_ESYNTAX);
		CHECK_INT(g.msgs, 0);
		CHECK(strncmp(sip_ws_why(cli), cases[i].why, strlen(cases[i].why)) == 0);
		sip_ws_free(cli);
	}
	return 0;
}

TEST(ws_answer_without_sip_protocol_refused)
{
	struct sip_ws_hs hs = {0};
	char ans[1024];
	int n = answer_for(&hs, "", ans, sizeof ans);
	CHECK_INT(sip_ws_client_check(&hs, ans, (size_t)n), SIP_EWS);
	CHECK_INT(hs.status, 101);
	CHECK(strcmp(hs.why, "no Sec-WebSocket-Protocol: sip in the answer") == 0);
	n = answer_for(&hs, "Sec-WebSocket-Protocol: chat\r\n", ans, sizeof ans);
	CHECK_INT(sip_ws_client_check(&hs, ans, (size_t)n), SIP_EWS);
	CHECK(strcmp(hs.why, "no Sec-WebSocket-Protocol: sip in the answer") == 0);
	/* The server picks one, not two. */
	n = answer_for(&hs, "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: sip\r\n", ans,
	               sizeof ans);
	CHECK_INT(sip_ws_client_check(&hs, ans, (size_t)n), SIP_EWS);
	/* The same answer with it is good, in any header case. */
	n = answer_for(&hs, "sec-websocket-protocol:  sip \r\n", ans, sizeof ans);
	CHECK_INT(sip_ws_client_check(&hs, ans, (size_t)n), n);
	n = answer_for(&hs, "Sec-WebSocket-Protocol: sip\r\nSec-WebSocket-Extensions: x\r\n", ans,
	               sizeof ans);
	CHECK_INT(sip_ws_client_check(&hs, ans, (size_t)n), SIP_EWS);
	CHECK(strstr(hs.why, "Sec-WebSocket-Extensions") != NULL);
	return 0;
}

TEST(ws_refusal_reports_http_status)
{
	struct sip_ws_hs hs = {0};
	char req[512];
	struct sip_ws_req r = {.host = "example.com"};
	CHECK(sip_ws_client_request(&hs, &r, req, sizeof req) > 0);
	const char *ans = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
	CHECK_INT(sip_ws_client_check(&hs, ans, strlen(ans)), SIP_EWS);
	CHECK_INT(hs.status, 403);
	CHECK(strcmp(hs.reason, "Forbidden") == 0);
	CHECK(strcmp(hs.why, "the server answered 403 Forbidden") == 0);
	struct sip_ws_hs h2 = {0};
	ans = "HTTP/1.0 404 Not\x1b Found\n\n";
	CHECK_INT(sip_ws_client_check(&h2, ans, strlen(ans)), SIP_EWS);
	CHECK_INT(h2.status, 404);
	CHECK(strcmp(h2.reason, "Not? Found") == 0);
	struct sip_ws_hs h3 = {0};
	ans = "SIP/2.0 200 OK\r\n\r\n";
	CHECK_INT(sip_ws_client_check(&h3, ans, strlen(ans)), SIP_EWS);
	CHECK(strcmp(h3.why, "the answer is not HTTP: 'SIP/2.0 200 OK'") == 0);
	return 0;
}

TEST(ws_wrong_accept_key_refused)
{
	struct sip_ws_hs hs = {0};
	char req[512];
	struct sip_ws_req r = {.host = "example.com"};
	CHECK(sip_ws_client_request(&hs, &r, req, sizeof req) > 0);
	char ans[512];
	/* The RFC's example accept: right for another key. */
	int n = snprintf(ans, sizeof ans, ANSWER101,
	                 "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "Sec-WebSocket-Protocol: sip\r\n");
	CHECK_INT(sip_ws_client_check(&hs, ans, (size_t)n), SIP_EWS);
	CHECK(strcmp(hs.why, "Sec-WebSocket-Accept does not match the key") == 0);
	const char *noup = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n";
	CHECK_INT(sip_ws_client_check(&hs, noup, strlen(noup)), SIP_EWS);
	CHECK(strcmp(hs.why, "no Upgrade: websocket in the answer") == 0);
	return 0;
}

TEST(ws_header_block_over_cap_refused)
{
	size_t len = SIP_WS_HEAD_MAX + 100;
	char *big = malloc(len);
	CHECK(big);
	const char *start = "HTTP/1.1 101 Switching Protocols\r\n";
	memcpy(big, start, strlen(start));
	for (size_t i = strlen(start); i < len; i++)
		big[i] = (i % 64 == 63) ? '\n' : 'a';
	struct sip_ws_hs hs = {0};
	CHECK_INT(sip_ws_client_check(&hs, big, SIP_WS_HEAD_MAX - 1), SIP_EAGAIN);
	CHECK_INT(sip_ws_client_check(&hs, big, len), SIP_ETOOBIG);
	CHECK(strcmp(hs.why, "the answer's header block is over 8192 bytes") == 0);
	struct sip_ws_hs shs = {0};
	memcpy(big, "GET / HTTP/1.1\r\n", 16);
	CHECK_INT(sip_ws_server_check(&shs, big, len), SIP_ETOOBIG);
	CHECK_INT(shs.status, 400);
	/* Whole, but ending past the cap. */
	memcpy(big + SIP_WS_HEAD_MAX + 10, "\r\n\r\n", 4);
	struct sip_ws_hs h2 = {0};
	CHECK_INT(sip_ws_client_check(&h2, big, len), SIP_ETOOBIG);
	free(big);
	return 0;
}

TEST(ws_bad_extra_header_refused)
{
	static const char *bad[] = {"X-A: 1\r\nX-B: 2", "X-A: 1\n", "no colon", "Bad Name: x",
	                            ": empty name"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sip_ws_hs hs = {0};
		struct sip_ws_req r = {.host = "h", .headers = &bad[i], .nheaders = 1};
		char req[512];
		CHECK_INT(sip_ws_client_request(&hs, &r, req, sizeof req), SIP_EINVAL);
		CHECK(strstr(hs.why, "is not one 'Name: value' line") != NULL);
		CHECK(strchr(hs.why, '\r') == NULL && strchr(hs.why, '\n') == NULL);
	}
	struct sip_ws_hs hs = {0};
	char req[512];
	struct sip_ws_req r = {.host = "h", .path = "/a b"};
	CHECK_INT(sip_ws_client_request(&hs, &r, req, sizeof req), SIP_EINVAL);
	CHECK(strcmp(hs.why, "bad path '/a b'") == 0);
	r.path = "/ok";
	r.origin = "http://x\r\nEvil: 1";
	CHECK_INT(sip_ws_client_request(&hs, &r, req, sizeof req), SIP_EINVAL);
	return 0;
}

TEST(ws_server_refuses_bad_requests)
{
	static const struct {
		const char *req;
		int status;
		const char *why;
	} cases[] = {
		{"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
	         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n"
	         "Sec-WebSocket-Protocol: sip\r\n\r\n",
	         426, "the request's Sec-WebSocket-Version is not 13"},
		{"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	         "Sec-WebSocket-Protocol: chat, superchat\r\n\r\n",
	         400, "the request does not offer Sec-WebSocket-Protocol sip"},
		{"POST / HTTP/1.1\r\n\r\n", 400, "the request is not a GET"},
		{"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	         "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n"
	         "Sec-WebSocket-Protocol: sip\r\n\r\n",
	         400, "no valid Sec-WebSocket-Key in the request"},
		{"OPTIONS sip:a SIP/2.0\r\n\r\n", 400, "the request is not a GET"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sip_ws_hs hs = {0};
		CHECK_INT(sip_ws_server_check(&hs, cases[i].req, strlen(cases[i].req)),
		          SIP_ESYNTAX);
		CHECK_INT(hs.status, cases[i].status);
		CHECK(strcmp(hs.why, cases[i].why) == 0);
		char ans[256];
		int n = sip_ws_server_answer(&hs, ans, sizeof ans);
		CHECK(n > 0);
		if (cases[i].status == 426)
			CHECK(strstr(ans, "HTTP/1.1 426 Upgrade Required\r\n"
			                  "Sec-WebSocket-Version: 13\r\n") == ans);
		else
			CHECK(strncmp(ans, "HTTP/1.1 400 Bad Request\r\n", 26) == 0);
	}
	/* The RFC's example request, sip offered among others. */
	const char *good = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\n"
			   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
			   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			   "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: sip\r\n"
			   "Sec-WebSocket-Version: 13\r\n\r\n";
	struct sip_ws_hs hs = {0};
	CHECK_INT(sip_ws_server_check(&hs, good, strlen(good)), (int)strlen(good));
	char ans[256];
	int n = sip_ws_server_answer(&hs, ans, sizeof ans);
	CHECK(n > 0);
	CHECK(strstr(ans, "\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != NULL);
	CHECK(strstr(ans, "\r\nSec-WebSocket-Protocol: sip\r\n\r\n") != NULL);
	CHECK_INT(sip_ws_server_answer(&hs, ans, 20), SIP_ENOSPC);
	return 0;
}

TEST(ws_output_waiting_is_capped)
{
	struct sip_ws *cli = sip_ws_new(true, 100);
	CHECK(cli);
	static char big[1000];
	int r = 0, sent = 0;
	while (sent < 100 && (r = sip_ws_send(cli, big, sizeof big)) == 0)
		sent++;
	CHECK_INT(r, SIP_ETOOBIG);
	const char *p;
	size_t n = sip_ws_out(cli, &p);
	CHECK(n <= 8 * (100 + 14) + 4096);
	CHECK_INT(n, (size_t)sent * (sizeof big + 8)); /* 2 + 2 of length + 4 of mask */
	/* Drained, it takes messages again. */
	sip_ws_out_done(cli, n);
	CHECK_INT(sip_ws_send(cli, big, sizeof big), 0);
	sip_ws_free(cli);

	/* A ping flood nobody drains: pongs are dropped, not piled up. */
	struct sip_ws *srv = sip_ws_new(false, 100);
	CHECK(srv);
	char ping[200];
	size_t pn = frame(ping, true, 9, 0x01020304, big, 125);
	struct got *g = got_new();
	CHECK(g);
	for (int i = 0; i < 200 && !g->err; i++)
		feed(srv, ping, pn, pn, g);
	CHECK_INT(g->err, 0);
	CHECK(sip_ws_out(srv, &p) <= 8 * (100 + 14) + 4096);
	free(g);
	sip_ws_free(srv);
	return 0;
}
