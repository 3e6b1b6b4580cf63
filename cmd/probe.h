/* probe.h - what every subcommand that talks to the network shares: the
 * loop, context and resolver set up from the shared options, destinations
 * resolved per RFC 3263 with fail-over along their targets, requests built
 * with the real local address, and every message sent or received printed. */
#ifndef PROBE_H
#define PROBE_H

#include "cmd.h"

struct probe_ctx {
	const struct cmd *cmd;
	const struct cmd_common *cc;
	struct sip_ua *ua;     /* the stack: loop, context, resolver */
	struct sip_loop *loop; /* the ua's */
	bool show_messages;
	uint64_t t0;
	struct sip_msg *scratch;   /* for printing traced messages */
	struct sip_pcap *pcap;     /* --pcap */
	struct sip_ladder *ladder; /* every message, for a sequence diagram at the end */
	char call_id[40];          /* one per run: a ping's requests share it */
	char from_tag[20];
	struct sip_uri proxy; /* -p, parsed once */
	char proxy_buf[512];
	struct cmd_prompt *prompt; /* the password being typed, asked at the first challenge */
	bool no_password;          /* none could be had: every challenge is the answer */
	unsigned garbled; /* messages received that did not parse: the first few are said */
	/* The transport failure a failover warning said: not said again. */
	enum sip_tp said_tp;
	struct sip_sockaddr said_remote;
	bool said;
	int local_family;    /* -l ADDR's: only targets of that family can be sent to */
	uint16_t local_port; /* -l's port; 0: a free one, which closes as sip exits */
	/* Every probe not freed yet: a run stopped by a signal leaves some out. */
	struct probe *probes;
	/* Each message sent or received that parses, for a command that keeps
	 * its own account (sip listen: a diagram per call). */
	void (*observe)(const struct sip_msg *m, const struct sip_packet_info *pi, void *arg);
	void *observe_arg;
	bool shared;    /* the ua is the shell's (cmd_host), not ours to free */
	bool catch_all; /* the shell's listener: what no other command's messages are */
	/* In the shell's background: a challenge is answered from what is
	 * known, never asked for on the terminal. */
	/* Its requests may carry Call-IDs of their own (sip send's file): the
	 * shell passes it what it cannot tell by Call-ID. */
	bool own_call_ids;
	bool no_prompt;
	const void *asked;             /* the account the prompt is for */
	struct probe_ctx *next_shared; /* the shell's list of them */
};

struct probe_setup {
	bool show_messages;    /* print every message sent and received */
	bool ladder;           /* keep every message for probe_print_ladder */
	const char *cert_file; /* TLS server side (sip listen) */
	const char *key_file;
};

/* The stack's handlers: a message sent or received, a transport error, a
 * challenge. The shell, whose stack several commands share, passes each
 * to the probe_ctx it belongs to. */
void probe_on_trace(const struct sip_packet_info *pi, const char *buf, size_t len, void *arg);
void probe_on_tp_err(int err, enum sip_tp tp, const struct sip_sockaddr *remote, const char *detail,
                     void *arg);
void probe_on_need_credentials(struct sip_ua *ua, const struct sip_challenge *ch, void *arg);

/* Sets up from the shared options; returns 0 or an exit code after a message. */
int probe_ctx_init(struct probe_ctx *pc, const struct cmd *cmd, const struct cmd_common *cc,
                   const struct probe_setup *setup);
void probe_ctx_reset(struct probe_ctx *pc);
/* The exchange as a sequence diagram, as wide as the terminal. */
void probe_print_ladder(struct probe_ctx *pc, FILE *f);
/* The same of a ladder of the command's own (a part of the exchange). */
void probe_print_ladder_of(struct probe_ctx *pc, const struct sip_ladder *l, FILE *f);

/* Where requests for one target go: its Request-URI and the addresses the
 * target (or the outbound proxy) resolved to, in the order to try. */
struct probe_dest {
	struct probe_ctx *pc;
	const struct sip_uri *ruri;
	char ruri_text[512];
	struct sip_target targets[SIP_RESOLVE_MAX];
	size_t ntargets;
	size_t cur;
	/* Over UDP the local address towards a target does not change, so a
	 * flood formats it once: for target index cached - 1. */
	size_t cached;
	const char *contact_user; /* for the default Contact; NULL: "sip" */
	struct sip_sockaddr local;
	char host[64], peer[64];
	char user_from[300]; /* -u without --from: "<sip:USER@TARGET-DOMAIN>", else "" */
	char where[256];     /* the host resolved: the target's, or the proxy's */
	size_t peer_for;     /* index + 1 of the target peer was printed for */
	void (*ready)(struct probe_dest *d, int err, void *arg);
	void *arg;
};

/* Resolves the proxy (-p) or else uri; calls ready from the loop. */
int probe_dest_resolve(struct probe_ctx *pc, struct probe_dest *d, const struct sip_uri *uri,
                       void (*ready)(struct probe_dest *d, int err, void *arg), void *arg);
void probe_dest_reset(struct probe_dest *d);
/* The exit code for a destination that did not resolve: a usage error
 * (already said) when none of its addresses has -l's family, else DNS. */
int probe_dest_exit(int err);
/* The local address towards the current target, and what is made of it:
 * host, Via, the default From and Contact. */
int probe_dest_local(struct probe_dest *d);
struct probe;
/* The final response (err 0), or why there is none; resp is NULL for a dry
 * run. The transaction (p->txn) lives until probe_free: an INVITE's still
 * has the request its 2xx answers. */
typedef void(probe_done_h)(struct probe *p, int err, const struct sip_msg *resp, uint64_t rtt_us);

/* A request the command writes itself (struct sip_req_spec's build). */
typedef int(probe_build_h)(struct probe *p, struct sip_buf *b, const struct sip_target *t,
                           const struct sip_sockaddr *local, uint32_t cseq);

struct probe_spec {
	enum sip_method method;
	const char *method_name; /* NULL: method's; an extension method's name */
	struct probe_dest *dest;
	unsigned long seq; /* CSeq number */
	probe_done_h *done;
	void *arg;
	bool dry_run;
	/* What a command sets of its own; NULL: --from/--to/--contact, else the defaults. */
	const char *from;
	const char *to;
	const char *contact;                 /* "" for none (a REGISTER query) */
	const struct sip_build_hdr *headers; /* before the user's -H lines; copied */
	size_t nheaders;
	const char *content_type;
	const char *body;
	size_t body_len;
	/* Each provisional response, before the final one reaches done. */
	void (*provisional)(struct probe *p, const struct sip_msg *resp);
	/* The CANCEL's final response, or why it has none. */
	void (*cancelled)(struct probe *p, int err, const struct sip_msg *resp);
	probe_build_h *build; /* set: the command writes the request, per target */
	/* Points at the probe from probe_start to probe_free: to CANCEL it,
	 * or to free it when the command ends first. */
	struct probe **handle;
};

/* One request on the user agent (struct sip_req): it fails over along the
 * destination's targets, moving the destination's cursor with it. */
struct probe {
	struct probe_ctx *pc;
	struct probe *next, **prevp; /* in pc->probes */
	struct probe_spec spec;
	struct sip_req *req;
	void *arg;
	unsigned long seq;
	unsigned long cseq;               /* seq, and one more for each authenticated retry */
	bool auth_failed;                 /* credentials missing or rejected: exit 6 */
	struct sip_sockaddr local;        /* what our Via said */
	char peer[64];                    /* the target it went to: "127.0.0.1:5060" */
	const struct sip_target *peer_of; /* the target peer was printed for */
	uint64_t sent_at;
};

/* What the commands' own operations share with probes. The address of
 * r's target, "127.0.0.1:5060" ("" before one). */
void probe_peer(const struct sip_req *r, char *buf, size_t cap);
/* Ends a password prompt (the first signal): the requests waiting for it
 * end with their challenge. */
void probe_prompt_cancel(struct probe_ctx *pc);
/* resp, r's final response, is a challenge it could not answer, or a 403
 * to its credentials: says why and returns true (exit 6). */
bool probe_auth_failed(struct probe_ctx *pc, const struct sip_req *r, const struct sip_msg *resp);
/* -v over TLS: the certificate r's peer showed. */
void probe_tls_peer(struct probe_ctx *pc, const struct sip_req *r);
/* The warning as r leaves a target for the next: why, then where to. */
void probe_failover(struct probe_ctx *pc, const struct sip_req *r, int err,
                    const struct sip_target *from, const struct sip_target *next);
/* "UDP" SEP "127.0.0.1:5060", and " (NAME)" when the address came from a name. */
void probe_target_text(const struct sip_target *t, const char *sep, char *buf, size_t cap);

/* A request to d's current target on the shared options (From, To,
 * Contact, Max-Forwards, User-Agent, --timeout, the run's Call-ID and
 * From tag), for the caller to add its method, headers and handlers to. */
void probe_req_spec(struct probe_ctx *pc, struct probe_dest *d, struct sip_req_spec *rs);
/* The same for a SUBSCRIBE or REFER (-p, -t and the family too), for the
 * caller to add its event, headers and handlers to; d NULL for one in a
 * dialog, which goes where the dialog says (the caller sets dialog). */
void probe_sub_spec(struct probe_ctx *pc, struct probe_dest *d, struct sip_sub_spec *s);
int probe_start(struct probe_ctx *pc, const struct probe_spec *spec);
/* CANCELs an INVITE once it rang (sip_req_cancel); any other request ends. */
int probe_cancel(struct probe *p);
/* The request as last sent (or as a dry run built it); NULL once gone. */
const struct sip_msg *probe_request(const struct probe *p);
void probe_free(struct probe *p);
/* After a final response: Allow, Supported, Accept, Server, and NAT. */
void probe_print_summary(const struct probe *p, const struct sip_msg *resp,
                         const struct cmd_common *cc);
/* -o json, a request without a final response: the summary says why. */
void probe_print_no_answer(const char *target, const char *reason, int rc);
/* The exit code for a SIP_E* that ended a request. */
int probe_exit_code(int err);
/* Why err ended r, for a line or JSON: for a response that is not the
 * request's, "protocol violation: " and what differs (in buf, made safe
 * for a terminal); else sip_strerror's words. */
const char *probe_err_text(const struct sip_req *r, int err, char *buf, size_t cap);

#endif
