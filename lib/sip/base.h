/* sip/base.h - what every libsip header needs: SIP_API, SIP_VERSION, the SIP_E*
 * error codes and sip_strerror(), and the system headers the API names. */
#ifndef SIP_BASE_H
#define SIP_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SIP_API __attribute__((visibility("default")))
#define SIP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SIP_API
#define SIP_PRINTF(f, a)
#endif

#define SIP_VERSION "0.1.0"

/* Error codes; each has a one-line description from sip_strerror(). */
enum sip_err {
	SIP_OK = 0,
	SIP_EINVAL = -1,     /* bad argument */
	SIP_ENOMEM = -2,     /* out of memory */
	SIP_EAGAIN = -3,     /* incomplete: more bytes are needed */
	SIP_ETOOBIG = -4,    /* over a size or count limit */
	SIP_ERANGE = -5,     /* number out of range */
	SIP_ESYNTAX = -6,    /* malformed */
	SIP_EQUOTE = -7,     /* unterminated quoted string */
	SIP_EEMPTY = -8,     /* empty value or list element */
	SIP_EHOST = -9,      /* bad host or IP address */
	SIP_EPORT = -10,     /* bad port */
	SIP_ESCHEME = -11,   /* unsupported URI scheme */
	SIP_EESCAPE = -12,   /* bad %-escape */
	SIP_ENOSPC = -13,    /* output buffer too small */
	SIP_EDISPLAY = -14,  /* display name with special characters not quoted */
	SIP_EANGLE = -15,    /* <URI> not closed, or whitespace inside the brackets */
	SIP_EBARE = -16,     /* URI with ',', ';' or '?' of its own outside <> */
	SIP_EPARAM = -17,    /* empty or malformed ;parameter */
	SIP_ENOTFOUND = -18, /* DNS: no records for the name */
	SIP_EDNS = -19,      /* DNS: the server failed or did not answer */
	SIP_ETIMEDOUT = -20, /* no answer in time */
	SIP_EREFUSED = -21,  /* connection refused, or ICMP port unreachable */
	SIP_ENET = -22,      /* network or host unreachable, or a send failed */
	SIP_ETLS = -23,      /* TLS handshake or certificate verification failed */
	SIP_ECLOSED = -24,   /* the peer closed the connection */
	SIP_ESYS = -25,      /* a system call failed (see errno) */
	SIP_EDROPPED = -26,  /* a datagram received did not parse and was dropped */
	SIP_ECANCELED = -27, /* the caller cancelled it */
	/* A response that matched the request's transaction (branch and method)
	 * but not its identity: another Call-ID, From tag or CSeq number. */
	SIP_EIDENTITY = -28,
	/* A WebSocket server refused the upgrade, or answered it wrong. */
	SIP_EWS = -29,
};
SIP_API const char *sip_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
