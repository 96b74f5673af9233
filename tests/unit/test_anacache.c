/*
 * test_anacache.c - unit tests of anacache.c (cmocka): package file sets,
 * cache keys (the Go version included), entries and their re-rooting, $WORK
 * file resolution, findings by Go version through the cache, and the vet.cfg
 * parser of vettool.c.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/anacache.h"
#include "analysis/analyze.h"
#include "wrapper/vettool.h"

static char tmpdir[256];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *tpath(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/golive-anacache-XXXXXX",
	         getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(tmpdir));
	char *d;
	const char *sub[] = {"a", "b", "work", "work/b001", "cache", "gocache"};
	for (size_t i = 0; i < ARRAY_SIZE(sub); i++) {
		d = tpath(sub[i]);
		assert_int_equal(mkdir(d, 0700), 0);
		free(d);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void load(struct pkgsrc *ps, const char *const *names, size_t n)
{
	struct argv_array files = ARGV_ARRAY_INIT;
	for (size_t i = 0; i < n; i++) {
		char *p = tpath(names[i]);
		argv_push(&files, p);
		free(p);
	}
	pkgsrc_load(ps, files.argv, files.argc);
	argv_clear(&files);
}

static void test_key(void **state)
{
	(void)state;
	struct anacache c;
	char *cause = NULL, *dir = tpath("cache");
	char k1[ANACACHE_KEY_HEX + 1], k2[ANACACHE_KEY_HEX + 1], k3[ANACACHE_KEY_HEX + 1];
	assert_int_equal(anacache_open(&c, dir, &cause), 0);
	free(dir);

	char *p;
	write_file(p = tpath("a/x.go"), "package p\n"), free(p);
	write_file(p = tpath("a/y.go"), "package p\n\nfunc Y() {}\n"), free(p);
	write_file(p = tpath("b/x.go"), "package p\n"), free(p);
	write_file(p = tpath("b/y.go"), "package p\n\nfunc Y() {}\n"), free(p);

	struct pkgsrc a = PKGSRC_INIT, b = PKGSRC_INIT, a2 = PKGSRC_INIT;
	const char *an[] = {"a/y.go", "a/x.go"}, *bn[] = {"b/x.go", "b/y.go"};
	load(&a, an, 2);
	load(&b, bn, 2);
	assert_int_equal(a.files.n, 2);
	assert_string_equal(a.files.v[0].name, "x.go"); /* sorted by base name */
	assert_string_equal(b.dir + strlen(b.dir) - 2, "/b");

	/* Same names and contents elsewhere, listed in another order: same key. */
	anacache_key(&c, &a, 42, k1);
	anacache_key(&c, &b, 42, k2);
	assert_int_equal(strlen(k1), ANACACHE_KEY_HEX);
	assert_string_equal(k1, k2);
	/* Other settings: another key. */
	anacache_key(&c, &a, 43, k3);
	assert_string_not_equal(k1, k3);
	/* Other contents: another key. */
	write_file(p = tpath("a/y.go"), "package p\n\nfunc Y() { }\n"), free(p);
	load(&a2, an, 2);
	anacache_key(&c, &a2, 42, k3);
	assert_string_not_equal(k1, k3);
	pkgsrc_release(&a2);
	/* A missing file hashes differently from an empty one. */
	const char *missing[] = {"a/x.go", "a/nope.go"};
	load(&a2, missing, 2);
	assert_null(a2.files.v[0].src); /* "nope.go" sorts first */
	anacache_key(&c, &a2, 42, k3);
	assert_string_not_equal(k1, k3);

	/*
	 * The Go version: unknown by default (as above); every spelling of one
	 * language version gives one key, another version another key.
	 */
	char k4[ANACACHE_KEY_HEX + 1];
	assert_false(goversion_known(&a.lang));
	assert_int_equal(pkgsrc_set_goversion(&a, "go1.20"), 0);
	anacache_key(&c, &a, 42, k2);
	assert_string_not_equal(k1, k2);
	static const char *const same[] = {"1.20", "go1.20.14", "1.20rc1", "devel go1.20-abc x"};
	for (size_t i = 0; i < ARRAY_SIZE(same); i++) {
		assert_int_equal(pkgsrc_set_goversion(&a, same[i]), 0);
		anacache_key(&c, &a, 42, k3);
		assert_string_equal(k2, k3);
	}
	assert_int_equal(pkgsrc_set_goversion(&a, "go1.21"), 0);
	anacache_key(&c, &a, 42, k3);
	assert_string_not_equal(k2, k3);
	assert_string_not_equal(k1, k3);
	anacache_key(&c, &b, 42, k4); /* b stays unknown */
	assert_string_equal(k1, k4);
	assert_int_equal(pkgsrc_set_goversion(&a, "not a version"), -1);
	assert_false(goversion_known(&a.lang));
	anacache_key(&c, &a, 42, k3);
	assert_string_equal(k1, k3);
	assert_int_equal(pkgsrc_set_goversion(&a, "go1.21"), 0);
	assert_int_equal(pkgsrc_set_goversion(&a, ""), 0); /* back to unknown */
	anacache_key(&c, &a, 42, k3);
	assert_string_equal(k1, k3);
	assert_int_equal(pkgsrc_set_goversion(&a, "go1.21"), 0);
	assert_int_equal(pkgsrc_set_goversion(&a, NULL), 0);
	assert_false(goversion_known(&a.lang));

	pkgsrc_release(&a);
	pkgsrc_release(&b);
	pkgsrc_release(&a2);
	anacache_close(&c);
}

static void test_put_get_rerooted(void **state)
{
	(void)state;
	struct anacache c;
	char *cause = NULL, *dir = tpath("cache");
	assert_int_equal(anacache_open(&c, dir, &cause), 0);
	free(dir);

	diag_array d = ARRAY_INIT, got = ARRAY_INIT;
	char *adir = tpath("a"), *f1 = tpath("a/x.go"), *bdir = tpath("b");
	diag_push(&d, f1, 3, 7, "httpctx", SEV_ERROR, "use r.Context()");
	diag_push(&d, "/elsewhere/z.go", 1, 1, "rule1", SEV_INFO, "outside the package");
	const char *key = "0123456789abcdef0123456789abcdef";

	assert_int_equal(anacache_get(&c, key, adir, &got), 0); /* miss */
	assert_int_equal(anacache_put(&c, key, adir, &d), 0);
	assert_int_equal(anacache_get(&c, key, bdir, &got), 1);
	assert_int_equal(got.n, 2);
	char *want = tpath("b/x.go");
	assert_string_equal(got.v[0].file, want); /* re-rooted */
	free(want);
	assert_int_equal(got.v[0].line, 3);
	assert_int_equal(got.v[0].col, 7);
	assert_int_equal(got.v[0].severity, SEV_ERROR);
	assert_string_equal(got.v[0].analyzer, "httpctx");
	assert_string_equal(got.v[1].file, "/elsewhere/z.go"); /* kept absolute */
	diag_array_release(&got);

	/* The entry is stored relative, under <kk>/<key>.json, with no temp file left. */
	char *entry = xasprintf("%s/01/%s.json", c.dir, key);
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(strbuf_read_file(&sb, entry, 1 << 20), 0);
	assert_non_null(strstr(sb.buf, "\"file\":\"x.go\""));
	assert_null(strstr(sb.buf, adir));
	strbuf_release(&sb);

	/* A corrupt entry is a miss, not an error. */
	write_file(entry, "{\"format\":1,\"diags\":[{\"file\":1}]}");
	assert_int_equal(anacache_get(&c, key, adir, &got), 0);
	write_file(entry, "not json");
	assert_int_equal(anacache_get(&c, key, adir, &got), 0);
	assert_int_equal(got.n, 0);

	/* An empty finding list is a hit. */
	diag_array none = ARRAY_INIT;
	assert_int_equal(anacache_put(&c, key, adir, &none), 0);
	assert_int_equal(anacache_get(&c, key, adir, &got), 1);
	assert_int_equal(got.n, 0);

	free(entry);
	free(adir);
	free(bdir);
	free(f1);
	diag_array_release(&d);
	anacache_close(&c);
}

static void test_open_locations(void **state)
{
	(void)state;
	struct anacache c;
	char *cause = NULL, *gocache = tpath("gocache"), *inside = tpath("gocache/golive");
	char *xdg = tpath("xdg");

	setenv("GOCACHE", gocache, 1);
	assert_int_equal(anacache_open(&c, inside, &cause), -1);
	assert_non_null(strstr(cause, "GOCACHE"));
	assert_null(c.dir);
	free(cause);
	cause = NULL;

	/*
	 * Inside GOCACHE through a symlink, or a symlink and "..": refused, and
	 * nothing is created in GOCACHE.
	 */
	char *link = tpath("gclink"), *via = tpath("gclink/golive/analysis");
	char *sub = tpath("gocache/sub"), *link2 = tpath("sublink");
	char *dotdot = tpath("sublink/../golive2");
	assert_int_equal(symlink(gocache, link), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(symlink(sub, link2), 0);
	const char *refused[] = {via, link, dotdot};
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		assert_int_equal(anacache_open(&c, refused[i], &cause), -1);
		if (!strstr(cause, "inside GOCACHE"))
			fail_msg("%s: %s", refused[i], cause);
		assert_null(c.dir);
		free(cause), cause = NULL;
	}
	char *made = tpath("gocache/golive"), *made2 = tpath("gocache/golive2");
	struct stat mst;
	assert_int_equal(stat(made, &mst), -1);
	assert_int_equal(stat(made2, &mst), -1);
	/* GOCACHE itself a symlink to where the cache would go. */
	setenv("GOCACHE", link, 1);
	assert_int_equal(anacache_open(&c, inside, &cause), -1);
	free(cause), cause = NULL;
	/* A sibling is fine. */
	char *sibling = tpath("gclink-not/golive");
	assert_int_equal(anacache_open(&c, sibling, &cause), 0);
	anacache_close(&c);
	unsetenv("GOCACHE");
	/* Without GOCACHE: go's default, $XDG_CACHE_HOME/go-build. */
	char *xdgdef = tpath("xdgdef"), *def = tpath("xdgdef/go-build/golive");
	setenv("XDG_CACHE_HOME", xdgdef, 1);
	assert_int_equal(anacache_open(&c, def, &cause), -1);
	assert_non_null(strstr(cause, "go-build"));
	free(cause), cause = NULL;
	unsetenv("XDG_CACHE_HOME");
	free(link), free(via), free(sub), free(link2), free(dotdot), free(made), free(made2);
	free(sibling), free(xdgdef), free(def);

	unsetenv("GOLIVE_CACHE_DIR");
	setenv("XDG_CACHE_HOME", xdg, 1);
	char *d = anacache_default_dir();
	char *want = xasprintf("%s/golive/analysis", xdg);
	assert_string_equal(d, want);
	free(d);
	assert_int_equal(anacache_open(&c, NULL, &cause), 0);
	assert_string_equal(c.dir, want);
	struct stat st;
	assert_int_equal(stat(want, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	anacache_close(&c);
	free(want);

	setenv("GOLIVE_CACHE_DIR", "/some/where", 1);
	d = anacache_default_dir();
	assert_string_equal(d, "/some/where");
	free(d);
	unsetenv("GOLIVE_CACHE_DIR");
	unsetenv("XDG_CACHE_HOME");

	free(gocache);
	free(inside);
	free(xdg);
}

static void test_resolve_work_files(void **state)
{
	(void)state;
	char *user = tpath("a/x.go"), *user2 = tpath("a/c.go"), *work = tpath("work/b001");
	char *cgo1 = tpath("work/b001/c.cgo1.go"), *types = tpath("work/b001/_cgo_gotypes.go");
	char *cover = tpath("work/b001/x.cover.go"), *main_ = tpath("work/b001/_testmain.go");
	char *text;
	write_file(user, "package p\n");
	write_file(user2, "package p\n\nimport \"C\"\n");
	text = xasprintf("// Code generated by cmd/cgo; DO NOT EDIT.\n\n//line %s:1:1\npackage p\n",
	                 user2);
	write_file(cgo1, text);
	free(text);
	write_file(types, "// Code generated by cmd/cgo; DO NOT EDIT.\n\npackage p\n");
	text = xasprintf("//line %s:1\npackage p\n", user);
	write_file(cover, text);
	free(text);
	write_file(main_, "// Code generated by 'go test'. DO NOT EDIT.\n\npackage main\n");

	char *files[] = {user, types, cgo1, cover, main_, "/x/asm.s"};
	struct argv_array out = ARGV_ARRAY_INIT;
	pkgsrc_resolve(files, ARRAY_SIZE(files), work, &out);
	assert_int_equal(out.argc, 2);
	assert_string_equal(out.argv[0], user);
	assert_string_equal(out.argv[1], user2); /* the cgo file behind c.cgo1.go */
	argv_clear(&out);

	/* Without a $WORK, every .go file is a user file. */
	pkgsrc_resolve(files, ARRAY_SIZE(files), NULL, &out);
	assert_int_equal(out.argc, 5);
	argv_clear(&out);

	free(user);
	free(user2);
	free(work);
	free(cgo1);
	free(types);
	free(cover);
	free(main_);
}

static void test_analyse_through_cache(void **state)
{
	(void)state;
	struct anacache c;
	struct analysis_settings s;
	struct analysis_ctx *ctx = NULL;
	char *cause = NULL, *dir = tpath("cache"), key[ANACACHE_KEY_HEX + 1];
	char *p = tpath("b/h.go");
	write_file(p, "package p\n\nimport (\n\t\"context\"\n\t\"net/http\"\n)\n\n"
	              "func h(w http.ResponseWriter, r *http.Request) {\n"
	              "\t_ = context.Background()\n}\n");
	assert_int_equal(anacache_open(&c, dir, &cause), 0);
	analysis_settings_init(&s);

	struct pkgsrc ps = PKGSRC_INIT;
	pkgsrc_load(&ps, &p, 1);
	anacache_key(&c, &ps, analysis_settings_hash(&s), key);
	diag_array d1 = ARRAY_INIT, d2 = ARRAY_INIT;
	int hit = -1;
	assert_int_equal(anacache_analyse(&c, &s, &ctx, &ps, key, &d1, &hit, &cause), 0);
	assert_int_equal(hit, 0);
	assert_non_null(ctx);
	assert_true(d1.n >= 1);
	assert_string_equal(d1.v[0].file, p);
	assert_int_equal(d1.v[0].line, 9);
	assert_string_equal(d1.v[0].analyzer, "httpctx");

	assert_int_equal(anacache_analyse(&c, &s, &ctx, &ps, key, &d2, &hit, &cause), 0);
	assert_int_equal(hit, 1);
	assert_int_equal(d2.n, d1.n);
	for (size_t i = 0; i < d1.n; i++) {
		assert_string_equal(d1.v[i].file, d2.v[i].file);
		assert_int_equal(d1.v[i].line, d2.v[i].line);
		assert_int_equal(d1.v[i].col, d2.v[i].col);
		assert_string_equal(d1.v[i].message, d2.v[i].message);
		assert_int_equal(d1.v[i].severity, d2.v[i].severity);
	}

	diag_array_release(&d1);
	diag_array_release(&d2);
	analysis_ctx_free(ctx);
	analysis_settings_release(&s);
	pkgsrc_release(&ps);
	anacache_close(&c);
	free(dir);
	free(p);
}

/*
 * One package analysed as go 1.20 and as go 1.21: logtrace gives slog advice
 * only in the second (the request-scoped logger pattern in the first), and
 * each version's findings come back from the cache under its own key, never
 * the other's.
 */
static void test_analyse_by_goversion(void **state)
{
	(void)state;
	struct anacache c;
	struct analysis_settings s;
	struct analysis_ctx *ctx = NULL;
	char *cause = NULL, *dir = tpath("cache");
	char k20[ANACACHE_KEY_HEX + 1], k21[ANACACHE_KEY_HEX + 1];
	char *p = tpath("b/logs.go");
	write_file(p, "package p\n\nimport (\n\t\"log\"\n\t\"net/http\"\n)\n\n"
	              "func h(w http.ResponseWriter, r *http.Request) {\n"
	              "\tlog.Printf(\"x\")\n}\n");
	assert_int_equal(anacache_open(&c, dir, &cause), 0);
	analysis_settings_init(&s);

	struct pkgsrc p20 = PKGSRC_INIT, p21 = PKGSRC_INIT;
	pkgsrc_load(&p20, &p, 1);
	pkgsrc_load(&p21, &p, 1);
	assert_int_equal(pkgsrc_set_goversion(&p20, "go1.20"), 0);
	assert_int_equal(pkgsrc_set_goversion(&p21, "go1.21"), 0);
	anacache_key(&c, &p20, analysis_settings_hash(&s), k20);
	anacache_key(&c, &p21, analysis_settings_hash(&s), k21);
	assert_string_not_equal(k20, k21);
	for (int round = 0; round < 2; round++) {
		/* go1.21 first: a context left at go1.21 must not leak into the go1.20 run */
		diag_array d20 = ARRAY_INIT, d21 = ARRAY_INIT;
		int hit = -1;
		assert_int_equal(anacache_analyse(&c, &s, &ctx, &p21, k21, &d21, &hit, &cause), 0);
		assert_int_equal(hit, round);
		assert_int_equal(d21.n, 1);
		assert_string_equal(d21.v[0].analyzer, "logtrace");
		assert_int_equal(d21.v[0].line, 9);
		assert_non_null(strstr(d21.v[0].message, "use slog.InfoContext"));
		assert_int_equal(anacache_analyse(&c, &s, &ctx, &p20, k20, &d20, &hit, &cause), 0);
		assert_int_equal(hit, round);
		/* go1.20: no log/slog, the request-scoped logger pattern instead */
		assert_int_equal(d20.n, 1);
		assert_null(strstr(d20.v[0].message, "slog.InfoContext"));
		assert_non_null(strstr(d20.v[0].message, "this package is go1.20)"));
		diag_array_release(&d20);
		diag_array_release(&d21);
	}

	analysis_ctx_free(ctx);
	analysis_settings_release(&s);
	pkgsrc_release(&p20);
	pkgsrc_release(&p21);
	anacache_close(&c);
	free(dir);
	free(p);
}

static void test_vetcfg(void **state)
{
	(void)state;
	struct vetcfg c;
	char *cause = NULL;
	const char *good =
	    "{\"ID\":\"p [p.test]\",\"Compiler\":\"gc\",\"Dir\":\"/m/p\",\"ImportPath\":\"p\","
	    "\"GoFiles\":[\"/m/p/a.go\",\"/w/b001/a.cgo1.go\"],\"NonGoFiles\":null,"
	    "\"IgnoredFiles\":null,\"ImportMap\":{\"fmt\":\"fmt\"},\"PackageFile\":{},"
	    "\"Standard\":{\"fmt\":true},\"PackageVetx\":{},\"VetxOnly\":false,"
	    "\"VetxOutput\":\"/w/b001/vet.out\",\"SucceedOnTypecheckFailure\":false,"
	    "\"NewField\":[1,2,3]}";
	assert_int_equal(vetcfg_parse(&c, good, strlen(good), &cause), 0);
	assert_string_equal(c.id, "p [p.test]");
	assert_string_equal(c.import_path, "p");
	assert_string_equal(c.dir, "/m/p");
	assert_int_equal(c.go_files.argc, 2);
	assert_string_equal(c.vetx_output, "/w/b001/vet.out");
	assert_int_equal(c.vetx_only, 0);
	assert_string_equal(c.go_version, ""); /* absent */
	vetcfg_release(&c);

	const char *versioned = "{\"ImportPath\":\"p\",\"GoFiles\":[],\"GoVersion\":\"go1.20\"}";
	assert_int_equal(vetcfg_parse(&c, versioned, strlen(versioned), &cause), 0);
	assert_string_equal(c.go_version, "go1.20");
	vetcfg_release(&c);

	const char *bad[] = {
	    "",
	    "[]",
	    "{\"GoFiles\":[]}",                            /* no ImportPath */
	    "{\"ImportPath\":\"p\"}",                      /* no GoFiles */
	    "{\"ImportPath\":\"\",\"GoFiles\":[]}",        /* empty ImportPath */
	    "{\"ImportPath\":1,\"GoFiles\":[]}",           /* wrong type */
	    "{\"ImportPath\":\"p\",\"GoFiles\":\"a.go\"}", /* not an array */
	    "{\"ImportPath\":\"p\",\"GoFiles\":[1]}",      /* not a name */
	    "{\"ImportPath\":\"p\",\"GoFiles\":[],\"VetxOnly\":\"yes\"}",
	    "{\"ImportPath\":\"p\",\"GoFiles\":[],\"GoVersion\":121}",
	    "{\"ImportPath\":\"p\",\"GoFiles\":[],\"Standard\":{\"a\\nb\":1}}",
	    "{\"ImportPath\":\"p\",\"GoFiles\":[]} trailing",
	    "{\"ImportPath\":\"p\",\"ImportPath\":\"q\",\"GoFiles\":[]}",
	    "{\"ImportPath\":\"m\",\"GoFiles\":[\"m\",\"m]}\\\n", /* fuzz: a newline in jansson's
	                                                             text */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		cause = NULL;
		assert_int_equal(vetcfg_parse(&c, bad[i], strlen(bad[i]), &cause), -1);
		assert_non_null(cause);
		assert_null(strchr(cause, '\n'));
		free(cause);
		vetcfg_release(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key),
	    cmocka_unit_test(test_put_get_rerooted),
	    cmocka_unit_test(test_open_locations),
	    cmocka_unit_test(test_resolve_work_files),
	    cmocka_unit_test(test_analyse_through_cache),
	    cmocka_unit_test(test_analyse_by_goversion),
	    cmocka_unit_test(test_vetcfg),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
