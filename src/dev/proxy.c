/* proxy.c - see proxy.h. */
#define _GNU_SOURCE
#include "dev/proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define ACCEPT_PAUSE_MS 100 /* after EMFILE and friends: leave clients in the backlog */

enum conn_state {
	C_PENDING,    /* waiting to connect to the backend (held, or retry timer) */
	C_CONNECTING, /* non-blocking connect in flight */
	C_OPEN,       /* forwarding */
	C_DEAD        /* closed; freed at the end of the round */
};

/* One direction's bytes: data[off, len) are still to be written. */
struct buf {
	char *data; /* buf_cap bytes, allocated on first read */
	size_t off;
	size_t len;
};

struct conn;

/* One socket of a connection; epoll's data.ptr points here. */
struct end {
	struct conn *conn;
	int fd;          /* -1 when closed */
	uint32_t events; /* registered epoll events; 0 means not in the set */
};

struct conn {
	struct end client, backend;
	enum conn_state state;
	int64_t deadline_ns; /* give up connecting at this time; 0: budget not started */
	int64_t next_try_ns; /* earliest next connect attempt */
	struct buf c2b, b2c;
	unsigned c_eof : 1;      /* the client sent EOF */
	unsigned b_eof : 1;      /* the backend sent EOF */
	unsigned c_shut : 1;     /* we shut down writing to the client */
	unsigned b_shut : 1;     /* we shut down writing to the backend */
	unsigned answered : 1;   /* the backend sent a byte */
	unsigned replayable : 1; /* c2b still holds all the client sent, from offset 0 */
	unsigned replays;
	unsigned gen; /* p->gen when its backend connection was made */
	struct conn *prev, *next;
};

struct proxy {
	int epfd;
	int listen_fd;            /* not owned */
	uint32_t listen_events;   /* 0 while accepting is paused */
	int64_t accept_pause_end; /* 0, or when accepting resumes after EMFILE etc. */
	struct listen_addr backend;
	int has_backend;
	int held;
	unsigned gen; /* restarts begun (proxy_hold(p, 1)): a backend of an older gen is gone */
	struct proxy_opts opts;
	struct conn *conns; /* live connections */
	struct conn *dead;  /* closed this round; chained through next */
	size_t nconns;
	struct proxy_stats st;
};

static int64_t ms_ns(int ms)
{
	return (int64_t)ms * 1000000;
}

/* Registers exactly the events want for e (none: not in the set, so no HUP spin). */
static int end_watch(struct proxy *p, struct end *e, uint32_t want)
{
	if (e->fd < 0 || want == e->events)
		return 0;
	struct epoll_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = e;
	int r;
	if (!want)
		r = epoll_ctl(p->epfd, EPOLL_CTL_DEL, e->fd, NULL);
	else
		r = epoll_ctl(p->epfd, e->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, e->fd, &ev);
	if (r < 0)
		return -1;
	e->events = want;
	return 0;
}

static void end_close(struct proxy *p, struct end *e)
{
	if (e->fd < 0)
		return;
	if (e->events)
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, e->fd, NULL);
	e->events = 0;
	close(e->fd);
	e->fd = -1;
}

static void set_nodelay(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void listen_update(struct proxy *p)
{
	uint32_t want = p->nconns < p->opts.max_conns && !p->accept_pause_end ? EPOLLIN : 0;
	if (want == p->listen_events)
		return;
	struct epoll_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = NULL; /* NULL marks the listening socket */
	if (!epoll_ctl(p->epfd, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, p->listen_fd, &ev))
		p->listen_events = want;
}

/*
 * Closes both sockets of c and moves it to the dead list. reset=1 resets
 * the client (RST) so that it sees a failure rather than an empty answer.
 */
static void conn_kill(struct proxy *p, struct conn *c, int reset)
{
	if (c->state == C_DEAD)
		return;
	if (reset && c->client.fd >= 0) {
		struct linger lg = {1, 0};
		setsockopt(c->client.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	end_close(p, &c->client);
	end_close(p, &c->backend);
	free(c->c2b.data);
	free(c->b2c.data);
	c->c2b.data = c->b2c.data = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		p->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->state = C_DEAD;
	c->prev = NULL;
	c->next = p->dead;
	p->dead = c;
	p->nconns--;
	listen_update(p);
}

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
static void conn_update(struct proxy *p, struct conn *c)
{
	size_t cap = p->opts.buf_cap;
	uint32_t cw = 0, bw = 0;

	if (c->replayable && c->c2b.len >= cap)
		c->replayable = 0; /* a large upload: forward it, give up replaying */
	if (!c->replayable && c->c2b.off == c->c2b.len)
		c->c2b.off = c->c2b.len = 0;
	if (c->b2c.off == c->b2c.len)
		c->b2c.off = c->b2c.len = 0;

	if (c->state == C_CONNECTING) {
		bw = EPOLLOUT;
	} else if (c->state == C_OPEN) {
		if (!c->c_eof && buf_room(&c->c2b, c->replayable, cap))
			cw |= EPOLLIN;
		if (c->b2c.off < c->b2c.len)
			cw |= EPOLLOUT;
		if (!c->b_eof && buf_room(&c->b2c, 0, cap))
			bw |= EPOLLIN;
		if (c->c2b.off < c->c2b.len)
			bw |= EPOLLOUT;
	}
	if (end_watch(p, &c->client, cw) < 0 || end_watch(p, &c->backend, bw) < 0)
		conn_kill(p, c, 1);
}

/* The backend socket failed to connect: retry later, or give up past the deadline. */
static void connect_failed(struct proxy *p, struct conn *c, int64_t now)
{
	end_close(p, &c->backend);
	c->state = C_PENDING;
	if (now >= c->deadline_ns) {
		p->st.failed++;
		conn_kill(p, c, 1);
		return;
	}
	p->st.retries++;
	c->next_try_ns = now + ms_ns(p->opts.retry_interval_ms);
	conn_update(p, c);
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
static void refuse_replay(struct proxy *p, struct conn *c)
{
	static const char body[] =
	    "golive dev: the program restarted while handling this request; it was not sent "
	    "again because it may have taken effect. Check, then retry.\n";
	p->st.unsafe++;
	if (!looks_http1(&c->c2b) || c->client.fd < 0) {
		conn_kill(p, c, 1);
		return;
	}
	char *resp = xasprintf("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
	                       "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
	                       "Connection: close\r\n\r\n%s",
	                       sizeof(body) - 1, body);
	(void)!send(c->client.fd, resp, strlen(resp), MSG_NOSIGNAL);
	free(resp);
	shutdown(c->client.fd, SHUT_WR);
	conn_kill(p, c, 0);
}

/*
 * The established backend connection failed (reset, broken pipe, or a
 * close without an answer from a program golive stopped). Before the
 * backend answered, with everything the client sent still at hand and
 * safe to repeat (replay_safe), start over on a new connection; a request
 * not safe to repeat gets refuse_replay; otherwise close the client.
 */
static void backend_failed(struct proxy *p, struct conn *c)
{
	if (c->answered || !c->replayable || c->replays >= PROXY_MAX_REPLAYS) {
		conn_kill(p, c, 1);
		return;
	}
	if (!replay_safe(&c->c2b)) {
		refuse_replay(p, c);
		return;
	}
	end_close(p, &c->backend);
	c->replays++;
	p->st.replays++;
	c->c2b.off = 0;
	c->b_eof = c->b_shut = 0;
	c->state = C_PENDING;
	c->next_try_ns = 0;
	c->deadline_ns = 0;
	conn_update(p, c);
}

static int would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* Moves whatever bytes can move without blocking, then propagates EOFs. */
static void conn_pump(struct proxy *p, struct conn *c)
{
	size_t cap = p->opts.buf_cap;
	ssize_t n;

	if (!c->c_eof && buf_room(&c->c2b, c->replayable, cap)) {
		buf_prepare(&c->c2b, c->replayable, cap);
		n = recv(c->client.fd, c->c2b.data + c->c2b.len, cap - c->c2b.len, 0);
		if (n > 0)
			c->c2b.len += (size_t)n;
		else if (!n)
			c->c_eof = 1;
		else if (!would_block()) {
			conn_kill(p, c, 1);
			return;
		}
	}
	if (c->c2b.off < c->c2b.len) {
		n = send(c->backend.fd, c->c2b.data + c->c2b.off, c->c2b.len - c->c2b.off,
		         MSG_NOSIGNAL);
		if (n > 0)
			c->c2b.off += (size_t)n;
		else if (n < 0 && !would_block()) {
			backend_failed(p, c);
			return;
		}
	}
	if (!c->b_eof && buf_room(&c->b2c, 0, cap)) {
		buf_prepare(&c->b2c, 0, cap);
		n = recv(c->backend.fd, c->b2c.data + c->b2c.len, cap - c->b2c.len, 0);
		if (n > 0) {
			c->b2c.len += (size_t)n;
			c->answered = 1;
			c->replayable = 0;
		} else if (!n) {
			if (!c->answered && c->gen != p->gen) {
				/* closed unanswered by a program golive has since stopped */
				backend_failed(p, c);
				return;
			}
			c->b_eof = 1;
		} else if (!would_block()) {
			backend_failed(p, c);
			return;
		}
	}
	if (c->b2c.off < c->b2c.len) {
		n = send(c->client.fd, c->b2c.data + c->b2c.off, c->b2c.len - c->b2c.off,
		         MSG_NOSIGNAL);
		if (n > 0)
			c->b2c.off += (size_t)n;
		else if (n < 0 && !would_block()) {
			conn_kill(p, c, 1);
			return;
		}
	}

	if (c->c_eof && !c->b_shut && c->c2b.off == c->c2b.len) {
		shutdown(c->backend.fd, SHUT_WR);
		c->b_shut = 1;
	}
	if (c->b_eof && !c->c_shut && c->b2c.off == c->b2c.len) {
		shutdown(c->client.fd, SHUT_WR);
		c->c_shut = 1;
	}
	if (c->c_eof && c->b_shut && c->b_eof && c->c_shut) {
		conn_kill(p, c, 0);
		return;
	}
	conn_update(p, c);
}

/*
 * A connect to a free port in the ephemeral range can pick that same port
 * as its source and connect the socket to itself (TCP simultaneous open).
 */
static int self_connected(int fd)
{
	struct sockaddr_storage a, b;
	socklen_t al = sizeof(a), bl = sizeof(b);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (getsockname(fd, (struct sockaddr *)&a, &al) < 0 ||
	    getpeername(fd, (struct sockaddr *)&b, &bl) < 0)
		return 0;
	return al == bl && !memcmp(&a, &b, al);
}

static void conn_open(struct proxy *p, struct conn *c)
{
	if (self_connected(c->backend.fd)) {
		connect_failed(p, c, now_mono_ns());
		return;
	}
	c->state = C_OPEN;
	c->deadline_ns = 0;
	p->st.connected++;
	conn_pump(p, c);
}

/* Starts a non-blocking connect to the backend. */
static void conn_connect(struct proxy *p, struct conn *c, int64_t now)
{
	if (!c->deadline_ns)
		c->deadline_ns = now + ms_ns(p->opts.retry_total_ms);
	c->gen = p->gen;
	int fd = socket(p->backend.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		connect_failed(p, c, now);
		return;
	}
	set_nodelay(fd);
	c->backend.fd = fd;
	c->backend.events = 0;
	if (!connect(fd, (const struct sockaddr *)&p->backend.ss, p->backend.len)) {
		conn_open(p, c);
		return;
	}
	if (errno == EINPROGRESS || errno == EINTR) {
		c->state = C_CONNECTING;
		conn_update(p, c);
		return;
	}
	connect_failed(p, c, now);
}

/* The in-flight connect finished one way or the other. */
static void conn_connected(struct proxy *p, struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(c->backend.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (!err) {
		conn_open(p, c);
		return;
	}
	connect_failed(p, c, now_mono_ns());
}

/* Connects in flight go back to pending, to be retried (new backend, or after a hold). */
static void abandon_connects(struct proxy *p)
{
	for (struct conn *c = p->conns; c; c = c->next) {
		if (c->state == C_CONNECTING) {
			end_close(p, &c->backend);
			c->state = C_PENDING;
		}
		if (c->state == C_PENDING) {
			c->next_try_ns = 0;
			c->deadline_ns = 0;
		}
	}
}

static void proxy_accept(struct proxy *p)
{
	while (p->nconns < p->opts.max_conns) {
		int fd = accept4(p->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				/* EMFILE, ENFILE, ENOBUFS: let clients wait in the backlog */
				p->accept_pause_end = now_mono_ns() + ms_ns(ACCEPT_PAUSE_MS);
			break;
		}
		set_nodelay(fd);
		struct conn *c = xcalloc(1, sizeof(*c));
		c->client.conn = c->backend.conn = c;
		c->client.fd = fd;
		c->backend.fd = -1;
		c->state = C_PENDING;
		c->replayable = 1;
		c->next = p->conns;
		if (p->conns)
			p->conns->prev = c;
		p->conns = c;
		p->nconns++;
		p->st.accepted++;
	}
	listen_update(p);
}

/* Timed work: connect attempts, deadlines, resuming accept. */
static void proxy_tick(struct proxy *p)
{
	int64_t now = now_mono_ns();
	if (p->accept_pause_end && now >= p->accept_pause_end) {
		p->accept_pause_end = 0;
		listen_update(p);
	}
	struct conn *next;
	for (struct conn *c = p->conns; c; c = next) {
		next = c->next;
		if (c->state == C_CONNECTING && c->deadline_ns && now >= c->deadline_ns)
			connect_failed(p, c, now);
		else if (c->state == C_PENDING && !p->held && p->has_backend &&
		         now >= c->next_try_ns)
			conn_connect(p, c, now);
	}
}

struct proxy *proxy_new(int listen_fd, const char *backend, const struct proxy_opts *opts,
                        char **cause)
{
	struct proxy_opts defaults = PROXY_OPTS_INIT;
	struct listen_addr addr;
	if (backend && listen_parse(backend, &addr, cause) < 0)
		return NULL;
	int flags = fcntl(listen_fd, F_GETFL);
	if (flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		*cause = xasprintf("proxy: listening socket: %s", strerror(errno));
		return NULL;
	}
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		*cause = xasprintf("proxy: epoll: %s", strerror(errno));
		return NULL;
	}
	struct proxy *p = xcalloc(1, sizeof(*p));
	p->epfd = epfd;
	p->listen_fd = listen_fd;
	p->opts = opts ? *opts : defaults;
	if (!p->opts.buf_cap)
		p->opts.buf_cap = defaults.buf_cap;
	if (p->opts.retry_interval_ms <= 0)
		p->opts.retry_interval_ms = defaults.retry_interval_ms;
	if (!p->opts.max_conns)
		p->opts.max_conns = defaults.max_conns;
	if (backend) {
		p->backend = addr;
		p->has_backend = 1;
	}
	listen_update(p);
	if (!p->listen_events) {
		*cause = xasprintf("proxy: epoll: %s", strerror(errno));
		proxy_free(p);
		return NULL;
	}
	return p;
}

static void free_dead(struct proxy *p)
{
	while (p->dead) {
		struct conn *c = p->dead;
		p->dead = c->next;
		free(c);
	}
}

void proxy_free(struct proxy *p)
{
	if (!p)
		return;
	while (p->conns)
		conn_kill(p, p->conns, 0);
	free_dead(p);
	close(p->epfd);
	free(p);
}

int proxy_set_backend(struct proxy *p, const char *addr, char **cause)
{
	struct listen_addr a;
	if (listen_parse(addr, &a, cause) < 0)
		return -1;
	p->backend = a;
	p->has_backend = 1;
	abandon_connects(p);
	return 0;
}

void proxy_hold(struct proxy *p, int hold)
{
	if (hold && !p->held)
		p->gen++;
	p->held = !!hold;
	abandon_connects(p);
}

int proxy_fd(const struct proxy *p)
{
	return p->epfd;
}

int proxy_timeout_ms(const struct proxy *p)
{
	int64_t best = p->accept_pause_end ? p->accept_pause_end : -1;
	for (const struct conn *c = p->conns; c; c = c->next) {
		int64_t t = -1;
		if (c->state == C_PENDING && !p->held && p->has_backend)
			t = c->next_try_ns;
		else if (c->state == C_CONNECTING && c->deadline_ns)
			t = c->deadline_ns;
		if (t >= 0 && (best < 0 || t < best))
			best = t;
	}
	if (best < 0)
		return -1;
	int64_t left = best - now_mono_ns();
	if (left <= 0)
		return 0;
	left = (left + 999999) / 1000000;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

int proxy_run_once(struct proxy *p, int timeout_ms)
{
	int t = proxy_timeout_ms(p);
	if (t >= 0 && (timeout_ms < 0 || t < timeout_ms))
		timeout_ms = t;
	struct epoll_event evs[64];
	int n = epoll_wait(p->epfd, evs, (int)ARRAY_SIZE(evs), timeout_ms);
	if (n < 0) {
		if (errno != EINTR)
			return -1;
		n = 0;
	}
	for (int i = 0; i < n; i++) {
		struct end *e = evs[i].data.ptr;
		if (!e) {
			proxy_accept(p);
			continue;
		}
		struct conn *c = e->conn;
		if (c->state == C_CONNECTING && e == &c->backend)
			conn_connected(p, c);
		else if (c->state == C_OPEN)
			conn_pump(p, c);
	}
	proxy_tick(p);
	free_dead(p);
	return 0;
}

void proxy_stats(const struct proxy *p, struct proxy_stats *st)
{
	*st = p->st;
	st->active = p->nconns;
	st->pending = 0;
	for (const struct conn *c = p->conns; c; c = c->next)
		if (c->state == C_PENDING || c->state == C_CONNECTING)
			st->pending++;
}
