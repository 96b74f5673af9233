/* pathmatch.c - see pathmatch.h. */
#define _GNU_SOURCE
#include "core/pathmatch.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The largest .gitignore (or info/exclude) read; a larger one is skipped. */
#define GITIGNORE_MAX (8u << 20)

/*
 * A pattern is compiled to segments, split at its slashes: a SEG_GLOB
 * matches one path segment (seg_match), SEG_ANY any one segment,
 * SEG_STARSTAR any number of them. Inside a segment, '*' uses the classic
 * iterative backtracking that only remembers the last star; across
 * segments, the pattern runs as an NFA over the path's segments, which
 * finds at once every prefix of the path the pattern matches (what the
 * parent-directory rules need). Nothing recurses, and a match costs at most
 * O(len(pattern) * len(path)) whatever the pattern.
 */
enum { SEG_GLOB, SEG_ANY, SEG_STARSTAR };

/* A glob segment is compiled to items, each matching one byte but IT_STAR. */
enum { IT_BYTE, IT_ONE, IT_CLASS, IT_STAR };

struct item {
	unsigned char kind; /* IT_* */
	unsigned char c;    /* IT_BYTE: the byte */
	uint32_t cls;       /* IT_CLASS: the index of its bitmap in pattern.classes */
};

typedef unsigned char class_bits[32]; /* bit c: byte c belongs to the class */

struct pseg {
	const char *p; /* SEG_GLOB: the glob text (points into the pattern text) */
	size_t len;
	size_t first, nit; /* SEG_GLOB: its items, pattern.items[first..first+nit) */
	int kind;          /* SEG_* */
};

struct pattern {
	struct pseg *segs; /* malloc'd; points into the pattern text */
	size_t n;
	struct item *items; /* malloc'd, the items of all SEG_GLOB segments */
	size_t nitems;
	class_bits *classes; /* malloc'd */
	size_t nclasses;
	size_t min;   /* segments a match needs at least (those not "**") */
	int anchored; /* 0: matches below any directory (a virtual leading "**") */
	int dir_only; /* written with a trailing '/' */
};

/* A segment of a path: no '/' in it, never empty. */
struct span {
	const char *p;
	size_t len;
};

typedef ARRAY(struct span) span_array;

/* Scratch memory for prefix_match, reused across calls. */
typedef ARRAY(unsigned char) byte_array;

static const struct pseg starstar_seg = {NULL, 0, 0, 0, SEG_STARSTAR};

/* --- one segment: *, ?, [...], \c ------------------------------------------ */

static void bits_set(unsigned char *bits, unsigned lo, unsigned hi)
{
	for (unsigned c = lo; c <= hi; c++)
		bits[c >> 3] |= (unsigned char)(1u << (c & 7));
}

/* Adds the POSIX class name[0..len) ("alpha") to bits; -1 for an unknown name. */
static int posix_class(const char *name, size_t len, unsigned char *bits)
{
	static const struct {
		const char *name;
		int (*fn)(int);
	} classes[] = {
	    {"alnum", isalnum}, {"alpha", isalpha}, {"blank", isblank}, {"cntrl", iscntrl},
	    {"digit", isdigit}, {"graph", isgraph}, {"lower", islower}, {"print", isprint},
	    {"punct", ispunct}, {"space", isspace}, {"upper", isupper}, {"xdigit", isxdigit},
	};
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++) {
		if (strlen(classes[i].name) != len || memcmp(classes[i].name, name, len))
			continue;
		for (unsigned c = 0; c < 256; c++)
			if (classes[i].fn((int)c))
				bits_set(bits, c, c);
		return 0;
	}
	return -1;
}

/*
 * Compiles the class that opens at p[i] == '[' into bits (zeroed by the
 * caller). Returns the index just past its closing ']', or 0 with *why.
 */
static size_t class_compile(const char *p, size_t pl, size_t i, unsigned char *bits,
                            const char **why)
{
	int negate = 0;

	i++;
	if (i < pl && (p[i] == '!' || p[i] == '^')) {
		negate = 1;
		i++;
	}
	for (int first = 1;; first = 0) {
		if (i >= pl)
			goto unclosed;
		unsigned char lo = (unsigned char)p[i], hi;
		if (lo == ']' && !first)
			break;
		if (lo == '[' && i + 1 < pl && p[i + 1] == ':') {
			size_t j = i + 2;
			while (j + 1 < pl && !(p[j] == ':' && p[j + 1] == ']'))
				j++;
			if (j + 1 < pl) {
				if (posix_class(p + i + 2, j - (i + 2), bits)) {
					*why = "unknown character class";
					return 0;
				}
				i = j + 2;
				continue;
			}
			/* no ":]": a plain '[' */
		}
		if (lo == '\\') {
			if (++i >= pl)
				goto unclosed;
			lo = (unsigned char)p[i];
		}
		i++;
		hi = lo;
		if (i + 1 < pl && p[i] == '-' && p[i + 1] != ']') {
			i++;
			if (p[i] == '\\' && ++i >= pl)
				goto unclosed;
			hi = (unsigned char)p[i++];
		}
		if (lo <= hi)
			bits_set(bits, lo, hi);
	}
	if (negate)
		for (size_t k = 0; k < sizeof(class_bits); k++)
			bits[k] = (unsigned char)~bits[k];
	return i + 1;
unclosed:
	*why = "unclosed [";
	return 0;
}

/* Compiles the glob segment g into pt->items: 0, or -1 with *why. */
static int seg_compile(struct pattern *pt, struct pseg *g, const char **why)
{
	const char *p = g->p;
	size_t pl = g->len, i = 0;

	g->first = pt->nitems;
	while (i < pl) {
		struct item it = {IT_BYTE, 0, 0};
		switch (p[i]) {
		case '*':
			while (i < pl && p[i] == '*')
				i++;
			it.kind = IT_STAR;
			break;
		case '?':
			it.kind = IT_ONE;
			i++;
			break;
		case '[':
			memset(pt->classes[pt->nclasses], 0, sizeof(class_bits));
			i = class_compile(p, pl, i, pt->classes[pt->nclasses], why);
			if (!i)
				return -1;
			it.kind = IT_CLASS;
			it.cls = (uint32_t)pt->nclasses++;
			break;
		case '\\':
			if (i + 1 >= pl) {
				*why = "trailing \\";
				return -1;
			}
			it.c = (unsigned char)p[i + 1];
			i += 2;
			break;
		default:
			it.c = (unsigned char)p[i++];
		}
		pt->items[pt->nitems++] = it;
	}
	g->nit = pt->nitems - g->first;
	return 0;
}

static int item_match(const struct pattern *pt, const struct item *it, unsigned char c)
{
	switch (it->kind) {
	case IT_BYTE:
		return it->c == c;
	case IT_CLASS:
		return pt->classes[it->cls][c >> 3] >> (c & 7) & 1;
	default:
		return 1; /* IT_ONE */
	}
}

/*
 * The glob segment g against one path segment t[0..tl). Iterative: on a
 * mismatch go back to the last '*' and let it take one more byte. Each
 * restart scans at most the segment's items, so the cost is O(items * tl).
 */
static int seg_match(const struct pattern *pt, const struct pseg *g, const char *t, size_t tl)
{
	const struct item *it = pt->items + g->first;
	size_t n = g->nit, pi = 0, ti = 0, star = SIZE_MAX, star_t = 0;

	while (ti < tl) {
		if (pi < n && it[pi].kind == IT_STAR) {
			if (++pi == n)
				return 1; /* a trailing star takes the rest */
			star = pi;
			star_t = ti;
			continue;
		}
		if (pi < n && item_match(pt, &it[pi], (unsigned char)t[ti])) {
			pi++;
			ti++;
			continue;
		}
		if (star == SIZE_MAX)
			return 0;
		pi = star;
		ti = ++star_t;
	}
	while (pi < n && it[pi].kind == IT_STAR)
		pi++;
	return pi == n;
}

/* --- whole patterns ------------------------------------------------------- */

static void pattern_release(struct pattern *pt)
{
	free(pt->segs);
	free(pt->items);
	free(pt->classes);
	memset(pt, 0, sizeof(*pt));
}

/*
 * Compiles s (which must outlive pt). Returns 0, or -1 with *why (pt then
 * owns nothing): a malformed segment, an empty one, or no segment at all.
 */
static int pattern_compile(const char *s, struct pattern *pt, const char **why)
{
	size_t len = strlen(s), nslash = 0, nbracket = 0, start = 0, i, w;
	int lead = 0, trail = 0;

	memset(pt, 0, sizeof(*pt));
	for (i = 0; i < len; i++) {
		nslash += s[i] == '/';
		nbracket += s[i] == '[';
	}
	pt->segs = xmalloc((nslash + 3) * sizeof(*pt->segs));
	pt->items = xmalloc((len + 1) * sizeof(*pt->items));
	pt->classes = xmalloc((nbracket + 1) * sizeof(*pt->classes));

	/* split at '/' */
	for (i = 0;; i++) {
		if (i < len && s[i] == '\\') {
			if (i + 1 < len && s[i + 1] == '/') {
				*why = "escaped /"; /* git itself is not consistent about "\/" */
				goto fail;
			}
			if (i + 1 < len)
				i++; /* an escaped byte stays in its segment */
			continue;    /* a trailing '\\' too: seg_compile reports it */
		}
		if (i < len && s[i] != '/')
			continue;
		if (i > start) {
			struct pseg *g = &pt->segs[pt->n++];
			memset(g, 0, sizeof(*g));
			g->p = s + start;
			g->len = i - start;
			/* "**" (or "***"...) as a whole segment */
			g->kind =
			    g->len >= 2 && strspn(g->p, "*") >= g->len ? SEG_STARSTAR : SEG_GLOB;
			trail = 0;
		} else if (i == 0 && i < len) {
			lead = 1;
		} else if (i < len) {
			*why = "empty segment"; /* "a//b", "//a", "a//": git never matches them */
			goto fail;
		}
		if (i >= len)
			break;
		trail = 1;
		start = i + 1;
	}
	pt->dir_only = trail;
	pt->anchored = lead || pt->n > 1;

	/* "**" + "/" + "**" is one "**" */
	for (i = w = 0; i < pt->n; i++) {
		if (w && pt->segs[i].kind == SEG_STARSTAR && pt->segs[w - 1].kind == SEG_STARSTAR)
			continue;
		pt->segs[w++] = pt->segs[i];
	}
	pt->n = w;
	/* a trailing "**" matches something: "a/" + "**" is below a, never a itself */
	if (pt->n && pt->segs[pt->n - 1].kind == SEG_STARSTAR) {
		pt->segs[pt->n - 1].kind = SEG_ANY;
		pt->segs[pt->n++] = starstar_seg;
	}

	if (!pt->n) {
		*why = "empty pattern";
		goto fail;
	}
	for (i = 0; i < pt->n; i++) {
		if (pt->segs[i].kind != SEG_STARSTAR)
			pt->min++;
		if (pt->segs[i].kind == SEG_GLOB && seg_compile(pt, &pt->segs[i], why))
			goto fail;
	}
	return 0;
fail:
	pattern_release(pt);
	return -1;
}

/* Segment i of pt, counting the virtual leading "**" of an unanchored pattern. */
static const struct pseg *seg_at(const struct pattern *pt, size_t i)
{
	if (!pt->anchored) {
		if (!i)
			return &starstar_seg;
		i--;
	}
	return &pt->segs[i];
}

/*
 * Sets hit[k] (k = 0..np) to whether pt matches the first k segments of ps
 * (one NFA pass over the path); returns the number of hits. scratch holds
 * the state sets. Each (pattern segment, path segment) pair is compared at
 * most once.
 */
static size_t prefix_match(const struct pattern *pt, const struct span *ps, size_t np,
                           unsigned char *hit, byte_array *scratch)
{
	size_t n = pt->n + !pt->anchored, nhits = 0, i, j;
	unsigned char *cur, *nxt, *tmp;
	int live = 1;

	memset(hit, 0, np + 1);
	if (np < pt->min)
		return 0;
	ARRAY_GROW(*scratch, 2 * (n + 1));
	cur = scratch->v;
	nxt = cur + n + 1;
	memset(cur, 0, n + 1);
	cur[0] = 1;
	for (j = 0;; j++) {
		/* "**" may match no segment: its successor is live too */
		for (i = 0; i < n; i++)
			if (cur[i] && seg_at(pt, i)->kind == SEG_STARSTAR)
				cur[i + 1] = 1;
		if (cur[n]) {
			hit[j] = 1;
			nhits++;
		}
		if (j == np || !live)
			break;
		memset(nxt, 0, n + 1);
		live = 0;
		for (i = 0; i < n; i++) {
			const struct pseg *s;
			if (!cur[i])
				continue;
			s = seg_at(pt, i);
			if (s->kind == SEG_STARSTAR)
				nxt[i] = live = 1;
			else if (s->kind == SEG_ANY || seg_match(pt, s, ps[j].p, ps[j].len))
				nxt[i + 1] = live = 1;
		}
		tmp = cur;
		cur = nxt;
		nxt = tmp;
	}
	return nhits;
}

/* Appends the segments of path to a; empty and "." segments are skipped. */
static void split_path(const char *path, span_array *a)
{
	const char *p = path;
	while (*p) {
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		if (n && !(n == 1 && *p == '.')) {
			struct span s = {p, n};
			ARRAY_PUSH(*a, s);
		}
		p = *e ? e + 1 : e;
	}
}

int glob_match(const char *pattern, const char *path, int is_dir)
{
	struct pattern pt;
	span_array ps = ARRAY_INIT;
	byte_array scratch = ARRAY_INIT;
	unsigned char *hit;
	const char *why;
	int ret = 0;

	if (pattern_compile(pattern, &pt, &why))
		return 0;
	split_path(path, &ps);
	hit = xmalloc(ps.n + 1);
	if (prefix_match(&pt, ps.v, ps.n, hit, &scratch)) {
		if (!pt.dir_only || is_dir)
			ret = ps.n > 0 && hit[ps.n];
		/* a directory-only pattern matching a directory above the path */
		for (size_t k = 1; pt.dir_only && k < ps.n && !ret; k++)
			ret = hit[k];
	}
	free(hit);
	ARRAY_FREE(scratch);
	ARRAY_FREE(ps);
	pattern_release(&pt);
	return ret;
}

int glob_match_any(const struct argv_array *list, const char *path, int is_dir)
{
	for (size_t i = 0; i < list->argc; i++)
		if (glob_match(list->argv[i], path, is_dir))
			return 1;
	return 0;
}

int glob_check(const char *pattern, char **cause)
{
	struct pattern pt;
	const char *why;

	if (!pattern_compile(pattern, &pt, &why)) {
		pattern_release(&pt);
		return 0;
	}
	if (cause) {
		/* one line, whatever the pattern holds */
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "%s in \"", why);
		for (const unsigned char *p = (const unsigned char *)pattern; *p; p++)
			if (*p < 0x20 || *p == 0x7f)
				strbuf_addf(&sb, "\\x%02x", *p);
			else
				strbuf_addch(&sb, *p);
		strbuf_addch(&sb, '"');
		*cause = strbuf_detach(&sb, NULL);
	}
	return -1;
}

/* --- .gitignore ----------------------------------------------------------- */

struct rule {
	char *text; /* the pattern, without '!'; pt points into it */
	struct pattern pt;
	int negate;
};

/* The rules of one file (or one gitignore_add_text call). */
struct source {
	char *dir; /* relative to root, "" for the root; dsegs point into it */
	span_array dsegs;
	int key; /* precedence: the depth of dir, -1 for .git/info/exclude */
	ARRAY(struct rule) rules;
};

struct gitignore {
	char *root;
	ARRAY(struct source *) sources; /* lowest precedence first */
	struct argv_array read;         /* the dirs whose .gitignore was read */
};

/* dir without empty or "." segments: "a//b/" and "./a/b" are "a/b"; malloc'd. */
static char *dir_clean(const char *dir)
{
	span_array segs = ARRAY_INIT;
	struct strbuf sb = STRBUF_INIT;

	split_path(dir ? dir : "", &segs);
	for (size_t i = 0; i < segs.n; i++) {
		if (i)
			strbuf_addch(&sb, '/');
		strbuf_add(&sb, segs.v[i].p, segs.v[i].len);
	}
	ARRAY_FREE(segs);
	return strbuf_detach(&sb, NULL);
}

/* The length of s[0..n) without its trailing spaces, unless escaped ("a\ " keeps one). */
static size_t trim_trailing_spaces(const char *s, size_t n)
{
	size_t end = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			end = ++i + 1;
		else if (s[i] != ' ')
			end = i + 1;
	}
	return end;
}

static void source_add_line(struct source *src, const char *s, size_t n)
{
	struct rule r = {0};
	const char *why;

	if (n && s[n - 1] == '\r')
		n--;
	if (!n || s[0] == '#' || memchr(s, '\0', n))
		return;
	n = trim_trailing_spaces(s, n);
	if (n && s[0] == '!') {
		r.negate = 1;
		s++;
		n--;
	}
	if (!n)
		return;
	r.text = xstrndup(s, n);
	if (pattern_compile(r.text, &r.pt, &why)) {
		free(r.text); /* git ignores a malformed pattern: it never matches */
		return;
	}
	ARRAY_PUSH(src->rules, r);
}

static void add_text_key(struct gitignore *g, const char *dir, const char *text, size_t len,
                         int key)
{
	struct source *src = xcalloc(1, sizeof(*src));
	size_t pos;

	src->dir = dir_clean(dir);
	split_path(src->dir, &src->dsegs);
	src->key = key < 0 ? key : (int)src->dsegs.n;

	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
		text += 3; /* a UTF-8 byte order mark */
		len -= 3;
	}
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len;
		source_add_line(src, text + i, end - i);
		i = end + 1;
	}
	if (!src->rules.n) {
		ARRAY_FREE(src->dsegs);
		free(src->dir);
		free(src);
		return;
	}
	/* after every source of the same or lower precedence */
	ARRAY_GROW(g->sources, g->sources.n + 1);
	for (pos = g->sources.n; pos > 0 && g->sources.v[pos - 1]->key > src->key; pos--)
		;
	memmove(g->sources.v + pos + 1, g->sources.v + pos,
	        (g->sources.n - pos) * sizeof(*g->sources.v));
	g->sources.v[pos] = src;
	g->sources.n++;
}

void gitignore_add_text(struct gitignore *g, const char *dir, const char *text, size_t len)
{
	add_text_key(g, dir, text, len, 0);
}

/* Reads root/rel into the rules as if it lived in dir; 1 when it was read. */
static int add_file(struct gitignore *g, const char *dir, const char *rel, int key)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = xasprintf("%s/%s", g->root, rel);
	int ok = !strbuf_read_file(&sb, path, GITIGNORE_MAX);

	if (ok)
		add_text_key(g, dir, sb.buf, sb.len, key);
	strbuf_release(&sb);
	free(path);
	return ok;
}

struct gitignore *gitignore_new(const char *root)
{
	struct gitignore *g = xcalloc(1, sizeof(*g));

	g->root = xstrdup(root && *root ? root : ".");
	add_file(g, "", ".git/info/exclude", -1);
	if (add_file(g, "", ".gitignore", 0))
		argv_push(&g->read, "");
	return g;
}

void gitignore_free(struct gitignore *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->sources.n; i++) {
		struct source *src = g->sources.v[i];
		for (size_t j = 0; j < src->rules.n; j++) {
			pattern_release(&src->rules.v[j].pt);
			free(src->rules.v[j].text);
		}
		ARRAY_FREE(src->rules);
		ARRAY_FREE(src->dsegs);
		free(src->dir);
		free(src);
	}
	ARRAY_FREE(g->sources);
	argv_clear(&g->read);
	free(g->root);
	free(g);
}

int gitignore_add_dir(struct gitignore *g, const char *dir)
{
	char *d = dir_clean(dir);
	char *rel;
	int ret = 0;

	for (size_t i = 0; i < g->read.argc; i++)
		if (!strcmp(g->read.argv[i], d))
			goto out;
	rel = *d ? xasprintf("%s/.gitignore", d) : xstrdup(".gitignore");
	ret = add_file(g, d, rel, 0);
	free(rel);
	if (ret)
		argv_push(&g->read, d);
out:
	free(d);
	return ret;
}

/*
 * Applies rule (of a file in a directory nd segments deep) to the prefixes
 * of ps[0..np) still undecided, open[0..*nopen) (ascending): the verdict
 * goes to dec[k] for each one it matches, and those leave open.
 */
static void rule_apply(const struct rule *rule, const struct span *ps, size_t np, size_t nd,
                       int is_dir, signed char *dec, size_t *open, size_t *nopen,
                       unsigned char *hit, byte_array *scratch)
{
	const struct pattern *pt = &rule->pt;
	size_t i, w, k, last = open[*nopen - 1];
	int basename = !pt->anchored && pt->n == 1 && pt->segs[0].kind == SEG_GLOB;

	if (last <= nd)
		return;
	/* a base name rule ("*.o") looks at the open prefixes only; others run over the path */
	if (!basename && !prefix_match(pt, ps + nd, last - nd, hit, scratch))
		return;
	for (i = w = 0; i < *nopen; i++) {
		k = open[i];
		if (k > nd && !(k == np && pt->dir_only && !is_dir) &&
		    (basename ? seg_match(pt, &pt->segs[0], ps[k - 1].p, ps[k - 1].len)
		              : hit[k - nd]))
			dec[k] = rule->negate ? -1 : 1;
		else
			open[w++] = k;
	}
	*nopen = w;
}

/*
 * Whether the path is ignored. dec[k] is the verdict on its first k
 * segments (1 ignored, -1 re-included by a '!' rule, 0 no rule yet): the
 * rules are tried from the highest precedence down (the deepest .gitignore
 * first, then the root's, then info/exclude; in each file the last rule
 * first) and the first that matches a prefix decides for it. The path is
 * ignored when it, or a directory above it, is. A rule costs
 * O(len(rule) * len(path)) at most, a base name rule O(open prefixes).
 */
int gitignore_ignored(const struct gitignore *g, const char *path, int is_dir)
{
	span_array ps = ARRAY_INIT;
	byte_array scratch = ARRAY_INIT;
	signed char *dec = NULL;
	unsigned char *hit = NULL;
	size_t *open = NULL, nopen, np, k;
	int ret = 0;

	split_path(path, &ps);
	np = ps.n;
	for (k = 0; k < np; k++)
		if (ps.v[k].len == 4 && !memcmp(ps.v[k].p, ".git", 4)) {
			ret = 1;
			goto out;
		}
	if (!np || !g->sources.n)
		goto out;
	dec = xcalloc(np + 1, 1);
	hit = xmalloc(np + 1);
	open = xmalloc(np * sizeof(*open));
	for (k = 0; k < np; k++)
		open[k] = k + 1;
	nopen = np;
	for (size_t s = g->sources.n; s-- > 0 && nopen;) {
		const struct source *src = g->sources.v[s];
		size_t nd = src->dsegs.n;
		if (nd >= np)
			continue;
		for (k = 0; k < nd; k++)
			if (ps.v[k].len != src->dsegs.v[k].len ||
			    memcmp(ps.v[k].p, src->dsegs.v[k].p, ps.v[k].len))
				break;
		if (k < nd)
			continue;
		for (size_t r = src->rules.n; r-- > 0 && nopen;)
			rule_apply(&src->rules.v[r], ps.v, np, nd, is_dir, dec, open, &nopen, hit,
			           &scratch);
	}
	for (k = 1; k <= np && !ret; k++)
		ret = dec[k] > 0;
out:
	free(open);
	free(dec);
	free(hit);
	ARRAY_FREE(scratch);
	ARRAY_FREE(ps);
	return ret;
}
