/* ua.c - the stack the user agent's operations share: a loop, a context
 * (transport and transactions) on it, and a resolver. */
#include <stdlib.h>
#include <string.h>

#include "sip_int.h"
#include "ua_int.h"

/* A handler of requests outside a dialog. */
struct accept {
	struct accept *next;
	char method[32]; /* "" for any */
	sip_incoming_h *h;
	void *arg;
};

/* A call's Call-ID and From tag, for the 2xx of forks no dialog knows yet. */
struct leg {
	struct leg *next;
	char call_id[64], tag[64];
	sip_recv_h *h;
	void *arg;
};

/* A dialog and one of its owners (a call's dialog may carry a REFER's
 * subscription too: one entry each). */
struct dlg {
	struct dlg *next;
	struct sip_dialog *d;
	sip_incoming_h *h;
	sip_recv_h *stray;
	void *arg;
};

struct sip_incoming {
	struct sip_ua *ua;
	struct sip_incoming *next; /* among the held */
	struct sip_strans *st;
	struct sip_packet_info pi;
	bool in_handler; /* answered from inside: freed when the handler returns */
	bool final;
	sip_incoming_cancel_h *on_cancel;
	void *cancel_arg;
};

/* Credentials of an account for a realm ("" for any). */
struct cred {
	struct cred *next;
	const void *account;
	char realm[128];
	char *user, *password;
};

/* WebSocket clients whose connections a server remembers. */
#define UA_FLOWS 64

struct sip_ua {
	struct sip_loop *loop;
	bool own_loop;
	struct sip_ctx *ctx;
	struct sip_resolver *resolver;
	uint64_t t1;
	struct accept *accepts;
	struct dlg *dialogs;
	struct leg *legs;
	struct sip_incoming *held;
	sip_recv_h *stray_h;
	void *stray_arg;
	struct cred *creds;
	sip_ua_auth_h *auth_h;
	void *auth_arg;
	const void *asking;       /* the account the handler is asked for */
	struct sip_req **waiting; /* for credentials */
	struct sip_ua_me me;      /* for me_local, me_tp and me_user */
	struct sip_sockaddr me_local;
	enum sip_tp me_tp;
	char me_user[64];
	bool me_kept, me_invalid;
	/* Our host as a WebSocket client, "<random>.invalid" (RFC 7118
	 * section 5.2): the server answers over the connection, whatever the
	 * Via says, and a browser knows no address of its own to put there. */
	char ws_host[32];
	/* The other way round, as a WebSocket server: the connections such
	 * clients came over, by the made-up host their Contact names, so that a
	 * request to them (a NOTIFY, a BYE) goes back the same way. The oldest
	 * is forgotten first. */
	struct ws_flow {
		char host[64];
		struct sip_target t;
	} flows[UA_FLOWS];
	size_t nflows, next_flow;
	bool insecure; /* TLS verifies nothing: failing over from it loses nothing */
	bool closing;  /* sip_ua_closing: no handler is called any more */
	size_t nwaiting, capwaiting;
};

/* ---- credentials ---- */

static struct cred *cred_find(struct sip_ua *ua, const void *account, struct sip_str realm)
{
	struct cred *any = NULL;
	for (struct cred *c = ua->creds; c; c = c->next) {
		if (c->account != account)
			continue;
		if (!c->realm[0])
			any = c;
		else if (sip_str_eq(realm, sip_str_from(c->realm)))
			return c;
	}
	return any;
}

bool sip_ua_creds_for(struct sip_ua *ua, const void *account, struct sip_str realm,
                      const char **user, const char **password)
{
	struct cred *c = cred_find(ua, account, realm);
	if (!c || !c->user)
		return false;
	*user = c->user;
	*password = c->password;
	return true;
}

void sip_ua_creds_forget(struct sip_ua *ua, struct sip_req *r)
{
	for (size_t i = 0; i < ua->nwaiting; i++) {
		if (ua->waiting[i] == r) {
			ua->waiting[i] = ua->waiting[--ua->nwaiting];
			return;
		}
	}
}

bool sip_ua_creds_wait(struct sip_ua *ua, struct sip_req *r, const struct sip_challenge *ch)
{
	if (!ua->auth_h)
		return false;
	bool asked = false;
	const void *account = sip_req_account(r);
	for (size_t i = 0; i < ua->nwaiting; i++)
		asked |= sip_req_account(ua->waiting[i]) == account &&
		         sip_str_eq(ch->realm, sip_str_from(sip_req_auth_realm(ua->waiting[i])));
	if (ua->nwaiting == ua->capwaiting) {
		size_t cap = ua->capwaiting ? 2 * ua->capwaiting : 8;
		struct sip_req **w = realloc(ua->waiting, cap * sizeof *w);
		if (!w)
			return false;
		ua->waiting = w;
		ua->capwaiting = cap;
	}
	ua->waiting[ua->nwaiting++] = r;
	/* Last: the handler may answer at once. */
	if (!asked) {
		const void *outer = ua->asking;
		ua->asking = account;
		ua->auth_h(ua, ch, ua->auth_arg);
		ua->asking = outer;
	}
	return true;
}

const void *sip_ua_auth_account(const struct sip_ua *ua)
{
	return ua ? ua->asking : NULL;
}

bool sip_ua_has_auth_handler(const struct sip_ua *ua)
{
	return ua->auth_h != NULL;
}

void sip_ua_auth_handler(struct sip_ua *ua, sip_ua_auth_h *h, void *arg)
{
	if (!ua)
		return;
	ua->auth_h = h;
	ua->auth_arg = arg;
}

int sip_ua_credentials(struct sip_ua *ua, const char *realm, const char *user, const char *password)
{
	return sip_ua_credentials_for(ua, NULL, realm, user, password);
}

int sip_ua_credentials_for(struct sip_ua *ua, const void *account, const char *realm,
                           const char *user, const char *password)
{
	if (!ua || (realm && strlen(realm) >= sizeof ua->creds->realm))
		return SIP_EINVAL;
	struct sip_str rs = sip_str_from(realm ? realm : "");
	struct cred *c = NULL;
	for (c = ua->creds; c && (c->account != account || !sip_str_eq(rs, sip_str_from(c->realm)));
	     c = c->next)
		;
	if (!c) {
		if (!(c = calloc(1, sizeof *c)))
			return SIP_ENOMEM;
		c->account = account;
		snprintf(c->realm, sizeof c->realm, "%s", realm ? realm : "");
		c->next = ua->creds;
		ua->creds = c;
	}
	sip_wipe(&c->user);
	sip_wipe(&c->password);
	if (user &&
	    (!(c->user = sip_dup(user)) || !(c->password = sip_dup(password ? password : ""))))
		return SIP_ENOMEM;
	/* The requests waiting for this realm go on: answered, or refused. */
	for (size_t i = 0; i < ua->nwaiting;) {
		struct sip_req *r = ua->waiting[i];
		if (sip_req_account(r) != account ||
		    (realm && strcmp(realm, sip_req_auth_realm(r)) != 0)) {
			i++;
			continue;
		}
		ua->waiting[i] = ua->waiting[--ua->nwaiting];
		sip_req_authenticate(r, c->user, c->password);
	}
	return 0;
}

void sip_ua_credentials_clear(struct sip_ua *ua)
{
	while (ua->creds) {
		struct cred *c = ua->creds;
		ua->creds = c->next;
		sip_wipe(&c->user);
		sip_wipe(&c->password);
		free(c);
	}
}

/* ---- incoming requests ---- */

static void incoming_unlink(struct sip_incoming *in)
{
	for (struct sip_incoming **pp = &in->ua->held; *pp; pp = &(*pp)->next) {
		if (*pp == in) {
			*pp = in->next;
			return;
		}
	}
}

static void incoming_free(struct sip_incoming *in)
{
	incoming_unlink(in);
	free(in);
}

int sip_incoming_respond(struct sip_incoming *in, const struct sip_response_spec *spec)
{
	if (!in || !spec || in->final)
		return SIP_EINVAL;
	int err = sip_strans_respond(in->st, spec);
	if (err || spec->status < 200)
		return err;
	in->final = true;
	if (!in->in_handler)
		incoming_free(in);
	return 0;
}

int sip_incoming_default(struct sip_incoming *in)
{
	if (!in || in->final)
		return SIP_EINVAL;
	int err = sip_ctx_default_answer(in->ua->ctx, in->st, sip_incoming_request(in));
	in->final = true;
	if (!in->in_handler)
		incoming_free(in);
	return err;
}

const struct sip_msg *sip_incoming_request(const struct sip_incoming *in)
{
	return in ? sip_strans_request(in->st) : NULL;
}

const struct sip_packet_info *sip_incoming_packet(const struct sip_incoming *in)
{
	return in ? &in->pi : NULL;
}

void sip_incoming_on_cancel(struct sip_incoming *in, sip_incoming_cancel_h *h, void *arg)
{
	if (!in)
		return;
	in->on_cancel = h;
	in->cancel_arg = arg;
}

static void on_cancelled(struct sip_strans *st, void *arg)
{
	struct sip_incoming *in = arg;
	(void)st;
	in->final = true;
	incoming_unlink(in);
	if (in->on_cancel)
		in->on_cancel(in, in->cancel_arg);
	free(in);
}

static bool method_is(const struct accept *a, const struct sip_msg *req)
{
	return !a->method[0] || sip_str_eq(req->method_name, sip_str_from(a->method));
}

/* A request in first's dialog: its owners are asked, the one added last
 * first, until one takes it. They share one CSeq space, so the order is
 * kept here: a request not above the last one the far end sent gets 500
 * (RFC 3261 §12.2.2), and no owner sees it. */
static bool in_dialog(struct dlg *first, struct sip_incoming *in, const struct sip_msg *req)
{
	if (!sip_dialog_take_cseq(first->d, req)) {
		struct sip_response_spec rs = {.status = 500, .reason = "CSeq Out of Order"};
		sip_incoming_respond(in, &rs);
		return true;
	}
	struct dlg *next;
	for (struct dlg *d = first; d; d = next) {
		next = d->next; /* the owner may remove itself */
		if (sip_dialog_match(d->d, req) && d->h && d->h(in, req, d->arg))
			return true;
	}
	return false;
}

static bool dispatch(struct sip_ua *ua, struct sip_incoming *in, const struct sip_msg *req)
{
	struct sip_addr to;
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_TO);
	if (h && sip_addr_parse(&to, h->value) == 0 && to.tag.len) {
		struct dlg *d = ua->dialogs;
		while (d && !sip_dialog_match(d->d, req))
			d = d->next;
		if (d)
			return in_dialog(d, in, req);
	}
	/* A request of no dialog we know goes to the handlers too: its To tag
	 * tells them so (sip listen counts it), and nobody taking it, 481. */
	struct accept *next;
	for (struct accept *a = ua->accepts; a; a = next) {
		next = a->next; /* the handler may remove itself */
		if (method_is(a, req) && a->h(in, req, a->arg))
			return true;
	}
	return false;
}

static bool invalid_host(struct sip_str h)
{
	static const char tld[] = ".invalid";
	size_t n = sizeof tld - 1;
	return h.len > n && sip_str_ieq_cstr(sip_str_sub(h, h.len - n, h.len), tld);
}

static struct ws_flow *flow_find(struct sip_ua *ua, struct sip_str host)
{
	for (size_t i = 0; i < ua->nflows; i++)
		if (sip_str_ieq_cstr(host, ua->flows[i].host))
			return &ua->flows[i];
	return NULL;
}

/* A request over WebSocket whose Contact names a made-up host: its
 * connection is where requests to that host go. */
static void flow_learn(struct sip_ua *ua, const struct sip_msg *req,
                       const struct sip_packet_info *pi)
{
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_CONTACT);
	struct sip_addr a;
	struct sip_uri u;
	if ((pi->tp != SIP_TP_WS && pi->tp != SIP_TP_WSS) || !h ||
	    sip_addr_parse(&a, h->value) != 0 || sip_uri_parse(&u, a.uri) != 0 ||
	    !invalid_host(u.host) || u.host.len >= sizeof ua->flows[0].host)
		return;
	struct ws_flow *f = flow_find(ua, u.host);
	if (!f) {
		f = &ua->flows[ua->next_flow];
		ua->next_flow = (ua->next_flow + 1) % UA_FLOWS;
		if (ua->nflows < UA_FLOWS)
			ua->nflows++;
		memcpy(f->host, u.host.p, u.host.len);
		f->host[u.host.len] = '\0';
	}
	f->t = (struct sip_target){.tp = pi->tp, .addr = pi->remote};
}

static void on_request(struct sip_strans *st, const struct sip_msg *req,
                       const struct sip_packet_info *pi, void *arg)
{
	struct sip_ua *ua = arg;
	flow_learn(ua, req, pi);
	if (ua->closing) {
		struct sip_response_spec s = {.status = 503};
		sip_strans_respond(st, &s);
		return;
	}
	struct sip_incoming *in = calloc(1, sizeof *in);
	if (!in)
		return; /* the context answers 500 */
	in->ua = ua;
	in->st = st;
	in->pi = *pi;
	in->in_handler = true;
	bool taken = dispatch(ua, in, req);
	in->in_handler = false;
	if (!taken && !in->final)
		sip_ctx_default_answer(ua->ctx, st, req);
	else if (!in->final) {
		/* Held: answered later, or ended by a CANCEL. */
		in->next = ua->held;
		ua->held = in;
		sip_strans_hold(st, on_cancelled, in);
		return;
	}
	free(in);
}

static void on_stray(const struct sip_msg *m, const struct sip_packet_info *pi, void *arg)
{
	struct sip_ua *ua = arg;
	bool known = false;
	if (ua->closing)
		return;
	for (struct dlg *d = ua->dialogs; d; d = d->next) {
		if (sip_dialog_match(d->d, m)) {
			known = true;
			if (d->stray) {
				d->stray(m, pi, d->arg);
				return;
			}
		}
	}
	if (known)
		return;
	const struct sip_hdr *id = sip_msg_hdr(m, SIP_HDR_CALL_ID);
	const struct sip_hdr *from = sip_msg_hdr(m, SIP_HDR_FROM);
	struct sip_addr a;
	if (!m->is_request && id && from && sip_addr_parse(&a, from->value) == 0) {
		for (struct leg *l = ua->legs; l; l = l->next) {
			if (sip_str_eq(id->value, sip_str_from(l->call_id)) &&
			    sip_str_eq(a.tag, sip_str_from(l->tag))) {
				l->h(m, pi, l->arg);
				return;
			}
		}
	}
	if (ua->stray_h)
		ua->stray_h(m, pi, ua->stray_arg);
}

int sip_ua_leg_add(struct sip_ua *ua, const char *call_id, const char *tag, sip_recv_h *h,
                   void *arg)
{
	struct leg *l = calloc(1, sizeof *l);
	if (!l)
		return SIP_ENOMEM;
	size_t ni = strlen(call_id), nt = strlen(tag);
	if (ni >= sizeof l->call_id || nt >= sizeof l->tag) {
		free(l);
		return SIP_EINVAL;
	}
	memcpy(l->call_id, call_id, ni + 1);
	memcpy(l->tag, tag, nt + 1);
	l->h = h;
	l->arg = arg;
	l->next = ua->legs;
	ua->legs = l;
	return 0;
}

void sip_ua_leg_remove(struct sip_ua *ua, sip_recv_h *h, void *arg)
{
	for (struct leg **pp = &ua->legs; *pp; pp = &(*pp)->next) {
		if ((*pp)->h == h && (*pp)->arg == arg) {
			struct leg *l = *pp;
			*pp = l->next;
			free(l);
			return;
		}
	}
}

int sip_ua_accept(struct sip_ua *ua, const char *method, sip_incoming_h *h, void *arg)
{
	if (!ua || !h || (method && strlen(method) >= sizeof ua->accepts->method))
		return SIP_EINVAL;
	struct accept *a = calloc(1, sizeof *a);
	if (!a)
		return SIP_ENOMEM;
	snprintf(a->method, sizeof a->method, "%s", method ? method : "");
	a->h = h;
	a->arg = arg;
	a->next = ua->accepts;
	ua->accepts = a;
	return 0;
}

void sip_ua_accept_remove(struct sip_ua *ua, sip_incoming_h *h, void *arg)
{
	for (struct accept **pp = ua ? &ua->accepts : NULL; pp && *pp;) {
		struct accept *a = *pp;
		if (a->h == h && a->arg == arg) {
			*pp = a->next;
			free(a);
		} else {
			pp = &a->next;
		}
	}
}

int sip_ua_dialog_add(struct sip_ua *ua, struct sip_dialog *d, sip_incoming_h *h, sip_recv_h *stray,
                      void *arg)
{
	if (!ua || !d)
		return SIP_EINVAL;
	struct dlg *e = calloc(1, sizeof *e);
	if (!e)
		return SIP_ENOMEM;
	e->d = d;
	e->h = h;
	e->stray = stray;
	e->arg = arg;
	e->next = ua->dialogs;
	ua->dialogs = e;
	return 0;
}

void sip_ua_dialog_remove(struct sip_ua *ua, const struct sip_dialog *d, void *arg)
{
	for (struct dlg **pp = ua ? &ua->dialogs : NULL; pp && *pp; pp = &(*pp)->next) {
		if ((*pp)->d == d && (*pp)->arg == arg) {
			struct dlg *e = *pp;
			*pp = e->next;
			free(e);
			return;
		}
	}
}

void sip_ua_stray(struct sip_ua *ua, sip_recv_h *h, void *arg)
{
	if (!ua)
		return;
	ua->stray_h = h;
	ua->stray_arg = arg;
}

/* ---- the stack ---- */

int sip_ua_new(struct sip_ua **uap, const struct sip_ua_opts *opts)
{
	if (!uap || !opts)
		return SIP_EINVAL;
	*uap = NULL;
	struct sip_ua *ua = calloc(1, sizeof *ua);
	if (!ua)
		return SIP_ENOMEM;
	ua->t1 = opts->ctx.t1_us ? opts->ctx.t1_us : SIP_T1_DEFAULT;
	ua->insecure = opts->ctx.tp.insecure;
	/* The resolver first: a DNS server that is no address is the caller's
	 * mistake, to be told before any socket is opened. */
	int err = 0;
	if (opts->loop)
		ua->loop = opts->loop;
	else if ((err = sip_loop_new(&ua->loop)) == 0)
		ua->own_loop = true;
	if (!err)
		err = sip_resolver_new(&ua->resolver, ua->loop, opts->dns_server);
	if (!err)
		err = sip_ctx_new(&ua->ctx, ua->loop, &opts->ctx, opts->tp_err, opts->arg);
	if (err) {
		sip_ua_free(ua);
		return err;
	}
	sip_ctx_set_request_handler(ua->ctx, on_request, ua);
	sip_ctx_set_stray_handler(ua->ctx, on_stray, ua);
	*uap = ua;
	return 0;
}

/* Requests still held are turned away, not left ringing. */
static void ua_turn_away_held(struct sip_ua *ua)
{
	while (ua->held) {
		struct sip_incoming *in = ua->held;
		struct sip_response_spec s = {.status = 503};
		incoming_unlink(in);
		sip_strans_respond(in->st, &s);
		free(in);
	}
}

uint64_t sip_ua_closing(struct sip_ua *ua)
{
	ua->closing = true;
	ua_turn_away_held(ua);
	uint64_t at = sip_ctx_answered_at(ua->ctx);
	uint64_t until = at ? at + 2 * ua->t1 : 0;
	return until > sip_loop_now(ua->loop) ? until : 0;
}

void sip_ua_free(struct sip_ua *ua)
{
	if (!ua)
		return;
	ua_turn_away_held(ua);
	while (ua->accepts) {
		struct accept *a = ua->accepts;
		ua->accepts = a->next;
		free(a);
	}
	while (ua->dialogs) {
		struct dlg *d = ua->dialogs;
		ua->dialogs = d->next;
		free(d);
	}
	while (ua->legs) {
		struct leg *l = ua->legs;
		ua->legs = l->next;
		free(l);
	}
	sip_ua_credentials_clear(ua);
	free(ua->waiting);
	sip_resolver_free(ua->resolver);
	sip_ctx_free(ua->ctx);
	if (ua->own_loop)
		sip_loop_free(ua->loop);
	free(ua);
}

struct sip_loop *sip_ua_loop(struct sip_ua *ua)
{
	return ua ? ua->loop : NULL;
}

void sip_ua_set_handlers(struct sip_ua *ua, sip_trace_h *trace, sip_tp_err_h *tp_err, void *arg)
{
	sip_transport_set_trace(sip_ctx_transport(ua->ctx), trace, arg);
	sip_ctx_set_tp_err(ua->ctx, tp_err, arg);
}

void sip_ua_set_t1(struct sip_ua *ua, uint64_t t1_us)
{
	ua->t1 = t1_us ? t1_us : SIP_T1_DEFAULT;
	sip_ctx_set_t1(ua->ctx, ua->t1);
}

int sip_ua_tls_peer(struct sip_ua *ua, const struct sip_sockaddr *remote, char *buf, size_t cap)
{
	if (!ua)
		return SIP_EINVAL;
	return sip_transport_tls_peer(sip_ctx_transport(ua->ctx), remote, buf, cap);
}

int sip_ua_local(struct sip_ua *ua, const struct sip_target *t, struct sip_sockaddr *local)
{
	if (!ua || !t)
		return SIP_EINVAL;
	return sip_transport_local(sip_ctx_transport(ua->ctx), t->tp, &t->addr,
	                           t->name[0] ? t->name : NULL, local);
}

int sip_ua_send(struct sip_ua *ua, const struct sip_target *t, const char *buf, size_t len)
{
	if (!ua || !t)
		return SIP_EINVAL;
	return sip_transport_send(sip_ctx_transport(ua->ctx), t->tp, &t->addr,
	                          t->name[0] ? t->name : NULL, buf, len);
}

int sip_ua_listen(struct sip_ua *ua, enum sip_tp tp)
{
	return ua ? sip_transport_listen(sip_ctx_transport(ua->ctx), tp) : SIP_EINVAL;
}

int sip_ua_bound(struct sip_ua *ua, enum sip_tp tp, int family, struct sip_sockaddr *local)
{
	return ua ? sip_transport_bound(sip_ctx_transport(ua->ctx), tp, family, local) : SIP_EINVAL;
}

int sip_ua_resolve(struct sip_ua *ua, const struct sip_uri *uri,
                   const struct sip_resolve_opts *opts, sip_resolve_h *h, void *arg)
{
	if (!ua)
		return SIP_EINVAL;
	/* A WebSocket client's made-up host resolves to the connection it
	 * came over, as its address and port. */
	struct ws_flow *f = invalid_host(uri->host) ? flow_find(ua, uri->host) : NULL;
	if (f) {
		char buf[128], addr[64];
		struct sip_uri u;
		int n = sip_sockaddr_print(&f->t.addr, addr, sizeof addr);
		if (n > 0)
			n = snprintf(buf, sizeof buf, "%s:%s;transport=%s",
			             f->t.tp == SIP_TP_WSS ? "sips" : "sip", addr,
			             f->t.tp == SIP_TP_WSS ? "wss" : "ws");
		if (n > 0 && (size_t)n < sizeof buf &&
		    sip_uri_parse(&u, (struct sip_str){buf, (size_t)n}) == 0)
			return sip_resolve(ua->resolver, &u, opts, h, arg);
	}
	return sip_resolve(ua->resolver, uri, opts, h, arg);
}

void sip_ua_resolve_cancel(struct sip_ua *ua, sip_resolve_h *h, void *arg)
{
	if (ua)
		sip_resolve_cancel(ua->resolver, h, arg);
}

/* "<sip:USER@HOST:PORT;transport=...>", the port left out when 0. */
static int contact_print(char *buf, size_t cap, const char *user, const char *host, uint16_t port,
                         enum sip_tp tp)
{
	char ps[12];
	ps[0] = ':';
	ps[port ? 1 + sip_put_decimal(ps + 1, port) : 0] = '\0';
	const char *cp[] = {"<sip:", user ? user : "sip", "@", host, ps, sip_tp_uri_param(tp), ">"};
	return sip_join(buf, cap, cp, 7);
}

/* invalid: a WebSocket client's made-up host, without a port. */
static int me_for(struct sip_ua *ua, const struct sip_sockaddr *local, enum sip_tp tp,
                  const char *user, bool invalid, const struct sip_ua_me **me)
{
	const char *u = user ? user : "sip";
	size_t ul = strlen(u);
	*me = &ua->me;
	if (ua->me_kept && ua->me_tp == tp && ua->me_invalid == invalid &&
	    sip_sockaddr_eq(&ua->me_local, local) && strcmp(ua->me_user, u) == 0)
		return 0;
	struct sip_ua_me *m = &ua->me;
	const char *fp[] = {"<sip:sip@", m->host, ">"};
	ua->me_kept = false;
	if (invalid && !ua->ws_host[0]) {
		int err = sip_rand_token(ua->ws_host, 12);
		if (err)
			return err;
		memcpy(ua->ws_host + 12, ".invalid", sizeof ".invalid");
	}
	m->port = invalid ? 0 : sip_sockaddr_port(local);
	if ((invalid ? snprintf(m->host, sizeof m->host, "%s", ua->ws_host)
	             : sip_sockaddr_host(local, m->host, sizeof m->host)) < 0 ||
	    sip_join(m->from, sizeof m->from, fp, 3) < 0 ||
	    contact_print(m->contact, sizeof m->contact, u, m->host, m->port, tp) < 0)
		return SIP_ENOSPC;
	if (ul < sizeof ua->me_user) {
		memcpy(ua->me_user, u, ul + 1);
		ua->me_local = *local;
		ua->me_tp = tp;
		ua->me_invalid = invalid;
		ua->me_kept = true;
	}
	return 0;
}

int sip_ua_me(struct sip_ua *ua, const struct sip_sockaddr *local, enum sip_tp tp, const char *user,
              const struct sip_ua_me **me)
{
	return me_for(ua, local, tp, user, tp == SIP_TP_WS || tp == SIP_TP_WSS, me);
}

int sip_ua_contact_for(struct sip_ua *ua, const struct sip_packet_info *pi, char *buf, size_t cap)
{
	struct sip_target t = {.tp = pi->tp, .addr = pi->remote};
	struct sip_sockaddr local;
	const struct sip_ua_me *me;
	int err = sip_ua_local(ua, &t, &local);
	/* Answering on a connection it accepted, a WebSocket server has an
	 * address of its own. */
	if (!err)
		err = me_for(ua, &local, pi->tp, NULL, false, &me);
	if (!err && (size_t)snprintf(buf, cap, "%s", me->contact) >= cap)
		err = SIP_ENOSPC;
	return err;
}

struct sip_ctx *sip_ua_ctx(struct sip_ua *ua)
{
	return ua->ctx;
}

bool sip_ua_insecure(const struct sip_ua *ua)
{
	return ua->insecure;
}

uint64_t sip_ua_t1(const struct sip_ua *ua)
{
	return ua->t1;
}

uint64_t sip_ua_refresh_us(unsigned long s)
{
	unsigned long t = s > 60 ? s - 30 : s / 2;
	return (uint64_t)(t ? t : 1) * 1000000u;
}
