/*
 * test_fix.c - fixes, compiled-query blobs and baselines: fix.c (applying
 * fixes, refusing overlaps and out-of-range edits, unified diffs),
 * tsquery_blob.c (a blob reads back to a query that matches the same,
 * a damaged one is refused), rules' fix templates, paths: and severity
 * off through analysis_run_source, diag JSON round trips with end and fix,
 * and baseline.c (keys that survive moved lines, not edited code).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/analyze.h"
#include "analysis/baseline.h"
#include "analysis/fix.h"
#include "analysis/tsquery_blob.h"
#include "core/config.h"

const TSLanguage *tree_sitter_go(void);

static struct diag_fix *fix1(unsigned l, unsigned c, unsigned el, unsigned ec, const char *t)
{
	struct diag_fix *f = xcalloc(1, sizeof(*f));
	f->title = xstrdup("t");
	f->safe = 1;
	f->edits = xcalloc(1, sizeof(*f->edits));
	f->nedits = 1;
	f->edits[0] = (struct diag_edit){l, c, el, ec, xstrdup(t)};
	return f;
}

static void test_apply(void **state)
{
	const char *src = "line one\nline two\nthree\n";
	struct diag_fix *f[4] = {fix1(1, 6, 1, 9, "ONE"), fix1(2, 1, 3, 1, ""),
	                         fix1(1, 7, 1, 8, "x") /* overlaps the first */,
	                         fix1(9, 1, 9, 2, "y") /* past the end */};
	struct strbuf out = STRBUF_INIT;
	struct fix_result r;
	unsigned char taken[4];
	(void)state;

	fix_apply(src, strlen(src), f, 4, &out, &r, taken);
	assert_string_equal(out.buf, "line ONE\nthree\n");
	assert_int_equal(r.applied, 2);
	assert_int_equal(r.skipped, 2);
	assert_memory_equal(taken, "\1\1\0\0", 4);
	/* an insertion at the end of a line (its '\n' addressed), and at the end of the text */
	strbuf_reset(&out);
	struct diag_fix *g[2] = {fix1(3, 6, 3, 6, "!"), fix1(4, 1, 4, 1, "four\n")};
	fix_apply(src, strlen(src), g, 2, &out, &r, NULL);
	assert_string_equal(out.buf, "line one\nline two\nthree!\nfour\n");
	for (int i = 0; i < 4; i++)
		diag_fix_free(f[i]);
	for (int i = 0; i < 2; i++)
		diag_fix_free(g[i]);
	strbuf_release(&out);
}

static void test_diff(void **state)
{
	struct strbuf d = STRBUF_INIT;
	const char *a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n";
	const char *b = "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\nsixteen";
	(void)state;

	fix_unified_diff("x.go", a, strlen(a), a, strlen(a), &d);
	assert_int_equal(d.len, 0);
	fix_unified_diff("x.go", a, strlen(a), b, strlen(b), &d);
	assert_string_equal(d.buf, "--- a/x.go\n+++ b/x.go\n"
	                           "@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n"
	                           "@@ -13,3 +13,4 @@\n 13\n 14\n 15\n+sixteen\n"
	                           "\\ No newline at end of file\n");
	strbuf_reset(&d);
	fix_unified_diff("e.go", "", 0, "x\n", 2, &d);
	assert_string_equal(d.buf, "--- a/e.go\n+++ b/e.go\n@@ -0,0 +1 @@\n+x\n");
	strbuf_release(&d);
}

/* The matches of q over src as "pattern:start-end," text. */
static void matches(const TSQuery *q, const char *src, struct strbuf *out)
{
	TSParser *p = ts_parser_new();
	TSTree *t;
	TSQueryCursor *c = ts_query_cursor_new();
	TSQueryMatch m;

	ts_parser_set_language(p, tree_sitter_go());
	t = ts_parser_parse_string(p, NULL, src, (uint32_t)strlen(src));
	ts_query_cursor_exec(c, q, ts_tree_root_node(t));
	while (ts_query_cursor_next_match(c, &m))
		for (uint16_t i = 0; i < m.capture_count; i++)
			strbuf_addf(out, "%u:%u:%u-%u,", m.pattern_index, m.captures[i].index,
			            ts_node_start_byte(m.captures[i].node),
			            ts_node_end_byte(m.captures[i].node));
	ts_query_cursor_delete(c);
	ts_tree_delete(t);
	ts_parser_delete(p);
}

static void test_blob(void **state)
{
	const char *text = "(call_expression function: (identifier) @fn (#eq? @fn \"panic\")) @c\n"
	                   "(goto_statement) @g\n"
	                   "((comment) @k (#match? @k \"TODO\"))\n"
	                   "(if_statement consequence: (block . \"{\" . \"}\")) @e\n";
	const char *src = "package p\n// TODO x\nfunc f() { panic(1); goto l; l: if x {}; "
	                  "println(2) }\n";
	uint32_t off;
	TSQueryError e;
	TSQuery *q = ts_query_new(tree_sitter_go(), text, (uint32_t)strlen(text), &off, &e), *r;
	size_t len;
	char *blob;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	(void)state;

	assert_non_null(q);
	blob = tsquery_blob_write(q, &len);
	r = tsquery_blob_read(blob, len, tree_sitter_go());
	assert_non_null(r);
	assert_int_equal(ts_query_pattern_count(r), 4);
	assert_int_equal(ts_query_capture_count(r), ts_query_capture_count(q));
	matches(q, src, &a);
	matches(r, src, &b);
	assert_true(a.len > 20);
	assert_string_equal(a.buf, b.buf);
	ts_query_delete(r);
	/* every truncation and a flipped byte anywhere are refused */
	for (size_t n = 0; n < len; n += 7)
		assert_null(tsquery_blob_read(blob, n, tree_sitter_go()));
	for (size_t i = 0; i < len; i += 13) {
		blob[i] ^= 0x40;
		assert_null(tsquery_blob_read(blob, len, tree_sitter_go()));
		blob[i] ^= 0x40;
	}
	free(blob);
	ts_query_delete(q);
	strbuf_release(&a);
	strbuf_release(&b);
}

static void load_yaml(struct golive_config *c, const char *yaml)
{
	char *cause = NULL;
	config_init(c);
	if (config_parse(c, "golive.yaml", yaml, strlen(yaml), &cause)) {
		print_error("config: %s\n", cause);
		fail();
	}
}

static const char rules_yaml[] =
    "analyzers: {httpctx: off, logtrace: off}\n"
    "rules:\n"
    "  - id: since\n"
    "    message: use time.Since\n"
    "    fix: 'time.Since({{t}})'\n"
    "    query: |\n"
    "      (call_expression function: (selector_expression operand: (call_expression\n"
    "        function: (selector_expression operand: (identifier) @p field: (field_identifier) "
    "@n))\n"
    "        field: (field_identifier) @s) arguments: (argument_list . (_) @t .)\n"
    "        (#eq? @p \"time\") (#eq? @n \"Now\") (#eq? @s \"Sub\"))\n"
    "  - id: nogoto\n"
    "    message: goto\n"
    "    query: (goto_statement)\n"
    "    paths: {include: 'internal/**', exclude: '**/gen_*.go'}\n"
    "  - id: quiet\n"
    "    severity: off\n"
    "    message: any call\n"
    "    query: (call_expression) @c\n";

static const char go_src[] = "package p\n\nimport \"time\"\n\nfunc f(s time.Time) {\n"
                             "\t_ = time.Now().Sub(s)\n\tgoto l\nl:\n}\n";

/* The analyzers of the findings for path, as "a,b,". */
static void run(struct analysis_ctx *ctx, const char *path, struct strbuf *out, diag_array *keep)
{
	diag_array d = ARRAY_INIT;
	analysis_run_source(ctx, path, go_src, strlen(go_src), &d);
	diag_sort_unique(&d);
	for (size_t i = 0; i < d.n; i++)
		strbuf_addf(out, "%s,", d.v[i].analyzer);
	if (keep)
		*keep = d;
	else
		diag_array_release(&d);
}

static void test_rule_fix_paths_off(void **state)
{
	struct golive_config c;
	struct analysis_ctx *ctx;
	char *cause = NULL;
	struct strbuf s = STRBUF_INIT;
	diag_array d;
	(void)state;

	load_yaml(&c, rules_yaml);
	c.analysis.root = xstrdup("/m");
	ctx = analysis_ctx_new(&c.analysis, &cause);
	assert_non_null(ctx);
	run(ctx, "/m/internal/a/x.go", &s, &d);
	assert_string_equal(s.buf, "since,nogoto,");
	/* the fix replaces the whole matched call with the template */
	assert_non_null(d.v[0].fix);
	assert_int_equal(d.v[0].fix->safe, 1);
	assert_int_equal(d.v[0].fix->nedits, 1);
	assert_int_equal(d.v[0].fix->edits[0].line, 6);
	assert_int_equal(d.v[0].fix->edits[0].col, 6);
	assert_int_equal(d.v[0].fix->edits[0].end_col, 23);
	assert_string_equal(d.v[0].fix->edits[0].text, "time.Since(s)");
	assert_string_equal(d.v[0].fix->title, "replace with time.Since(s)");
	assert_null(d.v[1].fix);
	/* diag JSON keeps end and fix */
	json_t *j = diag_to_json(&d.v[0]);
	struct diag back;
	assert_int_equal(diag_from_json(&back, j, &cause), 0);
	assert_int_equal(back.end_line, d.v[0].end_line);
	assert_int_equal(back.end_col, d.v[0].end_col);
	assert_string_equal(back.fix->edits[0].text, "time.Since(s)");
	assert_int_equal(back.fix->edits[0].end_col, 23);
	diag_release(&back);
	json_decref(j);
	diag_array_release(&d);
	/* paths: excluded, outside the include, outside the root */
	strbuf_reset(&s);
	run(ctx, "/m/internal/a/gen_x.go", &s, NULL);
	run(ctx, "/m/cmd/x.go", &s, NULL);
	run(ctx, "/elsewhere/x.go", &s, NULL);
	assert_string_equal(s.buf, "since,since,since,");
	analysis_ctx_free(ctx);
	config_release(&c);
	strbuf_release(&s);
}

static void test_baseline(void **state)
{
	char dir[] = "/tmp/golive-test-baseline.XXXXXX";
	struct golive_config c;
	struct analysis_ctx *ctx;
	char *cause = NULL, *go, *base;
	diag_array d = ARRAY_INIT;
	unsigned char in[8];
	(void)state;

	assert_non_null(mkdtemp(dir));
	go = xasprintf("%s/x.go", dir);
	base = xasprintf("%s/base.json", dir);
	load_yaml(&c, rules_yaml);
	ctx = analysis_ctx_new(&c.analysis, &cause);
	assert_non_null(ctx);
	assert_int_equal(file_replace(go, go_src, strlen(go_src)), 0);
	analysis_run_file(ctx, go, &d, &cause);
	diag_sort_unique(&d);
	assert_int_equal(d.n, 1); /* nogoto runs under internal/ only */
	diag_push(&d, go, 7, 2, "other", SEV_INFO, "a finding of a file golive cannot read");
	d.v[1].file[0] = 'X';
	assert_int_equal(baseline_write(base, &d, &cause), 0);
	diag_array_release(&d);

	/* lines moved down: both still baselined */
	char *moved = xasprintf("// a comment\n\n%s", go_src);
	assert_int_equal(file_replace(go, moved, strlen(moved)), 0);
	analysis_run_file(ctx, go, &d, &cause);
	diag_sort_unique(&d);
	assert_int_equal(d.n, 1);
	diag_push(&d, go, 9, 2, "other", SEV_INFO, "a finding of a file golive cannot read");
	d.v[1].file[0] = 'X';
	assert_int_equal(baseline_match(base, &d, in, &cause), 0);
	assert_memory_equal(in, "\1\1", 2);
	diag_array_release(&d);

	/* the flagged code edited: new */
	char *edited = xstrdup(moved);
	char *p = strstr(edited, "Sub(s)");
	p[4] = 's';
	p = strstr(edited, "f(s time.Time)");
	memcpy(p, "f(s time.Time)", 14);
	char *e2 = xasprintf("%.*sSub(s )%s", (int)(strstr(edited, "Sub(") - edited), edited,
	                     strstr(edited, "Sub(") + 6);
	assert_int_equal(file_replace(go, e2, strlen(e2)), 0);
	analysis_run_file(ctx, go, &d, &cause);
	diag_sort_unique(&d);
	assert_int_equal(d.n, 1);
	assert_int_equal(baseline_match(base, &d, in, &cause), 0);
	assert_memory_equal(in, "\0", 1);
	diag_array_release(&d);

	/* not a baseline */
	assert_int_equal(file_replace(base, "{}", 2), 0);
	assert_int_equal(baseline_match(base, &d, in, &cause), -1);
	assert_non_null(strstr(cause, "not a golive baseline"));
	free(cause);
	unlink(go);
	unlink(base);
	rmdir(dir);
	free(go);
	free(base);
	free(moved);
	free(edited);
	free(e2);
	analysis_ctx_free(ctx);
	config_release(&c);
}

/* unusedignore: off by default; on, it reports the directives that suppressed nothing. */
static void test_unused_ignore(void **state)
{
	static const char src[] = "package p\n\nfunc f() {\n"
	                          "\tgoto l //golive:ignore nogoto the state machine needs it\n"
	                          "l:\n\tprintln()\n"
	                          "\t//golive:ignore nogoto nothing below anymore\n"
	                          "\tprintln()\n"
	                          "\t//golive:ignore httpctx,nogoto neither\n"
	                          "}\n";
	const char *yamls[2] = {
	    "rules:\n  - {id: nogoto, message: goto, query: (goto_statement)}\n",
	    "analyzers: {unusedignore: on}\n"
	    "rules:\n  - {id: nogoto, message: goto, query: (goto_statement)}\n"};
	(void)state;

	for (int on = 0; on < 2; on++) {
		struct golive_config c;
		struct analysis_ctx *ctx;
		char *cause = NULL;
		diag_array d = ARRAY_INIT;
		struct strbuf s = STRBUF_INIT;

		load_yaml(&c, yamls[on]);
		ctx = analysis_ctx_new(&c.analysis, &cause);
		assert_non_null(ctx);
		analysis_run_source(ctx, "x.go", src, strlen(src), &d);
		diag_sort_unique(&d);
		for (size_t i = 0; i < d.n; i++)
			strbuf_addf(&s, "%u:%u %s %s|", d.v[i].line, d.v[i].col, d.v[i].analyzer,
			            d.v[i].message);
		assert_string_equal(
		    s.buf ? s.buf : "",
		    on ? "7:2 unusedignore //golive:ignore nogoto suppresses nothing: "
		         "remove it|9:2 unusedignore //golive:ignore httpctx,nogoto "
		         "suppresses nothing: remove it|"
		       : "");
		strbuf_release(&s);
		diag_array_release(&d);
		analysis_ctx_free(ctx);
		config_release(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_apply),    cmocka_unit_test(test_diff),
	    cmocka_unit_test(test_blob),     cmocka_unit_test(test_rule_fix_paths_off),
	    cmocka_unit_test(test_baseline), cmocka_unit_test(test_unused_ignore),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
