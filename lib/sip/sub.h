/* sub.h - a subscription on the user agent, subscriber side (RFC 6665):
 * a SUBSCRIBE, or a REFER and its implicit subscription (RFC 3515, and
 * RFC 4488's Refer-Sub: false for none), and every subscription its
 * answers make: each NOTIFY answered and handed over with its
 * Subscription-State parsed, refreshed before expiry, asked again after a
 * 423, ended by a terminated NOTIFY, a 481 or want of any NOTIFY, and
 * unsubscribed (Expires: 0) when stopped. */
#ifndef SIP_SUB_H
#define SIP_SUB_H

#include <sip/request.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sip_sub;

/* Subscription-State (RFC 6665 §8.2.3). */
enum sip_substate {
	SIP_SUBSTATE_OTHER = 0, /* an extension value: treated as pending (§4.1.3) */
	SIP_SUBSTATE_ACTIVE,
	SIP_SUBSTATE_PENDING,
	SIP_SUBSTATE_TERMINATED,
};
struct sip_substate_hdr {
	enum sip_substate state;
	struct sip_str value;  /* the state as written */
	struct sip_str reason; /* empty when none (terminated only) */
	long expires;          /* seconds; -1 when absent */
	long retry_after;      /* seconds; -1 when absent */
};
/* Parses a Subscription-State value; its slices point into value. */
SIP_API int sip_substate_parse(struct sip_substate_hdr *ss, struct sip_str value);

/*
 * One operation may make several subscriptions: a SUBSCRIBE forked by a
 * proxy gets NOTIFYs from each notifier, each its own dialog (§4.1.2.4).
 * The handlers name each by its number: 1 for the first one made (by the
 * 2xx or the first NOTIFY, whichever came first), then 2, 3... in order.
 * A NOTIFY with a new From tag makes one for 64*T1 after the first was
 * made, the time the SUBSCRIBE may take to reach every branch; later it
 * gets 481.
 */
enum sip_sub_event {
	SIP_SUB_ACCEPTED, /* the 2xx to the SUBSCRIBE or REFER (msg), making n */
	/* A 423 (msg) to the first request (n 0) or to n's refresh: asked
	 * again with its Min-Expires. */
	SIP_SUB_TOO_BRIEF,
	SIP_SUB_REFRESHED, /* subscription n's refresh got its 2xx (msg) */
	/*
	 * Subscription n ended; the why in sip_sub_reason(): the reason= of a
	 * terminated NOTIFY (msg, "" when it gave none), "481" for a refresh
	 * or unsubscribe answered 481 (msg), the status of another final
	 * response to a refresh (msg; or to the first request, for a
	 * subscription a NOTIFY made before it), "timeout" when no NOTIFY
	 * came within 64*T1 of the 2xx, or no final one within 64*T1 of the
	 * unsubscribe, or a request that got no answer (err SIP_ETIMEDOUT),
	 * or sip_strerror(err) for another failure (err).
	 */
	SIP_SUB_ENDED,
	/*
	 * A NOTIFY (msg) refused, err the status it is answered with once the
	 * handler returns: 400 for no or a malformed Subscription-State or no
	 * From tag, 489 for an Event not the subscription's (package or id),
	 * 481 from a notifier whose subscription has ended, or a new one after
	 * sip_sub_stop or after the 64*T1 given to forks, 500 when out of memory.
	 * n is the subscription it was for, 0 when it names none (the first
	 * NOTIFY of a notifier). The why, in words, is sip_sub_notify_why()
	 * while the handler runs. It changes nothing: a subscription whose
	 * NOTIFYs are all refused ends as one that had none.
	 */
	SIP_SUB_NOTIFY_REJECTED,
};
typedef void(sip_sub_event_h)(struct sip_sub *s, enum sip_sub_event ev, unsigned n, int err,
                              const struct sip_msg *msg, void *arg);
/* A NOTIFY of subscription n, answered 200 when this returns, with its
 * Subscription-State; the SIP_SUB_ENDED of a terminated one follows. The
 * body is the caller's to decode (message/sipfrag for a REFER). */
typedef void(sip_sub_notify_h)(struct sip_sub *s, unsigned n, const struct sip_msg *notify,
                               const struct sip_substate_hdr *state, void *arg);
/*
 * The end, once, after which nothing is sent or answered for it:
 *  - resp, err 0: the SUBSCRIBE or REFER was refused (a final response
 *    other than 2xx, or a 423 whose Min-Expires was no help);
 *  - resp 2xx, err 0: a REFER with no_refer_sub was accepted;
 *  - resp 2xx, err: a 2xx that makes no subscription: SIP_ESYNTAX for
 *    one without a To tag, a protocol error (each subscription a NOTIFY
 *    made before it ends with the same err);
 *  - resp NULL, err: it got no final response (SIP_ETIMEDOUT...);
 *  - resp NULL, err 0 or SIP_ETIMEDOUT: every subscription made has
 *    ended (each told by SIP_SUB_ENDED), err that of the last one.
 * s may be freed from inside any handler.
 */
typedef void(sip_sub_done_h)(struct sip_sub *s, int err, const struct sip_msg *resp, void *arg);

struct sip_sub_spec {
	bool refer; /* REFER (event "refer") instead of SUBSCRIBE */
	/* SUBSCRIBE: the package, with parameters if any ("presence",
	 * "dialog;sla"); NULL for a REFER. */
	const char *event;
	const char *accept; /* Accept; NULL: none */
	/* SUBSCRIBE's Expires, 0 for a fetch. A REFER sends none; its
	 * refreshes ask for this, or when 0 for what the notifier granted. */
	unsigned long expires;
	/* REFER: the Refer-To value as it goes on the wire (a Replaces in
	 * its URI already escaped). */
	const char *refer_to;
	bool no_refer_sub;         /* REFER: Refer-Sub: false, no subscription (RFC 4488) */
	const struct sip_uri *uri; /* the Request-URI, and the To unless to is given */
	/*
	 * Or in this dialog, already made (sip_call_dialog: a transfer in a
	 * call, RFC 3515 §2.4.4): the request goes in it (its CSeq, route set
	 * and remote target; uri, from, to are not read), and so do the
	 * refreshes and the unsubscribe. It makes one subscription and no
	 * forks: the NOTIFYs in the dialog of its package, for a REFER with
	 * "id=" its CSeq (or with no id at all, when it was the first REFER
	 * sent in the dialog), go to it, anything else in the dialog to the
	 * dialog's other owners. The dialog is borrowed: ending or freeing the
	 * sub leaves it alone, and it must outlive the sub (free the sub
	 * first, then the call). A call that ends meanwhile ends nothing here:
	 * the notifier says so, or the refresh gets its 481. Give the call's
	 * contact (or contact_user) and proxy too: a SUBSCRIBE is a target
	 * refresh, and the dialog's requests go where the call's do.
	 */
	struct sip_dialog *dialog;
	/* Where the first request goes, as in sip_req_spec (in a dialog: its
	 * next hop unless targets or proxy say otherwise); later ones follow
	 * the dialog. */
	const struct sip_target *targets;
	size_t ntargets;
	const struct sip_uri *proxy;
	int transport;
	int family;
	const char *from, *to;    /* NULL: sip_req_spec's defaults */
	const char *contact;      /* NULL: <sip:USER@LOCAL:PORT;transport=...> */
	const char *contact_user; /* USER of that Contact: "sip" */
	int max_forwards;
	const char *user_agent;
	const char *call_id;                 /* NULL: a fresh one; else under 40 characters */
	const struct sip_build_hdr *headers; /* on every request; copied */
	size_t nheaders;
	uint64_t timeout_us; /* each request's, as sip_req_spec's */
	sip_req_auth_h *auth;
	const void *account; /* as sip_req_spec's */
	sip_req_failover_h *failover;
	sip_sub_event_h *event_h;
	sip_sub_notify_h *notify;
	sip_sub_done_h *done;
	void *arg;
};

/* Starts it; the handlers run from the loop, never from inside this call.
 * SIP_EINVAL for neither uri nor dialog, no done, a SUBSCRIBE without
 * event or a REFER without refer_to, an event that does not parse as
 * Event's value, or one over the lengths its lines have room for: the
 * package (the token before any ';') 64 characters or more, or the whole
 * value more than 250. */
SIP_API int sip_sub_start(struct sip_sub **sp, struct sip_ua *ua, const struct sip_sub_spec *spec);
/*
 * Unsubscribes: each live subscription gets a SUBSCRIBE with Expires: 0
 * and ends at its terminated NOTIFY, its 481 or other final failure, or
 * 64*T1 later (SIP_ETIMEDOUT); done follows the last. A first request
 * still unanswered is waited for (its transaction's timeout bounds that),
 * and what its 2xx makes is unsubscribed at once. NOTIFYs of new forks
 * get 481 from now on. SIP_EINVAL after done, or when already stopping.
 */
SIP_API int sip_sub_stop(struct sip_sub *s);
/* Stops it (no handler is called after, nothing is sent: a live
 * subscription is left to lapse at the notifier) and frees it. */
SIP_API void sip_sub_free(struct sip_sub *s);

/* The expiry granted, in seconds: by the last 2xx's Expires or
 * Subscription-State's expires=, whichever came last; 0 before. */
SIP_API unsigned long sip_sub_expires(const struct sip_sub *s, unsigned n);
/* How many subscriptions it made. */
SIP_API unsigned sip_sub_count(const struct sip_sub *s);
/* Subscription n has not ended. */
SIP_API bool sip_sub_active(const struct sip_sub *s, unsigned n);
/* Why subscription n ended (see SIP_SUB_ENDED); "" while it lives. */
SIP_API const char *sip_sub_reason(const struct sip_sub *s, unsigned n);
/* In a SIP_SUB_NOTIFY_REJECTED handler, why the NOTIFY is refused
 * ("no Subscription-State", "an Event other than presence"...); "" else. */
SIP_API const char *sip_sub_notify_why(const struct sip_sub *s);
/* The notifier's tag (the From tag of its NOTIFYs) of subscription n. */
SIP_API const char *sip_sub_tag(const struct sip_sub *s, unsigned n);
/* The first request (SUBSCRIBE or REFER), under way or answered. */
SIP_API struct sip_req *sip_sub_request(const struct sip_sub *s);

#ifdef __cplusplus
}
#endif

#endif
