/* Unit tests of listen.c and notify.c, on real sockets (127.0.0.1 and abstract unix only). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dev/listen.h"
#include "dev/notify.h"
#include "core/util.h"

static void set_timeouts(int fd)
{
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void test_parse(void **state)
{
	(void)state;
	struct {
		const char *in, *want;
	} ok[] = {
	    {":8080", "127.0.0.1:8080"},
	    {"127.0.0.1:0", "127.0.0.1:0"},
	    {"0.0.0.0:65535", "0.0.0.0:65535"},
	    {"[::1]:9000", "[::1]:9000"},
	    {"[::]:80", "[::]:80"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		struct listen_addr a;
		char *cause = NULL;
		assert_int_equal(listen_parse(ok[i].in, &a, &cause), 0);
		char *s = listen_format(&a);
		assert_string_equal(s, ok[i].want);
		free(s);
	}

	struct {
		const char *in, *cause;
	} bad[] = {
	    {"127.0.0.1", "bad address 127.0.0.1: missing port"},
	    {"8080", "bad address 8080: missing port"},
	    {"127.0.0.1:70000", "bad address 127.0.0.1:70000: bad port (want 0..65535)"},
	    {":http", "bad address :http: bad port (want 0..65535)"},
	    {"1.2.3.4:", "bad address 1.2.3.4:: bad port (want 0..65535)"},
	    {":-1", "bad address :-1: bad port (want 0..65535)"},
	    {"[::1:80", "bad address [::1:80: missing ']'"},
	    {"[::1]80", "bad address [::1]80: missing port"},
	    {"::1:80", "bad address ::1:80: IPv6 addresses need brackets: [addr]:port"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct listen_addr a;
		char *cause = NULL;
		assert_int_equal(listen_parse(bad[i].in, &a, &cause), -1);
		assert_non_null(cause);
		assert_string_equal(cause, bad[i].cause);
		free(cause);
	}
}

/* What --proxy must not forward to: its own socket, by any name. */
static void test_same_endpoint(void **state)
{
	(void)state;
	struct listen_addr a, b;
	char *cause = NULL;
	struct {
		const char *x, *y;
		int same;
	} cases[] = {
	    {"127.0.0.1:8080", "127.0.0.1:8080", 1}, {"127.0.0.1:8080", "localhost:8080", 1},
	    {"0.0.0.0:8080", "127.0.0.1:8080", 1},   {"[::]:8080", "[::1]:8080", 1},
	    {"127.0.0.1:8080", "127.0.0.1:8081", 0}, {"127.0.0.2:8080", "127.0.0.1:8080", 0},
	    {"[::1]:8080", "127.0.0.1:8080", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(listen_parse(cases[i].x, &a, &cause), 0);
		assert_int_equal(listen_parse(cases[i].y, &b, &cause), 0);
		if (listen_same_endpoint(&a, &b) != cases[i].same)
			fail_msg("%s vs %s: want %d", cases[i].x, cases[i].y, cases[i].same);
	}
}

static void test_bind_port0(void **state)
{
	(void)state;
	struct listen_addr bound;
	char *cause = NULL;
	int lfd = listen_bind(":0", &bound, &cause);
	assert_true(lfd >= 0);
	assert_null(cause);
	assert_true(listen_port(&bound) > 0);
	assert_true(fcntl(lfd, F_GETFD) & FD_CLOEXEC);
	char *shown = listen_format(&bound);
	assert_true(starts_with(shown, "127.0.0.1:"));
	free(shown);

	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c >= 0);
	set_timeouts(c);
	assert_int_equal(connect(c, (struct sockaddr *)&bound.ss, bound.len), 0);
	int s = accept(lfd, NULL, NULL);
	assert_true(s >= 0);
	set_timeouts(s);
	assert_int_equal(write_all(c, "ping", 4), 0);
	char buf[8] = {0};
	assert_int_equal(recv(s, buf, 4, MSG_WAITALL), 4);
	assert_memory_equal(buf, "ping", 4);
	close(s);
	close(c);
	close(lfd);
}

static void test_bind_ipv6_loopback(void **state)
{
	(void)state;
	struct listen_addr bound;
	char *cause = NULL;
	int lfd = listen_bind("[::1]:0", &bound, &cause);
	if (lfd < 0) {
		/* no IPv6 here (container without ::1) */
		print_message("skipped: %s\n", cause);
		free(cause);
		skip();
	}
	char *shown = listen_format(&bound);
	assert_true(starts_with(shown, "[::1]:"));
	free(shown);
	int c = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c >= 0);
	set_timeouts(c);
	assert_int_equal(connect(c, (struct sockaddr *)&bound.ss, bound.len), 0);
	int s = accept(lfd, NULL, NULL);
	assert_true(s >= 0);
	close(s);
	close(c);
	close(lfd);
}

static void test_bind_in_use(void **state)
{
	(void)state;
	struct listen_addr bound;
	char *cause = NULL;
	int lfd = listen_bind("127.0.0.1:0", &bound, &cause);
	assert_true(lfd >= 0);
	char *addr = listen_format(&bound);

	assert_int_equal(listen_bind(addr, NULL, &cause), -1);
	char *want = xasprintf("listen %s: address already in use", addr);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	free(addr);
	close(lfd);
}

static void test_bind_bad_address(void **state)
{
	(void)state;
	char *cause = NULL;
	assert_int_equal(listen_bind("localhost", NULL, &cause), -1);
	assert_string_equal(cause, "listen localhost: missing port");
	free(cause);
	cause = NULL;
	assert_int_equal(listen_bind("127.0.0.1:99999", NULL, &cause), -1);
	assert_string_equal(cause, "listen 127.0.0.1:99999: bad port (want 0..65535)");
	free(cause);
	cause = NULL;
	/* 192.0.2.1 (TEST-NET-1) is not a local address: bind fails, nothing is sent */
	assert_int_equal(listen_bind("192.0.2.1:0", NULL, &cause), -1);
	assert_string_equal(cause, "listen 192.0.2.1:0: cannot assign requested address");
	free(cause);
}

static void test_notify_parse(void **state)
{
	(void)state;
	struct notify_msg m;
	memset(&m, 0, sizeof(m));
	const char in[] = "STATUS=warming up\nFOO=bar\nREADY=1\nMAINPID=4242";
	notify_parse(in, sizeof(in) - 1, &m);
	assert_true(m.ready);
	assert_false(m.stopping);
	assert_true(m.has_status);
	assert_string_equal(m.status, "warming up");
	assert_int_equal(m.mainpid, 4242);

	memset(&m, 0, sizeof(m));
	const char in2[] = "READY=0\nSTOPPING=1\nMAINPID=x1\nREADY=1x";
	notify_parse(in2, sizeof(in2) - 1, &m);
	assert_false(m.ready);
	assert_true(m.stopping);
	assert_int_equal(m.mainpid, 0);
	assert_false(m.has_status);
}

/* The program's side of sd_notify: one datagram to $NOTIFY_SOCKET. */
static int send_notify(const char *text)
{
	const char *name = getenv("NOTIFY_SOCKET");
	if (!name || name[0] != '@')
		return -1;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	size_t len = strlen(name);
	memcpy(sa.sun_path + 1, name + 1, len - 1);
	ssize_t r = sendto(fd, text, strlen(text), 0, (struct sockaddr *)&sa,
	                   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	close(fd);
	return r == (ssize_t)strlen(text) ? 0 : -1;
}

static void test_notify_ready(void **state)
{
	(void)state;
	char *cause = NULL;
	struct notify *n = notify_new(&cause);
	assert_non_null(n);
	assert_true(starts_with(notify_socket(n), "@golive-notify-"));
	struct notify_msg m;
	assert_int_equal(notify_read(n, &m), 0); /* nothing yet, and no blocking */

	assert_int_equal(setenv("NOTIFY_SOCKET", notify_socket(n), 1), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		alarm(10);
		usleep(20 * 1000);
		_exit(send_notify("STATUS=listening\nREADY=1\n") ? 1 : 0);
	}
	unsetenv("NOTIFY_SOCKET");

	struct pollfd pfd = {notify_fd(n), POLLIN, 0};
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(notify_read(n, &m), 1);
	assert_true(m.ready);
	assert_int_equal(m.pid, pid);
	assert_string_equal(m.status, "listening");
	assert_int_equal(notify_read(n, &m), 0);

	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* two receivers in one process get different names */
	struct notify *n2 = notify_new(&cause);
	assert_non_null(n2);
	assert_string_not_equal(notify_socket(n), notify_socket(n2));
	notify_free(n2);
	notify_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),        cmocka_unit_test(test_same_endpoint),
	    cmocka_unit_test(test_bind_port0),   cmocka_unit_test(test_bind_ipv6_loopback),
	    cmocka_unit_test(test_bind_in_use),  cmocka_unit_test(test_bind_bad_address),
	    cmocka_unit_test(test_notify_parse), cmocka_unit_test(test_notify_ready),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
