/*
 * lsp_diag.c - golive's findings as LSP diagnostics (ranges in UTF-16),
 * pull reports, and the code actions on them.
 */
#include "lsp/lsp_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analysis/anapkg.h"
#include "core/jsonl.h"

static int is_word(unsigned char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c >= 0x80;
}

static json_t *pos_json(uint32_t line, uint32_t character)
{
	return json_pack("{s:I, s:I}", "line", (json_int_t)line, "character",
	                 (json_int_t)character);
}

json_t *lsp_range_json(const struct textdoc *td, unsigned line, unsigned col, unsigned end_line,
                       unsigned end_col)
{
	uint32_t l = line ? line - 1 : 0, c = col ? col - 1 : 0;
	if (l >= td->lines.n)
		l = (uint32_t)td->lines.n - 1;
	size_t ls, le;
	textdoc_line(td, l, &ls, &le);
	uint32_t el, ec;
	if (end_line && end_col && (end_line > line || (end_line == line && end_col > col))) {
		el = end_line - 1;
		ec = end_col - 1;
		if (el >= td->lines.n) {
			el = (uint32_t)td->lines.n - 1;
			ec = UINT32_MAX;
		}
	} else {
		/* no end known: the word at the start, else the rest of the line */
		size_t p = ls + c < le ? ls + c : le, e = p;
		while (e < le && is_word((unsigned char)td->text.buf[e]))
			e++;
		el = l;
		ec = e > p ? (uint32_t)(e - ls) : UINT32_MAX;
	}
	return json_pack("{s:o, s:o}", "start", pos_json(l, textdoc_utf16_col(td, l, c)), "end",
	                 pos_json(el, textdoc_utf16_col(td, el, ec)));
}

/* LSP's DiagnosticSeverity: 1 error, 2 warning, 3 information. */
static int lsp_severity(enum severity sev)
{
	return sev == SEV_ERROR ? 1 : sev == SEV_WARNING ? 2 : 3;
}

/* Where finding analyzer's documentation is: docs/analyzers.md#NAME, or the rules' section. */
static char *doc_href(const struct lsp_server *s, const char *analyzer)
{
	if (analyzer_find(analyzer))
		return xasprintf("%sanalyzers.md#%s", s->docs_base, analyzer);
	if (!strcmp(analyzer, "golive"))
		return xasprintf("%sanalyzers.md#suppressing-a-finding", s->docs_base);
	return xasprintf("%sconfig.md#rules", s->docs_base);
}

static json_t *diag_json(const struct lsp_server *s, const struct textdoc *td, const struct diag *g)
{
	char *href = doc_href(s, g->analyzer);
	json_t *o = json_pack("{s:o, s:i, s:o, s:{s:s}, s:s, s:o}", "range",
	                      lsp_range_json(td, g->line, g->col, g->end_line, g->end_col),
	                      "severity", lsp_severity(g->severity), "code",
	                      json_string_lossy(g->analyzer), "codeDescription", "href", href,
	                      "source", "golive", "message", json_string_lossy(g->message));
	free(href);
	return o;
}

json_t *lsp_diags_json(struct lsp_server *s, const struct lsp_doc *d)
{
	json_t *a = json_array();
	for (size_t i = 0; i < d->diags.n; i++)
		json_array_append_new(a, diag_json(s, &d->td, &d->diags.v[i]));
	/* golive dev's build errors on this file (pushed on their own to a client that pulls) */
	if (!s->pull && d->mod && d->mod->build_diags)
		json_array_extend(a, json_object_get(d->mod->build_diags, d->uri));
	return a;
}

/* ---- pull ------------------------------------------------------------------ */

json_t *lsp_pull_report(struct lsp_server *s, json_t *params, int *err_code, char **err)
{
	const char *uri =
	    json_string_value(json_object_get(json_object_get(params, "textDocument"), "uri"));
	if (!uri) {
		*err_code = JSONRPC_INVALID_PARAMS;
		*err = xstrdup("textDocument/diagnostic needs textDocument.uri");
		return NULL;
	}
	struct lsp_doc *d = lsp_doc_find(s, uri);
	if (d) {
		if (d->due_ns || !d->gen) {
			int pull = s->pull;
			s->pull = 1; /* answer here, no push */
			lsp_doc_analyse(s, d);
			s->pull = pull;
		}
		char id[32];
		snprintf(id, sizeof(id), "%u", d->gen);
		const char *prev = json_string_value(json_object_get(params, "previousResultId"));
		if (prev && !strcmp(prev, id))
			return json_pack("{s:s, s:s}", "kind", "unchanged", "resultId", id);
		return json_pack("{s:s, s:s, s:o}", "kind", "full", "resultId", id, "items",
		                 d->is_go ? lsp_diags_json(s, d) : json_array());
	}
	/* not open: the file as it is on disk */
	char *path = lsp_uri_to_path(uri);
	if (!path || !ends_with(path, ".go")) {
		free(path);
		return json_pack("{s:s, s:[]}", "kind", "full", "items");
	}
	struct strbuf sb = STRBUF_INIT;
	if (strbuf_read_file(&sb, path, 16u << 20) < 0) {
		*err_code = JSONRPC_INVALID_PARAMS;
		*err = xasprintf("%s: %s", path, file_strerror(errno));
		strbuf_release(&sb);
		free(path);
		return NULL;
	}
	struct lsp_doc tmp;
	memset(&tmp, 0, sizeof(tmp));
	textdoc_init(&tmp.td, sb.buf, sb.len);
	strbuf_release(&sb);
	struct lsp_module *m = lsp_module_of(s, path);
	if (m->ctx) {
		uint64_t sig;
		struct analysis_pkg *pkg =
		    lsp_package_of(s, path, tmp.td.text.buf, tmp.td.text.len, &sig);
		analysis_ctx_set_goversion(m->ctx, &m->lang);
		analysis_ctx_set_package(m->ctx, pkg);
		analysis_run_source(m->ctx, path, tmp.td.text.buf, tmp.td.text.len, &tmp.diags);
		analysis_ctx_set_package(m->ctx, NULL);
		analysis_pkg_free(pkg);
	}
	json_t *r = json_pack("{s:s, s:o}", "kind", "full", "items", lsp_diags_json(s, &tmp));
	diag_array_release(&tmp.diags);
	textdoc_release(&tmp.td);
	free(path);
	return r;
}

/* ---- code actions -------------------------------------------------------- */

static json_t *text_edit(const struct textdoc *td, const struct diag_edit *e)
{
	/* an insertion has end == start: lsp_range_json would widen it to a word */
	json_t *range;
	if (e->end_line == e->line && e->end_col == e->col) {
		uint32_t l = e->line ? e->line - 1 : 0;
		uint32_t c = textdoc_utf16_col(td, l, e->col ? e->col - 1 : 0);
		range = json_pack("{s:o, s:o}", "start", pos_json(l, c), "end", pos_json(l, c));
	} else {
		range = lsp_range_json(td, e->line, e->col, e->end_line, e->end_col);
	}
	return json_pack("{s:o, s:o}", "range", range, "newText", json_string_lossy(e->text));
}

/* A WorkspaceEdit of edits (an array of TextEdit or SnippetTextEdit) to d. */
static json_t *workspace_edit(const struct lsp_doc *d, json_t *edits, int versioned)
{
	if (versioned)
		return json_pack("{s:[{s:{s:s, s:i}, s:o}]}", "documentChanges", "textDocument",
		                 "uri", d->uri, "version", d->version, "edits", edits);
	json_t *changes = json_object();
	json_object_set_new(changes, d->uri, edits);
	return json_pack("{s:o}", "changes", changes);
}

/* The "ignore this finding" action for g: a //golive:ignore line above it. */
static json_t *ignore_action(struct lsp_server *s, const struct lsp_doc *d, const struct diag *g,
                             json_t *diag)
{
	uint32_t l = g->line ? g->line - 1 : 0;
	size_t ls, le, i;
	textdoc_line(&d->td, l, &ls, &le);
	for (i = ls; i < le && (d->td.text.buf[i] == ' ' || d->td.text.buf[i] == '\t'); i++)
		;
	struct strbuf sb = STRBUF_INIT;
	strbuf_add(&sb, d->td.text.buf + ls, i - ls);
	strbuf_addf(&sb, "//golive:ignore %s %s\n", g->analyzer,
	            s->snippets ? "${1:reason}" : "reason");
	json_t *at = json_pack("{s:o, s:o}", "start", pos_json(l, 0), "end", pos_json(l, 0));
	json_t *edit;
	if (s->snippets)
		edit = json_pack("{s:o, s:{s:s, s:o}}", "range", at, "snippet", "kind", "snippet",
		                 "value", json_string_lossy(sb.buf));
	else
		edit = json_pack("{s:o, s:o}", "range", at, "newText", json_string_lossy(sb.buf));
	strbuf_release(&sb);
	char *title = xasprintf("Ignore this finding (//golive:ignore %s)", g->analyzer);
	json_t *a = json_pack("{s:o, s:s, s:[O], s:o}", "title", json_string_lossy(title), "kind",
	                      "quickfix", "diagnostics", diag, "edit",
	                      workspace_edit(d, json_pack("[o]", edit), s->snippets));
	free(title);
	return a;
}

static json_t *fix_action(const struct lsp_doc *d, const struct diag *g, json_t *diag)
{
	json_t *edits = json_array();
	for (size_t i = 0; i < g->fix->nedits; i++)
		json_array_append_new(edits, text_edit(&d->td, &g->fix->edits[i]));
	return json_pack("{s:o, s:s, s:[O], s:b, s:o}", "title", json_string_lossy(g->fix->title),
	                 "kind", "quickfix", "diagnostics", diag, "isPreferred", g->fix->safe,
	                 "edit", workspace_edit(d, edits, 0));
}

json_t *lsp_code_actions(struct lsp_server *s, struct lsp_doc *d, json_t *params)
{
	json_t *out = json_array();
	json_t *range = json_object_get(params, "range");
	json_int_t rs =
	    json_integer_value(json_object_get(json_object_get(range, "start"), "line"));
	json_int_t re = json_integer_value(json_object_get(json_object_get(range, "end"), "line"));
	json_t *only = json_object_get(json_object_get(params, "context"), "only");
	if (json_array_size(only)) {
		int want = 0;
		size_t i;
		json_t *k;
		json_array_foreach(only, i, k)
		{
			const char *ks = json_string_value(k);
			if (ks && (!strcmp(ks, "quickfix") || starts_with("quickfix", ks)))
				want = 1;
		}
		if (!want)
			return out;
	}
	for (size_t i = 0; d->is_go && i < d->diags.n; i++) {
		const struct diag *g = &d->diags.v[i];
		json_int_t gs = (json_int_t)g->line - 1;
		json_int_t ge = g->end_line ? (json_int_t)g->end_line - 1 : gs;
		if (ge < rs || gs > re)
			continue;
		json_t *dj = diag_json(s, &d->td, g);
		if (g->fix && g->fix->nedits)
			json_array_append_new(out, fix_action(d, g, dj));
		if (strcmp(g->analyzer, "golive"))
			json_array_append_new(out, ignore_action(s, d, g, dj));
		json_decref(dj);
	}
	return out;
}
