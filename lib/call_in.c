/* call_in.c - the callee's side of a call: an INVITE that arrived, rung
 * (reliably when the caller takes 100rel, RFC 3262), answered (the
 * transaction repeats the 2xx until the ACK; BYE when none comes,
 * §13.3.1.4) or declined, and the caller's CANCEL. */
#include "call_int.h"

static void on_later(void *arg)
{
	struct sip_call *c = arg;
	call_enter(c);
	call_end(c, c->later_how, 0, NULL);
	call_leave(c);
}

static void on_in_cancel(struct sip_incoming *in, void *arg)
{
	struct sip_call *c = arg;
	(void)in;
	c->in = NULL; /* the stack answered it: 200 to the CANCEL, 487 to the INVITE */
	call_enter(c);
	call_end(c, SIP_CALL_END_CANCELLED, 0, NULL);
	call_leave(c);
}

void call_acked(struct sip_call *c, const struct sip_msg *ack)
{
	sip_timer_cancel(sip_ua_loop(c->ua), &c->no_ack_timer);
	c->state = SIP_CALL_CONFIRMED;
	call_se_arm(c);
	call_emit(c, SIP_CALL_ANSWERED, 0, ack);
	if (c->bye_wanted && !c->freed && c->state == SIP_CALL_CONFIRMED) {
		c->state = SIP_CALL_ENDING;
		call_queue(c, K_BYE, c->dialog);
	}
}

/* No ACK for our 2xx in 64*T1: the dialog is confirmed and then ended (§13.3.1.4). */
static void on_no_ack(void *arg)
{
	struct sip_call *c = arg;
	if (c->state != SIP_CALL_ACCEPTED)
		return;
	call_enter(c);
	c->no_ack = true;
	c->state = SIP_CALL_ENDING;
	call_queue(c, K_BYE, c->dialog);
	call_leave(c);
}

/* RFC 3262 §3 wants the first RSeq drawn evenly from 1 to 2^31 - 1: ten
 * random characters of 62 are 59 bits, whose remainder is as good as even. */
static int first_rseq(uint32_t *rseq)
{
	char token[11];
	uint64_t v = 0;
	int err = sip_rand_token(token, 10);
	for (size_t i = 0; !err && i < 10; i++) {
		char ch = token[i];
		unsigned digit = sip_is_digit(ch)         ? (unsigned)(ch - '0')
		                 : ch >= 'a' && ch <= 'z' ? 10u + (unsigned)(ch - 'a')
		                                          : 36u + (unsigned)(ch - 'A');
		v = v * 62 + digit;
	}
	/* one less: the first 1xx takes the next */
	*rseq = (uint32_t)(v % 0x7fffffffu);
	return err;
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
	    (spec->contact && strlen(spec->contact) >= sizeof((struct sip_call *)0)->contact))
		return SIP_EINVAL;
	*cp = NULL;
	struct sip_call *c = NULL;
	int err = call_new(&c, ua, spec);
	if (err)
		return err;
	c->uas = true;
	c->state = SIP_CALL_INCOMING;
	c->late_offer = !sip_sdp_in(req);
	c->invite_cseq = call_cseq_num(req);
	/* A caller that requires 100rel gets it, asked for or not (RFC 3262 §3). */
	c->rel = (spec->prack && call_lists(req, SIP_HDR_SUPPORTED, "100rel")) ||
	         call_lists(req, SIP_HDR_REQUIRE, "100rel");
	err = sip_rand_token(c->local_tag, 10);
	if (!err && c->rel)
		err = first_rseq(&c->rseq);
	if (!err && spec->contact)
		snprintf(c->contact, sizeof c->contact, "%s", spec->contact);
	else if (!err)
		err = sip_ua_contact_for(ua, sip_incoming_packet(in), c->contact,
		                         sizeof c->contact);
	if (!err)
		err = sip_dialog_new_uas(&c->dialog, req, c->local_tag);
	if (!err &&
	    (err = sip_ua_dialog_add(ua, c->dialog, call_on_request, call_on_stray, c)) != 0) {
		sip_dialog_free(c->dialog);
		c->dialog = NULL;
	}
	if (err) {
		call_destroy(c);
		return err;
	}
	c->in = in;
	sip_incoming_on_cancel(in, on_in_cancel, c);
	*cp = c;
	return 0;
}

/* Sends the INVITE's response (a reliable 1xx as its RSeq says): a final
 * one lets the INVITE go, a decline's done comes from the loop. */
static int respond(struct sip_call *c, unsigned status, const char *content_type, const char *body,
                   size_t body_len)
{
	bool reliable = status < 200 && c->rel;
	char rseq[32];
	/* What the callee does, in what sets up the dialog (RFC 3261 section
	 * 13.3.1.4): reliable 1xx and session timers. */
	struct sip_build_hdr hdrs[5] = {{c->allow}, {"Supported: 100rel, timer"}};
	struct sip_response_spec rs = {
		.status = status,
		.to_tag = c->local_tag,
		.contact = status < 300 ? c->contact : NULL,
		.content_type = body_len ? content_type : NULL,
		.body = body,
		.body_len = body_len,
		.headers = hdrs,
		.nheaders = status < 300 ? 2 : 0,
	};
	struct sip_incoming *in = c->in;
	const struct sip_msg *req = sip_incoming_request(in);
	char se_line[64];
	if (status >= 200 && status < 300) {
		rs.nheaders += call_se_refreshed(c, req, se_line, sizeof se_line, hdrs + 2);
		c->se_update = call_lists(req, SIP_HDR_ALLOW, "UPDATE");
	}
	if (reliable) {
		snprintf(rseq, sizeof rseq, "RSeq: %lu", (unsigned long)c->rseq);
		hdrs[rs.nheaders++].line = "Require: 100rel";
		hdrs[rs.nheaders++].line = rseq;
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
	c->rel_out = false; /* a final response ends the retransmissions of its 1xx */
	sip_timer_cancel(loop, &c->rel_timer);
	if (status < 300) {
		c->state = SIP_CALL_ACCEPTED;
		return sip_timer_start(loop, &c->no_ack_timer, 64 * sip_ua_t1(c->ua), on_no_ack, c);
	}
	/* Declined: the end, told from the loop. */
	c->later_how = SIP_CALL_END_FAILED;
	return sip_timer_start(loop, &c->later, 0, on_later, c);
}

/* The reliable 1xx again, at T1, 2*T1, 4*T1...; no PRACK in 64*T1: the
 * INVITE is refused with a 5xx (RFC 3262 §3). 500 rather than 504: no
 * server further on failed us. */
static void on_rel_timer(void *arg)
{
	struct sip_call *c = arg;
	uint64_t limit = 64 * sip_ua_t1(c->ua);
	call_enter(c);
	c->rel_waited += c->rel_next;
	if (c->rel_waited >= limit) {
		struct sip_response_spec rs = {
			.status = 500, .reason = "No PRACK", .to_tag = c->local_tag};
		c->rel_out = false;
		sip_incoming_on_cancel(c->in, NULL, NULL);
		sip_incoming_respond(c->in, &rs);
		c->in = NULL;
		call_end(c, SIP_CALL_END_FAILED, SIP_ETIMEDOUT, NULL);
	} else {
		c->rel_interval *= 2;
		c->rel_next = c->rel_interval < limit - c->rel_waited ? c->rel_interval
		                                                      : limit - c->rel_waited;
		int err = respond(c, c->rel_status, c->rel_type, c->rel_body.p, c->rel_body.len);
		if (!err)
			err = sip_timer_start(sip_ua_loop(c->ua), &c->rel_timer, c->rel_next,
			                      on_rel_timer, c);
		if (err)
			call_end(c, SIP_CALL_END_ERROR, err, NULL);
	}
	call_leave(c);
}

/* A reliable 1xx: kept to be sent again, its body the session's offer
 * or answer. */
static int respond_reliably(struct sip_call *c, unsigned status, const char *content_type,
                            const char *body, size_t body_len)
{
	char *type = body_len ? sip_dup(content_type) : NULL;
	sip_buf_reset(&c->rel_body);
	if (body_len && (!type || sip_buf_append(&c->rel_body, body, body_len) != 0)) {
		free(type);
		return SIP_ENOMEM;
	}
	free(c->rel_type);
	c->rel_type = type;
	c->rseq++;
	int err = respond(c, status, content_type, body, body_len);
	if (err) {
		c->rseq--; /* it did not go */
		return err;
	}
	uint64_t t1 = sip_ua_t1(c->ua);
	if ((err = sip_timer_start(sip_ua_loop(c->ua), &c->rel_timer, t1, on_rel_timer, c)) != 0)
		return err;
	c->rel_out = true;
	c->rel_status = status;
	c->rel_interval = c->rel_next = t1;
	c->rel_waited = 0;
	if (body_len) {
		c->early_sdp = true;
		c->rel_offered = c->late_offer && !c->offer_done;
		c->offer_done = !c->late_offer;
	}
	return 0;
}

int sip_call_answer(struct sip_call *c, unsigned status, const char *content_type, const char *body,
                    size_t body_len)
{
	if (!c || c->freed || !c->in || c->held || status < 101 || status > 699 ||
	    (body_len && !content_type))
		return SIP_EINVAL;
	if (status < 200 && c->rel)
		return c->rel_out ? SIP_EINVAL
		                  : respond_reliably(c, status, content_type, body, body_len);
	/* The session's offer and answer were made in the early dialog. */
	if (status < 300 && c->early_sdp)
		body_len = 0;
	/* Nor does a 2xx overtake the 1xx with a session description (§3). */
	if (status < 300 && c->rel_out && c->early_sdp) {
		c->held = status;
		return 0;
	}
	return respond(c, status, content_type, body, body_len);
}

/* The caller's PRACK (RFC 3262 §3): the one that names the 1xx that waits
 * for it takes it (and lets a 2xx that waited go); any other gets 481. Its
 * session description answers our offer in the 1xx, or is an offer of its
 * own, answered as an UPDATE's. */
void call_prack_in(struct sip_call *c, struct sip_incoming *in, const struct sip_msg *req)
{
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_RACK);
	struct sip_rack ra;
	struct sip_response_spec rs = {.status = 481};
	struct sip_buf body;
	sip_buf_init(&body, 0);
	if (c->rel_out && h && sip_rack_parse(&ra, h->value) == 0 && ra.rseq == c->rseq &&
	    ra.cseq == c->invite_cseq && ra.method == SIP_INVITE) {
		rs.status = 200;
		c->rel_out = false;
		sip_timer_cancel(sip_ua_loop(c->ua), &c->rel_timer);
		bool sdp = sip_sdp_in(req), answer = sdp && c->rel_offered;
		if (answer) {
			c->rel_offered = false;
			c->offer_done = true;
		}
		call_emit(c, SIP_CALL_PRACKED, 0, req);
		/* An offer while the INVITE's is unanswered cannot be taken. */
		if (sdp && !answer && (!c->offer_done || !call_answer_offer(c, req, &body, &rs)))
			rs.status = 488;
	}
	sip_incoming_respond(in, &rs);
	sip_buf_reset(&body);
	unsigned held = c->held;
	c->held = 0;
	if (held && c->in && !c->freed && c->state != SIP_CALL_ENDED) {
		int err = respond(c, held, NULL, NULL, 0);
		if (err)
			call_end(c, SIP_CALL_END_ERROR, err, NULL);
	}
}
