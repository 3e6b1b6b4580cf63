/* ua_int.h - what the user agent's modules (request, call, registration)
 * take from the stack they share; not exported. */
#ifndef SIP_UA_INT_H
#define SIP_UA_INT_H

#include <sip/ua.h>

uint64_t sip_ua_t1(const struct sip_ua *ua);

#endif
