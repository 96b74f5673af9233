/* fix.c - see fix.h. */
#include "analysis/fix.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- applying ------------------------------------------------------------- */

/* Where each line starts in src: starts[0] = 0, one more entry per '\n'. */
typedef ARRAY(size_t) offsets;

static void line_starts(const char *src, size_t len, offsets *o)
{
	ARRAY_PUSH(*o, (size_t)0);
	for (size_t i = 0; i < len; i++)
		if (src[i] == '\n')
			ARRAY_PUSH(*o, i + 1);
}

/* The byte offset of 1-based (line, col), or SIZE_MAX when outside the text. */
static size_t offset_of(const offsets *o, size_t len, unsigned line, unsigned col)
{
	size_t start, end;

	if (line < 1 || col < 1 || line > o->n)
		return SIZE_MAX;
	start = o->v[line - 1];
	end = line < o->n ? o->v[line] - 1 : len; /* the '\n' may be addressed: col = length + 1 */
	if ((size_t)col - 1 > end - start)
		return SIZE_MAX;
	return start + col - 1;
}

struct span {
	size_t from, to; /* bytes of src replaced */
	const char *text;
};

static int cmp_span(const void *pa, const void *pb)
{
	const struct span *a = pa, *b = pb;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	return (a->to > b->to) - (a->to < b->to);
}

/* True when [a.from, a.to) and [b.from, b.to) conflict (see fix.h). */
static int overlaps(const struct span *a, const struct span *b)
{
	if (a->from == a->to && b->from == b->to)
		return a->from == b->from;
	return a->from < b->to && b->from < a->to;
}

void fix_apply(const char *src, size_t len, struct diag_fix *const *fixes, size_t nfixes,
               struct strbuf *out, struct fix_result *res, unsigned char *taken_out)
{
	offsets o = ARRAY_INIT;
	ARRAY(struct span) taken = ARRAY_INIT;
	ARRAY(struct span) mine = ARRAY_INIT;
	size_t at = 0;

	memset(res, 0, sizeof(*res));
	line_starts(src, len, &o);
	for (size_t f = 0; f < nfixes; f++) {
		const struct diag_fix *fix = fixes[f];
		int ok = fix && fix->nedits > 0;

		mine.n = 0;
		for (size_t e = 0; ok && e < fix->nedits; e++) {
			const struct diag_edit *ed = &fix->edits[e];
			struct span s = {offset_of(&o, len, ed->line, ed->col),
			                 offset_of(&o, len, ed->end_line, ed->end_col),
			                 ed->text ? ed->text : ""};
			ok = s.from != SIZE_MAX && s.to != SIZE_MAX && s.from <= s.to;
			for (size_t k = 0; ok && k < mine.n; k++)
				ok = !overlaps(&s, &mine.v[k]);
			for (size_t k = 0; ok && k < taken.n; k++)
				ok = !overlaps(&s, &taken.v[k]);
			if (ok)
				ARRAY_PUSH(mine, s);
		}
		if (taken_out)
			taken_out[f] = (unsigned char)ok;
		if (!ok) {
			res->skipped++;
			continue;
		}
		for (size_t k = 0; k < mine.n; k++)
			ARRAY_PUSH(taken, mine.v[k]);
		res->applied++;
	}
	if (taken.n)
		qsort(taken.v, taken.n, sizeof(*taken.v), cmp_span);
	for (size_t k = 0; k < taken.n; k++) {
		strbuf_add(out, src + at, taken.v[k].from - at);
		strbuf_addstr(out, taken.v[k].text);
		at = taken.v[k].to;
	}
	strbuf_add(out, src + at, len - at);
	ARRAY_FREE(o);
	ARRAY_FREE(taken);
	ARRAY_FREE(mine);
}

/* ---- the unified diff --------------------------------------------------- */

struct line {
	const char *p;
	size_t len; /* with its '\n', when it has one */
	uint64_t hash;
};
typedef ARRAY(struct line) line_array;

static void split_lines(const char *s, size_t len, line_array *out)
{
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (s + i)) + 1 : len - i;
		uint64_t h = 0xcbf29ce484222325ull;
		for (size_t k = 0; k < n; k++)
			h = (h ^ (unsigned char)s[i + k]) * 0x100000001b3ull;
		struct line l = {s + i, n, h};
		ARRAY_PUSH(*out, l);
		i += n;
	}
}

static int line_eq(const struct line *a, const struct line *b)
{
	return a->hash == b->hash && a->len == b->len && !memcmp(a->p, b->p, a->len);
}

/* One step of the edit script: a line kept, deleted from a or inserted from b. */
enum op { OP_KEEP, OP_DEL, OP_INS };
struct step {
	enum op op;
	size_t ai, bi; /* the line of a (KEEP, DEL) and of b (KEEP, INS) */
};
typedef ARRAY(struct step) step_array;

#define MYERS_MAX_D 2000 /* more differences than this: one replacement of the middle */

/*
 * The shortest edit script turning a[0, n) into b[0, m) (Myers' greedy
 * algorithm, one copy of V per d to trace back), appended to out in order;
 * -1 when it needs more than MYERS_MAX_D edits.
 */
static int myers(const struct line *a, size_t n, const struct line *b, size_t m, step_array *out)
{
	long max = (long)(n + m), dmax = max < MYERS_MAX_D ? max : MYERS_MAX_D;
	long off = dmax + 1, width = 2 * dmax + 3;
	long *v = xcalloc((size_t)width, sizeof(*v));
	long *trace = xcalloc((size_t)(dmax + 1) * (size_t)width, sizeof(*trace));
	long d, found = -1;

	for (d = 0; d <= dmax && found < 0; d++) {
		for (long k = -d; k <= d; k += 2) {
			long x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
			             ? v[off + k + 1]
			             : v[off + k - 1] + 1;
			long y = x - k;
			while (x < (long)n && y < (long)m && line_eq(&a[x], &b[y])) {
				x++;
				y++;
			}
			v[off + k] = x;
			if (x >= (long)n && y >= (long)m) {
				found = d;
				break;
			}
		}
		memcpy(trace + (size_t)d * (size_t)width, v, (size_t)width * sizeof(*v));
	}
	if (found < 0) {
		free(v);
		free(trace);
		return -1;
	}
	/* back from (n, m): the steps come out reversed */
	step_array rev = ARRAY_INIT;
	long x = (long)n, y = (long)m;
	for (d = found; d > 0; d--) {
		const long *pv = trace + (size_t)(d - 1) * (size_t)width;
		long k = x - y;
		long pk =
		    (k == -d || (k != d && pv[off + k - 1] < pv[off + k + 1])) ? k + 1 : k - 1;
		long px = pv[off + pk], py = px - pk;
		while (x > px && y > py) {
			struct step s = {OP_KEEP, (size_t)x - 1, (size_t)y - 1};
			ARRAY_PUSH(rev, s);
			x--;
			y--;
		}
		struct step s = pk == k + 1 ? (struct step){OP_INS, (size_t)x, (size_t)y - 1}
		                            : (struct step){OP_DEL, (size_t)x - 1, (size_t)y};
		ARRAY_PUSH(rev, s);
		x = px;
		y = py;
	}
	while (x > 0 && y > 0) {
		struct step s = {OP_KEEP, (size_t)x - 1, (size_t)y - 1};
		ARRAY_PUSH(rev, s);
		x--;
		y--;
	}
	for (size_t i = rev.n; i-- > 0;)
		ARRAY_PUSH(*out, rev.v[i]);
	ARRAY_FREE(rev);
	free(v);
	free(trace);
	return 0;
}

/* The steps turning a into b: Myers on what lies between the common prefix and suffix. */
static void edit_script(const line_array *a, const line_array *b, step_array *out)
{
	size_t pre = 0, suf = 0, n = a->n, m = b->n;

	while (pre < n && pre < m && line_eq(&a->v[pre], &b->v[pre]))
		pre++;
	while (suf < n - pre && suf < m - pre && line_eq(&a->v[n - 1 - suf], &b->v[m - 1 - suf]))
		suf++;
	for (size_t i = 0; i < pre; i++) {
		struct step s = {OP_KEEP, i, i};
		ARRAY_PUSH(*out, s);
	}
	size_t from = out->n;
	if (myers(n ? a->v + pre : NULL, n - pre - suf, m ? b->v + pre : NULL, m - pre - suf,
	          out) == 0) {
		for (size_t i = from; i < out->n; i++) {
			out->v[i].ai += pre;
			out->v[i].bi += pre;
		}
	} else {
		for (size_t i = pre; i < n - suf; i++) {
			struct step s = {OP_DEL, i, pre};
			ARRAY_PUSH(*out, s);
		}
		for (size_t i = pre; i < m - suf; i++) {
			struct step s = {OP_INS, n - suf, i};
			ARRAY_PUSH(*out, s);
		}
	}
	for (size_t i = 0; i < suf; i++) {
		struct step s = {OP_KEEP, n - suf + i, m - suf + i};
		ARRAY_PUSH(*out, s);
	}
}

static void add_line(struct strbuf *out, char mark, const struct line *l)
{
	strbuf_addch(out, mark);
	strbuf_add(out, l->p, l->len);
	if (!l->len || l->p[l->len - 1] != '\n')
		strbuf_addstr(out, "\n\\ No newline at end of file\n");
}

/* "-a,n" as diff(1) writes a range: the start is the line before an empty range. */
static void add_range(struct strbuf *out, char sign, size_t start, size_t count)
{
	if (count == 1)
		strbuf_addf(out, "%c%zu", sign, start + 1);
	else
		strbuf_addf(out, "%c%zu,%zu", sign, count ? start + 1 : start, count);
}

#define CONTEXT 3

void fix_unified_diff(const char *path, const char *a, size_t alen, const char *b, size_t blen,
                      struct strbuf *out)
{
	line_array la = ARRAY_INIT, lb = ARRAY_INIT;
	step_array st = ARRAY_INIT;

	if (alen == blen && !memcmp(a, b, alen))
		return;
	split_lines(a, alen, &la);
	split_lines(b, blen, &lb);
	edit_script(&la, &lb, &st);
	strbuf_addf(out, "--- a/%s\n+++ b/%s\n", path, path);
	for (size_t i = 0; i < st.n;) {
		size_t first, last, k;
		if (st.v[i].op == OP_KEEP) {
			i++;
			continue;
		}
		/* a hunk: changes closer than 2 * CONTEXT kept lines apart, with context */
		first = i > CONTEXT ? i - CONTEXT : 0;
		last = i;
		for (k = i; k < st.n; k++) {
			if (st.v[k].op != OP_KEEP) {
				last = k;
				continue;
			}
			if (k - last > 2 * CONTEXT)
				break;
		}
		last = last + CONTEXT + 1 < st.n ? last + CONTEXT + 1 : st.n;
		size_t na = 0, nb = 0, sa = SIZE_MAX, sb = SIZE_MAX;
		for (k = first; k < last; k++) {
			if (st.v[k].op != OP_INS) {
				na++;
				if (sa == SIZE_MAX)
					sa = st.v[k].ai;
			}
			if (st.v[k].op != OP_DEL) {
				nb++;
				if (sb == SIZE_MAX)
					sb = st.v[k].bi;
			}
		}
		if (sa == SIZE_MAX)
			sa = st.v[first].ai;
		if (sb == SIZE_MAX)
			sb = st.v[first].bi;
		strbuf_addstr(out, "@@ ");
		add_range(out, '-', sa, na);
		strbuf_addch(out, ' ');
		add_range(out, '+', sb, nb);
		strbuf_addstr(out, " @@\n");
		for (k = first; k < last; k++) {
			const struct step *s = &st.v[k];
			if (s->op == OP_KEEP)
				add_line(out, ' ', &la.v[s->ai]);
			else if (s->op == OP_DEL)
				add_line(out, '-', &la.v[s->ai]);
			else
				add_line(out, '+', &lb.v[s->bi]);
		}
		i = last;
	}
	ARRAY_FREE(la);
	ARRAY_FREE(lb);
	ARRAY_FREE(st);
}
