/* event_test.c - decoding event bodies with lib/event.c and lib/xml.c:
 * bodies as Kamailio, Asterisk and phones send them, their summaries, and
 * malformed, truncated and hostile ones. Nothing is allocated. */
#include "test.h"

static char out[4096];
static size_t outlen;

/* b decoded from text as ctype, and printed in fmt into out. */
static int decode(struct sip_evbody *b, const char *ctype, const char *text,
                  enum sip_print_format fmt)
{
	long before = test_heap_allocs();
	int r = sip_evbody_parse(b, sip_str_from(ctype), sip_str_from(text));
	if (test_heap_allocs() != before)
		return -100;
	if (r)
		return r;
	struct test_memfile mf;
	if (!test_memfile_open(&mf))
		return -101;
	sip_evbody_print(mf.f, b, fmt, "> ");
	outlen = test_memfile_close(&mf, out, sizeof out);
	return 0;
}

static bool is_out(const char *want)
{
	return test_text_is(out, outlen, want);
}

TEST(event_types)
{
	CHECK_INT(sip_evbody_type_of(SIP_STR("message/sipfrag;version=2.0")), SIP_EVBODY_SIPFRAG);
	CHECK_INT(sip_evbody_type_of(SIP_STR("Application/PIDF+XML")), SIP_EVBODY_PIDF);
	CHECK_INT(sip_evbody_type_of(SIP_STR("application/dialog-info+xml")),
	          SIP_EVBODY_DIALOGINFO);
	CHECK_INT(sip_evbody_type_of(SIP_STR("application/simple-message-summary")),
	          SIP_EVBODY_MWI);
	CHECK_INT(sip_evbody_type_of(SIP_STR("application/reginfo+xml")), SIP_EVBODY_REGINFO);
	CHECK_INT(sip_evbody_type_of(SIP_STR("application/sdp")), SIP_EVBODY_NONE);
	CHECK_INT(sip_evbody_type_of(SIP_STR("")), SIP_EVBODY_NONE);
	CHECK(sip_evbody_name(SIP_EVBODY_NONE) == NULL);
	struct sip_evbody b;
	CHECK_INT(sip_evbody_parse(&b, SIP_STR("text/plain"), SIP_STR("hi")), SIP_EINVAL);
	return 0;
}

/* What a REFER's NOTIFYs carry: a status line, or with headers, or a request. */
TEST(event_sipfrag)
{
	struct sip_evbody b;
	const struct sip_sipfrag *f = &b.u.sipfrag;
	CHECK_INT(decode(&b, "message/sipfrag", "SIP/2.0 100 Trying\r\n", SIP_PRINT_PRETTY), 0);
	CHECK_INT(f->status, 100);
	CHECK_STR(f->reason, "Trying");
	CHECK(is_out("> 100 Trying\n"));
	CHECK_INT(decode(&b, "message/sipfrag", "SIP/2.0 486 Busy Here", SIP_PRINT_JSON), 0);
	CHECK(is_out("{\"type\":\"sipfrag\",\"status\":486,\"reason\":\"Busy Here\"}"));
	CHECK_INT(decode(&b, "message/sipfrag",
	                 "SIP/2.0 200 OK\r\nContact: <sip:carol@192.0.2.4>\r\n"
	                 "Call-ID: 7@h\r\n\r\n",
	                 SIP_PRINT_PRETTY),
	          0);
	CHECK_INT(f->status, 200);
	CHECK_STR(f->headers, "Contact: <sip:carol@192.0.2.4>\r\nCall-ID: 7@h");
	CHECK_INT(decode(&b, "message/sipfrag", "SIP/2.0 603\n", SIP_PRINT_PRETTY), 0);
	CHECK_STR(f->reason, "");
	CHECK(is_out("> 603\n"));
	CHECK_INT(decode(&b, "message/sipfrag", "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n",
	                 SIP_PRINT_PRETTY),
	          0);
	CHECK(f->is_request);
	CHECK_STR(f->method, "INVITE");
	CHECK(is_out("> INVITE sip:bob@biloxi.example.com\n"));
	return 0;
}

TEST(event_sipfrag_malformed)
{
	static const char *const bad[] = {
		"SIP/2.0 99 Too Low",
		"SIP/2.0 700 Too High",
		"SIP/2.0 2000 OK",
		"SIP/2.0 20",
		"SIP/2.0 1x0 Trying",
		"hello",
		"INVITE sip:a@b SIP/3.0",
		"INV ITE",
		"SIP/2.0 200 OK\r\nno colon here\r\n",
		"SIP/2.0 200 OK\r\n folded first\r\n",
		/* control characters in the Reason-Phrase */
		"SIP/2.0 200 O\rK\r\n",
		"SIP/2.0 180 Ring\x1b[2Jing",
		"SIP/2.0 486 Busy\x7f",
		"SIP/2.0 603 \x01",
	};
	struct sip_sipfrag f;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_INT(sip_sipfrag_parse(&f, sip_str_from(bad[i])), SIP_ESYNTAX);
	CHECK_INT(sip_sipfrag_parse(&f, SIP_STR("")), SIP_EEMPTY);
	CHECK_INT(sip_sipfrag_parse(&f, SIP_STR("\r\n")), SIP_EEMPTY);
	/* HTAB and UTF-8 are a Reason-Phrase's. */
	CHECK_INT(sip_sipfrag_parse(&f, SIP_STR("SIP/2.0 200 Tout\tva bien, d\xc3\xa9j\xc3\xa0")),
	          0);
	CHECK_STR(f.reason, "Tout\tva bien, d\xc3\xa9j\xc3\xa0");
	return 0;
}

/* Kamailio's presence_xml relays what a phone PUBLISHed: a tuple, and a
 * person with RPID activities and a note. */
static const char kamailio_pidf[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"\n"
	"    xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\"\n"
	"    xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\"\n"
	"    entity=\"sip:bob@example.com\">\n"
	"  <tuple id=\"t8a3b\">\n"
	"    <status><basic>open</basic></status>\n"
	"    <contact priority=\"0.8\">sip:bob@192.0.2.7:5060</contact>\n"
	"  </tuple>\n"
	"  <dm:person id=\"p1\">\n"
	"    <rpid:activities><rpid:on-the-phone/></rpid:activities>\n"
	"    <dm:note>In a meeting &amp; on a call</dm:note>\n"
	"  </dm:person>\n"
	"</presence>\n";

TEST(event_pidf_kamailio)
{
	struct sip_evbody b;
	const struct sip_pidf *p = &b.u.pidf;
	CHECK_INT(decode(&b, "application/pidf+xml", kamailio_pidf, SIP_PRINT_PRETTY), 0);
	CHECK_STR(p->entity, "sip:bob@example.com");
	CHECK_INT(p->basic, SIP_BASIC_OPEN);
	CHECK_INT(p->ntuples, 1);
	CHECK_STR(p->tuples[0].id, "t8a3b");
	CHECK_STR(p->tuples[0].contact, "sip:bob@192.0.2.7:5060");
	CHECK_INT(p->nactivities, 1);
	CHECK_STR(p->activities[0], "on-the-phone");
	CHECK_INT(p->nnotes, 1);
	CHECK_STR(p->notes[0], "In a meeting &amp; on a call");
	CHECK(!p->truncated);
	CHECK(is_out("> sip:bob@example.com: open (on-the-phone) \"In a meeting & on a call\"\n"));
	CHECK_INT(decode(&b, "application/pidf+xml", kamailio_pidf, SIP_PRINT_JSON), 0);
	CHECK(is_out("{\"type\":\"pidf\",\"entity\":\"sip:bob@example.com\",\"basic\":\"open\","
	             "\"tuples\":[{\"id\":\"t8a3b\",\"basic\":\"open\",\"contact\":"
	             "\"sip:bob@192.0.2.7:5060\"}],\"activities\":[\"on-the-phone\"],"
	             "\"notes\":[\"In a meeting & on a call\"],\"truncated\":false}"));
	return 0;
}

/* Asterisk's PIDF for a busy extension: the default namespace prefixes of
 * its templates, activities under the person's status, a tuple note. */
TEST(event_pidf_asterisk)
{
	static const char body[] =
		"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
		"xmlns:pp=\"urn:ietf:params:xml:ns:pidf:person\" "
		"xmlns:es=\"urn:ietf:params:xml:ns:pidf:rpid:status:rpid-status\" "
		"xmlns:ep=\"urn:ietf:params:xml:ns:pidf:rpid:rpid-person\" "
		"entity='sip:6001@pbx.example.com'>"
		"<pp:person><status><ep:activities><ep:busy/></ep:activities></status></pp:person>"
		"<note>On the phone</note>"
		"<tuple id=\"6001\"><contact priority=\"1\">sip:6001@pbx.example.com</contact>"
		"<status><basic>closed</basic></status></tuple></presence>";
	struct sip_evbody b;
	const struct sip_pidf *p = &b.u.pidf;
	CHECK_INT(decode(&b, "application/pidf+xml", body, SIP_PRINT_PRETTY), 0);
	CHECK_INT(p->basic, SIP_BASIC_CLOSED);
	CHECK_STR(p->activities[0], "busy");
	CHECK(is_out("> sip:6001@pbx.example.com: closed (busy) \"On the phone\"\n"));
	return 0;
}

/* Several tuples: open wins; more than fit are dropped and said so; <other>
 * gives its text; character references are decoded only when printed. */
TEST(event_pidf_tuples)
{
	char body[2048];
	int n = snprintf(body, sizeof body,
	                 "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='pres:&#x61;l'>"
	                 "<r:activities xmlns:r='urn:ietf:params:xml:ns:pidf:rpid'>"
	                 "<r:away/><r:other>lunch &#233;</r:other></r:activities>");
	for (int i = 0; i < SIP_PIDF_MAX_TUPLES + 2; i++)
		n += snprintf(body + n, sizeof body - (size_t)n,
		              "<tuple id='t%d'><status><basic>%s</basic></status></tuple>", i,
		              i == 3 ? "open" : "closed");
	snprintf(body + n, sizeof body - (size_t)n, "</presence>");
	struct sip_evbody b;
	const struct sip_pidf *p = &b.u.pidf;
	CHECK_INT(decode(&b, "application/pidf+xml", body, SIP_PRINT_PRETTY), 0);
	CHECK_INT(p->ntuples, SIP_PIDF_MAX_TUPLES);
	CHECK(p->truncated);
	CHECK_INT(p->basic, SIP_BASIC_OPEN);
	CHECK_STR(p->entity, "pres:&#x61;l");
	CHECK(is_out("> pres:al: open (away, lunch \xc3\xa9) [more not shown]\n"));
	return 0;
}

/* A polled presentity with no tuple at all is neither open nor closed; a
 * byte-order mark before the document is no text before its root. */
TEST(event_pidf_empty)
{
	struct sip_evbody b;
	CHECK_INT(decode(&b, "application/pidf+xml",
	                 "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"pres:x@y\"/>",
	                 SIP_PRINT_PRETTY),
	          0);
	CHECK_INT(b.u.pidf.basic, SIP_BASIC_NONE);
	CHECK(is_out("> pres:x@y: unknown\n"));
	CHECK_INT(decode(&b, "application/pidf+xml", "\xef\xbb\xbf<presence entity='pres:x@y'/>",
	                 SIP_PRINT_PRETTY),
	          0);
	return 0;
}

/* Kamailio's presence_dialoginfo for a BLF key: one confirmed call. */
static const char kamailio_dialog[] =
	"<?xml version=\"1.0\"?>\n"
	"<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"3\" "
	"state=\"full\" entity=\"sip:bob@example.com\">\n"
	"  <dialog id=\"a84b4c76e66710\" call-id=\"3848276298220188511@atlanta\" "
	"local-tag=\"1928301774\" remote-tag=\"314159\" direction=\"recipient\">\n"
	"    <state>confirmed</state>\n"
	"    <duration>274</duration>\n"
	"    <local><identity display=\"Bob\">sip:bob@example.com</identity>\n"
	"      <target uri=\"sip:bob@192.0.2.7\"/></local>\n"
	"    <remote><identity display=\"Alice &amp; Co\">sip:alice@atlanta.example.com"
	"</identity>\n"
	"      <target uri=\"sip:alice@pc33.atlanta.example.com\"/></remote>\n"
	"  </dialog>\n"
	"</dialog-info>\n";

TEST(event_dialoginfo)
{
	struct sip_evbody b;
	const struct sip_dialoginfo *d = &b.u.dialoginfo;
	CHECK_INT(decode(&b, "application/dialog-info+xml", kamailio_dialog, SIP_PRINT_PRETTY), 0);
	CHECK_STR(d->entity, "sip:bob@example.com");
	CHECK_STR(d->state, "full");
	CHECK_INT(d->version, 3);
	CHECK_INT(d->ndialogs, 1);
	const struct sip_dialoginfo_dialog *g = &d->dialogs[0];
	CHECK_STR(g->id, "a84b4c76e66710");
	CHECK_STR(g->call_id, "3848276298220188511@atlanta");
	CHECK_STR(g->local_tag, "1928301774");
	CHECK_STR(g->remote_tag, "314159");
	CHECK_STR(g->direction, "recipient");
	CHECK_STR(g->state, "confirmed");
	CHECK_STR(g->remote, "sip:alice@atlanta.example.com");
	CHECK_STR(g->remote_display, "Alice &amp; Co");
	CHECK_STR(g->local, "sip:bob@example.com");
	CHECK(is_out("> sip:bob@example.com: 1 dialog (full, version 3)\n"
	             ">   dialog a84b4c76e66710: confirmed, recipient, remote \"Alice & Co\" "
	             "sip:alice@atlanta.example.com\n"));
	CHECK_INT(decode(&b, "application/dialog-info+xml", kamailio_dialog, SIP_PRINT_JSON), 0);
	CHECK(strstr(out, "\"dialogs\":[{\"id\":\"a84b4c76e66710\",\"call_id\":"
	                  "\"3848276298220188511@atlanta\",\"local_tag\":\"1928301774\","
	                  "\"remote_tag\":\"314159\",\"direction\":\"recipient\",\"state\":"
	                  "\"confirmed\",\"remote\":\"sip:alice@atlanta.example.com\","
	                  "\"remote_display\":\"Alice & Co\",\"local\":\"sip:bob@example.com\"}]"));
	return 0;
}

/* A Polycom-style partial update: an early dialog known by its remote target
 * alone, a terminated one with its event, and an idle list. */
TEST(event_dialoginfo_polycom)
{
	static const char body[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		"<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"12\" "
		"state=\"partial\" entity=\"sip:1002@pbx\">"
		"<dialog id=\"d1\" direction=\"initiator\"><state>early</state>"
		"<remote><target uri=\"sip:1003@pbx\"/></remote></dialog>"
		"<dialog id=\"d2\"><state event=\"rejected\" code=\"486\">terminated</state>"
		"</dialog></dialog-info>";
	struct sip_evbody b;
	CHECK_INT(decode(&b, "application/dialog-info+xml", body, SIP_PRINT_PRETTY), 0);
	CHECK(is_out("> sip:1002@pbx: 2 dialogs (partial, version 12)\n"
	             ">   dialog d1: early, initiator, remote sip:1003@pbx\n"
	             ">   dialog d2: terminated (rejected)\n"));
	CHECK_INT(decode(&b, "application/dialog-info+xml",
	                 "<dialog-info xmlns='urn:ietf:params:xml:ns:dialog-info' version='0' "
	                 "state='full' entity='sip:1002@pbx'/>",
	                 SIP_PRINT_PRETTY),
	          0);
	CHECK(is_out("> sip:1002@pbx: no dialogs (full, version 0)\n"));
	CHECK_INT(decode(&b, "application/dialog-info+xml",
	                 "<dialog-info version='x' state='full'/>", SIP_PRINT_PRETTY),
	          SIP_ESYNTAX);
	return 0;
}

/* Asterisk's voicemail NOTIFY, with urgent counts and an account; the
 * optional message headers after the empty line are left alone. */
TEST(event_mwi)
{
	static const char body[] = "Messages-Waiting: yes\r\n"
				   "Message-Account: sip:*97@pbx.example.com\r\n"
				   "Voice-Message: 2/8 (1/0)\r\n"
				   "Fax-Message: 0/1\r\n"
				   "\r\n"
				   "To: <sip:alice@example.com>\r\n"
				   "Voice-Message: 99/99\r\n";
	struct sip_evbody b;
	const struct sip_mwi *m = &b.u.mwi;
	CHECK_INT(decode(&b, "application/simple-message-summary", body, SIP_PRINT_PRETTY), 0);
	CHECK(m->waiting);
	CHECK_STR(m->account, "sip:*97@pbx.example.com");
	CHECK_INT(m->nclasses, 2);
	CHECK_STR(m->classes[0].name, "Voice-Message");
	CHECK_INT(m->classes[0].new_msgs, 2);
	CHECK_INT(m->classes[0].old_msgs, 8);
	CHECK(m->classes[0].has_urgent);
	CHECK_INT(m->classes[0].new_urgent, 1);
	CHECK(!m->classes[1].has_urgent);
	CHECK(is_out("> messages waiting: yes, Voice-Message 2 new (1 urgent), 8 old (0 urgent); "
	             "Fax-Message 0 new, 1 old; account sip:*97@pbx.example.com\n"));
	CHECK_INT(decode(&b, "application/simple-message-summary", body, SIP_PRINT_JSON), 0);
	CHECK(is_out("{\"type\":\"message-summary\",\"waiting\":true,\"account\":"
	             "\"sip:*97@pbx.example.com\",\"classes\":[{\"class\":\"Voice-Message\","
	             "\"new\":2,\"old\":8,\"new_urgent\":1,\"old_urgent\":0},{\"class\":"
	             "\"Fax-Message\",\"new\":0,\"old\":1}],\"truncated\":false}"));
	CHECK_INT(decode(&b, "application/simple-message-summary", "messages-waiting: no\n",
	                 SIP_PRINT_PRETTY),
	          0);
	CHECK(is_out("> messages waiting: no\n"));
	return 0;
}

TEST(event_mwi_malformed)
{
	static const char *const bad[] = {
		"",
		"Voice-Message: 1/2\r\n",
		"Messages-Waiting: maybe\r\n",
		"Messages-Waiting: yes\r\nno colon\r\n",
		"Messages Waiting: yes\r\n",
	};
	struct sip_mwi m;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_INT(sip_mwi_parse(&m, sip_str_from(bad[i])), SIP_ESYNTAX);
	/* Counts that do not read are not a class; too many classes are cut. */
	char body[1024];
	int n = snprintf(body, sizeof body,
	                 "Messages-Waiting: yes\nVoice-Message: 1/x\n"
	                 "Voice-Message: 99999999999/1\n");
	for (int i = 0; i < SIP_MWI_MAX_CLASSES + 1; i++)
		n += snprintf(body + n, sizeof body - (size_t)n, "X-%d: %d/0\n", i, i);
	CHECK_INT(sip_mwi_parse(&m, sip_str_from(body)), 0);
	CHECK_INT(m.nclasses, SIP_MWI_MAX_CLASSES);
	CHECK(m.truncated);
	CHECK_STR(m.classes[0].name, "X-0");
	return 0;
}

/* Kamailio's presence_reginfo: one AOR with two contacts, one of which has
 * just expired. */
static const char kamailio_reginfo[] =
	"<?xml version=\"1.0\"?>\n"
	"<reginfo xmlns=\"urn:ietf:params:xml:ns:reginfo\" version=\"7\" state=\"full\">\n"
	"  <registration aor=\"sip:alice@example.com\" id=\"a7\" state=\"active\">\n"
	"    <contact id=\"76\" state=\"active\" event=\"registered\" expires=\"3600\" "
	"q=\"0.8\">\n"
	"      <uri>sip:alice@192.0.2.1:5060;transport=udp</uri>\n"
	"      <display-name>Alice's desk</display-name>\n"
	"    </contact>\n"
	"    <contact id=\"77\" state=\"terminated\" event=\"expired\" expires=\"0\">\n"
	"      <uri>sip:alice@198.51.100.4:5080</uri>\n"
	"    </contact>\n"
	"  </registration>\n"
	"</reginfo>\n";

TEST(event_reginfo)
{
	struct sip_evbody b;
	const struct sip_reginfo *r = &b.u.reginfo;
	CHECK_INT(decode(&b, "application/reginfo+xml", kamailio_reginfo, SIP_PRINT_PRETTY), 0);
	CHECK_STR(r->state, "full");
	CHECK_INT(r->version, 7);
	CHECK_INT(r->nregs, 1);
	const struct sip_reginfo_reg *g = &r->regs[0];
	CHECK_STR(g->aor, "sip:alice@example.com");
	CHECK_STR(g->state, "active");
	CHECK_INT(g->ncontacts, 2);
	CHECK_STR(g->contacts[0].uri, "sip:alice@192.0.2.1:5060;transport=udp");
	CHECK_STR(g->contacts[0].display, "Alice's desk");
	CHECK_INT(g->contacts[0].expires, 3600);
	CHECK_STR(g->contacts[1].event, "expired");
	CHECK(is_out("> sip:alice@example.com: active\n"
	             ">   contact sip:alice@192.0.2.1:5060;transport=udp: active (registered, "
	             "expires 3600)\n"
	             ">   contact sip:alice@198.51.100.4:5080: terminated (expired, expires 0)\n"));
	CHECK_INT(decode(&b, "application/reginfo+xml", kamailio_reginfo, SIP_PRINT_JSON), 0);
	CHECK(is_out("{\"type\":\"reginfo\",\"state\":\"full\",\"version\":7,\"registrations\":"
	             "[{\"aor\":\"sip:alice@example.com\",\"id\":\"a7\",\"state\":\"active\","
	             "\"contacts\":[{\"id\":\"76\",\"state\":\"active\",\"event\":\"registered\","
	             "\"uri\":\"sip:alice@192.0.2.1:5060;transport=udp\",\"display\":"
	             "\"Alice's desk\",\"expires\":3600},{\"id\":\"77\",\"state\":\"terminated\","
	             "\"event\":\"expired\",\"uri\":\"sip:alice@198.51.100.4:5080\","
	             "\"expires\":0}]}],\"truncated\":false}"));
	CHECK_INT(decode(&b, "application/reginfo+xml",
	                 "<reginfo version='0' state='full'></reginfo>", SIP_PRINT_PRETTY),
	          0);
	CHECK(is_out("> no registrations (full, version 0)\n"));
	CHECK_INT(decode(&b, "application/reginfo+xml",
	                 "<reginfo version='1' state='full'><registration aor='sip:a@b' "
	                 "state='init'><contact expires='-1'/></registration></reginfo>",
	                 SIP_PRINT_PRETTY),
	          SIP_ESYNTAX);
	return 0;
}

/* Every one of these is refused with an error, never read past its end. */
TEST(event_xml_malformed)
{
	static const char *const bad[] = {
		"",
		"   ",
		"<presence>",                                 /* truncated */
		"<presence><tuple></presence>",               /* crossed */
		"<presence></tuple>",                         /* stray end tag */
		"<presence/><presence/>",                     /* two roots */
		"<presence/>trailing",                        /* text after the root */
		"text<presence/>",                            /* text before it */
		"<presence entity=\"x></presence>",           /* unterminated value */
		"<presence entity=x/>",                       /* unquoted value */
		"<presence entity=\"a<b\"/>",                 /* '<' in a value */
		"<presence a='1'b='2'/>",                     /* no space between */
		"<presence><note>a & b</note></presence>",    /* bare '&' */
		"<presence><note>&nbsp;</note></presence>",   /* an entity XML lacks */
		"<presence><note>&#0;</note></presence>",     /* NUL */
		"<presence><note>&#xD800;</note></presence>", /* a surrogate */
		"<presence><note>&#x110000;</note></presence>",
		"<presence><note>&#99999999999;</note></presence>",
		"<presence><!-- no end </presence>",
		"<?xml version='1.0'",
		"<!DOCTYPE presence [<!ENTITY a 'aaaa'>]><presence>&a;</presence>",
		"<presence><![CDATA[ no end</presence>",
		"<presence><1tuple/></presence>",
		"<presence><a:b:c/></presence>",
		"<presence><:x/></presence>",
		"<presence><x:/></presence>",
		"<presence/",
		"<presence></presence",
		"<tuple/>", /* not the root this type needs */
		"<presence><tuple id='1'><status><basic>maybe</basic></status></tuple></presence>",
	};
	struct sip_pidf p;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int r = sip_pidf_parse(&p, sip_str_from(bad[i]));
		if (r != SIP_ESYNTAX) {
			fprintf(stderr, "  case %zu: %s\n", i, bad[i]);
			CHECK_INT(r, SIP_ESYNTAX);
		}
	}
	/* Each cut of a valid document is refused. */
	size_t len = strlen(kamailio_reginfo);
	struct sip_reginfo r;
	for (size_t cut = 0; cut + 1 < len; cut++) {
		struct sip_str s = {kamailio_reginfo, cut};
		if (sip_reginfo_parse(&r, s) == 0 && cut < len - 1) {
			/* Only the final newline may go. */
			fprintf(stderr, "  cut at %zu parsed\n", cut);
			CHECK(false);
		}
	}
	return 0;
}

/* Nesting is bounded; a comment, CDATA and a processing instruction are
 * read as XML reads them. */
TEST(event_xml_depth)
{
	char body[8192];
	size_t n = 0;
	n += (size_t)snprintf(body, sizeof body, "<presence>");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(body + n, sizeof body - n, "<a>");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(body + n, sizeof body - n, "</a>");
	snprintf(body + n, sizeof body - n, "</presence>");
	struct sip_pidf p;
	CHECK_INT(sip_pidf_parse(&p, sip_str_from(body)), SIP_ETOOBIG);
	CHECK_INT(sip_pidf_parse(&p, SIP_STR("<?xml version='1.0'?><!-- a <b> -->"
	                                     "<presence entity='e'><?pi x?><tuple id='t'>"
	                                     "<status><basic><!--x-->open</basic></status>"
	                                     "<note><![CDATA[<not> markup]]></note>"
	                                     "</tuple></presence><!-- after -->\n")),
	          0);
	CHECK_INT(p.basic, SIP_BASIC_OPEN);
	CHECK_STR(p.tuples[0].note, "<not> markup");
	return 0;
}

TEST(event_xml_text)
{
	char buf[16];
	CHECK_INT(sip_xml_text(SIP_STR("a&lt;b&gt;&amp;&quot;&apos;"), buf, sizeof buf), 7);
	CHECK(strcmp(buf, "a<b>&\"'") == 0);
	CHECK_INT(sip_xml_text(SIP_STR("&#x20AC;&#8364;"), buf, sizeof buf), 6);
	CHECK(strcmp(buf, "\xe2\x82\xac\xe2\x82\xac") == 0);
	/* Cut at a whole character, and a stray '&' passes as itself. */
	CHECK_INT(sip_xml_text(SIP_STR("&#x20AC;&#x20AC;"), buf, 6), 3);
	CHECK_INT(sip_xml_text(SIP_STR("a & b"), buf, sizeof buf), 5);
	CHECK_INT(sip_xml_text(SIP_STR("abc"), buf, 0), 0);
	return 0;
}
