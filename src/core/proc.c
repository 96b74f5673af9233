/* proc.c - see proc.h. */
#define _GNU_SOURCE
#include "core/proc.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP};
static volatile sig_atomic_t fwd_target; /* pid, or -pgid; 0 when none */
static volatile sig_atomic_t fwd_last;

static void forward_handler(int sig)
{
	int saved = errno;
	pid_t t = (pid_t)fwd_target;
	fwd_last = sig;
	if (t)
		kill(t, sig);
	errno = saved;
}

int proc_forwarded_signal(void)
{
	return (int)fwd_last;
}

pid_t proc_spawn(char *const argv[], const struct proc_opts *opts, char **cause)
{
	sigset_t block, old, deflt;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	pid_t pid = -1;
	int rc;

	sigemptyset(&block);
	sigemptyset(&deflt);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++) {
		sigaddset(&block, forwarded[i]);
		sigaddset(&deflt, forwarded[i]);
	}
	sigprocmask(SIG_BLOCK, &block, &old);

	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_init(&fa);
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	if (opts->new_pgroup) {
		flags |= POSIX_SPAWN_SETPGROUP;
		posix_spawnattr_setpgroup(&attr, 0);
	}
	posix_spawnattr_setflags(&attr, flags);
	posix_spawnattr_setsigmask(&attr, &old);
	posix_spawnattr_setsigdefault(&attr, &deflt);
	if (opts->stdin_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, opts->stdin_fd, 0);
	if (opts->stdout_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, opts->stdout_fd, 1);
	if (opts->stderr_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, opts->stderr_fd, 2);

	if (opts->use_path)
		rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	else
		rc = posix_spawn(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);

	if (rc != 0) {
		*cause = xasprintf("cannot run %s: %s", argv[0], strerror(rc));
		pid = -1;
	} else {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = forward_handler;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART;
		fwd_target = opts->new_pgroup ? -pid : pid;
		for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
			sigaction(forwarded[i], &sa, NULL);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

int proc_wait(pid_t pid, int *status, struct rusage *ru)
{
	struct rusage dummy;
	pid_t r;
	do {
		r = wait4(pid, status, 0, ru ? ru : &dummy);
	} while (r < 0 && errno == EINTR);
	if (r == pid && (fwd_target == pid || fwd_target == -pid))
		fwd_target = 0;
	return r == pid ? 0 : -1;
}

void proc_die_by_signal(int sig)
{
	struct rlimit nocore = {0, 0};
	sigset_t set;
	fflush(NULL);
	setrlimit(RLIMIT_CORE, &nocore);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	/* A signal whose default is to be ignored: say it like a shell. */
	exit(128 + sig);
}

void proc_exit_like(int status)
{
	if (WIFSIGNALED(status))
		proc_die_by_signal(WTERMSIG(status));
	exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

long long proc_tv_ns(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000000000LL + (long long)tv->tv_usec * 1000LL;
}

int proc_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}
