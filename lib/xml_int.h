/* xml_int.h - a small pull tokenizer for the XML of event bodies (PIDF,
 * dialog-info, reginfo). Not exported. It allocates nothing, never recurses,
 * bounds the nesting, and refuses what these documents never need (a DTD,
 * and with it entity definitions that could expand without bound). */
#ifndef XML_INT_H
#define XML_INT_H

#include "sip_int.h"

#define XML_MAX_DEPTH 32

enum xml_type { XML_OPEN = 1, XML_CLOSE, XML_TEXT };

struct xml_tok {
	enum xml_type type;
	struct sip_str name;  /* OPEN, CLOSE: the local name, without its prefix */
	struct sip_str attrs; /* OPEN: the attributes as written, checked */
	struct sip_str text;  /* TEXT: as written, entities not decoded */
};

struct xml {
	struct sip_str in;
	size_t pos;
	unsigned depth;
	bool done;                          /* the root element has closed */
	bool pending_close;                 /* <a/> was returned as OPEN; its CLOSE comes next */
	struct sip_str open[XML_MAX_DEPTH]; /* qualified names, to match the end tags */
};

void xml_init(struct xml *x, struct sip_str doc);
/* The next token: 1, 0 at the end of a well-formed document, or SIP_ESYNTAX
 * (malformed or truncated), SIP_ETOOBIG (nested deeper than XML_MAX_DEPTH). An
 * element written <a/> gives OPEN then CLOSE. Whitespace-only text, comments,
 * processing instructions and the XML declaration are skipped. */
int xml_next(struct xml *x, struct xml_tok *t);
/* The local name of the open element n levels up: 0 is the innermost (after
 * an OPEN, that element; after a CLOSE, its parent); empty when there is none. */
struct sip_str xml_parent(const struct xml *x, unsigned n);
/* The value (entities not decoded) of the attribute whose local name is name. */
bool xml_attr(struct sip_str attrs, const char *name, struct sip_str *value);
/* s without the XML whitespace at its ends. */
struct sip_str xml_trim(struct sip_str s);

#endif
