/* rtt.c - a ping's round-trip statistics (rtt.h). */
#include "rtt.h"

#include <stdlib.h>

/* Below 2^EXACT_BITS us a bucket is one microsecond; above, each power of
 * two has 2^SUB_BITS buckets; up to 2^MAX_BITS us (19 hours). */
#define EXACT_BITS 10
#define SUB_BITS 9
#define MAX_BITS 36
#define BUCKETS ((1u << EXACT_BITS) + (MAX_BITS - EXACT_BITS) * (1u << SUB_BITS))

static unsigned bucket_of(uint64_t us)
{
	if (us < (1u << EXACT_BITS))
		return (unsigned)us;
	if (us >= (uint64_t)1 << MAX_BITS)
		return BUCKETS - 1;
	unsigned e = 63 - (unsigned)__builtin_clzll(us);
	unsigned sub = (unsigned)(us >> (e - SUB_BITS)) & ((1u << SUB_BITS) - 1);
	return (1u << EXACT_BITS) + (e - EXACT_BITS) * (1u << SUB_BITS) + sub;
}

/* The middle of bucket b. */
static uint64_t value_of(unsigned b)
{
	if (b < (1u << EXACT_BITS))
		return b;
	unsigned e = (b - (1u << EXACT_BITS)) / (1u << SUB_BITS) + EXACT_BITS;
	uint64_t sub = (b - (1u << EXACT_BITS)) % (1u << SUB_BITS);
	uint64_t width = (uint64_t)1 << (e - SUB_BITS);
	return ((uint64_t)1 << e) + sub * width + width / 2;
}

static double ms(uint64_t us)
{
	return (double)us / 1000.0;
}

void rtt_add(struct rtt_stats *s, uint64_t us)
{
	if (!s->hist && !(s->hist = calloc(BUCKETS, sizeof *s->hist)))
		return; /* the statistics lose a sample, the probe goes on */
	s->hist[bucket_of(us)]++;
	s->min = s->n && s->min < us ? s->min : us;
	s->max = s->max > us ? s->max : us;
	s->n++;
	s->sum += ms(us);
	s->sq += ms(us) * ms(us);
}

uint64_t rtt_percentile(const struct rtt_stats *s, unsigned p)
{
	if (!s->n)
		return 0;
	uint64_t rank = ((uint64_t)p * s->n + 99) / 100, seen = 0;
	if (!rank)
		rank = 1;
	for (unsigned b = 0; b < BUCKETS; b++) {
		seen += s->hist[b];
		if (seen >= rank) {
			uint64_t v = value_of(b);
			return v < s->min ? s->min : v > s->max ? s->max : v;
		}
	}
	return s->max;
}

double rtt_avg_ms(const struct rtt_stats *s)
{
	return s->n ? s->sum / (double)s->n : 0.0;
}

/* The square root by Newton's method, from above: libm is not linked for
 * this one use, as its mapping alone costs a one-shot probe 320 KiB. */
static double root(double x)
{
	if (!(x > 0))
		return 0.0;
	double r = x > 1 ? x : 1;
	for (int i = 0; i < 2100; i++) {
		double next = 0.5 * (r + x / r);
		if (!(next < r))
			break;
		r = next;
	}
	return r;
}

double rtt_mdev_ms(const struct rtt_stats *s)
{
	double avg = rtt_avg_ms(s);
	return s->n ? root(s->sq / (double)s->n - avg * avg) : 0.0;
}

void rtt_free(struct rtt_stats *s)
{
	free(s->hist);
	*s = (struct rtt_stats){0};
}
