/*
 * buildinfo.c - the Go build information of a binary (buildinfo.h): the
 * blob found as Go's debug/buildinfo finds it, the module info text parsed
 * as runtime/debug.ParseBuildInfo parses it (same acceptance, same quoting
 * rules), and printed back as `go version -m` prints it.
 *
 * Go's quoting (strconv.Quote / strconv.Unquote) is re-implemented for what
 * the module info can hold: "..." with Go's escapes and `...` raw strings,
 * and Go's notion of a printable rune (the table at the end of the file).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify/buildinfo.h"

#define MAGIC        "\xff Go buildinf:"
#define MAGIC_LEN    14
#define HEADER_LEN   32         /* magic, pointer size, flags, two pointers (or padding) */
#define BLOB_ALIGN   16         /* the linker aligns the blob */
#define STRING_MAX   (1u << 20) /* the version or the module info: a longer one is refused */
#define SENTINEL_LEN 16         /* cmd/go's infoStart / infoEnd around the module info */

static int is_print(uint32_t r);

/* The file's name for a cause. */
#define NAME(b) ((b)->name ? (b)->name : "(binary)")

/* ---- UTF-8, as Go's unicode/utf8 sees it ---------------------------------------------- */

#define RUNE_ERROR 0xfffdu

/* The rune at s[0..n) (n > 0) and its width; (RUNE_ERROR, 1) when not valid UTF-8. */
static uint32_t decode_rune(const unsigned char *s, size_t n, size_t *width)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need;
	uint32_t r;

	*width = 1;
	if (c < 0x80)
		return c;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		r = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		r = c & 0x0f;
		lo = c == 0xe0 ? 0xa0 : lo; /* no overlong forms */
		hi = c == 0xed ? 0x9f : hi; /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		r = c & 0x07;
		lo = c == 0xf0 ? 0x90 : lo;
		hi = c == 0xf4 ? 0x8f : hi; /* nothing above U+10FFFF */
	} else {
		return RUNE_ERROR;
	}
	if (n < need || s[1] < lo || s[1] > hi)
		return RUNE_ERROR;
	r = r << 6 | (s[1] & 0x3f);
	for (size_t i = 2; i < need; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return RUNE_ERROR;
		r = r << 6 | (s[i] & 0x3f);
	}
	*width = need;
	return r;
}

static int valid_rune(uint32_t r)
{
	return r <= 0x10ffff && !(r >= 0xd800 && r <= 0xdfff);
}

static int valid_utf8(const char *s, size_t n)
{
	for (size_t i = 0, w; i < n; i += w)
		if (decode_rune((const unsigned char *)s + i, n - i, &w) == RUNE_ERROR && w == 1)
			return 0;
	return 1;
}

/* Appends r (a valid rune) as UTF-8. */
static void encode_rune(struct strbuf *out, uint32_t r)
{
	if (r < 0x80) {
		strbuf_addch(out, (int)r);
	} else if (r < 0x800) {
		strbuf_addch(out, (int)(0xc0 | r >> 6));
		strbuf_addch(out, (int)(0x80 | (r & 0x3f)));
	} else if (r < 0x10000) {
		strbuf_addch(out, (int)(0xe0 | r >> 12));
		strbuf_addch(out, (int)(0x80 | (r >> 6 & 0x3f)));
		strbuf_addch(out, (int)(0x80 | (r & 0x3f)));
	} else {
		strbuf_addch(out, (int)(0xf0 | r >> 18));
		strbuf_addch(out, (int)(0x80 | (r >> 12 & 0x3f)));
		strbuf_addch(out, (int)(0x80 | (r >> 6 & 0x3f)));
		strbuf_addch(out, (int)(0x80 | (r & 0x3f)));
	}
}

/* ---- Go's quoting ----------------------------------------------------------------------- */

/*
 * Appends s[0..n) as strconv.Quote writes it: printable runes as they are,
 * the C-like escapes, \xNN for other bytes below 0x80 and for bytes that
 * are not UTF-8, \uNNNN / \UNNNNNNNN for other runes.
 */
static void quote(struct strbuf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	strbuf_addch(out, '"');
	for (size_t i = 0, w; i < n; i += w) {
		uint32_t r = decode_rune((const unsigned char *)s + i, n - i, &w);
		if (r == RUNE_ERROR && w == 1) {
			strbuf_addf(out, "\\x%c%c", hex[(unsigned char)s[i] >> 4],
			            hex[(unsigned char)s[i] & 0xf]);
			continue;
		}
		if (r == '"' || r == '\\') {
			strbuf_addch(out, '\\');
			strbuf_addch(out, (int)r);
		} else if (is_print(r)) {
			strbuf_add(out, s + i, w);
		} else if (r >= '\a' && r <= '\r') { /* \a \b \t \n \v \f \r */
			strbuf_addch(out, '\\');
			strbuf_addch(out, "abtnvfr"[r - '\a']);
		} else if (r < ' ' || r == 0x7f) {
			strbuf_addf(out, "\\x%c%c", hex[r >> 4], hex[r & 0xf]);
		} else if (r < 0x10000) {
			strbuf_addf(out, "\\u%04" PRIx32, r);
		} else {
			strbuf_addf(out, "\\U%08" PRIx32, r);
		}
	}
	strbuf_addch(out, '"');
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * strconv.UnquoteChar inside a "..." literal: decodes the character or
 * escape at s[0..n) and appends its value to out. Its length, or 0 when it
 * is not a valid one.
 */
static size_t unquote_char(const char *s, size_t n, struct strbuf *out)
{
	static const char esc[] = "abfnrtv", val[] = "\a\b\f\n\r\t\v";
	uint32_t v = 0;
	size_t len, w;
	const char *e;
	char c;

	if ((unsigned char)s[0] >= 0x80) { /* a rune; not UTF-8 gives U+FFFD */
		v = decode_rune((const unsigned char *)s, n, &w);
		encode_rune(out, v);
		return w;
	}
	if (s[0] != '\\') {
		strbuf_addch(out, s[0]);
		return 1;
	}
	if (n < 2)
		return 0;
	c = s[1];
	if (c && (e = strchr(esc, c))) {
		strbuf_addch(out, val[e - esc]);
		return 2;
	}
	switch (c) {
	case 'x':
	case 'u':
	case 'U':
		len = c == 'x' ? 2 : c == 'u' ? 4 : 8;
		if (n - 2 < len)
			return 0;
		for (size_t j = 0; j < len; j++) {
			int h = hexval(s[2 + j]);
			if (h < 0)
				return 0;
			v = v << 4 | (uint32_t)h;
		}
		if (c == 'x') {
			strbuf_addch(out, (int)v); /* one byte, UTF-8 or not */
		} else {
			if (!valid_rune(v))
				return 0;
			encode_rune(out, v);
		}
		return 2 + len;
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
		if (n < 4)
			return 0;
		v = (uint32_t)(c - '0');
		for (size_t j = 2; j < 4; j++) {
			if (s[j] < '0' || s[j] > '7')
				return 0;
			v = v << 3 | (uint32_t)(s[j] - '0');
		}
		if (v > 255)
			return 0;
		strbuf_addch(out, (int)v);
		return 4;
	case '\\':
	case '"':
		strbuf_addch(out, c);
		return 2;
	}
	return 0; /* \' is not valid in "...", nor any other letter */
}

/* Drops what was appended to out past len. */
static void truncate_to(struct strbuf *out, size_t len)
{
	if (out->alloc) {
		out->len = len;
		out->buf[len] = '\0';
	}
}

/*
 * The Go string literal ("..." or `...`) at the start of s[0..n), as
 * strconv.QuotedPrefix and strconv.Unquote see it: appends its value to
 * out and returns its length, or 0 when s does not start with a valid one.
 */
static size_t unquote_prefix(const char *s, size_t n, struct strbuf *out)
{
	const char *end;
	size_t i, len, start = out->len;

	if (n < 2 || (s[0] != '"' && s[0] != '`'))
		return 0;
	end = memchr(s + 1, s[0], n - 1);
	if (!end)
		return 0;
	len = (size_t)(end - s) + 1;
	if (s[0] == '`') {
		for (i = 1; i + 1 < len; i++)
			if (s[i] != '\r') /* dropped from raw strings */
				strbuf_addch(out, s[i]);
		return len;
	}
	if (!memchr(s, '\\', len) && !memchr(s, '\n', len) && valid_utf8(s + 1, len - 2)) {
		strbuf_add(out, s + 1, len - 2);
		return len;
	}
	for (i = 1; i < n && s[i] != '"';) {
		size_t w = s[i] == '\n' ? 0 : unquote_char(s + i, n - i, out);
		if (!w) {
			truncate_to(out, start);
			return 0;
		}
		i += w;
	}
	if (i >= n) {
		truncate_to(out, start);
		return 0;
	}
	return i + 1;
}

/* runtime/debug's quoteKey and quoteValue: whether go quotes it when printing. */
static int needs_quote(const char *s, int is_key)
{
	return (is_key && (!*s || strchr(s, '='))) || strpbrk(s, " \t\r\n\"`");
}

/* ---- the module info ----------------------------------------------------------------------- */

static void module_release(struct bi_module *m)
{
	free(m->path);
	free(m->version);
	free(m->sum);
	if (m->replace) {
		module_release(m->replace);
		free(m->replace);
	}
	memset(m, 0, sizeof(*m));
}

/* The number of tab-separated columns of s[0..n). */
static size_t columns(const char *s, size_t n)
{
	size_t c = 1;
	for (const char *p = s; (p = memchr(p, '\t', n - (size_t)(p - s))); p++)
		c++;
	return c;
}

/* Fills m from "path\tversion[\tsum]" (columns already counted: 2 or 3). */
static void module_fill(struct bi_module *m, const char *s, size_t n)
{
	const char *t1 = memchr(s, '\t', n), *end = s + n, *t2;

	t2 = memchr(t1 + 1, '\t', (size_t)(end - t1 - 1));
	m->path = xstrndup(s, (size_t)(t1 - s));
	if (t2) {
		m->version = xstrndup(t1 + 1, (size_t)(t2 - t1 - 1));
		m->sum = xstrndup(t2 + 1, (size_t)(end - t2 - 1));
	} else {
		m->version = xstrndup(t1 + 1, (size_t)(end - t1 - 1));
		m->sum = xstrdup("");
	}
}

/* A bounded, quoted excerpt of s[0..n) for a message. */
static void excerpt(struct strbuf *msg, const char *s, size_t n)
{
	quote(msg, s, n < 64 ? n : 64);
	if (n > 64)
		strbuf_addstr(msg, "...");
}

/*
 * One "build\t" line's key=value (kv[0..n), n > 0 checked by the caller
 * for Go's message). 0, or -1 with msg.
 */
static int parse_setting(struct buildinfo *bi, const char *kv, size_t n, struct strbuf *msg)
{
	struct strbuf key = STRBUF_INIT, value = STRBUF_INIT;
	const char *raw;
	size_t rawlen;

	if (kv[0] == '=') {
		strbuf_addstr(msg, "build line with missing key");
		goto fail;
	}
	if (kv[0] == '"' || kv[0] == '`') {
		size_t k = unquote_prefix(kv, n, &key);
		if (!k) {
			strbuf_addstr(msg, "invalid quoted key in build line");
			goto fail;
		}
		if (k == n) {
			strbuf_addstr(msg, "build line missing '=' after quoted key");
			goto fail;
		}
		if (kv[k] != '=') {
			strbuf_addstr(msg, "unexpected character after quoted key: ");
			excerpt(msg, kv + k, 1);
			goto fail;
		}
		raw = kv + k + 1;
	} else {
		const char *eq = memchr(kv, '=', n);
		if (!eq) {
			strbuf_addstr(msg, "build line missing '=' after key");
			goto fail;
		}
		strbuf_add(&key, kv, (size_t)(eq - kv));
		if (needs_quote(key.buf, 1)) {
			strbuf_addstr(msg, "unquoted key ");
			excerpt(msg, key.buf, key.len);
			strbuf_addstr(msg, " must be quoted");
			goto fail;
		}
		raw = eq + 1;
	}
	rawlen = n - (size_t)(raw - kv);
	if (rawlen && (raw[0] == '"' || raw[0] == '`')) {
		if (unquote_prefix(raw, rawlen, &value) != rawlen) {
			strbuf_addstr(msg, "invalid quoted value in build line");
			goto fail;
		}
	} else {
		strbuf_add(&value, raw, rawlen);
		if (needs_quote(value.buf, 0)) {
			strbuf_addstr(msg, "unquoted value ");
			excerpt(msg, value.buf, value.len);
			strbuf_addstr(msg, " must be quoted");
			goto fail;
		}
	}
	if (strlen(key.buf) != key.len || strlen(value.buf) != value.len) {
		strbuf_addstr(msg, "NUL byte in a quoted key or value");
		goto fail;
	}
	{
		struct bi_setting s = {strbuf_detach(&key, NULL), strbuf_detach(&value, NULL)};
		ARRAY_PUSH(bi->settings, s);
	}
	return 0;
fail:
	strbuf_release(&key);
	strbuf_release(&value);
	return -1;
}

int buildinfo_parse_modinfo(struct buildinfo *bi, const char *text, size_t len, char **cause)
{
	struct strbuf msg = STRBUF_INIT;
	const char *p = text, *end = text + len;
	struct bi_module *last = NULL; /* the module an "=>" line would replace */
	size_t lineno = 1;

	while (p < end) {
		const char *line = p, *nl = memchr(p, '\n', (size_t)(end - p)), *rest;
		size_t n, cols;

		if (!nl)
			break; /* an unterminated last line is ignored, as go does */
		n = (size_t)(nl - line);
		p = nl + 1;
		if (memchr(line, '\0', n) &&
		    (starts_with(line, "path\t") || starts_with(line, "mod\t") ||
		     starts_with(line, "dep\t") || starts_with(line, "=>\t") ||
		     starts_with(line, "build\t"))) {
			strbuf_addstr(&msg, "NUL byte");
			goto fail;
		}
		/* starts_with stops at a NUL: safe on the bytes of a line. */
		if (n >= 5 && starts_with(line, "path\t")) {
			free(bi->path);
			bi->path = xstrndup(line + 5, n - 5);
		} else if (n >= 4 && starts_with(line, "mod\t")) {
			rest = line + 4;
			cols = columns(rest, n - 4);
			if (cols != 2 && cols != 3) {
				strbuf_addf(&msg, "expected 2 or 3 columns; got %zu", cols);
				goto fail;
			}
			module_release(&bi->main);
			module_fill(&bi->main, rest, n - 4);
			last = &bi->main;
		} else if (n >= 4 && starts_with(line, "dep\t")) {
			struct bi_module m = {0};
			rest = line + 4;
			cols = columns(rest, n - 4);
			if (cols != 2 && cols != 3) {
				strbuf_addf(&msg, "expected 2 or 3 columns; got %zu", cols);
				goto fail;
			}
			module_fill(&m, rest, n - 4);
			ARRAY_PUSH(bi->deps, m);
			last = &bi->deps.v[bi->deps.n - 1];
		} else if (n >= 3 && starts_with(line, "=>\t")) {
			rest = line + 3;
			cols = columns(rest, n - 3);
			if (cols != 3) {
				strbuf_addf(&msg, "expected 3 columns for replacement; got %zu",
				            cols);
				goto fail;
			}
			if (!last) {
				strbuf_addstr(&msg, "replacement with no module on previous line");
				goto fail;
			}
			last->replace = xcalloc(1, sizeof(*last->replace));
			module_fill(last->replace, rest, n - 3);
			last = NULL;
		} else if (n >= 6 && starts_with(line, "build\t")) {
			if (n == 6) {
				strbuf_addstr(&msg, "build line missing '='");
				goto fail;
			}
			if (parse_setting(bi, line + 6, n - 6, &msg))
				goto fail;
		}
		lineno++;
	}
	return 0;
fail:
	*cause = xasprintf("line %zu: %s", lineno, msg.buf);
	strbuf_release(&msg);
	buildinfo_release(bi);
	return -1;
}

/* ---- finding and decoding the blob ------------------------------------------------------ */

/*
 * The first blob in file bytes [from, to): the magic at a 16-byte aligned
 * file offset with room for the header. 1 with *blob / *avail (bytes up to
 * to), or 0.
 */
static int search(const struct binfile *b, size_t from, size_t to, const uint8_t **blob,
                  size_t *avail)
{
	while (from < to) {
		const uint8_t *m = memmem(b->data + from, to - from, MAGIC, MAGIC_LEN);
		size_t off;
		if (!m)
			return 0;
		off = (size_t)(m - b->data);
		if (off % BLOB_ALIGN == 0 && to - off >= HEADER_LEN) {
			*blob = m;
			*avail = to - off;
			return 1;
		}
		from = off + 1;
	}
	return 0;
}

/*
 * Where the blob is: at the start of .go.buildinfo, else in the first
 * writable data section that has one (where Go's own reader looks), else
 * anywhere in the file. 1, 0 (none), or -1 with *cause.
 */
static int find_blob(const struct binfile *b, const uint8_t **blob, size_t *avail, char **cause)
{
	const struct bin_section *s = binfile_section(b, ".go.buildinfo");

	if (s && s->in_file && s->size >= MAGIC_LEN &&
	    !memcmp(b->data + s->offset, MAGIC, MAGIC_LEN)) {
		if (s->size < HEADER_LEN) {
			*cause = xasprintf("%s: Go build info: section .go.buildinfo is %" PRIu64
			                   " bytes, shorter than the %d-byte header",
			                   NAME(b), s->size, HEADER_LEN);
			return -1;
		}
		*blob = b->data + s->offset;
		*avail = (size_t)s->size;
		return 1;
	}
	for (size_t i = 0; i < b->sections.n; i++) {
		s = &b->sections.v[i];
		if (s->in_file && s->loaded && s->writable && !s->executable &&
		    search(b, (size_t)s->offset, (size_t)(s->offset + s->size), blob, avail))
			return 1;
	}
	return search(b, 0, b->len, blob, avail);
}

/* Go's binary.Uvarint: 0 with *v and *used, or -1 (runs past n, or overflows 64 bits). */
static int uvarint(const uint8_t *p, size_t n, uint64_t *v, size_t *used)
{
	uint64_t x = 0;
	unsigned shift = 0;

	for (size_t i = 0; i < n && i < 10; i++) {
		if (p[i] < 0x80) {
			if (i == 9 && p[i] > 1)
				return -1;
			*v = x | (uint64_t)p[i] << shift;
			*used = i + 1;
			return 0;
		}
		x |= (uint64_t)(p[i] & 0x7f) << shift;
		shift += 7;
	}
	return -1;
}

/* An inline string (Go >= 1.18): a uvarint length, then the bytes, all inside [*p, *p + *left). */
static int inline_string(const uint8_t **p, size_t *left, const char *what, const uint8_t **s,
                         size_t *n, const char *name, size_t at, char **cause)
{
	uint64_t len;
	size_t used;

	if (uvarint(*p, *left, &len, &used)) {
		*cause =
		    xasprintf("%s: Go build info at file offset 0x%zx: the %s length runs past the "
		              "end of the data or overflows",
		              name, at, what);
		return -1;
	}
	if (len > STRING_MAX) {
		*cause = xasprintf("%s: Go build info at file offset 0x%zx: %s length %" PRIu64
		                   " over the limit of %u",
		                   name, at, what, len, STRING_MAX);
		return -1;
	}
	if (len > *left - used) {
		*cause = xasprintf("%s: Go build info at file offset 0x%zx: %s of %" PRIu64
		                   " bytes runs past the end of the data (%zu bytes left)",
		                   name, at, what, len, *left - used);
		return -1;
	}
	*s = *p + used;
	*n = (size_t)len;
	*p += used + len;
	*left -= used + len;
	return 0;
}

static uint64_t read_ptr(const uint8_t *p, unsigned size, int be)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v = v << 8 | p[be ? i : size - 1 - i];
	return v;
}

/* A pointer-based string: addr holds a Go string header {data, len} of pointer-size words. */
static int pointed_string(const struct binfile *b, uint64_t addr, unsigned ptrsize, int be,
                          const char *what, const uint8_t **s, size_t *n, char **cause)
{
	const uint8_t *hdr = binfile_at_addr(b, addr, 2 * (uint64_t)ptrsize);
	uint64_t data, len;

	if (!hdr) {
		*cause = xasprintf("%s: Go build info: the %s string header at 0x%" PRIx64
		                   " is outside every section",
		                   NAME(b), what, addr);
		return -1;
	}
	data = read_ptr(hdr, ptrsize, be);
	len = read_ptr(hdr + ptrsize, ptrsize, be);
	if (len > STRING_MAX) {
		*cause = xasprintf("%s: Go build info: %s length %" PRIu64 " over the limit of %u",
		                   NAME(b), what, len, STRING_MAX);
		return -1;
	}
	*n = (size_t)len;
	*s = len ? binfile_at_addr(b, data, len) : (const uint8_t *)"";
	if (!*s) {
		*cause = xasprintf("%s: Go build info: the %s (%" PRIu64 " bytes at 0x%" PRIx64
		                   ") is outside every section",
		                   NAME(b), what, len, data);
		return -1;
	}
	return 0;
}

int buildinfo_read(const struct binfile *b, struct buildinfo *bi, char **cause)
{
	const uint8_t *blob, *vers, *mod;
	size_t avail, vlen, mlen, at;
	unsigned ptrsize;
	char *c = NULL;
	int r;

	memset(bi, 0, sizeof(*bi));
	r = find_blob(b, &blob, &avail, cause);
	if (r <= 0)
		return r;
	at = (size_t)(blob - b->data);
	ptrsize = blob[MAGIC_LEN];
	if (blob[MAGIC_LEN + 1] & 2) {
		const uint8_t *p = blob + HEADER_LEN;
		size_t left = avail - HEADER_LEN;
		if (inline_string(&p, &left, "Go version", &vers, &vlen, NAME(b), at, cause) ||
		    inline_string(&p, &left, "module info", &mod, &mlen, NAME(b), at, cause))
			return -1;
		bi->inline_format = 1;
	} else {
		int be = blob[MAGIC_LEN + 1] & 1;
		if (ptrsize != 4 && ptrsize != 8) {
			*cause =
			    xasprintf("%s: Go build info at file offset 0x%zx: pointer size %u, "
			              "expected 4 or 8",
			              NAME(b), at, ptrsize);
			return -1;
		}
		if (pointed_string(b, read_ptr(blob + 16, ptrsize, be), ptrsize, be, "Go version",
		                   &vers, &vlen, cause) ||
		    pointed_string(b, read_ptr(blob + 16 + ptrsize, ptrsize, be), ptrsize, be,
		                   "module info", &mod, &mlen, cause))
			return -1;
	}
	if (!vlen || memchr(vers, '\0', vlen) || memchr(vers, '\n', vlen)) {
		*cause = xasprintf("%s: Go build info at file offset 0x%zx: %s Go version", NAME(b),
		                   at, vlen ? "a NUL or newline in the" : "an empty");
		return -1;
	}
	/* The module info is framed by 16-byte sentinels; without them there is none (as go). */
	if (mlen >= 2 * SENTINEL_LEN + 1 && mod[mlen - SENTINEL_LEN - 1] == '\n') {
		if (buildinfo_parse_modinfo(bi, (const char *)mod + SENTINEL_LEN,
		                            mlen - 2 * SENTINEL_LEN, &c)) {
			*cause = xasprintf("%s: Go build info at file offset 0x%zx: module info %s",
			                   NAME(b), at, c);
			free(c);
			return -1;
		}
	}
	bi->go_version = xstrndup((const char *)vers, vlen);
	return 1;
}

const char *buildinfo_setting(const struct buildinfo *bi, const char *key)
{
	for (size_t i = 0; i < bi->settings.n; i++)
		if (!strcmp(bi->settings.v[i].key, key))
			return bi->settings.v[i].value;
	return NULL;
}

/* ---- printing as `go version -m` ---------------------------------------------------------- */

static const char *str(const char *s)
{
	return s ? s : "";
}

/* runtime/debug's formatMod: a replaced module is followed by its "=>" line and a blank line. */
static void format_module(struct strbuf *sb, const char *word, const struct bi_module *m)
{
	strbuf_addf(sb, "%s\t%s\t%s", word, str(m->path), str(m->version));
	if (!m->replace) {
		strbuf_addch(sb, '\t');
		strbuf_addstr(sb, str(m->sum));
	} else {
		strbuf_addch(sb, '\n');
		format_module(sb, "=>", m->replace);
	}
	strbuf_addch(sb, '\n');
}

void buildinfo_format_m(const struct buildinfo *bi, const char *file, struct strbuf *out)
{
	struct strbuf mod = STRBUF_INIT;
	const struct bi_module *m = &bi->main;

	/* BuildInfo.String() without the go line ... */
	if (bi->path && *bi->path)
		strbuf_addf(&mod, "path\t%s\n", bi->path);
	if (*str(m->path) || *str(m->version) || *str(m->sum) || m->replace)
		format_module(&mod, "mod", m);
	for (size_t i = 0; i < bi->deps.n; i++)
		format_module(&mod, "dep", &bi->deps.v[i]);
	for (size_t i = 0; i < bi->settings.n; i++) {
		const struct bi_setting *s = &bi->settings.v[i];
		strbuf_addstr(&mod, "build\t");
		if (needs_quote(s->key, 1))
			quote(&mod, s->key, strlen(s->key));
		else
			strbuf_addstr(&mod, s->key);
		strbuf_addch(&mod, '=');
		if (needs_quote(s->value, 0))
			quote(&mod, s->value, strlen(s->value));
		else
			strbuf_addstr(&mod, s->value);
		strbuf_addch(&mod, '\n');
	}
	/* ... indented by a tab, under the "FILE: VERSION" line. */
	strbuf_addf(out, "%s: %s\n", file, str(bi->go_version));
	if (mod.len) {
		strbuf_addch(out, '\t');
		for (size_t i = 0; i + 1 < mod.len; i++) {
			strbuf_addch(out, mod.buf[i]);
			if (mod.buf[i] == '\n')
				strbuf_addch(out, '\t');
		}
		strbuf_addch(out, '\n');
	}
	strbuf_release(&mod);
}

void buildinfo_release(struct buildinfo *bi)
{
	free(bi->go_version);
	free(bi->path);
	module_release(&bi->main);
	for (size_t i = 0; i < bi->deps.n; i++)
		module_release(&bi->deps.v[i]);
	ARRAY_FREE(bi->deps);
	for (size_t i = 0; i < bi->settings.n; i++) {
		free(bi->settings.v[i].key);
		free(bi->settings.v[i].value);
	}
	ARRAY_FREE(bi->settings);
	memset(bi, 0, sizeof(*bi));
}

/* ---- Go's printable runes ---------------------------------------------------------------- */

/*
 * The runes from U+0080 up that Go's strconv.IsPrint accepts (letters,
 * marks, numbers, punctuation, symbols and U+0020: Unicode 13.0 as in Go
 * 1.19), as inclusive [first, last] pairs in order. Generated with:
 *   for r := rune(0x80); r <= 0x10ffff; r++ { ... strconv.IsPrint(r) ... }
 * printing the first and last rune of each run.
 */
static const uint32_t print_ranges[] = {
    0xa1,    0xac,    0xae,    0x377,   0x37a,   0x37f,   0x384,   0x38a,   0x38c,   0x38c,
    0x38e,   0x3a1,   0x3a3,   0x52f,   0x531,   0x556,   0x559,   0x58a,   0x58d,   0x58f,
    0x591,   0x5c7,   0x5d0,   0x5ea,   0x5ef,   0x5f4,   0x606,   0x61b,   0x61e,   0x6dc,
    0x6de,   0x70d,   0x710,   0x74a,   0x74d,   0x7b1,   0x7c0,   0x7fa,   0x7fd,   0x82d,
    0x830,   0x83e,   0x840,   0x85b,   0x85e,   0x85e,   0x860,   0x86a,   0x8a0,   0x8b4,
    0x8b6,   0x8c7,   0x8d3,   0x8e1,   0x8e3,   0x983,   0x985,   0x98c,   0x98f,   0x990,
    0x993,   0x9a8,   0x9aa,   0x9b0,   0x9b2,   0x9b2,   0x9b6,   0x9b9,   0x9bc,   0x9c4,
    0x9c7,   0x9c8,   0x9cb,   0x9ce,   0x9d7,   0x9d7,   0x9dc,   0x9dd,   0x9df,   0x9e3,
    0x9e6,   0x9fe,   0xa01,   0xa03,   0xa05,   0xa0a,   0xa0f,   0xa10,   0xa13,   0xa28,
    0xa2a,   0xa30,   0xa32,   0xa33,   0xa35,   0xa36,   0xa38,   0xa39,   0xa3c,   0xa3c,
    0xa3e,   0xa42,   0xa47,   0xa48,   0xa4b,   0xa4d,   0xa51,   0xa51,   0xa59,   0xa5c,
    0xa5e,   0xa5e,   0xa66,   0xa76,   0xa81,   0xa83,   0xa85,   0xa8d,   0xa8f,   0xa91,
    0xa93,   0xaa8,   0xaaa,   0xab0,   0xab2,   0xab3,   0xab5,   0xab9,   0xabc,   0xac5,
    0xac7,   0xac9,   0xacb,   0xacd,   0xad0,   0xad0,   0xae0,   0xae3,   0xae6,   0xaf1,
    0xaf9,   0xaff,   0xb01,   0xb03,   0xb05,   0xb0c,   0xb0f,   0xb10,   0xb13,   0xb28,
    0xb2a,   0xb30,   0xb32,   0xb33,   0xb35,   0xb39,   0xb3c,   0xb44,   0xb47,   0xb48,
    0xb4b,   0xb4d,   0xb55,   0xb57,   0xb5c,   0xb5d,   0xb5f,   0xb63,   0xb66,   0xb77,
    0xb82,   0xb83,   0xb85,   0xb8a,   0xb8e,   0xb90,   0xb92,   0xb95,   0xb99,   0xb9a,
    0xb9c,   0xb9c,   0xb9e,   0xb9f,   0xba3,   0xba4,   0xba8,   0xbaa,   0xbae,   0xbb9,
    0xbbe,   0xbc2,   0xbc6,   0xbc8,   0xbca,   0xbcd,   0xbd0,   0xbd0,   0xbd7,   0xbd7,
    0xbe6,   0xbfa,   0xc00,   0xc0c,   0xc0e,   0xc10,   0xc12,   0xc28,   0xc2a,   0xc39,
    0xc3d,   0xc44,   0xc46,   0xc48,   0xc4a,   0xc4d,   0xc55,   0xc56,   0xc58,   0xc5a,
    0xc60,   0xc63,   0xc66,   0xc6f,   0xc77,   0xc8c,   0xc8e,   0xc90,   0xc92,   0xca8,
    0xcaa,   0xcb3,   0xcb5,   0xcb9,   0xcbc,   0xcc4,   0xcc6,   0xcc8,   0xcca,   0xccd,
    0xcd5,   0xcd6,   0xcde,   0xcde,   0xce0,   0xce3,   0xce6,   0xcef,   0xcf1,   0xcf2,
    0xd00,   0xd0c,   0xd0e,   0xd10,   0xd12,   0xd44,   0xd46,   0xd48,   0xd4a,   0xd4f,
    0xd54,   0xd63,   0xd66,   0xd7f,   0xd81,   0xd83,   0xd85,   0xd96,   0xd9a,   0xdb1,
    0xdb3,   0xdbb,   0xdbd,   0xdbd,   0xdc0,   0xdc6,   0xdca,   0xdca,   0xdcf,   0xdd4,
    0xdd6,   0xdd6,   0xdd8,   0xddf,   0xde6,   0xdef,   0xdf2,   0xdf4,   0xe01,   0xe3a,
    0xe3f,   0xe5b,   0xe81,   0xe82,   0xe84,   0xe84,   0xe86,   0xe8a,   0xe8c,   0xea3,
    0xea5,   0xea5,   0xea7,   0xebd,   0xec0,   0xec4,   0xec6,   0xec6,   0xec8,   0xecd,
    0xed0,   0xed9,   0xedc,   0xedf,   0xf00,   0xf47,   0xf49,   0xf6c,   0xf71,   0xf97,
    0xf99,   0xfbc,   0xfbe,   0xfcc,   0xfce,   0xfda,   0x1000,  0x10c5,  0x10c7,  0x10c7,
    0x10cd,  0x10cd,  0x10d0,  0x1248,  0x124a,  0x124d,  0x1250,  0x1256,  0x1258,  0x1258,
    0x125a,  0x125d,  0x1260,  0x1288,  0x128a,  0x128d,  0x1290,  0x12b0,  0x12b2,  0x12b5,
    0x12b8,  0x12be,  0x12c0,  0x12c0,  0x12c2,  0x12c5,  0x12c8,  0x12d6,  0x12d8,  0x1310,
    0x1312,  0x1315,  0x1318,  0x135a,  0x135d,  0x137c,  0x1380,  0x1399,  0x13a0,  0x13f5,
    0x13f8,  0x13fd,  0x1400,  0x167f,  0x1681,  0x169c,  0x16a0,  0x16f8,  0x1700,  0x170c,
    0x170e,  0x1714,  0x1720,  0x1736,  0x1740,  0x1753,  0x1760,  0x176c,  0x176e,  0x1770,
    0x1772,  0x1773,  0x1780,  0x17dd,  0x17e0,  0x17e9,  0x17f0,  0x17f9,  0x1800,  0x180d,
    0x1810,  0x1819,  0x1820,  0x1878,  0x1880,  0x18aa,  0x18b0,  0x18f5,  0x1900,  0x191e,
    0x1920,  0x192b,  0x1930,  0x193b,  0x1940,  0x1940,  0x1944,  0x196d,  0x1970,  0x1974,
    0x1980,  0x19ab,  0x19b0,  0x19c9,  0x19d0,  0x19da,  0x19de,  0x1a1b,  0x1a1e,  0x1a5e,
    0x1a60,  0x1a7c,  0x1a7f,  0x1a89,  0x1a90,  0x1a99,  0x1aa0,  0x1aad,  0x1ab0,  0x1ac0,
    0x1b00,  0x1b4b,  0x1b50,  0x1b7c,  0x1b80,  0x1bf3,  0x1bfc,  0x1c37,  0x1c3b,  0x1c49,
    0x1c4d,  0x1c88,  0x1c90,  0x1cba,  0x1cbd,  0x1cc7,  0x1cd0,  0x1cfa,  0x1d00,  0x1df9,
    0x1dfb,  0x1f15,  0x1f18,  0x1f1d,  0x1f20,  0x1f45,  0x1f48,  0x1f4d,  0x1f50,  0x1f57,
    0x1f59,  0x1f59,  0x1f5b,  0x1f5b,  0x1f5d,  0x1f5d,  0x1f5f,  0x1f7d,  0x1f80,  0x1fb4,
    0x1fb6,  0x1fc4,  0x1fc6,  0x1fd3,  0x1fd6,  0x1fdb,  0x1fdd,  0x1fef,  0x1ff2,  0x1ff4,
    0x1ff6,  0x1ffe,  0x2010,  0x2027,  0x2030,  0x205e,  0x2070,  0x2071,  0x2074,  0x208e,
    0x2090,  0x209c,  0x20a0,  0x20bf,  0x20d0,  0x20f0,  0x2100,  0x218b,  0x2190,  0x2426,
    0x2440,  0x244a,  0x2460,  0x2b73,  0x2b76,  0x2b95,  0x2b97,  0x2c2e,  0x2c30,  0x2c5e,
    0x2c60,  0x2cf3,  0x2cf9,  0x2d25,  0x2d27,  0x2d27,  0x2d2d,  0x2d2d,  0x2d30,  0x2d67,
    0x2d6f,  0x2d70,  0x2d7f,  0x2d96,  0x2da0,  0x2da6,  0x2da8,  0x2dae,  0x2db0,  0x2db6,
    0x2db8,  0x2dbe,  0x2dc0,  0x2dc6,  0x2dc8,  0x2dce,  0x2dd0,  0x2dd6,  0x2dd8,  0x2dde,
    0x2de0,  0x2e52,  0x2e80,  0x2e99,  0x2e9b,  0x2ef3,  0x2f00,  0x2fd5,  0x2ff0,  0x2ffb,
    0x3001,  0x303f,  0x3041,  0x3096,  0x3099,  0x30ff,  0x3105,  0x312f,  0x3131,  0x318e,
    0x3190,  0x31e3,  0x31f0,  0x321e,  0x3220,  0x9ffc,  0xa000,  0xa48c,  0xa490,  0xa4c6,
    0xa4d0,  0xa62b,  0xa640,  0xa6f7,  0xa700,  0xa7bf,  0xa7c2,  0xa7ca,  0xa7f5,  0xa82c,
    0xa830,  0xa839,  0xa840,  0xa877,  0xa880,  0xa8c5,  0xa8ce,  0xa8d9,  0xa8e0,  0xa953,
    0xa95f,  0xa97c,  0xa980,  0xa9cd,  0xa9cf,  0xa9d9,  0xa9de,  0xa9fe,  0xaa00,  0xaa36,
    0xaa40,  0xaa4d,  0xaa50,  0xaa59,  0xaa5c,  0xaac2,  0xaadb,  0xaaf6,  0xab01,  0xab06,
    0xab09,  0xab0e,  0xab11,  0xab16,  0xab20,  0xab26,  0xab28,  0xab2e,  0xab30,  0xab6b,
    0xab70,  0xabed,  0xabf0,  0xabf9,  0xac00,  0xd7a3,  0xd7b0,  0xd7c6,  0xd7cb,  0xd7fb,
    0xf900,  0xfa6d,  0xfa70,  0xfad9,  0xfb00,  0xfb06,  0xfb13,  0xfb17,  0xfb1d,  0xfb36,
    0xfb38,  0xfb3c,  0xfb3e,  0xfb3e,  0xfb40,  0xfb41,  0xfb43,  0xfb44,  0xfb46,  0xfbc1,
    0xfbd3,  0xfd3f,  0xfd50,  0xfd8f,  0xfd92,  0xfdc7,  0xfdf0,  0xfdfd,  0xfe00,  0xfe19,
    0xfe20,  0xfe52,  0xfe54,  0xfe66,  0xfe68,  0xfe6b,  0xfe70,  0xfe74,  0xfe76,  0xfefc,
    0xff01,  0xffbe,  0xffc2,  0xffc7,  0xffca,  0xffcf,  0xffd2,  0xffd7,  0xffda,  0xffdc,
    0xffe0,  0xffe6,  0xffe8,  0xffee,  0xfffc,  0xfffd,  0x10000, 0x1000b, 0x1000d, 0x10026,
    0x10028, 0x1003a, 0x1003c, 0x1003d, 0x1003f, 0x1004d, 0x10050, 0x1005d, 0x10080, 0x100fa,
    0x10100, 0x10102, 0x10107, 0x10133, 0x10137, 0x1018e, 0x10190, 0x1019c, 0x101a0, 0x101a0,
    0x101d0, 0x101fd, 0x10280, 0x1029c, 0x102a0, 0x102d0, 0x102e0, 0x102fb, 0x10300, 0x10323,
    0x1032d, 0x1034a, 0x10350, 0x1037a, 0x10380, 0x1039d, 0x1039f, 0x103c3, 0x103c8, 0x103d5,
    0x10400, 0x1049d, 0x104a0, 0x104a9, 0x104b0, 0x104d3, 0x104d8, 0x104fb, 0x10500, 0x10527,
    0x10530, 0x10563, 0x1056f, 0x1056f, 0x10600, 0x10736, 0x10740, 0x10755, 0x10760, 0x10767,
    0x10800, 0x10805, 0x10808, 0x10808, 0x1080a, 0x10835, 0x10837, 0x10838, 0x1083c, 0x1083c,
    0x1083f, 0x10855, 0x10857, 0x1089e, 0x108a7, 0x108af, 0x108e0, 0x108f2, 0x108f4, 0x108f5,
    0x108fb, 0x1091b, 0x1091f, 0x10939, 0x1093f, 0x1093f, 0x10980, 0x109b7, 0x109bc, 0x109cf,
    0x109d2, 0x10a03, 0x10a05, 0x10a06, 0x10a0c, 0x10a13, 0x10a15, 0x10a17, 0x10a19, 0x10a35,
    0x10a38, 0x10a3a, 0x10a3f, 0x10a48, 0x10a50, 0x10a58, 0x10a60, 0x10a9f, 0x10ac0, 0x10ae6,
    0x10aeb, 0x10af6, 0x10b00, 0x10b35, 0x10b39, 0x10b55, 0x10b58, 0x10b72, 0x10b78, 0x10b91,
    0x10b99, 0x10b9c, 0x10ba9, 0x10baf, 0x10c00, 0x10c48, 0x10c80, 0x10cb2, 0x10cc0, 0x10cf2,
    0x10cfa, 0x10d27, 0x10d30, 0x10d39, 0x10e60, 0x10e7e, 0x10e80, 0x10ea9, 0x10eab, 0x10ead,
    0x10eb0, 0x10eb1, 0x10f00, 0x10f27, 0x10f30, 0x10f59, 0x10fb0, 0x10fcb, 0x10fe0, 0x10ff6,
    0x11000, 0x1104d, 0x11052, 0x1106f, 0x1107f, 0x110bc, 0x110be, 0x110c1, 0x110d0, 0x110e8,
    0x110f0, 0x110f9, 0x11100, 0x11134, 0x11136, 0x11147, 0x11150, 0x11176, 0x11180, 0x111df,
    0x111e1, 0x111f4, 0x11200, 0x11211, 0x11213, 0x1123e, 0x11280, 0x11286, 0x11288, 0x11288,
    0x1128a, 0x1128d, 0x1128f, 0x1129d, 0x1129f, 0x112a9, 0x112b0, 0x112ea, 0x112f0, 0x112f9,
    0x11300, 0x11303, 0x11305, 0x1130c, 0x1130f, 0x11310, 0x11313, 0x11328, 0x1132a, 0x11330,
    0x11332, 0x11333, 0x11335, 0x11339, 0x1133b, 0x11344, 0x11347, 0x11348, 0x1134b, 0x1134d,
    0x11350, 0x11350, 0x11357, 0x11357, 0x1135d, 0x11363, 0x11366, 0x1136c, 0x11370, 0x11374,
    0x11400, 0x1145b, 0x1145d, 0x11461, 0x11480, 0x114c7, 0x114d0, 0x114d9, 0x11580, 0x115b5,
    0x115b8, 0x115dd, 0x11600, 0x11644, 0x11650, 0x11659, 0x11660, 0x1166c, 0x11680, 0x116b8,
    0x116c0, 0x116c9, 0x11700, 0x1171a, 0x1171d, 0x1172b, 0x11730, 0x1173f, 0x11800, 0x1183b,
    0x118a0, 0x118f2, 0x118ff, 0x11906, 0x11909, 0x11909, 0x1190c, 0x11913, 0x11915, 0x11916,
    0x11918, 0x11935, 0x11937, 0x11938, 0x1193b, 0x11946, 0x11950, 0x11959, 0x119a0, 0x119a7,
    0x119aa, 0x119d7, 0x119da, 0x119e4, 0x11a00, 0x11a47, 0x11a50, 0x11aa2, 0x11ac0, 0x11af8,
    0x11c00, 0x11c08, 0x11c0a, 0x11c36, 0x11c38, 0x11c45, 0x11c50, 0x11c6c, 0x11c70, 0x11c8f,
    0x11c92, 0x11ca7, 0x11ca9, 0x11cb6, 0x11d00, 0x11d06, 0x11d08, 0x11d09, 0x11d0b, 0x11d36,
    0x11d3a, 0x11d3a, 0x11d3c, 0x11d3d, 0x11d3f, 0x11d47, 0x11d50, 0x11d59, 0x11d60, 0x11d65,
    0x11d67, 0x11d68, 0x11d6a, 0x11d8e, 0x11d90, 0x11d91, 0x11d93, 0x11d98, 0x11da0, 0x11da9,
    0x11ee0, 0x11ef8, 0x11fb0, 0x11fb0, 0x11fc0, 0x11ff1, 0x11fff, 0x12399, 0x12400, 0x1246e,
    0x12470, 0x12474, 0x12480, 0x12543, 0x13000, 0x1342e, 0x14400, 0x14646, 0x16800, 0x16a38,
    0x16a40, 0x16a5e, 0x16a60, 0x16a69, 0x16a6e, 0x16a6f, 0x16ad0, 0x16aed, 0x16af0, 0x16af5,
    0x16b00, 0x16b45, 0x16b50, 0x16b59, 0x16b5b, 0x16b61, 0x16b63, 0x16b77, 0x16b7d, 0x16b8f,
    0x16e40, 0x16e9a, 0x16f00, 0x16f4a, 0x16f4f, 0x16f87, 0x16f8f, 0x16f9f, 0x16fe0, 0x16fe4,
    0x16ff0, 0x16ff1, 0x17000, 0x187f7, 0x18800, 0x18cd5, 0x18d00, 0x18d08, 0x1b000, 0x1b11e,
    0x1b150, 0x1b152, 0x1b164, 0x1b167, 0x1b170, 0x1b2fb, 0x1bc00, 0x1bc6a, 0x1bc70, 0x1bc7c,
    0x1bc80, 0x1bc88, 0x1bc90, 0x1bc99, 0x1bc9c, 0x1bc9f, 0x1d000, 0x1d0f5, 0x1d100, 0x1d126,
    0x1d129, 0x1d172, 0x1d17b, 0x1d1e8, 0x1d200, 0x1d245, 0x1d2e0, 0x1d2f3, 0x1d300, 0x1d356,
    0x1d360, 0x1d378, 0x1d400, 0x1d454, 0x1d456, 0x1d49c, 0x1d49e, 0x1d49f, 0x1d4a2, 0x1d4a2,
    0x1d4a5, 0x1d4a6, 0x1d4a9, 0x1d4ac, 0x1d4ae, 0x1d4b9, 0x1d4bb, 0x1d4bb, 0x1d4bd, 0x1d4c3,
    0x1d4c5, 0x1d505, 0x1d507, 0x1d50a, 0x1d50d, 0x1d514, 0x1d516, 0x1d51c, 0x1d51e, 0x1d539,
    0x1d53b, 0x1d53e, 0x1d540, 0x1d544, 0x1d546, 0x1d546, 0x1d54a, 0x1d550, 0x1d552, 0x1d6a5,
    0x1d6a8, 0x1d7cb, 0x1d7ce, 0x1da8b, 0x1da9b, 0x1da9f, 0x1daa1, 0x1daaf, 0x1e000, 0x1e006,
    0x1e008, 0x1e018, 0x1e01b, 0x1e021, 0x1e023, 0x1e024, 0x1e026, 0x1e02a, 0x1e100, 0x1e12c,
    0x1e130, 0x1e13d, 0x1e140, 0x1e149, 0x1e14e, 0x1e14f, 0x1e2c0, 0x1e2f9, 0x1e2ff, 0x1e2ff,
    0x1e800, 0x1e8c4, 0x1e8c7, 0x1e8d6, 0x1e900, 0x1e94b, 0x1e950, 0x1e959, 0x1e95e, 0x1e95f,
    0x1ec71, 0x1ecb4, 0x1ed01, 0x1ed3d, 0x1ee00, 0x1ee03, 0x1ee05, 0x1ee1f, 0x1ee21, 0x1ee22,
    0x1ee24, 0x1ee24, 0x1ee27, 0x1ee27, 0x1ee29, 0x1ee32, 0x1ee34, 0x1ee37, 0x1ee39, 0x1ee39,
    0x1ee3b, 0x1ee3b, 0x1ee42, 0x1ee42, 0x1ee47, 0x1ee47, 0x1ee49, 0x1ee49, 0x1ee4b, 0x1ee4b,
    0x1ee4d, 0x1ee4f, 0x1ee51, 0x1ee52, 0x1ee54, 0x1ee54, 0x1ee57, 0x1ee57, 0x1ee59, 0x1ee59,
    0x1ee5b, 0x1ee5b, 0x1ee5d, 0x1ee5d, 0x1ee5f, 0x1ee5f, 0x1ee61, 0x1ee62, 0x1ee64, 0x1ee64,
    0x1ee67, 0x1ee6a, 0x1ee6c, 0x1ee72, 0x1ee74, 0x1ee77, 0x1ee79, 0x1ee7c, 0x1ee7e, 0x1ee7e,
    0x1ee80, 0x1ee89, 0x1ee8b, 0x1ee9b, 0x1eea1, 0x1eea3, 0x1eea5, 0x1eea9, 0x1eeab, 0x1eebb,
    0x1eef0, 0x1eef1, 0x1f000, 0x1f02b, 0x1f030, 0x1f093, 0x1f0a0, 0x1f0ae, 0x1f0b1, 0x1f0bf,
    0x1f0c1, 0x1f0cf, 0x1f0d1, 0x1f0f5, 0x1f100, 0x1f1ad, 0x1f1e6, 0x1f202, 0x1f210, 0x1f23b,
    0x1f240, 0x1f248, 0x1f250, 0x1f251, 0x1f260, 0x1f265, 0x1f300, 0x1f6d7, 0x1f6e0, 0x1f6ec,
    0x1f6f0, 0x1f6fc, 0x1f700, 0x1f773, 0x1f780, 0x1f7d8, 0x1f7e0, 0x1f7eb, 0x1f800, 0x1f80b,
    0x1f810, 0x1f847, 0x1f850, 0x1f859, 0x1f860, 0x1f887, 0x1f890, 0x1f8ad, 0x1f8b0, 0x1f8b1,
    0x1f900, 0x1f978, 0x1f97a, 0x1f9cb, 0x1f9cd, 0x1fa53, 0x1fa60, 0x1fa6d, 0x1fa70, 0x1fa74,
    0x1fa78, 0x1fa7a, 0x1fa80, 0x1fa86, 0x1fa90, 0x1faa8, 0x1fab0, 0x1fab6, 0x1fac0, 0x1fac2,
    0x1fad0, 0x1fad6, 0x1fb00, 0x1fb92, 0x1fb94, 0x1fbca, 0x1fbf0, 0x1fbf9, 0x20000, 0x2a6dd,
    0x2a700, 0x2b734, 0x2b740, 0x2b81d, 0x2b820, 0x2cea1, 0x2ceb0, 0x2ebe0, 0x2f800, 0x2fa1d,
    0x30000, 0x3134a, 0xe0100, 0xe01ef};

static int is_print(uint32_t r)
{
	size_t lo = 0, hi = ARRAY_SIZE(print_ranges) / 2;

	if (r < 0x80)
		return r >= 0x20 && r < 0x7f;
	while (lo < hi) { /* the first pair whose last rune is >= r */
		size_t mid = lo + (hi - lo) / 2;
		if (print_ranges[2 * mid + 1] < r)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ARRAY_SIZE(print_ranges) / 2 && print_ranges[2 * lo] <= r;
}
