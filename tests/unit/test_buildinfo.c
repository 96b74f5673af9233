/*
 * test_buildinfo.c - src/verify/buildinfo.c: buildinfo_format_m against `go version
 * -m` byte for byte on binaries built here with go (plain with a replaced
 * dependency, -trimpath, -ldflags=-s -w, -tags dev, CGO_ENABLED=0, GOPATH
 * mode, -ldflags needing Go's quoting of unusual runes) and on the go tool;
 * the pointer-based format (older go) on synthetic ELF files in both byte
 * orders and pointer sizes; the module info parser on Go's accepted and
 * refused forms; and hostile blobs, each -1 with a one-line cause.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "verify/binfile.h"
#include "verify/buildinfo.h"
#include "synth_elf.h"

static char tmpdir[256];

static char *tpath(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

/* Runs a shell command; its exit status. */
static PRINTF_LIKE(1, 2) int run(const char *fmt, ...)
{
	struct strbuf cmd = STRBUF_INIT;
	va_list ap;
	int rc;
	va_start(ap, fmt);
	strbuf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	rc = system(cmd.buf);
	strbuf_release(&cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The exact output of a shell command. */
static char *capture(const char *cmd)
{
	struct strbuf sb = STRBUF_INIT;
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_true(strbuf_read_fd(&sb, fileno(p), 64 << 20, NULL) >= 0);
	pclose(p);
	return strbuf_detach(&sb, NULL);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	chmod(path, 0700);
	return remove(path);
}

/* A module using go-cmp, replaced by Debian's copy of its source. */
static const char go_mod[] =
    "module example.com/hello\n"
    "\n"
    "go 1.19\n"
    "\n"
    "require github.com/google/go-cmp v0.5.9\n"
    "\n"
    "replace github.com/google/go-cmp => /usr/share/gocode/src/github.com/google/go-cmp\n";
static const char main_go[] = "package main\n"
                              "\n"
                              "import (\n"
                              "\t\"fmt\"\n"
                              "\n"
                              "\t\"github.com/google/go-cmp/cmp\"\n"
                              ")\n"
                              "\n"
                              "var v string\n"
                              "\n"
                              "func main() { fmt.Println(cmp.Diff(1, 2), v) }\n";
static const char gopath_go[] = "package main\n\nfunc main() { println(\"hi\") }\n";

/*
 * An -ldflags value that go quotes, with runes Go prints as they are (é,
 * 😀, U+FFFD) and ones it escapes: U+200B, NBSP, unassigned U+0378,
 * private-use U+E000, U+10FFFF, controls, DEL, bytes that are not UTF-8,
 * U+2028, U+0085.
 */
static const char odd_ldflags[] = "-X 'main.v=\xc3\xa9 \xe2\x80\x8b\xc2\xa0\xcd\xb8\xee\x80\x80"
                                  "\xf4\x8f\xbf\xbf\x01\x7f\xff\xc0\x80 \\x\xf0\x9f\x98\x80"
                                  "\xe2\x80\xa8\xef\xbf\xbd\xc2\x85\"`'";

/* The binaries: name, then the shell command that builds it in m/ (or gopath/src/hello). */
static const char *const builds[][2] = {
    {"plain", "go build -o ../plain ."},
    {"trimpath", "go build -trimpath -o ../trimpath ."},
    {"sw", "go build -ldflags='-s -w' -o ../sw ."},
    {"dev", "go build -tags dev -o ../dev ."},
    {"nocgo", "CGO_ENABLED=0 go build -gcflags='all=-N -l' -o ../nocgo ."},
    {"odd", "go build -ldflags=\"$(cat ../odd_ldflags)\" -o ../odd ."},
    {"gopath", "GO111MODULE=off GOFLAGS= GOPATH=\"$PWD/../..\" go build -o ../../../gopathbin ."},
};

static int setup(void **state)
{
	(void)state;
	const char *src = getenv("GOLIVE_SRC");
	FILE *f;
	if (src && *src && chdir(src) != 0)
		return -1;
	snprintf(tmpdir, sizeof(tmpdir), "%s/golive-buildinfo-XXXXXX",
	         getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	char *d = tpath("gocache"), *g = tpath("gopath");
	setenv("GOCACHE", d, 1);
	setenv("GOPATH", g, 1);
	free(d);
	free(g);
	setenv("GOFLAGS", "-mod=mod", 1);
	setenv("GOPROXY", "off", 1);
	setenv("GOTOOLCHAIN", "local", 1);
	setenv("GO111MODULE", "on", 1);
	unsetenv("GOOS");
	unsetenv("GOARCH");
	unsetenv("CGO_ENABLED");
	if (run("mkdir -p '%s/m' '%s/gopath/src/hello'", tmpdir, tmpdir))
		return -1;
	const char *files[][2] = {{"m/go.mod", go_mod},
	                          {"m/main.go", main_go},
	                          {"gopath/src/hello/main.go", gopath_go},
	                          {"odd_ldflags", odd_ldflags}};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *p = tpath(files[i][0]);
		f = fopen(p, "w");
		free(p);
		if (!f)
			return -1;
		fputs(files[i][1], f);
		fclose(f);
	}
	for (size_t i = 0; i < ARRAY_SIZE(builds); i++)
		if (run("cd '%s/%s' && %s", tmpdir,
		        i + 1 < ARRAY_SIZE(builds) ? "m" : "gopath/src/hello", builds[i][1]))
			return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* Reads path's build info (which must be there). */
static void read_bi(const char *path, struct binfile *b, struct buildinfo *bi)
{
	char *cause = NULL;
	assert_int_equal(binfile_open(b, path, &cause), 0);
	int rc = buildinfo_read(b, bi, &cause);
	if (rc != 1)
		fail_msg("%s: %d %s", path, rc, cause ? cause : "");
}

/* buildinfo_format_m(path) is exactly `go version -m path`. */
static void check_like_go(const char *path)
{
	struct binfile b;
	struct buildinfo bi;
	struct strbuf ours = STRBUF_INIT;
	char *cmd = xasprintf("go version -m '%s'", path), *go = capture(cmd);

	read_bi(path, &b, &bi);
	buildinfo_format_m(&bi, path, &ours);
	assert_string_equal(ours.buf, go);
	strbuf_release(&ours);
	buildinfo_release(&bi);
	binfile_release(&b);
	free(cmd);
	free(go);
}

static void test_like_go_version_m(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(builds); i++) {
		char *p = tpath(i + 1 < ARRAY_SIZE(builds) ? builds[i][0] : "gopathbin");
		check_like_go(p);
		free(p);
	}
	char *go = capture("command -v go | xargs readlink -f | tr -d '\\n'");
	check_like_go(go);
	free(go);
}

static void test_fields(void **state)
{
	(void)state;
	struct binfile b;
	struct buildinfo bi;
	char *p = tpath("plain"), *version = capture("go env GOVERSION | tr -d '\\n'");

	read_bi(p, &b, &bi);
	assert_string_equal(bi.go_version, version);
	assert_true(bi.inline_format);
	assert_string_equal(bi.path, "example.com/hello");
	assert_string_equal(bi.main.path, "example.com/hello");
	assert_string_equal(bi.main.version, "(devel)");
	assert_string_equal(bi.main.sum, "");
	assert_null(bi.main.replace);
	assert_int_equal(bi.deps.n, 1);
	assert_string_equal(bi.deps.v[0].path, "github.com/google/go-cmp");
	assert_string_equal(bi.deps.v[0].version, "v0.5.9");
	assert_non_null(bi.deps.v[0].replace);
	assert_string_equal(bi.deps.v[0].replace->path,
	                    "/usr/share/gocode/src/github.com/google/go-cmp");
	assert_string_equal(bi.deps.v[0].replace->version, "(devel)");
	assert_string_equal(buildinfo_setting(&bi, "-compiler"), "gc");
	assert_string_equal(buildinfo_setting(&bi, "CGO_ENABLED"), "1");
	assert_string_equal(buildinfo_setting(&bi, "GOOS"), "linux");
	assert_null(buildinfo_setting(&bi, "-trimpath"));
	assert_null(buildinfo_setting(&bi, "nope"));
	buildinfo_release(&bi);
	binfile_release(&b);
	free(p);

	p = tpath("trimpath");
	read_bi(p, &b, &bi);
	assert_string_equal(buildinfo_setting(&bi, "-trimpath"), "true");
	buildinfo_release(&bi);
	binfile_release(&b);
	free(p);

	/* no symbol table, build info still there */
	p = tpath("sw");
	read_bi(p, &b, &bi);
	assert_false(b.has_symtab);
	assert_false(b.has_dwarf);
	assert_string_equal(buildinfo_setting(&bi, "-ldflags"), "-s -w");
	buildinfo_release(&bi);
	binfile_release(&b);
	free(p);

	p = tpath("dev");
	read_bi(p, &b, &bi);
	assert_string_equal(buildinfo_setting(&bi, "-tags"), "dev");
	buildinfo_release(&bi);
	binfile_release(&b);
	free(p);

	p = tpath("nocgo");
	read_bi(p, &b, &bi);
	assert_string_equal(buildinfo_setting(&bi, "CGO_ENABLED"), "0");
	assert_string_equal(buildinfo_setting(&bi, "-gcflags"), "all=-N -l");
	buildinfo_release(&bi);
	binfile_release(&b);
	free(p);

	p = tpath("odd");
	read_bi(p, &b, &bi);
	assert_string_equal(buildinfo_setting(&bi, "-ldflags"), odd_ldflags);
	buildinfo_release(&bi);
	binfile_release(&b);
	free(p);

	/* GOPATH mode: a path, no module */
	p = tpath("gopathbin");
	read_bi(p, &b, &bi);
	assert_string_equal(bi.path, "hello");
	assert_null(bi.main.path);
	assert_int_equal(bi.deps.n, 0);
	buildinfo_release(&bi);
	binfile_release(&b);
	free(p);
	free(version);
}

static void test_not_go(void **state)
{
	(void)state;
	struct binfile b;
	struct buildinfo bi;
	char *cause = NULL;

	assert_int_equal(binfile_open(&b, "/bin/true", &cause), 0);
	assert_int_equal(buildinfo_read(&b, &bi, &cause), 0);
	assert_null(cause);
	assert_null(bi.go_version);
	binfile_release(&b);
}

/* ---- synthetic blobs -------------------------------------------------------------------- */

static const char start_sentinel[] =
    "\x30\x77\xaf\x0c\x92\x74\x08\x02\x41\xe1\xc1\x07\xe6\xd6\x18\xe6";
static const char end_sentinel[] =
    "\xf9\x32\x43\x31\x86\x18\x20\x72\x00\x82\x42\x10\x41\x16\xd8\xf2";

static const char modinfo[] = "path\texample.com/old\n"
                              "mod\texample.com/old\tv1.2.3\th1:abc=\n"
                              "dep\tgolang.org/x/text\tv0.3.0\th1:def=\n"
                              "build\t-ldflags=\"-s -w\"\n";
static const char modinfo_m[] = "old: go1.16.15\n"
                                "\tpath\texample.com/old\n"
                                "\tmod\texample.com/old\tv1.2.3\th1:abc=\n"
                                "\tdep\tgolang.org/x/text\tv0.3.0\th1:def=\n"
                                "\tbuild\t-ldflags=\"-s -w\"\n";

/* The module info as the binary holds it: between the sentinels. */
static void framed(struct strbuf *sb, const char *text)
{
	strbuf_add(sb, start_sentinel, 16);
	strbuf_addstr(sb, text);
	strbuf_add(sb, end_sentinel, 16);
}

/* What a pointer-based blob looks like, and what to break in it. */
struct ptr_blob {
	int is64, be;
	const char *section; /* holding everything, at 0x10000 */
	uint64_t flags;      /* of that section: 3 writable data, 2 read-only */
	size_t lead;         /* bytes before the blob in the section (a multiple of 16) */
	unsigned ptrsize;    /* 0: from is64 */
	uint64_t vers_hdr;   /* nonzero: the version's string header pointer */
	uint64_t mod_data;   /* nonzero: the module info's data pointer */
	uint64_t mod_len;    /* nonzero: the module info's length */
};

#define BASE 0x10000

static void synth_pointer_based(struct strbuf *out, const struct ptr_blob *pb, const char *version,
                                const char *text)
{
	struct strbuf sec = STRBUF_INIT, mod = STRBUF_INIT;
	unsigned ps = pb->is64 ? 8 : 4, w = pb->ptrsize ? pb->ptrsize : ps;
	uint64_t a = BASE + pb->lead, vlen = strlen(version);

	framed(&mod, text);
	for (size_t i = 0; i < pb->lead; i++)
		strbuf_addch(&sec, 0);
	if (pb->lead >= 32) /* a decoy: the magic, not aligned */
		memcpy(sec.buf + 1, "\xff Go buildinf:", 14);
	strbuf_add(&sec, "\xff Go buildinf:", 14);
	strbuf_addch(&sec, (int)w);
	strbuf_addch(&sec, pb->be);
	synth_add(&sec, pb->vers_hdr ? pb->vers_hdr : a + 32, ps, pb->be);
	synth_add(&sec, a + 32 + 2 * ps, ps, pb->be);
	synth_pad(&sec, 16);
	/* at a + 32: the two string headers, then the strings at a + 64 */
	synth_add(&sec, a + 64, ps, pb->be);
	synth_add(&sec, vlen, ps, pb->be);
	synth_add(&sec, pb->mod_data ? pb->mod_data : a + 64 + vlen, ps, pb->be);
	synth_add(&sec, pb->mod_len ? pb->mod_len : mod.len, ps, pb->be);
	while (sec.len < pb->lead + 64)
		strbuf_addch(&sec, 0);
	strbuf_addstr(&sec, version);
	strbuf_add(&sec, mod.buf, mod.len);

	const struct synth_section secs[] = {
	    {".text", 1, 6, 0x1000, "\xc3", 1, 0, 0},
	    {pb->section, 1, pb->flags, BASE, sec.buf, sec.len, 0, 0},
	};
	synth_elf(out, pb->is64, pb->be, pb->is64 ? 62 : 8, secs, ARRAY_SIZE(secs));
	strbuf_release(&sec);
	strbuf_release(&mod);
}

/* Reads the build info of the file in f: the return value, and *cause. */
static int read_synth(const struct strbuf *f, struct buildinfo *bi, char **cause)
{
	struct binfile b;
	char *c = NULL;
	*cause = NULL;
	assert_int_equal(binfile_parse(&b, f->buf, f->len, "synth", &c), 0);
	int rc = buildinfo_read(&b, bi, cause);
	binfile_release(&b);
	if (rc < 0) {
		assert_non_null(*cause);
		assert_null(strchr(*cause, '\n'));
		assert_true(starts_with(*cause, "synth: Go build info"));
	}
	return rc;
}

static void test_pointer_based(void **state)
{
	(void)state;
	const struct ptr_blob cases[] = {
	    {1, 0, ".go.buildinfo", 3, 0, 0, 0, 0, 0}, {1, 1, ".go.buildinfo", 3, 0, 0, 0, 0, 0},
	    {0, 1, ".go.buildinfo", 3, 0, 0, 0, 0, 0}, {0, 0, ".data", 3, 0, 0, 0, 0, 0},
	    {1, 1, ".data", 3, 64, 0, 0, 0, 0},   /* after a decoy, in the writable data */
	    {1, 0, ".rodata", 2, 32, 0, 0, 0, 0}, /* found by the search of the whole file */
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct strbuf f = STRBUF_INIT, m = STRBUF_INIT;
		struct buildinfo bi;
		char *cause;

		synth_pointer_based(&f, &cases[i], "go1.16.15", modinfo);
		assert_int_equal(read_synth(&f, &bi, &cause), 1);
		assert_false(bi.inline_format);
		assert_string_equal(bi.go_version, "go1.16.15");
		assert_string_equal(bi.main.version, "v1.2.3");
		assert_string_equal(bi.deps.v[0].sum, "h1:def=");
		buildinfo_format_m(&bi, "old", &m);
		assert_string_equal(m.buf, modinfo_m);
		buildinfo_release(&bi);
		strbuf_release(&m);
		strbuf_release(&f);
	}
}

static void test_pointer_based_hostile(void **state)
{
	(void)state;
	const struct {
		struct ptr_blob pb;
		const char *want;
	} cases[] = {
	    {{1, 0, ".go.buildinfo", 3, 0, 0, 0x7777000, 0, 0},
	     "Go version string header at 0x7777000 is outside every section"},
	    {{1, 0, ".go.buildinfo", 3, 0, 0, UINT64_MAX - 3, 0, 0}, "outside every section"},
	    {{1, 1, ".go.buildinfo", 3, 0, 0, 0, 0x5000, 0},
	     "module info (32 bytes at 0x5000) is outside every section"},
	    {{0, 0, ".go.buildinfo", 3, 0, 0, 0, 0, 0xffffffff},
	     "length 4294967295 over the limit"},
	    {{1, 0, ".go.buildinfo", 3, 0, 0, 0, 0, 0x1000}, "outside every section"},
	    {{1, 0, ".go.buildinfo", 3, 0, 3, 0, 0, 0}, "pointer size 3, expected 4 or 8"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct strbuf f = STRBUF_INIT;
		struct buildinfo bi;
		char *cause;

		synth_pointer_based(&f, &cases[i].pb, "go1.16.15", "");
		assert_int_equal(read_synth(&f, &bi, &cause), -1);
		if (!strstr(cause, cases[i].want))
			fail_msg("case %zu: %s", i, cause);
		free(cause);
		strbuf_release(&f);
	}
	/* an empty version */
	struct strbuf f = STRBUF_INIT;
	struct buildinfo bi;
	char *cause;
	const struct ptr_blob pb = {1, 0, ".go.buildinfo", 3, 0, 0, 0, 0, 0};
	synth_pointer_based(&f, &pb, "", "");
	assert_int_equal(read_synth(&f, &bi, &cause), -1);
	assert_non_null(strstr(cause, "empty Go version"));
	free(cause);
	strbuf_release(&f);
}

static void add_uvarint(struct strbuf *sb, uint64_t v)
{
	for (; v >= 0x80; v >>= 7)
		strbuf_addch(sb, (int)(v & 0x7f) | 0x80);
	strbuf_addch(sb, (int)v);
}

/* A .go.buildinfo holding the inline header and then body. */
static void synth_inline(struct strbuf *out, const void *body, size_t n)
{
	struct strbuf sec = STRBUF_INIT;
	strbuf_add(&sec, "\xff Go buildinf:\x08\x02", 16);
	for (int i = 0; i < 16; i++)
		strbuf_addch(&sec, 0);
	strbuf_add(&sec, body, n);
	const struct synth_section secs[] = {{".go.buildinfo", 1, 3, BASE, sec.buf, sec.len, 0, 0}};
	synth_elf(out, 1, 0, 62, secs, 1);
	strbuf_release(&sec);
}

static void test_inline(void **state)
{
	(void)state;
	struct strbuf body = STRBUF_INIT, mod = STRBUF_INIT, f = STRBUF_INIT, m = STRBUF_INIT;
	struct buildinfo bi;
	char *cause;

	/* the strings exactly fill the section */
	framed(&mod, modinfo);
	strbuf_add(&body, "\x09go1.16.15", 10);
	add_uvarint(&body, mod.len);
	strbuf_add(&body, mod.buf, mod.len);
	synth_inline(&f, body.buf, body.len);
	assert_int_equal(read_synth(&f, &bi, &cause), 1);
	assert_true(bi.inline_format);
	buildinfo_format_m(&bi, "old", &m);
	assert_string_equal(m.buf, modinfo_m);
	buildinfo_release(&bi);

	/* module info without the sentinels: none, as go */
	strbuf_reset(&f);
	strbuf_reset(&m);
	synth_inline(&f, "\x09go1.16.15\x07path\tx\n", 18);
	assert_int_equal(read_synth(&f, &bi, &cause), 1);
	assert_null(bi.path);
	buildinfo_format_m(&bi, "old", &m);
	assert_string_equal(m.buf, "old: go1.16.15\n");
	buildinfo_release(&bi);

	const struct {
		const char *body;
		size_t n;
		const char *want;
	} bad[] = {
	    {"\x80\x80\x80", 3, "Go version length runs past the end of the data"},
	    {"\x09go1", 4, "Go version of 9 bytes runs past the end of the data (3 bytes left)"},
	    {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11, "overflows"},
	    {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10, "overflows"},
	    {"\x80\x80\x80\x01", 4, "Go version length 2097152 over the limit of 1048576"},
	    {"\x03go1\x90", 5, "module info length runs past the end"},
	    {"\x00\x00", 2, "empty Go version"},
	    {"\x03g\x001\x00", 5, "a NUL or newline in the Go version"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		strbuf_reset(&f);
		synth_inline(&f, bad[i].body, bad[i].n);
		assert_int_equal(read_synth(&f, &bi, &cause), -1);
		if (!strstr(cause, bad[i].want))
			fail_msg("case %zu: %s", i, cause);
		free(cause);
	}
	/* a malformed module info: the line named */
	strbuf_reset(&f);
	strbuf_reset(&mod);
	strbuf_reset(&body);
	framed(&mod, "path\tx\nmod\tbroken\n");
	strbuf_add(&body, "\x03go1", 4);
	add_uvarint(&body, mod.len);
	strbuf_add(&body, mod.buf, mod.len);
	synth_inline(&f, body.buf, body.len);
	assert_int_equal(read_synth(&f, &bi, &cause), -1);
	assert_non_null(strstr(cause, "module info line 2: expected 2 or 3 columns; got 1"));
	free(cause);
	/* a section too short for the header */
	strbuf_reset(&f);
	const struct synth_section secs[] = {
	    {".go.buildinfo", 1, 3, BASE, "\xff Go buildinf:\x08\x02", 16, 0, 0}};
	synth_elf(&f, 1, 0, 62, secs, 1);
	assert_int_equal(read_synth(&f, &bi, &cause), -1);
	assert_non_null(strstr(cause, "shorter than the 32-byte header"));
	free(cause);

	strbuf_release(&body);
	strbuf_release(&mod);
	strbuf_release(&f);
	strbuf_release(&m);
}

/* ---- the module info text ---------------------------------------------------------------- */

static void test_parse_modinfo(void **state)
{
	(void)state;
	const struct {
		const char *text, *want; /* want: the format_m output, or the cause */
	} cases[] = {
	    /* accepted */
	    {"", "f: \n"},
	    {"path\tp\n", "f: \n\tpath\tp\n"},
	    {"path\tp", "f: \n"}, /* an unterminated last line is ignored */
	    {"go\tgo1.2\nunknown line\n\npath\tp\n", "f: \n\tpath\tp\n"},
	    {"mod\tm\tv1\n", "f: \n\tmod\tm\tv1\t\n"},
	    {"mod\t\t\n", "f: \n"}, /* an empty module is not printed */
	    {"mod\tm\tv1\tsum\n=>\tr\tv2\trsum\n", "f: \n\tmod\tm\tv1\n\t=>\tr\tv2\trsum\n\t\n"},
	    {"dep\ta\tv1\ts\nbuild\tk=v\n=>\tb\tv2\ts2\n",
	     "f: \n\tdep\ta\tv1\n\t=>\tb\tv2\ts2\n\t\n\tbuild\tk=v\n"},
	    {"build\tk=\n", "f: \n\tbuild\tk=\n"},
	    {"build\t\"a=b\"=\"x\\ty\\u00e9\\x41\\101\\\\\\\"\"\n",
	     "f: \n\tbuild\t\"a=b\"=\"x\\tyéAA\\\\\\\"\"\n"},
	    {"build\t`k`=`a\rb`\n", "f: \n\tbuild\tk=ab\n"},
	    {"build\tk=\"\xff \"\n", "f: \n\tbuild\tk=\"\xef\xbf\xbd \"\n"},
	    {"build\tk=\"\\xff \\U0001F600\\a\\b\\f\\v\\r\\n\\u2028\\x7f\\x00x\"\n",
	     "line 1: NUL byte in a quoted key or value"},
	    {"build\tk=\"\\xff \\U0001F600\\a\\b\\f\\v\\r\\n\\u2028\\x7f\"\n",
	     "f: \n\tbuild\tk=\"\\xff 😀\\a\\b\\f\\v\\r\\n\\u2028\\x7f\"\n"},
	    {"build\t\"\"=x\n", "f: \n\tbuild\t\"\"=x\n"},
	    {"build\tk=\x01\xe2\x80\x8b\n", "f: \n\tbuild\tk=\x01\xe2\x80\x8b\n"},
	    /* refused, as go refuses them */
	    {"mod\tm\n", "line 1: expected 2 or 3 columns; got 1"},
	    {"path\tp\ndep\ta\tb\tc\td\n", "line 2: expected 2 or 3 columns; got 4"},
	    {"=>\ta\tb\tc\n", "line 1: replacement with no module on previous line"},
	    {"dep\ta\tb\n=>\ta\tb\n", "line 2: expected 3 columns for replacement; got 2"},
	    {"dep\ta\tb\n=>\ta\tb\tc\n=>\ta\tb\tc\n",
	     "line 3: replacement with no module on previous line"},
	    {"build\t\n", "line 1: build line missing '='"},
	    {"build\t=v\n", "line 1: build line with missing key"},
	    {"build\t\"k\n", "line 1: invalid quoted key in build line"},
	    {"build\t\"k\\q\"=v\n", "line 1: invalid quoted key in build line"},
	    {"build\t\"k\"\n", "line 1: build line missing '=' after quoted key"},
	    {"build\t\"k\"x=v\n", "line 1: unexpected character after quoted key: \"x\""},
	    {"build\tk\n", "line 1: build line missing '=' after key"},
	    {"build\tk y=v\n", "line 1: unquoted key \"k y\" must be quoted"},
	    {"build\tk=\"v\n", "line 1: invalid quoted value in build line"},
	    {"build\tk=\"v\"x\n", "line 1: invalid quoted value in build line"},
	    {"build\tk=`v`x\n", "line 1: invalid quoted value in build line"},
	    {"build\tk=\"\\'\"\n", "line 1: invalid quoted value in build line"},
	    {"build\tk=\"\\u00\"\n", "line 1: invalid quoted value in build line"},
	    {"build\tk=\"\\ud800\"\n", "line 1: invalid quoted value in build line"},
	    {"build\tk=\"\\400\"\n", "line 1: invalid quoted value in build line"},
	    {"build\tk=a b\n", "line 1: unquoted value \"a b\" must be quoted"},
	    {"build\tk=a\rb\n", "line 1: unquoted value \"a\\rb\" must be quoted"},
	    {"path\ta\0b\n", "line 1: NUL byte"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buildinfo bi = {0};
		struct strbuf m = STRBUF_INIT;
		char *cause = NULL;
		const char *t = cases[i].text;
		size_t n = i + 1 == ARRAY_SIZE(cases) ? 9 : strlen(t);

		if (buildinfo_parse_modinfo(&bi, t, n, &cause)) {
			assert_null(strchr(cause, '\n'));
			if (strcmp(cause, cases[i].want))
				fail_msg("case %zu: got %s, want %s", i, cause, cases[i].want);
			assert_null(bi.settings.v);
			free(cause);
			continue;
		}
		buildinfo_format_m(&bi, "f", &m);
		if (strcmp(m.buf, cases[i].want))
			fail_msg("case %zu: got [%s], want [%s]", i, m.buf, cases[i].want);
		strbuf_release(&m);
		buildinfo_release(&bi);
	}

	/* values as stored */
	struct buildinfo bi = {0};
	char *cause = NULL;
	const char text[] = "build\t\"a=b\"=\"x\\ty\"\nbuild\tCGO_ENABLED=0\n";
	assert_int_equal(buildinfo_parse_modinfo(&bi, text, strlen(text), &cause), 0);
	assert_string_equal(buildinfo_setting(&bi, "a=b"), "x\ty");
	assert_string_equal(buildinfo_setting(&bi, "CGO_ENABLED"), "0");
	buildinfo_release(&bi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_like_go_version_m),
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_not_go),
	    cmocka_unit_test(test_pointer_based),
	    cmocka_unit_test(test_pointer_based_hostile),
	    cmocka_unit_test(test_inline),
	    cmocka_unit_test(test_parse_modinfo),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
