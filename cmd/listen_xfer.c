/* listen_xfer.c - `sip listen --accept-refer`: the transferee (RFC 3515,
 * RFC 5589). A REFER gets 202; the call its Refer-To names is placed (with
 * its Replaces and the REFER's Referred-By), its progress goes back in
 * NOTIFYs of message/sipfrag, and once it is answered the call the REFER
 * came in is hung up. One at a time, sip: and sips: targets alone, never
 * back to this listener: a listener on every address that calls whatever
 * a stranger names would be a toll-fraud tool, hence the option. */
#include <ifaddrs.h>
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "listen.h"

/* ---- the NOTIFYs ---- */

static int sipfrag(struct sip_notifier *n, struct sip_buf *body, const char **content_type,
                   void *arg)
{
	struct lxfer *x = arg;
	(void)n;
	*content_type = "message/sipfrag;version=2.0";
	return sip_buf_printf(body, "SIP/2.0 %u %s\r\n", x->status, x->reason);
}

static void say(struct lxfer *x, const char *fmt, ...) SIP_PRINTF(2, 3);
static void say(struct lxfer *x, const char *fmt, ...)
{
	char fields[1200], jg[1100];
	va_list ap;
	snprintf(fields, sizeof fields, ",\"target\":%s,\"status\":%u",
	         listen_jstr(jg, sizeof jg, x->target), x->status);
	va_start(ap, fmt);
	listen_vsay(x->ls, "Transfer:", "transfer", fields, fmt, ap);
	va_end(ap);
}

static void xfer_free(struct lxfer *x)
{
	struct listener *ls = x->ls;
	bool counted = !x->in_dialog;
	if (x->from_call)
		x->from_call->referred = NULL;
	if (x->call) {
		x->call->xfer = NULL;
		/* -c: the REFER is done when the call it placed is. */
		x->call->counted = counted;
		counted = false;
	}
	sip_notifier_free(x->notifier);
	sip_call_free(x->kept); /* after the notifier that borrows its dialog */
	probe_dest_reset(&x->dest);
	if (ls->xfer == x)
		ls->xfer = NULL;
	free(x);
	if (counted)
		listen_done_one(ls);
	listen_maybe_stop(ls);
}

/* The transfer worked: the call it came in is over for us (RFC 5589
 * section 6), once the referrer has heard so. */
static void leave_old_call(struct lxfer *x)
{
	if (x->final && x->status < 300 && x->from_call)
		listen_call_hangup(x->from_call);
}

static void on_not_done(struct sip_notifier *n, enum sip_notifier_end how, int err,
                        const struct sip_msg *msg, void *arg)
{
	struct lxfer *x = arg;
	x->notifier = NULL;
	sip_notifier_free(n);
	if (how == SIP_NOTIFIER_END_REJECTED)
		cmd_warn(x->ls->cmd, "transfer: the referrer refused our NOTIFY (%s)",
		         msg ? "a final response" : sip_strerror(err));
	leave_old_call(x);
	/* The call placed lives on as a call of its own. */
	if (x->final || !x->call)
		xfer_free(x);
}

/* The call the REFER came in has ended: the subscription is a usage of
 * the dialog of its own (RFC 5057 section 5), so the transfer goes on and
 * its last NOTIFY still goes; the call is kept until then for its dialog. */
void listen_xfer_detach(struct lxfer *x, struct sip_call *call)
{
	x->from_call = NULL;
	if (x->notifier) {
		x->kept = call;
		return;
	}
	sip_call_free(call);
	if (x->final || !x->call)
		xfer_free(x);
}

void listen_xfer_free(struct listener *ls)
{
	if (ls->xfer)
		xfer_free(ls->xfer);
}

/* The referred call's progress: a NOTIFY with its status line. */
void listen_xfer_progress(struct lxfer *x, unsigned status, const char *reason)
{
	if (x->final || status == x->status)
		return;
	x->status = status;
	snprintf(x->reason, sizeof x->reason, "%s", reason);
	if (status < 200) {
		say(x, "%u %s", status, reason);
		if (x->notifier)
			sip_notifier_notify(x->notifier);
		return;
	}
	x->final = true;
	say(x, "%u %s: %s", status, reason, status < 300 ? "transferred" : "failed");
	if (x->notifier && sip_notifier_terminate(x->notifier, "noresource") == 0)
		return;
	leave_old_call(x);
	xfer_free(x);
}

void listen_xfer_ended(struct lxfer *x, unsigned status, const char *reason)
{
	x->call->xfer = NULL;
	x->call = NULL;
	if (!x->final)
		listen_xfer_progress(x, status, reason);
	else if (!x->notifier)
		xfer_free(x);
}

/* Ctrl-C: a transfer still ringing ends with its call (listen_calls_end). */
void listen_xfer_end(struct listener *ls)
{
	struct lxfer *x = ls->xfer;
	if (x && !x->call && !x->final)
		listen_xfer_progress(x, 487, "Request Terminated");
}

/* ---- the call it places ---- */

/* A target of the Refer-To's that is this listener: a loop. */
static bool is_me(const struct listener *ls, const struct sip_sockaddr *in_local,
                  const struct sip_sockaddr *a)
{
	if (sip_sockaddr_port(a) != sip_sockaddr_port(&ls->bound))
		return false;
	if (sip_sockaddr_eq(a, &ls->bound) || sip_sockaddr_eq(a, in_local))
		return true;
	char host[64], bound[64];
	if (sip_sockaddr_host(a, host, sizeof host) < 0 ||
	    sip_sockaddr_host(&ls->bound, bound, sizeof bound) < 0)
		return false;
	/* On every address: loopback is ours too, and each of the host's. */
	bool any = strcmp(bound, "0.0.0.0") == 0 || strcmp(bound, "::") == 0;
	if (!any)
		return false;
	if (strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0)
		return true;
	struct ifaddrs *ifs, *i;
	bool me = false;
	if (getifaddrs(&ifs) != 0)
		return false;
	for (i = ifs; i && !me; i = i->ifa_next) {
		char h[64];
		struct sip_sockaddr sa = {.len = sizeof sa.u.in6};
		if (!i->ifa_addr || i->ifa_addr->sa_family != a->u.sa.sa_family)
			continue;
		memcpy(&sa.u, i->ifa_addr,
		       a->u.sa.sa_family == AF_INET ? sizeof sa.u.in : sizeof sa.u.in6);
		me = sip_sockaddr_host(&sa, h, sizeof h) >= 0 && strcmp(h, host) == 0;
	}
	freeifaddrs(ifs);
	return me;
}

static void on_dest(struct probe_dest *d, int err, void *arg)
{
	struct lxfer *x = arg;
	struct listener *ls = x->ls;
	if (!err && (err = probe_dest_local(d)) != 0)
		d->ntargets = 0;
	for (size_t i = 0; !err && i < d->ntargets; i++) {
		if (is_me(ls, &x->in_local, &d->targets[i].addr)) {
			listen_xfer_progress(x, 482, "Loop Detected: Refer-To Is This Listener");
			return;
		}
	}
	if (err) {
		listen_xfer_progress(x, err == SIP_ENOTFOUND || err == SIP_EDNS ? 404 : 503,
		                     sip_strerror(err));
		return;
	}
	char rb[340], rp[530];
	struct sip_build_hdr hdrs[2];
	size_t nh = 0;
	if (x->referred_by[0]) {
		snprintf(rb, sizeof rb, "Referred-By: %s", x->referred_by);
		hdrs[nh++].line = rb;
	}
	if (x->replaces[0]) {
		snprintf(rp, sizeof rp, "Replaces: %s", x->replaces);
		hdrs[nh++].line = rp;
	}
	struct sip_req_spec rs;
	probe_req_spec(&ls->pc, d, &rs);
	rs.headers = hdrs;
	rs.nheaders = nh;
	if (ls->register_aor)
		rs.from = ls->aor_from;
	x->call = listen_call_place(ls, x, &rs);
	if (!x->call)
		listen_xfer_progress(x, 500, "Cannot Place The Call");
}

/* ---- the REFER ---- */

static void refuse(struct listener *ls, struct lcall *lc, struct sip_incoming *in,
                   const struct sip_msg *req, unsigned status, const char *reason)
{
	struct sip_response_spec rs = {.status = status, .reason = reason};
	listen_answer(ls, in, req, &rs, NULL);
	if (!lc)
		listen_done_one(ls);
}

/* The Refer-To's URI without its headers, and the Replaces among them unescaped. */
static int take_target(struct lxfer *x, struct sip_str uri_text)
{
	struct sip_uri u;
	if (sip_uri_parse(&u, uri_text) != 0)
		return SIP_ESYNTAX;
	if (u.scheme != SIP_URI_SIP && u.scheme != SIP_URI_SIPS)
		return SIP_ESCHEME;
	size_t n = u.headers.len ? (size_t)(u.headers.p - 1 - uri_text.p) : uri_text.len;
	if (n >= sizeof x->target)
		return SIP_ENOSPC;
	memcpy(x->target, uri_text.p, n);
	x->target[n] = '\0';
	struct sip_str hs = u.headers;
	while (hs.len) {
		const char *amp = memchr(hs.p, '&', hs.len);
		struct sip_str h = {hs.p, amp ? (size_t)(amp - hs.p) : hs.len};
		hs = amp ? (struct sip_str){amp + 1, hs.len - h.len - 1} : (struct sip_str){0};
		if (h.len > 9 && strncasecmp(h.p, "Replaces=", 9) == 0 &&
		    sip_uri_unescape((struct sip_str){h.p + 9, h.len - 9}, x->replaces,
		                     sizeof x->replaces) < 0)
			return SIP_ESYNTAX;
		/* It becomes a header line of the INVITE: one line, no controls. */
		for (const char *c = x->replaces; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				return SIP_ESYNTAX;
	}
	return sip_uri_parse(&x->uri, sip_str_from(x->target));
}

bool listen_refer(struct listener *ls, struct lcall *lc, struct sip_incoming *in,
                  const struct sip_msg *req)
{
	const struct sip_hdr *rt = sip_msg_hdr(req, SIP_HDR_REFER_TO);
	const struct sip_hdr *rb = sip_msg_hdr(req, SIP_HDR_REFERRED_BY);
	struct sip_addr a;
	if (!ls->accept_refer) {
		refuse(ls, lc, in, req, 603, "Transfers Need --accept-refer");
		return true;
	}
	if (ls->stopping) {
		refuse(ls, lc, in, req, 503, "Shutting Down");
		return true;
	}
	if (!rt || sip_msg_hdr_count(req, SIP_HDR_REFER_TO) != 1 ||
	    sip_addr_parse(&a, rt->value) != 0) {
		refuse(ls, lc, in, req, 400, "One Refer-To Wanted");
		return true;
	}
	if (ls->xfer) {
		refuse(ls, lc, in, req, 491, "A Transfer Is Under Way");
		return true;
	}
	struct lxfer *x = calloc(1, sizeof *x);
	if (!x) {
		refuse(ls, lc, in, req, 500, "Out Of Memory");
		return true;
	}
	x->ls = ls;
	x->in_local = sip_incoming_packet(in)->local;
	int err = take_target(x, a.uri);
	if (err) {
		free(x);
		refuse(ls, lc, in, req, err == SIP_ESCHEME ? 403 : 400,
		       err == SIP_ESCHEME ? "Only sip: And sips: Targets" : "Bad Refer-To");
		return true;
	}
	struct sip_sockaddr lit;
	uint16_t port = x->uri.port ? x->uri.port : x->uri.scheme == SIP_URI_SIPS ? 5061 : 5060;
	if ((x->uri.host_is_ip4 || x->uri.host_is_ip6) &&
	    sip_sockaddr_set(&lit, x->uri.host, port) == 0 && is_me(ls, &x->in_local, &lit)) {
		free(x);
		refuse(ls, lc, in, req, 403, "Refer-To Is This Listener");
		return true;
	}
	if (rb)
		cmd_safe(x->referred_by, sizeof x->referred_by, rb->value);
	/* The request is gone once the notifier has answered it. */
	char w[300];
	struct sip_addr fa;
	const struct sip_hdr *fh = sip_msg_hdr(req, SIP_HDR_FROM);
	if (fh && sip_addr_parse(&fa, fh->value) == 0)
		cmd_safe(w, sizeof w, fa.uri);
	else
		snprintf(w, sizeof w, "?");

	x->status = 100;
	snprintf(x->reason, sizeof x->reason, "Trying");
	x->in_dialog = lc != NULL;
	struct sip_notifier_spec ns = {
		.dialog = lc ? lc->dlg : NULL,
		.user_agent = ls->cc.user_agent ? ls->cc.user_agent : "sip/" SIP_VERSION,
		.body = sipfrag,
		.done = on_not_done,
		.arg = x,
	};
	if ((err = sip_notifier_accept(&x->notifier, ls->pc.ua, in, &ns)) != 0) {
		free(x);
		refuse(ls, lc, in, req, 500, "Cannot Take It");
		return true;
	}
	ls->xfer = x;
	if (lc) {
		x->from_call = lc;
		lc->referred = x;
	}
	char in_call[32] = "";
	if (lc)
		snprintf(in_call, sizeof in_call, " (in call %u)", lc->id.n);
	say(x, "%s asks for a call to %s%s: 202", w, x->target, in_call);
	if (probe_dest_resolve(&ls->pc, &x->dest, &x->uri, on_dest, x) != 0)
		listen_xfer_progress(x, 503, "Cannot Resolve");
	return true;
}
