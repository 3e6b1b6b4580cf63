/* hdr.c - typed views of header values, parsed on demand from a header's
 * slice: list elements, parameters, Via, name-addr, CSeq, RAck, numbers,
 * Content-Type, token-and-parameters. Every result is a slice of the input. */
#include <string.h>

#include "sip_int.h"

/* The end of the element at the start of s: a comma outside quotes and <>,
 * or the end of s; SIP_EQUOTE for a quoted string that does not end. */
static int elem_end(struct sip_str s, size_t *end)
{
	if (!memchr(s.p, ',', s.len)) {
		/* Most values are a single element: all of s, once its
		 * quoted strings are known to end. */
		const char *q;
		for (size_t at = 0; (q = memchr(s.p + at, '"', s.len - at)) != NULL;) {
			size_t n = sip_quoted_len(sip_str_advance(s, (size_t)(q - s.p)));
			if (n == 0)
				return SIP_EQUOTE;
			at = (size_t)(q - s.p) + n;
		}
		*end = s.len;
		return 0;
	}
	size_t i = 0;
	int angle = 0;
	for (; i < s.len; i++) {
		char c = s.p[i];
		if (!sip_is(c, SIP_C_SPECIAL))
			continue;
		if (c == '"') {
			size_t q = sip_quoted_len(sip_str_advance(s, i));
			if (q == 0)
				return SIP_EQUOTE;
			i += q - 1;
		} else if (c == '<') {
			angle = 1;
		} else if (c == '>') {
			angle = 0;
		} else if (c == ',' && !angle) {
			break;
		}
	}
	*end = i;
	return 0;
}

int sip_list_next(struct sip_str *list, struct sip_str *elem)
{
	struct sip_str s = sip_str_skip_lws(*list);
	if (s.len == 0) {
		*list = s;
		return 0;
	}
	if (s.p[0] == ',')
		return SIP_EEMPTY;
	size_t i;
	int err = elem_end(s, &i);
	if (err)
		return err;
	*elem = sip_trim(sip_str_sub(s, 0, i));
	if (i == s.len) {
		*list = sip_str_advance(s, i);
		return 1;
	}
	/* Leave a lone trailing comma in place so that the next call reports it. */
	struct sip_str rest = sip_str_advance(s, i + 1);
	*list = sip_trim(rest).len ? rest : sip_str_sub(s, i, i + 1);
	return 1;
}

int sip_param_next(struct sip_str *params, struct sip_param *p)
{
	struct sip_str s = sip_str_skip_lws(*params);
	if (s.len && s.p[0] == ';')
		s = sip_str_skip_lws(sip_str_advance(s, 1));
	if (s.len == 0) {
		if (params->len && sip_trim(*params).len)
			return SIP_EPARAM; /* a ';' with nothing after it */
		*params = s;
		return 0;
	}
	size_t n = sip_token_len(s);
	if (n == 0)
		return SIP_EPARAM;
	p->name = sip_str_sub(s, 0, n);
	p->value = (struct sip_str){s.p + n, 0};
	p->has_value = false;
	s = sip_str_skip_lws(sip_str_advance(s, n));
	if (s.len && s.p[0] == '=') {
		s = sip_str_skip_lws(sip_str_advance(s, 1));
		p->has_value = true;
		if (s.len && s.p[0] == '"') {
			size_t q = sip_quoted_len(s);
			if (q == 0)
				return SIP_EQUOTE;
			p->value = sip_str_sub(s, 1, q - 1);
			s = sip_str_advance(s, q);
		} else {
			/* token, host (IPv6 references included) or a bare IPv6 address */
			size_t v = 0;
			while (v < s.len && sip_is(s.p[v], SIP_C_PVALUE))
				v++;
			if (v == 0)
				return SIP_EPARAM;
			p->value = sip_str_sub(s, 0, v);
			s = sip_str_advance(s, v);
		}
		s = sip_str_skip_lws(s);
	}
	if (s.len && s.p[0] != ';')
		return SIP_EPARAM;
	*params = s;
	return 1;
}

bool sip_param_get(struct sip_str params, const char *name, struct sip_str *value)
{
	struct sip_str want = sip_str_from(name);
	struct sip_param p;
	while (sip_param_next(&params, &p) == 1) {
		if (sip_ieq(p.name, want)) {
			if (value)
				*value = p.value;
			return true;
		}
	}
	return false;
}

/* Checks a parameter list as a whole: each element must parse. */
static int params_valid(struct sip_str params)
{
	struct sip_param p;
	int r;
	while ((r = sip_param_next(&params, &p)) == 1)
		;
	return r;
}

static int parse_port(struct sip_str s, uint16_t *port)
{
	uint64_t v;
	int err = sip_to_u64(s, 65535, &v);
	if (err)
		return SIP_EPORT;
	*port = (uint16_t)v;
	return 0;
}

/* host [":" port] for Via sent-by: a bracketed IPv6 reference or a
 * hostname/IPv4 of alphanumerics, '-' and '.'. */
static int parse_hostport(struct sip_str *s, struct sip_str *host, uint16_t *port, bool *has_port)
{
	size_t i = 0;
	if (s->len && s->p[0] == '[') {
		const char *close = memchr(s->p, ']', s->len);
		if (!close)
			return SIP_EHOST;
		i = (size_t)(close - s->p) + 1;
	} else {
		while (i < s->len && sip_is(s->p[i], SIP_C_HOST))
			i++;
	}
	if (i == 0)
		return SIP_EHOST;
	*host = sip_str_sub(*s, 0, i);
	*has_port = false;
	*port = 0;
	struct sip_str rest = sip_str_advance(*s, i);
	struct sip_str after = sip_str_skip_lws(rest);
	if (after.len && after.p[0] == ':') {
		after = sip_str_skip_lws(sip_str_advance(after, 1));
		size_t d = 0;
		while (d < after.len && sip_is_digit(after.p[d]))
			d++;
		if (parse_port(sip_str_sub(after, 0, d), port))
			return SIP_EPORT;
		*has_port = true;
		rest = sip_str_advance(after, d);
	}
	*s = rest;
	return 0;
}

int sip_via_parse(struct sip_via *via, struct sip_str s)
{
	memset(via, 0, sizeof *via);
	s = sip_trim(s);
	size_t n = sip_token_len(s);
	if (n == 0)
		return SIP_ESYNTAX;
	const char *proto = s.p;
	s = sip_str_skip_lws(sip_str_advance(s, n));
	if (!s.len || s.p[0] != '/')
		return SIP_ESYNTAX;
	s = sip_str_skip_lws(sip_str_advance(s, 1));
	if ((n = sip_token_len(s)) == 0)
		return SIP_ESYNTAX;
	via->protocol = (struct sip_str){proto, (size_t)(s.p + n - proto)};
	s = sip_str_skip_lws(sip_str_advance(s, n));
	if (!s.len || s.p[0] != '/')
		return SIP_ESYNTAX;
	s = sip_str_skip_lws(sip_str_advance(s, 1));
	if ((n = sip_token_len(s)) == 0)
		return SIP_ESYNTAX;
	via->transport = sip_str_sub(s, 0, n);
	s = sip_str_advance(s, n);
	size_t w = sip_lws_skip(s);
	if (w == 0)
		return SIP_ESYNTAX;
	s = sip_str_advance(s, w);
	int err = parse_hostport(&s, &via->host, &via->port, &via->has_port);
	if (err)
		return err;
	s = sip_str_skip_lws(s);
	if (s.len && s.p[0] != ';')
		return SIP_ESYNTAX;
	via->params = s.len ? sip_str_advance(s, 1) : s;
	struct sip_param p;
	int r;
	while ((r = sip_param_next(&s, &p)) == 1) {
		if (SIP_IEQ_LETTERS(p.name, "branch")) {
			via->branch = p.value;
		} else if (SIP_IEQ_LETTERS(p.name, "received")) {
			via->received = p.value;
		} else if (SIP_IEQ_LETTERS(p.name, "maddr")) {
			via->maddr = p.value;
		} else if (SIP_IEQ_LETTERS(p.name, "rport")) {
			via->rport = true;
			if (p.has_value && parse_port(p.value, &via->rport_value))
				return SIP_EPORT;
		}
	}
	return r;
}

/* Length of the quoted string at s (s.p[0] == '"'), quotes included, or 0
 * when it does not end, as sip_quoted_len; *ok tells whether it is RFC
 * 3261's quoted-string: no control character but in a fold (CRLF then SP
 * or HTAB) or, CR and LF apart, escaped. One walk for both. */
static size_t quoted_string(struct sip_str s, bool *ok)
{
	*ok = true;
	for (size_t i = 1; i < s.len; i++) {
		char c = s.p[i];
		if ((unsigned char)c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		if (c == '"')
			return i + 1;
		if (c == '\\') {
			if (i + 1 < s.len && (s.p[i + 1] == '\r' || s.p[i + 1] == '\n'))
				*ok = false;
			i++;
		} else if (c == '\r') {
			/* A fold cannot hold the closing quote: when the string
			 * ends, it ends after the fold. */
			if (i + 2 < s.len && s.p[i + 1] == '\n' &&
			    (s.p[i + 2] == ' ' || s.p[i + 2] == '\t'))
				i += 2;
			else
				*ok = false;
		} else if (sip_is_ctl(c)) {
			*ok = false;
		}
	}
	return 0;
}

static int parse_display(struct sip_addr *addr, struct sip_str *s)
{
	if (s->p[0] == '"') {
		bool ok;
		size_t q = quoted_string(*s, &ok);
		if (q == 0)
			return SIP_EQUOTE;
		if (!ok)
			return SIP_ESYNTAX;
		addr->display = sip_str_sub(*s, 1, q - 1);
		addr->display_quoted = true;
		*s = sip_str_skip_lws(sip_str_advance(*s, q));
		return 0;
	}
	const char *lt = memchr(s->p, '<', s->len);
	/* addr-spec form: no '<', or one after a ';' (a display name has none),
	 * quoted in a parameter such as +sip.instance="<urn:...>" */
	if (!lt || memchr(s->p, ';', (size_t)(lt - s->p)))
		return 0;
	struct sip_str dn = sip_str_sub(*s, 0, (size_t)(lt - s->p));
	for (size_t i = 0; i < dn.len; i++) {
		char c = dn.p[i];
		if (!sip_is_token_char(c) && c != ' ' && c != '\t' && c != '\r' && c != '\n')
			return c == '"' ? SIP_EQUOTE : SIP_EDISPLAY;
	}
	addr->display = sip_trim(dn);
	*s = sip_str_advance(*s, dn.len);
	return 0;
}

int sip_addr_parse(struct sip_addr *addr, struct sip_str s)
{
	*addr = (struct sip_addr){0}; /* stores, where a memset is a block fill */
	s = sip_trim(s);
	if (s.len == 0)
		return SIP_EEMPTY;
	if (s.len == 1 && s.p[0] == '*') {
		addr->star = true;
		return 0;
	}
	int err = parse_display(addr, &s);
	if (err)
		return err;
	if (s.len && s.p[0] == '<') {
		const char *gt = memchr(s.p, '>', s.len);
		if (!gt)
			return SIP_EANGLE;
		addr->uri = sip_str_sub(s, 1, (size_t)(gt - s.p));
		addr->angle = true;
		if (addr->uri.len == 0 || sip_trim(addr->uri).len != addr->uri.len)
			return SIP_EANGLE;
		s = sip_str_skip_lws(sip_str_advance(s, (size_t)(gt - s.p) + 1));
	} else {
		if (addr->display_quoted)
			return SIP_EANGLE;
		size_t i = 0;
		while (i < s.len && s.p[i] != ';' && s.p[i] != ' ' && s.p[i] != '\t' &&
		       s.p[i] != '\r' && s.p[i] != '\n')
			i++;
		addr->uri = sip_str_sub(s, 0, i);
		if (memchr(addr->uri.p, '?', addr->uri.len) ||
		    memchr(addr->uri.p, ',', addr->uri.len))
			return SIP_EBARE;
		s = sip_str_skip_lws(sip_str_advance(s, i));
	}
	if (s.len && s.p[0] != ';')
		return SIP_ESYNTAX;
	addr->params = s.len ? sip_str_advance(s, 1) : s;
	struct sip_param p;
	int r;
	while ((r = sip_param_next(&s, &p)) == 1)
		if (SIP_IEQ_LETTERS(p.name, "tag"))
			addr->tag = p.value;
	return r;
}

/* "number LWS method", the shape of CSeq and the tail of RAck. */
static int parse_num_method(struct sip_str *s, uint32_t *num, struct sip_str *method)
{
	size_t d = 0;
	while (d < s->len && sip_is_digit(s->p[d]))
		d++;
	uint64_t v;
	int err = sip_to_u64(sip_str_sub(*s, 0, d), UINT32_MAX, &v);
	if (err)
		return err;
	*num = (uint32_t)v;
	struct sip_str rest = sip_str_advance(*s, d);
	size_t w = sip_lws_skip(rest);
	if (w == 0)
		return SIP_ESYNTAX;
	rest = sip_str_advance(rest, w);
	size_t n = sip_token_len(rest);
	if (n == 0)
		return SIP_ESYNTAX;
	*method = sip_str_sub(rest, 0, n);
	*s = sip_str_advance(rest, n);
	return 0;
}

int sip_cseq_parse(struct sip_cseq *cseq, struct sip_str s)
{
	memset(cseq, 0, sizeof *cseq);
	s = sip_trim(s);
	int err = parse_num_method(&s, &cseq->num, &cseq->method_name);
	if (err)
		return err;
	if (s.len)
		return SIP_ESYNTAX;
	cseq->method = sip_method_from_str(cseq->method_name);
	return 0;
}

int sip_rack_parse(struct sip_rack *rack, struct sip_str s)
{
	memset(rack, 0, sizeof *rack);
	s = sip_trim(s);
	size_t d = 0;
	while (d < s.len && sip_is_digit(s.p[d]))
		d++;
	int err = sip_str_to_u32(sip_str_sub(s, 0, d), &rack->rseq);
	if (err)
		return err;
	s = sip_str_advance(s, d);
	size_t w = sip_lws_skip(s);
	if (w == 0)
		return SIP_ESYNTAX;
	s = sip_str_advance(s, w);
	if ((err = parse_num_method(&s, &rack->cseq, &rack->method_name)) != 0)
		return err;
	if (s.len)
		return SIP_ESYNTAX;
	rack->method = sip_method_from_str(rack->method_name);
	return 0;
}

int sip_hdr_uint(struct sip_str value, uint64_t max, uint64_t *out)
{
	return sip_str_to_u64(sip_trim(value), max, out);
}

/* What follows a value's token: nothing, or ";params" that must all parse. */
static int trailing_params(struct sip_str s, struct sip_str *params)
{
	s = sip_str_skip_lws(s);
	if (s.len && s.p[0] != ';')
		return SIP_ESYNTAX;
	*params = s.len ? sip_str_advance(s, 1) : s;
	return params_valid(s);
}

int sip_ctype_parse(struct sip_ctype *ct, struct sip_str s)
{
	memset(ct, 0, sizeof *ct);
	s = sip_trim(s);
	size_t n = sip_token_len(s);
	if (n == 0)
		return SIP_ESYNTAX;
	ct->type = sip_str_sub(s, 0, n);
	s = sip_str_skip_lws(sip_str_advance(s, n));
	if (!s.len || s.p[0] != '/')
		return SIP_ESYNTAX;
	s = sip_str_skip_lws(sip_str_advance(s, 1));
	if ((n = sip_token_len(s)) == 0)
		return SIP_ESYNTAX;
	ct->subtype = sip_str_sub(s, 0, n);
	return trailing_params(sip_str_advance(s, n), &ct->params);
}

int sip_token_params_parse(struct sip_token_params *tp, struct sip_str s)
{
	memset(tp, 0, sizeof *tp);
	s = sip_trim(s);
	size_t n = sip_token_len(s);
	if (n == 0)
		return SIP_ESYNTAX;
	tp->token = sip_str_sub(s, 0, n);
	return trailing_params(sip_str_advance(s, n), &tp->params);
}
