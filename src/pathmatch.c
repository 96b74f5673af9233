/* pathmatch.c - see pathmatch.h. */
#define _GNU_SOURCE
#include "pathmatch.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The largest .gitignore (or info/exclude) read; a larger one is skipped. */
#define GITIGNORE_MAX (8u << 20)

/*
 * A pattern is compiled to segments, split at its slashes. Matching walks
 * them against the path's segments: a SEG_GLOB matches one path segment
 * (seg_match), SEG_ANY any one segment, SEG_STARSTAR any number of them.
 * Both levels use the classic iterative backtracking of '*' that only
 * remembers the last star, so a match costs at most O(pattern * path) and
 * never recurses: no pattern can make it exponential or blow the stack.
 */
enum { SEG_GLOB, SEG_ANY, SEG_STARSTAR };

struct pseg {
	const char *p; /* SEG_GLOB: the glob (points into the pattern text) */
	size_t len;
	int kind; /* SEG_* */
};

struct pattern {
	struct pseg *segs; /* malloc'd; points into the pattern text */
	size_t n;
	size_t min;       /* segments a match needs at least (those not "**") */
	int anchored;     /* 0: matches below any directory (a virtual leading "**") */
	int dir_only;     /* written with a trailing '/' */
	int has_starstar; /* some segment is "**" */
};

/* A segment of a path: no '/' in it, never empty. */
struct span {
	const char *p;
	size_t len;
};

typedef ARRAY(struct span) span_array;

/* What follows the pattern's own segments when matching a directory-only pattern. */
enum { TAIL_NONE, TAIL_DIR, TAIL_SUB };

static const struct pseg starstar_seg = {NULL, 0, SEG_STARSTAR};
static const struct pseg tail_dir[] = {{NULL, 0, SEG_STARSTAR}};
static const struct pseg tail_sub[] = {{NULL, 0, SEG_ANY}, {NULL, 0, SEG_STARSTAR}};

/* --- one segment: *, ?, [...], \c ------------------------------------------ */

/* 1 when c is in the POSIX class name[0..len) ("alpha"), 0 when not, -1 for an unknown name. */
static int posix_class(const char *name, size_t len, int c)
{
	static const struct {
		const char *name;
		int (*fn)(int);
	} classes[] = {
	    {"alnum", isalnum}, {"alpha", isalpha}, {"blank", isblank}, {"cntrl", iscntrl},
	    {"digit", isdigit}, {"graph", isgraph}, {"lower", islower}, {"print", isprint},
	    {"punct", ispunct}, {"space", isspace}, {"upper", isupper}, {"xdigit", isxdigit},
	};
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
		if (strlen(classes[i].name) == len && !memcmp(classes[i].name, name, len))
			return c >= 0 && classes[i].fn(c) ? 1 : 0;
	return -1;
}

/*
 * Reads the class that opens at p[i] == '['. Returns the index just past its
 * closing ']', or 0 with *why for a malformed class. With c >= 0, *hit says
 * whether the byte c belongs to the class.
 */
static size_t class_scan(const char *p, size_t pl, size_t i, int c, int *hit, const char **why)
{
	int negate = 0, found = 0;

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
				int r = posix_class(p + i + 2, j - (i + 2), c);
				if (r < 0) {
					*why = "unknown character class";
					return 0;
				}
				found |= r;
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
		if (c >= lo && c <= hi)
			found = 1;
	}
	*hit = found != negate;
	return i + 1;
unclosed:
	*why = "unclosed [";
	return 0;
}

/* Matches the byte c against the item at p[*i] (not a '*') and moves *i past it. */
static int item_match(const char *p, size_t pl, size_t *i, unsigned char c)
{
	unsigned char pc = (unsigned char)p[*i];
	const char *why;
	int hit = 0;
	size_t end;

	switch (pc) {
	case '?':
		(*i)++;
		return 1;
	case '[':
		end = class_scan(p, pl, *i, c, &hit, &why);
		if (!end)
			return 0; /* malformed; compiled patterns never are */
		*i = end;
		return hit;
	case '\\':
		if (*i + 1 < pl)
			pc = (unsigned char)p[++*i];
		break;
	}
	(*i)++;
	return pc == c;
}

/*
 * Glob p[0..pl) against one path segment t[0..tl). Iterative: on a mismatch
 * go back to the last '*' and let it take one more byte. Each restart scans
 * at most the pattern, so the cost is O(pl * tl).
 */
static int seg_match(const char *p, size_t pl, const char *t, size_t tl)
{
	size_t pi = 0, ti = 0, star = SIZE_MAX, star_t = 0;

	while (ti < tl) {
		if (pi < pl && p[pi] == '*') {
			while (pi < pl && p[pi] == '*')
				pi++;
			if (pi == pl)
				return 1; /* a trailing star takes the rest */
			star = pi;
			star_t = ti;
			continue;
		}
		if (pi < pl) {
			size_t next = pi;
			if (item_match(p, pl, &next, (unsigned char)t[ti])) {
				pi = next;
				ti++;
				continue;
			}
		}
		if (star == SIZE_MAX)
			return 0;
		pi = star;
		ti = ++star_t;
	}
	while (pi < pl && p[pi] == '*')
		pi++;
	return pi == pl;
}

/* 0, or -1 with *why when the glob segment is malformed. */
static int seg_check(const char *p, size_t pl, const char **why)
{
	for (size_t i = 0; i < pl;) {
		int hit;
		if (p[i] == '\\') {
			if (i + 1 >= pl) {
				*why = "trailing \\";
				return -1;
			}
			i += 2;
		} else if (p[i] == '[') {
			i = class_scan(p, pl, i, -1, &hit, why);
			if (!i)
				return -1;
		} else {
			i++;
		}
	}
	return 0;
}

/* --- whole patterns ------------------------------------------------------- */

static void pattern_release(struct pattern *pt)
{
	free(pt->segs);
	memset(pt, 0, sizeof(*pt));
}

/*
 * Compiles s (which must outlive pt). Returns 0, or -1 with *why (pt then
 * owns nothing): a malformed segment, an empty one, or no segment at all.
 */
static int pattern_compile(const char *s, struct pattern *pt, const char **why)
{
	size_t len = strlen(s), nslash = 0, start = 0, i, w;
	int lead = 0, trail = 0;

	memset(pt, 0, sizeof(*pt));
	for (i = 0; i < len; i++)
		nslash += s[i] == '/';
	pt->segs = xmalloc((nslash + 3) * sizeof(*pt->segs));

	/* split at '/' */
	for (i = 0;; i++) {
		if (i < len && s[i] == '\\') {
			if (i + 1 < len && s[i + 1] == '/') {
				*why = "escaped /"; /* git itself is not consistent about "\/" */
				goto fail;
			}
			if (i + 1 < len)
				i++; /* an escaped byte stays in its segment */
			continue;    /* a trailing '\\' too: seg_check reports it */
		}
		if (i < len && s[i] != '/')
			continue;
		if (i > start) {
			struct pseg *g = &pt->segs[pt->n++];
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
		if (pt->segs[i].kind == SEG_STARSTAR)
			pt->has_starstar = 1;
		else
			pt->min++;
		if (pt->segs[i].kind == SEG_GLOB && seg_check(pt->segs[i].p, pt->segs[i].len, why))
			goto fail;
	}
	return 0;
fail:
	pattern_release(pt);
	return -1;
}

/*
 * The segments a match walks: a virtual "**" first for an unanchored
 * pattern, the pattern's own, then the tail (TAIL_DIR: "**", the path or
 * any directory above it; TAIL_SUB: one segment and "**", a directory above
 * the path).
 */
struct view {
	const struct pattern *pt;
	size_t lead, n;
	const struct pseg *tail;
};

static const struct pseg *view_at(const struct view *v, size_t i)
{
	if (i < v->lead)
		return &starstar_seg;
	i -= v->lead;
	if (i < v->pt->n)
		return &v->pt->segs[i];
	return &v->tail[i - v->pt->n];
}

/*
 * Matches the segments of pt (with the tail) against the path segments
 * ps[0..np). Each (pattern segment, path segment) pair is compared at most
 * once: a pattern segment belongs to the run after one "**", and for that
 * "**" each restart moves to a new diagonal.
 */
static int pattern_match(const struct pattern *pt, const struct span *ps, size_t np, int tail)
{
	struct view v = {pt, !pt->anchored, 0, NULL};
	size_t i = 0, j = 0, star = SIZE_MAX, star_j = 0;

	if (tail == TAIL_NONE) {
		/* the common cases, without the walk */
		if (np < pt->min)
			return 0;
		if (!pt->anchored && pt->n == 1 && pt->segs[0].kind == SEG_GLOB)
			return seg_match(pt->segs[0].p, pt->segs[0].len, ps[np - 1].p,
			                 ps[np - 1].len);
		if (pt->anchored && !pt->has_starstar && np != pt->n)
			return 0;
		if (pt->segs[pt->n - 1].kind == SEG_GLOB &&
		    !seg_match(pt->segs[pt->n - 1].p, pt->segs[pt->n - 1].len, ps[np - 1].p,
		               ps[np - 1].len))
			return 0;
	} else {
		v.tail = tail == TAIL_DIR ? tail_dir : tail_sub;
	}
	v.n = v.lead + pt->n + (tail == TAIL_NONE ? 0 : tail == TAIL_DIR ? 1 : 2);

	while (j < np) {
		if (i < v.n) {
			const struct pseg *s = view_at(&v, i);
			if (s->kind == SEG_STARSTAR) {
				star = i++;
				star_j = j;
				continue;
			}
			if (s->kind == SEG_ANY || seg_match(s->p, s->len, ps[j].p, ps[j].len)) {
				i++;
				j++;
				continue;
			}
		}
		if (star == SIZE_MAX)
			return 0;
		i = star + 1;
		j = ++star_j;
	}
	while (i < v.n && view_at(&v, i)->kind == SEG_STARSTAR)
		i++;
	return i == v.n;
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
	const char *why;
	int ret;

	if (pattern_compile(pattern, &pt, &why))
		return 0;
	split_path(path, &ps);
	ret = pattern_match(&pt, ps.v, ps.n,
	                    !pt.dir_only ? TAIL_NONE
	                    : is_dir     ? TAIL_DIR
	                                 : TAIL_SUB);
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
 * The verdict of the rules on the path ps[0..np) itself (parents aside): 1
 * ignored, -1 re-included by a '!' rule, 0 when no rule matches. Deeper
 * .gitignore files come first, then the root's, then info/exclude; in each
 * the last matching rule wins.
 */
static int verdict(const struct gitignore *g, const struct span *ps, size_t np, int is_dir)
{
	for (size_t s = g->sources.n; s-- > 0;) {
		const struct source *src = g->sources.v[s];
		size_t nd = src->dsegs.n, k;
		if (nd >= np)
			continue;
		for (k = 0; k < nd; k++)
			if (ps[k].len != src->dsegs.v[k].len ||
			    memcmp(ps[k].p, src->dsegs.v[k].p, ps[k].len))
				break;
		if (k < nd)
			continue;
		for (size_t r = src->rules.n; r-- > 0;) {
			const struct rule *rule = &src->rules.v[r];
			if (rule->pt.dir_only && !is_dir)
				continue;
			if (pattern_match(&rule->pt, ps + nd, np - nd, TAIL_NONE))
				return rule->negate ? -1 : 1;
		}
	}
	return 0;
}

int gitignore_ignored(const struct gitignore *g, const char *path, int is_dir)
{
	span_array ps = ARRAY_INIT;
	int ret = 0;

	split_path(path, &ps);
	for (size_t k = 0; k < ps.n; k++)
		if (ps.v[k].len == 4 && !memcmp(ps.v[k].p, ".git", 4)) {
			ret = 1;
			goto out;
		}
	/* a directory above the path first: git never looks inside an ignored one */
	for (size_t k = 1; k <= ps.n && g->sources.n; k++)
		if (verdict(g, ps.v, k, k < ps.n || is_dir) > 0) {
			ret = 1;
			break;
		}
out:
	ARRAY_FREE(ps);
	return ret;
}
