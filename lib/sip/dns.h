/* sip/dns.h - RFC 3263 target selection: which transport, address and port to try. */
#ifndef SIP_DNS_H
#define SIP_DNS_H

#include <sip/base.h>
#include <sip/uri.h>
#include <sip/loop.h>
#include <sip/transport.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- dns: RFC 3263 target selection --------------------------------- */

struct sip_target {
	enum sip_tp tp;
	struct sip_sockaddr addr;
	char name[256]; /* the host name the address came from: TLS verification, Host */
};

#define SIP_RESOLVE_MAX 32

struct sip_resolve_opts {
	unsigned tp_mask; /* transports allowed: 1 << SIP_TP_UDP ...; 0: all */
	int family;       /* AF_UNSPEC, AF_INET or AF_INET6 */
	void (*trace)(const char *line, void *arg); /* each step, for `sip resolve` */
	void *trace_arg;
};

struct sip_resolver;
/* server: "host[:port]" of the DNS server to ask, or NULL for resolv.conf. */
SIP_API int sip_resolver_new(struct sip_resolver **rp, struct sip_loop *loop, const char *server);
SIP_API void sip_resolver_free(struct sip_resolver *r);
typedef void(sip_resolve_h)(int err, const struct sip_target *targets, size_t n, void *arg);
/*
 * Resolves a sip:, sips: or tel-free URI per RFC 3263: numeric host, or
 * explicit port or transport short-cuts, else NAPTR -> SRV -> A/AAAA, and
 * calls h (never from inside this call) with the targets in the order to
 * try. err is SIP_ENOTFOUND or SIP_EDNS when there is none.
 */
SIP_API int sip_resolve(struct sip_resolver *r, const struct sip_uri *uri,
                        const struct sip_resolve_opts *opts, sip_resolve_h *h, void *arg);
/* The resolutions started with h and arg call it no more. */
SIP_API void sip_resolve_cancel(struct sip_resolver *r, sip_resolve_h *h, void *arg);

#ifdef __cplusplus
}
#endif
#endif
