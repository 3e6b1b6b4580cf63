/* transfer.c - a transfer's progress from a REFER's NOTIFYs; see transfer.h. */
#include <stdio.h>
#include <string.h>

#include "transfer.h"

static int bad_value(const struct cmd *cmd, const char *name, const char *arg, const char *why)
{
	return cmd_usage_error(cmd, "bad value '%s' for %s: %s", arg, name, why);
}

/* The URI headers ("a=1&b=2") name one called name. */
static bool has_uri_header(struct sip_str headers, const char *name)
{
	const char *p = headers.p, *end = headers.p + headers.len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		struct sip_str hname = {p, (size_t)((eq ? eq : stop) - p)};
		if (sip_str_ieq_cstr(hname, name))
			return true;
		p = stop + 1;
	}
	return false;
}

int transfer_refer_to(const struct cmd *cmd, const char *name, const char *arg,
                      const char *uri_header, char *out, size_t cap)
{
	char buf[600];
	const char *v = buf;
	bool bare = !strchr(arg, '<');
	struct sip_addr a;
	struct sip_uri u;
	int err = 0;
	if (!bare) {
		if (cmd_parse_addr(cmd, name, arg, buf, sizeof buf, &v) != 0)
			return EXIT_USAGE;
	} else {
		int n = snprintf(buf, sizeof buf, "%s%s", cmd_has_scheme(arg) ? "" : "sip:", arg);
		err = n < 0 || (size_t)n >= sizeof buf ? SIP_ETOOBIG : 0;
	}
	struct sip_str uri = sip_str_from(v);
	if (!err && !bare && (err = sip_addr_parse(&a, uri)) == 0)
		uri = a.uri;
	if (!err)
		err = sip_uri_parse(&u, uri);
	if (err)
		return bad_value(cmd, name, arg, sip_strerror(err));
	if (uri_header && u.scheme != SIP_URI_SIP && u.scheme != SIP_URI_SIPS)
		return bad_value(cmd, name, arg, "--replaces needs a sip: or sips: URI");
	if (uri_header && has_uri_header(u.headers, "Replaces"))
		return bad_value(cmd, name, arg,
		                 "it has a Replaces header, and so does --replaces");
	size_t upto = (size_t)(uri.p + uri.len - v);
	const char *sep = !uri_header ? "" : u.headers.len ? "&" : "?";
	int n = snprintf(out, cap, "%s%.*s%s%s%s%s", bare ? "<" : "", (int)upto, v, sep,
	                 uri_header ? uri_header : "", v + upto, bare ? ">" : "");
	if (n < 0 || (size_t)n >= cap)
		return bad_value(cmd, name, arg, "too long");
	return 0;
}

void transfer_init(struct transfer *t, struct probe_ctx *pc, bool no_sub)
{
	memset(t, 0, sizeof *t);
	t->pc = pc;
	t->cc = pc->cc;
	t->t0 = sip_loop_now(pc->loop);
	t->no_sub = no_sub;
	sip_timer_init(&t->wait);
}

static void transfer_answered(struct transfer *t, const struct sip_msg *resp)
{
	t->refer_status = resp->status;
	cmd_safe(t->refer_reason, sizeof t->refer_reason, resp->reason);
}

bool transfer_decided(const struct transfer *t)
{
	return t->final || t->bad;
}

void transfer_fail(struct transfer *t, int rc, const char *why)
{
	if (t->rc || transfer_decided(t))
		return;
	t->rc = rc;
	cmd_safe(t->why, sizeof t->why, sip_str_from(why)); /* it may quote the peer */
}

static double secs(const struct transfer *t, uint64_t at)
{
	return at > t->t0 ? (double)(at - t->t0) / 1e6 : 0.0;
}

/* What is wrong with the NOTIFY as a transfer's progress, into why; false
 * when nothing is, with its status line in *f. */
static bool not_sipfrag(const struct sip_msg *notify, struct sip_sipfrag *f, char *why, size_t cap)
{
	const struct sip_hdr *ct = sip_msg_hdr(notify, SIP_HDR_CONTENT_TYPE);
	if (!ct) {
		snprintf(why, cap, "no Content-Type: a REFER's NOTIFY carries message/sipfrag");
		return true;
	}
	if (sip_evbody_type_of(ct->value) != SIP_EVBODY_SIPFRAG) {
		char type[64];
		cmd_safe(type, sizeof type, ct->value);
		snprintf(why, cap, "Content-Type %s, not message/sipfrag", type);
		return true;
	}
	if (sip_sipfrag_parse(f, notify->body) != 0) {
		snprintf(why, cap, "a message/sipfrag body that does not parse");
		return true;
	}
	if (f->is_request) {
		snprintf(why, cap, "a sipfrag with a request line, not the status of the INVITE");
		return true;
	}
	return false;
}

static void json_state(const struct sip_substate_hdr *st)
{
	printf(",\"state\":");
	sip_print_json_str(stdout, st->value);
	if (st->reason.len) {
		printf(",\"state_reason\":");
		sip_print_json_str(stdout, st->reason);
	}
	if (st->expires >= 0)
		printf(",\"expires\":%ld", st->expires);
}

/* NOTIFY number t->notifies + 1 of subscription n (several: more than one
 * subscription, so the line names n), with its Subscription-State: printed.
 * True once the outcome is known (a final status, or a body that is no
 * sipfrag); later NOTIFYs are shown but change nothing. */
static bool transfer_notify(struct transfer *t, unsigned n, bool several,
                            const struct sip_msg *notify, const struct sip_substate_hdr *st,
                            uint64_t now)
{
	struct sip_sipfrag f;
	char why[128], reason[sizeof t->reason] = "";
	bool was = transfer_decided(t);
	unsigned k = ++t->notifies;
	bool bad = not_sipfrag(notify, &f, why, sizeof why);
	if (!bad)
		cmd_safe(reason, sizeof reason, f.reason);
	bool terminated = st->state == SIP_SUBSTATE_TERMINATED;
	if (t->cc->format == SIP_PRINT_JSON) {
		printf("{\"notify\":{\"n\":%u,\"subscription\":%u", k, n);
		json_state(st);
		if (bad) {
			printf(",\"error\":");
			sip_print_json_str(stdout, sip_str_from(why));
		} else {
			printf(",\"status\":%u,\"reason\":", f.status);
			sip_print_json_str(stdout, f.reason);
			printf(",\"final\":%s", f.status >= 200 ? "true" : "false");
		}
		printf(",\"ms\":%.3f}}\n", secs(t, now) * 1e3);
	} else if (cmd_summary_text(t->cc)) {
		char sub[16] = "", end[96] = "", why_ended[64];
		if (several)
			snprintf(sub, sizeof sub, "[%u] ", n);
		cmd_safe(why_ended, sizeof why_ended, st->reason);
		if (terminated)
			snprintf(end, sizeof end, " (subscription terminated%s%s)",
			         why_ended[0] ? ": " : "", why_ended);
		if (bad)
			printf("%-12s%snot a transfer's progress: %s%s\n", "Progress:", sub, why,
			       end);
		else
			printf("%-12s%s%u%s%s%s\n", "Progress:", sub, f.status,
			       reason[0] ? " " : "", reason, end);
	}
	cmd_flush(); /* shown as it comes, on a pipe or in a file too */
	if (was)
		return true;
	if (bad) {
		t->bad = true;
		snprintf(t->why, sizeof t->why, "NOTIFY %u: %s", k, why);
		return true;
	}
	t->status = f.status;
	memcpy(t->reason, reason, sizeof reason);
	if (f.status >= 200) {
		t->final = true;
		t->final_at = now;
	}
	return t->final;
}

/* ---- the run ---- */

static void tell_over(struct transfer *t)
{
	sip_timer_cancel(t->pc->loop, &t->wait);
	if (t->over)
		return;
	t->over = true;
	t->over_h(t, t->arg);
}

/* A subscription is there: the 2xx made it, or a NOTIFY before it. */
static bool subscribed(const struct transfer *t)
{
	return t->sub && (t->accepted || sip_sub_count(t->sub) > 0);
}

/* No use waiting on: a subscription is ended (unsubscribe, then its final
 * NOTIFY, bounded by 64*T1), or with none yet it is over now. One that a
 * NOTIFY made before the 2xx (RFC 6665 section 4.1.2.4) is ended too: its
 * peer answers, and the 2xx is on its way. */
static void give_up(struct transfer *t)
{
	sip_timer_cancel(t->pc->loop, &t->wait);
	if (!subscribed(t) || sip_sub_stop(t->sub) != 0)
		tell_over(t);
}

void transfer_stop(struct transfer *t, int rc, const char *why)
{
	transfer_fail(t, rc, why);
	give_up(t);
}

void transfer_interrupt(struct transfer *t)
{
	transfer_stop(t, EXIT_TIMEOUT, CMD_INTERRUPTED);
	/* The unsubscribe's NOTIFY may take 64*T1: what it waits for is said. */
	if (!t->over && !t->cc->quiet)
		fprintf(stderr, "sip: %s: unsubscribing (Ctrl-C again to quit at once)\n",
		        t->pc->cmd->name);
}

/* No NOTIFY was taken, and some were refused as malformed: the
 * notifier's fault, not time's; why says so. */
static bool only_malformed(const struct transfer *t, char *why, size_t cap)
{
	if (t->notifies || !t->malformed)
		return false;
	snprintf(why, cap, "no valid NOTIFY: %u refused as malformed, the last: %s", t->malformed,
	         t->malformed_why);
	return true;
}

static void on_wait_over(void *arg)
{
	struct transfer *t = arg;
	char why[sizeof t->why];
	if (only_malformed(t, why, sizeof why)) {
		transfer_stop(t, EXIT_PROTOCOL, why);
		return;
	}
	snprintf(why, sizeof why, "no %s within %g s",
	         subscribed(t) ? "final NOTIFY" : "answer to the REFER", (double)t->wait_us / 1e6);
	transfer_stop(t, EXIT_TIMEOUT, why);
}

/* Subscription n ended before the transfer's outcome was known. */
static void ended(struct transfer *t, unsigned n, int err)
{
	char why[sizeof t->why];
	const char *reason = sip_sub_reason(t->sub, n);
	if (err == SIP_ETIMEDOUT && only_malformed(t, why, sizeof why)) {
		transfer_fail(t, EXIT_PROTOCOL, why);
	} else if (err == SIP_ETIMEDOUT) {
		snprintf(why, sizeof why, "the subscription ended: no NOTIFY in time");
		transfer_fail(t, EXIT_TIMEOUT, why);
	} else if (err) {
		snprintf(why, sizeof why, "the subscription ended: %s", sip_strerror(err));
		transfer_fail(t, probe_exit_code(err), why);
	} else {
		snprintf(why, sizeof why, "the subscription ended (%s) before a final status",
		         reason[0] ? reason : "terminated");
		transfer_fail(t, EXIT_TIMEOUT, why);
	}
}

static void on_event(struct sip_sub *s, enum sip_sub_event ev, unsigned n, int err,
                     const struct sip_msg *msg, void *arg)
{
	struct transfer *t = arg;
	switch (ev) {
	case SIP_SUB_ACCEPTED:
		if (!t->accepted) {
			t->accepted = true;
			transfer_answered(t, msg);
			probe_tls_peer(t->pc, sip_sub_request(s));
		}
		break;
	case SIP_SUB_ENDED:
		if (!transfer_decided(t))
			ended(t, n, err);
		break;
	case SIP_SUB_NOTIFY_REJECTED:
		/* Said, since nothing else shows it. */
		cmd_warn(t->pc->cmd, "NOTIFY answered %d: %s", err, sip_sub_notify_why(s));
		if (err == 400 || err == 489) {
			t->malformed++;
			snprintf(t->malformed_why, sizeof t->malformed_why, "%d %s", err,
			         sip_sub_notify_why(s));
		}
		break;
	case SIP_SUB_TOO_BRIEF:
	case SIP_SUB_REFRESHED: break;
	}
}

static void on_notify(struct sip_sub *s, unsigned n, const struct sip_msg *notify,
                      const struct sip_substate_hdr *state, void *arg)
{
	struct transfer *t = arg;
	bool was = transfer_decided(t);
	if (transfer_notify(t, n, sip_sub_count(s) > 1, notify, state, sip_loop_now(t->pc->loop)) &&
	    !was)
		give_up(t);
}

/* The 2xx to a REFER with Refer-Sub: false agrees to it (RFC 4488 section 4). */
static bool refer_sub_false(const struct sip_msg *resp)
{
	const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_REFER_SUB);
	struct sip_token_params tp;
	return h && sip_token_params_parse(&tp, h->value) == 0 &&
	       sip_str_ieq_cstr(tp.token, "false");
}

static void on_done(struct sip_sub *s, int err, const struct sip_msg *resp, void *arg)
{
	struct transfer *t = arg;
	if (resp) {
		transfer_answered(t, resp);
		/* Without its agreement the subscription is made: NOTIFYs follow,
		 * to a Contact no longer there. */
		if (t->no_sub && resp->status < 300 && !refer_sub_false(resp))
			cmd_warn(
				t->pc->cmd,
				"the %u has no 'Refer-Sub: false' (RFC 4488): the target keeps the "
				"subscription, and its NOTIFYs go unanswered",
				resp->status);
		probe_tls_peer(t->pc, sip_sub_request(s));
		if (err) {
			/* Accepted, by an answer that makes no subscription. */
			char why[96];
			if (err == SIP_ESYNTAX)
				snprintf(why, sizeof why, "the %u has no To tag: no subscription",
				         resp->status);
			else
				snprintf(why, sizeof why, "the %u makes no subscription: %s",
				         resp->status, sip_strerror(err));
			transfer_fail(t, probe_exit_code(err), why);
		} else if (resp->status >= 300 &&
		           probe_auth_failed(t->pc, sip_sub_request(s), resp)) {
			char why[160];
			snprintf(why, sizeof why, "REFER refused: %u %.*s: authentication failed",
			         resp->status, SIP_STR_FMT(resp->reason));
			transfer_fail(t, EXIT_AUTH, why);
			t->said = true;
		}
	} else if (err && !t->accepted) {
		char why[300];
		transfer_fail(t, probe_exit_code(err),
		              probe_err_text(sip_sub_request(s), err, why, sizeof why));
	}
	tell_over(t);
}

static void on_failover(struct sip_req *req, int err, const struct sip_target *from,
                        const struct sip_target *next, void *arg)
{
	struct transfer *t = arg;
	probe_failover(t->pc, req, err, from, next);
}

int transfer_start(struct transfer *t, struct sip_sub_spec *spec, uint64_t wait_us,
                   transfer_over_h *over, void *arg)
{
	spec->refer = true;
	spec->no_refer_sub = t->no_sub;
	spec->failover = on_failover;
	spec->event_h = on_event;
	spec->notify = on_notify;
	spec->done = on_done;
	spec->arg = t;
	t->over_h = over;
	t->arg = arg;
	t->wait_us = wait_us;
	t->t0 = sip_loop_now(t->pc->loop);
	int err = sip_sub_start(&t->sub, t->pc->ua, spec);
	if (err) {
		cmd_error(t->pc->cmd, "cannot send REFER: %s", sip_strerror(err));
		t->said = true;
		transfer_fail(t, err == SIP_ETOOBIG ? EXIT_USAGE : probe_exit_code(err),
		              sip_strerror(err));
		return transfer_exit(t);
	}
	if (!t->no_sub && wait_us)
		sip_timer_start(t->pc->loop, &t->wait, wait_us, on_wait_over, t);
	return 0;
}

void transfer_free(struct transfer *t)
{
	sip_sub_free(t->sub);
	t->sub = NULL;
	sip_timer_cancel(t->pc->loop, &t->wait);
}

int transfer_exit(const struct transfer *t)
{
	if (t->bad)
		return EXIT_PROTOCOL;
	if (t->final)
		return t->status < 300 ? EXIT_OK : EXIT_RESPONSE;
	if (t->rc)
		return t->rc;
	if (t->refer_status >= 300)
		return EXIT_RESPONSE;
	if (t->refer_status >= 200 && t->no_sub)
		return EXIT_OK;
	return EXIT_TIMEOUT;
}

void transfer_describe(const struct transfer *t, char *buf, size_t cap, uint64_t now)
{
	char last[96] = "";
	if (t->status && !transfer_decided(t))
		snprintf(last, sizeof last, " (last: %u%s%s)", t->status, t->reason[0] ? " " : "",
		         t->reason);
	if (t->bad)
		snprintf(buf, cap, "%s", t->why);
	else if (t->final)
		snprintf(buf, cap, "%u%s%s after %.3f s", t->status, t->reason[0] ? " " : "",
		         t->reason, secs(t, t->final_at));
	else if (t->rc)
		snprintf(buf, cap, "%s%s", t->why, last);
	else if (t->refer_status >= 300)
		snprintf(buf, cap, "REFER refused: %u %s", t->refer_status, t->refer_reason);
	else if (t->refer_status && t->no_sub)
		snprintf(buf, cap, "accepted (%u %s); no progress asked for (Refer-Sub: false)",
		         t->refer_status, t->refer_reason);
	else
		snprintf(buf, cap, "no final status after %.3f s%s", secs(t, now), last);
}

void transfer_print_json(const struct transfer *t, const char *refer_to, int rc, uint64_t now)
{
	char text[256];
	transfer_describe(t, text, sizeof text, now);
	printf("\"refer_to\":");
	sip_print_json_str(stdout, sip_str_from(refer_to));
	if (t->refer_status) {
		printf(",\"status\":%u,\"reason\":", t->refer_status);
		sip_print_json_str(stdout, sip_str_from(t->refer_reason));
	}
	printf(",\"notifies\":%u", t->notifies);
	if (t->status) {
		printf(",\"last_status\":%u,\"last_reason\":", t->status);
		sip_print_json_str(stdout, sip_str_from(t->reason));
		printf(",\"final\":%s", t->final ? "true" : "false");
	}
	if (t->final)
		printf(",\"final_ms\":%.3f", secs(t, t->final_at) * 1e3);
	if (rc != EXIT_OK) {
		/* What ended it, as every command says it ("interrupted"); the
		 * last status is a field of its own. */
		printf(",\"error\":");
		sip_print_json_str(stdout, sip_str_from(!t->final && t->why[0] ? t->why : text));
	}
	printf(",\"exit\":%d", rc);
}

void transfer_print_summary(const struct transfer *t, const char *target, const char *refer_to,
                            int rc, uint64_t now)
{
	if (t->cc->format != SIP_PRINT_JSON) {
		char text[256];
		transfer_describe(t, text, sizeof text, now);
		if (cmd_summary_text(t->cc))
			printf("%-12s%s\n", "Transfer:", text);
		return;
	}
	printf("{\"summary\":{\"target\":");
	sip_print_json_str(stdout, sip_str_from(target));
	printf(",");
	transfer_print_json(t, refer_to, rc, now);
	printf("}}\n");
}
