/* invite.c - `sip invite`: one call from INVITE to BYE. It offers audio,
 * PRACKs reliable provisional responses, answers challenges, follows
 * redirects when asked, CANCELs when nobody answers, ACKs the 2xx through
 * the route set, holds the call, and hangs up (or is hung up on). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "probe.h"
#include "run.h"
#include "transfer.h"

enum {
	OPT_CODECS = 1,
	OPT_RTP_PORT,
	OPT_SDP,
	OPT_NO_SDP,
	OPT_DURATION,
	OPT_RING_TIMEOUT,
	OPT_FOLLOW,
	OPT_UPDATE,
	OPT_REINVITE,
	OPT_NO_100REL,
	OPT_LADDER,
	OPT_TRANSFER_TO,
	OPT_TRANSFER_TIMEOUT,
};

const struct cmd_opt invite_opts[] = {
	{OPT_CODECS, "codecs", 0, "LIST",
         "audio codecs to offer, in order (default PCMU,PCMA,telephone-event)",
         "PCMU PCMA G722 G729 GSM opus telephone-event"},
	{OPT_RTP_PORT, "rtp-port", 0, "PORT", "RTP port in the offer (default 4000)", NULL},
	{OPT_SDP, "sdp", 0, "FILE", "offer the SDP body in FILE as it is", NULL},
	{OPT_NO_SDP, "no-sdp", 0, NULL,
         "late offer: no body; the 2xx's offer is answered in the ACK", NULL},
	{OPT_DURATION, "duration", 'd', "SECONDS",
         "hold the answered call this long, then BYE (default: until Ctrl-C)", NULL},
	{OPT_RING_TIMEOUT, "ring-timeout", 'r', "SECONDS",
         "CANCEL when unanswered by then (default 60)", NULL},
	{OPT_FOLLOW, "follow", 0, NULL, "3xx: call the Contacts in q order", NULL},
	{OPT_UPDATE, "update", 0, NULL,
         "send an UPDATE with a new offer in the early or confirmed dialog", NULL},
	{OPT_REINVITE, "reinvite", 0, NULL, "put the call on hold with a re-INVITE (a=sendonly)",
         NULL},
	{OPT_NO_100REL, "no-100rel", 0, NULL,
         "do not offer reliable provisional responses (100rel)", NULL},
	{OPT_TRANSFER_TO, "transfer-to", 0, "URI",
         "once answered (and held -d SECONDS), transfer the call there: REFER, its progress, BYE",
         NULL},
	{OPT_TRANSFER_TIMEOUT, "transfer-timeout", 0, "SECONDS",
         "with --transfer-to: wait this long for the final NOTIFY (default 60)", NULL},
	{OPT_LADDER, "ladder", 0, NULL, "print the exchange as a sequence diagram at the end",
         NULL},
	{0},
};

#define MAX_REDIRECTS 8 /* Contacts of one 3xx */
#define MAX_ATTEMPTS 16 /* INVITEs to redirected targets, in all */
#define MAX_SDP_FILE 16384
#define MAX_PROBLEMS 4 /* of the answers to our offers, for the summary */

struct contact {
	char uri[512];
	unsigned q; /* thousandths */
};

struct call {
	const struct cmd *cmd;
	struct cmd_common cc;
	struct probe_ctx pc;
	struct probe_dest dest; /* the INVITE's: the target, or -p */
	char target_buf[512];
	struct sip_uri target;
	char to[520];
	/* options */
	const char *codecs;
	unsigned long rtp_port;
	const char *sdp_file;
	bool no_sdp, follow, update, reinvite, prack, ladder;
	bool hold_forever;
	unsigned long duration_s, ring_timeout_s;
	/* the session description */
	char sdp_user[MAX_SDP_FILE];
	size_t sdp_user_len;
	struct sip_buf offer;
	uint64_t sdp_session; /* o= keeps it, and bumps the version, for every re-offer */
	uint64_t sdp_version;
	char media_addr[64];
	/* the call on the user agent; a redirect starts another */
	struct sip_call *call;
	unsigned long seq;
	bool done;
	bool cancel_wanted;
	const char *modifying; /* "UPDATE" or "INVITE" under way */
	bool update_done, reinvite_done, bye_due;
	/* --transfer-to: a REFER in the dialog before the BYE */
	char refer_to[1400]; /* its Refer-To value; "" without */
	uint64_t transfer_wait_us;
	struct transfer tr;
	bool transfer_due; /* the hold is over: the transfer, once no UPDATE or re-INVITE is */
	bool transferring, transfer_done;
	/* 3xx --follow */
	struct contact contacts[MAX_REDIRECTS];
	size_t ncontacts, next_contact;
	unsigned redirects;
	char redirect_buf[512];
	struct sip_uri redirect;
	/* timers */
	struct sip_timer ring_timer, hold_timer, stop_timer;
	struct cmd_run run;
	uint64_t t_start, t_ring, t_answer, t_end;
	uint64_t t_hangup; /* our BYE went out: the call is held no longer */
	/* the outcome */
	unsigned status;
	char reason[300];
	char media[200];
	bool cancelled, ended_by_them, answered;
	bool sdp_warned; /* about an SDP body that does not parse: once is enough */
	char problems[MAX_PROBLEMS][sizeof((struct sip_diag *)0)->text];
	size_t nproblems;
	unsigned bye_status;
	int rc;
	/* In the shell's background: its number, and what the shell asks. */
	unsigned job;
	bool ran; /* its loop turned: there is an outcome to tell */
	bool held_by_us;
	char dtmf[64]; /* digits still to send, one INFO each */
	struct sip_req *info;
};

static void start_invite(struct call *c);

static double secs(const struct call *c, uint64_t t)
{
	return t > c->t_start ? (double)(t - c->t_start) / 1e6 : 0.0;
}

static uint64_t t1_us(const struct call *c)
{
	return c->cc.t1_us ? c->cc.t1_us : SIP_T1_DEFAULT;
}

static void stop_loop(void *arg)
{
	struct call *c = arg;
	cmd_run_stop(&c->run);
}

/* Ends the run on the loop's next turn, once what was just sent is out. */
static void end_call(struct call *c, int rc)
{
	if (c->done)
		return;
	c->done = true;
	c->rc = rc;
	c->t_end = sip_loop_now(c->pc.loop);
	sip_timer_cancel(c->pc.loop, &c->ring_timer);
	sip_timer_cancel(c->pc.loop, &c->hold_timer);
	/* A transfer under way is followed to its outcome: the transferee's
	 * NOTIFYs may come after its BYE (the subscription is a usage of the
	 * dialog of its own, RFC 6665 section 4.5.2). */
	if (!c->transferring)
		sip_timer_start(c->pc.loop, &c->stop_timer, 0, stop_loop, c);
}

/* A signal came before the INVITE's final response. */
static bool interrupted(const struct call *c)
{
	return cmd_run_interrupted(&c->run) && !c->answered;
}

/* Ends a call that never rang, saying why in the summary. */
static void not_placed(struct call *c, int rc, const char *why)
{
	snprintf(c->reason, sizeof c->reason, "%s", why);
	end_call(c, rc);
}

/* ---- session descriptions ---- */

/* Our offer, a new version of it each time, into out. */
static int make_offer(struct call *c, enum sip_sdp_dir dir, struct sip_buf *out)
{
	sip_buf_reset(out);
	if (c->sdp_file)
		return sip_buf_append(out, c->sdp_user, c->sdp_user_len);
	struct sip_sdp_spec s = {
		.addr = c->media_addr,
		.port = (uint16_t)c->rtp_port,
		.codecs = c->codecs,
		.dir = dir,
		.session_id = c->sdp_session,
		.version = ++c->sdp_version,
	};
	return sip_sdp_build_offer(out, &s);
}

/* An answer to the offer in m; SIP_ENOTFOUND without a codec in common. */
static int make_answer(struct call *c, const struct sip_msg *m, struct sip_buf *out)
{
	struct sip_sdp offer;
	int err = sip_sdp_parse(&offer, m->body);
	if (err)
		return err;
	struct sip_sdp_spec s = {
		.addr = c->media_addr,
		.port = (uint16_t)c->rtp_port,
		.codecs = c->codecs,
		.session_id = c->sdp_session,
		.version = ++c->sdp_version,
	};
	sip_buf_reset(out);
	return sip_sdp_build_answer(out, &offer, &s);
}

/* An answer to our offer that breaks RFC 3264: warned of once, and kept for the summary. */
static void check_answer(struct call *c, const struct sip_sdp *answer)
{
	struct sip_sdp offer;
	struct sip_diag d[MAX_PROBLEMS];
	if (sip_sdp_parse(&offer, (struct sip_str){c->offer.p, c->offer.len}) != 0)
		return;
	size_t n = sip_sdp_answer_check(&offer, answer, d, MAX_PROBLEMS);
	for (size_t i = 0; i < n && i < MAX_PROBLEMS; i++) {
		size_t j = 0;
		while (j < c->nproblems && strcmp(c->problems[j], d[i].text) != 0)
			j++;
		if (j < c->nproblems || c->nproblems == MAX_PROBLEMS)
			continue;
		memcpy(c->problems[c->nproblems++], d[i].text, sizeof d[i].text);
		cmd_warn(c->cmd, "%s", d[i].text);
	}
}

/* Where the far end wants the media, for the summary: "192.0.2.1:6000 PCMU/8000 sendrecv". */
static void note_media(struct call *c, const struct sip_msg *m)
{
	struct sip_sdp sdp;
	if (!sip_sdp_in(m))
		return;
	int err = sip_sdp_parse(&sdp, m->body);
	if (err || sdp.nmedia == 0) {
		const char *why = err ? "does not parse (RFC 4566)" : "has no m= line";
		if (c->sdp_warned)
			return;
		c->sdp_warned = true;
		if (m->is_request)
			cmd_warn(c->cmd, "the SDP of the %.*s %s", SIP_STR_FMT(m->method_name),
			         why);
		else
			cmd_warn(c->cmd, "the SDP of the %u %.*s %s", m->status,
			         SIP_STR_FMT(m->reason), why);
		return;
	}
	/* A response's SDP answers the offer we made (none: it is theirs). */
	if (!m->is_request && c->offer.len)
		check_answer(c, &sdp);
	const struct sip_sdp_media *md = &sdp.media[0];
	struct sip_str conn = md->conn;
	const char *sp = conn.len ? memchr(conn.p, ' ', conn.len) : NULL;
	/* "IN IP4 192.0.2.1": the address is the last word. */
	while (sp) {
		conn = (struct sip_str){sp + 1, conn.len - (size_t)(sp + 1 - conn.p)};
		sp = conn.len ? memchr(conn.p, ' ', conn.len) : NULL;
	}
	size_t cap = sizeof c->media, n = 0;
	n += (size_t)snprintf(c->media, cap, "%.*s:%u", SIP_STR_FMT(conn), md->port);
	for (unsigned i = 0; i < md->ncodecs && n < cap; i++)
		n += (size_t)snprintf(c->media + n, cap - n, "%s%.*s/%u", i ? ", " : " ",
		                      SIP_STR_FMT(md->codecs[i].name), md->codecs[i].rate);
	if (n < cap)
		snprintf(c->media + n, cap - n, " %s",
		         sip_sdp_dir_name(md->dir != SIP_SDP_SENDRECV ? md->dir : sdp.dir));
}

/* ---- requests in the dialog ---- */
/* ---- 3xx ---- */

/* The Contacts of a 3xx, best q first (ties keep their order). */
static void take_contacts(struct call *c, const struct sip_msg *resp)
{
	c->ncontacts = c->next_contact = 0;
	for (const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_CONTACT); h;
	     h = sip_msg_hdr_next(resp, h)) {
		struct sip_str list = h->value, elem, qv;
		while (sip_list_next(&list, &elem) == 1 && c->ncontacts < MAX_REDIRECTS) {
			struct sip_addr a;
			if (sip_addr_parse(&a, elem) != 0 || a.star ||
			    a.uri.len >= sizeof c->contacts[0].uri)
				continue;
			struct contact *ct = &c->contacts[c->ncontacts++];
			memcpy(ct->uri, a.uri.p, a.uri.len);
			ct->uri[a.uri.len] = '\0';
			ct->q = 1000;
			if (sip_param_get(a.params, "q", &qv)) {
				char qs[16];
				snprintf(qs, sizeof qs, "%.*s", SIP_STR_FMT(qv));
				double q = strtod(qs, NULL);
				ct->q = q >= 0 && q <= 1 ? (unsigned)(q * 1000 + 0.5) : 0;
			}
		}
	}
	for (size_t i = 1; i < c->ncontacts; i++) {
		struct contact t = c->contacts[i];
		size_t j = i;
		for (; j > 0 && c->contacts[j - 1].q < t.q; j--)
			c->contacts[j] = c->contacts[j - 1];
		c->contacts[j] = t;
	}
	if (c->cc.format == SIP_PRINT_JSON)
		return;
	printf("%-12s%u %.*s%s\n", "Redirect:", resp->status, SIP_STR_FMT(resp->reason),
	       c->ncontacts ? ", to:" : ", to nowhere (no Contact)");
	for (size_t i = 0; i < c->ncontacts; i++)
		printf("  %s  q=%u.%03u\n", c->contacts[i].uri, c->contacts[i].q / 1000,
		       c->contacts[i].q % 1000);
}

static void on_redirect_dest(struct probe_dest *d, int err, void *arg);

/* --follow: the next Contact of the 3xx; false when none is left. */
static bool follow_next(struct call *c)
{
	while (c->next_contact < c->ncontacts) {
		struct contact *ct = &c->contacts[c->next_contact++];
		/* A redirect to a redirect to...: a loop, or near enough. */
		if (++c->redirects > MAX_ATTEMPTS) {
			cmd_warn(c->cmd, "more than %d redirected attempts: giving up",
			         MAX_ATTEMPTS);
			return false;
		}
		memcpy(c->redirect_buf, ct->uri, sizeof c->redirect_buf);
		if (sip_uri_parse(&c->redirect, sip_str_from(c->redirect_buf)) != 0) {
			cmd_warn(c->cmd, "skipping Contact '%s': not a URI", ct->uri);
			continue;
		}
		if (!c->cc.quiet)
			fprintf(stderr, "sip: invite: following the redirect to %s\n", ct->uri);
		/* The call that was redirected ends here; its early dialogs with it. */
		sip_call_free(c->call);
		c->call = NULL;
		/* The caller stays who it was: -u's From keeps the first target's
		 * domain, not the Contact's. */
		char from[sizeof c->dest.user_from];
		memcpy(from, c->dest.user_from, sizeof from);
		if (probe_dest_resolve(&c->pc, &c->dest, &c->redirect, on_redirect_dest, c) == 0) {
			memcpy(c->dest.user_from, from, sizeof from);
			return true;
		}
	}
	return false;
}

/* A Contact of the 3xx that failed (why): the next one, if any is left. */
static bool next_redirect(struct call *c, const char *why)
{
	if (!c->follow || c->next_contact >= c->ncontacts)
		return false;
	cmd_warn(c->cmd, "'%s': %s", c->dest.ruri_text, why);
	return follow_next(c);
}

static void on_redirect_dest(struct probe_dest *d, int err, void *arg)
{
	struct call *c = arg;
	(void)d;
	if (err) {
		if (err != SIP_EINVAL) /* else no address of -l's family, said */
			cmd_warn(c->cmd, "cannot resolve '%s': %s", c->redirect_buf,
			         sip_strerror(err));
		if (!follow_next(c))
			end_call(c, EXIT_RESPONSE);
		return;
	}
	start_invite(c);
}

/* ---- the INVITE's final response ---- */

/* The far end's offer answered, or (a re-INVITE without one) ours again. */
static int on_sdp(struct sip_call *call, const struct sip_msg *m, struct sip_buf *out, void *arg)
{
	struct call *c = arg;
	(void)call;
	if (!m || !sip_sdp_in(m))
		return make_offer(c, SIP_SDP_SENDRECV, out);
	int err = make_answer(c, m, out);
	if (err && !m->is_request)
		cmd_warn(c->cmd,
		         "no codec in common with the %u's offer: the ACK carries no answer",
		         m->status);
	return err;
}

/* ---- what the confirmed call does next ---- */

static void modify(struct call *c, const char *method, enum sip_sdp_dir dir)
{
	if (make_offer(c, dir, &c->offer) != 0) {
		cmd_error(c->cmd, "cannot build the SDP offer");
		end_call(c, EXIT_INTERNAL);
		return;
	}
	int err = sip_call_modify(c->call, method, "application/sdp", c->offer.p, c->offer.len);
	if (err) {
		cmd_error(c->cmd, "cannot send %s: %s", method, sip_strerror(err));
		end_call(c, EXIT_INTERNAL);
		return;
	}
	c->modifying = method;
}

static void start_transfer(struct call *c);

/* Our BYE: the call is held until it goes, not until its answer, which
 * may take retransmissions. */
static void hang_up(struct call *c)
{
	if (!c->t_hangup)
		c->t_hangup = sip_loop_now(c->pc.loop);
	sip_call_hangup(c->call);
}

/* UPDATE, then re-INVITE, one at a time; then the transfer when it is due
 * (it waits for them: -d 0 is over before they are answered), and BYE when
 * it is due, whatever is under way: the call ends it. */
static void step(struct call *c)
{
	if (c->done || c->cancelled || sip_call_state(c->call) != SIP_CALL_CONFIRMED)
		return;
	/* The shell's `bye` after a `dtmf` or `hold`: what was asked first is
	 * answered first (an INFO overtaken by the BYE would get 481). */
	if (c->bye_due && (c->info || (c->modifying && c->run.ending && !c->run.signo)))
		return;
	if (c->bye_due && c->modifying) {
		cmd_warn(c->cmd, "%s: no final response before the hangup",
		         strcmp(c->modifying, "INVITE") == 0 ? "re-INVITE" : "UPDATE");
		hang_up(c);
	} else if (c->modifying) {
		return;
	} else if (c->update && !c->update_done)
		modify(c, "UPDATE", SIP_SDP_SENDRECV);
	else if (c->reinvite && !c->reinvite_done)
		modify(c, "INVITE", SIP_SDP_SENDONLY);
	else if (c->transferring)
		return;
	else if (c->transfer_due && !c->transfer_done)
		start_transfer(c);
	else if (c->bye_due)
		hang_up(c);
}

/* ---- the transfer (--transfer-to) ---- */

static void on_transfer_over(struct transfer *t, void *arg)
{
	struct call *c = arg;
	(void)t;
	c->transferring = false;
	c->transfer_done = true;
	c->bye_due = true;
	if (c->done)
		sip_timer_start(c->pc.loop, &c->stop_timer, 0, stop_loop, c);
	else
		step(c);
}

/* A blind transfer: REFER in the call's dialog (RFC 3515 section 2.4.4,
 * RFC 5589 section 6), its progress shown, the BYE after its outcome. */
static void start_transfer(struct call *c)
{
	struct sip_sub_spec s;
	probe_sub_spec(&c->pc, NULL, &s);
	s.refer_to = c->refer_to;
	s.dialog = sip_call_dialog(c->call);
	c->transferring = true;
	if (transfer_start(&c->tr, &s, c->transfer_wait_us, on_transfer_over, c) != 0) {
		c->transferring = false;
		c->transfer_done = true;
		hang_up(c);
	}
}

static void on_hold_over(void *arg)
{
	struct call *c = arg;
	if (c->refer_to[0])
		c->transfer_due = true;
	else
		c->bye_due = true;
	step(c);
}

/* ---- CANCEL ---- */

/* No answer in time, or Ctrl-C: CANCEL, once something rings (§9.1). */
static void want_cancel(struct call *c, const char *why)
{
	if (c->cancel_wanted)
		return;
	c->cancel_wanted = true;
	if (!c->cc.quiet)
		fprintf(stderr, "sip: invite: %s: cancelling\n", why);
	if (sip_call_hangup(c->call) != 0) {
		cmd_error(c->cmd, "cannot send CANCEL");
		end_call(c, EXIT_INTERNAL);
	}
}

static void on_ring_timeout(void *arg)
{
	struct call *c = arg;
	char why[64];
	snprintf(why, sizeof why, "no answer after %lu s", c->ring_timeout_s);
	want_cancel(c, why);
}

/* ---- what the call reports ---- */

static void warn_status(struct call *c, const char *what, int err, const struct sip_msg *resp)
{
	if (err)
		cmd_warn(c->cmd, "%s: %s", what, sip_strerror(err));
	else if (resp->status >= 300)
		cmd_warn(c->cmd, "%s: %u %.*s", what, resp->status, SIP_STR_FMT(resp->reason));
}

static void not_pracked(struct call *c, int err, const struct sip_msg *resp)
{
	const struct sip_hdr *rs = sip_msg_hdr(resp, SIP_HDR_RSEQ);
	uint64_t rseq = 0;
	if (err)
		cmd_warn(c->cmd, "%u with Require: 100rel and %s: not acknowledged", resp->status,
		         err == SIP_ESYNTAX  ? "no valid RSeq"
		         : err == SIP_ERANGE ? "an RSeq out of order"
		                             : "no To tag or no Contact URI");
	else if (!c->cc.quiet && rs && sip_hdr_uint(rs->value, UINT32_MAX, &rseq) == 0)
		fprintf(stderr, "sip: invite: %u with RSeq %llu again: already PRACKed\n",
		        resp->status, (unsigned long long)rseq);
}

static const struct cmd_job_ops call_job;

/* A 2xx: the hold begins (or, when it crossed our CANCEL, the call's BYE). */
static void on_answered(struct call *c, const struct sip_msg *resp)
{
	c->t_answer = sip_loop_now(c->pc.loop);
	c->answered = true;
	c->status = resp->status;
	snprintf(c->reason, sizeof c->reason, "%.*s", SIP_STR_FMT(resp->reason));
	if (!sip_msg_hdr(resp, SIP_HDR_CONTACT))
		cmd_warn(c->cmd,
		         "%u %.*s has no Contact (RFC 3261 section 13.3.1.4): the ACK and BYE "
		         "go to the Request-URI",
		         resp->status, SIP_STR_FMT(resp->reason));
	note_media(c, resp);
	sip_timer_cancel(c->pc.loop, &c->ring_timer);
	if (c->cancel_wanted)
		c->cancelled = true; /* the call hangs up by itself */
	else if (!c->hold_forever)
		sip_timer_start(c->pc.loop, &c->hold_timer, (uint64_t)c->duration_s * 1000000u,
		                on_hold_over, c);
	/* In the shell, an answered call goes on in the background. */
	if (!c->cancelled && (c->job = cmd_run_detach(&c->run, &call_job, c)) != 0 && !c->cc.quiet)
		fprintf(stderr, "sip: invite: answered: call %u ('bye %u' hangs up)\n", c->job,
		        c->job);
	step(c);
}

static void on_modified(struct call *c, int err, const struct sip_msg *resp)
{
	bool reinvite = strcmp(c->modifying, "INVITE") == 0;
	const char *what = reinvite ? "re-INVITE" : "UPDATE";
	c->modifying = NULL;
	if (reinvite)
		c->reinvite_done = true;
	else
		c->update_done = true;
	if (err)
		cmd_error(c->cmd, "%s: %s", what, sip_strerror(err));
	else if (resp->status >= 300)
		/* A re-INVITE refused: the call goes on as it was (§14.1). */
		cmd_warn(c->cmd, "%s: %u %.*s", what, resp->status, SIP_STR_FMT(resp->reason));
	else if (reinvite)
		note_media(c, resp);
	step(c);
}

static void on_event(struct sip_call *call, enum sip_call_event ev, int err,
                     const struct sip_msg *m, void *arg)
{
	struct call *c = arg;
	struct sip_addr to;
	const struct sip_hdr *th;
	if (c->done)
		return;
	switch (ev) {
	case SIP_CALL_PROGRESS:
		if (!c->t_ring && m->status > 100)
			c->t_ring = sip_loop_now(c->pc.loop);
		note_media(c, m);
		break;
	case SIP_CALL_PRACKED:
		warn_status(c, "PRACK", err, m);
		/* --update in the early dialog, once its offer has been answered. */
		if (!err && m->status < 300 && c->update && !c->update_done && !c->modifying &&
		    sip_call_state(call) == SIP_CALL_RINGING && sip_call_early_answered(call))
			modify(c, "UPDATE", SIP_SDP_SENDRECV);
		break;
	case SIP_CALL_NOT_PRACKED: not_pracked(c, err, m); break;
	case SIP_CALL_ANSWERED: on_answered(c, m); break;
	case SIP_CALL_MODIFIED: on_modified(c, err, m); break;
	case SIP_CALL_REFRESHED: note_media(c, m); break;
	case SIP_CALL_FORKED:
		th = sip_msg_hdr(m, SIP_HDR_TO);
		if (!c->cc.quiet && th && sip_addr_parse(&to, th->value) == 0)
			fprintf(stderr,
			        "sip: invite: another fork answered too (To tag '%.*s'): ACK and "
			        "BYE\n",
			        SIP_STR_FMT(to.tag));
		break;
	case SIP_CALL_FORK_ENDED: warn_status(c, "BYE to the other answer", err, m); break;
	case SIP_CALL_STRAY:
		cmd_warn(c->cmd, "a %u to an INVITE of no dialog of this call: not acknowledged",
		         m->status);
		break;
	case SIP_CALL_CANCEL_FAILED: cmd_warn(c->cmd, "CANCEL: %s", sip_strerror(err)); break;
	case SIP_CALL_SESSION_REFRESHED:
		if (c->cc.verbose)
			fprintf(stderr, "sip: invite: session refreshed (RFC 4028)\n");
		break;
	}
}

/* ---- how the call ended ---- */

static bool to_tagged(const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_TO);
	struct sip_addr to;
	return h && sip_addr_parse(&to, h->value) == 0 && to.tag.len > 0;
}

/* The INVITE failed: the next Contact of a 3xx, or the end. */
static void on_failed(struct call *c, int err, const struct sip_msg *resp)
{
	const struct sip_req *r = sip_call_request(c->call);
	bool auth = resp && probe_auth_failed(&c->pc, r, resp);
	probe_tls_peer(&c->pc, r);
	if (err) {
		char why[300];
		/* ESYNTAX: the stream broke, or only unparsable answers came. */
		snprintf(c->reason, sizeof c->reason, "%s",
		         interrupted(c)       ? CMD_INTERRUPTED
		         : err == SIP_ESYNTAX ? "only answers that do not parse"
		                              : probe_err_text(r, err, why, sizeof why));
		if (!interrupted(c) && next_redirect(c, c->reason))
			return;
		cmd_error(c->cmd, "INVITE to '%s': %s", c->dest.ruri_text, c->reason);
		end_call(c, interrupted(c) ? EXIT_TIMEOUT : probe_exit_code(err));
		return;
	}
	c->status = resp->status;
	snprintf(c->reason, sizeof c->reason, "%.*s", SIP_STR_FMT(resp->reason));
	if (resp->status < 400) {
		take_contacts(c, resp);
		if (c->follow && follow_next(c))
			return;
	} else if (!auth) {
		char why[320];
		snprintf(why, sizeof why, "%u %s", resp->status, c->reason);
		if (next_redirect(c, why))
			return;
	}
	if (!auth)
		cmd_error(c->cmd, "'%s': %u %.*s", c->dest.ruri_text, resp->status,
		          SIP_STR_FMT(resp->reason));
	end_call(c, auth ? EXIT_AUTH : EXIT_RESPONSE);
}

static void on_cancelled(struct call *c, int err, const struct sip_msg *resp)
{
	c->cancelled = true;
	probe_tls_peer(&c->pc, sip_call_request(c->call));
	if (err == SIP_ETIMEDOUT) {
		cmd_error(c->cmd, "no final response %.1f s after the CANCEL; giving up",
		          (double)(64 * t1_us(c)) / 1e6);
		end_call(c, EXIT_TIMEOUT);
	} else if (err && err != SIP_ECANCELED) {
		snprintf(c->reason, sizeof c->reason, "%s",
		         err == SIP_ESYNTAX ? "only answers that do not parse" : sip_strerror(err));
		cmd_error(c->cmd, "INVITE to '%s': %s", c->dest.ruri_text, c->reason);
		end_call(c, probe_exit_code(err));
	} else {
		if (resp) {
			c->status = resp->status;
			snprintf(c->reason, sizeof c->reason, "%.*s", SIP_STR_FMT(resp->reason));
		}
		end_call(c, interrupted(c) ? EXIT_TIMEOUT : EXIT_RESPONSE);
	}
}

/* --transfer-to, and the transfer's final status was 2xx. */
static bool transferred(const struct call *c)
{
	return c->transfer_done && c->tr.final && transfer_exit(&c->tr) == EXIT_OK;
}

static void on_bye_done(struct call *c, int err, const struct sip_msg *resp)
{
	bool auth = resp && probe_auth_failed(&c->pc, sip_call_request(c->call), resp);
	if (err) {
		cmd_error(c->cmd, "BYE: %s", sip_strerror(err));
		end_call(c, probe_exit_code(err));
		return;
	}
	c->bye_status = resp->status;
	if (resp->status == 481 && transferred(c)) {
		/* A transferee is done with us once the transfer works; many hang
		 * up at once, and their BYE may cross ours or be lost. */
		cmd_warn(c->cmd, "BYE: %u %.*s: the far end had left the call after the transfer",
		         resp->status, SIP_STR_FMT(resp->reason));
		end_call(c, EXIT_OK);
		return;
	}
	if (resp->status >= 300) {
		cmd_error(c->cmd, "BYE: %u %.*s", resp->status, SIP_STR_FMT(resp->reason));
		end_call(c, auth ? EXIT_AUTH : EXIT_RESPONSE);
		return;
	}
	end_call(c, c->cancelled ? EXIT_RESPONSE : EXIT_OK);
}

/* The dialog could not go on: its next hop, or a request that could not go. */
static void on_error(struct call *c, int err)
{
	const char *hop = sip_call_next_hop(c->call);
	if (err == SIP_ESCHEME) {
		cmd_error(c->cmd,
		          "the dialog's next hop '%s' (a Contact or Record-Route) is not a sip: or "
		          "sips: URI",
		          hop);
		end_call(c, EXIT_PROTOCOL);
	} else if (err == SIP_ENOTFOUND || err == SIP_EDNS) {
		cmd_error(c->cmd, "cannot resolve the dialog's next hop '%s': %s", hop,
		          sip_strerror(err));
		end_call(c, probe_exit_code(err));
	} else {
		cmd_error(c->cmd, "the call cannot go on: %s", sip_strerror(err));
		end_call(c, probe_exit_code(err));
	}
}

static void on_done(struct sip_call *call, enum sip_call_end how, int err, const struct sip_msg *m,
                    void *arg)
{
	struct call *c = arg;
	(void)call;
	if (c->done)
		return;
	switch (how) {
	case SIP_CALL_END_FAILED: on_failed(c, err, m); break;
	case SIP_CALL_END_CANCELLED: on_cancelled(c, err, m); break;
	case SIP_CALL_END_BYE:
	case SIP_CALL_END_NO_ACK: on_bye_done(c, err, m); break;
	case SIP_CALL_END_EXPIRED:
		/* Held less than asked: not a success. */
		cmd_error(c->cmd, "the session expired (RFC 4028 session timer): hung up");
		c->bye_status = m ? m->status : 0;
		end_call(c, err ? probe_exit_code(err) : EXIT_RESPONSE);
		break;
	case SIP_CALL_END_REMOTE:
		c->ended_by_them = true;
		if (!c->cc.quiet)
			fprintf(stderr, "sip: invite: the far end hung up\n");
		end_call(c, EXIT_OK);
		break;
	case SIP_CALL_END_NO_DIALOG:
		c->status = m->status;
		snprintf(c->reason, sizeof c->reason, "%.*s", SIP_STR_FMT(m->reason));
		cmd_error(c->cmd, "%u %.*s makes no dialog: %s", m->status, SIP_STR_FMT(m->reason),
		          !to_tagged(m)                     ? "it has no To tag"
		          : sip_msg_hdr(m, SIP_HDR_CONTACT) ? "its Contact is not a URI"
		                                            : "its From, To or Call-ID differ");
		end_call(c, EXIT_PROTOCOL);
		break;
	case SIP_CALL_END_ERROR: on_error(c, err); break;
	}
}

/* ---- the INVITE ---- */

static void on_failover(struct sip_req *r, int err, const struct sip_target *from,
                        const struct sip_target *next, void *arg)
{
	struct call *c = arg;
	probe_failover(&c->pc, r, err, from, next);
}

static void start_invite(struct call *c)
{
	int err = probe_dest_local(&c->dest);
	if (err) {
		cmd_error(c->cmd, "no local address towards '%s': %s", c->dest.ruri_text,
		          sip_strerror(err));
		not_placed(c, probe_exit_code(err), sip_strerror(err));
		return;
	}
	/* SDP wants the address bare: "::1", not "[::1]". */
	const char *h = c->dest.host;
	size_t n = strlen(h);
	if (h[0] == '[' && n > 2)
		snprintf(c->media_addr, sizeof c->media_addr, "%.*s", (int)(n - 2), h + 1);
	else
		snprintf(c->media_addr, sizeof c->media_addr, "%s", h);
	if (!c->no_sdp && make_offer(c, SIP_SDP_SENDRECV, &c->offer) != 0) {
		cmd_error(c->cmd, "cannot build the SDP offer");
		not_placed(c, EXIT_INTERNAL, "no SDP offer");
		return;
	}
	struct sip_build_hdr hdrs[CMD_MAX_HEADERS];
	for (size_t i = 0; i < c->cc.nheaders; i++)
		hdrs[i].line = c->cc.headers[i];
	struct sip_req_spec rs;
	probe_req_spec(&c->pc, &c->dest, &rs);
	rs.cseq = (uint32_t)c->seq;
	if (!c->cc.to)
		rs.to = c->to;
	rs.headers = hdrs;
	rs.nheaders = c->cc.nheaders;
	rs.content_type = c->no_sdp ? NULL : "application/sdp";
	rs.body = c->no_sdp ? NULL : c->offer.p;
	rs.body_len = c->no_sdp ? 0 : c->offer.len;
	rs.proxy = c->cc.proxy ? &c->pc.proxy : NULL;
	rs.transport = c->cc.transport;
	rs.family = c->cc.family;
	rs.failover = on_failover;
	struct sip_call_spec cs = {
		.invite = &rs,
		.prack = c->prack,
		.event = on_event,
		.sdp = on_sdp,
		.done = on_done,
		.arg = c,
	};
	sip_call_free(c->call);
	c->call = NULL;
	c->modifying = NULL;
	err = sip_call_start(&c->call, c->pc.ua, &cs);
	if (err) {
		cmd_error(c->cmd, "cannot send INVITE: %s", sip_strerror(err));
		not_placed(c, probe_exit_code(err), sip_strerror(err));
		return;
	}
	/* A redirected INVITE is a new request of the same call: a higher CSeq
	 * than any authenticated retry of this one (§8.1.3.4). */
	c->seq += 10;
}

static void on_dest(struct probe_dest *d, int err, void *arg)
{
	struct call *c = arg;
	(void)d;
	if (err) {
		if (err != SIP_EINVAL) /* else no address of -l's family, said */
			cmd_error(c->cmd, "cannot resolve '%s': %s", c->dest.ruri_text,
			          sip_strerror(err));
		not_placed(c, probe_dest_exit(err), sip_strerror(err));
		return;
	}
	c->t_start = sip_loop_now(c->pc.loop);
	if (c->ring_timeout_s)
		sip_timer_start(c->pc.loop, &c->ring_timer, (uint64_t)c->ring_timeout_s * 1000000u,
		                on_ring_timeout, c);
	start_invite(c);
}

/* ---- signals and the summary ---- */

static void on_signal(void *arg)
{
	struct call *c = arg;
	probe_prompt_cancel(&c->pc);
	if (c->done) {
		/* The far end hung up while the transfer went on: it is what is
		 * left to end. */
		if (c->transferring)
			transfer_interrupt(&c->tr);
		return;
	}
	switch (c->call ? sip_call_state(c->call) : SIP_CALL_ENDED) {
	case SIP_CALL_CALLING:
	case SIP_CALL_RINGING:
	case SIP_CALL_CANCELLING: want_cancel(c, "interrupted"); return;
	case SIP_CALL_CONFIRMED:
		c->bye_due = true;
		if (c->transferring)
			transfer_interrupt(&c->tr);
		else if (c->refer_to[0] && !c->transfer_done)
			transfer_fail(&c->tr, EXIT_TIMEOUT, CMD_INTERRUPTED); /* not started */
		c->transfer_done = true;
		step(c);
		return;
	default: break;
	}
	if (!c->call) { /* stopped before the INVITE went */
		cmd_error(c->cmd, "'%s': %s", c->dest.ruri_text, CMD_INTERRUPTED);
		not_placed(c, EXIT_TIMEOUT, CMD_INTERRUPTED);
	} else {
		end_call(c, c->answered && !c->cancelled ? EXIT_OK : EXIT_RESPONSE);
	}
}

/* --transfer-to, and the call was answered: the transfer had its chance. */
static bool transfer_asked(const struct call *c)
{
	return c->refer_to[0] && c->answered;
}

/* The run's verdict: the call's, and when that is a success the transfer's. */
static void transfer_verdict(struct call *c)
{
	if (!transfer_asked(c))
		return;
	if (!c->tr.sub && !c->tr.rc)
		transfer_fail(&c->tr, EXIT_RESPONSE, "the call ended before the transfer");
	if (c->rc == EXIT_OK)
		c->rc = transfer_exit(&c->tr);
}

static void print_summary(const struct call *c)
{
	const char *ended = !c->answered       ? NULL
	                    : c->ended_by_them ? "them"
	                    : c->bye_status    ? "us"
	                                       : "nobody";
	uint64_t until = c->t_hangup ? c->t_hangup : c->t_end;
	double held = c->answered ? (double)(until - c->t_answer) / 1e6 : 0.0;
	if (c->cc.format == SIP_PRINT_JSON) {
		printf("{\"summary\":{\"target\":");
		sip_print_json_str(stdout, sip_str_from(c->dest.ruri_text));
		printf(",\"status\":%u,\"reason\":", c->status);
		sip_print_json_str(stdout, sip_str_from(c->reason));
		printf(",\"answered\":%s,\"cancelled\":%s,\"interrupted\":%s",
		       c->answered ? "true" : "false", c->cancelled ? "true" : "false",
		       interrupted(c) ? "true" : "false");
		if (c->t_ring)
			printf(",\"ring_ms\":%.3f", secs(c, c->t_ring) * 1e3);
		if (c->answered)
			printf(",\"answer_ms\":%.3f,\"held_s\":%.3f", secs(c, c->t_answer) * 1e3,
			       held);
		if (ended)
			printf(",\"ended_by\":\"%s\"", ended);
		if (c->bye_status)
			printf(",\"bye_status\":%u", c->bye_status);
		if (c->media[0]) {
			printf(",\"media\":");
			sip_print_json_str(stdout, sip_str_from(c->media));
		}
		for (size_t i = 0; i < c->nproblems; i++) {
			printf("%s", i ? "," : ",\"problems\":[");
			sip_print_json_str(stdout, sip_str_from(c->problems[i]));
		}
		printf("%s", c->nproblems ? "]" : "");
		if (transfer_asked(c)) {
			printf(",\"transfer\":{");
			transfer_print_json(&c->tr, c->refer_to, transfer_exit(&c->tr), c->t_end);
			printf("}");
		}
		printf(",\"exit\":%d}}\n", c->rc);
		return;
	}
	if (!cmd_summary_text(&c->cc))
		return;
	/* A 2xx that crossed our CANCEL: the call was made, and hung up. */
	if (c->answered && c->cancelled)
		printf("%-12scancelled, but %u %s crossed the CANCEL at %.3f s", "Call:", c->status,
		       c->reason, secs(c, c->t_answer));
	else if (c->answered)
		printf("%-12s%u %s after %.3f s", "Call:", c->status, c->reason,
		       secs(c, c->t_answer));
	else if (interrupted(c) && !c->t_start)
		printf("%-12s%s before the INVITE went out", "Call:", CMD_INTERRUPTED);
	else if (interrupted(c))
		printf("%-12s%s after %.3f s%s%s%s", "Call:", CMD_INTERRUPTED, secs(c, c->t_end),
		       c->cancelled ? ", cancelled" : "", c->status ? ": " : "",
		       c->status ? c->reason : "");
	else if (c->cancelled)
		printf("%-12scancelled after %.3f s%s%s", "Call:", secs(c, c->t_end),
		       c->status ? ": " : "", c->status ? c->reason : "");
	else if (c->status)
		printf("%-12s%u %s after %.3f s", "Call:", c->status, c->reason, secs(c, c->t_end));
	else
		printf("%-12sno answer: %s",
		       "Call:", c->reason[0] ? c->reason : "no final response");
	if (c->t_ring)
		printf(" (ringing at %.3f s)", secs(c, c->t_ring));
	printf("\n");
	if (c->media[0])
		printf("%-12s%s\n", "Media:", c->media);
	if (transfer_asked(c)) {
		char text[256];
		transfer_describe(&c->tr, text, sizeof text, c->t_end);
		printf("%-12s%s\n", "Transfer:", text);
	}
	if (ended && c->answered && !c->bye_status && !c->ended_by_them)
		printf("%-12sheld %.3f s, then failed without a BYE\n", "Ended:", held);
	else if (ended && c->answered)
		printf("%-12sheld %.3f s, hung up by %s%s\n", "Ended:", held, ended,
		       c->bye_status ? (c->bye_status < 300 ? " (BYE answered)" : " (BYE refused)")
		                     : "");
}

static int read_sdp_file(struct call *c)
{
	FILE *f = strcmp(c->sdp_file, "-") == 0 ? stdin : fopen(c->sdp_file, "rb");
	if (!f) {
		cmd_error(c->cmd, "cannot read '%s': %s", c->sdp_file, strerror(errno));
		return EXIT_USAGE;
	}
	c->sdp_user_len = fread(c->sdp_user, 1, sizeof c->sdp_user, f);
	bool big = c->sdp_user_len == sizeof c->sdp_user;
	bool bad = ferror(f);
	if (f != stdin)
		fclose(f);
	if (bad || big || c->sdp_user_len == 0) {
		cmd_error(c->cmd, "'%s': %s", c->sdp_file,
		          bad   ? "read error"
		          : big ? "larger than 16 KiB"
		                : "empty");
		return EXIT_USAGE;
	}
	struct sip_sdp sdp;
	if (sip_sdp_parse(&sdp, (struct sip_str){c->sdp_user, c->sdp_user_len}) != 0) {
		cmd_error(c->cmd, "'%s' is not an SDP body (RFC 4566)", c->sdp_file);
		return EXIT_USAGE;
	}
	return 0;
}

static int parse_args(struct call *c, int argc, char **argv)
{
	const char *arg;
	int key;
	bool duration = false, transfer_timeout = false;
	const char *transfer_to = NULL;
	c->rtp_port = 4000;
	c->transfer_wait_us = (uint64_t)TRANSFER_TIMEOUT_S * 1000000u;
	c->ring_timeout_s = 60;
	c->prack = true;
	while ((key = cmd_getopt(c->cmd, &c->cc, argc, argv, &arg)) >= 0) {
		switch (key) {
		case OPT_CODECS: c->codecs = arg; break;
		case OPT_RTP_PORT:
			if (cmd_parse_uint(c->cmd, "rtp-port", arg, 1, 65535, &c->rtp_port))
				return EXIT_USAGE;
			break;
		case OPT_SDP: c->sdp_file = arg; break;
		case OPT_NO_SDP: c->no_sdp = true; break;
		case OPT_DURATION:
			if (cmd_parse_uint(c->cmd, "duration", arg, 0, 86400 * 7, &c->duration_s))
				return EXIT_USAGE;
			duration = true;
			break;
		case OPT_RING_TIMEOUT:
			if (cmd_parse_uint(c->cmd, "ring-timeout", arg, 0, 86400,
			                   &c->ring_timeout_s))
				return EXIT_USAGE;
			break;
		case OPT_FOLLOW: c->follow = true; break;
		case OPT_UPDATE: c->update = true; break;
		case OPT_REINVITE: c->reinvite = true; break;
		case OPT_NO_100REL: c->prack = false; break;
		case OPT_LADDER: c->ladder = true; break;
		case OPT_TRANSFER_TO: transfer_to = arg; break;
		case OPT_TRANSFER_TIMEOUT:
			if (cmd_parse_seconds(c->cmd, "transfer-timeout", arg, false, 86400,
			                      &c->transfer_wait_us))
				return EXIT_USAGE;
			transfer_timeout = true;
			break;
		}
	}
	if (key == -3)
		return -1;
	if (key == -2)
		return EXIT_USAGE;
	/* A transfer goes once the call is answered, or after -d's hold. */
	c->hold_forever = !duration && !transfer_to;
	if (transfer_timeout && !transfer_to)
		return cmd_usage_error(c->cmd, "--transfer-timeout needs --transfer-to");
	if (transfer_to && transfer_refer_to(c->cmd, "--transfer-to", transfer_to, NULL,
	                                     c->refer_to, sizeof c->refer_to) != 0)
		return EXIT_USAGE;
	struct sip_str bad;
	if ((c->sdp_file != NULL) + c->no_sdp + (c->codecs != NULL) > 1) {
		cmd_error(c->cmd, "--sdp, --no-sdp and --codecs exclude each other");
		return EXIT_USAGE;
	}
	int err = c->codecs ? sip_sdp_codecs_check(c->codecs, &bad) : 0;
	if (err) {
		if (err == SIP_EEMPTY)
			cmd_error(c->cmd, "an empty name in --codecs '%s'", c->codecs);
		else
			cmd_error(c->cmd, "unknown codec '%.*s' in --codecs", SIP_STR_FMT(bad));
		return EXIT_USAGE;
	}
	if (argc - optind != 1) {
		cmd_error(c->cmd, "expected one target (sip:bob@example.com)");
		fprintf(stderr, "See 'sip invite --help'.\n");
		return EXIT_USAGE;
	}
	if (cmd_parse_target(c->cmd, &c->cc, argv[optind], c->target_buf, sizeof c->target_buf,
	                     &c->target))
		return EXIT_USAGE;
	if (c->target.scheme != SIP_URI_SIP && c->target.scheme != SIP_URI_SIPS) {
		cmd_error(c->cmd, "bad target '%s': expected a sip: or sips: URI", argv[optind]);
		return EXIT_USAGE;
	}
	snprintf(c->to, sizeof c->to, "<%s>", c->target_buf);
	return c->sdp_file ? read_sdp_file(c) : 0;
}

static int finish(void *arg)
{
	struct call *c = arg;
	if (!c->done || c->run.forced) {
		/* Stopped at once: what was under way is left as it is. */
		c->cancelled = c->cancelled || !c->answered;
		if (!c->answered && !c->status)
			snprintf(c->reason, sizeof c->reason, "%s", CMD_INTERRUPTED);
		if (c->transferring)
			transfer_fail(&c->tr, EXIT_TIMEOUT, CMD_INTERRUPTED);
		end_call(c, c->run.forced ? c->run.forced : EXIT_TIMEOUT);
	}
	int rc = c->rc;
	if (c->ran) {
		transfer_verdict(c);
		/* A call the far end ended is done before a second Ctrl-C. */
		rc = c->rc = cmd_run_exit(&c->run, c->rc);
		if (c->pc.ladder)
			probe_print_ladder(&c->pc,
			                   c->cc.format == SIP_PRINT_JSON ? stderr : stdout);
		print_summary(c);
	}
	sip_req_free(c->info);
	transfer_free(&c->tr); /* before the call: it borrows the call's dialog */
	sip_call_free(c->call);
	sip_timer_cancel(c->pc.loop, &c->ring_timer);
	sip_timer_cancel(c->pc.loop, &c->hold_timer);
	sip_timer_cancel(c->pc.loop, &c->stop_timer);
	probe_ctx_reset(&c->pc);
	cmd_signals_done();
	sip_buf_reset(&c->offer);
	free(c);
	return rc;
}

/* ---- in the shell's background ---- */

static void describe(void *arg, char *buf, size_t cap)
{
	struct call *c = arg;
	double up = (double)(sip_loop_now(c->pc.loop) - c->t_answer) / 1e6;
	const char *state = c->done           ? "ending"
	                    : c->transferring ? "transferring"
	                    : c->modifying    ? "changing the session"
	                    : c->held_by_us   ? "on hold"
	                    : c->bye_due      ? "hanging up"
	                                      : "up";
	snprintf(buf, cap, "%s, %s %.0f s%s%s", c->dest.ruri_text, state, up,
	         c->media[0] ? ", " : "", c->media);
}

static void send_dtmf(struct call *c);

static void on_info_done(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct call *c = arg;
	(void)r;
	warn_status(c, "INFO (DTMF)", err, resp);
	sip_req_free(c->info);
	c->info = NULL;
	if (err || resp->status >= 300 || c->bye_due)
		c->dtmf[0] = '\0';
	send_dtmf(c);
	if (c->bye_due)
		step(c);
}

/* The next digit, by INFO with application/dtmf-relay, as phones send it. */
static void send_dtmf(struct call *c)
{
	if (!c->dtmf[0] || c->info || c->done || sip_call_state(c->call) != SIP_CALL_CONFIRMED)
		return;
	char body[64];
	int n = snprintf(body, sizeof body, "Signal=%c\r\nDuration=160\r\n", c->dtmf[0]);
	memmove(c->dtmf, c->dtmf + 1, strlen(c->dtmf));
	struct sip_req_spec rs = {
		.method = "INFO",
		.dialog = sip_call_dialog(c->call),
		.user_agent = c->cc.user_agent ? c->cc.user_agent : "sip/" SIP_VERSION,
		.max_forwards = c->cc.max_forwards,
		.content_type = "application/dtmf-relay",
		.body = body,
		.body_len = (size_t)n,
		.timeout_us = c->cc.timeout_us,
		.account = &c->pc,
		.done = on_info_done,
		.arg = c,
	};
	int err = sip_req_start(&c->info, c->pc.ua, &rs);
	if (err) {
		cmd_warn(c->cmd, "cannot send INFO: %s", sip_strerror(err));
		c->dtmf[0] = '\0';
	}
}

/* hold, unhold, update, dtmf DIGITS, transfer URI: what `sip invite`
 * does by its options, asked at any time. */
static int act(void *arg, int argc, char **argv)
{
	struct call *c = arg;
	const char *verb = argv[0];
	if (c->done || c->bye_due || sip_call_state(c->call) != SIP_CALL_CONFIRMED) {
		fprintf(stderr, "sip: %s: call %u is ending\n", verb, c->job);
		return EXIT_USAGE;
	}
	if (strcmp(verb, "dtmf") == 0) {
		if (argc != 2 || strspn(argv[1], "0123456789*#ABCD") != strlen(argv[1]) ||
		    strlen(argv[1]) + strlen(c->dtmf) >= sizeof c->dtmf) {
			fprintf(stderr, "sip: usage: dtmf N DIGITS (0-9, *, #, A-D; 60 at most)\n");
			return EXIT_USAGE;
		}
		size_t have = strlen(c->dtmf);
		memcpy(c->dtmf + have, argv[1], strlen(argv[1]) + 1);
		send_dtmf(c);
		return EXIT_OK;
	}
	if (strcmp(verb, "transfer") == 0) {
		if (argc != 2) {
			fprintf(stderr, "sip: usage: transfer N URI\n");
			return EXIT_USAGE;
		}
		if (c->transferring || c->transfer_done) {
			fprintf(stderr, "sip: transfer: call %u has been transferred already\n",
			        c->job);
			return EXIT_USAGE;
		}
		int rc = transfer_refer_to(c->cmd, "transfer", argv[1], NULL, c->refer_to,
		                           sizeof c->refer_to);
		if (rc)
			return rc;
		sip_timer_cancel(c->pc.loop, &c->hold_timer);
		c->transfer_due = true;
		step(c);
		return EXIT_OK;
	}
	if (argc != 1) {
		fprintf(stderr, "sip: usage: %s N\n", verb);
		return EXIT_USAGE;
	}
	if (c->modifying) {
		fprintf(stderr, "sip: %s: call %u: %s is under way\n", verb, c->job,
		        strcmp(c->modifying, "INVITE") == 0 ? "a re-INVITE" : "an UPDATE");
		return EXIT_USAGE;
	}
	if (strcmp(verb, "update") == 0) {
		modify(c, "UPDATE", c->held_by_us ? SIP_SDP_SENDONLY : SIP_SDP_SENDRECV);
		return EXIT_OK;
	}
	bool hold = strcmp(verb, "hold") == 0;
	if (hold == c->held_by_us) {
		fprintf(stderr, "sip: %s: call %u is %s\n", verb, c->job,
		        hold ? "on hold already" : "not on hold");
		return EXIT_USAGE;
	}
	c->held_by_us = hold;
	modify(c, "INVITE", hold ? SIP_SDP_SENDONLY : SIP_SDP_SENDRECV);
	return EXIT_OK;
}

static const struct cmd_job_ops call_job = {"call", describe, finish, act};

int cmd_invite(const struct cmd *self, int argc, char **argv)
{
	struct call *c = calloc(1, sizeof *c);
	if (!c) {
		cmd_error(self, "out of memory");
		return EXIT_INTERNAL;
	}
	c->cmd = self;
	c->seq = 1;
	c->sdp_session = (uint64_t)time(NULL);
	int rc = parse_args(c, argc, argv);
	if (rc) {
		free(c);
		return rc < 0 ? EXIT_OK : rc;
	}
	sip_buf_init(&c->offer, 0);
	/* The diagram comes by itself at the end of a pretty run on a terminal. */
	bool tty_pretty = c->cc.format == SIP_PRINT_PRETTY && !c->cc.quiet && isatty(STDOUT_FILENO);
	struct probe_setup setup = {.show_messages = !c->cc.quiet,
	                            .ladder = c->ladder || tty_pretty};
	if ((rc = probe_ctx_init(&c->pc, self, &c->cc, &setup)) != 0) {
		free(c);
		return rc;
	}
	transfer_init(&c->tr, &c->pc, false);
	rc = probe_dest_resolve(&c->pc, &c->dest, &c->target, on_dest, c);
	if (rc == 0) {
		c->ran = true;
		cmd_run(&c->run, c->pc.loop, on_signal, c);
		if (cmd_run_detached(&c->run))
			return EXIT_OK;
		return finish(c);
	}
	c->rc = rc;
	c->done = true;
	return finish(c);
}
