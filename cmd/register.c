/* register.c - `sip register`: register a binding, list, remove one or
 * all, or stay registered with refreshes until Ctrl-C or SIGTERM, which
 * remove the binding before exiting. */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "probe.h"
#include "run.h"

enum { OPT_EXPIRES = 1, OPT_QUERY, OPT_UNREGISTER, OPT_UNREGISTER_ALL, OPT_KEEP };

const struct cmd_opt register_opts[] = {
	{OPT_EXPIRES, "expires", 'e', "SECONDS", "registration lifetime to ask for (default 3600)",
         NULL},
	{OPT_QUERY, "query", 0, NULL, "list the bindings of the address, change nothing", NULL},
	{OPT_UNREGISTER, "unregister", 0, NULL, "remove our binding (Expires: 0)", NULL},
	{OPT_UNREGISTER_ALL, "unregister-all", 0, NULL, "remove every binding (Contact: *)", NULL},
	{OPT_KEEP, "keep", 'k', NULL, "stay registered: refresh until Ctrl-C, then unregister",
         NULL},
	{0},
};

enum mode { REGISTER, QUERY, UNREGISTER, UNREGISTER_ALL };

struct reg {
	const struct cmd *cmd;
	struct cmd_common cc;
	struct probe_ctx pc;
	struct probe_dest dest;
	enum mode mode;
	bool keep;
	unsigned long expires;
	char aor_buf[512];
	struct sip_uri aor;
	char aor_text[512]; /* From and To */
	char registrar_buf[512];
	struct sip_uri registrar; /* the Request-URI: the AOR's domain (§10.2) */
	char user[128];
	char expires_hdr[40];
	struct sip_build_hdr hdrs[1];
	unsigned long seq;
	unsigned long granted;
	struct sip_timer refresh;
	bool stopping;   /* Ctrl-C: unregister, then exit */
	bool registered; /* a binding of ours is in place */
	unsigned refreshes;
	int rc;
};

static void send_register(struct reg *r);

/* When to refresh a binding granted for g seconds: well before it lapses
 * (RFC 3261 §10.2.4), halfway for a short one. */
static uint64_t refresh_after_us(unsigned long g)
{
	unsigned long s = g > 60 ? g - 30 : g / 2;
	return (uint64_t)(s ? s : 1) * 1000000u;
}

static void on_refresh(void *arg)
{
	send_register(arg);
}

/* Whether a Contact the registrar returned is the one we registered:
 * --contact's URI, or the one made from our local address. */
static bool is_ours(const struct reg *r, const struct probe *p, struct sip_str uri)
{
	char mine[300];
	struct sip_addr a;
	struct sip_uri ours, theirs;
	if (r->cc.contact) {
		if (sip_addr_parse(&a, sip_str_from(r->cc.contact)) != 0)
			return false;
		snprintf(mine, sizeof mine, "%.*s", SIP_STR_FMT(a.uri));
	} else {
		char host[80];
		if (sip_sockaddr_host(&p->local, host, sizeof host) < 0)
			return false;
		snprintf(mine, sizeof mine, "sip:%s@%s:%u", r->user, host,
		         sip_sockaddr_port(&p->local));
	}
	return sip_uri_parse(&ours, sip_str_from(mine)) == 0 && sip_uri_parse(&theirs, uri) == 0 &&
	       sip_str_ieq(ours.host, theirs.host) && ours.port == theirs.port &&
	       sip_str_eq(ours.user, theirs.user);
}

/* The expiry granted to our binding: its Contact's expires=, else Expires:. */
static unsigned long granted_expiry(const struct reg *r, const struct probe *p,
                                    const struct sip_msg *resp)
{
	unsigned long g = r->expires;
	uint64_t v;
	const struct sip_hdr *e = sip_msg_hdr(resp, SIP_HDR_EXPIRES);
	if (e && sip_hdr_uint(e->value, UINT32_MAX, &v) == 0)
		g = (unsigned long)v;
	for (const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_CONTACT); h;
	     h = sip_msg_hdr_next(resp, h)) {
		struct sip_str list = h->value, elem;
		while (sip_list_next(&list, &elem) == 1) {
			struct sip_addr a;
			struct sip_str ev;
			if (sip_addr_parse(&a, elem) != 0 || a.star || !is_ours(r, p, a.uri))
				continue;
			if (sip_param_get(a.params, "expires", &ev) &&
			    sip_hdr_uint(ev, UINT32_MAX, &v) == 0)
				g = (unsigned long)v;
		}
	}
	return g;
}

/* Each binding the registrar returned, decoded; ours marked. */
static void print_bindings(const struct reg *r, const struct probe *p, const struct sip_msg *resp)
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
			bool mine = is_ours(r, p, a.uri);
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
		if (r->mode == REGISTER)
			printf(",\"granted\":%lu", r->granted);
		printf("}\n");
	} else if (n == 0) {
		printf("no bindings for %s\n", r->aor_text);
	}
}

static void stop(struct reg *r, int rc)
{
	r->rc = rc;
	sip_timer_cancel(r->pc.loop, &r->refresh);
	sip_loop_stop(r->pc.loop);
}

static void on_done(struct probe *p, int err, const struct sip_msg *resp, uint64_t rtt)
{
	struct reg *r = p->arg;
	(void)rtt;
	r->seq = p->cseq + 1;
	if (err || !resp) {
		int rc = err ? probe_exit_code(err) : EXIT_OK;
		if (err && r->keep && !r->stopping && r->registered) {
			/* A refresh that got no answer: try again soon, the binding may still hold. */
			cmd_warn(r->cmd, "refresh of %s: %s; retrying in 5 s", r->aor_text,
			         sip_strerror(err));
			sip_timer_start(r->pc.loop, &r->refresh, 5000000, on_refresh, r);
		} else {
			if (err)
				cmd_error(r->cmd, "'%s': %s", r->aor_text, sip_strerror(err));
			stop(r, rc);
		}
		probe_free(p);
		return;
	}
	unsigned status = resp->status;
	bool failed_auth = p->auth_failed;
	/* 423 Interval Too Brief: ask again with the registrar's Min-Expires. */
	const struct sip_hdr *me = sip_msg_hdr(resp, SIP_HDR_MIN_EXPIRES);
	uint64_t min;
	if (status == 423 && me && sip_hdr_uint(me->value, UINT32_MAX, &min) == 0 &&
	    min > r->expires && r->mode == REGISTER) {
		cmd_warn(r->cmd, "423 Interval Too Brief: asking for Min-Expires %lu s",
		         (unsigned long)min);
		r->expires = (unsigned long)min;
		probe_free(p);
		send_register(r);
		return;
	}
	if (status >= 200 && status < 300) {
		if (r->mode == REGISTER && !r->stopping)
			r->granted = granted_expiry(r, p, resp);
		/* -q drops the messages, not the answer: the bindings still show. */
		if (r->cc.format != SIP_PRINT_RAW && !r->stopping)
			print_bindings(r, p, resp);
		if (r->mode == REGISTER && !r->stopping && r->cc.format == SIP_PRINT_PRETTY)
			printf("registered %s for %lu s%s\n", r->aor_text, r->granted,
			       r->keep ? "; refreshing until Ctrl-C" : "");
	}
	probe_free(p);
	if (status < 200 || status >= 300) {
		if (!failed_auth)
			cmd_error(r->cmd, "'%s': %u %.*s", r->aor_text, status,
			          SIP_STR_FMT(resp->reason));
		stop(r, failed_auth ? EXIT_AUTH : EXIT_RESPONSE);
		return;
	}
	r->registered = r->mode == REGISTER && !r->stopping;
	if (r->keep && !r->stopping) {
		if (r->refreshes++ && !r->cc.quiet)
			fprintf(stderr, "sip: register: refreshed %s for %lu s\n", r->aor_text,
			        r->granted);
		sip_timer_start(r->pc.loop, &r->refresh, refresh_after_us(r->granted), on_refresh,
		                r);
		return;
	}
	stop(r, EXIT_OK);
}

static void send_register(struct reg *r)
{
	bool unreg = r->mode == UNREGISTER || r->mode == UNREGISTER_ALL || r->stopping;
	struct probe_spec ps = {
		.method = SIP_REGISTER,
		.dest = &r->dest,
		.seq = r->seq,
		.done = on_done,
		.arg = r,
		/* --from and --to win: registering on behalf of another (§10.2). */
		.from = r->cc.from ? NULL : r->aor_text,
		.to = r->cc.to ? NULL : r->aor_text,
		.contact = r->mode == QUERY            ? ""
	                   : r->mode == UNREGISTER_ALL ? "*"
	                                               : NULL,
		.headers = r->hdrs,
		.nheaders = r->mode == QUERY ? 0 : 1,
	};
	snprintf(r->expires_hdr, sizeof r->expires_hdr, "Expires: %lu", unreg ? 0ul : r->expires);
	r->hdrs[0].line = r->expires_hdr;
	int err = probe_start(&r->pc, &ps);
	if (err) {
		cmd_error(r->cmd, "cannot send REGISTER: %s", sip_strerror(err));
		stop(r, probe_exit_code(err));
	}
}

/* Ctrl-C or SIGTERM: remove the binding we hold, then exit. */
static void on_signal(void *arg)
{
	struct reg *r = arg;
	if (!r->registered) {
		stop(r, r->rc);
		return;
	}
	r->stopping = true;
	sip_timer_cancel(r->pc.loop, &r->refresh);
	if (!r->cc.quiet)
		fprintf(stderr, "sip: register: removing the binding of %s\n", r->aor_text);
	send_register(r);
}

static void on_dest(struct probe_dest *d, int err, void *arg)
{
	struct reg *r = arg;
	(void)d;
	if (err) {
		cmd_error(r->cmd, "cannot resolve '%s': %s", r->registrar_buf, sip_strerror(err));
		stop(r, EXIT_DNS);
		return;
	}
	send_register(r);
}

/* From the address of record, the registrar's URI: its host, port and
 * transport, without the user (RFC 3261 §10.2). */
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

int cmd_register(const struct cmd *self, int argc, char **argv)
{
	struct reg r;
	const char *arg;
	int key, modes = 0;
	memset(&r, 0, sizeof r);
	r.cmd = self;
	r.expires = 3600;
	r.seq = 1;
	while ((key = cmd_getopt(self, &r.cc, argc, argv, &arg)) >= 0) {
		switch (key) {
		case OPT_EXPIRES:
			if (cmd_parse_uint(self, "expires", arg, 0, UINT32_MAX, &r.expires))
				return EXIT_USAGE;
			break;
		case OPT_QUERY:
			r.mode = QUERY;
			modes++;
			break;
		case OPT_UNREGISTER:
			r.mode = UNREGISTER;
			modes++;
			break;
		case OPT_UNREGISTER_ALL:
			r.mode = UNREGISTER_ALL;
			modes++;
			break;
		case OPT_KEEP: r.keep = true; break;
		}
	}
	if (key == -3)
		return EXIT_OK;
	if (key == -2)
		return EXIT_USAGE;
	if (modes > 1 || (r.keep && r.mode != REGISTER)) {
		cmd_error(self,
		          "--query, --unregister, --unregister-all and --keep exclude each other");
		return EXIT_USAGE;
	}
	if (argc - optind != 1) {
		cmd_error(self, "expected one address of record (sip:alice@example.com)");
		fprintf(stderr, "See 'sip register --help'.\n");
		return EXIT_USAGE;
	}
	if (cmd_parse_target(self, argv[optind], r.aor_buf, sizeof r.aor_buf, &r.aor) != 0)
		return EXIT_USAGE;
	int rc = registrar_of(&r);
	if (rc)
		return rc;
	struct probe_setup setup = {.show_messages = !r.cc.quiet && (r.cc.verbose || !r.keep)};
	if ((rc = probe_ctx_init(&r.pc, self, &r.cc, &setup)) != 0)
		return rc;
	sip_timer_init(&r.refresh);
	rc = probe_dest_resolve(&r.pc, &r.dest, &r.registrar, on_dest, &r);
	if (rc == 0) {
		r.dest.contact_user = r.user;
		struct cmd_run run;
		cmd_run(&run, r.pc.loop, on_signal, &r);
		rc = run.forced ? run.forced : r.rc;
	}
	sip_timer_cancel(r.pc.loop, &r.refresh);
	probe_ctx_reset(&r.pc);
	cmd_signals_done(); /* after the loop gave back its handlers */
	return rc;
}
