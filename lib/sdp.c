/* sdp.c - decode the parts of an SDP body (RFC 4566) that a troubleshooter
 * reads: origin, connection, media with their codecs, and direction. Like
 * the message parser it allocates nothing; every field is a slice. */
#include <string.h>

#include "sip.h"
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
