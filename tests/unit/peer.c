/* peer.c - the unit tests' far end; see peer.h. */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"

uint64_t fake_now;

uint64_t fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

int peer_open(struct peer *p)
{
	p->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (p->fd < 0)
		return -1;
	sip_sockaddr_set(&p->addr, SIP_STR("127.0.0.1"), 0);
	if (bind(p->fd, &p->addr.u.sa, p->addr.len) < 0)
		return -1;
	p->addr.len = sizeof p->addr.u.ss;
	return getsockname(p->fd, &p->addr.u.sa, &p->addr.len);
}

void peer_close(struct peer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

size_t peer_recv(struct peer *p, char *buf, size_t cap, struct sip_sockaddr *from)
{
	struct pollfd pfd = {p->fd, POLLIN, 0};
	if (poll(&pfd, 1, 1000) != 1)
		return 0;
	from->len = sizeof from->u.ss;
	ssize_t n = recvfrom(p->fd, buf, cap - 1, 0, &from->u.sa, &from->len);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (size_t)n;
}

bool peer_pending(struct peer *p)
{
	struct pollfd pfd = {p->fd, POLLIN, 0};
	return poll(&pfd, 1, 0) == 1;
}

int peer_answer(struct peer *p, const char *req, size_t len, unsigned status,
                const struct sip_build_hdr *hdrs, size_t nhdrs, const struct sip_sockaddr *to)
{
	static struct sip_msg m;
	struct sip_buf b;
	struct sip_response_spec rs = {.status = status, .headers = hdrs, .nheaders = nhdrs};
	if (sip_msg_parse(&m, req, len, 0) != 0)
		return -1;
	sip_buf_init(&b, 0);
	int err = sip_build_response(&b, &m, &rs);
	if (!err && sendto(p->fd, b.p, b.len, 0, &to->u.sa, to->len) != (ssize_t)b.len)
		err = -1;
	sip_buf_reset(&b);
	return err;
}

void peer_spin(struct sip_loop *loop)
{
	/* Loopback delivers at once: two quiet turns in a row, and nothing is coming. */
	for (int i = 0, quiet = 0; i < 20 && quiet < 2; i++)
		quiet = sip_loop_poll(loop, 5000) > 0 ? 0 : quiet + 1;
}

int peer_request(struct peer *p, const struct sip_sockaddr *to, const char *method,
                 const char *branch, const char *call_id, const char *to_tag, char *out, size_t cap)
{
	return peer_request_cseq(p, to, method, branch, call_id, to_tag, 1, out, cap);
}

int peer_request_cseq(struct peer *p, const struct sip_sockaddr *to, const char *method,
                      const char *branch, const char *call_id, const char *to_tag, unsigned cseq,
                      char *out, size_t cap)
{
	int n = snprintf(out, cap,
	                 "%s sip:x@127.0.0.1 SIP/2.0\r\n"
	                 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=%s;rport\r\n"
	                 "Max-Forwards: 70\r\n"
	                 "From: <sip:p@127.0.0.1>;tag=p1\r\n"
	                 "To: <sip:x@127.0.0.1>%s%s\r\n"
	                 "Call-ID: %s%s\r\n"
	                 "CSeq: %u %s\r\n"
	                 "Content-Length: 0\r\n\r\n",
	                 method, sip_sockaddr_port(&p->addr), branch, to_tag ? ";tag=" : "",
	                 to_tag ? to_tag : "", call_id ? "" : "srv-", call_id ? call_id : branch,
	                 cseq, method);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return sendto(p->fd, out, (size_t)n, 0, &to->u.sa, to->len) == n ? 0 : -1;
}

unsigned peer_status(const char *buf, size_t n)
{
	static struct sip_msg m;
	return sip_msg_parse(&m, buf, n, 0) == 0 ? m.status : 0;
}

int peer_stack(struct sip_ua **ua, struct peer *p, struct sip_target *t)
{
	struct sip_ua_opts o;
	memset(&o, 0, sizeof o);
	o.ctx.tp.family = AF_INET;
	o.ctx.tp.local_host = "127.0.0.1";
	o.dns_server = "127.0.0.1:9";
	fake_now = 1000000;
	p->fd = -1;
	if (sip_ua_new(ua, &o) != 0 || peer_open(p) != 0)
		return -1;
	sip_loop_set_clock(sip_ua_loop(*ua), fake_clock, NULL);
	t->tp = SIP_TP_UDP;
	t->addr = p->addr;
	return 0;
}

size_t peer_take(struct sip_ua *ua, struct peer *p, struct peer_last *l)
{
	peer_spin(sip_ua_loop(ua));
	l->len = peer_recv(p, l->buf, sizeof l->buf, &l->from);
	return l->len;
}

int peer_reply(struct sip_ua *ua, struct peer *p, const struct peer_last *l, unsigned status,
               const char *hdr)
{
	struct sip_build_hdr h = {hdr};
	int err = peer_answer(p, l->buf, l->len, status, hdr ? &h : NULL, hdr ? 1 : 0, &l->from);
	peer_spin(sip_ua_loop(ua));
	return err;
}
