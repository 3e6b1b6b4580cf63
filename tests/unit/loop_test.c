/* loop_test.c - timers on a fake clock, fd readiness, signals, and the
 * rule that a handler never runs inside the call that armed it. */
#include <signal.h>
#include <unistd.h>

#include "test.h"

static uint64_t fake_now;

static uint64_t fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

struct rec {
	char order[32];
	size_t n;
};

static void note_a(void *arg)
{
	struct rec *r = arg;
	r->order[r->n++] = 'a';
}

static void note_b(void *arg)
{
	struct rec *r = arg;
	r->order[r->n++] = 'b';
}

static void note_c(void *arg)
{
	struct rec *r = arg;
	r->order[r->n++] = 'c';
}

TEST(loop_timers_fire_in_order_on_fake_clock)
{
	struct sip_loop *l;
	CHECK_INT(sip_loop_new(&l), 0);
	fake_now = 1000;
	sip_loop_set_clock(l, fake_clock, NULL);
	struct rec r = {0};
	struct sip_timer ta, tb, tc;
	sip_timer_init(&ta);
	sip_timer_init(&tb);
	sip_timer_init(&tc);
	CHECK_INT(sip_timer_start(l, &tb, 32000000, note_b, &r), 0); /* Timer B: 32 s */
	CHECK_INT(sip_timer_start(l, &ta, 500000, note_a, &r), 0);
	CHECK_INT(sip_timer_start(l, &tc, 500000, note_c, &r), 0);
	CHECK_INT(sip_loop_poll(l, 0), 0);
	fake_now += 500000;
	CHECK_INT(sip_loop_poll(l, 0), 2);
	CHECK(memcmp(r.order, "ac", 2) == 0); /* equal due: in the order armed */
	CHECK(sip_timer_armed(&tb));
	fake_now += 31500000;
	CHECK_INT(sip_loop_poll(l, 0), 1);
	CHECK_INT(r.n, 3);
	CHECK(!sip_timer_armed(&tb));
	sip_loop_free(l);
	return 0;
}

TEST(loop_timer_cancel_and_rearm)
{
	struct sip_loop *l;
	CHECK_INT(sip_loop_new(&l), 0);
	fake_now = 0;
	sip_loop_set_clock(l, fake_clock, NULL);
	struct rec r = {0};
	struct sip_timer t[50];
	for (int i = 0; i < 50; i++) {
		sip_timer_init(&t[i]);
		CHECK_INT(sip_timer_start(l, &t[i], (uint64_t)(50 - i) * 10, note_a, &r), 0);
	}
	for (int i = 0; i < 50; i += 2)
		sip_timer_cancel(l, &t[i]);
	sip_timer_cancel(l, &t[0]);                                /* twice is harmless */
	CHECK_INT(sip_timer_start(l, &t[1], 1000, note_b, &r), 0); /* re-arm moves it */
	fake_now = 500;
	CHECK_INT(sip_loop_poll(l, 0), 24);
	fake_now = 1000;
	CHECK_INT(sip_loop_poll(l, 0), 1);
	CHECK_INT(r.order[r.n - 1], 'b');
	sip_loop_free(l);
	return 0;
}

struct rearm {
	struct sip_loop *l;
	struct sip_timer t;
	int runs;
};

static void rearm_zero(void *arg)
{
	struct rearm *ra = arg;
	if (++ra->runs < 3)
		sip_timer_start(ra->l, &ra->t, 0, rearm_zero, ra);
}

TEST(loop_zero_delay_runs_next_turn)
{
	struct rearm ra = {0};
	CHECK_INT(sip_loop_new(&ra.l), 0);
	sip_timer_init(&ra.t);
	CHECK_INT(sip_timer_start(ra.l, &ra.t, 0, rearm_zero, &ra), 0);
	CHECK_INT(ra.runs, 0); /* not from inside the call that armed it */
	CHECK_INT(sip_loop_poll(ra.l, 0), 1);
	CHECK_INT(ra.runs, 1);
	CHECK_INT(sip_loop_run(ra.l), 0);
	CHECK_INT(ra.runs, 3);
	sip_loop_free(ra.l);
	return 0;
}

static void on_readable(int fd, unsigned ev, void *arg)
{
	char c;
	int *got = arg;
	if ((ev & SIP_EV_READ) && read(fd, &c, 1) == 1)
		*got = c;
}

TEST(loop_fd_readiness)
{
	struct sip_loop *l;
	int p[2];
	int got = 0;
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(pipe(p), 0);
	CHECK_INT(sip_loop_fd(l, p[0], SIP_EV_READ, on_readable, &got), 0);
	CHECK_INT(sip_loop_poll(l, 0), 0);
	CHECK_INT(write(p[1], "x", 1), 1);
	CHECK_INT(sip_loop_poll(l, 1000000), 1);
	CHECK_INT(got, 'x');
	CHECK_INT(sip_loop_fd(l, p[0], 0, NULL, NULL), 0);
	CHECK_INT(write(p[1], "y", 1), 1);
	CHECK_INT(sip_loop_poll(l, 0), 0);
	close(p[0]);
	close(p[1]);
	sip_loop_free(l);
	return 0;
}

static void on_sigusr1(void *arg)
{
	struct sip_loop **l = arg;
	sip_loop_stop(*l);
}

TEST(loop_signal_becomes_event)
{
	struct sip_loop *l;
	struct sip_timer never;
	CHECK_INT(sip_loop_new(&l), 0);
	CHECK_INT(sip_loop_signal(l, SIGUSR1, on_sigusr1, &l), 0);
	sip_timer_init(&never);
	/* A far timer keeps sip_loop_run waiting; the signal ends it. */
	CHECK_INT(sip_timer_start(l, &never, 60000000, note_a, NULL), 0);
	CHECK_INT(raise(SIGUSR1), 0);
	CHECK_INT(sip_loop_run(l), 0);
	CHECK(sip_timer_armed(&never));
	sip_loop_free(l);
	CHECK(!sip_timer_armed(&never));
	return 0;
}
