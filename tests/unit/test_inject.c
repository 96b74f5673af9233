/*
 * test_inject.c - golive dev --browser's page rewriting (dev/inject.h) and
 * the events' payloads (dev/browser.h): the injector fed in pieces of every
 * size, with a given tag or (injector_init_page) rewriting <meta> CSPs and
 * tagging with the nonce they and the header's policy need.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <brotli/encode.h>
#include <zlib.h>

#include "dev/bodydec.h"
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
	assert_int_equal(inject_decide(&r, 200, "text/html", "br"), INJECT_UNBROTLI);
	assert_int_equal(inject_decide(&r, 200, "text/html", "Deflate"), INJECT_INFLATE);
	assert_int_equal(inject_decide(&r, 200, "text/html", "x-gzip"), INJECT_GUNZIP);
	assert_int_equal(inject_decide(&r, 200, "text/html", "gzip, br"), INJECT_NONE);
	assert_int_equal(inject_decide(&r, 200, "text/html", "zstd"), INJECT_NONE);
	assert_int_equal(inject_decide(&r, 200, "text/html", "compress"), INJECT_NONE);
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

/*
 * html through an injector fed step bytes at a time: with the tag "<S>"
 * (page 0), or set up for a page (injector_init_page(header_nonce, 3)).
 */
static char *inject_steps(const char *html, size_t step, int page, const char *header_nonce)
{
	struct injector in;
	struct strbuf out = STRBUF_INIT;
	if (page)
		injector_init_page(&in, header_nonce, 3);
	else
		injector_init(&in, "<S>");
	size_t n = strlen(html);
	for (size_t off = 0; off < n; off += step)
		injector_feed(&in, html + off, n - off < step ? n - off : step, &out);
	injector_finish(&in, &out);
	injector_release(&in);
	return strbuf_detach(&out, NULL);
}

static char *inject_all(const char *html, size_t step)
{
	return inject_steps(html, step, 0, NULL);
}

static char *inject_page(const char *html, size_t step, const char *header_nonce)
{
	return inject_steps(html, step, 1, header_nonce);
}

#define TAG3      "<script async src=\"/__golive/reload.js?v=3\"></script>"
#define TAG3N(n)  "<script async src=\"/__golive/reload.js?v=3\" nonce=\"" n "\"></script>"
#define META(pol) "<meta http-equiv=\"Content-Security-Policy\" content=\"" pol "\">"

static void test_meta_csp(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out, *header_nonce;
	} cases[] = {
	    /* a strict policy: 'self' added, 'none' dropped */
	    {"<head>" META("script-src 'none'") "</head><body>x</body>",
	     "<head>" META("script-src 'self'") "</head><body>x" TAG3 "</body>", NULL},
	    /* the page's nonce goes on the tag */
	    {META("script-src 'nonce-r4nd' 'strict-dynamic'") "<body></body>",
	     META("script-src 'nonce-r4nd' 'strict-dynamic'") "<body>" TAG3N("r4nd") "</body>",
	     NULL},
	    /* the header's nonce wins; the meta policy gets it too, under 'strict-dynamic' */
	    {META("script-src 'nonce-m' 'strict-dynamic'") "</body>",
	     META("script-src 'nonce-m' 'strict-dynamic' 'nonce-hdr'") TAG3N("hdr") "</body>",
	     "hdr"},
	    /* a nonce policy without 'strict-dynamic' allows the tag by 'self' */
	    {META("script-src 'nonce-m'") "</body>",
	     META("script-src 'nonce-m' 'self'") TAG3N("hdr") "</body>", "hdr"},
	    /* html/template's escaping decoded; single quotes, any case; connect-src */
	    {"<META HTTP-EQUIV='content-security-policy' CONTENT='default-src &#39;none&#39;; "
	     "connect-src &apos;none&apos;'/>x",
	     "<META HTTP-EQUIV='content-security-policy' CONTENT=\"default-src 'self'; connect-src "
	     "'self'\"/>x" TAG3,
	     NULL},
	    /* & and \" in the new value escaped; '>' in quotes does not end the tag */
	    {META("script-src 'none' https://a/?x=1&amp;y=&quot;>&quot;") "</body>",
	     META("script-src https://a/?x=1&amp;y=&quot;>&quot; 'self'") TAG3 "</body>", NULL},
	    /* not CSPs: other metas, <metadata>, a meta without content, one after </body> */
	    {"<meta charset=utf-8><meta name=csp content=\"script-src 'none'\"><metadata "
	     "content=\"x\"><meta http-equiv=Content-Security-Policy></body>" META(
	         "script-src 'none'"),
	     "<meta charset=utf-8><meta name=csp content=\"script-src 'none'\"><metadata "
	     "content=\"x\"><meta http-equiv=Content-Security-Policy>" TAG3
	     "</body>" META("script-src 'none'"),
	     NULL},
	    /* unquoted values; no </body */
	    {"<meta http-equiv=Content-Security-Policy content=default-src>",
	     "<meta http-equiv=Content-Security-Policy content=\"default-src 'self'\">" TAG3, NULL},
	    /* a <meta cut off at the end passes as it is */
	    {"<meta http-equiv=\"Content-Security-Policy\" content=\"a",
	     "<meta http-equiv=\"Content-Security-Policy\" content=\"a" TAG3, NULL},
	    /* no meta: as the plain injector */
	    {"</bod</body>", "</bod" TAG3 "</body>", NULL},
	    {"<</body", "<" TAG3 "</body", NULL},
	    {"<me<meta>", "<me<meta>" TAG3, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (size_t step = 1; step < 10; step++) {
			char *got = inject_page(cases[i].in, step, cases[i].header_nonce);
			if (strcmp(got, cases[i].out))
				fail_msg("case %zu step %zu:\n got %s\nwant %s", i, step, got,
				         cases[i].out);
			free(got);
		}
	/* a <meta longer than INJECT_META_MAX is passed on untouched */
	struct strbuf big = STRBUF_INIT, want = STRBUF_INIT;
	strbuf_addstr(&big, "<meta http-equiv=\"Content-Security-Policy\" content=\"script-src");
	while (big.len <= INJECT_META_MAX)
		strbuf_addstr(&big, " https://example.com/");
	strbuf_addstr(&big, "\"></body>");
	strbuf_add(&want, big.buf, big.len - 7);
	strbuf_addstr(&want, TAG3 "</body>");
	char *got = inject_page(big.buf, 4096, NULL);
	assert_string_equal(got, want.buf);
	free(got);
	strbuf_release(&big);
	strbuf_release(&want);
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
	/* a second policy, with the tag's nonce known */
	char *nonce = xstrdup("n1"), *got = inject_csp_more("script-src 'strict-dynamic'", &nonce);
	assert_string_equal(got, "script-src 'strict-dynamic' 'nonce-n1'");
	assert_string_equal(nonce, "n1");
	free(got);
	got = inject_csp_more("script-src 'nonce-n1'; script-src-elem 'sha256-x'", &nonce);
	assert_string_equal(got, "script-src 'nonce-n1'; script-src-elem 'sha256-x' 'self'");
	free(got);
	free(nonce);
	char *tag = inject_tag("a\"b<c", 7);
	assert_string_equal(
	    tag, "<script async src=\"/__golive/reload.js?v=7\" nonce=\"abc\"></script>");
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

/* ---- bodydec ---------------------------------------------------------------- */

/* data compressed as kind (deflate: wbits 15 zlib, -15 raw); malloc'd, *n its size. */
static unsigned char *encode(enum bodydec_kind kind, int wbits, const char *data, size_t len,
                             size_t *n)
{
	size_t cap = len + len / 2 + 1024;
	unsigned char *out = malloc(cap);
	assert_non_null(out);
	if (kind == BODYDEC_BR) {
		*n = cap;
		assert_true(BrotliEncoderCompress(5, 22, BROTLI_MODE_TEXT, len,
		                                  (const uint8_t *)data, n, out));
		return out;
	}
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, kind == BODYDEC_GZIP ? 16 + 15 : wbits, 8,
	                              Z_DEFAULT_STRATEGY),
	                 Z_OK);
	z.next_in = (unsigned char *)data;
	z.avail_in = (unsigned)len;
	z.next_out = out;
	z.avail_out = (unsigned)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*n = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

static void sink(void *arg, const char *data, size_t n)
{
	strbuf_add(arg, data, n);
}

/* Decodes enc[0, n) fed step bytes at a time; 0 and the bytes in out, or -1. */
static int decode(enum bodydec_kind kind, const unsigned char *enc, size_t n, size_t step,
                  struct strbuf *out)
{
	struct bodydec d;
	int rc = bodydec_init(&d, kind);
	for (size_t off = 0; !rc && off < n; off += step)
		rc = bodydec_feed(&d, (const char *)enc + off, n - off < step ? n - off : step,
		                  sink, out);
	if (!rc)
		rc = bodydec_finish(&d);
	bodydec_release(&d);
	return rc;
}

static void test_bodydec(void **state)
{
	(void)state;
	struct strbuf page = STRBUF_INIT;
	for (int i = 0; i < 3000; i++)
		strbuf_addf(&page, "<p id=p%d>line %d of the page</p>\n", i, i * 7919 % 1000);
	static const struct {
		enum bodydec_kind kind;
		int wbits;
	} kinds[] = {
	    {BODYDEC_GZIP, 0}, {BODYDEC_DEFLATE, 15}, {BODYDEC_DEFLATE, -15}, {BODYDEC_BR, 0}};
	static const size_t steps[] = {1, 2, 7, 1000, 1 << 20};
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		size_t n;
		unsigned char *enc = encode(kinds[k].kind, kinds[k].wbits, page.buf, page.len, &n);
		for (size_t s = 0; s < ARRAY_SIZE(steps); s++) {
			struct strbuf out = STRBUF_INIT;
			assert_int_equal(decode(kinds[k].kind, enc, n, steps[s], &out), 0);
			assert_int_equal(out.len, page.len);
			assert_memory_equal(out.buf, page.buf, page.len);
			strbuf_release(&out);
		}
		/* truncated anywhere: an error, never a short page taken as whole */
		for (size_t cut = 1; cut < n; cut += n / 17 + 1) {
			struct strbuf out = STRBUF_INIT;
			assert_int_equal(decode(kinds[k].kind, enc, cut, 3, &out), -1);
			strbuf_release(&out);
		}
		/* bytes after the end */
		unsigned char *more = malloc(n + 4);
		memcpy(more, enc, n);
		memcpy(more + n, "junk", 4);
		struct strbuf out = STRBUF_INIT;
		assert_int_equal(decode(kinds[k].kind, more, n + 4, 5, &out), -1);
		strbuf_release(&out);
		/* a damaged byte: the checksums of gzip and zlib catch it */
		if (kinds[k].kind == BODYDEC_GZIP || kinds[k].wbits == 15) {
			memcpy(more, enc, n);
			more[n / 2] ^= 0x55;
			assert_int_equal(decode(kinds[k].kind, more, n, 64, &out), -1);
			strbuf_release(&out);
		}
		free(more);
		free(enc);
	}
	/* gzip: several members are one body (as gunzip reads them) */
	size_t n1, n2;
	unsigned char *a = encode(BODYDEC_GZIP, 0, "<p>one</p>", 10, &n1);
	unsigned char *b = encode(BODYDEC_GZIP, 0, "<p>two</p>", 10, &n2);
	unsigned char *ab = malloc(n1 + n2);
	memcpy(ab, a, n1);
	memcpy(ab + n1, b, n2);
	struct strbuf out = STRBUF_INIT;
	assert_int_equal(decode(BODYDEC_GZIP, ab, n1 + n2, 3, &out), 0);
	assert_string_equal(out.buf, "<p>one</p><p>two</p>");
	strbuf_release(&out);
	free(a);
	free(b);
	free(ab);
	/* not compressed at all; an empty body */
	for (int kind = BODYDEC_GZIP; kind <= BODYDEC_BR; kind++) {
		assert_int_equal(decode((enum bodydec_kind)kind,
		                        (const unsigned char *)"<html><body>hi</body></html>", 28,
		                        4, &out),
		                 -1);
		strbuf_release(&out);
		assert_int_equal(
		    decode((enum bodydec_kind)kind, (const unsigned char *)"", 0, 1, &out),
		    0); /* an empty body: an empty page */
		strbuf_release(&out);
	}
	assert_int_equal(bodydec_kind_of("GZIP", 4), BODYDEC_GZIP);
	assert_int_equal(bodydec_kind_of("br", 2), BODYDEC_BR);
	assert_int_equal(bodydec_kind_of("bro", 3), -1);
	strbuf_release(&page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_navigation), cmocka_unit_test(test_decide),
	    cmocka_unit_test(test_injector),   cmocka_unit_test(test_meta_csp),
	    cmocka_unit_test(test_csp),        cmocka_unit_test(test_error_json),
	    cmocka_unit_test(test_bodydec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
