/* sip/notifier.h - a subscription on the user agent, notifier side (RFC
 * 6665 §4.2): a SUBSCRIBE that arrived, or a REFER and its implicit
 * subscription (RFC 3515, and RFC 4488's Refer-Sub: false for none),
 * answered; a NOTIFY with the current state at once, at each change (one at
 * a time), at each refresh, and a terminated one at the end: an
 * unsubscribe, the expiry, or the caller's. */
#ifndef SIP_NOTIFIER_H
#define SIP_NOTIFIER_H

#include <sip/request.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sip_notifier;

/* How it ended. msg is the answer to the terminated NOTIFY, whatever its
 * status, or err says why none came (SIP_ETIMEDOUT...). */
enum sip_notifier_end {
	SIP_NOTIFIER_END_UNSUBSCRIBED, /* a SUBSCRIBE with Expires: 0, or a fetch (the first one's) */
	SIP_NOTIFIER_END_EXPIRED,      /* no refresh in time: terminated;reason=timeout went */
	/* sip_notifier_terminate's; or a REFER with Refer-Sub: false, at
	 * once with err 0, msg NULL and no NOTIFY sent (sip_notifier_count 0). */
	SIP_NOTIFIER_END_TERMINATED,
	/* A NOTIFY that was not the last answered with a failure (msg: 481,
	 * a challenge the stack had no credentials for...), or unanswered or
	 * not sent (err; msg NULL); or the body handler failed (err: its
	 * failure; msg: the answer to the terminated NOTIFY that went). */
	SIP_NOTIFIER_END_REJECTED,
};
enum sip_notifier_event {
	/* A SUBSCRIBE in the dialog (msg) refreshed it: answered 200 once the
	 * handler returns; a NOTIFY follows. */
	SIP_NOTIFIER_REFRESHED,
	SIP_NOTIFIER_NOTIFIED, /* a NOTIFY's 2xx (msg); a failure ends it instead */
};
/*
 * The state to send: appends the body to body (nothing for none) and sets
 * *content_type (a string that lives on, NULL with no body). Asked each
 * time a NOTIFY goes, so that it carries the state current then. A SIP_E*
 * it returns ends the subscription: that NOTIFY goes without a body as
 * terminated;reason=noresource (the last one's reason, when terminating),
 * and done follows its answer, SIP_NOTIFIER_END_REJECTED with that err
 * (or the end asked for, when terminating) and msg the answer.
 */
typedef int(sip_notifier_body_h)(struct sip_notifier *n, struct sip_buf *body,
                                 const char **content_type, void *arg);
typedef void(sip_notifier_event_h)(struct sip_notifier *n, enum sip_notifier_event ev, int err,
                                   const struct sip_msg *msg, void *arg);
/* The end, once, after which nothing is sent or answered for it; n may be
 * freed from inside any handler. */
typedef void(sip_notifier_done_h)(struct sip_notifier *n, enum sip_notifier_end how, int err,
                                  const struct sip_msg *msg, void *arg);

struct sip_notifier_spec {
	unsigned long expires_max;   /* granted: min(asked, this); also when none asked; 0: 3600 */
	unsigned long expires_min;   /* less asked (not 0): 423 with Min-Expires; 0: no floor */
	unsigned long refer_expires; /* a REFER's implicit subscription; 0: 60 */
	/*
	 * The request arrived in this dialog, already made (a call's:
	 * sip_call_dialog; a REFER in a call, RFC 3515 §2.4.4): the answer and
	 * the NOTIFYs go in it, for a REFER with Event: refer;id=<its CSeq>.
	 * The notifier becomes one more owner of it and takes only the
	 * SUBSCRIBEs of its package and id, leaving the rest to the others.
	 * Borrowed: it must outlive the notifier. NULL: a dialog of the
	 * notifier's own from the request (a fresh To tag), whose other
	 * requests get 405, and SUBSCRIBEs of other packages 481.
	 */
	struct sip_dialog *dialog;
	const char *contact;    /* our Contact; NULL: the address the request reached */
	const char *user_agent; /* on NOTIFYs; NULL: none */
	sip_notifier_body_h *body;
	sip_notifier_event_h *event; /* NULL: none */
	sip_notifier_done_h *done;
	void *arg;
};

/*
 * Takes in, a SUBSCRIBE of any package (the caller refuses those it has
 * no state for with 489 itself) or a REFER, from a sip_ua_accept handler
 * or a dialog owner's, and answers it: a SUBSCRIBE 200 with the Expires
 * granted (0 for a fetch: one NOTIFY, terminated, then the end), a REFER
 * 202 (with Refer-Sub: false when it asked for none). The first NOTIFY
 * goes from the loop. A SUBSCRIBE asking less than expires_min is answered
 * 423 and makes no notifier: 0 with *np NULL. SIP_EINVAL for another
 * method, no body or done handler, a request with a To tag outside
 * spec->dialog, or a SUBSCRIBE without Event; on an error in stays the
 * caller's to answer.
 */
SIP_API int sip_notifier_accept(struct sip_notifier **np, struct sip_ua *ua,
                                struct sip_incoming *in, const struct sip_notifier_spec *spec);
/* The state changed: a NOTIFY goes from the loop. One is out at a time
 * (RFC 6665 §4.2.2): the next waits for its answer, and changes meanwhile
 * make one NOTIFY with the state current when it goes. SIP_EINVAL once
 * terminating or ended. */
SIP_API int sip_notifier_notify(struct sip_notifier *n);
/* Ends it: a NOTIFY with Subscription-State: terminated;reason=reason (a
 * token: "noresource", "rejected", "deactivated"...; NULL: none), with the
 * body as usual; done follows its answer. SIP_EINVAL once terminating or
 * ended, or for a reason that is not a token. */
SIP_API int sip_notifier_terminate(struct sip_notifier *n, const char *reason);
/* Stops it (nothing is sent and no handler called after; a NOTIFY out is
 * abandoned) and frees it. */
SIP_API void sip_notifier_free(struct sip_notifier *n);

/* The package ("presence", "refer"...), without parameters. */
SIP_API const char *sip_notifier_package(const struct sip_notifier *n);
/* Seconds left before it expires (rounded up); 0 once terminating. */
SIP_API unsigned long sip_notifier_expires(const struct sip_notifier *n);
/* NOTIFYs sent so far. */
SIP_API unsigned sip_notifier_count(const struct sip_notifier *n);
/* The dialog it lives in (its own, or the one borrowed). */
SIP_API struct sip_dialog *sip_notifier_dialog(const struct sip_notifier *n);

#ifdef __cplusplus
}
#endif

#endif
