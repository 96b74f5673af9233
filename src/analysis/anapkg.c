/*
 * anapkg.c - see anapkg.h. A package's files, their `func` lines indexed
 * by text on first use, and the facts analyzers compute of declarations in
 * other files, each once.
 */
#define _GNU_SOURCE /* memmem */
#include "analysis/anapkg.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analyze_priv.h"

/* What one analyzer's decl_fact said of a declaration. */
struct pkg_fact {
	const struct analyzer *a;
	char *fact;
};

struct pkg_decl {
	size_t file; /* index into the package's files */
	int method;
	const char *name; /* into the file's text */
	size_t len;
	unsigned line; /* 1-based */
	size_t start;  /* byte offset of its `func` line */
	ARRAY(struct pkg_fact) facts;
};

struct pkg_file {
	char *path;
	const char *src; /* the text: borrowed, or own.buf; NULL when unreadable */
	size_t len;
	struct strbuf own;
	const char *pkg; /* the package clause's name, into src; NULL when none was found */
	size_t pkg_len;
	size_t header;        /* bytes before the first top-level func/type/var/const line: */
	unsigned header_rows; /* the package clause and the imports, in that many lines */
};

struct analysis_pkg {
	pthread_mutex_t lock;
	ARRAY(struct pkg_file) files;
	int indexed;
	ARRAY(struct pkg_decl) decls; /* sorted by method, name */
	TSParser *parser;             /* for decl facts */
	diag_array sink;              /* never written: decl_fact hooks do not report */
};

struct analysis_pkg *analysis_pkg_new(void)
{
	struct analysis_pkg *p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	return p;
}

void analysis_pkg_add(struct analysis_pkg *p, const char *path, const char *src, size_t len)
{
	struct pkg_file f;
	memset(&f, 0, sizeof(f));
	strbuf_init(&f.own, 0);
	f.path = xstrdup(path);
	f.src = src;
	f.len = src ? len : 0;
	pthread_mutex_lock(&p->lock);
	ARRAY_PUSH(p->files, f);
	p->indexed = 0; /* a file added after a question: index again */
	pthread_mutex_unlock(&p->lock);
}

size_t analysis_pkg_files(const struct analysis_pkg *p)
{
	return p ? p->files.n : 0;
}

static void decls_clear(struct analysis_pkg *p)
{
	for (size_t i = 0; i < p->decls.n; i++) {
		for (size_t k = 0; k < p->decls.v[i].facts.n; k++)
			free(p->decls.v[i].facts.v[k].fact);
		ARRAY_FREE(p->decls.v[i].facts);
	}
	p->decls.n = 0;
}

void analysis_pkg_free(struct analysis_pkg *p)
{
	if (!p)
		return;
	decls_clear(p);
	ARRAY_FREE(p->decls);
	for (size_t i = 0; i < p->files.n; i++) {
		struct pkg_file *f = &p->files.v[i];
		strbuf_release(&f->own);
		free(f->path);
	}
	ARRAY_FREE(p->files);
	if (p->parser)
		ts_parser_delete(p->parser);
	diag_array_release(&p->sink);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* ---- the text index -------------------------------------------------------- */

static int ident_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c >= 0x80;
}

/* The length of the identifier at s[i, len), 0 when none starts there. */
static size_t ident_at(const char *s, size_t i, size_t len)
{
	size_t k = i;
	if (i < len && s[i] >= '0' && s[i] <= '9')
		return 0;
	while (k < len && ident_byte((unsigned char)s[k]))
		k++;
	return k - i;
}

/* The name of the package clause: after a BOM, blank space and comments, `package NAME`. */
static void scan_package(struct pkg_file *f)
{
	const char *s = f->src;
	size_t len = f->len, i = 0;
	if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len) {
		char c = s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			i++;
		} else if (i + 1 < len && c == '/' && s[i + 1] == '/') {
			const char *nl = memchr(s + i, '\n', len - i);
			i = nl ? (size_t)(nl - s) + 1 : len;
		} else if (i + 1 < len && c == '/' && s[i + 1] == '*') {
			size_t j = i + 2;
			while (j + 1 < len && !(s[j] == '*' && s[j + 1] == '/'))
				j++;
			i = j + 2;
		} else {
			break;
		}
	}
	if (i + 8 > len || memcmp(s + i, "package", 7) != 0 ||
	    (s[i + 7] != ' ' && s[i + 7] != '\t'))
		return;
	i += 8;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	size_t n = ident_at(s, i, len);
	if (n) {
		f->pkg = s + i;
		f->pkg_len = n;
	}
}

/* A `func` line at s[i] (a line start): appends its declaration to p when it is one. */
static void scan_func_line(struct analysis_pkg *p, size_t file, const char *s, size_t i, size_t len,
                           unsigned line)
{
	struct pkg_decl d;
	if (len - i < 6 || memcmp(s + i, "func ", 5) != 0)
		return;
	memset(&d, 0, sizeof(d));
	d.start = i;
	i += 5;
	if (s[i] == '(') { /* a method: skip its receiver */
		int depth = 0;
		for (; i < len && s[i] != '\n'; i++) {
			if (s[i] == '(')
				depth++;
			else if (s[i] == ')' && --depth == 0)
				break;
		}
		if (i >= len || s[i] != ')')
			return;
		i++;
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		d.method = 1;
	}
	d.len = ident_at(s, i, len);
	if (!d.len)
		return;
	d.name = s + i;
	d.file = file;
	d.line = line;
	ARRAY_PUSH(p->decls, d);
}

static int cmp_key(int ma, const char *na, size_t la, int mb, const char *nb, size_t lb)
{
	if (ma != mb)
		return ma - mb;
	int c = memcmp(na, nb, la < lb ? la : lb);
	return c ? c : (la > lb) - (la < lb);
}

static int cmp_decl(const void *pa, const void *pb)
{
	const struct pkg_decl *a = pa, *b = pb;
	int c = cmp_key(a->method, a->name, a->len, b->method, b->name, b->len);
	if (c)
		return c;
	return a->file != b->file ? (a->file > b->file) - (a->file < b->file)
	                          : (a->line > b->line) - (a->line < b->line);
}

/*
 * The start of the next line after s[i] (a line start outside any token)
 * that also starts outside a comment or a string (a raw string's lines are
 * not code), len at the end; *line counts the lines passed.
 */
static size_t next_code_line(const char *s, size_t i, size_t len, unsigned *line)
{
	enum { CODE, LINE_COMMENT, BLOCK_COMMENT, STRING, RUNE, RAW } st = CODE;
	for (; i < len; i++) {
		char c = s[i];
		if (c == '\n') {
			(*line)++;
			if (st == LINE_COMMENT || st == STRING || st == RUNE) /* those end here */
				st = CODE;
			if (st == CODE)
				return i + 1;
			continue;
		}
		switch (st) {
		case CODE:
			if (c == '/' && i + 1 < len && (s[i + 1] == '/' || s[i + 1] == '*')) {
				st = s[i + 1] == '/' ? LINE_COMMENT : BLOCK_COMMENT;
				i++;
			} else if (c == '"') {
				st = STRING;
			} else if (c == '\'') {
				st = RUNE;
			} else if (c == '`') {
				st = RAW;
			}
			break;
		case BLOCK_COMMENT:
			if (c == '*' && i + 1 < len && s[i + 1] == '/') {
				st = CODE;
				i++;
			}
			break;
		case STRING:
		case RUNE:
			if (c == '\\' && i + 1 < len && s[i + 1] != '\n')
				i++;
			else if (c == (st == STRING ? '"' : '\''))
				st = CODE;
			break;
		case RAW:
			if (c == '`')
				st = CODE;
			break;
		case LINE_COMMENT:
			break;
		}
	}
	return len;
}

/* True when a top-level declaration other than an import starts at s[i] (a line start). */
static int decl_line(const char *s, size_t i, size_t len)
{
	static const char *const kw[] = {"func", "type", "var", "const"};
	for (size_t k = 0; k < ARRAY_SIZE(kw); k++) {
		size_t n = strlen(kw[k]);
		if (len - i > n && memcmp(s + i, kw[k], n) == 0 &&
		    (s[i + n] == ' ' || s[i + n] == '(' || s[i + n] == '\t'))
			return 1;
	}
	return 0;
}

/* Reads what was added without text, and indexes every file's `func` lines. */
static void index_package(struct analysis_pkg *p)
{
	decls_clear(p);
	for (size_t k = 0; k < p->files.n; k++) {
		struct pkg_file *f = &p->files.v[k];
		if (!f->src && !f->own.len &&
		    strbuf_read_file(&f->own, f->path, ANALYSIS_MAX_SOURCE) == 0) {
			f->src = f->own.buf;
			f->len = f->own.len;
		}
		if (!f->src)
			continue;
		f->pkg = NULL;
		f->header = f->len;
		scan_package(f);
		unsigned line = 1;
		for (size_t i = 0; i < f->len;) {
			if (f->header == f->len && decl_line(f->src, i, f->len)) {
				f->header = i;
				f->header_rows = line - 1;
			}
			if (f->src[i] == 'f')
				scan_func_line(p, k, f->src, i, f->len, line);
			i = next_code_line(f->src, i, f->len, &line);
		}
	}
	if (p->decls.n > 1)
		qsort(p->decls.v, p->decls.n, sizeof(*p->decls.v), cmp_decl);
	p->indexed = 1;
}

/* ---- facts ------------------------------------------------------------------ */

/* The declaration of d in tree t, or a null node (a false hit of the text scan). */
static TSNode find_decl(struct analysis_file *t, const struct pkg_decl *d)
{
	TSNode none;
	memset(&none, 0, sizeof(none));
	uint32_t n = ts_node_named_child_count(t->root);
	for (uint32_t i = 0; i < n; i++) {
		TSNode c = ts_node_named_child(t->root, i);
		if (ts_node_start_point(c).row + 1 != d->line)
			continue;
		if (strcmp(ts_node_type(c),
		           d->method ? "method_declaration" : "function_declaration"))
			return none;
		TSNode name = analysis_field(c, "name");
		size_t len;
		const char *s = ts_node_is_null(name) ? NULL : analysis_text(t, name, &len);
		return s && len == d->len && memcmp(s, d->name, len) == 0 ? c : none;
	}
	return none;
}

/*
 * The end of the declaration whose `func` line starts at s[i]: that line
 * when it ends in `}` (a one-liner), else the first line that starts with
 * `}` (gofmt's layout), else the end of the text.
 */
static size_t decl_end(const char *s, size_t i, size_t len, unsigned *rows)
{
	const char *nl = memchr(s + i, '\n', len - i);
	size_t e = nl ? (size_t)(nl - s) : len;
	*rows = 0;
	while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r'))
		e--;
	if (e > i && s[e - 1] == '}')
		return e;
	for (size_t k = nl ? (size_t)(nl - s) + 1 : len; k < len;) {
		(*rows)++;
		nl = memchr(s + k, '\n', len - k);
		if (s[k] == '}')
			return nl ? (size_t)(nl - s) : len;
		k = nl ? (size_t)(nl - s) + 1 : len;
	}
	return len;
}

/*
 * A tree of d's file holding d, and d's node in it (null: not there).
 * tree-sitter parses only the file's header (package clause, imports) and
 * the declaration's lines (included ranges, positions as in the file);
 * when that tree does not hold the declaration whole, the whole file.
 */
static struct analysis_file *parse_decl(struct analysis_pkg *p, const struct pkg_decl *d,
                                        const struct goversion *lang, TSNode *node)
{
	const struct pkg_file *f = &p->files.v[d->file];
	unsigned rows;
	size_t end = decl_end(f->src, d->start, f->len, &rows);
	size_t header = f->header < d->start ? f->header : d->start;
	TSRange r[2];
	memset(r, 0, sizeof(r));
	r[0].end_point.row = f->header < d->start ? f->header_rows : d->line - 1;
	r[0].end_byte = (uint32_t)header;
	r[1].start_point.row = d->line - 1;
	r[1].start_byte = (uint32_t)d->start;
	r[1].end_point.row = d->line - 1 + rows;
	const char *ls = f->src + end;
	while (ls > f->src && ls[-1] != '\n')
		ls--;
	r[1].end_point.column = (uint32_t)(f->src + end - ls);
	r[1].end_byte = (uint32_t)end;
	if (!p->parser)
		p->parser = analysis_parser_new();
	struct analysis_file *t = NULL;
	if (ts_parser_set_included_ranges(p->parser, header ? r : r + 1, header ? 2 : 1)) {
		t = analysis_file_parse(p->parser, lang, f->path, f->src, f->len, &p->sink);
		ts_parser_set_included_ranges(p->parser, NULL, 0);
	}
	if (t) {
		*node = find_decl(t, d);
		if (!ts_node_is_null(*node) && !ts_node_has_error(*node))
			return t;
		analysis_file_close(t);
	}
	t = analysis_file_parse(p->parser, lang, f->path, f->src, f->len, &p->sink);
	if (t)
		*node = find_decl(t, d);
	return t;
}

/*
 * Whether d's text after its name holds one of needles (NULL: assume so):
 * up to its closing brace as gofmt lays it out (decl_end), or, when the
 * braces there do not balance (another layout), up to the next top-level
 * declaration.
 */
static int decl_may_say(const struct pkg_file *f, const struct pkg_decl *d,
                        const char *const *needles)
{
	unsigned rows = 0;
	size_t from = (size_t)(d->name - f->src) + d->len;
	size_t end = decl_end(f->src, d->start, f->len, &rows);
	long depth = 0;
	for (size_t i = from; i < end; i++)
		depth += f->src[i] == '{' ? 1 : f->src[i] == '}' ? -1 : 0;
	if (depth) {
		end = next_code_line(f->src, d->start, f->len, &rows);
		while (end < f->len && !decl_line(f->src, end, f->len))
			end = next_code_line(f->src, end, f->len, &rows);
	}
	if (!needles)
		return 1;
	for (const char *const *n = needles; *n; n++)
		if (end > from && memmem(f->src + from, end - from, *n, strlen(*n)))
			return 1;
	return 0;
}

/* What analyzer a says of d: computed on first use. */
static const char *decl_fact(struct analysis_pkg *p, struct pkg_decl *d, const struct analyzer *a,
                             const struct goversion *lang)
{
	for (size_t i = 0; i < d->facts.n; i++)
		if (d->facts.v[i].a == a)
			return d->facts.v[i].fact;
	struct pkg_fact pf = {a, NULL};
	if (a->decl_fact && decl_may_say(&p->files.v[d->file], d, a->decl_needles)) {
		TSNode n;
		struct analysis_file *t = parse_decl(p, d, lang, &n);
		if (t && !ts_node_is_null(n)) {
			t->analyzer = a;
			t->severity = a->severity;
			pf.fact = a->decl_fact(t, n);
		}
		analysis_file_close(t);
	}
	ARRAY_PUSH(d->facts, pf);
	return pf.fact;
}

size_t analysis_package_decl(struct analysis_file *f, int method, const char *name, size_t len,
                             struct analysis_decl *out)
{
	struct analysis_pkg *p = f->priv->pkg;
	if (!p || !len)
		return 0;
	pthread_mutex_lock(&p->lock);
	if (!p->indexed)
		index_package(p);
	const struct pkg_file *me = NULL;
	size_t mine = 0;
	for (size_t k = 0; k < p->files.n && !me; k++)
		if (strcmp(p->files.v[k].path, f->path) == 0)
			me = &p->files.v[(mine = k)];
	size_t count = 0;
	struct pkg_decl *found = NULL;
	if (me && me->pkg) {
		size_t lo = 0, hi = p->decls.n;
		method = !!method;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			const struct pkg_decl *d = &p->decls.v[mid];
			if (cmp_key(d->method, d->name, d->len, method, name, len) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t i = lo; i < p->decls.n; i++) {
			struct pkg_decl *d = &p->decls.v[i];
			const struct pkg_file *df = &p->files.v[d->file];
			if (cmp_key(d->method, d->name, d->len, method, name, len) != 0)
				break;
			if (d->file == mine || !df->pkg || df->pkg_len != me->pkg_len ||
			    memcmp(df->pkg, me->pkg, me->pkg_len) != 0)
				continue;
			count++;
			found = d;
		}
	}
	if (count == 1 && out) {
		out->path = p->files.v[found->file].path;
		out->line = found->line;
		out->fact = decl_fact(p, found, f->analyzer, &f->lang);
	}
	pthread_mutex_unlock(&p->lock);
	return count;
}
