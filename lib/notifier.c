/* notifier.c - the notifier side of RFC 6665 (§4.2) and of a REFER's
 * implicit subscription (RFC 3515): one subscription, in a dialog of its
 * own or in one it shares with a call. */
#include <stdlib.h>
#include <string.h>

#include "sip_int.h"
#include "ua_int.h"

struct sip_notifier {
	struct sip_ua *ua;
	sip_notifier_body_h *body;
	sip_notifier_event_h *event;
	sip_notifier_done_h *done;
	void *arg;
	unsigned long expires_max, expires_min;
	struct sip_dialog *d;
	bool own;    /* d was made for us; else it is borrowed */
	bool owning; /* an owner of d */
	char local_tag[16];
	char contact[300];
	char *user_agent;
	char package[64];
	char id[64]; /* the Event's id=, "" when none */
	bool refer;
	uint32_t refer_cseq;
	uint64_t expires_at; /* on the loop clock */
	struct sip_req *req; /* the NOTIFY out */
	bool want;           /* a NOTIFY to send once none is out */
	bool last_out;       /* the NOTIFY out is the terminated one */
	bool terminating, finished;
	char reason[64];
	enum sip_notifier_end how; /* once terminating */
	int body_err;              /* the body handler's failure that ended it */
	unsigned count;
	struct sip_timer send, expiry;
	int busy; /* handlers of ours on the stack: a free waits for them */
	bool freed;
};

/* ---- telling the caller ---- */

static void destroy(struct sip_notifier *n);

static void hold(struct sip_notifier *n)
{
	n->busy++;
}

static void release(struct sip_notifier *n)
{
	if (--n->busy == 0 && n->freed)
		destroy(n);
}

static void tell(struct sip_notifier *n, enum sip_notifier_event ev, int err,
                 const struct sip_msg *msg)
{
	if (!n->freed && n->event)
		n->event(n, ev, err, msg, n->arg);
}

/* The end: nothing goes or is answered after, and the dialog's requests
 * are no longer ours (in a dialog of our own, the stack's 481). */
static void finish(struct sip_notifier *n, enum sip_notifier_end how, int err,
                   const struct sip_msg *msg)
{
	if (n->finished || n->freed)
		return;
	n->finished = true;
	struct sip_loop *loop = sip_ua_loop(n->ua);
	sip_timer_cancel(loop, &n->send);
	sip_timer_cancel(loop, &n->expiry);
	if (n->owning)
		sip_ua_dialog_remove(n->ua, n->d, n);
	n->owning = false;
	n->done(n, how, err, msg, n->arg);
}

/* ---- NOTIFYs ---- */

static void on_send(void *arg);

/* A NOTIFY goes from the loop, unless one is out: its answer sends the next. */
static void kick(struct sip_notifier *n)
{
	n->want = true;
	if (!n->req && !n->finished && !sip_timer_armed(&n->send))
		sip_timer_start(sip_ua_loop(n->ua), &n->send, 0, on_send, n);
}

static void on_notify_done(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct sip_notifier *n = arg;
	bool last = n->last_out;
	sip_req_free(r);
	n->req = NULL;
	hold(n);
	if (last)
		finish(n, n->how, err ? err : n->body_err, resp);
	else if (err)
		finish(n, SIP_NOTIFIER_END_REJECTED, err, NULL);
	else if (resp->status >= 300)
		finish(n, SIP_NOTIFIER_END_REJECTED, 0, resp);
	else
		tell(n, SIP_NOTIFIER_NOTIFIED, 0, resp);
	if (!n->freed && !n->finished && n->want)
		kick(n);
	release(n);
}

static void send_notify(struct sip_notifier *n)
{
	struct sip_buf body;
	const char *ctype = NULL;
	sip_buf_init(&body, 0);
	int err = n->body(n, &body, &ctype, n->arg);
	if (n->freed) {
		sip_buf_reset(&body);
		return;
	}
	if (!err)
		err = body.err;
	if (!err && body.len && !ctype)
		err = SIP_EINVAL;
	if (err) {
		/* No state to send: the subscriber is still told it is over
		 * (RFC 6665 section 4.2.2), with no body, rather than left to
		 * find out at its next refresh. */
		sip_buf_reset(&body);
		n->body_err = err;
		err = 0;
		if (!n->terminating) {
			n->terminating = true;
			n->how = SIP_NOTIFIER_END_REJECTED;
			snprintf(n->reason, sizeof n->reason, "noresource");
			sip_timer_cancel(sip_ua_loop(n->ua), &n->expiry);
		}
	}
	char ev[160], ss[120];
	snprintf(ev, sizeof ev, "Event: %s%s%s", n->package, n->id[0] ? ";id=" : "", n->id);
	if (n->terminating)
		snprintf(ss, sizeof ss, "Subscription-State: terminated%s%s",
		         n->reason[0] ? ";reason=" : "", n->reason);
	else
		snprintf(ss, sizeof ss, "Subscription-State: active;expires=%lu",
		         sip_notifier_expires(n));
	struct sip_build_hdr hdrs[] = {{ev}, {ss}};
	struct sip_req_spec rs = {
		.method = "NOTIFY",
		.transport = -1,
		.contact = n->contact,
		.max_forwards = -1,
		.user_agent = n->user_agent,
		.headers = hdrs,
		.nheaders = 2,
		.content_type = body.len ? ctype : NULL,
		.body = body.p,
		.body_len = body.len,
		.dialog = n->d,
		.done = on_notify_done,
		.arg = n,
	};
	err = sip_req_start(&n->req, n->ua, &rs);
	sip_buf_reset(&body);
	if (err) {
		finish(n, SIP_NOTIFIER_END_REJECTED, err, NULL);
		return;
	}
	n->count++;
	n->last_out = n->terminating;
}

static void on_send(void *arg)
{
	struct sip_notifier *n = arg;
	if (n->finished || n->req || !n->want)
		return;
	n->want = false;
	hold(n);
	send_notify(n);
	release(n);
}

static void start_terminate(struct sip_notifier *n, const char *reason, enum sip_notifier_end how)
{
	n->terminating = true;
	n->how = how;
	snprintf(n->reason, sizeof n->reason, "%s", reason ? reason : "");
	sip_timer_cancel(sip_ua_loop(n->ua), &n->expiry);
	kick(n);
}

static void on_expiry(void *arg)
{
	struct sip_notifier *n = arg;
	start_terminate(n, "timeout", SIP_NOTIFIER_END_EXPIRED);
}

/* A REFER with Refer-Sub: false: answered, and nothing more. */
static void on_no_sub(void *arg)
{
	struct sip_notifier *n = arg;
	hold(n);
	finish(n, SIP_NOTIFIER_END_TERMINATED, 0, NULL);
	release(n);
}

/* Granted secs from now; 0 is a fetch or an unsubscribe. */
static void grant(struct sip_notifier *n, unsigned long secs)
{
	struct sip_loop *loop = sip_ua_loop(n->ua);
	n->expires_at = sip_loop_now(loop) + (uint64_t)secs * 1000000u;
	sip_timer_cancel(loop, &n->expiry);
	if (secs)
		sip_timer_start(loop, &n->expiry, (uint64_t)secs * 1000000u, on_expiry, n);
	else
		start_terminate(n, "timeout", SIP_NOTIFIER_END_UNSUBSCRIBED);
}

/* ---- SUBSCRIBEs in the dialog ---- */

/* The Expires asked for; dflt when there is none, or none that parses. */
static unsigned long asked_expires(const struct sip_msg *req, unsigned long dflt)
{
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_EXPIRES);
	uint64_t v;
	return h && sip_hdr_uint(h->value, UINT32_MAX, &v) == 0 ? (unsigned long)v : dflt;
}

/* A 2xx to a SUBSCRIBE, or a 423 (with Min-Expires: secs), or another
 * status with no header. */
static int answer(struct sip_notifier *n, struct sip_incoming *in, unsigned status,
                  unsigned long secs, const char *to_tag)
{
	char line[48];
	struct sip_build_hdr h = {line};
	struct sip_response_spec rs = {.status = status, .to_tag = to_tag};
	if (status == 423 || status == 200) {
		snprintf(line, sizeof line, "%s: %lu", status == 423 ? "Min-Expires" : "Expires",
		         secs);
		rs.headers = &h;
		rs.nheaders = 1;
	}
	if (n && status < 300)
		rs.contact = n->contact;
	return sip_incoming_respond(in, &rs);
}

/* The SUBSCRIBE names our subscription: its package and id. The first
 * REFER in a dialog of its own is refreshed with or without the id. */
static bool our_event(const struct sip_notifier *n, const struct sip_msg *req)
{
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_EVENT);
	struct sip_token_params tp;
	struct sip_str id;
	if (!h || sip_token_params_parse(&tp, h->value) != 0 ||
	    !sip_str_ieq_cstr(tp.token, n->package))
		return false;
	bool has_id = sip_param_get(tp.params, "id", &id);
	if (n->refer && !has_id)
		return n->own;
	if (n->refer) {
		uint64_t v;
		return sip_str_to_u64(id, UINT32_MAX, &v) == 0 && v == n->refer_cseq;
	}
	return n->id[0] ? has_id && sip_str_eq(id, sip_str_from(n->id)) : !has_id;
}

/* A refresh or an unsubscribe. Answered last: the answer ends the server
 * transaction, and req with it. */
static void refresh(struct sip_notifier *n, struct sip_incoming *in, const struct sip_msg *req)
{
	unsigned long asked = asked_expires(req, n->expires_max);
	if (n->terminating) {
		answer(n, in, 481, 0, NULL);
		return;
	}
	if (asked && asked < n->expires_min) {
		answer(n, in, 423, n->expires_min, NULL);
		return;
	}
	unsigned long granted = asked < n->expires_max ? asked : n->expires_max;
	sip_dialog_update(n->d, req);
	if (granted)
		tell(n, SIP_NOTIFIER_REFRESHED, 0, req);
	if (!n->freed) {
		grant(n, granted);
		kick(n);
	}
	answer(n, in, 200, granted, NULL);
}

static bool on_request(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct sip_notifier *n = arg;
	bool ours = req->method == SIP_SUBSCRIBE && our_event(n, req);
	if (!ours && !n->own)
		return false;
	hold(n);
	if (ours) {
		refresh(n, in, req);
	} else if (req->method == SIP_SUBSCRIBE) {
		answer(NULL, in, 481, 0, NULL); /* no such subscription in this dialog */
	} else {
		const struct sip_build_hdr allow = {"Allow: SUBSCRIBE"};
		struct sip_response_spec rs = {.status = 405, .headers = &allow, .nheaders = 1};
		sip_incoming_respond(in, &rs);
	}
	release(n);
	return true;
}

/* ---- the operation ---- */

/* The package and id of the request, into n. */
static int take_event(struct sip_notifier *n, const struct sip_msg *req, bool borrowed)
{
	if (n->refer) {
		snprintf(n->package, sizeof n->package, "refer");
		/* In a dialog that had requests before, the REFER's CSeq tells its
		 * subscription from others' (RFC 3515 §2.4.6). */
		if (borrowed)
			snprintf(n->id, sizeof n->id, "%lu", (unsigned long)n->refer_cseq);
		return 0;
	}
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_EVENT);
	struct sip_token_params tp;
	struct sip_str id = {"", 0};
	if (!h || sip_token_params_parse(&tp, h->value) != 0)
		return SIP_EINVAL;
	sip_param_get(tp.params, "id", &id);
	if (tp.token.len >= sizeof n->package || id.len >= sizeof n->id)
		return SIP_ETOOBIG;
	snprintf(n->package, sizeof n->package, "%.*s", SIP_STR_FMT(tp.token));
	snprintf(n->id, sizeof n->id, "%.*s", SIP_STR_FMT(id));
	return 0;
}

static bool no_refer_sub(const struct sip_msg *req)
{
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_REFER_SUB);
	return req->method == SIP_REFER && h && sip_str_ieq_cstr(sip_str_trim(h->value), "false");
}

/* Everything that can fail before the answer: on a failure, in is untouched. */
static int make(struct sip_notifier *n, struct sip_incoming *in, const struct sip_msg *req,
                const struct sip_notifier_spec *spec, bool no_sub)
{
	struct sip_cseq cs;
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_CSEQ);
	int err = h ? sip_cseq_parse(&cs, h->value) : SIP_EINVAL;
	if (err)
		return err;
	n->refer_cseq = cs.num;
	if ((err = take_event(n, req, spec->dialog != NULL)) != 0)
		return err;
	if (spec->contact && strlen(spec->contact) >= sizeof n->contact)
		return SIP_ETOOBIG;
	if (spec->contact)
		snprintf(n->contact, sizeof n->contact, "%s", spec->contact);
	else if ((err = sip_ua_contact_for(n->ua, sip_incoming_packet(in), n->contact,
	                                   sizeof n->contact)) != 0)
		return err;
	if (spec->user_agent && !(n->user_agent = sip_dup(spec->user_agent)))
		return SIP_ENOMEM;
	if (spec->dialog) {
		n->d = spec->dialog;
	} else {
		n->own = true;
		if ((err = sip_rand_token(n->local_tag, 10)) != 0 ||
		    (err = sip_dialog_new_uas(&n->d, req, n->local_tag)) != 0)
			return err;
	}
	/* Added after the dialog's other owners: asked first. */
	if (!no_sub && (err = sip_ua_dialog_add(n->ua, n->d, on_request, NULL, n)) != 0)
		return err;
	n->owning = !no_sub;
	return 0;
}

int sip_notifier_accept(struct sip_notifier **np, struct sip_ua *ua, struct sip_incoming *in,
                        const struct sip_notifier_spec *spec)
{
	const struct sip_msg *req = in ? sip_incoming_request(in) : NULL;
	if (!np || !ua || !req || !spec || !spec->body || !spec->done)
		return SIP_EINVAL;
	*np = NULL;
	const struct sip_hdr *to = sip_msg_hdr(req, SIP_HDR_TO);
	struct sip_addr ta;
	if ((req->method != SIP_SUBSCRIBE && req->method != SIP_REFER) || !to ||
	    sip_addr_parse(&ta, to->value) != 0 ||
	    (spec->dialog ? !sip_dialog_match(spec->dialog, req) : ta.tag.len != 0))
		return SIP_EINVAL;
	bool refer = req->method == SIP_REFER, no_sub = no_refer_sub(req);
	unsigned long max = spec->expires_max ? spec->expires_max : 3600;
	unsigned long asked =
		refer ? (spec->refer_expires ? spec->refer_expires : 60) : asked_expires(req, max);
	if (!refer && asked && asked < spec->expires_min)
		return answer(NULL, in, 423, spec->expires_min, NULL);
	struct sip_notifier *n = calloc(1, sizeof *n);
	if (!n)
		return SIP_ENOMEM;
	*n = (struct sip_notifier){
		.ua = ua,
		.body = spec->body,
		.event = spec->event,
		.done = spec->done,
		.arg = spec->arg,
		.expires_max = max,
		.expires_min = spec->expires_min,
		.refer = refer,
	};
	sip_timer_init(&n->send);
	sip_timer_init(&n->expiry);
	int err = make(n, in, req, spec, no_sub);
	char line[48];
	struct sip_build_hdr h = {line};
	unsigned long granted = refer || asked < max ? asked : max;
	struct sip_response_spec rs = {
		.status = refer ? 202 : 200,
		.to_tag = n->own ? n->local_tag : NULL,
		.contact = n->contact,
		.headers = &h,
		.nheaders = 1,
	};
	if (no_sub)
		snprintf(line, sizeof line, "Refer-Sub: false");
	else if (refer)
		rs.nheaders = 0; /* the duration goes in the NOTIFYs */
	else
		snprintf(line, sizeof line, "Expires: %lu", granted);
	if (!err)
		err = sip_incoming_respond(in, &rs);
	if (err) {
		destroy(n);
		return err;
	}
	if (no_sub)
		sip_timer_start(sip_ua_loop(ua), &n->send, 0, on_no_sub, n);
	else {
		grant(n, granted);
		kick(n);
	}
	*np = n;
	return 0;
}

int sip_notifier_notify(struct sip_notifier *n)
{
	if (!n || n->terminating || n->finished)
		return SIP_EINVAL;
	kick(n);
	return 0;
}

int sip_notifier_terminate(struct sip_notifier *n, const char *reason)
{
	if (!n || n->terminating || n->finished ||
	    (reason && (strlen(reason) >= sizeof n->reason || !sip_is_token(sip_str_from(reason)))))
		return SIP_EINVAL;
	start_terminate(n, reason, SIP_NOTIFIER_END_TERMINATED);
	return 0;
}

static void destroy(struct sip_notifier *n)
{
	struct sip_loop *loop = sip_ua_loop(n->ua);
	sip_timer_cancel(loop, &n->send);
	sip_timer_cancel(loop, &n->expiry);
	sip_req_free(n->req);
	if (n->owning)
		sip_ua_dialog_remove(n->ua, n->d, n);
	if (n->own)
		sip_dialog_free(n->d);
	free(n->user_agent);
	free(n);
}

void sip_notifier_free(struct sip_notifier *n)
{
	if (!n)
		return;
	if (n->busy) {
		n->freed = true;
		return;
	}
	destroy(n);
}

const char *sip_notifier_package(const struct sip_notifier *n)
{
	return n ? n->package : "";
}

unsigned long sip_notifier_expires(const struct sip_notifier *n)
{
	if (!n || n->terminating || n->finished)
		return 0;
	uint64_t now = sip_loop_now(sip_ua_loop(n->ua));
	return n->expires_at > now ? (unsigned long)((n->expires_at - now + 999999) / 1000000) : 0;
}

unsigned sip_notifier_count(const struct sip_notifier *n)
{
	return n ? n->count : 0;
}

struct sip_dialog *sip_notifier_dialog(const struct sip_notifier *n)
{
	return n ? n->d : NULL;
}
