/*
 * elf.c - binfile.h for ELF: ELF32 and ELF64, either byte order. The
 * header, the section headers and their names, and the symbol table (.symtab,
 * else .dynsym) are read from a buffer holding the whole file; every offset,
 * size, count and index taken from the file is checked against that buffer
 * (with arithmetic that cannot overflow) before it is used, so that a
 * truncated or hostile file is refused with one line and every loop is
 * bounded by the file size.
 *
 * Extended section numbering (SHN_XINDEX: the section count and the name
 * table index in section header 0, symbol section indexes in a
 * SHT_SYMTAB_SHNDX section) is supported.
 *
 * The format-independent parts of binfile.h (open, release, lookups,
 * compare) live here too while ELF is the only format.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "verify/binfile.h"

/* What we use of the ELF specification (not <elf.h>: some are too new for it). */
enum {
	EI_NIDENT = 16,
	ELFCLASS32 = 1,
	ELFCLASS64 = 2,
	ELFDATA2LSB = 1,
	ELFDATA2MSB = 2,
	EV_CURRENT = 1,

	SHN_UNDEF = 0,
	SHN_LORESERVE = 0xff00,
	SHN_ABS = 0xfff1,
	SHN_COMMON = 0xfff2,
	SHN_XINDEX = 0xffff,

	SHT_NULL = 0,
	SHT_SYMTAB = 2,
	SHT_NOBITS = 8,
	SHT_DYNSYM = 11,
	SHT_SYMTAB_SHNDX = 18,

	SHF_WRITE = 0x1,
	SHF_ALLOC = 0x2,
	SHF_EXECINSTR = 0x4,

	STT_SECTION = 3,
	STT_FILE = 4,
	STB_GLOBAL = 1,
	STB_WEAK = 2,

	EM_386 = 3,
	EM_MIPS = 8,
	EM_PPC64 = 21,
	EM_S390 = 22,
	EM_ARM = 40,
	EM_X86_64 = 62,
	EM_AARCH64 = 183,
	EM_RISCV = 243,
	EM_LOONGARCH = 258,
};

#define ELF_MAX_SECTIONS (1u << 20) /* far above any real executable */
#define ELF_MAX_SYMBOLS  (1u << 24) /* a large Go binary has a few 100k */

/* The file being parsed, and where a failure goes. */
struct elf {
	struct binfile *b;
	const uint8_t *p;
	size_t len;
	int is64, be;
	const char *name;
	char **cause;
	uint64_t shoff; /* section header table: offset, entry size, count */
	uint64_t shentsize;
	uint64_t shnum;
};

static PRINTF_LIKE(2, 3) int fail(struct elf *e, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	strbuf_addf(&sb, "%s: ", e->name);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	*e->cause = strbuf_detach(&sb, NULL);
	return -1;
}

/* A name from the file fit for a one-line message: at most 40 bytes, controls as '?'. */
static const char *shown(const char *s, char buf[48])
{
	size_t i = 0;
	for (; s[i] && i < 40; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (s[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* Whether [off, off+n) lies inside a buffer of len bytes, without overflowing. */
static int in_bounds(uint64_t off, uint64_t n, uint64_t len)
{
	return off <= len && n <= len - off;
}

/* Reads an integer of n bytes at off (the caller checked the bounds). */
static uint64_t rd(const struct elf *e, uint64_t off, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned k = e->be ? i : n - 1 - i;
		v = v << 8 | e->p[off + k];
	}
	return v;
}

static uint64_t rd16(const struct elf *e, uint64_t off)
{
	return rd(e, off, 2);
}

static uint64_t rd32(const struct elf *e, uint64_t off)
{
	return rd(e, off, 4);
}

/* An address-sized field: 4 or 8 bytes. */
static uint64_t rdw(const struct elf *e, uint64_t off)
{
	return rd(e, off, e->is64 ? 8 : 4);
}

/* One section header, decoded. */
struct shdr {
	uint32_t name, type, link;
	uint64_t flags, addr, offset, size, entsize;
};

static void read_shdr(const struct elf *e, uint64_t i, struct shdr *h)
{
	uint64_t o = e->shoff + i * e->shentsize;
	h->name = (uint32_t)rd32(e, o);
	h->type = (uint32_t)rd32(e, o + 4);
	if (e->is64) {
		h->flags = rd(e, o + 8, 8);
		h->addr = rd(e, o + 16, 8);
		h->offset = rd(e, o + 24, 8);
		h->size = rd(e, o + 32, 8);
		h->link = (uint32_t)rd32(e, o + 40);
		h->entsize = rd(e, o + 56, 8);
	} else {
		h->flags = rd32(e, o + 8);
		h->addr = rd32(e, o + 12);
		h->offset = rd32(e, o + 16);
		h->size = rd32(e, o + 20);
		h->link = (uint32_t)rd32(e, o + 24);
		h->entsize = rd32(e, o + 36);
	}
}

static int has_file_bytes(uint32_t type)
{
	return type != SHT_NOBITS && type != SHT_NULL;
}

/* GOARCH for e_machine, or "". */
static const char *goarch(uint16_t machine, int is64, int be)
{
	switch (machine) {
	case EM_X86_64:
		return "amd64";
	case EM_386:
		return "386";
	case EM_AARCH64:
		return "arm64";
	case EM_ARM:
		return "arm";
	case EM_RISCV:
		return is64 ? "riscv64" : "";
	case EM_PPC64:
		return be ? "ppc64" : "ppc64le";
	case EM_S390:
		return is64 ? "s390x" : "";
	case EM_MIPS:
		if (is64)
			return be ? "mips64" : "mips64le";
		return be ? "mips" : "mipsle";
	case EM_LOONGARCH:
		return is64 ? "loong64" : "";
	}
	return "";
}

/* The ELF header: identification, sanity, where the section header table is. */
static int parse_header(struct elf *e, uint64_t *shstrndx)
{
	const uint8_t *p = e->p;
	uint64_t ehsize;

	if (e->len < 4)
		return fail(e, "not an ELF file (%zu bytes)", e->len);
	if (memcmp(p,
	           "\x7f"
	           "ELF",
	           4))
		return fail(e, "not an ELF file (magic %02x %02x %02x %02x)", p[0], p[1], p[2],
		            p[3]);
	if (e->len < EI_NIDENT)
		return fail(e, "file shorter than the ELF identification (%zu bytes)", e->len);
	if (p[4] != ELFCLASS32 && p[4] != ELFCLASS64)
		return fail(e, "bad ELF class %u at offset 4", p[4]);
	if (p[5] != ELFDATA2LSB && p[5] != ELFDATA2MSB)
		return fail(e, "bad ELF data encoding %u at offset 5", p[5]);
	if (p[6] != EV_CURRENT)
		return fail(e, "bad ELF identification version %u at offset 6", p[6]);
	e->is64 = p[4] == ELFCLASS64;
	e->be = p[5] == ELFDATA2MSB;
	ehsize = e->is64 ? 64 : 52;
	if (e->len < ehsize)
		return fail(
		    e, "file shorter than the ELF header (%zu bytes, the header is %" PRIu64 ")",
		    e->len, ehsize);
	if (rd32(e, 20) != EV_CURRENT)
		return fail(e, "bad ELF version %" PRIu64 " at offset 20", rd32(e, 20));

	e->b->is64 = e->is64;
	e->b->big_endian = e->be;
	e->b->machine = (uint16_t)rd16(e, 18);
	snprintf(e->b->arch, sizeof(e->b->arch), "%s", goarch(e->b->machine, e->is64, e->be));

	e->shoff = rdw(e, e->is64 ? 40 : 32);
	e->shentsize = rd16(e, e->is64 ? 58 : 46);
	e->shnum = rd16(e, e->is64 ? 60 : 48);
	*shstrndx = rd16(e, e->is64 ? 62 : 50);

	if (!e->shoff) {
		if (e->shnum)
			return fail(
			    e, "e_shnum %" PRIu64 " without a section header table (e_shoff 0)",
			    e->shnum);
		return 0;
	}
	if (e->shentsize != (e->is64 ? 64u : 40u))
		return fail(e, "e_shentsize %" PRIu64 ", expected %u", e->shentsize,
		            e->is64 ? 64u : 40u);
	if (!in_bounds(e->shoff, e->shentsize, e->len))
		return fail(
		    e, "section header table at 0x%" PRIx64 " past the end of the file (%zu bytes)",
		    e->shoff, e->len);
	/* Extended numbering: the real values are in section header 0. */
	if (e->shnum == SHN_UNDEF || *shstrndx == SHN_XINDEX) {
		struct shdr h0;
		read_shdr(e, 0, &h0);
		if (e->shnum == SHN_UNDEF)
			e->shnum = h0.size;
		if (*shstrndx == SHN_XINDEX)
			*shstrndx = h0.link;
	}
	if (e->shnum > (e->len - e->shoff) / e->shentsize)
		return fail(e,
		            "section header table at 0x%" PRIx64 ": %" PRIu64 " headers of %" PRIu64
		            " bytes run past the end of the file (%zu bytes)",
		            e->shoff, e->shnum, e->shentsize, e->len);
	if (e->shnum > ELF_MAX_SECTIONS)
		return fail(e, "%" PRIu64 " sections, over the limit of %u", e->shnum,
		            ELF_MAX_SECTIONS);
	if (*shstrndx != SHN_UNDEF && *shstrndx >= e->shnum)
		return fail(e, "e_shstrndx %" PRIu64 " out of range (%" PRIu64 " sections)",
		            *shstrndx, e->shnum);
	return 0;
}

/*
 * The NUL-terminated string at off in a string table of size bytes at base,
 * or NULL with *why saying what is wrong with it.
 */
static const char *str_at(const struct elf *e, uint64_t base, uint64_t size, uint64_t off,
                          const char **why)
{
	*why = "past the end of";
	if (off >= size)
		return NULL;
	*why = "not NUL-terminated within";
	if (!memchr(e->p + base + off, '\0', size - off))
		return NULL;
	return (const char *)e->p + base + off;
}

/* The section headers: names, bounds, the flags binfile.h exposes. */
static int parse_sections(struct elf *e, uint64_t shstrndx)
{
	struct shdr strh = {0};
	struct binfile *b = e->b;

	if (shstrndx != SHN_UNDEF) {
		read_shdr(e, shstrndx, &strh);
		if (!has_file_bytes(strh.type))
			return fail(
			    e, "section name table (section %" PRIu64 ") has no bytes in the file",
			    shstrndx);
		if (!in_bounds(strh.offset, strh.size, e->len))
			return fail(e,
			            "section name table (section %" PRIu64 "): offset 0x%" PRIx64
			            " + size 0x%" PRIx64 " past the end of the file (%zu bytes)",
			            shstrndx, strh.offset, strh.size, e->len);
	}
	ARRAY_GROW(b->sections, e->shnum);
	for (uint64_t i = 0; i < e->shnum; i++) {
		struct shdr h;
		struct bin_section s = {0};
		const char *name = "", *why;
		char nb[48];

		read_shdr(e, i, &h);
		if (shstrndx != SHN_UNDEF) {
			name = str_at(e, strh.offset, strh.size, h.name, &why);
			if (!name)
				return fail(e,
				            "section header %" PRIu64 ": name at 0x%" PRIx32
				            " %s the section name table (%" PRIu64 " bytes)",
				            i, h.name, why, strh.size);
		}
		if (has_file_bytes(h.type) && !in_bounds(h.offset, h.size, e->len))
			return fail(e,
			            "section header %" PRIu64 " (%s): offset 0x%" PRIx64
			            " + size 0x%" PRIx64 " past the end of the file (%zu bytes)",
			            i, shown(name, nb), h.offset, h.size, e->len);
		s.name = xstrdup(name);
		s.addr = h.addr;
		s.offset = h.offset;
		s.in_file = has_file_bytes(h.type);
		s.size = s.in_file ? h.size : 0;
		s.mem_size = h.size;
		s.loaded = !!(h.flags & SHF_ALLOC);
		s.writable = !!(h.flags & SHF_WRITE);
		s.executable = !!(h.flags & SHF_EXECINSTR);
		ARRAY_PUSH(b->sections, s);
		if (starts_with(name, ".debug_") || starts_with(name, ".zdebug_"))
			b->has_dwarf = 1;
	}
	return 0;
}

/* nm's letter for a symbol defined in section shndx (uppercase; binding is separate). */
static char sym_kind(const struct binfile *b, uint64_t shndx)
{
	const struct bin_section *s;

	if (shndx == SHN_UNDEF)
		return 'U';
	if (shndx == SHN_COMMON)
		return 'B';
	if (shndx >= b->sections.n)
		return '?'; /* SHN_ABS and other reserved indexes, or a bad one */
	s = &b->sections.v[shndx];
	if (!s->loaded)
		return '?';
	if (!s->in_file)
		return 'B';
	if (s->executable)
		return 'T';
	return s->writable ? 'D' : 'R';
}

/* The symbols of section symidx (a SHT_SYMTAB or SHT_DYNSYM). */
static int parse_symbols(struct elf *e, uint64_t symidx)
{
	struct shdr h, strh, xh = {0};
	uint64_t entsize = e->is64 ? 24 : 16, count, xidx = 0;
	char nb[48];
	const char *secname = shown(e->b->sections.v[symidx].name, nb);

	read_shdr(e, symidx, &h);
	if (h.entsize != entsize)
		return fail(
		    e, "section %" PRIu64 " (%s): symbol entry size %" PRIu64 ", expected %" PRIu64,
		    symidx, secname, h.entsize, entsize);
	if (!has_file_bytes(h.type) || h.size % entsize)
		return fail(e,
		            "section %" PRIu64 " (%s): size %" PRIu64
		            " is not a whole number of symbols",
		            symidx, secname, h.size);
	count = h.size / entsize;
	if (count > ELF_MAX_SYMBOLS)
		return fail(e,
		            "section %" PRIu64 " (%s): %" PRIu64 " symbols, over the limit of %u",
		            symidx, secname, count, ELF_MAX_SYMBOLS);
	if (h.link == SHN_UNDEF || h.link >= e->shnum)
		return fail(e,
		            "section %" PRIu64 " (%s): string table link %" PRIu32
		            " out of range (%" PRIu64 " sections)",
		            symidx, secname, h.link, e->shnum);
	read_shdr(e, h.link, &strh);
	if (!has_file_bytes(strh.type))
		return fail(e,
		            "section %" PRIu64 " (%s): string table (section %" PRIu32
		            ") has no bytes in the file",
		            symidx, secname, h.link);
	/* Section indexes that do not fit in st_shndx are in a SHT_SYMTAB_SHNDX section. */
	for (uint64_t i = 1; i < e->shnum && !xidx; i++) {
		read_shdr(e, i, &xh);
		if (xh.type == SHT_SYMTAB_SHNDX && xh.link == symidx)
			xidx = i;
	}
	if (xidx && xh.size / 4 < count)
		return fail(e,
		            "section %" PRIu64 ": %" PRIu64 " extended section indexes for %" PRIu64
		            " symbols",
		            xidx, xh.size / 4, count);

	ARRAY_GROW(e->b->symbols, count);
	for (uint64_t i = 1; i < count; i++) {
		uint64_t o = h.offset + i * entsize, name, value, size, shndx;
		unsigned info;
		struct bin_symbol s;
		const char *str, *why;

		name = rd32(e, o);
		if (e->is64) {
			info = e->p[o + 4];
			shndx = rd16(e, o + 6);
			value = rd(e, o + 8, 8);
			size = rd(e, o + 16, 8);
		} else {
			value = rd32(e, o + 4);
			size = rd32(e, o + 8);
			info = e->p[o + 12];
			shndx = rd16(e, o + 14);
		}
		if ((info & 0xf) == STT_SECTION || (info & 0xf) == STT_FILE)
			continue;
		str = str_at(e, strh.offset, strh.size, name, &why);
		if (!str)
			return fail(e,
			            "%s symbol %" PRIu64 ": name at 0x%" PRIx64
			            " %s its string table (%" PRIu64 " bytes)",
			            secname, i, name, why, strh.size);
		if (!*str)
			continue;
		if (shndx == SHN_XINDEX) {
			if (!xidx)
				return fail(e,
				            "%s symbol %" PRIu64
				            ": SHN_XINDEX without a SHT_SYMTAB_SHNDX section",
				            secname, i);
			shndx = rd32(e, xh.offset + i * 4);
		}
		s.name = xstrdup(str);
		s.addr = value;
		s.size = size;
		s.kind = sym_kind(e->b, shndx);
		s.global = (info >> 4) == STB_GLOBAL || (info >> 4) == STB_WEAK;
		ARRAY_PUSH(e->b->symbols, s);
	}
	return 0;
}

/* Parses data (owned by b from now on, even on failure). */
static int parse_owned(struct binfile *b, uint8_t *data, size_t len, const char *name, char **cause)
{
	struct elf e = {.b = b, .p = data, .len = len, .name = name, .cause = cause};
	uint64_t shstrndx = 0, symidx = 0, dynidx = 0;

	memset(b, 0, sizeof(*b));
	b->format = BINFILE_ELF;
	b->name = xstrdup(name);
	b->data = data;
	b->len = len;
	if (parse_header(&e, &shstrndx) || (e.shoff && parse_sections(&e, shstrndx)))
		goto fail;
	for (uint64_t i = 1; i < e.shnum && !symidx; i++) {
		struct shdr h;
		read_shdr(&e, i, &h);
		if (h.type == SHT_SYMTAB)
			symidx = i;
		else if (h.type == SHT_DYNSYM && !dynidx)
			dynidx = i;
	}
	b->has_symtab = symidx != 0;
	if (!symidx)
		symidx = dynidx;
	if (symidx && parse_symbols(&e, symidx))
		goto fail;
	return 0;
fail:
	binfile_release(b);
	return -1;
}

int binfile_parse(struct binfile *b, const void *data, size_t len, const char *name, char **cause)
{
	uint8_t *copy;

	if (len > BINFILE_MAX) {
		memset(b, 0, sizeof(*b));
		*cause = xasprintf("%s: %zu bytes, over the limit of %llu MiB", name, len,
		                   BINFILE_MAX >> 20);
		return -1;
	}
	copy = xmalloc(len ? len : 1);
	if (len)
		memcpy(copy, data, len);
	return parse_owned(b, copy, len, name, cause);
}

int binfile_open(struct binfile *b, const char *path, char **cause)
{
	struct stat st;
	uint8_t *buf;
	size_t n = 0, want;
	int fd;

	memset(b, 0, sizeof(*b));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not block us */
	if (fd < 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*cause = xasprintf("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((unsigned long long)st.st_size > BINFILE_MAX) {
		*cause = xasprintf("%s: %lld bytes, over the limit of %llu MiB", path,
		                   (long long)st.st_size, BINFILE_MAX >> 20);
		close(fd);
		return -1;
	}
	want = (size_t)st.st_size;
	buf = xmalloc(want ? want : 1);
	while (n < want) {
		ssize_t r = read(fd, buf + n, want - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*cause = xasprintf("%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (r == 0)
			break; /* shrank while we read: parse what is there */
		n += (size_t)r;
	}
	close(fd);
	return parse_owned(b, buf, n, path, cause);
}

void binfile_release(struct binfile *b)
{
	for (size_t i = 0; i < b->sections.n; i++)
		free(b->sections.v[i].name);
	for (size_t i = 0; i < b->symbols.n; i++)
		free(b->symbols.v[i].name);
	ARRAY_FREE(b->sections);
	ARRAY_FREE(b->symbols);
	free(b->name);
	free((void *)b->data);
	memset(b, 0, sizeof(*b));
}

const struct bin_section *binfile_section(const struct binfile *b, const char *name)
{
	for (size_t i = 0; i < b->sections.n; i++)
		if (!strcmp(b->sections.v[i].name, name))
			return &b->sections.v[i];
	return NULL;
}

const uint8_t *binfile_at_addr(const struct binfile *b, uint64_t addr, uint64_t n)
{
	for (size_t i = 0; i < b->sections.n; i++) {
		const struct bin_section *s = &b->sections.v[i];
		if (!s->loaded || !s->in_file || !s->size || addr < s->addr)
			continue;
		if (in_bounds(addr - s->addr, n, s->size))
			return b->data + s->offset + (addr - s->addr);
	}
	return NULL;
}

/* The section header table's place in b (validated when b was parsed), for compare. */
static void shtab_range(const struct binfile *b, uint64_t *off, uint64_t *size)
{
	struct elf e = {.p = b->data, .len = b->len, .is64 = b->is64, .be = b->big_endian};
	*off = *size = 0;
	if (b->format != BINFILE_ELF || b->len < (b->is64 ? 64u : 52u))
		return;
	*off = rdw(&e, b->is64 ? 40 : 32);
	*size = (uint64_t)b->sections.n * (b->is64 ? 64 : 40);
}

/* Names the place of file offset off in b. */
static void locate(const struct binfile *b, uint64_t off, struct bin_diff *d)
{
	uint64_t first = UINT64_MAX, shoff, shsize;

	for (size_t i = 0; i < b->sections.n; i++) {
		const struct bin_section *s = &b->sections.v[i];
		if (!s->in_file || !s->size)
			continue;
		if (s->offset < first)
			first = s->offset;
		if (off >= s->offset && off - s->offset < s->size) {
			if (s->name[0])
				snprintf(d->section, sizeof(d->section), "%s", s->name);
			else
				snprintf(d->section, sizeof(d->section), "(section %zu)", i);
			d->section_offset = off - s->offset;
			return;
		}
	}
	shtab_range(b, &shoff, &shsize);
	if (shsize && off >= shoff && off - shoff < shsize) {
		snprintf(d->section, sizeof(d->section), "(section headers)");
		d->section_offset = off - shoff;
	} else if (off < first) {
		snprintf(d->section, sizeof(d->section), "(headers)");
		d->section_offset = off;
	} else {
		snprintf(d->section, sizeof(d->section), "(between sections)");
		d->section_offset = off;
	}
}

void binfile_compare(const struct binfile *a, const struct binfile *b, struct bin_diff *d)
{
	size_t n = a->len < b->len ? a->len : b->len, i = 0;

	memset(d, 0, sizeof(*d));
	/* Whole blocks first: memcmp is much faster than a byte loop. */
	while (i < n) {
		size_t k = n - i < 4096 ? n - i : 4096;
		if (memcmp(a->data + i, b->data + i, k))
			break;
		i += k;
	}
	while (i < n && a->data[i] == b->data[i])
		i++;
	if (i < n) {
		d->offset = i;
		locate(a, i, d);
		return;
	}
	if (a->len == b->len) {
		d->same = 1;
		return;
	}
	d->offset = n;
	snprintf(d->section, sizeof(d->section), "(end of file)");
}
