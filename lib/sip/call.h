/* call.h - an INVITE session on the user agent (RFC 3261 §13-15). As the
 * caller: the INVITE with its targets, challenges and CANCEL (as sip_req),
 * early dialogs and reliable provisional responses (RFC 3262 PRACK), the
 * ACK of the 2xx sent again with each retransmission, the 2xx of other
 * forks ACKed and hung up. As the callee: an INVITE that arrived, rung
 * (reliably, RFC 3262, when the caller takes 100rel), answered (the 2xx
 * repeated until its ACK, a BYE when none comes) or declined, and
 * CANCELled by the caller. Either way: offers and answers in UPDATE (RFC
 * 3311) and re-INVITE both ways, and BYE both ways. */
#ifndef SIP_CALL_H
#define SIP_CALL_H

#include <sip/request.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sip_call;

enum sip_call_state {
	SIP_CALL_CALLING,    /* the INVITE is on its way, no provisional response yet */
	SIP_CALL_INCOMING,   /* callee: the INVITE arrived, not answered yet */
	SIP_CALL_RINGING,    /* a provisional response came (callee: went) */
	SIP_CALL_CANCELLING, /* hung up before the answer: CANCEL sent, or due at the first 1xx */
	SIP_CALL_ACCEPTED,   /* callee: our 2xx went, its ACK has not come */
	SIP_CALL_CONFIRMED,  /* the dialog is made: the 2xx came (callee: its ACK) */
	SIP_CALL_ENDING,     /* our BYE is out */
	SIP_CALL_ENDED,      /* done was called */
};

/* What happens along the way; msg lives for the call of the handler alone. */
enum sip_call_event {
	SIP_CALL_PROGRESS,      /* msg: a provisional response to the INVITE */
	SIP_CALL_PRACKED,       /* msg: the final response to a PRACK, or err (not sent: the
	                           1xx again gets another try); callee: the caller's PRACK
	                           of our reliable 1xx, about to get its 200 (an offer in
	                           it answered by sip_call_sdp_h; 488 when none can be had
	                           or the INVITE's offer is unanswered yet, the 1xx
	                           acknowledged all the same) */
	SIP_CALL_NOT_PRACKED,   /* msg: a 1xx with Require: 100rel left unacknowledged: err
	                           SIP_ESYNTAX no valid RSeq, SIP_ERANGE an RSeq out of order
	                           (the one before it comes again), SIP_EINVAL no early
	                           dialog (no To tag, a Contact that is no URI, too many);
	                           0 an RSeq already acknowledged */
	SIP_CALL_ANSWERED,      /* msg: the 2xx, its ACK going before anything asked for here
	                           (callee: the ACK of our 2xx, a late offer's answer in it) */
	SIP_CALL_MODIFIED,      /* msg: the final response to sip_call_modify's request, or err */
	SIP_CALL_REFRESHED,     /* msg: the far end's UPDATE or re-INVITE, about to be
	                           answered (its offer by sip_call_sdp_h; 491 while an offer
	                           of ours is out), or the ACK with the answer to the offer
	                           we made in the 2xx to a re-INVITE without one */
	SIP_CALL_FORKED,        /* msg: a 2xx of another fork, ACKed and hung up */
	SIP_CALL_FORK_ENDED,    /* msg: the final response to that fork's BYE, or err */
	SIP_CALL_STRAY,         /* msg: a 2xx of this call's that no dialog of it takes */
	SIP_CALL_CANCEL_FAILED, /* err: the CANCEL got no final response */
	SIP_CALL_SESSION_REFRESHED, /* msg: the 2xx to our session refresh (RFC 4028) */
};

/* How it ended, once. */
enum sip_call_end {
	SIP_CALL_END_FAILED,    /* msg: the INVITE's final response (not 2xx), or err
	                           (callee: we declined it, or err SIP_ETIMEDOUT: our
	                           reliable 1xx got no PRACK in 64*T1, the INVITE got
	                           500; msg NULL) */
	SIP_CALL_END_CANCELLED, /* msg: the INVITE's final response after the CANCEL went
	                           (or before the INVITE did), or err (SIP_ETIMEDOUT: none
	                           came within 64*T1); callee: the caller's CANCEL (the
	                           INVITE got 487), msg NULL */
	SIP_CALL_END_BYE,       /* msg: the final response to our BYE, or err */
	SIP_CALL_END_REMOTE,    /* msg: the far end's BYE; the 200 goes as done returns (a
	                           callee's INVITE not answered yet gets 487) */
	SIP_CALL_END_NO_DIALOG, /* msg: a 2xx that makes no dialog (no To tag, a Contact
	                           that is no URI); err says which */
	SIP_CALL_END_ERROR,     /* err: the dialog's next hop could not be had
	                           (sip_call_next_hop), or a request could not be sent */
	SIP_CALL_END_EXPIRED,   /* the session timer ran out (RFC 4028): no refresh from the
	                           far end in time, or ours unanswered or refused (not for a
	                           491 or 500, tried again in 2 to 4 s; a 405 to an UPDATE
	                           becomes a re-INVITE, a 422 takes its Min-SE); BYE sent,
	                           msg: its final response, or err */
	SIP_CALL_END_NO_ACK,    /* callee: our 2xx got no ACK in 64*T1, so we sent BYE
	                           (§13.3.1.4); msg: its final response, or err */
};

typedef void(sip_call_event_h)(struct sip_call *c, enum sip_call_event ev, int err,
                               const struct sip_msg *msg, void *arg);
typedef void(sip_call_done_h)(struct sip_call *c, enum sip_call_end how, int err,
                              const struct sip_msg *msg, void *arg);
/*
 * A session description for the far end: the answer to the offer in msg
 * (a 2xx to an INVITE without one, a reliable 1xx, a re-INVITE or UPDATE),
 * or an offer of our own when msg has none (a re-INVITE without a body) or
 * is NULL (our session refresh by re-INVITE, RFC 4028). Appended to out;
 * an error sends none: a 488 to a request, an ACK without a body.
 */
typedef int(sip_call_sdp_h)(struct sip_call *c, const struct sip_msg *msg, struct sip_buf *out,
                            void *arg);

struct sip_call_spec {
	/* The INVITE, as sip_req_spec gives it: its method and its response
	 * handlers are the call's own; its auth and failover handlers are
	 * called with the call's arg, and its deadline, auth handler,
	 * outbound proxy and User-Agent serve the requests in the dialog as
	 * well. Its body is
	 * the offer (none: a late offer, the 2xx's answered in the ACK). */
	const struct sip_req_spec *invite;
	/* Caller: offer 100rel (Supported) and PRACK reliable 1xx. Callee:
	 * send 1xx reliably when the INVITE supports 100rel (when it
	 * requires it, they go reliably anyway). */
	bool prack;
	const char *allow; /* the Allow line's methods; NULL: the call's own */
	/* Callee: our Contact; NULL: <sip:sip@ADDRESS:PORT> where the INVITE
	 * arrived (the caller's is the INVITE spec's). */
	const char *contact;
	sip_call_event_h *event; /* may be NULL */
	sip_call_sdp_h *sdp;     /* NULL: offers in the 2xx or in requests get none */
	sip_call_done_h *done;
	void *arg;
};

/* Starts it: handlers run from the loop, never from inside this call. */
SIP_API int sip_call_start(struct sip_call **cp, struct sip_ua *ua,
                           const struct sip_call_spec *spec);
/*
 * Takes in, an INVITE that arrived outside a dialog (from a sip_ua_accept
 * handler, which then returns true), as a call of ours: its dialog's
 * requests come to the call, a CANCEL ends it. spec's invite is not read.
 * On an error, in stays the caller's to answer.
 */
SIP_API int sip_call_accept(struct sip_call **cp, struct sip_ua *ua, struct sip_incoming *in,
                            const struct sip_call_spec *spec);
/*
 * The callee's answer: a 1xx rings (with a body, early media); a 2xx
 * answers, with the answer to the INVITE's offer, or an offer when it had
 * none (the ACK brings the answer); above 299 declines (done follows, from
 * the loop). SIP_EINVAL once the INVITE has its final response.
 *
 * A reliable 1xx (see sip_call_spec.prack) has Require: 100rel and an
 * RSeq, and goes again at T1, 2*T1, 4*T1... until its PRACK
 * (SIP_CALL_PRACKED); none in 64*T1 ends the call (SIP_CALL_END_FAILED).
 * One at a time: another 1xx before that PRACK is SIP_EINVAL. Its body is
 * the answer to the INVITE's offer, or an offer that the PRACK answers;
 * the 2xx then carries no body (body is ignored), and waits for that
 * PRACK if it has not come (SIP_EINVAL meanwhile; sip_call_hangup
 * declines instead). A 2xx after a reliable 1xx without a body, or a
 * decline, goes at once.
 */
SIP_API int sip_call_answer(struct sip_call *c, unsigned status, const char *content_type,
                            const char *body, size_t body_len);
/*
 * Ends it: before the answer the INVITE is CANCELled (at its first
 * provisional response, if none came yet; a 2xx that crosses the CANCEL is
 * ACKed and hung up), or as the callee declined with 486 Busy Here; after
 * it, BYE (the callee's waits for the ACK of its 2xx, §15), at once: a
 * re-INVITE of ours still out is CANCELled as the INVITE would be, and no
 * SIP_CALL_MODIFIED comes for it or an UPDATE after this. done tells how
 * it went; no handler runs from inside this call.
 */
SIP_API int sip_call_hangup(struct sip_call *c);
/*
 * A new offer (content_type and body, copied): method "UPDATE" in the early
 * dialog whose reliable 1xx answered the INVITE's offer, or in the
 * confirmed one; "INVITE" (a re-INVITE) in the confirmed one alone. One at
 * a time (SIP_EINVAL otherwise), with a body; SIP_CALL_MODIFIED tells how
 * it went, from the loop. A re-INVITE still unanswered 64*T1 after it went
 * is CANCELled.
 */
SIP_API int sip_call_modify(struct sip_call *c, const char *method, const char *content_type,
                            const char *body, size_t body_len);
/* Stops it and frees it: no handler is called after, and the call sends
 * nothing more (a callee's 2xx already sent is still repeated by its
 * transaction until the ACK). An incoming INVITE not answered yet gets 480
 * Temporarily Unavailable. */
SIP_API void sip_call_free(struct sip_call *c);

SIP_API enum sip_call_state sip_call_state(const struct sip_call *c);
/* In a handler given a response to a request in the dialog (a BYE's, say),
 * that request; else the caller's INVITE (its target, challenges and the
 * message sent); a callee's: NULL. */
SIP_API const struct sip_req *sip_call_request(const struct sip_call *c);
/* A reliable provisional response carried the answer to our offer. */
SIP_API bool sip_call_early_answered(const struct sip_call *c);
/*
 * The call's dialog while it is confirmed (SIP_CALL_CONFIRMED, or
 * SIP_CALL_ENDING: our BYE is out), NULL before and after; for a REFER or
 * SUBSCRIBE sent in it (sip_sub_spec.dialog). It is the call's, freed by
 * sip_call_free alone: whoever borrows it is freed before the call.
 */
SIP_API struct sip_dialog *sip_call_dialog(const struct sip_call *c);
/* Where the dialog's requests go first (its first Route or its remote
 * target; through an outbound proxy, the proxy's address), as last found;
 * "" before. */
SIP_API const char *sip_call_next_hop(const struct sip_call *c);

#ifdef __cplusplus
}
#endif

#endif
