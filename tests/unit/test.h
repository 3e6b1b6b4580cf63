/* test.h - the unit test runner's macros. A test is `TEST(name) { ... }`
 * in any C file of tests/unit; it returns 0 to pass. The runner fails a test that
 * leaves library allocations behind. */
#ifndef TEST_H
#define TEST_H

#include <stdio.h>
#include <string.h>

#include <sip/sip.h>

/* The prototype keeps -Wmissing-prototypes quiet; the runner's table
 * declares the same. */
#define TEST(name)                                                                                 \
	int name(void);                                                                            \
	int name(void)

void test_fail(const char *file, int line, const char *what);
/* Heap blocks currently allocated (malloc minus free), and allocations so far. */
long test_heap_live(void);
long test_heap_allocs(void);
/* A memory FILE for a printer under test: open it, print into m->f, and
 * close it to get what was written, NUL-terminated and cut at cap; close
 * returns its length. */
struct test_memfile {
	FILE *f;
	char *buf;
	size_t len;
};
FILE *test_memfile_open(struct test_memfile *m);
size_t test_memfile_close(struct test_memfile *m, char *out, size_t cap);
/* The len octets at got are want; when not, both are shown. */
bool test_text_is(const char *got, size_t len, const char *want);
/* Reads a whole file into a static-free heap buffer the caller frees; NULL if absent. */
char *test_read_file(const char *path, size_t *len);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			test_fail(__FILE__, __LINE__, #c);                                         \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

#define CHECK_INT(a, b)                                                                            \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_) {                                                                    \
			char w_[256];                                                              \
			snprintf(w_, sizeof w_, "%.80s == %.80s (%lld != %lld)", #a, #b, a_, b_);  \
			test_fail(__FILE__, __LINE__, w_);                                         \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

/* A slice equals a C string. */
#define CHECK_STR(s, lit)                                                                          \
	do {                                                                                       \
		struct sip_str s_ = (s);                                                           \
		const char *l_ = (lit);                                                            \
		if (s_.len != strlen(l_) || (s_.len && memcmp(s_.p, l_, s_.len) != 0)) {           \
			char w_[320];                                                              \
			snprintf(w_, sizeof w_, "%s is '%.*s', want '%s'", #s,                     \
			         s_.len > 120 ? 120 : (int)s_.len, s_.p ? s_.p : "", l_);          \
			test_fail(__FILE__, __LINE__, w_);                                         \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

#endif
