/*
 * drain.h - stopping an old program without dropping requests it is
 * serving (golive dev --listen).
 *
 * Every version of the program shares golive's listening sockets, so the
 * kernel hands each new connection to whichever version accepts first. A
 * program killed right after it accepted a connection resets it, unless it
 * shuts down gracefully. Before golive signals the old version it pauses
 * it with SIGSTOP: a stopped process accepts nothing, so new connections
 * wait in the queue for the new version. If the old one still holds a
 * connection it accepted (a TCP socket on a listening port, not in LISTEN
 * state, found through /proc/PID/fd and /proc/PID/net/tcp{,6}), it is
 * resumed for a moment to finish it and paused again, until it holds none
 * or max_ms have passed. The caller then sends its stop signal and
 * SIGCONT: the program ends with nothing in flight.
 */
#ifndef GOLIVE_DRAIN_H
#define GOLIVE_DRAIN_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The number of TCP connections process pid has open whose local port is
 * the port of one of the listening sockets fds[0..nfds) and that are not
 * listening themselves; -1 when /proc cannot tell.
 */
int drain_accepted(pid_t pid, const int *fds, size_t nfds);

/*
 * Pauses process group pgid (whose leader is pid) with SIGSTOP at a moment
 * when pid holds no accepted connection, resuming it between tries, for at
 * most max_ms. Returns with the group stopped either way: 0 when it holds
 * none, 1 when max_ms passed first, -1 when pid cannot be inspected (the
 * group is still stopped). The caller signals it and sends SIGCONT.
 */
int drain_pause(pid_t pid, pid_t pgid, const int *fds, size_t nfds, int max_ms);

#endif
