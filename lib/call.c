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
	uint32_t rseq;   /* the last one PRACKed */
	uint32_t queued; /* the one whose PRACK waits for the next hop */
	bool answered;   /* the offer and answer are done: in its 1xx, or its 1xx and our PRACK */
	struct sip_buf prack_body; /* our answer to the offer in a 1xx, for a late-offer INVITE */
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

enum kind { K_INVITE, K_ACK, K_PRACK, K_BYE, K_MODIFY, K_FORK, K_REFRESH };

/* What waits for the next hop. */
struct job {
	enum kind kind;
	struct sip_dialog *d;
	uint32_t rseq; /* a PRACK's */
	char rack[48]; /* its "RAck: 1 1 INVITE" */
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
	bool invite_done, offer_done; /* the INVITE's final response; its offer answered */
	uint32_t reoffer_cseq;        /* the far end's offerless re-INVITE we put an offer in */
	struct sip_timer kick;        /* runs the jobs an API call queued, from the loop */
	struct sip_timer modify_timer;
	struct sub *modify_sub;      /* the UPDATE or re-INVITE under way */
	struct sip_dialog *modify_d; /* and its dialog */
	struct sub *last_sub;        /* the request send_sub started last */
	/* the session timer (RFC 4028), when the far end asked for one */
	unsigned se;      /* the session interval, seconds; 0: none */
	bool se_ours;     /* we refresh it; else the far end does */
	bool se_update;   /* the far end takes UPDATE: refreshes go as UPDATE, no body */
	bool expired;     /* the BYE went because the session expired */
	uint64_t se_end;  /* when it is given up unless refreshed, on the loop clock */
	char se_line[64]; /* "Session-Expires: 1800;refresher=uac" */
	struct sip_timer se_timer;
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
	struct sip_loop *loop = sip_ua_loop(c->ua);
	sip_timer_cancel(loop, &c->no_ack_timer);
	sip_timer_cancel(loop, &c->modify_timer);
	sip_timer_cancel(loop, &c->kick);
	sip_timer_cancel(loop, &c->se_timer);
	/* An INVITE still out is not left ringing. */
	if (!c->uas && !c->invite_done)
		sip_req_cancel(c->invite.r);
	c->done(c, how, err, m, c->arg);
}

/* ---- small helpers ---- */

static uint32_t cseq_num(const struct sip_msg *m)
{
	const struct sip_hdr *h = m ? sip_msg_hdr(m, SIP_HDR_CSEQ) : NULL;
	struct sip_cseq cs;
	return h && sip_cseq_parse(&cs, h->value) == 0 ? cs.num : 0;
}

/* A header field of m (Require, Supported, Allow) lists name. */
static bool lists(const struct sip_msg *m, enum sip_hdr_id id, const char *name)
{
	for (const struct sip_hdr *h = sip_msg_hdr(m, id); h; h = sip_msg_hdr_next(m, h)) {
		struct sip_str list = h->value, e;
		while (sip_list_next(&list, &e) == 1)
			if (sip_str_ieq_cstr(e, name))
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
	if (!c->freed && c->state != SIP_CALL_ENDED)
		c->auth(r, ch, c->arg);
	else
		sip_req_authenticate(r, NULL,
		                     NULL); /* nobody to ask: the challenge is the answer */
	leave(c);
}

static void on_failover(struct sip_req *r, int err, const struct sip_target *from,
                        const struct sip_target *next, void *arg)
{
	struct sip_call *c = ((struct sub *)arg)->c;
	enter(c);
	if (!c->freed && c->state != SIP_CALL_ENDED)
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
	struct sip_build_hdr hdrs[4];
	size_t nh = 0;
	/* Only a target refresh says again where we are and what we take; a
	 * refresh under a session timer is a session refresh too (RFC 4028 §7.4). */
	bool refresh = kind == K_MODIFY || kind == K_REFRESH;
	if (refresh)
		hdrs[nh++].line = c->allow;
	if (refresh && c->se) {
		snprintf(c->se_line, sizeof c->se_line, "Session-Expires: %u;refresher=uac", c->se);
		hdrs[nh++].line = c->se_line;
		hdrs[nh++].line = "Supported: timer";
	}
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
	c->last_sub = s;
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
	/* The ACK of the INVITE's 2xx carries the INVITE's credentials (§13.2.2.4). */
	struct sip_build_hdr creds[4];
	char text[2048];
	size_t nc = 0, used = 0;
	const struct sip_msg *inv =
		!c->uas && a->cseq == c->answered_cseq ? sip_req_message(c->invite.r) : NULL;
	static const enum sip_hdr_id ids[] = {SIP_HDR_AUTHORIZATION, SIP_HDR_PROXY_AUTHORIZATION};
	static const char *const names[] = {"Authorization: ", "Proxy-Authorization: "};
	for (size_t i = 0; inv && i < 2; i++) {
		for (const struct sip_hdr *h = sip_msg_hdr(inv, ids[i]); h && nc < 4;
		     h = sip_msg_hdr_next(inv, h)) {
			int n = snprintf(text + used, sizeof text - used, "%s%.*s", names[i],
			                 SIP_STR_FMT(h->value));
			if (n < 0 || (size_t)n >= sizeof text - used)
				return SIP_ENOSPC;
			creds[nc++].line = text + used;
			used += (size_t)n + 1;
		}
	}
	struct sip_dialog_request r = {
		.method = SIP_ACK,
		.cseq = a->cseq,
		.transport = sip_tp_name(t->tp),
		.via_host = host,
		.via_port = sip_sockaddr_port(&local),
		.content_type = sdp ? "application/sdp" : NULL,
		.body = sdp ? body->p : NULL,
		.body_len = sdp ? body->len : 0,
		.headers = creds,
		.nheaders = nc,
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

static struct early *early_of(struct sip_call *c, const struct sip_dialog *d)
{
	for (size_t i = 0; i < c->nearly; i++)
		if (c->early[i].d == d)
			return &c->early[i];
	return NULL;
}

static void expire(struct sip_call *c);

/* A job that could not be done goes to the handler of its kind; an ACK or
 * a BYE that cannot go ends the call. */
static void job_failed(struct sip_call *c, const struct job *job, int err)
{
	struct early *e;
	switch (job->kind) {
	case K_PRACK:
		/* The 1xx comes again and gets another try. */
		if ((e = early_of(c, job->d)) != NULL && e->queued == job->rseq)
			e->queued = 0;
		emit(c, SIP_CALL_PRACKED, err, NULL);
		return;
	case K_MODIFY:
		c->modifying = false;
		emit(c, SIP_CALL_MODIFIED, err, NULL);
		return;
	case K_FORK: emit(c, SIP_CALL_FORK_ENDED, err, NULL); return;
	case K_REFRESH: expire(c); return;
	case K_ACK:
	case K_BYE:
	case K_INVITE: break;
	}
	end(c, SIP_CALL_END_ERROR, err, NULL);
}

static void on_modify_guard(void *arg);

/* A session refresh: an UPDATE without a body where the far end takes
 * UPDATE, else a re-INVITE with our offer again (RFC 4028 §9). */
static int send_refresh(struct sip_call *c, struct sip_dialog *d)
{
	struct sip_buf body;
	sip_buf_init(&body, 0);
	int err = 0;
	if (!c->se_update) {
		if (!c->sdp || c->sdp(c, NULL, &body, c->arg) != 0)
			err = SIP_EINVAL;
		else if (c->freed || c->state != SIP_CALL_CONFIRMED)
			err = SIP_ECANCELED;
	}
	if (!err)
		err = send_sub(c, K_REFRESH, d, c->se_update ? "UPDATE" : "INVITE", NULL,
		               body.len ? "application/sdp" : NULL, body.len ? &body : NULL);
	sip_buf_reset(&body);
	return err;
}

/* Does a job whose hop is known. */
static void run_job(struct sip_call *c, const struct job *job)
{
	int err = 0;
	struct early *e;
	struct fork *f;
	switch (job->kind) {
	case K_ACK:
		err = send_ack(c, job->d, &c->ack, &c->ack_body);
		sip_buf_reset(&c->ack_body);
		break;
	case K_PRACK:
		e = early_of(c, job->d);
		err = send_sub(c, K_PRACK, job->d, "PRACK", job->rack,
		               e && e->prack_body.len ? "application/sdp" : NULL,
		               e && e->prack_body.len ? &e->prack_body : NULL);
		if (!err && e) {
			e->rseq = job->rseq;
			e->queued = 0;
			sip_buf_reset(&e->prack_body); /* an answer goes once */
		}
		break;
	case K_BYE:
		c->state = SIP_CALL_ENDING;
		err = send_sub(c, K_BYE, job->d, "BYE", NULL, NULL, NULL);
		break;
	case K_MODIFY:
		err = send_sub(c, K_MODIFY, job->d, c->modify_method, NULL, c->offer_type,
		               &c->offer);
		c->modify_sub = err ? NULL : c->last_sub;
		/* A re-INVITE that rings and never ends is CANCELled: the call
		 * must be able to go on (Timer C's job, §16.6). */
		if (!err && strcmp(c->modify_method, "INVITE") == 0)
			sip_timer_start(sip_ua_loop(c->ua), &c->modify_timer, 64 * sip_ua_t1(c->ua),
			                on_modify_guard, c);
		break;
	case K_FORK:
		f = fork_of(c, job->d);
		err = send_ack(c, f->d, &f->ack, &f->answer);
		if (!err)
			err = send_sub(c, K_FORK, f->d, "BYE", NULL, NULL, NULL);
		break;
	case K_REFRESH: err = send_refresh(c, job->d); break;
	case K_INVITE: break;
	}
	if (err)
		job_failed(c, job, err);
}

static void run_jobs(struct sip_call *c);

static void on_hop(int err, const struct sip_target *targets, size_t n, void *arg)
{
	struct sip_call *c = arg;
	enter(c);
	c->hop_resolving = false;
	if (!err && n == 0)
		err = SIP_ENOTFOUND;
	if (err && c->njobs) {
		/* That job fails; the next resolves again. */
		struct job job = c->jobs[0];
		memmove(c->jobs, c->jobs + 1, --c->njobs * sizeof c->jobs[0]);
		job_failed(c, &job, err);
	} else if (!err) {
		c->nhop = n < SIP_RESOLVE_MAX ? n : SIP_RESOLVE_MAX;
		memcpy(c->hop, targets, c->nhop * sizeof *targets);
		for (size_t i = 0; i < c->nhop && c->transport >= 0; i++)
			c->hop[i].tp = (enum sip_tp)c->transport;
	}
	run_jobs(c);
	leave(c);
}

/* The hop of d's requests: the INVITE's target when it went through an
 * outbound proxy, else d's next hop, resolved again only when it changed.
 * 0 when known, 1 while it is resolved, or an error. */
static int hop_find(struct sip_call *c, struct sip_dialog *d)
{
	char next[sizeof c->hop_text];
	if (c->via_proxy) {
		const struct sip_target *t = sip_req_target(c->invite.r);
		if (!t)
			return SIP_ENOTFOUND;
		c->hop[0] = *t;
		c->nhop = 1;
		if (sip_sockaddr_print(&t->addr, c->hop_text, sizeof c->hop_text) < 0)
			c->hop_text[0] = '\0';
		return 0;
	}
	int n = sip_dialog_next_hop(d, next, sizeof next);
	if (n < 0)
		return n;
	if (c->nhop && strcmp(next, c->hop_text) == 0)
		return 0;
	memcpy(c->hop_text, next, (size_t)n + 1);
	c->nhop = 0;
	int err = sip_uri_parse(&c->hop_uri, sip_str_from(c->hop_text));
	if (!err && c->hop_uri.scheme != SIP_URI_SIP && c->hop_uri.scheme != SIP_URI_SIPS)
		err = SIP_ESCHEME;
	struct sip_resolve_opts ro = {.family = c->family};
	if (c->transport >= 0)
		ro.tp_mask = 1u << c->transport;
	if (!err)
		err = sip_ua_resolve(c->ua, &c->hop_uri, &ro, on_hop, c);
	if (err)
		return err;
	c->hop_resolving = true;
	return 1;
}

static void run_jobs(struct sip_call *c)
{
	while (c->njobs && !c->hop_resolving && !c->freed && c->state != SIP_CALL_ENDED) {
		int err = hop_find(c, c->jobs[0].d);
		if (err > 0)
			return;
		struct job job = c->jobs[0];
		memmove(c->jobs, c->jobs + 1, --c->njobs * sizeof c->jobs[0]);
		if (err)
			job_failed(c, &job, err);
		else
			run_job(c, &job);
	}
}

static int push(struct sip_call *c, enum kind kind, struct sip_dialog *d, uint32_t rseq,
                const char *rack)
{
	if (c->njobs == MAX_JOBS)
		return SIP_ENOSPC;
	struct job *job = &c->jobs[c->njobs++];
	*job = (struct job){.kind = kind, .d = d, .rseq = rseq};
	if (rack)
		snprintf(job->rack, sizeof job->rack, "%s", rack);
	return 0;
}

/* A job from the loop's side: done now, or when its hop is known. */
static void queue(struct sip_call *c, enum kind kind, struct sip_dialog *d)
{
	struct job job = {.kind = kind, .d = d};
	int err = push(c, kind, d, 0, NULL);
	if (err)
		job_failed(c, &job, err);
	else
		run_jobs(c);
}

static void on_kick(void *arg)
{
	struct sip_call *c = arg;
	enter(c);
	run_jobs(c);
	leave(c);
}

static void on_modify_guard(void *arg)
{
	struct sip_call *c = arg;
	if (c->modify_sub && c->modify_sub->r)
		sip_req_cancel(c->modify_sub->r);
}

/* A job from the caller's side: done from the loop, so that no handler
 * runs inside the call that asked for it. */
static int queue_later(struct sip_call *c, enum kind kind, struct sip_dialog *d)
{
	int err = push(c, kind, d, 0, NULL);
	if (!err && !sip_timer_armed(&c->kick))
		err = sip_timer_start(sip_ua_loop(c->ua), &c->kick, 0, on_kick, c);
	return err;
}

/* ---- session timers (RFC 4028) ---- */

/* Session-Expires in m: the interval in seconds (0: none), and whether the
 * refresher is the UAC of m's transaction (the default). */
static unsigned se_parse(const struct sip_msg *m, bool *uac)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_SESSION_EXPIRES);
	struct sip_str v = h ? h->value : (struct sip_str){0}, who;
	const char *semi = v.len ? memchr(v.p, ';', v.len) : NULL;
	size_t n = semi ? (size_t)(semi - v.p) : v.len;
	uint64_t se;
	if (!h || sip_hdr_uint(sip_str_trim((struct sip_str){v.p, n}), 86400, &se) != 0 || !se)
		return 0;
	*uac = !(semi && sip_param_get((struct sip_str){semi, v.len - n}, "refresher", &who) &&
	         sip_str_ieq_cstr(who, "uas"));
	return (unsigned)se;
}

static void on_se_timer(void *arg);

/* How long before the end of the interval the side that does not refresh
 * gives up: a third of it, 32 s at most (§10). */
static unsigned se_margin(const struct sip_call *c)
{
	return c->se / 3 < 32 ? c->se / 3 : 32;
}

/* The session was refreshed (or made): the refresher refreshes at half
 * the interval; the other side gives up when the interval, less a third
 * (32 s at most), passes without a refresh (§10). */
static void se_arm(struct sip_call *c)
{
	struct sip_loop *loop = sip_ua_loop(c->ua);
	sip_timer_cancel(loop, &c->se_timer);
	if (!c->se)
		return;
	uint64_t s = c->se_ours ? c->se / 2 : c->se - se_margin(c);
	c->se_end = sip_loop_now(loop) + (uint64_t)(c->se - se_margin(c)) * 1000000u;
	sip_timer_start(loop, &c->se_timer, s * 1000000u, on_se_timer, c);
}

/* The session expires: BYE (done says SIP_CALL_END_EXPIRED). */
static void expire(struct sip_call *c)
{
	c->expired = true;
	c->state = SIP_CALL_ENDING;
	queue(c, K_BYE, c->dialog);
}

static void on_se_timer(void *arg)
{
	struct sip_call *c = arg;
	if (c->state != SIP_CALL_CONFIRMED)
		return;
	enter(c);
	uint64_t now = sip_loop_now(sip_ua_loop(c->ua));
	if (!c->se_ours || now >= c->se_end) {
		expire(c);
	} else if (c->modifying) {
		/* An UPDATE or re-INVITE of the caller's is out: its 2xx refreshes. */
		sip_timer_start(sip_ua_loop(c->ua), &c->se_timer, 2000000u, on_se_timer, c);
	} else {
		queue(c, K_REFRESH, c->dialog);
	}
	leave(c);
}

/* A 2xx to our refresh (or re-INVITE, or UPDATE): the interval it grants,
 * and who refreshes next (the refresher=uac of our request is us); none
 * there, no session timer any more (§7.2). */
static void se_answered(struct sip_call *c, const struct sip_msg *resp)
{
	bool uac = true;
	c->se = se_parse(resp, &uac);
	c->se_ours = uac;
	se_arm(c);
}

static void on_sub_done(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct sub *s = arg;
	struct sip_call *c = s->c;
	enum kind kind = s->kind;
	const struct sip_msg *sent = sip_req_message(r);
	uint32_t cseq = cseq_num(sent);
	bool reinvite = sent && sent->method == SIP_INVITE;
	enter(c);
	s->r = NULL;
	c->current = r;
	bool ok = !err && resp->status < 300;
	switch (kind) {
	case K_PRACK: emit(c, SIP_CALL_PRACKED, err, resp); break;
	case K_FORK: emit(c, SIP_CALL_FORK_ENDED, err, resp); break;
	case K_BYE:
		end(c,
		    c->no_ack    ? SIP_CALL_END_NO_ACK
		    : c->expired ? SIP_CALL_END_EXPIRED
		                 : SIP_CALL_END_BYE,
		    err, resp);
		break;
	case K_REFRESH:
		if (ok && reinvite) {
			c->ack.cseq = cseq;
			sip_buf_reset(&c->ack.msg);
			if ((err = push(c, K_ACK, c->dialog, 0, NULL)) != 0) {
				end(c, SIP_CALL_END_ERROR, err, NULL);
				break;
			}
		}
		if (ok) {
			se_answered(c, resp);
			emit(c, SIP_CALL_SESSION_REFRESHED, 0, resp);
			run_jobs(c);
		} else if (err || resp->status == 408 || resp->status == 481) {
			expire(c); /* the far end lost the session (§10) */
		} else {
			/* Refused for now (a 491, a 500): again soon, while the session lasts. */
			sip_timer_start(sip_ua_loop(c->ua), &c->se_timer, 2000000u, on_se_timer, c);
		}
		break;
	case K_MODIFY:
		c->modifying = false;
		c->modify_sub = NULL;
		sip_timer_cancel(sip_ua_loop(c->ua), &c->modify_timer);
		if (ok)
			sip_dialog_update(c->modify_d, resp);
		if (ok && c->modify_d == c->dialog && c->se)
			se_answered(c, resp);
		/* A re-INVITE's 2xx wants its ACK, before what the handler asks
		 * for next; a failed one the transaction ACKed (§14.1). The old
		 * ACK is not sent again for the new 2xx. */
		if (ok && strcmp(c->modify_method, "INVITE") == 0) {
			c->ack.cseq = cseq;
			sip_buf_reset(&c->ack.msg);
			if ((err = push(c, K_ACK, c->dialog, 0, NULL)) != 0) {
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

/* The dialog of ours req is in; *fork when it is a fork's. */
static struct sip_dialog *dialog_of(struct sip_call *c, const struct sip_msg *req, bool *fork)
{
	*fork = false;
	if (c->dialog && sip_dialog_match(c->dialog, req))
		return c->dialog;
	for (size_t i = 0; i < c->nearly; i++)
		if (c->early[i].d && sip_dialog_match(c->early[i].d, req))
			return c->early[i].d;
	for (size_t i = 0; i < c->nforks; i++)
		if (sip_dialog_match(c->forks[i].d, req))
			return *fork = true, c->forks[i].d;
	return NULL;
}

/* The far end's BYE: the end (done sees req before the 200 ends its
 * transaction, and req with it). A callee's INVITE not answered yet gets
 * 487 (§15.1.2). */
static void far_end_bye(struct sip_call *c, struct sip_incoming *in, const struct sip_msg *req)
{
	struct sip_response_spec ok = {.status = 200};
	if (c->in) {
		struct sip_response_spec rs = {.status = 487, .to_tag = c->local_tag};
		sip_incoming_on_cancel(c->in, NULL, NULL);
		sip_incoming_respond(c->in, &rs);
		c->in = NULL;
	}
	end(c, SIP_CALL_END_REMOTE, 0, req);
	sip_incoming_respond(in, &ok);
}

/* The far end's refresh (or INVITE) req, to be answered with 200: the
 * interval it asks for, and who refreshes (its refresher=uac: the far
 * end); the header fields for the 2xx into hdrs (how many). */
static size_t se_refreshed(struct sip_call *c, const struct sip_msg *req, char *line, size_t cap,
                           struct sip_build_hdr *hdrs)
{
	bool uac = true;
	unsigned se = se_parse(req, &uac);
	bool timer = lists(req, SIP_HDR_SUPPORTED, "timer");
	if (se) {
		c->se = se;
		c->se_ours = !uac || !timer; /* a proxy asked for it, not the far end (§9) */
	}
	if (!c->se)
		return 0;
	snprintf(line, cap, "Session-Expires: %u;refresher=%s", c->se, c->se_ours ? "uas" : "uac");
	hdrs[0].line = line;
	if (c->state == SIP_CALL_CONFIRMED)
		se_arm(c); /* a callee's starts with the ACK */
	/* The far end refreshes: it must know it does. */
	if (c->se_ours)
		return 1;
	hdrs[1].line = "Require: timer";
	return 2;
}

/* A target refresh (re-INVITE, UPDATE): its offer answered, or (a
 * re-INVITE without one) an offer of ours, the answer then in the ACK. */
static void refresh(struct sip_call *c, struct sip_incoming *in, const struct sip_msg *req,
                    struct sip_dialog *d)
{
	struct sip_build_hdr hdrs[3] = {{c->allow}};
	struct sip_response_spec rs = {
		.status = 200, .contact = our_contact(c), .headers = hdrs, .nheaders = 1};
	struct sip_buf body;
	bool offer = sip_sdp_in(req), invite = req->method == SIP_INVITE;
	sip_buf_init(&body, 0);
	if (c->modifying && (offer || invite)) {
		/* Both offered at once (glare): theirs waits (RFC 3261 §14.2, RFC 3311 §5.2). */
		rs.status = 491;
	} else if (offer || invite) {
		sip_dialog_update(d, req);
		emit(c, SIP_CALL_REFRESHED, 0, req);
		if (c->sdp && !c->freed && c->sdp(c, req, &body, c->arg) == 0) {
			rs.content_type = "application/sdp";
			rs.body = body.p;
			rs.body_len = body.len;
			c->reoffer_cseq = offer ? 0 : cseq_num(req);
		} else {
			/* Not Acceptable Here: no codec in common, or nothing to offer. */
			rs.status = 488;
		}
	} else {
		sip_dialog_update(d, req);
		emit(c, SIP_CALL_REFRESHED, 0, req);
	}
	char se_line[64];
	if (rs.status == 200 && d == c->dialog && !c->freed)
		rs.nheaders += se_refreshed(c, req, se_line, sizeof se_line, hdrs + 1);
	sip_incoming_respond(in, &rs);
	sip_buf_reset(&body);
}

/* A request in one of the call's dialogs; PRACK (the caller's are for the
 * callee) and what comes after the end get the stack's answer. */
static bool on_request(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct sip_call *c = arg;
	bool fork;
	struct sip_dialog *d = dialog_of(c, req, &fork);
	if (c->freed || c->state == SIP_CALL_ENDED || req->method == SIP_PRACK || !d)
		return false;
	const struct sip_build_hdr allow = {c->allow};
	struct sip_response_spec rs = {.status = 200};
	enter(c);
	if (fork) {
		/* The other phone hangs up first: the BYE we sent it crosses this. */
		rs.status = req->method == SIP_BYE ? 200 : 481;
		sip_incoming_respond(in, &rs);
	} else if (req->method == SIP_BYE) {
		far_end_bye(c, in, req);
	} else if (req->method == SIP_INVITE || req->method == SIP_UPDATE) {
		refresh(c, in, req, d);
	} else {
		/* What the Allow line does not name gets 405 (§8.2.1). */
		rs.status = req->method == SIP_OPTIONS ? 200 : 405;
		rs.headers = &allow;
		rs.nheaders = 1;
		sip_incoming_respond(in, &rs);
	}
	leave(c);
	return true;
}

/* ---- the 2xx of other forks, and the 2xx again ---- */

/* The early dialog a 2xx answers in, updated by it and taken from the
 * early ones (§12.1.2: the 2xx's route set replaces the early one). */
static struct sip_dialog *adopt_early(struct sip_call *c, const struct sip_msg *resp)
{
	for (size_t i = 0; i < c->nearly; i++) {
		struct sip_dialog *d = c->early[i].d;
		if (d && sip_dialog_match(d, resp) && sip_dialog_update(d, resp) == 0) {
			c->early[i].d = NULL;
			return d;
		}
	}
	return NULL;
}

/* A new fork of the answered INVITE from m, its 2xx; NULL when m is not
 * one (another CSeq, another From tag) or there are too many. */
static struct fork *fork_new(struct sip_call *c, const struct sip_msg *m, uint32_t cseq)
{
	const struct sip_msg *req = sip_req_message(c->invite.r);
	struct sip_dialog *d = NULL;
	if (!req || cseq != c->answered_cseq || c->nforks == MAX_FORKS)
		return NULL;
	/* Its early dialog goes on, with the CSeq its PRACKs took (and the
	 * stack knows it already). */
	d = adopt_early(c, m);
	bool adopted = d != NULL;
	if (!d && sip_dialog_new_uac(&d, req, m) == 0 && !sip_dialog_match(d, m)) {
		sip_dialog_free(d); /* not our From tag: not our call */
		return NULL;
	}
	if (!d)
		return NULL;
	if (!adopted && sip_ua_dialog_add(c->ua, d, on_request, on_stray, c) != 0) {
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
	/* An ACK (of the dialog's: the stack matched it): the callee's 2xx
	 * answered, or the answer to the offer we put in the 2xx to the far
	 * end's re-INVITE; others say nothing new. */
	if (m->is_request && m->method == SIP_ACK) {
		uint32_t n = cseq_num(m);
		if (c->uas && c->state == SIP_CALL_ACCEPTED && n == c->invite_cseq) {
			acked(c, m);
		} else if (c->reoffer_cseq && n == c->reoffer_cseq) {
			c->reoffer_cseq = 0;
			emit(c, SIP_CALL_REFRESHED, 0, m);
		}
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
	queue(c, K_FORK, f->d);
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

/* The early dialog of resp, made (and its requests routed to us) at the
 * first reliable 1xx; NULL without a To tag, a Contact that is a URI, or room. */
static struct early *early_for(struct sip_call *c, const struct sip_msg *req,
                               const struct sip_msg *resp)
{
	for (size_t i = 0; i < c->nearly; i++)
		if (c->early[i].d && sip_dialog_match(c->early[i].d, resp))
			return &c->early[i];
	struct early *e = &c->early[c->nearly];
	if (c->nearly == MAX_EARLY || sip_dialog_new_uac(&e->d, req, resp) != 0)
		return NULL;
	if (sip_ua_dialog_add(c->ua, e->d, on_request, on_stray, c) != 0) {
		sip_dialog_free(e->d);
		e->d = NULL;
		return NULL;
	}
	sip_buf_init(&e->prack_body, 0);
	c->nearly++;
	return e;
}

/* A 1xx with Require: 100rel gets one PRACK, in RSeq order; its
 * retransmissions none (RFC 3262 §4). A late-offer INVITE's offer in it is
 * answered in the PRACK (§5). */
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
	if ((e->rseq && rseq <= e->rseq) || rseq == e->queued) {
		emit(c, SIP_CALL_NOT_PRACKED, 0, resp);
		return;
	}
	if (e->rseq && rseq != (uint64_t)e->rseq + 1) {
		emit(c, SIP_CALL_NOT_PRACKED, SIP_ERANGE,
		     resp); /* one is missing: it comes again */
		return;
	}
	if (sip_sdp_in(resp) && !c->offer_done) {
		if (!c->late_offer) {
			e->answered = c->offer_done = true;
		} else if (c->sdp && c->sdp(c, resp, &e->prack_body, c->arg) == 0) {
			e->answered = c->offer_done = true;
		} else {
			sip_buf_reset(&e->prack_body);
		}
	}
	if (c->freed)
		return;
	char rack[sizeof c->jobs[0].rack];
	snprintf(rack, sizeof rack, "RAck: %llu %lu INVITE", (unsigned long long)rseq,
	         (unsigned long)cseq);
	e->queued = (uint32_t)rseq;
	int err = push(c, K_PRACK, e->d, (uint32_t)rseq, rack);
	struct job job = {.kind = K_PRACK, .d = e->d, .rseq = (uint32_t)rseq};
	if (err)
		job_failed(c, &job, err);
	else
		run_jobs(c);
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
	    lists(resp, SIP_HDR_REQUIRE, "100rel"))
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
	int err = 0;
	if ((c->dialog = adopt_early(c, resp)) == NULL) {
		if ((err = sip_dialog_new_uac(&c->dialog, req, resp)) != 0) {
			c->dialog = NULL;
			end(c, SIP_CALL_END_NO_DIALOG, err, resp);
			return;
		}
		if (sip_ua_dialog_add(c->ua, c->dialog, on_request, on_stray, c) != 0) {
			end(c, SIP_CALL_END_ERROR, SIP_ENOMEM, NULL);
			return;
		}
	}
	c->ack.cseq = c->answered_cseq = cseq_num(req);
	c->state = SIP_CALL_CONFIRMED;
	/* A session timer, when the 2xx sets one (refresher=uac: us, §7.2). */
	c->se_update = lists(resp, SIP_HDR_ALLOW, "UPDATE");
	se_answered(c, resp);
	if (c->late_offer && !c->offer_done && sip_sdp_in(resp) && c->sdp &&
	    c->sdp(c, resp, &c->ack_body, c->arg) != 0)
		sip_buf_reset(&c->ack_body);
	if (c->freed || (err = push(c, K_ACK, c->dialog, 0, NULL)) != 0) {
		end(c, SIP_CALL_END_ERROR, err, NULL);
		return;
	}
	emit(c, SIP_CALL_ANSWERED, 0, resp);
	/* Answered as the CANCEL went out: the call exists, so it is hung up. */
	if (c->cancel_wanted && c->state == SIP_CALL_CONFIRMED && !c->freed) {
		c->state = SIP_CALL_ENDING;
		if ((err = push(c, K_BYE, c->dialog, 0, NULL)) != 0) {
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
	c->invite_done = true;
	/* The CANCEL went at the first provisional response, or stopped an
	 * INVITE not sent yet. */
	bool cancelled = err == SIP_ECANCELED || (c->cancel_wanted && c->provisional_seen) ||
	                 (c->cancel_wanted && resp && resp->status == 487);
	if (c->state == SIP_CALL_ENDED)
		; /* ended already (out of memory): end() CANCELled it */
	else if (!err && resp->status < 300)
		confirm(c, sip_req_message(r), resp);
	else
		end(c, cancelled ? SIP_CALL_END_CANCELLED : SIP_CALL_END_FAILED, err, resp);
	leave(c);
}

/* ---- the call ---- */

static void timers_init(struct sip_call *c)
{
	sip_timer_init(&c->no_ack_timer);
	sip_timer_init(&c->later);
	sip_timer_init(&c->kick);
	sip_timer_init(&c->modify_timer);
	sip_timer_init(&c->se_timer);
}

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
	timers_init(c);
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
	hdrs[nh++].line = c->prack ? "Supported: 100rel, timer" : "Supported: timer";
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
	se_arm(c);
	emit(c, SIP_CALL_ANSWERED, 0, ack);
	if (c->bye_wanted && !c->freed && c->state == SIP_CALL_CONFIRMED) {
		c->state = SIP_CALL_ENDING;
		queue(c, K_BYE, c->dialog);
	}
}

/* No ACK for our 2xx in 64*T1: the dialog is confirmed and then ended (§13.3.1.4). */
static void on_no_ack(void *arg)
{
	struct sip_call *c = arg;
	if (c->state != SIP_CALL_ACCEPTED)
		return;
	enter(c);
	c->no_ack = true;
	c->state = SIP_CALL_ENDING;
	queue(c, K_BYE, c->dialog);
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
	const struct sip_hdr *to = req ? sip_msg_hdr(req, SIP_HDR_TO) : NULL;
	struct sip_addr ta;
	/* A To tag: a re-INVITE of a dialog we do not know, not a call. */
	if (!to || sip_addr_parse(&ta, to->value) != 0 || ta.tag.len)
		return SIP_EINVAL;
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
	timers_init(c);
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
	struct sip_build_hdr hdrs[3] = {{c->allow}};
	struct sip_response_spec rs = {
		.status = status,
		.to_tag = c->local_tag,
		.contact = status < 300 ? c->contact : NULL,
		.content_type = body_len ? content_type : NULL,
		.body = body,
		.body_len = body_len,
		.headers = hdrs,
		.nheaders = status < 300 ? 1 : 0,
	};
	struct sip_incoming *in = c->in;
	const struct sip_msg *req = sip_incoming_request(in);
	char se_line[64];
	if (status >= 200 && status < 300) {
		rs.nheaders += se_refreshed(c, req, se_line, sizeof se_line, hdrs + 1);
		c->se_update = lists(req, SIP_HDR_ALLOW, "UPDATE");
	}
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
	int err;
	switch (c->state) {
	case SIP_CALL_ACCEPTED:
		c->bye_wanted = true; /* a callee's BYE waits for the ACK (§15) */
		return 0;
	case SIP_CALL_CALLING:
	case SIP_CALL_RINGING:
		if (c->uas)
			return 0; /* declined: done is on its way */
		c->cancel_wanted = true;
		c->state = SIP_CALL_CANCELLING;
		return sip_req_cancel(c->invite.r);
	case SIP_CALL_CONFIRMED:
		if ((err = queue_later(c, K_BYE, c->dialog)) != 0)
			return err;
		c->state = SIP_CALL_ENDING; /* once: a second hangup is the same BYE */
		return 0;
	case SIP_CALL_INCOMING: /* declined: done is on its way */
	case SIP_CALL_CANCELLING:
	case SIP_CALL_ENDING: return 0;
	case SIP_CALL_ENDED: break;
	}
	return SIP_EINVAL;
}

int sip_call_modify(struct sip_call *c, const char *method, const char *content_type,
                    const char *body, size_t body_len)
{
	if (!c || c->freed || !method || c->modifying || !content_type || !body_len ||
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
	int err = queue_later(c, K_MODIFY, d);
	if (err)
		return err;
	c->modifying = true;
	c->modify_d = d;
	return 0;
}

static void destroy(struct sip_call *c)
{
	struct sip_loop *loop = sip_ua_loop(c->ua);
	sip_timer_cancel(loop, &c->no_ack_timer);
	sip_timer_cancel(loop, &c->later);
	sip_timer_cancel(loop, &c->kick);
	sip_timer_cancel(loop, &c->modify_timer);
	sip_timer_cancel(loop, &c->se_timer);
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
	for (size_t i = 0; i < c->nearly; i++) {
		if (c->early[i].d)
			sip_ua_dialog_remove(c->ua, c->early[i].d);
		sip_dialog_free(c->early[i].d);
		sip_buf_reset(&c->early[i].prack_body);
	}
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
	return !c ? NULL : c->current ? c->current : c->invite.r; /* a callee's: NULL */
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
