/*
 * bench_sofia.c - sofia-sip: msg_make() with the default SIP class parses
 * the message into a sip_t, then msg_destroy() frees it.
 */
#include "harness.h"

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_protos.h>
#include <sofia-sip/url.h>

const char bench_parser_name[] = "sofia-sip";

static msg_mclass_t const *mclass;

int bench_init(void)
{
	mclass = sip_default_mclass();
	return mclass ? 0 : -1;
}

void *bench_prepare(const char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return NULL;
}

int bench_parse(const struct bench_input *in, FILE *dump, unsigned long *sum)
{
	msg_t *msg = msg_make(mclass, 0, in->buf, (ssize_t)in->len);
	sip_t *sip;
	int rc = -1;

	if (!msg)
		return -1;
	sip = sip_object(msg);
	if (sip && !msg_has_error(msg) && sip->sip_via && sip->sip_from && sip->sip_to &&
	    sip->sip_call_id && sip->sip_cseq) {
		const char *branch = sip->sip_via->v_branch;
		const char *ftag = sip->sip_from->a_tag;
		const char *ttag = sip->sip_to->a_tag;
		const char *callid = sip->sip_call_id->i_id;
		sip_contact_t const *m = sip->sip_contact;

		*sum += bench_fp(branch) + bench_fp(ftag) + bench_fp(ttag) + bench_fp(callid) +
		        sip->sip_cseq->cs_seq + bench_fp(sip->sip_cseq->cs_method_name) +
		        (m ? bench_fp(m->m_url->url_host) : 0);
		if (dump) {
			struct bench_fields fl = {
				.branch = bench_cstr(branch),
				.from_tag = bench_cstr(ftag),
				.to_tag = bench_cstr(ttag),
				.call_id = bench_cstr(callid),
				.cseq = sip->sip_cseq->cs_seq,
				.cseq_method = bench_cstr(sip->sip_cseq->cs_method_name),
			};
			char uri[512];

			if (m && url_e(uri, sizeof(uri), m->m_url) > 0) {
				uri[sizeof(uri) - 1] = '\0';
				fl.contact = bench_cstr(uri);
			}
			bench_dump(dump, in, &fl);
		}
		rc = 0;
	}
	msg_destroy(msg);
	return rc;
}

void bench_fini(void)
{
}
