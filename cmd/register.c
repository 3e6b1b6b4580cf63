/* register.c - `sip register`: register a binding, list, remove one or
 * all, or stay registered with refreshes until Ctrl-C or SIGTERM, which
 * remove the binding before exiting. */
#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "probe.h"
#include "run.h"

enum { OPT_EXPIRES = 1, OPT_QUERY, OPT_UNREGISTER, OPT_UNREGISTER_ALL, OPT_KEEP };

const struct cmd_opt register_opts[] = {
	{OPT_EXPIRES, "expires", 'e', "SECONDS",
         "registration lifetime to ask for (default 3600; 0 removes the binding)", NULL},
	{OPT_QUERY, "query", 0, NULL, "list the bindings of the address, change nothing", NULL},
	{OPT_UNREGISTER, "unregister", 0, NULL, "remove our binding (Expires: 0)", NULL},
	{OPT_UNREGISTER_ALL, "unregister-all", 0, NULL, "remove every binding (Contact: *)", NULL},
	{OPT_KEEP, "keep", 'k', NULL, "stay registered: refresh until Ctrl-C, then unregister",
         NULL},
	{OPT_FROM, "from", 0, "URI", "From address (default: the address of record)", NULL},
	{OPT_TO, "to", 0, "URI", "To address (default: the address of record)", NULL},
	{0},
};

struct reg {
	const struct cmd *cmd;
	struct cmd_common cc;
	struct probe_ctx pc;
	struct probe_dest dest;
	enum sip_reg_mode mode;
	bool keep;
	unsigned long expires;
	char aor_buf[512];
	struct sip_uri aor;
	char aor_text[512]; /* From and To */
	char registrar_buf[512];
	struct sip_uri registrar; /* the Request-URI: the AOR's domain (§10.2) */
	char user[128];
	const char *aor_arg; /* as typed */
	struct sip_reg *g;
	struct cmd_run run;
	bool stopping; /* Ctrl-C: the binding is removed, then it exits */
	bool answered; /* the first REGISTER had its final response */
	bool over;     /* the outcome is known (and said) */
	unsigned refreshes;
	uint64_t bound_at; /* the last 2xx that bound */
	unsigned job;      /* in the shell's background: its number */
	int rc;
};

/* Each binding the registrar returned, decoded; ours marked. */
static void print_bindings(const struct reg *r, const struct sip_msg *resp)
{
	bool json = r->cc.format == SIP_PRINT_JSON;
	unsigned n = 0;
	if (json)
		printf("{\"bindings\":[");
	for (const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_CONTACT); h;
	     h = sip_msg_hdr_next(resp, h)) {
		struct sip_str list = h->value, elem;
		while (sip_list_next(&list, &elem) == 1) {
			struct sip_addr a;
			struct sip_str ev = {0}, q = {0}, inst = {0}, regid = {0};
			if (sip_addr_parse(&a, elem) != 0 || a.star)
				continue;
			bool mine = sip_reg_is_ours(r->g, a.uri);
			bool has_e = sip_param_get(a.params, "expires", &ev);
			bool has_q = sip_param_get(a.params, "q", &q);
			bool has_i = sip_param_get(a.params, "+sip.instance", &inst);
			bool has_r = sip_param_get(a.params, "reg-id", &regid);
			if (json) {
				printf("%s{\"uri\":", n ? "," : "");
				sip_print_json_str(stdout, a.uri);
				uint64_t ev_n;
				if (has_e && sip_hdr_uint(ev, UINT32_MAX, &ev_n) == 0)
					printf(",\"expires\":%llu", (unsigned long long)ev_n);
				if (has_q) {
					printf(",\"q\":");
					sip_print_json_str(stdout, q);
				}
				if (has_i) {
					printf(",\"instance\":");
					sip_print_json_str(stdout, inst);
				}
				if (has_r) {
					printf(",\"reg_id\":");
					sip_print_json_str(stdout, regid);
				}
				printf(",\"ours\":%s}", mine ? "true" : "false");
			} else {
				printf("  %.*s", SIP_STR_FMT(a.uri));
				if (has_e)
					printf("  expires %.*s s", SIP_STR_FMT(ev));
				if (has_q)
					printf("  q=%.*s", SIP_STR_FMT(q));
				if (has_i)
					printf("  instance %.*s", SIP_STR_FMT(inst));
				if (has_r)
					printf("  reg-id %.*s", SIP_STR_FMT(regid));
				printf("%s\n", mine ? "  (this one)" : "");
			}
			n++;
		}
	}
	if (json) {
		printf("]");
		if (r->mode == SIP_REG_BIND)
			printf(",\"granted\":%lu", sip_reg_granted(r->g));
		printf("}\n");
	} else if (n == 0) {
		printf("no bindings for %s\n", r->aor_text);
	}
}

static int registrar_of(struct reg *r)
{
	struct sip_str tp;
	char port[8] = "";
	if (r->aor.scheme != SIP_URI_SIP && r->aor.scheme != SIP_URI_SIPS) {
		cmd_error(r->cmd, "bad address '%s': expected a sip: or sips: URI", r->aor_buf);
		return EXIT_USAGE;
	}
	if (!r->aor.user.len || r->aor.user.len >= sizeof r->user) {
		cmd_error(r->cmd, "bad address '%s': it has no user part (sip:alice@example.com)",
		          r->aor_buf);
		return EXIT_USAGE;
	}
	memcpy(r->user, r->aor.user.p, r->aor.user.len);
	if (r->aor.has_port)
		snprintf(port, sizeof port, ":%u", r->aor.port);
	bool has_tp = sip_param_get(r->aor.params, "transport", &tp);
	snprintf(r->registrar_buf, sizeof r->registrar_buf, "%s:%.*s%s%s%.*s",
	         r->aor.scheme == SIP_URI_SIPS ? "sips" : "sip", SIP_STR_FMT(r->aor.host), port,
	         has_tp ? ";transport=" : "", has_tp ? (int)tp.len : 0, has_tp ? tp.p : "");
	snprintf(r->aor_text, sizeof r->aor_text, "<%s:%.*s@%.*s>",
	         r->aor.scheme == SIP_URI_SIPS ? "sips" : "sip", SIP_STR_FMT(r->aor.user),
	         SIP_STR_FMT(r->aor.host));
	return sip_uri_parse(&r->registrar, sip_str_from(r->registrar_buf)) ? EXIT_USAGE : 0;
}
static void stop(struct reg *r, int rc)
{
	r->rc = rc;
	r->over = true;
	cmd_run_stop(&r->run);
}

/* The run failed, said on stderr: with -o json, an object after the
 * messages where the bindings would have been, with the final response or
 * why there is none. */
static void fail(struct reg *r, int rc, const struct sip_msg *resp, const char *why)
{
	rc = cmd_run_exit(&r->run, rc);
	if (r->cc.format == SIP_PRINT_JSON) {
		/* The AOR without its angle brackets. */
		printf("{\"summary\":{\"aor\":");
		sip_print_json_str(stdout,
		                   (struct sip_str){r->aor_text + 1, strlen(r->aor_text) - 2});
		if (resp) {
			printf(",\"status\":%u,\"reason\":", resp->status);
			sip_print_json_str(stdout, resp->reason);
		} else {
			printf(",\"error\":");
			sip_print_json_str(stdout, sip_str_from(why));
		}
		printf(",\"exit\":%d}}\n", rc);
	}
	stop(r, rc);
}

static void interrupted(struct reg *r)
{
	cmd_error(r->cmd, "'%s': %s", r->aor_text, CMD_INTERRUPTED);
	fail(r, EXIT_TIMEOUT, NULL, CMD_INTERRUPTED);
}

/* The Contact URI of the REGISTER as sent: the binding this run names. */
static bool sent_contact(const struct reg *r, struct sip_str *uri)
{
	const struct sip_msg *m = sip_req_message(sip_reg_request(r->g));
	const struct sip_hdr *h = m ? sip_msg_hdr(m, SIP_HDR_CONTACT) : NULL;
	struct sip_addr a;
	if (!h || sip_addr_parse(&a, h->value) != 0 || a.star)
		return false;
	*uri = a.uri;
	return true;
}

/* s as one word for a shell: as it is, or in single quotes. */
static void put_arg(FILE *f, struct sip_str s)
{
	bool plain = s.len > 0;
	for (size_t i = 0; i < s.len && plain; i++)
		plain = isalnum((unsigned char)s.p[i]) || strchr("@%+=:,./_-", s.p[i]);
	fputc(' ', f);
	if (plain) {
		fprintf(f, "%.*s", SIP_STR_FMT(s));
		return;
	}
	fputc('\'', f);
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] == '\'')
			fputs("'\\''", f);
		else
			fputc(s.p[i], f);
	}
	fputc('\'', f);
}

/* The command that removes binding uri, with what reaches the registrar
 * from this one, and the end of the line. */
static void put_removal(const struct reg *r, struct sip_str uri)
{
	const struct cmd_common *cc = &r->cc;
	static const char *const tp[] = {"udp", "tcp", "tls"};
	fprintf(stderr, "sip register");
	if (cc->user) {
		fprintf(stderr, " -u");
		put_arg(stderr, sip_str_from(cc->user));
	}
	if (cc->auth_user) {
		fprintf(stderr, " --auth-user");
		put_arg(stderr, sip_str_from(cc->auth_user));
	}
	if (cc->proxy) {
		fprintf(stderr, " -p");
		put_arg(stderr, sip_str_from(cc->proxy));
	}
	if (cc->transport >= 0 && (size_t)cc->transport < sizeof tp / sizeof tp[0])
		fprintf(stderr, " -t %s", tp[cc->transport]);
	fprintf(stderr, " --unregister --contact");
	put_arg(stderr, uri);
	put_arg(stderr, sip_str_from(r->aor_arg));
	fputc('\n', stderr);
}

/* After --unregister from a free port, which names no binding an earlier
 * run made: the registrar's bindings of this host's address, the user's,
 * that are still there (an earlier one-shot run's, most likely), each
 * said with the command that removes it. How many there are. */
static unsigned left_behind(const struct reg *r, const struct sip_msg *resp)
{
	struct sip_str mine;
	struct sip_uri me;
	unsigned n = 0;
	if (r->mode != SIP_REG_UNBIND || r->cc.contact || r->pc.local_port ||
	    !sent_contact(r, &mine) || sip_uri_parse(&me, mine) != 0)
		return 0;
	for (const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_CONTACT); h;
	     h = sip_msg_hdr_next(resp, h)) {
		struct sip_str list = h->value, elem;
		struct sip_addr a;
		struct sip_uri u;
		while (sip_list_next(&list, &elem) == 1) {
			if (sip_addr_parse(&a, elem) != 0 || a.star ||
			    sip_uri_parse(&u, a.uri) != 0 || !sip_str_ieq(u.host, me.host) ||
			    !sip_str_eq(u.user, me.user) || sip_reg_is_ours(r->g, a.uri))
				continue;
			cmd_error(r->cmd,
			          "'%s': %.*s is still registered from this host (--unregister "
			          "without -l or --contact names this run's port alone); remove it "
			          "with:",
			          r->aor_text, SIP_STR_FMT(a.uri));
			fprintf(stderr, "  ");
			put_removal(r, a.uri);
			n++;
		}
	}
	return n;
}

/* A one-shot registration from a free port: the binding outlives the
 * port, which closes as sip exits; said once, with how to remove it. */
static void note_lingering(const struct reg *r)
{
	struct sip_str mine;
	if (r->mode != SIP_REG_BIND || r->keep || r->cc.contact || r->pc.local_port ||
	    r->cc.quiet || !sent_contact(r, &mine))
		return;
	fprintf(stderr,
	        "sip: register: %.*s outlives this run (nothing listens on its port once sip "
	        "exits); remove it with: ",
	        SIP_STR_FMT(mine));
	put_removal(r, mine);
}

/* A 2xx that bound, refreshed or listed: the bindings, and what was granted. */
static void show(struct reg *r, const struct sip_msg *resp)
{
	/* -q drops the messages, not the answer: the bindings still show. */
	if (r->cc.format == SIP_PRINT_JSON || cmd_summary_text(&r->cc))
		print_bindings(r, resp);
	if (r->mode == SIP_REG_BIND && cmd_summary_text(&r->cc) && r->job)
		printf("registered %s for %lu s; kept as reg %u ('unregister %u' removes it)\n",
		       r->aor_text, sip_reg_granted(r->g), r->job, r->job);
	else if (r->mode == SIP_REG_BIND && cmd_summary_text(&r->cc))
		printf("registered %s for %lu s%s\n", r->aor_text, sip_reg_granted(r->g),
		       r->keep ? "; refreshing until Ctrl-C" : "");
}

static void describe(void *arg, char *buf, size_t cap)
{
	struct reg *r = arg;
	uint64_t since = (sip_loop_now(r->pc.loop) - r->bound_at) / 1000000;
	unsigned long granted = sip_reg_granted(r->g);
	if (r->stopping)
		snprintf(buf, cap, "%s, being removed", r->aor_text);
	else if (!sip_reg_bound(r->g))
		snprintf(buf, cap, "%s, not bound: retrying", r->aor_text);
	else {
		char peer[64];
		probe_peer(sip_reg_request(r->g), peer, sizeof peer);
		unsigned n = r->refreshes - 1;
		char times[32] = "not refreshed yet";
		if (n == 1)
			snprintf(times, sizeof times, "refreshed once");
		else if (n > 1)
			snprintf(times, sizeof times, "refreshed %u times", n);
		snprintf(buf, cap, "%s at %s, %lu s left, %s", r->aor_text, peer,
		         since < granted ? granted - (unsigned long)since : 0, times);
	}
}

static int finish(void *arg);

static const struct cmd_job_ops reg_job = {"reg", describe, finish, NULL};

static void on_event(struct sip_reg *g, enum sip_reg_event ev, int err, const struct sip_msg *resp,
                     void *arg)
{
	struct reg *r = arg;
	switch (ev) {
	case SIP_REG_BOUND:
		r->answered = true;
		r->bound_at = sip_loop_now(r->pc.loop);
		/* In the shell, a binding kept goes on in the background. */
		if (r->keep && r->refreshes == 0)
			r->job = cmd_run_detach(&r->run, &reg_job, r);
		probe_tls_peer(&r->pc, sip_reg_request(g));
		/* The bindings once; a refresh is one line. */
		if (r->refreshes++ == 0)
			show(r, resp);
		else if (!r->cc.quiet)
			fprintf(stderr, "sip: register: refreshed %s for %lu s\n", r->aor_text,
			        sip_reg_granted(g));
		break;
	case SIP_REG_TOO_BRIEF:
		cmd_warn(r->cmd, "423 Interval Too Brief: asking for Min-Expires %lu s",
		         sip_reg_expires(g));
		break;
	case SIP_REG_REFRESH_LOST:
		/* The binding may still hold. */
		cmd_warn(r->cmd, "refresh of %s: %s; retrying in 5 s", r->aor_text,
		         sip_strerror(err));
		break;
	}
}

static void on_done(struct sip_reg *g, int err, const struct sip_msg *resp, void *arg)
{
	struct reg *r = arg;
	struct sip_req *req = sip_reg_request(g);
	/* Stopped before the registrar answered: no answer is the signal's doing. */
	if (err && r->stopping && !r->answered) {
		interrupted(r);
		return;
	}
	if (err) {
		char why[300];
		const char *text = probe_err_text(req, err, why, sizeof why);
		cmd_error(r->cmd, "'%s': %s", r->aor_text, text);
		fail(r, probe_exit_code(err), NULL, text);
		return;
	}
	probe_tls_peer(&r->pc, req);
	if (resp->status < 200 || resp->status >= 300) {
		bool auth = probe_auth_failed(&r->pc, req, resp);
		if (!auth)
			cmd_error(r->cmd, "'%s': %u %.*s", r->aor_text, resp->status,
			          SIP_STR_FMT(resp->reason));
		fail(r, auth ? EXIT_AUTH : EXIT_RESPONSE, resp, NULL);
		return;
	}
	if (!r->stopping || r->mode != SIP_REG_BIND) {
		/* A query or a removal answered after a signal did its work. */
		show(r, resp);
		if (left_behind(r, resp)) {
			fail(r, EXIT_RESPONSE, NULL, "a binding of this host is still registered");
			return;
		}
		note_lingering(r);
	} else if (!r->keep || !r->answered) {
		/* A binding interrupted before it was reported: what it did is
		 * undone (a kept one ended by Ctrl-C after its first 200 is the
		 * way --keep ends). */
		interrupted(r);
		return;
	}
	stop(r, EXIT_OK);
}

static void on_failover(struct sip_req *req, int err, const struct sip_target *from,
                        const struct sip_target *next, void *arg)
{
	struct reg *r = arg;
	probe_failover(&r->pc, req, err, from, next);
}

static void start(struct reg *r)
{
	const struct cmd_common *cc = &r->cc;
	struct sip_build_hdr hdrs[CMD_MAX_HEADERS];
	for (size_t i = 0; i < cc->nheaders; i++)
		hdrs[i].line = cc->headers[i];
	struct sip_reg_spec s = {
		.mode = r->mode,
		.keep = r->keep,
		.aor = &r->aor,
		.registrar = &r->registrar,
		.targets = r->dest.targets + r->dest.cur,
		.ntargets = r->dest.ntargets - r->dest.cur,
		.transport = -1,
		/* --from and --to win: registering on behalf of another (§10.2). */
		.from = cc->from ? cc->from : r->aor_text,
		.to = cc->to ? cc->to : r->aor_text,
		.contact = cc->contact,
		.contact_user = r->user,
		.expires = r->expires,
		.max_forwards = cc->max_forwards,
		.user_agent = cc->user_agent ? cc->user_agent : "sip/" SIP_VERSION,
		.call_id = r->pc.call_id,
		.account = &r->pc,
		.headers = hdrs,
		.nheaders = cc->nheaders,
		.timeout_us = cc->timeout_us,
		.failover = on_failover,
		.event = on_event,
		.done = on_done,
		.arg = r,
	};
	int err = sip_reg_start(&r->g, r->pc.ua, &s);
	if (err) {
		cmd_error(r->cmd, "cannot send REGISTER: %s", sip_strerror(err));
		fail(r, probe_exit_code(err), NULL, sip_strerror(err));
	}
}

/* Ctrl-C or SIGTERM: remove the binding we hold, then exit. */
static void on_signal(void *arg)
{
	struct reg *r = arg;
	r->stopping = true;
	probe_prompt_cancel(&r->pc);
	if (sip_reg_bound(r->g) && !r->cc.quiet)
		fprintf(stderr, "sip: register: removing the binding of %s\n", r->aor_text);
	if (!r->g)
		interrupted(r); /* still resolving */
	else if (sip_reg_stop(r->g) != 0)
		stop(r, r->rc);
}

static void on_dest(struct probe_dest *d, int err, void *arg)
{
	struct reg *r = arg;
	(void)d;
	if (err) {
		if (err == SIP_EINVAL) { /* no address of -l's family, said */
			stop(r, EXIT_USAGE);
			return;
		}
		cmd_error(r->cmd, "cannot resolve '%s': %s", r->registrar_buf, sip_strerror(err));
		fail(r, EXIT_DNS, NULL, sip_strerror(err));
		return;
	}
	start(r);
}

static int finish(void *arg)
{
	struct reg *r = arg;
	if (!r->over) /* a second signal stopped it at once */
		interrupted(r);
	int rc = r->rc;
	sip_reg_free(r->g);
	probe_ctx_reset(&r->pc);
	cmd_signals_done(); /* after the loop gave back its handlers */
	free(r);
	return rc;
}

static int parse(struct reg *r, const struct cmd *self, int argc, char **argv)
{
	const char *arg;
	int key, modes = 0;
	while ((key = cmd_getopt(self, &r->cc, argc, argv, &arg)) >= 0) {
		switch (key) {
		case OPT_EXPIRES:
			if (cmd_parse_uint(self, "expires", arg, 0, UINT32_MAX, &r->expires))
				return EXIT_USAGE;
			break;
		case OPT_QUERY:
			r->mode = SIP_REG_QUERY;
			modes++;
			break;
		case OPT_UNREGISTER:
			r->mode = SIP_REG_UNBIND;
			modes++;
			break;
		case OPT_UNREGISTER_ALL:
			r->mode = SIP_REG_UNBIND_ALL;
			modes++;
			break;
		case OPT_KEEP: r->keep = true; break;
		}
	}
	if (key == -3)
		return -1;
	if (key == -2)
		return EXIT_USAGE;
	if (modes > 1 || (r->keep && r->mode != SIP_REG_BIND)) {
		cmd_error(self,
		          "--query, --unregister, --unregister-all and --keep exclude each other");
		return EXIT_USAGE;
	}
	/* A lifetime of 0 removes the binding (RFC 3261 section 10.2.2). */
	if (r->keep && r->expires == 0) {
		cmd_error(self, "--keep with -e 0: a lifetime of 0 removes the binding");
		return EXIT_USAGE;
	}
	if (r->mode == SIP_REG_BIND && r->expires == 0)
		r->mode = SIP_REG_UNBIND;
	if (argc - optind != 1) {
		cmd_error(self, "expected one address of record (sip:alice@example.com)");
		fprintf(stderr, "See 'sip register --help'.\n");
		return EXIT_USAGE;
	}
	r->aor_arg = argv[optind];
	if (cmd_parse_target(self, &r->cc, argv[optind], r->aor_buf, sizeof r->aor_buf, &r->aor) !=
	    0)
		return EXIT_USAGE;
	return registrar_of(r);
}

int cmd_register(const struct cmd *self, int argc, char **argv)
{
	/* On the heap: in the shell, a kept binding outlives this call. */
	struct reg *r = calloc(1, sizeof *r);
	if (!r) {
		cmd_error(self, "out of memory");
		return EXIT_INTERNAL;
	}
	r->cmd = self;
	r->expires = 3600;
	int rc = parse(r, self, argc, argv);
	if (rc) {
		free(r);
		return rc < 0 ? EXIT_OK : rc;
	}
	struct probe_setup setup = {.show_messages = !r->cc.quiet && (r->cc.verbose || !r->keep)};
	if ((rc = probe_ctx_init(&r->pc, self, &r->cc, &setup)) != 0) {
		free(r);
		return rc;
	}
	rc = probe_dest_resolve(&r->pc, &r->dest, &r->registrar, on_dest, r);
	if (rc == 0) {
		cmd_run(&r->run, r->pc.loop, on_signal, r);
		if (cmd_run_detached(&r->run))
			return EXIT_OK;
		return finish(r);
	}
	r->rc = rc;
	r->over = true;
	return finish(r);
}
