/* sip/txn.h - the context (transport, timers, request handler) and its client and
 * server transactions (RFC 3261 §17). */
#ifndef SIP_TXN_H
#define SIP_TXN_H

#include <sip/base.h>
#include <sip/msg.h>
#include <sip/build.h>
#include <sip/loop.h>
#include <sip/transport.h>
#include <sip/dns.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- txn: the context and its transactions (RFC 3261 §17) ------------ */

#define SIP_T1_DEFAULT 500000u /* µs */
#define SIP_T2_DEFAULT 4000000u
#define SIP_T4_DEFAULT 5000000u

struct sip_ctx_opts {
	struct sip_transport_opts tp;
	uint64_t t1_us; /* 0: SIP_T1_DEFAULT */
	uint64_t t2_us;
	uint64_t t4_us;
	const char *user_agent; /* the Server header of the responses the context sends itself */
};

struct sip_ctx;
struct sip_txn;
struct sip_strans;

/*
 * A response to a client transaction: each provisional one, then the final
 * one; or err (SIP_ETIMEDOUT when Timer B/F fired, a transport error such as
 * SIP_EREFUSED) with msg NULL. The call with a final response or an error is
 * the last. The transaction may be freed from inside the handler.
 */
typedef void(sip_resp_h)(int err, const struct sip_msg *msg, void *arg);
/* A new request (retransmissions are answered by its server transaction).
 * Answer it with sip_strans_respond before returning, or hold it with
 * sip_strans_hold to answer later: a request left neither answered nor held
 * gets 500. ACKs and CANCELs never arrive here: an ACK is the stray
 * handler's, and the context answers a CANCEL itself (RFC 3261 §9.2). */
typedef void(sip_req_h)(struct sip_strans *st, const struct sip_msg *req,
                        const struct sip_packet_info *pi, void *arg);

SIP_API int sip_ctx_new(struct sip_ctx **ctxp, struct sip_loop *loop,
                        const struct sip_ctx_opts *opts, sip_tp_err_h *tp_err, void *arg);
SIP_API void sip_ctx_free(struct sip_ctx *ctx);
SIP_API struct sip_transport *sip_ctx_transport(struct sip_ctx *ctx);
SIP_API struct sip_loop *sip_ctx_loop(struct sip_ctx *ctx);
/* The loop time of the last final response a server transaction sent over
 * UDP (its request may come again, if it was lost), 0 before one. */
SIP_API uint64_t sip_ctx_answered_at(const struct sip_ctx *ctx);
/* Without a handler, the context answers OPTIONS with 200 (Allow, Supported,
 * Accept), an in-dialog request with 481 and the rest with 405. */
SIP_API void sip_ctx_set_request_handler(struct sip_ctx *ctx, sip_req_h *h, void *arg);
/* Messages no transaction takes: a 2xx to an INVITE after its client
 * transaction ended (retransmissions, other forks: RFC 3261 §13.2.2.4 has
 * the UAC core ACK each), an ACK for a 2xx, a response to nothing. */
SIP_API void sip_ctx_set_stray_handler(struct sip_ctx *ctx, sip_recv_h *h, void *arg);
/* The answer the context gives when there is no handler, for one to reuse. */
SIP_API int sip_ctx_default_answer(struct sip_ctx *ctx, struct sip_strans *st,
                                   const struct sip_msg *req);

/*
 * Sends the request in buf (built with sip_build_request) to target and
 * runs its client transaction: retransmissions on Timer A/E over UDP,
 * timeout on Timer B/F, ACK for a non-2xx final response to INVITE. The
 * request is copied.
 */
SIP_API int sip_txn_start(struct sip_txn **txp, struct sip_ctx *ctx,
                          const struct sip_target *target, const char *buf, size_t len,
                          sip_resp_h *h, void *arg);
/* CANCELs an INVITE still waiting for its final response (§9.1): a
 * transaction of its own whose handler gets the CANCEL's response; the
 * INVITE's handler then gets its final one (487). Send it only once a
 * provisional response has come. SIP_EINVAL when there is nothing to cancel. */
SIP_API int sip_txn_cancel(struct sip_txn **txp, struct sip_txn *invite, sip_resp_h *h, void *arg);
/* Stops the transaction (no more calls to its handler) and frees it. */
SIP_API void sip_txn_free(struct sip_txn *txn);
/* The request as sent, parsed; NULL once a final response other than an
 * INVITE's 2xx has been handled (the transaction then keeps only what it
 * needs to absorb retransmissions). */
SIP_API const struct sip_msg *sip_txn_request(const struct sip_txn *txn);
/* Time the request was first sent (loop clock, µs) and how many times it was sent. */
SIP_API uint64_t sip_txn_sent_at(const struct sip_txn *txn);
SIP_API unsigned sip_txn_sends(const struct sip_txn *txn);
/* Its destination sent what does not parse (SIP_EDROPPED): it answered, if
 * not in SIP. Such a transaction times out with SIP_ESYNTAX. */
SIP_API bool sip_txn_garbled(const struct sip_txn *txn);
/* Inside its handler, for a transport failure: what the transport said (the
 * certificate check that failed); "" otherwise. */
SIP_API const char *sip_txn_why(const struct sip_txn *txn);

/* Answers a request: the response goes where RFC 3261 §18.2.2 says (the
 * source address with rport, the connection it came on) and is kept to
 * answer retransmissions. A 1xx may be followed by another response. A 2xx
 * to an INVITE is repeated on T1..T2 until its ACK or 64*T1 (§13.3.1.4). */
SIP_API int sip_strans_respond(struct sip_strans *st, const struct sip_response_spec *spec);

/* A CANCEL matched the held INVITE st: the CANCEL has had its 200; st gets
 * its 487 when this returns (unless answered here), and is then gone. */
typedef void(sip_strans_cancel_h)(struct sip_strans *st, void *arg);
/*
 * Keeps st, from inside the request handler, to be answered later with
 * sip_strans_respond: its request (the handler's req) lives until the final
 * response. An INVITE gets 100 Trying at once unless a provisional response
 * went already (§17.2.1). on_cancel (may be NULL) hears of a CANCEL. A held
 * transaction must be answered before the context is freed.
 */
SIP_API void sip_strans_hold(struct sip_strans *st, sip_strans_cancel_h *on_cancel, void *arg);
/* The request, until the final response (an accepted INVITE's until its ACK). */
SIP_API const struct sip_msg *sip_strans_request(const struct sip_strans *st);

#ifdef __cplusplus
}
#endif
#endif
