/* fuzz_ws.c - libFuzzer target for WebSocket: the input is read as a
 * server's handshake answer (to the RFC 6455 example key) and as a client's
 * request, whole and in growing pieces, which must agree; then as frames
 * received by a client and by a server, whole and a byte at a time, which
 * must report the same messages, close and error. Nothing reported may be
 * longer than its cap, and what waits to be written stays under its own. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MSG 1024

typedef int check_fn(struct sip_ws_hs *hs, const char *p, size_t len);

static void handshake(check_fn *check, const char *p, size_t size)
{
	struct sip_ws_hs whole = {0}, parts = {0};
	memcpy(whole.key, "dGhlIHNhbXBsZSBub25jZQ==", SIP_WS_KEY_LEN);
	parts = whole;
	int r = check(&whole, p, size);
	if (r > 0 && ((size_t)r > size || r > SIP_WS_HEAD_MAX))
		abort();
	if (r < 0 && r != SIP_EAGAIN && !whole.why[0])
		abort();
	if (strlen(whole.reason) >= sizeof whole.reason || strlen(whole.why) >= sizeof whole.why)
		abort();
	/* The search resumes where it stopped: in pieces, the same answer. */
	int q = SIP_EAGAIN;
	for (size_t n = 1; q == SIP_EAGAIN && n < size; n = n * 2 + 1)
		q = check(&parts, p, n);
	if (q == SIP_EAGAIN)
		q = check(&parts, p, size);
	if (q != r || parts.status != whole.status)
		abort();
	if (check == sip_ws_server_check) {
		char ans[512];
		if (sip_ws_server_answer(&whole, ans, sizeof ans) <= 0)
			abort();
	}
}

struct seen {
	int msgs, closes, err;
	size_t bytes;
	uint16_t code;
};

static void frames(bool client, const char *p, size_t size, size_t step, struct seen *s)
{
	struct sip_ws *ws = sip_ws_new(client, MAX_MSG);
	if (!ws)
		return;
	size_t off = 0;
	while (off < size && !s->err) {
		size_t n = size - off < step ? size - off : step;
		for (;;) {
			struct sip_ws_event ev;
			size_t used;
			s->err = sip_ws_read(ws, p + off, n, &used, &ev);
			if (used > n)
				abort();
			off += used;
			n -= used;
			if (s->err || ev.type == SIP_WS_NONE)
				break;
			if (ev.data.len > MAX_MSG)
				abort();
			if (ev.type == SIP_WS_MSG) {
				s->msgs++;
				s->bytes += ev.data.len;
			} else {
				s->closes++;
				s->code = ev.code;
			}
		}
		const char *out;
		if (sip_ws_out(ws, &out) > 8 * (MAX_MSG + 14) + 4096)
			abort();
	}
	if (s->err && !*sip_ws_why(ws))
		abort();
	sip_ws_free(ws);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	handshake(sip_ws_client_check, p, size);
	handshake(sip_ws_server_check, p, size);
	for (int client = 0; client < 2; client++) {
		struct seen whole = {0}, bytes = {0};
		frames(client, p, size, size ? size : 1, &whole);
		frames(client, p, size, 1, &bytes);
		if (whole.msgs != bytes.msgs || whole.closes != bytes.closes ||
		    whole.err != bytes.err || whole.bytes != bytes.bytes ||
		    whole.code != bytes.code)
			abort();
	}
	return 0;
}
