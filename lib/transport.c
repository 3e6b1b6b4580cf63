/* transport.c - UDP, TCP, TLS and WebSocket on the loop.
 *
 * UDP: one socket per address family that both sends and receives, so that
 * a response sent back to the source port (rport, RFC 3581) arrives here.
 * IP_RECVERR turns an ICMP error for a datagram we sent into an error
 * report for its destination, which lets a probe end at once.
 *
 * TCP and TLS: one connection per (transport, remote), opened on demand or
 * accepted from a listener. Bytes go out through an output buffer (partial
 * writes); bytes in are framed by Content-Length into whole messages. TLS
 * runs OpenSSL over memory BIOs: this file does every socket call itself,
 * so a write to a closed peer never raises SIGPIPE in the caller's process.
 * The client context (OpenSSL's start-up, the trust store) costs tens of
 * milliseconds: a helper thread makes it while the loop goes on answering
 * the other transports, and the connect runs meanwhile.
 *
 * WS and WSS are TCP and TLS connections that start with an HTTP Upgrade
 * (ws.c checks it) and then carry one SIP message per WebSocket message,
 * framed by ws.c: no Content-Length framing. Messages sent before the
 * upgrade is done wait in pend, as they wait for a TLS handshake.
 *
 * Network errors reach the caller through its err handler, on a later turn
 * of the loop, never as a return from the call that caused them; a return
 * code means misuse, a local failure (memory, sockets) or configuration.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "sip_int.h"
#include "ws_int.h"

#define DGRAM_MAX 65535
#define MSG_MAX_DEFAULT 65535
#define IDLE_DEFAULT_US 32000000u
/* A peer that stops reading cannot make us buffer without end. */
#define OUT_MAX (4u << 20)
/* Work done per readiness before other sockets get their turn. */
#define BATCH 64
/* Accepted connections beyond this make room by closing the one quiet the
 * longest: a flood of idle connections cannot take every descriptor, nor
 * shut out the next client. */
#define MAX_ACCEPTED_DEFAULT 1024
/* How long listeners rest when accept fails for want of descriptors. */
#define ACCEPT_PAUSE_US 100000

/* C_UPGRADE: a WebSocket connection's HTTP Upgrade under way. */
enum conn_state { C_CONNECTING, C_HANDSHAKE, C_UPGRADE, C_UP };

struct bytes {
	char *p;
	size_t len, cap;
};

struct conn {
	struct conn *next;
	struct sip_transport *tp;
	enum sip_tp t;
	enum conn_state state;
	bool accepted;
	bool heard;        /* an accepted connection has sent a whole message */
	bool dead;         /* closed and on the dead list; freed when no handler runs */
	uint64_t heard_at; /* the last bytes from the peer, or the accept */
	int fd;
	unsigned events; /* what the loop watches for */
	struct sip_sockaddr local, remote;
	SSL *ssl;
	char *tls_name;
	char peer[256]; /* the peer certificate, for sip_transport_tls_peer */
	struct sip_timer idle;
	struct bytes out;  /* for the socket: plain text (TCP) or TLS records */
	struct bytes pend; /* TLS plain text waiting for the handshake */
	/* Lengths of the messages queued before the connection was up, in out
	 * (TCP) or pend (TLS): they are traced when they can leave, so that a
	 * connection refused shows nothing as sent. */
	size_t *queued;
	size_t nqueued, cap_queued;
	char *in; /* plain text received, not yet delivered */
	size_t in_len, in_cap;
	size_t need;   /* length of the message at in once its headers are there; 0: not yet */
	size_t scan;   /* where the search for the end of the headers resumes */
	bool line1;    /* the start line was checked */
	unsigned crlf; /* CR and LF octets seen between messages, for RFC 5626 pings */
	struct sip_ws_hs *hs; /* WS, WSS: the upgrade, until it is done */
	struct sip_ws *ws;    /* WS, WSS: the frames, once it is */
	bool ws_partial;      /* a WebSocket message has begun and not ended */
	bool asked;           /* a client's upgrade request went */
};

struct report {
	struct report *next;
	int err;
	enum sip_tp t;
	struct sip_sockaddr remote;
	char detail[200];
};

/* The client context in the making, on its own thread. */
struct ctx_job {
	pthread_t thread;
	int pipe[2]; /* the thread writes a byte when it is done */
	bool running, keylog;
	const char *ca_file;
	bool insecure;
	/* Results, read once the byte is there. */
	SSL_CTX *ctx;
	int err;
	char detail[200];
};

struct sip_transport {
	struct sip_loop *loop;
	struct sip_transport_opts opts; /* strings point to the copies below */
	char *local_host, *ca_file, *cert_file, *key_file, *ws_path, *ws_origin;
	char **ws_headers;
	sip_recv_h *recv;
	sip_tp_err_h *err;
	void *arg;
	int udp[2]; /* [0] IPv4, [1] IPv6; -1 when that family is not in use */
	struct sip_sockaddr udp_addr[2];
	int lfd[SIP_TP_COUNT][2]; /* TCP and TLS listeners */
	struct sip_sockaddr laddr[SIP_TP_COUNT][2];
	struct conn *conns, *dead;
	unsigned naccepted;
	struct sip_timer accept_pause;
	struct report *reports, **reports_tail;
	struct sip_timer report_timer;
	SSL_CTX *cli_ctx, *srv_ctx;
	struct ctx_job job;
	unsigned depth; /* handlers of ours on the stack */
	bool freeing;   /* sip_transport_free was called from inside a handler */
	/* The last source address lookup, so that a flood of probes to one
	 * target does not cost a socket each. */
	struct sip_sockaddr route_dst, route_src;
	/* The certificate of the last TLS peer whose connection is gone. */
	struct sip_sockaddr last_peer_addr;
	char last_peer[256];
	char *dgram; /* DGRAM_MAX + 1: datagrams, and TLS records on their way in */
	struct sip_msg msg;
};

/* ---- small helpers ---- */

static bool is_tls(enum sip_tp t)
{
	return t == SIP_TP_TLS || t == SIP_TP_WSS;
}

static bool is_ws(enum sip_tp t)
{
	return t == SIP_TP_WS || t == SIP_TP_WSS;
}

static int fam_index(int family)
{
	return family == AF_INET ? 0 : family == AF_INET6 ? 1 : -1;
}

static socklen_t sa_len(const struct sip_sockaddr *sa)
{
	if (sa->len)
		return sa->len;
	return sa->u.sa.sa_family == AF_INET6 ? sizeof sa->u.in6 : sizeof sa->u.in;
}

static size_t max_msg(const struct sip_transport *tp)
{
	return tp->opts.max_msg ? tp->opts.max_msg : MSG_MAX_DEFAULT;
}

static unsigned max_accepted(const struct sip_transport *tp)
{
	return tp->opts.max_accepted ? tp->opts.max_accepted : MAX_ACCEPTED_DEFAULT;
}

static uint64_t idle_us(const struct sip_transport *tp)
{
	return tp->opts.idle_us ? tp->opts.idle_us : IDLE_DEFAULT_US;
}

static char *dup_str(const char *s, int *err)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	if (!p)
		*err = SIP_ENOMEM;
	else
		memcpy(p, s, n);
	return p;
}

/* strerror in the lower case that error messages use. */
static void errno_text(char *buf, size_t cap, int e)
{
	snprintf(buf, cap, "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] + 32);
}

static int errno_err(int e)
{
	switch (e) {
	case ECONNREFUSED: return SIP_EREFUSED;
	case ETIMEDOUT: return SIP_ETIMEDOUT;
	case ECONNRESET:
	case ECONNABORTED:
	case EPIPE: return SIP_ECLOSED;
	default: return SIP_ENET;
	}
}

static int bytes_reserve(struct bytes *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 2048;
	while (cap < b->len + more)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p)
		return SIP_ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int bytes_append(struct bytes *b, const char *p, size_t len)
{
	int err = bytes_reserve(b, len);
	if (err)
		return err;
	memcpy(b->p + b->len, p, len);
	b->len += len;
	return 0;
}

static void bytes_consume(struct bytes *b, size_t n)
{
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

static void bytes_free(struct bytes *b)
{
	free(b->p);
	*b = (struct bytes){0};
}

static int set_int_opt(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof v);
}

/* ---- reentrancy: a handler may free the transport or close a connection ---- */

static void destroy(struct sip_transport *tp);

static bool trace_queued(struct conn *c);

static void conn_free(struct conn *c)
{
	if (c->fd >= 0) {
		sip_loop_fd(c->tp->loop, c->fd, 0, NULL, NULL);
		close(c->fd);
	}
	sip_timer_cancel(c->tp->loop, &c->idle);
	SSL_free(c->ssl);
	free(c->hs);
	sip_ws_free(c->ws);
	free(c->tls_name);
	bytes_free(&c->out);
	bytes_free(&c->pend);
	free(c->queued);
	free(c->in);
	free(c);
}

static void enter(struct sip_transport *tp)
{
	tp->depth++;
}

/* Connections closed while a handler ran are freed once none runs, so
 * that no caller up the stack holds a freed one. */
static void leave(struct sip_transport *tp)
{
	if (--tp->depth)
		return;
	while (tp->dead) {
		struct conn *c = tp->dead;
		tp->dead = c->next;
		conn_free(c);
	}
	if (tp->freeing)
		destroy(tp);
}

static void on_report(void *arg)
{
	struct sip_transport *tp = arg;
	enter(tp);
	while (tp->reports && !tp->freeing) {
		struct report *r = tp->reports;
		tp->reports = r->next;
		if (!tp->reports)
			tp->reports_tail = &tp->reports;
		if (tp->err)
			tp->err(r->err, r->t, &r->remote, r->detail, tp->arg);
		free(r);
	}
	leave(tp);
}

/* Queues an error for the err handler, which runs on the loop's next turn. */
static void report(struct sip_transport *tp, int err, enum sip_tp t,
                   const struct sip_sockaddr *remote, const char *detail)
{
	struct report *r = calloc(1, sizeof *r);
	if (!r)
		return;
	r->err = err;
	r->t = t;
	r->remote = *remote;
	snprintf(r->detail, sizeof r->detail, "%s", detail ? detail : "");
	*tp->reports_tail = r;
	tp->reports_tail = &r->next;
	if (!sip_timer_armed(&tp->report_timer))
		sip_timer_start(tp->loop, &tp->report_timer, 0, on_report, tp);
}

/* ---- connections ---- */

static void on_conn(int fd, unsigned events, void *arg);

/* Closes c and reports err. c stays readable until the outermost handler
 * returns. */
static void conn_kill(struct conn *c, int err, const char *detail)
{
	struct sip_transport *tp = c->tp;
	if (c->dead)
		return;
	c->dead = true;
	if (c->fd >= 0) {
		sip_loop_fd(tp->loop, c->fd, 0, NULL, NULL);
		close(c->fd);
		c->fd = -1;
	}
	sip_timer_cancel(tp->loop, &c->idle);
	if (c->peer[0]) {
		tp->last_peer_addr = c->remote;
		memcpy(tp->last_peer, c->peer, sizeof tp->last_peer);
	}
	if (c->accepted)
		tp->naccepted--;
	for (struct conn **pp = &tp->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	c->next = tp->dead;
	tp->dead = c;
	/* The report's turn of the loop frees c, if no other handler's does
	 * first: until then a caller may still read it. */
	report(tp, err, c->t, &c->remote, detail);
}

static void conn_kill_errno(struct conn *c, int e)
{
	char text[128];
	errno_text(text, sizeof text, e);
	conn_kill(c, errno_err(e), text);
}

static void conn_watch(struct conn *c)
{
	unsigned ev = SIP_EV_WRITE;
	if (c->state != C_CONNECTING)
		ev = SIP_EV_READ | (c->out.len ? SIP_EV_WRITE : 0);
	/* Connected, its context still in the making: what the peer sends
	 * waits in the socket. */
	if (c->state == C_HANDSHAKE && !c->ssl)
		ev = 0;
	if (ev != c->events && sip_loop_fd(c->tp->loop, c->fd, ev, on_conn, c) == 0)
		c->events = ev;
}

/* Writes what the socket takes now; the rest waits for SIP_EV_WRITE. */
static void conn_flush(struct conn *c)
{
	while (c->out.len) {
		ssize_t n = send(c->fd, c->out.p, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			bytes_consume(&c->out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		conn_kill_errno(c, n < 0 ? errno : EPIPE);
		return;
	}
	conn_watch(c);
}

/* Moves the TLS records OpenSSL produced into the output buffer and
 * writes them. */
static void tls_out(struct conn *c)
{
	BIO *wbio = SSL_get_wbio(c->ssl);
	size_t n = BIO_ctrl_pending(wbio);
	if (n) {
		if (bytes_reserve(&c->out, n)) {
			conn_kill(c, SIP_ENOMEM, "out of memory");
			return;
		}
		int r = BIO_read(wbio, c->out.p + c->out.len, (int)n);
		if (r > 0)
			c->out.len += (size_t)r;
	}
	conn_flush(c);
}

/* The first CN of a name, or the whole name when it has none, with a
 * peer's control characters made harmless for a terminal. */
static void name_text(X509_NAME *name, char *buf, size_t cap)
{
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	const ASN1_STRING *s =
		i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)) : NULL;
	if (s)
		snprintf(buf, cap, "CN=%.*s", ASN1_STRING_length(s),
		         (const char *)ASN1_STRING_get0_data(s));
	else if (!X509_NAME_oneline(name, buf, (int)cap))
		snprintf(buf, cap, "?");
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static void cert_text(X509 *cert, char *buf, size_t cap)
{
	char subj[96], iss[96], exp[16] = "?";
	struct tm tm;
	name_text(X509_get_subject_name(cert), subj, sizeof subj);
	name_text(X509_get_issuer_name(cert), iss, sizeof iss);
	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
		strftime(exp, sizeof exp, "%Y-%m-%d", &tm);
	snprintf(buf, cap, "subject %s, issuer %s, expires %s", subj, iss, exp);
}

/* Notes the peer's certificate as the chain is checked, so that it can be
 * shown even when the check fails. */
static int verify_cb(int ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct conn *c = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *cert = X509_STORE_CTX_get_current_cert(store);
	if (c && cert && X509_STORE_CTX_get_error_depth(store) == 0 && !c->peer[0])
		cert_text(cert, c->peer, sizeof c->peer);
	return ok;
}

static void tls_fail(struct conn *c, const char *what)
{
	char detail[200];
	long v = SSL_get_verify_result(c->ssl);
	unsigned long e = ERR_peek_last_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;
	if (c->state == C_HANDSHAKE && !c->accepted && !c->tp->opts.insecure && v != X509_V_OK)
		snprintf(detail, sizeof detail, "%s", X509_verify_cert_error_string(v));
	else if (reason)
		snprintf(detail, sizeof detail, "%s", reason);
	else
		snprintf(detail, sizeof detail, "%s", what);
	ERR_clear_error();
	/* Best effort: let the peer see our alert before the socket closes. */
	BIO *wbio = SSL_get_wbio(c->ssl);
	size_t n = BIO_ctrl_pending(wbio);
	if (n && n <= DGRAM_MAX) {
		int r = BIO_read(wbio, c->tp->dgram, (int)n);
		if (r > 0 &&
		    send(c->fd, c->tp->dgram, (size_t)r, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* The connection closes anyway. */
		}
	}
	conn_kill(c, SIP_ETLS, detail);
}

static void tls_write_pending(struct conn *c)
{
	if (!c->pend.len)
		return;
	ERR_clear_error();
	int r = SSL_write(c->ssl, c->pend.p, (int)c->pend.len);
	if (r <= 0) {
		tls_fail(c, "write failed");
		return;
	}
	bytes_free(&c->pend);
}

/* Bytes for the socket, below any WebSocket framing: through TLS when the
 * connection has it. */
static void stream_write(struct conn *c, const char *p, size_t len)
{
	if (is_tls(c->t)) {
		ERR_clear_error();
		if (SSL_write(c->ssl, p, (int)len) != (int)len) {
			tls_fail(c, "write failed");
			return;
		}
		tls_out(c);
		return;
	}
	if (bytes_append(&c->out, p, len)) {
		conn_kill(c, SIP_ENOMEM, "out of memory");
		return;
	}
	conn_flush(c);
}

static void process_input(struct conn *c);
static void ws_start(struct conn *c);

/* Runs the handshake as far as the bytes at hand allow. */
static void tls_handshake(struct conn *c)
{
	ERR_clear_error();
	int r = SSL_do_handshake(c->ssl);
	if (r != 1) {
		int e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			tls_out(c);
			return;
		}
		tls_fail(c, "handshake failed");
		return;
	}
	X509 *cert = SSL_get0_peer_certificate(c->ssl);
	if (cert)
		cert_text(cert, c->peer, sizeof c->peer);
	if (is_ws(c->t)) {
		ws_start(c);
		return;
	}
	c->state = C_UP;
	/* An accepted one's first message is still due, from the accept. */
	if (c->in_len == 0 && !c->accepted)
		sip_timer_cancel(c->tp->loop, &c->idle);
	if (!trace_queued(c))
		return;
	tls_write_pending(c);
	if (!c->dead)
		tls_out(c);
}

static void connect_done(struct conn *c)
{
	int e = 0;
	socklen_t elen = sizeof e;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
		e = errno;
	if (e) {
		conn_kill_errno(c, e);
		return;
	}
	/* Readiness meant for a closed socket whose number this one took can
	 * arrive in the same turn: connected means a peer address. */
	struct sip_sockaddr peer;
	socklen_t plen = sizeof peer.u;
	if (getpeername(c->fd, &peer.u.sa, &plen) < 0)
		return;
	socklen_t len = sizeof c->local.u;
	if (getsockname(c->fd, &c->local.u.sa, &len) == 0)
		c->local.len = len;
	if (is_tls(c->t)) {
		c->state = C_HANDSHAKE;
		conn_watch(c);
		if (c->ssl)
			tls_handshake(c);
		return;
	}
	if (c->t == SIP_TP_WS) {
		ws_start(c);
		return;
	}
	c->state = C_UP;
	sip_timer_cancel(c->tp->loop, &c->idle);
	if (trace_queued(c))
		conn_flush(c);
}

static void on_idle(void *arg)
{
	struct conn *c = arg;
	struct sip_transport *tp = c->tp;
	char detail[96];
	unsigned ms = (unsigned)(idle_us(tp) / 1000);
	const char *what = c->state == C_CONNECTING  ? "connection not established"
	                   : c->state == C_HANDSHAKE ? "TLS handshake not complete"
	                   : c->state == C_UPGRADE   ? "WebSocket handshake not complete"
	                   : c->in_len || c->heard || c->ws_partial ? "message not complete"
	                                                            : "nothing received";
	snprintf(detail, sizeof detail, "%s after %u ms", what, ms);
	enter(tp);
	conn_kill(c, SIP_ETIMEDOUT, detail);
	leave(tp);
}

/* ---- stream framing ---- */

/* The end of the headers (past the empty line), or 0 when it is not there
 * yet. The search resumes where the last one stopped, so a peer that sends
 * a byte at a time costs linear time, not quadratic. */
static size_t find_eoh(struct conn *c)
{
	const char *p = c->in;
	size_t len = c->in_len, i = c->scan;
	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		if (!nl)
			break;
		i = (size_t)(nl - p);
		if (i + 1 >= len)
			break;
		if (p[i + 1] == '\n')
			return i + 2;
		if (p[i + 1] == '\r') {
			if (i + 2 >= len)
				break;
			if (p[i + 2] == '\n')
				return i + 3;
		}
		i++;
	}
	c->scan = i < len ? i : len;
	return 0;
}

static void in_consume(struct conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
	c->need = 0;
	c->scan = 0;
	c->line1 = false;
}

void sip_transport_set_trace(struct sip_transport *tp, sip_trace_h *trace, void *arg)
{
	tp->opts.trace = trace;
	tp->opts.trace_arg = arg;
}

/* Shows a message on its way out. False when the trace handler freed the
 * transport, which the caller must then leave alone. Connections it closed
 * stay readable: the caller may hold one. */
static bool trace_tx(struct sip_transport *tp, const struct sip_packet_info *pi, const char *buf,
                     size_t len)
{
	if (!tp->opts.trace)
		return true;
	enter(tp);
	tp->opts.trace(pi, buf, len, tp->opts.trace_arg);
	tp->depth--;
	if (!tp->freeing)
		return true;
	if (!tp->depth)
		destroy(tp);
	return false;
}

static struct sip_packet_info conn_info(const struct conn *c, bool tx)
{
	struct sip_packet_info pi = {.tx = tx, .tp = c->t, .local = c->local, .remote = c->remote};
	pi.time_us = sip_loop_now(c->tp->loop);
	return pi;
}

/* The connection is up: the messages queued before go now, and show. False
 * when the trace handler closed the connection or freed the transport. */
static bool trace_queued(struct conn *c)
{
	const char *p = c->t == SIP_TP_TCP ? c->out.p : c->pend.p;
	struct sip_packet_info pi = conn_info(c, true);
	size_t n = c->nqueued;
	c->nqueued = 0;
	for (size_t i = 0; i < n; i++) {
		if (!trace_tx(c->tp, &pi, p, c->queued[i]) || c->dead)
			return false;
		p += c->queued[i];
	}
	return true;
}

/* A stream that does not parse cannot be resynchronised: show what came
 * and close. */
static void stream_bad(struct conn *c, int err, size_t len, const char *why)
{
	struct sip_transport *tp = c->tp;
	if (tp->opts.trace) {
		struct sip_packet_info pi = conn_info(c, false);
		tp->opts.trace(&pi, c->in, len, tp->opts.trace_arg);
		if (tp->freeing || c->dead)
			return;
	}
	conn_kill(c, err, why);
}

/* A message over the limits is one this end cannot parse, as a datagram
 * over them is (SIP_ESYNTAX, not SIP_ETOOBIG: nothing of ours was too big). */
static void too_big(struct conn *c)
{
	char detail[96];
	snprintf(detail, sizeof detail, "message larger than %zu bytes", max_msg(c->tp));
	conn_kill(c, SIP_ESYNTAX, detail);
}

/* A whole message from the stream goes to the trace and the receiver.
 * False when one of them closed the connection or freed the transport. */
static bool deliver(struct conn *c, const struct sip_msg *msg, const struct sip_packet_info *pi)
{
	struct sip_transport *tp = c->tp;
	c->heard = true;
	if (tp->opts.trace) {
		tp->opts.trace(pi, msg->raw.p, msg->raw.len, tp->opts.trace_arg);
		if (tp->freeing || c->dead)
			return false;
	}
	if (tp->recv)
		tp->recv(msg, pi, tp->arg);
	return !tp->freeing && !c->dead;
}

/* ---- WebSocket ---- */

/* Shows a handshake's HTTP text as it went or came. False when the trace
 * handler closed the connection or freed the transport. */
static bool trace_http(struct conn *c, bool tx, const char *p, size_t len)
{
	struct sip_transport *tp = c->tp;
	if (!tp->opts.trace)
		return true;
	struct sip_packet_info pi = conn_info(c, tx);
	pi.http = true;
	if (!trace_tx(tp, &pi, p, len))
		return false;
	return !c->dead;
}

/* What ws.c queued (messages, pongs, a close) goes to the socket. */
static void ws_flush(struct conn *c)
{
	const char *p;
	size_t n = sip_ws_out(c->ws, &p);
	if (n == 0)
		return;
	stream_write(c, p, n);
	sip_ws_out_done(c->ws, n);
}

/* A client asks for the upgrade, which must be done within the idle
 * time. */
static void ws_ask(struct conn *c)
{
	struct sip_transport *tp = c->tp;
	c->asked = true;
	sip_timer_start(tp->loop, &c->idle, idle_us(tp), on_idle, c);
	/* Host is the name the target came from, else its address. */
	char ip[INET6_ADDRSTRLEN];
	const char *host = c->tls_name;
	if (!host) {
		const void *a = c->remote.u.sa.sa_family == AF_INET6
		                        ? (const void *)&c->remote.u.in6.sin6_addr
		                        : (const void *)&c->remote.u.in.sin_addr;
		host = inet_ntop(c->remote.u.sa.sa_family, a, ip, sizeof ip) ? ip : "";
	}
	struct sip_ws_req rq = {.host = host,
	                        .port = sip_sockaddr_port(&c->remote),
	                        .secure = c->t == SIP_TP_WSS,
	                        .path = tp->opts.ws_path,
	                        .origin = tp->opts.ws_origin,
	                        .headers = (const char *const *)tp->ws_headers,
	                        .nheaders = tp->opts.nws_headers};
	char buf[SIP_WS_HEAD_MAX];
	int n = sip_ws_client_request(c->hs, &rq, buf, sizeof buf);
	if (n < 0) {
		conn_kill(c, n, c->hs->why[0] ? c->hs->why : sip_strerror(n));
		return;
	}
	if (trace_http(c, true, buf, (size_t)n))
		stream_write(c, buf, (size_t)n);
}

/* The stream is up (TCP connected, TLS shaken hands): a server waits for
 * the upgrade's request, within the idle time; a client asks for it once
 * it has a message to send (a connection opened to learn the local
 * address, as --dry-run does, sends nothing). */
static void ws_start(struct conn *c)
{
	c->state = C_UPGRADE;
	conn_watch(c);
	c->hs = calloc(1, sizeof *c->hs);
	if (!c->hs) {
		conn_kill(c, SIP_ENOMEM, "out of memory");
		return;
	}
	if (c->accepted)
		sip_timer_start(c->tp->loop, &c->idle, idle_us(c->tp), on_idle, c);
	else if (c->nqueued)
		ws_ask(c);
	else
		sip_timer_cancel(c->tp->loop, &c->idle);
}

/* The upgrade is done: frames from now on, and what waited goes. */
static void ws_up(struct conn *c)
{
	free(c->hs);
	c->hs = NULL;
	c->ws = sip_ws_new(!c->accepted, max_msg(c->tp));
	if (!c->ws) {
		conn_kill(c, SIP_ENOMEM, "out of memory");
		return;
	}
	c->state = C_UP;
	/* An accepted one's first message is still due, from the accept. */
	if (!c->accepted)
		sip_timer_cancel(c->tp->loop, &c->idle);
	size_t n = c->nqueued;
	if (!trace_queued(c))
		return;
	/* A frame at a time into out, whose limit they were queued under. */
	const char *p = c->pend.p;
	for (size_t i = 0; i < n && !c->dead; i++) {
		int err = sip_ws_send(c->ws, p, c->queued[i]);
		if (err) {
			conn_kill(c, err, sip_strerror(err));
			return;
		}
		ws_flush(c);
		p += c->queued[i];
	}
	bytes_free(&c->pend);
}

/* The handshake's request or answer, as far as it has come. */
static void ws_upgrade(struct conn *c)
{
	int r = c->accepted ? sip_ws_server_check(c->hs, c->in, c->in_len)
	                    : sip_ws_client_check(c->hs, c->in, c->in_len);
	if (r == SIP_EAGAIN)
		return;
	if (!trace_http(c, false, c->in, r > 0 ? (size_t)r : c->in_len))
		return;
	if (c->accepted) {
		char ans[512];
		int n = sip_ws_server_answer(c->hs, ans, sizeof ans);
		if (n > 0 && trace_http(c, true, ans, (size_t)n))
			stream_write(c, ans, (size_t)n);
		if (c->dead || c->tp->freeing)
			return;
		if (r < 0) {
			conn_kill(c, SIP_ESYNTAX, c->hs->why);
			return;
		}
	} else if (r < 0) {
		char detail[200];
		if (c->hs->status && c->hs->status != 101)
			snprintf(detail, sizeof detail, "WebSocket handshake refused: %d %s",
			         c->hs->status, c->hs->reason);
		else
			snprintf(detail, sizeof detail, "WebSocket handshake failed: %s",
			         c->hs->why);
		conn_kill(c, r == SIP_EWS ? SIP_EWS : SIP_ESYNTAX, detail);
		return;
	}
	in_consume(c, (size_t)r);
	ws_up(c);
}

/* Handshake, then one SIP message per WebSocket message. One that does not
 * parse is dropped and said, as a datagram is: the framing is intact. */
static void ws_input(struct conn *c)
{
	struct sip_transport *tp = c->tp;
	while (!c->dead && !tp->freeing) {
		if (c->state == C_UPGRADE) {
			ws_upgrade(c);
			if (c->dead || c->state != C_UP)
				return;
			continue;
		}
		if (c->state != C_UP)
			return;
		size_t used = 0;
		struct sip_ws_event ev;
		int r = sip_ws_read(c->ws, c->in, c->in_len, &used, &ev);
		if (used)
			in_consume(c, used);
		ws_flush(c);
		if (c->dead)
			return;
		if (r < 0) {
			conn_kill(c, SIP_ESYNTAX, sip_ws_why(c->ws));
			return;
		}
		c->ws_partial = sip_ws_busy(c->ws);
		if (ev.type == SIP_WS_NONE) {
			/* The whole message, not each read, must come within
			 * idle_us: a peer that drips frames is cut off. */
			if (c->ws_partial && !sip_timer_armed(&c->idle))
				sip_timer_start(tp->loop, &c->idle, idle_us(tp), on_idle, c);
			else if (!c->ws_partial && (c->heard || !c->accepted))
				sip_timer_cancel(tp->loop, &c->idle);
			return;
		}
		if (ev.type == SIP_WS_CLOSE) {
			/* A client that says goodbye (1000, 1001, or no code, as a
			 * browser's close() does) closes as a TCP one does; a
			 * server's close, or another code, is news. */
			char detail[200] = "connection closed";
			if (!c->accepted || (ev.code != 0 && ev.code != 1000 && ev.code != 1001))
				snprintf(detail, sizeof detail,
				         "WebSocket closed by the peer: %u%s%.*s",
				         (unsigned)ev.code, ev.data.len ? " " : "",
				         (int)(ev.data.len > 120 ? 120 : ev.data.len), ev.data.p);
			conn_kill(c, SIP_ECLOSED, detail);
			return;
		}
		struct sip_msg *msg = &tp->msg;
		struct sip_packet_info pi = conn_info(c, false);
		if (sip_msg_parse(msg, ev.data.p, ev.data.len, 0) != 0) {
			char detail[sizeof((struct report *)0)->detail];
			snprintf(detail, sizeof detail, "line %u: %s", msg->err_line,
			         msg->err_text);
			if (tp->opts.trace) {
				tp->opts.trace(&pi, ev.data.p, ev.data.len, tp->opts.trace_arg);
				if (tp->freeing || c->dead)
					return;
			}
			report(tp, SIP_EDROPPED, c->t, &c->remote, detail);
			continue;
		}
		if (!deliver(c, msg, &pi))
			return;
		if (!c->ws_partial)
			sip_timer_cancel(tp->loop, &c->idle);
	}
}

/* Delivers every whole message in the input buffer and keeps the rest. */
static void process_input(struct conn *c)
{
	struct sip_transport *tp = c->tp;
	struct sip_msg *msg = &tp->msg;
	if (is_ws(c->t)) {
		ws_input(c);
		return;
	}
	while (!c->dead && !tp->freeing) {
		if (c->need == 0 && c->in_len && (c->in[0] == '\r' || c->in[0] == '\n')) {
			size_t k = 0;
			while (k < c->in_len && (c->in[k] == '\r' || c->in[k] == '\n'))
				k++;
			in_consume(c, k);
			/* RFC 5626 §4.4.1: a server answers a double-CRLF ping with
			 * a CRLF pong. */
			c->crlf += (unsigned)k;
			if (c->accepted && c->crlf >= 4 && c->state == C_UP) {
				c->crlf = 0;
				stream_write(c, "\r\n", 2);
				continue;
			}
		}
		if (c->in_len == 0) {
			if (c->heard || !c->accepted)
				sip_timer_cancel(tp->loop, &c->idle);
			return;
		}
		c->crlf = 0;
		/* The whole message, not each read, must come within idle_us:
		 * a peer that drips bytes is cut off. */
		if (!sip_timer_armed(&c->idle))
			sip_timer_start(tp->loop, &c->idle, idle_us(tp), on_idle, c);
		if (c->need == 0) {
			size_t eoh = find_eoh(c);
			if (eoh == 0) {
				if (c->in_len > max_msg(tp)) {
					too_big(c);
					return;
				}
				/* A start line that is not SIP is known before the rest. */
				if (!c->line1 && memchr(c->in, '\n', c->in_len)) {
					c->line1 = true;
					int r = sip_msg_parse(msg, c->in, c->in_len,
					                      SIP_PARSE_STREAM);
					if (r < 0 && r != SIP_EAGAIN)
						stream_bad(c, SIP_ESYNTAX, c->in_len,
						           msg->err_text);
				}
				return;
			}
			/* The headers alone give the Content-Length. */
			int r = sip_msg_parse(msg, c->in, eoh, SIP_PARSE_LENIENT);
			if (r < 0) {
				stream_bad(c, SIP_ESYNTAX, eoh, msg->err_text);
				return;
			}
			uint64_t cl = 0;
			const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTENT_LENGTH);
			if (h && sip_hdr_uint(h->value, UINT32_MAX, &cl) < 0) {
				stream_bad(c, SIP_ESYNTAX, eoh, "bad Content-Length");
				return;
			}
			/* Two lengths would frame the stream two ways, and what one
			 * reader takes for a body another takes for a message. */
			for (const struct sip_hdr *o = h ? sip_msg_hdr_next(msg, h) : NULL; o;
			     o = sip_msg_hdr_next(msg, o)) {
				uint64_t ocl;
				if (sip_hdr_uint(o->value, UINT32_MAX, &ocl) < 0 || ocl != cl) {
					stream_bad(c, SIP_ESYNTAX, eoh,
					           "conflicting Content-Length headers");
					return;
				}
			}
			if (eoh + cl > max_msg(tp)) {
				too_big(c);
				return;
			}
			c->need = eoh + (size_t)cl;
		}
		if (c->in_len < c->need)
			return;
		int r = sip_msg_parse(msg, c->in, c->need, SIP_PARSE_STREAM);
		if (r < 0) {
			stream_bad(c, SIP_ESYNTAX, c->need, msg->err_text);
			return;
		}
		struct sip_packet_info pi = conn_info(c, false);
		if (!deliver(c, msg, &pi))
			return;
		sip_timer_cancel(tp->loop, &c->idle);
		in_consume(c, c->need);
	}
}

/* Room to read into: the buffer grows to max_msg + 1, enough to hold the
 * largest message allowed and to notice one beyond it. */
static bool in_room(struct conn *c)
{
	size_t limit = max_msg(c->tp) + 1;
	if (c->in_len < c->in_cap)
		return true;
	if (c->in_cap >= limit) {
		too_big(c);
		return false;
	}
	size_t cap = c->in_cap ? c->in_cap * 2 : 4096;
	if (cap > limit)
		cap = limit;
	char *p = realloc(c->in, cap);
	if (!p) {
		conn_kill(c, SIP_ENOMEM, "out of memory");
		return false;
	}
	c->in = p;
	c->in_cap = cap;
	return true;
}

static void closed_by_peer(struct conn *c)
{
	if (c->state == C_HANDSHAKE)
		conn_kill(c, SIP_ETLS, "connection closed during the TLS handshake");
	else if (c->state == C_UPGRADE)
		conn_kill(c, SIP_ECLOSED, "connection closed during the WebSocket handshake");
	else
		conn_kill(c, SIP_ECLOSED,
		          c->in_len || c->ws_partial ? "connection closed inside a message"
		                                     : "connection closed");
}

static void tls_read(struct conn *c)
{
	while (!c->dead && !c->tp->freeing) {
		if (!in_room(c))
			return;
		ERR_clear_error();
		int r = SSL_read(c->ssl, c->in + c->in_len, (int)(c->in_cap - c->in_len));
		if (r > 0) {
			c->in_len += (size_t)r;
			process_input(c);
			continue;
		}
		int e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			tls_out(c);
			return;
		}
		if (e == SSL_ERROR_ZERO_RETURN)
			closed_by_peer(c);
		else
			tls_fail(c, "read failed");
		return;
	}
}

static void conn_read(struct conn *c)
{
	struct sip_transport *tp = c->tp;
	bool tls = is_tls(c->t);
	if (!tls && !in_room(c))
		return;
	char *dst = tls ? tp->dgram : c->in + c->in_len;
	size_t room = tls ? DGRAM_MAX : c->in_cap - c->in_len;
	ssize_t n = recv(c->fd, dst, room, MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_kill_errno(c, errno);
		return;
	}
	if (n == 0) {
		closed_by_peer(c);
		return;
	}
	c->heard_at = sip_loop_now(tp->loop);
	if (!tls) {
		c->in_len += (size_t)n;
		process_input(c);
		return;
	}
	if (BIO_write(SSL_get_rbio(c->ssl), dst, (int)n) != (int)n) {
		conn_kill(c, SIP_ENOMEM, "out of memory");
		return;
	}
	if (c->state == C_HANDSHAKE) {
		tls_handshake(c);
		/* A WebSocket upgrade may have come in the handshake's last read. */
		if (c->dead || c->state == C_HANDSHAKE)
			return;
	}
	tls_read(c);
}

static void on_conn(int fd, unsigned events, void *arg)
{
	struct conn *c = arg;
	struct sip_transport *tp = c->tp;
	(void)fd;
	enter(tp);
	if (c->state == C_CONNECTING) {
		connect_done(c);
	} else {
		if ((events & SIP_EV_WRITE) && c->out.len)
			conn_flush(c);
		if (!c->dead && (events & (SIP_EV_READ | SIP_EV_ERROR)))
			conn_read(c);
	}
	leave(tp);
}

static void keylog(const SSL *ssl, const char *line)
{
	(void)ssl;
	const char *path = getenv("SSLKEYLOGFILE");
	if (!path || !*path)
		return;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	struct iovec iov[2] = {{(void *)line, strlen(line)}, {(void *)"\n", 1}};
	if (writev(fd, iov, 2) < 0) {
		/* A key log is a debugging aid; the connection goes on. */
	}
	close(fd);
}

/* Read on the caller's thread: the environment is its to change. */
static bool keylog_wanted(void)
{
	const char *kl = getenv("SSLKEYLOGFILE");
	return kl && *kl;
}

static void ctx_common(SSL_CTX *ctx, bool with_keylog)
{
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (with_keylog)
		SSL_CTX_set_keylog_callback(ctx, keylog);
}

/* The client context: OpenSSL's start-up and the trust store. Runs on the
 * helper thread; OpenSSL's error queue is that thread's, so the reason is
 * taken here. */
static void *make_client_ctx(void *arg)
{
	struct ctx_job *j = arg;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		j->err = SIP_ENOMEM;
		snprintf(j->detail, sizeof j->detail, "out of memory");
		goto out;
	}
	ctx_common(ctx, j->keylog);
	if (j->insecure) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, verify_cb);
	} else {
		int ok = j->ca_file ? SSL_CTX_load_verify_locations(ctx, j->ca_file, NULL)
		                    : SSL_CTX_set_default_verify_paths(ctx);
		if (ok != 1) {
			if (j->ca_file)
				snprintf(j->detail, sizeof j->detail, "cannot load CA file '%s'",
				         j->ca_file);
			else
				snprintf(j->detail, sizeof j->detail,
				         "cannot load the system's trusted certificates");
			SSL_CTX_free(ctx);
			ctx = NULL;
			j->err = SIP_ETLS;
			goto out;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
	}
out:
	ERR_clear_error();
	j->ctx = ctx;
	char b = 1;
	if (write(j->pipe[1], &b, 1) < 0) {
		/* A pipe with room for one byte, written once. */
	}
	return NULL;
}

/* Waits for the thread; it is done or about to be. */
static void job_join(struct sip_transport *tp)
{
	struct ctx_job *j = &tp->job;
	if (!j->running)
		return;
	pthread_join(j->thread, NULL);
	sip_loop_fd(tp->loop, j->pipe[0], 0, NULL, NULL);
	close(j->pipe[0]);
	close(j->pipe[1]);
	j->running = false;
}

static int tls_setup(struct conn *c, SSL_CTX *ctx, bool server);

/* The context is made: the connections that waited for it start their
 * handshake, or fail with its reason. */
static void on_ctx_ready(int fd, unsigned events, void *arg)
{
	struct sip_transport *tp = arg;
	struct ctx_job *j = &tp->job;
	char b;
	(void)events;
	if (read(fd, &b, 1) != 1)
		return;
	job_join(tp);
	tp->cli_ctx = j->ctx;
	j->ctx = NULL;
	enter(tp);
	for (struct conn *c = tp->conns, *next; c && !tp->freeing; c = next) {
		next = c->next;
		if (!is_tls(c->t) || c->accepted || c->ssl || c->dead)
			continue;
		int err = tp->cli_ctx ? tls_setup(c, tp->cli_ctx, false) : j->err;
		if (err) {
			conn_kill(c, err, tp->cli_ctx ? sip_strerror(err) : j->detail);
			continue;
		}
		if (c->state == C_HANDSHAKE) {
			conn_watch(c);
			tls_handshake(c);
		}
	}
	leave(tp);
}

/* The client context, made on first use (a UDP probe needs none) on the
 * helper thread. SIP_EAGAIN: it is in the making, and on_ctx_ready sets up
 * the connections that wait for it. */
static int client_ctx(struct sip_transport *tp)
{
	struct ctx_job *j = &tp->job;
	if (tp->cli_ctx)
		return 0;
	if (j->running)
		return SIP_EAGAIN;
	memset(j, 0, sizeof *j);
	j->ca_file = tp->ca_file;
	j->insecure = tp->opts.insecure;
	j->keylog = keylog_wanted();
	if (pipe2(j->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return SIP_ESYS;
	/* Signals stay the loop's: the thread blocks every one. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = pthread_create(&j->thread, NULL, make_client_ctx, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0 || sip_loop_fd(tp->loop, j->pipe[0], SIP_EV_READ, on_ctx_ready, tp) != 0) {
		if (r == 0)
			pthread_join(j->thread, NULL);
		SSL_CTX_free(j->ctx);
		close(j->pipe[0]);
		close(j->pipe[1]);
		return r != 0 ? SIP_ESYS : SIP_ENOMEM;
	}
	j->running = true;
	return SIP_EAGAIN;
}

static int tls_setup(struct conn *c, SSL_CTX *ctx, bool server)
{
	SSL *ssl = SSL_new(ctx);
	BIO *rbio = BIO_new(BIO_s_mem());
	BIO *wbio = BIO_new(BIO_s_mem());
	if (!ssl || !rbio || !wbio) {
		SSL_free(ssl);
		BIO_free(rbio);
		BIO_free(wbio);
		return SIP_ENOMEM;
	}
	SSL_set_bio(ssl, rbio, wbio);
	SSL_set_app_data(ssl, c);
	c->ssl = ssl;
	if (server) {
		SSL_set_accept_state(ssl);
		return 0;
	}
	SSL_set_connect_state(ssl);
	/* A name is checked against the certificate's names and sent as SNI;
	 * without one, the address itself must be in the certificate. */
	struct sip_sockaddr tmp;
	const char *name = c->tls_name;
	if (name && sip_sockaddr_set(&tmp, sip_str_from(name), 0) == 0)
		name = NULL;
	if (name) {
		if (SSL_set1_host(ssl, name) != 1 || SSL_set_tlsext_host_name(ssl, name) != 1)
			return SIP_ENOMEM;
	} else {
		char ip[INET6_ADDRSTRLEN];
		const void *a = c->remote.u.sa.sa_family == AF_INET6
		                        ? (const void *)&c->remote.u.in6.sin6_addr
		                        : (const void *)&c->remote.u.in.sin_addr;
		if (!inet_ntop(c->remote.u.sa.sa_family, a, ip, sizeof ip) ||
		    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip) != 1)
			return SIP_EINVAL;
	}
	return 0;
}

static struct conn *find_conn(struct conn *list, enum sip_tp t, const struct sip_sockaddr *remote)
{
	for (struct conn *c = list; c; c = c->next)
		if (c->t == t && sip_sockaddr_eq(&c->remote, remote))
			return c;
	return NULL;
}

static struct conn *conn_alloc(struct sip_transport *tp, enum sip_tp t, int fd,
                               const struct sip_sockaddr *remote)
{
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->tp = tp;
	c->t = t;
	c->fd = fd;
	c->remote = *remote;
	c->remote.len = sa_len(remote);
	sip_timer_init(&c->idle);
	return c;
}

static int route_source(struct sip_transport *tp, const struct sip_sockaddr *remote,
                        struct sip_sockaddr *src);

/* Opens a connection to remote. A connect that fails at once still gives
 * a connection, closed, whose error the loop reports. */
static int conn_open(struct sip_transport *tp, enum sip_tp t, const struct sip_sockaddr *remote,
                     const char *tls_name, struct conn **cp)
{
	int family = remote->u.sa.sa_family;
	int err = 0;
	if (fam_index(family) < 0 || (tp->opts.family != AF_UNSPEC && tp->opts.family != family))
		return SIP_EINVAL;
	struct conn *c = conn_alloc(tp, t, -1, remote);
	if (!c)
		return SIP_ENOMEM;
	c->tls_name = dup_str(tls_name, &err);
	if (err) {
		conn_free(c);
		return err;
	}
	c->state = C_CONNECTING;
	c->next = tp->conns;
	tp->conns = c;
	*cp = c;
	if (is_tls(t)) {
		/* In the making: the connect goes ahead, the handshake waits. */
		err = client_ctx(tp);
		if (err == 0)
			err = tls_setup(c, tp->cli_ctx, false);
		if (err && err != SIP_EAGAIN) {
			tp->conns = c->next;
			conn_free(c);
			return err;
		}
	}
	c->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		int e = errno;
		tp->conns = c->next;
		conn_free(c);
		errno = e;
		return SIP_ESYS;
	}
	/* Each message is one write; Nagle would only delay it. */
	set_int_opt(c->fd, IPPROTO_TCP, TCP_NODELAY, 1);
	/* A client connection leaves from the port it was told to use too: a
	 * registrar keys a binding on it, and --unregister must find it again.
	 * SO_REUSEADDR lets it follow a closed connection still in TIME_WAIT. */
	if (tp->local_host || tp->opts.local_port) {
		struct sip_sockaddr la;
		const char *h = tp->local_host       ? tp->local_host
		                : family == AF_INET6 ? "::"
		                                     : "0.0.0.0";
		if (tp->opts.local_port)
			set_int_opt(c->fd, SOL_SOCKET, SO_REUSEADDR, 1);
		if (sip_sockaddr_set(&la, sip_str_from(h), tp->opts.local_port) == 0 &&
		    la.u.sa.sa_family == family && bind(c->fd, &la.u.sa, la.len) < 0) {
			int e = errno;
			tp->conns = c->next;
			conn_free(c);
			errno = e;
			return SIP_ESYS;
		}
	}
	int r = connect(c->fd, &c->remote.u.sa, c->remote.len);
	if (r < 0 && errno != EINPROGRESS && errno != EINTR) {
		int e = errno;
		route_source(tp, remote, &c->local);
		conn_kill_errno(c, e);
		return 0;
	}
	socklen_t len = sizeof c->local.u;
	if (getsockname(c->fd, &c->local.u.sa, &len) == 0)
		c->local.len = len;
	conn_watch(c);
	sip_timer_start(tp->loop, &c->idle, idle_us(tp), on_idle, c);
	return 0;
}

/* ---- listeners ---- */

static void on_listen(int fd, unsigned events, void *arg);

static void listeners_watch(struct sip_transport *tp, unsigned events)
{
	for (int t = SIP_TP_TCP; t < SIP_TP_COUNT; t++)
		for (int fi = 0; fi < 2; fi++)
			if (tp->lfd[t][fi] >= 0)
				sip_loop_fd(tp->loop, tp->lfd[t][fi], events, on_listen, tp);
}

/* Closes the accepted connection that has been quiet the longest, one
 * with nothing left to send first; false when there is none. */
static bool evict_quietest(struct sip_transport *tp)
{
	struct conn *q = NULL;
	for (struct conn *c = tp->conns; c; c = c->next) {
		if (!c->accepted || c->dead)
			continue;
		bool better = !q || (q->out.len && !c->out.len) ||
		              (!q->out.len == !c->out.len && c->heard_at < q->heard_at);
		if (better)
			q = c;
	}
	if (!q)
		return false;
	char detail[96];
	snprintf(detail, sizeof detail, "closed for a new one: %u connections accepted",
	         tp->naccepted);
	conn_kill(q, SIP_ECLOSED, detail);
	return true;
}

static void on_accept_pause(void *arg)
{
	listeners_watch(arg, SIP_EV_READ);
}

static void on_listen(int fd, unsigned events, void *arg)
{
	struct sip_transport *tp = arg;
	enum sip_tp t = SIP_TP_TCP;
	(void)events;
	for (int k = SIP_TP_TCP; k < SIP_TP_COUNT; k++)
		for (int fi = 0; fi < 2; fi++)
			if (tp->lfd[k][fi] == fd)
				t = (enum sip_tp)k;
	enter(tp);
	for (int i = 0; i < BATCH && !tp->freeing; i++) {
		struct sip_sockaddr remote;
		socklen_t len = sizeof remote.u;
		int cfd = accept4(fd, &remote.u.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			/* Out of descriptors, the connection stays queued and the
			 * listener readable: rest rather than spin. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				listeners_watch(tp, 0);
				sip_timer_start(tp->loop, &tp->accept_pause, ACCEPT_PAUSE_US,
				                on_accept_pause, tp);
			}
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		if (tp->naccepted >= max_accepted(tp) && !evict_quietest(tp)) {
			close(cfd);
			continue;
		}
		remote.len = len;
		struct conn *c = conn_alloc(tp, t, cfd, &remote);
		if (!c || (is_tls(t) && tls_setup(c, tp->srv_ctx, true) != 0)) {
			if (c)
				conn_free(c);
			else
				close(cfd);
			continue;
		}
		set_int_opt(cfd, IPPROTO_TCP, TCP_NODELAY, 1);
		len = sizeof c->local.u;
		if (getsockname(cfd, &c->local.u.sa, &len) == 0)
			c->local.len = len;
		c->accepted = true;
		c->state = is_tls(t) ? C_HANDSHAKE : C_UP;
		if (sip_loop_fd(tp->loop, cfd, SIP_EV_READ, on_conn, c) != 0) {
			conn_free(c);
			continue;
		}
		c->events = SIP_EV_READ;
		c->next = tp->conns;
		tp->conns = c;
		tp->naccepted++;
		c->heard_at = sip_loop_now(tp->loop);
		if (t == SIP_TP_WS)
			ws_start(c);
		/* A client that never finishes its handshake, or never sends a
		 * whole message, is cut off too. */
		sip_timer_start(tp->loop, &c->idle, idle_us(tp), on_idle, c);
	}
	leave(tp);
}

static int server_ctx(struct sip_transport *tp)
{
	if (tp->srv_ctx)
		return 0;
	if (!tp->cert_file || !tp->key_file)
		return SIP_EINVAL;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return SIP_ENOMEM;
	ctx_common(ctx, keylog_wanted());
	if (SSL_CTX_use_certificate_chain_file(ctx, tp->cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, tp->key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return SIP_ETLS;
	}
	tp->srv_ctx = ctx;
	return 0;
}

static int listen_on(struct sip_transport *tp, enum sip_tp t, int fi, uint16_t port, bool fallback)
{
	struct sip_sockaddr a = tp->udp_addr[fi];
	int fd = socket(a.u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return SIP_ESYS;
	set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (fi == 1)
		set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	if (fi == 0)
		a.u.in.sin_port = htons(port);
	else
		a.u.in6.sin6_port = htons(port);
	int r = bind(fd, &a.u.sa, a.len);
	if (r < 0 && fallback && errno == EADDRINUSE) {
		if (fi == 0)
			a.u.in.sin_port = 0;
		else
			a.u.in6.sin6_port = 0;
		r = bind(fd, &a.u.sa, a.len);
	}
	socklen_t len = sizeof a.u;
	if (r < 0 || listen(fd, 128) < 0 || getsockname(fd, &a.u.sa, &len) < 0 ||
	    sip_loop_fd(tp->loop, fd, SIP_EV_READ, on_listen, tp) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return SIP_ESYS;
	}
	a.len = len;
	tp->lfd[t][fi] = fd;
	tp->laddr[t][fi] = a;
	return 0;
}

int sip_transport_listen(struct sip_transport *tp, enum sip_tp t)
{
	if (!tp || t == SIP_TP_UDP || (unsigned)t >= SIP_TP_COUNT)
		return SIP_EINVAL;
	if (is_tls(t)) {
		int err = server_ctx(tp);
		if (err)
			return err;
	}
	for (int fi = 0; fi < 2; fi++) {
		if (tp->udp[fi] < 0 || tp->lfd[t][fi] >= 0)
			continue;
		/* The first stream listener takes the UDP port, as SIP's 5060
		 * does; the next takes the port after it (5061) when the port was
		 * given, any when it was not. */
		uint16_t port = sip_sockaddr_port(&tp->udp_addr[fi]);
		bool given = tp->opts.local_port != 0;
		for (int k = SIP_TP_TCP; k < SIP_TP_COUNT; k++)
			if (k != (int)t && tp->lfd[k][fi] >= 0 &&
			    sip_sockaddr_port(&tp->laddr[k][fi]) == port)
				port = given ? (uint16_t)(port + 1) : 0;
		int err = listen_on(tp, t, fi, port, !given);
		if (err)
			return err;
	}
	return 0;
}

/* ---- UDP ---- */

static const char *icmp_text(const struct sock_extended_err *ee)
{
	if (ee->ee_origin == SO_EE_ORIGIN_ICMP && ee->ee_type == 3) {
		switch (ee->ee_code) {
		case 0: return "ICMP network unreachable";
		case 1: return "ICMP host unreachable";
		case 3: return "ICMP port unreachable";
		case 9:
		case 10:
		case 13: return "ICMP administratively prohibited";
		default: break;
		}
	}
	if (ee->ee_origin == SO_EE_ORIGIN_ICMP6 && ee->ee_type == 1) {
		switch (ee->ee_code) {
		case 0: return "ICMPv6 no route to destination";
		case 1: return "ICMPv6 administratively prohibited";
		case 3: return "ICMPv6 address unreachable";
		case 4: return "ICMPv6 port unreachable";
		default: break;
		}
	}
	return NULL;
}

/* ICMP errors for datagrams we sent, queued by IP_RECVERR with the
 * destination they were about. */
static void udp_errors(struct sip_transport *tp, int fd)
{
	for (int i = 0; i < BATCH && !tp->freeing; i++) {
		struct sip_sockaddr dst;
		char data[64];
		char cbuf[512];
		struct iovec iov = {data, sizeof data};
		struct msghdr mh = {.msg_name = &dst.u,
		                    .msg_namelen = sizeof dst.u,
		                    .msg_iov = &iov,
		                    .msg_iovlen = 1,
		                    .msg_control = cbuf,
		                    .msg_controllen = sizeof cbuf};
		memset(&dst, 0, sizeof dst);
		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		dst.len = mh.msg_namelen;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (!((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
			      (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR)))
				continue;
			struct sock_extended_err ee;
			memcpy(&ee, CMSG_DATA(cm), sizeof ee);
			/* Path MTU news is the kernel's business, not an error. */
			if (ee.ee_errno == EMSGSIZE)
				continue;
			if (ee.ee_origin != SO_EE_ORIGIN_ICMP &&
			    ee.ee_origin != SO_EE_ORIGIN_ICMP6 &&
			    ee.ee_origin != SO_EE_ORIGIN_LOCAL)
				continue;
			char text[128];
			const char *it = icmp_text(&ee);
			if (it)
				snprintf(text, sizeof text, "%s", it);
			else
				errno_text(text, sizeof text, (int)ee.ee_errno);
			int err = ee.ee_errno == ECONNREFUSED ? SIP_EREFUSED : SIP_ENET;
			if (tp->err)
				tp->err(err, SIP_TP_UDP, &dst, text, tp->arg);
			break;
		}
	}
}

static bool only_crlf(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

/* A datagram that does not parse is dropped (RFC 3261 §18.3), and said. */
static void garbled(struct sip_transport *tp, const struct sip_sockaddr *remote)
{
	char detail[sizeof((struct report *)0)->detail];
	if (tp->msg.err_line)
		snprintf(detail, sizeof detail, "line %u: %s", tp->msg.err_line, tp->msg.err_text);
	else
		snprintf(detail, sizeof detail, "%s", tp->msg.err_text);
	report(tp, SIP_EDROPPED, SIP_TP_UDP, remote, detail);
}

static void udp_read(struct sip_transport *tp, int fi)
{
	int fd = tp->udp[fi];
	for (int i = 0; i < BATCH && !tp->freeing; i++) {
		struct sip_packet_info pi = {
			.tx = false, .tp = SIP_TP_UDP, .local = tp->udp_addr[fi]};
		char cbuf[256];
		struct iovec iov = {tp->dgram, DGRAM_MAX};
		struct msghdr mh = {.msg_name = &pi.remote.u,
		                    .msg_namelen = sizeof pi.remote.u,
		                    .msg_iov = &iov,
		                    .msg_iovlen = 1,
		                    .msg_control = cbuf,
		                    .msg_controllen = sizeof cbuf};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* A pending ICMP error comes out of a plain read too;
			 * its queued copy names the destination. */
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				udp_errors(tp, fd);
				continue;
			}
			return;
		}
		pi.remote.len = mh.msg_namelen;
		/* The address the datagram was sent to, when bound to any. */
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pk;
				memcpy(&pk, CMSG_DATA(cm), sizeof pk);
				pi.local.u.in.sin_addr = pk.ipi_addr;
			} else if (cm->cmsg_level == IPPROTO_IPV6 &&
			           cm->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pk;
				memcpy(&pk, CMSG_DATA(cm), sizeof pk);
				pi.local.u.in6.sin6_addr = pk.ipi6_addr;
			}
		}
		/* Keep-alives (RFC 5626 §4.4.2 CRLF, or empty) carry no message. */
		if (only_crlf(tp->dgram, (size_t)n))
			continue;
		pi.time_us = sip_loop_now(tp->loop);
		if (tp->opts.trace) {
			tp->opts.trace(&pi, tp->dgram, (size_t)n, tp->opts.trace_arg);
			if (tp->freeing)
				return;
		}
		if ((mh.msg_flags & MSG_TRUNC) || (size_t)n > max_msg(tp)) {
			char detail[64];
			snprintf(detail, sizeof detail, "a datagram larger than %zu bytes",
			         max_msg(tp));
			report(tp, SIP_EDROPPED, SIP_TP_UDP, &pi.remote, detail);
			continue;
		}
		if (sip_msg_parse(&tp->msg, tp->dgram, (size_t)n, 0) != 0) {
			garbled(tp, &pi.remote);
			continue;
		}
		if (tp->recv)
			tp->recv(&tp->msg, &pi, tp->arg);
	}
}

static void on_udp(int fd, unsigned events, void *arg)
{
	struct sip_transport *tp = arg;
	int fi = tp->udp[0] == fd ? 0 : 1;
	enter(tp);
	if (events & SIP_EV_ERROR)
		udp_errors(tp, fd);
	if (!tp->freeing && (events & SIP_EV_READ))
		udp_read(tp, fi);
	leave(tp);
}

/* The source address the kernel picks for remote: a connected UDP socket
 * asks the routing table without sending anything. */
static int route_source(struct sip_transport *tp, const struct sip_sockaddr *remote,
                        struct sip_sockaddr *src)
{
	int fi = fam_index(remote->u.sa.sa_family);
	if (fi < 0)
		return SIP_EINVAL;
	if (tp->route_src.len && sip_sockaddr_eq(&tp->route_dst, remote)) {
		*src = tp->route_src;
		return 0;
	}
	memset(src, 0, sizeof *src);
	src->u.sa.sa_family = (sa_family_t)remote->u.sa.sa_family;
	src->len = fi ? sizeof src->u.in6 : sizeof src->u.in;
	int fd = socket(remote->u.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return SIP_ESYS;
	socklen_t len = sizeof src->u;
	int r = connect(fd, &remote->u.sa, sa_len(remote));
	if (r == 0)
		r = getsockname(fd, &src->u.sa, &len);
	close(fd);
	if (r < 0)
		return SIP_ENET;
	src->len = len;
	tp->route_dst = *remote;
	tp->route_src = *src;
	return 0;
}

static int udp_local(struct sip_transport *tp, const struct sip_sockaddr *remote,
                     struct sip_sockaddr *local)
{
	int fi = fam_index(remote->u.sa.sa_family);
	if (fi < 0 || tp->udp[fi] < 0)
		return SIP_EINVAL;
	*local = tp->udp_addr[fi];
	/* Bound to one address: that one. Bound to every address (asked for
	 * "0.0.0.0" or "::", or not asked): the one the route leaves by. */
	bool any = fi == 0 ? local->u.in.sin_addr.s_addr == htonl(INADDR_ANY)
	                   : IN6_IS_ADDR_UNSPECIFIED(&local->u.in6.sin6_addr);
	if (tp->local_host && !any)
		return 0;
	struct sip_sockaddr src;
	/* No route: the bound address stands in; the send reports the error. */
	if (route_source(tp, remote, &src) != 0)
		return 0;
	if (fi == 0)
		local->u.in.sin_addr = src.u.in.sin_addr;
	else
		local->u.in6.sin6_addr = src.u.in6.sin6_addr;
	return 0;
}

static int udp_send(struct sip_transport *tp, const struct sip_sockaddr *remote, const char *buf,
                    size_t len)
{
	int fi = fam_index(remote->u.sa.sa_family);
	if (fi < 0 || tp->udp[fi] < 0)
		return SIP_EINVAL;
	if (len > DGRAM_MAX)
		return SIP_ETOOBIG;
	if (tp->opts.trace) {
		struct sip_packet_info pi = {.tx = true, .tp = SIP_TP_UDP, .remote = *remote};
		udp_local(tp, remote, &pi.local);
		pi.time_us = sip_loop_now(tp->loop);
		if (!trace_tx(tp, &pi, buf, len))
			return 0;
	}
	for (int tries = 0; tries < 3; tries++) {
		if (sendto(tp->udp[fi], buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, &remote->u.sa,
		           sa_len(remote)) >= 0)
			return 0;
		int e = errno;
		switch (e) {
		case EINTR: continue;
		case ECONNREFUSED:
		case EHOSTUNREACH:
		case ENETUNREACH:
			/* The first time this may be an earlier datagram's ICMP
			 * error, which its queued report names; try again. */
			if (tries == 0)
				continue;
			break;
		case EAGAIN:
		case ENOBUFS:
			/* A full socket buffer drops the datagram as the network
			 * could; retransmission covers it. */
			return 0;
		case EMSGSIZE: return SIP_ETOOBIG;
		case EINVAL:
		case EAFNOSUPPORT:
		case EDESTADDRREQ: return SIP_EINVAL;
		default: break;
		}
		char text[128];
		errno_text(text, sizeof text, e);
		report(tp, errno_err(e), SIP_TP_UDP, remote, text);
		return 0;
	}
	return 0;
}

static int udp_open(struct sip_transport *tp, int family, const struct sip_sockaddr *bind_to,
                    uint16_t port)
{
	int fi = fam_index(family);
	struct sip_sockaddr a;
	if (bind_to) {
		a = *bind_to;
	} else {
		memset(&a, 0, sizeof a);
		a.u.sa.sa_family = (sa_family_t)family;
		a.len = fi ? sizeof a.u.in6 : sizeof a.u.in;
		if (fi)
			a.u.in6.sin6_addr = in6addr_any;
		else
			a.u.in.sin_addr.s_addr = htonl(INADDR_ANY);
	}
	if (fi)
		a.u.in6.sin6_port = htons(port);
	else
		a.u.in.sin_port = htons(port);
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return SIP_ESYS;
	if (fi) {
		set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
		set_int_opt(fd, IPPROTO_IPV6, IPV6_RECVERR, 1);
		set_int_opt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
	} else {
		set_int_opt(fd, IPPROTO_IP, IP_RECVERR, 1);
		set_int_opt(fd, IPPROTO_IP, IP_PKTINFO, 1);
	}
	socklen_t len = sizeof a.u;
	if (bind(fd, &a.u.sa, a.len) < 0 || getsockname(fd, &a.u.sa, &len) < 0 ||
	    sip_loop_fd(tp->loop, fd, SIP_EV_READ, on_udp, tp) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return SIP_ESYS;
	}
	a.len = len;
	tp->udp[fi] = fd;
	tp->udp_addr[fi] = a;
	return 0;
}

/* ---- the public API ---- */

int sip_transport_new(struct sip_transport **tpp, struct sip_loop *loop,
                      const struct sip_transport_opts *opts, sip_recv_h *recv, sip_tp_err_h *err,
                      void *arg)
{
	static const struct sip_transport_opts defaults;
	if (!tpp || !loop)
		return SIP_EINVAL;
	if (!opts)
		opts = &defaults;
	if (opts->family != AF_UNSPEC && fam_index(opts->family) < 0)
		return SIP_EINVAL;
	struct sip_sockaddr bind_to;
	int family = opts->family;
	if (opts->local_host) {
		if (sip_sockaddr_set(&bind_to, sip_str_from(opts->local_host), 0) != 0)
			return SIP_EHOST;
		if (family != AF_UNSPEC && family != bind_to.u.sa.sa_family)
			return SIP_EINVAL;
		family = bind_to.u.sa.sa_family;
	}
	struct sip_transport *tp = calloc(1, sizeof *tp);
	if (!tp)
		return SIP_ENOMEM;
	int rc = 0;
	tp->loop = loop;
	tp->opts = *opts;
	tp->recv = recv;
	tp->err = err;
	tp->arg = arg;
	tp->udp[0] = tp->udp[1] = -1;
	for (int t = 0; t < SIP_TP_COUNT; t++)
		tp->lfd[t][0] = tp->lfd[t][1] = -1;
	tp->reports_tail = &tp->reports;
	sip_timer_init(&tp->report_timer);
	sip_timer_init(&tp->accept_pause);
	tp->local_host = dup_str(opts->local_host, &rc);
	tp->ca_file = dup_str(opts->ca_file, &rc);
	tp->cert_file = dup_str(opts->cert_file, &rc);
	tp->key_file = dup_str(opts->key_file, &rc);
	tp->ws_path = dup_str(opts->ws_path, &rc);
	tp->ws_origin = dup_str(opts->ws_origin, &rc);
	if (opts->nws_headers) {
		tp->ws_headers = calloc(opts->nws_headers, sizeof *tp->ws_headers);
		if (!tp->ws_headers)
			rc = SIP_ENOMEM;
		for (size_t i = 0; tp->ws_headers && i < opts->nws_headers; i++)
			tp->ws_headers[i] = dup_str(opts->ws_headers[i], &rc);
	}
	tp->opts.ws_path = tp->ws_path;
	tp->opts.ws_origin = tp->ws_origin;
	tp->opts.ws_headers = (const char *const *)tp->ws_headers;
	tp->opts.local_host = tp->local_host;
	tp->opts.ca_file = tp->ca_file;
	tp->opts.cert_file = tp->cert_file;
	tp->opts.key_file = tp->key_file;
	tp->dgram = malloc(DGRAM_MAX + 1);
	if (rc || !tp->dgram) {
		destroy(tp);
		return SIP_ENOMEM;
	}
	const struct sip_sockaddr *b = opts->local_host ? &bind_to : NULL;
	if (family != AF_UNSPEC) {
		rc = udp_open(tp, family, b, opts->local_port);
	} else {
		rc = udp_open(tp, AF_INET, NULL, opts->local_port);
		/* The same port on both families: the one given, or IPv4's
		 * ephemeral one while it is free. IPv6 may be missing on the
		 * host; then IPv4 serves alone. */
		if (rc == 0) {
			uint16_t port = sip_sockaddr_port(&tp->udp_addr[0]);
			int r6 = udp_open(tp, AF_INET6, NULL, port);
			if (r6 != 0 && !opts->local_port && errno == EADDRINUSE)
				r6 = udp_open(tp, AF_INET6, NULL, 0);
			if (r6 != 0 && opts->local_port && errno == EADDRINUSE)
				rc = r6;
		}
	}
	if (rc) {
		int e = errno;
		destroy(tp);
		errno = e;
		return rc;
	}
	*tpp = tp;
	return 0;
}

static void destroy(struct sip_transport *tp)
{
	/* A WebSocket peer is told the end is normal (RFC 6455 section 7.1.2):
	 * a bare TCP close is an abnormal closure to it. What the socket takes
	 * now goes; nothing waits for the answer. */
	for (struct conn *c = tp->conns, *next; c; c = next) {
		next = c->next;
		if (c->ws && c->state == C_UP && sip_ws_close(c->ws, 1000, NULL) == 0)
			ws_flush(c);
	}
	job_join(tp);
	SSL_CTX_free(tp->job.ctx);
	for (int fi = 0; fi < 2; fi++) {
		if (tp->udp[fi] >= 0) {
			sip_loop_fd(tp->loop, tp->udp[fi], 0, NULL, NULL);
			close(tp->udp[fi]);
		}
		for (int t = 0; t < SIP_TP_COUNT; t++) {
			if (tp->lfd[t][fi] >= 0) {
				sip_loop_fd(tp->loop, tp->lfd[t][fi], 0, NULL, NULL);
				close(tp->lfd[t][fi]);
			}
		}
	}
	struct conn *lists[2] = {tp->conns, tp->dead};
	for (int i = 0; i < 2; i++) {
		while (lists[i]) {
			struct conn *c = lists[i];
			lists[i] = c->next;
			conn_free(c);
		}
	}
	while (tp->reports) {
		struct report *r = tp->reports;
		tp->reports = r->next;
		free(r);
	}
	sip_timer_cancel(tp->loop, &tp->report_timer);
	sip_timer_cancel(tp->loop, &tp->accept_pause);
	SSL_CTX_free(tp->cli_ctx);
	SSL_CTX_free(tp->srv_ctx);
	free(tp->local_host);
	free(tp->ca_file);
	free(tp->cert_file);
	free(tp->key_file);
	free(tp->ws_path);
	free(tp->ws_origin);
	for (size_t i = 0; tp->ws_headers && i < tp->opts.nws_headers; i++)
		free(tp->ws_headers[i]);
	free(tp->ws_headers);
	free(tp->dgram);
	free(tp);
}

void sip_transport_free(struct sip_transport *tp)
{
	if (!tp)
		return;
	/* From inside one of its handlers: the handler's caller finishes the
	 * job once it is back at the top. */
	if (tp->depth) {
		tp->freeing = true;
		return;
	}
	destroy(tp);
}

int sip_transport_local(struct sip_transport *tp, enum sip_tp t, const struct sip_sockaddr *remote,
                        const char *tls_name, struct sip_sockaddr *local)
{
	if (!tp || !remote || !local || (unsigned)t >= SIP_TP_COUNT)
		return SIP_EINVAL;
	if (t == SIP_TP_UDP)
		return udp_local(tp, remote, local);
	struct conn *c = find_conn(tp->conns, t, remote);
	if (!c)
		c = find_conn(tp->dead, t, remote);
	if (!c) {
		int err = conn_open(tp, t, remote, tls_name, &c);
		if (err)
			return err;
	}
	*local = c->local;
	return 0;
}

int sip_transport_send(struct sip_transport *tp, enum sip_tp t, const struct sip_sockaddr *remote,
                       const char *tls_name, const char *buf, size_t len)
{
	if (!tp || !remote || (!buf && len) || (unsigned)t >= SIP_TP_COUNT)
		return SIP_EINVAL;
	if (t == SIP_TP_UDP)
		return udp_send(tp, remote, buf, len);
	if (len == 0)
		return 0;
	struct conn *c = find_conn(tp->conns, t, remote);
	if (!c) {
		/* A connection that just failed has its error on the way; a
		 * second one would only fail again. */
		if (find_conn(tp->dead, t, remote))
			return 0;
		int err = conn_open(tp, t, remote, tls_name, &c);
		if (err)
			return err;
		if (c->dead)
			return 0;
	}
	if (c->out.len + c->pend.len + len > OUT_MAX || len > INT32_MAX)
		return SIP_ETOOBIG;
	if (c->state != C_UP) {
		/* Plain text waits in out (TCP) or pend (TLS), traced once it can go. */
		if (c->nqueued == c->cap_queued) {
			size_t cap = c->cap_queued ? 2 * c->cap_queued : 4;
			size_t *q = realloc(c->queued, cap * sizeof *q);
			if (!q)
				return SIP_ENOMEM;
			c->queued = q;
			c->cap_queued = cap;
		}
		if (bytes_append(t == SIP_TP_TCP ? &c->out : &c->pend, buf, len))
			return SIP_ENOMEM;
		c->queued[c->nqueued++] = len;
		if (c->state == C_UPGRADE && !c->accepted && !c->asked)
			ws_ask(c);
		return 0;
	}
	struct sip_packet_info pi = conn_info(c, true);
	if (!trace_tx(tp, &pi, buf, len) || c->dead)
		return 0;
	if (c->ws) {
		int err = sip_ws_send(c->ws, buf, len);
		if (err)
			return err;
		ws_flush(c);
		return 0;
	}
	stream_write(c, buf, len);
	return 0;
}

int sip_transport_bound(struct sip_transport *tp, enum sip_tp t, int family,
                        struct sip_sockaddr *local)
{
	if (!tp || !local || (unsigned)t >= SIP_TP_COUNT)
		return SIP_EINVAL;
	int fi = fam_index(family);
	const int *fds = t == SIP_TP_UDP ? tp->udp : tp->lfd[t];
	const struct sip_sockaddr *addrs = t == SIP_TP_UDP ? tp->udp_addr : tp->laddr[t];
	if (family == AF_UNSPEC)
		fi = fds[0] >= 0 ? 0 : 1;
	if (fi < 0 || fds[fi] < 0)
		return SIP_EINVAL;
	*local = addrs[fi];
	return 0;
}

int sip_transport_tls_peer(struct sip_transport *tp, const struct sip_sockaddr *remote, char *buf,
                           size_t cap)
{
	if (!tp || !remote || !buf || cap == 0)
		return SIP_EINVAL;
	const char *line = NULL;
	struct conn *c = NULL;
	for (int i = 0; i < 4 && !c; i++)
		c = find_conn(i % 2 ? tp->dead : tp->conns, i < 2 ? SIP_TP_TLS : SIP_TP_WSS,
		              remote);
	if (c && c->peer[0])
		line = c->peer;
	else if (tp->last_peer[0] && sip_sockaddr_eq(&tp->last_peer_addr, remote))
		line = tp->last_peer;
	if (!line)
		return SIP_EINVAL;
	int n = snprintf(buf, cap, "%s", line);
	if (n < 0 || (size_t)n >= cap)
		return SIP_ENOSPC;
	return n;
}
