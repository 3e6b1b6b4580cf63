/* listen_call.c - the calls of `sip listen`: an INVITE rung and answered
 * (or declined) as the options say, held and resumed by the caller's
 * re-INVITEs, DTMF by INFO, ended by either side; and, with
 * --accept-refer, a transfer (RFC 3515): the call the REFER names placed
 * as `sip invite` would, its progress in NOTIFYs, the old call hung up
 * when the new one is answered. */
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <limits.h>

#include "listen.h"

static struct lcall **slot_of(struct listener *ls, const struct lcall *lc)
{
	for (size_t i = 0; i < LISTEN_MAX_CALLS; i++)
		if (ls->calls[i] == lc)
			return &ls->calls[i];
	return NULL;
}

unsigned listen_calls_live(const struct listener *ls)
{
	unsigned n = 0;
	for (size_t i = 0; i < LISTEN_MAX_CALLS; i++)
		n += ls->calls[i] != NULL;
	return n;
}

bool listen_busy(const struct listener *ls)
{
	for (size_t i = 0; i < LISTEN_MAX_CALLS; i++)
		if (ls->calls[i] && ls->calls[i]->phase == LCALL_CONFIRMED)
			return true;
	return false;
}

static double held_s(const struct lcall *lc)
{
	uint64_t now = sip_loop_now(lc->ls->pc.loop);
	return lc->t_answer && now > lc->t_answer ? (double)(now - lc->t_answer) / 1e6 : 0.0;
}

/* "Call 2:" */
static void label(const struct lcall *lc, char *buf, size_t cap)
{
	snprintf(buf, cap, "Call %u:", lc->id.n);
}

/* A line and a JSON event for the call: event is the word for jq. */
static void say(struct lcall *lc, const char *event, const char *fmt, ...) SIP_PRINTF(3, 4);
static void say(struct lcall *lc, const char *event, const char *fmt, ...)
{
	char lab[32], fields[800], jp[700];
	va_list ap;
	label(lc, lab, sizeof lab);
	snprintf(fields, sizeof fields, ",\"call\":%u,\"event\":\"%s\",\"peer\":%s", lc->id.n,
	         event, listen_jstr(jp, sizeof jp, lc->id.peer));
	va_start(ap, fmt);
	listen_vsay(lc->ls, lab, "call", fields, fmt, ap);
	va_end(ap);
}

/* ---- the session description ---- */

/* The address media goes to: the one the INVITE came in on, bare. */
static void media_addr(const struct sip_sockaddr *local, char *buf, size_t cap)
{
	if (sip_sockaddr_host(local, buf, cap) < 0)
		snprintf(buf, cap, "127.0.0.1");
}

/* "PCMU/8000 at 192.0.2.1:4000, sendrecv": the far end's side of it. */
static void media_text(const struct sip_msg *m, char *buf, size_t cap, enum sip_sdp_dir *dir)
{
	struct sip_sdp sdp;
	buf[0] = '\0';
	*dir = SIP_SDP_SENDRECV;
	if (!sip_sdp_in(m) || sip_sdp_parse(&sdp, m->body) != 0 || !sdp.nmedia)
		return;
	const struct sip_sdp_media *md = &sdp.media[0];
	struct sip_str conn = md->conn;
	const char *sp;
	while (conn.len && (sp = memchr(conn.p, ' ', conn.len)) != NULL)
		conn = (struct sip_str){sp + 1, conn.len - (size_t)(sp + 1 - conn.p)};
	*dir = md->dir != SIP_SDP_SENDRECV ? md->dir : sdp.dir;
	bool v6 = conn.len && memchr(conn.p, ':', conn.len) != NULL;
	char codec[64] = "-", addr[96];
	if (md->ncodecs)
		cmd_safe(codec, sizeof codec, md->codecs[0].name);
	cmd_safe(addr, sizeof addr, conn);
	snprintf(buf, cap, "%s/%u at %s%s%s:%u, %s", codec, md->ncodecs ? md->codecs[0].rate : 0,
	         v6 ? "[" : "", addr, v6 ? "]" : "", md->port, sip_sdp_dir_name(*dir));
}

static int make_sdp(struct lcall *lc, const struct sip_msg *offer_msg, struct sip_buf *out)
{
	struct listener *ls = lc->ls;
	struct sip_sdp_spec s = {
		.addr = lc->media,
		.port = (uint16_t)ls->rtp_port,
		.session_id = ls->sdp_session + lc->id.n,
		.version = ++lc->sdp_version,
	};
	struct sip_sdp offer;
	if (!offer_msg || !sip_sdp_in(offer_msg))
		return sip_sdp_build_offer(out, &s);
	int err = sip_sdp_parse(&offer, offer_msg->body);
	return err ? err : sip_sdp_build_answer(out, &offer, &s);
}

static int on_sdp(struct sip_call *call, const struct sip_msg *m, struct sip_buf *out, void *arg)
{
	(void)call;
	return make_sdp(arg, m, out);
}

/* ---- the end of a call ---- */

static void draw(void *arg)
{
	struct listener *ls = arg;
	for (size_t i = 0; i < sizeof ls->drawn / sizeof ls->drawn[0]; i++) {
		if (!ls->drawn[i].ladder)
			continue;
		probe_print_ladder_of(&ls->pc, ls->drawn[i].ladder,
		                      listen_json_on(ls) ? stderr : stdout);
		sip_ladder_free(ls->drawn[i].ladder);
		ls->drawn[i].ladder = NULL;
	}
}

/* The call's diagram is drawn once what its end sends is out. */
static void print_ladder(struct lcall *lc)
{
	struct listener *ls = lc->ls;
	size_t n = sizeof ls->drawn / sizeof ls->drawn[0], i = 0;
	if (!lc->ladder)
		return;
	while (i < n && ls->drawn[i].ladder)
		i++;
	if (i == n) {
		draw(ls);
		i = 0;
	}
	ls->drawn[i].ladder = lc->ladder;
	memcpy(ls->drawn[i].call_id, lc->id.call_id, sizeof lc->id.call_id);
	lc->ladder = NULL;
	sip_timer_start(ls->pc.loop, &ls->draw_timer, 0, draw, ls);
}

/* The call is gone: its line, its diagram, its slot; the subscribers told. */
static void call_gone(struct lcall *lc)
{
	struct listener *ls = lc->ls;
	struct lcall **slot = slot_of(ls, lc);
	bool counted = !lc->id.outgoing || lc->counted;
	if (lc->owner)
		sip_ua_dialog_remove(ls->pc.ua, lc->dlg, lc);
	print_ladder(lc);
	if (lc->xfer)
		lc->xfer->call = NULL;
	struct sip_call *call = lc->call;
	lc->call = NULL;
	sip_timer_cancel(ls->pc.loop, &lc->ring_timer);
	sip_timer_cancel(ls->pc.loop, &lc->hold_timer);
	ls->gone[ls->ngone++ % (sizeof ls->gone / sizeof ls->gone[0])] = lc->id;
	struct lxfer *referred = lc->referred;
	sip_ladder_free(lc->ladder);
	sip_buf_reset(&lc->answer_sdp);
	if (slot)
		*slot = NULL;
	free(lc);
	if (referred)
		listen_xfer_detach(referred, call);
	else
		sip_call_free(call);
	listen_state_changed(ls, LISTEN_CALLS);
	if (counted)
		listen_done_one(ls);
	listen_maybe_stop(ls);
}

static void on_done(struct sip_call *call, enum sip_call_end how, int err, const struct sip_msg *m,
                    void *arg)
{
	struct lcall *lc = arg;
	(void)call;
	char why[160];
	unsigned status = m && !m->is_request ? m->status : 0;
	lc->phase = LCALL_TERMINATED;
	switch (how) {
	case SIP_CALL_END_REMOTE:
		snprintf(why, sizeof why, "ended by the far end's BYE after %.3f s", held_s(lc));
		break;
	case SIP_CALL_END_CANCELLED:
		snprintf(why, sizeof why, "%s",
		         lc->id.outgoing ? "cancelled"
		                         : "cancelled by the caller: 487 to the INVITE");
		break;
	case SIP_CALL_END_BYE:
		if (err)
			snprintf(why, sizeof why, "hung up after %.3f s; the BYE: %s", held_s(lc),
			         sip_strerror(err));
		else
			snprintf(why, sizeof why, "hung up after %.3f s; the BYE got %u",
			         held_s(lc), status);
		break;
	case SIP_CALL_END_NO_ACK:
		snprintf(why, sizeof why, "no ACK for our 200 within 64*T1: hung up");
		break;
	case SIP_CALL_END_FAILED:
		if (lc->id.outgoing && m)
			snprintf(why, sizeof why, "%u %.*s", m->status, SIP_STR_FMT(m->reason));
		else if (err)
			snprintf(why, sizeof why, "failed: %s", sip_strerror(err));
		else if (lc->hung_up)
			snprintf(why, sizeof why, "hung up before the answer: 486 Busy Here");
		else
			snprintf(why, sizeof why, "declined with %u %s", lc->declined,
			         sip_status_reason(lc->declined));
		break;
	case SIP_CALL_END_EXPIRED: snprintf(why, sizeof why, "the session timer ran out"); break;
	case SIP_CALL_END_NO_DIALOG:
		snprintf(why, sizeof why, "the %u makes no dialog", status);
		break;
	case SIP_CALL_END_ERROR:
	default: snprintf(why, sizeof why, "cannot go on: %s", sip_strerror(err)); break;
	}
	say(lc, "ended", "%s", why);
	if (lc->xfer) {
		char reason[64];
		if (m && !m->is_request && status >= 300)
			cmd_safe(reason, sizeof reason, m->reason);
		else
			snprintf(reason, sizeof reason, "%s",
			         err ? sip_strerror(err) : "Terminated");
		listen_xfer_ended(lc->xfer, status >= 300 ? status : (err ? 503 : 487), reason);
	}
	call_gone(lc);
}

/* ---- what happens in the call ---- */

/* DTMF by INFO (application/dtmf-relay's Signal=, or application/dtmf's digit). */
static bool dtmf_of(const struct sip_msg *req, char *buf, size_t cap)
{
	const struct sip_hdr *ct = sip_msg_hdr(req, SIP_HDR_CONTENT_TYPE);
	struct sip_ctype t;
	if (!ct || sip_ctype_parse(&t, ct->value) != 0 || !sip_str_ieq_cstr(t.type, "application"))
		return false;
	struct sip_str b = req->body;
	if (sip_str_ieq_cstr(t.subtype, "dtmf")) {
		cmd_safe(buf, cap, sip_str_trim(b));
		return true;
	}
	if (!sip_str_ieq_cstr(t.subtype, "dtmf-relay"))
		return false;
	for (size_t i = 0; i + 7 <= b.len; i++) {
		if ((i == 0 || b.p[i - 1] == '\n') && strncasecmp(b.p + i, "Signal=", 7) == 0) {
			size_t j = i + 7, k = j;
			while (k < b.len && b.p[k] != '\r' && b.p[k] != '\n')
				k++;
			cmd_safe(buf, cap, sip_str_trim((struct sip_str){b.p + j, k - j}));
			return true;
		}
	}
	return false;
}

/* Requests in the confirmed call that the call leaves to us: INFO, REFER. */
static bool on_call_request(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct lcall *lc = arg;
	char digits[64], text[300];
	if (req->method == SIP_REFER)
		return listen_refer(lc->ls, lc, in, req);
	if (req->method != SIP_INFO)
		return false;
	struct sip_response_spec rs = {.status = 200};
	if (dtmf_of(req, digits, sizeof digits)) {
		say(lc, "dtmf", "DTMF %s (INFO)", digits);
	} else {
		cmd_safe(text, sizeof text, req->body);
		say(lc, "info", "INFO%s%s", text[0] ? ": " : "", text);
	}
	sip_incoming_respond(in, &rs);
	return true;
}

/* Our BYE or CANCEL: for dialog-info the dialog is over now (RFC 4235). */
int listen_call_hangup(struct lcall *lc)
{
	int err = sip_call_hangup(lc->call);
	if (!err) {
		lc->hung_up = true;
		lc->phase = LCALL_TERMINATED;
		listen_state_changed(lc->ls, LISTEN_CALLS);
	}
	return err;
}

static void on_hold_over(void *arg)
{
	listen_call_hangup(arg);
}

static void on_answered(struct lcall *lc, const struct sip_msg *m)
{
	struct listener *ls = lc->ls;
	char media[200];
	enum sip_sdp_dir dir;
	lc->phase = LCALL_CONFIRMED;
	lc->t_answer = sip_loop_now(ls->pc.loop);
	media_text(m, media, sizeof media, &dir);
	if (!media[0])
		snprintf(media, sizeof media, "%s", lc->far_media);
	say(lc, "answered", "%s%s%s", lc->id.outgoing ? "answered" : "confirmed (ACK)",
	    media[0] ? ": " : "", media);
	lc->dlg = sip_call_dialog(lc->call);
	if (lc->dlg && sip_ua_dialog_add(ls->pc.ua, lc->dlg, on_call_request, NULL, lc) == 0)
		lc->owner = true;
	if (ls->duration_set)
		sip_timer_start(ls->pc.loop, &lc->hold_timer, ls->duration_us, on_hold_over, lc);
	listen_state_changed(ls, LISTEN_CALLS);
	if (lc->xfer) {
		char reason[64];
		listen_xfer_progress(lc->xfer, m->status,
		                     cmd_safe(reason, sizeof reason, m->reason));
	}
}

/* A re-INVITE or UPDATE: hold and resume are what the far end's direction says. */
static void on_refreshed(struct lcall *lc, const struct sip_msg *m)
{
	char media[200];
	enum sip_sdp_dir dir;
	media_text(m, media, sizeof media, &dir);
	if (!media[0])
		return;
	bool hold = dir == SIP_SDP_SENDONLY || dir == SIP_SDP_INACTIVE;
	if (hold && !lc->held)
		say(lc, "held", "put on hold by the far end (%s)", sip_sdp_dir_name(dir));
	else if (!hold && lc->held)
		say(lc, "resumed", "taken off hold: %s", media);
	else
		say(lc, "refreshed", "%.*s: %s", SIP_STR_FMT(m->method_name), media);
	lc->held = hold;
}

static void on_ring_over(void *arg);

static void on_event(struct sip_call *call, enum sip_call_event ev, int err,
                     const struct sip_msg *m, void *arg)
{
	struct lcall *lc = arg;
	char reason[64];
	(void)call;
	switch (ev) {
	case SIP_CALL_PROGRESS:
		if (m->status > 100 && lc->phase == LCALL_TRYING) {
			lc->phase = LCALL_EARLY;
			say(lc, "ringing", "%u %s", m->status,
			    cmd_safe(reason, sizeof reason, m->reason));
			listen_state_changed(lc->ls, LISTEN_CALLS);
		}
		if (lc->xfer && m->status > 100)
			listen_xfer_progress(lc->xfer, m->status,
			                     cmd_safe(reason, sizeof reason, m->reason));
		break;
	case SIP_CALL_PRACKED:
		lc->pracked = lc->pracked || !err;
		if (lc->answer_due && lc->pracked)
			on_ring_over(lc);
		if (lc->ls->cc.verbose || err)
			say(lc, "pracked", "PRACK%s%s", err ? ": " : "",
			    err ? sip_strerror(err) : " received");
		break;
	case SIP_CALL_ANSWERED: on_answered(lc, m); break;
	case SIP_CALL_REFRESHED: on_refreshed(lc, m); break;
	default: break;
	}
}

/* ---- the callee ---- */

static void on_ring_over(void *arg)
{
	struct lcall *lc = arg;
	struct listener *ls = lc->ls;
	int err;
	/* --100rel: the answer waits for the 180's PRACK (or the 500 that
	 * ends the call when none comes). */
	lc->answer_due = lc->reliable && !lc->pracked;
	if (lc->answer_due)
		return;
	if (ls->answer >= 300) {
		lc->declined = (unsigned)ls->answer;
		err = sip_call_answer(lc->call, lc->declined, NULL, NULL, 0);
	} else {
		err = sip_call_answer(lc->call, 200, "application/sdp", lc->answer_sdp.p,
		                      lc->answer_sdp.len);
		if (!err)
			say(lc, "answering", "200 OK%s", lc->late_offer ? ", with an offer" : "");
	}
	if (err)
		say(lc, "error", "cannot answer: %s", sip_strerror(err));
}

/* 180 (reliable with --100rel when the caller takes it), then the answer. */
static void ring(struct lcall *lc)
{
	struct listener *ls = lc->ls;
	if (ls->ring_us == 0) {
		lc->reliable = false; /* no 180, so no PRACK to wait for */
		on_ring_over(lc);
		return;
	}
	/* A late offer's offer goes in the first reliable response (RFC 3262
	 * section 5): its answer comes in the PRACK. */
	bool offer = lc->late_offer && lc->reliable;
	int err = offer ? sip_call_answer(lc->call, 180, "application/sdp", lc->answer_sdp.p,
	                                  lc->answer_sdp.len)
	                : sip_call_answer(lc->call, 180, NULL, NULL, 0);
	if (err) {
		say(lc, "error", "cannot ring: %s", sip_strerror(err));
		return;
	}
	lc->phase = LCALL_EARLY;
	listen_state_changed(ls, LISTEN_CALLS);
	/* In the shell, the user answers. */
	if (ls->session && !cmd_host->answer_auto()) {
		say(lc, "ringing", "180 Ringing, %s calls %s: 'answer %u' or 'reject %u [CODE]'",
		    lc->id.peer, lc->called, lc->id.n, lc->id.n);
		return;
	}
	say(lc, "ringing", "180 Ringing for %g s%s", (double)ls->ring_us / 1e6,
	    lc->reliable ? ", reliably (100rel)" : "");
	sip_timer_start(ls->pc.loop, &lc->ring_timer, ls->ring_us, on_ring_over, lc);
}

static struct lcall *call_numbered(struct listener *ls, const char *arg)
{
	unsigned long n;
	if (arg && cmd_uint(arg, 1, UINT_MAX, &n) == 0)
		for (size_t i = 0; i < LISTEN_MAX_CALLS; i++)
			if (ls->calls[i] && ls->calls[i]->id.n == n && !ls->calls[i]->id.outgoing)
				return ls->calls[i];
	return NULL;
}

int listen_call_act(struct listener *ls, int argc, char **argv)
{
	const char *verb = argv[0];
	struct lcall *lc = call_numbered(ls, argc > 1 ? argv[1] : NULL);
	unsigned long code = 0;
	if (!lc) {
		fprintf(stderr, "sip: %s: no call %s (see 'calls')\n", verb,
		        argc > 1 ? argv[1] : "");
		return EXIT_USAGE;
	}
	bool reject = strcmp(verb, "reject") == 0;
	if (strcmp(verb, "bye") != 0 && strcmp(verb, "answer") != 0 && !reject) {
		fprintf(stderr, "sip: %s: call %u came in: answer, reject and bye act on it\n",
		        verb, lc->id.n);
		return EXIT_USAGE;
	}
	if (argc > (reject ? 3 : 2)) {
		fprintf(stderr, "sip: usage: %s N%s\n", verb, reject ? " [CODE]" : "");
		return EXIT_USAGE;
	}
	bool ringing = lc->phase == LCALL_EARLY || lc->phase == LCALL_TRYING;
	if (strcmp(verb, "bye") == 0) {
		int err = ringing ? sip_call_answer(lc->call, 486, NULL, NULL, 0)
		                  : listen_call_hangup(lc);
		return err ? EXIT_USAGE : EXIT_OK;
	}
	if (!ringing || sip_timer_armed(&lc->ring_timer)) {
		fprintf(stderr, "sip: %s: call %u is %s\n", verb, lc->id.n,
		        ringing ? "answered by itself (set answer auto)" : "answered already");
		return EXIT_USAGE;
	}
	if (strcmp(verb, "answer") == 0) {
		on_ring_over(lc);
		return EXIT_OK;
	}
	if (argc > 2 && cmd_uint(argv[2], 300, 699, &code) != 0) {
		fprintf(stderr, "sip: reject: '%s': a status from 300 to 699\n", argv[2]);
		return EXIT_USAGE;
	}
	lc->declined = code ? (unsigned)code : 486;
	int err = sip_call_answer(lc->call, lc->declined, NULL, NULL, 0);
	return err ? EXIT_USAGE : EXIT_OK;
}

size_t listen_call_numbers(const struct listener *ls, unsigned *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < LISTEN_MAX_CALLS && n < cap; i++)
		if (ls->calls[i] && !ls->calls[i]->id.outgoing)
			out[n++] = ls->calls[i]->id.n;
	return n;
}

unsigned listen_calls_list(struct listener *ls)
{
	unsigned n = 0;
	for (size_t i = 0; i < LISTEN_MAX_CALLS; i++) {
		const struct lcall *lc = ls->calls[i];
		static const char *const phases[] = {"ringing", "ringing", "up", "ending"};
		if (!lc || lc->id.outgoing)
			continue;
		char up[32] = "";
		if (lc->phase == LCALL_CONFIRMED)
			snprintf(up, sizeof up, " %.0f s",
			         (double)(sip_loop_now(ls->pc.loop) - lc->t_answer) / 1e6);
		printf("call %u  from %s, %s%s%s (incoming)\n", lc->id.n, lc->id.peer,
		       phases[lc->phase], up, lc->held ? ", held by the far end" : "");
		n++;
	}
	return n;
}

static struct lcall *call_new(struct listener *ls)
{
	struct lcall **slot = slot_of(ls, NULL);
	struct lcall *lc = slot ? calloc(1, sizeof *lc) : NULL;
	if (!lc)
		return NULL;
	lc->ls = ls;
	lc->id.n = ls->session ? cmd_host->next_number("call") : ++ls->ncalls_made;
	sip_timer_init(&lc->ring_timer);
	sip_timer_init(&lc->hold_timer);
	sip_buf_init(&lc->answer_sdp, 0);
	if (ls->ladder && sip_ladder_new(&lc->ladder) != 0) {
		free(lc);
		return NULL;
	}
	*slot = lc;
	return lc;
}

static void call_spec(struct lcall *lc, struct sip_call_spec *cs)
{
	*cs = (struct sip_call_spec){
		.prack = lc->ls->prack,
		.allow = listen_allow(lc->ls),
		.event = on_event,
		.sdp = on_sdp,
		.done = on_done,
		.arg = lc,
	};
}

static void copy_slice(char *buf, size_t cap, struct sip_str s)
{
	size_t n = s.len < cap ? s.len : cap - 1;
	if (n)
		memcpy(buf, s.p, n);
	buf[n] = '\0';
}

/* The request's header id lists 100rel. */
static bool offers(const struct sip_msg *req, enum sip_hdr_id id)
{
	for (const struct sip_hdr *h = sip_msg_hdr(req, id); h; h = sip_msg_hdr_next(req, h)) {
		struct sip_str list = h->value, e;
		while (sip_list_next(&list, &e) == 1)
			if (sip_str_ieq_cstr(e, "100rel"))
				return true;
	}
	return false;
}

bool listen_call_incoming(struct listener *ls, struct sip_incoming *in, const struct sip_msg *req)
{
	struct lcall *lc = call_new(ls);
	struct sip_response_spec busy = {.status = 486, .reason = "Too Many Calls"};
	if (!lc) {
		sip_incoming_respond(in, &busy);
		listen_done_one(ls);
		return true;
	}
	const struct sip_packet_info *pi = sip_incoming_packet(in);
	const struct sip_hdr *h;
	struct sip_addr a;
	char addr[64];
	media_addr(&pi->local, lc->media, sizeof lc->media);
	if (sip_sockaddr_print(&pi->remote, addr, sizeof addr) < 0)
		addr[0] = '\0';
	snprintf(lc->via, sizeof lc->via, "%s %s", sip_tp_name(pi->tp), addr);
	if ((h = sip_msg_hdr(req, SIP_HDR_FROM)) && sip_addr_parse(&a, h->value) == 0) {
		cmd_safe(lc->id.peer, sizeof lc->id.peer, a.uri);
		copy_slice(lc->id.remote_tag, sizeof lc->id.remote_tag, a.tag);
	}
	if ((h = sip_msg_hdr(req, SIP_HDR_CALL_ID)))
		copy_slice(lc->id.call_id, sizeof lc->id.call_id, h->value);
	cmd_safe(lc->called, sizeof lc->called, req->ruri);
	/* It came before the call was ours to watch. */
	if (lc->ladder)
		sip_ladder_add(lc->ladder, req, pi);
	/* The caller's fault, a 400 naming it, not ours to answer 500. */
	const char *bad = sip_dialog_uas_fault(req);
	if (bad) {
		char reason[40];
		snprintf(reason, sizeof reason, "Bad %s Header", bad);
		struct sip_response_spec rs = {.status = 400, .reason = reason};
		say(lc, "incoming", "from %s (%s): its %s header does not parse: 400",
		    lc->id.peer[0] ? lc->id.peer : "?", lc->via, bad);
		sip_incoming_respond(in, &rs);
		call_gone(lc);
		return true;
	}
	const struct sip_hdr *ce = sip_msg_hdr(req, SIP_HDR_CONTENT_ENCODING);
	if (req->body.len &&
	    (!sip_sdp_in(req) || (ce && !sip_str_ieq_cstr(ce->value, "identity")))) {
		/* A body we cannot read is no late offer (RFC 3261 section 8.2.3). */
		static const struct sip_build_hdr accept[] = {{"Accept: application/sdp"},
		                                              {"Accept-Encoding: identity"}};
		struct sip_response_spec rs = {.status = 415, .headers = accept, .nheaders = 2};
		say(lc, "incoming", "from %s (%s): a body that is not plain SDP: 415", lc->id.peer,
		    lc->via);
		sip_incoming_respond(in, &rs);
		call_gone(lc);
		return true;
	}
	lc->late_offer = !sip_sdp_in(req);
	lc->reliable =
		offers(req, SIP_HDR_REQUIRE) || (ls->prack && offers(req, SIP_HDR_SUPPORTED));
	enum sip_sdp_dir dir;
	media_text(req, lc->far_media, sizeof lc->far_media, &dir);
	int err = make_sdp(lc, req, &lc->answer_sdp);
	if (err) {
		/* No codec in common: there is no call to make (RFC 3264 section 6). */
		struct sip_response_spec rs = {.status = 488};
		say(lc, "incoming", "from %s (%s): no codec in common: 488", lc->id.peer, lc->via);
		sip_incoming_respond(in, &rs);
		call_gone(lc);
		return true;
	}
	/* At once: the ringing may wait, and the caller's INVITE should not repeat. */
	struct sip_response_spec trying = {.status = 100};
	sip_incoming_respond(in, &trying);
	struct sip_call_spec cs;
	call_spec(lc, &cs);
	if ((err = sip_call_accept(&lc->call, ls->pc.ua, in, &cs)) != 0) {
		struct sip_response_spec rs = {.status = 500};
		sip_incoming_respond(in, &rs);
		call_gone(lc);
		return true;
	}
	say(lc, "incoming", "from %s (%s)%s", lc->id.peer, lc->via,
	    lc->late_offer ? ", no offer" : "");
	listen_state_changed(ls, LISTEN_CALLS);
	ring(lc);
	return true;
}

struct lcall *listen_call_place(struct listener *ls, struct lxfer *x, struct sip_req_spec *invite)
{
	struct lcall *lc = call_new(ls);
	if (!lc)
		return NULL;
	lc->id.outgoing = true;
	lc->xfer = x;
	snprintf(lc->id.peer, sizeof lc->id.peer, "%.*s", (int)sizeof lc->id.peer - 1, x->target);
	media_addr(&x->dest.local, lc->media, sizeof lc->media);
	if (make_sdp(lc, NULL, &lc->answer_sdp) != 0) {
		call_gone(lc);
		return NULL;
	}
	invite->content_type = "application/sdp";
	invite->body = lc->answer_sdp.p;
	invite->body_len = lc->answer_sdp.len;
	struct sip_call_spec cs;
	call_spec(lc, &cs);
	cs.invite = invite;
	cs.prack = true;
	if (sip_call_start(&lc->call, ls->pc.ua, &cs) != 0) {
		lc->xfer = NULL;
		call_gone(lc);
		return NULL;
	}
	say(lc, "calling", "calling %s for the transfer", x->target);
	return lc;
}

/* Ctrl-C or -c: each call ends as it can (BYE, CANCEL, or 486 before the answer). */
void listen_calls_end(struct listener *ls)
{
	for (size_t i = 0; i < LISTEN_MAX_CALLS; i++) {
		struct lcall *lc = ls->calls[i];
		if (!lc || lc->phase == LCALL_TERMINATED)
			continue;
		sip_timer_cancel(ls->pc.loop, &lc->ring_timer);
		/* A callee's 200 still unacknowledged: the BYE waits for the ACK (section 15). */
		if (listen_call_hangup(lc) != 0)
			call_gone(lc);
	}
}

void listen_calls_free(struct listener *ls)
{
	for (size_t i = 0; i < LISTEN_MAX_CALLS; i++) {
		struct lcall *lc = ls->calls[i];
		if (!lc)
			continue;
		if (lc->owner)
			sip_ua_dialog_remove(ls->pc.ua, lc->dlg, lc);
		sip_timer_cancel(ls->pc.loop, &lc->ring_timer);
		sip_timer_cancel(ls->pc.loop, &lc->hold_timer);
		sip_call_free(lc->call);
		sip_ladder_free(lc->ladder);
		sip_buf_reset(&lc->answer_sdp);
		free(lc);
		ls->calls[i] = NULL;
	}
}

static struct lcall *call_of(struct listener *ls, struct sip_str call_id)
{
	for (size_t i = 0; i < LISTEN_MAX_CALLS; i++) {
		struct lcall *lc = ls->calls[i];
		if (lc && strlen(lc->id.call_id) == call_id.len &&
		    memcmp(lc->id.call_id, call_id.p, call_id.len) == 0)
			return lc;
	}
	return NULL;
}

/* Every message: each call's into its diagram (a call just ended, until
 * it is drawn), and the tags dialog-info names. */
void listen_call_observe(const struct sip_msg *m, const struct sip_packet_info *pi, void *arg)
{
	struct listener *ls = arg;
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CALL_ID);
	struct lcall *lc = h ? call_of(ls, h->value) : NULL;
	struct sip_addr a;
	for (size_t i = 0; h && !lc && i < sizeof ls->drawn / sizeof ls->drawn[0]; i++)
		if (ls->drawn[i].ladder && strlen(ls->drawn[i].call_id) == h->value.len &&
		    memcmp(ls->drawn[i].call_id, h->value.p, h->value.len) == 0)
			sip_ladder_add(ls->drawn[i].ladder, m, pi);
	if (!lc)
		return;
	if (lc->ladder)
		sip_ladder_add(lc->ladder, m, pi);
	/* Ours is the To tag of what we answer, or the From tag of what we send. */
	bool ours_in_to = pi->tx != m->is_request;
	h = sip_msg_hdr(m, ours_in_to ? SIP_HDR_TO : SIP_HDR_FROM);
	if (!lc->id.local_tag[0] && h && sip_addr_parse(&a, h->value) == 0)
		copy_slice(lc->id.local_tag, sizeof lc->id.local_tag, a.tag);
	h = sip_msg_hdr(m, ours_in_to ? SIP_HDR_FROM : SIP_HDR_TO);
	if (!lc->id.remote_tag[0] && h && sip_addr_parse(&a, h->value) == 0)
		copy_slice(lc->id.remote_tag, sizeof lc->id.remote_tag, a.tag);
}

void listen_ladders_free(struct listener *ls)
{
	sip_timer_cancel(ls->pc.loop, &ls->draw_timer);
	draw(ls);
}
