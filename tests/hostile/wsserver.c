/*
 * wsserver - a hostile WebSocket (RFC 6455, RFC 7118) peer for
 * tests/hostile/ws.sh: a server for `sip ... ws://`, and a client for
 * `sip listen --ws`.
 *
 *   wsserver PORT
 *   wsserver client MODE PORT [N] [SECONDS]
 *
 * The server listens on 127.0.0.1:PORT (TCP). The path of the handshake's
 * request picks the mode (`ws://127.0.0.1:PORT/bytewise`):
 *
 *   badaccept   101 with a Sec-WebSocket-Accept of another key
 *   noproto     101 without Sec-WebSocket-Protocol
 *   refuse403   HTTP 403 Forbidden; refuse404: 404 Not Found
 *   silent      no answer to the handshake, ever
 *   dripshake   the 101 at one byte a second
 *   oversize    a text frame that announces 10 MB, and as much of it as
 *               the client takes
 *   bytewise    the 200 in one text frame, a byte every 5 ms
 *   fragmented  the 200 in a text frame and two continuation frames, a
 *               ping before each continuation
 *   closemid    the first fragment of the 200, then a close frame (1001
 *               "going away"), then the connection closes
 *   masked      the 200 in a masked frame (a server must not mask)
 *   garbage     random bytes after the 101, the first a frame header with
 *               reserved bits set
 *   binary      the 200 in a binary frame
 *   hugehead    a 101 whose header block is 10 KB of header lines
 *   pingfirst   the 101 and a ping in the same write, then the 200
 *   shut        the 101, then the connection closes once the request came,
 *               without a close frame
 *   ctlbig      a ping of 126 bytes (control frames have at most 125)
 *   contfirst   the 200 in a continuation frame, no message begun
 *
 * and any other path a good 200 in a text frame. Every mode with a 101
 * reads the client's first message (its frames unmasked) and builds the
 * answer from it: Via, From, To with a tag, Call-ID, CSeq (and Contact for
 * a REGISTER). Then it reads what else the client sends until it closes,
 * and says on stdout each connection's mode and every frame it got, one
 * line each: `bytewise: request OPTIONS`, `fragmented: pong "hostile"`,
 * `closemid: close 1001`, `bytewise: frame from the client not masked`.
 * A connection is a child process of its own, killed after LIFE_S; SIGTERM
 * ends the server and its children.
 *
 * The client modes attack `sip listen --ws` at 127.0.0.1:PORT and print one
 * line that says what came back:
 *
 *   unmasked    a good handshake, then an OPTIONS in an unmasked frame:
 *               the listener must close (with a close frame, 1002)
 *   noproto     a handshake without Sec-WebSocket-Protocol: sip
 *   v12         a handshake with Sec-WebSocket-Version: 12
 *   garbage     random bytes and a blank line instead of a handshake
 *   ping        a good handshake, a ping (its pong must come), then a
 *               close frame (1000, which must come back)
 *   bigframe    a good handshake, then a frame that announces 10 MB
 *   drip        the handshake at a byte a second, for at most SECONDS (40)
 *   idle        N (500) good handshakes, then nothing for SECONDS (3)
 *
 * Every wait is bounded. Exit status 0 when the attack ran, 1 when it
 * could not (no connection, no 101 where one was needed), 2 for a usage
 * error.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LIFE_S 60
#define MAX_CHILDREN 128
#define HEAD_MAX 8192
#define MSG_MAX 65536
#define MAX_IDLE 1000

static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One line on stdout, in one write: the children share the file. */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(1, line, (size_t)n);
}

/* --- SHA-1 (FIPS 180-4) and base64, for Sec-WebSocket-Accept --- */

static uint32_t rol(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

static void sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (int i = 0; i < 80; i++) {
		uint32_t f, k;
		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5A827999;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ED9EBA1;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
		else
			f = b ^ c ^ d, k = 0xCA62C1D6;
		uint32_t t = rol(a, 5) + f + e + k + w[i];
		e = d, d = c, c = rol(b, 30), b = a, a = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

/* SHA-1 of a message short enough for the handshake (under 256 bytes). */
static void sha1(const char *msg, size_t len, unsigned char out[20])
{
	uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
	unsigned char buf[320] = {0};
	memcpy(buf, msg, len);
	buf[len] = 0x80;
	size_t total = (len + 8) / 64 * 64 + 64;
	uint64_t bits = (uint64_t)len * 8;
	for (int i = 0; i < 8; i++)
		buf[total - 1 - i] = (unsigned char)(bits >> (8 * i));
	for (size_t off = 0; off < total; off += 64)
		sha1_block(h, buf + off);
	for (int i = 0; i < 20; i++)
		out[i] = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
}

static void base64(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

/* The Sec-WebSocket-Accept of a key (at most 60 characters). */
static void accept_of(const char *key, char out[29])
{
	char in[128];
	int n = snprintf(in, sizeof(in), "%.60s%s", key, guid);
	unsigned char md[20];
	sha1(in, (size_t)n, md);
	base64(md, sizeof(md), out);
}

/* --- I/O, each wait bounded --- */

static int send_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Waits up to ms for fd to be readable: 1 when it is, 0 on timeout. */
static int wait_in(int fd, long ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r;
	while ((r = poll(&p, 1, (int)ms)) < 0 && errno == EINTR)
		;
	return r > 0;
}

/* Exactly n bytes within ms: 1; 0 when the peer closed or time ran out first. */
static int read_full(int fd, void *buf, size_t n, long ms)
{
	char *c = buf;
	long long end = now_ms() + ms;
	while (n > 0) {
		long left = (long)(end - now_ms());
		if (left <= 0 || !wait_in(fd, left))
			return 0;
		ssize_t r = recv(fd, c, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		c += r;
		n -= (size_t)r;
	}
	return 1;
}

/* An HTTP header block (up to the blank line) into buf, NUL-terminated,
   read a byte at a time so that nothing after it is taken. Its length, 0
   when it did not come whole within ms. */
static size_t read_head(int fd, char *buf, size_t cap, long ms)
{
	long long end = now_ms() + ms;
	size_t n = 0;
	while (n + 1 < cap) {
		long left = (long)(end - now_ms());
		if (left <= 0 || !read_full(fd, buf + n, 1, left))
			return 0;
		n++;
		buf[n] = '\0';
		if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0)
			return n;
	}
	return 0;
}

/* The value of header `name` in the block h into out, "" when absent. */
static void header(const char *h, const char *name, char *out, size_t cap)
{
	out[0] = '\0';
	size_t nl = strlen(name);
	for (const char *l = strstr(h, "\r\n"); l; l = strstr(l + 2, "\r\n")) {
		const char *s = l + 2;
		if (strncasecmp(s, name, nl) != 0 || s[nl] != ':')
			continue;
		s += nl + 1;
		while (*s == ' ' || *s == '\t')
			s++;
		size_t vl = strcspn(s, "\r\n");
		if (vl >= cap)
			vl = cap - 1;
		memcpy(out, s, vl);
		out[vl] = '\0';
		return;
	}
}

/* --- frames --- */

enum { OP_CONT = 0, OP_TEXT = 1, OP_BIN = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10 };

static unsigned long rng = 2463534242UL;

static unsigned char rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return (unsigned char)(rng >> 3);
}

/* A frame's bytes into out (room for len + 14): their count. */
static size_t frame(unsigned char *out, int fin, int op, int mask, const void *p, size_t len)
{
	size_t n = 0;
	out[n++] = (unsigned char)((fin ? 0x80 : 0) | op);
	unsigned char m = mask ? 0x80 : 0;
	if (len < 126) {
		out[n++] = (unsigned char)(m | len);
	} else if (len < 65536) {
		out[n++] = m | 126;
		out[n++] = (unsigned char)(len >> 8);
		out[n++] = (unsigned char)len;
	} else {
		out[n++] = m | 127;
		for (int i = 7; i >= 0; i--)
			out[n++] = (unsigned char)((uint64_t)len >> (8 * i));
	}
	unsigned char key[4] = {0};
	if (mask)
		for (int i = 0; i < 4; i++)
			out[n++] = key[i] = rnd() | 1;
	for (size_t i = 0; i < len; i++)
		out[n + i] = ((const unsigned char *)p)[i] ^ key[i % 4];
	return n + len;
}

static int send_frame(int fd, int fin, int op, int mask, const void *p, size_t len)
{
	unsigned char *b = malloc(len + 14);
	if (!b)
		return -1;
	int r = send_all(fd, b, frame(b, fin, op, mask, p, len));
	free(b);
	return r;
}

struct in_frame {
	int fin, op, masked;
	size_t len;
	char data[MSG_MAX + 1];
};

/* The next frame from the peer, unmasked, within ms: 1; 0 when the peer
   closed, time ran out, or the frame is over MSG_MAX (said). */
static int read_frame(int fd, struct in_frame *f, long ms, const char *mode)
{
	unsigned char h[8];
	if (!read_full(fd, h, 2, ms))
		return 0;
	f->fin = h[0] >> 7;
	f->op = h[0] & 15;
	f->masked = h[1] >> 7;
	uint64_t len = h[1] & 127;
	if (len >= 126) {
		size_t ext = len == 126 ? 2 : 8;
		if (!read_full(fd, h, ext, 2000))
			return 0;
		len = 0;
		for (size_t i = 0; i < ext; i++)
			len = len << 8 | h[i];
	}
	if (len > MSG_MAX) {
		say("%s: frame of %llu bytes from the peer, too long", mode,
		    (unsigned long long)len);
		return 0;
	}
	unsigned char key[4] = {0};
	if (f->masked && !read_full(fd, key, 4, 2000))
		return 0;
	f->len = (size_t)len;
	if (!read_full(fd, f->data, f->len, 2000))
		return 0;
	for (size_t i = 0; i < f->len; i++)
		f->data[i] ^= (char)key[i % 4];
	f->data[f->len] = '\0';
	return 1;
}

/* A frame read for the log: its opcode and what it says. */
static void log_frame(const char *mode, const struct in_frame *f, int want_mask)
{
	if (f->masked != want_mask)
		say("%s: frame from the %s %smasked", mode, want_mask ? "client" : "server",
		    f->masked ? "" : "not ");
	if (f->op == OP_CLOSE) {
		unsigned code = f->len >= 2
		                        ? (unsigned char)f->data[0] << 8 | (unsigned char)f->data[1]
		                        : 0;
		say("%s: close %u%s%.*s", mode, code, f->len > 2 ? " " : "",
		    (int)(f->len > 2 ? f->len - 2 : 0), f->data + 2);
	} else if (f->op == OP_PING || f->op == OP_PONG) {
		say("%s: %s \"%.*s\"", mode, f->op == OP_PING ? "ping" : "pong", (int)f->len,
		    f->data);
	} else {
		int n = (int)strcspn(f->data, " \r\n");
		say("%s: %s %.*s (%zu bytes)", mode,
		    f->op == OP_TEXT  ? "text"
		    : f->op == OP_BIN ? "binary"
		                      : "frame",
		    n, f->data, f->len);
	}
}

/* --- the server's answers --- */

struct sb {
	char p[MSG_MAX];
	size_t len;
};

__attribute__((format(printf, 2, 3))) static void sb_fmt(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, sizeof(b->p) - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n < sizeof(b->p) - b->len ? (size_t)n : sizeof(b->p) - b->len - 1;
}

/* The 200 to the SIP request req: its Vias, From, To (tagged), Call-ID and
   CSeq, and for a REGISTER its Contact, bound for an hour. */
static void ok_for(const char *req, struct sb *b)
{
	b->len = 0;
	sb_fmt(b, "SIP/2.0 200 OK\r\n");
	int reg = strncmp(req, "REGISTER ", 9) == 0;
	const char *line = strstr(req, "\r\n");
	while (line && line[2] != '\r' && line[2] != '\0') {
		const char *s = line + 2;
		int n = (int)strcspn(s, "\r\n");
		int to = strncasecmp(s, "To:", 3) == 0 || strncasecmp(s, "t:", 2) == 0;
		int contact =
			reg && (strncasecmp(s, "Contact:", 8) == 0 || strncasecmp(s, "m:", 2) == 0);
		int copy = to || contact || strncasecmp(s, "Via:", 4) == 0 ||
		           strncasecmp(s, "v:", 2) == 0 || strncasecmp(s, "From:", 5) == 0 ||
		           strncasecmp(s, "f:", 2) == 0 || strncasecmp(s, "Call-ID:", 8) == 0 ||
		           strncasecmp(s, "i:", 2) == 0 || strncasecmp(s, "CSeq:", 5) == 0;
		if (copy)
			sb_fmt(b, "%.*s%s\r\n", n, s,
			       to && !memmem(s, (size_t)n, "tag=", 4) ? ";tag=ws1"
			       : contact                              ? ";expires=3600"
			                                              : "");
		line = strstr(s, "\r\n");
	}
	sb_fmt(b, "Server: hostile-ws\r\nContent-Length: 0\r\n\r\n");
}

/* Reads the client's first message (its data frames, its pings answered):
   1 with the text in f, 0 when none came within 5 s. */
static int read_request(int fd, struct in_frame *f, const char *mode)
{
	long long end = now_ms() + 5000;
	while (now_ms() < end) {
		if (!read_frame(fd, f, (long)(end - now_ms()), mode))
			return 0;
		if (!f->masked)
			say("%s: frame from the client not masked", mode);
		if (f->op == OP_TEXT || f->op == OP_BIN) {
			say("%s: request %.*s", mode, (int)strcspn(f->data, " \r\n"), f->data);
			return 1;
		}
		log_frame(mode, f, 1);
		if (f->op == OP_CLOSE)
			return 0;
		if (f->op == OP_PING)
			send_frame(fd, 1, OP_PONG, 0, f->data, f->len);
	}
	return 0;
}

/* Says every frame the client sends until it closes (or 10 s pass). */
static void drain(int fd, const char *mode)
{
	static struct in_frame f;
	long long end = now_ms() + 10000;
	while (now_ms() < end && read_frame(fd, &f, (long)(end - now_ms()), mode)) {
		log_frame(mode, &f, 1);
		if (f.op == OP_CLOSE)
			break;
	}
	say("%s: done", mode);
}

/* Sends the n bytes at p one at a time, every ms. */
static int drip(int fd, const void *p, size_t n, long ms)
{
	for (size_t i = 0; i < n; i++) {
		if (send_all(fd, (const char *)p + i, 1) < 0)
			return -1;
		if (i + 1 < n)
			sleep_ms(ms);
	}
	return 0;
}

static void serve(int fd)
{
	static char head[HEAD_MAX];
	static struct in_frame f;
	static struct sb ok;
	static unsigned char buf[2 * MSG_MAX];
	if (!read_head(fd, head, sizeof(head), 5000)) {
		say("-: no handshake");
		return;
	}
	char mode[32] = "-";
	if (strncmp(head, "GET /", 5) == 0)
		sscanf(head + 5, "%31[a-z0-9]", mode);
	char key[64], proto[64], a[29];
	header(head, "Sec-WebSocket-Key", key, sizeof(key));
	header(head, "Sec-WebSocket-Protocol", proto, sizeof(proto));
	say("%s: handshake, protocol '%s'", mode, proto);
	if (strcmp(mode, "refuse403") == 0 || strcmp(mode, "refuse404") == 0) {
		const char *st = mode[8] == '3' ? "403 Forbidden" : "404 Not Found";
		char r[256];
		int n = snprintf(r, sizeof(r),
		                 "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: "
		                 "5\r\nConnection: close\r\n\r\nnope\n",
		                 st);
		send_all(fd, r, (size_t)n);
		sleep_ms(200);
		return;
	}
	if (strcmp(mode, "silent") == 0) {
		/* Held until the client gives up: its close ends the wait. */
		char c;
		while (wait_in(fd, 30000) && recv(fd, &c, 1, 0) > 0)
			;
		say("%s: the client left", mode);
		return;
	}
	if (strcmp(mode, "badaccept") == 0)
		accept_of("dGhlIHNhbXBsZSBub25jZQ==", a);
	else
		accept_of(key, a);
	char r[512];
	int n = snprintf(r, sizeof(r),
	                 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	                 "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n",
	                 a, strcmp(mode, "noproto") == 0 ? "" : "Sec-WebSocket-Protocol: sip\r\n");
	if (strcmp(mode, "hugehead") == 0) {
		/* The padding goes before the 101's blank line. */
		n -= 2;
		memset(buf, 'a', 10240);
		for (size_t i = 0; i + 100 <= 10240; i += 100)
			memcpy(buf + i, "X-Pad: ", 7), memcpy(buf + i + 98, "\r\n", 2);
		memcpy(buf + 10240, "\r\n", 2);
		if (send_all(fd, r, (size_t)n) == 0 && send_all(fd, buf, 10242) == 0)
			drain(fd, mode);
		return;
	}
	if (strcmp(mode, "pingfirst") == 0)
		n += (int)frame((unsigned char *)r + n, 1, OP_PING, 0, "early", 5);
	if (strcmp(mode, "dripshake") == 0) {
		if (drip(fd, r, (size_t)n, 1000) < 0)
			say("%s: the client left", mode);
		return;
	}
	if (send_all(fd, r, (size_t)n) < 0)
		return;
	if (strcmp(mode, "badaccept") == 0 || strcmp(mode, "noproto") == 0) {
		drain(fd, mode);
		return;
	}
	if (!read_request(fd, &f, mode)) {
		say("%s: no request", mode);
		return;
	}
	ok_for(f.data, &ok);
	if (strcmp(mode, "oversize") == 0) {
		/* 10 MB announced; the rest comes as long as the client reads. */
		size_t big = 10u * 1024 * 1024, sent = 0;
		size_t hl = 0;
		buf[hl++] = 0x80 | OP_TEXT;
		buf[hl++] = 127;
		for (int i = 7; i >= 0; i--)
			buf[hl++] = (unsigned char)((uint64_t)big >> (8 * i));
		memset(buf + hl, 'a', sizeof(buf) - hl);
		if (send_all(fd, buf, sizeof(buf)) == 0)
			sent = sizeof(buf) - hl;
		memset(buf, 'a', sizeof(buf));
		while (sent < big && send_all(fd, buf, sizeof(buf)) == 0)
			sent += sizeof(buf);
		say("%s: %zu bytes of the 10 MB frame went", mode, sent);
		return;
	}
	if (strcmp(mode, "bytewise") == 0) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (drip(fd, buf, frame(buf, 1, OP_TEXT, 0, ok.p, ok.len), 5) < 0) {
			say("%s: the client left", mode);
			return;
		}
	} else if (strcmp(mode, "fragmented") == 0 || strcmp(mode, "closemid") == 0) {
		size_t third = ok.len / 3;
		send_frame(fd, 0, OP_TEXT, 0, ok.p, third);
		if (mode[0] == 'c') {
			send_frame(fd, 1, OP_CLOSE, 0, "\x03\xe9going away", 12);
			/* Its answering close frame, if any, before the connection goes. */
			if (read_frame(fd, &f, 1000, mode))
				log_frame(mode, &f, 1);
			say("%s: done", mode);
			return;
		}
		send_frame(fd, 1, OP_PING, 0, "hostile1", 8);
		send_frame(fd, 0, OP_CONT, 0, ok.p + third, third);
		send_frame(fd, 1, OP_PING, 0, "hostile2", 8);
		send_frame(fd, 1, OP_CONT, 0, ok.p + 2 * third, ok.len - 2 * third);
	} else if (strcmp(mode, "masked") == 0) {
		send_frame(fd, 1, OP_TEXT, 1, ok.p, ok.len);
	} else if (strcmp(mode, "garbage") == 0) {
		for (size_t i = 0; i < 4096; i++)
			buf[i] = rnd();
		/* Reserved bits set: no extension was agreed, so a protocol error
		   whatever the random rest says. */
		buf[0] |= 0x70;
		send_all(fd, buf, 4096);
	} else if (strcmp(mode, "shut") == 0) {
		say("%s: done", mode);
		return;
	} else if (strcmp(mode, "ctlbig") == 0) {
		memset(buf, 'p', 126);
		send_frame(fd, 1, OP_PING, 0, buf, 126);
	} else if (strcmp(mode, "contfirst") == 0) {
		send_frame(fd, 1, OP_CONT, 0, ok.p, ok.len);
	} else {
		send_frame(fd, 1, strcmp(mode, "binary") == 0 ? OP_BIN : OP_TEXT, 0, ok.p, ok.len);
	}
	drain(fd, mode);
}

static int listen_on(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		fprintf(stderr, "wsserver: port %d: %s\n", port, strerror(errno));
		exit(1);
	}
	return fd;
}

static int server(int port)
{
	static pid_t kids[MAX_CHILDREN];
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	int lfd = listen_on(port);
	say("listening on 127.0.0.1:%d", port);
	while (!stop) {
		for (int i = 0; i < MAX_CHILDREN; i++)
			if (kids[i] > 0 && waitpid(kids[i], NULL, WNOHANG) == kids[i])
				kids[i] = 0;
		if (!wait_in(lfd, 200))
			continue;
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		int slot = -1;
		for (int i = 0; i < MAX_CHILDREN && slot < 0; i++)
			if (kids[i] == 0)
				slot = i;
		pid_t pid = slot < 0 ? -1 : fork();
		if (pid == 0) {
			close(lfd);
			signal(SIGTERM, SIG_DFL);
			alarm(LIFE_S);
			serve(fd);
			close(fd);
			_exit(0);
		}
		if (pid > 0)
			kids[slot] = pid;
		close(fd);
	}
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
	return 0;
}

/* --- the client's attacks on `sip listen --ws` --- */

static int dial(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/* A handshake request, its version and whether it offers sip as given. */
static int handshake(char *out, size_t cap, int port, const char *version, int sip)
{
	return snprintf(out, cap,
	                "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
	                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	                "Sec-WebSocket-Version: %s\r\n%s\r\n",
	                port, version, sip ? "Sec-WebSocket-Protocol: sip\r\n" : "");
}

/* After the 101 (checked): 1, else 0 and what came said. */
static int upgraded(int fd, const char *mode)
{
	char head[HEAD_MAX], a[29], got[64];
	if (!read_head(fd, head, sizeof(head), 3000)) {
		say("%s: no answer to the handshake", mode);
		return 0;
	}
	accept_of("dGhlIHNhbXBsZSBub25jZQ==", a);
	header(head, "Sec-WebSocket-Accept", got, sizeof(got));
	if (strncmp(head, "HTTP/1.1 101 ", 13) != 0 || strcmp(got, a) != 0) {
		say("%s: not upgraded: %.*s", mode, (int)strcspn(head, "\r\n"), head);
		return 0;
	}
	return 1;
}

/* Waits up to ms for the peer to close, saying the frames it sends meanwhile
   and how it ended. */
static void until_closed(int fd, const char *mode, long ms)
{
	static struct in_frame f;
	long long t0 = now_ms(), end = t0 + ms;
	char frames[256] = "";
	size_t fl = 0;
	for (;;) {
		long left = (long)(end - now_ms());
		if (left <= 0) {
			say("%s: still open after %ld ms;%s", mode, ms, frames);
			return;
		}
		if (!read_frame(fd, &f, left, mode))
			break;
		if (f.op == OP_CLOSE && f.len >= 2 && fl < sizeof(frames))
			fl += (size_t)snprintf(frames + fl, sizeof(frames) - fl, " close frame %u",
			                       (unsigned char)f.data[0] << 8 |
			                               (unsigned char)f.data[1]);
		else if (fl < sizeof(frames))
			fl += (size_t)snprintf(frames + fl, sizeof(frames) - fl, " opcode %d",
			                       f.op);
	}
	say("%s: closed by the peer after %lld ms;%s", mode, now_ms() - t0, frames);
}

static int client(const char *mode, int port, long n, long secs)
{
	char req[1024];
	int fd;
	if (strcmp(mode, "idle") == 0) {
		static int fds[MAX_IDLE];
		if (n > MAX_IDLE)
			n = MAX_IDLE;
		long up = 0;
		for (long i = 0; i < n; i++) {
			fds[i] = dial(port);
			if (fds[i] < 0)
				continue;
			int len = handshake(req, sizeof(req), port, "13", 1);
			if (send_all(fds[i], req, (size_t)len) == 0 && upgraded(fds[i], mode))
				up++;
		}
		say("idle: %ld of %ld upgraded, holding", up, n);
		sleep_ms(secs * 1000);
		long closed = 0;
		for (long i = 0; i < n; i++) {
			char c;
			if (fds[i] >= 0 && wait_in(fds[i], 0) &&
			    recv(fds[i], &c, 1, MSG_DONTWAIT) == 0)
				closed++;
			if (fds[i] >= 0)
				close(fds[i]);
		}
		say("idle: %ld of %ld held %ld s, the peer closed %ld", up, n, secs, closed);
		return up ? 0 : 1;
	}
	fd = dial(port);
	if (fd < 0) {
		say("%s: no connection", mode);
		return 1;
	}
	if (strcmp(mode, "unmasked") == 0) {
		int len = handshake(req, sizeof(req), port, "13", 1);
		if (send_all(fd, req, (size_t)len) < 0 || !upgraded(fd, mode))
			return 1;
		static const char opt[] =
			"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/WS h.invalid;branch=z9hG4bKu1\r\n"
			"From: <sip:a@h.invalid>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: u1\r\n"
			"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
		send_frame(fd, 1, OP_TEXT, 0, opt, sizeof(opt) - 1);
		until_closed(fd, mode, 5000);
	} else if (strcmp(mode, "ping") == 0 || strcmp(mode, "bigframe") == 0) {
		static struct in_frame f;
		int len = handshake(req, sizeof(req), port, "13", 1);
		if (send_all(fd, req, (size_t)len) < 0 || !upgraded(fd, mode))
			return 1;
		if (mode[0] == 'b') {
			static unsigned char big[65536];
			size_t hl = 0;
			big[hl++] = 0x80 | OP_TEXT;
			big[hl++] = 0x80 | 127;
			for (int i = 7; i >= 0; i--)
				big[hl++] = (unsigned char)((uint64_t)(10u << 20) >> (8 * i));
			memset(big + hl, 'a', sizeof(big) - hl);
			send_all(fd, big, sizeof(big));
		} else {
			send_frame(fd, 1, OP_PING, 1, "hello", 5);
			if (read_frame(fd, &f, 3000, mode))
				log_frame(mode, &f, 0);
			else
				say("%s: no pong", mode);
			send_frame(fd, 1, OP_CLOSE, 1,
			           "\x03\xe8"
			           "bye",
			           5);
		}
		until_closed(fd, mode, 5000);
	} else if (strcmp(mode, "noproto") == 0 || strcmp(mode, "v12") == 0 ||
	           strcmp(mode, "garbage") == 0) {
		int len;
		if (mode[0] == 'g') {
			for (len = 0; len < 600; len++)
				req[len] = (char)(rnd() | 1);
			memcpy(req + len, "\r\n\r\n", 4);
			len += 4;
		} else {
			len = handshake(req, sizeof(req), port, mode[0] == 'v' ? "12" : "13",
			                mode[0] == 'v');
		}
		send_all(fd, req, (size_t)len);
		char head[HEAD_MAX];
		long long t0 = now_ms();
		if (read_head(fd, head, sizeof(head), 3000))
			say("%s: answered %.*s", mode, (int)strcspn(head, "\r\n"), head);
		else
			say("%s: no answer", mode);
		until_closed(fd, mode, 3000 - (long)(now_ms() - t0));
	} else if (strcmp(mode, "drip") == 0) {
		int len = handshake(req, sizeof(req), port, "13", 1);
		long long t0 = now_ms(), end = t0 + secs * 1000;
		int i = 0;
		say("drip: dripping");
		for (; i < len && now_ms() < end; i++) {
			if (send_all(fd, req + i, 1) < 0)
				break;
			char c;
			if (wait_in(fd, 1000) && recv(fd, &c, 1, MSG_DONTWAIT) <= 0)
				break;
		}
		if (i < len && now_ms() < end)
			say("drip: closed by the peer after %d bytes, %lld ms", i, now_ms() - t0);
		else
			say("drip: still open after %d bytes, %lld ms", i, now_ms() - t0);
	} else {
		fprintf(stderr, "wsserver: unknown client mode '%s'\n", mode);
		return 2;
	}
	close(fd);
	return 0;
}

static long num(const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || end == s || v < lo || v > hi) {
		fprintf(stderr, "wsserver: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 2)
		return server((int)num(argv[1], 1, 65535));
	if (argc >= 4 && argc <= 6 && strcmp(argv[1], "client") == 0) {
		int idle = strcmp(argv[2], "idle") == 0;
		long n = argc > 4 ? num(argv[4], 1, MAX_IDLE) : 500;
		long secs = argc > 5 ? num(argv[5], 0, 600) : idle ? 3 : 40;
		return client(argv[2], (int)num(argv[3], 1, 65535), n, secs);
	}
	fputs("usage: wsserver PORT | wsserver client MODE PORT [N] [SECONDS]\n", stderr);
	return 2;
}
