/*
 * lsp_incr.c - the analysis of a document being typed in, at the cost of
 * the declaration being edited.
 *
 * The document's tree-sitter tree is kept and reparsed incrementally after
 * each edit (ts_tree_edit has been applied by lsp_server.c). Its top-level
 * declarations (functions, methods, types, vars, consts, comments, and the
 * ERROR nodes of code being typed) are the units of reuse: the findings of
 * each are kept, relative to its first line, keyed by a hash of its text.
 * The rest is the header: the comments above the package clause (a
 * generated file's marker), the package clause, the imports, comments that
 * hold a //golive:ignore directive, and the whitespace between units.
 * Findings in a unit depend on it (import names, directives), so when it
 * changes every unit is analysed again; when only its whitespace changes (a
 * blank line between two functions), the units are kept and only the
 * header's own findings are found again (unless it holds a directive, whose
 * distance to the next line matters).
 *
 * After an edit, the units whose text is new are analysed in a virtual
 * copy of the document where every other unit is blanked (its bytes but
 * newlines become spaces): positions stay those of the document, and the
 * analysis walks the header and the edited units only. A blanked unit
 * cannot hide a declaration the framework looks for: a top-level name
 * equal to an import name does not compile. A random-edit test compares
 * the result with a fresh analysis (tests/e2e/lsp/t_lsp.py).
 */
#include "lsp/lsp_priv.h"

#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

/* One top-level function or method declaration. */
struct decl {
	uint64_t hash;       /* of its text */
	uint32_t row;        /* its first line (0-based) */
	uint32_t end_row;    /* its last line */
	uint32_t start, end; /* bytes */
	diag_array diags;    /* lines relative to row + 1 (line 1 is the first) */
	int fresh;           /* analysed in this round */
};

struct lsp_decls {
	uint64_t header; /* the header without its whitespace (or with, when it has a directive) */
	uint64_t strict; /* the header as it is */
	ARRAY(struct decl) v;
	diag_array header_diags; /* absolute */
};

static void decls_clear(struct lsp_decls *c)
{
	for (size_t i = 0; i < c->v.n; i++)
		diag_array_release(&c->v.v[i].diags);
	ARRAY_FREE(c->v);
	diag_array_release(&c->header_diags);
}

void lsp_decls_free(struct lsp_decls *c)
{
	if (!c)
		return;
	decls_clear(c);
	free(c);
}

/* A copy of g with its lines moved by delta (rows). */
static struct diag diag_moved(const struct diag *g, long delta)
{
	struct diag d = *g;
	d.file = xstrdup(g->file);
	d.analyzer = xstrdup(g->analyzer);
	d.message = xstrdup(g->message);
	d.line = (unsigned)((long)g->line + delta);
	if (g->end_line)
		d.end_line = (unsigned)((long)g->end_line + delta);
	d.fix = NULL;
	if (g->fix) {
		d.fix = xcalloc(1, sizeof(*d.fix));
		d.fix->title = xstrdup(g->fix->title);
		d.fix->safe = g->fix->safe;
		d.fix->nedits = g->fix->nedits;
		d.fix->edits = xcalloc(g->fix->nedits ? g->fix->nedits : 1, sizeof(*d.fix->edits));
		for (size_t i = 0; i < g->fix->nedits; i++) {
			struct diag_edit *e = &d.fix->edits[i];
			*e = g->fix->edits[i];
			e->text = xstrdup(g->fix->edits[i].text);
			e->line = (unsigned)((long)e->line + delta);
			e->end_line = (unsigned)((long)e->end_line + delta);
		}
	}
	return d;
}

/* True when comment node n (of text t) holds a //golive:ignore directive. */
static int has_directive(TSNode n, const char *t)
{
	uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
	for (uint32_t i = a; i + 13 <= b; i++)
		if (!memcmp(t + i, "golive:ignore", 13))
			return 1;
	return 0;
}

/* Adds header text t[0, n) to both hashes: as is, and without whitespace. */
static void hash_gap(XXH3_state_t *strict, XXH3_state_t *loose, const char *t, size_t n)
{
	XXH3_64bits_update(strict, t, n);
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && !strchr(" \t\r\n", t[j]))
			j++;
		if (j > i)
			XXH3_64bits_update(loose, t + i, j - i);
		while (j < n && strchr(" \t\r\n", t[j]))
			j++;
		i = j;
	}
}

static int cmp_hash(const void *a, const void *b)
{
	const struct decl *x = a, *y = b;
	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* The declaration of the new round holding 1-based line, or NULL (the header). */
static struct decl *decl_at(struct lsp_decls *c, unsigned line)
{
	size_t lo = 0, hi = c->v.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct decl *d = &c->v.v[mid];
		if (line < d->row + 1)
			hi = mid;
		else if (line > d->end_row + 1)
			lo = mid + 1;
		else
			return d;
	}
	return NULL;
}

void lsp_analyse_edited(struct lsp_server *s, struct lsp_doc *d, const char *path)
{
	const char *text = d->td.text.buf;
	size_t len = d->td.text.len;
	TSTree *tree = ts_parser_parse_string(s->parser, d->tree, text, (uint32_t)len);
	if (d->tree)
		ts_tree_delete(d->tree);
	d->tree = tree;
	if (!tree) { /* cannot happen without a timeout; analyse as golive check would */
		ts_parser_reset(s->parser);
		analysis_run_source(d->mod->ctx, path, text, len, &d->diags);
		return;
	}

	/* this round's declarations and header hash */
	struct lsp_decls *old = d->decls, *c = xcalloc(1, sizeof(*c));
	XXH3_state_t *hs = XXH3_createState(), *hl = XXH3_createState();
	XXH3_64bits_reset(hs);
	XXH3_64bits_reset(hl);
	int directive = 0, package = 0;
	TSNode root = ts_tree_root_node(tree);
	uint32_t n = ts_node_named_child_count(root), at = 0;
	for (uint32_t i = 0; i < n; i++) {
		TSNode k = ts_node_named_child(root, i);
		const char *type = ts_node_type(k);
		int comment = !strcmp(type, "comment");
		if (!strcmp(type, "package_clause"))
			package = 1;
		if (comment && has_directive(k, text)) {
			directive = 1;
			continue;
		}
		/* the header: comments above the package clause (// Code generated ... DO NOT
		   EDIT.), the package clause, the imports */
		if ((comment && !package) || !strcmp(type, "package_clause") ||
		    !strcmp(type, "import_declaration"))
			continue;
		struct decl e = {0};
		e.start = ts_node_start_byte(k);
		e.end = ts_node_end_byte(k);
		if (e.start < at || e.end > len)
			continue; /* overlapping: leave it to the header */
		e.row = ts_node_start_point(k).row;
		e.end_row = ts_node_end_point(k).row;
		e.hash = XXH3_64bits(text + e.start, e.end - e.start);
		hash_gap(hs, hl, text + at, e.start - at);
		XXH3_64bits_update(hs, "\0", 1); /* a unit was here */
		XXH3_64bits_update(hl, "\0", 1);
		at = e.end;
		ARRAY_PUSH(c->v, e);
	}
	hash_gap(hs, hl, text + at, len - at);
	c->strict = XXH3_64bits_digest(hs);
	c->header = directive ? c->strict : XXH3_64bits_digest(hl);
	XXH3_freeState(hs);
	XXH3_freeState(hl);

	/* reuse what the last round found in declarations of the same text */
	int reuse = old && old->header == c->header;
	struct decl *sorted = NULL;
	if (reuse && old->v.n) {
		sorted = xmalloc(old->v.n * sizeof(*sorted));
		memcpy(sorted, old->v.v, old->v.n * sizeof(*sorted));
		qsort(sorted, old->v.n, sizeof(*sorted), cmp_hash);
	}
	size_t dirty = 0;
	for (size_t i = 0; i < c->v.n; i++) {
		struct decl *e = &c->v.v[i];
		struct decl *hit =
		    sorted ? bsearch(e, sorted, old->v.n, sizeof(*sorted), cmp_hash) : NULL;
		if (hit && hit->end - hit->start == e->end - e->start) {
			for (size_t k = 0; k < hit->diags.n; k++)
				ARRAY_PUSH(e->diags, diag_moved(&hit->diags.v[k], 0));
		} else {
			e->fresh = 1;
			dirty++;
		}
	}
	free(sorted);

	if (!reuse || dirty || old->strict != c->strict) {
		/* analyse the header and the fresh declarations, the others blanked */
		char *virt = NULL;
		const char *src = text;
		if (reuse && dirty < c->v.n) { /* else every unit is analysed: the text as it is */
			virt = xmalloc(len + 1);
			memcpy(virt, text, len);
			virt[len] = '\0';
			for (size_t i = 0; i < c->v.n; i++) {
				const struct decl *e = &c->v.v[i];
				if (e->fresh)
					continue;
				for (uint32_t b = e->start; b < e->end; b++)
					if (virt[b] != '\n')
						virt[b] = ' ';
			}
			src = virt;
		}
		diag_array found = ARRAY_INIT;
		analysis_run_source(d->mod->ctx, path, src, len, &found);
		free(virt);
		for (size_t i = 0; i < found.n; i++) {
			struct diag *g = &found.v[i];
			struct decl *e = decl_at(c, g->line);
			if (!e)
				ARRAY_PUSH(c->header_diags, diag_moved(g, 0));
			else if (e->fresh)
				ARRAY_PUSH(e->diags, diag_moved(g, -(long)e->row));
		}
		diag_array_release(&found);
	} else {
		for (size_t k = 0; k < old->header_diags.n; k++)
			ARRAY_PUSH(c->header_diags, diag_moved(&old->header_diags.v[k], 0));
	}
	lsp_decls_free(old);
	d->decls = c;

	/* the document's findings: the header's, then each declaration's in place */
	for (size_t k = 0; k < c->header_diags.n; k++)
		ARRAY_PUSH(d->diags, diag_moved(&c->header_diags.v[k], 0));
	for (size_t i = 0; i < c->v.n; i++) {
		const struct decl *e = &c->v.v[i];
		for (size_t k = 0; k < e->diags.n; k++)
			ARRAY_PUSH(d->diags, diag_moved(&e->diags.v[k], (long)e->row));
	}
	diag_sort_unique(&d->diags);
}
