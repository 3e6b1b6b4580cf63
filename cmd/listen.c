/* listen.c - `sip listen`: the other end of a test. A phone that rings and
 * answers (listen_call.c), takes a transfer when allowed, receives
 * MESSAGE, INFO and NOTIFY, shows its state to subscribers
 * (listen_state.c), registers itself and challenges its callers when
 * asked. This file: the options, the requests that arrive outside a
 * dialog and who takes each, the lines printed, and the end of the run. */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "listen.h"

enum {
	OPT_COUNT = 1,
	OPT_TLS,
	OPT_WS,
	OPT_WSS,
	OPT_CERT,
	OPT_KEY,
	OPT_RING,
	OPT_ANSWER,
	OPT_DURATION,
	OPT_100REL,
	OPT_ACCEPT_REFER,
	OPT_REGISTER,
	OPT_AUTH,
	OPT_RTP_PORT,
	OPT_LADDER,
};

const struct cmd_opt listen_opts[] = {
	{OPT_COUNT, "count", 'c', "N", "exit after N calls or requests", NULL},
	{OPT_RING, "ring", 0, "SECONDS", "ring this long before answering (default 1)", NULL},
	{OPT_ANSWER, "answer", 0, "CODE",
         "answer calls with CODE (default 200; 486, 603, 404... reject)", NULL},
	{OPT_DURATION, "duration", 'd', "SECONDS",
         "hang up answered calls after this long (default: the caller's BYE)", NULL},
	{OPT_100REL, "100rel", 0, NULL, "send 180 reliably and wait for its PRACK (RFC 3262)",
         NULL},
	{OPT_RTP_PORT, "rtp-port", 0, "PORT", "RTP port in the SDP answer (default 4000)", NULL},
	{OPT_ACCEPT_REFER, "accept-refer", 0, NULL,
         "take transfers: call whom a REFER names (else 603)", NULL},
	{OPT_REGISTER, "register", 0, "AOR",
         "register the listening address as AOR's Contact while running", NULL},
	{OPT_AUTH, "auth", 0, "USER", "challenge requests: digest as USER (password as for -u)",
         NULL},
	{OPT_LADDER, "ladder", 0, NULL, "draw each call as a sequence diagram when it ends", NULL},
	{OPT_TLS, "tls", 0, NULL, "accept TLS instead of TCP (needs --cert and --key)", NULL},
	{OPT_WS, "ws", 0, NULL, "accept WebSocket (RFC 7118) instead of TCP", NULL},
	{OPT_WSS, "wss", 0, NULL, "accept secure WebSocket instead of TCP (needs --cert and --key)",
         NULL},
	{OPT_CERT, "cert", 0, "FILE", "TLS: the server certificate (PEM)", NULL},
	{OPT_KEY, "key", 0, "FILE", "TLS: the certificate's private key (PEM)", NULL},
	{0},
};

/* What this listener does, for Allow and OPTIONS. */
#define LISTEN_ALLOW                                                                               \
	"INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, MESSAGE, NOTIFY, SUBSCRIBE"
#define LISTEN_ACCEPT                                                                              \
	"application/sdp, text/plain, text/html, message/cpim, application/dtmf-relay, "           \
	"application/dtmf, application/simple-message-summary"

const char *listen_allow(const struct listener *ls)
{
	return ls->accept_refer ? LISTEN_ALLOW ", REFER" : LISTEN_ALLOW;
}

/* ---- lines ---- */

double listen_secs(const struct listener *ls)
{
	uint64_t now = sip_loop_now(ls->pc.loop);
	return now > ls->t0 ? (double)(now - ls->t0) / 1e6 : 0.0;
}

bool listen_json_on(const struct listener *ls)
{
	return ls->cc.format == SIP_PRINT_JSON;
}

void listen_line(struct listener *ls, const char *label, const char *fmt, ...)
{
	va_list ap;
	if (listen_json_on(ls))
		return;
	printf("%-12s%.3f s  ", label, listen_secs(ls));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	cmd_flush();
}

void listen_json(struct listener *ls, const char *kind, const char *fmt, ...)
{
	va_list ap;
	if (!listen_json_on(ls))
		return;
	printf("{\"%s\":{\"time\":%.3f", kind, listen_secs(ls));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("}}\n");
	cmd_flush();
}

void listen_vsay(struct listener *ls, const char *label, const char *kind, const char *fields,
                 const char *fmt, va_list ap)
{
	char text[600], jt[1300];
	vsnprintf(text, sizeof text, fmt, ap);
	listen_line(ls, label, "%s", text);
	listen_json(ls, kind, "%s,\"text\":%s", fields, listen_jstr(jt, sizeof jt, text));
}

const char *listen_jstr(char *buf, size_t cap, const char *s)
{
	size_t o = 0;
	if (cap < 3)
		return "\"\"";
	buf[o++] = '"';
	for (; *s && o + 8 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, cap - o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, cap - o, "\\u%04x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* "sip:alice@example.com" of a From or To, control characters escaped. */
static void who(const struct sip_msg *m, enum sip_hdr_id id, char *buf, size_t cap)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);
	struct sip_addr a;
	if (!h || sip_addr_parse(&a, h->value) != 0)
		snprintf(buf, cap, "?");
	else
		cmd_safe(buf, cap, a.uri);
}

/* "UDP 127.0.0.1:5070": where a request came from. */
static void source(const struct sip_incoming *in, char *buf, size_t cap)
{
	const struct sip_packet_info *pi = sip_incoming_packet(in);
	char addr[64];
	if (sip_sockaddr_print(&pi->remote, addr, sizeof addr) < 0)
		addr[0] = '\0';
	snprintf(buf, cap, "%s %s", sip_tp_name(pi->tp), addr);
}

/* ---- the end of the run ---- */

static void stop_now(void *arg)
{
	struct listener *ls = arg;
	cmd_run_stop(&ls->run);
}

void listen_maybe_stop(struct listener *ls)
{
	if (!ls->stopping || ls->stopped)
		return;
	if (listen_calls_live(ls) || listen_subs_live(ls) || ls->xfer || ls->reg)
		return;
	ls->stopped = true;
	sip_timer_start(ls->pc.loop, &ls->stop_timer, 0, stop_now, ls);
}

/* Ctrl-C, or -c reached: calls hung up, subscribers told, the binding removed. */
static void begin_stop(struct listener *ls)
{
	if (ls->stopping)
		return;
	ls->stopping = true;
	listen_xfer_end(ls);
	listen_calls_end(ls);
	listen_subs_end(ls);
	if (ls->reg && sip_reg_stop(ls->reg) != 0) {
		sip_reg_free(ls->reg);
		ls->reg = NULL;
	}
	listen_maybe_stop(ls);
}

void listen_done_one(struct listener *ls)
{
	if (ls->count && ++ls->handled >= ls->count)
		begin_stop(ls);
}

static void on_signal(void *arg)
{
	struct listener *ls = arg;
	probe_prompt_cancel(&ls->pc);
	begin_stop(ls);
}

/* ---- --register ---- */

static void on_reg_event(struct sip_reg *g, enum sip_reg_event ev, int err,
                         const struct sip_msg *resp, void *arg)
{
	struct listener *ls = arg;
	char jb[600];
	(void)resp;
	switch (ev) {
	case SIP_REG_BOUND:
		if (!ls->registered)
			listen_line(ls, "Register:", "%s bound for %lu s", ls->aor_buf,
			            sip_reg_granted(g));
		else if (ls->cc.verbose)
			listen_line(ls, "Register:", "%s refreshed for %lu s", ls->aor_buf,
			            sip_reg_granted(g));
		listen_json(ls, "register", ",\"aor\":%s,\"event\":\"%s\",\"expires\":%lu",
		            listen_jstr(jb, sizeof jb, ls->aor_buf),
		            ls->registered ? "refreshed" : "bound", sip_reg_granted(g));
		ls->registered = true;
		break;
	case SIP_REG_TOO_BRIEF:
		cmd_warn(ls->cmd, "register: 423 Interval Too Brief: asking for %lu s",
		         sip_reg_expires(g));
		break;
	case SIP_REG_REFRESH_LOST:
		cmd_warn(ls->cmd, "register: the refresh got no answer (%s): trying again",
		         sip_strerror(err));
		break;
	}
}

static void on_reg_done(struct sip_reg *g, int err, const struct sip_msg *resp, void *arg)
{
	struct listener *ls = arg;
	char jb[600];
	const struct sip_req *r = sip_reg_request(g);
	bool ok = !err && resp && resp->status < 300;
	if (ok && ls->stopping) {
		listen_line(ls, "Register:", "%s removed", ls->aor_buf);
	} else {
		int rc = err ? probe_exit_code(err) : EXIT_RESPONSE;
		if (resp && probe_auth_failed(&ls->pc, r, resp))
			rc = EXIT_AUTH;
		else if (resp)
			cmd_error(ls->cmd, "register %s: %u %.*s", ls->aor_buf, resp->status,
			          SIP_STR_FMT(resp->reason));
		else
			cmd_error(ls->cmd, "register %s: %s", ls->aor_buf, sip_strerror(err));
		/* The binding is not what was asked: the run says so. */
		if (!ls->rc)
			ls->rc = rc;
	}
	listen_json(ls, "register", ",\"aor\":%s,\"event\":\"%s\",\"status\":%u",
	            listen_jstr(jb, sizeof jb, ls->aor_buf),
	            ok ? (ls->stopping ? "removed" : "bound") : "failed", resp ? resp->status : 0);
	sip_reg_free(g);
	ls->reg = NULL;
	if (!ls->stopping)
		begin_stop(ls); /* a listener nobody can reach by its AOR is no test */
	listen_maybe_stop(ls);
}

static void on_reg_failover(struct sip_req *r, int err, const struct sip_target *from,
                            const struct sip_target *next, void *arg)
{
	struct listener *ls = arg;
	probe_failover(&ls->pc, r, err, from, next);
}

static void on_reg_dest(struct probe_dest *d, int err, void *arg)
{
	struct listener *ls = arg;
	if (err) {
		cmd_error(ls->cmd, "cannot resolve '%s': %s", d->ruri_text, sip_strerror(err));
		ls->rc = probe_dest_exit(err);
		begin_stop(ls);
		return;
	}
	const struct cmd_common *cc = &ls->cc;
	struct sip_build_hdr hdrs[CMD_MAX_HEADERS];
	for (size_t i = 0; i < cc->nheaders; i++)
		hdrs[i].line = cc->headers[i];
	struct sip_uri registrar = ls->aor;
	registrar.user = (struct sip_str){0};
	registrar.password = (struct sip_str){0};
	struct sip_reg_spec s = {
		.mode = SIP_REG_BIND,
		.keep = true,
		.aor = &ls->aor,
		.registrar = &registrar,
		.targets = d->targets + d->cur,
		.ntargets = d->ntargets - d->cur,
		.transport = -1,
		.contact = cc->contact,
		.expires = 3600,
		.max_forwards = cc->max_forwards,
		.user_agent = cc->user_agent ? cc->user_agent : "sip/" SIP_VERSION,
		.headers = hdrs,
		.nheaders = cc->nheaders,
		.timeout_us = cc->timeout_us,
		.account = &ls->pc,
		.failover = on_reg_failover,
		.event = on_reg_event,
		.done = on_reg_done,
		.arg = ls,
	};
	char user[64];
	if (ls->aor.user.len && ls->aor.user.len < sizeof user) {
		memcpy(user, ls->aor.user.p, ls->aor.user.len);
		user[ls->aor.user.len] = '\0';
		s.contact_user = user;
	}
	err = sip_reg_start(&ls->reg, ls->pc.ua, &s);
	if (err) {
		cmd_error(ls->cmd, "cannot send REGISTER: %s", sip_strerror(err));
		ls->rc = probe_exit_code(err);
		begin_stop(ls);
	}
}

/* ---- --auth: our callers authenticate ---- */

/* The request carries credentials for us that hold; else it is
 * challenged (401, a fresh nonce; stale=true when only the nonce was old),
 * or refused when they do not parse (400). */
static bool authorized(struct listener *ls, struct sip_incoming *in, const struct sip_msg *req)
{
	static const char *const why[] = {
		[SIP_DIGEST_NONE] = "no credentials",
		[SIP_DIGEST_WRONG] = "wrong credentials",
		[SIP_DIGEST_STALE] = "a stale nonce",
		[SIP_DIGEST_MALFORMED] = "credentials that do not parse",
	};
	if (!ls->auth_user || req->method == SIP_ACK || req->method == SIP_CANCEL)
		return true;
	struct sip_response_spec rs = {.status = 503, .reason = "Password Not Typed Yet"};
	if (!ls->password_set) {
		listen_answer(ls, in, req, &rs, NULL);
		listen_done_one(ls);
		return false;
	}
	/* The realm is the host the request is for, as a phone's would be. */
	struct sip_uri ru;
	char realm[256];
	if (sip_uri_parse(&ru, req->ruri) != 0 || !ru.host.len || ru.host.len >= sizeof realm)
		snprintf(realm, sizeof realm, "%s", ls->where);
	else
		cmd_safe(realm, sizeof realm, ru.host);
	struct sip_digest_server srv = {
		.realm = realm,
		.user = ls->auth_user,
		.password = ls->password,
		.secret = ls->secret,
		.secret_len = sizeof ls->secret - 1,
		.now = (uint64_t)time(NULL),
		.nonce_ttl = 300,
	};
	enum sip_digest_verdict v = SIP_DIGEST_NONE;
	if (sip_digest_check(&srv, req, &v) == 0 && v == SIP_DIGEST_OK)
		return true;
	struct sip_buf hb;
	struct sip_build_hdr hdrs[SIP_DIGEST_NCHALLENGES];
	sip_buf_init(&hb, 0);
	rs = (struct sip_response_spec){.status = 400, .reason = "Bad Credentials"};
	if (v != SIP_DIGEST_MALFORMED) {
		rs = (struct sip_response_spec){.status = 401};
		if (sip_digest_challenge(&hb, hdrs, &srv, v == SIP_DIGEST_STALE) == 0) {
			rs.headers = hdrs;
			rs.nheaders = SIP_DIGEST_NCHALLENGES;
		}
	}
	listen_answer(ls, in, req, &rs, why[v]);
	sip_buf_reset(&hb);
	/* A challenge is part of the request's exchange; only a refusal ends it. */
	if (rs.status == 400)
		listen_done_one(ls);
	return false;
}

/* ---- requests outside a dialog ---- */

/* Answers in, and says so: "OPTIONS  from sip:a@b (UDP 1.2.3.4:5): 200 OK". */
void listen_answer(struct listener *ls, struct sip_incoming *in, const struct sip_msg *req,
                   const struct sip_response_spec *rs, const char *what)
{
	char w[300], src[96], jw[700], jm[64], jx[1200];
	const char *reason = rs->reason ? rs->reason : sip_status_reason(rs->status);
	who(req, SIP_HDR_FROM, w, sizeof w);
	source(in, src, sizeof src);
	char method[32];
	cmd_safe(method, sizeof method, req->method_name);
	char label[40];
	snprintf(label, sizeof label, "%s:", method);
	listen_line(ls, label, "from %s (%s): %u %s%s%s", w, src, rs->status, reason,
	            what && *what ? ": " : "", what ? what : "");
	char jr[200];
	listen_json(ls, "request",
	            ",\"method\":%s,\"from\":%s,\"source\":\"%s\",\"status\":%u,\"reason\":%s%s%s",
	            listen_jstr(jm, sizeof jm, method), listen_jstr(jw, sizeof jw, w), src,
	            rs->status, listen_jstr(jr, sizeof jr, reason),
	            what && *what ? ",\"text\":" : "",
	            what && *what ? listen_jstr(jx, sizeof jx, what) : "");
	sip_incoming_respond(in, rs);
}

/* A Require we do not support: 420 with Unsupported (RFC 3261 section 8.2.2.3). */
static bool unsupported(struct listener *ls, struct sip_incoming *in, const struct sip_msg *req)
{
	static const char *const ours[] = {"100rel", "timer", "norefersub"};
	char bad[200] = "";
	size_t o = 0;
	if (req->method == SIP_ACK || req->method == SIP_CANCEL)
		return false;
	for (const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_REQUIRE); h;
	     h = sip_msg_hdr_next(req, h)) {
		struct sip_str list = h->value, e;
		while (sip_list_next(&list, &e) == 1) {
			bool known = false;
			char tag[64];
			for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
				known = known || sip_str_ieq_cstr(e, ours[i]);
			if (!known && o + e.len + 3 < sizeof bad)
				o += (size_t)snprintf(bad + o, sizeof bad - o, "%s%s",
				                      o ? ", " : "", cmd_safe(tag, sizeof tag, e));
		}
	}
	if (!o)
		return false;
	char line[220];
	snprintf(line, sizeof line, "Unsupported: %s", bad);
	struct sip_build_hdr h = {line};
	struct sip_response_spec rs = {.status = 420, .headers = &h, .nheaders = 1};
	listen_answer(ls, in, req, &rs, bad);
	listen_done_one(ls);
	return true;
}

/* The body of a MESSAGE, INFO or NOTIFY as one line of text. */
static void body_text(const struct sip_msg *req, char *buf, size_t cap)
{
	struct sip_str b = req->body;
	while (b.len && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == '\r'))
		b.len--;
	cmd_safe(buf, cap, b);
}

/* A content type we take for MESSAGE: any text, and CPIM. */
static bool message_type_ok(const struct sip_msg *req)
{
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_CONTENT_TYPE);
	struct sip_ctype ct;
	if (!req->body.len)
		return true;
	if (!h || sip_ctype_parse(&ct, h->value) != 0)
		return false;
	return sip_str_ieq_cstr(ct.type, "text") ||
	       (sip_str_ieq_cstr(ct.type, "message") && sip_str_ieq_cstr(ct.subtype, "cpim"));
}

static void on_message(struct listener *ls, struct sip_incoming *in, const struct sip_msg *req)
{
	char text[1024];
	if (!message_type_ok(req)) {
		struct sip_build_hdr h = {"Accept: text/plain, text/html, message/cpim"};
		struct sip_response_spec rs = {.status = 415, .headers = &h, .nheaders = 1};
		listen_answer(ls, in, req, &rs, "not text");
		return;
	}
	body_text(req, text, sizeof text);
	struct sip_response_spec rs = {.status = 200};
	listen_answer(ls, in, req, &rs, text);
	ls->messages_new++;
	listen_state_changed(ls, LISTEN_MESSAGES);
}

/* A known event body, decoded, on one line ("; " between its lines). */
static bool decoded(const struct sip_msg *req, char *buf, size_t cap)
{
	const struct sip_hdr *ct = sip_msg_hdr(req, SIP_HDR_CONTENT_TYPE);
	struct sip_evbody b;
	char *text = NULL;
	size_t len = 0;
	if (!ct || sip_evbody_parse(&b, ct->value, req->body) != 0)
		return false;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return false;
	sip_evbody_print(f, &b, SIP_PRINT_PRETTY, NULL);
	fclose(f);
	size_t o = 0;
	for (size_t i = 0; i < len && o + 3 < cap; i++) {
		if (text[i] != '\n')
			buf[o++] = text[i];
		else if (i + 1 < len)
			buf[o++] = ';', buf[o++] = ' ';
	}
	buf[o] = '\0';
	free(text);
	return true;
}

/* A NOTIFY outside any subscription (check-sync, a voicemail lamp): its
 * event and its body, decoded when it is a known one. */
static void on_notify(struct listener *ls, struct sip_incoming *in, const struct sip_msg *req)
{
	const struct sip_hdr *ev = sip_msg_hdr(req, SIP_HDR_EVENT);
	char text[1200], e[128] = "(no Event)", body[1024] = "";
	if (ev)
		cmd_safe(e, sizeof e, ev->value);
	if (req->body.len && !decoded(req, body, sizeof body))
		body_text(req, body, sizeof body);
	snprintf(text, sizeof text, "%s%s%s", e, body[0] ? ": " : "", body);
	struct sip_response_spec rs = {.status = 200};
	listen_answer(ls, in, req, &rs, text);
}

static void on_options(struct listener *ls, struct sip_incoming *in, const struct sip_msg *req)
{
	char allow[200], supported[100];
	snprintf(allow, sizeof allow, "Allow: %s", listen_allow(ls));
	/* 100rel without --100rel too: a caller that requires it is served. */
	snprintf(supported, sizeof supported, "Supported: 100rel, timer%s",
	         ls->accept_refer ? ", norefersub" : "");
	char events[100];
	snprintf(events, sizeof events, "Allow-Events: %s%s", LISTEN_EVENTS,
	         ls->accept_refer ? ", refer" : "");
	const struct sip_build_hdr h[] = {
		{allow}, {supported}, {"Accept: " LISTEN_ACCEPT}, {events}};
	struct sip_response_spec rs = {.status = 200, .headers = h, .nheaders = 4};
	listen_answer(ls, in, req, &rs, NULL);
}

static bool to_tagged(const struct sip_msg *req)
{
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_TO);
	struct sip_addr to;
	return h && sip_addr_parse(&to, h->value) == 0 && to.tag.len;
}

static bool on_request(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct listener *ls = arg;
	struct sip_response_spec rs = {.status = 200};
	char allow[120];
	struct sip_build_hdr ah = {allow};
	if (req->method == SIP_ACK || req->method == SIP_CANCEL) {
		sip_incoming_default(in);
		return true;
	}
	if (to_tagged(req)) {
		/* A dialog we do not know (any more): 481 (section 12.2.2). */
		rs.status = 481;
		listen_answer(ls, in, req, &rs, NULL);
		return true;
	}
	if (ls->stopping) {
		rs.status = 503;
		rs.reason = "Shutting Down";
		listen_answer(ls, in, req, &rs, NULL);
		return true;
	}
	if (unsupported(ls, in, req) || !authorized(ls, in, req))
		return true;
	switch (req->method) {
	case SIP_INVITE: return listen_call_incoming(ls, in, req);
	case SIP_SUBSCRIBE: return listen_subscribe(ls, in, req);
	case SIP_REFER: return listen_refer(ls, NULL, in, req);
	case SIP_OPTIONS: on_options(ls, in, req); break;
	case SIP_MESSAGE: on_message(ls, in, req); break;
	case SIP_NOTIFY: on_notify(ls, in, req); break;
	case SIP_BYE:
	case SIP_PRACK:
	case SIP_UPDATE:
	case SIP_INFO:
		/* They belong in a dialog (RFC 3261 section 15, RFC 6086 section 4.2). */
		rs.status = 481;
		listen_answer(ls, in, req, &rs, NULL);
		break;
	case SIP_METHOD_OTHER:
		rs.status = 501;
		listen_answer(ls, in, req, &rs, NULL);
		break;
	default:
		/* REGISTER, PUBLISH: known, but not what a phone takes. */
		snprintf(allow, sizeof allow, "Allow: %s", listen_allow(ls));
		rs.status = 405;
		rs.headers = &ah;
		rs.nheaders = 1;
		listen_answer(ls, in, req, &rs, NULL);
		break;
	}
	listen_done_one(ls);
	return true;
}

/* ---- options and the run ---- */

static const char *stream_flag(enum sip_tp t)
{
	return t == SIP_TP_TLS ? "--tls" : t == SIP_TP_WS ? "--ws" : "--wss";
}

/* --tls, --ws or --wss: the stream transport taken instead of TCP. */
static int stream_opt(const struct cmd *self, enum sip_tp *stream, enum sip_tp t)
{
	if (*stream != SIP_TP_TCP && *stream != t)
		return cmd_usage_error(self, "%s and %s: one of them at most", stream_flag(*stream),
		                       stream_flag(t));
	*stream = t;
	return 0;
}

static int parse_args(struct listener *ls, int argc, char **argv, const char **cert,
                      const char **key, enum sip_tp *stream)
{
	const struct cmd *self = ls->cmd;
	const char *arg;
	int k;
	ls->ring_us = 1000000u;
	ls->answer = 200;
	ls->rtp_port = 4000;
	while ((k = cmd_getopt(self, &ls->cc, argc, argv, &arg)) >= 0) {
		switch (k) {
		case OPT_COUNT:
			if (cmd_parse_uint(self, "count", arg, 1, 1000000000, &ls->count))
				return EXIT_USAGE;
			break;
		case OPT_RING:
			if (cmd_parse_seconds(self, "ring", arg, true, 3600, &ls->ring_us))
				return EXIT_USAGE;
			break;
		case OPT_ANSWER:
			if (cmd_parse_uint(self, "answer", arg, 200, 699, &ls->answer))
				return EXIT_USAGE;
			break;
		case OPT_DURATION:
			if (cmd_parse_seconds(self, "duration", arg, true, 86400 * 7,
			                      &ls->duration_us))
				return EXIT_USAGE;
			ls->duration_set = true;
			break;
		case OPT_RTP_PORT:
			if (cmd_parse_uint(self, "rtp-port", arg, 1, 65535, &ls->rtp_port))
				return EXIT_USAGE;
			break;
		case OPT_100REL: ls->prack = true; break;
		case OPT_ACCEPT_REFER: ls->accept_refer = true; break;
		case OPT_REGISTER: ls->register_aor = arg; break;
		case OPT_AUTH: ls->auth_user = arg; break;
		case OPT_LADDER: ls->ladder = true; break;
		case OPT_TLS:
		case OPT_WS:
		case OPT_WSS:
			if (stream_opt(self, stream,
			               k == OPT_TLS  ? SIP_TP_TLS
			               : k == OPT_WS ? SIP_TP_WS
			                             : SIP_TP_WSS) != 0)
				return EXIT_USAGE;
			break;
		case OPT_CERT: *cert = arg; break;
		case OPT_KEY: *key = arg; break;
		}
	}
	if (k == -3)
		return -1;
	if (k == -2)
		return EXIT_USAGE;
	if (argc - optind > 1)
		return cmd_usage_error(self, "too many arguments: one [ADDR][:PORT] at most");
	/* In the shell, -l is the shell's own address, which an operand replaces. */
	if (ls->cc.local && cmd_host && optind < argc)
		ls->cc.local = NULL;
	if (ls->cc.local && !cmd_host)
		return cmd_usage_error(self, "-l: the address to listen on is the operand");
	bool tls = *stream == SIP_TP_TLS || *stream == SIP_TP_WSS;
	if (tls && (!*cert || !*key))
		return cmd_usage_error(self, "%s needs --cert and --key", stream_flag(*stream));
	/* Without --tls they would be ignored, and plain TCP taken for TLS. */
	if (!tls && (*cert || *key))
		return cmd_usage_error(self, "%s goes with --tls or --wss",
		                       *cert ? "--cert" : "--key");
	if (ls->answer > 299 && ls->answer < 400)
		return cmd_usage_error(self,
		                       "--answer %lu: a redirect needs a Contact; use 200 or "
		                       "400 to 699",
		                       ls->answer);
	if (ls->answer > 200 && ls->answer < 300)
		return cmd_usage_error(self, "--answer %lu: a call is answered with 200",
		                       ls->answer);
	if (ls->auth_user && !cmd_is_token(ls->auth_user))
		return cmd_usage_error(self, "--auth '%s': not a user name", ls->auth_user);
	if (ls->register_aor) {
		if (cmd_parse_target(self, &ls->cc, ls->register_aor, ls->aor_buf,
		                     sizeof ls->aor_buf, &ls->aor))
			return EXIT_USAGE;
		if (ls->aor.scheme != SIP_URI_SIP && ls->aor.scheme != SIP_URI_SIPS)
			return cmd_usage_error(self, "--register '%s': not a sip: or sips: URI",
			                       ls->register_aor);
		snprintf(ls->aor_from, sizeof ls->aor_from, "<%s>", ls->aor_buf);
	}
	return 0;
}

/* The password --auth checks against: now, or once typed. */
static void on_password(const char *password, void *arg)
{
	struct listener *ls = arg;
	ls->pc.prompt = NULL;
	if (!password) {
		cmd_error(ls->cmd, "--auth needs a password");
		ls->rc = EXIT_USAGE;
		begin_stop(ls);
		return;
	}
	snprintf(ls->password, sizeof ls->password, "%s", password);
	ls->password_set = true;
}

static int auth_setup(struct listener *ls)
{
	if (!ls->auth_user)
		return 0;
	if (sip_rand_token(ls->secret, sizeof ls->secret - 1) != 0) {
		cmd_error(ls->cmd, "no random numbers");
		return EXIT_INTERNAL;
	}
	int rc = cmd_password(ls->cmd, &ls->cc, ls->password, sizeof ls->password);
	if (rc == 0) {
		ls->password_set = true;
		return 0;
	}
	if (rc > 0)
		return rc;
	ls->pc.prompt = cmd_prompt_start(ls->cmd, ls->pc.loop, ls->auth_user, on_password, ls);
	if (!ls->pc.prompt) {
		cmd_password_missing(ls->cmd, "--auth");
		return EXIT_USAGE;
	}
	return 0;
}

/* A bare address listens on the SIP port; ":PORT" listens everywhere. */
static void where_arg(const char *a, char *buf, size_t cap)
{
	const char *colon = strchr(a, ':');
	bool bare_v6 = a[0] != '[' && colon && colon != strrchr(a, ':');
	if (a[0] == '[')
		snprintf(buf, cap, "%s%s", a, strstr(a, "]:") ? "" : ":5060");
	else if (bare_v6)
		snprintf(buf, cap, "[%s]:5060", a);
	else
		snprintf(buf, cap, "%s%s%s", a[0] == ':' ? "0.0.0.0" : "", a, colon ? "" : ":5060");
}

static void listen_free(struct listener *ls)
{
	/* The shell's stack outlives us: nothing more comes here. */
	if (ls->pc.shared)
		sip_ua_accept_remove(ls->pc.ua, on_request, ls);
	listen_xfer_free(ls); /* before the calls: it may borrow one's dialog */
	listen_calls_free(ls);
	listen_ladders_free(ls);
	listen_subs_free(ls);
	sip_reg_free(ls->reg);
	ls->reg = NULL;
	probe_dest_reset(&ls->reg_dest);
	sip_timer_cancel(ls->pc.loop, &ls->stop_timer);
	sip_timer_cancel(ls->pc.loop, &ls->detach_timer);
	probe_ctx_reset(&ls->pc);
	explicit_bzero(ls->password, sizeof ls->password);
}

static int finish(void *arg)
{
	struct listener *ls = arg;
	int rc = cmd_run_exit(&ls->run, ls->rc);
	listen_free(ls);
	cmd_signals_done(); /* after the loop gave back its handlers */
	free(ls);
	return rc;
}

static void describe(void *arg, char *buf, size_t cap)
{
	struct listener *ls = arg;
	snprintf(buf, cap, "%u calls, %u subscribers", listen_calls_live(ls), listen_subs_live(ls));
}

/* The shell's `calls` asks with no arguments (the calls that came in are
 * listed, and their count returned); the rest name a call. */
static int act(void *arg, int argc, char **argv)
{
	struct listener *ls = arg;
	if (argc == 0)
		return (int)listen_calls_list(ls);
	return listen_call_act(ls, argc, argv);
}

static const struct cmd_job_ops listen_job = {"listen", describe, finish, act};

static void detach_now(void *arg)
{
	struct listener *ls = arg;
	cmd_run_detach(&ls->run, &listen_job, ls);
}

int cmd_listen(const struct cmd *self, int argc, char **argv)
{
	struct listener *ls = calloc(1, sizeof *ls);
	const char *cert = NULL, *key = NULL;
	enum sip_tp stream = SIP_TP_TCP;
	if (!ls) {
		cmd_error(self, "out of memory");
		return EXIT_INTERNAL;
	}
	ls->cmd = self;
	ls->sdp_session = (uint64_t)time(NULL);
	sip_timer_init(&ls->stop_timer);
	sip_timer_init(&ls->draw_timer);
	int rc = parse_args(ls, argc, argv, &cert, &key, &stream);
	if (rc) {
		free(ls);
		return rc < 0 ? EXIT_OK : rc;
	}
	char where[80];
	/* In the shell, without an address: the shell's own stack, whose
	 * requests nothing else takes, in the background. */
	ls->session = cmd_host && optind == argc;
	sip_timer_init(&ls->detach_timer);
	where_arg(optind < argc ? argv[optind] : "0.0.0.0", where, sizeof where);
	if (!ls->session)
		ls->cc.local = where;
	struct probe_setup setup = {.show_messages = !ls->cc.quiet,
	                            .ladder = false,
	                            .cert_file = cert,
	                            .key_file = key};
	if ((rc = probe_ctx_init(&ls->pc, self, &ls->cc, &setup)) != 0) {
		free(ls);
		return rc;
	}
	ls->pc.observe = listen_call_observe;
	ls->pc.observe_arg = ls;
	if (ls->session && !ls->pc.shared) {
		cmd_error(self, "the shell's stack options differ from this line's");
		listen_free(ls);
		free(ls);
		return EXIT_USAGE;
	}
	if (ls->session) {
		ls->pc.catch_all = true;
		ls->pc.show_messages = ls->cc.verbose > 0;
	}
	int err = ls->session ? 0 : sip_ua_listen(ls->pc.ua, stream);
	if (err == 0 && sip_ua_bound(ls->pc.ua, SIP_TP_UDP, AF_UNSPEC, &ls->bound) == 0)
		sip_sockaddr_print(&ls->bound, ls->where, sizeof ls->where);
	if (err) {
		cmd_error(self, "cannot listen for %s on '%s': %s", sip_tp_name(stream), where,
		          sip_strerror(err));
		listen_free(ls);
		free(ls);
		return EXIT_TRANSPORT;
	}
	ls->t0 = sip_loop_now(ls->pc.loop);
	if ((rc = auth_setup(ls)) != 0) {
		listen_free(ls);
		free(ls);
		return rc;
	}
	/* The port matters to whoever started us with port 0: say it first. */
	if (!ls->session)
		fprintf(stderr, "sip: listen: listening on %s (UDP, %s)\n", ls->where,
		        sip_tp_name(stream));
	if (sip_ua_accept(ls->pc.ua, NULL, on_request, ls) != 0) {
		cmd_error(self, "out of memory");
		listen_free(ls);
		free(ls);
		return EXIT_INTERNAL;
	}
	if (ls->register_aor &&
	    (err = probe_dest_resolve(&ls->pc, &ls->reg_dest, &ls->aor, on_reg_dest, ls)) != 0) {
		cmd_error(self, "cannot resolve '%s': %s", ls->aor_buf, sip_strerror(err));
		listen_free(ls);
		free(ls);
		return probe_exit_code(err);
	}
	if (ls->session)
		sip_timer_start(ls->pc.loop, &ls->detach_timer, 0, detach_now, ls);
	cmd_run(&ls->run, ls->pc.loop, on_signal, ls);
	if (cmd_run_detached(&ls->run))
		return EXIT_OK;
	return finish(ls);
}
