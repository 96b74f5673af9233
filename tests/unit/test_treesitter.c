/*
 * The pinned tree-sitter + tree-sitter-go sources build and parse real Go:
 * examples/webapp/main.go without errors, a broken file with ERROR nodes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <tree_sitter/api.h>

#include "core/util.h"

const TSLanguage *tree_sitter_go(void);

static TSTree *parse(TSParser *p, const char *src, size_t len)
{
	return ts_parser_parse_string(p, NULL, src, (uint32_t)len);
}

static void test_parse_example(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(strbuf_read_file(&sb, "examples/webapp/main.go", 1 << 20), 0);
	TSParser *p = ts_parser_new();
	assert_true(ts_parser_set_language(p, tree_sitter_go()));
	TSTree *t = parse(p, sb.buf, sb.len);
	TSNode root = ts_tree_root_node(t);
	assert_string_equal(ts_node_type(root), "source_file");
	assert_false(ts_node_has_error(root));
	/* package clause, imports, declarations */
	assert_true(ts_node_named_child_count(root) >= 5);
	ts_tree_delete(t);

	const char broken[] = "package main\nfunc main() { x := }\n";
	t = parse(p, broken, sizeof(broken) - 1);
	assert_true(ts_node_has_error(ts_tree_root_node(t)));
	ts_tree_delete(t);
	ts_parser_delete(p);
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_example),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
