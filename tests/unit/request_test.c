/* request_test.c - sip_req on a user agent whose loop runs on a fake clock,
 * against a raw UDP peer on loopback: any method, fail-over along the
 * targets, digest challenges answered when the caller gets round to it, the
 * deadline, cancellation and CANCEL, a dry run; and that no handler runs
 * inside the call that armed it. */
#include <stdlib.h>
#include <unistd.h>

#include "peer.h"
#include "test.h"

struct rfix {
	struct sip_ua *ua;
	struct peer peer;
	struct sip_target target;
	struct sip_uri uri;
	struct sip_req *req;
	bool in_api; /* inside a call of ours into the library */
	bool reentered;
	int done, err, provisional, auths, failovers, held, cancelled, cancel_status;
	enum sip_tp failover_to;
	char why[200]; /* sip_req_why at the last failover */
	unsigned status;
	enum sip_req_auth_state auth_state;
	const char *user; /* the auth handler answers at once with these, when set */
	const char *password;
	struct peer_last in; /* the last message the peer took */
};

static int rfix_open(struct rfix *f)
{
	memset(f, 0, sizeof *f);
	if (peer_stack(&f->ua, &f->peer, &f->target) != 0)
		return -1;
	return sip_uri_parse(&f->uri, SIP_STR("sip:bob@127.0.0.1"));
}

static void rfix_close(struct rfix *f)
{
	sip_req_free(f->req);
	sip_ua_free(f->ua);
	peer_close(&f->peer);
}

static void on_done(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct rfix *f = arg;
	f->reentered |= f->in_api;
	f->done++;
	f->err = err;
	f->status = resp ? resp->status : 0;
	f->auth_state = sip_req_auth_state(r);
}

static void on_provisional(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct rfix *f = arg;
	(void)r;
	(void)err;
	(void)resp;
	f->provisional++;
}

static void on_auth(struct sip_req *r, const struct sip_challenge *ch, void *arg)
{
	struct rfix *f = arg;
	(void)ch;
	f->reentered |= f->in_api;
	f->auths++;
	if (f->user || f->password)
		sip_req_authenticate(r, f->user, f->password);
}

static void on_failover(struct sip_req *r, int err, const struct sip_target *from,
                        const struct sip_target *next, void *arg)
{
	struct rfix *f = arg;
	(void)from;
	(void)err;
	if (!next) { /* stopped: the targets left would downgrade TLS */
		f->held++;
		return;
	}
	f->failovers++;
	f->failover_to = next->tp;
	snprintf(f->why, sizeof f->why, "%s", sip_req_why(r));
}

static void on_cancelled(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct rfix *f = arg;
	(void)r;
	f->cancelled++;
	f->cancel_status = err ? err : (int)resp->status;
}

static struct sip_req_spec spec_for(struct rfix *f, const char *method)
{
	struct sip_req_spec s = {
		.method = method,
		.uri = &f->uri,
		.targets = &f->target,
		.ntargets = 1,
		.transport = -1,
		.from = "<sip:alice@127.0.0.1>",
		.max_forwards = -1,
		.provisional = on_provisional,
		.done = on_done,
		.auth = on_auth,
		.failover = on_failover,
		.cancelled = on_cancelled,
		.arg = f,
	};
	return s;
}

static int start(struct rfix *f, const struct sip_req_spec *s)
{
	f->in_api = true;
	int err = sip_req_start(&f->req, f->ua, s);
	f->in_api = false;
	return err;
}

/* Turns the loop, then reads what reached the peer. */
static size_t peer_read(struct rfix *f)
{
	return peer_take(f->ua, &f->peer, &f->in);
}

static int reply(struct rfix *f, unsigned status, const char *hdr)
{
	return peer_reply(f->ua, &f->peer, &f->in, status, hdr);
}

static void advance_by(struct rfix *f, uint64_t us)
{
	fake_now += us;
	peer_spin(sip_ua_loop(f->ua));
}

static bool has(const struct rfix *f, const char *text)
{
	return strstr(f->in.buf, text) != NULL;
}

TEST(request_options_answered)
{
	struct rfix f;
	CHECK(rfix_open(&f) == 0);
	struct sip_req_spec s = spec_for(&f, "OPTIONS");
	CHECK(start(&f, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"));
	CHECK(has(&f, "CSeq: 1 OPTIONS\r\n"));
	CHECK(has(&f, "From: <sip:alice@127.0.0.1>;tag="));
	CHECK(sip_req_sent_at(f.req) == 1000000);
	CHECK(reply(&f, 200, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.err, 0);
	CHECK_INT(f.status, 200);
	CHECK(!f.reentered);
	rfix_close(&f);
	return 0;
}

/* Changes the character after what in the request the peer took: its
 * answer then carries a value the request did not. */
static bool alter_after(struct rfix *f, const char *what)
{
	char *at = strstr(f->in.buf, what);
	if (!at)
		return false;
	at += strlen(what);
	/* A number stays one: a CSeq that does not parse would match no transaction. */
	if (*at >= '0' && *at <= '9')
		*at = *at == '9' ? '8' : '9';
	else
		*at = *at == 'x' ? 'y' : 'x';
	return true;
}

/* A response of the transaction (its Via branch) that is not the
 * request's (RFC 3261 section 8.2.6.2) ends it with SIP_EIDENTITY, and
 * sip_req_why says what differs. */
TEST(request_response_of_another_identity_ends_it)
{
	static const struct {
		const char *at, *what;
	} cases[] = {
		{"\r\nCall-ID: ", "Call-ID '"},
		{"\r\nFrom: <sip:alice@127.0.0.1>;tag=", "From tag '"},
		{"\r\nCSeq: ", "CSeq '"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rfix f;
		CHECK(rfix_open(&f) == 0);
		struct sip_req_spec s = spec_for(&f, "OPTIONS");
		CHECK(start(&f, &s) == 0);
		CHECK(peer_read(&f) > 0);
		CHECK(alter_after(&f, cases[i].at));
		CHECK(reply(&f, 200, NULL) == 0);
		CHECK_INT(f.done, 1);
		CHECK_INT(f.err, SIP_EIDENTITY);
		CHECK(strstr(sip_req_why(f.req), "200 OK from 127.0.0.1:") != NULL);
		CHECK(strstr(sip_req_why(f.req), cases[i].what) != NULL);
		CHECK(strstr(sip_req_why(f.req), "is not the request's") != NULL);
		rfix_close(&f);
	}
	return 0;
}

TEST(request_extension_method_goes_as_named)
{
	struct rfix f;
	CHECK(rfix_open(&f) == 0);
	struct sip_req_spec s = spec_for(&f, "FOO");
	s.call_id = "fixed-call-id";
	s.cseq = 7;
	CHECK(start(&f, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "FOO sip:bob@127.0.0.1 SIP/2.0\r\n"));
	CHECK(has(&f, "CSeq: 7 FOO\r\n"));
	CHECK(has(&f, "Call-ID: fixed-call-id\r\n"));
	CHECK(reply(&f, 501, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.status, 501);
	rfix_close(&f);
	return 0;
}

TEST(request_refuses_a_method_that_is_no_token)
{
	struct rfix f;
	CHECK(rfix_open(&f) == 0);
	struct sip_req_spec s = spec_for(&f, "BAD METHOD");
	CHECK_INT(start(&f, &s), SIP_EINVAL);
	CHECK(f.req == NULL);
	rfix_close(&f);
	return 0;
}

TEST(request_fails_over_to_the_next_target)
{
	struct rfix f;
	struct peer dead;
	CHECK(rfix_open(&f) == 0);
	/* A port nobody listens on: ICMP port unreachable. */
	CHECK(peer_open(&dead) == 0);
	struct sip_target targets[2] = {{.tp = SIP_TP_UDP, .addr = dead.addr}, f.target};
	peer_close(&dead);
	struct sip_req_spec s = spec_for(&f, "OPTIONS");
	s.targets = targets;
	s.ntargets = 2;
	CHECK(start(&f, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK_INT(f.failovers, 1);
	CHECK(sip_sockaddr_eq(&sip_req_target(f.req)->addr, &f.peer.addr));
	CHECK(reply(&f, 200, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.status, 200);
	rfix_close(&f);
	return 0;
}

/* A "TLS server" on 127.0.0.1 that answers whatever comes with plain text:
 * every handshake with it fails (SIP_ETLS). */
struct garbler {
	int lfd, cfd;
	struct sip_sockaddr addr;
};

static int garbler_open(struct garbler *g)
{
	g->cfd = -1;
	sip_sockaddr_set(&g->addr, SIP_STR("127.0.0.1"), 0);
	socklen_t len = sizeof g->addr.u;
	g->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (g->lfd < 0 || bind(g->lfd, &g->addr.u.sa, g->addr.len) != 0 || listen(g->lfd, 4) != 0 ||
	    getsockname(g->lfd, &g->addr.u.sa, &len) != 0)
		return -1;
	return 0;
}

/* Turns the loop (real time: the TLS context is made on a thread) until the
 * request ends or reaches the UDP peer; the garbler answers its connection. */
static void garbler_spin(struct garbler *g, struct rfix *f)
{
	for (int i = 0; i < 300 && !f->done && !peer_pending(&f->peer); i++) {
		sip_loop_poll(sip_ua_loop(f->ua), 10000);
		if (g->cfd < 0 && (g->cfd = accept4(g->lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0 &&
		    write(g->cfd, "SIP/2.0 200 OK\r\n\r\n", 19) != 19)
			break;
	}
}

static void garbler_close(struct garbler *g)
{
	if (g->cfd >= 0)
		close(g->cfd);
	if (g->lfd >= 0)
		close(g->lfd);
}

/* A TLS failure does not go on over UDP or TCP: to the next TLS target, or
 * it is the request's end. */
TEST(request_tls_failure_does_not_downgrade)
{
	struct rfix f;
	struct garbler g1, g2;
	CHECK(rfix_open(&f) == 0);
	CHECK(garbler_open(&g1) == 0);
	CHECK(garbler_open(&g2) == 0);
	struct sip_target targets[3] = {
		{.tp = SIP_TP_TLS, .addr = g1.addr}, f.target, {.tp = SIP_TP_TLS, .addr = g2.addr}};
	struct sip_req_spec s = spec_for(&f, "OPTIONS");
	s.targets = targets;
	s.ntargets = 2;
	CHECK(start(&f, &s) == 0);
	garbler_spin(&g1, &f);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.err, SIP_ETLS);
	CHECK_INT(f.failovers, 0);
	CHECK_INT(f.held, 1); /* told why the UDP target is not tried */
	CHECK(!peer_pending(&f.peer));
	sip_req_free(f.req);
	f.req = NULL;
	f.done = 0;
	garbler_close(&g1);

	/* A TLS connection refused (g1's port is closed now) is no different:
	 * a reset is as easy to forge as a certificate. */
	CHECK(start(&f, &s) == 0);
	for (int i = 0; i < 200 && !f.done; i++)
		sip_loop_poll(sip_ua_loop(f.ua), 10000);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.err, SIP_EREFUSED);
	CHECK_INT(f.failovers, 0);
	CHECK_INT(f.held, 2);
	CHECK(!peer_pending(&f.peer));
	sip_req_free(f.req);
	f.req = NULL;
	f.done = 0;

	/* Past the UDP target to the TLS one after it. */
	CHECK(garbler_open(&g1) == 0);
	targets[0].addr = g1.addr;
	s.ntargets = 3;
	CHECK(start(&f, &s) == 0);
	garbler_spin(&g1, &f);
	CHECK_INT(f.failovers, 1);
	CHECK_INT(f.failover_to, SIP_TP_TLS);
	CHECK(f.why[0] != '\0'); /* what the handshake said */
	garbler_spin(&g2, &f);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.err, SIP_ETLS);
	CHECK(!peer_pending(&f.peer));
	garbler_close(&g1);
	garbler_close(&g2);
	rfix_close(&f);
	return 0;
}

/* With --insecure, TLS verified nothing: failing over to UDP loses nothing. */
TEST(request_tls_failure_insecure_goes_on_over_udp)
{
	struct rfix f;
	struct garbler g;
	struct sip_ua_opts o;
	memset(&f, 0, sizeof f);
	memset(&o, 0, sizeof o);
	o.ctx.tp.family = AF_INET;
	o.ctx.tp.local_host = "127.0.0.1";
	o.ctx.tp.insecure = true;
	o.dns_server = "127.0.0.1:9";
	CHECK(sip_ua_new(&f.ua, &o) == 0);
	CHECK(peer_open(&f.peer) == 0);
	CHECK(sip_uri_parse(&f.uri, SIP_STR("sip:bob@127.0.0.1")) == 0);
	f.target = (struct sip_target){.tp = SIP_TP_UDP, .addr = f.peer.addr};
	CHECK(garbler_open(&g) == 0);
	struct sip_target targets[2] = {{.tp = SIP_TP_TLS, .addr = g.addr}, f.target};
	struct sip_req_spec s = spec_for(&f, "OPTIONS");
	s.targets = targets;
	s.ntargets = 2;
	CHECK(start(&f, &s) == 0);
	garbler_spin(&g, &f);
	CHECK_INT(f.failovers, 1);
	CHECK_INT(f.failover_to, SIP_TP_UDP);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 200, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.status, 200);
	garbler_close(&g);
	rfix_close(&f);
	return 0;
}

#define CHALLENGE "WWW-Authenticate: Digest realm=\"test\", nonce=\"abc\", qop=\"auth\""

TEST(request_digest_answered_later)
{
	struct rfix f;
	CHECK(rfix_open(&f) == 0);
	struct sip_req_spec s = spec_for(&f, "OPTIONS");
	CHECK(start(&f, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 401, CHALLENGE) == 0);
	CHECK_INT(f.auths, 1);
	CHECK_INT(f.done, 0);
	/* The caller asks someone; nothing goes meanwhile. */
	fake_now += 3000000;
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	f.in_api = true;
	CHECK(sip_req_authenticate(f.req, "alice", "secret") == 0);
	f.in_api = false;
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "Authorization: Digest username=\"alice\", realm=\"test\", nonce=\"abc\""));
	CHECK(has(&f, "CSeq: 2 OPTIONS\r\n"));
	CHECK(!has(&f, "secret"));
	CHECK_INT(sip_req_cseq(f.req), 2);
	CHECK_STR(sip_str_from(sip_req_auth_user(f.req)), "alice");
	CHECK(reply(&f, 200, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.status, 200);
	CHECK_INT(f.auth_state, SIP_REQ_AUTH_NONE);
	CHECK(!f.reentered);
	rfix_close(&f);
	return 0;
}

TEST(request_digest_refused_ends_with_the_challenge)
{
	struct rfix f;
	CHECK(rfix_open(&f) == 0);
	struct sip_req_spec s = spec_for(&f, "REGISTER");
	f.password = ""; /* the handler answers at once, with no user: refused */
	CHECK(start(&f, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 401, CHALLENGE) == 0);
	CHECK_INT(f.auths, 1);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.status, 401);
	CHECK_INT(f.auth_state, SIP_REQ_AUTH_NO_USER);
	CHECK_STR(sip_str_from(sip_req_auth_realm(f.req)), "test");
	CHECK(!f.reentered);
	rfix_close(&f);
	return 0;
}

TEST(request_digest_challenged_again_is_rejected)
{
	struct rfix f;
	CHECK(rfix_open(&f) == 0);
	struct sip_req_spec s = spec_for(&f, "REGISTER");
	f.user = "alice";
	f.password = "wrong";
	CHECK(start(&f, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 401, CHALLENGE) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "Authorization: Digest "));
	CHECK(reply(&f, 401, CHALLENGE) == 0);
	CHECK_INT(f.auths, 1);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.status, 401);
	CHECK_INT(f.auth_state, SIP_REQ_AUTH_REJECTED);
	rfix_close(&f);
	return 0;
}

TEST(request_stale_nonce_is_answered_without_asking)
{
	struct rfix f;
	CHECK(rfix_open(&f) == 0);
	struct sip_req_spec s = spec_for(&f, "REGISTER");
	f.user = "alice";
	f.password = "secret";
	CHECK(start(&f, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 401, CHALLENGE) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 401,
	            "WWW-Authenticate: Digest realm=\"test\", nonce=\"new\", qop=\"auth\", stale=true") ==
	      0);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "nonce=\"new\""));
	CHECK(has(&f, "CSeq: 3 REGISTER\r\n"));
	CHECK(reply(&f, 200, NULL) == 0);
	CHECK_INT(f.auths, 1);
	CHECK_INT(f.status, 200);
	rfix_close(&f);
	return 0;
}

TEST(request_deadline_caps_the_wait)
{
	struct rfix f;
	CHECK(rfix_open(&f) == 0);
	struct sip_req_spec s = spec_for(&f, "OPTIONS");
	s.timeout_us = 2000000;
	CHECK(start(&f, &s) == 0);
	CHECK(peer_read(&f) > 0);
	fake_now += 1900000;
	peer_spin(sip_ua_loop(f.ua));
	CHECK_INT(f.done, 0);
	fake_now += 100000;
	peer_spin(sip_ua_loop(f.ua));
	CHECK_INT(f.done, 1);
	CHECK_INT(f.err, SIP_ETIMEDOUT);
	rfix_close(&f);
	return 0;
}

TEST(request_cancelled_ends_from_the_loop)
{
	struct rfix f;
	CHECK(rfix_open(&f) == 0);
	struct sip_req_spec s = spec_for(&f, "MESSAGE");
	CHECK(start(&f, &s) == 0);
	CHECK(peer_read(&f) > 0);
	f.in_api = true;
	CHECK(sip_req_cancel(f.req) == 0);
	f.in_api = false;
	CHECK_INT(f.done, 0);
	peer_spin(sip_ua_loop(f.ua));
	CHECK_INT(f.done, 1);
	CHECK_INT(f.err, SIP_ECANCELED);
	/* An answer after that reaches no one. */
	CHECK(reply(&f, 200, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK(!f.reentered);
	CHECK_INT(sip_req_cancel(f.req), SIP_EINVAL);
	rfix_close(&f);
	return 0;
}

TEST(request_invite_cancel_waits_for_a_provisional)
{
	struct rfix f;
	char invite[4096];
	size_t invite_len;
	CHECK(rfix_open(&f) == 0);
	struct sip_req_spec s = spec_for(&f, "INVITE");
	CHECK(start(&f, &s) == 0);
	CHECK((invite_len = peer_read(&f)) > 0);
	memcpy(invite, f.in.buf, invite_len + 1);
	CHECK(sip_req_cancel(f.req) == 0);
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer)); /* §9.1: no CANCEL before a provisional response */
	CHECK(reply(&f, 180, NULL) == 0);
	CHECK_INT(f.provisional, 1);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "CANCEL sip:bob@127.0.0.1 SIP/2.0\r\n"));
	CHECK(has(&f, "CSeq: 1 CANCEL\r\n"));
	CHECK(reply(&f, 200, NULL) == 0);
	CHECK_INT(f.cancelled, 1);
	CHECK_INT(f.cancel_status, 200);
	memcpy(f.in.buf, invite, invite_len + 1);
	f.in.len = invite_len;
	CHECK(reply(&f, 487, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.status, 487);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "ACK sip:bob@127.0.0.1 SIP/2.0\r\n"));
	rfix_close(&f);
	return 0;
}

TEST(request_invite_given_up_64_t1_after_its_cancel)
{
	struct rfix f;
	CHECK(rfix_open(&f) == 0);
	struct sip_req_spec s = spec_for(&f, "INVITE");
	s.timeout_us = 1000000; /* the INVITE rings: the deadline no longer counts */
	CHECK(start(&f, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 180, NULL) == 0);
	fake_now += 5000000;
	peer_spin(sip_ua_loop(f.ua));
	CHECK_INT(f.done, 0);
	CHECK(sip_req_cancel(f.req) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "CANCEL "));
	CHECK(reply(&f, 200, NULL) == 0);
	fake_now += 64 * (uint64_t)SIP_T1_DEFAULT - 1;
	peer_spin(sip_ua_loop(f.ua));
	CHECK_INT(f.done, 0);
	fake_now += 1;
	peer_spin(sip_ua_loop(f.ua));
	CHECK_INT(f.done, 1);
	CHECK_INT(f.err, SIP_ETIMEDOUT);
	rfix_close(&f);
	return 0;
}

TEST(request_dry_run_builds_and_sends_nothing)
{
	struct rfix f;
	CHECK(rfix_open(&f) == 0);
	struct sip_req_spec s = spec_for(&f, "OPTIONS");
	s.dry_run = true;
	CHECK(start(&f, &s) == 0);
	CHECK_INT(f.done, 0);
	peer_spin(sip_ua_loop(f.ua));
	CHECK_INT(f.done, 1);
	CHECK_INT(f.err, 0);
	CHECK_INT(f.status, 0);
	const struct sip_msg *m = sip_req_message(f.req);
	CHECK(m != NULL);
	CHECK_STR(m->method_name, "OPTIONS");
	CHECK(!peer_pending(&f.peer));
	rfix_close(&f);
	return 0;
}

static void free_in_done(struct sip_req *r, int err, const struct sip_msg *resp, void *arg)
{
	struct rfix *f = arg;
	sip_req_free(r);
	f->req = NULL;
	f->done++;
	f->err = err;
	/* The response lives until the handler returns, whatever it freed. */
	f->status = resp ? resp->status : 0;
}

TEST(request_freed_in_its_handler_with_the_challenge_refused)
{
	struct rfix f;
	CHECK(rfix_open(&f) == 0);
	struct sip_req_spec s = spec_for(&f, "INVITE");
	s.done = free_in_done;
	f.password = ""; /* refused at once */
	CHECK(start(&f, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 407,
	            "Proxy-Authenticate: Digest realm=\"test\", nonce=\"abc\", qop=\"auth\"") == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.status, 407);
	CHECK(f.req == NULL);
	rfix_close(&f);
	return 0;
}

struct asked {
	int n;
	char realm[32];
};

static void on_ua_auth(struct sip_ua *ua, const struct sip_challenge *ch, void *arg)
{
	struct asked *a = arg;
	(void)ua;
	a->n++;
	snprintf(a->realm, sizeof a->realm, "%.*s", SIP_STR_FMT(ch->realm));
}

/* Two requests challenged for one realm wait for the credentials the stack
 * asked for once; one freed meanwhile is forgotten. */
TEST(request_stack_credentials_given_later_answer_all_waiting)
{
	struct rfix f;
	struct asked asked = {0};
	struct sip_req *other = NULL, *gone = NULL;
	char first[4096];
	size_t first_len;
	CHECK(rfix_open(&f) == 0);
	sip_ua_auth_handler(f.ua, on_ua_auth, &asked);
	struct sip_req_spec s = spec_for(&f, "OPTIONS");
	s.auth = NULL;
	CHECK(start(&f, &s) == 0);
	CHECK((first_len = peer_read(&f)) > 0);
	memcpy(first, f.in.buf, first_len + 1);
	CHECK(sip_req_start(&other, f.ua, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 401, CHALLENGE) == 0);
	CHECK(sip_req_start(&gone, f.ua, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 401, CHALLENGE) == 0);
	memcpy(f.in.buf, first, first_len + 1);
	f.in.len = first_len;
	CHECK(reply(&f, 401, CHALLENGE) == 0);
	CHECK_INT(asked.n, 1);
	CHECK_STR(sip_str_from(asked.realm), "test");
	sip_req_free(gone);
	CHECK(sip_ua_credentials(f.ua, NULL, "alice", "secret") == 0);
	peer_spin(sip_ua_loop(f.ua));
	int authorized = 0;
	for (int i = 0; i < 2 && peer_recv(&f.peer, f.in.buf, sizeof f.in.buf, &f.in.from) > 0; i++)
		authorized += strstr(f.in.buf, "Authorization: Digest username=\"alice\"") != NULL;
	CHECK_INT(authorized, 2);
	CHECK(!peer_pending(&f.peer));
	/* A later challenge is answered at once, without asking. */
	struct sip_req *later = NULL;
	CHECK(sip_req_start(&later, f.ua, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 401, CHALLENGE) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "Authorization: Digest username=\"alice\""));
	CHECK_INT(asked.n, 1);
	sip_req_free(later);
	sip_req_free(other);
	rfix_close(&f);
	return 0;
}

TEST(request_stack_credentials_refused_end_the_waiting)
{
	struct rfix f;
	struct asked asked = {0};
	CHECK(rfix_open(&f) == 0);
	sip_ua_auth_handler(f.ua, on_ua_auth, &asked);
	struct sip_req_spec s = spec_for(&f, "OPTIONS");
	s.auth = NULL;
	CHECK(start(&f, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 401, CHALLENGE) == 0);
	CHECK_INT(asked.n, 1);
	CHECK_INT(f.done, 0);
	CHECK(sip_ua_credentials(f.ua, NULL, NULL, NULL) == 0);
	CHECK_INT(f.done, 0); /* from the loop, not inside */
	peer_spin(sip_ua_loop(f.ua));
	CHECK_INT(f.done, 1);
	CHECK_INT(f.status, 401);
	CHECK_INT(f.auth_state, SIP_REQ_AUTH_NO_USER);
	rfix_close(&f);
	return 0;
}

/* 100, then a challenge: the retried INVITE is a new transaction, and its
 * CANCEL waits for a provisional response of its own (§9.1). */
TEST(request_invite_cancel_waits_for_the_retrys_provisional)
{
	struct rfix f;
	CHECK(rfix_open(&f) == 0);
	struct sip_req_spec s = spec_for(&f, "INVITE");
	f.user = "alice";
	f.password = "secret";
	CHECK(start(&f, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 100, NULL) == 0);
	CHECK(reply(&f, 407, "Proxy-Authenticate: Digest realm=\"test\", nonce=\"abc\"") == 0);
	CHECK(peer_read(&f) > 0); /* the ACK of the 407 */
	CHECK(has(&f, "ACK "));
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "Proxy-Authorization: Digest "));
	CHECK(sip_req_cancel(f.req) == 0);
	peer_spin(sip_ua_loop(f.ua));
	CHECK(!peer_pending(&f.peer));
	CHECK(reply(&f, 180, NULL) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "CANCEL "));
	CHECK(has(&f, "CSeq: 2 CANCEL\r\n"));
	rfix_close(&f);
	return 0;
}

/* A 100 stops an INVITE's deadline while it rings; a challenge after it
 * starts what is left of the deadline again, the prompt or not. */
TEST(request_invite_deadline_back_after_a_challenge)
{
	struct rfix f;
	CHECK(rfix_open(&f) == 0);
	struct sip_req_spec s = spec_for(&f, "INVITE");
	s.timeout_us = 2000000;
	CHECK(start(&f, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(reply(&f, 100, NULL) == 0);
	advance_by(&f, 1500000);
	CHECK_INT(f.done, 0);
	CHECK(reply(&f, 401, CHALLENGE) == 0);
	CHECK_INT(f.auths, 1); /* nobody answers it */
	advance_by(&f, 400000);
	CHECK_INT(f.done, 0);
	advance_by(&f, 100000);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.err, SIP_ETIMEDOUT);
	rfix_close(&f);
	return 0;
}

static int build_own(struct sip_buf *b, const struct sip_target *t,
                     const struct sip_sockaddr *local, uint32_t cseq, void *arg)
{
	struct rfix *f = arg;
	char host[64];
	(void)t;
	f->provisional++; /* counts the builds: each needs a branch of its own */
	if (sip_sockaddr_host(local, host, sizeof host) < 0)
		return SIP_ENOSPC;
	return sip_buf_printf(b,
	                      "FOO sip:bob@127.0.0.1 SIP/2.0\r\n"
	                      "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bKown%d\r\n"
	                      "From: <sip:alice@127.0.0.1>;tag=1\r\nTo: <sip:bob@127.0.0.1>\r\n"
	                      "Call-ID: own\r\nCSeq: %u FOO\r\nContent-Length: 2\r\n\r\nhi",
	                      host, sip_sockaddr_port(local), f->provisional, cseq);
}

TEST(request_built_by_the_caller_gets_only_the_answer_added)
{
	struct rfix f;
	CHECK(rfix_open(&f) == 0);
	struct sip_req_spec s = spec_for(&f, "FOO");
	s.build = build_own;
	s.provisional = NULL;
	CHECK(start(&f, &s) == 0);
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "branch=z9hG4bKown1\r\n"));
	CHECK(has(&f, "CSeq: 1 FOO\r\nContent-Length: 2\r\n\r\nhi"));
	CHECK(!has(&f, "Max-Forwards"));
	CHECK(reply(&f, 401, CHALLENGE) == 0);
	CHECK_INT(f.auths, 1);
	f.in_api = true;
	CHECK(sip_req_authenticate(f.req, "alice", "secret") == 0);
	f.in_api = false;
	CHECK(peer_read(&f) > 0);
	CHECK(has(&f, "branch=z9hG4bKown2\r\n"));
	CHECK(has(&f,
	          "CSeq: 2 FOO\r\nContent-Length: 2\r\nAuthorization: Digest username=\"alice\""));
	CHECK(has(&f, "\r\n\r\nhi"));
	CHECK(reply(&f, 200, NULL) == 0);
	CHECK_INT(f.done, 1);
	CHECK_INT(f.status, 200);
	CHECK(!f.reentered);
	rfix_close(&f);
	return 0;
}

static int build_no_blank_line(struct sip_buf *b, const struct sip_target *t,
                               const struct sip_sockaddr *local, uint32_t cseq, void *arg)
{
	(void)t;
	(void)local;
	(void)cseq;
	(void)arg;
	return sip_buf_puts(
		b, "FOO sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n");
}

TEST(request_built_by_the_caller_without_its_blank_line_is_refused)
{
	struct rfix f;
	CHECK(rfix_open(&f) == 0);
	struct sip_req_spec s = spec_for(&f, "FOO");
	s.build = build_no_blank_line;
	CHECK_INT(start(&f, &s), SIP_ESYNTAX);
	CHECK(f.req == NULL);
	rfix_close(&f);
	return 0;
}
