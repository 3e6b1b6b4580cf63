/* sip/uri.h - sip:, sips: and tel: URIs: parse, print, compare, unescape. */
#ifndef SIP_URI_H
#define SIP_URI_H

#include <sip/base.h>
#include <sip/str.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- uri ---------------------------------------------------------------- */

enum sip_uri_scheme { SIP_URI_OTHER = 0, SIP_URI_SIP, SIP_URI_SIPS, SIP_URI_TEL };

struct sip_uri {
	enum sip_uri_scheme scheme;
	struct sip_str scheme_name; /* as written */
	struct sip_str user;        /* sip/sips userinfo, tel number; still %-escaped */
	struct sip_str password;    /* p set and len 0: an empty password ("alice:@host") */
	struct sip_str host;        /* IPv6 references keep their brackets */
	uint16_t port;              /* 0 when absent */
	bool has_port;
	bool host_is_ip6;
	bool host_is_ip4;
	struct sip_str params;  /* after the first ';', before '?'; without the leading ';' */
	struct sip_str headers; /* after '?' */
	struct sip_str opaque;  /* other schemes: everything after "scheme:" */
};
/* Parses sip:, sips:, tel: fully; any other RFC 3986 scheme as opaque. */
SIP_API int sip_uri_parse(struct sip_uri *uri, struct sip_str s);
/* Writes the URI in canonical form, NUL-terminated (cap counts the NUL);
 * returns its length or a SIP_E* code. */
SIP_API int sip_uri_print(const struct sip_uri *uri, char *buf, size_t cap);
/* Equality per RFC 3261 §19.1.4. */
SIP_API bool sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b);
/* Decodes %-escapes into out, NUL-terminated (cap counts the NUL); returns
 * the length or SIP_EESCAPE/SIP_ENOSPC. */
SIP_API int sip_uri_unescape(struct sip_str in, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
