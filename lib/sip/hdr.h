/* sip/hdr.h - typed views of header values parsed on demand: parameters, lists,
 * Via, name-addr, CSeq, RAck, numbers, Content-Type, Event. */
#ifndef SIP_HDR_H
#define SIP_HDR_H

#include <sip/base.h>
#include <sip/str.h>
#include <sip/method.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- hdr: typed views parsed on demand ------------------------------- */

struct sip_param {
	struct sip_str name;
	struct sip_str value; /* empty when the parameter has no '=' */
	bool has_value;
};
/*
 * Takes the next ";name[=value]" from *params (a parameter list with or
 * without a leading ';') and advances it. Returns 1 with *p filled, 0 at
 * the end, or a SIP_E* code for a malformed list.
 */
SIP_API int sip_param_next(struct sip_str *params, struct sip_param *p);
/* Finds a parameter by name (case-insensitive); true when present. */
SIP_API bool sip_param_get(struct sip_str params, const char *name, struct sip_str *value);

/*
 * Takes the next element of a comma-separated header value from *list,
 * honouring quotes and <>, and advances *list. Returns 1, 0 at the end, or
 * SIP_EEMPTY / SIP_EQUOTE.
 */
SIP_API int sip_list_next(struct sip_str *list, struct sip_str *elem);

struct sip_via {
	struct sip_str protocol;  /* "SIP/2.0" */
	struct sip_str transport; /* "UDP" */
	struct sip_str host;      /* sent-by host, IPv6 in brackets */
	uint16_t port;
	bool has_port;
	struct sip_str params; /* without the leading ';' */
	struct sip_str branch;
	struct sip_str received;
	bool rport;           /* rport present */
	uint16_t rport_value; /* 0 when rport has no value */
	struct sip_str maddr;
};
/* Parses one via-parm (one element of a Via list). */
SIP_API int sip_via_parse(struct sip_via *via, struct sip_str s);

/* name-addr or addr-spec, as in From, To, Contact, Route, Refer-To. */
struct sip_addr {
	struct sip_str display; /* without quotes; still escaped */
	bool display_quoted;
	struct sip_str uri;
	bool angle;            /* the URI was in <> */
	struct sip_str params; /* header parameters, without the leading ';' */
	struct sip_str tag;
	bool star; /* "Contact: *" */
};
SIP_API int sip_addr_parse(struct sip_addr *addr, struct sip_str s);

struct sip_cseq {
	uint32_t num;
	struct sip_str method_name;
	enum sip_method method;
};
SIP_API int sip_cseq_parse(struct sip_cseq *cseq, struct sip_str s);

struct sip_rack {
	uint32_t rseq;
	uint32_t cseq;
	struct sip_str method_name;
	enum sip_method method;
};
SIP_API int sip_rack_parse(struct sip_rack *rack, struct sip_str s);

/* A header whose value is one delta-seconds-like number (Max-Forwards, Expires, RSeq...). */
SIP_API int sip_hdr_uint(struct sip_str value, uint64_t max, uint64_t *out);

struct sip_ctype {
	struct sip_str type;    /* "application" */
	struct sip_str subtype; /* "sdp" */
	struct sip_str params;
};
SIP_API int sip_ctype_parse(struct sip_ctype *ct, struct sip_str s);

/* Event / Subscription-State: a token followed by parameters. */
struct sip_token_params {
	struct sip_str token;
	struct sip_str params;
};
SIP_API int sip_token_params_parse(struct sip_token_params *tp, struct sip_str s);

#ifdef __cplusplus
}
#endif
#endif
