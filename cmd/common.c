/*
 * common.c - what the subcommands share: finding a command, walking its
 * options with getopt_long over one table built from the command's own
 * options and its shared groups, the shared output options, checked
 * numbers, error messages in one voice, and --help generated from the
 * same tables.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"
#include "run.h"

/* Not in cmd.h yet: sip.c uses it for `sip __complete`. */

/* -h/--help: every command has it. */
static const struct cmd_opt help_opts[] = {
	{OPT_HELP, "help", 'h', NULL, "show this help and exit", NULL},
	{0, NULL, 0, NULL, NULL, NULL},
};

/* CMD_OPTS_OUTPUT: -o; CMD_OPTS_NAGIOS: the same with one more format. */
static const struct cmd_opt format_opts[] = {
	{OPT_OUTPUT, "output", 'o', "FORMAT",
         "raw, pretty or json (default: pretty on a terminal, else raw)", "raw pretty json"},
	{0, NULL, 0, NULL, NULL, NULL},
};

static const struct cmd_opt format_nagios_opts[] = {
	{OPT_OUTPUT, "output", 'o', "FORMAT",
         "raw, pretty, json or nagios (default: pretty on a terminal, else raw)",
         "raw pretty json nagios"},
	{0, NULL, 0, NULL, NULL, NULL},
};

static const struct cmd_opt display_opts[] = {
	{OPT_COLOR, "color", 0, "WHEN", "colour the pretty output: auto, always or never",
         "auto always never"},
	{OPT_VERBOSE, "verbose", 'v', NULL, "say more; repeat for even more", NULL},
	{OPT_QUIET, "quiet", 'q', NULL, "print only the problems, not the messages", NULL},
	{0, NULL, 0, NULL, NULL, NULL},
};

/* CMD_OPTS_NET: how requests are built and where they go. */
static const struct cmd_opt net_opts[] = {
	{OPT_PROXY, "proxy", 'p', "URI", "send through this outbound proxy", NULL},
	{OPT_TRANSPORT, "transport", 't', "PROTO",
         "udp, tcp, tls, ws or wss (default: as the target says)", "udp tcp tls ws wss"},
	{OPT_LOCAL, "local", 'l', "ADDR[:PORT]", "local address and port to send from", NULL},
	{OPT_TIMEOUT, "timeout", 0, "SECONDS", "give up after this long (default: 64*T1)", NULL},
	{OPT_T1, "t1", 0, "MS", "RFC 3261 T1, the first retransmit interval (default 500)", NULL},
	{OPT_HEADER, "header", 'H', "'NAME: VALUE'", "add a header, or replace a default one",
         NULL},
	{OPT_FROM, "from", 0, "URI",
         "From address (default: sip:USER@TARGET-DOMAIN with -u, else sip:sip@LOCAL-ADDRESS)",
         NULL},
	{OPT_TO, "to", 0, "URI", "To address (default: the target)", NULL},
	{OPT_CONTACT, "contact", 0, "URI", "Contact address (default: from the local address)",
         NULL},
	{OPT_USER_AGENT, "user-agent", 0, "TEXT", "User-Agent header (default: sip/VERSION)", NULL},
	{OPT_MAX_FORWARDS, "max-forwards", 0, "N", "Max-Forwards (default 70)", NULL},
	{OPT_CA_FILE, "ca-file", 0, "FILE", "TLS: trust the CAs in FILE", NULL},
	{OPT_INSECURE, "insecure", 0, NULL, "TLS: do not verify the server certificate", NULL},
	{OPT_WS_PATH, "ws-path", 0, "PATH", "WebSocket: the handshake's path (default: /)", NULL},
	{OPT_WS_ORIGIN, "ws-origin", 0, "URL", "WebSocket: send this Origin", NULL},
	{OPT_WS_HEADER, "ws-header", 0, "LINE", "WebSocket: add 'Name: value' to the handshake",
         NULL},
	{0, NULL, 0, NULL, NULL, NULL},
};

/* CMD_OPTS_CAPTURE: what went over the wire, for Wireshark. */
static const struct cmd_opt capture_opts[] = {
	{OPT_PCAP, "pcap", 0, "FILE", "write every message sent and received to FILE (pcap)", NULL},
	{0, NULL, 0, NULL, NULL, NULL},
};

/* CMD_OPTS_DNS: how a target's name is looked up. */
static const struct cmd_opt dns_opts[] = {
	{OPT_DNS_SERVER, "dns-server", 0, "HOST[:PORT]",
         "ask this DNS server (an IP address) instead of resolv.conf's", NULL},
	{OPT_IPV4, "ipv4", '4', NULL, "use IPv4 addresses only", NULL},
	{OPT_IPV6, "ipv6", '6', NULL, "use IPv6 addresses only", NULL},
	{0, NULL, 0, NULL, NULL, NULL},
};

/* CMD_OPTS_AUTH: who we are when challenged. The password comes from
 * SIP_PASSWORD, a file or a prompt: ps(1) shows arguments to everyone. */
static const struct cmd_opt auth_opts[] = {
	{OPT_USER, "user", 'u', "USER",
         "user name to authenticate as (password: SIP_PASSWORD, "
         "--password-file or a prompt)",
         NULL},
	{OPT_AUTH_USER, "auth-user", 0, "NAME", "authentication name, when it differs from --user",
         NULL},
	{OPT_PASSWORD_FILE, "password-file", 0, "FILE", "read the password from FILE's first line",
         NULL},
	{0, NULL, 0, NULL, NULL, NULL},
};

static const struct {
	unsigned flag; /* a command with any of these bits gets the options */
	const struct cmd_opt *opts;
} groups[] = {
	{CMD_OPTS_OUTPUT, format_opts},
	{CMD_OPTS_NAGIOS, format_nagios_opts},
	{CMD_OPTS_OUTPUT | CMD_OPTS_NAGIOS, display_opts},
	{CMD_OPTS_NET, net_opts},
	{CMD_OPTS_NET | CMD_OPTS_CAPTURE, capture_opts},
	{CMD_OPTS_AUTH, auth_opts},
	{CMD_OPTS_DNS, dns_opts},
};

const struct cmd *cmd_find(const char *name)
{
	for (const struct cmd *c = cmd_table; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/*
 * Every option c accepts, in --help order: its own, then each shared group
 * it has, then -h. Start with *iter = 0; NULL at the end.
 */
/* A command's own entry with a shared option's key replaces the shared one,
 * to say what the option means there (register's From is the address of
 * record); the shared code still parses it. */
static bool replaced(const struct cmd *c, const struct cmd_opt *shared)
{
	for (const struct cmd_opt *o = c->opts; o && o->name; o++)
		if (o->key == shared->key)
			return true;
	return false;
}

const struct cmd_opt *cmd_opt_next(const struct cmd *c, size_t *iter)
{
	const struct cmd_opt *lists[1 + sizeof groups / sizeof groups[0] + 1];
	size_t nlists = 0;

	lists[nlists++] = c->opts;
	for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
		if (c->groups & groups[g].flag)
			lists[nlists++] = groups[g].opts;
	lists[nlists++] = help_opts;

	for (;;) {
		size_t i = (*iter)++, l;
		for (l = 0; l < nlists; l++) {
			const struct cmd_opt *o = lists[l];
			size_t n = 0;
			while (o && o[n].name)
				n++;
			if (i < n)
				break;
			i -= n;
		}
		if (l == nlists)
			return NULL;
		if (l == 0 || !replaced(c, &lists[l][i]))
			return &lists[l][i];
	}
}

static void vmsg(const struct cmd *c, const char *prefix, const char *fmt, va_list ap)
	SIP_PRINTF(3, 0);

static void vmsg(const struct cmd *c, const char *prefix, const char *fmt, va_list ap)
{
	if (c)
		fprintf(stderr, "sip: %s: %s", c->name, prefix);
	else
		fprintf(stderr, "sip: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static char last_error[256];

void cmd_error(const struct cmd *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(c, "", fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
}

const char *cmd_last_error(void)
{
	return last_error;
}

void cmd_warn(const struct cmd *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(c, "warning: ", fmt, ap);
	va_end(ap);
}

static void see_help(const struct cmd *c)
{
	fprintf(stderr, "See 'sip %s --help'.\n", c->name);
}

/* A character a terminal would act on: written as \xNN. */
static bool unsafe(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

void cmd_put_safe(FILE *f, struct sip_str s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (unsafe(c))
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

const char *cmd_safe(char *buf, size_t cap, struct sip_str s)
{
	size_t o = 0;
	for (size_t i = 0; i < s.len && o + 5 <= cap; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (unsafe(c))
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (cap)
		buf[o] = '\0';
	return buf;
}

int cmd_usage_error(const struct cmd *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(c, "", fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
	see_help(c);
	return EXIT_USAGE;
}

/* "--output" for "output" or "--output"; "-o" stays. */
static const char *dashed(const char *opt, char *buf, size_t cap)
{
	if (opt[0] == '-')
		return opt;
	snprintf(buf, cap, "--%s", opt);
	return buf;
}

static int stdout_errno;

void cmd_flush(void)
{
	if (fflush(stdout) != 0 && !stdout_errno)
		stdout_errno = errno;
}

int cmd_stdout_errno(void)
{
	return stdout_errno;
}

bool cmd_summary_text(const struct cmd_common *cc)
{
	return cc->format == SIP_PRINT_PRETTY || (cc->format == SIP_PRINT_RAW && cc->quiet);
}

void cmd_signals_done(void)
{
	if (cmd_host) /* the shell's to keep */
		return;
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
}

int cmd_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	/* strtoul would take leading blanks, a sign and "0x" as octal/hex prefixes. */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int cmd_parse_uint(const struct cmd *c, const char *opt, const char *s, unsigned long min,
                   unsigned long max, unsigned long *out)
{
	char name[64];
	if (cmd_uint(s, min, max, out) == 0)
		return 0;
	cmd_error(c, "bad value '%s' for %s: expected a whole number from %lu to %lu", s,
	          dashed(opt, name, sizeof name), min, max);
	see_help(c);
	return -2;
}

/* A microsecond is what the timers count: a fraction below the millisecond
 * they are given in would round to 0, which means "the default" or "at once". */
#define MIN_SECONDS 0.001

int cmd_parse_seconds(const struct cmd *c, const char *opt, const char *s, bool zero_ok,
                      double max_s, uint64_t *out)
{
	char name[64];
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	/* strtod also reads "inf", "nan" and hex: only plain decimals count. */
	bool plain = strspn(s, "0123456789.") == strlen(s) && strpbrk(s, "0123456789");
	if (plain && end != s && !*end && !errno &&
	    ((zero_ok && v == 0) || (v >= MIN_SECONDS && v <= max_s))) {
		*out = (uint64_t)(v * 1e6 + 0.5);
		return 0;
	}
	cmd_error(c, "bad value '%s' for %s: expected %sseconds from %g to %g", s,
	          dashed(opt, name, sizeof name), zero_ok ? "0, or " : "", MIN_SECONDS, max_s);
	see_help(c);
	return -2;
}

/* The option --NAME (len characters of it) names as getopt_long reads it:
 * itself, or the one option it is a prefix of. */
static const struct cmd_opt *long_match(const struct cmd *c, const char *name, size_t len)
{
	const struct cmd_opt *o, *found = NULL;
	size_t it = 0, nfound = 0;
	while ((o = cmd_opt_next(c, &it))) {
		if (strncmp(o->name, name, len) != 0)
			continue;
		if (strlen(o->name) == len)
			return o;
		found = o;
		nfound++;
	}
	return nfound == 1 ? found : NULL;
}

static const struct cmd_opt *short_match(const struct cmd *c, char letter)
{
	const struct cmd_opt *o;
	size_t it = 0;
	while ((o = cmd_opt_next(c, &it)))
		if (o->short_name == letter)
			return o;
	return NULL;
}

const char *cmd_argv_output(const struct cmd *c, int argc, char **argv)
{
	const char *out = NULL;
	/* argv[0] is the command; the values of other options are stepped over. */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i];
		const struct cmd_opt *o = NULL;
		const char *v = NULL;
		if (a[0] != '-' || !a[1])
			continue;
		if (a[1] == '-') {
			size_t len = strcspn(a + 2, "=");
			o = long_match(c, a + 2, len);
			if (o && o->arg)
				v = a[2 + len] == '=' ? a + 3 + len
				    : i + 1 < argc    ? argv[++i]
				                      : NULL;
		} else {
			/* "-qo" "nagios", "-onagios": flags, then one that takes the rest */
			for (const char *p = a + 1; *p; p++) {
				o = short_match(c, *p);
				if (!o || o->arg) {
					if (o)
						v = p[1] ? p + 1 : i + 1 < argc ? argv[++i] : NULL;
					break;
				}
			}
		}
		if (o && o->key == OPT_OUTPUT && v)
			out = v;
	}
	return out;
}

/* ---- getopt_long tables ------------------------------------------------- */

#define MAX_OPTS 64
#define LONG_BASE 0x10000 /* getopt_long's val for a long option: LONG_BASE + index */

static struct {
	const struct cmd *cmd;
	char **argv;
	bool active;
	size_t n;
	const struct cmd_opt *opts[MAX_OPTS];
	struct option longopts[MAX_OPTS + 1];
	char shortopts[2 * MAX_OPTS + 2];
} gs;

static int build_tables(const struct cmd *c)
{
	size_t it = 0, ns = 0;
	const struct cmd_opt *o;
	struct option *lo;

	gs.n = 0;
	gs.shortopts[ns++] = ':'; /* missing argument: ':' instead of '?' */
	while ((o = cmd_opt_next(c, &it))) {
		if (gs.n == MAX_OPTS) {
			cmd_error(c, "too many options (cap %d)", MAX_OPTS);
			return -1;
		}
		gs.opts[gs.n] = o;
		lo = &gs.longopts[gs.n];
		lo->name = o->name;
		lo->has_arg = o->arg ? required_argument : no_argument;
		lo->flag = NULL;
		lo->val = LONG_BASE + (int)gs.n;
		if (o->short_name) {
			gs.shortopts[ns++] = o->short_name;
			if (o->arg)
				gs.shortopts[ns++] = ':';
		}
		gs.n++;
	}
	gs.longopts[gs.n] = (struct option){NULL, 0, NULL, 0};
	gs.shortopts[ns] = '\0';
	return 0;
}

/* The entry getopt_long's return value r (or optopt) names, or NULL. */
static const struct cmd_opt *opt_of(int r)
{
	if (r >= LONG_BASE && (size_t)(r - LONG_BASE) < gs.n)
		return gs.opts[r - LONG_BASE];
	for (size_t i = 0; i < gs.n; i++)
		if (r > 0 && gs.opts[i]->short_name == r)
			return gs.opts[i];
	return NULL;
}

/* How the user wrote option o: getopt returns the letter for "-o", LONG_BASE + i for "--output". */
static void spelled(const struct cmd_opt *o, int r, char *buf, size_t cap)
{
	if (r < LONG_BASE && o->short_name)
		snprintf(buf, cap, "-%c", o->short_name);
	else
		snprintf(buf, cap, "--%s", o->name);
}

/* "raw, pretty or json" from "raw pretty json". */
static void values_text(const char *values, char *buf, size_t cap)
{
	size_t n = 0, count = 0, k = 0;
	const char *p;

	for (p = values; *p; p++)
		if (*p != ' ' && (p == values || p[-1] == ' '))
			count++;
	buf[0] = '\0';
	for (p = values; *p && n + 1 < cap;) {
		size_t len = strcspn(p, " ");
		if (len) {
			const char *sep = k == 0 ? "" : k + 1 == count ? " or " : ", ";
			int w = snprintf(buf + n, cap - n, "%s%.*s", sep, (int)len, p);
			if (w < 0 || (size_t)w >= cap - n)
				break;
			n += (size_t)w;
			k++;
		}
		p += len;
		while (*p == ' ')
			p++;
	}
}

/* True when v is one of the space-separated words in values, in any case:
 * every output prints transports in capitals, and -t UDP is what one copies. */
static bool one_of(const char *v, const char *values)
{
	size_t vl = strlen(v);
	for (const char *p = values; *p;) {
		size_t len = strcspn(p, " ");
		if (len && len == vl && strncasecmp(p, v, len) == 0)
			return true;
		p += len;
		while (*p == ' ')
			p++;
	}
	return false;
}

static bool color_auto(void)
{
	const char *nc = getenv("NO_COLOR");
	return isatty(STDOUT_FILENO) && (!nc || !*nc);
}

bool cmd_has_scheme(const char *s)
{
	return strncasecmp(s, "sip:", 4) == 0 || strncasecmp(s, "sips:", 5) == 0 ||
	       strncasecmp(s, "tel:", 4) == 0;
}

/*
 * --from, --to or --contact: a URI or name-addr, where a missing scheme is
 * sip: as in a target ("alice@example.com", "Alice <alice@example.com>").
 * *out is arg, or buf with the scheme; what then does not parse is a usage
 * error, not a header that the far end (or sip decode) calls malformed.
 */
/* A control character in a header value would end its line (CR LF) and
 * the request be refused unsent: said for option name (the value is not
 * echoed, so that the error stays one line). */
static bool ctl_char(const struct cmd *c, const char *name, const char *arg)
{
	for (const unsigned char *p = (const unsigned char *)arg; *p; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
			cmd_error(c, "bad value for %s: a control character (0x%02x)", name, *p);
			see_help(c);
			return true;
		}
	}
	return false;
}

static int addr_opt(const struct cmd *c, const char *name, const char *arg, char *buf, size_t cap,
                    const char **out)
{
	const char *lt = strrchr(arg, '<'); /* a quoted display name may hold one */
	const char *uri = lt ? lt + 1 : arg;
	int err = 0;
	*out = arg;
	/* sip_addr_parse takes a quoted display name as it is. */
	if (ctl_char(c, name, arg))
		return -2;
	if (strcmp(arg, "*") != 0 && !cmd_has_scheme(uri)) {
		int n = snprintf(buf, cap, "%.*ssip:%s", (int)(uri - arg), arg, uri);
		if (n < 0 || (size_t)n >= cap)
			err = SIP_ETOOBIG;
		*out = buf;
	}
	struct sip_addr a;
	struct sip_uri u;
	if (!err && (err = sip_addr_parse(&a, sip_str_from(*out))) == 0 && !a.star)
		err = sip_uri_parse(&u, a.uri);
	if (err) {
		cmd_error(c, "bad value '%s' for %s: %s", arg, name, sip_strerror(err));
		see_help(c);
		return -2;
	}
	return 0;
}

int cmd_parse_addr(const struct cmd *c, const char *name, const char *arg, char *buf, size_t cap,
                   const char **out)
{
	return addr_opt(c, name, arg, buf, cap, out) ? EXIT_USAGE : 0;
}

bool cmd_is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("-.!%*_+`'~", *s)))
			return false;
	return true;
}

bool cmd_header_given(const struct cmd_common *cc, const char *name, char compact)
{
	for (size_t i = 0; i < cc->nheaders; i++) {
		const char *h = cc->headers[i];
		size_t n = strcspn(h, ":");
		while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
			n--;
		if ((n == strlen(name) && strncasecmp(h, name, n) == 0) ||
		    (compact && n == 1 && strncasecmp(h, &compact, 1) == 0))
			return true;
	}
	return false;
}

/* The handshake's path, from --ws-path or a ws:// URL (what, and from:
 * how a later conflict names it): one a command, since its stack has one.
 * 0, or a usage error said. */
static int ws_path_set(const struct cmd *c, struct cmd_common *cc, const char *path,
                       const char *what, const char *from)
{
	size_t n = strlen(path);
	if (cc->ws_path && strcmp(cc->ws_path, path) != 0) {
		cmd_error(c, "bad %s: its WebSocket path '%s' is not %s's '%s'", what, path,
		          cc->ws_path_from, cc->ws_path);
		return -1;
	}
	if (n >= sizeof cc->ws_path_buf) {
		cmd_error(c, "bad %s: WebSocket path longer than %zu characters", what,
		          sizeof cc->ws_path_buf - 1);
		return -1;
	}
	memcpy(cc->ws_path_buf, path, n + 1);
	cc->ws_path = cc->ws_path_buf;
	if (!cc->ws_path_from)
		cc->ws_path_from = from;
	return 0;
}

/* A ws:// or wss:// URL, as browser configurations give a WebSocket
 * server: its host and port become a sip: URI with ;transport=ws or wss
 * into buf (*n its length; -1 when arg is no such URL), and its path the
 * handshake's, set in cc when one is given. 0, or a usage error said. */
static int ws_url(const struct cmd *c, struct cmd_common *cc, const char *arg, char *buf,
                  size_t cap, int *n)
{
	bool wss = strncasecmp(arg, "wss://", 6) == 0;
	*n = -1;
	if (!wss && strncasecmp(arg, "ws://", 5) != 0)
		return 0;
	const char *host = arg + (wss ? 6 : 5);
	size_t hl = strcspn(host, "/?#;@");
	const char *rest = host + hl;
	char path[sizeof cc->ws_path_buf];
	/* "?q" alone is the root's query (RFC 3986 section 6.2.3). */
	int pn = snprintf(path, sizeof path, "%s%s", *rest == '?' ? "/" : "", rest);
	if (hl == 0 || (*rest && strchr(";@#", *rest)) || strchr(rest, '#') ||
	    strpbrk(rest, " \t") || pn < 0 || (size_t)pn >= sizeof path) {
		cmd_error(c, "bad target '%s': expected ws://HOST[:PORT][/PATH]", arg);
		see_help(c);
		return -1;
	}
	*n = snprintf(buf, cap, "sip:%.*s;transport=%s", (int)hl, host, wss ? "wss" : "ws");
	char what[600];
	snprintf(what, sizeof what, "target '%s'", arg);
	if (*path && cc)
		return ws_path_set(c, cc, path, what, "an earlier ws:// URL");
	return 0;
}

/* -H and --ws-header: one "Name: value" line each, kept in list. */
static int header_opt(const struct cmd *c, const char *name, const char *arg, const char **list,
                      size_t *n)
{
	if (!strchr(arg, ':') || strpbrk(arg, "\r\n")) {
		cmd_error(c, "bad header '%s': expected 'Name: value' on one line", arg);
		see_help(c);
		return -2;
	}
	if (*n == CMD_MAX_HEADERS) {
		cmd_error(c, "too many %s headers (at most %d)", name, CMD_MAX_HEADERS);
		return -2;
	}
	list[(*n)++] = arg;
	return 0;
}

static int net_opt(const struct cmd *c, struct cmd_common *cc, const struct cmd_opt *o,
                   const char *name, const char *arg)
{
	unsigned long v;
	switch (o->key) {
	case OPT_PROXY: {
		/* Its path is the stack's, made before the proxy is looked up. */
		char buf[512];
		int n;
		if (ws_url(c, cc, arg, buf, sizeof buf, &n) != 0)
			return -2;
		cc->proxy = arg;
		break;
	}
	case OPT_TRANSPORT: cc->transport = sip_tp_from_str(sip_str_from(arg)); break;
	case OPT_LOCAL: cc->local = arg; break;
	case OPT_TIMEOUT: return cmd_parse_seconds(c, name, arg, false, 3600, &cc->timeout_us);
	case OPT_T1:
		if (cmd_parse_uint(c, name, arg, 1, 60000, &v))
			return -2;
		cc->t1_us = (uint64_t)v * 1000;
		break;
	case OPT_HEADER: return header_opt(c, name, arg, cc->headers, &cc->nheaders);
	case OPT_WS_HEADER:
		/* The upgrade's own would go twice, and contradict. */
		if (strncasecmp(arg, "Host:", 5) == 0 || strncasecmp(arg, "Upgrade:", 8) == 0 ||
		    strncasecmp(arg, "Connection:", 11) == 0 ||
		    strncasecmp(arg, "Sec-WebSocket-", 14) == 0) {
			cmd_error(c,
			          "bad %s '%s': sip writes Host, Upgrade, Connection and "
			          "Sec-WebSocket-* itself",
			          name, arg);
			return -2;
		}
		return header_opt(c, name, arg, cc->ws_headers, &cc->nws_headers);
	case OPT_WS_PATH:
		/* An absolute path and query, as a request line carries it. */
		if (arg[0] != '/' || strpbrk(arg, " #") || ctl_char(c, name, arg)) {
			cmd_error(c, "bad %s '%s': expected a path such as /ws", name, arg);
			return -2;
		}
		return ws_path_set(c, cc, arg, "--ws-path", "--ws-path") != 0 ? -2 : 0;
	case OPT_WS_ORIGIN:
		if (ctl_char(c, name, arg))
			return -2;
		cc->ws_origin = arg;
		break;
	case OPT_FROM:
		return addr_opt(c, name, arg, cc->addr_buf[0], sizeof cc->addr_buf[0], &cc->from);
	case OPT_TO:
		return addr_opt(c, name, arg, cc->addr_buf[1], sizeof cc->addr_buf[1], &cc->to);
	case OPT_CONTACT:
		return addr_opt(c, name, arg, cc->addr_buf[2], sizeof cc->addr_buf[2],
		                &cc->contact);
	case OPT_USER_AGENT:
		if (ctl_char(c, name, arg))
			return -2;
		cc->user_agent = arg;
		break;
	case OPT_MAX_FORWARDS:
		if (cmd_parse_uint(c, name, arg, 0, 255, &v))
			return -2;
		cc->max_forwards = (int)v;
		break;
	case OPT_CA_FILE: cc->ca_file = arg; break;
	case OPT_INSECURE: cc->insecure = true; break;
	case OPT_PCAP: cc->pcap = arg; break;
	case OPT_USER: cc->user = arg; break;
	case OPT_AUTH_USER: cc->auth_user = arg; break;
	case OPT_PASSWORD_FILE: cc->password_file = arg; break;
	}
	return 0;
}

static int dns_opt(const struct cmd *c, struct cmd_common *cc, const struct cmd_opt *o,
                   const char *arg)
{
	int family = o->key == OPT_IPV4 ? AF_INET : AF_INET6;
	switch (o->key) {
	case OPT_DNS_SERVER: cc->dns_server = arg; break;
	case OPT_IPV4:
	case OPT_IPV6:
		if (cc->family != AF_UNSPEC && cc->family != family) {
			cmd_error(c, "options '-4' and '-6' cannot be used together");
			see_help(c);
			return -2;
		}
		cc->family = family;
		break;
	}
	return 0;
}

/* Applies a shared option; 0, or -2 after a usage error. */
static int shared_opt(const struct cmd *c, struct cmd_common *cc, const struct cmd_opt *o,
                      const char *name, const char *arg)
{
	if (o->values && arg && !one_of(arg, o->values)) {
		char exp[128];
		values_text(o->values, exp, sizeof exp);
		cmd_error(c, "bad value '%s' for %s: expected %s", arg, name, exp);
		see_help(c);
		return -2;
	}
	switch (o->key) {
	case OPT_OUTPUT:
		cc->format = strcasecmp(arg, "raw") == 0    ? SIP_PRINT_RAW
		             : strcasecmp(arg, "json") == 0 ? SIP_PRINT_JSON
		                                            : SIP_PRINT_PRETTY;
		cc->format_set = true;
		break;
	case OPT_COLOR:
		cc->color = strcasecmp(arg, "always") == 0  ? true
		            : strcasecmp(arg, "never") == 0 ? false
		                                            : color_auto();
		break;
	case OPT_VERBOSE:
		if (cc->verbose < INT_MAX)
			cc->verbose++;
		break;
	case OPT_QUIET: cc->quiet = true; break;
	case OPT_DNS_SERVER:
	case OPT_IPV4:
	case OPT_IPV6: return dns_opt(c, cc, o, arg);
	default: return net_opt(c, cc, o, name, arg);
	}
	return 0;
}

int cmd_getopt(const struct cmd *c, struct cmd_common *common, int argc, char **argv,
               const char **arg)
{
	char name[80];
	int r;

	/* A new walk: first call, another command or argv, or the last walk ended. */
	if (!gs.active || gs.cmd != c || gs.argv != argv) {
		if (build_tables(c) < 0)
			return -2;
		gs.cmd = c;
		gs.argv = argv;
		gs.active = true;
		*common = (struct cmd_common){
			.format = isatty(STDOUT_FILENO) ? SIP_PRINT_PRETTY : SIP_PRINT_RAW,
			.color = color_auto(),
			.transport = -1,
			.max_forwards = -1,
		};
		optind = 0; /* glibc: start over, argv[0] is the command name */
	}
	opterr = 0;

	for (;;) {
		const struct cmd_opt *o;

		*arg = NULL;
		optopt = 0;
		r = getopt_long(argc, argv, gs.shortopts, gs.longopts, NULL);
		if (r == -1) {
			gs.active = false;
			return -1;
		}
		if (r == '?' || r == ':') {
			/* optopt: the letter, LONG_BASE + i for a known long option, 0 for an unknown one */
			o = opt_of(optopt);
			if (o && r == ':') {
				spelled(o, optopt, name, sizeof name);
				cmd_error(c, "option '%s' needs a value", name);
			} else if (o && optopt >= LONG_BASE) {
				cmd_error(c, "option '--%s' takes no value", o->name);
			} else if (optopt > 0 && optopt < 256) {
				cmd_error(c, "unknown option '-%c'", optopt);
			} else if (optind > 0 && optind - 1 < argc) {
				/* glibc has stepped past the unknown long option */
				const char *word = argv[optind - 1];
				cmd_error(c, "unknown option '%.*s'", (int)strcspn(word, "="),
				          word);
			} else {
				cmd_error(c, "bad option");
			}
			see_help(c);
			gs.active = false;
			return -2;
		}
		o = opt_of(r);
		if (!o) {
			cmd_error(c, "internal error: getopt returned %d", r);
			gs.active = false;
			return -2;
		}
		if (o->key == OPT_HELP) {
			cmd_help(c, stdout);
			gs.active = false;
			return -3;
		}
		if (o->key > OPT_HELP) {
			spelled(o, r, name, sizeof name);
			if (shared_opt(c, common, o, name, optarg) < 0) {
				gs.active = false;
				return -2;
			}
			continue;
		}
		*arg = optarg;
		return o->key;
	}
}

/* ---- targets and DNS ------------------------------------------------------ */

int cmd_parse_target(const struct cmd *c, struct cmd_common *cc, const char *arg, char *buf,
                     size_t cap, struct sip_uri *uri)
{
	/* sip_uri_parse would read "host:5060" as a URI of scheme "host". */
	bool uri_given = cmd_has_scheme(arg);
	int n;
	if (ws_url(c, cc, arg, buf, cap, &n) != 0)
		return EXIT_USAGE;
	int err;
	if (n < 0)
		n = snprintf(buf, cap, "%s%s", uri_given ? "" : "sip:", arg);

	if (n < 0 || (size_t)n >= cap)
		err = SIP_ETOOBIG;
	else
		err = sip_uri_parse(uri, (struct sip_str){buf, (size_t)n});
	if (err) {
		cmd_error(c, "bad target '%s': %s", arg, sip_strerror(err));
		see_help(c);
		return EXIT_USAGE;
	}
	return 0;
}

/* Why sip_resolve refused the target (SIP_EINVAL): what conflicts with what. */
void cmd_explain_conflict(const struct cmd *c, const struct cmd_common *cc, unsigned mask,
                          const char *arg, const struct sip_uri *u)
{
	struct sip_str tps;
	bool sips = u->scheme == SIP_URI_SIPS;
	int tp = -1;

	if (sip_param_get(u->params, "transport", &tps)) {
		tp = sip_tp_from_str(tps);
		if (tp < 0) {
			cmd_error(c, "bad target '%s': transport '%.*s' is not supported", arg,
			          SIP_STR_FMT(tps));
			return;
		}
		if (sips && tp == SIP_TP_UDP) {
			cmd_error(c, "bad target '%s': a sips: URI cannot use UDP", arg);
			return;
		}
		if (sips)
			tp = SIP_TP_TLS;
	}
	if (sips && mask && !(mask & (1u << SIP_TP_TLS))) {
		cmd_error(c, "bad target '%s': a sips: URI needs TLS, which -t leaves out", arg);
	} else if (tp >= 0 && mask && !(mask & (1u << tp))) {
		cmd_error(c, "bad target '%s': its transport %s is left out by -t", arg,
		          sip_tp_name((enum sip_tp)tp));
	} else if (cc->family != AF_UNSPEC && (u->host_is_ip4 || u->host_is_ip6)) {
		cmd_error(c, "bad target '%s': %.*s is an IPv%d address, but %s was given", arg,
		          SIP_STR_FMT(u->host), u->host_is_ip4 ? 4 : 6,
		          cc->family == AF_INET ? "-4" : "-6");
	} else {
		cmd_error(c, "bad target '%s': %s", arg, sip_strerror(SIP_EINVAL));
	}
}

int cmd_resolver_new(const struct cmd *c, const struct cmd_common *cc, struct sip_loop *loop,
                     struct sip_resolver **rp)
{
	int err = sip_resolver_new(rp, loop, cc->dns_server);
	int rc = err ? cmd_dns_error(c, cc, err) : 0;
	if (err && !rc) {
		cmd_error(c, "cannot set up DNS: %s", sip_strerror(err));
		rc = EXIT_DNS;
	}
	return rc;
}

int cmd_dns_error(const struct cmd *c, const struct cmd_common *cc, int err)
{
	if (cc->dns_server && (err == SIP_EHOST || err == SIP_EPORT)) {
		cmd_error(
			c,
			"bad value '%s' for --dns-server: expected an IP address and an optional port",
			cc->dns_server);
		see_help(c);
		return EXIT_USAGE;
	}
	if (err == SIP_EDNS) {
		cmd_error(c, "cannot set up DNS: %s", sip_strerror(err));
		return EXIT_DNS;
	}
	if (err == SIP_ENOMEM) {
		cmd_error(c, "out of memory");
		return EXIT_INTERNAL;
	}
	return 0;
}

/* ---- --help --------------------------------------------------------------- */

/* "  -o, --output FORMAT" into buf; returns its length. */
static size_t opt_left(const struct cmd_opt *o, char *buf, size_t cap)
{
	int n;
	if (o->short_name)
		n = snprintf(buf, cap, "  -%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
		             o->arg ? o->arg : "");
	else
		n = snprintf(buf, cap, "      --%s%s%s", o->name, o->arg ? " " : "",
		             o->arg ? o->arg : "");
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

void cmd_help(const struct cmd *c, FILE *f)
{
	char left[128];
	size_t it = 0, width = 0;
	const struct cmd_opt *o;

	fprintf(f, "usage: sip %s %s\n\n%s\n\noptions:\n", c->name, c->usage ? c->usage : "",
	        c->summary);
	while ((o = cmd_opt_next(c, &it))) {
		size_t w = opt_left(o, left, sizeof left);
		if (w > width)
			width = w;
	}
	it = 0;
	while ((o = cmd_opt_next(c, &it))) {
		size_t w = opt_left(o, left, sizeof left);
		fprintf(f, "%s%*s  %s\n", left, (int)(width - w), "", o->help ? o->help : "");
	}
	fprintf(f, "\nSee sip-%s(1) for more.\n", c->name);
}

bool cmd_expect_ok(const struct cmd_expect *e, unsigned status)
{
	if (e->code == 0)
		return status >= 200 && status < 300;
	if (e->cls)
		return status / 100 == (unsigned)e->code;
	return status == (unsigned)e->code;
}

int cmd_parse_expect(const struct cmd *c, const char *s, struct cmd_expect *e)
{
	size_t n = strlen(s);
	/* A final response is what a request ends on: 1xx is never one. */
	if (n == 3 && s[0] >= '2' && s[0] <= '6' && (s[1] == 'x' || s[1] == 'X') &&
	    (s[2] == 'x' || s[2] == 'X')) {
		e->code = s[0] - '0';
		e->cls = true;
		return 0;
	}
	unsigned long v;
	if (cmd_uint(s, 200, 699, &v) != 0) {
		cmd_error(c,
		          "bad value '%s' for --expect: expected a final status from 200 to 699, "
		          "or a class from 2xx to 6xx",
		          s);
		return -2;
	}
	e->code = (int)v;
	e->cls = false;
	return 0;
}
