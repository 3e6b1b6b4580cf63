/* cmd.h - what the subcommands of `sip` share: the option tables that feed
 * getopt_long, --help and the completion scripts, output settings, error
 * messages and exit codes. */
#ifndef CMD_H
#define CMD_H

#include <stdbool.h>

#include "banned.h"
#include <sip/sip.h>

/* Exit codes, the same for every subcommand (sip(1), EXIT STATUS). */
enum {
	EXIT_OK = 0,
	EXIT_RESPONSE = 1, /* a final response outside 2xx */
	EXIT_USAGE = 2,    /* bad option, argument or URI */
	EXIT_TIMEOUT = 3,
	EXIT_TRANSPORT = 4,
	EXIT_DNS = 5,
	EXIT_AUTH = 6,
	EXIT_PROTOCOL = 7, /* a message could not be parsed or is invalid */
	EXIT_INTERNAL = 8,
};

/* One option of a subcommand: the single source for getopt_long, --help,
 * the man page test and `sip __complete`. */
struct cmd_opt {
	int key;          /* returned by cmd_getopt; unique within a command */
	const char *name; /* long name, without "--" */
	char short_name;  /* 0: none */
	const char *arg;  /* metavariable ("FORMAT"); NULL for a flag */
	const char *help;
	const char *values; /* space-separated values to complete, or NULL */
};

/* Groups of shared options a command accepts, parsed by cmd_common_opt. */
#define CMD_OPTS_OUTPUT 0x1 /* -o, --color, -v, -q */
#define CMD_OPTS_DNS 0x2    /* --dns-server, -4, -6 */
#define CMD_OPTS_NET 0x4    /* -p, -t, -l, --timeout, --t1, -H, --from... --insecure */
#define CMD_OPTS_NAGIOS 0x8 /* CMD_OPTS_OUTPUT with -o nagios */
#define CMD_OPTS_AUTH 0x10  /* -u, --auth-user, --password-file */
/* --pcap: every command that sends or receives SIP; CMD_OPTS_NET brings it. */
#define CMD_OPTS_CAPTURE 0x20

struct cmd {
	const char *name;
	int (*fn)(const struct cmd *self, int argc, char **argv);
	const char *summary;
	const char *usage;          /* after "sip NAME ": "[options] [FILE...]" */
	const struct cmd_opt *opts; /* ends with a zero entry */
	unsigned groups;            /* CMD_OPTS_* */
	const char *args; /* what positional arguments complete to: "file", "host", NULL */
};

/* Keys of the shared options; a command's own keys stay below 1000. */
enum {
	OPT_HELP = 1000,
	OPT_OUTPUT,
	OPT_COLOR,
	OPT_VERBOSE,
	OPT_QUIET,
	OPT_PROXY,
	OPT_TRANSPORT,
	OPT_LOCAL,
	OPT_TIMEOUT,
	OPT_T1,
	OPT_HEADER,
	OPT_FROM,
	OPT_TO,
	OPT_CONTACT,
	OPT_USER_AGENT,
	OPT_MAX_FORWARDS,
	OPT_CA_FILE,
	OPT_INSECURE,
	OPT_WS_PATH,
	OPT_WS_ORIGIN,
	OPT_WS_HEADER,
	OPT_DNS_SERVER,
	OPT_IPV4,
	OPT_IPV6,
	OPT_USER,
	OPT_AUTH_USER,
	OPT_PASSWORD_FILE,
	OPT_PCAP,
};

#define CMD_MAX_HEADERS 32

/* Settings from the shared options. */
struct cmd_common {
	enum sip_print_format format;
	bool format_set;
	bool color;
	int verbose;
	bool quiet;
	/* CMD_OPTS_DNS */
	const char *dns_server; /* HOST[:PORT] */
	int family;             /* AF_UNSPEC, AF_INET (-4) or AF_INET6 (-6) */
	/* CMD_OPTS_NET */
	const char *proxy;
	int transport;       /* enum sip_tp, or -1: as the target says */
	const char *local;   /* ADDR[:PORT] */
	uint64_t timeout_us; /* 0: Timer F's 64*T1 */
	uint64_t t1_us;      /* 0: 500 ms */
	const char *headers[CMD_MAX_HEADERS];
	size_t nheaders;
	const char *from, *to, *contact, *user_agent;
	char addr_buf[3][512]; /* --from, --to, --contact with the sip: they lacked */
	int max_forwards;      /* -1: default */
	const char *ca_file;
	bool insecure;
	/* WebSocket: the handshake's path (--ws-path, or a ws:// target's or
	 * proxy's, kept in ws_path_buf), Origin and more header lines */
	const char *ws_path, *ws_origin;
	const char *ws_path_from; /* the option or URL that gave it, for errors */
	char ws_path_buf[256];
	const char *ws_headers[CMD_MAX_HEADERS];
	size_t nws_headers;
	/* CMD_OPTS_CAPTURE */
	const char *pcap; /* every message sent and received, as a capture */
	/* CMD_OPTS_AUTH; the password itself never comes from the command line */
	const char *user;
	const char *auth_user;
	const char *password_file;
};

extern const struct cmd cmd_table[];

/* Walks a command's own options, then its shared groups'; *iter starts at 0. */
const struct cmd_opt *cmd_opt_next(const struct cmd *c, size_t *iter);
/* The command named name, or NULL. */
const struct cmd *cmd_find(const char *name);
/*
 * Walks argv like getopt_long over the command's own and shared options.
 * Returns an option key with *arg set, -1 when the options end (optind
 * then indexes the first operand), or -2 after printing a usage error.
 * Shared options are handled inside and not returned; --help prints the
 * help and returns -3 (the command then exits 0).
 */
int cmd_getopt(const struct cmd *c, struct cmd_common *common, int argc, char **argv,
               const char **arg);
/* A decimal in [min, max]: 0, else -1 (nothing said). */
int cmd_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
/* Checked number option: a decimal in [min, max], else a usage error. */
int cmd_parse_uint(const struct cmd *c, const char *opt, const char *s, unsigned long min,
                   unsigned long max, unsigned long *out);
/* --expect: the final response that counts as success. */
struct cmd_expect {
	int code; /* 0: 2xx; 200..699: that code; 2..6: that class (cls) */
	bool cls;
};
/* 404, 4xx, 4XX into e: 0, else a usage error that says so. */
int cmd_parse_expect(const struct cmd *c, const char *s, struct cmd_expect *e);
bool cmd_expect_ok(const struct cmd_expect *e, unsigned status);
/* Seconds with a fraction ("0.5") into microseconds: from 1 ms to max_s, or
 * 0 when zero_ok; else a usage error that says so. */
int cmd_parse_seconds(const struct cmd *c, const char *opt, const char *s, bool zero_ok,
                      double max_s, uint64_t *out);
/* The summary after the messages is text: pretty, or raw with -q (the
 * messages left out, the summary is what there is to print). */
bool cmd_summary_text(const struct cmd_common *cc);
/* Flushes stdout, keeping the errno of the first write that failed: by the
 * time the command ends, the loop's calls have set errno again. */
void cmd_flush(void);
/* That errno, or 0. */
int cmd_stdout_errno(void);
/* Prints "sip: NAME: message" to stderr. */
void cmd_error(const struct cmd *c, const char *fmt, ...) SIP_PRINTF(2, 3);
void cmd_warn(const struct cmd *c, const char *fmt, ...) SIP_PRINTF(2, 3);
/* A peer's text for a terminal: what it would act on (an escape sequence
 * in a reason phrase) written as \xNN; into buf, cut to fit, and returned. */
void cmd_put_safe(FILE *f, struct sip_str s);
const char *cmd_safe(char *buf, size_t cap, struct sip_str s);
/* A usage error: the message and the --help hint; returns EXIT_USAGE. */
int cmd_usage_error(const struct cmd *c, const char *fmt, ...) SIP_PRINTF(2, 3);
/* The message of the last cmd_error, without "sip: NAME: "; "" before one. */
const char *cmd_last_error(void);
/* The value the last -o/--output in argv gives, or NULL: read before the
 * options are, so that a usage error anywhere is said in that format. */
const char *cmd_argv_output(const struct cmd *c, int argc, char **argv);
void cmd_help(const struct cmd *c, FILE *f);
/*
 * A target as the user gives it: a SIP URI, a bare host[:port] read as
 * sip:host[:port], or a ws:// or wss:// URL read as sip:host[:port] with
 * ;transport=ws or wss, whose path goes to cc's ws_path (with cc NULL, a
 * path is taken and ignored). Written into buf, which the URI points into.
 * Returns 0, or EXIT_USAGE after printing "bad target 'ARG': REASON".
 */
int cmd_parse_target(const struct cmd *c, struct cmd_common *cc, const char *arg, char *buf,
                     size_t cap, struct sip_uri *uri);
/* sip:, sips: or tel: begins s. Anything else ("host:5060", "alice@host")
 * is a target or address written without its scheme. */
bool cmd_has_scheme(const char *s);
/* A URI or name-addr value for header name (a missing scheme is sip:, as in
 * a target): *out is arg, or buf with the scheme. 0, or EXIT_USAGE after
 * "bad value 'ARG' for NAME: REASON". */
int cmd_parse_addr(const struct cmd *c, const char *name, const char *arg, char *buf, size_t cap,
                   const char **out);
/* s is an RFC 3261 token (a method, a tag). */
bool cmd_is_token(const char *s);
/* A -H header is named name, or its compact form (a letter, or 0 for none). */
bool cmd_header_given(const struct cmd_common *cc, const char *name, char compact);
/* Says why sip_resolve refused a target (SIP_EINVAL): its transport or
 * address family against -t (mask of allowed transports, 0: any), -4, -6. */
void cmd_explain_conflict(const struct cmd *c, const struct cmd_common *cc, unsigned mask,
                          const char *arg, const struct sip_uri *u);
/* A resolver that asks --dns-server, or resolv.conf's servers. Returns 0,
 * or an exit code after printing why not. */
int cmd_resolver_new(const struct cmd *c, const struct cmd_common *cc, struct sip_loop *loop,
                     struct sip_resolver **rp);
/* After a stack or resolver could not be set up: says so and returns the
 * exit code when err is the DNS set-up's (or memory), else 0 and says nothing. */
int cmd_dns_error(const struct cmd *c, const struct cmd_common *cc, int err);

/* After a command's loop has ended on Ctrl-C or SIGTERM: a copy of the
 * signal still on its way (timeout(1) signals the process group too) must
 * not kill the process while it prints its summary. */
void cmd_signals_done(void);

/* The password from --password-file or SIP_PASSWORD: 0, -1 when neither gives one (a prompt may), or an exit
 * code after saying why. */
int cmd_password(const struct cmd *c, const struct cmd_common *cc, char *buf, size_t cap);
/* --password-file can be read (not a directory): 0, or EXIT_USAGE after
 * saying why, before anything is sent rather than at the first challenge. */
int cmd_password_file_check(const struct cmd *c, const struct cmd_common *cc);
/* Says that who has no password to be had. */
void cmd_password_missing(const struct cmd *c, const char *who);
/* Asks for it on the terminal, echo off, read from loop: done gets it (or
 * NULL, said why) and the prompt is gone. NULL when there is no terminal.
 * cmd_prompt_free ends one still waiting (the terminal as it was). */
struct cmd_prompt;
struct cmd_prompt *cmd_prompt_start(const struct cmd *c, struct sip_loop *loop, const char *who,
                                    void (*done)(const char *password, void *arg), void *arg);
void cmd_prompt_free(struct cmd_prompt *p);

/* Each subcommand: its entry point and its own options (cmd/NAME.c). */
int cmd_decode(const struct cmd *self, int argc, char **argv);
extern const struct cmd_opt decode_opts[];
int cmd_resolve(const struct cmd *self, int argc, char **argv);
extern const struct cmd_opt resolve_opts[];
int cmd_options(const struct cmd *self, int argc, char **argv);
extern const struct cmd_opt options_opts[];
int cmd_listen(const struct cmd *self, int argc, char **argv);
extern const struct cmd_opt listen_opts[];
int cmd_register(const struct cmd *self, int argc, char **argv);
extern const struct cmd_opt register_opts[];
int cmd_invite(const struct cmd *self, int argc, char **argv);
extern const struct cmd_opt invite_opts[];
int cmd_send(const struct cmd *self, int argc, char **argv);
extern const struct cmd_opt send_opts[];
/* request, message and notify: one runner, each command a preset (cmd/request.c). */
int cmd_request(const struct cmd *self, int argc, char **argv);
extern const struct cmd_opt request_opts[];
extern const struct cmd_opt message_opts[];
extern const struct cmd_opt notify_opts[];
int cmd_subscribe(const struct cmd *self, int argc, char **argv);
extern const struct cmd_opt subscribe_opts[];
int cmd_refer(const struct cmd *self, int argc, char **argv);
extern const struct cmd_opt refer_opts[];
int cmd_shell(const struct cmd *self, int argc, char **argv);
extern const struct cmd_opt shell_opts[];

#endif
