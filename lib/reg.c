/* reg.c - a registration: REGISTERs in one Call-ID with CSeq counting up
 * (RFC 3261 §10.2), refreshed before the binding lapses, and removed when
 * stopped. */
#include <stdlib.h>
#include <string.h>

#include "sip_int.h"
#include "ua_int.h"

/* A refresh that got no answer is tried again this much later. */
#define RETRY_LOST_US 5000000u

struct sip_reg {
	struct sip_ua *ua;
	struct sip_reg_spec spec; /* its strings and headers point into text */
	char *text;
	struct sip_build_hdr *headers; /* Expires first, then the caller's */
	size_t nheaders;
	char expires_hdr[40];
	char aor_buf[512], registrar_buf[512], proxy_buf[512];
	struct sip_uri aor, registrar, proxy;
	struct sip_target targets[SIP_RESOLVE_MAX];
	size_t ntargets, cur;
	char call_id[40], from_tag[20];
	uint32_t cseq;
	unsigned long expires, granted;
	bool bound, stopping, finished;
	bool inflight;          /* a REGISTER waits for its answer */
	bool in_handler, freed; /* freed from inside an event handler: when it returns */
	bool sent_unbind;       /* and it removes the binding */
	struct sip_req *req;
	struct sip_timer refresh, later;
};

static int send_register(struct sip_reg *g);

/* Tells the caller; false when the caller freed g meanwhile (it is gone). */
static bool tell(struct sip_reg *g, enum sip_reg_event ev, int err, const struct sip_msg *resp)
{
	if (!g->spec.event)
		return true;
	g->in_handler = true;
	g->spec.event(g, ev, err, resp, g->spec.arg);
	g->in_handler = false;
	if (!g->freed)
		return true;
	sip_reg_free(g);
	return false;
}

static void finish(struct sip_reg *g, int err, const struct sip_msg *resp)
{
	if (g->finished)
		return;
	g->finished = true;
	sip_timer_cancel(sip_ua_loop(g->ua), &g->refresh);
	sip_timer_cancel(sip_ua_loop(g->ua), &g->later);
	g->spec.done(g, err, resp, g->spec.arg);
}

static void on_stopped(void *arg)
{
	finish(arg, SIP_ECANCELED, NULL);
}

static void on_refresh(void *arg)
{
	struct sip_reg *g = arg;
	int err = send_register(g);
	if (err)
		finish(g, err, NULL);
}

bool sip_reg_is_ours(const struct sip_reg *g, struct sip_str uri)
{
	char mine[300];
	struct sip_addr a;
	struct sip_uri ours, theirs;
	if (!g)
		return false;
	if (g->spec.contact) {
		if (sip_addr_parse(&a, sip_str_from(g->spec.contact)) != 0)
			return false;
		snprintf(mine, sizeof mine, "%.*s", SIP_STR_FMT(a.uri));
	} else {
		char host[80];
		const struct sip_sockaddr *local = sip_req_local(g->req);
		if (!local || sip_sockaddr_host(local, host, sizeof host) < 0)
			return false;
		snprintf(mine, sizeof mine, "sip:%s@%s:%u",
		         g->spec.contact_user ? g->spec.contact_user : "sip", host,
		         sip_sockaddr_port(local));
	}
	return sip_uri_parse(&ours, sip_str_from(mine)) == 0 && sip_uri_parse(&theirs, uri) == 0 &&
	       sip_str_ieq(ours.host, theirs.host) && ours.port == theirs.port &&
	       sip_str_eq(ours.user, theirs.user);
}

/* The expiry granted to our binding: its Contact's expires=, else Expires:. */
static unsigned long granted_expiry(const struct sip_reg *g, const struct sip_msg *resp)
{
	unsigned long granted = g->expires;
	uint64_t v;
	const struct sip_hdr *e = sip_msg_hdr(resp, SIP_HDR_EXPIRES);
	if (e && sip_hdr_uint(e->value, UINT32_MAX, &v) == 0)
		granted = (unsigned long)v;
	for (const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_CONTACT); h;
	     h = sip_msg_hdr_next(resp, h)) {
		struct sip_str list = h->value, elem;
		while (sip_list_next(&list, &elem) == 1) {
			struct sip_addr a;
			struct sip_str ev;
			if (sip_addr_parse(&a, elem) != 0 || a.star || !sip_reg_is_ours(g, a.uri))
				continue;
			if (sip_param_get(a.params, "expires", &ev) &&
			    sip_hdr_uint(ev, UINT32_MAX, &v) == 0)
				granted = (unsigned long)v;
		}
	}
	return granted;
}

/* Sends the next REGISTER: the old one is done with (its response too). */
static void send_next(struct sip_reg *g)
{
	int err = send_register(g);
	if (err)
		finish(g, err, NULL);
}

static void on_done(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct sip_reg *g = arg;
	g->cseq = sip_req_cseq(r) + 1;
	g->inflight = false;
	if (!err && !resp) {
		finish(g, 0, NULL); /* a dry run */
		return;
	}
	if (err) {
		if (g->spec.keep && !g->stopping && g->bound) {
			/* The binding may still hold: try again soon. */
			if (tell(g, SIP_REG_REFRESH_LOST, err, NULL))
				sip_timer_start(sip_ua_loop(g->ua), &g->refresh, RETRY_LOST_US,
				                on_refresh, g);
			return;
		}
		finish(g, err, NULL);
		return;
	}
	/* 423 Interval Too Brief: ask again with the registrar's Min-Expires. */
	const struct sip_hdr *me = sip_msg_hdr(resp, SIP_HDR_MIN_EXPIRES);
	uint64_t min;
	if (resp->status == 423 && me && sip_hdr_uint(me->value, UINT32_MAX, &min) == 0 &&
	    min > g->expires && g->spec.mode == SIP_REG_BIND && !g->stopping) {
		g->expires = (unsigned long)min;
		if (tell(g, SIP_REG_TOO_BRIEF, 0, resp))
			send_next(g);
		return;
	}
	bool ok = resp->status >= 200 && resp->status < 300;
	if (ok && !g->sent_unbind) {
		g->granted = granted_expiry(g, resp);
		g->bound = g->spec.mode == SIP_REG_BIND;
		/* Stopped while it went: the binding it made goes again at once. */
		if (g->stopping && g->bound) {
			send_next(g);
			return;
		}
		if (g->spec.keep) {
			if (tell(g, SIP_REG_BOUND, 0, resp))
				sip_timer_start(sip_ua_loop(g->ua), &g->refresh,
				                sip_ua_refresh_us(g->granted), on_refresh, g);
			return;
		}
	} else if (ok) {
		g->bound = false;
	}
	finish(g, 0, resp);
}

static void on_auth(struct sip_req *r, const struct sip_challenge *ch, void *arg)
{
	struct sip_reg *g = arg;
	g->spec.auth(r, ch, g->spec.arg);
}

static void on_failover(struct sip_req *r, int err, const struct sip_target *from,
                        const struct sip_target *next, void *arg)
{
	struct sip_reg *g = arg;
	/* The next REGISTER starts where this one got to (past the targets a
	 * TLS failure skipped). */
	for (size_t i = g->cur + 1; next && i < g->ntargets; i++) {
		if (g->targets[i].tp == next->tp &&
		    sip_sockaddr_eq(&g->targets[i].addr, &next->addr)) {
			g->cur = i;
			break;
		}
	}
	if (g->spec.failover)
		g->spec.failover(r, err, from, next, g->spec.arg);
}

/* A REGISTER, in place of the one before (even from inside its handler). */
static int send_register(struct sip_reg *g)
{
	const struct sip_reg_spec *s = &g->spec;
	/* One in flight has used its CSeq: the next counts on from it (§10.2.4). */
	if (g->req && sip_req_cseq(g->req) >= g->cseq)
		g->cseq = sip_req_cseq(g->req) + 1;
	sip_req_free(g->req);
	g->req = NULL;
	bool unbind = s->mode == SIP_REG_UNBIND || s->mode == SIP_REG_UNBIND_ALL || g->stopping;
	snprintf(g->expires_hdr, sizeof g->expires_hdr, "Expires: %lu", unbind ? 0ul : g->expires);
	bool query = s->mode == SIP_REG_QUERY;
	g->sent_unbind = unbind;
	g->inflight = !s->dry_run;
	struct sip_req_spec rs = {
		.method = "REGISTER",
		.uri = &g->registrar,
		.targets = g->ntargets ? g->targets + g->cur : NULL,
		.ntargets = g->ntargets ? g->ntargets - g->cur : 0,
		.proxy = s->proxy ? &g->proxy : NULL,
		.transport = s->transport,
		.family = s->family,
		.from = s->from ? s->from : g->aor_buf,
		.from_tag = g->from_tag,
		.to = s->to ? s->to : g->aor_buf,
		.call_id = g->call_id,
		.cseq = g->cseq,
		.contact = query                           ? ""
	                   : s->mode == SIP_REG_UNBIND_ALL ? "*"
	                                                   : s->contact,
		.contact_user = s->contact_user,
		.max_forwards = s->max_forwards,
		.user_agent = s->user_agent,
		.headers = query ? g->headers + 1 : g->headers,
		.nheaders = query ? g->nheaders - 1 : g->nheaders,
		.timeout_us = s->timeout_us,
		.account = s->account,
		.dry_run = s->dry_run,
		.done = on_done,
		.auth = s->auth ? on_auth : NULL,
		.failover = on_failover,
		.arg = g,
	};
	return sip_req_start(&g->req, g->ua, &rs);
}

/* ---- the registration's own copy of what the caller gave ---- */

static int keep_spec(struct sip_reg *g, const struct sip_reg_spec *spec)
{
	const char *strs[] = {spec->from, spec->to, spec->contact, spec->contact_user,
	                      spec->user_agent};
	size_t n = 1;
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		n += strs[i] ? strlen(strs[i]) + 1 : 0;
	for (size_t i = 0; i < spec->nheaders; i++)
		n += strlen(spec->headers[i].line) + 1;
	g->nheaders = spec->nheaders + 1;
	if (!(g->text = malloc(n)) || !(g->headers = malloc(g->nheaders * sizeof *g->headers)))
		return SIP_ENOMEM;
	char *o = g->text;
	g->spec = *spec;
	g->spec.from = sip_put_str(&o, spec->from);
	g->spec.to = sip_put_str(&o, spec->to);
	g->spec.contact = sip_put_str(&o, spec->contact);
	g->spec.contact_user = sip_put_str(&o, spec->contact_user);
	g->spec.user_agent = sip_put_str(&o, spec->user_agent);
	g->headers[0].line = g->expires_hdr;
	for (size_t i = 0; i < spec->nheaders; i++)
		g->headers[i + 1].line = sip_put_str(&o, spec->headers[i].line);
	g->spec.headers = NULL;
	g->spec.targets = NULL;
	g->spec.aor = g->spec.registrar = g->spec.proxy = NULL;
	int err = sip_uri_copy(spec->aor, g->aor_buf, sizeof g->aor_buf, &g->aor);
	if (!err)
		err = sip_uri_copy(spec->registrar, g->registrar_buf, sizeof g->registrar_buf,
		                   &g->registrar);
	if (!err && spec->proxy)
		err = sip_uri_copy(spec->proxy, g->proxy_buf, sizeof g->proxy_buf, &g->proxy);
	return err;
}

int sip_reg_start(struct sip_reg **gp, struct sip_ua *ua, const struct sip_reg_spec *spec)
{
	if (!gp || !ua || !spec || !spec->aor || !spec->registrar || !spec->done ||
	    spec->ntargets > SIP_RESOLVE_MAX || (spec->keep && spec->mode != SIP_REG_BIND))
		return SIP_EINVAL;
	*gp = NULL;
	struct sip_reg *g = calloc(1, sizeof *g);
	if (!g)
		return SIP_ENOMEM;
	g->ua = ua;
	sip_timer_init(&g->refresh);
	sip_timer_init(&g->later);
	g->expires = spec->expires;
	g->cseq = 1;
	memcpy(g->targets, spec->targets, spec->ntargets * sizeof *spec->targets);
	g->ntargets = spec->ntargets;
	int err = keep_spec(g, spec);
	if (!err)
		err = sip_call_id_init(g->call_id, sizeof g->call_id, spec->call_id);
	if (!err)
		err = sip_rand_token(g->from_tag, 12);
	if (!err)
		err = send_register(g);
	if (err) {
		sip_reg_free(g);
		return err;
	}
	*gp = g;
	return 0;
}

int sip_reg_stop(struct sip_reg *g)
{
	if (!g || g->finished || g->stopping)
		return SIP_EINVAL;
	g->stopping = true;
	sip_timer_cancel(sip_ua_loop(g->ua), &g->refresh);
	/* A first REGISTER under way: its answer says whether there is a binding to remove. */
	if (!g->bound && g->inflight)
		return 0;
	if (!g->bound)
		return sip_timer_start(sip_ua_loop(g->ua), &g->later, 0, on_stopped, g);
	/* Whatever is under way gives way to the removal. */
	int err = send_register(g);
	if (err)
		return sip_timer_start(sip_ua_loop(g->ua), &g->later, 0, on_stopped, g);
	return 0;
}

void sip_reg_free(struct sip_reg *g)
{
	if (!g)
		return;
	if (g->in_handler) {
		g->freed = true;
		return;
	}
	sip_timer_cancel(sip_ua_loop(g->ua), &g->refresh);
	sip_timer_cancel(sip_ua_loop(g->ua), &g->later);
	sip_req_free(g->req);
	free(g->headers);
	free(g->text);
	free(g);
}

bool sip_reg_bound(const struct sip_reg *g)
{
	return g && g->bound;
}

unsigned long sip_reg_granted(const struct sip_reg *g)
{
	return g ? g->granted : 0;
}

unsigned long sip_reg_expires(const struct sip_reg *g)
{
	return g ? g->expires : 0;
}

struct sip_req *sip_reg_request(const struct sip_reg *g)
{
	return g ? g->req : NULL;
}
