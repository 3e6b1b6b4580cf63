/* ua_int.h - what the user agent's modules (request, call, registration)
 * take from the stack they share; not exported. */
#ifndef SIP_UA_INT_H
#define SIP_UA_INT_H

#include <sip/ua.h>

struct sip_ctx *sip_ua_ctx(struct sip_ua *ua);
uint64_t sip_ua_t1(const struct sip_ua *ua);
/* The credentials the stack has for realm; false when none. */
bool sip_ua_creds_for(struct sip_ua *ua, struct sip_str realm, const char **user,
                      const char **password);
/* r waits for credentials for ch's realm, the handler asked for them; false
 * when there is no handler to ask. */
bool sip_ua_creds_wait(struct sip_ua *ua, struct sip_req *r, const struct sip_challenge *ch);
bool sip_ua_has_auth_handler(const struct sip_ua *ua);
/* r waits no more (answered, ended or freed). */
void sip_ua_creds_forget(struct sip_ua *ua, struct sip_req *r);

#endif
