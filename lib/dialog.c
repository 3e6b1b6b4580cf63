/* dialog.c - dialog state per RFC 3261 §12: created from a request and a
 * response (UAC) or a received request (UAS), matched against messages,
 * refreshed, and used to write in-dialog requests with the route set. */
#include <stdlib.h>
#include <string.h>

#include <sip/sip.h>
#include "sip_int.h"

#define DIALOG_MAX_ROUTES 16
#define BRANCH_LEN 16

struct sip_dialog {
	char *call_id;
	char *local_tag;
	char *remote_tag; /* "" for an RFC 2543 peer without tags */
	char *local_uri;
	char *remote_uri;
	char *remote_target;
	char *route[DIALOG_MAX_ROUTES]; /* name-addr values, in the order requests use them */
	size_t nroute;
	uint32_t local_cseq; /* 0: none sent yet */
	uint32_t remote_cseq;
	bool remote_cseq_set;
	bool secure;
	bool early;
	bool uac;
	bool refer_sent;
	/* the request that created the dialog, for telling its responses apart */
	uint32_t create_cseq;
	enum sip_method create_method;
};

static char *dup_str(struct sip_str s)
{
	char *p = malloc(s.len + 1);
	if (!p)
		return NULL;
	if (s.len)
		memcpy(p, s.p, s.len);
	p[s.len] = '\0';
	return p;
}

static bool eq_cstr(struct sip_str s, const char *c)
{
	size_t n = strlen(c);
	return s.len == n && (n == 0 || memcmp(s.p, c, n) == 0);
}

/* Replaces *dst with a copy of s. */
static int set_str(char **dst, struct sip_str s)
{
	char *p = dup_str(s);
	if (!p)
		return SIP_ENOMEM;
	free(*dst);
	*dst = p;
	return 0;
}

static void free_routes(char **route, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(route[i]);
}

void sip_dialog_free(struct sip_dialog *d)
{
	if (!d)
		return;
	free(d->call_id);
	free(d->local_tag);
	free(d->remote_tag);
	free(d->local_uri);
	free(d->remote_uri);
	free(d->remote_target);
	free_routes(d->route, d->nroute);
	free(d);
}

/* The name-addr of a From or To header. */
static int hdr_addr(const struct sip_msg *m, enum sip_hdr_id id, struct sip_addr *a)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);
	if (!h)
		return SIP_EINVAL;
	int err = sip_addr_parse(a, h->value);
	if (err)
		return err;
	return a->star ? SIP_EINVAL : 0;
}

static int msg_cseq(const struct sip_msg *m, struct sip_cseq *c)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CSEQ);
	return h ? sip_cseq_parse(c, h->value) : SIP_EINVAL;
}

static int msg_call_id(const struct sip_msg *m, struct sip_str *cid)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CALL_ID);
	if (!h || h->value.len == 0)
		return SIP_EINVAL;
	*cid = h->value;
	return 0;
}

/* The URI of the first Contact; SIP_ENOTFOUND when there is none. */
static int contact_uri(const struct sip_msg *m, struct sip_str *uri)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CONTACT);
	if (!h)
		return SIP_ENOTFOUND;
	struct sip_str list = h->value, elem;
	int r = sip_list_next(&list, &elem);
	if (r < 0)
		return r;
	if (r == 0)
		return SIP_ENOTFOUND;
	struct sip_addr a;
	int err = sip_addr_parse(&a, elem);
	if (err)
		return err;
	if (a.star)
		return SIP_EINVAL;
	struct sip_uri u;
	if ((err = sip_uri_parse(&u, a.uri)) != 0)
		return err;
	*uri = a.uri;
	return 0;
}

/* The URI inside a route value; the value was checked when it was stored. */
static struct sip_str route_uri(const char *route, struct sip_uri *u)
{
	struct sip_addr a;
	if (sip_addr_parse(&a, sip_str_from(route)) != 0)
		a.uri = sip_str_from(route);
	if (u && sip_uri_parse(u, a.uri) != 0)
		memset(u, 0, sizeof *u);
	return a.uri;
}

/* Copies every Record-Route element, in order or reversed, into route. */
static int record_routes(const struct sip_msg *m, bool reverse, char **route, size_t *nroute)
{
	size_t n = 0;
	int err = 0;
	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_RECORD_ROUTE); h && !err;
	     h = sip_msg_hdr_next(m, h)) {
		struct sip_str list = h->value, elem;
		int r = 0;
		while (!err && (r = sip_list_next(&list, &elem)) == 1) {
			struct sip_addr a;
			struct sip_uri u;
			elem = sip_str_trim(elem);
			if ((err = sip_addr_parse(&a, elem)) != 0 ||
			    (err = a.star ? SIP_EINVAL : 0) != 0 ||
			    (err = sip_uri_parse(&u, a.uri)) != 0)
				break;
			if (n == DIALOG_MAX_ROUTES) {
				err = SIP_ETOOBIG;
				break;
			}
			if (!(route[n] = dup_str(elem))) {
				err = SIP_ENOMEM;
				break;
			}
			n++;
		}
		if (!err && r < 0)
			err = r;
	}
	if (err) {
		free_routes(route, n);
		return err;
	}
	if (reverse)
		for (size_t i = 0; i < n / 2; i++) {
			char *t = route[i];
			route[i] = route[n - 1 - i];
			route[n - 1 - i] = t;
		}
	*nroute = n;
	return 0;
}

static bool ruri_secure(const struct sip_msg *req)
{
	struct sip_uri u;
	return sip_uri_parse(&u, req->ruri) == 0 && u.scheme == SIP_URI_SIPS;
}

int sip_dialog_new_uac(struct sip_dialog **dp, const struct sip_msg *req,
                       const struct sip_msg *resp)
{
	if (!dp)
		return SIP_EINVAL;
	*dp = NULL;
	if (!req || !resp || !req->is_request || resp->is_request || resp->status < 101 ||
	    resp->status > 299)
		return SIP_EINVAL;
	struct sip_addr from, to, rto;
	struct sip_cseq cseq;
	struct sip_str cid, rcid, target;
	int err;
	if ((err = hdr_addr(req, SIP_HDR_FROM, &from)) != 0 ||
	    (err = hdr_addr(req, SIP_HDR_TO, &to)) != 0 ||
	    (err = hdr_addr(resp, SIP_HDR_TO, &rto)) != 0 || (err = msg_cseq(req, &cseq)) != 0 ||
	    (err = msg_call_id(req, &cid)) != 0 || (err = msg_call_id(resp, &rcid)) != 0)
		return err;
	if (rto.tag.len == 0 || from.tag.len == 0 || !sip_str_eq(cid, rcid))
		return SIP_EINVAL;
	/* A response without Contact (a 2xx must have one, §13.3.1.4, but
	 * some do not): the Request-URI, until a message brings one. */
	err = contact_uri(resp, &target);
	if (err == SIP_ENOTFOUND)
		target = req->ruri;
	else if (err)
		return err;

	struct sip_dialog *d = calloc(1, sizeof *d);
	if (!d)
		return SIP_ENOMEM;
	d->uac = true;
	d->early = resp->status < 200;
	d->secure = ruri_secure(req);
	d->local_cseq = cseq.num;
	d->create_cseq = cseq.num;
	d->create_method = cseq.method;
	if ((err = record_routes(resp, true, d->route, &d->nroute)) != 0 ||
	    (err = set_str(&d->call_id, cid)) != 0 ||
	    (err = set_str(&d->local_tag, from.tag)) != 0 ||
	    (err = set_str(&d->remote_tag, rto.tag)) != 0 ||
	    (err = set_str(&d->local_uri, from.uri)) != 0 ||
	    (err = set_str(&d->remote_uri, to.uri)) != 0 ||
	    (err = set_str(&d->remote_target, target)) != 0) {
		sip_dialog_free(d);
		return err;
	}
	*dp = d;
	return 0;
}

int sip_dialog_new_uas(struct sip_dialog **dp, const struct sip_msg *req, const char *local_tag)
{
	if (!dp)
		return SIP_EINVAL;
	*dp = NULL;
	if (!req || !req->is_request || !local_tag || !sip_is_token(sip_str_from(local_tag)))
		return SIP_EINVAL;
	struct sip_addr from, to;
	struct sip_cseq cseq;
	struct sip_str cid, target;
	int err;
	if ((err = hdr_addr(req, SIP_HDR_FROM, &from)) != 0 ||
	    (err = hdr_addr(req, SIP_HDR_TO, &to)) != 0 || (err = msg_cseq(req, &cseq)) != 0 ||
	    (err = msg_call_id(req, &cid)) != 0)
		return err;
	/* The request carries the remote target; without one there is no dialog. */
	if ((err = contact_uri(req, &target)) != 0)
		return err == SIP_ENOTFOUND ? SIP_EINVAL : err;

	struct sip_dialog *d = calloc(1, sizeof *d);
	if (!d)
		return SIP_ENOMEM;
	d->uac = false;
	d->early = false;
	d->secure = ruri_secure(req);
	d->remote_cseq = cseq.num;
	d->remote_cseq_set = true;
	d->create_cseq = cseq.num;
	d->create_method = cseq.method;
	if ((err = record_routes(req, false, d->route, &d->nroute)) != 0 ||
	    (err = set_str(&d->call_id, cid)) != 0 ||
	    (err = set_str(&d->local_tag, sip_str_from(local_tag))) != 0 ||
	    (err = set_str(&d->remote_tag, from.tag)) != 0 ||
	    (err = set_str(&d->local_uri, to.uri)) != 0 ||
	    (err = set_str(&d->remote_uri, from.uri)) != 0 ||
	    (err = set_str(&d->remote_target, target)) != 0) {
		sip_dialog_free(d);
		return err;
	}
	*dp = d;
	return 0;
}

const char *sip_dialog_uas_fault(const struct sip_msg *req)
{
	struct sip_addr a;
	struct sip_cseq cs;
	struct sip_str s;
	if (hdr_addr(req, SIP_HDR_FROM, &a) != 0)
		return "From";
	if (hdr_addr(req, SIP_HDR_TO, &a) != 0)
		return "To";
	if (msg_cseq(req, &cs) != 0)
		return "CSeq";
	if (msg_call_id(req, &s) != 0)
		return "Call-ID";
	if (contact_uri(req, &s) != 0)
		return "Contact";
	for (const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_RECORD_ROUTE); h;
	     h = sip_msg_hdr_next(req, h)) {
		struct sip_str list = h->value, elem;
		struct sip_uri u;
		int r;
		while ((r = sip_list_next(&list, &elem)) == 1)
			if (sip_addr_parse(&a, sip_str_trim(elem)) != 0 || a.star ||
			    sip_uri_parse(&u, a.uri) != 0)
				return "Record-Route";
		if (r < 0)
			return "Record-Route";
	}
	return NULL;
}

bool sip_dialog_match(const struct sip_dialog *d, const struct sip_msg *msg)
{
	if (!d || !msg)
		return false;
	struct sip_str cid;
	struct sip_addr from, to;
	if (msg_call_id(msg, &cid) != 0 || !eq_cstr(cid, d->call_id) ||
	    hdr_addr(msg, SIP_HDR_FROM, &from) != 0 || hdr_addr(msg, SIP_HDR_TO, &to) != 0)
		return false;
	if (msg->is_request)
		return eq_cstr(from.tag, d->remote_tag) && eq_cstr(to.tag, d->local_tag);
	return eq_cstr(from.tag, d->local_tag) && eq_cstr(to.tag, d->remote_tag);
}

/* Requests that replace the remote target (RFC 3261 §12.2, RFC 3311,
 * RFC 6665 §4.1.2.3 and §4.2.1). */
static bool target_refresh(enum sip_method m)
{
	return m == SIP_INVITE || m == SIP_UPDATE || m == SIP_SUBSCRIBE || m == SIP_NOTIFY;
}

int sip_dialog_update(struct sip_dialog *d, const struct sip_msg *msg)
{
	if (!d || !msg)
		return SIP_EINVAL;
	struct sip_cseq cseq;
	struct sip_str target;
	int err = msg_cseq(msg, &cseq);
	if (err)
		return err;
	if (!msg->is_request) {
		struct sip_addr to;
		if ((err = hdr_addr(msg, SIP_HDR_TO, &to)) != 0)
			return err;
		if (to.tag.len == 0)
			return SIP_EINVAL;
	}
	if (!sip_dialog_match(d, msg))
		return SIP_EINVAL;

	if (msg->is_request) {
		if (!d->remote_cseq_set || cseq.num > d->remote_cseq) {
			d->remote_cseq = cseq.num;
			d->remote_cseq_set = true;
		}
		if (!target_refresh(msg->method))
			return 0;
		err = contact_uri(msg, &target);
		if (err == SIP_ENOTFOUND)
			return 0;
		return err ? err : set_str(&d->remote_target, target);
	}

	if (msg->status < 101 || msg->status > 299)
		return 0;
	bool creating = d->uac && cseq.num == d->create_cseq && cseq.method == d->create_method;
	if (!creating && !target_refresh(cseq.method))
		return 0;
	err = contact_uri(msg, &target);
	if (err && err != SIP_ENOTFOUND)
		return err;
	/* Parse everything before changing anything. */
	char *route[DIALOG_MAX_ROUTES];
	size_t nroute = 0;
	bool new_routes = creating && d->early;
	if (new_routes && (err = record_routes(msg, true, route, &nroute)) != 0)
		return err;
	if (err != SIP_ENOTFOUND && (err = set_str(&d->remote_target, target)) != 0) {
		if (new_routes)
			free_routes(route, nroute);
		return err;
	}
	if (new_routes) {
		free_routes(d->route, d->nroute);
		memcpy(d->route, route, nroute * sizeof route[0]);
		d->nroute = nroute;
	}
	if (creating && msg->status >= 200)
		d->early = false;
	return 0;
}

void sip_dialog_set_local_cseq(struct sip_dialog *d, uint32_t cseq)
{
	if (cseq > d->local_cseq)
		d->local_cseq = cseq;
}

bool sip_dialog_take_cseq(struct sip_dialog *d, const struct sip_msg *req)
{
	struct sip_cseq cseq;
	if (msg_cseq(req, &cseq) != 0 || (d->remote_cseq_set && cseq.num <= d->remote_cseq))
		return false;
	d->remote_cseq = cseq.num;
	d->remote_cseq_set = true;
	return true;
}

bool sip_dialog_first_refer(struct sip_dialog *d)
{
	bool first = !d->refer_sent;
	d->refer_sent = true;
	return first;
}

uint32_t sip_dialog_next_cseq(struct sip_dialog *d)
{
	return ++d->local_cseq;
}

static bool has_crlf(const char *s)
{
	return s && strpbrk(s, "\r\n");
}

static bool valid_line(const char *line)
{
	if (!line || has_crlf(line))
		return false;
	const char *colon = strchr(line, ':');
	if (!colon)
		return false;
	struct sip_str name = {line, (size_t)(colon - line)};
	while (name.len && (line[name.len - 1] == ' ' || line[name.len - 1] == '\t'))
		name.len--;
	return sip_is_token(name);
}

/* One of the caller's lines is a header named id: it replaces ours. */
static bool given(const struct sip_dialog_request *r, enum sip_hdr_id id)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		const char *line = r->headers[i].line;
		struct sip_str name = {line, strcspn(line, ":")};
		while (name.len && (line[name.len - 1] == ' ' || line[name.len - 1] == '\t'))
			name.len--;
		if (sip_hdr_id_from_name(name) == id)
			return true;
	}
	return false;
}

int sip_dialog_request(struct sip_dialog *d, struct sip_buf *out,
                       const struct sip_dialog_request *r)
{
	if (!d || !out || !r)
		return SIP_EINVAL;
	const char *method =
		r->method == SIP_METHOD_OTHER ? r->method_name : sip_method_name(r->method);
	if (!method || !sip_is_token(sip_str_from(method)) || !r->via_host || !*r->via_host ||
	    (r->body_len && !r->body) || has_crlf(r->transport) || has_crlf(r->via_host) ||
	    has_crlf(r->contact) || has_crlf(r->user_agent) || has_crlf(r->content_type) ||
	    (r->nheaders && !r->headers))
		return SIP_EINVAL;
	if (r->transport && !sip_is_token(sip_str_from(r->transport)))
		return SIP_EINVAL;
	for (size_t i = 0; i < r->nheaders; i++)
		if (!valid_line(r->headers[i].line))
			return SIP_EINVAL;
	if (out->err)
		return out->err;

	char branch[BRANCH_LEN + 1];
	int err = sip_rand_token(branch, BRANCH_LEN);
	if (err)
		return err;
	/* An ACK (and a CANCEL) reuses the CSeq of the request it goes with. */
	uint32_t cseq = r->cseq;
	if (!cseq)
		cseq = (r->method == SIP_ACK || r->method == SIP_CANCEL) && d->local_cseq
		               ? d->local_cseq
		               : sip_dialog_next_cseq(d);

	/* §12.2.1.1: loose routing keeps the remote target in the Request-URI;
	 * a strict router wants its own URI there and the target last in Route. */
	struct sip_str ruri = sip_str_from(d->remote_target);
	size_t first_route = 0;
	bool strict = false;
	if (d->nroute) {
		struct sip_uri u;
		struct sip_str uri = route_uri(d->route[0], &u);
		if (!sip_param_get(u.params, "lr", NULL)) {
			strict = true;
			first_route = 1;
			ruri = uri;
			const char *q = memchr(uri.p, '?', uri.len);
			if (q)
				ruri.len = (size_t)(q - uri.p);
		}
	}

	sip_buf_printf(out, "%s %.*s SIP/2.0\r\n", method, SIP_STR_FMT(ruri));
	const char *host = r->via_host;
	bool ip6 = strchr(host, ':') && host[0] != '[';
	sip_buf_printf(out, "Via: SIP/2.0/%s %s%s%s", r->transport ? r->transport : "UDP",
	               ip6 ? "[" : "", host, ip6 ? "]" : "");
	if (r->via_port)
		sip_buf_printf(out, ":%u", (unsigned)r->via_port);
	sip_buf_printf(out, ";branch=z9hG4bK%s;rport\r\n", branch);
	sip_buf_puts(out, "Max-Forwards: 70\r\n");
	for (size_t i = first_route; i < d->nroute; i++)
		sip_buf_printf(out, "Route: %s\r\n", d->route[i]);
	if (strict)
		sip_buf_printf(out, "Route: <%s>\r\n", d->remote_target);
	sip_buf_printf(out, "From: <%s>;tag=%s\r\n", d->local_uri, d->local_tag);
	sip_buf_printf(out, "To: <%s>", d->remote_uri);
	if (*d->remote_tag)
		sip_buf_printf(out, ";tag=%s", d->remote_tag);
	sip_buf_puts(out, "\r\n");
	sip_buf_printf(out, "Call-ID: %s\r\n", d->call_id);
	sip_buf_printf(out, "CSeq: %lu %s\r\n", (unsigned long)cseq, method);
	if (r->contact) {
		bool wrap = !strchr(r->contact, '<');
		sip_buf_printf(out, "Contact: %s%s%s\r\n", wrap ? "<" : "", r->contact,
		               wrap ? ">" : "");
	}
	if (r->user_agent && !given(r, SIP_HDR_USER_AGENT))
		sip_buf_printf(out, "User-Agent: %s\r\n", r->user_agent);
	for (size_t i = 0; i < r->nheaders; i++)
		sip_buf_printf(out, "%s\r\n", r->headers[i].line);
	if (r->content_type && r->body_len)
		sip_buf_printf(out, "Content-Type: %s\r\n", r->content_type);
	sip_buf_printf(out, "Content-Length: %zu\r\n\r\n", r->body_len);
	return sip_buf_append(out, r->body, r->body_len);
}

int sip_dialog_next_hop(const struct sip_dialog *d, char *buf, size_t cap)
{
	if (!d || !buf)
		return SIP_EINVAL;
	struct sip_str s =
		d->nroute ? route_uri(d->route[0], NULL) : sip_str_from(d->remote_target);
	if (s.len >= cap || s.len > (size_t)INT32_MAX)
		return SIP_ENOSPC;
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	return (int)s.len;
}
