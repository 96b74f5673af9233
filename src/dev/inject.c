/* inject.c - see inject.h. */
#define _GNU_SOURCE
#include "dev/inject.h"
#include "dev/bodydec.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int inject_is_navigation(const char *dest, const char *mode, const char *accept, const char *xrw)
{
	if (dest || mode) {
		if (dest && (!strcasecmp(dest, "document") || !strcasecmp(dest, "iframe") ||
		             !strcasecmp(dest, "frame")))
			return 1;
		return mode && !strcasecmp(mode, "navigate") && !dest;
	}
	if (xrw)
		return 0;
	return accept && strcasestr(accept, "text/html") != NULL;
}

enum inject_mode inject_decide(const struct inject_req *r, int status, const char *ctype,
                               const char *cenc)
{
	if (!r->get || !r->navigation || r->range || r->upgrade)
		return INJECT_NONE;
	if (status < 200 || status == 204 || status == 206 || status == 304)
		return INJECT_NONE;
	if (!ctype)
		return INJECT_NONE;
	ctype += strspn(ctype, " \t");
	if (strncasecmp(ctype, "text/html", 9) || (ctype[9] && ctype[9] != ';' && ctype[9] != ' '))
		return INJECT_NONE;
	if (!cenc)
		return INJECT_PLAIN;
	cenc += strspn(cenc, " \t");
	size_t n = strcspn(cenc, " \t");
	if (!n || (n == 8 && !strncasecmp(cenc, "identity", 8)))
		return INJECT_PLAIN;
	if (cenc[n + strspn(cenc + n, " \t")])
		return INJECT_NONE; /* several codings, or a list: passed on */
	switch (bodydec_kind_of(cenc, n)) {
	case BODYDEC_GZIP:
		return INJECT_GUNZIP;
	case BODYDEC_DEFLATE:
		return INJECT_INFLATE;
	case BODYDEC_BR:
		return INJECT_UNBROTLI;
	}
	return INJECT_NONE;
}

int inject_mode_decoder(enum inject_mode m)
{
	switch (m) {
	case INJECT_GUNZIP:
		return BODYDEC_GZIP;
	case INJECT_INFLATE:
		return BODYDEC_DEFLATE;
	case INJECT_UNBROTLI:
		return BODYDEC_BR;
	default:
		return -1;
	}
}

/* ---- CSP ------------------------------------------------------------------ */

struct directive {
	char *name;  /* lower case */
	char *value; /* sources, as written */
};

/* Whether the source list v has the source src (case-insensitive, whole token). */
static int has_source(const char *v, const char *src)
{
	size_t n = strlen(src);
	for (const char *s = v; *s;) {
		s += strspn(s, " \t");
		size_t len = strcspn(s, " \t");
		if (len == n && !strncasecmp(s, src, n))
			return 1;
		s += len;
	}
	return 0;
}

/* The value of the first 'nonce-...' source of v, malloc'd, or NULL. */
static char *find_nonce(const char *v)
{
	for (const char *s = v; *s;) {
		s += strspn(s, " \t");
		size_t len = strcspn(s, " \t");
		if (len > 8 && !strncasecmp(s, "'nonce-", 7) && s[len - 1] == '\'')
			return xstrndup(s + 7, len - 8);
		s += len;
	}
	return NULL;
}

/* v with 'none' removed and src added. */
static char *add_source(const char *v, const char *src)
{
	struct strbuf sb = STRBUF_INIT;
	for (const char *s = v; *s;) {
		s += strspn(s, " \t");
		size_t len = strcspn(s, " \t");
		if (len && !(len == 6 && !strncasecmp(s, "'none'", 6))) {
			if (sb.len)
				strbuf_addch(&sb, ' ');
			strbuf_add(&sb, s, len);
		}
		s += len;
	}
	if (sb.len)
		strbuf_addch(&sb, ' ');
	strbuf_addstr(&sb, src);
	return strbuf_detach(&sb, NULL);
}

static struct directive *find_dir(struct directive *d, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(d[i].name, name))
			return &d[i];
	return NULL;
}

/*
 * Lets a script from the page's origin, carrying *nonce (NULL: none yet),
 * run under the directive's sources: its own nonce is taken when the tag
 * has none; else 'self' does it, but under 'strict-dynamic' (where 'self'
 * is ignored) a nonce: the tag's, or one of golive's.
 */
static void allow_script(struct directive *dir, char **nonce)
{
	char *own = find_nonce(dir->value);
	if (own && (!*nonce || !strcmp(own, *nonce))) {
		if (!*nonce)
			*nonce = own;
		else
			free(own);
		return;
	}
	free(own);
	if (!has_source(dir->value, "'strict-dynamic'")) {
		if (has_source(dir->value, "'self'") || has_source(dir->value, "*"))
			return;
		char *v = add_source(dir->value, "'self'");
		free(dir->value);
		dir->value = v;
		return;
	}
	if (!*nonce)
		*nonce = xstrdup("golive-dev-reload");
	char *src = xasprintf("'nonce-%s'", *nonce);
	char *v = add_source(dir->value, src);
	free(src);
	free(dir->value);
	dir->value = v;
}

static void allow_connect(struct directive *dir)
{
	if (has_source(dir->value, "'self'") || has_source(dir->value, "*"))
		return;
	char *v = add_source(dir->value, "'self'");
	free(dir->value);
	dir->value = v;
}

char *inject_csp(const char *csp, char **nonce)
{
	*nonce = NULL;
	return inject_csp_more(csp, nonce);
}

char *inject_csp_more(const char *csp, char **nonce)
{
	ARRAY(struct directive) ds = ARRAY_INIT;
	for (const char *s = csp; *s;) {
		size_t len = strcspn(s, ";");
		const char *e = s + len;
		while (s < e && isspace((unsigned char)*s))
			s++;
		const char *ne = s;
		while (ne < e && !isspace((unsigned char)*ne))
			ne++;
		if (ne > s) {
			struct directive d;
			d.name = xstrndup(s, (size_t)(ne - s));
			for (char *p = d.name; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			while (ne < e && isspace((unsigned char)*ne))
				ne++;
			size_t vl = (size_t)(e - ne);
			while (vl && isspace((unsigned char)ne[vl - 1]))
				vl--;
			d.value = xstrndup(ne, vl);
			if (find_dir(ds.v, ds.n, d.name)) { /* only the first counts (CSP3) */
				free(d.name);
				free(d.value);
			} else {
				ARRAY_GROW(ds, ds.n + 1);
				ds.v[ds.n++] = d;
			}
		}
		s = *e ? e + 1 : e;
	}
	struct directive *elem = find_dir(ds.v, ds.n, "script-src-elem");
	struct directive *script = find_dir(ds.v, ds.n, "script-src");
	struct directive *def = find_dir(ds.v, ds.n, "default-src");
	struct directive *conn = find_dir(ds.v, ds.n, "connect-src");
	if (script)
		allow_script(script, nonce);
	if (elem)
		allow_script(elem, nonce);
	if (!script && !elem && def)
		allow_script(def, nonce);
	if (conn)
		allow_connect(conn);
	else if (def)
		allow_connect(def);
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < ds.n; i++) {
		strbuf_addf(&sb, "%s%s%s%s", i ? "; " : "", ds.v[i].name, *ds.v[i].value ? " " : "",
		            ds.v[i].value);
		free(ds.v[i].name);
		free(ds.v[i].value);
	}
	free(ds.v);
	return strbuf_detach(&sb, NULL);
}

char *inject_tag(const char *nonce, unsigned version)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "<script async src=\"" INJECT_SCRIPT_PATH "?v=%u\"", version);
	if (nonce) {
		strbuf_addstr(&sb, " nonce=\"");
		for (const char *p = nonce; *p; p++)
			if (isalnum((unsigned char)*p) || strchr("+/=-_", *p))
				strbuf_addch(&sb, *p);
		strbuf_addch(&sb, '"');
	}
	strbuf_addstr(&sb, "></script>");
	return strbuf_detach(&sb, NULL);
}

/* ---- the injector ------------------------------------------------------------ */

static const char body_close[] = "</body";
#define BODY_CLOSE_LEN (sizeof(body_close) - 1)
static const char meta_open[] = "<meta";
#define META_OPEN_LEN (sizeof(meta_open) - 1)

void injector_init(struct injector *in, const char *tag)
{
	memset(in, 0, sizeof(*in));
	in->tag = tag;
	strbuf_init(&in->hold, 0);
}

void injector_init_page(struct injector *in, const char *nonce, unsigned version)
{
	injector_init(in, NULL);
	in->page = 1;
	in->version = version;
	in->nonce = nonce ? xstrdup(nonce) : NULL;
}

void injector_release(struct injector *in)
{
	free(in->tag_own);
	free(in->nonce);
	strbuf_release(&in->hold);
	in->tag_own = in->nonce = NULL;
	in->tag = NULL;
}

static void put_tag(struct injector *in, struct strbuf *out)
{
	if (in->page && !in->tag_own)
		in->tag = in->tag_own = inject_tag(in->nonce, in->version);
	strbuf_addstr(out, in->tag);
	in->done = 1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* An attribute value's bytes with HTML's character references decoded (ASCII ones). */
static char *attr_decode(const char *v, size_t n)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"quot;", '"'}, {"apos;", '\''}, {"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}};
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (v[i] != '&') {
			strbuf_addch(&sb, v[i]);
			continue;
		}
		size_t k = 0;
		for (size_t j = 0; j < ARRAY_SIZE(named) && !k; j++)
			if (n - i - 1 >= strlen(named[j].name) &&
			    !strncasecmp(v + i + 1, named[j].name, strlen(named[j].name))) {
				strbuf_addch(&sb, named[j].c);
				k = strlen(named[j].name);
			}
		if (!k && i + 2 < n && v[i + 1] == '#') {
			int hex = v[i + 2] == 'x' || v[i + 2] == 'X';
			size_t d = i + 2 + (size_t)hex, e = d;
			unsigned long c = 0;
			while (e < n && e - d < 6 &&
			       (hex ? isxdigit((unsigned char)v[e]) : isdigit((unsigned char)v[e])))
				c = c * (hex ? 16 : 10) +
				    (unsigned long)(isdigit((unsigned char)v[e])
				                        ? v[e] - '0'
				                        : tolower((unsigned char)v[e]) - 'a' + 10),
				e++;
			if (e > d && e < n && v[e] == ';' && c > 0 && c < 0x80) {
				strbuf_addch(&sb, (char)c);
				k = e - i;
			}
		}
		if (!k)
			strbuf_addch(&sb, '&');
		i += k;
	}
	return strbuf_detach(&sb, NULL);
}

/*
 * The <meta ...> tag held in t[0, n) (up to its '>'), to out: rewritten
 * when it is a Content-Security-Policy (http-equiv), else as it is.
 */
static void meta_done(struct injector *in, const char *t, size_t n, struct strbuf *out)
{
	const char *cv = NULL, *cs = NULL, *ce = NULL; /* content's value; with its quotes */
	size_t cl = 0;
	int csp = 0;
	size_t i = META_OPEN_LEN;
	while (i < n) {
		while (i < n && (is_space(t[i]) || t[i] == '/'))
			i++;
		size_t ns = i;
		while (i < n && !is_space(t[i]) && t[i] != '/' && t[i] != '>' && t[i] != '=')
			i++;
		size_t nl = i - ns;
		if (!nl) {
			i++; /* '>' (or a stray '=') */
			continue;
		}
		while (i < n && is_space(t[i]))
			i++;
		const char *vs = NULL, *q0 = t + i;
		size_t vl = 0;
		if (i < n && t[i] == '=') {
			i++;
			while (i < n && is_space(t[i]))
				i++;
			q0 = t + i;
			if (i < n && (t[i] == '"' || t[i] == '\'')) {
				char q = t[i++];
				vs = t + i;
				while (i < n && t[i] != q)
					i++;
				vl = (size_t)(t + i - vs);
				if (i < n)
					i++;
			} else {
				vs = t + i;
				while (i < n && !is_space(t[i]) && t[i] != '>')
					i++;
				vl = (size_t)(t + i - vs);
			}
		}
		if (nl == 10 && !strncasecmp(t + ns, "http-equiv", 10) && vs) {
			char *v = attr_decode(vs, vl), *p = v;
			while (is_space(*p))
				p++;
			size_t pl = strlen(p);
			while (pl && is_space(p[pl - 1]))
				pl--;
			csp = pl == 23 && !strncasecmp(p, "content-security-policy", 23);
			free(v);
		} else if (nl == 7 && !strncasecmp(t + ns, "content", 7) && vs && !cv) {
			cv = vs;
			cl = vl;
			cs = q0;
			ce = t + i;
		}
	}
	if (!csp || !cv) {
		strbuf_add(out, t, n);
		return;
	}
	char *pol = attr_decode(cv, cl), *np = inject_csp_more(pol, &in->nonce);
	strbuf_add(out, t, (size_t)(cs - t));
	strbuf_addch(out, '"');
	for (const char *p = np; *p; p++)
		if (*p == '&')
			strbuf_addstr(out, "&amp;");
		else if (*p == '"')
			strbuf_addstr(out, "&quot;");
		else
			strbuf_addch(out, *p);
	strbuf_addch(out, '"');
	strbuf_add(out, ce, (size_t)(t + n - ce));
	free(pol);
	free(np);
}

/* Sends on what hold has, and starts over. */
static void hold_flush(struct injector *in, struct strbuf *out)
{
	strbuf_add(out, in->hold.buf, in->hold.len);
	strbuf_reset(&in->hold);
	in->maybe_body = in->maybe_meta = in->in_meta = 0;
	in->quote = 0;
}

/* One byte of a <meta tag being read. */
static void meta_byte(struct injector *in, char c, struct strbuf *out)
{
	strbuf_addch(&in->hold, c);
	if (in->quote) {
		if (c == in->quote)
			in->quote = 0;
	} else if (c == '"' || c == '\'') {
		in->quote = c;
	} else if (c == '>') {
		meta_done(in, in->hold.buf, in->hold.len, out);
		strbuf_reset(&in->hold);
		in->in_meta = 0;
		return;
	}
	if (in->hold.len > INJECT_META_MAX)
		hold_flush(in, out); /* not a tag we take on */
}

void injector_feed(struct injector *in, const char *data, size_t n, struct strbuf *out)
{
	size_t i = 0;
	while (i < n) {
		if (in->done) {
			strbuf_add(out, data + i, n - i);
			return;
		}
		char c = data[i], lc = (char)tolower((unsigned char)c);
		size_t h = in->hold.len;
		if (in->in_meta) {
			meta_byte(in, c, out);
		} else if (h) {
			in->maybe_body =
			    in->maybe_body && h < BODY_CLOSE_LEN && lc == body_close[h];
			in->maybe_meta = in->maybe_meta &&
			                 (h < META_OPEN_LEN ? lc == meta_open[h]
			                                    : is_space(c) || c == '/' || c == '>');
			if (!in->maybe_body && !in->maybe_meta) {
				hold_flush(in, out);
				continue; /* c may start something itself */
			}
			if (in->maybe_meta && h == META_OPEN_LEN) {
				in->in_meta =
				    1; /* "<meta" and a delimiter: the tag up to its '>' */
				meta_byte(in, c, out);
			} else {
				strbuf_addch(&in->hold, c);
				if (in->maybe_body && in->hold.len == BODY_CLOSE_LEN) {
					put_tag(in, out);
					hold_flush(in, out);
				}
			}
		} else if (c == '<') {
			strbuf_addch(&in->hold, c);
			in->maybe_body = 1;
			in->maybe_meta = in->page;
		} else { /* the run up to the next '<' at once */
			const char *lt = memchr(data + i, '<', n - i);
			size_t run = lt ? (size_t)(lt - (data + i)) : n - i;
			strbuf_add(out, data + i, run);
			i += run;
			continue;
		}
		i++;
	}
}

void injector_finish(struct injector *in, struct strbuf *out)
{
	if (in->hold.len)
		hold_flush(in, out);
	if (!in->done)
		put_tag(in, out);
}
