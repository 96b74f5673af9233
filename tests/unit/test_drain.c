/* test_drain.c - drain.h on real sockets and real processes. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dev/drain.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int listener(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	return fd;
}

static int dial(int lfd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/*
 * A child that accepts one connection from lfd, tells the parent through
 * pipe p, and holds it until it reads a byte on the connection, then
 * closes it and waits to be killed.
 */
static pid_t server(int lfd, int p[2])
{
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		int c = accept(lfd, NULL, NULL);
		(void)!write(p[1], "a", 1);
		char b;
		(void)!read(c, &b, 1);
		close(c);
		(void)!write(p[1], "c", 1);
		for (;;)
			pause();
	}
	setpgid(pid, pid);
	close(p[1]);
	return pid;
}

static void await(int fd, char want)
{
	char b = 0;
	assert_int_equal(read(fd, &b, 1), 1);
	assert_int_equal(b, want);
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	kill(pid, SIGCONT);
	waitpid(pid, NULL, 0);
}

/* An accepted connection counts; the listener itself and a closed one do not. */
static void test_accepted_count(void **state)
{
	(void)state;
	int lfd = listener(), p[2];
	unsigned port = drain_port_of(lfd);
	assert_true(port > 0);
	pid_t pid = server(lfd, p);
	assert_int_equal(drain_accepted(pid, &port, 1), 0); /* only the listener so far */
	int c = dial(lfd);
	await(p[0], 'a');
	assert_int_equal(drain_accepted(pid, &port, 1), 1);
	assert_int_equal(drain_accepted(getpid(), &port, 1), 0); /* ours is the client side */
	(void)!write(c, "x", 1);
	await(p[0], 'c');
	assert_int_equal(drain_accepted(pid, &port, 1), 0);
	close(c);
	reap(pid);
	close(p[0]);
	close(lfd);
}

static int state_of(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strrchr(buf, ')')[2];
}

/*
 * Idle: 0 at once, without stopping it (nothing to wait for). Serving:
 * paused, and 0 only once the request is done.
 */
static void test_pause(void **state)
{
	(void)state;
	int lfd = listener(), p[2];
	unsigned port = drain_port_of(lfd);
	pid_t pid = server(lfd, p);
	assert_int_equal(drain_pause(pid, pid, &port, 1, NULL, 0, 200), 0);
	assert_int_not_equal(state_of(pid), 'T');
	int c = dial(lfd);
	await(p[0], 'a');
	/* It holds the connection until we write: past max_ms, it says so, still paused. */
	assert_int_equal(drain_pause(pid, pid, &port, 1, NULL, 0, 50), 1);
	assert_int_equal(state_of(pid), 'T');
	kill(pid, SIGCONT);
	/* The client finishes while drain_pause keeps trying: a writer child does it. */
	pid_t w = fork();
	if (w == 0) {
		usleep(30000);
		(void)!write(c, "x", 1);
		_exit(0);
	}
	assert_int_equal(drain_pause(pid, pid, &port, 1, NULL, 0, 5000), 0);
	/* stopped, unless the writer was done before the first look (a loaded machine) */
	assert_int_equal(drain_accepted(pid, &port, 1), 0);
	waitpid(w, NULL, 0);
	close(c);
	reap(pid);
	close(p[0]);
	close(lfd);
}

/* A process that is gone cannot be inspected. */
static void test_gone(void **state)
{
	(void)state;
	int lfd = listener();
	unsigned port = drain_port_of(lfd);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	assert_int_equal(drain_accepted(pid, &port, 1), -1);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepted_count),
	    cmocka_unit_test(test_pause),
	    cmocka_unit_test(test_gone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
