/* keeper.c - see keeper.h. */
#define _GNU_SOURCE
#include "dev/keeper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"

#define KEEPER_MAX 1024 /* groups tracked at once; more are not protected */

static int keeper_fd = -1;
static pid_t keeper_pid;

int keeper_sweep_marked(const char *entry, int prefix)
{
	DIR *dp = opendir("/proc");
	struct dirent *e;
	size_t mlen = strlen(entry);
	int n = 0;
	if (!dp || !mlen)
		goto out;
	while ((e = readdir(dp))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 1 || pid == (long)getpid())
			continue;
		char path[64];
		snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* gone, or not ours */
		struct strbuf env = STRBUF_INIT;
		int trunc = 0;
		long got = strbuf_read_fd(&env, fd, 1u << 20, &trunc);
		close(fd);
		for (size_t i = 0; got > 0 && i < env.len;) {
			size_t l = strnlen(env.buf + i, env.len - i);
			if ((prefix ? l >= mlen : l == mlen) && !memcmp(env.buf + i, entry, mlen)) {
				if (kill((pid_t)pid, SIGKILL) == 0)
					n++;
				break;
			}
			i += l + 1;
		}
		strbuf_release(&env);
	}
out:
	if (dp)
		closedir(dp);
	return n;
}

/* The keeper's main loop: a record is an int32, +pgid / -pgid / 0 for goodbye. */
static NORETURN void keeper_main(int fd)
{
	static pid_t groups[KEEPER_MAX];
	size_t n = 0;
	int32_t rec;
	/* golive, while it lives: the programs it runs carry GOLIVE_RUN=<its pid>.<n> */
	char marker[64];
	snprintf(marker, sizeof(marker), "%s=%d.", KEEPER_RUN_MARKER_ENV, (int)getppid());
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		ssize_t r = read(fd, &rec, sizeof(rec));
		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)sizeof(rec))
			break; /* EOF (golive died) or garbage: kill what is listed */
		if (rec == 0)
			_exit(0);
		if (rec > 0 && n < KEEPER_MAX) {
			groups[n++] = rec;
		} else if (rec < 0) {
			for (size_t i = 0; i < n; i++)
				if (groups[i] == -rec) {
					groups[i] = groups[--n];
					break;
				}
		}
	}
	for (size_t i = 0; i < n; i++)
		kill(-groups[i], SIGKILL);
	/* and what those programs set loose from their groups (setsid, a double fork) */
	keeper_sweep_marked(marker, 1);
	_exit(0);
}

int keeper_main_if_argv0(const char *argv0)
{
	if (!argv0 || strcmp(argv0, KEEPER_ARGV0) != 0)
		return 0;
	keeper_main(3);
}

int keeper_start(void)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		errno = e;
		return -1;
	}
	if (pid == 0) {
		/* Keep only the read end: every other descriptor of golive is closed. */
		if (p[0] != 3) {
			dup2(p[0], 3); /* the copy is not close-on-exec */
			close(p[0]);
		} else {
			fcntl(3, F_SETFD, 0);
		}
		syscall(SYS_close_range, 4, ~0U, 0);
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			if (devnull > 2 && devnull != 3)
				close(devnull);
		}
		/* A process of its own name, so that `pkill -f "golive dev"` does not hit it. */
		char *const argv[] = {(char *)KEEPER_ARGV0, NULL};
		execv("/proc/self/exe", argv);
		keeper_main(3); /* no /proc: keep going as the fork */
	}
	close(p[0]);
	keeper_fd = p[1];
	keeper_pid = pid;
	return 0;
}

static void send_rec(int32_t rec)
{
	if (keeper_fd >= 0 && write(keeper_fd, &rec, sizeof(rec)) < 0) {
		/* the keeper is gone: nothing to protect with */
	}
}

void keeper_add(pid_t pgid)
{
	if (pgid > 0)
		send_rec((int32_t)pgid);
}

void keeper_remove(pid_t pgid)
{
	if (pgid > 0)
		send_rec(-(int32_t)pgid);
}

void keeper_stop(void)
{
	if (keeper_fd < 0)
		return;
	send_rec(0);
	close(keeper_fd);
	keeper_fd = -1;
	int st;
	while (waitpid(keeper_pid, &st, 0) < 0 && errno == EINTR)
		;
}
