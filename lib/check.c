/* check.c - validation of a parsed message, for troubleshooting: each
 * problem with its line and what is wrong. Errors make a message invalid
 * (an element would answer 400 or drop it); warnings are legal messages
 * that a peer is likely to refuse or mishandle (RFC 4475 §3.2, §3.3). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <string.h>

#include "sip_int.h"

struct checker {
	const struct sip_msg *msg;
	struct sip_diag *out;
	size_t max;
	size_t n;
};

#define EXCERPT(s) (int)((s).len > 60 ? 60 : (s).len), (s).p

static void report(struct checker *c, uint32_t line, enum sip_severity sev, const char *fmt, ...)
	SIP_PRINTF(4, 5);

static void report(struct checker *c, uint32_t line, enum sip_severity sev, const char *fmt, ...)
{
	if (c->n < c->max) {
		struct sip_diag *d = &c->out[c->n];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(d->text, sizeof d->text, fmt, ap);
		va_end(ap);
		d->line = line;
		d->severity = sev;
	}
	c->n++;
}

#define ERR(c, line, ...) report(c, line, SIP_SEV_ERROR, __VA_ARGS__)
#define WARN(c, line, ...) report(c, line, SIP_SEV_WARNING, __VA_ARGS__)

static bool in_list(struct sip_str s, const char *const *list)
{
	char buf[64];
	int n = sip_uri_unescape(s, buf, sizeof buf);
	if (n >= 0)
		s = (struct sip_str){buf, (size_t)n};
	for (; *list; list++)
		if (sip_str_ieq_cstr(s, *list))
			return true;
	return false;
}

/* Numeric address text, copied out so that inet_pton can read it. */
static int addr_family(struct sip_str s)
{
	char buf[64];
	unsigned char bin[16];
	if (s.len >= 2 && s.p[0] == '[' && s.p[s.len - 1] == ']')
		s = sip_str_sub(s, 1, s.len - 1);
	if (s.len == 0 || s.len >= sizeof buf)
		return 0;
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	if (inet_pton(AF_INET, buf, bin) == 1)
		return 4;
	if (inet_pton(AF_INET6, buf, bin) == 1)
		return 6;
	return 0;
}

static bool uri_scheme_known(const struct sip_uri *u)
{
	return u->scheme != SIP_URI_OTHER;
}

/* A URI inside a header: it must parse; another scheme is a warning. */
static bool check_uri(struct checker *c, uint32_t line, const char *what, struct sip_str s,
                      struct sip_uri *u)
{
	int err = sip_uri_parse(u, s);
	if (err) {
		ERR(c, line, "%s URI '%.*s': %s", what, EXCERPT(s), sip_strerror(err));
		return false;
	}
	if (!uri_scheme_known(u))
		WARN(c, line, "%s URI scheme '%.*s' is not sip, sips or tel", what,
		     EXCERPT(u->scheme_name));
	return true;
}

static void check_request_line(struct checker *c)
{
	const struct sip_msg *m = c->msg;
	struct sip_uri u;
	if (m->ruri.p[0] == '<') {
		ERR(c, 1, "Request-URI '%.*s' must not be enclosed in <>", EXCERPT(m->ruri));
		return;
	}
	int err = sip_uri_parse(&u, m->ruri);
	if (err) {
		ERR(c, 1, "Request-URI '%.*s': %s", EXCERPT(m->ruri), sip_strerror(err));
		return;
	}
	if (u.scheme == SIP_URI_OTHER)
		WARN(c, 1,
		     "Request-URI scheme '%.*s' is not sip, sips or tel (a server answers 416)",
		     EXCERPT(u.scheme_name));
	else if (u.headers.len)
		ERR(c, 1,
		    "Request-URI carries header fields '?%.*s', which RFC 3261 §19.1.1 forbids there",
		    EXCERPT(u.headers));
}

/* Headers a message must have (RFC 3261 §8.1.1, §8.2.6.2): without one it
 * cannot be matched to a transaction or dialog, nor answered. */
static const enum sip_hdr_id required[] = {SIP_HDR_VIA, SIP_HDR_FROM, SIP_HDR_TO, SIP_HDR_CALL_ID,
                                           SIP_HDR_CSEQ};

size_t sip_msg_missing(const struct sip_msg *msg, char *out, size_t cap)
{
	size_t n = 0, len = 0;
	if (cap)
		out[0] = '\0';
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		if (sip_msg_hdr(msg, required[i]))
			continue;
		if (len < cap) {
			int w = snprintf(out + len, cap - len, "%s%s", n ? ", " : "",
			                 sip_hdr_name(required[i]));
			len += w > 0 ? (size_t)w : 0;
		}
		n++;
	}
	return n;
}

static void check_required(struct checker *c)
{
	char names[64];
	if (sip_msg_missing(c->msg, names, sizeof names))
		ERR(c, 0, "missing %s (RFC 3261 §8.1.1: the message cannot be matched or answered)",
		    names);
	if (c->msg->is_request && !sip_msg_hdr(c->msg, SIP_HDR_MAX_FORWARDS))
		WARN(c, 0, "missing Max-Forwards (RFC 2543 client?)");
}

/* Headers that take one value (RFC 3261 §7.3.1: only list headers may repeat). */
static void check_single(struct checker *c)
{
	static const enum sip_hdr_id single[] = {
		SIP_HDR_CALL_ID,      SIP_HDR_CSEQ,
		SIP_HDR_FROM,         SIP_HDR_TO,
		SIP_HDR_MAX_FORWARDS, SIP_HDR_CONTENT_TYPE,
		SIP_HDR_EXPIRES,      SIP_HDR_MIN_EXPIRES,
		SIP_HDR_DATE,         SIP_HDR_RSEQ,
		SIP_HDR_RACK,         SIP_HDR_EVENT,
		SIP_HDR_REFER_TO,     SIP_HDR_SUBSCRIPTION_STATE,
	};
	for (size_t i = 0; i < sizeof single / sizeof single[0]; i++) {
		const struct sip_hdr *h = sip_msg_hdr(c->msg, single[i]);
		unsigned n = sip_msg_hdr_count(c->msg, single[i]);
		if (n > 1)
			WARN(c, sip_msg_hdr_next(c->msg, h)->line,
			     "%s appears %u times; it takes one value (a server answers 400)",
			     sip_hdr_name(single[i]), n);
	}
}

static void check_framing(struct checker *c)
{
	const struct sip_msg *m = c->msg;
	if (m->flags & SIP_MSG_NO_EOH)
		ERR(c, m->body_line, "the headers do not end with an empty line");
	if (m->flags & SIP_MSG_CL_SHORT) {
		const struct sip_hdr *cl = sip_msg_hdr(m, SIP_HDR_CONTENT_LENGTH);
		ERR(c, cl->line, "Content-Length says %.*s, body has %zu bytes", EXCERPT(cl->value),
		    m->body.len);
	}
	if (m->flags & SIP_MSG_BARE_LF)
		WARN(c, 0, "lines end in LF alone, not CRLF (accepted)");
	if (m->flags & SIP_MSG_CL_MULTI) {
		const struct sip_hdr *a = sip_msg_hdr(m, SIP_HDR_CONTENT_LENGTH);
		for (const struct sip_hdr *b = sip_msg_hdr_next(m, a); b;
		     b = sip_msg_hdr_next(m, b)) {
			if (sip_str_eq(a->value, b->value))
				WARN(c, b->line, "Content-Length appears more than once");
			else
				WARN(c, b->line,
				     "Content-Length appears twice with different values (%.*s and %.*s): "
				     "the body's extent is unknowable (a server answers 400)",
				     EXCERPT(a->value), EXCERPT(b->value));
		}
	}
	if (m->trailing)
		WARN(c, m->body_line, "%zu octets after the body ignored (Content-Length says %zu)",
		     m->trailing, m->body.len);
}

static void check_via(struct checker *c, const struct sip_hdr *h, bool top)
{
	struct sip_str list = h->value, elem;
	int r;
	while ((r = sip_list_next(&list, &elem)) == 1) {
		struct sip_via v;
		int err = sip_via_parse(&v, elem);
		if (err) {
			ERR(c, h->line, "Via '%.*s': %s", EXCERPT(elem), sip_strerror(err));
			return;
		}
		if (v.host.p[0] == '[' && addr_family(v.host) != 6)
			ERR(c, h->line, "Via sent-by '%.*s' is not an IPv6 address",
			    EXCERPT(v.host));
		if (sip_str_eq(v.host, SIP_STR("255.255.255.255")))
			WARN(c, h->line, "Via sent-by 255.255.255.255 is the broadcast address");
		if (v.received.len && !addr_family(v.received))
			WARN(c, h->line, "Via received '%.*s' is not an IP address",
			     EXCERPT(v.received));
		if (top && c->msg->is_request) {
			if (!v.branch.len)
				WARN(c, h->line, "Via has no branch (RFC 2543 client?)");
			else if (sip_str_eq(v.branch, SIP_STR("z9hG4bK")))
				WARN(c, h->line,
				     "Via branch is only the magic cookie z9hG4bK and names no transaction");
			else if (v.branch.len < 7 || memcmp(v.branch.p, "z9hG4bK", 7) != 0)
				WARN(c, h->line,
				     "Via branch '%.*s' lacks the z9hG4bK cookie (RFC 2543 client?)",
				     EXCERPT(v.branch));
		}
		top = false;
	}
	if (r < 0)
		ERR(c, h->line, "Via: %s",
		    r == SIP_EEMPTY ? "empty element in the list" : sip_strerror(r));
}

static const char *const uri_params[] = {
	"transport",     "user", "method",    "ttl",   "maddr",           "lr",   "ob",  "gr",
	"sigcomp-id",    "comp", "rinstance", "line",  "x-ast-orig-host", "npdi", "rn",  "cic",
	"phone-context", "isub", "ext",       "postd", "isup-oli",        "pres", "cpc", NULL,
};

/* Contact header parameters (RFC 3261, 3840, 5626, 5627). */
static const char *const contact_params[] = {
	"expires", "q",           "reg-id",   "pub-gruu", "temp-gruu",   "methods",
	"events",  "description", "mobility", "class",    "duplex",      "automata",
	"actor",   "language",    "priority", "isfocus",  "schemes",     "audio",
	"video",   "data",        "control",  "text",     "application", NULL,
};

/* Lists of name-addr: Contact, Route, Record-Route, Path. */
static void check_addrs(struct checker *c, const struct sip_hdr *h)
{
	const char *name = sip_hdr_name((enum sip_hdr_id)h->id);
	struct sip_str list = h->value, elem;
	int r, count = 0;
	while ((r = sip_list_next(&list, &elem)) == 1) {
		struct sip_addr a;
		struct sip_uri u;
		count++;
		int err = sip_addr_parse(&a, elem);
		if (err) {
			ERR(c, h->line, "%s '%.*s': %s", name, EXCERPT(elem), sip_strerror(err));
			return;
		}
		if (a.star) {
			if (h->id != SIP_HDR_CONTACT)
				ERR(c, h->line, "%s cannot be '*'", name);
			continue;
		}
		if (!check_uri(c, h->line, name, a.uri, &u))
			return;
		if (h->id == SIP_HDR_CONTACT && u.scheme != SIP_URI_OTHER) {
			struct sip_param p;
			struct sip_str ps = u.params, hp = a.params;
			/* Without <> every parameter is the binding's: worth a word for one
			 * that is not a binding parameter (expires, q, feature tags), as it
			 * was likely meant for the URI. */
			while (!a.angle && sip_param_next(&hp, &p) == 1)
				if (!in_list(p.name, contact_params) && p.name.p[0] != '+') {
					WARN(c, h->line,
					     "Contact '%.*s' has no <>: ';%.*s%s%.*s' is a Contact parameter, "
					     "not a URI parameter",
					     EXCERPT(a.uri), EXCERPT(p.name),
					     p.has_value ? "=" : "", EXCERPT(p.value));
					break;
				}
			while (a.angle && sip_param_next(&ps, &p) == 1)
				if (!p.has_value && !in_list(p.name, uri_params))
					WARN(c, h->line,
					     "Contact URI parameter '%.*s' is inside <>: it belongs to the URI, "
					     "not to the binding",
					     EXCERPT(p.name));
			if (u.headers.len)
				WARN(c, h->line,
				     "Contact URI carries header fields '?%.*s'; a registrar should not "
				     "store them",
				     EXCERPT(u.headers));
		}
		if ((h->id == SIP_HDR_ROUTE || h->id == SIP_HDR_RECORD_ROUTE ||
		     h->id == SIP_HDR_PATH) &&
		    !a.angle)
			ERR(c, h->line, "%s '%.*s' must be enclosed in <>", name, EXCERPT(elem));
	}
	if (r < 0)
		ERR(c, h->line, "%s: %s", name,
		    r == SIP_EEMPTY ? "empty element in the list" : sip_strerror(r));
	else if (count == 0)
		ERR(c, h->line, "%s is empty", name);
}

/* From and To take one name-addr, so a comma belongs to it: an unquoted
 * display name with a comma is a defect, not a second value. */
static void check_from_to(struct checker *c, const struct sip_hdr *h)
{
	const char *name = sip_hdr_name((enum sip_hdr_id)h->id);
	struct sip_addr a;
	struct sip_uri u;
	int err = sip_addr_parse(&a, h->value);
	if (err) {
		ERR(c, h->line, "%s '%.*s': %s", name, EXCERPT(h->value), sip_strerror(err));
		return;
	}
	if (a.star) {
		ERR(c, h->line, "%s cannot be '*'", name);
		return;
	}
	if (!check_uri(c, h->line, name, a.uri, &u))
		return;
	if (h->id == SIP_HDR_FROM && c->msg->is_request && !a.tag.len)
		WARN(c, h->line, "From has no tag (RFC 2543 client?)");
}

static void check_cseq(struct checker *c, const struct sip_hdr *h)
{
	struct sip_cseq cs;
	int err = sip_cseq_parse(&cs, h->value);
	if (err == SIP_ERANGE) {
		ERR(c, h->line, "CSeq number in '%.*s' is out of range (0 to 4294967295)",
		    EXCERPT(h->value));
		return;
	}
	if (err) {
		ERR(c, h->line, "CSeq '%.*s': %s", EXCERPT(h->value), sip_strerror(err));
		return;
	}
	if (c->msg->is_request && !sip_str_eq(cs.method_name, c->msg->method_name))
		ERR(c, h->line, "CSeq method %.*s does not match request method %.*s",
		    EXCERPT(cs.method_name), EXCERPT(c->msg->method_name));
}

static void check_number(struct checker *c, const struct sip_hdr *h, struct sip_str digits,
                         uint64_t max)
{
	uint64_t v;
	int err = sip_hdr_uint(digits, max, &v);
	const char *name = sip_hdr_name((enum sip_hdr_id)h->id);
	if (err == SIP_ERANGE)
		ERR(c, h->line, "%s %.*s is out of range (0 to %llu)", name, EXCERPT(digits),
		    (unsigned long long)max);
	else if (err)
		ERR(c, h->line, "%s '%.*s' is not a number", name, EXCERPT(digits));
	else if (h->id == SIP_HDR_MAX_FORWARDS && v == 0)
		WARN(c, h->line, "Max-Forwards is 0: a proxy answers 483 Too Many Hops");
}

/* The delta-seconds at the start of Retry-After (a comment and params may follow). */
static struct sip_str leading_digits(struct sip_str s)
{
	size_t i = 0;
	while (i < s.len && sip_is_digit(s.p[i]))
		i++;
	return i ? sip_str_sub(s, 0, i) : s;
}

static void check_warning(struct checker *c, const struct sip_hdr *h)
{
	struct sip_str list = h->value, elem;
	while (sip_list_next(&list, &elem) == 1) {
		size_t i = 0;
		while (i < elem.len && sip_is_digit(elem.p[i]))
			i++;
		if (i != 3 || (i < elem.len && elem.p[i] != ' '))
			ERR(c, h->line, "Warning code in '%.*s' is not three digits",
			    EXCERPT(elem));
	}
}

/* rfc1123-date: "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 3261 §20.17). */
static void check_date(struct checker *c, const struct sip_hdr *h)
{
	static const char shape[] = "Aaa, 00 Aaa 0000 00:00:00 AAA";
	struct sip_str v = h->value;
	bool ok = v.len == sizeof shape - 1;
	for (size_t i = 0; ok && i < v.len; i++) {
		char s = shape[i], x = v.p[i];
		if (s == '0')
			ok = sip_is_digit(x);
		else if (s == 'A' || s == 'a')
			ok = sip_is_alpha(x);
		else
			ok = x == s;
	}
	if (!ok)
		ERR(c, h->line, "Date '%.*s' is not like 'Sun, 06 Nov 1994 08:49:37 GMT'",
		    EXCERPT(v));
	else if (memcmp(v.p + v.len - 3, "GMT", 3) != 0)
		ERR(c, h->line, "Date must be in GMT, not '%.*s'",
		    EXCERPT(sip_str_sub(v, v.len - 3, v.len)));
}

static const char *const option_tags[] = {
	"100rel",
	"199",
	"answermode",
	"eventlist",
	"explicitsub",
	"from-change",
	"geolocation-http",
	"geolocation-sip",
	"gin",
	"gruu",
	"histinfo",
	"ice",
	"join",
	"multiple-refer",
	"norefersub",
	"nosub",
	"outbound",
	"path",
	"policy",
	"precondition",
	"pref",
	"privacy",
	"record-aware",
	"recipient-list-invite",
	"recipient-list-message",
	"recipient-list-subscribe",
	"replaces",
	"resource-priority",
	"sdp-anat",
	"sec-agree",
	"siprec",
	"target-dialog",
	"tdialog",
	"timer",
	"trickle-ice",
	"uui",
	NULL,
};

static void check_require(struct checker *c, const struct sip_hdr *h)
{
	struct sip_str list = h->value, elem;
	int r;
	while ((r = sip_list_next(&list, &elem)) == 1)
		if (!in_list(elem, option_tags))
			WARN(c, h->line, "%s lists unknown extension '%.*s' (a server answers 420)",
			     sip_hdr_name((enum sip_hdr_id)h->id), EXCERPT(elem));
	if (r < 0)
		ERR(c, h->line, "%s: %s", sip_hdr_name((enum sip_hdr_id)h->id), sip_strerror(r));
}

static void check_auth(struct checker *c, const struct sip_hdr *h)
{
	struct sip_str v = h->value;
	size_t i = 0;
	while (i < v.len && sip_is_token_char(v.p[i]))
		i++;
	struct sip_str scheme = sip_str_sub(v, 0, i);
	if (!sip_str_ieq_cstr(scheme, "Digest"))
		WARN(c, h->line, "%s scheme '%.*s' is not Digest",
		     sip_hdr_name((enum sip_hdr_id)h->id), EXCERPT(scheme));
}

static const char *const body_types[] = {
	"application/sdp",
	"message/sipfrag",
	"application/pidf+xml",
	"text/plain",
	"application/dtmf-relay",
	"application/dtmf",
	"application/simple-message-summary",
	"application/xpidf+xml",
	"application/watcherinfo+xml",
	"application/rlmi+xml",
	"application/reginfo+xml",
	"application/dialog-info+xml",
	"message/cpim",
	"text/html",
	"application/json",
	"application/xml",
	"application/isup",
	"application/qsig",
	"application/resource-lists+xml",
	"application/im-iscomposing+xml",
	"application/octet-stream",
	"application/media_control+xml",
	"application/csta+xml",
	"application/conference-info+xml",
	"application/vnd.3gpp.sms",
	"message/sip",
	NULL,
};

static bool ctype_is(const struct sip_ctype *ct, const char *type, const char *sub)
{
	return sip_str_ieq_cstr(ct->type, type) && sip_str_ieq_cstr(ct->subtype, sub);
}

static void check_body(struct checker *c)
{
	const struct sip_msg *m = c->msg;
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CONTENT_TYPE);
	struct sip_ctype ct;
	if (!h) {
		if (m->body.len)
			WARN(c, m->body_line, "body of %zu bytes has no Content-Type", m->body.len);
		return;
	}
	int err = sip_ctype_parse(&ct, h->value);
	if (err) {
		ERR(c, h->line, "Content-Type '%.*s': %s", EXCERPT(h->value), sip_strerror(err));
		return;
	}
	if (!m->body.len)
		return;
	char full[128];
	snprintf(full, sizeof full, "%.*s/%.*s", EXCERPT(ct.type), EXCERPT(ct.subtype));
	if (!sip_str_ieq_cstr(ct.type, "multipart") && !in_list(sip_str_from(full), body_types))
		WARN(c, h->line,
		     "Content-Type %s is not a known body type (a server may answer 415)", full);
	if (!ctype_is(&ct, "application", "sdp"))
		return;
	struct sip_sdp sdp;
	if ((err = sip_sdp_parse(&sdp, m->body)) != 0) {
		WARN(c, m->body_line, "SDP body: %s", sip_strerror(err));
		return;
	}
	const struct sip_hdr *acc = sip_msg_hdr(m, SIP_HDR_ACCEPT);
	if (m->is_request && acc) {
		bool sdp_ok = false;
		for (; acc && !sdp_ok; acc = sip_msg_hdr_next(m, acc)) {
			struct sip_str list = acc->value, elem;
			struct sip_ctype a;
			while (!sdp_ok && sip_list_next(&list, &elem) == 1)
				sdp_ok = sip_ctype_parse(&a, elem) == 0 &&
				         (ctype_is(&a, "application", "sdp") ||
				          ctype_is(&a, "application", "*") ||
				          ctype_is(&a, "*", "*"));
		}
		if (!sdp_ok)
			WARN(c, sip_msg_hdr(m, SIP_HDR_ACCEPT)->line,
			     "Accept does not list application/sdp, so no SDP answer is acceptable "
			     "to the sender of this SDP offer");
	}
}

/* Call-ID words admit nearly every visible character (RFC 3261 §25.1);
 * whitespace and control characters are what break it. */
static void check_call_id(struct checker *c, const struct sip_hdr *h)
{
	for (size_t i = 0; i < h->value.len; i++) {
		unsigned char ch = (unsigned char)h->value.p[i];
		if (ch <= ' ' || ch == 0x7f) {
			ERR(c, h->line, "Call-ID '%.*s' has whitespace or a control character",
			    EXCERPT(h->value));
			return;
		}
	}
	if (h->value.len == 0)
		ERR(c, h->line, "Call-ID is empty");
}

static void check_headers(struct checker *c)
{
	const struct sip_msg *m = c->msg;
	bool first_via = true;
	for (unsigned i = 0; i < m->nhdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];
		struct sip_rack rack;
		struct sip_token_params tp;
		int err;
		switch (h->id) {
		case SIP_HDR_VIA:
			check_via(c, h, first_via);
			first_via = false;
			break;
		case SIP_HDR_CONTACT:
		case SIP_HDR_ROUTE:
		case SIP_HDR_RECORD_ROUTE:
		case SIP_HDR_PATH: check_addrs(c, h); break;
		case SIP_HDR_FROM:
		case SIP_HDR_TO:
		case SIP_HDR_REFER_TO:
		case SIP_HDR_REFERRED_BY:
		case SIP_HDR_REPLY_TO: check_from_to(c, h); break;
		case SIP_HDR_CSEQ: check_cseq(c, h); break;
		case SIP_HDR_CALL_ID: check_call_id(c, h); break;
		case SIP_HDR_MAX_FORWARDS: check_number(c, h, h->value, 255); break;
		case SIP_HDR_EXPIRES:
		case SIP_HDR_MIN_EXPIRES:
		case SIP_HDR_RSEQ: check_number(c, h, h->value, UINT32_MAX); break;
		case SIP_HDR_RETRY_AFTER:
			check_number(c, h, leading_digits(h->value), UINT32_MAX);
			break;
		case SIP_HDR_RACK:
			if ((err = sip_rack_parse(&rack, h->value)) != 0)
				ERR(c, h->line, "RAck '%.*s': %s", EXCERPT(h->value),
				    sip_strerror(err));
			break;
		case SIP_HDR_EVENT:
		case SIP_HDR_SUBSCRIPTION_STATE:
			if ((err = sip_token_params_parse(&tp, h->value)) != 0)
				ERR(c, h->line, "%s '%.*s': %s",
				    sip_hdr_name((enum sip_hdr_id)h->id), EXCERPT(h->value),
				    sip_strerror(err));
			break;
		case SIP_HDR_WARNING: check_warning(c, h); break;
		case SIP_HDR_DATE: check_date(c, h); break;
		case SIP_HDR_REQUIRE:
		case SIP_HDR_PROXY_REQUIRE: check_require(c, h); break;
		case SIP_HDR_AUTHORIZATION:
		case SIP_HDR_PROXY_AUTHORIZATION:
		case SIP_HDR_WWW_AUTHENTICATE:
		case SIP_HDR_PROXY_AUTHENTICATE: check_auth(c, h); break;
		default: break;
		}
	}
}

static void sort_by_line(struct sip_diag *d, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct sip_diag x = d[i];
		size_t j = i;
		while (j > 0 && d[j - 1].line > x.line) {
			d[j] = d[j - 1];
			j--;
		}
		d[j] = x;
	}
}

size_t sip_msg_check(const struct sip_msg *msg, struct sip_diag *out, size_t max)
{
	struct checker c = {msg, out, max, 0};
	if (msg->is_request)
		check_request_line(&c);
	check_framing(&c);
	check_required(&c);
	check_single(&c);
	check_headers(&c);
	check_body(&c);
	sort_by_line(out, c.n < max ? c.n : max);
	return c.n;
}
