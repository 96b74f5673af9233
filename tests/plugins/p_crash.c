/*
 * p_crash - a test plugin whose before_tool segfaults. The default action
 * is restored first: under AddressSanitizer (the test build) the runtime's
 * SEGV handler would otherwise turn the crash into an exit status.
 */
#define _GNU_SOURCE
#include <signal.h>

#include "golive/plugin.h"

static int crash_before_tool(void *state, const struct golive_host_api *api, struct golive_host *h,
                             const struct golive_tool_call *call)
{
	(void)state;
	(void)api;
	(void)h;
	(void)call;
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
	return 0;
}

const struct golive_plugin_v1 golive_plugin_v1 = {
    .abi_version = GOLIVE_PLUGIN_ABI,
    .struct_size = sizeof(struct golive_plugin_v1),
    .name = "p_crash",
    .version = "1",
    .before_tool = crash_before_tool,
};
