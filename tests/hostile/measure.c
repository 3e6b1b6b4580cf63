/*
 * measure - run a command with a time limit and report how it ended, how
 * long it took and its peak memory, without GNU time.
 *
 *   measure [-o FILE] SECONDS CMD [ARG...]
 *
 * CMD runs in a process group of its own with stdin from /dev/null and
 * stdout and stderr inherited. When it has not ended after SECONDS (a
 * fraction allowed), the whole group gets SIGKILL. One line goes to FILE
 * (or to stderr):
 *
 *   exit=3 ms=812 maxrss_kb=14200
 *   signal=11 ms=40 maxrss_kb=9000
 *   killed ms=5000 maxrss_kb=20000
 *
 * measure itself exits 0 once it has written the line, 1 when CMD could
 * not be run, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(void)
{
	fputs("usage: measure [-o FILE] SECONDS CMD [ARG...]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *outfile = NULL;
	int a = 1;
	if (a + 1 < argc && strcmp(argv[a], "-o") == 0) {
		outfile = argv[a + 1];
		a += 2;
	}
	if (argc - a < 2)
		usage();
	char *end;
	double limit = strtod(argv[a], &end);
	if (*end || end == argv[a] || !(limit > 0 && limit <= 86400))
		usage();
	a++;

	/* The child's exec failure comes back through a close-on-exec pipe. */
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		perror("measure: pipe");
		return 1;
	}
	long long start = now_ms();
	pid_t pid = fork();
	if (pid < 0) {
		perror("measure: fork");
		return 1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		int fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		execvp(argv[a], argv + a);
		int e = errno;
		(void)!write(pfd[1], &e, sizeof(e));
		_exit(127);
	}
	setpgid(pid, pid);
	close(pfd[1]);
	int e = 0;
	if (read(pfd[0], &e, sizeof(e)) == (ssize_t)sizeof(e)) {
		fprintf(stderr, "measure: %s: %s\n", argv[a], strerror(e));
		waitpid(pid, NULL, 0);
		return 1;
	}
	close(pfd[0]);

	long long deadline = start + (long long)(limit * 1000);
	int status = 0, killed = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	for (;;) {
		pid_t w = wait4(pid, &status, WNOHANG, &ru);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			perror("measure: wait4");
			return 1;
		}
		if (!killed && now_ms() >= deadline) {
			kill(-pid, SIGKILL);
			killed = 1;
		}
		/* Polled, not a SIGALRM: 10 ms is fine for a limit of seconds. */
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	long long ms = now_ms() - start;
	/* Whatever the command left behind in its group goes with it. */
	kill(-pid, SIGKILL);

	FILE *out = stderr;
	if (outfile && !(out = fopen(outfile, "w"))) {
		fprintf(stderr, "measure: %s: %s\n", outfile, strerror(errno));
		return 1;
	}
	if (killed)
		fprintf(out, "killed ms=%lld maxrss_kb=%ld\n", ms, ru.ru_maxrss);
	else if (WIFSIGNALED(status))
		fprintf(out, "signal=%d ms=%lld maxrss_kb=%ld\n", WTERMSIG(status), ms,
		        ru.ru_maxrss);
	else
		fprintf(out, "exit=%d ms=%lld maxrss_kb=%ld\n", WEXITSTATUS(status), ms,
		        ru.ru_maxrss);
	if (out != stderr && fclose(out) != 0) {
		fprintf(stderr, "measure: %s: %s\n", outfile, strerror(errno));
		return 1;
	}
	return 0;
}
