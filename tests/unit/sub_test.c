/* sub_test.c - the subscriber (RFC 6665, RFC 3515) on a fake clock
 * against a raw UDP notifier on loopback: NOTIFYs before and after the
 * 2xx, forks, 423, refreshes, 481, unsubscribing, a silent notifier,
 * REFER with and without its subscription, and NOTIFYs of nothing. */
#include "peer.h"
#include "test.h"

#define T1 500000u /* the stack's default */

struct sfix {
	struct sip_ua *ua;
	struct peer peer;
	struct sip_target target;
	struct sip_uri uri;
	struct sip_sockaddr local;
	struct sip_sub *s;
	int done, err, accepted, brief, refreshed, ended, notifies;
	int refused;        /* SIP_SUB_NOTIFY_REJECTED events */
	int refused_status; /* the last one's err: the status sent */
	unsigned refused_n; /* and its subscription */
	char refused_why[160];
	unsigned status; /* done's response */
	unsigned last_n; /* of the last NOTIFY or event */
	int ended_err;   /* the last SIP_SUB_ENDED's */
	char reason[64]; /* its sip_sub_reason */
	enum sip_substate state;
	long expires;
	char body[256];       /* the last NOTIFY's */
	bool free_in_notify;  /* sip_sub_free from inside the NOTIFY handler */
	bool stop_in_notify;  /* sip_sub_stop from inside it */
	bool free_in_refused; /* sip_sub_free from inside a SIP_SUB_NOTIFY_REJECTED */
	struct peer_last in;  /* the last request the peer took */
	struct peer_last out; /* the last answer to a NOTIFY */
	char call_id[64], from_tag[64], event[64];
	unsigned cseq; /* the notifier's */
	bool free_in_done;
	struct sip_call *call; /* the call a REFER goes in */
	int call_done;
	enum sip_call_end call_how;
};

static void on_event(struct sip_sub *s, enum sip_sub_event ev, unsigned n, int err,
                     const struct sip_msg *msg, void *arg)
{
	struct sfix *f = arg;
	(void)msg;
	f->last_n = n;
	f->accepted += ev == SIP_SUB_ACCEPTED;
	f->brief += ev == SIP_SUB_TOO_BRIEF;
	f->refreshed += ev == SIP_SUB_REFRESHED;
	if (ev == SIP_SUB_NOTIFY_REJECTED) {
		f->refused++;
		f->refused_status = err;
		f->refused_n = n;
		snprintf(f->refused_why, sizeof f->refused_why, "%s", sip_sub_notify_why(s));
		if (!msg || msg->method != SIP_NOTIFY)
			f->refused_status = -1; /* the NOTIFY itself, while unanswered */
		if (f->free_in_refused) {
			sip_sub_free(s);
			f->s = NULL;
		}
	}
	if (ev == SIP_SUB_ENDED) {
		f->ended++;
		f->ended_err = err;
		snprintf(f->reason, sizeof f->reason, "%s", sip_sub_reason(s, n));
	}
}

static void on_notify(struct sip_sub *s, unsigned n, const struct sip_msg *notify,
                      const struct sip_substate_hdr *st, void *arg)
{
	struct sfix *f = arg;
	(void)s;
	f->notifies++;
	f->last_n = n;
	f->state = st->state;
	f->expires = st->expires;
	snprintf(f->body, sizeof f->body, "%.*s", SIP_STR_FMT(notify->body));
	if (f->stop_in_notify)
		sip_sub_stop(s);
	if (f->free_in_notify) {
		sip_sub_free(s);
		f->s = NULL;
	}
}

static void on_done(struct sip_sub *s, int err, const struct sip_msg *resp, void *arg)
{
	struct sfix *f = arg;
	f->done++;
	f->err = err;
	f->status = resp ? resp->status : 0;
	if (f->free_in_done) {
		sip_sub_free(s);
		f->s = NULL;
	}
}

static void on_auth(struct sip_req *r, const struct sip_challenge *ch, void *arg)
{
	(void)ch;
	(void)arg;
	sip_req_authenticate(r, "alice", "secret");
}

static int sfix_open(struct sfix *f)
{
	memset(f, 0, sizeof *f);
	if (peer_stack(&f->ua, &f->peer, &f->target) != 0 ||
	    sip_ua_bound(f->ua, SIP_TP_UDP, AF_INET, &f->local) != 0)
		return -1;
	return sip_uri_parse(&f->uri, SIP_STR("sip:bob@example.test"));
}

static void sfix_close(struct sfix *f)
{
	/* The sub borrows the call's dialog: freed first. */
	sip_sub_free(f->s);
	sip_call_free(f->call);
	fake_now += 64 * T1;
	sip_loop_poll(sip_ua_loop(f->ua), 0);
	sip_ua_free(f->ua);
	peer_close(&f->peer);
}

static struct sip_sub_spec spec_for(struct sfix *f)
{
	struct sip_sub_spec s = {
		.event = "presence",
		.accept = "application/pidf+xml",
		.expires = 600,
		.uri = &f->uri,
		.targets = &f->target,
		.ntargets = 1,
		.transport = -1,
		.max_forwards = -1,
		.user_agent = "sip-test/1",
		.event_h = on_event,
		.notify = on_notify,
		.done = on_done,
		.arg = f,
	};
	return s;
}

static bool has(const struct sfix *f, const char *text)
{
	return strstr(f->in.buf, text) != NULL;
}

/* Takes the next request, and from the first one the Call-ID and tag the
 * NOTIFYs go in. */
static size_t take(struct sfix *f)
{
	static struct sip_msg m;
	struct sip_addr a;
	size_t n = peer_take(f->ua, &f->peer, &f->in);
	if (!n || f->call_id[0] || sip_msg_parse(&m, f->in.buf, n, 0) != 0)
		return n;
	const struct sip_hdr *id = sip_msg_hdr(&m, SIP_HDR_CALL_ID);
	const struct sip_hdr *from = sip_msg_hdr(&m, SIP_HDR_FROM);
	if (id && from && sip_addr_parse(&a, from->value) == 0) {
		snprintf(f->call_id, sizeof f->call_id, "%.*s", SIP_STR_FMT(id->value));
		snprintf(f->from_tag, sizeof f->from_tag, "%.*s", SIP_STR_FMT(a.tag));
	}
	return n;
}

/* Answers the last request with status from the notifier tagged tag (a
 * Contact with a 2xx), and the header line extra, if any. */
static int reply(struct sfix *f, unsigned status, const char *tag, const char *extra)
{
	static struct sip_msg m;
	struct sip_buf b;
	char contact[80];
	struct sip_build_hdr h = {extra};
	snprintf(contact, sizeof contact, "<sip:notifier@127.0.0.1:%u>",
	         sip_sockaddr_port(&f->peer.addr));
	struct sip_response_spec rs = {
		.status = status,
		.to_tag = tag,
		.contact = status < 300 ? contact : NULL,
		.headers = extra ? &h : NULL,
		.nheaders = extra ? 1 : 0,
	};
	if (sip_msg_parse(&m, f->in.buf, f->in.len, 0) != 0)
		return -1;
	sip_buf_init(&b, 0);
	int err = sip_build_response(&b, &m, &rs);
	if (!err &&
	    sendto(f->peer.fd, b.p, b.len, 0, &f->in.from.u.sa, f->in.from.len) != (ssize_t)b.len)
		err = -1;
	sip_buf_reset(&b);
	peer_spin(sip_ua_loop(f->ua));
	return err;
}

/* The notifier tagged tag sends a request of method in the
 * subscription's Call-ID (call_id NULL), CSeq counting on, with the header
 * lines in lines ("" for none, each ending in CRLF) and a body of type
 * ctype when given. Returns the status it was answered with. */
static unsigned request_in(struct sfix *f, const char *method, const char *call_id, const char *tag,
                           const char *lines, const char *ctype, const char *body)
{
	static unsigned sent; /* a branch of its own, whatever its CSeq */
	char buf[2048];
	unsigned cseq = ++f->cseq;
	int n = snprintf(buf, sizeof buf,
	                 "%s sip:sip@127.0.0.1:%u SIP/2.0\r\n"
	                 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKntf%s%u.%u;rport\r\n"
	                 "Max-Forwards: 70\r\n"
	                 "From: <sip:bob@example.test>;tag=%s\r\n"
	                 "To: <sip:sip@127.0.0.1>;tag=%s\r\n"
	                 "Call-ID: %s\r\n"
	                 "CSeq: %u %s\r\n"
	                 "Contact: <sip:notifier@127.0.0.1:%u>\r\n"
	                 "%s%s%s%s"
	                 "Content-Length: %zu\r\n\r\n%s",
	                 method, sip_sockaddr_port(&f->local), sip_sockaddr_port(&f->peer.addr),
	                 tag, cseq, ++sent, tag, f->from_tag, call_id ? call_id : f->call_id, cseq,
	                 method, sip_sockaddr_port(&f->peer.addr), lines,
	                 ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "",
	                 body ? strlen(body) : 0, body ? body : "");
	if (n < 0 || (size_t)n >= sizeof buf ||
	    sendto(f->peer.fd, buf, (size_t)n, 0, &f->local.u.sa, f->local.len) != n)
		return 0;
	if (!peer_take(f->ua, &f->peer, &f->out))
		return 0;
	peer_spin(sip_ua_loop(f->ua));
	return peer_status(f->out.buf, f->out.len);
}

/* A NOTIFY from the notifier tagged tag with Event f->event ("presence"
 * when unset) and Subscription-State state. */
static unsigned notify_in(struct sfix *f, const char *call_id, const char *tag, const char *state,
                          const char *ctype, const char *body)
{
	char lines[256];
	snprintf(lines, sizeof lines, "Event: %s\r\nSubscription-State: %s\r\n",
	         f->event[0] ? f->event : "presence", state);
	return request_in(f, "NOTIFY", call_id, tag, lines, ctype, body);
}

static unsigned notify(struct sfix *f, const char *tag, const char *state)
{
	return notify_in(f, NULL, tag, state, NULL, NULL);
}

static void advance(struct sfix *f, uint64_t us)
{
	fake_now += us;
	peer_spin(sip_ua_loop(f->ua));
}

/* Started, its SUBSCRIBE taken and answered 202 by the notifier "n1". */
static int subscribed(struct sfix *f, struct sip_sub_spec *s, const char *extra)
{
	if (sfix_open(f) != 0 || sip_sub_start(&f->s, f->ua, s) != 0 || take(f) == 0)
		return -1;
	return reply(f, 202, "n1", extra);
}

TEST(sub_active_then_terminated)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	CHECK(sfix_open(&f) == 0);
	CHECK(sip_sub_start(&f.s, f.ua, &s) == 0);
	CHECK_INT(f.done + f.accepted, 0); /* nothing from inside the start */
	CHECK(take(&f) > 0);
	CHECK(has(&f, "SUBSCRIBE sip:bob@example.test SIP/2.0\r\n"));
	CHECK(has(&f, "Event: presence\r\n"));
	CHECK(has(&f, "Expires: 600\r\n"));
	CHECK(has(&f, "Accept: application/pidf+xml\r\n"));
	CHECK(has(&f, "CSeq: 1 SUBSCRIBE\r\n"));
	CHECK(reply(&f, 202, "n1", "Expires: 300") == 0);
	CHECK_INT(f.accepted, 1);
	CHECK_INT(sip_sub_count(f.s), 1);
	CHECK_INT(sip_sub_expires(f.s, 1), 300);
	CHECK(strcmp(sip_sub_tag(f.s, 1), "n1") == 0);
	CHECK_INT(notify_in(&f, NULL, "n1", "active;expires=200", "application/pidf+xml", "<x/>"),
	          200);
	CHECK_INT(f.notifies, 1);
	CHECK_INT(f.last_n, 1);
	CHECK_INT(f.state, SIP_SUBSTATE_ACTIVE);
	CHECK_INT(f.expires, 200);
	CHECK_INT(sip_sub_expires(f.s, 1), 200);
	CHECK(strcmp(f.body, "<x/>") == 0);
	CHECK_INT(f.done, 0);
	CHECK_INT(notify(&f, "n1", "terminated;reason=noresource"), 200);
	CHECK_INT(f.notifies, 2);
	CHECK_INT(f.state, SIP_SUBSTATE_TERMINATED);
	CHECK_INT(f.ended, 1);
	CHECK(strcmp(f.reason, "noresource") == 0);
	CHECK(!sip_sub_active(f.s, 1));
	CHECK_INT(f.done, 1);
	CHECK_INT(f.err, 0);
	CHECK_INT(f.status, 0);
	/* Ended: a NOTIFY in that dialog now is of nothing. */
	CHECK_INT(notify(&f, "n1", "active"), 481);
	sfix_close(&f);
	return 0;
}

TEST(sub_notify_before_2xx)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	s.expires = 60;
	CHECK(sfix_open(&f) == 0);
	CHECK(sip_sub_start(&f.s, f.ua, &s) == 0);
	CHECK(take(&f) > 0);
	struct peer_last subscribe = f.in;
	CHECK_INT(notify(&f, "n1", "pending;expires=60"), 200);
	CHECK_INT(f.notifies, 1);
	CHECK_INT(f.state, SIP_SUBSTATE_PENDING);
	CHECK_INT(sip_sub_count(f.s), 1);
	CHECK_INT(f.accepted, 0);
	f.in = subscribe;
	CHECK(reply(&f, 200, "n1", "Expires: 60") == 0);
	CHECK_INT(f.accepted, 1);
	CHECK_INT(sip_sub_count(f.s), 1); /* the same subscription */
	/* Its refresh goes in the dialog the NOTIFY made, CSeq on from the SUBSCRIBE's. */
	advance(&f, 31 * 1000000u);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "SUBSCRIBE sip:notifier@127.0.0.1:"));
	CHECK(has(&f, ";tag=n1\r\n"));
	CHECK(has(&f, "CSeq: 2 SUBSCRIBE\r\n"));
	CHECK(has(&f, "Expires: 60\r\n"));
	CHECK(has(&f, "User-Agent: sip-test/1\r\n")); /* as the first one had */
	CHECK(reply(&f, 200, NULL, "Expires: 60") == 0);
	CHECK_INT(f.refreshed, 1);
	CHECK_INT(notify(&f, "n1", "terminated;reason=deactivated"), 200);
	CHECK_INT(f.done, 1);
	CHECK(strcmp(f.reason, "deactivated") == 0);
	sfix_close(&f);
	return 0;
}

TEST(sub_notify_before_challenged_2xx)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	s.expires = 60;
	s.auth = on_auth;
	CHECK(sfix_open(&f) == 0);
	CHECK(sip_sub_start(&f.s, f.ua, &s) == 0);
	CHECK(take(&f) > 0);
	CHECK_INT(notify(&f, "n1", "pending;expires=60"), 200);
	CHECK(reply(&f, 401, NULL,
	            "WWW-Authenticate: Digest realm=\"example.test\", nonce=\"n\"") == 0);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "CSeq: 2 SUBSCRIBE\r\n"));
	CHECK(has(&f, "Authorization: Digest "));
	CHECK(reply(&f, 202, "n1", "Expires: 60") == 0);
	CHECK_INT(f.accepted, 1);
	CHECK_INT(sip_sub_count(f.s), 1);
	/* The refresh counts on from the SUBSCRIBE that was answered. */
	advance(&f, 30 * 1000000u);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "CSeq: 3 SUBSCRIBE\r\n"));
	sfix_close(&f);
	return 0;
}

TEST(sub_forked)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	CHECK(subscribed(&f, &s, NULL) == 0);
	CHECK_INT(notify(&f, "n1", "active;expires=600"), 200);
	CHECK_INT(notify(&f, "n2", "active;expires=600"), 200);
	CHECK_INT(f.last_n, 2);
	CHECK_INT(sip_sub_count(f.s), 2);
	CHECK(strcmp(sip_sub_tag(f.s, 2), "n2") == 0);
	CHECK_INT(notify(&f, "n1", "terminated;reason=timeout"), 200);
	CHECK_INT(f.ended, 1);
	CHECK_INT(f.last_n, 1);
	CHECK_INT(f.done, 0); /* n2 lives */
	CHECK(sip_sub_active(f.s, 2));
	CHECK_INT(notify(&f, "n2", "terminated;reason=rejected"), 200);
	CHECK_INT(f.ended, 2);
	CHECK(strcmp(f.reason, "rejected") == 0);
	CHECK_INT(f.done, 1);
	sfix_close(&f);
	return 0;
}

TEST(sub_forks_for_a_while)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	CHECK(subscribed(&f, &s, NULL) == 0);
	CHECK_INT(notify(&f, "n1", "active;expires=600"), 200);
	/* A branch the SUBSCRIBE reached late still makes a subscription... */
	advance(&f, 64 * T1 - 1000000u);
	CHECK_INT(notify(&f, "n2", "active;expires=600"), 200);
	CHECK_INT(sip_sub_count(f.s), 2);
	/* ...but once every branch had its NOTIFY's time, a new tag is of nothing. */
	advance(&f, 2000000u);
	CHECK_INT(notify(&f, "n3", "active;expires=600"), 481);
	CHECK_INT(sip_sub_count(f.s), 2);
	CHECK_INT(f.notifies, 2);
	CHECK_INT(notify(&f, "n2", "active;expires=600"), 200); /* the made ones go on */
	sfix_close(&f);
	return 0;
}

TEST(sub_too_brief)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	s.expires = 10;
	CHECK(sfix_open(&f) == 0);
	CHECK(sip_sub_start(&f.s, f.ua, &s) == 0);
	CHECK(take(&f) > 0);
	CHECK(reply(&f, 423, NULL, "Min-Expires: 1800") == 0);
	CHECK_INT(f.brief, 1);
	CHECK_INT(f.last_n, 0);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "Expires: 1800\r\n"));
	CHECK(has(&f, "CSeq: 2 SUBSCRIBE\r\n"));
	char id[80];
	snprintf(id, sizeof id, "Call-ID: %s\r\n", f.call_id);
	CHECK(has(&f, id));
	CHECK(reply(&f, 200, "n1", "Expires: 1800") == 0);
	CHECK_INT(f.accepted, 1);
	CHECK_INT(sip_sub_expires(f.s, 1), 1800);
	CHECK_INT(f.done, 0);
	sfix_close(&f);
	return 0;
}

TEST(sub_refresh_then_481)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	s.expires = 40;
	CHECK(subscribed(&f, &s, "Expires: 40") == 0);
	CHECK_INT(notify(&f, "n1", "active;expires=40"), 200);
	advance(&f, 19 * 1000000u);
	CHECK(!peer_pending(&f.peer)); /* halfway through 40 s, not before */
	advance(&f, 1000000u);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "SUBSCRIBE sip:notifier@127.0.0.1:"));
	CHECK(has(&f, "CSeq: 2 SUBSCRIBE\r\n"));
	CHECK(has(&f, "Expires: 40\r\n"));
	CHECK(has(&f, "Event: presence\r\n"));
	CHECK(reply(&f, 200, NULL, "Expires: 30") == 0);
	CHECK_INT(f.refreshed, 1);
	CHECK_INT(sip_sub_expires(f.s, 1), 30);
	advance(&f, 15 * 1000000u);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "CSeq: 3 SUBSCRIBE\r\n"));
	CHECK(reply(&f, 481, NULL, NULL) == 0);
	CHECK_INT(f.ended, 1);
	CHECK(strcmp(f.reason, "481") == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.err, 0);
	sfix_close(&f);
	return 0;
}

/* A refresh challenged with a 401 or 407 goes again with the answer,
 * CSeq counting on. */
static int refresh_challenged(struct sfix *f, unsigned status, const char *challenge,
                              const char *answer)
{
	advance(f, 20 * 1000000u);
	if (take(f) == 0 || !has(f, "CSeq: 2 SUBSCRIBE\r\n") ||
	    reply(f, status, NULL, challenge) != 0 || take(f) == 0 ||
	    !has(f, "CSeq: 3 SUBSCRIBE\r\n") || !has(f, answer) || !has(f, "username=\"alice\"") ||
	    reply(f, 200, NULL, "Expires: 40") != 0)
		return -1;
	return f->refreshed == 1 && f->ended == 0 ? 0 : -1;
}

TEST(sub_refresh_challenged_answered)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	s.expires = 40;
	s.auth = on_auth;
	CHECK(subscribed(&f, &s, "Expires: 40") == 0);
	CHECK_INT(notify(&f, "n1", "active"), 200);
	CHECK(refresh_challenged(&f, 407, "Proxy-Authenticate: Digest realm=\"p\", nonce=\"n\"",
	                         "Proxy-Authorization: Digest ") == 0);
	sfix_close(&f);
	return 0;
}

TEST(sub_refresh_challenged_answered_by_the_stack)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	s.expires = 40;
	CHECK(subscribed(&f, &s, "Expires: 40") == 0);
	CHECK(sip_ua_credentials(f.ua, NULL, "alice", "secret") == 0);
	CHECK_INT(notify(&f, "n1", "active"), 200);
	CHECK(refresh_challenged(&f, 401, "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\"",
	                         "Authorization: Digest ") == 0);
	sfix_close(&f);
	return 0;
}

TEST(sub_notify_out_of_order)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	CHECK(subscribed(&f, &s, NULL) == 0);
	f.cseq = 4;
	CHECK_INT(notify_in(&f, NULL, "n1", "active", NULL, "<a/>"), 200); /* CSeq 5 */
	CHECK_INT(notify_in(&f, NULL, "n1", "active", NULL, "<b/>"), 200); /* 6 */
	/* An older one (a new transaction, not a retransmission), and one
	 * with the last CSeq again: 500 (RFC 3261 §12.2.2), not handed over. */
	f.cseq = 4;
	CHECK_INT(notify_in(&f, NULL, "n1", "terminated", NULL, "<old/>"), 500);
	f.cseq = 5;
	CHECK_INT(notify_in(&f, NULL, "n1", "terminated", NULL, "<old/>"), 500);
	CHECK_INT(f.notifies, 2);
	CHECK(strcmp(f.body, "<b/>") == 0);
	CHECK_INT(f.ended, 0);
	CHECK_INT(notify_in(&f, NULL, "n1", "terminated", NULL, "<c/>"), 200); /* 7 */
	CHECK_INT(f.notifies, 3);
	CHECK_INT(f.done, 1);
	sfix_close(&f);
	return 0;
}

TEST(sub_stop_final_notify)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	CHECK(subscribed(&f, &s, NULL) == 0);
	f.free_in_done = true;
	CHECK_INT(notify(&f, "n1", "active;expires=600"), 200);
	CHECK(sip_sub_stop(f.s) == 0);
	CHECK(sip_sub_stop(f.s) == SIP_EINVAL);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "SUBSCRIBE sip:notifier@127.0.0.1:"));
	CHECK(has(&f, "Expires: 0\r\n"));
	CHECK(reply(&f, 200, NULL, "Expires: 0") == 0);
	CHECK_INT(f.done, 0);                       /* waits for the final NOTIFY */
	CHECK_INT(notify(&f, "n2", "active"), 481); /* no new forks after a stop */
	CHECK_INT(notify(&f, "n1", "terminated"), 200);
	CHECK_INT(f.done, 1); /* and freed inside it */
	CHECK_INT(f.err, 0);
	CHECK(f.s == NULL);
	sfix_close(&f);
	return 0;
}

TEST(sub_free_inside_notify)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	CHECK(subscribed(&f, &s, NULL) == 0);
	f.free_in_notify = true;
	/* Freed from inside: still answered, nothing more told. */
	CHECK_INT(notify(&f, "n1", "terminated;reason=noresource"), 200);
	CHECK(f.s == NULL);
	CHECK_INT(f.ended + f.done, 0);
	sfix_close(&f);
	return 0;
}

TEST(sub_stop_inside_final_notify)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	CHECK(subscribed(&f, &s, NULL) == 0);
	f.stop_in_notify = true;
	/* Nothing left to unsubscribe: no SUBSCRIBE goes, done follows. */
	CHECK_INT(notify(&f, "n1", "terminated;reason=giveup"), 200);
	CHECK_INT(f.done, 1);
	CHECK(!peer_pending(&f.peer));
	advance(&f, 1000000u);
	CHECK(!peer_pending(&f.peer));
	sfix_close(&f);
	return 0;
}

TEST(sub_refresh_too_brief_then_lost)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	s.expires = 20;
	CHECK(subscribed(&f, &s, "Expires: 20") == 0);
	CHECK_INT(notify(&f, "n1", "active"), 200);
	advance(&f, 10 * 1000000u);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "Expires: 20\r\n"));
	CHECK(reply(&f, 423, NULL, "Min-Expires: 90") == 0);
	CHECK_INT(f.brief, 1);
	CHECK_INT(f.last_n, 1);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "Expires: 90\r\n"));
	CHECK(has(&f, "CSeq: 3 SUBSCRIBE\r\n"));
	CHECK(reply(&f, 200, NULL, "Expires: 90") == 0);
	CHECK_INT(f.refreshed, 1);
	/* The next refresh, 30 s before the 90 run out, gets no answer. */
	advance(&f, 60 * 1000000u);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "CSeq: 4 SUBSCRIBE\r\n"));
	for (int i = 0; i < 70 && !f.done; i++)
		advance(&f, T1);
	CHECK_INT(f.ended, 1);
	CHECK_INT(f.ended_err, SIP_ETIMEDOUT);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.err, SIP_ETIMEDOUT);
	sfix_close(&f);
	return 0;
}

TEST(sub_stop_no_final_notify)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	CHECK(subscribed(&f, &s, NULL) == 0);
	CHECK_INT(notify(&f, "n1", "active;expires=600"), 200);
	CHECK(sip_sub_stop(f.s) == 0);
	CHECK(take(&f) > 0);
	CHECK(reply(&f, 200, NULL, NULL) == 0);
	advance(&f, 64 * T1 - 1000000u);
	CHECK_INT(f.done, 0);
	advance(&f, 1000000u);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.err, SIP_ETIMEDOUT);
	CHECK(strcmp(f.reason, "timeout") == 0);
	sfix_close(&f);
	return 0;
}

TEST(sub_stop_before_anything)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	CHECK(sfix_open(&f) == 0);
	CHECK(sip_sub_start(&f.s, f.ua, &s) == 0);
	CHECK(take(&f) > 0);
	CHECK(sip_sub_stop(f.s) == 0);
	CHECK_INT(f.done, 0);
	/* The 2xx that comes after is unsubscribed at once. */
	CHECK(reply(&f, 202, "n1", NULL) == 0);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "Expires: 0\r\n"));
	CHECK(has(&f, ";tag=n1\r\n"));
	CHECK(reply(&f, 481, NULL, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK(strcmp(f.reason, "481") == 0);
	sfix_close(&f);
	return 0;
}

TEST(sub_no_notify_ends)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	CHECK(subscribed(&f, &s, NULL) == 0);
	CHECK_INT(f.accepted, 1);
	advance(&f, 64 * T1 - 1000000u);
	CHECK_INT(f.done, 0);
	advance(&f, 1000000u);
	CHECK_INT(f.ended, 1);
	CHECK_INT(f.ended_err, SIP_ETIMEDOUT);
	CHECK(strcmp(f.reason, "timeout") == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.err, SIP_ETIMEDOUT);
	sfix_close(&f);
	return 0;
}

TEST(sub_refer_sipfrag)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	s.refer = true;
	s.event = NULL;
	s.accept = NULL;
	s.expires = 0;
	s.refer_to = "<sip:carol@example.test>";
	CHECK(sfix_open(&f) == 0);
	snprintf(f.event, sizeof f.event, "refer;id=1");
	CHECK(sip_sub_start(&f.s, f.ua, &s) == 0);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "REFER sip:bob@example.test SIP/2.0\r\n"));
	CHECK(has(&f, "Refer-To: <sip:carol@example.test>\r\n"));
	CHECK(!has(&f, "Expires:"));
	CHECK(!has(&f, "Refer-Sub:"));
	CHECK(reply(&f, 202, "n1", NULL) == 0);
	CHECK_INT(f.accepted, 1);
	CHECK_INT(notify_in(&f, NULL, "n1", "active;expires=60", "message/sipfrag",
	                    "SIP/2.0 100 Trying\r\n"),
	          200);
	CHECK(strcmp(f.body, "SIP/2.0 100 Trying\r\n") == 0);
	/* Refreshed as the refer package, for what the NOTIFY granted. */
	advance(&f, 30 * 1000000u);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "SUBSCRIBE sip:notifier@127.0.0.1:"));
	CHECK(has(&f, "Event: refer;id=1\r\n"));
	CHECK(has(&f, "Expires: 60\r\n"));
	CHECK(has(&f, "CSeq: 2 SUBSCRIBE\r\n"));
	CHECK(reply(&f, 200, NULL, "Expires: 60") == 0);
	CHECK_INT(f.refreshed, 1);
	snprintf(f.event, sizeof f.event, "presence");
	CHECK_INT(notify(&f, "n1", "active"), 489); /* not the refer package */
	snprintf(f.event, sizeof f.event, "refer;id=7");
	CHECK_INT(notify(&f, "n1", "active"), 489); /* not this REFER's */
	snprintf(f.event, sizeof f.event, "refer");
	CHECK_INT(notify_in(&f, NULL, "n1", "terminated;reason=noresource", "message/sipfrag",
	                    "SIP/2.0 200 OK\r\n"),
	          200);
	CHECK_INT(f.notifies, 2);
	CHECK(strcmp(f.body, "SIP/2.0 200 OK\r\n") == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.err, 0);
	sfix_close(&f);
	return 0;
}

TEST(sub_refer_no_sub)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	s.refer = true;
	s.event = NULL;
	s.refer_to = "<sip:carol@example.test>";
	s.no_refer_sub = true;
	CHECK(sfix_open(&f) == 0);
	CHECK(sip_sub_start(&f.s, f.ua, &s) == 0);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "Refer-Sub: false\r\n"));
	CHECK(reply(&f, 202, "n1", "Refer-Sub: false") == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.status, 202);
	CHECK_INT(sip_sub_count(f.s), 0);
	snprintf(f.event, sizeof f.event, "refer");
	CHECK_INT(notify(&f, "n1", "active"), 481);
	sfix_close(&f);
	return 0;
}

TEST(sub_unknown_notify)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	CHECK(subscribed(&f, &s, NULL) == 0);
	CHECK_INT(notify_in(&f, "nobody", "n1", "active", NULL, NULL), 481);
	CHECK_INT(f.notifies, 0);
	CHECK_INT(f.refused, 0); /* another dialog's: not ours to tell */
	snprintf(f.event, sizeof f.event, "dialog");
	CHECK_INT(notify(&f, "n1", "active"), 489);
	/* Each refusal is told, with its status, subscription and why. */
	CHECK_INT(f.refused, 1);
	CHECK_INT(f.refused_status, 489);
	CHECK_INT(f.refused_n, 1);
	CHECK_STR(sip_str_from(f.refused_why), "an Event other than presence");
	CHECK_STR(sip_str_from(sip_sub_notify_why(f.s)), ""); /* outside the handler */
	snprintf(f.event, sizeof f.event, "presence;id=3");   /* we gave no id */
	CHECK_INT(notify(&f, "n1", "active"), 489);
	CHECK_INT(f.refused, 2);
	snprintf(f.event, sizeof f.event, "presence");
	CHECK_INT(notify(&f, "n1", ";bad"), 400); /* Subscription-State */
	CHECK_INT(f.refused_status, 400);
	CHECK_STR(sip_str_from(f.refused_why), "a Subscription-State that does not parse");
	CHECK_INT(request_in(&f, "NOTIFY", NULL, "n1", "Event: presence\r\n", NULL, NULL), 400);
	CHECK_INT(f.refused, 4);
	CHECK_STR(sip_str_from(f.refused_why), "no Subscription-State");
	CHECK_INT(
		request_in(&f, "NOTIFY", NULL, "n1", "Subscription-State: active\r\n", NULL, NULL),
		489);
	CHECK_STR(sip_str_from(f.refused_why), "no Event");
	CHECK_INT(f.notifies, 0);
	/* A notifier that never sends a valid one: the subscription ends as
	 * one that had no NOTIFY. */
	advance(&f, 64 * T1);
	CHECK_INT(f.ended, 1);
	CHECK_INT(f.ended_err, SIP_ETIMEDOUT);
	CHECK_INT(f.done, 1);
	sfix_close(&f);
	return 0;
}

TEST(sub_refused_notify_of_nothing)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	CHECK(subscribed(&f, &s, NULL) == 0);
	/* A new notifier's first NOTIFY without Subscription-State: no
	 * subscription is made, and the refusal names none. */
	CHECK_INT(request_in(&f, "NOTIFY", NULL, "n2", "Event: presence\r\n", NULL, NULL), 400);
	CHECK_INT(f.refused, 1);
	CHECK_INT(f.refused_n, 0);
	CHECK_INT(sip_sub_count(f.s), 1);
	CHECK_INT(notify(&f, "n2", "active"), 200);
	CHECK_INT(notify(&f, "n1", "active"), 200);
	CHECK_INT(sip_sub_count(f.s), 2);
	CHECK_INT(f.refused, 1);
	/* A fork too late. */
	advance(&f, 64 * T1 + 1000000u);
	CHECK_INT(notify(&f, "n3", "active"), 481);
	CHECK_INT(f.refused, 2);
	CHECK_INT(f.refused_status, 481);
	CHECK_INT(f.refused_n, 0);
	/* One that has ended, while another lives. */
	CHECK_INT(notify(&f, "n1", "terminated;reason=timeout"), 200);
	CHECK_INT(notify(&f, "n1", "active"), 481);
	CHECK_INT(f.refused, 3);
	CHECK_INT(f.refused_n, 1);
	CHECK_STR(sip_str_from(f.refused_why), "its subscription has ended");
	sfix_close(&f);
	return 0;
}

TEST(sub_refused_after_stop)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	CHECK(subscribed(&f, &s, NULL) == 0);
	CHECK_INT(notify(&f, "n1", "active"), 200);
	CHECK(sip_sub_stop(f.s) == 0);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "Expires: 0\r\n"));
	CHECK_INT(notify(&f, "n2", "active"), 481);
	CHECK_INT(f.refused, 1);
	CHECK_INT(f.refused_n, 0);
	CHECK_STR(sip_str_from(f.refused_why), "a new subscription after the unsubscribe");
	/* Freed from inside the handler: the NOTIFY is still answered. */
	f.free_in_refused = true;
	CHECK_INT(notify(&f, "n4", "active"), 481);
	CHECK(f.s == NULL);
	sfix_close(&f);
	return 0;
}

TEST(sub_2xx_without_to_tag)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	CHECK(sfix_open(&f) == 0);
	CHECK(sip_sub_start(&f.s, f.ua, &s) == 0);
	CHECK(take(&f) > 0);
	CHECK(reply(&f, 202, "", NULL) == 0);
	/* No dialog to hold: a protocol error, not the caller's. */
	CHECK_INT(f.done, 1);
	CHECK_INT(f.err, SIP_ESYNTAX);
	CHECK_INT(f.status, 202);
	CHECK_INT(sip_sub_count(f.s), 0);
	sfix_close(&f);
	return 0;
}

TEST(sub_long_tag)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	char tag[301];
	memset(tag, 'k', sizeof tag - 1);
	tag[sizeof tag - 1] = '\0';
	CHECK(sfix_open(&f) == 0);
	CHECK(sip_sub_start(&f.s, f.ua, &s) == 0);
	CHECK(take(&f) > 0);
	CHECK(reply(&f, 202, tag, NULL) == 0);
	CHECK_INT(f.accepted, 1);
	CHECK_INT(f.done, 0);
	CHECK(strcmp(sip_sub_tag(f.s, 1), tag) == 0);
	CHECK_INT(notify(&f, tag, "active"), 200);
	CHECK_INT(f.notifies, 1);
	CHECK_INT(f.last_n, 1);
	/* A second notifier's as long: a fork of its own. */
	tag[0] = 'j';
	CHECK_INT(notify(&f, tag, "active"), 200);
	CHECK_INT(sip_sub_count(f.s), 2);
	CHECK(strcmp(sip_sub_tag(f.s, 2), tag) == 0);
	sfix_close(&f);
	return 0;
}

TEST(sub_rejected)
{
	struct sfix f;
	struct sip_sub_spec s = spec_for(&f);
	CHECK(sfix_open(&f) == 0);
	CHECK(sip_sub_start(&f.s, f.ua, &s) == 0);
	CHECK(take(&f) > 0);
	CHECK(reply(&f, 489, NULL, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.status, 489);
	CHECK_INT(f.err, 0);
	sfix_close(&f);
	return 0;
}

TEST(sub_substate_parse)
{
	struct sip_substate_hdr st;
	CHECK(sip_substate_parse(&st, SIP_STR("terminated;reason=probation;retry-after=30")) == 0);
	CHECK_INT(st.state, SIP_SUBSTATE_TERMINATED);
	CHECK_STR(st.reason, "probation");
	CHECK_INT(st.retry_after, 30);
	CHECK_INT(st.expires, -1);
	CHECK(sip_substate_parse(&st, SIP_STR("Active ; expires=3600")) == 0);
	CHECK_INT(st.state, SIP_SUBSTATE_ACTIVE);
	CHECK_INT(st.expires, 3600);
	CHECK_STR(st.reason, "");
	CHECK(sip_substate_parse(&st, SIP_STR("waiting")) == 0);
	CHECK_INT(st.state, SIP_SUBSTATE_OTHER);
	CHECK(sip_substate_parse(&st, SIP_STR("")) != 0);
	return 0;
}

/* ---- a REFER in a call ---- */

static void on_call_done(struct sip_call *c, enum sip_call_end how, int err,
                         const struct sip_msg *m, void *arg)
{
	struct sfix *f = arg;
	(void)c;
	(void)err;
	(void)m;
	f->call_done++;
	f->call_how = how;
}

/* A call to the peer, answered by its phone "t1" and ACKed; the NOTIFYs
 * of notify_in go in its dialog. */
static int in_call(struct sfix *f)
{
	struct sip_req_spec rs = {
		.uri_text = "sip:callee@127.0.0.1",
		.targets = &f->target,
		.ntargets = 1,
		.transport = -1,
		.max_forwards = -1,
	};
	struct sip_call_spec cs = {.invite = &rs, .done = on_call_done, .arg = f};
	if (sfix_open(f) != 0 || sip_call_start(&f->call, f->ua, &cs) != 0 || take(f) == 0 ||
	    reply(f, 200, "t1", NULL) != 0 || take(f) == 0 || !has(f, "ACK "))
		return -1;
	return sip_call_dialog(f->call) ? 0 : -1;
}

/* A blind transfer's REFER in the call's dialog, the next hop its
 * remote target. */
static struct sip_sub_spec refer_in_call(struct sfix *f)
{
	struct sip_sub_spec s = spec_for(f);
	s.refer = true;
	s.event = s.accept = NULL;
	s.expires = 0;
	s.refer_to = "<sip:carol@example.test>";
	s.uri = NULL;
	s.targets = NULL;
	s.ntargets = 0;
	s.dialog = sip_call_dialog(f->call);
	return s;
}

TEST(sub_refer_in_call)
{
	struct sfix f;
	CHECK(in_call(&f) == 0);
	CHECK(sip_call_dialog(NULL) == NULL);
	struct sip_sub_spec s = refer_in_call(&f);
	CHECK(sip_sub_start(&f.s, f.ua, &s) == 0);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "REFER sip:notifier@127.0.0.1:"));
	CHECK(has(&f, "Refer-To: <sip:carol@example.test>\r\n"));
	CHECK(has(&f, ";tag=t1\r\n"));
	CHECK(has(&f, "CSeq: 2 REFER\r\n")); /* the INVITE had 1 */
	char id[80];
	snprintf(id, sizeof id, "Call-ID: %s\r\n", f.call_id);
	CHECK(has(&f, id));
	CHECK(reply(&f, 202, NULL, NULL) == 0);
	CHECK_INT(f.accepted, 1);
	snprintf(f.event, sizeof f.event, "refer;id=2");
	CHECK_INT(notify_in(&f, NULL, "t1", "active;expires=60", "message/sipfrag",
	                    "SIP/2.0 100 Trying\r\n"),
	          200);
	CHECK_INT(f.notifies, 1);
	CHECK(strcmp(f.body, "SIP/2.0 100 Trying\r\n") == 0);
	/* Another REFER's NOTIFY is not ours, nor the call's. */
	snprintf(f.event, sizeof f.event, "refer;id=9");
	CHECK_INT(notify(&f, "t1", "active"), 481);
	CHECK_INT(f.notifies, 1);
	/* The refresh goes in the dialog, its CSeq on from the REFER's. */
	advance(&f, 30 * 1000000u);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "SUBSCRIBE sip:notifier@127.0.0.1:"));
	CHECK(has(&f, "Event: refer;id=2\r\n"));
	CHECK(has(&f, "CSeq: 3 SUBSCRIBE\r\n"));
	CHECK(has(&f, id));
	CHECK(reply(&f, 200, NULL, "Expires: 60") == 0);
	CHECK_INT(f.refreshed, 1);
	/* The first REFER in the dialog: its NOTIFYs may name no id. */
	snprintf(f.event, sizeof f.event, "refer");
	CHECK_INT(notify_in(&f, NULL, "t1", "terminated;reason=noresource", "message/sipfrag",
	                    "SIP/2.0 200 OK\r\n"),
	          200);
	CHECK_INT(f.notifies, 2);
	CHECK_INT(f.ended, 1);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.err, 0);
	CHECK_INT(notify(&f, "t1", "active"), 481); /* ended */
	CHECK_INT(f.call_done, 0);
	CHECK_INT(sip_call_state(f.call), SIP_CALL_CONFIRMED);
	/* The far end's BYE is the call's, the sub still an owner. */
	CHECK_INT(request_in(&f, "BYE", NULL, "t1", "", NULL, NULL), 200);
	CHECK_INT(f.call_done, 1);
	CHECK_INT(f.call_how, SIP_CALL_END_REMOTE);
	CHECK_INT(f.done, 1);
	sfix_close(&f);
	return 0;
}

TEST(sub_refer_no_sub_in_call_then_bye)
{
	struct sfix f;
	CHECK(in_call(&f) == 0);
	struct sip_sub_spec s = refer_in_call(&f);
	s.no_refer_sub = true;
	CHECK(sip_sub_start(&f.s, f.ua, &s) == 0);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "CSeq: 2 REFER\r\n"));
	CHECK(has(&f, "Refer-Sub: false\r\n"));
	CHECK(reply(&f, 202, NULL, "Refer-Sub: false") == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.status, 202);
	/* The sub goes first; the call's BYE counts on from the REFER. */
	sip_sub_free(f.s);
	f.s = NULL;
	CHECK(sip_call_hangup(f.call) == 0);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "BYE sip:notifier@127.0.0.1:"));
	CHECK(has(&f, "CSeq: 3 BYE\r\n"));
	CHECK(reply(&f, 200, NULL, NULL) == 0);
	CHECK_INT(f.call_done, 1);
	CHECK_INT(f.call_how, SIP_CALL_END_BYE);
	sfix_close(&f);
	return 0;
}

TEST(sub_refer_in_call_outlives_the_call)
{
	struct sfix f;
	CHECK(in_call(&f) == 0);
	struct sip_sub_spec s = refer_in_call(&f);
	CHECK(sip_sub_start(&f.s, f.ua, &s) == 0);
	CHECK(take(&f) > 0);
	/* A NOTIFY before the 202 makes the subscription; a BYE reaches the call. */
	snprintf(f.event, sizeof f.event, "refer;id=2");
	CHECK_INT(notify_in(&f, NULL, "t1", "active;expires=60", "message/sipfrag",
	                    "SIP/2.0 100 Trying\r\n"),
	          200);
	CHECK(reply(&f, 202, NULL, NULL) == 0);
	CHECK_INT(f.accepted, 1);
	CHECK_INT(sip_sub_count(f.s), 1);
	CHECK_INT(request_in(&f, "BYE", NULL, "t1", "", NULL, NULL), 200);
	CHECK_INT(f.call_done, 1);
	CHECK_INT(f.call_how, SIP_CALL_END_REMOTE);
	CHECK(sip_call_dialog(f.call) == NULL);
	CHECK_INT(f.done, 0);
	/* The sub lives on in the dialog, and unsubscribes in it. */
	CHECK(sip_sub_stop(f.s) == 0);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "SUBSCRIBE sip:notifier@127.0.0.1:"));
	CHECK(has(&f, "Expires: 0\r\n"));
	CHECK(has(&f, "CSeq: 3 SUBSCRIBE\r\n"));
	CHECK(reply(&f, 481, NULL, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK(strcmp(f.reason, "481") == 0);
	sfix_close(&f);
	return 0;
}

TEST(sub_second_refer_in_call_names_its_id)
{
	struct sfix f, g;
	struct sip_sub *second = NULL;
	CHECK(in_call(&f) == 0);
	struct sip_sub_spec s = refer_in_call(&f);
	CHECK(sip_sub_start(&f.s, f.ua, &s) == 0);
	CHECK(take(&f) > 0);
	CHECK(reply(&f, 202, NULL, NULL) == 0);
	memset(&g, 0, sizeof g);
	s.arg = &g;
	CHECK(sip_sub_start(&second, f.ua, &s) == 0);
	CHECK(take(&f) > 0);
	CHECK(has(&f, "CSeq: 3 REFER\r\n"));
	CHECK(reply(&f, 202, NULL, NULL) == 0);
	CHECK_INT(g.accepted, 1);
	/* No id: the first REFER's (RFC 3515 §2.4.6); the second's names it. */
	snprintf(f.event, sizeof f.event, "refer");
	CHECK_INT(notify(&f, "t1", "active"), 200);
	CHECK_INT(f.notifies, 1);
	CHECK_INT(g.notifies, 0);
	snprintf(f.event, sizeof f.event, "refer;id=3");
	CHECK_INT(notify(&f, "t1", "active"), 200);
	CHECK_INT(g.notifies, 1);
	snprintf(f.event, sizeof f.event, "refer;id=2");
	CHECK_INT(notify(&f, "t1", "terminated"), 200);
	CHECK_INT(f.notifies, 2);
	CHECK_INT(f.done, 1);
	CHECK_INT(g.done, 0);
	sip_sub_free(second);
	sfix_close(&f);
	return 0;
}
