/*
 * test_rules.c - user rules (src/analysis/analyzers/rules.c) through golive.yaml:
 * compile errors with their exact position in the YAML, and the rules of
 * tests/data/rules/golive.yaml run over the Go files next to it, whose
 * `// want "regexp"` comments list every finding expected on their line.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analyze.h"
#include "core/config.h"
#include "analysis/analyzers/rules.h"

#define DATA "tests/data/rules"

/* Parses yaml as golive.yaml into c (asserting success); the caller config_release()s. */
static void load_yaml(struct golive_config *c, const char *yaml)
{
	char *cause = NULL;

	config_init(c);
	if (config_parse(c, "golive.yaml", yaml, strlen(yaml), &cause)) {
		print_error("config: %s\n", cause);
		fail();
	}
}

/* The rules of yaml must not compile, with exactly the cause want. */
static void expect_compile_error(const char *yaml, const char *want)
{
	struct golive_config c;
	char *cause = NULL;
	struct rules *r;

	load_yaml(&c, yaml);
	r = rules_compile(&c.analysis, NULL, &cause);
	if (r) {
		rules_free(r);
		print_error("compiled, but want: %s\n", want);
		fail();
	}
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
	config_release(&c);
}

static void expect_compile_ok(const char *yaml)
{
	struct golive_config c;
	char *cause = NULL;
	struct rules *r;

	load_yaml(&c, yaml);
	r = rules_compile(&c.analysis, NULL, &cause);
	if (!r) {
		print_error("%s\n", cause);
		fail();
	}
	rules_free(r);
	config_release(&c);
}

/*
 * The rules compile into one query; a rule that does not compile alone is
 * an error even when the next rule's text would complete it there.
 */
static void test_combined_boundaries(void **state)
{
	(void)state;
	expect_compile_error("rules:\n  - id: a\n    message: m\n"
	                     "    query: '(identifier) @a (#eq? @a \"x'\n"
	                     "  - id: b\n    message: m\n    query: '\") (goto_statement)'\n",
	                     "golive.yaml:4:38: rules[0] (a): invalid query: syntax error");
	expect_compile_ok("rules:\n  - {id: a, message: m, query: '(identifier) @a'}\n"
	                  "  - {id: b, message: m, query: '(goto_statement) ; a comment'}\n"
	                  "  - {id: c, message: m, query: '\"go\" @g', severity: off}\n");
}

static void test_query_errors_plain(void **state)
{
	(void)state;
	/* plain: the query starts at column 12 of line 3 */
	expect_compile_error("rules:\n  - id: a\n    query: (call_expresion) @c\n    message: m\n",
	                     "golive.yaml:3:13: rules[0] (a): invalid query: unknown node type "
	                     "\"call_expresion\"");
	expect_compile_error("rules:\n  - id: a\n    query: (identifier) @x (\n    message: m\n",
	                     "golive.yaml:3:29: rules[0] (a): invalid query: syntax error");
	expect_compile_error(
	    "rules:\n  - id: a\n    query: ((identifier) @x (#eq? @y \"a\"))\n    message: m\n",
	    "golive.yaml:3:36: rules[0] (a): invalid query: unknown capture \"y\"");
	expect_compile_error("rules:\n  - id: a\n    query: (identifier (identifier))\n"
	                     "    message: m\n",
	                     "golive.yaml:3:24: rules[0] (a): invalid query: impossible pattern");
	/* double-quoted (a plain scalar cannot hold ": "): one more column for the quote */
	expect_compile_error("rules:\n  - id: a\n"
	                     "    query: \"(call_expression functon: (identifier))\"\n"
	                     "    message: m\n",
	                     "golive.yaml:3:30: rules[0] (a): invalid query: unknown field "
	                     "\"functon\"");
	/* single-quoted, in a flow mapping */
	expect_compile_error("rules:\n  - {id: b, query: '(nope)', message: m}\n",
	                     "golive.yaml:2:22: rules[0] (b): invalid query: unknown node type "
	                     "\"nope\"");
	/* tree-sitter mishandles "" (a NULL pointer to strncmp): refused */
	expect_compile_error("rules:\n  - id: a\n    query: (identifier) \"\"\n    message: m\n",
	                     "golive.yaml:3:25: rules[0] (a): invalid query: empty string \"\"");
	expect_compile_error(
	    "rules:\n  - id: a\n    query: ((identifier) @x (#eq? @x \"\"))\n    message: m\n",
	    "golive.yaml:3:38: rules[0] (a): invalid query: empty string \"\"");
	/* an unknown field after an earlier error: the earlier one */
	expect_compile_error(
	    "rules:\n  - id: a\n    query: '(nope) (call_expression functon: (_))'\n"
	    "    message: m\n",
	    "golive.yaml:3:14: rules[0] (a): invalid query: unknown node type "
	    "\"nope\"");
	/* the second rule */
	expect_compile_error("rules:\n  - {id: a, query: (identifier), message: m}\n"
	                     "  - {id: b, query: (identifier) \"nope\", message: m}\n",
	                     "golive.yaml:3:34: rules[1] (b): invalid query: unknown node type "
	                     "\"nope\"");
	expect_compile_error("rules:\n  - {id: a, query: '; only a comment', message: m}\n",
	                     "golive.yaml:2:21: rules[0] (a): invalid query: no pattern");
}

static void test_query_errors_block(void **state)
{
	(void)state;
	expect_compile_error("rules:\n"
	                     "  - id: blk\n"
	                     "    query: |\n"
	                     "      (call_expression\n"
	                     "        function: (identifer) @fn)\n"
	                     "    message: m\n",
	                     "golive.yaml:5:20: rules[0] (blk): invalid query: unknown node type "
	                     "\"identifer\"");
	/* a comment on the indicator line, a comment line in the query, no final newline */
	expect_compile_error("rules:\n"
	                     "- id: blk\n"
	                     "  query: |-  # a comment\n"
	                     "     (call_expression\n"
	                     "     ; a comment\n"
	                     "       argumentz: (_))\n"
	                     "  message: m\n",
	                     "golive.yaml:6:8: rules[0] (blk): invalid query: unknown field "
	                     "\"argumentz\"");
	/* after a pattern without captures (which gets one added before compiling) */
	expect_compile_error(
	    "rules:\n"
	    "  - id: blk\n"
	    "    query: |\n"
	    "      (goto_statement)\n"
	    "      ((identifier) @b (#foo? @b))\n"
	    "    message: m\n",
	    "golive.yaml:5:25: rules[0] (blk): unknown predicate \"#foo?\" (known: "
	    "#eq?, #not-eq?, #match?, #not-match?, #any-of?, #not-any-of?)");
	expect_compile_error(
	    "rules:\n  - id: a\n    query: (goto_statement) (nope)\n    message: m\n",
	    "golive.yaml:3:30: rules[0] (a): invalid query: unknown node type "
	    "\"nope\"");
	/* blank lines first; the predicate's position */
	expect_compile_error(
	    "rules:\n"
	    "  - id: blk\n"
	    "    query: |\n"
	    "\n"
	    "        (identifier) @a\n"
	    "        (identifier) @b (#eq? @b \"x\" \"y\")\n"
	    "    message: m\n",
	    "golive.yaml:6:26: rules[0] (blk): #eq? takes a capture and a string or "
	    "capture");
}

static void test_predicate_errors(void **state)
{
	(void)state;
	expect_compile_error(
	    "rules:\n  - id: re\n    query: ((identifier) @x (#match? @x \"a(\"))\n"
	    "    message: m\n",
	    "golive.yaml:3:30: rules[0] (re): invalid regular expression \"a(\" in "
	    "#match?: Unmatched ( or \\(");
	expect_compile_error(
	    "rules:\n  - id: re\n    query: ((identifier) @x (#not-match? @x \"[\"))\n"
	    "    message: m\n",
	    "golive.yaml:3:30: rules[0] (re): invalid regular expression \"[\" in "
	    "#not-match?: Invalid regular expression");
	expect_compile_error(
	    "rules:\n  - id: p\n    query: ((identifier) @x (#is? @x local))\n"
	    "    message: m\n",
	    "golive.yaml:3:30: rules[0] (p): unknown predicate \"#is?\" (known: #eq?, "
	    "#not-eq?, #match?, #not-match?, #any-of?, #not-any-of?)");
	expect_compile_error("rules:\n  - id: p\n    query: ((identifier) @x (#set! x y))\n"
	                     "    message: m\n",
	                     "golive.yaml:3:30: rules[0] (p): unknown predicate \"#set!\" (known: "
	                     "#eq?, #not-eq?, #match?, #not-match?, #any-of?, #not-any-of?)");
	expect_compile_error("rules:\n  - id: p\n    query: ((identifier) @x (#eq? \"a\" @x))\n"
	                     "    message: m\n",
	                     "golive.yaml:3:30: rules[0] (p): #eq? takes a capture and a string or "
	                     "capture");
	expect_compile_error(
	    "rules:\n  - id: p\n    query: ((identifier) @x (#match? @x @x))\n"
	    "    message: m\n",
	    "golive.yaml:3:30: rules[0] (p): #match? takes a capture and a regular "
	    "expression string");
	expect_compile_error(
	    "rules:\n  - id: p\n    query: ((identifier) @x (#not-any-of? @x))\n"
	    "    message: m\n",
	    "golive.yaml:3:30: rules[0] (p): #not-any-of? takes a capture and one or "
	    "more strings");
	expect_compile_error(
	    "rules:\n  - id: p\n    query: ((identifier) @x (#any-of? @x \"a\" @x))\n"
	    "    message: m\n",
	    "golive.yaml:3:30: rules[0] (p): #any-of? takes a capture and one or more strings");
	/* the right shapes compile */
	expect_compile_ok(
	    "rules:\n  - id: p\n    query: |\n"
	    "      ((identifier) @x @y (#eq? @x \"a\") (#not-eq? @x @y)\n"
	    "       (#match? @x \"^a\") (#not-match? @x \"b$\") (#any-of? @x a \"b\")\n"
	    "       (#not-any-of? @x c))\n"
	    "    message: m\n");
}

static void test_message_captures(void **state)
{
	(void)state;
	expect_compile_error(
	    "rules:\n  - id: m\n    query: '(call_expression function: (_) @fn) "
	    "@call'\n    message: \"{{fn}} in {{func}}\"\n",
	    "golive.yaml:3:13: rules[0] (m): message quotes {{func}} but the query "
	    "has no capture @func (captures: @fn, @call)");
	expect_compile_error(
	    "rules:\n  - id: m\n    query: (identifier)\n    message: \"{{ x }}\"\n",
	    "golive.yaml:3:12: rules[0] (m): message quotes {{x}} but the query has "
	    "no capture @x (captures: none)");
	/* not a reference: kept as text */
	expect_compile_ok("rules:\n  - id: m\n    query: (identifier) @i\n"
	                  "    message: \"{{ }} {{i {{ i }} {{\"\n");
}

/* ---- the data-driven part -------------------------------------------------- */

struct want {
	unsigned line;
	char *text;
	regex_t re;
	int matched;
};

typedef ARRAY(struct want) want_array;

/* Reads a Go string literal ("..." with escapes, or `...`) at *p into sb; 0 or -1. */
static int read_go_string(const char **p, struct strbuf *sb)
{
	const char *s = *p;
	char q = *s++;

	if (q != '"' && q != '`')
		return -1;
	for (; *s && *s != q && *s != '\n'; s++) {
		if (q == '"' && *s == '\\' && s[1]) {
			s++;
			strbuf_addch(sb, *s == 'n' ? '\n' : *s == 't' ? '\t' : *s);
		} else {
			strbuf_addch(sb, *s);
		}
	}
	if (*s != q)
		return -1;
	*p = s + 1;
	return 0;
}

/* Collects the `// want "re" ...` comments of src. */
static void read_wants(const char *path, const char *src, want_array *wants)
{
	unsigned line = 1;

	for (const char *l = src; *l; line++) {
		const char *end = strchrnul(l, '\n');
		const char *w = memmem(l, (size_t)(end - l), "// want ", 8);

		if (w) {
			const char *p = w + 8;
			while (*p == '"' || *p == '`') {
				struct strbuf sb = STRBUF_INIT;
				struct want want = {line, NULL, {0}, 0};
				if (read_go_string(&p, &sb)) {
					print_error("%s:%u: malformed want\n", path, line);
					fail();
				}
				want.text = strbuf_detach(&sb, NULL);
				if (regcomp(&want.re, want.text, REG_EXTENDED | REG_NOSUB)) {
					print_error("%s:%u: bad regexp %s\n", path, line,
					            want.text);
					fail();
				}
				ARRAY_PUSH(*wants, want);
				while (*p == ' ')
					p++;
			}
		}
		l = *end ? end + 1 : end;
	}
}

/* Analyses path with ctx and checks the findings against its wants; returns the finding count. */
static size_t check_file(struct analysis_ctx *ctx, const char *path)
{
	struct strbuf src = STRBUF_INIT;
	want_array wants = ARRAY_INIT;
	diag_array out = ARRAY_INIT;
	char *cause = NULL;
	int failed = 0;
	size_t n;

	assert_int_equal(strbuf_read_file(&src, path, 1 << 20), 0);
	read_wants(path, src.buf, &wants);
	if (analysis_run_file(ctx, path, &out, &cause) < 0) {
		print_error("%s\n", cause);
		fail();
	}
	for (size_t i = 0; i < out.n; i++) {
		const struct diag *d = &out.v[i];
		size_t k;
		for (k = 0; k < wants.n; k++)
			if (wants.v[k].line == d->line && !wants.v[k].matched &&
			    !regexec(&wants.v[k].re, d->message, 0, NULL, 0))
				break;
		if (k == wants.n) {
			print_error("%s:%u:%u: unexpected [%s] %s\n", d->file, d->line, d->col,
			            d->analyzer, d->message);
			failed = 1;
		} else {
			wants.v[k].matched = 1;
		}
	}
	for (size_t k = 0; k < wants.n; k++) {
		if (!wants.v[k].matched) {
			print_error("%s:%u: no finding matches %s\n", path, wants.v[k].line,
			            wants.v[k].text);
			failed = 1;
		}
		regfree(&wants.v[k].re);
		free(wants.v[k].text);
	}
	ARRAY_FREE(wants);
	n = out.n;
	diag_array_release(&out);
	strbuf_release(&src);
	if (failed)
		fail();
	return n;
}

static void load_data_config(struct golive_config *c)
{
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(strbuf_read_file(&sb, DATA "/golive.yaml", 1 << 20), 0);
	load_yaml(c, sb.buf);
	strbuf_release(&sb);
}

static void test_data_files(void **state)
{
	struct golive_config c;
	struct analysis_ctx *ctx;
	struct dirent *e;
	char *cause = NULL;
	size_t files = 0, findings = 0;
	DIR *dir;
	(void)state;

	load_data_config(&c);
	ctx = analysis_ctx_new(&c.analysis, &cause);
	if (!ctx) {
		print_error("%s\n", cause);
		fail();
	}
	dir = opendir(DATA);
	assert_non_null(dir);
	while ((e = readdir(dir))) {
		char *path;
		if (!ends_with(e->d_name, ".go"))
			continue;
		path = xasprintf("%s/%s", DATA, e->d_name);
		findings += check_file(ctx, path);
		files++;
		free(path);
	}
	closedir(dir);
	assert_true(files >= 5);
	assert_true(findings >= 20);
	analysis_ctx_free(ctx);
	config_release(&c);
}

/* Generated files are skipped unless include_generated; then the rules see them too. */
static void test_generated(void **state)
{
	struct golive_config c;
	struct analysis_ctx *ctx;
	diag_array out = ARRAY_INIT;
	char *cause = NULL;
	(void)state;

	load_data_config(&c);
	ctx = analysis_ctx_new(&c.analysis, &cause);
	assert_non_null(ctx);
	assert_int_equal(analysis_run_file(ctx, DATA "/generated.go", &out, &cause), 1);
	assert_int_equal(out.n, 0);
	analysis_ctx_free(ctx);

	c.analysis.include_generated = 1;
	ctx = analysis_ctx_new(&c.analysis, &cause);
	assert_non_null(ctx);
	assert_int_equal(analysis_run_file(ctx, DATA "/generated.go", &out, &cause), 0);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0].analyzer, "exit-outside-main");
	assert_string_equal(out.v[0].message, "os.Exit in helper: only main should decide to exit");
	assert_int_equal(out.v[0].line, 9);
	assert_int_equal(out.v[0].col, 2);
	assert_int_equal(out.v[0].severity, SEV_WARNING);
	diag_array_release(&out);
	analysis_ctx_free(ctx);
	config_release(&c);
}

/* Runs the rules of yaml over src; the findings go to out. */
static void run_on(const char *yaml, const char *src, diag_array *out)
{
	struct golive_config c;
	struct analysis_ctx *ctx;
	char *cause = NULL;

	load_yaml(&c, yaml);
	ctx = analysis_ctx_new(&c.analysis, &cause);
	if (!ctx) {
		print_error("%s\n", cause);
		fail();
	}
	analysis_run_source(ctx, "x.go", src, strlen(src), out);
	analysis_ctx_free(ctx);
	config_release(&c);
}

/* Where a finding is reported: the report capture, the severity, the rule id. */
static void test_report_node(void **state)
{
	diag_array out = ARRAY_INIT;
	(void)state;

	/* @fn is in a predicate, @call is not: reported at the call, not at the name */
	run_on("rules:\n  - id: r\n    query: |\n      (call_expression function: "
	       "(selector_expression "
	       "field: (field_identifier) @fn) (#eq? @fn \"Do\")) @call\n"
	       "    message: \"{{fn}} {{call}}\"\n    severity: error\n",
	       "package p\n\nfunc f() {\n\tx := c.Do(1,\n\t\t2)\n}\n", &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0].line, 4);
	assert_int_equal(out.v[0].col, 7);
	assert_string_equal(out.v[0].analyzer, "r");
	assert_int_equal(out.v[0].severity, SEV_ERROR);
	assert_string_equal(out.v[0].message, "Do c.Do(1,\xe2\x80\xa6");
	diag_array_release(&out);

	/* every capture in predicates: the first one */
	run_on("rules:\n  - id: r\n    query: ((identifier) @a (#eq? @a \"zz\"))\n    message: m\n",
	       "package p\n\nvar y, zz = 1, 2\n", &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0].line, 3);
	assert_int_equal(out.v[0].col, 8);
	diag_array_release(&out);

	/* no capture: the pattern's node; a capture of several nodes: every one must pass */
	run_on("rules:\n  - id: r\n    query: |\n"
	       "      (expression_list (identifier) @ids (identifier) @ids\n"
	       "        (#match? @ids \"^[a-c]$\"))\n"
	       "      (return_statement)\n"
	       "    message: m\n",
	       "package p\n\nfunc f() int {\n\ta, b = c, d\n\ta, b = b, c\n\treturn 1\n}\n", &out);
	diag_sort_unique(&out);
	assert_int_equal(out.n, 4);
	assert_int_equal(out.v[0].line, 4); /* a, b (not c, d) */
	assert_int_equal(out.v[0].col, 2);
	assert_int_equal(out.v[1].line, 5); /* a, b */
	assert_int_equal(out.v[1].col, 2);
	assert_int_equal(out.v[2].line, 5); /* b, c */
	assert_int_equal(out.v[2].col, 9);
	assert_int_equal(out.v[3].line, 6); /* return 1 */
	assert_int_equal(out.v[3].col, 2);
	diag_array_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_query_errors_plain), cmocka_unit_test(test_combined_boundaries),
	    cmocka_unit_test(test_query_errors_block), cmocka_unit_test(test_predicate_errors),
	    cmocka_unit_test(test_message_captures),   cmocka_unit_test(test_data_files),
	    cmocka_unit_test(test_generated),          cmocka_unit_test(test_report_node),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
