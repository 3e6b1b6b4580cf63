/* call.c - an INVITE session on the user agent, the part either side
 * shares: re-entry (the caller may free the call from any handler), the
 * requests in its dialogs, which wait in one queue for the next hop so
 * that they leave in the order asked for (a PRACK before the ACK before
 * the BYE), the far end's requests in them, hanging up, and the end. */
#include "call_int.h"

static void on_modify_guard(void *arg);
static void on_sub_done(struct sip_req *r, int err, const struct sip_msg *resp, void *arg);
static const char *our_contact(struct sip_call *c);

void call_enter(struct sip_call *c)
{
	c->depth++;
}

void call_leave(struct sip_call *c)
{
	if (--c->depth == 0 && c->freed)
		call_destroy(c);
}

void call_emit(struct sip_call *c, enum sip_call_event ev, int err, const struct sip_msg *m)
{
	if (c->event && !c->freed && c->state != SIP_CALL_ENDED)
		c->event(c, ev, err, m, c->arg);
}

static void stop_timers(struct sip_call *c)
{
	struct sip_loop *loop = sip_ua_loop(c->ua);
	sip_timer_cancel(loop, &c->no_ack_timer);
	sip_timer_cancel(loop, &c->later);
	sip_timer_cancel(loop, &c->kick);
	sip_timer_cancel(loop, &c->modify_timer);
	sip_timer_cancel(loop, &c->se_timer);
	sip_timer_cancel(loop, &c->rel_timer);
}

void call_end(struct sip_call *c, enum sip_call_end how, int err, const struct sip_msg *m)
{
	if (c->state == SIP_CALL_ENDED || c->freed)
		return;
	c->state = SIP_CALL_ENDED;
	c->njobs = 0;
	stop_timers(c);
	/* An INVITE still out is not left ringing. */
	if (!c->uas && !c->invite_done)
		sip_req_cancel(c->invite.r);
	c->done(c, how, err, m, c->arg);
}

/* ---- small helpers ---- */

uint32_t call_cseq_num(const struct sip_msg *m)
{
	const struct sip_hdr *h = m ? sip_msg_hdr(m, SIP_HDR_CSEQ) : NULL;
	struct sip_cseq cs;
	return h && sip_cseq_parse(&cs, h->value) == 0 ? cs.num : 0;
}

/* A header field of m (Require, Supported, Allow) lists name. */
bool call_lists(const struct sip_msg *m, enum sip_hdr_id id, const char *name)
{
	for (const struct sip_hdr *h = sip_msg_hdr(m, id); h; h = sip_msg_hdr_next(m, h)) {
		struct sip_str list = h->value, e;
		while (sip_list_next(&list, &e) == 1)
			if (sip_str_ieq_cstr(e, name))
				return true;
	}
	return false;
}

void call_ack_init(struct ack *a)
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

void call_on_auth(struct sip_req *r, const struct sip_challenge *ch, void *arg)
{
	struct sip_call *c = ((struct sub *)arg)->c;
	call_enter(c);
	if (!c->freed && c->state != SIP_CALL_ENDED)
		c->auth(r, ch, c->arg);
	else /* nobody to ask: the challenge is the answer */
		sip_req_authenticate(r, NULL, NULL);
	call_leave(c);
}

void call_on_failover(struct sip_req *r, int err, const struct sip_target *from,
                      const struct sip_target *next, void *arg)
{
	struct sip_call *c = ((struct sub *)arg)->c;
	call_enter(c);
	if (!c->freed && c->state != SIP_CALL_ENDED)
		c->failover(r, err, from, next, c->arg);
	call_leave(c);
}

static struct sub *sub_slot(struct sip_call *c)
{
	for (size_t i = 0; i < MAX_SUBS; i++)
		if (!c->subs[i].r)
			return &c->subs[i];
	return NULL;
}

int call_send_sub(struct sip_call *c, enum kind kind, struct sip_dialog *d, const char *method,
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
		.user_agent = c->user_agent,
		.headers = hdrs,
		.nheaders = nh,
		.content_type = content_type,
		.body = body ? body->p : NULL,
		.body_len = body ? body->len : 0,
		.dialog = d,
		.timeout_us = c->timeout_us,
		.done = on_sub_done,
		.auth = c->auth ? call_on_auth : NULL,
		.account = c->account,
		.failover = c->failover ? call_on_failover : NULL,
		.arg = s,
	};
	*s = (struct sub){.c = c, .kind = kind};
	int err = sip_req_start(&s->r, c->ua, &rs);
	if (err) {
		s->r = NULL;
		return err;
	}
	/* The offer of ours under way, for glare and for a CANCEL. */
	if (kind == K_MODIFY)
		c->modify_sub = s;
	else if (kind == K_REFRESH)
		c->refresh_sub = s;
	return 0;
}

/* The ACK for a 2xx in d, to the hop's first address. */
static int send_ack(struct sip_call *c, struct sip_dialog *d, struct ack *a,
                    const struct sip_buf *body)
{
	const struct sip_target *t = &c->hop[0];
	struct sip_sockaddr local;
	const struct sip_ua_me *me;
	int err = sip_ua_local(c->ua, t, &local);
	if (!err)
		err = sip_ua_me(c->ua, &local, t->tp, NULL, &me);
	if (err)
		return err;
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
		.via_host = me->host,
		.via_port = me->port,
		.user_agent = c->user_agent,
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

/* Asked to hang up: how a change of the session under way ends is no news
 * to the caller any more. */
static bool hanging_up(const struct sip_call *c)
{
	return c->state == SIP_CALL_ENDING || c->state == SIP_CALL_CANCELLING;
}

/* A job that could not be done goes to the handler of its kind; an ACK or
 * a BYE that cannot go ends the call. */
void call_job_failed(struct sip_call *c, const struct job *job, int err)
{
	struct early *e;
	switch (job->kind) {
	case K_PRACK:
		/* The 1xx comes again and gets another try. */
		if ((e = early_of(c, job->d)) != NULL && e->queued == job->rseq)
			e->queued = 0;
		call_emit(c, SIP_CALL_PRACKED, err, NULL);
		return;
	case K_MODIFY:
		c->modifying = false;
		if (!hanging_up(c))
			call_emit(c, SIP_CALL_MODIFIED, err, NULL);
		return;
	case K_FORK: call_emit(c, SIP_CALL_FORK_ENDED, err, NULL); return;
	case K_REFRESH: call_expire(c); return;
	case K_ACK:
	case K_BYE:
	case K_INVITE: break;
	}
	call_end(c, SIP_CALL_END_ERROR, err, NULL);
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
		err = call_send_sub(c, K_PRACK, job->d, "PRACK", job->rack,
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
		err = call_send_sub(c, K_BYE, job->d, "BYE", NULL, NULL, NULL);
		break;
	case K_MODIFY:
		err = call_send_sub(c, K_MODIFY, job->d, c->modify_method, NULL, c->offer_type,
		                    &c->offer);
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
			err = call_send_sub(c, K_FORK, f->d, "BYE", NULL, NULL, NULL);
		break;
	case K_REFRESH: err = call_send_refresh(c, job->d); break;
	case K_INVITE: break;
	}
	if (err)
		call_job_failed(c, job, err);
}

static void on_hop(int err, const struct sip_target *targets, size_t n, void *arg)
{
	struct sip_call *c = arg;
	call_enter(c);
	c->hop_resolving = false;
	if (!err && n == 0)
		err = SIP_ENOTFOUND;
	if (err && c->njobs) {
		/* That job fails; the next resolves again. */
		struct job job = c->jobs[0];
		memmove(c->jobs, c->jobs + 1, --c->njobs * sizeof c->jobs[0]);
		call_job_failed(c, &job, err);
	} else if (!err) {
		c->nhop = n < SIP_RESOLVE_MAX ? n : SIP_RESOLVE_MAX;
		memcpy(c->hop, targets, c->nhop * sizeof *targets);
		for (size_t i = 0; i < c->nhop && c->transport >= 0; i++)
			c->hop[i].tp = (enum sip_tp)c->transport;
	}
	call_run_jobs(c);
	call_leave(c);
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

void call_run_jobs(struct sip_call *c)
{
	while (c->njobs && !c->hop_resolving && !c->freed && c->state != SIP_CALL_ENDED) {
		enum kind kind = c->jobs[0].kind;
		/* One offer at a time in a dialog (§14.1): a change of the caller's
		 * waits for our session refresh; neither goes once the BYE is due. */
		if (kind == K_MODIFY && c->refresh_sub && c->state == SIP_CALL_CONFIRMED)
			return;
		int err = (kind == K_MODIFY || kind == K_REFRESH) && c->state == SIP_CALL_ENDING
		                  ? SIP_ECANCELED
		                  : hop_find(c, c->jobs[0].d);
		if (err > 0)
			return;
		struct job job = c->jobs[0];
		memmove(c->jobs, c->jobs + 1, --c->njobs * sizeof c->jobs[0]);
		if (err)
			call_job_failed(c, &job, err);
		else
			run_job(c, &job);
	}
}

int call_push(struct sip_call *c, enum kind kind, struct sip_dialog *d, uint32_t rseq,
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
void call_queue(struct sip_call *c, enum kind kind, struct sip_dialog *d)
{
	struct job job = {.kind = kind, .d = d};
	int err = call_push(c, kind, d, 0, NULL);
	if (err)
		call_job_failed(c, &job, err);
	else
		call_run_jobs(c);
}

static void on_kick(void *arg)
{
	struct sip_call *c = arg;
	call_enter(c);
	call_run_jobs(c);
	call_leave(c);
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
	int err = call_push(c, kind, d, 0, NULL);
	if (!err && !sip_timer_armed(&c->kick))
		err = sip_timer_start(sip_ua_loop(c->ua), &c->kick, 0, on_kick, c);
	return err;
}

/* A re-INVITE's 2xx wants its ACK, before what the handlers ask for next;
 * the ACK of the 2xx before is not sent again for this one. False when
 * it cannot be queued: the call is over. */
static bool ack_later(struct sip_call *c, uint32_t cseq)
{
	c->ack.cseq = cseq;
	sip_buf_reset(&c->ack.msg);
	int err = call_push(c, K_ACK, c->dialog, 0, NULL);
	if (err)
		call_end(c, SIP_CALL_END_ERROR, err, NULL);
	return !err;
}

static void on_sub_done(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct sub *s = arg;
	struct sip_call *c = s->c;
	enum kind kind = s->kind;
	const struct sip_msg *sent = sip_req_message(r);
	uint32_t cseq = call_cseq_num(sent);
	bool reinvite = sent && sent->method == SIP_INVITE;
	call_enter(c);
	s->r = NULL;
	c->current = r;
	bool ok = !err && resp->status < 300;
	switch (kind) {
	case K_PRACK: call_emit(c, SIP_CALL_PRACKED, err, resp); break;
	case K_FORK: call_emit(c, SIP_CALL_FORK_ENDED, err, resp); break;
	case K_BYE:
		call_end(c,
		         c->no_ack    ? SIP_CALL_END_NO_ACK
		         : c->expired ? SIP_CALL_END_EXPIRED
		                      : SIP_CALL_END_BYE,
		         err, resp);
		break;
	case K_REFRESH:
		c->refresh_sub = NULL;
		if (ok && reinvite && !ack_later(c, cseq))
			break;
		call_se_refresh_done(c, err, resp);
		call_run_jobs(c);
		break;
	case K_MODIFY:
		c->modifying = false;
		c->modify_sub = NULL;
		sip_timer_cancel(sip_ua_loop(c->ua), &c->modify_timer);
		if (ok)
			sip_dialog_update(c->modify_d, resp);
		if (ok && c->modify_d == c->dialog && c->se)
			call_se_answered(c, resp);
		/* A failed re-INVITE the transaction ACKed (§14.1). */
		if (ok && reinvite && !ack_later(c, cseq))
			break;
		if (!hanging_up(c))
			call_emit(c, SIP_CALL_MODIFIED, err, resp);
		call_run_jobs(c);
		break;
	default: break;
	}
	c->current = NULL;
	sip_req_free(r);
	call_leave(c);
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
	call_end(c, SIP_CALL_END_REMOTE, 0, req);
	sip_incoming_respond(in, &ok);
}

/* The far end's offer in req (or, with none, an offer of ours) from the
 * sdp handler into body, for rs; false (and a 488, Not Acceptable Here: no
 * codec in common, or nothing to offer) when none can be had. */
bool call_answer_offer(struct sip_call *c, const struct sip_msg *req, struct sip_buf *body,
                       struct sip_response_spec *rs)
{
	if (!c->sdp || c->freed || c->sdp(c, req, body, c->arg) != 0) {
		rs->status = 488;
		return false;
	}
	rs->content_type = "application/sdp";
	rs->body = body->p;
	rs->body_len = body->len;
	return true;
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
	bool ours_out = c->modifying || (c->refresh_sub && !c->se_update);
	if (ours_out && (offer || invite)) {
		/* Both offered at once (glare): theirs waits (RFC 3261 §14.2, RFC 3311 §5.2). */
		rs.status = 491;
	} else if (offer || invite) {
		sip_dialog_update(d, req);
		call_emit(c, SIP_CALL_REFRESHED, 0, req);
		if (call_answer_offer(c, req, &body, &rs))
			c->reoffer_cseq = offer ? 0 : call_cseq_num(req);
	} else {
		sip_dialog_update(d, req);
		call_emit(c, SIP_CALL_REFRESHED, 0, req);
	}
	char se_line[64];
	if (rs.status == 200 && d == c->dialog && !c->freed)
		rs.nheaders += call_se_refreshed(c, req, se_line, sizeof se_line, hdrs + 1);
	sip_incoming_respond(in, &rs);
	sip_buf_reset(&body);
}

/* A request in one of the call's dialogs; a PRACK to the caller (they are
 * the callee's), NOTIFY and what comes after the end get the stack's answer. */
bool call_on_request(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct sip_call *c = arg;
	bool fork;
	struct sip_dialog *d = dialog_of(c, req, &fork);
	/* A NOTIFY is for a subscription sharing the dialog (a REFER's), asked
	 * before us; with none, the stack's 481 (RFC 6665 §4.1.3). */
	if (c->freed || c->state == SIP_CALL_ENDED || (req->method == SIP_PRACK && !c->uas) ||
	    req->method == SIP_NOTIFY || !d)
		return false;
	const struct sip_build_hdr allow = {c->allow};
	struct sip_response_spec rs = {.status = 200};
	call_enter(c);
	if (fork) {
		/* The other phone hangs up first: the BYE we sent it crosses this. */
		rs.status = req->method == SIP_BYE ? 200 : 481;
		sip_incoming_respond(in, &rs);
	} else if (req->method == SIP_BYE) {
		far_end_bye(c, in, req);
	} else if (req->method == SIP_PRACK) {
		call_prack_in(c, in, req);
	} else if (req->method == SIP_INVITE || req->method == SIP_UPDATE) {
		refresh(c, in, req, d);
	} else {
		/* What the Allow line does not name gets 405 (§8.2.1). */
		rs.status = req->method == SIP_OPTIONS ? 200 : 405;
		rs.headers = &allow;
		rs.nheaders = 1;
		sip_incoming_respond(in, &rs);
	}
	call_leave(c);
	return true;
}

static void stray(struct sip_call *c, const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CSEQ);
	struct sip_cseq cs;
	/* An ACK (of the dialog's: the stack matched it): the callee's 2xx
	 * answered, or the answer to the offer we put in the 2xx to the far
	 * end's re-INVITE; others say nothing new. */
	if (m->is_request && m->method == SIP_ACK) {
		uint32_t n = call_cseq_num(m);
		if (c->uas && c->state == SIP_CALL_ACCEPTED && n == c->invite_cseq) {
			call_acked(c, m);
		} else if (c->reoffer_cseq && n == c->reoffer_cseq) {
			c->reoffer_cseq = 0;
			call_emit(c, SIP_CALL_REFRESHED, 0, m);
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
	struct fork *f = call_fork_new(c, m, cs.num);
	if (!f) {
		call_emit(c, SIP_CALL_STRAY, 0, m);
		return;
	}
	call_emit(c, SIP_CALL_FORKED, 0, m);
	call_queue(c, K_FORK, f->d);
}

void call_on_stray(const struct sip_msg *m, const struct sip_packet_info *pi, void *arg)
{
	struct sip_call *c = arg;
	(void)pi;
	call_enter(c);
	if (!c->freed && c->state != SIP_CALL_ENDED)
		stray(c, m);
	call_leave(c);
}

/* ---- the call ---- */

/* A call with what either side takes of spec. */
int call_new(struct sip_call **cp, struct sip_ua *ua, const struct sip_call_spec *spec)
{
	struct sip_call *c;
	if (spec->allow && strlen(spec->allow) >= sizeof c->allow - 8)
		return SIP_EINVAL;
	if (!(c = calloc(1, sizeof *c)))
		return SIP_ENOMEM;
	*cp = c;
	c->ua = ua;
	call_ack_init(&c->ack);
	sip_buf_init(&c->ack_body, 0);
	sip_buf_init(&c->offer, 0);
	sip_timer_init(&c->no_ack_timer);
	sip_timer_init(&c->later);
	sip_timer_init(&c->kick);
	sip_timer_init(&c->modify_timer);
	sip_timer_init(&c->se_timer);
	sip_timer_init(&c->rel_timer);
	sip_buf_init(&c->rel_body, 0);
	c->invite = (struct sub){.c = c, .kind = K_INVITE};
	c->event = spec->event;
	c->sdp = spec->sdp;
	c->done = spec->done;
	c->arg = spec->arg;
	c->transport = -1;
	snprintf(c->allow, sizeof c->allow, "Allow: %s", spec->allow ? spec->allow : ALLOW);
	return 0;
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

static void cancel_reinvite(struct sub *s)
{
	const struct sip_msg *m = s && s->r ? sip_req_message(s->r) : NULL;
	if (m && m->method == SIP_INVITE)
		sip_req_cancel(s->r);
}

int sip_call_hangup(struct sip_call *c)
{
	if (!c || c->freed)
		return SIP_EINVAL;
	if (c->uas && c->in) {
		c->held = 0; /* a 2xx waiting for a PRACK has not gone: declined */
		return sip_call_answer(c, 486, NULL, NULL, 0);
	}
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
		/* The BYE waits for no re-INVITE of ours (§15): one under way is
		 * CANCELled, once it rang, so that it ends with the call. */
		cancel_reinvite(c->modify_sub);
		cancel_reinvite(c->refresh_sub);
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

void call_destroy(struct sip_call *c)
{
	stop_timers(c);
	if (c->in) {
		struct sip_response_spec rs = {.status = 480, .to_tag = c->local_tag};
		sip_incoming_on_cancel(c->in, NULL, NULL);
		sip_incoming_respond(c->in, &rs);
	}
	if (c->hop_resolving)
		sip_ua_resolve_cancel(c->ua, on_hop, c);
	sip_ua_leg_remove(c->ua, call_on_stray, c);
	sip_req_free(c->invite.r);
	for (size_t i = 0; i < MAX_SUBS; i++)
		sip_req_free(c->subs[i].r);
	for (size_t i = 0; i < c->nearly; i++) {
		if (c->early[i].d)
			sip_ua_dialog_remove(c->ua, c->early[i].d, c);
		sip_dialog_free(c->early[i].d);
		sip_buf_reset(&c->early[i].prack_body);
	}
	if (c->dialog) {
		sip_ua_dialog_remove(c->ua, c->dialog, c);
		sip_dialog_free(c->dialog);
	}
	for (size_t i = 0; i < c->nforks; i++) {
		sip_ua_dialog_remove(c->ua, c->forks[i].d, c);
		sip_dialog_free(c->forks[i].d);
		sip_buf_reset(&c->forks[i].ack.msg);
		sip_buf_reset(&c->forks[i].answer);
	}
	sip_buf_reset(&c->ack.msg);
	sip_buf_reset(&c->ack_body);
	sip_buf_reset(&c->offer);
	free(c->offer_type);
	free(c->rel_type);
	sip_buf_reset(&c->rel_body);
	free(c->user_agent);
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
	call_destroy(c);
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

struct sip_dialog *sip_call_dialog(const struct sip_call *c)
{
	return c && (c->state == SIP_CALL_CONFIRMED || c->state == SIP_CALL_ENDING) ? c->dialog
	                                                                            : NULL;
}

const char *sip_call_next_hop(const struct sip_call *c)
{
	return c ? c->hop_text : "";
}
