/*
 * p_hang - a test plugin whose before_tool never returns. It first forks a
 * grandchild that sleeps too, and writes "<its pid> <grandchild pid>" to
 * args.pidfile, so that the test can check the whole process group died.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "golive/plugin.h"

static void sleep_forever(void)
{
	for (;;)
		pause();
}

static int hang_before_tool(void *state, const struct golive_host_api *api, struct golive_host *h,
                            const struct golive_tool_call *call)
{
	(void)state;
	(void)call;
	pid_t kid = fork();
	if (kid == 0)
		sleep_forever();
	const char *pidfile = api->arg(h, "pidfile");
	if (pidfile) {
		char line[64];
		int n = snprintf(line, sizeof(line), "%d %d\n", (int)getpid(), (int)kid);
		int fd = open(pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0) {
			if (write(fd, line, (size_t)n) != n)
				return 1;
			close(fd);
		}
	}
	sleep_forever();
	return 0;
}

const struct golive_plugin_v1 golive_plugin_v1 = {
    .abi_version = GOLIVE_PLUGIN_ABI,
    .struct_size = sizeof(struct golive_plugin_v1),
    .name = "p_hang",
    .version = "1",
    .before_tool = hang_before_tool,
};
