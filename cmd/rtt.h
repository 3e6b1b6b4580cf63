/* rtt.h - round-trip statistics of a ping in constant memory, however long
 * it runs: the count, minimum, maximum, mean and deviation exactly, the
 * percentiles from a histogram exact to the microsecond below 1 ms and to
 * 1/512 of the value above. */
#ifndef CMD_RTT_H
#define CMD_RTT_H

#include <stdint.h>

struct rtt_stats {
	uint64_t n, min, max;
	double sum, sq; /* of the milliseconds */
	uint32_t *hist; /* allocated with the first sample */
};

void rtt_add(struct rtt_stats *s, uint64_t us);
/* Nearest rank: the smallest sample with at least p % at or below it. */
uint64_t rtt_percentile(const struct rtt_stats *s, unsigned p);
double rtt_avg_ms(const struct rtt_stats *s);
double rtt_mdev_ms(const struct rtt_stats *s);
void rtt_free(struct rtt_stats *s);

#endif
