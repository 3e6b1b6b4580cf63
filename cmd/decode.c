/* decode.c - `sip decode`: read SIP messages from files or standard input,
 * print each one and every problem found in it. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"

enum { OPT_STREAM = 1, OPT_STRICT };

const struct cmd_opt decode_opts[] = {
	{OPT_STREAM, "stream", 's', NULL,
         "read several messages per input, framed by Content-Length as on TCP", NULL},
	{OPT_STRICT, "strict", 0, NULL, "count warnings as errors (exit 7)", NULL},
	{0},
};

/* Inputs larger than this are refused rather than read into memory. */
#define INPUT_MAX (16u << 20)
/* Problems kept per message; the count of the rest is still known. */
#define DIAG_MAX 64

/* Requests seen, for the responses that follow: the last few. */
#define SEEN_MAX 64

/* What ties a response to its request (RFC 3261 sections 8.2.6.2, 17.1.3). */
struct seen {
	char branch[96], method[32];
	char call_id[128], from_tag[64];
	uint32_t cseq;
	char source[64];
};

struct decode {
	const struct cmd *cmd;
	struct cmd_common common;
	bool stream;
	bool strict;
	unsigned messages;
	unsigned invalid;
	struct seen seen[SEEN_MAX];
	unsigned nseen; /* ever: seen[i % SEEN_MAX] is number i */
};

static char *read_all(FILE *f, size_t *len, bool *too_big)
{
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap);
	*too_big = false;
	while (buf) {
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
		if (n == cap) {
			if (cap >= INPUT_MAX) {
				*too_big = true;
				free(buf);
				return NULL;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				free(buf);
			buf = nb;
			cap *= 2;
		}
	}
	if (buf && ferror(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* Prints the problems as "SOURCE: line N: error: TEXT" lines: -q's output,
 * and raw output's on standard error (the message itself is kept octet for
 * octet, so a pipe still learns why the exit status is 7). */
static void print_problems(FILE *f, const char *source, const struct sip_diag *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s: ", source);
		if (d[i].line)
			fprintf(f, "line %u: ", d[i].line);
		fprintf(f, "%s: %s\n", d[i].severity == SIP_SEV_ERROR ? "error" : "warning",
		        d[i].text);
	}
}

static void emit(struct decode *dc, const struct sip_msg *msg, struct sip_str raw,
                 const char *source, const struct sip_diag *diags, size_t ndiags)
{
	struct sip_print_opts po = {
		.format = dc->common.format,
		.color = dc->common.color,
		.diags = diags,
		.ndiags = ndiags,
		.source = source,
	};
	bool bad = false;
	for (size_t i = 0; i < ndiags; i++)
		if (diags[i].severity == SIP_SEV_ERROR || dc->strict)
			bad = true;
	dc->messages++;
	dc->invalid += bad;
	if (dc->common.quiet && po.format != SIP_PRINT_JSON) {
		print_problems(stdout, source, diags, ndiags);
		return;
	}
	if (po.format == SIP_PRINT_RAW) {
		fflush(stdout);
		print_problems(stderr, source, diags, ndiags);
	}
	if (msg)
		sip_msg_print(stdout, msg, &po);
	else
		sip_msg_print_unparsed(stdout, raw, &po);
	if (po.format == SIP_PRINT_PRETTY)
		putchar('\n');
}

static void copy_str(char *out, size_t cap, struct sip_str s)
{
	snprintf(out, cap, "%.*s", (int)(s.len < cap ? s.len : cap - 1), s.p);
}

/* msg's transaction key and identity, into s; false when it has none. */
static bool identity_of(const struct sip_msg *msg, struct seen *s)
{
	const struct sip_hdr *via = sip_msg_hdr(msg, SIP_HDR_VIA);
	const struct sip_hdr *cid = sip_msg_hdr(msg, SIP_HDR_CALL_ID);
	const struct sip_hdr *from = sip_msg_hdr(msg, SIP_HDR_FROM);
	const struct sip_hdr *cs = sip_msg_hdr(msg, SIP_HDR_CSEQ);
	struct sip_via v;
	struct sip_addr a;
	struct sip_cseq c;
	if (!via || !cid || !from || !cs || sip_via_parse(&v, via->value) != 0 || !v.branch.len ||
	    sip_addr_parse(&a, from->value) != 0 || sip_cseq_parse(&c, cs->value) != 0)
		return false;
	copy_str(s->branch, sizeof s->branch, v.branch);
	copy_str(s->method, sizeof s->method, c.method_name);
	copy_str(s->call_id, sizeof s->call_id, cid->value);
	copy_str(s->from_tag, sizeof s->from_tag, a.tag);
	s->cseq = c.num;
	return true;
}

/* An error of the response's header id when what it says (got) is not
 * what its request said (want). */
static size_t differs(struct sip_diag *d, size_t n, size_t max, const struct sip_msg *msg,
                      enum sip_hdr_id id, const char *name, const char *got, const char *want,
                      const char *source)
{
	if (n == max || strcmp(got, want) == 0)
		return n;
	d[n] = (struct sip_diag){.line = sip_msg_hdr(msg, id)->line, .severity = SIP_SEV_ERROR};
	snprintf(d[n].text, sizeof d[n].text, "%s '%.40s' is not the request's '%.40s' (%.40s)",
	         name, got, want, source);
	return n + 1;
}

/* A response to a request decoded before it (the same top Via branch and
 * CSeq method) carries its Call-ID, From tag and CSeq number: each that
 * differs is an error of the response. Requests are remembered. */
static size_t check_pair(struct decode *dc, const struct sip_msg *msg, const char *source,
                         struct sip_diag *d, size_t n, size_t max)
{
	struct seen s;
	if (!identity_of(msg, &s))
		return n;
	if (msg->is_request) {
		snprintf(s.source, sizeof s.source, "%s", source);
		dc->seen[dc->nseen++ % SEEN_MAX] = s;
		return n;
	}
	unsigned kept = dc->nseen < SEEN_MAX ? dc->nseen : SEEN_MAX;
	for (unsigned i = 0; i < kept; i++) {
		const struct seen *q = &dc->seen[(dc->nseen - 1 - i) % SEEN_MAX];
		if (strcmp(q->branch, s.branch) != 0 || strcasecmp(q->method, s.method) != 0)
			continue;
		char got[16], want[16];
		snprintf(got, sizeof got, "%lu", (unsigned long)s.cseq);
		snprintf(want, sizeof want, "%lu", (unsigned long)q->cseq);
		n = differs(d, n, max, msg, SIP_HDR_CALL_ID, "Call-ID", s.call_id, q->call_id,
		            q->source);
		n = differs(d, n, max, msg, SIP_HDR_FROM, "From tag", s.from_tag, q->from_tag,
		            q->source);
		n = differs(d, n, max, msg, SIP_HDR_CSEQ, "CSeq", got, want, q->source);
		break;
	}
	return n;
}

/* Decodes one message at buf; returns the octets it took, or 0 when the
 * rest of the input cannot be framed. */
static size_t decode_one(struct decode *dc, struct sip_msg *msg, const char *buf, size_t len,
                         const char *source)
{
	struct sip_diag diags[DIAG_MAX];
	int err = sip_msg_parse(msg, buf, len, dc->stream ? SIP_PARSE_STREAM : SIP_PARSE_LENIENT);
	if (err == 0) {
		size_t n = sip_msg_check(msg, diags, DIAG_MAX);
		n = check_pair(dc, msg, source, diags, n < DIAG_MAX ? n : DIAG_MAX, DIAG_MAX);
		emit(dc, msg, msg->raw, source, diags, n);
		return (size_t)(msg->raw.p + msg->raw.len - buf);
	}
	struct sip_diag d = {.line = msg->err_line, .severity = SIP_SEV_ERROR};
	if (err == SIP_EAGAIN)
		snprintf(d.text, sizeof d.text,
		         "incomplete message: %zu bytes at the end of the input", len);
	else
		snprintf(d.text, sizeof d.text, "%s",
		         msg->err_text[0] ? msg->err_text : sip_strerror(err));
	emit(dc, NULL, (struct sip_str){buf, len}, source, &d, 1);
	return 0;
}

static bool only_line_ends(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

static void decode_buffer(struct decode *dc, struct sip_msg *msg, const char *buf, size_t len,
                          const char *name)
{
	if (!dc->stream) {
		decode_one(dc, msg, buf, len, name);
		return;
	}
	char source[512];
	unsigned index = 0;
	while (len && !only_line_ends(buf, len)) {
		snprintf(source, sizeof source, "%s#%u", name, ++index);
		size_t used = decode_one(dc, msg, buf, len, source);
		if (used == 0)
			return;
		buf += used;
		len -= used;
	}
}

static int decode_input(struct decode *dc, struct sip_msg *msg, const char *path)
{
	bool is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "<stdin>" : path;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	if (!f) {
		cmd_error(dc->cmd, "cannot open '%s': %s", path, strerror(errno));
		return EXIT_USAGE;
	}
	size_t len = 0;
	bool too_big;
	char *buf = read_all(f, &len, &too_big);
	int saved = errno;
	if (!is_stdin)
		fclose(f);
	if (!buf) {
		if (too_big) {
			cmd_error(dc->cmd, "'%s' is larger than %u MiB", name, INPUT_MAX >> 20);
			return EXIT_PROTOCOL;
		}
		cmd_error(dc->cmd, "cannot read '%s': %s", name, strerror(saved));
		return EXIT_USAGE;
	}
	/* Nothing to decode is not a message without problems. */
	if (only_line_ends(buf, len)) {
		free(buf);
		if (is_stdin)
			cmd_error(dc->cmd, "no message on standard input");
		else
			cmd_error(dc->cmd, "no message in '%s'", path);
		return EXIT_PROTOCOL;
	}
	decode_buffer(dc, msg, buf, len, name);
	free(buf);
	return EXIT_OK;
}

int cmd_decode(const struct cmd *self, int argc, char **argv)
{
	struct decode dc = {.cmd = self};
	const char *arg;
	int key;
	while ((key = cmd_getopt(self, &dc.common, argc, argv, &arg)) >= 0) {
		switch (key) {
		case OPT_STREAM: dc.stream = true; break;
		case OPT_STRICT: dc.strict = true; break;
		}
	}
	if (key == -3)
		return EXIT_OK;
	if (key == -2)
		return EXIT_USAGE;
	/* A struct sip_msg is large (its header table is inline): keep it off the stack. */
	struct sip_msg *msg = malloc(sizeof *msg);
	if (!msg) {
		cmd_error(self, "out of memory");
		return EXIT_INTERNAL;
	}
	int rc = EXIT_OK;
	if (optind >= argc) {
		rc = decode_input(&dc, msg, "-");
	} else {
		for (int i = optind; i < argc; i++) {
			int r = decode_input(&dc, msg, argv[i]);
			if (r > rc)
				rc = r;
		}
	}
	free(msg);
	if (rc == EXIT_OK && dc.invalid)
		rc = EXIT_PROTOCOL;
	return rc;
}
