/*
 * drain.h - stopping an old program without dropping requests it is
 * serving (golive dev --listen and --proxy).
 *
 * With --listen every version of the program shares golive's listening
 * sockets, so the kernel hands each new connection to whichever version
 * accepts first; with --proxy golive forwards connections to the program's
 * own port. Either way, a program killed right after it accepted a
 * connection resets it, unless it shuts down gracefully. So before golive
 * signals the old version it pauses it with SIGSTOP, every thread of it: a
 * stopped process accepts nothing (new connections wait in the queue for
 * the new version, or are held by the proxy). If the old one still holds a
 * connection it accepted (a TCP socket on one of the given local ports, not
 * in LISTEN state, found through /proc/PID/fd and NETLINK_SOCK_DIAG, or
 * /proc/PID/net/tcp{,6} where that is not available),
 * it is resumed for a moment to finish it and paused again, until it holds
 * none or max_ms have passed. The caller then sends its stop signal and
 * SIGCONT: the program ends with nothing in flight.
 */
#ifndef GOLIVE_DRAIN_H
#define GOLIVE_DRAIN_H

#include <stddef.h>
#include <sys/types.h>

/* The local port of socket fd (getsockname), or 0. */
unsigned drain_port_of(int fd);

/*
 * The number of TCP connections process pid has open whose local port is
 * one of ports[0..nports) and that are not listening themselves; -1 when
 * /proc cannot tell.
 */
int drain_accepted(pid_t pid, const unsigned *ports, size_t nports);

/*
 * Pauses process group pgid (whose leader is pid) with SIGSTOP, waits
 * until every thread of pid is stopped, and returns when pid holds no
 * accepted connection and the accept queues of listening sockets
 * lfds[0..nlfds) (those only pid takes from, lpool.h) are empty, resuming
 * it between tries, or after max_ms. Returns
 * with the group stopped either way: 0 when it holds none, 1 when max_ms
 * passed first, -1 when pid cannot be inspected (the group is still
 * stopped). The caller signals it and sends SIGCONT. Only the caller knows
 * that nothing new can reach pid (its connections held or steered
 * elsewhere): then a first look finds whether it holds nothing, and returns
 * 0 at once without stopping it.
 */
int drain_pause(pid_t pid, pid_t pgid, const unsigned *ports, size_t nports, const int *lfds,
                size_t nlfds, int max_ms);

#endif
