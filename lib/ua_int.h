/* ua_int.h - what the user agent's modules (request, call, registration)
 * take from the stack they share; not exported. */
#ifndef SIP_UA_INT_H
#define SIP_UA_INT_H

#include <sip/ua.h>

struct sip_ctx *sip_ua_ctx(struct sip_ua *ua);
uint64_t sip_ua_t1(const struct sip_ua *ua);
/* TLS without verification (--insecure). */
bool sip_ua_insecure(const struct sip_ua *ua);
/* The credentials the stack has for realm; false when none. */
bool sip_ua_creds_for(struct sip_ua *ua, const void *account, struct sip_str realm,
                      const char **user, const char **password);
/* The account of r's spec. */
const void *sip_req_account(const struct sip_req *r);
/* r waits for credentials for ch's realm, the handler asked for them; false
 * when there is no handler to ask. */
bool sip_ua_creds_wait(struct sip_ua *ua, struct sip_req *r, const struct sip_challenge *ch);
bool sip_ua_has_auth_handler(const struct sip_ua *ua);
/* r waits no more (answered, ended or freed). */
void sip_ua_creds_forget(struct sip_ua *ua, struct sip_req *r);
/* What a request leaving from local over tp says of us: the host for Via,
 * the default From and Contact (of user, "sip" when NULL). The last ones
 * are kept: a flood asks for the same thousands of times. Valid until the
 * next call. */
/* Our Via host and port (0: none, a WebSocket client's), From and Contact. */
struct sip_ua_me {
	char host[64], from[80], contact[300];
	uint16_t port;
};
int sip_ua_me(struct sip_ua *ua, const struct sip_sockaddr *local, enum sip_tp tp, const char *user,
              const struct sip_ua_me **me);
/* Our Contact as the sender of a request that arrived (pi) sees us: the
 * address its answers and our requests in its dialog leave from. */
int sip_ua_contact_for(struct sip_ua *ua, const struct sip_packet_info *pi, char *buf, size_t cap);
/* Responses no transaction and no dialog takes whose Call-ID and From tag
 * are a call's (the 2xx of another fork) go to h. */
int sip_ua_leg_add(struct sip_ua *ua, const char *call_id, const char *tag, sip_recv_h *h,
                   void *arg);
void sip_ua_leg_remove(struct sip_ua *ua, sip_recv_h *h, void *arg);
/* When to refresh what was granted for s seconds (a binding, a
 * subscription): well before it lapses (RFC 3261 §10.2.4, RFC 6665
 * §4.1.2.2), halfway for a short one. */
uint64_t sip_ua_refresh_us(unsigned long s);

#endif
