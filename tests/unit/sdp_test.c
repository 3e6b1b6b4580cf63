/* sdp_test.c - decoding SDP bodies with lib/sdp.c; nothing is allocated. */
#include "test.h"

static int parse(struct sip_sdp *sdp, const char *text)
{
	return sip_sdp_parse(sdp, sip_str_from(text));
}

TEST(sdp_offer)
{
	static const char offer[] = "v=0\r\n"
				    "o=erin 2890844526 2890844527 IN IP4 203.0.113.20\r\n"
				    "s=call\r\n"
				    "c=IN IP4 203.0.113.20\r\n"
				    "t=0 0\r\n"
				    "m=audio 49172 RTP/AVP 0 8 101\r\n"
				    "a=rtpmap:0 PCMU/8000\r\n"
				    "a=rtpmap:8 PCMA/8000\r\n"
				    "a=rtpmap:101 telephone-event/8000\r\n"
				    "a=fmtp:101 0-16\r\n"
				    "a=ptime:20\r\n"
				    "a=recvonly\r\n";
	struct sip_sdp sdp;
	long before = test_heap_allocs();
	CHECK_INT(parse(&sdp, offer), 0);
	CHECK_INT(test_heap_allocs(), before);
	CHECK_STR(sdp.origin, "erin 2890844526 2890844527 IN IP4 203.0.113.20");
	CHECK_STR(sdp.session, "call");
	CHECK_STR(sdp.conn, "IN IP4 203.0.113.20");
	CHECK_INT(sdp.dir, SIP_SDP_SENDRECV);
	CHECK_INT(sdp.nmedia, 1);
	const struct sip_sdp_media *m = &sdp.media[0];
	CHECK_STR(m->type, "audio");
	CHECK_INT(m->port, 49172);
	CHECK_STR(m->proto, "RTP/AVP");
	CHECK_STR(m->conn, "IN IP4 203.0.113.20");
	CHECK_INT(m->dir, SIP_SDP_RECVONLY);
	CHECK_INT(m->ncodecs, 3);
	CHECK_INT(m->codecs[0].pt, 0);
	CHECK_STR(m->codecs[0].name, "PCMU");
	CHECK_INT(m->codecs[0].rate, 8000);
	CHECK_INT(m->codecs[1].pt, 8);
	CHECK_STR(m->codecs[1].name, "PCMA");
	CHECK_INT(m->codecs[2].pt, 101);
	CHECK_STR(m->codecs[2].name, "telephone-event");
	CHECK_INT(m->codecs[2].rate, 8000);
	CHECK_STR(m->codecs[2].params, "");
	return 0;
}

/* Media without their own c= use the session's; one with its own keeps it. */
TEST(sdp_session_conn_inherited)
{
	static const char body[] = "v=0\r\n"
				   "o=- 1 1 IN IP4 192.0.2.33\r\n"
				   "s= \r\n"
				   "c=IN IP4 192.0.2.33 \r\n"
				   "t=0 0\r\n"
				   "m=audio 7000 RTP/AVP 8\r\n"
				   "m=video 7002 RTP/AVP 96\r\n"
				   "c=IN IP4 192.0.2.34\r\n"
				   "a=rtpmap:96 H264/90000\r\n"
				   "m=audio 0 RTP/SAVP 0\r\n";
	struct sip_sdp sdp;
	CHECK_INT(parse(&sdp, body), 0);
	CHECK_STR(sdp.conn, "IN IP4 192.0.2.33");
	CHECK_STR(sdp.session, " ");
	CHECK_INT(sdp.nmedia, 3);
	CHECK_STR(sdp.media[0].conn, "IN IP4 192.0.2.33");
	CHECK_STR(sdp.media[1].conn, "IN IP4 192.0.2.34");
	CHECK_STR(sdp.media[1].type, "video");
	CHECK_STR(sdp.media[1].codecs[0].name, "H264");
	CHECK_INT(sdp.media[1].codecs[0].rate, 90000);
	CHECK_STR(sdp.media[2].conn, "IN IP4 192.0.2.33");
	CHECK_INT(sdp.media[2].port, 0);
	CHECK_STR(sdp.media[2].proto, "RTP/SAVP");
	return 0;
}

/* RFC 3551's static payload types are named without a=rtpmap. */
TEST(sdp_static_payload_names)
{
	static const char body[] = "v=0\r\n"
				   "c=IN IP4 192.0.2.5\r\n"
				   "m=audio 4000 RTP/AVP 0 3 4 8 9 18 13 10 96\r\n";
	static const struct {
		unsigned pt;
		const char *name;
		unsigned rate;
		const char *params;
	} want[] = {
		{0, "PCMU", 8000, ""}, {3, "GSM", 8000, ""},    {4, "G723", 8000, ""},
		{8, "PCMA", 8000, ""}, {9, "G722", 8000, ""},   {18, "G729", 8000, ""},
		{13, "CN", 8000, ""},  {10, "L16", 44100, "2"}, {96, "", 0, ""},
	};
	struct sip_sdp sdp;
	CHECK_INT(parse(&sdp, body), 0);
	CHECK_INT(sdp.nmedia, 1);
	CHECK_INT(sdp.media[0].ncodecs, 9);
	for (unsigned i = 0; i < 9; i++) {
		const struct sip_sdp_codec *c = &sdp.media[0].codecs[i];
		CHECK_INT(c->pt, want[i].pt);
		CHECK_STR(c->name, want[i].name);
		CHECK_INT(c->rate, want[i].rate);
		CHECK_STR(c->params, want[i].params);
	}
	return 0;
}

/* A session-level direction is every medium's default; a medium may override. */
TEST(sdp_direction)
{
	static const char body[] = "v=0\n"
				   "c=IN IP4 192.0.2.5\n"
				   "a=sendonly\n"
				   "m=audio 4000 RTP/AVP 0\n"
				   "m=audio 4002 RTP/AVP 0\n"
				   "a=inactive\n"
				   "m=audio 4004 RTP/AVP 0\n"
				   "a=sendrecv\n";
	struct sip_sdp sdp;
	CHECK_INT(parse(&sdp, body), 0);
	CHECK_INT(sdp.dir, SIP_SDP_SENDONLY);
	CHECK_INT(sdp.nmedia, 3);
	CHECK_INT(sdp.media[0].dir, SIP_SDP_SENDONLY);
	CHECK_INT(sdp.media[1].dir, SIP_SDP_INACTIVE);
	CHECK_INT(sdp.media[2].dir, SIP_SDP_SENDRECV);
	CHECK(strcmp(sip_sdp_dir_name(SIP_SDP_SENDRECV), "sendrecv") == 0);
	CHECK(strcmp(sip_sdp_dir_name(SIP_SDP_SENDONLY), "sendonly") == 0);
	CHECK(strcmp(sip_sdp_dir_name(SIP_SDP_RECVONLY), "recvonly") == 0);
	CHECK(strcmp(sip_sdp_dir_name(SIP_SDP_INACTIVE), "inactive") == 0);
	CHECK(sip_sdp_dir_name((enum sip_sdp_dir)42) != NULL);
	return 0;
}

/* Bare LF line ends, no final one, and an IPv6 connection. */
TEST(sdp_ipv6_and_line_ends)
{
	static const char body[] = "v=0\n"
				   "o=- 7 7 IN IP6 2001:db8::1\n"
				   "s=-\r\n"
				   "c=IN IP6 2001:db8::1\n"
				   "m=audio 5004/2 RTP/AVP 111\n"
				   "a=rtpmap:111 opus/48000/2";
	struct sip_sdp sdp;
	CHECK_INT(parse(&sdp, body), 0);
	CHECK_STR(sdp.conn, "IN IP6 2001:db8::1");
	CHECK_STR(sdp.media[0].conn, "IN IP6 2001:db8::1");
	CHECK_INT(sdp.media[0].port, 5004);
	CHECK_STR(sdp.media[0].codecs[0].name, "opus");
	CHECK_INT(sdp.media[0].codecs[0].rate, 48000);
	CHECK_STR(sdp.media[0].codecs[0].params, "2");
	return 0;
}

/* More formats or media than the struct holds: the first ones are kept. */
TEST(sdp_limits)
{
	static const char body[] =
		"v=0\r\n"
		"c=IN IP4 192.0.2.5\r\n"
		"m=audio 4000 RTP/AVP 96 97 98 99 100 101 102 103 104 105 106 107 "
		"108 109 110 111 112 113 114 115\r\n"
		"a=rtpmap:111 opus/48000/2\r\n"
		"a=rtpmap:112 speex/16000\r\n"
		"m=audio 1 RTP/AVP 0\r\nm=audio 2 RTP/AVP 0\r\nm=audio 3 RTP/AVP 0\r\n"
		"m=audio 4 RTP/AVP 0\r\nm=audio 5 RTP/AVP 0\r\nm=audio 6 RTP/AVP 0\r\n"
		"m=audio 7 RTP/AVP 0\r\n"
		"a=sendonly\r\n"
		"m=audio 8 RTP/AVP 0\r\n"
		"c=IN IP4 192.0.2.99\r\n"
		"a=inactive\r\n"
		"m=audio 9 RTP/AVP 0\r\n";
	struct sip_sdp sdp;
	long before = test_heap_allocs();
	CHECK_INT(parse(&sdp, body), 0);
	CHECK_INT(test_heap_allocs(), before);
	CHECK_INT(sdp.media[0].ncodecs, SIP_SDP_MAX_CODECS);
	CHECK_INT(sdp.media[0].codecs[0].pt, 96);
	CHECK_INT(sdp.media[0].codecs[15].pt, 111);
	CHECK_STR(sdp.media[0].codecs[15].name, "opus");
	CHECK_INT(sdp.nmedia, SIP_SDP_MAX_MEDIA);
	/* what follows a dropped medium does not land on the last kept one */
	const struct sip_sdp_media *last = &sdp.media[SIP_SDP_MAX_MEDIA - 1];
	CHECK_INT(last->port, 7);
	CHECK_INT(last->dir, SIP_SDP_SENDONLY);
	CHECK_STR(last->conn, "IN IP4 192.0.2.5");
	return 0;
}

/* Formats that are no payload type number, and rtpmaps that name none. */
TEST(sdp_odd_formats)
{
	static const char body[] = "v=0\r\n"
				   "m=image 6000 udptl t38\r\n"
				   "a=rtpmap:0 PCMU/8000\r\n"
				   "m=audio 6002 RTP/AVP 0\r\n"
				   "a=rtpmap:9 G722/8000\r\n"
				   "a=rtpmap:x y/1\r\n"
				   "a=rtpmap:0 broken/rate\r\n"
				   "a=rtpmap\r\n";
	struct sip_sdp sdp;
	CHECK_INT(parse(&sdp, body), 0);
	CHECK_INT(sdp.nmedia, 2);
	CHECK_INT(sdp.media[0].ncodecs, 0);
	CHECK_STR(sdp.media[0].proto, "udptl");
	CHECK_INT(sdp.media[1].ncodecs, 1);
	CHECK_STR(sdp.media[1].codecs[0].name, "PCMU");
	return 0;
}

TEST(sdp_garbage)
{
	struct sip_sdp sdp;
	CHECK_INT(parse(&sdp, "v=0\r\nhello world\r\n"), SIP_ESYNTAX);
	CHECK_INT(parse(&sdp, "v=0\r\n=x\r\n"), SIP_ESYNTAX);
	CHECK_INT(parse(&sdp, "v=0\r\n1=x\r\n"), SIP_ESYNTAX);
	CHECK_INT(parse(&sdp, "v=0\r\nm\r\n"), SIP_ESYNTAX);
	CHECK_INT(parse(&sdp, "v=0\r\nm=audio 70000 RTP/AVP 0\r\n"), SIP_ERANGE);
	CHECK_INT(parse(&sdp, "v=0\r\nm=audio port RTP/AVP 0\r\n"), SIP_ESYNTAX);
	CHECK_INT(parse(&sdp, "v=0\r\nm=audio 4000\r\n"), SIP_ESYNTAX);
	CHECK_INT(parse(&sdp, ""), SIP_EEMPTY);
	CHECK_INT(parse(&sdp, "\r\n"), SIP_EEMPTY);
	CHECK_INT(sip_sdp_parse(&sdp, (struct sip_str){NULL, 0}), SIP_EEMPTY);
	/* a blank last line is tolerated */
	CHECK_INT(parse(&sdp, "v=0\r\ns=x\r\n\r\n"), 0);
	CHECK_STR(sdp.session, "x");
	return 0;
}

/* ---- building offers and answers ---- */

/* The whole buffer is want; when not, both are shown. */
static bool body_is(const struct sip_buf *b, const char *want)
{
	return test_text_is(b->p, b->len, want);
}

/* The buffer holds s somewhere; when not, it is shown. */
static bool body_has(const struct sip_buf *b, const char *s)
{
	if (b->p && memmem(b->p, b->len, s, strlen(s)))
		return true;
	printf("got:\n%.*s\nwanted in it:\n%s\n", (int)b->len, b->p ? b->p : "", s);
	return false;
}

static struct sip_sdp_spec spec4(void)
{
	return (struct sip_sdp_spec){
		.addr = "192.0.2.10", .port = 40000, .session_id = 4242, .version = 1};
}

TEST(sdp_build_offer_default)
{
	struct sip_sdp_spec s = spec4();
	struct sip_buf b;
	sip_buf_init(&b, 0);
	CHECK_INT(sip_sdp_build_offer(&b, &s), 0);
	CHECK(body_is(&b, "v=0\r\n"
	                  "o=- 4242 1 IN IP4 192.0.2.10\r\n"
	                  "s=sip\r\n"
	                  "c=IN IP4 192.0.2.10\r\n"
	                  "t=0 0\r\n"
	                  "m=audio 40000 RTP/AVP 0 8 101\r\n"
	                  "a=rtpmap:0 PCMU/8000\r\n"
	                  "a=rtpmap:8 PCMA/8000\r\n"
	                  "a=rtpmap:101 telephone-event/8000\r\n"
	                  "a=fmtp:101 0-16\r\n"
	                  "a=ptime:20\r\n"
	                  "a=sendrecv\r\n"));
	struct sip_sdp sdp;
	CHECK_INT(sip_sdp_parse(&sdp, (struct sip_str){b.p, b.len}), 0);
	CHECK_STR(sdp.origin, "- 4242 1 IN IP4 192.0.2.10");
	CHECK_STR(sdp.conn, "IN IP4 192.0.2.10");
	CHECK_INT(sdp.nmedia, 1);
	CHECK_INT(sdp.media[0].port, 40000);
	CHECK_STR(sdp.media[0].fmts, "0 8 101");
	CHECK_INT(sdp.media[0].ncodecs, 3);
	CHECK_STR(sdp.media[0].codecs[2].name, "telephone-event");
	CHECK_INT(sdp.media[0].dir, SIP_SDP_SENDRECV);

	/* a re-offer: the same session, its version bumped */
	s.version = 2;
	s.dir = SIP_SDP_SENDONLY;
	sip_buf_reset(&b);
	CHECK_INT(sip_sdp_build_offer(&b, &s), 0);
	CHECK_INT(sip_sdp_parse(&sdp, (struct sip_str){b.p, b.len}), 0);
	CHECK_STR(sdp.origin, "- 4242 2 IN IP4 192.0.2.10");
	CHECK_INT(sdp.media[0].dir, SIP_SDP_SENDONLY);

	/* without a session id, one from the clock: digits, not 0 */
	s.session_id = 0;
	sip_buf_reset(&b);
	CHECK_INT(sip_sdp_build_offer(&b, &s), 0);
	CHECK_INT(sip_sdp_parse(&sdp, (struct sip_str){b.p, b.len}), 0);
	CHECK(sdp.origin.len > 10 && sdp.origin.p[2] >= '1' && sdp.origin.p[2] <= '9');
	sip_buf_reset(&b);
	return 0;
}

/* IPv6 (the brackets a URI host keeps are dropped), codecs by name in any
 * case and by number, fmtp lines, channels, ptime and direction. */
TEST(sdp_build_offer_ipv6)
{
	struct sip_sdp_spec s = {.addr = "[2001:db8::10]",
	                         .port = 5004,
	                         .codecs = " opus, g729 ,97,PCMU,101",
	                         .dir = SIP_SDP_RECVONLY,
	                         .session_id = 7,
	                         .version = 7,
	                         .ptime = 30};
	struct sip_buf b;
	sip_buf_init(&b, 0);
	CHECK_INT(sip_sdp_build_offer(&b, &s), 0);
	CHECK(body_is(&b, "v=0\r\n"
	                  "o=- 7 7 IN IP6 2001:db8::10\r\n"
	                  "s=sip\r\n"
	                  "c=IN IP6 2001:db8::10\r\n"
	                  "t=0 0\r\n"
	                  "m=audio 5004 RTP/AVP 111 18 97 0 101\r\n"
	                  "a=rtpmap:111 opus/48000/2\r\n"
	                  "a=rtpmap:18 G729/8000\r\n"
	                  "a=fmtp:18 annexb=no\r\n"
	                  "a=rtpmap:97 iLBC/8000\r\n"
	                  "a=fmtp:97 mode=30\r\n"
	                  "a=rtpmap:0 PCMU/8000\r\n"
	                  "a=rtpmap:101 telephone-event/8000\r\n"
	                  "a=fmtp:101 0-16\r\n"
	                  "a=ptime:30\r\n"
	                  "a=recvonly\r\n"));
	struct sip_sdp sdp;
	CHECK_INT(sip_sdp_parse(&sdp, (struct sip_str){b.p, b.len}), 0);
	CHECK_STR(sdp.conn, "IN IP6 2001:db8::10");
	CHECK_INT(sdp.media[0].ncodecs, 5);
	CHECK_STR(sdp.media[0].codecs[0].name, "opus");
	CHECK_INT(sdp.media[0].codecs[0].rate, 48000);
	CHECK_STR(sdp.media[0].codecs[0].params, "2");
	CHECK_INT(sdp.media[0].dir, SIP_SDP_RECVONLY);
	sip_buf_reset(&b);

	s.addr = "::1";
	CHECK_INT(sip_sdp_build_offer(&b, &s), 0);
	CHECK(body_has(&b, "c=IN IP6 ::1\r\n"));
	sip_buf_reset(&b);
	return 0;
}

/* Every codec the builder knows, offered at once: each payload number
 * once, and each name read back as written. */
TEST(sdp_build_offer_all_codecs)
{
	static const char *const names[] = {"PCMU", "GSM",   "G723",   "PCMA",
	                                    "G722", "CN",    "G729",   "AMR",
	                                    "iLBC", "speex", "AMR-WB", "telephone-event",
	                                    "opus"};
	char list[256] = "";
	size_t len = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? "," : "",
		                        names[i]);
	struct sip_sdp_spec s = spec4();
	s.codecs = list;
	struct sip_buf b;
	sip_buf_init(&b, 0);
	CHECK_INT(sip_sdp_build_offer(&b, &s), 0);
	struct sip_sdp sdp;
	CHECK_INT(sip_sdp_parse(&sdp, (struct sip_str){b.p, b.len}), 0);
	const struct sip_sdp_media *m = &sdp.media[0];
	CHECK_INT(m->ncodecs, sizeof names / sizeof names[0]);
	for (unsigned i = 0; i < m->ncodecs; i++) {
		CHECK_STR(m->codecs[i].name, names[i]);
		for (unsigned j = 0; j < i; j++)
			CHECK(m->codecs[i].pt != m->codecs[j].pt);
		CHECK(m->codecs[i].pt <= 127);
	}
	CHECK_INT(m->codecs[10].rate, 16000);
	sip_buf_reset(&b);
	return 0;
}

TEST(sdp_build_offer_errors)
{
	struct sip_sdp_spec s = spec4();
	struct sip_buf b;
	sip_buf_init(&b, 0);
	s.addr = "host.example.com";
	CHECK_INT(sip_sdp_build_offer(&b, &s), SIP_EHOST);
	s.addr = "[192.0.2.1]";
	CHECK_INT(sip_sdp_build_offer(&b, &s), SIP_EHOST);
	s.addr = "";
	CHECK_INT(sip_sdp_build_offer(&b, &s), SIP_EHOST);
	s.addr = NULL;
	CHECK_INT(sip_sdp_build_offer(&b, &s), SIP_EINVAL);
	CHECK_INT(sip_sdp_build_offer(&b, NULL), SIP_EINVAL);
	s = spec4();
	s.dir = (enum sip_sdp_dir)9;
	CHECK_INT(sip_sdp_build_offer(&b, &s), SIP_EINVAL);
	s = spec4();
	s.codecs = "PCMU,G.711";
	CHECK_INT(sip_sdp_build_offer(&b, &s), SIP_EINVAL);
	s.codecs = "";
	CHECK_INT(sip_sdp_build_offer(&b, &s), SIP_EEMPTY);
	CHECK_INT(b.len, 0);
	/* a buffer that is already failing stays failed */
	sip_buf_init(&b, 16);
	s = spec4();
	CHECK_INT(sip_sdp_build_offer(&b, &s), SIP_ETOOBIG);
	CHECK_INT(sip_sdp_build_offer(&b, &s), SIP_ETOOBIG);
	sip_buf_reset(&b);
	return 0;
}

TEST(sdp_codecs_check)
{
	struct sip_str bad = SIP_STR("untouched");
	CHECK_INT(sip_sdp_codecs_check(NULL, &bad), 0);
	CHECK_INT(sip_sdp_codecs_check("PCMU, pcma ,101,Telephone-Event,AMR-WB,pcmu", &bad), 0);
	CHECK_STR(bad, "untouched");
	CHECK_INT(sip_sdp_codecs_check("PCMU,G.711,PCMA", &bad), SIP_EINVAL);
	CHECK_STR(bad, "G.711");
	CHECK_INT(sip_sdp_codecs_check("PCMU, 126", &bad), SIP_EINVAL);
	CHECK_STR(bad, "126");
	CHECK_INT(sip_sdp_codecs_check("opus/48000", &bad), SIP_EINVAL);
	CHECK_STR(bad, "opus/48000");
	CHECK_INT(sip_sdp_codecs_check("PCMU,,PCMA", &bad), SIP_EEMPTY);
	CHECK_INT(bad.len, 0);
	CHECK_INT(sip_sdp_codecs_check("PCMU,", &bad), SIP_EEMPTY);
	CHECK_INT(sip_sdp_codecs_check(" ", &bad), SIP_EEMPTY);
	CHECK_INT(sip_sdp_codecs_check("", NULL), SIP_EEMPTY);
	CHECK_INT(sip_sdp_codecs_check("nope", NULL), SIP_EINVAL);
	return 0;
}

/* An offer from a softphone: G729 first, telephone-event at 96, a
 * dynamic opus at 109; silence suppression CN that we do not want. */
static const char phone_offer[] = "v=0\r\n"
				  "o=alice 53655765 2353687637 IN IP4 198.51.100.7\r\n"
				  "s=-\r\n"
				  "c=IN IP4 198.51.100.7\r\n"
				  "t=0 0\r\n"
				  "m=audio 30000 RTP/AVP 18 8 109 0 13 96\r\n"
				  "a=rtpmap:109 OPUS/48000/2\r\n"
				  "a=rtpmap:96 telephone-event/8000\r\n"
				  "a=fmtp:96 0-15\r\n"
				  "a=sendrecv\r\n";

static int answer(struct sip_buf *b, const char *offer, const struct sip_sdp_spec *s)
{
	struct sip_sdp sdp;
	int err = sip_sdp_parse(&sdp, sip_str_from(offer));
	return err ? err : sip_sdp_build_answer(b, &sdp, s);
}

/* The codecs both have, in the offer's order and with its numbers. */
TEST(sdp_build_answer_codecs)
{
	struct sip_sdp_spec s = spec4();
	s.port = 40002;
	struct sip_buf b;
	sip_buf_init(&b, 0);
	long live = test_heap_live();
	CHECK_INT(answer(&b, phone_offer, &s), 0);
	CHECK(body_is(&b, "v=0\r\n"
	                  "o=- 4242 1 IN IP4 192.0.2.10\r\n"
	                  "s=sip\r\n"
	                  "c=IN IP4 192.0.2.10\r\n"
	                  "t=0 0\r\n"
	                  "m=audio 40002 RTP/AVP 8 0 96\r\n"
	                  "a=rtpmap:8 PCMA/8000\r\n"
	                  "a=rtpmap:0 PCMU/8000\r\n"
	                  "a=rtpmap:96 telephone-event/8000\r\n"
	                  "a=fmtp:96 0-16\r\n"
	                  "a=ptime:20\r\n"
	                  "a=sendrecv\r\n"));
	sip_buf_reset(&b);
	CHECK_INT(test_heap_live(), live);

	/* opus matched by name (any case), rate and channels, at the offer's 109 */
	s.codecs = "opus,g729";
	CHECK_INT(answer(&b, phone_offer, &s), 0);
	CHECK(body_has(&b, "m=audio 40002 RTP/AVP 18 109\r\n"
	                   "a=rtpmap:18 G729/8000\r\n"
	                   "a=fmtp:18 annexb=no\r\n"
	                   "a=rtpmap:109 opus/48000/2\r\n"));
	sip_buf_reset(&b);

	/* telephone-event only when both want it */
	s.codecs = "PCMU";
	CHECK_INT(answer(&b, phone_offer, &s), 0);
	CHECK(body_has(&b, "m=audio 40002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime"));
	sip_buf_reset(&b);

	/* a codec of the same name at another rate, or mono opus, is another codec */
	static const char odd[] = "v=0\r\n"
				  "c=IN IP4 198.51.100.7\r\n"
				  "m=audio 30000 RTP/AVP 97 98 99 8\r\n"
				  "a=rtpmap:97 speex/16000\r\n"
				  "a=rtpmap:98 opus/48000\r\n"
				  "a=rtpmap:99 speex/8000\r\n";
	s.codecs = "speex,opus,PCMA";
	CHECK_INT(answer(&b, odd, &s), 0);
	CHECK(body_has(&b, "m=audio 40002 RTP/AVP 99 8\r\n"));
	sip_buf_reset(&b);
	return 0;
}

TEST(sdp_build_answer_direction)
{
	static const struct {
		const char *offer_dir;
		enum sip_sdp_dir ours;
		const char *want;
	} cases[] = {
		{"sendrecv", SIP_SDP_SENDRECV, "a=sendrecv"},
		{"sendonly", SIP_SDP_SENDRECV, "a=recvonly"},
		{"recvonly", SIP_SDP_SENDRECV, "a=sendonly"},
		{"inactive", SIP_SDP_SENDRECV, "a=inactive"},
		{"sendrecv", SIP_SDP_SENDONLY, "a=sendonly"},
		{"sendrecv", SIP_SDP_RECVONLY, "a=recvonly"},
		{"sendonly", SIP_SDP_SENDONLY, "a=inactive"},
		{"recvonly", SIP_SDP_RECVONLY, "a=inactive"},
		{"sendrecv", SIP_SDP_INACTIVE, "a=inactive"},
		{NULL, SIP_SDP_SENDRECV, "a=sendrecv"}, /* none written is sendrecv */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char offer[256];
		snprintf(offer, sizeof offer,
		         "v=0\r\nc=IN IP4 198.51.100.7\r\nm=audio 30000 RTP/AVP 0\r\n%s%s%s",
		         cases[i].offer_dir ? "a=" : "",
		         cases[i].offer_dir ? cases[i].offer_dir : "",
		         cases[i].offer_dir ? "\r\n" : "");
		struct sip_sdp_spec s = spec4();
		s.dir = cases[i].ours;
		struct sip_buf b;
		sip_buf_init(&b, 0);
		CHECK_INT(answer(&b, offer, &s), 0);
		char want[32];
		snprintf(want, sizeof want, "\r\n%s\r\n", cases[i].want);
		if (!body_has(&b, want)) {
			printf("case %zu\n", i);
			CHECK(0);
		}
		sip_buf_reset(&b);
	}
	/* a session-level direction counts for the stream */
	struct sip_sdp_spec s = spec4();
	struct sip_buf b;
	sip_buf_init(&b, 0);
	CHECK_INT(answer(&b,
	                 "v=0\r\nc=IN IP4 198.51.100.7\r\na=sendonly\r\nm=audio 1 RTP/AVP 0\r\n",
	                 &s),
	          0);
	CHECK(body_has(&b, "\r\na=recvonly\r\n"));
	sip_buf_reset(&b);
	return 0;
}

TEST(sdp_build_answer_no_common_codec)
{
	struct sip_sdp_spec s = spec4();
	struct sip_buf b;
	sip_buf_init(&b, 0);
	s.codecs = "GSM,G722";
	CHECK_INT(answer(&b, phone_offer, &s), SIP_ENOTFOUND);
	/* events and comfort noise alone carry no voice */
	s.codecs = "telephone-event,CN,speex";
	CHECK_INT(answer(&b, phone_offer, &s), SIP_ENOTFOUND);
	/* no audio stream we can answer: video only, SRTP, or a port of 0 */
	s.codecs = NULL;
	CHECK_INT(answer(&b, "v=0\r\nm=video 5000 RTP/AVP 96\r\n", &s), SIP_ENOTFOUND);
	CHECK_INT(answer(&b, "v=0\r\nm=audio 5000 RTP/SAVP 0\r\n", &s), SIP_ENOTFOUND);
	CHECK_INT(answer(&b, "v=0\r\nm=audio 0 RTP/AVP 0\r\n", &s), SIP_ENOTFOUND);
	/* a dynamic number without a=rtpmap names nothing */
	CHECK_INT(answer(&b, "v=0\r\nm=audio 5000 RTP/AVP 101\r\n", &s), SIP_ENOTFOUND);
	CHECK_INT(b.len, 0);
	s.codecs = "PCMU,bogus";
	CHECK_INT(answer(&b, phone_offer, &s), SIP_EINVAL);
	s.codecs = NULL;
	CHECK_INT(sip_sdp_build_answer(&b, NULL, &s), SIP_EINVAL);
	CHECK_INT(b.len, 0);
	sip_buf_reset(&b);
	return 0;
}

/* Every stream keeps its place: the first audio one is answered, the
 * others (video, T.38, a second audio) are rejected with port 0. */
TEST(sdp_build_answer_rejects_other_streams)
{
	static const char offer[] = "v=0\r\n"
				    "o=- 1 1 IN IP6 2001:db8::7\r\n"
				    "s=-\r\n"
				    "c=IN IP6 2001:db8::7\r\n"
				    "t=0 0\r\n"
				    "m=audio 0 RTP/AVP 0\r\n"
				    "m=video 30002 RTP/AVP 96 97\r\n"
				    "a=rtpmap:96 H264/90000\r\n"
				    "m=audio 30000 RTP/AVP 0 101\r\n"
				    "a=rtpmap:101 telephone-event/8000\r\n"
				    "a=recvonly\r\n"
				    "m=image 30004 udptl t38\r\n"
				    "m=audio 30006 RTP/AVP 8\r\n";
	struct sip_sdp_spec s = {
		.addr = "2001:db8::10", .port = 40000, .session_id = 9, .version = 9};
	struct sip_buf b;
	sip_buf_init(&b, 0);
	CHECK_INT(answer(&b, offer, &s), 0);
	CHECK(body_is(&b, "v=0\r\n"
	                  "o=- 9 9 IN IP6 2001:db8::10\r\n"
	                  "s=sip\r\n"
	                  "c=IN IP6 2001:db8::10\r\n"
	                  "t=0 0\r\n"
	                  "m=audio 0 RTP/AVP 0\r\n"
	                  "m=video 0 RTP/AVP 96 97\r\n"
	                  "m=audio 40000 RTP/AVP 0 101\r\n"
	                  "a=rtpmap:0 PCMU/8000\r\n"
	                  "a=rtpmap:101 telephone-event/8000\r\n"
	                  "a=fmtp:101 0-16\r\n"
	                  "a=ptime:20\r\n"
	                  "a=sendonly\r\n"
	                  "m=image 0 udptl t38\r\n"
	                  "m=audio 0 RTP/AVP 8\r\n"));
	struct sip_sdp sdp;
	CHECK_INT(sip_sdp_parse(&sdp, (struct sip_str){b.p, b.len}), 0);
	CHECK_INT(sdp.nmedia, 5);
	CHECK_INT(sdp.media[2].port, 40000);
	CHECK_INT(sdp.media[3].port, 0);
	sip_buf_reset(&b);
	return 0;
}

/* ---- an answer checked against its offer (RFC 3264 §6) ---- */

#define SDP_HEAD "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"

static size_t answer_check(const char *offer_text, const char *answer_text, struct sip_diag *d,
                           size_t max)
{
	struct sip_sdp offer, answer;
	if (parse(&offer, offer_text) != 0 || parse(&answer, answer_text) != 0)
		return 99;
	return sip_sdp_answer_check(&offer, &answer, d, max);
}

TEST(sdp_answer_check)
{
	/* The offer the issue made: PCMA, G722 and opus (dynamic, 111). */
	static const char offer[] = SDP_HEAD "m=audio 4000 RTP/AVP 8 9 111 101\r\n"
					     "a=rtpmap:111 opus/48000/2\r\n"
					     "a=rtpmap:101 telephone-event/8000\r\n";
	struct sip_diag d[4];
	long before = test_heap_allocs();
	/* PCMU was not offered. */
	CHECK_INT(answer_check(offer, SDP_HEAD "m=audio 6000 RTP/AVP 0\r\n", d, 4), 1);
	CHECK_INT(test_heap_allocs(), before);
	CHECK_INT(d[0].severity, SIP_SEV_WARNING);
	CHECK(strcmp(d[0].text, "the answer's audio stream picks PCMU/8000, which the offer did "
	                        "not have (RFC 3264 §6.1)") == 0);
	/* A dynamic type matches by name and rate, whatever its number. */
	CHECK_INT(answer_check(offer,
	                       SDP_HEAD "m=audio 6000 RTP/AVP 96\r\na=rtpmap:96 OPUS/48000/2\r\n",
	                       d, 4),
	          0);
	/* ... and not by number alone. */
	CHECK_INT(answer_check(offer,
	                       SDP_HEAD "m=audio 6000 RTP/AVP 111\r\na=rtpmap:111 speex/8000\r\n",
	                       d, 4),
	          1);
	CHECK(strstr(d[0].text, "picks speex/8000,") != NULL);
	/* A static one by its number. */
	CHECK_INT(answer_check(offer, SDP_HEAD "m=audio 6000 RTP/AVP 9\r\n", d, 4), 0);
	/* More formats than offered is legal for unicast, with one in common. */
	CHECK_INT(answer_check(offer, SDP_HEAD "m=audio 6000 RTP/AVP 0 8 101\r\n", d, 4), 0);
	/* DTMF alone in common makes no call. */
	CHECK_INT(answer_check(offer,
	                       SDP_HEAD
	                       "m=audio 6000 RTP/AVP 101\r\na=rtpmap:101 telephone-event/8000\r\n",
	                       d, 4),
	          1);
	CHECK(strstr(d[0].text, "has only telephone-event/8000, no voice codec") != NULL);
	/* A rejected stream's formats mean nothing. */
	CHECK_INT(answer_check(offer, SDP_HEAD "m=audio 0 RTP/AVP 0\r\n", d, 4), 0);
	/* A dynamic type without rtpmap is known by its number alone. */
	CHECK_INT(answer_check(offer, SDP_HEAD "m=audio 6000 RTP/AVP 111\r\n", d, 4), 0);
	CHECK_INT(answer_check(offer, SDP_HEAD "m=audio 6000 RTP/AVP 120\r\n", d, 4), 1);
	CHECK(strstr(d[0].text, "picks payload type 120,") != NULL);
	return 0;
}

TEST(sdp_answer_check_streams)
{
	static const char offer[] =
		SDP_HEAD "m=audio 4000 RTP/AVP 0\r\nm=video 4002 RTP/AVP 31\r\n";
	struct sip_diag d[4];
	/* One m= line per offered stream, in order. */
	CHECK_INT(answer_check(offer, SDP_HEAD "m=audio 6000 RTP/AVP 0\r\n", d, 4), 1);
	CHECK(strstr(d[0].text, "the answer has 1 m= lines, the offer 2") != NULL);
	CHECK_INT(answer_check(offer,
	                       SDP_HEAD "m=video 6000 RTP/AVP 31\r\nm=audio 6002 RTP/AVP 0\r\n", d,
	                       4),
	          2);
	CHECK(strstr(d[0].text, "m= line 1 is video, the offer's audio") != NULL);
	/* Only max are filled; all are counted. */
	CHECK_INT(answer_check(offer,
	                       SDP_HEAD "m=video 6000 RTP/AVP 31\r\nm=audio 6002 RTP/AVP 0\r\n", d,
	                       1),
	          2);
	CHECK_INT(answer_check(offer, SDP_HEAD "m=audio 6000 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n",
	                       d, 4),
	          0);
	return 0;
}
