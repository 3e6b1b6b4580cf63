/* sip/check.h - validation of a parsed message, with a line number for each problem. */
#ifndef SIP_CHECK_H
#define SIP_CHECK_H

#include <sip/base.h>
#include <sip/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- check: validation with line numbers ------------------------------ */

enum sip_severity { SIP_SEV_WARNING = 1, SIP_SEV_ERROR = 2 };

struct sip_diag {
	uint32_t line; /* 0 when the problem belongs to no single line */
	enum sip_severity severity;
	char text[160];
};

/*
 * Checks a parsed message against RFC 3261 and its extensions: every known
 * header's syntax and ranges, required headers, CSeq method, Request-URI,
 * Content-Length against the body. Fills at most max diagnostics in order
 * of their lines and returns how many problems were found in all.
 */
SIP_API size_t sip_msg_check(const struct sip_msg *msg, struct sip_diag *out, size_t max);

/*
 * Counts the headers every request and response needs (Via, From, To,
 * Call-ID, CSeq) that msg lacks, and writes their names, comma-separated,
 * into out (cap bytes, always terminated when cap > 0). A message that lacks
 * one cannot be matched to a transaction or dialog, nor answered.
 */
SIP_API size_t sip_msg_missing(const struct sip_msg *msg, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
