/* sub.c - the subscriber side of RFC 6665: one SUBSCRIBE or REFER, and
 * a subscription (a dialog) for each notifier that answers it. */
#include <stdlib.h>
#include <string.h>

#include "sip_int.h"
#include "ua_int.h"

/* One subscription: the dialog one notifier made. */
struct fork {
	struct sip_sub *s;
	unsigned n;
	char *tag;       /* the notifier's: RFC 3261 sets no length */
	char reason[64]; /* why it ended */
	struct sip_dialog *d;
	struct sip_req *req; /* its refresh or unsubscribe */
	unsigned long granted, asked;
	bool ended, notified, unsubscribing;
	int pend_err; /* an unsubscribe that could not go, told from the loop */
	struct sip_timer refresh, wait;
};

struct sip_sub {
	struct sip_ua *ua;
	struct sip_sub_spec spec; /* its strings point into text */
	char *text;
	struct sip_build_hdr *hdrs; /* room for ours and the caller's */
	const struct sip_build_hdr *caller;
	char event_type[64]; /* the package, for telling NOTIFYs apart */
	struct sip_str event_id;
	char uri_buf[512], proxy_buf[512];
	struct sip_uri uri, proxy;
	struct sip_target targets[SIP_RESOLVE_MAX];
	size_t ntargets;
	char call_id[40], from_tag[20];
	uint32_t cseq;
	unsigned long expires; /* asked for in the first request */
	struct sip_req *req;   /* the first request */
	struct fork **forks;
	unsigned nforks, capforks;
	uint64_t forks_until; /* new forks are made until then, on the loop clock */
	bool answered;        /* the first request got its 2xx */
	bool stopping, finished, accepting;
	bool owning;  /* an owner of spec.dialog, beside whoever else is */
	bool idless;  /* NOTIFYs of the refer package without id are ours */
	bool claimed; /* the first request has gone once: idless is known */
	int busy;     /* handlers of ours on the stack: a free waits for them */
	bool freed;
	int last_err;
	char why[160]; /* why the NOTIFY being refused is (sip_sub_notify_why) */
};

static int send_first(struct sip_sub *s);
static void fork_subscribe(struct fork *f);

/* In a dialog the caller lent (a call's): one subscription, in it. */
static bool shared(const struct sip_sub *s)
{
	return s->spec.dialog != NULL;
}

/* ---- Subscription-State ---- */

static long param_seconds(struct sip_str params, const char *name)
{
	struct sip_str v;
	uint64_t x;
	if (!sip_param_get(params, name, &v) || sip_str_to_u64(v, UINT32_MAX, &x) != 0)
		return -1;
	return (long)x;
}

int sip_substate_parse(struct sip_substate_hdr *ss, struct sip_str value)
{
	struct sip_token_params tp;
	if (!ss)
		return SIP_EINVAL;
	int err = sip_token_params_parse(&tp, value);
	if (err)
		return err;
	memset(ss, 0, sizeof *ss);
	ss->value = tp.token;
	ss->state = sip_str_ieq_cstr(tp.token, "active")       ? SIP_SUBSTATE_ACTIVE
	            : sip_str_ieq_cstr(tp.token, "pending")    ? SIP_SUBSTATE_PENDING
	            : sip_str_ieq_cstr(tp.token, "terminated") ? SIP_SUBSTATE_TERMINATED
	                                                       : SIP_SUBSTATE_OTHER;
	if (!sip_param_get(tp.params, "reason", &ss->reason))
		ss->reason = (struct sip_str){"", 0};
	ss->expires = param_seconds(tp.params, "expires");
	ss->retry_after = param_seconds(tp.params, "retry-after");
	return 0;
}

/* ---- telling the caller ---- */

/* Our own handlers hold s while they run; a free from inside waits for
 * the last of them. */
static void destroy(struct sip_sub *s);

static void hold(struct sip_sub *s)
{
	s->busy++;
}

static void release(struct sip_sub *s)
{
	if (--s->busy == 0 && s->freed)
		destroy(s);
}

/* False when the caller freed s meanwhile: nothing more is done for it. */
static bool tell(struct sip_sub *s, enum sip_sub_event ev, unsigned n, int err,
                 const struct sip_msg *msg)
{
	if (!s->freed && s->spec.event_h)
		s->spec.event_h(s, ev, n, err, msg, s->spec.arg);
	return !s->freed;
}

static void finish(struct sip_sub *s, int err, const struct sip_msg *resp)
{
	if (s->finished || s->freed)
		return;
	s->finished = true;
	s->spec.done(s, err, resp, s->spec.arg);
}

/* Every subscription made has ended, and the first request can make no more. */
static void maybe_finish(struct sip_sub *s)
{
	if (!s->answered || s->finished)
		return;
	for (unsigned i = 0; i < s->nforks; i++)
		if (!s->forks[i]->ended)
			return;
	finish(s, s->last_err, NULL);
}

/* ---- subscriptions ---- */

static void fork_drop(struct fork *f)
{
	struct sip_loop *loop = sip_ua_loop(f->s->ua);
	sip_timer_cancel(loop, &f->refresh);
	sip_timer_cancel(loop, &f->wait);
	sip_req_free(f->req);
	f->req = NULL;
	/* A lent dialog stays its owner's. */
	if (f->d && !shared(f->s)) {
		sip_ua_dialog_remove(f->s->ua, f->d, f);
		sip_dialog_free(f->d);
	}
	f->d = NULL;
}

/* Ends f; false when the caller freed s from the handler. */
static bool fork_end(struct fork *f, int err, struct sip_str reason, const struct sip_msg *msg)
{
	struct sip_sub *s = f->s;
	if (f->ended)
		return true;
	f->ended = true;
	fork_drop(f);
	snprintf(f->reason, sizeof f->reason, "%.*s", SIP_STR_FMT(reason));
	s->last_err = err;
	if (!tell(s, SIP_SUB_ENDED, f->n, err, msg))
		return false;
	maybe_finish(s);
	return !s->freed;
}

static bool fork_end_err(struct fork *f, int err)
{
	return fork_end(f, err, sip_str_from(err == SIP_ETIMEDOUT ? "timeout" : sip_strerror(err)),
	                NULL);
}

static bool fork_end_status(struct fork *f, const struct sip_msg *resp)
{
	char code[8];
	snprintf(code, sizeof code, "%u", resp->status);
	return fork_end(f, 0, sip_str_from(code), resp);
}

static void on_refresh(void *arg)
{
	fork_subscribe(arg);
}

static void on_wait(void *arg)
{
	struct fork *f = arg;
	struct sip_sub *s = f->s;
	hold(s);
	fork_end_err(f, f->pend_err ? f->pend_err : SIP_ETIMEDOUT);
	release(s);
}

static uint64_t wait_us(const struct sip_sub *s)
{
	return 64 * sip_ua_t1(s->ua);
}

/* The notifier granted secs: refresh before they run out. */
static void fork_granted(struct fork *f, unsigned long secs)
{
	f->granted = secs;
	sip_timer_cancel(sip_ua_loop(f->s->ua), &f->refresh);
	if (secs && !f->unsubscribing && !f->s->stopping)
		sip_timer_start(sip_ua_loop(f->s->ua), &f->refresh, sip_ua_refresh_us(secs),
		                on_refresh, f);
}

static bool on_dialog_request(struct sip_incoming *in, const struct sip_msg *req, void *arg);

/* A subscription made by the 2xx (resp) or by a NOTIFY (notify). */
static int fork_new(struct sip_sub *s, const struct sip_msg *resp, const struct sip_msg *notify,
                    struct fork **fp)
{
	struct sip_addr a;
	const struct sip_hdr *h =
		sip_msg_hdr(resp ? resp : notify, resp ? SIP_HDR_TO : SIP_HDR_FROM);
	/* A notifier that names itself by no tag makes no dialog (§4.1.2.2). */
	if (!h || sip_addr_parse(&a, h->value) != 0 || !a.tag.len)
		return SIP_ESYNTAX;
	if (s->nforks == s->capforks) {
		unsigned cap = s->capforks ? 2 * s->capforks : 4;
		struct fork **fs = realloc(s->forks, cap * sizeof *fs);
		if (!fs)
			return SIP_ENOMEM;
		s->forks = fs;
		s->capforks = cap;
	}
	struct fork *f = calloc(1, sizeof *f);
	if (!f || !(f->tag = malloc(a.tag.len + 1))) {
		free(f);
		return SIP_ENOMEM;
	}
	f->s = s;
	memcpy(f->tag, a.tag.p, a.tag.len);
	f->tag[a.tag.len] = '\0';
	f->asked = s->expires;
	sip_timer_init(&f->refresh);
	sip_timer_init(&f->wait);
	int err = 0;
	if (shared(s)) {
		/* Its requests reach us through the sub, an owner of the dialog
		 * from the start. */
		f->d = s->spec.dialog;
	} else if (resp) {
		err = sip_dialog_new_uac(&f->d, sip_req_message(s->req), resp);
	} else {
		/* The NOTIFY's Record-Route in order is the route set (§4.1.2.4);
		 * our CSeq goes on from the first request's. */
		err = sip_dialog_new_uas(&f->d, notify, s->from_tag);
		if (!err)
			sip_dialog_set_local_cseq(f->d, sip_req_cseq(s->req));
	}
	if (!err && !shared(s))
		err = sip_ua_dialog_add(s->ua, f->d, on_dialog_request, NULL, f);
	if (err) {
		if (!shared(s))
			sip_dialog_free(f->d);
		free(f->tag);
		free(f);
		return err;
	}
	/* A forked SUBSCRIBE reaches every branch within 64*T1 of going
	 * (Timer F), and each notifier sends its NOTIFY at once (§4.2.1.2):
	 * counted from the first answer, which came after it went, the window
	 * holds every fork's first NOTIFY, as Timer M holds an INVITE's forked
	 * 2xx (RFC 6026). */
	if (!s->nforks)
		s->forks_until = sip_loop_now(sip_ua_loop(s->ua)) + wait_us(s);
	s->forks[s->nforks++] = f;
	f->n = s->nforks;
	*fp = f;
	return 0;
}

static struct fork *fork_find(struct sip_sub *s, struct sip_str tag)
{
	for (unsigned i = 0; i < s->nforks; i++)
		if (sip_str_eq(tag, sip_str_from(s->forks[i]->tag)))
			return s->forks[i];
	return NULL;
}

/* ---- the requests ---- */

/* Our header lines and then the caller's, into s->hdrs; their count. */
static size_t headers(struct sip_sub *s, bool refresh, unsigned long expires, char *event,
                      size_t evcap, char *exp, size_t expcap)
{
	const struct sip_sub_spec *sp = &s->spec;
	size_t n = 0;
	if (sp->refer && !refresh) {
		s->hdrs[n++].line = s->text; /* "Refer-To: ..." */
		if (sp->no_refer_sub)
			s->hdrs[n++].line = "Refer-Sub: false";
	} else {
		/* A REFER's subscription is refreshed as the refer package with
		 * the REFER's CSeq as id (RFC 3515 §2.4.6). */
		if (sp->refer)
			snprintf(event, evcap, "Event: refer;id=%lu",
			         (unsigned long)sip_req_cseq(s->req));
		else
			snprintf(event, evcap, "Event: %s", sp->event);
		s->hdrs[n++].line = event;
		snprintf(exp, expcap, "Expires: %lu", expires);
		s->hdrs[n++].line = exp;
		if (sp->accept)
			s->hdrs[n++].line = sp->accept;
	}
	for (size_t i = 0; i < sp->nheaders; i++)
		s->hdrs[n++] = s->caller[i];
	return n;
}

static void on_auth(struct sip_req *r, const struct sip_challenge *ch, void *arg)
{
	struct sip_sub *s = arg;
	s->spec.auth(r, ch, s->spec.arg);
}

static void on_fork_auth(struct sip_req *r, const struct sip_challenge *ch, void *arg)
{
	struct fork *f = arg;
	on_auth(r, ch, f->s);
}

static void on_failover(struct sip_req *r, int err, const struct sip_target *from,
                        const struct sip_target *next, void *arg)
{
	struct sip_sub *s = arg;
	if (s->spec.failover)
		s->spec.failover(r, err, from, next, s->spec.arg);
}

static unsigned long min_expires(const struct sip_msg *resp)
{
	const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_MIN_EXPIRES);
	uint64_t v;
	return h && sip_hdr_uint(h->value, UINT32_MAX, &v) == 0 ? (unsigned long)v : 0;
}

/* The Expires of a 2xx; dflt when it has none. */
static unsigned long resp_expires(const struct sip_msg *resp, unsigned long dflt)
{
	const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_EXPIRES);
	uint64_t v;
	return h && sip_hdr_uint(h->value, UINT32_MAX, &v) == 0 ? (unsigned long)v : dflt;
}

static void on_fork_done(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct fork *f = arg;
	struct sip_sub *s = f->s;
	(void)r;
	hold(s);
	if (err) {
		fork_end_err(f, err);
	} else if (resp->status == 423 && !f->unsubscribing && min_expires(resp) > f->asked) {
		f->asked = min_expires(resp);
		if (tell(s, SIP_SUB_TOO_BRIEF, f->n, 0, resp))
			fork_subscribe(f);
	} else if (resp->status >= 200 && resp->status < 300) {
		sip_dialog_update(f->d, resp);
		/* An unsubscribe waits on for the final NOTIFY. */
		if (!f->unsubscribing) {
			fork_granted(f, resp_expires(resp, f->asked));
			tell(s, SIP_SUB_REFRESHED, f->n, 0, resp);
		}
	} else if (resp->status == 481) {
		fork_end(f, 0, SIP_STR("481"), resp);
	} else {
		fork_end_status(f, resp);
	}
	release(s);
}

/* What every SUBSCRIBE or REFER of s says alike, with the nh headers in s->hdrs. */
static void req_spec(const struct sip_sub *s, size_t nh, struct sip_req_spec *rs)
{
	const struct sip_sub_spec *sp = &s->spec;
	*rs = (struct sip_req_spec){
		.proxy = sp->proxy ? &s->proxy : NULL,
		.transport = sp->transport,
		.family = sp->family,
		.contact = sp->contact,
		.contact_user = sp->contact_user,
		.max_forwards = sp->max_forwards,
		.user_agent = sp->user_agent,
		.headers = s->hdrs,
		.nheaders = nh,
		.timeout_us = sp->timeout_us,
		.account = sp->account,
		.failover = on_failover,
	};
}

/* A refresh, or the unsubscribe once f->unsubscribing: a SUBSCRIBE in
 * f's dialog, in place of the one before. */
static void fork_subscribe(struct fork *f)
{
	struct sip_sub *s = f->s;
	const struct sip_sub_spec *sp = &s->spec;
	char event[300], exp[40];
	sip_req_free(f->req);
	f->req = NULL;
	/* A REFER asked for no duration: its refresh asks for what it got. */
	unsigned long want = f->asked ? f->asked : f->granted;
	size_t nh =
		headers(s, true, f->unsubscribing ? 0 : want, event, sizeof event, exp, sizeof exp);
	struct sip_req_spec rs;
	req_spec(s, nh, &rs);
	rs.method = "SUBSCRIBE";
	rs.dialog = f->d;
	rs.done = on_fork_done;
	rs.auth = sp->auth ? on_fork_auth : NULL;
	rs.arg = f;
	int err = sip_req_start(&f->req, s->ua, &rs);
	if (err) {
		/* Told from the loop, as a failure the request itself had would be. */
		f->pend_err = err;
		sip_timer_start(sip_ua_loop(s->ua), &f->wait, 0, on_wait, f);
	}
}

static void fork_unsubscribe(struct fork *f)
{
	if (f->ended || f->unsubscribing)
		return;
	f->unsubscribing = true;
	sip_timer_cancel(sip_ua_loop(f->s->ua), &f->refresh);
	/* The final NOTIFY gets as long as a transaction has (§4.1.2.3). */
	sip_timer_start(sip_ua_loop(f->s->ua), &f->wait, wait_us(f->s), on_wait, f);
	fork_subscribe(f);
}

/* Ends every live subscription, as the first request's failure does. */
static bool end_all(struct sip_sub *s, int err, const struct sip_msg *resp)
{
	for (unsigned i = 0; i < s->nforks; i++) {
		struct fork *f = s->forks[i];
		if (!f->ended && !(resp ? fork_end_status(f, resp) : fork_end_err(f, err)))
			return false;
	}
	return true;
}

static void on_first_2xx(struct sip_sub *s, const struct sip_msg *resp)
{
	s->answered = true;
	if (s->spec.refer && s->spec.no_refer_sub) {
		finish(s, 0, resp);
		return;
	}
	struct sip_addr to;
	const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_TO);
	struct fork *f = NULL;
	if (h && sip_addr_parse(&to, h->value) == 0)
		f = fork_find(s, to.tag);
	int err = 0;
	if (!f) {
		err = fork_new(s, resp, NULL, &f);
		/* No NOTIFY at all within 64*T1 and the subscription is gone
		 * (§4.1.2.4). */
		if (!err)
			sip_timer_start(sip_ua_loop(s->ua), &f->wait, wait_us(s), on_wait, f);
	} else if (!f->ended) {
		/* The SUBSCRIBE may have gone again (a challenge) since the
		 * NOTIFY made the dialog: its CSeq is used. */
		sip_dialog_set_local_cseq(f->d, sip_req_cseq(s->req));
		sip_dialog_update(f->d, resp);
	}
	if (err) {
		/* A 2xx we cannot hold a dialog for: nothing to refresh or end. */
		if (end_all(s, err, NULL))
			finish(s, err, resp);
		return;
	}
	/* Expires in the 2xx is the duration granted (§4.1.2.1); a REFER's
	 * comes with its NOTIFYs. */
	if (!f->ended && (!s->spec.refer || sip_msg_hdr(resp, SIP_HDR_EXPIRES)))
		fork_granted(f, resp_expires(resp, s->expires));
	if (!tell(s, SIP_SUB_ACCEPTED, f->n, 0, resp))
		return;
	if (s->stopping)
		fork_unsubscribe(f);
	maybe_finish(s);
}

static void on_first_done(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct sip_sub *s = arg;
	hold(s);
	s->cseq = sip_req_cseq(r) + 1;
	unsigned long min = resp ? min_expires(resp) : 0;
	if (err) {
		if (end_all(s, err, NULL))
			finish(s, err, NULL);
	} else if (resp->status == 423 && !s->spec.refer && min > s->expires && !s->stopping) {
		s->expires = min;
		if (tell(s, SIP_SUB_TOO_BRIEF, 0, 0, resp) && (err = send_first(s)) != 0)
			finish(s, err, NULL);
	} else if (resp->status >= 200 && resp->status < 300) {
		on_first_2xx(s, resp);
	} else if (end_all(s, 0, resp)) {
		finish(s, 0, resp);
	}
	release(s);
}

static int send_first(struct sip_sub *s)
{
	const struct sip_sub_spec *sp = &s->spec;
	char event[300], exp[40];
	if (s->req && sip_req_cseq(s->req) >= s->cseq)
		s->cseq = sip_req_cseq(s->req) + 1;
	sip_req_free(s->req);
	s->req = NULL;
	/* The first REFER in a dialog owns the NOTIFYs that name no id
	 * (RFC 3515 §2.4.6); one with a dialog of its own is the first. */
	if (!s->claimed)
		s->idless = !shared(s) || (sp->refer && sip_dialog_first_refer(sp->dialog));
	s->claimed = true;
	size_t nh = headers(s, false, s->expires, event, sizeof event, exp, sizeof exp);
	struct sip_req_spec rs;
	req_spec(s, nh, &rs);
	rs.method = sp->refer ? "REFER" : "SUBSCRIBE";
	rs.targets = s->ntargets ? s->targets : NULL;
	rs.ntargets = s->ntargets;
	if (shared(s)) {
		rs.dialog = sp->dialog;
	} else {
		rs.uri = &s->uri;
		rs.from = sp->from;
		rs.from_tag = s->from_tag;
		rs.to = sp->to;
		rs.call_id = s->call_id;
		rs.cseq = s->cseq;
	}
	rs.done = on_first_done;
	rs.auth = sp->auth ? on_auth : NULL;
	rs.arg = s;
	return sip_req_start(&s->req, s->ua, &rs);
}

/* ---- NOTIFYs ---- */

/* The NOTIFY is of our package (and our id, when there is one; the
 * NOTIFYs of the first REFER in a dialog may leave it out). */
static bool our_event(const struct sip_sub *s, const struct sip_msg *req)
{
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_EVENT);
	struct sip_token_params tp;
	struct sip_str id;
	if (!h || sip_token_params_parse(&tp, h->value) != 0 ||
	    !sip_str_ieq_cstr(tp.token, s->event_type))
		return false;
	bool has_id = sip_param_get(tp.params, "id", &id);
	if (s->spec.refer) {
		uint64_t v;
		if (!has_id)
			return s->idless;
		return sip_str_to_u64(id, UINT32_MAX, &v) == 0 && v == sip_req_cseq(s->req);
	}
	return s->event_id.len ? has_id && sip_str_eq(id, s->event_id) : !has_id;
}

static void answer(struct sip_incoming *in, unsigned status)
{
	struct sip_response_spec rs = {.status = status};
	sip_incoming_respond(in, &rs);
}

/* Refuses the NOTIFY req (of subscription n, or 0 for none) with status,
 * the caller told first, with why (and ": detail" when given) for
 * sip_sub_notify_why while it is. */
static void refuse(struct sip_sub *s, unsigned n, struct sip_incoming *in,
                   const struct sip_msg *req, unsigned status, const char *why, const char *detail)
{
	snprintf(s->why, sizeof s->why, "%s%s%s", why, detail ? ": " : "", detail ? detail : "");
	tell(s, SIP_SUB_NOTIFY_REJECTED, n, (int)status, req);
	s->why[0] = '\0';
	answer(in, status);
}

/* What is wrong with the Event of a NOTIFY that our_event refused, in buf. */
static const char *event_mismatch(const struct sip_sub *s, const struct sip_msg *req, char *buf,
                                  size_t cap)
{
	if (!sip_msg_hdr(req, SIP_HDR_EVENT))
		return "no Event";
	if (s->spec.refer)
		snprintf(buf, cap, "an Event other than refer;id=%lu",
		         (unsigned long)sip_req_cseq(s->req));
	else
		snprintf(buf, cap, "an Event other than %s%s%.*s", s->event_type,
		         s->event_id.len ? ";id=" : "", SIP_STR_FMT(s->event_id));
	return buf;
}

/* A NOTIFY of f, or of a subscription it makes when f is NULL. Answered
 * last: the answer ends the server transaction, and req with it. */
static void take_notify(struct sip_sub *s, struct fork *f, struct sip_incoming *in,
                        const struct sip_msg *req)
{
	struct sip_substate_hdr st;
	const struct sip_hdr *ssh = sip_msg_hdr(req, SIP_HDR_SUBSCRIPTION_STATE);
	unsigned n = f ? f->n : 0;
	char ev[128];
	if (!our_event(s, req)) {
		refuse(s, n, in, req, 489, event_mismatch(s, req, ev, sizeof ev), NULL);
		return;
	}
	if (!ssh || sip_substate_parse(&st, ssh->value) != 0) {
		refuse(s, n, in, req, 400,
		       ssh ? "a Subscription-State that does not parse" : "no Subscription-State",
		       NULL);
		return;
	}
	int err = f ? sip_dialog_update(f->d, req) : fork_new(s, NULL, req, &f);
	if (err) {
		bool untagged = !f && err == SIP_ESYNTAX;
		refuse(s, n, in, req, err == SIP_ENOMEM ? 500 : 400,
		       untagged ? "no From tag"
		       : f      ? "cannot update its dialog"
		                : "cannot make its dialog",
		       untagged ? NULL : sip_strerror(err));
		return;
	}
	f->notified = true;
	if (!f->unsubscribing)
		sip_timer_cancel(sip_ua_loop(s->ua), &f->wait);
	/* A terminated one is no longer to be refreshed or unsubscribed, even
	 * by a stop from inside the handler. */
	if (st.state == SIP_SUBSTATE_TERMINATED)
		f->unsubscribing = true;
	else if (st.expires >= 0)
		fork_granted(f, (unsigned long)st.expires);
	if (s->spec.notify)
		s->spec.notify(s, f->n, req, &st, s->spec.arg);
	if (!s->freed && st.state == SIP_SUBSTATE_TERMINATED)
		fork_end(f, 0, st.reason, req);
	answer(in, 200);
}

/* NOTIFYs that no dialog takes: the first of each notifier. */
static bool on_notify(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct sip_sub *s = arg;
	const struct sip_hdr *id = sip_msg_hdr(req, SIP_HDR_CALL_ID);
	const struct sip_hdr *to = sip_msg_hdr(req, SIP_HDR_TO);
	const struct sip_hdr *from = sip_msg_hdr(req, SIP_HDR_FROM);
	struct sip_addr ta, fa;
	if (s->finished || !id || !to || !from ||
	    !sip_str_eq(id->value, sip_str_from(s->call_id)) ||
	    sip_addr_parse(&ta, to->value) != 0 || sip_addr_parse(&fa, from->value) != 0 ||
	    !sip_str_eq(ta.tag, sip_str_from(s->from_tag)))
		return false;
	/* A notifier that has ended, or a new one after a stop or after the
	 * forks had their time: no subscription. */
	struct fork *f = fork_find(s, fa.tag);
	hold(s);
	if (f)
		refuse(s, f->n, in, req, 481, "its subscription has ended", NULL);
	else if (s->stopping)
		refuse(s, 0, in, req, 481, "a new subscription after the unsubscribe", NULL);
	else if (s->nforks && sip_loop_now(sip_ua_loop(s->ua)) > s->forks_until)
		refuse(s, 0, in, req, 481, "a new notifier, after the 64*T1 given to forks", NULL);
	else
		take_notify(s, NULL, in, req);
	release(s);
	return true;
}

static bool on_dialog_request(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct fork *f = arg;
	struct sip_sub *s = f->s;
	if (req->method != SIP_NOTIFY)
		return false;
	hold(s);
	take_notify(s, f, in, req);
	release(s);
	return true;
}

/* A request in the lent dialog: the NOTIFYs of our package and id are
 * ours while the subscription lives (the first one makes it); everything
 * else is for the dialog's other owners. */
static bool on_shared_request(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct sip_sub *s = arg;
	struct fork *f = s->nforks ? s->forks[0] : NULL;
	if (req->method != SIP_NOTIFY || s->finished || (f && f->ended) || !our_event(s, req))
		return false;
	hold(s);
	if (!f && s->stopping) /* as a new fork after a stop is */
		refuse(s, 0, in, req, 481, "a new subscription after the unsubscribe", NULL);
	else
		take_notify(s, f, in, req);
	release(s);
	return true;
}

/* ---- the operation ---- */

static int keep_spec(struct sip_sub *s, const struct sip_sub_spec *spec)
{
	const char *strs[] = {spec->from,         spec->to,         spec->contact,
	                      spec->contact_user, spec->user_agent, spec->event};
	size_t n = 1 + (spec->refer ? strlen("Refer-To: ") + strlen(spec->refer_to) + 1 : 0) +
	           (spec->accept ? strlen("Accept: ") + strlen(spec->accept) + 1 : 0);
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		n += strs[i] ? strlen(strs[i]) + 1 : 0;
	for (size_t i = 0; i < spec->nheaders; i++)
		n += strlen(spec->headers[i].line) + 1;
	if (!(s->text = malloc(n)) ||
	    !(s->hdrs = malloc((spec->nheaders * 2 + 4) * sizeof *s->hdrs)))
		return SIP_ENOMEM;
	char *o = s->text;
	/* The Refer-To line first: headers() finds it at text. */
	if (spec->refer) {
		const char *p[] = {"Refer-To: ", spec->refer_to};
		size_t len = (size_t)sip_join(o, n, p, 2);
		o += len + 1;
	}
	s->spec = *spec;
	if (spec->accept) {
		const char *p[] = {"Accept: ", spec->accept};
		s->spec.accept = o;
		o += (size_t)sip_join(o, n - (size_t)(o - s->text), p, 2) + 1;
	}
	s->spec.from = sip_put_str(&o, spec->from);
	s->spec.to = sip_put_str(&o, spec->to);
	s->spec.contact = sip_put_str(&o, spec->contact);
	s->spec.contact_user = sip_put_str(&o, spec->contact_user);
	s->spec.user_agent = sip_put_str(&o, spec->user_agent);
	s->spec.event = sip_put_str(&o, spec->event);
	s->spec.refer_to = NULL;
	/* The caller's lines go after ours: hdrs has room for both. */
	struct sip_build_hdr *caller = s->hdrs + 4 + spec->nheaders;
	for (size_t i = 0; i < spec->nheaders; i++)
		caller[i].line = sip_put_str(&o, spec->headers[i].line);
	s->caller = caller;
	s->spec.headers = NULL;
	s->spec.targets = NULL;
	s->spec.uri = s->spec.proxy = NULL;
	struct sip_token_params tp;
	const char *ev = spec->refer ? "refer" : spec->event;
	if (sip_token_params_parse(&tp, sip_str_from(ev)) != 0 ||
	    tp.token.len >= sizeof s->event_type)
		return SIP_EINVAL;
	memcpy(s->event_type, tp.token.p, tp.token.len);
	if (!spec->refer && !sip_param_get(tp.params, "id", &s->event_id))
		s->event_id = (struct sip_str){"", 0};
	int err = spec->uri ? sip_uri_copy(spec->uri, s->uri_buf, sizeof s->uri_buf, &s->uri) : 0;
	if (!err && spec->proxy)
		err = sip_uri_copy(spec->proxy, s->proxy_buf, sizeof s->proxy_buf, &s->proxy);
	return err;
}

int sip_sub_start(struct sip_sub **sp, struct sip_ua *ua, const struct sip_sub_spec *spec)
{
	if (!sp || !ua || !spec || (!spec->uri && !spec->dialog) || !spec->done ||
	    spec->ntargets > SIP_RESOLVE_MAX || (spec->refer ? !spec->refer_to : !spec->event) ||
	    (spec->event && strlen(spec->event) > 250))
		return SIP_EINVAL;
	*sp = NULL;
	struct sip_sub *s = calloc(1, sizeof *s);
	if (!s)
		return SIP_ENOMEM;
	s->ua = ua;
	s->expires = spec->expires;
	s->cseq = 1;
	if (spec->ntargets) /* none in a dialog: its next hop */
		memcpy(s->targets, spec->targets, spec->ntargets * sizeof *spec->targets);
	s->ntargets = spec->ntargets;
	int err = keep_spec(s, spec);
	if (!err)
		err = sip_call_id_init(s->call_id, sizeof s->call_id, spec->call_id);
	if (!err)
		err = sip_rand_token(s->from_tag, 12);
	if (!err && !(spec->refer && spec->no_refer_sub) && spec->dialog) {
		/* Added after the dialog's owner: asked first. */
		err = sip_ua_dialog_add(ua, spec->dialog, on_shared_request, NULL, s);
		s->owning = !err;
	} else if (!err && !(spec->refer && spec->no_refer_sub)) {
		err = sip_ua_accept(ua, "NOTIFY", on_notify, s);
		s->accepting = !err;
	}
	if (!err)
		err = send_first(s);
	if (err) {
		destroy(s);
		return err;
	}
	*sp = s;
	return 0;
}

int sip_sub_stop(struct sip_sub *s)
{
	if (!s || s->finished || s->stopping)
		return SIP_EINVAL;
	s->stopping = true;
	/* Not finished: a subscription lives, or the first request is under
	 * way and its 2xx makes what is to be unsubscribed. */
	for (unsigned i = 0; i < s->nforks; i++)
		fork_unsubscribe(s->forks[i]);
	return 0;
}

static void destroy(struct sip_sub *s)
{
	if (s->accepting)
		sip_ua_accept_remove(s->ua, on_notify, s);
	if (s->owning)
		sip_ua_dialog_remove(s->ua, s->spec.dialog, s);
	for (unsigned i = 0; i < s->nforks; i++) {
		fork_drop(s->forks[i]);
		free(s->forks[i]->tag);
		free(s->forks[i]);
	}
	free(s->forks);
	sip_req_free(s->req);
	free(s->hdrs);
	free(s->text);
	free(s);
}

void sip_sub_free(struct sip_sub *s)
{
	if (!s)
		return;
	if (s->busy) {
		s->freed = true;
		return;
	}
	destroy(s);
}

static const struct fork *nth(const struct sip_sub *s, unsigned n)
{
	return s && n >= 1 && n <= s->nforks ? s->forks[n - 1] : NULL;
}

unsigned long sip_sub_expires(const struct sip_sub *s, unsigned n)
{
	const struct fork *f = nth(s, n);
	return f ? f->granted : 0;
}

unsigned sip_sub_count(const struct sip_sub *s)
{
	return s ? s->nforks : 0;
}

bool sip_sub_active(const struct sip_sub *s, unsigned n)
{
	const struct fork *f = nth(s, n);
	return f && !f->ended;
}

const char *sip_sub_reason(const struct sip_sub *s, unsigned n)
{
	const struct fork *f = nth(s, n);
	return f ? f->reason : "";
}

const char *sip_sub_notify_why(const struct sip_sub *s)
{
	return s ? s->why : "";
}

const char *sip_sub_tag(const struct sip_sub *s, unsigned n)
{
	const struct fork *f = nth(s, n);
	return f ? f->tag : "";
}

struct sip_req *sip_sub_request(const struct sip_sub *s)
{
	return s ? s->req : NULL;
}
