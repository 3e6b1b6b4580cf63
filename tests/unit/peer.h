/* peer.h - a far end for the unit tests: a raw UDP socket on loopback that
 * the test reads requests from and answers by hand, and a fake clock, so
 * that a 32-second Timer F takes no real time. */
#ifndef PEER_H
#define PEER_H

#include <sip/sip.h>

struct peer {
	int fd;
	struct sip_sockaddr addr;
};

/* The clock tests give their loops; they move it by hand. */
extern uint64_t fake_now;
uint64_t fake_clock(void *arg);

int peer_open(struct peer *p);
void peer_close(struct peer *p);
/* One datagram within a second of real time, NUL-terminated, or 0 bytes. */
size_t peer_recv(struct peer *p, char *buf, size_t cap, struct sip_sockaddr *from);
/* A datagram waits to be read. */
bool peer_pending(struct peer *p);
/* Answers the request in req with status (and extra header lines), to to. */
int peer_answer(struct peer *p, const char *req, size_t len, unsigned status,
                const struct sip_build_hdr *hdrs, size_t nhdrs, const struct sip_sockaddr *to);
/* Sends a request of method from the peer to to: Call-ID call_id (NULL:
 * srv-BRANCH), CSeq 1, a To tag when to_tag is given; its text in out. */
int peer_request(struct peer *p, const struct sip_sockaddr *to, const char *method,
                 const char *branch, const char *call_id, const char *to_tag, char *out,
                 size_t cap);
/* The same with CSeq cseq: a dialog takes each new request of the far
 * end's only with a higher one. */
int peer_request_cseq(struct peer *p, const struct sip_sockaddr *to, const char *method,
                      const char *branch, const char *call_id, const char *to_tag, unsigned cseq,
                      char *out, size_t cap);
/* The status of the response in buf, or 0. */
unsigned peer_status(const char *buf, size_t n);
/* Turns the loop until a datagram may have arrived: real sockets, fake time. */
void peer_spin(struct sip_loop *loop);

/* A user agent on 127.0.0.1 (UDP, IPv4) whose loop runs on the fake clock,
 * set to 1 s, and a peer to talk to, as a UDP target in t. */
int peer_stack(struct sip_ua **ua, struct peer *p, struct sip_target *t);

/* The last message the peer took, for a test to look at and answer. */
struct peer_last {
	char buf[4096];
	size_t len;
	struct sip_sockaddr from;
};
/* Turns ua's loop, then reads what reached the peer into l. */
size_t peer_take(struct sip_ua *ua, struct peer *p, struct peer_last *l);
/* Answers the request in l with status (and the header line hdr, if any),
 * then turns ua's loop. */
int peer_reply(struct sip_ua *ua, struct peer *p, const struct peer_last *l, unsigned status,
               const char *hdr);

#endif
