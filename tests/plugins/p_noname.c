/* p_noname - a test plugin that calls itself something else than golive.yaml does. */
#define _GNU_SOURCE
#include "golive/plugin.h"

const struct golive_plugin_v1 golive_plugin_v1 = {
    .abi_version = GOLIVE_PLUGIN_ABI,
    .struct_size = sizeof(struct golive_plugin_v1),
    .name = "someone_else",
    .version = "1",
};
