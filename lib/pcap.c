/* pcap.c - every message the transport traces, written as a packet capture
 * that Wireshark and tshark read.
 *
 * The trace sees SIP messages, not packets: neither the kernel's headers
 * nor, for TLS, the encrypted records ever pass through it. So each message
 * becomes a packet made up here, in a classic pcap file of raw IP
 * (LINKTYPE_RAW): an IPv4 or IPv6 header with the real addresses, then UDP,
 * or TCP whose sequence numbers run on across the messages of a
 * connection, as they would on the wire. A TLS message is written as the
 * TCP segment its plaintext would have been, which is what a reader of the
 * capture wants to see.
 *
 * The file descriptor is written with writev and no stdio buffer: the
 * headers come from the stack and the payload straight from the caller's
 * buffer, and a record is in the file when the call returns, so a capture
 * stays readable when the process is killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "sip_int.h"

#define PCAP_MAGIC 0xa1b2c3d4u /* microsecond timestamps */
#define LINKTYPE_RAW 101u      /* each record starts with an IPv4 or IPv6 header */
/* An IPv6 UDP datagram may carry 65535 octets after its 40-byte header. */
#define SNAPLEN 262144u
#define IP4_HDR 20
#define IP6_HDR 40
#define UDP_HDR 8
#define TCP_HDR 20
/* Payload per segment, so that no synthesized packet is over 65535 octets
 * in either family. */
#define SEG_MAX (65535 - IP6_HDR - TCP_HDR)
/* Advertised by both ends; a side that has this much unacknowledged gets an
 * ACK from the other first, or Wireshark would see a full window. */
#define WINDOW 65535u
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10
/* Connections remembered; past that, the one quiet longest is forgotten
 * (its next message starts it over with a handshake). */
#define FLOW_MAX 1024

/* A TCP or TLS connection as the capture has shown it so far. Side 0 is
 * the local end, side 1 the remote. */
struct flow {
	enum sip_tp tp;
	struct sip_sockaddr local, remote;
	uint32_t next[2];  /* the sequence number of each side's next octet */
	uint32_t acked[2]; /* of each side's octets, up to where the other has ACKed */
	uint64_t used;     /* when last written, on the capture's own counter */
};

struct sip_pcap {
	int fd;
	int err; /* sticks: a record cut short leaves the rest of the file unreadable */
	int err_errno;
	uint16_t ip_id;
	uint64_t tick;
	struct flow *flows;
	size_t nflows, cap;
};

/* One packet's headers, up to the payload: the record header, IP, UDP/TCP. */
struct pkt {
	unsigned char b[16 + IP6_HDR + TCP_HDR];
	size_t len;
};

static void put16(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* The pcap headers are in the writer's byte order, which the magic tells
 * the reader; the packets themselves are in network order. */
static void put32_host(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* Adds octets to an Internet checksum (RFC 1071) as big-endian 16-bit
 * words; an odd last octet is padded with zero. */
static uint64_t csum_add(uint64_t sum, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i = 0;
	for (; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static bool is_v6(const struct sip_sockaddr *sa)
{
	return sa->u.sa.sa_family == AF_INET6;
}

static const void *addr_bytes(const struct sip_sockaddr *sa)
{
	return is_v6(sa) ? (const void *)&sa->u.in6.sin6_addr : (const void *)&sa->u.in.sin_addr;
}

/*
 * Fills in the record and IP headers for a packet from src to dst carrying
 * l4_len octets of UDP or TCP, and returns the sum of the pseudo-header
 * that the transport checksum starts from.
 */
static uint64_t put_ip(struct sip_pcap *p, struct pkt *k, const struct sip_sockaddr *src,
                       const struct sip_sockaddr *dst, unsigned proto, size_t l4_len)
{
	bool v6 = is_v6(src);
	size_t alen = v6 ? 16 : 4, ip_len = (v6 ? IP6_HDR : IP4_HDR) + l4_len;
	unsigned char *ip = k->b + 16;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	put32_host(k->b, (uint32_t)ts.tv_sec);
	put32_host(k->b + 4, (uint32_t)(ts.tv_nsec / 1000));
	put32_host(k->b + 8, (uint32_t)ip_len);
	put32_host(k->b + 12, (uint32_t)ip_len);
	if (v6) {
		put32(ip, 6u << 28);
		put16(ip + 4, (uint32_t)l4_len);
		ip[6] = (unsigned char)proto;
		ip[7] = 64; /* hop limit */
		memcpy(ip + 8, addr_bytes(src), 16);
		memcpy(ip + 24, addr_bytes(dst), 16);
	} else {
		ip[0] = 0x45; /* version 4, 5 words */
		ip[1] = 0;
		put16(ip + 2, (uint32_t)ip_len);
		put16(ip + 4, p->ip_id++);
		put16(ip + 6, 0x4000); /* don't fragment */
		ip[8] = 64;            /* TTL */
		ip[9] = (unsigned char)proto;
		put16(ip + 10, 0);
		memcpy(ip + 12, addr_bytes(src), 4);
		memcpy(ip + 16, addr_bytes(dst), 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, IP4_HDR)));
	}
	k->len = 16 + (v6 ? IP6_HDR : IP4_HDR);
	uint64_t sum = csum_add(0, addr_bytes(src), alen);
	sum = csum_add(sum, addr_bytes(dst), alen);
	return sum + proto + l4_len;
}

/* Writes every iovec, across short writes and signals. */
static int write_all(struct sip_pcap *p, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(p->fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			p->err_errno = w < 0 ? errno : ENOSPC;
			p->err = SIP_ESYS;
			return p->err;
		}
		size_t done = (size_t)w;
		while (n > 0 && done >= iov->iov_len) {
			done -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + done;
			iov->iov_len -= done;
		}
	}
	return 0;
}

static int write_pkt(struct sip_pcap *p, struct pkt *k, const char *payload, size_t len)
{
	struct iovec iov[2] = {{k->b, k->len}, {(void *)payload, len}};
	return write_all(p, iov, len ? 2 : 1);
}

static int write_udp(struct sip_pcap *p, const struct sip_sockaddr *src,
                     const struct sip_sockaddr *dst, const char *buf, size_t len)
{
	/* IPv4 counts its header in the 16-bit total length; IPv6 does not. */
	if (len > 65535 - UDP_HDR - (is_v6(src) ? 0 : IP4_HDR))
		return SIP_ETOOBIG;
	struct pkt k = {.len = 0};
	size_t ulen = UDP_HDR + len;
	uint64_t sum = put_ip(p, &k, src, dst, 17, ulen);
	unsigned char *u = k.b + k.len;
	put16(u, sip_sockaddr_port(src));
	put16(u + 2, sip_sockaddr_port(dst));
	put16(u + 4, (uint32_t)ulen);
	put16(u + 6, 0);
	uint16_t c = csum_fold(csum_add(csum_add(sum, u, UDP_HDR), buf, len));
	put16(u + 6, c ? c : 0xffff); /* 0 would mean "no checksum", which IPv6 forbids */
	k.len += UDP_HDR;
	return write_pkt(p, &k, buf, len);
}

/* One TCP segment of flow f from side s (0: local) to the other side. */
static int write_tcp(struct sip_pcap *p, struct flow *f, int s, unsigned flags, const char *buf,
                     size_t len)
{
	const struct sip_sockaddr *src = s ? &f->remote : &f->local;
	const struct sip_sockaddr *dst = s ? &f->local : &f->remote;
	struct pkt k = {.len = 0};
	uint64_t sum = put_ip(p, &k, src, dst, 6, TCP_HDR + len);
	unsigned char *t = k.b + k.len;
	/* A SYN takes a sequence number of its own. */
	uint32_t seq = flags & TCP_SYN ? f->next[s] - 1 : f->next[s];
	put16(t, sip_sockaddr_port(src));
	put16(t + 2, sip_sockaddr_port(dst));
	put32(t + 4, seq);
	put32(t + 8, flags & TCP_ACK ? f->next[!s] : 0);
	t[12] = (TCP_HDR / 4) << 4;
	t[13] = (unsigned char)flags;
	put16(t + 14, WINDOW);
	put32(t + 16, 0); /* checksum, urgent pointer */
	sum = csum_add(sum, t, TCP_HDR);
	if (len) /* a bare SYN or ACK has no buffer */
		sum = csum_add(sum, buf, len);
	put16(t + 16, csum_fold(sum));
	k.len += TCP_HDR;
	int err = write_pkt(p, &k, buf, len);
	if (err)
		return err;
	f->next[s] += (uint32_t)len;
	if (flags & TCP_ACK)
		f->acked[!s] = f->next[!s];
	return 0;
}

static struct flow *flow_find(struct sip_pcap *p, const struct sip_packet_info *pi)
{
	for (size_t i = 0; i < p->nflows; i++) {
		struct flow *f = &p->flows[i];
		if (f->tp == pi->tp && sip_sockaddr_eq(&f->local, &pi->local) &&
		    sip_sockaddr_eq(&f->remote, &pi->remote))
			return f;
	}
	return NULL;
}

/* A slot for a new flow: a new one while under FLOW_MAX, else the one
 * used least recently. NULL when memory runs out. */
static struct flow *flow_slot(struct sip_pcap *p)
{
	if (p->nflows < p->cap)
		return &p->flows[p->nflows++];
	if (p->cap < FLOW_MAX) {
		size_t cap = p->cap ? p->cap * 2 : 4;
		struct flow *nf = realloc(p->flows, cap * sizeof *nf);
		if (!nf)
			return NULL;
		p->flows = nf;
		p->cap = cap;
		return &p->flows[p->nflows++];
	}
	struct flow *old = &p->flows[0];
	for (size_t i = 1; i < p->nflows; i++)
		if (p->flows[i].used < old->used)
			old = &p->flows[i];
	return old;
}

/*
 * The flow of a stream message, new ones opened with a three-way handshake
 * from the side whose message comes first: the client speaks first in SIP,
 * so that is the side that connected.
 */
static int flow_get(struct sip_pcap *p, const struct sip_packet_info *pi, struct flow **fp)
{
	struct flow *f = flow_find(p, pi);
	if (!f) {
		if (!(f = flow_slot(p)))
			return SIP_ENOMEM;
		memset(f, 0, sizeof *f);
		f->tp = pi->tp;
		f->local = pi->local;
		f->remote = pi->remote;
		/* Fixed initial sequence numbers (after the SYN's own): Wireshark
		 * shows relative ones anyway, and the sides stay apart. */
		f->next[0] = 1000001;
		f->next[1] = 2000001;
		int c = pi->tx ? 0 : 1;
		int err = write_tcp(p, f, c, TCP_SYN, NULL, 0);
		if (!err)
			err = write_tcp(p, f, !c, TCP_SYN | TCP_ACK, NULL, 0);
		if (!err)
			err = write_tcp(p, f, c, TCP_ACK, NULL, 0);
		if (err)
			return err;
	}
	f->used = ++p->tick;
	*fp = f;
	return 0;
}

static int write_stream(struct sip_pcap *p, const struct sip_packet_info *pi, const char *buf,
                        size_t len)
{
	struct flow *f;
	int err = flow_get(p, pi, &f);
	int s = pi->tx ? 0 : 1;
	for (size_t off = 0; !err && off < len;) {
		size_t n = len - off < SEG_MAX ? len - off : SEG_MAX;
		if (f->next[s] - f->acked[s] + n > WINDOW)
			err = write_tcp(p, f, !s, TCP_ACK, NULL, 0);
		if (!err)
			err = write_tcp(p, f, s, TCP_PSH | TCP_ACK, buf + off, n);
		off += n;
	}
	return err;
}

int sip_pcap_open(struct sip_pcap **pp, const char *path)
{
	if (!pp || !path) {
		errno = EINVAL;
		return SIP_EINVAL;
	}
	*pp = NULL;
	struct sip_pcap *p = calloc(1, sizeof *p);
	if (!p)
		return SIP_ENOMEM;
	/* The capture holds what TLS kept from the network, and digest
	 * answers: for its owner's eyes, as the key log is. */
	p->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (p->fd < 0) {
		int e = errno;
		free(p);
		errno = e;
		return SIP_ESYS;
	}
	unsigned char h[24];
	put32_host(h, PCAP_MAGIC);
	uint16_t ver[2] = {2, 4};
	memcpy(h + 4, ver, 4);
	put32_host(h + 8, 0);  /* timestamps in UTC */
	put32_host(h + 12, 0); /* their accuracy: unknown */
	put32_host(h + 16, SNAPLEN);
	put32_host(h + 20, LINKTYPE_RAW);
	struct iovec iov = {h, sizeof h};
	if (write_all(p, &iov, 1) != 0) {
		int e = p->err_errno;
		sip_pcap_close(p);
		errno = e;
		return SIP_ESYS;
	}
	*pp = p;
	return 0;
}

int sip_pcap_write(struct sip_pcap *p, const struct sip_packet_info *pi, const char *buf,
                   size_t len)
{
	if (!p || !pi || (!buf && len) || (unsigned)pi->tp >= SIP_TP_COUNT)
		return SIP_EINVAL;
	if (p->err) {
		errno = p->err_errno;
		return p->err;
	}
	int fam = pi->local.u.sa.sa_family;
	if ((fam != AF_INET && fam != AF_INET6) || pi->remote.u.sa.sa_family != fam)
		return SIP_EINVAL;
	const struct sip_sockaddr *src = pi->tx ? &pi->local : &pi->remote;
	const struct sip_sockaddr *dst = pi->tx ? &pi->remote : &pi->local;
	int err = pi->tp == SIP_TP_UDP ? write_udp(p, src, dst, buf, len)
	                               : write_stream(p, pi, buf, len);
	if (err == SIP_ESYS)
		errno = p->err_errno;
	return err;
}

void sip_pcap_close(struct sip_pcap *p)
{
	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p->flows);
	free(p);
}
