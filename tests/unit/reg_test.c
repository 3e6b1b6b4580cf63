/* reg_test.c - the registration machine on a fake clock against a raw UDP
 * registrar on loopback: one-shot modes, a kept binding refreshed and
 * removed, 423 Min-Expires, a lost refresh tried again, and a stop that
 * comes before the first answer. */
#include "peer.h"
#include "test.h"

struct gfix {
	struct sip_ua *ua;
	struct peer peer;
	struct sip_target target;
	struct sip_uri aor, registrar;
	struct sip_sockaddr local;
	struct sip_reg *g;
	int done, err, bound, brief, lost, auths;
	unsigned status;
	struct peer_last in; /* the last message the peer took */
	char contact[128];   /* "Contact: <sip:alice@127.0.0.1:PORT>" */
};

static void on_event(struct sip_reg *g, enum sip_reg_event ev, int err, const struct sip_msg *resp,
                     void *arg)
{
	struct gfix *f = arg;
	(void)g;
	(void)err;
	(void)resp;
	f->bound += ev == SIP_REG_BOUND;
	f->brief += ev == SIP_REG_TOO_BRIEF;
	f->lost += ev == SIP_REG_REFRESH_LOST;
}

static void on_done(struct sip_reg *g, int err, const struct sip_msg *resp, void *arg)
{
	struct gfix *f = arg;
	(void)g;
	f->done++;
	f->err = err;
	f->status = resp ? resp->status : 0;
}

static void on_auth(struct sip_req *r, const struct sip_challenge *ch, void *arg)
{
	struct gfix *f = arg;
	(void)ch;
	f->auths++;
	sip_req_authenticate(r, "alice", "secret");
}

static int gfix_open(struct gfix *f)
{
	memset(f, 0, sizeof *f);
	if (peer_stack(&f->ua, &f->peer, &f->target) != 0 ||
	    sip_ua_bound(f->ua, SIP_TP_UDP, AF_INET, &f->local) != 0)
		return -1;
	snprintf(f->contact, sizeof f->contact, "Contact: <sip:alice@127.0.0.1:%u>",
	         sip_sockaddr_port(&f->local));
	if (sip_uri_parse(&f->aor, SIP_STR("sip:alice@example.test")) != 0)
		return -1;
	return sip_uri_parse(&f->registrar, SIP_STR("sip:example.test"));
}

static void gfix_close(struct gfix *f)
{
	sip_reg_free(f->g);
	fake_now += 64 * 500000;
	sip_loop_poll(sip_ua_loop(f->ua), 0);
	sip_ua_free(f->ua);
	peer_close(&f->peer);
}

static struct sip_reg_spec spec_for(struct gfix *f, enum sip_reg_mode mode, bool keep)
{
	struct sip_reg_spec s = {
		.mode = mode,
		.keep = keep,
		.aor = &f->aor,
		.registrar = &f->registrar,
		.targets = &f->target,
		.ntargets = 1,
		.transport = -1,
		.contact_user = "alice",
		.expires = 60,
		.max_forwards = -1,
		.event = on_event,
		.done = on_done,
		.arg = f,
	};
	return s;
}

static size_t peer_read(struct gfix *f)
{
	return peer_take(f->ua, &f->peer, &f->in);
}

/* Answers the last REGISTER with status and the header line extra, if any. */
static int reply(struct gfix *f, unsigned status, const char *extra)
{
	return peer_reply(f->ua, &f->peer, &f->in, status, extra);
}

static bool has(const struct gfix *f, const char *text)
{
	return strstr(f->in.buf, text) != NULL;
}

static void advance(struct gfix *f, uint64_t us)
{
	fake_now += us;
	peer_spin(sip_ua_loop(f->ua));
}

TEST(reg_bind_once)
{
	struct gfix f;
	char binding[160];
	CHECK(gfix_open(&f) == 0);
	struct sip_reg_spec s = spec_for(&f, SIP_REG_BIND, false);
	CHECK(sip_reg_start(&f.g, f.ua, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "REGISTER sip:example.test SIP/2.0\r\n"));
	CHECK(has(&f, "From: <sip:alice@example.test>;tag="));
	CHECK(has(&f, "To: <sip:alice@example.test>\r\n"));
	CHECK(has(&f, f.contact));
	CHECK(has(&f, "Expires: 60\r\n"));
	CHECK(has(&f, "CSeq: 1 REGISTER\r\n"));
	snprintf(binding, sizeof binding, "%s;expires=50", f.contact);
	CHECK(reply(&f, 200, binding) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.status, 200);
	CHECK_INT(f.bound, 0); /* one-shot: no events, the end */
	CHECK(sip_reg_bound(f.g));
	CHECK_INT(sip_reg_granted(f.g), 50);
	gfix_close(&f);
	return 0;
}

TEST(reg_query_and_unbind_all)
{
	struct gfix f;
	CHECK(gfix_open(&f) == 0);
	struct sip_reg_spec s = spec_for(&f, SIP_REG_QUERY, false);
	CHECK(sip_reg_start(&f.g, f.ua, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(!has(&f, "Contact:"));
	CHECK(!has(&f, "Expires:"));
	CHECK(reply(&f, 200, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK(!sip_reg_bound(f.g));
	sip_reg_free(f.g);
	s.mode = SIP_REG_UNBIND_ALL;
	CHECK(sip_reg_start(&f.g, f.ua, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "Contact: *\r\n"));
	CHECK(has(&f, "Expires: 0\r\n"));
	CHECK(reply(&f, 200, NULL) == 0);
	CHECK_INT(f.done, 2);
	gfix_close(&f);
	return 0;
}

TEST(reg_kept_refreshed_then_removed)
{
	struct gfix f;
	char binding[160];
	CHECK(gfix_open(&f) == 0);
	struct sip_reg_spec s = spec_for(&f, SIP_REG_BIND, true);
	snprintf(binding, sizeof binding, "%s;expires=60", f.contact);
	CHECK(sip_reg_start(&f.g, f.ua, &s) == 0);
	CHECK(peer_read(&f) > 0);
	char call_id[128];
	const char *cid = strstr(f.in.buf, "Call-ID: ");
	CHECK(cid != NULL);
	snprintf(call_id, sizeof call_id, "%.*s", (int)strcspn(cid, "\r"), cid);
	CHECK(reply(&f, 200, binding) == 0);
	CHECK_INT(f.bound, 1);
	CHECK_INT(f.done, 0);
	/* Refreshed halfway through a 60 s binding, in the same Call-ID. */
	advance(&f, 29000000);
	CHECK(!peer_pending(&f.peer));
	advance(&f, 1000000);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "CSeq: 2 REGISTER\r\n"));
	CHECK(has(&f, call_id));
	CHECK(reply(&f, 200, binding) == 0);
	CHECK_INT(f.bound, 2);
	CHECK(sip_reg_stop(f.g) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "CSeq: 3 REGISTER\r\n"));
	CHECK(has(&f, "Expires: 0\r\n"));
	CHECK(has(&f, f.contact));
	CHECK(reply(&f, 200, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.status, 200);
	CHECK(!sip_reg_bound(f.g));
	gfix_close(&f);
	return 0;
}

TEST(reg_423_asks_again_with_min_expires)
{
	struct gfix f;
	CHECK(gfix_open(&f) == 0);
	struct sip_reg_spec s = spec_for(&f, SIP_REG_BIND, false);
	CHECK(sip_reg_start(&f.g, f.ua, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 423, "Min-Expires: 120") == 0);
	CHECK_INT(f.brief, 1);
	CHECK_INT(sip_reg_expires(f.g), 120);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "Expires: 120\r\n"));
	CHECK(has(&f, "CSeq: 2 REGISTER\r\n"));
	CHECK(reply(&f, 200, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(sip_reg_granted(f.g), 120);
	gfix_close(&f);
	return 0;
}

TEST(reg_lost_refresh_tried_again)
{
	struct gfix f;
	char binding[160];
	CHECK(gfix_open(&f) == 0);
	struct sip_reg_spec s = spec_for(&f, SIP_REG_BIND, true);
	s.timeout_us = 2000000;
	snprintf(binding, sizeof binding, "%s;expires=60", f.contact);
	CHECK(sip_reg_start(&f.g, f.ua, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 200, binding) == 0);
	advance(&f, 30000000);
	CHECK(peer_read(&f) > 0); /* the refresh, unanswered */
	advance(&f, 2000000);
	CHECK_INT(f.lost, 1);
	CHECK_INT(f.done, 0);
	while (peer_pending(&f.peer)) /* its retransmissions */
		peer_recv(&f.peer, f.in.buf, sizeof f.in.buf, &f.in.from);
	advance(&f, 5000000);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "Expires: 60\r\n"));
	CHECK(reply(&f, 200, binding) == 0);
	CHECK_INT(f.bound, 2);
	gfix_close(&f);
	return 0;
}

TEST(reg_stopped_before_its_answer_removes_the_binding)
{
	struct gfix f;
	CHECK(gfix_open(&f) == 0);
	struct sip_reg_spec s = spec_for(&f, SIP_REG_BIND, true);
	CHECK(sip_reg_start(&f.g, f.ua, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(sip_reg_stop(f.g) == 0);
	CHECK(reply(&f, 200, NULL) == 0);
	CHECK_INT(f.done, 0);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "Expires: 0\r\n"));
	CHECK(reply(&f, 200, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.bound, 0);
	CHECK(!sip_reg_bound(f.g));
	gfix_close(&f);
	return 0;
}

TEST(reg_challenge_answered_by_the_callers_handler)
{
	struct gfix f;
	CHECK(gfix_open(&f) == 0);
	struct sip_reg_spec s = spec_for(&f, SIP_REG_BIND, false);
	s.auth = on_auth;
	CHECK(sip_reg_start(&f.g, f.ua, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 401, "WWW-Authenticate: Digest realm=\"example.test\", nonce=\"n1\"") == 0);
	CHECK_INT(f.auths, 1);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "Authorization: Digest username=\"alice\", realm=\"example.test\""));
	CHECK(has(&f, "CSeq: 2 REGISTER\r\n"));
	CHECK(reply(&f, 200, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.status, 200);
	gfix_close(&f);
	return 0;
}

/* Stopped while a refresh waits for its answer: the removal counts on from
 * the refresh's CSeq, or the registrar would refuse it (§10.3). */
TEST(reg_stopped_during_a_refresh_counts_on)
{
	struct gfix f;
	char binding[160];
	CHECK(gfix_open(&f) == 0);
	struct sip_reg_spec s = spec_for(&f, SIP_REG_BIND, true);
	snprintf(binding, sizeof binding, "%s;expires=60", f.contact);
	CHECK(sip_reg_start(&f.g, f.ua, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 200, binding) == 0);
	advance(&f, 30000000);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "CSeq: 2 REGISTER\r\n"));
	CHECK(sip_reg_stop(f.g) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "CSeq: 3 REGISTER\r\n"));
	CHECK(has(&f, "Expires: 0\r\n"));
	CHECK(reply(&f, 200, NULL) == 0);
	CHECK_INT(f.done, 1);
	gfix_close(&f);
	return 0;
}

static void free_on_event(struct sip_reg *g, enum sip_reg_event ev, int err,
                          const struct sip_msg *resp, void *arg)
{
	struct gfix *f = arg;
	on_event(g, ev, err, resp, arg);
	sip_reg_free(g);
	f->g = NULL;
}

TEST(reg_freed_in_its_event_handler)
{
	struct gfix f;
	CHECK(gfix_open(&f) == 0);
	struct sip_reg_spec s = spec_for(&f, SIP_REG_BIND, true);
	s.event = free_on_event;
	CHECK(sip_reg_start(&f.g, f.ua, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 200, NULL) == 0);
	CHECK_INT(f.bound, 1);
	CHECK(f.g == NULL);
	advance(&f, 3600000000u);
	CHECK(!peer_pending(&f.peer)); /* no refresh from what was freed */
	gfix_close(&f);
	return 0;
}
