/* listen.h - what the parts of `sip listen` share: the listener (options,
 * the stack, the counts), its calls (listen_call.c), its subscribers
 * (listen_state.c), and the lines it prints of each (listen.c). */
#ifndef LISTEN_H
#define LISTEN_H

#include <stdarg.h>

#include "cmd.h"
#include "probe.h"
#include "run.h"

#define LISTEN_MAX_CALLS 32 /* at once; more get 486 */
#define LISTEN_MAX_SUBS 32  /* subscribers at once; more get 503 */
#define LISTEN_EVENTS "presence, dialog, message-summary"
/* What changed, for listen_state_changed: the packages that say it are told. */
#define LISTEN_CALLS 0x1
#define LISTEN_MESSAGES 0x2

struct listener;

/* A call as dialog-info names it (RFC 4235), kept a while after it ends. */
struct lcall_id {
	unsigned n;    /* "call N" */
	bool outgoing; /* placed for a REFER */
	char call_id[128];
	char local_tag[64], remote_tag[64];
	char peer[300]; /* the far end: From (callee) or the Refer-To (caller) */
};

/* Where a call is, as dialog-info says it. */
enum lcall_phase { LCALL_TRYING, LCALL_EARLY, LCALL_CONFIRMED, LCALL_TERMINATED };

/* One call: a callee's, or (a transfer we were asked for) a caller's. */
struct lcall {
	struct listener *ls;
	struct lcall_id id;
	enum lcall_phase phase;
	struct sip_call *call;
	bool owner;                /* we are an owner of its confirmed dialog (INFO, REFER) */
	struct sip_dialog *dlg;    /* that dialog, while we are */
	struct sip_ladder *ladder; /* --ladder: this call's messages */
	char via[96];              /* "UDP 127.0.0.1:5070" */
	char media[64];            /* our media address: where the INVITE came in */
	char far_media[200];       /* the caller's offer: "PCMU/8000 at 192.0.2.1:4000, sendrecv" */
	bool late_offer;
	bool reliable, pracked, answer_due; /* --100rel: the 180 went reliably; its PRACK */
	bool hung_up;                       /* by us: Ctrl-C, -c, -d, a transfer */
	bool counted;              /* placed for a REFER outside a call: -c counts it as it ends */
	uint64_t sdp_version;      /* o= of our session descriptions in this call */
	struct sip_buf answer_sdp; /* the 200's: the answer, or (late offer) our offer */
	bool held;
	uint64_t t_answer;
	char called[300];  /* the INVITE's Request-URI: which of our addresses */
	unsigned declined; /* the status that turned it away */
	struct sip_timer ring_timer, hold_timer;
	struct lxfer *xfer;     /* the transfer this call makes (outgoing) */
	struct lxfer *referred; /* a transfer asked in this call (callee) */
};

/* A transfer we were asked for (REFER, RFC 3515): the call it places and
 * the NOTIFYs of its progress. */
struct lxfer {
	struct listener *ls;
	struct sip_notifier *notifier;
	struct lcall *from_call; /* the call the REFER came in, or NULL */
	struct lcall *call;      /* the call it places */
	char target[512];        /* Refer-To's URI, its headers taken off */
	char replaces[512];      /* Refer-To's Replaces header, unescaped; "" none */
	char referred_by[300];
	struct sip_uri uri;
	struct probe_dest dest;
	struct sip_sockaddr in_local; /* where the REFER came in */
	bool in_dialog;               /* in a call of ours (not counted by -c on its own) */
	struct sip_call *kept;        /* the REFER's call, ended, kept for its dialog's NOTIFYs */
	unsigned status;              /* the last sipfrag status: 100, 180, 200... */
	char reason[64];
	bool final;
};

/* A subscriber of ours (SUBSCRIBE for presence, dialog, message-summary). */
struct lsub {
	struct listener *ls;
	unsigned n;
	struct sip_notifier *notifier;
	char package[32];
	char entity[300]; /* the resource: the SUBSCRIBE's Request-URI */
	char from[300];
	unsigned long version;   /* dialog-info's */
	bool fetch;              /* Expires: 0, one NOTIFY */
	unsigned long gone_seen; /* the ended calls told of: those before ls->gone[this] */
	int busy_sent;           /* presence: what the last NOTIFY said; -1 before one */
};

struct listener {
	const struct cmd *cmd;
	struct cmd_common cc;
	struct probe_ctx pc;
	struct cmd_run run;
	/* options */
	unsigned long count, answer, rtp_port;
	uint64_t ring_us, duration_us;
	bool duration_set, prack, accept_refer, ladder;
	const char *register_aor;
	const char *auth_user;
	char password[256];
	bool password_set;
	/* the stack */
	struct sip_sockaddr bound;
	char where[64];
	bool stopping, stopped;
	unsigned long handled; /* out-of-dialog requests done, for -c */
	struct sip_timer stop_timer;
	uint64_t t0;
	/* calls, transfers, subscribers */
	struct lcall *calls[LISTEN_MAX_CALLS];
	unsigned ncalls_made;
	struct lxfer *xfer; /* one at a time */
	/* Diagrams of calls just ended, drawn on the next turn of the loop:
	 * the 200 to a BYE goes after the call is gone. */
	struct {
		struct sip_ladder *ladder;
		char call_id[128];
	} drawn[4];
	struct sip_timer draw_timer;
	/* Calls just ended, for dialog-info's terminated state: each
	 * subscriber is told of those that ended since its last NOTIFY. */
	struct lcall_id gone[4];
	unsigned long ngone; /* ever: gone[i % 4] is number i */
	struct lsub *subs[LISTEN_MAX_SUBS];
	unsigned nsubs_made;
	unsigned long messages_new; /* MESSAGEs received: message-summary's new */
	uint64_t sdp_session;
	/* --register */
	struct sip_reg *reg;
	char aor_buf[512];
	char aor_from[520]; /* "<AOR>": the From of the calls we place */
	struct sip_uri aor;
	struct probe_dest reg_dest;
	bool registered;
	int rc;
	/* --auth */
	char secret[33];
	/* The shell's: on its stack, in its background, calls answered by
	 * `answer N` unless `set answer auto`. */
	bool session;
	struct sip_timer detach_timer;
};

/* listen.c: lines and counts */
double listen_secs(const struct listener *ls);
/* A line of text output: "LABEL  T s  text"; f is the text after. */
void listen_line(struct listener *ls, const char *label, const char *fmt, ...) SIP_PRINTF(3, 4);
/* -o json: {"KIND":{"time":T, ...}} with the fields in fmt (they start with a comma). */
void listen_json(struct listener *ls, const char *kind, const char *fmt, ...) SIP_PRINTF(3, 4);
bool listen_json_on(const struct listener *ls);
/* An event: the line (LABEL, time, text) or the JSON object {"KIND":{"time":T FIELDS,
 * "text":...}}, the text from fmt. FIELDS are JSON members, each after a comma. */
void listen_vsay(struct listener *ls, const char *label, const char *kind, const char *fields,
                 const char *fmt, va_list ap) SIP_PRINTF(5, 0);
/* Answers in, with a line and a JSON event saying so (what: a detail or NULL). */
void listen_answer(struct listener *ls, struct sip_incoming *in, const struct sip_msg *req,
                   const struct sip_response_spec *rs, const char *what);
/* One out-of-dialog request (or a call, a subscription) is done: -c counts it. */
void listen_done_one(struct listener *ls);
/* The run may end: everything started has ended, after a signal or -c. */
void listen_maybe_stop(struct listener *ls);
/* A string for JSON, escaped, into buf. */
const char *listen_jstr(char *buf, size_t cap, const char *s);

/* The methods the listener takes, for Allow. */
const char *listen_allow(const struct listener *ls);

/* listen_call.c */
bool listen_call_incoming(struct listener *ls, struct sip_incoming *in, const struct sip_msg *req);
bool listen_refer(struct listener *ls, struct lcall *in_call, struct sip_incoming *in,
                  const struct sip_msg *req);
void listen_calls_end(struct listener *ls);
/* Hangs up (BYE, CANCEL, or 486 before the answer); subscribers see it over. */
int listen_call_hangup(struct lcall *lc);
unsigned listen_calls_live(const struct listener *ls);
bool listen_busy(const struct listener *ls); /* a call is up: presence says busy */
void listen_calls_free(struct listener *ls);
/* probe_ctx's observer: each call's messages (its diagram, its tags). */
void listen_call_observe(const struct sip_msg *m, const struct sip_packet_info *pi, void *arg);
/* The diagrams not drawn yet, drawn now. */
void listen_ladders_free(struct listener *ls);
/* The shell's answer N, reject N [CODE], bye N, and the list for `calls`. */
int listen_call_act(struct listener *ls, int argc, char **argv);
unsigned listen_calls_list(struct listener *ls); /* how many */
/* The numbers of the calls that came in, into out; how many. */
size_t listen_call_numbers(const struct listener *ls, unsigned *out, size_t cap);
/* A call of ours, placed for a transfer (x->call set), with its handlers. */
struct lcall *listen_call_place(struct listener *ls, struct lxfer *x, struct sip_req_spec *invite);

/* listen_xfer.c: a transfer's progress, from the call it placed */
void listen_xfer_progress(struct lxfer *x, unsigned status, const char *reason);
void listen_xfer_ended(struct lxfer *x, unsigned status, const char *reason);
void listen_xfer_end(struct listener *ls);
/* The call a REFER came in is going: the NOTIFYs in its dialog end. */
void listen_xfer_detach(struct lxfer *x, struct sip_call *call);
/* A run stopped at once: the transfer under way is let go. */
void listen_xfer_free(struct listener *ls);

/* listen_state.c */
bool listen_subscribe(struct listener *ls, struct sip_incoming *in, const struct sip_msg *req);
void listen_state_changed(struct listener *ls, unsigned what);
void listen_subs_end(struct listener *ls);
unsigned listen_subs_live(const struct listener *ls);
void listen_subs_free(struct listener *ls);

#endif
