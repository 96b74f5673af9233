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

/* Lets a script from the page's origin run under the directive's sources. */
static void allow_script(struct directive *dir, char **nonce)
{
	if (!*nonce)
		*nonce = find_nonce(dir->value);
	if (*nonce)
		return;
	if (has_source(dir->value, "'strict-dynamic'")) {
		/* 'self' is ignored there: a nonce of ours */
		*nonce = xstrdup("golive-dev-reload");
		char *v = add_source(dir->value, "'nonce-golive-dev-reload'");
		free(dir->value);
		dir->value = v;
		return;
	}
	if (has_source(dir->value, "'self'") || has_source(dir->value, "*"))
		return;
	char *v = add_source(dir->value, "'self'");
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
	ARRAY(struct directive) ds = ARRAY_INIT;
	*nonce = NULL;
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

void injector_init(struct injector *in, const char *tag)
{
	memset(in, 0, sizeof(*in));
	in->tag = tag;
	in->tag_len = strlen(tag);
}

void injector_feed(struct injector *in, const char *data, size_t n, struct strbuf *out)
{
	if (in->done) {
		strbuf_add(out, data, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char c = (char)tolower((unsigned char)data[i]);
		if (c == body_close[in->held]) {
			in->hold[in->held++] = data[i];
			if (in->held == BODY_CLOSE_LEN) {
				strbuf_add(out, in->tag, in->tag_len);
				strbuf_add(out, in->hold, in->held);
				in->held = 0;
				in->done = 1;
				strbuf_add(out, data + i + 1, n - i - 1);
				return;
			}
			continue;
		}
		if (in->held) {
			strbuf_add(out, in->hold, in->held);
			in->held = 0;
			if (c == body_close[0]) {
				in->hold[in->held++] = data[i];
				continue;
			}
		}
		/* copy the run up to the next '<' at once */
		const char *lt = memchr(data + i, '<', n - i);
		size_t run = lt ? (size_t)(lt - (data + i)) : n - i;
		if (!run)
			run = 1;
		strbuf_add(out, data + i, run);
		i += run - 1;
	}
}

void injector_finish(struct injector *in, struct strbuf *out)
{
	if (in->held)
		strbuf_add(out, in->hold, in->held);
	in->held = 0;
	if (!in->done)
		strbuf_add(out, in->tag, in->tag_len);
	in->done = 1;
}
