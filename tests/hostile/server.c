/*
 * server - a hostile SIP server for tests/hostile/server.sh.
 *
 *   server UDP_PORT TCP_PORT RESET_PORT
 *
 * Listens on 127.0.0.1: UDP_PORT (UDP), TCP_PORT (TCP), and RESET_PORT,
 * a TCP port that resets every connection before reading a byte (SO_LINGER
 * 0). The mode of a request is the user part of its Request-URI (of its To
 * URI when the Request-URI has none, as a REGISTER's), so that one server
 * serves every case of the battery: `sip:storm@127.0.0.1:PORT`. The final
 * response a mode spoils is 202 to a REFER and 200 to anything else:
 *
 *   ok          the right answer (the control case)
 *   silence     none
 *   garbage     binary junk
 *   truncated   the first half of the answer (over TCP, then nothing)
 *   close       TCP: the first half of the answer, then the connection closes
 *   clhuge      Content-Length: 18446744073709551617
 *   clneg       Content-Length: -4
 *   clpast      Content-Length: 1000 and a body of 4 bytes
 *   headers     100,000 header lines (UDP: 7,000, what a datagram holds)
 *   longline    a header line of 1 MB (UDP: 60 KB)
 *   body50m     a body of 50 MB (UDP: 60 KB of it, Content-Length 50 MB)
 *   drip        the answer at one byte a second (UDP: a datagram a byte)
 *   callid      the answer with another Call-ID
 *   branch      the answer with another Via branch
 *   storm       10,000 copies of the answer
 *   stormwrong  10,000 copies of an answer of another branch and Call-ID
 *   ring        1xx every 0.2 s (180 to INVITE, 100 to the rest, CANCEL too)
 *   barelf      the answer with LF line ends
 *   nul         the answer with NULs in its reason phrase and a header
 *   code099     status 099; code700: status 700
 *   loop3xx     302 to the Request-URI itself
 *   auth401     401 with a fresh nonce, every time
 *
 * and, to a SUBSCRIBE or REFER answered well, NOTIFYs (to the source
 * address; over TCP on the same connection):
 *
 *   nforever    one every 0.2 s, never final (a sipfrag of 100 for a REFER)
 *   nstorm      10,000 of them at once (a sipfrag of 180 for a REFER)
 *   nbadbody    one whose sipfrag or PIDF body is garbage
 *   nhuge       one with a 10 MB body (UDP: 60 KB): a sipfrag of 503 with
 *               header lines, a PIDF with a long note
 *
 * Modes whose answer can be taken as a 2xx follow it, for a SUBSCRIBE or
 * REFER, with one good NOTIFY (an open PIDF; a sipfrag of 200, terminated).
 * Requests inside a dialog (a To tag) get 200 whatever the mode, so that a
 * BYE or an unsubscribe ends what the mode began, and an unsubscribe its
 * final NOTIFY; an ACK gets nothing, a CANCEL 200 and the INVITE's 487.
 *
 * Each request received is a line on stdout: `request UDP OPTIONS storm`.
 * Everything the server does is bounded: a repeating answer stops after
 * LIFE_MS, a TCP connection's unsent output is capped (the writer waits
 * for the peer to read), a request larger than MAX_IN closes its
 * connection. SIGTERM and SIGINT end it.
 */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 64
#define MAX_JOBS 256
#define MAX_IN (256 * 1024)
#define OUT_HIGH (256 * 1024)
/* What a big answer is cut to over UDP, so that it fits a datagram. */
#define UDP_FILL 60000
#define LIFE_MS 60000

struct conn {
	int fd; /* -1: free */
	char *in;
	size_t inlen;
	char *out;
	size_t outlen, outcap;
};

/*
 * A job sends a message, or a run of copies of it, over time: `copies`
 * copies, `burst` of them per tick, a tick every `every_ms`. A message is
 * head + fill_n bytes of fill_pat repeated + tail, produced piecewise over
 * TCP (a 50 MB body never sits in memory); `drip` sends one byte a tick.
 * A NOTIFY job numbers each copy (`number`, 0 for other jobs): each \1 in
 * head becomes it.
 */
struct job {
	int used;     /* 0 free, 1 running, 2 waiting for the job it follows */
	int tcp;      /* index into conns, or -1 for UDP */
	unsigned gen; /* the connection's generation when the job began */
	struct sockaddr_in to;
	char *head, *tail;
	size_t head_len, tail_len;
	const char *fill_pat;
	size_t fill_pat_len, fill_n;
	long copies, burst, every_ms, number;
	int drip, close_after;
	int resend; /* the copies are retransmissions: the same number */
	size_t pos; /* within the current copy */
	long long next_ms, end_ms;
	struct job *then; /* started when this one ends (a NOTIFY after a 2xx) */
};

static struct conn conns[MAX_CONNS];
static unsigned conn_gen[MAX_CONNS];
static struct job jobs[MAX_JOBS];
static int udp_fd, tcp_fd, rst_fd;
static int udp_port, tcp_port;
static volatile sig_atomic_t stop;
static unsigned long counter;
/* The CSeq of the NOTIFYs, one count for all: it goes up within every dialog. */
static long notify_cseq;

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

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (!q) {
		fputs("server: out of memory\n", stderr);
		exit(1);
	}
	return q;
}

/* A growable string: the messages are built with it. */
struct sb {
	char *p;
	size_t len, cap;
};

static void sb_add(struct sb *b, const void *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void sb_fmt(struct sb *b, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		sb_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* What the server keeps of a request: slices of its buffer. */
struct req {
	const char *method, *ruri, *callid, *from, *to, *cseq, *contact, *event, *expires;
	size_t method_len, ruri_len, callid_len, from_len, to_len, cseq_len, contact_len, event_len,
		expires_len;
	const char *via[16];
	size_t via_len[16];
	int nvia;
	char mode[32];
};

static int name_is(const char *line, size_t n, const char *name, const char *compact,
                   const char **val, size_t *vlen)
{
	const char *colon = memchr(line, ':', n);
	if (!colon)
		return 0;
	size_t nl = (size_t)(colon - line);
	while (nl > 0 && (line[nl - 1] == ' ' || line[nl - 1] == '\t'))
		nl--;
	if (!((nl == strlen(name) && strncasecmp(line, name, nl) == 0) ||
	      (compact && nl == 1 && tolower((unsigned char)line[0]) == compact[0])))
		return 0;
	const char *v = colon + 1;
	while (v < line + n && (*v == ' ' || *v == '\t'))
		v++;
	*val = v;
	*vlen = (size_t)(line + n - v);
	return 1;
}

/* The user of the first sip: URI in s (up to n bytes) into out. */
static void uri_user(const char *s, size_t n, char *out, size_t cap)
{
	out[0] = '\0';
	const char *end = s + n;
	const char *p = NULL;
	for (const char *q = s; q + 4 <= end; q++)
		if (strncasecmp(q, "sip:", 4) == 0) {
			p = q + 4;
			break;
		}
	if (!p)
		return;
	const char *at = p;
	while (at < end && *at != '@' && *at != '>' && *at != ';' && *at != ' ')
		at++;
	if (at >= end || *at != '@' || (size_t)(at - p) >= cap)
		return;
	memcpy(out, p, (size_t)(at - p));
	out[at - p] = '\0';
}

/* Parses the header of a request in buf (its first len bytes); 0 if it is not one. */
static int parse_req(const char *buf, size_t len, struct req *r)
{
	memset(r, 0, sizeof(*r));
	const char *end = buf + len;
	const char *eol = memchr(buf, '\n', len);
	if (!eol || len < 8 || strncmp(buf, "SIP/2.0 ", 8) == 0)
		return 0;
	const char *sp = memchr(buf, ' ', (size_t)(eol - buf));
	if (!sp)
		return 0;
	r->method = buf;
	r->method_len = (size_t)(sp - buf);
	r->ruri = sp + 1;
	const char *sp2 = memchr(r->ruri, ' ', (size_t)(eol - r->ruri));
	r->ruri_len = sp2 ? (size_t)(sp2 - r->ruri) : 0;
	for (const char *line = eol + 1; line < end;) {
		const char *e = memchr(line, '\n', (size_t)(end - line));
		if (!e)
			e = end;
		size_t n = (size_t)(e - line);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0)
			break;
		const char *v;
		size_t vl;
		if (name_is(line, n, "Via", "v", &v, &vl)) {
			if (r->nvia < 16) {
				r->via[r->nvia] = v;
				r->via_len[r->nvia++] = vl;
			}
		} else if (name_is(line, n, "Call-ID", "i", &v, &vl)) {
			r->callid = v, r->callid_len = vl;
		} else if (name_is(line, n, "From", "f", &v, &vl)) {
			r->from = v, r->from_len = vl;
		} else if (name_is(line, n, "To", "t", &v, &vl)) {
			r->to = v, r->to_len = vl;
		} else if (name_is(line, n, "CSeq", NULL, &v, &vl)) {
			r->cseq = v, r->cseq_len = vl;
		} else if (name_is(line, n, "Contact", "m", &v, &vl)) {
			r->contact = v, r->contact_len = vl;
		} else if (name_is(line, n, "Event", "o", &v, &vl)) {
			r->event = v, r->event_len = vl;
		} else if (name_is(line, n, "Expires", NULL, &v, &vl)) {
			r->expires = v, r->expires_len = vl;
		}
		line = e + 1;
	}
	if (!r->nvia || !r->callid || !r->from || !r->to || !r->cseq)
		return 0;
	uri_user(r->ruri, r->ruri_len, r->mode, sizeof(r->mode));
	if (!r->mode[0])
		uri_user(r->to, r->to_len, r->mode, sizeof(r->mode));
	return 1;
}

static int method_is(const struct req *r, const char *m)
{
	return r->method_len == strlen(m) && memcmp(r->method, m, r->method_len) == 0;
}

static int has_tag(const char *s, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i++)
		if (strncasecmp(s + i, "tag=", 4) == 0 && i > 0 && s[i - 1] == ';')
			return 1;
	return 0;
}

/* The To tag of the server's side of r's dialog: the same for every message of
   it, made of its Call-ID. */
static const char *our_tag(const struct req *r)
{
	static char tag[32];
	unsigned long h = 5381;
	for (size_t i = 0; i < r->callid_len; i++)
		h = h * 33 + (unsigned char)r->callid[i];
	snprintf(tag, sizeof(tag), "hostile%lx", h & 0xffffffffUL);
	return tag;
}

/* --- output --- */

static void conn_close(int i)
{
	if (conns[i].fd < 0)
		return;
	close(conns[i].fd);
	conns[i].fd = -1;
	conn_gen[i]++;
	free(conns[i].in);
	free(conns[i].out);
	conns[i].in = conns[i].out = NULL;
	conns[i].inlen = conns[i].outlen = conns[i].outcap = 0;
}

static void conn_queue(int i, const char *p, size_t n)
{
	struct conn *c = &conns[i];
	if (c->outlen + n > c->outcap) {
		c->outcap = (c->outlen + n) * 2;
		c->out = xrealloc(c->out, c->outcap);
	}
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
}

static void conn_flush(int i)
{
	struct conn *c = &conns[i];
	while (c->outlen > 0) {
		ssize_t n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_close(i);
			return;
		}
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
}

static struct job *job_new(int tcp, const struct sockaddr_in *from)
{
	for (int i = 0; i < MAX_JOBS; i++)
		if (!jobs[i].used) {
			struct job *j = &jobs[i];
			memset(j, 0, sizeof(*j));
			j->used = 1;
			j->tcp = tcp;
			j->gen = tcp >= 0 ? conn_gen[tcp] : 0;
			if (from)
				j->to = *from;
			j->copies = 1;
			j->burst = 1;
			j->next_ms = now_ms();
			j->end_ms = j->next_ms + LIFE_MS;
			return j;
		}
	return NULL;
}

/* Ends job j; what follows it starts, or with `all` ends too. */
static void job_end(struct job *j, int all)
{
	struct job *then = j->then;
	free(j->head);
	free(j->tail);
	j->used = 0;
	if (then && all) {
		job_end(then, 1);
	} else if (then) {
		then->used = 1;
		then->next_ms = now_ms();
		then->end_ms = then->next_ms + LIFE_MS;
	}
}

/* The head of job j's current copy: \1 replaced by the copy's number. */
static void job_head(const struct job *j, struct sb *out)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%ld", j->number);
	const char *p = j->head, *e = j->head + j->head_len;
	while (p < e) {
		const char *m = memchr(p, '\1', (size_t)(e - p));
		if (!m) {
			sb_add(out, p, (size_t)(e - p));
			break;
		}
		sb_add(out, p, (size_t)(m - p));
		sb_add(out, num, (size_t)n);
		p = m + 1;
	}
}

static size_t job_len(const struct job *j, size_t head_len)
{
	return head_len + j->fill_n + j->tail_len;
}

/* The bytes [from, from + n) of a copy whose head is h. */
static void job_piece(const struct job *j, const struct sb *h, size_t from, size_t n,
                      struct sb *out)
{
	size_t end = from + n;
	for (size_t k = from; k < end;) {
		if (k < h->len) {
			size_t m = h->len - k < end - k ? h->len - k : end - k;
			sb_add(out, h->p + k, m);
			k += m;
		} else if (k < h->len + j->fill_n) {
			size_t off = k - h->len;
			size_t m = j->fill_n - off < end - k ? j->fill_n - off : end - k;
			size_t po = off % j->fill_pat_len;
			size_t take = j->fill_pat_len - po < m ? j->fill_pat_len - po : m;
			sb_add(out, j->fill_pat + po, take);
			k += take;
		} else {
			size_t off = k - h->len - j->fill_n;
			size_t m = j->tail_len - off < end - k ? j->tail_len - off : end - k;
			sb_add(out, j->tail + off, m);
			k += m;
		}
	}
}

static void udp_send(const struct sockaddr_in *to, const char *p, size_t n)
{
	/* A full socket buffer drops the datagram: a storm is allowed to lose some. */
	(void)sendto(udp_fd, p, n, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof(*to));
}

/* Runs job j's tick: returns when it waits for time or for its connection to drain. */
static void job_tick(struct job *j, long long now)
{
	if (j->tcp >= 0 && (conns[j->tcp].fd < 0 || conn_gen[j->tcp] != j->gen)) {
		job_end(j, 1);
		return;
	}
	if (now >= j->end_ms) {
		job_end(j, 1);
		return;
	}
	for (long b = 0; b < j->burst && j->copies > 0; b++) {
		if (j->tcp >= 0 && conns[j->tcp].outlen > OUT_HIGH)
			return;
		struct sb h = {0};
		job_head(j, &h);
		size_t total = job_len(j, h.len);
		size_t n = j->drip ? 1 : total - j->pos;
		if (j->tcp >= 0 && n > 65536)
			n = 65536;
		struct sb piece = {0};
		job_piece(j, &h, j->pos, n, &piece);
		if (j->tcp >= 0) {
			conn_queue(j->tcp, piece.p, piece.len);
		} else {
			udp_send(&j->to, piece.p, piece.len);
		}
		j->pos += n;
		free(h.p);
		free(piece.p);
		if (j->pos < total) {
			if (j->drip)
				break;
			b--; /* the rest of this copy, as the connection drains */
			continue;
		}
		j->pos = 0;
		j->copies--;
		if (j->number && !j->resend)
			j->number = ++notify_cseq;
	}
	if (j->tcp >= 0 && conns[j->tcp].fd >= 0)
		conn_flush(j->tcp);
	if (j->copies <= 0) {
		if (j->close_after && j->tcp >= 0)
			conn_close(j->tcp);
		job_end(j, 0);
		return;
	}
	j->next_ms = now + j->every_ms;
}

/* --- answers --- */

static void add_via_etc(struct sb *b, const struct req *r, int bad_branch, int bad_callid,
                        const char *eol)
{
	for (int i = 0; i < r->nvia; i++) {
		const char *v = r->via[i], *br = NULL;
		size_t n = r->via_len[i], cut = n;
		for (size_t k = 0; i == 0 && bad_branch && k + 7 <= n && !br; k++)
			if (strncasecmp(v + k, "branch=", 7) == 0)
				br = v + k;
		if (br)
			cut = (size_t)(br - v) + 7 + strcspn(br + 7, ";, \t\r\n");
		sb_str(b, "Via: ");
		sb_add(b, v, cut);
		if (br)
			sb_str(b, "-not-yours");
		sb_add(b, v + cut, n - cut);
		sb_str(b, eol);
	}
	sb_str(b, "From: ");
	sb_add(b, r->from, r->from_len);
	sb_str(b, eol);
	sb_str(b, "To: ");
	sb_add(b, r->to, r->to_len);
	if (!has_tag(r->to, r->to_len))
		sb_fmt(b, ";tag=%s", our_tag(r));
	sb_str(b, eol);
	sb_str(b, "Call-ID: ");
	if (bad_callid)
		sb_str(b, "not-");
	sb_add(b, r->callid, r->callid_len);
	sb_str(b, eol);
	sb_str(b, "CSeq: ");
	sb_add(b, r->cseq, r->cseq_len);
	sb_str(b, eol);
}

static void add_contact(struct sb *b, const struct req *r, int tcp, const char *eol)
{
	sb_fmt(b, "Contact: <sip:%s@127.0.0.1:%d%s>%s", r->mode[0] ? r->mode : "x",
	       tcp >= 0 ? tcp_port : udp_port, tcp >= 0 ? ";transport=tcp" : "", eol);
}

enum { BAD_BRANCH = 1, BAD_CALLID = 2, BARE_LF = 4, NO_LENGTH = 8 };

static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			  "t=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

/* A response with status line `status` (code and reason) to r, headers as built here. */
static void response(struct sb *b, const struct req *r, int tcp, const char *status,
                     const char *extra, int flags)
{
	const char *eol = flags & BARE_LF ? "\n" : "\r\n";
	sb_fmt(b, "SIP/2.0 %s%s", status, eol);
	add_via_etc(b, r, flags & BAD_BRANCH, flags & BAD_CALLID, eol);
	add_contact(b, r, tcp, eol);
	sb_fmt(b, "Server: hostile%s", eol);
	if (extra)
		sb_str(b, extra);
	int body = method_is(r, "INVITE") && status[0] == '2';
	if (body)
		sb_fmt(b, "Content-Type: application/sdp%s", eol);
	if (!(flags & NO_LENGTH))
		sb_fmt(b, "Content-Length: %zu%s%s", body ? sizeof(sdp) - 1 : 0, eol, eol);
	if (body && !(flags & NO_LENGTH))
		sb_str(b, sdp);
}

/* A job that sends message b (taken) once, or as set after. */
static struct job *send_job(struct sb *b, int tcp, const struct sockaddr_in *from)
{
	struct job *j = job_new(tcp, from);
	if (!j) {
		free(b->p);
		return NULL;
	}
	j->head = b->p;
	j->head_len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	j->fill_pat = "";
	return j;
}

/* The final response a mode that behaves would send: 202 to REFER, 200 to the rest. */
static const char *ok_status(const struct req *r)
{
	return method_is(r, "REFER") ? "202 Accepted" : "200 OK";
}

/* A REFER, or a request of the subscription a REFER made. */
static int refer_event(const struct req *r)
{
	return method_is(r, "REFER") ||
	       (r->event && r->event_len >= 5 && strncasecmp(r->event, "refer", 5) == 0);
}

static const char pidf_open[] = "<?xml version=\"1.0\"?>\r\n"
				"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
				"entity=\"sip:hostile@127.0.0.1\"><tuple id=\"t\"><status>"
				"<basic>open</basic></status></tuple></presence>\r\n";

/* The NOTIFYs of a subscription made by r: `n` of them, `every_ms` apart, the body
   given, or fill_n bytes of fill_pat in it after `body`. Returned unstarted. */
static struct job *notify_job(const struct req *r, int tcp, const struct sockaddr_in *from,
                              const char *state, const char *body, const char *fill_pat,
                              size_t fill_n, long n, long every_ms)
{
	int refer = refer_event(r);
	struct sb b = {0};
	sb_str(&b, "NOTIFY ");
	if (r->contact) {
		const char *target = r->contact, *tend = r->contact + r->contact_len;
		const char *lt = memchr(target, '<', r->contact_len);
		if (lt) {
			target = lt + 1;
			const char *gt = memchr(target, '>', (size_t)(tend - target));
			tend = gt ? gt : tend;
		}
		sb_add(&b, target, (size_t)(tend - target));
	} else {
		sb_str(&b, "sip:watcher@127.0.0.1");
	}
	sb_str(&b, " SIP/2.0\r\n");
	sb_fmt(&b, "Via: SIP/2.0/%s 127.0.0.1:%d;branch=z9hG4bKhostile%lu.\1\r\n",
	       tcp >= 0 ? "TCP" : "UDP", tcp >= 0 ? tcp_port : udp_port, ++counter);
	sb_str(&b, "Max-Forwards: 70\r\nFrom: ");
	sb_add(&b, r->to, r->to_len);
	if (!has_tag(r->to, r->to_len))
		sb_fmt(&b, ";tag=%s", our_tag(r));
	sb_str(&b, "\r\nTo: ");
	sb_add(&b, r->from, r->from_len);
	sb_str(&b, "\r\nCall-ID: ");
	sb_add(&b, r->callid, r->callid_len);
	sb_str(&b, "\r\nCSeq: \1 NOTIFY\r\n");
	add_contact(&b, r, tcp, "\r\n");
	sb_str(&b, "Event: ");
	if (refer)
		sb_str(&b, "refer");
	else if (r->event)
		sb_add(&b, r->event, r->event_len);
	else
		sb_str(&b, "presence");
	sb_fmt(&b, "\r\nSubscription-State: %s\r\nContent-Type: %s\r\n", state,
	       refer ? "message/sipfrag;version=2.0" : "application/pidf+xml");
	size_t len = strlen(body) + fill_n;
	const char *tail = refer ? "" : "</note></tuple></presence>\r\n";
	if (fill_n)
		len += strlen(tail);
	sb_fmt(&b, "Content-Length: %zu\r\n\r\n%s", len, body);
	struct job *j = send_job(&b, tcp, from);
	if (!j)
		return NULL;
	j->number = ++notify_cseq;
	j->copies = n;
	j->every_ms = every_ms;
	if (tcp < 0 && n == 1) {
		/* Over UDP a single NOTIFY is retransmitted, as RFC 3261 Timer E
		   would: one lost in a storm's flood would end the run in a timeout. */
		j->copies = 4;
		j->every_ms = 250;
		j->resend = 1;
	}
	j->fill_pat = fill_pat;
	j->fill_pat_len = strlen(fill_pat);
	j->fill_n = fill_n;
	if (fill_n) {
		j->tail = strdup(tail);
		j->tail_len = strlen(tail);
	}
	j->used = 2;
	return j;
}

static const char pidf_head[] = "<?xml version=\"1.0\"?>\r\n"
				"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
				"entity=\"sip:hostile@127.0.0.1\"><tuple id=\"t\"><status>"
				"<basic>open</basic></status><note>";

/* The NOTIFY that a subscription answered as it should gets: the transfer's 200
   (terminated) for a REFER, an open presence (active) for a SUBSCRIBE. */
static struct job *good_notify(const struct req *r, int tcp, const struct sockaddr_in *from)
{
	if (method_is(r, "REFER"))
		return notify_job(r, tcp, from, "terminated;reason=noresource",
		                  "SIP/2.0 200 OK\r\n", "", 0, 1, 0);
	if (method_is(r, "SUBSCRIBE"))
		return notify_job(r, tcp, from, "active;expires=60", pidf_open, "", 0, 1, 0);
	return NULL;
}

static int subscribes(const struct req *r)
{
	return method_is(r, "REFER") || method_is(r, "SUBSCRIBE");
}

static const char garbage[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\xff\xfe\x00\x7f"
			      "SIP/2.0 200 \x01\x02 OK?\r\n\r\n\x80\x81\x82 not SIP at all\r\n"
			      "Via: \xc3\x28\xa0\xa1\r\n\x1b[31m\r\n";

static void answer(const struct req *r, int tcp, const struct sockaddr_in *from)
{
	const char *m = r->mode;
	int in_dialog = has_tag(r->to, r->to_len);
	struct sb b = {0};
	struct job *j;
	int big = tcp >= 0;

	if (method_is(r, "ACK"))
		return;
	if (method_is(r, "CANCEL")) {
		if (strcmp(m, "ring") == 0) {
			response(&b, r, tcp, "100 Trying", NULL, 0);
			j = send_job(&b, tcp, from);
			if (j)
				j->copies = LIFE_MS / 200, j->every_ms = 200;
			return;
		}
		response(&b, r, tcp, "200 OK", NULL, 0);
		send_job(&b, tcp, from);
		struct req inv = *r;
		char cseq[64];
		int n = snprintf(cseq, sizeof(cseq), "%.*s INVITE", (int)strcspn(r->cseq, " \r\n"),
		                 r->cseq);
		inv.cseq = cseq;
		inv.cseq_len = (size_t)n;
		inv.method = "INVITE";
		inv.method_len = 6;
		response(&b, &inv, tcp, "487 Request Terminated", NULL, 0);
		send_job(&b, tcp, from);
		return;
	}
	if (in_dialog || strcmp(m, "ok") == 0 || m[0] == '\0') {
		response(&b, r, tcp, ok_status(r), NULL, 0);
		struct job *ok = send_job(&b, tcp, from);
		if (ok && !in_dialog)
			ok->then = good_notify(r, tcp, from);
		/* An unsubscribe gets the final NOTIFY RFC 6665 asks for, whatever the mode:
		   without it sip waits 64*T1 for one, and the battery with it. */
		if (ok && in_dialog && method_is(r, "SUBSCRIBE") && r->expires &&
		    r->expires[0] == '0')
			ok->then = notify_job(r, tcp, from, "terminated;reason=timeout",
			                      refer_event(r) ? "SIP/2.0 100 Trying\r\n" : pidf_open,
			                      "", 0, 1, 0);
		return;
	}
	if (strcmp(m, "silence") == 0)
		return;
	if (strcmp(m, "garbage") == 0) {
		sb_add(&b, garbage, sizeof(garbage) - 1);
		send_job(&b, tcp, from);
		return;
	}
	if (strcmp(m, "truncated") == 0 || strcmp(m, "close") == 0) {
		response(&b, r, tcp, ok_status(r), NULL, 0);
		b.len = b.len / 2;
		j = send_job(&b, tcp, from);
		if (j && strcmp(m, "close") == 0)
			j->close_after = 1;
		return;
	}
	if (strcmp(m, "clhuge") == 0 || strcmp(m, "clneg") == 0 || strcmp(m, "clpast") == 0) {
		const char *cl = m[2] == 'h' ? "18446744073709551617" : m[2] == 'n' ? "-4" : "1000";
		response(&b, r, tcp, ok_status(r), NULL, NO_LENGTH);
		sb_fmt(&b, "Content-Type: text/plain\r\nContent-Length: %s\r\n\r\nbody", cl);
		send_job(&b, tcp, from);
		return;
	}
	if (strcmp(m, "headers") == 0 || strcmp(m, "longline") == 0 || strcmp(m, "body50m") == 0) {
		/* Over UDP, as much as one datagram holds. */
		int hdrs = m[0] == 'h', line = m[0] == 'l';
		response(&b, r, tcp, ok_status(r), NULL, NO_LENGTH);
		size_t fill = hdrs   ? (big ? 100000 * 8 : 7000 * 8)
		              : line ? (big ? 1024 * 1024 : UDP_FILL)
		                     : (big ? 50u * 1024 * 1024 : UDP_FILL);
		if (hdrs || line)
			sb_str(&b, line ? "X-Long: " : "");
		else
			sb_fmt(&b, "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n",
			       (size_t)50 * 1024 * 1024);
		j = send_job(&b, tcp, from);
		if (!j)
			return;
		j->fill_pat = hdrs ? "X-H: 1\r\n" : line ? "a" : "0123456789abcdef";
		j->fill_pat_len = strlen(j->fill_pat);
		j->fill_n = fill;
		if (hdrs || line) {
			j->tail = strdup(line ? "\r\nContent-Length: 0\r\n\r\n"
			                      : "Content-Length: 0\r\n\r\n");
			j->tail_len = strlen(j->tail);
			if (subscribes(r))
				j->then = good_notify(r, tcp, from);
		}
		return;
	}
	if (strcmp(m, "drip") == 0) {
		/* Over UDP, each byte is a datagram of its own. */
		response(&b, r, tcp, ok_status(r), NULL, 0);
		j = send_job(&b, tcp, from);
		if (j)
			j->drip = 1, j->every_ms = 1000;
		return;
	}
	if (strcmp(m, "callid") == 0 || strcmp(m, "branch") == 0) {
		response(&b, r, tcp, ok_status(r), NULL, m[0] == 'c' ? BAD_CALLID : BAD_BRANCH);
		send_job(&b, tcp, from);
		return;
	}
	if (strcmp(m, "storm") == 0 || strcmp(m, "stormwrong") == 0) {
		response(&b, r, tcp, ok_status(r), NULL, m[5] == 'w' ? BAD_BRANCH | BAD_CALLID : 0);
		j = send_job(&b, tcp, from);
		if (j) {
			j->copies = 10000, j->burst = 200, j->every_ms = 5;
			if (m[5] != 'w' && subscribes(r))
				j->then = good_notify(r, tcp, from);
		}
		return;
	}
	if (strcmp(m, "ring") == 0) {
		response(&b, r, tcp, method_is(r, "INVITE") ? "180 Ringing" : "100 Trying", NULL,
		         0);
		j = send_job(&b, tcp, from);
		if (j)
			j->copies = LIFE_MS / 200, j->every_ms = 200;
		return;
	}
	if (strcmp(m, "barelf") == 0 || strcmp(m, "nul") == 0) {
		if (m[0] == 'b') {
			response(&b, r, tcp, ok_status(r), NULL, BARE_LF);
		} else {
			/* NULs after the reason phrase and in a header: \2 marks them. */
			char st[64];
			snprintf(st, sizeof(st), "%s\2evil", ok_status(r));
			response(&b, r, tcp, st, "X-Nul: a\2b\r\n", 0);
			for (size_t k = 0; k < b.len; k++)
				if (b.p[k] == '\2')
					b.p[k] = '\0';
		}
		j = send_job(&b, tcp, from);
		if (j && subscribes(r))
			j->then = good_notify(r, tcp, from);
		return;
	}
	if (strcmp(m, "code099") == 0 || strcmp(m, "code700") == 0) {
		response(&b, r, tcp, m[4] == '0' ? "099 Low" : "700 High", NULL, 0);
		send_job(&b, tcp, from);
		return;
	}
	if (strcmp(m, "loop3xx") == 0) {
		/* A Contact that is the Request-URI itself: following it loops. */
		response(&b, r, tcp, "302 Moved Temporarily", NULL, 0);
		send_job(&b, tcp, from);
		return;
	}
	if (strcmp(m, "auth401") == 0) {
		char ch[256];
		snprintf(ch, sizeof(ch),
		         "WWW-Authenticate: Digest realm=\"hostile\", nonce=\"n%lu\", "
		         "algorithm=MD5, qop=\"auth\"\r\n",
		         ++counter);
		response(&b, r, tcp, "401 Unauthorized", ch, 0);
		send_job(&b, tcp, from);
		return;
	}
	if (subscribes(r) && (strcmp(m, "nforever") == 0 || strcmp(m, "nstorm") == 0 ||
	                      strcmp(m, "nbadbody") == 0 || strcmp(m, "nhuge") == 0)) {
		int refer = method_is(r, "REFER");
		response(&b, r, tcp, ok_status(r), NULL, 0);
		struct job *ok = send_job(&b, tcp, from);
		if (!ok)
			return;
		if (strcmp(m, "nforever") == 0)
			ok->then = notify_job(r, tcp, from, "active;expires=60",
			                      refer ? "SIP/2.0 100 Trying\r\n" : pidf_open, "", 0,
			                      LIFE_MS / 200, 200);
		else if (strcmp(m, "nstorm") == 0) {
			ok->then = notify_job(r, tcp, from, "active;expires=60",
			                      refer ? "SIP/2.0 180 Ringing\r\n" : pidf_open, "", 0,
			                      10000, 5);
			if (ok->then)
				ok->then->burst = 100;
		} else if (strcmp(m, "nbadbody") == 0)
			ok->then = notify_job(
				r, tcp, from, "active;expires=60",
				refer ? "HTTP/1.1 200 OK\r\n\x01\x02garbage\r\n"
				      : "<?xml version=\"1.0\"?><presence <<<\x01 garbage",
				"", 0, 1, 0);
		else
			/* 10 MB over TCP; over UDP, what a datagram holds. A transfer's body
			   says 503, so that taking it whole is never success. */
			ok->then = notify_job(
				r, tcp, from, "active;expires=60",
				refer ? "SIP/2.0 503 Service Unavailable\r\n" : pidf_head,
				refer ? "X-Fill: aaaaaaaaaaaaaaaaaaaaaaa\r\n" : "aaaaaaaa",
				big ? 10u * 1024 * 1024 : UDP_FILL, 1, 0);
		return;
	}
	/* A mode it does not know, or one for subscriptions on another request: behaves. */
	response(&b, r, tcp, ok_status(r), NULL, 0);
	send_job(&b, tcp, from);
}

/* --- input --- */

/* One message received (len bytes at p): a request is logged and answered. */
static void received(const char *p, size_t len, int tcp, const struct sockaddr_in *from)
{
	const char *tname = tcp >= 0 ? "TCP" : "UDP";
	struct req r;
	if (len >= 8 && strncmp(p, "SIP/2.0 ", 8) == 0) {
		size_t n = strcspn(p, "\r\n");
		printf("response %s %.*s\n", tname, (int)(n < 80 ? n : 80), p);
	} else if (parse_req(p, len, &r)) {
		printf("request %s %.*s %s\n", tname, (int)r.method_len, r.method,
		       r.mode[0] ? r.mode : "-");
		fflush(stdout);
		answer(&r, tcp, from);
	} else {
		printf("junk %s %zu bytes\n", tname, len);
	}
	fflush(stdout);
}

/* The length of the first whole message in buf, 0 if it is not all there yet, or
   (size_t)-1 if its Content-Length is no length. */
static size_t frame(const char *buf, size_t len)
{
	const char *end = NULL;
	size_t hl = 0;
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] == '\n' && buf[i + 1] == '\n') {
			end = buf + i + 2;
			break;
		}
		if (i + 3 < len && memcmp(buf + i, "\r\n\r\n", 4) == 0) {
			end = buf + i + 4;
			break;
		}
	}
	if (!end)
		return 0;
	hl = (size_t)(end - buf);
	unsigned long cl = 0;
	for (const char *line = buf; line < end;) {
		const char *e = memchr(line, '\n', (size_t)(end - line));
		const char *v;
		size_t vl;
		if (name_is(line, (size_t)(e - line), "Content-Length", "l", &v, &vl)) {
			char *stop_at;
			errno = 0;
			cl = strtoul(v, &stop_at, 10);
			if (errno || stop_at == v || cl > MAX_IN)
				return (size_t)-1;
		}
		line = e + 1;
	}
	return hl + cl <= len ? hl + cl : 0;
}

static void tcp_read(int i)
{
	struct conn *c = &conns[i];
	char buf[65536];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		printf("closed TCP\n");
		fflush(stdout);
		conn_close(i);
		return;
	}
	if (n < 0)
		return;
	if (c->inlen + (size_t)n > MAX_IN) {
		printf("junk TCP over %d bytes: closed\n", MAX_IN);
		conn_close(i);
		return;
	}
	c->in = xrealloc(c->in, c->inlen + (size_t)n + 1);
	memcpy(c->in + c->inlen, buf, (size_t)n);
	c->inlen += (size_t)n;
	for (;;) {
		/* Keep-alive CRLFs between messages. */
		size_t skip = 0;
		while (skip < c->inlen && (c->in[skip] == '\r' || c->in[skip] == '\n'))
			skip++;
		memmove(c->in, c->in + skip, c->inlen - skip);
		c->inlen -= skip;
		size_t m = frame(c->in, c->inlen);
		if (m == (size_t)-1) {
			printf("junk TCP bad Content-Length: closed\n");
			conn_close(i);
			return;
		}
		if (m == 0)
			return;
		char save = c->in[m];
		c->in[m] = '\0';
		unsigned gen = conn_gen[i];
		received(c->in, m, i, NULL);
		if (c->fd < 0 || conn_gen[i] != gen)
			return;
		c->in[m] = save;
		memmove(c->in, c->in + m, c->inlen - m);
		c->inlen -= m;
	}
}

static int listen_on(int type, int port)
{
	int fd = socket(AF_INET, type, 0);
	int one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		fprintf(stderr, "server: port %d: %s\n", port, strerror(errno));
		exit(1);
	}
	if (type == SOCK_DGRAM) {
		/* Room for the big datagrams sip may send back and forth. */
		int sz = 4 * 1024 * 1024;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	return fd;
}

static int port_arg(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < 1 || v > 65535) {
		fprintf(stderr, "server: bad port '%s'\n", s);
		exit(2);
	}
	return (int)v;
}

static int waits_for_drain(const struct job *j)
{
	return j->tcp >= 0 && conns[j->tcp].fd >= 0 && conns[j->tcp].outlen > OUT_HIGH;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fputs("usage: server UDP_PORT TCP_PORT RESET_PORT\n", stderr);
		return 2;
	}
	udp_port = port_arg(argv[1]);
	tcp_port = port_arg(argv[2]);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	udp_fd = listen_on(SOCK_DGRAM, udp_port);
	tcp_fd = listen_on(SOCK_STREAM, tcp_port);
	rst_fd = listen_on(SOCK_STREAM, port_arg(argv[3]));
	for (int i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1;
	printf("listening udp %d tcp %d reset %s\n", udp_port, tcp_port, argv[3]);
	fflush(stdout);

	static char dgram[65536];
	while (!stop) {
		struct pollfd pfd[3 + MAX_CONNS];
		int map[3 + MAX_CONNS];
		int n = 0;
		pfd[n++] = (struct pollfd){.fd = udp_fd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = tcp_fd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = rst_fd, .events = POLLIN};
		for (int i = 0; i < MAX_CONNS; i++)
			if (conns[i].fd >= 0) {
				map[n] = i;
				pfd[n++] = (struct pollfd){
					.fd = conns[i].fd,
					.events =
						(short)(POLLIN | (conns[i].outlen ? POLLOUT : 0))};
			}
		long long now = now_ms(), next = now + 1000;
		for (int i = 0; i < MAX_JOBS; i++)
			if (jobs[i].used == 1 && !waits_for_drain(&jobs[i]) &&
			    jobs[i].next_ms < next)
				next = jobs[i].next_ms;
		int timeout = next > now ? (int)(next - now) : 0;
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			return 1;
		if (stop)
			break;
		if (pfd[0].revents & POLLIN) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t len = recvfrom(udp_fd, dgram, sizeof(dgram) - 1, MSG_DONTWAIT,
			                       (struct sockaddr *)&from, &fl);
			if (len >= 0) {
				dgram[len] = '\0';
				received(dgram, (size_t)len, -1, &from);
			}
		}
		if (pfd[1].revents & POLLIN) {
			int fd = accept(tcp_fd, NULL, NULL);
			int slot = -1;
			for (int i = 0; fd >= 0 && i < MAX_CONNS && slot < 0; i++)
				if (conns[i].fd < 0)
					slot = i;
			if (slot < 0 && fd >= 0)
				close(fd);
			else if (fd >= 0)
				conns[slot].fd = fd;
		}
		if (pfd[2].revents & POLLIN) {
			/* Reset before reading: SO_LINGER 0 makes close() send RST. */
			int fd = accept(rst_fd, NULL, NULL);
			struct linger lg = {.l_onoff = 1, .l_linger = 0};
			if (fd >= 0) {
				setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
				close(fd);
				printf("reset TCP\n");
				fflush(stdout);
			}
		}
		for (int k = 3; k < n; k++) {
			int i = map[k];
			if (conns[i].fd != pfd[k].fd)
				continue;
			if (pfd[k].revents & POLLOUT)
				conn_flush(i);
			if (conns[i].fd >= 0 && (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				tcp_read(i);
		}
		now = now_ms();
		for (int i = 0; i < MAX_JOBS; i++)
			if (jobs[i].used == 1 && jobs[i].next_ms <= now &&
			    !waits_for_drain(&jobs[i]))
				job_tick(&jobs[i], now);
	}
	for (int i = 0; i < MAX_CONNS; i++)
		conn_close(i);
	for (int i = 0; i < MAX_JOBS; i++)
		if (jobs[i].used == 1)
			job_end(&jobs[i], 1);
	return 0;
}
