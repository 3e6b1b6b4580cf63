/* ladder.c - a sequence ("ladder") diagram of the messages of an exchange,
 * the picture admins draw by hand from sngrep: one column per party, one
 * arrow per message. Messages are reduced to what the picture needs as
 * they arrive (their buffers do not outlive sip_ladder_add); the parties
 * and the columns are settled only when it is printed, when every Contact
 * that says where a far end really is has been seen. */
#include <stdlib.h>
#include <string.h>

#include "sip_int.h"

#define LABEL_LEN 48    /* "183 Session Progress (SDP)" and more */
#define NAME_LEN 80     /* user@host */
#define ADDR_LEN 64     /* "[IPv6]:port" */
#define MAX_ROWS 100000 /* a runaway exchange costs memory, not all of it */
#define LOOKBACK 256    /* how far back a message finds the one it repeats or acknowledges */

#define MAX_PATH 4 /* proxies drawn between the first hop and a far end */
#define MAX_RR 16  /* Record-Route entries read for them */

#define MIN_WIDTH 20
#define MAX_WIDTH 1000
#define MAX_GAP 40 /* a wide terminal does not stretch two columns across it */

/* Where messages went first: the remote address of the socket. */
struct hop {
	struct sip_sockaddr addr;
	char text[ADDR_LEN];
};

/* One exchange: a request of ours that starts a transaction outside a
 * dialog, and all that follows it, with one peer. A redirect ends it: the
 * request to the Contact is another exchange, with a peer of its own, and
 * so is the same request sent on to the next address (a failover), whose
 * peer is at that address, not past the one before. */
struct exch {
	uint64_t call; /* hash of the Call-ID */
	size_t hop;
	uint32_t cseq;   /* of its first request */
	bool redirected; /* a 3xx ended it */
	bool failover;   /* the request of the exchange before, to another address */
};

/* The party at the other end of an exchange, known by its address of record. */
struct far {
	char aor[NAME_LEN];
	size_t exch;
	char contact[ADDR_LEN];   /* "host:port" of its first Contact; "" until seen */
	struct sip_sockaddr addr; /* where it is: the Contact's, else a numeric AOR's */
	bool has_addr;
	size_t hop; /* the hop it was first reached through */
	bool heard; /* something came from it */
	/* The proxies past that hop, nearest first, from the first
	 * Record-Route seen in a message from it. */
	char path[MAX_PATH][ADDR_LEN];
	size_t npath;
	bool path_known;
};

struct row {
	uint64_t t_us;
	uint64_t hash; /* of the message bytes, with len: a retransmission is the same,
	                  sent the same way to the same hop */
	size_t len;
	uint64_t call; /* hash of the Call-ID */
	uint32_t cseq;
	enum sip_method method; /* the request's, or its CSeq's for a response */
	unsigned status;        /* 0 for a request */
	size_t hop;
	long far;     /* -1: drawn to the hop alone */
	unsigned nth; /* 1, or which sending of the same bytes this is */
	bool tx;
	char label[LABEL_LEN];
	unsigned char reason_at, reason_len; /* where the label has a reason phrase */
};

struct sip_ladder {
	struct sip_sockaddr local;
	bool has_local;
	struct hop *hops;
	size_t nhops, cap_hops;
	struct exch *exchs;
	size_t nexchs, cap_exchs;
	struct far *fars;
	size_t nfars, cap_fars;
	struct row *rows;
	size_t nrows, cap_rows;
	enum sip_method first; /* of the first message: its responses need no "(METHOD)" */
};

int sip_ladder_new(struct sip_ladder **lp)
{
	*lp = calloc(1, sizeof **lp);
	return *lp ? 0 : SIP_ENOMEM;
}

void sip_ladder_free(struct sip_ladder *l)
{
	if (!l)
		return;
	free(l->hops);
	free(l->exchs);
	free(l->fars);
	free(l->rows);
	free(l);
}

/* Room for one more element in a growable array. */
static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 8;
	void *q = realloc(*p, c * size);
	if (!q)
		return SIP_ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* FNV-1a: enough to tell one message's bytes from another's. */
static uint64_t hash(struct sip_str s)
{
	uint64_t h = 14695981039346656037u;
	for (size_t i = 0; i < s.len; i++)
		h = (h ^ (unsigned char)s.p[i]) * 1099511628211u;
	return h;
}

/* Appends s to buf (of cap, NUL kept) as printable ASCII: text from the
 * wire reaches a terminal, so control characters become '?', and so does
 * each non-ASCII character, which the layout could not measure. */
static void append_safe(char *buf, size_t cap, struct sip_str s)
{
	size_t n = strlen(buf);
	for (size_t i = 0; i < s.len && n + 1 < cap; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if ((c & 0xc0) == 0x80)
			continue;
		buf[n++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	buf[n] = '\0';
}

/* "INVITE (SDP)", "180 Ringing", "200 OK (PRACK)": the reason is cut,
 * never the marks. A response to another method than the exchange's first
 * says which, so that the 200s of a call tell apart. */
static void make_label(const struct sip_msg *m, bool say_method, struct row *r)
{
	char *buf = r->label;
	static const char mark[] = " (SDP)";
	char method[24] = "";
	const struct sip_hdr *h = say_method ? sip_msg_hdr(m, SIP_HDR_CSEQ) : NULL;
	struct sip_cseq cs;
	if (h && sip_cseq_parse(&cs, h->value) == 0 && cs.method_name.len < sizeof method - 3) {
		memcpy(method, " (", 3);
		append_safe(method, sizeof method - 1, cs.method_name);
		memcpy(method + strlen(method), ")", 2);
	}
	size_t cap = LABEL_LEN - (sizeof mark - 1) - strlen(method);
	buf[0] = '\0';
	if (m->is_request) {
		append_safe(buf, cap, m->method_name);
	} else {
		snprintf(buf, cap, "%u ", m->status);
		r->reason_at = (unsigned char)strlen(buf);
		append_safe(buf, cap, m->reason);
		r->reason_len = (unsigned char)(strlen(buf) - r->reason_at);
		if (m->reason.len == 0)
			buf[strlen(buf) - 1] = '\0';
	}
	memcpy(buf + strlen(buf), method, strlen(method) + 1);
	if (m->body.len && sip_msg_is_sdp(m))
		memcpy(buf + strlen(buf), mark, sizeof mark);
}

/* The port a URI's host is reached on when it names none (RFC 3263 §4.2). */
static uint16_t uri_port(const struct sip_uri *u)
{
	struct sip_str tp;
	if (u->has_port)
		return u->port;
	if (u->scheme == SIP_URI_SIPS ||
	    (sip_param_get(u->params, "transport", &tp) && sip_str_ieq_cstr(tp, "tls")))
		return 5061;
	return 5060;
}

/* The URI of the first name-addr of a header (From, To, Contact). */
static bool header_uri(const struct sip_msg *m, enum sip_hdr_id id, struct sip_uri *u)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);
	struct sip_str list, elem;
	struct sip_addr a;
	if (!h)
		return false;
	list = h->value;
	return sip_list_next(&list, &elem) == 1 && sip_addr_parse(&a, elem) == 0 && !a.star &&
	       sip_uri_parse(u, a.uri) == 0;
}

/* "user@host", host in lower case so that case alone makes no new party;
 * a tel: number, or another scheme's URI as written. */
static bool aor_of(const struct sip_msg *m, enum sip_hdr_id id, char *buf, struct sip_uri *u)
{
	buf[0] = '\0';
	if (!header_uri(m, id, u))
		return false;
	if (u->scheme == SIP_URI_OTHER) {
		append_safe(buf, NAME_LEN, u->scheme_name);
		append_safe(buf, NAME_LEN, SIP_STR(":"));
		append_safe(buf, NAME_LEN, u->opaque);
		return true;
	}
	append_safe(buf, NAME_LEN, u->user);
	if (u->user.len && u->host.len)
		append_safe(buf, NAME_LEN, SIP_STR("@"));
	size_t at = strlen(buf);
	append_safe(buf, NAME_LEN, u->host);
	for (char *p = buf + at; *p; p++)
		*p = sip_lower(*p);
	return buf[0] != '\0';
}

/* Where a URI's host is, when it is an address and not a name. */
static bool uri_addr(const struct sip_uri *u, struct sip_sockaddr *sa)
{
	return (u->host_is_ip4 || u->host_is_ip6) &&
	       sip_sockaddr_set(sa, u->host, uri_port(u)) == 0;
}

/* A caller that does not know the remote address gets one hop for all of it. */
static bool same_hop(const struct sip_sockaddr *a, const struct sip_sockaddr *b)
{
	if (a->u.sa.sa_family == AF_UNSPEC)
		return b->u.sa.sa_family == AF_UNSPEC;
	return sip_sockaddr_eq(a, b);
}

static int add_hop(struct sip_ladder *l, const struct sip_sockaddr *remote, size_t *idx)
{
	for (size_t i = 0; i < l->nhops; i++) {
		if (same_hop(&l->hops[i].addr, remote)) {
			*idx = i;
			return 0;
		}
	}
	int err = grow((void **)&l->hops, &l->cap_hops, l->nhops, sizeof *l->hops);
	if (err)
		return err;
	struct hop *h = &l->hops[l->nhops];
	h->addr = *remote;
	if (sip_sockaddr_print(remote, h->text, sizeof h->text) < 0)
		snprintf(h->text, sizeof h->text, "?");
	*idx = l->nhops++;
	return 0;
}

static bool has_to_tag(const struct sip_msg *m)
{
	struct sip_addr to;
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_TO);
	return h && sip_addr_parse(&to, h->value) == 0 && to.tag.len;
}

/* The exchange of a message. A request of ours without a To tag (but an
 * ACK or a CANCEL, which belong to the INVITE before them) starts one,
 * unless it is the current one's again to the same address: a
 * retransmission, or a retry with credentials. Anything else joins the
 * latest exchange of its Call-ID at its address (from a CSeq of ours, the
 * one it started at or before, so that a late answer to a redirected
 * request stays with it), else the latest of its Call-ID. */
static int find_exch(struct sip_ladder *l, const struct sip_msg *m, const struct row *r,
                     size_t *idx)
{
	bool our_cseq = m->is_request == r->tx;
	bool starts = m->is_request && r->tx && r->method != SIP_ACK && r->method != SIP_CANCEL &&
	              !has_to_tag(m);
	long cur = -1, at = -1;
	for (size_t i = l->nexchs, n = 0; i-- > 0 && n < LOOKBACK; n++) {
		const struct exch *e = &l->exchs[i];
		if (e->call != r->call)
			continue;
		if (cur < 0)
			cur = (long)i;
		if (e->hop == r->hop && (!our_cseq || e->cseq <= r->cseq)) {
			at = (long)i;
			break;
		}
	}
	bool again = cur >= 0 && !l->exchs[cur].redirected;
	if (starts ? again && l->exchs[cur].hop == r->hop : cur >= 0) {
		*idx = (size_t)(starts || at < 0 ? cur : at);
		return 0;
	}
	int err = grow((void **)&l->exchs, &l->cap_exchs, l->nexchs, sizeof *l->exchs);
	if (err)
		return err;
	l->exchs[l->nexchs] = (struct exch){
		.call = r->call, .hop = r->hop, .cseq = r->cseq, .failover = starts && again};
	*idx = l->nexchs++;
	return 0;
}

/* A far end is guessed to be where its URI says when that is an address,
 * and, in a failover, at the address the request went to instead. */
static int add_far(struct sip_ladder *l, const char *aor, const struct sip_uri *u, size_t hop,
                   size_t exch, long *idx)
{
	for (size_t i = 0; i < l->nfars; i++) {
		if (l->fars[i].exch == exch && strcmp(l->fars[i].aor, aor) == 0) {
			*idx = (long)i;
			return 0;
		}
	}
	int err = grow((void **)&l->fars, &l->cap_fars, l->nfars, sizeof *l->fars);
	if (err)
		return err;
	struct far *f = &l->fars[l->nfars];
	memset(f, 0, sizeof *f);
	memcpy(f->aor, aor, strlen(aor) + 1);
	f->exch = exch;
	f->hop = hop;
	if (l->exchs[exch].failover) {
		f->addr = l->hops[hop].addr;
		f->has_addr = f->addr.u.sa.sa_family != AF_UNSPEC;
	} else {
		f->has_addr = uri_addr(u, &f->addr);
	}
	*idx = (long)l->nfars++;
	return 0;
}

/* A far end's Contact says where it really is; the first one is kept. */
static void learn_contact(struct far *f, const struct sip_msg *m)
{
	struct sip_uri u;
	if (f->contact[0] || !header_uri(m, SIP_HDR_CONTACT, &u) || u.host.len == 0)
		return;
	char port[8];
	snprintf(port, sizeof port, ":%u", uri_port(&u));
	append_safe(f->contact, sizeof f->contact, u.host);
	append_safe(f->contact, sizeof f->contact, sip_str_from(port));
	/* once there is a Contact, the AOR's host no longer says where it is */
	f->has_addr = uri_addr(&u, &f->addr);
}

/* A Record-Route entry as a column name: "host:port". */
struct rr_entry {
	char text[ADDR_LEN];
	struct sip_sockaddr addr;
	bool has_addr;
	bool r2; /* one of the two a proxy that changes transport writes */
};

static size_t read_record_route(const struct sip_msg *m, struct rr_entry *e, size_t max)
{
	size_t n = 0;
	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_RECORD_ROUTE); h && n < max;
	     h = sip_msg_hdr_next(m, h)) {
		struct sip_str list = h->value, elem, v;
		struct sip_addr a;
		struct sip_uri u;
		while (n < max && sip_list_next(&list, &elem) == 1) {
			if (sip_addr_parse(&a, elem) != 0 || sip_uri_parse(&u, a.uri) != 0 ||
			    !u.host.len)
				continue;
			struct rr_entry *r = &e[n++];
			char port[8];
			snprintf(port, sizeof port, ":%u", uri_port(&u));
			r->text[0] = '\0';
			append_safe(r->text, sizeof r->text, u.host);
			append_safe(r->text, sizeof r->text, sip_str_from(port));
			r->has_addr = uri_addr(&u, &r->addr);
			r->r2 = sip_param_get(u.params, "r2", &v);
		}
	}
	return n;
}

/* The proxies between the hop and a far end, as the first Record-Route
 * that comes from it names them: a response lists them far end first, a
 * request nearest first. The nearest is the hop itself (when it is its
 * address, or a name, which cannot be told apart), and a proxy that
 * changes transport writes itself twice (r2=on) but is drawn once. */
static void learn_path(struct sip_ladder *l, struct far *f, const struct sip_msg *m, size_t hop)
{
	struct rr_entry e[MAX_RR];
	size_t n = f->path_known ? 0 : read_record_route(m, e, MAX_RR);
	if (n == 0)
		return;
	f->path_known = true;
	if (!m->is_request) {
		for (size_t i = 0; i < n / 2; i++) {
			struct rr_entry t = e[i];
			e[i] = e[n - 1 - i];
			e[n - 1 - i] = t;
		}
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		e[k++] = e[i];
		if (e[i].r2 && i + 1 < n && e[i + 1].r2)
			i++; /* the pair's second: the same proxy, its other side */
	}
	bool first_is_hop = !e[0].has_addr || sip_sockaddr_eq(&e[0].addr, &l->hops[hop].addr);
	for (size_t i = first_is_hop; i < k && f->npath < MAX_PATH; i++)
		memcpy(f->path[f->npath++], e[i].text, sizeof e[i].text);
}

/* An ACK to a final response that went to the hop alone (a proxy's 407)
 * goes there too: it ends the proxy's transaction, not the far end's. */
static bool ack_to_hop(const struct sip_ladder *l, const struct row *r)
{
	for (size_t i = l->nrows, n = 0; i-- > 0 && n < LOOKBACK; n++) {
		const struct row *p = &l->rows[i];
		if (p->status >= 200 && p->tx != r->tx && p->call == r->call &&
		    p->cseq == r->cseq && p->method == SIP_INVITE)
			return p->status >= 300 && p->far < 0;
	}
	return false;
}

/* Requests go end to end; a response without a To tag (a proxy's 100
 * Trying) and a 407 are the hop's own, and so is all of a REGISTER,
 * which the registrar answers. */
static bool hop_only(const struct sip_ladder *l, const struct sip_msg *m, const struct row *r)
{
	if (r->method == SIP_REGISTER)
		return true;
	if (m->is_request)
		return r->method == SIP_ACK && ack_to_hop(l, r);
	return r->status == 407 || !has_to_tag(m);
}

int sip_ladder_add(struct sip_ladder *l, const struct sip_msg *m, const struct sip_packet_info *pi)
{
	if (!l || !m || !pi)
		return SIP_EINVAL;
	if (l->nrows >= MAX_ROWS)
		return SIP_ETOOBIG;
	int err = grow((void **)&l->rows, &l->cap_rows, l->nrows, sizeof *l->rows);
	if (err)
		return err;
	struct row r = {.t_us = pi->time_us,
	                .hash = hash(m->raw),
	                .len = m->raw.len,
	                .far = -1,
	                .nth = 1,
	                .tx = pi->tx,
	                .status = m->is_request ? 0 : m->status,
	                .method = m->method};
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CALL_ID);
	struct sip_cseq cs;
	if (h)
		r.call = hash(h->value);
	if ((h = sip_msg_hdr(m, SIP_HDR_CSEQ)) != NULL && sip_cseq_parse(&cs, h->value) == 0) {
		r.cseq = cs.num;
		if (!m->is_request)
			r.method = cs.method;
	}
	if (!l->nrows)
		l->first = r.method;
	make_label(m, !m->is_request && r.method != l->first, &r);
	if ((err = add_hop(l, &pi->remote, &r.hop)) != 0)
		return err;
	if (!l->has_local && pi->local.u.sa.sa_family != AF_UNSPEC) {
		l->local = pi->local;
		l->has_local = true;
	}

	size_t exch;
	if ((err = find_exch(l, m, &r, &exch)) != 0)
		return err;
	if (r.status >= 300 && r.status < 400)
		l->exchs[exch].redirected = true;

	/* The far end is the other party of the exchange: To in what we ask
	 * and what answers us, From in what we are asked and what we answer.
	 * Where we ask, the Request-URI says where it is. */
	char aor[NAME_LEN];
	struct sip_uri u, ruri;
	if (!hop_only(l, m, &r) &&
	    aor_of(m, m->is_request == pi->tx ? SIP_HDR_TO : SIP_HDR_FROM, aor, &u)) {
		bool asked = m->is_request && pi->tx && sip_uri_parse(&ruri, m->ruri) == 0;
		if ((err = add_far(l, aor, asked ? &ruri : &u, r.hop, exch, &r.far)) != 0)
			return err;
		struct far *f = &l->fars[r.far];
		f->heard = f->heard || !pi->tx;
		/* a 3xx's Contact is where to go next, not where it came from */
		if (!pi->tx && (m->is_request || (r.status > 100 && r.status < 300))) {
			learn_contact(f, m);
			learn_path(l, f, m, r.hop);
		}
	}

	for (size_t i = l->nrows, n = 0; i-- > 0 && n < LOOKBACK; n++) {
		const struct row *p = &l->rows[i];
		if (p->tx == r.tx && p->hop == r.hop && p->len == r.len && p->hash == r.hash) {
			r.nth = p->nth + 1;
			break;
		}
	}
	l->rows[l->nrows++] = r;
	return 0;
}

/* ---- rendering ---------------------------------------------------------- */

struct glyphs {
	const char *life, *line, *cross, *tee_r, *tee_l, *head_r, *head_l, *ellipsis, *times,
		*arrow;
};
static const struct glyphs box = {"\u2502", "\u2500", "\u253c", "\u251c", "\u2524",
                                  "\u25b6", "\u25c0", "\u2026", "\u00d7", " \u2192 "};
static const struct glyphs plain = {"|", "-", "+", "|", "|", ">", "<", "~", "x", " -> "};

enum color { C_NONE, C_BOLD, C_REQ, C_PROVISIONAL, C_OK, C_ERR };
static const char *const color_on[] = {
	[C_NONE] = "",        [C_BOLD] = "\033[1m",
	[C_REQ] = "\033[36m", [C_PROVISIONAL] = "\033[33m",
	[C_OK] = "\033[32m",  [C_ERR] = "\033[31m",
};

static enum color row_color(const struct row *r)
{
	if (r->status == 0)
		return C_REQ;
	if (r->status >= 200 && r->status < 300)
		return C_OK;
	return r->status >= 400 ? C_ERR : C_PROVISIONAL;
}

/* One character cell of a line: a glyph of up to three UTF-8 octets. */
struct cell {
	char g[4];
	unsigned char color;
};

struct canvas {
	FILE *f;
	struct cell *cells;
	size_t width;
	const struct glyphs *gl;
	bool color;
};

/* Terminal cells a string of ours takes: one per character. */
static size_t text_width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void clear(struct canvas *cv)
{
	for (size_t i = 0; i < cv->width; i++)
		cv->cells[i] = (struct cell){" ", C_NONE};
}

static void set(struct canvas *cv, size_t x, const char *g, enum color c)
{
	if (x >= cv->width)
		return;
	size_t n = strlen(g);
	memcpy(cv->cells[x].g, g, n < 4 ? n + 1 : 4);
	cv->cells[x].g[3] = '\0';
	cv->cells[x].color = (unsigned char)c;
}

/* Writes at most max characters of s from x; a longer s ends in an
 * ellipsis. Returns the cells used. */
static size_t put_text(struct canvas *cv, size_t x, size_t max, const char *s, enum color c)
{
	size_t w = text_width(s), ew = text_width(cv->gl->ellipsis), keep = w, used = 0;
	bool cut = w > max;
	if (cut)
		keep = max > ew ? max - ew : max;
	for (const char *p = s; *p && used < keep;) {
		size_t n = 1;
		while (p[n] && ((unsigned char)p[n] & 0xc0) == 0x80)
			n++;
		char g[5] = {0};
		memcpy(g, p, n < 4 ? n : 4);
		set(cv, x + used++, g, c);
		p += n;
	}
	if (cut && max > ew)
		used += put_text(cv, x + used, ew, cv->gl->ellipsis, c);
	return used;
}

/* Writes the line, without the spaces at its end, switching colours only
 * where they change. */
static void emit(struct canvas *cv)
{
	size_t end = cv->width;
	while (end && strcmp(cv->cells[end - 1].g, " ") == 0)
		end--;
	unsigned char cur = C_NONE;
	for (size_t i = 0; i < end; i++) {
		unsigned char c = cv->color ? cv->cells[i].color : C_NONE;
		if (c != cur) {
			fputs(cur ? "\033[0m" : "", cv->f);
			fputs(color_on[c], cv->f);
			cur = c;
		}
		fputs(cv->cells[i].g, cv->f);
	}
	fputs(cur ? "\033[0m\n" : "\n", cv->f);
}

/* A column: a party, named on two header lines. */
struct column {
	const char *name;
	const char *detail;
};

/* The parties as columns: us first, then each hop followed by the far ends
 * first reached through it, each after the proxies on its way. A far end
 * whose address is a hop's is that hop's column, so a direct call has two
 * columns and a call through a proxy three. */
struct layout {
	struct column *cols;
	size_t ncols;
	size_t *hop_col;  /* per hop */
	size_t *far_col;  /* per far end */
	size_t *path_col; /* per far end: its first proxy past the hop */
	size_t *path_n;   /* per far end: how many */
	char local[ADDR_LEN];
};

/* The hop whose column a far end shares: the one at its address; without
 * an address, the one it was reached through when nothing says it is
 * past it (nothing came from it, or only the redirect that ended its
 * exchange). */
static long merged_hop(const struct sip_ladder *l, const struct far *f)
{
	for (size_t h = 0; f->has_addr && h < l->nhops; h++)
		if (sip_sockaddr_eq(&l->hops[h].addr, &f->addr))
			return (long)h;
	if (!f->has_addr && (!f->heard || l->exchs[f->exch].redirected))
		return (long)f->hop;
	return -1;
}

static int lay_out(const struct sip_ladder *l, struct layout *lo)
{
	memset(lo, 0, sizeof *lo);
	size_t npath = 0;
	for (size_t i = 0; i < l->nfars; i++)
		npath += l->fars[i].npath;
	lo->cols = calloc(1 + l->nhops + l->nfars + npath, sizeof *lo->cols);
	lo->hop_col = calloc(l->nhops + 1, sizeof *lo->hop_col);
	lo->far_col = calloc(l->nfars + 1, sizeof *lo->far_col);
	lo->path_col = calloc(l->nfars + 1, sizeof *lo->path_col);
	lo->path_n = calloc(l->nfars + 1, sizeof *lo->path_n);
	long *merge = calloc(l->nfars + 1, sizeof *merge);
	if (!lo->cols || !lo->hop_col || !lo->far_col || !lo->path_col || !lo->path_n || !merge) {
		free(merge);
		return SIP_ENOMEM;
	}
	if (!l->has_local || sip_sockaddr_print(&l->local, lo->local, sizeof lo->local) < 0)
		lo->local[0] = '\0';
	lo->cols[lo->ncols++] = (struct column){"us", lo->local};
	for (size_t i = 0; i < l->nfars; i++)
		merge[i] = merged_hop(l, &l->fars[i]);
	for (size_t h = 0; h < l->nhops; h++) {
		struct column *c = &lo->cols[lo->ncols];
		lo->hop_col[h] = lo->ncols++;
		*c = (struct column){l->hops[h].text, ""};
		for (size_t i = 0; i < l->nfars; i++) {
			if (merge[i] == (long)h) {
				if (c->detail[0] == '\0')
					*c = (struct column){l->fars[i].aor, l->hops[h].text};
				lo->far_col[i] = lo->hop_col[h];
			}
		}
		for (size_t i = 0; i < l->nfars; i++) {
			const struct far *f = &l->fars[i];
			if (merge[i] < 0 && f->hop == h) {
				lo->path_col[i] = lo->ncols;
				lo->path_n[i] = f->npath;
				for (size_t p = 0; p < f->npath; p++)
					lo->cols[lo->ncols++] = (struct column){f->path[p], ""};
				lo->far_col[i] = lo->ncols;
				lo->cols[lo->ncols++] = (struct column){f->aor, f->contact};
			}
		}
	}
	free(merge);
	return 0;
}

static void lay_out_free(struct layout *lo)
{
	free(lo->cols);
	free(lo->hop_col);
	free(lo->far_col);
	free(lo->path_col);
	free(lo->path_n);
}

/* An arrow: from and to are columns; via is the hop column it passes
 * through on its way to a far end, or equals to; then it crosses the npath
 * proxy columns from path. */
struct arrow {
	size_t from, to, via;
	size_t path, npath;
};

static struct arrow arrow_of(const struct layout *lo, const struct row *r)
{
	size_t hop = lo->hop_col[r->hop];
	size_t end = r->far >= 0 ? lo->far_col[r->far] : hop;
	struct arrow a = {0, 0, hop, 0, 0};
	/* A far end sits after the hop it was first reached through; reached
	 * through one further right (another address than its Contact's), the
	 * arrow could not show its path, so it shows where the message went. */
	if (hop > end)
		end = hop;
	else if (r->far >= 0)
		a.path = lo->path_col[r->far], a.npath = lo->path_n[r->far];
	a.from = r->tx ? 0 : end;
	a.to = r->tx ? end : 0;
	return a;
}

static void time_text(const struct row *r, uint64_t t0, char *buf, size_t cap)
{
	uint64_t dt = r->t_us > t0 ? r->t_us - t0 : 0;
	snprintf(buf, cap, "%llu.%03llu", (unsigned long long)(dt / 1000000),
	         (unsigned long long)(dt / 1000 % 1000));
}

/* " ×2" on the second sending of the same bytes. */
static void retx_text(const struct canvas *cv, const struct row *r, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (r->nth > 1)
		snprintf(buf, cap, " %s%u", cv->gl->times, r->nth);
}

/* The cells of a label's reason phrase that a ladder keeps: its first
 * word, when more follow; "100 trying -- your call is important to us"
 * tells no more than "100 trying". */
static size_t reason_kept(const struct row *r)
{
	const char *sp = memchr(r->label + r->reason_at, ' ', r->reason_len);
	return sp ? (size_t)(sp - r->label - r->reason_at) : r->reason_len;
}

/* Cells the label and its retransmission mark take in a ladder at the
 * least: all of it but the end of a reason phrase. */
static size_t label_width(const struct canvas *cv, const struct row *r)
{
	char mark[16];
	retx_text(cv, r, mark, sizeof mark);
	size_t w = text_width(r->label), keep = reason_kept(r);
	if (keep < r->reason_len)
		w -= r->reason_len - keep - text_width(cv->gl->ellipsis);
	return w + text_width(mark);
}

/* The label for max cells: whole when it fits; else its reason phrase cut,
 * without the spaces before the cut, so that the marks after it stay. */
static void label_text(const struct canvas *cv, const struct row *r, size_t max, char *buf,
                       size_t cap)
{
	size_t w = strlen(r->label), ew = text_width(cv->gl->ellipsis);
	size_t fixed = w - r->reason_len + ew;
	if (w <= max || r->reason_len == 0 || max < fixed) {
		snprintf(buf, cap, "%s", r->label);
		return;
	}
	size_t keep = r->reason_at + max - fixed;
	while (keep > r->reason_at && r->label[keep - 1] == ' ')
		keep--;
	snprintf(buf, cap, "%.*s%s%s", (int)keep, r->label, cv->gl->ellipsis,
	         r->label + r->reason_at + r->reason_len);
}

/* The label and its retransmission mark in max cells from x, centred when
 * short; the mark survives a cut of the label when there is room for it. */
static void put_label(struct canvas *cv, size_t x, size_t max, const struct row *r, enum color c,
                      bool centre)
{
	char mark[16], text[LABEL_LEN + 8];
	retx_text(cv, r, mark, sizeof mark);
	size_t wm = text_width(mark), ew = text_width(cv->gl->ellipsis);
	if (wm && max < wm + ew + 1) {
		wm = 0;
		mark[0] = '\0';
	}
	label_text(cv, r, max - wm, text, sizeof text);
	size_t wl = text_width(text);
	size_t used = wl + wm < max ? wl + wm : max;
	if (centre) {
		x += (max - used) / 2;
		set(cv, x - 1, " ", c);
		set(cv, x + used, " ", c);
	}
	size_t n = put_text(cv, x, max - wm, text, c);
	put_text(cv, x + n, wm, mark, c);
}

struct grid {
	size_t tw;  /* width of the time column */
	size_t gap; /* between two lifelines */
	size_t x0;  /* the first lifeline */
};

static size_t col_x(const struct grid *g, size_t col)
{
	return g->x0 + g->gap * col;
}

static void lifelines(struct canvas *cv, const struct grid *g, size_t ncols)
{
	for (size_t i = 0; i < ncols; i++)
		set(cv, col_x(g, i), cv->gl->life, C_NONE);
}

/* Cells a header takes: its wider line, centred on its lifeline. */
static size_t header_width(const struct column *c)
{
	size_t n = text_width(c->name), d = text_width(c->detail);
	return n > d ? n : d;
}

static void put_centred(struct canvas *cv, size_t x, const char *s, enum color c)
{
	size_t w = text_width(s);
	put_text(cv, x - w / 2, w, s, c);
}

/* The label goes on an arrow's first stretch, from the sender to the
 * crossing nearest it (*cross) or to the receiver: the column where that
 * ends. */
static size_t stretch_end(struct arrow a, bool *cross)
{
	bool right = a.to > a.from;
	*cross = a.via != a.to &&
	         (right ? a.via > a.from && a.via < a.to : a.via < a.from && a.via > a.to);
	if (!*cross)
		return a.to;
	return !right && a.npath ? a.path + a.npath - 1 : a.via;
}

/* What the stretch's ends take from the label's room: a line and a space
 * on either side, the sender's tee, and the head or the crossing. */
static size_t stretch_ends(bool cross)
{
	return cross ? 5 : 6;
}

static void draw_arrow(struct canvas *cv, const struct grid *g, const struct row *r, struct arrow a)
{
	const struct glyphs *gl = cv->gl;
	enum color c = row_color(r);
	bool right = a.to > a.from, cross;
	size_t end = stretch_end(a, &cross);
	size_t xf = col_x(g, a.from), xt = col_x(g, a.to), xe = col_x(g, end);
	size_t lo = right ? xf : xt, hi = right ? xt : xf;
	for (size_t x = lo + 1; x < hi; x++)
		set(cv, x, gl->line, c);
	set(cv, xf, right ? gl->tee_r : gl->tee_l, C_NONE);
	set(cv, right ? xt - 1 : xt + 1, right ? gl->head_r : gl->head_l, c);
	if (cross)
		set(cv, col_x(g, a.via), gl->cross, c);
	for (size_t p = 0; p < a.npath; p++)
		set(cv, col_x(g, a.path + p), gl->cross, c);
	size_t span = right ? xe - xf : xf - xe, ends = stretch_ends(cross);
	if (span > ends)
		put_label(cv, right ? xf + 3 : xe + ends - 2, span - ends, r, c, true);
}

static void print_ladder(struct canvas *cv, const struct sip_ladder *l, const struct layout *lo,
                         const struct grid *g, uint64_t t0)
{
	char t[32];
	bool details = false;
	for (size_t i = 0; i < lo->ncols; i++)
		details = details || lo->cols[i].detail[0];
	for (int line = 0; line < 1 + details; line++) {
		clear(cv);
		for (size_t i = 0; i < lo->ncols; i++)
			put_centred(cv, col_x(g, i), line ? lo->cols[i].detail : lo->cols[i].name,
			            line ? C_NONE : C_BOLD);
		emit(cv);
	}
	clear(cv);
	lifelines(cv, g, lo->ncols);
	emit(cv);
	for (size_t i = 0; i < l->nrows; i++) {
		const struct row *r = &l->rows[i];
		clear(cv);
		time_text(r, t0, t, sizeof t);
		put_text(cv, g->tw - strlen(t), g->tw, t, C_NONE);
		lifelines(cv, g, lo->ncols);
		draw_arrow(cv, g, r, arrow_of(lo, r));
		emit(cv);
	}
}

/* "1 → 2 → 3": the path of an arrow by column numbers, in the list form. */
static void path_text(const struct canvas *cv, struct arrow a, char *buf, size_t cap)
{
	size_t stops[2 + 1 + MAX_PATH], n = 0;
	stops[n++] = a.from;
	if (a.via != a.to && a.via != a.from) {
		bool right = a.to > a.from;
		if (right)
			stops[n++] = a.via;
		for (size_t p = 0; p < a.npath; p++)
			stops[n++] = right ? a.path + p : a.path + a.npath - 1 - p;
		if (!right)
			stops[n++] = a.via;
	}
	stops[n++] = a.to;
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && len < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%zu", i ? cv->gl->arrow : "",
		                        stops[i] + 1);
}

/* The gap between lifelines that every header and every label need to
 * be drawn whole: two neighbouring headers a space apart, and each label
 * on its first stretch, however many gaps that spans. */
static size_t needed_gap(const struct canvas *cv, const struct sip_ladder *l,
                         const struct layout *lo)
{
	size_t need = 0;
	for (size_t i = 0; i + 1 < lo->ncols; i++) {
		size_t w = (header_width(&lo->cols[i]) + 1) / 2 +
		           header_width(&lo->cols[i + 1]) / 2 + 1;
		need = w > need ? w : need;
	}
	for (size_t i = 0; i < l->nrows; i++) {
		struct arrow a = arrow_of(lo, &l->rows[i]);
		bool cross;
		size_t end = stretch_end(a, &cross);
		size_t gaps = end > a.from ? end - a.from : a.from - end;
		size_t w = label_width(cv, &l->rows[i]) + stretch_ends(cross);
		w = (w + gaps - 1) / gaps;
		need = w > need ? w : need;
	}
	return need;
}

/* Too many parties for the width: a numbered legend, then one line per
 * message with its path, which never breaks however narrow. */
static void print_list(struct canvas *cv, const struct sip_ladder *l, const struct layout *lo,
                       size_t tw, uint64_t t0)
{
	char t[32], path[64];
	size_t pw = 0;
	for (size_t i = 0; i < l->nrows; i++) {
		path_text(cv, arrow_of(lo, &l->rows[i]), path, sizeof path);
		if (text_width(path) > pw)
			pw = text_width(path);
	}
	for (size_t i = 0; i < lo->ncols; i++) {
		const char *part[] = {t, lo->cols[i].name, lo->cols[i].detail};
		clear(cv);
		snprintf(t, sizeof t, "%*zu", (int)tw, i + 1);
		for (size_t k = 0, x = 0; k < 3 && x < cv->width; k++)
			x += put_text(cv, x, cv->width - x, part[k], k == 1 ? C_BOLD : C_NONE) + 2;
		emit(cv);
	}
	for (size_t i = 0; i < l->nrows; i++) {
		const struct row *r = &l->rows[i];
		clear(cv);
		time_text(r, t0, t, sizeof t);
		put_text(cv, tw - strlen(t), tw, t, C_NONE);
		path_text(cv, arrow_of(lo, r), path, sizeof path);
		put_text(cv, tw + 2, pw, path, row_color(r));
		if (tw + pw + 4 < cv->width)
			put_label(cv, tw + pw + 4, cv->width - tw - pw - 4, r, row_color(r), false);
		emit(cv);
	}
}

int sip_ladder_print(FILE *f, const struct sip_ladder *l, const struct sip_ladder_opts *opts)
{
	static const struct sip_ladder_opts none;
	const struct sip_ladder_opts *o = opts ? opts : &none;
	if (!f || !l)
		return SIP_EINVAL;
	if (l->nrows == 0)
		return 0;
	struct canvas cv = {.f = f, .gl = o->ascii ? &plain : &box, .color = o->color};
	cv.width = o->width ? o->width : 80;
	cv.width = cv.width < MIN_WIDTH ? MIN_WIDTH : cv.width > MAX_WIDTH ? MAX_WIDTH : cv.width;
	struct layout lo;
	int err = lay_out(l, &lo);
	cv.cells = err ? NULL : malloc(cv.width * sizeof *cv.cells);
	if (!cv.cells) {
		lay_out_free(&lo);
		return SIP_ENOMEM;
	}

	uint64_t t0 = o->t0_us ? o->t0_us : l->rows[0].t_us;
	char t[32];
	struct grid g = {0};
	for (size_t i = 0; i < l->nrows; i++) {
		time_text(&l->rows[i], t0, t, sizeof t);
		if (strlen(t) > g.tw)
			g.tw = strlen(t);
	}
	/* Evenly spaced lifelines, the outer two no further in than their
	 * headers need; the ladder only when no header and no label is cut.
	 * There are two columns at least: us, and where the first message
	 * went. */
	size_t n = lo.ncols, need = needed_gap(&cv, l, &lo);
	size_t last = (header_width(&lo.cols[n - 1]) + 1) / 2;
	last = last ? last : 1; /* the lifeline itself */
	g.x0 = g.tw + 2 + header_width(&lo.cols[0]) / 2;
	if (g.x0 + need * (n - 1) + last <= cv.width) {
		g.gap = (cv.width - last - g.x0) / (n - 1);
		g.gap = g.gap > MAX_GAP ? (need > MAX_GAP ? need : MAX_GAP) : g.gap;
		print_ladder(&cv, l, &lo, &g, t0);
	} else {
		print_list(&cv, l, &lo, g.tw, t0);
	}
	free(cv.cells);
	lay_out_free(&lo);
	return ferror(f) ? SIP_ENOSPC : 0;
}
