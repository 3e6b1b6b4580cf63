/* fuzz_event.c - libFuzzer target for the event-body decoders and their
 * printers: the first byte picks the body type, the rest is the body, so
 * that one corpus holds all five. */
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

static const char *const types[] = {
	"message/sipfrag",
	"application/pidf+xml",
	"application/dialog-info+xml",
	"application/simple-message-summary",
	"application/reginfo+xml",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_evbody b;
	if (size == 0)
		return 0;
	const char *type = types[data[0] % (sizeof types / sizeof types[0])];
	struct sip_str body = {(const char *)data + 1, size - 1};
	if (sip_evbody_parse(&b, sip_str_from(type), body) == 0) {
		sip_evbody_print(sink(), &b, SIP_PRINT_PRETTY, "  ");
		sip_evbody_print(sink(), &b, SIP_PRINT_JSON, NULL);
	}
	char text[64];
	sip_xml_text(body, text, sizeof text);
	return 0;
}
