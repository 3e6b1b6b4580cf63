/* password.c - where a password comes from: a file, SIP_PASSWORD, or a
 * prompt on the terminal with echo off. Never from the command line, where
 * ps(1) would show it, and never into output or logs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"

/* The first line of path, without its line end. */
static int from_file(const struct cmd *c, const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	struct stat st;
	if (!f) {
		cmd_error(c, "cannot open '%s': %s", path, strerror(errno));
		return EXIT_USAGE;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
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

/* Asks on the terminal itself, so that a redirected stdin is left alone. */
static int prompt(const struct cmd *c, const char *who, char *buf, size_t cap)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	struct termios old, quiet;
	if (fd < 0 || tcgetattr(fd, &old) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	dprintf(fd, "Password for %s: ", who);
	tcsetattr(fd, TCSAFLUSH, &quiet);
	ssize_t n = read(fd, buf, cap - 1);
	tcsetattr(fd, TCSAFLUSH, &old);
	dprintf(fd, "\n");
	close(fd);
	if (n <= 0) {
		cmd_error(c, "no password given");
		return EXIT_AUTH;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

int cmd_password(const struct cmd *c, const struct cmd_common *cc, const char *who, char *buf,
                 size_t cap)
{
	const char *env = getenv("SIP_PASSWORD");
	if (cc->password_file)
		return from_file(c, cc->password_file, buf, cap);
	if (env) {
		if (strlen(env) >= cap) {
			cmd_error(c, "SIP_PASSWORD is too long");
			return EXIT_USAGE;
		}
		memcpy(buf, env, strlen(env) + 1);
		return 0;
	}
	int rc = prompt(c, who, buf, cap);
	if (rc >= 0)
		return rc;
	cmd_error(c,
	          "%s needs a password: set SIP_PASSWORD, use --password-file, or run on a "
	          "terminal to be asked",
	          who);
	return EXIT_AUTH;
}
