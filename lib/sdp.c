/* sdp.c - decode the parts of an SDP body (RFC 4566) that a troubleshooter
 * reads: origin, connection, media with their codecs, and direction. Like
 * the message parser it allocates nothing; every field is a slice. And
 * write the audio offer or answer (RFC 3264) a call needs. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sip/sip.h>
#include "sip_int.h"

/* RFC 3551 tables 4 and 5: payload types that need no a=rtpmap. */
static const struct {
	const char *name;
	unsigned rate;
	const char *channels;
} static_pt[] = {
	[0] = {"PCMU", 8000, NULL},   [3] = {"GSM", 8000, NULL},    [4] = {"G723", 8000, NULL},
	[5] = {"DVI4", 8000, NULL},   [6] = {"DVI4", 16000, NULL},  [7] = {"LPC", 8000, NULL},
	[8] = {"PCMA", 8000, NULL},   [9] = {"G722", 8000, NULL},   [10] = {"L16", 44100, "2"},
	[11] = {"L16", 44100, NULL},  [12] = {"QCELP", 8000, NULL}, [13] = {"CN", 8000, NULL},
	[14] = {"MPA", 90000, NULL},  [15] = {"G728", 8000, NULL},  [16] = {"DVI4", 11025, NULL},
	[17] = {"DVI4", 22050, NULL}, [18] = {"G729", 8000, NULL},  [25] = {"CelB", 90000, NULL},
	[26] = {"JPEG", 90000, NULL}, [28] = {"nv", 90000, NULL},   [31] = {"H261", 90000, NULL},
	[32] = {"MPV", 90000, NULL},  [33] = {"MP2T", 90000, NULL}, [34] = {"H263", 90000, NULL},
};

static const char *const dir_names[] = {
	[SIP_SDP_SENDRECV] = "sendrecv",
	[SIP_SDP_SENDONLY] = "sendonly",
	[SIP_SDP_RECVONLY] = "recvonly",
	[SIP_SDP_INACTIVE] = "inactive",
};

const char *sip_sdp_dir_name(enum sip_sdp_dir dir)
{
	return (unsigned)dir < sizeof dir_names / sizeof dir_names[0] ? dir_names[dir] : "unknown";
}

bool sip_msg_is_sdp(const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CONTENT_TYPE);
	struct sip_ctype ct;
	return h && sip_ctype_parse(&ct, h->value) == 0 &&
	       sip_str_ieq_cstr(ct.type, "application") && sip_str_ieq_cstr(ct.subtype, "sdp");
}

/* Takes the next run of characters up to a space or tab from *s. */
static struct sip_str next_word(struct sip_str *s)
{
	size_t i = 0, j;
	while (i < s->len && (s->p[i] == ' ' || s->p[i] == '\t'))
		i++;
	for (j = i; j < s->len && s->p[j] != ' ' && s->p[j] != '\t'; j++)
		;
	struct sip_str w = sip_str_sub(*s, i, j);
	*s = sip_str_sub(*s, j, s->len);
	return w;
}

/* Splits *s at the first c: returns what is before it and leaves the rest,
 * or returns all of *s and leaves it empty. */
static struct sip_str cut(struct sip_str *s, char c)
{
	const char *at = memchr(s->p, c, s->len);
	size_t n = at ? (size_t)(at - s->p) : s->len;
	struct sip_str head = sip_str_sub(*s, 0, n);
	*s = sip_str_sub(*s, at ? n + 1 : n, s->len);
	return head;
}

static void add_codec(struct sip_sdp_media *m, struct sip_str fmt)
{
	uint32_t pt;
	/* Formats that are no payload type number (udptl's "t38") have no codec. */
	if (m->ncodecs == SIP_SDP_MAX_CODECS || sip_str_to_u32(fmt, &pt) != 0)
		return;
	struct sip_sdp_codec *c = &m->codecs[m->ncodecs++];
	memset(c, 0, sizeof *c);
	c->pt = pt;
	if (pt < sizeof static_pt / sizeof static_pt[0] && static_pt[pt].name) {
		c->name = sip_str_from(static_pt[pt].name);
		c->rate = static_pt[pt].rate;
		c->params = sip_str_from(static_pt[pt].channels);
	}
}

/* "m=audio 49170[/2] RTP/AVP 0 8 101" */
static int parse_media(struct sip_sdp_media *m, struct sip_str v)
{
	m->type = next_word(&v);
	struct sip_str port = next_word(&v);
	m->proto = next_word(&v);
	if (m->type.len == 0 || m->proto.len == 0)
		return SIP_ESYNTAX;
	uint64_t n;
	int err = sip_str_to_u64(cut(&port, '/'), UINT16_MAX, &n);
	if (err)
		return err;
	m->port = (uint16_t)n;
	m->fmts = sip_str_trim(v);
	for (struct sip_str fmt = next_word(&v); fmt.len; fmt = next_word(&v))
		add_codec(m, fmt);
	return 0;
}

/* "a=rtpmap:101 telephone-event/8000[/1]"; one that names no format of the
 * medium, or is malformed, is ignored like any attribute we do not know. */
static void parse_rtpmap(struct sip_sdp_media *m, struct sip_str v)
{
	uint32_t pt, rate;
	if (sip_str_to_u32(next_word(&v), &pt) != 0)
		return;
	struct sip_str enc = next_word(&v);
	struct sip_str name = cut(&enc, '/');
	if (name.len == 0 || sip_str_to_u32(cut(&enc, '/'), &rate) != 0)
		return;
	for (unsigned i = 0; i < m->ncodecs; i++) {
		if (m->codecs[i].pt != pt)
			continue;
		m->codecs[i].name = name;
		m->codecs[i].rate = rate;
		m->codecs[i].params = enc;
		return;
	}
}

static bool parse_dir(struct sip_str v, enum sip_sdp_dir *dir)
{
	for (unsigned d = 0; d < sizeof dir_names / sizeof dir_names[0]; d++) {
		if (sip_str_eq(v, sip_str_from(dir_names[d]))) {
			*dir = (enum sip_sdp_dir)d;
			return true;
		}
	}
	return false;
}

/* a=<direction> at either level, a=rtpmap in a medium; others are ignored. */
static void parse_attr(struct sip_sdp *sdp, struct sip_sdp_media *cur, struct sip_str v)
{
	if (parse_dir(sip_str_trim(v), cur ? &cur->dir : &sdp->dir))
		return;
	if (cur && sip_str_eq(cut(&v, ':'), SIP_STR("rtpmap")))
		parse_rtpmap(cur, v);
}

bool sip_sdp_in(const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CONTENT_TYPE);
	struct sip_ctype ct;
	return m->body.len && h && sip_ctype_parse(&ct, h->value) == 0 &&
	       sip_str_ieq(ct.type, SIP_STR("application")) &&
	       sip_str_ieq(ct.subtype, SIP_STR("sdp"));
}

int sip_sdp_parse(struct sip_sdp *sdp, struct sip_str body)
{
	memset(sdp, 0, sizeof *sdp);
	struct sip_sdp_media *cur = NULL; /* NULL at session level */
	bool skip = false;                /* inside a medium beyond SIP_SDP_MAX_MEDIA */
	bool any = false;
	while (body.len) {
		struct sip_str line = cut(&body, '\n');
		if (line.len && line.p[line.len - 1] == '\r')
			line.len--;
		/* A stray blank line, often a last one, carries nothing to reject. */
		if (line.len == 0)
			continue;
		if (line.len < 2 || !sip_is_alpha(line.p[0]) || line.p[1] != '=')
			return SIP_ESYNTAX;
		any = true;
		struct sip_str v = sip_str_sub(line, 2, line.len);
		if (line.p[0] == 'm') {
			skip = sdp->nmedia == SIP_SDP_MAX_MEDIA;
			if (skip)
				continue;
			cur = &sdp->media[sdp->nmedia++];
			cur->conn = sdp->conn;
			cur->dir = sdp->dir;
			int err = parse_media(cur, v);
			if (err)
				return err;
			continue;
		}
		if (skip)
			continue;
		switch (line.p[0]) {
		case 'o':
			if (!cur)
				sdp->origin = v;
			break;
		case 's':
			if (!cur)
				sdp->session = v;
			break;
		case 'c': *(cur ? &cur->conn : &sdp->conn) = sip_str_trim(v); break;
		case 'a': parse_attr(sdp, cur, v); break;
		}
	}
	return any ? 0 : SIP_EEMPTY;
}

/* ---- offers and answers ------------------------------------------------ */

/* A codec the builder offers: the payload number it gets in an offer
 * (RFC 3551's for a static type; for a dynamic one ours, none shared) and
 * the fmtp it is offered with. G722 says 8000 though it samples at 16 kHz
 * (RFC 3551 §4.5.2); G729's annex B silence suppression trips many
 * gateways; iLBC's 30 ms frames are what RFC 3952 falls back to; opus is
 * always /2 in SDP (RFC 7587 §7). */
struct known {
	const char *name;
	unsigned rate;
	unsigned channels;
	unsigned pt;
	const char *fmtp;
	bool voice; /* telephone-event and CN carry no speech: alone they make no call */
};

static const struct known known[] = {
	{"PCMU", 8000, 1, 0, NULL, true},         {"GSM", 8000, 1, 3, NULL, true},
	{"G723", 8000, 1, 4, NULL, true},         {"PCMA", 8000, 1, 8, NULL, true},
	{"G722", 8000, 1, 9, NULL, true},         {"CN", 8000, 1, 13, NULL, false},
	{"G729", 8000, 1, 18, "annexb=no", true}, {"AMR", 8000, 1, 96, NULL, true},
	{"iLBC", 8000, 1, 97, "mode=30", true},   {"speex", 8000, 1, 98, NULL, true},
	{"AMR-WB", 16000, 1, 99, NULL, true},     {"telephone-event", 8000, 1, 101, "0-16", false},
	{"opus", 48000, 2, 111, NULL, true},
};
#define NKNOWN (sizeof known / sizeof known[0])

static const struct known *find_known(struct sip_str item)
{
	uint32_t pt;
	bool num = sip_str_to_u32(item, &pt) == 0;
	for (size_t i = 0; i < NKNOWN; i++)
		if (num ? known[i].pt == pt : sip_str_ieq_cstr(item, known[i].name))
			return &known[i];
	return NULL;
}

/* The known codecs a list names, in its order, each once (NKNOWN at most). */
static int codec_list(const char *list, const struct known **out, size_t *n, struct sip_str *bad)
{
	struct sip_str rest = sip_str_from(list ? list : SIP_SDP_DEFAULT_CODECS);
	*n = 0;
	for (;;) {
		const char *comma = memchr(rest.p, ',', rest.len);
		size_t len = comma ? (size_t)(comma - rest.p) : rest.len;
		struct sip_str item = sip_str_trim(sip_str_sub(rest, 0, len));
		const struct known *k = item.len ? find_known(item) : NULL;
		if (!k) {
			if (bad)
				*bad = item;
			return item.len ? SIP_EINVAL : SIP_EEMPTY;
		}
		size_t i = 0;
		while (i < *n && out[i] != k)
			i++;
		if (i == *n)
			out[(*n)++] = k;
		if (!comma)
			return 0;
		rest = sip_str_sub(rest, len + 1, rest.len);
	}
}

int sip_sdp_codecs_check(const char *list, struct sip_str *bad)
{
	const struct known *ks[NKNOWN];
	size_t n;
	return codec_list(list, ks, &n, bad);
}

/* A codec as it goes on the m= line: the offer's payload number in an answer. */
struct pick {
	const struct known *k;
	unsigned pt;
};

/* RFC 4566 §5.2 suggests an NTP timestamp; microseconds keep two calls
 * started in the same second apart. */
static uint64_t fresh_session_id(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec + 2208988800u) * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

/* Checks what both builders take from the spec; *ip6 says the address family. */
static int check_spec(const struct sip_sdp_spec *s, struct sip_str *addr, bool *ip6)
{
	struct sip_sockaddr sa;
	if (!s || !s->addr || (unsigned)s->dir > SIP_SDP_INACTIVE)
		return SIP_EINVAL;
	*addr = sip_str_from(s->addr);
	/* The address is checked with its brackets, which a URI host keeps and
	 * SDP does not. */
	if (sip_sockaddr_set(&sa, *addr, 0) != 0)
		return SIP_EHOST;
	if (addr->p[0] == '[')
		*addr = sip_str_sub(*addr, 1, addr->len - 1);
	*ip6 = sa.u.sa.sa_family == AF_INET6;
	return 0;
}

static void put_session(struct sip_buf *out, const struct sip_sdp_spec *s, struct sip_str addr,
                        bool ip6)
{
	const char *net = ip6 ? "IN IP6" : "IN IP4";
	uint64_t id = s->session_id ? s->session_id : fresh_session_id();
	sip_buf_printf(out, "v=0\r\no=- %" PRIu64 " %" PRIu64 " %s %.*s\r\ns=sip\r\n", id,
	               s->version, net, SIP_STR_FMT(addr));
	sip_buf_printf(out, "c=%s %.*s\r\nt=0 0\r\n", net, SIP_STR_FMT(addr));
}

static void put_audio(struct sip_buf *out, const struct sip_sdp_spec *s, const struct pick *p,
                      size_t n, enum sip_sdp_dir dir)
{
	sip_buf_printf(out, "m=audio %u RTP/AVP", s->port);
	for (size_t i = 0; i < n; i++)
		sip_buf_printf(out, " %u", p[i].pt);
	sip_buf_puts(out, "\r\n");
	for (size_t i = 0; i < n; i++) {
		const struct known *k = p[i].k;
		sip_buf_printf(out, "a=rtpmap:%u %s/%u", p[i].pt, k->name, k->rate);
		if (k->channels > 1)
			sip_buf_printf(out, "/%u", k->channels);
		sip_buf_puts(out, "\r\n");
		if (k->fmtp)
			sip_buf_printf(out, "a=fmtp:%u %s\r\n", p[i].pt, k->fmtp);
	}
	sip_buf_printf(out, "a=ptime:%u\r\na=%s\r\n", s->ptime ? s->ptime : 20,
	               sip_sdp_dir_name(dir));
}

int sip_sdp_build_offer(struct sip_buf *out, const struct sip_sdp_spec *s)
{
	const struct known *ks[NKNOWN];
	struct pick picks[NKNOWN];
	struct sip_str addr;
	size_t n;
	bool ip6;
	int err = check_spec(s, &addr, &ip6);
	if (err || (err = codec_list(s->codecs, ks, &n, NULL)) != 0)
		return err;
	if (out->err)
		return out->err;
	for (size_t i = 0; i < n; i++)
		picks[i] = (struct pick){ks[i], ks[i]->pt};
	put_session(out, s, addr, ip6);
	put_audio(out, s, picks, n, s->dir);
	return out->err;
}

/* The known codec of ours an offered one is: same name (any case), rate
 * and channels (none written is one). */
static const struct known *match(const struct sip_sdp_codec *c, const struct known *const *ks,
                                 size_t n)
{
	uint32_t channels = 1;
	if (c->name.len == 0 || (c->params.len && sip_str_to_u32(c->params, &channels) != 0))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (sip_str_ieq_cstr(c->name, ks[i]->name) && c->rate == ks[i]->rate &&
		    channels == ks[i]->channels)
			return ks[i];
	return NULL;
}

static bool sends(enum sip_sdp_dir d)
{
	return d == SIP_SDP_SENDRECV || d == SIP_SDP_SENDONLY;
}

static bool receives(enum sip_sdp_dir d)
{
	return d == SIP_SDP_SENDRECV || d == SIP_SDP_RECVONLY;
}

/* RFC 3264 §6.1: we send only what they receive, and receive only what they send. */
static enum sip_sdp_dir answer_dir(enum sip_sdp_dir offer, enum sip_sdp_dir ours)
{
	bool tx = sends(ours) && receives(offer), rx = receives(ours) && sends(offer);
	if (tx)
		return rx ? SIP_SDP_SENDRECV : SIP_SDP_SENDONLY;
	return rx ? SIP_SDP_RECVONLY : SIP_SDP_INACTIVE;
}

/* Offer text copied into the answer: one line's worth, no control characters. */
static bool printable(struct sip_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7f)
			return false;
	return true;
}

int sip_sdp_build_answer(struct sip_buf *out, const struct sip_sdp *offer,
                         const struct sip_sdp_spec *s)
{
	const struct known *ks[NKNOWN];
	struct pick picks[SIP_SDP_MAX_CODECS];
	struct sip_str addr;
	size_t n, npicks = 0;
	bool ip6, voice = false;
	int err = check_spec(s, &addr, &ip6);
	if (err || (err = codec_list(s->codecs, ks, &n, NULL)) != 0)
		return err;
	if (!offer)
		return SIP_EINVAL;
	const struct sip_sdp_media *audio = NULL;
	for (unsigned i = 0; i < offer->nmedia; i++) {
		const struct sip_sdp_media *m = &offer->media[i];
		if (!printable(m->type) || !printable(m->proto) || !printable(m->fmts))
			return SIP_ESYNTAX;
		if (!audio && m->port && sip_str_eq(m->type, SIP_STR("audio")) &&
		    sip_str_ieq_cstr(m->proto, "RTP/AVP"))
			audio = m;
	}
	if (!audio)
		return SIP_ENOTFOUND;
	for (unsigned i = 0; i < audio->ncodecs; i++) {
		const struct known *k = match(&audio->codecs[i], ks, n);
		size_t j = 0;
		while (j < npicks && picks[j].k != k)
			j++;
		if (!k || j < npicks)
			continue;
		picks[npicks++] = (struct pick){k, audio->codecs[i].pt};
		voice = voice || k->voice;
	}
	if (!voice)
		return SIP_ENOTFOUND;
	if (out->err)
		return out->err;
	put_session(out, s, addr, ip6);
	for (unsigned i = 0; i < offer->nmedia; i++) {
		const struct sip_sdp_media *m = &offer->media[i];
		if (m == audio) {
			put_audio(out, s, picks, npicks, answer_dir(m->dir, s->dir));
			continue;
		}
		/* RFC 3264 §6: a rejected stream keeps its place, with port 0 and
		 * the formats it was offered with (one at least, says RFC 4566). */
		sip_buf_printf(out, "m=%.*s 0 %.*s %.*s\r\n", SIP_STR_FMT(m->type),
		               SIP_STR_FMT(m->proto), SIP_STR_FMT(m->fmts));
	}
	return out->err;
}

/* ---- an answer checked against its offer ------------------------------- */

/* RFC 3264 §6: a static payload type is its number; a dynamic one (96-127)
 * is what its rtpmap names, whatever number the answer gives it. */
static bool offered(const struct sip_sdp_codec *c, const struct sip_sdp_media *offer)
{
	for (unsigned i = 0; i < offer->ncodecs; i++) {
		const struct sip_sdp_codec *o = &offer->codecs[i];
		if (c->pt < 96 || c->name.len == 0
		            ? o->pt == c->pt
		            : sip_str_ieq(o->name, c->name) && o->rate == c->rate)
			return true;
	}
	return false;
}

static bool carries_no_voice(const struct sip_sdp_codec *c)
{
	return sip_str_ieq_cstr(c->name, "telephone-event") || sip_str_ieq_cstr(c->name, "CN");
}

static void answer_problem(struct sip_diag *out, size_t max, size_t *n, const char *fmt, ...)
	SIP_PRINTF(4, 5);

static void answer_problem(struct sip_diag *out, size_t max, size_t *n, const char *fmt, ...)
{
	if (*n < max) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(out[*n].text, sizeof out[*n].text, fmt, ap);
		va_end(ap);
		out[*n].line = 0;
		out[*n].severity = SIP_SEV_WARNING;
	}
	(*n)++;
}

size_t sip_sdp_answer_check(const struct sip_sdp *offer, const struct sip_sdp *answer,
                            struct sip_diag *out, size_t max)
{
	size_t n = 0;
	if (answer->nmedia != offer->nmedia)
		answer_problem(out, max, &n,
		               "the answer has %u m= lines, the offer %u (RFC 3264 §6: one for "
		               "each offered stream, in order)",
		               answer->nmedia, offer->nmedia);
	for (unsigned i = 0; i < answer->nmedia && i < offer->nmedia; i++) {
		const struct sip_sdp_media *a = &answer->media[i], *o = &offer->media[i];
		char names[120] = "";
		size_t len = 0;
		bool common = false;
		/* Port 0 rejects the stream: its formats mean nothing. */
		if (a->port == 0 || o->port == 0)
			continue;
		if (!sip_str_eq(a->type, o->type)) {
			answer_problem(
				out, max, &n,
				"the answer's m= line %u is %.*s, the offer's %.*s (RFC 3264 §6.1)",
				i + 1, SIP_STR_FMT(a->type), SIP_STR_FMT(o->type));
			continue;
		}
		/* A unicast answer may add formats it would receive (RFC 3264 §6.1);
		 * one with none of the offer's makes no media flow, and DTMF or
		 * comfort noise in common alone carry no voice. */
		for (unsigned j = 0; j < a->ncodecs && !common; j++)
			common = offered(&a->codecs[j], o) && !carries_no_voice(&a->codecs[j]);
		if (common || a->ncodecs == 0)
			continue;
		bool extra = false;
		for (unsigned j = 0; j < a->ncodecs; j++)
			extra = extra || !offered(&a->codecs[j], o);
		/* The formats that were not offered, or (only DTMF in common) all. */
		for (unsigned j = 0; j < a->ncodecs && len < sizeof names; j++) {
			const struct sip_sdp_codec *c = &a->codecs[j];
			if (extra && offered(c, o))
				continue;
			const char *sep = len ? ", " : "";
			int w = c->name.len ? snprintf(names + len, sizeof names - len, "%s%.*s/%u",
			                               sep, SIP_STR_FMT(c->name), c->rate)
			                    : snprintf(names + len, sizeof names - len,
			                               "%spayload type %u", sep, c->pt);
			len += w > 0 ? (size_t)w : 0;
		}
		if (extra)
			answer_problem(
				out, max, &n,
				"the answer's %.*s stream picks %s, which the offer did not have "
				"(RFC 3264 §6.1)",
				SIP_STR_FMT(a->type), names);
		else
			answer_problem(
				out, max, &n,
				"the answer's %.*s stream has only %s, no voice codec (RFC 3264 "
				"§6.1)",
				SIP_STR_FMT(a->type), names);
	}
	return n;
}
