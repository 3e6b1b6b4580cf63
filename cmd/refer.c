/* refer.c - `sip refer TARGET REFER_TO`: asks TARGET to call REFER_TO
 * (RFC 3515), a blind transfer, or with --replaces an attended one (RFC
 * 3891); answers the NOTIFYs of the REFER's implicit subscription and
 * shows the transfer's progress from them until its final status, the
 * end of the wait, or Ctrl-C, which unsubscribe. */
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "probe.h"
#include "run.h"
#include "transfer.h"

enum { OPT_REFERRED_BY = 1, OPT_REPLACES, OPT_NO_SUB, OPT_TRANSFER_TIMEOUT, OPT_LADDER };

const struct cmd_opt refer_opts[] = {
	{OPT_REFERRED_BY, "referred-by", 0, "URI",
         "who asks for the transfer: Referred-By (RFC 3892)", NULL},
	{OPT_REPLACES, "replaces", 0, "DIALOG",
         "attended transfer: the call to replace, 'CALL-ID;to-tag=T;from-tag=F' (RFC 3891)", NULL},
	{OPT_NO_SUB, "no-sub", 0, NULL,
         "ask for no progress (Refer-Sub: false, RFC 4488): done at the 2xx", NULL},
	{OPT_TRANSFER_TIMEOUT, "transfer-timeout", 0, "SECONDS",
         "wait this long for the final NOTIFY, then unsubscribe (default 60)", NULL},
	{OPT_LADDER, "ladder", 0, NULL, "print the exchange as a sequence diagram at the end",
         NULL},
	{0},
};

struct refer {
	const struct cmd *cmd;
	struct cmd_common cc;
	struct probe_ctx pc;
	struct probe_dest dest;
	struct cmd_run run;
	const char *target_arg;
	char target_buf[512];
	struct sip_uri target;
	char to[520];
	char replaces[700];    /* "Replaces=" and the value %-escaped, or "" */
	char refer_to[1400];   /* the Refer-To value */
	char referred_by[700]; /* the Referred-By line, or "" */
	bool no_sub, ladder;
	uint64_t wait_us;
	bool over;
	struct transfer tr;
};

static void end(struct refer *r)
{
	r->over = true;
	sip_loop_stop(r->pc.loop);
}

static void on_over(struct transfer *t, void *arg)
{
	(void)t;
	end(arg);
}

static void on_signal(void *arg)
{
	struct refer *r = arg;
	probe_prompt_cancel(&r->pc);
	transfer_interrupt(&r->tr);
}

static void start(struct refer *r)
{
	const struct cmd_common *cc = &r->cc;
	struct sip_build_hdr hdrs[CMD_MAX_HEADERS + 1];
	size_t nh = 0;
	if (r->referred_by[0])
		hdrs[nh++].line = r->referred_by;
	for (size_t i = 0; i < cc->nheaders; i++)
		hdrs[nh++].line = cc->headers[i];
	struct sip_sub_spec s;
	probe_sub_spec(&r->pc, &r->dest, &s);
	s.refer_to = r->refer_to;
	if (!cc->to)
		s.to = r->to;
	s.headers = hdrs;
	s.nheaders = nh;
	if (transfer_start(&r->tr, &s, r->wait_us, on_over, r) != 0)
		end(r);
}

static void on_dest(struct probe_dest *d, int err, void *arg)
{
	struct refer *r = arg;
	(void)d;
	if (err) {
		if (err != SIP_EINVAL) /* else no address of -l's family, said */
			cmd_error(r->cmd, "cannot resolve '%s': %s", r->dest.ruri_text,
			          sip_strerror(err));
		r->tr.said = true;
		transfer_fail(&r->tr, probe_dest_exit(err), sip_strerror(err));
		end(r);
		return;
	}
	start(r);
}

/* ---- what is sent ---- */

static int bad_value(struct refer *r, const char *opt, const char *arg, const char *why)
{
	return cmd_usage_error(r->cmd, "bad value '%s' for %s: %s", arg, opt, why);
}

/* RFC 3261 word: a Call-ID is word ["@" word]. */
static bool is_word(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-.!%*_+`'~()<>:\\\"/[]?{}", s[i]))
			return false;
	return true;
}

/* --replaces CALL-ID;to-tag=T;from-tag=F[;early-only], checked, into
 * r->replaces as the URI header a Refer-To carries (RFC 3891 §2: every
 * character an hvalue cannot hold %-escaped, ';' '=' '@' among them). */
static int parse_replaces(struct refer *r, const char *v)
{
	static const char *const want = "expected CALL-ID;to-tag=T;from-tag=F";
	char why[400];
	const char *semi = strchr(v, ';');
	size_t idlen = semi ? (size_t)(semi - v) : strlen(v);
	const char *at = memchr(v, '@', idlen);
	size_t left = at ? (size_t)(at - v) : idlen;
	if (!is_word(v, left) || (at && !is_word(at + 1, idlen - left - 1))) {
		snprintf(why, sizeof why, "'%.*s' is not a Call-ID; %s", (int)idlen, v, want);
		return bad_value(r, "--replaces", v, why);
	}
	bool to = false, from = false, early = false;
	while (semi) {
		const char *p = semi + 1;
		semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);
		char param[256];
		if (len >= sizeof param)
			return bad_value(r, "--replaces", v, "a parameter too long");
		memcpy(param, p, len);
		param[len] = '\0';
		char *eq = strchr(param, '=');
		const char *val = eq ? eq + 1 : NULL;
		if (eq)
			*eq = '\0';
		bool *seen = strcasecmp(param, "to-tag") == 0       ? &to
		             : strcasecmp(param, "from-tag") == 0   ? &from
		             : strcasecmp(param, "early-only") == 0 ? &early
		                                                    : NULL;
		if (!seen) {
			snprintf(why, sizeof why,
			         "unknown parameter '%s' (to-tag, from-tag, early-only)", param);
			return bad_value(r, "--replaces", v, why);
		}
		if (*seen) {
			snprintf(why, sizeof why, "%s given twice", param);
			return bad_value(r, "--replaces", v, why);
		}
		*seen = true;
		if (seen == &early ? val != NULL : !val || !cmd_is_token(val)) {
			snprintf(why, sizeof why, "%s %s", param,
			         seen == &early ? "takes no value" : "needs a tag (a token)");
			return bad_value(r, "--replaces", v, why);
		}
	}
	if (!to || !from) {
		snprintf(why, sizeof why, "no %s; %s", to ? "from-tag" : "to-tag", want);
		return bad_value(r, "--replaces", v, why);
	}
	static const char hex[] = "0123456789ABCDEF";
	size_t n = (size_t)snprintf(r->replaces, sizeof r->replaces, "Replaces=");
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (n + 4 > sizeof r->replaces)
			return bad_value(r, "--replaces", v, "too long");
		if (isalnum(*p) || strchr("-_.!~*'()[]/?:+$", *p)) {
			r->replaces[n++] = (char)*p;
		} else {
			r->replaces[n++] = '%';
			r->replaces[n++] = hex[*p >> 4];
			r->replaces[n++] = hex[*p & 15];
		}
	}
	r->replaces[n] = '\0';
	return 0;
}

static int usage(struct refer *r, const char *what)
{
	return cmd_usage_error(r->cmd, "%s", what);
}

/* Options and operands into what is sent; -1 after --help. */
static int parse_args(struct refer *r, int argc, char **argv)
{
	const char *arg, *referred_by = NULL, *replaces = NULL;
	bool wait_given = false;
	int key;
	r->wait_us = (uint64_t)TRANSFER_TIMEOUT_S * 1000000u;
	while ((key = cmd_getopt(r->cmd, &r->cc, argc, argv, &arg)) >= 0) {
		switch (key) {
		case OPT_REFERRED_BY: referred_by = arg; break;
		case OPT_REPLACES: replaces = arg; break;
		case OPT_NO_SUB: r->no_sub = true; break;
		case OPT_TRANSFER_TIMEOUT:
			if (cmd_parse_seconds(r->cmd, "transfer-timeout", arg, false, 86400,
			                      &r->wait_us))
				return EXIT_USAGE;
			wait_given = true;
			break;
		case OPT_LADDER: r->ladder = true; break;
		}
	}
	if (key == -3)
		return -1;
	if (key == -2)
		return EXIT_USAGE;
	/* A second one of these makes a REFER its recipient cannot read. */
	if (cmd_header_given(&r->cc, "Refer-To", 'r'))
		return usage(r, "REFER_TO gives the Refer-To: no -H 'Refer-To: ...'");
	if (referred_by && cmd_header_given(&r->cc, "Referred-By", 'b'))
		return usage(r,
		             "--referred-by and -H 'Referred-By: ...' both give the Referred-By: "
		             "one of them");
	/* The run must know whether NOTIFYs are to come. */
	if (cmd_header_given(&r->cc, "Refer-Sub", 0))
		return usage(r, "-H 'Refer-Sub: ...': --no-sub asks for Refer-Sub: false");
	if (r->no_sub && wait_given)
		return usage(r, "--no-sub ends at the 2xx: there is no NOTIFY for "
		                "--transfer-timeout to wait for");
	int nop = argc - optind;
	if (nop < 2)
		return usage(r, nop ? "no REFER_TO given: the URI the target is to call"
		                    : "no target and REFER_TO given");
	if (nop > 2)
		return usage(r, "too many operands: one target and one REFER_TO");
	r->target_arg = argv[optind];
	if (cmd_parse_target(r->cmd, &r->cc, r->target_arg, r->target_buf, sizeof r->target_buf,
	                     &r->target))
		return EXIT_USAGE;
	if (r->target.scheme != SIP_URI_SIP && r->target.scheme != SIP_URI_SIPS) {
		cmd_error(r->cmd, "bad target '%s': expected a sip: or sips: URI", r->target_arg);
		return EXIT_USAGE;
	}
	snprintf(r->to, sizeof r->to, "<%s>", r->target_buf);
	if (replaces && parse_replaces(r, replaces) != 0)
		return EXIT_USAGE;
	if (transfer_refer_to(r->cmd, "REFER_TO", argv[optind + 1], replaces ? r->replaces : NULL,
	                      r->refer_to, sizeof r->refer_to) != 0)
		return EXIT_USAGE;
	if (referred_by) {
		char v[sizeof r->referred_by - 16];
		if (transfer_refer_to(r->cmd, "--referred-by", referred_by, NULL, v, sizeof v) != 0)
			return EXIT_USAGE;
		snprintf(r->referred_by, sizeof r->referred_by, "Referred-By: %s", v);
	}
	return 0;
}

int cmd_refer(const struct cmd *self, int argc, char **argv)
{
	struct refer *r = calloc(1, sizeof *r);
	if (!r) {
		cmd_error(self, "out of memory");
		return EXIT_INTERNAL;
	}
	r->cmd = self;
	int rc = parse_args(r, argc, argv);
	if (rc) {
		free(r);
		return rc < 0 ? EXIT_OK : rc;
	}
	struct probe_setup setup = {.show_messages = !r->cc.quiet, .ladder = r->ladder};
	if ((rc = probe_ctx_init(&r->pc, self, &r->cc, &setup)) != 0) {
		free(r);
		return rc;
	}
	transfer_init(&r->tr, &r->pc, r->no_sub);
	rc = probe_dest_resolve(&r->pc, &r->dest, &r->target, on_dest, r);
	if (rc == 0) {
		cmd_run(&r->run, r->pc.loop, on_signal, r);
		if (!r->over) /* a second signal stopped it at once */
			transfer_fail(&r->tr, EXIT_TIMEOUT, CMD_INTERRUPTED);
		uint64_t now = sip_loop_now(r->pc.loop);
		rc = cmd_run_exit(&r->run, transfer_exit(&r->tr));
		if (rc != EXIT_OK && !r->tr.said) {
			char why[256];
			transfer_describe(&r->tr, why, sizeof why, now);
			cmd_error(self, "'%s': %s", r->target_arg, why);
		}
		if (r->pc.ladder)
			probe_print_ladder(&r->pc,
			                   r->cc.format == SIP_PRINT_JSON ? stderr : stdout);
		transfer_print_summary(&r->tr, r->dest.ruri_text, r->refer_to, rc, now);
	}
	transfer_free(&r->tr);
	probe_dest_reset(&r->dest);
	probe_ctx_reset(&r->pc);
	cmd_signals_done();
	free(r);
	return rc;
}
