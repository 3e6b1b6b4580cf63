/* event_build.c - write the bodies a notifier sends (sip/event.h): presence
 * (PIDF with an RPID activity), dialog state (what a BLF key reads) and a
 * message summary; the parsers in event.c read them back.
 *
 * Every value is checked before anything is written, so that a bad one
 * leaves out as it was; a full buffer is undone the same way. */
#include <inttypes.h>

#include "sip_int.h"

/* Text an XML 1.0 document can hold: no control characters but HT, LF, CR. */
static bool xml_ok(const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < ' ' && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			return false;
	}
	return true;
}

/* A value that must be given. */
static bool xml_req(const char *s)
{
	return s && *s && xml_ok(s);
}

/* s escaped for text and for attribute values in either quotes; HT, LF and
 * CR as references, which a parser neither folds (CR LF into LF) nor, in an
 * attribute, turns into spaces. */
static void put_xml(struct sip_buf *b, const char *s)
{
	const char *run = s;
	for (;; s++) {
		const char *ent = NULL;
		switch (*s) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&apos;"; break;
		case '\t': ent = "&#9;"; break;
		case '\n': ent = "&#10;"; break;
		case '\r': ent = "&#13;"; break;
		case '\0': break;
		default: continue;
		}
		sip_buf_append(b, run, (size_t)(s - run));
		if (!ent)
			return;
		sip_buf_puts(b, ent);
		run = s + 1;
	}
}

/* name="value" with a space before it; nothing when value is NULL. */
static void put_attr(struct sip_buf *b, const char *name, const char *value)
{
	if (!value)
		return;
	sip_buf_printf(b, " %s=\"", name);
	put_xml(b, value);
	sip_buf_append(b, "\"", 1);
}

/* <name>text</name>; nothing when text is NULL. */
static void put_elem(struct sip_buf *b, const char *name, const char *text)
{
	if (!text)
		return;
	sip_buf_printf(b, "<%s>", name);
	put_xml(b, text);
	sip_buf_printf(b, "</%s>", name);
}

/* Drops what was appended from start on when the buffer failed. */
static int finish(struct sip_buf *b, size_t start)
{
	if (b->err && b->p && start <= b->len) {
		b->len = start;
		b->p[start] = '\0';
	}
	return b->err;
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- PIDF ---- */

/* The activity elements of RFC 4480 §3.2. */
static const char *const rpid_activities[] = {
	"appointment",  "away",        "breakfast",         "busy",     "dinner",
	"holiday",      "in-transit",  "looking-for-work",  "meal",     "meeting",
	"on-the-phone", "performance", "permanent-absence", "playing",  "presentation",
	"shopping",     "sleeping",    "spectator",         "steering", "travel",
	"tv",           "unknown",     "vacation",          "working",  "worship",
};

int sip_pidf_build(struct sip_buf *out, const struct sip_pidf_spec *spec)
{
	if (!out || !spec || !xml_req(spec->entity) || !xml_ok(spec->contact) ||
	    !xml_ok(spec->note) || !xml_ok(spec->activity) ||
	    (spec->tuple_id && !xml_req(spec->tuple_id)) || (spec->activity && !*spec->activity))
		return SIP_EINVAL;
	if (out->err)
		return out->err;
	size_t start = out->len;
	sip_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                  "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"");
	if (spec->activity)
		sip_buf_puts(out, " xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\""
		                  " xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\"");
	put_attr(out, "entity", spec->entity);
	sip_buf_puts(out, ">\n <tuple");
	put_attr(out, "id", spec->tuple_id ? spec->tuple_id : "t1");
	sip_buf_printf(out, ">\n  <status><basic>%s</basic></status>\n",
	               spec->open ? "open" : "closed");
	if (spec->contact) {
		sip_buf_puts(out, "  ");
		put_elem(out, "contact", spec->contact);
		sip_buf_puts(out, "\n");
	}
	if (spec->note) {
		sip_buf_puts(out, "  ");
		put_elem(out, "note", spec->note);
		sip_buf_puts(out, "\n");
	}
	sip_buf_puts(out, " </tuple>\n");
	if (spec->activity) {
		sip_buf_puts(out, " <dm:person id=\"p1\">\n  <rpid:activities>");
		if (in_list(spec->activity, rpid_activities, NELEM(rpid_activities)))
			sip_buf_printf(out, "<rpid:%s/>", spec->activity);
		else
			put_elem(out, "rpid:other", spec->activity);
		sip_buf_puts(out, "</rpid:activities>\n </dm:person>\n");
	}
	sip_buf_puts(out, "</presence>\n");
	return finish(out, start);
}

/* ---- dialog-info ---- */

static const char *const dialog_states[] = {"trying", "proceeding", "early", "confirmed",
                                            "terminated"};
static const char *const directions[] = {"initiator", "recipient"};

static bool dialog_ok(const struct sip_dialoginfo_dialog_spec *g)
{
	return xml_req(g->id) && xml_ok(g->call_id) && xml_ok(g->local_tag) &&
	       xml_ok(g->remote_tag) && g->state &&
	       in_list(g->state, dialog_states, NELEM(dialog_states)) &&
	       (!g->direction || in_list(g->direction, directions, NELEM(directions))) &&
	       xml_ok(g->local) && xml_ok(g->local_display) && xml_ok(g->remote) &&
	       xml_ok(g->remote_display) && (g->local || !g->local_display) &&
	       (g->remote || !g->remote_display);
}

/* <local> or <remote> with its identity. */
static void put_party(struct sip_buf *b, const char *side, const char *uri, const char *display)
{
	if (!uri)
		return;
	sip_buf_printf(b, "  <%s><identity", side);
	put_attr(b, "display", display);
	sip_buf_puts(b, ">");
	put_xml(b, uri);
	sip_buf_printf(b, "</identity></%s>\n", side);
}

int sip_dialoginfo_build(struct sip_buf *out, const struct sip_dialoginfo_spec *spec)
{
	if (!out || !spec || !xml_req(spec->entity) || (spec->ndialogs && !spec->dialogs))
		return SIP_EINVAL;
	for (size_t i = 0; i < spec->ndialogs; i++)
		if (!dialog_ok(&spec->dialogs[i]))
			return SIP_EINVAL;
	if (out->err)
		return out->err;
	size_t start = out->len;
	sip_buf_printf(
		out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"%" PRIu32
		"\" state=\"%s\"",
		spec->version, spec->partial ? "partial" : "full");
	put_attr(out, "entity", spec->entity);
	sip_buf_puts(out, ">\n");
	for (size_t i = 0; i < spec->ndialogs; i++) {
		const struct sip_dialoginfo_dialog_spec *g = &spec->dialogs[i];
		sip_buf_puts(out, " <dialog");
		put_attr(out, "id", g->id);
		put_attr(out, "call-id", g->call_id);
		put_attr(out, "local-tag", g->local_tag);
		put_attr(out, "remote-tag", g->remote_tag);
		put_attr(out, "direction", g->direction);
		sip_buf_printf(out, ">\n  <state>%s</state>\n", g->state);
		put_party(out, "local", g->local, g->local_display);
		put_party(out, "remote", g->remote, g->remote_display);
		sip_buf_puts(out, " </dialog>\n");
	}
	sip_buf_puts(out, "</dialog-info>\n");
	return finish(out, start);
}

/* ---- simple-message-summary ---- */

/* The account goes on a header-like line: no line breaks or controls. */
static bool line_ok(struct sip_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if (sip_is_ctl(s.p[i]) || s.p[i] == '\r' || s.p[i] == '\n')
			return false;
	return true;
}

int sip_mwi_build(struct sip_buf *out, const struct sip_mwi *m)
{
	if (!out || !m || m->nclasses > SIP_MWI_MAX_CLASSES || !line_ok(m->account) ||
	    (m->account.len && !m->account.p))
		return SIP_EINVAL;
	for (unsigned i = 0; i < m->nclasses; i++)
		if (!sip_is_token(m->classes[i].name) ||
		    sip_str_ieq_cstr(m->classes[i].name, "Messages-Waiting") ||
		    sip_str_ieq_cstr(m->classes[i].name, "Message-Account"))
			return SIP_EINVAL;
	if (out->err)
		return out->err;
	size_t start = out->len;
	sip_buf_printf(out, "Messages-Waiting: %s\r\n", m->waiting ? "yes" : "no");
	if (m->account.len)
		sip_buf_printf(out, "Message-Account: %.*s\r\n", SIP_STR_FMT(m->account));
	for (unsigned i = 0; i < m->nclasses; i++) {
		const struct sip_mwi_class *c = &m->classes[i];
		sip_buf_printf(out, "%.*s: %" PRIu32 "/%" PRIu32, SIP_STR_FMT(c->name), c->new_msgs,
		               c->old_msgs);
		if (c->has_urgent)
			sip_buf_printf(out, " (%" PRIu32 "/%" PRIu32 ")", c->new_urgent,
			               c->old_urgent);
		sip_buf_puts(out, "\r\n");
	}
	return finish(out, start);
}
