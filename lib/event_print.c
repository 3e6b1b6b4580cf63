/* event_print.c - the summaries of decoded event bodies (sip/event.h):
 * a line or a few for a person reading a subscription, one JSON object for
 * a script. XML text is shown with its entities decoded. */
#include <inttypes.h>

#include "sip_int.h"

struct out {
	FILE *f;
	bool json;
	bool xml;        /* slices are XML character data */
	bool first;      /* no JSON member written yet in the current object */
	const char *ind; /* pretty: what each line starts with */
};

/* A summary shows at most this much of one value. */
#define TEXT_MAX 512

static void text(struct out *o, struct sip_str s)
{
	char buf[TEXT_MAX];
	if (o->xml)
		s = (struct sip_str){buf, sip_xml_text(s, buf, sizeof buf)};
	if (o->json)
		sip_print_json_str(o->f, s);
	else
		sip_print_safe(o->f, s);
}

static void key(struct out *o, const char *k)
{
	fprintf(o->f, "%s\"%s\":", o->first ? "" : ",", k);
	o->first = false;
}

static void kstr(struct out *o, const char *k, struct sip_str s)
{
	if (!s.len)
		return;
	key(o, k);
	text(o, s);
}

static void knum(struct out *o, const char *k, uint32_t v)
{
	key(o, k);
	fprintf(o->f, "%" PRIu32, v);
}

static void kbool(struct out *o, const char *k, bool v)
{
	key(o, k);
	fputs(v ? "true" : "false", o->f);
}

static void obj_begin(struct out *o)
{
	fputc('{', o->f);
	o->first = true;
}

static void obj_end(struct out *o)
{
	fputc('}', o->f);
	o->first = false;
}

static void arr_begin(struct out *o, const char *k)
{
	key(o, k);
	fputc('[', o->f);
}

static void arr_item(struct out *o, unsigned i)
{
	if (i)
		fputc(',', o->f);
	o->first = true;
}

static void arr_end(struct out *o)
{
	fputc(']', o->f);
	o->first = false;
}

static void line_begin(struct out *o, unsigned level)
{
	fprintf(o->f, "%s%s", o->ind, level ? "  " : "");
}

/* Pretty text, or "(none)" for an empty value. */
static void text_or(struct out *o, struct sip_str s, const char *none)
{
	if (s.len)
		text(o, s);
	else
		fputs(none, o->f);
}

static void truncated_note(struct out *o, bool truncated)
{
	if (truncated)
		fputs(" [more not shown]", o->f);
}

static const char *basic_name(enum sip_basic b)
{
	return b == SIP_BASIC_OPEN ? "open" : b == SIP_BASIC_CLOSED ? "closed" : "unknown";
}

static void sipfrag_print(struct out *o, const struct sip_sipfrag *s)
{
	if (o->json) {
		if (s->is_request) {
			kstr(o, "method", s->method);
			kstr(o, "ruri", s->ruri);
		} else {
			knum(o, "status", s->status);
			key(o, "reason");
			text(o, s->reason);
		}
		kstr(o, "headers", s->headers);
		return;
	}
	line_begin(o, 0);
	if (s->is_request) {
		text(o, s->method);
		fputc(' ', o->f);
		text(o, s->ruri);
	} else {
		fprintf(o->f, "%u", s->status);
		if (s->reason.len) {
			fputc(' ', o->f);
			text(o, s->reason);
		}
	}
	fputc('\n', o->f);
}

static void str_array(struct out *o, const char *k, const struct sip_str *a, unsigned n)
{
	arr_begin(o, k);
	for (unsigned i = 0; i < n; i++) {
		if (i)
			fputc(',', o->f);
		text(o, a[i]);
	}
	arr_end(o);
}

static void pidf_print(struct out *o, const struct sip_pidf *p)
{
	if (o->json) {
		kstr(o, "entity", p->entity);
		key(o, "basic");
		fprintf(o->f, "\"%s\"", basic_name(p->basic));
		arr_begin(o, "tuples");
		for (unsigned i = 0; i < p->ntuples; i++) {
			const struct sip_pidf_tuple *t = &p->tuples[i];
			arr_item(o, i);
			obj_begin(o);
			kstr(o, "id", t->id);
			key(o, "basic");
			fprintf(o->f, "\"%s\"", basic_name(t->basic));
			kstr(o, "contact", t->contact);
			kstr(o, "note", t->note);
			obj_end(o);
		}
		arr_end(o);
		str_array(o, "activities", p->activities, p->nactivities);
		str_array(o, "notes", p->notes, p->nnotes);
		kbool(o, "truncated", p->truncated);
		return;
	}
	line_begin(o, 0);
	text_or(o, p->entity, "(no entity)");
	fprintf(o->f, ": %s", basic_name(p->basic));
	for (unsigned i = 0; i < p->nactivities; i++) {
		fputs(i ? ", " : " (", o->f);
		text(o, p->activities[i]);
	}
	if (p->nactivities)
		fputc(')', o->f);
	if (p->nnotes) {
		fputs(" \"", o->f);
		text(o, p->notes[0]);
		fputc('"', o->f);
	}
	truncated_note(o, p->truncated);
	fputc('\n', o->f);
}

static void doc_state(struct out *o, struct sip_str state, uint32_t version)
{
	fputs(" (", o->f);
	text_or(o, state, "no state");
	fprintf(o->f, ", version %" PRIu32 ")", version);
}

static void dialoginfo_print(struct out *o, const struct sip_dialoginfo *d)
{
	if (o->json) {
		kstr(o, "entity", d->entity);
		kstr(o, "state", d->state);
		knum(o, "version", d->version);
		arr_begin(o, "dialogs");
		for (unsigned i = 0; i < d->ndialogs; i++) {
			const struct sip_dialoginfo_dialog *g = &d->dialogs[i];
			arr_item(o, i);
			obj_begin(o);
			kstr(o, "id", g->id);
			kstr(o, "call_id", g->call_id);
			kstr(o, "local_tag", g->local_tag);
			kstr(o, "remote_tag", g->remote_tag);
			kstr(o, "direction", g->direction);
			kstr(o, "state", g->state);
			kstr(o, "event", g->event);
			kstr(o, "remote", g->remote);
			kstr(o, "remote_display", g->remote_display);
			kstr(o, "local", g->local);
			obj_end(o);
		}
		arr_end(o);
		kbool(o, "truncated", d->truncated);
		return;
	}
	line_begin(o, 0);
	text_or(o, d->entity, "(no entity)");
	if (d->ndialogs)
		fprintf(o->f, ": %u dialog%s", d->ndialogs, d->ndialogs == 1 ? "" : "s");
	else
		fputs(": no dialogs", o->f);
	doc_state(o, d->state, d->version);
	truncated_note(o, d->truncated);
	fputc('\n', o->f);
	for (unsigned i = 0; i < d->ndialogs; i++) {
		const struct sip_dialoginfo_dialog *g = &d->dialogs[i];
		line_begin(o, 1);
		fputs("dialog ", o->f);
		text_or(o, g->id, "(no id)");
		fputs(": ", o->f);
		text_or(o, g->state, "(no state)");
		if (g->event.len) {
			fputs(" (", o->f);
			text(o, g->event);
			fputc(')', o->f);
		}
		if (g->direction.len) {
			fputs(", ", o->f);
			text(o, g->direction);
		}
		if (g->remote.len) {
			fputs(", remote ", o->f);
			if (g->remote_display.len) {
				fputc('"', o->f);
				text(o, g->remote_display);
				fputs("\" ", o->f);
			}
			text(o, g->remote);
		}
		fputc('\n', o->f);
	}
}

static void mwi_print(struct out *o, const struct sip_mwi *m)
{
	if (o->json) {
		kbool(o, "waiting", m->waiting);
		kstr(o, "account", m->account);
		arr_begin(o, "classes");
		for (unsigned i = 0; i < m->nclasses; i++) {
			const struct sip_mwi_class *c = &m->classes[i];
			arr_item(o, i);
			obj_begin(o);
			kstr(o, "class", c->name);
			knum(o, "new", c->new_msgs);
			knum(o, "old", c->old_msgs);
			if (c->has_urgent) {
				knum(o, "new_urgent", c->new_urgent);
				knum(o, "old_urgent", c->old_urgent);
			}
			obj_end(o);
		}
		arr_end(o);
		kbool(o, "truncated", m->truncated);
		return;
	}
	line_begin(o, 0);
	fprintf(o->f, "messages waiting: %s", m->waiting ? "yes" : "no");
	for (unsigned i = 0; i < m->nclasses; i++) {
		const struct sip_mwi_class *c = &m->classes[i];
		fputs(i ? "; " : ", ", o->f);
		text(o, c->name);
		fprintf(o->f, " %" PRIu32 " new", c->new_msgs);
		if (c->has_urgent)
			fprintf(o->f, " (%" PRIu32 " urgent)", c->new_urgent);
		fprintf(o->f, ", %" PRIu32 " old", c->old_msgs);
		if (c->has_urgent)
			fprintf(o->f, " (%" PRIu32 " urgent)", c->old_urgent);
	}
	if (m->account.len) {
		fputs("; account ", o->f);
		text(o, m->account);
	}
	truncated_note(o, m->truncated);
	fputc('\n', o->f);
}

static void contact_json(struct out *o, const struct sip_reginfo_contact *c)
{
	obj_begin(o);
	kstr(o, "id", c->id);
	kstr(o, "state", c->state);
	kstr(o, "event", c->event);
	kstr(o, "uri", c->uri);
	kstr(o, "display", c->display);
	if (c->has_expires)
		knum(o, "expires", c->expires);
	obj_end(o);
}

static void contact_line(struct out *o, const struct sip_reginfo_contact *c)
{
	line_begin(o, 1);
	fputs("contact ", o->f);
	text_or(o, c->uri, "(no uri)");
	fputs(": ", o->f);
	text_or(o, c->state, "(no state)");
	if (c->event.len || c->has_expires) {
		fputs(" (", o->f);
		text(o, c->event);
		if (c->has_expires)
			fprintf(o->f, "%sexpires %" PRIu32, c->event.len ? ", " : "", c->expires);
		fputc(')', o->f);
	}
	fputc('\n', o->f);
}

static void reginfo_print(struct out *o, const struct sip_reginfo *r)
{
	if (o->json) {
		kstr(o, "state", r->state);
		knum(o, "version", r->version);
		arr_begin(o, "registrations");
		for (unsigned i = 0; i < r->nregs; i++) {
			const struct sip_reginfo_reg *g = &r->regs[i];
			arr_item(o, i);
			obj_begin(o);
			kstr(o, "aor", g->aor);
			kstr(o, "id", g->id);
			kstr(o, "state", g->state);
			arr_begin(o, "contacts");
			for (unsigned k = 0; k < g->ncontacts; k++) {
				arr_item(o, k);
				contact_json(o, &g->contacts[k]);
			}
			arr_end(o);
			obj_end(o);
		}
		arr_end(o);
		kbool(o, "truncated", r->truncated);
		return;
	}
	if (!r->nregs) {
		line_begin(o, 0);
		fputs("no registrations", o->f);
		doc_state(o, r->state, r->version);
		fputc('\n', o->f);
	}
	for (unsigned i = 0; i < r->nregs; i++) {
		const struct sip_reginfo_reg *g = &r->regs[i];
		line_begin(o, 0);
		text_or(o, g->aor, "(no aor)");
		fputs(": ", o->f);
		text_or(o, g->state, "(no state)");
		if (!g->ncontacts)
			fputs(", no contacts", o->f);
		truncated_note(o, r->truncated && i + 1 == r->nregs);
		fputc('\n', o->f);
		for (unsigned k = 0; k < g->ncontacts; k++)
			contact_line(o, &g->contacts[k]);
	}
}

void sip_evbody_print(FILE *f, const struct sip_evbody *b, enum sip_print_format fmt,
                      const char *indent)
{
	struct out o = {
		.f = f,
		.json = fmt == SIP_PRINT_JSON,
		.xml = b->type == SIP_EVBODY_PIDF || b->type == SIP_EVBODY_DIALOGINFO ||
	               b->type == SIP_EVBODY_REGINFO,
		.ind = indent ? indent : "",
	};
	const char *name = sip_evbody_name(b->type);
	if (!name)
		return;
	if (o.json) {
		obj_begin(&o);
		key(&o, "type");
		fprintf(f, "\"%s\"", name);
	}
	switch (b->type) {
	case SIP_EVBODY_SIPFRAG: sipfrag_print(&o, &b->u.sipfrag); break;
	case SIP_EVBODY_PIDF: pidf_print(&o, &b->u.pidf); break;
	case SIP_EVBODY_DIALOGINFO: dialoginfo_print(&o, &b->u.dialoginfo); break;
	case SIP_EVBODY_MWI: mwi_print(&o, &b->u.mwi); break;
	case SIP_EVBODY_REGINFO: reginfo_print(&o, &b->u.reginfo); break;
	case SIP_EVBODY_NONE: break;
	}
	if (o.json)
		obj_end(&o);
}
