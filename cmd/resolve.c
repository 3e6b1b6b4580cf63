/* resolve.c - `sip resolve`: how a target resolves per RFC 3263, step by
 * step (NAPTR, SRV, A/AAAA), and the ordered list of transport, address
 * and port that a request to it would try. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "run.h"

enum { OPT_TP = 1 };

const struct cmd_opt resolve_opts[] = {
	{OPT_TP, "transport", 't', "PROTO",
         "consider only this transport: udp, tcp or tls (repeat for more)", "udp tcp tls"},
	{0, NULL, 0, NULL, NULL, NULL},
};

struct resolve {
	const struct cmd *cmd;
	struct cmd_common common;
	unsigned mask; /* -t */
	struct sip_loop *loop;
	struct cmd_run run;
	bool json;
	struct sip_buf steps; /* JSON: the trace lines as array elements */
	size_t nsteps;
	bool done;
	int err;
	struct sip_buf targets; /* JSON: the targets as array elements */
	size_t ntargets;
};

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_str(struct sip_buf *b, const char *s)
{
	sip_buf_puts(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			sip_buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			sip_buf_printf(b, "\\u%04x", c);
		else
			sip_buf_append(b, s, 1);
	}
	sip_buf_puts(b, "\"");
}

static void on_step(const char *line, void *arg)
{
	struct resolve *rs = arg;
	if (rs->json) {
		if (rs->nsteps)
			sip_buf_puts(&rs->steps, ",");
		json_str(&rs->steps, line);
	} else if (!rs->common.quiet) {
		printf("%s\n", line);
	}
	rs->nsteps++;
}

static void on_resolved(int err, const struct sip_target *t, size_t n, void *arg)
{
	struct resolve *rs = arg;
	char addr[64];

	rs->done = true;
	rs->err = err;
	rs->ntargets = n;
	/* A blank line between the steps and the list. */
	if (n && !rs->json && !rs->common.quiet && rs->nsteps)
		putchar('\n');
	for (size_t i = 0; i < n; i++) {
		if (rs->json) {
			sip_sockaddr_host(&t[i].addr, addr, sizeof addr);
			/* The address without IPv6 brackets, as JSON consumers want it. */
			const char *a = addr[0] == '[' ? addr + 1 : addr;
			size_t alen = strcspn(a, "]");
			char bare[64];
			snprintf(bare, sizeof bare, "%.*s", (int)alen, a);
			sip_buf_printf(&rs->targets,
			               "%s{\"transport\":\"%s\",\"address\":", i ? "," : "",
			               sip_tp_name(t[i].tp));
			json_str(&rs->targets, bare);
			sip_buf_printf(&rs->targets,
			               ",\"port\":%u,\"name\":", sip_sockaddr_port(&t[i].addr));
			json_str(&rs->targets, t[i].name);
			sip_buf_puts(&rs->targets, "}");
		} else {
			sip_sockaddr_print(&t[i].addr, addr, sizeof addr);
			printf("%zu. %s %s (%s)\n", i + 1, sip_tp_name(t[i].tp), addr, t[i].name);
		}
	}
	cmd_run_stop(&rs->run);
}

/* "no NAPTR, SRV or A records": what was looked for, by the RFC 3263 path the URI takes. */
static void nothing_found(const struct resolve *rs, const struct sip_uri *u, char *buf, size_t cap)
{
	const char *a = rs->common.family == AF_INET6 ? "AAAA" : "A";
	if (u->has_port)
		snprintf(buf, cap, "no %s records", a);
	else if (sip_param_get(u->params, "transport", &(struct sip_str){0}))
		snprintf(buf, cap, "no SRV or %s records", a);
	else
		snprintf(buf, cap, "no NAPTR, SRV or %s records", a);
}

static void print_json(struct resolve *rs, const char *uri_text, const char *error)
{
	struct sip_buf b;
	sip_buf_init(&b, 0);
	sip_buf_puts(&b, "{\"target\":");
	json_str(&b, uri_text);
	sip_buf_puts(&b, ",\"steps\":[");
	if (rs->steps.len)
		sip_buf_append(&b, rs->steps.p, rs->steps.len);
	sip_buf_puts(&b, "],\"targets\":[");
	if (rs->targets.len)
		sip_buf_append(&b, rs->targets.p, rs->targets.len);
	sip_buf_puts(&b, "]");
	if (error) {
		sip_buf_puts(&b, ",\"error\":");
		json_str(&b, error);
	}
	sip_buf_puts(&b, "}\n");
	if (!b.err && !rs->steps.err && !rs->targets.err)
		fwrite(b.p, 1, b.len, stdout);
	sip_buf_reset(&b);
}

static int run(struct resolve *rs, const char *arg)
{
	const struct cmd *c = rs->cmd;
	char text[1024];
	struct sip_uri uri;
	struct sip_resolver *r = NULL;
	int rc = cmd_parse_target(c, NULL, arg, text, sizeof text, &uri);
	if (rc)
		return rc;
	/* In the shell, on its loop: its work goes on meanwhile. */
	if (cmd_host)
		rs->loop = cmd_host->loop;
	else if (sip_loop_new(&rs->loop)) {
		cmd_error(c, "out of memory");
		return EXIT_INTERNAL;
	}
	rc = cmd_resolver_new(c, &rs->common, rs->loop, &r);
	if (rc)
		goto out;

	struct sip_resolve_opts o = {
		.tp_mask = rs->mask,
		.family = rs->common.family,
		.trace = on_step,
		.trace_arg = rs,
	};
	int err = sip_resolve(r, &uri, &o, on_resolved, rs);
	if (err == SIP_ESCHEME) {
		cmd_error(c, "bad target '%s': only sip: and sips: URIs can be resolved", arg);
		rc = EXIT_USAGE;
	} else if (err == SIP_EINVAL) {
		cmd_explain_conflict(rs->cmd, &rs->common, rs->mask, arg, &uri);
		rc = EXIT_USAGE;
	} else if (err) {
		cmd_error(c, "bad target '%s': %s", arg, sip_strerror(err));
		rc = err == SIP_ENOMEM ? EXIT_INTERNAL : EXIT_USAGE;
	}
	if (rc)
		goto out;
	/* A signal stops it at once: there is nothing to end gracefully. */
	cmd_run(&rs->run, rs->loop, NULL, NULL);
	cmd_signals_done();

	char why[64] = "";
	if (!rs->done && cmd_run_interrupted(&rs->run)) {
		snprintf(why, sizeof why, "%s", CMD_INTERRUPTED);
		rc = EXIT_TIMEOUT;
	} else if (!rs->done) {
		snprintf(why, sizeof why, "%s", "the resolution did not finish");
		rc = EXIT_INTERNAL;
	} else if (rs->err == SIP_ENOTFOUND) {
		nothing_found(rs, &uri, why, sizeof why);
		rc = EXIT_DNS;
	} else if (rs->err == SIP_EDNS) {
		snprintf(why, sizeof why, "%s", "the DNS server failed or did not answer");
		rc = EXIT_DNS;
	} else if (rs->err) {
		snprintf(why, sizeof why, "%s", sip_strerror(rs->err));
		rc = rs->err == SIP_ENOMEM ? EXIT_INTERNAL : EXIT_DNS;
	}
	if (rs->json)
		print_json(rs, text, rc ? why : NULL);
	if (rc) {
		/* The host, as the user knows it: without the scheme and parameters. */
		cmd_error(c, "cannot resolve '%.*s': %s", SIP_STR_FMT(uri.host), why);
	}
out:
	sip_resolver_free(r);
	if (!cmd_host)
		sip_loop_free(rs->loop);
	return rc;
}

int cmd_resolve(const struct cmd *self, int argc, char **argv)
{
	struct resolve rs = {.cmd = self};
	const char *arg;
	int key;

	while ((key = cmd_getopt(self, &rs.common, argc, argv, &arg)) >= 0) {
		if (key == OPT_TP) {
			int tp = sip_tp_from_str(sip_str_from(arg));
			if (tp < 0) {
				cmd_error(self, "bad value '%s' for --transport: %s", arg,
				          "expected udp, tcp or tls");
				fprintf(stderr, "See 'sip %s --help'.\n", self->name);
				return EXIT_USAGE;
			}
			rs.mask |= 1u << tp;
		}
	}
	if (key == -3)
		return EXIT_OK;
	if (key == -2)
		return EXIT_USAGE;
	if (optind >= argc) {
		cmd_error(self, "no target given");
		fprintf(stderr, "See 'sip %s --help'.\n", self->name);
		return EXIT_USAGE;
	}
	if (argc - optind > 1) {
		cmd_error(self, "one target at a time: '%s' is one too many", argv[optind + 1]);
		fprintf(stderr, "See 'sip %s --help'.\n", self->name);
		return EXIT_USAGE;
	}
	rs.json = rs.common.format == SIP_PRINT_JSON;
	sip_buf_init(&rs.steps, 1u << 20);
	sip_buf_init(&rs.targets, 1u << 20);
	int rc = run(&rs, argv[optind]);
	sip_buf_reset(&rs.steps);
	sip_buf_reset(&rs.targets);
	return rc;
}
