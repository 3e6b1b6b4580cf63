/* call_test.c - the caller's side of an INVITE session on a fake clock
 * against a raw UDP callee on loopback: ring, answer, ACK (and again for
 * each 2xx retransmission), BYE either way; PRACK and an UPDATE in the
 * early dialog; a second fork's 2xx ACKed and hung up; CANCEL before and
 * after the first 1xx, crossed by a 2xx, or never answered with a 487;
 * late offers; the far end's re-INVITE; and a call freed from its own
 * handler. Then the callee's side against a raw UDP caller: rung (reliably
 * too, RFC 3262: RSeq, retransmissions, PRACK), answered, declined,
 * CANCELled and hung up. */
#include <stdlib.h>

#include "peer.h"
#include "test.h"

static const char sdp[] = "v=0\r\n"
			  "o=- 1 1 IN IP4 127.0.0.1\r\n"
			  "s=-\r\n"
			  "c=IN IP4 127.0.0.1\r\n"
			  "t=0 0\r\n"
			  "m=audio 5000 RTP/AVP 0\r\n";

struct cfix {
	struct sip_ua *ua;
	struct peer peer;
	struct sip_target target;
	struct sip_call *call;
	struct peer_last invite; /* the INVITE as the callee got it */
	struct peer_last in;     /* the last message the callee got */
	int ev[SIP_CALL_SESSION_REFRESHED + 1];
	int ev_err; /* of the last event */
	unsigned ev_status;
	int done;
	enum sip_call_end how;
	int err;
	unsigned status; /* of done's message */
	int sdp_calls;
	bool sdp_fails, free_in_done, free_in_sdp, hangup_on_answer;
	bool prack;       /* the callee's spec.prack */
	int free_on_ev;   /* an event + 1 whose handler frees the call */
	char contact[80]; /* the callee's Contact URI */
	char call_id[64], tag[32];
	unsigned cseq; /* the callee's own in-dialog requests */
};

static void on_event(struct sip_call *c, enum sip_call_event ev, int err, const struct sip_msg *m,
                     void *arg)
{
	struct cfix *f = arg;
	f->ev[ev]++;
	f->ev_err = err;
	f->ev_status = m && !m->is_request ? m->status : 0;
	if (ev == SIP_CALL_ANSWERED && f->hangup_on_answer)
		sip_call_hangup(c);
	if (f->free_on_ev == (int)ev + 1) {
		sip_call_free(c);
		f->call = NULL;
	}
}

static void on_done(struct sip_call *c, enum sip_call_end how, int err, const struct sip_msg *m,
                    void *arg)
{
	struct cfix *f = arg;
	f->done++;
	f->how = how;
	f->err = err;
	f->status = m && !m->is_request ? m->status : 0;
	if (f->free_in_done) {
		sip_call_free(c);
		f->call = NULL;
	}
}

static int on_sdp(struct sip_call *c, const struct sip_msg *m, struct sip_buf *out, void *arg)
{
	struct cfix *f = arg;
	(void)m;
	f->sdp_calls++;
	if (f->free_in_sdp) {
		sip_call_free(c);
		f->call = NULL;
	}
	return f->sdp_fails ? SIP_ENOTFOUND : sip_buf_append(out, sdp, sizeof sdp - 1);
}

static int cfix_open(struct cfix *f)
{
	memset(f, 0, sizeof *f);
	f->cseq = 100;
	if (peer_stack(&f->ua, &f->peer, &f->target) != 0)
		return -1;
	snprintf(f->contact, sizeof f->contact, "<sip:callee@127.0.0.1:%u>",
	         sip_sockaddr_port(&f->peer.addr));
	return 0;
}

static void cfix_close(struct cfix *f)
{
	sip_call_free(f->call);
	fake_now += 64 * 500000;
	sip_loop_poll(sip_ua_loop(f->ua), 0);
	sip_ua_free(f->ua);
	peer_close(&f->peer);
}

/* Copies the value of the header line starting with name (up to ';' when
 * upto_semi) from the message in buf. */
static void header_value(const char *buf, const char *name, bool after_tag, char *out, size_t cap)
{
	const char *p = strstr(buf, name);
	out[0] = '\0';
	if (!p)
		return;
	p += strlen(name);
	if (after_tag) {
		const char *t = strstr(p, ";tag=");
		if (!t)
			return;
		p = t + 5;
	}
	snprintf(out, cap, "%.*s", (int)strcspn(p, "\r;>"), p);
}

/* Starts a call to the callee; with offer false, a late offer. */
static int call_start(struct cfix *f, bool offer, bool prack);

/* A fixture and a call on it. */
static int calling(struct cfix *f, bool offer, bool prack)
{
	return cfix_open(f) == 0 ? call_start(f, offer, prack) : -1;
}

static int call_start(struct cfix *f, bool offer, bool prack)
{
	struct sip_req_spec rs = {
		.uri_text = "sip:callee@127.0.0.1",
		.targets = &f->target,
		.ntargets = 1,
		.transport = -1,
		.contact_user = "alice",
		.max_forwards = -1,
		.user_agent = "sip-test/1",
		.content_type = offer ? "application/sdp" : NULL,
		.body = offer ? sdp : NULL,
		.body_len = offer ? sizeof sdp - 1 : 0,
	};
	struct sip_call_spec cs = {
		.invite = &rs,
		.prack = prack,
		.event = on_event,
		.sdp = on_sdp,
		.done = on_done,
		.arg = f,
	};
	if (sip_call_start(&f->call, f->ua, &cs) != 0)
		return -1;
	if (peer_take(f->ua, &f->peer, &f->invite) == 0)
		return -1;
	f->in = f->invite;
	header_value(f->invite.buf, "Call-ID: ", false, f->call_id, sizeof f->call_id);
	header_value(f->invite.buf, "From: ", true, f->tag, sizeof f->tag);
	return 0;
}

/* The callee answers req with status from its phone tag (NULL: none), with
 * Contact, extra header lines and an SDP body as asked. */
static int answer(struct cfix *f, const struct peer_last *req, unsigned status, const char *tag,
                  const char *extra, bool body)
{
	struct sip_msg m;
	struct sip_buf b;
	/* extra: "Name: value" lines separated by '\n', three at most. */
	char lines[3][128];
	struct sip_build_hdr hdrs[3];
	size_t nh = 0;
	for (const char *p = extra; p && *p && nh < 3; nh++) {
		size_t n = strcspn(p, "\n");
		snprintf(lines[nh], sizeof lines[nh], "%.*s", (int)n, p);
		hdrs[nh].line = lines[nh];
		p += n + (p[n] == '\n');
	}
	struct sip_response_spec rs = {
		.status = status,
		.to_tag = tag ? tag : "",
		.contact = status < 300 && tag ? f->contact : NULL,
		.content_type = body ? "application/sdp" : NULL,
		.body = body ? sdp : NULL,
		.body_len = body ? sizeof sdp - 1 : 0,
		.headers = hdrs,
		.nheaders = nh,
	};
	if (sip_msg_parse(&m, req->buf, req->len, 0) != 0)
		return -1;
	sip_buf_init(&b, 0);
	int err = sip_build_response(&b, &m, &rs);
	if (!err &&
	    sendto(f->peer.fd, b.p, b.len, 0, &req->from.u.sa, req->from.len) != (ssize_t)b.len)
		err = -1;
	sip_buf_reset(&b);
	peer_spin(sip_ua_loop(f->ua));
	return err;
}

/* The callee's own request in the dialog its tag made, with one extra
 * header line when extra is given. */
static int callee_request(struct cfix *f, const char *method, const char *tag, bool body,
                          const char *extra)
{
	char buf[2048];
	unsigned cseq = ++f->cseq;
	int n = snprintf(buf, sizeof buf,
	                 "%s sip:alice@127.0.0.1 SIP/2.0\r\n"
	                 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKcallee%u;rport\r\n"
	                 "Max-Forwards: 70\r\n"
	                 "From: <sip:callee@127.0.0.1>;tag=%s\r\n"
	                 "To: <sip:sip@127.0.0.1>;tag=%s\r\n"
	                 "Call-ID: %s\r\n"
	                 "CSeq: %u %s\r\n"
	                 "Contact: %s\r\n"
	                 "%s%s%s"
	                 "Content-Length: %zu\r\n\r\n%s",
	                 method, sip_sockaddr_port(&f->peer.addr), cseq, tag, f->tag, f->call_id,
	                 cseq, method, f->contact, extra ? extra : "", extra ? "\r\n" : "",
	                 body ? "Content-Type: application/sdp\r\n" : "", body ? sizeof sdp - 1 : 0,
	                 body ? sdp : "");
	if (n < 0 || (size_t)n >= sizeof buf ||
	    sendto(f->peer.fd, buf, (size_t)n, 0, &f->invite.from.u.sa, f->invite.from.len) != n)
		return -1;
	return 0;
}

static bool got(const struct cfix *f, const char *text)
{
	return strstr(f->in.buf, text) != NULL;
}

static size_t take(struct cfix *f)
{
	return peer_take(f->ua, &f->peer, &f->in);
}

/* The next message the callee gets has text in it. */
static bool next_has(struct cfix *f, const char *text)
{
	return take(f) > 0 && got(f, text);
}

/* Rings, answers and takes the ACK: a confirmed call with tag "t1". */
static int answered_call(struct cfix *f)
{
	if (calling(f, true, true) != 0 || answer(f, &f->invite, 180, "t1", NULL, false) != 0 ||
	    answer(f, &f->invite, 200, "t1", NULL, true) != 0 || take(f) == 0 ||
	    !got(f, "ACK sip:callee@127.0.0.1:") || sip_call_state(f->call) != SIP_CALL_CONFIRMED)
		return -1;
	return 0;
}

/* Rings, is hung up, and takes the CANCEL. */
static int cancelled_call(struct cfix *f)
{
	if (calling(f, true, true) != 0 || answer(f, &f->invite, 180, "t1", NULL, false) != 0 ||
	    sip_call_hangup(f->call) != 0 || take(f) == 0 || !got(f, "CANCEL "))
		return -1;
	return 0;
}

TEST(call_answered_acked_and_hung_up)
{
	struct cfix f;
	CHECK(calling(&f, true, true) == 0);
	CHECK(strstr(f.invite.buf, "INVITE sip:callee@127.0.0.1 SIP/2.0\r\n") != NULL);
	CHECK(strstr(f.invite.buf, "Allow: INVITE, ACK, CANCEL, BYE, PRACK, UPDATE, OPTIONS\r\n"));
	CHECK(strstr(f.invite.buf, "Supported: 100rel, timer\r\n"));
	CHECK(strstr(f.invite.buf, "Contact: <sip:alice@127.0.0.1:"));
	CHECK(strstr(f.invite.buf, "Content-Type: application/sdp\r\n"));
	CHECK_INT(sip_call_state(f.call), SIP_CALL_CALLING);
	CHECK(answer(&f, &f.invite, 100, NULL, NULL, false) == 0);
	CHECK_INT(f.ev[SIP_CALL_PROGRESS], 1);
	CHECK_INT(sip_call_state(f.call), SIP_CALL_RINGING);
	CHECK(answer(&f, &f.invite, 180, "t1", NULL, false) == 0);
	CHECK_INT(f.ev[SIP_CALL_PROGRESS], 2);
	CHECK(!peer_pending(&f.peer)); /* a 180 without 100rel: no PRACK */
	CHECK(answer(&f, &f.invite, 200, "t1", NULL, true) == 0);
	CHECK_INT(f.ev[SIP_CALL_ANSWERED], 1);
	CHECK_INT(f.sdp_calls, 0); /* the 2xx answered our offer */
	CHECK(next_has(&f, "ACK sip:callee@127.0.0.1:"));
	CHECK(got(&f, "CSeq: 1 ACK\r\n"));
	CHECK(got(&f, ";tag=t1\r\n"));
	CHECK(got(&f, "Content-Length: 0\r\n"));
	CHECK(got(&f, "User-Agent: sip-test/1\r\n")); /* the INVITE's, in the dialog */
	/* The 2xx again (its ACK was lost): the same ACK again, nothing else. */
	struct peer_last ack = f.in;
	CHECK(answer(&f, &f.invite, 200, "t1", NULL, true) == 0);
	CHECK(take(&f) > 0);
	CHECK_INT(f.in.len, ack.len);
	CHECK(memcmp(f.in.buf, ack.buf, ack.len) == 0);
	CHECK_INT(f.ev[SIP_CALL_ANSWERED], 1);
	CHECK(sip_call_hangup(f.call) == 0);
	CHECK_INT(sip_call_state(f.call), SIP_CALL_ENDING);
	CHECK(next_has(&f, "BYE sip:callee@127.0.0.1:"));
	CHECK(got(&f, "CSeq: 2 BYE\r\n"));
	CHECK(got(&f, "User-Agent: sip-test/1\r\n"));
	CHECK_INT(f.done, 0);
	CHECK(answer(&f, &f.in, 200, NULL, NULL, false) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_BYE);
	CHECK_INT(f.status, 200);
	CHECK_INT(sip_call_state(f.call), SIP_CALL_ENDED);
	CHECK(sip_call_hangup(f.call) == SIP_EINVAL);
	cfix_close(&f);
	return 0;
}

TEST(call_prack_and_early_update)
{
	struct cfix f;
	CHECK(calling(&f, true, true) == 0);
	const char *rel = "Require: 100rel\nRSeq: 7";
	CHECK(answer(&f, &f.invite, 183, "t1", rel, true) == 0);
	CHECK(next_has(&f, "PRACK sip:callee@127.0.0.1:"));
	CHECK(got(&f, "RAck: 7 1 INVITE\r\n"));
	CHECK(got(&f, "CSeq: 2 PRACK\r\n"));
	struct peer_last prack = f.in;
	/* The 183 again: already acknowledged, no second PRACK. */
	CHECK(answer(&f, &f.invite, 183, "t1", rel, true) == 0);
	CHECK_INT(f.ev[SIP_CALL_NOT_PRACKED], 1);
	CHECK_INT(f.ev_err, 0);
	CHECK(!peer_pending(&f.peer));
	CHECK(!sip_call_early_answered(f.call) || f.ev[SIP_CALL_PRACKED] == 0);
	CHECK(answer(&f, &prack, 200, NULL, NULL, false) == 0);
	CHECK_INT(f.ev[SIP_CALL_PRACKED], 1);
	CHECK_INT(f.ev_status, 200);
	CHECK(sip_call_early_answered(f.call));
	/* A re-INVITE needs the confirmed dialog; an UPDATE goes in the early one. */
	CHECK(sip_call_modify(f.call, "INVITE", "application/sdp", sdp, sizeof sdp - 1) ==
	      SIP_EINVAL);
	CHECK(sip_call_modify(f.call, "UPDATE", "application/sdp", sdp, sizeof sdp - 1) == 0);
	CHECK(sip_call_modify(f.call, "UPDATE", "application/sdp", sdp, sizeof sdp - 1) ==
	      SIP_EINVAL); /* one at a time */
	CHECK(next_has(&f, "UPDATE sip:callee@127.0.0.1:"));
	CHECK(got(&f, "CSeq: 3 UPDATE\r\n"));
	CHECK(got(&f, "Allow: INVITE"));
	CHECK(got(&f, "Contact: <sip:alice@127.0.0.1:"));
	CHECK(answer(&f, &f.in, 200, NULL, NULL, true) == 0);
	CHECK_INT(f.ev[SIP_CALL_MODIFIED], 1);
	CHECK_INT(f.ev_status, 200);
	/* The 200 to the INVITE: the early dialog goes on, its ACK keeps the INVITE's CSeq. */
	CHECK(answer(&f, &f.invite, 200, "t1", NULL, true) == 0);
	CHECK(next_has(&f, "CSeq: 1 ACK\r\n"));
	CHECK(sip_call_hangup(f.call) == 0);
	CHECK(next_has(&f, "CSeq: 4 BYE\r\n"));
	cfix_close(&f);
	return 0;
}

TEST(call_prack_refused_without_rseq)
{
	struct cfix f;
	CHECK(calling(&f, true, true) == 0);
	CHECK(answer(&f, &f.invite, 180, "t1", "Require: 100rel", false) == 0);
	CHECK_INT(f.ev[SIP_CALL_NOT_PRACKED], 1);
	CHECK_INT(f.ev_err, SIP_ESYNTAX);
	CHECK(!peer_pending(&f.peer));
	cfix_close(&f);
	return 0;
}

TEST(call_second_fork_acked_and_hung_up)
{
	struct cfix f;
	CHECK(answered_call(&f) == 0);
	/* Another phone answered too: an ACK and a BYE in its own dialog. */
	CHECK(answer(&f, &f.invite, 200, "t2", NULL, true) == 0);
	CHECK_INT(f.ev[SIP_CALL_FORKED], 1);
	CHECK(next_has(&f, "ACK sip:callee@127.0.0.1:"));
	CHECK(got(&f, ";tag=t2\r\n"));
	CHECK(got(&f, "CSeq: 1 ACK\r\n"));
	CHECK(next_has(&f, "BYE sip:callee@127.0.0.1:"));
	CHECK(got(&f, ";tag=t2\r\n"));
	CHECK(answer(&f, &f.in, 200, NULL, NULL, false) == 0);
	CHECK_INT(f.ev[SIP_CALL_FORK_ENDED], 1);
	CHECK_INT(f.ev_status, 200);
	/* Its 2xx again: the ACK again, no second BYE. */
	CHECK(answer(&f, &f.invite, 200, "t2", NULL, true) == 0);
	CHECK(next_has(&f, "ACK "));
	CHECK(got(&f, ";tag=t2\r\n"));
	CHECK(!peer_pending(&f.peer));
	CHECK_INT(f.ev[SIP_CALL_FORKED], 1);
	/* The call itself is untouched. */
	CHECK_INT(sip_call_state(f.call), SIP_CALL_CONFIRMED);
	CHECK_INT(f.done, 0);
	cfix_close(&f);
	return 0;
}

TEST(call_cancel_waits_for_a_provisional)
{
	struct cfix f;
	CHECK(calling(&f, true, true) == 0);
	CHECK(sip_call_hangup(f.call) == 0);
	CHECK_INT(sip_call_state(f.call), SIP_CALL_CANCELLING);
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer)); /* §9.1: nothing to CANCEL before a 1xx */
	CHECK(answer(&f, &f.invite, 180, "t1", NULL, false) == 0);
	CHECK(next_has(&f, "CANCEL sip:callee@127.0.0.1 SIP/2.0\r\n"));
	CHECK(got(&f, "CSeq: 1 CANCEL\r\n"));
	CHECK(answer(&f, &f.in, 200, NULL, NULL, false) == 0);
	CHECK_INT(f.done, 0);
	CHECK(answer(&f, &f.invite, 487, "t1", NULL, false) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_CANCELLED);
	CHECK_INT(f.status, 487);
	CHECK(next_has(&f, "ACK sip:callee@127.0.0.1 SIP/2.0\r\n")); /* the transaction's */
	cfix_close(&f);
	return 0;
}

TEST(call_cancel_crossed_by_the_answer)
{
	struct cfix f;
	CHECK(cancelled_call(&f) == 0);
	/* The 200 crossed the CANCEL: the call exists, so it is ACKed and hung up. */
	CHECK(answer(&f, &f.invite, 200, "t1", NULL, true) == 0);
	CHECK_INT(f.ev[SIP_CALL_ANSWERED], 1);
	CHECK(next_has(&f, "ACK sip:callee@127.0.0.1:"));
	CHECK(next_has(&f, "BYE sip:callee@127.0.0.1:"));
	CHECK(answer(&f, &f.in, 200, NULL, NULL, false) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_BYE);
	cfix_close(&f);
	return 0;
}

TEST(call_cancel_never_answered_gives_up)
{
	struct cfix f;
	CHECK(cancelled_call(&f) == 0);
	CHECK(answer(&f, &f.in, 200, NULL, NULL, false) == 0);
	/* No 487 ever: given up 64*T1 after the CANCEL. */
	for (int i = 0; i < 70 && !f.done; i++) {
		fake_now += 500000;
		peer_spin(sip_ua_loop(f.ua));
	}
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_CANCELLED);
	CHECK_INT(f.err, SIP_ETIMEDOUT);
	cfix_close(&f);
	return 0;
}

TEST(call_late_offer_answered_in_the_ack)
{
	struct cfix f;
	CHECK(calling(&f, false, false) == 0);
	CHECK(strstr(f.invite.buf, "Content-Length: 0\r\n"));
	CHECK(!strstr(f.invite.buf, "Supported: 100rel"));
	CHECK(answer(&f, &f.invite, 200, "t1", NULL, true) == 0);
	CHECK_INT(f.sdp_calls, 1);
	CHECK(next_has(&f, "ACK "));
	CHECK(got(&f, "Content-Type: application/sdp\r\n"));
	CHECK(got(&f, "m=audio 5000 RTP/AVP 0\r\n"));
	cfix_close(&f);
	return 0;
}

TEST(call_far_end_reinvite_and_bye)
{
	struct cfix f;
	CHECK(answered_call(&f) == 0);
	/* A re-INVITE with an offer: answered with ours. */
	CHECK(callee_request(&f, "INVITE", "t1", true, NULL) == 0);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(got(&f, "Content-Type: application/sdp\r\n"));
	CHECK(got(&f, "Contact: <sip:alice@127.0.0.1:"));
	CHECK_INT(f.ev[SIP_CALL_REFRESHED], 1);
	CHECK_INT(f.sdp_calls, 1);
	/* An offer with no codec in common: 488, the call goes on. */
	f.sdp_fails = true;
	CHECK(callee_request(&f, "UPDATE", "t1", true, NULL) == 0);
	CHECK(next_has(&f, "SIP/2.0 488 "));
	CHECK_INT(sip_call_state(f.call), SIP_CALL_CONFIRMED);
	/* A request in a dialog of no call of ours: 481. */
	CHECK(callee_request(&f, "BYE", "nobody", false, NULL) == 0);
	CHECK(next_has(&f, "SIP/2.0 481 "));
	CHECK_INT(f.done, 0);
	/* Their BYE ends it: 200, and done once, freeing the call from inside. */
	f.free_in_done = true;
	CHECK(callee_request(&f, "BYE", "t1", false, NULL) == 0);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(got(&f, "CSeq: 104 BYE\r\n"));
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_REMOTE);
	CHECK(f.call == NULL);
	cfix_close(&f);
	return 0;
}

TEST(call_reinvite_acked_then_bye_in_order)
{
	struct cfix f;
	CHECK(answered_call(&f) == 0);
	CHECK(sip_call_modify(f.call, "INVITE", "application/sdp", sdp, sizeof sdp - 1) == 0);
	CHECK(next_has(&f, "INVITE sip:callee@127.0.0.1:"));
	CHECK(got(&f, "CSeq: 2 INVITE\r\n"));
	struct peer_last reinvite = f.in;
	/* Hung up while the re-INVITE is out: the BYE waits for nothing but the hop. */
	CHECK(answer(&f, &reinvite, 200, "t1", NULL, true) == 0);
	CHECK_INT(f.ev[SIP_CALL_MODIFIED], 1);
	CHECK(next_has(&f, "ACK "));
	CHECK(got(&f, "CSeq: 2 ACK\r\n"));
	CHECK(sip_call_hangup(f.call) == 0);
	CHECK(next_has(&f, "CSeq: 3 BYE\r\n"));
	/* The re-INVITE's 2xx again: its ACK again. */
	CHECK(answer(&f, &reinvite, 200, "t1", NULL, true) == 0);
	CHECK(next_has(&f, "CSeq: 2 ACK\r\n"));
	cfix_close(&f);
	return 0;
}

/* takes what the callee gets until the CANCEL and the BYE are both in;
 * the BYE is left in f->in. */
static bool cancel_and_bye(struct cfix *f, struct peer_last *bye)
{
	bool cancel = false, got_bye = false;
	for (int i = 0; i < 4 && !(cancel && got_bye) && take(f) > 0; i++) {
		cancel |= got(f, "CANCEL sip:callee@127.0.0.1:") && got(f, "CSeq: 2 CANCEL\r\n");
		if (got(f, "BYE ") && got(f, "CSeq: 3 BYE\r\n")) {
			got_bye = true;
			*bye = f->in;
		}
	}
	return cancel && got_bye;
}

TEST(call_hangup_while_a_reinvite_rings)
{
	struct cfix f;
	struct peer_last bye;
	CHECK(answered_call(&f) == 0);
	CHECK(sip_call_modify(f.call, "INVITE", "application/sdp", sdp, sizeof sdp - 1) == 0);
	CHECK(next_has(&f, "CSeq: 2 INVITE\r\n"));
	struct peer_last reinvite = f.in;
	CHECK(answer(&f, &reinvite, 180, "t1", NULL, false) == 0);
	/* The BYE goes at once, the re-INVITE is CANCELled. */
	CHECK(sip_call_hangup(f.call) == 0);
	CHECK(cancel_and_bye(&f, &bye));
	CHECK(answer(&f, &bye, 200, "t1", NULL, false) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_BYE);
	/* The re-INVITE's 487 after the end: ACKed, and no news to the caller. */
	CHECK(answer(&f, &reinvite, 487, "t1", NULL, false) == 0);
	CHECK(next_has(&f, "CSeq: 2 ACK\r\n"));
	CHECK_INT(f.ev[SIP_CALL_MODIFIED], 0);
	CHECK_INT(f.done, 1);
	cfix_close(&f);
	return 0;
}

TEST(call_hangup_while_a_reinvite_is_unanswered)
{
	struct cfix f;
	CHECK(answered_call(&f) == 0);
	CHECK(sip_call_modify(f.call, "INVITE", "application/sdp", sdp, sizeof sdp - 1) == 0);
	CHECK(next_has(&f, "CSeq: 2 INVITE\r\n"));
	struct peer_last reinvite = f.in;
	/* No provisional response: the BYE goes at once, a CANCEL waits (§9.1). */
	CHECK(sip_call_hangup(f.call) == 0);
	CHECK(next_has(&f, "CSeq: 3 BYE\r\n"));
	struct peer_last bye = f.in;
	CHECK(!peer_pending(&f.peer));
	/* The re-INVITE answered 200 before the BYE: ACKed, no news. */
	CHECK(answer(&f, &reinvite, 200, "t1", NULL, true) == 0);
	CHECK(next_has(&f, "CSeq: 2 ACK\r\n"));
	CHECK_INT(f.ev[SIP_CALL_MODIFIED], 0);
	CHECK_INT(f.done, 0);
	CHECK(answer(&f, &bye, 200, "t1", NULL, false) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_BYE);
	CHECK_INT(f.ev[SIP_CALL_MODIFIED], 0);
	cfix_close(&f);
	return 0;
}

TEST(call_hangup_from_the_answer_and_failures)
{
	struct cfix f;
	CHECK(cfix_open(&f) == 0);
	f.hangup_on_answer = true;
	CHECK(call_start(&f, true, true) == 0);
	CHECK(answer(&f, &f.invite, 200, "t1", NULL, true) == 0);
	/* What the handler asked for goes after the ACK. */
	CHECK(next_has(&f, "ACK "));
	CHECK(next_has(&f, "BYE "));
	sip_call_free(f.call);
	f.call = NULL;
	/* A 486: the end, with it. */
	f.hangup_on_answer = false;
	CHECK(call_start(&f, true, true) == 0);
	CHECK(answer(&f, &f.invite, 486, "t1", NULL, false) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_FAILED);
	CHECK_INT(f.status, 486);
	CHECK(next_has(&f, "ACK sip:callee@127.0.0.1 SIP/2.0\r\n")); /* the transaction's */
	sip_call_free(f.call);
	f.call = NULL;
	/* A 200 without a To tag makes no dialog. */
	CHECK(call_start(&f, true, true) == 0);
	CHECK(answer(&f, &f.invite, 200, NULL, NULL, true) == 0);
	CHECK_INT(f.done, 2);
	CHECK_INT(f.how, SIP_CALL_END_NO_DIALOG);
	cfix_close(&f);
	return 0;
}

/* ---- the callee ---- */

static bool on_invite(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct cfix *f = arg;
	(void)req;
	struct sip_call_spec cs = {
		.prack = f->prack, .event = on_event, .sdp = on_sdp, .done = on_done, .arg = f};
	return sip_call_accept(&f->call, f->ua, in, &cs) == 0;
}

/* The caller's request to the stack: branch names the transaction; to_tag
 * (NULL: none) the dialog; extra (NULL: none) a header line. */
static int caller_send_x(struct cfix *f, const char *method, const char *branch, unsigned cseq,
                         const char *to_tag, bool body, const char *extra)
{
	char buf[2048];
	struct sip_sockaddr ua;
	if (sip_ua_bound(f->ua, SIP_TP_UDP, AF_INET, &ua) != 0)
		return -1;
	int n = snprintf(buf, sizeof buf,
	                 "%s sip:alice@127.0.0.1:%u SIP/2.0\r\n"
	                 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s;rport\r\n"
	                 "Max-Forwards: 70\r\n"
	                 "From: <sip:caller@127.0.0.1>;tag=c1\r\n"
	                 "To: <sip:alice@127.0.0.1>%s%s\r\n"
	                 "Call-ID: in-1\r\n"
	                 "CSeq: %u %s\r\n"
	                 "Contact: <sip:caller@127.0.0.1:%u>\r\n"
	                 "%s%s%s"
	                 "Content-Length: %zu\r\n\r\n%s",
	                 method, sip_sockaddr_port(&ua), sip_sockaddr_port(&f->peer.addr), branch,
	                 to_tag ? ";tag=" : "", to_tag ? to_tag : "", cseq, method,
	                 sip_sockaddr_port(&f->peer.addr), extra ? extra : "", extra ? "\r\n" : "",
	                 body ? "Content-Type: application/sdp\r\n" : "", body ? sizeof sdp - 1 : 0,
	                 body ? sdp : "");
	if (n < 0 || (size_t)n >= sizeof buf ||
	    sendto(f->peer.fd, buf, (size_t)n, 0, &ua.u.sa, ua.len) != n)
		return -1;
	peer_spin(sip_ua_loop(f->ua));
	return 0;
}

static int caller_send(struct cfix *f, const char *method, const char *branch, unsigned cseq,
                       const char *to_tag, bool body)
{
	return caller_send_x(f, method, branch, cseq, to_tag, body, NULL);
}

/* An INVITE (with an offer when offer, and the header line extra) arrives
 * and is taken as a call with spec.prack as asked; the 100 is read. */
static int incoming_x(struct cfix *f, bool prack, bool offer, const char *extra)
{
	if (cfix_open(f) != 0 || sip_ua_accept(f->ua, "INVITE", on_invite, f) != 0)
		return -1;
	f->prack = prack;
	if (caller_send_x(f, "INVITE", "inv1", 1, NULL, offer, extra) != 0 || !f->call ||
	    take(f) == 0 || !got(f, "SIP/2.0 100 Trying\r\n"))
		return -1;
	return 0;
}

/* An INVITE with an offer arrives and is taken as a call; the 100 is read. */
static int incoming(struct cfix *f)
{
	return incoming_x(f, false, true, NULL);
}

/* Answered with 200, its ACK sent: a confirmed call; tag is our To tag. */
static int answered_incoming(struct cfix *f, char *tag, size_t cap)
{
	if (incoming(f) != 0 ||
	    sip_call_answer(f->call, 200, "application/sdp", sdp, sizeof sdp - 1) != 0 ||
	    take(f) == 0 || !got(f, "SIP/2.0 200 OK\r\n"))
		return -1;
	header_value(f->in.buf, "To: ", true, tag, cap);
	if (caller_send(f, "ACK", "ack1", 1, tag, false) != 0 ||
	    sip_call_state(f->call) != SIP_CALL_CONFIRMED)
		return -1;
	return 0;
}

TEST(callee_rings_answers_and_is_hung_up)
{
	struct cfix f;
	char tag[32];
	CHECK(incoming(&f) == 0);
	CHECK_INT(sip_call_state(f.call), SIP_CALL_INCOMING);
	CHECK(sip_call_answer(f.call, 180, NULL, NULL, 0) == 0);
	CHECK_INT(sip_call_state(f.call), SIP_CALL_RINGING);
	CHECK(next_has(&f, "SIP/2.0 180 Ringing\r\n"));
	header_value(f.in.buf, "To: ", true, tag, sizeof tag);
	CHECK(tag[0] != '\0');
	CHECK(sip_call_answer(f.call, 200, "application/sdp", sdp, sizeof sdp - 1) == 0);
	CHECK_INT(sip_call_state(f.call), SIP_CALL_ACCEPTED);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(got(&f, tag));
	CHECK(got(&f, "Contact: <sip:sip@127.0.0.1:"));
	CHECK(got(&f, "Allow: INVITE, ACK, CANCEL, BYE, PRACK, UPDATE, OPTIONS\r\n"));
	CHECK(got(&f, "Supported: 100rel, timer\r\n"));
	CHECK(got(&f, "m=audio 5000 RTP/AVP 0\r\n"));
	CHECK(sip_call_answer(f.call, 200, NULL, NULL, 0) == SIP_EINVAL);
	/* Repeated until the ACK (§13.3.1.4)... */
	fake_now += 500000;
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK_INT(f.ev[SIP_CALL_ANSWERED], 0);
	CHECK(caller_send(&f, "ACK", "ack1", 1, tag, false) == 0);
	CHECK_INT(f.ev[SIP_CALL_ANSWERED], 1);
	CHECK_INT(sip_call_state(f.call), SIP_CALL_CONFIRMED);
	/* ...and no more after it. */
	fake_now += 4000000;
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	CHECK(caller_send(&f, "BYE", "bye1", 2, tag, false) == 0);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(got(&f, "CSeq: 2 BYE\r\n"));
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_REMOTE);
	cfix_close(&f);
	return 0;
}

TEST(callee_cancelled_while_ringing)
{
	struct cfix f;
	CHECK(incoming(&f) == 0);
	CHECK(sip_call_answer(f.call, 180, NULL, NULL, 0) == 0);
	CHECK(take(&f) > 0);
	CHECK(caller_send(&f, "CANCEL", "inv1", 1, NULL, false) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_CANCELLED);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(got(&f, "CSeq: 1 CANCEL\r\n"));
	CHECK(next_has(&f, "SIP/2.0 487 "));
	CHECK(sip_call_answer(f.call, 200, NULL, NULL, 0) == SIP_EINVAL);
	cfix_close(&f);
	return 0;
}

TEST(callee_gets_no_ack_and_hangs_up)
{
	struct cfix f;
	CHECK(incoming(&f) == 0);
	CHECK(sip_call_answer(f.call, 200, "application/sdp", sdp, sizeof sdp - 1) == 0);
	struct peer_last bye = {.len = 0};
	for (int i = 0; i < 80 && !bye.len; i++) {
		fake_now += 500000;
		peer_spin(sip_ua_loop(f.ua));
		while (peer_pending(&f.peer) && take(&f) > 0)
			if (strncmp(f.in.buf, "BYE ", 4) == 0)
				bye = f.in;
	}
	CHECK(bye.len > 0);
	CHECK(strstr(bye.buf, "BYE sip:caller@127.0.0.1:") == bye.buf);
	CHECK(strstr(bye.buf, "To: <sip:caller@127.0.0.1>;tag=c1\r\n"));
	while (peer_pending(&f.peer))
		take(&f);
	CHECK(answer(&f, &bye, 200, NULL, NULL, false) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_NO_ACK);
	CHECK_INT(f.status, 200);
	cfix_close(&f);
	return 0;
}

TEST(callee_declines_and_frees_unanswered)
{
	struct cfix f;
	CHECK(incoming(&f) == 0);
	CHECK(sip_call_hangup(f.call) == 0);
	CHECK_INT(f.done, 0); /* from the loop, not from inside the call */
	CHECK(next_has(&f, "SIP/2.0 486 Busy Here\r\n"));
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_FAILED);
	CHECK(caller_send(&f, "ACK", "inv1", 1, NULL, false) == 0);
	sip_call_free(f.call);
	/* A second INVITE, freed unanswered: 480. */
	f.call = NULL;
	CHECK(caller_send(&f, "INVITE", "inv2", 2, NULL, false) == 0);
	CHECK(f.call != NULL);
	CHECK(next_has(&f, "SIP/2.0 100 Trying\r\n"));
	sip_call_free(f.call);
	f.call = NULL;
	CHECK(next_has(&f, "SIP/2.0 480 "));
	cfix_close(&f);
	return 0;
}

TEST(callee_hangs_up_after_the_ack)
{
	struct cfix f;
	char tag[32];
	CHECK(incoming(&f) == 0);
	CHECK(sip_call_answer(f.call, 200, "application/sdp", sdp, sizeof sdp - 1) == 0);
	CHECK(take(&f) > 0);
	header_value(f.in.buf, "To: ", true, tag, sizeof tag);
	/* Hung up before the ACK: the BYE waits for it (§15). */
	CHECK(sip_call_hangup(f.call) == 0);
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	CHECK(caller_send(&f, "ACK", "ack1", 1, tag, false) == 0);
	CHECK(next_has(&f, "BYE sip:caller@127.0.0.1:"));
	CHECK(got(&f, "From: <sip:alice@127.0.0.1>;tag="));
	CHECK(got(&f, tag));
	CHECK(answer(&f, &f.in, 200, NULL, NULL, false) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_BYE);
	cfix_close(&f);
	return 0;
}

TEST(callee_reinvite_both_ways)
{
	struct cfix f;
	char tag[32];
	CHECK(answered_incoming(&f, tag, sizeof tag) == 0);
	/* Ours: a re-INVITE to the caller's Contact, ACKed on its 2xx. */
	CHECK(sip_call_modify(f.call, "INVITE", "application/sdp", sdp, sizeof sdp - 1) == 0);
	CHECK(next_has(&f, "INVITE sip:caller@127.0.0.1:"));
	CHECK(got(&f, "Contact: <sip:sip@127.0.0.1:"));
	CHECK(answer(&f, &f.in, 200, NULL, NULL, true) == 0);
	CHECK_INT(f.ev[SIP_CALL_MODIFIED], 1);
	CHECK(next_has(&f, "ACK sip:caller@127.0.0.1:"));
	/* Theirs: answered with our SDP. */
	CHECK(caller_send(&f, "INVITE", "reinv1", 2, tag, true) == 0);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(got(&f, "Content-Type: application/sdp\r\n"));
	CHECK_INT(f.ev[SIP_CALL_REFRESHED], 1);
	/* Its ACK is no news. */
	CHECK(caller_send(&f, "ACK", "reack1", 2, tag, false) == 0);
	CHECK_INT(f.ev[SIP_CALL_ANSWERED], 1);
	cfix_close(&f);
	return 0;
}

/* ---- what a review found ---- */

/* Takes every message waiting at the callee; the last one stays in f->in. */
static int drain(struct cfix *f)
{
	int n = 0;
	while (peer_pending(&f->peer) && take(f) > 0)
		n++;
	return n;
}

TEST(callee_bye_before_the_ack_ends_it_once)
{
	struct cfix f;
	char tag[32];
	CHECK(incoming(&f) == 0);
	CHECK(sip_call_answer(f.call, 200, "application/sdp", sdp, sizeof sdp - 1) == 0);
	CHECK(take(&f) > 0);
	header_value(f.in.buf, "To: ", true, tag, sizeof tag);
	CHECK(caller_send(&f, "BYE", "bye1", 2, tag, false) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_REMOTE);
	/* No ACK ever: no BYE of ours on the dead dialog, no second done. */
	for (int i = 0; i < 70; i++) {
		fake_now += 500000;
		peer_spin(sip_ua_loop(f.ua));
		while (peer_pending(&f.peer) && take(&f) > 0)
			CHECK(strncmp(f.in.buf, "BYE ", 4) != 0);
	}
	CHECK_INT(f.done, 1);
	cfix_close(&f);
	return 0;
}

TEST(callee_early_bye_gets_the_invite_a_487)
{
	struct cfix f;
	char tag[32];
	CHECK(incoming(&f) == 0);
	CHECK(sip_call_answer(f.call, 180, NULL, NULL, 0) == 0);
	CHECK(take(&f) > 0);
	header_value(f.in.buf, "To: ", true, tag, sizeof tag);
	CHECK(caller_send(&f, "BYE", "bye1", 2, tag, false) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_REMOTE);
	CHECK(next_has(&f, "SIP/2.0 487 "));
	CHECK(got(&f, "CSeq: 1 INVITE\r\n"));
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(got(&f, "CSeq: 2 BYE\r\n"));
	CHECK(sip_call_answer(f.call, 200, "application/sdp", sdp, sizeof sdp - 1) == SIP_EINVAL);
	CHECK_INT(sip_call_state(f.call), SIP_CALL_ENDED);
	cfix_close(&f);
	return 0;
}

TEST(callee_hangup_after_a_decline)
{
	struct cfix f;
	CHECK(incoming(&f) == 0);
	CHECK(sip_call_answer(f.call, 180, NULL, NULL, 0) == 0);
	CHECK(sip_call_answer(f.call, 603, NULL, NULL, 0) == 0);
	CHECK(sip_call_hangup(f.call) == 0);
	CHECK_INT(f.done, 0);
	peer_spin(sip_ua_loop(f.ua));
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_FAILED);
	cfix_close(&f);
	return 0;
}

TEST(call_prack_hop_error_is_not_the_end)
{
	struct cfix f;
	char good[80];
	CHECK(calling(&f, true, true) == 0);
	/* A reliable 183 whose Contact is no SIP URI: its PRACK cannot go... */
	snprintf(good, sizeof good, "%s", f.contact);
	snprintf(f.contact, sizeof f.contact, "<tel:+12345>");
	CHECK(answer(&f, &f.invite, 183, "t1", "Require: 100rel\nRSeq: 1", true) == 0);
	CHECK_INT(f.ev[SIP_CALL_PRACKED], 1);
	CHECK_INT(f.ev_err, SIP_ESCHEME);
	CHECK_INT(f.done, 0);
	/* ...the call goes on: the 200 (whose Contact is) confirms it. */
	snprintf(f.contact, sizeof f.contact, "%s", good);
	CHECK(answer(&f, &f.invite, 200, "t1", NULL, true) == 0);
	CHECK_INT(f.ev[SIP_CALL_ANSWERED], 1);
	CHECK(next_has(&f, "ACK sip:callee@127.0.0.1:"));
	CHECK_INT(f.done, 0);
	cfix_close(&f);
	return 0;
}

TEST(call_prack_in_rseq_order_and_retried)
{
	struct cfix f;
	CHECK(calling(&f, true, true) == 0);
	CHECK(answer(&f, &f.invite, 180, "t1", "Require: 100rel\nRSeq: 5", false) == 0);
	CHECK(next_has(&f, "RAck: 5 1 INVITE\r\n"));
	CHECK(answer(&f, &f.in, 200, NULL, NULL, false) == 0);
	/* RSeq 7 before 6: one is missing, it comes again; 6 then 7 go. */
	CHECK(answer(&f, &f.invite, 180, "t1", "Require: 100rel\nRSeq: 7", false) == 0);
	CHECK_INT(f.ev[SIP_CALL_NOT_PRACKED], 1);
	CHECK_INT(f.ev_err, SIP_ERANGE);
	CHECK(!peer_pending(&f.peer));
	CHECK(answer(&f, &f.invite, 180, "t1", "Require: 100rel\nRSeq: 6", false) == 0);
	CHECK(next_has(&f, "RAck: 6 1 INVITE\r\n"));
	CHECK(answer(&f, &f.invite, 180, "t1", "Require: 100rel\nRSeq: 7", false) == 0);
	CHECK(next_has(&f, "RAck: 7 1 INVITE\r\n"));
	cfix_close(&f);
	return 0;
}

TEST(call_hangup_and_modify_report_from_the_loop)
{
	struct cfix f;
	CHECK(answered_call(&f) == 0);
	CHECK(sip_call_modify(f.call, "INVITE", "application/sdp", sdp, 0) == SIP_EINVAL);
	CHECK(sip_call_modify(f.call, "INVITE", "application/sdp", sdp, sizeof sdp - 1) == 0);
	CHECK(!peer_pending(&f.peer)); /* nothing yet: it goes from the loop */
	CHECK(next_has(&f, "INVITE sip:callee@127.0.0.1:"));
	/* Their re-INVITE while ours is out: 491 (glare). */
	CHECK(callee_request(&f, "INVITE", "t1", true, NULL) == 0);
	CHECK(next_has(&f, "SIP/2.0 491 "));
	CHECK_INT(f.ev[SIP_CALL_REFRESHED], 0);
	CHECK(sip_call_hangup(f.call) == 0);
	CHECK_INT(f.done, 0);
	CHECK(next_has(&f, "BYE "));
	cfix_close(&f);
	return 0;
}

TEST(call_far_end_reinvite_without_offer_answered_in_its_ack)
{
	struct cfix f;
	char buf[2048];
	CHECK(answered_call(&f) == 0);
	CHECK(callee_request(&f, "INVITE", "t1", false, NULL) == 0);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(got(&f, "m=audio")); /* our offer */
	CHECK_INT(f.ev[SIP_CALL_REFRESHED], 1);
	int n = snprintf(buf, sizeof buf,
	                 "ACK sip:alice@127.0.0.1 SIP/2.0\r\n"
	                 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKackx;rport\r\n"
	                 "Max-Forwards: 70\r\n"
	                 "From: <sip:callee@127.0.0.1>;tag=t1\r\n"
	                 "To: <sip:sip@127.0.0.1>;tag=%s\r\n"
	                 "Call-ID: %s\r\n"
	                 "CSeq: %u ACK\r\n"
	                 "Content-Type: application/sdp\r\n"
	                 "Content-Length: %zu\r\n\r\n%s",
	                 sip_sockaddr_port(&f.peer.addr), f.tag, f.call_id, f.cseq, sizeof sdp - 1,
	                 sdp);
	CHECK(sendto(f.peer.fd, buf, (size_t)n, 0, &f.invite.from.u.sa, f.invite.from.len) == n);
	peer_spin(sip_ua_loop(f.ua));
	CHECK_INT(f.ev[SIP_CALL_REFRESHED], 2); /* the ACK with their answer */
	cfix_close(&f);
	return 0;
}

TEST(call_fork_bye_and_other_methods_in_the_dialog)
{
	struct cfix f;
	CHECK(answered_call(&f) == 0);
	CHECK(answer(&f, &f.invite, 200, "t2", NULL, true) == 0);
	drain(&f);
	/* The other phone's BYE crosses ours: 200. */
	CHECK(callee_request(&f, "BYE", "t2", false, NULL) == 0);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK_INT(f.done, 0);
	/* A method the Allow line does not name: 405 with Allow; OPTIONS: 200. */
	CHECK(callee_request(&f, "REFER", "t1", false, NULL) == 0);
	CHECK(next_has(&f, "SIP/2.0 405 "));
	CHECK(got(&f, "Allow: INVITE, ACK, CANCEL, BYE, PRACK, UPDATE, OPTIONS\r\n"));
	CHECK(callee_request(&f, "OPTIONS", "t1", false, NULL) == 0);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	cfix_close(&f);
	return 0;
}

TEST(call_early_update_from_the_callee)
{
	struct cfix f;
	CHECK(calling(&f, true, true) == 0);
	CHECK(answer(&f, &f.invite, 183, "t1", "Require: 100rel\nRSeq: 1", true) == 0);
	CHECK(take(&f) > 0);
	CHECK(answer(&f, &f.in, 200, NULL, NULL, false) == 0);
	CHECK(callee_request(&f, "UPDATE", "t1", true, NULL) == 0);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(got(&f, "m=audio"));
	CHECK_INT(f.ev[SIP_CALL_REFRESHED], 1);
	cfix_close(&f);
	return 0;
}

TEST(call_late_offer_in_a_reliable_1xx_answered_in_the_prack)
{
	struct cfix f;
	CHECK(calling(&f, false, true) == 0);
	CHECK(answer(&f, &f.invite, 183, "t1", "Require: 100rel\nRSeq: 1", true) == 0);
	CHECK(next_has(&f, "PRACK "));
	CHECK(got(&f, "Content-Type: application/sdp\r\n"));
	CHECK_INT(f.sdp_calls, 1);
	CHECK(answer(&f, &f.in, 200, NULL, NULL, false) == 0);
	/* The 2xx's SDP is that offer again: the ACK answers nothing. */
	CHECK(answer(&f, &f.invite, 200, "t1", NULL, true) == 0);
	CHECK(next_has(&f, "ACK "));
	CHECK(got(&f, "Content-Length: 0\r\n"));
	CHECK_INT(f.sdp_calls, 1);
	cfix_close(&f);
	return 0;
}

/* The callee's side of a caller's call: a reliable 183, an UPDATE, the 200
 * and a fork's, their re-INVITE, ours, the BYE; the call freed from one
 * handler after another (ASan watches). */
static void caller_run(struct cfix *f)
{
	if (call_start(f, f->free_on_ev != 0 || !f->free_in_sdp, true) != 0)
		return;
	if (f->call)
		answer(f, &f->invite, 183, "t1", "Require: 100rel\nRSeq: 1", true);
	if (f->call && take(f) > 0 && strncmp(f->in.buf, "PRACK", 5) == 0)
		answer(f, &f->in, 200, NULL, NULL, false);
	if (f->call &&
	    sip_call_modify(f->call, "UPDATE", "application/sdp", sdp, sizeof sdp - 1) == 0 &&
	    take(f) > 0)
		answer(f, &f->in, 200, NULL, NULL, true);
	if (f->call)
		answer(f, &f->invite, 200, "t1", NULL, true);
	drain(f);
	if (f->call)
		answer(f, &f->invite, 200, "t2", NULL, true);
	while (peer_pending(&f->peer) && take(f) > 0)
		if (strncmp(f->in.buf, "BYE", 3) == 0)
			answer(f, &f->in, 200, NULL, NULL, false);
	if (f->call)
		callee_request(f, "INVITE", "t1", false, NULL);
	drain(f);
	if (f->call &&
	    sip_call_modify(f->call, "INVITE", "application/sdp", sdp, sizeof sdp - 1) == 0 &&
	    take(f) > 0)
		answer(f, &f->in, 200, NULL, NULL, true);
	drain(f);
	if (f->call && sip_call_hangup(f->call) == 0 && take(f) > 0 &&
	    strncmp(f->in.buf, "BYE", 3) == 0)
		answer(f, &f->in, 200, NULL, NULL, false);
}

TEST(call_freed_from_every_handler)
{
	for (int k = 0; k <= SIP_CALL_SESSION_REFRESHED + 3; k++) {
		struct cfix f;
		CHECK(cfix_open(&f) == 0);
		if (k <= SIP_CALL_SESSION_REFRESHED)
			f.free_on_ev = k + 1;
		else if (k == SIP_CALL_SESSION_REFRESHED + 1)
			f.free_in_done = true;
		else
			f.free_in_sdp = true;
		caller_run(&f);
		CHECK(f.done <= 1);
		cfix_close(&f);
	}
	return 0;
}

/* ---- session timers (RFC 4028) ---- */

/* Turns the fake clock on by seconds, a second at a time. */
static void wait_s(struct cfix *f, unsigned seconds)
{
	for (unsigned i = 0; i < seconds; i++) {
		fake_now += 1000000;
		peer_spin(sip_ua_loop(f->ua));
	}
}

TEST(call_session_refreshed_by_us)
{
	struct cfix f;
	CHECK(calling(&f, true, true) == 0);
	CHECK(answer(&f, &f.invite, 200, "t1",
	             "Session-Expires: 90;refresher=uac\nRequire: timer\nAllow: INVITE, ACK, BYE, "
	             "UPDATE",
	             true) == 0);
	CHECK(next_has(&f, "ACK "));
	/* Half the interval on: an UPDATE without a body refreshes it. */
	wait_s(&f, 44);
	CHECK(!peer_pending(&f.peer));
	wait_s(&f, 1);
	CHECK(next_has(&f, "UPDATE sip:callee@127.0.0.1:"));
	CHECK(got(&f, "Session-Expires: 90;refresher=uac\r\n"));
	CHECK(got(&f, "Supported: timer\r\n"));
	CHECK(got(&f, "Content-Length: 0\r\n"));
	CHECK(answer(&f, &f.in, 200, NULL, "Session-Expires: 120;refresher=uac\nRequire: timer",
	             false) == 0);
	CHECK_INT(f.ev[SIP_CALL_SESSION_REFRESHED], 1);
	/* The 2xx granted 120 s: the next one 60 s on. */
	wait_s(&f, 59);
	CHECK(!peer_pending(&f.peer));
	wait_s(&f, 1);
	CHECK(next_has(&f, "UPDATE "));
	CHECK(got(&f, "Session-Expires: 120;refresher=uac\r\n"));
	/* A 481: the far end lost the call; BYE, and the session expired. */
	CHECK(answer(&f, &f.in, 481, NULL, NULL, false) == 0);
	CHECK(next_has(&f, "BYE "));
	CHECK(answer(&f, &f.in, 200, NULL, NULL, false) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_EXPIRED);
	cfix_close(&f);
	return 0;
}

TEST(call_session_refreshed_by_reinvite_without_update)
{
	struct cfix f;
	CHECK(calling(&f, true, true) == 0);
	CHECK(answer(&f, &f.invite, 200, "t1", "Session-Expires: 90;refresher=uac\nRequire: timer",
	             true) == 0);
	CHECK(next_has(&f, "ACK "));
	wait_s(&f, 45);
	CHECK(next_has(&f, "INVITE sip:callee@127.0.0.1:"));
	CHECK(got(&f, "Session-Expires: 90;refresher=uac\r\n"));
	CHECK(got(&f, "m=audio")); /* our offer again */
	CHECK_INT(f.sdp_calls, 1);
	CHECK(answer(&f, &f.in, 200, NULL, "Session-Expires: 90;refresher=uac", true) == 0);
	CHECK(next_has(&f, "ACK "));
	CHECK(got(&f, "CSeq: 2 ACK\r\n"));
	CHECK_INT(f.ev[SIP_CALL_SESSION_REFRESHED], 1);
	cfix_close(&f);
	return 0;
}

TEST(call_session_expires_without_their_refresh)
{
	struct cfix f;
	CHECK(calling(&f, true, true) == 0);
	CHECK(answer(&f, &f.invite, 200, "t1", "Session-Expires: 90;refresher=uas", true) == 0);
	CHECK(next_has(&f, "ACK "));
	/* Their refresh at 40 s (they are its UAC, so its refresher=uac):
	 * answered with the interval, and the clock starts again. */
	wait_s(&f, 40);
	CHECK(callee_request(&f, "UPDATE", "t1", false, "Supported: timer") == 0);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(got(&f, "Session-Expires: 90;refresher=uac\r\n"));
	CHECK(got(&f, "Require: timer\r\n"));
	/* None after it: at 90 - 30 s, BYE. */
	wait_s(&f, 59);
	CHECK(!peer_pending(&f.peer));
	wait_s(&f, 1);
	CHECK(next_has(&f, "BYE "));
	CHECK(answer(&f, &f.in, 200, NULL, NULL, false) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_EXPIRED);
	cfix_close(&f);
	return 0;
}

TEST(callee_session_timer_the_caller_refreshes)
{
	struct cfix f;
	char buf[2048];
	struct sip_sockaddr ua;
	CHECK(cfix_open(&f) == 0);
	CHECK(sip_ua_accept(f.ua, "INVITE", on_invite, &f) == 0);
	CHECK(sip_ua_bound(f.ua, SIP_TP_UDP, AF_INET, &ua) == 0);
	int n = snprintf(buf, sizeof buf,
	                 "INVITE sip:alice@127.0.0.1:%u SIP/2.0\r\n"
	                 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKse1;rport\r\n"
	                 "Max-Forwards: 70\r\n"
	                 "From: <sip:caller@127.0.0.1>;tag=c1\r\n"
	                 "To: <sip:alice@127.0.0.1>\r\n"
	                 "Call-ID: se-1\r\n"
	                 "CSeq: 1 INVITE\r\n"
	                 "Contact: <sip:caller@127.0.0.1:%u>\r\n"
	                 "Supported: timer\r\n"
	                 "Session-Expires: 1800\r\n"
	                 "Content-Length: 0\r\n\r\n",
	                 sip_sockaddr_port(&ua), sip_sockaddr_port(&f.peer.addr),
	                 sip_sockaddr_port(&f.peer.addr));
	CHECK(sendto(f.peer.fd, buf, (size_t)n, 0, &ua.u.sa, ua.len) == n);
	peer_spin(sip_ua_loop(f.ua));
	CHECK(f.call != NULL);
	CHECK(next_has(&f, "SIP/2.0 100 Trying\r\n"));
	CHECK(sip_call_answer(f.call, 200, "application/sdp", sdp, sizeof sdp - 1) == 0);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(got(&f, "Session-Expires: 1800;refresher=uac\r\n"));
	CHECK(got(&f, "Require: timer\r\n"));
	cfix_close(&f);
	return 0;
}

/* A confirmed call whose 2xx carries the header lines extra. */
static int timer_call(struct cfix *f, const char *extra)
{
	if (calling(f, true, true) != 0 || answer(f, &f->invite, 200, "t1", extra, true) != 0 ||
	    !next_has(f, "ACK "))
		return -1;
	return 0;
}

static const char se_uac_update[] =
	"Session-Expires: 90;refresher=uac\nRequire: timer\nAllow: INVITE, ACK, BYE, UPDATE";

TEST(call_session_refresh_crossed_by_the_end)
{
	struct cfix f;
	/* Their BYE while our refresh is out; then the refresh gets 481: done once, no BYE. */
	CHECK(timer_call(&f, se_uac_update) == 0);
	wait_s(&f, 45);
	CHECK(next_has(&f, "UPDATE "));
	struct peer_last update = f.in;
	CHECK(callee_request(&f, "BYE", "t1", false, NULL) == 0);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(answer(&f, &update, 481, NULL, NULL, false) == 0);
	CHECK(!peer_pending(&f.peer));
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_REMOTE);
	cfix_close(&f);
	/* Our hangup while it is out: one BYE, and done says BYE, not EXPIRED. */
	CHECK(timer_call(&f, se_uac_update) == 0);
	wait_s(&f, 45);
	CHECK(next_has(&f, "UPDATE "));
	update = f.in;
	CHECK(sip_call_hangup(f.call) == 0);
	CHECK(next_has(&f, "BYE "));
	struct peer_last bye = f.in;
	CHECK(answer(&f, &update, 481, NULL, NULL, false) == 0);
	CHECK(!peer_pending(&f.peer));
	CHECK(answer(&f, &bye, 200, NULL, NULL, false) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_BYE);
	cfix_close(&f);
	return 0;
}

TEST(call_session_refresh_from_a_far_end_without_timer)
{
	struct cfix f;
	/* They were to refresh, but their UPDATE does not say Supported: timer:
	 * we refresh from now on, and Require: timer goes to nobody. */
	CHECK(timer_call(&f, "Session-Expires: 90;refresher=uas") == 0);
	CHECK(callee_request(&f, "UPDATE", "t1", false, NULL) == 0);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(got(&f, "Session-Expires: 90;refresher=uas\r\n"));
	CHECK(!got(&f, "Require: timer"));
	wait_s(&f, 45);
	CHECK(next_has(&f, "INVITE ")); /* their Allow has no UPDATE */
	cfix_close(&f);
	return 0;
}

TEST(call_session_refresh_that_only_rings_ends_the_call)
{
	struct cfix f;
	CHECK(timer_call(&f, "Session-Expires: 90;refresher=uac") == 0);
	wait_s(&f, 45);
	CHECK(next_has(&f, "INVITE "));
	CHECK(answer(&f, &f.in, 180, NULL, NULL, false) == 0);
	/* Their re-INVITE while ours is out: 491; our re-INVITE waits too. */
	CHECK(callee_request(&f, "INVITE", "t1", true, NULL) == 0);
	CHECK(next_has(&f, "SIP/2.0 491 "));
	CHECK(sip_call_modify(f.call, "INVITE", "application/sdp", sdp, sizeof sdp - 1) == 0);
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	/* At the end of the session: CANCEL and BYE (the 491 repeats meanwhile),
	 * not the re-INVITE that waited. */
	wait_s(&f, 15);
	bool cancel = false, bye = false, reinvite = false;
	while (peer_pending(&f.peer) && take(&f) > 0) {
		cancel |= got(&f, "CANCEL ");
		bye |= got(&f, "BYE ");
		reinvite |= got(&f, "INVITE sip:");
	}
	CHECK(cancel && bye && !reinvite);
	cfix_close(&f);
	return 0;
}

TEST(call_session_refresh_refused)
{
	struct cfix f;
	/* 405 to the UPDATE: a re-INVITE at once. */
	CHECK(timer_call(&f, se_uac_update) == 0);
	wait_s(&f, 45);
	CHECK(next_has(&f, "UPDATE "));
	CHECK(answer(&f, &f.in, 405, NULL, NULL, false) == 0);
	CHECK(next_has(&f, "INVITE "));
	/* 491: again after 2.1 to 4 s, not before. */
	CHECK(answer(&f, &f.in, 491, NULL, NULL, false) == 0);
	CHECK(next_has(&f, "ACK ")); /* the transaction's */
	wait_s(&f, 2);
	CHECK(!peer_pending(&f.peer));
	wait_s(&f, 2);
	CHECK(next_has(&f, "INVITE "));
	/* 403: refused for good: the session is lost. */
	CHECK(answer(&f, &f.in, 403, NULL, NULL, false) == 0);
	/* The transaction's ACK and our BYE, in either order. */
	struct peer_last bye = {.len = 0};
	bool ack = false;
	while (peer_pending(&f.peer) && take(&f) > 0) {
		ack |= got(&f, "ACK ");
		if (got(&f, "BYE "))
			bye = f.in;
	}
	CHECK(ack && bye.len);
	CHECK(answer(&f, &bye, 200, NULL, NULL, false) == 0);
	CHECK_INT(f.how, SIP_CALL_END_EXPIRED);
	cfix_close(&f);
	return 0;
}

TEST(call_session_of_one_second_is_no_flood)
{
	struct cfix f;
	CHECK(timer_call(&f, "Session-Expires: 1;refresher=uac\nAllow: UPDATE") == 0);
	/* No time passes: nothing goes. */
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	wait_s(&f, 1);
	CHECK(next_has(&f, "UPDATE "));
	CHECK(answer(&f, &f.in, 200, NULL, "Session-Expires: 1;refresher=uac", false) == 0);
	CHECK(!peer_pending(&f.peer));
	cfix_close(&f);
	return 0;
}

/* ---- the callee's reliable provisional responses (RFC 3262) ---- */

static unsigned long rseq_of(const struct cfix *f)
{
	char v[16];
	header_value(f->in.buf, "RSeq: ", false, v, sizeof v);
	return strtoul(v, NULL, 10);
}

/* The caller's PRACK of the 1xx with rseq, in the dialog of tag. */
static int prack_send(struct cfix *f, const char *branch, unsigned cseq, const char *tag,
                      unsigned long rseq, bool body)
{
	char rack[48];
	snprintf(rack, sizeof rack, "RAck: %lu 1 INVITE", rseq);
	return caller_send_x(f, "PRACK", branch, cseq, tag, body, rack);
}

/* A reliable 1xx of status has come, its To tag in tag. */
static int rung_reliably(struct cfix *f, unsigned status, bool body, char *tag, size_t cap)
{
	if (sip_call_answer(f->call, status, body ? "application/sdp" : NULL, body ? sdp : NULL,
	                    body ? sizeof sdp - 1 : 0) != 0 ||
	    take(f) == 0 || !got(f, "Require: 100rel\r\n") || rseq_of(f) == 0)
		return -1;
	header_value(f->in.buf, "To: ", true, tag, cap);
	return 0;
}

TEST(callee_reliable_180_until_its_prack)
{
	struct cfix f;
	char tag[32];
	CHECK(incoming_x(&f, true, true, "Supported: 100rel, timer") == 0);
	CHECK(rung_reliably(&f, 180, false, tag, sizeof tag) == 0);
	CHECK(got(&f, "SIP/2.0 180 Ringing\r\n"));
	unsigned long rseq = rseq_of(&f);
	CHECK(rseq <= 0x7fffffff);
	CHECK_INT(sip_call_state(f.call), SIP_CALL_RINGING);
	/* One at a time (§3). */
	CHECK(sip_call_answer(f.call, 183, NULL, NULL, 0) == SIP_EINVAL);
	/* Again at T1, and 2*T1 after that. */
	fake_now += 500000;
	CHECK(next_has(&f, "SIP/2.0 180 Ringing\r\n"));
	CHECK_INT(rseq_of(&f), rseq);
	fake_now += 500000;
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	fake_now += 500000;
	CHECK(next_has(&f, "SIP/2.0 180 Ringing\r\n"));
	/* A PRACK that names no 1xx of ours: 481, no event (§3). */
	CHECK(prack_send(&f, "pr1", 2, tag, rseq + 1, false) == 0);
	CHECK(next_has(&f, "SIP/2.0 481 "));
	CHECK_INT(f.ev[SIP_CALL_PRACKED], 0);
	CHECK(prack_send(&f, "pr2", 3, tag, rseq, false) == 0);
	CHECK_INT(f.ev[SIP_CALL_PRACKED], 1);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(got(&f, "CSeq: 3 PRACK\r\n"));
	CHECK(got(&f, "Content-Length: 0\r\n"));
	/* No more of it... */
	fake_now += 8000000;
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	/* ...its PRACK again matches nothing... */
	CHECK(prack_send(&f, "pr3", 4, tag, rseq, false) == 0);
	CHECK(next_has(&f, "SIP/2.0 481 "));
	/* ...and the next 1xx takes the next RSeq. */
	CHECK(rung_reliably(&f, 183, false, tag, sizeof tag) == 0);
	CHECK_INT(rseq_of(&f), rseq + 1);
	/* Without a session description in it, the 2xx goes at once, with its
	 * body, and the 183 is not sent again. */
	CHECK(sip_call_answer(f.call, 200, "application/sdp", sdp, sizeof sdp - 1) == 0);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(got(&f, "CSeq: 1 INVITE\r\n"));
	CHECK(got(&f, "m=audio 5000 RTP/AVP 0\r\n"));
	CHECK(!got(&f, "RSeq: "));
	CHECK(caller_send(&f, "ACK", "ack1", 1, tag, false) == 0);
	CHECK_INT(sip_call_state(f.call), SIP_CALL_CONFIRMED);
	fake_now += 8000000;
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	CHECK_INT(f.ev[SIP_CALL_PRACKED], 1);
	cfix_close(&f);
	return 0;
}

TEST(callee_reliable_180_never_pracked_is_a_500)
{
	struct cfix f;
	char tag[32];
	CHECK(incoming_x(&f, true, true, "Supported: 100rel") == 0);
	uint64_t start = fake_now, at = 0;
	CHECK(rung_reliably(&f, 180, false, tag, sizeof tag) == 0);
	int rings = 1;
	for (int i = 0; i < 300 && !at; i++) {
		fake_now += 250000;
		peer_spin(sip_ua_loop(f.ua));
		while (peer_pending(&f.peer) && take(&f) > 0) {
			if (got(&f, "SIP/2.0 180 Ringing\r\n"))
				rings++;
			else if (got(&f, "SIP/2.0 500 No PRACK\r\n"))
				at = fake_now - start;
		}
	}
	/* At 0, T1, 3*T1, 7*T1 ... 63*T1: doubling each time (§3). */
	CHECK_INT(rings, 7);
	CHECK_INT(at, 64 * 500000);
	CHECK(got(&f, tag));
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_FAILED);
	CHECK_INT(f.err, SIP_ETIMEDOUT);
	CHECK(sip_call_answer(f.call, 200, NULL, NULL, 0) == SIP_EINVAL);
	CHECK(caller_send(&f, "ACK", "inv1", 1, tag, false) == 0);
	cfix_close(&f);
	return 0;
}

TEST(callee_reliable_only_when_asked_and_supported_or_required)
{
	struct cfix f;
	char tag[32];
	/* Required: reliable, spec.prack or not (§3). */
	CHECK(incoming_x(&f, false, true, "Require: 100rel") == 0);
	CHECK(rung_reliably(&f, 180, false, tag, sizeof tag) == 0);
	cfix_close(&f);
	/* Supported, but not asked for; and asked for, but the caller does not
	 * take it: neither is reliable, nor sent again. */
	for (int i = 0; i < 2; i++) {
		CHECK(incoming_x(&f, i == 1, true, i ? "Supported: timer" : "Supported: 100rel") ==
		      0);
		CHECK(sip_call_answer(f.call, 180, NULL, NULL, 0) == 0);
		CHECK(next_has(&f, "SIP/2.0 180 Ringing\r\n"));
		CHECK(!got(&f, "RSeq: "));
		CHECK(!got(&f, "Require: "));
		CHECK(sip_call_answer(f.call, 183, NULL, NULL, 0) == 0);
		CHECK(next_has(&f, "SIP/2.0 183 "));
		fake_now += 4000000;
		peer_spin(sip_ua_loop(f.ua));
		CHECK(!peer_pending(&f.peer));
		cfix_close(&f);
	}
	return 0;
}

TEST(callee_2xx_waits_for_the_prack_of_early_sdp)
{
	struct cfix f;
	char tag[32];
	CHECK(incoming_x(&f, true, true, "Supported: 100rel") == 0);
	CHECK(rung_reliably(&f, 183, true, tag, sizeof tag) == 0);
	CHECK(got(&f, "SIP/2.0 183 Session Progress\r\n"));
	CHECK(got(&f, "m=audio 5000 RTP/AVP 0\r\n"));
	unsigned long rseq = rseq_of(&f);
	/* The 183 answered the offer: the 2xx waits for its PRACK (§3). */
	CHECK(sip_call_answer(f.call, 200, "application/sdp", sdp, sizeof sdp - 1) == 0);
	CHECK(sip_call_answer(f.call, 200, NULL, NULL, 0) == SIP_EINVAL);
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	CHECK_INT(sip_call_state(f.call), SIP_CALL_RINGING);
	/* The PRACK brings an offer of its own, answered in its 200... */
	CHECK(prack_send(&f, "pr1", 2, tag, rseq, true) == 0);
	CHECK_INT(f.ev[SIP_CALL_PRACKED], 1);
	CHECK_INT(f.sdp_calls, 1);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(got(&f, "CSeq: 2 PRACK\r\n"));
	CHECK(got(&f, "m=audio 5000 RTP/AVP 0\r\n"));
	/* ...then the 2xx goes, without a body: the answer went in the 183. */
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(got(&f, "CSeq: 1 INVITE\r\n"));
	CHECK(got(&f, "Content-Length: 0\r\n"));
	CHECK(!got(&f, "RSeq: "));
	CHECK_INT(sip_call_state(f.call), SIP_CALL_ACCEPTED);
	CHECK(caller_send(&f, "ACK", "ack1", 1, tag, false) == 0);
	CHECK_INT(sip_call_state(f.call), SIP_CALL_CONFIRMED);
	CHECK_INT(f.sdp_calls, 1);
	cfix_close(&f);
	return 0;
}

TEST(callee_hangup_while_the_2xx_waits_for_a_prack)
{
	struct cfix f;
	char tag[32];
	CHECK(incoming_x(&f, true, true, "Supported: 100rel") == 0);
	CHECK(rung_reliably(&f, 183, true, tag, sizeof tag) == 0);
	CHECK(sip_call_answer(f.call, 200, "application/sdp", sdp, sizeof sdp - 1) == 0);
	/* The 2xx has not gone: the INVITE is declined. */
	CHECK(sip_call_hangup(f.call) == 0);
	CHECK(next_has(&f, "SIP/2.0 486 Busy Here\r\n"));
	peer_spin(sip_ua_loop(f.ua));
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_FAILED);
	CHECK_INT(f.err, 0);
	CHECK(caller_send(&f, "ACK", "inv1", 1, tag, false) == 0);
	fake_now += 8000000;
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	cfix_close(&f);
	return 0;
}

TEST(callee_late_offer_in_a_reliable_183_answered_in_the_prack)
{
	struct cfix f;
	char tag[32];
	CHECK(incoming_x(&f, true, false, "Supported: 100rel") == 0);
	CHECK(rung_reliably(&f, 183, true, tag, sizeof tag) == 0);
	CHECK(got(&f, "m=audio 5000 RTP/AVP 0\r\n"));
	/* The PRACK's body is the answer to our offer: not an offer to answer. */
	CHECK(prack_send(&f, "pr1", 2, tag, rseq_of(&f), true) == 0);
	CHECK_INT(f.ev[SIP_CALL_PRACKED], 1);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(got(&f, "CSeq: 2 PRACK\r\n"));
	CHECK(got(&f, "Content-Length: 0\r\n"));
	CHECK_INT(f.sdp_calls, 0);
	CHECK(sip_call_answer(f.call, 200, "application/sdp", sdp, sizeof sdp - 1) == 0);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(got(&f, "CSeq: 1 INVITE\r\n"));
	CHECK(got(&f, "Content-Length: 0\r\n"));
	CHECK(caller_send(&f, "ACK", "ack1", 1, tag, false) == 0);
	CHECK_INT(sip_call_state(f.call), SIP_CALL_CONFIRMED);
	cfix_close(&f);
	return 0;
}

TEST(callee_reliable_180_cancelled)
{
	struct cfix f;
	char tag[32];
	CHECK(incoming_x(&f, true, true, "Supported: 100rel") == 0);
	CHECK(rung_reliably(&f, 180, false, tag, sizeof tag) == 0);
	CHECK(caller_send(&f, "CANCEL", "inv1", 1, NULL, false) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_CALL_END_CANCELLED);
	CHECK(next_has(&f, "SIP/2.0 200 OK\r\n"));
	CHECK(next_has(&f, "SIP/2.0 487 "));
	CHECK(caller_send(&f, "ACK", "inv1", 1, tag, false) == 0);
	fake_now += 8000000;
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	cfix_close(&f);
	return 0;
}

TEST(callee_prack_offer_before_the_answer_is_refused_but_acknowledges)
{
	struct cfix f;
	char tag[32];
	CHECK(incoming_x(&f, true, true, "Supported: 100rel") == 0);
	CHECK(rung_reliably(&f, 180, false, tag, sizeof tag) == 0);
	/* The INVITE's offer is still unanswered: no second one now. */
	CHECK(prack_send(&f, "pr1", 2, tag, rseq_of(&f), true) == 0);
	CHECK_INT(f.ev[SIP_CALL_PRACKED], 1);
	CHECK_INT(f.sdp_calls, 0);
	CHECK(next_has(&f, "SIP/2.0 488 "));
	CHECK(got(&f, "CSeq: 2 PRACK\r\n"));
	/* The 180 is acknowledged all the same. */
	fake_now += 4000000;
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	CHECK(rung_reliably(&f, 183, false, tag, sizeof tag) == 0);
	cfix_close(&f);
	return 0;
}
