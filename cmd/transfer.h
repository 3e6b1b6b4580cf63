/* transfer.h - a transfer's progress as a REFER's NOTIFYs tell it
 * (RFC 3515 §2.4.5: each carries a message/sipfrag with the status line of
 * the INVITE the referee sent), and the verdict it comes to: shared by
 * `sip refer` and a transfer inside a call (`sip invite --transfer-to`).
 *
 * The command owns the REFER and its subscription and feeds this what
 * happens to them:
 *
 *   struct transfer t;
 *   transfer_init(&t, &cc, now, no_sub);
 *   transfer_answered(&t, resp);          the REFER's final response
 *   if (transfer_notify(&t, n, several, notify, state, now))
 *           ...stop waiting: unsubscribe  the outcome is known
 *   transfer_fail(&t, EXIT_TIMEOUT, "no final NOTIFY within 60 s");
 *   rc = transfer_exit(&t);
 *   transfer_print_summary(&t, target, refer_to, rc, now);
 *
 * A command with a summary of its own (a call) prints transfer_describe's
 * words in it instead. The times are from t0, transfer_init's now: a
 * command that sets up before the REFER goes sets t0 again when it does.
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
 *   3  no final status came (the subscription ended or the wait ran out)
 */
#ifndef TRANSFER_H
#define TRANSFER_H

#include "cmd.h"

struct transfer {
	const struct cmd_common *cc;
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
	int rc;            /* transfer_fail's code; 0 before */
	char why[160];     /* transfer_fail's why, or what was wrong with the NOTIFY */
};

void transfer_init(struct transfer *t, const struct cmd_common *cc, uint64_t now, bool no_sub);
/* The REFER's final response. */
void transfer_answered(struct transfer *t, const struct sip_msg *resp);
/* NOTIFY number t->notifies + 1 of subscription n (several: more than one
 * subscription, so the line names n), with its Subscription-State: printed.
 * True once the outcome is known (a final status, or a body that is no
 * sipfrag): the caller ends the subscription, later NOTIFYs are shown but
 * change nothing. */
bool transfer_notify(struct transfer *t, unsigned n, bool several, const struct sip_msg *notify,
                     const struct sip_substate_hdr *state, uint64_t now);
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
/* The summary (see above) for the REFER to target asking for refer_to
 * (its Refer-To value), with the exit code rc. */
void transfer_print_summary(const struct transfer *t, const char *target, const char *refer_to,
                            int rc, uint64_t now);

#endif
