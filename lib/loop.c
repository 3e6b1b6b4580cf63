/* loop.c - the single-threaded poll() loop: file descriptors, timers on a
 * monotonic clock (a binary heap, so thousands of transactions in flight
 * cost log n per timer), and signals turned into loop events through a
 * self-pipe. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sip_int.h"

struct watch {
	int fd;
	unsigned events;
	sip_fd_h *h;
	void *arg;
};

#define MAX_SIGNALS 8

struct sig {
	int signo;
	sip_timer_h *h;
	void *arg;
	struct sigaction old;
};

struct sip_loop {
	struct watch *watches;
	size_t nwatch, capwatch;
	struct pollfd *pfds;
	size_t cappfd;
	struct sip_timer **heap;
	size_t nheap, capheap;
	uint64_t seq;
	uint64_t (*clock)(void *arg);
	void *clock_arg;
	bool stop;
	int sigpipe[2];
	struct sig sigs[MAX_SIGNALS];
	size_t nsigs;
};

/* The write end of the self-pipe, for the signal handler; one loop per
 * process may own signals. */
static volatile sig_atomic_t sig_fd = -1;

static uint64_t mono_now(void *arg)
{
	(void)arg;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int sip_loop_new(struct sip_loop **loopp)
{
	struct sip_loop *l = calloc(1, sizeof *l);
	if (!l)
		return SIP_ENOMEM;
	l->clock = mono_now;
	l->sigpipe[0] = l->sigpipe[1] = -1;
	*loopp = l;
	return 0;
}

void sip_loop_free(struct sip_loop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nsigs; i++)
		sigaction(l->sigs[i].signo, &l->sigs[i].old, NULL);
	if (l->sigpipe[0] >= 0) {
		sig_fd = -1;
		close(l->sigpipe[0]);
		close(l->sigpipe[1]);
	}
	for (size_t i = 0; i < l->nheap; i++)
		l->heap[i]->slot = 0;
	free(l->watches);
	free(l->pfds);
	free(l->heap);
	free(l);
}

uint64_t sip_loop_now(const struct sip_loop *l)
{
	return l->clock(l->clock_arg);
}

void sip_loop_set_clock(struct sip_loop *l, uint64_t (*now)(void *arg), void *arg)
{
	l->clock = now ? now : mono_now;
	l->clock_arg = arg;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap * 2 : 16;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * size);
	if (!q)
		return SIP_ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

int sip_loop_fd(struct sip_loop *l, int fd, unsigned events, sip_fd_h *h, void *arg)
{
	for (size_t i = 0; i < l->nwatch; i++) {
		if (l->watches[i].fd != fd)
			continue;
		if (events == 0) {
			l->watches[i] = l->watches[--l->nwatch];
			return 0;
		}
		l->watches[i] = (struct watch){fd, events, h, arg};
		return 0;
	}
	if (events == 0)
		return 0;
	int err = grow((void **)&l->watches, &l->capwatch, l->nwatch + 1, sizeof *l->watches);
	if (err)
		return err;
	l->watches[l->nwatch++] = (struct watch){fd, events, h, arg};
	return 0;
}

/* ---- timers: a min-heap ordered by (due, seq) ---- */

static bool before(const struct sip_timer *a, const struct sip_timer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_set(struct sip_loop *l, size_t i, struct sip_timer *t)
{
	l->heap[i] = t;
	t->slot = i + 1;
}

static void sift_up(struct sip_loop *l, size_t i)
{
	struct sip_timer *t = l->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!before(t, l->heap[parent]))
			break;
		heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	heap_set(l, i, t);
}

static void sift_down(struct sip_loop *l, size_t i)
{
	struct sip_timer *t = l->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && before(l->heap[c + 1], l->heap[c]))
			c++;
		if (!before(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

void sip_timer_init(struct sip_timer *t)
{
	memset(t, 0, sizeof *t);
}

bool sip_timer_armed(const struct sip_timer *t)
{
	return t->slot != 0;
}

void sip_timer_cancel(struct sip_loop *l, struct sip_timer *t)
{
	if (!t->slot)
		return;
	size_t i = t->slot - 1;
	t->slot = 0;
	struct sip_timer *last = l->heap[--l->nheap];
	if (i == l->nheap)
		return;
	heap_set(l, i, last);
	sift_up(l, i);
	sift_down(l, last->slot - 1);
}

int sip_timer_start(struct sip_loop *l, struct sip_timer *t, uint64_t delay_us, sip_timer_h *h,
                    void *arg)
{
	sip_timer_cancel(l, t);
	t->due = sip_loop_now(l) + delay_us;
	t->h = h;
	t->arg = arg;
	t->seq = ++l->seq;
	int err = grow((void **)&l->heap, &l->capheap, l->nheap + 1, sizeof *l->heap);
	if (err)
		return err;
	l->heap[l->nheap] = t;
	t->slot = ++l->nheap;
	sift_up(l, l->nheap - 1);
	return 0;
}

/* ---- signals ---- */

static void on_signal(int signo)
{
	int fd = sig_fd;
	unsigned char b = (unsigned char)signo;
	int saved = errno;
	if (fd >= 0 && write(fd, &b, 1) < 0) {
		/* The pipe is full: the signal is already pending in it. */
	}
	errno = saved;
}

static void on_sigpipe_readable(int fd, unsigned events, void *arg)
{
	struct sip_loop *l = arg;
	unsigned char buf[64];
	ssize_t n;
	(void)events;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++)
			for (size_t k = 0; k < l->nsigs; k++)
				if (l->sigs[k].signo == buf[i])
					l->sigs[k].h(l->sigs[k].arg);
}

int sip_loop_signal(struct sip_loop *l, int signo, sip_timer_h *h, void *arg)
{
	if (l->nsigs == MAX_SIGNALS || signo <= 0 || signo > 255)
		return SIP_EINVAL;
	if (l->sigpipe[0] < 0) {
		if (pipe2(l->sigpipe, O_CLOEXEC | O_NONBLOCK) < 0)
			return SIP_ESYS;
		int err = sip_loop_fd(l, l->sigpipe[0], SIP_EV_READ, on_sigpipe_readable, l);
		if (err)
			return err;
		sig_fd = l->sigpipe[1];
	}
	struct sig *s = &l->sigs[l->nsigs];
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(signo, &sa, &s->old) < 0)
		return SIP_ESYS;
	s->signo = signo;
	s->h = h;
	s->arg = arg;
	l->nsigs++;
	return 0;
}

/* ---- the turn ---- */

static int run_timers(struct sip_loop *l)
{
	int ran = 0;
	uint64_t now = sip_loop_now(l);
	/* Only timers due now: one armed by a handler with 0 delay waits for the next turn. */
	uint64_t limit = l->seq;
	while (l->nheap && l->heap[0]->due <= now && l->heap[0]->seq <= limit) {
		struct sip_timer *t = l->heap[0];
		sip_timer_cancel(l, t);
		t->h(t->arg);
		ran++;
	}
	return ran;
}

int sip_loop_poll(struct sip_loop *l, int64_t max_wait_us)
{
	int64_t wait = max_wait_us;
	if (l->nheap) {
		uint64_t now = sip_loop_now(l), due = l->heap[0]->due;
		int64_t until = due > now ? (int64_t)(due - now) : 0;
		if (wait < 0 || until < wait)
			wait = until;
	}
	if (grow((void **)&l->pfds, &l->cappfd, l->nwatch, sizeof *l->pfds))
		return SIP_ENOMEM;
	size_t n = l->nwatch;
	for (size_t i = 0; i < n; i++) {
		l->pfds[i].fd = l->watches[i].fd;
		l->pfds[i].events = (short)(((l->watches[i].events & SIP_EV_READ) ? POLLIN : 0) |
		                            ((l->watches[i].events & SIP_EV_WRITE) ? POLLOUT : 0));
		l->pfds[i].revents = 0;
	}
	/* Round up so that a timer due in 0.4 ms does not spin at timeout 0. */
	int ms = wait < 0 ? -1 : (int)((wait + 999) / 1000);
	if (wait > (int64_t)INT32_MAX * 1000)
		ms = INT32_MAX;
	int r = poll(l->pfds, (nfds_t)n, ms);
	if (r < 0 && errno != EINTR)
		return SIP_ESYS;
	int ran = 0;
	for (size_t i = 0; r > 0 && i < n; i++) {
		short rev = l->pfds[i].revents;
		if (!rev)
			continue;
		unsigned ev = ((rev & POLLIN) ? SIP_EV_READ : 0) |
		              ((rev & POLLOUT) ? SIP_EV_WRITE : 0) |
		              ((rev & (POLLERR | POLLHUP | POLLNVAL)) ? SIP_EV_ERROR : 0);
		/* A handler may have removed or replaced this fd's watch. */
		for (size_t k = 0; k < l->nwatch; k++) {
			if (l->watches[k].fd == l->pfds[i].fd) {
				struct watch w = l->watches[k];
				w.h(w.fd, ev, w.arg);
				ran++;
				break;
			}
		}
	}
	return ran + run_timers(l);
}

int sip_loop_run(struct sip_loop *l)
{
	l->stop = false;
	while (!l->stop) {
		bool only_signals = l->nwatch == (l->sigpipe[0] >= 0 ? 1u : 0u);
		if (l->nheap == 0 && only_signals)
			break;
		int r = sip_loop_poll(l, -1);
		if (r < 0)
			return r;
	}
	return 0;
}

void sip_loop_stop(struct sip_loop *l)
{
	l->stop = true;
}
