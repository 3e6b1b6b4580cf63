/* pcap_test.c - captures written by sip_pcap, read back by a reader of
 * their own: the file header, each record's length and time, the IPv4 and
 * IPv6 headers with the real addresses, UDP and TCP ports, checksums that
 * verify, and TCP sequence numbers that run on across the messages of a
 * connection after a made-up handshake. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

#define MSG_REQ "OPTIONS sip:b@127.0.0.2 SIP/2.0\r\nContent-Length: 0\r\n\r\n"
#define MSG_RESP "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"

#define SYN 0x02
#define PSH_ACK 0x18
#define ACK 0x10
#define SYN_ACK 0x12

/* A capture file in a directory of its own, removed afterwards. */
struct tmpcap {
	char dir[64];
	char path[96];
};

static int tmpcap_make(struct tmpcap *t)
{
	snprintf(t->dir, sizeof t->dir, "%s/sip-pcap-XXXXXX", "/tmp");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->path, sizeof t->path, "%s/cap.pcap", t->dir);
	return 0;
}

static void tmpcap_remove(struct tmpcap *t)
{
	unlink(t->path);
	rmdir(t->dir);
}

static struct sip_packet_info info(bool tx, enum sip_tp tp, const char *local, uint16_t lport,
                                   const char *remote, uint16_t rport)
{
	struct sip_packet_info pi = {.tx = tx, .tp = tp};
	sip_sockaddr_set(&pi.local, sip_str_from(local), lport);
	sip_sockaddr_set(&pi.remote, sip_str_from(remote), rport);
	return pi;
}

/* One record as the reader found it. */
struct rec {
	uint32_t sec, usec, incl, orig;
	const unsigned char *ip; /* incl octets */
	int version;
	unsigned proto;
	const unsigned char *src, *dst; /* 4 or 16 octets */
	size_t alen;
	const unsigned char *l4;
	size_t l4_len;
	uint16_t sport, dport;
	uint32_t seq, ack; /* TCP */
	unsigned flags;
	const unsigned char *payload;
	size_t payload_len;
};

struct reader {
	char *buf;
	size_t len, off;
};

static uint32_t get16(const unsigned char *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get32(const unsigned char *p)
{
	return get16(p) << 16 | get16(p + 2);
}

static uint32_t host32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* RFC 1071 verification: the one's complement sum over everything the
 * checksum covers, the checksum field included, is all ones. */
static bool sum_ok(const unsigned char *pseudo, size_t plen, const unsigned char *data, size_t dlen)
{
	uint32_t s = 0;
	for (size_t i = 0; i < plen; i += 2)
		s += get16(pseudo + i);
	for (size_t i = 0; i < dlen; i += 2)
		s += i + 1 < dlen ? get16(data + i) : (uint32_t)data[i] << 8;
	while (s > 0xffff)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/* Reads the next record into r and checks what every record must hold;
 * 1 when there is one, 0 at the end, -1 when it is broken. */
static int next_rec(struct reader *rd, struct rec *r)
{
	const unsigned char *b = (const unsigned char *)rd->buf;
	if (rd->off == rd->len)
		return 0;
	if (rd->len - rd->off < 16)
		return -1;
	memset(r, 0, sizeof *r);
	r->sec = host32(b + rd->off);
	r->usec = host32(b + rd->off + 4);
	r->incl = host32(b + rd->off + 8);
	r->orig = host32(b + rd->off + 12);
	rd->off += 16;
	if (r->incl != r->orig || r->incl > rd->len - rd->off || r->usec >= 1000000)
		return -1;
	r->ip = b + rd->off;
	rd->off += r->incl;
	r->version = r->ip[0] >> 4;
	unsigned char pseudo[40];
	size_t hl;
	if (r->version == 4) {
		hl = 20;
		if (r->incl < hl || r->ip[0] != 0x45 || get16(r->ip + 2) != r->incl)
			return -1;
		if (!sum_ok(NULL, 0, r->ip, hl))
			return -1;
		r->proto = r->ip[9];
		r->src = r->ip + 12;
		r->dst = r->ip + 16;
		r->alen = 4;
	} else if (r->version == 6) {
		hl = 40;
		if (r->incl < hl || get16(r->ip + 4) != r->incl - hl)
			return -1;
		r->proto = r->ip[6];
		r->src = r->ip + 8;
		r->dst = r->ip + 24;
		r->alen = 16;
	} else {
		return -1;
	}
	if (r->incl > 65535)
		return -1;
	r->l4 = r->ip + hl;
	r->l4_len = r->incl - hl;
	memcpy(pseudo, r->src, r->alen);
	memcpy(pseudo + r->alen, r->dst, r->alen);
	memset(pseudo + 2 * r->alen, 0, 8);
	pseudo[2 * r->alen + 3] = (unsigned char)r->proto;
	pseudo[2 * r->alen + 6] = (unsigned char)(r->l4_len >> 8);
	pseudo[2 * r->alen + 7] = (unsigned char)r->l4_len;
	size_t plen = 2 * r->alen + 8;
	if (r->proto == 17) {
		if (r->l4_len < 8 || get16(r->l4 + 4) != r->l4_len || get16(r->l4 + 6) == 0)
			return -1;
		r->payload = r->l4 + 8;
	} else if (r->proto == 6) {
		if (r->l4_len < 20 || r->l4[12] != 0x50)
			return -1;
		r->seq = get32(r->l4 + 4);
		r->ack = get32(r->l4 + 8);
		r->flags = r->l4[13];
		r->payload = r->l4 + 20;
	} else {
		return -1;
	}
	if (!sum_ok(pseudo, plen, r->l4, r->l4_len))
		return -1;
	r->sport = (uint16_t)get16(r->l4);
	r->dport = (uint16_t)get16(r->l4 + 2);
	r->payload_len = r->l4_len - (size_t)(r->payload - r->l4);
	return 1;
}

/* Loads the file and checks its header. */
static int reader_open(struct reader *rd, const char *path)
{
	rd->off = 0;
	rd->buf = test_read_file(path, &rd->len);
	if (!rd->buf)
		return -1;
	const unsigned char *b = (const unsigned char *)rd->buf;
	uint16_t ver[2];
	if (rd->len < 24)
		return -1;
	memcpy(ver, b + 4, 4);
	if (host32(b) != 0xa1b2c3d4u || ver[0] != 2 || ver[1] != 4 || host32(b + 16) < 65535 ||
	    host32(b + 20) != 101)
		return -1;
	rd->off = 24;
	return 0;
}

/* Reads the capture in t into at most max records and removes the file.
 * The number of records, or -1 when the file or a record is broken; *buf
 * holds the bytes the records point into, for the caller to free. */
static int read_caps(struct tmpcap *t, struct rec *r, int max, char **buf)
{
	struct reader rd;
	int n = reader_open(&rd, t->path) == 0 ? 0 : -1, got = 0;
	while (n >= 0 && n < max && (got = next_rec(&rd, &r[n])) == 1)
		n++;
	if (got < 0 || (n == max && rd.off != rd.len))
		n = -1;
	*buf = rd.buf;
	tmpcap_remove(t);
	return n;
}

static bool addr_is(const unsigned char *a, size_t alen, const char *text)
{
	unsigned char want[16];
	if (inet_pton(alen == 4 ? AF_INET : AF_INET6, text, want) != 1)
		return false;
	return memcmp(a, want, alen) == 0;
}

static bool payload_is(const struct rec *r, const char *s)
{
	return r->payload_len == strlen(s) && memcmp(r->payload, s, r->payload_len) == 0;
}

/* A TCP record between the ports, with the flags and numbers given. */
static bool tcp_is(const struct rec *r, uint16_t sport, uint16_t dport, unsigned flags,
                   uint32_t seq, uint32_t ack)
{
	return r->proto == 6 && r->sport == sport && r->dport == dport && r->flags == flags &&
	       r->seq == seq && (!(flags & ACK) || r->ack == ack);
}

TEST(pcap_udp_ipv4)
{
	struct tmpcap t;
	struct sip_pcap *p;
	struct rec r[4];
	struct timespec t0, t1;
	char *buf;
	CHECK_INT(tmpcap_make(&t), 0);
	CHECK_INT(sip_pcap_open(&p, t.path), 0);
	clock_gettime(CLOCK_REALTIME, &t0);
	struct sip_packet_info tx = info(true, SIP_TP_UDP, "127.0.0.1", 5061, "127.0.0.2", 5060);
	struct sip_packet_info rx = info(false, SIP_TP_UDP, "127.0.0.1", 5061, "127.0.0.2", 5060);
	CHECK_INT(sip_pcap_write(p, &tx, MSG_REQ, strlen(MSG_REQ)), 0);
	/* An odd length: the checksum pads the last octet. */
	CHECK_INT(sip_pcap_write(p, &rx, MSG_RESP "x", strlen(MSG_RESP) + 1), 0);
	clock_gettime(CLOCK_REALTIME, &t1);
	sip_pcap_close(p);

	CHECK_INT(read_caps(&t, r, 4, &buf), 2);
	CHECK(r[0].version == 4 && r[0].proto == 17 && r[0].incl == 28 + strlen(MSG_REQ));
	CHECK(addr_is(r[0].src, 4, "127.0.0.1") && addr_is(r[0].dst, 4, "127.0.0.2"));
	CHECK(r[0].sport == 5061 && r[0].dport == 5060 && payload_is(&r[0], MSG_REQ));
	CHECK(r[0].sec >= (uint32_t)t0.tv_sec && r[0].sec <= (uint32_t)t1.tv_sec);
	CHECK(r[1].proto == 17 && addr_is(r[1].src, 4, "127.0.0.2"));
	CHECK(addr_is(r[1].dst, 4, "127.0.0.1") && r[1].sport == 5060 && r[1].dport == 5061);
	CHECK(payload_is(&r[1], MSG_RESP "x"));
	free(buf);
	return 0;
}

TEST(pcap_udp_ipv6)
{
	struct tmpcap t;
	struct sip_pcap *p;
	struct rec r[4];
	char *buf;
	CHECK_INT(tmpcap_make(&t), 0);
	CHECK_INT(sip_pcap_open(&p, t.path), 0);
	struct sip_packet_info rx = info(false, SIP_TP_UDP, "::1", 5060, "[2001:db8::7]", 40000);
	CHECK_INT(sip_pcap_write(p, &rx, MSG_REQ, strlen(MSG_REQ)), 0);
	/* Families that differ cannot make one packet. */
	struct sip_packet_info mixed = info(true, SIP_TP_UDP, "127.0.0.1", 5060, "::1", 5060);
	CHECK_INT(sip_pcap_write(p, &mixed, MSG_REQ, strlen(MSG_REQ)), SIP_EINVAL);
	sip_pcap_close(p);

	CHECK_INT(read_caps(&t, r, 4, &buf), 1);
	CHECK(r[0].version == 6 && r[0].proto == 17 && r[0].incl == 40 + 8 + strlen(MSG_REQ));
	CHECK(addr_is(r[0].src, 16, "2001:db8::7") && addr_is(r[0].dst, 16, "::1"));
	CHECK(r[0].sport == 40000 && r[0].dport == 5060 && payload_is(&r[0], MSG_REQ));
	free(buf);
	return 0;
}

TEST(pcap_tcp_handshake_and_sequence)
{
	struct tmpcap t;
	struct sip_pcap *p;
	struct rec r[12];
	char *buf;
	size_t lq = strlen(MSG_REQ), lr = strlen(MSG_RESP);
	CHECK_INT(tmpcap_make(&t), 0);
	CHECK_INT(sip_pcap_open(&p, t.path), 0);
	struct sip_packet_info tx = info(true, SIP_TP_TCP, "127.0.0.1", 40001, "127.0.0.2", 5060);
	struct sip_packet_info rx = tx;
	rx.tx = false;
	/* A connection the other side opened (we are the server): it speaks first. */
	struct sip_packet_info srx = info(false, SIP_TP_TLS, "::1", 5061, "::1", 40002);
	struct sip_packet_info stx = srx;
	stx.tx = true;
	CHECK_INT(sip_pcap_write(p, &tx, MSG_REQ, lq), 0);  /* SYN, SYN-ACK, ACK, data */
	CHECK_INT(sip_pcap_write(p, &srx, MSG_REQ, lq), 0); /* the same, the other way */
	CHECK_INT(sip_pcap_write(p, &rx, MSG_RESP, lr), 0);
	CHECK_INT(sip_pcap_write(p, &stx, MSG_RESP, lr), 0);
	CHECK_INT(sip_pcap_write(p, &tx, MSG_REQ, lq), 0);
	sip_pcap_close(p);

	CHECK_INT(read_caps(&t, r, 12, &buf), 11);
	/* The client's connection, from 127.0.0.1:40001. */
	uint32_t c = r[0].seq, s = r[1].seq;
	CHECK(tcp_is(&r[0], 40001, 5060, SYN, c, 0) && r[0].payload_len == 0);
	CHECK(addr_is(r[0].src, 4, "127.0.0.1") && addr_is(r[0].dst, 4, "127.0.0.2"));
	CHECK(tcp_is(&r[1], 5060, 40001, SYN_ACK, s, c + 1));
	CHECK(tcp_is(&r[2], 40001, 5060, ACK, c + 1, s + 1) && r[2].payload_len == 0);
	CHECK(tcp_is(&r[3], 40001, 5060, PSH_ACK, c + 1, s + 1) && payload_is(&r[3], MSG_REQ));
	/* The server's side of the TLS connection on [::1]:5061: the SYN came from the client. */
	uint32_t sc = r[4].seq, ss = r[5].seq;
	CHECK(r[4].version == 6 && tcp_is(&r[4], 40002, 5061, SYN, sc, 0));
	CHECK(tcp_is(&r[5], 5061, 40002, SYN_ACK, ss, sc + 1));
	CHECK(tcp_is(&r[6], 40002, 5061, ACK, sc + 1, ss + 1));
	CHECK(tcp_is(&r[7], 40002, 5061, PSH_ACK, sc + 1, ss + 1) && payload_is(&r[7], MSG_REQ));
	/* Answers acknowledge what came, and each side's numbers run on. */
	CHECK(tcp_is(&r[8], 5060, 40001, PSH_ACK, s + 1, c + 1 + (uint32_t)lq));
	CHECK(payload_is(&r[8], MSG_RESP));
	CHECK(tcp_is(&r[9], 5061, 40002, PSH_ACK, ss + 1, sc + 1 + (uint32_t)lq));
	CHECK(r[9].version == 6 && payload_is(&r[9], MSG_RESP));
	CHECK(tcp_is(&r[10], 40001, 5060, PSH_ACK, c + 1 + (uint32_t)lq, s + 1 + (uint32_t)lr));
	CHECK(payload_is(&r[10], MSG_REQ));
	free(buf);
	return 0;
}

/* A message bigger than an IP packet: segments of at most 65535 octets of
 * IP, sequence numbers without a gap, and an ACK from the receiver before
 * the sender would overrun the window it advertised. */
TEST(pcap_tcp_large_message_is_split)
{
	struct tmpcap t;
	struct sip_pcap *p;
	struct rec r[16];
	char *buf;
	size_t big = 200000;
	char *msg = malloc(big);
	CHECK(msg != NULL);
	for (size_t i = 0; i < big; i++)
		msg[i] = (char)('a' + i % 26);
	CHECK_INT(tmpcap_make(&t), 0);
	int err = sip_pcap_open(&p, t.path);
	struct sip_packet_info tx = info(true, SIP_TP_TCP, "127.0.0.1", 40001, "127.0.0.1", 5060);
	if (!err)
		err = sip_pcap_write(p, &tx, msg, big);
	sip_pcap_close(p);
	int n = read_caps(&t, r, 16, &buf);
	bool ok = err == 0 && n > 0 && r[0].flags == SYN;
	uint32_t next = r[0].seq + 1, acked = 0;
	size_t got = 0, segs = 0, acks = 0;
	for (int i = 1; ok && i < n; i++) {
		if (r[i].sport == 5060) {
			/* The receiver's ACK: everything sent so far. */
			ok = r[i].payload_len == 0 && r[i].ack == next;
			acked = r[i].ack;
			acks++;
		} else if (r[i].payload_len) {
			ok = r[i].flags == PSH_ACK && r[i].seq == next &&
			     next + r[i].payload_len - acked <= 65535 &&
			     memcmp(r[i].payload, msg + got, r[i].payload_len) == 0;
			next += (uint32_t)r[i].payload_len;
			got += r[i].payload_len;
			segs++;
		} else {
			acked = next; /* the handshake's last ACK */
		}
	}
	free(buf);
	free(msg);
	CHECK(ok);
	CHECK_INT(got, big);
	CHECK_INT(segs, 4);
	/* The handshake's SYN-ACK, then one before each segment after the first. */
	CHECK_INT(acks, 4);
	return 0;
}

/* Past its 1024 connections the capture forgets the one quiet longest: a
 * message on it later opens it again with a handshake of its own. */
TEST(pcap_tcp_flow_table_forgets_the_oldest)
{
	struct tmpcap t;
	struct sip_pcap *p;
	struct reader rd;
	struct rec r;
	CHECK_INT(tmpcap_make(&t), 0);
	CHECK_INT(sip_pcap_open(&p, t.path), 0);
	int err = 0;
	/* Port 20000 first, then 1024 others, then 20000 and the newest again. */
	for (uint16_t port = 20000; !err && port <= 20000 + 1024; port++) {
		struct sip_packet_info tx =
			info(true, SIP_TP_TCP, "127.0.0.1", port, "127.0.0.1", 5060);
		err = sip_pcap_write(p, &tx, MSG_REQ, strlen(MSG_REQ));
	}
	for (int i = 0; !err && i < 2; i++) {
		uint16_t port = i ? 20000 + 1024 : 20000;
		struct sip_packet_info tx =
			info(true, SIP_TP_TCP, "127.0.0.1", port, "127.0.0.1", 5060);
		err = sip_pcap_write(p, &tx, MSG_REQ, strlen(MSG_REQ));
	}
	sip_pcap_close(p);
	int ok = err == 0 && reader_open(&rd, t.path) == 0, n;
	unsigned syn_first = 0, syn_newest = 0, records = 0;
	while (ok && (n = next_rec(&rd, &r)) == 1) {
		records++;
		syn_first += r.flags == SYN && r.sport == 20000;
		syn_newest += r.flags == SYN && r.sport == 20000 + 1024;
	}
	if (ok)
		ok = n == 0;
	free(rd.buf);
	tmpcap_remove(&t);
	CHECK(ok);
	CHECK_INT(records, 1025 * 4 + 4 + 1);
	CHECK_INT(syn_first, 2);
	CHECK_INT(syn_newest, 1);
	return 0;
}

TEST(pcap_open_fails)
{
	struct sip_pcap *p = (struct sip_pcap *)&p;
	errno = 0;
	CHECK_INT(sip_pcap_open(&p, "/nonexistent-sip-dir/x.pcap"), SIP_ESYS);
	CHECK_INT(errno, ENOENT);
	CHECK(p == NULL);
	sip_pcap_close(NULL);
	return 0;
}
