/* transport_test.c - UDP, TCP, TLS and WebSocket on loopback: datagrams
 * both ways, ICMP port unreachable, stream framing against split, joined,
 * oversized and dripping input, refused connections, certificate checks,
 * WebSocket upgrades made, refused and broken. Every wait is bounded by a
 * deadline. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "test.h"
#include "ws_int.h"

#define REQ                                                                                        \
	"OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n"                                                      \
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1;rport\r\n"                                \
	"From: <sip:a@127.0.0.1>;tag=1\r\n"                                                        \
	"To: <sip:b@127.0.0.1>\r\n"                                                                \
	"Call-ID: abc\r\n"                                                                         \
	"CSeq: 1 OPTIONS\r\n"                                                                      \
	"Max-Forwards: 70\r\n"                                                                     \
	"Content-Length: 0\r\n"                                                                    \
	"\r\n"

#define RESP                                                                                       \
	"SIP/2.0 200 OK\r\n"                                                                       \
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1;rport\r\n"                                \
	"From: <sip:a@127.0.0.1>;tag=1\r\n"                                                        \
	"To: <sip:b@127.0.0.1>;tag=2\r\n"                                                          \
	"Call-ID: abc\r\n"                                                                         \
	"CSeq: 1 OPTIONS\r\n"                                                                      \
	"Content-Length: 0\r\n"                                                                    \
	"\r\n"

/* What one transport saw. */
struct peer {
	struct sip_transport *tp;
	int nrecv;
	unsigned status;
	enum sip_method method;
	char body[64];
	struct sip_packet_info pi; /* of the last message received */
	int ntx, nrx;
	struct sip_packet_info tx_pi, rx_pi;
	size_t rx_len;
	int nerr, err;
	enum sip_tp err_tp;
	struct sip_sockaddr err_remote;
	char detail[256];
	bool free_in_recv; /* frees its transport from inside the handler */
};

static void on_recv(const struct sip_msg *msg, const struct sip_packet_info *pi, void *arg)
{
	struct peer *p = arg;
	p->nrecv++;
	p->status = msg->status;
	p->method = msg->method;
	snprintf(p->body, sizeof p->body, "%.*s", SIP_STR_FMT(msg->body));
	p->pi = *pi;
	if (p->free_in_recv) {
		sip_transport_free(p->tp);
		p->tp = NULL;
	}
}

static void on_err(int err, enum sip_tp tp, const struct sip_sockaddr *remote, const char *detail,
                   void *arg)
{
	struct peer *p = arg;
	p->nerr++;
	p->err = err;
	p->err_tp = tp;
	p->err_remote = *remote;
	snprintf(p->detail, sizeof p->detail, "%s", detail ? detail : "(null)");
}

static void on_trace(const struct sip_packet_info *pi, const char *buf, size_t len, void *arg)
{
	struct peer *p = arg;
	(void)buf;
	if (pi->tx) {
		p->ntx++;
		p->tx_pi = *pi;
	} else {
		p->nrx++;
		p->rx_pi = *pi;
		p->rx_len = len;
	}
}

static uint64_t ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Turns the loop until *counter reaches want, for at most ms. */
static bool wait_for(struct sip_loop *l, const int *counter, int want, unsigned ms)
{
	uint64_t end = ms_now() + ms;
	while (*counter < want) {
		if (ms_now() > end)
			return false;
		if (sip_loop_poll(l, 10000) < 0)
			return false;
	}
	return true;
}

static int peer_new(struct peer *p, struct sip_loop *l, struct sip_transport_opts *o)
{
	memset(p, 0, sizeof *p);
	o->trace = on_trace;
	o->trace_arg = p;
	return sip_transport_new(&p->tp, l, o, on_recv, on_err, p);
}

static struct sip_sockaddr addr(const char *host, uint16_t port)
{
	struct sip_sockaddr sa;
	sip_sockaddr_set(&sa, sip_str_from(host), port);
	return sa;
}

/* Bound to every address ("0.0.0.0", as sip listen's default): the local
 * address towards a peer is the one its route leaves by, never 0.0.0.0,
 * which would go into Via and Contact. */
TEST(transport_udp_wildcard_local)
{
	struct sip_loop *l;
	struct peer a, b;
	struct sip_transport_opts wo = {.family = AF_INET, .local_host = "0.0.0.0"};
	struct sip_transport_opts lo = {.family = AF_INET, .local_host = "127.0.0.1"};
	struct sip_sockaddr ba, la, any;
	char host[64];
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(peer_new(&a, l, &wo), 0);
	CHECK_INT(peer_new(&b, l, &lo), 0);
	CHECK_INT(sip_transport_bound(a.tp, SIP_TP_UDP, AF_INET, &any), 0);
	CHECK_INT(sip_transport_bound(b.tp, SIP_TP_UDP, AF_INET, &ba), 0);
	CHECK_INT(sip_transport_local(a.tp, SIP_TP_UDP, &ba, NULL, &la), 0);
	CHECK(sip_sockaddr_host(&la, host, sizeof host) > 0);
	CHECK(strcmp(host, "127.0.0.1") == 0);
	CHECK_INT(sip_sockaddr_port(&la), sip_sockaddr_port(&any));
	sip_transport_free(a.tp);
	sip_transport_free(b.tp);
	sip_loop_free(l);
	return 0;
}

TEST(transport_udp_send_receive)
{
	struct sip_loop *l;
	struct peer a, b;
	struct sip_transport_opts o = {.family = AF_INET, .local_host = "127.0.0.1"};
	struct sip_sockaddr aa, ba, la;
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(peer_new(&a, l, &o), 0);
	CHECK_INT(peer_new(&b, l, &o), 0);
	CHECK_INT(sip_transport_bound(a.tp, SIP_TP_UDP, AF_INET, &aa), 0);
	CHECK_INT(sip_transport_bound(b.tp, SIP_TP_UDP, AF_UNSPEC, &ba), 0);
	CHECK(sip_sockaddr_port(&aa) != 0);
	CHECK_INT(sip_transport_bound(a.tp, SIP_TP_UDP, AF_INET6, &la), SIP_EINVAL);
	CHECK_INT(sip_transport_bound(a.tp, SIP_TP_TCP, AF_INET, &la), SIP_EINVAL);
	CHECK_INT(sip_transport_local(a.tp, SIP_TP_UDP, &ba, NULL, &la), 0);
	CHECK(sip_sockaddr_eq(&la, &aa));

	CHECK_INT(sip_transport_send(a.tp, SIP_TP_UDP, &ba, NULL, REQ, strlen(REQ)), 0);
	CHECK_INT(a.ntx, 1); /* traced as it is sent */
	CHECK(a.tx_pi.tx && a.tx_pi.tp == SIP_TP_UDP);
	CHECK(sip_sockaddr_eq(&a.tx_pi.remote, &ba) && sip_sockaddr_eq(&a.tx_pi.local, &aa));
	CHECK_INT(b.nrecv, 0);
	CHECK(wait_for(l, &b.nrecv, 1, 3000));
	CHECK_INT(b.method, SIP_OPTIONS);
	CHECK(sip_sockaddr_eq(&b.pi.remote, &aa));
	CHECK(sip_sockaddr_eq(&b.pi.local, &ba));
	CHECK(!b.pi.tx && b.pi.tp == SIP_TP_UDP && b.pi.time_us > 0);
	CHECK_INT(b.nrx, 1);
	CHECK_INT(b.rx_len, strlen(REQ));

	/* The reply goes to the source port and arrives on the socket that sent. */
	CHECK_INT(sip_transport_send(b.tp, SIP_TP_UDP, &b.pi.remote, NULL, RESP, strlen(RESP)), 0);
	CHECK(wait_for(l, &a.nrecv, 1, 3000));
	CHECK_INT(a.status, 200);
	CHECK_INT(a.nrx, 1);
	CHECK_INT(b.ntx, 1);
	CHECK_INT(a.nerr + b.nerr, 0);
	sip_transport_free(a.tp);
	sip_transport_free(b.tp);
	sip_loop_free(l);
	return 0;
}

TEST(transport_udp_any_address_both_families)
{
	struct sip_loop *l;
	struct peer a;
	struct sip_transport_opts o = {0};
	struct sip_sockaddr v4, v6, la;
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(peer_new(&a, l, &o), 0);
	CHECK_INT(sip_transport_bound(a.tp, SIP_TP_UDP, AF_INET, &v4), 0);
	CHECK_INT(sip_transport_bound(a.tp, SIP_TP_UDP, AF_INET6, &v6), 0);
	CHECK_INT(sip_sockaddr_port(&v4), sip_sockaddr_port(&v6));
	/* Bound to any, the local address is the one the route picks. */
	struct sip_sockaddr r = addr("127.0.0.1", 9);
	CHECK_INT(sip_transport_local(a.tp, SIP_TP_UDP, &r, NULL, &la), 0);
	CHECK(sip_sockaddr_eq(&la, &(struct sip_sockaddr){0}) == false);
	char buf[64];
	CHECK(sip_sockaddr_print(&la, buf, sizeof buf) > 0);
	char want[64];
	snprintf(want, sizeof want, "127.0.0.1:%u", sip_sockaddr_port(&v4));
	CHECK(strcmp(buf, want) == 0);
	sip_transport_free(a.tp);
	sip_loop_free(l);
	return 0;
}

TEST(transport_udp_ipv6)
{
	struct sip_loop *l;
	struct peer a, b;
	struct sip_transport_opts o = {.family = AF_INET6, .local_host = "::1"};
	struct sip_sockaddr aa, ba;
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(peer_new(&a, l, &o), 0);
	CHECK_INT(peer_new(&b, l, &o), 0);
	CHECK_INT(sip_transport_bound(a.tp, SIP_TP_UDP, AF_INET6, &aa), 0);
	CHECK_INT(sip_transport_bound(b.tp, SIP_TP_UDP, AF_INET6, &ba), 0);
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_UDP, &ba, NULL, REQ, strlen(REQ)), 0);
	CHECK(wait_for(l, &b.nrecv, 1, 3000));
	CHECK(sip_sockaddr_eq(&b.pi.remote, &aa));
	char buf[64];
	CHECK(sip_sockaddr_print(&b.pi.local, buf, sizeof buf) > 0);
	CHECK(strncmp(buf, "[::1]:", 6) == 0);
	CHECK_INT(sip_transport_send(b.tp, SIP_TP_UDP, &b.pi.remote, NULL, RESP, strlen(RESP)), 0);
	CHECK(wait_for(l, &a.nrecv, 1, 3000));
	CHECK_INT(a.status, 200);
	/* No IPv4 socket in an IPv6 transport. */
	struct sip_sockaddr v4 = addr("127.0.0.1", 5060);
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_UDP, &v4, NULL, REQ, strlen(REQ)), SIP_EINVAL);
	sip_transport_free(a.tp);
	sip_transport_free(b.tp);
	sip_loop_free(l);
	return 0;
}

/* A loopback port that nothing listens on (for UDP or TCP). */
static struct sip_sockaddr closed_port(int type, const char *host)
{
	struct sip_sockaddr sa = addr(host, 0);
	int fd = socket(sa.u.sa.sa_family, type, 0);
	socklen_t len = sizeof sa.u;
	if (fd >= 0 && bind(fd, &sa.u.sa, sa.len) == 0 && getsockname(fd, &sa.u.sa, &len) == 0)
		sa.len = len;
	if (fd >= 0)
		close(fd);
	return sa;
}

TEST(transport_udp_icmp_port_unreachable)
{
	struct sip_loop *l;
	struct peer a;
	struct sip_transport_opts o = {.family = AF_INET, .local_host = "127.0.0.1"};
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(peer_new(&a, l, &o), 0);
	struct sip_sockaddr dead = closed_port(SOCK_DGRAM, "127.0.0.1");
	CHECK(sip_sockaddr_port(&dead) != 0);
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_UDP, &dead, NULL, REQ, strlen(REQ)), 0);
	CHECK_INT(a.nerr, 0);
	CHECK(wait_for(l, &a.nerr, 1, 3000));
	CHECK_INT(a.err, SIP_EREFUSED);
	CHECK_INT(a.err_tp, SIP_TP_UDP);
	CHECK(sip_sockaddr_eq(&a.err_remote, &dead));
	CHECK(strstr(a.detail, "port unreachable") != NULL);
	/* The socket still works afterwards: a second probe, a second error. */
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_UDP, &dead, NULL, REQ, strlen(REQ)), 0);
	CHECK(wait_for(l, &a.nerr, 2, 3000));
	CHECK_INT(a.err, SIP_EREFUSED);
	sip_transport_free(a.tp);
	sip_loop_free(l);
	return 0;
}

TEST(transport_udp_garbage_and_keepalive)
{
	struct sip_loop *l;
	struct peer b;
	struct sip_transport_opts o = {.family = AF_INET, .local_host = "127.0.0.1"};
	struct sip_sockaddr ba;
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(peer_new(&b, l, &o), 0);
	CHECK_INT(sip_transport_bound(b.tp, SIP_TP_UDP, AF_INET, &ba), 0);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(fd >= 0);
	CHECK_INT(sendto(fd, "\r\n\r\n", 4, 0, &ba.u.sa, ba.len), 4);
	CHECK_INT(sendto(fd, "hello there\r\n", 13, 0, &ba.u.sa, ba.len), 13);
	CHECK_INT(sendto(fd, REQ, strlen(REQ), 0, &ba.u.sa, ba.len), (long)strlen(REQ));
	CHECK(wait_for(l, &b.nrecv, 1, 3000));
	/* The keep-alive is not a message; the garbage is shown, not delivered,
	 * and reported with what is wrong and who sent it. */
	CHECK_INT(b.nrx, 2);
	CHECK_INT(b.nrecv, 1);
	CHECK_INT(b.method, SIP_OPTIONS);
	CHECK(wait_for(l, &b.nerr, 1, 3000));
	CHECK_INT(b.err, SIP_EDROPPED);
	CHECK_INT(b.err_tp, SIP_TP_UDP);
	CHECK_INT(sip_sockaddr_port(&b.err_remote), sip_sockaddr_port(&b.pi.remote));
	CHECK_STR(sip_str_from(b.detail), "line 1: request line has no SIP version");
	close(fd);
	sip_transport_free(b.tp);
	sip_loop_free(l);
	return 0;
}

/* ---- TCP ---- */

static int stream_server(struct sip_loop *l, struct peer *b, struct sip_transport_opts *o,
                         enum sip_tp t, struct sip_sockaddr *ta)
{
	if (peer_new(b, l, o) != 0 || sip_transport_listen(b->tp, t) != 0)
		return -1;
	return sip_transport_bound(b->tp, t, AF_INET, ta);
}

static int tcp_server(struct sip_loop *l, struct peer *b, struct sip_transport_opts *o,
                      struct sip_sockaddr *ta)
{
	return stream_server(l, b, o, SIP_TP_TCP, ta);
}

static int raw_connect(const struct sip_sockaddr *to)
{
	int fd = socket(to->u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, &to->u.sa, to->len) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads what a raw socket has within ms while the loop turns; the
 * count of bytes, 0 at EOF, -1 when nothing came. */
static long raw_read(struct sip_loop *l, int fd, char *buf, size_t cap, unsigned ms)
{
	uint64_t end = ms_now() + ms;
	while (ms_now() <= end) {
		ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno != EAGAIN)
			return 0; /* reset counts as closed */
		sip_loop_poll(l, 10000);
	}
	return -1;
}

TEST(transport_tcp_split_writes)
{
	struct sip_loop *l;
	struct peer b;
	struct sip_transport_opts o = {.family = AF_INET, .local_host = "127.0.0.1"};
	struct sip_sockaddr ta, ua;
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(tcp_server(l, &b, &o, &ta), 0);
	CHECK_INT(sip_transport_bound(b.tp, SIP_TP_UDP, AF_INET, &ua), 0);
	/* TCP takes the UDP port when it can; an ephemeral one may be taken for
	 * TCP by another socket, and then TCP gets its own. */
	CHECK(sip_sockaddr_port(&ta) != 0 && sip_sockaddr_port(&ua) != 0);
	int fd = raw_connect(&ta);
	CHECK(fd >= 0);
	const char *m = "MESSAGE sip:b@127.0.0.1 SIP/2.0\r\n"
			"Via: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK2\r\n"
			"Call-ID: x\r\nCSeq: 1 MESSAGE\r\n"
			"Content-Length: 5\r\n\r\nhello";
	for (size_t i = 0; m[i]; i++) {
		CHECK_INT(write(fd, m + i, 1), 1);
		CHECK(sip_loop_poll(l, 1000) >= 0); /* the server reads each piece */
		if (m[i + 1])
			CHECK_INT(b.nrecv, 0);
	}
	CHECK(wait_for(l, &b.nrecv, 1, 3000));
	CHECK_INT(b.method, SIP_MESSAGE);
	CHECK(strcmp(b.body, "hello") == 0);
	CHECK_INT(b.pi.tp, SIP_TP_TCP);
	/* The response goes back on the connection the request came on. */
	CHECK_INT(sip_transport_send(b.tp, SIP_TP_TCP, &b.pi.remote, NULL, RESP, strlen(RESP)), 0);
	char buf[1024];
	size_t got = 0;
	while (got < strlen(RESP)) {
		long n = raw_read(l, fd, buf + got, sizeof buf - got, 3000);
		CHECK(n > 0);
		got += (size_t)n;
	}
	CHECK(memcmp(buf, RESP, strlen(RESP)) == 0);
	CHECK_INT(b.nerr, 0);
	close(fd);
	CHECK(wait_for(l, &b.nerr, 1, 3000));
	CHECK_INT(b.err, SIP_ECLOSED);
	sip_transport_free(b.tp);
	sip_loop_free(l);
	return 0;
}

TEST(transport_tcp_two_messages_in_one_write)
{
	struct sip_loop *l;
	struct peer b;
	struct sip_transport_opts o = {.family = AF_INET, .local_host = "127.0.0.1"};
	struct sip_sockaddr ta;
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(tcp_server(l, &b, &o, &ta), 0);
	int fd = raw_connect(&ta);
	CHECK(fd >= 0);
	/* A double-CRLF ping, two messages, and a third one's beginning. */
	const char *m = "\r\n\r\n"
			"MESSAGE sip:b@x SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 3\r\n\r\none"
			"MESSAGE sip:b@x SIP/2.0\r\nCall-ID: 2\r\nContent-Length: 3\r\n\r\ntwo"
			"MESSAGE sip:b@x SIP/2.0\r\nCall-";
	CHECK_INT(write(fd, m, strlen(m)), (long)strlen(m));
	CHECK(wait_for(l, &b.nrecv, 2, 3000));
	CHECK(strcmp(b.body, "two") == 0);
	char buf[16];
	CHECK_INT(raw_read(l, fd, buf, sizeof buf, 3000), 2); /* the pong */
	CHECK(memcmp(buf, "\r\n", 2) == 0);
	const char *rest = "ID: 3\r\nContent-Length: 5\r\n\r\nthree";
	CHECK_INT(write(fd, rest, strlen(rest)), (long)strlen(rest));
	CHECK(wait_for(l, &b.nrecv, 3, 3000));
	CHECK(strcmp(b.body, "three") == 0);
	CHECK_INT(b.nrx, 3);
	CHECK_INT(b.nerr, 0);
	close(fd);
	sip_transport_free(b.tp);
	sip_loop_free(l);
	return 0;
}

/* Sends m to a server of transport t with these limits; the server's
 * error (and its detail, when want_detail is given), and the raw client
 * must see the connection closed. */
static int stream_expect_close(enum sip_tp t, const char *m, size_t max_msg, uint64_t idle_us,
                               int want_err, unsigned drip_ms, const char *want_detail)
{
	struct sip_loop *l;
	struct peer b;
	struct sip_transport_opts o = {.family = AF_INET,
	                               .local_host = "127.0.0.1",
	                               .max_msg = max_msg,
	                               .idle_us = idle_us};
	struct sip_sockaddr ta;
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(stream_server(l, &b, &o, t, &ta), 0);
	int fd = raw_connect(&ta);
	CHECK(fd >= 0);
	uint64_t t0 = ms_now();
	if (drip_ms) {
		/* One byte at a time, slower than the whole message may take. */
		for (size_t i = 0; m[i] && b.nerr == 0; i++) {
			if (send(fd, m + i, 1, MSG_NOSIGNAL) != 1)
				break;
			uint64_t next = ms_now() + drip_ms;
			while (ms_now() < next && b.nerr == 0)
				sip_loop_poll(l, 5000);
			CHECK(ms_now() - t0 < 3000);
		}
	} else {
		CHECK_INT(send(fd, m, strlen(m), MSG_NOSIGNAL), (long)strlen(m));
	}
	CHECK(wait_for(l, &b.nerr, 1, 3000));
	CHECK_INT(b.err, want_err);
	CHECK_INT(b.err_tp, t);
	CHECK(!want_detail || strstr(b.detail, want_detail) != NULL);
	CHECK_INT(b.nrecv, 0);
	if (idle_us)
		CHECK(ms_now() - t0 >= idle_us / 1000 - 20);
	char buf[64];
	CHECK_INT(raw_read(l, fd, buf, sizeof buf, 3000), 0);
	close(fd);
	sip_transport_free(b.tp);
	sip_loop_free(l);
	return 0;
}

static int tcp_expect_close(const char *m, size_t max_msg, uint64_t idle_us, int want_err,
                            unsigned drip_ms)
{
	return stream_expect_close(SIP_TP_TCP, m, max_msg, idle_us, want_err, drip_ms, NULL);
}

TEST(transport_tcp_oversized_message)
{
	char m[3000];
	/* A Content-Length that takes it over the limit is refused at once, as
	 * a message this end cannot parse. */
	snprintf(m, sizeof m,
	         "MESSAGE sip:b@x SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 2000\r\n\r\n");
	CHECK_INT(tcp_expect_close(m, 1000, 0, SIP_ESYNTAX, 0), 0);
	/* Headers that never end are refused once they pass it. */
	size_t n = (size_t)snprintf(m, sizeof m, "MESSAGE sip:b@x SIP/2.0\r\nX-Long: ");
	memset(m + n, 'a', 1500);
	m[n + 1500] = '\0';
	CHECK_INT(tcp_expect_close(m, 1000, 0, SIP_ESYNTAX, 0), 0);
	return 0;
}

/* Two Content-Lengths that differ frame the stream two ways: closed, not
 * read by the first. The same one twice is no ambiguity. */
TEST(transport_tcp_conflicting_content_length)
{
	CHECK_INT(tcp_expect_close("MESSAGE sip:b@x SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 0\r\n"
	                           "l: 40\r\n\r\nMESSAGE sip:b@x SIP/2.0\r\nCall-ID: 2\r\n\r\n",
	                           0, 0, SIP_ESYNTAX, 0),
	          0);
	struct sip_loop *l;
	struct peer b;
	struct sip_transport_opts o = {.family = AF_INET, .local_host = "127.0.0.1"};
	struct sip_sockaddr ta;
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(tcp_server(l, &b, &o, &ta), 0);
	int fd = raw_connect(&ta);
	CHECK(fd >= 0);
	const char *m = "MESSAGE sip:b@x SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 2\r\n"
			"Content-Length: 2\r\n\r\nhi";
	CHECK_INT(send(fd, m, strlen(m), MSG_NOSIGNAL), (long)strlen(m));
	CHECK(wait_for(l, &b.nrecv, 1, 3000));
	CHECK_INT(b.nerr, 0);
	close(fd);
	sip_transport_free(b.tp);
	sip_loop_free(l);
	return 0;
}

TEST(transport_tcp_slow_drip_times_out)
{
	const char *m = "MESSAGE sip:b@x SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 0\r\n\r\n";
	return tcp_expect_close(m, 0, 200000, SIP_ETIMEDOUT, 20);
}

/* A client that connects and says nothing is cut off like a slow one. */
TEST(transport_tcp_silent_connection_is_closed)
{
	return tcp_expect_close("", 0, 200000, SIP_ETIMEDOUT, 0);
}

static const char tcp_msg[] = "MESSAGE sip:b@127.0.0.1 SIP/2.0\r\n"
			      "Via: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKq\r\n"
			      "Call-ID: q\r\nCSeq: 1 MESSAGE\r\n"
			      "Content-Length: 2\r\n\r\nhi";

/* Turns the loop for ms. */
static void turn(struct sip_loop *l, unsigned ms)
{
	uint64_t end = ms_now() + ms;
	while (ms_now() < end)
		sip_loop_poll(l, 10000);
}

/* One that has sent a message may go quiet: a flow kept for what comes
 * next (RFC 5626) is not idle in the sense of a drip. */
TEST(transport_tcp_quiet_after_a_message_stays_open)
{
	struct sip_loop *l;
	struct peer b;
	struct sip_transport_opts o = {
		.family = AF_INET, .local_host = "127.0.0.1", .idle_us = 100000};
	struct sip_sockaddr ta;
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(tcp_server(l, &b, &o, &ta), 0);
	int fd = raw_connect(&ta);
	CHECK(fd >= 0);
	CHECK_INT(send(fd, tcp_msg, strlen(tcp_msg), MSG_NOSIGNAL), (long)strlen(tcp_msg));
	CHECK(wait_for(l, &b.nrecv, 1, 3000));
	turn(l, 400);
	CHECK_INT(b.nerr, 0);
	CHECK_INT(send(fd, tcp_msg, strlen(tcp_msg), MSG_NOSIGNAL), (long)strlen(tcp_msg));
	CHECK(wait_for(l, &b.nrecv, 2, 3000));
	close(fd);
	sip_transport_free(b.tp);
	sip_loop_free(l);
	return 0;
}

/* At the limit of accepted connections, a new one is taken and the one
 * quiet the longest closed: idle connections cannot shut clients out. */
TEST(transport_tcp_full_closes_the_quietest)
{
	struct sip_loop *l;
	struct peer b;
	struct sip_transport_opts o = {
		.family = AF_INET, .local_host = "127.0.0.1", .max_accepted = 3};
	struct sip_sockaddr ta;
	int fd[4];
	char buf[64];
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(tcp_server(l, &b, &o, &ta), 0);
	for (int i = 0; i < 3; i++) {
		fd[i] = raw_connect(&ta);
		CHECK(fd[i] >= 0);
		turn(l, 30);
	}
	/* The first spoke last; the second has been quiet since its accept. */
	CHECK_INT(send(fd[0], tcp_msg, strlen(tcp_msg), MSG_NOSIGNAL), (long)strlen(tcp_msg));
	CHECK(wait_for(l, &b.nrecv, 1, 3000));
	fd[3] = raw_connect(&ta);
	CHECK(fd[3] >= 0);
	CHECK(wait_for(l, &b.nerr, 1, 3000));
	CHECK_INT(b.err, SIP_ECLOSED);
	CHECK(strstr(b.detail, "3 connections accepted") != NULL);
	CHECK_INT(raw_read(l, fd[1], buf, sizeof buf, 3000), 0);
	CHECK_INT(send(fd[3], tcp_msg, strlen(tcp_msg), MSG_NOSIGNAL), (long)strlen(tcp_msg));
	CHECK(wait_for(l, &b.nrecv, 2, 3000));
	CHECK_INT(raw_read(l, fd[0], buf, sizeof buf, 100), -1);
	CHECK_INT(raw_read(l, fd[2], buf, sizeof buf, 100), -1);
	for (int i = 0; i < 4; i++)
		close(fd[i]);
	sip_transport_free(b.tp);
	sip_loop_free(l);
	return 0;
}

/* ---- WebSocket ---- */

/* A message sent before the upgrade waits for it; then one SIP message a
 * WebSocket message, both ways, each side seeing WS. */
TEST(transport_ws_both_ways)
{
	struct sip_loop *l;
	struct peer a, b;
	struct sip_transport_opts oa = {.family = AF_INET, .local_host = "127.0.0.1"};
	struct sip_transport_opts ob = oa;
	struct sip_sockaddr ta;
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(stream_server(l, &b, &ob, SIP_TP_WS, &ta), 0);
	CHECK_INT(peer_new(&a, l, &oa), 0);
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_WS, &ta, NULL, REQ, strlen(REQ)), 0);
	CHECK(wait_for(l, &b.nrecv, 1, 3000));
	CHECK_INT(b.pi.tp, SIP_TP_WS);
	CHECK_INT(b.method, SIP_OPTIONS);
	CHECK_INT(b.nerr, 0);
	CHECK_INT(sip_transport_send(b.tp, SIP_TP_WS, &b.pi.remote, NULL, RESP, strlen(RESP)), 0);
	CHECK(wait_for(l, &a.nrecv, 1, 3000));
	CHECK_INT(a.status, 200);
	CHECK_INT(a.pi.tp, SIP_TP_WS);
	/* A second one goes over the same connection. */
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_WS, &ta, NULL, REQ, strlen(REQ)), 0);
	CHECK(wait_for(l, &b.nrecv, 2, 3000));
	CHECK(sip_sockaddr_eq(&b.pi.remote, &a.pi.local));
	CHECK_INT(a.nerr + b.nerr, 0);
	sip_transport_free(a.tp);
	sip_transport_free(b.tp);
	sip_loop_free(l);
	return 0;
}

/* A plain TCP listener for a test to play the WebSocket server by hand. */
static int raw_listener(struct sip_sockaddr *at)
{
	*at = addr("127.0.0.1", 0);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	socklen_t len = sizeof at->u;
	if (fd < 0 || bind(fd, &at->u.sa, at->len) != 0 || listen(fd, 4) != 0 ||
	    getsockname(fd, &at->u.sa, &len) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	at->len = len;
	return fd;
}

/* Accepts on lfd while the loop turns, for at most ms. */
static int raw_accept(struct sip_loop *l, int lfd, unsigned ms)
{
	uint64_t end = ms_now() + ms;
	fcntl(lfd, F_SETFL, O_NONBLOCK);
	while (ms_now() <= end) {
		int fd = accept(lfd, NULL, NULL);
		if (fd >= 0)
			return fd;
		sip_loop_poll(l, 10000);
	}
	return -1;
}

/* The server refuses the upgrade: the status and reason reach the error
 * handler, and nothing was delivered. */
TEST(transport_ws_refused)
{
	struct sip_loop *l;
	struct peer a;
	struct sip_transport_opts oa = {
		.family = AF_INET, .local_host = "127.0.0.1", .ws_path = "/sip?x=1"};
	struct sip_sockaddr ta;
	char buf[2048];
	CHECK_INT(sip_loop_new(&l), 0);
	int lfd = raw_listener(&ta);
	CHECK(lfd >= 0);
	CHECK_INT(peer_new(&a, l, &oa), 0);
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_WS, &ta, "sip.example.test", REQ, strlen(REQ)),
	          0);
	int fd = raw_accept(l, lfd, 3000);
	CHECK(fd >= 0);
	long n = raw_read(l, fd, buf, sizeof buf - 1, 3000);
	CHECK(n > 0);
	buf[n] = '\0';
	CHECK(strncmp(buf, "GET /sip?x=1 HTTP/1.1\r\n", 23) == 0);
	char host[64];
	snprintf(host, sizeof host, "\r\nHost: sip.example.test:%u\r\n", sip_sockaddr_port(&ta));
	CHECK(strstr(buf, host) != NULL);
	CHECK(strstr(buf, "\r\nSec-WebSocket-Protocol: sip\r\n") != NULL);
	const char *no = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
	CHECK_INT(send(fd, no, strlen(no), MSG_NOSIGNAL), (long)strlen(no));
	CHECK(wait_for(l, &a.nerr, 1, 3000));
	CHECK_INT(a.err, SIP_EWS);
	CHECK_INT(a.err_tp, SIP_TP_WS);
	CHECK(strstr(a.detail, "WebSocket handshake refused: 403 Forbidden") != NULL);
	CHECK_INT(a.nrecv, 0);
	/* The SIP message never went: nothing but the handshake was traced. */
	CHECK_INT(a.ntx, 1);
	CHECK(a.tx_pi.http);
	close(fd);
	close(lfd);
	sip_transport_free(a.tp);
	sip_loop_free(l);
	return 0;
}

/* A client must mask its frames (RFC 6455 section 5.1): an unmasked one
 * closes its connection, and delivers nothing. */
TEST(transport_ws_unmasked_client_frame_closes)
{
	struct sip_loop *l;
	struct peer b;
	struct sip_transport_opts ob = {.family = AF_INET, .local_host = "127.0.0.1"};
	struct sip_sockaddr ta;
	char buf[2048];
	struct sip_ws_hs hs;
	memset(&hs, 0, sizeof hs);
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(stream_server(l, &b, &ob, SIP_TP_WS, &ta), 0);
	int fd = raw_connect(&ta);
	CHECK(fd >= 0);
	struct sip_ws_req rq = {.host = "127.0.0.1", .port = sip_sockaddr_port(&ta)};
	int n = sip_ws_client_request(&hs, &rq, buf, sizeof buf);
	CHECK(n > 0);
	CHECK_INT(send(fd, buf, (size_t)n, MSG_NOSIGNAL), n);
	long got = raw_read(l, fd, buf, sizeof buf, 3000);
	CHECK(got > 0);
	CHECK_INT(sip_ws_client_check(&hs, buf, (size_t)got), (int)got);
	size_t len = strlen(REQ);
	unsigned char frame[4 + sizeof REQ] = {0x81, 126, (unsigned char)(len >> 8),
	                                       (unsigned char)len};
	memcpy(frame + 4, REQ, len);
	CHECK_INT(send(fd, frame, 4 + len, MSG_NOSIGNAL), (long)(4 + len));
	CHECK(wait_for(l, &b.nerr, 1, 3000));
	CHECK_INT(b.err, SIP_ESYNTAX);
	CHECK(strstr(b.detail, "unmasked frame from the client") != NULL);
	CHECK_INT(b.nrecv, 0);
	/* A close frame (1002, protocol error) may come first; then the end. */
	long r;
	while ((r = raw_read(l, fd, buf, sizeof buf, 3000)) > 0)
		;
	CHECK_INT(r, 0);
	close(fd);
	sip_transport_free(b.tp);
	sip_loop_free(l);
	return 0;
}

/* A client that connects and never finishes asking for the upgrade is
 * cut off. */
TEST(transport_ws_handshake_times_out)
{
	return stream_expect_close(SIP_TP_WS, "GET / HT", 0, 200000, SIP_ETIMEDOUT, 0,
	                           "WebSocket handshake not complete");
}

TEST(transport_tcp_garbage_closes)
{
	return tcp_expect_close("GARBAGE\r\nnot a header\r\n\r\n", 0, 0, SIP_ESYNTAX, 0);
}

TEST(transport_tcp_refused)
{
	struct sip_loop *l;
	struct peer a;
	struct sip_transport_opts o = {.family = AF_INET, .local_host = "127.0.0.1"};
	struct sip_sockaddr la;
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(peer_new(&a, l, &o), 0);
	struct sip_sockaddr dead = closed_port(SOCK_STREAM, "127.0.0.1");
	CHECK_INT(sip_transport_local(a.tp, SIP_TP_TCP, &dead, NULL, &la), 0);
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_TCP, &dead, NULL, REQ, strlen(REQ)), 0);
	CHECK_INT(a.nerr, 0); /* never from inside the call */
	CHECK(wait_for(l, &a.nerr, 1, 3000));
	CHECK_INT(a.err, SIP_EREFUSED);
	CHECK_INT(a.err_tp, SIP_TP_TCP);
	CHECK(sip_sockaddr_eq(&a.err_remote, &dead));
	CHECK_INT(a.ntx, 0); /* refused: nothing was sent, nothing shows as sent */
	/* Once reported, the connection is gone: a new attempt fails anew. */
	for (int i = 0; i < 3; i++)
		sip_loop_poll(l, 0);
	CHECK_INT(a.nerr, 1);
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_TCP, &dead, NULL, REQ, strlen(REQ)), 0);
	CHECK(wait_for(l, &a.nerr, 2, 3000));
	CHECK_INT(a.err, SIP_EREFUSED);
	sip_transport_free(a.tp);
	sip_loop_free(l);
	return 0;
}

TEST(transport_tcp_between_transports)
{
	struct sip_loop *l;
	struct peer a, b;
	struct sip_transport_opts o = {.family = AF_INET, .local_host = "127.0.0.1"};
	struct sip_sockaddr ta, la, la2;
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(tcp_server(l, &b, &o, &ta), 0);
	CHECK_INT(peer_new(&a, l, &o), 0);
	CHECK_INT(sip_transport_local(a.tp, SIP_TP_TCP, &ta, NULL, &la), 0);
	CHECK(sip_sockaddr_port(&la) != 0); /* known before the connect completes */
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_TCP, &ta, NULL, REQ, strlen(REQ)), 0);
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_TCP, &ta, NULL, REQ, strlen(REQ)), 0);
	/* Queued while the connect is under way: shown once they leave. */
	CHECK_INT(a.ntx, 0);
	CHECK(wait_for(l, &b.nrecv, 2, 3000));
	CHECK_INT(a.ntx, 2);
	CHECK(sip_sockaddr_eq(&a.tx_pi.local, &la));
	CHECK(sip_sockaddr_eq(&b.pi.remote, &la)); /* one connection for both */
	CHECK_INT(sip_transport_send(b.tp, SIP_TP_TCP, &b.pi.remote, NULL, RESP, strlen(RESP)), 0);
	CHECK(wait_for(l, &a.nrecv, 1, 3000));
	CHECK_INT(a.status, 200);
	CHECK(sip_sockaddr_eq(&a.pi.local, &la) && sip_sockaddr_eq(&a.pi.remote, &ta));
	CHECK_INT(sip_transport_local(a.tp, SIP_TP_TCP, &ta, NULL, &la2), 0);
	CHECK(sip_sockaddr_eq(&la, &la2));
	CHECK_INT(a.nerr + b.nerr, 0);
	/* The client goes away: the server hears of it. */
	sip_transport_free(a.tp);
	CHECK(wait_for(l, &b.nerr, 1, 3000));
	CHECK_INT(b.err, SIP_ECLOSED);
	sip_transport_free(b.tp);
	sip_loop_free(l);
	return 0;
}

TEST(transport_free_inside_handler)
{
	struct sip_loop *l;
	struct peer a, b;
	struct sip_transport_opts o = {.family = AF_INET, .local_host = "127.0.0.1"};
	struct sip_sockaddr ta, ua;
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(tcp_server(l, &b, &o, &ta), 0);
	CHECK_INT(sip_transport_bound(b.tp, SIP_TP_UDP, AF_INET, &ua), 0);
	CHECK_INT(peer_new(&a, l, &o), 0);
	b.free_in_recv = true;
	/* Two messages in one read: the second must not reach a freed transport. */
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_TCP, &ta, NULL, REQ, strlen(REQ)), 0);
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_TCP, &ta, NULL, REQ, strlen(REQ)), 0);
	CHECK(wait_for(l, &b.nrecv, 1, 3000));
	for (int i = 0; i < 5; i++)
		sip_loop_poll(l, 1000);
	CHECK_INT(b.nrecv, 1);
	CHECK(b.tp == NULL);
	sip_transport_free(a.tp);
	sip_loop_free(l);
	return 0;
}

TEST(transport_fixed_port_on_both_families)
{
	struct sip_loop *l;
	struct sip_transport *tp = NULL;
	struct sip_sockaddr sa;
	CHECK_INT(sip_loop_new(&l), 0);
	/* A port free a moment ago; another process may take it, so try a few. */
	uint16_t port = 0;
	for (int i = 0; i < 5 && !tp; i++) {
		struct sip_sockaddr free_port = closed_port(SOCK_STREAM, "::");
		port = sip_sockaddr_port(&free_port);
		struct sip_transport_opts o = {.local_port = port};
		if (sip_transport_new(&tp, l, &o, NULL, NULL, NULL) != 0 ||
		    sip_transport_listen(tp, SIP_TP_TCP) != 0) {
			sip_transport_free(tp);
			tp = NULL;
		}
	}
	CHECK(tp != NULL);
	CHECK_INT(sip_transport_bound(tp, SIP_TP_UDP, AF_INET, &sa), 0);
	CHECK_INT(sip_sockaddr_port(&sa), port);
	CHECK_INT(sip_transport_bound(tp, SIP_TP_UDP, AF_INET6, &sa), 0);
	CHECK_INT(sip_sockaddr_port(&sa), port);
	CHECK_INT(sip_transport_bound(tp, SIP_TP_TCP, AF_INET, &sa), 0);
	CHECK_INT(sip_sockaddr_port(&sa), port);
	CHECK_INT(sip_transport_bound(tp, SIP_TP_TCP, AF_INET6, &sa), 0);
	CHECK_INT(sip_sockaddr_port(&sa), port);
	/* The port is ours: a second transport cannot have it. */
	struct sip_transport *tp2;
	struct sip_transport_opts o2 = {.local_port = port};
	CHECK_INT(sip_transport_new(&tp2, l, &o2, NULL, NULL, NULL), SIP_ESYS);
	sip_transport_free(tp);
	sip_loop_free(l);
	return 0;
}

TEST(transport_tcp_ipv6)
{
	struct sip_loop *l;
	struct peer a, b;
	struct sip_transport_opts o = {.family = AF_INET6, .local_host = "::1"};
	struct sip_sockaddr ta;
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(peer_new(&b, l, &o), 0);
	CHECK_INT(sip_transport_listen(b.tp, SIP_TP_TCP), 0);
	CHECK_INT(sip_transport_bound(b.tp, SIP_TP_TCP, AF_INET6, &ta), 0);
	CHECK_INT(peer_new(&a, l, &o), 0);
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_TCP, &ta, NULL, REQ, strlen(REQ)), 0);
	CHECK(wait_for(l, &b.nrecv, 1, 3000));
	CHECK_INT(sip_transport_send(b.tp, SIP_TP_TCP, &b.pi.remote, NULL, RESP, strlen(RESP)), 0);
	CHECK(wait_for(l, &a.nrecv, 1, 3000));
	CHECK_INT(a.status, 200);
	CHECK_INT(a.pi.remote.u.sa.sa_family, AF_INET6);
	sip_transport_free(a.tp);
	sip_transport_free(b.tp);
	sip_loop_free(l);
	return 0;
}

/* ---- TLS ---- */

/* A server on 127.0.0.1 that accepts (the kernel does it) and never
 * speaks; its address in ta. */
static int silent_listener(struct sip_sockaddr *ta)
{
	*ta = addr("127.0.0.1", 0);
	socklen_t len = sizeof ta->u;
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, &ta->u.sa, ta->len) != 0 || listen(lfd, 4) != 0 ||
	    getsockname(lfd, &ta->u.sa, &len) != 0) {
		if (lfd >= 0)
			close(lfd);
		return -1;
	}
	return lfd;
}

TEST(transport_tls_handshake_times_out)
{
	struct sip_loop *l;
	struct peer a;
	struct sip_transport_opts o = {
		.family = AF_INET, .local_host = "127.0.0.1", .insecure = true, .idle_us = 200000};
	struct sip_sockaddr ta;
	int lfd = silent_listener(&ta);
	CHECK(lfd >= 0);
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(peer_new(&a, l, &o), 0);
	uint64_t t0 = ms_now();
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_TLS, &ta, "localhost", REQ, strlen(REQ)), 0);
	CHECK(wait_for(l, &a.nerr, 1, 3000));
	CHECK_INT(a.err, SIP_ETIMEDOUT);
	CHECK(strstr(a.detail, "handshake") != NULL);
	CHECK(ms_now() - t0 >= 180);
	sip_transport_free(a.tp);
	sip_loop_free(l);
	close(lfd);
	return 0;
}

struct certs {
	char dir[64];
	char good[96];    /* localhost, 127.0.0.1, ::1: certificate and key */
	char expired[96]; /* the same names, expired yesterday */
};

static int write_cert(const char *path, long from_s, long to_s)
{
	int ok = 0;
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509V3_CTX v3;
	FILE *f = NULL;
	if (!key || !x)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), from_s);
	X509_gmtime_adj(X509_getm_notAfter(x), to_s);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
	                           -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	const struct {
		int nid;
		const char *value;
	} exts[] = {{NID_basic_constraints, "critical,CA:TRUE"},
	            {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"}};
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, exts[i].nid, exts[i].value);
		if (!e)
			goto out;
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	if (!X509_sign(x, key, EVP_sha256()))
		goto out;
	f = fopen(path, "w");
	ok = f && PEM_write_X509(f, x) && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
out:
	if (f)
		fclose(f);
	X509_free(x);
	EVP_PKEY_free(key);
	return ok ? 0 : -1;
}

static int certs_make(struct certs *c)
{
	snprintf(c->dir, sizeof c->dir, "%s/sip-tls-XXXXXX", "/tmp");
	if (!mkdtemp(c->dir))
		return -1;
	snprintf(c->good, sizeof c->good, "%s/good.pem", c->dir);
	snprintf(c->expired, sizeof c->expired, "%s/expired.pem", c->dir);
	if (write_cert(c->good, -3600, 86400L * 365) != 0 ||
	    write_cert(c->expired, -86400L * 30, -86400L) != 0)
		return -1;
	return 0;
}

static void certs_remove(struct certs *c)
{
	unlink(c->good);
	unlink(c->expired);
	rmdir(c->dir);
}

struct tls_result {
	int err; /* the client's error, 0 when the exchange went through */
	char detail[256];
	char peer[256]; /* sip_transport_tls_peer */
	int server_err;
};

/* A TLS listener with cert and a client with these options: the client sends
 * a request, the server answers it on the same connection. */
static int tls_exchange(const char *cert, const char *ca, bool insecure, const char *name,
                        const char *keylog, struct tls_result *res)
{
	struct sip_loop *l;
	struct peer a, b;
	struct sip_transport_opts so = {
		.family = AF_INET, .local_host = "127.0.0.1", .cert_file = cert, .key_file = cert};
	struct sip_transport_opts co = {
		.family = AF_INET, .local_host = "127.0.0.1", .ca_file = ca, .insecure = insecure};
	struct sip_sockaddr ta, la;
	memset(res, 0, sizeof *res);
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(peer_new(&b, l, &so), 0);
	CHECK_INT(sip_transport_listen(b.tp, SIP_TP_TLS), 0);
	CHECK_INT(sip_transport_bound(b.tp, SIP_TP_TLS, AF_INET, &ta), 0);
	if (keylog)
		setenv("SSLKEYLOGFILE", keylog, 1);
	CHECK_INT(peer_new(&a, l, &co), 0);
	CHECK_INT(sip_transport_local(a.tp, SIP_TP_TLS, &ta, name, &la), 0);
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_TLS, &ta, name, REQ, strlen(REQ)), 0);
	uint64_t end = ms_now() + 3000;
	while (b.nrecv == 0 && a.nerr == 0 && ms_now() < end)
		sip_loop_poll(l, 10000);
	unsetenv("SSLKEYLOGFILE");
	if (a.nerr) {
		CHECK_INT(a.ntx, 0); /* the handshake failed: the request never left */
		CHECK_INT(a.err_tp, SIP_TP_TLS);
		CHECK(sip_sockaddr_eq(&a.err_remote, &ta));
		res->err = a.err;
		snprintf(res->detail, sizeof res->detail, "%s", a.detail);
		/* The server hears of the failure too. */
		CHECK(wait_for(l, &b.nerr, 1, 3000));
		res->server_err = b.err;
	} else {
		CHECK_INT(b.nrecv, 1);
		CHECK_INT(b.pi.tp, SIP_TP_TLS);
		CHECK(sip_sockaddr_eq(&b.pi.remote, &la));
		CHECK_INT(sip_transport_send(b.tp, SIP_TP_TLS, &b.pi.remote, NULL, RESP,
		                             strlen(RESP)),
		          0);
		CHECK(wait_for(l, &a.nrecv, 1, 3000));
		CHECK_INT(a.status, 200);
		CHECK_INT(a.nerr + b.nerr, 0);
		CHECK_INT(a.ntx, 1); /* shown once, when the handshake let it go */
	}
	sip_transport_tls_peer(a.tp, &ta, res->peer, sizeof res->peer);
	sip_transport_free(a.tp);
	sip_transport_free(b.tp);
	sip_loop_free(l);
	return 0;
}

TEST(transport_tls_verification)
{
	struct certs c;
	struct tls_result r;
	CHECK_INT(certs_make(&c), 0);
	/* Not in the system's trust store. */
	CHECK_INT(tls_exchange(c.good, NULL, false, "localhost", NULL, &r), 0);
	CHECK_INT(r.err, SIP_ETLS);
	CHECK(strstr(r.detail, "self-signed") != NULL);
	CHECK_INT(r.server_err, SIP_ETLS);
	/* The certificate is still there to show. */
	CHECK(strncmp(r.peer, "subject CN=localhost, issuer CN=localhost, expires ", 51) == 0);

	/* Trusted, and the name matches. */
	CHECK_INT(tls_exchange(c.good, c.good, false, "localhost", NULL, &r), 0);
	CHECK_INT(r.err, 0);
	CHECK(strncmp(r.peer, "subject CN=localhost, issuer CN=localhost, expires 2", 52) == 0);
	/* Without a name the address is checked. */
	CHECK_INT(tls_exchange(c.good, c.good, false, NULL, NULL, &r), 0);
	CHECK_INT(r.err, 0);
	CHECK_INT(tls_exchange(c.good, c.good, false, "127.0.0.1", NULL, &r), 0);
	CHECK_INT(r.err, 0);

	CHECK_INT(tls_exchange(c.good, c.good, false, "sip.example.com", NULL, &r), 0);
	CHECK_INT(r.err, SIP_ETLS);
	CHECK(strstr(r.detail, "hostname mismatch") != NULL);

	CHECK_INT(tls_exchange(c.expired, c.expired, false, "localhost", NULL, &r), 0);
	CHECK_INT(r.err, SIP_ETLS);
	CHECK(strstr(r.detail, "expired") != NULL);

	/* --insecure takes all of them. */
	CHECK_INT(tls_exchange(c.expired, NULL, true, "sip.example.com", NULL, &r), 0);
	CHECK_INT(r.err, 0);
	certs_remove(&c);
	return 0;
}

TEST(transport_tls_keylog_and_bad_files)
{
	struct certs c;
	struct tls_result r;
	char keylog[128];
	CHECK_INT(certs_make(&c), 0);
	snprintf(keylog, sizeof keylog, "%s/keys.log", c.dir);
	CHECK_INT(tls_exchange(c.good, c.good, false, "localhost", keylog, &r), 0);
	CHECK_INT(r.err, 0);
	size_t len;
	char *log = test_read_file(keylog, &len);
	CHECK(log != NULL);
	bool found = len > 0 && memmem(log, len, "TRAFFIC_SECRET", 14) != NULL;
	free(log);
	unlink(keylog);
	CHECK(found);

	/* A CA file that cannot be read is a TLS error for the connection,
	 * reported like the others. */
	char missing[128];
	snprintf(missing, sizeof missing, "%s/missing.pem", c.dir);
	struct sip_loop *l;
	struct peer a;
	struct sip_transport_opts o = {
		.family = AF_INET, .local_host = "127.0.0.1", .ca_file = missing};
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(peer_new(&a, l, &o), 0);
	/* A server that accepts: the context fails, not the connect. */
	struct sip_sockaddr ta;
	int lfd = silent_listener(&ta);
	CHECK(lfd >= 0);
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_TLS, &ta, "localhost", REQ, strlen(REQ)), 0);
	CHECK_INT(a.nerr, 0);
	CHECK(wait_for(l, &a.nerr, 1, 3000));
	CHECK_INT(a.err, SIP_ETLS);
	CHECK(strstr(a.detail, "missing.pem") != NULL);
	sip_transport_free(a.tp);
	close(lfd);

	/* A listener needs a certificate that loads. */
	struct sip_transport *tp;
	o.ca_file = NULL;
	CHECK_INT(sip_transport_new(&tp, l, &o, NULL, NULL, NULL), 0);
	CHECK_INT(sip_transport_listen(tp, SIP_TP_TLS), SIP_EINVAL);
	sip_transport_free(tp);
	o.cert_file = o.key_file = missing;
	CHECK_INT(sip_transport_new(&tp, l, &o, NULL, NULL, NULL), 0);
	CHECK_INT(sip_transport_listen(tp, SIP_TP_TLS), SIP_ETLS);
	sip_transport_free(tp);
	sip_loop_free(l);
	certs_remove(&c);
	return 0;
}

/* The client context (OpenSSL's start-up and the trust store, here one made
 * slow to load) is made off the loop: a UDP exchange on the same loop ends
 * before the ClientHello leaves, and the handshake starts once it is made. */
TEST(transport_tls_context_does_not_block_the_loop)
{
	struct certs c;
	char heavy[128];
	CHECK_INT(certs_make(&c), 0);
	snprintf(heavy, sizeof heavy, "%s/heavy.pem", c.dir);
	size_t len;
	char *pem = test_read_file(c.good, &len);
	FILE *f = fopen(heavy, "w");
	CHECK(pem && f);
	/* The certificate alone, without its key, many times over. */
	const char *last = strstr(pem, "-----END CERTIFICATE-----\n");
	CHECK(last != NULL);
	len = (size_t)(last - pem) + 26;
	for (int i = 0; i < 1000; i++)
		fwrite(pem, 1, len, f);
	fclose(f);
	free(pem);

	struct sip_loop *l;
	struct peer a, b;
	struct sip_transport_opts co = {
		.family = AF_INET, .local_host = "127.0.0.1", .ca_file = heavy};
	struct sip_transport_opts so = {.family = AF_INET, .local_host = "127.0.0.1"};
	struct sip_sockaddr ta, ub;
	int lfd = silent_listener(&ta);
	CHECK(lfd >= 0);
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(peer_new(&a, l, &co), 0);
	CHECK_INT(peer_new(&b, l, &so), 0);
	CHECK_INT(sip_transport_bound(b.tp, SIP_TP_UDP, AF_INET, &ub), 0);
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_TLS, &ta, "localhost", REQ, strlen(REQ)), 0);
	CHECK_INT(sip_transport_send(a.tp, SIP_TP_UDP, &ub, NULL, REQ, strlen(REQ)), 0);
	CHECK(wait_for(l, &b.nrecv, 1, 3000));
	CHECK_INT(sip_transport_send(b.tp, SIP_TP_UDP, &b.pi.remote, NULL, RESP, strlen(RESP)), 0);
	CHECK(wait_for(l, &a.nrecv, 1, 3000));
	CHECK_INT(a.status, 200);

	/* Connected, and nothing from the client yet. */
	int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	CHECK(cfd >= 0);
	char hello[512];
	CHECK_INT((int)recv(cfd, hello, sizeof hello, MSG_DONTWAIT), -1);

	/* Then the ClientHello, a TLS handshake record. */
	ssize_t n = -1;
	uint64_t end = ms_now() + 5000;
	while (n <= 0 && ms_now() < end) {
		sip_loop_poll(l, 10000);
		n = recv(cfd, hello, sizeof hello, MSG_DONTWAIT);
	}
	CHECK(n > 0);
	CHECK_INT(hello[0], 22);
	CHECK_INT(a.nerr, 0);
	sip_transport_free(a.tp);
	sip_transport_free(b.tp);
	sip_loop_free(l);
	close(cfd);
	close(lfd);
	unlink(heavy);
	certs_remove(&c);
	return 0;
}
