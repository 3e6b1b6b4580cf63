/* ua_test.c - requests arriving at a user agent: the chain of handlers by
 * method, the stack's own answers, a request held and answered later or
 * ended by a CANCEL, and a dialog's requests and strays going to its owner.
 * Then what a shell asks of a stack: a loop of the caller's that two stacks
 * share and that outlives them, T1 changed live, the trace and
 * transport-error handlers replaced, credentials forgotten, and the Call-ID
 * of a registration or subscription chosen by the caller. */
#include <stdlib.h>

#include "peer.h"
#include "test.h"

struct ufix {
	struct sip_ua *ua;
	struct peer peer;
	struct sip_sockaddr local;
	char req[1024], buf[4096];
	struct sip_sockaddr from;
	/* what the handlers saw */
	int calls_a, calls_b, cancels, strays;
	struct sip_incoming *held;
	bool take_a; /* handler a takes what it is given */
	bool odd;    /* a handler saw what it should not have */
};

static int ufix_open(struct ufix *f)
{
	struct sip_target t;
	memset(f, 0, sizeof *f);
	if (peer_stack(&f->ua, &f->peer, &t) != 0)
		return -1;
	return sip_ua_bound(f->ua, SIP_TP_UDP, AF_INET, &f->local);
}

static void ufix_close(struct ufix *f)
{
	/* Timer J and H let the transactions go. */
	fake_now += 64 * 500000;
	sip_loop_poll(sip_ua_loop(f->ua), 0);
	sip_ua_free(f->ua);
	peer_close(&f->peer);
}

static unsigned next_status(struct ufix *f)
{
	size_t n = peer_recv(&f->peer, f->buf, sizeof f->buf, &f->from);
	return n ? peer_status(f->buf, n) : 0;
}

/* Sends a request from the peer (in call call_id, NULL: one of its own)
 * and returns the status of the first answer. */
static unsigned ask(struct ufix *f, const char *method, const char *branch, const char *call_id,
                    const char *to_tag)
{
	if (peer_request(&f->peer, &f->local, method, branch, call_id, to_tag, f->req,
	                 sizeof f->req) != 0)
		return 0;
	peer_spin(sip_ua_loop(f->ua));
	return next_status(f);
}

static bool handler_a(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct ufix *f = arg;
	(void)req;
	f->calls_a++;
	if (!f->take_a)
		return false;
	struct sip_response_spec s = {.status = 202};
	sip_incoming_respond(in, &s);
	return true;
}

static bool handler_b(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct ufix *f = arg;
	f->calls_b++;
	f->odd |= !sip_str_eq(req->method_name, SIP_STR("MESSAGE")) ||
	          sip_incoming_request(in) != req || sip_incoming_packet(in)->tp != SIP_TP_UDP;
	struct sip_response_spec s = {.status = 200};
	sip_incoming_respond(in, &s);
	return true;
}

TEST(ua_handlers_by_method_newest_first_then_the_stack)
{
	struct ufix f;
	CHECK(ufix_open(&f) == 0);
	CHECK(sip_ua_accept(f.ua, "MESSAGE", handler_b, &f) == 0);
	CHECK(sip_ua_accept(f.ua, NULL, handler_a, &f) == 0);
	/* a is asked first and passes; b takes its method. */
	CHECK_INT(ask(&f, "MESSAGE", "z9hG4bKu1", NULL, NULL), 200);
	CHECK_INT(f.calls_a, 1);
	CHECK_INT(f.calls_b, 1);
	/* Nobody takes an INFO: the stack's 405; OPTIONS: its 200. */
	CHECK_INT(ask(&f, "INFO", "z9hG4bKu2", NULL, NULL), 405);
	CHECK_INT(ask(&f, "OPTIONS", "z9hG4bKu3", NULL, NULL), 200);
	CHECK_INT(f.calls_b, 1);
	f.take_a = true;
	CHECK_INT(ask(&f, "INFO", "z9hG4bKu4", NULL, NULL), 202);
	sip_ua_accept_remove(f.ua, handler_a, &f);
	CHECK_INT(ask(&f, "INFO", "z9hG4bKu5", NULL, NULL), 405);
	CHECK_INT(f.calls_a, 4);
	CHECK(!f.odd);
	ufix_close(&f);
	return 0;
}

/* Closing: a request answered before is answered again when it comes
 * again, a new one gets 503 and no handler sees it, and the stack is worth
 * turning 2 T1 after its last answer over UDP. */
TEST(ua_closing_answers_copies_and_turns_new_requests_away)
{
	struct ufix f;
	CHECK(ufix_open(&f) == 0);
	CHECK(sip_ua_accept(f.ua, "MESSAGE", handler_b, &f) == 0);
	CHECK_INT(ask(&f, "MESSAGE", "z9hG4bKc1", NULL, NULL), 200);
	uint64_t answered = fake_now;
	CHECK_INT(sip_ua_closing(f.ua), answered + 2 * SIP_T1_DEFAULT);
	/* The same MESSAGE again (its branch): its transaction answers, not
	 * the handler. */
	CHECK_INT(ask(&f, "MESSAGE", "z9hG4bKc1", NULL, NULL), 200);
	CHECK_INT(ask(&f, "MESSAGE", "z9hG4bKc2", NULL, NULL), 503);
	CHECK_INT(f.calls_b, 1);
	fake_now += 2 * SIP_T1_DEFAULT;
	CHECK_INT(sip_ua_closing(f.ua), 0);
	ufix_close(&f);
	return 0;
}

static void on_cancel(struct sip_incoming *in, void *arg)
{
	struct ufix *f = arg;
	f->odd |= in != f->held || !sip_incoming_request(in);
	f->cancels++;
	f->held = NULL;
}

static bool hold(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct ufix *f = arg;
	(void)req;
	f->held = in;
	sip_incoming_on_cancel(in, on_cancel, f);
	return true;
}

TEST(ua_held_invite_answered_later)
{
	struct ufix f;
	CHECK(ufix_open(&f) == 0);
	CHECK(sip_ua_accept(f.ua, "INVITE", hold, &f) == 0);
	CHECK_INT(ask(&f, "INVITE", "z9hG4bKh1", NULL, NULL), 100);
	CHECK(f.held != NULL);
	CHECK_STR(sip_incoming_request(f.held)->method_name, "INVITE");
	fake_now += 20000000;
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	struct sip_response_spec ringing = {.status = 180}, ok = {.status = 200};
	CHECK(sip_incoming_respond(f.held, &ringing) == 0);
	CHECK_INT(next_status(&f), 180);
	CHECK(sip_incoming_respond(f.held, &ok) == 0);
	CHECK_INT(next_status(&f), 200);
	ufix_close(&f);
	return 0;
}

TEST(ua_held_invite_ended_by_cancel)
{
	struct ufix f;
	CHECK(ufix_open(&f) == 0);
	CHECK(sip_ua_accept(f.ua, "INVITE", hold, &f) == 0);
	CHECK_INT(ask(&f, "INVITE", "z9hG4bKh2", NULL, NULL), 100);
	CHECK_INT(ask(&f, "CANCEL", "z9hG4bKh2", NULL, NULL), 200);
	char tag200[64];
	const char *t = strstr(f.buf, "\r\nTo: ");
	CHECK(t != NULL);
	snprintf(tag200, sizeof tag200, "%.*s", (int)strcspn(t + 2, "\r"), t + 2);
	CHECK_INT(next_status(&f), 487);
	CHECK(strstr(f.buf, tag200) != NULL); /* the CANCEL's 200 and the 487: one To tag */
	CHECK(strstr(tag200, ";tag=") != NULL);
	CHECK_INT(f.cancels, 1);
	CHECK(f.held == NULL);
	CHECK(!f.odd);
	ufix_close(&f);
	return 0;
}

static bool in_dialog(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct ufix *f = arg;
	(void)req;
	f->calls_a++;
	struct sip_response_spec s = {.status = 200};
	sip_incoming_respond(in, &s);
	return true;
}

static void on_stray(const struct sip_msg *m, const struct sip_packet_info *pi, void *arg)
{
	struct ufix *f = arg;
	(void)pi;
	f->odd |= !sip_str_eq(m->method_name, SIP_STR("ACK"));
	f->strays++;
}

/* The dialog "dlg" of an INVITE from the peer (CSeq 0: below its
 * requests'), answered with To tag "ua1". */
static struct sip_dialog *peer_dialog(void)
{
	static const char invite[] = "INVITE sip:x@127.0.0.1 SIP/2.0\r\n"
				     "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKd0\r\n"
				     "From: <sip:p@127.0.0.1>;tag=p1\r\n"
				     "To: <sip:x@127.0.0.1>\r\n"
				     "Call-ID: dlg\r\n"
				     "CSeq: 0 INVITE\r\n"
				     "Contact: <sip:p@127.0.0.1:9>\r\n"
				     "Content-Length: 0\r\n\r\n";
	struct sip_msg *m = malloc(sizeof *m);
	struct sip_dialog *d = NULL;
	if (m && sip_msg_parse(m, invite, sizeof invite - 1, 0) == 0)
		sip_dialog_new_uas(&d, m, "ua1");
	free(m);
	return d;
}

TEST(ua_dialog_requests_and_strays_go_to_its_owner)
{
	struct ufix f;
	struct sip_dialog *d = peer_dialog();
	CHECK(d && ufix_open(&f) == 0);
	CHECK(sip_ua_dialog_add(f.ua, d, in_dialog, on_stray, &f) == 0);
	/* Its BYE reaches the owner; one in an unknown dialog gets 481. */
	CHECK_INT(ask(&f, "BYE", "z9hG4bKd1", "dlg", "ua1"), 200);
	CHECK_INT(f.calls_a, 1);
	CHECK_INT(ask(&f, "BYE", "z9hG4bKd2", "dlg", "other"), 481);
	CHECK_INT(f.calls_a, 1);
	/* An ACK in it, which no transaction takes, is its stray. */
	CHECK(peer_request(&f.peer, &f.local, "ACK", "z9hG4bKd3", "dlg", "ua1", f.req,
	                   sizeof f.req) == 0);
	peer_spin(sip_ua_loop(f.ua));
	CHECK_INT(f.strays, 1);
	sip_ua_dialog_remove(f.ua, d, &f);
	CHECK_INT(ask(&f, "BYE", "z9hG4bKd4", "dlg", "ua1"), 481);
	CHECK(!f.odd);
	sip_dialog_free(d);
	ufix_close(&f);
	return 0;
}

/* An owner of a dialog that takes requests of one method. */
struct owner {
	const char *method;
	unsigned status;
	int calls, strays;
};

static bool owner_h(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct owner *o = arg;
	o->calls++;
	if (!sip_str_eq(req->method_name, sip_str_from(o->method)))
		return false;
	struct sip_response_spec s = {.status = o->status};
	sip_incoming_respond(in, &s);
	return true;
}

static void owner_stray(const struct sip_msg *m, const struct sip_packet_info *pi, void *arg)
{
	struct owner *o = arg;
	(void)m;
	(void)pi;
	o->strays++;
}

/* The peer's request in "dlg", CSeq counting on; the status of its answer. */
static unsigned ask_in_dialog(struct ufix *f, const char *method)
{
	static unsigned cseq;
	char branch[32];
	snprintf(branch, sizeof branch, "z9hG4bKo%u", ++cseq);
	if (peer_request_cseq(&f->peer, &f->local, method, branch, "dlg", "ua1", cseq, f->req,
	                      sizeof f->req) != 0)
		return 0;
	peer_spin(sip_ua_loop(f->ua));
	return next_status(f);
}

TEST(ua_dialog_of_two_owners_each_takes_its_own)
{
	struct ufix f;
	struct sip_dialog *d = peer_dialog();
	/* A call, and the subscription of a REFER sent in it, added after. */
	struct owner call = {"BYE", 200, 0, 0}, sub = {"NOTIFY", 202, 0, 0};
	CHECK(d && ufix_open(&f) == 0);
	CHECK(sip_ua_dialog_add(f.ua, d, owner_h, owner_stray, &call) == 0);
	CHECK(sip_ua_dialog_add(f.ua, d, owner_h, NULL, &sub) == 0);
	CHECK_INT(ask_in_dialog(&f, "NOTIFY"), 202);
	CHECK_INT(call.calls, 0); /* the last added was asked first, and took it */
	CHECK_INT(ask_in_dialog(&f, "BYE"), 200);
	CHECK_INT(sub.calls, 2);
	CHECK_INT(call.calls, 1);
	CHECK_INT(ask_in_dialog(&f, "INFO"), 481); /* both leave it */
	CHECK_INT(call.calls + sub.calls, 5);
	/* The stray goes to the owner that has a stray handler. */
	CHECK(peer_request(&f.peer, &f.local, "ACK", "z9hG4bKo0", "dlg", "ua1", f.req,
	                   sizeof f.req) == 0);
	peer_spin(sip_ua_loop(f.ua));
	CHECK_INT(call.strays, 1);
	/* The subscription leaves the dialog; the call keeps it. */
	sip_ua_dialog_remove(f.ua, d, &sub);
	CHECK_INT(ask_in_dialog(&f, "NOTIFY"), 481);
	CHECK_INT(sub.calls, 3);
	CHECK_INT(ask_in_dialog(&f, "BYE"), 200);
	sip_ua_dialog_remove(f.ua, d, &call);
	CHECK_INT(ask_in_dialog(&f, "BYE"), 481);
	CHECK_INT(call.calls + sub.calls, 7);
	CHECK(!f.odd);
	sip_dialog_free(d);
	ufix_close(&f);
	return 0;
}

TEST(ua_unknown_dialog_reaches_handlers_and_a_held_request_gets_503_at_the_end)
{
	struct ufix f;
	CHECK(ufix_open(&f) == 0);
	CHECK(sip_ua_accept(f.ua, "BYE", in_dialog, &f) == 0);
	CHECK_INT(ask(&f, "BYE", "z9hG4bKk1", "nodialog", "x"), 200);
	CHECK_INT(f.calls_a, 1);
	CHECK(sip_ua_accept(f.ua, "INVITE", hold, &f) == 0);
	CHECK_INT(ask(&f, "INVITE", "z9hG4bKk2", NULL, NULL), 100);
	CHECK(f.held != NULL);
	sip_ua_free(f.ua);
	f.ua = NULL;
	CHECK_INT(next_status(&f), 503);
	peer_close(&f.peer);
	return 0;
}

/* ---- what a shell needs of a stack ---- */

/* What one stack's handlers saw. */
struct tally {
	int tx, rx, tp_errs, done, asked;
	unsigned status;
};

static void on_trace(const struct sip_packet_info *pi, const char *buf, size_t len, void *arg)
{
	struct tally *t = arg;
	(void)buf;
	(void)len;
	t->tx += pi->tx;
	t->rx += !pi->tx;
}

static void on_tp_err(int err, enum sip_tp tp, const struct sip_sockaddr *remote,
                      const char *detail, void *arg)
{
	struct tally *t = arg;
	(void)err;
	(void)tp;
	(void)remote;
	(void)detail;
	t->tp_errs++;
}

static void on_req_done(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct tally *t = arg;
	(void)r;
	(void)err;
	t->done++;
	t->status = resp ? resp->status : 0;
}

static void on_asked(struct sip_ua *ua, const struct sip_challenge *ch, void *arg)
{
	struct tally *t = arg;
	(void)ua;
	(void)ch;
	t->asked++;
}

/* A stack as peer_stack makes it, on loop (NULL: its own, on the fake
 * clock), with trace and transport-error handlers telling tally. */
static int stack_on(struct sip_ua **ua, struct sip_loop *loop, struct tally *tally)
{
	struct sip_ua_opts o;
	memset(&o, 0, sizeof o);
	o.ctx.tp.family = AF_INET;
	o.ctx.tp.local_host = "127.0.0.1";
	o.dns_server = "127.0.0.1:9";
	o.loop = loop;
	if (tally) {
		o.ctx.tp.trace = on_trace;
		o.ctx.tp.trace_arg = tally;
		o.tp_err = on_tp_err;
		o.arg = tally;
	}
	if (sip_ua_new(ua, &o) != 0)
		return -1;
	if (!loop)
		sip_loop_set_clock(sip_ua_loop(*ua), fake_clock, NULL);
	return 0;
}

/* An OPTIONS in Call-ID call_id from ua to t, its end told to tally. */
static int options_to(struct sip_req **r, struct sip_ua *ua, const struct sip_target *t,
                      const char *call_id, struct tally *tally)
{
	struct sip_uri uri;
	if (sip_uri_parse(&uri, SIP_STR("sip:bob@127.0.0.1")) != 0)
		return -1;
	struct sip_req_spec s = {
		.method = "OPTIONS",
		.uri = &uri,
		.targets = t,
		.ntargets = 1,
		.transport = -1,
		.from = "<sip:alice@127.0.0.1>",
		.max_forwards = -1,
		.call_id = call_id,
		.done = on_req_done,
		.arg = tally,
	};
	return sip_req_start(r, ua, &s);
}

static bool took(const struct peer_last *in, const char *text)
{
	return strstr(in->buf, text) != NULL;
}

/* Nothing reaches the peer until gap_us from now, and then the request of
 * Call-ID id again. */
static bool resent_after(struct sip_ua *ua, struct peer *p, uint64_t gap_us, const char *id)
{
	struct peer_last in;
	char want[80];
	fake_now += gap_us - 1;
	peer_spin(sip_ua_loop(ua));
	if (peer_pending(p))
		return false;
	fake_now += 1;
	if (peer_take(ua, p, &in) <= 0)
		return false;
	snprintf(want, sizeof want, "Call-ID: %s\r\n", id);
	return took(&in, want);
}

/* Lets the transactions on loop go (Timer K, J), before their stacks do. */
static void linger_out(struct sip_loop *loop)
{
	fake_now += 64 * (uint64_t)SIP_T1_DEFAULT;
	sip_loop_poll(loop, 0);
}

static void on_tick(void *arg)
{
	++*(int *)arg;
}

TEST(ua_stacks_share_a_given_loop_that_outlives_them)
{
	struct sip_loop *loop;
	struct sip_ua *ua1, *ua2;
	struct peer p;
	struct peer_last in;
	struct tally a = {0}, b = {0};
	struct sip_req *ra = NULL, *rb = NULL;
	struct sip_sockaddr l1, l2;
	CHECK(sip_loop_new(&loop) == 0);
	sip_loop_set_clock(loop, fake_clock, NULL);
	fake_now = 1000000;
	CHECK(stack_on(&ua1, loop, NULL) == 0);
	CHECK(stack_on(&ua2, loop, NULL) == 0);
	CHECK(sip_ua_loop(ua1) == loop);
	CHECK(sip_ua_loop(ua2) == loop);
	CHECK(sip_ua_bound(ua1, SIP_TP_UDP, AF_INET, &l1) == 0);
	CHECK(sip_ua_bound(ua2, SIP_TP_UDP, AF_INET, &l2) == 0);
	CHECK(!sip_sockaddr_eq(&l1, &l2));
	CHECK(peer_open(&p) == 0);
	struct sip_target t = {.tp = SIP_TP_UDP, .addr = p.addr};
	/* The turns of the one loop carry both stacks' requests and answers. */
	CHECK(options_to(&ra, ua1, &t, "one", &a) == 0);
	CHECK(options_to(&rb, ua2, &t, "two", &b) == 0);
	for (int i = 0; i < 2; i++) {
		CHECK(peer_take(ua1, &p, &in) > 0);
		CHECK(sip_sockaddr_eq(&in.from, took(&in, "Call-ID: one\r\n") ? &l1 : &l2));
		CHECK(peer_reply(ua1, &p, &in, 200, NULL) == 0);
	}
	CHECK_INT(a.done, 1);
	CHECK_INT(a.status, 200);
	CHECK_INT(b.done, 1);
	CHECK_INT(b.status, 200);
	/* One stack goes; the other, on the same loop, works on. */
	sip_req_free(ra);
	linger_out(loop);
	sip_ua_free(ua1);
	sip_req_free(rb);
	CHECK(options_to(&rb, ua2, &t, "three", &b) == 0);
	CHECK(peer_take(ua2, &p, &in) > 0);
	CHECK(took(&in, "Call-ID: three\r\n"));
	CHECK(peer_reply(ua2, &p, &in, 200, NULL) == 0);
	CHECK_INT(b.done, 2);
	sip_req_free(rb);
	linger_out(loop);
	sip_ua_free(ua2);
	/* The loop is still the caller's, to turn and to free. */
	struct sip_timer tick;
	int ticks = 0;
	sip_timer_init(&tick);
	CHECK(sip_timer_start(loop, &tick, 1000, on_tick, &ticks) == 0);
	fake_now += 1000;
	sip_loop_poll(loop, 0);
	CHECK_INT(ticks, 1);
	sip_loop_free(loop);
	peer_close(&p);
	return 0;
}

TEST(ua_set_t1_times_the_transactions_started_after)
{
	struct sip_ua *ua;
	struct peer p;
	struct sip_target t;
	struct peer_last in;
	struct tally tl = {0};
	struct sip_req *before = NULL, *after = NULL;
	CHECK(peer_stack(&ua, &p, &t) == 0);
	struct sip_loop *loop = sip_ua_loop(ua);
	CHECK(options_to(&before, ua, &t, "before", &tl) == 0);
	CHECK(peer_take(ua, &p, &in) > 0);
	sip_ua_set_t1(ua, 100000);
	CHECK(options_to(&after, ua, &t, "after", &tl) == 0);
	CHECK(peer_take(ua, &p, &in) > 0);
	CHECK(took(&in, "Call-ID: after\r\n"));
	/* Timer E: the new T1, then twice it; the older one keeps 500 ms. */
	CHECK(resent_after(ua, &p, 100000, "after"));
	CHECK(resent_after(ua, &p, 200000, "after"));
	CHECK(resent_after(ua, &p, 200000, "before"));
	CHECK(!peer_pending(&p));
	sip_req_free(before);
	sip_req_free(after);

	/* 0: the default again. */
	sip_ua_set_t1(ua, 0);
	CHECK(options_to(&before, ua, &t, "default", &tl) == 0);
	CHECK(peer_take(ua, &p, &in) > 0);
	fake_now += SIP_T1_DEFAULT - 1;
	peer_spin(loop);
	CHECK(!peer_pending(&p));
	fake_now += 1;
	CHECK(peer_take(ua, &p, &in) > 0);
	CHECK(took(&in, "Call-ID: default\r\n"));
	sip_req_free(before);

	/* A T1 above T2 (4 s) takes T2 up with it: E stays at T1. */
	sip_ua_set_t1(ua, 5000000);
	CHECK(options_to(&after, ua, &t, "long", &tl) == 0);
	CHECK(peer_take(ua, &p, &in) > 0);
	fake_now += 5000000;
	CHECK(peer_take(ua, &p, &in) > 0);
	CHECK(took(&in, "Call-ID: long\r\n"));
	CHECK(resent_after(ua, &p, 5000000, "long"));
	CHECK_INT(tl.done, 0);
	sip_req_free(after);

	/* Back to the default T1, T2 comes back to its 4 s: E doubles from
	 * 500 ms to 4 s and stays there, not at the 5 s the long T1 took it to. */
	sip_ua_set_t1(ua, 0);
	CHECK(options_to(&after, ua, &t, "back", &tl) == 0);
	CHECK(peer_take(ua, &p, &in) > 0);
	static const uint64_t gaps[] = {500000, 1000000, 2000000, 4000000, 4000000};
	for (size_t i = 0; i < sizeof gaps / sizeof gaps[0]; i++)
		CHECK(resent_after(ua, &p, gaps[i], "back"));
	sip_req_free(after);
	linger_out(loop);
	sip_ua_free(ua);
	peer_close(&p);
	return 0;
}

TEST(ua_set_handlers_replaces_trace_and_transport_errors)
{
	struct sip_ua *ua;
	struct peer p;
	struct peer_last in;
	struct tally old = {0}, now = {0};
	struct sip_req *r = NULL;
	struct sip_sockaddr local;
	fake_now = 1000000;
	CHECK(stack_on(&ua, NULL, &old) == 0);
	CHECK(sip_ua_bound(ua, SIP_TP_UDP, AF_INET, &local) == 0);
	CHECK(peer_open(&p) == 0);
	struct sip_target t = {.tp = SIP_TP_UDP, .addr = p.addr};
	static const char garbage[] = "not a SIP message\r\n\r\n";

	CHECK(options_to(&r, ua, &t, "first", &old) == 0);
	CHECK(peer_take(ua, &p, &in) > 0);
	CHECK(peer_reply(ua, &p, &in, 200, NULL) == 0);
	CHECK(sendto(p.fd, garbage, sizeof garbage - 1, 0, &local.u.sa, local.len) ==
	      (ssize_t)sizeof garbage - 1);
	peer_spin(sip_ua_loop(ua));
	CHECK_INT(old.tx, 1);
	CHECK_INT(old.rx, 2);
	CHECK_INT(old.tp_errs, 1);
	sip_req_free(r);

	sip_ua_set_handlers(ua, on_trace, on_tp_err, &now);
	CHECK(options_to(&r, ua, &t, "second", &now) == 0);
	CHECK(peer_take(ua, &p, &in) > 0);
	CHECK(peer_reply(ua, &p, &in, 200, NULL) == 0);
	CHECK(sendto(p.fd, garbage, sizeof garbage - 1, 0, &local.u.sa, local.len) ==
	      (ssize_t)sizeof garbage - 1);
	peer_spin(sip_ua_loop(ua));
	CHECK_INT(now.done, 1);
	CHECK_INT(now.tx, 1);
	CHECK_INT(now.rx, 2);
	CHECK_INT(now.tp_errs, 1);
	CHECK_INT(old.tx, 1);
	CHECK_INT(old.rx, 2);
	CHECK_INT(old.tp_errs, 1);
	sip_req_free(r);

	/* None at all: the messages go unseen. */
	sip_ua_set_handlers(ua, NULL, NULL, NULL);
	CHECK(options_to(&r, ua, &t, "third", &now) == 0);
	CHECK(peer_take(ua, &p, &in) > 0);
	CHECK(peer_reply(ua, &p, &in, 200, NULL) == 0);
	CHECK_INT(now.done, 2);
	CHECK_INT(now.tx + now.rx, 3);
	sip_req_free(r);
	linger_out(sip_ua_loop(ua));
	sip_ua_free(ua);
	peer_close(&p);
	return 0;
}

#define UA_CHALLENGE "WWW-Authenticate: Digest realm=\"test\", nonce=\"abc\", qop=\"auth\""

TEST(ua_credentials_cleared_the_next_challenge_asks_again)
{
	struct sip_ua *ua;
	struct peer p;
	struct sip_target t;
	struct peer_last in;
	struct tally tl = {0};
	struct sip_req *r = NULL;
	CHECK(peer_stack(&ua, &p, &t) == 0);
	sip_ua_auth_handler(ua, on_asked, &tl);
	CHECK(sip_ua_credentials(ua, "test", "alice", "secret") == 0);
	/* Given ahead: the challenge is answered without asking. */
	CHECK(options_to(&r, ua, &t, NULL, &tl) == 0);
	CHECK(peer_take(ua, &p, &in) > 0);
	CHECK(peer_reply(ua, &p, &in, 401, UA_CHALLENGE) == 0);
	CHECK(peer_take(ua, &p, &in) > 0);
	CHECK(took(&in, "Authorization: Digest username=\"alice\", realm=\"test\""));
	CHECK(peer_reply(ua, &p, &in, 200, NULL) == 0);
	CHECK_INT(tl.asked, 0);
	CHECK_INT(tl.status, 200);
	sip_req_free(r);

	sip_ua_credentials_clear(ua);
	CHECK(options_to(&r, ua, &t, NULL, &tl) == 0);
	CHECK(peer_take(ua, &p, &in) > 0);
	CHECK(peer_reply(ua, &p, &in, 401, UA_CHALLENGE) == 0);
	CHECK_INT(tl.asked, 1);
	CHECK(!peer_pending(&p)); /* waits for the answer */
	CHECK_INT(tl.done, 1);
	CHECK(sip_ua_credentials(ua, "test", "bob", "other") == 0);
	CHECK(peer_take(ua, &p, &in) > 0);
	CHECK(took(&in, "Authorization: Digest username=\"bob\", realm=\"test\""));
	CHECK(peer_reply(ua, &p, &in, 200, NULL) == 0);
	CHECK_INT(tl.done, 2);
	CHECK_INT(tl.status, 200);
	sip_req_free(r);
	linger_out(sip_ua_loop(ua));
	sip_ua_free(ua);
	peer_close(&p);
	return 0;
}

/* The auth handler: which account it was asked for. */
static const void *asked_for;
static void on_asked_account(struct sip_ua *ua, const struct sip_challenge *ch, void *arg)
{
	struct tally *t = arg;
	(void)ch;
	t->asked++;
	asked_for = sip_ua_auth_account(ua);
}

TEST(ua_credentials_kept_per_account)
{
	struct sip_ua *ua;
	struct peer p;
	struct sip_target t;
	struct peer_last in;
	struct tally tl = {0};
	struct sip_req *r = NULL;
	static const char alice_acct[] = "alice's", bob_acct[] = "bob's";
	struct sip_uri uri;
	CHECK(peer_stack(&ua, &p, &t) == 0);
	CHECK(sip_uri_parse(&uri, SIP_STR("sip:bob@127.0.0.1")) == 0);
	sip_ua_auth_handler(ua, on_asked_account, &tl);
	CHECK(sip_ua_credentials_for(ua, alice_acct, "test", "alice", "secret") == 0);
	struct sip_req_spec s = {
		.method = "OPTIONS",
		.uri = &uri,
		.targets = &t,
		.ntargets = 1,
		.transport = -1,
		.max_forwards = -1,
		.account = alice_acct,
		.done = on_req_done,
		.arg = &tl,
	};
	/* alice's account: answered from what it has, without asking. */
	CHECK(sip_req_start(&r, ua, &s) == 0);
	CHECK(peer_take(ua, &p, &in) > 0);
	CHECK(peer_reply(ua, &p, &in, 401, UA_CHALLENGE) == 0);
	CHECK(peer_take(ua, &p, &in) > 0);
	CHECK(took(&in, "Authorization: Digest username=\"alice\""));
	CHECK(peer_reply(ua, &p, &in, 200, NULL) == 0);
	CHECK_INT(tl.asked, 0);
	sip_req_free(r);
	/* bob's, same realm: alice's are not his; the handler is asked, for bob's. */
	s.account = bob_acct;
	CHECK(sip_req_start(&r, ua, &s) == 0);
	CHECK(peer_take(ua, &p, &in) > 0);
	CHECK(peer_reply(ua, &p, &in, 401, UA_CHALLENGE) == 0);
	CHECK_INT(tl.asked, 1);
	CHECK(asked_for == bob_acct);
	CHECK(!peer_pending(&p));
	/* Credentials for another account leave it waiting; its own answer it. */
	CHECK(sip_ua_credentials_for(ua, alice_acct, NULL, "alice", "secret") == 0);
	CHECK(!peer_pending(&p));
	CHECK(sip_ua_credentials_for(ua, bob_acct, NULL, "bob", "other") == 0);
	CHECK(peer_take(ua, &p, &in) > 0);
	CHECK(took(&in, "Authorization: Digest username=\"bob\""));
	CHECK(peer_reply(ua, &p, &in, 200, NULL) == 0);
	CHECK_INT(tl.status, 200);
	sip_req_free(r);
	/* The default account (NULL) has none of theirs. */
	s.account = NULL;
	CHECK(sip_req_start(&r, ua, &s) == 0);
	CHECK(peer_take(ua, &p, &in) > 0);
	CHECK(peer_reply(ua, &p, &in, 401, UA_CHALLENGE) == 0);
	CHECK_INT(tl.asked, 2);
	CHECK(asked_for == NULL);
	CHECK(sip_ua_credentials(ua, NULL, NULL, NULL) == 0); /* refused: the 401 is the answer */
	peer_spin(sip_ua_loop(ua));
	CHECK_INT(tl.status, 401);
	sip_req_free(r);
	linger_out(sip_ua_loop(ua));
	sip_ua_free(ua);
	peer_close(&p);
	return 0;
}

/* The Call-ID of the request in l, into out. */
static bool call_id_of(const struct peer_last *l, char *out, size_t cap)
{
	const char *c = strstr(l->buf, "\r\nCall-ID: ");
	if (!c)
		return false;
	c += strlen("\r\nCall-ID: ");
	snprintf(out, cap, "%.*s", (int)strcspn(c, "\r"), c);
	return true;
}

/* 39 characters, the most a Call-ID of the caller's may have; with one more, too many. */
#define ID_39 "abcdefghijklmnopqrstuvwxyz0123456789@ab"
#define ID_40 ID_39 "c"

static void reg_done(struct sip_reg *g, int err, const struct sip_msg *resp, void *arg)
{
	struct tally *t = arg;
	(void)g;
	(void)err;
	t->done++;
	t->status = resp ? resp->status : 0;
}

static void sub_done(struct sip_sub *sub, int err, const struct sip_msg *resp, void *arg)
{
	struct tally *t = arg;
	(void)sub;
	(void)err;
	t->done++;
	t->status = resp ? resp->status : 0;
}

/* A registration or a subscription, started with a Call-ID of the caller's
 * (or NULL): what the Call-ID checks run on each. */
struct call_id_op {
	const char *request_line; /* how its request starts */
	unsigned answer;          /* what the peer answers it */
	int (*start)(void **h, struct sip_ua *ua, const struct sip_target *t, const char *call_id,
	             struct tally *tl);
	void (*free)(void *h);
};

static int reg_start(void **h, struct sip_ua *ua, const struct sip_target *t, const char *call_id,
                     struct tally *tl)
{
	struct sip_uri aor, registrar;
	if (sip_uri_parse(&aor, SIP_STR("sip:alice@example.test")) != 0 ||
	    sip_uri_parse(&registrar, SIP_STR("sip:example.test")) != 0)
		return SIP_EINVAL;
	struct sip_reg_spec s = {
		.mode = SIP_REG_QUERY,
		.aor = &aor,
		.registrar = &registrar,
		.targets = t,
		.ntargets = 1,
		.transport = -1,
		.max_forwards = -1,
		.call_id = call_id,
		.done = reg_done,
		.arg = tl,
	};
	return sip_reg_start((struct sip_reg **)h, ua, &s);
}

static void reg_free(void *h)
{
	sip_reg_free(h);
}

static int sub_start(void **h, struct sip_ua *ua, const struct sip_target *t, const char *call_id,
                     struct tally *tl)
{
	struct sip_uri uri;
	if (sip_uri_parse(&uri, SIP_STR("sip:bob@example.test")) != 0)
		return SIP_EINVAL;
	struct sip_sub_spec s = {
		.event = "presence",
		.expires = 600,
		.uri = &uri,
		.targets = t,
		.ntargets = 1,
		.transport = -1,
		.max_forwards = -1,
		.call_id = call_id,
		.done = sub_done,
		.arg = tl,
	};
	return sip_sub_start((struct sip_sub **)h, ua, &s);
}

static void sub_free(void *h)
{
	sip_sub_free(h);
}

/* The Call-ID given goes out as it is (39 characters the most); NULL
 * gives a fresh one each time; too long, or with a space or a line end
 * that would start a header of its own, is refused at the start and
 * nothing is sent. */
static int call_id_cases(const struct call_id_op *op)
{
	struct sip_ua *ua;
	struct peer p;
	struct sip_target t;
	struct peer_last in;
	struct tally tl = {0};
	void *h = NULL;
	char fresh[2][64];
	static const char *const given[] = {"shell-1@example.test", ID_39};
	CHECK(peer_stack(&ua, &p, &t) == 0);
	for (size_t i = 0; i < 2; i++) {
		char line[80];
		CHECK(op->start(&h, ua, &t, given[i], &tl) == 0);
		CHECK(peer_take(ua, &p, &in) > 0);
		CHECK(took(&in, op->request_line));
		snprintf(line, sizeof line, "\r\nCall-ID: %s\r\n", given[i]);
		CHECK(took(&in, line));
		CHECK(peer_reply(ua, &p, &in, op->answer, NULL) == 0);
		CHECK_INT(tl.status, op->answer);
		op->free(h);
	}
	for (int i = 0; i < 2; i++) {
		CHECK(op->start(&h, ua, &t, NULL, &tl) == 0);
		CHECK(peer_take(ua, &p, &in) > 0);
		CHECK(call_id_of(&in, fresh[i], sizeof fresh[i]));
		CHECK(strlen(fresh[i]) >= 16);
		CHECK(strcmp(fresh[i], ID_39) != 0);
		CHECK(peer_reply(ua, &p, &in, op->answer, NULL) == 0);
		op->free(h);
	}
	CHECK(strcmp(fresh[0], fresh[1]) != 0);
	CHECK_INT(tl.done, 4);
	static const char *const refused[] = {ID_40, "a\r\nX-Injected: y", "a b"};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		h = &tl;
		CHECK_INT(op->start(&h, ua, &t, refused[i], &tl), SIP_EINVAL);
		CHECK(h == NULL);
	}
	peer_spin(sip_ua_loop(ua));
	CHECK(!peer_pending(&p));
	CHECK_INT(tl.done, 4);
	linger_out(sip_ua_loop(ua));
	sip_ua_free(ua);
	peer_close(&p);
	return 0;
}

TEST(ua_reg_call_id_the_callers_or_a_fresh_one)
{
	static const struct call_id_op reg = {"REGISTER sip:example.test SIP/2.0\r\n", 200,
	                                      reg_start, reg_free};
	return call_id_cases(&reg);
}

TEST(ua_sub_call_id_the_callers_or_a_fresh_one)
{
	static const struct call_id_op sub = {"SUBSCRIBE sip:bob@example.test SIP/2.0\r\n", 404,
	                                      sub_start, sub_free};
	return call_id_cases(&sub);
}
