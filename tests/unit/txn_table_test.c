/* txn_table_test.c - the transaction table grows with its load and finds
 * every link; the key generations keep a key for one rotation more. */
#include <stdlib.h>

#include "test.h"
#include "txn_table.h"

#define LINKS 10000

TEST(ttable_grows_and_finds_every_link)
{
	struct sip_ttable t = {0};
	struct sip_tlink *l = calloc(LINKS, sizeof *l);
	CHECK(l != NULL);
	for (uint32_t i = 0; i < LINKS; i++)
		CHECK_INT(sip_ttable_add(&t, &l[i], i * 2654435761u), 0);
	/* Chains of two on average at most: 10,000 links in 8,192 buckets. */
	CHECK(t.nb >= LINKS / 2);
	CHECK_INT((int)t.n, LINKS);
	for (uint32_t i = 0; i < LINKS; i += 7) {
		struct sip_tlink *c = sip_ttable_chain(&t, i * 2654435761u);
		while (c && c != &l[i])
			c = c->next;
		CHECK(c == &l[i]);
	}
	for (uint32_t i = 0; i < LINKS; i += 2)
		sip_ttable_del(&t, &l[i]);
	sip_ttable_del(&t, &l[0]); /* twice: the second time it is not in */
	CHECK_INT((int)t.n, LINKS / 2);
	struct sip_tlink *c = sip_ttable_chain(&t, 0);
	for (; c; c = c->next)
		CHECK(c != &l[0]);
	sip_ttable_free(&t);
	free(l);
	return 0;
}

TEST(keyset_keeps_a_key_one_rotation_more)
{
	struct sip_keyset s = {0};
	for (uint64_t k = 0; k < 100000; k++)
		CHECK_INT(sip_keyset_add(&s, k * 0x9e3779b97f4a7c15u), 0);
	CHECK(s.cap[0] <= 4 * 100000);
	CHECK(sip_keyset_has(&s, 0)); /* 0 is kept as 1 */
	CHECK(sip_keyset_has(&s, 99999 * 0x9e3779b97f4a7c15u));
	CHECK(!sip_keyset_has(&s, 100001 * 0x9e3779b97f4a7c15u));
	sip_keyset_rotate(&s);
	CHECK(!sip_keyset_empty(&s));
	CHECK(sip_keyset_has(&s, 5 * 0x9e3779b97f4a7c15u));
	CHECK_INT(sip_keyset_add(&s, 42), 0);
	sip_keyset_rotate(&s);
	CHECK(!sip_keyset_has(&s, 5 * 0x9e3779b97f4a7c15u));
	CHECK(sip_keyset_has(&s, 42));
	sip_keyset_rotate(&s);
	CHECK(sip_keyset_empty(&s));
	CHECK(!sip_keyset_has(&s, 42));
	sip_keyset_free(&s);
	return 0;
}
