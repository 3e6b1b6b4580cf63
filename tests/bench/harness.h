/*
 * harness.h - what each parser benchmark (bench_*.c) gives the shared
 * driver in harness.c.
 *
 * The driver loads the corpus, counts heap calls, times the loop and runs
 * the measured section that callgrind is told to collect. A parser file
 * supplies the five functions below and nothing else.
 */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <stddef.h>
#include <stdio.h>

struct bench_input {
	const char *name; /* file name, for the check output */
	const char *buf;  /* the message, owned by the driver */
	size_t len;
	void *prep; /* what bench_prepare returned for it */
};

/* The parser's name as the report shows it. */
extern const char bench_parser_name[];

/* Once, before anything else; 0 on success. */
int bench_init(void);
/*
 * Once per corpus message, outside the measured section: state that stands
 * for the caller's receive buffer (libre's mbuf). May return NULL.
 */
void *bench_prepare(const char *buf, size_t len);
/*
 * Parses in->buf afresh, extracts the top Via's branch, From tag, To tag,
 * Call-ID, CSeq number and method and the first Contact's URI, frees what
 * it allocated and returns 0, or -1 when the message is refused. With dump
 * set, writes those fields on one line (see bench_dump) before freeing.
 * *sum gets something that depends on the fields, so that the work cannot
 * be optimised away.
 */
int bench_parse(const struct bench_input *in, FILE *dump, unsigned long *sum);
/* Once, at the end. */
void bench_fini(void);

/*
 * The check line: one message, its fields, "-" for an absent one. Strings
 * are (pointer, length) pairs so that every parser can pass what it has.
 */
struct bench_str {
	const char *p;
	size_t len;
};
struct bench_fields {
	struct bench_str branch, from_tag, to_tag, call_id, cseq_method, contact;
	unsigned long cseq;
};
void bench_dump(FILE *f, const struct bench_input *in, const struct bench_fields *fl);
/* A NUL-terminated string (or NULL) as a bench_str. */
struct bench_str bench_cstr(const char *s);
/* A cheap fingerprint of a field for *sum. */
static inline unsigned long bench_fp(const char *p)
{
	return p ? (unsigned char)p[0] : 0;
}

#endif
