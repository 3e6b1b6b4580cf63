/* sip_int.h - helpers shared by the library's modules, not exported. */
#ifndef SIP_INT_H
#define SIP_INT_H

#include "banned.h"
#include "sip.h"

static inline char sip_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static inline bool sip_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool sip_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool sip_is_hex(char c)
{
	return sip_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3261 token characters: alphanum and -.!%*_+`'~ */
bool sip_is_token_char(char c);
/* Length of the LWS (including folded line breaks) at the start of s. */
size_t sip_lws_skip(struct sip_str s);

static inline struct sip_str sip_str_sub(struct sip_str s, size_t from, size_t to)
{
	struct sip_str r = {s.p + from, to - from};
	return r;
}

#endif
