/*
 * shell.c - `sip shell`, and `sip` alone on a terminal: every subcommand as
 * a line, on one stack for the whole session, so that what `register -k`
 * binds is where calls and MESSAGEs arrive. A command whose work goes on
 * (a registration kept, a call answered, a subscription) returns to the
 * prompt and lives on as a job; what it prints meanwhile goes above the
 * line being edited. Readline runs in callback mode inside the loop;
 * without a terminal the lines are read from standard input as a script.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "listen.h"
#include "probe.h"
#include "run.h"

enum { OPT_KEEP_GOING = 1 };

const struct cmd_opt shell_opts[] = {
	{OPT_KEEP_GOING, "keep-going", 0, NULL,
         "in a script, run the next line after a command fails", NULL},
	{0},
};

#define SHELL_PROMPT "sip> "
#define SHELL_MAX_WORDS 128
#define SHELL_MAX_LINE 65536
#define SHELL_MAX_DEFAULTS 48
#define SHELL_MAX_URIS 64
#define SHELL_SOURCE_DEPTH 8
/* How long exit waits for the jobs' BYE, unsubscribe and unregister. */
#define SHELL_EXIT_GRACE_US 5000000u
/* After SIGTERM, everything (the command in front, then the jobs) is over
 * this soon: within the 5 s a service manager gives. */
#define SHELL_TERM_US 4000000u

/* A shared option every later line gets, before its own words: from the
 * `sip shell` line or from `set`. */
struct shell_default {
	const struct cmd_opt *o;
	char *value; /* NULL for a flag */
};

struct shell_job {
	struct shell_job *next;
	char *arena; /* the command's words, which its options point into */
	unsigned n;
	struct cmd_run *run;
	bool over;
	struct sip_timer finish;
	struct shell *sh;
};

struct shell {
	const struct cmd *cmd;
	struct cmd_common cc; /* the stack's options, from the `sip shell` line */
	struct sip_ua *ua;
	struct sip_loop *loop;
	struct sip_msg *scratch;
	struct probe_ctx *pcs; /* attached to the stack */
	struct cmd_run *front; /* the command running in front */
	bool interactive, keep_going;
	/* input */
	char *line;
	bool line_ready, eof;
	char inbuf[SHELL_MAX_LINE];
	size_t inlen;
	bool too_long;
	/* output above the prompt */
	FILE *tty; /* readline's, on the terminal */
	bool prompt_on, hidden;
	struct sip_timer redisplay;
	/* jobs */
	struct shell_job *jobs;
	unsigned numbers[4]; /* the last reg, call, sub and listen numbers given */
	bool answer_auto;
	bool waiting; /* `wait` or the exit: the loop stops when no job is left */
	struct sip_timer wait_timer;
	bool wait_timed_out;
	/* the session */
	struct shell_default defaults[SHELL_MAX_DEFAULTS];
	size_t ndefaults;
	char password[256];
	bool password_set;
	/* The probe_ctx first on the list before the line in front began: those
	 * before it are the front command's. */
	struct probe_ctx *front_mark;
	char *uris[SHELL_MAX_URIS];
	size_t nuris;
	int status;       /* a script's: the first failure's exit code */
	bool quit;        /* exit, SIGTERM, the end of a script */
	uint64_t term_at; /* when SIGTERM came; 0 before */
	int exit_code;    /* `exit N` */
	bool exit_set;
	unsigned depth; /* `source` inside `source` */
	char history[PATH_MAX];
	struct cmd_prompt *prompt;
};

/* One shell per process: readline's callbacks and the streams carry no argument. */
static struct shell *the;

/* ---- output: every line above the prompt goes through here ---- */

static void redisplay(void *arg)
{
	struct shell *sh = arg;
	if (!sh->hidden)
		return;
	sh->hidden = false;
	if (sh->prompt_on)
		rl_forced_update_display();
}

/* The edited line is cleared before the first write of a turn and drawn
 * again on the next turn, below what was written. */
static ssize_t out_write(int fd, const char *buf, size_t n)
{
	struct shell *sh = the;
	/* Readline's bell (a Tab with nothing to complete) leaves the line as it is. */
	bool bell = n == 1 && buf[0] == '\a';
	if (sh->prompt_on && !sh->hidden && !bell) {
		rl_clear_visible_line();
		fflush(sh->tty);
		sh->hidden = true;
		sip_timer_start(sh->loop, &sh->redisplay, 0, redisplay, sh);
	}
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(fd, buf + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return done ? (ssize_t)done : -1;
		done += (size_t)w;
	}
	return (ssize_t)n;
}

static ssize_t stdout_write(void *cookie, const char *buf, size_t n)
{
	(void)cookie;
	return out_write(STDOUT_FILENO, buf, n);
}

static ssize_t stderr_write(void *cookie, const char *buf, size_t n)
{
	(void)cookie;
	return out_write(STDERR_FILENO, buf, n);
}

/* stdout and stderr become streams that write through out_write, so that
 * nothing a command prints breaks the line being edited. */
static int streams_install(struct shell *sh)
{
	int fd = dup(STDOUT_FILENO);
	if (fd < 0 || !(sh->tty = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	cookie_io_functions_t out = {.write = stdout_write};
	cookie_io_functions_t err = {.write = stderr_write};
	FILE *o = fopencookie(NULL, "w", out);
	FILE *e = fopencookie(NULL, "w", err);
	if (!o || !e) {
		if (o)
			fclose(o);
		if (e)
			fclose(e);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	setvbuf(o, NULL, _IOLBF, 0);
	setvbuf(e, NULL, _IONBF, 0);
	stdout = o;
	stderr = e;
	return 0;
}

/* ---- the stack, shared by the commands ---- */

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The WebSocket handshake's settings are the stack's too. */
static bool same_ws(const struct cmd_common *a, const struct cmd_common *b)
{
	if (!same_str(a->ws_path, b->ws_path) || !same_str(a->ws_origin, b->ws_origin) ||
	    a->nws_headers != b->nws_headers)
		return false;
	for (size_t i = 0; i < a->nws_headers; i++)
		if (!same_str(a->ws_headers[i], b->ws_headers[i]))
			return false;
	return true;
}

static struct sip_ua *host_stack(const struct cmd_common *cc, bool server_side)
{
	struct shell *sh = the;
	const struct cmd_common *s = &sh->cc;
	if (server_side || !same_ws(cc, s) || !same_str(cc->local, s->local) ||
	    !same_str(cc->dns_server, s->dns_server) || cc->family != s->family ||
	    !same_str(cc->ca_file, s->ca_file) || cc->insecure != s->insecure ||
	    !same_str(cc->user_agent, s->user_agent) || cc->t1_us != s->t1_us)
		return NULL;
	return sh->ua;
}

static void host_attach(void *arg)
{
	struct probe_ctx *pc = arg;
	pc->next_shared = the->pcs;
	the->pcs = pc;
}

static void host_detach(void *arg)
{
	for (struct probe_ctx **pp = &the->pcs; *pp; pp = &(*pp)->next_shared) {
		if (*pp == arg) {
			*pp = ((struct probe_ctx *)arg)->next_shared;
			return;
		}
	}
}

static const char *host_password(void)
{
	return the->password_set ? the->password : NULL;
}

/* The command a message belongs to: by its Call-ID; else the listener's
 * (what came in, and its own NOTIFYs and transfers), unless the command in
 * front writes Call-IDs of its own (a `send` file) and this is a request it
 * sent or an answer to one. */
static struct probe_ctx *owner_of(struct shell *sh, const struct sip_packet_info *pi,
                                  const char *buf, size_t len)
{
	struct sip_msg *m = sh->scratch;
	struct probe_ctx *listener = NULL;
	for (struct probe_ctx *pc = sh->pcs; pc; pc = pc->next_shared)
		if (pc->catch_all)
			listener = pc;
	if (sip_msg_parse(m, buf, len, 0) != 0)
		return sh->front ? sh->pcs : listener;
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CALL_ID);
	for (struct probe_ctx *pc = sh->pcs; h && pc; pc = pc->next_shared)
		if (sip_str_eq(h->value, sip_str_from(pc->call_id)))
			return pc;
	bool incoming = m->is_request != pi->tx;
	struct probe_ctx *front = sh->front ? sh->pcs : NULL;
	return !incoming && front && front->own_call_ids ? front : listener;
}

static void on_trace(const struct sip_packet_info *pi, const char *buf, size_t len, void *arg)
{
	struct probe_ctx *pc = owner_of(arg, pi, buf, len);
	if (pc)
		probe_on_trace(pi, buf, len, pc);
}

static void on_tp_err(int err, enum sip_tp tp, const struct sip_sockaddr *remote,
                      const char *detail, void *arg)
{
	struct shell *sh = arg;
	if (sh->front && sh->pcs)
		probe_on_tp_err(err, tp, remote, detail, sh->pcs);
}

/* A challenge, for the command whose request it was (its account is its
 * probe_ctx): the one in front asks for a password as it would by itself;
 * a job in the background (a refresh after `set password`) takes what is
 * known (the session's password, SIP_PASSWORD, its --password-file) and
 * never prompts over the line being edited. */
static void on_need_credentials(struct sip_ua *ua, const struct sip_challenge *ch, void *arg)
{
	struct shell *sh = arg;
	const void *account = sip_ua_auth_account(ua);
	bool front = sh->front != NULL;
	for (struct probe_ctx *pc = sh->pcs; pc; pc = pc->next_shared) {
		if (pc == sh->front_mark)
			front = false;
		if (pc == account) {
			pc->no_prompt = !front;
			probe_on_need_credentials(ua, ch, pc);
			return;
		}
	}
	sip_ua_credentials_for(ua, account, NULL, NULL, NULL);
}

/* ---- jobs ---- */

static int kind_index(const char *kind)
{
	return strcmp(kind, "reg") == 0    ? 0
	       : strcmp(kind, "call") == 0 ? 1
	       : strcmp(kind, "sub") == 0  ? 2
	                                   : 3;
}

static unsigned host_next_number(const char *kind)
{
	return ++the->numbers[kind_index(kind)];
}

static bool host_answer_auto(void)
{
	return the->answer_auto;
}

/* Background work is left: the listener, which lasts as long as the shell, aside. */
static bool work_left(const struct shell *sh)
{
	for (const struct shell_job *j = sh->jobs; j; j = j->next)
		if (strcmp(j->run->job->kind, "listen") != 0)
			return true;
	return false;
}

static void job_finish(void *arg)
{
	struct shell_job *j = arg;
	struct shell *sh = j->sh;
	for (struct shell_job **pp = &sh->jobs; *pp; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	}
	int rc = j->run->job->finish(j->run->job_arg);
	cmd_flush();
	if (rc && !sh->status)
		sh->status = rc;
	free(j->arena);
	free(j);
	if (sh->waiting && (sh->quit ? !sh->jobs : !work_left(sh)))
		sip_loop_stop(sh->loop);
}

static unsigned host_detached(struct cmd_run *r)
{
	struct shell *sh = the;
	struct shell_job *j = calloc(1, sizeof *j);
	if (!j)
		return 0; /* it stays in front */
	j->sh = sh;
	j->run = r;
	j->n = host_next_number(r->job->kind);
	sip_timer_init(&j->finish);
	j->next = sh->jobs;
	sh->jobs = j;
	sip_loop_stop(sh->loop); /* back to the prompt */
	return j->n;
}

static void host_over(struct cmd_run *r)
{
	struct shell *sh = the;
	for (struct shell_job *j = sh->jobs; j; j = j->next) {
		if (j->run == r && !j->over) {
			j->over = true;
			sip_timer_start(sh->loop, &j->finish, 0, job_finish, j);
		}
	}
}

static int host_run(struct cmd_run *r)
{
	struct shell *sh = the;
	struct cmd_run *outer = sh->front;
	sh->front = r;
	int err = sip_loop_run(sh->loop);
	sh->front = outer;
	return err;
}

static const struct cmd_host host = {
	.run = host_run,
	.detached = host_detached,
	.over = host_over,
	.stack = host_stack,
	.attach = host_attach,
	.detach = host_detach,
	.password = host_password,
	.next_number = host_next_number,
	.answer_auto = host_answer_auto,
};

static struct shell_job *job_find(struct shell *sh, const char *kind, const char *arg)
{
	unsigned long n;
	if (!arg || cmd_uint(arg, 1, UINT_MAX, &n) != 0) {
		fprintf(stderr, "sip: expected a %s number (see '%ss')\n", kind, kind);
		return NULL;
	}
	for (struct shell_job *j = sh->jobs; j; j = j->next)
		if (j->n == n && strcmp(j->run->job->kind, kind) == 0 && !j->over)
			return j;
	fprintf(stderr, "sip: no %s %lu (see '%ss')\n", kind, n, kind);
	return NULL;
}

/* Call n is one the shell placed (a job), not one that came in. */
static bool call_placed(struct shell *sh, const char *arg)
{
	unsigned long n;
	if (!arg || cmd_uint(arg, 1, UINT_MAX, &n) != 0)
		return false;
	for (struct shell_job *j = sh->jobs; j; j = j->next)
		if (j->n == n && strcmp(j->run->job->kind, "call") == 0 && !j->over)
			return true;
	return false;
}

static struct shell_job *listener_of(struct shell *sh)
{
	for (struct shell_job *j = sh->jobs; j; j = j->next)
		if (strcmp(j->run->job->kind, "listen") == 0 && !j->over)
			return j;
	return NULL;
}

/* answer N, reject N [CODE], and bye N of a call that came in: the listener's. */
static int listener_act(struct shell *sh, int argc, char **argv)
{
	struct shell_job *l = listener_of(sh);
	if (!l) {
		fprintf(stderr, "sip: %s: no call %s (see 'calls')\n", argv[0],
		        argc > 1 ? argv[1] : "");
		return EXIT_USAGE;
	}
	return l->run->job->act(l->run->job_arg, argc, argv);
}

/* hold N, dtmf N 123...: the job's own command, without its number. */
static int act_job(struct shell *sh, const char *kind, int argc, char **argv)
{
	if (argc > 1 && !call_placed(sh, argv[1]))
		return listener_act(sh, argc, argv); /* it came in, or there is none */
	struct shell_job *j = job_find(sh, kind, argc > 1 ? argv[1] : NULL);
	if (!j)
		return EXIT_USAGE;
	char *args[SHELL_MAX_WORDS + 1];
	int n = 0;
	args[n++] = argv[0];
	for (int i = 2; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	return j->run->job->act(j->run->job_arg, n, args);
}

static int list_jobs(struct shell *sh, const char *kind)
{
	unsigned shown = 0;
	/* Oldest first: the list is newest first. */
	for (unsigned n = 1; n <= sh->numbers[kind_index(kind)]; n++) {
		for (struct shell_job *j = sh->jobs; j; j = j->next) {
			if (j->n != n || strcmp(j->run->job->kind, kind) != 0)
				continue;
			char what[512];
			j->run->job->describe(j->run->job_arg, what, sizeof what);
			printf("%s %u  %s%s\n", kind, n, what, j->over ? " (over)" : "");
			shown++;
		}
	}
	struct shell_job *l = strcmp(kind, "call") == 0 ? listener_of(sh) : NULL;
	if (l)
		shown += (unsigned)l->run->job->act(l->run->job_arg, 0, NULL);
	if (!shown)
		printf("no %s\n", kind[0] == 'r'   ? "registrations"
		                  : kind[0] == 'c' ? "calls"
		                                   : "subscriptions");
	return EXIT_OK;
}

static int end_job(struct shell *sh, const char *kind, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "sip: usage: %s N\n", argv[0]);
		return EXIT_USAGE;
	}
	const char *arg = argv[1];
	struct shell_job *j = job_find(sh, kind, arg);
	if (!j)
		return EXIT_USAGE;
	cmd_run_end(j->run);
	return EXIT_OK;
}

/* Turns the loop until every job is over and finished, or max_us (0: no
 * limit), or Ctrl-C. 0, EXIT_TIMEOUT, or 130. */
static void on_wait_timeout(void *arg)
{
	struct shell *sh = arg;
	sh->wait_timed_out = true;
	sip_loop_stop(sh->loop);
}

static int wait_jobs(struct shell *sh, uint64_t max_us)
{
	struct cmd_run r;
	if (sh->quit ? !sh->jobs : !work_left(sh))
		return EXIT_OK;
	sh->waiting = true;
	sh->wait_timed_out = false;
	if (max_us)
		sip_timer_start(sh->loop, &sh->wait_timer, max_us, on_wait_timeout, sh);
	cmd_run(&r, sh->loop, NULL, NULL);
	sip_timer_cancel(sh->loop, &sh->wait_timer);
	sh->waiting = false;
	if (cmd_run_interrupted(&r))
		return 128 + r.signo;
	return sh->wait_timed_out ? EXIT_TIMEOUT : EXIT_OK;
}

/* ---- defaults: the `sip shell` line's shared options, and `set` ---- */

/* c's option with this long name (len characters), short letter or key;
 * the criteria not used are NULL, 0 and 0. */
static const struct cmd_opt *opt_find(const struct cmd *c, const char *name, size_t len,
                                      char letter, int key)
{
	const struct cmd_opt *o;
	for (size_t it = 0; (o = cmd_opt_next(c, &it));)
		if ((name && strlen(o->name) == len && strncmp(o->name, name, len) == 0) ||
		    (letter && o->short_name == letter) || (key && o->key == key))
			return o;
	return NULL;
}

/* Sets (or with value NULL on an option that takes one, removes) a
 * default; -H adds one more. */
static int default_set(struct shell *sh, const struct cmd_opt *o, const char *value)
{
	size_t i = 0;
	if (o->key != OPT_HEADER)
		for (; i < sh->ndefaults && sh->defaults[i].o->key != o->key; i++)
			;
	else
		i = sh->ndefaults;
	if (i < sh->ndefaults) {
		free(sh->defaults[i].value);
		sh->defaults[i] = sh->defaults[--sh->ndefaults];
	}
	if (o->arg && !value)
		return 0;
	if (sh->ndefaults == SHELL_MAX_DEFAULTS)
		return -1;
	char *v = value ? strdup(value) : NULL;
	if (value && !v)
		return -1;
	sh->defaults[sh->ndefaults++] = (struct shell_default){o, v};
	return 0;
}

/* The shared options of the `sip shell` line, as defaults (cmd_getopt has
 * checked them). */
static void defaults_from_argv(struct shell *sh, int argc, char **argv)
{
	for (int i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0; i++) {
		const char *w = argv[i], *value = NULL;
		const struct cmd_opt *o;
		if (w[1] == '-') {
			const char *eq = strchr(w + 2, '=');
			o = opt_find(sh->cmd, w + 2, eq ? (size_t)(eq - w - 2) : strlen(w + 2), 0,
			             0);
			if (o && o->arg)
				value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		} else {
			o = opt_find(sh->cmd, NULL, 0, w[1], 0);
			if (o && o->arg)
				value = w[2] ? w + 2 : (i + 1 < argc ? argv[++i] : NULL);
		}
		if (o && o->key >= OPT_HELP && o->key != OPT_HELP)
			default_set(sh, o, value);
	}
}

/* What `set` knows: a name, and the shared option it stands for. */
static const struct {
	const char *name;
	int key;
} settings[] = {
	{"user", OPT_USER},
	{"proxy", OPT_PROXY},
	{"transport", OPT_TRANSPORT},
	{"output", OPT_OUTPUT},
	{"t1", OPT_T1},
	{"timeout", OPT_TIMEOUT},
	{"from", OPT_FROM},
	{"auth-user", OPT_AUTH_USER},
	{"password-file", OPT_PASSWORD_FILE},
};

static void show_settings(const struct shell *sh)
{
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
		const char *v = NULL;
		for (size_t d = 0; d < sh->ndefaults; d++)
			if (sh->defaults[d].o->key == settings[i].key)
				v = sh->defaults[d].value;
		printf("%-13s %s\n", settings[i].name, v ? v : "-");
	}
	printf("%-13s %s\n", "password", sh->password_set ? "(set)" : "-");
	printf("%-13s %s\n", "answer", sh->answer_auto ? "auto" : "manual");
}

static void on_password(const char *password, void *arg)
{
	struct shell *sh = arg;
	sh->prompt = NULL;
	if (password) {
		snprintf(sh->password, sizeof sh->password, "%s", password);
		sh->password_set = true;
		sip_ua_credentials_clear(sh->ua);
	}
	sip_loop_stop(sh->loop);
}

static int set_password(struct shell *sh, int argc, char **argv)
{
	if (argc > 2) {
		snprintf(sh->password, sizeof sh->password, "%s", argv[2]);
		explicit_bzero(argv[2], strlen(argv[2]));
		sh->password_set = true;
		sip_ua_credentials_clear(sh->ua);
		return EXIT_OK;
	}
	sh->prompt = cmd_prompt_start(sh->cmd, sh->loop, "the session", on_password, sh);
	if (!sh->prompt) {
		fprintf(stderr, "sip: set password: no terminal to ask on\n");
		return EXIT_USAGE;
	}
	struct cmd_run r;
	cmd_run(&r, sh->loop, NULL, NULL);
	if (sh->prompt) { /* Ctrl-C */
		cmd_prompt_free(sh->prompt);
		sh->prompt = NULL;
		return 128 + SIGINT;
	}
	return sh->password_set ? EXIT_OK : EXIT_USAGE;
}

static int builtin_set(struct shell *sh, int argc, char **argv, bool unset)
{
	if (argc < 2 || (unset && argc > 2) || argc > 3) {
		if (argc == 1 && !unset) {
			show_settings(sh);
			return EXIT_OK;
		}
		fprintf(stderr, "sip: usage: set [NAME [VALUE]], unset NAME\n");
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "answer") == 0 && !unset) {
		if (argc == 2) {
			printf("%s\n", sh->answer_auto ? "auto" : "manual");
			return EXIT_OK;
		}
		if (strcmp(argv[2], "auto") != 0 && strcmp(argv[2], "manual") != 0) {
			fprintf(stderr, "sip: set answer: 'auto' or 'manual'\n");
			return EXIT_USAGE;
		}
		sh->answer_auto = argv[2][0] == 'a';
		return EXIT_OK;
	}
	if (strcmp(argv[1], "password") == 0) {
		if (!unset)
			return set_password(sh, argc, argv);
		explicit_bzero(sh->password, sizeof sh->password);
		sh->password_set = false;
		sip_ua_credentials_clear(sh->ua);
		return EXIT_OK;
	}
	size_t i = 0;
	for (; i < sizeof settings / sizeof settings[0]; i++)
		if (strcmp(argv[1], settings[i].name) == 0)
			break;
	if (i == sizeof settings / sizeof settings[0]) {
		fprintf(stderr, "sip: set: unknown setting '%s'; 'set' lists them\n", argv[1]);
		return EXIT_USAGE;
	}
	const struct cmd_opt *o = opt_find(sh->cmd, NULL, 0, 0, settings[i].key);
	if (unset || argc == 2) {
		if (!unset) {
			for (size_t d = 0; d < sh->ndefaults; d++)
				if (sh->defaults[d].o == o)
					printf("%s\n", sh->defaults[d].value);
			return EXIT_OK;
		}
		default_set(sh, o, NULL);
		if (o->key == OPT_T1) {
			sh->cc.t1_us = 0;
			sip_ua_set_t1(sh->ua, 0);
		}
		return EXIT_OK;
	}
	/* The value is checked as the option's own: the same words on errors. */
	char opt[64];
	snprintf(opt, sizeof opt, "--%s", o->name);
	char *args[] = {(char *)"set", opt, argv[2], NULL};
	struct cmd_common cc;
	const char *arg;
	memset(&cc, 0, sizeof cc);
	int k;
	while ((k = cmd_getopt(sh->cmd, &cc, 3, args, &arg)) >= 0)
		;
	if (k == -2)
		return EXIT_USAGE;
	if (default_set(sh, o, argv[2]) != 0) {
		fprintf(stderr, "sip: set: out of memory\n");
		return EXIT_INTERNAL;
	}
	if (o->key == OPT_T1) { /* the stack's, for every later transaction */
		sh->cc.t1_us = cc.t1_us;
		sip_ua_set_t1(sh->ua, cc.t1_us);
	}
	return EXIT_OK;
}

/* ---- lines ---- */

/* Splits a line into words as a POSIX shell would, without expansions:
 * quotes, backslashes, and # at the start of a word to the end. The words
 * point into buf. Returns the count, or -1 after saying what is wrong. */
static int split_words(const char *line, char *buf, char **words, int max)
{
	int n = 0;
	const char *p = line;
	char *o = buf;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p || *p == '#')
			return n;
		if (n == max) {
			fprintf(stderr, "sip: more than %d words on a line\n", max);
			return -1;
		}
		words[n++] = o;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			if (*p == '\'') {
				const char *end = strchr(p + 1, '\'');
				if (!end)
					goto unterminated;
				memcpy(o, p + 1, (size_t)(end - p - 1));
				o += end - p - 1;
				p = end + 1;
			} else if (*p == '"') {
				for (p++; *p && *p != '"'; p++) {
					if (*p == '\\' && strchr("\"\\$`", p[1]))
						p++;
					*o++ = *p;
				}
				if (!*p)
					goto unterminated;
				p++;
			} else if (*p == '\\' && p[1]) {
				*o++ = p[1];
				p += 2;
			} else {
				*o++ = *p++;
			}
		}
		*o++ = '\0';
	}
unterminated:
	fprintf(stderr, "sip: unterminated quote\n");
	return -1;
}

static void remember_uris(struct shell *sh, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];
		if (w[0] == '-' || (!strchr(w, '@') && !cmd_has_scheme(w)))
			continue;
		bool known = false;
		for (size_t u = 0; u < sh->nuris && !known; u++)
			known = strcmp(sh->uris[u], w) == 0;
		char *copy = known ? NULL : strdup(w);
		if (!copy)
			continue;
		if (sh->nuris == SHELL_MAX_URIS) {
			free(sh->uris[0]);
			memmove(sh->uris, sh->uris + 1, (SHELL_MAX_URIS - 1) * sizeof *sh->uris);
			sh->nuris--;
		}
		sh->uris[sh->nuris++] = copy;
	}
}

/* A subcommand: the session's defaults it takes, then the line's words. */
/* Copies s into the arena at *o; returns the copy. */
static char *arena_put(char **o, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = memcpy(*o, s, n);
	*o += n;
	return p;
}

/* A subcommand: the session's defaults it takes, then the line's words.
 * Its options point into its words, and a job keeps them after the line
 * (and a later `set`) is gone: the words are copied into one arena that
 * the job owns. */
static int run_command(struct shell *sh, const struct cmd *c, int argc, char **argv)
{
	const char *words[SHELL_MAX_WORDS + 2 * SHELL_MAX_DEFAULTS + 1];
	char *args[SHELL_MAX_WORDS + 2 * SHELL_MAX_DEFAULTS + 1];
	char names[SHELL_MAX_DEFAULTS][40];
	int n = 0;
	size_t size = 0;
	words[n++] = argv[0];
	for (size_t d = 0; d < sh->ndefaults; d++) {
		const struct cmd_opt *o = opt_find(c, NULL, 0, 0, sh->defaults[d].o->key);
		if (!o || o->key == OPT_HELP)
			continue;
		snprintf(names[d], sizeof names[d], "--%s", o->name);
		words[n++] = names[d];
		if (sh->defaults[d].value)
			words[n++] = sh->defaults[d].value;
	}
	for (int i = 1; i < argc; i++)
		words[n++] = argv[i];
	for (int i = 0; i < n; i++)
		size += strlen(words[i]) + 1;
	char *arena = malloc(size), *o = arena;
	if (!arena) {
		fprintf(stderr, "sip: out of memory\n");
		return EXIT_INTERNAL;
	}
	for (int i = 0; i < n; i++)
		args[i] = arena_put(&o, words[i]);
	args[n] = NULL;
	remember_uris(sh, argc, argv);
	struct shell_job *before = sh->jobs;
	struct probe_ctx *mark = sh->front_mark;
	sh->front_mark = sh->pcs;
	optind = 0;
	int rc = c->fn(c, n, args);
	sh->front_mark = mark;
	cmd_flush();
	/* A new job is the first on the list, its finish not run yet. */
	if (sh->jobs != before && sh->jobs && !sh->jobs->arena)
		sh->jobs->arena = arena;
	else
		free(arena);
	return rc;
}

/* What a call in the background takes (struct cmd_job_ops' act). */
static const char *const call_verbs[] = {
	"hold", "unhold", "update", "dtmf", "transfer", NULL,
};

static const char *const builtins[] = {
	"help",   "exit",   "quit",  "set",      "unset",  "show",       "regs",        "calls",
	"subs",   "wait",   "sleep", "source",   "bye",    "unregister", "unsubscribe", "hold",
	"unhold", "update", "dtmf",  "transfer", "answer", "reject",     NULL,
};

static bool is_call_verb(const char *w)
{
	for (size_t i = 0; call_verbs[i]; i++)
		if (strcmp(call_verbs[i], w) == 0)
			return true;
	return false;
}

static bool shell_is_builtin(const char *name)
{
	for (size_t i = 0; builtins[i]; i++)
		if (strcmp(builtins[i], name) == 0)
			return true;
	return false;
}

static int builtin_help(struct shell *sh, int argc, char **argv)
{
	(void)sh;
	if (argc > 1) {
		const struct cmd *c = cmd_find(argv[1]);
		if (c) {
			cmd_help(c, stdout);
			return EXIT_OK;
		}
		if (!shell_is_builtin(argv[1])) {
			fprintf(stderr, "sip: '%s' is not a command; 'help' lists them\n", argv[1]);
			return EXIT_USAGE;
		}
	}
	printf("Every sip command is a line: options, register, invite, subscribe, ...\n"
	       "(see 'help COMMAND'). The shell's own:\n"
	       "  regs, calls, subs         what runs in the background, numbered\n"
	       "  unregister N              remove registration N's binding\n"
	       "  answer N, reject N [CODE] take call N that rings, or turn it away (486)\n"
	       "  bye N                     hang up call N\n"
	       "  hold N, unhold N          re-INVITE call N a=sendonly, then a=sendrecv\n"
	       "  update N                  UPDATE call N with a new offer\n"
	       "  dtmf N DIGITS             send DIGITS in call N, an INFO each\n"
	       "  transfer N URI            blind transfer of call N: REFER, progress, BYE\n"
	       "  unsubscribe N             end subscription N\n"
	       "  set [NAME [VALUE]]        show or set a default: user, password, proxy,\n"
	       "                            transport, output, t1, timeout, from, auth-user,\n"
	       "                            password-file, answer (manual or auto);\n"
	       "                            unset NAME removes one\n"
	       "  show                      the defaults\n"
	       "  wait [SECONDS]            until the background work is over (exit 3 if not)\n"
	       "  sleep SECONDS             let the background work run a while\n"
	       "  source FILE               run the lines of FILE\n"
	       "  help [COMMAND]            this, or a command's options\n"
	       "  exit [N], quit, Ctrl-D    end the calls, subscriptions and registrations, "
	       "and leave\n");
	return EXIT_OK;
}

static int run_line(struct shell *sh, const char *line);

static int builtin_source(struct shell *sh, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "sip: usage: source FILE\n");
		return EXIT_USAGE;
	}
	if (sh->depth >= SHELL_SOURCE_DEPTH) {
		fprintf(stderr, "sip: source: more than %d files deep\n", SHELL_SOURCE_DEPTH);
		return EXIT_USAGE;
	}
	FILE *f = fopen(argv[1], "r");
	if (!f) {
		fprintf(stderr, "sip: source: cannot read '%s': %s\n", argv[1], strerror(errno));
		return EXIT_USAGE;
	}
	char *buf = NULL;
	size_t cap = 0;
	int first = EXIT_OK;
	sh->depth++;
	while (!sh->quit && getline(&buf, &cap, f) >= 0) {
		int rc = run_line(sh, buf);
		if (rc && !first)
			first = rc;
		if (rc && !sh->keep_going && !sh->interactive)
			break;
	}
	sh->depth--;
	free(buf);
	fclose(f);
	return first;
}

static int builtin_wait(struct shell *sh, int argc, char **argv)
{
	uint64_t us = 0;
	if (argc > 2 ||
	    (argc == 2 && cmd_parse_seconds(sh->cmd, "wait", argv[1], false, 86400, &us) != 0)) {
		if (argc > 2)
			fprintf(stderr, "sip: usage: wait [SECONDS]\n");
		return EXIT_USAGE;
	}
	return wait_jobs(sh, us);
}

/* The loop turns for a while: the jobs go on, their events are shown. */
static int builtin_sleep(struct shell *sh, int argc, char **argv)
{
	uint64_t us = 0;
	if (argc != 2 || cmd_parse_seconds(sh->cmd, "sleep", argv[1], false, 86400, &us) != 0) {
		if (argc != 2)
			fprintf(stderr, "sip: usage: sleep SECONDS\n");
		return EXIT_USAGE;
	}
	struct cmd_run r;
	sip_timer_start(sh->loop, &sh->wait_timer, us, on_wait_timeout, sh);
	cmd_run(&r, sh->loop, NULL, NULL);
	sip_timer_cancel(sh->loop, &sh->wait_timer);
	return cmd_run_interrupted(&r) ? 128 + r.signo : EXIT_OK;
}

static int builtin_exit(struct shell *sh, int argc, char **argv)
{
	unsigned long n = 0;
	if (argc > 2 || (argc == 2 && cmd_uint(argv[1], 0, 255, &n) != 0)) {
		fprintf(stderr, "sip: usage: exit [N], N from 0 to 255\n");
		return EXIT_USAGE;
	}
	if (argc == 2) {
		sh->exit_code = (int)n;
		sh->exit_set = true;
	}
	sh->quit = true;
	return EXIT_OK;
}

static int run_words(struct shell *sh, int argc, char **argv)
{
	const char *w = argv[0];
	const struct cmd *c = cmd_find(w);
	if (c && strcmp(c->name, "shell") == 0) {
		fprintf(stderr, "sip: already in the shell\n");
		return EXIT_USAGE;
	}
	if (c && c->fn == cmd_listen && argc == 1 && listener_of(sh)) {
		fprintf(stderr, "sip: the shell listens on its own address already; 'listen ADDR' "
		                "listens on another\n");
		return EXIT_USAGE;
	}
	if (c)
		return run_command(sh, c, argc, argv);
	if (strcmp(w, "help") == 0)
		return builtin_help(sh, argc, argv);
	if (strcmp(w, "exit") == 0 || strcmp(w, "quit") == 0)
		return builtin_exit(sh, argc, argv);
	if (strcmp(w, "set") == 0 || strcmp(w, "unset") == 0)
		return builtin_set(sh, argc, argv, w[0] == 'u');
	if (strcmp(w, "show") == 0) {
		show_settings(sh);
		return EXIT_OK;
	}
	if (strcmp(w, "regs") == 0)
		return list_jobs(sh, "reg");
	if (strcmp(w, "calls") == 0)
		return list_jobs(sh, "call");
	if (strcmp(w, "subs") == 0)
		return list_jobs(sh, "sub");
	if (strcmp(w, "unregister") == 0)
		return end_job(sh, "reg", argc, argv);
	if (strcmp(w, "bye") == 0 && call_placed(sh, argc > 1 ? argv[1] : NULL))
		return end_job(sh, "call", argc, argv);
	if (strcmp(w, "bye") == 0 || strcmp(w, "answer") == 0 || strcmp(w, "reject") == 0)
		return listener_act(sh, argc, argv);
	if (strcmp(w, "unsubscribe") == 0)
		return end_job(sh, "sub", argc, argv);
	if (is_call_verb(w))
		return act_job(sh, "call", argc, argv);
	if (strcmp(w, "wait") == 0)
		return builtin_wait(sh, argc, argv);
	if (strcmp(w, "sleep") == 0)
		return builtin_sleep(sh, argc, argv);
	if (strcmp(w, "source") == 0)
		return builtin_source(sh, argc, argv);
	fprintf(stderr, "sip: '%s' is not a command; 'help' lists them\n", w);
	return EXIT_USAGE;
}

static int run_line(struct shell *sh, const char *line)
{
	size_t len = strlen(line);
	char *buf = malloc(len + 1);
	char *words[SHELL_MAX_WORDS + 1];
	if (!buf) {
		fprintf(stderr, "sip: out of memory\n");
		return EXIT_INTERNAL;
	}
	int n = split_words(line, buf, words, SHELL_MAX_WORDS);
	int rc = n < 0 ? EXIT_USAGE : EXIT_OK;
	if (n > 0) {
		words[n] = NULL;
		rc = run_words(sh, n, words);
	}
	explicit_bzero(buf, len + 1); /* `set password` */
	free(buf);
	cmd_flush(); /* a built-in's lines before the next line's */
	return rc;
}

/* ---- history ---- */

static void history_path(struct shell *sh)
{
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char dir[PATH_MAX - 16];
	if (state && *state)
		snprintf(dir, sizeof dir, "%s/sip", state);
	else if (home && *home)
		snprintf(dir, sizeof dir, "%s/.local/state/sip", home);
	else
		return;
	/* mkdir -p, private: what was typed names servers and accounts. */
	for (char *p = dir + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = '\0';
			if (mkdir(dir, 0700) != 0 && errno != EEXIST)
				return;
			*p = c;
			if (!c)
				break;
		}
	}
	snprintf(sh->history, sizeof sh->history, "%s/history", dir);
}

/* A line kept: not one typed after a space, not the last one again, and
 * never one that carries a password. */
static bool history_keeps(const char *line)
{
	if (line[0] == ' ' || line[0] == '\0')
		return false;
	HIST_ENTRY *last = history_length ? history_get(history_base + history_length - 1) : NULL;
	if (last && strcmp(last->line, line) == 0)
		return false;
	char buf[SHELL_MAX_LINE];
	char *words[SHELL_MAX_WORDS + 1];
	if (strlen(line) >= sizeof buf)
		return false;
	int n = split_words(line, buf, words, SHELL_MAX_WORDS);
	if (n >= 2 && strcmp(words[0], "set") == 0 && strcmp(words[1], "password") == 0)
		return false;
	for (int i = 0; i < n; i++)
		if (strcmp(words[i], "--password") == 0 ||
		    strncmp(words[i], "--password=", 11) == 0)
			return false;
	return true;
}

static void history_save(struct shell *sh)
{
	if (!sh->history[0])
		return;
	int fd = open(sh->history, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	stifle_history(1000);
	if (write_history(sh->history) != 0)
		fprintf(stderr, "sip: cannot write the history to '%s'\n", sh->history);
	chmod(sh->history, 0600);
}

/* ---- completion ---- */

static const char *const methods[] = {
	"INVITE", "ACK",       "BYE",    "CANCEL",  "OPTIONS", "REGISTER", "PRACK", "UPDATE",
	"REFER",  "SUBSCRIBE", "NOTIFY", "MESSAGE", "INFO",    "PUBLISH",  NULL,
};

static const char *const header_names[] = {
	"Accept:",
	"Allow:",
	"Authorization:",
	"Call-Info:",
	"Contact:",
	"Content-Type:",
	"Event:",
	"Expires:",
	"From:",
	"Max-Forwards:",
	"P-Asserted-Identity:",
	"Privacy:",
	"Proxy-Require:",
	"Reason:",
	"Referred-By:",
	"Require:",
	"Route:",
	"Subject:",
	"Supported:",
	"To:",
	"User-Agent:",
	"X-",
	NULL,
};

/* The candidates of the word being completed, filled before readline asks. */
static char *cands[512];
static size_t ncands;

static void cand_add(const char *s)
{
	if (ncands < sizeof cands / sizeof cands[0] && s && (cands[ncands] = strdup(s)))
		ncands++;
}

static char *cand_next(const char *text, int state)
{
	static size_t i;
	if (state == 0)
		i = 0;
	while (i < ncands) {
		const char *c = cands[i++];
		if (strncmp(c, text, strlen(text)) == 0)
			return strdup(c);
	}
	return NULL;
}

static void cand_values(const char *values)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", values);
	for (char *save = NULL, *v = strtok_r(buf, " ", &save); v; v = strtok_r(NULL, " ", &save))
		cand_add(v);
}

static void cand_jobs(struct shell *sh, const char *kind)
{
	struct shell_job *l = strcmp(kind, "call") == 0 ? listener_of(sh) : NULL;
	unsigned in[LISTEN_MAX_CALLS];
	size_t nin = l ? listen_call_numbers(l->run->job_arg, in, LISTEN_MAX_CALLS) : 0;
	for (size_t i = 0; i < nin; i++) {
		char n[16];
		snprintf(n, sizeof n, "%u", in[i]);
		cand_add(n);
	}
	for (struct shell_job *j = sh->jobs; j; j = j->next) {
		char n[16];
		snprintf(n, sizeof n, "%u", j->n);
		if (strcmp(j->run->job->kind, kind) == 0 && !j->over)
			cand_add(n);
	}
}

/* The candidates after words[0..n) for the word text. Returns false to
 * complete a file name instead. */
static bool candidates(struct shell *sh, char **words, int n, const char *text)
{
	if (n == 0) {
		for (const struct cmd *c = cmd_table; c->name; c++)
			if (strcmp(c->name, "shell") != 0)
				cand_add(c->name);
		for (size_t i = 0; builtins[i]; i++)
			cand_add(builtins[i]);
		return true;
	}
	const char *w = words[0];
	if ((strcmp(w, "bye") == 0 || strcmp(w, "answer") == 0 || strcmp(w, "reject") == 0 ||
	     is_call_verb(w)) &&
	    n == 1)
		cand_jobs(sh, "call");
	else if (strcmp(w, "transfer") == 0 && n == 2)
		for (size_t i = 0; i < sh->nuris; i++)
			cand_add(sh->uris[i]);
	else if (strcmp(w, "unregister") == 0)
		cand_jobs(sh, "reg");
	else if (strcmp(w, "unsubscribe") == 0)
		cand_jobs(sh, "sub");
	else if (strcmp(w, "source") == 0)
		return false;
	else if (strcmp(w, "help") == 0)
		return candidates(sh, words, 0, text);
	else if ((strcmp(w, "set") == 0 || strcmp(w, "unset") == 0) && n == 1) {
		for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
			cand_add(settings[i].name);
		cand_add("password");
		cand_add("answer");
	} else if (strcmp(w, "set") == 0 && n == 2 && strcmp(words[1], "answer") == 0) {
		cand_add("auto");
		cand_add("manual");
	} else if (strcmp(w, "set") == 0 && n == 2) {
		for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
			const struct cmd_opt *o = opt_find(sh->cmd, NULL, 0, 0, settings[i].key);
			if (strcmp(words[1], settings[i].name) == 0 && o->values)
				cand_values(o->values);
		}
	}
	const struct cmd *c = cmd_find(w);
	if (!c)
		return true;
	const char *prev = words[n - 1];
	const struct cmd_opt *po = NULL;
	if (prev[0] == '-' && prev[1] == '-')
		po = opt_find(c, prev + 2, strlen(prev + 2), 0, 0);
	else if (prev[0] == '-' && prev[1] && !prev[2])
		po = opt_find(c, NULL, 0, prev[1], 0);
	if (po && po->arg) {
		if (po->key == OPT_HEADER)
			for (size_t i = 0; header_names[i]; i++)
				cand_add(header_names[i]);
		else if (po->values)
			cand_values(po->values);
		else if (strcmp(po->arg, "FILE") == 0)
			return false;
		return true;
	}
	if (text[0] == '-') {
		const struct cmd_opt *o;
		for (size_t it = 0; (o = cmd_opt_next(c, &it));) {
			char name[64];
			snprintf(name, sizeof name, "--%s", o->name);
			cand_add(name);
		}
		return true;
	}
	if (c->args && strcmp(c->args, "file") == 0)
		return false;
	bool operand_seen = false;
	for (int i = 1; i < n; i++)
		operand_seen |= words[i][0] != '-';
	if (strcmp(c->name, "request") == 0 && !operand_seen)
		for (size_t i = 0; methods[i]; i++)
			cand_add(methods[i]);
	for (size_t i = 0; i < sh->nuris; i++)
		cand_add(sh->uris[i]);
	return true;
}

static char **complete(const char *text, int start, int end)
{
	struct shell *sh = the;
	(void)end;
	for (size_t i = 0; i < ncands; i++)
		free(cands[i]);
	ncands = 0;
	char before[SHELL_MAX_LINE], buf[SHELL_MAX_LINE];
	char *words[SHELL_MAX_WORDS + 1];
	snprintf(before, sizeof before, "%.*s", start, rl_line_buffer);
	int n = split_words(before, buf, words, SHELL_MAX_WORDS);
	if (n < 0)
		return NULL;
	if (!candidates(sh, words, n, text)) {
		rl_attempted_completion_over = 0; /* readline's file names */
		return NULL;
	}
	rl_attempted_completion_over = 1;
	return rl_completion_matches(text, cand_next);
}

/* ---- input ---- */

static void on_line(char *line)
{
	struct shell *sh = the;
	rl_callback_handler_remove();
	sh->prompt_on = false;
	if (!line) {
		sh->eof = true;
		fputs("\n", sh->tty);
		fflush(sh->tty);
	}
	sh->line = line;
	sh->line_ready = true;
	sip_loop_stop(sh->loop);
}

static void on_tty_input(int fd, unsigned events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	rl_callback_read_char();
}

/* A script's lines, as they come: a pipe may be slow, and the jobs go on meanwhile. */
static bool script_take_line(struct shell *sh)
{
	char *nl = memchr(sh->inbuf, '\n', sh->inlen);
	if (!nl && !(sh->eof && sh->inlen))
		return false;
	size_t n = nl ? (size_t)(nl - sh->inbuf) : sh->inlen;
	sh->line = malloc(n + 1);
	if (sh->line) {
		memcpy(sh->line, sh->inbuf, n);
		sh->line[n] = '\0';
	}
	size_t used = nl ? n + 1 : n;
	memmove(sh->inbuf, sh->inbuf + used, sh->inlen - used);
	sh->inlen -= used;
	sh->line_ready = true;
	return true;
}

static void on_script_input(int fd, unsigned events, void *arg)
{
	struct shell *sh = arg;
	(void)events;
	if (sh->inlen == sizeof sh->inbuf) {
		sh->too_long = true;
		sh->inlen = 0;
	}
	ssize_t n = read(fd, sh->inbuf + sh->inlen, sizeof sh->inbuf - sh->inlen);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0)
		sh->eof = true;
	else
		sh->inlen += (size_t)n;
	if (script_take_line(sh) || sh->eof)
		sip_loop_stop(sh->loop);
}

/* The next line, the loop turning meanwhile; NULL at the end. */
static char *read_line(struct shell *sh)
{
	sh->line_ready = false;
	sh->line = NULL;
	if (!sh->interactive && script_take_line(sh))
		return sh->line;
	if (sh->eof)
		return NULL;
	if (sh->interactive) {
		rl_callback_handler_install(SHELL_PROMPT, on_line);
		sh->prompt_on = true;
		sip_loop_fd(sh->loop, STDIN_FILENO, SIP_EV_READ, on_tty_input, sh);
	} else {
		sip_loop_fd(sh->loop, STDIN_FILENO, SIP_EV_READ, on_script_input, sh);
	}
	while (!sh->line_ready && !sh->eof && !sh->quit)
		sip_loop_run(sh->loop);
	sip_loop_fd(sh->loop, STDIN_FILENO, 0, NULL, NULL);
	if (sh->prompt_on) { /* quit by a signal at the prompt */
		rl_callback_handler_remove();
		sh->prompt_on = false;
		fputs("\n", sh->tty);
		fflush(sh->tty);
	}
	if (sh->too_long) {
		sh->too_long = false;
		fprintf(stderr, "sip: a line longer than %d bytes: left out\n", SHELL_MAX_LINE);
	}
	return sh->line;
}

/* ---- signals ---- */

static void on_sigint(void *arg)
{
	struct shell *sh = arg;
	if (sh->front) {
		cmd_run_signal(sh->front, SIGINT);
		return;
	}
	if (sh->prompt_on) { /* the line typed so far is dropped, as in bash */
		fputs("^C\n", sh->tty);
		fflush(sh->tty);
		rl_replace_line("", 0);
		rl_on_new_line();
		rl_redisplay();
		return;
	}
	sh->quit = true; /* a script */
	sip_loop_stop(sh->loop);
}

static void on_sigterm(void *arg)
{
	struct shell *sh = arg;
	sh->quit = true;
	if (!sh->term_at)
		sh->term_at = sip_loop_now(sh->loop);
	if (sh->front)
		cmd_run_signal(sh->front, SIGTERM);
	else
		sip_loop_stop(sh->loop);
}

/* Ctrl-Z: the terminal as the parent shell wants it while we are stopped,
 * and the line drawn again when we go on. */
static void on_sigtstp(void *arg)
{
	struct shell *sh = arg;
	struct sigaction dfl, ours;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	if (sh->prompt_on)
		rl_cleanup_after_signal();
	fflush(sh->tty);
	sigaction(SIGTSTP, &dfl, &ours);
	raise(SIGTSTP);
	sigaction(SIGTSTP, &ours, NULL);
	if (sh->prompt_on) {
		rl_reset_after_signal();
		rl_forced_update_display();
	}
}

static void on_sigwinch(void *arg)
{
	struct shell *sh = arg;
	if (sh->prompt_on)
		rl_resize_terminal();
}

/* ---- the session ---- */

static int stack_new(struct shell *sh)
{
	struct sip_ua_opts o;
	memset(&o, 0, sizeof o);
	/* The options the one-shot commands give their stack, parsed the same way:
	 * a probe_ctx made and kept for its ua. */
	struct probe_ctx pc;
	struct probe_setup setup = {.show_messages = false};
	const struct cmd_host *h = cmd_host;
	cmd_host = NULL;
	int rc = probe_ctx_init(&pc, sh->cmd, &sh->cc, &setup);
	cmd_host = h;
	if (rc)
		return rc;
	sh->ua = pc.ua;
	pc.ua = NULL;
	probe_ctx_reset(&pc);
	sh->loop = sip_ua_loop(sh->ua);
	struct sip_sockaddr bound;
	char where[64] = "";
	int err = sip_ua_listen(sh->ua, SIP_TP_TCP);
	if (err == 0 && sip_ua_bound(sh->ua, SIP_TP_UDP, AF_UNSPEC, &bound) == 0)
		sip_sockaddr_print(&bound, where, sizeof where);
	if (err) {
		cmd_error(sh->cmd, "cannot listen for TCP: %s", sip_strerror(err));
		return EXIT_TRANSPORT;
	}
	if (sh->interactive)
		fprintf(stderr, "sip: shell: listening on %s (UDP, TCP); 'help' for the commands\n",
		        where);
	return 0;
}

/* While the jobs end: Ctrl-D (or the end of input) quits at once, as Ctrl-C does. */
static void on_input_at_exit(int fd, unsigned events, void *arg)
{
	struct shell *sh = arg;
	char buf[256];
	(void)events;
	ssize_t n = read(fd, buf, sizeof buf);
	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN) ||
	    memchr(buf, 4, n > 0 ? (size_t)n : 0))
		sip_loop_stop(sh->loop);
}

static void session_end(struct shell *sh)
{
	if (!sh->jobs)
		return;
	if (sh->interactive && work_left(sh))
		fprintf(stderr, "sip: shell: ending the calls, subscriptions and registrations "
		                "(Ctrl-C or Ctrl-D quits at once)\n");
	for (struct shell_job *j = sh->jobs; j; j = j->next)
		if (!j->over)
			cmd_run_end(j->run);
	/* Every job this time, the listener's too. */
	sh->quit = true;
	if (sh->interactive)
		sip_loop_fd(sh->loop, STDIN_FILENO, SIP_EV_READ, on_input_at_exit, sh);
	uint64_t grace = SHELL_EXIT_GRACE_US;
	if (sh->term_at) {
		uint64_t spent = sip_loop_now(sh->loop) - sh->term_at;
		grace = spent < SHELL_TERM_US ? SHELL_TERM_US - spent : 1;
	}
	wait_jobs(sh, grace);
	sip_loop_fd(sh->loop, STDIN_FILENO, 0, NULL, NULL);
	/* What is left is let go as a second Ctrl-C would, before the stack
	 * goes: its summary says so, and it is not a success. */
	while (sh->jobs) {
		struct shell_job *j = sh->jobs;
		sh->jobs = j->next;
		j->over = true;
		sip_timer_cancel(sh->loop, &j->finish);
		if (strcmp(j->run->job->kind, "listen") != 0) {
			fprintf(stderr, "sip: shell: %s %u did not end in time\n",
			        j->run->job->kind, j->n);
			if (!sh->status)
				sh->status = EXIT_TIMEOUT;
		}
		j->run->forced = 128 + SIGINT;
		j->run->job->finish(j->run->job_arg);
		free(j->arena);
		free(j);
	}
	cmd_flush();
}

int cmd_shell(const struct cmd *self, int argc, char **argv)
{
	static struct shell sh;
	const char *arg;
	int key;
	memset(&sh, 0, sizeof sh);
	the = &sh;
	sh.cmd = self;
	while ((key = cmd_getopt(self, &sh.cc, argc, argv, &arg)) >= 0)
		if (key == OPT_KEEP_GOING)
			sh.keep_going = true;
	if (key == -3)
		return EXIT_OK;
	if (key == -2)
		return EXIT_USAGE;
	if (optind < argc)
		return cmd_usage_error(self, "unexpected argument '%s'", argv[optind]);
	/* Each command would start the file again: a capture is a line's. */
	if (sh.cc.pcap)
		return cmd_usage_error(self,
		                       "--pcap goes on a command's line: a capture per command");
	defaults_from_argv(&sh, argc, argv);
	sh.interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if (!(sh.scratch = malloc(sizeof *sh.scratch))) {
		cmd_error(self, "out of memory");
		return EXIT_INTERNAL;
	}
	int rc = stack_new(&sh);
	if (rc) {
		free(sh.scratch);
		return rc;
	}
	static struct cmd_host h;
	h = host;
	h.loop = sh.loop;
	cmd_host = &h;
	sip_ua_auth_handler(sh.ua, on_need_credentials, &sh);
	/* The stack's messages, each to the command it belongs to. */
	sip_ua_set_handlers(sh.ua, on_trace, on_tp_err, &sh);
	sip_timer_init(&sh.redisplay);
	sip_timer_init(&sh.wait_timer);
	sip_loop_signal(sh.loop, SIGINT, on_sigint, &sh);
	sip_loop_signal(sh.loop, SIGTERM, on_sigterm, &sh);
	if (sh.interactive) {
		sip_loop_signal(sh.loop, SIGWINCH, on_sigwinch, &sh);
		sip_loop_signal(sh.loop, SIGTSTP, on_sigtstp, &sh);
		if (streams_install(&sh) != 0) {
			cmd_error(self, "cannot set up the terminal: %s", strerror(errno));
			return EXIT_INTERNAL;
		}
		rl_catch_signals = 0;
		rl_catch_sigwinch = 0;
		rl_outstream = sh.tty;
		rl_instream = stdin;
		rl_readline_name = "sip";
		rl_attempted_completion_function = complete;
		/* A URI's '@' and ':' do not end the word being completed. */
		rl_completer_word_break_characters = (char *)" \t\n\"'";
		using_history();
		history_path(&sh);
		if (sh.history[0])
			read_history(sh.history);
	}
	/* The shell answers what comes to its address: calls, MESSAGEs, NOTIFYs. */
	char *listen_argv[] = {(char *)"listen", NULL};
	if ((rc = run_command(&sh, cmd_find("listen"), 1, listen_argv)) != 0) {
		sh.quit = true;
		sh.status = rc;
	}
	char *line;
	while (!sh.quit && (line = read_line(&sh)) != NULL) {
		if (sh.interactive && history_keeps(line))
			add_history(line);
		int status = run_line(&sh, line);
		free(line);
		if (status && !sh.status)
			sh.status = status;
		if (status && !sh.interactive && !sh.keep_going)
			break;
	}
	session_end(&sh);
	if (sh.interactive)
		history_save(&sh);
	rl_callback_handler_remove();
	cmd_host = NULL;
	sip_ua_free(sh.ua);
	free(sh.scratch);
	for (size_t i = 0; i < sh.ndefaults; i++)
		free(sh.defaults[i].value);
	for (size_t i = 0; i < sh.nuris; i++)
		free(sh.uris[i]);
	for (size_t i = 0; i < ncands; i++)
		free(cands[i]);
	explicit_bzero(sh.password, sizeof sh.password);
	cmd_flush();
	if (sh.exit_set)
		return sh.exit_code;
	return sh.interactive ? EXIT_OK : sh.status;
}
