/* ladder_test.c - sequence diagrams (lib/ladder.c) of calls built from
 * literal messages, rendered into a memory FILE and compared as text. */
#include "test.h"

/* One message of a scenario: sent (tx) or received, when (ms), and its
 * text with "\n" line ends, which feed() turns into CRLF. */
struct step {
	bool tx;
	unsigned ms;
	const char *text;
};

/* The addresses a scenario's messages travel between. */
struct party {
	const char *local; /* "192.0.2.10" */
	uint16_t local_port;
	const char *remote;
	uint16_t remote_port;
};

static const struct party direct = {"192.0.2.10", 5060, "192.0.2.20", 5060};
static const struct party via_proxy = {"192.0.2.10", 5060, "203.0.113.1", 5060};

static char rendered[1 << 15];
static size_t rendered_len;

/* Feeds each step to the ladder. The message buffer is scribbled over
 * after each call, as a receive handler's is gone once it returns. */
static int feed(struct sip_ladder *l, const struct party *p, const struct step *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char buf[2048];
		size_t len = 0;
		for (const char *c = s[i].text; *c && len + 2 < sizeof buf; c++) {
			if (*c == '\n')
				buf[len++] = '\r';
			buf[len++] = *c;
		}
		struct sip_msg m;
		int err = sip_msg_parse(&m, buf, len, 0);
		if (err) {
			printf("step %zu does not parse: %s (line %u: %s)\n", i, sip_strerror(err),
			       m.err_line, m.err_text);
			return err;
		}
		struct sip_packet_info pi = {.tx = s[i].tx,
		                             .time_us = 1000000000u + s[i].ms * 1000u};
		sip_sockaddr_set(&pi.local, sip_str_from(p->local), p->local_port);
		sip_sockaddr_set(&pi.remote, sip_str_from(p->remote), p->remote_port);
		if ((err = sip_ladder_add(l, &m, &pi)) != 0)
			return err;
		memset(buf, 'x', sizeof buf);
	}
	return 0;
}

static int render(const struct sip_ladder *l, const struct sip_ladder_opts *o)
{
	struct test_memfile mf;
	if (!test_memfile_open(&mf))
		return -100;
	int r = sip_ladder_print(mf.f, l, o);
	rendered_len = test_memfile_close(&mf, rendered, sizeof rendered);
	return r;
}

/* Builds the ladder of a scenario and renders it: 0, or where it failed. */
static int draw(const struct party *p, const struct step *s, size_t n,
                const struct sip_ladder_opts *o)
{
	struct sip_ladder *l;
	int err = sip_ladder_new(&l);
	if (err)
		return err;
	if ((err = feed(l, p, s, n)) == 0)
		err = render(l, o);
	sip_ladder_free(l);
	return err;
}

#define DRAW(p, steps, o) draw((p), (steps), sizeof(steps) / sizeof((steps)[0]), (o))
#define RENDERED_IS(want) test_text_is(rendered, rendered_len, (want))

#define SDP                                                                                        \
	"Content-Type: application/sdp\n"                                                          \
	"Content-Length: 31\n"                                                                     \
	"\n"                                                                                       \
	"v=0\n"                                                                                    \
	"c=IN IP4 192.0.2.10\n"                                                                    \
	"m=audio 4000 RTP/AVP 0\n"

#define NOBODY "Content-Length: 0\n\n"

/* ---- a direct call: alice at 192.0.2.10 calls bob at 192.0.2.20 ---- */

#define A_VIA "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKd1;rport\n"
#define A_FROM "From: <sip:alice@192.0.2.10>;tag=a1\n"
#define B_TO "To: <sip:bob@192.0.2.20>\n"
#define B_TO_TAG "To: <sip:bob@192.0.2.20>;tag=b1\n"
#define CALL "Call-ID: c1@192.0.2.10\n"

static const struct step direct_call[] = {
	{true, 0,
         "INVITE sip:bob@192.0.2.20 SIP/2.0\n" A_VIA A_FROM B_TO CALL "CSeq: 1 INVITE\n"
         "Contact: <sip:alice@192.0.2.10:5060>\n" SDP},
	{false, 12, "SIP/2.0 100 Trying\n" A_VIA A_FROM B_TO CALL "CSeq: 1 INVITE\n" NOBODY},
	{false, 40,
         "SIP/2.0 180 Ringing\n" A_VIA A_FROM B_TO_TAG CALL "CSeq: 1 INVITE\n"
         "Contact: <sip:bob@192.0.2.20:5060>\n" NOBODY},
	{false, 2210,
         "SIP/2.0 200 OK\n" A_VIA A_FROM B_TO_TAG CALL "CSeq: 1 INVITE\n"
         "Contact: <sip:bob@192.0.2.20:5060>\n" SDP},
	{true, 2215,
         "ACK sip:bob@192.0.2.20:5060 SIP/2.0\n"
         "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKd2;rport\n" A_FROM B_TO_TAG CALL
         "CSeq: 1 ACK\n" NOBODY},
	{true, 9870,
         "BYE sip:bob@192.0.2.20:5060 SIP/2.0\n"
         "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKd3;rport\n" A_FROM B_TO_TAG CALL
         "CSeq: 2 BYE\n" NOBODY},
	{false, 9901,
         "SIP/2.0 200 OK\n"
         "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKd3;rport\n" A_FROM B_TO_TAG CALL
         "CSeq: 2 BYE\n" NOBODY},
};

TEST(ladder_direct_call)
{
	CHECK_INT(DRAW(&direct, direct_call, NULL), 0);
	CHECK(RENDERED_IS("             us                                bob@192.0.2.20\n"
	                  "       192.0.2.10:5060                         192.0.2.20:5060\n"
	                  "              │                                       │\n"
	                  "0.000         ├──────────── INVITE (SDP) ────────────▶│\n"
	                  "0.012         │◀───────────── 100 Trying ─────────────┤\n"
	                  "0.040         │◀──────────── 180 Ringing ─────────────┤\n"
	                  "2.210         │◀──────────── 200 OK (SDP) ────────────┤\n"
	                  "2.215         ├──────────────── ACK ─────────────────▶│\n"
	                  "9.870         ├──────────────── BYE ─────────────────▶│\n"
	                  "9.901         │◀──────────── 200 OK (BYE) ────────────┤\n"));
	return 0;
}

/* ---- through a proxy that challenges: bob@example.com answers from
 * 198.51.100.7:5062, and hangs up himself ---- */

#define P_FROM "From: \"Alice\" <sip:alice@example.com>;tag=a1\n"
#define P_TO "To: <sip:bob@example.com>\n"
#define P_TO_PROXY "To: <sip:bob@example.com>;tag=p407\n"
#define P_TO_BOB "To: <sip:bob@example.com>;tag=b1\n"
#define P_VIA1 "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKp1;rport\n"
#define P_VIA2 "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKp2;rport\n"
#define P_CALL "Call-ID: c2@192.0.2.10\n"
#define BOB_CONTACT "Contact: <sip:bob@198.51.100.7:5062>\n"

static const struct step proxy_call[] = {
	{true, 0,
         "INVITE sip:bob@example.com SIP/2.0\n" P_VIA1 P_FROM P_TO P_CALL "CSeq: 1 INVITE\n" SDP},
	{false, 8, "SIP/2.0 100 Trying\n" P_VIA1 P_FROM P_TO P_CALL "CSeq: 1 INVITE\n" NOBODY},
	{false, 9,
         "SIP/2.0 407 Proxy Authentication Required\n" P_VIA1 P_FROM P_TO_PROXY P_CALL
         "CSeq: 1 INVITE\n"
         "Proxy-Authenticate: Digest realm=\"example.com\", nonce=\"n1\"\n" NOBODY},
	{true, 10,
         "ACK sip:bob@example.com SIP/2.0\n" P_VIA1 P_FROM P_TO_PROXY P_CALL
         "CSeq: 1 ACK\n" NOBODY},
	{true, 11,
         "INVITE sip:bob@example.com SIP/2.0\n" P_VIA2 P_FROM P_TO P_CALL "CSeq: 2 INVITE\n"
         "Proxy-Authorization: Digest username=\"alice\", realm=\"example.com\", "
         "nonce=\"n1\", uri=\"sip:bob@example.com\", response=\"0\"\n" SDP},
	{false, 19, "SIP/2.0 100 Trying\n" P_VIA2 P_FROM P_TO P_CALL "CSeq: 2 INVITE\n" NOBODY},
	{false, 130,
         "SIP/2.0 180 Ringing\n" P_VIA2 P_FROM P_TO_BOB P_CALL
         "CSeq: 2 INVITE\n" BOB_CONTACT NOBODY},
	{false, 3020,
         "SIP/2.0 200 OK\n" P_VIA2 P_FROM P_TO_BOB P_CALL "CSeq: 2 INVITE\n" BOB_CONTACT SDP},
	{true, 3025,
         "ACK sip:bob@198.51.100.7:5062 SIP/2.0\n"
         "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKp3;rport\n" P_FROM P_TO_BOB P_CALL
         "CSeq: 2 ACK\n" NOBODY},
	{false, 15400,
         "BYE sip:alice@192.0.2.10:5060 SIP/2.0\n"
         "Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKpx\n"
         "Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKb9\n"
         "From: <sip:bob@example.com>;tag=b1\n"
         "To: \"Alice\" <sip:alice@example.com>;tag=a1\n" P_CALL "CSeq: 7 BYE\n" NOBODY},
	{true, 15401,
         "SIP/2.0 200 OK\n"
         "Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKpx\n"
         "Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKb9\n"
         "From: <sip:bob@example.com>;tag=b1\n"
         "To: \"Alice\" <sip:alice@example.com>;tag=a1\n" P_CALL "CSeq: 7 BYE\n" NOBODY},
};

TEST(ladder_proxy_call)
{
	CHECK_INT(DRAW(&via_proxy, proxy_call, NULL), 0);
	CHECK(RENDERED_IS(
		"              us                   203.0.113.1:5060             bob@example.com\n"
		"        192.0.2.10:5060                                        198.51.100.7:5062\n"
		"               │                           │                           │\n"
		" 0.000         ├────── INVITE (SDP) ───────┼──────────────────────────▶│\n"
		" 0.008         │◀─────── 100 Trying ───────┤                           │\n"
		" 0.009         │◀─ 407 Proxy Authenticat… ─┤                           │\n"
		" 0.010         ├────────── ACK ───────────▶│                           │\n"
		" 0.011         ├────── INVITE (SDP) ───────┼──────────────────────────▶│\n"
		" 0.019         │◀─────── 100 Trying ───────┤                           │\n"
		" 0.130         │◀──────────────────────────┼─────── 180 Ringing ───────┤\n"
		" 3.020         │◀──────────────────────────┼────── 200 OK (SDP) ───────┤\n"
		" 3.025         ├─────────── ACK ───────────┼──────────────────────────▶│\n"
		"15.400         │◀──────────────────────────┼─────────── BYE ───────────┤\n"
		"15.401         ├────── 200 OK (BYE) ───────┼──────────────────────────▶│\n"));
	return 0;
}

/* ---- through two proxies: the second, past the hop, is named by the
 * Record-Route of bob's answers (far end first); the hop's own entry is
 * not drawn again ---- */

#define RR2 "Record-Route: <sip:10.0.0.5;lr>\nRecord-Route: <sip:203.0.113.1;lr>\n"

static const struct step two_proxies[] = {
	{true, 0,
         "INVITE sip:bob@example.com SIP/2.0\n" P_VIA1 P_FROM P_TO P_CALL "CSeq: 1 INVITE\n" SDP},
	{false, 130,
         "SIP/2.0 180 Ringing\n" P_VIA1 RR2 P_FROM P_TO_BOB P_CALL
         "CSeq: 1 INVITE\n" BOB_CONTACT NOBODY},
	{false, 3020,
         "SIP/2.0 200 OK\n" P_VIA1 RR2 P_FROM P_TO_BOB P_CALL "CSeq: 1 INVITE\n" BOB_CONTACT SDP},
	{true, 3025,
         "ACK sip:bob@198.51.100.7:5062 SIP/2.0\n"
         "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKp3;rport\n"
         "Route: <sip:203.0.113.1;lr>\nRoute: <sip:10.0.0.5;lr>\n" P_FROM P_TO_BOB P_CALL
         "CSeq: 1 ACK\n" NOBODY},
	{false, 15400,
         "BYE sip:alice@192.0.2.10:5060 SIP/2.0\n"
         "Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKpx\n"
         "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKpy\n"
         "Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKb9\n"
         "From: <sip:bob@example.com>;tag=b1\n"
         "To: \"Alice\" <sip:alice@example.com>;tag=a1\n" P_CALL "CSeq: 7 BYE\n" NOBODY},
};

TEST(ladder_two_proxies)
{
	CHECK_INT(DRAW(&via_proxy, two_proxies, NULL), 0);
	CHECK(RENDERED_IS(
		"              us         203.0.113.1:5060    10.0.0.5:5060    bob@example.com\n"
		"        192.0.2.10:5060                                      198.51.100.7:5062\n"
		"               │                 │                 │                 │\n"
		" 0.000         ├─ INVITE (SDP) ──┼─────────────────┼────────────────▶│\n"
		" 0.130         │◀────────────────┼─────────────────┼── 180 Ringing ──┤\n"
		" 3.020         │◀────────────────┼─────────────────┼─ 200 OK (SDP) ──┤\n"
		" 3.025         ├────── ACK ──────┼─────────────────┼────────────────▶│\n"
		"15.400         │◀────────────────┼─────────────────┼────── BYE ──────┤\n"));
	/* Too narrow for four columns: the list names each stop. */
	struct sip_ladder_opts o = {.width = 40};
	CHECK_INT(DRAW(&via_proxy, two_proxies, &o), 0);
	CHECK(RENDERED_IS("     1  us  192.0.2.10:5060\n"
	                  "     2  203.0.113.1:5060\n"
	                  "     3  10.0.0.5:5060\n"
	                  "     4  bob@example.com  198.51.100.7:5…\n"
	                  " 0.000  1 → 2 → 3 → 4  INVITE (SDP)\n"
	                  " 0.130  4 → 3 → 2 → 1  180 Ringing\n"
	                  " 3.020  4 → 3 → 2 → 1  200 OK (SDP)\n"
	                  " 3.025  1 → 2 → 3 → 4  ACK\n"
	                  "15.400  4 → 3 → 2 → 1  BYE\n"));
	return 0;
}

/* A proxy that changes transport (TCP from us, UDP on) record-routes
 * twice, r2=on: one proxy, the hop, and no column more. Past it, a second
 * one that does the same is drawn once, by the side facing us. */
#define RR_HOP2                                                                                    \
	"Record-Route: <sip:203.0.113.1;r2=on;lr>, <sip:203.0.113.1;transport=tcp;r2=on;lr>\n"
#define RR_CORE2                                                                                   \
	"Record-Route: <sip:10.0.0.5;r2=on;lr>, <sip:10.0.0.5:5061;transport=tls;r2=on;lr>\n"

static const struct step double_rr_hop[] = {
	{true, 0,
         "INVITE sip:bob@example.com SIP/2.0\n" P_VIA1 P_FROM P_TO P_CALL "CSeq: 1 INVITE\n" SDP},
	{false, 3020,
         "SIP/2.0 200 OK\n" P_VIA1 RR_HOP2 P_FROM P_TO_BOB P_CALL
         "CSeq: 1 INVITE\n" BOB_CONTACT NOBODY},
};

static const struct step double_rr_both[] = {
	{true, 0,
         "INVITE sip:bob@example.com SIP/2.0\n" P_VIA1 P_FROM P_TO P_CALL "CSeq: 1 INVITE\n" SDP},
	{false, 3020,
         "SIP/2.0 200 OK\n" P_VIA1 RR_CORE2 RR_HOP2 P_FROM P_TO_BOB P_CALL
         "CSeq: 1 INVITE\n" BOB_CONTACT NOBODY},
};

TEST(ladder_double_record_route)
{
	CHECK_INT(DRAW(&via_proxy, double_rr_hop, NULL), 0);
	CHECK(RENDERED_IS(
		"             us                   203.0.113.1:5060             bob@example.com\n"
		"       192.0.2.10:5060                                        198.51.100.7:5062\n"
		"              │                           │                           │\n"
		"0.000         ├────── INVITE (SDP) ───────┼──────────────────────────▶│\n"
		"3.020         │◀──────────────────────────┼───────── 200 OK ──────────┤\n"));
	CHECK_INT(DRAW(&via_proxy, double_rr_both, NULL), 0);
	CHECK(RENDERED_IS(
		"             us          203.0.113.1:5060     10.0.0.5:5061     bob@example.com\n"
		"       192.0.2.10:5060                                         198.51.100.7:5062\n"
		"              │                  │                  │                  │\n"
		"0.000         ├── INVITE (SDP) ──┼──────────────────┼─────────────────▶│\n"
		"3.020         │◀─────────────────┼──────────────────┼───── 200 OK ─────┤\n"));
	return 0;
}

/* The ladder only where no header and no label is cut but for the end of
 * a reason phrase (past its first word): 58 columns hold it, 57 do not,
 * and a numbered list takes its place, as it does at 50; a width below 20
 * is taken as 20. */
TEST(ladder_narrow)
{
	struct sip_ladder_opts o = {.ascii = true, .width = 58};
	CHECK_INT(DRAW(&via_proxy, proxy_call, &o), 0);
	CHECK(RENDERED_IS("              us        203.0.113.1:5060  bob@example.com\n"
	                  "        192.0.2.10:5060                  198.51.100.7:5062\n"
	                  "               |                |                |\n"
	                  " 0.000         |- INVITE (SDP) -+--------------->|\n"
	                  " 0.008         |<- 100 Trying --|                |\n"
	                  " 0.009         |<- 407 Proxy~ --|                |\n"
	                  " 0.010         |----- ACK ----->|                |\n"
	                  " 0.011         |- INVITE (SDP) -+--------------->|\n"
	                  " 0.019         |<- 100 Trying --|                |\n"
	                  " 0.130         |<---------------+- 180 Ringing --|\n"
	                  " 3.020         |<---------------+- 200 OK (SDP) -|\n"
	                  " 3.025         |----- ACK ------+--------------->|\n"
	                  "15.400         |<---------------+----- BYE ------|\n"
	                  "15.401         |- 200 OK (BYE) -+--------------->|\n"));
	o.width = 57;
	CHECK_INT(DRAW(&via_proxy, proxy_call, &o), 0);
	CHECK(strncmp(rendered, "     1  us  192.0.2.10:5060\n", 27) == 0);
	o.width = 50;
	CHECK_INT(DRAW(&via_proxy, proxy_call, &o), 0);
	CHECK(RENDERED_IS("     1  us  192.0.2.10:5060\n"
	                  "     2  203.0.113.1:5060\n"
	                  "     3  bob@example.com  198.51.100.7:5062\n"
	                  " 0.000  1 -> 2 -> 3  INVITE (SDP)\n"
	                  " 0.008  2 -> 1       100 Trying\n"
	                  " 0.009  2 -> 1       407 Proxy Authentication Req~\n"
	                  " 0.010  1 -> 2       ACK\n"
	                  " 0.011  1 -> 2 -> 3  INVITE (SDP)\n"
	                  " 0.019  2 -> 1       100 Trying\n"
	                  " 0.130  3 -> 2 -> 1  180 Ringing\n"
	                  " 3.020  3 -> 2 -> 1  200 OK (SDP)\n"
	                  " 3.025  1 -> 2 -> 3  ACK\n"
	                  "15.400  3 -> 2 -> 1  BYE\n"
	                  "15.401  1 -> 2 -> 3  200 OK (BYE)\n"));
	o.width = 1;
	o.ascii = false;
	CHECK_INT(DRAW(&via_proxy, proxy_call, &o), 0);
	CHECK(RENDERED_IS("     1  us  192.0.2…\n"
	                  "     2  203.0.113.1…\n"
	                  "     3  bob@example…\n"
	                  " 0.000  1 → 2 → 3  I\n"
	                  " 0.008  2 → 1      1\n"
	                  " 0.009  2 → 1      4\n"
	                  " 0.010  1 → 2      A\n"
	                  " 0.011  1 → 2 → 3  I\n"
	                  " 0.019  2 → 1      1\n"
	                  " 0.130  3 → 2 → 1  1\n"
	                  " 3.020  3 → 2 → 1  2\n"
	                  " 3.025  1 → 2 → 3  A\n"
	                  "15.400  3 → 2 → 1  B\n"
	                  "15.401  1 → 2 → 3  2\n"));
	return 0;
}

/* Requests cyan, 1xx yellow, 2xx green, 4xx red; lifelines and times plain. */
TEST(ladder_color)
{
	struct sip_ladder_opts o = {.color = true};
	CHECK_INT(DRAW(&via_proxy, proxy_call, &o), 0);
	CHECK(RENDERED_IS(
		"              \033[1mus\033[0m                   \033[1m203.0.113.1:5060\033[0m             \033[1mbob@example.com\033[0m\n"
		"        192.0.2.10:5060                                        198.51.100.7:5062\n"
		"               │                           │                           │\n"
		" 0.000         ├\033[36m────── INVITE (SDP) ───────┼──────────────────────────▶\033[0m│\n"
		" 0.008         │\033[33m◀─────── 100 Trying ───────\033[0m┤                           │\n"
		" 0.009         │\033[31m◀─ 407 Proxy Authenticat… ─\033[0m┤                           │\n"
		" 0.010         ├\033[36m────────── ACK ───────────▶\033[0m│                           │\n"
		" 0.011         ├\033[36m────── INVITE (SDP) ───────┼──────────────────────────▶\033[0m│\n"
		" 0.019         │\033[33m◀─────── 100 Trying ───────\033[0m┤                           │\n"
		" 0.130         │\033[33m◀──────────────────────────┼─────── 180 Ringing ───────\033[0m┤\n"
		" 3.020         │\033[32m◀──────────────────────────┼────── 200 OK (SDP) ───────\033[0m┤\n"
		" 3.025         ├\033[36m─────────── ACK ───────────┼──────────────────────────▶\033[0m│\n"
		"15.400         │\033[36m◀──────────────────────────┼─────────── BYE ───────────\033[0m┤\n"
		"15.401         ├\033[32m────── 200 OK (BYE) ───────┼──────────────────────────▶\033[0m│\n"));
	return 0;
}

/* ---- an INVITE that goes unanswered for a while, and a 200 OK whose ACK
 * was lost: the same bytes again are marked with their count ---- */

#define R_INVITE "INVITE sip:bob@192.0.2.20 SIP/2.0\n" A_VIA A_FROM B_TO CALL "CSeq: 1 INVITE\n" SDP
#define R_OK                                                                                       \
	"SIP/2.0 200 OK\n" A_VIA A_FROM B_TO_TAG CALL "CSeq: 1 INVITE\n"                           \
	"Contact: <sip:bob@192.0.2.20:5060>\n" SDP
#define R_ACK                                                                                      \
	"ACK sip:bob@192.0.2.20:5060 SIP/2.0\n"                                                    \
	"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKd2;rport\n" A_FROM B_TO_TAG CALL           \
	"CSeq: 1 ACK\n" NOBODY

static const struct step retransmissions[] = {
	{true, 0, R_INVITE},
	{true, 500, R_INVITE},
	{true, 1500, R_INVITE},
	{false, 1520, "SIP/2.0 180 Ringing\n" A_VIA A_FROM B_TO_TAG CALL "CSeq: 1 INVITE\n" NOBODY},
	{false, 4000, R_OK},
	{true, 4001, R_ACK},
	{false, 4500, R_OK},
	{true, 4501, R_ACK},
};

TEST(ladder_retransmission)
{
	CHECK_INT(DRAW(&direct, retransmissions, NULL), 0);
	CHECK(RENDERED_IS("             us                                bob@192.0.2.20\n"
	                  "       192.0.2.10:5060                         192.0.2.20:5060\n"
	                  "              │                                       │\n"
	                  "0.000         ├──────────── INVITE (SDP) ────────────▶│\n"
	                  "0.500         ├────────── INVITE (SDP) ×2 ───────────▶│\n"
	                  "1.500         ├────────── INVITE (SDP) ×3 ───────────▶│\n"
	                  "1.520         │◀──────────── 180 Ringing ─────────────┤\n"
	                  "4.000         │◀──────────── 200 OK (SDP) ────────────┤\n"
	                  "4.001         ├──────────────── ACK ─────────────────▶│\n"
	                  "4.500         │◀────────── 200 OK (SDP) ×2 ───────────┤\n"
	                  "4.501         ├─────────────── ACK ×2 ───────────────▶│\n"));
	/* too narrow for the labels whole: the list, where a label cut for
	 * the width keeps its mark */
	struct sip_ladder_opts o = {.width = 24};
	CHECK_INT(DRAW(&direct, retransmissions, &o), 0);
	CHECK(RENDERED_IS("    1  us  192.0.2.10:5…\n"
	                  "    2  bob@192.0.2.20  1\n"
	                  "0.000  1 → 2  INVITE (S…\n"
	                  "0.500  1 → 2  INVITE… ×2\n"
	                  "1.500  1 → 2  INVITE… ×3\n"
	                  "1.520  2 → 1  180 Ringi…\n"
	                  "4.000  2 → 1  200 OK (S…\n"
	                  "4.001  1 → 2  ACK\n"
	                  "4.500  2 → 1  200 OK… ×2\n"
	                  "4.501  1 → 2  ACK ×2\n"));
	return 0;
}

/* The same INVITE to another server after a timeout (a failover that
 * reuses the bytes) is no retransmission, and goes where it was sent: to
 * a peer of its own, not to one past the server before. */
TEST(ladder_failover)
{
	static const struct party other = {"192.0.2.10", 5060, "192.0.2.30", 5060};
	struct sip_ladder *l;
	CHECK_INT(sip_ladder_new(&l), 0);
	CHECK_INT(feed(l, &direct, retransmissions, 2), 0);
	CHECK_INT(feed(l, &other, retransmissions + 2, 2), 0);
	CHECK_INT(render(l, NULL), 0);
	CHECK(RENDERED_IS(
		"             us                     bob@192.0.2.20               bob@192.0.2.20\n"
		"       192.0.2.10:5060              192.0.2.20:5060              192.0.2.30:5060\n"
		"              │                            │                            │\n"
		"0.000         ├────── INVITE (SDP) ───────▶│                            │\n"
		"0.500         ├───── INVITE (SDP) ×2 ─────▶│                            │\n"
		"1.500         ├───────────────────── INVITE (SDP) ─────────────────────▶│\n"
		"1.520         │◀───────────────────── 180 Ringing ──────────────────────┤\n"));
	sip_ladder_free(l);
	return 0;
}

/* bob@example.com's first server (203.0.113.1) never answers; its second
 * (203.0.113.2) is a proxy that bob answers through: nothing is drawn past
 * the first, and the second is a new peer with bob behind it. */
TEST(ladder_failover_to_proxy)
{
	static const struct party first = {"192.0.2.10", 5060, "203.0.113.1", 5060},
				  second = {"192.0.2.10", 5060, "203.0.113.2", 5060};
	static const struct step invite[] = {
		{true, 0,
	         "INVITE sip:bob@example.com SIP/2.0\n" P_VIA1 P_FROM P_TO P_CALL
	         "CSeq: 1 INVITE\n" SDP},
		{true, 500,
	         "INVITE sip:bob@example.com SIP/2.0\n" P_VIA1 P_FROM P_TO P_CALL
	         "CSeq: 1 INVITE\n" SDP},
	};
	static const struct step answered[] = {
		{true, 1500,
	         "INVITE sip:bob@example.com SIP/2.0\n" P_VIA2 P_FROM P_TO P_CALL
	         "CSeq: 1 INVITE\n" SDP},
		{false, 1510,
	         "SIP/2.0 100 Trying\n" P_VIA2 P_FROM P_TO P_CALL "CSeq: 1 INVITE\n" NOBODY},
		{false, 1600,
	         "SIP/2.0 200 OK\n" P_VIA2 P_FROM P_TO_BOB P_CALL
	         "CSeq: 1 INVITE\n" BOB_CONTACT SDP},
	};
	struct sip_ladder *l;
	CHECK_INT(sip_ladder_new(&l), 0);
	CHECK_INT(feed(l, &first, invite, 2), 0);
	CHECK_INT(feed(l, &second, answered, 3), 0);
	struct sip_ladder_opts o = {.width = 100};
	CHECK_INT(render(l, &o), 0);
	CHECK(RENDERED_IS(
		"             us                 bob@example.com         203.0.113.2:5060          bob@example.com\n"
		"       192.0.2.10:5060         203.0.113.1:5060                                  198.51.100.7:5062\n"
		"              │                        │                        │                        │\n"
		"0.000         ├──── INVITE (SDP) ─────▶│                        │                        │\n"
		"0.500         ├─── INVITE (SDP) ×2 ───▶│                        │                        │\n"
		"1.500         ├───────────────── INVITE (SDP) ──────────────────┼───────────────────────▶│\n"
		"1.510         │◀────────────────── 100 Trying ──────────────────┤                        │\n"
		"1.600         │◀────────────────────────────────────────────────┼───── 200 OK (SDP) ─────┤\n"));
	sip_ladder_free(l);
	return 0;
}

/* ---- --follow: the redirect server at 192.0.2.20 answers 302 with
 * bob's Contact at 192.0.2.30, who is called next. The redirect is an
 * exchange of its own with the redirect server; the call, a new one with
 * bob at his Contact ---- */

#define RD_TO_TAG "To: <sip:bob@192.0.2.20>;tag=r1\n"
#define RD_VIA2 "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKr2;rport\n"
#define RD_BOB_TAG "To: <sip:bob@192.0.2.20>;tag=b1\n"

static const struct step redirect[] = {
	{true, 0,
         "INVITE sip:bob@192.0.2.20 SIP/2.0\n" A_VIA A_FROM B_TO CALL "CSeq: 1 INVITE\n" SDP},
	{false, 3,
         "SIP/2.0 302 Moved Temporarily\n" A_VIA A_FROM RD_TO_TAG CALL "CSeq: 1 INVITE\n"
         "Contact: <sip:bob@192.0.2.30:5060>\n" NOBODY},
	{true, 4,
         "ACK sip:bob@192.0.2.20 SIP/2.0\n" A_VIA A_FROM RD_TO_TAG CALL "CSeq: 1 ACK\n" NOBODY},
};

static const struct step redirected[] = {
	{true, 5,
         "INVITE sip:bob@192.0.2.30:5060 SIP/2.0\n" RD_VIA2 A_FROM B_TO CALL
         "CSeq: 11 INVITE\n" SDP},
	{false, 9, "SIP/2.0 100 Trying\n" RD_VIA2 A_FROM B_TO CALL "CSeq: 11 INVITE\n" NOBODY},
	{false, 900,
         "SIP/2.0 200 OK\n" RD_VIA2 A_FROM RD_BOB_TAG CALL "CSeq: 11 INVITE\n"
         "Contact: <sip:bob@192.0.2.30:5060>\n" SDP},
	{true, 901,
         "ACK sip:bob@192.0.2.30:5060 SIP/2.0\n"
         "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKr3;rport\n" A_FROM RD_BOB_TAG CALL
         "CSeq: 11 ACK\n" NOBODY},
	{true, 2000,
         "BYE sip:bob@192.0.2.30:5060 SIP/2.0\n"
         "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKr4;rport\n" A_FROM RD_BOB_TAG CALL
         "CSeq: 12 BYE\n" NOBODY},
	{false, 2002,
         "SIP/2.0 200 OK\n"
         "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKr4;rport\n" A_FROM RD_BOB_TAG CALL
         "CSeq: 12 BYE\n" NOBODY},
};

static const struct party redirect_server = {"192.0.2.10", 5060, "192.0.2.20", 5060},
			  contact = {"192.0.2.10", 5060, "192.0.2.30", 5060};

TEST(ladder_redirect)
{
	struct sip_ladder *l;
	CHECK_INT(sip_ladder_new(&l), 0);
	CHECK_INT(feed(l, &redirect_server, redirect, 3), 0);
	CHECK_INT(feed(l, &contact, redirected, 6), 0);
	CHECK_INT(render(l, NULL), 0);
	CHECK(RENDERED_IS(
		"             us                     bob@192.0.2.20               bob@192.0.2.20\n"
		"       192.0.2.10:5060              192.0.2.20:5060              192.0.2.30:5060\n"
		"              │                            │                            │\n"
		"0.000         ├────── INVITE (SDP) ───────▶│                            │\n"
		"0.003         │◀── 302 Moved Temporarily ──┤                            │\n"
		"0.004         ├─────────── ACK ───────────▶│                            │\n"
		"0.005         ├───────────────────── INVITE (SDP) ─────────────────────▶│\n"
		"0.009         │◀────────────────────── 100 Trying ──────────────────────┤\n"
		"0.900         │◀───────────────────── 200 OK (SDP) ─────────────────────┤\n"
		"0.901         ├───────────────────────── ACK ──────────────────────────▶│\n"
		"2.000         ├───────────────────────── BYE ──────────────────────────▶│\n"
		"2.002         │◀───────────────────── 200 OK (BYE) ─────────────────────┤\n"));
	/* 200 columns: no wider apart than MAX_GAP; 50: the list */
	struct sip_ladder_opts o = {.width = 200};
	CHECK_INT(render(l, &o), 0);
	CHECK(RENDERED_IS(
		"             us                                bob@192.0.2.20                          bob@192.0.2.20\n"
		"       192.0.2.10:5060                         192.0.2.20:5060                         192.0.2.30:5060\n"
		"              │                                       │                                       │\n"
		"0.000         ├──────────── INVITE (SDP) ────────────▶│                                       │\n"
		"0.003         │◀─────── 302 Moved Temporarily ────────┤                                       │\n"
		"0.004         ├──────────────── ACK ─────────────────▶│                                       │\n"
		"0.005         ├──────────────────────────────── INVITE (SDP) ────────────────────────────────▶│\n"
		"0.009         │◀───────────────────────────────── 100 Trying ─────────────────────────────────┤\n"
		"0.900         │◀──────────────────────────────── 200 OK (SDP) ────────────────────────────────┤\n"
		"0.901         ├──────────────────────────────────── ACK ─────────────────────────────────────▶│\n"
		"2.000         ├──────────────────────────────────── BYE ─────────────────────────────────────▶│\n"
		"2.002         │◀──────────────────────────────── 200 OK (BYE) ────────────────────────────────┤\n"));
	o.width = 50;
	CHECK_INT(render(l, &o), 0);
	CHECK(RENDERED_IS("    1  us  192.0.2.10:5060\n"
	                  "    2  bob@192.0.2.20  192.0.2.20:5060\n"
	                  "    3  bob@192.0.2.20  192.0.2.30:5060\n"
	                  "0.000  1 → 2  INVITE (SDP)\n"
	                  "0.003  2 → 1  302 Moved Temporarily\n"
	                  "0.004  1 → 2  ACK\n"
	                  "0.005  1 → 3  INVITE (SDP)\n"
	                  "0.009  3 → 1  100 Trying\n"
	                  "0.900  3 → 1  200 OK (SDP)\n"
	                  "0.901  1 → 3  ACK\n"
	                  "2.000  1 → 3  BYE\n"
	                  "2.002  3 → 1  200 OK (BYE)\n"));
	sip_ladder_free(l);
	return 0;
}

/* A redirect server known by name (bob@example.com at 203.0.113.1)
 * answers for itself; the Contact it gives is reached through the same
 * server, a proxy, and a late copy of the 302 stays with the redirect (on
 * 80 columns its reason is cut, not its count). */
TEST(ladder_redirect_by_name)
{
	static const struct step steps[] = {
		{true, 0,
	         "INVITE sip:bob@example.com SIP/2.0\n" P_VIA1 P_FROM P_TO P_CALL
	         "CSeq: 1 INVITE\n" SDP},
		{false, 3,
	         "SIP/2.0 302 Moved Temporarily\n" P_VIA1 P_FROM P_TO_PROXY P_CALL
	         "CSeq: 1 INVITE\nContact: <sip:bob@198.51.100.7:5062>\n" NOBODY},
		{true, 4,
	         "ACK sip:bob@example.com SIP/2.0\n" P_VIA1 P_FROM P_TO_PROXY P_CALL
	         "CSeq: 1 ACK\n" NOBODY},
		{true, 5,
	         "INVITE sip:bob@198.51.100.7:5062 SIP/2.0\n" P_VIA2 P_FROM P_TO P_CALL
	         "CSeq: 11 INVITE\n" SDP},
		{false, 6,
	         "SIP/2.0 302 Moved Temporarily\n" P_VIA1 P_FROM P_TO_PROXY P_CALL
	         "CSeq: 1 INVITE\nContact: <sip:bob@198.51.100.7:5062>\n" NOBODY},
		{false, 900,
	         "SIP/2.0 200 OK\n" P_VIA2 P_FROM P_TO_BOB P_CALL
	         "CSeq: 11 INVITE\n" BOB_CONTACT SDP},
	};
	struct sip_ladder_opts o = {.width = 80};
	CHECK_INT(DRAW(&via_proxy, steps, &o), 0);
	CHECK(RENDERED_IS(
		"             us                    bob@example.com             bob@example.com\n"
		"       192.0.2.10:5060            203.0.113.1:5060            198.51.100.7:5062\n"
		"              │                           │                           │\n"
		"0.000         ├────── INVITE (SDP) ──────▶│                           │\n"
		"0.003         │◀─ 302 Moved Temporarily ──┤                           │\n"
		"0.004         ├────────── ACK ───────────▶│                           │\n"
		"0.005         ├────── INVITE (SDP) ───────┼──────────────────────────▶│\n"
		"0.006         │◀─ 302 Moved Temporar… ×2 ─┤                           │\n"
		"0.900         │◀──────────────────────────┼────── 200 OK (SDP) ───────┤\n"));
	return 0;
}

/* ---- bob hangs up: a request received, the 200 OK sent ---- */

static const struct step far_end_bye[] = {
	{true, 0, R_INVITE},
	{false, 4000, R_OK},
	{true, 4001, R_ACK},
	{false, 60000,
         "BYE sip:alice@192.0.2.10:5060 SIP/2.0\n"
         "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKb2\n"
         "From: <sip:bob@192.0.2.20>;tag=b1\n"
         "To: <sip:alice@192.0.2.10>;tag=a1\n" CALL "CSeq: 1 BYE\n" NOBODY},
	{true, 60001,
         "SIP/2.0 200 OK\n"
         "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKb2\n"
         "From: <sip:bob@192.0.2.20>;tag=b1\n"
         "To: <sip:alice@192.0.2.10>;tag=a1\n" CALL "CSeq: 1 BYE\n" NOBODY},
};

TEST(ladder_far_end_bye)
{
	CHECK_INT(DRAW(&direct, far_end_bye, NULL), 0);
	CHECK(RENDERED_IS("              us                                bob@192.0.2.20\n"
	                  "        192.0.2.10:5060                         192.0.2.20:5060\n"
	                  "               │                                       │\n"
	                  " 0.000         ├──────────── INVITE (SDP) ────────────▶│\n"
	                  " 4.000         │◀──────────── 200 OK (SDP) ────────────┤\n"
	                  " 4.001         ├──────────────── ACK ─────────────────▶│\n"
	                  "60.000         │◀──────────────── BYE ─────────────────┤\n"
	                  "60.001         ├──────────── 200 OK (BYE) ────────────▶│\n"));
	return 0;
}

TEST(ladder_ascii)
{
	struct sip_ladder_opts o = {.ascii = true, .width = 60};
	CHECK_INT(DRAW(&direct, direct_call, &o), 0);
	CHECK(RENDERED_IS("             us                              bob@192.0.2.20\n"
	                  "       192.0.2.10:5060                       192.0.2.20:5060\n"
	                  "              |                                     |\n"
	                  "0.000         |----------- INVITE (SDP) ----------->|\n"
	                  "0.012         |<------------ 100 Trying ------------|\n"
	                  "0.040         |<----------- 180 Ringing ------------|\n"
	                  "2.210         |<----------- 200 OK (SDP) -----------|\n"
	                  "2.215         |--------------- ACK ---------------->|\n"
	                  "9.870         |--------------- BYE ---------------->|\n"
	                  "9.901         |<----------- 200 OK (BYE) -----------|\n"));
	return 0;
}

/* ---- OPTIONS to six servers: seven columns do not fit 80 ---- */

static int ping_six(struct sip_ladder *l)
{
	for (unsigned i = 0; i < 6; i++) {
		char host[16], ping[512], pong[512];
		snprintf(host, sizeof host, "192.0.2.%u", 21 + i);
		snprintf(ping, sizeof ping,
		         "OPTIONS sip:%s SIP/2.0\n"
		         "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKo%u;rport\n"
		         "From: <sip:ping@192.0.2.10>;tag=o%u\n"
		         "To: <sip:%s>\n"
		         "Call-ID: o%u@192.0.2.10\n"
		         "CSeq: 1 OPTIONS\n" NOBODY,
		         host, i, i, host, i);
		snprintf(pong, sizeof pong,
		         "SIP/2.0 200 OK\n"
		         "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKo%u;rport\n"
		         "From: <sip:ping@192.0.2.10>;tag=o%u\n"
		         "To: <sip:%s>;tag=s%u\n"
		         "Call-ID: o%u@192.0.2.10\n"
		         "CSeq: 1 OPTIONS\n" NOBODY,
		         i, i, host, i, i);
		const struct step steps[] = {{true, 100 * i, ping}, {false, 100 * i + 3, pong}};
		const struct party p = {"192.0.2.10", 5060, host, 5060};
		int err = feed(l, &p, steps, 2);
		if (err)
			return err;
	}
	return 0;
}

TEST(ladder_many_parties)
{
	struct sip_ladder *l;
	CHECK_INT(sip_ladder_new(&l), 0);
	CHECK_INT(ping_six(l), 0);
	CHECK_INT(render(l, NULL), 0);
	CHECK(RENDERED_IS("    1  us  192.0.2.10:5060\n"
	                  "    2  192.0.2.21  192.0.2.21:5060\n"
	                  "    3  192.0.2.22  192.0.2.22:5060\n"
	                  "    4  192.0.2.23  192.0.2.23:5060\n"
	                  "    5  192.0.2.24  192.0.2.24:5060\n"
	                  "    6  192.0.2.25  192.0.2.25:5060\n"
	                  "    7  192.0.2.26  192.0.2.26:5060\n"
	                  "0.000  1 → 2  OPTIONS\n"
	                  "0.003  2 → 1  200 OK\n"
	                  "0.100  1 → 3  OPTIONS\n"
	                  "0.103  3 → 1  200 OK\n"
	                  "0.200  1 → 4  OPTIONS\n"
	                  "0.203  4 → 1  200 OK\n"
	                  "0.300  1 → 5  OPTIONS\n"
	                  "0.303  5 → 1  200 OK\n"
	                  "0.400  1 → 6  OPTIONS\n"
	                  "0.403  6 → 1  200 OK\n"
	                  "0.500  1 → 7  OPTIONS\n"
	                  "0.503  7 → 1  200 OK\n"));
	/* wide enough: arrows to the far columns cross the near ones */
	struct sip_ladder_opts o = {.width = 120, .ascii = true};
	CHECK_INT(render(l, &o), 0);
	CHECK(RENDERED_IS(
		"             us          192.0.2.21      192.0.2.22      192.0.2.23      192.0.2.24      192.0.2.25      192.0.2.26\n"
		"       192.0.2.10:5060 192.0.2.21:5060 192.0.2.22:5060 192.0.2.23:5060 192.0.2.24:5060 192.0.2.25:5060 192.0.2.26:5060\n"
		"              |               |               |               |               |               |               |\n"
		"0.000         |-- OPTIONS --->|               |               |               |               |               |\n"
		"0.003         |<--- 200 OK ---|               |               |               |               |               |\n"
		"0.100         |---------- OPTIONS ----------->|               |               |               |               |\n"
		"0.103         |<----------- 200 OK -----------|               |               |               |               |\n"
		"0.200         |------------------ OPTIONS ------------------->|               |               |               |\n"
		"0.203         |<------------------- 200 OK -------------------|               |               |               |\n"
		"0.300         |-------------------------- OPTIONS --------------------------->|               |               |\n"
		"0.303         |<--------------------------- 200 OK ---------------------------|               |               |\n"
		"0.400         |---------------------------------- OPTIONS ----------------------------------->|               |\n"
		"0.403         |<----------------------------------- 200 OK -----------------------------------|               |\n"
		"0.500         |------------------------------------------ OPTIONS ------------------------------------------->|\n"
		"0.503         |<------------------------------------------- 200 OK -------------------------------------------|\n"));
	sip_ladder_free(l);
	return 0;
}

/* ---- REGISTER goes to the registrar; what a peer writes cannot reach the
 * terminal as control characters ---- */

#define REG_HDRS                                                                                   \
	"From: <sip:alice@example.com>;tag=r1\n"                                                   \
	"Call-ID: r1@192.0.2.10\n"

static const struct step registration[] = {
	{true, 0,
         "REGISTER sip:example.com SIP/2.0\n" A_VIA REG_HDRS "To: <sip:alice@example.com>\n"
         "CSeq: 1 REGISTER\nContact: <sip:alice@192.0.2.10:5060>\n" NOBODY},
	{false, 20,
         "SIP/2.0 401 Unauthorized\n" A_VIA REG_HDRS "To: <sip:alice@example.com>;tag=x\n"
         "CSeq: 1 REGISTER\n" NOBODY},
	{true, 21,
         "REGISTER sip:example.com SIP/2.0\n" A_VIA REG_HDRS "To: <sip:alice@example.com>\n"
         "CSeq: 2 REGISTER\nContact: <sip:alice@192.0.2.10:5060>\n" NOBODY},
	{false, 45,
         "SIP/2.0 200 Ok \xc3\xa9t\xc3\xa9 \x1b[2J\x7f\n" A_VIA REG_HDRS
         "To: <sip:alice@example.com>;tag=x\n"
         "CSeq: 2 REGISTER\n" NOBODY},
};

TEST(ladder_register)
{
	struct sip_ladder_opts o = {.width = 60};
	CHECK_INT(DRAW(&via_proxy, registration, &o), 0);
	CHECK(RENDERED_IS("             us                             203.0.113.1:5060\n"
	                  "       192.0.2.10:5060\n"
	                  "              │                                     │\n"
	                  "0.000         ├───────────── REGISTER ─────────────▶│\n"
	                  "0.020         │◀───────── 401 Unauthorized ─────────┤\n"
	                  "0.021         ├───────────── REGISTER ─────────────▶│\n"
	                  "0.045         │◀───────── 200 Ok ?t? ?[2J? ─────────┤\n"));
	return 0;
}

TEST(ladder_edges)
{
	struct sip_ladder *l;
	CHECK_INT(sip_ladder_new(&l), 0);
	/* nothing to draw: nothing drawn */
	CHECK_INT(render(l, NULL), 0);
	CHECK_INT(rendered_len, 0);
	struct sip_msg m;
	struct sip_packet_info pi = {0};
	CHECK_INT(sip_ladder_add(NULL, &m, &pi), SIP_EINVAL);
	CHECK_INT(sip_ladder_add(l, NULL, &pi), SIP_EINVAL);
	CHECK_INT(sip_ladder_add(l, &m, NULL), SIP_EINVAL);
	CHECK_INT(sip_ladder_print(NULL, l, NULL), SIP_EINVAL);

	/* No addresses, no From or To: one unknown hop, and the times from t0. */
	static const char req[] = "OPTIONS sip:x SIP/2.0\r\n\r\n",
			  resp[] = "SIP/2.0 200 OK\r\n\r\n";
	CHECK_INT(sip_msg_parse(&m, req, sizeof req - 1, 0), 0);
	pi.tx = true;
	pi.time_us = 5000;
	CHECK_INT(sip_ladder_add(l, &m, &pi), 0);
	CHECK_INT(sip_msg_parse(&m, resp, sizeof resp - 1, 0), 0);
	pi.tx = false;
	pi.time_us = 1234567;
	CHECK_INT(sip_ladder_add(l, &m, &pi), 0);
	struct sip_ladder_opts o = {.t0_us = 4000, .width = 40};
	CHECK_INT(render(l, &o), 0);
	CHECK(RENDERED_IS("       us                              ?\n"
	                  "        │                              │\n"
	                  "0.001   ├────────── OPTIONS ──────────▶│\n"
	                  "1.230   │◀────────── 200 OK ───────────┤\n"));
	sip_ladder_free(l);
	sip_ladder_free(NULL);
	return 0;
}
