/* call_out.c - the caller's side of a call: the INVITE (a sip_req), its
 * early dialogs and PRACKs (RFC 3262), the dialog its 2xx makes and the
 * ACK, and the 2xx of other forks, ACKed and hung up (§13.2.2.4). */
#include "call_int.h"

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
struct fork *call_fork_new(struct sip_call *c, const struct sip_msg *m, uint32_t cseq)
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
	if (!adopted && sip_ua_dialog_add(c->ua, d, call_on_request, call_on_stray, c) != 0) {
		sip_dialog_free(d);
		return NULL;
	}
	struct fork *f = &c->forks[c->nforks++];
	f->d = d;
	call_ack_init(&f->ack);
	f->ack.cseq = cseq;
	sip_buf_init(&f->answer, 0);
	/* A late offer: the ACK that comes before the BYE carries an answer. */
	if (c->late_offer && sip_sdp_in(m) && c->sdp && c->sdp(c, m, &f->answer, c->arg) != 0)
		sip_buf_reset(&f->answer);
	return f;
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
	if (sip_ua_dialog_add(c->ua, e->d, call_on_request, call_on_stray, c) != 0) {
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
	uint32_t cseq = call_cseq_num(resp);
	if (!rs || sip_hdr_uint(rs->value, UINT32_MAX, &rseq) != 0 || rseq == 0 || !cseq) {
		call_emit(c, SIP_CALL_NOT_PRACKED, SIP_ESYNTAX, resp);
		return;
	}
	struct early *e = early_for(c, req, resp);
	if (!e) {
		call_emit(c, SIP_CALL_NOT_PRACKED, SIP_EINVAL, resp);
		return;
	}
	if ((e->rseq && rseq <= e->rseq) || rseq == e->queued) {
		call_emit(c, SIP_CALL_NOT_PRACKED, 0, resp);
		return;
	}
	if (e->rseq && rseq != (uint64_t)e->rseq + 1) {
		call_emit(c, SIP_CALL_NOT_PRACKED, SIP_ERANGE,
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
	int err = call_push(c, K_PRACK, e->d, (uint32_t)rseq, rack);
	struct job job = {.kind = K_PRACK, .d = e->d, .rseq = (uint32_t)rseq};
	if (err)
		call_job_failed(c, &job, err);
	else
		call_run_jobs(c);
}

static void on_invite_prov(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct sip_call *c = ((struct sub *)arg)->c;
	(void)err;
	call_enter(c);
	c->provisional_seen = true;
	if (c->state == SIP_CALL_CALLING)
		c->state = SIP_CALL_RINGING;
	call_emit(c, SIP_CALL_PROGRESS, 0, resp);
	const struct sip_msg *req = sip_req_message(r);
	if (!c->freed && c->state != SIP_CALL_ENDED && req && resp->status > 100 && c->prack &&
	    call_lists(resp, SIP_HDR_REQUIRE, "100rel"))
		prack(c, req, resp);
	call_leave(c);
}

static void on_cancelled(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct sip_call *c = ((struct sub *)arg)->c;
	(void)r;
	call_enter(c);
	/* A 481 means the final response crossed the CANCEL: it is on its way. */
	if (err)
		call_emit(c, SIP_CALL_CANCEL_FAILED, err, resp);
	call_leave(c);
}

/* A 2xx: the dialog (the early one of this answer goes on, with the CSeq
 * its PRACKs used; the 2xx replaces its route set, §12.1.2), then the ACK. */
static void confirm(struct sip_call *c, const struct sip_msg *req, const struct sip_msg *resp)
{
	int err = 0;
	if ((c->dialog = adopt_early(c, resp)) == NULL) {
		if ((err = sip_dialog_new_uac(&c->dialog, req, resp)) != 0) {
			c->dialog = NULL;
			call_end(c, SIP_CALL_END_NO_DIALOG, err, resp);
			return;
		}
		if (sip_ua_dialog_add(c->ua, c->dialog, call_on_request, call_on_stray, c) != 0) {
			call_end(c, SIP_CALL_END_ERROR, SIP_ENOMEM, NULL);
			return;
		}
	}
	c->ack.cseq = c->answered_cseq = call_cseq_num(req);
	c->state = SIP_CALL_CONFIRMED;
	/* A session timer, when the 2xx sets one (refresher=uac: us, §7.2). */
	c->se_update = call_lists(resp, SIP_HDR_ALLOW, "UPDATE");
	call_se_answered(c, resp);
	if (c->late_offer && !c->offer_done && sip_sdp_in(resp) && c->sdp &&
	    c->sdp(c, resp, &c->ack_body, c->arg) != 0)
		sip_buf_reset(&c->ack_body);
	if (c->freed || (err = call_push(c, K_ACK, c->dialog, 0, NULL)) != 0) {
		call_end(c, SIP_CALL_END_ERROR, err, NULL);
		return;
	}
	call_emit(c, SIP_CALL_ANSWERED, 0, resp);
	/* Answered as the CANCEL went out: the call exists, so it is hung up. */
	if (c->cancel_wanted && c->state == SIP_CALL_CONFIRMED && !c->freed) {
		c->state = SIP_CALL_ENDING;
		if ((err = call_push(c, K_BYE, c->dialog, 0, NULL)) != 0) {
			call_end(c, SIP_CALL_END_ERROR, err, NULL);
			return;
		}
	}
	call_run_jobs(c);
}

static void on_invite_done(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct sip_call *c = ((struct sub *)arg)->c;
	call_enter(c);
	c->invite_done = true;
	/* The CANCEL went at the first provisional response, or stopped an
	 * INVITE not sent yet. */
	bool cancelled = err == SIP_ECANCELED || (c->cancel_wanted && c->provisional_seen) ||
	                 (c->cancel_wanted && resp && resp->status == 487);
	if (c->state == SIP_CALL_ENDED)
		; /* ended already (out of memory): call_end() CANCELled it */
	else if (!err && resp->status < 300)
		confirm(c, sip_req_message(r), resp);
	else
		call_end(c, cancelled ? SIP_CALL_END_CANCELLED : SIP_CALL_END_FAILED, err, resp);
	call_leave(c);
}

static int setup(struct sip_call *c, const struct sip_call_spec *spec)
{
	const struct sip_req_spec *is = spec->invite;
	if (is->contact_user && strlen(is->contact_user) >= sizeof c->contact_user)
		return SIP_EINVAL;
	c->auth = is->auth;
	c->account = is->account;
	c->failover = is->failover;
	c->timeout_us = is->timeout_us;
	c->transport = is->transport;
	c->family = is->family;
	c->via_proxy = is->proxy != NULL;
	c->late_offer = is->body_len == 0;
	c->prack = spec->prack;
	if (is->user_agent) {
		size_t n = strlen(is->user_agent) + 1;
		if (!(c->user_agent = malloc(n)))
			return SIP_ENOMEM;
		memcpy(c->user_agent, is->user_agent, n);
	}
	snprintf(c->contact_user, sizeof c->contact_user, "%s",
	         is->contact_user ? is->contact_user : "");
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

int sip_call_start(struct sip_call **cp, struct sip_ua *ua, const struct sip_call_spec *spec)
{
	if (!cp || !ua || !spec || !spec->invite || !spec->done ||
	    (spec->invite->call_id && strlen(spec->invite->call_id) >= 40) ||
	    (spec->invite->from_tag && strlen(spec->invite->from_tag) >= 20) ||
	    spec->invite->nheaders > 64)
		return SIP_EINVAL;
	*cp = NULL;
	struct sip_call *c = NULL;
	int err = call_new(&c, ua, spec);
	if (err)
		return err;
	err = setup(c, spec);
	if (!err)
		err = sip_ua_leg_add(ua, c->call_id, c->from_tag, call_on_stray, c);
	if (err) {
		call_destroy(c);
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
	rs.auth = c->auth ? call_on_auth : NULL;
	rs.failover = c->failover ? call_on_failover : NULL;
	rs.arg = &c->invite;
	if ((err = sip_req_start(&c->invite.r, ua, &rs)) != 0) {
		call_destroy(c);
		return err;
	}
	*cp = c;
	return 0;
}
