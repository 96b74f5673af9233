/*
 * test_pathmatch.c - unit tests of pathmatch.c (cmocka): glob_match and
 * the .gitignore rules, with gitignore(5)'s own examples and a real tree
 * of nested .gitignore files under /tmp.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/pathmatch.h"
#include "core/util.h"

/* A path that is a directory ends with '/' in the tables below ("tmp/"). */
struct gcase {
	const char *pattern, *path;
	int want;
};

/* glob_match(pattern, path without its trailing '/', is_dir: path ended with '/') */
static int match_path(const char *pattern, const char *path)
{
	size_t n = strlen(path);
	int is_dir = n && path[n - 1] == '/';
	char *p = xstrndup(path, n - (size_t)is_dir);
	int r = glob_match(pattern, p, is_dir);
	free(p);
	return r;
}

static void check_cases(const struct gcase *c, size_t n)
{
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		int got = match_path(c[i].pattern, c[i].path);
		if (got != c[i].want) {
			print_error("glob_match(\"%s\", \"%s\") = %d, want %d\n", c[i].pattern,
			            c[i].path, got, c[i].want);
			bad++;
		}
	}
	if (bad)
		fail_msg("%d case(s) failed", bad);
}

static void test_glob_basic(void **state)
{
	(void)state;
	static const struct gcase cases[] = {
	    /* literal and '*' */
	    {"main.go", "main.go", 1},
	    {"main.go", "main.go/", 1},
	    {"main.go", "main.g", 0},
	    {"main.go", "xmain.go", 0},
	    {"*.go", "main.go", 1},
	    {"*.go", ".go", 1},
	    {"*.go", "main.go.orig", 0},
	    {"*", "anything", 1},
	    {"*", ".hidden", 1},
	    {"a*b*c", "abc", 1},
	    {"a*b*c", "aXbYYc", 1},
	    {"a*b*c", "aXbYYcd", 0},
	    {"a*b*c", "acb", 0},
	    {"*x*", "x", 1},
	    {"a**b", "aXXb", 1}, /* "**" inside a segment is a plain star */
	    {"a**b", "a/b", 0},
	    /* '?' */
	    {"?.go", "a.go", 1},
	    {"?.go", ".go", 0},
	    {"?.go", "ab.go", 0},
	    {"a?b", "a/b", 0},
	    /* '*' never crosses '/' in an anchored pattern */
	    {"a/*.go", "a/x.go", 1},
	    {"a/*.go", "a/b/x.go", 0},
	    {"a*/x.go", "ab/x.go", 1},
	    {"a*/x.go", "a/b/x.go", 0},
	    /* no '/' (trailing aside): the base name, at any depth */
	    {"*.html", "web/t/index.html", 1},
	    {"*.html", "index.html", 1},
	    {"index.html", "web/t/index.html", 1},
	    {"t", "web/t/", 1},
	    {"t", "web/t/index.html", 0}, /* only "t/" matches through a parent */
	    /* a '/' in the middle or at the start anchors at the root */
	    {"web/*.html", "web/index.html", 1},
	    {"web/*.html", "x/web/index.html", 0},
	    {"/main.go", "main.go", 1},
	    {"/main.go", "cmd/main.go", 0},
	    {"/*.go", "x.go", 1},
	    {"/*.go", "a/x.go", 0},
	    {"cmd/api/main.go", "cmd/api/main.go", 1},
	    {"cmd/api/main.go", "x/cmd/api/main.go", 0},
	    {"cmd/api", "cmd/api/main.go", 0},
	    /* classes */
	    {"[abc].go", "b.go", 1},
	    {"[abc].go", "d.go", 0},
	    {"[a-c]x", "bx", 1},
	    {"[a-c]x", "dx", 0},
	    {"[!a-c]x", "dx", 1},
	    {"[!a-c]x", "ax", 0},
	    {"[^a-c]x", "dx", 1},
	    {"[^a-c]x", "cx", 0},
	    {"[]]", "]", 1},
	    {"[]a]", "a", 1},
	    {"[!]]", "a", 1},
	    {"[!]]", "]", 0},
	    {"[a-]", "-", 1},
	    {"[-a]", "-", 1},
	    {"[\\]]", "]", 1},
	    {"[\\!]", "!", 1},
	    {"[[:digit:]]x", "7x", 1},
	    {"[[:digit:]]x", "ax", 0},
	    {"[[:upper:][:digit:]]", "Q", 1},
	    {"[![:alpha:]]", "_", 1},
	    {"[![:alpha:]]", "z", 0},
	    {"[z-a]", "m", 0}, /* an empty range */
	    {"a[/]b", "a/b", 0},
	    /* escapes */
	    {"\\*.go", "*.go", 1},
	    {"\\*.go", "x.go", 0},
	    {"\\?", "?", 1},
	    {"\\?", "x", 0},
	    {"\\[x]", "[x]", 1},
	    {"\\[x]", "x", 0},
	    {"\\a\\b", "ab", 1},
	    {"a\\\\b", "a\\b", 1},
	    {"a\\\\/b", "a\\/b", 1},
	    {"\\#x", "#x", 1},
	    {"\\!x", "!x", 1},
	    /* bytes: '?' is one byte, classes are bytewise, case matters */
	    {"?", "\xc3\xa9", 0},
	    {"??", "\xc3\xa9", 1},
	    {"*.GO", "main.go", 0},
	    /* empty and "." segments of a path are skipped */
	    {"a/b", "a//b", 1},
	    {"a/b", "./a/b", 1},
	    {"a/b", "a/./b", 1},
	    /* an empty path (the root) matches no plain pattern */
	    {"*", "", 0},
	};
	check_cases(cases, ARRAY_SIZE(cases));
}

static void test_glob_starstar(void **state)
{
	(void)state;
	static const struct gcase cases[] = {
	    /* "**" alone: everything */
	    {"**", "x.go", 1},
	    {"**", "a/b/c/x.go", 1},
	    {"**", "a/", 1},
	    {"/**", "a/b", 1},
	    /* leading: in any directory, including the root (gitignore(5): "**" + "/foo") */
	    {"**/foo", "foo", 1},
	    {"**/foo", "a/foo", 1},
	    {"**/foo", "a/b/foo/", 1},
	    {"**/foo", "a/foo/x", 0},
	    {"**/foo", "afoo", 0},
	    {"**/foo/bar", "foo/bar", 1},
	    {"**/foo/bar", "x/y/foo/bar", 1},
	    {"**/foo/bar", "x/foo/y/bar", 0},
	    {"**/x.go", "x.go", 1},
	    {"**/x.go", "cmd/api/x.go", 1},
	    {"**/*.go", "cmd/api/x.go", 1},
	    /* trailing: everything inside, never the directory itself ("abc/" + "**") */
	    {"abc/**", "abc/x", 1},
	    {"abc/**", "abc/x/y/z.go", 1},
	    {"abc/**", "abc/d/", 1},
	    {"abc/**", "abc", 0},
	    {"abc/**", "abc/", 0},
	    {"abc/**", "x/abc/y", 0}, /* anchored: relative to the root */
	    {"abc/**", "abcd/x", 0},
	    {"foo/**", "foo/bar", 1},
	    /* middle: zero or more directories ("a/" + "**" + "/b") */
	    {"a/**/b", "a/b", 1},
	    {"a/**/b", "a/x/b", 1},
	    {"a/**/b", "a/x/y/b", 1},
	    {"a/**/b", "a/x/y/b/", 1},
	    {"a/**/b", "a/x/y/c", 0},
	    {"a/**/b", "x/a/b", 0},
	    {"a/**/b", "a/b/c", 0},
	    {"a/**/b/**/c", "a/1/b/2/3/c", 1},
	    {"a/**/b/**/c", "a/b/c", 1},
	    {"a/**/b/**/c", "a/c/b", 0},
	    {"a/**/**/b", "a/b", 1},
	    {"a/***/b", "a/x/y/b", 1}, /* a run of stars as a whole segment is "**" */
	    {"a/***", "a/x/y", 1},
	    {"a/***", "a", 0},
	    {"***", "x/y", 1},
	    {"a***", "ax/y", 0},
	    {"a/**/*.go", "a/x.go", 1},
	    {"a/**/*.go", "a/p/q/x.go", 1},
	    {"a/**/*.go", "a/p/q/x.c", 0},
	    /* backtracking over "**": the first b is not the one */
	    {"**/b/c", "b/x/b/c", 1},
	    {"a/**/b/c", "a/b/b/b/c", 1},
	    {"a/**/b/c", "a/b/c/b/d", 0},
	};
	check_cases(cases, ARRAY_SIZE(cases));
}

static void test_glob_dir_only(void **state)
{
	(void)state;
	static const struct gcase cases[] = {
	    /* gitignore(5): "doc/frotz/" matches the directory doc/frotz, not a/doc/frotz */
	    {"doc/frotz/", "doc/frotz/", 1},
	    {"doc/frotz/", "doc/frotz", 0}, /* a file */
	    {"doc/frotz/", "a/doc/frotz/", 0},
	    {"doc/frotz/", "doc/frotz/x.c", 1}, /* inside it */
	    /* "frotz/" matches frotz and a/frotz, directories */
	    {"frotz/", "frotz/", 1},
	    {"frotz/", "a/frotz/", 1},
	    {"frotz/", "frotz", 0},
	    {"frotz/", "a/frotz", 0},
	    /* a trailing '/': for a file, a parent directory matching counts */
	    {"tmp/", "tmp/x/y.go", 1},
	    {"tmp/", "a/tmp/y.go", 1},
	    {"tmp/", "tmp/x/", 1},
	    {"tmp/", "tmpx/y.go", 0},
	    {"/tmp/", "a/tmp/y.go", 0},
	    {"/tmp/", "tmp/y.go", 1},
	    {"web/static/", "web/static/css/x.css", 1},
	    {"web/static/", "web/staticx/a.css", 0},
	    {"*.d/", "conf.d/x", 1},
	    {"*.d/", "conf.d", 0},
	    {"a/**/", "a/b/", 1},
	    {"a/**/", "a/b", 0},
	    {"a/**/", "a/b/c", 1},
	    {"**/", "x", 0},
	    {"**/", "x/", 1},
	    {"**/", "d/x", 1},
	};
	check_cases(cases, ARRAY_SIZE(cases));
}

static void test_glob_malformed(void **state)
{
	(void)state;
	static const struct {
		const char *pattern, *cause; /* cause NULL: well-formed */
	} cases[] = {
	    {"web/[ab", "unclosed [ in \"web/[ab\""},
	    {"x[", "unclosed [ in \"x[\""},
	    {"[]", "unclosed [ in \"[]\""},
	    {"[!]", "unclosed [ in \"[!]\""},
	    {"[a\\]", "unclosed [ in \"[a\\]\""},
	    {"[a/b]", "unclosed [ in \"[a/b]\""},
	    {"[[:nope:]]", "unknown character class in \"[[:nope:]]\""},
	    {"a\\", "trailing \\ in \"a\\\""},
	    {"", "empty pattern in \"\""},
	    {"/", "empty pattern in \"/\""},
	    {"a//b", "empty segment in \"a//b\""},
	    {"//a", "empty segment in \"//a\""},
	    {"a//", "empty segment in \"a//\""},
	    {"a\\//b", "escaped / in \"a\\//b\""},
	    {"x[\n", "unclosed [ in \"x[\\x0a\""},
	    {"[]]", NULL},
	    {"/a/", NULL},
	    {"a\\/b", "escaped / in \"a\\/b\""},
	    {"\\/a", "escaped / in \"\\/a\""},
	    {"a\\\\/b", NULL}, /* an escaped '\\', then a slash */
	    {"[[]", NULL},
	    {"[[:]", NULL},
	    {"\\[", NULL},
	    {"a\\\\", NULL},
	    {"**/x/**", NULL},
	    {"*.go", NULL},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *cause = NULL;
		int r = glob_check(cases[i].pattern, &cause);
		if (!cases[i].cause) {
			if (r)
				fail_msg("glob_check(\"%s\"): %s", cases[i].pattern, cause);
			assert_null(cause);
			continue;
		}
		assert_int_equal(r, -1);
		assert_non_null(cause);
		assert_string_equal(cause, cases[i].cause);
		assert_null(strchr(cause, '\n'));
		free(cause);
		/* a malformed pattern never matches, whatever the path */
		assert_false(glob_match(cases[i].pattern, "web/[ab", 0));
		assert_false(glob_match(cases[i].pattern, "web/a", 1));
		assert_false(glob_match(cases[i].pattern, "x[", 0));
		assert_false(glob_match(cases[i].pattern, "a", 0));
		assert_false(glob_match(cases[i].pattern, "a\\", 0));
	}
	assert_int_equal(glob_check("web/[ab", NULL), -1); /* cause may be NULL */
	assert_int_equal(glob_check("web/*", NULL), 0);
	assert_true(glob_match("[[]", "[", 0));
	assert_true(glob_match("[[:]", ":", 0));
}

static void test_glob_match_any(void **state)
{
	(void)state;
	struct argv_array list = ARGV_ARRAY_INIT;

	assert_false(glob_match_any(&list, "x.go", 0)); /* empty: argv is NULL */
	argv_push(&list, "*.html");
	argv_push(&list, "web/[ab"); /* malformed: skipped */
	argv_push(&list, "static/");
	assert_true(glob_match_any(&list, "web/t/index.html", 0));
	assert_true(glob_match_any(&list, "static/app.js", 0));
	assert_true(glob_match_any(&list, "static", 1));
	assert_false(glob_match_any(&list, "static", 0));
	assert_false(glob_match_any(&list, "web/a", 0));
	assert_false(glob_match_any(&list, "main.go", 0));
	argv_clear(&list);
}

/* Hostile patterns finish quickly: no exponential backtracking, no deep recursion. */
static void test_glob_hostile(void **state)
{
	(void)state;
	struct strbuf pat = STRBUF_INIT, path = STRBUF_INIT;
	int64_t t0 = now_mono_ns();

	/* "a*a*a*...*b" against "aaaa...a" */
	for (int i = 0; i < 200; i++)
		strbuf_addstr(&pat, "a*");
	strbuf_addch(&pat, 'b');
	for (int i = 0; i < 4000; i++)
		strbuf_addch(&path, 'a');
	assert_false(glob_match(pat.buf, path.buf, 0));
	strbuf_addch(&path, 'b');
	assert_true(glob_match(pat.buf, path.buf, 0));

	/* many "**" + "/" segments and a deep path that almost matches */
	strbuf_reset(&pat);
	strbuf_reset(&path);
	for (int i = 0; i < 300; i++)
		strbuf_addstr(&pat, "**/a/");
	strbuf_addstr(&pat, "b");
	for (int i = 0; i < 2000; i++)
		strbuf_addstr(&path, "a/");
	strbuf_addstr(&path, "c");
	assert_false(glob_match(pat.buf, path.buf, 0));
	path.buf[path.len - 1] = 'b';
	assert_true(glob_match(pat.buf, path.buf, 0));

	/* "*a*a*...": star backtracking inside "**" backtracking */
	strbuf_reset(&pat);
	strbuf_reset(&path);
	strbuf_addstr(&pat, "**/");
	for (int i = 0; i < 50; i++)
		strbuf_addstr(&pat, "*a");
	strbuf_addstr(&pat, "*b/**/c");
	for (int i = 0; i < 200; i++) {
		for (int j = 0; j < 60; j++)
			strbuf_addch(&path, 'a');
		strbuf_addch(&path, '/');
	}
	strbuf_addstr(&path, "c");
	assert_false(glob_match(pat.buf, path.buf, 0));

	/* a .gitignore of many "**" rules against a deep path */
	strbuf_reset(&pat);
	for (int i = 0; i < 200; i++)
		strbuf_addf(&pat, "**/x%d/**/y\n", i);
	struct gitignore *g = gitignore_new("/nonexistent/golive-pathmatch");
	gitignore_add_text(g, "", pat.buf, pat.len);
	assert_false(gitignore_ignored(g, path.buf, 0));
	gitignore_free(g);

	/* a long class after a star: classes are compiled, not rescanned per byte */
	strbuf_reset(&pat);
	strbuf_addstr(&pat, "*[");
	for (int i = 0; i < 2000; i++)
		strbuf_addch(&pat, 'a' + i % 20);
	strbuf_addstr(&pat, "]*z");
	strbuf_reset(&path);
	for (int i = 0; i < 4000; i++)
		strbuf_addch(&path, 'x');
	assert_false(glob_match(pat.buf, path.buf, 0));
	path.buf[10] = 'b';
	path.buf[path.len - 1] = 'z';
	assert_true(glob_match(pat.buf, path.buf, 0));

	double secs = (double)(now_mono_ns() - t0) / 1e9;
	if (secs > 5)
		fail_msg("hostile patterns took %.2f s", secs);
	strbuf_release(&pat);
	strbuf_release(&path);
}

/* --- .gitignore ----------------------------------------------------------- */

/* gitignore_ignored(g, path without its trailing '/', is_dir: path ended with '/') */
static int ignored(const struct gitignore *g, const char *path)
{
	size_t n = strlen(path);
	int is_dir = n && path[n - 1] == '/';
	char *p = xstrndup(path, n - (size_t)is_dir);
	int r = gitignore_ignored(g, p, is_dir);
	free(p);
	return r;
}

/*
 * Checks paths against the rules of text, read as the root's .gitignore;
 * want is a list of "+path" (ignored) and "-path" (not), NULL-terminated.
 */
static void check_text(const char *text, const char *const *want)
{
	struct gitignore *g = gitignore_new("/nonexistent/golive-pathmatch");
	int bad = 0;

	gitignore_add_text(g, "", text, strlen(text));
	for (; *want; want++) {
		int got = ignored(g, *want + 1);
		if (got != (**want == '+')) {
			print_error("rules %s: %s is %s\n", text, *want + 1,
			            got ? "ignored" : "not ignored");
			bad++;
		}
	}
	gitignore_free(g);
	if (bad)
		fail_msg("%d path(s) wrong", bad);
}

#define CHECK_TEXT(text, ...)                                                                      \
	do {                                                                                       \
		static const char *const want_[] = {__VA_ARGS__, NULL};                            \
		check_text(text, want_);                                                           \
	} while (0)

/* The examples of gitignore(5). */
static void test_gitignore_doc_examples(void **state)
{
	(void)state;
	CHECK_TEXT("doc/frotz/\n", "+doc/frotz/", "+doc/frotz/x.c", "-a/doc/frotz/", "-doc/frotz",
	           "-doc/frotzx/");
	CHECK_TEXT("frotz/\n", "+frotz/", "+a/frotz/", "+a/frotz/b", "-frotz", "-a/frotz");
	CHECK_TEXT("/foo\n", "+foo", "+foo/", "+foo/bar.c", "-a/foo", "-a/foo/bar.c");
	CHECK_TEXT("*.o\n", "+x.o", "+a/b/x.o", "+d.o/", "+d.o/x.c", "-x.c", "-x.oo");
	/* "*.o" and "!important.o": everything but important.o */
	CHECK_TEXT("*.o\n!important.o\n", "+x.o", "+a/x.o", "-important.o", "-a/important.o");
	/* "foo/" + "**": everything inside foo, not foo itself */
	CHECK_TEXT("foo/**\n", "+foo/x", "+foo/a/b", "-foo/", "-foo", "-a/foo/x");
	/* "**" + "/foo": foo anywhere */
	CHECK_TEXT("**/foo\n", "+foo", "+a/foo", "+a/b/foo/", "+a/b/foo/x", "-foox", "-a/xfoo");
	CHECK_TEXT("**/foo/bar\n", "+foo/bar", "+a/foo/bar", "+a/foo/bar/", "-a/foo/x/bar");
	/* "a/" + "**" + "/b": a/b, a/x/b, a/x/y/b */
	CHECK_TEXT("a/**/b\n", "+a/b", "+a/x/b", "+a/x/y/b", "-a/x/c", "-x/a/b");
	/* "abc/" + "**": only inside */
	CHECK_TEXT("abc/**\n", "+abc/d", "+abc/d/e", "-abc/", "-x/abc/d");
	/* "foo/" + "*" matches foo/test.json and foo/bar (a directory), not foo/bar/hello.c itself
	 */
	CHECK_TEXT("foo/*\n", "+foo/test.json", "+foo/bar/", "+foo/bar/hello.c", "-foo/",
	           "-a/foo/x");
	/* exclude everything except the directory foo/bar */
	CHECK_TEXT("/*\n!/foo\n/foo/*\n!/foo/bar\n", "+x", "+x/", "+x/y", "-foo/", "+foo/baz",
	           "+foo/baz/q", "-foo/bar/", "-foo/bar/q.c", "-foo/bar/q/r");
}

static void test_gitignore_syntax(void **state)
{
	(void)state;
	/* comments, blank lines, escaped '#' and '!' */
	CHECK_TEXT("# a comment\n\n   \n#x\n\\#y\n\\!z\n", "-# a comment", "-#x", "-x", "+#y", "-y",
	           "+!z", "-z");
	/* "!" negates; a later rule wins */
	CHECK_TEXT("*.log\n!keep.log\n", "+a.log", "-keep.log", "-d/keep.log");
	CHECK_TEXT("!keep.log\n*.log\n", "+keep.log");
	CHECK_TEXT("!\n", "-!", "-x");
	/* trailing spaces are trimmed unless escaped */
	CHECK_TEXT("a.txt   \nb\\ \nc\\  \nd\\\\ \n", "+a.txt", "-a.txt ", "+b ", "-b", "+c ", "-c",
	           "+d\\", "-d\\ ");
	/* leading spaces stay */
	CHECK_TEXT(" lead\n", "+ lead", "-lead");
	/* CRLF line ends, a BOM, no final newline */
	CHECK_TEXT("\xef\xbb\xbf*.o\r\nbin/\r\nlast", "+x.o", "+bin/", "+bin/x", "+last",
	           "-last\r");
	/* malformed patterns are skipped; the others still apply */
	CHECK_TEXT("[oops\n*.o\n", "+x.o", "-[oops");
	/* a '/' anchors; "**" in the middle; a dir-only negation */
	CHECK_TEXT("build/\n!build/keep.txt\n", "+build/", "+build/keep.txt", "+x/build/y");
	CHECK_TEXT("vendor\n!vendor/\n", "-vendor/", "+vendor", "-vendor/x.go");
	/* a parent re-included by '!' does not re-include children ignored themselves */
	CHECK_TEXT("tmp/*\n!tmp/keep/\n", "+tmp/a", "-tmp/keep/", "-tmp/keep/x", "-tmp/");
	/* ".git" is always ignored, at any depth, whatever the rules */
	CHECK_TEXT("!.git\n!.git/\n", "+.git/", "+.git", "+.git/HEAD", "+sub/.git", "-.github/",
	           "-x.git");
	/* an empty path is the root: never ignored */
	CHECK_TEXT("*\n", "-", "+x");
}

static void add_text(struct gitignore *g, const char *dir, const char *text)
{
	gitignore_add_text(g, dir, text, strlen(text));
}

static void test_gitignore_add_text_dirs(void **state)
{
	(void)state;
	struct gitignore *g = gitignore_new("/nonexistent/golive-pathmatch");

	assert_false(gitignore_ignored(g, "x.o", 0)); /* no rules at all */
	add_text(g, "", "*.o\n");
	add_text(g, "sub", "/local\nnested/x\n*.tmp2\n!keep.o\n");
	add_text(g, "./sub//deep/", "!*.tmp2\n");
	assert_true(ignored(g, "x.o"));
	assert_true(ignored(g, "sub/x.o"));
	assert_false(ignored(g, "sub/keep.o"));
	assert_true(ignored(g, "keep.o")); /* sub's rules stay in sub */
	assert_true(ignored(g, "sub/local"));
	assert_false(ignored(g, "local"));
	assert_false(ignored(g, "sub/a/local")); /* anchored at sub */
	assert_true(ignored(g, "sub/nested/x"));
	assert_false(ignored(g, "sub/a/nested/x"));
	assert_false(ignored(g, "nested/x"));
	assert_true(ignored(g, "sub/a/b.tmp2"));
	assert_false(ignored(g, "sub/deep/b.tmp2")); /* the deeper file wins */
	assert_false(ignored(g, "sub/deep/x/b.tmp2"));
	assert_false(ignored(g, "b.tmp2"));
	assert_false(ignored(g, "subx/local"));
	gitignore_free(g);
	gitignore_free(NULL);
}

/* --- a real tree ---------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Writes root/rel (creating its directories) with content. */
static void write_file(const char *root, const char *rel, const char *content)
{
	char *path = xasprintf("%s/%s", root, rel);
	for (char *s = strchr(path + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*s = '/';
	}
	FILE *f = fopen(path, "w");
	if (!f)
		fail_msg("fopen %s: %s", path, strerror(errno));
	fputs(content, f);
	fclose(f);
	free(path);
}

static int setup_tree(void **state)
{
	char tmpl[] = "/tmp/golive-pathmatch-XXXXXX";
	if (!mkdtemp(tmpl))
		fail_msg("mkdtemp: %s", strerror(errno));
	*state = xstrdup(tmpl);
	return 0;
}

static int teardown_tree(void **state)
{
	char *dir = *state;
	nftw(dir, rm_one, 64, FTW_DEPTH | FTW_PHYS);
	free(dir);
	return 0;
}

static void test_gitignore_tree(void **state)
{
	const char *root = *state;

	write_file(root, ".gitignore",
	           "# build output\n"
	           "/bin/\n"
	           "*.log\n"
	           "node_modules/\n"
	           "secret*\n"
	           "!secret.example\n");
	write_file(root, ".git/info/exclude", "*.swp\nlocal.env\n!never.log\n");
	write_file(root, "web/.gitignore", "/dist\n!debug.log\n*.css\n");
	write_file(root, "web/static/.gitignore", "!keep.css\n");
	write_file(root, "tools/.gitignore", "[broken\nout/\n");
	write_file(root, "web/x.go", "package web\n");

	struct gitignore *g = gitignore_new(root);

	/* the root's rules and info/exclude are read at once */
	assert_true(ignored(g, "bin/"));
	assert_true(ignored(g, "bin/golive"));
	assert_false(ignored(g, "cmd/bin/x")); /* "/bin/" is anchored */
	assert_true(ignored(g, "a/b/c.log"));
	assert_true(ignored(g, "web/node_modules/"));
	assert_true(ignored(g, "web/node_modules/react/index.js"));
	assert_false(ignored(g, "web/node_modules")); /* a file: "node_modules/" is dir-only */
	assert_true(ignored(g, "secret.key"));
	assert_false(ignored(g, "secret.example"));
	assert_true(ignored(g, ".main.go.swp"));
	assert_true(ignored(g, "cmd/local.env"));
	assert_true(ignored(g, "never.log")); /* info/exclude ranks below .gitignore */
	assert_true(ignored(g, ".git/"));
	assert_true(ignored(g, ".git/info/exclude"));
	assert_false(ignored(g, ".gitignore"));

	/* web/.gitignore applies once read */
	assert_false(ignored(g, "web/dist/"));
	assert_true(ignored(g, "web/debug.log"));
	assert_int_equal(gitignore_add_dir(g, "web"), 1);
	assert_int_equal(gitignore_add_dir(g, "web"), 0);      /* read already */
	assert_int_equal(gitignore_add_dir(g, "web/"), 0);     /* the same directory */
	assert_int_equal(gitignore_add_dir(g, ""), 0);         /* the root: read by gitignore_new */
	assert_int_equal(gitignore_add_dir(g, "cmd"), 0);      /* no such directory */
	assert_int_equal(gitignore_add_dir(g, "web/x.go"), 0); /* no .gitignore there */
	assert_true(ignored(g, "web/dist/"));
	assert_true(ignored(g, "web/dist/app.js"));
	assert_false(ignored(g, "web/a/dist/"));       /* "/dist" relative to web */
	assert_false(ignored(g, "dist/"));             /* and only below web */
	assert_false(ignored(g, "web/debug.log"));     /* web's '!' beats the root's "*.log" */
	assert_false(ignored(g, "web/sub/debug.log")); /* "!debug.log" wins below web too... */
	assert_true(ignored(g, "web/a.css"));
	assert_true(ignored(g, "web/static/keep.css"));
	assert_true(ignored(g, "other/debug.log")); /* ...but not outside web */

	/* web/static's rules beat web's; web/dist's contents stay ignored */
	assert_int_equal(gitignore_add_dir(g, "web/static"), 1);
	assert_false(ignored(g, "web/static/keep.css"));
	assert_false(ignored(g, "web/static/sub/keep.css"));
	assert_true(ignored(g, "web/static/other.css"));
	assert_true(ignored(g, "web/keep.css"));

	/* a malformed rule is skipped, the rest of its file applies */
	assert_int_equal(gitignore_add_dir(g, "tools"), 1);
	assert_true(ignored(g, "tools/out/"));
	assert_true(ignored(g, "tools/x/out/y"));
	assert_false(ignored(g, "tools/[broken"));
	gitignore_free(g);

	/* a tree without any .gitignore: nothing is ignored but .git */
	char *empty = xasprintf("%s/web/static/empty", root);
	assert_int_equal(mkdir(empty, 0755), 0);
	g = gitignore_new(empty);
	assert_false(ignored(g, "x.log"));
	assert_true(ignored(g, ".git/"));
	assert_int_equal(gitignore_add_dir(g, ""), 0);
	/* a .gitignore created later is read by the next gitignore_add_dir() */
	write_file(root, "web/static/empty/.gitignore", "*.gen\n");
	assert_false(ignored(g, "x.gen"));
	assert_int_equal(gitignore_add_dir(g, ""), 1);
	assert_int_equal(gitignore_add_dir(g, "."), 0);
	assert_true(ignored(g, "x.gen"));
	gitignore_free(g);
	free(empty);
}

/* A .gitignore that cannot be read (a directory) or is too large counts as none. */
static void test_gitignore_unreadable(void **state)
{
	const char *root = *state;
	char *d = xasprintf("%s/a/.gitignore", root);
	write_file(root, "a/keep", "");
	assert_int_equal(mkdir(d, 0755), 0);
	struct gitignore *g = gitignore_new(root);
	assert_int_equal(gitignore_add_dir(g, "a"), 0);
	assert_false(ignored(g, "a/keep"));
	gitignore_free(g);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_glob_basic),
	    cmocka_unit_test(test_glob_starstar),
	    cmocka_unit_test(test_glob_dir_only),
	    cmocka_unit_test(test_glob_malformed),
	    cmocka_unit_test(test_glob_match_any),
	    cmocka_unit_test(test_glob_hostile),
	    cmocka_unit_test(test_gitignore_doc_examples),
	    cmocka_unit_test(test_gitignore_syntax),
	    cmocka_unit_test(test_gitignore_add_text_dirs),
	    cmocka_unit_test_setup_teardown(test_gitignore_tree, setup_tree, teardown_tree),
	    cmocka_unit_test_setup_teardown(test_gitignore_unreadable, setup_tree, teardown_tree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
