/* run.c - the runner of a command, by itself or in the shell; see run.h. */
#include <signal.h>
#include <string.h>

#include "run.h"

/* timeout(1) signals sip and then its process group: SIGTERM again this
 * soon is that one request. */
#define SAME_SIGNAL_US 200000u

static void force(struct cmd_run *r, int signo)
{
	r->forced = 128 + signo;
	sip_loop_stop(r->loop);
}

static void on_grace_over(void *arg)
{
	struct cmd_run *r = arg;
	force(r, r->signo);
}

const struct cmd_host *cmd_host;

/* Process-wide: a run that is over may have left its handlers on the loop. */
static bool signalled;
static struct sip_loop *lingering;

void cmd_run_signal(struct cmd_run *r, int signo)
{
	signalled = true;
	if (lingering) {
		sip_loop_stop(lingering);
		return;
	}
	uint64_t now = sip_loop_now(r->loop);
	if (signo == SIGTERM && r->signo == signo && now - r->at < SAME_SIGNAL_US)
		return;
	if (r->signo) {
		force(r, signo);
		return;
	}
	r->signo = signo;
	r->at = now;
	if (signo == SIGTERM)
		sip_timer_start(r->loop, &r->grace, CMD_RUN_GRACE_US, on_grace_over, r);
	if (r->graceful)
		r->graceful(r->arg);
	else
		cmd_run_stop(r);
}

static void on_sigint(void *arg)
{
	cmd_run_signal(arg, SIGINT);
}

static void on_sigterm(void *arg)
{
	cmd_run_signal(arg, SIGTERM);
}

int cmd_run(struct cmd_run *r, struct sip_loop *loop, void (*graceful)(void *arg), void *arg)
{
	memset(r, 0, sizeof *r);
	r->loop = loop;
	r->graceful = graceful;
	r->arg = arg;
	sip_timer_init(&r->grace);
	if (cmd_host) {
		int err = cmd_host->run(r);
		if (!r->job)
			sip_timer_cancel(loop, &r->grace);
		return err;
	}
	int err = sip_loop_signal(loop, SIGINT, on_sigint, r);
	if (!err)
		err = sip_loop_signal(loop, SIGTERM, on_sigterm, r);
	if (!err)
		err = sip_loop_run(loop);
	sip_timer_cancel(loop, &r->grace);
	return err;
}

static void on_linger_over(void *arg)
{
	sip_loop_stop(arg);
}

void cmd_run_linger(struct sip_loop *loop, uint64_t until)
{
	uint64_t now = sip_loop_now(loop);
	if (cmd_host || signalled || until <= now)
		return;
	struct sip_timer over;
	sip_timer_init(&over);
	if (sip_timer_start(loop, &over, until - now, on_linger_over, loop) != 0)
		return; /* nothing would end the wait */
	lingering = loop;
	sip_loop_run(loop);
	lingering = NULL;
	sip_timer_cancel(loop, &over);
}

bool cmd_run_interrupted(const struct cmd_run *r)
{
	return r->signo != 0;
}

int cmd_run_exit(const struct cmd_run *r, int rc)
{
	return r->forced ? r->forced : rc;
}

void cmd_run_stop(struct cmd_run *r)
{
	if (r->job)
		cmd_host->over(r);
	else
		sip_loop_stop(r->loop);
}

unsigned cmd_run_detach(struct cmd_run *r, const struct cmd_job_ops *ops, void *arg)
{
	if (!cmd_host || r->job || r->signo)
		return 0;
	r->job = ops;
	r->job_arg = arg;
	unsigned n = cmd_host->detached(r);
	if (!n)
		r->job = NULL;
	return n;
}

bool cmd_run_detached(const struct cmd_run *r)
{
	return r->job != NULL;
}

void cmd_run_end(struct cmd_run *r)
{
	if (r->ending)
		return;
	r->ending = true;
	if (r->graceful)
		r->graceful(r->arg);
	else
		cmd_run_stop(r);
}
