/*
 * Unit tests of supervise.c with real processes (/bin/sh scripts): exit
 * codes, signals, stop with and without SIGKILL, no process of the group
 * left, passed fds and LISTEN_*, PR_SET_PDEATHSIG, backoff. Every wait is
 * bounded; the test process is a child subreaper (as golive dev is), so
 * orphaned grandchildren come back to it and can be reaped.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dev/supervise.h"
#include "core/util.h"

#define WAIT_MS 5000 /* the bound of every wait for something that should happen at once */

/* A supervisor for `/bin/sh -c script`. */
static struct supervisor *new_sh(const char *script, const int *fds, size_t nfds, int64_t grace_ms,
                                 char *const *env)
{
	char *argv[] = {"sh", "-c", (char *)script, NULL};
	struct supervise_opts o = SUPERVISE_OPTS_INIT;
	o.argv = argv;
	o.fds = fds;
	o.nfds = nfds;
	o.grace_ms = grace_ms;
	o.env = env;
	return supervise_new(&o);
}

static void start_ok(struct supervisor *s)
{
	char *cause = NULL;
	int r = supervise_start(s, &cause);
	if (r < 0)
		fail_msg("supervise_start: %s", cause);
	assert_true(supervise_pid(s) > 0);
	assert_true(supervise_pidfd(s) >= 0);
}

/* Waits (bounded) for fd to be readable. */
static void wait_readable(int fd, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	int r;
	do {
		r = poll(&p, 1, ms);
	} while (r < 0 && errno == EINTR);
	assert_int_equal(r, 1);
}

/* Reads one line (bounded in time and size) from fd into buf, newline included. */
static void read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	while (n + 1 < size) {
		wait_readable(fd, WAIT_MS);
		ssize_t r = read(fd, buf + n, 1);
		if (r <= 0)
			break;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
}

/* Waits for the program to end on its own and reaps it. */
static void reap_ok(struct supervisor *s, struct supervise_exit *ex)
{
	char *cause = NULL;
	wait_readable(supervise_pidfd(s), WAIT_MS);
	int r = supervise_reap(s, ex, &cause);
	if (r < 0)
		fail_msg("supervise_reap: %s", cause);
	assert_int_equal(r, 1);
	assert_int_equal(supervise_pid(s), 0);
	assert_int_equal(supervise_pidfd(s), -1);
}

static void stop_ok(struct supervisor *s, struct supervise_exit *ex)
{
	char *cause = NULL;
	if (supervise_stop(s, ex, &cause) < 0)
		fail_msg("supervise_stop: %s", cause);
}

static void assert_group_gone(pid_t pgid)
{
	assert_int_equal(kill(-pgid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static void test_exit_code(void **state)
{
	(void)state;
	struct supervisor *s = new_sh("exit 3", NULL, 0, 0, NULL);
	struct supervise_exit ex;
	char *cause = NULL;

	start_ok(s);
	pid_t pid = supervise_pid(s);
	reap_ok(s, &ex);
	assert_int_equal(ex.pid, pid);
	assert_true(WIFEXITED(ex.status));
	assert_int_equal(ex.exit_code, 3);
	assert_int_equal(ex.signal, 0);
	assert_int_equal(ex.killed, 0);
	assert_int_equal(ex.restart_delay_ms, 100);
	assert_group_gone(pid);

	/* a second crash backs off further; nothing running reaps nothing */
	start_ok(s);
	reap_ok(s, &ex);
	assert_int_equal(ex.exit_code, 3);
	assert_int_equal(ex.restart_delay_ms, 200);
	assert_int_equal(supervise_reap(s, &ex, &cause), 0);
	assert_int_equal(ex.pid, 0);
	supervise_reset_backoff(s);
	start_ok(s);
	reap_ok(s, &ex);
	assert_int_equal(ex.restart_delay_ms, 100);

	/* stopping nothing is fine */
	stop_ok(s, &ex);
	assert_int_equal(ex.pid, 0);
	supervise_free(s);
}

static void test_signal(void **state)
{
	(void)state;
	struct supervisor *s = new_sh("ulimit -c 0; kill -SEGV $$", NULL, 0, 0, NULL);
	struct supervise_exit ex;

	start_ok(s);
	reap_ok(s, &ex);
	assert_true(WIFSIGNALED(ex.status));
	assert_int_equal(ex.signal, SIGSEGV);
	assert_int_equal(ex.exit_code, -1);
	supervise_free(s);
}

static void test_not_found(void **state)
{
	(void)state;
	char *argv1[] = {"/nonexistent/golive-test-prog", NULL};
	char *argv2[] = {"golive-no-such-program-on-path", NULL};
	char *argv3[] = {"/dev/null", NULL}; /* exists, not executable: fails in the child */
	char *const *argvs[] = {argv1, argv2, argv3};

	for (size_t i = 0; i < ARRAY_SIZE(argvs); i++) {
		struct supervise_opts o = SUPERVISE_OPTS_INIT;
		char *cause = NULL;
		o.argv = argvs[i];
		struct supervisor *s = supervise_new(&o);
		assert_int_equal(supervise_start(s, &cause), -1);
		assert_non_null(cause);
		assert_true(starts_with(cause, "cannot run "));
		assert_int_equal(supervise_pid(s), 0);
		assert_int_equal(supervise_pidfd(s), -1);
		free(cause);
		supervise_free(s);
	}
}

static void test_already_running(void **state)
{
	(void)state;
	struct supervisor *s = new_sh("exec sleep 60", NULL, 0, 0, NULL);
	struct supervise_exit ex;
	char *cause = NULL;

	start_ok(s);
	assert_int_equal(getpgid(supervise_pid(s)), supervise_pid(s)); /* a group of its own */
	assert_int_equal(supervise_start(s, &cause), -1);
	assert_non_null(strstr(cause, "already running"));
	free(cause);
	/* still running: reap says so without blocking */
	assert_int_equal(supervise_reap(s, &ex, &cause), 0);
	assert_true(supervise_pid(s) > 0);
	/* free() kills it without a grace period */
	pid_t pid = supervise_pid(s);
	supervise_free(s);
	assert_group_gone(pid);
}

static void test_stop_term(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	struct supervisor *s = new_sh("echo ready >&3; exec sleep 60", &p[1], 1, 0, NULL);
	struct supervise_exit ex;
	char line[64];

	start_ok(s);
	close(p[1]);
	read_line(p[0], line, sizeof(line));
	assert_string_equal(line, "ready\n");
	pid_t pid = supervise_pid(s);
	int64_t t0 = now_mono_ns();
	stop_ok(s, &ex);
	assert_true(now_mono_ns() - t0 < 2000000000LL);
	assert_int_equal(ex.pid, pid);
	assert_int_equal(ex.signal, SIGTERM);
	assert_int_equal(ex.killed, 0);
	assert_group_gone(pid);
	close(p[0]);
	supervise_free(s);
}

static void test_stop_ignores_term(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	struct supervisor *s =
	    new_sh("trap '' TERM; echo ready >&3; sleep 60; exit 0", &p[1], 1, 300, NULL);
	struct supervise_exit ex;
	char line[64];

	start_ok(s);
	close(p[1]);
	read_line(p[0], line, sizeof(line));
	assert_string_equal(line, "ready\n");
	pid_t pid = supervise_pid(s);
	int64_t t0 = now_mono_ns();
	stop_ok(s, &ex);
	int64_t took_ms = (now_mono_ns() - t0) / 1000000;
	assert_true(took_ms >= 300);
	assert_true(took_ms < 3000);
	assert_int_equal(ex.killed, 1);
	assert_int_equal(ex.signal, SIGKILL);
	assert_group_gone(pid);
	close(p[0]);
	supervise_free(s);
}

static void test_stop_grandchildren(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	/*
	 * One grandchild dies with SIGTERM, one ignores it and must be SIGKILLed;
	 * the latter says ready once its trap is set (the first was forked before it).
	 */
	struct supervisor *s = new_sh("sleep 60 & (trap '' TERM; echo ready >&3; exec sleep 60) & "
	                              "sleep 60",
	                              &p[1], 1, 300, NULL);
	struct supervise_exit ex;
	char line[64];

	start_ok(s);
	close(p[1]);
	read_line(p[0], line, sizeof(line));
	assert_string_equal(line, "ready\n");
	pid_t pid = supervise_pid(s);
	stop_ok(s, &ex);
	assert_int_equal(ex.signal, SIGTERM);
	assert_int_equal(ex.killed, 0);
	assert_group_gone(pid);
	close(p[0]);
	supervise_free(s);
}

/* True when pid has ended (gone, or a zombie waiting for its new parent). */
static int pid_ended(pid_t pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' && rp[2] == 'Z';
}

/* A child set loose with setsid (its own session and group) dies with the run. */
static void test_stop_setsid_child(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	struct supervisor *s =
	    new_sh("setsid sleep 60 & echo $! >&3; exec sleep 60", &p[1], 1, 0, NULL);
	struct supervise_exit ex;
	char line[64];

	start_ok(s);
	close(p[1]);
	read_line(p[0], line, sizeof(line));
	pid_t loose = (pid_t)atoi(line);
	assert_true(loose > 0);
	/* setsid has run once the child leads its own group */
	for (int i = 0; i < WAIT_MS && getpgid(loose) != loose; i++)
		usleep(1000);
	assert_int_equal(getpgid(loose), loose);
	pid_t pid = supervise_pid(s);
	stop_ok(s, &ex);
	assert_group_gone(pid);
	for (int i = 0; i < WAIT_MS && !pid_ended(loose); i++)
		usleep(1000);
	assert_true(pid_ended(loose));
	assert_int_equal(supervise_swept(s), 1);
	close(p[0]);
	supervise_free(s);
}

static void test_crash_leaves_no_group(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	struct supervisor *s = new_sh("sleep 60 & echo ready >&3; exit 5", &p[1], 1, 0, NULL);
	struct supervise_exit ex;
	char line[64];

	start_ok(s);
	close(p[1]);
	read_line(p[0], line, sizeof(line));
	assert_string_equal(line, "ready\n");
	pid_t pid = supervise_pid(s);
	reap_ok(s, &ex);
	assert_int_equal(ex.exit_code, 5);
	assert_group_gone(pid);
	close(p[0]);
	supervise_free(s);
}

static void test_listen_fds(void **state)
{
	(void)state;
	int a[2], b[2], leak[2];
	char script[512], line[64];
	char *env[] = {"GOLIVE_SUPERVISE_TEST=yes", NULL};
	struct supervise_exit ex;

	assert_int_equal(pipe2(a, O_CLOEXEC), 0);
	assert_int_equal(pipe2(b, O_CLOEXEC), 0);
	assert_int_equal(pipe(leak), 0); /* not CLOEXEC: must not reach the program anyway */
	setenv("LISTEN_FDNAMES", "stale", 1);
	snprintf(script, sizeof(script),
	         "test \"$LISTEN_PID\" = \"$$\" || exit 11; "
	         "test \"$LISTEN_FDS\" = 2 || exit 12; "
	         "test -z \"${LISTEN_FDNAMES+x}\" || exit 13; "
	         "test \"$GOLIVE_SUPERVISE_TEST\" = yes || exit 14; "
	         "test ! -e /proc/$$/fd/%d || exit 15; "
	         "test ! -e /proc/$$/fd/5 || exit 16; "
	         "echo three >&3 && echo four >&4",
	         leak[1]);
	/* passed in the other order than they were made: fd 3 is b's write end */
	int fds[] = {b[1], a[1]};
	struct supervisor *s = new_sh(script, fds, 2, 0, env);
	start_ok(s);
	close(a[1]);
	close(b[1]);
	reap_ok(s, &ex);
	assert_int_equal(ex.exit_code, 0);
	read_line(b[0], line, sizeof(line));
	assert_string_equal(line, "three\n");
	read_line(a[0], line, sizeof(line));
	assert_string_equal(line, "four\n");
	unsetenv("LISTEN_FDNAMES");
	close(a[0]);
	close(b[0]);
	close(leak[0]);
	close(leak[1]);
	supervise_free(s);
}

static void test_stdin_fd(void **state)
{
	(void)state;
	int in[2], out[2];
	char line[64];
	struct supervise_exit ex;

	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(write_all(in[1], "hello\n", 6), 0);
	close(in[1]);
	struct supervise_opts o = SUPERVISE_OPTS_INIT;
	char *argv[] = {"sh", "-c", "read l && echo \"got $l\" >&3", NULL};
	o.argv = argv;
	o.fds = &out[1];
	o.nfds = 1;
	o.stdin_fd = in[0];
	struct supervisor *s = supervise_new(&o);
	start_ok(s);
	close(in[0]);
	close(out[1]);
	reap_ok(s, &ex);
	assert_int_equal(ex.exit_code, 0);
	read_line(out[0], line, sizeof(line));
	assert_string_equal(line, "got hello\n");
	close(out[0]);
	supervise_free(s);
}

static void test_no_fds_no_listen_env(void **state)
{
	(void)state;
	struct supervise_exit ex;
	setenv("LISTEN_PID", "1", 1);
	setenv("LISTEN_FDS", "1", 1);
	struct supervisor *s = new_sh("test -z \"${LISTEN_PID+x}${LISTEN_FDS+x}\" || exit 1; "
	                              "test ! -e /proc/$$/fd/3",
	                              NULL, 0, 0, NULL);
	start_ok(s);
	reap_ok(s, &ex);
	assert_int_equal(ex.exit_code, 0);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	supervise_free(s);
}

/* The value of a "Name:\t<hex>" line of /proc/<pid>/status text. */
static unsigned long long status_mask(const char *text, const char *name)
{
	const char *l = strstr(text, name);
	assert_non_null(l);
	return strtoull(l + strlen(name), NULL, 16);
}

/* The kernel's struct sigaction (rt_sigaction), for glibc's reserved signals. */
struct ksigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};

static void test_signal_state(void **state)
{
	(void)state;
	struct supervise_exit ex;
	struct strbuf out = STRBUF_INIT;
	sigset_t set, old;
	int p[2];

	/* golive ignores SIGPIPE and blocks SIGUSR1: the program must see neither */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	/* ... and glibc's reserved 32 and 33 ignored, as some launchers leave them */
	struct ksigaction ign = {SIG_IGN, 0, NULL, 0}, saved[2];
	for (int i = 0; i < 2; i++)
		syscall(SYS_rt_sigaction, 32 + i, &ign, &saved[i], sizeof(ign.mask));
	struct supervisor *s = new_sh("exec cat /proc/self/status >&3", &p[1], 1, 0, NULL);
	start_ok(s);
	for (int i = 0; i < 2; i++)
		syscall(SYS_rt_sigaction, 32 + i, &saved[i], NULL, sizeof(ign.mask));
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
	reap_ok(s, &ex);
	assert_int_equal(ex.exit_code, 0);
	wait_readable(p[0], WAIT_MS);
	assert_true(strbuf_read_fd(&out, p[0], 65536, NULL) > 0);
	assert_int_equal(status_mask(out.buf, "\nSigBlk:"), 0);
	assert_int_equal(status_mask(out.buf, "\nSigIgn:"), 0);
	strbuf_release(&out);
	close(p[0]);
	supervise_free(s);
}

/*
 * A middle process starts a supervised `sleep 60`, sends its pid up and dies
 * (how: 0 to _exit, SIGKILL to be killed). PR_SET_PDEATHSIG must kill the sleep;
 * it is reparented to us (the subreaper), so we can wait on it.
 */
static void pdeathsig_case(int how)
{
	int p[2];
	pid_t sleeper = 0, mid;
	int st;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	mid = fork();
	assert_true(mid >= 0);
	if (mid == 0) {
		char *argv[] = {"sleep", "60", NULL};
		struct supervise_opts o = SUPERVISE_OPTS_INIT;
		char *cause = NULL;
		close(p[0]);
		o.argv = argv;
		struct supervisor *s = supervise_new(&o);
		if (supervise_start(s, &cause) < 0)
			_exit(1);
		pid_t pid = supervise_pid(s);
		if (write_all(p[1], &pid, sizeof(pid)) < 0)
			_exit(1);
		if (how)
			raise(how);
		_exit(0);
	}
	close(p[1]);
	wait_readable(p[0], WAIT_MS);
	assert_int_equal(read(p[0], &sleeper, sizeof(sleeper)), sizeof(sleeper));
	close(p[0]);
	assert_int_equal(waitpid(mid, &st, 0), mid);
	if (how)
		assert_true(WIFSIGNALED(st) && WTERMSIG(st) == how);
	else
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	int pfd = pidfd_open(sleeper, 0);
	assert_true(pfd >= 0);
	wait_readable(pfd, 2000);
	close(pfd);
	assert_int_equal(waitpid(sleeper, &st, 0), sleeper);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
}

static void test_pdeathsig_exit(void **state)
{
	(void)state;
	pdeathsig_case(0);
}

static void test_pdeathsig_killed(void **state)
{
	(void)state;
	pdeathsig_case(SIGKILL);
}

static void test_backoff(void **state)
{
	(void)state;
	const int64_t want[] = {100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000};
	int64_t d = 0;
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		d = supervise_backoff_ms(d, 50);
		assert_int_equal(d, want[i]);
	}
	/* a program that ran 10 s or more starts the sequence again */
	assert_int_equal(supervise_backoff_ms(5000, 9999), 5000);
	assert_int_equal(supervise_backoff_ms(5000, 10000), 100);
	assert_int_equal(supervise_backoff_ms(400, 60000), 100);
	assert_int_equal(supervise_backoff_ms(0, 0), 100);
}

int main(void)
{
	char *cause = NULL;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_exit_code),
	    cmocka_unit_test(test_signal),
	    cmocka_unit_test(test_not_found),
	    cmocka_unit_test(test_already_running),
	    cmocka_unit_test(test_stop_term),
	    cmocka_unit_test(test_stop_ignores_term),
	    cmocka_unit_test(test_stop_grandchildren),
	    cmocka_unit_test(test_stop_setsid_child),
	    cmocka_unit_test(test_crash_leaves_no_group),
	    cmocka_unit_test(test_listen_fds),
	    cmocka_unit_test(test_stdin_fd),
	    cmocka_unit_test(test_no_fds_no_listen_env),
	    cmocka_unit_test(test_signal_state),
	    cmocka_unit_test(test_pdeathsig_exit),
	    cmocka_unit_test(test_pdeathsig_killed),
	};
	if (supervise_init_process(&cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
