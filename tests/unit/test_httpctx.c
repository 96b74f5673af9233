/*
 * httpctx beyond its want fixtures (tests/data/httpctx, test_analyzers.c):
 * the fixes it attaches to its findings (analysis_fix_replace), checked by
 * applying them to the source.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analyze.h"

/* The byte offset of 1-based (line, col) in src, or (size_t)-1 when out of range. */
static size_t offset_of(const char *src, size_t len, unsigned line, unsigned col)
{
	size_t i = 0;
	for (unsigned l = 1; l < line; l++) {
		const char *nl = memchr(src + i, '\n', len - i);
		if (!nl)
			return (size_t)-1;
		i = (size_t)(nl - src) + 1;
	}
	return i + col - 1 <= len ? i + col - 1 : (size_t)-1;
}

/* src with fix applied (edits sorted, not overlapping); malloc'd. */
static char *apply_fix(const char *src, const struct diag_fix *fix)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len = strlen(src), at = 0;
	for (size_t i = 0; i < fix->nedits; i++) {
		const struct diag_edit *e = &fix->edits[i];
		size_t s = offset_of(src, len, e->line, e->col);
		size_t t = offset_of(src, len, e->end_line, e->end_col);
		assert_true(s != (size_t)-1 && t != (size_t)-1 && at <= s && s <= t);
		strbuf_add(&sb, src + at, s - at);
		strbuf_addstr(&sb, e->text);
		at = t;
	}
	strbuf_addstr(&sb, src + at);
	return strbuf_detach(&sb, NULL);
}

static void run_src(const char *src, diag_array *out)
{
	struct analysis_settings s;
	char *cause = NULL;
	analysis_settings_init(&s);
	struct analysis_ctx *ctx = analysis_ctx_new(&s, &cause);
	assert_non_null(ctx);
	assert_int_equal(analysis_run_source(ctx, "h.go", src, strlen(src), out), 0);
	diag_sort_unique(out);
	analysis_ctx_free(ctx);
	analysis_settings_release(&s);
}

/* The httpctx finding on line, or fails. */
static const struct diag *on_line(const diag_array *a, unsigned line)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].line == line && strcmp(a->v[i].analyzer, "httpctx") == 0)
			return &a->v[i];
	fail_msg("no httpctx finding on line %u", line);
	return NULL;
}

/*
 * context.Background()/TODO() in a handler: the call becomes <req>.Context(),
 * under the handler's own parameter name and whatever name context is
 * imported as; safe in the handler's body, unsafe in a nested literal (a
 * goroutine may outlive the request); no fix without a named request.
 */
static void test_background_fix(void **state)
{
	static const char src[] =
	    "package p\n"                                                   /* 1 */
	    "\n"                                                            /* 2 */
	    "import (\n"                                                    /* 3 */
	    "\tstdctx \"context\"\n"                                        /* 4 */
	    "\t\"net/http\"\n"                                              /* 5 */
	    ")\n"                                                           /* 6 */
	    "\n"                                                            /* 7 */
	    "func h(w http.ResponseWriter, req *http.Request) {\n"          /* 8 */
	    "\tdo(stdctx.Background(), 1)\n"                                /* 9 */
	    "\tgo func() { do(stdctx.TODO(), 2) }()\n"                      /* 10 */
	    "}\n"                                                           /* 11 */
	    "\n"                                                            /* 12 */
	    "func anon(w http.ResponseWriter, _ *http.Request) {\n"         /* 13 */
	    "\tdo(stdctx.Background(), 3)\n"                                /* 14 */
	    "}\n"                                                           /* 15 */
	    "\n"                                                            /* 16 */
	    "func ml(w http.ResponseWriter, r *http.Request) {\n"           /* 17 */
	    "\tdo(stdctx.\n\t\tBackground(), 4) // a call over two lines\n" /* 18, 19 */
	    "}\n"                                                           /* 20 */
	    "\n"                                                            /* 21 */
	    "func do(ctx stdctx.Context, n int) {}\n";                      /* 22 */
	diag_array out = ARRAY_INIT;
	(void)state;
	run_src(src, &out);
	assert_int_equal(out.n, 4);

	const struct diag *d = on_line(&out, 9);
	assert_non_null(d->fix);
	assert_string_equal(d->fix->title, "use req.Context()");
	assert_int_equal(d->fix->safe, 1);
	assert_int_equal(d->fix->nedits, 1);
	assert_int_equal(d->fix->edits[0].line, 9);
	assert_int_equal(d->fix->edits[0].col, 5);
	assert_int_equal(d->fix->edits[0].end_line, 9);
	assert_int_equal(d->fix->edits[0].end_col, 5 + strlen("stdctx.Background()"));
	assert_int_equal(d->end_line, 9);
	assert_int_equal(d->end_col, d->fix->edits[0].end_col);
	char *fixed = apply_fix(src, d->fix);
	assert_non_null(strstr(fixed, "\tdo(req.Context(), 1)\n"));
	assert_null(strstr(fixed, "stdctx.Background(), 1"));
	free(fixed);

	d = on_line(&out, 10);
	assert_non_null(d->fix);
	assert_int_equal(d->fix->safe, 0); /* in a goroutine: needs a look */
	fixed = apply_fix(src, d->fix);
	assert_non_null(strstr(fixed, "go func() { do(req.Context(), 2) }()"));
	free(fixed);

	d = on_line(&out, 14);
	assert_null(d->fix); /* no name to use */
	assert_non_null(strstr(d->message, "the request's context"));

	d = on_line(&out, 18);
	assert_non_null(d->fix);
	assert_int_equal(d->fix->edits[0].end_line, 19);
	fixed = apply_fix(src, d->fix);
	assert_non_null(strstr(fixed, "\tdo(r.Context(), 4) // a call over two lines\n"));
	free(fixed);
	diag_array_release(&out);
}

/* After a declaration that may shadow the request's name, the fix needs a look. */
static void test_shadowed_request_fix(void **state)
{
	static const char src[] = "package p\n"
	                          "import (\"context\"; \"net/http\")\n"
	                          "func h(w http.ResponseWriter, r *http.Request) {\n"
	                          "\t_ = context.Background()\n"
	                          "\tfor _, r := range []int{1} {\n"
	                          "\t\t_ = r\n"
	                          "\t\t_ = context.TODO()\n"
	                          "\t}\n"
	                          "}\n"
	                          "func g(w http.ResponseWriter, r *http.Request) {\n"
	                          "\tr := r.WithContext(nil)\n"
	                          "\t_ = context.TODO()\n"
	                          "}\n";
	diag_array out = ARRAY_INIT;
	(void)state;
	run_src(src, &out);
	assert_int_equal(out.n, 3);
	assert_int_equal(on_line(&out, 4)->fix->safe, 1); /* before the loop: r is the request */
	assert_int_equal(on_line(&out, 7)->fix->safe, 0);
	assert_int_equal(on_line(&out, 12)->fix->safe, 0);
	diag_array_release(&out);
}

/* A suppressed finding is not reported: no fix, and nothing to attach it to. */
static void test_suppressed_has_no_fix(void **state)
{
	static const char src[] = "package p\n"
	                          "import (\"context\"; \"net/http\")\n"
	                          "func h(w http.ResponseWriter, r *http.Request) {\n"
	                          "\t//golive:ignore httpctx detached on purpose\n"
	                          "\t_ = context.Background()\n"
	                          "\t_ = context.TODO()\n"
	                          "}\n";
	diag_array out = ARRAY_INIT;
	(void)state;
	run_src(src, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0].line, 6);
	assert_non_null(out.v[0].fix);
	assert_string_equal(out.v[0].fix->edits[0].text, "r.Context()");
	diag_array_release(&out);
}

/* The other findings of httpctx offer no fix (their rewrites are not one-to-one). */
static void test_other_findings_no_fix(void **state)
{
	static const char src[] = "package p\n"
	                          "import (\"net/http\"; \"os/exec\")\n"
	                          "func h(w http.ResponseWriter, r *http.Request) {\n"
	                          "\thttp.Get(\"http://x\")\n"
	                          "\texec.Command(\"ls\")\n"
	                          "}\n";
	diag_array out = ARRAY_INIT;
	(void)state;
	run_src(src, &out);
	assert_int_equal(out.n, 2);
	for (size_t i = 0; i < out.n; i++)
		assert_null(out.v[i].fix);
	diag_array_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_background_fix),
	    cmocka_unit_test(test_shadowed_request_fix),
	    cmocka_unit_test(test_suppressed_has_no_fix),
	    cmocka_unit_test(test_other_findings_no_fix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
