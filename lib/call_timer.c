/* call_timer.c - session timers (RFC 4028): the interval a 2xx or a
 * refresh sets, who refreshes, the refreshes we send, and the BYE when the
 * session runs out. */
#include "call_int.h"

#define SE_MIN 90 /* the smallest interval a far end's request sets (Min-SE, §4) */

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
/* The delta-seconds at the start of a Session-Expires or Min-SE value, and
 * the parameters after it. */
static int interval(struct sip_str v, uint64_t *out, struct sip_str *params)
{
	const char *semi = v.len ? memchr(v.p, ';', v.len) : NULL;
	size_t n = semi ? (size_t)(semi - v.p) : v.len;
	*params = (struct sip_str){v.p + n, v.len - n};
	return sip_hdr_uint(sip_str_trim((struct sip_str){v.p, n}), 86400, out);
}

static unsigned se_parse(const struct sip_msg *m, bool *uac)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_SESSION_EXPIRES);
	struct sip_str params, who;
	uint64_t se;
	if (!h || interval(h->value, &se, &params) != 0 || !se)
		return 0;
	*uac = !(sip_param_get(params, "refresher", &who) && sip_str_ieq_cstr(who, "uas"));
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
	/* A second at least: an interval of 1 s is no reason to refresh in a loop. */
	uint64_t s = c->se_ours ? c->se / 2 : c->se - se_margin(c), end = c->se - se_margin(c);
	if (s == 0)
		s = 1;
	c->se_end = sip_loop_now(loop) + (end > s ? end : s + 1) * 1000000u;
	sip_timer_start(loop, &c->se_timer, s * 1000000u, call_on_se_timer, c);
}

/* The session expires: BYE (done says SIP_CALL_END_EXPIRED). */
void call_expire(struct sip_call *c)
{
	if (c->state != SIP_CALL_CONFIRMED)
		return; /* ended, or ending, already */
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
	struct sip_loop *loop = sip_ua_loop(c->ua);
	uint64_t now = sip_loop_now(loop);
	if (!c->se_ours || now >= c->se_end) {
		/* A refresh of ours still unanswered (a re-INVITE that only rang) ends too. */
		if (c->refresh_sub && c->refresh_sub->r)
			sip_req_cancel(c->refresh_sub->r);
		call_expire(c);
	} else if (c->modifying || c->refresh_sub) {
		/* An UPDATE or re-INVITE is out: its 2xx refreshes. */
		sip_timer_start(loop, &c->se_timer, 2000000u, call_on_se_timer, c);
	} else {
		call_queue(c, K_REFRESH, c->dialog);
		/* Given up at the end of the session if it is never answered. */
		if (c->state == SIP_CALL_CONFIRMED)
			sip_timer_start(loop, &c->se_timer, c->se_end - now, call_on_se_timer, c);
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
	if (se) /* Min-SE 90 s (§4): a shorter interval is raised, not refused */
		c->se = se < SE_MIN ? SE_MIN : se;
	if (!c->se)
		return 0;
	/* A far end that does not say it supports timers cannot refresh:
	 * a proxy asked for the timer (§9), or it only forgot to say. */
	c->se_ours = se ? !uac || !timer : c->se_ours || !timer;
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

/* A random wait of 2.1 to 4 s before a refresh goes again after a 491
 * (RFC 3261 §14.1 gives the Call-ID's owner that range). */
static uint64_t glare_wait_us(void)
{
	char t[4];
	if (sip_rand_token(t, 3) != 0)
		return 3000000u;
	unsigned r = ((unsigned char)t[0] << 8) | (unsigned char)t[1];
	return 2100000u + (uint64_t)(r % 1900) * 1000u;
}

/* The final response to our session refresh (after its ACK is queued). */
void call_se_refresh_done(struct sip_call *c, int err, const struct sip_msg *resp)
{
	struct sip_loop *loop = sip_ua_loop(c->ua);
	const struct sip_hdr *h;
	struct sip_str params;
	uint64_t min_se;
	if (c->state != SIP_CALL_CONFIRMED)
		return; /* hung up meanwhile, or expired */
	if (!err && resp->status < 300) {
		call_se_answered(c, resp);
		call_emit(c, SIP_CALL_SESSION_REFRESHED, 0, resp);
	} else if (!err && (resp->status == 405 || resp->status == 501) && c->se_update) {
		c->se_update = false; /* no UPDATE after all: a re-INVITE, now */
		call_queue(c, K_REFRESH, c->dialog);
	} else if (!err && resp->status == 422 && (h = sip_msg_hdr(resp, SIP_HDR_MIN_SE)) &&
	           interval(h->value, &min_se, &params) == 0 && min_se > c->se) {
		c->se = (unsigned)min_se; /* too brief for the far end: its minimum, now */
		call_queue(c, K_REFRESH, c->dialog);
	} else if (!err && (resp->status == 491 || resp->status == 500)) {
		sip_timer_start(loop, &c->se_timer, glare_wait_us(), call_on_se_timer, c);
	} else {
		/* No answer, 408, 481 (§10), or refused for good: the session is lost. */
		call_expire(c);
	}
}
