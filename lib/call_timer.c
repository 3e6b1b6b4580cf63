/* call_timer.c - session timers (RFC 4028): the interval a 2xx or a
 * refresh sets, who refreshes, the refreshes we send, and the BYE when the
 * session runs out. */
#include "call_int.h"

/* A session refresh: an UPDATE without a body where the far end takes
 * UPDATE, else a re-INVITE with our offer again (RFC 4028 §9). */
int call_send_refresh(struct sip_call *c, struct sip_dialog *d)
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
		err = call_send_sub(c, K_REFRESH, d, c->se_update ? "UPDATE" : "INVITE", NULL,
		                    body.len ? "application/sdp" : NULL, body.len ? &body : NULL);
	sip_buf_reset(&body);
	return err;
}

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

/* How long before the end of the interval the side that does not refresh
 * gives up: a third of it, 32 s at most (§10). */
static unsigned se_margin(const struct sip_call *c)
{
	return c->se / 3 < 32 ? c->se / 3 : 32;
}

/* The session was refreshed (or made): the refresher refreshes at half
 * the interval; the other side gives up when the interval, less a third
 * (32 s at most), passes without a refresh (§10). */
void call_se_arm(struct sip_call *c)
{
	struct sip_loop *loop = sip_ua_loop(c->ua);
	sip_timer_cancel(loop, &c->se_timer);
	if (!c->se)
		return;
	uint64_t s = c->se_ours ? c->se / 2 : c->se - se_margin(c);
	c->se_end = sip_loop_now(loop) + (uint64_t)(c->se - se_margin(c)) * 1000000u;
	sip_timer_start(loop, &c->se_timer, s * 1000000u, call_on_se_timer, c);
}

/* The session expires: BYE (done says SIP_CALL_END_EXPIRED). */
void call_expire(struct sip_call *c)
{
	c->expired = true;
	c->state = SIP_CALL_ENDING;
	call_queue(c, K_BYE, c->dialog);
}

void call_on_se_timer(void *arg)
{
	struct sip_call *c = arg;
	if (c->state != SIP_CALL_CONFIRMED)
		return;
	call_enter(c);
	uint64_t now = sip_loop_now(sip_ua_loop(c->ua));
	if (!c->se_ours || now >= c->se_end) {
		call_expire(c);
	} else if (c->modifying) {
		/* An UPDATE or re-INVITE of the caller's is out: its 2xx refreshes. */
		sip_timer_start(sip_ua_loop(c->ua), &c->se_timer, 2000000u, call_on_se_timer, c);
	} else {
		call_queue(c, K_REFRESH, c->dialog);
	}
	call_leave(c);
}

/* A 2xx to our refresh (or re-INVITE, or UPDATE): the interval it grants,
 * and who refreshes next (the refresher=uac of our request is us); none
 * there, no session timer any more (§7.2). */
void call_se_answered(struct sip_call *c, const struct sip_msg *resp)
{
	bool uac = true;
	c->se = se_parse(resp, &uac);
	c->se_ours = uac;
	call_se_arm(c);
}

/* The far end's refresh (or INVITE) req, to be answered with 200: the
 * interval it asks for, and who refreshes (its refresher=uac: the far
 * end); the header fields for the 2xx into hdrs (how many). */
size_t call_se_refreshed(struct sip_call *c, const struct sip_msg *req, char *line, size_t cap,
                         struct sip_build_hdr *hdrs)
{
	bool uac = true;
	unsigned se = se_parse(req, &uac);
	bool timer = call_lists(req, SIP_HDR_SUPPORTED, "timer");
	if (se) {
		c->se = se;
		c->se_ours = !uac || !timer; /* a proxy asked for it, not the far end (§9) */
	}
	if (!c->se)
		return 0;
	snprintf(line, cap, "Session-Expires: %u;refresher=%s", c->se, c->se_ours ? "uas" : "uac");
	hdrs[0].line = line;
	if (c->state == SIP_CALL_CONFIRMED)
		call_se_arm(c); /* a callee's starts with the ACK */
	/* The far end refreshes: it must know it does. */
	if (c->se_ours)
		return 1;
	hdrs[1].line = "Require: timer";
	return 2;
}
