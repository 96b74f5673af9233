/* p_size - a test plugin whose struct golive_plugin_v1 has another size than golive's. */
#define _GNU_SOURCE
#include "golive/plugin.h"

const struct golive_plugin_v1 golive_plugin_v1 = {
    .abi_version = GOLIVE_PLUGIN_ABI,
    .struct_size = sizeof(struct golive_plugin_v1) + 8,
    .name = "p_size",
    .version = "1",
};
