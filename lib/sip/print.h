/* sip/print.h - printing a message raw, pretty or as JSON. */
#ifndef SIP_PRINT_H
#define SIP_PRINT_H

#include <sip/base.h>
#include <sip/str.h>
#include <sip/msg.h>
#include <sip/check.h>
#include <sip/transport.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- print ------------------------------------------------------------ */

enum sip_print_format { SIP_PRINT_RAW = 0, SIP_PRINT_PRETTY, SIP_PRINT_JSON };

struct sip_print_opts {
	enum sip_print_format format;
	bool color;
	const struct sip_diag *diags; /* from sip_msg_check, shown with the message */
	size_t ndiags;
	const char *source; /* where the message came from (a file name), or NULL */
	const struct sip_packet_info *packet; /* sent or received: direction, peer, time */
	uint64_t t0_us;                       /* packet times are shown relative to this */
};
SIP_API int sip_msg_print(FILE *f, const struct sip_msg *msg, const struct sip_print_opts *opts);
/* s as a JSON string literal: quotes, escapes, invalid UTF-8 as U+FFFD. */
SIP_API void sip_print_json_str(FILE *f, struct sip_str s);
/* A message that sip_msg_parse refused: its bytes (raw, pretty) or a JSON
 * object with "valid": false, and the problems in opts. */
SIP_API int sip_msg_print_unparsed(FILE *f, struct sip_str raw, const struct sip_print_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
