/*
 * test_lpool.c - lpool.h on real sockets: slots of a SO_REUSEPORT group,
 * steering of new connections to one slot, accept-queue lengths, and the
 * first slot refusing a port another socket holds.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dev/lpool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int dial(const struct listen_addr *a)
{
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (const struct sockaddr *)&a->ss, a->len), 0);
	return fd;
}

/* Accepts every connection waiting on fd without blocking; how many. */
static int take_all(int fd)
{
	int n = 0, c;
	while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0 || errno == EINTR) {
		if (c >= 0) {
			close(c);
			n++;
		}
	}
	return n;
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Dials n connections into cli[0..n). */
static void dial_n(const struct listen_addr *a, int n, int cli[])
{
	for (int i = 0; i < n; i++)
		cli[i] = dial(a);
}

static void close_n(int cli[], int n)
{
	for (int i = 0; i < n; i++)
		close(cli[i]);
}

static void test_steering(void **state)
{
	(void)state;
	int owner_a, owner_b, cli[8];
	char *cause = NULL;
	struct listen_addr bound;
	struct lpool *p = lpool_new();
	int fd0 = lpool_add(p, "127.0.0.1:0", &bound, &cause);
	assert_true(fd0 >= 0);
	assert_int_equal(lpool_naddrs(p), 1);

	/* the first program gets slot 0, the steered one */
	int sa = lpool_pick(p);
	assert_int_equal(sa, 0);
	assert_int_equal(lpool_fds(p, sa)[0], fd0);
	lpool_own(p, sa, &owner_a);
	dial_n(&bound, 4, cli);
	assert_int_equal(lpool_queued(lpool_fds(p, sa), 1), 4);

	/* a second one while the first runs: a new slot, not steered yet */
	int sb = lpool_pick(p);
	assert_int_equal(sb, 1);
	int fd1 = lpool_fds(p, sb)[0];
	assert_true(fd1 >= 0 && fd1 != fd0);
	lpool_own(p, sb, &owner_b);
	nonblock(fd0);
	nonblock(fd1);
	int more[8];
	dial_n(&bound, 8, more);
	assert_int_equal(lpool_queued(&fd0, 1), 12); /* still the first one's */
	assert_int_equal(lpool_queued(&fd1, 1), 0);
	size_t n = 0;
	assert_null(lpool_own_fds(p, &owner_a, &n)); /* steered: others may come */
	assert_int_equal(n, 0);

	/* steered to the second: what was queued stays; what is new goes there */
	assert_int_equal(lpool_steer(p, &owner_b), 0);
	const int *own = lpool_own_fds(p, &owner_a, &n);
	assert_non_null(own);
	assert_int_equal(n, 1);
	assert_int_equal(own[0], fd0);
	int late[8];
	dial_n(&bound, 8, late);
	assert_int_equal(lpool_queued(&fd0, 1), 12);
	assert_int_equal(lpool_queued(&fd1, 1), 8);
	assert_int_equal(take_all(fd0), 12);
	assert_int_equal(take_all(fd1), 8);
	assert_int_equal(lpool_queued(&fd0, 1), 0);

	/* the first one ended: its slot is free again, and steering comes back */
	lpool_release(p, &owner_a);
	int sc = lpool_pick(p);
	assert_int_equal(sc, 0);
	int owner_c;
	lpool_own(p, sc, &owner_c);
	assert_int_equal(lpool_steer(p, &owner_c), 0);
	int back[4];
	dial_n(&bound, 4, back);
	assert_int_equal(lpool_queued(&fd0, 1), 4);
	assert_int_equal(lpool_queued(&fd1, 1), 0);

	/* the steered slot, free (its program crashed): the next one takes it, queue and all */
	lpool_release(p, &owner_c);
	assert_int_equal(lpool_pick(p), 0);

	close_n(cli, 4);
	close_n(more, 8);
	close_n(late, 8);
	close_n(back, 4);
	lpool_free(p);
}

/* Slots are bounded: past LPOOL_MAX_SLOTS busy ones, the steered one is shared. */
static void test_full_pool_shares(void **state)
{
	(void)state;
	char *cause = NULL;
	struct listen_addr bound;
	struct lpool *p = lpool_new();
	assert_true(lpool_add(p, "127.0.0.1:0", &bound, &cause) >= 0);
	int owners[LPOOL_MAX_SLOTS + 1];
	for (int i = 0; i < LPOOL_MAX_SLOTS; i++) {
		int s = lpool_pick(p);
		assert_int_equal(s, i);
		lpool_own(p, s, &owners[i]);
	}
	assert_int_equal(lpool_steer(p, &owners[3]), 0);
	int s = lpool_pick(p);
	assert_int_equal(s, 3);
	lpool_own(p, s, &owners[LPOOL_MAX_SLOTS]);
	size_t n = 0;
	/* shared: neither may wait for that queue to empty */
	assert_null(lpool_own_fds(p, &owners[3], &n));
	assert_null(lpool_own_fds(p, &owners[LPOOL_MAX_SLOTS], &n));
	assert_non_null(lpool_own_fds(p, &owners[0], &n));
	lpool_free(p);
}

/* The first slot refuses a port held by another socket, and another golive's pool. */
static void test_port_in_use(void **state)
{
	(void)state;
	char *cause = NULL;
	struct listen_addr bound;
	struct lpool *p = lpool_new();
	assert_true(lpool_add(p, "127.0.0.1:0", &bound, &cause) >= 0);
	assert_true(lpool_pick(p) == 0);
	int o;
	lpool_own(p, 0, &o);
	assert_int_equal(lpool_pick(p), 1); /* the group has two sockets now */
	char *addr = listen_format(&bound);

	struct lpool *q = lpool_new();
	assert_int_equal(lpool_add(q, addr, NULL, &cause), -1);
	assert_non_null(strstr(cause, "already in use"));
	free(cause);
	cause = NULL;
	assert_int_equal(listen_bind(addr, NULL, &cause), -1);
	free(cause);
	lpool_free(q);
	free(addr);
	lpool_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_steering),
	    cmocka_unit_test(test_full_pool_shares),
	    cmocka_unit_test(test_port_in_use),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
