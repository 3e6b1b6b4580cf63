/*
 * bench_re.c - libre: sip_msg_decode() on an mbuf decodes the message and
 * its Via, From, To, CSeq and Call-ID; the Contact goes through
 * sip_addr_decode(). mem_deref() frees the message.
 *
 * The mbuf holding the bytes is made once per corpus message, outside the
 * measured section, as the receive buffer a transport hands over; each
 * parse rewinds it.
 */
#include "harness.h"

/* Debian's libre 1.1 headers take the C99 types from <inttypes.h> only when told. */
#define HAVE_INTTYPES_H 1
#include <re.h>

const char bench_parser_name[] = "libre";

int bench_init(void)
{
	return 0;
}

void *bench_prepare(const char *buf, size_t len)
{
	struct mbuf *mb = mbuf_alloc(len);

	if (mb && mbuf_write_mem(mb, (const uint8_t *)buf, len) != 0)
		mb = mem_deref(mb);
	return mb;
}

static struct bench_str pl_str(const struct pl *pl)
{
	struct bench_str s = {pl_isset(pl) ? pl->p : NULL, pl_isset(pl) ? pl->l : 0};
	return s;
}

int bench_parse(const struct bench_input *in, FILE *dump, unsigned long *sum)
{
	struct mbuf *mb = in->prep;
	struct sip_msg *msg = NULL;
	const struct sip_hdr *hdr;
	struct sip_addr addr;
	bool have_contact = false;

	if (!mb)
		return -1;
	mb->pos = 0;
	if (sip_msg_decode(&msg, mb) != 0)
		return -1;
	hdr = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	if (hdr && sip_addr_decode(&addr, &hdr->val) == 0)
		have_contact = true;

	*sum += bench_fp(msg->via.branch.p) + bench_fp(msg->from.tag.p) + bench_fp(msg->to.tag.p) +
	        bench_fp(msg->callid.p) + msg->cseq.num + bench_fp(msg->cseq.met.p) +
	        (have_contact ? bench_fp(addr.auri.p) : 0);
	if (dump) {
		struct bench_fields fl = {
			.branch = pl_str(&msg->via.branch),
			.from_tag = pl_str(&msg->from.tag),
			.to_tag = pl_str(&msg->to.tag),
			.call_id = pl_str(&msg->callid),
			.cseq = msg->cseq.num,
			.cseq_method = pl_str(&msg->cseq.met),
		};

		if (have_contact)
			fl.contact = pl_str(&addr.auri);
		bench_dump(dump, in, &fl);
	}
	mem_deref(msg);
	return 0;
}

void bench_fini(void)
{
}
