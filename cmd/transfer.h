/* transfer.h - a transfer's progress as a REFER's NOTIFYs tell it
 * (RFC 3515 §2.4.5: each carries a message/sipfrag with the status line of
 * the INVITE the referee sent), and the verdict it comes to: shared by
 * `sip refer` and a transfer inside a call (`sip invite --transfer-to`).
 *
 * transfer_start sends the REFER and follows its subscription: each NOTIFY
 * shown, the first final status ending the subscription (an unsubscribe
 * when it is still active), no final status within the wait giving up
 * (EXIT_TIMEOUT); its over handler is told once, from the loop, when
 * nothing more is waited for:
 *
 *   transfer_init(&t, &pc, no_sub);
 *   transfer_start(&t, &spec, wait_us, over, arg);  the REFER's spec, its
 *                                        handlers and arg left to this
 *   transfer_stop(&t, EXIT_TIMEOUT, CMD_INTERRUPTED);      on Ctrl-C
 *   ...over(&t, arg)...
 *   rc = transfer_exit(&t);
 *   transfer_print_summary(&t, target, refer_to, rc, now);
 *   transfer_free(&t);       before the call whose dialog it borrowed
 *
 * A command with a summary of its own (a call) prints transfer_describe's
 * words in it instead. The times are from t0, when the REFER went.
 *
 * transfer_notify prints one line a NOTIFY (pretty, or raw with -q:
 * "Progress:   180 Ringing"), or one JSON object with -o json
 * ({"notify":{"n":2,"state":"active",...,"status":180,"reason":"Ringing",
 * "final":false}}); the summary is one line, or {"summary":{...}}.
 *
 * The verdict (transfer_exit), first match:
 *   7  a NOTIFY whose body is not a message/sipfrag status line
 *   0  the first final sipfrag was 2xx;   1  it was another final status
 *   the code transfer_fail was given      (auth 6, transport 4, timeout 3...)
 *   1  the REFER was refused
 *   0  the REFER was accepted and no subscription was asked for (no_sub)
 *   3  no final status came (the subscription ended or the wait ran out),
 *      or 7 when no NOTIFY was taken and some were refused as malformed
 *      (answered 400 or 489: no Subscription-State, a wrong Event...)
 * Each NOTIFY the library refuses is a warning on stderr.
 */
#ifndef TRANSFER_H
#define TRANSFER_H

#include "cmd.h"
#include "probe.h"
#include "run.h"

/* A transfer rings a person: as long as `sip invite` lets a call ring. */
#define TRANSFER_TIMEOUT_S 60

struct transfer;
typedef void(transfer_over_h)(struct transfer *t, void *arg);

struct transfer {
	const struct cmd_common *cc;
	struct probe_ctx *pc;
	bool no_sub;           /* Refer-Sub: false: the 2xx is the end */
	uint64_t t0;           /* when the REFER went, on the loop clock (see above) */
	unsigned refer_status; /* the REFER's final response; 0 before one */
	char refer_reason[64];
	unsigned notifies; /* NOTIFYs taken */
	unsigned status;   /* the last sipfrag's status; 0 before one */
	char reason[64];   /* its reason phrase */
	bool final;        /* status is the transfer's final one (>= 200) */
	uint64_t final_at; /* when that came */
	bool bad;          /* a NOTIFY carried no sipfrag status line */
	/* NOTIFYs the library refused as malformed (400, 489), and the last
	 * one's status and words */
	unsigned malformed;
	char malformed_why[96];
	int rc;        /* transfer_fail's code; 0 before */
	char why[160]; /* transfer_fail's why, or what was wrong with the NOTIFY */
	/* The run (transfer_start). */
	struct sip_sub *sub;
	bool accepted; /* the REFER's 2xx came */
	bool said;     /* the failure is on stderr already */
	bool over;     /* over was told */
	uint64_t wait_us;
	struct sip_timer wait;
	transfer_over_h *over_h;
	void *arg;
};

/*
 * The Refer-To value of arg for the option or operand name, into out: a URI
 * (a missing scheme is sip:, as in a target) or a name-addr (as --from
 * takes), a bare URI put in <> so that its parameters and headers stay its
 * own; uri_header ("Replaces=...") added to the URI's headers when given,
 * which only a sip: or sips: URI has. 0, or EXIT_USAGE after the message.
 */
int transfer_refer_to(const struct cmd *cmd, const char *name, const char *arg,
                      const char *uri_header, char *out, size_t cap);

void transfer_init(struct transfer *t, struct probe_ctx *pc, bool no_sub);
/* Sends the REFER of spec (its event_h, notify, done, failover and arg are
 * set here) and follows it, waiting wait_us at most for the final status
 * (0: no limit; no_sub waits for nothing). On failure says so and returns
 * the exit code; over is not called then. */
int transfer_start(struct transfer *t, struct sip_sub_spec *spec, uint64_t wait_us,
                   transfer_over_h *over, void *arg);
/* Gives up with rc and why (unless the outcome is known): unsubscribes,
 * then over; at once when there is no subscription to end. */
void transfer_stop(struct transfer *t, int rc, const char *why);
/* Ctrl-C: transfer_stop, interrupted, and the wait for the unsubscribe's
 * NOTIFY said on stderr. */
void transfer_interrupt(struct transfer *t);
/* The subscription and the timer: freed, nothing more sent. */
void transfer_free(struct transfer *t);
/* The outcome is known. */
bool transfer_decided(const struct transfer *t);
/* It ends without a final status: rc (EXIT_*) and why, unless one came
 * before (the first failure is the one that counts). */
void transfer_fail(struct transfer *t, int rc, const char *why);
int transfer_exit(const struct transfer *t);
/* The outcome in words, for the summary and an error line: "200 OK after
 * 1.234 s", "REFER refused: 403 Forbidden", "no final NOTIFY within 60 s
 * (last: 180 Ringing)". */
void transfer_describe(const struct transfer *t, char *buf, size_t cap, uint64_t now);
/* The summary's fields (refer_to, status, ..., exit), for a command that
 * prints them inside an object of its own. */
void transfer_print_json(const struct transfer *t, const char *refer_to, int rc, uint64_t now);
/* The summary (see above) for the REFER to target asking for refer_to
 * (its Refer-To value), with the exit code rc. */
void transfer_print_summary(const struct transfer *t, const char *target, const char *refer_to,
                            int rc, uint64_t now);

#endif
