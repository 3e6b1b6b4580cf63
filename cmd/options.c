/* options.c - `sip options`: probe servers with OPTIONS. One target prints
 * the exchange and a summary of the server; -c/-i make it a ping with
 * round-trip statistics; several targets are probed at once, one line each;
 * -o nagios speaks the monitoring-plugin format. */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "probe.h"
#include "rtt.h"
#include "run.h"

enum {
	OPT_COUNT = 1,
	OPT_INTERVAL,
	OPT_CONCURRENCY,
	OPT_FILE,
	OPT_EXPECT,
	OPT_WARN,
	OPT_CRIT,
	OPT_DRY_RUN,
	OPT_TRACEROUTE,
	OPT_MAX_HOPS,
};

const struct cmd_opt options_opts[] = {
	{OPT_COUNT, "count", 'c', "N", "send N probes, then print ping statistics", NULL},
	{OPT_INTERVAL, "interval", 'i', "SECONDS",
         "wait between probes (default 1; 0: as fast as the server answers)", NULL},
	{OPT_CONCURRENCY, "concurrency", 0, "N", "with -i 0: probes in flight at once (default 1)",
         NULL},
	{OPT_FILE, "file", 'f', "FILE", "read targets from FILE, one a line ('-': stdin)", NULL},
	{OPT_EXPECT, "expect", 0, "CODE", "count this response (404, 4xx) as success", NULL},
	{OPT_WARN, "warn", 0, "MS", "-o nagios: round trip above MS is WARNING", NULL},
	{OPT_CRIT, "crit", 0, "MS", "-o nagios: round trip above MS is CRITICAL", NULL},
	{OPT_DRY_RUN, "dry-run", 0, NULL, "print the request that would be sent, send nothing",
         NULL},
	{OPT_TRACEROUTE, "traceroute", 0, NULL,
         "Max-Forwards 0, 1, 2...: a line for each proxy that answers 483, then the target's",
         NULL},
	{OPT_MAX_HOPS, "max-hops", 0, "N", "with --traceroute: give up after N hops (default 20)",
         NULL},
	{0},
};

#define MAX_TARGETS 1024

struct target {
	struct run *run;
	char text[512];    /* as given */
	char uri_buf[512]; /* as a URI */
	struct sip_uri uri;
	struct probe_dest dest;
	int result; /* exit code for this target; -1 while in progress */
	unsigned status;
	char reason[300];
	char server[96];
	uint64_t rtt_us;
};

struct run {
	const struct cmd *cmd;
	struct cmd_common cc;
	struct probe_ctx pc;
	struct target *targets;
	size_t ntargets;
	size_t pending;
	/* ping mode */
	bool ping;
	unsigned long count; /* 0: until Ctrl-C */
	uint64_t interval_us;
	unsigned long concurrency;
	unsigned long sent, received, answered_ok, inflight;
	int last_err; /* why the last probe without an answer had none */
	struct rtt_stats rtt;
	struct sip_timer next_probe;
	struct cmd_run run;
	bool stopping;
	/* success */
	struct cmd_expect expect;
	bool nagios;
	unsigned long warn_ms, crit_ms;
	bool dry_run;
	/* --traceroute: the Max-Forwards of the probe under way */
	bool trace;
	unsigned long max_hops, hop;
	char hop_mf[24];
	int rc;
};

static bool json(const struct run *r)
{
	return r->cc.format == SIP_PRINT_JSON;
}

/* A monitoring system reads 2 as CRITICAL: in nagios mode a usage error
 * is UNKNOWN (3), with the one line a plugin owes, saying what was wrong. */
static int usage_exit(const struct run *r)
{
	if (!r->nagios)
		return EXIT_USAGE;
	printf("SIP UNKNOWN - %s\n", *cmd_last_error() ? cmd_last_error() : "bad usage");
	return 3;
}

static bool wanted(const struct run *r, unsigned status)
{
	return cmd_expect_ok(&r->expect, status);
}

static int add_target(struct run *r, const char *text)
{
	if (r->ntargets == MAX_TARGETS) {
		cmd_error(r->cmd, "too many targets (at most %d)", MAX_TARGETS);
		return EXIT_USAGE;
	}
	struct target *t = &r->targets[r->ntargets];
	memset(t, 0, sizeof *t);
	t->run = r;
	t->result = -1;
	snprintf(t->text, sizeof t->text, "%s", text);
	if (cmd_parse_target(r->cmd, &r->cc, text, t->uri_buf, sizeof t->uri_buf, &t->uri) != 0)
		return EXIT_USAGE;
	r->ntargets++;
	return 0;
}

static int read_targets(struct run *r, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f) {
		cmd_error(r->cmd, "cannot open '%s': %m", path);
		return EXIT_USAGE;
	}
	char line[512];
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		char *p = line + strspn(line, " \t");
		p[strcspn(p, " \t\r\n#")] = '\0';
		if (*p)
			rc = add_target(r, p);
	}
	if (f != stdin)
		fclose(f);
	return rc;
}

/* ---- statistics ---- */

static double ms(uint64_t us)
{
	return (double)us / 1000.0;
}

static void print_ping_summary(struct run *r)
{
	struct target *t = &r->targets[0];
	unsigned long lost = r->sent - r->received;
	double loss = r->sent ? 100.0 * (double)lost / (double)r->sent : 0.0;
	const struct rtt_stats *st = &r->rtt;
	double avg = rtt_avg_ms(st), mdev = rtt_mdev_ms(st);
	if (json(r)) {
		printf("{\"summary\":{\"target\":");
		sip_print_json_str(stdout, sip_str_from(t->text));
		printf(",\"sent\":%lu,\"received\":%lu,\"answered_ok\":%lu,\"loss_pct\":%.1f",
		       r->sent, r->received, r->answered_ok, loss);
		if (st->n)
			printf(",\"rtt_ms\":{\"min\":%.3f,\"avg\":%.3f,\"max\":%.3f,\"mdev\":%.3f,"
			       "\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f}",
			       ms(st->min), avg, ms(st->max), mdev, ms(rtt_percentile(st, 50)),
			       ms(rtt_percentile(st, 95)), ms(rtt_percentile(st, 99)));
		printf("}}\n");
		return;
	}
	printf("\n--- %s sip options statistics ---\n", t->text);
	printf("%lu requests sent, %lu received, %lu answered %s, %.1f%% loss\n", r->sent,
	       r->received, r->answered_ok, r->expect.code ? "as expected" : "2xx", loss);
	if (!st->n)
		return;
	printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", ms(st->min), avg, ms(st->max),
	       mdev);
	printf("rtt p50/p95/p99 = %.3f/%.3f/%.3f ms\n", ms(rtt_percentile(st, 50)),
	       ms(rtt_percentile(st, 95)), ms(rtt_percentile(st, 99)));
}

static void print_ping_reply(const struct run *r, const struct probe *p, int err,
                             const struct sip_msg *resp, uint64_t rtt)
{
	if (json(r) && err) {
		printf("{\"seq\":%lu,\"peer\":\"%s\",\"error\":\"%s\"}\n", p->seq, p->peer,
		       sip_strerror(err));
	} else if (json(r)) {
		printf("{\"seq\":%lu,\"peer\":\"%s\",\"status\":%u,\"reason\":", p->seq, p->peer,
		       resp->status);
		sip_print_json_str(stdout, resp->reason);
		printf(",\"rtt_ms\":%.3f}\n", ms(rtt));
	} else if (err) {
		char why[300];
		printf("no response from %s seq=%lu: %s\n", p->peer, p->seq,
		       probe_err_text(p->req, err, why, sizeof why));
	} else {
		printf("%u %.*s from %s seq=%lu time=%.3f ms\n", resp->status,
		       SIP_STR_FMT(resp->reason), p->peer, p->seq, ms(rtt));
	}
}

/* ---- one probe ---- */

/* How long a ping waits for its last answers after Ctrl-C. */
#define PING_DRAIN_US 1000000

static void send_next_ping(void *arg);

static void finish_target(struct target *t, int result)
{
	struct run *r = t->run;
	t->result = result;
	if (r->pending)
		r->pending--;
	if (r->pending == 0)
		sip_loop_stop(r->pc.loop);
}

static void header_text(const struct sip_msg *m, enum sip_hdr_id id, char *buf, size_t cap)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);
	snprintf(buf, cap, "%.*s", h ? (int)h->value.len : 0, h ? h->value.p : "");
}

static int start_probe(struct target *t);

/* One hop of --traceroute: who answered the probe with Max-Forwards r->hop. */
static void print_hop(const struct run *r, const struct target *t, int err, uint64_t rtt)
{
	const char *who = t->server[0] ? t->server : "(no Server or User-Agent)";
	if (json(r)) {
		printf("{\"hop\":%lu,\"max_forwards\":%lu", r->hop + 1, r->hop);
		if (err) {
			printf(",\"error\":");
			sip_print_json_str(stdout, sip_str_from(sip_strerror(err)));
		} else {
			printf(",\"status\":%u,\"reason\":", t->status);
			sip_print_json_str(stdout, sip_str_from(t->reason));
			printf(",\"server\":");
			sip_print_json_str(stdout, sip_str_from(t->server));
			printf(",\"rtt_ms\":%.3f", ms(rtt));
		}
		printf("}\n");
	} else if (err) {
		printf("%2lu  * %s\n", r->hop + 1, sip_strerror(err));
	} else {
		printf("%2lu  %-32s %u %s  %.3f ms\n", r->hop + 1, who, t->status, t->reason,
		       ms(rtt));
	}
	cmd_flush();
}

/* A 483 is a proxy that the request got as far as: the next probe goes one further. */
static bool trace_next(struct target *t, int err, const struct sip_msg *resp, uint64_t rtt)
{
	struct run *r = t->run;
	print_hop(r, t, err, rtt);
	if (err || resp->status != 483 || r->stopping)
		return false;
	if (r->hop + 1 >= r->max_hops) {
		cmd_error(r->cmd, "'%s': no answer but 483 within %lu hop%s", t->text, r->max_hops,
		          r->max_hops == 1 ? "" : "s");
		return false;
	}
	r->hop++;
	if (start_probe(t) == 0)
		return true;
	t->result = EXIT_INTERNAL;
	return false;
}

static void on_probe_done(struct probe *p, int err, const struct sip_msg *resp, uint64_t rtt)
{
	struct target *t = p->arg;
	struct run *r = t->run;
	if (r->ping) {
		r->inflight--;
		if (err)
			r->last_err = err;
		if (!err) {
			r->received++;
			if (wanted(r, resp->status))
				r->answered_ok++;
			rtt_add(&r->rtt, rtt);
		}
		if (!r->cc.quiet && r->interval_us)
			print_ping_reply(r, p, err, resp, rtt);
		probe_free(p);
		if (r->stopping || (r->count && r->sent >= r->count)) {
			if (r->inflight == 0)
				sip_loop_stop(r->pc.loop);
		} else if (r->interval_us == 0) {
			send_next_ping(r);
		}
		return;
	}
	if (err) {
		char why[300];
		t->result = probe_exit_code(err);
		snprintf(t->reason, sizeof t->reason, "%s",
		         probe_err_text(p->req, err, why, sizeof why));
	} else if (!resp) {
		t->result = EXIT_OK; /* a dry run: the request was printed */
	} else {
		t->status = resp->status;
		t->rtt_us = rtt;
		snprintf(t->reason, sizeof t->reason, "%.*s", SIP_STR_FMT(resp->reason));
		header_text(resp, SIP_HDR_SERVER, t->server, sizeof t->server);
		if (!t->server[0])
			header_text(resp, SIP_HDR_USER_AGENT, t->server, sizeof t->server);
		if (r->ntargets == 1 && !r->nagios && !r->trace)
			probe_print_summary(p, resp, &r->cc);
		t->result = p->auth_failed            ? EXIT_AUTH
		            : wanted(r, resp->status) ? EXIT_OK
		                                      : EXIT_RESPONSE;
	}
	bool auth_failed = p->auth_failed;
	probe_free(p);
	if (r->trace && !auth_failed && trace_next(t, err, resp, rtt))
		return;
	finish_target(t, t->result);
}

static int start_probe(struct target *t)
{
	struct run *r = t->run;
	snprintf(r->hop_mf, sizeof r->hop_mf, "Max-Forwards: %lu", r->hop);
	const struct sip_build_hdr mf = {.line = r->hop_mf};
	struct probe_spec ps = {
		.headers = r->trace ? &mf : NULL,
		.nheaders = r->trace ? 1 : 0,
		.method = SIP_OPTIONS,
		.dest = &t->dest,
		.seq = r->ping ? r->sent : 1,
		.done = on_probe_done,
		.arg = t,
		.dry_run = r->dry_run,
	};
	return probe_start(&r->pc, &ps);
}

static void send_next_ping(void *arg)
{
	struct run *r = arg;
	struct target *t = &r->targets[0];
	while (!r->stopping && (!r->count || r->sent < r->count) &&
	       r->inflight < (r->interval_us ? 1000000ul : r->concurrency)) {
		r->sent++;
		r->inflight++;
		if (start_probe(t) != 0) {
			r->inflight--;
			r->stopping = true;
			break;
		}
		if (r->interval_us)
			break;
	}
	if (r->interval_us && !r->stopping && (!r->count || r->sent < r->count))
		sip_timer_start(r->pc.loop, &r->next_probe, r->interval_us, send_next_ping, r);
	if (r->inflight == 0)
		sip_loop_stop(r->pc.loop);
}

static void on_drained(void *arg)
{
	struct run *r = arg;
	sip_loop_stop(r->pc.loop);
}

/* The first Ctrl-C: a ping stops sending and gives what is out a second
 * more, as ping(8) would not: an answer on its way is not a loss, but a
 * server that went silent must not hold the summary for Timer F; any other
 * probe without its answer yet was interrupted. */
static void on_interrupt(void *arg)
{
	struct run *r = arg;
	r->stopping = true;
	probe_prompt_cancel(&r->pc);
	sip_timer_cancel(r->pc.loop, &r->next_probe);
	if (r->ping && r->inflight) {
		sip_timer_start(r->pc.loop, &r->next_probe, PING_DRAIN_US, on_drained, r);
		return;
	}
	for (size_t i = 0; !r->ping && i < r->ntargets; i++) {
		struct target *t = &r->targets[i];
		if (t->result < 0) {
			snprintf(t->reason, sizeof t->reason, "%s", CMD_INTERRUPTED);
			t->result = EXIT_TIMEOUT;
		}
	}
	sip_loop_stop(r->pc.loop);
}

/* Once every target has its destinations, the probes start. */
static void on_dest_ready(struct probe_dest *d, int err, void *arg)
{
	struct target *t = arg;
	struct run *r = t->run;
	if (err) {
		/* No address of -l's family is a usage error, said with both. */
		snprintf(t->reason, sizeof t->reason, "%s",
		         err == SIP_EINVAL ? "no address of the local address's family"
		                           : sip_strerror(err));
		finish_target(t, probe_dest_exit(err));
		return;
	}
	if (r->ping) {
		send_next_ping(r);
		return;
	}
	if (r->trace && !json(r)) {
		char where[340];
		probe_target_text(&d->targets[d->cur], " ", where, sizeof where);
		printf("traceroute to %s over %s, %lu hops max\n", d->ruri_text, where,
		       r->max_hops);
	}
	if (start_probe(t) != 0)
		finish_target(t, EXIT_INTERNAL);
}

/* ---- output of several targets, and nagios ---- */

static void print_table(struct run *r)
{
	for (size_t i = 0; i < r->ntargets; i++) {
		struct target *t = &r->targets[i];
		int result = t->result < 0 ? EXIT_TIMEOUT : t->result;
		if (json(r)) {
			printf("{\"target\":");
			sip_print_json_str(stdout, sip_str_from(t->text));
			if (t->status) {
				printf(",\"status\":%u,\"reason\":", t->status);
				sip_print_json_str(stdout, sip_str_from(t->reason));
				printf(",\"rtt_ms\":%.3f,\"server\":", ms(t->rtt_us));
				sip_print_json_str(stdout, sip_str_from(t->server));
			} else {
				printf(",\"error\":");
				sip_print_json_str(
					stdout,
					sip_str_from(t->reason[0] ? t->reason : "not probed"));
			}
			printf(",\"exit\":%d}\n", result);
		} else if (t->status)
			printf("%-32s %u %-24s %8.3f ms  %s\n", t->text, t->status, t->reason,
			       ms(t->rtt_us), t->server);
		else
			printf("%-32s --- %s\n", t->text, t->reason[0] ? t->reason : "not probed");
	}
}

static int nagios(struct run *r)
{
	struct target *t = &r->targets[0];
	double rtt = ms(t->rtt_us);
	const char *state[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
	int code;
	if (t->result == EXIT_OK)
		code = (r->crit_ms && rtt > (double)r->crit_ms)   ? 2
		       : (r->warn_ms && rtt > (double)r->warn_ms) ? 1
		                                                  : 0;
	else
		/* Interrupted, the check has no outcome: UNKNOWN. */
		code = t->result == EXIT_USAGE || t->result == EXIT_INTERNAL ||
		                       (cmd_run_interrupted(&r->run) && !t->status)
		               ? 3
		               : 2;
	char warn[24] = "", crit[24] = "";
	if (r->warn_ms)
		snprintf(warn, sizeof warn, "%lu", r->warn_ms);
	if (r->crit_ms)
		snprintf(crit, sizeof crit, "%lu", r->crit_ms);
	if (t->status)
		printf("SIP %s - %u %s from %s in %.1f ms | rtt=%.3fms;%s;%s;0\n", state[code],
		       t->status, t->reason, t->server[0] ? t->server : t->text, rtt, rtt, warn,
		       crit);
	else
		printf("SIP %s - %s: %s\n", state[code], t->text, t->reason);
	return code;
}

int cmd_options(const struct cmd *self, int argc, char **argv)
{
	struct run r = {.cmd = self, .concurrency = 1, .interval_us = 1000000, .max_hops = 20};
	const char *file = NULL, *arg;
	bool interval_set = false, max_hops_set = false;
	unsigned long v;
	int key = 0;
	/* -o nagios may come after the mistake: the whole line decides. */
	const char *output = cmd_argv_output(self, argc, argv);
	r.nagios = output && strcasecmp(output, "nagios") == 0;
	while (key != -2 && (key = cmd_getopt(self, &r.cc, argc, argv, &arg)) >= 0) {
		switch (key) {
		case OPT_COUNT:
			if (cmd_parse_uint(self, "count", arg, 1, 100000000, &r.count))
				key = -2;
			r.ping = true;
			break;
		case OPT_INTERVAL:
			if (cmd_parse_seconds(self, "interval", arg, true, 86400, &r.interval_us))
				key = -2;
			r.ping = interval_set = true;
			break;
		case OPT_CONCURRENCY:
			if (cmd_parse_uint(self, "concurrency", arg, 1, 10000, &r.concurrency))
				key = -2;
			break;
		case OPT_FILE: file = arg; break;
		case OPT_EXPECT:
			if (cmd_parse_expect(self, arg, &r.expect))
				key = -2;
			break;
		case OPT_WARN:
		case OPT_CRIT:
			if (cmd_parse_uint(self, key == OPT_WARN ? "warn" : "crit", arg, 0, 3600000,
			                   &v))
				key = -2;
			else
				*(key == OPT_WARN ? &r.warn_ms : &r.crit_ms) = v;
			break;
		case OPT_DRY_RUN: r.dry_run = true; break;
		case OPT_TRACEROUTE: r.trace = true; break;
		case OPT_MAX_HOPS:
			if (cmd_parse_uint(self, "max-hops", arg, 1, 255, &r.max_hops))
				key = -2;
			max_hops_set = true;
			break;
		}
	}
	if (key == -3)
		return EXIT_OK;
	if (key == -2)
		return usage_exit(&r);
	r.targets = calloc(MAX_TARGETS, sizeof *r.targets);
	if (!r.targets) {
		cmd_error(self, "out of memory");
		return EXIT_INTERNAL;
	}
	int rc = 0;
	for (int i = optind; rc == 0 && i < argc; i++)
		rc = add_target(&r, argv[i]);
	if (rc == 0 && file)
		rc = read_targets(&r, file);
	if (rc == 0 && r.ntargets == 0) {
		cmd_error(self, "no target given");
		fprintf(stderr, "See 'sip options --help'.\n");
		rc = EXIT_USAGE;
	}
	if (rc == 0 && r.concurrency > 1 && (!interval_set || r.interval_us != 0)) {
		cmd_error(self, "--concurrency needs -i 0");
		rc = EXIT_USAGE;
	}
	if (rc == 0 && r.ping && r.ntargets > 1) {
		cmd_error(self, "-c and -i take one target");
		rc = EXIT_USAGE;
	}
	if (rc == 0 && r.nagios && (r.ntargets > 1 || r.ping)) {
		cmd_error(self, "-o nagios takes one target and no -c or -i");
		rc = EXIT_USAGE;
	}
	if (rc == 0 && !r.nagios && (r.warn_ms || r.crit_ms)) {
		cmd_error(self, "--warn and --crit go with -o nagios");
		rc = EXIT_USAGE;
	}
	if (rc == 0 && r.dry_run && (r.ntargets > 1 || r.ping)) {
		cmd_error(self, "--dry-run takes one target and no -c or -i");
		rc = EXIT_USAGE;
	}
	if (rc == 0 && r.trace &&
	    (r.ntargets > 1 || r.ping || r.nagios || r.dry_run || r.cc.max_forwards >= 0)) {
		cmd_error(self, "--traceroute takes one target and no -c, -i, -o nagios, --dry-run "
		                "or --max-forwards");
		rc = EXIT_USAGE;
	}
	if (rc == 0 && max_hops_set && !r.trace) {
		cmd_error(self, "--max-hops goes with --traceroute");
		rc = EXIT_USAGE;
	}
	if (rc) {
		free(r.targets);
		return rc == EXIT_USAGE ? usage_exit(&r) : rc;
	}
	/* Many targets, a ping or nagios print lines of their own, the messages only with -v. */
	bool show_messages = r.ntargets == 1 && !r.ping && !r.nagios && !r.trace ? !r.cc.quiet
	                                                                         : r.cc.verbose > 0;
	struct probe_setup setup = {.show_messages = show_messages};
	rc = probe_ctx_init(&r.pc, self, &r.cc, &setup);
	if (rc) {
		free(r.targets);
		return rc == EXIT_USAGE ? usage_exit(&r) : rc;
	}
	r.pending = r.ntargets;
	for (size_t i = 0; i < r.ntargets; i++) {
		int dr = probe_dest_resolve(&r.pc, &r.targets[i].dest, &r.targets[i].uri,
		                            on_dest_ready, &r.targets[i]);
		if (dr) {
			snprintf(r.targets[i].reason, sizeof r.targets[i].reason, "%s",
			         dr == EXIT_USAGE ? cmd_last_error() : "cannot resolve");
			finish_target(&r.targets[i], dr);
		}
	}
	if (r.pending)
		cmd_run(&r.run, r.pc.loop, on_interrupt, &r);
	/* A drain stopped early (its last answer came, or a second Ctrl-C)
	 * leaves its timer armed on a loop that may be the shell's. */
	sip_timer_cancel(r.pc.loop, &r.next_probe);

	if (r.ping) {
		print_ping_summary(&r);
		rc = r.received == 0               ? (r.targets[0].result > 0 ? r.targets[0].result
		                                      : r.last_err            ? probe_exit_code(r.last_err)
		                                                              : EXIT_TIMEOUT)
		     : r.answered_ok == r.received ? EXIT_OK
		                                   : EXIT_RESPONSE;
	} else if (r.nagios) {
		rc = nagios(&r);
	} else {
		if (r.ntargets > 1)
			print_table(&r);
		rc = EXIT_OK;
		for (size_t i = 0; i < r.ntargets; i++) {
			int tr = r.targets[i].result < 0 ? EXIT_TIMEOUT : r.targets[i].result;
			if (tr > rc)
				rc = tr;
			if (r.ntargets > 1 || tr == EXIT_OK || tr == EXIT_USAGE ||
			    r.targets[i].status)
				continue;
			if (tr == EXIT_DNS)
				cmd_error(self, "cannot resolve '%s': %s", r.targets[i].text,
				          r.targets[i].reason);
			else
				cmd_error(self, "'%s': %s", r.targets[i].text, r.targets[i].reason);
			if (json(&r))
				probe_print_no_answer(r.targets[i].text, r.targets[i].reason, tr);
		}
	}
	rc = cmd_run_exit(&r.run, rc);
	for (size_t i = 0; i < r.ntargets; i++)
		probe_dest_reset(&r.targets[i].dest);
	probe_ctx_reset(&r.pc);
	cmd_signals_done(); /* after the loop gave back its handlers */
	rtt_free(&r.rtt);
	free(r.targets);
	return rc;
}
