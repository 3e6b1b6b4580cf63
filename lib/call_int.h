/* call_int.h - what the call's modules (call.c the session, call_out.c
 * the caller, call_in.c the callee, call_timer.c RFC 4028 session timers)
 * share: the call, and the functions one calls in another. Not exported. */
#ifndef SIP_CALL_INT_H
#define SIP_CALL_INT_H

#include <stdlib.h>
#include <string.h>

#include "sip_int.h"
#include "ua_int.h"

#define MAX_EARLY 4
#define MAX_FORKS 4 /* 2xx from other forks, each ACKed and hung up */
#define MAX_JOBS 8
#define MAX_SUBS 8 /* requests in the dialogs at once */
#define ALLOW "INVITE, ACK, CANCEL, BYE, PRACK, UPDATE, OPTIONS"

/* An early dialog from a reliable provisional response (RFC 3262). */
struct early {
	struct sip_dialog *d;
	uint32_t rseq;   /* the last one PRACKed */
	uint32_t queued; /* the one whose PRACK waits for the next hop */
	bool answered;   /* the offer and answer are done: in its 1xx, or its 1xx and our PRACK */
	struct sip_buf prack_body; /* our answer to the offer in a 1xx, for a late-offer INVITE */
};

/* An ACK for a 2xx (no transaction: §13.2.2.4), kept with where it went:
 * the 2xx again gets it again, to the same place. */
struct ack {
	struct sip_target to;
	struct sip_buf msg; /* empty until sent */
	uint32_t cseq;      /* of the INVITE it acknowledges */
};

/* A dialog a forking proxy gave us besides the call's: another phone that
 * answered too (§13.2.2.4). */
struct fork {
	struct sip_dialog *d;
	struct ack ack;
	struct sip_buf answer; /* to its 2xx's offer, for a late-offer INVITE */
};

enum kind { K_INVITE, K_ACK, K_PRACK, K_BYE, K_MODIFY, K_FORK, K_REFRESH };

/* What waits for the next hop. */
struct job {
	enum kind kind;
	struct sip_dialog *d;
	uint32_t rseq; /* a PRACK's */
	char rack[48]; /* its "RAck: 1 1 INVITE" */
};

/* A request of the call: handlers find the call and the kind through it. */
struct sub {
	struct sip_call *c;
	struct sip_req *r;
	enum kind kind;
};

struct sip_call {
	struct sip_ua *ua;
	sip_call_event_h *event;
	sip_call_sdp_h *sdp;
	sip_call_done_h *done;
	void *arg;
	/* what the dialog's requests take from the INVITE's spec */
	sip_req_auth_h *auth;
	const void *account; /* its requests' (sip_req_spec's) */
	sip_req_failover_h *failover;
	uint64_t timeout_us;
	int transport, family;
	bool via_proxy, late_offer, prack;
	char contact_user[64];
	char allow[160];   /* "Allow: INVITE, ..." */
	char contact[300]; /* our Contact, as the INVITE said it */
	char *user_agent;  /* the INVITE's, on every request in the dialog; NULL: none */
	char call_id[40], from_tag[20];
	enum sip_call_state state;
	/* the caller's INVITE */
	struct sub invite;
	/* the callee's: held until its final response */
	bool uas, bye_wanted, no_ack;
	struct sip_incoming *in;
	char local_tag[24];
	uint32_t invite_cseq;
	struct sip_timer no_ack_timer, later;
	enum sip_call_end later_how;
	bool invite_done, offer_done; /* the INVITE's final response; its offer answered */
	/* the callee's reliable 1xx (RFC 3262 §3): one at a time, sent again
	 * until its PRACK */
	bool rel;                  /* the INVITE's 1xx go reliably */
	bool rel_out;              /* the last one waits for its PRACK */
	bool rel_offered;          /* a late offer's: our offer went in it, the PRACK answers */
	bool early_sdp;            /* a reliable 1xx carried our session description */
	uint32_t rseq;             /* the last one's RSeq */
	unsigned rel_status, held; /* its status; a 2xx that waits for its PRACK */
	char *rel_type;
	struct sip_buf rel_body;
	uint64_t rel_interval, rel_next, rel_waited; /* its retransmissions, µs */
	struct sip_timer rel_timer;
	uint32_t reoffer_cseq; /* the far end's offerless re-INVITE we put an offer in */
	struct sip_timer kick; /* runs the jobs an API call queued, from the loop */
	struct sip_timer modify_timer;
	struct sub *modify_sub;      /* the UPDATE or re-INVITE under way */
	struct sip_dialog *modify_d; /* and its dialog */
	/* the session timer (RFC 4028), when the far end asked for one */
	unsigned se;      /* the session interval, seconds; 0: none */
	bool se_ours;     /* we refresh it; else the far end does */
	bool se_update;   /* the far end takes UPDATE: refreshes go as UPDATE, no body */
	bool expired;     /* the BYE went because the session expired */
	uint64_t se_end;  /* when it is given up unless refreshed, on the loop clock */
	char se_line[64]; /* "Session-Expires: 1800;refresher=uac" */
	struct sip_timer se_timer;
	struct sub *refresh_sub; /* our session refresh under way */
	bool cancel_wanted, provisional_seen;
	struct early early[MAX_EARLY];
	size_t nearly;
	struct sip_dialog *dialog;
	struct ack ack;
	struct sip_buf ack_body; /* a late offer's answer */
	uint32_t answered_cseq;
	struct fork forks[MAX_FORKS];
	size_t nforks;
	/* where the dialog's requests go */
	char hop_text[512];
	struct sip_uri hop_uri;
	struct sip_target hop[SIP_RESOLVE_MAX];
	size_t nhop;
	bool hop_resolving;
	struct job jobs[MAX_JOBS];
	size_t njobs;
	struct sub subs[MAX_SUBS];
	bool modifying;
	char modify_method[16];
	char *offer_type;
	struct sip_buf offer;
	const struct sip_req *current; /* whose response the handler is given */
	unsigned depth;                /* handlers of ours under way: a free waits for them */
	bool freed;
};

/* call.c: the session */
void call_enter(struct sip_call *c);
void call_leave(struct sip_call *c);
void call_emit(struct sip_call *c, enum sip_call_event ev, int err, const struct sip_msg *m);
void call_end(struct sip_call *c, enum sip_call_end how, int err, const struct sip_msg *m);
uint32_t call_cseq_num(const struct sip_msg *m);
bool call_lists(const struct sip_msg *m, enum sip_hdr_id id, const char *name);
void call_ack_init(struct ack *a);
void call_on_auth(struct sip_req *r, const struct sip_challenge *ch, void *arg);
void call_on_failover(struct sip_req *r, int err, const struct sip_target *from,
                      const struct sip_target *next, void *arg);
int call_send_sub(struct sip_call *c, enum kind kind, struct sip_dialog *d, const char *method,
                  const char *extra, const char *content_type, const struct sip_buf *body);
void call_job_failed(struct sip_call *c, const struct job *job, int err);
void call_run_jobs(struct sip_call *c);
int call_push(struct sip_call *c, enum kind kind, struct sip_dialog *d, uint32_t rseq,
              const char *rack);
void call_queue(struct sip_call *c, enum kind kind, struct sip_dialog *d);
bool call_answer_offer(struct sip_call *c, const struct sip_msg *req, struct sip_buf *body,
                       struct sip_response_spec *rs);
bool call_on_request(struct sip_incoming *in, const struct sip_msg *req, void *arg);
void call_on_stray(const struct sip_msg *m, const struct sip_packet_info *pi, void *arg);
int call_new(struct sip_call **cp, struct sip_ua *ua, const struct sip_call_spec *spec);
void call_destroy(struct sip_call *c);

/* call_out.c: the caller */
struct fork *call_fork_new(struct sip_call *c, const struct sip_msg *m, uint32_t cseq);

/* call_in.c: the callee */
void call_acked(struct sip_call *c, const struct sip_msg *ack);
void call_prack_in(struct sip_call *c, struct sip_incoming *in, const struct sip_msg *req);

/* call_timer.c: session timers (RFC 4028) */
int call_send_refresh(struct sip_call *c, struct sip_dialog *d);
void call_se_arm(struct sip_call *c);
void call_expire(struct sip_call *c);
void call_on_se_timer(void *arg);
void call_se_answered(struct sip_call *c, const struct sip_msg *resp);
void call_se_refresh_done(struct sip_call *c, int err, const struct sip_msg *resp);
size_t call_se_refreshed(struct sip_call *c, const struct sip_msg *req, char *line, size_t cap,
                         struct sip_build_hdr *hdrs);

#endif
