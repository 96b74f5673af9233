/*
 * textdoc.h - an open document's text as the editor has it, its line
 * index, LSP positions (line + UTF-16 code units) to byte offsets and
 * back, and incremental edits that also say how the tree-sitter tree
 * changed (TSInputEdit, for ts_tree_edit and an incremental reparse).
 *
 * UTF-16: a character of 4 UTF-8 bytes is 2 code units, any other 1. A
 * byte that is not part of valid UTF-8 counts as one unit (the editor sees
 * U+FFFD there). A position inside a character or past the end of its
 * line means the end of that character or line, as the LSP asks; a line
 * past the last one is an error.
 */
#ifndef GOLIVE_TEXTDOC_H
#define GOLIVE_TEXTDOC_H

#include <stddef.h>
#include <stdint.h>
#include <tree_sitter/api.h>

#include "core/util.h"

struct textdoc {
	struct strbuf text;
	ARRAY(size_t) lines; /* byte offset of each line's start; lines.n >= 1 */
};

/* A document holding len bytes of text (a copy). */
void textdoc_init(struct textdoc *d, const char *text, size_t len);
void textdoc_release(struct textdoc *d);
/* Replaces the whole text. */
void textdoc_set(struct textdoc *d, const char *text, size_t len);

/* Line (0-based) line's bytes: [*start, *end), the newline (and a CR before it) excluded. */
void textdoc_line(const struct textdoc *d, size_t line, size_t *start, size_t *end);

/*
 * The byte offset of LSP position (line, utf16 character). 0, or -1 when
 * line is past the end (line == number of lines is the end of the text).
 */
int textdoc_offset(const struct textdoc *d, uint32_t line, uint32_t character, size_t *off);

/* The 0-based line of byte offset off, and the byte column within it. */
void textdoc_point(const struct textdoc *d, size_t off, uint32_t *line, uint32_t *byte_col);

/* The UTF-16 column of byte column byte_col of line (clamped to the line). */
uint32_t textdoc_utf16_col(const struct textdoc *d, uint32_t line, uint32_t byte_col);

/*
 * Replaces the bytes between LSP positions start and end with text
 * (len bytes) and fills *edit for ts_tree_edit. 0, or -1 (nothing changed)
 * when a position is out of range or end comes before start.
 */
int textdoc_apply(struct textdoc *d, uint32_t sline, uint32_t schar, uint32_t eline, uint32_t echar,
                  const char *text, size_t len, TSInputEdit *edit);

/* The number of UTF-16 code units of the UTF-8 text s[0, n). */
uint32_t utf16_len(const char *s, size_t n);
/*
 * The byte offset in s[0, n) after units UTF-16 code units (n when the
 * text is shorter; the end of a character when units falls inside it).
 */
size_t utf16_to_byte(const char *s, size_t n, uint32_t units);

#endif
