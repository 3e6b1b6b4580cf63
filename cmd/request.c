/* request.c - one request of any method, and the two that phones and
 * admins use most: `sip request METHOD TARGET`, `sip message TARGET [TEXT]`
 * (RFC 3428) and `sip notify TARGET` (an unsolicited NOTIFY: check-sync,
 * a voicemail lamp). One runner serves the three; each command is a preset
 * of method, body source, Content-Type and headers. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "probe.h"
#include "run.h"

enum {
	OPT_BODY = 1,
	OPT_CONTENT_TYPE,
	OPT_EXPECT,
	OPT_DRY_RUN,
	OPT_EVENT,
	OPT_MESSAGES,
};

#define O_BODY                                                                                     \
	{                                                                                          \
		OPT_BODY, "body", 0, "FILE", "send FILE ('-': standard input) as the body", NULL   \
	}
#define O_EXPECT                                                                                   \
	{                                                                                          \
		OPT_EXPECT, "expect", 0, "CODE", "count this response (404, 4xx) as success", NULL \
	}
#define O_DRY_RUN                                                                                  \
	{                                                                                          \
		OPT_DRY_RUN, "dry-run", 0, NULL,                                                   \
			"print the request that would be sent, send nothing", NULL                 \
	}

const struct cmd_opt request_opts[] = {
	O_BODY,
	{OPT_CONTENT_TYPE, "content-type", 0, "TYPE",
         "the body's Content-Type (needed with --body)", NULL},
	O_EXPECT,
	O_DRY_RUN,
	{0},
};

const struct cmd_opt message_opts[] = {
	{OPT_CONTENT_TYPE, "content-type", 0, "TYPE",
         "the text's Content-Type (default text/plain;charset=UTF-8)", NULL},
	O_EXPECT,
	O_DRY_RUN,
	{0},
};

const struct cmd_opt notify_opts[] = {
	{OPT_EVENT, "event", 0, "NAME", "the Event: a preset or any event package",
         "check-sync check-sync;reboot=true resync reboot_now message-summary"},
	{OPT_MESSAGES, "messages", 0, "NEW/OLD",
         "with --event message-summary: the voice messages waiting (0/0 clears the lamp)", NULL},
	O_BODY,
	{OPT_CONTENT_TYPE, "content-type", 0, "TYPE", "the body's Content-Type", NULL},
	O_EXPECT,
	O_DRY_RUN,
	{0},
};

/* Bodies are read whole; a request larger than this does not fit any transport. */
#define MAX_BODY (1u << 20)

struct req_run {
	const struct cmd *cmd;
	struct cmd_common cc;
	struct probe_ctx pc;
	struct cmd_run run;
	const char *target;
	char uri_buf[512];
	struct sip_uri uri;
	struct probe_dest dest;
	struct probe *probe;
	/* what is sent */
	enum sip_method method;
	char method_name[64];
	const char *content_type;
	char *body; /* heap */
	size_t body_len;
	char event[256];
	char hdr_event[300];
	struct sip_build_hdr hdrs[2];
	size_t nhdrs;
	bool no_contact;
	/* the verdict */
	struct cmd_expect expect;
	bool dry_run;
	int rc; /* -1 while in progress */
	char reason[300];
};

/* A method named in any case is sent in its standard spelling (INFO for
 * info); any other token is an extension method, sent as typed. */
static int parse_method(struct req_run *r, const char *s)
{
	if (!cmd_is_token(s) || strlen(s) >= sizeof r->method_name) {
		cmd_error(r->cmd, "bad method '%s': expected a token such as INFO or PUBLISH", s);
		return EXIT_USAGE;
	}
	r->method = SIP_METHOD_OTHER;
	for (int m = 1; m < SIP_METHOD_COUNT; m++)
		if (strcasecmp(s, sip_method_name((enum sip_method)m)) == 0)
			r->method = (enum sip_method)m;
	/* An INVITE needs its ACK, BYE and CANCEL, which one request cannot give. */
	if (r->method == SIP_INVITE || r->method == SIP_ACK || r->method == SIP_CANCEL) {
		cmd_error(r->cmd, "%s is not a request of its own: use 'sip invite'",
		          sip_method_name(r->method));
		return EXIT_USAGE;
	}
	snprintf(r->method_name, sizeof r->method_name, "%s",
	         r->method ? sip_method_name(r->method) : s);
	return 0;
}

/* The whole of path ('-': standard input) into r->body. */
static int read_body(struct req_run *r, const char *path)
{
	bool in = strcmp(path, "-") == 0;
	FILE *f = in ? stdin : fopen(path, "rb");
	if (!f) {
		cmd_error(r->cmd, "cannot read '%s': %s", path, strerror(errno));
		return EXIT_USAGE;
	}
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	int rc = b ? 0 : EXIT_INTERNAL;
	while (rc == 0) {
		if (n == cap) {
			char *nb = cap >= MAX_BODY ? NULL : realloc(b, cap * 2);
			if (!nb) {
				cmd_error(r->cmd, "cannot read '%s': larger than %u bytes", path,
				          MAX_BODY);
				rc = EXIT_USAGE;
				break;
			}
			b = nb;
			cap *= 2;
		}
		size_t got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				cmd_error(r->cmd, "cannot read '%s': %s", path, strerror(errno));
				rc = EXIT_USAGE;
			}
			break;
		}
	}
	if (!in)
		fclose(f);
	if (rc) {
		free(b);
		return rc;
	}
	free(r->body);
	r->body = b;
	r->body_len = n;
	return 0;
}

static int set_body(struct req_run *r, const char *text)
{
	free(r->body);
	r->body_len = strlen(text);
	r->body = malloc(r->body_len + 1);
	if (!r->body)
		return EXIT_INTERNAL;
	memcpy(r->body, text, r->body_len + 1);
	return 0;
}

/* --messages NEW/OLD into an RFC 3842 body for the target's account. */
static int messages_body(struct req_run *r, const char *s)
{
	unsigned long nv, ov;
	char a[16], b[16];
	const char *slash = strchr(s, '/');
	size_t la = slash ? (size_t)(slash - s) : 0;
	if (!slash || la >= sizeof a || strlen(slash + 1) >= sizeof b) {
		cmd_error(r->cmd, "bad value '%s' for --messages: expected NEW/OLD, as 2/0", s);
		return EXIT_USAGE;
	}
	memcpy(a, s, la);
	a[la] = '\0';
	snprintf(b, sizeof b, "%s", slash + 1);
	if (cmd_uint(a, 0, 99999, &nv) || cmd_uint(b, 0, 99999, &ov)) {
		cmd_error(r->cmd, "bad value '%s' for --messages: expected NEW/OLD, as 2/0", s);
		return EXIT_USAGE;
	}
	char text[700];
	snprintf(text, sizeof text,
	         "Messages-Waiting: %s\r\nMessage-Account: %s\r\nVoice-Message: %lu/%lu\r\n",
	         nv ? "yes" : "no", r->uri_buf, nv, ov);
	return set_body(r, text);
}

/* The text of a MESSAGE from standard input: a shell's $(...) would drop
 * the newline that ends it, and so does this. */
static int message_stdin(struct req_run *r)
{
	int rc = read_body(r, "-");
	if (rc)
		return rc;
	if (r->body_len && r->body[r->body_len - 1] == '\n')
		r->body_len--;
	if (r->body_len && r->body[r->body_len - 1] == '\r')
		r->body_len--;
	return 0;
}

static void on_done(struct probe *p, int err, const struct sip_msg *resp, uint64_t rtt)
{
	struct req_run *r = p->arg;
	(void)rtt;
	if (err) {
		char why[300];
		r->rc = probe_exit_code(err);
		snprintf(r->reason, sizeof r->reason, "%s",
		         probe_err_text(p->req, err, why, sizeof why));
	} else if (!resp) {
		r->rc = EXIT_OK; /* a dry run: the request was printed */
	} else {
		probe_print_summary(p, resp, &r->cc);
		r->rc = p->auth_failed                            ? EXIT_AUTH
		        : cmd_expect_ok(&r->expect, resp->status) ? EXIT_OK
		                                                  : EXIT_RESPONSE;
		r->reason[0] = '\0';
	}
	probe_free(p);
	sip_loop_stop(r->pc.loop);
}

static void on_dest_ready(struct probe_dest *d, int err, void *arg)
{
	struct req_run *r = arg;
	(void)d;
	if (err) {
		snprintf(r->reason, sizeof r->reason, "%s",
		         err == SIP_EINVAL ? "no address of the local address's family"
		                           : sip_strerror(err));
		r->rc = probe_dest_exit(err);
		sip_loop_stop(r->pc.loop);
		return;
	}
	struct probe_spec ps = {
		.method = r->method,
		.method_name = r->method ? NULL : r->method_name,
		.dest = &r->dest,
		.seq = 1,
		.done = on_done,
		.arg = r,
		.dry_run = r->dry_run,
		.contact = r->no_contact && !r->cc.contact ? "" : NULL,
		.headers = r->hdrs,
		.nheaders = r->nhdrs,
		.content_type = r->body ? r->content_type : NULL,
		.body = r->body,
		.body_len = r->body_len,
		.handle = &r->probe,
	};
	int e = probe_start(&r->pc, &ps);
	if (e) {
		/* Too many headers, or a message too large to send, is the user's to fix. */
		bool usage = e == SIP_ETOOBIG || e == SIP_ENOSPC;
		cmd_error(r->cmd, "cannot send the %s request: %s",
		          r->method_name[0] ? r->method_name : sip_method_name(r->method),
		          sip_strerror(e));
		r->rc = usage ? EXIT_USAGE : EXIT_INTERNAL;
		sip_loop_stop(r->pc.loop);
	}
}

static void on_interrupt(void *arg)
{
	struct req_run *r = arg;
	probe_prompt_cancel(&r->pc);
	if (r->rc < 0) {
		r->rc = EXIT_TIMEOUT;
		snprintf(r->reason, sizeof r->reason, "%s", CMD_INTERRUPTED);
	}
	sip_loop_stop(r->pc.loop);
}

static int usage(struct req_run *r, const char *what)
{
	cmd_error(r->cmd, "%s", what);
	fprintf(stderr, "See 'sip %s --help'.\n", r->cmd->name);
	return EXIT_USAGE;
}

/* The operands and options of each command into what is sent. */
static int prepare(struct req_run *r, int argc, char **argv, const char *body_file,
                   const char *messages)
{
	const struct cmd *self = r->cmd;
	int nop = argc - optind, rc;
	char **op = argv + optind;
	if (strcmp(self->name, "request") == 0) {
		if (nop < 2)
			return usage(r, nop ? "no target given" : "no method and target given");
		if (nop > 2)
			return usage(r, "too many operands: one method and one target");
		if ((rc = parse_method(r, op[0])) != 0)
			return rc;
		r->target = op[1];
	} else {
		if (nop < 1)
			return usage(r, "no target given");
		bool message = strcmp(self->name, "message") == 0;
		if (nop > (message ? 2 : 1))
			return usage(r,
			             message ? "too many operands: a target and one text (quote it)"
			                     : "too many operands: one target");
		r->method = message ? SIP_MESSAGE : SIP_NOTIFY;
		r->target = op[0];
	}
	if (cmd_parse_target(self, &r->cc, r->target, r->uri_buf, sizeof r->uri_buf, &r->uri) != 0)
		return EXIT_USAGE;

	if (r->method == SIP_MESSAGE) {
		/* RFC 3428 §4: a MESSAGE makes no dialog, so no Contact. */
		r->no_contact = true;
		if (!r->content_type)
			r->content_type = "text/plain;charset=UTF-8";
		if (nop == 2 && strcmp(op[1], "-") != 0)
			rc = set_body(r, op[1]);
		else
			rc = message_stdin(r);
		if (rc == 0 && r->body_len == 0)
			return usage(r, "no text: the message is empty");
		return rc;
	}
	if (r->method == SIP_NOTIFY) {
		if (!r->event[0])
			return usage(r, "no --event given (check-sync, message-summary, ...)");
		bool mwi = strcasecmp(r->event, "message-summary") == 0;
		if (messages && !mwi)
			return usage(r, "--messages goes with --event message-summary");
		if (messages && body_file)
			return usage(r, "--messages and --body both give the body: one of them");
		if (mwi && !messages && !body_file)
			return usage(r,
			             "--event message-summary needs --messages NEW/OLD or --body");
		if (mwi && !r->content_type)
			r->content_type = "application/simple-message-summary";
		snprintf(r->hdr_event, sizeof r->hdr_event, "Event: %s", r->event);
		r->hdrs[r->nhdrs++].line = r->hdr_event;
		/* Sent outside any subscription (RFC 6665 §4.1.3): the state is terminated. */
		r->hdrs[r->nhdrs++].line = "Subscription-State: terminated";
		if (messages && (rc = messages_body(r, messages)) != 0)
			return rc;
	}
	if (body_file) {
		if (!r->content_type)
			return usage(r, "--body needs --content-type");
		if ((rc = read_body(r, body_file)) != 0)
			return rc;
	} else if (r->content_type && !r->body) {
		return usage(r, "--content-type goes with a body (--body)");
	}
	return 0;
}

/* CR or LF in a header value would end the header: refused. */
static bool header_safe(const char *s)
{
	return !strpbrk(s, "\r\n");
}

int cmd_request(const struct cmd *self, int argc, char **argv)
{
	struct req_run r = {.cmd = self, .rc = -1};
	const char *body_file = NULL, *messages = NULL, *arg;
	int key = 0;
	while (key != -2 && (key = cmd_getopt(self, &r.cc, argc, argv, &arg)) >= 0) {
		switch (key) {
		case OPT_BODY: body_file = arg; break;
		case OPT_CONTENT_TYPE:
			if (!*arg || !header_safe(arg)) {
				cmd_error(self, "bad value '%s' for --content-type", arg);
				key = -2;
			}
			r.content_type = arg;
			break;
		case OPT_EXPECT:
			if (cmd_parse_expect(self, arg, &r.expect))
				key = -2;
			break;
		case OPT_DRY_RUN: r.dry_run = true; break;
		case OPT_EVENT:
			if (!*arg || !header_safe(arg) || strlen(arg) >= sizeof r.event) {
				cmd_error(self,
				          "bad value '%s' for --event: expected an event name",
				          arg);
				key = -2;
			} else {
				snprintf(r.event, sizeof r.event, "%s", arg);
			}
			break;
		case OPT_MESSAGES: messages = arg; break;
		}
	}
	if (key == -3)
		return EXIT_OK;
	if (key == -2)
		return EXIT_USAGE;
	int rc = prepare(&r, argc, argv, body_file, messages);
	if (rc) {
		free(r.body);
		return rc;
	}
	struct probe_setup setup = {.show_messages = !r.cc.quiet};
	if ((rc = probe_ctx_init(&r.pc, self, &r.cc, &setup)) != 0) {
		free(r.body);
		return rc;
	}
	rc = probe_dest_resolve(&r.pc, &r.dest, &r.uri, on_dest_ready, &r);
	if (rc) {
		r.rc = rc;
		snprintf(r.reason, sizeof r.reason, "%s",
		         rc == EXIT_USAGE ? cmd_last_error() : "cannot resolve");
	} else {
		cmd_run(&r.run, r.pc.loop, on_interrupt, &r);
	}
	rc = r.rc < 0 ? EXIT_TIMEOUT : r.rc;
	if (rc != EXIT_OK && rc != EXIT_USAGE && r.reason[0]) {
		if (rc == EXIT_DNS)
			cmd_error(self, "cannot resolve '%s': %s", r.target, r.reason);
		else
			cmd_error(self, "'%s': %s", r.target, r.reason);
		if (r.cc.format == SIP_PRINT_JSON)
			probe_print_no_answer(r.target, r.reason, rc);
	}
	rc = cmd_run_exit(&r.run, rc);
	probe_free(r.probe);
	probe_dest_reset(&r.dest);
	probe_ctx_reset(&r.pc);
	cmd_signals_done();
	free(r.body);
	return rc;
}
