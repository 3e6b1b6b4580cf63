/* txn_test.c - client and server transactions against a raw UDP socket on
 * loopback, with the loop on a fake clock: Timer E's doubling and Timer F's
 * 32 seconds take no real time. */
#include <arpa/inet.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "peer.h"
#include "test.h"

struct result {
	int calls;
	int err;
	unsigned status;
	unsigned provisional;
};

static void on_resp(int err, const struct sip_msg *m, void *arg)
{
	struct result *r = arg;
	if (!err && m->status < 200) {
		r->provisional++;
		return;
	}
	r->calls++;
	r->err = err;
	r->status = m ? m->status : 0;
}

struct fixture {
	struct sip_loop *loop;
	struct sip_ctx *ctx;
	struct peer peer;
	struct sip_target target;
	struct sip_sockaddr local;
};

static int fixture_open(struct fixture *f)
{
	struct sip_ctx_opts o;
	memset(&o, 0, sizeof o);
	memset(f, 0, sizeof *f);
	o.tp.family = AF_INET;
	o.tp.local_host = "127.0.0.1";
	fake_now = 1000000;
	if (sip_loop_new(&f->loop) || peer_open(&f->peer))
		return -1;
	sip_loop_set_clock(f->loop, fake_clock, NULL);
	if (sip_ctx_new(&f->ctx, f->loop, &o, NULL, NULL))
		return -1;
	f->target.tp = SIP_TP_UDP;
	f->target.addr = f->peer.addr;
	return sip_transport_bound(sip_ctx_transport(f->ctx), SIP_TP_UDP, AF_INET, &f->local);
}

static void fixture_close(struct fixture *f)
{
	sip_ctx_free(f->ctx);
	sip_loop_free(f->loop);
	peer_close(&f->peer);
}

/* A request built for the fixture's peer. */
static int build(struct fixture *f, enum sip_method m, struct sip_buf *b)
{
	struct sip_request_spec s = {
		.method = m,
		.ruri = "sip:bob@127.0.0.1",
		.from = "<sip:alice@127.0.0.1>",
		.via_host = "127.0.0.1",
		.via_port = sip_sockaddr_port(&f->local),
	};
	sip_buf_init(b, 0);
	return sip_build_request(b, &s);
}

/* Opens the fixture and starts a client transaction of method m to its peer. */
static int start(struct fixture *f, enum sip_method m, struct sip_txn **t, sip_resp_h *h, void *arg)
{
	struct sip_buf b;
	if (fixture_open(f) != 0 || build(f, m, &b) != 0)
		return -1;
	int err = sip_txn_start(t, f->ctx, &f->target, b.p, b.len, h, arg);
	sip_buf_reset(&b);
	return err;
}

/* Answers the request in req with status, to where it came from. */
static int answer(struct fixture *f, const char *req, size_t len, unsigned status,
                  const struct sip_sockaddr *to)
{
	return peer_answer(&f->peer, req, len, status, NULL, 0, to);
}

static void spin(struct fixture *f)
{
	peer_spin(f->loop);
}

TEST(txn_timer_e_doubles_to_t2_and_timer_f_gives_up)
{
	struct fixture f;
	struct result r = {0};
	struct sip_txn *t;
	char buf[4096];
	struct sip_sockaddr from;
	CHECK_INT(start(&f, SIP_OPTIONS, &t, on_resp, &r), 0);
	CHECK(peer_recv(&f.peer, buf, sizeof buf, &from) > 0);
	/* Retransmissions at 0.5, 1.5, 3.5, 7.5 s, then every T2 = 4 s until 32 s. */
	static const uint64_t at[] = {500,   1500,  3500,  7500,  11500,
	                              15500, 19500, 23500, 27500, 31500};
	uint64_t start = fake_now;
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		fake_now = start + at[i] * 1000 - 1;
		sip_loop_poll(f.loop, 0);
		CHECK(!peer_pending(&f.peer));
		fake_now += 1;
		sip_loop_poll(f.loop, 0);
		CHECK(peer_recv(&f.peer, buf, sizeof buf, &from) > 0);
	}
	CHECK_INT(sip_txn_sends(t), 11);
	CHECK_INT(r.calls, 0);
	fake_now = start + 32000000;
	sip_loop_poll(f.loop, 0);
	CHECK_INT(r.calls, 1);
	CHECK_INT(r.err, SIP_ETIMEDOUT);
	sip_txn_free(t);
	fixture_close(&f);
	return 0;
}

/* A datagram from the peer that does not parse is dropped, not taken for
 * the transaction's end: the good response after it completes it. With no
 * good one, Timer F ends it as a protocol failure, not a silence. */
TEST(txn_garbled_datagram_fails_nothing)
{
	static const char garbage[] = "SIP/2.0 200 OK\r\nContent-Length: 99999\r\n\r\n";
	struct fixture f;
	struct sip_txn *t;
	char buf[4096];
	struct sip_sockaddr from;
	for (int answered = 0; answered < 2; answered++) {
		struct result r = {0};
		CHECK_INT(start(&f, SIP_OPTIONS, &t, on_resp, &r), 0);
		size_t n = peer_recv(&f.peer, buf, sizeof buf, &from);
		CHECK(n > 0);
		CHECK(!sip_txn_garbled(t));
		CHECK_INT(sendto(f.peer.fd, garbage, sizeof garbage - 1, 0, &from.u.sa, from.len),
		          (long)(sizeof garbage - 1));
		spin(&f);
		CHECK_INT(r.calls, 0);
		CHECK(sip_txn_garbled(t));
		if (answered) {
			CHECK_INT(answer(&f, buf, n, 200, &from), 0);
			spin(&f);
			CHECK_INT(r.calls, 1);
			CHECK_INT(r.status, 200);
		} else {
			fake_now += 64 * 500000;
			sip_loop_poll(f.loop, 0);
			CHECK_INT(r.calls, 1);
			CHECK_INT(r.err, SIP_ESYNTAX);
		}
		sip_txn_free(t);
		fixture_close(&f);
	}
	return 0;
}

/* A 200 with our branch and CSeq but no Call-ID, From or To matches no
 * transaction by the rules: it is dropped like one that does not parse,
 * never taken for the answer. */
TEST(txn_response_missing_headers_is_dropped)
{
	struct fixture f;
	struct result r = {0};
	struct sip_txn *t;
	char buf[4096], resp[1024];
	struct sip_sockaddr from;
	CHECK_INT(start(&f, SIP_OPTIONS, &t, on_resp, &r), 0);
	CHECK(peer_recv(&f.peer, buf, sizeof buf, &from) > 0);
	const struct sip_msg *req = sip_txn_request(t);
	const struct sip_hdr *via = sip_msg_hdr(req, SIP_HDR_VIA);
	const struct sip_hdr *cseq = sip_msg_hdr(req, SIP_HDR_CSEQ);
	int len = snprintf(resp, sizeof resp,
	                   "SIP/2.0 200 OK\r\nVia: %.*s\r\nCSeq: %.*s\r\nContent-Length: 0\r\n\r\n",
	                   SIP_STR_FMT(via->value), SIP_STR_FMT(cseq->value));
	CHECK(len > 0 && (size_t)len < sizeof resp);
	CHECK_INT(sendto(f.peer.fd, resp, (size_t)len, 0, &from.u.sa, from.len), len);
	spin(&f);
	CHECK_INT(r.calls, 0);
	CHECK(sip_txn_garbled(t));
	sip_txn_free(t);
	fixture_close(&f);
	return 0;
}

TEST(txn_final_response_matched_by_branch)
{
	struct fixture f;
	struct result r = {0};
	struct sip_txn *t;
	char buf[4096];
	struct sip_sockaddr from;
	CHECK_INT(start(&f, SIP_OPTIONS, &t, on_resp, &r), 0);
	size_t n = peer_recv(&f.peer, buf, sizeof buf, &from);
	CHECK(n > 0);
	/* A response to another transaction (another branch) is not ours. */
	char *other = strstr(buf, "z9hG4bK");
	CHECK(other != NULL);
	other[7] = other[7] == 'x' ? 'y' : 'x';
	CHECK_INT(answer(&f, buf, n, 200, &from), 0);
	spin(&f);
	CHECK_INT(r.calls, 0);
	CHECK_INT(answer(&f, sip_txn_request(t)->raw.p, sip_txn_request(t)->raw.len, 180, &from),
	          0);
	CHECK_INT(answer(&f, sip_txn_request(t)->raw.p, sip_txn_request(t)->raw.len, 200, &from),
	          0);
	spin(&f);
	CHECK_INT(r.provisional, 1);
	CHECK_INT(r.calls, 1);
	CHECK_INT(r.status, 200);
	CHECK_INT(r.err, 0);
	sip_txn_free(t);
	fixture_close(&f);
	return 0;
}

TEST(txn_invite_non_2xx_is_acked_in_the_transaction)
{
	struct fixture f;
	struct result r = {0};
	struct sip_txn *t;
	char buf[4096];
	struct sip_sockaddr from;
	static struct sip_msg ack;
	static char invite[4096];
	CHECK_INT(start(&f, SIP_INVITE, &t, on_resp, &r), 0);
	size_t ilen = peer_recv(&f.peer, invite, sizeof invite, &from);
	CHECK(ilen > 0);
	CHECK_INT(answer(&f, invite, ilen, 486, &from), 0);
	spin(&f);
	CHECK_INT(r.calls, 1);
	CHECK_INT(r.status, 486);
	size_t n = peer_recv(&f.peer, buf, sizeof buf, &from);
	CHECK(n > 0);
	CHECK_INT(sip_msg_parse(&ack, buf, n, 0), 0);
	CHECK_INT(ack.method, SIP_ACK);
	const struct sip_hdr *cseq = sip_msg_hdr(&ack, SIP_HDR_CSEQ);
	CHECK(cseq && strstr(cseq->value.p, "ACK") == cseq->value.p + cseq->value.len - 3);
	struct sip_addr to;
	CHECK_INT(sip_addr_parse(&to, sip_msg_hdr(&ack, SIP_HDR_TO)->value), 0);
	CHECK(to.tag.len > 0);
	/* The request is let go; a retransmitted 486 gets the ACK again, and no second call. */
	CHECK(sip_txn_request(t) == NULL);
	CHECK_INT(answer(&f, invite, ilen, 486, &from), 0);
	spin(&f);
	CHECK(peer_recv(&f.peer, buf, sizeof buf, &from) > 0);
	CHECK_INT(r.calls, 1);
	sip_txn_free(t);
	fixture_close(&f);
	return 0;
}

/* The server side: a raw peer sends requests to the context. */
static int peer_send_request(struct fixture *f, const char *method, const char *branch,
                             const char *to_tag, char *out, size_t cap)
{
	return peer_request(&f->peer, &f->local, method, branch, NULL, to_tag, out, cap);
}

static unsigned status_of(const char *buf, size_t n)
{
	return peer_status(buf, n);
}

TEST(txn_server_default_answers_and_absorbs_retransmissions)
{
	struct fixture f;
	char req[1024], buf[4096];
	struct sip_sockaddr from;
	CHECK_INT(fixture_open(&f), 0);
	CHECK_INT(peer_send_request(&f, "OPTIONS", "z9hG4bKs1", NULL, req, sizeof req), 0);
	spin(&f);
	size_t n = peer_recv(&f.peer, buf, sizeof buf, &from);
	CHECK_INT(status_of(buf, n), 200);
	CHECK(strstr(buf, "\r\nAllow: ") != NULL);
	/* The same request again: the stored response again. */
	CHECK_INT(peer_send_request(&f, "OPTIONS", "z9hG4bKs1", NULL, req, sizeof req), 0);
	spin(&f);
	n = peer_recv(&f.peer, buf, sizeof buf, &from);
	CHECK_INT(status_of(buf, n), 200);
	CHECK_INT(peer_send_request(&f, "MESSAGE", "z9hG4bKs2", NULL, req, sizeof req), 0);
	spin(&f);
	n = peer_recv(&f.peer, buf, sizeof buf, &from);
	CHECK_INT(status_of(buf, n), 405);
	CHECK_INT(peer_send_request(&f, "BYE", "z9hG4bKs3", "gone", req, sizeof req), 0);
	spin(&f);
	n = peer_recv(&f.peer, buf, sizeof buf, &from);
	CHECK_INT(status_of(buf, n), 481);
	/* Timer J lets the transactions go after 64*T1. */
	fake_now += 64 * 500000;
	sip_loop_poll(f.loop, 0);
	fixture_close(&f);
	return 0;
}

/* A request without a Call-ID matches no dialog and would get an answer
 * that matches nothing either: it is dropped, not answered. */
TEST(txn_server_request_missing_headers_is_dropped)
{
	static const char req[] =
		"OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKm1;rport\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:alice@127.0.0.1>;tag=1\r\n"
		"To: <sip:bob@127.0.0.1>\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	struct fixture f;
	CHECK_INT(fixture_open(&f), 0);
	CHECK_INT(sendto(f.peer.fd, req, sizeof req - 1, 0, &f.local.u.sa, f.local.len),
	          (long)(sizeof req - 1));
	spin(&f);
	CHECK(!peer_pending(&f.peer));
	fixture_close(&f);
	return 0;
}

static int refused_calls;

static void on_refused(int err, const struct sip_msg *m, void *arg)
{
	struct result *r = arg;
	(void)m;
	r->err = err;
	refused_calls++;
}

TEST(txn_icmp_port_unreachable_ends_it_at_once)
{
	struct fixture f;
	struct sip_buf b;
	struct result r = {0};
	struct sip_txn *t;
	CHECK_INT(fixture_open(&f), 0);
	close(f.peer.fd);
	f.peer.fd = -1;
	refused_calls = 0;
	CHECK_INT(build(&f, SIP_OPTIONS, &b), 0);
	CHECK_INT(sip_txn_start(&t, f.ctx, &f.target, b.p, b.len, on_refused, &r), 0);
	sip_buf_reset(&b);
	spin(&f);
	CHECK_INT(refused_calls, 1);
	CHECK_INT(r.err, SIP_EREFUSED);
	sip_txn_free(t);
	sip_ctx_free(f.ctx);
	sip_loop_free(f.loop);
	return 0;
}

struct stray {
	int responses, acks;
	unsigned status;
};

static void on_stray(const struct sip_msg *m, const struct sip_packet_info *pi, void *arg)
{
	struct stray *s = arg;
	(void)pi;
	if (m->is_request && m->method == SIP_ACK)
		s->acks++;
	else if (!m->is_request) {
		s->responses++;
		s->status = m->status;
	}
}

TEST(txn_invite_2xx_ends_it_and_a_repeated_2xx_is_stray)
{
	struct fixture f;
	struct result r = {0};
	struct stray s = {0};
	struct sip_txn *t;
	struct sip_sockaddr from;
	static char invite[4096];
	CHECK_INT(start(&f, SIP_INVITE, &t, on_resp, &r), 0);
	sip_ctx_set_stray_handler(f.ctx, on_stray, &s);
	size_t ilen = peer_recv(&f.peer, invite, sizeof invite, &from);
	CHECK(ilen > 0);
	CHECK_INT(answer(&f, invite, ilen, 200, &from), 0);
	spin(&f);
	CHECK_INT(r.calls, 1);
	CHECK_INT(r.status, 200);
	CHECK_INT(s.responses, 0);
	/* The TU ACKs a 2xx: the transaction sends none, and keeps the request for it. */
	CHECK(!peer_pending(&f.peer));
	CHECK(sip_txn_request(t) != NULL);
	CHECK_INT(answer(&f, invite, ilen, 200, &from), 0);
	spin(&f);
	CHECK_INT(r.calls, 1);
	CHECK_INT(s.responses, 1);
	CHECK_INT(s.status, 200);
	sip_txn_free(t);
	fixture_close(&f);
	return 0;
}

/* Timer K over UDP: once its owner has let go, a completed OPTIONS keeps no
 * more than its key, which absorbs the final response again for T4 to
 * 2 T4; after that the same response is a stray. Fifty of them in a row
 * take no more blocks than the first but one: the keys' second generation
 * (the fifty take 25 s). Each request goes twice (Timer E), as a server
 * repeats its final response only for a repeated request. */
TEST(txn_completed_non_invite_leaves_only_its_key)
{
	struct fixture f;
	struct result r = {0};
	struct stray s = {0};
	struct sip_txn *t;
	struct sip_sockaddr from;
	static char req[4096];
	size_t len = 0;
	long live = 0;
	CHECK_INT(fixture_open(&f), 0);
	sip_ctx_set_stray_handler(f.ctx, on_stray, &s);
	for (int i = 0; i < 50; i++) {
		struct sip_buf b;
		CHECK_INT(build(&f, SIP_OPTIONS, &b), 0);
		CHECK_INT(sip_txn_start(&t, f.ctx, &f.target, b.p, b.len, on_resp, &r), 0);
		sip_buf_reset(&b);
		CHECK(peer_recv(&f.peer, req, sizeof req, &from) > 0);
		fake_now += SIP_T1_DEFAULT;
		sip_loop_poll(f.loop, 0);
		len = peer_recv(&f.peer, req, sizeof req, &from);
		CHECK(len > 0);
		CHECK_INT(sip_txn_sends(t), 2);
		CHECK_INT(answer(&f, req, len, 200, &from), 0);
		spin(&f);
		sip_txn_free(t);
		if (i == 0)
			live = test_heap_live();
	}
	CHECK_INT(r.calls, 50);
	CHECK(test_heap_live() <= live + 1);
	CHECK_INT(answer(&f, req, len, 200, &from), 0);
	spin(&f);
	CHECK_INT(r.calls, 50);
	CHECK_INT(s.responses, 0);
	fake_now += SIP_T4_DEFAULT;
	sip_loop_poll(f.loop, 0);
	CHECK_INT(answer(&f, req, len, 200, &from), 0);
	spin(&f);
	CHECK_INT(s.responses, 0);
	fake_now += SIP_T4_DEFAULT;
	sip_loop_poll(f.loop, 0);
	CHECK_INT(answer(&f, req, len, 200, &from), 0);
	spin(&f);
	CHECK_INT(s.responses, 1);
	CHECK_INT(s.status, 200);
	CHECK_INT(r.calls, 50);
	fixture_close(&f);
	return 0;
}

/* A request that went once is answered once: its transaction leaves no key,
 * and the same final response again is a stray. */
TEST(txn_request_sent_once_leaves_no_key)
{
	struct fixture f;
	struct result r = {0};
	struct stray s = {0};
	struct sip_txn *t;
	struct sip_sockaddr from;
	static char req[4096];
	CHECK_INT(start(&f, SIP_OPTIONS, &t, on_resp, &r), 0);
	sip_ctx_set_stray_handler(f.ctx, on_stray, &s);
	size_t len = peer_recv(&f.peer, req, sizeof req, &from);
	CHECK(len > 0);
	CHECK_INT(answer(&f, req, len, 200, &from), 0);
	spin(&f);
	sip_txn_free(t);
	CHECK_INT(answer(&f, req, len, 200, &from), 0);
	spin(&f);
	CHECK_INT(r.calls, 1);
	CHECK_INT(s.responses, 1);
	fixture_close(&f);
	return 0;
}

struct cancel_result {
	struct result invite, cancel;
};

static void on_cancel_resp(int err, const struct sip_msg *m, void *arg)
{
	on_resp(err, m, &((struct cancel_result *)arg)->cancel);
}

TEST(txn_cancel_follows_the_invite_hop_by_hop)
{
	struct fixture f;
	struct cancel_result cr;
	struct sip_txn *t, *c;
	struct sip_sockaddr from;
	static char invite[4096], buf[4096];
	static struct sip_msg im, cm;
	memset(&cr, 0, sizeof cr);
	CHECK_INT(start(&f, SIP_INVITE, &t, on_resp, &cr.invite), 0);
	size_t ilen = peer_recv(&f.peer, invite, sizeof invite, &from);
	CHECK(ilen > 0);
	CHECK_INT(answer(&f, invite, ilen, 180, &from), 0);
	spin(&f);
	CHECK_INT(cr.invite.provisional, 1);
	CHECK_INT(sip_txn_cancel(&c, t, on_cancel_resp, &cr), 0);
	size_t n = peer_recv(&f.peer, buf, sizeof buf, &from);
	CHECK(n > 0);
	CHECK_INT(sip_msg_parse(&cm, buf, n, 0), 0);
	CHECK_INT(sip_msg_parse(&im, invite, ilen, 0), 0);
	CHECK_INT(cm.method, SIP_CANCEL);
	CHECK(sip_str_eq(cm.ruri, im.ruri));
	/* Same top Via (branch), From, To (no tag), Call-ID; CSeq number with CANCEL. */
	static const enum sip_hdr_id same[] = {SIP_HDR_VIA, SIP_HDR_FROM, SIP_HDR_TO,
	                                       SIP_HDR_CALL_ID};
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
		CHECK(sip_str_eq(sip_msg_hdr(&cm, same[i])->value,
		                 sip_msg_hdr(&im, same[i])->value));
	CHECK_STR(sip_msg_hdr(&cm, SIP_HDR_CSEQ)->value, "1 CANCEL");
	/* Its 200 goes to the CANCEL, the 487 to the INVITE, which ACKs it. */
	CHECK_INT(answer(&f, buf, n, 200, &from), 0);
	CHECK_INT(answer(&f, invite, ilen, 487, &from), 0);
	spin(&f);
	CHECK_INT(cr.cancel.calls, 1);
	CHECK_INT(cr.cancel.status, 200);
	CHECK_INT(cr.invite.calls, 1);
	CHECK_INT(cr.invite.status, 487);
	n = peer_recv(&f.peer, buf, sizeof buf, &from);
	CHECK(n > 0 && strncmp(buf, "ACK ", 4) == 0);
	/* Nothing left to cancel once the INVITE is over. */
	struct sip_txn *again;
	CHECK_INT(sip_txn_cancel(&again, t, on_cancel_resp, &cr), SIP_EINVAL);
	sip_txn_free(c);
	sip_txn_free(t);
	fixture_close(&f);
	return 0;
}

static void answer_200(struct sip_strans *st, const struct sip_msg *req,
                       const struct sip_packet_info *pi, void *arg)
{
	(void)req;
	(void)pi;
	(void)arg;
	struct sip_response_spec s = {.status = 200, .contact = "<sip:x@127.0.0.1>"};
	sip_strans_respond(st, &s);
}

TEST(txn_server_2xx_to_invite_repeats_until_the_ack)
{
	struct fixture f;
	struct stray s = {0};
	char req[1024], buf[4096];
	struct sip_sockaddr from;
	CHECK_INT(fixture_open(&f), 0);
	sip_ctx_set_request_handler(f.ctx, answer_200, NULL);
	sip_ctx_set_stray_handler(f.ctx, on_stray, &s);
	CHECK_INT(peer_send_request(&f, "INVITE", "z9hG4bKi1", NULL, req, sizeof req), 0);
	spin(&f);
	size_t n = peer_recv(&f.peer, buf, sizeof buf, &from);
	CHECK_INT(status_of(buf, n), 200);
	/* Again at T1 and 2*T1 later... */
	fake_now += 500000;
	sip_loop_poll(f.loop, 0);
	CHECK_INT(status_of(buf, peer_recv(&f.peer, buf, sizeof buf, &from)), 200);
	fake_now += 1000000;
	sip_loop_poll(f.loop, 0);
	CHECK_INT(status_of(buf, peer_recv(&f.peer, buf, sizeof buf, &from)), 200);
	/* ...until the ACK, which has a branch of its own and reaches the stray handler. */
	CHECK_INT(peer_send_request(&f, "ACK", "z9hG4bKa1", "t", req, sizeof req), 0);
	char *cid = strstr(req, "Call-ID: srv-z9hG4bKa1");
	CHECK(cid != NULL);
	memcpy(cid + strlen("Call-ID: srv-"), "z9hG4bKi1", 9);
	CHECK(sendto(f.peer.fd, req, strlen(req), 0, &f.local.u.sa, f.local.len) > 0);
	spin(&f);
	CHECK_INT(s.acks, 2);
	fake_now += 4000000;
	sip_loop_poll(f.loop, 0);
	CHECK(!peer_pending(&f.peer));
	fixture_close(&f);
	return 0;
}

struct held {
	struct sip_strans *st;
	int cancels;
};

static void hold_it(struct sip_strans *st, const struct sip_msg *req,
                    const struct sip_packet_info *pi, void *arg)
{
	struct held *h = arg;
	(void)req;
	(void)pi;
	h->st = st;
	sip_strans_hold(st, NULL, NULL);
}

static void on_cancel(struct sip_strans *st, void *arg)
{
	struct held *h = arg;
	(void)st;
	h->cancels++;
	h->st = NULL;
}

static void hold_for_cancel(struct sip_strans *st, const struct sip_msg *req,
                            const struct sip_packet_info *pi, void *arg)
{
	struct held *h = arg;
	(void)req;
	(void)pi;
	h->st = st;
	sip_strans_hold(st, on_cancel, h);
}

/* The To tag of the response in buf. */
static const char *to_tag_of(const char *buf, size_t n, char *tag, size_t cap)
{
	static struct sip_msg m;
	struct sip_addr a;
	const struct sip_hdr *h;
	tag[0] = '\0';
	if (sip_msg_parse(&m, buf, n, 0) == 0 && (h = sip_msg_hdr(&m, SIP_HDR_TO)) &&
	    sip_addr_parse(&a, h->value) == 0)
		snprintf(tag, cap, "%.*s", SIP_STR_FMT(a.tag));
	return tag;
}

TEST(txn_server_holds_an_invite_and_answers_later)
{
	struct fixture f;
	struct held h = {0};
	char req[1024], buf[4096], tag180[32], tag200[32];
	struct sip_sockaddr from;
	CHECK_INT(fixture_open(&f), 0);
	sip_ctx_set_request_handler(f.ctx, hold_it, &h);
	CHECK_INT(peer_send_request(&f, "INVITE", "z9hG4bKh1", NULL, req, sizeof req), 0);
	spin(&f);
	CHECK(h.st != NULL);
	size_t n = peer_recv(&f.peer, buf, sizeof buf, &from);
	CHECK_INT(status_of(buf, n), 100); /* held: Trying at once, no 500 */
	CHECK(!peer_pending(&f.peer));
	struct sip_response_spec ringing = {.status = 180};
	CHECK_INT(sip_strans_respond(h.st, &ringing), 0);
	n = peer_recv(&f.peer, buf, sizeof buf, &from);
	CHECK_INT(status_of(buf, n), 180);
	to_tag_of(buf, n, tag180, sizeof tag180);
	CHECK(tag180[0] != '\0');
	fake_now += 10000000;
	struct sip_response_spec ok = {.status = 200};
	CHECK_INT(sip_strans_respond(h.st, &ok), 0);
	n = peer_recv(&f.peer, buf, sizeof buf, &from);
	CHECK_INT(status_of(buf, n), 200);
	CHECK(strcmp(to_tag_of(buf, n, tag200, sizeof tag200), tag180) == 0);
	fake_now += 64 * 500000;
	sip_loop_poll(f.loop, 0);
	fixture_close(&f);
	return 0;
}

TEST(txn_server_cancel_of_a_held_invite_gets_200_and_487)
{
	struct fixture f;
	struct held h = {0};
	char req[1024], buf[4096], tag180[32], tag487[32];
	struct sip_sockaddr from;
	CHECK_INT(fixture_open(&f), 0);
	sip_ctx_set_request_handler(f.ctx, hold_for_cancel, &h);
	CHECK_INT(peer_send_request(&f, "INVITE", "z9hG4bKc1", NULL, req, sizeof req), 0);
	spin(&f);
	size_t n = peer_recv(&f.peer, buf, sizeof buf, &from);
	CHECK_INT(status_of(buf, n), 100);
	struct sip_response_spec ringing = {.status = 180};
	CHECK_INT(sip_strans_respond(h.st, &ringing), 0);
	n = peer_recv(&f.peer, buf, sizeof buf, &from);
	to_tag_of(buf, n, tag180, sizeof tag180);
	CHECK_INT(peer_send_request(&f, "CANCEL", "z9hG4bKc1", NULL, req, sizeof req), 0);
	spin(&f);
	n = peer_recv(&f.peer, buf, sizeof buf, &from);
	CHECK_INT(status_of(buf, n), 200);
	CHECK(strstr(buf, "CSeq: 1 CANCEL\r\n") != NULL);
	n = peer_recv(&f.peer, buf, sizeof buf, &from);
	CHECK_INT(status_of(buf, n), 487);
	CHECK(strstr(buf, "CSeq: 1 INVITE\r\n") != NULL);
	CHECK(strcmp(to_tag_of(buf, n, tag487, sizeof tag487), tag180) == 0);
	CHECK_INT(h.cancels, 1);
	/* A CANCEL of nothing: 481. */
	CHECK_INT(peer_send_request(&f, "CANCEL", "z9hG4bKc9", NULL, req, sizeof req), 0);
	spin(&f);
	n = peer_recv(&f.peer, buf, sizeof buf, &from);
	CHECK_INT(status_of(buf, n), 481);
	fake_now += 64 * 500000;
	sip_loop_poll(f.loop, 0);
	fixture_close(&f);
	return 0;
}
