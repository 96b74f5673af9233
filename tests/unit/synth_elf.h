/*
 * synth_elf.h - writes small ELF files in memory for the tests and fuzz
 * targets of elf.c and buildinfo.c: what go 1.19 cannot produce here (32-bit,
 * big-endian, the pointer-based build info) and templates to corrupt.
 *
 * Layout: the ELF header, each section's bytes at a 16-byte aligned offset
 * (in the order given; SHT_NOBITS ones take no bytes), the section name
 * table, then the section header table. Section i of the array is section
 * i + 1 of the file (0 is the null section); the name table comes last.
 * No program headers.
 */
#ifndef GOLIVE_SYNTH_ELF_H
#define GOLIVE_SYNTH_ELF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

struct synth_section {
	const char *name;
	uint32_t type;  /* 1 PROGBITS, 2 SYMTAB, 3 STRTAB, 8 NOBITS, ... */
	uint64_t flags; /* 1 W, 2 A, 4 X */
	uint64_t addr;
	const void *data;
	size_t size; /* of data; for SHT_NOBITS the size in memory */
	uint32_t link;
	uint64_t entsize;
};

struct synth_sym {
	const char *name;
	uint64_t value, size;
	uint8_t info;   /* bind << 4 | type: 0x12 global function, 0x11 global object */
	uint16_t shndx; /* section index in the file (array index + 1), 0 undefined */
};

/* Stores the n-byte integer v at p in the byte order be. */
static inline void synth_put(uint8_t *p, uint64_t v, unsigned n, int be)
{
	for (unsigned i = 0; i < n; i++)
		p[be ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

/* Appends an n-byte integer to sb. */
static inline void synth_add(struct strbuf *sb, uint64_t v, unsigned n, int be)
{
	uint8_t b[8];
	synth_put(b, v, n, be);
	strbuf_add(sb, b, n);
}

static inline void synth_pad(struct strbuf *sb, size_t align)
{
	while (sb->len % align)
		strbuf_addch(sb, 0);
}

/*
 * A symbol table and its string table for syms (the null symbol first),
 * into symtab and strtab.
 */
static inline void synth_symtab(int is64, int be, const struct synth_sym *syms, size_t n,
                                struct strbuf *symtab, struct strbuf *strtab)
{
	strbuf_addch(strtab, 0);
	for (unsigned i = 0; i < (is64 ? 24u : 16u); i++)
		strbuf_addch(symtab, 0);
	for (size_t i = 0; i < n; i++) {
		uint64_t name = strtab->len;
		strbuf_add(strtab, syms[i].name, strlen(syms[i].name) + 1);
		synth_add(symtab, name, 4, be);
		if (is64) {
			strbuf_addch(symtab, syms[i].info);
			strbuf_addch(symtab, 0);
			synth_add(symtab, syms[i].shndx, 2, be);
			synth_add(symtab, syms[i].value, 8, be);
			synth_add(symtab, syms[i].size, 8, be);
		} else {
			synth_add(symtab, syms[i].value, 4, be);
			synth_add(symtab, syms[i].size, 4, be);
			strbuf_addch(symtab, syms[i].info);
			strbuf_addch(symtab, 0);
			synth_add(symtab, syms[i].shndx, 2, be);
		}
	}
}

/* Writes the file into out (appended). */
static inline void synth_elf(struct strbuf *out, int is64, int be, uint16_t machine,
                             const struct synth_section *secs, size_t n)
{
	struct strbuf names = STRBUF_INIT;
	size_t base = out->len, ehsize = is64 ? 64 : 52, shentsize = is64 ? 64 : 40;
	size_t *off = xcalloc(n + 1, sizeof(*off)), *name = xcalloc(n + 2, sizeof(*name));
	size_t shstr_off, shoff;

	for (size_t i = 0; i < ehsize; i++)
		strbuf_addch(out, 0);
	strbuf_addch(&names, 0);
	for (size_t i = 0; i < n; i++) {
		synth_pad(out, 16);
		off[i] = out->len - base;
		if (secs[i].type != 8 && secs[i].size)
			strbuf_add(out, secs[i].data, secs[i].size);
		name[i] = names.len;
		strbuf_add(&names, secs[i].name, strlen(secs[i].name) + 1);
	}
	name[n] = names.len;
	strbuf_add(&names, ".shstrtab", sizeof(".shstrtab"));
	shstr_off = out->len - base;
	strbuf_add(out, names.buf, names.len);
	synth_pad(out, 8);
	shoff = out->len - base;

	/* the header */
	{
		uint8_t *h = (uint8_t *)out->buf + base;
		memcpy(h,
		       "\x7f"
		       "ELF",
		       4);
		h[4] = is64 ? 2 : 1;
		h[5] = be ? 2 : 1;
		h[6] = 1;
		synth_put(h + 16, 2, 2, be); /* ET_EXEC */
		synth_put(h + 18, machine, 2, be);
		synth_put(h + 20, 1, 4, be);
		synth_put(h + (is64 ? 40 : 32), shoff, is64 ? 8 : 4, be);
		synth_put(h + (is64 ? 52 : 40), ehsize, 2, be);
		synth_put(h + (is64 ? 58 : 46), shentsize, 2, be);
		synth_put(h + (is64 ? 60 : 48), n + 2, 2, be);
		synth_put(h + (is64 ? 62 : 50), n + 1, 2, be);
	}
	/* the section headers: null, the sections, the name table */
	for (size_t i = 0; i < n + 2; i++) {
		const struct synth_section *s = i && i <= n ? &secs[i - 1] : NULL;
		struct synth_section strtab = {".shstrtab", 3, 0, 0, NULL, names.len, 0, 0};
		uint64_t o = i && i <= n ? off[i - 1] : shstr_off;
		unsigned w = is64 ? 8 : 4;
		if (i == n + 1)
			s = &strtab;
		synth_add(out, s ? (i <= n ? name[i - 1] : name[n]) : 0, 4, be);
		synth_add(out, s ? s->type : 0, 4, be);
		synth_add(out, s ? s->flags : 0, w, be);
		synth_add(out, s ? s->addr : 0, w, be);
		synth_add(out, s ? o : 0, w, be);
		synth_add(out, s ? s->size : 0, w, be);
		synth_add(out, s ? s->link : 0, 4, be);
		synth_add(out, 0, 4, be);         /* info */
		synth_add(out, s ? 1 : 0, w, be); /* addralign */
		synth_add(out, s ? s->entsize : 0, w, be);
	}
	strbuf_release(&names);
	free(off);
	free(name);
}

#endif
