/* password.c - where a password comes from: a file, SIP_PASSWORD, or a
 * prompt on the terminal with echo off. Never from the command line, where
 * ps(1) would show it, and never into output or logs. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"
#include "run.h"

/* path opened for reading, or NULL after saying why not. A directory opens
 * too, and would read as empty. */
static FILE *open_file(const struct cmd *c, const char *path, struct stat *st)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		cmd_error(c, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), st) != 0 || S_ISDIR(st->st_mode)) {
		cmd_error(c, "cannot read '%s': %s", path,
		          S_ISDIR(st->st_mode) ? strerror(EISDIR) : strerror(errno));
		fclose(f);
		return NULL;
	}
	return f;
}

int cmd_password_file_check(const struct cmd *c, const struct cmd_common *cc)
{
	/* Not opened: a FIFO would block here, and lose what its writer sent. */
	const char *path = cc->password_file;
	struct stat st;
	if (!path)
		return 0;
	if (stat(path, &st) != 0 || access(path, R_OK) != 0) {
		cmd_error(c, "cannot open '%s': %s", path, strerror(errno));
		return EXIT_USAGE;
	}
	if (S_ISDIR(st.st_mode)) {
		cmd_error(c, "cannot read '%s': %s", path, strerror(EISDIR));
		return EXIT_USAGE;
	}
	return 0;
}

/* The first line of path, without its line end. */
static int from_file(const struct cmd *c, const char *path, char *buf, size_t cap)
{
	struct stat st;
	FILE *f = open_file(c, path, &st);
	if (!f)
		return EXIT_USAGE;
	if (st.st_mode & 077)
		cmd_warn(c, "'%s' can be read by others; chmod 600 it", path);
	bool ok = fgets(buf, (int)cap, f) != NULL;
	fclose(f);
	if (!ok) {
		cmd_error(c, "'%s' is empty: expected the password on its first line", path);
		return EXIT_USAGE;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/* A prompt on the terminal itself (a redirected stdin is left alone),
 * read from the loop: timers and retransmissions go on while the user types. */
struct cmd_prompt {
	const struct cmd *cmd;
	struct sip_loop *loop;
	int fd;
	struct termios old;
	char buf[256];
	size_t len;
	void (*done)(const char *password, void *arg);
	void *arg;
	struct sigaction old_tstp;
};

/* Ctrl-Z at the prompt (one prompt at a time): the terminal as it was while
 * stopped, echo off and the prompt again once continued. Only
 * async-signal-safe calls: it runs in the signal handler. */
static struct {
	volatile sig_atomic_t fd;
	struct termios old, quiet;
	char text[320];
	size_t len;
} tstp = {.fd = -1};

static void on_tstp(int signo)
{
	int e = errno;
	sigset_t set;
	tcsetattr(tstp.fd, TCSAFLUSH, &tstp.old);
	(void)!write(tstp.fd, "\n", 1);
	signal(signo, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, signo);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(signo); /* stopped here until SIGCONT */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_tstp;
	sigaction(signo, &sa, NULL);
	tcsetattr(tstp.fd, TCSAFLUSH, &tstp.quiet);
	(void)!write(tstp.fd, tstp.text, tstp.len);
	errno = e;
}

void cmd_prompt_free(struct cmd_prompt *p)
{
	if (!p)
		return;
	sigaction(SIGTSTP, &p->old_tstp, NULL);
	tstp.fd = -1;
	sip_loop_fd(p->loop, p->fd, 0, NULL, NULL);
	tcsetattr(p->fd, TCSAFLUSH, &p->old);
	dprintf(p->fd, "\n");
	close(p->fd);
	explicit_bzero(p->buf, sizeof p->buf);
	free(p);
}

static void on_typed(int fd, unsigned events, void *arg)
{
	struct cmd_prompt *p = arg;
	(void)events;
	ssize_t n = read(fd, p->buf + p->len, sizeof p->buf - 1 - p->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		p->len += (size_t)n;
	p->buf[p->len] = '\0';
	bool line = strchr(p->buf, '\n') != NULL;
	if (n > 0 && !line && p->len < sizeof p->buf - 1)
		return;
	p->buf[strcspn(p->buf, "\r\n")] = '\0';
	bool given = line || p->len > 0;
	if (!given)
		cmd_error(p->cmd, "no password given");
	void (*done)(const char *, void *) = p->done;
	void *done_arg = p->arg;
	char password[sizeof p->buf];
	memcpy(password, p->buf, sizeof password);
	cmd_prompt_free(p);
	done(given ? password : NULL, done_arg);
	explicit_bzero(password, sizeof password);
}

struct cmd_prompt *cmd_prompt_start(const struct cmd *c, struct sip_loop *loop, const char *who,
                                    void (*done)(const char *password, void *arg), void *arg)
{
	struct cmd_prompt *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (p->fd < 0 || tcgetattr(p->fd, &p->old) != 0) {
		if (p->fd >= 0)
			close(p->fd);
		free(p);
		return NULL;
	}
	p->cmd = c;
	p->loop = loop;
	p->done = done;
	p->arg = arg;
	struct termios quiet = p->old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	int n = snprintf(tstp.text, sizeof tstp.text, "Password for %s: ", who);
	tstp.len = n < 0 ? 0 : (size_t)n < sizeof tstp.text ? (size_t)n : sizeof tstp.text - 1;
	(void)!write(p->fd, tstp.text, tstp.len);
	/* What was typed before the prompt is not the answer to it. */
	tcsetattr(p->fd, TCSAFLUSH, &quiet);
	if (sip_loop_fd(loop, p->fd, SIP_EV_READ, on_typed, p) != 0) {
		tcsetattr(p->fd, TCSAFLUSH, &p->old);
		close(p->fd);
		free(p);
		return NULL;
	}
	tstp.old = p->old;
	tstp.quiet = quiet;
	tstp.fd = p->fd;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_tstp;
	sigaction(SIGTSTP, &sa, &p->old_tstp);
	return p;
}

int cmd_password(const struct cmd *c, const struct cmd_common *cc, char *buf, size_t cap)
{
	const char *env = getenv("SIP_PASSWORD");
	if (cc->password_file)
		return from_file(c, cc->password_file, buf, cap);
	/* The shell's `set password` comes before the environment's, as a
	 * later setting does. */
	if (cmd_host && cmd_host->password())
		env = cmd_host->password();
	if (env) {
		if (strlen(env) >= cap) {
			cmd_error(c, "SIP_PASSWORD is too long");
			return EXIT_USAGE;
		}
		memcpy(buf, env, strlen(env) + 1);
		return 0;
	}
	return -1;
}

void cmd_password_missing(const struct cmd *c, const char *who)
{
	cmd_error(c,
	          "%s needs a password: set SIP_PASSWORD, use --password-file, or run on a "
	          "terminal to be asked",
	          who);
}
