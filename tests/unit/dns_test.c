/* dns_test.c - transport names and socket addresses (lib/addr.c), and RFC 3263
 * resolution (lib/dns.c) on tables of records: no test here uses the network. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <strings.h>

#include "test.h"

/* Sets sa from a C string, or fails the test. */
#define SET(sa, host, port) CHECK_INT(sip_sockaddr_set((sa), sip_str_from(host), (port)), 0)

TEST(dns_tp_names)
{
	CHECK(strcmp(sip_tp_name(SIP_TP_UDP), "UDP") == 0);
	CHECK(strcmp(sip_tp_name(SIP_TP_TCP), "TCP") == 0);
	CHECK(strcmp(sip_tp_name(SIP_TP_TLS), "TLS") == 0);
	CHECK(strcmp(sip_tp_name(SIP_TP_COUNT), "?") == 0);
	CHECK_INT(sip_tp_from_str(SIP_STR("udp")), SIP_TP_UDP);
	CHECK_INT(sip_tp_from_str(SIP_STR("Tcp")), SIP_TP_TCP);
	CHECK_INT(sip_tp_from_str(SIP_STR("TLS")), SIP_TP_TLS);
	CHECK(strcmp(sip_tp_name(SIP_TP_WS), "WS") == 0);
	CHECK(strcmp(sip_tp_name(SIP_TP_WSS), "WSS") == 0);
	CHECK_INT(sip_tp_from_str(SIP_STR("ws")), SIP_TP_WS);
	CHECK_INT(sip_tp_from_str(SIP_STR("WSS")), SIP_TP_WSS);
	CHECK_INT(sip_tp_from_str(SIP_STR("sctp")), -1);
	CHECK_INT(sip_tp_from_str(SIP_STR("")), -1);
	CHECK_INT(sip_tp_from_str(SIP_STR("udpx")), -1);
	return 0;
}

TEST(dns_sockaddr_ipv4)
{
	struct sip_sockaddr sa;
	char buf[64];
	SET(&sa, "192.0.2.1", 5060);
	CHECK_INT(sa.u.sa.sa_family, AF_INET);
	CHECK_INT(sa.len, sizeof(struct sockaddr_in));
	CHECK_INT(sip_sockaddr_port(&sa), 5060);
	CHECK_INT(sip_sockaddr_print(&sa, buf, sizeof buf), 14);
	CHECK(strcmp(buf, "192.0.2.1:5060") == 0);
	CHECK_INT(sip_sockaddr_host(&sa, buf, sizeof buf), 9);
	CHECK(strcmp(buf, "192.0.2.1") == 0);
	/* Exactly enough room, then one short. */
	CHECK_INT(sip_sockaddr_print(&sa, buf, 15), 14);
	CHECK_INT(sip_sockaddr_print(&sa, buf, 14), SIP_ENOSPC);
	CHECK_INT(sip_sockaddr_host(&sa, buf, 9), SIP_ENOSPC);
	return 0;
}

TEST(dns_sockaddr_ipv6)
{
	struct sip_sockaddr sa, sb;
	char buf[64];
	SET(&sa, "[2001:db8::1]", 5061);
	CHECK_INT(sa.u.sa.sa_family, AF_INET6);
	CHECK_INT(sa.len, sizeof(struct sockaddr_in6));
	CHECK_INT(sip_sockaddr_print(&sa, buf, sizeof buf), 18);
	CHECK(strcmp(buf, "[2001:db8::1]:5061") == 0);
	CHECK_INT(sip_sockaddr_host(&sa, buf, sizeof buf), 13);
	CHECK(strcmp(buf, "[2001:db8::1]") == 0);
	/* Without brackets too, and printed in canonical form. */
	SET(&sb, "2001:DB8:0:0:0:0:0:1", 5061);
	CHECK(sip_sockaddr_eq(&sa, &sb));
	SET(&sb, "::1", 0);
	CHECK_INT(sip_sockaddr_print(&sb, buf, sizeof buf), 7);
	CHECK(strcmp(buf, "[::1]:0") == 0);
	SET(&sb, "::ffff:192.0.2.1", 1);
	CHECK_INT(sb.u.sa.sa_family, AF_INET6);
	return 0;
}

TEST(dns_sockaddr_rejects_names)
{
	struct sip_sockaddr sa;
	const char *bad[] = {"",       "example.com", "[192.0.2.1]", "[::1",      "::1]",
	                     "[]",     "192.0.2",     "192.0.2.256", "1.2.3.4.5", "::g",
	                     "[::1]x", "192.0.2.1 ",  "0x7f.0.0.1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int err = sip_sockaddr_set(&sa, sip_str_from(bad[i]), 5060);
		if (err != SIP_EHOST) {
			char w[96];
			snprintf(w, sizeof w, "'%s' gave %d, want SIP_EHOST", bad[i], err);
			test_fail(__FILE__, __LINE__, w);
			return 1;
		}
	}
	/* A slice need not be NUL-terminated: only its length counts. */
	CHECK_INT(sip_sockaddr_set(&sa, (struct sip_str){"10.0.0.1:5060", 8}, 1), 0);
	CHECK_INT(sip_sockaddr_print(&sa, (char[32]){0}, 32), 10);
	char long_host[80];
	memset(long_host, '1', sizeof long_host - 1);
	long_host[sizeof long_host - 1] = '\0';
	CHECK_INT(sip_sockaddr_set(&sa, sip_str_from(long_host), 1), SIP_EHOST);
	return 0;
}

TEST(dns_sockaddr_eq)
{
	struct sip_sockaddr a, b;
	SET(&a, "127.0.0.1", 5060);
	SET(&b, "127.0.0.1", 5060);
	CHECK(sip_sockaddr_eq(&a, &b));
	SET(&b, "127.0.0.1", 5061);
	CHECK(!sip_sockaddr_eq(&a, &b));
	SET(&b, "127.0.0.2", 5060);
	CHECK(!sip_sockaddr_eq(&a, &b));
	SET(&b, "::ffff:127.0.0.1", 5060); /* the same host to a kernel, not to us */
	CHECK(!sip_sockaddr_eq(&a, &b));
	SET(&a, "[::1]", 5060);
	SET(&b, "::1", 5060);
	CHECK(sip_sockaddr_eq(&a, &b));
	b.u.in6.sin6_scope_id = 2;
	CHECK(!sip_sockaddr_eq(&a, &b));
	/* Unset addresses (all zero) are equal to nothing. */
	struct sip_sockaddr z1, z2;
	memset(&z1, 0, sizeof z1);
	memset(&z2, 0, sizeof z2);
	CHECK(!sip_sockaddr_eq(&z1, &z2));
	CHECK_INT(sip_sockaddr_port(&z1), 0);
	CHECK_INT(sip_sockaddr_host(&z1, (char[8]){0}, 8), SIP_EINVAL);
	return 0;
}

/* ---- RFC 3263: planning from the URI, NAPTR and SRV selection, and the
 * whole machine on a table of records instead of a DNS server ---- */

#include "dns_int.h"

static int uri_of(struct sip_uri *u, const char *s)
{
	return sip_uri_parse(u, sip_str_from(s));
}

/* Plans s with the transports in mask (0: all) and family; returns the error. */
static int plan_of(struct dns_plan *p, const char *s, unsigned mask, int family)
{
	struct sip_uri u;
	struct sip_resolve_opts o = {.tp_mask = mask, .family = family};
	int err = uri_of(&u, s);
	if (err)
		return 1000 + err;
	return dns_plan(p, &u, &o);
}

#define TPB(t) (1u << SIP_TP_##t)

TEST(dns_plan_numeric_hosts)
{
	struct dns_plan p;
	char buf[64];
	CHECK_INT(plan_of(&p, "sip:127.0.0.1", 0, AF_UNSPEC), 0);
	CHECK_INT(p.step, DNS_STEP_NUMERIC);
	CHECK_INT(p.tp, SIP_TP_UDP);
	CHECK_INT(sip_sockaddr_print(&p.addr, buf, sizeof buf), 14);
	CHECK(strcmp(buf, "127.0.0.1:5060") == 0);
	CHECK(strcmp(p.host, "127.0.0.1") == 0);

	CHECK_INT(plan_of(&p, "sips:alice@192.0.2.1", 0, AF_UNSPEC), 0);
	CHECK_INT(p.tp, SIP_TP_TLS);
	CHECK_INT(sip_sockaddr_port(&p.addr), 5061);

	/* IPv6 reference: brackets go, the port and transport stay. */
	CHECK_INT(plan_of(&p, "sip:[::1]:5070;transport=TCP", 0, AF_UNSPEC), 0);
	CHECK_INT(p.step, DNS_STEP_NUMERIC);
	CHECK_INT(p.tp, SIP_TP_TCP);
	CHECK(p.tp_given);
	CHECK(strcmp(p.host, "::1") == 0);
	CHECK_INT(sip_sockaddr_print(&p.addr, buf, sizeof buf), 10);
	CHECK(strcmp(buf, "[::1]:5070") == 0);

	/* -t tcp: the default becomes the first transport allowed. */
	CHECK_INT(plan_of(&p, "sip:127.0.0.1", TPB(TCP) | TPB(TLS), AF_UNSPEC), 0);
	CHECK_INT(p.tp, SIP_TP_TCP);
	CHECK_INT(sip_sockaddr_port(&p.addr), 5060);
	CHECK_INT(plan_of(&p, "sip:127.0.0.1", TPB(TLS), AF_UNSPEC), 0);
	CHECK_INT(sip_sockaddr_port(&p.addr), 5061);

	/* The family must allow the address. */
	CHECK_INT(plan_of(&p, "sip:[::1]", 0, AF_INET), SIP_EINVAL);
	CHECK_INT(plan_of(&p, "sip:127.0.0.1", 0, AF_INET6), SIP_EINVAL);
	CHECK_INT(plan_of(&p, "sip:127.0.0.1", 0, AF_INET), 0);
	CHECK_INT(plan_of(&p, "sip:127.0.0.1", 0, 12345), SIP_EINVAL);
	return 0;
}

TEST(dns_plan_names)
{
	struct dns_plan p;
	CHECK_INT(plan_of(&p, "sip:example.test", 0, AF_UNSPEC), 0);
	CHECK_INT(p.step, DNS_STEP_NAPTR);
	CHECK(!p.tp_given);
	CHECK_INT(p.mask, DNS_TP_ALL);

	/* Explicit port: A/AAAA, no SRV; UDP unless the URI says more. */
	CHECK_INT(plan_of(&p, "sip:bob@example.test:5070", 0, AF_UNSPEC), 0);
	CHECK_INT(p.step, DNS_STEP_ADDR);
	CHECK_INT(p.port, 5070);
	CHECK_INT(p.tp, SIP_TP_UDP);
	CHECK_INT(plan_of(&p, "sips:example.test:5071", 0, AF_UNSPEC), 0);
	CHECK_INT(p.step, DNS_STEP_ADDR);
	CHECK_INT(p.tp, SIP_TP_TLS);

	/* ;transport= without a port: SRV for that transport. */
	CHECK_INT(plan_of(&p, "sip:example.test;transport=tcp", 0, AF_UNSPEC), 0);
	CHECK_INT(p.step, DNS_STEP_SRV);
	CHECK_INT(p.tp, SIP_TP_TCP);
	CHECK_INT(p.port, 5060);
	CHECK_INT(plan_of(&p, "sip:example.test;transport=tls", 0, AF_UNSPEC), 0);
	CHECK_INT(p.tp, SIP_TP_TLS);
	CHECK_INT(p.port, 5061);
	/* sips with transport=tcp is TLS; with UDP it is nonsense. */
	CHECK_INT(plan_of(&p, "sips:example.test;transport=tcp", 0, AF_UNSPEC), 0);
	CHECK_INT(p.tp, SIP_TP_TLS);
	CHECK_INT(plan_of(&p, "sips:example.test;transport=udp", 0, AF_UNSPEC), SIP_EINVAL);
	CHECK_INT(plan_of(&p, "sip:example.test;transport=sctp", 0, AF_UNSPEC), SIP_EINVAL);
	CHECK_INT(plan_of(&p, "sip:example.test;transport=tcp", TPB(UDP), AF_UNSPEC), SIP_EINVAL);
	/* WebSocket: the host looked up as it is, at 80 or 443 unless given;
	 * sips makes it WSS. */
	CHECK_INT(plan_of(&p, "sip:example.test;transport=ws", 0, AF_UNSPEC), 0);
	CHECK_INT(p.step, DNS_STEP_ADDR);
	CHECK_INT(p.tp, SIP_TP_WS);
	CHECK_INT(p.port, 80);
	CHECK_INT(plan_of(&p, "sips:example.test;transport=ws", 0, AF_UNSPEC), 0);
	CHECK_INT(p.tp, SIP_TP_WSS);
	CHECK_INT(p.port, 443);
	CHECK_INT(plan_of(&p, "sip:127.0.0.1:8080;transport=wss", 0, AF_UNSPEC), 0);
	CHECK_INT(p.step, DNS_STEP_NUMERIC);
	CHECK_INT(p.port, 8080);
	CHECK_INT(plan_of(&p, "sip:example.test", TPB(WS), AF_UNSPEC), 0);
	CHECK_INT(p.tp, SIP_TP_WS);
	CHECK_INT(p.step, DNS_STEP_ADDR);
	/* sips allows TLS alone, or WebSocket over it. */
	CHECK_INT(plan_of(&p, "sips:example.test", 0, AF_UNSPEC), 0);
	CHECK_INT(p.mask, TPB(TLS) | TPB(WSS));
	CHECK_INT(p.tp, SIP_TP_TLS);
	CHECK_INT(plan_of(&p, "sips:example.test", TPB(UDP) | TPB(TCP), AF_UNSPEC), SIP_EINVAL);

	/* maddr replaces the host; a trailing dot goes. */
	CHECK_INT(plan_of(&p, "sip:example.test;maddr=192.0.2.9", 0, AF_UNSPEC), 0);
	CHECK_INT(p.step, DNS_STEP_NUMERIC);
	CHECK(strcmp(p.host, "192.0.2.9") == 0);
	CHECK_INT(plan_of(&p, "sip:example.test.", 0, AF_UNSPEC), 0);
	CHECK(strcmp(p.host, "example.test") == 0);

	CHECK_INT(plan_of(&p, "tel:+15551234", 0, AF_UNSPEC), SIP_ESCHEME);
	CHECK_INT(plan_of(&p, "http://example.test/", 0, AF_UNSPEC), SIP_ESCHEME);
	return 0;
}

static struct dns_naptr naptr(uint16_t order, uint16_t pref, const char *flags, const char *svc,
                              const char *repl)
{
	struct dns_naptr n;
	memset(&n, 0, sizeof n);
	n.order = order;
	n.pref = pref;
	snprintf(n.flags, sizeof n.flags, "%s", flags);
	snprintf(n.service, sizeof n.service, "%s", svc);
	snprintf(n.replacement, sizeof n.replacement, "%s", repl);
	return n;
}

TEST(dns_naptr_order_and_preference)
{
	struct dns_plan p;
	struct dns_pick out[8];
	struct dns_naptr rr[] = {
		naptr(20, 10, "s", "SIP+D2U", "_sip._udp.example.test"),
		naptr(10, 60, "s", "SIP+D2T", "_sip._tcp.b.example.test"),
		naptr(10, 50, "S", "sips+d2t", "_sips._tcp.example.test"),
		naptr(10, 60, "s", "SIP+D2T",
	              "_sip._tcp.c.example.test"), /* ties keep their order */
	};
	CHECK_INT(plan_of(&p, "sip:example.test", 0, AF_UNSPEC), 0);
	dns_naptr_sort(rr, 4);
	CHECK_INT(dns_naptr_select(rr, 4, &p, out, 8), 4);
	CHECK_INT(out[0].tp, SIP_TP_TLS);
	CHECK(strcmp(out[0].name, "_sips._tcp.example.test") == 0);
	CHECK(strcmp(out[1].name, "_sip._tcp.b.example.test") == 0);
	CHECK(strcmp(out[2].name, "_sip._tcp.c.example.test") == 0);
	CHECK_INT(out[3].tp, SIP_TP_UDP);
	/* max bounds the output. */
	CHECK_INT(dns_naptr_select(rr, 4, &p, out, 2), 2);
	return 0;
}

TEST(dns_naptr_filters_transports)
{
	struct dns_plan p;
	struct dns_pick out[8];
	enum sip_tp tp;
	struct dns_naptr rr[] = {
		naptr(10, 10, "s", "SIP+D2S", "_sip._sctp.example.test"),
		naptr(10, 20, "s", "SIP+D2W", "_sip._ws.example.test"),
		naptr(10, 30, "u", "SIP+D2U", "_sip._udp.example.test"),
		naptr(10, 40, "", "SIP+D2U", "_sip._udp.example.test"),
		naptr(10, 50, "s", "E2U+sip", "_sip._udp.example.test"),
		naptr(10, 60, "s", "SIP+D2T", ""),
		naptr(10, 70, "s", "SIP+D2T", "_sip._tcp.example.test"),
		naptr(10, 80, "s", "SIP+D2U", "_sip._udp.example.test"),
		naptr(10, 90, "s", "SIPS+D2T", "_sips._tcp.example.test"),
	};
	const size_t n = sizeof rr / sizeof rr[0];
	CHECK_INT(plan_of(&p, "sip:example.test", 0, AF_UNSPEC), 0);
	CHECK(strcmp(dns_naptr_unusable(&rr[0], &p, &tp), "SCTP is not supported") == 0);
	CHECK(strcmp(dns_naptr_unusable(&rr[1], &p, &tp),
	             "WebSocket is reached by host and port, not NAPTR") == 0);
	CHECK(strcmp(dns_naptr_unusable(&rr[2], &p, &tp), "flag is not \"s\"") == 0);
	CHECK(strcmp(dns_naptr_unusable(&rr[3], &p, &tp), "flag is not \"s\"") == 0);
	CHECK(strcmp(dns_naptr_unusable(&rr[4], &p, &tp), "not a SIP service") == 0);
	CHECK(strcmp(dns_naptr_unusable(&rr[5], &p, &tp), "no replacement") == 0);
	CHECK(dns_naptr_unusable(&rr[6], &p, &tp) == NULL);
	CHECK_INT(tp, SIP_TP_TCP);
	CHECK_INT(dns_naptr_select(rr, n, &p, out, 8), 3);

	/* A regexp has no place in SIP's NAPTRs. */
	struct dns_naptr re = naptr(10, 10, "s", "SIP+D2U", "_sip._udp.example.test");
	snprintf(re.regexp, sizeof re.regexp, "!^.*$!x!");
	CHECK(strcmp(dns_naptr_unusable(&re, &p, &tp), "has a regexp") == 0);

	/* -t udp */
	CHECK_INT(plan_of(&p, "sip:example.test", TPB(UDP), AF_UNSPEC), 0);
	CHECK(strcmp(dns_naptr_unusable(&rr[6], &p, &tp), "TCP is not allowed") == 0);
	CHECK_INT(dns_naptr_select(rr, n, &p, out, 8), 1);
	CHECK_INT(out[0].tp, SIP_TP_UDP);

	/* sips: SIPS+D2T alone. */
	CHECK_INT(plan_of(&p, "sips:example.test", 0, AF_UNSPEC), 0);
	CHECK(strcmp(dns_naptr_unusable(&rr[6], &p, &tp), "not SIPS") == 0);
	CHECK_INT(dns_naptr_select(rr, n, &p, out, 8), 1);
	CHECK_INT(out[0].tp, SIP_TP_TLS);
	CHECK(strcmp(out[0].name, "_sips._tcp.example.test") == 0);
	return 0;
}

TEST(dns_srv_fallback_names)
{
	struct dns_plan p;
	struct dns_pick out[8];
	CHECK_INT(plan_of(&p, "sip:example.test", 0, AF_UNSPEC), 0);
	CHECK_INT(dns_srv_fallback(&p, out, 8), 3);
	CHECK(strcmp(out[0].name, "_sips._tcp.example.test") == 0);
	CHECK_INT(out[0].tp, SIP_TP_TLS);
	CHECK(strcmp(out[1].name, "_sip._tcp.example.test") == 0);
	CHECK(strcmp(out[2].name, "_sip._udp.example.test") == 0);
	CHECK_INT(out[2].tp, SIP_TP_UDP);
	CHECK_INT(plan_of(&p, "sips:example.test", 0, AF_UNSPEC), 0);
	CHECK_INT(dns_srv_fallback(&p, out, 8), 1);
	CHECK(strcmp(out[0].name, "_sips._tcp.example.test") == 0);
	CHECK_INT(plan_of(&p, "sip:example.test", TPB(UDP) | TPB(TCP), AF_UNSPEC), 0);
	CHECK_INT(dns_srv_fallback(&p, out, 8), 2);
	CHECK(strcmp(out[0].name, "_sip._tcp.example.test") == 0);
	return 0;
}

static struct dns_srv srv(uint16_t prio, uint16_t weight, uint16_t port, const char *target)
{
	struct dns_srv s;
	memset(&s, 0, sizeof s);
	s.priority = prio;
	s.weight = weight;
	s.port = port;
	snprintf(s.target, sizeof s.target, "%s", target);
	return s;
}

/* Draws from a list, then zeros. */
struct draws {
	const uint32_t *v;
	size_t n, i;
};

static uint32_t draw(void *arg)
{
	struct draws *d = arg;
	return d->i < d->n ? d->v[d->i++] : 0;
}

TEST(dns_srv_priority_order)
{
	struct dns_srv rr[] = {srv(30, 0, 5060, "c"), srv(10, 0, 5060, "a"), srv(20, 0, 5060, "b"),
	                       srv(10, 0, 5061, "a2")};
	struct draws d = {NULL, 0, 0};
	dns_srv_order(rr, 4, draw, &d);
	CHECK(strcmp(rr[0].target, "a") == 0);
	CHECK(strcmp(rr[1].target, "a2") == 0); /* weight 0 all round: as they came */
	CHECK(strcmp(rr[2].target, "b") == 0);
	CHECK(strcmp(rr[3].target, "c") == 0);
	return 0;
}

TEST(dns_srv_weighted_selection)
{
	/* Running sums 10, 70, 100 over a, b, c: a draw of 50 picks b; then
	 * over a, c (10, 40) a draw of 35 picks c. */
	struct dns_srv rr[] = {srv(10, 10, 1, "a"), srv(10, 60, 2, "b"), srv(10, 30, 3, "c")};
	uint32_t v1[] = {50, 35};
	struct draws d = {v1, 2, 0};
	dns_srv_order(rr, 3, draw, &d);
	CHECK(strcmp(rr[0].target, "b") == 0);
	CHECK(strcmp(rr[1].target, "c") == 0);
	CHECK(strcmp(rr[2].target, "a") == 0);
	CHECK_INT(d.i, 2); /* the last one needs no draw */

	/* The draw is taken modulo sum + 1: 201 % 101 = 100 picks the last. */
	struct dns_srv r2[] = {srv(1, 10, 1, "a"), srv(1, 60, 2, "b"), srv(1, 30, 3, "c")};
	uint32_t v2[] = {201, 0};
	struct draws d2 = {v2, 2, 0};
	dns_srv_order(r2, 3, draw, &d2);
	CHECK(strcmp(r2[0].target, "c") == 0);
	CHECK(strcmp(r2[1].target, "a") == 0);
	return 0;
}

TEST(dns_srv_weight_zero)
{
	/* Weight 0 goes first in the running sum: only a draw of 0 picks it. */
	struct dns_srv rr[] = {srv(10, 5, 1, "w5"), srv(10, 0, 2, "w0"), srv(10, 5, 3, "w5b")};
	uint32_t v1[] = {0};
	struct draws d = {v1, 1, 0};
	dns_srv_order(rr, 3, draw, &d);
	CHECK(strcmp(rr[0].target, "w0") == 0);

	struct dns_srv r2[] = {srv(10, 5, 1, "w5"), srv(10, 0, 2, "w0"), srv(10, 5, 3, "w5b")};
	uint32_t v2[] = {1, 1};
	struct draws d2 = {v2, 2, 0};
	dns_srv_order(r2, 3, draw, &d2);
	CHECK(strcmp(r2[0].target, "w5") == 0);
	CHECK(strcmp(r2[1].target, "w5b") == 0);
	CHECK(strcmp(r2[2].target, "w0") == 0);

	/* Priorities still come first. */
	struct dns_srv r3[] = {srv(20, 0, 1, "late"), srv(10, 65535, 2, "heavy"),
	                       srv(10, 0, 3, "light")};
	uint32_t v3[] = {7};
	struct draws d3 = {v3, 1, 0};
	dns_srv_order(r3, 3, draw, &d3);
	CHECK(strcmp(r3[0].target, "heavy") == 0);
	CHECK(strcmp(r3[1].target, "light") == 0);
	CHECK(strcmp(r3[2].target, "late") == 0);
	return 0;
}

/* ---- the machine on a table ---- */

struct fake_rr {
	const char *name;
	int type;
	const char *data; /* NAPTR "order pref flags service replacement" ("-": empty);
	                     SRV "priority weight port target"; A/AAAA an address;
	                     "!SERVFAIL", "!TIMEOUT" for a failed answer */
};

#define FAKE_MAX_Q 64

struct fake {
	const struct fake_rr *rr;
	size_t nrr;
	bool sync; /* answer inside the query call, as c-ares may */
	struct sip_loop *loop;
	struct sip_timer t;
	struct dns_query *queue[FAKE_MAX_Q];
	char qname[FAKE_MAX_Q][DNS_NAME_MAX];
	size_t nq;
	char log[2048]; /* "NAPTR example.test\n" for each query */
};

static const char *type_name(int type)
{
	return type == DNS_T_NAPTR ? "NAPTR"
	       : type == DNS_T_SRV ? "SRV"
	       : type == DNS_T_A   ? "A"
	                           : "AAAA";
}

static void field(const char **p, char *out, size_t cap)
{
	size_t n = strcspn(*p, " ");
	snprintf(out, cap, "%.*s", (int)n, *p);
	if (strcmp(out, "-") == 0)
		out[0] = '\0';
	*p += n;
	while (**p == ' ')
		(*p)++;
}

static void fake_answer(struct fake *f, struct dns_query *dq, const char *name)
{
	struct dns_naptr nap[8];
	struct dns_srv sv[8];
	struct sip_sockaddr ad[8];
	struct dns_answer a = {
		.err = SIP_ENOTFOUND, .why = "no such name", .naptr = nap, .srv = sv, .addr = ad};
	char tmp[DNS_NAME_MAX];
	for (size_t i = 0; i < f->nrr && a.n < 8; i++) {
		const struct fake_rr *r = &f->rr[i];
		if (strcasecmp(r->name, name) != 0 || r->type != dq->type)
			continue;
		if (strcmp(r->data, "!SERVFAIL") == 0) {
			a.err = SIP_EDNS;
			a.why = "server failure";
			break;
		}
		if (strcmp(r->data, "!TIMEOUT") == 0) {
			a.err = SIP_ETIMEDOUT;
			a.why = "no answer";
			break;
		}
		a.err = 0;
		const char *p = r->data;
		if (r->type == DNS_T_NAPTR) {
			struct dns_naptr *n = &nap[a.n++];
			memset(n, 0, sizeof *n);
			field(&p, tmp, sizeof tmp);
			n->order = (uint16_t)strtoul(tmp, NULL, 10);
			field(&p, tmp, sizeof tmp);
			n->pref = (uint16_t)strtoul(tmp, NULL, 10);
			field(&p, n->flags, sizeof n->flags);
			field(&p, n->service, sizeof n->service);
			field(&p, n->replacement, sizeof n->replacement);
		} else if (r->type == DNS_T_SRV) {
			struct dns_srv *s = &sv[a.n++];
			memset(s, 0, sizeof *s);
			field(&p, tmp, sizeof tmp);
			s->priority = (uint16_t)strtoul(tmp, NULL, 10);
			field(&p, tmp, sizeof tmp);
			s->weight = (uint16_t)strtoul(tmp, NULL, 10);
			field(&p, tmp, sizeof tmp);
			s->port = (uint16_t)strtoul(tmp, NULL, 10);
			field(&p, s->target, sizeof s->target);
		} else if (sip_sockaddr_set(&ad[a.n], sip_str_from(p), 0) == 0) {
			a.n++;
		}
	}
	dq->h(dq, &a);
}

static void fake_flush(void *arg)
{
	struct fake *f = arg;
	/* Answers may ask more questions: take the queue as it is now. */
	size_t n = f->nq;
	struct dns_query *q[FAKE_MAX_Q];
	char names[FAKE_MAX_Q][DNS_NAME_MAX];
	memcpy(q, f->queue, n * sizeof q[0]);
	memcpy(names, f->qname, n * sizeof names[0]);
	f->nq = 0;
	/* Last asked, first answered: the result must not depend on it. */
	for (size_t i = n; i-- > 0;)
		fake_answer(f, q[i], names[i]);
}

static void fake_query(void *ctx, struct dns_query *dq, const char *name)
{
	struct fake *f = ctx;
	size_t len = strlen(f->log);
	snprintf(f->log + len, sizeof f->log - len, "%s %s\n", type_name(dq->type), name);
	if (f->sync) {
		fake_answer(f, dq, name);
		return;
	}
	if (f->nq == FAKE_MAX_Q)
		return;
	f->queue[f->nq] = dq;
	snprintf(f->qname[f->nq], DNS_NAME_MAX, "%s", name);
	f->nq++;
	sip_timer_start(f->loop, &f->t, 0, fake_flush, f);
}

struct result {
	bool done;
	int err;
	size_t n;
	char list[2048];  /* "UDP 127.0.0.1:5060 name\n" per target */
	char trace[4096]; /* the trace lines */
};

static void on_trace(const char *line, void *arg)
{
	struct result *r = arg;
	size_t len = strlen(r->trace);
	snprintf(r->trace + len, sizeof r->trace - len, "%s\n", line);
}

static void on_result(int err, const struct sip_target *t, size_t n, void *arg)
{
	struct result *r = arg;
	r->done = true;
	r->err = err;
	r->n = n;
	for (size_t i = 0; i < n; i++) {
		char a[64];
		size_t len = strlen(r->list);
		sip_sockaddr_print(&t[i].addr, a, sizeof a);
		snprintf(r->list + len, sizeof r->list - len, "%s %s %s\n", sip_tp_name(t[i].tp), a,
		         t[i].name);
	}
}

/* Resolves s against the table; fills res. Returns 0, 1000 + the error of
 * sip_resolve or of the URI, or 1 when something ran inside sip_resolve. */
static int run_fake(const struct fake_rr *rr, size_t nrr, bool sync, const char *s, unsigned mask,
                    int family, struct fake *f, struct result *res)
{
	struct sip_loop *l;
	struct sip_resolver *r = NULL;
	struct sip_uri u;
	struct sip_resolve_opts o = {
		.tp_mask = mask, .family = family, .trace = on_trace, .trace_arg = res};
	memset(f, 0, sizeof *f);
	memset(res, 0, sizeof *res);
	f->rr = rr;
	f->nrr = nrr;
	f->sync = sync;
	bool inside = false;
	if (sip_loop_new(&l))
		return 1000 + SIP_ENOMEM;
	f->loop = l;
	sip_timer_init(&f->t);
	/* No draws: SRV weights keep the order of the table. */
	struct draws d = {NULL, 0, 0};
	int err = dns_resolver_new_with(&r, l, fake_query, f, draw, &d);
	if (!err)
		err = uri_of(&u, s);
	if (!err) {
		err = sip_resolve(r, &u, &o, on_result, res);
		/* Never from inside sip_resolve, not even with answers at hand. */
		inside = res->done || res->trace[0];
	}
	for (int i = 0; !err && !inside && !res->done && i < 100; i++)
		sip_loop_poll(l, 0);
	sip_timer_cancel(l, &f->t);
	sip_resolver_free(r);
	sip_loop_free(l);
	if (inside)
		return 1;
	return err ? 1000 + err : 0;
}

/* Whole texts: on a difference both are printed in full. */
#define CHECK_TEXT(got, want)                                                                      \
	do {                                                                                       \
		if (strcmp((got), (want)) != 0) {                                                  \
			text_differs(__FILE__, __LINE__, (got), (want));                           \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

static void text_differs(const char *file, int line, const char *got, const char *want)
{
	printf("--- got:\n%s--- want:\n%s---\n", got, want);
	test_fail(file, line, "text differs");
}

#define NREC(a) (sizeof(a) / sizeof((a)[0]))

static const struct fake_rr zone[] = {
	{"example.test", DNS_T_NAPTR, "20 10 s SIP+D2U _sip._udp.example.test"},
	{"example.test", DNS_T_NAPTR, "10 50 s SIP+D2T _sip._tcp.example.test"},
	{"example.test", DNS_T_NAPTR, "10 40 s SIP+D2S _sip._sctp.example.test"},
	{"_sip._tcp.example.test", DNS_T_SRV, "20 0 5062 sip2.example.test"},
	{"_sip._tcp.example.test", DNS_T_SRV, "10 0 5060 sip1.example.test"},
	{"_sip._udp.example.test", DNS_T_SRV, "10 0 5060 sip1.example.test"},
	{"sip1.example.test", DNS_T_A, "127.0.0.1"},
	{"sip1.example.test", DNS_T_AAAA, "::1"},
	{"sip2.example.test", DNS_T_A, "127.0.0.2"},
	/* SRV, no NAPTR */
	{"_sip._udp.srv.test", DNS_T_SRV, "10 0 5070 host.srv.test"},
	{"_sips._tcp.srv.test", DNS_T_SRV, "10 0 5071 host.srv.test"},
	{"host.srv.test", DNS_T_A, "127.0.0.3"},
	/* A alone */
	{"a.test", DNS_T_A, "127.0.0.4"},
	{"a.test", DNS_T_A, "127.0.0.5"},
	/* A SERVFAIL for NAPTR, a good A */
	{"broken.test", DNS_T_NAPTR, "!SERVFAIL"},
	{"broken.test", DNS_T_A, "127.0.0.6"},
	{"dead.test", DNS_T_NAPTR, "!TIMEOUT"},
	/* "." target: the service is not here */
	{"_sip._udp.none.test", DNS_T_SRV, "0 0 0 ."},
	{"none.test", DNS_T_A, "127.0.0.7"},
};

TEST(dns_resolve_naptr_srv_a)
{
	struct fake f;
	struct result r;
	for (int sync = 0; sync < 2; sync++) {
		CHECK_INT(
			run_fake(zone, NREC(zone), sync, "sip:example.test", 0, AF_UNSPEC, &f, &r),
			0);
		CHECK(r.done);
		CHECK_INT(r.err, 0);
		CHECK_TEXT(r.list, "TCP 127.0.0.1:5060 sip1.example.test\n"
		                   "TCP [::1]:5060 sip1.example.test\n"
		                   "TCP 127.0.0.2:5062 sip2.example.test\n"
		                   "UDP 127.0.0.1:5060 sip1.example.test\n"
		                   "UDP [::1]:5060 sip1.example.test\n");
		CHECK_TEXT(r.trace,
		           "NAPTR example.test: 10 40 \"s\" \"SIP+D2S\" -> _sip._sctp.example.test "
		           "(ignored: SCTP is not supported)\n"
		           "NAPTR example.test: 10 50 \"s\" \"SIP+D2T\" -> _sip._tcp.example.test\n"
		           "NAPTR example.test: 20 10 \"s\" \"SIP+D2U\" -> _sip._udp.example.test\n"
		           "SRV _sip._tcp.example.test: 10 0 5060 sip1.example.test\n"
		           "SRV _sip._tcp.example.test: 20 0 5062 sip2.example.test\n"
		           "SRV _sip._udp.example.test: 10 0 5060 sip1.example.test\n"
		           "A sip1.example.test: 127.0.0.1\n"
		           "AAAA sip1.example.test: ::1\n"
		           "A sip2.example.test: 127.0.0.2\n"
		           "no AAAA for sip2.example.test\n");
		/* sip1 is asked about once, though two SRV records name it. */
		CHECK_TEXT(f.log, "NAPTR example.test\n"
		                  "SRV _sip._tcp.example.test\n"
		                  "SRV _sip._udp.example.test\n"
		                  "A sip1.example.test\n"
		                  "AAAA sip1.example.test\n"
		                  "A sip2.example.test\n"
		                  "AAAA sip2.example.test\n");
	}
	return 0;
}

TEST(dns_resolve_filters_family_and_transport)
{
	struct fake f;
	struct result r;
	CHECK_INT(run_fake(zone, NREC(zone), false, "sip:example.test", TPB(UDP), AF_INET, &f, &r),
	          0);
	CHECK_INT(r.err, 0);
	CHECK_TEXT(r.list, "UDP 127.0.0.1:5060 sip1.example.test\n");
	CHECK(strstr(r.trace, "(ignored: TCP is not allowed)"));
	CHECK(!strstr(f.log, "AAAA"));
	CHECK(!strstr(f.log, "_sip._tcp"));

	CHECK_INT(run_fake(zone, NREC(zone), false, "sip:example.test", 0, AF_INET6, &f, &r), 0);
	CHECK_TEXT(r.list, "TCP [::1]:5060 sip1.example.test\n"
	                   "UDP [::1]:5060 sip1.example.test\n");
	CHECK(strstr(r.trace, "no AAAA for sip2.example.test\n"));
	return 0;
}

TEST(dns_resolve_srv_without_naptr)
{
	struct fake f;
	struct result r;
	CHECK_INT(run_fake(zone, NREC(zone), false, "sip:srv.test", 0, AF_INET, &f, &r), 0);
	CHECK_TEXT(r.list, "TLS 127.0.0.3:5071 host.srv.test\n"
	                   "UDP 127.0.0.3:5070 host.srv.test\n");
	CHECK_TEXT(r.trace, "no NAPTR for srv.test; trying SRV\n"
	                    "SRV _sips._tcp.srv.test: 10 0 5071 host.srv.test\n"
	                    "no SRV for _sip._tcp.srv.test\n"
	                    "SRV _sip._udp.srv.test: 10 0 5070 host.srv.test\n"
	                    "A host.srv.test: 127.0.0.3\n");
	/* sips: _sips._tcp alone. */
	CHECK_INT(run_fake(zone, NREC(zone), false, "sips:srv.test", 0, AF_INET, &f, &r), 0);
	CHECK_TEXT(r.list, "TLS 127.0.0.3:5071 host.srv.test\n");
	CHECK(!strstr(f.log, "_sip._"));
	return 0;
}

TEST(dns_resolve_a_fallback)
{
	struct fake f;
	struct result r;
	CHECK_INT(run_fake(zone, NREC(zone), true, "sip:alice@a.test", 0, AF_UNSPEC, &f, &r), 0);
	CHECK_TEXT(r.list, "UDP 127.0.0.4:5060 a.test\n"
	                   "UDP 127.0.0.5:5060 a.test\n");
	CHECK(strstr(r.trace, "no SRV for a.test; trying A/AAAA with UDP port 5060\n"));
	/* sips falls back to TLS on 5061. */
	CHECK_INT(run_fake(zone, NREC(zone), true, "sips:a.test", 0, AF_INET, &f, &r), 0);
	CHECK_TEXT(r.list, "TLS 127.0.0.4:5061 a.test\n"
	                   "TLS 127.0.0.5:5061 a.test\n");
	/* -t tcp: TCP on 5060. */
	CHECK_INT(run_fake(zone, NREC(zone), true, "sip:a.test", TPB(TCP), AF_INET, &f, &r), 0);
	CHECK_TEXT(r.list, "TCP 127.0.0.4:5060 a.test\n"
	                   "TCP 127.0.0.5:5060 a.test\n");
	return 0;
}

TEST(dns_resolve_explicit_port_and_transport)
{
	struct fake f;
	struct result r;
	CHECK_INT(run_fake(zone, NREC(zone), false, "sip:sip1.example.test:5080", 0, AF_UNSPEC, &f,
	                   &r),
	          0);
	CHECK_TEXT(f.log, "A sip1.example.test\nAAAA sip1.example.test\n");
	CHECK_TEXT(r.list, "UDP 127.0.0.1:5080 sip1.example.test\n"
	                   "UDP [::1]:5080 sip1.example.test\n");
	CHECK(strstr(r.trace, "port 5080 given: A/AAAA of sip1.example.test, no NAPTR or SRV\n"));

	CHECK_INT(run_fake(zone, NREC(zone), false, "sip:example.test;transport=tcp", 0, AF_INET,
	                   &f, &r),
	          0);
	CHECK_TEXT(f.log, "SRV _sip._tcp.example.test\n"
	                  "A sip1.example.test\n"
	                  "A sip2.example.test\n");
	CHECK_TEXT(r.list, "TCP 127.0.0.1:5060 sip1.example.test\n"
	                   "TCP 127.0.0.2:5062 sip2.example.test\n");

	/* ;transport= with no SRV: A/AAAA of the domain for that transport. */
	CHECK_INT(run_fake(zone, NREC(zone), false, "sip:a.test;transport=tcp", 0, AF_INET, &f, &r),
	          0);
	CHECK_TEXT(r.list, "TCP 127.0.0.4:5060 a.test\nTCP 127.0.0.5:5060 a.test\n");
	return 0;
}

TEST(dns_resolve_numeric_needs_no_dns)
{
	struct fake f;
	struct result r;
	CHECK_INT(run_fake(zone, NREC(zone), false, "sip:127.0.0.1", 0, AF_UNSPEC, &f, &r), 0);
	CHECK_TEXT(f.log, "");
	CHECK_TEXT(r.list, "UDP 127.0.0.1:5060 127.0.0.1\n");
	CHECK_TEXT(r.trace, "127.0.0.1 is an IP address: no DNS lookup\n");
	CHECK_INT(
		run_fake(zone, NREC(zone), false, "sips:[2001:db8::5]:5999", 0, AF_UNSPEC, &f, &r),
		0);
	CHECK_TEXT(r.list, "TLS [2001:db8::5]:5999 2001:db8::5\n");
	return 0;
}

TEST(dns_resolve_errors)
{
	struct fake f;
	struct result r;
	CHECK_INT(run_fake(zone, NREC(zone), false, "sip:nothing.test", 0, AF_UNSPEC, &f, &r), 0);
	CHECK(r.done);
	CHECK_INT(r.err, SIP_ENOTFOUND);
	CHECK_INT(r.n, 0);
	CHECK(strstr(r.trace, "no A for nothing.test\nno AAAA for nothing.test\n"));

	/* A server failure on NAPTR is passed over... */
	CHECK_INT(run_fake(zone, NREC(zone), false, "sip:broken.test", 0, AF_INET, &f, &r), 0);
	CHECK_INT(r.err, 0);
	CHECK(strstr(r.trace, "NAPTR broken.test: server failure; trying SRV\n"));
	CHECK_TEXT(r.list, "UDP 127.0.0.6:5060 broken.test\n");
	/* ...but counts when nothing is found. */
	static const struct fake_rr failing[] = {{"_sip._udp.x.test", DNS_T_SRV, "!SERVFAIL"}};
	CHECK_INT(run_fake(failing, 1, false, "sip:x.test;transport=udp", 0, AF_INET, &f, &r), 0);
	CHECK_INT(r.err, SIP_EDNS);

	/* No answer at all: stop at once with SIP_EDNS. */
	CHECK_INT(run_fake(zone, NREC(zone), false, "sip:dead.test", 0, AF_UNSPEC, &f, &r), 0);
	CHECK_INT(r.err, SIP_EDNS);
	CHECK_TEXT(f.log, "NAPTR dead.test\n");
	CHECK_TEXT(r.trace, "NAPTR dead.test: no answer\n");

	/* "." : the service is not available, and no A fallback. */
	CHECK_INT(run_fake(zone, NREC(zone), false, "sip:none.test;transport=udp", 0, AF_INET, &f,
	                   &r),
	          0);
	CHECK_INT(r.err, SIP_ENOTFOUND);
	CHECK(strstr(r.trace, "SRV _sip._udp.none.test: 0 0 0 . (service not available)\n"));
	CHECK(!strstr(f.log, "A none.test"));

	/* Refused before any query. */
	CHECK_INT(run_fake(zone, NREC(zone), false, "tel:+1555", 0, AF_UNSPEC, &f, &r),
	          1000 + SIP_ESCHEME);
	CHECK_INT(run_fake(zone, NREC(zone), false, "sips:a.test;transport=udp", 0, AF_UNSPEC, &f,
	                   &r),
	          1000 + SIP_EINVAL);
	CHECK(!r.done);
	return 0;
}

/* The handler may free the resolver that called it. */
static void free_in_handler(int err, const struct sip_target *t, size_t n, void *arg)
{
	(void)err;
	(void)t;
	(void)n;
	sip_resolver_free(*(struct sip_resolver **)arg);
	*(struct sip_resolver **)arg = NULL;
}

TEST(dns_resolver_free_in_handler_and_pending)
{
	struct sip_loop *l;
	struct sip_resolver *r;
	struct fake f;
	struct sip_uri u;
	memset(&f, 0, sizeof f);
	f.rr = zone;
	f.nrr = NREC(zone);
	CHECK_INT(sip_loop_new(&l), 0);
	f.loop = l;
	CHECK_INT(dns_resolver_new_with(&r, l, fake_query, &f, NULL, NULL), 0);
	CHECK_INT(uri_of(&u, "sip:127.0.0.1"), 0);
	CHECK_INT(sip_resolve(r, &u, NULL, free_in_handler, &r), 0);
	for (int i = 0; r && i < 10; i++)
		sip_loop_poll(l, 0);
	CHECK(r == NULL);

	/* Freed with a request waiting for answers: no handler, no leak. */
	CHECK_INT(dns_resolver_new_with(&r, l, fake_query, &f, NULL, NULL), 0);
	CHECK_INT(uri_of(&u, "sip:example.test"), 0);
	struct result res;
	memset(&res, 0, sizeof res);
	CHECK_INT(sip_resolve(r, &u, NULL, on_result, &res), 0);
	CHECK_INT(sip_loop_poll(l, 0), 1); /* start: the NAPTR query is queued */
	CHECK_INT(f.nq, 1);
	sip_resolver_free(r);
	f.nq = 0;
	sip_timer_cancel(l, &f.t);
	CHECK(!res.done);
	sip_loop_free(l);
	return 0;
}

/* A resolution cancelled while its queries are out: they run out, and no
 * one is told; another resolution of the same resolver is. */
TEST(dns_resolve_cancel)
{
	struct sip_loop *l;
	struct sip_resolver *r;
	struct fake f;
	struct sip_uri u;
	struct result gone, kept;
	memset(&f, 0, sizeof f);
	memset(&gone, 0, sizeof gone);
	memset(&kept, 0, sizeof kept);
	f.rr = zone;
	f.nrr = NREC(zone);
	CHECK_INT(sip_loop_new(&l), 0);
	f.loop = l;
	CHECK_INT(dns_resolver_new_with(&r, l, fake_query, &f, NULL, NULL), 0);
	CHECK_INT(uri_of(&u, "sip:example.test"), 0);
	CHECK_INT(sip_resolve(r, &u, NULL, on_result, &gone), 0);
	CHECK_INT(sip_resolve(r, &u, NULL, on_result, &kept), 0);
	CHECK_INT(sip_loop_poll(l, 0), 2); /* both started: their NAPTR queries out */
	sip_resolve_cancel(r, on_result, &gone);
	for (int i = 0; !kept.done && i < 100; i++)
		sip_loop_poll(l, 0);
	CHECK(kept.done);
	CHECK_INT(kept.err, 0);
	for (int i = 0; i < 10; i++)
		sip_loop_poll(l, 0);
	CHECK(!gone.done);
	sip_timer_cancel(l, &f.t);
	sip_resolver_free(r);
	sip_loop_free(l);
	return 0;
}

/* A real c-ares resolver, created and freed without a query, and the
 * checks on its server argument. */
TEST(dns_resolver_new_server)
{
	struct sip_loop *l;
	struct sip_resolver *r;
	CHECK_INT(sip_loop_new(&l), 0);
	const char *good[] = {"127.0.0.1", "127.0.0.1:5353", "[::1]:5353", "[::1]", "::1"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		CHECK_INT(sip_resolver_new(&r, l, good[i]), 0);
		sip_resolver_free(r);
	}
	CHECK_INT(sip_resolver_new(&r, l, "dns.example.test"), SIP_EHOST);
	CHECK_INT(sip_resolver_new(&r, l, ""), SIP_EHOST);
	CHECK_INT(sip_resolver_new(&r, l, "[::1"), SIP_EHOST);
	CHECK_INT(sip_resolver_new(&r, l, "[::1]x"), SIP_EHOST);
	CHECK_INT(sip_resolver_new(&r, l, "127.0.0.1:0"), SIP_EPORT);
	CHECK_INT(sip_resolver_new(&r, l, "127.0.0.1:65536"), SIP_EPORT);
	CHECK_INT(sip_resolver_new(&r, l, "127.0.0.1:x"), SIP_EPORT);
	CHECK_INT(sip_resolver_new(&r, l, "127.0.0.1:"), SIP_EPORT);
	/* A numeric host is answered without asking the server. */
	CHECK_INT(sip_resolver_new(&r, l, "127.0.0.1:1"), 0);
	struct sip_uri u;
	struct result res;
	memset(&res, 0, sizeof res);
	CHECK_INT(uri_of(&u, "sip:[::1]:5070"), 0);
	CHECK_INT(sip_resolve(r, &u, NULL, on_result, &res), 0);
	for (int i = 0; !res.done && i < 10; i++)
		sip_loop_poll(l, 0);
	CHECK_INT(res.err, 0);
	CHECK_TEXT(res.list, "UDP [::1]:5070 ::1\n");
	sip_resolver_free(r);
	sip_loop_free(l);
	return 0;
}
