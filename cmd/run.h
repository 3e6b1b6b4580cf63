/* run.h - the runner of a command: it turns the command's loop until its
 * operations are done, and owns SIGINT and SIGTERM. The first signal asks
 * the command to end gracefully (CANCEL, BYE, unregister); a second one
 * stops the loop at once, and so does the end of SIGTERM's grace, whatever
 * the far end does; the command then exits 128 + the signal (130 for
 * Ctrl-C).
 *
 * A command runs by itself (the one-shot runner), or inside the shell
 * (cmd/shell.c), the host: then its loop is the shell's, the shell passes
 * it the signals, and a command whose work goes on (a registration kept, a
 * call answered, a subscription) may leave it running in the background
 * as a job, and return to the prompt. */
#ifndef RUN_H
#define RUN_H

#include "cmd.h"

/* How long SIGTERM waits for a graceful end. */
#define CMD_RUN_GRACE_US 3000000u

/* What the shell needs of a command it keeps in the background. */
struct cmd_job_ops {
	const char *kind; /* "reg", "call", "sub": what lists it, what numbers it */
	/* One line of what it is now: "sip:alice@example.com, 3412 s left". */
	void (*describe)(void *arg, char *buf, size_t cap);
	/* Its work is over (it called cmd_run_stop): the summary is printed and
	 * the memory freed, on a turn of the loop of its own; returns the exit code. */
	int (*finish)(void *arg);
	/* A shell command for it ("hold", "dtmf 123"...), or NULL when it has
	 * none: 0, or an exit code after saying why not. */
	int (*act)(void *arg, int argc, char **argv);
};

struct cmd_run {
	struct sip_loop *loop;
	void (*graceful)(void *arg);
	void *arg;
	int signo;   /* the first signal, 0 before one */
	uint64_t at; /* when it came */
	int forced;  /* 128 + signal when stopped at once, else 0 */
	struct sip_timer grace;
	/* In the background: the shell holds it; cmd_run_stop finishes it. */
	const struct cmd_job_ops *job;
	void *job_arg;
	bool ending; /* asked to end (cmd_run_end) */
};

/* The shell, while it runs commands. */
struct cmd_host {
	struct sip_loop *loop;
	/* Turns the loop for r, the command in front, until it stops or
	 * goes to the background; returns what sip_loop_run does. */
	int (*run)(struct cmd_run *r);
	/* r went to the background (cmd_run_detach): its number, or 0 when
	 * it cannot be kept. */
	unsigned (*detached)(struct cmd_run *r);
	/* r, in the background, is over: finish it from the loop. */
	void (*over)(struct cmd_run *r);
	/* The stack for a command: the shell's, or NULL when the command's
	 * stack options differ from it (the command then makes its own). */
	struct sip_ua *(*stack)(const struct cmd_common *cc, bool server_side);
	/* A probe_ctx on the shell's stack, from its init to its reset: the
	 * messages of its operations are traced to it. */
	void (*attach)(void *pc);
	void (*detach)(void *pc);
	/* The password `set password` gave, or NULL. */
	const char *(*password)(void);
	/* The next number of a kind ("call"): the shell numbers the calls it
	 * places and those it takes in one sequence. */
	unsigned (*next_number)(const char *kind);
	/* `set answer auto`: an incoming call is answered after its ring. */
	bool (*answer_auto)(void);
};
extern const struct cmd_host *cmd_host;

/* Turns loop until it is stopped; graceful (may be NULL: stop at once) is
 * called on the first signal. Returns what sip_loop_run does. r may be
 * asked from the command's handlers while the loop turns. */
int cmd_run(struct cmd_run *r, struct sip_loop *loop, void (*graceful)(void *arg), void *arg);
/* The command's work is over: its loop stops, or (in the background) the
 * shell finishes it. */
void cmd_run_stop(struct cmd_run *r);
/* The command leaves its work running and returns to the prompt: in the
 * shell, its job number (cmd_run then returns, and the command keeps its
 * state until ops->finish); 0 in the one-shot runner (nothing changes). */
unsigned cmd_run_detach(struct cmd_run *r, const struct cmd_job_ops *ops, void *arg);
/* cmd_run returned because the command went to the background. */
bool cmd_run_detached(const struct cmd_run *r);
/* A one-shot command's stack, its work done, turns loop until the loop time
 * until (sip_ua_closing's) so that what it answered is answered again if
 * asked; a signal ends that at once. Nothing when a signal came already,
 * or in the shell, whose stack lives on. */
void cmd_run_linger(struct sip_loop *loop, uint64_t until);
/* A signal for r: the shell's to pass. */
void cmd_run_signal(struct cmd_run *r, int signo);
/* Asks a job in the background to end as a first Ctrl-C would (BYE,
 * unregister, unsubscribe), without that being its verdict. */
void cmd_run_end(struct cmd_run *r);

/* What a signal ended before its final response is its own verdict, in
 * every command and output format: CMD_INTERRUPTED, exit EXIT_TIMEOUT, or
 * 128 + the signal when it was stopped at once. */
#define CMD_INTERRUPTED "interrupted"
/* A signal came. */
bool cmd_run_interrupted(const struct cmd_run *r);
/* The command's exit code rc, unless the run was stopped at once. */
int cmd_run_exit(const struct cmd_run *r, int rc);

#endif
