/*
 * bench_sip.c - libsip: sip_msg_parse() indexes the headers without
 * copying; the typed views (sip_via_parse, sip_addr_parse, sip_cseq_parse)
 * are parsed on demand from their slices. Nothing to free.
 */
#include "harness.h"

#include <sip/sip.h>

const char bench_parser_name[] = "sip";

static struct sip_msg msg; /* the caller's storage: ~11 KiB, reused */

int bench_init(void)
{
	return 0;
}

void *bench_prepare(const char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return NULL;
}

/* An empty slice reads as absent in the check line. */
static struct bench_str bs(struct sip_str s)
{
	struct bench_str r = {s.len ? s.p : NULL, s.len};
	return r;
}

/* The first element of the first header with this id, or an empty slice. */
static int first_elem(enum sip_hdr_id id, struct sip_str *elem)
{
	const struct sip_hdr *h = sip_msg_hdr(&msg, id);
	struct sip_str list;

	if (!h)
		return 0;
	list = h->value;
	return sip_list_next(&list, elem);
}

int bench_parse(const struct bench_input *in, FILE *dump, unsigned long *sum)
{
	const struct sip_hdr *from, *to, *callid, *cseqh;
	struct sip_str elem;
	struct sip_via via;
	struct sip_addr fa, ta, ca;
	struct sip_cseq cseq;
	bool have_contact = false;

	if (sip_msg_parse(&msg, in->buf, in->len, 0) != 0)
		return -1;
	from = sip_msg_hdr(&msg, SIP_HDR_FROM);
	to = sip_msg_hdr(&msg, SIP_HDR_TO);
	callid = sip_msg_hdr(&msg, SIP_HDR_CALL_ID);
	cseqh = sip_msg_hdr(&msg, SIP_HDR_CSEQ);
	if (!from || !to || !callid || !cseqh)
		return -1;
	if (first_elem(SIP_HDR_VIA, &elem) != 1 || sip_via_parse(&via, elem) != 0)
		return -1;
	if (sip_addr_parse(&fa, from->value) != 0 || sip_addr_parse(&ta, to->value) != 0)
		return -1;
	if (sip_cseq_parse(&cseq, cseqh->value) != 0)
		return -1;
	if (first_elem(SIP_HDR_CONTACT, &elem) == 1 && sip_addr_parse(&ca, elem) == 0)
		have_contact = true;

	*sum += bench_fp(via.branch.p) + bench_fp(fa.tag.p) + bench_fp(ta.tag.p) +
	        bench_fp(callid->value.p) + cseq.num + bench_fp(cseq.method_name.p) +
	        (have_contact ? bench_fp(ca.uri.p) : 0);
	if (dump) {
		struct bench_fields fl = {
			.branch = bs(via.branch),
			.from_tag = bs(fa.tag),
			.to_tag = bs(ta.tag),
			.call_id = bs(callid->value),
			.cseq = cseq.num,
			.cseq_method = bs(cseq.method_name),
		};

		if (have_contact)
			fl.contact = bs(ca.uri);
		bench_dump(dump, in, &fl);
	}
	return 0;
}

void bench_fini(void)
{
}
