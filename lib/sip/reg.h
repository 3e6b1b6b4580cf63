/* reg.h - a registration on the user agent (RFC 3261 §10): bind a Contact
 * to an address of record, list the bindings, remove ours or all of them;
 * or stay registered, refreshing before the binding lapses, asking again
 * with Min-Expires after a 423, trying again after a refresh that got no
 * answer, and removing the binding when stopped. */
#ifndef SIP_REG_H
#define SIP_REG_H

#include <sip/request.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sip_reg;

enum sip_reg_mode {
	SIP_REG_BIND = 0,   /* Contact with Expires */
	SIP_REG_QUERY,      /* no Contact: the registrar lists the bindings */
	SIP_REG_UNBIND,     /* our Contact with Expires: 0 */
	SIP_REG_UNBIND_ALL, /* Contact: * with Expires: 0 */
};

/* What happens while a kept registration lives. */
enum sip_reg_event {
	SIP_REG_BOUND,        /* a 2xx bound (or refreshed) it: sip_reg_granted() */
	SIP_REG_TOO_BRIEF,    /* a 423: asked again with its Min-Expires (sip_reg_expires()) */
	SIP_REG_REFRESH_LOST, /* a refresh got no answer (err): tried again in 5 s */
};

typedef void(sip_reg_event_h)(struct sip_reg *g, enum sip_reg_event ev, int err,
                              const struct sip_msg *resp, void *arg);
/* The end, once: the response that ended it (the 2xx of a one-shot
 * registration or of the removal after sip_reg_stop, or a failure), or err
 * with resp NULL. A 423 in a one-shot BIND is asked again first, as in a
 * kept one. */
typedef void(sip_reg_done_h)(struct sip_reg *g, int err, const struct sip_msg *resp, void *arg);

struct sip_reg_spec {
	enum sip_reg_mode mode;
	bool keep;                       /* BIND and refresh until sip_reg_stop */
	const struct sip_uri *aor;       /* From and To */
	const struct sip_uri *registrar; /* the Request-URI */
	/* Where the REGISTERs go, as in sip_req_spec; later ones start at the
	 * target that last answered. */
	const struct sip_target *targets;
	size_t ntargets;
	const struct sip_uri *proxy;
	int transport;
	int family;
	const char *from, *to;    /* NULL: the AOR */
	const char *contact;      /* NULL: <sip:USER@LOCAL:PORT;transport=...> */
	const char *contact_user; /* USER of that Contact: "sip" */
	unsigned long expires;    /* asked for */
	int max_forwards;
	const char *user_agent;
	const char *call_id; /* NULL: a fresh one; else under 40 characters */
	const struct sip_build_hdr *headers;
	size_t nheaders;
	uint64_t timeout_us; /* each REGISTER's, as sip_req_spec's */
	bool dry_run;
	sip_req_auth_h *auth; /* given each REGISTER's request */
	const void *account;  /* as sip_req_spec's */
	sip_req_failover_h *failover;
	sip_reg_event_h *event;
	sip_reg_done_h *done;
	void *arg;
};

SIP_API int sip_reg_start(struct sip_reg **gp, struct sip_ua *ua, const struct sip_reg_spec *spec);
/* Ends a kept registration: the binding is removed when there is one (done
 * then gets that 2xx), else done comes at once (from the loop), with
 * SIP_ECANCELED. */
SIP_API int sip_reg_stop(struct sip_reg *g);
SIP_API void sip_reg_free(struct sip_reg *g);

/* A binding of ours is in place. */
SIP_API bool sip_reg_bound(const struct sip_reg *g);
/* The expiry the registrar granted our binding, in seconds. */
SIP_API unsigned long sip_reg_granted(const struct sip_reg *g);
/* The expiry asked for: the spec's, or a 423's Min-Expires. */
SIP_API unsigned long sip_reg_expires(const struct sip_reg *g);
/* uri is the Contact this registration binds. */
SIP_API bool sip_reg_is_ours(const struct sip_reg *g, struct sip_str uri);
/* The REGISTER under way or last sent; NULL before. */
SIP_API struct sip_req *sip_reg_request(const struct sip_reg *g);

#ifdef __cplusplus
}
#endif

#endif
