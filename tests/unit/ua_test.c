/* ua_test.c - requests arriving at a user agent: the chain of handlers by
 * method, the stack's own answers, a request held and answered later or
 * ended by a CANCEL, and a dialog's requests and strays going to its owner. */
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
