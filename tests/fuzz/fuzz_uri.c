/* fuzz_uri.c - libFuzzer target: whatever sip_uri_parse accepts must print,
 * re-parse to an equal URI, and print the same way again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sip/sip.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_uri u, v;
	struct sip_str s = {(const char *)data, size};
	if (sip_uri_parse(&u, s) != 0)
		return 0;
	if (!sip_uri_equal(&u, &u))
		abort();

	/* The canonical form is never longer than the input. */
	size_t cap = size + 1;
	char *a = malloc(cap), *b = malloc(cap), *esc = malloc(cap);
	if (!a || !b || !esc)
		abort();
	int n = sip_uri_print(&u, a, cap);
	if (n < 0 || (size_t)n > size || a[n] != '\0')
		abort();
	if (sip_uri_print(&u, a, (size_t)n) != SIP_ENOSPC)
		abort();
	n = sip_uri_print(&u, a, cap);
	if (sip_uri_parse(&v, (struct sip_str){a, (size_t)n}) != 0)
		abort();
	if (!sip_uri_equal(&u, &v) || !sip_uri_equal(&v, &u))
		abort();
	int m = sip_uri_print(&v, b, cap);
	if (m != n || memcmp(a, b, (size_t)n) != 0)
		abort();

	/* Parsed components hold only valid escapes, and decoding never grows them. */
	const struct sip_str parts[] = {u.user, u.password, u.params, u.headers, u.opaque};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		int k = sip_uri_unescape(parts[i], esc, cap);
		if (k < 0 || (size_t)k > parts[i].len)
			abort();
	}
	free(a);
	free(b);
	free(esc);
	return 0;
}
