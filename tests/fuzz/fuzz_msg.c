/* fuzz_msg.c - libFuzzer target for the message parser and everything a
 * decoded message goes through: datagram, lenient and stream framing, the
 * checker, the printers, and a response built from a parsed request. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <sip/sip.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink(void)
{
	static FILE *f;
	if (!f && !(f = fopen("/dev/null", "w")))
		abort();
	return f;
}

static void exercise(const struct sip_msg *m)
{
	struct sip_diag diags[32];
	size_t n = sip_msg_check(m, diags, 32);
	struct sip_print_opts po = {.diags = diags, .ndiags = n < 32 ? n : 32, .color = true};
	for (int fmt = SIP_PRINT_RAW; fmt <= SIP_PRINT_JSON; fmt++) {
		po.format = (enum sip_print_format)fmt;
		sip_msg_print(sink(), m, &po);
	}
	if (m->is_request) {
		struct sip_buf b;
		struct sip_response_spec rs = {.status = 200};
		sip_buf_init(&b, 0);
		sip_build_response(&b, m, &rs);
		sip_buf_reset(&b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A static message: struct sip_msg is large and the fuzzer's stack small. */
	static struct sip_msg m;
	const char *buf = (const char *)data;
	if (sip_msg_parse(&m, buf, size, 0) == 0) {
		if (m.raw.p < buf || m.raw.p + m.raw.len > buf + size)
			abort();
		exercise(&m);
	}
	if (sip_msg_parse(&m, buf, size, SIP_PARSE_LENIENT) == 0)
		exercise(&m);
	size_t off = 0;
	for (int i = 0; i < 64 && off < size; i++) {
		if (sip_msg_parse(&m, buf + off, size - off, SIP_PARSE_STREAM) != 0)
			break;
		size_t used = (size_t)(m.raw.p + m.raw.len - (buf + off));
		if (used == 0 || used > size - off)
			abort();
		exercise(&m);
		off += used;
	}
	return 0;
}
