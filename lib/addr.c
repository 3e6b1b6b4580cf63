/* addr.c - transport names and numeric socket addresses: what the transport
 * sends to and the resolver hands out, printed the way Via, Contact and
 * the traces write them. */
#include <arpa/inet.h>
#include <string.h>

#include "sip_int.h"

static const char *const tp_names[SIP_TP_COUNT] = {"UDP", "TCP", "TLS", "WS", "WSS"};

const char *sip_tp_name(enum sip_tp tp)
{
	if ((unsigned)tp >= SIP_TP_COUNT)
		return "?";
	return tp_names[tp];
}

const char *sip_tp_uri_param(enum sip_tp tp)
{
	switch (tp) {
	case SIP_TP_TCP: return ";transport=tcp";
	case SIP_TP_TLS: return ";transport=tls";
	case SIP_TP_WS:
	case SIP_TP_WSS: return ";transport=ws";
	default: return "";
	}
}

int sip_tp_from_str(struct sip_str s)
{
	for (int i = 0; i < SIP_TP_COUNT; i++)
		if (sip_str_ieq_cstr(s, tp_names[i]))
			return i;
	return -1;
}

int sip_sockaddr_set(struct sip_sockaddr *sa, struct sip_str host, uint16_t port)
{
	/* inet_pton wants a C string; the longest IPv6 text is 45 characters. */
	char buf[INET6_ADDRSTRLEN + 2];
	bool bracket = host.len >= 2 && host.p[0] == '[' && host.p[host.len - 1] == ']';

	if (bracket)
		host = sip_str_sub(host, 1, host.len - 1);
	if (host.len == 0 || host.len >= sizeof buf)
		return SIP_EHOST;
	memcpy(buf, host.p, host.len);
	buf[host.len] = '\0';
	memset(sa, 0, sizeof *sa);
	/* A bracketed IPv4 address is not a SIP host, and neither is a bare
	 * IPv6 one with brackets missing on one side. */
	if (!bracket && inet_pton(AF_INET, buf, &sa->u.in.sin_addr) == 1) {
		sa->u.in.sin_family = AF_INET;
		sa->u.in.sin_port = htons(port);
		sa->len = sizeof sa->u.in;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &sa->u.in6.sin6_addr) == 1) {
		sa->u.in6.sin6_family = AF_INET6;
		sa->u.in6.sin6_port = htons(port);
		sa->len = sizeof sa->u.in6;
		return 0;
	}
	memset(sa, 0, sizeof *sa);
	return SIP_EHOST;
}

int sip_sockaddr_host(const struct sip_sockaddr *sa, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];
	int n;

	switch (sa->u.sa.sa_family) {
	case AF_INET: {
		/* By hand: every request's Via and every trace line wants one. */
		const unsigned char *b = (const unsigned char *)&sa->u.in.sin_addr.s_addr;
		size_t len = 0;
		for (int i = 0; i < 4; i++) {
			len += sip_put_decimal(a + len, b[i]);
			if (i < 3)
				a[len++] = '.';
		}
		if (len >= cap)
			return SIP_ENOSPC;
		memcpy(buf, a, len);
		buf[len] = '\0';
		return (int)len;
	}
	case AF_INET6:
		if (!inet_ntop(AF_INET6, &sa->u.in6.sin6_addr, a, sizeof a))
			return SIP_EINVAL;
		n = snprintf(buf, cap, "[%s]", a);
		break;
	default: return SIP_EINVAL;
	}
	if (n < 0 || (size_t)n >= cap)
		return SIP_ENOSPC;
	return n;
}

uint16_t sip_sockaddr_port(const struct sip_sockaddr *sa)
{
	switch (sa->u.sa.sa_family) {
	case AF_INET: return ntohs(sa->u.in.sin_port);
	case AF_INET6: return ntohs(sa->u.in6.sin6_port);
	default: return 0;
	}
}

int sip_sockaddr_print(const struct sip_sockaddr *sa, char *buf, size_t cap)
{
	int n = sip_sockaddr_host(sa, buf, cap);
	if (n < 0)
		return n;
	char port[8];
	port[0] = ':';
	size_t m = 1 + sip_put_decimal(port + 1, sip_sockaddr_port(sa));
	if (m >= cap - (size_t)n)
		return SIP_ENOSPC;
	memcpy(buf + n, port, m);
	buf[n + m] = '\0';
	return n + (int)m;
}

bool sip_sockaddr_eq(const struct sip_sockaddr *a, const struct sip_sockaddr *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family)
		return false;
	switch (a->u.sa.sa_family) {
	case AF_INET:
		return a->u.in.sin_port == b->u.in.sin_port &&
		       a->u.in.sin_addr.s_addr == b->u.in.sin_addr.s_addr;
	case AF_INET6:
		return a->u.in6.sin6_port == b->u.in6.sin6_port &&
		       a->u.in6.sin6_scope_id == b->u.in6.sin6_scope_id &&
		       memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr,
		              sizeof a->u.in6.sin6_addr) == 0;
	default: return false;
	}
}
