/*
 * httpproxy.h - the HTTP-aware proxy of `golive dev --browser`: like
 * proxy.h (same loop contract: poll httpproxy_fd(), call
 * httpproxy_run_once(hp, 0); hold while the program restarts; retry the
 * backend while it starts), but it parses HTTP/1.x both ways with
 * http-parser (Debian's libhttp-parser) instead of copying bytes, so that:
 *
 *  - it serves /__golive/reload.js (browser.h) and /__golive/events, a
 *    Server-Sent Events stream fed by httpproxy_event();
 *  - it inserts <script src="/__golive/reload.js?v=N"> into navigations
 *    answered with text/html (inject.h decides), fixing Content-Length
 *    (a page within buf_cap is sent whole at its end; a longer one chunked),
 *    re-chunking, decoding gzip/deflate/br, adding 'self' or a nonce to its
 *    CSP header and <meta> CSPs;
 *    on navigations it asks the program for Accept-Encoding: identity;
 *  - everything else streams through with its body bytes unchanged
 *    (chunked bodies are re-framed chunk by chunk: extensions and trailers
 *    dropped), through buffers of opts.buf_cap per direction: nothing is
 *    held whole;
 *  - keep-alive and pipelining: requests go to the program in order, each
 *    answer is matched to its request (HEAD, 1xx, 204, 304 know their
 *    bodies); a /__golive/ request waits for the answers before it;
 *  - Upgrade (WebSocket, 101; h2c: the program answers, 101 or not) and
 *    CONNECT become a raw tunnel after their request; so does HTTP/2 with
 *    prior knowledge (h2c as gRPC clients speak it: RFC 9113's preface opens
 *    the connection) from its first byte: bytes both ways untouched, never
 *    injected nor replayed; a tunnel queues at most opts.buf_cap per
 *    direction;
 *  - the client's connection survives the program's: a keep-alive backend
 *    connection that closes while idle is dropped and made again for the
 *    next request; one that fails before answering is re-sent when every
 *    request in it is idempotent and was kept whole (up to buf_cap), else
 *    the client gets 503 with Retry-After (as proxy.h);
 *  - bad input (malformed HTTP, non-HTTP bytes) gets 400 and a close; a
 *    program answering garbage or closing mid-answer gets its client's
 *    connection reset (never a corrupt body). One slow or broken
 *    connection never holds up another.
 *
 * Linux only (epoll, accept4).
 */
#ifndef GOLIVE_HTTPPROXY_H
#define GOLIVE_HTTPPROXY_H

#include "dev/proxy.h"

/* Its first member is its struct proxy (dev/proxycore.h). */
struct httpproxy;

/*
 * As proxy_new (listen_fd not owned; backend NULL holds clients until
 * httpproxy_set_backend; opts NULL for PROXY_OPTS_INIT). NULL with *cause.
 */
struct httpproxy *httpproxy_new(int listen_fd, const char *backend, const struct proxy_opts *opts,
                                char **cause);
void httpproxy_free(struct httpproxy *hp);

/* hp as the struct proxy it starts with, for proxy.h's functions. */
static inline struct proxy *httpproxy_base(struct httpproxy *hp)
{
	return (struct proxy *)(void *)hp;
}
static inline const struct proxy *httpproxy_cbase(const struct httpproxy *hp)
{
	return (const struct proxy *)(const void *)hp;
}

/* proxy.h's, on hp. */
static inline int httpproxy_set_backend(struct httpproxy *hp, const char *addr, char **cause)
{
	return proxy_set_backend(httpproxy_base(hp), addr, cause);
}
static inline void httpproxy_hold(struct httpproxy *hp, int hold)
{
	proxy_hold(httpproxy_base(hp), hold);
}
static inline int httpproxy_fd(const struct httpproxy *hp)
{
	return proxy_fd(httpproxy_cbase(hp));
}
static inline int httpproxy_timeout_ms(const struct httpproxy *hp)
{
	return proxy_timeout_ms(httpproxy_cbase(hp));
}
static inline int httpproxy_run_once(struct httpproxy *hp, int timeout_ms)
{
	return proxy_run_once(httpproxy_base(hp), timeout_ms);
}
static inline void httpproxy_stats(const struct httpproxy *hp, struct proxy_stats *st)
{
	proxy_stats(httpproxy_cbase(hp), st);
}

/*
 * Sends the event (name, and data: one line, JSON; NULL for {}) to every
 * open /__golive/events stream now. "reload" also raises the version that
 * new pages are tagged with, forgets the error, sends {"version":N}, and
 * closes idle keep-alive connections to the program (the old one is about
 * to be stopped: nothing of it is cut). The last "error" or "findings"
 * event is kept and sent to streams that open later, until the next
 * "reload" or "clear". A stream whose client does not read (over 1 MiB
 * queued) is closed.
 */
void httpproxy_event(struct httpproxy *hp, const char *name, const char *data);
/*
 * Keeps the event (name NULL: none) for the streams that open from now on,
 * as if it were the last "error"/"findings", without sending it to the open
 * ones (after a "reload" they are about to open again).
 */
void httpproxy_keep(struct httpproxy *hp, const char *name, const char *data);
/* The version pages are tagged with now (starts at 0). */
unsigned httpproxy_version(const struct httpproxy *hp);
/* Open /__golive/events streams. */
size_t httpproxy_streams(const struct httpproxy *hp);

#endif
