/* probe.c - the network half every request-sending subcommand shares; see
 * probe.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "probe.h"

static void on_trace(const struct sip_packet_info *pi, const char *buf, size_t len, void *arg)
{
	struct probe_ctx *pc = arg;
	int err = pc->pcap ? sip_pcap_write(pc->pcap, pi, buf, len) : 0;
	if (err) {
		/* Said once: the capture ends here, the command goes on. */
		cmd_error(pc->cmd, "cannot write '%s': %s", pc->cc->pcap,
		          err == SIP_ESYS ? strerror(errno) : sip_strerror(err));
		sip_pcap_close(pc->pcap);
		pc->pcap = NULL;
	}
	if (!pc->show_messages && !pc->ladder)
		return;
	struct sip_msg *m = pc->scratch;
	bool parsed = sip_msg_parse(m, buf, len, 0) == 0;
	if (parsed && pc->ladder)
		sip_ladder_add(pc->ladder, m, pi);
	if (!pc->show_messages)
		return;
	struct sip_print_opts po = {
		.format = pc->cc->format,
		.color = pc->cc->color,
		.packet = pi,
		.t0_us = pc->t0,
	};
	if (parsed) {
		sip_msg_print(stdout, m, &po);
	} else {
		struct sip_diag why = {.line = m->err_line, .severity = SIP_SEV_ERROR};
		snprintf(why.text, sizeof why.text, "%s", m->err_text);
		po.diags = &why;
		po.ndiags = 1;
		sip_msg_print_unparsed(stdout, (struct sip_str){buf, len}, &po);
	}
	if (po.format == SIP_PRINT_PRETTY)
		putchar('\n');
	fflush(stdout);
}

static void on_tp_err(int err, enum sip_tp tp, const struct sip_sockaddr *remote,
                      const char *detail, void *arg)
{
	struct probe_ctx *pc = arg;
	char addr[64];
	if (sip_sockaddr_print(remote, addr, sizeof addr) < 0)
		addr[0] = '\0';
	/* A message that does not parse: a line each for the first few (a flood
	 * of them would bury everything else). A datagram fails nothing by
	 * itself; its transaction times out as a protocol failure. */
	if (err == SIP_EDROPPED || err == SIP_ESYNTAX) {
		enum { SHOWN = 3 };
		if (++pc->garbled <= SHOWN)
			cmd_warn(pc->cmd, "a message from %s %s does not parse: %s",
			         sip_tp_name(tp), addr,
			         detail && *detail ? detail : sip_strerror(err));
		else if (pc->garbled == SHOWN + 1)
			cmd_warn(pc->cmd, "more messages that do not parse: not reported");
		return;
	}
	/* The transaction reports the error code; the detail (which certificate
	 * check failed) is only here, and worth a line for TLS. */
	if (detail && *detail && (err == SIP_ETLS || pc->cc->verbose))
		cmd_error(pc->cmd, "%s %s: %s: %s", sip_tp_name(tp), addr, sip_strerror(err),
		          detail);
	else if (pc->cc->verbose)
		cmd_error(pc->cmd, "%s %s: %s", sip_tp_name(tp), addr, sip_strerror(err));
}

/* "ADDR[:PORT]", "[v6]:PORT", ":PORT" */
static int parse_local(struct probe_ctx *pc, const char *s, char *host, size_t cap, uint16_t *port)
{
	const char *colon = NULL;
	*port = 0;
	host[0] = '\0';
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || (size_t)(close - s) >= cap)
			goto bad;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] && !colon)
			goto bad;
	} else {
		colon = strrchr(s, ':');
		if (colon && strchr(s, ':') != colon)
			colon = NULL; /* a bare IPv6 address */
		size_t n = colon ? (size_t)(colon - s) : strlen(s);
		if (n >= cap)
			goto bad;
		memcpy(host, s, n);
		host[n] = '\0';
	}
	if (colon) {
		char *end;
		unsigned long v = strtoul(colon + 1, &end, 10);
		if (colon[1] < '0' || colon[1] > '9' || *end || v > 65535)
			goto bad;
		*port = (uint16_t)v;
	}
	struct sip_sockaddr sa;
	if (host[0] && sip_sockaddr_set(&sa, sip_str_from(host), 0) != 0)
		goto bad;
	return 0;
bad:
	cmd_error(pc->cmd, "bad address '%s': expected ADDR[:PORT] with a numeric address", s);
	return EXIT_USAGE;
}

int probe_ctx_init(struct probe_ctx *pc, const struct cmd *cmd, const struct cmd_common *cc,
                   const struct probe_setup *setup)
{
	char host[64];
	struct sip_ctx_opts o;
	memset(pc, 0, sizeof *pc);
	memset(&o, 0, sizeof o);
	pc->cmd = cmd;
	pc->cc = cc;
	pc->show_messages = setup->show_messages;
	o.tp.cert_file = setup->cert_file;
	o.tp.key_file = setup->key_file;
	if (cc->local) {
		int rc = parse_local(pc, cc->local, host, sizeof host, &o.tp.local_port);
		if (rc)
			return rc;
		o.tp.local_host = host[0] ? host : NULL;
	}
	o.tp.family = cc->family;
	o.tp.ca_file = cc->ca_file;
	o.tp.insecure = cc->insecure;
	o.tp.trace = on_trace;
	o.tp.trace_arg = pc;
	o.t1_us = cc->t1_us;
	o.user_agent = cc->user_agent ? cc->user_agent : "sip/" SIP_VERSION;
	pc->scratch = malloc(sizeof *pc->scratch);
	if (!pc->scratch || sip_loop_new(&pc->loop) != 0 ||
	    (setup->ladder && sip_ladder_new(&pc->ladder) != 0)) {
		sip_loop_free(pc->loop);
		free(pc->scratch);
		cmd_error(cmd, "out of memory");
		return EXIT_INTERNAL;
	}
	/* A path that cannot be written is a usage error, found before anything is sent. */
	if (cc->pcap && sip_pcap_open(&pc->pcap, cc->pcap) != 0) {
		cmd_error(cmd, "cannot write '%s': %s", cc->pcap, strerror(errno));
		probe_ctx_reset(pc);
		return EXIT_USAGE;
	}
	int err = sip_ctx_new(&pc->ctx, pc->loop, &o, on_tp_err, pc);
	if (err) {
		/* errno names what the system refused: an address in use, not ours. */
		cmd_error(cmd, "cannot open a socket%s%s: %s", cc->local ? " on " : "",
		          cc->local ? cc->local : "",
		          err == SIP_ESYS ? strerror(errno) : sip_strerror(err));
		probe_ctx_reset(pc);
		return EXIT_TRANSPORT;
	}
	int rc = cmd_resolver_new(cmd, cc, pc->loop, &pc->resolver);
	if (rc) {
		probe_ctx_reset(pc);
		return rc;
	}
	if (sip_rand_token(pc->call_id, 24) != 0 || sip_rand_token(pc->from_tag, 12) != 0) {
		cmd_error(cmd, "no random numbers");
		probe_ctx_reset(pc);
		return EXIT_INTERNAL;
	}
	pc->t0 = sip_loop_now(pc->loop);
	return 0;
}

void probe_ctx_reset(struct probe_ctx *pc)
{
	explicit_bzero(pc->password, sizeof pc->password);
	sip_resolver_free(pc->resolver);
	sip_ctx_free(pc->ctx);
	sip_loop_free(pc->loop);
	sip_pcap_close(pc->pcap);
	sip_ladder_free(pc->ladder);
	free(pc->scratch);
	memset(pc, 0, sizeof *pc);
}

/* UTF-8 box drawing when the locale says UTF-8, else ASCII. */
static bool utf8_locale(void)
{
	static const char *const vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return strcasestr(v, "utf-8") || strcasestr(v, "utf8");
	}
	return false;
}

void probe_print_ladder(struct probe_ctx *pc, FILE *f)
{
	struct winsize ws;
	struct sip_ladder_opts o = {
		.color = pc->cc->color && f == stdout,
		.ascii = !utf8_locale(),
		.t0_us = pc->t0,
	};
	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		o.width = ws.ws_col;
	if (f == stdout && pc->cc->format == SIP_PRINT_PRETTY && pc->show_messages)
		putchar('\n');
	sip_ladder_print(f, pc->ladder, &o);
	fflush(f);
}

/* ---- destinations ---- */

static void on_resolved(int err, const struct sip_target *targets, size_t n, void *arg)
{
	struct probe_dest *d = arg;
	if (!err) {
		memcpy(d->targets, targets, n * sizeof *targets);
		d->ntargets = n;
		/* -t over a target that named no transport: every address, that transport. */
		for (size_t i = 0; i < n && d->pc->cc->transport >= 0; i++)
			d->targets[i].tp = (enum sip_tp)d->pc->cc->transport;
		if (n == 0)
			err = SIP_ENOTFOUND;
	}
	d->ready(d, err, d->arg);
}

int probe_dest_resolve(struct probe_ctx *pc, struct probe_dest *d, const struct sip_uri *uri,
                       void (*ready)(struct probe_dest *d, int err, void *arg), void *arg)
{
	const struct sip_uri *where = uri;
	memset(d, 0, sizeof *d);
	d->pc = pc;
	d->ruri = uri;
	d->ready = ready;
	d->arg = arg;
	if (sip_uri_print(uri, d->ruri_text, sizeof d->ruri_text) < 0) {
		cmd_error(pc->cmd, "target URI is too long");
		return EXIT_USAGE;
	}
	if (pc->cc->proxy) {
		if (!pc->proxy.host.len && cmd_parse_target(pc->cmd, pc->cc->proxy, pc->proxy_buf,
		                                            sizeof pc->proxy_buf, &pc->proxy) != 0)
			return EXIT_USAGE;
		where = &pc->proxy;
	}
	struct sip_resolve_opts ro = {.family = pc->cc->family};
	if (pc->cc->transport >= 0)
		ro.tp_mask = 1u << pc->cc->transport;
	int err = sip_resolve(pc->resolver, where, &ro, on_resolved, d);
	if (err == SIP_EINVAL) {
		cmd_explain_conflict(pc->cmd, pc->cc, ro.tp_mask,
		                     pc->cc->proxy ? pc->cc->proxy : d->ruri_text, where);
		return EXIT_USAGE;
	}
	if (err) {
		cmd_error(pc->cmd, "cannot resolve '%s': %s", d->ruri_text, sip_strerror(err));
		return EXIT_DNS;
	}
	return 0;
}

void probe_dest_reset(struct probe_dest *d)
{
	memset(d, 0, sizeof *d);
}

/* ---- one request ---- */

int probe_exit_code(int err)
{
	switch (err) {
	case SIP_ETIMEDOUT: return EXIT_TIMEOUT;
	case SIP_EREFUSED:
	case SIP_ENET:
	case SIP_ETLS:
	case SIP_ECLOSED:
	case SIP_ETOOBIG:
	case SIP_ESYS: return EXIT_TRANSPORT;
	case SIP_ENOTFOUND:
	case SIP_EDNS: return EXIT_DNS;
	case SIP_ESYNTAX: return EXIT_PROTOCOL;
	}
	return EXIT_INTERNAL;
}

static int send_current(struct probe *p);

static bool worth_failing_over(int err)
{
	return err == SIP_ETIMEDOUT || err == SIP_EREFUSED || err == SIP_ENET || err == SIP_ETLS ||
	       err == SIP_ECLOSED;
}

static void finish(struct probe *p, int err, const struct sip_msg *msg)
{
	uint64_t rtt = err ? 0 : sip_loop_now(p->pc->loop) - p->sent_at;
	sip_timer_cancel(p->pc->loop, &p->deadline);
	p->spec.done(p, err, err ? NULL : msg, rtt);
}

/* --timeout: the whole wait, across fail-over, is capped. */
static void on_deadline(void *arg)
{
	struct probe *p = arg;
	/* Answered, but in nothing that parsed: not silence (exit 7, not 3). */
	int err = p->txn && sip_txn_garbled(p->txn) ? SIP_ESYNTAX : SIP_ETIMEDOUT;
	sip_txn_free(p->txn);
	p->txn = NULL;
	finish(p, err, NULL);
}

static struct probe_auth *auth_for(struct probe *p, struct sip_str realm, bool proxy)
{
	for (size_t i = 0; i < p->nauth; i++)
		if (p->auth[i].proxy == proxy && sip_str_eq(realm, sip_str_from(p->auth[i].realm)))
			return &p->auth[i];
	return NULL;
}

/*
 * A 401 or 407: answers the strongest challenge with the user's credentials
 * and returns 0 when the request is to be sent again. A second challenge
 * for a realm already answered means the credentials were refused, unless
 * it says stale=true (a new nonce, the same password).
 */
static int answer_challenge(struct probe *p, const struct sip_msg *resp)
{
	struct probe_ctx *pc = p->pc;
	const struct cmd_common *cc = pc->cc;
	struct sip_challenge ch;
	int err = sip_challenge_pick(resp, &ch);
	if (err) {
		cmd_error(pc->cmd,
		          "%u %.*s from %s: no Digest challenge with MD5, SHA-256 or "
		          "SHA-512-256 to answer",
		          resp->status, SIP_STR_FMT(resp->reason), p->peer);
		return -1;
	}
	if (!cc->user) {
		cmd_error(pc->cmd,
		          "%u %.*s from %s: realm '%.*s' wants credentials: give -u USER "
		          "(the password comes from SIP_PASSWORD, --password-file or a prompt)",
		          resp->status, SIP_STR_FMT(resp->reason), p->peer, SIP_STR_FMT(ch.realm));
		return -1;
	}
	const char *user = cc->auth_user ? cc->auth_user : cc->user;
	struct probe_auth *a = auth_for(p, ch.realm, ch.proxy);
	if (a && (!ch.stale || ++p->stale > 3)) {
		cmd_error(pc->cmd, "credentials of '%s' rejected by realm '%s'", user, a->realm);
		return -1;
	}
	if (!a) {
		if (p->nauth == PROBE_MAX_AUTH || ch.realm.len >= sizeof a->realm) {
			cmd_error(pc->cmd, "too many realms to answer ('%.*s')",
			          SIP_STR_FMT(ch.realm));
			return -1;
		}
		a = &p->auth[p->nauth++];
		sip_buf_init(&a->line, 0);
		memcpy(a->realm, ch.realm.p, ch.realm.len);
		a->realm[ch.realm.len] = '\0';
		a->proxy = ch.proxy;
	}
	if (!pc->have_password) {
		char who[300];
		snprintf(who, sizeof who, "%s@%s", user, a->realm);
		if (cmd_password(pc->cmd, cc, who, pc->password, sizeof pc->password) != 0)
			return -1;
		pc->have_password = true;
	}
	/* The digest-uri is the Request-URI as sent: an in-dialog request's is the remote target. */
	const struct sip_msg *req = sip_txn_request(p->txn);
	char ruri[512];
	if (!req || req->ruri.len >= sizeof ruri) {
		cmd_error(pc->cmd, "cannot answer the challenge: the request is gone");
		return -1;
	}
	memcpy(ruri, req->ruri.p, req->ruri.len);
	ruri[req->ruri.len] = '\0';
	struct sip_digest_input in = {
		.ch = &ch,
		.user = user,
		.password = pc->password,
		.method = sip_method_name(p->spec.method),
		.uri = ruri,
		.body = req->body,
		.nc = 1,
	};
	sip_buf_reset(&a->line);
	sip_buf_puts(&a->line, ch.proxy ? "Proxy-Authorization: " : "Authorization: ");
	if ((err = sip_digest_authorization(&a->line, &in)) != 0) {
		cmd_error(pc->cmd, "cannot answer the challenge: %s", sip_strerror(err));
		return -1;
	}
	p->cseq++;
	return 0;
}

static void on_response(int err, const struct sip_msg *msg, void *arg)
{
	struct probe *p = arg;
	struct probe_dest *d = p->spec.dest;
	if (!err && msg->status < 200) {
		if (p->spec.provisional)
			p->spec.provisional(p, msg);
		return;
	}
	if (!err && (msg->status == 401 || msg->status == 407)) {
		bool retry = answer_challenge(p, msg) == 0;
		sip_txn_free(p->txn);
		p->txn = NULL;
		if (retry && send_current(p) == 0)
			return;
		p->auth_failed = true;
		finish(p, 0, msg);
		return;
	}
	if (!err && msg->status == 403 && p->nauth) {
		cmd_error(p->pc->cmd, "403 %.*s: credentials of '%s' refused by realm '%s'",
		          SIP_STR_FMT(msg->reason),
		          p->pc->cc->auth_user ? p->pc->cc->auth_user : p->pc->cc->user,
		          p->auth[p->nauth - 1].realm);
		p->auth_failed = true;
	}
	const struct sip_target *t = &d->targets[d->cur];
	char cert[512];
	/* -v over TLS: whose certificate it was, verified or not. */
	if (t->tp == SIP_TP_TLS && p->pc->cc->verbose &&
	    sip_transport_tls_peer(sip_ctx_transport(p->pc->ctx), &t->addr, cert, sizeof cert) > 0)
		fprintf(stderr, "sip: %s: TLS peer %s: %s\n", p->pc->cmd->name, p->peer, cert);
	if (err && worth_failing_over(err) && d->cur + 1 < d->ntargets) {
		sip_txn_free(p->txn);
		p->txn = NULL;
		d->cur++;
		cmd_warn(p->pc->cmd, "%s from %s; trying %s", sip_strerror(err), p->peer,
		         d->targets[d->cur].name);
		if (send_current(p) == 0)
			return;
	}
	finish(p, err, msg);
}

static void print_dry_run(struct probe *p, const char *buf, size_t len)
{
	struct sip_msg *m = p->pc->scratch;
	struct sip_print_opts po = {.format = p->pc->cc->format, .color = p->pc->cc->color};
	if (sip_msg_parse(m, buf, len, 0) == 0)
		sip_msg_print(stdout, m, &po);
}

int probe_dest_local(struct probe_dest *d)
{
	const struct sip_target *t = &d->targets[d->cur];
	/* A stream may have been closed and reopened from another port. */
	if (d->cached == d->cur + 1 && t->tp == SIP_TP_UDP)
		return 0;
	d->cached = 0;
	int err = sip_transport_local(sip_ctx_transport(d->pc->ctx), t->tp, &t->addr,
	                              t->name[0] ? t->name : NULL, &d->local);
	if (err)
		return err;
	if (sip_sockaddr_host(&d->local, d->host, sizeof d->host) < 0 ||
	    sip_sockaddr_print(&t->addr, d->peer, sizeof d->peer) < 0)
		return SIP_ENOSPC;
	const char *tp = t->tp == SIP_TP_UDP   ? ""
	                 : t->tp == SIP_TP_TCP ? ";transport=tcp"
	                                       : ";transport=tls";
	snprintf(d->from, sizeof d->from, "<sip:sip@%s>", d->host);
	snprintf(d->contact, sizeof d->contact, "<sip:%s@%s:%u%s>",
	         d->contact_user ? d->contact_user : "sip", d->host, sip_sockaddr_port(&d->local),
	         tp);
	d->cached = d->cur + 1;
	return 0;
}

/* The request of p into b: a dialog's, or one built from the options. */
static int build_current(struct probe *p, const struct sip_target *t,
                         const struct sip_build_hdr *hdrs, size_t nh, struct sip_buf *b)
{
	struct probe_ctx *pc = p->pc;
	const struct cmd_common *cc = pc->cc;
	struct probe_dest *d = p->spec.dest;
	const char *contact = p->spec.contact ? (*p->spec.contact ? p->spec.contact : NULL)
	                      : cc->contact   ? cc->contact
	                                      : d->contact;
	if (p->spec.dialog) {
		struct sip_dialog_request r = {
			.method = p->spec.method,
			.transport = sip_tp_name(t->tp),
			.via_host = d->host,
			.via_port = sip_sockaddr_port(&p->local),
			.contact = contact,
			.content_type = p->spec.content_type,
			.body = p->spec.body,
			.body_len = p->spec.body_len,
			.headers = hdrs,
			.nheaders = nh,
		};
		return sip_dialog_request(p->spec.dialog, b, &r);
	}
	struct sip_request_spec s = {
		.method = p->spec.method,
		.ruri = d->ruri_text,
		.from = p->spec.from ? p->spec.from
	                : cc->from   ? cc->from
	                             : d->from,
		.from_tag = pc->from_tag,
		.to = p->spec.to ? p->spec.to : cc->to,
		.call_id = pc->call_id,
		.cseq = (uint32_t)p->cseq,
		.transport = sip_tp_name(t->tp),
		.via_host = d->host,
		.via_port = sip_sockaddr_port(&p->local),
		.contact = contact,
		.max_forwards = cc->max_forwards > 0 ? (unsigned)cc->max_forwards : 0,
		.user_agent = cc->user_agent ? cc->user_agent : "sip/" SIP_VERSION,
		.content_type = p->spec.content_type,
		.body = p->spec.body,
		.body_len = p->spec.body_len,
		.headers = hdrs,
		.nheaders = nh,
	};
	return sip_build_request(b, &s);
}

static int send_current(struct probe *p)
{
	struct probe_ctx *pc = p->pc;
	const struct cmd_common *cc = pc->cc;
	struct probe_dest *d = p->spec.dest;
	const struct sip_target *t = &d->targets[d->cur];
	char mf[32];
	struct sip_build_hdr hdrs[1 + PROBE_MAX_SPEC_HEADERS + CMD_MAX_HEADERS + PROBE_MAX_AUTH];
	size_t nh = 0;
	int err = probe_dest_local(d);
	if (err)
		return err;
	p->local = d->local;
	memcpy(p->peer, d->peer, sizeof p->peer);
	/* Max-Forwards 0, the probe for a 483, goes as a header: 0 means the default in a spec. */
	if (cc->max_forwards == 0 && !p->spec.dialog) {
		snprintf(mf, sizeof mf, "Max-Forwards: 0");
		hdrs[nh++].line = mf;
	}
	for (size_t i = 0; i < p->spec.nheaders; i++)
		hdrs[nh++] = p->spec.headers[i];
	for (size_t i = 0; i < cc->nheaders && !p->spec.dialog; i++)
		hdrs[nh++].line = cc->headers[i];
	for (size_t i = 0; i < p->nauth; i++)
		hdrs[nh++].line = p->auth[i].line.p;
	struct sip_buf b;
	sip_buf_init(&b, 0);
	err = build_current(p, t, hdrs, nh, &b);
	if (err) {
		sip_buf_reset(&b);
		cmd_error(pc->cmd, "cannot build the request: %s", sip_strerror(err));
		return err;
	}
	if (p->spec.dry_run) {
		print_dry_run(p, b.p, b.len);
		sip_buf_reset(&b);
		p->spec.done(p, 0, NULL, 0);
		return 0;
	}
	err = sip_txn_start(&p->txn, pc->ctx, t, b.p, b.len, on_response, p);
	sip_buf_reset(&b);
	if (err == 0)
		p->sent_at = sip_txn_sent_at(p->txn);
	return err;
}

void probe_ack_init(struct probe_ack *a)
{
	memset(a, 0, sizeof *a);
	sip_buf_init(&a->msg, 0);
}

void probe_ack_reset(struct probe_ack *a)
{
	sip_buf_reset(&a->msg);
}

int probe_send_ack(struct probe_dest *d, struct sip_dialog *dialog, uint32_t cseq,
                   const char *content_type, const char *body, size_t body_len,
                   struct probe_ack *out)
{
	int err = probe_dest_local(d);
	if (err)
		return err;
	const struct sip_target *t = &d->targets[d->cur];
	struct sip_dialog_request r = {
		.method = SIP_ACK,
		.cseq = cseq,
		.transport = sip_tp_name(t->tp),
		.via_host = d->host,
		.via_port = sip_sockaddr_port(&d->local),
		.content_type = content_type,
		.body = body,
		.body_len = body_len,
	};
	sip_buf_reset(&out->msg);
	if ((err = sip_dialog_request(dialog, &out->msg, &r)) != 0)
		return err;
	out->pc = d->pc;
	out->to = *t;
	return probe_ack_resend(out);
}

int probe_ack_resend(const struct probe_ack *a)
{
	const struct sip_target *t = &a->to;
	return sip_transport_send(sip_ctx_transport(a->pc->ctx), t->tp, &t->addr,
	                          t->name[0] ? t->name : NULL, a->msg.p, a->msg.len);
}

int probe_start(struct probe_ctx *pc, const struct probe_spec *spec)
{
	if (spec->dest->ntargets == 0)
		return SIP_ENOTFOUND;
	struct probe *p = calloc(1, sizeof *p);
	if (!p)
		return SIP_ENOMEM;
	p->pc = pc;
	p->spec = *spec;
	/* Retries are built after the caller's array is gone: the probe keeps its own. */
	if (spec->nheaders > PROBE_MAX_SPEC_HEADERS) {
		free(p);
		return SIP_EINVAL;
	}
	if (spec->nheaders)
		memcpy(p->spec_headers, spec->headers, spec->nheaders * sizeof *spec->headers);
	p->spec.headers = p->spec_headers;
	p->arg = spec->arg;
	p->seq = spec->seq;
	p->cseq = spec->seq;
	sip_timer_init(&p->deadline);
	if (pc->cc->timeout_us && !spec->dry_run)
		sip_timer_start(pc->loop, &p->deadline, pc->cc->timeout_us, on_deadline, p);
	/* A dry run ends inside: done has freed p when this returns 0. */
	if (spec->handle && !spec->dry_run)
		*spec->handle = p;
	int err = send_current(p);
	if (err) {
		if (spec->handle && !spec->dry_run)
			*spec->handle = NULL;
		sip_timer_cancel(pc->loop, &p->deadline);
		free(p);
	}
	return err;
}

void probe_free(struct probe *p)
{
	if (!p)
		return;
	if (p->spec.handle && *p->spec.handle == p)
		*p->spec.handle = NULL;
	sip_timer_cancel(p->pc->loop, &p->deadline);
	sip_txn_free(p->txn);
	for (size_t i = 0; i < p->nauth; i++)
		sip_buf_reset(&p->auth[i].line);
	free(p);
}

/* ---- the summary ---- */

static void summary_line(const char *label, const struct sip_msg *m, enum sip_hdr_id id)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);
	if (!h)
		return;
	printf("%-12s", label);
	for (; h; h = sip_msg_hdr_next(m, h))
		printf("%.*s%s", SIP_STR_FMT(h->value), sip_msg_hdr_next(m, h) ? ", " : "\n");
}

/* Where the server saw the request come from, when it says (Via received/rport). */
static bool seen_as(const struct probe *p, const struct sip_msg *resp, char *buf, size_t cap,
                    bool *nat)
{
	const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_VIA);
	struct sip_str list, elem;
	struct sip_via v;
	char ours[64];
	if (!h)
		return false;
	list = h->value;
	if (sip_list_next(&list, &elem) != 1 || sip_via_parse(&v, elem) != 0)
		return false;
	if (!v.received.len && !v.rport_value)
		return false;
	if (sip_sockaddr_host(&p->local, ours, sizeof ours) < 0)
		return false;
	uint16_t port = v.rport_value ? v.rport_value : sip_sockaddr_port(&p->local);
	struct sip_str host = v.received.len ? v.received : sip_str_from(ours);
	bool v6 = memchr(host.p, ':', host.len) && host.p[0] != '[';
	snprintf(buf, cap, "%s%.*s%s:%u", v6 ? "[" : "", SIP_STR_FMT(host), v6 ? "]" : "", port);
	struct sip_str bare = sip_str_from(ours);
	if (bare.len > 2 && bare.p[0] == '[')
		bare = (struct sip_str){bare.p + 1, bare.len - 2};
	struct sip_str rh = host;
	if (rh.len > 2 && rh.p[0] == '[')
		rh = (struct sip_str){rh.p + 1, rh.len - 2};
	*nat = !sip_str_ieq(rh, bare) || port != sip_sockaddr_port(&p->local);
	return true;
}

void probe_print_summary(const struct probe *p, const struct sip_msg *resp,
                         const struct cmd_common *cc)
{
	char seen[80];
	bool nat = false, have_seen = seen_as(p, resp, seen, sizeof seen, &nat);
	double rtt = (double)(sip_loop_now(p->pc->loop) - p->sent_at) / 1000.0;
	if (cc->format == SIP_PRINT_JSON) {
		const struct sip_hdr *h;
		printf("{\"summary\":{\"peer\":\"%s\",\"status\":%u,\"rtt_ms\":%.3f", p->peer,
		       resp->status, rtt);
		static const struct {
			const char *key;
			enum sip_hdr_id id;
		} keys[] = {{"server", SIP_HDR_SERVER},
		            {"user_agent", SIP_HDR_USER_AGENT},
		            {"allow", SIP_HDR_ALLOW},
		            {"supported", SIP_HDR_SUPPORTED},
		            {"accept", SIP_HDR_ACCEPT}};
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			if (!(h = sip_msg_hdr(resp, keys[i].id)))
				continue;
			printf(",\"%s\":", keys[i].key);
			sip_print_json_str(stdout, h->value);
		}
		if (have_seen)
			printf(",\"seen_as\":\"%s\",\"nat\":%s", seen, nat ? "true" : "false");
		printf("}}\n");
		return;
	}
	if (cc->format != SIP_PRINT_PRETTY)
		return;
	printf("%-12s%s %u %.*s in %.3f ms\n", "Answer:", p->peer, resp->status,
	       SIP_STR_FMT(resp->reason), rtt);
	summary_line("Server:", resp, SIP_HDR_SERVER);
	summary_line("User-Agent:", resp, SIP_HDR_USER_AGENT);
	summary_line("Allow:", resp, SIP_HDR_ALLOW);
	summary_line("Supported:", resp, SIP_HDR_SUPPORTED);
	summary_line("Accept:", resp, SIP_HDR_ACCEPT);
	if (have_seen && nat)
		printf("%-12sthe server sees you as %s: you are behind NAT\n", "NAT:", seen);
	else if (have_seen)
		printf("%-12snone: the server sees you as %s\n", "NAT:", seen);
}
