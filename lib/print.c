/* print.c - render a message raw, pretty (decoded annotations, colour) or
 * as one JSON object per line. Writes only to the caller's FILE. */
#include <string.h>

#include "sip_int.h"

struct style {
	const char *start, *name, *note, *err, *warn, *off;
};

static const struct style plain = {"", "", "", "", "", ""};
static const struct style ansi = {"\033[1m",    "\033[36m", "\033[2m",
                                  "\033[1;31m", "\033[33m", "\033[0m"};

static void put(FILE *f, struct sip_str s)
{
	fwrite(s.p, 1, s.len, f);
}

/* Message text for a terminal: a hostile peer's control characters (an
 * escape sequence in a header) are shown as '?', never sent to the tty. */
void sip_print_safe(FILE *f, struct sip_str s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		fputc((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f ? '?' : c, f);
	}
}

/* Writes s with its folded line breaks turned into single spaces. */
static void put_unfolded(FILE *f, struct sip_str s)
{
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] == '\r' || s.p[i] == '\n') {
			while (i + 1 < s.len && (s.p[i + 1] == '\r' || s.p[i + 1] == '\n' ||
			                         s.p[i + 1] == ' ' || s.p[i + 1] == '\t'))
				i++;
			fputc(' ', f);
		} else {
			sip_print_safe(f, sip_str_sub(s, i, i + 1));
		}
	}
}

/* Length of a valid UTF-8 sequence at p, or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned min;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, min = 0x80;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, min = 0x800;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	unsigned cp = p[0] & (0x3f >> (len - 1));
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* A JSON string: control characters escaped, invalid UTF-8 as U+FFFD so
 * that jq always reads the line. */
void sip_print_json_str(FILE *f, struct sip_str s)
{
	const unsigned char *p = (const unsigned char *)s.p;
	fputc('"', f);
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
		} else if (c == '\n') {
			fputs("\\n", f);
		} else if (c == '\r') {
			fputs("\\r", f);
		} else if (c == '\t') {
			fputs("\\t", f);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
		} else if (c < 0x80) {
			fputc(c, f);
		} else {
			size_t n = utf8_len(p + i, s.len - i);
			if (n) {
				fwrite(p + i, 1, n, f);
				i += n - 1;
			} else {
				fputs("\\ufffd", f);
			}
		}
	}
	fputc('"', f);
}

static void json_cstr(FILE *f, const char *s)
{
	if (s)
		sip_print_json_str(f, sip_str_from(s));
	else
		fputs("null", f);
}

static void json_key(FILE *f, bool *first, const char *key)
{
	fprintf(f, "%s\"%s\":", *first ? "" : ",", key);
	*first = false;
}

static void json_kstr(FILE *f, bool *first, const char *key, struct sip_str s)
{
	json_key(f, first, key);
	sip_print_json_str(f, s);
}

static void json_problems(FILE *f, const struct sip_print_opts *o)
{
	fputs(",\"problems\":[", f);
	for (size_t i = 0; i < o->ndiags; i++) {
		const struct sip_diag *d = &o->diags[i];
		fprintf(f, "%s{\"line\":%u,\"severity\":\"%s\",\"text\":", i ? "," : "", d->line,
		        d->severity == SIP_SEV_ERROR ? "error" : "warning");
		json_cstr(f, d->text);
		fputc('}', f);
	}
	fputc(']', f);
}

static bool has_errors(const struct sip_print_opts *o)
{
	for (size_t i = 0; i < o->ndiags; i++)
		if (o->diags[i].severity == SIP_SEV_ERROR)
			return true;
	return false;
}

static void json_addr(FILE *f, struct sip_str value)
{
	struct sip_addr a;
	struct sip_uri u;
	bool first = true;
	if (sip_addr_parse(&a, value) != 0) {
		fputs("null", f);
		return;
	}
	fputc('{', f);
	if (a.star) {
		fputs("\"star\":true}", f);
		return;
	}
	if (a.display.len)
		json_kstr(f, &first, "display", a.display);
	json_kstr(f, &first, "uri", a.uri);
	if (sip_uri_parse(&u, a.uri) == 0 && u.scheme != SIP_URI_OTHER) {
		if (u.user.len)
			json_kstr(f, &first, "user", u.user);
		if (u.host.len)
			json_kstr(f, &first, "host", u.host);
		if (u.has_port)
			fprintf(f, ",\"port\":%u", u.port);
	}
	if (a.tag.len)
		json_kstr(f, &first, "tag", a.tag);
	if (a.params.len)
		json_kstr(f, &first, "params", a.params);
	fputc('}', f);
}

/* An array of one header's (and its repeats') list elements, each rendered by fn. */
static void json_list(FILE *f, const struct sip_msg *m, enum sip_hdr_id id, const char *key,
                      bool *first, void (*fn)(FILE *, struct sip_str))
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);
	if (!h)
		return;
	json_key(f, first, key);
	fputc('[', f);
	bool any = false;
	for (; h; h = sip_msg_hdr_next(m, h)) {
		struct sip_str list = h->value, elem;
		while (sip_list_next(&list, &elem) == 1) {
			if (any)
				fputc(',', f);
			fn(f, elem);
			any = true;
		}
	}
	fputc(']', f);
}

static void json_via(FILE *f, struct sip_str value)
{
	struct sip_via v;
	bool first = true;
	if (sip_via_parse(&v, value) != 0) {
		fputs("null", f);
		return;
	}
	fputc('{', f);
	json_kstr(f, &first, "transport", v.transport);
	json_kstr(f, &first, "host", v.host);
	if (v.has_port)
		fprintf(f, ",\"port\":%u", v.port);
	if (v.branch.len)
		json_kstr(f, &first, "branch", v.branch);
	if (v.received.len)
		json_kstr(f, &first, "received", v.received);
	if (v.rport)
		fprintf(f, ",\"rport\":%u", v.rport_value);
	fputc('}', f);
}

static void json_sdp(FILE *f, const struct sip_sdp *sdp)
{
	fputs(",\"sdp\":{", f);
	bool first = true;
	if (sdp->conn.len)
		json_kstr(f, &first, "connection", sdp->conn);
	json_key(f, &first, "media");
	fputc('[', f);
	for (unsigned i = 0; i < sdp->nmedia; i++) {
		const struct sip_sdp_media *md = &sdp->media[i];
		bool mf = true;
		fputs(i ? ",{" : "{", f);
		json_kstr(f, &mf, "type", md->type);
		fprintf(f, ",\"port\":%u", md->port);
		json_kstr(f, &mf, "proto", md->proto);
		json_kstr(f, &mf, "connection", md->conn);
		fprintf(f, ",\"direction\":\"%s\",\"codecs\":[", sip_sdp_dir_name(md->dir));
		for (unsigned k = 0; k < md->ncodecs; k++) {
			const struct sip_sdp_codec *cd = &md->codecs[k];
			fprintf(f, "%s{\"pt\":%u,\"name\":", k ? "," : "", cd->pt);
			sip_print_json_str(f, cd->name);
			fprintf(f, ",\"rate\":%u}", cd->rate);
		}
		fputs("]}", f);
	}
	fputs("]}", f);
}

/* The message carries an event body (sipfrag, PIDF, ...): b decoded, or
 * *err why not. */
static bool evbody_of(const struct sip_msg *m, struct sip_evbody *b, int *err)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CONTENT_TYPE);
	if (!h || sip_evbody_type_of(h->value) == SIP_EVBODY_NONE)
		return false;
	*err = sip_evbody_parse(b, h->value, m->body);
	return true;
}

static void json_evbody(FILE *f, const struct sip_msg *m)
{
	struct sip_evbody b;
	int err;
	if (!evbody_of(m, &b, &err))
		return;
	fputs(",\"event\":", f);
	if (err) {
		fprintf(f, "{\"type\":\"%s\",\"error\":", sip_evbody_name(b.type));
		json_cstr(f, sip_strerror(err));
		fputc('}', f);
	} else {
		sip_evbody_print(f, &b, SIP_PRINT_JSON, NULL);
	}
}

/* Seconds from t0, for JSON. */
static double rel_seconds(const struct sip_print_opts *o)
{
	uint64_t t = o->packet->time_us;
	return t > o->t0_us ? (double)(t - o->t0_us) / 1e6 : 0.0;
}

static void json_packet(FILE *f, bool *first, const struct sip_print_opts *o)
{
	char addr[64];
	const struct sip_packet_info *pi = o->packet;
	json_key(f, first, "direction");
	fputs(pi->tx ? "\"sent\"" : "\"received\"", f);
	fprintf(f, ",\"transport\":\"%s\"", sip_tp_name(pi->tp));
	if (sip_sockaddr_print(&pi->local, addr, sizeof addr) > 0)
		fprintf(f, ",\"local\":\"%s\"", addr);
	if (sip_sockaddr_print(&pi->remote, addr, sizeof addr) > 0)
		fprintf(f, ",\"remote\":\"%s\"", addr);
	fprintf(f, ",\"time\":%.6f", rel_seconds(o));
}

static void print_json(FILE *f, const struct sip_msg *m, const struct sip_print_opts *o)
{
	bool first = true;
	fputc('{', f);
	if (o->source) {
		json_key(f, &first, "source");
		json_cstr(f, o->source);
	}
	if (o->packet)
		json_packet(f, &first, o);
	json_key(f, &first, "valid");
	fputs(has_errors(o) ? "false" : "true", f);
	fprintf(f, ",\"size\":%zu", m->raw.len);
	if (m->is_request) {
		fputs(",\"type\":\"request\"", f);
		json_kstr(f, &first, "method", m->method_name);
		json_kstr(f, &first, "ruri", m->ruri);
	} else {
		fprintf(f, ",\"type\":\"response\",\"status\":%u", m->status);
		json_kstr(f, &first, "reason", m->reason);
	}
	json_key(f, &first, "headers");
	fputc('[', f);
	for (unsigned i = 0; i < m->nhdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];
		const char *canon = sip_hdr_name((enum sip_hdr_id)h->id);
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		if (canon)
			json_cstr(f, canon);
		else
			sip_print_json_str(f, h->name);
		fputs(",\"value\":", f);
		sip_print_json_str(f, h->value);
		fprintf(f, ",\"line\":%u}", h->line);
	}
	fputc(']', f);
	json_list(f, m, SIP_HDR_VIA, "via", &first, json_via);
	const struct sip_hdr *h;
	if ((h = sip_msg_hdr(m, SIP_HDR_FROM)) != NULL) {
		json_key(f, &first, "from");
		json_addr(f, h->value);
	}
	if ((h = sip_msg_hdr(m, SIP_HDR_TO)) != NULL) {
		json_key(f, &first, "to");
		json_addr(f, h->value);
	}
	json_list(f, m, SIP_HDR_CONTACT, "contact", &first, json_addr);
	if ((h = sip_msg_hdr(m, SIP_HDR_CALL_ID)) != NULL)
		json_kstr(f, &first, "call_id", h->value);
	struct sip_cseq cs;
	if ((h = sip_msg_hdr(m, SIP_HDR_CSEQ)) != NULL && sip_cseq_parse(&cs, h->value) == 0) {
		fprintf(f, ",\"cseq\":{\"num\":%u,\"method\":", cs.num);
		sip_print_json_str(f, cs.method_name);
		fputc('}', f);
	}
	fprintf(f, ",\"body\":{\"length\":%zu", m->body.len);
	if ((h = sip_msg_hdr(m, SIP_HDR_CONTENT_TYPE)) != NULL) {
		fputs(",\"type\":", f);
		sip_print_json_str(f, h->value);
	}
	struct sip_sdp sdp;
	if (sip_msg_is_sdp(m) && sip_sdp_parse(&sdp, m->body) == 0)
		json_sdp(f, &sdp);
	json_evbody(f, m);
	fputc('}', f);
	json_problems(f, o);
	fputs("}\n", f);
}

/* ---- pretty ---- */

static void note_begin(FILE *f, const struct style *st)
{
	fprintf(f, "%s    ", st->note);
}

static void note_end(FILE *f, const struct style *st)
{
	fprintf(f, "%s\n", st->off);
}

static void pretty_uri(FILE *f, struct sip_str s)
{
	struct sip_uri u;
	if (sip_uri_parse(&u, s) != 0 || u.scheme == SIP_URI_OTHER)
		return;
	if (u.user.len) {
		fputs("  user ", f);
		sip_print_safe(f, u.user);
	}
	if (u.host.len) {
		fputs("  host ", f);
		sip_print_safe(f, u.host);
	}
	if (u.has_port)
		fprintf(f, "  port %u", u.port);
	if (u.params.len) {
		fputs("  uri-params ", f);
		sip_print_safe(f, u.params);
	}
	if (u.headers.len) {
		fputs("  uri-headers ", f);
		sip_print_safe(f, u.headers);
	}
}

static void pretty_addrs(FILE *f, const struct sip_hdr *h, const struct style *st)
{
	struct sip_str list = h->value, elem;
	while (sip_list_next(&list, &elem) == 1) {
		struct sip_addr a;
		if (sip_addr_parse(&a, elem) != 0 || a.star)
			continue;
		note_begin(f, st);
		if (a.display.len) {
			fputs("name \"", f);
			sip_print_safe(f, a.display);
			fputs("\"  ", f);
		}
		fputs("uri ", f);
		sip_print_safe(f, a.uri);
		pretty_uri(f, a.uri);
		struct sip_str ps = a.params;
		struct sip_param p;
		while (sip_param_next(&ps, &p) == 1) {
			fputs("  ", f);
			sip_print_safe(f, p.name);
			if (p.has_value) {
				fputc(p.name.len == 3 && sip_str_ieq(p.name, SIP_STR("tag")) ? ' '
				                                                             : '=',
				      f);
				sip_print_safe(f, p.value);
			}
		}
		note_end(f, st);
	}
}

static void pretty_via(FILE *f, const struct sip_hdr *h, const struct style *st, unsigned *hop)
{
	struct sip_str list = h->value, elem;
	while (sip_list_next(&list, &elem) == 1) {
		struct sip_via v;
		if (sip_via_parse(&v, elem) != 0)
			continue;
		note_begin(f, st);
		fprintf(f, "hop %u: ", ++*hop);
		sip_print_safe(f, v.transport);
		fputc(' ', f);
		sip_print_safe(f, v.host);
		if (v.has_port)
			fprintf(f, ":%u", v.port);
		if (v.branch.len) {
			fputs("  branch ", f);
			sip_print_safe(f, v.branch);
		}
		if (v.received.len) {
			fputs("  received ", f);
			sip_print_safe(f, v.received);
		}
		if (v.rport) {
			if (v.rport_value)
				fprintf(f, "  rport %u", v.rport_value);
			else
				fputs("  rport", f);
		}
		note_end(f, st);
	}
}

static void pretty_sdp(FILE *f, const struct sip_msg *m, const struct style *st)
{
	struct sip_sdp sdp;
	if (sip_sdp_parse(&sdp, m->body) != 0)
		return;
	fprintf(f, "%sSDP", st->note);
	if (sdp.conn.len) {
		fputs(": connection ", f);
		sip_print_safe(f, sdp.conn);
	}
	fprintf(f, "%s\n", st->off);
	for (unsigned i = 0; i < sdp.nmedia; i++) {
		const struct sip_sdp_media *md = &sdp.media[i];
		note_begin(f, st);
		sip_print_safe(f, md->type);
		fprintf(f, " port %u ", md->port);
		sip_print_safe(f, md->proto);
		if (md->conn.len && !sip_str_eq(md->conn, sdp.conn)) {
			fputs(" at ", f);
			sip_print_safe(f, md->conn);
		}
		fputs(":", f);
		for (unsigned k = 0; k < md->ncodecs; k++) {
			const struct sip_sdp_codec *cd = &md->codecs[k];
			fputc(' ', f);
			if (cd->name.len) {
				sip_print_safe(f, cd->name);
				if (cd->rate)
					fprintf(f, "/%u", cd->rate);
			} else {
				fprintf(f, "%u", cd->pt);
			}
		}
		fprintf(f, " (%s)", sip_sdp_dir_name(md->dir));
		note_end(f, st);
	}
}

static void pretty_evbody(FILE *f, const struct sip_msg *m, const struct style *st)
{
	struct sip_evbody b;
	int err;
	if (!evbody_of(m, &b, &err))
		return;
	fprintf(f, "%s%s", st->note, sip_evbody_name(b.type));
	if (err) {
		fprintf(f, "%s %sdoes not decode: %s%s\n", st->off, st->warn, sip_strerror(err),
		        st->off);
		return;
	}
	fputs(":\n", f);
	sip_evbody_print(f, &b, SIP_PRINT_PRETTY, "    ");
	fputs(st->off, f);
}

static bool printable_body(struct sip_str b)
{
	for (size_t i = 0; i < b.len; i++) {
		unsigned char c = (unsigned char)b.p[i];
		if (c < 0x20 && c != '\r' && c != '\n' && c != '\t')
			return false;
	}
	return true;
}

static bool on_header_line(const struct sip_msg *m, uint32_t line)
{
	if (line == 1)
		return true;
	for (unsigned i = 0; i < m->nhdrs; i++)
		if (m->hdrs[i].line == line)
			return true;
	return false;
}

/* The problems on one line, shown under it; with line 0 (or no message),
 * those that belong to no start or header line, shown at the end. */
static void pretty_problems(FILE *f, const struct sip_print_opts *o, const struct style *st,
                            const struct sip_msg *m, uint32_t line)
{
	for (size_t i = 0; i < o->ndiags; i++) {
		const struct sip_diag *d = &o->diags[i];
		if (m && (line ? d->line != line : on_header_line(m, d->line)))
			continue;
		bool e = d->severity == SIP_SEV_ERROR;
		fprintf(f, "%s%s%s:%s ", line ? "    " : "", e ? st->err : st->warn,
		        e ? "error" : "warning", st->off);
		if (d->line)
			fprintf(f, "line %u: ", d->line);
		sip_print_safe(f, sip_str_from(d->text)); /* it quotes the message */
		fputc('\n', f);
	}
}

/* "→ UDP 127.0.0.1:5060  412 B  +0.000 s": what travelled where and when. */
static void packet_line(FILE *f, const struct sip_print_opts *o, const struct style *st,
                        size_t size)
{
	char addr[64];
	const struct sip_packet_info *pi = o->packet;
	uint64_t dt = pi->time_us > o->t0_us ? pi->time_us - o->t0_us : 0;
	if (sip_sockaddr_print(&pi->remote, addr, sizeof addr) < 0)
		addr[0] = '\0';
	fprintf(f, "%s%s %s %s  %zu B  ", st->note, pi->tx ? "\u2192" : "\u2190",
	        sip_tp_name(pi->tp), addr, size);
	if (dt < 1000000)
		fprintf(f, "+%.1f ms", (double)dt / 1000.0);
	else
		fprintf(f, "+%.3f s", (double)dt / 1e6);
	fprintf(f, "%s\n", st->off);
}

static void pretty_source(FILE *f, const struct sip_print_opts *o, const struct style *st,
                          size_t size)
{
	if (o->packet)
		packet_line(f, o, st, size);
	else if (o->source)
		fprintf(f, "%s-- %s (%zu bytes)%s\n", st->note, o->source, size, st->off);
}

static void print_pretty(FILE *f, const struct sip_msg *m, const struct sip_print_opts *o)
{
	const struct style *st = o->color ? &ansi : &plain;
	pretty_source(f, o, st, m->raw.len);
	fprintf(f, "%s", st->start);
	sip_print_safe(f, m->start_line);
	fprintf(f, "%s\n", st->off);
	if (!m->is_request) {
		const char *meaning = sip_status_meaning(m->status);
		if (meaning) {
			note_begin(f, st);
			fprintf(f, "%u ", m->status);
			sip_print_safe(f, m->reason);
			fprintf(f, ": %s", meaning);
			note_end(f, st);
		}
	} else {
		note_begin(f, st);
		fputs("request-uri", f);
		pretty_uri(f, m->ruri);
		note_end(f, st);
	}
	pretty_problems(f, o, st, m, 1);
	unsigned hop = 0;
	for (unsigned i = 0; i < m->nhdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];
		const char *canon = sip_hdr_name((enum sip_hdr_id)h->id);
		fprintf(f, "%s", st->name);
		if (canon)
			fputs(canon, f);
		else
			sip_print_safe(f, h->name);
		fprintf(f, "%s: ", st->off);
		put_unfolded(f, h->value);
		fputc('\n', f);
		switch (h->id) {
		case SIP_HDR_VIA: pretty_via(f, h, st, &hop); break;
		case SIP_HDR_FROM:
		case SIP_HDR_TO:
		case SIP_HDR_CONTACT:
		case SIP_HDR_ROUTE:
		case SIP_HDR_RECORD_ROUTE:
		case SIP_HDR_REFER_TO:
		case SIP_HDR_REFERRED_BY:
		case SIP_HDR_P_ASSERTED_IDENTITY: pretty_addrs(f, h, st); break;
		default: break;
		}
		pretty_problems(f, o, st, m, h->line);
	}
	fputc('\n', f);
	if (m->body.len) {
		if (printable_body(m->body)) {
			sip_print_safe(f, m->body);
			if (m->body.p[m->body.len - 1] != '\n')
				fputc('\n', f);
		} else {
			fprintf(f, "%s[%zu bytes of binary body]%s\n", st->note, m->body.len,
			        st->off);
		}
		if (sip_msg_is_sdp(m))
			pretty_sdp(f, m, st);
		pretty_evbody(f, m, st);
	}
	pretty_problems(f, o, st, m, 0);
}

int sip_msg_print(FILE *f, const struct sip_msg *msg, const struct sip_print_opts *opts)
{
	static const struct sip_print_opts none;
	const struct sip_print_opts *o = opts ? opts : &none;
	switch (o->format) {
	case SIP_PRINT_RAW:
		if (o->packet)
			packet_line(f, o, &plain, msg->raw.len);
		put(f, msg->raw);
		/* A body without a last newline would run into the next packet's line. */
		if (o->packet && msg->raw.len && msg->raw.p[msg->raw.len - 1] != '\n')
			fputc('\n', f);
		break;
	case SIP_PRINT_PRETTY: print_pretty(f, msg, o); break;
	case SIP_PRINT_JSON: print_json(f, msg, o); break;
	}
	return ferror(f) ? SIP_ENOSPC : 0;
}

int sip_msg_print_unparsed(FILE *f, struct sip_str raw, const struct sip_print_opts *opts)
{
	static const struct sip_print_opts none;
	const struct sip_print_opts *o = opts ? opts : &none;
	const struct style *st = o->color ? &ansi : &plain;
	bool first = true;
	switch (o->format) {
	case SIP_PRINT_RAW:
		if (o->packet)
			packet_line(f, o, &plain, raw.len);
		put(f, raw);
		if (o->packet && raw.len && raw.p[raw.len - 1] != '\n')
			fputc('\n', f);
		break;
	case SIP_PRINT_PRETTY:
		pretty_source(f, o, st, raw.len);
		sip_print_safe(f, raw);
		if (raw.len && raw.p[raw.len - 1] != '\n')
			fputc('\n', f);
		pretty_problems(f, o, st, NULL, 0);
		break;
	case SIP_PRINT_JSON:
		fputc('{', f);
		if (o->source) {
			json_key(f, &first, "source");
			json_cstr(f, o->source);
		}
		if (o->packet)
			json_packet(f, &first, o);
		json_key(f, &first, "valid");
		fprintf(f, "false,\"size\":%zu", raw.len);
		json_problems(f, o);
		fputs("}\n", f);
		break;
	}
	return ferror(f) ? SIP_ENOSPC : 0;
}
