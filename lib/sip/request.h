/* request.h - one request of any method on the user agent: its targets
 * found per RFC 3263 and failed over in order, challenges answered with
 * credentials the caller gives when asked (now or later), a deadline over
 * the whole wait, and cancellation. */
#ifndef SIP_REQUEST_H
#define SIP_REQUEST_H

#include <sip/auth.h>
#include <sip/dialog.h>
#include <sip/ua.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sip_req;

/* A response: each provisional one, then the final one or err (with resp
 * NULL; a dry run ends with neither). The final call is the last; the
 * request may be freed from inside it. */
typedef void(sip_req_resp_h)(struct sip_req *r, int err, const struct sip_msg *resp, void *arg);
/*
 * A challenge for a realm the request has no answer for: the caller gives
 * the credentials with sip_req_authenticate, now or later from the loop
 * (after a prompt, say), or refuses with a NULL user. Nothing is sent
 * meanwhile; the deadline still runs.
 */
typedef void(sip_req_auth_h)(struct sip_req *r, const struct sip_challenge *ch, void *arg);
/* It leaves a target (err, and sip_req_why, say why) for the next one.
 * After a TLS target failed the next one is a TLS target: the request does
 * not go on over UDP or TCP unless TLS verifies nothing (--insecure). When
 * that rule stops it with targets left, next is NULL and done follows. */
typedef void(sip_req_failover_h)(struct sip_req *r, int err, const struct sip_target *from,
                                 const struct sip_target *next, void *arg);
/*
 * The request as the caller writes it, for target t from the local address
 * local (each call starts a transaction of its own: a fresh branch each
 * time); cseq counts on with each authenticated retry. The stack adds only
 * its answers to challenges, before the blank line. Returns 0 or a SIP_E*.
 */
typedef int(sip_req_build_h)(struct sip_buf *b, const struct sip_target *t,
                             const struct sip_sockaddr *local, uint32_t cseq, void *arg);

struct sip_req_spec {
	const char *method; /* any token: "OPTIONS", "INFO", "PUBLISH" */
	/* The Request-URI, and where the request goes unless targets or
	 * proxy say otherwise; not read for a request in a dialog. */
	const struct sip_uri *uri;
	const char
		*uri_text; /* or the Request-URI as text (sip_uri_print's), spared the printing */
	/* Already resolved (copied; tried from the first one on), else the
	 * outbound proxy, else uri, resolved per RFC 3263. */
	const struct sip_target *targets;
	size_t ntargets;
	const struct sip_uri *proxy;
	int transport; /* -1: as the target says; else every target over this enum sip_tp */
	int family;    /* AF_UNSPEC, AF_INET or AF_INET6 */
	/* Header fields; NULL takes the default. */
	const char *from;         /* <sip:sip@LOCAL-ADDRESS> */
	const char *from_tag;     /* fresh */
	const char *to;           /* the Request-URI */
	const char *call_id;      /* fresh */
	uint32_t cseq;            /* 1; each authenticated retry counts on */
	const char *contact;      /* <sip:USER@LOCAL:PORT;transport=...>; "" for none */
	const char *contact_user; /* USER of the default Contact: "sip" */
	int max_forwards;         /* <0: 70; 0 is sent as 0 */
	const char *user_agent;
	const struct sip_build_hdr *headers; /* after those the request makes; copied */
	size_t nheaders;
	const char *content_type; /* copied, as the body is */
	const char *body;
	size_t body_len;
	/* In a dialog: Request-URI, Route, From, To, Call-ID and CSeq are
	 * the dialog's, and it goes to the dialog's next hop (resolved, unless
	 * targets or proxy are given). The dialog must outlive the request. */
	struct sip_dialog *dialog;
	/* The whole wait, fail-over and challenges included (an INVITE's until
	 * something answers); 0: the transactions' timers alone. */
	uint64_t timeout_us;
	bool dry_run; /* build it and stop: done gets no response, sip_req_message has it */
	sip_req_resp_h *provisional;
	sip_req_resp_h *done;
	sip_req_auth_h *auth; /* NULL: the stack's credentials (sip_ua_credentials) */
	/* Whose credentials of the stack's answer its challenges (an opaque
	 * key: the operations of one user share it); NULL: the default's. */
	const void *account;
	sip_req_failover_h *failover;
	/* The CANCEL's final response, or why it has none (a 481: the INVITE's
	 * final response crossed it). */
	sip_req_resp_h *cancelled;
	/* Set: the caller builds the request (a message written by hand), and
	 * the fields that build one (method aside) are not read. */
	sip_req_build_h *build;
	void *arg;
};

/* Starts it; the handlers run from the loop, never from inside this call. */
SIP_API int sip_req_start(struct sip_req **rp, struct sip_ua *ua, const struct sip_req_spec *spec);
/* The credentials for the challenge sip_req_auth_h was given: the request
 * goes again with its answer (and with every answer given before, one per
 * realm). A NULL user refuses: the challenge becomes the final response. */
SIP_API int sip_req_authenticate(struct sip_req *r, const char *user, const char *password);
/*
 * An INVITE with a provisional response is CANCELled (it then ends with
 * the 487, or whatever final response crossed the CANCEL); before that
 * the CANCEL waits for one. Any other request, or one not sent yet, ends
 * at once with SIP_ECANCELED.
 */
SIP_API int sip_req_cancel(struct sip_req *r);
/* Stops it (no handler is called after) and frees it. */
SIP_API void sip_req_free(struct sip_req *r);

/* What happened, for printing. */
enum sip_req_auth_state {
	SIP_REQ_AUTH_NONE = 0,     /* no challenge, or every one answered */
	SIP_REQ_AUTH_UNANSWERABLE, /* no Digest challenge with an algorithm this library has */
	SIP_REQ_AUTH_NO_USER,      /* the caller gave no credentials */
	SIP_REQ_AUTH_REJECTED,     /* challenged again for a realm answered, or 403 after */
	SIP_REQ_AUTH_TOO_MANY,     /* more realms than one request answers */
};
SIP_API enum sip_req_auth_state sip_req_auth_state(const struct sip_req *r);
/* The realm of the last challenge, "" before one. */
SIP_API const char *sip_req_auth_realm(const struct sip_req *r);
/* The user the last credentials named, "" before any. */
SIP_API const char *sip_req_auth_user(const struct sip_req *r);
/* The target of the last request sent (or to be sent); NULL before the targets are known. */
SIP_API const struct sip_target *sip_req_target(const struct sip_req *r);
/* The local address of that request (its Via). */
SIP_API const struct sip_sockaddr *sip_req_local(const struct sip_req *r);
/* When it was first sent, on the loop clock; 0 before. */
SIP_API uint64_t sip_req_sent_at(const struct sip_req *r);
/* The last request sent (or built by a dry run), parsed; NULL before. */
SIP_API const struct sip_msg *sip_req_message(const struct sip_req *r);
/* The CSeq number of that request. */
SIP_API uint32_t sip_req_cseq(const struct sip_req *r);
/* What the transport said when the last target failed (which certificate
 * check failed), for the failover and done handlers; "" when it said
 * nothing (a timeout). */
SIP_API const char *sip_req_why(const struct sip_req *r);

#ifdef __cplusplus
}
#endif

#endif
