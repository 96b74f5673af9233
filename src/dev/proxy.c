/* proxy.c - see proxy.h. The loop, the connection table and connecting are proxycore.h's. */
#define _GNU_SOURCE
#include "dev/proxy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dev/proxycore.h"

/* One direction's bytes: data[off, len) are still to be written. */
struct buf {
	char *data; /* buf_cap bytes, allocated on first read */
	size_t off;
	size_t len;
};

struct conn {
	struct proxycore_conn base; /* first: the core's part */
	struct buf c2b, b2c;
	unsigned c_eof : 1;      /* the client sent EOF */
	unsigned b_eof : 1;      /* the backend sent EOF */
	unsigned c_shut : 1;     /* we shut down writing to the client */
	unsigned b_shut : 1;     /* we shut down writing to the backend */
	unsigned answered : 1;   /* the backend sent a byte */
	unsigned replayable : 1; /* c2b still holds all the client sent, from offset 0 */
};

#define CONN(bc) ((struct conn *)(bc))

/* Room left to read into b; retained bytes (before off) count when retain. */
static size_t buf_room(const struct buf *b, int retain, size_t cap)
{
	size_t used = retain ? b->len : b->len - b->off;
	return used < cap ? cap - used : 0;
}

/* Makes room at the end of b (allocating it the first time). */
static void buf_prepare(struct buf *b, int retain, size_t cap)
{
	if (!b->data)
		b->data = xmalloc(cap);
	if (!retain && b->off) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
}

/* Registers the events c needs now; kills c when epoll refuses. */
static void conn_update(struct proxy *pc, struct conn *c)
{
	size_t cap = pc->opts.buf_cap;
	uint32_t cw = 0, bw = 0;

	if (c->replayable && c->c2b.len >= cap)
		c->replayable = 0; /* a large upload: forward it, give up replaying */
	if (!c->replayable && c->c2b.off == c->c2b.len)
		c->c2b.off = c->c2b.len = 0;
	if (c->b2c.off == c->b2c.len)
		c->b2c.off = c->b2c.len = 0;

	if (c->base.state == PROXYCORE_CONNECTING) {
		bw = EPOLLOUT;
	} else if (c->base.state == PROXYCORE_OPEN) {
		if (!c->c_eof && buf_room(&c->c2b, c->replayable, cap))
			cw |= EPOLLIN;
		if (c->b2c.off < c->b2c.len)
			cw |= EPOLLOUT;
		if (!c->b_eof && buf_room(&c->b2c, 0, cap))
			bw |= EPOLLIN;
		if (c->c2b.off < c->c2b.len)
			bw |= EPOLLOUT;
	}
	proxycore_watch(pc, &c->base, cw, bw);
}

/* Case-insensitive: the header block hdr (len bytes) has a line "name:"; its value in *val. */
static int header_value(const char *hdr, size_t len, const char *name, const char **val)
{
	size_t n = strlen(name);
	for (const char *l = hdr; l < hdr + len;) {
		const char *e = memchr(l, '\n', (size_t)(hdr + len - l));
		if (!e)
			e = hdr + len;
		if ((size_t)(e - l) > n && !strncasecmp(l, name, n) && l[n] == ':') {
			*val = l + n + 1;
			return 1;
		}
		l = e + 1;
	}
	return 0;
}

/*
 * Whether sending again what the client sent (all of it, b from offset 0)
 * cannot do twice what it asked for (RFC 9110 9.2.2):
 *  - nothing, or an HTTP/1 header block not yet complete: no program has
 *    acted on it;
 *  - one whole HTTP/1 request with an idempotent method (GET, HEAD,
 *    OPTIONS, TRACE, PUT, DELETE), no Transfer-Encoding, and at most its
 *    Content-Length of body (a body still arriving is fine, a second
 *    request after it is not);
 *  - bytes that are not HTTP: an opaque protocol, replayed as before.
 * Not safe: POST, PATCH and every other method, chunked bodies, pipelined
 * requests, HTTP/2 (whose preface hides its methods).
 */
static int replay_safe(const struct buf *b)
{
	static const char *const idempotent[] = {"GET",   "HEAD", "OPTIONS",
	                                         "TRACE", "PUT",  "DELETE"};
	const char *d = b->data;
	size_t len = b->len;
	if (!len)
		return 1;
	if (len >= 3 && !memcmp(d, "PRI", 3))
		return 0; /* the HTTP/2 preface "PRI * HTTP/2.0" */
	size_t m = 0;
	while (m < len && d[m] >= 'A' && d[m] <= 'Z')
		m++;
	if (!m || m > 16 || (m < len && d[m] != ' '))
		return 1; /* not an HTTP request line: opaque bytes */
	const char *hend = memmem(d, len, "\r\n\r\n", 4);
	if (!hend)
		return 1; /* the request is not all there: nobody has acted on it */
	int ok = 0;
	for (size_t i = 0; i < ARRAY_SIZE(idempotent) && !ok; i++)
		ok = strlen(idempotent[i]) == m && !memcmp(d, idempotent[i], m);
	if (!ok)
		return 0;
	size_t hlen = (size_t)(hend - d) + 4, body = len - hlen;
	const char *v;
	if (header_value(d, hlen, "transfer-encoding", &v))
		return 0;
	unsigned long long cl = 0;
	if (header_value(d, hlen, "content-length", &v))
		cl = strtoull(v + strspn(v, " \t"), NULL, 10);
	return body <= cl;
}

/* An HTTP/1 request line starts b (a method of capitals, then a space). */
static int looks_http1(const struct buf *b)
{
	size_t m = 0;
	while (m < b->len && b->data[m] >= 'A' && b->data[m] <= 'Z')
		m++;
	return m && m <= 16 && m < b->len && b->data[m] == ' ' && memcmp(b->data, "PRI", 3);
}

/*
 * The client's request may have taken effect in the program that died
 * with it, and is not safe to send again: tell an HTTP/1 client so (503,
 * Retry-After), close anything else.
 */
static void refuse_replay(struct proxy *pc, struct conn *c)
{
	if (!looks_http1(&c->c2b) || c->base.client.fd < 0) {
		proxycore_refuse(pc, NULL);
		proxycore_kill(pc, &c->base, 1);
		return;
	}
	struct strbuf resp = STRBUF_INIT;
	proxycore_refuse(pc, &resp);
	(void)!send(c->base.client.fd, resp.buf, resp.len, MSG_NOSIGNAL);
	strbuf_release(&resp);
	shutdown(c->base.client.fd, SHUT_WR);
	proxycore_kill(pc, &c->base, 0);
}

/*
 * The established backend connection failed (reset, broken pipe, or a
 * close without an answer from a program golive stopped). Before the
 * backend answered, with everything the client sent still at hand and
 * safe to repeat (replay_safe), start over on a new connection; a request
 * not safe to repeat gets refuse_replay; otherwise close the client.
 */
static void backend_failed(struct proxy *pc, struct conn *c)
{
	if (c->answered || !c->replayable || c->base.replays >= PROXY_MAX_REPLAYS) {
		proxycore_kill(pc, &c->base, 1);
		return;
	}
	if (!replay_safe(&c->c2b)) {
		refuse_replay(pc, c);
		return;
	}
	proxycore_replay(pc, &c->base);
	c->c2b.off = 0;
	c->b_eof = c->b_shut = 0;
	conn_update(pc, c);
}

/* recv into b (made ready with buf_prepare): recv's result. */
static ssize_t buf_recv(int fd, struct buf *b, int retain, size_t cap)
{
	buf_prepare(b, retain, cap);
	ssize_t n = recv(fd, b->data + b->len, cap - b->len, 0);
	if (n > 0)
		b->len += (size_t)n;
	return n;
}

/* Sends what b holds: 0, or -1 when the socket failed. */
static int buf_send(int fd, struct buf *b)
{
	if (b->off == b->len)
		return 0;
	ssize_t n = send(fd, b->data + b->off, b->len - b->off, MSG_NOSIGNAL);
	if (n > 0)
		b->off += (size_t)n;
	else if (n < 0 && !proxycore_would_block())
		return -1;
	return 0;
}

/* Moves whatever bytes can move without blocking, then propagates EOFs. */
static void conn_pump(struct proxy *pc, struct conn *c)
{
	size_t cap = pc->opts.buf_cap;
	int cfd = c->base.client.fd;
	ssize_t n;

	if (!c->c_eof && buf_room(&c->c2b, c->replayable, cap)) {
		n = buf_recv(cfd, &c->c2b, c->replayable, cap);
		if (!n)
			c->c_eof = 1;
		else if (n < 0 && !proxycore_would_block()) {
			proxycore_kill(pc, &c->base, 1);
			return;
		}
	}
	if (buf_send(c->base.backend.fd, &c->c2b) < 0) {
		backend_failed(pc, c);
		return;
	}
	if (!c->b_eof && buf_room(&c->b2c, 0, cap)) {
		n = buf_recv(c->base.backend.fd, &c->b2c, 0, cap);
		if (n > 0) {
			c->answered = 1;
			c->replayable = 0;
		} else if (!n) {
			if (!c->answered && c->base.gen != pc->gen) {
				/* closed unanswered by a program golive has since stopped */
				backend_failed(pc, c);
				return;
			}
			c->b_eof = 1;
		} else if (!proxycore_would_block()) {
			backend_failed(pc, c);
			return;
		}
	}
	if (buf_send(cfd, &c->b2c) < 0) {
		proxycore_kill(pc, &c->base, 1);
		return;
	}

	if (c->c_eof && !c->b_shut && c->c2b.off == c->c2b.len) {
		shutdown(c->base.backend.fd, SHUT_WR);
		c->b_shut = 1;
	}
	if (c->b_eof && !c->c_shut && c->b2c.off == c->b2c.len) {
		shutdown(cfd, SHUT_WR);
		c->c_shut = 1;
	}
	if (c->c_eof && c->b_shut && c->b_eof && c->c_shut) {
		proxycore_kill(pc, &c->base, 0);
		return;
	}
	conn_update(pc, c);
}

/* ---- proxycore's callbacks -------------------------------------------------------- */

static void cb_accepted(struct proxy *pc, struct proxycore_conn *bc)
{
	(void)pc;
	proxycore_connect_soon(bc); /* nothing is read from it until then */
	CONN(bc)->replayable = 1;
}

static void cb_ready(struct proxy *pc, struct proxycore_conn *bc)
{
	if (bc->state == PROXYCORE_OPEN)
		conn_pump(pc, CONN(bc));
}

static void cb_release(struct proxy *pc, struct proxycore_conn *bc)
{
	struct conn *c = CONN(bc);
	(void)pc;
	free(c->c2b.data);
	free(c->b2c.data);
	c->c2b.data = c->b2c.data = NULL;
}

static const struct proxycore_ops proxy_ops = {
    .conn_size = sizeof(struct conn),
    .accepted = cb_accepted,
    .ready = cb_ready,
    .release = cb_release,
};

/* ---- the interface (the rest of proxy.h is proxycore.c's) -------------------------- */

struct proxy *proxy_new(int listen_fd, const char *backend, const struct proxy_opts *opts,
                        char **cause)
{
	return proxycore_new(sizeof(struct proxy), listen_fd, backend, opts, &proxy_ops, cause);
}

void proxy_free(struct proxy *p)
{
	proxycore_free(p);
}
