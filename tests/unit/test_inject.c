/*
 * test_inject.c - golive dev --browser's page rewriting (dev/inject.h) and
 * the events' payloads (dev/browser.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dev/browser.h"
#include "dev/inject.h"

static void test_navigation(void **state)
{
	(void)state;
	assert_true(inject_is_navigation("document", "navigate", "*/*", NULL));
	assert_true(inject_is_navigation("iframe", NULL, NULL, NULL));
	assert_false(inject_is_navigation("empty", "cors", "text/html", NULL)); /* fetch() */
	assert_false(inject_is_navigation("script", "no-cors", NULL, NULL));
	assert_true(inject_is_navigation(NULL, NULL, "text/html,application/xhtml+xml", NULL));
	assert_false(inject_is_navigation(NULL, NULL, "text/html", "XMLHttpRequest"));
	assert_false(inject_is_navigation(NULL, NULL, "application/json", NULL));
	assert_false(inject_is_navigation(NULL, NULL, NULL, NULL));
}

static void test_decide(void **state)
{
	(void)state;
	struct inject_req r = {1, 1, 0, 0};
	assert_int_equal(inject_decide(&r, 200, "text/html; charset=utf-8", NULL), INJECT_PLAIN);
	assert_int_equal(inject_decide(&r, 404, "TEXT/HTML", "identity"), INJECT_PLAIN);
	assert_int_equal(inject_decide(&r, 200, "text/html", "gzip"), INJECT_GUNZIP);
	assert_int_equal(inject_decide(&r, 200, "text/html", "br"), INJECT_NONE);
	assert_int_equal(inject_decide(&r, 200, "text/html", "deflate"), INJECT_NONE);
	assert_int_equal(inject_decide(&r, 200, "text/htmlx", NULL), INJECT_NONE);
	assert_int_equal(inject_decide(&r, 200, "application/json", NULL), INJECT_NONE);
	assert_int_equal(inject_decide(&r, 200, NULL, NULL), INJECT_NONE);
	assert_int_equal(inject_decide(&r, 204, "text/html", NULL), INJECT_NONE);
	assert_int_equal(inject_decide(&r, 206, "text/html", NULL), INJECT_NONE);
	assert_int_equal(inject_decide(&r, 304, "text/html", NULL), INJECT_NONE);
	struct inject_req head = {0, 1, 0, 0}, xhr = {1, 0, 0, 0}, range = {1, 1, 1, 0};
	assert_int_equal(inject_decide(&head, 200, "text/html", NULL), INJECT_NONE);
	assert_int_equal(inject_decide(&xhr, 200, "text/html", NULL), INJECT_NONE);
	assert_int_equal(inject_decide(&range, 200, "text/html", NULL), INJECT_NONE);
}

static char *inject_all(const char *html, size_t step)
{
	struct injector in;
	struct strbuf out = STRBUF_INIT;
	injector_init(&in, "<S>");
	size_t n = strlen(html);
	for (size_t off = 0; off < n; off += step)
		injector_feed(&in, html + off, n - off < step ? n - off : step, &out);
	injector_finish(&in, &out);
	return strbuf_detach(&out, NULL);
}

static void test_injector(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"<html><body>x</body></html>", "<html><body>x<S></body></html>"},
	    {"<BODY>x</BODY>", "<BODY>x<S></BODY>"},
	    {"no body", "no body<S>"},
	    {"", "<S>"},
	    {"<</body", "<<S></body"},
	    {"</bod</body>", "</bod<S></body>"},
	    {"a</body>b</body>", "a<S></body>b</body>"},
	    {"</bo", "</bo<S>"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (size_t step = 1; step < 8; step++) {
			char *got = inject_all(cases[i].in, step);
			assert_string_equal(got, cases[i].out);
			free(got);
		}
}

static void check_csp(const char *in, const char *want, const char *want_nonce)
{
	char *nonce = NULL, *got = inject_csp(in, &nonce);
	assert_string_equal(got, want);
	if (want_nonce)
		assert_string_equal(nonce, want_nonce);
	else
		assert_null(nonce);
	free(got);
	free(nonce);
}

static void test_csp(void **state)
{
	(void)state;
	check_csp("default-src 'self'", "default-src 'self'", NULL);
	check_csp("default-src 'none'", "default-src 'self'", NULL);
	check_csp("script-src https://cdn.example; img-src *",
	          "script-src https://cdn.example 'self'; img-src *", NULL);
	check_csp("default-src 'none'; script-src 'nonce-abc' 'strict-dynamic'",
	          "default-src 'self'; script-src 'nonce-abc' 'strict-dynamic'", "abc");
	check_csp("script-src 'strict-dynamic' 'sha256-x'; connect-src 'none'",
	          "script-src 'strict-dynamic' 'sha256-x' 'nonce-golive-dev-reload'; connect-src "
	          "'self'",
	          "golive-dev-reload");
	char *tag = inject_tag("a\"b<c", 7);
	assert_string_equal(tag, "<script src=\"/__golive/reload.js?v=7\" nonce=\"abc\"></script>");
	free(tag);
}

static void test_error_json(void **state)
{
	(void)state;
	const char log[] = "# example.com/app\n./main.go:12:3: syntax error: unexpected )\n"
	                   "/src/app/x/y.go:4: undefined: z\nnot a diag: 1:2\n";
	char *js = browser_error_json("t", log, sizeof(log) - 1, "/src/app", NULL);
	assert_non_null(strstr(js, "\"file\":\"main.go\""));
	assert_non_null(strstr(js, "\"line\":12,\"col\":3"));
	assert_non_null(strstr(js, "\"href\":\"vscode://file/src/app/main.go:12:3\""));
	assert_non_null(strstr(js, "\"file\":\"x/y.go\""));
	assert_null(strstr(js, "not a diag\","));
	free(js);
	char *h =
	    browser_editor_href("idea://open?file={abs}&line={line}", "/a b/c.go", "c.go", 3, 0);
	assert_string_equal(h, "idea://open?file=/a%20b/c.go&line=3");
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_navigation), cmocka_unit_test(test_decide),
	    cmocka_unit_test(test_injector),   cmocka_unit_test(test_csp),
	    cmocka_unit_test(test_error_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
