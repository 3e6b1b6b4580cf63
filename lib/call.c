/* call.c - an INVITE session as the caller: the INVITE (a sip_req), its
 * early dialogs and PRACKs, the dialog its 2xx makes with the ACK kept for
 * the 2xx's retransmissions, the other forks' 2xx ACKed and hung up, offers
 * in UPDATE and re-INVITE either way, and BYE either way. Requests in the
 * dialogs wait in one queue for the next hop, so they leave in the order
 * they were asked for (a PRACK before the ACK before the BYE). */
#include <stdlib.h>
#include <string.h>

#include "sip_int.h"
#include "ua_int.h"

#define MAX_EARLY 4
#define MAX_FORKS 4 /* 2xx from other forks, each ACKed and hung up */
#define MAX_JOBS 8
#define MAX_SUBS 8 /* requests in the dialogs at once */
#define ALLOW "INVITE, ACK, CANCEL, BYE, PRACK, UPDATE, OPTIONS"

/* An early dialog from a reliable provisional response (RFC 3262). */
struct early {
	struct sip_dialog *d;
	uint32_t rseq; /* the last one PRACKed */
	bool answered; /* its 1xx carried the answer to our offer */
};

/* An ACK for a 2xx (no transaction: §13.2.2.4), kept with where it went:
 * the 2xx again gets it again, to the same place. */
struct ack {
	struct sip_target to;
	struct sip_buf msg; /* empty until sent */
	uint32_t cseq;      /* of the INVITE it acknowledges */
};

/* A dialog a forking proxy gave us besides the call's: another phone that
 * answered too (§13.2.2.4). */
struct fork {
	struct sip_dialog *d;
	struct ack ack;
	struct sip_buf answer; /* to its 2xx's offer, for a late-offer INVITE */
};

enum kind { K_INVITE, K_ACK, K_PRACK, K_BYE, K_MODIFY, K_FORK };

/* What waits for the next hop. */
struct job {
	enum kind kind;
	struct sip_dialog *d;
	char rack[48]; /* a PRACK's "RAck: 1 1 INVITE" */
};

/* A request of the call: handlers find the call and the kind through it. */
struct sub {
	struct sip_call *c;
	struct sip_req *r;
	enum kind kind;
};

struct sip_call {
	struct sip_ua *ua;
	sip_call_event_h *event;
	sip_call_sdp_h *sdp;
	sip_call_done_h *done;
	void *arg;
	/* what the dialog's requests take from the INVITE's spec */
	sip_req_auth_h *auth;
	sip_req_failover_h *failover;
	uint64_t timeout_us;
	int transport, family;
	bool via_proxy, late_offer, prack;
	char contact_user[64];
	char allow[160];   /* "Allow: INVITE, ..." */
	char contact[300]; /* our Contact, as the INVITE said it */
	char call_id[40], from_tag[20];
	enum sip_call_state state;
	/* the caller's INVITE */
	struct sub invite;
	/* the callee's: held until its final response */
	bool uas, bye_wanted, no_ack;
	struct sip_incoming *in;
	char local_tag[24];
	uint32_t invite_cseq;
	struct sip_timer no_ack_timer, later;
	enum sip_call_end later_how;
	bool cancel_wanted, provisional_seen;
	struct early early[MAX_EARLY];
	size_t nearly;
	struct sip_dialog *dialog;
	struct ack ack;
	struct sip_buf ack_body; /* a late offer's answer */
	uint32_t answered_cseq;
	struct fork forks[MAX_FORKS];
	size_t nforks;
	/* where the dialog's requests go */
	char hop_text[512];
	struct sip_uri hop_uri;
	struct sip_target hop[SIP_RESOLVE_MAX];
	size_t nhop;
	bool hop_resolving;
	struct job jobs[MAX_JOBS];
	size_t njobs;
	struct sub subs[MAX_SUBS];
	bool modifying;
	char modify_method[16];
	char *offer_type;
	struct sip_buf offer;
	const struct sip_req *current; /* whose response the handler is given */
	unsigned depth;                /* handlers of ours under way: a free waits for them */
	bool freed;
};

static void run_jobs(struct sip_call *c);
static void on_stray(const struct sip_msg *m, const struct sip_packet_info *pi, void *arg);
static const char *our_contact(struct sip_call *c);

/* ---- re-entry: the caller may free the call from any handler ---- */

static void destroy(struct sip_call *c);

static void enter(struct sip_call *c)
{
	c->depth++;
}

static void leave(struct sip_call *c)
{
	if (--c->depth == 0 && c->freed)
		destroy(c);
}

static void emit(struct sip_call *c, enum sip_call_event ev, int err, const struct sip_msg *m)
{
	if (c->event && !c->freed && c->state != SIP_CALL_ENDED)
		c->event(c, ev, err, m, c->arg);
}

static void end(struct sip_call *c, enum sip_call_end how, int err, const struct sip_msg *m)
{
	if (c->state == SIP_CALL_ENDED || c->freed)
		return;
	c->state = SIP_CALL_ENDED;
	c->njobs = 0;
	c->done(c, how, err, m, c->arg);
}

/* ---- small helpers ---- */

static uint32_t cseq_num(const struct sip_msg *m)
{
	const struct sip_hdr *h = m ? sip_msg_hdr(m, SIP_HDR_CSEQ) : NULL;
	struct sip_cseq cs;
	return h && sip_cseq_parse(&cs, h->value) == 0 ? cs.num : 0;
}

static bool requires_100rel(const struct sip_msg *m)
{
	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_REQUIRE); h;
	     h = sip_msg_hdr_next(m, h)) {
		struct sip_str list = h->value, e;
		while (sip_list_next(&list, &e) == 1)
			if (sip_str_ieq(e, SIP_STR("100rel")))
				return true;
	}
	return false;
}

static void ack_init(struct ack *a)
{
	memset(a, 0, sizeof *a);
	sip_buf_init(&a->msg, 0);
}

static void ack_resend(struct sip_call *c, const struct ack *a)
{
	if (a->msg.len)
		sip_ua_send(c->ua, &a->to, a->msg.p, a->msg.len);
}

/* ---- the handlers a request of the call is given ---- */

static void on_auth(struct sip_req *r, const struct sip_challenge *ch, void *arg)
{
	struct sip_call *c = ((struct sub *)arg)->c;
	enter(c);
	if (!c->freed)
		c->auth(r, ch, c->arg);
	leave(c);
}

static void on_failover(struct sip_req *r, int err, const struct sip_target *from,
                        const struct sip_target *next, void *arg)
{
	struct sip_call *c = ((struct sub *)arg)->c;
	enter(c);
	if (!c->freed)
		c->failover(r, err, from, next, c->arg);
	leave(c);
}

/* ---- requests in the dialogs ---- */

static void on_sub_done(struct sip_req *r, int err, const struct sip_msg *resp, void *arg);

static struct sub *sub_slot(struct sip_call *c)
{
	for (size_t i = 0; i < MAX_SUBS; i++)
		if (!c->subs[i].r)
			return &c->subs[i];
	return NULL;
}

static int send_sub(struct sip_call *c, enum kind kind, struct sip_dialog *d, const char *method,
                    const char *extra, const char *content_type, const struct sip_buf *body)
{
	struct sub *s = sub_slot(c);
	if (!s)
		return SIP_ENOSPC;
	struct sip_build_hdr hdrs[2];
	size_t nh = 0;
	/* Only a target refresh says again where we are and what we take. */
	bool refresh = kind == K_MODIFY;
	if (refresh)
		hdrs[nh++].line = c->allow;
	if (extra)
		hdrs[nh++].line = extra;
	struct sip_req_spec rs = {
		.method = method,
		.targets = c->hop,
		.ntargets = c->nhop,
		.transport = -1,
		.contact = refresh ? our_contact(c) : "",
		.contact_user = c->contact_user[0] ? c->contact_user : NULL,
		.headers = hdrs,
		.nheaders = nh,
		.content_type = content_type,
		.body = body ? body->p : NULL,
		.body_len = body ? body->len : 0,
		.dialog = d,
		.timeout_us = c->timeout_us,
		.done = on_sub_done,
		.auth = c->auth ? on_auth : NULL,
		.failover = c->failover ? on_failover : NULL,
		.arg = s,
	};
	*s = (struct sub){.c = c, .kind = kind};
	int err = sip_req_start(&s->r, c->ua, &rs);
	if (err)
		s->r = NULL;
	return err;
}

/* The ACK for a 2xx in d, to the hop's first address. */
static int send_ack(struct sip_call *c, struct sip_dialog *d, struct ack *a,
                    const struct sip_buf *body)
{
	const struct sip_target *t = &c->hop[0];
	struct sip_sockaddr local;
	char host[64];
	int err = sip_ua_local(c->ua, t, &local);
	if (err)
		return err;
	if (sip_sockaddr_host(&local, host, sizeof host) < 0)
		return SIP_ENOSPC;
	bool sdp = body && body->len;
	struct sip_dialog_request r = {
		.method = SIP_ACK,
		.cseq = a->cseq,
		.transport = sip_tp_name(t->tp),
		.via_host = host,
		.via_port = sip_sockaddr_port(&local),
		.content_type = sdp ? "application/sdp" : NULL,
		.body = sdp ? body->p : NULL,
		.body_len = sdp ? body->len : 0,
	};
	sip_buf_reset(&a->msg);
	if ((err = sip_dialog_request(d, &a->msg, &r)) != 0)
		return err;
	a->to = *t;
	return sip_ua_send(c->ua, &a->to, a->msg.p, a->msg.len);
}

static struct fork *fork_of(struct sip_call *c, const struct sip_dialog *d)
{
	for (size_t i = 0; i < c->nforks; i++)
		if (c->forks[i].d == d)
			return &c->forks[i];
	return NULL;
}

/* Runs a job whose hop is known; an error ends the call. */
static void run_job(struct sip_call *c, const struct job *job)
{
	int err = 0;
	switch (job->kind) {
	case K_ACK:
		err = send_ack(c, job->d, &c->ack, &c->ack_body);
		sip_buf_reset(&c->ack_body);
		break;
	case K_PRACK:
		/* A PRACK not sent leaves the 1xx to be sent again: not fatal. */
		if ((err = send_sub(c, K_PRACK, job->d, "PRACK", job->rack, NULL, NULL)) != 0)
			emit(c, SIP_CALL_PRACKED, err, NULL);
		return;
	case K_BYE:
		c->state = SIP_CALL_ENDING;
		err = send_sub(c, K_BYE, job->d, "BYE", NULL, NULL, NULL);
		break;
	case K_MODIFY:
		err = send_sub(c, K_MODIFY, job->d, c->modify_method, NULL, c->offer_type,
		               &c->offer);
		if (err) {
			c->modifying = false;
			emit(c, SIP_CALL_MODIFIED, err, NULL);
			return;
		}
		break;
	case K_FORK: {
		struct fork *f = fork_of(c, job->d);
		err = send_ack(c, f->d, &f->ack, &f->answer);
		if (!err)
			err = send_sub(c, K_FORK, f->d, "BYE", NULL, NULL, NULL);
		if (err)
			emit(c, SIP_CALL_FORK_ENDED, err, NULL);
		return;
	}
	case K_INVITE: break;
	}
	if (err)
		end(c, SIP_CALL_END_ERROR, err, NULL);
}

static void on_hop(int err, const struct sip_target *targets, size_t n, void *arg)
{
	struct sip_call *c = arg;
	enter(c);
	c->hop_resolving = false;
	if (!err && n == 0)
		err = SIP_ENOTFOUND;
	if (err) {
		end(c, SIP_CALL_END_ERROR, err, NULL);
	} else {
		c->nhop = n < SIP_RESOLVE_MAX ? n : SIP_RESOLVE_MAX;
		memcpy(c->hop, targets, c->nhop * sizeof *targets);
		for (size_t i = 0; i < c->nhop && c->transport >= 0; i++)
			c->hop[i].tp = (enum sip_tp)c->transport;
		run_jobs(c);
	}
	leave(c);
}

/* Finds the hop of the first job: the INVITE's target when it went through
 * an outbound proxy, else its dialog's next hop, resolved again only when
 * it changed. Returns true when it is known. */
static bool hop_ready(struct sip_call *c, struct sip_dialog *d)
{
	char next[sizeof c->hop_text];
	if (c->via_proxy) {
		const struct sip_target *t = sip_req_target(c->invite.r);
		if (!t) {
			end(c, SIP_CALL_END_ERROR, SIP_ENOTFOUND, NULL);
			return false;
		}
		c->hop[0] = *t;
		c->nhop = 1;
		return true;
	}
	int n = sip_dialog_next_hop(d, next, sizeof next);
	if (n < 0) {
		end(c, SIP_CALL_END_ERROR, n, NULL);
		return false;
	}
	if (c->nhop && strcmp(next, c->hop_text) == 0)
		return true;
	memcpy(c->hop_text, next, (size_t)n + 1);
	int err = sip_uri_parse(&c->hop_uri, sip_str_from(c->hop_text));
	if (!err && c->hop_uri.scheme != SIP_URI_SIP && c->hop_uri.scheme != SIP_URI_SIPS)
		err = SIP_ESCHEME;
	struct sip_resolve_opts ro = {.family = c->family};
	if (c->transport >= 0)
		ro.tp_mask = 1u << c->transport;
	if (!err)
		err = sip_ua_resolve(c->ua, &c->hop_uri, &ro, on_hop, c);
	if (err) {
		end(c, SIP_CALL_END_ERROR, err, NULL);
		return false;
	}
	c->nhop = 0;
	c->hop_resolving = true;
	return false;
}

static void run_jobs(struct sip_call *c)
{
	while (c->njobs && !c->hop_resolving && !c->freed && c->state != SIP_CALL_ENDED) {
		if (!hop_ready(c, c->jobs[0].d))
			return;
		struct job job = c->jobs[0];
		memmove(c->jobs, c->jobs + 1, --c->njobs * sizeof c->jobs[0]);
		run_job(c, &job);
	}
}

static int push(struct sip_call *c, enum kind kind, struct sip_dialog *d, const char *rack)
{
	if (c->njobs == MAX_JOBS)
		return SIP_ENOSPC;
	struct job *job = &c->jobs[c->njobs++];
	*job = (struct job){.kind = kind, .d = d};
	if (rack)
		snprintf(job->rack, sizeof job->rack, "%s", rack);
	return 0;
}

static void queue(struct sip_call *c, enum kind kind, struct sip_dialog *d, const char *rack)
{
	int err = push(c, kind, d, rack);
	if (err)
		end(c, SIP_CALL_END_ERROR, err, NULL);
	else
		run_jobs(c);
}

static void on_sub_done(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct sub *s = arg;
	struct sip_call *c = s->c;
	enum kind kind = s->kind;
	uint32_t cseq = cseq_num(sip_req_message(r));
	enter(c);
	s->r = NULL;
	c->current = r;
	bool ok = !err && resp->status < 300;
	switch (kind) {
	case K_PRACK: emit(c, SIP_CALL_PRACKED, err, resp); break;
	case K_FORK: emit(c, SIP_CALL_FORK_ENDED, err, resp); break;
	case K_BYE: end(c, c->no_ack ? SIP_CALL_END_NO_ACK : SIP_CALL_END_BYE, err, resp); break;
	case K_MODIFY:
		c->modifying = false;
		if (ok && c->dialog)
			sip_dialog_update(c->dialog, resp);
		/* A re-INVITE's 2xx wants its ACK, before what the handler asks
		 * for next; a failed one the transaction ACKed (§14.1). */
		if (ok && c->dialog && strcmp(c->modify_method, "INVITE") == 0) {
			c->ack.cseq = cseq;
			if ((err = push(c, K_ACK, c->dialog, NULL)) != 0) {
				end(c, SIP_CALL_END_ERROR, err, NULL);
				break;
			}
		}
		emit(c, SIP_CALL_MODIFIED, err, resp);
		run_jobs(c);
		break;
	default: break;
	}
	c->current = NULL;
	sip_req_free(r);
	leave(c);
}

/* ---- the far end's requests in the dialog ---- */

static bool on_request(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct sip_call *c = arg;
	if (c->freed || c->state == SIP_CALL_ENDED || req->method == SIP_PRACK)
		return false;
	const struct sip_build_hdr allow = {c->allow};
	struct sip_response_spec rs = {.status = 200};
	struct sip_buf body;
	sip_buf_init(&body, 0);
	enter(c);
	switch (req->method) {
	case SIP_BYE:
		/* The 200 ends the transaction, and req with it: done sees req first. */
		end(c, SIP_CALL_END_REMOTE, 0, req);
		sip_incoming_respond(in, &rs);
		leave(c);
		return true;
	case SIP_INVITE:
	case SIP_UPDATE:
		/* A target refresh: answer its offer, or offer ours again. */
		sip_dialog_update(c->dialog, req);
		emit(c, SIP_CALL_REFRESHED, 0, req);
		if ((sip_sdp_in(req) || req->method == SIP_INVITE) && c->sdp && !c->freed &&
		    c->sdp(c, req, &body, c->arg) == 0) {
			rs.content_type = "application/sdp";
			rs.body = body.p;
			rs.body_len = body.len;
		} else if (sip_sdp_in(req)) {
			rs.status = 488; /* Not Acceptable Here: no codec in common */
		}
		rs.contact = our_contact(c);
		rs.headers = &allow;
		rs.nheaders = 1;
		break;
	default: break;
	}
	sip_incoming_respond(in, &rs);
	sip_buf_reset(&body);
	leave(c);
	return true;
}

/* ---- the 2xx of other forks, and the 2xx again ---- */

/* A new fork of the answered INVITE from m, its 2xx; NULL when m is not
 * one (another CSeq, another From tag) or there are too many. */
static struct fork *fork_new(struct sip_call *c, const struct sip_msg *m, uint32_t cseq)
{
	const struct sip_msg *req = sip_req_message(c->invite.r);
	struct sip_dialog *d = NULL;
	if (!req || cseq != c->answered_cseq || c->nforks == MAX_FORKS)
		return NULL;
	if (sip_dialog_new_uac(&d, req, m) == 0 && !sip_dialog_match(d, m)) {
		sip_dialog_free(d); /* not our From tag: not our call */
		d = NULL;
	}
	if (!d)
		return NULL;
	if (sip_ua_dialog_add(c->ua, d, NULL, on_stray, c) != 0) {
		sip_dialog_free(d);
		return NULL;
	}
	struct fork *f = &c->forks[c->nforks++];
	f->d = d;
	ack_init(&f->ack);
	f->ack.cseq = cseq;
	sip_buf_init(&f->answer, 0);
	/* A late offer: the ACK that comes before the BYE carries an answer. */
	if (c->late_offer && sip_sdp_in(m) && c->sdp && c->sdp(c, m, &f->answer, c->arg) != 0)
		sip_buf_reset(&f->answer);
	return f;
}

static void acked(struct sip_call *c, const struct sip_msg *ack);

static void stray(struct sip_call *c, const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CSEQ);
	struct sip_cseq cs;
	/* The ACK of the callee's 2xx (the dialog's: the stack matched it);
	 * those of 2xx to the far end's re-INVITEs say nothing new. */
	if (m->is_request && m->method == SIP_ACK && c->uas && c->state == SIP_CALL_ACCEPTED &&
	    cseq_num(m) == c->invite_cseq) {
		acked(c, m);
		return;
	}
	if (m->is_request || m->status < 200 || m->status >= 300 || !h ||
	    sip_cseq_parse(&cs, h->value) != 0 || cs.method != SIP_INVITE)
		return;
	if (c->dialog && sip_dialog_match(c->dialog, m)) {
		if (cs.num == c->ack.cseq)
			ack_resend(c, &c->ack);
		return;
	}
	for (size_t i = 0; i < c->nforks; i++) {
		if (sip_dialog_match(c->forks[i].d, m)) {
			ack_resend(c, &c->forks[i].ack);
			return;
		}
	}
	struct fork *f = fork_new(c, m, cs.num);
	if (!f) {
		emit(c, SIP_CALL_STRAY, 0, m);
		return;
	}
	emit(c, SIP_CALL_FORKED, 0, m);
	queue(c, K_FORK, f->d, NULL);
}

static void on_stray(const struct sip_msg *m, const struct sip_packet_info *pi, void *arg)
{
	struct sip_call *c = arg;
	(void)pi;
	enter(c);
	if (!c->freed && c->state != SIP_CALL_ENDED)
		stray(c, m);
	leave(c);
}

/* ---- the INVITE ---- */

static struct early *early_for(struct sip_call *c, const struct sip_msg *req,
                               const struct sip_msg *resp)
{
	for (size_t i = 0; i < c->nearly; i++)
		if (c->early[i].d && sip_dialog_match(c->early[i].d, resp))
			return &c->early[i];
	if (c->nearly == MAX_EARLY || sip_dialog_new_uac(&c->early[c->nearly].d, req, resp) != 0)
		return NULL;
	return &c->early[c->nearly++];
}

/* A 1xx with Require: 100rel gets one PRACK; its retransmissions none (RFC 3262 §4). */
static void prack(struct sip_call *c, const struct sip_msg *req, const struct sip_msg *resp)
{
	const struct sip_hdr *rs = sip_msg_hdr(resp, SIP_HDR_RSEQ);
	uint64_t rseq;
	uint32_t cseq = cseq_num(resp);
	if (!rs || sip_hdr_uint(rs->value, UINT32_MAX, &rseq) != 0 || rseq == 0 || !cseq) {
		emit(c, SIP_CALL_NOT_PRACKED, SIP_ESYNTAX, resp);
		return;
	}
	struct early *e = early_for(c, req, resp);
	if (!e) {
		emit(c, SIP_CALL_NOT_PRACKED, SIP_EINVAL, resp);
		return;
	}
	if (e->rseq && rseq <= e->rseq) {
		emit(c, SIP_CALL_NOT_PRACKED, 0, resp);
		return;
	}
	e->rseq = (uint32_t)rseq;
	if (sip_sdp_in(resp) && !c->late_offer)
		e->answered = true;
	char rack[sizeof c->jobs[0].rack];
	snprintf(rack, sizeof rack, "RAck: %llu %lu INVITE", (unsigned long long)rseq,
	         (unsigned long)cseq);
	queue(c, K_PRACK, e->d, rack);
}

static void on_invite_prov(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct sip_call *c = ((struct sub *)arg)->c;
	(void)err;
	enter(c);
	c->provisional_seen = true;
	if (c->state == SIP_CALL_CALLING)
		c->state = SIP_CALL_RINGING;
	emit(c, SIP_CALL_PROGRESS, 0, resp);
	const struct sip_msg *req = sip_req_message(r);
	if (!c->freed && c->state != SIP_CALL_ENDED && req && resp->status > 100 && c->prack &&
	    requires_100rel(resp))
		prack(c, req, resp);
	leave(c);
}

static void on_cancelled(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct sip_call *c = ((struct sub *)arg)->c;
	(void)r;
	enter(c);
	/* A 481 means the final response crossed the CANCEL: it is on its way. */
	if (err)
		emit(c, SIP_CALL_CANCEL_FAILED, err, resp);
	leave(c);
}

/* A 2xx: the dialog (the early one of this answer goes on, with the CSeq
 * its PRACKs used; the 2xx replaces its route set, §12.1.2), then the ACK. */
static void confirm(struct sip_call *c, const struct sip_msg *req, const struct sip_msg *resp)
{
	for (size_t i = 0; i < c->nearly && !c->dialog; i++) {
		if (c->early[i].d && sip_dialog_match(c->early[i].d, resp) &&
		    sip_dialog_update(c->early[i].d, resp) == 0) {
			c->dialog = c->early[i].d;
			c->early[i].d = NULL;
		}
	}
	int err = c->dialog ? 0 : sip_dialog_new_uac(&c->dialog, req, resp);
	if (err) {
		end(c, SIP_CALL_END_NO_DIALOG, err, resp);
		return;
	}
	if (sip_ua_dialog_add(c->ua, c->dialog, on_request, on_stray, c) != 0) {
		end(c, SIP_CALL_END_ERROR, SIP_ENOMEM, NULL);
		return;
	}
	c->ack.cseq = c->answered_cseq = cseq_num(req);
	c->state = SIP_CALL_CONFIRMED;
	if (c->late_offer && sip_sdp_in(resp) && c->sdp &&
	    c->sdp(c, resp, &c->ack_body, c->arg) != 0)
		sip_buf_reset(&c->ack_body);
	if (c->freed || (err = push(c, K_ACK, c->dialog, NULL)) != 0) {
		end(c, SIP_CALL_END_ERROR, err, NULL);
		return;
	}
	emit(c, SIP_CALL_ANSWERED, 0, resp);
	/* Answered as the CANCEL went out: the call exists, so it is hung up. */
	if (c->cancel_wanted && c->state == SIP_CALL_CONFIRMED && !c->freed) {
		c->state = SIP_CALL_ENDING;
		if ((err = push(c, K_BYE, c->dialog, NULL)) != 0) {
			end(c, SIP_CALL_END_ERROR, err, NULL);
			return;
		}
	}
	run_jobs(c);
}

static void on_invite_done(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct sip_call *c = ((struct sub *)arg)->c;
	enter(c);
	/* The CANCEL went at the first provisional response, or stopped an
	 * INVITE not sent yet. */
	bool cancelled = err == SIP_ECANCELED || (c->cancel_wanted && c->provisional_seen) ||
	                 (c->cancel_wanted && resp && resp->status == 487);
	if (!err && resp->status < 300)
		confirm(c, sip_req_message(r), resp);
	else
		end(c, cancelled ? SIP_CALL_END_CANCELLED : SIP_CALL_END_FAILED, err, resp);
	leave(c);
}

/* ---- the call ---- */

static int setup(struct sip_call *c, const struct sip_call_spec *spec)
{
	const struct sip_req_spec *is = spec->invite;
	if ((is->contact_user && strlen(is->contact_user) >= sizeof c->contact_user) ||
	    (spec->allow && strlen(spec->allow) >= sizeof c->allow - 8))
		return SIP_EINVAL;
	c->event = spec->event;
	c->sdp = spec->sdp;
	c->done = spec->done;
	c->arg = spec->arg;
	c->auth = is->auth;
	c->failover = is->failover;
	c->timeout_us = is->timeout_us;
	c->transport = is->transport;
	c->family = is->family;
	c->via_proxy = is->proxy != NULL;
	c->late_offer = is->body_len == 0;
	c->prack = spec->prack;
	snprintf(c->contact_user, sizeof c->contact_user, "%s",
	         is->contact_user ? is->contact_user : "");
	snprintf(c->allow, sizeof c->allow, "Allow: %s", spec->allow ? spec->allow : ALLOW);
	int err = 0;
	if (is->call_id)
		snprintf(c->call_id, sizeof c->call_id, "%s", is->call_id);
	else
		err = sip_rand_token(c->call_id, 24);
	if (!err && is->from_tag)
		snprintf(c->from_tag, sizeof c->from_tag, "%s", is->from_tag);
	else if (!err)
		err = sip_rand_token(c->from_tag, 12);
	return err;
}

/* The INVITE's Contact as sent, for our refreshes and our answers to the
 * far end's: where we are does not change in the middle of a call. */
static const char *our_contact(struct sip_call *c)
{
	const struct sip_msg *m = sip_req_message(c->invite.r);
	const struct sip_hdr *h = m ? sip_msg_hdr(m, SIP_HDR_CONTACT) : NULL;
	if (!c->contact[0] && h && h->value.len < sizeof c->contact) {
		memcpy(c->contact, h->value.p, h->value.len);
		c->contact[h->value.len] = '\0';
	}
	return c->contact[0] ? c->contact : NULL;
}

int sip_call_start(struct sip_call **cp, struct sip_ua *ua, const struct sip_call_spec *spec)
{
	if (!cp || !ua || !spec || !spec->invite || !spec->done ||
	    (spec->invite->call_id && strlen(spec->invite->call_id) >= 40) ||
	    (spec->invite->from_tag && strlen(spec->invite->from_tag) >= 20) ||
	    spec->invite->nheaders > 64)
		return SIP_EINVAL;
	*cp = NULL;
	struct sip_call *c = calloc(1, sizeof *c);
	if (!c)
		return SIP_ENOMEM;
	c->ua = ua;
	ack_init(&c->ack);
	sip_buf_init(&c->ack_body, 0);
	sip_buf_init(&c->offer, 0);
	c->invite = (struct sub){.c = c, .kind = K_INVITE};
	sip_timer_init(&c->no_ack_timer);
	sip_timer_init(&c->later);
	int err = setup(c, spec);
	if (!err)
		err = sip_ua_leg_add(ua, c->call_id, c->from_tag, on_stray, c);
	if (err) {
		destroy(c);
		return err;
	}
	/* Allow and Supported, then the caller's header fields. */
	const struct sip_req_spec *is = spec->invite;
	struct sip_build_hdr hdrs[2 + 64];
	size_t nh = 0;
	hdrs[nh++].line = c->allow;
	if (c->prack)
		hdrs[nh++].line = "Supported: 100rel";
	for (size_t i = 0; i < is->nheaders; i++)
		hdrs[nh++] = is->headers[i];
	struct sip_req_spec rs = *is;
	rs.method = "INVITE";
	rs.call_id = c->call_id;
	rs.from_tag = c->from_tag;
	rs.headers = hdrs;
	rs.nheaders = nh;
	rs.dialog = NULL;
	rs.provisional = on_invite_prov;
	rs.done = on_invite_done;
	rs.cancelled = on_cancelled;
	rs.auth = c->auth ? on_auth : NULL;
	rs.failover = c->failover ? on_failover : NULL;
	rs.arg = &c->invite;
	if ((err = sip_req_start(&c->invite.r, ua, &rs)) != 0) {
		destroy(c);
		return err;
	}
	*cp = c;
	return 0;
}

/* ---- the callee ---- */

static void on_later(void *arg)
{
	struct sip_call *c = arg;
	enter(c);
	end(c, c->later_how, 0, NULL);
	leave(c);
}

static void on_in_cancel(struct sip_incoming *in, void *arg)
{
	struct sip_call *c = arg;
	(void)in;
	c->in = NULL; /* the stack answered it: 200 to the CANCEL, 487 to the INVITE */
	enter(c);
	end(c, SIP_CALL_END_CANCELLED, 0, NULL);
	leave(c);
}

static void acked(struct sip_call *c, const struct sip_msg *ack)
{
	sip_timer_cancel(sip_ua_loop(c->ua), &c->no_ack_timer);
	c->state = SIP_CALL_CONFIRMED;
	emit(c, SIP_CALL_ANSWERED, 0, ack);
	if (c->bye_wanted && !c->freed && c->state == SIP_CALL_CONFIRMED) {
		c->state = SIP_CALL_ENDING;
		queue(c, K_BYE, c->dialog, NULL);
	}
}

/* No ACK for our 2xx in 64*T1: the dialog is confirmed and then ended (§13.3.1.4). */
static void on_no_ack(void *arg)
{
	struct sip_call *c = arg;
	enter(c);
	c->no_ack = true;
	c->state = SIP_CALL_ENDING;
	queue(c, K_BYE, c->dialog, NULL);
	leave(c);
}

/* Where we are, as the INVITE's sender sees us. */
static int callee_contact(struct sip_call *c, const struct sip_packet_info *pi)
{
	struct sip_target t = {.tp = pi->tp, .addr = pi->remote};
	struct sip_sockaddr local;
	char host[64];
	int err = sip_ua_local(c->ua, &t, &local);
	if (err)
		return err;
	if (sip_sockaddr_host(&local, host, sizeof host) < 0)
		return SIP_ENOSPC;
	err = sip_ua_contact(c->contact, sizeof c->contact, NULL, host, sip_sockaddr_port(&local),
	                     pi->tp);
	return err < 0 ? err : 0;
}

int sip_call_accept(struct sip_call **cp, struct sip_ua *ua, struct sip_incoming *in,
                    const struct sip_call_spec *spec)
{
	const struct sip_msg *req = in ? sip_incoming_request(in) : NULL;
	if (!cp || !ua || !req || req->method != SIP_INVITE || !spec || !spec->done ||
	    (spec->contact && strlen(spec->contact) >= sizeof((struct sip_call *)0)->contact) ||
	    (spec->allow && strlen(spec->allow) >= sizeof((struct sip_call *)0)->allow - 8))
		return SIP_EINVAL;
	*cp = NULL;
	struct sip_call *c = calloc(1, sizeof *c);
	if (!c)
		return SIP_ENOMEM;
	c->ua = ua;
	ack_init(&c->ack);
	sip_buf_init(&c->ack_body, 0);
	sip_buf_init(&c->offer, 0);
	sip_timer_init(&c->no_ack_timer);
	sip_timer_init(&c->later);
	c->uas = true;
	c->state = SIP_CALL_INCOMING;
	c->event = spec->event;
	c->sdp = spec->sdp;
	c->done = spec->done;
	c->arg = spec->arg;
	c->transport = -1;
	c->late_offer = !sip_sdp_in(req);
	c->invite_cseq = cseq_num(req);
	snprintf(c->allow, sizeof c->allow, "Allow: %s", spec->allow ? spec->allow : ALLOW);
	int err = sip_rand_token(c->local_tag, 10);
	if (!err && spec->contact)
		snprintf(c->contact, sizeof c->contact, "%s", spec->contact);
	else if (!err)
		err = callee_contact(c, sip_incoming_packet(in));
	if (!err)
		err = sip_dialog_new_uas(&c->dialog, req, c->local_tag);
	if (!err && (err = sip_ua_dialog_add(ua, c->dialog, on_request, on_stray, c)) != 0) {
		sip_dialog_free(c->dialog);
		c->dialog = NULL;
	}
	if (err) {
		destroy(c);
		return err;
	}
	c->in = in;
	sip_incoming_on_cancel(in, on_in_cancel, c);
	*cp = c;
	return 0;
}

int sip_call_answer(struct sip_call *c, unsigned status, const char *content_type, const char *body,
                    size_t body_len)
{
	if (!c || c->freed || !c->in || status < 101 || status > 699 || (body_len && !content_type))
		return SIP_EINVAL;
	const struct sip_build_hdr allow = {c->allow};
	struct sip_response_spec rs = {
		.status = status,
		.to_tag = c->local_tag,
		.contact = status < 300 ? c->contact : NULL,
		.content_type = body_len ? content_type : NULL,
		.body = body,
		.body_len = body_len,
		.headers = &allow,
		.nheaders = status < 300 ? 1 : 0,
	};
	struct sip_incoming *in = c->in;
	if (status >= 200)
		sip_incoming_on_cancel(in, NULL, NULL);
	int err = sip_incoming_respond(in, &rs);
	if (err) {
		if (status >= 200)
			sip_incoming_on_cancel(in, on_in_cancel, c);
		return err;
	}
	struct sip_loop *loop = sip_ua_loop(c->ua);
	if (status < 200) {
		c->state = SIP_CALL_RINGING;
		return 0;
	}
	c->in = NULL;
	if (status < 300) {
		c->state = SIP_CALL_ACCEPTED;
		return sip_timer_start(loop, &c->no_ack_timer, 64 * sip_ua_t1(c->ua), on_no_ack, c);
	}
	/* Declined: the end, told from the loop. */
	c->later_how = SIP_CALL_END_FAILED;
	return sip_timer_start(loop, &c->later, 0, on_later, c);
}

int sip_call_hangup(struct sip_call *c)
{
	if (!c || c->freed)
		return SIP_EINVAL;
	if (c->uas && c->in)
		return sip_call_answer(c, 486, NULL, NULL, 0);
	switch (c->state) {
	case SIP_CALL_ACCEPTED:
		c->bye_wanted = true; /* a callee's BYE waits for the ACK (§15) */
		return 0;
	case SIP_CALL_INCOMING: break;
	case SIP_CALL_CALLING:
	case SIP_CALL_RINGING:
		c->cancel_wanted = true;
		c->state = SIP_CALL_CANCELLING;
		return sip_req_cancel(c->invite.r);
	case SIP_CALL_CONFIRMED:
		enter(c);
		c->state = SIP_CALL_ENDING; /* once: a second hangup is the same BYE */
		queue(c, K_BYE, c->dialog, NULL);
		leave(c);
		return 0;
	case SIP_CALL_CANCELLING:
	case SIP_CALL_ENDING: return 0;
	case SIP_CALL_ENDED: break;
	}
	return SIP_EINVAL;
}

int sip_call_modify(struct sip_call *c, const char *method, const char *content_type,
                    const char *body, size_t body_len)
{
	if (!c || c->freed || !method || c->modifying || !content_type ||
	    strlen(method) >= sizeof c->modify_method)
		return SIP_EINVAL;
	bool invite = strcmp(method, "INVITE") == 0;
	if (!invite && strcmp(method, "UPDATE") != 0)
		return SIP_EINVAL;
	struct sip_dialog *d = NULL;
	if (c->state == SIP_CALL_CONFIRMED)
		d = c->dialog;
	for (size_t i = 0; !d && !invite && c->state == SIP_CALL_RINGING && i < c->nearly; i++)
		if (c->early[i].d && c->early[i].answered)
			d = c->early[i].d;
	if (!d)
		return SIP_EINVAL;
	char *type = sip_dup(content_type);
	sip_buf_reset(&c->offer);
	if (!type || sip_buf_append(&c->offer, body, body_len) != 0) {
		free(type);
		return SIP_ENOMEM;
	}
	free(c->offer_type);
	c->offer_type = type;
	memcpy(c->modify_method, method, strlen(method) + 1);
	c->modifying = true;
	enter(c);
	queue(c, K_MODIFY, d, NULL);
	leave(c);
	return 0;
}

static void destroy(struct sip_call *c)
{
	struct sip_loop *loop = sip_ua_loop(c->ua);
	sip_timer_cancel(loop, &c->no_ack_timer);
	sip_timer_cancel(loop, &c->later);
	if (c->in) {
		struct sip_response_spec rs = {.status = 480, .to_tag = c->local_tag};
		sip_incoming_on_cancel(c->in, NULL, NULL);
		sip_incoming_respond(c->in, &rs);
	}
	if (c->hop_resolving)
		sip_ua_resolve_cancel(c->ua, on_hop, c);
	sip_ua_leg_remove(c->ua, on_stray, c);
	sip_req_free(c->invite.r);
	for (size_t i = 0; i < MAX_SUBS; i++)
		sip_req_free(c->subs[i].r);
	for (size_t i = 0; i < c->nearly; i++)
		sip_dialog_free(c->early[i].d);
	if (c->dialog) {
		sip_ua_dialog_remove(c->ua, c->dialog);
		sip_dialog_free(c->dialog);
	}
	for (size_t i = 0; i < c->nforks; i++) {
		sip_ua_dialog_remove(c->ua, c->forks[i].d);
		sip_dialog_free(c->forks[i].d);
		sip_buf_reset(&c->forks[i].ack.msg);
		sip_buf_reset(&c->forks[i].answer);
	}
	sip_buf_reset(&c->ack.msg);
	sip_buf_reset(&c->ack_body);
	sip_buf_reset(&c->offer);
	free(c->offer_type);
	free(c);
}

void sip_call_free(struct sip_call *c)
{
	if (!c)
		return;
	if (c->depth) {
		c->freed = true; /* freed when the handlers under way return */
		return;
	}
	destroy(c);
}

enum sip_call_state sip_call_state(const struct sip_call *c)
{
	return c ? c->state : SIP_CALL_ENDED;
}

const struct sip_req *sip_call_request(const struct sip_call *c)
{
	return !c ? NULL : c->current ? c->current : c->invite.r;
}

bool sip_call_early_answered(const struct sip_call *c)
{
	for (size_t i = 0; c && i < c->nearly; i++)
		if (c->early[i].d && c->early[i].answered)
			return true;
	return false;
}

const char *sip_call_next_hop(const struct sip_call *c)
{
	return c ? c->hop_text : "";
}
