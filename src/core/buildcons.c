/* buildcons.c - see buildcons.h. */
#define _GNU_SOURCE
#include "core/buildcons.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Every GOOS and GOARCH go knows (internal/syslist): only these are file-name suffixes. */
static const char *const known_os[] = {
    "aix",   "android", "darwin", "dragonfly", "freebsd", "hurd",    "illumos", "ios",     "js",
    "linux", "nacl",    "netbsd", "openbsd",   "plan9",   "solaris", "wasip1",  "windows", "zos",
};
static const char *const unix_os[] = {
    "aix",     "android", "darwin", "dragonfly", "freebsd", "hurd",
    "illumos", "ios",     "linux",  "netbsd",    "openbsd", "solaris",
};
static const char *const known_arch[] = {
    "386",     "amd64",  "amd64p32", "arm",      "armbe",     "arm64",       "arm64be", "loong64",
    "mips",    "mipsle", "mips64",   "mips64le", "mips64p32", "mips64p32le", "ppc",     "ppc64",
    "ppc64le", "riscv",  "riscv64",  "s390",     "s390x",     "sparc",       "sparc64", "wasm",
};

static int in_list(const char *const *list, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
			return 1;
	return 0;
}

static int eqn(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && memcmp(s, w, len) == 0;
}

static const char *host_goos(void)
{
#if defined(__ANDROID__)
	return "android";
#elif defined(__linux__)
	return "linux";
#elif defined(__APPLE__)
	return "darwin";
#elif defined(__FreeBSD__)
	return "freebsd";
#elif defined(__OpenBSD__)
	return "openbsd";
#elif defined(__NetBSD__)
	return "netbsd";
#else
	return "linux";
#endif
}

static const char *host_goarch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__i386__)
	return "386";
#elif defined(__arm__)
	return "arm";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
	return "ppc64le";
#elif defined(__s390x__)
	return "s390x";
#else
	return "amd64";
#endif
}

/* Adds the words of list (separated by commas or white space) to a. */
static void add_words(struct argv_array *a, const char *list)
{
	const char *p = list;
	while (p && *p) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, ", \t");
		if (n) {
			char *w = xstrndup(p, n);
			argv_push(a, w);
			free(w);
		}
		p += n;
	}
}

/* The value of -tags in GOFLAGS ("-tags=a,b" or "--tags=a,b"), or NULL. */
static char *goflags_tags(void)
{
	const char *g = getenv("GOFLAGS");
	if (!g)
		return NULL;
	char *r = NULL;
	for (const char *p = g; *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, " \t");
		const char *w = p;
		p += n;
		if (n > 1 && w[0] == '-' && w[1] == '-') {
			w++;
			n--;
		}
		if (n >= 6 && memcmp(w, "-tags=", 6) == 0) {
			free(r); /* the last one wins, as with flags */
			r = xstrndup(w + 6, n - 6);
		}
	}
	return r;
}

void buildctx_from_env(struct buildctx *c, const char *tags, const struct goversion *go)
{
	const char *os = getenv("GOOS"), *arch = getenv("GOARCH"), *cgo = getenv("CGO_ENABLED");
	const char *amd64 = getenv("GOAMD64");
	struct goversion unknown = GOVERSION_UNKNOWN;
	memset(c, 0, sizeof(*c));
	c->goos = xstrdup(os && *os ? os : host_goos());
	c->goarch = xstrdup(arch && *arch ? arch : host_goarch());
	char *gf = goflags_tags();
	add_words(&c->tags, gf);
	free(gf);
	add_words(&c->tags, tags);
	c->go = go ? *go : unknown;
	int native = !strcmp(c->goos, host_goos()) && !strcmp(c->goarch, host_goarch());
	c->cgo = cgo && *cgo ? strcmp(cgo, "1") == 0 : native;
	c->amd64_level = 1;
	if (amd64 && amd64[0] == 'v' && amd64[1] >= '1' && amd64[1] <= '4' && !amd64[2])
		c->amd64_level = (unsigned)(amd64[1] - '0');
}

void buildctx_release(struct buildctx *c)
{
	free(c->goos);
	free(c->goarch);
	argv_clear(&c->tags);
	memset(c, 0, sizeof(*c));
}

/* True for "go1.N" when the toolchain is Go 1.N or later (unknown: the newest Go). */
static int release_tag(const struct buildctx *c, const char *s, size_t len)
{
	if (len < 5 || memcmp(s, "go1.", 4) != 0 || len > 13)
		return 0;
	unsigned minor = 0;
	for (size_t i = 4; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || (i == 4 && s[i] == '0' && len > 5))
			return 0;
		minor = minor * 10 + (unsigned)(s[i] - '0');
	}
	if (minor < 1)
		return 0;
	if (!goversion_known(&c->go))
		return 1;
	return goversion_at_least(&c->go, 1, minor);
}

int buildctx_match_tag(const struct buildctx *c, const char *s, size_t len)
{
	if (c->cgo && eqn(s, len, "cgo"))
		return 1;
	if (eqn(s, len, c->goos) || eqn(s, len, c->goarch) || eqn(s, len, "gc"))
		return 1;
	if ((!strcmp(c->goos, "android") && eqn(s, len, "linux")) ||
	    (!strcmp(c->goos, "illumos") && eqn(s, len, "solaris")) ||
	    (!strcmp(c->goos, "ios") && eqn(s, len, "darwin")))
		return 1;
	if (eqn(s, len, "unix") && in_list(unix_os, ARRAY_SIZE(unix_os), c->goos, strlen(c->goos)))
		return 1;
	for (size_t i = 0; i < c->tags.argc; i++)
		if (eqn(s, len, c->tags.argv[i]))
			return 1;
	if (!strcmp(c->goarch, "amd64") && len == 8 && memcmp(s, "amd64.v", 7) == 0 &&
	    s[7] >= '1' && s[7] <= '0' + (int)c->amd64_level)
		return 1;
	return release_tag(c, s, len);
}

/* ---- //go:build expressions --------------------------------------------- */

struct expr_parser {
	const char *s;
	size_t len, pos;
	int (*tag)(void *data, const char *name, size_t len);
	void *data;
	char *cause;
	unsigned depth;
};

static int is_tag_byte(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '.' || ch >= 0x80;
}

/* Skips blanks; the next byte, or 0 at the end. */
static char peek(struct expr_parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
		p->pos++;
	return p->pos < p->len ? p->s[p->pos] : 0;
}

static int fail(struct expr_parser *p, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int fail(struct expr_parser *p, const char *fmt, ...)
{
	if (!p->cause) {
		struct strbuf sb = STRBUF_INIT;
		va_list ap;
		va_start(ap, fmt);
		strbuf_vaddf(&sb, fmt, ap);
		va_end(ap);
		p->cause = strbuf_detach(&sb, NULL);
	}
	return -1;
}

/* A description of the token at the current position, for messages. */
static char *token_here(struct expr_parser *p)
{
	if (peek(p) == 0)
		return xstrdup("end of expression");
	size_t n = 1;
	if (is_tag_byte((unsigned char)p->s[p->pos]))
		while (p->pos + n < p->len && is_tag_byte((unsigned char)p->s[p->pos + n]) &&
		       n < 40)
			n++;
	else if (p->pos + 1 < p->len && (p->s[p->pos] == '&' || p->s[p->pos] == '|') &&
	         p->s[p->pos + 1] == p->s[p->pos])
		n = 2;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "token \"");
	char *t = xstrndup(p->s + p->pos, n);
	strbuf_add_printable(&sb, t, 1);
	strbuf_addch(&sb, '"');
	free(t);
	return strbuf_detach(&sb, NULL);
}

static int unexpected(struct expr_parser *p)
{
	char *t = token_here(p);
	fail(p, "unexpected %s at offset %zu", t, p->pos);
	free(t);
	return -1;
}

static int parse_or(struct expr_parser *p);

/* atom := tag | "(" or ")" ; not := "!" atom | atom */
static int parse_not(struct expr_parser *p)
{
	int neg = 0;
	if (peek(p) == '!') {
		p->pos++;
		neg = 1;
		if (peek(p) == '!')
			return fail(p, "double negation not allowed at offset %zu", p->pos);
	}
	char ch = peek(p);
	int v;
	if (ch == '(') {
		if (++p->depth > BUILDEXPR_MAX_DEPTH)
			return fail(p, "parentheses nested deeper than %d", BUILDEXPR_MAX_DEPTH);
		p->pos++;
		v = parse_or(p);
		if (v < 0)
			return -1;
		if (peek(p) != ')')
			return p->pos >= p->len ? fail(p, "missing close paren") : unexpected(p);
		p->pos++;
		p->depth--;
	} else if (ch && is_tag_byte((unsigned char)ch)) {
		size_t start = p->pos;
		while (p->pos < p->len && is_tag_byte((unsigned char)p->s[p->pos]))
			p->pos++;
		v = p->tag(p->data, p->s + start, p->pos - start) ? 1 : 0;
	} else {
		return unexpected(p);
	}
	return neg ? !v : v;
}

static int match2(struct expr_parser *p, char ch)
{
	if (peek(p) == ch && p->pos + 1 < p->len && p->s[p->pos + 1] == ch) {
		p->pos += 2;
		return 1;
	}
	return 0;
}

static int parse_and(struct expr_parser *p)
{
	int v = parse_not(p);
	while (v >= 0 && match2(p, '&')) {
		int w = parse_not(p);
		v = w < 0 ? -1 : (v && w);
	}
	return v;
}

static int parse_or(struct expr_parser *p)
{
	int v = parse_and(p);
	while (v >= 0 && match2(p, '|')) {
		int w = parse_and(p);
		v = w < 0 ? -1 : (v || w);
	}
	return v;
}

int buildexpr_eval(const char *expr, size_t len,
                   int (*tag)(void *data, const char *name, size_t len), void *data, char **cause)
{
	struct expr_parser p = {expr, len, 0, tag, data, NULL, 0};
	int v = parse_or(&p);
	if (v >= 0 && peek(&p) != 0)
		v = unexpected(&p);
	if (v < 0) {
		*cause = p.cause ? p.cause : xstrdup("malformed expression");
		return -1;
	}
	return v;
}

/* ---- files ---------------------------------------------------------------- */

int buildcons_name_ok(const struct buildctx *c, const char *base)
{
	size_t n = strcspn(base, "."); /* go/build cuts at the first dot */
	const char *us = memchr(base, '_', n);
	if (!us)
		return 1;
	/* the words after the first '_', without a final "test" */
	const char *w[3] = {NULL, NULL, NULL};
	size_t wl[3] = {0, 0, 0}, k = 0;
	const char *end = base + n;
	for (const char *p = us + 1;;) {
		const char *q = memchr(p, '_', (size_t)(end - p));
		const char *e = q ? q : end;
		/* keep the last three words */
		if (k == 3) {
			w[0] = w[1], wl[0] = wl[1];
			w[1] = w[2], wl[1] = wl[2];
			k = 2;
		}
		w[k] = p;
		wl[k++] = (size_t)(e - p);
		if (!q)
			break;
		p = q + 1;
	}
	if (k && eqn(w[k - 1], wl[k - 1], "test"))
		k--;
	if (k >= 2 && in_list(known_os, ARRAY_SIZE(known_os), w[k - 2], wl[k - 2]) &&
	    in_list(known_arch, ARRAY_SIZE(known_arch), w[k - 1], wl[k - 1]))
		return buildctx_match_tag(c, w[k - 2], wl[k - 2]) &&
		       buildctx_match_tag(c, w[k - 1], wl[k - 1]);
	if (k >= 1 && (in_list(known_os, ARRAY_SIZE(known_os), w[k - 1], wl[k - 1]) ||
	               in_list(known_arch, ARRAY_SIZE(known_arch), w[k - 1], wl[k - 1])))
		return buildctx_match_tag(c, w[k - 1], wl[k - 1]);
	return 1;
}

static int ctx_tag(void *data, const char *name, size_t len)
{
	return buildctx_match_tag(data, name, len);
}

/* s (len bytes) without leading and trailing white space. */
static const char *trim(const char *s, size_t *len)
{
	while (*len && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\v' || *s == '\f')) {
		s++;
		(*len)--;
	}
	while (*len && (s[*len - 1] == ' ' || s[*len - 1] == '\t' || s[*len - 1] == '\r' ||
	                s[*len - 1] == '\v' || s[*len - 1] == '\f'))
		(*len)--;
	return s;
}

static int is_go_build(const char *l, size_t n)
{
	return n >= 10 && memcmp(l, "//go:build", 10) == 0 &&
	       (n == 10 || l[10] == ' ' || l[10] == '\t');
}

/* One `// +build` line's options: true when one holds (go/build's plusBuild rules). */
static int plus_build_line(const struct buildctx *c, const char *l, size_t n)
{
	const char *p = l, *end = l + n;
	int any = 0;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *f = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		if (f == p)
			break;
		int ok = 1;
		for (const char *t = f; t < p && ok;) {
			const char *comma = memchr(t, ',', (size_t)(p - t));
			const char *te = comma ? comma : p;
			int neg = t < te && *t == '!';
			const char *name = t + neg;
			int valid = name < te;
			for (const char *x = name; x < te; x++)
				valid = valid && is_tag_byte((unsigned char)*x);
			int m = valid && buildctx_match_tag(c, name, (size_t)(te - name));
			ok = valid && (neg ? !m : m);
			t = comma ? comma + 1 : p;
		}
		if (ok)
			any = 1;
	}
	return any;
}

int buildcons_header_ok(const struct buildctx *c, const char *src, size_t len, char **cause)
{
	size_t end = 0; /* the header goes up to the last blank line before the code */
	const char *gobuild = NULL;
	size_t gobuild_len = 0;
	int ended = 0, in_star = 0;
	size_t i = 0;
	if (len >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len) {
		const char *nl = memchr(src + i, '\n', len - i);
		size_t ln = nl ? (size_t)(nl - (src + i)) : len - i;
		size_t next = nl ? i + ln + 1 : len;
		const char *line = trim(src + i, &ln);
		i = next;
		if (!ln && !ended) {
			end = i;
			continue;
		}
		if (!(ln >= 2 && line[0] == '/' && line[1] == '/'))
			ended = 1;
		if (!in_star && is_go_build(line, ln)) {
			if (gobuild) {
				*cause = xstrdup("multiple //go:build comments");
				return -1;
			}
			gobuild = line;
			gobuild_len = ln;
		}
		int stop = 0;
		while (ln) {
			if (in_star) {
				const char *e = memmem(line, ln, "*/", 2);
				if (!e)
					break;
				in_star = 0;
				ln -= (size_t)(e + 2 - line);
				line = trim(e + 2, &ln);
				continue;
			}
			if (ln >= 2 && line[0] == '/' && line[1] == '/')
				break;
			if (ln >= 2 && line[0] == '/' && line[1] == '*') {
				in_star = 1;
				ln -= 2;
				line = trim(line + 2, &ln);
				continue;
			}
			stop = 1; /* code */
			break;
		}
		if (stop)
			break;
	}
	if (gobuild) {
		char *why = NULL;
		int v = buildexpr_eval(gobuild + 10, gobuild_len - 10, ctx_tag, (void *)c, &why);
		if (v < 0) {
			*cause = xasprintf("parsing //go:build line: %s", why);
			free(why);
		}
		return v;
	}
	/* `// +build` lines in the header: all must hold */
	for (size_t j = 0; j < end;) {
		const char *nl = memchr(src + j, '\n', end - j);
		size_t ln = nl ? (size_t)(nl - (src + j)) : end - j;
		const char *line = trim(src + j, &ln);
		j = nl ? (size_t)(nl - src) + 1 : end;
		if (ln < 2 || line[0] != '/' || line[1] != '/')
			continue;
		line += 2;
		ln -= 2;
		line = trim(line, &ln);
		if (ln >= 6 && memcmp(line, "+build", 6) == 0 &&
		    (ln == 6 || line[6] == ' ' || line[6] == '\t') &&
		    !plus_build_line(c, line + 6, ln - 6))
			return 0;
	}
	return 1;
}
