/*
 * supervise.h - running the user's program under `golive dev`: start it in a
 * process group of its own, notice when it ends, stop it (signal, grace
 * period, SIGKILL to the group) and say when to restart a crashed one.
 *
 * Nothing outlives golive: supervise_init_process() makes golive a child
 * subreaper, so grandchildren whose parent died are reparented to golive
 * (and are killed and reaped with their group); the program itself gets
 * PR_SET_PDEATHSIG(SIGKILL), so it dies even when golive is SIGKILLed.
 *
 * The module never sleeps on behalf of the caller and never polls: the
 * caller's event loop polls supervise_pidfd() and calls supervise_reap()
 * when it is readable; a crashed program's restart delay is reported, the
 * caller schedules the restart. Library code: it never prints, errors come
 * back as a malloc'd *cause.
 *
 * Linux only (pidfd_open, prctl, close_range); one supervisor per program.
 * supervise_start() must be called from a thread that lives as long as the
 * program should (PR_SET_PDEATHSIG fires when the parent *thread* exits):
 * in golive dev, the main thread.
 */
#ifndef GOLIVE_SUPERVISE_H
#define GOLIVE_SUPERVISE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/util.h"
#include "dev/keeper.h"

/* Grace period between the stop signal and SIGKILL. */
#define SUPERVISE_GRACE_MS 5000

/*
 * Each run of a program gets SUPERVISE_MARKER_ENV=<golive's pid>.<n> in its
 * environment, unique to that run; its children inherit it. When the run
 * ends (reaped or stopped), after its process group is killed, every process
 * still carrying that exact entry is killed too: what the program set loose
 * with setsid or a double fork, which would otherwise outlive it (and keep
 * its ports); the keeper does the same for golive's pid when golive is
 * SIGKILLed (keeper.h). A process that clears its environment escapes this.
 */
#define SUPERVISE_MARKER_ENV KEEPER_RUN_MARKER_ENV
/* Restart delays after crashes: from MIN, doubling up to MAX; back to MIN after a run of RESET. */
#define SUPERVISE_BACKOFF_MIN_MS   100
#define SUPERVISE_BACKOFF_MAX_MS   5000
#define SUPERVISE_BACKOFF_RESET_MS 10000

struct supervise_opts {
	char *const *argv; /* NULL-terminated; argv[0] looked up in PATH unless it has a '/' */
	char *const *env;  /* "NAME=value" added to (or replacing in) its environment, or NULL */
	const int *fds;    /* become fds 3, 4, ... with LISTEN_FDS, LISTEN_PID (systemd) */
	size_t nfds;       /* number of fds; 0: none, and no LISTEN_* variables */
	int stdin_fd;      /* -1: the program inherits golive's stdin; else dup2'ed to 0 */
	int stdout_fd;     /* -1: the program inherits golive's stdout; else dup2'ed to 1 */
	int stop_signal;   /* sent to the group by supervise_stop(); 0: SIGTERM */
	int64_t grace_ms;  /* supervise_stop()'s wait before SIGKILL; 0: SUPERVISE_GRACE_MS */
	int stderr_fd;     /* -1: the program inherits golive's stderr; else dup2'ed to 2 */
	/*
	 * With fds: no LISTEN_PID. For a program that runs another one which
	 * takes the fds (a debugger: golive dev --debug), whose pid it cannot know.
	 */
	int no_listen_pid;
};
#define SUPERVISE_OPTS_INIT                                                                        \
	{                                                                                          \
		NULL, NULL, NULL, 0, -1, -1, 0, 0, -1, 0                                           \
	}

/* How one run of the program ended. */
struct supervise_exit {
	pid_t pid;                /* the program's pid (and process group); 0 when nothing ran */
	int status;               /* raw wait status (WIFEXITED, WTERMSIG, ...) */
	int exit_code;            /* exit code, or -1 when it was killed by a signal */
	int signal;               /* the signal that killed it, or 0 when it exited */
	int killed;               /* supervise_stop() had to SIGKILL it after the grace period */
	int64_t ran_ms;           /* how long it ran, start to reap */
	int64_t restart_delay_ms; /* supervise_reap() only: wait this long, then start again */
};

struct supervisor;

/*
 * Once per golive dev, before the first supervise_start(): makes this
 * process a child subreaper (PR_SET_CHILD_SUBREAPER). Returns 0, or -1 with
 * *cause.
 */
int supervise_init_process(char **cause);

/*
 * A supervisor for the program described by opts. argv, env and fds are
 * copied (the fds by number: the caller keeps them open while the
 * supervisor may start the program). Free with supervise_free().
 */
struct supervisor *supervise_new(const struct supervise_opts *opts);

/*
 * Kills the program's whole group at once (SIGKILL, no grace period) if it
 * runs, reaps it and frees s. NULL is fine.
 */
void supervise_free(struct supervisor *s);

/*
 * Starts the program (fork + exec) in a new process group with default
 * signal dispositions, an empty signal mask, PR_SET_PDEATHSIG(SIGKILL), the
 * fds moved to 3.. and every other fd above 2 closed. With fds, LISTEN_FDS=n
 * and LISTEN_PID=<the program's own pid> are set (inherited LISTEN_* are
 * always dropped; the caller adds LISTEN_FDNAMES through env). Returns 0, or
 * -1 with *cause when it could not be started (not found, not executable,
 * already running), in which case nothing runs.
 */
int supervise_start(struct supervisor *s, char **cause);

/* The running program's pid (= its process group), or 0 when none runs. */
pid_t supervise_pid(const struct supervisor *s);

/*
 * A pidfd of the running program, readable once it has ended (poll POLLIN);
 * -1 when none runs. Owned by s: valid until the next supervise_reap(),
 * supervise_stop() or supervise_free().
 */
int supervise_pidfd(const struct supervisor *s);

/*
 * Non-blocking. When the program has ended on its own, kills what is left of
 * its group, reaps it, fills *ex (with the restart delay computed by
 * supervise_backoff_ms() from the previous one) and returns 1. Returns 0
 * while it runs or when nothing runs, -1 with *cause on a wait error.
 */
int supervise_reap(struct supervisor *s, struct supervise_exit *ex, char **cause);

/*
 * Stops the program: the stop signal to its group, up to grace_ms for the
 * program to end (waiting on the pidfd, no polling), then SIGKILL to the
 * group; members of the group still alive when the program has ended are
 * SIGKILLed too, and everything is reaped. Fills *ex (ex->killed when the
 * grace period ran out; restart_delay_ms is 0) and returns 0; with nothing
 * running, ex->pid is 0. -1 with *cause when the group could not be killed
 * or reaped.
 */
int supervise_stop(struct supervisor *s, struct supervise_exit *ex, char **cause);

/* Forgets the crash history: the next crash restarts after SUPERVISE_BACKOFF_MIN_MS. */
void supervise_reset_backoff(struct supervisor *s);

/*
 * The restart delay after a crash: SUPERVISE_BACKOFF_MIN_MS for the first
 * crash (prev_ms 0) or when the program ran SUPERVISE_BACKOFF_RESET_MS or
 * longer, otherwise prev_ms doubled up to SUPERVISE_BACKOFF_MAX_MS.
 */
int64_t supervise_backoff_ms(int64_t prev_ms, int64_t ran_ms);

/* How many processes outside its group the last ended run left, killed by their marker. */
int supervise_swept(const struct supervisor *s);

#endif
