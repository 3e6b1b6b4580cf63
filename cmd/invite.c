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
	{OPT_LADDER, "ladder", 0, NULL, "print the exchange as a sequence diagram at the end",
         NULL},
	{0},
};

enum phase { CALLING, RINGING, CANCELLING, CONFIRMED, ENDING, DONE };

#define MAX_EARLY 4
#define MAX_REDIRECTS 8 /* Contacts of one 3xx */
#define MAX_ATTEMPTS 16 /* INVITEs to redirected targets, in all */
#define MAX_INFLIGHT 4
#define MAX_JOBS 4
#define MAX_SDP_FILE 16384
#define MAX_FORKS 4 /* 2xx answers from other forks, each ACKed and hung up */

/* An early dialog from a reliable provisional response (RFC 3262). */
struct early {
	struct sip_dialog *d;
	uint32_t rseq; /* the last one PRACKed */
	bool answered; /* its 1xx carried the SDP answer */
};

/* A dialog a forking proxy gave us besides the call's: another phone that
 * answered too (RFC 3261 §13.2.2.4). */
struct fork {
	struct sip_dialog *d;
	struct probe_ack ack;  /* sent again when its 2xx is */
	struct sip_buf answer; /* to the offer of its 2xx, when the INVITE had none */
};

struct contact {
	char uri[512];
	unsigned q; /* thousandths */
};

struct call {
	const struct cmd *cmd;
	struct cmd_common cc;
	struct probe_ctx pc;
	struct probe_dest dest; /* the INVITE's: the target, or -p */
	struct probe_dest hop;  /* in-dialog requests: the dialog's next hop, or -p */
	char hop_uri_buf[512];
	struct sip_uri hop_uri;
	bool hop_resolving;
	/* What waits for the hop: a PRACK, an ACK, a BYE... in order. */
	struct hop_job {
		struct sip_dialog *d;
		void (*fn)(struct call *c, const struct hop_job *job);
		char rack[48]; /* a PRACK's RAck, "RAck: 1 1 INVITE" */
	} jobs[MAX_JOBS];
	size_t njobs;
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
	struct sip_buf ack_body; /* a late offer's answer */
	uint64_t sdp_session;    /* o= keeps it, and bumps the version, for every re-offer */
	uint64_t sdp_version;
	char media_addr[64];
	/* the INVITE and its dialogs */
	enum phase phase;
	struct probe *invite;
	unsigned long seq;
	bool cancel_wanted;
	struct early early[MAX_EARLY];
	size_t nearly;
	struct sip_dialog *dialog;
	uint32_t ack_cseq;
	struct probe_ack ack;
	struct sip_buf answered_invite; /* the INVITE the 2xx answered, for its forks' dialogs */
	uint32_t answered_cseq;
	struct fork forks[MAX_FORKS];
	size_t nforks;
	/* requests in the dialog; freed at the end if still under way */
	struct probe *inflight[MAX_INFLIGHT];
	bool busy; /* an UPDATE or re-INVITE is under way */
	bool update_done, reinvite_done, bye_due;
	/* 3xx --follow */
	struct contact contacts[MAX_REDIRECTS];
	size_t ncontacts, next_contact;
	unsigned redirects;
	char redirect_buf[512];
	struct sip_uri redirect;
	/* timers */
	struct sip_timer ring_timer, hold_timer, stop_timer;
	uint64_t t_start, t_ring, t_answer, t_end;
	/* the outcome */
	unsigned status;
	char reason[96];
	char media[200];
	bool cancelled, ended_by_them, answered;
	bool sdp_warned; /* about an SDP body that does not parse: once is enough */
	unsigned bye_status;
	int rc;
};

static void step(struct call *c);
static void start_invite(struct call *c);
static bool on_request(struct sip_incoming *in, const struct sip_msg *req, void *arg);
static void on_stray(const struct sip_msg *m, const struct sip_packet_info *pi, void *arg);

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
	sip_loop_stop(c->pc.loop);
}

/* Ends the run on the loop's next turn, once what was just sent is out. */
static void end_call(struct call *c, int rc)
{
	if (c->phase == DONE)
		return;
	c->phase = DONE;
	c->rc = rc;
	c->t_end = sip_loop_now(c->pc.loop);
	sip_timer_cancel(c->pc.loop, &c->ring_timer);
	sip_timer_cancel(c->pc.loop, &c->hold_timer);
	sip_timer_start(c->pc.loop, &c->stop_timer, 0, stop_loop, c);
}

/* Ends a call that never rang, saying why in the summary. */
static void not_placed(struct call *c, int rc, const char *why)
{
	snprintf(c->reason, sizeof c->reason, "%s", why);
	end_call(c, rc);
}

/* ---- session descriptions ---- */

static bool has_sdp(const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CONTENT_TYPE);
	struct sip_ctype ct;
	return m->body.len && h && sip_ctype_parse(&ct, h->value) == 0 &&
	       sip_str_ieq(ct.type, SIP_STR("application")) &&
	       sip_str_ieq(ct.subtype, SIP_STR("sdp"));
}

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

/* Where the far end wants the media, for the summary: "192.0.2.1:6000 PCMU/8000 sendrecv". */
static void note_media(struct call *c, const struct sip_msg *m)
{
	struct sip_sdp sdp;
	if (!has_sdp(m))
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

static void run_jobs(struct call *c);

static bool is_sip_uri(const char *s)
{
	struct sip_uri u;
	return sip_uri_parse(&u, sip_str_from(s)) == 0 &&
	       (u.scheme == SIP_URI_SIP || u.scheme == SIP_URI_SIPS);
}

static void on_hop(struct probe_dest *d, int err, void *arg)
{
	struct call *c = arg;
	(void)d;
	c->hop_resolving = false;
	if (err) {
		cmd_error(c->cmd, "cannot resolve the dialog's next hop '%s': %s", c->hop_uri_buf,
		          sip_strerror(err));
		c->njobs = 0;
		end_call(c, probe_exit_code(err));
		return;
	}
	run_jobs(c);
}

/* Runs the queued jobs whose hop is known, and starts resolving the first
 * whose hop is not: -p when given (an outbound proxy takes every request),
 * else its dialog's next hop, resolved again only when it changed. */
static void run_jobs(struct call *c)
{
	char next[sizeof c->hop_uri_buf];
	while (c->njobs && !c->hop_resolving && c->phase != DONE) {
		struct hop_job job = c->jobs[0];
		if (c->cc.proxy) {
			c->hop = c->dest;
		} else if (sip_dialog_next_hop(job.d, next, sizeof next) < 0) {
			cmd_error(c->cmd, "the dialog's next hop is longer than %zu bytes",
			          sizeof next - 1);
			c->njobs = 0;
			end_call(c, EXIT_PROTOCOL);
			return;
		} else if (!is_sip_uri(next)) {
			cmd_error(c->cmd,
			          "the dialog's next hop '%s' (a Contact or Record-Route) is not a "
			          "sip: or sips: URI",
			          next);
			c->njobs = 0;
			end_call(c, EXIT_PROTOCOL);
			return;
		} else if (!c->hop.ntargets || strcmp(next, c->hop_uri_buf) != 0) {
			memcpy(c->hop_uri_buf, next, sizeof next);
			sip_uri_parse(&c->hop_uri, sip_str_from(c->hop_uri_buf));
			c->hop_resolving = true;
			int rc = probe_dest_resolve(&c->pc, &c->hop, &c->hop_uri, on_hop, c);
			if (rc) {
				c->hop_resolving = false;
				c->njobs = 0;
				end_call(c, rc);
			}
			return;
		}
		memmove(c->jobs, c->jobs + 1, --c->njobs * sizeof c->jobs[0]);
		job.fn(c, &job);
	}
}

/* Runs fn once c->hop is where d's requests go; rack is a PRACK's. */
static void with_rack(struct call *c, struct sip_dialog *d,
                      void (*fn)(struct call *c, const struct hop_job *job), const char *rack)
{
	if (c->njobs == MAX_JOBS) {
		cmd_error(c->cmd, "too many requests waiting for the next hop");
		end_call(c, EXIT_INTERNAL);
		return;
	}
	struct hop_job *job = &c->jobs[c->njobs++];
	*job = (struct hop_job){.d = d, .fn = fn};
	if (rack)
		snprintf(job->rack, sizeof job->rack, "%s", rack);
	run_jobs(c);
}

static void with_hop(struct call *c, struct sip_dialog *d,
                     void (*fn)(struct call *c, const struct hop_job *job))
{
	with_rack(c, d, fn, NULL);
}

static struct probe **free_slot(struct call *c)
{
	for (size_t i = 0; i < MAX_INFLIGHT; i++)
		if (!c->inflight[i])
			return &c->inflight[i];
	return NULL;
}

static int send_in_dialog(struct call *c, struct sip_dialog *d, enum sip_method m,
                          probe_done_h *done, const char *extra, const struct sip_buf *body)
{
	static const struct sip_build_hdr allow = {
		"Allow: INVITE, ACK, CANCEL, BYE, PRACK, UPDATE, OPTIONS"};
	struct sip_build_hdr hdrs[2];
	size_t nh = 0;
	/* Only a target refresh (re-INVITE, UPDATE) says again where we are and what we take. */
	bool refresh = m == SIP_INVITE || m == SIP_UPDATE;
	if (refresh)
		hdrs[nh++] = allow;
	if (extra)
		hdrs[nh++].line = extra;
	struct probe_spec ps = {
		.method = m,
		.dest = &c->hop,
		.done = done,
		.arg = c,
		.dialog = d,
		.headers = hdrs,
		.nheaders = nh,
		.content_type = body ? "application/sdp" : NULL,
		.body = body ? body->p : NULL,
		.body_len = body ? body->len : 0,
		.contact = refresh ? NULL : "",
		.handle = free_slot(c),
	};
	if (!ps.handle)
		return SIP_ENOSPC;
	int err = probe_start(&c->pc, &ps);
	if (err)
		cmd_error(c->cmd, "cannot send %s: %s", sip_method_name(m), sip_strerror(err));
	return err;
}

static void on_bye_done(struct probe *p, int err, const struct sip_msg *resp, uint64_t rtt)
{
	struct call *c = p->arg;
	bool auth = p->auth_failed;
	(void)rtt;
	probe_free(p);
	if (err) {
		cmd_error(c->cmd, "BYE: %s", sip_strerror(err));
		end_call(c, probe_exit_code(err));
		return;
	}
	c->bye_status = resp->status;
	if (resp->status >= 300) {
		cmd_error(c->cmd, "BYE: %u %.*s", resp->status, SIP_STR_FMT(resp->reason));
		end_call(c, auth ? EXIT_AUTH : EXIT_RESPONSE);
		return;
	}
	end_call(c, c->cancelled ? EXIT_RESPONSE : EXIT_OK);
}

static void send_bye(struct call *c, const struct hop_job *job)
{
	c->phase = ENDING;
	int err = send_in_dialog(c, job->d, SIP_BYE, on_bye_done, NULL, NULL);
	if (err)
		end_call(c, probe_exit_code(err));
}

/* The ACK for the last 2xx to an INVITE (§13.2.2.4), with a late offer's answer. */
static void send_ack(struct call *c, const struct hop_job *job)
{
	bool body = c->ack_body.len > 0;
	int err = probe_send_ack(&c->hop, job->d, c->ack_cseq, body ? "application/sdp" : NULL,
	                         body ? c->ack_body.p : NULL, c->ack_body.len, &c->ack);
	sip_buf_reset(&c->ack_body);
	if (err) {
		cmd_error(c->cmd, "cannot send the ACK: %s", sip_strerror(err));
		end_call(c, probe_exit_code(err));
		return;
	}
	step(c);
}

static uint32_t cseq_num(const struct sip_msg *m)
{
	const struct sip_hdr *h = m ? sip_msg_hdr(m, SIP_HDR_CSEQ) : NULL;
	struct sip_cseq cs;
	return h && sip_cseq_parse(&cs, h->value) == 0 ? cs.num : 0;
}

static void on_reinvite_done(struct probe *p, int err, const struct sip_msg *resp, uint64_t rtt)
{
	struct call *c = p->arg;
	(void)rtt;
	c->busy = false;
	c->reinvite_done = true;
	if (err) {
		cmd_error(c->cmd, "re-INVITE: %s", sip_strerror(err));
	} else if (resp->status < 300) {
		sip_dialog_update(c->dialog, resp);
		c->ack_cseq = cseq_num(probe_request(p));
		note_media(c, resp);
		probe_free(p);
		with_hop(c, c->dialog, send_ack);
		return;
	} else {
		/* The transaction ACKed it; the call goes on as it was (§14.1). */
		cmd_warn(c->cmd, "re-INVITE: %u %.*s", resp->status, SIP_STR_FMT(resp->reason));
	}
	probe_free(p);
	step(c);
}

static void on_update_done(struct probe *p, int err, const struct sip_msg *resp, uint64_t rtt)
{
	struct call *c = p->arg;
	(void)rtt;
	c->busy = false;
	c->update_done = true;
	if (err)
		cmd_error(c->cmd, "UPDATE: %s", sip_strerror(err));
	else if (resp->status >= 300)
		cmd_warn(c->cmd, "UPDATE: %u %.*s", resp->status, SIP_STR_FMT(resp->reason));
	else if (c->dialog)
		sip_dialog_update(c->dialog, resp);
	probe_free(p);
	step(c);
}

static void send_offer(struct call *c, struct sip_dialog *d, enum sip_method m,
                       enum sip_sdp_dir dir, probe_done_h *done)
{
	if (make_offer(c, dir, &c->offer) != 0) {
		cmd_error(c->cmd, "cannot build the SDP offer");
		end_call(c, EXIT_INTERNAL);
		return;
	}
	c->busy = true;
	int err = send_in_dialog(c, d, m, done, NULL, &c->offer);
	if (err)
		end_call(c, probe_exit_code(err));
}

static void send_update(struct call *c, const struct hop_job *job)
{
	send_offer(c, job->d, SIP_UPDATE, SIP_SDP_SENDRECV, on_update_done);
}

static void send_reinvite(struct call *c, const struct hop_job *job)
{
	send_offer(c, job->d, SIP_INVITE, SIP_SDP_SENDONLY, on_reinvite_done);
}

/* What the confirmed call does next: UPDATE, re-INVITE, then BYE when due. */
static void step(struct call *c)
{
	if (c->phase != CONFIRMED || c->busy || c->njobs)
		return;
	if (c->update && !c->update_done)
		with_hop(c, c->dialog, send_update);
	else if (c->reinvite && !c->reinvite_done)
		with_hop(c, c->dialog, send_reinvite);
	else if (c->bye_due)
		with_hop(c, c->dialog, send_bye);
}

static void on_hold_over(void *arg)
{
	struct call *c = arg;
	c->bye_due = true;
	step(c);
}

/* ---- CANCEL ---- */

static void on_cancel_resp(struct probe *p, int err, const struct sip_msg *resp)
{
	struct call *c = p->arg;
	(void)resp;
	/* A 481 means the final response crossed the CANCEL: it is on its way. */
	if (err)
		cmd_warn(c->cmd, "CANCEL: %s", sip_strerror(err));
}

/* The INVITE is CANCELled (§9.1); given up 64*T1 later without a final response. */
static void send_cancel(struct call *c)
{
	if (!c->invite || c->phase != RINGING)
		return;
	int err = probe_cancel(c->invite);
	if (err) {
		cmd_error(c->cmd, "cannot send CANCEL: %s", sip_strerror(err));
		end_call(c, EXIT_INTERNAL);
		return;
	}
	c->phase = CANCELLING;
}

/* No answer in time, or Ctrl-C: CANCEL, once something rings (§9.1). */
static void want_cancel(struct call *c, const char *why)
{
	if (c->cancel_wanted)
		return;
	c->cancel_wanted = true;
	if (!c->cc.quiet)
		fprintf(stderr, "sip: invite: %s: cancelling\n", why);
	send_cancel(c);
}

static void on_ring_timeout(void *arg)
{
	struct call *c = arg;
	char why[64];
	snprintf(why, sizeof why, "no answer after %lu s", c->ring_timeout_s);
	want_cancel(c, why);
}

/* ---- provisional responses and PRACK (RFC 3262) ---- */

static struct early *early_for(struct call *c, const struct sip_msg *req,
                               const struct sip_msg *resp)
{
	for (size_t i = 0; i < c->nearly; i++)
		if (c->early[i].d && sip_dialog_match(c->early[i].d, resp))
			return &c->early[i];
	if (c->nearly == MAX_EARLY || sip_dialog_new_uac(&c->early[c->nearly].d, req, resp) != 0)
		return NULL;
	return &c->early[c->nearly++];
}

static void on_prack_done(struct probe *p, int err, const struct sip_msg *resp, uint64_t rtt)
{
	struct call *c = p->arg;
	(void)rtt;
	if (err)
		cmd_warn(c->cmd, "PRACK: %s", sip_strerror(err));
	else if (resp->status >= 300)
		cmd_warn(c->cmd, "PRACK: %u %.*s", resp->status, SIP_STR_FMT(resp->reason));
	probe_free(p);
	/* --update in the early dialog, once its offer has been answered. */
	if (!err && resp->status < 300 && c->update && !c->update_done && !c->busy &&
	    c->phase == RINGING && c->early[0].answered)
		with_hop(c, c->early[0].d, send_update);
}

static void send_prack(struct call *c, const struct hop_job *job)
{
	int err = send_in_dialog(c, job->d, SIP_PRACK, on_prack_done, job->rack, NULL);
	if (err)
		cmd_warn(c->cmd, "no PRACK sent: %s", sip_strerror(err));
}

/* A 1xx with Require: 100rel gets one PRACK; its retransmissions none (RFC 3262 §4). */
static void prack(struct call *c, const struct sip_msg *req, const struct sip_msg *resp)
{
	const struct sip_hdr *rs = sip_msg_hdr(resp, SIP_HDR_RSEQ);
	uint64_t rseq;
	uint32_t cseq = cseq_num(resp);
	if (!rs || sip_hdr_uint(rs->value, UINT32_MAX, &rseq) != 0 || rseq == 0 || !cseq) {
		cmd_warn(c->cmd, "%u with Require: 100rel and no valid RSeq: not acknowledged",
		         resp->status);
		return;
	}
	struct early *e = early_for(c, req, resp);
	if (!e) {
		cmd_warn(c->cmd, "%u with Require: 100rel and no To tag: not acknowledged",
		         resp->status);
		return;
	}
	if (e->rseq && rseq <= e->rseq) {
		if (!c->cc.quiet)
			fprintf(stderr, "sip: invite: %u with RSeq %llu again: already PRACKed\n",
			        resp->status, (unsigned long long)rseq);
		return;
	}
	e->rseq = (uint32_t)rseq;
	if (has_sdp(resp))
		e->answered = true;
	char rack[sizeof c->jobs[0].rack];
	snprintf(rack, sizeof rack, "RAck: %llu %lu INVITE", (unsigned long long)rseq,
	         (unsigned long)cseq);
	with_rack(c, e->d, send_prack, rack);
}

static bool requires_100rel(const struct sip_msg *m)
{
	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_REQUIRE); h;
	     h = sip_msg_hdr_next(m, h)) {
		struct sip_str list = h->value, e;
		while (sip_list_next(&list, &e) == 1)
			if (sip_str_ieq(e, SIP_STR("100rel")))
				return true;
	}
	return false;
}

static void on_provisional(struct probe *p, const struct sip_msg *resp)
{
	struct call *c = p->arg;
	if (c->phase == DONE)
		return;
	if (!c->t_ring && resp->status > 100)
		c->t_ring = sip_loop_now(c->pc.loop);
	if (c->phase == CALLING)
		c->phase = RINGING;
	note_media(c, resp);
	const struct sip_msg *req = probe_request(p);
	if (req && resp->status > 100 && c->prack && requires_100rel(resp))
		prack(c, req, resp);
	if (c->cancel_wanted)
		send_cancel(c);
}

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
		c->phase = CALLING;
		for (; c->nearly > 0; c->nearly--)
			sip_dialog_free(c->early[c->nearly - 1].d);
		if (probe_dest_resolve(&c->pc, &c->dest, &c->redirect, on_redirect_dest, c) == 0)
			return true;
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
		cmd_warn(c->cmd, "cannot resolve '%s': %s", c->redirect_buf, sip_strerror(err));
		if (!follow_next(c))
			end_call(c, EXIT_RESPONSE);
		return;
	}
	start_invite(c);
}

/* ---- the INVITE's final response ---- */

static bool to_tagged(const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_TO);
	struct sip_addr to;
	return h && sip_addr_parse(&to, h->value) == 0 && to.tag.len > 0;
}

/* A 2xx: the dialog, the ACK (with the answer to a late offer), the hold. */
static void confirm(struct call *c, const struct sip_msg *req, const struct sip_msg *resp)
{
	c->t_answer = sip_loop_now(c->pc.loop);
	c->answered = true;
	/* The early dialog of this answer goes on, with the CSeq its PRACKs used;
	 * the 2xx replaces its route set (§12.1.2). */
	for (size_t i = 0; i < c->nearly && !c->dialog; i++) {
		if (c->early[i].d && sip_dialog_match(c->early[i].d, resp) &&
		    sip_dialog_update(c->early[i].d, resp) == 0) {
			c->dialog = c->early[i].d;
			c->early[i].d = NULL;
		}
	}
	const struct sip_hdr *contact = sip_msg_hdr(resp, SIP_HDR_CONTACT);
	if (!c->dialog && sip_dialog_new_uac(&c->dialog, req, resp) != 0) {
		cmd_error(c->cmd, "%u %.*s makes no dialog: %s", resp->status,
		          SIP_STR_FMT(resp->reason),
		          !to_tagged(resp) ? "it has no To tag"
		          : contact        ? "its Contact is not a URI"
		                           : "its From, To or Call-ID differ");
		end_call(c, EXIT_PROTOCOL);
		return;
	}
	if (sip_ua_dialog_add(c->pc.ua, c->dialog, on_request, on_stray, c) != 0) {
		cmd_error(c->cmd, "out of memory");
		end_call(c, EXIT_INTERNAL);
		return;
	}
	if (!contact)
		cmd_warn(c->cmd,
		         "%u %.*s has no Contact (RFC 3261 section 13.3.1.4): the ACK and BYE "
		         "go to the Request-URI",
		         resp->status, SIP_STR_FMT(resp->reason));
	c->ack_cseq = c->answered_cseq = cseq_num(req);
	sip_buf_reset(&c->answered_invite);
	if (sip_buf_append(&c->answered_invite, req->raw.p, req->raw.len) != 0)
		sip_buf_reset(
			&c->answered_invite); /* its forks then go unanswered, with a warning */
	note_media(c, resp);
	sip_timer_cancel(c->pc.loop, &c->ring_timer);
	if (c->phase == CANCELLING || c->cancel_wanted) {
		/* Answered as the CANCEL went out: the call exists, so it is hung up. */
		c->cancelled = true;
		c->bye_due = true;
	} else if (!c->hold_forever) {
		sip_timer_start(c->pc.loop, &c->hold_timer, (uint64_t)c->duration_s * 1000000u,
		                on_hold_over, c);
	}
	c->phase = CONFIRMED;
	if (c->no_sdp && has_sdp(resp) && make_answer(c, resp, &c->ack_body) != 0) {
		cmd_warn(c->cmd,
		         "no codec in common with the 2xx's offer: the ACK carries no answer");
		sip_buf_reset(&c->ack_body);
	}
	with_hop(c, c->dialog, send_ack);
}

static void on_invite_done(struct probe *p, int err, const struct sip_msg *resp, uint64_t rtt)
{
	struct call *c = p->arg;
	bool auth = p->auth_failed;
	(void)rtt;
	if (err == SIP_ETIMEDOUT && c->phase == CANCELLING) {
		probe_free(p);
		cmd_error(c->cmd, "no final response %.1f s after the CANCEL; giving up",
		          (double)(64 * t1_us(c)) / 1e6);
		c->cancelled = true;
		end_call(c, EXIT_TIMEOUT);
		return;
	}
	if (err) {
		probe_free(p);
		/* ESYNTAX: the stream broke, or only unparsable answers came. */
		snprintf(c->reason, sizeof c->reason, "%s",
		         err == SIP_ESYNTAX ? "only answers that do not parse" : sip_strerror(err));
		if (c->phase == CANCELLING)
			c->cancelled = true;
		else if (next_redirect(c, c->reason))
			return;
		cmd_error(c->cmd, "INVITE to '%s': %s", c->dest.ruri_text, c->reason);
		end_call(c, probe_exit_code(err));
		return;
	}
	c->status = resp->status;
	snprintf(c->reason, sizeof c->reason, "%.*s", SIP_STR_FMT(resp->reason));
	if (resp->status < 300) {
		confirm(c, probe_request(p), resp);
		probe_free(p);
		return;
	}
	probe_free(p);
	if (c->phase == CANCELLING || (c->cancel_wanted && resp->status == 487)) {
		c->cancelled = true;
		end_call(c, EXIT_RESPONSE);
		return;
	}
	if (resp->status < 400) {
		take_contacts(c, resp);
		if (c->follow && follow_next(c))
			return;
	} else if (!auth) {
		char why[128];
		snprintf(why, sizeof why, "%u %s", resp->status, c->reason);
		if (next_redirect(c, why))
			return;
	}
	if (!auth)
		cmd_error(c->cmd, "'%s': %u %.*s", c->dest.ruri_text, resp->status,
		          SIP_STR_FMT(resp->reason));
	end_call(c, auth ? EXIT_AUTH : EXIT_RESPONSE);
}

static void start_invite(struct call *c)
{
	struct sip_build_hdr hdrs[2] = {
		{"Allow: INVITE, ACK, CANCEL, BYE, PRACK, UPDATE, OPTIONS"},
		{"Supported: 100rel"},
	};
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
	struct probe_spec ps = {
		.method = SIP_INVITE,
		.dest = &c->dest,
		.seq = c->seq,
		.done = on_invite_done,
		.arg = c,
		.to = c->cc.to ? NULL : c->to,
		.headers = hdrs,
		.nheaders = c->prack ? 2 : 1,
		.content_type = c->no_sdp ? NULL : "application/sdp",
		.body = c->no_sdp ? NULL : c->offer.p,
		.body_len = c->no_sdp ? 0 : c->offer.len,
		.provisional = on_provisional,
		.cancelled = on_cancel_resp,
		.handle = &c->invite,
	};
	err = probe_start(&c->pc, &ps);
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
		cmd_error(c->cmd, "cannot resolve '%s': %s", c->dest.ruri_text, sip_strerror(err));
		not_placed(c, EXIT_DNS, sip_strerror(err));
		return;
	}
	c->t_start = sip_loop_now(c->pc.loop);
	if (c->ring_timeout_s)
		sip_timer_start(c->pc.loop, &c->ring_timer, (uint64_t)c->ring_timeout_s * 1000000u,
		                on_ring_timeout, c);
	start_invite(c);
}

/* ---- what the far end sends ---- */

static void answer_in_dialog(struct call *c, struct sip_incoming *in, const struct sip_msg *req)
{
	static const struct sip_build_hdr allow[] = {
		{"Allow: INVITE, ACK, CANCEL, BYE, PRACK, UPDATE, OPTIONS"},
	};
	struct sip_response_spec rs = {.status = 200};
	struct sip_buf body;
	sip_buf_init(&body, 0);
	switch (req->method) {
	case SIP_BYE:
		sip_incoming_respond(in, &rs);
		c->ended_by_them = true;
		if (!c->cc.quiet)
			fprintf(stderr, "sip: invite: the far end hung up\n");
		end_call(c, EXIT_OK);
		return;
	case SIP_INVITE:
	case SIP_UPDATE:
		/* A target refresh: answer its offer, or offer ours again. */
		sip_dialog_update(c->dialog, req);
		note_media(c, req);
		if (has_sdp(req) ? make_answer(c, req, &body) == 0
		                 : req->method == SIP_INVITE &&
		                           make_offer(c, SIP_SDP_SENDRECV, &body) == 0) {
			rs.content_type = "application/sdp";
			rs.body = body.p;
			rs.body_len = body.len;
		} else if (has_sdp(req)) {
			rs.status = 488; /* Not Acceptable Here: no codec in common */
		}
		rs.contact = c->dest.contact;
		rs.headers = allow;
		rs.nheaders = 1;
		break;
	default: break;
	}
	sip_incoming_respond(in, &rs);
	sip_buf_reset(&body);
}

/* A request in the call's dialog; the rest get the stack's answers. */
static bool on_request(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct call *c = arg;
	if (c->phase == DONE || req->method == SIP_PRACK)
		return false;
	answer_in_dialog(c, in, req);
	return true;
}

static void on_fork_bye_done(struct probe *p, int err, const struct sip_msg *resp, uint64_t rtt)
{
	struct call *c = p->arg;
	(void)rtt;
	if (err)
		cmd_warn(c->cmd, "BYE to the other answer: %s", sip_strerror(err));
	else if (resp->status >= 300)
		cmd_warn(c->cmd, "BYE to the other answer: %u %.*s", resp->status,
		         SIP_STR_FMT(resp->reason));
	probe_free(p);
}

static struct fork *fork_of(struct call *c, const struct sip_dialog *d)
{
	for (size_t i = 0; i < c->nforks; i++)
		if (c->forks[i].d == d)
			return &c->forks[i];
	return NULL;
}

/* The ACK a 2xx wants, then the BYE, for we hold one call alone. */
static void hang_up_fork(struct call *c, const struct hop_job *job)
{
	struct fork *f = fork_of(c, job->d);
	bool body = f->answer.len > 0;
	int err = probe_send_ack(&c->hop, f->d, c->answered_cseq, body ? "application/sdp" : NULL,
	                         body ? f->answer.p : NULL, f->answer.len, &f->ack);
	if (!err)
		err = send_in_dialog(c, f->d, SIP_BYE, on_fork_bye_done, NULL, NULL);
	if (err)
		cmd_warn(c->cmd, "the other answer is not hung up: %s", sip_strerror(err));
}

/* A new fork of the answered INVITE, from m, its 2xx; NULL when m is not
 * one (another CSeq, another From tag) or there are too many. */
static struct fork *fork_new(struct call *c, const struct sip_msg *m, uint32_t cseq)
{
	if (!c->answered_invite.len || cseq != c->answered_cseq || c->nforks == MAX_FORKS)
		return NULL;
	struct sip_msg *req = malloc(sizeof *req);
	struct sip_dialog *d = NULL;
	if (req && sip_msg_parse(req, c->answered_invite.p, c->answered_invite.len, 0) == 0 &&
	    sip_dialog_new_uac(&d, req, m) == 0 && !sip_dialog_match(d, m)) {
		sip_dialog_free(d); /* not our From tag: not our call */
		d = NULL;
	}
	free(req);
	if (!d)
		return NULL;
	if (sip_ua_dialog_add(c->pc.ua, d, NULL, on_stray, c) != 0) {
		sip_dialog_free(d);
		return NULL;
	}
	struct fork *f = &c->forks[c->nforks++];
	f->d = d;
	probe_ack_init(&f->ack);
	sip_buf_init(&f->answer, 0);
	/* A late offer: even an ACK that comes before a BYE carries the answer. */
	if (c->no_sdp && has_sdp(m) && make_answer(c, m, &f->answer) != 0)
		sip_buf_reset(&f->answer);
	return f;
}

/* A 2xx after its INVITE transaction ended: the call's own again gets its
 * ACK again; another fork's gets an ACK and a BYE (§13.2.2.4). */
static void on_stray(const struct sip_msg *m, const struct sip_packet_info *pi, void *arg)
{
	struct call *c = arg;
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CSEQ);
	struct sip_cseq cs;
	(void)pi;
	if (m->is_request || m->status < 200 || m->status >= 300 || !h ||
	    sip_cseq_parse(&cs, h->value) != 0 || cs.method != SIP_INVITE)
		return;
	if (c->dialog && sip_dialog_match(c->dialog, m)) {
		if (c->ack.msg.len && cs.num == c->ack_cseq)
			probe_ack_resend(&c->ack);
		return;
	}
	for (size_t i = 0; i < c->nforks; i++) {
		if (sip_dialog_match(c->forks[i].d, m)) {
			if (c->forks[i].ack.msg.len)
				probe_ack_resend(&c->forks[i].ack);
			return;
		}
	}
	struct fork *f = fork_new(c, m, cs.num);
	if (!f) {
		cmd_warn(c->cmd, "a %u to an INVITE of no dialog of this call: not acknowledged",
		         m->status);
		return;
	}
	struct sip_addr to;
	const struct sip_hdr *th = sip_msg_hdr(m, SIP_HDR_TO);
	if (!c->cc.quiet && th && sip_addr_parse(&to, th->value) == 0)
		fprintf(stderr,
		        "sip: invite: another fork answered too (To tag '%.*s'): ACK and BYE\n",
		        SIP_STR_FMT(to.tag));
	with_hop(c, f->d, hang_up_fork);
}

/* ---- signals and the summary ---- */

static void on_signal(void *arg)
{
	struct call *c = arg;
	probe_prompt_cancel(&c->pc);
	switch (c->phase) {
	case CALLING:
	case RINGING:
	case CANCELLING: want_cancel(c, "interrupted"); return;
	case CONFIRMED:
		c->bye_due = true;
		step(c);
		return;
	default: break;
	}
	end_call(c, c->answered && !c->cancelled ? EXIT_OK : EXIT_RESPONSE);
}

static void print_summary(const struct call *c)
{
	const char *ended = !c->answered       ? NULL
	                    : c->ended_by_them ? "them"
	                    : c->bye_status    ? "us"
	                                       : "nobody";
	double held = c->answered ? (double)(c->t_end - c->t_answer) / 1e6 : 0.0;
	if (c->cc.format == SIP_PRINT_JSON) {
		printf("{\"summary\":{\"target\":");
		sip_print_json_str(stdout, sip_str_from(c->dest.ruri_text));
		printf(",\"status\":%u,\"reason\":", c->status);
		sip_print_json_str(stdout, sip_str_from(c->reason));
		printf(",\"answered\":%s,\"cancelled\":%s", c->answered ? "true" : "false",
		       c->cancelled ? "true" : "false");
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
		printf(",\"exit\":%d}}\n", c->rc);
		return;
	}
	if (c->cc.format != SIP_PRINT_PRETTY && !c->cc.quiet)
		return;
	if (c->answered)
		printf("%-12s%u %s after %.3f s", "Call:", c->status, c->reason,
		       secs(c, c->t_answer));
	else if (c->cancelled)
		printf("%-12scancelled after %.3f s%s%s", "Call:", secs(c, c->t_end),
		       c->status ? ": " : "", c->status ? c->reason : "");
	else if (c->status)
		printf("%-12s%u %s after %.3f s", "Call:", c->status, c->reason, secs(c, c->t_end));
	else
		printf("%-12sno answer: %s", "Call:", c->reason[0] ? c->reason : "interrupted");
	if (c->t_ring)
		printf(" (ringing at %.3f s)", secs(c, c->t_ring));
	printf("\n");
	if (c->media[0])
		printf("%-12s%s\n", "Media:", c->media);
	if (ended && c->answered && !c->cancelled && !c->bye_status && !c->ended_by_them)
		printf("%-12sheld %.3f s, then failed without a BYE\n", "Ended:", held);
	else if (ended && c->answered && !c->cancelled)
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
	bool duration = false;
	c->rtp_port = 4000;
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
		}
	}
	if (key == -3)
		return -1;
	if (key == -2)
		return EXIT_USAGE;
	c->hold_forever = !duration;
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
	if (cmd_parse_target(c->cmd, argv[optind], c->target_buf, sizeof c->target_buf, &c->target))
		return EXIT_USAGE;
	if (c->target.scheme != SIP_URI_SIP && c->target.scheme != SIP_URI_SIPS) {
		cmd_error(c->cmd, "bad target '%s': expected a sip: or sips: URI", argv[optind]);
		return EXIT_USAGE;
	}
	snprintf(c->to, sizeof c->to, "<%s>", c->target_buf);
	return c->sdp_file ? read_sdp_file(c) : 0;
}

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
	sip_buf_init(&c->ack_body, 0);
	probe_ack_init(&c->ack);
	sip_buf_init(&c->answered_invite, 0);
	/* The diagram comes by itself at the end of a pretty run on a terminal. */
	bool tty_pretty = c->cc.format == SIP_PRINT_PRETTY && !c->cc.quiet && isatty(STDOUT_FILENO);
	struct probe_setup setup = {.show_messages = !c->cc.quiet,
	                            .ladder = c->ladder || tty_pretty};
	if ((rc = probe_ctx_init(&c->pc, self, &c->cc, &setup)) != 0) {
		free(c);
		return rc;
	}
	sip_ua_stray(c->pc.ua, on_stray, c);
	rc = probe_dest_resolve(&c->pc, &c->dest, &c->target, on_dest, c);
	if (rc == 0) {
		struct cmd_run run;
		cmd_run(&run, c->pc.loop, on_signal, c);
		if (run.forced) {
			/* Stopped at once: what was under way is left as it is. */
			c->cancelled = c->cancelled || !c->answered;
			end_call(c, run.forced);
		}
		rc = c->rc;
		if (c->pc.ladder)
			probe_print_ladder(&c->pc,
			                   c->cc.format == SIP_PRINT_JSON ? stderr : stdout);
		print_summary(c);
	}
	probe_free(c->invite);
	for (size_t i = 0; i < MAX_INFLIGHT; i++)
		probe_free(c->inflight[i]);
	for (size_t i = 0; i < c->nearly; i++)
		sip_dialog_free(c->early[i].d);
	sip_ua_dialog_remove(c->pc.ua, c->dialog);
	sip_dialog_free(c->dialog);
	for (size_t i = 0; i < c->nforks; i++) {
		sip_ua_dialog_remove(c->pc.ua, c->forks[i].d);
		sip_dialog_free(c->forks[i].d);
		probe_ack_reset(&c->forks[i].ack);
		sip_buf_reset(&c->forks[i].answer);
	}
	sip_timer_cancel(c->pc.loop, &c->ring_timer);
	sip_timer_cancel(c->pc.loop, &c->hold_timer);
	sip_timer_cancel(c->pc.loop, &c->stop_timer);
	probe_ctx_reset(&c->pc);
	cmd_signals_done();
	sip_buf_reset(&c->offer);
	sip_buf_reset(&c->ack_body);
	probe_ack_reset(&c->ack);
	sip_buf_reset(&c->answered_invite);
	free(c);
	return rc;
}
