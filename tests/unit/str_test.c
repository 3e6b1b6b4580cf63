/* str_test.c - slices, number parsing, methods, error names (lib/str.c)
 * and status phrases (lib/status.c). */
#include <stdint.h>

#include "test.h"

static int to_u64(const char *s, uint64_t max, uint64_t *out)
{
	return sip_str_to_u64(sip_str_from(s), max, out);
}

TEST(str_to_u64_max)
{
	uint64_t v = 0;
	CHECK_INT(to_u64("18446744073709551615", UINT64_MAX, &v), 0);
	CHECK(v == UINT64_MAX);
	return 0;
}

TEST(str_to_u64_overflow_at_2_64)
{
	uint64_t v = 7;
	CHECK_INT(to_u64("18446744073709551616", UINT64_MAX, &v), SIP_ERANGE);
	CHECK_INT(to_u64("18446744073709551620", UINT64_MAX, &v), SIP_ERANGE);
	CHECK_INT(to_u64("99999999999999999999", UINT64_MAX, &v), SIP_ERANGE);
	CHECK_INT(to_u64("184467440737095516150", UINT64_MAX, &v), SIP_ERANGE);
	CHECK(v == 7); /* untouched on failure */
	return 0;
}

TEST(str_to_u64_above_max)
{
	uint64_t v = 7;
	CHECK_INT(to_u64("255", 255, &v), 0);
	CHECK(v == 255);
	CHECK_INT(to_u64("256", 255, &v), SIP_ERANGE);
	CHECK(v == 255);
	CHECK_INT(to_u64("0", 0, &v), 0);
	CHECK(v == 0);
	CHECK_INT(to_u64("1", 0, &v), SIP_ERANGE);
	return 0;
}

TEST(str_to_u64_leading_zeros)
{
	uint64_t v = 0;
	CHECK_INT(to_u64("0000000000000000000000000000042", UINT64_MAX, &v), 0);
	CHECK(v == 42);
	CHECK_INT(to_u64("00018446744073709551615", UINT64_MAX, &v), 0);
	CHECK(v == UINT64_MAX);
	CHECK_INT(to_u64("000", 10, &v), 0);
	CHECK(v == 0);
	return 0;
}

TEST(str_to_u64_empty)
{
	uint64_t v = 3;
	CHECK_INT(to_u64("", UINT64_MAX, &v), SIP_ESYNTAX);
	CHECK_INT(sip_str_to_u64((struct sip_str){NULL, 0}, UINT64_MAX, &v), SIP_ESYNTAX);
	CHECK(v == 3);
	return 0;
}

TEST(str_to_u64_non_digits)
{
	static const char *const bad[] = {"12a", "a12",  "-1",    "+1",       " 1", "1 ",
	                                  "1.5", "0x10", "1\r\n", "\xd9\xa1", "/",  ":"};
	uint64_t v = 3;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_INT(to_u64(bad[i], UINT64_MAX, &v), SIP_ESYNTAX);
	CHECK(v == 3);
	return 0;
}

TEST(str_to_u64_uses_only_len)
{
	/* The slice ends before the letters; a parser reading past it would fail. */
	uint64_t v = 0;
	struct sip_str s = {"123abc", 3};
	CHECK_INT(sip_str_to_u64(s, UINT64_MAX, &v), 0);
	CHECK(v == 123);
	return 0;
}

TEST(str_to_u32_range)
{
	uint32_t v = 0;
	CHECK_INT(sip_str_to_u32(SIP_STR("4294967295"), &v), 0);
	CHECK(v == UINT32_MAX);
	CHECK_INT(sip_str_to_u32(SIP_STR("4294967296"), &v), SIP_ERANGE);
	CHECK(v == UINT32_MAX);
	CHECK_INT(sip_str_to_u32(SIP_STR("x"), &v), SIP_ESYNTAX);
	return 0;
}

TEST(str_trim_spaces_and_tabs)
{
	CHECK_STR(sip_str_trim(SIP_STR("  \t abc def \t ")), "abc def");
	CHECK_STR(sip_str_trim(SIP_STR("abc")), "abc");
	CHECK_STR(sip_str_trim(SIP_STR("")), "");
	CHECK_STR(sip_str_trim(SIP_STR(" \t  ")), "");
	return 0;
}

TEST(str_trim_folded_line_breaks)
{
	CHECK_STR(sip_str_trim(SIP_STR("\r\n abc")), "abc");
	CHECK_STR(sip_str_trim(SIP_STR(" \r\n\t \r\n abc \r\n def\r\n \t")), "abc \r\n def");
	CHECK_STR(sip_str_trim(SIP_STR("\n\tabc\n ")), "abc");
	CHECK_STR(sip_str_trim(SIP_STR("abc\r\n")), "abc");
	return 0;
}

TEST(str_trim_unfolded_break_is_not_lws)
{
	/* CRLF not followed by SP/HT is not LWS at the front. */
	CHECK_STR(sip_str_trim(SIP_STR("\r\nabc")), "\r\nabc");
	return 0;
}

TEST(str_ieq)
{
	CHECK(sip_str_ieq(SIP_STR("Via"), SIP_STR("vIA")));
	CHECK(sip_str_ieq(SIP_STR("CALL-ID"), SIP_STR("call-id")));
	CHECK(sip_str_ieq(SIP_STR(""), SIP_STR("")));
	CHECK(!sip_str_ieq(SIP_STR("Via"), SIP_STR("Vias")));
	CHECK(!sip_str_ieq(SIP_STR("Via"), SIP_STR("Vib")));
	/* Only ASCII letters fold: '@' is not '`', '[' is not '{'. */
	CHECK(!sip_str_ieq(SIP_STR("@"), SIP_STR("`")));
	CHECK(!sip_str_ieq(SIP_STR("["), SIP_STR("{")));
	CHECK(!sip_str_ieq(SIP_STR("\xc9"), SIP_STR("\xe9")));
	CHECK(sip_str_ieq_cstr(SIP_STR("Branch"), "branch"));
	CHECK(!sip_str_ieq_cstr(SIP_STR("Branch"), "branc"));
	return 0;
}

TEST(str_eq_and_from)
{
	CHECK(sip_str_eq(SIP_STR("abc"), sip_str_from("abc")));
	CHECK(!sip_str_eq(SIP_STR("abc"), SIP_STR("ABC")));
	CHECK_INT(sip_str_from(NULL).len, 0);
	CHECK(sip_str_eq(sip_str_from(NULL), SIP_STR("")));
	return 0;
}

TEST(str_method_from_str_all)
{
	static const struct {
		const char *name;
		enum sip_method m;
	} methods[] = {
		{"INVITE", SIP_INVITE},       {"ACK", SIP_ACK},         {"BYE", SIP_BYE},
		{"CANCEL", SIP_CANCEL},       {"OPTIONS", SIP_OPTIONS}, {"REGISTER", SIP_REGISTER},
		{"PRACK", SIP_PRACK},         {"UPDATE", SIP_UPDATE},   {"REFER", SIP_REFER},
		{"SUBSCRIBE", SIP_SUBSCRIBE}, {"NOTIFY", SIP_NOTIFY},   {"MESSAGE", SIP_MESSAGE},
		{"INFO", SIP_INFO},           {"PUBLISH", SIP_PUBLISH},
	};
	CHECK_INT(sizeof methods / sizeof methods[0], SIP_METHOD_COUNT - 1);
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		CHECK_INT(sip_method_from_str(sip_str_from(methods[i].name)), methods[i].m);
		CHECK(strcmp(sip_method_name(methods[i].m), methods[i].name) == 0);
	}
	return 0;
}

TEST(str_method_case_sensitive)
{
	for (int m = 1; m < SIP_METHOD_COUNT; m++) {
		char buf[16];
		const char *name = sip_method_name((enum sip_method)m);
		size_t n = strlen(name);
		CHECK(n < sizeof buf);
		memcpy(buf, name, n);
		buf[n - 1] = (char)(buf[n - 1] + 32); /* last letter lower case */
		CHECK_INT(sip_method_from_str((struct sip_str){buf, n}), SIP_METHOD_OTHER);
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)(name[i] + 32);
		CHECK_INT(sip_method_from_str((struct sip_str){buf, n}), SIP_METHOD_OTHER);
	}
	return 0;
}

TEST(str_method_other)
{
	CHECK_INT(sip_method_from_str(SIP_STR("")), SIP_METHOD_OTHER);
	CHECK_INT(sip_method_from_str(SIP_STR("IN")), SIP_METHOD_OTHER);
	CHECK_INT(sip_method_from_str(SIP_STR("INVITEX")), SIP_METHOD_OTHER);
	CHECK_INT(sip_method_from_str(SIP_STR("INVIT")), SIP_METHOD_OTHER);
	CHECK_INT(sip_method_from_str(SIP_STR("SUBSCRIBES")), SIP_METHOD_OTHER);
	CHECK_INT(sip_method_from_str(SIP_STR("FOO")), SIP_METHOD_OTHER);
	/* a prefix slice of a longer buffer */
	CHECK_INT(sip_method_from_str((struct sip_str){"BYEBYE", 3}), SIP_BYE);
	CHECK(sip_method_name(SIP_METHOD_OTHER) == NULL);
	CHECK(sip_method_name(SIP_METHOD_COUNT) == NULL);
	return 0;
}

TEST(str_strerror_every_code)
{
	for (int e = SIP_OK; e >= SIP_EPARAM; e--) {
		const char *s = sip_strerror(e);
		CHECK(s != NULL);
		CHECK(s[0] != '\0');
		CHECK(strcmp(s, "unknown error") != 0);
		for (int o = SIP_OK; o > e; o--)
			CHECK(strcmp(s, sip_strerror(o)) != 0);
	}
	CHECK(sip_strerror(-9999) != NULL && sip_strerror(-9999)[0] != '\0');
	CHECK(sip_strerror(1) != NULL && sip_strerror(1)[0] != '\0');
	return 0;
}

/* ---- status ---- */

TEST(status_reason_common)
{
	CHECK(strcmp(sip_status_reason(100), "Trying") == 0);
	CHECK(strcmp(sip_status_reason(180), "Ringing") == 0);
	CHECK(strcmp(sip_status_reason(200), "OK") == 0);
	CHECK(strcmp(sip_status_reason(302), "Moved Temporarily") == 0);
	CHECK(strcmp(sip_status_reason(404), "Not Found") == 0);
	CHECK(strcmp(sip_status_reason(486), "Busy Here") == 0);
	CHECK(strcmp(sip_status_reason(487), "Request Terminated") == 0);
	CHECK(strcmp(sip_status_reason(503), "Service Unavailable") == 0);
	CHECK(strcmp(sip_status_reason(603), "Decline") == 0);
	return 0;
}

TEST(status_reason_unknown)
{
	CHECK(sip_status_reason(299) == NULL);
	CHECK(sip_status_reason(0) == NULL);
	CHECK(sip_status_reason(99) == NULL);
	CHECK(sip_status_reason(700) == NULL);
	CHECK(sip_status_reason(65536 + 200) == NULL);
	return 0;
}

TEST(status_reason_every_known_code_has_meaning)
{
	for (unsigned code = 100; code < 700; code++) {
		const char *r = sip_status_reason(code);
		const char *m = sip_status_meaning(code);
		CHECK(m != NULL && m[0] != '\0');
		if (r)
			CHECK(r[0] != '\0');
	}
	return 0;
}

TEST(status_meaning_busy)
{
	CHECK(strstr(sip_status_meaning(486), "busy") != NULL);
	CHECK(strstr(sip_status_meaning(600), "busy") != NULL);
	return 0;
}

TEST(status_meaning_class_fallback)
{
	CHECK(strcmp(sip_status_meaning(299), "success") == 0);
	CHECK(strstr(sip_status_meaning(199 - 50), "provisional") != NULL);
	CHECK(strstr(sip_status_meaning(399), "redirection") != NULL);
	CHECK(strstr(sip_status_meaning(499), "client error") != NULL);
	CHECK(strstr(sip_status_meaning(599), "server error") != NULL);
	CHECK(strstr(sip_status_meaning(699), "global failure") != NULL);
	CHECK(sip_status_meaning(99) == NULL);
	CHECK(sip_status_meaning(700) == NULL);
	CHECK(sip_status_meaning(0) == NULL);
	return 0;
}
