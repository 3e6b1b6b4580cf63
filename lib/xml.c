/* xml.c - the tokenizer behind the event-body decoders (see xml_int.h), and
 * the entity decoding their printers use. Hostile input is the normal case
 * here (a NOTIFY from anyone): every scan is bounded by the input, nesting by
 * XML_MAX_DEPTH, and a document that ends early is an error, never a read
 * past its end. */
#include "xml_int.h"

void xml_init(struct xml *x, struct sip_str doc)
{
	memset(x, 0, sizeof *x);
	x->in = doc;
	/* A byte-order mark, which some Windows-built servers put first. */
	if (doc.len >= 3 && memcmp(doc.p, "\xef\xbb\xbf", 3) == 0)
		x->pos = 3;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct sip_str xml_trim(struct sip_str s)
{
	while (s.len && is_space(s.p[0]))
		s = sip_str_advance(s, 1);
	while (s.len && is_space(s.p[s.len - 1]))
		s.len--;
	return s;
}

/* UTF-8 bytes are name characters too: names in other scripts are legal, and
 * nothing here depends on them. */
static bool is_name_char(char c)
{
	return sip_is_alpha(c) || sip_is_digit(c) || c == '-' || c == '_' || c == '.' || c == ':' ||
	       (unsigned char)c >= 0x80;
}

static struct sip_str local_name(struct sip_str q)
{
	const char *colon = memrchr(q.p, ':', q.len);
	return colon ? sip_str_sub(q, (size_t)(colon - q.p) + 1, q.len) : q;
}

/* A qualified name at pos: prefix and local part both non-empty. */
static size_t name_len(struct sip_str s, size_t pos)
{
	size_t i = pos;
	while (i < s.len && is_name_char(s.p[i]))
		i++;
	if (i == pos || sip_is_digit(s.p[pos]) || s.p[pos] == '-' || s.p[pos] == '.' ||
	    s.p[pos] == ':' || s.p[i - 1] == ':')
		return 0;
	if (memchr(s.p + pos, ':', i - pos) != memrchr(s.p + pos, ':', i - pos))
		return 0;
	return i - pos;
}

/* The code point of the reference at s (s.p[0] == '&'), and its length, or 0
 * when it is not one of the five predefined entities or a valid character
 * reference. */
static size_t entity(struct sip_str s, uint32_t *cp)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"quot;", '"'}, {"apos;", '\''}};
	struct sip_str r = sip_str_advance(s, 1);
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
		size_t n = strlen(named[i].name);
		if (r.len >= n && memcmp(r.p, named[i].name, n) == 0) {
			*cp = (uint32_t)named[i].c;
			return n + 1;
		}
	}
	if (r.len < 3 || r.p[0] != '#')
		return 0;
	bool hex = r.p[1] == 'x';
	size_t i = hex ? 2 : 1, start = i;
	uint32_t v = 0;
	for (; i < r.len && i < start + 8; i++) {
		char c = r.p[i];
		unsigned d;
		if (sip_is_digit(c))
			d = (unsigned)(c - '0');
		else if (hex && sip_is_hex(c))
			d = (unsigned)(sip_lower(c) - 'a' + 10);
		else
			break;
		v = v * (hex ? 16 : 10) + d;
	}
	if (i == start || i >= r.len || r.p[i] != ';' || v == 0 || v > 0x10ffff ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return i + 2;
}

/* Character data (text or an attribute value) may hold '&' only as the start
 * of a reference, and never '<'. */
static bool chars_ok(struct sip_str s)
{
	for (size_t i = 0; i < s.len; i++) {
		uint32_t cp;
		if (s.p[i] == '<')
			return false;
		if (s.p[i] == '&') {
			size_t n = entity(sip_str_advance(s, i), &cp);
			if (!n)
				return false;
			i += n - 1;
		}
	}
	return true;
}

/* Position of the first lit at or after pos, or s.len. */
static size_t find(struct sip_str s, size_t pos, const char *lit)
{
	size_t n = strlen(lit);
	if (pos > s.len)
		return s.len;
	const char *at = memmem(s.p + pos, s.len - pos, lit, n);
	return at ? (size_t)(at - s.p) : s.len;
}

static bool starts(struct sip_str s, size_t pos, const char *lit)
{
	size_t n = strlen(lit);
	return s.len - pos >= n && memcmp(s.p + pos, lit, n) == 0;
}

/* The attributes after an element's name, up to '>' or "/>": each
 * name="value" (or 'value'), whitespace before each. Returns the position of
 * the '>' or '/', or 0 when malformed. */
static size_t scan_attrs(struct sip_str s, size_t i)
{
	for (;;) {
		size_t ws = i;
		while (i < s.len && is_space(s.p[i]))
			i++;
		if (i >= s.len)
			return 0;
		if (s.p[i] == '>' || s.p[i] == '/')
			return i;
		size_t n = name_len(s, i);
		if (!n || i == ws)
			return 0;
		i += n;
		while (i < s.len && is_space(s.p[i]))
			i++;
		if (i >= s.len || s.p[i] != '=')
			return 0;
		i++;
		while (i < s.len && is_space(s.p[i]))
			i++;
		if (i >= s.len || (s.p[i] != '"' && s.p[i] != '\''))
			return 0;
		const char *end = memchr(s.p + i + 1, s.p[i], s.len - i - 1);
		if (!end || !chars_ok(sip_str_sub(s, i + 1, (size_t)(end - s.p))))
			return 0;
		i = (size_t)(end - s.p) + 1;
	}
}

static int open_tag(struct xml *x, struct xml_tok *t)
{
	struct sip_str s = x->in;
	size_t i = x->pos + 1, n = name_len(s, i);
	if (!n || x->done)
		return SIP_ESYNTAX;
	if (x->depth == XML_MAX_DEPTH)
		return SIP_ETOOBIG;
	struct sip_str q = sip_str_sub(s, i, i + n);
	size_t end = scan_attrs(s, i + n);
	if (!end)
		return SIP_ESYNTAX;
	bool empty = s.p[end] == '/';
	if (empty && (end + 1 >= s.len || s.p[end + 1] != '>'))
		return SIP_ESYNTAX;
	t->type = XML_OPEN;
	t->name = local_name(q);
	t->attrs = xml_trim(sip_str_sub(s, i + n, end));
	x->open[x->depth++] = q;
	x->pending_close = empty;
	x->pos = end + (empty ? 2 : 1);
	return 1;
}

static void pop(struct xml *x, struct xml_tok *t)
{
	t->type = XML_CLOSE;
	t->name = local_name(x->open[--x->depth]);
	x->done = x->depth == 0;
}

static int close_tag(struct xml *x, struct xml_tok *t)
{
	struct sip_str s = x->in;
	size_t i = x->pos + 2, n = name_len(s, i);
	if (!n || x->depth == 0 || !sip_str_eq(sip_str_sub(s, i, i + n), x->open[x->depth - 1]))
		return SIP_ESYNTAX;
	i += n;
	while (i < s.len && is_space(s.p[i]))
		i++;
	if (i >= s.len || s.p[i] != '>')
		return SIP_ESYNTAX;
	x->pos = i + 1;
	pop(x, t);
	return 1;
}

/* Skips what carries no content (a declaration, processing instruction or
 * comment) at pos: 1 when skipped, 0 when something else is there, or an
 * error. */
static int skip_markup(struct xml *x)
{
	struct sip_str s = x->in;
	const char *end = NULL;
	if (starts(s, x->pos, "<?"))
		end = "?>";
	else if (starts(s, x->pos, "<!--"))
		end = "-->";
	else if (starts(s, x->pos, "<!") && !starts(s, x->pos, "<![CDATA["))
		return SIP_ESYNTAX; /* a DTD: its entities are how XML bombs work */
	if (!end)
		return 0;
	size_t at = find(s, x->pos + 2, end);
	if (at == s.len)
		return SIP_ESYNTAX;
	x->pos = at + strlen(end);
	return 1;
}

int xml_next(struct xml *x, struct xml_tok *t)
{
	struct sip_str s = x->in;
	if (x->pending_close) {
		x->pending_close = false;
		pop(x, t);
		return 1;
	}
	for (;;) {
		if (x->pos >= s.len)
			return x->done ? 0 : SIP_ESYNTAX;
		if (s.p[x->pos] != '<') {
			size_t at = find(s, x->pos, "<");
			struct sip_str text = sip_str_sub(s, x->pos, at);
			x->pos = at;
			if (xml_trim(text).len == 0)
				continue;
			if (x->depth == 0 || !chars_ok(text))
				return SIP_ESYNTAX;
			t->type = XML_TEXT;
			t->text = text;
			return 1;
		}
		int r = skip_markup(x);
		if (r < 0)
			return r;
		if (r)
			continue;
		if (starts(s, x->pos, "<![CDATA[")) {
			size_t at = find(s, x->pos, "]]>");
			if (at == s.len || x->depth == 0)
				return SIP_ESYNTAX;
			t->type = XML_TEXT;
			t->text = sip_str_sub(s, x->pos + 9, at);
			x->pos = at + 3;
			return 1;
		}
		return starts(s, x->pos, "</") ? close_tag(x, t) : open_tag(x, t);
	}
}

struct sip_str xml_parent(const struct xml *x, unsigned n)
{
	if (n >= x->depth)
		return SIP_STR("");
	return local_name(x->open[x->depth - 1 - n]);
}

bool xml_attr(struct sip_str attrs, const char *name, struct sip_str *value)
{
	size_t i = 0;
	struct sip_str want = sip_str_from(name);
	/* The attributes were checked by scan_attrs: only the shape is walked here. */
	while (i < attrs.len) {
		while (i < attrs.len && is_space(attrs.p[i]))
			i++;
		size_t n = name_len(attrs, i);
		if (!n)
			return false;
		struct sip_str an = local_name(sip_str_sub(attrs, i, i + n));
		const char *q = memchr(attrs.p + i + n, '"', attrs.len - i - n);
		const char *q1 = memchr(attrs.p + i + n, '\'', attrs.len - i - n);
		if (!q || (q1 && q1 < q))
			q = q1;
		if (!q)
			return false;
		size_t vs = (size_t)(q - attrs.p) + 1;
		const char *e = memchr(attrs.p + vs, *q, attrs.len - vs);
		if (!e)
			return false;
		if (sip_str_eq(an, want)) {
			*value = sip_str_sub(attrs, vs, (size_t)(e - attrs.p));
			return true;
		}
		i = (size_t)(e - attrs.p) + 1;
	}
	return false;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

size_t sip_xml_text(struct sip_str raw, char *out, size_t cap)
{
	size_t o = 0;
	if (cap == 0)
		return 0;
	for (size_t i = 0; i < raw.len;) {
		char u[4];
		uint32_t cp;
		size_t in = 1, n = 1;
		u[0] = raw.p[i];
		if (raw.p[i] == '&' && (in = entity(sip_str_advance(raw, i), &cp)) != 0)
			n = put_utf8(u, cp);
		else
			in = 1;
		if (o + n >= cap)
			break;
		memcpy(out + o, u, n);
		o += n;
		i += in;
	}
	out[o] = '\0';
	return o;
}
