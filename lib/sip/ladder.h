/* sip/ladder.h - a sequence diagram of the messages of an exchange. */
#ifndef SIP_LADDER_H
#define SIP_LADDER_H

#include <sip/base.h>
#include <sip/msg.h>
#include <sip/transport.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- ladder: a sequence diagram of an exchange ------------------------- */

/*
 * Columns: "us" (the local address), the first hop (the remote address a
 * message went to or came from: a proxy when one is in the path), the
 * proxies past it that the far end's first Record-Route names (a proxy
 * that record-routes twice, r2=on, once), and the far end, known by its
 * address of record (To in the requests we send and the responses we get,
 * From in the others), with its Contact address once one is seen. A far
 * end whose address (its Contact's, or a numeric AOR's) is the hop's
 * shares its column: a direct call has two columns. Requests go end to
 * end, crossing the proxies; a response without a To tag (a proxy's 100)
 * or a 407 comes from the hop alone, and so does all of a REGISTER.
 * A far end is the peer of one exchange: a request of ours outside a
 * dialog and what follows it. After a 3xx, the request to its Contact
 * starts another, with its own far end; so does the same request sent
 * to the next address (a failover), whose far end is at that address
 * until its Contact says otherwise. A far end with no address that
 * never answered, or only with the redirect, shares its hop's column.
 */
struct sip_ladder;
SIP_API int sip_ladder_new(struct sip_ladder **lp);
SIP_API void sip_ladder_free(struct sip_ladder *l);
/* One message sent or received (pi->tx), in the order they travelled. What
 * the diagram needs is copied: msg and its buffer may go after the call. The
 * same bytes again in the same direction are a retransmission ("×2"). */
SIP_API int sip_ladder_add(struct sip_ladder *l, const struct sip_msg *msg,
                           const struct sip_packet_info *pi);

struct sip_ladder_opts {
	bool color;     /* ANSI: requests cyan; 1xx and 3xx yellow, 2xx green, 4xx-6xx red */
	bool ascii;     /* | - + > < instead of UTF-8 box drawing */
	unsigned width; /* terminal columns; 0: 80 (20 at the least) */
	uint64_t t0_us; /* times are seconds from this (loop clock); 0: the first message's */
};
/* Draws the diagram: header, then one arrow per message with its time and
 * "INVITE (SDP)", "180 Ringing"... When the width cannot hold every header
 * and every label whole (but the end of a reason phrase, past its first
 * word), the parties are numbered instead and each message becomes a line
 * "1 → 2  BYE" (cut to the width only there). */
SIP_API int sip_ladder_print(FILE *f, const struct sip_ladder *l,
                             const struct sip_ladder_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
