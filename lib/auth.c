/* auth.c - HTTP digest authentication for SIP (RFC 3261 §22, RFC 7616,
 * RFC 8760): parse WWW-Authenticate and Proxy-Authenticate challenges into
 * slices, pick the strongest one a 401 or 407 offers, and answer it with an
 * Authorization or Proxy-Authorization value. Hashes are OpenSSL's EVP
 * digests: MD5, SHA-256 and SHA-512/256. The server's side challenges with
 * SHA-256 and MD5 and checks the credentials that come back, computing the
 * response with the same code as the client.
 *
 * Choices made here:
 * - qop: when a challenge offers both "auth" and "auth-int", we answer with
 *   "auth". auth-int adds integrity for the body only, and the requests this
 *   library authenticates most (REGISTER, OPTIONS, SUBSCRIBE) have none;
 *   many servers (Asterisk among them) do not implement auth-int or get it
 *   wrong, and a proxy that rewrites an SDP body (an SBC, a NAT helper)
 *   breaks it. The common user agents (PJSIP, belle-sip, baresip) prefer
 *   "auth" for the same reasons. auth-int is used when it is the only qop
 *   offered. sip_digest_response and sip_digest_authorization both ask
 *   choose_qop(), so the header always names the qop that was hashed.
 * - A challenge whose qop lists only values we do not know cannot be
 *   answered (RFC 7616 §3.4: the client uses one of those offered):
 *   sip_challenge_pick skips it and the digest functions give SIP_EINVAL.
 * - An -sess algorithm without qop (RFC 2617 contradicts itself there: A1
 *   needs a cnonce, yet cnonce may only be sent with qop) gets a cnonce in
 *   the header all the same, since the server cannot check the hash without it.
 * - Realm and nonce are hashed unescaped (the quoted-string's value, RFC 7616
 *   §3.4), and echoed in the header as written, escapes and all.
 * - A nonce count of 0 counts as 1 (a zeroed sip_digest_input works).
 * - HA1 is a password equivalent: every buffer that held it is cleansed.
 * - The server keeps no state: a nonce carries its time and an HMAC of it
 *   under the caller's secret. So it cannot count nonce uses, and a
 *   captured Authorization can be replayed, for the same method and
 *   Request-URI, until its nonce expires; a short nonce_ttl bounds that.
 * - A right response to a nonce that is not fresh, expired or made under
 *   another secret (a run before), is STALE, not WRONG: RFC 2617 §3.2.1
 *   sets stale=true for an invalid nonce with a valid digest for it, and a
 *   challenge without it tells the client (RFC 7616 §3.3) that its
 *   password is wrong; so a client retries after a restart without asking
 *   its user. A wrong response is WRONG, whatever the nonce.
 * - The server offers qop=auth only and refuses credentials without qop
 *   (RFC 2069 style) as malformed: without a cnonce the client adds no
 *   randomness of its own to what is hashed.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sip_int.h"

/* Random characters in a fresh cnonce: 24 of 62 letters, about 142 bits. */
#define CNONCE_LEN 24
/* Lowercase hex of the longest digest, and its NUL. */
#define HEX_MAX (2 * EVP_MAX_MD_SIZE + 1)

/* ---- algorithm names ---------------------------------------------------- */

static const char *const alg_names[] = {
	[SIP_DIGEST_MD5] = "MD5",
	[SIP_DIGEST_MD5_SESS] = "MD5-sess",
	[SIP_DIGEST_SHA256] = "SHA-256",
	[SIP_DIGEST_SHA256_SESS] = "SHA-256-sess",
	[SIP_DIGEST_SHA512_256] = "SHA-512-256",
	[SIP_DIGEST_SHA512_256_SESS] = "SHA-512-256-sess",
};
#define NALGS (sizeof alg_names / sizeof alg_names[0])

const char *sip_digest_alg_name(enum sip_digest_alg alg)
{
	if ((unsigned)alg >= NALGS)
		return NULL;
	return alg_names[alg]; /* NULL for UNKNOWN */
}

static enum sip_digest_alg alg_from_str(struct sip_str s)
{
	for (unsigned i = 1; i < NALGS; i++)
		if (sip_str_ieq_cstr(s, alg_names[i]))
			return (enum sip_digest_alg)i;
	return SIP_DIGEST_UNKNOWN;
}

static bool alg_sess(enum sip_digest_alg alg)
{
	return alg == SIP_DIGEST_MD5_SESS || alg == SIP_DIGEST_SHA256_SESS ||
	       alg == SIP_DIGEST_SHA512_256_SESS;
}

/* Strength for sip_challenge_pick; an -sess variant counts as its base. */
static int alg_rank(enum sip_digest_alg alg)
{
	switch (alg) {
	case SIP_DIGEST_MD5:
	case SIP_DIGEST_MD5_SESS: return 1;
	case SIP_DIGEST_SHA256:
	case SIP_DIGEST_SHA256_SESS: return 2;
	case SIP_DIGEST_SHA512_256:
	case SIP_DIGEST_SHA512_256_SESS: return 3;
	default: return 0;
	}
}

/* OpenSSL's name for the hash under an algorithm. */
static const char *alg_md(enum sip_digest_alg alg)
{
	switch (alg_rank(alg)) {
	case 1: return "MD5";
	case 2: return "SHA256";
	case 3: return "SHA512-256";
	default: return NULL;
	}
}

/* ---- challenge parsing --------------------------------------------------- */

/* An unquoted value: a token by the grammar, but servers send base64 nonces
 * and the like bare, so any visible character is taken but ',' and '"', and
 * '\\', which would read as an escape once the value is echoed in quotes. */
static size_t bare_len(struct sip_str s)
{
	size_t i = 0;
	while (i < s.len && s.p[i] > ' ' && s.p[i] < 0x7f && s.p[i] != ',' && s.p[i] != '"' &&
	       s.p[i] != '\\')
		i++;
	return i;
}

/* Values we hash or echo into a header: no line breaks (a folded line in
 * a realm would hash differently from what the server meant) and no
 * control characters other than HT. */
static bool clean_value(struct sip_str s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if ((c < ' ' && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

static bool is_true(struct sip_str s)
{
	return sip_str_ieq_cstr(s, "true");
}

/* Sets qop_auth and qop_auth_int from a qop list; unknown values are ignored. */
static void parse_qop(struct sip_challenge *ch, struct sip_str list)
{
	while (list.len) {
		const char *comma = memchr(list.p, ',', list.len);
		size_t n = comma ? (size_t)(comma - list.p) : list.len;
		struct sip_str v = sip_str_trim(sip_str_sub(list, 0, n));
		if (sip_str_ieq_cstr(v, "auth"))
			ch->qop_auth = true;
		else if (sip_str_ieq_cstr(v, "auth-int"))
			ch->qop_auth_int = true;
		list = sip_str_advance(list, comma ? n + 1 : n);
	}
}

enum {
	SEEN_REALM = 1 << 0,
	SEEN_NONCE = 1 << 1,
	SEEN_OPAQUE = 1 << 2,
	SEEN_ALG = 1 << 3,
	SEEN_QOP = 1 << 4,
	SEEN_STALE = 1 << 5,
	SEEN_USERHASH = 1 << 6,
};

/* One auth-param; a known one given twice makes the challenge ambiguous. */
static int set_param(void *obj, unsigned *seen, struct sip_str name, struct sip_str value)
{
	struct sip_challenge *ch = obj;
	static const struct {
		const char *name;
		unsigned bit;
	} known[] = {
		{"realm", SEEN_REALM},       {"nonce", SEEN_NONCE}, {"opaque", SEEN_OPAQUE},
		{"algorithm", SEEN_ALG},     {"qop", SEEN_QOP},     {"stale", SEEN_STALE},
		{"userhash", SEEN_USERHASH},
	};
	unsigned bit = 0;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (sip_str_ieq_cstr(name, known[i].name))
			bit = known[i].bit;
	if (bit == 0)
		return 0; /* domain, charset and the unknown: ignored */
	if (*seen & bit)
		return SIP_ESYNTAX;
	*seen |= bit;
	switch (bit) {
	case SEEN_REALM:
	case SEEN_NONCE:
	case SEEN_OPAQUE:
		if (!clean_value(value))
			return SIP_ESYNTAX;
		if (bit == SEEN_REALM)
			ch->realm = value;
		else if (bit == SEEN_NONCE)
			ch->nonce = value;
		else
			ch->opaque = value;
		break;
	case SEEN_ALG:
		ch->algorithm = value;
		ch->alg = alg_from_str(value);
		break;
	case SEEN_QOP:
		ch->qop = value;
		parse_qop(ch, value);
		break;
	case SEEN_STALE: ch->stale = is_true(value); break;
	case SEEN_USERHASH: ch->userhash = is_true(value); break;
	}
	return 0;
}

/* Called for each auth-param; *seen has a bit for each known name given. */
typedef int param_fn(void *obj, unsigned *seen, struct sip_str name, struct sip_str value);

/*
 * A Digest challenge or credentials value (RFC 7235 §2.1 and §4.2): the
 * scheme into *scheme, then set for each name=value, a quoted value given
 * without its quotes, escapes kept. SIP_ESCHEME for a scheme other than
 * Digest, *scheme still set.
 */
static int parse_digest(struct sip_str value, struct sip_str *scheme, param_fn *set, void *obj,
                        unsigned *seen)
{
	struct sip_str s = sip_str_skip_lws(value);
	size_t n = sip_token_len(s);
	if (n == 0)
		return SIP_ESYNTAX;
	*scheme = sip_str_sub(s, 0, n);
	s = sip_str_advance(s, n);
	if (!sip_str_ieq_cstr(*scheme, "Digest"))
		return SIP_ESCHEME;
	if (s.len && !sip_is(s.p[0], SIP_C_LWS))
		return SIP_ESYNTAX;
	*seen = 0;
	for (;;) {
		s = sip_str_skip_lws(s);
		if (s.len == 0)
			break;
		if (s.p[0] == ',') { /* empty list elements are allowed (RFC 7230 §7) */
			s = sip_str_advance(s, 1);
			continue;
		}
		n = sip_token_len(s);
		if (n == 0)
			return SIP_ESYNTAX;
		struct sip_str name = sip_str_sub(s, 0, n);
		s = sip_str_skip_lws(sip_str_advance(s, n));
		if (s.len == 0 || s.p[0] != '=')
			return SIP_ESYNTAX;
		s = sip_str_skip_lws(sip_str_advance(s, 1));
		struct sip_str v;
		if (s.len && s.p[0] == '"') {
			size_t q = sip_quoted_len(s);
			if (q == 0)
				return SIP_EQUOTE;
			v = sip_str_sub(s, 1, q - 1);
			s = sip_str_advance(s, q);
		} else {
			size_t b = bare_len(s);
			if (b == 0)
				return SIP_ESYNTAX;
			v = sip_str_sub(s, 0, b);
			s = sip_str_advance(s, b);
		}
		s = sip_str_skip_lws(s);
		if (s.len && s.p[0] != ',')
			return SIP_ESYNTAX;
		int err = set(obj, seen, name, v);
		if (err)
			return err;
	}
	return 0;
}

int sip_challenge_parse(struct sip_challenge *ch, struct sip_str value, bool proxy)
{
	if (!ch)
		return SIP_EINVAL;
	memset(ch, 0, sizeof *ch);
	ch->proxy = proxy;
	ch->alg = SIP_DIGEST_MD5; /* RFC 7616 §3.3: absent means MD5 */
	unsigned seen;
	int err = parse_digest(value, &ch->scheme, set_param, ch, &seen);
	if (err == SIP_ESCHEME)
		ch->alg = SIP_DIGEST_UNKNOWN;
	if (err)
		return err;
	if ((seen & (SEEN_REALM | SEEN_NONCE)) != (SEEN_REALM | SEEN_NONCE))
		return SIP_ESYNTAX;
	return 0;
}

/* ---- which qop ------------------------------------------------------------ */

enum qop { QOP_NONE = 0, QOP_AUTH, QOP_AUTH_INT };

/* The one rule for both the hash and the header: "auth" when offered (see
 * the top of this file), else "auth-int", else none when no qop was given.
 * A qop list of unknown values only cannot be answered. */
static int choose_qop(const struct sip_challenge *ch, enum qop *q)
{
	if (ch->qop_auth)
		*q = QOP_AUTH;
	else if (ch->qop_auth_int)
		*q = QOP_AUTH_INT;
	else if (sip_str_trim(ch->qop).len)
		return SIP_EINVAL;
	else
		*q = QOP_NONE;
	return 0;
}

static const char *qop_name(enum qop q)
{
	return q == QOP_AUTH ? "auth" : q == QOP_AUTH_INT ? "auth-int" : NULL;
}

/* ---- picking a challenge ------------------------------------------------- */

static int challenge_rank(const struct sip_challenge *ch)
{
	enum qop q;
	if (choose_qop(ch, &q))
		return 0;
	return alg_rank(ch->alg);
}

/*
 * The strongest challenge wins; among equals the first. When none can be
 * answered (SIP_ENOTFOUND), *ch holds the first challenge whose scheme was
 * read (a Basic one, or Digest with an algorithm we lack), so that the
 * caller can say what the server wanted; it is zeroed when there is none.
 */
int sip_challenge_pick(const struct sip_msg *resp, struct sip_challenge *ch)
{
	if (!resp || !ch || resp->is_request)
		return SIP_EINVAL;
	enum sip_hdr_id id;
	if (resp->status == 401)
		id = SIP_HDR_WWW_AUTHENTICATE;
	else if (resp->status == 407)
		id = SIP_HDR_PROXY_AUTHENTICATE;
	else
		return SIP_EINVAL;
	bool proxy = id == SIP_HDR_PROXY_AUTHENTICATE;
	int best = 0;
	bool have_first = false;
	memset(ch, 0, sizeof *ch);
	for (const struct sip_hdr *h = sip_msg_hdr(resp, id); h; h = sip_msg_hdr_next(resp, h)) {
		struct sip_challenge c;
		int err = sip_challenge_parse(&c, h->value, proxy);
		if (err == 0 || err == SIP_ESCHEME) {
			if (!have_first && best == 0)
				*ch = c;
			have_first = true;
		}
		if (err)
			continue;
		int r = challenge_rank(&c);
		if (r > best) {
			best = r;
			*ch = c;
		}
	}
	return best ? 0 : SIP_ENOTFOUND;
}

/* ---- hashing --------------------------------------------------------------- */

struct hasher {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
	bool failed;
};

static int hasher_init(struct hasher *h, enum sip_digest_alg alg)
{
	const char *name = alg_md(alg);
	h->failed = false;
	h->md = NULL;
	h->ctx = NULL;
	if (!name)
		return SIP_EINVAL;
	h->md = EVP_MD_fetch(NULL, name, NULL);
	h->ctx = EVP_MD_CTX_new();
	if (!h->md || !h->ctx || !EVP_DigestInit_ex(h->ctx, h->md, NULL)) {
		EVP_MD_CTX_free(h->ctx);
		EVP_MD_free(h->md);
		/* no such digest (MD5 under a FIPS provider), or out of memory */
		return h->md ? SIP_ENOMEM : SIP_EINVAL;
	}
	return 0;
}

static void hasher_free(struct hasher *h)
{
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
}

static void put(struct hasher *h, const char *p, size_t len)
{
	if (len && !EVP_DigestUpdate(h->ctx, p, len))
		h->failed = true;
}

static void put_cstr(struct hasher *h, const char *s)
{
	put(h, s, strlen(s));
}

/* The value of a quoted string's inside: "\x" stands for x. */
static void put_unq(struct hasher *h, struct sip_str s)
{
	size_t start = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] != '\\')
			continue;
		put(h, s.p + start, i - start);
		start = ++i; /* the escaped character starts the next run */
	}
	if (start < s.len)
		put(h, s.p + start, s.len - start);
}

/* md as lowercase hex, NUL-terminated. */
static void to_hex(const unsigned char *md, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * n] = '\0';
}

/* Ends the hash into hex (HEX_MAX) and starts the next one. */
static void finish(struct hasher *h, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	if (!EVP_DigestFinal_ex(h->ctx, md, &n) || !EVP_DigestInit_ex(h->ctx, h->md, NULL))
		h->failed = true;
	to_hex(md, n, hex);
	OPENSSL_cleanse(md, sizeof md);
}

/* ---- the digest ------------------------------------------------------------ */

/* A C string with no control characters, '"' or '\\' (it goes inside quotes). */
static bool plain_cstr(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < ' ' || c == 0x7f || c == '"' || c == '\\')
			return false;
	}
	return true;
}

/* The user name may hold '"' and '\\' (they are escaped), not line breaks. */
static bool valid_user(const char *s)
{
	if (!s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < ' ' && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

/* A challenge value goes back inside quotes as written: it must be a
 * quoted string's inside (no bare '"', no '\\' at the end), as the parser
 * leaves it; a challenge filled in by hand might not be. */
static bool quotable(struct sip_str s)
{
	if (!clean_value(s))
		return false;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] == '"')
			return false;
		if (s.p[i] == '\\' && ++i == s.len)
			return false;
	}
	return true;
}

/* Checks what goes into the hash and the header, and settles qop and cnonce. */
static int check_input(const struct sip_digest_input *in, const char *cnonce, enum qop *q,
                       const char **cn)
{
	if (!in || !in->ch || !in->password || !valid_user(in->user) || !in->method ||
	    !sip_is_token(sip_str_from(in->method)) || !plain_cstr(in->uri))
		return SIP_EINVAL;
	if (in->body.len && !in->body.p)
		return SIP_EINVAL;
	const struct sip_challenge *ch = in->ch;
	if (alg_rank(ch->alg) == 0 || !quotable(ch->realm) || !quotable(ch->nonce) ||
	    !quotable(ch->opaque) || (ch->algorithm.len && !sip_is_token(ch->algorithm)))
		return SIP_EINVAL;
	int err = choose_qop(ch, q);
	if (err)
		return err;
	*cn = cnonce ? cnonce : in->cnonce;
	if (*q != QOP_NONE || alg_sess(ch->alg)) {
		if (!plain_cstr(*cn))
			return SIP_EINVAL;
	} else {
		*cn = NULL;
	}
	return 0;
}

/* The response of RFC 7616 §3.4.1 into hex (HEX_MAX), and the hashed user
 * name into uhash when it is not NULL. */
static int compute(const struct sip_digest_input *in, enum qop q, const char *cnonce, char *hex,
                   char *uhash)
{
	const struct sip_challenge *ch = in->ch;
	struct hasher h;
	int err = hasher_init(&h, ch->alg);
	if (err)
		return err;
	char ha1[HEX_MAX], ha2[HEX_MAX], hbody[HEX_MAX];

	/* A1 = user:realm:password; -sess: H(user:realm:password):nonce:cnonce */
	put_cstr(&h, in->user);
	put(&h, ":", 1);
	put_unq(&h, ch->realm);
	put(&h, ":", 1);
	put_cstr(&h, in->password);
	finish(&h, ha1);
	if (alg_sess(ch->alg)) {
		put_cstr(&h, ha1);
		put(&h, ":", 1);
		put_unq(&h, ch->nonce);
		put(&h, ":", 1);
		put_cstr(&h, cnonce);
		finish(&h, ha1);
	}

	/* A2 = method:uri, and :H(body) for auth-int */
	if (q == QOP_AUTH_INT) {
		put(&h, in->body.p, in->body.len);
		finish(&h, hbody);
	}
	put_cstr(&h, in->method);
	put(&h, ":", 1);
	put_cstr(&h, in->uri);
	if (q == QOP_AUTH_INT) {
		put(&h, ":", 1);
		put_cstr(&h, hbody);
	}
	finish(&h, ha2);

	/* H(HA1:nonce:nc:cnonce:qop:HA2), or H(HA1:nonce:HA2) without qop */
	put_cstr(&h, ha1);
	put(&h, ":", 1);
	put_unq(&h, ch->nonce);
	put(&h, ":", 1);
	if (q != QOP_NONE) {
		char nc[16];
		snprintf(nc, sizeof nc, "%08x", in->nc ? (unsigned)in->nc : 1u);
		put_cstr(&h, nc);
		put(&h, ":", 1);
		put_cstr(&h, cnonce);
		put(&h, ":", 1);
		put_cstr(&h, qop_name(q));
		put(&h, ":", 1);
	}
	put_cstr(&h, ha2);
	finish(&h, hex);

	/* RFC 7616 §3.4.4: username = H(user:realm), after every other hash */
	if (uhash) {
		put_cstr(&h, in->user);
		put(&h, ":", 1);
		put_unq(&h, ch->realm);
		finish(&h, uhash);
	}
	OPENSSL_cleanse(ha1, sizeof ha1);
	bool failed = h.failed;
	hasher_free(&h);
	return failed ? SIP_ENOMEM : 0;
}

int sip_digest_response(const struct sip_digest_input *in, const char *cnonce, char *hex,
                        size_t cap)
{
	enum qop q;
	const char *cn;
	if (!hex)
		return SIP_EINVAL;
	int err = check_input(in, cnonce, &q, &cn);
	if (err)
		return err;
	char out[HEX_MAX];
	err = compute(in, q, cn, out, NULL);
	if (err)
		return err;
	size_t n = strlen(out);
	if (cap <= n)
		return SIP_ENOSPC;
	memcpy(hex, out, n + 1);
	return 0;
}

/* s inside quotes, '"' and '\\' escaped. */
static void put_quoted(struct sip_buf *b, const char *s)
{
	sip_buf_append(b, "\"", 1);
	for (const char *run = s;; s++) {
		if (*s == '"' || *s == '\\' || *s == '\0') {
			sip_buf_append(b, run, (size_t)(s - run));
			if (*s == '\0')
				break;
			sip_buf_append(b, "\\", 1);
			run = s;
		}
	}
	sip_buf_append(b, "\"", 1);
}

/* name="slice as written" */
static void put_slice(struct sip_buf *b, const char *name, struct sip_str v)
{
	sip_buf_puts(b, name);
	sip_buf_append(b, "=\"", 2);
	sip_buf_append(b, v.p, v.len);
	sip_buf_append(b, "\"", 1);
}

int sip_digest_authorization(struct sip_buf *out, const struct sip_digest_input *in)
{
	enum qop q;
	const char *cn;
	char fresh[CNONCE_LEN + 1];
	if (!out)
		return SIP_EINVAL;
	if (out->err)
		return out->err;
	if (in && !in->cnonce) {
		/* check_input drops it when neither qop nor -sess wants one */
		int err = sip_rand_token(fresh, CNONCE_LEN);
		if (err)
			return err;
	}
	int err = check_input(in, in && !in->cnonce ? fresh : NULL, &q, &cn);
	if (err)
		return err;
	const struct sip_challenge *ch = in->ch;
	char resp[HEX_MAX], uhash[HEX_MAX];
	err = compute(in, q, cn, resp, ch->userhash ? uhash : NULL);
	if (err)
		return err;

	size_t start = out->len;
	sip_buf_puts(out, "Digest username=");
	put_quoted(out, ch->userhash ? uhash : in->user);
	sip_buf_append(out, ", ", 2);
	put_slice(out, "realm", ch->realm);
	sip_buf_append(out, ", ", 2);
	put_slice(out, "nonce", ch->nonce);
	sip_buf_puts(out, ", uri=");
	put_quoted(out, in->uri);
	sip_buf_puts(out, ", response=");
	put_quoted(out, resp);
	if (ch->algorithm.len) {
		/* as the server wrote it: it may compare case-sensitively */
		sip_buf_puts(out, ", algorithm=");
		sip_buf_append(out, ch->algorithm.p, ch->algorithm.len);
	}
	if (cn) {
		sip_buf_puts(out, ", cnonce=");
		put_quoted(out, cn);
	}
	if (ch->opaque.p) {
		sip_buf_append(out, ", ", 2);
		put_slice(out, "opaque", ch->opaque);
	}
	if (q != QOP_NONE)
		sip_buf_printf(out, ", qop=%s, nc=%08x", qop_name(q),
		               in->nc ? (unsigned)in->nc : 1u);
	if (ch->userhash)
		sip_buf_puts(out, ", userhash=true");
	if (out->err && out->p && start <= out->len) {
		out->len = start; /* nothing half-written stays */
		out->p[start] = '\0';
	}
	return out->err;
}

/* ---- credentials ------------------------------------------------------------ */

static const struct {
	const char *name;
	size_t off;
} cred_fields[] = {
	{"username", offsetof(struct sip_credentials, username)},
	{"realm", offsetof(struct sip_credentials, realm)},
	{"nonce", offsetof(struct sip_credentials, nonce)},
	{"uri", offsetof(struct sip_credentials, uri)},
	{"response", offsetof(struct sip_credentials, response)},
	{"algorithm", offsetof(struct sip_credentials, algorithm)},
	{"cnonce", offsetof(struct sip_credentials, cnonce)},
	{"nc", offsetof(struct sip_credentials, nc)},
	{"qop", offsetof(struct sip_credentials, qop)},
	{"opaque", offsetof(struct sip_credentials, opaque)},
};
/* The fields every Digest credentials carry (RFC 7616 §3.4): the first five. */
#define CRED_REQUIRED 0x1fu
#define CRED_USERHASH (1u << (sizeof cred_fields / sizeof cred_fields[0]))

static int set_cred(void *obj, unsigned *seen, struct sip_str name, struct sip_str value)
{
	struct sip_credentials *cr = obj;
	unsigned bit = 0;
	size_t off = 0;
	for (size_t i = 0; i < sizeof cred_fields / sizeof cred_fields[0]; i++)
		if (sip_str_ieq_cstr(name, cred_fields[i].name)) {
			bit = 1u << i;
			off = cred_fields[i].off;
		}
	if (sip_str_ieq_cstr(name, "userhash"))
		bit = CRED_USERHASH;
	if (bit == 0)
		return 0; /* auth-params of extensions */
	if (*seen & bit)
		return SIP_ESYNTAX;
	*seen |= bit;
	if (!clean_value(value))
		return SIP_ESYNTAX;
	if (bit == CRED_USERHASH)
		cr->userhash = is_true(value);
	else
		*(struct sip_str *)((char *)cr + off) = value;
	return 0;
}

int sip_credentials_parse(struct sip_credentials *cr, struct sip_str value)
{
	if (!cr)
		return SIP_EINVAL;
	memset(cr, 0, sizeof *cr);
	unsigned seen;
	int err = parse_digest(value, &cr->scheme, set_cred, cr, &seen);
	if (err)
		return err;
	if ((seen & CRED_REQUIRED) != CRED_REQUIRED)
		return SIP_ESYNTAX;
	cr->alg = cr->algorithm.p ? alg_from_str(cr->algorithm) : SIP_DIGEST_MD5;
	return 0;
}

/* ---- the server's nonces and challenges ----------------------------------- */

#define NONCE_TIME_LEN 16

/* The HMAC of a nonce's time digits, as hex (HEX_MAX). */
static int nonce_mac(const struct sip_digest_server *srv, const char *time_hex, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	if (srv->secret_len > INT_MAX ||
	    !HMAC(EVP_sha256(), srv->secret, (int)srv->secret_len, (const unsigned char *)time_hex,
	          NONCE_TIME_LEN, md, &n))
		return SIP_ENOMEM;
	to_hex(md, n, hex);
	return 0;
}

static bool server_valid(const struct sip_digest_server *srv)
{
	return srv && plain_cstr(srv->realm) && valid_user(srv->user) && srv->password &&
	       srv->secret && srv->secret_len;
}

int sip_digest_nonce(const struct sip_digest_server *srv, char *out, size_t cap)
{
	if (!server_valid(srv) || !out)
		return SIP_EINVAL;
	if (cap <= SIP_DIGEST_NONCE_LEN)
		return SIP_ENOSPC;
	snprintf(out, cap, "%016llx", (unsigned long long)srv->now);
	return nonce_mac(srv, out, out + NONCE_TIME_LEN);
}

/* Whether a nonce is one of ours and fresh: the HMAC of its time, and a time
 * neither past its life nor ahead of our clock. */
static bool nonce_fresh(const struct sip_digest_server *srv, struct sip_str nonce)
{
	char time_hex[NONCE_TIME_LEN + 1], mac[HEX_MAX];
	if (nonce.len != SIP_DIGEST_NONCE_LEN)
		return false;
	uint64_t t = 0;
	for (size_t i = 0; i < NONCE_TIME_LEN; i++) {
		char c = nonce.p[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (v < 0)
			return false;
		t = t << 4 | (unsigned)v;
		time_hex[i] = c;
	}
	time_hex[NONCE_TIME_LEN] = '\0';
	if (nonce_mac(srv, time_hex, mac) ||
	    CRYPTO_memcmp(mac, nonce.p + NONCE_TIME_LEN, SIP_DIGEST_NONCE_LEN - NONCE_TIME_LEN))
		return false;
	return t <= srv->now && srv->now - t <= srv->nonce_ttl;
}

int sip_digest_challenge(struct sip_buf *out, struct sip_build_hdr hdrs[SIP_DIGEST_NCHALLENGES],
                         const struct sip_digest_server *srv, bool stale)
{
	static const enum sip_digest_alg algs[SIP_DIGEST_NCHALLENGES] = {SIP_DIGEST_SHA256,
	                                                                 SIP_DIGEST_MD5};
	char nonce[SIP_DIGEST_NONCE_LEN + 1];
	if (!out || !hdrs)
		return SIP_EINVAL;
	if (out->err)
		return out->err;
	int err = sip_digest_nonce(srv, nonce, sizeof nonce);
	if (err)
		return err;
	size_t start = out->len, at[SIP_DIGEST_NCHALLENGES];
	for (size_t i = 0; i < SIP_DIGEST_NCHALLENGES; i++) {
		at[i] = out->len;
		sip_buf_puts(out, srv->proxy ? "Proxy-Authenticate: " : "WWW-Authenticate: ");
		sip_buf_puts(out, "Digest realm=");
		put_quoted(out, srv->realm);
		sip_buf_printf(out, ", nonce=\"%s\", algorithm=%s, qop=\"auth\"%s", nonce,
		               alg_names[algs[i]], stale ? ", stale=true" : "");
		sip_buf_append(out, "", 1); /* the line's NUL, inside the buffer */
	}
	if (out->err) {
		if (out->p && start <= out->len) {
			out->len = start;
			out->p[start] = '\0';
		}
		return out->err;
	}
	for (size_t i = 0; i < SIP_DIGEST_NCHALLENGES; i++)
		hdrs[i].line = out->p + at[i];
	return 0;
}

/* ---- the server's check ------------------------------------------------------ */

/* A quoted string's inside, unescaped, equals s. */
static bool unq_eq(struct sip_str q, const char *s)
{
	size_t j = 0;
	for (size_t i = 0; i < q.len; i++, j++) {
		if (q.p[i] == '\\' && i + 1 < q.len)
			i++;
		if (s[j] == '\0' || s[j] != q.p[i])
			return false;
	}
	return s[j] == '\0';
}

/* A quoted string's inside, unescaped, into out; false when it does not fit
 * or would hold a NUL. */
static bool unq_copy(struct sip_str q, char *out, size_t cap)
{
	size_t j = 0;
	for (size_t i = 0; i < q.len; i++) {
		if (q.p[i] == '\\' && i + 1 < q.len)
			i++;
		if (j + 1 >= cap || q.p[i] == '\0')
			return false;
		out[j++] = q.p[i];
	}
	out[j] = '\0';
	return j > 0;
}

/* RFC 3261 §22.4: the digest-uri names the Request-URI. As URIs by §19.1.4
 * when both parse (a client may re-order parameters or escape differently),
 * else octet for octet. */
static bool uri_matches(const char *digest_uri, struct sip_str ruri)
{
	struct sip_str d = sip_str_from(digest_uri);
	if (sip_str_eq(d, ruri))
		return true;
	struct sip_uri a, b;
	return sip_uri_parse(&a, d) == 0 && sip_uri_parse(&b, ruri) == 0 && sip_uri_equal(&a, &b);
}

/* The nonce count: eight hex digits (RFC 7616 §3.4), not zero. */
static bool parse_nc(struct sip_str s, uint32_t *nc)
{
	if (s.len != 8)
		return false;
	*nc = 0;
	for (size_t i = 0; i < 8; i++) {
		char c = s.p[i];
		int v = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;
		if (v < 0)
			return false;
		*nc = *nc << 4 | (unsigned)v;
	}
	return *nc != 0;
}

/* Longest digest-uri and cnonce we take; more is MALFORMED. */
#define CHECK_URI_MAX 1024
#define CHECK_CNONCE_MAX 256

/* The verdict on credentials for our realm. */
static int check_one(const struct sip_digest_server *srv, const struct sip_msg *req,
                     const struct sip_credentials *cr, enum sip_digest_verdict *verdict)
{
	char uri[CHECK_URI_MAX], cnonce[CHECK_CNONCE_MAX], method[64];
	uint32_t nc;
	*verdict = SIP_DIGEST_MALFORMED;
	if (!cr->qop.p || !cr->cnonce.p || !cr->nc.p || !parse_nc(cr->nc, &nc) ||
	    !unq_copy(cr->uri, uri, sizeof uri) || !unq_copy(cr->cnonce, cnonce, sizeof cnonce) ||
	    req->method_name.len >= sizeof method)
		return 0;
	*verdict = SIP_DIGEST_WRONG;
	if (cr->userhash || !unq_eq(cr->username, srv->user) ||
	    (cr->alg != SIP_DIGEST_SHA256 && cr->alg != SIP_DIGEST_MD5) ||
	    !sip_str_ieq_cstr(cr->qop, "auth") || !uri_matches(uri, req->ruri))
		return 0;
	memcpy(method, req->method_name.p, req->method_name.len);
	method[req->method_name.len] = '\0';

	struct sip_challenge ch = {.realm = cr->realm, .nonce = cr->nonce, .alg = cr->alg};
	struct sip_digest_input in = {
		.ch = &ch,
		.user = srv->user,
		.password = srv->password,
		.method = method,
		.uri = uri,
		.nc = nc,
	};
	char want[HEX_MAX];
	int err = compute(&in, QOP_AUTH, cnonce, want, NULL);
	if (err)
		return err;
	size_t n = strlen(want);
	if (cr->response.len != n || CRYPTO_memcmp(cr->response.p, want, n))
		return 0;
	*verdict = nonce_fresh(srv, cr->nonce) ? SIP_DIGEST_OK : SIP_DIGEST_STALE;
	return 0;
}

/*
 * RFC 3261 §22.4: a request may carry credentials for several realms; the
 * ones for ours are judged. Credentials that do not parse leave the realm
 * unknown, so they make the verdict MALFORMED only when none are ours.
 */
int sip_digest_check(const struct sip_digest_server *srv, const struct sip_msg *req,
                     enum sip_digest_verdict *verdict)
{
	if (!server_valid(srv) || !req || !req->is_request || !verdict)
		return SIP_EINVAL;
	enum sip_hdr_id id = srv->proxy ? SIP_HDR_PROXY_AUTHORIZATION : SIP_HDR_AUTHORIZATION;
	bool malformed = false;
	for (const struct sip_hdr *h = sip_msg_hdr(req, id); h; h = sip_msg_hdr_next(req, h)) {
		struct sip_credentials cr;
		int err = sip_credentials_parse(&cr, h->value);
		if (err == SIP_ESCHEME)
			continue;
		if (err) {
			malformed = true;
			continue;
		}
		if (unq_eq(cr.realm, srv->realm))
			return check_one(srv, req, &cr, verdict);
	}
	*verdict = malformed ? SIP_DIGEST_MALFORMED : SIP_DIGEST_NONE;
	return 0;
}
