/*
 * keeper.h - makes sure the process groups golive dev starts die with it,
 * even when golive is SIGKILLed.
 *
 * PR_SET_PDEATHSIG kills the program when golive dies, but not the
 * program's own children, nor a build's compilers: orphaned, they would be
 * reparented to init and live on. The keeper is a small process forked at
 * startup that golive tells, through a pipe, which process groups it
 * started and which are gone. When the pipe reaches EOF without a goodbye
 * (golive died: the kernel closed its end), the keeper SIGKILLs every group
 * still on its list, then exits. On a normal exit golive says goodbye and
 * the keeper exits without killing anything.
 *
 * A program golive dev runs carries KEEPER_RUN_MARKER_ENV=<golive's pid>.<n>
 * in its environment (supervise.c), and so does everything it starts unless
 * it clears its environment: when golive dies, the keeper also kills every
 * process holding such an entry for golive's pid, which catches what left
 * the program's process group (setsid, a double fork).
 *
 * The keeper ignores SIGINT, SIGTERM and SIGHUP (a Ctrl-C reaches golive's
 * whole foreground group) and holds no other descriptor of golive's.
 */
#ifndef GOLIVE_KEEPER_H
#define GOLIVE_KEEPER_H

#include <sys/types.h>

/* The environment entry that marks the programs golive dev runs. */
#define KEEPER_RUN_MARKER_ENV "GOLIVE_RUN"

/* The keeper runs as golive re-executed under this argv[0]. */
#define KEEPER_ARGV0 "golive-keeper"

/*
 * Called first thing in main(): when argv0 is KEEPER_ARGV0 this process is a
 * keeper and the call never returns; otherwise it returns 0.
 */
int keeper_main_if_argv0(const char *argv0);

/* Starts the keeper. Returns 0, or -1 (errno) when it could not be forked. */
int keeper_start(void);
/* Adds / removes a process group (its leader's pid) to / from the list. */
void keeper_add(pid_t pgid);
void keeper_remove(pid_t pgid);
/* Goodbye: the keeper exits without killing anything. */
void keeper_stop(void);

/*
 * SIGKILLs every process (but this one) whose initial environment holds
 * entry: exactly (prefix 0) or an entry starting with it (prefix 1). Only
 * processes whose /proc/PID/environ this user can read are seen. A process
 * caught in the middle of an execve (its environment reads empty for that
 * moment: see keeper_mid_exec) is looked at again, for 100 ms at most.
 * Returns how many were killed.
 */
int keeper_sweep_marked(const char *entry, int prefix);

/*
 * 1 when pid is a user process in the middle of an execve (its new memory
 * has no environment laid out yet), 0 otherwise: a kernel thread, a
 * zombie, a process with an empty environment, one that is gone.
 */
int keeper_mid_exec(long pid);

#endif
