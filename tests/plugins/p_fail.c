/* p_fail - a test plugin whose before_tool fails (returns 7), saying why in a log line. */
#define _GNU_SOURCE
#include "golive/plugin.h"

static int fail_before_tool(void *state, const struct golive_host_api *api, struct golive_host *h,
                            const struct golive_tool_call *call)
{
	(void)state;
	(void)call;
	api->log(h, "cannot go on");
	return 7;
}

const struct golive_plugin_v1 golive_plugin_v1 = {
    .abi_version = GOLIVE_PLUGIN_ABI,
    .struct_size = sizeof(struct golive_plugin_v1),
    .name = "p_fail",
    .version = "1",
    .before_tool = fail_before_tool,
};
