/* dialog_test.c - dialogs from both sides (RFC 3261 §12): route sets,
 * remote targets, matching, CSeq, and in-dialog requests with loose and
 * strict routing that parse back and pass the checker. */
#include "test.h"

static const char invite[] = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKinv1;rport\r\n"
			     "Max-Forwards: 70\r\n"
			     "From: Alice <sip:alice@atlanta.example.com>;tag=atag\r\n"
			     "To: Bob <sip:bob@biloxi.example.com>\r\n"
			     "Call-ID: call-1@192.0.2.5\r\n"
			     "CSeq: 314 INVITE\r\n"
			     "Contact: <sip:alice@192.0.2.5:5060>\r\n"
			     "Content-Length: 0\r\n"
			     "\r\n";

/* Record-Route as the callee's side sends it back: nearest-to-callee last. */
static const char ok[] = "SIP/2.0 200 OK\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKinv1;rport\r\n"
			 "Record-Route: <sip:p3.example.com;lr>, <sip:p2.example.com;lr>\r\n"
			 "Record-Route: <sip:p1.example.com;lr>\r\n"
			 "From: Alice <sip:alice@atlanta.example.com>;tag=atag\r\n"
			 "To: Bob <sip:bob@biloxi.example.com>;tag=btag\r\n"
			 "Call-ID: call-1@192.0.2.5\r\n"
			 "CSeq: 314 INVITE\r\n"
			 "Contact: <sip:bob@198.51.100.7:5062;transport=udp>\r\n"
			 "Content-Length: 0\r\n"
			 "\r\n";

static const char ok_strict[] = "SIP/2.0 200 OK\r\n"
				"Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKinv1;rport\r\n"
				"Record-Route: <sip:p2.example.com;lr>\r\n"
				"Record-Route: <sip:p1.example.com?X=1>\r\n"
				"From: Alice <sip:alice@atlanta.example.com>;tag=atag\r\n"
				"To: Bob <sip:bob@biloxi.example.com>;tag=btag\r\n"
				"Call-ID: call-1@192.0.2.5\r\n"
				"CSeq: 314 INVITE\r\n"
				"Contact: <sip:bob@198.51.100.7:5062>\r\n"
				"Content-Length: 0\r\n"
				"\r\n";

static int parse(struct sip_msg *m, const char *text)
{
	CHECK_INT(sip_msg_parse(m, text, strlen(text), 0), 0);
	return 0;
}

static int no_problems(const struct sip_msg *m)
{
	struct sip_diag d[8];
	size_t n = sip_msg_check(m, d, 8);
	for (size_t i = 0; i < n && i < 8; i++)
		printf("     problem: line %u: %s\n", d[i].line, d[i].text);
	CHECK_INT(n, 0);
	return 0;
}

/* The n-th Route header's value, or an empty slice. */
static struct sip_str route_n(const struct sip_msg *m, unsigned n)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_ROUTE);
	while (h && n--)
		h = sip_msg_hdr_next(m, h);
	return h ? h->value : (struct sip_str){"", 0};
}

static struct sip_str hdr_value(const struct sip_msg *m, enum sip_hdr_id id)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);
	return h ? h->value : (struct sip_str){"", 0};
}

static int uac_dialog(struct sip_dialog **d, const char *resp_text)
{
	static struct sip_msg req, resp;
	if (parse(&req, invite) || parse(&resp, resp_text))
		return 1;
	CHECK_INT(sip_dialog_new_uac(d, &req, &resp), 0);
	return 0;
}

TEST(dialog_uac_loose_routes_reversed)
{
	struct sip_dialog *d;
	if (uac_dialog(&d, ok))
		return 1;
	char hop[128];
	CHECK_INT(sip_dialog_next_hop(d, hop, sizeof hop), (int)strlen("sip:p1.example.com;lr"));
	CHECK(strcmp(hop, "sip:p1.example.com;lr") == 0);

	struct sip_buf b;
	sip_buf_init(&b, 0);
	struct sip_dialog_request r = {
		.method = SIP_BYE, .via_host = "192.0.2.5", .via_port = 5060};
	CHECK_INT(sip_dialog_request(d, &b, &r), 0);
	static struct sip_msg m;
	int err = sip_msg_parse(&m, b.p, b.len, 0);
	if (err)
		printf("%s\n", b.p);
	CHECK_INT(err, 0);
	CHECK_STR(m.ruri, "sip:bob@198.51.100.7:5062;transport=udp");
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_ROUTE), 3);
	CHECK_STR(route_n(&m, 0), "<sip:p1.example.com;lr>");
	CHECK_STR(route_n(&m, 1), "<sip:p2.example.com;lr>");
	CHECK_STR(route_n(&m, 2), "<sip:p3.example.com;lr>");
	CHECK_STR(hdr_value(&m, SIP_HDR_FROM), "<sip:alice@atlanta.example.com>;tag=atag");
	CHECK_STR(hdr_value(&m, SIP_HDR_TO), "<sip:bob@biloxi.example.com>;tag=btag");
	CHECK_STR(hdr_value(&m, SIP_HDR_CALL_ID), "call-1@192.0.2.5");
	CHECK_STR(hdr_value(&m, SIP_HDR_CSEQ), "315 BYE");
	CHECK_STR(hdr_value(&m, SIP_HDR_MAX_FORWARDS), "70");
	struct sip_via via;
	CHECK_INT(sip_via_parse(&via, hdr_value(&m, SIP_HDR_VIA)), 0);
	CHECK_STR(via.transport, "UDP");
	CHECK_STR(via.host, "192.0.2.5");
	CHECK_INT(via.port, 5060);
	CHECK(via.rport);
	CHECK(via.branch.len > 7 && memcmp(via.branch.p, "z9hG4bK", 7) == 0);
	if (no_problems(&m))
		return 1;
	/* a BYE from the dialog is a request of the dialog */
	CHECK(sip_dialog_match(d, &m) == false); /* our own request: tags the other way round */
	sip_buf_reset(&b);
	sip_dialog_free(d);
	return 0;
}

TEST(dialog_uac_strict_router)
{
	struct sip_dialog *d;
	if (uac_dialog(&d, ok_strict))
		return 1;
	char hop[128];
	CHECK(sip_dialog_next_hop(d, hop, sizeof hop) > 0);
	CHECK(strcmp(hop, "sip:p1.example.com?X=1") == 0);
	CHECK_INT(sip_dialog_next_hop(d, hop, 5), SIP_ENOSPC);

	struct sip_buf b;
	sip_buf_init(&b, 0);
	struct sip_dialog_request r = {.method = SIP_INFO,
	                               .via_host = "2001:db8::5",
	                               .transport = "TCP",
	                               .content_type = "text/plain",
	                               .body = "hi",
	                               .body_len = 2};
	CHECK_INT(sip_dialog_request(d, &b, &r), 0);
	static struct sip_msg m;
	CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
	CHECK_STR(m.ruri, "sip:p1.example.com");
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_ROUTE), 2);
	CHECK_STR(route_n(&m, 0), "<sip:p2.example.com;lr>");
	CHECK_STR(route_n(&m, 1), "<sip:bob@198.51.100.7:5062>");
	struct sip_via via;
	CHECK_INT(sip_via_parse(&via, hdr_value(&m, SIP_HDR_VIA)), 0);
	CHECK_STR(via.host, "[2001:db8::5]");
	CHECK_STR(via.transport, "TCP");
	CHECK_STR(m.body, "hi");
	CHECK_STR(hdr_value(&m, SIP_HDR_CONTENT_TYPE), "text/plain");
	if (no_problems(&m))
		return 1;
	sip_buf_reset(&b);
	sip_dialog_free(d);
	return 0;
}

TEST(dialog_uac_no_routes)
{
	static const char plain[] = "SIP/2.0 200 OK\r\n"
				    "Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKinv1\r\n"
				    "From: <sip:alice@atlanta.example.com>;tag=atag\r\n"
				    "To: <sip:bob@biloxi.example.com>;tag=btag\r\n"
				    "Call-ID: call-1@192.0.2.5\r\n"
				    "CSeq: 314 INVITE\r\n"
				    "Contact: <sip:bob@198.51.100.7>\r\n"
				    "Content-Length: 0\r\n"
				    "\r\n";
	struct sip_dialog *d;
	if (uac_dialog(&d, plain))
		return 1;
	char hop[128];
	CHECK(sip_dialog_next_hop(d, hop, sizeof hop) > 0);
	CHECK(strcmp(hop, "sip:bob@198.51.100.7") == 0);
	struct sip_buf b;
	sip_buf_init(&b, 0);
	struct sip_dialog_request r = {.method = SIP_BYE, .via_host = "192.0.2.5"};
	CHECK_INT(sip_dialog_request(d, &b, &r), 0);
	static struct sip_msg m;
	CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
	CHECK_STR(m.ruri, "sip:bob@198.51.100.7");
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_ROUTE), 0);
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_USER_AGENT), 0);
	sip_buf_reset(&b);

	/* The product goes on in-dialog requests as on the first... */
	r.user_agent = "sip-test/1";
	CHECK_INT(sip_dialog_request(d, &b, &r), 0);
	CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
	CHECK_STR(hdr_value(&m, SIP_HDR_USER_AGENT), "sip-test/1");
	sip_buf_reset(&b);
	/* ...unless the caller's own line names it, */
	struct sip_build_hdr ua = {"user-agent : mine/2"};
	r.headers = &ua;
	r.nheaders = 1;
	CHECK_INT(sip_dialog_request(d, &b, &r), 0);
	CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_USER_AGENT), 1);
	CHECK_STR(hdr_value(&m, SIP_HDR_USER_AGENT), "mine/2");
	sip_buf_reset(&b);
	/* and it adds no line of its own. */
	r.nheaders = 0;
	r.user_agent = "x\r\nBye: 1";
	CHECK_INT(sip_dialog_request(d, &b, &r), SIP_EINVAL);
	sip_buf_reset(&b);
	sip_dialog_free(d);
	return 0;
}

TEST(dialog_uas_routes_in_order)
{
	static const char rr_invite[] = "INVITE sip:bob@198.51.100.7 SIP/2.0\r\n"
					"Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1\r\n"
					"Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKinv1\r\n"
					"Max-Forwards: 69\r\n"
					"Record-Route: <sip:p1.example.com;lr>\r\n"
					"Record-Route: <sip:p2.example.com;lr>\r\n"
					"From: Alice <sip:alice@atlanta.example.com>;tag=atag\r\n"
					"To: Bob <sip:bob@biloxi.example.com>\r\n"
					"Call-ID: call-2@192.0.2.5\r\n"
					"CSeq: 7 INVITE\r\n"
					"Contact: <sip:alice@192.0.2.5:5060>\r\n"
					"Content-Length: 0\r\n"
					"\r\n";
	static struct sip_msg req, m;
	if (parse(&req, rr_invite))
		return 1;
	struct sip_dialog *d;
	CHECK_INT(sip_dialog_new_uas(&d, &req, "btag"), 0);
	/* the creating request itself belongs to the dialog once answered */
	CHECK(sip_dialog_match(d, &req) == false); /* its To has no tag yet */

	struct sip_buf b;
	sip_buf_init(&b, 0);
	struct sip_dialog_request r = {
		.method = SIP_BYE, .via_host = "198.51.100.7", .contact = "sip:bob@198.51.100.7"};
	CHECK_INT(sip_dialog_request(d, &b, &r), 0);
	CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
	CHECK_STR(m.ruri, "sip:alice@192.0.2.5:5060");
	CHECK_INT(sip_msg_hdr_count(&m, SIP_HDR_ROUTE), 2);
	CHECK_STR(route_n(&m, 0), "<sip:p1.example.com;lr>");
	CHECK_STR(route_n(&m, 1), "<sip:p2.example.com;lr>");
	CHECK_STR(hdr_value(&m, SIP_HDR_FROM), "<sip:bob@biloxi.example.com>;tag=btag");
	CHECK_STR(hdr_value(&m, SIP_HDR_TO), "<sip:alice@atlanta.example.com>;tag=atag");
	CHECK_STR(hdr_value(&m, SIP_HDR_CSEQ), "1 BYE");
	CHECK_STR(hdr_value(&m, SIP_HDR_CONTACT), "<sip:bob@198.51.100.7>");
	if (no_problems(&m))
		return 1;
	sip_buf_reset(&b);
	sip_dialog_free(d);
	return 0;
}

TEST(dialog_match)
{
	struct sip_dialog *d;
	if (uac_dialog(&d, ok))
		return 1;
	static struct sip_msg m;
	/* a response from the other side: From tag ours, To tag theirs */
	if (parse(&m, ok))
		return 1;
	CHECK(sip_dialog_match(d, &m));
	/* a request from the other side: From tag theirs, To tag ours */
	static const char bye[] = "BYE sip:alice@192.0.2.5:5060 SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKbye1\r\n"
				  "Max-Forwards: 70\r\n"
				  "From: <sip:bob@biloxi.example.com>;tag=btag\r\n"
				  "To: <sip:alice@atlanta.example.com>;tag=atag\r\n"
				  "i: call-1@192.0.2.5\r\n"
				  "CSeq: 1 BYE\r\n"
				  "Content-Length: 0\r\n"
				  "\r\n";
	if (parse(&m, bye))
		return 1;
	CHECK(sip_dialog_match(d, &m));
	static const char bye_wrong_tag[] = "BYE sip:alice@192.0.2.5:5060 SIP/2.0\r\n"
					    "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKbye2\r\n"
					    "From: <sip:bob@biloxi.example.com>;tag=other\r\n"
					    "To: <sip:alice@atlanta.example.com>;tag=atag\r\n"
					    "Call-ID: call-1@192.0.2.5\r\n"
					    "CSeq: 2 BYE\r\n"
					    "Content-Length: 0\r\n"
					    "\r\n";
	if (parse(&m, bye_wrong_tag))
		return 1;
	CHECK(!sip_dialog_match(d, &m));
	static const char bye_wrong_call[] = "BYE sip:alice@192.0.2.5:5060 SIP/2.0\r\n"
					     "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKbye3\r\n"
					     "From: <sip:bob@biloxi.example.com>;tag=btag\r\n"
					     "To: <sip:alice@atlanta.example.com>;tag=atag\r\n"
					     "Call-ID: call-9@192.0.2.5\r\n"
					     "CSeq: 2 BYE\r\n"
					     "Content-Length: 0\r\n"
					     "\r\n";
	if (parse(&m, bye_wrong_call))
		return 1;
	CHECK(!sip_dialog_match(d, &m));
	/* a response whose To tag is another fork's */
	static const char ok_fork[] = "SIP/2.0 200 OK\r\n"
				      "Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKinv1\r\n"
				      "From: <sip:alice@atlanta.example.com>;tag=atag\r\n"
				      "To: <sip:bob@biloxi.example.com>;tag=fork2\r\n"
				      "Call-ID: call-1@192.0.2.5\r\n"
				      "CSeq: 314 INVITE\r\n"
				      "Content-Length: 0\r\n"
				      "\r\n";
	if (parse(&m, ok_fork))
		return 1;
	CHECK(!sip_dialog_match(d, &m));
	CHECK_INT(sip_dialog_update(d, &m), SIP_EINVAL);
	sip_dialog_free(d);
	return 0;
}

TEST(dialog_cseq_and_ack)
{
	struct sip_dialog *d;
	if (uac_dialog(&d, ok))
		return 1;
	static struct sip_msg m;
	struct sip_buf b;
	sip_buf_init(&b, 0);
	/* the ACK for the 2xx carries the INVITE's number */
	struct sip_dialog_request r = {.method = SIP_ACK, .cseq = 314, .via_host = "192.0.2.5"};
	CHECK_INT(sip_dialog_request(d, &b, &r), 0);
	CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
	CHECK_STR(hdr_value(&m, SIP_HDR_CSEQ), "314 ACK");
	if (no_problems(&m))
		return 1;
	sip_buf_reset(&b);
	/* and so does one with cseq 0, without using up a number */
	r.cseq = 0;
	CHECK_INT(sip_dialog_request(d, &b, &r), 0);
	CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
	CHECK_STR(hdr_value(&m, SIP_HDR_CSEQ), "314 ACK");
	sip_buf_reset(&b);

	CHECK_INT(sip_dialog_next_cseq(d), 315);
	CHECK_INT(sip_dialog_next_cseq(d), 316);
	r.method = SIP_UPDATE;
	CHECK_INT(sip_dialog_request(d, &b, &r), 0);
	CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
	CHECK_STR(hdr_value(&m, SIP_HDR_CSEQ), "317 UPDATE");
	sip_buf_reset(&b);
	r.method = SIP_BYE;
	CHECK_INT(sip_dialog_request(d, &b, &r), 0);
	CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
	CHECK_STR(hdr_value(&m, SIP_HDR_CSEQ), "318 BYE");
	sip_buf_reset(&b);
	sip_dialog_free(d);
	return 0;
}

TEST(dialog_update_target)
{
	static const char ringing[] = "SIP/2.0 180 Ringing\r\n"
				      "Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKinv1\r\n"
				      "Record-Route: <sip:early.example.com;lr>\r\n"
				      "From: <sip:alice@atlanta.example.com>;tag=atag\r\n"
				      "To: <sip:bob@biloxi.example.com>;tag=btag\r\n"
				      "Call-ID: call-1@192.0.2.5\r\n"
				      "CSeq: 314 INVITE\r\n"
				      "Content-Length: 0\r\n"
				      "\r\n";
	struct sip_dialog *d;
	if (uac_dialog(&d, ringing))
		return 1;
	char hop[128];
	CHECK(sip_dialog_next_hop(d, hop, sizeof hop) > 0);
	CHECK(strcmp(hop, "sip:early.example.com;lr") == 0);

	/* the 2xx replaces the early route set and gives the target */
	static struct sip_msg m;
	if (parse(&m, ok))
		return 1;
	CHECK_INT(sip_dialog_update(d, &m), 0);
	CHECK(sip_dialog_next_hop(d, hop, sizeof hop) > 0);
	CHECK(strcmp(hop, "sip:p1.example.com;lr") == 0);

	/* a re-INVITE from the other side moves the target; the routes stay */
	static const char reinvite[] = "INVITE sip:alice@192.0.2.5:5060 SIP/2.0\r\n"
				       "Via: SIP/2.0/UDP 203.0.113.9;branch=z9hG4bKre1\r\n"
				       "Max-Forwards: 70\r\n"
				       "From: <sip:bob@biloxi.example.com>;tag=btag\r\n"
				       "To: <sip:alice@atlanta.example.com>;tag=atag\r\n"
				       "Call-ID: call-1@192.0.2.5\r\n"
				       "CSeq: 2 INVITE\r\n"
				       "Contact: <sip:bob@203.0.113.9>\r\n"
				       "Content-Length: 0\r\n"
				       "\r\n";
	if (parse(&m, reinvite))
		return 1;
	CHECK_INT(sip_dialog_update(d, &m), 0);
	struct sip_buf b;
	sip_buf_init(&b, 0);
	struct sip_dialog_request r = {.method = SIP_BYE, .via_host = "192.0.2.5"};
	CHECK_INT(sip_dialog_request(d, &b, &r), 0);
	static struct sip_msg bye;
	CHECK_INT(sip_msg_parse(&bye, b.p, b.len, 0), 0);
	CHECK_STR(bye.ruri, "sip:bob@203.0.113.9");
	CHECK_INT(sip_msg_hdr_count(&bye, SIP_HDR_ROUTE), 3);
	CHECK_STR(route_n(&bye, 0), "<sip:p1.example.com;lr>");
	sip_buf_reset(&b);

	/* a 2xx once confirmed does not touch the route set */
	static const char ok2[] = "SIP/2.0 200 OK\r\n"
				  "Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKinv1\r\n"
				  "Record-Route: <sip:late.example.com;lr>\r\n"
				  "From: <sip:alice@atlanta.example.com>;tag=atag\r\n"
				  "To: <sip:bob@biloxi.example.com>;tag=btag\r\n"
				  "Call-ID: call-1@192.0.2.5\r\n"
				  "CSeq: 314 INVITE\r\n"
				  "Contact: <sip:bob@198.51.100.8>\r\n"
				  "Content-Length: 0\r\n"
				  "\r\n";
	if (parse(&m, ok2))
		return 1;
	CHECK_INT(sip_dialog_update(d, &m), 0);
	CHECK(sip_dialog_next_hop(d, hop, sizeof hop) > 0);
	CHECK(strcmp(hop, "sip:p1.example.com;lr") == 0);
	sip_dialog_free(d);
	return 0;
}

/* A 2xx without the Contact §13.3.1.4 wants: the Request-URI stands in;
 * one whose Contact is no URI makes no dialog. */
TEST(dialog_uac_2xx_without_contact)
{
	static const char bare[] = "SIP/2.0 200 OK\r\n"
				   "Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKinv1\r\n"
				   "From: <sip:alice@atlanta.example.com>;tag=atag\r\n"
				   "To: <sip:bob@biloxi.example.com>;tag=btag\r\n"
				   "Call-ID: call-1@192.0.2.5\r\n"
				   "CSeq: 314 INVITE\r\n"
				   "Content-Length: 0\r\n"
				   "\r\n";
	static const char bad[] = "SIP/2.0 200 OK\r\n"
				  "Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKinv1\r\n"
				  "From: <sip:alice@atlanta.example.com>;tag=atag\r\n"
				  "To: <sip:bob@biloxi.example.com>;tag=btag\r\n"
				  "Call-ID: call-1@192.0.2.5\r\n"
				  "CSeq: 314 INVITE\r\n"
				  "Contact: <sip:[::1>\r\n"
				  "Content-Length: 0\r\n"
				  "\r\n";
	struct sip_dialog *d;
	if (uac_dialog(&d, bare))
		return 1;
	char hop[128];
	CHECK(sip_dialog_next_hop(d, hop, sizeof hop) > 0);
	CHECK(strcmp(hop, "sip:bob@biloxi.example.com") == 0);
	sip_dialog_free(d);
	static struct sip_msg req, resp;
	if (parse(&req, invite) || parse(&resp, bad))
		return 1;
	CHECK(sip_dialog_new_uac(&d, &req, &resp) < 0);
	CHECK(d == NULL);
	return 0;
}

TEST(dialog_errors)
{
	static struct sip_msg req, resp;
	if (parse(&req, invite))
		return 1;
	static const char no_tag[] = "SIP/2.0 180 Ringing\r\n"
				     "Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKinv1\r\n"
				     "From: <sip:alice@atlanta.example.com>;tag=atag\r\n"
				     "To: <sip:bob@biloxi.example.com>\r\n"
				     "Call-ID: call-1@192.0.2.5\r\n"
				     "CSeq: 314 INVITE\r\n"
				     "Content-Length: 0\r\n"
				     "\r\n";
	if (parse(&resp, no_tag))
		return 1;
	struct sip_dialog *d = (struct sip_dialog *)&req;
	CHECK_INT(sip_dialog_new_uac(&d, &req, &resp), SIP_EINVAL);
	CHECK(d == NULL);
	CHECK_INT(sip_dialog_new_uac(&d, &resp, &req), SIP_EINVAL);
	CHECK_INT(sip_dialog_new_uas(&d, &req, ""), SIP_EINVAL);
	CHECK_INT(sip_dialog_new_uas(&d, &req, NULL), SIP_EINVAL);

	if (parse(&resp, ok))
		return 1;
	CHECK_INT(sip_dialog_new_uac(&d, &req, &resp), 0);
	CHECK_INT(sip_dialog_update(d, &req), SIP_EINVAL); /* our own request */
	struct sip_buf b;
	sip_buf_init(&b, 0);
	struct sip_dialog_request r = {.method = SIP_BYE, .via_host = "192.0.2.5"};
	struct sip_build_hdr bad = {"X-Evil: a\r\nVia: b"};
	r.headers = &bad;
	r.nheaders = 1;
	CHECK_INT(sip_dialog_request(d, &b, &r), SIP_EINVAL);
	r.nheaders = 0;
	r.via_host = NULL;
	CHECK_INT(sip_dialog_request(d, &b, &r), SIP_EINVAL);
	r.via_host = "192.0.2.5";
	r.method = SIP_METHOD_OTHER;
	CHECK_INT(sip_dialog_request(d, &b, &r), SIP_EINVAL);
	CHECK_INT(b.len, 0);
	sip_buf_reset(&b);
	sip_dialog_free(d);
	sip_dialog_free(NULL);
	return 0;
}

TEST(dialog_user_headers)
{
	struct sip_dialog *d;
	if (uac_dialog(&d, ok))
		return 1;
	struct sip_buf b;
	sip_buf_init(&b, 0);
	struct sip_build_hdr h[] = {{"Reason: SIP;cause=200;text=\"done\""}, {"X-Test: 1"}};
	struct sip_dialog_request r = {
		.method = SIP_BYE, .via_host = "192.0.2.5", .headers = h, .nheaders = 2};
	CHECK_INT(sip_dialog_request(d, &b, &r), 0);
	static struct sip_msg m;
	CHECK_INT(sip_msg_parse(&m, b.p, b.len, 0), 0);
	CHECK_STR(hdr_value(&m, SIP_HDR_REASON), "SIP;cause=200;text=\"done\"");
	CHECK(sip_msg_hdr_by_name(&m, SIP_STR("x-test")) != NULL);
	if (no_problems(&m))
		return 1;
	sip_buf_reset(&b);
	sip_dialog_free(d);
	return 0;
}

/* What a 400 to an INVITE names: the first header that keeps it from
 * making a dialog, as sip_dialog_new_uas would fail on it. */
TEST(dialog_uas_fault_names_the_header)
{
	static const struct {
		const char *from, *cseq, *contact, *rr, *want;
	} cases[] = {
		{"<sip:a@x>;tag=1", "1", "<sip:a@y>", NULL, NULL},
		{"<<<<;tag=1", "1", "<sip:a@y>", NULL, "From"},
		{"<sip:a@x>;tag=1", "4294967296", "<sip:a@y>", NULL, "CSeq"},
		{"<sip:a@x>;tag=1", "1", "<sip:>", NULL, "Contact"},
		{"<sip:a@x>;tag=1", "1", "<sip:a@y>", "<sip:p@z;lr>, <>", "Record-Route"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		static char text[512];
		static struct sip_msg m;
		snprintf(text, sizeof text,
		         "INVITE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP y;branch=z9hG4bKf\r\n"
		         "From: %s\r\nTo: <sip:b@x>\r\nCall-ID: c\r\nCSeq: %s INVITE\r\n"
		         "Contact: %s\r\n%s%s%sContent-Length: 0\r\n\r\n",
		         cases[i].from, cases[i].cseq, cases[i].contact,
		         cases[i].rr ? "Record-Route: " : "", cases[i].rr ? cases[i].rr : "",
		         cases[i].rr ? "\r\n" : "");
		CHECK_INT(parse(&m, text), 0);
		const char *got = sip_dialog_uas_fault(&m);
		CHECK(cases[i].want ? got && strcmp(got, cases[i].want) == 0 : got == NULL);
		struct sip_dialog *d = NULL;
		CHECK((sip_dialog_new_uas(&d, &m, "t") == 0) == (cases[i].want == NULL));
		sip_dialog_free(d);
	}
	return 0;
}
