/* request.c - one request on the user agent: its targets tried in the
 * order RFC 3263 gives them, digest challenges answered with credentials the
 * caller is asked for (and may give later: nothing blocks), a deadline over
 * the whole wait, and CANCEL for an INVITE. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sip_int.h"
#include "ua_int.h"

/* Realms one request answers: a proxy's and the registrar's, and room. */
#define MAX_AUTH 4
/* stale=true challenges answered in a row before the credentials count as refused. */
#define MAX_STALE 3

struct auth {
	struct sip_buf line; /* "Authorization: Digest ...", sent with every retry */
	char realm[128];
	bool proxy;
	char *user, *password; /* for a stale nonce; wiped when freed */
};

/* What a request keeps of its challenges, once it has one: a flood's
 * requests are not challenged, and need none of it. */
struct challenges {
	struct auth auth[MAX_AUTH];
	size_t nauth;
	unsigned stale;
	enum sip_req_auth_state state;
	char realm[128], user[128];
	char digest_uri[512]; /* the Request-URI it challenged */
};

/* Where a request goes first when not where its Request-URI says. */
struct route {
	char buf[512];
	struct sip_uri uri;
};

enum later { LATER_NONE, LATER_DONE, LATER_CHALLENGE };

struct sip_req {
	struct sip_ua *ua;
	struct sip_req_spec spec; /* its strings, headers and body point into text */
	char *text;
	struct sip_build_hdr *headers;
	enum sip_method m;
	struct route *route; /* an outbound proxy, or a dialog's next hop: when there is one */
	/* where it goes */
	/* As many as there are, in the request's own block when given, else
	 * malloc'd (own_targets): a flood starts thousands of requests. */
	struct sip_target *targets;
	bool own_targets;
	size_t ntargets, cur;
	char why[200]; /* what the transport said when the last target failed */
	bool resolving;
	struct sip_sockaddr local;
	char call_id[40], from_tag[20];
	uint32_t cseq;
	/* challenges, from the first one on */
	struct challenges *au;
	bool awaiting_auth;
	char *challenge; /* the 401 or 407 being answered, as received */
	size_t challenge_len;
	struct sip_msg *challenge_msg;
	/* the exchange */
	struct sip_txn *txn, *cancel_txn;
	bool provisional_seen, cancel_wanted, cancel_sent, finished;
	bool in_handler, freed; /* freed from inside a handler that is followed by more work */
	uint64_t deadline_at;   /* the loop clock when the deadline is up; 0: none */
	uint64_t sent_at;
	struct sip_timer deadline, cancel_timer, later;
	enum later later_what;
	int later_err;
	struct sip_buf dry; /* a dry run's request, parsed into dry_msg */
	struct sip_msg *dry_msg;
	/* Last, and not zeroed at the start: a flood starts thousands. */
	char ruri[512];
	struct sip_uri uri;
};

/* ---- the end ---- */

static void on_resolved(int err, const struct sip_target *targets, size_t n, void *arg);

static void finish(struct sip_req *r, int err, const struct sip_msg *resp)
{
	if (r->finished)
		return;
	r->finished = true;
	struct sip_loop *loop = sip_ua_loop(r->ua);
	sip_timer_cancel(loop, &r->deadline);
	sip_timer_cancel(loop, &r->cancel_timer);
	sip_timer_cancel(loop, &r->later);
	if (r->resolving) {
		sip_ua_resolve_cancel(r->ua, on_resolved, r);
		r->resolving = false;
	}
	r->spec.done(r, err, err ? NULL : resp, r->spec.arg);
}

/* The challenge being answered, parsed. */
static const struct sip_msg *challenge_msg(struct sip_req *r)
{
	if (!r->challenge)
		return NULL;
	if (!r->challenge_msg && !(r->challenge_msg = malloc(sizeof *r->challenge_msg)))
		return NULL;
	if (sip_msg_parse(r->challenge_msg, r->challenge, r->challenge_len, 0) != 0)
		return NULL;
	return r->challenge_msg;
}

static void on_later(void *arg)
{
	struct sip_req *r = arg;
	enum later what = r->later_what;
	r->later_what = LATER_NONE;
	if (what != LATER_CHALLENGE) {
		finish(r, r->later_err, NULL);
		return;
	}
	/* The challenge unanswered is the final response: the handler may free
	 * the request, and the response must outlive that. */
	const struct sip_msg *m = challenge_msg(r);
	char *buf = r->challenge;
	struct sip_msg *msg = r->challenge_msg;
	r->challenge = NULL;
	r->challenge_msg = NULL;
	finish(r, m ? 0 : SIP_ENOMEM, m);
	free(buf);
	free(msg);
}

/* Ends it from the loop: the call that decided this is the caller's. */
static void finish_later(struct sip_req *r, enum later what, int err)
{
	r->later_what = what;
	r->later_err = err;
	if (sip_timer_start(sip_ua_loop(r->ua), &r->later, 0, on_later, r) != 0)
		r->later_what = LATER_NONE; /* out of memory: it ends at the deadline, if any */
}

static void on_deadline(void *arg);

/* The deadline again, for what is left of it, once an INVITE no longer
 * rings: its transaction ended in a challenge or a fail-over. */
static void rearm_deadline(struct sip_req *r)
{
	struct sip_loop *loop = sip_ua_loop(r->ua);
	uint64_t now = sip_loop_now(loop);
	if (r->deadline_at && !sip_timer_armed(&r->deadline) && !r->finished)
		sip_timer_start(loop, &r->deadline, r->deadline_at > now ? r->deadline_at - now : 0,
		                on_deadline, r);
}

/* --timeout: the whole wait, across fail-over and challenges, is capped. */
static void on_deadline(void *arg)
{
	struct sip_req *r = arg;
	/* Answered, but in nothing that parsed: not silence. */
	int err = r->txn && sip_txn_garbled(r->txn) ? SIP_ESYNTAX : SIP_ETIMEDOUT;
	sip_txn_free(r->txn);
	r->txn = NULL;
	r->awaiting_auth = false;
	sip_ua_creds_forget(r->ua, r);
	finish(r, err, NULL);
}

/* ---- building and sending ---- */

/* The caller's own request, with the answers to challenges before its blank line. */
static int build_own(struct sip_req *r, const struct sip_target *t, struct sip_buf *b)
{
	struct sip_buf own;
	sip_buf_init(&own, 0);
	int err = r->spec.build(&own, t, &r->local, r->cseq, r->spec.arg);
	if (!err && own.err)
		err = own.err;
	size_t head = 0;
	while (!err && head + 4 <= own.len && memcmp(own.p + head, "\r\n\r\n", 4) != 0)
		head++;
	if (!err && head + 4 > own.len)
		err = SIP_ESYNTAX;
	if (!err) {
		head += 2;
		sip_buf_append(b, own.p, head);
		for (size_t i = 0; r->au && i < r->au->nauth; i++) {
			sip_buf_append(b, r->au->auth[i].line.p, r->au->auth[i].line.len);
			sip_buf_puts(b, "\r\n");
		}
		sip_buf_append(b, own.p + head, own.len - head);
		err = b->err;
	}
	sip_buf_reset(&own);
	return err;
}

static int build(struct sip_req *r, const struct sip_target *t, struct sip_buf *b)
{
	if (r->spec.build)
		return build_own(r, t, b);
	const struct sip_req_spec *s = &r->spec;
	const struct sip_ua_me *me;
	/* A handful on the stack: a flood builds thousands. */
	struct sip_build_hdr few[16];
	size_t want = 1 + s->nheaders + MAX_AUTH;
	struct sip_build_hdr *hdrs = want <= 16 ? few : malloc(want * sizeof *hdrs);
	size_t nh = 0;
	int err;
	if (!hdrs)
		return SIP_ENOMEM;
	if ((err = sip_ua_me(r->ua, &r->local, t->tp, s->contact_user, &me)) != 0) {
		if (hdrs != few)
			free(hdrs);
		return err;
	}
	const char *host = me->host;
	const char *ct = !s->contact ? me->contact : *s->contact ? s->contact : NULL;
	/* Max-Forwards 0, the probe for a 483, goes as a header: 0 is the default in a spec. */
	if (s->max_forwards == 0 && !s->dialog)
		hdrs[nh++].line = "Max-Forwards: 0";
	for (size_t i = 0; i < s->nheaders; i++)
		hdrs[nh++] = s->headers[i];
	for (size_t i = 0; r->au && i < r->au->nauth; i++)
		hdrs[nh++].line = r->au->auth[i].line.p;
	if (s->dialog) {
		/* The dialog counts for everyone sending in it (a call, a REFER's
		 * subscription); sip_req_cseq tells what it gave. */
		if (r->m != SIP_ACK && r->m != SIP_CANCEL)
			r->cseq = sip_dialog_next_cseq(s->dialog);
		struct sip_dialog_request dr = {
			.method = r->m,
			.cseq = r->m != SIP_ACK && r->m != SIP_CANCEL ? r->cseq : 0,
			.method_name = s->method,
			.transport = sip_tp_name(t->tp),
			.via_host = host,
			.via_port = me->port,
			.contact = ct,
			.user_agent = s->user_agent,
			.content_type = s->content_type,
			.body = s->body,
			.body_len = s->body_len,
			.headers = hdrs,
			.nheaders = nh,
		};
		err = sip_dialog_request(s->dialog, b, &dr);
	} else {
		struct sip_request_spec rs = {
			.method = r->m,
			.method_name = s->method,
			.ruri = r->ruri,
			.from = s->from ? s->from : me->from,
			.from_tag = r->from_tag,
			.to = s->to,
			.call_id = r->call_id,
			.cseq = r->cseq,
			.transport = sip_tp_name(t->tp),
			.via_host = host,
			.via_port = me->port,
			.contact = ct,
			.max_forwards = s->max_forwards > 0 ? (unsigned)s->max_forwards : 0,
			.user_agent = s->user_agent,
			.content_type = s->content_type,
			.body = s->body,
			.body_len = s->body_len,
			.headers = hdrs,
			.nheaders = nh,
		};
		err = sip_build_request(b, &rs);
	}
	if (hdrs != few)
		free(hdrs);
	return err;
}

static void on_response(int err, const struct sip_msg *msg, void *arg);

/* Builds the request for the current target and starts its transaction. */
static int send_current(struct sip_req *r)
{
	const struct sip_target *t = &r->targets[r->cur];
	struct sip_ctx *ctx = sip_ua_ctx(r->ua);
	int err = sip_ua_local(r->ua, t, &r->local);
	if (err)
		return err;
	struct sip_buf b;
	sip_buf_init(&b, 0);
	if ((err = build(r, t, &b)) != 0) {
		sip_buf_reset(&b);
		return err;
	}
	if (r->spec.dry_run) {
		r->dry = b;
		if (!(r->dry_msg = malloc(sizeof *r->dry_msg)))
			return SIP_ENOMEM;
		if ((err = sip_msg_parse(r->dry_msg, r->dry.p, r->dry.len, 0)) != 0)
			return err;
		finish_later(r, LATER_DONE, 0);
		return 0;
	}
	err = sip_txn_start(&r->txn, ctx, t, b.p, b.len, on_response, r);
	sip_buf_reset(&b);
	if (err == 0)
		r->sent_at = sip_txn_sent_at(r->txn);
	/* §9.1: a CANCEL waits for a provisional response to this INVITE, not to one before. */
	r->provisional_seen = false;
	return err;
}

/* ---- challenges ---- */

static struct auth *auth_for(struct sip_req *r, struct sip_str realm, bool proxy)
{
	for (size_t i = 0; i < r->au->nauth; i++)
		if (r->au->auth[i].proxy == proxy &&
		    sip_str_eq(realm, sip_str_from(r->au->auth[i].realm)))
			return &r->au->auth[i];
	return NULL;
}

/* Answers ch (for realm entry a) with user and password: the line every
 * retry of the request carries. */
static int answer(struct sip_req *r, struct auth *a, const struct sip_challenge *ch,
                  const char *user, const char *password)
{
	struct sip_digest_input in = {
		.ch = ch,
		.user = user,
		.password = password,
		.method = r->spec.method,
		.uri = r->au->digest_uri,
		.body = {r->spec.body, r->spec.body_len},
		.nc = 1,
	};
	sip_buf_reset(&a->line);
	sip_buf_puts(&a->line, ch->proxy ? "Proxy-Authorization: " : "Authorization: ");
	int err = sip_digest_authorization(&a->line, &in);
	if (err)
		return err;
	r->cseq++;
	return send_current(r);
}

/*
 * A 401 or 407: returns true when the request waits for credentials or
 * went again with a fresh answer to a stale nonce; false when the challenge
 * is the final response (sip_req_auth_state says why).
 */
static bool challenged(struct sip_req *r, const struct sip_msg *resp)
{
	if (!r->au && !(r->au = calloc(1, sizeof *r->au)))
		return false; /* out of memory: the challenge is the final response */
	struct sip_challenge ch;
	if (sip_challenge_pick(resp, &ch) != 0) {
		r->au->state = SIP_REQ_AUTH_UNANSWERABLE;
		return false;
	}
	snprintf(r->au->realm, sizeof r->au->realm, "%.*s", SIP_STR_FMT(ch.realm));
	struct auth *a = auth_for(r, ch.realm, ch.proxy);
	/* Challenged again for a realm answered: refused, unless the nonce went stale. */
	if (a && (!ch.stale || ++r->au->stale > MAX_STALE)) {
		r->au->state = SIP_REQ_AUTH_REJECTED;
		return false;
	}
	if (!a && (r->au->nauth == MAX_AUTH || ch.realm.len >= sizeof a->realm)) {
		r->au->state = SIP_REQ_AUTH_TOO_MANY;
		return false;
	}
	/* The digest-uri is the Request-URI as sent: in a dialog, the remote target. */
	const struct sip_msg *req = sip_txn_request(r->txn);
	if (!req || req->ruri.len >= sizeof r->au->digest_uri) {
		r->au->state = SIP_REQ_AUTH_UNANSWERABLE;
		return false;
	}
	memcpy(r->au->digest_uri, req->ruri.p, req->ruri.len);
	r->au->digest_uri[req->ruri.len] = '\0';
	if (a) {
		/* A stale nonce: the same credentials answer the new one. */
		sip_txn_free(r->txn);
		r->txn = NULL;
		rearm_deadline(r);
		int err = answer(r, a, &ch, a->user, a->password);
		if (err)
			finish(r, err, NULL);
		return true;
	}
	const char *user, *password;
	bool have = !r->spec.auth &&
	            sip_ua_creds_for(r->ua, r->spec.account, ch.realm, &user, &password);
	if (!r->spec.auth && !have && !sip_ua_has_auth_handler(r->ua)) {
		r->au->state = SIP_REQ_AUTH_NO_USER;
		return false;
	}
	free(r->challenge);
	if (!(r->challenge = malloc(resp->raw.len))) {
		r->au->state = SIP_REQ_AUTH_UNANSWERABLE;
		return false;
	}
	memcpy(r->challenge, resp->raw.p, resp->raw.len);
	r->challenge_len = resp->raw.len;
	sip_txn_free(r->txn);
	r->txn = NULL;
	r->awaiting_auth = true;
	/* Last: the handler may answer at once, or free the request. */
	rearm_deadline(r);
	if (r->spec.auth) {
		r->spec.auth(r, &ch, r->spec.arg);
	} else if (have) {
		sip_req_authenticate(r, user, password);
	} else if (!sip_ua_creds_wait(r->ua, r, &ch)) {
		r->awaiting_auth = false;
		r->au->state = SIP_REQ_AUTH_NO_USER;
		finish_later(r, LATER_CHALLENGE, 0);
	}
	return true;
}

int sip_req_authenticate(struct sip_req *r, const char *user, const char *password)
{
	if (!r || !r->awaiting_auth)
		return SIP_EINVAL;
	r->awaiting_auth = false;
	sip_ua_creds_forget(r->ua, r);
	if (!user) {
		r->au->state = SIP_REQ_AUTH_NO_USER;
		finish_later(r, LATER_CHALLENGE, 0);
		return 0;
	}
	snprintf(r->au->user, sizeof r->au->user, "%s", user);
	const struct sip_msg *m = challenge_msg(r);
	struct sip_challenge ch;
	if (!m || sip_challenge_pick(m, &ch) != 0) {
		finish_later(r, LATER_DONE, SIP_ENOMEM);
		return SIP_ENOMEM;
	}
	struct auth *a = &r->au->auth[r->au->nauth];
	memset(a, 0, sizeof *a);
	sip_buf_init(&a->line, 0);
	snprintf(a->realm, sizeof a->realm, "%.*s", SIP_STR_FMT(ch.realm));
	a->proxy = ch.proxy;
	a->user = sip_dup(user);
	a->password = sip_dup(password ? password : "");
	r->au->nauth++;
	int err = a->user && a->password ? answer(r, a, &ch, user, a->password) : SIP_ENOMEM;
	if (err)
		finish_later(r, LATER_DONE, err);
	return 0;
}

/* ---- responses ---- */

static void on_cancel_timeout(void *arg)
{
	struct sip_req *r = arg;
	/* §9.1: no final response 64*T1 after the CANCEL: the INVITE is given up. */
	sip_txn_free(r->txn);
	r->txn = NULL;
	finish(r, SIP_ETIMEDOUT, NULL);
}

static void on_cancel_response(int err, const struct sip_msg *msg, void *arg)
{
	struct sip_req *r = arg;
	if (!err && msg->status < 200)
		return;
	sip_txn_free(r->cancel_txn);
	r->cancel_txn = NULL;
	if (r->spec.cancelled)
		r->spec.cancelled(r, err, msg, r->spec.arg);
}

static int send_cancel(struct sip_req *r)
{
	int err = sip_txn_cancel(&r->cancel_txn, r->txn, on_cancel_response, r);
	if (err)
		return err;
	r->cancel_sent = true;
	return sip_timer_start(sip_ua_loop(r->ua), &r->cancel_timer, 64 * sip_ua_t1(r->ua),
	                       on_cancel_timeout, r);
}

/* The target to try after the current one failed with err; ntargets when
 * there is none. A TLS target that failed in any way (a certificate that
 * did not verify, a handshake broken, reset or stalled, a connection
 * refused) is followed by TLS targets alone: whoever can break one can
 * break any, and going on in the clear would hand them the downgrade. With
 * --insecure, TLS was verifying nothing, and any transport will do. */
static bool secure(enum sip_tp tp)
{
	return tp == SIP_TP_TLS || tp == SIP_TP_WSS;
}

static size_t next_target(const struct sip_req *r, int err, bool *held)
{
	bool worth = err == SIP_ETIMEDOUT || err == SIP_EREFUSED || err == SIP_ENET ||
	             err == SIP_ETLS || err == SIP_ECLOSED || err == SIP_EWS;
	if (!worth || r->cancel_wanted)
		return r->ntargets;
	size_t i = r->cur + 1;
	if (secure(r->targets[r->cur].tp) && !sip_ua_insecure(r->ua))
		while (i < r->ntargets && !secure(r->targets[i].tp))
			i++;
	*held = i >= r->ntargets && r->cur + 1 < r->ntargets;
	return i < r->ntargets ? i : r->ntargets;
}

/* The failover handler; false when r was freed in it. */
static bool tell_failover(struct sip_req *r, int err, size_t from, const struct sip_target *next)
{
	if (!r->spec.failover)
		return true;
	r->in_handler = true;
	r->spec.failover(r, err, &r->targets[from], next, r->spec.arg);
	r->in_handler = false;
	if (!r->freed)
		return true;
	sip_req_free(r);
	return false;
}

/* The value of header id of m, "" without one. */
static struct sip_str hdr_value(const struct sip_msg *m, enum sip_hdr_id id)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);
	return h ? h->value : (struct sip_str){"", 0};
}

static struct sip_str from_tag(const struct sip_msg *m)
{
	struct sip_addr a;
	return sip_addr_parse(&a, hdr_value(m, SIP_HDR_FROM)) == 0 ? a.tag
	                                                           : (struct sip_str){"", 0};
}

/* A response of the request's transaction carries its Call-ID, From tag
 * and CSeq number (RFC 3261 section 8.2.6.2): one that does not is nobody's
 * answer to it, and r->why says what differs. */
static bool same_identity(struct sip_req *r, const struct sip_msg *resp)
{
	const struct sip_msg *req = r->txn ? sip_txn_request(r->txn) : NULL;
	if (!req)
		return true;
	struct sip_str a = hdr_value(resp, SIP_HDR_CALL_ID), b = hdr_value(req, SIP_HDR_CALL_ID);
	const char *what = "Call-ID";
	if (sip_str_eq(a, b)) {
		a = from_tag(resp);
		b = from_tag(req);
		what = "From tag";
	}
	if (sip_str_eq(a, b)) {
		struct sip_cseq ca, cb;
		a = hdr_value(resp, SIP_HDR_CSEQ);
		b = hdr_value(req, SIP_HDR_CSEQ);
		what = "CSeq";
		if (sip_cseq_parse(&ca, a) == 0 && sip_cseq_parse(&cb, b) == 0 && ca.num == cb.num)
			return true;
	}
	char addr[64];
	const struct sip_target *t = r->cur < r->ntargets ? &r->targets[r->cur] : NULL;
	if (!t || sip_sockaddr_print(&t->addr, addr, sizeof addr) < 0)
		snprintf(addr, sizeof addr, "the server");
	snprintf(r->why, sizeof r->why, "%u %.*s from %s: %s '%.*s' is not the request's '%.*s'",
	         resp->status, (int)(resp->reason.len > 40 ? 40 : resp->reason.len), resp->reason.p,
	         addr, what, (int)(a.len > 48 ? 48 : a.len), a.p, (int)(b.len > 48 ? 48 : b.len),
	         b.p);
	return false;
}

static void on_response(int err, const struct sip_msg *msg, void *arg)
{
	struct sip_req *r = arg;
	if (!err && !same_identity(r, msg)) {
		finish(r, SIP_EIDENTITY, NULL);
		return;
	}
	if (!err && msg->status < 200) {
		r->provisional_seen = true;
		/* An INVITE that rings waits on: its caller decides when to CANCEL. */
		if (r->m == SIP_INVITE)
			sip_timer_cancel(sip_ua_loop(r->ua), &r->deadline);
		if (r->cancel_wanted && !r->cancel_sent && (err = send_cancel(r)) != 0) {
			finish(r, err, NULL);
			return;
		}
		if (r->spec.provisional)
			r->spec.provisional(r, 0, msg, r->spec.arg);
		return;
	}
	if (!err && (msg->status == 401 || msg->status == 407) && !r->cancel_wanted) {
		if (challenged(r, msg))
			return;
	} else if (!err && msg->status == 403 && r->au && r->au->nauth) {
		r->au->state = SIP_REQ_AUTH_REJECTED;
	}
	if (err)
		snprintf(r->why, sizeof r->why, "%s", r->txn ? sip_txn_why(r->txn) : "");
	bool held = false;
	size_t next = err ? next_target(r, err, &held) : r->ntargets;
	if (next < r->ntargets) {
		size_t from = r->cur;
		sip_txn_free(r->txn);
		r->txn = NULL;
		r->cur = next;
		if (!tell_failover(r, err, from, &r->targets[r->cur]))
			return;
		rearm_deadline(r);
		if (send_current(r) == 0)
			return;
	} else if (held && !tell_failover(r, err, r->cur, NULL)) {
		return;
	}
	finish(r, err, msg);
}

/* ---- where it goes ---- */

static void on_resolved(int err, const struct sip_target *targets, size_t n, void *arg)
{
	struct sip_req *r = arg;
	r->resolving = false;
	if (!err && n == 0)
		err = SIP_ENOTFOUND;
	if (!err) {
		if (!(r->targets = malloc(n * sizeof *targets))) {
			finish(r, SIP_ENOMEM, NULL);
			return;
		}
		r->own_targets = true;
		memcpy(r->targets, targets, n * sizeof *targets);
		r->ntargets = n;
		/* -t over a target that named no transport: every address, that transport. */
		for (size_t i = 0; i < n && r->spec.transport >= 0; i++)
			r->targets[i].tp = (enum sip_tp)r->spec.transport;
		err = send_current(r);
	}
	if (err)
		finish(r, err, NULL);
}

/* ---- the request's own copy of what the caller gave ---- */

/* The caller's strings the request keeps, each measured once: a flood
 * starts thousands of requests. */
enum {
	X_METHOD,
	X_FROM,
	X_FROM_TAG,
	X_TO,
	X_CALL_ID,
	X_CONTACT,
	X_CONTACT_USER,
	X_UA,
	X_CTYPE,
	X_N
};

struct strs {
	const char *s[X_N];
	size_t len[X_N];
};

/* The size of the block the strings, headers and body take. */
static size_t measure(const struct sip_req_spec *s, struct strs *x)
{
	const char *v[X_N] = {s->method,       s->from,       s->from_tag,
	                      s->to,           s->call_id,    s->contact,
	                      s->contact_user, s->user_agent, s->content_type};
	size_t n = s->body_len + 1;
	for (size_t i = 0; i < X_N; i++) {
		x->s[i] = v[i];
		x->len[i] = v[i] ? strlen(v[i]) : 0;
		n += v[i] ? x->len[i] + 1 : 0;
	}
	for (size_t i = 0; i < s->nheaders; i++)
		n += strlen(s->headers[i].line) + 1;
	return n;
}

static int keep_spec(struct sip_req *r, const struct sip_req_spec *spec, const struct strs *x)
{
	struct sip_req_spec *s = &r->spec;
	*s = *spec;
	char *o = r->text;
	const char **dst[X_N] = {&s->method,       &s->from,       &s->from_tag,
	                         &s->to,           &s->call_id,    &s->contact,
	                         &s->contact_user, &s->user_agent, &s->content_type};
	for (size_t i = 0; i < X_N; i++)
		*dst[i] = sip_put(&o, x->s[i], x->len[i]);
	s->body = sip_put(&o, spec->body ? spec->body : "", spec->body_len);
	for (size_t i = 0; i < spec->nheaders; i++)
		r->headers[i].line = sip_put_str(&o, spec->headers[i].line);
	s->headers = r->headers;
	s->targets = NULL;
	s->uri = s->proxy = NULL;
	return 0;
}

static int setup(struct sip_req *r, const struct sip_req_spec *spec, const struct strs *x)
{
	int err = keep_spec(r, spec, x);
	if (err)
		return err;
	r->m = sip_method_from_str((struct sip_str){r->spec.method, x->len[X_METHOD]});
	r->cseq = spec->cseq ? spec->cseq : 1;
	/* The text alone: it is parsed again only when it is to be resolved. */
	int n = 0;
	if (spec->uri_text && (n = (int)strlen(spec->uri_text)) < (int)sizeof r->ruri)
		memcpy(r->ruri, spec->uri_text, (size_t)n + 1);
	else if (spec->uri_text)
		n = SIP_ENOSPC;
	else if (spec->uri)
		n = sip_uri_print(spec->uri, r->ruri, sizeof r->ruri);
	if (n < 0)
		return n;
	if (spec->proxy && !(r->route = malloc(sizeof *r->route)))
		return SIP_ENOMEM;
	if (spec->proxy && (err = sip_uri_copy(spec->proxy, r->route->buf, sizeof r->route->buf,
	                                       &r->route->uri)) != 0)
		return err;
	if (spec->call_id)
		memcpy(r->call_id, spec->call_id, x->len[X_CALL_ID] + 1); /* checked to fit */
	else if ((err = sip_rand_token(r->call_id, 24)) != 0)
		return err;
	if (spec->from_tag)
		memcpy(r->from_tag, spec->from_tag, x->len[X_FROM_TAG] + 1);
	else if ((err = sip_rand_token(r->from_tag, 12)) != 0)
		return err;
	return 0;
}

int sip_req_start(struct sip_req **rp, struct sip_ua *ua, const struct sip_req_spec *spec)
{
	struct strs x;
	if (!rp || !ua || !spec || !spec->done || !spec->method ||
	    (!spec->uri && !spec->uri_text && !spec->dialog) || spec->ntargets > SIP_RESOLVE_MAX)
		return SIP_EINVAL;
	size_t size = measure(spec, &x);
	if (!sip_is_token((struct sip_str){spec->method, x.len[X_METHOD]}) ||
	    x.len[X_CALL_ID] >= 40 || x.len[X_FROM_TAG] >= 20)
		return SIP_EINVAL;
	*rp = NULL;
	/* One block: the request, then its headers, targets and strings. */
	size_t nh = spec->nheaders, nt = spec->ntargets;
	struct sip_req *r =
		malloc(sizeof *r + nh * sizeof *r->headers + nt * sizeof *r->targets + size);
	if (!r)
		return SIP_ENOMEM;
	memset(r, 0, offsetof(struct sip_req, ruri));
	r->ruri[0] = '\0';
	r->headers = (struct sip_build_hdr *)(r + 1);
	r->targets = nt ? (struct sip_target *)(r->headers + nh) : NULL;
	r->text = (char *)(r->headers + nh) + nt * sizeof *r->targets;
	r->ua = ua;
	sip_timer_init(&r->deadline);
	sip_timer_init(&r->cancel_timer);
	sip_timer_init(&r->later);
	sip_buf_init(&r->dry, 0);
	int err = setup(r, spec, &x);
	if (!err && spec->dialog && !spec->proxy && !spec->ntargets) {
		/* The dialog's next hop: its first Route, or its remote target. */
		int n = (r->route = malloc(sizeof *r->route))
		                ? sip_dialog_next_hop(spec->dialog, r->route->buf,
		                                      sizeof r->route->buf)
		                : SIP_ENOMEM;
		err = n < 0 ? n
		            : sip_uri_parse(&r->route->uri,
		                            (struct sip_str){r->route->buf, (size_t)n});
	}
	const struct sip_uri *where = r->route ? &r->route->uri : &r->uri;
	if (!err && !r->route && !spec->ntargets)
		err = sip_uri_parse(&r->uri, sip_str_from(r->ruri));
	if (!err && spec->ntargets) {
		memcpy(r->targets, spec->targets, spec->ntargets * sizeof *spec->targets);
		r->ntargets = spec->ntargets;
		err = send_current(r);
	} else if (!err) {
		struct sip_resolve_opts ro = {.family = spec->family};
		if (spec->transport >= 0)
			ro.tp_mask = 1u << spec->transport;
		err = sip_ua_resolve(ua, where, &ro, on_resolved, r);
		r->resolving = err == 0;
	}
	if (!err && spec->timeout_us && !spec->dry_run) {
		r->deadline_at = sip_loop_now(sip_ua_loop(ua)) + spec->timeout_us;
		err = sip_timer_start(sip_ua_loop(ua), &r->deadline, spec->timeout_us, on_deadline,
		                      r);
	}
	if (err) {
		sip_req_free(r);
		return err;
	}
	*rp = r;
	return 0;
}

int sip_req_cancel(struct sip_req *r)
{
	if (!r || r->finished)
		return SIP_EINVAL;
	if (r->m == SIP_INVITE && r->txn) {
		if (r->cancel_wanted)
			return 0;
		r->cancel_wanted = true;
		/* §9.1: a CANCEL goes once something answered; until then it waits. */
		return r->provisional_seen ? send_cancel(r) : 0;
	}
	sip_txn_free(r->txn);
	r->txn = NULL;
	r->awaiting_auth = false;
	sip_ua_creds_forget(r->ua, r);
	if (r->resolving) {
		sip_ua_resolve_cancel(r->ua, on_resolved, r);
		r->resolving = false;
	}
	finish_later(r, LATER_DONE, SIP_ECANCELED);
	return 0;
}

void sip_req_free(struct sip_req *r)
{
	if (!r)
		return;
	if (r->in_handler) {
		r->freed = true; /* freed when the handler returns */
		return;
	}
	struct sip_loop *loop = sip_ua_loop(r->ua);
	sip_timer_cancel(loop, &r->deadline);
	sip_timer_cancel(loop, &r->cancel_timer);
	sip_timer_cancel(loop, &r->later);
	sip_ua_creds_forget(r->ua, r);
	if (r->resolving)
		sip_ua_resolve_cancel(r->ua, on_resolved, r);
	sip_txn_free(r->txn);
	sip_txn_free(r->cancel_txn);
	for (size_t i = 0; r->au && i < r->au->nauth; i++) {
		sip_buf_reset(&r->au->auth[i].line);
		sip_wipe(&r->au->auth[i].user);
		sip_wipe(&r->au->auth[i].password);
	}
	sip_buf_reset(&r->dry);
	free(r->dry_msg);
	free(r->challenge);
	free(r->challenge_msg);
	free(r->au);
	free(r->route);
	if (r->own_targets)
		free(r->targets);
	free(r);
}

enum sip_req_auth_state sip_req_auth_state(const struct sip_req *r)
{
	return r && r->au ? r->au->state : SIP_REQ_AUTH_NONE;
}

const void *sip_req_account(const struct sip_req *r)
{
	return r->spec.account;
}

const char *sip_req_auth_realm(const struct sip_req *r)
{
	return r && r->au ? r->au->realm : "";
}

const char *sip_req_auth_user(const struct sip_req *r)
{
	return r && r->au ? r->au->user : "";
}

const struct sip_target *sip_req_target(const struct sip_req *r)
{
	return r && r->ntargets ? &r->targets[r->cur] : NULL;
}

const struct sip_sockaddr *sip_req_local(const struct sip_req *r)
{
	return r ? &r->local : NULL;
}

uint64_t sip_req_sent_at(const struct sip_req *r)
{
	return r ? r->sent_at : 0;
}

const struct sip_msg *sip_req_message(const struct sip_req *r)
{
	if (!r)
		return NULL;
	return r->dry_msg ? r->dry_msg : r->txn ? sip_txn_request(r->txn) : NULL;
}

uint32_t sip_req_cseq(const struct sip_req *r)
{
	return r ? r->cseq : 0;
}

const char *sip_req_why(const struct sip_req *r)
{
	return r ? r->why : "";
}
