/* msg.c - the zero-copy message parser: start line, header table, body.
 *
 * One pass over the buffer: memchr finds each line end, every header gets
 * a slice for its name and its value and an id, and headers of one id are
 * chained so that lookups never scan. Nothing is copied or allocated. */
#include <stdarg.h>
#include <string.h>

#include "sip_int.h"

/* Long names by a perfect hash of (first, middle and last letter, length),
 * lowercased; HDR_HASH's multipliers were found by search so that no two
 * known names collide. A hit is confirmed against the canonical name. */
#define HDR_HASH(first, mid, last, len)                                                            \
	(((unsigned)(first)*4 + (unsigned)(mid)*18 + (unsigned)(last)*29 + (unsigned)(len)*3) & 255)

static const unsigned char by_hash[256] = {
	[1] = SIP_HDR_REFER_SUB,
	[9] = SIP_HDR_SUPPORTED,
	[12] = SIP_HDR_REJECT_CONTACT,
	[18] = SIP_HDR_EXPIRES,
	[20] = SIP_HDR_SERVER,
	[34] = SIP_HDR_AUTHENTICATION_INFO,
	[41] = SIP_HDR_UNSUPPORTED,
	[42] = SIP_HDR_SESSION_EXPIRES,
	[53] = SIP_HDR_DATE,
	[55] = SIP_HDR_TO,
	[56] = SIP_HDR_IN_REPLY_TO,
	[64] = SIP_HDR_VIA,
	[73] = SIP_HDR_CONTENT_TYPE,
	[76] = SIP_HDR_MIN_EXPIRES,
	[88] = SIP_HDR_WARNING,
	[92] = SIP_HDR_PROXY_REQUIRE,
	[95] = SIP_HDR_ALERT_INFO,
	[97] = SIP_HDR_MIN_SE,
	[100] = SIP_HDR_CALL_INFO,
	[102] = SIP_HDR_REASON,
	[104] = SIP_HDR_MIME_VERSION,
	[111] = SIP_HDR_ERROR_INFO,
	[118] = SIP_HDR_ACCEPT_ENCODING,
	[119] = SIP_HDR_REFER_TO,
	[121] = SIP_HDR_SUBJECT,
	[127] = SIP_HDR_CSEQ,
	[129] = SIP_HDR_CONTENT_ENCODING,
	[130] = SIP_HDR_ROUTE,
	[131] = SIP_HDR_AUTHORIZATION,
	[135] = SIP_HDR_RECORD_ROUTE,
	[136] = SIP_HDR_REQUIRE,
	[141] = SIP_HDR_CALL_ID,
	[145] = SIP_HDR_PRIORITY,
	[151] = SIP_HDR_WWW_AUTHENTICATE,
	[153] = SIP_HDR_IDENTITY,
	[157] = SIP_HDR_CONTENT_DISPOSITION,
	[162] = SIP_HDR_REFERRED_BY,
	[166] = SIP_HDR_ALLOW,
	[168] = SIP_HDR_CONTENT_LENGTH,
	[169] = SIP_HDR_SIP_ETAG,
	[177] = SIP_HDR_TIMESTAMP,
	[182] = SIP_HDR_P_ASSERTED_IDENTITY,
	[183] = SIP_HDR_PROXY_AUTHENTICATE,
	[185] = SIP_HDR_REPLACES,
	[186] = SIP_HDR_ACCEPT_LANGUAGE,
	[187] = SIP_HDR_RSEQ,
	[188] = SIP_HDR_PATH,
	[191] = SIP_HDR_PROXY_AUTHORIZATION,
	[197] = SIP_HDR_CONTENT_LANGUAGE,
	[200] = SIP_HDR_ACCEPT_CONTACT,
	[201] = SIP_HDR_ALLOW_EVENTS,
	[203] = SIP_HDR_FROM,
	[212] = SIP_HDR_ACCEPT,
	[213] = SIP_HDR_SUBSCRIPTION_STATE,
	[214] = SIP_HDR_PRIVACY,
	[217] = SIP_HDR_REQUEST_DISPOSITION,
	[225] = SIP_HDR_EVENT,
	[226] = SIP_HDR_SIP_IF_MATCH,
	[227] = SIP_HDR_MAX_FORWARDS,
	[232] = SIP_HDR_USER_AGENT,
	[233] = SIP_HDR_RACK,
	[234] = SIP_HDR_ORGANIZATION,
	[237] = SIP_HDR_CONTACT,
	[245] = SIP_HDR_REPLY_TO,
	[253] = SIP_HDR_RETRY_AFTER,
};

/* RFC 3261 §7.3.3 and the extensions that define compact forms. */
static const unsigned char compact[26] = {
	['a' - 'a'] = SIP_HDR_ACCEPT_CONTACT,
	['b' - 'a'] = SIP_HDR_REFERRED_BY,
	['c' - 'a'] = SIP_HDR_CONTENT_TYPE,
	['d' - 'a'] = SIP_HDR_REQUEST_DISPOSITION,
	['e' - 'a'] = SIP_HDR_CONTENT_ENCODING,
	['f' - 'a'] = SIP_HDR_FROM,
	['i' - 'a'] = SIP_HDR_CALL_ID,
	['j' - 'a'] = SIP_HDR_REJECT_CONTACT,
	['k' - 'a'] = SIP_HDR_SUPPORTED,
	['l' - 'a'] = SIP_HDR_CONTENT_LENGTH,
	['m' - 'a'] = SIP_HDR_CONTACT,
	['o' - 'a'] = SIP_HDR_EVENT,
	['r' - 'a'] = SIP_HDR_REFER_TO,
	['s' - 'a'] = SIP_HDR_SUBJECT,
	['t' - 'a'] = SIP_HDR_TO,
	['u' - 'a'] = SIP_HDR_ALLOW_EVENTS,
	['v' - 'a'] = SIP_HDR_VIA,
	['x' - 'a'] = SIP_HDR_SESSION_EXPIRES,
	['y' - 'a'] = SIP_HDR_IDENTITY,
};

static const char *const canonical[SIP_HDR_COUNT] = {
	[SIP_HDR_ACCEPT] = "Accept",
	[SIP_HDR_ACCEPT_CONTACT] = "Accept-Contact",
	[SIP_HDR_ACCEPT_ENCODING] = "Accept-Encoding",
	[SIP_HDR_ACCEPT_LANGUAGE] = "Accept-Language",
	[SIP_HDR_ALERT_INFO] = "Alert-Info",
	[SIP_HDR_ALLOW] = "Allow",
	[SIP_HDR_ALLOW_EVENTS] = "Allow-Events",
	[SIP_HDR_AUTHENTICATION_INFO] = "Authentication-Info",
	[SIP_HDR_AUTHORIZATION] = "Authorization",
	[SIP_HDR_CALL_ID] = "Call-ID",
	[SIP_HDR_CALL_INFO] = "Call-Info",
	[SIP_HDR_CONTACT] = "Contact",
	[SIP_HDR_CONTENT_DISPOSITION] = "Content-Disposition",
	[SIP_HDR_CONTENT_ENCODING] = "Content-Encoding",
	[SIP_HDR_CONTENT_LANGUAGE] = "Content-Language",
	[SIP_HDR_CONTENT_LENGTH] = "Content-Length",
	[SIP_HDR_CONTENT_TYPE] = "Content-Type",
	[SIP_HDR_CSEQ] = "CSeq",
	[SIP_HDR_DATE] = "Date",
	[SIP_HDR_ERROR_INFO] = "Error-Info",
	[SIP_HDR_EVENT] = "Event",
	[SIP_HDR_EXPIRES] = "Expires",
	[SIP_HDR_FROM] = "From",
	[SIP_HDR_IDENTITY] = "Identity",
	[SIP_HDR_IN_REPLY_TO] = "In-Reply-To",
	[SIP_HDR_MAX_FORWARDS] = "Max-Forwards",
	[SIP_HDR_MIME_VERSION] = "MIME-Version",
	[SIP_HDR_MIN_EXPIRES] = "Min-Expires",
	[SIP_HDR_MIN_SE] = "Min-SE",
	[SIP_HDR_ORGANIZATION] = "Organization",
	[SIP_HDR_P_ASSERTED_IDENTITY] = "P-Asserted-Identity",
	[SIP_HDR_PATH] = "Path",
	[SIP_HDR_PRIORITY] = "Priority",
	[SIP_HDR_PRIVACY] = "Privacy",
	[SIP_HDR_PROXY_AUTHENTICATE] = "Proxy-Authenticate",
	[SIP_HDR_PROXY_AUTHORIZATION] = "Proxy-Authorization",
	[SIP_HDR_PROXY_REQUIRE] = "Proxy-Require",
	[SIP_HDR_RACK] = "RAck",
	[SIP_HDR_REASON] = "Reason",
	[SIP_HDR_RECORD_ROUTE] = "Record-Route",
	[SIP_HDR_REFER_SUB] = "Refer-Sub",
	[SIP_HDR_REFER_TO] = "Refer-To",
	[SIP_HDR_REFERRED_BY] = "Referred-By",
	[SIP_HDR_REJECT_CONTACT] = "Reject-Contact",
	[SIP_HDR_REPLACES] = "Replaces",
	[SIP_HDR_REPLY_TO] = "Reply-To",
	[SIP_HDR_REQUEST_DISPOSITION] = "Request-Disposition",
	[SIP_HDR_REQUIRE] = "Require",
	[SIP_HDR_RETRY_AFTER] = "Retry-After",
	[SIP_HDR_ROUTE] = "Route",
	[SIP_HDR_RSEQ] = "RSeq",
	[SIP_HDR_SERVER] = "Server",
	[SIP_HDR_SESSION_EXPIRES] = "Session-Expires",
	[SIP_HDR_SIP_ETAG] = "SIP-ETag",
	[SIP_HDR_SIP_IF_MATCH] = "SIP-If-Match",
	[SIP_HDR_SUBJECT] = "Subject",
	[SIP_HDR_SUBSCRIPTION_STATE] = "Subscription-State",
	[SIP_HDR_SUPPORTED] = "Supported",
	[SIP_HDR_TIMESTAMP] = "Timestamp",
	[SIP_HDR_TO] = "To",
	[SIP_HDR_UNSUPPORTED] = "Unsupported",
	[SIP_HDR_USER_AGENT] = "User-Agent",
	[SIP_HDR_VIA] = "Via",
	[SIP_HDR_WARNING] = "Warning",
	[SIP_HDR_WWW_AUTHENTICATE] = "WWW-Authenticate",
};

/* The same names in lower case, with their lengths: a lookup folds one
 * side only, and a name of another length is refused before any compare. */
#define LC(name)                                                                                   \
	{                                                                                          \
		name, sizeof name - 1                                                              \
	}
static const struct {
	const char *name;
	size_t len;
} folded[SIP_HDR_COUNT] = {
	[SIP_HDR_ACCEPT] = LC("accept"),
	[SIP_HDR_ACCEPT_CONTACT] = LC("accept-contact"),
	[SIP_HDR_ACCEPT_ENCODING] = LC("accept-encoding"),
	[SIP_HDR_ACCEPT_LANGUAGE] = LC("accept-language"),
	[SIP_HDR_ALERT_INFO] = LC("alert-info"),
	[SIP_HDR_ALLOW] = LC("allow"),
	[SIP_HDR_ALLOW_EVENTS] = LC("allow-events"),
	[SIP_HDR_AUTHENTICATION_INFO] = LC("authentication-info"),
	[SIP_HDR_AUTHORIZATION] = LC("authorization"),
	[SIP_HDR_CALL_ID] = LC("call-id"),
	[SIP_HDR_CALL_INFO] = LC("call-info"),
	[SIP_HDR_CONTACT] = LC("contact"),
	[SIP_HDR_CONTENT_DISPOSITION] = LC("content-disposition"),
	[SIP_HDR_CONTENT_ENCODING] = LC("content-encoding"),
	[SIP_HDR_CONTENT_LANGUAGE] = LC("content-language"),
	[SIP_HDR_CONTENT_LENGTH] = LC("content-length"),
	[SIP_HDR_CONTENT_TYPE] = LC("content-type"),
	[SIP_HDR_CSEQ] = LC("cseq"),
	[SIP_HDR_DATE] = LC("date"),
	[SIP_HDR_ERROR_INFO] = LC("error-info"),
	[SIP_HDR_EVENT] = LC("event"),
	[SIP_HDR_EXPIRES] = LC("expires"),
	[SIP_HDR_FROM] = LC("from"),
	[SIP_HDR_IDENTITY] = LC("identity"),
	[SIP_HDR_IN_REPLY_TO] = LC("in-reply-to"),
	[SIP_HDR_MAX_FORWARDS] = LC("max-forwards"),
	[SIP_HDR_MIME_VERSION] = LC("mime-version"),
	[SIP_HDR_MIN_EXPIRES] = LC("min-expires"),
	[SIP_HDR_MIN_SE] = LC("min-se"),
	[SIP_HDR_ORGANIZATION] = LC("organization"),
	[SIP_HDR_P_ASSERTED_IDENTITY] = LC("p-asserted-identity"),
	[SIP_HDR_PATH] = LC("path"),
	[SIP_HDR_PRIORITY] = LC("priority"),
	[SIP_HDR_PRIVACY] = LC("privacy"),
	[SIP_HDR_PROXY_AUTHENTICATE] = LC("proxy-authenticate"),
	[SIP_HDR_PROXY_AUTHORIZATION] = LC("proxy-authorization"),
	[SIP_HDR_PROXY_REQUIRE] = LC("proxy-require"),
	[SIP_HDR_RACK] = LC("rack"),
	[SIP_HDR_REASON] = LC("reason"),
	[SIP_HDR_RECORD_ROUTE] = LC("record-route"),
	[SIP_HDR_REFER_SUB] = LC("refer-sub"),
	[SIP_HDR_REFER_TO] = LC("refer-to"),
	[SIP_HDR_REFERRED_BY] = LC("referred-by"),
	[SIP_HDR_REJECT_CONTACT] = LC("reject-contact"),
	[SIP_HDR_REPLACES] = LC("replaces"),
	[SIP_HDR_REPLY_TO] = LC("reply-to"),
	[SIP_HDR_REQUEST_DISPOSITION] = LC("request-disposition"),
	[SIP_HDR_REQUIRE] = LC("require"),
	[SIP_HDR_RETRY_AFTER] = LC("retry-after"),
	[SIP_HDR_ROUTE] = LC("route"),
	[SIP_HDR_RSEQ] = LC("rseq"),
	[SIP_HDR_SERVER] = LC("server"),
	[SIP_HDR_SESSION_EXPIRES] = LC("session-expires"),
	[SIP_HDR_SIP_ETAG] = LC("sip-etag"),
	[SIP_HDR_SIP_IF_MATCH] = LC("sip-if-match"),
	[SIP_HDR_SUBJECT] = LC("subject"),
	[SIP_HDR_SUBSCRIPTION_STATE] = LC("subscription-state"),
	[SIP_HDR_SUPPORTED] = LC("supported"),
	[SIP_HDR_TIMESTAMP] = LC("timestamp"),
	[SIP_HDR_TO] = LC("to"),
	[SIP_HDR_UNSUPPORTED] = LC("unsupported"),
	[SIP_HDR_USER_AGENT] = LC("user-agent"),
	[SIP_HDR_VIA] = LC("via"),
	[SIP_HDR_WARNING] = LC("warning"),
	[SIP_HDR_WWW_AUTHENTICATE] = LC("www-authenticate"),
};

static SIP_HOT_INLINE enum sip_hdr_id hdr_id(const char *p, size_t n)
{
	if (n == 1) {
		unsigned c = (unsigned char)sip_lower(p[0]) - 'a';
		return c < 26 ? (enum sip_hdr_id)compact[c] : SIP_HDR_OTHER;
	}
	if (n == 0)
		return SIP_HDR_OTHER;
	/* A name's first and last letters lower with an OR as well, but its
	 * middle may be a '-', which a CR would fake: sip_lower keeps them apart. */
	unsigned id = by_hash[HDR_HASH(p[0] | 0x20, sip_lower(p[n / 2]), p[n - 1] | 0x20, n)];
	/* An empty slot's name has length 0: never n. OR-ing 0x20 lowers a
	 * letter and leaves '-' alone ('_' becomes DEL, which matches nothing). */
	if (folded[id].len != n || !sip_eq_or(p, folded[id].name, n, SIP_FOLD))
		return SIP_HDR_OTHER;
	return (enum sip_hdr_id)id;
}

enum sip_hdr_id sip_hdr_id_from_name(struct sip_str name)
{
	return hdr_id(name.p, name.len);
}

const char *sip_hdr_name(enum sip_hdr_id id)
{
	return (id > 0 && id < SIP_HDR_COUNT) ? canonical[id] : NULL;
}

static int fail(struct sip_msg *msg, int err, uint32_t line, const char *fmt, ...) SIP_PRINTF(4, 5);

static int fail(struct sip_msg *msg, int err, uint32_t line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg->err_text, sizeof msg->err_text, fmt, ap);
	va_end(ap);
	msg->err_line = line;
	return err;
}

/* A quoted excerpt for error messages, cut so that it fits. */
#define EXCERPT(s) (int)((s).len > 40 ? 40 : (s).len), (s).p

static bool is_version(struct sip_str v)
{
	/* Upper case first: every message has one, nearly always so written. */
	return (v.len == 7 && sip_eq_or(v.p, "SIP/2.0", 7, 0)) || sip_ieq(v, SIP_STR("SIP/2.0"));
}

static int parse_version_error(struct sip_msg *msg, struct sip_str v)
{
	if (v.len > 4 && sip_ieq(sip_str_sub(v, 0, 4), SIP_STR("SIP/")))
		return fail(msg, SIP_ESYNTAX, 1, "unsupported SIP version '%.*s' (505)",
		            EXCERPT(v));
	return fail(msg, SIP_ESYNTAX, 1, "bad SIP version '%.*s'", EXCERPT(v));
}

static int parse_status_line(struct sip_msg *msg, struct sip_str l)
{
	/* SIP-Version SP Status-Code SP: only the reason phrase may hold a tab. */
	size_t head = 0;
	for (int spaces = 0; head < l.len && spaces < 2; head++)
		spaces += l.p[head] == ' ';
	if (memchr(l.p, '\t', head))
		return fail(msg, SIP_ESYNTAX, 1, "tab in the status line");
	const char *sp = memchr(l.p, ' ', l.len);
	if (!sp)
		return fail(msg, SIP_ESYNTAX, 1, "status line has no status code");
	msg->version = sip_str_sub(l, 0, (size_t)(sp - l.p));
	if (!is_version(msg->version))
		return parse_version_error(msg, msg->version);
	struct sip_str rest = sip_str_sub(l, (size_t)(sp - l.p) + 1, l.len);
	size_t n = 0;
	while (n < rest.len && sip_is_digit(rest.p[n]))
		n++;
	struct sip_str code = sip_str_sub(rest, 0, n);
	if (n != 3 || code.p[0] == '0' || (n < rest.len && rest.p[n] != ' ')) {
		while (n < rest.len && rest.p[n] != ' ')
			n++;
		return fail(msg, SIP_ESYNTAX, 1,
		            "status code '%.*s' is not three digits from 100 to 699",
		            EXCERPT(sip_str_sub(rest, 0, n)));
	}
	msg->status = (unsigned)(code.p[0] - '0') * 100 + (unsigned)(code.p[1] - '0') * 10 +
	              (unsigned)(code.p[2] - '0');
	if (msg->status < 100 || msg->status > 699)
		return fail(msg, SIP_ESYNTAX, 1, "status code %u is not from 100 to 699",
		            msg->status);
	/* RFC 3261 requires the SP before an empty reason phrase; accept its absence. */
	msg->reason = n < rest.len ? sip_str_sub(rest, n + 1, rest.len) : sip_str_sub(rest, n, n);
	msg->is_request = false;
	return 0;
}

static int parse_request_line(struct sip_msg *msg, struct sip_str l)
{
	/* First: a tab elsewhere reads as a bad method, URI or version. */
	if (memchr(l.p, '\t', l.len))
		return fail(msg, SIP_ESYNTAX, 1, "tab in the request line");
	const char *sp1 = memchr(l.p, ' ', l.len);
	if (!sp1)
		return fail(msg, SIP_ESYNTAX, 1, "request line '%.*s' is not METHOD URI SIP/2.0",
		            EXCERPT(l));
	msg->method_name = sip_str_sub(l, 0, (size_t)(sp1 - l.p));
	if (!sip_is_token(msg->method_name))
		return fail(msg, SIP_ESYNTAX, 1, "method '%.*s' is not a token",
		            EXCERPT(msg->method_name));
	size_t at = (size_t)(sp1 - l.p) + 1;
	if (at < l.len && (l.p[at] == ' ' || l.p[at] == '\t'))
		return fail(msg, SIP_ESYNTAX, 1,
		            "more than one space after the method in the request line");
	const char *sp2 = memchr(l.p + at, ' ', l.len - at);
	if (!sp2)
		return fail(msg, SIP_ESYNTAX, 1, "request line has no SIP version");
	msg->ruri = sip_str_sub(l, at, (size_t)(sp2 - l.p));
	if (msg->ruri.len == 0)
		return fail(msg, SIP_ESYNTAX, 1, "request line has an empty Request-URI");
	struct sip_str rest = sip_str_sub(l, (size_t)(sp2 - l.p) + 1, l.len);
	const char *sp3 = memchr(rest.p, ' ', rest.len);
	if (sp3) {
		struct sip_str tail = sip_str_sub(rest, (size_t)(sp3 - rest.p), rest.len);
		if (sip_trim(tail).len == 0 &&
		    is_version(sip_str_sub(rest, 0, (size_t)(sp3 - rest.p))))
			return fail(
				msg, SIP_ESYNTAX, 1,
				"trailing whitespace after the SIP version in the request line");
		if (rest.len && rest.p[0] == ' ')
			return fail(
				msg, SIP_ESYNTAX, 1,
				"more than one space after the Request-URI in the request line");
		return fail(msg, SIP_ESYNTAX, 1,
		            "whitespace inside the Request-URI '%.*s' (escape it or remove it)",
		            EXCERPT(sip_str_sub(l, at, l.len)));
	}
	msg->version = rest;
	if (!is_version(rest))
		return parse_version_error(msg, rest);
	msg->method = sip_method_from_str(msg->method_name);
	msg->is_request = true;
	return 0;
}

/* Finds the end of the line at p: returns the index of its '\n', or n. */
static size_t line_end(const char *p, size_t from, size_t n)
{
	const char *nl = memchr(p + from, '\n', n - from);
	return nl ? (size_t)(nl - p) : n;
}

/* Folded continuation lines belong to the header above (§7.3.1): the end
 * of the last one, its stop (the end without CR) in *stop. Out of line, so
 * that the header loop, where few messages fold, keeps its registers. */
static SIP_NOINLINE size_t fold_end(struct sip_msg *msg, const char *start, size_t eol, size_t n,
                                    size_t *stop, uint32_t *lineno)
{
	while (eol + 1 < n && (start[eol + 1] == ' ' || start[eol + 1] == '\t')) {
		(*lineno)++;
		eol = line_end(start, eol + 1, n);
		*stop = (start[eol - 1] == '\r') ? eol - 1 : eol;
		if (eol < n && *stop == eol)
			msg->flags |= SIP_MSG_BARE_LF;
	}
	return eol;
}

static int parse_content_length(struct sip_msg *msg, const struct sip_hdr *h, uint64_t *cl)
{
	uint64_t v;
	int err = sip_to_u64(h->value, UINT32_MAX, &v);
	if (err == SIP_ERANGE)
		return fail(msg, SIP_ERANGE, h->line, "Content-Length '%.*s' is out of range",
		            EXCERPT(h->value));
	if (err)
		return fail(msg, SIP_ESYNTAX, h->line, "Content-Length '%.*s' is not a number",
		            EXCERPT(h->value));
	*cl = v;
	return 0;
}

static void reset(struct sip_msg *msg)
{
	msg->is_request = false;
	msg->method = SIP_METHOD_OTHER;
	msg->method_name = msg->ruri = msg->version = msg->reason = msg->body = (struct sip_str){0};
	msg->status = 0;
	msg->trailing = 0;
	msg->body_line = 0;
	msg->flags = 0;
	msg->nhdrs = 0;
	memset(msg->first, 0, sizeof msg->first);
	msg->err_line = 0;
	msg->err_text[0] = '\0';
}

int sip_msg_parse(struct sip_msg *msg, const char *buf, size_t len, unsigned flags)
{
	if (!msg || (!buf && len))
		return SIP_EINVAL;
	reset(msg);
	const bool stream = flags & SIP_PARSE_STREAM;
	size_t pos = 0;
	while (pos < len && (buf[pos] == '\r' || buf[pos] == '\n'))
		pos++;
	if (pos == len)
		return stream ? SIP_EAGAIN : fail(msg, SIP_EEMPTY, 0, "empty message");
	const char *start = buf + pos;
	size_t n = len - pos;

	size_t eol = line_end(start, 0, n);
	if (eol == n && stream)
		return SIP_EAGAIN;
	size_t l_end = (eol > 0 && start[eol - 1] == '\r') ? eol - 1 : eol;
	if (eol < n && l_end == eol)
		msg->flags |= SIP_MSG_BARE_LF;
	struct sip_str line = {start, l_end};
	msg->start_line = line;
	/* SIP-Version is case-insensitive (§7.1); no method holds a '/'. */
	int err = (line.len >= 4 && (sip_eq_or(line.p, "SIP/", 4, 0) ||
	                             sip_ieq(sip_str_sub(line, 0, 4), SIP_STR("SIP/"))))
	                  ? parse_status_line(msg, line)
	                  : parse_request_line(msg, line);
	if (err)
		return err;

	uint16_t last[SIP_HDR_COUNT];
	uint32_t lineno = 1;
	uint64_t cl = 0;
	const struct sip_hdr *cl_hdr = NULL;
	size_t i = eol + 1;
	bool eoh = false;
	while (i < n) {
		lineno++;
		eol = line_end(start, i, n);
		size_t stop = (eol > i && start[eol - 1] == '\r') ? eol - 1 : eol;
		if (eol < n && stop == eol)
			msg->flags |= SIP_MSG_BARE_LF;
		if (stop == i) { /* the empty line */
			if (eol == n && stream)
				return SIP_EAGAIN;
			i = eol + 1;
			eoh = eol < n;
			break;
		}
		uint32_t hline = lineno;
		if (eol + 1 < n && (start[eol + 1] == ' ' || start[eol + 1] == '\t'))
			eol = fold_end(msg, start, eol, n, &stop, &lineno);
		if (eol == n && stream)
			return SIP_EAGAIN;
		if (start[i] == ' ' || start[i] == '\t')
			return fail(msg, SIP_ESYNTAX, hline,
			            "line starts with whitespace but follows no header");
		size_t k = i;
		/* The first line's CR or LF ends the name; only a last line
		 * without one needs the bound. */
		if (eol < n)
			while (sip_is_token_char(start[k]))
				k++;
		else
			while (k < stop && sip_is_token_char(start[k]))
				k++;
		struct sip_str name = {start + i, k - i};
		while (k < stop && (start[k] == ' ' || start[k] == '\t'))
			k++;
		if (k == stop || start[k] != ':' || name.len == 0) {
			struct sip_str bad = {start + i, stop - i};
			return fail(msg, SIP_ESYNTAX, hline, "not a header line: '%.*s'",
			            EXCERPT(bad));
		}
		if (msg->nhdrs == SIP_MSG_MAX_HDRS)
			return fail(msg, SIP_ETOOBIG, hline, "more than %d header lines",
			            SIP_MSG_MAX_HDRS);
		struct sip_hdr *h = &msg->hdrs[msg->nhdrs];
		h->name = name;
		h->value = sip_trim((struct sip_str){start + k + 1, stop - k - 1});
		h->id = (uint16_t)hdr_id(name.p, name.len);
		h->next = 0;
		h->line = hline;
		msg->nhdrs++;
		if (msg->first[h->id] == 0)
			msg->first[h->id] = (uint16_t)msg->nhdrs;
		else
			msg->hdrs[last[h->id] - 1].next = (uint16_t)msg->nhdrs;
		last[h->id] = (uint16_t)msg->nhdrs;
		if (h->id == SIP_HDR_CONTENT_LENGTH) {
			if (cl_hdr) {
				msg->flags |= SIP_MSG_CL_MULTI;
			} else {
				cl_hdr = h;
				if ((err = parse_content_length(msg, h, &cl)) != 0)
					return err;
			}
		}
		i = eol + 1;
	}
	if (!eoh) {
		if (stream)
			return SIP_EAGAIN;
		if (!(flags & SIP_PARSE_LENIENT))
			return fail(msg, SIP_ESYNTAX, lineno,
			            "the headers do not end with an empty line");
		msg->flags |= SIP_MSG_NO_EOH;
		i = n;
	}

	size_t avail = i < n ? n - i : 0;
	msg->body_line = lineno + 1;
	if (!cl_hdr) {
		msg->flags |= SIP_MSG_NO_CL;
		/* On a stream the length is mandatory (§20.14); read no body. */
		cl = stream ? 0 : avail;
	}
	if (cl > avail) {
		if (stream)
			return SIP_EAGAIN;
		if (!(flags & SIP_PARSE_LENIENT))
			return fail(msg, SIP_ESYNTAX, cl_hdr->line,
			            "Content-Length says %llu, body has %zu bytes",
			            (unsigned long long)cl, avail);
		msg->flags |= SIP_MSG_CL_SHORT;
		cl = avail;
	}
	msg->body = (struct sip_str){start + (n - avail), (size_t)cl};
	msg->trailing = stream ? 0 : avail - (size_t)cl;
	msg->raw = (struct sip_str){start, (n - avail) + (size_t)cl};
	return 0;
}

const struct sip_hdr *sip_msg_hdr(const struct sip_msg *msg, enum sip_hdr_id id)
{
	if ((unsigned)id >= SIP_HDR_COUNT || msg->first[id] == 0)
		return NULL;
	return &msg->hdrs[msg->first[id] - 1];
}

const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *msg, const struct sip_hdr *h)
{
	if (h->id != SIP_HDR_OTHER)
		return h->next ? &msg->hdrs[h->next - 1] : NULL;
	/* Unknown headers share one chain; the next one must also share the name. */
	for (const struct sip_hdr *o = h->next ? &msg->hdrs[h->next - 1] : NULL; o;
	     o = o->next ? &msg->hdrs[o->next - 1] : NULL)
		if (sip_str_ieq(o->name, h->name))
			return o;
	return NULL;
}

const struct sip_hdr *sip_msg_hdr_by_name(const struct sip_msg *msg, struct sip_str name)
{
	enum sip_hdr_id id = sip_hdr_id_from_name(name);
	if (id != SIP_HDR_OTHER)
		return sip_msg_hdr(msg, id);
	for (const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_OTHER); h;
	     h = h->next ? &msg->hdrs[h->next - 1] : NULL)
		if (sip_str_ieq(h->name, name))
			return h;
	return NULL;
}

unsigned sip_msg_hdr_count(const struct sip_msg *msg, enum sip_hdr_id id)
{
	unsigned c = 0;
	/* The id's own chain: for SIP_HDR_OTHER every unknown header, whatever
	 * its name (sip_msg_hdr_next keeps to one name). */
	for (const struct sip_hdr *h = sip_msg_hdr(msg, id); h;
	     h = h->next ? &msg->hdrs[h->next - 1] : NULL)
		c++;
	return c;
}
