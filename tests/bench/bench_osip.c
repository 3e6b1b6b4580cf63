/*
 * bench_osip.c - libosip2: osip_message_init() + osip_message_parse() build
 * an osip_message_t, then osip_message_free() frees it.
 */
#include "harness.h"

/* osip2/osip.h uses time_t and struct timeval without including their headers. */
#include <sys/time.h>
#include <time.h>

#include <osip2/osip.h>
#include <osipparser2/osip_message.h>
#include <osipparser2/osip_parser.h>

#include <stdlib.h>

const char bench_parser_name[] = "libosip2";

static osip_t *osip;

int bench_init(void)
{
	return osip_init(&osip) == OSIP_SUCCESS ? 0 : -1;
}

void *bench_prepare(const char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return NULL;
}

int bench_parse(const struct bench_input *in, FILE *dump, unsigned long *sum)
{
	osip_message_t *sip;
	osip_via_t *via = NULL;
	osip_contact_t *contact = NULL;
	osip_generic_param_t *branch = NULL, *ftag = NULL, *ttag = NULL;
	unsigned long cseq;
	int rc = -1;

	if (osip_message_init(&sip) != OSIP_SUCCESS)
		return -1;
	if (osip_message_parse(sip, in->buf, in->len) != OSIP_SUCCESS)
		goto out;
	if (osip_message_get_via(sip, 0, &via) < 0 || !via || !sip->from || !sip->to ||
	    !sip->call_id || !sip->cseq || !sip->cseq->number)
		goto out;
	osip_via_param_get_byname(via, "branch", &branch);
	osip_from_get_tag(sip->from, &ftag);
	osip_to_get_tag(sip->to, &ttag);
	osip_message_get_contact(sip, 0, &contact);
	cseq = strtoul(sip->cseq->number, NULL, 10);

	*sum += (branch ? bench_fp(branch->gvalue) : 0) + (ftag ? bench_fp(ftag->gvalue) : 0) +
	        (ttag ? bench_fp(ttag->gvalue) : 0) + bench_fp(sip->call_id->number) + cseq +
	        bench_fp(sip->cseq->method) +
	        (contact && contact->url ? bench_fp(contact->url->host) : 0);
	if (dump) {
		struct bench_fields fl = {
			.branch = bench_cstr(branch ? branch->gvalue : NULL),
			.from_tag = bench_cstr(ftag ? ftag->gvalue : NULL),
			.to_tag = bench_cstr(ttag ? ttag->gvalue : NULL),
			.cseq = cseq,
			.cseq_method = bench_cstr(sip->cseq->method),
		};
		char *callid = NULL, *uri = NULL;

		if (osip_call_id_to_str(sip->call_id, &callid) == OSIP_SUCCESS)
			fl.call_id = bench_cstr(callid);
		if (contact && contact->url && osip_uri_to_str(contact->url, &uri) == OSIP_SUCCESS)
			fl.contact = bench_cstr(uri);
		bench_dump(dump, in, &fl);
		osip_free(callid);
		osip_free(uri);
	}
	rc = 0;
out:
	osip_message_free(sip);
	return rc;
}

void bench_fini(void)
{
	osip_release(osip);
}
