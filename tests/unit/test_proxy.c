/*
 * Unit tests of proxy.c: real sockets on 127.0.0.1, echo backends and
 * clients in forked children, the proxy driven by this process. Every
 * child arms alarm() and PR_SET_PDEATHSIG, every wait has a deadline.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dev/listen.h"
#include "dev/proxy.h"
#include "core/util.h"

/* ---- children ---- */

static volatile sig_atomic_t stop_flag;

static void on_term(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* In a new child: die with the test, never outlive 30 s, keep only fds a and b. */
static void child_setup(int a, int b)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(30);
	for (int fd = 3; fd < 1024; fd++)
		if (fd != a && fd != b)
			close(fd);
}

static void set_timeouts(int fd, int sec)
{
	struct timeval tv = {sec, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Reads until EOF into buf (at most max); returns the length or -1. */
static ssize_t read_to_eof(int fd, char *buf, size_t max)
{
	size_t len = 0;
	for (;;) {
		ssize_t n = recv(fd, buf + len, max - len, 0);
		if (n > 0) {
			len += (size_t)n;
			if (len == max)
				return (ssize_t)len;
		} else if (!n) {
			return (ssize_t)len;
		} else if (errno != EINTR) {
			return -1;
		}
	}
}

/* Serves one connection: everything read until EOF is written back. */
static void echo_one(int fd)
{
	char buf[4096];
	set_timeouts(fd, 5);
	ssize_t n = read_to_eof(fd, buf, sizeof(buf));
	if (n > 0)
		write_all(fd, buf, (size_t)n);
	close(fd);
}

/*
 * Reads until EOF, then answers "<count>\n" and count bytes of 'x': more
 * than the proxy buffers both ways.
 */
static void bulk_one(int fd)
{
	static char buf[65536];
	size_t total = 0;
	set_timeouts(fd, 10);
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0)
			total += (size_t)n;
		else if (!n)
			break;
		else if (errno != EINTR)
			goto out;
	}
	char head[32];
	int hl = snprintf(head, sizeof(head), "%zu\n", total);
	if (write_all(fd, head, (size_t)hl))
		goto out;
	memset(buf, 'x', sizeof(buf));
	for (size_t left = total; left;) {
		size_t k = left < sizeof(buf) ? left : sizeof(buf);
		if (write_all(fd, buf, k))
			break;
		left -= k;
	}
out:
	close(fd);
}

/*
 * A sequential server on lfd (serve handles one connection). SIGTERM makes it finish like a
 * well-behaved program: serve what is already in its accept queue, then exit.
 */
NORETURN static void echo_server(int lfd, void (*serve)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term; /* no SA_RESTART: poll() wakes up */
	sigaction(SIGTERM, &sa, NULL);
	struct pollfd pfd = {lfd, POLLIN, 0};
	while (!stop_flag) {
		if (poll(&pfd, 1, 10) == 1) {
			int fd = accept(lfd, NULL, NULL);
			if (fd >= 0)
				serve(fd);
		}
	}
	for (;;) {
		if (poll(&pfd, 1, 50) != 1)
			break;
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		if (fd >= 0) {
			fcntl(fd, F_SETFL, 0);
			serve(fd);
		}
	}
	_exit(0);
}

/* Starts a backend (serve: echo_one, bulk_one) on a fresh port; returns its pid. */
static pid_t backend_start_with(int *port, void (*serve)(int))
{
	struct listen_addr bound;
	char *cause = NULL;
	int lfd = listen_bind("127.0.0.1:0", &bound, &cause);
	assert_true(lfd >= 0);
	*port = listen_port(&bound);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		child_setup(lfd, -1);
		echo_server(lfd, serve);
	}
	close(lfd);
	return pid;
}

static pid_t backend_start(int *port)
{
	return backend_start_with(port, echo_one);
}

/* Starts an echo backend that binds port only after delay_ms. */
static pid_t backend_start_late(int port, int delay_ms)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		child_setup(-1, -1);
		usleep((useconds_t)delay_ms * 1000);
		char *addr = xasprintf("127.0.0.1:%d", port), *cause = NULL;
		int lfd = listen_bind(addr, NULL, &cause);
		if (lfd < 0)
			_exit(3);
		echo_server(lfd, echo_one);
	}
	return pid;
}

/* A backend that never accepts, then exits: its queued connections are reset. */
static pid_t backend_black_hole(int *port, int life_ms)
{
	struct listen_addr bound;
	char *cause = NULL;
	int lfd = listen_bind("127.0.0.1:0", &bound, &cause);
	assert_true(lfd >= 0);
	*port = listen_port(&bound);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		child_setup(lfd, -1);
		usleep((useconds_t)life_ms * 1000);
		_exit(0);
	}
	close(lfd);
	return pid;
}

/*
 * A backend that accepts one connection, reads the request, waits life_ms
 * and closes it cleanly without answering (a program stopped mid-request
 * whose kernel sends FIN, not RST), then exits.
 */
static pid_t backend_swallow(int *port, int life_ms)
{
	struct listen_addr bound;
	char *cause = NULL;
	int lfd = listen_bind("127.0.0.1:0", &bound, &cause);
	assert_true(lfd >= 0);
	*port = listen_port(&bound);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		child_setup(lfd, -1);
		int fd = accept(lfd, NULL, NULL);
		char buf[256];
		set_timeouts(fd, 5);
		(void)!read(fd, buf, sizeof(buf));
		usleep((useconds_t)life_ms * 1000);
		close(fd);
		_exit(0);
	}
	close(lfd);
	return pid;
}

static int free_port(void)
{
	struct listen_addr bound;
	char *cause = NULL;
	int lfd = listen_bind("127.0.0.1:0", &bound, &cause);
	assert_true(lfd >= 0);
	close(lfd);
	return listen_port(&bound);
}

/*
 * A port that refuses connections for as long as the returned fd stays
 * open: bound but never listening, so no other test can take it meanwhile.
 */
static int refusing_port(int *fd)
{
	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(*fd >= 0);
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(*fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(*fd, (struct sockaddr *)&sa, &len), 0);
	return ntohs(sa.sin_port);
}

static int client_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	set_timeouts(fd, 10);
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads the echo of msg from fd (whose write side is shut) and closes it; 0 when exact. */
static int client_finish(int fd, const char *msg)
{
	char buf[256];
	ssize_t n = read_to_eof(fd, buf, sizeof(buf));
	close(fd);
	return n == (ssize_t)strlen(msg) && !memcmp(buf, msg, (size_t)n) ? 0 : -1;
}

/* One request through the proxy: connect, send, half-close, read the echo. */
static int request(int port, const char *msg)
{
	int fd = client_connect(port);
	if (fd < 0)
		return -1;
	if (write_all(fd, msg, strlen(msg)) < 0 || shutdown(fd, SHUT_WR) < 0) {
		close(fd);
		return -1;
	}
	return client_finish(fd, msg);
}

struct client {
	pid_t pid;
	int stop_w;   /* write a byte to stop a polling client */
	int result_r; /* the child writes "ok fail" here */
};

/*
 * A client child: n requests one after the other (n < 0: until told to
 * stop), interval_ms apart; parallel > 1 instead opens that many
 * connections at once, sends on all, then reads all the echoes.
 */
static void client_start(struct client *cl, int port, int n, int interval_ms, int parallel)
{
	int sp[2], rp[2];
	assert_int_equal(pipe(sp), 0);
	assert_int_equal(pipe(rp), 0);
	cl->pid = fork();
	assert_true(cl->pid >= 0);
	if (cl->pid) {
		close(sp[0]);
		close(rp[1]);
		cl->stop_w = sp[1];
		cl->result_r = rp[0];
		return;
	}
	child_setup(sp[0], rp[1]);
	long ok = 0, fail = 0;
	if (parallel > 1) {
		int fds[64];
		char msgs[64][32];
		for (int i = 0; i < parallel && i < 64; i++) {
			snprintf(msgs[i], sizeof(msgs[i]), "held %d\n", i);
			fds[i] = client_connect(port);
			if (fds[i] >= 0 && (write_all(fds[i], msgs[i], strlen(msgs[i])) < 0 ||
			                    shutdown(fds[i], SHUT_WR) < 0)) {
				close(fds[i]);
				fds[i] = -1;
			}
		}
		for (int i = 0; i < parallel && i < 64; i++) {
			if (fds[i] >= 0 && !client_finish(fds[i], msgs[i]))
				ok++;
			else
				fail++;
		}
	} else {
		struct pollfd pfd = {sp[0], POLLIN, 0};
		for (int i = 0; n < 0 || i < n; i++) {
			if (poll(&pfd, 1, 0) == 1)
				break;
			char msg[64];
			snprintf(msg, sizeof(msg), "req %d from %ld\n", i, (long)getpid());
			if (request(port, msg))
				fail++;
			else
				ok++;
			if (interval_ms)
				usleep((useconds_t)interval_ms * 1000);
		}
	}
	long res[2] = {ok, fail};
	_exit(write_all(rp[1], res, sizeof(res)) ? 1 : 0);
}

/* A client child sending size bytes and checking the bulk_one answer. */
static void client_bulk_start(struct client *cl, int port, size_t size)
{
	int rp[2];
	assert_int_equal(pipe(rp), 0);
	cl->pid = fork();
	assert_true(cl->pid >= 0);
	if (cl->pid) {
		close(rp[1]);
		cl->stop_w = -1;
		cl->result_r = rp[0];
		return;
	}
	child_setup(rp[1], -1);
	static char buf[65536];
	long ok = 0;
	int fd = client_connect(port);
	if (fd < 0)
		goto out;
	memset(buf, 'y', sizeof(buf));
	for (size_t left = size; left;) {
		size_t k = left < sizeof(buf) ? left : sizeof(buf);
		if (write_all(fd, buf, k))
			goto out;
		left -= k;
	}
	shutdown(fd, SHUT_WR);
	char want[32];
	int wl = snprintf(want, sizeof(want), "%zu\n", size);
	size_t got = 0, xs = 0;
	int bad = 0;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			bad |= n < 0;
			break;
		}
		for (ssize_t i = 0; i < n; i++, got++) {
			if (got < (size_t)wl)
				bad |= buf[i] != want[got];
			else if (buf[i] == 'x')
				xs++;
			else
				bad = 1;
		}
	}
	ok = !bad && xs == size;
out:;
	long res[2] = {ok, !ok};
	_exit(write_all(rp[1], res, sizeof(res)) ? 1 : 0);
}

/* ---- the proxy side, in this process ---- */

static void run_for(struct proxy *p, int ms)
{
	int64_t end = now_mono_ns() + (int64_t)ms * 1000000;
	for (int64_t now; (now = now_mono_ns()) < end;)
		assert_int_equal(proxy_run_once(p, (int)((end - now) / 1000000) + 1), 0);
}

/* Runs the proxy until pid exits (at most timeout_ms); returns its wait status. */
static int run_until_exit(struct proxy *p, pid_t pid, int timeout_ms)
{
	int64_t end = now_mono_ns() + (int64_t)timeout_ms * 1000000;
	int st;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		assert_int_equal(r, 0);
		if (now_mono_ns() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			fail_msg("child %ld did not finish in %d ms", (long)pid, timeout_ms);
		}
		/* the way golive dev's loop drives the proxy: poll its fd, then run it */
		int t = proxy_timeout_ms(p);
		struct pollfd pfd = {proxy_fd(p), POLLIN, 0};
		poll(&pfd, 1, t >= 0 && t < 2 ? t : 2);
		assert_int_equal(proxy_run_once(p, 0), 0);
	}
}

/* Stops a backend the way golive dev does: SIGTERM, proxy still running. */
static void backend_stop(struct proxy *p, pid_t pid)
{
	kill(pid, SIGTERM);
	int st = run_until_exit(p, pid, 5000);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void client_wait(struct proxy *p, struct client *cl, long *ok, long *fail)
{
	int st = run_until_exit(p, cl->pid, 20000);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	long res[2] = {-1, -1};
	assert_int_equal(read(cl->result_r, res, sizeof(res)), (ssize_t)sizeof(res));
	close(cl->result_r);
	if (cl->stop_w >= 0)
		close(cl->stop_w);
	*ok = res[0];
	*fail = res[1];
}

/* Waits (running the proxy) until it has accepted n clients. */
static void wait_accepted(struct proxy *p, unsigned long n)
{
	int64_t end = now_mono_ns() + 5000LL * 1000000;
	struct proxy_stats st;
	for (;;) {
		proxy_stats(p, &st);
		if (st.accepted >= n)
			return;
		assert_true(now_mono_ns() < end);
		assert_int_equal(proxy_run_once(p, 2), 0);
	}
}

static struct proxy *proxy_start(int backend_port, int *port, int *lfd,
                                 const struct proxy_opts *opts)
{
	struct listen_addr bound;
	char *cause = NULL;
	*lfd = listen_bind("127.0.0.1:0", &bound, &cause);
	assert_true(*lfd >= 0);
	*port = listen_port(&bound);
	char *backend = backend_port ? xasprintf("127.0.0.1:%d", backend_port) : NULL;
	struct proxy *p = proxy_new(*lfd, backend, opts, &cause);
	free(backend);
	assert_non_null(p);
	return p;
}

static void switch_backend(struct proxy *p, int port)
{
	char *addr = xasprintf("127.0.0.1:%d", port), *cause = NULL;
	assert_int_equal(proxy_set_backend(p, addr, &cause), 0);
	free(addr);
}

static void test_sequential(void **state)
{
	(void)state;
	int bport, port, lfd;
	pid_t b = backend_start(&bport);
	struct proxy *p = proxy_start(bport, &port, &lfd, NULL);

	struct client cl;
	long ok, fail;
	client_start(&cl, port, 200, 0, 1);
	client_wait(p, &cl, &ok, &fail);
	assert_int_equal(fail, 0);
	assert_int_equal(ok, 200);

	struct proxy_stats st;
	proxy_stats(p, &st);
	assert_int_equal(st.accepted, 200);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.active, 0);
	assert_int_equal(proxy_timeout_ms(p), -1); /* idle: no timer, no polling */
	backend_stop(p, b);
	proxy_free(p);
	close(lfd);
}

static void test_hold_and_switch(void **state)
{
	(void)state;
	int aport, bport, port, lfd;
	pid_t a = backend_start(&aport);
	struct proxy *p = proxy_start(aport, &port, &lfd, NULL);
	proxy_hold(p, 1);

	struct client cl;
	client_start(&cl, port, 1, 0, 20);
	wait_accepted(p, 20);
	run_for(p, 100);
	struct proxy_stats st;
	proxy_stats(p, &st);
	assert_int_equal(st.connected, 0); /* held: nothing reached the backend */
	assert_int_equal(st.pending, 20);
	assert_int_equal(proxy_timeout_ms(p), -1); /* held: nothing to retry */

	backend_stop(p, a);
	pid_t b = backend_start(&bport);
	switch_backend(p, bport);
	proxy_hold(p, 0);

	long ok, fail;
	client_wait(p, &cl, &ok, &fail);
	assert_int_equal(fail, 0);
	assert_int_equal(ok, 20);
	proxy_stats(p, &st);
	assert_int_equal(st.failed, 0);
	backend_stop(p, b);
	proxy_free(p);
	close(lfd);
}

static void test_late_backend(void **state)
{
	(void)state;
	int bport = free_port(), port, lfd;
	struct proxy *p = proxy_start(bport, &port, &lfd, NULL);

	struct client cl;
	client_start(&cl, port, 1, 0, 1);
	wait_accepted(p, 1);
	pid_t b = backend_start_late(bport, 200);

	long ok, fail;
	client_wait(p, &cl, &ok, &fail);
	assert_int_equal(fail, 0);
	assert_int_equal(ok, 1);
	struct proxy_stats st;
	proxy_stats(p, &st);
	assert_true(st.retries > 0); /* ECONNREFUSED, retried */
	assert_int_equal(st.failed, 0);
	backend_stop(p, b);
	proxy_free(p);
	close(lfd);
}

static void test_give_up(void **state)
{
	(void)state;
	int port, lfd;
	struct proxy_opts opts = PROXY_OPTS_INIT;
	opts.retry_total_ms = 100;
	int rfd;
	struct proxy *p = proxy_start(refusing_port(&rfd), &port, &lfd, &opts);

	struct client cl;
	long ok, fail;
	client_start(&cl, port, 1, 0, 1);
	client_wait(p, &cl, &ok, &fail);
	assert_int_equal(ok, 0);
	assert_int_equal(fail, 1);
	struct proxy_stats st;
	proxy_stats(p, &st);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.active, 0);
	proxy_free(p);
	close(lfd);
	close(rfd);
}

static void test_replay_after_reset(void **state)
{
	(void)state;
	int aport, bport, port, lfd;
	pid_t a = backend_black_hole(&aport, 300);
	struct proxy *p = proxy_start(aport, &port, &lfd, NULL);

	struct client cl;
	client_start(&cl, port, 1, 0, 1);
	wait_accepted(p, 1);
	run_for(p, 50);
	pid_t b = backend_start(&bport);
	switch_backend(p, bport); /* the connection queued at a stays there */

	long ok, fail;
	client_wait(p, &cl, &ok, &fail);
	assert_int_equal(fail, 0);
	assert_int_equal(ok, 1);
	struct proxy_stats st;
	proxy_stats(p, &st);
	assert_true(st.replays >= 1);
	int wst;
	assert_int_equal(waitpid(a, &wst, 0), a);
	backend_stop(p, b);
	proxy_free(p);
	close(lfd);
}

/* A clean close without an answer: replayed after a restart began, passed on otherwise. */
static void test_replay_after_clean_close(void **state)
{
	(void)state;
	for (int restart = 1; restart >= 0; restart--) {
		int aport, bport, port, lfd;
		pid_t a = backend_swallow(&aport, 200);
		struct proxy *p = proxy_start(aport, &port, &lfd, NULL);
		struct client cl;
		client_start(&cl, port, 1, 0, 1);
		wait_accepted(p, 1);
		run_for(p, 50); /* connected to a, which has read the request */
		pid_t b = -1;
		if (restart) {
			proxy_hold(p, 1); /* golive stops a ... */
			assert_int_equal(run_until_exit(p, a, 5000), 0);
			b = backend_start(&bport); /* ... and starts b */
			switch_backend(p, bport);
			proxy_hold(p, 0);
		}
		long ok, fail;
		client_wait(p, &cl, &ok, &fail);
		struct proxy_stats st;
		proxy_stats(p, &st);
		if (restart) {
			assert_int_equal(fail, 0);
			assert_int_equal(ok, 1);
			assert_true(st.replays >= 1);
			backend_stop(p, b);
		} else {
			assert_int_equal(ok, 0);
			assert_int_equal(fail, 1);
			assert_int_equal(st.replays, 0);
			int wst;
			assert_int_equal(waitpid(a, &wst, 0), a);
		}
		proxy_free(p);
		close(lfd);
	}
}

/*
 * A client child sending one HTTP request req (then shutting its write
 * side, as the echo backend answers at EOF) and reading the answer to EOF:
 * ok when it starts with want.
 */
static void client_http_start(struct client *cl, int port, const char *req, const char *want)
{
	int sp[2], rp[2];
	assert_int_equal(pipe(sp), 0);
	assert_int_equal(pipe(rp), 0);
	cl->pid = fork();
	assert_true(cl->pid >= 0);
	if (cl->pid) {
		close(sp[0]);
		close(rp[1]);
		cl->stop_w = sp[1];
		cl->result_r = rp[0];
		return;
	}
	child_setup(sp[0], rp[1]);
	long res[2] = {0, 1};
	int fd = client_connect(port);
	char buf[1024];
	if (fd >= 0 && write_all(fd, req, strlen(req)) == 0 && shutdown(fd, SHUT_WR) == 0) {
		ssize_t n = read_to_eof(fd, buf, sizeof(buf) - 1);
		if (n >= (ssize_t)strlen(want) && !memcmp(buf, want, strlen(want))) {
			buf[n] = '\0';
			if (strstr(want, "503") == NULL || strstr(buf, "\r\nRetry-After: 1\r\n"))
				res[0] = 1, res[1] = 0;
		}
	}
	_exit(write_all(rp[1], res, sizeof(res)) ? 1 : 0);
}

/*
 * A POST the stopped program read and died with is not sent again (its
 * side effects would happen twice): 503 with Retry-After. A GET in the
 * same place is replayed to the new program.
 */
static void test_no_replay_of_post(void **state)
{
	(void)state;
	static const char post[] =
	    "POST /charge HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi";
	static const char get[] = "GET /balance HTTP/1.1\r\nHost: x\r\n\r\n";
	for (int is_post = 1; is_post >= 0; is_post--) {
		int aport, bport, port, lfd;
		pid_t a = backend_swallow(&aport, 200);
		struct proxy *p = proxy_start(aport, &port, &lfd, NULL);
		struct client cl;
		client_http_start(&cl, port, is_post ? post : get,
		                  is_post ? "HTTP/1.1 503 Service Unavailable\r\n" : get);
		wait_accepted(p, 1);
		run_for(p, 50); /* connected to a, which has read the request */
		proxy_hold(p, 1);
		assert_int_equal(run_until_exit(p, a, 5000), 0);
		pid_t b = backend_start(&bport);
		switch_backend(p, bport);
		proxy_hold(p, 0);
		long ok, fail;
		client_wait(p, &cl, &ok, &fail);
		struct proxy_stats st;
		proxy_stats(p, &st);
		assert_int_equal(ok, 1);
		if (is_post) {
			assert_int_equal(st.replays, 0);
			assert_int_equal(st.unsafe, 1);
		} else {
			assert_true(st.replays >= 1);
			assert_int_equal(st.unsafe, 0);
		}
		run_for(p, 100); /* b has its SIGTERM handler (the POST case never used it) */
		backend_stop(p, b);
		proxy_free(p);
		close(lfd);
	}
}

static void test_bulk_small_buffers(void **state)
{
	(void)state;
	int bport, port, lfd;
	pid_t b = backend_start_with(&bport, bulk_one);
	struct proxy_opts opts = PROXY_OPTS_INIT;
	opts.buf_cap = 4096;
	struct proxy *p = proxy_start(bport, &port, &lfd, &opts);

	struct client cl;
	long ok, fail;
	client_bulk_start(&cl, port, 3 * 1024 * 1024 + 17);
	client_wait(p, &cl, &ok, &fail);
	assert_int_equal(fail, 0);
	assert_int_equal(ok, 1);
	struct proxy_stats st;
	proxy_stats(p, &st);
	assert_int_equal(st.active, 0);
	backend_stop(p, b);
	proxy_free(p);
	close(lfd);
}

static void test_restarts_while_polling(void **state)
{
	(void)state;
	int bport, port, lfd;
	pid_t b = backend_start(&bport);
	struct proxy *p = proxy_start(bport, &port, &lfd, NULL);

	struct client cl;
	client_start(&cl, port, -1, 2, 1);
	run_for(p, 100);
	for (int i = 0; i < 5; i++) {
		proxy_hold(p, 1);
		backend_stop(p, b);
		run_for(p, 30); /* building, starting: clients keep coming */
		bport = free_port();
		b = backend_start_late(bport, 20); /* its port opens 20 ms after start */
		switch_backend(p, bport);
		proxy_hold(p, 0);
		run_for(p, 100);
	}
	assert_int_equal(write(cl.stop_w, "x", 1), 1);
	long ok, fail;
	client_wait(p, &cl, &ok, &fail);
	struct proxy_stats st;
	proxy_stats(p, &st);
	print_message("polling client: %ld ok, %ld failed; proxy: %lu retries, %lu replays\n", ok,
	              fail, st.retries, st.replays);
	assert_int_equal(fail, 0);
	assert_true(ok >= 20);
	assert_int_equal(st.failed, 0);
	backend_stop(p, b);
	proxy_free(p);
	close(lfd);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sequential),
	    cmocka_unit_test(test_hold_and_switch),
	    cmocka_unit_test(test_late_backend),
	    cmocka_unit_test(test_give_up),
	    cmocka_unit_test(test_replay_after_reset),
	    cmocka_unit_test(test_replay_after_clean_close),
	    cmocka_unit_test(test_no_replay_of_post),
	    cmocka_unit_test(test_bulk_small_buffers),
	    cmocka_unit_test(test_restarts_while_polling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
