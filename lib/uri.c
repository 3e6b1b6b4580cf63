/* uri.c - sip:, sips: and tel: URIs (RFC 3261 §19.1, RFC 3966), other
 * schemes as opaque (RFC 3986): parse into slices of the input, print in
 * canonical form, compare per RFC 3261 §19.1.4, decode %-escapes. */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <string.h>

#include <sip/sip.h>
#include "sip_int.h"

/* Character classes beyond alphanumerics, which every class below holds. */
enum {
	C_MARK = 1 << 0,     /* RFC 3261 mark: unreserved minus alphanum */
	C_USER = 1 << 1,     /* user-unreserved */
	C_PASS = 1 << 2,     /* the extra password characters */
	C_PARAM = 1 << 3,    /* param-unreserved */
	C_HNV = 1 << 4,      /* hnv-unreserved */
	C_URIC = 1 << 5,     /* RFC 3986 reserved and unreserved, for opaque parts */
	C_RESERVED = 1 << 6, /* RFC 2396 reserved: their escapes stay distinct */
	C_SCHEME = 1 << 7,   /* RFC 3986 scheme */
	C_TELNAME = 1 << 8,  /* RFC 3966 pname */
};

#define CLS_USER (C_MARK | C_USER)
#define CLS_PASS (C_MARK | C_PASS)
#define CLS_PARAM (C_MARK | C_PARAM)
#define CLS_HDR (C_MARK | C_HNV)

static const unsigned short punct[128] = {
	['-'] = C_MARK | C_URIC | C_SCHEME | C_TELNAME,
	['_'] = C_MARK | C_URIC,
	['.'] = C_MARK | C_URIC | C_SCHEME,
	['!'] = C_MARK | C_URIC,
	['~'] = C_MARK | C_URIC,
	['*'] = C_MARK | C_URIC,
	['\''] = C_MARK | C_URIC,
	['('] = C_MARK | C_URIC,
	[')'] = C_MARK | C_URIC,
	['&'] = C_USER | C_PASS | C_PARAM | C_URIC | C_RESERVED,
	['='] = C_USER | C_PASS | C_URIC | C_RESERVED,
	['+'] = C_USER | C_PASS | C_PARAM | C_HNV | C_URIC | C_RESERVED | C_SCHEME,
	['$'] = C_USER | C_PASS | C_PARAM | C_HNV | C_URIC | C_RESERVED,
	[','] = C_USER | C_PASS | C_URIC | C_RESERVED,
	[';'] = C_USER | C_URIC | C_RESERVED,
	['?'] = C_USER | C_HNV | C_URIC | C_RESERVED,
	['/'] = C_USER | C_PARAM | C_HNV | C_URIC | C_RESERVED,
	[':'] = C_PARAM | C_HNV | C_URIC | C_RESERVED,
	['@'] = C_URIC | C_RESERVED,
	['['] = C_PARAM | C_HNV | C_URIC,
	[']'] = C_PARAM | C_HNV | C_URIC,
	['#'] = C_URIC,
};

static bool in_class(char c, unsigned cls)
{
	unsigned char u = (unsigned char)c;
	return sip_is(c, SIP_C_ALPHA | SIP_C_DIGIT) || (u < 128 && (punct[u] & cls));
}

/* Whitespace and control characters are a syntax error wherever they are. */
static int stop_err(const char *p, const char *end, int err)
{
	if (p < end && ((unsigned char)*p <= ' ' || *p == 0x7f))
		return SIP_ESYNTAX;
	return err;
}

static int hexval(char c)
{
	return sip_is_digit(c) ? c - '0' : sip_lower(c) - 'a' + 10;
}

static bool escape_at(const char *p, const char *end)
{
	return end - p >= 3 && sip_is_hex(p[1]) && sip_is_hex(p[2]);
}

/* Advances *pp over characters of class cls and %HH escapes. */
static int scan(const char **pp, const char *end, unsigned cls)
{
	const char *p = *pp;
	while (p < end) {
		if (*p == '%') {
			if (!escape_at(p, end)) {
				*pp = p;
				return SIP_EESCAPE;
			}
			p += 3;
		} else if (in_class(*p, cls)) {
			p++;
		} else {
			break;
		}
	}
	*pp = p;
	return 0;
}

static struct sip_str span(const char *from, const char *to)
{
	struct sip_str s = {from, (size_t)(to - from)};
	return s;
}

/* uri-parameters after the first ';': pname [ "=" pvalue ] separated by
 * ';', up to '?' or the end; names of class name_cls. */
static int scan_params(const char **pp, const char *end, unsigned name_cls)
{
	const char *p = *pp, *mark;
	int err;
	for (;;) {
		mark = p;
		if ((err = scan(&p, end, name_cls)) < 0)
			return err;
		if (p == mark)
			return SIP_ESYNTAX;
		if (p < end && *p == '=') {
			mark = ++p;
			if ((err = scan(&p, end, CLS_PARAM)) < 0)
				return err;
			if (p == mark)
				return SIP_ESYNTAX;
		}
		if (p == end || *p == '?')
			break;
		if (*p != ';')
			return SIP_ESYNTAX;
		p++;
	}
	*pp = p;
	return 0;
}

/* headers after '?': hname "=" hvalue separated by '&', to the end. */
static int scan_headers(const char *p, const char *end)
{
	const char *mark;
	int err;
	for (;;) {
		mark = p;
		if ((err = scan(&p, end, CLS_HDR)) < 0)
			return err;
		if (p == mark || p == end || *p != '=')
			return SIP_ESYNTAX;
		p++;
		if ((err = scan(&p, end, CLS_HDR)) < 0)
			return err;
		if (p == end)
			return 0;
		if (*p != '&')
			return SIP_ESYNTAX;
		p++;
	}
}

/* Dotted quad, each part 1*3DIGIT and at most 255. */
static bool is_ip4(struct sip_str h)
{
	unsigned parts = 0, digits = 0, v = 0;
	for (size_t i = 0; i <= h.len; i++) {
		if (i == h.len || h.p[i] == '.') {
			if (digits == 0 || v > 255)
				return false;
			parts++;
			digits = v = 0;
		} else {
			if (!sip_is_digit(h.p[i]) || ++digits > 3)
				return false;
			v = v * 10 + (unsigned)(h.p[i] - '0');
		}
	}
	return parts == 4;
}

static bool host_end(const char *p, const char *end)
{
	return p == end || *p == ':' || *p == ';' || *p == '?';
}

/* hostname = *( domainlabel "." ) toplabel [ "." ], or an IPv4 address. A
 * label starts and ends alphanumeric, and the top label starts with a
 * letter, so an all-numeric host must be a dotted quad. */
static int scan_hostname(const char **pp, const char *end, struct sip_uri *uri)
{
	const char *start = *pp, *p = start;
	char first = 0, top = 0, prev = 0;
	bool numeric = true;
	for (; p < end; prev = *p++) {
		char c = *p;
		if (c == '.') {
			if (!first || prev == '-')
				return SIP_EHOST;
			top = first;
			first = 0;
		} else if (c == '-' || sip_is_alpha(c) || sip_is_digit(c)) {
			if (!first) {
				if (c == '-')
					return SIP_EHOST;
				first = c;
			}
			numeric = numeric && sip_is_digit(c);
		} else {
			break;
		}
	}
	if (p == start || !host_end(p, end))
		return stop_err(p, end, SIP_EHOST);
	if (first) {
		if (prev == '-')
			return SIP_EHOST;
		top = first;
	}
	uri->host = span(start, p);
	if (numeric) {
		if (!is_ip4(uri->host))
			return SIP_EHOST;
		uri->host_is_ip4 = true;
	} else if (!sip_is_alpha(top)) {
		return SIP_EHOST;
	}
	*pp = p;
	return 0;
}

/* IPv6reference = "[" IPv6address "]", validated by the system's parser. */
static bool ip6_addr(struct sip_str in, struct in6_addr *a)
{
	char buf[INET6_ADDRSTRLEN];
	if (in.len == 0 || in.len >= sizeof buf)
		return false;
	memcpy(buf, in.p, in.len);
	buf[in.len] = '\0';
	return inet_pton(AF_INET6, buf, a) == 1;
}

static int scan_ip6ref(const char **pp, const char *end, struct sip_uri *uri)
{
	const char *start = *pp, *p = start + 1;
	struct in6_addr a;
	while (p < end && (sip_is_hex(*p) || *p == ':' || *p == '.'))
		p++;
	if (p == end || *p != ']')
		return stop_err(p, end, SIP_EHOST);
	if (!host_end(p + 1, end))
		return stop_err(p + 1, end, SIP_EHOST);
	if (!ip6_addr(span(start + 1, p), &a))
		return SIP_EHOST;
	uri->host = span(start, p + 1);
	uri->host_is_ip6 = true;
	*pp = p + 1;
	return 0;
}

static int scan_port(const char **pp, const char *end, struct sip_uri *uri)
{
	const char *start = *pp, *p = start;
	unsigned v = 0;
	for (; p < end && sip_is_digit(*p); p++)
		if ((v = v * 10 + (unsigned)(*p - '0')) > 65535)
			v = 65536; /* sticks, and keeps long digit runs from wrapping */
	if (p == start || (p < end && *p != ';' && *p != '?'))
		return stop_err(p, end, SIP_EPORT);
	if (v > 65535)
		return SIP_EPORT;
	uri->port = (uint16_t)v;
	uri->has_port = true;
	*pp = p;
	return 0;
}

/* userinfo ends at the last '@': neither host, params nor headers may hold
 * a literal one, while the user part may hold ';', '?' and '/'. */
static int parse_sip(struct sip_uri *uri, const char *p, const char *end)
{
	const char *at = memrchr(p, '@', (size_t)(end - p));
	int err;
	if (at) {
		const char *q = p;
		if ((err = scan(&q, at, CLS_USER)) < 0)
			return err;
		if (q == p)
			return SIP_ESYNTAX;
		uri->user = span(p, q);
		if (q < at) {
			if (*q != ':')
				return SIP_ESYNTAX;
			p = ++q;
			if ((err = scan(&q, at, CLS_PASS)) < 0)
				return err;
			if (q != at)
				return SIP_ESYNTAX;
			uri->password = span(p, at);
		}
		p = at + 1;
	}
	err = (p < end && *p == '[') ? scan_ip6ref(&p, end, uri) : scan_hostname(&p, end, uri);
	if (err < 0)
		return err;
	if (p < end && *p == ':') {
		p++;
		if ((err = scan_port(&p, end, uri)) < 0)
			return err;
	}
	if (p < end && *p == ';') {
		const char *params = ++p;
		if ((err = scan_params(&p, end, CLS_PARAM)) < 0)
			return err;
		uri->params = span(params, p);
	}
	if (p < end) { /* only '?' is left */
		p++;
		if ((err = scan_headers(p, end)) < 0)
			return err;
		uri->headers = span(p, end);
	}
	return 0;
}

static bool is_visual_sep(char c)
{
	return c == '-' || c == '.' || c == '(' || c == ')';
}

/* telephone-subscriber: global-number-digits ("+" with at least one DIGIT)
 * or local-number-digits (at least one HEXDIG, "*" or "#"), then params.
 * phone-context is not demanded of local numbers: too many devices omit it. */
static int parse_tel(struct sip_uri *uri, const char *p, const char *end)
{
	const char *start = p;
	bool global = p < end && *p == '+', digits = false;
	int err;
	for (p += global; p < end && *p != ';'; p++) {
		char c = *p;
		if (sip_is_digit(c) || (!global && (sip_is_hex(c) || c == '*' || c == '#')))
			digits = true;
		else if (!is_visual_sep(c))
			return SIP_ESYNTAX;
	}
	if (!digits)
		return SIP_ESYNTAX;
	uri->user = span(start, p);
	if (p < end) {
		const char *params = ++p;
		if ((err = scan_params(&p, end, C_TELNAME)) < 0)
			return err;
		if (p != end)
			return SIP_ESYNTAX;
		uri->params = span(params, end);
	}
	return 0;
}

static int parse_other(struct sip_uri *uri, const char *p, const char *end)
{
	const char *start = p;
	int err = scan(&p, end, C_URIC);
	if (err < 0)
		return err;
	if (p == start || p != end)
		return SIP_ESYNTAX;
	uri->opaque = span(start, end);
	return 0;
}

int sip_uri_parse(struct sip_uri *uri, struct sip_str s)
{
	if (!uri || (!s.p && s.len))
		return SIP_EINVAL;
	*uri = (struct sip_uri){0};
	if (s.len == 0 || !sip_is_alpha(s.p[0]))
		return SIP_ESYNTAX;
	const char *p = s.p + 1, *end = s.p + s.len;
	while (p < end && in_class(*p, C_SCHEME))
		p++;
	if (p == end || *p != ':')
		return SIP_ESYNTAX;
	uri->scheme_name = span(s.p, p);
	p++;
	if (sip_str_ieq_cstr(uri->scheme_name, "sip"))
		uri->scheme = SIP_URI_SIP;
	else if (sip_str_ieq_cstr(uri->scheme_name, "sips"))
		uri->scheme = SIP_URI_SIPS;
	else if (sip_str_ieq_cstr(uri->scheme_name, "tel"))
		uri->scheme = SIP_URI_TEL;
	switch (uri->scheme) {
	case SIP_URI_SIP:
	case SIP_URI_SIPS: return parse_sip(uri, p, end);
	case SIP_URI_TEL: return parse_tel(uri, p, end);
	default: return parse_other(uri, p, end);
	}
}

/* ---- print ---------------------------------------------------------------- */

/* Counts what the whole output needs while copying what fits. */
struct out {
	char *p;
	size_t cap, len;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (n && o->len < o->cap) {
		size_t room = o->cap - o->len;
		memcpy(o->p + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void put_str(struct out *o, struct sip_str s)
{
	put(o, s.p, s.len);
}

static void put_lower(struct out *o, struct sip_str s)
{
	for (size_t i = 0; i < s.len; i++) {
		char c = sip_lower(s.p[i]);
		put(o, &c, 1);
	}
}

int sip_uri_print(const struct sip_uri *uri, char *buf, size_t cap)
{
	static const char *const names[] = {
		[SIP_URI_SIP] = "sip", [SIP_URI_SIPS] = "sips", [SIP_URI_TEL] = "tel"};
	struct out o = {buf, cap, 0};
	if (!uri || (!buf && cap))
		return SIP_EINVAL;
	switch (uri->scheme) {
	case SIP_URI_SIP:
	case SIP_URI_SIPS:
		put(&o, names[uri->scheme], strlen(names[uri->scheme]));
		put(&o, ":", 1);
		if (uri->user.len) {
			put_str(&o, uri->user);
			if (uri->password.p) {
				put(&o, ":", 1);
				put_str(&o, uri->password);
			}
			put(&o, "@", 1);
		}
		put_str(&o, uri->host);
		if (uri->has_port) {
			char port[8];
			int n = snprintf(port, sizeof port, ":%u", (unsigned)uri->port);
			put(&o, port, (size_t)n);
		}
		if (uri->params.len) {
			put(&o, ";", 1);
			put_str(&o, uri->params);
		}
		if (uri->headers.len) {
			put(&o, "?", 1);
			put_str(&o, uri->headers);
		}
		break;
	case SIP_URI_TEL:
		put(&o, "tel:", 4);
		put_str(&o, uri->user);
		if (uri->params.len) {
			put(&o, ";", 1);
			put_str(&o, uri->params);
		}
		break;
	case SIP_URI_OTHER:
		if (!uri->scheme_name.len)
			return SIP_EINVAL;
		put_lower(&o, uri->scheme_name);
		put(&o, ":", 1);
		put_str(&o, uri->opaque);
		break;
	default: return SIP_EINVAL;
	}
	if (cap)
		buf[o.len < cap ? o.len : cap - 1] = '\0';
	if (o.len >= cap)
		return SIP_ENOSPC;
	return o.len > INT_MAX ? SIP_ETOOBIG : (int)o.len;
}

/* ---- compare -------------------------------------------------------------- */

/* The next character of a component with its %-escape decoded. An escaped
 * reserved character is not equivalent to the literal one (RFC 3261
 * §19.1.4), so it decodes to a value above any octet. */
static int next_unit(const char **pp, const char *end, bool icase)
{
	const char *p = *pp;
	int v = (unsigned char)*p;
	if (v == '%' && escape_at(p, end)) {
		v = hexval(p[1]) << 4 | hexval(p[2]);
		*pp = p + 3;
		if (v < 128 && (punct[v] & C_RESERVED))
			return v + 256;
	} else {
		*pp = p + 1;
	}
	return icase && v >= 'A' && v <= 'Z' ? v + 32 : v;
}

static bool esc_eq(struct sip_str a, struct sip_str b, bool icase)
{
	if (a.len == 0 || b.len == 0)
		return a.len == b.len;
	const char *p = a.p, *pe = a.p + a.len, *q = b.p, *qe = b.p + b.len;
	while (p < pe && q < qe)
		if (next_unit(&p, pe, icase) != next_unit(&q, qe, icase))
			return false;
	return p == pe && q == qe;
}

struct kv {
	struct sip_str name, value;
};

/* Takes the next name[=value] from a list separated by sep. */
static bool next_kv(struct sip_str *list, char sep, struct kv *kv)
{
	if (list->len == 0)
		return false;
	const char *p = list->p, *end = p + list->len;
	const char *e = memchr(p, sep, list->len);
	if (!e)
		e = end;
	const char *eq = memchr(p, '=', (size_t)(e - p));
	kv->name = span(p, eq ? eq : e);
	kv->value = eq ? span(eq + 1, e) : span(e, e);
	*list = e < end ? span(e + 1, end) : span(end, end);
	return true;
}

/* The nth entry named name: repeated names pair up in order, so that a
 * URI with a duplicated parameter still equals itself. */
static bool find_kv(struct sip_str list, char sep, struct sip_str name, size_t nth, struct kv *out)
{
	while (next_kv(&list, sep, out))
		if (esc_eq(out->name, name, true) && nth-- == 0)
			return true;
	return false;
}

static size_t count_kv(struct sip_str list, char sep)
{
	struct kv kv;
	size_t n = 0;
	while (next_kv(&list, sep, &kv))
		n++;
	return n;
}

/* Parameters that must match when either URI has them (RFC 3261 §19.1.4). */
static bool must_match(struct sip_str name)
{
	static const struct sip_str names[] = {SIP_STR("user"), SIP_STR("ttl"), SIP_STR("method"),
	                                       SIP_STR("maddr"), SIP_STR("transport")};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (esc_eq(name, names[i], true))
			return true;
	return false;
}

/* Every parameter of a that b also has must have the same value; with
 * all set, b must hold every parameter of a, otherwise only the must_match
 * ones. */
static bool params_cover(struct sip_str a, struct sip_str b, char sep, bool all, bool icase)
{
	struct sip_str rest = a;
	struct kv x, y;
	while (next_kv(&rest, sep, &x)) {
		struct sip_str before = span(a.p, x.name.p);
		size_t nth = 0;
		while (next_kv(&before, sep, &y))
			nth += esc_eq(y.name, x.name, true);
		if (find_kv(b, sep, x.name, nth, &y)) {
			if (!esc_eq(x.value, y.value, icase))
				return false;
		} else if (all || must_match(x.name)) {
			return false;
		}
	}
	return true;
}

static bool sip_params_equal(struct sip_str a, struct sip_str b)
{
	return params_cover(a, b, ';', false, true) && params_cover(b, a, ';', false, true);
}

/* Every key of both, with equal values. */
static bool kv_set_equal(struct sip_str a, struct sip_str b, char sep, bool icase)
{
	return count_kv(a, sep) == count_kv(b, sep) && params_cover(a, b, sep, true, icase) &&
	       params_cover(b, a, sep, true, icase);
}

static bool host_equal(const struct sip_uri *a, const struct sip_uri *b)
{
	struct in6_addr x, y;
	if (a->host_is_ip6 && b->host_is_ip6 && a->host.len > 2 && b->host.len > 2 &&
	    ip6_addr(sip_str_sub(a->host, 1, a->host.len - 1), &x) &&
	    ip6_addr(sip_str_sub(b->host, 1, b->host.len - 1), &y))
		return memcmp(&x, &y, sizeof x) == 0;
	return sip_str_ieq(a->host, b->host);
}

/* RFC 3966 §4: numbers compare without visual separators, case-insensitively. */
static bool tel_number_equal(struct sip_str a, struct sip_str b)
{
	size_t i = 0, j = 0;
	for (;;) {
		while (i < a.len && is_visual_sep(a.p[i]))
			i++;
		while (j < b.len && is_visual_sep(b.p[j]))
			j++;
		if (i == a.len || j == b.len)
			return i == a.len && j == b.len;
		if (sip_lower(a.p[i++]) != sip_lower(b.p[j++]))
			return false;
	}
}

bool sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b)
{
	if (!a || !b || a->scheme != b->scheme)
		return false;
	switch (a->scheme) {
	case SIP_URI_SIP:
	case SIP_URI_SIPS:
		return esc_eq(a->user, b->user, false) && !a->password.p == !b->password.p &&
		       esc_eq(a->password, b->password, false) && host_equal(a, b) &&
		       a->has_port == b->has_port && a->port == b->port &&
		       sip_params_equal(a->params, b->params) &&
		       kv_set_equal(a->headers, b->headers, '&', false);
	case SIP_URI_TEL:
		return tel_number_equal(a->user, b->user) &&
		       kv_set_equal(a->params, b->params, ';', true);
	default:
		return sip_str_ieq(a->scheme_name, b->scheme_name) &&
		       esc_eq(a->opaque, b->opaque, false);
	}
}

int sip_uri_unescape(struct sip_str in, char *out, size_t cap)
{
	size_t i = 0, n = 0;
	int err = 0;
	if (!in.p && in.len)
		return SIP_EINVAL;
	if (!out || cap == 0)
		return out ? SIP_ENOSPC : SIP_EINVAL;
	while (i < in.len) {
		char c = in.p[i];
		if (c == '%') {
			if (!escape_at(in.p + i, in.p + in.len)) {
				err = SIP_EESCAPE;
				break;
			}
			c = (char)(hexval(in.p[i + 1]) << 4 | hexval(in.p[i + 2]));
			i += 3;
		} else {
			i++;
		}
		if (n + 1 >= cap) {
			err = SIP_ENOSPC;
			break;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	if (err)
		return err;
	return n > INT_MAX ? SIP_ETOOBIG : (int)n;
}

int sip_uri_copy(const struct sip_uri *in, char *buf, size_t cap, struct sip_uri *out)
{
	int n = sip_uri_print(in, buf, cap);
	if (n < 0)
		return n;
	return sip_uri_parse(out, (struct sip_str){buf, (size_t)n});
}
