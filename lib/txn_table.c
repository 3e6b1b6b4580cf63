/* txn_table.c - growing chained tables of transactions, and the generations
 * of keys that absorb retransmitted responses (txn_table.h). */
#include "txn_table.h"

#include <stdlib.h>

#include "sip_int.h"

#define TTABLE_FIRST 64
#define KEYSET_FIRST 64

static void ttable_grow(struct sip_ttable *t)
{
	size_t nb = t->nb * 2;
	struct sip_tlink **b = calloc(nb, sizeof *b);
	if (!b)
		return; /* the chains only get longer */
	for (size_t i = 0; i < t->nb; i++) {
		struct sip_tlink *l = t->b[i], *next;
		for (; l; l = next) {
			next = l->next;
			l->next = b[l->hash & (nb - 1)];
			b[l->hash & (nb - 1)] = l;
		}
	}
	free(t->b);
	t->b = b;
	t->nb = nb;
}

int sip_ttable_add(struct sip_ttable *t, struct sip_tlink *l, uint32_t hash)
{
	if (!t->b) {
		if (!(t->b = calloc(TTABLE_FIRST, sizeof *t->b)))
			return SIP_ENOMEM;
		t->nb = TTABLE_FIRST;
	}
	if (t->n >= 2 * t->nb)
		ttable_grow(t);
	struct sip_tlink **head = &t->b[hash & (t->nb - 1)];
	l->hash = hash;
	l->next = *head;
	l->linked = true;
	*head = l;
	t->n++;
	return 0;
}

void sip_ttable_del(struct sip_ttable *t, struct sip_tlink *l)
{
	if (!l->linked)
		return;
	for (struct sip_tlink **pp = &t->b[l->hash & (t->nb - 1)]; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	l->next = NULL;
	l->linked = false;
	t->n--;
}

struct sip_tlink *sip_ttable_chain(const struct sip_ttable *t, uint32_t hash)
{
	return t->b ? t->b[hash & (t->nb - 1)] : NULL;
}

void sip_ttable_free(struct sip_ttable *t)
{
	free(t->b);
	*t = (struct sip_ttable){0};
}

/* Where key is in k (cap a power of 2), or the empty slot it would take. */
static size_t keyset_slot(const uint64_t *k, size_t cap, uint64_t key)
{
	size_t i = (size_t)(key ^ (key >> 32)) & (cap - 1);
	while (k[i] && k[i] != key)
		i = (i + 1) & (cap - 1);
	return i;
}

int sip_keyset_add(struct sip_keyset *s, uint64_t key)
{
	if (!key)
		key = 1;
	if ((s->n[0] + 1) * 2 > s->cap[0]) {
		size_t cap = s->cap[0] ? s->cap[0] * 2 : KEYSET_FIRST;
		uint64_t *k = calloc(cap, sizeof *k);
		if (!k)
			return SIP_ENOMEM;
		for (size_t i = 0; i < s->cap[0]; i++)
			if (s->k[0][i])
				k[keyset_slot(k, cap, s->k[0][i])] = s->k[0][i];
		free(s->k[0]);
		s->k[0] = k;
		s->cap[0] = cap;
	}
	size_t i = keyset_slot(s->k[0], s->cap[0], key);
	if (!s->k[0][i]) {
		s->k[0][i] = key;
		s->n[0]++;
	}
	return 0;
}

bool sip_keyset_has(const struct sip_keyset *s, uint64_t key)
{
	if (!key)
		key = 1;
	for (int g = 0; g < 2; g++)
		if (s->n[g] && s->k[g][keyset_slot(s->k[g], s->cap[g], key)] == key)
			return true;
	return false;
}

void sip_keyset_rotate(struct sip_keyset *s)
{
	free(s->k[1]);
	s->k[1] = s->k[0];
	s->cap[1] = s->cap[0];
	s->n[1] = s->n[0];
	s->k[0] = NULL;
	s->cap[0] = s->n[0] = 0;
}

bool sip_keyset_empty(const struct sip_keyset *s)
{
	return !s->n[0] && !s->n[1];
}

void sip_keyset_free(struct sip_keyset *s)
{
	free(s->k[0]);
	free(s->k[1]);
	*s = (struct sip_keyset){0};
}
