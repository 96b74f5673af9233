/* toolexec.c - see toolexec.h. */
#define _GNU_SOURCE
#include "toolexec.h"
#include "event.h"
#include "proc.h"
#include "toolargs.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Replaces this process with the tool. */
static NORETURN void exec_tool(char **argv)
{
	if (argv[0][0] == '/')
		execv(argv[0], argv);
	else
		execvp(argv[0], argv);
	int e = errno;
	fprintf(stderr, "golive: cannot run %s: %s\n", argv[0], strerror(e));
	exit(e == ENOENT ? 127 : 126);
}

/* Appends one line to a file of the session with one write(); errors are ignored. */
static void append_line(const char *session, const char *file, const char *line, size_t len)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", session, file);
	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	/* One write(): O_APPEND makes it atomic against the other wrappers. */
	(void)!write(fd, line, len);
	close(fd);
}

void toolexec_main(int argc, char **argv)
{
	const char *session = getenv("GOLIVE_SESSION");
	if (!session || !*session)
		exec_tool(argv + 1);

	struct tool_invocation ti;
	struct event ev;
	struct rusage ru, self;
	struct proc_opts opts = PROC_OPTS_INIT;
	char *cause = NULL;
	int status = 0;

	toolargs_classify(&ti, argc, argv);
	memset(&ev, 0, sizeof(ev));
	opts.use_path = argv[1][0] != '/';

	ev.start_ns = now_unix_ns();
	int64_t t0 = now_mono_ns();
	pid_t pid = proc_spawn(argv + 1, &opts, &cause);
	if (pid < 0) {
		fprintf(stderr, "golive: %s\n", cause);
		exit(127);
	}
	/* golive build draws "compiling <pkg>" from this marker (TTY only). */
	if (ti.kind == TOOL_COMPILE && !ti.probe && getenv("GOLIVE_PROGRESS")) {
		const char *ip = getenv("TOOLEXEC_IMPORTPATH");
		char line[1024];
		int n = snprintf(line, sizeof(line), "%s\n", ip ? ip : ti.pkg ? ti.pkg : "");
		if (n > 0 && (size_t)n < sizeof(line))
			append_line(session, "started", line, (size_t)n);
	}
	/* Measure the inputs while the tool runs. */
	ev.files = (long)ti.nfiles;
	ev.bytes = toolargs_source_bytes(&ti);
	if (proc_wait(pid, &status, &ru) < 0) {
		fprintf(stderr, "golive: waiting for %s: %s\n", argv[1], strerror(errno));
		exit(1);
	}
	ev.wall_ns = now_mono_ns() - t0;

	ev.tool = ti.name;
	ev.importpath = getenv("TOOLEXEC_IMPORTPATH");
	ev.pkg = (char *)ti.pkg;
	ev.probe = ti.probe;
	ev.tool_user_ns = proc_tv_ns(&ru.ru_utime);
	ev.tool_sys_ns = proc_tv_ns(&ru.ru_stime);
	ev.tool_maxrss_kb = ru.ru_maxrss;
	ev.exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	ev.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	getrusage(RUSAGE_SELF, &self);
	ev.self_user_ns = proc_tv_ns(&self.ru_utime);
	ev.self_sys_ns = proc_tv_ns(&self.ru_stime);
	ev.self_maxrss_kb = self.ru_maxrss;

	size_t len = 0;
	char *line = event_encode(&ev, &len);
	if (line)
		append_line(session, EVENTS_FILE, line, len);
	free(line);
	toolargs_release(&ti);
	proc_exit_like(status);
}
