/*
 * fuzz_elf.c - libFuzzer target for elf.c (binfile.h) and the build info
 * reader on top of it (buildinfo_read).
 *
 * The first input byte picks the mode:
 *  - even: the rest is the file, as is;
 *  - odd: the file is one of eight built-in valid ELF files (synth_elf.h:
 *    32/64-bit, either byte order, pointer-based or inline build info, a
 *    symbol table with every kind of symbol), cut to the length in the next
 *    two bytes when they are not zero, then patched by the rest of the
 *    input read as (offset: 2 bytes, xor: 1 byte) triples. The fuzzer starts
 *    from well-formed files instead of having to find the structure first.
 *
 * Whatever the bytes: binfile_parse returns 0, or -1 with one line naming
 * the file; what parses is consistent (every section's bytes inside the
 * file, symbol kinds from the documented set); binfile_at_addr only returns
 * pointers into the file; buildinfo_read returns 1, 0 or -1 with one line,
 * and what it read prints; binfile_compare finds a flipped byte where it is.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verify/binfile.h"
#include "verify/buildinfo.h"
#include "synth_elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char modinfo[] =
    "\x30\x77\xaf\x0c\x92\x74\x08\x02\x41\xe1\xc1\x07\xe6\xd6\x18\xe6"
    "path\texample.com/app\n"
    "mod\texample.com/app\t(devel)\t\n"
    "dep\tgolang.org/x/text\tv0.3.7\th1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQ\n"
    "dep\tgithub.com/a/b\tv1.0.0\n"
    "=>\t../b\t(devel)\t\n"
    "build\t-compiler=gc\n"
    "build\t-ldflags=\"-s -w -X main.v=1\"\n"
    "build\t\"a=b\"=`x`\n"
    "build\tCGO_ENABLED=1\n"
    "\xf9\x32\x43\x31\x86\x18\x20\x72\x00\x82\x42\x10\x41\x16\xd8\xf2";

/* The .go.buildinfo section of a template, at address base. */
static void blob(struct strbuf *sec, int is64, int be, int pointers, uint64_t base)
{
	unsigned ps = is64 ? 8 : 4;
	size_t vlen = 8, mlen = sizeof(modinfo) - 1;

	strbuf_add(sec, "\xff Go buildinf:", 14);
	strbuf_addch(sec, (int)ps);
	strbuf_addch(sec, pointers ? be : 2);
	if (pointers) {
		synth_add(sec, base + 32, ps, be);
		synth_add(sec, base + 32 + 2 * ps, ps, be);
		synth_pad(sec, 16);
		synth_add(sec, base + 64, ps, be);
		synth_add(sec, vlen, ps, be);
		synth_add(sec, base + 64 + vlen, ps, be);
		synth_add(sec, mlen, ps, be);
		while (sec->len < 64)
			strbuf_addch(sec, 0);
		strbuf_add(sec, "go1.16.3", vlen);
		strbuf_add(sec, modinfo, mlen);
	} else {
		synth_pad(sec, 32);
		strbuf_addch(sec, (int)vlen);
		strbuf_add(sec, "go1.19.8", vlen);
		strbuf_addch(sec, (int)(mlen & 0x7f) | 0x80);
		strbuf_addch(sec, (int)(mlen >> 7));
		strbuf_add(sec, modinfo, mlen);
	}
}

/* Template v: bit 0 64-bit, bit 1 big-endian, bit 2 pointer-based build info. */
static void template(struct strbuf *out, unsigned v)
{
	int is64 = v & 1, be = !!(v & 2);
	static const uint8_t code[32] = {0x55, 0x48, 0x89, 0xe5, 0xc3};
	static const uint8_t ro[16] = "read-only";
	static const uint8_t rw[16] = "writable";
	const struct synth_sym syms[] = {
	    {"main.main", 0x401000, 16, 0x12, 1},
	    {"runtime.text", 0x401010, 16, 0x02, 1},
	    {"go.string.*", 0x402000, 9, 0x11, 2},
	    {"main.counter", 0x403000, 8, 0x11, 3},
	    {"runtime.bss", 0x404000, 64, 0x11, 5},
	    {"malloc", 0, 0, 0x12, 0},
	    {"abs", 7, 0, 0x10, 0xfff1},
	    {"xidx", 0x401000, 4, 0x12, 0xffff},
	    {"main", 0, 0, 0x04, 0xfff1},
	};
	struct strbuf sec = STRBUF_INIT, symtab = STRBUF_INIT, strtab = STRBUF_INIT;
	uint32_t xidx[ARRAY_SIZE(syms) + 1] = {0};
	uint8_t xidx_bytes[sizeof(xidx)];

	xidx[8] = 1; /* "xidx" is in .text */
	for (size_t i = 0; i < ARRAY_SIZE(xidx); i++)
		synth_put(xidx_bytes + 4 * i, xidx[i], 4, be);
	blob(&sec, is64, be, v & 4, 0x403100);
	synth_symtab(is64, be, syms, ARRAY_SIZE(syms), &symtab, &strtab);
	const struct synth_section secs[] = {
	    {".text", 1, 6, 0x401000, code, sizeof(code), 0, 0},
	    {".rodata", 1, 2, 0x402000, ro, sizeof(ro), 0, 0},
	    {".data", 1, 3, 0x403000, rw, sizeof(rw), 0, 0},
	    {".go.buildinfo", 1, 3, 0x403100, sec.buf, sec.len, 0, 0},
	    {".bss", 8, 3, 0x404000, NULL, 0x100, 0, 0},
	    {".symtab", 2, 0, 0, symtab.buf, symtab.len, 7, is64 ? 24 : 16},
	    {".strtab", 3, 0, 0, strtab.buf, strtab.len, 0, 0},
	    {".symtab_shndx", 18, 0, 0, xidx_bytes, sizeof(xidx_bytes), 6, 4},
	    {".debug_info", 1, 0, 0, "dwarf", 5, 0, 0},
	};
	synth_elf(out, is64, be, is64 ? (be ? 22 : 62) : (be ? 8 : 40), secs, ARRAY_SIZE(secs));
	strbuf_release(&sec);
	strbuf_release(&symtab);
	strbuf_release(&strtab);
}

static void check_cause(const char *cause, const char *prefix)
{
	if (!cause || !*cause || strchr(cause, '\n') || strncmp(cause, prefix, strlen(prefix)))
		abort();
}

/* p (n bytes) is NULL or inside b's buffer. */
static void check_ptr(const struct binfile *b, const uint8_t *p, uint64_t n)
{
	if (p && (p < b->data || n > b->len || (size_t)(p - b->data) > b->len - n))
		abort();
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* pristine: an untouched template, whose build info must be read. */
static void check_parsed(const struct binfile *b, const uint8_t *data, size_t size, int pristine)
{
	struct buildinfo bi;
	char *cause = NULL;
	int rc;

	for (size_t i = 0; i < b->sections.n; i++) {
		const struct bin_section *s = &b->sections.v[i];
		if (!s->name ||
		    (s->in_file && (s->offset > b->len || s->size > b->len - s->offset)))
			abort();
		if (!s->in_file && s->size)
			abort();
		check_ptr(b, binfile_at_addr(b, s->addr, s->size), s->size);
		check_ptr(b, binfile_at_addr(b, s->addr + s->size / 2, 8), 8);
	}
	for (size_t i = 0; i < b->symbols.n; i++)
		if (!b->symbols.v[i].name[0] || !strchr("TDBRU?", b->symbols.v[i].kind))
			abort();
	/* addresses from the input */
	for (size_t i = 0; i + 16 <= size && i < 256; i += 16) {
		uint64_t a = get64(data + i), n = get64(data + i + 8) % 4096;
		check_ptr(b, binfile_at_addr(b, a, n), n);
	}

	rc = buildinfo_read(b, &bi, &cause);
	if (rc < -1 || rc > 1 || (pristine && (rc != 1 || b->symbols.n != 8 || !b->has_dwarf)))
		abort();
	if (rc < 0) {
		check_cause(cause, "fuzz: Go build info");
		free(cause);
	} else if (rc == 1) {
		struct strbuf m = STRBUF_INIT;
		if (!bi.go_version || !*bi.go_version || cause)
			abort();
		buildinfo_format_m(&bi, "f", &m);
		if (strncmp(m.buf, "f: ", 3) || m.buf[m.len - 1] != '\n')
			abort();
		strbuf_release(&m);
		buildinfo_release(&bi);
	} else if (cause || bi.go_version) {
		abort();
	}
}

/* A copy of b's bytes with byte at flipped parses again, and compare finds it. */
static void check_compare(const struct binfile *b, size_t at)
{
	struct binfile c;
	struct bin_diff d;
	char *cause = NULL;
	uint8_t *copy;

	binfile_compare(b, b, &d);
	if (!d.same)
		abort();
	if (!b->len)
		return;
	at %= b->len;
	copy = xmalloc(b->len);
	memcpy(copy, b->data, b->len);
	copy[at] ^= 0x20;
	if (binfile_parse(&c, copy, b->len, "copy", &cause) == 0) {
		binfile_compare(b, &c, &d);
		if (d.same || d.offset != at || !d.section[0])
			abort();
		binfile_release(&c);
	} else {
		check_cause(cause, "copy: ");
		free(cause);
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct strbuf templates[8];
	struct strbuf file = STRBUF_INIT;
	struct binfile b;
	char *cause = NULL;
	int pristine = 0;

	if (!size)
		return 0;
	if (data[0] & 1) {
		unsigned v = (data[0] >> 1) & 7;
		size_t cut;
		if (!templates[v].len)
			template(&templates[v], v);
		strbuf_add(&file, templates[v].buf, templates[v].len);
		if (size >= 3 && (cut = (size_t)data[1] | (size_t)data[2] << 8) != 0 &&
		    cut < file.len)
			file.len = cut;
		pristine = size < 3 || (size == 3 && !data[1] && !data[2]);
		for (size_t i = 3; i + 3 <= size && file.len; i += 3) {
			size_t off = ((size_t)data[i] | (size_t)data[i + 1] << 8) % file.len;
			file.buf[off] ^= (char)data[i + 2];
		}
	} else {
		strbuf_add(&file, data + 1, size - 1);
	}

	if (binfile_parse(&b, file.buf, file.len, "fuzz", &cause) == 0) {
		if (cause || b.len != file.len)
			abort();
		check_parsed(&b, data, size, pristine);
		check_compare(&b, size > 1 ? data[size - 1] * 131u + data[size - 2] : 0);
		binfile_release(&b);
	} else {
		if (pristine)
			abort();
		check_cause(cause, "fuzz: ");
		if (b.data || b.sections.n || b.symbols.n)
			abort();
		free(cause);
	}
	strbuf_release(&file);
	return 0;
}
