/* sip/str.h - slices of a caller's buffer (struct sip_str): comparison, trimming,
 * checked number parsing. */
#ifndef SIP_STR_H
#define SIP_STR_H

#include <sip/base.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- str: slices ------------------------------------------------------ */

struct sip_str {
	const char *p;
	size_t len;
};
#define SIP_STR(lit) ((struct sip_str){(lit), sizeof(lit) - 1})
#define SIP_STR_FMT(s) (int)(s).len, (s).p /* printf("%.*s", SIP_STR_FMT(s)) */

SIP_API struct sip_str sip_str_from(const char *cstr);
SIP_API bool sip_str_eq(struct sip_str a, struct sip_str b);
/* Case-insensitive (ASCII) equality. */
SIP_API bool sip_str_ieq(struct sip_str a, struct sip_str b);
SIP_API bool sip_str_ieq_cstr(struct sip_str a, const char *b);
/* Strips LWS (SP, HT and folded line breaks) from both ends. */
SIP_API struct sip_str sip_str_trim(struct sip_str s);
/* Decimal digits only (leading zeros allowed), value <= max. */
SIP_API int sip_str_to_u64(struct sip_str s, uint64_t max, uint64_t *out);
SIP_API int sip_str_to_u32(struct sip_str s, uint32_t *out);

#ifdef __cplusplus
}
#endif
#endif
