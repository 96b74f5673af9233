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
#include <time.h>
#include <unistd.h>

#include "core/util.h"

#define KEEPER_MAX 1024 /* groups tracked at once; more are not protected */

static int keeper_fd = -1;
static pid_t keeper_pid;

#define PF_EXITING_FLAG 0x00000004u /* include/linux/sched.h: exiting, its memory gone */
#define PF_KTHREAD_FLAG 0x00200000u /* a kernel thread */
#define SWEEP_RETRY_MAX 64          /* processes caught mid-exec, retried */
#define SWEEP_RETRY_MS  100         /* how long they are retried, at most */

/*
 * An empty /proc/PID/environ means no environment, no memory (a kernel
 * thread, a zombie, one exiting) or an execve under way: the new memory's
 * env_end is 0 until the ELF loader has laid out the stack. Only the last
 * is worth another look. /proc/PID/stat tells them apart: state (field 3),
 * flags (field 9), env_start and env_end (fields 50 and 51). Returns 1 for
 * a user process with memory, with *env_start and *env_end; else 0.
 */
static int stat_env(long pid, unsigned long long *env_start, unsigned long long *env_end)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	char state = p[2];
	if (state == 'Z' || state == 'X' || state == 'x')
		return 0;
	unsigned long long flags = 0;
	int seen = 0;
	p += 2;
	for (int field = 3; field <= 51 && p; field++) {
		if (field == 9)
			flags = strtoull(p, NULL, 10);
		if (field == 50)
			*env_start = strtoull(p, NULL, 10);
		if (field == 51) {
			*env_end = strtoull(p, NULL, 10);
			seen = 1;
		}
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return seen && !(flags & (PF_KTHREAD_FLAG | PF_EXITING_FLAG));
}

int keeper_mid_exec(long pid)
{
	unsigned long long start = 0, end = 0;
	return stat_env(pid, &start, &end) && end == 0;
}

/* 1: pid's environment holds entry; 0: it does not; -1: look again. */
static int marked(long pid, const char *entry, size_t mlen, int prefix)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* gone, or not ours */
	struct strbuf env = STRBUF_INIT;
	int trunc = 0, found = 0;
	long got = strbuf_read_fd(&env, fd, 1u << 20, &trunc);
	close(fd);
	for (size_t i = 0; got > 0 && i < env.len;) {
		size_t l = strnlen(env.buf + i, env.len - i);
		if ((prefix ? l >= mlen : l == mlen) && !memcmp(env.buf + i, entry, mlen)) {
			found = 1;
			break;
		}
		i += l + 1;
	}
	strbuf_release(&env);
	if (found || got != 0)
		return found;
	/*
	 * Read empty: still in the execve (no env_end yet), or it has
	 * finished since and now has an environment to read.
	 */
	unsigned long long start = 0, end = 0;
	if (stat_env(pid, &start, &end) && (end == 0 || end > start))
		return -1;
	return 0;
}

int keeper_sweep_marked(const char *entry, int prefix)
{
	DIR *dp = opendir("/proc");
	struct dirent *e;
	size_t mlen = strlen(entry);
	long retry[SWEEP_RETRY_MAX];
	int n = 0, nretry = 0;
	if (!dp || !mlen)
		goto out;
	while ((e = readdir(dp))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 1 || pid == (long)getpid())
			continue;
		int m = marked(pid, entry, mlen, prefix);
		if (m > 0 && kill((pid_t)pid, SIGKILL) == 0)
			n++;
		else if (m < 0 && nretry < SWEEP_RETRY_MAX)
			retry[nretry++] = pid;
	}
	/* a process in the middle of execve shows its environment a moment later */
	for (int ms = 0; nretry && ms < SWEEP_RETRY_MS; ms++) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
		for (int i = 0; i < nretry;) {
			int m = marked(retry[i], entry, mlen, prefix);
			if (m < 0) {
				i++;
				continue;
			}
			if (m > 0 && kill((pid_t)retry[i], SIGKILL) == 0)
				n++;
			retry[i] = retry[--nretry];
		}
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
