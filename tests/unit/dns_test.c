/* dns_test.c - transport names and socket addresses (lib/addr.c). */
#include <arpa/inet.h>

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
	const char *bad[] = {"",         "example.com", "[192.0.2.1]", "[::1",  "::1]", "[]",
	                     "192.0.2",  "192.0.2.256", "1.2.3.4.5",   "::g",   "[::1]x",
	                     "192.0.2.1 ", "0x7f.0.0.1"};
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
