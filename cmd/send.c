/* send.c - `sip send FILE|- [TARGET]`: a request written by hand, its
 * $placeholders$ filled in for each target it goes to, sent and judged like
 * the requests the other commands build. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "probe.h"
#include "run.h"

enum {
	OPT_RAW = 1,
	OPT_DRY_RUN,
};

const struct cmd_opt send_opts[] = {
	{OPT_RAW, "raw", 0, NULL,
         "keep the file's line ends and Content-Length (placeholders are still filled in)", NULL},
	{OPT_DRY_RUN, "dry-run", 0, NULL, "print the filled-in request, send nothing", NULL},
	{0},
};

/* A request fits in a datagram; a file much larger is not one. */
#define MAX_FILE 65536

/* The placeholders, in the order of struct fill's values (sip-send(1)). */
static const char *const names[] = {
	"local_ip", "local_port", "transport", "branch",      "call_id", "tag",
	"cseq",     "target",     "remote_ip", "remote_port", "user",
};
enum { NNAMES = sizeof names / sizeof names[0] };

struct send {
	const struct cmd *cmd;
	struct cmd_common cc;
	struct probe_ctx pc;
	struct cmd_run run;
	const char *path;
	char name[300]; /* 'path', or standard input: what errors call it */
	char *text;     /* the file, its line ends made CRLF unless --raw */
	size_t len;
	bool raw, dry_run, ack;
	char method[32];
	char uri_buf[512];
	struct sip_uri uri;
	char target[512]; /* the Request-URI, or TARGET, as a URI */
	struct probe_dest dest;
	struct probe *probe;
	struct sip_timer linger;
	int rc; /* -1 while under way */
};

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/*
 * in with every $name$ replaced by its value, into out. A '$' that does not
 * start one ("$5") stays. Returns 0, or -1 with the unknown (or, without
 * its value, unusable) name in bad.
 */
static int fill(const char *in, size_t len, const char *const *values, struct sip_buf *out,
                char *bad, size_t badcap)
{
	size_t i = 0, from = 0;
	while (i < len) {
		if (in[i] != '$' || i + 1 >= len || !(in[i + 1] >= 'a' && in[i + 1] <= 'z')) {
			i++;
			continue;
		}
		size_t j = i + 1;
		while (j < len && name_char(in[j]))
			j++;
		if (j >= len || in[j] != '$') {
			i = j;
			continue;
		}
		struct sip_str name = {in + i + 1, j - i - 1};
		size_t k = 0;
		while (k < NNAMES && !sip_str_eq(name, sip_str_from(names[k])))
			k++;
		if (k == NNAMES || !values[k]) {
			snprintf(bad, badcap, "%.*s", SIP_STR_FMT(name));
			return -1;
		}
		sip_buf_append(out, in + from, i - from);
		sip_buf_puts(out, values[k]);
		i = from = j + 1;
	}
	sip_buf_append(out, in + from, len - from);
	return 0;
}

/* Whether the header line at p (up to its CRLF) is a Content-Length. */
static bool is_length(const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	if (!colon)
		return false;
	struct sip_str name = {p, (size_t)(colon - p)};
	while (name.len && (name.p[name.len - 1] == ' ' || name.p[name.len - 1] == '\t'))
		name.len--;
	return sip_str_ieq(name, sip_str_from("Content-Length")) ||
	       sip_str_ieq(name, sip_str_from("l"));
}

/* in (CRLF, its blank line there) with one Content-Length, the body's. */
static void fix_length(const char *in, size_t len, struct sip_buf *out)
{
	size_t head = 0;
	while (head + 4 <= len && memcmp(in + head, "\r\n\r\n", 4) != 0)
		head++;
	head += 2; /* the last header line's CRLF */
	bool skipping = false;
	for (size_t i = 0; i < head;) {
		const char *eol = memchr(in + i, '\n', head - i);
		size_t n = (size_t)(eol - (in + i)) + 1;
		/* A folded line belongs to the header before it. */
		bool folded = in[i] == ' ' || in[i] == '\t';
		if (!folded)
			skipping = i > 0 && is_length(in + i, n);
		if (!skipping)
			sip_buf_append(out, in + i, n);
		i += n;
	}
	sip_buf_printf(out, "Content-Length: %zu\r\n\r\n", len - head - 2);
	sip_buf_append(out, in + head + 2, len - head - 2);
}

/* The request for t from local, filled in (and its length fixed). */
static int build_for(struct send *s, struct sip_buf *b, const struct sip_target *t,
                     const struct sip_sockaddr *local, uint32_t cseq, char *bad, size_t badcap)
{
	char lip[64] = "", lport[8] = "", rip[64] = "", rport[8] = "", seq[12], branch[48];
	char token[24];
	if (sip_rand_token(token, 16) != 0)
		return SIP_ESYS;
	snprintf(branch, sizeof branch, "z9hG4bK%s", token);
	snprintf(seq, sizeof seq, "%u", cseq);
	if (sip_sockaddr_host(local, lip, sizeof lip) < 0 ||
	    sip_sockaddr_host(&t->addr, rip, sizeof rip) < 0)
		return SIP_ENOSPC;
	snprintf(lport, sizeof lport, "%u", sip_sockaddr_port(local));
	snprintf(rport, sizeof rport, "%u", sip_sockaddr_port(&t->addr));
	const char *values[NNAMES] = {
		lip,    lport,         sip_tp_name(t->tp),
		branch, s->pc.call_id, s->pc.from_tag,
		seq,    s->target,     rip,
		rport,  s->cc.user,
	};
	if (s->raw) {
		if (fill(s->text, s->len, values, b, bad, badcap) != 0)
			return SIP_EINVAL;
		return b->err;
	}
	struct sip_buf filled;
	sip_buf_init(&filled, 0);
	int err =
		fill(s->text, s->len, values, &filled, bad, badcap) != 0 ? SIP_EINVAL : filled.err;
	if (!err) {
		fix_length(filled.p, filled.len, b);
		err = b->err;
	}
	sip_buf_reset(&filled);
	return err;
}

static int on_build(struct probe *p, struct sip_buf *b, const struct sip_target *t,
                    const struct sip_sockaddr *local, uint32_t cseq)
{
	char bad[64];
	return build_for(p->arg, b, t, local, cseq, bad, sizeof bad);
}

/* ---- reading the file ---- */

static int read_file(struct send *s)
{
	FILE *f = strcmp(s->path, "-") == 0 ? stdin : fopen(s->path, "rb");
	if (!f) {
		cmd_error(s->cmd, "cannot open '%s': %s", s->path, strerror(errno));
		return EXIT_USAGE;
	}
	char *buf = malloc(MAX_FILE + 1);
	size_t n = buf ? fread(buf, 1, MAX_FILE + 1, f) : 0;
	int failed = ferror(f);
	if (f != stdin)
		fclose(f);
	if (!buf) {
		cmd_error(s->cmd, "out of memory");
		return EXIT_INTERNAL;
	}
	int rc = 0;
	if (failed)
		cmd_error(s->cmd, "cannot read %s: %s", s->name, strerror(errno));
	else if (n > MAX_FILE)
		cmd_error(s->cmd, "%s is larger than %d bytes: not one request", s->name, MAX_FILE);
	else if (n == 0)
		cmd_error(s->cmd, "%s is empty", s->name);
	if (failed || n > MAX_FILE || n == 0)
		rc = EXIT_USAGE;
	if (rc || s->raw) {
		s->text = buf;
		s->len = n;
		return rc;
	}
	/* As on the wire: CRLF line ends, and the blank line after the headers. */
	struct sip_buf b;
	sip_buf_init(&b, 0);
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r'))
			sip_buf_append(&b, "\r", 1);
		sip_buf_append(&b, buf + i, 1);
	}
	free(buf);
	bool eoh = false;
	for (size_t i = 0; !eoh && i + 4 <= b.len; i++)
		eoh = memcmp(b.p + i, "\r\n\r\n", 4) == 0;
	if (!eoh)
		sip_buf_puts(&b, b.len >= 2 && memcmp(b.p + b.len - 2, "\r\n", 2) == 0
		                         ? "\r\n"
		                         : "\r\n\r\n");
	if (b.err) {
		sip_buf_reset(&b);
		cmd_error(s->cmd, "out of memory");
		return EXIT_INTERNAL;
	}
	s->text = b.p;
	s->len = b.len;
	return 0;
}

/*
 * Fills the file in with stand-in values and parses it: an unknown
 * placeholder or a request that does not parse is said before anything is
 * sent. Takes the method and, without TARGET, the Request-URI to send to.
 */
static int check_file(struct send *s, const char *target_arg)
{
	static const struct sip_target stand_in_target = {.tp = SIP_TP_UDP};
	struct sip_sockaddr local;
	struct sip_target t = stand_in_target;
	sip_sockaddr_set(&local, sip_str_from("192.0.2.1"), 5060);
	sip_sockaddr_set(&t.addr, sip_str_from("192.0.2.2"), 5060);
	snprintf(s->target, sizeof s->target, "sip:192.0.2.2");
	struct sip_buf b;
	struct sip_msg *m = malloc(sizeof *m);
	char bad[64] = "";
	sip_buf_init(&b, 0);
	int err = m ? build_for(s, &b, &t, &local, 1, bad, sizeof bad) : SIP_ENOMEM;
	int rc = 0;
	if (err == SIP_EINVAL && !strcmp(bad, "user")) {
		cmd_error(s->cmd, "%s has $user$: give -u USER", s->name);
		rc = EXIT_USAGE;
	} else if (err == SIP_EINVAL) {
		cmd_error(s->cmd, "%s: unknown placeholder '$%s$'", s->name, bad);
		rc = EXIT_USAGE;
	} else if (err) {
		cmd_error(s->cmd, "%s", sip_strerror(err));
		rc = EXIT_INTERNAL;
	} else if (sip_msg_parse(m, b.p, b.len, 0) != 0) {
		cmd_error(s->cmd, "%s line %u: %s", s->name, m->err_line, m->err_text);
		rc = EXIT_PROTOCOL;
	} else if (!m->is_request) {
		cmd_error(s->cmd, "%s is a response, not a request", s->name);
		rc = EXIT_PROTOCOL;
	} else if (m->method_name.len >= sizeof s->method) {
		cmd_error(s->cmd, "%s: method name too long", s->name);
		rc = EXIT_PROTOCOL;
	}
	const struct sip_hdr *via = rc ? NULL : sip_msg_hdr(m, SIP_HDR_VIA);
	struct sip_str list, elem;
	struct sip_via v;
	if (!rc && (!via || (list = via->value, sip_list_next(&list, &elem) != 1) ||
	            sip_via_parse(&v, elem) != 0 || !v.branch.len)) {
		/* The transaction is matched by it (RFC 3261 §17.1.3). */
		cmd_error(s->cmd,
		          "%s has no Via with a branch: write "
		          "'Via: SIP/2.0/$transport$ $local_ip$:$local_port$;branch=$branch$'",
		          s->name);
		rc = EXIT_PROTOCOL;
	}
	if (!rc) {
		memcpy(s->method, m->method_name.p, m->method_name.len);
		s->method[m->method_name.len] = '\0';
		s->ack = m->method == SIP_ACK;
	}
	/* The Request-URI as written: a placeholder in it cannot say where to go. */
	const char *line_end = memchr(s->text, '\n', s->len);
	const char *dollar = memchr(s->text, '$', line_end ? (size_t)(line_end - s->text) : s->len);
	if (!rc && !target_arg && dollar) {
		cmd_error(s->cmd, "the Request-URI of %s has placeholders: give TARGET", s->name);
		rc = EXIT_USAGE;
	}
	char ruri[512];
	if (!rc && !target_arg) {
		snprintf(ruri, sizeof ruri, "%.*s", SIP_STR_FMT(m->ruri));
		target_arg = ruri;
	}
	if (!rc && cmd_parse_target(s->cmd, &s->cc, target_arg, s->uri_buf, sizeof s->uri_buf,
	                            &s->uri) != 0)
		rc = EXIT_USAGE;
	if (!rc && sip_uri_print(&s->uri, s->target, sizeof s->target) < 0) {
		cmd_error(s->cmd, "target URI is too long");
		rc = EXIT_USAGE;
	}
	sip_buf_reset(&b);
	free(m);
	return rc;
}

/* ---- sending ---- */

static void on_linger(void *arg)
{
	struct send *s = arg;
	sip_loop_stop(s->pc.loop);
}

/* An ACK has no response: it is sent, outside any transaction, and that is all. */
static int send_ack(struct send *s)
{
	struct probe_dest *d = &s->dest;
	const struct sip_target *t = &d->targets[d->cur];
	struct sip_buf b;
	char bad[64];
	int err = probe_dest_local(d);
	sip_buf_init(&b, 0);
	if (!err)
		err = build_for(s, &b, t, &d->local, 1, bad, sizeof bad);
	if (!err)
		err = sip_ua_send(s->pc.ua, t, b.p, b.len);
	sip_buf_reset(&b);
	if (err) {
		cmd_error(s->cmd, "cannot send to %s: %s", d->peer, sip_strerror(err));
		return probe_exit_code(err);
	}
	/* A connection may still be opening: it gets T1 to take the ACK. */
	uint64_t wait = t->tp == SIP_TP_UDP ? 0 : (s->cc.t1_us ? s->cc.t1_us : 500000);
	s->rc = EXIT_OK;
	if (sip_timer_start(s->pc.loop, &s->linger, wait, on_linger, s) != 0)
		sip_loop_stop(s->pc.loop);
	return 0;
}

static void print_no_answer(const struct send *s, const char *why, int rc)
{
	if (s->cc.format != SIP_PRINT_JSON)
		return;
	printf("{\"summary\":{\"target\":");
	sip_print_json_str(stdout, sip_str_from(s->target));
	printf(",\"error\":");
	sip_print_json_str(stdout, sip_str_from(why));
	printf(",\"exit\":%d}}\n", rc);
}

static void on_done(struct probe *p, int err, const struct sip_msg *resp, uint64_t rtt)
{
	struct send *s = p->arg;
	(void)rtt;
	if (err) {
		char why[300];
		const char *text = probe_err_text(p->req, err, why, sizeof why);
		s->rc = probe_exit_code(err);
		cmd_error(s->cmd, "'%s': %s", s->target, text);
		print_no_answer(s, text, s->rc);
	} else if (!resp) {
		s->rc = EXIT_OK; /* a dry run: printed */
	} else {
		probe_print_summary(p, resp, &s->cc);
		s->rc = p->auth_failed                              ? EXIT_AUTH
		        : resp->status >= 200 && resp->status < 300 ? EXIT_OK
		                                                    : EXIT_RESPONSE;
		if (!strcmp(s->method, "INVITE") && resp->status < 300)
			cmd_warn(s->cmd, "the %u is not acknowledged: send its ACK with sip send",
			         resp->status);
	}
	probe_free(p);
	sip_loop_stop(s->pc.loop);
}

static void on_dest_ready(struct probe_dest *d, int err, void *arg)
{
	struct send *s = arg;
	(void)d;
	if (err) {
		s->rc = probe_dest_exit(err);
		if (err != SIP_EINVAL) {
			cmd_error(s->cmd, "cannot resolve '%s': %s", s->dest.where,
			          sip_strerror(err));
			print_no_answer(s, sip_strerror(err), s->rc);
		}
		sip_loop_stop(s->pc.loop);
		return;
	}
	if (s->ack && !s->dry_run) {
		if ((s->rc = send_ack(s)) != 0)
			sip_loop_stop(s->pc.loop);
		return;
	}
	struct probe_spec ps = {
		.method = sip_method_from_str(sip_str_from(s->method)),
		.method_name = s->method,
		.dest = &s->dest,
		.seq = 1,
		.done = on_done,
		.arg = s,
		.dry_run = s->dry_run,
		.build = on_build,
		.handle = &s->probe,
	};
	err = probe_start(&s->pc, &ps);
	if (err) {
		s->rc = probe_exit_code(err);
		cmd_error(s->cmd, "cannot send to '%s': %s", s->target, sip_strerror(err));
		print_no_answer(s, sip_strerror(err), s->rc);
		sip_loop_stop(s->pc.loop);
	}
}

static void on_interrupt(void *arg)
{
	struct send *s = arg;
	probe_prompt_cancel(&s->pc);
	if (s->rc < 0) {
		s->rc = EXIT_TIMEOUT;
		cmd_error(s->cmd, "'%s': %s", s->target, CMD_INTERRUPTED);
		print_no_answer(s, CMD_INTERRUPTED, s->rc);
	}
	sip_loop_stop(s->pc.loop);
}

int cmd_send(const struct cmd *self, int argc, char **argv)
{
	struct send s = {.cmd = self, .rc = -1};
	const char *arg;
	int key = 0;
	while (key != -2 && (key = cmd_getopt(self, &s.cc, argc, argv, &arg)) >= 0) {
		switch (key) {
		case OPT_RAW: s.raw = true; break;
		case OPT_DRY_RUN: s.dry_run = true; break;
		}
	}
	if (key == -3)
		return EXIT_OK;
	if (key == -2)
		return EXIT_USAGE;
	/* The file is the message: what would build one has nothing to build. */
	const char *builds = s.cc.nheaders            ? "-H"
	                     : s.cc.from              ? "--from"
	                     : s.cc.to                ? "--to"
	                     : s.cc.contact           ? "--contact"
	                     : s.cc.user_agent        ? "--user-agent"
	                     : s.cc.max_forwards >= 0 ? "--max-forwards"
	                                              : NULL;
	if (builds) {
		cmd_error(self, "%s does not apply: the file has the request's header fields",
		          builds);
		return EXIT_USAGE;
	}
	if (optind >= argc || argc - optind > 2) {
		cmd_error(self, optind >= argc ? "no file given" : "too many operands");
		fprintf(stderr, "See 'sip send --help'.\n");
		return EXIT_USAGE;
	}
	s.path = argv[optind];
	if (strcmp(s.path, "-") == 0)
		snprintf(s.name, sizeof s.name, "standard input");
	else
		snprintf(s.name, sizeof s.name, "'%s'", s.path);
	int rc = read_file(&s);
	if (!rc)
		rc = check_file(&s, optind + 1 < argc ? argv[optind + 1] : NULL);
	struct probe_setup setup = {.show_messages = !s.cc.quiet};
	if (!rc)
		rc = probe_ctx_init(&s.pc, self, &s.cc, &setup);
	if (rc) {
		free(s.text);
		return rc;
	}
	s.pc.own_call_ids = true;
	sip_timer_init(&s.linger);
	rc = probe_dest_resolve(&s.pc, &s.dest, &s.uri, on_dest_ready, &s);
	if (!rc)
		cmd_run(&s.run, s.pc.loop, on_interrupt, &s);
	else
		s.rc = rc;
	rc = cmd_run_exit(&s.run, s.rc < 0 ? EXIT_TIMEOUT : s.rc);
	sip_timer_cancel(s.pc.loop, &s.linger);
	probe_free(s.probe);
	probe_dest_reset(&s.dest);
	probe_ctx_reset(&s.pc);
	cmd_signals_done();
	free(s.text);
	return rc;
}
