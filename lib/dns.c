/*
 * dns.c - RFC 3263 target selection: which transport, address and port to
 * try, in which order, for a sip: or sips: URI.
 *
 * A numeric host needs no DNS; an explicit port means A/AAAA of the name;
 * an explicit ;transport= means SRV for that transport; otherwise NAPTR
 * picks the transports and leads to SRV names, SRV gives hosts and ports
 * (RFC 2782 order), and A/AAAA the addresses. Each step is one phase: its
 * queries go out together and the next phase starts when all have
 * answered, so that the order of the result and of the trace does not
 * depend on which answer came first. Each host name is asked for A and
 * AAAA at once, and its IPv4 addresses are listed before its IPv6 ones: a
 * client probing over UDP learns of a dead IPv6 path only by timing out,
 * so the family that works more often goes first.
 *
 * The RFC 3263 machine asks its questions through a dns_query_fn. The real
 * one is c-ares, driven by the loop: its sockets are watched through the
 * socket-state callback, ares_process_fd runs on readiness, and one timer
 * follows ares_timeout(). Tests plug in a table instead (dns_int.h). c-ares
 * is used in this file alone.
 */
#include <ares.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "dns_int.h"

#define MAX_RR 32   /* records kept from one answer */
#define MAX_PICKS 8 /* SRV names looked up for one URI */
#define MAX_SRV 16  /* SRV records kept for one name */
#define MAX_JOBS 16 /* host names whose addresses are looked up */
#define MAX_ADDRS 8 /* addresses kept for one name and family */

/* c-ares waits this long for the first try and doubles it for the second;
 * its own default (5 s, 4 tries) keeps a dead server's user waiting more
 * than a minute. */
#define ARES_TIMEOUT_MS 2000
#define ARES_TRIES 2

/* A request holds a timer slot in the loop for all its life (see start),
 * re-armed this far ahead while its queries run. */
#define HOLD_US (600ull * 1000000u)

/* ---- planning: what the URI decides (RFC 3263 §4.1, §4.2) ---- */

uint16_t dns_default_port(enum sip_tp tp)
{
	/* WebSocket's own ports (RFC 7118 section 4: RFC 6455's URI ports). */
	switch (tp) {
	case SIP_TP_TLS: return 5061;
	case SIP_TP_WS: return 80;
	case SIP_TP_WSS: return 443;
	default: return 5060;
	}
}

bool dns_tp_ws(enum sip_tp tp)
{
	return tp == SIP_TP_WS || tp == SIP_TP_WSS;
}

/* UDP when allowed, else TCP, else TLS: RFC 3263 §4.1's default for sip:,
 * narrowed by what the caller allows (sips: allows TLS alone). */
static enum sip_tp default_tp(unsigned mask)
{
	for (int t = 0; t < SIP_TP_COUNT; t++)
		if (mask & (1u << t))
			return (enum sip_tp)t;
	return SIP_TP_UDP;
}

static bool name_char(char c)
{
	return sip_is_alpha(c) || sip_is_digit(c) || c == '-' || c == '.' || c == '_';
}

/* The host to look up, without IPv6 brackets or the root's trailing dot. */
static int copy_host(struct sip_str h, char *buf, size_t cap)
{
	bool bracket = h.len >= 2 && h.p[0] == '[' && h.p[h.len - 1] == ']';
	if (bracket)
		h = sip_str_sub(h, 1, h.len - 1);
	else if (h.len > 1 && h.p[h.len - 1] == '.')
		h.len--;
	if (h.len == 0 || h.len >= cap)
		return SIP_EHOST;
	for (size_t i = 0; i < h.len; i++)
		if (!name_char(h.p[i]) && !(bracket && (h.p[i] == ':' || h.p[i] == '%')))
			return SIP_EHOST;
	memcpy(buf, h.p, h.len);
	buf[h.len] = '\0';
	return 0;
}

int dns_plan(struct dns_plan *p, const struct sip_uri *uri, const struct sip_resolve_opts *opts)
{
	static const struct sip_resolve_opts none;
	struct sip_str v, host = uri->host;

	if (!opts)
		opts = &none;
	memset(p, 0, sizeof *p);
	if (uri->scheme == SIP_URI_SIPS)
		p->sips = true;
	else if (uri->scheme != SIP_URI_SIP)
		return SIP_ESCHEME;
	if (opts->family != AF_UNSPEC && opts->family != AF_INET && opts->family != AF_INET6)
		return SIP_EINVAL;
	p->family = opts->family;
	p->mask = opts->tp_mask ? opts->tp_mask & DNS_TP_ALL : DNS_TP_ALL;
	if (p->sips)
		p->mask &= DNS_TP_SECURE;
	if (!p->mask)
		return SIP_EINVAL;

	if (sip_param_get(uri->params, "transport", &v)) {
		int t = sip_tp_from_str(v);
		if (t < 0)
			return SIP_EINVAL;
		/* sips:...;transport=tcp is TLS over TCP (RFC 3261 §26.2.2),
		 * and sips:...;transport=ws WebSocket over TLS. */
		if (p->sips) {
			if (t == SIP_TP_UDP)
				return SIP_EINVAL;
			t = dns_tp_ws((enum sip_tp)t) ? SIP_TP_WSS : SIP_TP_TLS;
		}
		if (!(p->mask & (1u << t)))
			return SIP_EINVAL;
		p->tp = (enum sip_tp)t;
		p->tp_given = true;
	} else {
		p->tp = default_tp(p->mask);
	}

	/* RFC 3263 §4: maddr, when present, is the target instead of the host. */
	if (sip_param_get(uri->params, "maddr", &v) && v.len)
		host = v;
	int err = copy_host(host, p->host, sizeof p->host);
	if (err)
		return err;
	p->port = uri->has_port ? uri->port : dns_default_port(p->tp);

	if (sip_sockaddr_set(&p->addr, host, p->port) == 0) {
		if (p->family != AF_UNSPEC && p->addr.u.sa.sa_family != p->family)
			return SIP_EINVAL;
		p->step = DNS_STEP_NUMERIC;
	} else if (host.len && host.p[0] == '[') {
		return SIP_EHOST;
	} else if (uri->has_port || dns_tp_ws(p->tp)) {
		/* WebSocket has no NAPTR service or SRV name of its own
		 * (RFC 7118 section 6): its host is looked up as it is. */
		p->step = DNS_STEP_ADDR;
	} else if (p->tp_given) {
		p->step = DNS_STEP_SRV;
	} else {
		p->step = DNS_STEP_NAPTR;
	}
	return 0;
}

int dns_srv_name(enum sip_tp tp, const char *domain, char *buf, size_t cap)
{
	const char *prefix = tp == SIP_TP_TLS   ? "_sips._tcp"
	                     : tp == SIP_TP_TCP ? "_sip._tcp"
	                                        : "_sip._udp";
	int n = snprintf(buf, cap, "%s.%s", prefix, domain);
	if (n < 0 || (size_t)n >= cap)
		return SIP_ENOSPC;
	return n;
}

/* ---- NAPTR (RFC 3403, RFC 3263 §4.1) ---- */

static const struct {
	const char *service;
	int tp; /* -1: a transport we do not speak */
	bool sips;
} services[] = {
	{"SIP+D2U", SIP_TP_UDP, false}, {"SIP+D2T", SIP_TP_TCP, false},
	{"SIPS+D2T", SIP_TP_TLS, true}, {"SIP+D2S", -1, false},
	{"SIPS+D2S", -1, true},         {"SIP+D2W", -1, false},
	{"SIPS+D2W", -1, true},
};

static const char *const not_allowed[SIP_TP_COUNT] = {
	"UDP is not allowed", "TCP is not allowed", "TLS is not allowed",
	"WS is not allowed",  "WSS is not allowed",
};

const char *dns_naptr_unusable(const struct dns_naptr *rr, const struct dns_plan *p,
                               enum sip_tp *tp)
{
	size_t i, n = sizeof services / sizeof services[0];

	for (i = 0; i < n; i++)
		if (strcasecmp(rr->service, services[i].service) == 0)
			break;
	if (i == n)
		return "not a SIP service";
	if (services[i].tp < 0)
		return strchr(rr->service, 'W') || strchr(rr->service, 'w')
		               ? "WebSocket is reached by host and port, not NAPTR"
		               : "SCTP is not supported";
	/* Only "s" leads to SRV; an empty flag would lead to another NAPTR,
	 * which RFC 3263 does not use. */
	if (strcasecmp(rr->flags, "s") != 0)
		return "flag is not \"s\"";
	if (p->sips && !services[i].sips)
		return "not SIPS";
	if (!(p->mask & (1u << services[i].tp)))
		return not_allowed[services[i].tp];
	if (rr->regexp[0])
		return "has a regexp";
	if (!rr->replacement[0] || strcmp(rr->replacement, ".") == 0)
		return "no replacement";
	*tp = (enum sip_tp)services[i].tp;
	return NULL;
}

void dns_naptr_sort(struct dns_naptr *rr, size_t n)
{
	/* Insertion sort: stable, and n is small. */
	for (size_t i = 1; i < n; i++) {
		struct dns_naptr t = rr[i];
		size_t j = i;
		while (j > 0 && (rr[j - 1].order > t.order ||
		                 (rr[j - 1].order == t.order && rr[j - 1].pref > t.pref))) {
			rr[j] = rr[j - 1];
			j--;
		}
		rr[j] = t;
	}
}

size_t dns_naptr_select(const struct dns_naptr *rr, size_t n, const struct dns_plan *p,
                        struct dns_pick *out, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k < max; i++) {
		enum sip_tp tp;
		if (dns_naptr_unusable(&rr[i], p, &tp))
			continue;
		out[k].tp = tp;
		snprintf(out[k].name, sizeof out[k].name, "%s", rr[i].replacement);
		k++;
	}
	return k;
}

size_t dns_srv_fallback(const struct dns_plan *p, struct dns_pick *out, size_t max)
{
	static const enum sip_tp pref[] = {SIP_TP_TLS, SIP_TP_TCP, SIP_TP_UDP};
	size_t k = 0;
	for (size_t i = 0; i < sizeof pref / sizeof pref[0] && k < max; i++) {
		if (!(p->mask & (1u << pref[i])))
			continue;
		if (dns_srv_name(pref[i], p->host, out[k].name, sizeof out[k].name) < 0)
			continue;
		out[k].tp = pref[i];
		k++;
	}
	return k;
}

/* ---- SRV order (RFC 2782) ---- */

/* Moves rr[from] to rr[to] (to <= from), shifting the ones between up by one. */
static void srv_move(struct dns_srv *rr, size_t to, size_t from)
{
	if (to == from)
		return;
	struct dns_srv t = rr[from];
	memmove(&rr[to + 1], &rr[to], (from - to) * sizeof *rr);
	rr[to] = t;
}

void dns_srv_order(struct dns_srv *rr, size_t n, dns_rand_fn *rnd, void *arg)
{
	for (size_t i = 1; i < n; i++) {
		size_t j = i;
		while (j > 0 && rr[j - 1].priority > rr[i].priority)
			j--;
		srv_move(rr, j, i);
	}
	for (size_t lo = 0; lo < n;) {
		size_t hi = lo;
		while (hi < n && rr[hi].priority == rr[lo].priority)
			hi++;
		/* "all those with weight 0 are placed at the beginning of the list" */
		for (size_t i = lo, z = lo; i < hi; i++)
			if (rr[i].weight == 0)
				srv_move(rr, z++, i);
		for (size_t k = lo; k + 1 < hi; k++) {
			uint32_t sum = 0, run = 0;
			for (size_t m = k; m < hi; m++)
				sum += rr[m].weight;
			uint32_t draw = sum ? rnd(arg) % (sum + 1) : 0;
			size_t pick = k;
			for (size_t m = k; m < hi; m++) {
				run += rr[m].weight;
				if (run >= draw) {
					pick = m;
					break;
				}
			}
			srv_move(rr, k, pick);
		}
		lo = hi;
	}
}

/* ---- the resolver and its requests ---- */

enum phase { PH_START, PH_NAPTR, PH_SRV, PH_ADDR, PH_DONE };

struct srv_slot {
	struct dns_pick pick;
	struct dns_query q;
	int err;
	const char *why;
	size_t n;
	struct dns_srv rr[MAX_SRV];
};

/* One family's answer for a job: [0] A, [1] AAAA. */
struct addrs {
	struct dns_query q;
	bool asked;
	int err;
	const char *why;
	size_t n;
	struct sip_sockaddr addr[MAX_ADDRS];
};

struct job {
	enum sip_tp tp;
	uint16_t port;
	char name[DNS_NAME_MAX];
	size_t same; /* index + 1 of an earlier job for this name, whose answers it shares */
	struct addrs f[2];
};

struct req {
	struct sip_resolver *r;
	struct req *next;
	sip_resolve_h *h;
	void *arg;
	void (*trace)(const char *line, void *arg);
	void *trace_arg;
	struct dns_plan plan;
	enum phase phase;
	unsigned pending;        /* queries out, plus one while a phase sends them */
	int fatal;               /* SIP_ETIMEDOUT or SIP_ENOMEM seen: ask nothing more */
	bool failed;             /* a server answered with a failure */
	enum sip_tp fallback_tp; /* for A/AAAA of the domain when SRV finds nothing */
	struct sip_timer timer;

	struct dns_query naptr_q;
	int naptr_err;
	const char *naptr_why;
	size_t nnaptr;
	struct dns_naptr naptr[MAX_RR];

	size_t nslots;
	struct srv_slot slots[MAX_PICKS];

	size_t njobs;
	struct job jobs[MAX_JOBS];

	int err;
	size_t ntargets;
	struct sip_target targets[SIP_RESOLVE_MAX];
};

struct sip_resolver {
	struct sip_loop *loop;
	ares_channel ch; /* NULL until the first query, or when a test answers them */
	bool ares_lib;
	char server[INET6_ADDRSTRLEN + 16]; /* the csv of --dns-server; "" for resolv.conf */
	dns_query_fn *query;
	void *query_ctx;
	dns_rand_fn *rnd;
	void *rnd_arg;
	uint64_t rnd_state;
	struct sip_timer tmo; /* c-ares' next timeout */
	int *fds;             /* the sockets c-ares asked the loop to watch */
	size_t nfds, capfds;
	struct req *reqs;
	bool one_server; /* c-ares hands us the server's own answer: see resolver_init */
};

static void trace(struct req *q, const char *fmt, ...) SIP_PRINTF(2, 3);

static void trace(struct req *q, const char *fmt, ...)
{
	char line[768];
	va_list ap;

	if (!q->trace)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	q->trace(line, q->trace_arg);
}

/* "A", "AAAA" or "A/AAAA": what an address lookup asks for. */
static const char *addr_types(const struct req *q)
{
	return q->plan.family == AF_INET ? "A" : q->plan.family == AF_INET6 ? "AAAA" : "A/AAAA";
}

static void advance(struct req *q);

static void on_answer(struct dns_query *dq, const struct dns_answer *a)
{
	struct req *q = dq->req;

	if (a->err == SIP_ETIMEDOUT || a->err == SIP_ENOMEM) {
		if (!q->fatal)
			q->fatal = a->err;
	} else if (a->err == SIP_EDNS) {
		q->failed = true;
	}
	switch (dq->type) {
	case DNS_T_NAPTR:
		q->naptr_err = a->err;
		q->naptr_why = a->why;
		q->nnaptr = 0;
		for (size_t i = 0; !a->err && i < a->n && q->nnaptr < MAX_RR; i++)
			q->naptr[q->nnaptr++] = a->naptr[i];
		break;
	case DNS_T_SRV: {
		struct srv_slot *s = &q->slots[dq->index];
		s->err = a->err;
		s->why = a->why;
		s->n = 0;
		for (size_t i = 0; !a->err && i < a->n && s->n < MAX_SRV; i++)
			s->rr[s->n++] = a->srv[i];
		break;
	}
	case DNS_T_A:
	case DNS_T_AAAA: {
		struct addrs *f = &q->jobs[dq->index].f[dq->type == DNS_T_AAAA];
		int fam = dq->type == DNS_T_AAAA ? AF_INET6 : AF_INET;
		f->err = a->err;
		f->why = a->why;
		f->n = 0;
		for (size_t i = 0; !a->err && i < a->n && f->n < MAX_ADDRS; i++)
			if (a->addr[i].u.sa.sa_family == fam)
				f->addr[f->n++] = a->addr[i];
		break;
	}
	}
	if (--q->pending == 0)
		advance(q);
}

static void ask(struct req *q, struct dns_query *dq, int type, size_t index, const char *name)
{
	dq->type = type;
	dq->h = on_answer;
	dq->req = q;
	dq->index = index;
	q->pending++;
	q->r->query(q->r->query_ctx, dq, name);
}

/* A phase sends its queries between begin and end, so that answers that
 * come back at once do not end it before the last one is sent. */
static void phase_begin(struct req *q, enum phase ph)
{
	q->phase = ph;
	q->pending++;
}

static void phase_end(struct req *q)
{
	if (--q->pending == 0)
		advance(q);
}

static void deliver(void *arg)
{
	struct req *q = arg;
	struct sip_resolver *r = q->r;

	for (struct req **pp = &r->reqs; *pp; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
	/* Unlinked first: the handler may free the resolver, or resolve again. */
	if (q->h)
		q->h(q->err, q->targets, q->ntargets, q->arg);
	free(q);
}

static void finish(struct req *q)
{
	q->phase = PH_DONE;
	if (q->ntargets)
		q->err = 0;
	else if (q->fatal == SIP_ENOMEM)
		q->err = SIP_ENOMEM;
	else if (q->fatal || q->failed)
		q->err = SIP_EDNS;
	else
		q->err = SIP_ENOTFOUND;
	/* The timer is armed (see start), so re-arming it cannot fail. */
	sip_timer_start(q->r->loop, &q->timer, 0, deliver, q);
}

static void add_target(struct req *q, enum sip_tp tp, const struct sip_sockaddr *addr,
                       const char *name)
{
	for (size_t i = 0; i < q->ntargets; i++)
		if (q->targets[i].tp == tp && sip_sockaddr_eq(&q->targets[i].addr, addr))
			return;
	if (q->ntargets == SIP_RESOLVE_MAX)
		return;
	struct sip_target *t = &q->targets[q->ntargets++];
	t->tp = tp;
	t->addr = *addr;
	snprintf(t->name, sizeof t->name, "%s", name);
}

static void add_job(struct req *q, enum sip_tp tp, const char *name, uint16_t port)
{
	size_t same = 0;
	for (size_t i = 0; i < q->njobs; i++) {
		const struct job *j = &q->jobs[i];
		if (strcasecmp(j->name, name) != 0)
			continue;
		if (j->tp == tp && j->port == port)
			return;
		if (!same)
			same = i + 1;
	}
	if (q->njobs == MAX_JOBS)
		return;
	struct job *j = &q->jobs[q->njobs++];
	memset(j, 0, sizeof *j);
	j->tp = tp;
	j->port = port;
	j->same = same;
	snprintf(j->name, sizeof j->name, "%s", name);
}

static void begin_addr(struct req *q)
{
	phase_begin(q, PH_ADDR);
	for (size_t i = 0; i < q->njobs && !q->fatal; i++) {
		struct job *j = &q->jobs[i];
		if (j->same)
			continue;
		/* Both families are asked at once; the result lists A first. */
		j->f[0].asked = q->plan.family != AF_INET6;
		j->f[1].asked = q->plan.family != AF_INET;
		if (j->f[0].asked)
			ask(q, &j->f[0].q, DNS_T_A, i, j->name);
		if (j->f[1].asked)
			ask(q, &j->f[1].q, DNS_T_AAAA, i, j->name);
	}
	phase_end(q);
}

static void begin_srv(struct req *q)
{
	phase_begin(q, PH_SRV);
	for (size_t i = 0; i < q->nslots && !q->fatal; i++)
		ask(q, &q->slots[i].q, DNS_T_SRV, i, q->slots[i].pick.name);
	phase_end(q);
}

static void naptr_done(struct req *q)
{
	const char *host = q->plan.host;

	q->nslots = 0;
	if (q->naptr_err == 0) {
		dns_naptr_sort(q->naptr, q->nnaptr);
		for (size_t i = 0; i < q->nnaptr; i++) {
			const struct dns_naptr *n = &q->naptr[i];
			enum sip_tp tp;
			const char *why = dns_naptr_unusable(n, &q->plan, &tp);
			trace(q, "NAPTR %s: %u %u \"%s\" \"%s\" -> %s%s%s%s", host, n->order,
			      n->pref, n->flags, n->service,
			      n->replacement[0] ? n->replacement : ".", why ? " (ignored: " : "",
			      why ? why : "", why ? ")" : "");
		}
		struct dns_pick picks[MAX_PICKS];
		size_t n = dns_naptr_select(q->naptr, q->nnaptr, &q->plan, picks, MAX_PICKS);
		for (size_t i = 0; i < n; i++)
			q->slots[q->nslots++].pick = picks[i];
		if (!q->nslots)
			trace(q, "no usable NAPTR for %s; trying SRV", host);
	} else if (q->naptr_err == SIP_ENOTFOUND) {
		trace(q, "no NAPTR for %s; trying SRV", host);
	} else {
		trace(q, "NAPTR %s: %s%s", host, q->naptr_why, q->fatal ? "" : "; trying SRV");
	}
	if (q->fatal) {
		finish(q);
		return;
	}
	if (q->nslots) {
		q->fallback_tp = q->slots[0].pick.tp;
	} else {
		struct dns_pick picks[MAX_PICKS];
		size_t n = dns_srv_fallback(&q->plan, picks, MAX_PICKS);
		for (size_t i = 0; i < n; i++)
			q->slots[q->nslots++].pick = picks[i];
		q->fallback_tp = q->plan.tp;
	}
	begin_srv(q);
}

static void srv_done(struct req *q)
{
	bool found = false, unavailable = false;

	for (size_t i = 0; i < q->nslots; i++) {
		struct srv_slot *s = &q->slots[i];
		if (s->err == SIP_ENOTFOUND) {
			trace(q, "no SRV for %s", s->pick.name);
			continue;
		}
		if (s->err) {
			trace(q, "SRV %s: %s", s->pick.name, s->why);
			continue;
		}
		dns_srv_order(s->rr, s->n, q->r->rnd, q->r->rnd_arg);
		for (size_t k = 0; k < s->n; k++) {
			const struct dns_srv *rr = &s->rr[k];
			/* RFC 2782: a target of "." says the service is not offered here. */
			bool root = !rr->target[0] || strcmp(rr->target, ".") == 0;
			trace(q, "SRV %s: %u %u %u %s%s", s->pick.name, rr->priority, rr->weight,
			      rr->port, root ? "." : rr->target,
			      root ? " (service not available)" : "");
			if (root) {
				unavailable = true;
				continue;
			}
			found = true;
			add_job(q, s->pick.tp, rr->target, rr->port);
		}
	}
	if (q->fatal) {
		finish(q);
		return;
	}
	if (!found && !unavailable) {
		uint16_t port = dns_default_port(q->fallback_tp);
		trace(q, "no SRV for %s; trying %s with %s port %u", q->plan.host, addr_types(q),
		      sip_tp_name(q->fallback_tp), port);
		add_job(q, q->fallback_tp, q->plan.host, port);
	}
	if (!q->njobs) {
		finish(q);
		return;
	}
	begin_addr(q);
}

static void addr_done(struct req *q)
{
	static const char *const type[2] = {"A", "AAAA"};

	for (size_t i = 0; i < q->njobs; i++) {
		const struct job *j = &q->jobs[i];
		const struct job *src = j->same ? &q->jobs[j->same - 1] : j;
		for (int k = 0; k < 2; k++) {
			const struct addrs *f = &src->f[k];
			if (!f->asked)
				continue;
			if (!j->same && f->err == SIP_ENOTFOUND)
				trace(q, "no %s for %s", type[k], j->name);
			else if (!j->same && f->err)
				trace(q, "%s %s: %s", type[k], j->name, f->why);
			for (size_t a = 0; a < f->n; a++) {
				struct sip_sockaddr sa = f->addr[a];
				char text[INET6_ADDRSTRLEN];
				if (k == 0) {
					inet_ntop(AF_INET, &sa.u.in.sin_addr, text, sizeof text);
					sa.u.in.sin_port = htons(j->port);
				} else {
					inet_ntop(AF_INET6, &sa.u.in6.sin6_addr, text, sizeof text);
					sa.u.in6.sin6_port = htons(j->port);
				}
				if (!j->same)
					trace(q, "%s %s: %s", type[k], j->name, text);
				add_target(q, j->tp, &sa, j->name);
			}
		}
	}
	finish(q);
}

static void advance(struct req *q)
{
	switch (q->phase) {
	case PH_NAPTR: naptr_done(q); break;
	case PH_SRV: srv_done(q); break;
	case PH_ADDR: addr_done(q); break;
	case PH_START:
	case PH_DONE: break;
	}
}

/* Keeps the request's timer slot until it is delivered. */
static void hold(void *arg)
{
	struct req *q = arg;
	sip_timer_start(q->r->loop, &q->timer, HOLD_US, hold, q);
}

/* Runs on the loop's turn after sip_resolve, so that neither the trace
 * nor the handler can run inside it. */
static void start(void *arg)
{
	struct req *q = arg;
	const struct dns_plan *p = &q->plan;

	/* Re-armed at once: the request keeps its slot in the loop's timer
	 * heap, and finish() can always arm it to deliver. */
	hold(q);
	switch (p->step) {
	case DNS_STEP_NUMERIC:
		trace(q, "%s is an IP address: no DNS lookup", p->host);
		add_target(q, p->tp, &p->addr, p->host);
		finish(q);
		break;
	case DNS_STEP_ADDR:
		trace(q, "port %u given: %s of %s, no NAPTR or SRV", p->port, addr_types(q),
		      p->host);
		add_job(q, p->tp, p->host, p->port);
		begin_addr(q);
		break;
	case DNS_STEP_SRV:
		q->nslots = 1;
		q->slots[0].pick.tp = p->tp;
		if (dns_srv_name(p->tp, p->host, q->slots[0].pick.name, DNS_NAME_MAX) < 0) {
			finish(q);
			break;
		}
		q->fallback_tp = p->tp;
		trace(q, "transport %s given: SRV %s only, no NAPTR", sip_tp_name(p->tp),
		      q->slots[0].pick.name);
		begin_srv(q);
		break;
	case DNS_STEP_NAPTR:
		phase_begin(q, PH_NAPTR);
		ask(q, &q->naptr_q, DNS_T_NAPTR, 0, p->host);
		phase_end(q);
		break;
	}
}

int sip_resolve(struct sip_resolver *r, const struct sip_uri *uri,
                const struct sip_resolve_opts *opts, sip_resolve_h *h, void *arg)
{
	if (!r || !uri || !h)
		return SIP_EINVAL;
	struct req *q = calloc(1, sizeof *q);
	if (!q)
		return SIP_ENOMEM;
	int err = dns_plan(&q->plan, uri, opts);
	if (err) {
		free(q);
		return err;
	}
	q->r = r;
	q->h = h;
	q->arg = arg;
	if (opts) {
		q->trace = opts->trace;
		q->trace_arg = opts->trace_arg;
	}
	sip_timer_init(&q->timer);
	err = sip_timer_start(r->loop, &q->timer, 0, start, q);
	if (err) {
		free(q);
		return err;
	}
	q->next = r->reqs;
	r->reqs = q;
	return 0;
}

void sip_resolve_cancel(struct sip_resolver *r, sip_resolve_h *h, void *arg)
{
	/* Its queries run out (c-ares cannot take back one already sent) and
	 * the request ends as usual, telling no one. */
	for (struct req *q = r ? r->reqs : NULL; q; q = q->next) {
		if (q->h == h && q->arg == arg) {
			q->h = NULL;
			q->trace = NULL;
		}
	}
}

/* ---- randomness for SRV weights: spread, not secrecy ---- */

static uint32_t xorshift(void *arg)
{
	struct sip_resolver *r = arg;
	uint64_t x = r->rnd_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->rnd_state = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

static void seed(struct sip_resolver *r)
{
	uint64_t s = 0;
	if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s)
		s = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)r;
	r->rnd_state = s ? s : 0x9E3779B97F4A7C15ull;
}

int dns_resolver_new_with(struct sip_resolver **rp, struct sip_loop *loop, dns_query_fn *query,
                          void *ctx, dns_rand_fn *rnd, void *rnd_arg)
{
	struct sip_resolver *r = calloc(1, sizeof *r);
	if (!r)
		return SIP_ENOMEM;
	r->loop = loop;
	r->query = query;
	r->query_ctx = ctx;
	seed(r);
	r->rnd = rnd ? rnd : xorshift;
	r->rnd_arg = rnd ? rnd_arg : r;
	sip_timer_init(&r->tmo);
	*rp = r;
	return 0;
}

/* ---- c-ares ---- */

/* Copies a DNS text field for printing and comparing: control characters,
 * quotes and backslashes become '?'. False when it does not fit. */
static bool copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	size_t k = n < cap - 1 ? n : cap - 1;
	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') ? '?' : (char)c;
	}
	dst[k] = '\0';
	return n < cap;
}

union rr_buf {
	struct dns_naptr naptr[MAX_RR];
	struct dns_srv srv[MAX_RR];
	struct sip_sockaddr addr[MAX_RR];
};

static int parse_naptr(const unsigned char *abuf, int alen, struct dns_answer *a, union rr_buf *b)
{
	struct ares_naptr_reply *list = NULL;
	int st = ares_parse_naptr_reply(abuf, alen, &list);
	if (st != ARES_SUCCESS)
		return st;
	for (struct ares_naptr_reply *p = list; p && a->n < MAX_RR; p = p->next) {
		struct dns_naptr *d = &b->naptr[a->n];
		d->order = p->order;
		d->pref = p->preference;
		copy_text(d->flags, sizeof d->flags, (const char *)p->flags);
		copy_text(d->service, sizeof d->service, (const char *)p->service);
		copy_text(d->regexp, sizeof d->regexp, (const char *)p->regexp);
		if (copy_text(d->replacement, sizeof d->replacement, p->replacement))
			a->n++;
	}
	ares_free_data(list);
	a->naptr = b->naptr;
	return a->n ? ARES_SUCCESS : ARES_ENODATA;
}

static int parse_srv(const unsigned char *abuf, int alen, struct dns_answer *a, union rr_buf *b)
{
	struct ares_srv_reply *list = NULL;
	int st = ares_parse_srv_reply(abuf, alen, &list);
	if (st != ARES_SUCCESS)
		return st;
	for (struct ares_srv_reply *p = list; p && a->n < MAX_RR; p = p->next) {
		struct dns_srv *d = &b->srv[a->n];
		d->priority = p->priority;
		d->weight = p->weight;
		d->port = p->port;
		if (copy_text(d->target, sizeof d->target, p->host))
			a->n++;
	}
	ares_free_data(list);
	a->srv = b->srv;
	return a->n ? ARES_SUCCESS : ARES_ENODATA;
}

static int parse_addr(int type, const unsigned char *abuf, int alen, struct dns_answer *a,
                      union rr_buf *b)
{
	struct hostent *he = NULL;
	int st, n = MAX_RR;

	if (type == DNS_T_A) {
		struct ares_addrttl ttl[MAX_RR];
		st = ares_parse_a_reply(abuf, alen, &he, ttl, &n);
		for (int i = 0; st == ARES_SUCCESS && i < n; i++) {
			struct sip_sockaddr *sa = &b->addr[a->n++];
			memset(sa, 0, sizeof *sa);
			sa->u.in.sin_family = AF_INET;
			sa->u.in.sin_addr = ttl[i].ipaddr;
			sa->len = sizeof sa->u.in;
		}
	} else {
		struct ares_addr6ttl ttl[MAX_RR];
		st = ares_parse_aaaa_reply(abuf, alen, &he, ttl, &n);
		for (int i = 0; st == ARES_SUCCESS && i < n; i++) {
			struct sip_sockaddr *sa = &b->addr[a->n++];
			memset(sa, 0, sizeof *sa);
			sa->u.in6.sin6_family = AF_INET6;
			memcpy(&sa->u.in6.sin6_addr, &ttl[i].ip6addr, sizeof sa->u.in6.sin6_addr);
			sa->len = sizeof sa->u.in6;
		}
	}
	if (he)
		ares_free_hostent(he);
	a->addr = b->addr;
	if (st != ARES_SUCCESS)
		return st;
	return a->n ? ARES_SUCCESS : ARES_ENODATA;
}

/* A c-ares status as the RFC 3263 machine sees it, and a reason for the trace. */
static int map_status(const struct sip_resolver *r, int st, const char **why)
{
	switch (st) {
	case ARES_ENODATA: *why = "no records"; return SIP_ENOTFOUND;
	case ARES_ENOTFOUND: *why = "no such name"; return SIP_ENOTFOUND;
	case ARES_EBADNAME: *why = "not a valid name"; return SIP_ENOTFOUND;
	case ARES_ETIMEOUT: *why = "no answer from the DNS server"; return SIP_ETIMEDOUT;
	case ARES_ECONNREFUSED:
		/* Several servers: c-ares says this also when each answered a failure. */
		*why = r->one_server ? "the DNS server cannot be reached"
		                     : "no DNS server answered: each failed, refused the query "
		                       "or cannot be reached";
		return SIP_ETIMEDOUT;
	case ARES_ENOMEM: *why = "out of memory"; return SIP_ENOMEM;
	case ARES_ESERVFAIL:
		*why = "the DNS server answered SERVFAIL (server failure)";
		return SIP_EDNS;
	case ARES_EREFUSED:
		*why = "the DNS server answered REFUSED (query refused)";
		return SIP_EDNS;
	case ARES_ENOTIMP:
		*why = "the DNS server answered NOTIMP (not implemented)";
		return SIP_EDNS;
	case ARES_EFORMERR:
		*why = "the DNS server answered FORMERR (format error)";
		return SIP_EDNS;
	default: *why = ares_strerror(st); return SIP_EDNS;
	}
}

static void on_ares(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_query *dq = arg;
	struct dns_answer a = {0};
	union rr_buf b;

	(void)timeouts;
	/* The resolver is being freed and will free the request itself. */
	if (status == ARES_EDESTRUCTION)
		return;
	if (status == ARES_SUCCESS) {
		if (dq->type == DNS_T_NAPTR)
			status = parse_naptr(abuf, alen, &a, &b);
		else if (dq->type == DNS_T_SRV)
			status = parse_srv(abuf, alen, &a, &b);
		else
			status = parse_addr(dq->type, abuf, alen, &a, &b);
	}
	if (status != ARES_SUCCESS) {
		a.err = map_status(((struct req *)dq->req)->r, status, &a.why);
		a.n = 0;
	}
	dq->h(dq, &a);
}

static void on_tmo(void *arg);

static void arm_timeout(struct sip_resolver *r)
{
	struct timeval tv, *t = ares_timeout(r->ch, NULL, &tv);
	if (!t) {
		sip_timer_cancel(r->loop, &r->tmo);
		return;
	}
	uint64_t us = (uint64_t)t->tv_sec * 1000000u + (uint64_t)t->tv_usec;
	/* Out of memory: the query waits for its socket alone. */
	sip_timer_start(r->loop, &r->tmo, us, on_tmo, r);
}

static void on_tmo(void *arg)
{
	struct sip_resolver *r = arg;
	ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	arm_timeout(r);
}

static void on_fd(int fd, unsigned events, void *arg)
{
	struct sip_resolver *r = arg;
	/* An error is read, so that c-ares sees it and moves on. */
	ares_socket_t rfd = (events & (SIP_EV_READ | SIP_EV_ERROR)) ? fd : ARES_SOCKET_BAD;
	ares_socket_t wfd = (events & SIP_EV_WRITE) ? fd : ARES_SOCKET_BAD;
	ares_process_fd(r->ch, rfd, wfd);
	arm_timeout(r);
}

static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct sip_resolver *r = data;
	unsigned ev = (readable ? SIP_EV_READ : 0) | (writable ? SIP_EV_WRITE : 0);
	size_t i;

	/* Out of memory: the socket goes unwatched and its query times out. */
	sip_loop_fd(r->loop, fd, ev, on_fd, r);
	for (i = 0; i < r->nfds && r->fds[i] != fd; i++)
		;
	if (!ev) {
		if (i < r->nfds)
			r->fds[i] = r->fds[--r->nfds];
		return;
	}
	if (i < r->nfds)
		return;
	if (r->nfds == r->capfds) {
		size_t cap = r->capfds ? r->capfds * 2 : 4;
		int *p = realloc(r->fds, cap * sizeof *p);
		if (!p)
			return;
		r->fds = p;
		r->capfds = cap;
	}
	r->fds[r->nfds++] = fd;
}

/* /etc/hosts first, as getaddrinfo would: "localhost" and names an admin
 * pinned there resolve without a DNS server. True when it answered. */
static bool hosts_file(struct sip_resolver *r, struct dns_query *dq, const char *name)
{
	struct hostent *he = NULL;
	int fam = dq->type == DNS_T_AAAA ? AF_INET6 : AF_INET;
	if (ares_gethostbyname_file(r->ch, name, fam, &he) != ARES_SUCCESS || !he)
		return false;
	struct dns_answer a = {0};
	union rr_buf b;
	for (char **p = he->h_addr_list; *p && a.n < MAX_RR; p++) {
		struct sip_sockaddr *sa = &b.addr[a.n++];
		memset(sa, 0, sizeof *sa);
		if (fam == AF_INET6) {
			sa->u.in6.sin6_family = AF_INET6;
			memcpy(&sa->u.in6.sin6_addr, *p, sizeof sa->u.in6.sin6_addr);
			sa->len = sizeof sa->u.in6;
		} else {
			sa->u.in.sin_family = AF_INET;
			memcpy(&sa->u.in.sin_addr, *p, sizeof sa->u.in.sin_addr);
			sa->len = sizeof sa->u.in;
		}
	}
	ares_free_hostent(he);
	if (a.n == 0)
		return false;
	a.addr = b.addr;
	dq->h(dq, &a);
	return true;
}

static int channel_open(struct sip_resolver *r);

static void ares_ask(void *ctx, struct dns_query *dq, const char *name)
{
	struct sip_resolver *r = ctx;
	int st = r->ch ? ARES_SUCCESS : channel_open(r);
	if (st != ARES_SUCCESS) {
		struct dns_answer a = {0};
		a.err = st == ARES_ENOMEM ? SIP_ENOMEM : SIP_EDNS;
		a.why = ares_strerror(st);
		dq->h(dq, &a);
		return;
	}
	if ((dq->type == DNS_T_A || dq->type == DNS_T_AAAA) && hosts_file(r, dq, name))
		return;
	ares_query(r->ch, name, 1 /* C_IN */, dq->type, on_ares, dq);
	arm_timeout(r);
}

/* "host[:port]" or "[v6]:port" or a bare IPv6 address, into the form
 * ares_set_servers_ports_csv reads. Only addresses: a name would need a
 * resolver of its own. */
static int server_csv(const char *server, char *buf, size_t cap)
{
	struct sip_str host = sip_str_from(server);
	const char *port = NULL;
	const char *colon = strrchr(server, ':');
	uint32_t pv = 53;

	if (server[0] == '[') {
		const char *close = strchr(server, ']');
		if (!close)
			return SIP_EHOST;
		host.len = (size_t)(close - server) + 1;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return SIP_EHOST;
	} else if (colon && strchr(server, ':') == colon) {
		host.len = (size_t)(colon - server);
		port = colon + 1;
	}
	if (port && (sip_str_to_u32(sip_str_from(port), &pv) || pv == 0 || pv > 65535))
		return SIP_EPORT;
	struct sip_sockaddr sa;
	if (sip_sockaddr_set(&sa, host, (uint16_t)pv))
		return SIP_EHOST;
	return sip_sockaddr_print(&sa, buf, cap) < 0 ? SIP_ENOSPC : 0;
}

static int resolver_init(struct sip_resolver *r, bool one_server)
{
	struct ares_options o;
	memset(&o, 0, sizeof o);
	o.sock_state_cb = on_sock_state;
	o.sock_state_cb_data = r;
	o.timeout = ARES_TIMEOUT_MS;
	o.tries = ARES_TRIES;
	o.flags = one_server ? ARES_FLAG_NOCHECKRESP : 0;
	r->one_server = one_server;
	int st = ares_init_options(&r->ch, &o,
	                           ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	                                   ARES_OPT_FLAGS);
	if (st != ARES_SUCCESS)
		r->ch = NULL;
	return st;
}

static size_t count_servers(ares_channel ch)
{
	struct ares_addr_port_node *list = NULL;
	size_t n = 0;
	if (ares_get_servers_ports(ch, &list) != ARES_SUCCESS)
		return 0;
	for (struct ares_addr_port_node *p = list; p; p = p->next)
		n++;
	ares_free_data(list);
	return n;
}

/* The channel, made by the first query: a target that is an address needs
 * none, and c-ares' start reads resolv.conf and nsswitch.conf and holds
 * 200 kB of a one-shot probe's memory. An ARES_ status. */
static int channel_open(struct sip_resolver *r)
{
	if (!r->ares_lib) {
		if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
			return ARES_ENOMEM;
		r->ares_lib = true;
	}
	bool given = r->server[0] != '\0';
	/* A SERVFAIL, REFUSED or NOTIMP answer is retried on the next server;
	 * once none is left, c-ares 1.18 reports ECONNREFUSED, as if nothing had
	 * answered. With one server there is no next: c-ares is told to hand
	 * the answer over, and the trace names what the server said. */
	int st = resolver_init(r, given);
	if (st == ARES_SUCCESS && !given && count_servers(r->ch) == 1) {
		ares_destroy(r->ch);
		st = resolver_init(r, true);
	}
	if (st == ARES_SUCCESS && given &&
	    (st = ares_set_servers_ports_csv(r->ch, r->server)) != ARES_SUCCESS) {
		ares_destroy(r->ch);
		r->ch = NULL;
	}
	return st;
}

int sip_resolver_new(struct sip_resolver **rp, struct sip_loop *loop, const char *server)
{
	struct sip_resolver *r;
	char csv[sizeof r->server] = "";
	int err;

	if (server && (err = server_csv(server, csv, sizeof csv)) != 0)
		return err;
	err = dns_resolver_new_with(&r, loop, ares_ask, NULL, NULL, NULL);
	if (err)
		return err;
	r->query_ctx = r;
	memcpy(r->server, csv, sizeof r->server);
	*rp = r;
	return 0;
}

void sip_resolver_free(struct sip_resolver *r)
{
	if (!r)
		return;
	/* Pending queries end with ARES_EDESTRUCTION, which on_ares ignores;
	 * their requests are freed below without their handlers. */
	if (r->ch)
		ares_destroy(r->ch);
	for (size_t i = 0; i < r->nfds; i++)
		sip_loop_fd(r->loop, r->fds[i], 0, NULL, NULL);
	free(r->fds);
	sip_timer_cancel(r->loop, &r->tmo);
	while (r->reqs) {
		struct req *q = r->reqs;
		r->reqs = q->next;
		sip_timer_cancel(r->loop, &q->timer);
		free(q);
	}
	if (r->ares_lib)
		ares_library_cleanup();
	free(r);
}
