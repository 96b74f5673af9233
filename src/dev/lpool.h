/*
 * lpool.h - the listening sockets of `golive dev --listen`, one set per
 * program version, so that a program being stopped is never handed a new
 * connection.
 *
 * With one shared socket, the old and the new program both accept from the
 * same queue until the old one closes its listener. A program that got the
 * stop signal can still accept a connection in that moment, and Go's
 * http.Server drops a request it reads once Shutdown has begun: the client
 * sees EOF. So each address is a SO_REUSEPORT group of sockets (slots),
 * all bound by golive, and a classic-BPF program attached to the group
 * (SO_ATTACH_REUSEPORT_CBPF) hands every new connection to one slot: the
 * steered one. A new program gets a slot of its own; when it is ready the
 * group is steered to it, and the old program is stopped once its own
 * queue is empty (lpool_queued) and it holds no connection (drain.h).
 *
 * The kernel numbers a group's sockets in the order they started to
 * listen, and renumbers them only when one closes; slots are never closed
 * before lpool_free, so slot i is index i. There are LPOOL_MAX_SLOTS at
 * most: when every one is taken, a program shares the steered slot (what
 * one shared socket did). The first slot refuses a port that another socket
 * holds (listen_bind_group), as a plain bind does.
 */
#ifndef GOLIVE_LPOOL_H
#define GOLIVE_LPOOL_H

#include <stddef.h>

#include "dev/listen.h"

#define LPOOL_MAX_ADDRS 16
#define LPOOL_MAX_SLOTS 8

struct lpool;

struct lpool *lpool_new(void);
/* Closes every socket. */
void lpool_free(struct lpool *p);

/*
 * Adds address addr ("host:port", listen.h) before any lpool_pick: binds
 * its socket of slot 0. *bound receives the address actually bound.
 * Returns the fd of slot 0 (the pool owns it), or -1 with *cause.
 */
int lpool_add(struct lpool *p, const char *addr, struct listen_addr *bound, char **cause);

/* The number of addresses added. */
size_t lpool_naddrs(const struct lpool *p);

/*
 * The slot for a program about to start: a free one (the steered one
 * first, whose queue may hold connections waiting for a program), else a
 * new one, else the steered one, shared. Never fails.
 */
int lpool_pick(struct lpool *p);
/* The listening fds of slot (one per address, in lpool_add order). */
const int *lpool_fds(const struct lpool *p, int slot);

/* owner (a program) now uses slot; lpool_release(owner) when it has ended. */
void lpool_own(struct lpool *p, int slot, const void *owner);
void lpool_release(struct lpool *p, const void *owner);

/*
 * Hands new connections to owner's slot from now on. Returns 0, or -1 when
 * the kernel refused the steering program (errno; connections are then
 * spread over the slots by the kernel's hash, as without it).
 */
int lpool_steer(struct lpool *p, const void *owner);

/*
 * The listening fds whose accept queues only owner will ever take from:
 * its slot's, when no other program shares it and it is not steered (NULL
 * otherwise); *n receives how many.
 */
const int *lpool_own_fds(const struct lpool *p, const void *owner, size_t *n);

/* Connections waiting in the accept queues of fds[0..n) (TCP_INFO); -1 when unknown. */
int lpool_queued(const int *fds, size_t n);

#endif
