/* proxycore.c - see proxycore.h. */
#define _GNU_SOURCE
#include "dev/proxycore.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define ACCEPT_PAUSE_MS 100 /* after EMFILE and friends: leave clients in the backlog */

int proxycore_would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* Registers exactly the events want for e (none: not in the set, so no HUP spin). */
static int end_watch(struct proxy *pc, struct proxycore_end *e, uint32_t want)
{
	if (e->fd < 0 || want == e->events)
		return 0;
	struct epoll_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = e;
	int r;
	if (!want)
		r = epoll_ctl(pc->epfd, EPOLL_CTL_DEL, e->fd, NULL);
	else
		r = epoll_ctl(pc->epfd, e->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, e->fd, &ev);
	if (r < 0)
		return -1;
	e->events = want;
	return 0;
}

void proxycore_end_close(struct proxy *pc, struct proxycore_end *e)
{
	if (e->fd < 0)
		return;
	if (e->events)
		epoll_ctl(pc->epfd, EPOLL_CTL_DEL, e->fd, NULL);
	e->events = 0;
	close(e->fd);
	e->fd = -1;
}

static void set_nodelay(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void listen_update(struct proxy *pc)
{
	uint32_t want = pc->nconns < pc->opts.max_conns && !pc->accept_pause_end ? EPOLLIN : 0;
	if (want == pc->listen_events)
		return;
	struct epoll_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = NULL; /* NULL marks the listening socket */
	if (!epoll_ctl(pc->epfd, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, pc->listen_fd, &ev))
		pc->listen_events = want;
}

void proxycore_kill(struct proxy *pc, struct proxycore_conn *c, int reset)
{
	if (c->dead)
		return;
	if (reset && c->client.fd >= 0) {
		struct linger lg = {1, 0};
		setsockopt(c->client.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	proxycore_end_close(pc, &c->client);
	proxycore_end_close(pc, &c->backend);
	pc->ops->release(pc, c);
	if (c->prev)
		c->prev->next = c->next;
	else
		pc->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->dead = 1;
	c->prev = NULL;
	c->next = pc->dead;
	pc->dead = c;
	pc->nconns--;
	listen_update(pc);
}

int proxycore_watch(struct proxy *pc, struct proxycore_conn *c, uint32_t client_events,
                    uint32_t backend_events)
{
	if (end_watch(pc, &c->client, client_events) < 0 ||
	    end_watch(pc, &c->backend, backend_events) < 0) {
		proxycore_kill(pc, c, 1);
		return -1;
	}
	return 0;
}

void proxycore_connect_soon(struct proxycore_conn *c)
{
	c->state = PROXYCORE_PENDING;
	c->next_try_ns = c->deadline_ns = 0;
}

void proxycore_replay(struct proxy *pc, struct proxycore_conn *c)
{
	proxycore_end_close(pc, &c->backend);
	c->replays++;
	pc->st.replays++;
	proxycore_connect_soon(c);
}

void proxycore_refuse(struct proxy *pc, struct strbuf *out)
{
	static const char body[] =
	    "golive dev: the program restarted while handling this request; it was not sent "
	    "again because it may have taken effect. Check, then retry.\n";
	pc->st.unsafe++;
	if (out)
		strbuf_addf(out,
		            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
		            "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
		            "Connection: close\r\n\r\n%s",
		            sizeof(body) - 1, body);
}

/* ---- connecting ------------------------------------------------------------------ */

/* The backend socket failed to connect: retry later, or give up past the deadline. */
static void connect_failed(struct proxy *pc, struct proxycore_conn *c, int64_t now)
{
	proxycore_end_close(pc, &c->backend);
	c->state = PROXYCORE_PENDING;
	if (now >= c->deadline_ns) {
		pc->st.failed++;
		if (pc->ops->gave_up)
			pc->ops->gave_up(pc, c);
		else
			proxycore_kill(pc, c, 1);
		return;
	}
	pc->st.retries++;
	c->next_try_ns = now + proxycore_ms_ns(pc->opts.retry_interval_ms);
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

static void conn_open(struct proxy *pc, struct proxycore_conn *c)
{
	if (self_connected(c->backend.fd)) {
		connect_failed(pc, c, now_mono_ns());
		return;
	}
	c->state = PROXYCORE_OPEN;
	c->deadline_ns = 0;
	pc->st.connected++;
	(pc->ops->opened ? pc->ops->opened : pc->ops->ready)(pc, c);
}

/* Starts a non-blocking connect to the backend. */
static void conn_connect(struct proxy *pc, struct proxycore_conn *c, int64_t now)
{
	if (!c->deadline_ns)
		c->deadline_ns = now + proxycore_ms_ns(pc->opts.retry_total_ms);
	c->gen = pc->gen;
	int fd = socket(pc->backend.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		connect_failed(pc, c, now);
		return;
	}
	set_nodelay(fd);
	c->backend.fd = fd;
	c->backend.events = 0;
	if (!connect(fd, (const struct sockaddr *)&pc->backend.ss, pc->backend.len)) {
		conn_open(pc, c);
		return;
	}
	if (errno == EINPROGRESS || errno == EINTR) {
		c->state = PROXYCORE_CONNECTING;
		if (end_watch(pc, &c->backend, EPOLLOUT) < 0)
			proxycore_kill(pc, c, 1);
		return;
	}
	connect_failed(pc, c, now);
}

/* The in-flight connect finished one way or the other. */
static void conn_connected(struct proxy *pc, struct proxycore_conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(c->backend.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (!err)
		conn_open(pc, c);
	else
		connect_failed(pc, c, now_mono_ns());
}

/* Connects in flight go back to pending, to be retried (new backend, or after a hold). */
static void abandon_connects(struct proxy *pc)
{
	for (struct proxycore_conn *c = pc->conns; c; c = c->next) {
		if (c->state == PROXYCORE_CONNECTING) {
			proxycore_end_close(pc, &c->backend);
			c->state = PROXYCORE_PENDING;
		}
		if (c->state == PROXYCORE_PENDING)
			c->next_try_ns = c->deadline_ns = 0;
	}
}

/* ---- the loop -------------------------------------------------------------------- */

static void core_accept(struct proxy *pc)
{
	while (pc->nconns < pc->opts.max_conns) {
		int fd = accept4(pc->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				/* EMFILE, ENFILE, ENOBUFS: let clients wait in the backlog */
				pc->accept_pause_end =
				    now_mono_ns() + proxycore_ms_ns(ACCEPT_PAUSE_MS);
			break;
		}
		set_nodelay(fd);
		struct proxycore_conn *c = xcalloc(1, pc->ops->conn_size);
		c->client.conn = c->backend.conn = c;
		c->client.fd = fd;
		c->backend.fd = -1;
		c->state = PROXYCORE_IDLE;
		c->next = pc->conns;
		if (pc->conns)
			pc->conns->prev = c;
		pc->conns = c;
		pc->nconns++;
		pc->st.accepted++;
		pc->ops->accepted(pc, c);
	}
	listen_update(pc);
}

/* Timed work: the user's timers, connect attempts, deadlines, resuming accept. */
static void core_tick(struct proxy *pc)
{
	int64_t now = now_mono_ns();
	if (pc->accept_pause_end && now >= pc->accept_pause_end) {
		pc->accept_pause_end = 0;
		listen_update(pc);
	}
	struct proxycore_conn *next;
	for (struct proxycore_conn *c = pc->conns; c; c = next) {
		next = c->next;
		if (pc->ops->tick && pc->ops->tick(pc, c, now))
			continue;
		if (c->state == PROXYCORE_CONNECTING && c->deadline_ns && now >= c->deadline_ns)
			connect_failed(pc, c, now);
		else if (c->state == PROXYCORE_PENDING && !pc->held && pc->has_backend &&
		         now >= c->next_try_ns)
			conn_connect(pc, c, now);
	}
}

void proxycore_free_dead(struct proxy *pc)
{
	while (pc->dead) {
		struct proxycore_conn *c = pc->dead;
		pc->dead = c->next;
		free(c);
	}
}

struct proxy *proxycore_new(size_t size, int listen_fd, const char *backend,
                            const struct proxy_opts *opts, const struct proxycore_ops *ops,
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
	struct proxy *pc = xcalloc(1, size);
	pc->epfd = epfd;
	pc->listen_fd = listen_fd;
	pc->ops = ops;
	pc->opts = opts ? *opts : defaults;
	if (!pc->opts.buf_cap)
		pc->opts.buf_cap = defaults.buf_cap;
	if (pc->opts.retry_interval_ms <= 0)
		pc->opts.retry_interval_ms = defaults.retry_interval_ms;
	if (!pc->opts.max_conns)
		pc->opts.max_conns = defaults.max_conns;
	if (pc->opts.header_timeout_ms <= 0)
		pc->opts.header_timeout_ms = defaults.header_timeout_ms;
	if (backend) {
		pc->backend = addr;
		pc->has_backend = 1;
	}
	listen_update(pc);
	if (!pc->listen_events) {
		*cause = xasprintf("proxy: epoll: %s", strerror(errno));
		proxycore_free(pc);
		return NULL;
	}
	return pc;
}

void proxycore_free(struct proxy *pc)
{
	if (!pc)
		return;
	while (pc->conns)
		proxycore_kill(pc, pc->conns, 0);
	proxycore_free_dead(pc);
	close(pc->epfd);
	free(pc);
}

int proxy_set_backend(struct proxy *pc, const char *addr, char **cause)
{
	struct listen_addr a;
	if (listen_parse(addr, &a, cause) < 0)
		return -1;
	pc->backend = a;
	pc->has_backend = 1;
	abandon_connects(pc);
	return 0;
}

void proxy_hold(struct proxy *pc, int hold)
{
	if (hold && !pc->held)
		pc->gen++;
	pc->held = !!hold;
	abandon_connects(pc);
}

int proxy_fd(const struct proxy *pc)
{
	return pc->epfd;
}

int proxy_timeout_ms(const struct proxy *pc)
{
	int64_t best = pc->accept_pause_end ? pc->accept_pause_end : -1;
	for (const struct proxycore_conn *c = pc->conns; c; c = c->next) {
		int64_t t = -1;
		if (c->state == PROXYCORE_PENDING && !pc->held && pc->has_backend)
			t = c->next_try_ns;
		else if (c->state == PROXYCORE_CONNECTING && c->deadline_ns)
			t = c->deadline_ns;
		int64_t u = pc->ops->timer ? pc->ops->timer(c) : -1;
		if (u >= 0 && (t < 0 || u < t))
			t = u;
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

int proxy_run_once(struct proxy *pc, int timeout_ms)
{
	int t = proxy_timeout_ms(pc);
	if (t >= 0 && (timeout_ms < 0 || t < timeout_ms))
		timeout_ms = t;
	struct epoll_event evs[64];
	int n = epoll_wait(pc->epfd, evs, (int)ARRAY_SIZE(evs), timeout_ms);
	if (n < 0) {
		if (errno != EINTR)
			return -1;
		n = 0;
	}
	for (int i = 0; i < n; i++) {
		struct proxycore_end *e = evs[i].data.ptr;
		if (!e) {
			core_accept(pc);
			continue;
		}
		struct proxycore_conn *c = e->conn;
		if (c->dead)
			continue;
		if (c->state == PROXYCORE_CONNECTING && e == &c->backend)
			conn_connected(pc, c);
		else
			pc->ops->ready(pc, c);
	}
	core_tick(pc);
	proxycore_free_dead(pc);
	return 0;
}

void proxy_stats(const struct proxy *pc, struct proxy_stats *st)
{
	*st = pc->st;
	st->active = pc->nconns;
	st->pending = 0;
	for (const struct proxycore_conn *c = pc->conns; c; c = c->next)
		if (c->state == PROXYCORE_PENDING || c->state == PROXYCORE_CONNECTING)
			st->pending++;
}
