/*
 * analyze_chunks.c - a big file parsed and analysed in chunks on threads,
 * with the same findings as one tree (analyze_priv.h).
 */
#define _GNU_SOURCE
#include "analysis/analyze.h"
#include "analysis/analyze_priv.h"
#include "analysis/tsarena.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- big files: parsed and analysed in chunks, on threads ----------------- */

/*
 * A file larger than this is split at top-level declarations into chunks
 * that are parsed and analysed in parallel (GOLIVE_ANALYSIS_CHUNK=<bytes>
 * sets the chunk size, for tests). Each chunk is a tree of its own over the
 * file's bytes (ts_parser_set_included_ranges: offsets and rows stay the
 * file's); the file-wide facts (imports, top-level names, directives) are
 * merged before the analyzers run, the findings after, in the order of one
 * tree. Any chunk with a syntax error sends the file back to one tree: error
 * recovery may then read across a boundary.
 */
#define CHUNK_MIN   (256u << 10)
#define MAX_CHUNKS  4096
#define MAX_THREADS 16
#define CHUNK_STACK (16u << 20) /* as check's workers: deep Go nesting recurses */

struct chunk {
	TSRange range;
	TSTree *tree;
	struct tsarena *arena; /* the tree's memory, or NULL: libc's */
	unsigned char *maybe;  /* per import: whether the chunk may declare its name */
	struct analysis_file f;
	struct analysis_file_private priv;
	diag_array *outs; /* per built-in analyzer */
};

struct chunked {
	struct analysis_ctx *ctx;
	const char *src;
	size_t len;
	struct chunk *v;
	size_t n;
	atomic_size_t next;
	void (*step)(struct chunked *cf, struct chunk *c);
};

/* The chunk size to split at, or 0: do not split. */
static size_t chunk_size(size_t len, size_t ncpu)
{
	const char *env = getenv("GOLIVE_ANALYSIS_CHUNK");
	if (env && *env) {
		char *end;
		unsigned long long v = strtoull(env, &end, 10);
		if (!*end)
			return v ? (size_t)v : 0;
	}
	if (ncpu < 2 || len <= CHUNK_MIN)
		return 0;
	size_t want = len / (2 * ncpu); /* two chunks a thread: they differ in cost */
	return want < CHUNK_MIN ? CHUNK_MIN : want;
}

static int word_at(const char *s, size_t len, size_t i, const char *w)
{
	size_t n = strlen(w);
	return i + n < len && memcmp(s + i, w, n) == 0 &&
	       (s[i + n] == ' ' || s[i + n] == '\t' || s[i + n] == '(');
}

/*
 * Splits src into chunks of about size bytes, each starting at a line that
 * begins with func, type, var or const outside comments, strings, raw
 * strings and runes, with no bracket open. Fills starts (byte offsets,
 * starts[0] = 0) and rows; returns their number (1: no split).
 */
static size_t split_chunks(const char *s, size_t len, size_t size, uint32_t *starts, uint32_t *rows,
                           size_t max)
{
	size_t n = 1, i = 0;
	uint32_t row = 0;
	long depth = 0;
	starts[0] = 0;
	rows[0] = 0;
	while (i < len) {
		char ch = s[i];
		if (ch == '\n') {
			row++;
			i++;
			if (depth == 0 && i - starts[n - 1] >= size && n < max &&
			    (word_at(s, len, i, "func") || word_at(s, len, i, "type") ||
			     word_at(s, len, i, "var") || word_at(s, len, i, "const"))) {
				starts[n] = (uint32_t)i;
				rows[n++] = row;
			}
		} else if (ch == '/' && i + 1 < len && s[i + 1] == '/') {
			while (i < len && s[i] != '\n')
				i++;
		} else if (ch == '/' && i + 1 < len && s[i + 1] == '*') {
			for (i += 2; i < len && !(s[i] == '*' && i + 1 < len && s[i + 1] == '/');
			     i++)
				if (s[i] == '\n')
					row++;
			i += 2;
		} else if (ch == '"' || ch == '\'') {
			for (i++; i < len && s[i] != ch && s[i] != '\n'; i++)
				if (s[i] == '\\')
					i++;
			if (i < len && s[i] == ch)
				i++;
		} else if (ch == '`') {
			for (i++; i < len && s[i] != '`'; i++)
				if (s[i] == '\n')
					row++;
			i++;
		} else {
			if (ch == '{' || ch == '(' || ch == '[')
				depth++;
			else if ((ch == '}' || ch == ')' || ch == ']') && --depth < 0)
				return 1; /* unbalanced: leave it to one tree */
			i++;
		}
	}
	return n;
}

/* Runs cf->step over every chunk on up to nthreads threads (this one included). */
static void *chunk_worker(void *arg)
{
	struct chunked *cf = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&cf->next, 1);
		if (i >= cf->n)
			return NULL;
		cf->step(cf, &cf->v[i]);
	}
}

static void chunks_each(struct chunked *cf, size_t nthreads,
                        void (*step)(struct chunked *cf, struct chunk *c))
{
	pthread_t th[MAX_THREADS];
	size_t started = 0;
	pthread_attr_t attr;
	cf->step = step;
	atomic_init(&cf->next, 0);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, CHUNK_STACK);
	while (started + 1 < nthreads && pthread_create(&th[started], &attr, chunk_worker, cf) == 0)
		started++;
	pthread_attr_destroy(&attr);
	chunk_worker(cf);
	for (size_t k = 0; k < started; k++)
		pthread_join(th[k], NULL);
}

static void chunk_parse(struct chunked *cf, struct chunk *c)
{
	c->arena = tsarena_new();
	tsarena_enter(c->arena);
	TSParser *parser = ts_parser_new();
	if (!ts_parser_set_language(parser, tree_sitter_go()) ||
	    !ts_parser_set_included_ranges(parser, &c->range, 1))
		BUG("tree-sitter refused a chunk of a file");
	c->tree = ts_parser_parse_string(parser, NULL, cf->src, (uint32_t)cf->len);
	ts_parser_delete(parser);
	tsarena_leave();
	/* its imports while the tree is in the cache: merged in chunk order */
	c->f.priv = &c->priv;
	c->f.tree = c->tree;
	c->f.src = cf->src;
	c->f.len = cf->len;
	if (c->tree && !ts_node_has_error(ts_tree_root_node(c->tree)))
		analysis_collect_imports_of(&c->f, ts_tree_root_node(c->tree));
}

static void chunk_collect(struct chunked *cf, struct chunk *c)
{
	const struct analysis_file_private *p = c->f.priv;
	analysis_collect(&c->f);
	/* shadowed()'s text test, on this chunk's part of the file */
	c->maybe = xcalloc(p->imports.n + 1, 1);
	for (size_t k = 0; k < p->imports.n; k++) {
		const char *name = p->imports.v[k].name;
		if (strcmp(name, "_") && strcmp(name, "."))
			c->maybe[k] = (unsigned char)analysis_may_declare(
			    cf->src + c->range.start_byte, c->range.end_byte - c->range.start_byte,
			    name, strlen(name));
	}
}

static void chunk_analyse(struct chunked *cf, struct chunk *c)
{
	const struct analysis_settings *s = cf->ctx->settings;
	for (size_t i = 0; builtin_analyzers[i]; i++) {
		enum severity sev;
		if (!analysis_effective(s, builtin_analyzers[i], &sev))
			continue;
		c->priv.out = &c->outs[i];
		c->f.analyzer = builtin_analyzers[i];
		c->f.severity = sev;
		c->f.analyzer->run(&c->f);
	}
}

/* Frees a chunk's facts and tree: its arena, or a walk as long as a tenth of its parse. */
static void chunk_release(struct chunked *cf, struct chunk *c)
{
	(void)cf;
	if (tsarena_complete(c->arena))
		c->f.tree = c->tree = NULL; /* goes with the arena */
	if (c->f.priv)
		analysis_file_release(&c->f);
	else if (c->tree)
		ts_tree_delete(c->tree);
	tsarena_free(c->arena);
	free(c->outs);
	free(c->maybe);
}

/*
 * Analyses a big file in chunks on threads, as analysis_run_source does on
 * one tree. Returns -1 (nothing appended) when the file must go to one tree:
 * it does not split, or a chunk has a syntax error.
 */
int analysis_run_chunked(struct analysis_ctx *ctx, const char *path, const char *src, size_t len,
                         diag_array *out)
{
	const struct analysis_settings *s = ctx->settings;
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	size_t ncpu = online < 1 ? 1 : (size_t)online, size = chunk_size(len, ncpu);
	size_t nan = 0, n;
	int ok = 1;
	if (!size || s->rules.n || len > ANALYSIS_MAX_SOURCE)
		return -1; /* user rules query one tree */
	uint32_t *starts = xcalloc(MAX_CHUNKS, sizeof(*starts));
	uint32_t *rows = xcalloc(MAX_CHUNKS, sizeof(*rows));
	n = split_chunks(src, len, size, starts, rows, MAX_CHUNKS);
	if (n < 2) {
		free(starts);
		free(rows);
		return -1;
	}
	while (builtin_analyzers[nan])
		nan++;
	struct chunked cf = {.ctx = ctx, .src = src, .len = len, .n = n};
	cf.v = xcalloc(n, sizeof(*cf.v));
	TSNode *roots = xcalloc(n, sizeof(*roots));
	/* the end point of the last chunk: the file's last row and column */
	TSPoint end = {rows[n - 1], 0};
	for (size_t i = starts[n - 1]; i < len; i++) {
		if (src[i] == '\n') {
			end.row++;
			end.column = 0;
		} else {
			end.column++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct chunk *c = &cf.v[i];
		c->range.start_byte = starts[i];
		c->range.start_point = (TSPoint){rows[i], 0};
		c->range.end_byte = i + 1 < n ? starts[i + 1] : (uint32_t)len;
		c->range.end_point = i + 1 < n ? (TSPoint){rows[i + 1], 0} : end;
	}
	free(starts);
	free(rows);
	size_t nthreads = ncpu < n ? ncpu : n;
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	chunks_each(&cf, nthreads, chunk_parse);
	for (size_t i = 0; i < n; i++) {
		if (!cf.v[i].tree || ts_node_has_error(ts_tree_root_node(cf.v[i].tree)))
			ok = 0;
		else
			roots[i] = ts_tree_root_node(cf.v[i].tree);
	}
	if (!ok)
		goto out;
	/* file-wide facts: imports from every top level, owned by chunk 0 */
	for (size_t i = 0; i < n; i++) {
		struct chunk *c = &cf.v[i];
		c->f.priv = &c->priv;
		c->f.path = path;
		c->f.src = src;
		c->f.len = len;
		c->f.tree = c->tree;
		c->f.root = roots[i];
		c->f.analyzer = &analysis_rules_pseudo;
		c->f.severity = analysis_rules_pseudo.severity;
		c->f.lang = ctx->lang;
		c->priv.pkg = ctx->pkg;
		c->priv.out = out; /* nothing reports before chunk_analyse */
		c->priv.roots = roots;
		c->priv.nroots = n;
		c->outs = xcalloc(nan, sizeof(*c->outs));
	}
	for (size_t i = 1; i < n; i++) {
		struct chunk *c = &cf.v[i];
		for (size_t k = 0; k < c->priv.imports.n; k++)
			ARRAY_PUSH(cf.v[0].priv.imports, c->priv.imports.v[k]);
		ARRAY_FREE(c->priv.imports);
	}
	for (size_t i = 1; i < n; i++) {
		cf.v[i].priv.imports = cf.v[0].priv.imports;
		cf.v[i].priv.borrowed = 1;
	}
	chunks_each(&cf, nthreads, chunk_collect);
	/* a name no chunk may declare is declared nowhere: no chunk looks again */
	for (size_t k = 0; k < cf.v[0].priv.imports.n; k++) {
		const char *name = cf.v[0].priv.imports.v[k].name;
		int maybe = !strcmp(name, "_") || !strcmp(name, ".");
		for (size_t i = 0; i < n && !maybe; i++)
			maybe = cf.v[i].maybe[k];
		for (size_t i = 0; i < n && !maybe; i++)
			analysis_note_undeclared(&cf.v[i].f, name, strlen(name));
	}
	/* every chunk suppresses by every directive: one list, in order, chunk 0's */
	for (size_t i = 1; i < n; i++) {
		struct chunk *c = &cf.v[i];
		if (!c->priv.directives.n)
			continue;
		ARRAY_GROW(cf.v[0].priv.directives,
		           cf.v[0].priv.directives.n + c->priv.directives.n);
		memcpy(cf.v[0].priv.directives.v + cf.v[0].priv.directives.n, c->priv.directives.v,
		       c->priv.directives.n * sizeof(*c->priv.directives.v));
		cf.v[0].priv.directives.n += c->priv.directives.n;
		ARRAY_FREE(c->priv.directives);
	}
	for (size_t i = 1; i < n; i++)
		cf.v[i].priv.directives = cf.v[0].priv.directives;
	chunks_each(&cf, nthreads, chunk_analyse);
	for (size_t a = 0; a < nan; a++)
		for (size_t i = 0; i < n; i++) {
			diag_array *d = &cf.v[i].outs[a];
			if (!d->n)
				continue;
			ARRAY_GROW(*out, out->n + d->n);
			memcpy(out->v + out->n, d->v, d->n * sizeof(*d->v));
			out->n += d->n;
			ARRAY_FREE(*d);
		}
	enum severity gsev;
	cf.v[0].priv.out = out;
	if (analysis_effective(s, &analysis_golive_self, &gsev))
		analysis_report_directives(&cf.v[0].f, gsev);
	if (analysis_effective(s, &analyzer_unusedignore, &gsev))
		analysis_report_unused_directives(&cf.v[0].f, gsev);
out:
	chunks_each(&cf, nthreads, chunk_release);
	free(cf.v);
	free(roots);
	return ok ? 0 : -1;
}
