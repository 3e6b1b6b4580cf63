/*
 * sip.c - the `sip` command: the table of subcommands, `sip help`,
 * `sip --version`, the hidden `sip __complete` that the completion scripts
 * ask, and the check that standard output was written.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

const struct cmd cmd_table[] = {
	{"decode", cmd_decode, "decode and validate SIP messages", "[options] [FILE...]",
         decode_opts, CMD_OPTS_OUTPUT, "file"},
	{"options", cmd_options, "probe servers with OPTIONS: alive, capabilities, round trip",
         "[options] TARGET...", options_opts,
         CMD_OPTS_NAGIOS | CMD_OPTS_DNS | CMD_OPTS_NET | CMD_OPTS_AUTH, "host"},
	{"register", cmd_register, "register a binding, list or remove bindings, stay registered",
         "[options] ADDRESS-OF-RECORD", register_opts,
         CMD_OPTS_OUTPUT | CMD_OPTS_DNS | CMD_OPTS_NET | CMD_OPTS_AUTH, "host"},
	{"invite", cmd_invite, "make a call: INVITE, ring, answer, hold, BYE (or CANCEL)",
         "[options] TARGET", invite_opts,
         CMD_OPTS_OUTPUT | CMD_OPTS_DNS | CMD_OPTS_NET | CMD_OPTS_AUTH, "host"},
	{"message", cmd_request, "send an instant message (MESSAGE, RFC 3428)",
         "[options] TARGET [TEXT|-]", message_opts,
         CMD_OPTS_OUTPUT | CMD_OPTS_DNS | CMD_OPTS_NET | CMD_OPTS_AUTH, "host"},
	{"notify", cmd_request, "send a NOTIFY to a phone: check-sync, voicemail lamp",
         "[options] --event NAME TARGET", notify_opts,
         CMD_OPTS_OUTPUT | CMD_OPTS_DNS | CMD_OPTS_NET | CMD_OPTS_AUTH, "host"},
	{"request", cmd_request, "send one request of any method (INFO, PUBLISH, ...)",
         "[options] METHOD TARGET", request_opts,
         CMD_OPTS_OUTPUT | CMD_OPTS_DNS | CMD_OPTS_NET | CMD_OPTS_AUTH, "host"},
	{"subscribe", cmd_subscribe, "subscribe to an event package and show each NOTIFY decoded",
         "[options] TARGET", subscribe_opts,
         CMD_OPTS_OUTPUT | CMD_OPTS_DNS | CMD_OPTS_NET | CMD_OPTS_AUTH, "host"},
	{"refer", cmd_refer, "ask a target to call someone (REFER): a transfer and its progress",
         "[options] TARGET REFER_TO", refer_opts,
         CMD_OPTS_OUTPUT | CMD_OPTS_DNS | CMD_OPTS_NET | CMD_OPTS_AUTH, "host"},
	{"listen", cmd_listen, "a phone to test against: rings, answers, takes transfers, notifies",
         "[options] [ADDR][:PORT]", listen_opts,
         CMD_OPTS_OUTPUT | CMD_OPTS_DNS | CMD_OPTS_NET | CMD_OPTS_AUTH, NULL},
	{"send", cmd_send, "send a request written by hand, its placeholders filled in",
         "[options] FILE|- [TARGET]", send_opts,
         CMD_OPTS_OUTPUT | CMD_OPTS_DNS | CMD_OPTS_NET | CMD_OPTS_AUTH, "file"},
	{"shell", cmd_shell,
         "an interactive shell: every command a line, registrations and calls kept", "[options]",
         shell_opts, CMD_OPTS_OUTPUT | CMD_OPTS_DNS | CMD_OPTS_NET | CMD_OPTS_AUTH, NULL},
	{"resolve", cmd_resolve, "show how a target resolves (RFC 3263)", "[options] TARGET",
         resolve_opts, CMD_OPTS_OUTPUT | CMD_OPTS_DNS, "host"},
	{NULL, NULL, NULL, NULL, NULL, 0, NULL},
};

/* The options of `sip` itself, before any command. */
static const struct cmd_opt top_opts[] = {
	{OPT_HELP, "help", 'h', NULL, "list the commands", NULL},
	{1, "version", 0, NULL, "print the version", NULL},
	{0, NULL, 0, NULL, NULL, NULL},
};

static void list_commands(FILE *f)
{
	size_t width = 0;

	fprintf(f, "usage: sip COMMAND [options] [ARGS...]\n"
	           "       sip help COMMAND\n"
	           "       sip --version\n\n"
	           "commands:\n");
	for (const struct cmd *c = cmd_table; c->name; c++)
		if (strlen(c->name) > width)
			width = strlen(c->name);
	for (const struct cmd *c = cmd_table; c->name; c++)
		fprintf(f, "  %-*s  %s\n", (int)width, c->name, c->summary);
	fprintf(f, "\nSee 'sip help COMMAND' or 'sip COMMAND --help' for a command's options,\n"
	           "and sip(1) for exit codes and more.\n");
}

static void complete_opt(FILE *f, const struct cmd_opt *o)
{
	fprintf(f, "--%s\n", o->name);
	if (o->short_name)
		fprintf(f, "-%c\n", o->short_name);
}

/* The table's FILE metavariable is what says that a file name completes the value. */
static bool takes_file(const struct cmd_opt *o)
{
	return o->arg && strcmp(o->arg, "FILE") == 0;
}

/* "--output=raw pretty json": the option takes a value, and these complete it. */
static void complete_values(FILE *f, const struct cmd_opt *o)
{
	if (!o->arg)
		return;
	fprintf(f, "--%s=%s\n", o->name, o->values ? o->values : "");
	if (o->short_name)
		fprintf(f, "-%c=%s\n", o->short_name, o->values ? o->values : "");
}

/*
 * sip __complete commands       the command names, one a line
 * sip __complete options [CMD]  every option as "--long" and "-s" lines, then for
 *                               each option that takes a value "--long=V1 V2..."
 *                               and "-s=V1 V2..." (values may be empty)
 * sip __complete files CMD      the options whose value is a file name, as
 *                               "--long" and "-s" lines
 * sip __complete args CMD       what the operands are: file, command, or nothing
 */
static int complete(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	const struct cmd *c = NULL;
	const struct cmd_opt *o;
	size_t it;

	if (argc > 2) {
		c = cmd_find(argv[2]);
		if (!c && strcmp(argv[2], "help") != 0)
			return EXIT_USAGE;
	}
	if (strcmp(what, "commands") == 0) {
		for (const struct cmd *k = cmd_table; k->name; k++)
			printf("%s\n", k->name);
	} else if (strcmp(what, "options") == 0) {
		if (!c) { /* `sip` itself, or `sip help` */
			if (argc <= 2)
				for (o = top_opts; o->name; o++)
					complete_opt(stdout, o);
			return EXIT_OK;
		}
		for (it = 0; (o = cmd_opt_next(c, &it));)
			complete_opt(stdout, o);
		for (it = 0; (o = cmd_opt_next(c, &it));)
			complete_values(stdout, o);
	} else if (strcmp(what, "files") == 0) {
		if (!c)
			return argc > 2 ? EXIT_OK : EXIT_USAGE;
		for (it = 0; (o = cmd_opt_next(c, &it));)
			if (takes_file(o))
				complete_opt(stdout, o);
	} else if (strcmp(what, "args") == 0) {
		if (argc <= 2)
			return EXIT_USAGE;
		if (!c)
			printf("command\n");
		else if (c->args)
			printf("%s\n", c->args);
	} else {
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* Optimal string alignment distance: a typo's swapped letters count once. */
static size_t distance(const char *a, const char *b)
{
	enum { CAP = 32 };
	size_t la = strlen(a), lb = strlen(b);
	size_t d[CAP + 1][CAP + 1];
	if (la > CAP || lb > CAP)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

/* "sip: 'opitons' is not a sip command", with the nearest command when one
 * is a typo or two away (and nearer than any other), as git does. */
static int not_a_command(const char *name)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;
	bool tie = false;
	for (const struct cmd *c = cmd_table;; c++) {
		const char *cand = c->name ? c->name : "help";
		size_t d = distance(name, cand);
		if (d < best_d) {
			best = cand;
			best_d = d;
			tie = false;
		} else if (d == best_d) {
			tie = true;
		}
		if (!c->name)
			break;
	}
	if (best && !tie && best_d <= 2 && best_d < strlen(name))
		fprintf(stderr, "sip: '%s' is not a sip command. Did you mean '%s'?\n", name, best);
	else
		fprintf(stderr, "sip: '%s' is not a sip command. See 'sip help'.\n", name);
	return EXIT_USAGE;
}

static int run(int argc, char **argv)
{
	const char *name = argv[1];
	const struct cmd *c;

	if (argc < 2 && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		const struct cmd *shell = cmd_find("shell");
		return shell->fn(shell, 1, (char *[]){(char *)"shell", NULL});
	}
	if (argc < 2) {
		list_commands(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		/* `sip help help`: the help of help is the list of commands. */
		if (argc < 3 || strcmp(argv[2], "help") == 0) {
			list_commands(stdout);
			return EXIT_OK;
		}
		c = cmd_find(argv[2]);
		if (!c)
			return not_a_command(argv[2]);
		cmd_help(c, stdout);
		return EXIT_OK;
	}
	if (strcmp(name, "--version") == 0) {
		printf("sip %s\n", SIP_VERSION);
		return EXIT_OK;
	}
	if (strcmp(name, "__complete") == 0)
		return complete(argc - 1, argv + 1);
	if (name[0] == '-') {
		fprintf(stderr, "sip: unknown option '%.*s'\nSee 'sip help'.\n",
		        (int)strcspn(name, "="), name);
		return EXIT_USAGE;
	}
	c = cmd_find(name);
	if (!c)
		return not_a_command(name);
	return c->fn(c, argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	/* A file size limit (ulimit -f) fails the write that crosses it, as a
	 * full disk does, instead of killing the process: a --pcap capture then
	 * ends with a line saying why and the command goes on. */
	signal(SIGXFSZ, SIG_IGN);
	int status = run(argc, argv);

	/* As git does: a full disk or a closed pipe must not pass for success.
	 * The first failed write says why; errno now may be anything's since. */
	int err = fflush(stdout) != 0 ? errno : 0;
	if (err || ferror(stdout)) {
		if (cmd_stdout_errno())
			err = cmd_stdout_errno();
		fprintf(stderr, "sip: cannot write to standard output: %s\n",
		        err ? strerror(err) : "write error");
		return EXIT_INTERNAL;
	}
	return status;
}
