/* sip/sdp.h - SDP: parse a session description; build audio offers and answers
 * (RFC 3264). */
#ifndef SIP_SDP_H
#define SIP_SDP_H

#include <sip/base.h>
#include <sip/str.h>
#include <sip/build.h>
#include <sip/msg.h>
#include <sip/check.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- sdp: parse side -------------------------------------------------- */

#define SIP_SDP_MAX_MEDIA 8
#define SIP_SDP_MAX_CODECS 16

enum sip_sdp_dir { SIP_SDP_SENDRECV = 0, SIP_SDP_SENDONLY, SIP_SDP_RECVONLY, SIP_SDP_INACTIVE };

struct sip_sdp_codec {
	unsigned pt;         /* payload type */
	struct sip_str name; /* from a=rtpmap, or the RFC 3551 name of a static type */
	unsigned rate;
	struct sip_str params; /* channels, after the rate */
};

struct sip_sdp_media {
	struct sip_str type; /* "audio" */
	uint16_t port;
	struct sip_str proto; /* "RTP/AVP" */
	struct sip_str fmts;  /* the format list as written ("0 8 101", "t38") */
	struct sip_str conn;  /* c= of the media, or the session's */
	enum sip_sdp_dir dir;
	unsigned ncodecs;
	struct sip_sdp_codec codecs[SIP_SDP_MAX_CODECS];
};

struct sip_sdp {
	struct sip_str origin;  /* o= */
	struct sip_str session; /* s= */
	struct sip_str conn;    /* session-level c= address ("IN IP4 192.0.2.1") */
	enum sip_sdp_dir dir;   /* session-level direction */
	unsigned nmedia;
	struct sip_sdp_media media[SIP_SDP_MAX_MEDIA];
};
SIP_API int sip_sdp_parse(struct sip_sdp *sdp, struct sip_str body);
SIP_API const char *sip_sdp_dir_name(enum sip_sdp_dir dir);
/* m has a body that says it is SDP (Content-Type: application/sdp). */
SIP_API bool sip_sdp_in(const struct sip_msg *m);

/* ---- sdp: offers and answers (RFC 3264) ----------------------------- */

/*
 * Codecs the builder knows, by name (any case) or payload number: PCMU (0),
 * GSM (3), G723 (4), PCMA (8), G722 (9), CN (13), G729 (18, annexb=no),
 * AMR (96), iLBC (97, mode=30), speex (98), AMR-WB (99), telephone-event
 * (101, events 0-16), opus (111).
 */
#define SIP_SDP_DEFAULT_CODECS "PCMU,PCMA,telephone-event"

struct sip_sdp_spec {
	const char *addr;     /* numeric IPv4 or IPv6 (brackets allowed) for o= and c= */
	uint16_t port;        /* RTP port of the audio stream */
	const char *codecs;   /* comma-separated, in preference order; NULL: the default */
	enum sip_sdp_dir dir; /* ours: sendonly puts the peer on hold */
	uint64_t session_id;  /* o= sess-id; 0: the wall clock in µs since the NTP epoch */
	uint64_t version;     /* o= sess-version: bump it for a re-offer (re-INVITE, UPDATE) */
	unsigned ptime;       /* 0: 20 ms */
};
/* Appends an offer: one audio stream with the codecs of s->codecs, each with
 * a=rtpmap (static ones too: many UAs want them) and its a=fmtp. */
SIP_API int sip_sdp_build_offer(struct sip_buf *out, const struct sip_sdp_spec *s);
/*
 * Appends the answer to a parsed offer (RFC 3264 §6): the first audio
 * RTP/AVP stream gets the codecs of s->codecs that the offer has, in the
 * offer's order and with its payload numbers (dynamic ones matched by name,
 * rate and channels), and the direction both sides allow (an offer's
 * sendonly gets recvonly); every other stream is rejected with port 0.
 * SIP_ENOTFOUND when there is no such stream, or no voice codec in common
 * (telephone-event or CN alone make no call).
 */
SIP_API int sip_sdp_build_answer(struct sip_buf *out, const struct sip_sdp *offer,
                                 const struct sip_sdp_spec *s);
/*
 * Checks an answer against the offer it answers (RFC 3264 section 6): one
 * m= line for each offered stream, of the same media type, and in each
 * stream that is not rejected (port 0) at least one format the offer had: a
 * static payload type by its number, a dynamic one by its encoding name and
 * clock rate. (A unicast answer may list more formats than were offered,
 * to receive.) Fills at most max warnings and returns how many problems
 * were found.
 */
SIP_API size_t sip_sdp_answer_check(const struct sip_sdp *offer, const struct sip_sdp *answer,
                                    struct sip_diag *out, size_t max);
/* Checks a codec list: SIP_EINVAL for an unknown name, SIP_EEMPTY for an
 * empty item, with *bad (when not NULL) set to the item, so that a command
 * can say "unknown codec 'X'". NULL is the default list. */
SIP_API int sip_sdp_codecs_check(const char *list, struct sip_str *bad);

#ifdef __cplusplus
}
#endif
#endif
