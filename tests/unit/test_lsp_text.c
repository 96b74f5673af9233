/*
 * test_lsp_text.c - golive lsp's text side: LSP positions in UTF-16 code
 * units against byte offsets (lsp/textdoc.h), incremental edits and the
 * TSInputEdit they give (checked by reparsing: the incremental tree equals
 * a fresh parse), and the JSON-RPC framing (lsp/jsonrpc.h) fed in pieces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "lsp/jsonrpc.h"
#include "lsp/textdoc.h"

const TSLanguage *tree_sitter_go(void);

static void test_utf16(void **state)
{
	(void)state;
	/* é: 2 bytes 1 unit; 😀: 4 bytes 2 units; 中: 3 bytes 1 unit */
	const char *s = "a\xc3\xa9\xf0\x9f\x98\x80\xe4\xb8\xad!";
	size_t n = strlen(s);
	assert_int_equal(utf16_len(s, n), 6);
	assert_int_equal(utf16_to_byte(s, n, 0), 0);
	assert_int_equal(utf16_to_byte(s, n, 2), 3);
	assert_int_equal(utf16_to_byte(s, n, 4), 7);
	assert_int_equal(utf16_to_byte(s, n, 3), 7); /* inside the surrogate pair: after it */
	assert_int_equal(utf16_to_byte(s, n, 5), 10);
	assert_int_equal(utf16_to_byte(s, n, 99), n);
	/* invalid UTF-8: one unit per bad byte; a cut-off sequence too */
	assert_int_equal(utf16_len("\xff\xfe"
	                           "a",
	                           3),
	                 3);
	assert_int_equal(utf16_len("\xf0\x9f", 2), 2);
	assert_int_equal(utf16_len("\xed\xa0\x80", 3), 3); /* an encoded surrogate is invalid */
	assert_int_equal(utf16_to_byte("\xff"
	                               "a",
	                               2, 1),
	                 1);
}

static void test_positions(void **state)
{
	(void)state;
	struct textdoc d;
	const char *t = "ab\r\n\xf0\x9f\x98\x80x\n\nlast";
	textdoc_init(&d, t, strlen(t));
	assert_int_equal(d.lines.n, 4);
	size_t off;
	assert_int_equal(textdoc_offset(&d, 0, 2, &off), 0);
	assert_int_equal(off, 2);
	assert_int_equal(textdoc_offset(&d, 0, 9, &off), 0); /* past the end: before the CR */
	assert_int_equal(off, 2);
	assert_int_equal(textdoc_offset(&d, 1, 2, &off), 0);
	assert_int_equal(off, 8);
	assert_int_equal(textdoc_offset(&d, 3, 4, &off), 0);
	assert_int_equal(off, strlen(t));
	assert_int_equal(textdoc_offset(&d, 4, 0, &off), 0); /* the line after the last: the end */
	assert_int_equal(off, strlen(t));
	assert_int_equal(textdoc_offset(&d, 5, 0, &off), -1);
	uint32_t l, c;
	textdoc_point(&d, 9, &l, &c);
	assert_int_equal(l, 1);
	assert_int_equal(c, 5);
	assert_int_equal(textdoc_utf16_col(&d, 1, 5), 3);
	assert_int_equal(textdoc_utf16_col(&d, 1, 999), 3);
	textdoc_release(&d);
}

/* Applies edits to both a textdoc and its tree; the tree must equal a fresh parse. */
static void check_tree(TSParser *p, struct textdoc *d, TSTree **tree)
{
	TSTree *inc = ts_parser_parse_string(p, *tree, d->text.buf, (uint32_t)d->text.len);
	TSTree *fresh = ts_parser_parse_string(p, NULL, d->text.buf, (uint32_t)d->text.len);
	char *a = ts_node_string(ts_tree_root_node(inc));
	char *b = ts_node_string(ts_tree_root_node(fresh));
	assert_string_equal(a, b);
	free(a);
	free(b);
	ts_tree_delete(fresh);
	ts_tree_delete(*tree);
	*tree = inc;
}

static void test_edits(void **state)
{
	(void)state;
	const char *src = "package main\n\nfunc f() {\n\ts := \"\xc3\xa9\"\n\t_ = s\n}\n";
	struct textdoc d;
	textdoc_init(&d, src, strlen(src));
	TSParser *p = ts_parser_new();
	ts_parser_set_language(p, tree_sitter_go());
	TSTree *tree = ts_parser_parse_string(p, NULL, d.text.buf, (uint32_t)d.text.len);
	TSInputEdit e;

	/* insert after é (UTF-16 col 8 = byte 9 on line 3) */
	assert_int_equal(textdoc_apply(&d, 3, 8, 3, 8, "\xf0\x9f\x98\x80", 4, &e), 0);
	assert_int_equal(e.start_byte, strlen("package main\n\nfunc f() {\n") + 9);
	assert_int_equal(e.new_end_point.row, 3);
	assert_int_equal(e.new_end_point.column, 13);
	ts_tree_edit(tree, &e);
	check_tree(p, &d, &tree);
	assert_non_null(strstr(d.text.buf, "\"\xc3\xa9\xf0\x9f\x98\x80\""));

	/* a multi-line insertion, then a deletion across lines */
	assert_int_equal(textdoc_apply(&d, 4, 0, 4, 0, "\tx := 1\n\t_ = x\n", 15, &e), 0);
	assert_int_equal(e.new_end_point.row, 6);
	assert_int_equal(e.new_end_point.column, 0);
	ts_tree_edit(tree, &e);
	check_tree(p, &d, &tree);
	assert_int_equal(d.lines.n, 9);
	assert_int_equal(textdoc_apply(&d, 2, 10, 5, 6, "", 0, &e), 0);
	ts_tree_edit(tree, &e);
	check_tree(p, &d, &tree);
	assert_string_equal(d.text.buf, "package main\n\nfunc f() {\n\t_ = s\n}\n");
	assert_int_equal(d.lines.n, 6);

	/* out of range and inverted: refused, nothing changed */
	assert_int_equal(textdoc_apply(&d, 99, 0, 99, 0, "x", 1, &e), -1);
	assert_int_equal(textdoc_apply(&d, 3, 2, 2, 0, "x", 1, &e), -1);
	assert_string_equal(d.text.buf, "package main\n\nfunc f() {\n\t_ = s\n}\n");

	ts_tree_delete(tree);
	ts_parser_delete(p);
	textdoc_release(&d);
}

static void test_framing(void **state)
{
	(void)state;
	const char *in = "Content-Length: 17\r\n\r\n{\"id\":1,\"a\":\"\xc3\xa9\"}"
	                 "content-length:2\r\nContent-Type: x\r\n\r\n[]"
	                 "Content-Length: 3\r\n\r\nnop"
	                 "Foo\r\n\r\n"
	                 "Content-Length: 2\r\n\r\n{}";
	struct jsonrpc_reader r;
	jsonrpc_reader_init(&r);
	/* byte by byte: the reader must reassemble */
	json_t *msgs[8];
	int nmsg = 0, nbad = 0;
	for (size_t i = 0; in[i]; i++) {
		jsonrpc_reader_feed(&r, in + i, 1);
		for (;;) {
			json_t *m;
			char *cause = NULL;
			enum jsonrpc_status st = jsonrpc_reader_next(&r, &m, &cause);
			if (st == JSONRPC_NEED)
				break;
			if (st == JSONRPC_BAD) {
				assert_non_null(cause);
				free(cause);
				nbad++;
				continue;
			}
			assert_true(nmsg < 8);
			msgs[nmsg++] = m;
		}
	}
	assert_int_equal(nmsg, 3);
	assert_int_equal(nbad, 2); /* "nop" is not JSON; "Foo" is not a header */
	assert_int_equal(json_integer_value(json_object_get(msgs[0], "id")), 1);
	assert_true(json_is_array(msgs[1]));
	assert_true(json_is_object(msgs[2]));
	for (int i = 0; i < nmsg; i++)
		json_decref(msgs[i]);

	/* an oversized message is skipped without being buffered, then reading goes on */
	char hdr[64];
	snprintf(hdr, sizeof(hdr), "Content-Length: %u\r\n\r\n", JSONRPC_MAX_BODY + 10);
	jsonrpc_reader_feed(&r, hdr, strlen(hdr));
	json_t *m;
	char *cause = NULL;
	assert_int_equal(jsonrpc_reader_next(&r, &m, &cause), JSONRPC_BAD);
	free(cause);
	char *junk = calloc(1, 1 << 20);
	for (unsigned left = JSONRPC_MAX_BODY + 10; left;) {
		unsigned k = left < (1u << 20) ? left : (1u << 20);
		jsonrpc_reader_feed(&r, junk, k);
		left -= k;
		assert_int_equal(jsonrpc_reader_next(&r, &m, &cause), JSONRPC_NEED);
	}
	free(junk);
	assert_true(r.buf.alloc < (4u << 20));
	jsonrpc_reader_feed(&r, "Content-Length: 2\r\n\r\n{}", 23);
	assert_int_equal(jsonrpc_reader_next(&r, &m, &cause), JSONRPC_MSG);
	json_decref(m);

	/* and the way out */
	struct strbuf sb = STRBUF_INIT;
	json_t *o = json_pack("{s:s}", "k", "\xc3\xa9");
	jsonrpc_frame(&sb, o);
	json_decref(o);
	assert_string_equal(sb.buf, "Content-Length: 10\r\n\r\n{\"k\":\"\xc3\xa9\"}");
	strbuf_release(&sb);
	jsonrpc_reader_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf16),
	    cmocka_unit_test(test_positions),
	    cmocka_unit_test(test_edits),
	    cmocka_unit_test(test_framing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
