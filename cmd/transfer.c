/* transfer.c - a transfer's progress from a REFER's NOTIFYs; see transfer.h. */
#include <stdio.h>
#include <string.h>

#include "transfer.h"

void transfer_init(struct transfer *t, const struct cmd_common *cc, uint64_t now, bool no_sub)
{
	memset(t, 0, sizeof *t);
	t->cc = cc;
	t->t0 = now;
	t->no_sub = no_sub;
}

/* s into dst, what a terminal would act on (a hostile peer's escape
 * sequence in a reason phrase) as '?', as the message printer shows it. */
static void copy(char *dst, size_t cap, struct sip_str s)
{
	snprintf(dst, cap, "%.*s", SIP_STR_FMT(s));
	for (unsigned char *p = (unsigned char *)dst; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			*p = '?';
}

void transfer_answered(struct transfer *t, const struct sip_msg *resp)
{
	t->refer_status = resp->status;
	copy(t->refer_reason, sizeof t->refer_reason, resp->reason);
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
	copy(t->why, sizeof t->why, sip_str_from(why)); /* it may quote the peer */
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
		copy(type, sizeof type, ct->value);
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

bool transfer_notify(struct transfer *t, unsigned n, bool several, const struct sip_msg *notify,
                     const struct sip_substate_hdr *st, uint64_t now)
{
	struct sip_sipfrag f;
	char why[128], reason[sizeof t->reason] = "";
	bool was = transfer_decided(t);
	unsigned k = ++t->notifies;
	bool bad = not_sipfrag(notify, &f, why, sizeof why);
	if (!bad)
		copy(reason, sizeof reason, f.reason);
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
		copy(why_ended, sizeof why_ended, st->reason);
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

void transfer_print_summary(const struct transfer *t, const char *target, const char *refer_to,
                            int rc, uint64_t now)
{
	char text[256];
	transfer_describe(t, text, sizeof text, now);
	if (t->cc->format != SIP_PRINT_JSON) {
		if (cmd_summary_text(t->cc))
			printf("%-12s%s\n", "Transfer:", text);
		return;
	}
	printf("{\"summary\":{\"target\":");
	sip_print_json_str(stdout, sip_str_from(target));
	printf(",\"refer_to\":");
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
	printf(",\"exit\":%d}}\n", rc);
}
