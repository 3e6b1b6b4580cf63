/* subscribe.c - `sip subscribe`: a SUBSCRIBE (RFC 6665) to an event
 * package, and every NOTIFY of every subscription it makes answered and
 * shown decoded, one line each (presence, dialog, message-summary, reg),
 * until --count NOTIFYs, --duration or Ctrl-C; then it unsubscribes. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "probe.h"
#include "run.h"

enum { OPT_EVENT = 1, OPT_EXPIRES, OPT_ACCEPT, OPT_COUNT, OPT_DURATION, OPT_LADDER };

const struct cmd_opt subscribe_opts[] = {
	{OPT_EVENT, "event", 0, "NAME", "the event package (default presence)",
         "presence dialog message-summary reg"},
	{OPT_EXPIRES, "expires", 'e', "SECONDS",
         "subscription duration to ask for (default 3600; 0 fetches the state once)", NULL},
	{OPT_ACCEPT, "accept", 0, "TYPES", "the Accept header (default: the package's body type)",
         NULL},
	{OPT_COUNT, "count", 'c', "N", "unsubscribe after N NOTIFYs", NULL},
	{OPT_DURATION, "duration", 'd', "SECONDS",
         "unsubscribe SECONDS after the subscription began", NULL},
	{OPT_LADDER, "ladder", 0, NULL, "print the exchange as a sequence diagram at the end",
         NULL},
	{0},
};

/* The body each package's NOTIFYs carry (RFC 3856, 4235, 3842, 3680). */
static const struct {
	const char *package, *accept;
} packages[] = {
	{"presence", "application/pidf+xml"},
	{"dialog", "application/dialog-info+xml"},
	{"message-summary", "application/simple-message-summary"},
	{"reg", "application/reginfo+xml"},
};

/* sip_sub_start refuses an Event longer than these (SIP_EINVAL): said at
 * the option, before anything is resolved or sent. */
#define EVENT_PACKAGE_MAX 63
#define EVENT_MAX 250

/* Why the run ends on our side, once what was asked is done. */
enum goal { GOAL_NONE = 0, GOAL_COUNT, GOAL_DURATION, GOAL_FETCH, GOAL_SIGNAL, GOAL_ENDED };
static const char *const goal_names[] = {"",      "count",       "duration",
                                         "fetch", "interrupted", "unsubscribe"};

struct sub_run {
	const struct cmd *cmd;
	struct cmd_common cc;
	struct probe_ctx pc;
	struct probe_dest dest;
	struct cmd_run run;
	const char *target;
	char uri_buf[512];
	struct sip_uri uri;
	char event[EVENT_MAX + 1];
	const char *accept; /* NULL: none */
	unsigned long expires, count;
	uint64_t duration_us;
	bool ladder;
	struct sip_sub *s;
	struct sip_timer duration_timer;
	/* what happened */
	bool made;        /* a subscription was made: a 2xx or a NOTIFY */
	unsigned status;  /* of the SUBSCRIBE's 2xx or refusal */
	char reason[300]; /* its reason phrase, or why there is no answer */
	unsigned long notifies;
	bool *notified; /* [n - 1]: subscription n had a NOTIFY */
	unsigned nnotified;
	bool bad_body; /* a NOTIFY body of a known type that did not decode */
	/* NOTIFYs refused as malformed (400, 489), and the last one's words */
	unsigned long malformed;
	char malformed_why[200];
	enum goal goal; /* what ended it on our side */
	unsigned job;   /* in the shell's background: its number */
	bool ran;       /* its loop turned: there is a summary to print */
	/* The first subscription that ended before the goal, and its verdict,
	 * which stands even when the others go on to the goal. */
	unsigned end_n;
	int end_rc;
	bool over;
	int rc;
};

static double secs(const struct sub_run *r)
{
	return (double)(sip_loop_now(r->pc.loop) - r->pc.t0) / 1e6;
}

static bool text_out(const struct sub_run *r)
{
	return cmd_summary_text(&r->cc);
}

static bool json_out(const struct sub_run *r)
{
	return r->cc.format == SIP_PRINT_JSON;
}

/* ---- the verdict ---- */

static void print_summary(const struct sub_run *r)
{
	unsigned n = sip_sub_count(r->s);
	if (json_out(r)) {
		printf("{\"summary\":{\"target\":");
		sip_print_json_str(
			stdout, sip_str_from(r->dest.ruri_text[0] ? r->dest.ruri_text : r->target));
		printf(",\"event\":");
		sip_print_json_str(stdout, sip_str_from(r->event));
		if (r->status) {
			printf(",\"status\":%u,\"reason\":", r->status);
			sip_print_json_str(stdout, sip_str_from(r->reason));
		} else if (r->reason[0]) {
			printf(",\"error\":");
			sip_print_json_str(stdout, sip_str_from(r->reason));
		}
		printf(",\"notifies\":%lu,\"subscriptions\":[", r->notifies);
		for (unsigned i = 1; i <= n; i++) {
			printf("%s{\"subscription\":%u,\"tag\":", i > 1 ? "," : "", i);
			sip_print_json_str(stdout, sip_str_from(sip_sub_tag(r->s, i)));
			printf(",\"ended\":");
			sip_print_json_str(stdout, sip_str_from(sip_sub_reason(r->s, i)));
			printf("}");
		}
		printf("]");
		if (r->goal)
			printf(",\"ended_by\":\"%s\"", goal_names[r->goal]);
		printf(",\"interrupted\":%s,\"seconds\":%.3f,\"exit\":%d}}\n",
		       cmd_run_interrupted(&r->run) ? "true" : "false", secs(r), r->rc);
		return;
	}
	if (!text_out(r) || !r->made)
		return;
	printf("%-12s%lu NOTIFY%s from %u subscription%s in %.3f s", "Summary:", r->notifies,
	       r->notifies == 1 ? "" : "s", n, n == 1 ? "" : "s", secs(r));
	if (r->goal == GOAL_SIGNAL)
		printf(", %s", CMD_INTERRUPTED);
	else if (r->goal == GOAL_COUNT)
		printf(", --count reached");
	else if (r->goal == GOAL_DURATION)
		printf(", --duration over");
	else if (r->goal == GOAL_ENDED)
		printf(", unsubscribed");
	else if (r->goal == GOAL_FETCH)
		printf(", fetched");
	if (r->goal && r->end_n)
		printf(", #%u ended first", r->end_n);
	printf("\n");
}

/* The end: rc unless a second signal stopped it at once. */
static void finish(struct sub_run *r, int rc)
{
	if (r->over)
		return;
	r->over = true;
	r->rc = cmd_run_exit(&r->run, rc);
	sip_timer_cancel(r->pc.loop, &r->duration_timer);
	cmd_run_stop(&r->run);
}

/* What was asked is done (or Ctrl-C): unsubscribe, and wait for that to end. */
static void reach(struct sub_run *r, enum goal g)
{
	if (r->goal)
		return;
	r->goal = g;
	sip_timer_cancel(r->pc.loop, &r->duration_timer);
	/* Nothing made yet: the SUBSCRIBE's answer (within its timeout) may
	 * make a subscription, which is then unsubscribed at once. */
	if (!r->cc.quiet && g == GOAL_SIGNAL)
		fprintf(stderr, "sip: subscribe: %s (Ctrl-C again to quit at once)\n",
		        r->made ? "unsubscribing"
		                : "waiting for the SUBSCRIBE's answer to unsubscribe");
	/* Already over: done has been called, or is about to be. */
	sip_sub_stop(r->s);
}

static void on_duration(void *arg)
{
	reach(arg, GOAL_DURATION);
}

/* A subscription was made (a 2xx or a NOTIFY): --duration counts from now. */
static const struct cmd_job_ops sub_job;

static void made(struct sub_run *r)
{
	if (r->made)
		return;
	r->made = true;
	if (r->duration_us)
		sip_timer_start(r->pc.loop, &r->duration_timer, r->duration_us, on_duration, r);
	/* In the shell, a subscription goes on in the background: its NOTIFYs
	 * decoded above the prompt, the messages themselves only with -v (raw
	 * and JSON output are the messages, and stay). */
	if (!r->goal && (r->job = cmd_run_detach(&r->run, &sub_job, r)) != 0) {
		if (!r->cc.verbose && r->cc.format == SIP_PRINT_PRETTY)
			r->pc.show_messages = false;
		if (!r->cc.quiet)
			fprintf(stderr,
			        "sip: subscribe: kept as sub %u ('unsubscribe %u' ends it)\n",
			        r->job, r->job);
	}
}

/* ---- NOTIFYs ---- */

/* A body none of the decoders reads, or one that did not decode: as it is. */
static void print_raw_body(const struct sip_msg *m)
{
	struct sip_str b = m->body;
	while (b.len) {
		const char *nl = memchr(b.p, '\n', b.len);
		size_t n = nl ? (size_t)(nl - b.p) : b.len;
		struct sip_str line = {b.p, n && b.p[n - 1] == '\r' ? n - 1 : n};
		printf("    ");
		cmd_put_safe(stdout, line);
		printf("\n");
		b.p += nl ? n + 1 : n;
		b.len -= nl ? n + 1 : n;
	}
}

static void notify_json(const struct sub_run *r, unsigned n, const struct sip_msg *m,
                        const struct sip_substate_hdr *st, struct sip_str ct, int err,
                        const struct sip_evbody *b)
{
	printf("{\"notify\":{\"time\":%.3f,\"subscription\":%u,\"state\":", secs(r), n);
	sip_print_json_str(stdout, st->value);
	if (st->expires >= 0)
		printf(",\"expires\":%ld", st->expires);
	if (st->reason.len) {
		printf(",\"reason\":");
		sip_print_json_str(stdout, st->reason);
	}
	if (st->retry_after >= 0)
		printf(",\"retry_after\":%ld", st->retry_after);
	if (ct.len) {
		printf(",\"content_type\":");
		sip_print_json_str(stdout, ct);
	}
	if (b && !err) {
		printf(",\"event\":");
		sip_evbody_print(stdout, b, SIP_PRINT_JSON, NULL);
	} else {
		if (b) {
			printf(",\"error\":");
			sip_print_json_str(stdout, sip_str_from(sip_strerror(err)));
		}
		if (m->body.len) {
			printf(",\"body\":");
			sip_print_json_str(stdout, m->body);
		}
	}
	printf("}}\n");
}

static void notify_text(const struct sub_run *r, unsigned n, const struct sip_msg *m,
                        const struct sip_substate_hdr *st, struct sip_str ct, int err,
                        const struct sip_evbody *b)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_SUBSCRIPTION_STATE);
	printf("%-12s%.3f s  ", "NOTIFY:", secs(r));
	if (sip_sub_count(r->s) > 1)
		printf("#%u  ", n);
	cmd_put_safe(stdout, h ? h->value : st->value);
	printf("  ");
	if (b && !err) {
		sip_evbody_print(stdout, b, SIP_PRINT_PRETTY, NULL);
		return;
	}
	if (b)
		printf("%s does not decode: %s\n", sip_evbody_name(b->type), sip_strerror(err));
	else if (!m->body.len)
		printf("(no body)\n");
	else {
		cmd_put_safe(stdout, ct.len ? ct : SIP_STR("(no Content-Type)"));
		printf(", %zu bytes:\n", m->body.len);
	}
	if (m->body.len)
		print_raw_body(m);
}

static void on_notify(struct sip_sub *s, unsigned n, const struct sip_msg *m,
                      const struct sip_substate_hdr *st, void *arg)
{
	struct sub_run *r = arg;
	(void)s;
	const struct sip_hdr *cth = sip_msg_hdr(m, SIP_HDR_CONTENT_TYPE);
	struct sip_str ct = cth ? cth->value : (struct sip_str){"", 0};
	struct sip_evbody body;
	const struct sip_evbody *b = NULL;
	int err = 0;
	enum sip_evbody_type type = sip_evbody_type_of(ct);
	made(r);
	r->notifies++;
	if (n > r->nnotified) {
		bool *nb = realloc(r->notified, n * sizeof *nb);
		if (nb) {
			memset(nb + r->nnotified, 0, (n - r->nnotified) * sizeof *nb);
			r->notified = nb;
			r->nnotified = n;
		}
	}
	if (n <= r->nnotified)
		r->notified[n - 1] = true;
	if (m->body.len && type != SIP_EVBODY_NONE) {
		err = sip_evbody_parse(&body, ct, m->body);
		body.type = type; /* named in the line even when it did not decode */
		b = &body;
	}
	if (b && err) {
		r->bad_body = true;
		cmd_warn(r->cmd, "a NOTIFY's %s body does not decode: %s", sip_evbody_name(b->type),
		         sip_strerror(err));
	}
	if (json_out(r))
		notify_json(r, n, m, st, ct, err, b);
	else if (text_out(r))
		notify_text(r, n, m, st, ct, err, b);
	cmd_flush();
	if (r->count && r->notifies >= r->count)
		reach(r, GOAL_COUNT);
	else if (!r->expires)
		reach(r, GOAL_FETCH);
}

/* ---- the subscription's events ---- */

/* Subscription n ended: a line (or an object) with who ended it and why. */
static void say_ended(struct sub_run *r, unsigned n, int err, const struct sip_msg *msg)
{
	const char *why = sip_sub_reason(r->s, n);
	const char *by = err == SIP_ETIMEDOUT     ? "timeout"
	                 : err                    ? "error"
	                 : msg && msg->is_request ? "notifier"
	                 : msg                    ? "response"
	                                          : "error";
	char text[200], phrase[128];
	double wait_s = (double)(64 * (r->cc.t1_us ? r->cc.t1_us : SIP_T1_DEFAULT)) / 1e6;
	if (err == SIP_ETIMEDOUT && r->goal)
		snprintf(text, sizeof text, "no final NOTIFY %.1f s after the unsubscribe", wait_s);
	else if (err == SIP_ETIMEDOUT && !r->status)
		snprintf(text, sizeof text, "timeout: no final response to the SUBSCRIBE");
	else if (err == SIP_ETIMEDOUT && (n > r->nnotified || !r->notified[n - 1]))
		snprintf(text, sizeof text, "timeout: no %sNOTIFY %.1f s after the 2xx",
		         r->malformed ? "valid " : "", wait_s);
	else if (err == SIP_ETIMEDOUT)
		snprintf(text, sizeof text, "timeout: no answer to a refresh");
	else if (msg && !err && msg->is_request)
		snprintf(text, sizeof text, "terminated by the notifier%s%s", *why ? ": " : "",
		         *why ? why : " (no reason given)");
	else if (msg && !err)
		snprintf(text, sizeof text, "%u %s", msg->status,
		         cmd_safe(phrase, sizeof phrase, msg->reason));
	else
		snprintf(text, sizeof text, "%s", why);
	if (json_out(r)) {
		printf("{\"ended\":{\"time\":%.3f,\"subscription\":%u,\"by\":\"%s\"", secs(r), n,
		       by);
		/* A response's reason phrase as it came: JSON escapes it. */
		char raw[200];
		if (msg && !msg->is_request) {
			printf(",\"status\":%u", msg->status);
			snprintf(raw, sizeof raw, "%u %.*s", msg->status, SIP_STR_FMT(msg->reason));
		}
		printf(",\"reason\":");
		sip_print_json_str(stdout, sip_str_from(msg && !msg->is_request ? raw : why));
		printf("}}\n");
	} else if (text_out(r)) {
		printf("%-12s%.3f s  #%u %s\n", "Ended:", secs(r), n, text);
	}
	/* The first one to end before what was asked gives the verdict. */
	if (!r->goal && !r->end_rc) {
		r->end_n = n;
		r->end_rc = err ? probe_exit_code(err) : EXIT_RESPONSE;
		if (!text_out(r))
			cmd_warn(r->cmd, "subscription %u ended: %s", n, text);
	} else if (r->goal && !(msg && msg->is_request)) {
		/* Not the notifier's final NOTIFY: the unsubscribe failed, and
		 * the subscription may live on until it lapses. */
		cmd_warn(r->cmd, "subscription %u: %s", n, text);
	}
}

/* A NOTIFY the library answered status (a refusal) for why: said, since
 * nothing else shows it. */
static void rejected(struct sub_run *r, unsigned n, int status, const char *why)
{
	char of[32] = "";
	if (n)
		snprintf(of, sizeof of, " of subscription %u", n);
	cmd_warn(r->cmd, "NOTIFY%s answered %d: %s", of, status, why);
	if (status == 400 || status == 489) {
		r->malformed++;
		snprintf(r->malformed_why, sizeof r->malformed_why, "%d %s", status, why);
	}
}

static void on_event(struct sip_sub *s, enum sip_sub_event ev, unsigned n, int err,
                     const struct sip_msg *msg, void *arg)
{
	struct sub_run *r = arg;
	char phrase[128];
	switch (ev) {
	case SIP_SUB_ACCEPTED:
		r->status = msg->status;
		snprintf(r->reason, sizeof r->reason, "%.*s", SIP_STR_FMT(msg->reason));
		probe_tls_peer(&r->pc, sip_sub_request(s));
		made(r);
		if (json_out(r)) {
			printf("{\"accepted\":{\"time\":%.3f,\"subscription\":%u,\"status\":%u,"
			       "\"reason\":",
			       secs(r), n, msg->status);
			sip_print_json_str(stdout, msg->reason);
			printf(",\"expires\":%lu}}\n", sip_sub_expires(s, n));
		} else if (text_out(r)) {
			printf("%-12s%.3f s  %u %s, expires in %lu s\n", "Accepted:", secs(r),
			       msg->status, cmd_safe(phrase, sizeof phrase, msg->reason),
			       sip_sub_expires(s, n));
		}
		break;
	case SIP_SUB_TOO_BRIEF: {
		const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_MIN_EXPIRES);
		char min[32];
		cmd_warn(r->cmd, "423 %s: asking %sfor Min-Expires %s s",
		         cmd_safe(phrase, sizeof phrase, msg->reason),
		         n ? "in the refresh " : "again ",
		         h ? cmd_safe(min, sizeof min, h->value) : "?");
		break;
	}
	case SIP_SUB_REFRESHED:
		if (!r->cc.quiet)
			fprintf(stderr, "sip: subscribe: subscription %u refreshed for %lu s\n", n,
			        sip_sub_expires(s, n));
		break;
	case SIP_SUB_ENDED: say_ended(r, n, err, msg); break;
	case SIP_SUB_NOTIFY_REJECTED: rejected(r, n, err, sip_sub_notify_why(s)); break;
	}
	cmd_flush();
}

static void on_done(struct sip_sub *s, int err, const struct sip_msg *resp, void *arg)
{
	struct sub_run *r = arg;
	if (resp && err) {
		/* Accepted, by an answer that makes no subscription. */
		char phrase[128];
		r->status = resp->status;
		snprintf(r->reason, sizeof r->reason, "%.*s", SIP_STR_FMT(resp->reason));
		if (err == SIP_ESYNTAX)
			cmd_error(r->cmd, "'%s': %u %s without a To tag: no subscription",
			          r->dest.ruri_text, resp->status,
			          cmd_safe(phrase, sizeof phrase, resp->reason));
		else
			cmd_error(r->cmd, "'%s': %u %s makes no subscription: %s",
			          r->dest.ruri_text, resp->status,
			          cmd_safe(phrase, sizeof phrase, resp->reason), sip_strerror(err));
		finish(r, probe_exit_code(err));
		return;
	}
	if (resp) {
		/* Refused. */
		bool auth = probe_auth_failed(&r->pc, sip_sub_request(s), resp);
		r->status = resp->status;
		snprintf(r->reason, sizeof r->reason, "%.*s", SIP_STR_FMT(resp->reason));
		char phrase[128];
		if (!auth)
			cmd_error(r->cmd, "'%s': %u %s", r->dest.ruri_text, resp->status,
			          cmd_safe(phrase, sizeof phrase, resp->reason));
		finish(r, auth ? EXIT_AUTH : EXIT_RESPONSE);
		return;
	}
	if (!r->made) {
		/* No answer at all, or stopped before one. */
		bool intr = r->goal == GOAL_SIGNAL;
		char why[300];
		snprintf(r->reason, sizeof r->reason, "%s",
		         intr ? CMD_INTERRUPTED
		         : err == SIP_ESYNTAX
		                 ? "only answers that do not parse"
		                 : probe_err_text(sip_sub_request(s), err, why, sizeof why));
		cmd_error(r->cmd, "'%s': %s", r->dest.ruri_text, r->reason);
		finish(r, intr ? EXIT_TIMEOUT : probe_exit_code(err ? err : SIP_ETIMEDOUT));
		return;
	}
	int rc = r->end_rc ? r->end_rc : r->goal ? EXIT_OK : EXIT_RESPONSE;
	/* Accepted, but the state never came (a --duration or a Ctrl-C
	 * shorter than the 64*T1 that would have given it up): no watch. */
	if (rc == EXIT_OK && !r->notifies) {
		if (!r->malformed)
			cmd_error(r->cmd, "'%s': no NOTIFY came", r->dest.ruri_text);
		rc = EXIT_TIMEOUT;
	}
	/* NOTIFYs came, none of them valid: the notifier's fault, not time's. */
	if (rc == EXIT_TIMEOUT && !r->notifies && r->malformed) {
		cmd_error(r->cmd, "'%s': no valid NOTIFY: %lu refused as malformed, the last: %s",
		          r->dest.ruri_text, r->malformed, r->malformed_why);
		rc = EXIT_PROTOCOL;
	}
	if (rc == EXIT_OK && r->bad_body)
		rc = EXIT_PROTOCOL;
	finish(r, rc);
}

static void on_failover(struct sip_req *req, int err, const struct sip_target *from,
                        const struct sip_target *next, void *arg)
{
	struct sub_run *r = arg;
	probe_failover(&r->pc, req, err, from, next);
}

static void start(struct sub_run *r)
{
	const struct cmd_common *cc = &r->cc;
	struct sip_build_hdr hdrs[CMD_MAX_HEADERS];
	for (size_t i = 0; i < cc->nheaders; i++)
		hdrs[i].line = cc->headers[i];
	struct sip_sub_spec s;
	probe_sub_spec(&r->pc, &r->dest, &s);
	s.event = r->event;
	s.accept = r->accept;
	s.expires = r->expires;
	s.headers = hdrs;
	s.nheaders = cc->nheaders;
	s.failover = on_failover;
	s.event_h = on_event;
	s.notify = on_notify;
	s.done = on_done;
	s.arg = r;
	int err = sip_sub_start(&r->s, r->pc.ua, &s);
	if (err) {
		cmd_error(r->cmd, "cannot send SUBSCRIBE: %s", sip_strerror(err));
		snprintf(r->reason, sizeof r->reason, "%s", sip_strerror(err));
		finish(r, err == SIP_ETOOBIG || err == SIP_ENOSPC ? EXIT_USAGE : EXIT_INTERNAL);
	}
}

static void on_dest(struct probe_dest *d, int err, void *arg)
{
	struct sub_run *r = arg;
	(void)d;
	if (err) {
		if (err != SIP_EINVAL) /* else no address of -l's family, said */
			cmd_error(r->cmd, "cannot resolve '%s': %s", r->dest.ruri_text,
			          sip_strerror(err));
		snprintf(r->reason, sizeof r->reason, "%s", sip_strerror(err));
		finish(r, probe_dest_exit(err));
		return;
	}
	start(r);
}

/* Ctrl-C or SIGTERM: unsubscribe what was made, then exit. */
static void on_signal(void *arg)
{
	struct sub_run *r = arg;
	probe_prompt_cancel(&r->pc);
	if (!r->s) { /* still resolving */
		snprintf(r->reason, sizeof r->reason, "%s", CMD_INTERRUPTED);
		cmd_error(r->cmd, "'%s': %s", r->target, CMD_INTERRUPTED);
		r->goal = GOAL_SIGNAL;
		finish(r, EXIT_TIMEOUT);
		return;
	}
	if (r->goal && !r->cc.quiet)
		fprintf(stderr,
		        "sip: subscribe: still unsubscribing (Ctrl-C again to quit at once)\n");
	/* The shell's `unsubscribe N` is an end as asked, not an interruption. */
	if (r->run.ending && !r->run.signo) {
		if (!r->cc.quiet && !r->goal)
			fprintf(stderr, "sip: subscribe: unsubscribing sub %u\n", r->job);
		reach(r, GOAL_ENDED);
		return;
	}
	reach(r, GOAL_SIGNAL);
}

/* ---- options ---- */

static bool token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("-.!%*_+`'~", c);
}

/* A token of at least one character, at *s, up to one of the stops. */
static const char *token_end(const char *s)
{
	const char *p = s;
	while (*p && token_char(*p))
		p++;
	return p > s ? p : NULL;
}

/* An Event value: a package token, then ;name or ;name=value tokens
 * (RFC 6665 §8.4), as "dialog;sla" or "presence;id=7". */
static bool event_ok(const char *s)
{
	if (!(s = token_end(s)))
		return false;
	while (*s == ';') {
		if (!(s = token_end(s + 1)))
			return false;
		if (*s == '=' && !(s = token_end(s + 1)))
			return false;
	}
	return !*s;
}

/* The -H line of header id (a compact form too), or NULL. */
static const char *user_header(const struct cmd_common *cc, enum sip_hdr_id id)
{
	for (size_t i = 0; i < cc->nheaders; i++) {
		const char *h = cc->headers[i];
		size_t n = strcspn(h, ":");
		while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
			n--;
		if (sip_hdr_id_from_name((struct sip_str){h, n}) == id)
			return h;
	}
	return NULL;
}

static int usage(const struct cmd *c, const char *what)
{
	cmd_error(c, "%s", what);
	fprintf(stderr, "See 'sip subscribe --help'.\n");
	return EXIT_USAGE;
}

static int parse_args(struct sub_run *r, int argc, char **argv)
{
	const struct cmd *self = r->cmd;
	const char *arg, *accept = NULL;
	bool count = false, duration = false;
	int key;
	snprintf(r->event, sizeof r->event, "presence");
	r->expires = 3600;
	while ((key = cmd_getopt(self, &r->cc, argc, argv, &arg)) >= 0) {
		switch (key) {
		case OPT_EVENT:
			if (!event_ok(arg)) {
				cmd_error(
					self,
					"bad value '%s' for --event: expected a package name such as "
					"presence, dialog, message-summary or reg",
					arg);
				return EXIT_USAGE;
			}
			if (strcspn(arg, ";") > EVENT_PACKAGE_MAX || strlen(arg) > EVENT_MAX) {
				cmd_error(
					self,
					"bad value '%s' for --event: too long (a package of at most %d "
					"characters, %d in all)",
					arg, EVENT_PACKAGE_MAX, EVENT_MAX);
				return EXIT_USAGE;
			}
			snprintf(r->event, sizeof r->event, "%s", arg);
			break;
		case OPT_EXPIRES:
			if (cmd_parse_uint(self, "expires", arg, 0, UINT32_MAX, &r->expires))
				return EXIT_USAGE;
			break;
		case OPT_ACCEPT:
			if (!*arg || strpbrk(arg, "\r\n")) {
				cmd_error(self, "bad value '%s' for --accept", arg);
				return EXIT_USAGE;
			}
			accept = arg;
			break;
		case OPT_COUNT:
			if (cmd_parse_uint(self, "count", arg, 1, 1000000000, &r->count))
				return EXIT_USAGE;
			count = true;
			break;
		case OPT_DURATION:
			if (cmd_parse_seconds(self, "duration", arg, false, 86400 * 7,
			                      &r->duration_us))
				return EXIT_USAGE;
			duration = true;
			break;
		case OPT_LADDER: r->ladder = true; break;
		}
	}
	if (key == -3)
		return -1;
	if (key == -2)
		return EXIT_USAGE;
	/* A fetch (RFC 6665 §4.4.3) is one NOTIFY: nothing to count or wait out. */
	if (r->expires == 0 && (count || duration))
		return usage(self, "-e 0 fetches the state once: --count and --duration do not "
		                   "apply");
	if (argc - optind != 1)
		return usage(self,
		             argc == optind ? "no target given" : "too many operands: one target");
	r->target = argv[optind];
	if (cmd_parse_target(self, &r->cc, r->target, r->uri_buf, sizeof r->uri_buf, &r->uri) != 0)
		return EXIT_USAGE;
	if (r->uri.scheme != SIP_URI_SIP && r->uri.scheme != SIP_URI_SIPS) {
		cmd_error(self, "bad target '%s': expected a sip: or sips: URI", r->target);
		return EXIT_USAGE;
	}
	size_t plen = strcspn(r->event, ";");
	r->accept = accept;
	for (size_t i = 0; !accept && i < sizeof packages / sizeof packages[0]; i++)
		if (strlen(packages[i].package) == plen &&
		    strncasecmp(r->event, packages[i].package, plen) == 0)
			r->accept = packages[i].accept;
	/* sip_sub writes them into each refresh and unsubscribe too: a line of
	 * -H would go beside them, a second Event or Expires. */
	const char *h;
	if ((h = user_header(&r->cc, SIP_HDR_EVENT)) != NULL) {
		cmd_error(self, "-H '%s': give the package with --event", h);
		return EXIT_USAGE;
	}
	if ((h = user_header(&r->cc, SIP_HDR_EXPIRES)) != NULL) {
		cmd_error(self, "-H '%s': give the duration with -e/--expires", h);
		return EXIT_USAGE;
	}
	/* -H gave an Accept of its own: it replaces the package's. */
	if (user_header(&r->cc, SIP_HDR_ACCEPT)) {
		if (accept)
			return usage(self,
			             "--accept and -H 'Accept: ...' both give the Accept: one "
			             "of them");
		r->accept = NULL;
	}
	return 0;
}

static int job_finish(void *arg)
{
	struct sub_run *r = arg;
	if (!r->over) { /* a second signal stopped it at once */
		if (!r->made)
			snprintf(r->reason, sizeof r->reason, "%s", CMD_INTERRUPTED);
		r->goal = GOAL_SIGNAL;
		finish(r, EXIT_TIMEOUT);
	}
	int rc = r->rc;
	if (r->ran) {
		if (r->pc.ladder)
			probe_print_ladder(&r->pc, json_out(r) ? stderr : stdout);
		print_summary(r);
	}
	sip_sub_free(r->s);
	sip_timer_cancel(r->pc.loop, &r->duration_timer);
	probe_ctx_reset(&r->pc);
	cmd_signals_done();
	free(r->notified);
	free(r);
	return rc;
}

static void describe(void *arg, char *buf, size_t cap)
{
	struct sub_run *r = arg;
	snprintf(buf, cap, "%s %s, %lu NOTIFY%s%s", r->dest.ruri_text, r->event, r->notifies,
	         r->notifies == 1 ? "" : "s", r->goal ? ", ending" : "");
}

static const struct cmd_job_ops sub_job = {"sub", describe, job_finish, NULL};

int cmd_subscribe(const struct cmd *self, int argc, char **argv)
{
	struct sub_run *r = calloc(1, sizeof *r);
	if (!r) {
		cmd_error(self, "out of memory");
		return EXIT_INTERNAL;
	}
	r->cmd = self;
	sip_timer_init(&r->duration_timer);
	int rc = parse_args(r, argc, argv);
	if (rc) {
		free(r);
		return rc < 0 ? EXIT_OK : rc;
	}
	struct probe_setup setup = {.show_messages = !r->cc.quiet, .ladder = r->ladder};
	if ((rc = probe_ctx_init(&r->pc, self, &r->cc, &setup)) != 0) {
		free(r);
		return rc;
	}
	rc = probe_dest_resolve(&r->pc, &r->dest, &r->uri, on_dest, r);
	if (rc == 0) {
		r->ran = true;
		cmd_run(&r->run, r->pc.loop, on_signal, r);
		if (cmd_run_detached(&r->run))
			return EXIT_OK;
		return job_finish(r);
	}
	r->rc = rc;
	r->over = true;
	return job_finish(r);
}
