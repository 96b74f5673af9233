/*
 * fuzz_lsp_edit.c - libFuzzer entry point for golive lsp's edit application
 * (lsp/textdoc.h): the input is a document and a list of edits (LSP
 * positions in UTF-16, any values, out of range too) applied to the text
 * and to its tree-sitter tree with ts_tree_edit. After each: the line index
 * matches the text, the TSInputEdit agrees with the text (bytes and
 * points), and the incremental reparse covers the whole text as a fresh
 * parse does.
 *
 * Input: "TEXT\0" then records of 9 bytes: start line, start char, end
 * line, end char (one byte each, so that they land near the text), a length
 * L (one byte) and L bytes of inserted text taken from what follows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lsp/textdoc.h"

const TSLanguage *tree_sitter_go(void);

static void check_index(const struct textdoc *d)
{
	size_t k = 0;
	if (d->lines.v[0] != 0)
		abort();
	for (size_t i = 0; i < d->text.len; i++)
		if (d->text.buf[i] == '\n') {
			if (++k >= d->lines.n || d->lines.v[k] != i + 1)
				abort();
		}
	if (k + 1 != d->lines.n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen = nul ? (size_t)(nul - data) : size;
	struct textdoc d;
	textdoc_init(&d, (const char *)data, tlen);
	static TSParser *p;
	if (!p) {
		p = ts_parser_new();
		ts_parser_set_language(p, tree_sitter_go());
	}
	TSTree *tree = ts_parser_parse_string(p, NULL, d.text.buf, (uint32_t)d.text.len);
	size_t i = nul ? tlen + 1 : size;
	while (i + 5 <= size) {
		uint32_t sl = data[i], sc = data[i + 1], el = data[i + 2], ec = data[i + 3];
		size_t n = data[i + 4];
		i += 5;
		if (n > size - i)
			n = size - i;
		const char *ins = (const char *)data + i;
		i += n;
		TSInputEdit e;
		char *before = xstrndup(d.text.buf, d.text.len);
		size_t blen = d.text.len;
		if (textdoc_apply(&d, sl, sc, el, ec, ins, n, &e) < 0) {
			if (d.text.len != blen || memcmp(before, d.text.buf, blen))
				abort(); /* refused edits change nothing */
			free(before);
			continue;
		}
		/* the edit as tree-sitter sees it agrees with the text */
		if (e.old_end_byte < e.start_byte || e.old_end_byte > blen ||
		    e.new_end_byte != e.start_byte + n ||
		    d.text.len != blen - (e.old_end_byte - e.start_byte) + n ||
		    memcmp(d.text.buf + e.start_byte, ins, n) ||
		    memcmp(d.text.buf, before, e.start_byte))
			abort();
		free(before);
		check_index(&d);
		uint32_t row, col;
		textdoc_point(&d, e.new_end_byte, &row, &col);
		if (row != e.new_end_point.row || col != e.new_end_point.column)
			abort();
		ts_tree_edit(tree, &e);
		TSTree *t2 = ts_parser_parse_string(p, tree, d.text.buf, (uint32_t)d.text.len);
		ts_tree_delete(tree);
		tree = t2;
		if (tree && ts_node_end_byte(ts_tree_root_node(tree)) > d.text.len)
			abort();
	}
	if (tree)
		ts_tree_delete(tree);
	textdoc_release(&d);
	return 0;
}
