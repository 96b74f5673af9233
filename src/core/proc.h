/*
 * proc.h - running child processes: spawn with signal forwarding, wait with
 * resource usage, and leaving with the child's exact status.
 *
 * Forwarding: while a child spawned here runs, SIGINT, SIGTERM and SIGHUP
 * received by golive are sent on to it (to its whole process group when it
 * was started in a new one). The signals are blocked around the spawn, so
 * one that arrives early is forwarded, not lost. The child starts with the
 * signal mask golive had and default dispositions for those signals.
 */
#ifndef GOLIVE_PROC_H
#define GOLIVE_PROC_H

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "core/util.h"

struct proc_opts {
	int new_pgroup; /* start the child in a process group of its own; forward to the group */
	int use_path;   /* look argv[0] up in PATH (posix_spawnp) */
	int stdin_fd;   /* -1: inherit; otherwise dup2'ed to 0 in the child */
	int stdout_fd;  /* -1: inherit; otherwise dup2'ed to 1 */
	int stderr_fd;  /* -1: inherit; otherwise dup2'ed to 2 */
};
#define PROC_OPTS_INIT                                                                             \
	{                                                                                          \
		0, 0, -1, -1, -1                                                                   \
	}

/*
 * Spawns argv (argv[0] is the program) with the current environment and
 * starts forwarding signals to it. Returns the pid, or -1 with *cause
 * (malloc'd) when the program could not be started.
 */
pid_t proc_spawn(char *const argv[], const struct proc_opts *opts, char **cause);

/*
 * Waits for pid (retrying on EINTR), fills *status and, when ru is not
 * NULL, the child's resource usage (wait4). Stops forwarding signals to it.
 * Returns 0, or -1 with errno.
 */
int proc_wait(pid_t pid, int *status, struct rusage *ru);

/* The last signal forwarded to a child (0 if none); see proc_spawn. */
int proc_forwarded_signal(void);

/*
 * Leaves golive the way the child left: exit(code) for a normal exit, or
 * death by the same signal (with core dumps disabled) for a signalled one.
 */
NORETURN void proc_exit_like(int status);

/* Dies by signal sig (core dumps disabled); exits 128+sig if that signal does not kill. */
NORETURN void proc_die_by_signal(int sig);

/* A pidfd for pid (pidfd_open(2)), pollable until it exits; -1 (errno) where unsupported. */
int proc_pidfd_open(pid_t pid);

/* Converts a timeval to nanoseconds. */
long long proc_tv_ns(const struct timeval *tv);

#endif
