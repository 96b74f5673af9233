/*
 * proxy.h - the TCP proxy of `golive dev --proxy ADDR --to ADDR`: accepts
 * on a listening socket and forwards each connection to the program's
 * port, holding new connections while the program restarts, so that a
 * client never sees a refused or reset connection.
 *
 * One thread, no blocking: the proxy owns an epoll set whose fd is itself
 * pollable. golive dev's loop polls proxy_fd() for POLLIN alongside its
 * other fds, with at most proxy_timeout_ms(), and calls
 * proxy_run_once(p, 0) when it is readable or the timeout passed. Tests
 * and simple callers just call proxy_run_once(p, ms) in a loop.
 *
 * Per connection:
 *  - held (proxy_hold(p, 1), or no backend set yet): accepted clients wait
 *    in a pending list (up to opts.max_conns, then in the kernel's accept
 *    backlog); nothing is read from them, nothing is refused;
 *  - released: the proxy connects to the backend; a failed connect
 *    (ECONNREFUSED while the program is starting) is retried every
 *    opts.retry_interval_ms up to opts.retry_total_ms, then the client is
 *    closed and counted in proxy_stats.failed;
 *  - connected: bytes flow both ways through buffers capped at
 *    opts.buf_cap per direction; an EOF on one side becomes
 *    shutdown(SHUT_WR) on the other once its buffer has drained; the
 *    connection closes when both directions are done or on an error;
 *  - replay: until the backend sends its first byte, the proxy keeps what
 *    the client sent (up to buf_cap). If the backend connection is reset
 *    before answering (an old program exiting with connections still in
 *    its accept queue), the proxy reconnects and sends it again, at most
 *    PROXY_MAX_REPLAYS times. A backend closing cleanly without answering
 *    is replayed only when a restart began (proxy_hold(p, 1)) after the
 *    connection to it was made: the program golive stopped had read the
 *    request and died with it. Otherwise a clean close is passed on.
 *    Only what is safe to repeat is replayed (RFC 9110's idempotent
 *    methods, one whole request, its body within Content-Length; a header
 *    block not yet complete; bytes that are not HTTP): a POST, PATCH,
 *    chunked or pipelined request, or HTTP/2, gets "503 Service
 *    Unavailable" with "Retry-After: 1" (HTTP/1) or is closed, and counts in
 *    proxy_stats.unsafe, so a program's side effects never happen twice.
 *
 * The HTTP proxy of --browser (httpproxy.h) is a struct proxy too: the
 * functions below but proxy_new and proxy_free take either kind
 * (httpproxy_base). Both are built on dev/proxycore.h.
 *
 * Linux only (epoll, accept4); the platform seam is this header.
 */
#ifndef GOLIVE_PROXY_H
#define GOLIVE_PROXY_H

#include <stddef.h>

#include "dev/listen.h"
#include "core/util.h"

struct proxy;

struct proxy_opts {
	size_t buf_cap;        /* bytes buffered per direction per connection */
	int retry_interval_ms; /* delay between backend connect attempts (1 ms: a refused
	                          loopback connect costs microseconds, a late one a request) */
	int retry_total_ms;    /* give up on a client after this long without a backend */
	size_t max_conns;      /* above this many, clients wait in the accept backlog */
	/*
	 * httpproxy only: a client that has not sent a whole request head this
	 * long after connecting, or after its request's first byte, gets 408
	 * and a close (slowloris); <= 0: the default
	 */
	int header_timeout_ms;
};
#define PROXY_HEADER_TIMEOUT_MS 10000
#define PROXY_OPTS_INIT                                                                            \
	{                                                                                          \
		64 * 1024, 1, 5000, 1024, PROXY_HEADER_TIMEOUT_MS                                  \
	}

#define PROXY_MAX_REPLAYS 8

/* Counters since proxy_new; a value struct. */
struct proxy_stats {
	unsigned long accepted;  /* client connections accepted */
	unsigned long connected; /* backend connections established (replays included) */
	unsigned long failed;    /* clients closed because no backend answered in time */
	unsigned long replays;   /* requests re-sent after a backend reset */
	unsigned long unsafe;    /* requests not re-sent (not safe to repeat): 503 or closed */
	unsigned long retries;   /* backend connect attempts that failed and were retried */
	size_t active;           /* connections open now (any state) */
	size_t pending;          /* of which waiting for a backend connection */
};

/*
 * A proxy accepting on listen_fd (made non-blocking; not owned: the caller
 * closes it after proxy_free) and forwarding to backend ("host:port" as in
 * listen.h; NULL means none yet, which holds clients until
 * proxy_set_backend). opts may be NULL for PROXY_OPTS_INIT.
 * Returns NULL with *cause (malloc'd) on a bad backend address or when
 * epoll fails.
 */
struct proxy *proxy_new(int listen_fd, const char *backend, const struct proxy_opts *opts,
                        char **cause);
/* Closes every connection and the epoll fd, frees p (from proxy_new; NULL is fine). */
void proxy_free(struct proxy *p);

/*
 * Sets the backend for connections made from now on. Connects in flight to
 * the old one are abandoned and retried against the new one; established
 * connections stay where they are. Returns 0, or -1 with *cause on a bad
 * address (the old backend is kept).
 */
int proxy_set_backend(struct proxy *p, const char *addr, char **cause);

/*
 * hold=1: make no new backend connection (connects in flight are abandoned
 * and will be retried); new clients are still accepted and wait.
 * hold=0: resume; every waiting client gets a fresh retry budget.
 */
void proxy_hold(struct proxy *p, int hold);

/* The epoll fd, to poll for POLLIN in an outer loop. */
int proxy_fd(const struct proxy *p);
/* Milliseconds until the proxy has timed work (a retry), or -1 for none. */
int proxy_timeout_ms(const struct proxy *p);

/*
 * Waits up to timeout_ms (-1: forever, 0: not at all; shortened to
 * proxy_timeout_ms) and handles whatever is ready. Returns 0, or -1 with
 * errno when epoll_wait fails (EINTR is not a failure).
 */
int proxy_run_once(struct proxy *p, int timeout_ms);

void proxy_stats(const struct proxy *p, struct proxy_stats *st);

#endif
