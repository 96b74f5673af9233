/* p_abi - a test plugin built for a plugin ABI golive does not have (2). */
#define _GNU_SOURCE
#include "golive/plugin.h"

const struct golive_plugin_v1 golive_plugin_v1 = {
    .abi_version = 2,
    .struct_size = sizeof(struct golive_plugin_v1),
    .name = "p_abi",
    .version = "1",
};
