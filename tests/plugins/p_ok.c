/*
 * p_ok - a well-behaved test plugin (tests/unit/test_plugin.c) that uses
 * every host function: init reads args.extra; before_tool appends it to the
 * tool's arguments; after_tool logs the exit code; analyze_file walks the
 * tree-sitter tree and reports each function named Deprecated*. A file
 * containing "//p_ok:fail" makes analyze_file fail (return 5).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tree_sitter/api.h>

#include "golive/plugin.h"

struct state {
	const char *extra; /* args.extra, or NULL; owned by golive, valid in this child */
};

static int ok_init(const struct golive_host_api *api, struct golive_host *h, void **state)
{
	struct state *s = calloc(1, sizeof(*s));
	if (!s)
		return 1;
	s->extra = api->arg(h, "extra");
	*state = s;
	return 0;
}

static int ok_before_tool(void *state, const struct golive_host_api *api, struct golive_host *h,
                          const struct golive_tool_call *call)
{
	struct state *s = state;
	if (!s->extra)
		return 0;
	const char **argv = calloc((size_t)call->argc + 2, sizeof(*argv));
	if (!argv)
		return 1;
	for (int i = 0; i < call->argc; i++)
		argv[i] = call->argv[i];
	argv[call->argc] = s->extra;
	int rc = api->set_args(h, call->argc + 1, argv);
	free(argv);
	return rc == 0 ? 0 : 2;
}

static int ok_after_tool(void *state, const struct golive_host_api *api, struct golive_host *h,
                         const struct golive_tool_call *call,
                         const struct golive_tool_result *result)
{
	(void)state;
	char line[128];
	snprintf(line, sizeof(line), "%s exited %d", call->tool, result->exit_code);
	api->log(h, line);
	return 0;
}

/* Reports n if it is a function_declaration named Deprecated*, then walks its children. */
static void walk(const struct golive_host_api *api, struct golive_host *h, const char *path,
                 const char *source, TSNode n)
{
	if (strcmp(ts_node_type(n), "function_declaration") == 0) {
		TSNode name = ts_node_child_by_field_name(n, "name", 4);
		uint32_t start = ts_node_start_byte(name), end = ts_node_end_byte(name);
		if (!ts_node_is_null(name) && end - start >= 10 &&
		    strncmp(source + start, "Deprecated", 10) == 0) {
			char msg[256];
			snprintf(msg, sizeof(msg), "%.*s is deprecated", (int)(end - start),
			         source + start);
			TSPoint at = ts_node_start_point(n);
			api->report(h, path, at.row + 1, at.column + 1, GOLIVE_WARNING, msg);
		}
	}
	uint32_t count = ts_node_named_child_count(n);
	for (uint32_t i = 0; i < count; i++)
		walk(api, h, path, source, ts_node_named_child(n, i));
}

static int ok_analyze_file(void *state, const struct golive_host_api *api, struct golive_host *h,
                           const char *path, const char *source, size_t len,
                           const struct TSTree *tree)
{
	(void)state;
	(void)len;
	if (strstr(source, "//p_ok:fail"))
		return 5;
	walk(api, h, path, source, ts_tree_root_node((const TSTree *)tree));
	return 0;
}

static void ok_fini(void *state)
{
	free(state);
}

const struct golive_plugin_v1 golive_plugin_v1 = {
    .abi_version = GOLIVE_PLUGIN_ABI,
    .struct_size = sizeof(struct golive_plugin_v1),
    .name = "p_ok",
    .version = "1.2",
    .flags = GOLIVE_PLUGIN_REWRITES_ARGS,
    .init = ok_init,
    .before_tool = ok_before_tool,
    .after_tool = ok_after_tool,
    .analyze_file = ok_analyze_file,
    .fini = ok_fini,
};
