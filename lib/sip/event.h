/* sip/event.h - decoders of the bodies that NOTIFY (and PUBLISH) carry:
 * message/sipfrag (RFC 3420), application/pidf+xml (RFC 3863, with the RPID
 * activities of RFC 4480), application/dialog-info+xml (RFC 4235),
 * application/simple-message-summary (RFC 3842) and application/reginfo+xml
 * (RFC 3680); and their one-line summaries, pretty or JSON. And builders of
 * the PIDF, dialog-info and message-summary bodies a notifier sends.
 *
 * Like the message parser they allocate nothing: every field is a slice of
 * the body, and XML text and attribute values are kept as written, entities
 * not decoded (sip_xml_text decodes one). Lists have a fixed capacity; what
 * does not fit is dropped and `truncated` set. Namespaces are matched by
 * local name. A body that is not well-formed, is truncated, nests deeper
 * than 32 elements, has a DTD, or has the wrong root gets SIP_ESYNTAX (or
 * SIP_ETOOBIG for the nesting). */
#ifndef SIP_EVENT_H
#define SIP_EVENT_H

#include <sip/base.h>
#include <sip/str.h>
#include <sip/print.h>
#include <sip/build.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- event: body types ------------------------------------------------ */

enum sip_evbody_type {
	SIP_EVBODY_NONE = 0, /* none of the types below */
	SIP_EVBODY_SIPFRAG,
	SIP_EVBODY_PIDF,
	SIP_EVBODY_DIALOGINFO,
	SIP_EVBODY_MWI,
	SIP_EVBODY_REGINFO,
};
/* The type a Content-Type value (parameters allowed) names. */
SIP_API enum sip_evbody_type sip_evbody_type_of(struct sip_str content_type);
/* "sipfrag", "pidf", "dialog-info", "message-summary", "reginfo", or NULL. */
SIP_API const char *sip_evbody_name(enum sip_evbody_type type);
/* XML character data with its entity and character references decoded into
 * out, NUL-terminated and cut (at a whole character) to fit cap; returns its
 * length. */
SIP_API size_t sip_xml_text(struct sip_str raw, char *out, size_t cap);

/* ---- message/sipfrag (RFC 3420) --------------------------------------- */

/* A fragment holds a start line and maybe headers; a REFER's NOTIFY carries
 * the status line of the transfer's INVITE ("SIP/2.0 180 Ringing"). */
struct sip_sipfrag {
	bool is_request;
	unsigned status;        /* responses: 100-699 */
	struct sip_str reason;  /* responses */
	struct sip_str method;  /* requests */
	struct sip_str ruri;    /* requests */
	struct sip_str headers; /* the header lines after the start line, as written */
};
SIP_API int sip_sipfrag_parse(struct sip_sipfrag *f, struct sip_str body);

/* ---- application/pidf+xml (RFC 3863, RPID RFC 4480) --------------------- */

#define SIP_PIDF_MAX_TUPLES 8
#define SIP_PIDF_MAX_NOTES 4
#define SIP_PIDF_MAX_ACTIVITIES 4

enum sip_basic { SIP_BASIC_NONE = 0, SIP_BASIC_OPEN, SIP_BASIC_CLOSED };

struct sip_pidf_tuple {
	struct sip_str id;
	enum sip_basic basic; /* <status><basic> */
	struct sip_str contact;
	struct sip_str note; /* the tuple's first <note> */
};

struct sip_pidf {
	struct sip_str entity; /* "pres:bob@example.com" */
	enum sip_basic basic;  /* open when any tuple is open, closed when one is and none open */
	unsigned ntuples;
	struct sip_pidf_tuple tuples[SIP_PIDF_MAX_TUPLES];
	/* Notes of the document, its tuples and persons, in document order. */
	unsigned nnotes;
	struct sip_str notes[SIP_PIDF_MAX_NOTES];
	/* RPID activities by element name ("on-the-phone", "busy", "away"); an
	 * <rpid:other> gives its text. */
	unsigned nactivities;
	struct sip_str activities[SIP_PIDF_MAX_ACTIVITIES];
	bool truncated;
};
SIP_API int sip_pidf_parse(struct sip_pidf *p, struct sip_str body);

/* ---- application/dialog-info+xml (RFC 4235) ---------------------------- */

#define SIP_DIALOGINFO_MAX 8

struct sip_dialoginfo_dialog {
	struct sip_str id, call_id, local_tag, remote_tag;
	struct sip_str direction; /* "initiator", "recipient", or empty */
	struct sip_str state;     /* "trying", "proceeding", "early", "confirmed", "terminated" */
	struct sip_str event;     /* the state's event attribute ("rejected", "replaced") */
	struct sip_str remote;    /* <remote><identity>, else <remote><target uri> */
	struct sip_str remote_display;
	struct sip_str local; /* <local><identity> */
};

struct sip_dialoginfo {
	struct sip_str entity;
	struct sip_str state; /* "full" or "partial" */
	uint32_t version;
	unsigned ndialogs;
	struct sip_dialoginfo_dialog dialogs[SIP_DIALOGINFO_MAX];
	bool truncated;
};
SIP_API int sip_dialoginfo_parse(struct sip_dialoginfo *d, struct sip_str body);

/* ---- application/simple-message-summary (RFC 3842) --------------------- */

#define SIP_MWI_MAX_CLASSES 8

struct sip_mwi_class {
	struct sip_str name; /* "Voice-Message", "Fax-Message", ... */
	uint32_t new_msgs, old_msgs;
	bool has_urgent;
	uint32_t new_urgent, old_urgent;
};

struct sip_mwi {
	bool waiting; /* Messages-Waiting: yes */
	struct sip_str account;
	unsigned nclasses;
	struct sip_mwi_class classes[SIP_MWI_MAX_CLASSES];
	bool truncated;
};
SIP_API int sip_mwi_parse(struct sip_mwi *m, struct sip_str body);

/* ---- application/reginfo+xml (RFC 3680) -------------------------------- */

#define SIP_REGINFO_MAX_REGS 4
#define SIP_REGINFO_MAX_CONTACTS 8

struct sip_reginfo_contact {
	struct sip_str id, state, event, uri, display;
	bool has_expires;
	uint32_t expires;
};

struct sip_reginfo_reg {
	struct sip_str aor, id, state;
	unsigned ncontacts;
	struct sip_reginfo_contact contacts[SIP_REGINFO_MAX_CONTACTS];
};

struct sip_reginfo {
	struct sip_str state; /* "full" or "partial" */
	uint32_t version;
	unsigned nregs;
	struct sip_reginfo_reg regs[SIP_REGINFO_MAX_REGS];
	bool truncated; /* registrations or contacts were left out */
};
SIP_API int sip_reginfo_parse(struct sip_reginfo *r, struct sip_str body);

/* ---- building bodies (for NOTIFY and PUBLISH) ------------------------- */

/* Each builder appends a whole body to out, or nothing and an error:
 * SIP_EINVAL for a missing or unknown value, or text an XML document cannot
 * hold (control characters other than HT, CR and LF). Text and attribute
 * values are escaped (&, <, >, ", '). */

/* Presence of one tuple (RFC 3863), and what the person does (RPID, RFC 4480). */
struct sip_pidf_spec {
	const char *entity;   /* "pres:alice@example.com" or a SIP URI */
	const char *tuple_id; /* NULL: "t1" */
	bool open;            /* <basic>open</basic>, else closed */
	const char *contact;  /* NULL: none */
	const char *note;     /* NULL: none */
	/* An activity of RFC 4480 §3.2 ("on-the-phone", "away", "busy") becomes
	 * its element; other text an <rpid:other>. NULL: none. */
	const char *activity;
};
SIP_API int sip_pidf_build(struct sip_buf *out, const struct sip_pidf_spec *spec);

struct sip_dialoginfo_dialog_spec {
	const char *id;                               /* required */
	const char *call_id, *local_tag, *remote_tag; /* NULL: left out */
	const char *direction;                        /* "initiator", "recipient", or NULL */
	const char *state; /* "trying", "proceeding", "early", "confirmed", "terminated" */
	const char *local, *local_display;   /* <local><identity>; NULL: none */
	const char *remote, *remote_display; /* <remote><identity>; NULL: none */
};
/* Dialog state (RFC 4235): the dialogs of entity, the whole list (full) or
 * the ones that changed (partial); the version counts the documents sent
 * in the subscription, from 0. */
struct sip_dialoginfo_spec {
	const char *entity;
	uint32_t version;
	bool partial;
	const struct sip_dialoginfo_dialog_spec *dialogs;
	size_t ndialogs;
};
SIP_API int sip_dialoginfo_build(struct sip_buf *out, const struct sip_dialoginfo_spec *spec);

/* A message summary (RFC 3842) from m: Messages-Waiting, Message-Account
 * when m->account is not empty, and a line for each class, with urgent
 * counts when has_urgent. Class names are tokens ("Voice-Message"). */
SIP_API int sip_mwi_build(struct sip_buf *out, const struct sip_mwi *m);

/* ---- any of them ------------------------------------------------------- */

struct sip_evbody {
	enum sip_evbody_type type;
	union {
		struct sip_sipfrag sipfrag;
		struct sip_pidf pidf;
		struct sip_dialoginfo dialoginfo;
		struct sip_mwi mwi;
		struct sip_reginfo reginfo;
	} u;
};
/* Decodes body by the type its Content-Type names; SIP_EINVAL for a type
 * none of the decoders reads. */
SIP_API int sip_evbody_parse(struct sip_evbody *b, struct sip_str content_type,
                             struct sip_str body);
/*
 * Pretty (SIP_PRINT_RAW too): the summary, one line, or for bodies with
 * several parts (dialogs, registrations) a line for the whole and one more,
 * indented two spaces, for each part; each line starts with indent (NULL: none).
 *   sipfrag      180 Ringing
 *   pidf         pres:bob@example.com: open (on-the-phone) "In a meeting"
 *   dialog-info  sip:bob@example.com: 1 dialog (full, version 3)
 *                  dialog a1: confirmed, initiator, remote "Alice" sip:alice@example.com
 *   mwi          messages waiting: yes, voice-message 2 new (1 urgent), 8 old; account sip:...
 *   reginfo      sip:alice@example.com: active
 *                  contact sip:alice@192.0.2.1:5060: active (registered, expires 3600)
 * JSON: one object with no newline, its fields named as in the structs.
 */
SIP_API void sip_evbody_print(FILE *f, const struct sip_evbody *b, enum sip_print_format fmt,
                              const char *indent);

#ifdef __cplusplus
}
#endif
#endif
