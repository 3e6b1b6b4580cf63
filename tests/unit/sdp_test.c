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
