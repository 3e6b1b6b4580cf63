/* probe.c - the network half every request-sending subcommand shares; see
 * probe.h. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "probe.h"
#include "run.h"

void probe_on_trace(const struct sip_packet_info *pi, const char *buf, size_t len, void *arg)
{
	struct probe_ctx *pc = arg;
	/* A WebSocket handshake: HTTP, for -v to show as it is; a capture
	 * holds the SIP messages alone, for tshark to decode. */
	if (pi->http) {
		if (pc->show_messages && pc->cc->verbose > 0 && pc->cc->format != SIP_PRINT_JSON) {
			struct sip_print_opts po = {.format = pc->cc->format,
			                            .color = pc->cc->color,
			                            .packet = pi,
			                            .t0_us = pc->t0};
			sip_msg_print_unparsed(stdout, (struct sip_str){buf, len}, &po);
			if (po.format == SIP_PRINT_PRETTY)
				putchar('\n');
			cmd_flush();
		}
		return;
	}
	int err = pc->pcap ? sip_pcap_write(pc->pcap, pi, buf, len) : 0;
	if (err) {
		/* Said once: the capture ends here, the command goes on. */
		cmd_error(pc->cmd, "cannot write '%s': %s", pc->cc->pcap,
		          err == SIP_ESYS ? strerror(errno) : sip_strerror(err));
		sip_pcap_close(pc->pcap);
		pc->pcap = NULL;
	}
	if (!pc->show_messages && !pc->ladder && !pc->observe)
		return;
	struct sip_msg *m = pc->scratch;
	bool parsed = sip_msg_parse(m, buf, len, 0) == 0;
	if (parsed && pc->ladder)
		sip_ladder_add(pc->ladder, m, pi);
	if (parsed && pc->observe)
		pc->observe(m, pi, pc->observe_arg);
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
	cmd_flush();
}

void probe_on_tp_err(int err, enum sip_tp tp, const struct sip_sockaddr *remote, const char *detail,
                     void *arg)
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
	/* A failover warning said it already. */
	if (pc->said && pc->said_tp == tp && sip_sockaddr_eq(&pc->said_remote, remote)) {
		pc->said = false;
		return;
	}
	/* The transaction reports the error code; the detail (which certificate
	 * check failed, what a WebSocket server answered the handshake) is only
	 * here, and worth a line for TLS and WebSocket. */
	bool ws = detail && strstr(detail, "WebSocket");
	if (ws && !pc->cc->verbose)
		cmd_error(pc->cmd, "%s %s: %s", sip_tp_name(tp), addr, detail);
	else if (detail && *detail && (err == SIP_ETLS || pc->cc->verbose))
		cmd_error(pc->cmd, "%s %s: %s: %s", sip_tp_name(tp), addr, sip_strerror(err),
		          detail);
	else if (pc->cc->verbose)
		cmd_error(pc->cmd, "%s %s: %s", sip_tp_name(tp), addr, sip_strerror(err));
}

/* "ADDR[:PORT]", "[v6]:PORT", ":PORT"; *family is the address's, AF_UNSPEC without one. */
static int parse_local(struct probe_ctx *pc, const char *s, char *host, size_t cap, uint16_t *port,
                       int *family)
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
	*family = host[0] ? sa.u.sa.sa_family : AF_UNSPEC;
	return 0;
bad:
	cmd_error(pc->cmd, "bad address '%s': expected ADDR[:PORT] with a numeric address", s);
	return EXIT_USAGE;
}

static int ipv(int family)
{
	return family == AF_INET6 ? 6 : 4;
}

int probe_ctx_init(struct probe_ctx *pc, const struct cmd *cmd, const struct cmd_common *cc,
                   const struct probe_setup *setup)
{
	char host[64];
	struct sip_ua_opts o;
	memset(pc, 0, sizeof *pc);
	memset(&o, 0, sizeof o);
	pc->cmd = cmd;
	pc->cc = cc;
	pc->show_messages = setup->show_messages;
	o.ctx.tp.cert_file = setup->cert_file;
	o.ctx.tp.key_file = setup->key_file;
	if (cc->local) {
		int rc = parse_local(pc, cc->local, host, sizeof host, &o.ctx.tp.local_port,
		                     &pc->local_family);
		if (rc)
			return rc;
		o.ctx.tp.local_host = host[0] ? host : NULL;
		if (pc->local_family && cc->family && pc->local_family != cc->family) {
			cmd_error(cmd, "local address %s is IPv%d, but %s was given", cc->local,
			          ipv(pc->local_family), cc->family == AF_INET ? "-4" : "-6");
			return EXIT_USAGE;
		}
		pc->local_port = o.ctx.tp.local_port;
	}
	o.ctx.tp.family = cc->family;
	o.ctx.tp.ca_file = cc->ca_file;
	o.ctx.tp.insecure = cc->insecure;
	o.ctx.tp.ws_path = cc->ws_path;
	o.ctx.tp.ws_origin = cc->ws_origin;
	o.ctx.tp.ws_headers = cc->ws_headers;
	o.ctx.tp.nws_headers = cc->nws_headers;
	o.ctx.tp.trace = probe_on_trace;
	o.ctx.tp.trace_arg = pc;
	o.ctx.t1_us = cc->t1_us;
	o.ctx.user_agent = cc->user_agent ? cc->user_agent : "sip/" SIP_VERSION;
	o.dns_server = cc->dns_server;
	o.tp_err = probe_on_tp_err;
	o.arg = pc;
	pc->scratch = malloc(sizeof *pc->scratch);
	if (!pc->scratch || (setup->ladder && sip_ladder_new(&pc->ladder) != 0)) {
		probe_ctx_reset(pc);
		cmd_error(cmd, "out of memory");
		return EXIT_INTERNAL;
	}
	/* A path that cannot be read or written is a usage error, found before anything is sent. */
	if (cmd_password_file_check(cmd, cc) != 0) {
		probe_ctx_reset(pc);
		return EXIT_USAGE;
	}
	if (cc->pcap && sip_pcap_open(&pc->pcap, cc->pcap) != 0) {
		cmd_error(cmd, "cannot write '%s': %s", cc->pcap, strerror(errno));
		probe_ctx_reset(pc);
		return EXIT_USAGE;
	}
	/* In the shell, the shell's stack when the options agree with it;
	 * else one of the command's own on the shell's loop. */
	int err = 0;
	if (cmd_host && (pc->ua = cmd_host->stack(cc, setup->cert_file != NULL)) != NULL)
		pc->shared = true;
	else if (cmd_host)
		o.loop = cmd_host->loop;
	if (!pc->shared)
		err = sip_ua_new(&pc->ua, &o);
	if (err) {
		int rc = cmd_dns_error(cmd, cc, err);
		/* errno names what the system refused: an address in use, not ours. */
		if (rc == 0)
			cmd_error(cmd, "cannot open a socket%s%s: %s", cc->local ? " on " : "",
			          cc->local ? cc->local : "",
			          err == SIP_ESYS ? strerror(errno) : sip_strerror(err));
		probe_ctx_reset(pc);
		return rc ? rc : EXIT_TRANSPORT;
	}
	pc->loop = sip_ua_loop(pc->ua);
	if (pc->shared)
		cmd_host->attach(pc);
	else
		sip_ua_auth_handler(pc->ua, probe_on_need_credentials, pc);
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
	while (pc->probes)
		probe_free(pc->probes);
	cmd_prompt_free(pc->prompt);
	if (pc->shared) {
		cmd_host->detach(pc);
	} else if (pc->ua) {
		/* The output is over, its summary last: what the linger sends and
		 * takes goes to the capture only, and the command hears nothing. */
		pc->show_messages = false;
		pc->observe = NULL;
		sip_ladder_free(pc->ladder);
		pc->ladder = NULL;
		sip_ua_set_handlers(pc->ua, probe_on_trace, NULL, pc);
		cmd_run_linger(pc->loop, sip_ua_closing(pc->ua));
		sip_ua_free(pc->ua);
	}
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

/* The columns to draw in: COLUMNS when it is a number (POSIX: it
 * overrides the terminal's), else the terminal's, else 0 (the default). */
static unsigned out_width(FILE *f)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");
	uint64_t n;
	if (env && sip_str_to_u64(sip_str_from(env), USHRT_MAX, &n) == 0 && n > 0)
		return (unsigned)n;
	/* The shell's stdout is a stream of its own over the terminal. */
	int fd = f == stdout ? STDOUT_FILENO : fileno(f);
	return ioctl(fd, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
}

void probe_print_ladder(struct probe_ctx *pc, FILE *f)
{
	probe_print_ladder_of(pc, pc->ladder, f);
}

void probe_print_ladder_of(struct probe_ctx *pc, const struct sip_ladder *l, FILE *f)
{
	struct sip_ladder_opts o = {
		.color = pc->cc->color && f == stdout,
		.ascii = !utf8_locale(),
		.width = out_width(f),
		.t0_us = pc->t0,
	};
	if (f == stdout && pc->cc->format == SIP_PRINT_PRETTY && pc->show_messages)
		putchar('\n');
	sip_ladder_print(f, l, &o);
	fflush(f);
}

/* ---- destinations ---- */

/* -v: where the requests will go, in the order they are tried. */
static void print_targets(const struct probe_dest *d)
{
	const struct probe_ctx *pc = d->pc;
	char text[340];
	fprintf(stderr, "sip: %s: '%s' resolves to %zu target%s, tried in this order:\n",
	        pc->cmd->name, pc->cc->proxy ? pc->cc->proxy : d->ruri_text, d->ntargets,
	        d->ntargets == 1 ? "" : "s");
	for (size_t i = 0; i < d->ntargets; i++) {
		probe_target_text(&d->targets[i], " ", text, sizeof text);
		fprintf(stderr, "  %zu. %s\n", i + 1, text);
	}
}

static void on_resolved(int err, const struct sip_target *targets, size_t n, void *arg)
{
	struct probe_dest *d = arg;
	struct probe_ctx *pc = d->pc;
	/* -l pins a family: its addresses are the ones that can be sent to. */
	for (size_t i = 0; !err && i < n; i++) {
		if (pc->local_family && targets[i].addr.u.sa.sa_family != pc->local_family)
			continue;
		d->targets[d->ntargets] = targets[i];
		/* -t over a target that named no transport: every address, that transport. */
		if (pc->cc->transport >= 0)
			d->targets[d->ntargets].tp = (enum sip_tp)pc->cc->transport;
		d->ntargets++;
	}
	if (!err && n && !d->ntargets) {
		cmd_error(pc->cmd, "local address %s is IPv%d, but '%s' has IPv%d addresses only",
		          pc->cc->local, ipv(pc->local_family), d->where,
		          ipv(targets[0].addr.u.sa.sa_family));
		err = SIP_EINVAL;
	} else if (!err && !n) {
		err = SIP_ENOTFOUND;
	} else if (!err && pc->cc->verbose) {
		print_targets(d);
	}
	d->ready(d, err, d->arg);
}

int probe_dest_exit(int err)
{
	return err == SIP_EINVAL ? EXIT_USAGE : EXIT_DNS;
}

/* A user name as the user part of a URI: what RFC 3261's user rule does not
 * take as it is ("alice@corp", "a b") %-escaped. */
static void escape_user(const char *in, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && n + 4 <= cap; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-_.!~*'()&=+$,;?/", *p)) {
			out[n++] = (char)*p;
		} else {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		}
	}
	out[n] = '\0';
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
	/* Who authenticates is who sends: a registrar or proxy that checks the
	 * From user against the credentials (Kamailio's auth_check flag 1)
	 * rejects sip:sip@ with the right password. */
	if (pc->cc->user && !pc->cc->from && uri->host.len) {
		char user[192];
		escape_user(pc->cc->user, user, sizeof user);
		snprintf(d->user_from, sizeof d->user_from, "<%s:%s@%.*s>",
		         uri->scheme == SIP_URI_SIPS ? "sips" : "sip", user,
		         SIP_STR_FMT(uri->host));
	}
	if (pc->cc->proxy) {
		if (!pc->proxy.host.len &&
		    cmd_parse_target(pc->cmd, NULL, pc->cc->proxy, pc->proxy_buf,
		                     sizeof pc->proxy_buf, &pc->proxy) != 0)
			return EXIT_USAGE;
		where = &pc->proxy;
	}
	snprintf(d->where, sizeof d->where, "%.*s", SIP_STR_FMT(where->host));
	bool literal = where->host_is_ip4 || where->host_is_ip6;
	if (pc->local_family && literal && where->host_is_ip6 != (pc->local_family == AF_INET6)) {
		cmd_error(pc->cmd, "local address %s is IPv%d, but %s is IPv%d", pc->cc->local,
		          ipv(pc->local_family), d->where, where->host_is_ip6 ? 6 : 4);
		return EXIT_USAGE;
	}
	struct sip_resolve_opts ro = {.family = pc->cc->family};
	if (pc->cc->transport >= 0)
		ro.tp_mask = 1u << pc->cc->transport;
	int err = sip_ua_resolve(pc->ua, where, &ro, on_resolved, d);
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
	case SIP_EWS:
	case SIP_ETOOBIG:
	case SIP_ESYS: return EXIT_TRANSPORT;
	case SIP_ENOTFOUND:
	case SIP_EDNS: return EXIT_DNS;
	case SIP_ESYNTAX:
	case SIP_EIDENTITY: return EXIT_PROTOCOL;
	}
	return EXIT_INTERNAL;
}

const char *probe_err_text(const struct sip_req *r, int err, char *buf, size_t cap)
{
	char safe[240];
	if (err != SIP_EIDENTITY || !r || !*sip_req_why(r))
		return sip_strerror(err);
	snprintf(buf, cap, "protocol violation: %s",
	         cmd_safe(safe, sizeof safe, sip_str_from(sip_req_why(r))));
	return buf;
}

static void note_target(struct probe *p)
{
	/* Printed once a target: a flood notes thousands. */
	const struct sip_target *t = sip_req_target(p->req);
	struct probe_dest *d = p->spec.dest;
	if (t != p->peer_of && t && d->cur < d->ntargets &&
	    sip_sockaddr_eq(&t->addr, &d->targets[d->cur].addr)) {
		/* Printed once for the destination: a flood's probes share it. */
		if (d->peer_for != d->cur + 1 &&
		    sip_sockaddr_print(&t->addr, d->peer, sizeof d->peer) >= 0)
			d->peer_for = d->cur + 1;
		memcpy(p->peer, d->peer, sizeof p->peer);
		p->peer_of = t;
	} else if (t != p->peer_of) {
		probe_peer(p->req, p->peer, sizeof p->peer);
		p->peer_of = t;
	}
	p->local = *sip_req_local(p->req);
	p->sent_at = sip_req_sent_at(p->req);
	p->cseq = sip_req_cseq(p->req);
}

void probe_peer(const struct sip_req *r, char *buf, size_t cap)
{
	const struct sip_target *t = sip_req_target(r);
	if (!t || sip_sockaddr_print(&t->addr, buf, cap) < 0)
		buf[0] = '\0';
}

bool probe_auth_failed(struct probe_ctx *pc, const struct sip_req *r, const struct sip_msg *resp)
{
	const struct cmd *cmd = pc->cmd;
	const struct cmd_common *cc = pc->cc;
	const char *user = cc->auth_user ? cc->auth_user : cc->user;
	const char *realm = sip_req_auth_realm(r);
	char peer[64];
	if (sip_req_auth_state(r) == SIP_REQ_AUTH_NONE)
		return false;
	probe_peer(r, peer, sizeof peer);
	switch (sip_req_auth_state(r)) {
	case SIP_REQ_AUTH_NONE: return false;
	case SIP_REQ_AUTH_UNANSWERABLE:
		cmd_error(
			cmd,
			"%u %.*s from %s: no Digest challenge with MD5, SHA-256 or SHA-512-256 to answer",
			resp->status, SIP_STR_FMT(resp->reason), peer);
		break;
	case SIP_REQ_AUTH_NO_USER:
		/* Without -u it says so here; a password that could not be had said why. */
		if (!cc->user)
			cmd_error(
				cmd,
				"%u %.*s from %s: realm '%s' wants credentials: give -u USER (the password comes from SIP_PASSWORD, --password-file or a prompt)",
				resp->status, SIP_STR_FMT(resp->reason), peer, realm);
		break;
	case SIP_REQ_AUTH_REJECTED:
		if (resp->status == 403)
			cmd_error(cmd, "403 %.*s: credentials of '%s' refused by realm '%s'",
			          SIP_STR_FMT(resp->reason), user, realm);
		else
			cmd_error(cmd, "credentials of '%s' rejected by realm '%s'", user, realm);
		break;
	case SIP_REQ_AUTH_TOO_MANY:
		cmd_error(cmd, "too many realms to answer ('%s')", realm);
		break;
	}
	return true;
}

void probe_tls_peer(struct probe_ctx *pc, const struct sip_req *r)
{
	const struct sip_target *t = sip_req_target(r);
	char cert[512], peer[64];
	/* -v over TLS: whose certificate it was, verified or not. */
	if (t && t->tp == SIP_TP_TLS && pc->cc->verbose &&
	    sip_ua_tls_peer(pc->ua, &t->addr, cert, sizeof cert) > 0) {
		probe_peer(r, peer, sizeof peer);
		fprintf(stderr, "sip: %s: TLS peer %s: %s\n", pc->cmd->name, peer, cert);
	}
}

void probe_prompt_cancel(struct probe_ctx *pc)
{
	/* Ending: no prompt opens now, and one open closes. */
	pc->no_password = true;
	if (!pc->prompt)
		return;
	cmd_prompt_free(pc->prompt);
	pc->prompt = NULL;
	cmd_error(pc->cmd, "interrupted at the password prompt");
	sip_ua_credentials_for(pc->ua, pc->asked, NULL, NULL, NULL);
}

/* The typed password, or NULL: the requests waiting for it go on. */
static void on_password(const char *password, void *arg)
{
	struct probe_ctx *pc = arg;
	const struct cmd_common *cc = pc->cc;
	pc->prompt = NULL;
	pc->no_password = !password;
	sip_ua_credentials_for(pc->ua, pc->asked, NULL,
	                       password ? (cc->auth_user ? cc->auth_user : cc->user) : NULL,
	                       password);
}

/* The stack has no credentials for a challenge: -u and a password, from
 * --password-file, SIP_PASSWORD or a prompt, for every realm of the run,
 * given for the account the request was for (this run's). */
void probe_on_need_credentials(struct sip_ua *ua, const struct sip_challenge *ch, void *arg)
{
	struct probe_ctx *pc = arg;
	const struct cmd_common *cc = pc->cc;
	const char *user = cc->auth_user ? cc->auth_user : cc->user;
	const void *account = sip_ua_auth_account(ua);
	char who[300], password[256];
	if (pc->prompt)
		return; /* being typed: every realm gets it */
	if (!cc->user || pc->no_password) {
		sip_ua_credentials_for(ua, account, NULL, NULL, NULL);
		return;
	}
	snprintf(who, sizeof who, "%s@%.*s", user, SIP_STR_FMT(ch->realm));
	int rc = cmd_password(pc->cmd, cc, password, sizeof password);
	if (rc == 0) {
		sip_ua_credentials_for(ua, account, NULL, user, password);
		explicit_bzero(password, sizeof password);
		return;
	}
	pc->asked = account;
	if (rc < 0 && !pc->no_prompt &&
	    (pc->prompt = cmd_prompt_start(pc->cmd, pc->loop, who, on_password, pc)))
		return;
	if (rc < 0)
		cmd_password_missing(pc->cmd, who);
	pc->no_password = true;
	sip_ua_credentials_for(ua, account, NULL, NULL, NULL);
}

void probe_target_text(const struct sip_target *t, const char *sep, char *buf, size_t cap)
{
	char addr[64], bare[64];
	if (sip_sockaddr_print(&t->addr, addr, sizeof addr) < 0 ||
	    sip_sockaddr_host(&t->addr, bare, sizeof bare) < 0) {
		snprintf(buf, cap, "%s", sip_tp_name(t->tp));
		return;
	}
	/* The name is worth saying when it is not the address again. */
	struct sip_str host = sip_str_from(bare);
	if (host.len > 2 && host.p[0] == '[')
		host = (struct sip_str){host.p + 1, host.len - 2};
	if (t->name[0] && !sip_str_ieq(host, sip_str_from(t->name)))
		snprintf(buf, cap, "%s%s%s (%s)", sip_tp_name(t->tp), sep, addr, t->name);
	else
		snprintf(buf, cap, "%s%s%s", sip_tp_name(t->tp), sep, addr);
}

void probe_failover(struct probe_ctx *pc, const struct sip_req *r, int err,
                    const struct sip_target *from, const struct sip_target *next)
{
	char was[340], to[340] = "";
	const char *what = sip_strerror(err), *why = sip_req_why(r);
	probe_target_text(from, " ", was, sizeof was);
	if (next)
		probe_target_text(next, " ", to, sizeof to);
	/* "connection refused: connection refused" says it once. */
	if (!strcasecmp(why, what))
		why = "";
	if (next)
		cmd_warn(pc->cmd, "%s: %s%s%s; trying %s", was, what, *why ? ": " : "", why, to);
	else
		cmd_warn(pc->cmd,
		         "%s: %s%s%s; the targets left are not TLS, and going on without it "
		         "would be a downgrade (--insecure allows it)",
		         was, what, *why ? ": " : "", why);
	/* The transport's own report of it comes next: said here. */
	if (*why) {
		pc->said = true;
		pc->said_tp = from->tp;
		pc->said_remote = from->addr;
	}
}

static void on_done(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct probe *p = arg;
	struct probe_ctx *pc = p->pc;
	note_target(p);
	if (!err && resp)
		p->auth_failed = probe_auth_failed(pc, r, resp);
	probe_tls_peer(pc, r);
	if (!err && !resp) {
		/* A dry run: where the request would have gone, and what. */
		struct sip_print_opts po = {.format = pc->cc->format, .color = pc->cc->color};
		const struct sip_msg *m = sip_req_message(r);
		const struct sip_target *t = sip_req_target(r);
		char where[340];
		if (t) {
			probe_target_text(t, " to ", where, sizeof where);
			fprintf(stderr, "sip: %s: would send over %s\n", pc->cmd->name, where);
		}
		if (m)
			sip_msg_print(stdout, m, &po);
	}
	uint64_t rtt = err || !resp ? 0 : sip_loop_now(pc->loop) - p->sent_at;
	p->spec.done(p, err, resp, rtt);
}

static void on_provisional(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct probe *p = arg;
	(void)r;
	(void)err;
	if (p->spec.provisional)
		p->spec.provisional(p, resp);
}

static void on_cancelled(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct probe *p = arg;
	(void)r;
	if (p->spec.cancelled)
		p->spec.cancelled(p, err, resp);
}

static void on_failover(struct sip_req *r, int err, const struct sip_target *from,
                        const struct sip_target *next, void *arg)
{
	struct probe *p = arg;
	/* The destination moves on with it: the command's later requests start
	 * there (several under way at once may leave the same target). */
	struct probe_dest *d = p->spec.dest;
	for (size_t i = d->cur + 1; next && i < d->ntargets; i++) {
		if (d->targets[i].tp == next->tp &&
		    sip_sockaddr_eq(&d->targets[i].addr, &next->addr)) {
			d->cur = i;
			break;
		}
	}
	probe_failover(p->pc, r, err, from, next);
}

int probe_dest_local(struct probe_dest *d)
{
	const struct sip_target *t = &d->targets[d->cur];
	/* A stream may have been closed and reopened from another port. */
	if (d->cached == d->cur + 1 && t->tp == SIP_TP_UDP)
		return 0;
	d->cached = 0;
	int err = sip_ua_local(d->pc->ua, t, &d->local);
	if (err)
		return err;
	if (sip_sockaddr_host(&d->local, d->host, sizeof d->host) < 0 ||
	    sip_sockaddr_print(&t->addr, d->peer, sizeof d->peer) < 0)
		return SIP_ENOSPC;
	d->cached = d->cur + 1;
	return 0;
}

void probe_req_spec(struct probe_ctx *pc, struct probe_dest *d, struct sip_req_spec *rs)
{
	const struct cmd_common *cc = pc->cc;
	*rs = (struct sip_req_spec){
		.uri = d->ruri,
		.uri_text = d->ruri_text,
		.targets = d->targets + d->cur,
		.ntargets = d->ntargets - d->cur,
		.transport = -1,
		.from = d->user_from[0] ? d->user_from : cc->from,
		.from_tag = pc->from_tag,
		.to = cc->to,
		.call_id = pc->call_id,
		.contact = cc->contact,
		.contact_user = d->contact_user,
		.max_forwards = cc->max_forwards,
		.user_agent = cc->user_agent ? cc->user_agent : "sip/" SIP_VERSION,
		.timeout_us = cc->timeout_us,
		.account = pc,
	};
}

void probe_sub_spec(struct probe_ctx *pc, struct probe_dest *d, struct sip_sub_spec *s)
{
	const struct cmd_common *cc = pc->cc;
	*s = (struct sip_sub_spec){
		.proxy = cc->proxy ? &pc->proxy : NULL,
		.transport = cc->transport,
		.family = cc->family,
		.to = cc->to,
		.contact = cc->contact,
		.max_forwards = cc->max_forwards,
		.user_agent = cc->user_agent ? cc->user_agent : "sip/" SIP_VERSION,
		.timeout_us = cc->timeout_us,
		.account = pc,
	};
	if (d) {
		s->uri = d->ruri;
		s->targets = d->targets + d->cur;
		s->ntargets = d->ntargets - d->cur;
		s->from = d->user_from[0] ? d->user_from : cc->from;
		s->contact_user = d->contact_user;
		s->call_id = pc->call_id; /* the shell tells the run's messages by it */
	}
}

static int on_build(struct sip_buf *b, const struct sip_target *t, const struct sip_sockaddr *local,
                    uint32_t cseq, void *arg)
{
	struct probe *p = arg;
	return p->spec.build(p, b, t, local, cseq);
}

int probe_start(struct probe_ctx *pc, const struct probe_spec *spec)
{
	const struct cmd_common *cc = pc->cc;
	struct probe_dest *d = spec->dest;
	if (d->ntargets == 0 || d->cur >= d->ntargets)
		return SIP_ENOTFOUND;
	/* A command's own headers are a handful; the user's -H lines CMD_MAX_HEADERS. */
	struct sip_build_hdr hdrs[16 + CMD_MAX_HEADERS];
	size_t nh = spec->nheaders + cc->nheaders;
	if (nh > sizeof hdrs / sizeof hdrs[0])
		return SIP_ETOOBIG;
	struct probe *p = calloc(1, sizeof *p);
	if (!p)
		return SIP_ENOMEM;
	p->pc = pc;
	p->spec = *spec;
	p->arg = spec->arg;
	p->seq = spec->seq;
	p->cseq = spec->seq;
	/* The command's own headers, then the user's -H lines. */
	nh = 0;
	for (size_t i = 0; i < spec->nheaders; i++)
		hdrs[nh++] = spec->headers[i];
	for (size_t i = 0; i < cc->nheaders; i++)
		hdrs[nh++].line = cc->headers[i];
	struct sip_req_spec rs;
	probe_req_spec(pc, d, &rs);
	rs.method = spec->method_name ? spec->method_name : sip_method_name(spec->method);
	if (spec->from)
		rs.from = spec->from;
	if (spec->to)
		rs.to = spec->to;
	rs.cseq = (uint32_t)spec->seq;
	if (spec->contact)
		rs.contact = spec->contact;
	rs.headers = hdrs;
	rs.nheaders = nh;
	rs.content_type = spec->content_type;
	rs.body = spec->body;
	rs.body_len = spec->body_len;
	rs.dry_run = spec->dry_run;
	rs.provisional = on_provisional;
	rs.done = on_done;
	rs.failover = on_failover;
	rs.cancelled = on_cancelled;
	rs.build = spec->build ? on_build : NULL;
	rs.arg = p;
	int err = sip_req_start(&p->req, pc->ua, &rs);
	if (err) {
		free(p);
		return err;
	}
	note_target(p);
	if (spec->handle)
		*spec->handle = p;
	p->next = pc->probes;
	if (p->next)
		p->next->prevp = &p->next;
	p->prevp = &pc->probes;
	pc->probes = p;
	return 0;
}

int probe_cancel(struct probe *p)
{
	return sip_req_cancel(p->req);
}

const struct sip_msg *probe_request(const struct probe *p)
{
	return sip_req_message(p->req);
}

void probe_free(struct probe *p)
{
	if (!p)
		return;
	if (p->spec.handle && *p->spec.handle == p)
		*p->spec.handle = NULL;
	if (p->prevp) {
		*p->prevp = p->next;
		if (p->next)
			p->next->prevp = p->prevp;
	}
	sip_req_free(p->req);
	free(p);
}

/* ---- the summary ---- */

static void summary_line(const char *label, const struct sip_msg *m, enum sip_hdr_id id)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);
	if (!h)
		return;
	printf("%-12s", label);
	bool any = false;
	for (; h; h = sip_msg_hdr_next(m, h)) {
		if (!h->value.len)
			continue;
		printf("%s%.*s", any ? ", " : "", SIP_STR_FMT(h->value));
		any = true;
	}
	/* An empty list is an answer too: "Supported:" says no extension. */
	puts(any ? "" : "(none)");
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
	if (!cmd_summary_text(cc))
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

void probe_print_no_answer(const char *target, const char *reason, int rc)
{
	printf("{\"summary\":{\"target\":");
	sip_print_json_str(stdout, sip_str_from(target));
	printf(",\"error\":");
	sip_print_json_str(stdout, sip_str_from(reason));
	printf(",\"exit\":%d}}\n", rc);
}
