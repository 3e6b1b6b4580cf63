/* notifier_test.c - the notifier (RFC 6665 §4.2, RFC 3515) on a fake clock
 * against a raw UDP subscriber on loopback: SUBSCRIBE, refresh, 423,
 * unsubscribe, fetch, expiry, NOTIFYs one at a time, refused or unanswered
 * NOTIFYs, REFER in a dialog of its own or in one it shares, Refer-Sub:
 * false, and frees from anywhere. */
#include "peer.h"
#include "test.h"

#define T1 500000u /* the stack's default */
#define SEC 1000000u

struct nfix {
	struct sip_ua *ua;
	struct peer peer;
	struct sip_target target;
	struct sip_sockaddr local;
	struct sip_notifier *n;
	struct sip_notifier_spec spec;
	int accept_err;
	bool accepted; /* the handler got a notifier */
	int done, refreshed, notified, bodies;
	enum sip_notifier_end how;
	int err;
	unsigned status;     /* done's msg's */
	char state[64];      /* the body the next NOTIFY carries */
	int body_err;        /* the body handler fails with it */
	bool free_in_body;   /* sip_notifier_free from the body handler */
	bool free_in_event;  /* from the event handler */
	bool free_in_done;   /* from done */
	bool free_in_accept; /* at once, from the handler that took the request */
	char tag[32];        /* our To tag, from the first answer */
	unsigned cseq;       /* the subscriber's */
	struct peer_last in; /* the last message the peer took */
	/* A dialog of the test's own, as a call's would be, and what its
	 * owner took. */
	struct sip_dialog *d;
	int owner_took;
};

static int on_body(struct sip_notifier *n, struct sip_buf *body, const char **ctype, void *arg)
{
	struct nfix *f = arg;
	f->bodies++;
	if (f->free_in_body) {
		sip_notifier_free(n);
		f->n = NULL;
	}
	if (f->body_err)
		return f->body_err;
	*ctype = strcmp(sip_notifier_package(n), "refer") == 0 ? "message/sipfrag"
	                                                       : "application/pidf+xml";
	return sip_buf_puts(body, f->state);
}

static void on_event(struct sip_notifier *n, enum sip_notifier_event ev, int err,
                     const struct sip_msg *msg, void *arg)
{
	struct nfix *f = arg;
	(void)err;
	if (ev == SIP_NOTIFIER_REFRESHED && msg && msg->method == SIP_SUBSCRIBE)
		f->refreshed++;
	if (ev == SIP_NOTIFIER_NOTIFIED && msg && msg->status == 200)
		f->notified++;
	if (f->free_in_event) {
		sip_notifier_free(n);
		f->n = NULL;
	}
}

static void on_done(struct sip_notifier *n, enum sip_notifier_end how, int err,
                    const struct sip_msg *msg, void *arg)
{
	struct nfix *f = arg;
	f->done++;
	f->how = how;
	f->err = err;
	f->status = msg ? msg->status : 0;
	if (f->free_in_done) {
		sip_notifier_free(n);
		f->n = NULL;
	}
}

/* The test's sip_ua_accept handler: what the notifier does not take, the
 * caller answers itself: 481 in a dialog we do not know (a To tag), 400
 * else. */
static bool on_subscribe(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct nfix *f = arg;
	const struct sip_hdr *to = sip_msg_hdr(req, SIP_HDR_TO);
	struct sip_addr ta;
	bool tagged = to && sip_addr_parse(&ta, to->value) == 0 && ta.tag.len;
	struct sip_notifier *n;
	f->accept_err = sip_notifier_accept(&n, f->ua, in, &f->spec);
	f->accepted = f->accept_err == 0 && n;
	if (f->accepted && f->free_in_accept)
		sip_notifier_free(n);
	else if (f->accepted)
		f->n = n;
	if (f->accept_err) {
		struct sip_response_spec rs = {.status = tagged ? 481 : 400};
		sip_incoming_respond(in, &rs);
	}
	return true;
}

static int nfix_open(struct nfix *f)
{
	memset(f, 0, sizeof *f);
	snprintf(f->state, sizeof f->state, "state-1");
	f->spec = (struct sip_notifier_spec){
		.user_agent = "sip-test/1",
		.body = on_body,
		.event = on_event,
		.done = on_done,
		.arg = f,
	};
	if (peer_stack(&f->ua, &f->peer, &f->target) != 0 ||
	    sip_ua_bound(f->ua, SIP_TP_UDP, AF_INET, &f->local) != 0 ||
	    sip_ua_accept(f->ua, "SUBSCRIBE", on_subscribe, f) != 0 ||
	    sip_ua_accept(f->ua, "REFER", on_subscribe, f) != 0)
		return -1;
	return 0;
}

static void nfix_close(struct nfix *f)
{
	sip_notifier_free(f->n);
	if (f->d)
		sip_ua_dialog_remove(f->ua, f->d, f);
	sip_dialog_free(f->d);
	sip_ua_accept_remove(f->ua, on_subscribe, f);
	fake_now += 64 * T1;
	sip_loop_poll(sip_ua_loop(f->ua), 0);
	sip_ua_free(f->ua);
	peer_close(&f->peer);
}

/* The subscriber sends a request of method, CSeq counting on, in our
 * dialog when to_tag is given, with the header lines in lines (each ending
 * in CRLF). */
static int send_req(struct nfix *f, const char *method, const char *to_tag, const char *lines)
{
	static unsigned branch;
	char buf[2048];
	unsigned cseq = ++f->cseq;
	int n = snprintf(buf, sizeof buf,
	                 "%s sip:notifier@127.0.0.1:%u SIP/2.0\r\n"
	                 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKsub%u;rport\r\n"
	                 "Max-Forwards: 70\r\n"
	                 "From: <sip:watcher@127.0.0.1>;tag=w1\r\n"
	                 "To: <sip:notifier@127.0.0.1>%s%s\r\n"
	                 "Call-ID: sub-1\r\n"
	                 "CSeq: %u %s\r\n"
	                 "Contact: <sip:watcher@127.0.0.1:%u>\r\n"
	                 "%s"
	                 "Content-Length: 0\r\n\r\n",
	                 method, sip_sockaddr_port(&f->local), sip_sockaddr_port(&f->peer.addr),
	                 ++branch, to_tag ? ";tag=" : "", to_tag ? to_tag : "", cseq, method,
	                 sip_sockaddr_port(&f->peer.addr), lines);
	if (n < 0 || (size_t)n >= sizeof buf ||
	    sendto(f->peer.fd, buf, (size_t)n, 0, &f->local.u.sa, f->local.len) != n)
		return -1;
	peer_spin(sip_ua_loop(f->ua));
	return 0;
}

static bool has(const struct nfix *f, const char *text)
{
	return strstr(f->in.buf, text) != NULL;
}

/* The next message the subscriber got; its status (0 for a request). */
static unsigned take(struct nfix *f)
{
	if (!peer_take(f->ua, &f->peer, &f->in))
		return 999;
	return peer_status(f->in.buf, f->in.len);
}

/* The next message is a NOTIFY: answered with status. */
static bool notify_answered(struct nfix *f, unsigned status, const char *hdr)
{
	return take(f) == 0 && has(f, "NOTIFY sip:watcher@127.0.0.1:") &&
	       peer_reply(f->ua, &f->peer, &f->in, status, hdr) == 0;
}

static void tag_of(struct nfix *f)
{
	const char *p = strstr(f->in.buf, "\r\nTo: ");
	const char *t = p ? strstr(p, ";tag=") : NULL;
	size_t i = 0;
	for (t = t ? t + 5 : ""; *t && *t != '\r' && *t != ';' && i + 1 < sizeof f->tag; t++)
		f->tag[i++] = *t;
	f->tag[i] = '\0';
}

/* Reads away what reached the subscriber (a NOTIFY's retransmissions). */
static void drain(struct nfix *f)
{
	while (peer_pending(&f->peer))
		peer_recv(&f->peer, f->in.buf, sizeof f->in.buf, &f->in.from);
}

static void advance(struct nfix *f, uint64_t us)
{
	fake_now += us;
	peer_spin(sip_ua_loop(f->ua));
}

/* A SUBSCRIBE with Event: presence;id=7 and Expires: expires taken; its
 * answer read, our tag kept. */
static unsigned subscribe(struct nfix *f, const char *expires)
{
	char lines[128];
	snprintf(lines, sizeof lines, "Event: presence;id=7\r\n%s%s%s", expires ? "Expires: " : "",
	         expires ? expires : "", expires ? "\r\n" : "");
	if (send_req(f, "SUBSCRIBE", NULL, lines) != 0)
		return 0;
	unsigned st = take(f);
	tag_of(f);
	return st;
}

/* A SUBSCRIBE in the dialog with Event line ev and Expires: expires. */
static unsigned resubscribe(struct nfix *f, const char *ev, const char *expires)
{
	char lines[128];
	snprintf(lines, sizeof lines, "Event: %s\r\nExpires: %s\r\n", ev, expires);
	return send_req(f, "SUBSCRIBE", f->tag, lines) == 0 ? take(f) : 0;
}

TEST(notifier_subscribe_notify_refresh_unsubscribe)
{
	struct nfix f;
	CHECK(nfix_open(&f) == 0);
	f.spec.expires_max = 300;
	f.spec.expires_min = 60;
	CHECK_INT(subscribe(&f, "600"), 200);
	CHECK(f.accepted);
	CHECK(f.tag[0] != '\0');
	CHECK(has(&f, "Expires: 300\r\n")); /* min(asked, expires_max) */
	CHECK(has(&f, "Contact: <sip:sip@127.0.0.1:"));
	CHECK_INT(f.done + f.notified, 0);
	CHECK(strcmp(sip_notifier_package(f.n), "presence") == 0);
	CHECK_INT(sip_notifier_expires(f.n), 300);
	/* The first NOTIFY, at once, in the dialog. */
	CHECK_INT(take(&f), 0);
	CHECK(has(&f, "NOTIFY sip:watcher@127.0.0.1:"));
	CHECK(has(&f, "Event: presence;id=7\r\n"));
	CHECK(has(&f, "Subscription-State: active;expires=300\r\n"));
	CHECK(has(&f, "Contact: <sip:sip@127.0.0.1:"));
	CHECK(has(&f, "Max-Forwards: 70\r\n"));
	CHECK(has(&f, "User-Agent: sip-test/1\r\n"));
	CHECK(has(&f, "From: <sip:notifier@127.0.0.1>;tag="));
	CHECK(has(&f, f.tag));
	CHECK(has(&f, "To: <sip:watcher@127.0.0.1>;tag=w1\r\n"));
	CHECK(has(&f, "Call-ID: sub-1\r\n"));
	CHECK(has(&f, "CSeq: 1 NOTIFY\r\n"));
	CHECK(has(&f, "Content-Type: application/pidf+xml\r\n"));
	CHECK(has(&f, "\r\n\r\nstate-1"));
	CHECK(peer_reply(f.ua, &f.peer, &f.in, 200, NULL) == 0);
	CHECK_INT(f.notified, 1);
	CHECK_INT(sip_notifier_count(f.n), 1);

	/* Changes while a NOTIFY is out make one more, with the state when it goes. */
	snprintf(f.state, sizeof f.state, "state-2");
	CHECK(sip_notifier_notify(f.n) == 0);
	CHECK(sip_notifier_notify(f.n) == 0); /* before the loop: the same NOTIFY */
	CHECK_INT(take(&f), 0);
	CHECK(has(&f, "CSeq: 2 NOTIFY\r\n"));
	CHECK(has(&f, "\r\n\r\nstate-2"));
	struct peer_last out = f.in;
	CHECK(sip_notifier_notify(f.n) == 0);
	snprintf(f.state, sizeof f.state, "state-3");
	CHECK(sip_notifier_notify(f.n) == 0);
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer)); /* waits for the answer */
	CHECK(peer_reply(f.ua, &f.peer, &out, 200, NULL) == 0);
	CHECK(notify_answered(&f, 200, NULL));
	CHECK(has(&f, "CSeq: 3 NOTIFY\r\n"));
	CHECK(has(&f, "\r\n\r\nstate-3"));
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	CHECK_INT(f.notified, 3);

	/* A refresh 100 s on: 200 with the new Expires, a NOTIFY, and the timer restarts. */
	advance(&f, 100 * SEC);
	CHECK_INT(sip_notifier_expires(f.n), 200);
	CHECK_INT(resubscribe(&f, "presence;id=7", "250"), 200);
	CHECK(has(&f, "Expires: 250\r\n"));
	CHECK(has(&f, "Contact: <sip:sip@127.0.0.1:"));
	CHECK_INT(f.refreshed, 1);
	CHECK(notify_answered(&f, 200, NULL));
	CHECK(has(&f, "Subscription-State: active;expires=250\r\n"));
	advance(&f, 220 * SEC); /* past the first grant's end */
	CHECK(!peer_pending(&f.peer));
	CHECK_INT(f.done, 0);
	CHECK_INT(sip_notifier_expires(f.n), 30);
	/* Too brief: 423 with Min-Expires, nothing else changes. */
	CHECK_INT(resubscribe(&f, "presence;id=7", "10"), 423);
	CHECK(has(&f, "Min-Expires: 60\r\n"));
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	CHECK_INT(f.refreshed, 1);
	/* Other requests in a dialog of its own: 405; other subscriptions: 481. */
	CHECK(send_req(&f, "INFO", f.tag, "") == 0);
	CHECK_INT(take(&f), 405);
	CHECK(has(&f, "Allow: SUBSCRIBE\r\n"));
	CHECK_INT(resubscribe(&f, "presence;id=8", "100"), 481);
	CHECK_INT(resubscribe(&f, "dialog", "100"), 481);

	/* Unsubscribed: 200 with Expires: 0, the terminated NOTIFY, then done. */
	CHECK_INT(resubscribe(&f, "presence;id=7", "0"), 200);
	CHECK(has(&f, "Expires: 0\r\n"));
	CHECK_INT(f.refreshed, 1);
	CHECK(sip_notifier_notify(f.n) == SIP_EINVAL); /* terminating */
	CHECK_INT(sip_notifier_expires(f.n), 0);
	CHECK_INT(take(&f), 0);
	CHECK(has(&f, "Subscription-State: terminated;reason=timeout\r\n"));
	CHECK(has(&f, "\r\n\r\nstate-3"));
	CHECK_INT(f.done, 0);
	CHECK(peer_reply(f.ua, &f.peer, &f.in, 200, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_NOTIFIER_END_UNSUBSCRIBED);
	CHECK_INT(f.err, 0);
	CHECK_INT(f.status, 200);
	/* Over: the dialog is nobody's. */
	CHECK_INT(resubscribe(&f, "presence;id=7", "100"), 481);
	CHECK(sip_notifier_terminate(f.n, NULL) == SIP_EINVAL);
	nfix_close(&f);
	return 0;
}

TEST(notifier_fetch)
{
	struct nfix f;
	CHECK(nfix_open(&f) == 0);
	CHECK_INT(subscribe(&f, "0"), 200);
	CHECK(has(&f, "Expires: 0\r\n"));
	CHECK_INT(f.done, 0);
	CHECK_INT(take(&f), 0);
	CHECK(has(&f, "Subscription-State: terminated;reason=timeout\r\n"));
	CHECK(has(&f, "\r\n\r\nstate-1"));
	CHECK(peer_reply(f.ua, &f.peer, &f.in, 200, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_NOTIFIER_END_UNSUBSCRIBED);
	CHECK_INT(sip_notifier_count(f.n), 1);
	nfix_close(&f);
	return 0;
}

TEST(notifier_expires_without_refresh)
{
	struct nfix f;
	CHECK(nfix_open(&f) == 0);
	f.spec.expires_max = 120;
	CHECK_INT(subscribe(&f, NULL), 200); /* none asked: expires_max */
	CHECK(has(&f, "Expires: 120\r\n"));
	CHECK(notify_answered(&f, 200, NULL));
	advance(&f, 20 * SEC + 1);
	CHECK_INT(sip_notifier_expires(f.n), 100); /* rounded up */
	advance(&f, 100 * SEC);
	CHECK_INT(take(&f), 0);
	CHECK(has(&f, "Subscription-State: terminated;reason=timeout\r\n"));
	CHECK(peer_reply(f.ua, &f.peer, &f.in, 200, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_NOTIFIER_END_EXPIRED);
	/* A terminated NOTIFY the subscriber has forgotten: still the end, with its 481. */
	sip_notifier_free(f.n);
	f.n = NULL;
	f.done = 0;
	f.cseq = 10;
	CHECK_INT(subscribe(&f, "60"), 200);
	CHECK(sip_notifier_terminate(f.n, "a b") == SIP_EINVAL);
	CHECK(sip_notifier_terminate(f.n, "noresource") == 0);
	CHECK(sip_notifier_terminate(f.n, "noresource") == SIP_EINVAL);
	CHECK(sip_notifier_notify(f.n) == SIP_EINVAL);
	CHECK(notify_answered(&f, 200, NULL)); /* the first, out already */
	CHECK(has(&f, "Subscription-State: active;expires=60\r\n"));
	CHECK(notify_answered(&f, 481, NULL));
	CHECK(has(&f, "Subscription-State: terminated;reason=noresource\r\n"));
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_NOTIFIER_END_TERMINATED);
	CHECK_INT(f.status, 481);
	CHECK_INT(sip_notifier_count(f.n), 2);
	nfix_close(&f);
	return 0;
}

TEST(notifier_terminate_waits_for_the_notify_out)
{
	struct nfix f;
	CHECK(nfix_open(&f) == 0);
	CHECK_INT(subscribe(&f, "600"), 200);
	CHECK_INT(take(&f), 0);
	struct peer_last out = f.in;
	CHECK(sip_notifier_terminate(f.n, "deactivated") == 0);
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	CHECK(peer_reply(f.ua, &f.peer, &out, 200, NULL) == 0);
	snprintf(f.state, sizeof f.state, "gone");
	CHECK(notify_answered(&f, 200, NULL));
	CHECK(has(&f, "Subscription-State: terminated;reason=deactivated\r\n"));
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_NOTIFIER_END_TERMINATED);
	CHECK_INT(f.err, 0);
	CHECK_INT(f.status, 200);
	nfix_close(&f);
	return 0;
}

TEST(notifier_notify_refused_or_unanswered)
{
	struct nfix f;
	CHECK(nfix_open(&f) == 0);
	f.free_in_done = true;
	/* 481: the subscriber has no such subscription. */
	CHECK_INT(subscribe(&f, "600"), 200);
	CHECK(notify_answered(&f, 481, NULL));
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_NOTIFIER_END_REJECTED);
	CHECK_INT(f.status, 481);
	CHECK(f.n == NULL);
	/* A challenge the stack has no credentials for: the same. */
	f.cseq = 10;
	CHECK_INT(subscribe(&f, "600"), 200);
	CHECK(notify_answered(
		&f, 407, "Proxy-Authenticate: Digest realm=\"r\", nonce=\"n\", algorithm=MD5"));
	CHECK_INT(f.done, 2);
	CHECK_INT(f.how, SIP_NOTIFIER_END_REJECTED);
	CHECK_INT(f.status, 407);
	/* No answer: the transaction's timeout. */
	f.cseq = 20;
	CHECK_INT(subscribe(&f, "600"), 200);
	CHECK_INT(take(&f), 0);
	for (int i = 0; i < 70 && f.done == 2; i++)
		advance(&f, T1);
	CHECK_INT(f.done, 3);
	CHECK_INT(f.how, SIP_NOTIFIER_END_REJECTED);
	CHECK_INT(f.err, SIP_ETIMEDOUT);
	CHECK_INT(f.status, 0);
	drain(&f);
	/* A body the handler cannot give ends it, and the subscriber is told:
	 * terminated, no body. */
	f.cseq = 30;
	f.body_err = SIP_ENOMEM;
	CHECK_INT(subscribe(&f, "600"), 200);
	CHECK_INT(f.done, 3);
	CHECK(notify_answered(&f, 200, NULL));
	CHECK(has(&f, "Subscription-State: terminated;reason=noresource\r\n"));
	CHECK(has(&f, "Content-Length: 0\r\n"));
	CHECK_INT(f.done, 4);
	CHECK_INT(f.how, SIP_NOTIFIER_END_REJECTED);
	CHECK_INT(f.err, SIP_ENOMEM);
	CHECK_INT(f.status, 200);
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	nfix_close(&f);
	return 0;
}

TEST(notifier_too_brief_and_refused_requests)
{
	struct nfix f;
	CHECK(nfix_open(&f) == 0);
	f.spec.expires_min = 60;
	CHECK_INT(subscribe(&f, "30"), 423);
	CHECK(has(&f, "Min-Expires: 60\r\n"));
	CHECK_INT(f.accept_err, 0);
	CHECK(f.n == NULL);
	/* No Event: the caller's to answer. */
	CHECK(send_req(&f, "SUBSCRIBE", NULL, "Expires: 60\r\n") == 0);
	CHECK_INT(take(&f), 400);
	CHECK_INT(f.accept_err, SIP_EINVAL);
	/* A To tag of no dialog given: not a new subscription. */
	CHECK(send_req(&f, "SUBSCRIBE", "zz", "Event: presence\r\n") == 0);
	CHECK_INT(take(&f), 481);
	CHECK_INT(f.accept_err, SIP_EINVAL);
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	CHECK_INT(f.done, 0);
	nfix_close(&f);
	return 0;
}

TEST(notifier_refer_out_of_dialog)
{
	struct nfix f;
	CHECK(nfix_open(&f) == 0);
	snprintf(f.state, sizeof f.state, "SIP/2.0 100 Trying\r\n");
	CHECK(send_req(&f, "REFER", NULL, "Refer-To: <sip:carol@127.0.0.1>\r\n") == 0);
	CHECK_INT(take(&f), 202);
	tag_of(&f);
	CHECK(f.tag[0] != '\0');
	CHECK(has(&f, "Contact: <sip:sip@127.0.0.1:"));
	CHECK(!has(&f, "Refer-Sub:"));
	CHECK(strcmp(sip_notifier_package(f.n), "refer") == 0);
	CHECK(notify_answered(&f, 200, NULL));
	CHECK(has(&f, "Event: refer\r\n"));
	CHECK(has(&f, "Subscription-State: active;expires=60\r\n"));
	CHECK(has(&f, "Content-Type: message/sipfrag\r\n"));
	CHECK(has(&f, "\r\n\r\nSIP/2.0 100 Trying\r\n"));
	/* Refreshed as the subscriber does it: refer;id=<the REFER's CSeq>. */
	CHECK_INT(resubscribe(&f, "refer;id=1", "120"), 200);
	CHECK(has(&f, "Expires: 120\r\n"));
	CHECK(notify_answered(&f, 200, NULL));
	CHECK(has(&f, "Subscription-State: active;expires=120\r\n"));
	CHECK_INT(resubscribe(&f, "refer;id=2", "120"), 481);
	snprintf(f.state, sizeof f.state, "SIP/2.0 200 OK\r\n");
	CHECK(sip_notifier_terminate(f.n, "noresource") == 0);
	CHECK(notify_answered(&f, 200, NULL));
	CHECK(has(&f, "Subscription-State: terminated;reason=noresource\r\n"));
	CHECK(has(&f, "\r\n\r\nSIP/2.0 200 OK\r\n"));
	CHECK_INT(f.done, 1);
	CHECK_INT(f.how, SIP_NOTIFIER_END_TERMINATED);
	nfix_close(&f);
	return 0;
}

TEST(notifier_refer_sub_false)
{
	struct nfix f;
	CHECK(nfix_open(&f) == 0);
	f.free_in_done = true;
	CHECK(send_req(&f, "REFER", NULL,
	               "Refer-To: <sip:carol@127.0.0.1>\r\nRefer-Sub: false\r\n") == 0);
	CHECK_INT(take(&f), 202);
	CHECK(has(&f, "Refer-Sub: false\r\n"));
	CHECK_INT(f.done, 1); /* from the loop, which peer_take turned */
	CHECK_INT(f.how, SIP_NOTIFIER_END_TERMINATED);
	CHECK_INT(f.err, 0);
	CHECK_INT(f.bodies, 0);
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	nfix_close(&f);
	return 0;
}

/* ---- in a dialog shared with another owner (a call's) ---- */

/* The other owner: a REFER it gives the notifier; anything else it answers 200. */
static bool owner(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct nfix *f = arg;
	if (req->method == SIP_REFER) {
		f->spec.dialog = f->d;
		f->accept_err = sip_notifier_accept(&f->n, f->ua, in, &f->spec);
		f->accepted = f->accept_err == 0 && f->n;
		return f->accepted;
	}
	f->owner_took++;
	struct sip_response_spec rs = {.status = 200};
	sip_incoming_respond(in, &rs);
	return true;
}

/* The dialog an INVITE made, the test its owner. */
static bool on_invite(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct nfix *f = arg;
	struct sip_response_spec rs = {.status = 200, .to_tag = "call1"};
	if (sip_dialog_new_uas(&f->d, req, "call1") != 0 ||
	    sip_ua_dialog_add(f->ua, f->d, owner, NULL, f) != 0)
		return false;
	sip_incoming_respond(in, &rs);
	return true;
}

TEST(notifier_refer_in_a_shared_dialog)
{
	struct nfix f;
	CHECK(nfix_open(&f) == 0);
	CHECK(sip_ua_accept(f.ua, "INVITE", on_invite, &f) == 0);
	CHECK(send_req(&f, "INVITE", NULL, "") == 0);
	CHECK_INT(take(&f), 200);
	snprintf(f.tag, sizeof f.tag, "call1");
	snprintf(f.state, sizeof f.state, "SIP/2.0 100 Trying\r\n");
	CHECK(send_req(&f, "REFER", f.tag, "Refer-To: <sip:carol@127.0.0.1>\r\n") == 0);
	CHECK(f.accepted);
	CHECK(sip_notifier_dialog(f.n) == f.d);
	CHECK_INT(take(&f), 202);
	CHECK(has(&f, "To: <sip:notifier@127.0.0.1>;tag=call1\r\n"));
	CHECK(has(&f, "CSeq: 2 REFER\r\n"));
	CHECK(notify_answered(&f, 200, NULL));
	CHECK(has(&f, "Event: refer;id=2\r\n"));
	CHECK(has(&f, "From: <sip:notifier@127.0.0.1>;tag=call1\r\n"));
	CHECK(has(&f, "Call-ID: sub-1\r\n"));
	CHECK(has(&f, "CSeq: 1 NOTIFY\r\n")); /* the dialog's next */
	CHECK(has(&f, "Subscription-State: active;expires=60\r\n"));
	/* The dialog's other requests go to its other owner. */
	CHECK(send_req(&f, "INFO", f.tag, "") == 0);
	CHECK_INT(take(&f), 200);
	CHECK_INT(f.owner_took, 1);
	CHECK_INT(resubscribe(&f, "refer", "60"), 200); /* no id: not this REFER's */
	CHECK_INT(f.owner_took, 2);
	CHECK_INT(f.refreshed, 0);
	CHECK_INT(resubscribe(&f, "refer;id=2", "90"), 200);
	CHECK_INT(f.refreshed, 1);
	CHECK(notify_answered(&f, 200, NULL));
	CHECK(has(&f, "CSeq: 2 NOTIFY\r\n"));
	CHECK(has(&f, "Subscription-State: active;expires=90\r\n"));
	/* Freed: its SUBSCRIBEs are the other owner's, the dialog stays. */
	sip_notifier_free(f.n);
	f.n = NULL;
	CHECK_INT(resubscribe(&f, "refer;id=2", "90"), 200);
	CHECK_INT(f.owner_took, 3);
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	CHECK_INT(f.done, 0);
	sip_ua_accept_remove(f.ua, on_invite, &f);
	nfix_close(&f);
	return 0;
}

/* ---- frees ---- */

TEST(notifier_free_anywhere)
{
	struct nfix f;
	CHECK(nfix_open(&f) == 0);
	/* With a NOTIFY out: nothing after, its answer is nobody's. */
	CHECK_INT(subscribe(&f, "600"), 200);
	CHECK_INT(take(&f), 0);
	sip_notifier_free(f.n);
	f.n = NULL;
	CHECK(peer_reply(f.ua, &f.peer, &f.in, 200, NULL) == 0);
	CHECK_INT(f.notified + f.done, 0);
	/* Before the first NOTIFY went: only the 200. */
	f.cseq = 10;
	f.free_in_accept = true;
	CHECK_INT(subscribe(&f, "600"), 200);
	CHECK(f.accepted);
	f.free_in_accept = false;
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	/* From the body handler: nothing goes. */
	f.cseq = 20;
	f.bodies = 0;
	f.free_in_body = true;
	CHECK_INT(subscribe(&f, "600"), 200);
	CHECK(f.n == NULL);
	CHECK_INT(f.bodies, 1);
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	f.free_in_body = false;
	/* From the NOTIFIED event, and from REFRESHED: the refresh is answered still. */
	f.cseq = 30;
	f.free_in_event = true;
	CHECK_INT(subscribe(&f, "600"), 200);
	CHECK(notify_answered(&f, 200, NULL));
	CHECK(f.n == NULL);
	f.free_in_event = false;
	f.cseq = 40;
	CHECK_INT(subscribe(&f, "600"), 200);
	CHECK(notify_answered(&f, 200, NULL));
	f.free_in_event = true;
	CHECK_INT(resubscribe(&f, "presence;id=7", "600"), 200);
	CHECK(f.n == NULL);
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	CHECK_INT(f.done, 0);
	nfix_close(&f);
	return 0;
}
