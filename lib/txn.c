/* txn.c - the context (transport, timers, transaction tables) and the
 * client and server transactions of RFC 3261 §17.
 *
 * Client transactions are matched by the branch of the top Via and the
 * CSeq method (§17.1.3), server transactions by branch, sent-by and method
 * (§17.2.3; an ACK finds its INVITE). Both live in hash tables keyed by
 * the branch, which grow with their load. A transaction its owner has let
 * go of stays alive until its last timer, so that late retransmissions are
 * still absorbed; a non-INVITE client transaction waiting out Timer K
 * leaves only its key behind (txn_table.h), and none when its request went
 * once. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "sip_int.h"
#include "txn_table.h"

#define TXN_OF(l) ((struct sip_txn *)(void *)((char *)(l)-offsetof(struct sip_txn, link)))
#define STRANS_OF(l) ((struct sip_strans *)(void *)((char *)(l)-offsetof(struct sip_strans, link)))

/* ACCEPTED is a UAS INVITE whose 2xx is repeated until the ACK (§13.3.1.4,
 * RFC 6026 §8.7). */
enum state { CALLING, PROCEEDING, COMPLETED, CONFIRMED, ACCEPTED, TERMINATED };

struct sip_txn {
	struct sip_ctx *ctx;
	struct sip_tlink link;
	struct sip_target target;
	/* The request and its parse live until the final response; what
	 * matching needs later is copied, so that a completed transaction
	 * waiting out Timer K costs a few hundred bytes, not a whole message. */
	char *buf;
	size_t len;
	struct sip_msg *req;
	enum sip_method method;
	char method_name[32];
	char branch_buf[96];
	struct sip_str branch;
	enum state state;
	struct sip_timer retrans; /* A or E */
	struct sip_timer timeout; /* B or F */
	struct sip_timer linger;  /* D or K */
	uint64_t interval;
	uint64_t sent_at;
	unsigned sends;
	sip_resp_h *h;
	void *arg;
	bool in_handler;
	bool released;  /* the owner freed it; it goes when its timers end */
	bool garbled;   /* its destination sent what does not parse */
	bool tp_failed; /* the transport failed it: ctx->why says how, while that lasts */
	char *ack;
	size_t ack_len;
};

struct sip_strans {
	struct sip_ctx *ctx;
	struct sip_tlink link;
	/* The request lives until the final response is built; matching
	 * retransmissions later needs only the copies below. */
	char *buf;
	size_t len;
	struct sip_msg *req;
	enum sip_method method;
	char method_name[32];
	char branch_buf[96];
	char host_buf[64];
	struct sip_str branch;
	struct sip_str host; /* sent-by */
	uint16_t port;
	bool rport;
	struct sip_packet_info pi;
	enum state state;
	struct sip_buf resp;
	unsigned status;
	struct sip_timer retrans; /* G */
	struct sip_timer linger;  /* H, I or J */
	uint64_t interval;
	bool held;       /* its owner answers later */
	char to_tag[24]; /* every response but a 100 carries the same one */
	sip_strans_cancel_h *on_cancel;
	void *cancel_arg;
};

struct sip_ctx {
	struct sip_loop *loop;
	struct sip_transport *tp;
	uint64_t t1, t2, t4;
	uint64_t t2_asked; /* T2 as given: T1 raises it, and a lower T1 again gives it back */
	char *user_agent;
	sip_req_h *req_h;
	void *req_arg;
	sip_recv_h *stray_h;
	void *stray_arg;
	sip_tp_err_h *tp_err;
	void *tp_err_arg;
	struct sip_ttable clients, servers;
	/* The completed non-INVITE client transactions, by txn_key. */
	struct sip_keyset done;
	struct sip_timer done_rotate; /* every T4, while done has keys */
	uint64_t answered_at;         /* the last final response sent over UDP */
	/* The transport's detail of the failure being delivered, NULL between. */
	const char *why;
	/* Scratch for parsing a response's Via; one per context, not per call. */
	struct sip_msg scratch;
};

static uint32_t bucket(struct sip_str branch)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < branch.len; i++)
		h = (h ^ (unsigned char)branch.p[i]) * 16777619u;
	return h;
}

/* What a response matches a client transaction by (§17.1.3), in 64 bits. */
static uint64_t txn_key(struct sip_str branch, struct sip_str method)
{
	uint64_t h = 14695981039346656037u;
	for (size_t i = 0; i < branch.len; i++)
		h = (h ^ (unsigned char)branch.p[i]) * 1099511628211u;
	h = (h ^ ' ') * 1099511628211u;
	for (size_t i = 0; i < method.len; i++)
		h = (h ^ (unsigned char)method.p[i]) * 1099511628211u;
	return h;
}

/* The top Via's branch and sent-by ("host:port" as written). */
static int top_via(const struct sip_msg *m, struct sip_via *via)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_VIA);
	struct sip_str list, elem;
	if (!h)
		return SIP_ESYNTAX;
	list = h->value;
	if (sip_list_next(&list, &elem) != 1)
		return SIP_ESYNTAX;
	return sip_via_parse(via, elem);
}

static int cseq_of(const struct sip_msg *m, struct sip_cseq *cs)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CSEQ);
	return h ? sip_cseq_parse(cs, h->value) : SIP_ESYNTAX;
}

/* ---- client transactions ---- */

static void txn_unlink(struct sip_txn *t)
{
	sip_ttable_del(&t->ctx->clients, &t->link);
}

/* Drops the request once no retransmission or ACK will need it. */
static void txn_drop_request(struct sip_txn *t)
{
	if (t->branch.p != t->branch_buf)
		return; /* an unusually long branch still points into buf */
	free(t->req);
	free(t->buf);
	t->req = NULL;
	t->buf = NULL;
}

static void txn_destroy(struct sip_txn *t)
{
	struct sip_loop *l = t->ctx->loop;
	txn_unlink(t);
	sip_timer_cancel(l, &t->retrans);
	sip_timer_cancel(l, &t->timeout);
	sip_timer_cancel(l, &t->linger);
	free(t->req);
	free(t->buf);
	free(t->ack);
	free(t);
}

/* Calls the owner's handler; the owner may free the transaction inside. */
static void txn_deliver(struct sip_txn *t, int err, const struct sip_msg *msg)
{
	if (t->released || !t->h)
		return;
	t->in_handler = true;
	t->h(err, msg, t->arg);
	t->in_handler = false;
	if (t->released && !sip_timer_armed(&t->linger))
		txn_destroy(t);
}

static void txn_send(struct sip_txn *t, const char *buf, size_t len)
{
	t->sends++;
	/* A failure here arrives again through the transport's error handler. */
	sip_transport_send(t->ctx->tp, t->target.tp, &t->target.addr,
	                   t->target.name[0] ? t->target.name : NULL, buf, len);
}

/* Ends a transaction that got no final response, telling its owner why. */
static void txn_fail(struct sip_txn *t, int err)
{
	struct sip_loop *l = t->ctx->loop;
	t->state = TERMINATED;
	sip_timer_cancel(l, &t->retrans);
	sip_timer_cancel(l, &t->timeout);
	sip_timer_cancel(l, &t->linger);
	txn_unlink(t);
	txn_deliver(t, err, NULL);
}

static void on_retransmit(void *arg)
{
	struct sip_txn *t = arg;
	struct sip_ctx *c = t->ctx;
	txn_send(t, t->buf, t->len);
	/* INVITE doubles without bound (Timer A); others cap at T2 (Timer E),
	 * and stay at T2 once a provisional response came. */
	if (t->method == SIP_INVITE)
		t->interval *= 2;
	else
		t->interval = t->state == PROCEEDING
		                      ? c->t2
		                      : (t->interval * 2 > c->t2 ? c->t2 : t->interval * 2);
	sip_timer_start(c->loop, &t->retrans, t->interval, on_retransmit, t);
}

static void on_timeout(void *arg)
{
	struct sip_txn *t = arg;
	txn_fail(t, t->garbled ? SIP_ESYNTAX : SIP_ETIMEDOUT);
}

static void on_linger_end(void *arg)
{
	struct sip_txn *t = arg;
	t->state = TERMINATED;
	txn_unlink(t);
	if (t->released && !t->in_handler)
		txn_destroy(t);
}

static void on_done_rotate(void *arg)
{
	struct sip_ctx *c = arg;
	sip_keyset_rotate(&c->done);
	if (!sip_keyset_empty(&c->done))
		sip_timer_start(c->loop, &c->done_rotate, c->t4, on_done_rotate, c);
}

/* A released non-INVITE transaction waiting out Timer K goes, leaving its
 * key to absorb what it would have (for T4 to 2 T4: keys go by the
 * generation). A server repeats a non-INVITE's final response only when the
 * request comes again (§17.2.2), so a request sent once leaves no key: a
 * flood without loss keeps nothing, however fast. An INVITE's Timer D keeps
 * it whole: a final response again gets the ACK again. */
static void txn_retire(struct sip_txn *t)
{
	struct sip_ctx *c = t->ctx;
	if (t->method == SIP_INVITE || t->state != COMPLETED)
		return;
	if (t->target.tp == SIP_TP_UDP && t->sends > 1) {
		if (sip_keyset_add(&c->done, txn_key(t->branch, sip_str_from(t->method_name))) != 0)
			return; /* no room for the key: the whole transaction waits instead */
		if (!sip_timer_armed(&c->done_rotate))
			sip_timer_start(c->loop, &c->done_rotate, c->t4, on_done_rotate, c);
	}
	txn_destroy(t);
}

/*
 * A request that goes where the INVITE went, hop by hop: the ACK for a
 * non-2xx final response (§17.1.1.3, To from the response) and CANCEL
 * (§9.1, To from the INVITE). Both copy the Request-URI, top Via, From,
 * Call-ID, CSeq number and Route of the INVITE.
 */
static int build_hop_request(const struct sip_msg *r, const char *method, struct sip_str to,
                             struct sip_buf *b)
{
	const struct sip_hdr *via = sip_msg_hdr(r, SIP_HDR_VIA);
	const struct sip_hdr *from = sip_msg_hdr(r, SIP_HDR_FROM);
	const struct sip_hdr *cid = sip_msg_hdr(r, SIP_HDR_CALL_ID);
	struct sip_cseq cs;
	struct sip_str vlist, top;
	if (!via || !from || !cid || cseq_of(r, &cs) != 0)
		return SIP_ESYNTAX;
	vlist = via->value;
	if (sip_list_next(&vlist, &top) != 1)
		return SIP_ESYNTAX;
	sip_buf_init(b, 0);
	sip_buf_printf(b, "%s %.*s SIP/2.0\r\nVia: %.*s\r\nMax-Forwards: 70\r\n", method,
	               SIP_STR_FMT(r->ruri), SIP_STR_FMT(top));
	for (const struct sip_hdr *h = sip_msg_hdr(r, SIP_HDR_ROUTE); h; h = sip_msg_hdr_next(r, h))
		sip_buf_printf(b, "Route: %.*s\r\n", SIP_STR_FMT(h->value));
	sip_buf_printf(b,
	               "From: %.*s\r\nTo: %.*s\r\nCall-ID: %.*s\r\nCSeq: %u %s\r\n"
	               "Content-Length: 0\r\n\r\n",
	               SIP_STR_FMT(from->value), SIP_STR_FMT(to), SIP_STR_FMT(cid->value), cs.num,
	               method);
	if (b->err) {
		int err = b->err;
		sip_buf_reset(b);
		return err;
	}
	return 0;
}

static int build_ack(struct sip_txn *t, const struct sip_msg *resp)
{
	const struct sip_hdr *to = sip_msg_hdr(resp, SIP_HDR_TO);
	struct sip_buf b;
	if (!to)
		return SIP_ESYNTAX;
	int err = build_hop_request(t->req, "ACK", to->value, &b);
	if (err)
		return err;
	free(t->ack);
	t->ack = b.p;
	t->ack_len = b.len;
	return 0;
}

static void txn_on_response(struct sip_txn *t, const struct sip_msg *m)
{
	struct sip_ctx *c = t->ctx;
	bool reliable = t->target.tp != SIP_TP_UDP;
	if (t->state == COMPLETED) {
		/* A retransmitted final response: repeat the ACK (INVITE), else absorb. */
		if (t->ack && m->status >= 300)
			txn_send(t, t->ack, t->ack_len);
		return;
	}
	if (t->state == TERMINATED)
		return;
	if (m->status < 200) {
		if (t->method == SIP_INVITE) {
			sip_timer_cancel(c->loop, &t->retrans);
			sip_timer_cancel(c->loop, &t->timeout);
		}
		t->state = PROCEEDING;
		txn_deliver(t, 0, m);
		return;
	}
	sip_timer_cancel(c->loop, &t->retrans);
	sip_timer_cancel(c->loop, &t->timeout);
	if (t->method == SIP_INVITE && m->status < 300) {
		/* The TU acknowledges a 2xx itself (§13.2.2.4). */
		txn_unlink(t);
		t->state = TERMINATED;
		txn_deliver(t, 0, m);
		return;
	}
	if (t->method == SIP_INVITE && build_ack(t, m) == 0)
		txn_send(t, t->ack, t->ack_len);
	t->state = COMPLETED;
	uint64_t wait = reliable ? 0 : (t->method == SIP_INVITE ? 64 * c->t1 : c->t4);
	sip_timer_start(c->loop, &t->linger, wait, on_linger_end, t);
	txn_deliver(t, 0, m);
	/* Timer K/D keeps the transaction, so it is still here. */
	txn_drop_request(t);
	if (t->released)
		txn_retire(t);
}

int sip_txn_start(struct sip_txn **txp, struct sip_ctx *c, const struct sip_target *target,
                  const char *buf, size_t len, sip_resp_h *h, void *arg)
{
	struct sip_txn *t = calloc(1, sizeof *t);
	if (!t)
		return SIP_ENOMEM;
	t->buf = malloc(len);
	t->req = malloc(sizeof *t->req);
	if (!t->buf || !t->req) {
		free(t->buf);
		free(t->req);
		free(t);
		return SIP_ENOMEM;
	}
	memcpy(t->buf, buf, len);
	t->len = len;
	struct sip_via via;
	int err = sip_msg_parse(t->req, t->buf, len, 0);
	if (err == 0 && (!t->req->is_request || t->req->method_name.len >= sizeof t->method_name))
		err = SIP_EINVAL;
	if (err == 0 && (err = top_via(t->req, &via)) == 0 && via.branch.len == 0)
		err = SIP_EINVAL;
	if (err) {
		free(t->buf);
		free(t->req);
		free(t);
		return err;
	}
	t->ctx = c;
	t->target = *target;
	t->method = t->req->method;
	memcpy(t->method_name, t->req->method_name.p, t->req->method_name.len);
	t->branch = via.branch;
	if (via.branch.len < sizeof t->branch_buf) {
		memcpy(t->branch_buf, via.branch.p, via.branch.len);
		t->branch = (struct sip_str){t->branch_buf, via.branch.len};
	}
	t->h = h;
	t->arg = arg;
	t->state = CALLING;
	if (sip_ttable_add(&c->clients, &t->link, bucket(t->branch)) != 0) {
		free(t->buf);
		free(t->req);
		free(t);
		return SIP_ENOMEM;
	}
	t->sent_at = sip_loop_now(c->loop);
	txn_send(t, t->buf, t->len);
	if (target->tp == SIP_TP_UDP) {
		t->interval = c->t1;
		sip_timer_start(c->loop, &t->retrans, t->interval, on_retransmit, t);
	}
	sip_timer_start(c->loop, &t->timeout, 64 * c->t1, on_timeout, t);
	*txp = t;
	return 0;
}

int sip_txn_cancel(struct sip_txn **txp, struct sip_txn *invite, sip_resp_h *h, void *arg)
{
	if (invite->method != SIP_INVITE || !invite->req ||
	    (invite->state != CALLING && invite->state != PROCEEDING))
		return SIP_EINVAL;
	const struct sip_hdr *to = sip_msg_hdr(invite->req, SIP_HDR_TO);
	struct sip_buf b;
	if (!to)
		return SIP_ESYNTAX;
	int err = build_hop_request(invite->req, "CANCEL", to->value, &b);
	if (err)
		return err;
	err = sip_txn_start(txp, invite->ctx, &invite->target, b.p, b.len, h, arg);
	sip_buf_reset(&b);
	return err;
}

void sip_txn_free(struct sip_txn *t)
{
	if (!t)
		return;
	t->released = true;
	sip_timer_cancel(t->ctx->loop, &t->retrans);
	sip_timer_cancel(t->ctx->loop, &t->timeout);
	if (t->in_handler)
		return;
	/* Still absorbing retransmitted finals (Timer D/K): let that finish. */
	if (sip_timer_armed(&t->linger)) {
		txn_retire(t);
		return;
	}
	txn_destroy(t);
}

const struct sip_msg *sip_txn_request(const struct sip_txn *t)
{
	return t->req;
}

uint64_t sip_txn_sent_at(const struct sip_txn *t)
{
	return t->sent_at;
}

unsigned sip_txn_sends(const struct sip_txn *t)
{
	return t->sends;
}

bool sip_txn_garbled(const struct sip_txn *t)
{
	return t->garbled;
}

const char *sip_txn_why(const struct sip_txn *t)
{
	return t->tp_failed && t->ctx->why ? t->ctx->why : "";
}

/* The client transaction m answers; or none, and *absorbed when it
 * answers one completed and gone but for its key. */
static struct sip_txn *txn_match(struct sip_ctx *c, const struct sip_msg *m, bool *absorbed)
{
	struct sip_via via;
	struct sip_cseq cs;
	if (top_via(m, &via) != 0 || cseq_of(m, &cs) != 0)
		return NULL;
	uint32_t h = bucket(via.branch);
	for (struct sip_tlink *l = sip_ttable_chain(&c->clients, h); l; l = l->next) {
		struct sip_txn *t = TXN_OF(l);
		if (l->hash == h && sip_str_eq(t->branch, via.branch) &&
		    sip_str_eq(sip_str_from(t->method_name), cs.method_name))
			return t;
	}
	*absorbed = sip_keyset_has(&c->done, txn_key(via.branch, cs.method_name));
	return NULL;
}

/* ---- server transactions ---- */

static void strans_unlink(struct sip_strans *st)
{
	sip_ttable_del(&st->ctx->servers, &st->link);
}

static void strans_destroy(struct sip_strans *st)
{
	strans_unlink(st);
	sip_timer_cancel(st->ctx->loop, &st->retrans);
	sip_timer_cancel(st->ctx->loop, &st->linger);
	sip_buf_reset(&st->resp);
	free(st->req);
	free(st->buf);
	free(st);
}

/* A copy of s in buf when it fits; else s itself, still in the request. */
static struct sip_str keep(struct sip_str s, char *buf, size_t cap)
{
	if (s.len >= cap)
		return s;
	memcpy(buf, s.p, s.len);
	return (struct sip_str){buf, s.len};
}

static void on_strans_end(void *arg)
{
	strans_destroy(arg);
}

static void set_port(struct sip_sockaddr *sa, uint16_t port)
{
	if (sa->u.sa.sa_family == AF_INET6)
		sa->u.in6.sin6_port = htons(port);
	else
		sa->u.in.sin_port = htons(port);
}

static void strans_send(struct sip_strans *st)
{
	struct sip_sockaddr dst = st->pi.remote;
	/* §18.2.2: over UDP without rport, the port is the one in sent-by. */
	if (st->pi.tp == SIP_TP_UDP && !st->rport)
		set_port(&dst, st->port ? st->port : 5060);
	sip_transport_send(st->ctx->tp, st->pi.tp, &dst, NULL, st->resp.p, st->resp.len);
}

/* Timer G: an INVITE's final response again until the ACK (§17.2.1). */
static void on_strans_retransmit(void *arg)
{
	struct sip_strans *st = arg;
	strans_send(st);
	st->interval = st->interval * 2 > st->ctx->t2 ? st->ctx->t2 : st->interval * 2;
	sip_timer_start(st->ctx->loop, &st->retrans, st->interval, on_strans_retransmit, st);
}

int sip_strans_respond(struct sip_strans *st, const struct sip_response_spec *spec)
{
	struct sip_ctx *c = st->ctx;
	if (st->status >= 200)
		return SIP_EINVAL;
	struct sip_response_spec s = *spec;
	if (!s.server)
		s.server = c->user_agent;
	/* A 180 and the 200 (or the 487) after it speak for one dialog. */
	if (s.status > 100 && !s.to_tag) {
		if (!st->to_tag[0] && sip_rand_token(st->to_tag, 10) != 0)
			return SIP_ENOMEM;
		s.to_tag = st->to_tag;
	} else if (s.to_tag && !st->to_tag[0]) {
		snprintf(st->to_tag, sizeof st->to_tag, "%s", s.to_tag);
	}
	sip_buf_reset(&st->resp);
	int err = sip_build_response(&st->resp, st->req, &s);
	if (err)
		return err;
	st->status = spec->status;
	bool accepted = st->method == SIP_INVITE && st->status >= 200 && st->status < 300;
	/* An accepted INVITE keeps its request: the ACK is matched by its Call-ID and CSeq. */
	if (st->status >= 200 && !accepted && st->branch.p == st->branch_buf &&
	    st->host.p == st->host_buf) {
		free(st->req);
		free(st->buf);
		st->req = NULL;
		st->buf = NULL;
	}
	strans_send(st);
	if (st->status < 200)
		return 0;
	bool reliable = st->pi.tp != SIP_TP_UDP;
	if (!reliable)
		c->answered_at = sip_loop_now(c->loop);
	st->state = COMPLETED;
	if (st->method == SIP_INVITE && st->status >= 300) {
		if (!reliable) {
			st->interval = c->t1;
			sip_timer_start(c->loop, &st->retrans, st->interval, on_strans_retransmit,
			                st);
		}
		sip_timer_start(c->loop, &st->linger, 64 * c->t1, on_strans_end, st); /* Timer H */
	} else if (accepted) {
		/* The 2xx goes again until the ACK, whatever the transport: hops
		 * further on may be UDP (§13.3.1.4). Timer L ends it (RFC 6026). */
		st->state = ACCEPTED;
		st->interval = c->t1;
		sip_timer_start(c->loop, &st->retrans, st->interval, on_strans_retransmit, st);
		sip_timer_start(c->loop, &st->linger, 64 * c->t1, on_strans_end, st);
	} else {
		sip_timer_start(c->loop, &st->linger, reliable ? 0 : 64 * c->t1, on_strans_end,
		                st); /* Timer J */
	}
	return 0;
}

const struct sip_msg *sip_strans_request(const struct sip_strans *st)
{
	return st ? st->req : NULL;
}

void sip_strans_hold(struct sip_strans *st, sip_strans_cancel_h *on_cancel, void *arg)
{
	if (!st || st->status >= 200)
		return;
	st->held = true;
	st->on_cancel = on_cancel;
	st->cancel_arg = arg;
	if (st->method == SIP_INVITE && !st->status) {
		struct sip_response_spec s = {.status = 100};
		sip_strans_respond(st, &s);
	}
}

/*
 * Keeps a copy of the request whose top Via says where it really came from:
 * received= when the source address differs from sent-by (§18.2.1) or the
 * client asked with rport, and rport's value (RFC 3581), so that every
 * response copies them and the client learns its public address.
 */
static int stamp_via(struct sip_strans *st, const struct sip_msg *m, const struct sip_via *via,
                     const struct sip_packet_info *pi)
{
	char host[64], extra[96] = "";
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_VIA);
	struct sip_str list = h->value, top;
	sip_list_next(&list, &top);
	if (sip_sockaddr_host(&pi->remote, host, sizeof host) < 0)
		return SIP_ENOSPC;
	/* received= takes the address without brackets (RFC 5118 §4.5). */
	const char *bare = host[0] == '[' ? host + 1 : host;
	size_t blen = strlen(bare) - (host[0] == '[');
	struct sip_str sent = via->host;
	if (sent.len > 2 && sent.p[0] == '[')
		sent = (struct sip_str){sent.p + 1, sent.len - 2};
	size_t n = 0;
	/* With rport, received= goes in even when it equals sent-by (RFC 3581 §4). */
	bool differs = !sip_str_ieq(sent, (struct sip_str){bare, blen});
	if (!via->received.len && (differs || via->rport))
		n += (size_t)snprintf(extra, sizeof extra, ";received=%.*s", (int)blen, bare);
	/* A valueless rport is replaced, in place, by rport=PORT. */
	const char *rp = NULL;
	if (via->rport && !via->rport_value) {
		struct sip_str ps = via->params;
		struct sip_param prm;
		while (sip_param_next(&ps, &prm) == 1)
			if (sip_str_ieq(prm.name, SIP_STR("rport")))
				rp = prm.name.p + prm.name.len;
	}
	size_t cut = (size_t)(top.p + top.len - m->raw.p); /* where extra goes */
	size_t len = m->raw.len + n + (rp ? 8 : 0);
	if (!(st->buf = malloc(len)))
		return SIP_ENOMEM;
	char *o = st->buf;
	if (rp) {
		size_t k = (size_t)(rp - m->raw.p);
		memcpy(o, m->raw.p, k);
		o += k;
		o += snprintf(o, 8, "=%u", sip_sockaddr_port(&pi->remote));
		memcpy(o, rp, cut - k);
		o += cut - k;
	} else {
		memcpy(o, m->raw.p, cut);
		o += cut;
	}
	memcpy(o, extra, n);
	o += n;
	memcpy(o, m->raw.p + cut, m->raw.len - cut);
	o += m->raw.len - cut;
	st->len = (size_t)(o - st->buf);
	return 0;
}

static struct sip_strans *strans_find(struct sip_ctx *c, enum sip_method want,
                                      struct sip_str want_name, const struct sip_via *via)
{
	uint32_t h = bucket(via->branch);
	for (struct sip_tlink *l = sip_ttable_chain(&c->servers, h); l; l = l->next) {
		struct sip_strans *st = STRANS_OF(l);
		if (l->hash != h || !sip_str_eq(st->branch, via->branch) ||
		    !sip_str_ieq(st->host, via->host) || st->port != via->port)
			continue;
		if (want == SIP_METHOD_OTHER ? sip_str_eq(sip_str_from(st->method_name), want_name)
		                             : st->method == want)
			return st;
	}
	return NULL;
}

static struct sip_strans *strans_match(struct sip_ctx *c, const struct sip_msg *m,
                                       const struct sip_via *via)
{
	return strans_find(c, m->method == SIP_ACK ? SIP_INVITE : m->method, m->method_name, via);
}

/* The accepted INVITE an ACK for a 2xx acknowledges: same Call-ID and CSeq number. */
static struct sip_strans *accepted_match(struct sip_ctx *c, const struct sip_msg *ack)
{
	const struct sip_hdr *cid = sip_msg_hdr(ack, SIP_HDR_CALL_ID);
	struct sip_cseq cs, ics;
	if (!cid || cseq_of(ack, &cs) != 0)
		return NULL;
	for (size_t b = 0; b < c->servers.nb; b++) {
		for (struct sip_tlink *l = c->servers.b[b]; l; l = l->next) {
			struct sip_strans *st = STRANS_OF(l);
			if (st->state != ACCEPTED || cseq_of(st->req, &ics) != 0 ||
			    ics.num != cs.num)
				continue;
			const struct sip_hdr *icid = sip_msg_hdr(st->req, SIP_HDR_CALL_ID);
			if (icid && sip_str_eq(icid->value, cid->value))
				return st;
		}
	}
	return NULL;
}

/*
 * §9.2: a CANCEL whose INVITE is still unanswered gets 200, and the INVITE
 * 487; one whose INVITE was answered gets 200 and changes nothing; one that
 * matches no transaction gets 481.
 */
static void cancel_invite(struct sip_ctx *c, struct sip_strans *cancel, const struct sip_via *via)
{
	struct sip_strans *inv = strans_find(c, SIP_INVITE, (struct sip_str){0}, via);
	struct sip_response_spec s = {.status = inv ? 200 : 481};
	/* The 200 to a CANCEL carries the To tag of the INVITE's responses (§9.2). */
	if (inv && !inv->to_tag[0] && sip_rand_token(inv->to_tag, 10) != 0)
		inv->to_tag[0] = '\0';
	if (inv && inv->to_tag[0])
		s.to_tag = inv->to_tag;
	sip_strans_respond(cancel, &s);
	if (!inv || inv->status >= 200)
		return;
	/* Its owner hears of it while the request is still there, then the 487 goes. */
	if (inv->held && inv->on_cancel)
		inv->on_cancel(inv, inv->cancel_arg);
	if (inv->status < 200) {
		struct sip_response_spec terminated = {.status = 487};
		sip_strans_respond(inv, &terminated);
	}
}

static void on_request(struct sip_ctx *c, const struct sip_msg *m, const struct sip_packet_info *pi)
{
	struct sip_via via;
	if (top_via(m, &via) != 0 || sip_msg_hdr(m, SIP_HDR_CSEQ) == NULL)
		return; /* cannot be answered: §18.2.1 would have it dropped */
	struct sip_strans *st = via.branch.len ? strans_match(c, m, &via) : NULL;
	if (st) {
		if (m->method == SIP_ACK) {
			/* Timer I: the ACK arrived; stop repeating the response. */
			sip_timer_cancel(c->loop, &st->retrans);
			st->state = CONFIRMED;
			sip_timer_start(c->loop, &st->linger, pi->tp == SIP_TP_UDP ? c->t4 : 0,
			                on_strans_end, st);
		} else if (st->resp.len) {
			strans_send(st);
		}
		return;
	}
	if (m->method == SIP_ACK) {
		/* An ACK for a 2xx has a branch of its own; it ends the 2xx's repeats. */
		if ((st = accepted_match(c, m)) != NULL)
			strans_destroy(st);
		if (c->stray_h)
			c->stray_h(m, pi, c->stray_arg);
		return;
	}
	if (m->method_name.len >= sizeof st->method_name)
		return;
	st = calloc(1, sizeof *st);
	if (!st || !(st->req = malloc(sizeof *st->req)) || stamp_via(st, m, &via, pi) != 0) {
		if (st)
			free(st->req);
		free(st);
		return;
	}
	sip_msg_parse(st->req, st->buf, st->len, 0);
	top_via(st->req, &via);
	st->ctx = c;
	st->method = m->method;
	memcpy(st->method_name, m->method_name.p, m->method_name.len);
	st->branch = keep(via.branch, st->branch_buf, sizeof st->branch_buf);
	st->host = keep(via.host, st->host_buf, sizeof st->host_buf);
	st->port = via.port;
	st->rport = via.rport;
	st->pi = *pi;
	st->state = PROCEEDING;
	sip_buf_init(&st->resp, 0);
	if (sip_ttable_add(&c->servers, &st->link, bucket(st->branch)) != 0) {
		free(st->req);
		free(st->buf);
		free(st);
		return;
	}
	if (st->method == SIP_CANCEL)
		cancel_invite(c, st, &via);
	else if (c->req_h)
		c->req_h(st, st->req, pi, c->req_arg);
	else
		sip_ctx_default_answer(c, st, st->req);
	if (st->status < 200 && !st->held) {
		struct sip_response_spec s = {.status = 500, .reason = "No Answer From Handler"};
		sip_strans_respond(st, &s);
	}
}

int sip_ctx_default_answer(struct sip_ctx *c, struct sip_strans *st, const struct sip_msg *req)
{
	static const struct sip_build_hdr caps[] = {
		/* What this answer handles; a command that handles more says so itself. */
		{"Allow: OPTIONS, ACK, CANCEL"},
		{"Supported:"}, /* no extension is handled here; the list is empty */
		{"Accept: application/sdp, message/sipfrag, text/plain"},
	};
	struct sip_response_spec s = {.headers = caps, .nheaders = 3};
	struct sip_addr to;
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_TO);
	(void)c;
	if (req->method == SIP_OPTIONS)
		s.status = 200;
	else if (req->method == SIP_CANCEL ||
	         (h && sip_addr_parse(&to, h->value) == 0 && to.tag.len))
		s.status = 481; /* a CANCEL here matches no transaction (§9.2) */
	else
		s.status = 405;
	if (s.status == 481)
		s.nheaders = 0;
	else if (s.status == 405)
		s.nheaders = 1;
	return sip_strans_respond(st, &s);
}

/* ---- the context ---- */

static void ctx_tp_err(int err, enum sip_tp tp, const struct sip_sockaddr *remote,
                       const char *detail, void *arg);

static void ctx_recv(const struct sip_msg *m, const struct sip_packet_info *pi, void *arg)
{
	struct sip_ctx *c = arg;
	char missing[64], detail[96];
	/* Such a message matches no transaction or dialog by the rules, and a
	 * response without one must not complete the request that a Via and CSeq
	 * alone would match: it is dropped as one that does not parse. */
	if (sip_msg_missing(m, missing, sizeof missing)) {
		snprintf(detail, sizeof detail, "missing %s", missing);
		ctx_tp_err(SIP_EDROPPED, pi->tp, &pi->remote, detail, c);
		return;
	}
	if (m->is_request) {
		on_request(c, m, pi);
		return;
	}
	bool absorbed = false;
	struct sip_txn *t = txn_match(c, m, &absorbed);
	if (t)
		txn_on_response(t, m);
	else if (!absorbed && c->stray_h)
		c->stray_h(m, pi, c->stray_arg);
}

/* t went to remote and waits for its final response. */
static bool txn_waits_on(const struct sip_txn *t, enum sip_tp tp, const struct sip_sockaddr *remote)
{
	return t->target.tp == tp && sip_sockaddr_eq(&t->target.addr, remote) &&
	       (t->state == CALLING || t->state == PROCEEDING);
}

static struct sip_txn *txn_towards(struct sip_ctx *c, enum sip_tp tp,
                                   const struct sip_sockaddr *remote)
{
	for (size_t b = 0; b < c->clients.nb; b++)
		for (struct sip_tlink *l = c->clients.b[b]; l; l = l->next)
			if (txn_waits_on(TXN_OF(l), tp, remote))
				return TXN_OF(l);
	return NULL;
}

static void ctx_tp_err(int err, enum sip_tp tp, const struct sip_sockaddr *remote,
                       const char *detail, void *arg)
{
	struct sip_ctx *c = arg;
	struct sip_txn *t;
	/* Every client transaction towards that destination fails with it. A
	 * handler may free any transaction, so the search starts over each time;
	 * a failed one is no longer in the table. A dropped datagram fails
	 * none (a good one may follow), but marks them all. */
	if (err == SIP_EDROPPED) {
		for (size_t b = 0; b < c->clients.nb; b++) {
			for (struct sip_tlink *l = c->clients.b[b]; l; l = l->next) {
				t = TXN_OF(l);
				t->garbled = t->garbled || txn_waits_on(t, tp, remote);
			}
		}
	} else {
		c->why = detail;
		while ((t = txn_towards(c, tp, remote)) != NULL) {
			t->tp_failed = true;
			txn_fail(t, err);
		}
		c->why = NULL;
	}
	if (c->tp_err)
		c->tp_err(err, tp, remote, detail, c->tp_err_arg);
}

void sip_ctx_set_tp_err(struct sip_ctx *c, sip_tp_err_h *tp_err, void *arg)
{
	c->tp_err = tp_err;
	c->tp_err_arg = arg;
}

void sip_ctx_set_t1(struct sip_ctx *c, uint64_t t1_us)
{
	c->t1 = t1_us;
	c->t2 = c->t2_asked < c->t1 ? c->t1 : c->t2_asked;
}

int sip_ctx_new(struct sip_ctx **ctxp, struct sip_loop *loop, const struct sip_ctx_opts *opts,
                sip_tp_err_h *tp_err, void *arg)
{
	struct sip_ctx *c = calloc(1, sizeof *c);
	if (!c)
		return SIP_ENOMEM;
	c->loop = loop;
	c->t1 = opts->t1_us ? opts->t1_us : SIP_T1_DEFAULT;
	c->t2 = c->t2_asked = opts->t2_us ? opts->t2_us : SIP_T2_DEFAULT;
	c->t4 = opts->t4_us ? opts->t4_us : SIP_T4_DEFAULT;
	if (c->t2 < c->t1)
		c->t2 = c->t1;
	c->tp_err = tp_err;
	c->tp_err_arg = arg;
	if (opts->user_agent && !(c->user_agent = strdup(opts->user_agent))) {
		free(c);
		return SIP_ENOMEM;
	}
	int err = sip_transport_new(&c->tp, loop, &opts->tp, ctx_recv, ctx_tp_err, c);
	if (err) {
		free(c->user_agent);
		free(c);
		return err;
	}
	*ctxp = c;
	return 0;
}

void sip_ctx_free(struct sip_ctx *c)
{
	if (!c)
		return;
	for (size_t b = 0; b < c->clients.nb; b++)
		while (c->clients.b[b])
			txn_destroy(TXN_OF(c->clients.b[b]));
	for (size_t b = 0; b < c->servers.nb; b++)
		while (c->servers.b[b])
			strans_destroy(STRANS_OF(c->servers.b[b]));
	sip_ttable_free(&c->clients);
	sip_ttable_free(&c->servers);
	sip_timer_cancel(c->loop, &c->done_rotate);
	sip_keyset_free(&c->done);
	sip_transport_free(c->tp);
	free(c->user_agent);
	free(c);
}

struct sip_transport *sip_ctx_transport(struct sip_ctx *c)
{
	return c->tp;
}

struct sip_loop *sip_ctx_loop(struct sip_ctx *c)
{
	return c->loop;
}

uint64_t sip_ctx_answered_at(const struct sip_ctx *c)
{
	return c->answered_at;
}

void sip_ctx_set_request_handler(struct sip_ctx *c, sip_req_h *h, void *arg)
{
	c->req_h = h;
	c->req_arg = arg;
}

void sip_ctx_set_stray_handler(struct sip_ctx *c, sip_recv_h *h, void *arg)
{
	c->stray_h = h;
	c->stray_arg = arg;
}
