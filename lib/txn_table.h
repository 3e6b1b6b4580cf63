/* txn_table.h - the transaction tables of txn.c: chains that double as they
 * fill, and the keys of completed client transactions that still absorb
 * their retransmitted responses (Timer K). Not exported. */
#ifndef SIP_TXN_TABLE_H
#define SIP_TXN_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A transaction's link in a table, a member of the transaction. */
struct sip_tlink {
	struct sip_tlink *next;
	uint32_t hash;
	bool linked;
};

struct sip_ttable {
	struct sip_tlink **b;
	size_t nb; /* buckets: a power of 2, or 0 before the first add */
	size_t n;  /* links in it */
};

/* Adds l under hash; fails only when the first buckets cannot be had. */
int sip_ttable_add(struct sip_ttable *t, struct sip_tlink *l, uint32_t hash);
/* Takes l out, when it is in. */
void sip_ttable_del(struct sip_ttable *t, struct sip_tlink *l);
/* The first link of the chain where hash would be; follow ->next and
 * compare. */
struct sip_tlink *sip_ttable_chain(const struct sip_ttable *t, uint32_t hash);
void sip_ttable_free(struct sip_ttable *t);

/*
 * A set of 64-bit keys (0 is none) in two generations: keys are added to the
 * current one, and each rotation drops the previous generation and makes the
 * current the previous. Rotated every T, a key stays between T and 2T, at
 * 16 to 32 bytes a key, where a whole transaction took 800.
 */
struct sip_keyset {
	uint64_t *k[2]; /* current, previous: open addressing, linear probing */
	size_t cap[2];
	size_t n[2];
};

int sip_keyset_add(struct sip_keyset *s, uint64_t key);
bool sip_keyset_has(const struct sip_keyset *s, uint64_t key);
void sip_keyset_rotate(struct sip_keyset *s);
bool sip_keyset_empty(const struct sip_keyset *s);
void sip_keyset_free(struct sip_keyset *s);

#endif
