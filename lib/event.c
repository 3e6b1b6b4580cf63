/* event.c - decode the bodies of event notifications (sip/event.h): the
 * status line of a transfer (sipfrag), presence, dialog state (what a BLF
 * key shows), message waiting and registration state. Zero-copy, like the
 * message parser; the XML ones walk the tokens of xml.c and keep what they
 * read by the names of the elements around it. */
#include "xml_int.h"

static const struct {
	const char *type, *subtype, *name;
} evbody_types[] = {
	[SIP_EVBODY_SIPFRAG] = {"message", "sipfrag", "sipfrag"},
	[SIP_EVBODY_PIDF] = {"application", "pidf+xml", "pidf"},
	[SIP_EVBODY_DIALOGINFO] = {"application", "dialog-info+xml", "dialog-info"},
	[SIP_EVBODY_MWI] = {"application", "simple-message-summary", "message-summary"},
	[SIP_EVBODY_REGINFO] = {"application", "reginfo+xml", "reginfo"},
};
#define NTYPES (sizeof evbody_types / sizeof evbody_types[0])

enum sip_evbody_type sip_evbody_type_of(struct sip_str content_type)
{
	struct sip_ctype ct;
	if (sip_ctype_parse(&ct, content_type) != 0)
		return SIP_EVBODY_NONE;
	for (size_t i = SIP_EVBODY_SIPFRAG; i < NTYPES; i++)
		if (sip_str_ieq_cstr(ct.type, evbody_types[i].type) &&
		    sip_str_ieq_cstr(ct.subtype, evbody_types[i].subtype))
			return (enum sip_evbody_type)i;
	return SIP_EVBODY_NONE;
}

const char *sip_evbody_name(enum sip_evbody_type type)
{
	return type > SIP_EVBODY_NONE && (size_t)type < NTYPES ? evbody_types[type].name : NULL;
}

/* The next line of *s (LF or CRLF), which moves past it; false at the end. */
static bool next_line(struct sip_str *s, struct sip_str *line)
{
	if (s->len == 0)
		return false;
	const char *lf = memchr(s->p, '\n', s->len);
	size_t n = lf ? (size_t)(lf - s->p) : s->len;
	*line = sip_str_sub(*s, 0, n);
	if (line->len && line->p[line->len - 1] == '\r')
		line->len--;
	*s = sip_str_advance(*s, lf ? n + 1 : n);
	return true;
}

static bool is_ws(struct sip_str s)
{
	return xml_trim(s).len == 0;
}

/* ---- message/sipfrag ---- */

static int sipfrag_status(struct sip_sipfrag *f, struct sip_str line)
{
	struct sip_str code = sip_str_sub(line, 8, line.len < 11 ? line.len : 11);
	uint32_t v;
	if (code.len != 3 || sip_str_to_u32(code, &v) != 0 || v < 100 || v > 699 ||
	    (line.len > 11 && line.p[11] != ' '))
		return SIP_ESYNTAX;
	f->status = v;
	f->reason = line.len > 11 ? sip_str_trim(sip_str_advance(line, 12)) : SIP_STR("");
	for (size_t i = 0; i < f->reason.len; i++)
		if (sip_is_ctl(f->reason.p[i])) /* none in a Reason-Phrase (§25.1) */
			return SIP_ESYNTAX;
	return 0;
}

static int sipfrag_request(struct sip_sipfrag *f, struct sip_str line)
{
	const char *sp1 = memchr(line.p, ' ', line.len);
	if (!sp1)
		return SIP_ESYNTAX;
	size_t a = (size_t)(sp1 - line.p);
	const char *sp2 = memchr(sp1 + 1, ' ', line.len - a - 1);
	if (!sp2)
		return SIP_ESYNTAX;
	size_t b = (size_t)(sp2 - line.p);
	f->method = sip_str_sub(line, 0, a);
	f->ruri = sip_str_sub(line, a + 1, b);
	if (!sip_is_token(f->method) || f->ruri.len == 0 ||
	    !sip_str_eq(sip_str_advance(line, b + 1), SIP_STR("SIP/2.0")))
		return SIP_ESYNTAX;
	f->is_request = true;
	return 0;
}

int sip_sipfrag_parse(struct sip_sipfrag *f, struct sip_str body)
{
	struct sip_str rest = body, line;
	memset(f, 0, sizeof *f);
	if (!next_line(&rest, &line) || line.len == 0)
		return SIP_EEMPTY;
	int r = line.len >= 8 && memcmp(line.p, "SIP/2.0 ", 8) == 0 ? sipfrag_status(f, line)
	                                                            : sipfrag_request(f, line);
	if (r)
		return r;
	/* Headers run to the empty line that would start a body. */
	struct sip_str hdrs = rest;
	while (next_line(&rest, &line)) {
		if (line.len == 0)
			break;
		bool folded = line.p[0] == ' ' || line.p[0] == '\t';
		const char *colon = memchr(line.p, ':', line.len);
		if (folded ? line.p == hdrs.p
		           : !colon || !sip_is_token(sip_str_trim(
					       sip_str_sub(line, 0, (size_t)(colon - line.p)))))
			return SIP_ESYNTAX;
		f->headers = sip_str_sub(hdrs, 0, (size_t)(line.p + line.len - hdrs.p));
	}
	return 0;
}

/* ---- application/simple-message-summary ---- */

/* "N/N" with optional spaces around the slash. */
static int pair(struct sip_str s, uint32_t *a, uint32_t *b)
{
	const char *slash = memchr(s.p, '/', s.len);
	if (!slash)
		return SIP_ESYNTAX;
	size_t at = (size_t)(slash - s.p);
	if (sip_str_to_u32(sip_str_trim(sip_str_sub(s, 0, at)), a) != 0 ||
	    sip_str_to_u32(sip_str_trim(sip_str_advance(s, at + 1)), b) != 0)
		return SIP_ESYNTAX;
	return 0;
}

/* msg-summary-line value: new/old [(new-urgent/old-urgent)]. */
static int mwi_counts(struct sip_mwi_class *c, struct sip_str v)
{
	const char *lp = memchr(v.p, '(', v.len);
	size_t end = lp ? (size_t)(lp - v.p) : v.len;
	if (pair(sip_str_sub(v, 0, end), &c->new_msgs, &c->old_msgs) != 0)
		return SIP_ESYNTAX;
	if (!lp)
		return 0;
	struct sip_str u = sip_str_advance(v, end + 1);
	if (u.len == 0 || u.p[u.len - 1] != ')' ||
	    pair(sip_str_sub(u, 0, u.len - 1), &c->new_urgent, &c->old_urgent) != 0)
		return SIP_ESYNTAX;
	c->has_urgent = true;
	return 0;
}

int sip_mwi_parse(struct sip_mwi *m, struct sip_str body)
{
	struct sip_str rest = body, line;
	bool status = false;
	memset(m, 0, sizeof *m);
	while (next_line(&rest, &line)) {
		if (line.len == 0) {
			/* After the summary, an empty line starts the optional
			 * message headers (RFC 3842 section 5.2), which are not decoded. */
			if (status)
				break;
			continue;
		}
		const char *colon = memchr(line.p, ':', line.len);
		if (!colon)
			return SIP_ESYNTAX;
		size_t at = (size_t)(colon - line.p);
		struct sip_str name = sip_str_trim(sip_str_sub(line, 0, at));
		struct sip_str value = sip_str_trim(sip_str_advance(line, at + 1));
		if (!sip_is_token(name))
			return SIP_ESYNTAX;
		if (sip_str_ieq_cstr(name, "Messages-Waiting")) {
			if (!sip_str_ieq_cstr(value, "yes") && !sip_str_ieq_cstr(value, "no"))
				return SIP_ESYNTAX;
			m->waiting = sip_str_ieq_cstr(value, "yes");
			status = true;
		} else if (sip_str_ieq_cstr(name, "Message-Account")) {
			m->account = value;
		} else {
			/* Any other line that reads as counts is a message class
			 * (RFC 3458 names six; vendors add their own). */
			struct sip_mwi_class c = {.name = name};
			if (mwi_counts(&c, value) != 0)
				continue;
			if (m->nclasses == SIP_MWI_MAX_CLASSES)
				m->truncated = true;
			else
				m->classes[m->nclasses++] = c;
		}
	}
	return status ? 0 : SIP_ESYNTAX;
}

/* ---- the XML bodies ---- */

typedef int (*xml_fn)(void *out, const struct xml *x, const struct xml_tok *t);

static bool is(struct sip_str s, const char *name)
{
	return sip_str_eq(s, sip_str_from(name));
}

/* Walks the document, checking its root, and hands each token to fn (text
 * trimmed, whitespace-only text dropped). */
static int walk(struct sip_str body, const char *root, xml_fn fn, void *out)
{
	struct xml x;
	struct xml_tok t;
	int r;
	bool first = true;
	xml_init(&x, body);
	while ((r = xml_next(&x, &t)) == 1) {
		if (first && (t.type != XML_OPEN || !is(t.name, root)))
			return SIP_ESYNTAX;
		first = false;
		if (t.type == XML_TEXT && is_ws(t.text = xml_trim(t.text)))
			continue;
		if ((r = fn(out, &x, &t)) != 0)
			return r;
	}
	return r;
}

/* The document's version attribute, when it has one, is a number. */
static int version_attr(struct sip_str attrs, uint32_t *v)
{
	struct sip_str s;
	if (!xml_attr(attrs, "version", &s))
		return 0;
	return sip_str_to_u32(s, v) == 0 ? 0 : SIP_ESYNTAX;
}

static void attr(struct sip_str attrs, const char *name, struct sip_str *out)
{
	xml_attr(attrs, name, out);
}

static bool add_str(struct sip_str *arr, unsigned *n, unsigned cap, struct sip_str s,
                    bool *truncated)
{
	if (*n == cap) {
		*truncated = true;
		return false;
	}
	arr[(*n)++] = s;
	return true;
}

struct pidf_walk {
	struct sip_pidf *p;
	struct sip_pidf_tuple *tuple; /* the one being read, NULL outside or when dropped */
};

static int pidf_token(void *out, const struct xml *x, const struct xml_tok *t)
{
	struct pidf_walk *w = out;
	struct sip_pidf *p = w->p;
	struct sip_str up = xml_parent(x, 1);
	if (t->type == XML_OPEN) {
		if (is(t->name, "presence") && x->depth == 1) {
			attr(t->attrs, "entity", &p->entity);
		} else if (is(t->name, "tuple") && x->depth == 2) {
			w->tuple = NULL;
			if (p->ntuples == SIP_PIDF_MAX_TUPLES)
				p->truncated = true;
			else
				w->tuple = &p->tuples[p->ntuples++];
			if (w->tuple)
				attr(t->attrs, "id", &w->tuple->id);
		} else if (is(up, "activities") && !is(t->name, "other")) {
			add_str(p->activities, &p->nactivities, SIP_PIDF_MAX_ACTIVITIES, t->name,
			        &p->truncated);
		}
		return 0;
	}
	if (t->type == XML_CLOSE) {
		if (is(t->name, "tuple") && x->depth == 1)
			w->tuple = NULL;
		return 0;
	}
	struct sip_str el = xml_parent(x, 0);
	if (is(el, "basic") && is(up, "status") && w->tuple && x->depth == 4) {
		if (is(t->text, "open"))
			w->tuple->basic = SIP_BASIC_OPEN;
		else if (is(t->text, "closed"))
			w->tuple->basic = SIP_BASIC_CLOSED;
		else
			return SIP_ESYNTAX;
	} else if (is(el, "contact") && w->tuple && x->depth == 3) {
		w->tuple->contact = t->text;
	} else if (is(el, "note")) {
		if (w->tuple && x->depth == 3 && !w->tuple->note.len)
			w->tuple->note = t->text;
		add_str(p->notes, &p->nnotes, SIP_PIDF_MAX_NOTES, t->text, &p->truncated);
	} else if (is(el, "other") && is(up, "activities")) {
		add_str(p->activities, &p->nactivities, SIP_PIDF_MAX_ACTIVITIES, t->text,
		        &p->truncated);
	}
	return 0;
}

int sip_pidf_parse(struct sip_pidf *p, struct sip_str body)
{
	struct pidf_walk w = {.p = p};
	memset(p, 0, sizeof *p);
	int r = walk(body, "presence", pidf_token, &w);
	if (r)
		return r;
	for (unsigned i = 0; i < p->ntuples; i++)
		if (p->tuples[i].basic == SIP_BASIC_OPEN ||
		    (p->tuples[i].basic == SIP_BASIC_CLOSED && p->basic == SIP_BASIC_NONE))
			p->basic = p->tuples[i].basic;
	return 0;
}

struct dialoginfo_walk {
	struct sip_dialoginfo *d;
	struct sip_dialoginfo_dialog *dlg;
};

static int dialoginfo_token(void *out, const struct xml *x, const struct xml_tok *t)
{
	struct dialoginfo_walk *w = out;
	struct sip_dialoginfo *d = w->d;
	struct sip_dialoginfo_dialog *g = w->dlg;
	struct sip_str up = xml_parent(x, 1);
	if (t->type == XML_OPEN) {
		if (x->depth == 1) {
			attr(t->attrs, "entity", &d->entity);
			attr(t->attrs, "state", &d->state);
			return version_attr(t->attrs, &d->version);
		}
		if (is(t->name, "dialog") && x->depth == 2) {
			w->dlg = NULL;
			if (d->ndialogs == SIP_DIALOGINFO_MAX) {
				d->truncated = true;
				return 0;
			}
			g = w->dlg = &d->dialogs[d->ndialogs++];
			attr(t->attrs, "id", &g->id);
			attr(t->attrs, "call-id", &g->call_id);
			attr(t->attrs, "local-tag", &g->local_tag);
			attr(t->attrs, "remote-tag", &g->remote_tag);
			attr(t->attrs, "direction", &g->direction);
		} else if (g && is(t->name, "state") && x->depth == 3) {
			attr(t->attrs, "event", &g->event);
		} else if (g && is(t->name, "identity") && is(up, "remote") && x->depth == 4) {
			attr(t->attrs, "display", &g->remote_display);
		} else if (g && is(t->name, "target") && is(up, "remote") && x->depth == 4 &&
		           !g->remote.len) {
			attr(t->attrs, "uri", &g->remote);
		}
		return 0;
	}
	if (t->type == XML_CLOSE) {
		if (is(t->name, "dialog") && x->depth == 1)
			w->dlg = NULL;
		return 0;
	}
	struct sip_str el = xml_parent(x, 0);
	if (!g)
		return 0;
	if (is(el, "state") && x->depth == 3)
		g->state = t->text;
	else if (is(el, "identity") && is(up, "remote") && x->depth == 4)
		g->remote = t->text;
	else if (is(el, "identity") && is(up, "local") && x->depth == 4)
		g->local = t->text;
	return 0;
}

int sip_dialoginfo_parse(struct sip_dialoginfo *d, struct sip_str body)
{
	struct dialoginfo_walk w = {.d = d};
	memset(d, 0, sizeof *d);
	return walk(body, "dialog-info", dialoginfo_token, &w);
}

struct reginfo_walk {
	struct sip_reginfo *r;
	struct sip_reginfo_reg *reg;
	struct sip_reginfo_contact *contact;
};

static int reginfo_open(struct reginfo_walk *w, const struct xml *x, const struct xml_tok *t)
{
	struct sip_reginfo *r = w->r;
	if (x->depth == 1) {
		attr(t->attrs, "state", &r->state);
		return version_attr(t->attrs, &r->version);
	}
	if (is(t->name, "registration") && x->depth == 2) {
		w->reg = NULL;
		if (r->nregs == SIP_REGINFO_MAX_REGS) {
			r->truncated = true;
			return 0;
		}
		w->reg = &r->regs[r->nregs++];
		attr(t->attrs, "aor", &w->reg->aor);
		attr(t->attrs, "id", &w->reg->id);
		attr(t->attrs, "state", &w->reg->state);
	} else if (is(t->name, "contact") && x->depth == 3 && w->reg) {
		struct sip_reginfo_reg *g = w->reg;
		struct sip_str ex;
		w->contact = NULL;
		if (g->ncontacts == SIP_REGINFO_MAX_CONTACTS) {
			r->truncated = true;
			return 0;
		}
		struct sip_reginfo_contact *c = w->contact = &g->contacts[g->ncontacts++];
		attr(t->attrs, "id", &c->id);
		attr(t->attrs, "state", &c->state);
		attr(t->attrs, "event", &c->event);
		if (xml_attr(t->attrs, "expires", &ex)) {
			if (sip_str_to_u32(ex, &c->expires) != 0)
				return SIP_ESYNTAX;
			c->has_expires = true;
		}
	}
	return 0;
}

static int reginfo_token(void *out, const struct xml *x, const struct xml_tok *t)
{
	struct reginfo_walk *w = out;
	if (t->type == XML_OPEN)
		return reginfo_open(w, x, t);
	if (t->type == XML_CLOSE) {
		if (x->depth == 1)
			w->reg = NULL;
		if (x->depth <= 2)
			w->contact = NULL;
		return 0;
	}
	struct sip_str el = xml_parent(x, 0);
	if (w->contact && x->depth == 4 && is(el, "uri"))
		w->contact->uri = t->text;
	else if (w->contact && x->depth == 4 && is(el, "display-name"))
		w->contact->display = t->text;
	return 0;
}

int sip_reginfo_parse(struct sip_reginfo *r, struct sip_str body)
{
	struct reginfo_walk w = {.r = r};
	memset(r, 0, sizeof *r);
	return walk(body, "reginfo", reginfo_token, &w);
}

int sip_evbody_parse(struct sip_evbody *b, struct sip_str content_type, struct sip_str body)
{
	b->type = sip_evbody_type_of(content_type);
	switch (b->type) {
	case SIP_EVBODY_SIPFRAG: return sip_sipfrag_parse(&b->u.sipfrag, body);
	case SIP_EVBODY_PIDF: return sip_pidf_parse(&b->u.pidf, body);
	case SIP_EVBODY_DIALOGINFO: return sip_dialoginfo_parse(&b->u.dialoginfo, body);
	case SIP_EVBODY_MWI: return sip_mwi_parse(&b->u.mwi, body);
	case SIP_EVBODY_REGINFO: return sip_reginfo_parse(&b->u.reginfo, body);
	case SIP_EVBODY_NONE: break;
	}
	return SIP_EINVAL;
}
