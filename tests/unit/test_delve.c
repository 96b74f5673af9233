/*
 * Unit tests of delve.c: the breakpoint carry-over's line mapping, delve's
 * command line and lookup, and the JSON-RPC client against a real delve
 * (the one scripts/bootstrap installs under the user cache dir, else dlv on
 * PATH; skipped when there is none) debugging a small Go program built
 * here, plus a server that never answers (the time limit).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "dev/delve.h"
#include "dev/listen.h"

static int map(const char *a, const char *b, int line)
{
	return delve_map_line(a, strlen(a), b, strlen(b), line);
}

static void test_map_unchanged(void **state)
{
	(void)state;
	const char *src = "package main\n\nfunc f() {\n\tx := 1\n\t_ = x\n}\n";
	assert_int_equal(map(src, src, 4), 4);
	assert_int_equal(map(src, src, 5), 5);
}

static void test_map_shifted(void **state)
{
	(void)state;
	const char *a = "package main\n\nfunc f() {\n\tx := 1\n\t_ = x\n}\n";
	const char *b = "package main\n\n// new\n// lines\nfunc f() {\n\tx := 1\n\t_ = x\n}\n";
	assert_int_equal(map(a, b, 4), 6);
	/* an edit below the line leaves it where it was */
	const char *c = "package main\n\nfunc f() {\n\tx := 1\n\t_ = x\n\tprintln(x)\n}\n";
	assert_int_equal(map(a, c, 4), 4);
	/* indentation changed: the same text */
	const char *e = "package main\n\nfunc f() {\n\tif true {\n\t\tx := 1\n\t\t_ = x\n\t}\n}\n";
	assert_int_equal(map(a, e, 4), 5);
}

static void test_map_gone(void **state)
{
	(void)state;
	const char *a = "package main\n\nfunc f() {\n\tx := 1\n\t_ = x\n}\n";
	const char *b = "package main\n\nfunc f() {\n\t_ = 2\n}\n";
	assert_int_equal(map(a, b, 4), 0);
	assert_int_equal(map(a, b, 0), 0);   /* out of range */
	assert_int_equal(map(a, b, 100), 0); /* out of range */
	assert_int_equal(map(a, a, 2), 0);   /* a blank line is no anchor */
	assert_int_equal(map(a, "", 4), 0);  /* the file emptied */
}

static void test_map_duplicates(void **state)
{
	(void)state;
	/* the same text twice: the copy whose neighbours match wins */
	const char *a = "func a() {\n\treturn nil\n}\n\nfunc b() {\n\treturn nil\n}\n";
	const char *b = "func a() {\n\treturn nil\n}\n\n// b\nfunc b() {\n\treturn nil\n}\n";
	assert_int_equal(map(a, b, 2), 2);
	assert_int_equal(map(a, b, 6), 7);
	/* a function moved above another: its line follows it */
	const char *c = "func b() {\n\tx := 2\n}\n\nfunc a() {\n\ty := 1\n}\n";
	const char *d = "func a() {\n\ty := 1\n}\n\nfunc b() {\n\tx := 2\n}\n";
	assert_int_equal(map(c, d, 2), 6);
	assert_int_equal(map(c, d, 6), 2);
}

static void test_map_crlf(void **state)
{
	(void)state;
	const char *a = "package main\r\n\r\nvar x = 1\r\n";
	const char *b = "package main\n\n\nvar x = 1\n";
	assert_int_equal(map(a, b, 3), 4);
}

static void test_argv(void **state)
{
	(void)state;
	struct argv_array av = ARGV_ARRAY_INIT;
	char *args[] = {"-addr", ":0"};
	delve_argv(&av, "/x/dlv", "127.0.0.1:4000", "/tmp/app", args, 2);
	const char *want[] = {"/x/dlv",
	                      "exec",
	                      "--headless",
	                      "--accept-multiclient",
	                      "--api-version=2",
	                      "--listen=127.0.0.1:4000",
	                      "--log-dest=/dev/null",
	                      "/tmp/app",
	                      "--",
	                      "-addr",
	                      ":0"};
	assert_int_equal(av.argc, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_string_equal(av.argv[i], want[i]);
	argv_clear(&av);
	delve_argv(&av, "dlv", "127.0.0.1:1", "/tmp/app", NULL, 0);
	assert_int_equal(av.argc, 8); /* no "--" without arguments */
	argv_clear(&av);
}

static void test_find(void **state)
{
	(void)state;
	assert_null(delve_find("/nonexistent/golive-test/dlv"));
	char dir[] = "/tmp/golive-delve-find-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *exe = xasprintf("%s/mydlv", dir);
	FILE *f = fopen(exe, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\n", f);
	fclose(f);
	chmod(exe, 0755);
	char *got = delve_find(exe);
	assert_string_equal(got, exe);
	free(got);
	char *old = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
	setenv("PATH", dir, 1);
	got = delve_find("mydlv"); /* a name: looked up in PATH */
	assert_string_equal(got, exe);
	free(got);
	assert_null(delve_find(NULL)); /* no dlv in that PATH */
	if (old)
		setenv("PATH", old, 1);
	free(old);
	unlink(exe);
	rmdir(dir);
	free(exe);
}

/* A server that accepts and never answers: the client's time limit. */
static void test_no_answer(void **state)
{
	(void)state;
	struct listen_addr la;
	char *cause = NULL;
	int fd = listen_bind("127.0.0.1:0", &la, &cause);
	assert_true(fd >= 0);
	char *addr = listen_format(&la);
	struct delve_client *c = delve_connect(addr, 2000, NULL, NULL, &cause);
	assert_non_null(c);
	int64_t t0 = now_mono_ns();
	assert_int_equal(delve_call(c, "State", NULL, 200, NULL, &cause), -1);
	assert_non_null(strstr(cause, "did not answer within 200 ms"));
	assert_true(now_mono_ns() - t0 >= 190 * 1000000LL);
	free(cause);
	delve_close(c);
	close(fd);
	/* nobody listens there any more: refused, and the wait ends at its limit */
	cause = NULL;
	assert_null(delve_connect(addr, 100, NULL, NULL, &cause));
	assert_non_null(strstr(cause, "cannot connect to delve"));
	free(cause);
	free(addr);
}

/* ---- against a real delve ------------------------------------------------ */

static const char prog_go[] = "package main\n"
                              "\n"
                              "import \"time\"\n"
                              "\n"
                              "func tick(i int) int {\n"
                              "\tj := i * 2 // line 6\n"
                              "\treturn j\n"
                              "}\n"
                              "\n"
                              "func main() {\n"
                              "\tfor i := 0; ; i++ {\n"
                              "\t\t_ = tick(i)\n"
                              "\t\ttime.Sleep(5 * time.Millisecond)\n"
                              "\t}\n"
                              "}\n";

static char tmpdir[256];
static char *dlv;

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int run(const char *fmt, ...) PRINTF_LIKE(1, 2);
static int run(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		cmd = NULL;
	va_end(ap);
	int rc = cmd ? system(cmd) : -1;
	free(cmd);
	return rc;
}

static pid_t start_delve(const char *addr, const char *bin)
{
	struct argv_array av = ARGV_ARRAY_INIT;
	delve_argv(&av, dlv, addr, bin, NULL, 0);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setpgid(0, 0);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execv(av.argv[0], av.argv);
		_exit(127);
	}
	argv_clear(&av);
	return pid;
}

static int alive(void *data)
{
	pid_t pid = *(pid_t *)data;
	return waitpid(pid, NULL, WNOHANG) == 0;
}

static void test_real_delve(void **state)
{
	(void)state;
	if (!dlv)
		skip();
	char *cause = NULL, *bin = xasprintf("%s/prog", tmpdir),
	     *src = xasprintf("%s/main.go", tmpdir);
	unsigned port = delve_free_port();
	assert_true(port > 0);
	char addr[32];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	pid_t pid = start_delve(addr, bin);
	assert_true(pid > 0);
	struct delve_client *c = delve_connect(addr, 60000, alive, &pid, &cause);
	if (!c)
		fail_msg("%s", cause);

	/* started stopped (no --continue): the program's pid, not running */
	int tpid = 0, running = 1;
	assert_int_equal(delve_state(c, &tpid, &running, &cause), 0);
	assert_true(tpid > 0 && tpid != pid);
	assert_int_equal(running, 0);

	/* a breakpoint by file:line, carried the way golive does: listed without its id */
	json_t *bp = json_pack("{s:s}", "Cond", "i >= 3");
	int set = 0;
	assert_int_equal(delve_create_breakpoint(c, bp, src, 6, &set, &cause), 0);
	assert_int_equal(set, 6);
	assert_int_equal(delve_create_breakpoint(c, bp, src, 1000, NULL, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	json_decref(bp);
	json_t *list = delve_list_breakpoints(c, &cause);
	assert_non_null(list);
	assert_int_equal(json_array_size(list), 1); /* delve's internal ones left out */
	json_t *b0 = json_array_get(list, 0);
	assert_null(json_object_get(b0, "id"));
	assert_null(json_object_get(b0, "addrs"));
	assert_string_equal(json_string_value(json_object_get(b0, "file")), src);
	assert_int_equal(json_integer_value(json_object_get(b0, "line")), 6);
	assert_string_equal(json_string_value(json_object_get(b0, "Cond")), "i >= 3");

	/* a continue answers when the breakpoint stops it */
	json_t *r = NULL;
	assert_int_equal(
	    delve_call(c, "Command", json_pack("{s:s}", "name", "continue"), 30000, &r, &cause), 0);
	json_t *th = json_object_get(json_object_get(r, "State"), "currentThread");
	assert_int_equal(json_integer_value(json_object_get(th, "line")), 6);
	json_decref(r);

	/* continued without waiting: it runs; a halt from a second client stops it */
	assert_int_equal(delve_continue_nowait(c, &cause), 0);
	struct delve_client *c2 = delve_connect(addr, 5000, NULL, NULL, &cause);
	assert_non_null(c2);
	/* the breakpoint stops it again at once (i >= 3): clear it first, by a halt */
	assert_int_equal(delve_halt(c2, 10000, &cause), 0);
	json_t *again = delve_list_breakpoints(c2, &cause);
	assert_non_null(again);
	assert_int_equal(json_array_size(again), 1);
	json_decref(again);

	/* an unknown method: delve's error, the connection still usable */
	assert_int_equal(delve_call(c2, "NoSuchMethod", NULL, 5000, NULL, &cause), -1);
	assert_non_null(strstr(cause, "NoSuchMethod"));
	free(cause);
	cause = NULL;
	assert_int_equal(delve_state(c2, &tpid, &running, &cause), 0);

	json_decref(list);
	delve_close(c);
	delve_close(c2);
	kill(pid, SIGTERM); /* delve kills the program it launched and exits */
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	free(bin);
	free(src);
}

static int setup(void **state)
{
	(void)state;
	const char *cache = getenv("XDG_CACHE_HOME");
	char *cand = cache && *cache ? xasprintf("%s/golive-tools/delve-v1.27.2/dlv", cache)
	                             : xasprintf("%s/.cache/golive-tools/delve-v1.27.2/dlv",
	                                         getenv("HOME") ? getenv("HOME") : "/");
	dlv = access(cand, X_OK) == 0 ? cand : (free(cand), delve_find(NULL));
	if (!dlv)
		return 0;
	snprintf(tmpdir, sizeof(tmpdir), "%s/golive-delve-XXXXXX",
	         getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	char *p = xasprintf("%s/main.go", tmpdir);
	FILE *f = fopen(p, "w");
	free(p);
	if (!f)
		return -1;
	fputs(prog_go, f);
	fclose(f);
	setenv("GOTOOLCHAIN", "local", 1);
	setenv("GOFLAGS", "", 1);
	setenv("GO111MODULE", "on", 1);
	/* go's own build cache: -N -l's std is compiled there once, as golive dev --debug does */
	if (run("cd '%s' && printf 'module example.com/prog\\n\\ngo 1.19\\n' >go.mod && "
	        "go build -gcflags='all=-N -l' -o prog . >build.log 2>&1",
	        tmpdir)) {
		run("cat '%s/build.log' >&2", tmpdir);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dlv);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_map_unchanged), cmocka_unit_test(test_map_shifted),
	    cmocka_unit_test(test_map_gone),      cmocka_unit_test(test_map_duplicates),
	    cmocka_unit_test(test_map_crlf),      cmocka_unit_test(test_argv),
	    cmocka_unit_test(test_find),          cmocka_unit_test(test_no_answer),
	    cmocka_unit_test(test_real_delve),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
