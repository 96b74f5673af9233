/*
 * test_httpproxy.c - golive dev --browser's proxy (dev/httpproxy.h) on
 * loopback sockets: a client that never finishes its request head
 * (slowloris) gets 408 and a close after opts.header_timeout_ms, which
 * frees its connection slot for the next client; a keep-alive connection
 * idle between requests is not timed out; an upload many times the
 * buffers streams through whole (it once stalled with the client's queue
 * full and the program's empty); HTTP/2 with prior knowledge (its preface,
 * even cut in two) goes both ways byte for byte, more than the buffers
 * hold, where it once got 400.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util.h"
#include "dev/httpproxy.h"
#include "dev/listen.h"

struct rig {
	int plisten, blisten;
	struct listen_addr pa;
	struct httpproxy *hp;
	int bfd[4];
	size_t nb;
	size_t got; /* bytes the fake program received */
};

static void rig_start(struct rig *r, int timeout_ms, size_t max_conns)
{
	char *cause = NULL;
	struct listen_addr ba;
	memset(r, 0, sizeof(*r));
	r->plisten = listen_bind("127.0.0.1:0", &r->pa, &cause);
	r->blisten = listen_bind("127.0.0.1:0", &ba, &cause);
	assert_true(r->plisten >= 0 && r->blisten >= 0);
	fcntl(r->blisten, F_SETFL, O_NONBLOCK);
	char *b = listen_format(&ba);
	struct proxy_opts o = PROXY_OPTS_INIT;
	o.header_timeout_ms = timeout_ms;
	o.max_conns = max_conns;
	r->hp = httpproxy_new(r->plisten, b, &o, &cause);
	free(b);
	assert_non_null(r->hp);
}

static void rig_stop(struct rig *r)
{
	for (size_t i = 0; i < r->nb; i++)
		close(r->bfd[i]);
	httpproxy_free(r->hp);
	close(r->plisten);
	close(r->blisten);
}

/* One round: the proxy, then the fake program (answers "ok" to each request head it reads). */
static void rig_round(struct rig *r)
{
	static char buf[65536];
	httpproxy_run_once(r->hp, 5);
	int fd = accept4(r->blisten, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0 && r->nb < ARRAY_SIZE(r->bfd))
		r->bfd[r->nb++] = fd;
	for (size_t i = 0; i < r->nb; i++) {
		ssize_t n;
		while ((n = recv(r->bfd[i], buf, sizeof(buf), 0)) > 0) {
			r->got += (size_t)n;
			for (ssize_t k = 0; k + 3 < n; k++)
				if (!memcmp(buf + k, "\r\n\r\n", 4))
					(void)!send(
					    r->bfd[i],
					    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 40,
					    MSG_NOSIGNAL);
		}
	}
}

static int client(struct rig *r, const char *req)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	(void)!connect(fd, (struct sockaddr *)&r->pa.ss, r->pa.len);
	for (int i = 0; i < 50 && send(fd, req, strlen(req), MSG_NOSIGNAL) < 0; i++)
		usleep(1000);
	return fd;
}

/* Reads what fd has into sb; 1 once it reached EOF (or a reset). */
static int drain(int fd, struct strbuf *sb)
{
	char buf[4096];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0)
			strbuf_add(sb, buf, (size_t)n);
		else
			return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
	}
}

static void test_slowloris(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, 300, 1); /* one slot: the slow client holds it */
	int64_t t0 = now_mono_ns();
	int slow = client(&r, "GET / HTTP/1.1\r\nHo");
	for (int i = 0; i < 10; i++)
		rig_round(&r); /* accepted: the slot is taken */
	int fast = client(&r, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
	struct strbuf s = STRBUF_INIT, f = STRBUF_INIT;
	int slow_eof = 0;
	int64_t t_slow = 0, t_fast = 0;
	while (now_mono_ns() - t0 < 5000000000LL && (!slow_eof || !t_fast)) {
		rig_round(&r);
		if (!slow_eof && (slow_eof = drain(slow, &s)))
			t_slow = now_mono_ns();
		drain(fast, &f);
		if (!t_fast && strstr(f.buf, "\r\n\r\nok"))
			t_fast = now_mono_ns();
		if (!slow_eof && now_mono_ns() - t0 > 100000000LL &&
		    now_mono_ns() - t0 < 200000000LL)
			(void)!send(slow, "s", 1,
			            MSG_NOSIGNAL); /* a byte now and then: still too slow */
	}
	assert_true(slow_eof);
	assert_true(starts_with(s.buf, "HTTP/1.1 408 Request Timeout\r\n"));
	assert_true(t_slow - t0 >= 290000000LL); /* not before the timeout */
	assert_true(t_fast);                     /* the freed slot served the next client */
	assert_true(t_fast >= t_slow - 50000000LL);
	assert_true(starts_with(f.buf, "HTTP/1.1 200 OK\r\n"));
	close(slow);
	close(fast);
	strbuf_release(&s);
	strbuf_release(&f);
	rig_stop(&r);
}

static void test_idle_keepalive(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, 200, 16);
	int fd = client(&r, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n");
	struct strbuf sb = STRBUF_INIT;
	int64_t t0 = now_mono_ns();
	while (now_mono_ns() - t0 < 600000000LL) { /* 3 timeouts idle after the answer */
		rig_round(&r);
		assert_false(drain(fd, &sb));
	}
	assert_true(starts_with(sb.buf, "HTTP/1.1 200 OK\r\n"));
	strbuf_reset(&sb);
	assert_int_equal(send(fd, "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n", 28, MSG_NOSIGNAL), 28);
	while (now_mono_ns() - t0 < 3000000000LL && !strstr(sb.buf, "\r\n\r\nok")) {
		rig_round(&r);
		assert_false(drain(fd, &sb));
	}
	assert_true(starts_with(sb.buf, "HTTP/1.1 200 OK\r\n"));
	close(fd);
	strbuf_release(&sb);
	rig_stop(&r);
}

static void test_upload(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, 1000, 16);
	static const char head[] = "PUT /u HTTP/1.1\r\nHost: a\r\nContent-Length: 16777216\r\n\r\n";
	size_t total = 16u << 20, sent = 0;
	int fd = client(&r, head);
	char *zeros = calloc(1, 1 << 16);
	int64_t t0 = now_mono_ns();
	while (r.got < total + sizeof(head) - 1 && now_mono_ns() - t0 < 20000000000LL) {
		if (sent < total) {
			ssize_t k =
			    send(fd, zeros, total - sent < (1u << 16) ? total - sent : 1u << 16,
			         MSG_NOSIGNAL);
			sent += k > 0 ? (size_t)k : 0;
		}
		rig_round(&r);
	}
	assert_int_equal(sent, total);
	assert_int_equal(r.got, total + sizeof(head) - 1); /* the head as sent, and every byte */
	free(zeros);
	close(fd);
	rig_stop(&r);
}

/* Sends what it can of data[*off, n) on a non-blocking fd. */
static void send_some_of(int fd, const char *data, size_t n, size_t *off)
{
	ssize_t k = *off < n ? send(fd, data + *off, n - *off, MSG_NOSIGNAL) : 0;
	*off += k > 0 ? (size_t)k : 0;
}

static void test_h2_prior_knowledge(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, 1000, 16);
	/* the client: the preface, then frames' worth of bytes (binary, 3x buf_cap) */
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	size_t up_n = sizeof(preface) - 1 + 3 * 65536, down_n = 3 * 65536 + 9;
	char *up = malloc(up_n), *down = malloc(down_n);
	memcpy(up, preface, sizeof(preface) - 1);
	for (size_t i = sizeof(preface) - 1; i < up_n; i++)
		up[i] = (char)(i * 7 + (i >> 9));
	/* the program: a SETTINGS frame first (not HTTP/1: it must not be parsed), then bytes */
	memcpy(down, "\0\0\0\4\0\0\0\0\0", 9);
	for (size_t i = 9; i < down_n; i++)
		down[i] = (char)(i * 13 + 5);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	(void)!connect(fd, (struct sockaddr *)&r.pa.ss, r.pa.len);
	size_t up_off = 0, down_off = 0;
	for (int i = 0; i < 50 && !up_off; i++) { /* the preface cut in two */
		send_some_of(fd, up, 10, &up_off);
		usleep(1000);
	}
	for (int i = 0; i < 20; i++)
		httpproxy_run_once(r.hp, 2);
	int bfd = -1;
	struct strbuf got_up = STRBUF_INIT, got_down = STRBUF_INIT;
	char buf[65536];
	int64_t t0 = now_mono_ns();
	while ((got_up.len < up_n || got_down.len < down_n) && now_mono_ns() - t0 < 10000000000LL) {
		send_some_of(fd, up, up_n, &up_off);
		httpproxy_run_once(r.hp, 2);
		if (bfd < 0)
			bfd = accept4(r.blisten, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (bfd < 0)
			continue;
		ssize_t n;
		while ((n = recv(bfd, buf, sizeof(buf), 0)) > 0)
			strbuf_add(&got_up, buf, (size_t)n);
		send_some_of(bfd, down, down_n, &down_off);
		assert_false(drain(fd, &got_down));
	}
	assert_int_equal(got_up.len, up_n); /* the program got the preface and all, as sent */
	assert_memory_equal(got_up.buf, up, up_n);
	assert_int_equal(got_down.len, down_n); /* and the client all it answered, untouched */
	assert_memory_equal(got_down.buf, down, down_n);
	struct proxy_stats st;
	httpproxy_stats(r.hp, &st);
	assert_int_equal(st.connected, 1);
	assert_int_equal(st.replays, 0);
	close(fd);
	close(bfd);
	strbuf_release(&got_up);
	strbuf_release(&got_down);
	free(up);
	free(down);
	rig_stop(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slowloris),
	    cmocka_unit_test(test_idle_keepalive),
	    cmocka_unit_test(test_upload),
	    cmocka_unit_test(test_h2_prior_knowledge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
