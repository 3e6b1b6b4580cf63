/* call_in.c - the callee's side of a call: an INVITE that arrived, rung,
 * answered (the transaction repeats the 2xx until the ACK; BYE when none
 * comes, §13.3.1.4) or declined, and the caller's CANCEL. */
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
	err = sip_rand_token(c->local_tag, 10);
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
		rs.nheaders += call_se_refreshed(c, req, se_line, sizeof se_line, hdrs + 1);
		c->se_update = call_lists(req, SIP_HDR_ALLOW, "UPDATE");
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
