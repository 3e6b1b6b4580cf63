/* listen.c - `sip listen`: a responder. It prints every request it
 * receives and answers it as the library does by default (200 to OPTIONS
 * with Allow, Supported and Accept; 481 in a dialog; 405 otherwise), until
 * Ctrl-C or --count requests. The README's demo probes it with sip options. */
#include <getopt.h>
#include <signal.h>
#include <string.h>

#include "cmd.h"
#include "probe.h"
#include "run.h"

enum { OPT_COUNT = 1, OPT_TLS, OPT_CERT, OPT_KEY };

const struct cmd_opt listen_opts[] = {
	{OPT_COUNT, "count", 'c', "N", "exit after answering N requests", NULL},
	{OPT_TLS, "tls", 0, NULL, "accept TLS instead of TCP (needs --cert and --key)", NULL},
	{OPT_CERT, "cert", 0, "FILE", "TLS: the server certificate (PEM)", NULL},
	{OPT_KEY, "key", 0, "FILE", "TLS: the certificate's private key (PEM)", NULL},
	{0},
};

struct listener {
	struct probe_ctx pc;
	unsigned long count, answered;
	struct sip_timer stop;
};

static void stop_now(void *arg)
{
	struct listener *ls = arg;
	sip_loop_stop(ls->pc.loop);
}

static bool on_request(struct sip_incoming *in, const struct sip_msg *req, void *arg)
{
	struct listener *ls = arg;
	(void)req;
	sip_incoming_default(in);
	/* Stop on the next turn, once the answer is on its way. */
	if (ls->count && ++ls->answered >= ls->count)
		sip_timer_start(ls->pc.loop, &ls->stop, 0, stop_now, ls);
	return true;
}

int cmd_listen(const struct cmd *self, int argc, char **argv)
{
	struct listener ls;
	struct cmd_common cc;
	const char *arg, *cert = NULL, *key = NULL;
	bool tls = false;
	int k;
	memset(&ls, 0, sizeof ls);
	while ((k = cmd_getopt(self, &cc, argc, argv, &arg)) >= 0) {
		switch (k) {
		case OPT_COUNT:
			if (cmd_parse_uint(self, "count", arg, 1, 1000000000, &ls.count))
				return EXIT_USAGE;
			break;
		case OPT_TLS: tls = true; break;
		case OPT_CERT: cert = arg; break;
		case OPT_KEY: key = arg; break;
		}
	}
	if (k == -3)
		return EXIT_OK;
	if (k == -2)
		return EXIT_USAGE;
	if (argc - optind > 1) {
		cmd_error(self, "too many arguments: one [ADDR][:PORT] at most");
		return EXIT_USAGE;
	}
	if (tls && (!cert || !key)) {
		cmd_error(self, "--tls needs --cert and --key");
		return EXIT_USAGE;
	}
	/* Without --tls they would be ignored, and plain TCP taken for TLS. */
	if (!tls && (cert || key)) {
		cmd_error(self, "%s goes with --tls", cert ? "--cert" : "--key");
		return EXIT_USAGE;
	}
	/* A bare address listens on the SIP port; ":PORT" listens everywhere. */
	char where_arg[80];
	const char *a = optind < argc ? argv[optind] : "0.0.0.0";
	const char *colon = strchr(a, ':');
	bool bare_v6 = a[0] != '[' && colon && colon != strrchr(a, ':');
	if (a[0] == '[')
		snprintf(where_arg, sizeof where_arg, "%s%s", a, strstr(a, "]:") ? "" : ":5060");
	else if (bare_v6)
		snprintf(where_arg, sizeof where_arg, "[%s]:5060", a);
	else
		snprintf(where_arg, sizeof where_arg, "%s%s%s", a[0] == ':' ? "0.0.0.0" : "", a,
		         colon ? "" : ":5060");
	cc.local = where_arg;
	struct probe_setup setup = {.show_messages = !cc.quiet, .cert_file = cert, .key_file = key};
	int rc = probe_ctx_init(&ls.pc, self, &cc, &setup);
	if (rc)
		return rc;
	enum sip_tp stream = tls ? SIP_TP_TLS : SIP_TP_TCP;
	int err = sip_ua_listen(ls.pc.ua, stream);
	struct sip_sockaddr bound;
	char where[64] = "";
	if (err == 0 && sip_ua_bound(ls.pc.ua, SIP_TP_UDP, AF_UNSPEC, &bound) == 0)
		sip_sockaddr_print(&bound, where, sizeof where);
	if (err) {
		cmd_error(self, "cannot listen for %s on '%s': %s", sip_tp_name(stream), cc.local,
		          sip_strerror(err));
		probe_ctx_reset(&ls.pc);
		return EXIT_TRANSPORT;
	}
	/* The port matters to whoever started us with port 0: say it first. */
	fprintf(stderr, "sip: listen: listening on %s (UDP, %s)\n", where, sip_tp_name(stream));
	sip_timer_init(&ls.stop);
	if (sip_ua_accept(ls.pc.ua, NULL, on_request, &ls) != 0) {
		cmd_error(self, "out of memory");
		probe_ctx_reset(&ls.pc);
		return EXIT_INTERNAL;
	}
	struct cmd_run run;
	cmd_run(&run, ls.pc.loop, stop_now, &ls);
	sip_timer_cancel(ls.pc.loop, &ls.stop);
	probe_ctx_reset(&ls.pc);
	cmd_signals_done(); /* after the loop gave back its handlers */
	return run.forced ? run.forced : EXIT_OK;
}
