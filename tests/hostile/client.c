/*
 * client.c - a hostile SIP client, for tests/hostile/client.sh to run
 * against `sip listen` and `sip shell`:
 *
 *   client MODE HOST PORT [-n N] [-k K] [-s SECONDS] [-i MS] [-w MS] [-t udp|tcp] [-D]
 *
 *   invite-flood  N INVITEs (5000), each its own Call-ID, branch and From
 *                 tag, as fast as the socket takes them, never ACKed; -t tcp
 *                 spreads them over K connections (1)
 *   garbage       N datagrams (1000) that are not SIP, or barely: random
 *                 bytes, half a request, a huge Content-Length, a start line
 *                 alone, NULs, the largest datagram ...; -t tcp sends each
 *                 on a connection of its own
 *   idle-tcp      N connections (1000) that send nothing for S seconds (10)
 *   drip-tcp      K connections (10), each sending an OPTIONS a byte every
 *                 I ms (1000) for at most S seconds (10)
 *   refer-loop    N REFERs (20) whose Refer-To names the listener itself, in
 *                 as many written forms; -D sends each in a call the client
 *                 sets up first
 *
 * Every loop is bounded in count and in time: -s is the whole run's limit
 * (60 s; for idle-tcp and drip-tcp, how long they hold, with 30 s more to
 * connect and hear the answers), -w how long to wait for answers after the
 * last send (1000 ms), and for each request of refer-loop. When
 * ready for the attack to be observed, idle-tcp and drip-tcp print a line
 * ("holding", "dripping"); every mode ends with one line that says what it
 * did and what came back. Exit status 0 when the attack ran, 1 when it
 * could not start (no socket, nothing connected), 2 for a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF 70000
/* The largest UDP payload IPv4 carries. */
#define DGRAM_MAX 65507
#define RETRANSMIT_MS 500

struct opts {
	const char *mode, *host, *port;
	unsigned long n, k, secs, interval_ms, wait_ms;
	bool n_set, k_set, secs_set, tcp, dialog;
};

static struct sockaddr_storage peer;
static socklen_t peer_len;
static char host_ref[80]; /* HOST as a URI holds it: [::1] */
static char run_id[20];   /* in every Call-ID: runs against one listener differ */
static uint64_t rng_state;
static uint64_t deadline; /* of the whole run */
static unsigned long seq; /* numbers the branches, tags and Call-IDs */

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("client: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool expired(void)
{
	return now_ms() >= deadline;
}

/* xorshift64*: garbage needs no better, and a seed of its own per run. */
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static unsigned long number(const char *s, unsigned long lo, unsigned long hi, const char *what)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi)
		die(2, "%s must be a number from %lu to %lu, not '%s'", what, lo, hi, s);
	return v;
}

static void resolve(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	                         .ai_socktype = SOCK_DGRAM};
	struct addrinfo *ai;
	int err = getaddrinfo(host, port, &hints, &ai);
	if (err)
		die(2, "'%s' port '%s': %s (a numeric address and port)", host, port,
		    gai_strerror(err));
	memcpy(&peer, ai->ai_addr, ai->ai_addrlen);
	peer_len = ai->ai_addrlen;
	snprintf(host_ref, sizeof host_ref, ai->ai_family == AF_INET6 ? "[%s]" : "%s", host);
	freeaddrinfo(ai);
}

static int sock(int type)
{
	int fd = socket(peer.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(1, "socket: %s", strerror(errno));
	return fd;
}

/* A UDP socket that sends to the peer alone and hears only it. */
static int udp_sock(void)
{
	int fd = sock(SOCK_DGRAM);
	if (connect(fd, (struct sockaddr *)&peer, peer_len) < 0)
		die(1, "connect: %s", strerror(errno));
	return fd;
}

/* A TCP connection under way (nonblocking), or -1 with errno. */
static int tcp_start(void)
{
	int fd = socket(peer.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&peer, peer_len) < 0 && errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Waits until each of fds[0..n) is connected, or the time is up; a socket
 * that fails is closed and set to -1. Returns how many are up. */
static size_t tcp_wait_up(int *fds, size_t n, uint64_t until)
{
	struct pollfd *p = calloc(n, sizeof *p);
	bool *up = calloc(n, sizeof *up);
	size_t nup = 0, nleft = 0;
	if (!p || !up)
		die(1, "out of memory");
	for (size_t i = 0; i < n; i++)
		nleft += fds[i] >= 0;
	while (nleft && now_ms() < until) {
		for (size_t i = 0; i < n; i++)
			p[i] = (struct pollfd){.fd = fds[i] >= 0 && !up[i] ? fds[i] : -1,
			                       .events = POLLOUT};
		int r = poll(p, n, (int)(until - now_ms()));
		if (r < 0 && errno != EINTR)
			break;
		for (size_t i = 0; r > 0 && i < n; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			int err = 0;
			socklen_t len = sizeof err;
			getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &len);
			nleft--;
			if (err) {
				close(fds[i]);
				fds[i] = -1;
			} else {
				up[i] = true;
				nup++;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (fds[i] >= 0 && !up[i]) {
			close(fds[i]);
			fds[i] = -1;
		}
	}
	free(p);
	free(up);
	return nup;
}

/* Opens n connections, a few at a time: a burst of SYNs beyond the peer's
 * backlog is answered with SYN cookies, and the handshakes whose ACK then
 * finds the accept queue full are dropped by the peer's kernel, while this
 * side believes them up: connections that exist on one side alone. A pause
 * after each batch lets the peer accept it. Returns how many are up. */
static size_t tcp_open(int *fds, size_t n, uint64_t until)
{
	const size_t batch = 32;
	size_t up = 0;
	for (size_t i = 0; i < n; i += batch) {
		size_t m = n - i < batch ? n - i : batch;
		for (size_t j = i; j < i + m; j++)
			fds[j] = tcp_start();
		up += tcp_wait_up(fds + i, m, until);
		poll(NULL, 0, 5);
	}
	return up;
}

/* "127.0.0.1:40000" or "[::1]:40000": where fd sends from. */
static void local_of(int fd, char *buf, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char h[INET6_ADDRSTRLEN] = "0.0.0.0";
	unsigned port = 0;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof h);
			port = ntohs(s6->sin6_port);
			snprintf(buf, cap, "[%s]:%u", h, port);
			return;
		}
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &s4->sin_addr, h, sizeof h);
		port = ntohs(s4->sin_port);
	}
	snprintf(buf, cap, "%s:%u", h, port);
}

static void raise_nofile(unsigned long want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		fprintf(stderr, "client: cannot raise the descriptor limit to %lu: %s\n", want,
		        strerror(errno));
}

/* ---- what comes back ---- */

/* Responses counted by status code. */
struct tally {
	unsigned long code[700];
	unsigned long total;
};

static void tally_add(struct tally *t, unsigned code)
{
	if (code >= 100 && code < 700) {
		t->code[code]++;
		t->total++;
	}
}

/* "100 x5000, 486 x4968", or "none". */
static void tally_str(const struct tally *t, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	for (unsigned c = 100; c < 700 && len < cap; c++) {
		if (t->code[c])
			len += (size_t)snprintf(buf + len, cap - len, "%s%u x%lu", len ? ", " : "",
			                        c, t->code[c]);
	}
	if (!t->total)
		snprintf(buf, cap, "none");
}

/* The status code of a datagram that is a response, else 0. */
static unsigned status_of(const char *p, size_t n)
{
	if (n < 12 || memcmp(p, "SIP/2.0 ", 8) != 0)
		return 0;
	unsigned code = 0;
	for (int i = 8; i < 11; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		code = code * 10 + (unsigned)(p[i] - '0');
	}
	return code;
}

/* Status lines found at the start of lines of a byte stream, however it
 * was cut into reads: a state machine fed byte by byte. */
struct scan {
	int at; /* chars of "SIP/2.0 NNN" matched on this line, -1: none */
	unsigned code;
};

static void scan_bytes(struct scan *s, struct tally *t, const char *p, size_t n)
{
	static const char lead[] = "SIP/2.0 ";
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (s->at >= 0 && s->at < 8) {
			s->at = c == lead[s->at] ? s->at + 1 : -1;
		} else if (s->at >= 8) {
			if (c >= '0' && c <= '9') {
				s->code = s->code * 10 + (unsigned)(c - '0');
				if (++s->at == 11) {
					tally_add(t, s->code);
					s->at = -1;
				}
			} else {
				s->at = -1;
			}
		}
		if (c == '\n') {
			s->at = 0;
			s->code = 0;
		}
	}
}

/* Every datagram waiting on fd, counted; waits up to ms for the first. */
static void drain_udp(int fd, struct tally *t, int ms)
{
	static char buf[BUF];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (ms > 0 && poll(&p, 1, ms) <= 0)
		return;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0 && errno != ECONNREFUSED)
			return;
		if (n > 0)
			tally_add(t, status_of(buf, (size_t)n));
	}
}

/* ---- messages ---- */

static const char sdp[] = "v=0\r\n"
			  "o=- 1 1 IN IP4 127.0.0.1\r\n"
			  "s=-\r\n"
			  "c=IN IP4 127.0.0.1\r\n"
			  "t=0 0\r\n"
			  "m=audio 4000 RTP/AVP 0\r\n"
			  "a=rtpmap:0 PCMU/8000\r\n";

struct req {
	const char *method, *ruri, *transport, *local;
	const char *call_id, *from_tag, *to_tag; /* to_tag NULL: out of a dialog */
	unsigned cseq;
	const char *extra; /* header lines, each ending in CRLF, or NULL */
	const char *body;  /* SDP when non-NULL */
};

/* A request, well formed, with a fresh branch; its length, or -1. */
static int request(char *buf, size_t cap, const struct req *r)
{
	int n = snprintf(buf, cap,
	                 "%s %s SIP/2.0\r\n"
	                 "Via: SIP/2.0/%s %s;branch=z9hG4bK-%s-%lu;rport\r\n"
	                 "Max-Forwards: 70\r\n"
	                 "From: <sip:hostile@%s>;tag=%s\r\n"
	                 "To: <%s>%s%s\r\n"
	                 "Call-ID: %s\r\n"
	                 "CSeq: %u %s\r\n"
	                 "Contact: <sip:hostile@%s;transport=%s>\r\n"
	                 "%s"
	                 "%s"
	                 "Content-Length: %zu\r\n"
	                 "\r\n"
	                 "%s",
	                 r->method, r->ruri, r->transport, r->local, run_id, ++seq, r->local,
	                 r->from_tag, r->ruri, r->to_tag ? ";tag=" : "", r->to_tag ? r->to_tag : "",
	                 r->call_id, r->cseq, r->method, r->local, r->transport,
	                 r->extra ? r->extra : "",
	                 r->body ? "Content-Type: application/sdp\r\n" : "",
	                 r->body ? strlen(r->body) : 0, r->body ? r->body : "");
	return n > 0 && (size_t)n < cap ? n : -1;
}

/* The n-th INVITE of a flood: a Call-ID, tag and branch of its own. */
static int flood_invite(char *buf, size_t cap, const char *transport, const char *local,
                        unsigned long i)
{
	char ruri[128], call_id[80], tag[40];
	snprintf(ruri, sizeof ruri, "sip:flood@%s", host_ref);
	snprintf(call_id, sizeof call_id, "flood-%s-%lu@hostile", run_id, i);
	snprintf(tag, sizeof tag, "fl%lu", i);
	struct req r = {"INVITE", ruri, transport, local, call_id, tag, NULL, 1, NULL, sdp};
	return request(buf, cap, &r);
}

/* ---- invite-flood ---- */

static void say_flood(const struct opts *o, unsigned long sent, const char *how,
                      const struct tally *t, unsigned long closed, uint64_t t0)
{
	char answers[2048];
	tally_str(t, answers, sizeof answers);
	printf("invite-flood: %lu of %lu INVITEs sent over %s from %lu Call-IDs in %.1f s, "
	       "none ACKed; answers: %s",
	       sent, o->n, how, sent, (double)(now_ms() - t0) / 1000, answers);
	if (o->tcp)
		printf("; %lu of %lu connections closed by the peer", closed, o->k);
	printf("\n");
}

static int invite_flood_udp(const struct opts *o)
{
	static char buf[BUF];
	char local[80];
	struct tally t = {0};
	unsigned long sent = 0;
	uint64_t t0 = now_ms();
	int fd = udp_sock();
	local_of(fd, local, sizeof local);
	for (unsigned long i = 0; i < o->n && !expired(); i++) {
		int len = flood_invite(buf, sizeof buf, "UDP", local, i);
		if (len > 0 && send(fd, buf, (size_t)len, 0) == len)
			sent++;
		drain_udp(fd, &t, 0);
	}
	for (uint64_t end = now_ms() + o->wait_ms; now_ms() < end && !expired();)
		drain_udp(fd, &t, (int)(end - now_ms()));
	close(fd);
	say_flood(o, sent, "UDP", &t, 0, t0);
	return 0;
}

struct stream {
	int fd;
	char out[4096];
	size_t out_len, out_off;
	unsigned long next, last; /* the INVITEs of this connection: [next, last) */
	struct scan scan;
	bool closed;
};

/* Reads what the peer sent; false once it has closed the connection. */
static bool stream_read(struct stream *s, struct tally *t)
{
	static char buf[BUF];
	for (;;) {
		ssize_t n = recv(s->fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n > 0) {
			scan_bytes(&s->scan, t, buf, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return true;
		return false;
	}
}

static int invite_flood_tcp(const struct opts *o)
{
	struct stream *ss = calloc(o->k, sizeof *ss);
	struct pollfd *p = calloc(o->k, sizeof *p);
	int *fds = calloc(o->k, sizeof *fds);
	struct tally t = {0};
	unsigned long sent = 0, closed = 0;
	uint64_t t0 = now_ms();
	if (!ss || !p || !fds)
		die(1, "out of memory");
	raise_nofile(o->k + 64);
	if (tcp_open(fds, o->k, now_ms() + 5000) == 0)
		die(1, "no connection to %s port %s", o->host, o->port);
	for (unsigned long i = 0; i < o->k; i++) {
		ss[i].fd = fds[i];
		ss[i].closed = fds[i] < 0;
		ss[i].next = o->n / o->k * i + (i < o->n % o->k ? i : o->n % o->k);
		ss[i].last = ss[i].next + o->n / o->k + (i < o->n % o->k);
	}
	uint64_t quiet_until = 0;
	for (;;) {
		bool sending = false;
		for (unsigned long i = 0; i < o->k; i++) {
			struct stream *s = &ss[i];
			if (!s->closed && s->out_off == s->out_len && s->next < s->last) {
				char local[80];
				local_of(s->fd, local, sizeof local);
				int len = flood_invite(s->out, sizeof s->out, "TCP", local,
				                       s->next++);
				s->out_len = len > 0 ? (size_t)len : 0;
				s->out_off = 0;
			}
			sending |= !s->closed && s->out_off < s->out_len;
			p[i] = (struct pollfd){.fd = s->closed ? -1 : s->fd,
			                       .events = POLLIN |
			                                 (s->out_off < s->out_len ? POLLOUT : 0)};
		}
		if (!sending && !quiet_until)
			quiet_until = now_ms() + o->wait_ms;
		if (expired() || (quiet_until && now_ms() >= quiet_until))
			break;
		uint64_t until = quiet_until ? quiet_until : deadline;
		if (poll(p, o->k, (int)(until - now_ms())) < 0 && errno != EINTR)
			break;
		for (unsigned long i = 0; i < o->k; i++) {
			struct stream *s = &ss[i];
			if (s->closed || !p[i].revents)
				continue;
			if ((p[i].revents & POLLOUT) && s->out_off < s->out_len) {
				ssize_t n =
					send(s->fd, s->out + s->out_off, s->out_len - s->out_off,
				             MSG_NOSIGNAL | MSG_DONTWAIT);
				if (n > 0 && (s->out_off += (size_t)n) == s->out_len)
					sent++;
				else if (n < 0 && errno != EAGAIN && errno != EINTR)
					s->closed = true;
			}
			if (!s->closed && !stream_read(s, &t))
				s->closed = true;
			if (s->closed)
				closed++;
		}
	}
	for (unsigned long i = 0; i < o->k; i++)
		if (ss[i].fd >= 0)
			close(ss[i].fd);
	say_flood(o, sent, "TCP", &t, closed, t0);
	free(ss);
	free(p);
	free(fds);
	return 0;
}

/* ---- garbage ---- */

static const char *const garbage_kinds[] = {
	"random bytes",
	"half a request",
	"a huge Content-Length",
	"a start line alone",
	"NULs in a request",
	"an empty datagram",
	"the largest datagram",
	"1200 Vias",
	"a response to nothing",
	"control and high bytes in headers",
	"broken URIs",
	"a body longer than its Content-Length",
	"a header line without a colon",
};
#define NKINDS (sizeof garbage_kinds / sizeof garbage_kinds[0])

/* The i-th piece of garbage in buf; its length. */
static size_t garbage(char *buf, size_t cap, unsigned long i, const char *transport,
                      const char *local)
{
	char call_id[80], tag[40], ruri[128];
	snprintf(call_id, sizeof call_id, "garbage-%s-%lu@hostile", run_id, i);
	snprintf(tag, sizeof tag, "g%lu", i);
	snprintf(ruri, sizeof ruri, "sip:garbage@%s", host_ref);
	struct req opt = {"OPTIONS", ruri, transport, local, call_id, tag, NULL, 1, NULL, NULL};
	size_t n = 0;
	int len;
	switch (i % NKINDS) {
	case 0:
		n = 1 + rnd() % 1400;
		for (size_t j = 0; j < n; j++)
			buf[j] = (char)rnd();
		break;
	case 1:
		len = flood_invite(buf, cap, transport, local, i);
		n = len > 1 ? 1 + rnd() % (size_t)(len - 1) : 0;
		break;
	case 2: {
		static const char *const huge[] = {"4294967296", "99999999999999999999999999", "-1",
		                                   "65536", "18446744073709551615"};
		char extra[80];
		snprintf(extra, sizeof extra, "Content-Length: %s\r\n", huge[rnd() % 5]);
		/* Two Content-Lengths: the huge one first, then request()'s 0. */
		opt.extra = extra;
		len = request(buf, cap, &opt);
		n = len > 0 ? (size_t)len : 0;
		break;
	}
	case 3:
		len = snprintf(buf, cap, "INVITE sip:garbage@%s SIP/2.0%s", host_ref,
		               rnd() % 2 ? "\r\n" : "");
		n = (size_t)len;
		break;
	case 4:
		len = request(buf, cap, &opt);
		n = len > 0 ? (size_t)len : 0;
		for (int j = 0; j < 8 && n; j++)
			buf[rnd() % n] = '\0';
		break;
	case 5: break;
	case 6: {
		char *extra = malloc(DGRAM_MAX);
		if (!extra)
			die(1, "out of memory");
		/* The padding header fills what the rest leaves of the datagram. */
		size_t pad = DGRAM_MAX - 600;
		memcpy(extra, "X-Pad: ", 7);
		memset(extra + 7, 'a', pad - 9);
		memcpy(extra + pad - 2, "\r\n", 3);
		opt.extra = extra;
		len = request(buf, cap, &opt);
		free(extra);
		n = len > 0 ? (size_t)len : 0;
		if (n > DGRAM_MAX)
			n = DGRAM_MAX;
		break;
	}
	case 7: {
		size_t vias = 1200, each = 48, at = 0;
		char *extra = malloc(vias * each + 1);
		if (!extra)
			die(1, "out of memory");
		for (size_t j = 0; j < vias; j++)
			at += (size_t)snprintf(
				extra + at, vias * each + 1 - at,
				"Via: SIP/2.0/UDP 10.0.%zu.%zu;branch=z9hG4bK%zu\r\n", j / 250,
				j % 250, j);
		opt.extra = extra;
		len = request(buf, cap, &opt);
		free(extra);
		n = len > 0 ? (size_t)len : 0;
		break;
	}
	case 8:
		len = snprintf(buf, cap,
		               "SIP/2.0 200 OK\r\n"
		               "Via: SIP/2.0/%s %s;branch=z9hG4bK-nothing-%lu\r\n"
		               "From: <sip:a@%s>;tag=x%lu\r\n"
		               "To: <sip:b@%s>;tag=y%lu\r\n"
		               "Call-ID: %s\r\n"
		               "CSeq: 1 INVITE\r\n"
		               "Content-Length: 0\r\n\r\n",
		               transport, local, i, host_ref, i, host_ref, i, call_id);
		n = (size_t)len;
		break;
	case 9:
		len = request(buf, cap, &opt);
		n = len > 0 ? (size_t)len : 0;
		for (int j = 0; j < 16 && n > 40; j++) {
			static const char bad[] = {'\x01', '\x7f', '\xff', '\xc3',
			                           '\x1b', '\r',   '\n'};
			buf[20 + rnd() % (n - 40)] = bad[rnd() % sizeof bad];
		}
		break;
	case 10: {
		static const char *const uris[] = {
			"sip:@@@:99999999",
			"sip:[::1",
			"sip:a@b:-1",
			"<<<<",
			"sip:%zz%00@x",
			"sip:a@1.2.3.4:5060;;;;=;=",
			"tel:",
			"sip:a@[fe80::1%25lo]:1",
		};
		const char *u = uris[rnd() % (sizeof uris / sizeof uris[0])];
		len = snprintf(buf, cap,
		               "INVITE %s SIP/2.0\r\n"
		               "Via: SIP/2.0/%s %s;branch=z9hG4bK-uri-%lu\r\n"
		               "From: %s;tag=%s\r\n"
		               "To: %s\r\n"
		               "Call-ID: %s\r\n"
		               "CSeq: 1 INVITE\r\n"
		               "Contact: %s\r\n"
		               "Content-Length: 0\r\n\r\n",
		               u, transport, local, i, u, tag, u, call_id, u);
		n = (size_t)len;
		break;
	}
	case 11:
		len = request(buf, cap, &opt);
		n = len > 0 ? (size_t)len : 0;
		len = snprintf(buf + n, cap - n,
		               "trailing bytes that no Content-Length counts\r\n");
		n += (size_t)len;
		break;
	default:
		len = snprintf(buf, cap,
		               "OPTIONS sip:garbage@%s SIP/2.0\r\n"
		               "Via: SIP/2.0/%s %s;branch=z9hG4bK-colon-%lu\r\n"
		               "this line has no colon at all\r\n"
		               "Call-ID: %s\r\n\r\n",
		               host_ref, transport, local, i, call_id);
		n = (size_t)len;
		break;
	}
	return n < cap ? n : cap - 1;
}

static int garbage_run(const struct opts *o)
{
	static char buf[BUF];
	char local[80];
	struct tally t = {0};
	unsigned long sent = 0, refused = 0;
	uint64_t t0 = now_ms();
	int fd = o->tcp ? -1 : udp_sock();
	if (fd >= 0)
		local_of(fd, local, sizeof local);
	for (unsigned long i = 0; i < o->n && !expired(); i++) {
		if (!o->tcp) {
			size_t n = garbage(buf, sizeof buf, i, "UDP", local);
			if (send(fd, buf, n, 0) == (ssize_t)n)
				sent++;
			drain_udp(fd, &t, 0);
			continue;
		}
		/* A connection each: the peer may close one that broke its framing. */
		int c = tcp_start();
		if (c < 0 || tcp_wait_up(&c, 1, now_ms() + 2000) == 0) {
			refused++;
			continue;
		}
		local_of(c, local, sizeof local);
		size_t n = garbage(buf, sizeof buf, i, "TCP", local);
		if (n == 0 || send(c, buf, n, MSG_NOSIGNAL) == (ssize_t)n)
			sent++;
		struct scan sc = {0};
		ssize_t r;
		struct pollfd p = {.fd = c, .events = POLLIN};
		/* What it answers right away; a short look, not a wait. */
		while (poll(&p, 1, 20) > 0 && (r = recv(c, buf, sizeof buf, MSG_DONTWAIT)) > 0)
			scan_bytes(&sc, &t, buf, (size_t)r);
		close(c);
	}
	if (fd >= 0) {
		for (uint64_t end = now_ms() + o->wait_ms; now_ms() < end && !expired();)
			drain_udp(fd, &t, (int)(end - now_ms()));
		close(fd);
	}
	char answers[2048], kinds[1024];
	size_t kl = 0;
	for (size_t i = 0; i < NKINDS && kl < sizeof kinds; i++)
		kl += (size_t)snprintf(kinds + kl, sizeof kinds - kl, "%s%s", i ? ", " : "",
		                       garbage_kinds[i]);
	tally_str(&t, answers, sizeof answers);
	printf("garbage: %lu of %lu %s sent over %s in %.1f s", sent, o->n,
	       o->tcp ? "messages, a connection each," : "datagrams", o->tcp ? "TCP" : "UDP",
	       (double)(now_ms() - t0) / 1000);
	if (o->tcp)
		printf(", %lu connections refused", refused);
	printf("; answers: %s; %zu kinds: %s\n", answers, NKINDS, kinds);
	return 0;
}

/* ---- idle-tcp ---- */

static int idle_tcp(const struct opts *o)
{
	int *fds = calloc(o->n, sizeof *fds);
	struct pollfd *p = calloc(o->n, sizeof *p);
	unsigned long closed = 0, data = 0;
	if (!fds || !p)
		die(1, "out of memory");
	raise_nofile(o->n + 64);
	size_t up = tcp_open(fds, o->n, now_ms() + 10000);
	if (up == 0)
		die(1, "no connection to %s port %s", o->host, o->port);
	printf("idle-tcp: %zu connections open, holding them %lu s\n", up, o->secs);
	fflush(stdout);
	uint64_t end = now_ms() + o->secs * 1000;
	if (end > deadline)
		end = deadline;
	/* Watched while held: a close by the peer (or anything it says) is news. */
	while (now_ms() < end) {
		for (unsigned long i = 0; i < o->n; i++)
			p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		int r = poll(p, o->n, (int)(end - now_ms()));
		if (r < 0 && errno != EINTR)
			break;
		for (unsigned long i = 0; r > 0 && i < o->n; i++) {
			char buf[512];
			if (fds[i] < 0 || !p[i].revents)
				continue;
			ssize_t n = recv(fds[i], buf, sizeof buf, MSG_DONTWAIT);
			if (n > 0) {
				data++;
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			closed++;
			close(fds[i]);
			fds[i] = -1;
		}
	}
	for (unsigned long i = 0; i < o->n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	printf("idle-tcp: %zu of %lu connections held %lu s sending nothing (%lu failed); the peer "
	       "closed %lu and sent on %lu\n",
	       up, o->n, o->secs, (unsigned long)(o->n - up), closed, data);
	free(fds);
	free(p);
	return 0;
}

/* ---- drip-tcp ---- */

static int drip_tcp(const struct opts *o)
{
	int *fds = calloc(o->k, sizeof *fds);
	struct pollfd *p = calloc(o->k, sizeof *p);
	struct scan *sc = calloc(o->k, sizeof *sc);
	char(*msg)[1024] = calloc(o->k, sizeof *msg);
	size_t *len = calloc(o->k, sizeof *len), at = 0;
	struct tally t = {0};
	unsigned long closed = 0;
	uint64_t t0 = now_ms();
	if (!fds || !p || !sc || !msg || !len)
		die(1, "out of memory");
	raise_nofile(o->k + 64);
	size_t up = tcp_open(fds, o->k, now_ms() + 5000);
	if (up == 0)
		die(1, "no connection to %s port %s", o->host, o->port);
	size_t longest = 0;
	for (unsigned long i = 0; i < o->k; i++) {
		char local[80], call_id[80], tag[40], ruri[128];
		if (fds[i] < 0)
			continue;
		local_of(fds[i], local, sizeof local);
		snprintf(call_id, sizeof call_id, "drip-%s-%lu@hostile", run_id, i);
		snprintf(tag, sizeof tag, "d%lu", i);
		snprintf(ruri, sizeof ruri, "sip:drip@%s", host_ref);
		struct req r = {"OPTIONS", ruri, "TCP", local, call_id, tag, NULL, 1, NULL, NULL};
		int n = request(msg[i], sizeof msg[i], &r);
		len[i] = n > 0 ? (size_t)n : 0;
		if (len[i] > longest)
			longest = len[i];
	}
	printf("drip-tcp: %zu connections open, dripping an OPTIONS of %zu bytes on each, a byte "
	       "every %lu ms\n",
	       up, longest, o->interval_ms);
	fflush(stdout);
	uint64_t end = now_ms() + o->secs * 1000, next = now_ms();
	if (end > deadline)
		end = deadline;
	while (now_ms() < end) {
		if (now_ms() >= next && at < longest) {
			for (unsigned long i = 0; i < o->k; i++)
				if (fds[i] >= 0 && at < len[i] &&
				    send(fds[i], msg[i] + at, 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
				    errno != EAGAIN) {
					closed++;
					close(fds[i]);
					fds[i] = -1;
				}
			at++;
			next += o->interval_ms;
			/* All sent: what is left is waiting for the answers. */
			if (at == longest && end > now_ms() + o->wait_ms)
				end = now_ms() + o->wait_ms;
		}
		for (unsigned long i = 0; i < o->k; i++)
			p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		uint64_t until = at < longest && next < end ? next : end;
		int r = poll(p, o->k, until > now_ms() ? (int)(until - now_ms()) : 0);
		for (unsigned long i = 0; r > 0 && i < o->k; i++) {
			char buf[4096];
			if (fds[i] < 0 || !p[i].revents)
				continue;
			ssize_t n = recv(fds[i], buf, sizeof buf, MSG_DONTWAIT);
			if (n > 0) {
				scan_bytes(&sc[i], &t, buf, (size_t)n);
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				closed++;
				close(fds[i]);
				fds[i] = -1;
			}
		}
	}
	for (unsigned long i = 0; i < o->k; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	char answers[2048];
	tally_str(&t, answers, sizeof answers);
	printf("drip-tcp: %zu connections dripped %zu of %zu bytes each, a byte every %lu ms, over "
	       "%.1f s; the peer closed %lu; answers: %s\n",
	       up, at, longest, o->interval_ms, (double)(now_ms() - t0) / 1000, closed, answers);
	free(fds);
	free(p);
	free(sc);
	free(msg);
	free(len);
	return 0;
}

/* ---- refer-loop ---- */

/* The value of header NAME (or its compact form c) in the message, trimmed:
 * a pointer into msg and its length in *vlen, or NULL. */
static const char *hdr(const char *msg, size_t n, const char *name, char c, size_t *vlen)
{
	const char *p = memchr(msg, '\n', n), *end = msg + n;
	size_t nl = strlen(name);
	while (p && ++p < end && *p != '\r' && *p != '\n') {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *e = eol ? eol : end, *v = NULL;
		if ((size_t)(e - p) > nl && strncasecmp(p, name, nl) == 0)
			v = p + nl;
		else if (c && (p[0] == c || p[0] == (c ^ 0x20)) && e - p > 1)
			v = p + 1;
		if (v) {
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			if (v < e && *v == ':') {
				v++;
				while (v < e && (*v == ' ' || *v == '\t'))
					v++;
				const char *ve = e;
				while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
					ve--;
				*vlen = (size_t)(ve - v);
				return v;
			}
		}
		p = eol;
	}
	return NULL;
}

static bool hdr_is(const char *msg, size_t n, const char *name, char c, const char *want)
{
	size_t vl;
	const char *v = hdr(msg, n, name, c, &vl);
	return v && vl == strlen(want) && memcmp(v, want, vl) == 0;
}

struct rl {
	int fd;
	char local[80];
	struct tally refer, finals;
	unsigned long refers, notifies, byes, calls, calls_refused, other;
	/* What is awaited: the final response to METHOD in CALL_ID ... */
	const char *call_id, *method;
	unsigned status;
	char to_tag[128];
	/* ... or the NOTIFY that ends the REFER's subscription in it. */
	bool want_final_notify, final_notify, bye_seen;
};

/* Answers a request that came in: 200 (486 to an INVITE) with its Vias,
 * From, To (given a tag when it has none), Call-ID and CSeq. */
static void answer(struct rl *r, const char *m, size_t n)
{
	static char out[BUF];
	bool invite = n > 7 && memcmp(m, "INVITE ", 7) == 0;
	size_t len = (size_t)snprintf(out, sizeof out, "SIP/2.0 %s\r\n",
	                              invite ? "486 Busy Here" : "200 OK");
	const char *p = memchr(m, '\n', n), *end = m + n;
	while (p && ++p < end && *p != '\r' && *p != '\n') {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t ll = (size_t)((eol ? eol : end) - p);
		while (ll && (p[ll - 1] == '\r' || p[ll - 1] == '\n'))
			ll--;
		static const char *const keep[] = {
			"Via:", "v:", "From:", "f:", "Call-ID:", "i:", "CSeq:", "To:", "t:"};
		for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++) {
			size_t kl = strlen(keep[k]);
			if (ll < kl || strncasecmp(p, keep[k], kl) != 0)
				continue;
			bool to = k >= 7;
			int w = snprintf(out + len, sizeof out - len, "%.*s%s\r\n", (int)ll, p,
			                 to && !memmem(p, ll, ";tag=", 5) ? ";tag=hostile" : "");
			if (w > 0 && (size_t)w < sizeof out - len)
				len += (size_t)w;
			break;
		}
		p = eol;
	}
	int w = snprintf(out + len, sizeof out - len, "Content-Length: 0\r\n\r\n");
	if (w > 0 && (size_t)w < sizeof out - len)
		send(r->fd, out, len + (size_t)w, 0);
}

/* One datagram from the listener: a response to what is awaited, or a
 * request to answer (a NOTIFY of the transfer's progress, a BYE). */
static void rl_take(struct rl *r, const char *m, size_t n)
{
	size_t vl;
	unsigned code = status_of(m, n);
	if (code) {
		const char *cseq = hdr(m, n, "CSeq", 0, &vl);
		const char *sp = cseq ? memchr(cseq, ' ', vl) : NULL;
		if (!r->method || !sp || !hdr_is(m, n, "Call-ID", 'i', r->call_id) ||
		    (size_t)(cseq + vl - sp - 1) != strlen(r->method) ||
		    memcmp(sp + 1, r->method, strlen(r->method)) != 0 || code < 200)
			return;
		r->status = code;
		const char *to = hdr(m, n, "To", 't', &vl);
		const char *tag = to ? memmem(to, vl, ";tag=", 5) : NULL;
		if (tag) {
			size_t tl = (size_t)(to + vl - tag - 5);
			const char *semi = memchr(tag + 5, ';', tl);
			if (semi)
				tl = (size_t)(semi - tag - 5);
			snprintf(r->to_tag, sizeof r->to_tag, "%.*s", (int)tl, tag + 5);
		}
		return;
	}
	if (n < 4 || memcmp(m, "ACK ", 4) == 0)
		return;
	answer(r, m, n);
	bool ours = r->call_id && hdr_is(m, n, "Call-ID", 'i', r->call_id);
	if (n > 7 && memcmp(m, "NOTIFY ", 7) == 0) {
		r->notifies++;
		const char *ss = hdr(m, n, "Subscription-State", 0, &vl);
		const char *body = memmem(m, n, "\r\n\r\n", 4);
		if (ours && ss && vl >= 10 && strncasecmp(ss, "terminated", 10) == 0) {
			r->final_notify = true;
			if (body)
				tally_add(&r->finals,
				          status_of(body + 4, (size_t)(m + n - body - 4)));
		}
	} else if (n > 4 && memcmp(m, "BYE ", 4) == 0) {
		r->byes++;
		r->bye_seen |= ours;
	} else {
		r->other++;
	}
}

/* Runs until what is awaited has come, or until; retransmits the request
 * in out (when len) every RETRANSMIT_MS until its final response. */
static void rl_pump(struct rl *r, uint64_t until, const char *out, size_t len)
{
	static char buf[BUF];
	uint64_t resend = now_ms() + RETRANSMIT_MS;
	if (until > deadline)
		until = deadline;
	while (now_ms() < until) {
		if (r->method && r->status >= 200)
			return;
		if (!r->method && (!r->want_final_notify || r->final_notify))
			return;
		struct pollfd p = {.fd = r->fd, .events = POLLIN};
		uint64_t wake = len && r->method && resend < until ? resend : until;
		if (poll(&p, 1, wake > now_ms() ? (int)(wake - now_ms()) : 0) > 0) {
			ssize_t n = recv(r->fd, buf, sizeof buf, MSG_DONTWAIT);
			if (n > 0)
				rl_take(r, buf, (size_t)n);
		}
		if (len && r->method && now_ms() >= resend) {
			send(r->fd, out, len, 0);
			resend = now_ms() + RETRANSMIT_MS;
		}
	}
}

/* Sends a request and waits for its final response: its status, 0 for none. */
static unsigned rl_ask(struct rl *r, const struct req *q, uint64_t until)
{
	static char out[BUF];
	int len = request(out, sizeof out, q);
	if (len < 0)
		return 0;
	r->call_id = q->call_id;
	r->method = q->method;
	r->status = 0;
	r->to_tag[0] = '\0';
	send(r->fd, out, (size_t)len, 0);
	rl_pump(r, until, out, (size_t)len);
	r->method = NULL;
	return r->status;
}

/* The n-th way of writing the listener's own address in a Refer-To. */
static void self_form(char *buf, size_t cap, unsigned long i, const struct opts *o)
{
	bool v4 = peer.ss_family == AF_INET;
	const char *h = host_ref, *p = o->port;
	switch (i % 10) {
	case 0: snprintf(buf, cap, "<sip:loop@%s:%s>", h, p); break;
	case 1: snprintf(buf, cap, "<sip:loop@%s:%s;transport=tcp>", h, p); break;
	case 2: snprintf(buf, cap, "<sip:loop@localhost:%s>", p); break;
	case 3:
		if (v4)
			snprintf(buf, cap, "<sip:loop@[::ffff:%s]:%s>", o->host, p);
		else
			snprintf(buf, cap, "<sip:loop@[0:0:0:0:0:0:0:1]:%s>", p);
		break;
	case 4: snprintf(buf, cap, "<sip:%s:%s>", h, p); break;
	case 5: snprintf(buf, cap, "sip:loop@%s:%s", h, p); break;
	case 6: snprintf(buf, cap, "<sip:loop@%s:0%s>", h, p); break;
	case 7: snprintf(buf, cap, "<sips:loop@%s:%s>", h, p); break;
	case 8: snprintf(buf, cap, "<sip:loop@%s:%s;maddr=%s>", h, p, o->host); break;
	default:
		snprintf(buf, cap, "<sip:loop@%s:%s?Refer-To=sip%%3Aloop%%40%s%%3A%s>", h, p, h, p);
		break;
	}
}

static int refer_loop(const struct opts *o)
{
	struct rl r = {.fd = udp_sock()};
	char ruri[128], forms[512] = "";
	size_t flen = 0;
	local_of(r.fd, r.local, sizeof r.local);
	snprintf(ruri, sizeof ruri, "sip:bob@%s:%s", host_ref, o->port);
	for (unsigned long i = 0; i < o->n && !expired(); i++) {
		char call_id[80], tag[40], refer_to[256], extra[400];
		snprintf(call_id, sizeof call_id, "refer-%s-%lu@hostile", run_id, i);
		snprintf(tag, sizeof tag, "r%lu", i);
		self_form(refer_to, sizeof refer_to, i, o);
		if (i < 10 && flen < sizeof forms)
			flen += (size_t)snprintf(forms + flen, sizeof forms - flen, "%s%s",
			                         flen ? " " : "", refer_to);
		snprintf(extra, sizeof extra, "Refer-To: %s\r\nReferred-By: <sip:hostile@%s>\r\n",
		         refer_to, r.local);
		struct req q = {"INVITE", ruri, "UDP", r.local, call_id, tag, NULL, 1, NULL, sdp};
		char to_tag[128] = "";
		if (o->dialog) {
			unsigned st = rl_ask(&r, &q, now_ms() + o->wait_ms);
			if (st >= 200 && st < 300 && r.to_tag[0]) {
				r.calls++;
				snprintf(to_tag, sizeof to_tag, "%s", r.to_tag);
				struct req ack = {"ACK", ruri,   "UDP", r.local, call_id,
				                  tag,   to_tag, 1,     NULL,    NULL};
				char out[2048];
				int len = request(out, sizeof out, &ack);
				if (len > 0)
					send(r.fd, out, (size_t)len, 0);
			} else {
				r.calls_refused++;
			}
		}
		q = (struct req){
			"REFER", ruri,  "UDP", r.local, call_id, tag, to_tag[0] ? to_tag : NULL,
			2,       extra, NULL};
		r.bye_seen = false;
		r.refers++;
		tally_add(&r.refer, rl_ask(&r, &q, now_ms() + o->wait_ms));
		if (r.status == 202) {
			r.call_id = call_id;
			r.want_final_notify = true;
			r.final_notify = false;
			rl_pump(&r, now_ms() + o->wait_ms, NULL, 0);
			r.want_final_notify = false;
		}
		if (to_tag[0] && !r.bye_seen) {
			q = (struct req){"BYE", ruri,   "UDP", r.local, call_id,
			                 tag,   to_tag, 3,     NULL,    NULL};
			rl_ask(&r, &q, now_ms() + 1000);
		}
	}
	close(r.fd);
	char refers[1024], finals[1024];
	tally_str(&r.refer, refers, sizeof refers);
	tally_str(&r.finals, finals, sizeof finals);
	printf("refer-loop: %lu REFERs naming the peer itself, %lu answered", r.refers,
	       r.refer.total);
	if (o->dialog)
		printf(" (%lu in calls it answered, %lu calls refused)", r.calls, r.calls_refused);
	printf(": %s; final NOTIFYs: %s; %lu NOTIFYs, %lu BYEs, %lu other requests came; Refer-To "
	       "forms: %s\n",
	       refers, finals, r.notifies, r.byes, r.other, forms);
	return 0;
}

/* ---- main ---- */

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fputs("usage: client invite-flood|garbage|idle-tcp|drip-tcp|refer-loop HOST PORT\n"
	      "              [-n N] [-k K] [-s SECONDS] [-i MS] [-w MS] [-t udp|tcp] [-D]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = {.n = 0, .k = 0, .secs = 0, .interval_ms = 1000, .wait_ms = 1000};
	if (argc < 4)
		usage();
	o.mode = argv[1];
	o.host = argv[2];
	o.port = argv[3];
	int c;
	optind = 4;
	while ((c = getopt(argc, argv, "n:k:s:i:w:t:D")) != -1) {
		switch (c) {
		case 'n':
			o.n = number(optarg, 1, 1000000, "-n");
			o.n_set = true;
			break;
		case 'k':
			o.k = number(optarg, 1, 100000, "-k");
			o.k_set = true;
			break;
		case 's':
			o.secs = number(optarg, 1, 3600, "-s");
			o.secs_set = true;
			break;
		case 'i': o.interval_ms = number(optarg, 1, 60000, "-i"); break;
		case 'w': o.wait_ms = number(optarg, 0, 60000, "-w"); break;
		case 't':
			if (strcasecmp(optarg, "tcp") != 0 && strcasecmp(optarg, "udp") != 0)
				die(2, "-t is udp or tcp, not '%s'", optarg);
			o.tcp = strcasecmp(optarg, "tcp") == 0;
			break;
		case 'D': o.dialog = true; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	resolve(o.host, o.port);
	snprintf(run_id, sizeof run_id, "%lx%lx", (unsigned long)getpid(),
	         (unsigned long)(now_ms() & 0xffffff));
	rng_state = ((uint64_t)getpid() << 32) ^ now_ms() ^ 0x9e3779b97f4a7c15ull;
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	int (*run)(const struct opts *);
	unsigned long n = 0, k = 1, secs = 60, margin = 0;
	if (strcmp(o.mode, "invite-flood") == 0) {
		n = 5000;
		run = o.tcp ? invite_flood_tcp : invite_flood_udp;
	} else if (strcmp(o.mode, "garbage") == 0) {
		n = 1000;
		run = garbage_run;
	} else if (strcmp(o.mode, "idle-tcp") == 0) {
		n = 1000;
		secs = 10;
		margin = 30;
		run = idle_tcp;
	} else if (strcmp(o.mode, "drip-tcp") == 0) {
		k = 10;
		secs = 10;
		margin = 30;
		run = drip_tcp;
	} else if (strcmp(o.mode, "refer-loop") == 0) {
		n = 20;
		run = refer_loop;
	} else {
		die(2, "unknown mode '%s'", o.mode);
	}
	if (!o.n_set)
		o.n = n;
	if (!o.k_set)
		o.k = k;
	if (!o.secs_set)
		o.secs = secs;
	/* -s is how long idle-tcp and drip-tcp hold, with time to connect and
	 * hear the answers on top; for the others it is all the time there is. */
	deadline = now_ms() + (o.secs + margin) * 1000;
	return run(&o);
}
