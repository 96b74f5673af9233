/*
 * test_keeper.c - src/dev/keeper.c with real processes: a "golive" (a forked
 * child of the test) starts the keeper and a process group, then dies
 * without a goodbye; the group must be SIGKILLed. A goodbye, or removing
 * the group first, must leave it alone. A process that left its group
 * (setsid) but carries GOLIVE_RUN=<golive's pid>.<n> dies too; one marked
 * for another golive does not. The test is a child subreaper so it can reap
 * the orphans and see how they died.
 *
 * The keeper re-executes /proc/self/exe as "golive-keeper": here that is
 * this test binary, whose main() hands over to keeper_main_if_argv0() first.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dev/keeper.h"
#include "core/util.h"

/* A `sleep 60` in a process group of its own. */
static pid_t start_group(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		execlp("sleep", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

/* Waits up to ms for pid (our child, or an orphan we adopted); its status or -1. */
static int wait_for(pid_t pid, int ms)
{
	int st;
	for (int i = 0; i < ms / 10; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
	return -1;
}

/*
 * Forks a fake golive that starts the keeper and a group, optionally removes
 * it or says goodbye, and dies. Returns the group's pid.
 */
static pid_t golive_dies(int remove, int goodbye)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t g = fork();
	if (g == 0) {
		close(p[0]);
		if (keeper_start() < 0)
			_exit(2);
		pid_t grp = start_group();
		keeper_add(grp);
		if (remove)
			keeper_remove(grp);
		if (goodbye)
			keeper_stop();
		if (write(p[1], &grp, sizeof(grp)) != (ssize_t)sizeof(grp))
			_exit(3);
		_exit(0); /* no goodbye unless asked: as if SIGKILLed */
	}
	close(p[1]);
	pid_t grp = 0;
	assert_int_equal(read(p[0], &grp, sizeof(grp)), (ssize_t)sizeof(grp));
	close(p[0]);
	int st;
	assert_int_equal(waitpid(g, &st, 0), g);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return grp;
}

static void reap_keepers(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* A `sleep 60` in a session of its own, with GOLIVE_RUN=<owner>.1 in its environment. */
static pid_t start_loose(pid_t owner)
{
	pid_t pid = fork();
	if (pid == 0) {
		char marker[64];
		snprintf(marker, sizeof(marker), "%s=%d.1", KEEPER_RUN_MARKER_ENV, (int)owner);
		char *const envp[] = {marker, (char *)"PATH=/usr/bin:/bin", NULL};
		setsid();
		execle("/bin/sleep", "sleep", "60", (char *)NULL, envp);
		_exit(127);
	}
	return pid;
}

/*
 * A fake golive with a keeper starts two set-loose processes, one marked
 * with its own pid and one with another's, and dies without a goodbye.
 */
static void test_death_sweeps_marked(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t g = fork();
	if (g == 0) {
		close(p[0]);
		if (keeper_start() < 0)
			_exit(2);
		pid_t pids[2] = {start_loose(getpid()), start_loose(getpid() + 100000)};
		/* both exec'd (their environ readable as sleep's) before this golive dies */
		struct timespec ts = {0, 200 * 1000000};
		nanosleep(&ts, NULL);
		if (write(p[1], pids, sizeof(pids)) != (ssize_t)sizeof(pids))
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	pid_t pids[2] = {0, 0};
	assert_int_equal(read(p[0], pids, sizeof(pids)), (ssize_t)sizeof(pids));
	close(p[0]);
	int st;
	assert_int_equal(waitpid(g, &st, 0), g);
	st = wait_for(pids[0], 5000);
	assert_int_not_equal(st, -1);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	assert_int_equal(wait_for(pids[1], 300), -1); /* another golive's: still running */
	kill(pids[1], SIGKILL);
	assert_int_not_equal(wait_for(pids[1], 5000), -1);
	reap_keepers();
}

/*
 * Sweeps at the moment a marked process is inside execve: the parent reads
 * EOF from a close-on-exec pipe as soon as the kernel has closed it, which
 * is after the new memory is in place and before its environment is laid
 * out. The sweep must still find it, every time.
 */
static void test_sweep_during_exec(void **state)
{
	(void)state;
	char marker[64];
	snprintf(marker, sizeof(marker), "%s=%d.7", KEEPER_RUN_MARKER_ENV, (int)getpid());
	for (int round = 0; round < 40; round++) {
		int p[2];
		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		pid_t pid = fork();
		if (pid == 0) {
			close(p[0]);
			char *const envp[] = {marker, (char *)"PATH=/usr/bin:/bin", NULL};
			execle("/bin/sh", "sh", "-c", "exec /bin/sleep 60", (char *)NULL, envp);
			_exit(127);
		}
		close(p[1]);
		char c;
		assert_int_equal(read(p[0], &c, 1), 0); /* the exec is under way */
		close(p[0]);
		assert_int_equal(keeper_sweep_marked(marker, 0), 1);
		int st = wait_for(pid, 5000);
		assert_int_not_equal(st, -1);
		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), SIGKILL);
	}
}

/* What is not in the middle of an execve is never waited for. */
static void test_mid_exec_negatives(void **state)
{
	(void)state;
	assert_int_equal(keeper_mid_exec(getpid()), 0);
	assert_int_equal(keeper_mid_exec(2), 0); /* kthreadd, a kernel thread (or absent) */
	assert_int_equal(keeper_mid_exec(0x7ffffff0), 0); /* no such process */
	pid_t z = fork();
	if (z == 0)
		_exit(0);
	/* a zombie until reaped */
	for (int i = 0; i < 5000; i++) {
		char path[64], buf[256];
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)z);
		FILE *f = fopen(path, "re");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		if (f)
			fclose(f);
		buf[n] = '\0';
		char *rp = strrchr(buf, ')');
		if (rp && rp[2] == 'Z')
			break;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	assert_int_equal(keeper_mid_exec(z), 0);
	assert_int_equal(waitpid(z, NULL, 0), z);
	/* an empty environment, but not an exec under way */
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t e = fork();
	if (e == 0) {
		close(p[0]);
		char *const envp[] = {NULL};
		execle("/bin/sleep", "sleep", "60", (char *)NULL, envp);
		_exit(127);
	}
	close(p[1]);
	char c;
	assert_int_equal(read(p[0], &c, 1), 0);
	close(p[0]);
	/* once sleep runs, an empty environment is not mistaken for an exec */
	for (int i = 0; i < 5000 && keeper_mid_exec(e); i++) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	assert_int_equal(keeper_mid_exec(e), 0);
	kill(e, SIGKILL);
	assert_int_equal(waitpid(e, NULL, 0), e);
}

static void test_death_kills_the_group(void **state)
{
	(void)state;
	pid_t grp = golive_dies(0, 0);
	int st = wait_for(grp, 5000);
	assert_int_not_equal(st, -1);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	reap_keepers();
}

static void test_removed_group_survives(void **state)
{
	(void)state;
	pid_t grp = golive_dies(1, 0);
	assert_int_equal(wait_for(grp, 300), -1); /* still running */
	kill(grp, SIGKILL);
	assert_int_not_equal(wait_for(grp, 5000), -1);
	reap_keepers();
}

static void test_goodbye_kills_nothing(void **state)
{
	(void)state;
	pid_t grp = golive_dies(0, 1);
	assert_int_equal(wait_for(grp, 300), -1);
	kill(grp, SIGKILL);
	assert_int_not_equal(wait_for(grp, 5000), -1);
	reap_keepers();
}

int main(int argc, char **argv)
{
	(void)argc;
	keeper_main_if_argv0(argv[0]);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_death_kills_the_group),
	    cmocka_unit_test(test_removed_group_survives),
	    cmocka_unit_test(test_goodbye_kills_nothing),
	    cmocka_unit_test(test_death_sweeps_marked),
	    cmocka_unit_test(test_sweep_during_exec),
	    cmocka_unit_test(test_mid_exec_negatives),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
