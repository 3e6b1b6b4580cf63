/* sip_int.h - helpers shared by the library's modules, not exported. */
#ifndef SIP_INT_H
#define SIP_INT_H

#include <stdlib.h>
#include <string.h>

#include "banned.h"
#include <sip/sip.h>

/* Character classes, one table lookup per test on the parser's hot paths. */
#define SIP_C_TOKEN 1   /* RFC 3261 token: alphanum and -.!%*_+`'~ */
#define SIP_C_LWS 2     /* SP, HT, CR, LF */
#define SIP_C_SPECIAL 4 /* what a list scan stops at: " < > , */
#define SIP_C_DIGIT 8
#define SIP_C_ALPHA 16
#define SIP_C_HEX 32
#define SIP_C_PVALUE 64 /* a parameter value's unquoted form: token, ':', '[', ']' */
#define SIP_C_HOST 128  /* a hostname or IPv4 address: alphanum, '-', '.' */
extern const unsigned char sip_ctype[256];

static inline bool sip_is(char c, unsigned cls)
{
	return sip_ctype[(unsigned char)c] & cls;
}

static inline char sip_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static inline bool sip_is_digit(char c)
{
	return sip_is(c, SIP_C_DIGIT);
}

static inline bool sip_is_alpha(char c)
{
	return sip_is(c, SIP_C_ALPHA);
}

static inline bool sip_is_hex(char c)
{
	return sip_is(c, SIP_C_HEX);
}

static inline bool sip_is_token_char(char c)
{
	return sip_is(c, SIP_C_TOKEN);
}

/* A non-empty run of token characters. */
static inline bool sip_is_token(struct sip_str s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (!sip_is_token_char(s.p[i]))
			return false;
	return true;
}

/* v in decimal at o (room for 10); returns the digits written. */
static inline size_t sip_put_decimal(char *o, unsigned v)
{
	char t[10];
	size_t n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		o[i] = t[n - 1 - i];
	return n;
}

/* The strings of parts, one after the other, into buf; SIP_ENOSPC when
 * they do not fit. No printf: a flood builds these thousands of times. */
static inline int sip_join(char *buf, size_t cap, const char *const *parts, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(parts[i]);
		if (len + k >= cap)
			return SIP_ENOSPC;
		memcpy(buf + len, parts[i], k);
		len += k;
	}
	buf[len] = '\0';
	return (int)len;
}

/* len bytes of s, NUL-terminated, at *o, which moves past them; the copy
 * (NULL for a NULL s). For an operation's own block of the caller's strings. */
static inline const char *sip_put(char **o, const char *s, size_t len)
{
	if (!s)
		return NULL;
	char *d = *o;
	memcpy(d, s, len);
	d[len] = '\0';
	*o += len + 1;
	return d;
}

static inline const char *sip_put_str(char **o, const char *s)
{
	return s ? sip_put(o, s, strlen(s)) : NULL;
}

/* A dialog a NOTIFY made before the SUBSCRIBE's 2xx (RFC 6665 §4.1.2.4)
 * counts its requests on from that SUBSCRIBE's CSeq (at least cseq). */
void sip_dialog_set_local_cseq(struct sip_dialog *d, uint32_t cseq);
/* True the first time it is asked of d: the first REFER sent in a dialog
 * owns the NOTIFYs of the refer package that name no id (RFC 3515 §2.4.6). */
bool sip_dialog_first_refer(struct sip_dialog *d);
/* The far end's request req is in order in d: its CSeq is above the last
 * one recorded (none yet: any), and is now the last. False when it is
 * not, or has none (RFC 3261 §12.2.2). */
bool sip_dialog_take_cseq(struct sip_dialog *d, const struct sip_msg *req);

/* A URI of one's own: in printed into buf, out parsed from there. */
int sip_uri_copy(const struct sip_uri *in, char *buf, size_t cap, struct sip_uri *out);

void sip_transport_set_trace(struct sip_transport *tp, sip_trace_h *trace, void *arg);
void sip_ctx_set_tp_err(struct sip_ctx *c, sip_tp_err_h *tp_err, void *arg);
/* T1 for the transactions started from now on; T2 at least as long. */
void sip_ctx_set_t1(struct sip_ctx *c, uint64_t t1_us);

/* An operation's Call-ID: the caller's (SIP_EINVAL when it does not fit
 * in cap), or a fresh random one. */
int sip_call_id_init(char *out, size_t cap, const char *given);

/* A copy of s on the heap, NULL when out of memory. */
static inline char *sip_dup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

/* Frees a secret, overwritten first, and forgets it. */
static inline void sip_wipe(char **s)
{
	if (*s) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

size_t sip_lws_skip_slow(struct sip_str s);

/* Text for a terminal, control characters shown as '?' (print.c). */
void sip_print_safe(FILE *f, struct sip_str s);

/* The message's Content-Type is application/sdp (print and ladder annotate it). */
bool sip_msg_is_sdp(const struct sip_msg *m);

/* SIP_HOT_INLINE: for a helper of a hot loop that a cold public function
 * calls too, which would otherwise keep it out of line. SIP_NOINLINE: for
 * the rare path of a hot loop, whose registers it would otherwise take. */
#if defined(__GNUC__)
#define SIP_HOT_INLINE __attribute__((always_inline)) inline
#define SIP_NOINLINE __attribute__((noinline))
#else
#define SIP_HOT_INLINE inline
#define SIP_NOINLINE
#endif

/* Unaligned loads, one instruction each where the target allows it. */
static inline uint64_t sip_load64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline uint32_t sip_load32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline uint16_t sip_load16(const char *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

/* p[0..n) equals q[0..n) (n >= 2) once each byte of p is OR-ed with the
 * matching byte of fold (0, or 0x20 in each byte to lower letters). A word
 * at a time, the last one ending at the last byte: nothing beyond the n
 * bytes is read. */
static inline bool sip_eq_or(const char *p, const char *q, size_t n, uint64_t fold)
{
	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8)
			if ((sip_load64(p + i) | fold) != sip_load64(q + i))
				return false;
		/* Each caller has checked that q holds n bytes (its length is
		 * known), which cppcheck cannot follow through the table. */
		/* cppcheck-suppress pointerOutOfBoundsCond */
		return (sip_load64(p + n - 8) | fold) == sip_load64(q + n - 8);
	}
	if (n >= 4)
		return (sip_load32(p) | (uint32_t)fold) == sip_load32(q) &&
		       (sip_load32(p + n - 4) | (uint32_t)fold) == sip_load32(q + n - 4);
	return (uint16_t)(sip_load16(p) | (uint16_t)fold) == sip_load16(q) &&
	       (uint16_t)(sip_load16(p + n - 2) | (uint16_t)fold) == sip_load16(q + n - 2);
}

#define SIP_FOLD 0x2020202020202020u

/* a equals the literal lc, which is lower-case letters only (for them
 * OR-ing 0x20 is exactly sip_lower), in any case. */
#define SIP_IEQ_LETTERS(a, lc)                                                                     \
	((a).len == sizeof(lc) - 1 && sip_eq_or((a).p, (lc), sizeof(lc) - 1, SIP_FOLD))

/* Length of the LWS (including folded line breaks) at the start of s.
 * None and a single space are the common cases and are settled here. */
static inline size_t sip_lws_skip(struct sip_str s)
{
	if (s.len == 0 || !sip_is(s.p[0], SIP_C_LWS))
		return 0;
	if (s.p[0] == ' ' && (s.len == 1 || !sip_is(s.p[1], SIP_C_LWS)))
		return 1;
	return sip_lws_skip_slow(s);
}

/* Both leave an empty slice alone: its pointer may be NULL, and even a
 * zero offset from NULL is undefined. */
static inline struct sip_str sip_str_advance(struct sip_str s, size_t n)
{
	if (n) {
		s.p += n;
		s.len -= n;
	}
	return s;
}

static inline struct sip_str sip_str_skip_lws(struct sip_str s)
{
	return sip_str_advance(s, sip_lws_skip(s));
}

/* sip_str_trim and sip_str_ieq, inline for the parsers: most values have
 * one blank to trim, and most names compared differ in length. */
static inline struct sip_str sip_trim(struct sip_str s)
{
	s = sip_str_skip_lws(s);
	while (s.len && sip_is(s.p[s.len - 1], SIP_C_LWS))
		s.len--;
	return s;
}

static inline bool sip_ieq(struct sip_str a, struct sip_str b)
{
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if (sip_lower(a.p[i]) != sip_lower(b.p[i]))
			return false;
	return true;
}

/* sip_str_to_u64, inline: the parsers read short numbers against a
 * constant bound. */
static inline int sip_to_u64(struct sip_str s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (s.len == 0)
		return SIP_ESYNTAX;
	for (size_t i = 0; i < s.len; i++) {
		unsigned d = (unsigned char)s.p[i] - '0';
		if (d > 9)
			return SIP_ESYNTAX;
		/* Nineteen digits stay below 2^64: only the twentieth can overflow. */
		if (i >= 19 && v > (UINT64_MAX - d) / 10)
			return SIP_ERANGE;
		v = v * 10 + d;
	}
	if (v > max)
		return SIP_ERANGE;
	*out = v;
	return 0;
}

static inline size_t sip_token_len(struct sip_str s)
{
	size_t i = 0;
	while (i < s.len && sip_is_token_char(s.p[i]))
		i++;
	return i;
}

/* A control character that text in SIP may not carry: RFC 3261 §25.1's
 * qdtext and Reason-Phrase take HTAB alone of them. */
static inline bool sip_is_ctl(char c)
{
	unsigned char u = (unsigned char)c;
	return (u < 0x20 && u != '\t') || u == 0x7f;
}

/* Length of the quoted string at s (s.p[0] == '"'), quotes included, or 0
 * when it does not end. */
static inline size_t sip_quoted_len(struct sip_str s)
{
	for (size_t i = 1; i < s.len; i++) {
		if (s.p[i] == '\\')
			i++;
		else if (s.p[i] == '"')
			return i + 1;
	}
	return 0;
}

static inline struct sip_str sip_str_sub(struct sip_str s, size_t from, size_t to)
{
	struct sip_str r = {s.p + from, to - from};
	return r;
}

#endif
