/* dns_int.h - the parts of lib/dns.c that the unit tests reach without a
 * network: RFC 3263 planning from the URI, NAPTR selection, RFC 2782 SRV
 * ordering, and a resolver whose queries a test answers from a table. */
#ifndef DNS_INT_H
#define DNS_INT_H

#include "sip_int.h"

/* DNS record types, as ares_query and the wire know them. */
#define DNS_T_A 1
#define DNS_T_AAAA 28
#define DNS_T_SRV 33
#define DNS_T_NAPTR 35

#define DNS_NAME_MAX 256 /* a name in text form, with its NUL */
#define DNS_TP_ALL ((1u << SIP_TP_COUNT) - 1)
/* The transports a TLS connection carries: what sips: allows. */
#define DNS_TP_SECURE ((1u << SIP_TP_TLS) | (1u << SIP_TP_WSS))

struct dns_naptr {
	uint16_t order;
	uint16_t pref;
	char flags[16];
	char service[32];
	char regexp[32]; /* SIP's NAPTRs have none: only whether it is empty counts */
	char replacement[DNS_NAME_MAX];
};

struct dns_srv {
	uint16_t priority;
	uint16_t weight;
	uint16_t port;
	char target[DNS_NAME_MAX];
};

/* The first step RFC 3263 §4 takes for a URI, before any query. */
enum dns_step {
	DNS_STEP_NUMERIC, /* the host is an IP address: no DNS at all */
	DNS_STEP_ADDR,    /* a port is given: A/AAAA of the host, no NAPTR or SRV */
	DNS_STEP_SRV,     /* ;transport= is given: SRV for that transport, then A/AAAA */
	DNS_STEP_NAPTR,   /* NAPTR, then SRV, then A/AAAA */
};

struct dns_plan {
	enum dns_step step;
	char host[DNS_NAME_MAX]; /* maddr or host: no brackets, no trailing dot */
	bool sips;
	unsigned mask;  /* transports allowed: the caller's, less what sips forbids */
	enum sip_tp tp; /* given by ;transport=, or the default for the scheme and mask */
	bool tp_given;
	uint16_t port; /* given, or the default for tp */
	int family;
	struct sip_sockaddr addr; /* DNS_STEP_NUMERIC: the address and port */
};

/*
 * Reads what the URI decides: scheme, host or maddr, port, ;transport=,
 * against the transports and family allowed. SIP_ESCHEME for a URI that is
 * not sip: or sips:, SIP_EHOST for a host that cannot be looked up,
 * SIP_EINVAL when what the URI asks for is excluded (sips with UDP, a
 * transport outside the mask, an IPv6 address with AF_INET) or unknown
 * (;transport=sctp).
 */
int dns_plan(struct dns_plan *p, const struct sip_uri *uri, const struct sip_resolve_opts *opts);

/* The default port of a transport: 5061 for TLS, 80 for WS, 443 for WSS,
 * else 5060. */
uint16_t dns_default_port(enum sip_tp tp);
/* WS or WSS: no NAPTR or SRV, a URL's default port. */
bool dns_tp_ws(enum sip_tp tp);

/* "_sip._udp.", "_sip._tcp." or "_sips._tcp." followed by domain. */
int dns_srv_name(enum sip_tp tp, const char *domain, char *buf, size_t cap);

/* An SRV name to query and the transport its records mean. */
struct dns_pick {
	enum sip_tp tp;
	char name[DNS_NAME_MAX];
};

/*
 * Why a NAPTR record cannot be used for this plan ("not a SIP service",
 * "UDP is not allowed"...), or NULL when it can; then *tp is its transport.
 */
const char *dns_naptr_unusable(const struct dns_naptr *rr, const struct dns_plan *p,
                               enum sip_tp *tp);
/* Sorts NAPTR records by order, then preference, keeping equal ones as they came. */
void dns_naptr_sort(struct dns_naptr *rr, size_t n);
/* The usable records of a sorted list as SRV names to query, in order; returns how many. */
size_t dns_naptr_select(const struct dns_naptr *rr, size_t n, const struct dns_plan *p,
                        struct dns_pick *out, size_t max);
/* Without NAPTR: _sips._tcp, _sip._tcp, _sip._udp, those the plan allows. */
size_t dns_srv_fallback(const struct dns_plan *p, struct dns_pick *out, size_t max);

/* A random number source: [0, 2^32). */
typedef uint32_t(dns_rand_fn)(void *arg);
/*
 * Orders the SRV records of one name as RFC 2782 says: by priority, and
 * within a priority by weighted random selection, weight-0 records first in
 * the running sum so that they are picked only when the draw is 0.
 */
void dns_srv_order(struct dns_srv *rr, size_t n, dns_rand_fn *rnd, void *arg);

/* ---- the query interface between the RFC 3263 machine and c-ares ---- */

struct dns_answer {
	/* 0; SIP_ENOTFOUND (no such name, or no records of the type);
	 * SIP_EDNS (the server answered with a failure); SIP_ETIMEDOUT (no
	 * answer, or no server reachable); SIP_ENOMEM. */
	int err;
	const char *why; /* for the trace when err != 0 */
	size_t n;
	const struct dns_naptr *naptr;
	const struct dns_srv *srv;
	const struct sip_sockaddr *addr; /* A, AAAA: port 0 */
};

struct dns_query;
typedef void(dns_answer_h)(struct dns_query *q, const struct dns_answer *a);

/* One query; it lives in the request's storage until it is answered. */
struct dns_query {
	int type;
	dns_answer_h *h;
	void *req;
	size_t index;
};

/* Starts a query for name; the answer comes through q->h, possibly
 * before this returns. */
typedef void(dns_query_fn)(void *ctx, struct dns_query *q, const char *name);

/* A resolver that asks query instead of c-ares, and draws from rnd (NULL:
 * the system's randomness). Tests answer from a table with it. */
int dns_resolver_new_with(struct sip_resolver **rp, struct sip_loop *loop, dns_query_fn *query,
                          void *ctx, dns_rand_fn *rnd, void *rnd_arg);

#endif
