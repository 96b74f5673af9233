/*
 * textdoc.c - see textdoc.h. The line index is rebuilt after an edit from
 * the edit's line on (memchr over the rest: well under a millisecond for a
 * 5,000-line file).
 */
#include "lsp/textdoc.h"

#include <string.h>

/*
 * The length of the UTF-8 character at s[0, n) when it is valid (1..4),
 * else 0 (then one byte stands for one U+FFFD).
 */
static size_t utf8_char(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t len;
	uint32_t min;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	uint32_t cp = c & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

uint32_t utf16_len(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t units = 0;
	size_t i = 0;
	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			units++;
			continue;
		}
		size_t l = utf8_char(p + i, n - i);
		if (!l)
			l = 1;
		units += l == 4 ? 2 : 1;
		i += l;
	}
	return units;
}

size_t utf16_to_byte(const char *s, size_t n, uint32_t units)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	uint32_t u = 0;
	while (i < n && u < units) {
		size_t l = p[i] < 0x80 ? 1 : utf8_char(p + i, n - i);
		if (!l)
			l = 1;
		u += l == 4 ? 2 : 1;
		i += l;
	}
	return i;
}

/* Rebuilds the line index from line from (whose start is right). */
static void index_from(struct textdoc *d, size_t from)
{
	d->lines.n = from + 1;
	const char *b = d->text.buf, *e = b + d->text.len;
	const char *p = b + d->lines.v[from];
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		if (!nl)
			break;
		p = nl + 1;
		ARRAY_PUSH(d->lines, (size_t)(p - b));
	}
}

void textdoc_init(struct textdoc *d, const char *text, size_t len)
{
	memset(d, 0, sizeof(*d));
	strbuf_init(&d->text, len + 1);
	textdoc_set(d, text, len);
}

void textdoc_set(struct textdoc *d, const char *text, size_t len)
{
	strbuf_reset(&d->text);
	strbuf_add(&d->text, text, len);
	ARRAY_GROW(d->lines, 1);
	d->lines.v[0] = 0;
	index_from(d, 0);
}

void textdoc_release(struct textdoc *d)
{
	strbuf_release(&d->text);
	ARRAY_FREE(d->lines);
}

void textdoc_line(const struct textdoc *d, size_t line, size_t *start, size_t *end)
{
	if (line >= d->lines.n) {
		*start = *end = d->text.len;
		return;
	}
	*start = d->lines.v[line];
	size_t e = line + 1 < d->lines.n ? d->lines.v[line + 1] - 1 : d->text.len;
	if (e > *start && d->text.buf[e - 1] == '\r')
		e--;
	*end = e;
}

int textdoc_offset(const struct textdoc *d, uint32_t line, uint32_t character, size_t *off)
{
	if (line > d->lines.n)
		return -1;
	if (line == d->lines.n) {
		*off = d->text.len;
		return 0;
	}
	size_t s, e;
	textdoc_line(d, line, &s, &e);
	*off = s + utf16_to_byte(d->text.buf + s, e - s, character);
	return 0;
}

void textdoc_point(const struct textdoc *d, size_t off, uint32_t *line, uint32_t *byte_col)
{
	if (off > d->text.len)
		off = d->text.len;
	size_t lo = 0, hi = d->lines.n; /* last line start <= off */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->lines.v[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	*line = (uint32_t)lo;
	*byte_col = (uint32_t)(off - d->lines.v[lo]);
}

uint32_t textdoc_utf16_col(const struct textdoc *d, uint32_t line, uint32_t byte_col)
{
	size_t s, e;
	textdoc_line(d, line, &s, &e);
	size_t n = e - s;
	if (byte_col < n)
		n = byte_col;
	return utf16_len(d->text.buf + s, n);
}

/* The tree-sitter point (row, byte column) after text t[0, n) inserted at p. */
static TSPoint point_after(TSPoint p, const char *t, size_t n)
{
	const char *last = NULL;
	for (const char *q = t; (q = memchr(q, '\n', n - (size_t)(q - t))) != NULL; q++) {
		p.row++;
		last = q;
	}
	if (last)
		p.column = (uint32_t)(n - (size_t)(last + 1 - t));
	else
		p.column += (uint32_t)n;
	return p;
}

int textdoc_apply(struct textdoc *d, uint32_t sline, uint32_t schar, uint32_t eline, uint32_t echar,
                  const char *text, size_t len, TSInputEdit *edit)
{
	size_t so, eo;
	if (textdoc_offset(d, sline, schar, &so) < 0 || textdoc_offset(d, eline, echar, &eo) < 0 ||
	    eo < so)
		return -1;
	if (d->text.len - (eo - so) + len > UINT32_MAX / 2)
		return -1; /* tree-sitter offsets are 32-bit */
	TSPoint sp, ep;
	textdoc_point(d, so, &sp.row, &sp.column);
	textdoc_point(d, eo, &ep.row, &ep.column);
	edit->start_byte = (uint32_t)so;
	edit->old_end_byte = (uint32_t)eo;
	edit->new_end_byte = (uint32_t)(so + len);
	edit->start_point = sp;
	edit->old_end_point = ep;
	edit->new_end_point = point_after(sp, text, len);

	size_t tail = d->text.len - eo;
	if (len > eo - so)
		strbuf_grow(&d->text, len - (eo - so));
	char *b = d->text.buf;
	memmove(b + so + len, b + eo, tail);
	memcpy(b + so, text, len);
	d->text.len = so + len + tail;
	b[d->text.len] = '\0';
	index_from(d, sp.row);
	return 0;
}
