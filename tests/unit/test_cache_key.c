/*
 * test_cache_key.c - unit tests of cache_key.c (cmocka): the importcfg
 * rewrite, the embedcfg canonical text, the flag allow-list (each class of
 * uncacheable invocation with its reason), $WORK and -trimpath
 * normalisation with dir_bound, the environment; and the keys of real
 * compiles recorded from `go build -toolexec` (Debian's go): std built in
 * two $WORK directories and for GOARCH=386, a small module with //go:embed
 * built in two directories with and without -trimpath.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache/cache_key.h"
#include "core/crypto.h"
#include "wrapper/toolargs.h"
#include "core/util.h"

#define COMPILE "/usr/lib/go/pkg/tool/linux_amd64/compile"
#define VERSION "compile version go1.19.8"

/* ---- helpers ---------------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes text to path, creating its directory. */
static void put(const char *path, const char *text)
{
	char *dir = xstrdup(path);
	FILE *f;

	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir, 0755), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(dir);
}

/* A stand-in for sha256_file_hex: the hash of the path itself; "missing" paths fail. */
static int fake_hash(const char *path, char hex[65], char **why)
{
	if (strstr(path, "missing")) {
		*why = xasprintf("unreadable input %s: No such file or directory", path);
		return -1;
	}
	return sha256_hex(path, strlen(path), hex, why);
}

static char *fake_hex(const char *path)
{
	char hex[65], *why = NULL;
	assert_int_equal(fake_hash(path, hex, &why), 0);
	return xstrdup(hex);
}

/*
 * The key of `compile WORDS` (words separated by single spaces, tool
 * COMPILE unless tool is given). Returns cache_key_compute's result.
 */
static int key_of_tool(const char *tool, const char *words, struct cache_key *k, char **why)
{
	struct argv_array a = ARGV_ARRAY_INIT;
	struct tool_invocation ti;
	char *copy = xstrdup(words), *save = NULL;
	int rc;

	argv_push(&a, "golive");
	argv_push(&a, tool);
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
		argv_push(&a, w);
	toolargs_classify(&ti, (int)a.argc, a.argv);
	*why = NULL;
	rc = cache_key_compute(&ti, VERSION, k, why);
	if (rc == 1)
		assert_null(*why);
	else
		assert_true(*why && **why && !strchr(*why, '\n'));
	toolargs_release(&ti);
	argv_clear(&a);
	free(copy);
	return rc;
}

static int key_of(const char *words, struct cache_key *k, char **why)
{
	return key_of_tool(COMPILE, words, k, why);
}

/* Asserts that `compile words` is not cacheable, for the reason want. */
static void assert_uncacheable(const char *words, const char *want)
{
	struct cache_key k;
	char *why = NULL;
	int rc = key_of(words, &k, &why);

	if (rc != 0 || strcmp(why, want))
		fail_msg("compile %s: got %d \"%s\", want 0 \"%s\"", words, rc, why ? why : "",
		         want);
	free(why);
}

/* The key of words, which must be cacheable; hex into out, dir_bound returned. */
static int cacheable(const char *words, char out[65])
{
	struct cache_key k;
	char *why = NULL;
	int rc = key_of(words, &k, &why), bound;

	if (rc != 1)
		fail_msg("compile %s: got %d \"%s\", want cacheable", words, rc, why ? why : "");
	memcpy(out, k.hex, 65);
	bound = k.dir_bound;
	cache_key_release(&k);
	return bound;
}

/* ---- fixture: a fake $WORK and sources -------------------------------------- */

struct fixture {
	char *tmp;
	char *work1, *obj1; /* tmp/go-build111, .../b007 */
	char *work2, *obj2; /* tmp/go-build222, .../b042 */
	char *srca, *srcb;  /* tmp/a/p and tmp/b/p: the same package in two places */
	char *saved_goroot;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/golive-test-cache-key-XXXXXX";
	char *p;
	const char *g = getenv("GOROOT");

	if (!mkdtemp(tmpl))
		return -1;
	f->tmp = xstrdup(tmpl);
	f->work1 = xasprintf("%s/go-build111", f->tmp);
	f->obj1 = xasprintf("%s/b007", f->work1);
	f->work2 = xasprintf("%s/go-build222", f->tmp);
	f->obj2 = xasprintf("%s/b042", f->work2);
	f->srca = xasprintf("%s/a/p", f->tmp);
	f->srcb = xasprintf("%s/b/p", f->tmp);
	f->saved_goroot = g ? xstrdup(g) : NULL;
	unsetenv("GOROOT");

	/* Two $WORK/bNNN with the same files: the importcfg names a dep in each. */
	for (int i = 0; i < 2; i++) {
		const char *work = i ? f->work2 : f->work1, *obj = i ? f->obj2 : f->obj1;
		p = xasprintf("%s/b001/_pkg_.a", work);
		put(p, "!<arch>\nfmt object\n");
		free(p);
		p = xasprintf("%s/importcfg", obj);
		{
			char *text =
			    xasprintf("# import config\npackagefile fmt=%s/b001/_pkg_.a\n", work);
			put(p, text);
			free(text);
		}
		free(p);
		p = xasprintf("%s/symabis", obj);
		put(p, "def \"\".f ABI0\n");
		free(p);
		p = xasprintf("%s/_cgo_gotypes.go", obj);
		put(p, "package p\n\n// generated\n");
		free(p);
		p = xasprintf("%s/a.go", i ? f->srcb : f->srca);
		put(p, "package p\n\nimport \"fmt\"\n\nfunc F() { fmt.Println() }\n");
		free(p);
		p = xasprintf("%s/data.txt", i ? f->srcb : f->srca);
		put(p, "embedded\n");
		free(p);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	rm_rf(f->tmp);
	if (f->saved_goroot)
		setenv("GOROOT", f->saved_goroot, 1);
	else
		unsetenv("GOROOT");
	free(f->tmp);
	free(f->work1);
	free(f->obj1);
	free(f->work2);
	free(f->obj2);
	free(f->srca);
	free(f->srcb);
	free(f->saved_goroot);
	free(f);
	return 0;
}

/* The words of go's compile of package p (go 1.19), objdir obj, sources in src; extra flags first.
 */
static char *go_words(const char *obj, const char *trimpath, const char *extra, const char *files)
{
	return xasprintf(
	    "%s%s-o %s/_pkg_.a%s%s -p p -lang=go1.19 -complete -buildid abc/abc "
	    "-goversion go1.19.8 -c=2 -nolocalimports -importcfg %s/importcfg -pack %s",
	    extra, *extra ? " " : "", obj, trimpath ? " -trimpath " : "", trimpath ? trimpath : "",
	    obj, files);
}

/* ---- importcfg -------------------------------------------------------------- */

static void assert_importcfg(const char *text, const char *want)
{
	struct strbuf out = STRBUF_INIT;
	char *why = NULL;

	if (cache_key_importcfg(text, strlen(text), &out, fake_hash, &why))
		fail_msg("importcfg %s: %s", text, why);
	assert_string_equal(out.buf, want);
	strbuf_release(&out);
}

static void assert_importcfg_bad(const char *text, size_t len, const char *want)
{
	struct strbuf out = STRBUF_INIT;
	char *why = NULL;

	assert_int_equal(cache_key_importcfg(text, len, &out, fake_hash, &why), -1);
	assert_non_null(why);
	if (strcmp(why, want))
		fail_msg("importcfg: got \"%s\", want \"%s\"", why, want);
	free(why);
	strbuf_release(&out);
}

static void test_importcfg_good(void **state)
{
	char *fmt = fake_hex("/w/b002/_pkg_.a"), *io = fake_hex("/w/b003/_pkg_.a");
	char *rel = fake_hex("rel/x.a");
	char *want;
	(void)state;

	/* Comments and blank lines go; packagefile targets become their hashes; importmap stays. */
	want = xasprintf(
	    "packagefile fmt=sha256:%s\nimportmap old/io=io\npackagefile io=sha256:%s\n", fmt, io);
	assert_importcfg("# import config\n"
	                 "packagefile fmt=/w/b002/_pkg_.a\n"
	                 "\n"
	                 "   # indented comment\n"
	                 "  importmap old/io=io  \n"
	                 "packagefile io=/w/b003/_pkg_.a",
	                 want);
	/* CRLF and tabs around the words are spaces too; a second '=' belongs to the path. */
	assert_importcfg("packagefile fmt=/w/b002/_pkg_.a\r\n\t importmap old/io=io\r\n"
	                 "packagefile io=/w/b003/_pkg_.a\r\n",
	                 want);
	free(want);
	want = xasprintf("packagefile x=sha256:%s\n", rel);
	assert_importcfg("packagefile  x=rel/x.a\n", want);
	free(want);
	assert_importcfg("", "");
	assert_importcfg("\n\n# nothing\n", "");
	{
		struct strbuf out = STRBUF_INIT;
		char *why = NULL;
		assert_int_equal(cache_key_importcfg(NULL, 0, &out, fake_hash, &why), 0);
		assert_int_equal(out.len, 0);
		strbuf_release(&out);
	}
	free(fmt);
	free(io);
	free(rel);
}

static void test_importcfg_bad(void **state)
{
	(void)state;
	assert_importcfg_bad("# ok\nmodinfo \"x\"\n", 16,
	                     "importcfg: line 2: unknown directive \"modinfo\"");
	assert_importcfg_bad("packagefile\tfmt=/x.a", 20,
	                     "importcfg: line 1: unknown directive \"packagefile?fmt=/x.a\"");
	assert_importcfg_bad("packagefile fmt", 15, "importcfg: line 1: invalid packagefile");
	assert_importcfg_bad("packagefile =/x.a", 17, "importcfg: line 1: invalid packagefile");
	assert_importcfg_bad("packagefile fmt=", 16, "importcfg: line 1: invalid packagefile");
	assert_importcfg_bad("packagefile", 11, "importcfg: line 1: invalid packagefile");
	assert_importcfg_bad("\n\nimportmap a", 12, "importcfg: line 3: invalid importmap");
	assert_importcfg_bad("importmap a=", 12, "importcfg: line 1: invalid importmap");
	assert_importcfg_bad("packagefile fmt=/missing.a\n", 27,
	                     "unreadable input /missing.a: No such file or directory");
	assert_importcfg_bad("packagefile fmt=/x.a\0\n", 22, "importcfg: NUL byte");
	/* A Unicode space Go would trim is not guessed at. */
	assert_importcfg_bad("packagefile fmt=/x.a\xc2\xa0", 22,
	                     "importcfg: line 1: unexpected non-ASCII space");
	assert_importcfg_bad("\xc2\xa0packagefile fmt=/x.a", 22,
	                     "importcfg: line 1: unexpected non-ASCII space");
}

/* ---- embedcfg --------------------------------------------------------------- */

static void test_embedcfg_canonical(void **state)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	char *why = NULL, *want, *h1 = fake_hex("/src/p/data.txt"),
	     *h2 = fake_hex("/src/p/s/b.txt"), *h3 = fake_hex("/src/p/s/a.txt");
	const char *one = "{\n"
	                  "\t\"Patterns\": {\n"
	                  "\t\t\"data.txt\": [\"data.txt\"],\n"
	                  "\t\t\"s\": [\"s/b.txt\", \"s/a.txt\"]\n"
	                  "\t},\n"
	                  "\t\"Files\": {\n"
	                  "\t\t\"data.txt\": \"/src/p/data.txt\",\n"
	                  "\t\t\"s/a.txt\": \"/src/p/s/a.txt\",\n"
	                  "\t\t\"s/b.txt\": \"/src/p/s/b.txt\"\n"
	                  "\t}\n"
	                  "}\n";
	/* The same configuration with members in another order and no spaces. */
	const char *two =
	    "{\"Files\":{\"s/b.txt\":\"/src/p/s/b.txt\",\"data.txt\":\"/src/p/data.txt\","
	    "\"s/a.txt\":\"/src/p/s/a.txt\"},\"Patterns\":{\"s\":[\"s/b.txt\","
	    "\"s/a.txt\"],\"data.txt\":[\"data.txt\"]}}";
	(void)state;

	assert_int_equal(cache_key_embedcfg(one, strlen(one), &a, fake_hash, &why), 0);
	assert_int_equal(cache_key_embedcfg(two, strlen(two), &b, fake_hash, &why), 0);
	assert_null(why);
	assert_string_equal(a.buf, b.buf);
	/* Patterns sorted, each with its names in their order; Files sorted with their hashes. */
	want =
	    xasprintf("patterns 2\npattern data.txt\n\tdata.txt\npattern s\n\ts/b.txt\n\ts/a.txt\n"
	              "files 3\ndata.txt=sha256:%s\ns/a.txt=sha256:%s\ns/b.txt=sha256:%s\n",
	              h1, h3, h2);
	assert_string_equal(a.buf, want);
	free(want);

	/* The paths of the files do not matter, their hashes do. */
	strbuf_reset(&b);
	assert_int_equal(
	    cache_key_embedcfg("{\"Patterns\":{},\"Files\":{}}", 26, &b, fake_hash, &why), 0);
	assert_string_equal(b.buf, "patterns 0\nfiles 0\n");
	strbuf_release(&a);
	strbuf_release(&b);
	free(h1);
	free(h2);
	free(h3);
}

static void assert_embedcfg_bad(const char *text, const char *want)
{
	struct strbuf out = STRBUF_INIT;
	char *why = NULL;

	assert_int_equal(cache_key_embedcfg(text, strlen(text), &out, fake_hash, &why), -1);
	assert_non_null(why);
	assert_null(strchr(why, '\n'));
	if (strncmp(why, want, strlen(want)))
		fail_msg("embedcfg %s: got \"%s\", want \"%s...\"", text, why, want);
	free(why);
	strbuf_release(&out);
}

static void test_embedcfg_bad(void **state)
{
	(void)state;
	assert_embedcfg_bad("", "embedcfg: ");
	assert_embedcfg_bad("{\"Patterns\":{}", "embedcfg: ");
	assert_embedcfg_bad("{\"Patterns\":{},\"Files\":{}} x", "embedcfg: ");
	assert_embedcfg_bad("[]", "embedcfg: not a JSON object");
	assert_embedcfg_bad("{\"Patterns\":{}}", "embedcfg: Patterns and Files must be objects");
	assert_embedcfg_bad("{\"Patterns\":null,\"Files\":{}}",
	                    "embedcfg: Patterns and Files must be objects");
	/* Go's decoder would take "patterns" for Patterns and merge duplicates: refused here. */
	assert_embedcfg_bad("{\"patterns\":{},\"Files\":{}}", "embedcfg: unexpected member");
	assert_embedcfg_bad("{\"Patterns\":{},\"Files\":{},\"Files\":{}}", "embedcfg: ");
	assert_embedcfg_bad("{\"Patterns\":{\"a\":\"a\"},\"Files\":{}}",
	                    "embedcfg: pattern \"a\": not a list");
	assert_embedcfg_bad("{\"Patterns\":{\"a\":[1]},\"Files\":{}}",
	                    "embedcfg: pattern \"a\": bad name");
	assert_embedcfg_bad("{\"Patterns\":{\"a\":[\"a\\nb\"]},\"Files\":{}}",
	                    "embedcfg: pattern \"a\": bad name");
	assert_embedcfg_bad("{\"Patterns\":{\"a\\nb\":[]},\"Files\":{}}",
	                    "embedcfg: newline in a pattern");
	assert_embedcfg_bad("{\"Patterns\":{},\"Files\":{\"a\":1}}",
	                    "embedcfg: file \"a\": not a path");
	assert_embedcfg_bad("{\"Patterns\":{},\"Files\":{\"a\":\"\"}}",
	                    "embedcfg: file \"a\": not a path");
	assert_embedcfg_bad("{\"Patterns\":{},\"Files\":{\"a\\n\":\"/x\"}}",
	                    "embedcfg: newline in a file name");
	assert_embedcfg_bad("{\"Patterns\":{},\"Files\":{\"a\":\"/missing\"}}",
	                    "unreadable input /missing: No such file or directory");
	assert_embedcfg_bad("{\"Patterns\":{},\"Files\":{\"a\":\"x\\u0000y\"}}", "embedcfg: ");
	assert_embedcfg_bad("{\"Patterns\":{},\"Files\":{\"a\":\"\xff\"}}", "embedcfg: ");
	/* jansson's message quotes the input: still one line (found by fuzz_cache_key). */
	assert_embedcfg_bad("\"\\\n#", "embedcfg: ");
}

/* ---- the flag allow-list ---------------------------------------------------- */

#define BASE "-o /w/b001/_pkg_.a -p p -nolocalimports -importcfg /w/b001/importcfg"

static void test_flags_uncacheable(void **state)
{
	static const struct {
		const char *flag, *why;
	} cases[] = {
	    /* printing */
	    {"-S", "flag -S prints assembly"},
	    {"-S=2", "flag -S prints assembly"},
	    {"-m", "flag -m prints optimization decisions"},
	    {"--m=2", "flag -m prints optimization decisions"},
	    {"-v", "flag -v prints debugging output"},
	    {"-W", "flag -W prints debugging output"},
	    {"-E", "flag -E prints debugging output"},
	    {"-K", "flag -K prints debugging output"},
	    {"-j", "flag -j prints debugging output"},
	    {"-r", "flag -r prints debugging output"},
	    {"-w", "flag -w prints debugging output"},
	    {"-%", "flag -% prints debugging output"},
	    {"-live", "flag -live prints debugging output"},
	    {"-t", "flag -t traces the compiler"},
	    {"-h", "flag -h is a debugging setting"},
	    /* writing other files */
	    {"-json=0,file:///tmp/x", "flag -json writes optimizer details"},
	    {"-cpuprofile /tmp/x", "flag -cpuprofile writes a profile"},
	    {"-memprofile=/tmp/x", "flag -memprofile writes a profile"},
	    {"-blockprofile /tmp/x", "flag -blockprofile writes a profile"},
	    {"-mutexprofile /tmp/x", "flag -mutexprofile writes a profile"},
	    {"-traceprofile /tmp/x", "flag -traceprofile writes a trace"},
	    {"-bench /tmp/x", "flag -bench writes benchmark times"},
	    /* debugging, coverage, environment */
	    {"-d=checkptr", "flag -d is a debug setting"},
	    {"-d checkptr", "flag -d is a debug setting"},
	    {"-d=libfuzzer", "flag -d is a debug setting"},
	    {"-coveragecfg /tmp/cfg", "flag -coveragecfg is a coverage build"},
	    {"-env GOEXPERIMENT=x", "flag -env changes the compiler's environment"},
	    /* not understood */
	    {"-foo", "flag -foo not understood"},
	    {"-foo=1", "flag -foo not understood"},
	    {"--compiling-runtime", "flag -compiling-runtime not understood"},
	    {"-gensymabis", "flag -gensymabis not understood"},
	    {"---x", "flag ---x not understood"},
	    {"-=x", "flag -=x not understood"},
	    /* the -V=full probe */
	    {"-V=full", "version probe"},
	    {"-V", "version probe"},
	};
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *words = xasprintf("%s " BASE " /src/p/a.go", cases[i].flag);
		assert_uncacheable(words, cases[i].why);
		free(words);
	}
	/* What go always passes, and what makes sense of the rest. */
	assert_uncacheable("-p p -nolocalimports -importcfg /w/b001/importcfg /src/p/a.go",
	                   "no -o");
	assert_uncacheable("-o= -p p -nolocalimports -importcfg /w/cfg /src/p/a.go", "no -o");
	assert_uncacheable("-o /w/b001/_pkg_.a -p p -nolocalimports /src/p/a.go",
	                   "no -importcfg (imports would be searched for)");
	assert_uncacheable("-o /w/b001/_pkg_.a -p p -importcfg /w/b001/importcfg /src/p/a.go",
	                   "neither -nolocalimports nor -D (local imports would use the cwd)");
	assert_uncacheable("-o /w/b001/_pkg_.a -p p -nolocalimports=false -importcfg /w/cfg "
	                   "/src/p/a.go",
	                   "neither -nolocalimports nor -D (local imports would use the cwd)");
	assert_uncacheable("-o /w/b001/_pkg_.a -D= -importcfg /w/cfg /src/p/a.go",
	                   "neither -nolocalimports nor -D (local imports would use the cwd)");
	assert_uncacheable(BASE, "no source files");
	assert_uncacheable(BASE " a.go", "relative source file a.go");
	assert_uncacheable(BASE " -- -x.go", "relative source file -x.go");
	assert_uncacheable(BASE " -importcfg /w/other", "flag -importcfg given twice");
	assert_uncacheable(BASE " -o /w/b001/x.o /src/p/a.go", "flag -o given twice");
	assert_uncacheable(BASE " -trimpath a -trimpath b /src/p/a.go",
	                   "flag -trimpath given twice");
	assert_uncacheable(BASE " -embedcfg a -embedcfg=b /src/p/a.go",
	                   "flag -embedcfg given twice");
	assert_uncacheable(BASE " -p", "flag -p needs a value");
	assert_uncacheable("-f\no " BASE " /src/p/a.go", "flag -f?o not understood");
	/* A flag after the first file is a file (Go's flag package stops there). */
	assert_uncacheable(BASE " /src/p/a.go -S", "relative source file -S");
	/* Inputs that cannot be read. */
	assert_uncacheable(BASE " /src/p/missing.go",
	                   "unreadable input /w/b001/importcfg: No such file or directory");

	{
		struct cache_key k;
		char *why = NULL;
		assert_int_equal(key_of_tool("/usr/lib/go/pkg/tool/linux_amd64/asm",
		                             "-p p -o /w/b001/x.o /src/p/x.s", &k, &why),
		                 0);
		assert_string_equal(why, "tool asm is not cached");
		free(why);
		assert_int_equal(key_of_tool("gcc", "-### -x c -c -", &k, &why), 0);
		assert_string_equal(why, "tool gcc is not cached");
		free(why);
		setenv("GOSSAFUNC", "F", 1);
		assert_int_equal(key_of(BASE " /src/p/a.go", &k, &why), 0);
		assert_string_equal(why, "environment GOSSAFUNC writes ssa.html");
		free(why);
		unsetenv("GOSSAFUNC");
	}
}

static void test_flags_cacheable(void **state)
{
	struct fixture *f = *state;
	char base[65], other[65], *src = xasprintf("%s/a.go", f->srca), *w;
	char *trim = xasprintf("%s=>", f->obj1);
	struct cache_key k;
	char *why = NULL;

	w = go_words(f->obj1, trim, "", src);
	cacheable(w, base);
	assert_int_equal(key_of(w, &k, &why), 1);
	assert_int_equal(k.noutputs, 1);
	assert_string_equal(k.outputs[0].role, "o");
	assert_true(ends_with(k.outputs[0].path, "/b007/_pkg_.a"));
	/* importcfg + the dep it names + the source */
	assert_true(k.input_bytes > 40);
	cache_key_release(&k);
	free(w);

	/* -gcflags arrive as compile flags: cacheable, and in the key. */
	static const char *const changes[] = {
	    "-N -l",        "-l",           "-N",           "-B",
	    "-race",        "-msan",        "-asan",        "-shared",
	    "-dynlink",     "-dwarf=false", "-std",         "-+",
	    "-spectre=all", "-smallframes", "-errorurl",    "-installsuffix race",
	    "-linkshared",  "-wb=false",    "-clobberdead", "-gendwarfinl=0",
	    "-C",           "-e",           "-L",           "--N",
	};
	for (size_t i = 0; i < ARRAY_SIZE(changes); i++) {
		w = go_words(f->obj1, trim, changes[i], src);
		cacheable(w, other);
		if (!strcmp(other, base))
			fail_msg("%s: the key did not change", changes[i]);
		free(w);
	}
	/* -c (backend concurrency) is not in the key. */
	static const char *const same[] = {"-c=4", "-c 3", "-c=1"};
	for (size_t i = 0; i < ARRAY_SIZE(same); i++) {
		w = go_words(f->obj1, trim, same[i], src);
		cacheable(w, other);
		assert_string_equal(other, base);
		free(w);
	}
	free(src);
	free(trim);
}

static void test_outputs_and_inputs(void **state)
{
	struct fixture *f = *state;
	char *src = xasprintf("%s/a.go", f->srca), *w, *extra, *p;
	char *trim = xasprintf("%s=>", f->obj1);
	char k1[65], k2[65];
	struct cache_key k;
	char *why = NULL;

	/* -asmhdr, -linkobj: outputs in role order; -symabis, -embedcfg: inputs. */
	p = xasprintf("%s/embedcfg", f->obj1);
	{
		char *json = xasprintf("{\"Patterns\":{\"data.txt\":[\"data.txt\"]},"
		                       "\"Files\":{\"data.txt\":\"%s/data.txt\"}}",
		                       f->srca);
		put(p, json);
		free(json);
	}
	free(p);
	extra = xasprintf("-linkobj %s/_pkg_.x -symabis %s/symabis -asmhdr=%s/go_asm.h "
	                  "-embedcfg %s/embedcfg",
	                  f->obj1, f->obj1, f->obj1, f->obj1);
	w = go_words(f->obj1, trim, extra, src);
	assert_int_equal(key_of(w, &k, &why), 1);
	assert_int_equal(k.noutputs, 3);
	assert_string_equal(k.outputs[0].role, "o");
	assert_string_equal(k.outputs[1].role, "asmhdr");
	assert_string_equal(k.outputs[2].role, "linkobj");
	assert_true(ends_with(k.outputs[1].path, "/b007/go_asm.h"));
	assert_true(ends_with(k.outputs[2].path, "/b007/_pkg_.x"));
	assert_int_equal(k.dir_bound, 1); /* the source stays: no go build -trimpath */
	memcpy(k1, k.hex, 65);
	cache_key_release(&k);

	/* Every input's content is in the key: symabis, the embedded file, the source, a dep. */
	static const char *const inputs[] = {"/symabis", "/../../a/p/data.txt", "/../../a/p/a.go",
	                                     "/../b001/_pkg_.a"};
	for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
		p = xasprintf("%s%s", f->obj1, inputs[i]);
		put(p, "changed\n");
		cacheable(w, k2);
		if (!strcmp(k1, k2))
			fail_msg("%s: the key did not change", inputs[i]);
		memcpy(k1, k2, 65);
		free(p);
	}

	/* An input that cannot be read, or a bad importcfg, makes it uncacheable. */
	p = xasprintf("%s/symabis", f->obj1);
	unlink(p);
	assert_int_equal(key_of(w, &k, &why), 0);
	assert_true(starts_with(why, "unreadable input "));
	assert_non_null(strstr(why, "/b007/symabis: No such file or directory"));
	free(why);
	mkfifo(p, 0600);
	assert_int_equal(key_of(w, &k, &why), 0);
	assert_non_null(strstr(why, "not a regular file"));
	free(why);
	unlink(p);
	put(p, "x");
	free(p);
	p = xasprintf("%s/importcfg", f->obj1);
	put(p, "# c\nbogus\n");
	assert_int_equal(key_of(w, &k, &why), 0);
	assert_string_equal(why, "importcfg: line 2: unknown directive \"bogus\"");
	free(why);
	free(p);

	free(w);
	free(extra);
	free(src);
	free(trim);
}

/* ---- normalisation ---------------------------------------------------------- */

static void test_work_normalisation(void **state)
{
	struct fixture *f = *state;
	char k1[65], k2[65];
	char *t1 = xasprintf("%s=>", f->obj1), *t2 = xasprintf("%s=>", f->obj2);
	char *src1 = xasprintf("%s/a.go %s/_cgo_gotypes.go", f->srca, f->obj1);
	char *src2 = xasprintf("%s/a.go %s/_cgo_gotypes.go", f->srca, f->obj2);
	char *w1, *w2;

	/* Only go-build*NNN and bNNN differ, and -trimpath "$WORK/bNNN=>": the same key. */
	w1 = go_words(f->obj1, t1, "", src1);
	w2 = go_words(f->obj2, t2, "", src2);
	assert_int_equal(cacheable(w1, k1), 1);
	assert_int_equal(cacheable(w2, k2), 1);
	assert_string_equal(k1, k2);
	free(w1);
	free(w2);

	/* Without that rule the objdir's files are recorded as they are: different keys. */
	w1 = go_words(f->obj1, NULL, "", src1);
	w2 = go_words(f->obj2, NULL, "", src2);
	cacheable(w1, k1);
	cacheable(w2, k2);
	assert_string_not_equal(k1, k2);
	free(w1);
	free(w2);
	/* ... also when the rule names another directory. */
	w1 = go_words(f->obj1, "/elsewhere=>", "", src1);
	w2 = go_words(f->obj2, "/elsewhere=>", "", src2);
	cacheable(w1, k1);
	cacheable(w2, k2);
	assert_string_not_equal(k1, k2);
	free(w1);
	free(w2);

	/*
	 * A directory that is not go's $WORK/bNNN is not taken for $WORK: it
	 * stays in the key (and binds it) unless a -trimpath rule erases it.
	 */
	{
		char *o1 = xasprintf("%s/x007", f->work1), *o2 = xasprintf("%s/x042", f->work2);
		char *c1 = xasprintf("%s/importcfg", o1), *c2 = xasprintf("%s/importcfg", o2);
		char *src = xasprintf("%s/a.go", f->srca);
		char *x1 = xasprintf("%s=>", o1), *x2 = xasprintf("%s=>", o2);
		put(c1, "");
		put(c2, "");
		w1 = go_words(o1, NULL, "", src);
		w2 = go_words(o2, NULL, "", src);
		assert_int_equal(cacheable(w1, k1), 1);
		assert_int_equal(cacheable(w2, k2), 1);
		assert_string_not_equal(k1, k2);
		free(w1);
		free(w2);
		w1 = go_words(o1, x1, "", src);
		w2 = go_words(o2, x2, "", src);
		cacheable(w1, k1);
		cacheable(w2, k2);
		assert_string_equal(k1, k2);
		free(w1);
		free(w2);
		free(o1);
		free(o2);
		free(c1);
		free(c2);
		free(src);
		free(x1);
		free(x2);
	}
	free(t1);
	free(t2);
	free(src1);
	free(src2);
}

static void test_trimpath_normalisation(void **state)
{
	struct fixture *f = *state;
	char k1[65], k2[65];
	char *t1 = xasprintf("%s=>example.com/p;%s=>", f->srca, f->obj1);
	char *t2 = xasprintf("%s=>example.com/p;%s=>", f->srcb, f->obj2);
	char *s1 = xasprintf("%s/a.go", f->srca), *s2 = xasprintf("%s/a.go", f->srcb);
	char *w1, *w2;

	/* go build -trimpath in two checkouts: the same key, not bound to the directory. */
	w1 = go_words(f->obj1, t1, "", s1);
	w2 = go_words(f->obj2, t2, "", s2);
	assert_int_equal(cacheable(w1, k1), 0);
	assert_int_equal(cacheable(w2, k2), 0);
	assert_string_equal(k1, k2);
	free(w1);
	free(w2);
	/* The rewrite target is in the key. */
	free(t2);
	t2 = xasprintf("%s=>example.com/q;%s=>", f->srcb, f->obj2);
	w2 = go_words(f->obj2, t2, "", s2);
	assert_int_equal(cacheable(w2, k2), 0);
	assert_string_not_equal(k1, k2);
	free(w2);

	/* Without it, the sources' directory stays: different keys, dir_bound. */
	free(t1);
	free(t2);
	t1 = xasprintf("%s=>", f->obj1);
	t2 = xasprintf("%s=>", f->obj2);
	w1 = go_words(f->obj1, t1, "", s1);
	w2 = go_words(f->obj2, t2, "", s2);
	assert_int_equal(cacheable(w1, k1), 1);
	assert_int_equal(cacheable(w2, k2), 1);
	assert_string_not_equal(k1, k2);
	free(w1);
	free(w2);

	/* The first matching rule is the one compile uses: order matters. */
	free(t1);
	free(t2);
	t1 = xasprintf("%s=>x;%s/a.go=>y;%s=>", f->srca, f->srca, f->obj1);
	t2 = xasprintf("%s/a.go=>y;%s=>x;%s=>", f->srca, f->srca, f->obj1);
	w1 = go_words(f->obj1, t1, "", s1);
	w2 = go_words(f->obj1, t2, "", s1);
	assert_int_equal(cacheable(w1, k1), 0);
	assert_int_equal(cacheable(w2, k2), 0);
	assert_string_not_equal(k1, k2);
	free(w1);
	free(w2);

	/* A rule rewriting to a directory of this machine (go's overlays) binds the key. */
	free(t1);
	t1 = xasprintf("%s=>/home/u/p;%s=>", f->srca, f->obj1);
	w1 = go_words(f->obj1, t1, "", s1);
	assert_int_equal(cacheable(w1, k1), 1);
	free(w1);

	/* Sources under $GOROOT are recorded as $GOROOT/...: not bound (GOROOT is in the key). */
	{
		char *goroot = xasprintf("%s/a", f->tmp), *t = xasprintf("%s=>", f->obj1);
		setenv("GOROOT", goroot, 1);
		w1 = go_words(f->obj1, t, "", s1);
		assert_int_equal(cacheable(w1, k1), 0);
		setenv("GOROOT", f->tmp, 1);
		assert_int_equal(cacheable(w1, k2), 0);
		assert_string_not_equal(k1, k2);
		unsetenv("GOROOT");
		assert_int_equal(cacheable(w1, k2), 1);
		free(w1);
		free(t);
		free(goroot);
	}
	/* -D (GOPATH-mode local imports) names a directory: bound. */
	{
		char *t = xasprintf("%s=>example.com/p;%s=>", f->srca, f->obj1);
		char *d =
		    xasprintf("-o %s/_pkg_.a -trimpath %s -p p -D _%s -importcfg %s/importcfg %s",
		              f->obj1, t, f->srca, f->obj1, s1);
		assert_int_equal(cacheable(d, k1), 1);
		free(d);
		free(t);
	}
	free(t1);
	free(t2);
	free(s1);
	free(s2);
}

/*
 * cgo's generated sources in $WORK carry "//line <checkout>/p/a.go:1:1": with
 * go build -trimpath, two checkouts still get one key (compile records those
 * names through -trimpath); without it, or with any other difference in the
 * text, the keys differ.
 */
static void test_cgo_line_directives(void **state)
{
	struct fixture *f = *state;
	char k1[65], k2[65];
	char *g1 = xasprintf("%s/a.cgo1.go", f->obj1), *g2 = xasprintf("%s/a.cgo1.go", f->obj2);
	char *txt1 = xasprintf("// Code generated by cmd/cgo; DO NOT EDIT.\n\n//line %s/a.go:1:1\n"
	                       "package p\n\nvar s = \"%s\"\n",
	                       f->srca, "same");
	char *txt2 = xasprintf("// Code generated by cmd/cgo; DO NOT EDIT.\n\n//line %s/a.go:1:1\n"
	                       "package p\n\nvar s = \"%s\"\n",
	                       f->srcb, "same");
	put(g1, txt1);
	put(g2, txt2);
	char *t1 = xasprintf("%s=>example.com/p;%s=>", f->srca, f->obj1);
	char *t2 = xasprintf("%s=>example.com/p;%s=>", f->srcb, f->obj2);
	char *w1 = go_words(f->obj1, t1, "", g1), *w2 = go_words(f->obj2, t2, "", g2);
	assert_int_equal(cacheable(w1, k1), 0);
	assert_int_equal(cacheable(w2, k2), 0);
	assert_string_equal(k1, k2);
	free(w2);
	/* A string that names the checkout is not a //line directive: it stays. */
	free(txt2);
	txt2 = xasprintf("// Code generated by cmd/cgo; DO NOT EDIT.\n\n//line %s/a.go:1:1\n"
	                 "package p\n\nvar s = \"%s\"\n",
	                 f->srcb, f->srcb);
	put(g2, txt2);
	w2 = go_words(f->obj2, t2, "", g2);
	assert_int_equal(cacheable(w2, k2), 0);
	assert_string_not_equal(k1, k2);
	free(w1);
	free(w2);
	/* Without -trimpath for the sources the directive's directory stays in the key. */
	free(t1);
	free(t2);
	put(g2, txt1);
	free(txt2);
	txt2 = xasprintf("// Code generated by cmd/cgo; DO NOT EDIT.\n\n//line %s/a.go:1:1\n"
	                 "package p\n\nvar s = \"%s\"\n",
	                 f->srcb, "same");
	put(g2, txt2);
	t1 = xasprintf("%s=>", f->obj1);
	t2 = xasprintf("%s=>", f->obj2);
	w1 = go_words(f->obj1, t1, "", g1);
	w2 = go_words(f->obj2, t2, "", g2);
	cacheable(w1, k1);
	cacheable(w2, k2);
	assert_string_not_equal(k1, k2);
	free(w1);
	free(w2);
	free(t1);
	free(t2);
	free(txt1);
	free(txt2);
	free(g1);
	free(g2);
}

static void test_env(void **state)
{
	struct fixture *f = *state;
	char *t = xasprintf("%s=>", f->obj1), *s = xasprintf("%s/a.go", f->srca);
	char *w = go_words(f->obj1, t, "", s);
	char k0[65], k1[65], k2[65], k3[65];
	const char *saved = getenv("GOARCH");
	char *keep = saved ? xstrdup(saved) : NULL;

	unsetenv("GOARCH");
	cacheable(w, k0);
	setenv("GOARCH", "amd64", 1);
	cacheable(w, k1);
	setenv("GOARCH", "386", 1);
	cacheable(w, k2);
	assert_string_not_equal(k0, k1);
	assert_string_not_equal(k1, k2);
	unsetenv("GOARCH");
	/* GODEBUG is not in the list. */
	setenv("GODEBUG", "x=1", 1);
	cacheable(w, k3);
	assert_string_equal(k0, k3);
	unsetenv("GODEBUG");
	/* CGO_CFLAGS: only in the key of a compile with cgo's generated files. */
	setenv("CGO_CFLAGS", "-DVAL=7", 1);
	cacheable(w, k3);
	assert_string_equal(k0, k3);
	{
		char *g = xasprintf("%s/a.cgo1.go", f->obj1);
		put(g, "package p\n");
		char *wc = go_words(f->obj1, t, "", g);
		unsetenv("CGO_CFLAGS");
		cacheable(wc, k1);
		setenv("CGO_CFLAGS", "-DVAL=7", 1);
		cacheable(wc, k2);
		assert_string_not_equal(k1, k2);
		free(wc);
		free(g);
	}
	unsetenv("CGO_CFLAGS");
	if (keep)
		setenv("GOARCH", keep, 1);
	for (size_t i = 0; cache_key_env_names[i]; i++)
		assert_non_null(strchr("GC", cache_key_env_names[i][0]));
	free(keep);
	free(w);
	free(t);
	free(s);
}

/* ---- real go ---------------------------------------------------------------- */

struct rec {
	char *ip; /* TOOLEXEC_IMPORTPATH */
	int rc;
	char hex[65];
	int dir_bound;
	char *why;
};
typedef ARRAY(struct rec) rec_array;

static void recs_free(rec_array *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].ip);
		free(a->v[i].why);
	}
	ARRAY_FREE(*a);
}

static const struct rec *rec_find(const rec_array *a, const char *ip)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i].ip, ip))
			return &a->v[i];
	return NULL;
}

/* Splits buf[0..len) at NULs into a NULL-terminated array pointing into buf. */
static char **split_nul(struct strbuf *sb, size_t *n)
{
	ARRAY(char *) w = ARRAY_INIT;
	for (size_t off = 0; off < sb->len;) {
		char *s = sb->buf + off;
		ARRAY_PUSH(w, s);
		off += strlen(s) + 1;
	}
	ARRAY_PUSH(w, NULL);
	*n = w.n - 1;
	return w.v;
}

/* The names cache_key_compute reads from the environment. */
static const char *const env_read[] = {"GOSSAFUNC", "GOSSADIR", "GOSSAHASH", "GOCOMPILEDEBUG",
                                       "GOCLOBBERDEADHASH"};

/* Sets (or unsets) name as env (a recorded environment) has it. */
static void env_from(char **env, size_t n, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < n; i++)
		if (!strncmp(env[i], name, len) && env[i][len] == '=') {
			setenv(name, env[i] + len + 1, 1);
			return;
		}
	unsetenv(name);
}

/*
 * Computes the key of every compile recorded in dir (by the toolexec
 * script below): in its cwd, with its environment.
 */
static void keys_of_records(const char *dir, const char *version, rec_array *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char cwd[PATH_MAX];

	assert_non_null(d);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	while ((de = readdir(d))) {
		struct strbuf args = STRBUF_INIT, env = STRBUF_INIT;
		char *p, **w, **e;
		size_t nw, ne;
		struct tool_invocation ti;
		struct cache_key k;
		struct rec r = {0};

		if (!ends_with(de->d_name, ".args"))
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		assert_int_equal(strbuf_read_file(&args, p, 1 << 20), 0);
		strcpy(p + strlen(p) - 5, ".env");
		assert_int_equal(strbuf_read_file(&env, p, 1 << 20), 0);
		free(p);
		w = split_nul(&args, &nw); /* cwd, import path, tool, args... */
		e = split_nul(&env, &ne);
		assert_true(nw >= 3);
		/* classify wants argv as main() got it: argv[0] is the wrapper */
		w[1] = "golive";
		toolargs_classify(&ti, (int)(nw - 1), w + 1);
		if (ti.kind == TOOL_COMPILE && !ti.probe) {
			for (size_t i = 0; cache_key_env_names[i]; i++)
				env_from(e, ne, cache_key_env_names[i]);
			for (size_t i = 0; i < ARRAY_SIZE(env_read); i++)
				env_from(e, ne, env_read[i]);
			r.ip = xstrdup(args.buf + strlen(args.buf) + 1);
			assert_int_equal(chdir(w[0]), 0);
			r.rc = cache_key_compute(&ti, version, &k, &r.why);
			assert_int_equal(chdir(cwd), 0);
			if (r.rc == 1) {
				memcpy(r.hex, k.hex, 65);
				r.dir_bound = k.dir_bound;
				cache_key_release(&k);
			}
			ARRAY_PUSH(*out, r);
		}
		toolargs_release(&ti);
		free(w);
		free(e);
		strbuf_release(&args);
		strbuf_release(&env);
	}
	closedir(d);
}

static pid_t spawn_sh(const char *cmd)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void wait_ok(pid_t pid, const char *what, const char *log)
{
	int st = 0;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_read_file(&sb, log, 1 << 16);
		fail_msg("%s failed (status %d): %s", what, st, sb.buf);
	}
}

struct gobuild {
	const char *name;  /* records in tmp/rec-NAME, log in tmp/NAME.log */
	const char *dir;   /* where go runs */
	const char *cache; /* GOCACHE */
	const char *env;   /* extra VAR=value words */
	const char *args;  /* go build's arguments */
	pid_t pid;
};

static void gobuild_start(const char *tmp, struct gobuild *b)
{
	char *rec = xasprintf("%s/rec-%s", tmp, b->name);
	char *cmd;

	assert_int_equal(mkdir_p(rec, 0755), 0);
	cmd = xasprintf(
	    "cd '%s' && exec env -u TOOLEXEC_IMPORTPATH -u GOFLAGS -u GOOS -u GOARCH "
	    "HOME='%s/home' GOPATH='%s/gopath' GOCACHE='%s/%s' GOTMPDIR='%s/gotmp' "
	    "GOPROXY=off GOENV=off REC_DIR='%s' %s go build -work -toolexec='%s/rec.sh' "
	    "%s >'%s/%s.log' 2>&1",
	    b->dir, tmp, tmp, tmp, b->cache, tmp, rec, b->env, tmp, b->args, tmp, b->name);
	b->pid = spawn_sh(cmd);
	free(cmd);
	free(rec);
}

static void gobuild_wait(const char *tmp, struct gobuild *b)
{
	char *log = xasprintf("%s/%s.log", tmp, b->name);
	wait_ok(b->pid, b->name, log);
	free(log);
}

static void gobuild_keys(const char *tmp, const struct gobuild *b, const char *version,
                         rec_array *out)
{
	char *rec = xasprintf("%s/rec-%s", tmp, b->name);
	keys_of_records(rec, version, out);
	free(rec);
}

static void make_module(const char *dir)
{
	char *p;

	p = xasprintf("%s/go.mod", dir);
	put(p, "module example.com/m\n\ngo 1.19\n");
	free(p);
	p = xasprintf("%s/main.go", dir);
	put(p, "package main\n\nimport \"example.com/m/sub\"\n\nfunc main() { println(sub.Data) "
	       "}\n");
	free(p);
	p = xasprintf("%s/sub/sub.go", dir);
	put(p, "package sub\n\nimport _ \"embed\"\n\n//go:embed data.txt\nvar Data string\n");
	free(p);
	p = xasprintf("%s/sub/data.txt", dir);
	put(p, "hello\n");
	free(p);
}

/* Every record cacheable; returns how many there are. */
static size_t all_cacheable(const rec_array *a, const char *what, int bound)
{
	for (size_t i = 0; i < a->n; i++) {
		if (a->v[i].rc != 1)
			fail_msg("%s: %s not cacheable: %s", what, a->v[i].ip,
			         a->v[i].why ? a->v[i].why : "");
		if (bound >= 0 && a->v[i].dir_bound != bound)
			fail_msg("%s: %s: dir_bound %d", what, a->v[i].ip, a->v[i].dir_bound);
	}
	return a->n;
}

static void test_real_go(void **state)
{
	char tmpl[] = "/tmp/golive-test-cache-key-go-XXXXXX";
	char *tmp, *p, *m1, *m2, *version;
	FILE *vp;
	char line[512];
	const char *saved[32];
	size_t nsaved = 0;
	rec_array a = ARRAY_INIT, b = ARRAY_INIT, c = ARRAY_INIT, t1 = ARRAY_INIT, t2 = ARRAY_INIT,
	          n1 = ARRAY_INIT, n2 = ARRAY_INIT, t3 = ARRAY_INIT;
	(void)state;

	if (system("go version >/dev/null 2>&1") != 0) {
		print_message("go not found: skipped\n");
		skip();
	}
	/* The real -V=full answer of this go's compile. */
	vp = popen("\"$(go env GOTOOLDIR)/compile\" -V=full", "r");
	assert_non_null(vp);
	assert_non_null(fgets(line, sizeof(line), vp));
	pclose(vp);
	line[strcspn(line, "\n")] = '\0';
	version = xstrdup(line);
	assert_true(starts_with(version, "compile version "));

	for (size_t i = 0; cache_key_env_names[i]; i++) {
		const char *v = getenv(cache_key_env_names[i]);
		saved[nsaved++] = v ? xstrdup(v) : NULL;
	}

	assert_non_null(mkdtemp(tmpl));
	tmp = xstrdup(tmpl);
	/*
	 * One record per tool run, NUL-separated: cwd, import path, argv; and
	 * the variables cache_key_compute reads, when set. Shell builtins only:
	 * no process but the tool's.
	 */
	{
		struct strbuf sh = STRBUF_INIT;
		strbuf_addstr(
		    &sh,
		    "#!/bin/sh\n"
		    "set -C\n" /* a reused pid gets another name */
		    "f=\"$REC_DIR/$$\"\n"
		    "until printf '%s\\0' \"$PWD\" \"$TOOLEXEC_IMPORTPATH\" \"$@\" 2>/dev/null "
		    ">\"$f.args\"; do f=\"$f+\"; done\n"
		    "printf '%s\\0'");
		for (size_t i = 0; cache_key_env_names[i]; i++)
			strbuf_addf(&sh, " ${%s+\"%s=$%s\"}", cache_key_env_names[i],
			            cache_key_env_names[i], cache_key_env_names[i]);
		for (size_t i = 0; i < ARRAY_SIZE(env_read); i++)
			strbuf_addf(&sh, " ${%s+\"%s=$%s\"}", env_read[i], env_read[i],
			            env_read[i]);
		strbuf_addstr(&sh, " >|\"$f.env\"\nexec \"$@\"\n");
		p = xasprintf("%s/rec.sh", tmp);
		put(p, sh.buf);
		assert_int_equal(chmod(p, 0755), 0);
		free(p);
		strbuf_release(&sh);
	}
	m1 = xasprintf("%s/one/m", tmp);
	m2 = xasprintf("%s/two/m", tmp);
	make_module(m1);
	make_module(m2);
	p = xasprintf("%s/home", tmp);
	mkdir_p(p, 0755);
	free(p);
	p = xasprintf("%s/gotmp", tmp);
	mkdir_p(p, 0755);
	free(p);

	/* Phase 1: std twice, std for 386, and the std the -trimpath module builds need. */
	struct gobuild ba = {"a", tmp, "cache-a", "", "-a encoding/json", 0};
	struct gobuild bb = {"b", tmp, "cache-b", "", "-a encoding/json", 0};
	struct gobuild bc = {"c", tmp, "cache-c", "GOARCH=386", "-a encoding/json", 0};
	struct gobuild bt = {"t0", tmp, "cache-t", "", "-trimpath embed runtime", 0};
	gobuild_start(tmp, &ba);
	gobuild_start(tmp, &bb);
	gobuild_start(tmp, &bc);
	gobuild_start(tmp, &bt);
	gobuild_wait(tmp, &ba);
	gobuild_wait(tmp, &bb);
	gobuild_wait(tmp, &bc);
	gobuild_wait(tmp, &bt);

	/*
	 * Phase 2: the module in two directories, with -trimpath (each with its
	 * own copy of the warm cache, so that go's cache does not hit the
	 * other's compiles) and without (on build a's cache).
	 */
	p = xasprintf("cp -r '%s/cache-t' '%s/cache-t2'", tmp, tmp);
	assert_int_equal(system(p), 0);
	free(p);
	struct gobuild bt1 = {"t1", m1, "cache-t", "", "-trimpath -o /dev/null .", 0};
	struct gobuild bt2 = {"t2", m2, "cache-t2", "", "-trimpath -o /dev/null .", 0};
	struct gobuild bn1 = {"n1", m1, "cache-a", "", "-o /dev/null .", 0};
	struct gobuild bn2 = {"n2", m2, "cache-a", "", "-o /dev/null .", 0};
	gobuild_start(tmp, &bt1);
	gobuild_start(tmp, &bt2);
	gobuild_start(tmp, &bn1);
	gobuild_start(tmp, &bn2);
	gobuild_wait(tmp, &bt1);
	gobuild_wait(tmp, &bt2);
	gobuild_wait(tmp, &bn1);
	gobuild_wait(tmp, &bn2);

	gobuild_keys(tmp, &ba, version, &a);
	gobuild_keys(tmp, &bb, version, &b);
	gobuild_keys(tmp, &bc, version, &c);
	gobuild_keys(tmp, &bt1, version, &t1);
	gobuild_keys(tmp, &bt2, version, &t2);
	gobuild_keys(tmp, &bn1, version, &n1);
	gobuild_keys(tmp, &bn2, version, &n2);

	/* Phase 3: the embedded file changes. */
	p = xasprintf("%s/sub/data.txt", m1);
	put(p, "hello, changed\n");
	free(p);
	struct gobuild bt3 = {"t3", m1, "cache-t", "", "-trimpath -o /dev/null .", 0};
	gobuild_start(tmp, &bt3);
	gobuild_wait(tmp, &bt3);
	gobuild_keys(tmp, &bt3, version, &t3);

	/* std: every compile cacheable, none bound to a directory, the same keys in both $WORKs. */
	assert_true(all_cacheable(&a, "std", 0) > 20);
	assert_int_equal(all_cacheable(&b, "std again", 0), a.n);
	for (size_t i = 0; i < a.n; i++) {
		const struct rec *o = rec_find(&b, a.v[i].ip);
		if (!o)
			fail_msg("%s: not compiled in the second build", a.v[i].ip);
		if (strcmp(o->hex, a.v[i].hex))
			fail_msg("%s: keys differ between two $WORKs", a.v[i].ip);
	}
	/* GOARCH=386: different keys. */
	{
		size_t common = 0;
		all_cacheable(&c, "std 386", 0);
		for (size_t i = 0; i < c.n; i++) {
			const struct rec *o = rec_find(&a, c.v[i].ip);
			if (!o)
				continue;
			common++;
			if (!strcmp(o->hex, c.v[i].hex))
				fail_msg("%s: the same key for amd64 and 386", c.v[i].ip);
		}
		assert_true(common > 20);
	}

	/* The module with -trimpath: the same keys in both directories, not bound. */
	all_cacheable(&t1, "trimpath one", 0);
	all_cacheable(&t2, "trimpath two", 0);
	{
		static const char *const mine[] = {"example.com/m/sub", "example.com/m"};
		for (size_t i = 0; i < ARRAY_SIZE(mine); i++) {
			const struct rec *x = rec_find(&t1, mine[i]), *y = rec_find(&t2, mine[i]);
			const struct rec *u = rec_find(&n1, mine[i]), *v = rec_find(&n2, mine[i]);
			const struct rec *z = rec_find(&t3, mine[i]);
			assert_non_null(x);
			assert_non_null(y);
			assert_string_equal(x->hex, y->hex);
			/* Without -trimpath: different keys, bound to the directory. */
			assert_non_null(u);
			assert_non_null(v);
			assert_int_equal(u->rc, 1);
			assert_int_equal(v->rc, 1);
			assert_int_equal(u->dir_bound, 1);
			assert_int_equal(v->dir_bound, 1);
			assert_string_not_equal(u->hex, v->hex);
			assert_string_not_equal(u->hex, x->hex);
			/* The embedded file changed: new keys. */
			assert_non_null(z);
			assert_int_equal(z->rc, 1);
			assert_string_not_equal(z->hex, x->hex);
		}
	}
	all_cacheable(&n1, "no trimpath one", -1);
	all_cacheable(&n2, "no trimpath two", -1);

	for (size_t i = 0; cache_key_env_names[i]; i++) {
		if (saved[i])
			setenv(cache_key_env_names[i], saved[i], 1);
		else
			unsetenv(cache_key_env_names[i]);
		free((char *)saved[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(env_read); i++)
		unsetenv(env_read[i]);
	recs_free(&a);
	recs_free(&b);
	recs_free(&c);
	recs_free(&t1);
	recs_free(&t2);
	recs_free(&t3);
	recs_free(&n1);
	recs_free(&n2);
	rm_rf(tmp); /* $WORK directories included: GOTMPDIR is in there */
	free(tmp);
	free(m1);
	free(m2);
	free(version);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_importcfg_good),
	    cmocka_unit_test(test_importcfg_bad),
	    cmocka_unit_test(test_embedcfg_canonical),
	    cmocka_unit_test(test_embedcfg_bad),
	    cmocka_unit_test(test_flags_uncacheable),
	    T(test_flags_cacheable),
	    T(test_outputs_and_inputs),
	    T(test_work_normalisation),
	    T(test_trimpath_normalisation),
	    T(test_cgo_line_directives),
	    T(test_env),
	    cmocka_unit_test(test_real_go),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
