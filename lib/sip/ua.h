/* ua.h - the user agent: one loop, one context (transport and
 * transactions), one resolver and one trace sink that any number of
 * operations share (requests, calls, registrations, subscriptions), so that
 * the Contact a registration advertises is the socket calls arrive on. */
#ifndef SIP_UA_H
#define SIP_UA_H

#include <sip/auth.h>
#include <sip/dialog.h>
#include <sip/dns.h>
#include <sip/txn.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sip_ua;

struct sip_ua_opts {
	struct sip_ctx_opts ctx; /* transport (its trace handler too), timers, User-Agent */
	const char *dns_server;  /* "host[:port]" to ask; NULL: resolv.conf's */
	/* Transport errors, after the transactions towards that peer had
	 * theirs: a certificate's details, a message that does not parse. */
	sip_tp_err_h *tp_err;
	void *arg;
	/* The loop to run on (a shell's, that several stacks share); NULL: a
	 * loop of its own, freed with the stack. */
	struct sip_loop *loop;
};

/*
 * Makes the stack: a loop of its own, the context on it (its sockets
 * bound), and the resolver. SIP_ESYS (errno set) when a socket cannot be
 * had, SIP_EHOST for a DNS server that is not an address.
 */
SIP_API int sip_ua_new(struct sip_ua **uap, const struct sip_ua_opts *opts);
/* Frees the stack; every operation on it must have been freed first. A
 * request still held gets 503. */
SIP_API void sip_ua_free(struct sip_ua *ua);
/*
 * The operations are over and the stack is about to be freed: a request
 * held gets 503 now, from now on a new request gets 503 without reaching a
 * handler, and a message no transaction takes is dropped, while the
 * transactions still answer the copies of what they answered. Returns the
 * loop time until which turning the loop is worth it, 0 when it is not: a
 * final response sent over UDP and lost is asked for again by the copy of
 * its request that comes T1 later (RFC 3261 section 17.1.2.2), so 2 T1
 * after the last one, a round trip's margin. Timer J would be 64 T1: a
 * command would not end for 32 s.
 */
SIP_API uint64_t sip_ua_closing(struct sip_ua *ua);
/* The loop, for the runner to turn and to add its own descriptors and timers. */
SIP_API struct sip_loop *sip_ua_loop(struct sip_ua *ua);
/* Replaces the trace handler and the transport-error handler the stack was
 * made with (a shell passes each message to the command it belongs to). */
SIP_API void sip_ua_set_handlers(struct sip_ua *ua, sip_trace_h *trace, sip_tp_err_h *tp_err,
                                 void *arg);
/* T1 (0: the default) for the transactions started from now on, and for
 * the refresh timing of registrations and subscriptions. */
SIP_API void sip_ua_set_t1(struct sip_ua *ua, uint64_t t1_us);
/* The local address a message to t leaves from, for Via and Contact (a
 * TCP or TLS connection is opened if none is). */
SIP_API int sip_ua_local(struct sip_ua *ua, const struct sip_target *t, struct sip_sockaddr *local);
/* Sends a message outside any transaction: the ACK for a 2xx (RFC 3261
 * §13.2.2.4). */
SIP_API int sip_ua_send(struct sip_ua *ua, const struct sip_target *t, const char *buf, size_t len);
/* Accepts TCP or TLS connections on the bound address (UDP always receives). */
SIP_API int sip_ua_listen(struct sip_ua *ua, enum sip_tp tp);
/* The bound address of a transport's socket. */
SIP_API int sip_ua_bound(struct sip_ua *ua, enum sip_tp tp, int family, struct sip_sockaddr *local);
/* Subject, issuer and expiry of the certificate a TLS peer showed; the length, or SIP_E*. */
SIP_API int sip_ua_tls_peer(struct sip_ua *ua, const struct sip_sockaddr *remote, char *buf,
                            size_t cap);
/* ---- incoming requests ---- */

/* A request that arrived, held by the stack until its final response. */
struct sip_incoming;
/*
 * A request for the handler: it returns true when it takes it (answered it
 * with sip_incoming_respond, or will later), false to leave it to the next
 * handler; the last answers as sip_incoming_default does. req lives while
 * the request is held.
 */
typedef bool(sip_incoming_h)(struct sip_incoming *in, const struct sip_msg *req, void *arg);
typedef void(sip_incoming_cancel_h)(struct sip_incoming *in, void *arg);

/* Requests of method (NULL: any) outside a dialog, or in one the stack does
 * not know (a To tag says so), go to h, the handlers added later asked
 * first. */
SIP_API int sip_ua_accept(struct sip_ua *ua, const char *method, sip_incoming_h *h, void *arg);
SIP_API void sip_ua_accept_remove(struct sip_ua *ua, sip_incoming_h *h, void *arg);
/*
 * Requests in dialog d (its Call-ID and tags) go to h; so do the messages
 * of d no transaction takes (an ACK for a 2xx, a 2xx again) to stray
 * (NULL: none). A dialog may have several owners, each added with its own
 * arg (a call, and the subscription of a REFER sent in the call): a
 * request goes to each owner in turn, the one added last first, until a
 * handler takes it; strays go to the first owner with a stray handler.
 * Requests in a dialog whose owners all leave them, or that nobody added,
 * get 481; one whose CSeq is not above the last the far end sent in d
 * gets 500 (RFC 3261 §12.2.2), and no owner sees it. The dialog must stay
 * until every owner has removed itself.
 */
SIP_API int sip_ua_dialog_add(struct sip_ua *ua, struct sip_dialog *d, sip_incoming_h *h,
                              sip_recv_h *stray, void *arg);
/* The owner of d that was added with arg leaves it; the others stay. */
SIP_API void sip_ua_dialog_remove(struct sip_ua *ua, const struct sip_dialog *d, void *arg);
/* What no transaction and no dialog takes: a 2xx of another fork, a response to nothing. */
SIP_API void sip_ua_stray(struct sip_ua *ua, sip_recv_h *h, void *arg);

/* The request, while it is held; where it came from. */
SIP_API const struct sip_msg *sip_incoming_request(const struct sip_incoming *in);
SIP_API const struct sip_packet_info *sip_incoming_packet(const struct sip_incoming *in);
/* Answers it: a 1xx keeps it held, a final response ends it (in is gone). */
SIP_API int sip_incoming_respond(struct sip_incoming *in, const struct sip_response_spec *spec);
/* The stack's own answer: 200 to OPTIONS (Allow, Supported, Accept), 481
 * in a dialog, 405 otherwise. in is gone. */
SIP_API int sip_incoming_default(struct sip_incoming *in);
/* A CANCEL ended it (the CANCEL got 200, the INVITE 487): h is told, and
 * then in is gone. */
SIP_API void sip_incoming_on_cancel(struct sip_incoming *in, sip_incoming_cancel_h *h, void *arg);

/* ---- credentials ---- */

/*
 * A challenge for a realm the stack has no credentials for, from a request
 * with no auth handler of its own: the caller gives them with
 * sip_ua_credentials, now or later (after a prompt), and the requests
 * challenged meanwhile wait for them; the handler is not asked again for a
 * realm while they wait. Without a handler, such a challenge is the
 * request's final response.
 */
typedef void(sip_ua_auth_h)(struct sip_ua *ua, const struct sip_challenge *ch, void *arg);
SIP_API void sip_ua_auth_handler(struct sip_ua *ua, sip_ua_auth_h *h, void *arg);
/*
 * Credentials for realm (NULL: any realm): the requests waiting for them go
 * again with their answer, and later challenges are answered at once. A
 * NULL user refuses: the waiting requests end with their challenge. The
 * password is kept until replaced or the stack is freed, then wiped.
 */
SIP_API int sip_ua_credentials(struct sip_ua *ua, const char *realm, const char *user,
                               const char *password);
/* The same for the requests of account (sip_req_spec's): the stack keeps
 * each account's apart, so that operations of several users share it. */
SIP_API int sip_ua_credentials_for(struct sip_ua *ua, const void *account, const char *realm,
                                   const char *user, const char *password);
/* In the auth handler: the account of the request challenged. */
SIP_API const void *sip_ua_auth_account(const struct sip_ua *ua);

/* Forgets every credential given (wiped): the next challenge of each realm
 * asks the handler again, as for a new account. */
SIP_API void sip_ua_credentials_clear(struct sip_ua *ua);

/* Resolves uri per RFC 3263 on the stack's resolver (sip_resolve). */
SIP_API int sip_ua_resolve(struct sip_ua *ua, const struct sip_uri *uri,
                           const struct sip_resolve_opts *opts, sip_resolve_h *h, void *arg);
/* Its handler is not called after this. */
SIP_API void sip_ua_resolve_cancel(struct sip_ua *ua, sip_resolve_h *h, void *arg);

#ifdef __cplusplus
}
#endif

#endif
