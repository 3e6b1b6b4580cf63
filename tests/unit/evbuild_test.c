/* evbuild_test.c - the event bodies a notifier sends (lib/event_build.c),
 * built and read back with the parsers of lib/event.c. */
#include "test.h"

static struct sip_buf b;

/* Decoded XML text equals want. */
static bool text_is(struct sip_str raw, const char *want)
{
	char dec[256];
	size_t n = sip_xml_text(raw, dec, sizeof dec);
	return test_text_is(dec, n, want);
}

TEST(evbuild_pidf)
{
	struct sip_pidf_spec spec = {
		.entity = "pres:alice@example.com",
		.open = true,
		.contact = "sip:alice@192.0.2.1",
		.note = "<Lunch> & \"back\" at 2 o'clock",
		.activity = "on-the-phone",
	};
	struct sip_pidf p;
	sip_buf_init(&b, 4096);
	CHECK_INT(sip_pidf_build(&b, &spec), 0);
	CHECK(strstr(b.p, "&lt;Lunch&gt; &amp; &quot;back&quot; at 2 o&apos;clock") != NULL);
	CHECK_INT(sip_pidf_parse(&p, (struct sip_str){b.p, b.len}), 0);
	CHECK_STR(p.entity, "pres:alice@example.com");
	CHECK_INT(p.basic, SIP_BASIC_OPEN);
	CHECK_INT(p.ntuples, 1);
	CHECK_STR(p.tuples[0].id, "t1");
	CHECK_STR(p.tuples[0].contact, "sip:alice@192.0.2.1");
	CHECK(text_is(p.tuples[0].note, "<Lunch> & \"back\" at 2 o'clock"));
	CHECK_INT(p.nnotes, 1);
	CHECK_INT(p.nactivities, 1);
	CHECK_STR(p.activities[0], "on-the-phone");
	sip_buf_reset(&b);

	/* closed, no note; an activity RFC 4480 does not name is <other> */
	struct sip_pidf_spec other = {.entity = "sip:bob@example.com?a=1&b=2",
	                              .tuple_id = "x\"y",
	                              .activity = "gone <fishing>"};
	sip_buf_init(&b, 4096);
	CHECK_INT(sip_pidf_build(&b, &other), 0);
	CHECK_INT(sip_pidf_parse(&p, (struct sip_str){b.p, b.len}), 0);
	CHECK(text_is(p.entity, "sip:bob@example.com?a=1&b=2"));
	CHECK(text_is(p.tuples[0].id, "x\"y"));
	CHECK_INT(p.basic, SIP_BASIC_CLOSED);
	CHECK_INT(p.nnotes, 0);
	CHECK_INT(p.nactivities, 1);
	CHECK(text_is(p.activities[0], "gone <fishing>"));
	CHECK(p.tuples[0].contact.len == 0);
	sip_buf_reset(&b);

	/* line breaks survive, in text and in attributes */
	struct sip_pidf_spec lines = {.entity = "pres:a\tb", .note = "one\r\ntwo"};
	sip_buf_init(&b, 4096);
	CHECK_INT(sip_pidf_build(&b, &lines), 0);
	CHECK_INT(sip_pidf_parse(&p, (struct sip_str){b.p, b.len}), 0);
	CHECK(text_is(p.entity, "pres:a\tb"));
	CHECK(text_is(p.notes[0], "one\r\ntwo"));
	sip_buf_reset(&b);

	/* no activity: no person */
	struct sip_pidf_spec plain = {.entity = "pres:c@example.com", .open = true};
	sip_buf_init(&b, 4096);
	CHECK_INT(sip_pidf_build(&b, &plain), 0);
	CHECK(strstr(b.p, "person") == NULL);
	CHECK_INT(sip_pidf_parse(&p, (struct sip_str){b.p, b.len}), 0);
	CHECK_INT(p.basic, SIP_BASIC_OPEN);
	CHECK_INT(p.nactivities, 0);
	sip_buf_reset(&b);
	return 0;
}

TEST(evbuild_dialoginfo)
{
	struct sip_dialoginfo_dialog_spec dlgs[] = {
		{
			.id = "d1",
			.call_id = "abc@192.0.2.1",
			.local_tag = "lt1",
			.remote_tag = "rt1",
			.direction = "initiator",
			.state = "confirmed",
			.local = "sip:alice@example.com",
			.local_display = "Alice",
			.remote = "sip:bob@example.com",
			.remote_display = "Bob \"The Builder\" & <Sons>",
		},
		{.id = "d2", .state = "early", .direction = "recipient"},
	};
	struct sip_dialoginfo_spec spec = {
		.entity = "sip:alice@example.com",
		.version = 7,
		.partial = true,
		.dialogs = dlgs,
		.ndialogs = 2,
	};
	struct sip_dialoginfo d;
	sip_buf_init(&b, 4096);
	CHECK_INT(sip_dialoginfo_build(&b, &spec), 0);
	CHECK_INT(sip_dialoginfo_parse(&d, (struct sip_str){b.p, b.len}), 0);
	CHECK_STR(d.entity, "sip:alice@example.com");
	CHECK_STR(d.state, "partial");
	CHECK_INT(d.version, 7);
	CHECK_INT(d.ndialogs, 2);
	const struct sip_dialoginfo_dialog *g = &d.dialogs[0];
	CHECK_STR(g->id, "d1");
	CHECK_STR(g->call_id, "abc@192.0.2.1");
	CHECK_STR(g->local_tag, "lt1");
	CHECK_STR(g->remote_tag, "rt1");
	CHECK_STR(g->direction, "initiator");
	CHECK_STR(g->state, "confirmed");
	CHECK_STR(g->local, "sip:alice@example.com");
	CHECK_STR(g->remote, "sip:bob@example.com");
	CHECK(text_is(g->remote_display, "Bob \"The Builder\" & <Sons>"));
	CHECK(strstr(b.p, "display=\"Alice\"") != NULL);
	g = &d.dialogs[1];
	CHECK_STR(g->id, "d2");
	CHECK_STR(g->state, "early");
	CHECK_STR(g->direction, "recipient");
	CHECK(g->call_id.len == 0 && g->remote.len == 0 && g->local.len == 0);
	sip_buf_reset(&b);

	/* full, and no dialogs: the idle key */
	struct sip_dialoginfo_spec idle = {.entity = "sip:alice@example.com"};
	sip_buf_init(&b, 4096);
	CHECK_INT(sip_dialoginfo_build(&b, &idle), 0);
	CHECK_INT(sip_dialoginfo_parse(&d, (struct sip_str){b.p, b.len}), 0);
	CHECK_STR(d.state, "full");
	CHECK_INT(d.version, 0);
	CHECK_INT(d.ndialogs, 0);
	sip_buf_reset(&b);
	return 0;
}

TEST(evbuild_mwi)
{
	struct sip_mwi m = {
		.waiting = true,
		.account = SIP_STR("sip:*97@pbx.example.com"),
		.nclasses = 2,
		.classes = {{.name = SIP_STR("Voice-Message"), .new_msgs = 2, .old_msgs = 8},
	                    {.name = SIP_STR("Fax-Message"),
	                     .new_msgs = 1,
	                     .has_urgent = true,
	                     .new_urgent = 1}},
	};
	struct sip_mwi got;
	sip_buf_init(&b, 4096);
	CHECK_INT(sip_mwi_build(&b, &m), 0);
	CHECK(test_text_is(b.p, b.len,
	                   "Messages-Waiting: yes\r\n"
	                   "Message-Account: sip:*97@pbx.example.com\r\n"
	                   "Voice-Message: 2/8\r\n"
	                   "Fax-Message: 1/0 (1/0)\r\n"));
	CHECK_INT(sip_mwi_parse(&got, (struct sip_str){b.p, b.len}), 0);
	CHECK(got.waiting);
	CHECK_STR(got.account, "sip:*97@pbx.example.com");
	CHECK_INT(got.nclasses, 2);
	CHECK_STR(got.classes[0].name, "Voice-Message");
	CHECK_INT(got.classes[0].new_msgs, 2);
	CHECK_INT(got.classes[0].old_msgs, 8);
	CHECK(!got.classes[0].has_urgent);
	CHECK_STR(got.classes[1].name, "Fax-Message");
	CHECK(got.classes[1].has_urgent);
	CHECK_INT(got.classes[1].new_urgent, 1);
	sip_buf_reset(&b);

	struct sip_mwi none = {0};
	sip_buf_init(&b, 4096);
	CHECK_INT(sip_mwi_build(&b, &none), 0);
	CHECK(test_text_is(b.p, b.len, "Messages-Waiting: no\r\n"));
	CHECK_INT(sip_mwi_parse(&got, (struct sip_str){b.p, b.len}), 0);
	CHECK(!got.waiting);
	sip_buf_reset(&b);
	return 0;
}

TEST(evbuild_refused)
{
	sip_buf_init(&b, 4096);
	sip_buf_puts(&b, "kept");
	struct sip_pidf_spec p = {.entity = "pres:a@b", .note = "a\x01"};
	CHECK_INT(sip_pidf_build(&b, &p), SIP_EINVAL);
	p.note = NULL;
	p.activity = "";
	CHECK_INT(sip_pidf_build(&b, &p), SIP_EINVAL);
	p.activity = NULL;
	p.entity = NULL;
	CHECK_INT(sip_pidf_build(&b, &p), SIP_EINVAL);

	struct sip_dialoginfo_dialog_spec g = {.id = "d1", .state = "ringing"};
	struct sip_dialoginfo_spec d = {.entity = "sip:a@b", .dialogs = &g, .ndialogs = 1};
	CHECK_INT(sip_dialoginfo_build(&b, &d), SIP_EINVAL);
	g.state = "early";
	g.direction = "outbound";
	CHECK_INT(sip_dialoginfo_build(&b, &d), SIP_EINVAL);
	g.direction = NULL;
	g.remote_display = "Bob"; /* a name without its URI */
	CHECK_INT(sip_dialoginfo_build(&b, &d), SIP_EINVAL);
	g.remote_display = NULL;
	g.id = NULL;
	CHECK_INT(sip_dialoginfo_build(&b, &d), SIP_EINVAL);

	struct sip_mwi m = {.account = SIP_STR("sip:a@b\r\nX: y")};
	CHECK_INT(sip_mwi_build(&b, &m), SIP_EINVAL);
	m.account = SIP_STR("");
	m.nclasses = 1;
	m.classes[0].name = SIP_STR("Voice Message");
	CHECK_INT(sip_mwi_build(&b, &m), SIP_EINVAL);
	m.classes[0].name = SIP_STR("Messages-Waiting");
	CHECK_INT(sip_mwi_build(&b, &m), SIP_EINVAL);
	CHECK(test_text_is(b.p, b.len, "kept"));
	sip_buf_reset(&b);

	/* a buffer that fills keeps what it had */
	sip_buf_init(&b, 64);
	sip_buf_puts(&b, "kept");
	p.entity = "pres:a@b";
	CHECK_INT(sip_pidf_build(&b, &p), SIP_ETOOBIG);
	CHECK(test_text_is(b.p, b.len, "kept"));
	sip_buf_reset(&b);
	return 0;
}
