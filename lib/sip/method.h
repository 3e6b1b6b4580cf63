/* sip/method.h - request methods and response status codes: names, default
 * reason phrases, what a code means. */
#ifndef SIP_METHOD_H
#define SIP_METHOD_H

#include <sip/base.h>
#include <sip/str.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- methods and status codes ---------------------------------------- */

enum sip_method {
	SIP_METHOD_OTHER = 0,
	SIP_INVITE,
	SIP_ACK,
	SIP_BYE,
	SIP_CANCEL,
	SIP_OPTIONS,
	SIP_REGISTER,
	SIP_PRACK,
	SIP_UPDATE,
	SIP_REFER,
	SIP_SUBSCRIBE,
	SIP_NOTIFY,
	SIP_MESSAGE,
	SIP_INFO,
	SIP_PUBLISH,
	SIP_METHOD_COUNT
};
/* Method names are case-sensitive (RFC 3261 §7.1). */
SIP_API enum sip_method sip_method_from_str(struct sip_str s);
SIP_API const char *sip_method_name(enum sip_method m); /* NULL for OTHER */

/* Default reason phrase ("Busy Here"), or NULL for an unknown code. */
SIP_API const char *sip_status_reason(unsigned code);
/* What the code means to a troubleshooter ("the callee is busy"). */
SIP_API const char *sip_status_meaning(unsigned code);

#ifdef __cplusplus
}
#endif
#endif
