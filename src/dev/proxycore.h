/*
 * proxycore.h - what golive dev's two proxies share, and the definition of
 * struct proxy: the TCP proxy of --proxy (proxy.c, which copies bytes) and
 * the HTTP proxy of --browser (httpproxy.c, which parses them) are each a
 * struct proxy with its own proxycore_ops. The core owns the listening
 * side and the connection table; each proxy owns what it does with bytes.
 * proxy.h is the interface callers see (proxy_hold, proxy_run_once, ...
 * are this file's, for both kinds); this header is for the two proxies.
 *
 * The core does:
 *  - the epoll set (its fd is proxy_fd()), accepting (accept4, TCP_NODELAY;
 *    at most opts.max_conns connections, then clients wait in the kernel's
 *    backlog; EMFILE and friends pause accepting for a moment);
 *  - the table of connections: one client socket and at most one backend
 *    socket each, allocated ops->conn_size bytes (the user's struct, whose
 *    first member is struct proxycore_conn), killed onto a dead list that
 *    is freed at the end of each round (so a pointer stays valid for the
 *    round that killed it);
 *  - the backend: its address (proxy_set_backend), hold/resume
 *    (proxy_hold: no new backend connection while held), the non-blocking
 *    connect (its socket watched for EPOLLOUT by the core) and its retry
 *    every opts.retry_interval_ms while refused, for up to
 *    opts.retry_total_ms, then gave_up; a socket connected to itself
 *    counts as refused;
 *  - the loop: proxy_timeout_ms (its timers and the user's), proxy_run_once
 *    (epoll_wait, dispatch, timers, freeing the dead);
 *  - the counters (struct proxy_stats), and the replay and refusal
 *    bookkeeping both proxies do the same way.
 *
 * The user (a proxy) does everything about bytes, through proxycore_ops:
 * it reads and writes the sockets when they are ready (ready), chooses
 * which epoll events each side waits for (proxycore_watch), decides when a
 * connection wants a backend (proxycore_connect_soon), and whether a
 * failed one is sent again (proxycore_replay) or refused (proxycore_refuse).
 *
 * A proxy with more state embeds struct proxy as the first member of its
 * own handle (httpproxy.c), and every proxy's connection struct starts
 * with struct proxycore_conn, so that callbacks cast back. One thread,
 * Linux only (epoll, accept4).
 */
#ifndef GOLIVE_PROXYCORE_H
#define GOLIVE_PROXYCORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include "dev/listen.h"
#include "dev/proxy.h" /* struct proxy_opts, struct proxy_stats, the interface */

/* Where a connection's backend side is. */
enum proxycore_state {
	PROXYCORE_IDLE,       /* no backend connection, none wanted (the user's choice) */
	PROXYCORE_PENDING,    /* waiting to connect: held, no backend yet, or a retry's timer */
	PROXYCORE_CONNECTING, /* a non-blocking connect in flight */
	PROXYCORE_OPEN,       /* connected: the user moves bytes */
};

struct proxycore_conn;

/* One socket of a connection; epoll's data.ptr points here (NULL: the listener). */
struct proxycore_end {
	struct proxycore_conn *conn;
	int fd;          /* -1 when closed */
	uint32_t events; /* registered epoll events; 0: not in the set */
};

struct proxycore_conn {
	struct proxycore_end client, backend;
	enum proxycore_state state;
	int64_t deadline_ns; /* give up connecting at this time; 0: budget not started */
	int64_t next_try_ns; /* earliest next connect attempt */
	unsigned gen;        /* the core's gen when the backend connection was made */
	unsigned replays;    /* proxycore_replay calls (the user may reset it) */
	int dead;            /* killed; freed at the end of the round */
	struct proxycore_conn *prev, *next;
};

struct proxy;

/*
 * What a proxy does at each turn. Every callback may kill c
 * (proxycore_kill); the core looks at nothing of c afterwards but c->dead.
 */
struct proxycore_ops {
	size_t conn_size; /* sizeof the user's connection struct */
	/* c was just accepted (state IDLE, client.fd set, no events registered) */
	void (*accepted)(struct proxy *pc, struct proxycore_conn *c);
	/* a registered event on c's client, or on its backend once OPEN */
	void (*ready)(struct proxy *pc, struct proxycore_conn *c);
	/* the backend connection is made (state OPEN, counted); NULL: ready */
	void (*opened)(struct proxy *pc, struct proxycore_conn *c);
	/*
	 * no backend answered within opts.retry_total_ms (state PENDING, counted
	 * as failed); NULL: the client is reset (proxycore_kill(pc, c, 1))
	 */
	void (*gave_up)(struct proxy *pc, struct proxycore_conn *c);
	/* optional: the user's timers; returns 1 when it acted on c (no core timer then) */
	int (*tick)(struct proxy *pc, struct proxycore_conn *c, int64_t now);
	/* optional: the user's earliest timer of c (monotonic ns), or -1 */
	int64_t (*timer)(const struct proxycore_conn *c);
	/* c is being killed, its sockets closed: free what the user's struct owns */
	void (*release)(struct proxy *pc, struct proxycore_conn *c);
};

/* A proxy of either kind; embedded first in a bigger handle. Read-only for the user. */
struct proxy {
	int epfd;
	int listen_fd;            /* not owned */
	uint32_t listen_events;   /* 0 while accepting is paused */
	int64_t accept_pause_end; /* 0, or when accepting resumes after EMFILE etc. */
	struct listen_addr backend;
	int has_backend;
	int held;
	unsigned gen; /* restarts begun (proxy_hold(pc, 1)) */
	struct proxy_opts opts;
	const struct proxycore_ops *ops;
	struct proxycore_conn *conns; /* live connections */
	struct proxycore_conn *dead;  /* killed this round; chained through next */
	size_t nconns;
	struct proxy_stats st; /* active and pending are filled by proxy_stats */
};

/*
 * A new proxy of size bytes (at least sizeof(struct proxy), zeroed: the
 * struct proxy first, the user's fields after it) accepting on listen_fd
 * (made non-blocking; not owned) and connecting to backend ("host:port" as
 * listen.h; NULL holds clients until proxy_set_backend). opts NULL:
 * PROXY_OPTS_INIT; a zero or negative field takes its default. ops is not
 * copied. NULL with *cause (malloc'd) on a bad address or when epoll fails.
 */
struct proxy *proxycore_new(size_t size, int listen_fd, const char *backend,
                            const struct proxy_opts *opts, const struct proxycore_ops *ops,
                            char **cause);
/* Kills every connection (no reset), closes the epoll fd, frees pc (NULL is fine). */
void proxycore_free(struct proxy *pc);

/* proxy.h's proxy_set_backend, _hold, _fd, _timeout_ms, _run_once, _stats: proxycore.c's. */

/* Frees the connections killed since the last round (outside proxy_run_once). */
void proxycore_free_dead(struct proxy *pc);

/*
 * Registers exactly client_events on c's client socket and backend_events
 * on its backend socket (0: out of the set, so a hung-up socket does not
 * spin). When epoll refuses, c is killed (reset) and -1 returned.
 */
int proxycore_watch(struct proxy *pc, struct proxycore_conn *c, uint32_t client_events,
                    uint32_t backend_events);
/* Closes one socket of a connection (and takes it out of the epoll set). */
void proxycore_end_close(struct proxy *pc, struct proxycore_end *e);
/*
 * Closes both sockets of c, calls ops->release, moves c to the dead list.
 * reset=1 resets the client (RST) so that it sees a failure rather than an
 * end. A second call does nothing.
 */
void proxycore_kill(struct proxy *pc, struct proxycore_conn *c, int reset);

/* c wants a backend connection: PENDING with a fresh retry budget. */
void proxycore_connect_soon(struct proxycore_conn *c);
/*
 * The backend connection failed before answering and what the client sent
 * is to go again: closes the backend socket, counts the replay (in c and
 * the stats) and makes c PENDING with a fresh budget. The caller checked
 * c->replays < PROXY_MAX_REPLAYS and restores the bytes to send.
 */
void proxycore_replay(struct proxy *pc, struct proxycore_conn *c);
/*
 * A request that may have taken effect in a program that died with it is
 * not sent again: counted in proxy_stats.unsafe; out (NULL: none, the
 * client is to be closed) gets the HTTP/1.1 answer that says so: 503,
 * Retry-After: 1, Connection: close, a one-line text body.
 */
void proxycore_refuse(struct proxy *pc, struct strbuf *out);

/* errno says try again later (EAGAIN, EWOULDBLOCK, EINTR). */
int proxycore_would_block(void);

static inline int64_t proxycore_ms_ns(int ms)
{
	return (int64_t)ms * 1000000;
}

#endif
