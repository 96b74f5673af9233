/*
 * p_undeclared - a test plugin that tries to rewrite a tool's arguments
 * without declaring GOLIVE_PLUGIN_REWRITES_ARGS. set_args must refuse
 * (-1): then before_tool returns 0; if it were accepted, 9.
 */
#define _GNU_SOURCE
#include "golive/plugin.h"

static int undeclared_before_tool(void *state, const struct golive_host_api *api,
                                  struct golive_host *h, const struct golive_tool_call *call)
{
	(void)state;
	const char *argv[] = {call->argv[0], "-injected"};
	return api->set_args(h, 2, argv) == -1 ? 0 : 9;
}

const struct golive_plugin_v1 golive_plugin_v1 = {
    .abi_version = GOLIVE_PLUGIN_ABI,
    .struct_size = sizeof(struct golive_plugin_v1),
    .name = "p_undeclared",
    .version = "1",
    .before_tool = undeclared_before_tool,
};
