/* build.c - requests and responses written into a growable buffer: fresh
 * branches, tags and Call-IDs from the system CSPRNG, and header lines from
 * the user that replace a default of the same name or add to them. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <sip/sip.h>
#include "sip_int.h"

#define BUF_DEFAULT_MAX (64 * 1024)
#define BUF_FIRST_CAP 512

/* RFC 3261 §19.3 wants at least 32 random bits in a tag and a Call-ID;
 * 62 letters a character gives about 6 bits each. */
#define TAG_LEN 12
#define BRANCH_LEN 16
#define CALL_ID_LEN 24
#define BRANCH_MAGIC "z9hG4bK"

void sip_buf_init(struct sip_buf *b, size_t max)
{
	if (max == 0)
		max = BUF_DEFAULT_MAX;
	/* so that len + NUL and the doubling of cap cannot overflow */
	if (max > SIZE_MAX / 2)
		max = SIZE_MAX / 2;
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->err = 0;
}

void sip_buf_reset(struct sip_buf *b)
{
	free(b->p);
	sip_buf_init(b, b->max);
}

/* The error sticks, and what was written before stays terminated even
 * when a vsnprintf that did not fit scribbled past it. */
static int fail(struct sip_buf *b, int err)
{
	b->err = err;
	if (b->p)
		b->p[b->len] = '\0';
	return err;
}

/* Room for n more characters and the NUL; len never exceeds max. */
static int reserve(struct sip_buf *b, size_t n)
{
	if (b->err)
		return b->err;
	if (n > b->max - b->len)
		return fail(b, SIP_ETOOBIG);
	size_t need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : BUF_FIRST_CAP;
	while (cap < need)
		cap *= 2;
	if (cap - 1 > b->max)
		cap = b->max + 1;
	char *p = realloc(b->p, cap);
	if (!p)
		return fail(b, SIP_ENOMEM);
	b->p = p;
	b->cap = cap;
	return 0;
}

int sip_buf_append(struct sip_buf *b, const char *p, size_t len)
{
	int err = reserve(b, len);
	if (err)
		return err;
	if (len)
		memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

int sip_buf_puts(struct sip_buf *b, const char *s)
{
	return sip_buf_append(b, s, strlen(s));
}

int sip_buf_printf(struct sip_buf *b, const char *fmt, ...)
{
	if (b->err)
		return b->err;
	size_t room = b->p ? b->cap - b->len : 0;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return fail(b, SIP_EINVAL);
	if ((size_t)n >= room) {
		int err = reserve(b, (size_t)n);
		if (err)
			return err;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
	return 0;
}

/* getrandom(2), or /dev/urandom on kernels older than 3.17. */
static int random_bytes(unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		p += r;
		n -= (size_t)r;
	}
	if (n == 0)
		return 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return SIP_EINVAL;
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		p += r;
		n -= (size_t)r;
	}
	close(fd);
	return n == 0 ? 0 : SIP_EINVAL;
}

int sip_call_id_init(char *out, size_t cap, const char *given)
{
	if (!given)
		return sip_rand_token(out, 24 < cap ? 24 : cap - 1);
	size_t n = strlen(given);
	if (n == 0 || n >= cap)
		return SIP_EINVAL;
	/* A space or a line end would end the header and start another. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)given[i] <= ' ' || given[i] == 0x7f)
			return SIP_EINVAL;
	memcpy(out, given, n + 1);
	return 0;
}

int sip_rand_token(char *out, size_t len)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	/* Bytes from 248 up are dropped so that every character is equally likely. */
	const unsigned limit = 256 - 256 % (sizeof alnum - 1);
	/* Bytes left over stay for the next call: a flood of requests then costs
	 * one getrandom(2) per 4 KiB of randomness, not one per token. */
	static _Thread_local unsigned char pool[4096];
	static _Thread_local size_t used = sizeof pool;
	for (size_t i = 0; i < len;) {
		if (used == sizeof pool) {
			int err = random_bytes(pool, sizeof pool);
			if (err) {
				out[0] = '\0';
				return err;
			}
			used = 0;
		}
		unsigned c = pool[used++];
		if (c < limit)
			out[i++] = alnum[c % (sizeof alnum - 1)];
	}
	out[len] = '\0';
	return 0;
}

/* ---- user header lines ------------------------------------------------- */

/* The name of a "Name: value" line: the token before the colon. */
static struct sip_str user_name(const char *line)
{
	const char *colon = strchr(line, ':');
	struct sip_str name = {line, colon ? (size_t)(colon - line) : 0};
	while (name.len && (line[name.len - 1] == ' ' || line[name.len - 1] == '\t'))
		name.len--;
	return name;
}

/* A user line must be one "Name: value" line, or it would corrupt the
 * framing of the message around it. */
static bool valid_user_line(const char *line)
{
	return line && strchr(line, ':') && !strpbrk(line, "\r\n") && sip_is_token(user_name(line));
}

/* Values go into header lines, so a line break in one would inject headers. */
static int check_input(const char *const *text, size_t ntext, const struct sip_build_hdr *hdrs,
                       size_t nhdrs)
{
	for (size_t i = 0; i < ntext; i++)
		if (text[i] && strpbrk(text[i], "\r\n"))
			return SIP_EINVAL;
	if (nhdrs && !hdrs)
		return SIP_EINVAL;
	for (size_t i = 0; i < nhdrs; i++)
		if (!valid_user_line(hdrs[i].line))
			return SIP_EINVAL;
	return 0;
}

/* ---- header emission shared by requests and responses ------------------ */

/* Appends each string of a NULL-ended list: a header line from its parts
 * without a trip through printf, which a flood of requests would feel. */
static void put_all(struct sip_buf *b, const char *const *parts)
{
	for (; *parts; parts++)
		sip_buf_puts(b, *parts);
}

#define PUT(b, ...) put_all((b), (const char *const[]){__VA_ARGS__, NULL})

static void put_uint(struct sip_buf *b, uint64_t v)
{
	char digits[24];
	size_t i = sizeof digits;
	do
		digits[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	sip_buf_append(b, digits + i, sizeof digits - i);
}

struct emit {
	struct sip_buf *out;
	const struct sip_build_hdr *user;
	size_t nuser;
	bool slot[SIP_HDR_COUNT]; /* headers the builder writes by default */
};

static enum sip_hdr_id user_id(const char *line)
{
	return sip_hdr_id_from_name(user_name(line));
}

/*
 * Claims the place of a default header. The user's lines of that name, if
 * any, are written here instead of the default, so a replacement keeps the
 * default's position. Returns true when the default is still to be written.
 */
static bool slot(struct emit *e, enum sip_hdr_id id)
{
	bool replaced = false;
	e->slot[id] = true;
	for (size_t i = 0; i < e->nuser; i++) {
		if (user_id(e->user[i].line) != id)
			continue;
		sip_buf_puts(e->out, e->user[i].line);
		sip_buf_puts(e->out, "\r\n");
		replaced = true;
	}
	return !replaced;
}

/* A value that does not parse is taken to have none: the tag we add then
 * at worst joins a malformed value the user asked for. */
static bool has_tag(struct sip_str v)
{
	struct sip_addr a;
	return sip_addr_parse(&a, v) == 0 && !a.star && sip_param_get(a.params, "tag", NULL);
}

static bool is_bare(struct sip_str v)
{
	return !memchr(v.p, '<', v.len);
}

/*
 * Writes a From, To or Contact value. With wrap, a bare URI from the user is
 * put in <> so that its ;params stay URI parameters and a tag we add is a
 * header parameter. The tag is added unless empty or one is there already.
 */
static void put_addr(struct sip_buf *b, struct sip_str v, bool wrap, const char *tag)
{
	bool wrapped = wrap && is_bare(v) && !(v.len == 1 && v.p[0] == '*');
	if (wrapped)
		sip_buf_puts(b, "<");
	sip_buf_append(b, v.p, v.len);
	if (wrapped)
		sip_buf_puts(b, ">");
	if (tag && *tag && (wrapped || !has_tag(v)))
		PUT(b, ";tag=", tag);
}

/* Headers common to requests and responses, the user's additions, the
 * Content-Length, and the body. The product is named by User-Agent in a
 * request and by Server in a response (RFC 3261 §20.35, §20.41). */
static int finish(struct emit *e, const char *contact, enum sip_hdr_id product_id,
                  const char *product, const char *content_type, const char *body, size_t body_len)
{
	struct sip_buf *b = e->out;
	if (slot(e, SIP_HDR_CONTACT) && contact) {
		sip_buf_puts(b, "Contact: ");
		put_addr(b, sip_str_from(contact), true, NULL);
		sip_buf_puts(b, "\r\n");
	}
	if (slot(e, product_id) && product)
		PUT(b, sip_hdr_name(product_id), ": ", product, "\r\n");
	/* a type without a body would describe nothing */
	if (slot(e, SIP_HDR_CONTENT_TYPE) && content_type && body_len)
		PUT(b, "Content-Type: ", content_type, "\r\n");
	/* Content-Length comes last, after everything the user adds. */
	e->slot[SIP_HDR_CONTENT_LENGTH] = true;
	for (size_t i = 0; i < e->nuser; i++) {
		enum sip_hdr_id id = user_id(e->user[i].line);
		if (id == SIP_HDR_OTHER || !e->slot[id]) {
			sip_buf_puts(b, e->user[i].line);
			sip_buf_puts(b, "\r\n");
		}
	}
	if (slot(e, SIP_HDR_CONTENT_LENGTH)) {
		sip_buf_puts(b, "Content-Length: ");
		put_uint(b, body_len);
		sip_buf_puts(b, "\r\n");
	}
	sip_buf_puts(b, "\r\n");
	return sip_buf_append(b, body, body_len);
}

/* Keeps a value the caller gave, or makes prefix + len random characters in buf. */
static int given_or_fresh(const char **v, char *buf, const char *prefix, size_t len)
{
	if (*v)
		return 0;
	size_t n = strlen(prefix);
	memcpy(buf, prefix, n);
	*v = buf;
	return sip_rand_token(buf + n, len);
}

int sip_build_request(struct sip_buf *out, const struct sip_request_spec *spec)
{
	const char *method = spec->method == SIP_METHOD_OTHER ? spec->method_name
	                                                      : sip_method_name(spec->method);
	const char *text[] = {
		method,        spec->ruri,       spec->from,        spec->from_tag, spec->to,
		spec->to_tag,  spec->call_id,    spec->transport,   spec->via_host, spec->branch,
		spec->contact, spec->user_agent, spec->content_type};
	if (!method || !sip_is_token(sip_str_from(method)) || !spec->ruri || !*spec->ruri ||
	    !spec->from || !*spec->from || !spec->via_host || !*spec->via_host ||
	    (spec->body_len && !spec->body))
		return SIP_EINVAL;
	int err = check_input(text, sizeof text / sizeof text[0], spec->headers, spec->nheaders);
	if (err)
		return err;
	if (out->err)
		return out->err;

	char branch[sizeof BRANCH_MAGIC + BRANCH_LEN], tag[TAG_LEN + 1], call_id[CALL_ID_LEN + 1];
	const char *br = spec->branch, *from_tag = spec->from_tag, *cid = spec->call_id;
	if ((err = given_or_fresh(&br, branch, BRANCH_MAGIC, BRANCH_LEN)) != 0 ||
	    (err = given_or_fresh(&from_tag, tag, "", TAG_LEN)) != 0 ||
	    (err = given_or_fresh(&cid, call_id, "", CALL_ID_LEN)) != 0)
		return err;

	struct emit e = {.out = out, .user = spec->headers, .nuser = spec->nheaders};
	PUT(out, method, " ", spec->ruri, " SIP/2.0\r\n");
	if (slot(&e, SIP_HDR_VIA)) {
		const char *host = spec->via_host;
		bool ip6 = strchr(host, ':') && host[0] != '[';
		PUT(out, "Via: SIP/2.0/", spec->transport ? spec->transport : "UDP", " ",
		    ip6 ? "[" : "", host, ip6 ? "]" : "");
		if (spec->via_port) {
			sip_buf_puts(out, ":");
			put_uint(out, spec->via_port);
		}
		PUT(out, ";branch=", br, ";rport\r\n");
	}
	if (slot(&e, SIP_HDR_MAX_FORWARDS)) {
		sip_buf_puts(out, "Max-Forwards: ");
		put_uint(out, spec->max_forwards ? spec->max_forwards : 70);
		sip_buf_puts(out, "\r\n");
	}
	if (slot(&e, SIP_HDR_FROM)) {
		sip_buf_puts(out, "From: ");
		put_addr(out, sip_str_from(spec->from), true, from_tag);
		sip_buf_puts(out, "\r\n");
	}
	if (slot(&e, SIP_HDR_TO)) {
		sip_buf_puts(out, "To: ");
		put_addr(out, sip_str_from(spec->to ? spec->to : spec->ruri), true, spec->to_tag);
		sip_buf_puts(out, "\r\n");
	}
	if (slot(&e, SIP_HDR_CALL_ID))
		PUT(out, "Call-ID: ", cid, "\r\n");
	if (slot(&e, SIP_HDR_CSEQ)) {
		sip_buf_puts(out, "CSeq: ");
		put_uint(out, spec->cseq ? spec->cseq : 1);
		PUT(out, " ", method, "\r\n");
	}
	/* What an OPTIONS answer may describe in its body (RFC 3261 §11.1):
	 * without Accept, a server assumes application/sdp, and says so. */
	if (strcmp(method, "OPTIONS") == 0 && slot(&e, SIP_HDR_ACCEPT))
		sip_buf_puts(out, "Accept: application/sdp\r\n");
	return finish(&e, spec->contact, SIP_HDR_USER_AGENT, spec->user_agent, spec->content_type,
	              spec->body, spec->body_len);
}

/* Copies the request's headers of one id, each on its own line as it was. */
static void copy(struct sip_buf *b, const struct sip_msg *req, enum sip_hdr_id id, bool all)
{
	const struct sip_hdr *h = sip_msg_hdr(req, id);
	for (; h; h = all ? sip_msg_hdr_next(req, h) : NULL) {
		PUT(b, sip_hdr_name(id), ": ");
		sip_buf_append(b, h->value.p, h->value.len);
		sip_buf_puts(b, "\r\n");
	}
}

/* Responses that establish a dialog carry the Record-Route set back
 * (RFC 3261 §12.1.1, RFC 6665 §4.2.1). */
static bool makes_dialog(const struct sip_msg *req, unsigned status)
{
	return status > 100 && status < 300 &&
	       (req->method == SIP_INVITE || req->method == SIP_SUBSCRIBE ||
	        req->method == SIP_REFER);
}

int sip_build_response(struct sip_buf *out, const struct sip_msg *req,
                       const struct sip_response_spec *spec)
{
	const char *text[] = {spec->reason, spec->to_tag, spec->contact, spec->server,
	                      spec->content_type};
	if (!req->is_request || spec->status < 100 || spec->status > 699 ||
	    (spec->body_len && !spec->body))
		return SIP_EINVAL;
	int err = check_input(text, sizeof text / sizeof text[0], spec->headers, spec->nheaders);
	if (err)
		return err;
	if (out->err)
		return out->err;

	char tag[TAG_LEN + 1];
	const char *to_tag = spec->to_tag;
	if (spec->status > 100 && (err = given_or_fresh(&to_tag, tag, "", TAG_LEN)) != 0)
		return err;
	const char *reason = spec->reason ? spec->reason : sip_status_reason(spec->status);

	/* Whatever the request lacks is left out rather than refused, so that
	 * a 400 can still answer a request that is missing headers. */
	struct emit e = {.out = out, .user = spec->headers, .nuser = spec->nheaders};
	sip_buf_puts(out, "SIP/2.0 ");
	put_uint(out, spec->status);
	PUT(out, " ", reason ? reason : "Unknown", "\r\n");
	if (slot(&e, SIP_HDR_VIA))
		copy(out, req, SIP_HDR_VIA, true);
	if (slot(&e, SIP_HDR_RECORD_ROUTE) && makes_dialog(req, spec->status))
		copy(out, req, SIP_HDR_RECORD_ROUTE, true);
	if (slot(&e, SIP_HDR_FROM))
		copy(out, req, SIP_HDR_FROM, false);
	const struct sip_hdr *to = sip_msg_hdr(req, SIP_HDR_TO);
	if (slot(&e, SIP_HDR_TO) && to) {
		sip_buf_puts(out, "To: ");
		put_addr(out, to->value, false, to_tag);
		sip_buf_puts(out, "\r\n");
	}
	if (slot(&e, SIP_HDR_CALL_ID))
		copy(out, req, SIP_HDR_CALL_ID, false);
	if (slot(&e, SIP_HDR_CSEQ))
		copy(out, req, SIP_HDR_CSEQ, false);
	/* RFC 3261 §8.2.6.1 */
	if (slot(&e, SIP_HDR_TIMESTAMP) && spec->status == 100)
		copy(out, req, SIP_HDR_TIMESTAMP, false);
	return finish(&e, spec->contact, SIP_HDR_SERVER, spec->server, spec->content_type,
	              spec->body, spec->body_len);
}
