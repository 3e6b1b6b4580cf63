/* run.h - the one-shot runner: turns a command's loop until its operations
 * are done, and owns SIGINT and SIGTERM. The first signal asks the command
 * to end gracefully (CANCEL, BYE, unregister); a second one stops the loop
 * at once, and so does the end of SIGTERM's grace, whatever the far end
 * does; the command then exits 128 + the signal (130 for Ctrl-C). */
#ifndef RUN_H
#define RUN_H

#include "cmd.h"

/* How long SIGTERM waits for a graceful end. */
#define CMD_RUN_GRACE_US 3000000u

struct cmd_run {
	struct sip_loop *loop;
	void (*graceful)(void *arg);
	void *arg;
	int signo;   /* the first signal, 0 before one */
	uint64_t at; /* when it came */
	int forced;  /* 128 + signal when stopped at once, else 0 */
	struct sip_timer grace;
};

/* Turns loop until it is stopped; graceful (may be NULL: stop at once) is
 * called on the first signal. Returns what sip_loop_run does. r may be
 * asked from the command's handlers while the loop turns. */
int cmd_run(struct cmd_run *r, struct sip_loop *loop, void (*graceful)(void *arg), void *arg);

/* What a signal ended before its final response is its own verdict, in
 * every command and output format: CMD_INTERRUPTED, exit EXIT_TIMEOUT, or
 * 128 + the signal when it was stopped at once. */
#define CMD_INTERRUPTED "interrupted"
/* A signal came. */
bool cmd_run_interrupted(const struct cmd_run *r);
/* The command's exit code rc, unless the run was stopped at once. */
int cmd_run_exit(const struct cmd_run *r, int rc);

#endif
