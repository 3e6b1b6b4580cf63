/* listen_state.c - the subscribers of `sip listen` (RFC 6665 notifier):
 * presence (open; on the phone while a call is up, RFC 4480), dialog
 * (RFC 4235: its calls as a BLF key sees them) and message-summary
 * (RFC 3842: the MESSAGEs it received), each told the new state as it
 * changes, refreshed and unsubscribed as the subscriber asks, and sent a
 * terminated NOTIFY when the listener ends. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "listen.h"

static const struct package {
	const char *name;
	const char *type; /* the body's */
	unsigned changes; /* LISTEN_CALLS, LISTEN_MESSAGES */
} packages[] = {
	{"presence", "application/pidf+xml", LISTEN_CALLS},
	{"dialog", "application/dialog-info+xml", LISTEN_CALLS},
	{"message-summary", "application/simple-message-summary", LISTEN_MESSAGES},
};

static const struct package *package_of(const char *name)
{
	for (size_t i = 0; i < sizeof packages / sizeof packages[0]; i++)
		if (strcmp(packages[i].name, name) == 0)
			return &packages[i];
	return NULL;
}

unsigned listen_subs_live(const struct listener *ls)
{
	unsigned n = 0;
	for (size_t i = 0; i < LISTEN_MAX_SUBS; i++)
		n += ls->subs[i] != NULL;
	return n;
}

static void say(struct lsub *s, const char *event, const char *fmt, ...) SIP_PRINTF(3, 4);
static void say(struct lsub *s, const char *event, const char *fmt, ...)
{
	char lab[32], fields[800], jf[700];
	va_list ap;
	snprintf(lab, sizeof lab, "Sub %u:", s->n);
	snprintf(fields, sizeof fields,
	         ",\"subscription\":%u,\"event\":\"%s\",\"package\":\"%s\",\"from\":%s", s->n,
	         event, s->package, listen_jstr(jf, sizeof jf, s->from));
	va_start(ap, fmt);
	listen_vsay(s->ls, lab, "subscription", fields, fmt, ap);
	va_end(ap);
}

/* ---- the state, as each package says it ---- */

static int presence_body(struct lsub *s, struct sip_buf *body)
{
	bool busy = listen_busy(s->ls);
	s->busy_sent = busy;
	struct sip_pidf_spec p = {
		.entity = s->entity,
		.open = true,
		.note = busy ? "On the phone" : "Available",
		.activity = busy ? "on-the-phone" : NULL,
	};
	return sip_pidf_build(body, &p);
}

/* A caller's Call-ID or tag as dialog-info can carry it: a control
 * character would make no body at all, and the subscription would end. */
static const char *xml_ok(const char *s)
{
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return NULL;
	return *s ? s : NULL;
}

/* A dialog of RFC 4235 for a call: its id "callN", tags, direction, state. */
static struct sip_dialoginfo_dialog_spec dialog_of(const struct lsub *s, char *id, size_t cap,
                                                   const struct lcall_id *c, enum lcall_phase phase)
{
	static const char *const states[] = {
		[LCALL_TRYING] = "trying",
		[LCALL_EARLY] = "early",
		[LCALL_CONFIRMED] = "confirmed",
		[LCALL_TERMINATED] = "terminated",
	};
	snprintf(id, cap, "call%u", c->n);
	return (struct sip_dialoginfo_dialog_spec){
		.id = id,
		.call_id = xml_ok(c->call_id),
		.local_tag = xml_ok(c->local_tag),
		.remote_tag = xml_ok(c->remote_tag),
		.direction = c->outgoing ? "initiator" : "recipient",
		.state = states[phase],
		.local = s->entity,
		.remote = c->peer[0] ? c->peer : NULL,
	};
}

/* The calls up, and those ended since the last NOTIFY as terminated. */
static int dialog_body(struct lsub *s, struct sip_buf *body)
{
	const struct listener *ls = s->ls;
	enum { NGONE = sizeof ls->gone / sizeof ls->gone[0] };
	struct sip_dialoginfo_dialog_spec d[LISTEN_MAX_CALLS + NGONE];
	char ids[LISTEN_MAX_CALLS + NGONE][16];
	size_t n = 0;
	for (size_t i = 0; i < LISTEN_MAX_CALLS; i++) {
		const struct lcall *lc = ls->calls[i];
		if (lc) {
			d[n] = dialog_of(s, ids[n], sizeof ids[n], &lc->id, lc->phase);
			n++;
		}
	}
	unsigned long from = s->gone_seen + NGONE < ls->ngone ? ls->ngone - NGONE : s->gone_seen;
	for (unsigned long i = from; i < ls->ngone; i++) {
		d[n] = dialog_of(s, ids[n], sizeof ids[n], &ls->gone[i % NGONE], LCALL_TERMINATED);
		n++;
	}
	s->gone_seen = ls->ngone;
	struct sip_dialoginfo_spec spec = {
		.entity = s->entity,
		.version = s->version++,
		.dialogs = d,
		.ndialogs = n,
	};
	return sip_dialoginfo_build(body, &spec);
}

static int mwi_body(struct lsub *s, struct sip_buf *body)
{
	struct sip_mwi m = {
		.waiting = s->ls->messages_new > 0,
		.account = sip_str_from(s->entity),
		.nclasses = 1,
	};
	m.classes[0] = (struct sip_mwi_class){
		.name = sip_str_from("Text-Message"),
		.new_msgs = (uint32_t)s->ls->messages_new,
	};
	return sip_mwi_build(body, &m);
}

static int on_body(struct sip_notifier *n, struct sip_buf *body, const char **content_type,
                   void *arg)
{
	struct lsub *s = arg;
	const struct package *p = package_of(s->package);
	(void)n;
	*content_type = p->type;
	if (p == &packages[0])
		return presence_body(s, body);
	if (p == &packages[1])
		return dialog_body(s, body);
	return mwi_body(s, body);
}

/* ---- a subscription's life ---- */

static struct lsub **slot_of(struct listener *ls, const struct lsub *s)
{
	for (size_t i = 0; i < LISTEN_MAX_SUBS; i++)
		if (ls->subs[i] == s)
			return &ls->subs[i];
	return NULL;
}

static void sub_free(struct lsub *s)
{
	struct listener *ls = s->ls;
	struct lsub **slot = slot_of(ls, s);
	sip_notifier_free(s->notifier);
	if (slot)
		*slot = NULL;
	free(s);
}

static void on_event(struct sip_notifier *n, enum sip_notifier_event ev, int err,
                     const struct sip_msg *msg, void *arg)
{
	struct lsub *s = arg;
	(void)err; /* a NOTIFY's failure ends it: on_done */
	switch (ev) {
	case SIP_NOTIFIER_REFRESHED:
		say(s, "refreshed", "refreshed for %lu s", sip_notifier_expires(n));
		break;
	case SIP_NOTIFIER_NOTIFIED:
		if (s->ls->cc.verbose)
			say(s, "notified", "NOTIFY answered %u", msg->status);
		break;
	}
}

static void on_done(struct sip_notifier *n, enum sip_notifier_end how, int err,
                    const struct sip_msg *msg, void *arg)
{
	struct lsub *s = arg;
	struct listener *ls = s->ls;
	(void)n;
	switch (how) {
	case SIP_NOTIFIER_END_UNSUBSCRIBED:
		say(s, "ended", "%s", s->fetch ? "fetched" : "unsubscribed");
		break;
	case SIP_NOTIFIER_END_EXPIRED: say(s, "ended", "expired: no refresh in time"); break;
	case SIP_NOTIFIER_END_TERMINATED: say(s, "ended", "terminated by us"); break;
	case SIP_NOTIFIER_END_REJECTED:
		if (msg)
			say(s, "ended", "the subscriber refused a NOTIFY: %u %.*s", msg->status,
			    SIP_STR_FMT(msg->reason));
		else
			say(s, "ended", "a NOTIFY got no answer: %s", sip_strerror(err));
		break;
	}
	sub_free(s);
	listen_done_one(ls);
	listen_maybe_stop(ls);
}

/* The SUBSCRIBE's Accept leaves room for the package's body. */
static bool accepts(const struct sip_msg *req, const char *type)
{
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_ACCEPT);
	if (!h)
		return true;
	for (; h; h = sip_msg_hdr_next(req, h)) {
		struct sip_str list = h->value, e;
		while (sip_list_next(&list, &e) == 1) {
			struct sip_ctype ct;
			if (sip_ctype_parse(&ct, e) != 0)
				continue;
			bool any_type = sip_str_ieq_cstr(ct.type, "*");
			bool any_sub = sip_str_ieq_cstr(ct.subtype, "*");
			const char *slash = strchr(type, '/');
			if (any_type ||
			    (sip_str_ieq(ct.type, (struct sip_str){type, (size_t)(slash - type)}) &&
			     (any_sub || sip_str_ieq_cstr(ct.subtype, slash + 1))))
				return true;
		}
	}
	return false;
}

bool listen_subscribe(struct listener *ls, struct sip_incoming *in, const struct sip_msg *req)
{
	const struct sip_hdr *ev = sip_msg_hdr(req, SIP_HDR_EVENT);
	struct sip_token_params tp;
	char name[32];
	const struct package *p = NULL;
	if (ev && sip_token_params_parse(&tp, ev->value) == 0 && tp.token.len < sizeof name) {
		memcpy(name, tp.token.p, tp.token.len);
		name[tp.token.len] = '\0';
		p = package_of(name);
	}
	struct sip_build_hdr ae = {ls->accept_refer ? "Allow-Events: " LISTEN_EVENTS ", refer"
	                                            : "Allow-Events: " LISTEN_EVENTS};
	struct sip_response_spec rs = {.status = 489, .headers = &ae, .nheaders = 1};
	if (!ev) {
		rs.status = 400;
		rs.reason = "No Event";
	}
	if (!p) {
		listen_answer(ls, in, req, &rs, ev ? "an event package it has not" : NULL);
		listen_done_one(ls);
		return true;
	}
	struct sip_build_hdr acc;
	char accept_line[80];
	if (!accepts(req, p->type)) {
		snprintf(accept_line, sizeof accept_line, "Accept: %s", p->type);
		acc.line = accept_line;
		struct sip_response_spec na = {.status = 406, .headers = &acc, .nheaders = 1};
		listen_answer(ls, in, req, &na, p->type);
		listen_done_one(ls);
		return true;
	}
	struct lsub **slot = slot_of(ls, NULL);
	struct lsub *s = slot ? calloc(1, sizeof *s) : NULL;
	if (!s) {
		struct sip_response_spec busy = {.status = 503, .reason = "Too Many Subscribers"};
		listen_answer(ls, in, req, &busy, NULL);
		listen_done_one(ls);
		return true;
	}
	s->ls = ls;
	s->n = ++ls->nsubs_made;
	s->gone_seen = ls->ngone;
	s->busy_sent = -1;
	snprintf(s->package, sizeof s->package, "%s", p->name);
	cmd_safe(s->entity, sizeof s->entity, req->ruri);
	const struct sip_hdr *fh = sip_msg_hdr(req, SIP_HDR_FROM);
	struct sip_addr fa;
	if (fh && sip_addr_parse(&fa, fh->value) == 0)
		cmd_safe(s->from, sizeof s->from, fa.uri);
	struct sip_notifier_spec ns = {
		.expires_max = 3600,
		.user_agent = ls->cc.user_agent ? ls->cc.user_agent : "sip/" SIP_VERSION,
		.body = on_body,
		.event = on_event,
		.done = on_done,
		.arg = s,
	};
	*slot = s;
	if (sip_notifier_accept(&s->notifier, ls->pc.ua, in, &ns) != 0) {
		struct sip_response_spec err = {.status = 500};
		listen_answer(ls, in, req, &err, NULL);
		sub_free(s);
		listen_done_one(ls);
		return true;
	}
	if (!s->notifier) {
		say(s, "refused", "%s from %s: 423, too brief", s->package, s->from);
		sub_free(s);
		listen_done_one(ls);
		return true;
	}
	s->fetch = sip_notifier_expires(s->notifier) == 0;
	say(s, "accepted", "%s from %s: 200, %lu s", s->package, s->from,
	    sip_notifier_expires(s->notifier));
	return true;
}

void listen_state_changed(struct listener *ls, unsigned what)
{
	for (size_t i = 0; i < LISTEN_MAX_SUBS; i++) {
		struct lsub *s = ls->subs[i];
		const struct package *p = s ? package_of(s->package) : NULL;
		if (!s || !s->notifier || !(p->changes & what))
			continue;
		/* Presence says one thing of calls: whether one is up. */
		if (p == &packages[0] && s->busy_sent == listen_busy(ls))
			continue;
		sip_notifier_notify(s->notifier);
	}
}

void listen_subs_end(struct listener *ls)
{
	for (size_t i = 0; i < LISTEN_MAX_SUBS; i++) {
		struct lsub *s = ls->subs[i];
		if (s && s->notifier && sip_notifier_terminate(s->notifier, "noresource") != 0) {
			sub_free(s);
			listen_done_one(ls);
		}
	}
}

void listen_subs_free(struct listener *ls)
{
	for (size_t i = 0; i < LISTEN_MAX_SUBS; i++)
		if (ls->subs[i])
			sub_free(ls->subs[i]);
}
