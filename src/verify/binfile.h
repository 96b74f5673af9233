/*
 * binfile.h - reading executables (issue: golive verify). One interface for
 * the object formats; ELF is implemented (elf.c), Mach-O and PE can follow
 * behind the same functions.
 *
 * The whole file is read into memory (bounded: BINFILE_MAX bytes), and
 * every offset, size and count in it is checked against the buffer before
 * use: a truncated, corrupted or hostile file is refused with one line
 * naming what is wrong and where ("ELF section header 12: offset 0x... +
 * size 0x... past the end of the file (1234 bytes)"), never read out of
 * bounds, never looped on. Like every library module this one never prints.
 */
#ifndef GOLIVE_BINFILE_H
#define GOLIVE_BINFILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

#define BINFILE_MAX (2048ull << 20) /* a larger file is refused */

enum binfile_format { BINFILE_ELF };

struct bin_section {
	char *name;        /* ".text", ".go.buildinfo", ".debug_info", ... */
	uint64_t addr;     /* virtual address (0 when not loaded) */
	uint64_t offset;   /* file offset of its bytes */
	uint64_t size;     /* bytes in the file (0 for SHT_NOBITS) */
	uint64_t mem_size; /* bytes in memory */
	int in_file;       /* 0 for .bss-like sections: no bytes in the file */
	int loaded;        /* occupies memory at run time (ELF: SHF_ALLOC) */
	int writable;      /* ELF: SHF_WRITE */
	int executable;    /* ELF: SHF_EXECINSTR */
};

struct bin_symbol {
	char *name; /* as in the symbol table ("main.main", "net/http.(*Server).Serve") */
	uint64_t addr;
	uint64_t size;
	char kind;  /* 'T' text, 'D' data, 'B' bss, 'R' read-only, 'U' undefined, '?' other */
	int global; /* STB_GLOBAL or STB_WEAK */
};

struct binfile {
	enum binfile_format format;
	char *name;          /* the path (or name) it was opened as, for messages */
	const uint8_t *data; /* the whole file */
	size_t len;
	int is64, big_endian;
	uint16_t machine; /* e_machine */
	char arch[16];    /* "amd64", "arm64", "386", "arm", ... as GOARCH names it, or "" */
	/* Every section header in file order: v[i] is section i (ELF: v[0] is the null one). */
	ARRAY(struct bin_section) sections;
	/* .symtab, else .dynsym; may be empty (-ldflags=-s); no section/file/unnamed ones */
	ARRAY(struct bin_symbol) symbols;
	int has_symtab; /* a .symtab was there */
	int has_dwarf;  /* a .debug_* or .zdebug_* section is there */
};

/*
 * Opens path and reads it (format detected from the magic). 0, or -1 with
 * *cause ("BINARY: not an ELF file (magic 7f 45 4c 47)", "BINARY: ...").
 * b is empty on failure.
 */
int binfile_open(struct binfile *b, const char *path, char **cause);

/* The same for bytes already in memory (copied); name is used in messages. */
int binfile_parse(struct binfile *b, const void *data, size_t len, const char *name, char **cause);

void binfile_release(struct binfile *b);

/* The section named name, or NULL. */
const struct bin_section *binfile_section(const struct binfile *b, const char *name);

/*
 * The file bytes at virtual address addr, n of them, through the section
 * that holds them (for pointer-based build info). NULL when no section in
 * the file covers [addr, addr+n).
 */
const uint8_t *binfile_at_addr(const struct binfile *b, uint64_t addr, uint64_t n);

/*
 * The first difference between two files: the section holding it, and the
 * offset. Bytes outside every section are named "(headers)" (before the
 * first section's bytes: the ELF and program headers), "(section headers)"
 * (the section header table) or "(between sections)" (padding); a length
 * difference past the common part is "(end of file)"; a section without a
 * name is "(section N)".
 */
struct bin_diff {
	int same;         /* 1: byte-identical */
	uint64_t offset;  /* file offset of the first differing byte (or the shorter length) */
	char section[64]; /* the section of a that holds offset, or one of the names above */
	uint64_t section_offset; /* offset within that section or region (0 for "(end of file)") */
};
void binfile_compare(const struct binfile *a, const struct binfile *b, struct bin_diff *d);

#endif
