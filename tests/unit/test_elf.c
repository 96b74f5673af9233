/*
 * test_elf.c - src/verify/elf.c (binfile.h): real Go binaries built here with go
 * (plain, -ldflags=-s -w), the go tool itself, /bin/true; synthetic ELF32 /
 * big-endian files (synth_elf.h) for what the host's go cannot produce; and
 * hostile files: every sampled prefix of a real binary, random byte flips in
 * its headers, and hand-made corruptions, each refused with a one-line cause
 * naming what is wrong (and never read out of bounds: ASan).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
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
static char *plain, *stripped; /* binaries built in setup */

static char *tpath(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
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

/* The output of a shell command, trailing newline dropped. */
static char *capture(const char *cmd)
{
	struct strbuf sb = STRBUF_INIT;
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_true(strbuf_read_fd(&sb, fileno(p), 64 << 20, NULL) >= 0);
	pclose(p);
	while (sb.len && sb.buf[sb.len - 1] == '\n')
		sb.buf[--sb.len] = '\0';
	return strbuf_detach(&sb, NULL);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	chmod(path, 0700); /* go leaves read-only files behind */
	return remove(path);
}

static const char main_go[] = "package main\n"
                              "\n"
                              "import \"fmt\"\n"
                              "\n"
                              "var Counter int\n"
                              "var Greeting = \"hello\"\n"
                              "\n"
                              "func main() { Counter++; fmt.Println(Greeting, Counter) }\n";

static int setup(void **state)
{
	(void)state;
	const char *src = getenv("GOLIVE_SRC");
	if (src && *src && chdir(src) != 0)
		return -1;
	snprintf(tmpdir, sizeof(tmpdir), "%s/golive-elf-XXXXXX",
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
	if (run("cd '%s' && mkdir m && cd m && printf 'module example.com/hello\\n\\ngo 1.19\\n' "
	        "> go.mod",
	        tmpdir))
		return -1;
	d = tpath("m/main.go");
	FILE *f = fopen(d, "w");
	free(d);
	if (!f)
		return -1;
	fputs(main_go, f);
	fclose(f);
	if (run("cd '%s/m' && go build -o ../plain . && go build -ldflags='-s -w' -o ../stripped .",
	        tmpdir))
		return -1;
	plain = tpath("plain");
	stripped = tpath("stripped");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(plain);
	free(stripped);
	return 0;
}

/* A cause is one non-empty line that starts with the file's name. */
static void assert_cause(const char *cause, const char *name)
{
	assert_non_null(cause);
	assert_null(strchr(cause, '\n'));
	assert_true(strlen(cause) > strlen(name) + 2);
	assert_memory_equal(cause, name, strlen(name));
	assert_memory_equal(cause + strlen(name), ": ", 2);
}

static const struct bin_symbol *find_sym(const struct binfile *b, const char *name)
{
	for (size_t i = 0; i < b->symbols.n; i++)
		if (!strcmp(b->symbols.v[i].name, name))
			return &b->symbols.v[i];
	return NULL;
}

/* The whole file. */
static uint8_t *slurp(const char *path, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(strbuf_read_file(&sb, path, 1u << 30), 0);
	return (uint8_t *)strbuf_detach(&sb, len);
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* ---- real binaries -------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Our kinds against binutils nm's letters (uppercased), for every symbol nm
 * lists with T, D, B, R or U. Skipped without nm.
 */
static void check_against_nm(const struct binfile *b, const char *path)
{
	if (run("command -v nm >/dev/null 2>&1"))
		return;
	char *cmd = xasprintf("nm '%s'", path), *out = capture(cmd);
	struct argv_array ours = ARGV_ARRAY_INIT;
	size_t checked = 0;
	for (size_t i = 0; i < b->symbols.n; i++)
		argv_pushf(&ours, "%s %c", b->symbols.v[i].name, b->symbols.v[i].kind);
	qsort(ours.argv, ours.argc, sizeof(char *), cmp_str);
	for (char *line = out, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		/* "ADDR K NAME" or "                 U NAME" */
		if (strlen(line) < 20 || line[17] == ' ' || line[18] != ' ')
			continue;
		char k = (char)toupper((unsigned char)line[17]);
		if (!strchr("TDBRU", k))
			continue;
		char *key = xasprintf("%s %c", line + 19, k);
		assert_non_null(bsearch(&key, ours.argv, ours.argc, sizeof(char *), cmp_str));
		free(key);
		checked++;
	}
	assert_true(checked > 100);
	argv_clear(&ours);
	free(cmd);
	free(out);
}

static void test_plain(void **state)
{
	(void)state;
	struct binfile b;
	char *cause = NULL, *goarch = capture("go env GOARCH");
	const struct bin_section *text, *bss, *bi;
	const struct bin_symbol *s;

	assert_int_equal(binfile_open(&b, plain, &cause), 0);
	assert_null(cause);
	assert_int_equal(b.format, BINFILE_ELF);
	assert_string_equal(b.name, plain);
	assert_true(b.is64);
	assert_false(b.big_endian);
	assert_string_equal(b.arch, goarch);
	assert_true(b.has_symtab);
	assert_true(b.has_dwarf);

	text = binfile_section(&b, ".text");
	assert_non_null(text);
	assert_true(text->loaded && text->executable && !text->writable && text->in_file);
	assert_true(text->addr && text->size && text->size == text->mem_size);
	bss = binfile_section(&b, ".bss");
	assert_non_null(bss);
	assert_true(bss->loaded && bss->writable && !bss->in_file);
	assert_int_equal(bss->size, 0);
	assert_true(bss->mem_size > 0);
	bi = binfile_section(&b, ".go.buildinfo");
	assert_non_null(bi);
	assert_true(bi->writable && bi->in_file);
	assert_memory_equal(b.data + bi->offset, "\xff Go buildinf:", 14);
	assert_null(binfile_section(&b, ".nope"));

	s = find_sym(&b, "main.main");
	assert_non_null(s);
	assert_int_equal(s->kind, 'T');
	assert_true(s->size > 0 && s->global);
	assert_true(s->addr >= text->addr && s->addr - text->addr < text->size);
	s = find_sym(&b, "main.Counter");
	assert_non_null(s);
	assert_int_equal(s->kind, 'B');
	s = find_sym(&b, "main.Greeting");
	assert_non_null(s);
	assert_int_equal(s->kind, 'D');
	s = find_sym(&b, "runtime.rodata");
	assert_non_null(s);
	assert_int_equal(s->kind, 'R');
	check_against_nm(&b, plain);

	binfile_release(&b);
	assert_null(b.data);
	assert_int_equal(b.sections.n, 0);
	free(goarch);
}

static void test_stripped(void **state)
{
	(void)state;
	struct binfile b;
	char *cause = NULL;

	assert_int_equal(binfile_open(&b, stripped, &cause), 0);
	assert_false(b.has_symtab);
	assert_false(b.has_dwarf);
	assert_null(binfile_section(&b, ".symtab"));
	assert_non_null(binfile_section(&b, ".text"));
	assert_null(find_sym(&b, "main.main"));
	binfile_release(&b);
}

/*
 * A stripped, dynamically linked (cgo) go tool: symbols come from .dynsym.
 * Debian's go is one (the go Go ships is statically linked, with symbols).
 */
static void test_go_tool(void **state)
{
	(void)state;
	struct binfile b;
	char *cause = NULL, *go = capture("readlink -f /usr/lib/go-1.19/bin/go");
	size_t undef = 0;

	if (!*go || access(go, X_OK)) {
		print_message("skipped: Debian's go (/usr/lib/go-1.19/bin/go) is not installed\n");
		free(go);
		skip();
	}

	assert_int_equal(binfile_open(&b, go, &cause), 0);
	assert_false(b.has_symtab);
	assert_non_null(binfile_section(&b, ".dynsym"));
	assert_true(b.symbols.n > 0);
	for (size_t i = 0; i < b.symbols.n; i++)
		undef += b.symbols.v[i].kind == 'U';
	assert_true(undef > 0); /* libc functions it imports */
	binfile_release(&b);
	free(go);
}

static void test_not_go(void **state)
{
	(void)state;
	struct binfile b;
	char *cause = NULL;

	assert_int_equal(binfile_open(&b, "/bin/true", &cause), 0);
	assert_true(b.sections.n > 0);
	assert_null(binfile_section(&b, ".go.buildinfo"));
	binfile_release(&b);
}

static void test_open_errors(void **state)
{
	(void)state;
	struct binfile b;
	char *cause = NULL, *p = tpath("nope");

	assert_int_equal(binfile_open(&b, p, &cause), -1);
	assert_cause(cause, p);
	assert_non_null(strstr(cause, "No such file"));
	free(cause);
	cause = NULL;
	assert_int_equal(binfile_open(&b, tmpdir, &cause), -1);
	assert_cause(cause, tmpdir);
	assert_non_null(strstr(cause, "not a regular file"));
	free(cause);
	cause = NULL;
	char *fifo = tpath("fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(binfile_open(&b, fifo, &cause), -1); /* without blocking for a writer */
	assert_non_null(strstr(cause, "not a regular file"));
	free(cause);
	free(fifo);
	cause = NULL;
	write_file(p, "#!/bin/sh\n", 10);
	assert_int_equal(binfile_open(&b, p, &cause), -1);
	assert_cause(cause, p);
	assert_non_null(strstr(cause, "not an ELF file (magic 23 21 2f 62)"));
	free(cause);
	cause = NULL;
	write_file(p, "", 0);
	assert_int_equal(binfile_open(&b, p, &cause), -1);
	assert_cause(cause, p);
	assert_null(b.data);
	free(cause);
	free(p);
}

static void test_at_addr(void **state)
{
	(void)state;
	struct binfile b;
	char *cause = NULL;
	const struct bin_section *t, *bss;

	assert_int_equal(binfile_open(&b, plain, &cause), 0);
	t = binfile_section(&b, ".text");
	bss = binfile_section(&b, ".bss");
	assert_ptr_equal(binfile_at_addr(&b, t->addr, 16), b.data + t->offset);
	assert_ptr_equal(binfile_at_addr(&b, t->addr + t->size - 1, 1),
	                 b.data + t->offset + t->size - 1);
	assert_ptr_equal(binfile_at_addr(&b, t->addr, t->size), b.data + t->offset);
	assert_null(binfile_at_addr(&b, t->addr, t->size + 1));
	assert_null(binfile_at_addr(&b, t->addr + t->size, UINT64_MAX));
	assert_null(binfile_at_addr(&b, t->addr + 1, UINT64_MAX));
	assert_null(binfile_at_addr(&b, UINT64_MAX, 1));
	assert_null(binfile_at_addr(&b, UINT64_MAX - 1, 4));
	assert_null(binfile_at_addr(&b, 0, 1));
	assert_null(binfile_at_addr(&b, bss->addr, 1)); /* no bytes in the file */
	binfile_release(&b);
}

static void test_compare(void **state)
{
	(void)state;
	struct binfile a, b;
	struct bin_diff d;
	char *cause = NULL, *copy = tpath("copy");
	size_t len;
	uint8_t *bytes = slurp(plain, &len);
	const struct bin_section *t;
	uint64_t off, shoff;

	assert_int_equal(binfile_parse(&a, bytes, len, "a", &cause), 0);
	binfile_compare(&a, &a, &d);
	assert_true(d.same);

	/* one byte flipped inside .text, through a file */
	t = binfile_section(&a, ".text");
	off = t->offset + t->size / 2;
	bytes[off] ^= 0x40;
	write_file(copy, bytes, len);
	assert_int_equal(binfile_open(&b, copy, &cause), 0);
	binfile_compare(&a, &b, &d);
	assert_false(d.same);
	assert_int_equal(d.offset, off);
	assert_string_equal(d.section, ".text");
	assert_int_equal(d.section_offset, t->size / 2);
	binfile_release(&b);
	bytes[off] ^= 0x40;

	/* in the ELF header, the section header table, past the end */
	bytes[24] ^= 1; /* e_entry */
	assert_int_equal(binfile_parse(&b, bytes, len, "b", &cause), 0);
	binfile_compare(&a, &b, &d);
	assert_int_equal(d.offset, 24);
	assert_string_equal(d.section, "(headers)");
	binfile_release(&b);
	bytes[24] ^= 1;
	shoff = le(bytes + 40, 8);
	bytes[shoff + 64 + 16] ^= 1; /* the address of section 1 */
	assert_int_equal(binfile_parse(&b, bytes, len, "b", &cause), 0);
	binfile_compare(&a, &b, &d);
	assert_int_equal(d.offset, shoff + 64 + 16);
	assert_string_equal(d.section, "(section headers)");
	assert_int_equal(d.section_offset, 64 + 16);
	binfile_release(&b);
	bytes[shoff + 64 + 16] ^= 1;
	bytes = xrealloc(bytes, len + 3);
	memcpy(bytes + len, "xyz", 3);
	assert_int_equal(binfile_parse(&b, bytes, len + 3, "b", &cause), 0);
	binfile_compare(&a, &b, &d);
	assert_false(d.same);
	assert_int_equal(d.offset, len);
	assert_string_equal(d.section, "(end of file)");
	binfile_release(&b);

	binfile_release(&a);
	free(bytes);
	free(copy);
}

/* ---- synthetic files ------------------------------------------------------------------ */

static const uint8_t code[16] = {0x90, 0x90, 0xc3};
static const uint8_t rodata[8] = "ro";
static const uint8_t data[16] = "0123456789abcdef";

/* .text .rodata .data .bss .symtab .strtab, the symbols of each kind. */
static void synth_all_kinds(struct strbuf *out, int is64, int be, uint16_t machine)
{
	const struct synth_sym syms[] = {
	    {"main.main", 0x1000, 16, 0x12, 1},
	    {"ro", 0x2000, 8, 0x11, 2},
	    {"dat", 0x3004, 4, 0x11, 3},
	    {"bss", 0x4000, 64, 0x11, 4},
	    {"undef", 0, 0, 0x10, 0},
	    {"local", 0x1008, 8, 0x02, 1},
	    {"weak", 0x1000, 0, 0x22, 1},
	    {"abs", 42, 0, 0x10, 0xfff1},
	    {"common", 0, 8, 0x11, 0xfff2},
	    {"sect", 0x1000, 0, 0x03, 1},   /* STT_SECTION: skipped */
	    {"file.c", 0, 0, 0x04, 0xfff1}, /* STT_FILE: skipped */
	    {"", 0x1000, 0, 0x10, 1},       /* no name: skipped */
	};
	struct strbuf symtab = STRBUF_INIT, strtab = STRBUF_INIT;
	synth_symtab(is64, be, syms, ARRAY_SIZE(syms), &symtab, &strtab);
	const struct synth_section secs[] = {
	    {".text", 1, 6, 0x1000, code, sizeof(code), 0, 0},
	    {".rodata", 1, 2, 0x2000, rodata, sizeof(rodata), 0, 0},
	    {".data", 1, 3, 0x3000, data, sizeof(data), 0, 0},
	    {".bss", 8, 3, 0x4000, NULL, 64, 0, 0},
	    {".symtab", 2, 0, 0, symtab.buf, symtab.len, 6, is64 ? 24 : 16},
	    {".strtab", 3, 0, 0, strtab.buf, strtab.len, 0, 0},
	    {".debug_info", 1, 0, 0, "x", 1, 0, 0},
	};
	synth_elf(out, is64, be, machine, secs, ARRAY_SIZE(secs));
	strbuf_release(&symtab);
	strbuf_release(&strtab);
}

static void test_synthetic(void **state)
{
	(void)state;
	struct {
		int is64, be;
		uint16_t machine;
		const char *arch;
	} cases[] = {
	    {0, 1, 8, "mips"},     {0, 0, 8, "mipsle"},    {1, 1, 8, "mips64"},
	    {1, 0, 8, "mips64le"}, {1, 1, 21, "ppc64"},    {1, 0, 21, "ppc64le"},
	    {1, 1, 22, "s390x"},   {0, 0, 3, "386"},       {0, 0, 40, "arm"},
	    {1, 0, 183, "arm64"},  {1, 0, 243, "riscv64"}, {1, 0, 258, "loong64"},
	    {1, 0, 62, "amd64"},   {1, 0, 0x9999, ""},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct strbuf f = STRBUF_INIT;
		struct binfile b;
		char *cause = NULL;
		const struct bin_symbol *s;

		synth_all_kinds(&f, cases[i].is64, cases[i].be, cases[i].machine);
		assert_int_equal(binfile_parse(&b, f.buf, f.len, "synth", &cause), 0);
		assert_string_equal(b.arch, cases[i].arch);
		assert_int_equal(b.is64, cases[i].is64);
		assert_int_equal(b.big_endian, cases[i].be);
		assert_int_equal(b.machine, cases[i].machine);
		assert_int_equal(b.sections.n, 9); /* null, 7, .shstrtab */
		assert_string_equal(b.sections.v[8].name, ".shstrtab");
		assert_true(b.has_symtab && b.has_dwarf);
		assert_int_equal(b.symbols.n, 9);
		s = find_sym(&b, "main.main");
		assert_int_equal(s->kind, 'T');
		assert_int_equal(s->addr, 0x1000);
		assert_int_equal(s->size, 16);
		assert_true(s->global);
		assert_int_equal(find_sym(&b, "ro")->kind, 'R');
		assert_int_equal(find_sym(&b, "dat")->kind, 'D');
		assert_int_equal(find_sym(&b, "bss")->kind, 'B');
		assert_int_equal(find_sym(&b, "undef")->kind, 'U');
		assert_int_equal(find_sym(&b, "common")->kind, 'B');
		assert_int_equal(find_sym(&b, "abs")->kind, '?');
		assert_false(find_sym(&b, "local")->global);
		assert_true(find_sym(&b, "weak")->global);
		assert_null(find_sym(&b, "sect"));
		assert_null(find_sym(&b, "file.c"));
		assert_memory_equal(binfile_at_addr(&b, 0x3004, 4), "4567", 4);
		assert_null(binfile_at_addr(&b, 0x3004, 13));
		assert_null(binfile_at_addr(&b, 0x4000, 1));
		binfile_release(&b);
		strbuf_release(&f);
	}
}

/* SHN_XINDEX: the section count and name table index in section 0, symbol indexes aside. */
static void test_extended_numbering(void **state)
{
	(void)state;
	struct binfile b, x;
	char *cause = NULL;
	size_t len;
	uint8_t *bytes = slurp(plain, &len);
	uint64_t shoff = le(bytes + 40, 8), shnum = le(bytes + 60, 2), shstrndx = le(bytes + 62, 2);

	assert_int_equal(binfile_parse(&b, bytes, len, "plain", &cause), 0);
	synth_put(bytes + 60, 0, 2, 0);
	synth_put(bytes + shoff + 32, shnum, 8, 0);
	synth_put(bytes + 62, 0xffff, 2, 0);
	synth_put(bytes + shoff + 40, shstrndx, 4, 0);
	assert_int_equal(binfile_parse(&x, bytes, len, "x", &cause), 0);
	assert_int_equal(x.sections.n, b.sections.n);
	for (size_t i = 0; i < b.sections.n; i++)
		assert_string_equal(x.sections.v[i].name, b.sections.v[i].name);
	assert_int_equal(x.symbols.n, b.symbols.n);
	binfile_release(&x);
	binfile_release(&b);
	free(bytes);

	/* a symbol whose section index is in a SHT_SYMTAB_SHNDX section */
	const struct synth_sym syms[] = {{"f", 0x1000, 3, 0x12, 0xffff},
	                                 {"g", 0x1000, 3, 0x12, 0xffff}};
	struct strbuf symtab = STRBUF_INIT, strtab = STRBUF_INIT, f = STRBUF_INIT;
	const uint32_t xidx[3] = {0, 1, 0};
	synth_symtab(1, 0, syms, 2, &symtab, &strtab);
	struct synth_section secs[] = {
	    {".text", 1, 6, 0x1000, code, sizeof(code), 0, 0},
	    {".symtab", 2, 0, 0, symtab.buf, symtab.len, 3, 24},
	    {".strtab", 3, 0, 0, strtab.buf, strtab.len, 0, 0},
	    {".symtab_shndx", 18, 0, 0, xidx, sizeof(xidx), 2, 4},
	};
	synth_elf(&f, 1, 0, 62, secs, ARRAY_SIZE(secs));
	assert_int_equal(binfile_parse(&b, f.buf, f.len, "x", &cause), 0);
	assert_int_equal(find_sym(&b, "f")->kind, 'T');
	assert_int_equal(find_sym(&b, "g")->kind, 'U');
	binfile_release(&b);
	/* without it */
	strbuf_reset(&f);
	synth_elf(&f, 1, 0, 62, secs, 3);
	assert_int_equal(binfile_parse(&b, f.buf, f.len, "x", &cause), -1);
	assert_cause(cause, "x");
	assert_non_null(strstr(cause, "SHN_XINDEX"));
	free(cause);
	strbuf_release(&f);
	strbuf_release(&symtab);
	strbuf_release(&strtab);
}

/* ---- hostile files -------------------------------------------------------------------- */

/* Parses bytes: 0, or -1 with a proper cause; what parsed is read further without harm. */
static int parse_hostile(const uint8_t *bytes, size_t len)
{
	struct binfile b;
	struct buildinfo bi;
	char *cause = NULL;
	int rc = binfile_parse(&b, bytes, len, "hostile", &cause);

	if (rc) {
		assert_int_equal(rc, -1);
		assert_cause(cause, "hostile");
		assert_null(b.data);
		free(cause);
		return rc;
	}
	assert_null(cause);
	for (size_t i = 0; i < b.sections.n; i++) {
		const struct bin_section *s = &b.sections.v[i];
		assert_true(!s->in_file || (s->offset <= len && s->size <= len - s->offset));
		const uint8_t *p = binfile_at_addr(&b, s->addr, s->size);
		assert_true(!p || (p >= b.data && p + s->size <= b.data + b.len));
	}
	if (buildinfo_read(&b, &bi, &cause) < 0) {
		assert_non_null(cause);
		assert_null(strchr(cause, '\n'));
		free(cause);
	} else {
		buildinfo_release(&bi);
	}
	binfile_release(&b);
	return 0;
}

static void test_truncated(void **state)
{
	(void)state;
	size_t len, n = 0;
	uint8_t *bytes = slurp(plain, &len);
	uint64_t shoff = le(bytes + 40, 8), shend = shoff + le(bytes + 60, 2) * 64;

	for (size_t l = 0; l < len; l += l < 256 ? 1 : l < 8192 ? 61 : 9973 + l % 7, n++) {
		int rc = parse_hostile(bytes, l);
		if (l < shend)
			assert_int_equal(rc, -1);
	}
	for (size_t l = shoff - 1; l <= shoff + 65 && l < len; l++)
		assert_int_equal(parse_hostile(bytes, l), -1);
	assert_int_equal(parse_hostile(bytes, len), 0);
	assert_true(n > 400);
	free(bytes);
}

static void test_byte_flips(void **state)
{
	(void)state;
	size_t len;
	uint8_t *bytes = slurp(plain, &len);
	uint64_t shoff = le(bytes + 40, 8), shsize = le(bytes + 60, 2) * 64;
	unsigned seed = 7, failed = 0;

	for (int i = 0; i < 600; i++) {
		size_t at[4];
		uint8_t old[4];
		int k = 1 + rand_r(&seed) % 4;
		for (int j = 0; j < k; j++) {
			at[j] = rand_r(&seed) % 2 ? (size_t)rand_r(&seed) % 64
			                          : shoff + (size_t)rand_r(&seed) % shsize;
			old[j] = bytes[at[j]];
			bytes[at[j]] ^= (uint8_t)(1 + rand_r(&seed) % 255);
		}
		failed += parse_hostile(bytes, len) != 0;
		for (int j = k; j-- > 0;)
			bytes[at[j]] = old[j];
	}
	assert_true(failed > 50); /* most flips of a size or offset are caught */
	free(bytes);
}

/* One hand-made corruption of the plain binary: the cause names it. */
struct mutation {
	const char *what;
	uint64_t off; /* relative to base */
	int base; /* 0 the file, 1 the section header table, 2 .symtab's header, 3 .shstrtab's */
	uint64_t value;
	unsigned size;
	const char *want;
};

static void test_corruptions(void **state)
{
	(void)state;
	struct binfile b;
	char *cause = NULL;
	size_t len, symtab = 0, shstr;
	uint8_t *bytes = slurp(plain, &len);
	uint64_t shoff = le(bytes + 40, 8), shnum = le(bytes + 60, 2);

	assert_int_equal(binfile_parse(&b, bytes, len, "plain", &cause), 0);
	for (size_t i = 0; i < b.sections.n; i++)
		if (!strcmp(b.sections.v[i].name, ".symtab"))
			symtab = i;
	assert_true(symtab > 0);
	shstr = le(bytes + 62, 2);
	/* section 1 is .text up to Go 1.25, .note.go.buildid from 1.26 */
	char *sec1 = xasprintf("section header 1 (%s): offset", b.sections.v[1].name);
	binfile_release(&b);

	const struct mutation muts[] = {
	    {"magic", 3, 0, 'G', 1, "not an ELF file (magic 7f 45 4c 47)"},
	    {"class", 4, 0, 9, 1, "bad ELF class 9"},
	    {"data", 5, 0, 0, 1, "bad ELF data encoding 0"},
	    {"ident version", 6, 0, 2, 1, "bad ELF identification version 2"},
	    {"version", 20, 0, 7, 4, "bad ELF version 7"},
	    {"shentsize", 58, 0, 40, 2, "e_shentsize 40, expected 64"},
	    {"shoff past EOF", 40, 0, len - 10, 8, "past the end of the file"},
	    {"shoff huge", 40, 0, UINT64_MAX - 8, 8, "past the end of the file"},
	    {"shnum too many", 60, 0, (len - shoff) / 64 + 1, 2, "run past the end of the file"},
	    {"shnum 65535", 60, 0, 65535, 2, "run past the end of the file"},
	    {"shstrndx", 62, 0, shnum, 2, "e_shstrndx"},
	    {"section offset", 64 + 24, 1, len, 8, sec1},
	    {"section size", 64 + 32, 1, UINT64_MAX, 8, "past the end of the file"},
	    {"name", 64, 1, 0x7fffffff, 4,
	     "name at 0x7fffffff past the end of the section name table"},
	    {"symtab size", 32, 2, 0x7fffffffffffff00, 8, "past the end of the file"},
	    {"symtab entsize", 56, 2, 16, 8, "symbol entry size 16, expected 24"},
	    {"symtab partial", 32, 2, 25, 8, "not a whole number of symbols"},
	    {"symtab link", 40, 2, 9999, 4, "string table link 9999 out of range"},
	    {"symtab link 0", 40, 2, 0, 4, "string table link 0 out of range"},
	    {"shstrtab nobits", 4, 3, 8, 4, "section name table"},
	    {"shstrtab past EOF", 24, 3, len, 8, "section name table"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(muts); i++) {
		uint8_t *c = xmalloc(len);
		uint64_t base = muts[i].base == 0   ? 0
		                : muts[i].base == 1 ? shoff
		                : muts[i].base == 2 ? shoff + symtab * 64
		                                    : shoff + shstr * 64;
		memcpy(c, bytes, len);
		synth_put(c + base + muts[i].off, muts[i].value, muts[i].size, 0);
		cause = NULL;
		assert_int_equal(binfile_parse(&b, c, len, "plain", &cause), -1);
		assert_cause(cause, "plain");
		if (!strstr(cause, muts[i].want))
			fail_msg("%s: %s", muts[i].what, cause);
		free(cause);
		free(c);
	}
	/* the last string of a string table running into the end of the table */
	const char *tables[] = {".shstrtab", ".strtab"};
	const char *want[] = {"not NUL-terminated within the section name table", ".symtab symbol",
	                      "not NUL-terminated within its string table"};
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(binfile_parse(&b, bytes, len, "plain", &cause), 0);
		const struct bin_section *s = binfile_section(&b, tables[i]);
		uint64_t last = s->offset + s->size - 1;
		binfile_release(&b);
		bytes[last] = 'x';
		assert_int_equal(binfile_parse(&b, bytes, len, "plain", &cause), -1);
		assert_cause(cause, "plain");
		assert_non_null(strstr(cause, want[i ? 2 : 0]));
		if (i)
			assert_non_null(strstr(cause, want[1]));
		free(cause);
		bytes[last] = '\0';
	}
	free(sec1);
	free(bytes);

	/* a tiny file claiming 65535 sections, and one without a section table */
	struct strbuf f = STRBUF_INIT;
	synth_elf(&f, 1, 0, 62, NULL, 0);
	synth_put((uint8_t *)f.buf + 60, 65535, 2, 0);
	assert_int_equal(binfile_parse(&b, f.buf, f.len, "tiny", &cause), -1);
	assert_cause(cause, "tiny");
	assert_non_null(strstr(cause, "65535 headers"));
	free(cause);
	synth_put((uint8_t *)f.buf + 40, 0, 8, 0);
	assert_int_equal(binfile_parse(&b, f.buf, f.len, "tiny", &cause), -1);
	assert_non_null(strstr(cause, "without a section header table"));
	free(cause);
	synth_put((uint8_t *)f.buf + 60, 0, 2, 0);
	assert_int_equal(binfile_parse(&b, f.buf, f.len, "tiny", &cause), 0);
	assert_int_equal(b.sections.n, 0);
	assert_null(binfile_at_addr(&b, 0, 0));
	binfile_release(&b);
	/* shorter than the header */
	assert_int_equal(binfile_parse(&b, f.buf, 63, "tiny", &cause), -1);
	assert_non_null(strstr(cause, "shorter than the ELF header (63 bytes"));
	free(cause);
	strbuf_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_stripped),
	    cmocka_unit_test(test_go_tool),
	    cmocka_unit_test(test_not_go),
	    cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_at_addr),
	    cmocka_unit_test(test_compare),
	    cmocka_unit_test(test_synthetic),
	    cmocka_unit_test(test_extended_numbering),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_byte_flips),
	    cmocka_unit_test(test_corruptions),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
