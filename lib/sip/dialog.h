/* sip/dialog.h - dialogs (RFC 3261 §12) and the requests sent inside them. */
#ifndef SIP_DIALOG_H
#define SIP_DIALOG_H

#include <sip/base.h>
#include <sip/method.h>
#include <sip/msg.h>
#include <sip/build.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- dialog: RFC 3261 §12 ------------------------------------------------ */

struct sip_dialog;

/* A dialog from a request we sent (INVITE, SUBSCRIBE, REFER) and a 1xx/2xx
 * response with a To tag: Call-ID, tags, CSeq, remote target from Contact
 * (the Request-URI when it has none), route set from Record-Route in
 * reverse. Everything is copied. SIP_EINVAL without a To tag; a Contact
 * that is there but not a URI fails as sip_uri_parse does. */
SIP_API int sip_dialog_new_uac(struct sip_dialog **dp, const struct sip_msg *req,
                               const struct sip_msg *resp);
/* A dialog from a request we received, answered with local_tag as To tag;
 * the route set is its Record-Route in order. */
SIP_API int sip_dialog_new_uas(struct sip_dialog **dp, const struct sip_msg *req,
                               const char *local_tag);
SIP_API void sip_dialog_free(struct sip_dialog *d);
/* The header that keeps req from making a dialog as sip_dialog_new_uas
 * takes it ("From", "To", "CSeq", "Call-ID", "Contact", "Record-Route"), or
 * NULL when it makes one: what a 400 names. Allocates nothing. */
SIP_API const char *sip_dialog_uas_fault(const struct sip_msg *req);
/* A later response (the 2xx after a 1xx) or a target refresh (re-INVITE,
 * UPDATE): new remote target; a 2xx to the creating request replaces the
 * early route set. */
SIP_API int sip_dialog_update(struct sip_dialog *d, const struct sip_msg *msg);
/* msg belongs to the dialog: same Call-ID and tags (ours and theirs in
 * the places a request or a response puts them). */
SIP_API bool sip_dialog_match(const struct sip_dialog *d, const struct sip_msg *msg);
/* The next local CSeq (each call uses one); an ACK reuses its INVITE's. */
SIP_API uint32_t sip_dialog_next_cseq(struct sip_dialog *d);

struct sip_dialog_request {
	enum sip_method method;
	const char *method_name; /* for SIP_METHOD_OTHER */
	uint32_t cseq;           /* 0: sip_dialog_next_cseq */
	const char *transport;   /* Via */
	const char *via_host;
	uint16_t via_port;
	const char *contact;
	const char *user_agent; /* NULL: none; a User-Agent line in headers replaces it */
	const char *content_type;
	const char *body;
	size_t body_len;
	const struct sip_build_hdr *headers;
	size_t nheaders;
};
/* Appends an in-dialog request (ACK, BYE, re-INVITE, UPDATE, PRACK, NOTIFY,
 * REFER, INFO...): Request-URI and Route per §12.2.1.1 (loose routing, or
 * the strict-router rewrite), From/To with tags, Call-ID, CSeq, a fresh
 * branch. */
SIP_API int sip_dialog_request(struct sip_dialog *d, struct sip_buf *out,
                               const struct sip_dialog_request *r);
/* Where the request goes first: the top Route's URI, or the remote target. */
SIP_API int sip_dialog_next_hop(const struct sip_dialog *d, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
