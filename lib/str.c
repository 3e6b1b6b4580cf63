/* str.c - slices, case-insensitive comparison, checked number parsing,
 * error names and method names. */
#include <string.h>

#include <sip/sip.h>
#include "sip_int.h"

const char *sip_strerror(int err)
{
	switch (err) {
	case SIP_OK: return "success";
	case SIP_EINVAL: return "invalid argument";
	case SIP_ENOMEM: return "out of memory";
	case SIP_EAGAIN: return "incomplete message";
	case SIP_ETOOBIG: return "too large";
	case SIP_ERANGE: return "number out of range";
	case SIP_ESYNTAX: return "syntax error";
	case SIP_EQUOTE: return "unterminated quoted string";
	case SIP_EEMPTY: return "empty value";
	case SIP_EHOST: return "bad host";
	case SIP_EPORT: return "bad port";
	case SIP_ESCHEME: return "unsupported URI scheme";
	case SIP_EESCAPE: return "bad %-escape";
	case SIP_ENOSPC: return "buffer too small";
	case SIP_EDISPLAY: return "display name with special characters must be quoted";
	case SIP_EANGLE: return "URI in <> is not closed or has whitespace inside the brackets";
	case SIP_EBARE: return "URI with a '?' or ',' must be enclosed in <>";
	case SIP_EPARAM: return "empty or malformed parameter";
	case SIP_ENOTFOUND: return "no DNS records";
	case SIP_EDNS: return "DNS server failure";
	case SIP_ETIMEDOUT: return "timed out";
	case SIP_EREFUSED: return "connection refused";
	case SIP_ENET: return "network unreachable";
	case SIP_ETLS: return "TLS failure";
	case SIP_ECLOSED: return "connection closed by the peer";
	case SIP_ESYS: return "system error";
	case SIP_EDROPPED: return "a message that does not parse was dropped";
	case SIP_ECANCELED: return "cancelled";
	case SIP_EIDENTITY: return "a response that is not the request's";
	case SIP_EWS: return "WebSocket handshake refused";
	}
	return "unknown error";
}

/* Bits are SIP_C_*; octets from 0x80 up are in no class. */
const unsigned char sip_ctype[256] = {
	0,   0,   0,   0,   0,   0,   0,   0,   0,   2,   2,   0,   0,   2,   0,   0,
	0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
	2,   65,  4,   0,   0,   65,  0,   65,  0,   0,   65,  65,  4,   193, 193, 0,
	233, 233, 233, 233, 233, 233, 233, 233, 233, 233, 64,  0,   4,   0,   4,   0,
	0,   241, 241, 241, 241, 241, 241, 209, 209, 209, 209, 209, 209, 209, 209, 209,
	209, 209, 209, 209, 209, 209, 209, 209, 209, 209, 209, 64,  0,   64,  0,   65,
	65,  241, 241, 241, 241, 241, 241, 209, 209, 209, 209, 209, 209, 209, 209, 209,
	209, 209, 209, 209, 209, 209, 209, 209, 209, 209, 209, 0,   0,   0,   65,  0,
};

struct sip_str sip_str_from(const char *cstr)
{
	struct sip_str s = {cstr, cstr ? strlen(cstr) : 0};
	return s;
}

bool sip_str_eq(struct sip_str a, struct sip_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool sip_str_ieq(struct sip_str a, struct sip_str b)
{
	return sip_ieq(a, b);
}

bool sip_str_ieq_cstr(struct sip_str a, const char *b)
{
	return sip_str_ieq(a, sip_str_from(b));
}

/* A folded line break (CRLF or LF followed by SP/HT) counts as LWS. */
static size_t lws_at(const char *p, size_t n)
{
	if (n && (p[0] == ' ' || p[0] == '\t'))
		return 1;
	if (n >= 3 && p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t'))
		return 3;
	if (n >= 2 && p[0] == '\n' && (p[1] == ' ' || p[1] == '\t'))
		return 2;
	return 0;
}

size_t sip_lws_skip_slow(struct sip_str s)
{
	size_t i = 0, k;
	while ((k = lws_at(s.p + i, s.len - i)) > 0)
		i += k;
	return i;
}

struct sip_str sip_str_trim(struct sip_str s)
{
	return sip_trim(s);
}

int sip_str_to_u64(struct sip_str s, uint64_t max, uint64_t *out)
{
	return sip_to_u64(s, max, out);
}

int sip_str_to_u32(struct sip_str s, uint32_t *out)
{
	uint64_t v;
	int err = sip_to_u64(s, UINT32_MAX, &v);
	if (err == 0)
		*out = (uint32_t)v;
	return err;
}

static const char *const method_names[SIP_METHOD_COUNT] = {
	[SIP_INVITE] = "INVITE",       [SIP_ACK] = "ACK",         [SIP_BYE] = "BYE",
	[SIP_CANCEL] = "CANCEL",       [SIP_OPTIONS] = "OPTIONS", [SIP_REGISTER] = "REGISTER",
	[SIP_PRACK] = "PRACK",         [SIP_UPDATE] = "UPDATE",   [SIP_REFER] = "REFER",
	[SIP_SUBSCRIBE] = "SUBSCRIBE", [SIP_NOTIFY] = "NOTIFY",   [SIP_MESSAGE] = "MESSAGE",
	[SIP_INFO] = "INFO",           [SIP_PUBLISH] = "PUBLISH",
};

enum sip_method sip_method_from_str(struct sip_str s)
{
	/* Every message is looked up twice (request line, CSeq): the length
	 * and first letter leave one candidate to compare. A method added to
	 * method_names must be added here too (the unit tests go through all). */
	enum sip_method m;
	switch (s.len) {
	case 3: m = s.p[0] == 'A' ? SIP_ACK : SIP_BYE; break;
	case 4: m = SIP_INFO; break;
	case 5: m = s.p[0] == 'P' ? SIP_PRACK : SIP_REFER; break;
	case 6:
		m = s.p[0] == 'I'   ? SIP_INVITE
		    : s.p[0] == 'C' ? SIP_CANCEL
		    : s.p[0] == 'U' ? SIP_UPDATE
		                    : SIP_NOTIFY;
		break;
	case 7: m = s.p[0] == 'O' ? SIP_OPTIONS : s.p[0] == 'M' ? SIP_MESSAGE : SIP_PUBLISH; break;
	case 8: m = SIP_REGISTER; break;
	case 9: m = SIP_SUBSCRIBE; break;
	default: return SIP_METHOD_OTHER;
	}
	return sip_eq_or(s.p, method_names[m], s.len, 0) ? m : SIP_METHOD_OTHER;
}

const char *sip_method_name(enum sip_method m)
{
	return (m > 0 && m < SIP_METHOD_COUNT) ? method_names[m] : NULL;
}
