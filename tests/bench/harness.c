/*
 * harness.c - the driver that every parser benchmark links.
 *
 *   PROG check FILE...    prints the extracted fields, one line a message
 *   PROG time N FILE...   parses N messages (cycling through the files) three
 *                         times and prints the best rate in messages/second
 *   PROG count N FILE...  parses N messages inside bench_measured() and
 *                         prints the heap calls made there; run it under
 *                         callgrind --toggle-collect=bench_measured for the
 *                         instruction count
 *
 * Heap calls are counted by defining malloc and its relatives here: the
 * executable's definitions interpose on glibc's for every shared library
 * too, and forward to glibc's __libc_* entry points. Nothing is preloaded.
 */
#include "harness.h"

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- heap call counting ------------------------------------------------ */

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

static unsigned long n_allocs; /* malloc, calloc, realloc, memalign... */
static unsigned long n_frees;  /* free of a non-NULL pointer */

void *malloc(size_t size)
{
	n_allocs++;
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	n_allocs++;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	n_allocs++;
	return __libc_realloc(p, size);
}

void free(void *p)
{
	if (p)
		n_frees++;
	__libc_free(p);
}

void *memalign(size_t align, size_t size)
{
	n_allocs++;
	return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	n_allocs++;
	return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	n_allocs++;
	p = __libc_memalign(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

/* ---- the check line ------------------------------------------------------ */

struct bench_str bench_cstr(const char *s)
{
	struct bench_str r = {s, s ? strlen(s) : 0};
	return r;
}

static void put_field(FILE *f, const char *key, struct bench_str s)
{
	if (s.p)
		fprintf(f, " %s=%.*s", key, (int)s.len, s.p);
	else
		fprintf(f, " %s=-", key);
}

void bench_dump(FILE *f, const struct bench_input *in, const struct bench_fields *fl)
{
	fputs(in->name, f);
	put_field(f, "branch", fl->branch);
	put_field(f, "from_tag", fl->from_tag);
	put_field(f, "to_tag", fl->to_tag);
	put_field(f, "call_id", fl->call_id);
	fprintf(f, " cseq=%lu", fl->cseq);
	put_field(f, "method", fl->cseq_method);
	put_field(f, "contact", fl->contact);
	fputc('\n', f);
}

/* ---- the loops ----------------------------------------------------------- */

volatile unsigned long bench_sink;

/* The section callgrind collects: nothing but n parses. */
unsigned long bench_measured(const struct bench_input *in, size_t nin, unsigned long n,
                             unsigned long *sum);

__attribute__((noinline, noclone)) unsigned long
bench_measured(const struct bench_input *in, size_t nin, unsigned long n, unsigned long *sum)
{
	unsigned long fails = 0;
	size_t i = 0;

	for (unsigned long k = 0; k < n; k++) {
		if (bench_parse(&in[i], NULL, sum) != 0)
			fails++;
		if (++i == nin)
			i = 0;
	}
	return fails;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			char *nb;

			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	*len = n;
	return buf;
}

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s check FILE... | time N FILE... | count N FILE...\n", prog);
	return 2;
}

int main(int argc, char **argv)
{
	const char *mode;
	unsigned long n = 0, sum = 0;
	struct bench_input *in;
	int first, nin;

	if (argc < 3)
		return usage(argv[0]);
	mode = argv[1];
	first = 2;
	if (strcmp(mode, "time") == 0 || strcmp(mode, "count") == 0) {
		char *end;

		errno = 0;
		n = strtoul(argv[2], &end, 10);
		if (errno || *end || end == argv[2] || argc < 4)
			return usage(argv[0]);
		first = 3;
	} else if (strcmp(mode, "check") != 0) {
		return usage(argv[0]);
	}
	if (bench_init() != 0) {
		fprintf(stderr, "%s: cannot initialise the parser\n", bench_parser_name);
		return 1;
	}

	nin = argc - first;
	in = calloc((size_t)nin, sizeof(*in));
	if (!in)
		return 1;
	for (int i = 0; i < nin; i++) {
		const char *path = argv[first + i];
		const char *slash = strrchr(path, '/');
		size_t len;
		char *buf = slurp(path, &len);

		if (!buf) {
			fprintf(stderr, "%s: cannot read '%s'\n", bench_parser_name, path);
			return 1;
		}
		in[i].name = slash ? slash + 1 : path;
		in[i].buf = buf;
		in[i].len = len;
		in[i].prep = bench_prepare(buf, len);
	}

	/* Every mode starts with a full pass, which also warms caches and lazy bindings. */
	int bad = 0;
	for (int i = 0; i < nin; i++) {
		if (bench_parse(&in[i], strcmp(mode, "check") == 0 ? stdout : NULL, &sum) != 0) {
			printf("%s: parse error\n", in[i].name);
			bad = 1;
		}
	}
	if (bad || strcmp(mode, "check") == 0) {
		bench_sink = sum;
		bench_fini();
		return bad;
	}

	if (strcmp(mode, "time") == 0) {
		double best = 0;

		for (int run = 0; run < 3; run++) {
			double t0 = now();
			unsigned long fails = bench_measured(in, (size_t)nin, n, &sum);
			double t = now() - t0;

			if (fails) {
				printf("fails %lu\n", fails);
				return 1;
			}
			if (run == 0 || t < best)
				best = t;
		}
		printf("rate %.0f\n", best > 0 ? (double)n / best : 0.0);
		printf("ns_per_msg %.1f\n", best * 1e9 / (double)n);
	} else {
		unsigned long a0 = n_allocs, f0 = n_frees;
		unsigned long fails = bench_measured(in, (size_t)nin, n, &sum);
		unsigned long allocs = n_allocs - a0, frees = n_frees - f0;

		if (fails) {
			printf("fails %lu\n", fails);
			return 1;
		}
		printf("msgs %lu\n", n);
		printf("allocs %lu\n", allocs);
		printf("frees %lu\n", frees);
	}
	bench_sink = sum;
	bench_fini();
	return 0;
}
