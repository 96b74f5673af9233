/*
 * test_plugin.c - src/plugin/plugin.c, the plugin runtime, with real plugins: the
 * .so files tests/CMakeLists.txt builds from tests/plugins/ and
 * examples/plugins/ (in TEST_PLUGIN_DIR), and the exec: scripts of
 * tests/plugins/ and examples/plugins/. Each test has its own session
 * directory. The plugins are filled in by hand (no plugin_verify): the
 * runtime only opens p->file.
 *
 * Covered: plugins.json round trip and errors; the cache salt and the
 * -V=full line; describe (good plugins, each way of being refused);
 * before_tool (rewrite, crash, hang with a grandchild, failure, an
 * undeclared rewrite); after_tool's log; analyze_file's findings;
 * audit.log; and the cost of one hook call, printed for docs/plugins.md.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin/plugin.h"
#include "plugin/plugin_check.h"
#include "core/util.h"

#ifndef TEST_PLUGIN_DIR
#error "TEST_PLUGIN_DIR: the directory of the built test plugins (tests/CMakeLists.txt)"
#endif

/* ---- helpers ---------------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* A fresh session directory per test, in *state. */
static int session_setup(void **state)
{
	const char *base = getenv("TMPDIR");
	char *dir = xasprintf("%s/golive-tplugin-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(dir)) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int session_teardown(void **state)
{
	char *dir = *state;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
	/* Every hook child was waited for: the runtime leaves no child behind. */
	return waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD ? 0 : -1;
}

static char *so_path(const char *name)
{
	return xasprintf("%s/%s.so", TEST_PLUGIN_DIR, name);
}

static char *script_path(const char *rel)
{
	return xasprintf("%s/%s", TEST_SOURCE_DIR, rel);
}

/*
 * Fills p by hand: name, kind, file (the built .so or the script; taken),
 * timeout, then "key=value" args until NULL. Version "", flags and hooks 0.
 */
static void fill(struct plugin *p, const char *name, enum plugin_kind kind, char *file,
                 int timeout_ms, ...)
{
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	p->version = xstrdup("");
	p->kind = kind;
	p->file = file;
	p->source = xstrdup(file);
	p->sha256 = xstrdup("x");
	p->timeout_ms = timeout_ms;
	va_list ap;
	va_start(ap, timeout_ms);
	for (const char *a; (a = va_arg(ap, const char *));)
		argv_push(&p->args, a);
	va_end(ap);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* The lines of session/name (a file the runtime appends to). */
static void read_lines(const char *session, const char *name, struct argv_array *lines)
{
	char *path = xasprintf("%s/%s", session, name);
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(strbuf_read_file(&sb, path, 1u << 20), 0);
	for (char *p = sb.buf, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl); /* every line ends */
		char *line = xstrndup(p, (size_t)(nl - p));
		argv_push(lines, line);
		free(line);
	}
	strbuf_release(&sb);
	free(path);
}

/* A cause is one line naming the plugin: "plugin NAME: ...". */
static void assert_cause(const char *cause, const char *name, const char *needle)
{
	assert_non_null(cause);
	char *prefix = xasprintf("plugin %s: ", name);
	if (!starts_with(cause, prefix) || !strstr(cause, needle) || strchr(cause, '\n'))
		fail_msg("cause \"%s\": want \"%s...%s...\" on one line", cause, prefix, needle);
	free(prefix);
}

static int64_t elapsed_ms(int64_t start)
{
	return (now_mono_ns() - start) / 1000000;
}

/* The tool call every hook test uses. */
static const char *const tool_argv[] = {
    "/go/pkg/tool/linux_amd64/compile", "-p", "main", "-o", "/tmp/_pkg_.a", "main.go", NULL};
static const struct golive_tool_call tool_call = {
    "compile", "example.com/hello", "main", 6, tool_argv, "/tmp", "go",
};

static void set(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v);
}

/* ---- plugins.json ------------------------------------------------------------- */

static void test_session_roundtrip(void **state)
{
	const char *session = *state;
	plugin_array a = ARRAY_INIT, b = ARRAY_INIT;
	char *cause = NULL;

	/* No plugins.json: no plugins, and no error. */
	assert_int_equal(plugins_read_session(session, &b, &cause), 0);
	assert_int_equal(b.n, 0);
	assert_null(cause);

	struct plugin p;
	fill(&p, "devpprof", PLUGIN_SO, xstrdup("/s/plugins/devpprof"), 2000, "addr=127.0.0.1:6060",
	     "x=y=z", NULL);
	set(&p.version, "0.9");
	set(&p.source, "/usr/local/lib/golive/devpprof.so");
	p.flags = GOLIVE_PLUGIN_REWRITES_ARGS;
	p.hooks = PLUGIN_HOOK_BEFORE | PLUGIN_HOOK_FILE;
	ARRAY_PUSH(a, p);
	fill(&p, "licensecheck", PLUGIN_EXEC, xstrdup("/s/plugins/licensecheck"), 10000, NULL);
	p.required = 1;
	p.hooks = PLUGIN_HOOK_AFTER;
	ARRAY_PUSH(a, p);
	fill(&p, "third", PLUGIN_EXEC, xstrdup("/s/plugins/third"), 1, "k=\"quoted\" \\ é", NULL);
	set(&p.version, "é\"\\");
	ARRAY_PUSH(a, p);

	assert_int_equal(plugins_write_session(session, &a, &cause), 0);
	assert_null(cause);
	assert_int_equal(plugins_read_session(session, &b, &cause), 1);
	assert_null(cause);
	assert_int_equal(b.n, a.n);
	for (size_t i = 0; i < a.n; i++) {
		const struct plugin *x = &a.v[i], *y = &b.v[i];
		assert_string_equal(x->name, y->name);
		assert_string_equal(x->version, y->version);
		assert_int_equal(x->kind, y->kind);
		assert_string_equal(x->source, y->source);
		assert_string_equal(x->file, y->file);
		assert_string_equal(x->sha256, y->sha256);
		assert_int_equal(x->args.argc, y->args.argc);
		for (size_t k = 0; k < x->args.argc; k++)
			assert_string_equal(x->args.argv[k], y->args.argv[k]);
		assert_int_equal(x->timeout_ms, y->timeout_ms);
		assert_int_equal(x->required, y->required);
		assert_int_equal(x->flags, y->flags);
		assert_int_equal(x->hooks, y->hooks);
	}
	plugin_array_release(&b);

	/* Rewritten atomically: no temporary left. */
	char *tmp = xasprintf("%s/%s.tmp", session, PLUGINS_FILE);
	assert_int_equal(access(tmp, F_OK), -1);
	free(tmp);

	/* An empty list is a list. */
	plugin_array none = ARRAY_INIT;
	assert_int_equal(plugins_write_session(session, &none, &cause), 0);
	assert_int_equal(plugins_read_session(session, &b, &cause), 1);
	assert_int_equal(b.n, 0);
	plugin_array_release(&b);
	plugin_array_release(&a);
}

static void test_session_malformed(void **state)
{
	const char *session = *state;
	char *path = xasprintf("%s/%s", session, PLUGINS_FILE);
	static const char *const bad[] = {
	    "not json",
	    "[]",
	    "{\"plugins\": {}}",
	    "{\"plugins\": [1]}",
	    "{\"plugins\": [{\"name\": \"a\"}]}",
	    /* kind unknown */
	    "{\"plugins\":[{\"name\":\"a\",\"version\":\"\",\"kind\":\"jar\",\"source\":\"\","
	    "\"file\":\"\",\"sha256\":\"\",\"args\":[],\"timeout_ms\":1,\"hooks\":[]}]}",
	    /* an arg that is not a string */
	    "{\"plugins\":[{\"name\":\"a\",\"version\":\"\",\"kind\":\"so\",\"source\":\"\","
	    "\"file\":\"\",\"sha256\":\"\",\"args\":[1],\"timeout_ms\":1,\"hooks\":[]}]}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		plugin_array a = ARRAY_INIT;
		char *cause = NULL;
		write_file(path, bad[i]);
		assert_int_equal(plugins_read_session(session, &a, &cause), -1);
		assert_non_null(cause);
		assert_non_null(strstr(cause, PLUGINS_FILE));
		assert_null(strchr(cause, '\n'));
		free(cause);
		plugin_array_release(&a);
	}
	/* A good entry then a bad one: -1, naming the bad one's index. */
	write_file(path,
	           "{\"plugins\":[{\"name\":\"a\",\"version\":\"\",\"kind\":\"so\",\"source\":"
	           "\"\",\"file\":\"\",\"sha256\":\"\",\"args\":[],\"timeout_ms\":1,"
	           "\"hooks\":[]},{}]}");
	plugin_array a = ARRAY_INIT;
	char *cause = NULL;
	assert_int_equal(plugins_read_session(session, &a, &cause), -1);
	assert_non_null(strstr(cause, "plugins[1] is malformed"));
	free(cause);
	plugin_array_release(&a);
	free(path);
}

/* ---- the cache salt ----------------------------------------------------------- */

/* The salt of a one-plugin list (p borrowed). */
static void salt_of(struct plugin *p, char out[17])
{
	plugin_array a = ARRAY_INIT;
	ARRAY_PUSH(a, *p);
	plugins_salt(&a, out);
	ARRAY_FREE(a);
}

static void test_salt(void **state)
{
	(void)state;
	char s0[17], s1[17], s2[17];
	plugin_array none = ARRAY_INIT;
	plugins_salt(&none, s0);
	assert_string_equal(s0, "");

	struct plugin p, q;
	fill(&p, "devpprof", PLUGIN_SO, xstrdup("/f"), 1000, "addr=127.0.0.1:6060", "b=2", NULL);
	set(&p.version, "1.0");
	/* Not rewriting: no salt. */
	salt_of(&p, s0);
	assert_string_equal(s0, "");

	p.flags = GOLIVE_PLUGIN_REWRITES_ARGS;
	salt_of(&p, s1);
	assert_int_equal(strlen(s1), 16);
	for (int i = 0; i < 16; i++)
		assert_true(isxdigit((unsigned char)s1[i]) && !isupper((unsigned char)s1[i]));
	salt_of(&p, s2);
	assert_string_equal(s1, s2); /* deterministic */

	/* A non-rewriting plugin next to it changes nothing. */
	fill(&q, "lint", PLUGIN_EXEC, xstrdup("/g"), 1000, "a=1", NULL);
	plugin_array two = ARRAY_INIT;
	ARRAY_PUSH(two, q);
	ARRAY_PUSH(two, p);
	plugins_salt(&two, s2);
	assert_string_equal(s1, s2);
	ARRAY_FREE(two);

	/* What the salt covers: the version, each arg, their order, the name. */
	set(&p.version, "1.1");
	salt_of(&p, s2);
	assert_string_not_equal(s1, s2);
	set(&p.version, "1.0");
	salt_of(&p, s2);
	assert_string_equal(s1, s2);

	set(&p.args.argv[0], "addr=127.0.0.1:6061");
	salt_of(&p, s2);
	assert_string_not_equal(s1, s2);
	set(&p.args.argv[0], "addr=127.0.0.1:6060");

	set(&p.args.argv[0], "b=2");
	set(&p.args.argv[1], "addr=127.0.0.1:6060");
	salt_of(&p, s2);
	assert_string_not_equal(s1, s2);
	set(&p.args.argv[0], "addr=127.0.0.1:6060");
	set(&p.args.argv[1], "b=2");

	set(&p.name, "devpprof2");
	salt_of(&p, s2);
	assert_string_not_equal(s1, s2);
	set(&p.name, "devpprof");
	salt_of(&p, s2);
	assert_string_equal(s1, s2);

	/* No field runs into the next: name "ab" version "c" is not name "a" version "bc". */
	set(&p.name, "ab");
	set(&p.version, "c");
	salt_of(&p, s1);
	set(&p.name, "a");
	set(&p.version, "bc");
	salt_of(&p, s2);
	assert_string_not_equal(s1, s2);

	plugin_release(&p);
	plugin_release(&q);
}

static void test_salt_line(void **state)
{
	(void)state;
	struct strbuf out = STRBUF_INIT;
	const char *salt = "0123456789abcdef";

	assert_int_equal(plugin_salt_line("compile version go1.19.8", salt, &out), 0);
	assert_string_equal(out.buf, "compile version go1.19.8 golive-plugins=0123456789abcdef");

	assert_int_equal(
	    plugin_salt_line("compile version devel go1.22-abc buildID=abc/def", salt, &out), 0);
	assert_string_equal(
	    out.buf, "compile version devel go1.22-abc buildID=abc/def.golive-0123456789abcdef");
	/* go's content ID is what follows the last '/' of the last field: the salt is in it. */
	assert_true(ends_with(strrchr(out.buf, '/'), salt));

	/* No salt: unchanged. */
	assert_int_equal(plugin_salt_line("compile version go1.19.8", "", &out), 0);
	assert_string_equal(out.buf, "compile version go1.19.8");
	assert_int_equal(plugin_salt_line("compile version go1.19.8", NULL, &out), 0);
	assert_string_equal(out.buf, "compile version go1.19.8");

	/* Not a -V=full answer: -1, out holds the line unchanged. */
	static const char *const bad[] = {"hello world",
	                                  "compile",
	                                  "compile version",
	                                  "compile version ",
	                                  "compile versions go1.19",
	                                  "compile version devel go1.22 nobuildid",
	                                  ""};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(plugin_salt_line(bad[i], salt, &out), -1);
		assert_string_equal(out.buf, bad[i]);
	}
	strbuf_release(&out);
}

/* ---- describe ----------------------------------------------------------------- */

static void test_describe_so(void **state)
{
	const char *session = *state;
	struct plugin p;
	char *cause = NULL;
	fill(&p, "p_ok", PLUGIN_SO, so_path("p_ok"), 5000, NULL);
	assert_int_equal(plugin_describe(&p, session, &cause), 0);
	assert_null(cause);
	assert_string_equal(p.version, "1.2");
	assert_int_equal(p.flags, GOLIVE_PLUGIN_REWRITES_ARGS);
	assert_int_equal(p.hooks, PLUGIN_HOOK_BEFORE | PLUGIN_HOOK_AFTER | PLUGIN_HOOK_FILE);
	plugin_release(&p);

	/* The documented example. */
	fill(&p, "hello", PLUGIN_SO, so_path("hello"), 5000, NULL);
	assert_int_equal(plugin_describe(&p, session, &cause), 0);
	assert_string_equal(p.version, "1.0");
	assert_int_equal(p.flags, 0);
	assert_int_equal(p.hooks, PLUGIN_HOOK_AFTER | PLUGIN_HOOK_FILE);
	plugin_release(&p);
}

static void test_describe_refused(void **state)
{
	const char *session = *state;
	static const struct {
		const char *name, *why;
	} cases[] = {
	    {"p_abi", "built for plugin ABI version 2, golive has 1"},
	    {"p_size", "struct golive_plugin_v1 of"},
	    {"p_noname", "calls itself \"someone_else\", golive.yaml says \"p_noname\""},
	    {"p_nosym", "has no golive_plugin_v1 symbol"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct plugin p;
		char *cause = NULL;
		fill(&p, cases[i].name, PLUGIN_SO, so_path(cases[i].name), 5000, NULL);
		assert_int_equal(plugin_describe(&p, session, &cause), -1);
		assert_cause(cause, cases[i].name, cases[i].why);
		assert_string_equal(p.version, ""); /* nothing filled */
		free(cause);
		plugin_release(&p);
	}
	/* A file that is no shared object at all. */
	struct plugin p;
	char *cause = NULL;
	fill(&p, "p_text", PLUGIN_SO, script_path("tests/plugins/x_exit.sh"), 5000, NULL);
	assert_int_equal(plugin_describe(&p, session, &cause), -1);
	assert_cause(cause, "p_text", "cannot load");
	free(cause);
	plugin_release(&p);
}

static void test_describe_exec(void **state)
{
	const char *session = *state;
	struct plugin p;
	char *cause = NULL;
	fill(&p, "x_ok", PLUGIN_EXEC, script_path("tests/plugins/x_ok.sh"), 10000, NULL);
	assert_int_equal(plugin_describe(&p, session, &cause), 0);
	assert_null(cause);
	assert_string_equal(p.version, "0.3");
	assert_int_equal(p.flags, 0);
	assert_int_equal(p.hooks, PLUGIN_HOOK_AFTER | PLUGIN_HOOK_FILE);
	plugin_release(&p);

	fill(&p, "licensecheck", PLUGIN_EXEC, script_path("examples/plugins/licensecheck.sh"),
	     10000, NULL);
	assert_int_equal(plugin_describe(&p, session, &cause), 0);
	assert_string_equal(p.version, "1.0");
	assert_int_equal(p.hooks, PLUGIN_HOOK_FILE);
	plugin_release(&p);

	/* The exec plugin's own name must match too. */
	fill(&p, "x_other", PLUGIN_EXEC, script_path("tests/plugins/x_ok.sh"), 10000, NULL);
	assert_int_equal(plugin_describe(&p, session, &cause), -1);
	assert_cause(cause, "x_other", "calls itself \"x_ok\"");
	free(cause);
	plugin_release(&p);

	static const struct {
		const char *name, *why;
	} cases[] = {
	    {"x_garbage", "not a JSON object (\"hello?\")"},
	    {"x_exit", "exit status 3"},
	    {"x_big", "answer larger than 16777216 bytes"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *rel = xasprintf("tests/plugins/%s.sh", cases[i].name);
		fill(&p, cases[i].name, PLUGIN_EXEC, script_path(rel), 20000, NULL);
		assert_int_equal(plugin_describe(&p, session, &cause), -1);
		assert_cause(cause, cases[i].name, cases[i].why);
		free(cause);
		plugin_release(&p);
		free(rel);
	}
}

/* ---- before_tool -------------------------------------------------------------- */

static void test_before_rewrites(void **state)
{
	const char *session = *state;
	struct plugin p;
	struct argv_array args = ARGV_ARRAY_INIT;
	char *cause = NULL;
	fill(&p, "p_ok", PLUGIN_SO, so_path("p_ok"), 5000, "extra=-dwarf=false", NULL);
	p.flags = GOLIVE_PLUGIN_REWRITES_ARGS;
	assert_int_equal(plugin_before_tool(&p, session, &tool_call, &args, &cause), 1);
	assert_null(cause);
	assert_int_equal(args.argc, (size_t)tool_call.argc + 1);
	for (int i = 0; i < tool_call.argc; i++)
		assert_string_equal(args.argv[i], tool_call.argv[i]);
	assert_string_equal(args.argv[tool_call.argc], "-dwarf=false");
	assert_null(args.argv[args.argc]);
	argv_clear(&args);

	/* Without args.extra it leaves them alone. */
	argv_clear(&p.args);
	assert_int_equal(plugin_before_tool(&p, session, &tool_call, &args, &cause), 0);
	assert_int_equal(args.argc, 0);
	plugin_release(&p);
}

static void test_before_undeclared(void **state)
{
	const char *session = *state;
	struct plugin p;
	struct argv_array args = ARGV_ARRAY_INIT;
	char *cause = NULL;
	argv_push(&args, "untouched");
	fill(&p, "p_undeclared", PLUGIN_SO, so_path("p_undeclared"), 5000, NULL);
	/* set_args refused inside (the plugin returns 9 if not): nothing rewritten. */
	assert_int_equal(plugin_before_tool(&p, session, &tool_call, &args, &cause), 0);
	assert_null(cause);
	assert_int_equal(args.argc, 1);
	assert_string_equal(args.argv[0], "untouched");

	/*
	 * Even when golive's list says it rewrites, the child checks the flags
	 * the plugin declares itself.
	 */
	p.flags = GOLIVE_PLUGIN_REWRITES_ARGS;
	assert_int_equal(plugin_before_tool(&p, session, &tool_call, &args, &cause), 0);
	assert_null(cause);
	assert_int_equal(args.argc, 1);
	argv_clear(&args);
	plugin_release(&p);
}

static void test_before_crash(void **state)
{
	const char *session = *state;
	struct plugin p;
	struct argv_array args = ARGV_ARRAY_INIT;
	char *cause = NULL;
	fill(&p, "p_crash", PLUGIN_SO, so_path("p_crash"), 5000, NULL);
	assert_int_equal(plugin_before_tool(&p, session, &tool_call, &args, &cause), -1);
	assert_cause(cause, "p_crash", "before_tool: killed by SIGSEGV");
	assert_int_equal(args.argc, 0);
	free(cause);
	plugin_release(&p);
}

static void test_before_fail(void **state)
{
	const char *session = *state;
	struct plugin p;
	struct argv_array args = ARGV_ARRAY_INIT;
	char *cause = NULL;
	fill(&p, "p_fail", PLUGIN_SO, so_path("p_fail"), 5000, NULL);
	assert_int_equal(plugin_before_tool(&p, session, &tool_call, &args, &cause), -1);
	assert_cause(cause, "p_fail", "before_tool returned 7");
	assert_int_equal(args.argc, 0);
	free(cause);
	plugin_release(&p);
	/* What it logged on its way out is in plugins.log: the why of the failure. */
	struct argv_array lines = ARGV_ARRAY_INIT;
	read_lines(session, PLUGIN_LOG, &lines);
	size_t n = lines.argc;
	int found = n == 1 && strcmp(lines.argv[0], "plugin p_fail: log: cannot go on") == 0;
	argv_clear(&lines);
	assert_int_equal(n, 1);
	assert_true(found);
}

/* pid's state letter from /proc/PID/stat ('Z' zombie), or 0 when it is gone; *pgrp set. */
static char proc_state(pid_t pid, pid_t *pgrp)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	struct strbuf sb = STRBUF_INIT;
	char st = 0;
	if (strbuf_read_file(&sb, path, 4096) == 0) {
		const char *rp = strrchr(sb.buf, ')'); /* the name may hold anything */
		int g = 0, ppid = 0;
		if (rp && sscanf(rp + 1, " %c %d %d", &st, &ppid, &g) == 3 && pgrp)
			*pgrp = (pid_t)g;
	}
	strbuf_release(&sb);
	return st;
}

/* The processes of group pgid that are neither gone nor zombies. */
static int group_alive(pid_t pgid)
{
	DIR *d = opendir("/proc");
	assert_non_null(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid_t g = -1;
		char st = proc_state((pid_t)atoi(e->d_name), &g);
		if (st && st != 'Z' && st != 'X' && g == pgid)
			n++;
	}
	closedir(d);
	return n;
}

/*
 * After a timeout: the hook child and its grandchild (pids in pidfile) are
 * dead, and nothing is left in the child's process group. Polls (killing
 * is asynchronous) for at most 5 s.
 */
static void assert_group_killed(const char *pidfile)
{
	struct strbuf sb = STRBUF_INIT;
	int child = 0, grandchild = 0;
	assert_int_equal(strbuf_read_file(&sb, pidfile, 256), 0);
	assert_int_equal(sscanf(sb.buf, "%d %d", &child, &grandchild), 2);
	assert_true(child > 1 && grandchild > 1);
	strbuf_release(&sb);
	int64_t start = now_mono_ns();
	for (;;) {
		char a = proc_state(child, NULL), b = proc_state(grandchild, NULL);
		int dead = (!a || a == 'Z' || a == 'X') && (!b || b == 'Z' || b == 'X');
		if (dead && group_alive(child) == 0)
			break;
		if (elapsed_ms(start) > 5000)
			fail_msg("process group %d still alive: child %c grandchild %c", child,
			         a ? a : '-', b ? b : '-');
		usleep(10000);
	}
}

static void test_before_hang(void **state)
{
	const char *session = *state;
	struct plugin p;
	struct argv_array args = ARGV_ARRAY_INIT;
	char *cause = NULL;
	char *pidfile = xasprintf("%s/hang.pids", session);
	char *arg = xasprintf("pidfile=%s", pidfile);
	fill(&p, "p_hang", PLUGIN_SO, so_path("p_hang"), 300, arg, NULL);
	int64_t start = now_mono_ns();
	assert_int_equal(plugin_before_tool(&p, session, &tool_call, &args, &cause), -1);
	int64_t ms = elapsed_ms(start);
	assert_true(ms >= 290 && ms < 5000);
	assert_cause(cause, "p_hang", "before_tool: no answer within its 300 ms timeout; killed");
	assert_int_equal(args.argc, 0);
	assert_group_killed(pidfile);
	free(cause);
	free(arg);
	free(pidfile);
	plugin_release(&p);
}

static void test_exec_hang(void **state)
{
	const char *session = *state;
	struct plugin p;
	char *cause = NULL;
	char *pidfile = xasprintf("%s/xhang.pids", session);
	setenv("X_HANG_PIDFILE", pidfile, 1);
	fill(&p, "x_hang", PLUGIN_EXEC, script_path("tests/plugins/x_hang.sh"), 300, NULL);
	int64_t start = now_mono_ns();
	assert_int_equal(plugin_describe(&p, session, &cause), -1);
	assert_true(elapsed_ms(start) < 5000);
	assert_cause(cause, "x_hang", "describe: no answer within its 300 ms timeout; killed");
	unsetenv("X_HANG_PIDFILE");
	assert_group_killed(pidfile);
	free(cause);
	free(pidfile);
	plugin_release(&p);
}

/* ---- after_tool --------------------------------------------------------------- */

static void test_after_log(void **state)
{
	const char *session = *state;
	struct plugin p;
	char *cause = NULL;
	struct golive_tool_result res = {2, 0, 1000000, 500000, 100000, 4096};
	fill(&p, "p_ok", PLUGIN_SO, so_path("p_ok"), 5000, NULL);
	assert_int_equal(plugin_after_tool(&p, session, &tool_call, &res, &cause), 0);
	assert_null(cause);
	plugin_release(&p);

	fill(&p, "x_ok", PLUGIN_EXEC, script_path("tests/plugins/x_ok.sh"), 10000, NULL);
	res.exit_code = 0;
	assert_int_equal(plugin_after_tool(&p, session, &tool_call, &res, &cause), 0);
	assert_null(cause);
	plugin_release(&p);

	struct argv_array lines = ARGV_ARRAY_INIT;
	read_lines(session, PLUGIN_LOG, &lines);
	assert_int_equal(lines.argc, 2);
	assert_string_equal(lines.argv[0], "plugin p_ok: log: compile exited 2");
	assert_string_equal(lines.argv[1], "plugin x_ok: log: compile exited 0");
	argv_clear(&lines);
}

/* ---- analyze_file ------------------------------------------------------------- */

static void test_analyze_so(void **state)
{
	const char *session = *state;
	char *a = xasprintf("%s/a.go", session), *b = xasprintf("%s/b.go", session);
	write_file(a, "// Package x is a test.\n"
	              "package x\n"
	              "\n"
	              "func Keep() {}\n"
	              "\n"
	              "func DeprecatedFoo() {}\n"
	              "\n"
	              "type T struct{}\n"
	              "\n"
	              "func (T) DeprecatedMethod() {} // a method: not a function_declaration\n");
	write_file(b, "package x\n"
	              "\n"
	              "var _ = 1; func DeprecatedBar(x int) int { return x }\n");
	struct argv_array files = ARGV_ARRAY_INIT;
	argv_push(&files, a);
	argv_push(&files, b);
	diag_array out = ARRAY_INIT;
	struct plugin p;
	char *cause = NULL;
	fill(&p, "p_ok", PLUGIN_SO, so_path("p_ok"), 5000, NULL);
	assert_int_equal(plugin_analyze_files(&p, session, &files, &out, &cause), 0);
	assert_null(cause);
	assert_int_equal(out.n, 2);
	assert_string_equal(out.v[0].file, a);
	assert_int_equal(out.v[0].line, 6);
	assert_int_equal(out.v[0].col, 1);
	assert_string_equal(out.v[0].analyzer, "p_ok");
	assert_int_equal(out.v[0].severity, SEV_WARNING);
	assert_string_equal(out.v[0].message, "DeprecatedFoo is deprecated");
	assert_string_equal(out.v[1].file, b);
	assert_int_equal(out.v[1].line, 3);
	assert_int_equal(out.v[1].col, 12);
	assert_string_equal(out.v[1].message, "DeprecatedBar is deprecated");
	diag_array_release(&out);
	plugin_release(&p);

	/* The documented example: args.word on each line, 1-based column. */
	fill(&p, "hello", PLUGIN_SO, so_path("hello"), 5000, "word=Keep", NULL);
	assert_int_equal(plugin_analyze_files(&p, session, &files, &out, &cause), 0);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0].line, 4);
	assert_int_equal(out.v[0].col, 6);
	assert_int_equal(out.v[0].severity, SEV_INFO);
	assert_string_equal(out.v[0].analyzer, "hello");
	diag_array_release(&out);
	plugin_release(&p);

	argv_clear(&files);
	free(a);
	free(b);
}

/*
 * plugin.h: plugin_analyze_files returns "-1 with *cause (the findings of
 * the files done before the failure are kept)". p_ok fails on a file
 * containing //p_ok:fail, after it reported the first file's finding.
 */
static void test_analyze_so_fails_midway(void **state)
{
	const char *session = *state;
	char *a = xasprintf("%s/a.go", session), *b = xasprintf("%s/b.go", session);
	write_file(a, "package x\n\nfunc DeprecatedFoo() {}\n");
	write_file(b, "package x //p_ok:fail\n");
	struct argv_array files = ARGV_ARRAY_INIT;
	argv_push(&files, a);
	argv_push(&files, b);
	diag_array out = ARRAY_INIT;
	struct plugin p;
	char *cause = NULL;
	fill(&p, "p_ok", PLUGIN_SO, so_path("p_ok"), 5000, NULL);
	assert_int_equal(plugin_analyze_files(&p, session, &files, &out, &cause), -1);
	assert_cause(cause, "p_ok", "analyze_file returned 5");
	free(cause);
	size_t n = out.n;
	unsigned line = n ? out.v[0].line : 0;
	diag_array_release(&out);
	plugin_release(&p);
	argv_clear(&files);
	free(a);
	free(b);
	assert_int_equal(n, 1);
	assert_int_equal(line, 3);
}

static void test_analyze_exec(void **state)
{
	const char *session = *state;
	static const char *const texts[] = {
	    "package x\n",                                     /* no header */
	    "// Copyright 2024 The Authors\npackage x\n",      /* ok */
	    "// SPDX-License-Identifier: MIT\npackage x\n",    /* ok */
	    "//Copyright without a space\npackage x\n",        /* no header */
	    "\n// Copyright on line 2 is too late\npackage x", /* no header */
	};
	struct argv_array files = ARGV_ARRAY_INIT;
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		char *f = xasprintf("%s/f%zu.go", session, i);
		write_file(f, texts[i]);
		argv_push(&files, f);
		free(f);
	}
	argv_pushf(&files, "%s/gone.go", session); /* a file gone is no finding */
	diag_array out = ARRAY_INIT;
	struct plugin p;
	char *cause = NULL;

	fill(&p, "x_ok", PLUGIN_EXEC, script_path("tests/plugins/x_ok.sh"), 10000, NULL);
	assert_int_equal(plugin_analyze_files(&p, session, &files, &out, &cause), 0);
	assert_null(cause);
	assert_int_equal(out.n, files.argc); /* one per file, gone or not */
	for (size_t i = 0; i < out.n; i++) {
		assert_string_equal(out.v[i].file, files.argv[i]);
		assert_int_equal(out.v[i].line, 1);
		assert_int_equal(out.v[i].col, 1);
		assert_int_equal(out.v[i].severity, SEV_INFO);
		assert_string_equal(out.v[i].analyzer, "x_ok");
		assert_true(ends_with(out.v[i].message, base_name(files.argv[i])));
	}
	diag_array_release(&out);
	plugin_release(&p);

	fill(&p, "licensecheck", PLUGIN_EXEC, script_path("examples/plugins/licensecheck.sh"),
	     10000, NULL);
	assert_int_equal(plugin_analyze_files(&p, session, &files, &out, &cause), 0);
	assert_null(cause);
	assert_int_equal(out.n, 3);
	static const size_t want[] = {0, 3, 4};
	for (size_t i = 0; i < out.n; i++) {
		assert_string_equal(out.v[i].file, files.argv[want[i]]);
		assert_int_equal(out.v[i].line, 1);
		assert_int_equal(out.v[i].severity, SEV_WARNING);
		assert_string_equal(out.v[i].analyzer, "licensecheck");
		assert_non_null(strstr(out.v[i].message, "no license header"));
	}
	diag_array_release(&out);
	plugin_release(&p);
	argv_clear(&files);
}

/* ---- audit.log ---------------------------------------------------------------- */

static void test_audit(void **state)
{
	const char *session = *state;
	struct plugin p;
	char *cause = NULL;
	struct argv_array args = ARGV_ARRAY_INIT, files = ARGV_ARRAY_INIT;
	struct golive_tool_result res = {0, 0, 1, 1, 1, 1};
	diag_array out = ARRAY_INIT;
	char *go = xasprintf("%s/a.go", session);
	write_file(go, "package x\n");
	argv_push(&files, go);
	fill(&p, "p_ok", PLUGIN_SO, so_path("p_ok"), 5000, NULL);
	free(p.sha256);
	p.sha256 = xstrdup("5ca1ab1e");
	assert_int_equal(plugin_describe(&p, session, &cause), 0);
	assert_int_equal(plugin_before_tool(&p, session, &tool_call, &args, &cause), 0);
	assert_int_equal(plugin_after_tool(&p, session, &tool_call, &res, &cause), 0);
	assert_int_equal(plugin_analyze_files(&p, session, &files, &out, &cause), 0);
	plugin_release(&p);
	/* Refused before loading: no "load" line. */
	fill(&p, "p_abi", PLUGIN_SO, so_path("p_abi"), 5000, NULL);
	assert_int_equal(plugin_describe(&p, session, &cause), -1);
	free(cause);
	plugin_release(&p);

	static const char *const hooks[] = {"describe", "before_tool", "after_tool",
	                                    "analyze_file"};
	struct argv_array lines = ARGV_ARRAY_INIT;
	read_lines(session, PLUGIN_AUDIT, &lines);
	assert_int_equal(lines.argc, ARRAY_SIZE(hooks));
	json_int_t last_pid = 0;
	for (size_t i = 0; i < lines.argc; i++) {
		json_error_t jerr;
		json_t *o = json_loads(lines.argv[i], 0, &jerr);
		if (!json_is_object(o))
			fail_msg("audit line %zu is not a JSON object: %s", i, lines.argv[i]);
		assert_string_equal(json_string_value(json_object_get(o, "plugin")), "p_ok");
		assert_string_equal(json_string_value(json_object_get(o, "action")), "load");
		assert_string_equal(json_string_value(json_object_get(o, "hook")), hooks[i]);
		assert_string_equal(json_string_value(json_object_get(o, "sha256")), "5ca1ab1e");
		assert_non_null(json_string_value(json_object_get(o, "time")));
		/* Each hook is its own child. */
		json_int_t pid = json_integer_value(json_object_get(o, "pid"));
		assert_true(pid > 0 && pid != getpid() && pid != last_pid);
		last_pid = pid;
		const char *ip = json_string_value(json_object_get(o, "importpath"));
		if (i == 1 || i == 2)
			assert_string_equal(ip, "example.com/hello");
		else
			assert_null(ip);
		json_decref(o);
	}
	argv_clear(&lines);
	argv_clear(&files);
	diag_array_release(&out);
	free(go);
}

/* ---- docs/plugins.md ------------------------------------------------------- */

/* The examples in docs/plugins.md are the files the tests build and run, verbatim. */
static void test_doc_examples(void **state)
{
	(void)state;
	static const char *const examples[] = {"examples/plugins/hello.c",
	                                       "examples/plugins/licensecheck.sh"};
	struct strbuf doc = STRBUF_INIT;
	char *path = script_path("docs/plugins.md");
	assert_int_equal(strbuf_read_file(&doc, path, 1u << 20), 0);
	free(path);
	for (size_t i = 0; i < ARRAY_SIZE(examples); i++) {
		struct strbuf ex = STRBUF_INIT;
		path = script_path(examples[i]);
		assert_int_equal(strbuf_read_file(&ex, path, 1u << 20), 0);
		free(path);
		int found = strstr(doc.buf, ex.buf) != NULL;
		strbuf_release(&ex);
		if (!found)
			fail_msg("docs/plugins.md does not show %s as it is", examples[i]);
	}
	strbuf_release(&doc);
}

/* ---- cost --------------------------------------------------------------------- */

/*
 * What a hook call costs (fork, dlopen of the session copy, the hook, the
 * JSON answer, waitpid): 50 before_tool calls of p_ok, and 20 describe calls
 * of the shell example. Printed for docs/plugins.md; bounded generously only.
 */
static void test_cost(void **state)
{
	const char *session = *state;
	struct plugin p;
	char *cause = NULL;
	fill(&p, "p_ok", PLUGIN_SO, so_path("p_ok"), 5000, "extra=-N", NULL);
	p.flags = GOLIVE_PLUGIN_REWRITES_ARGS;
	enum { N = 50, NX = 20 };
	int64_t start = now_mono_ns();
	for (int i = 0; i < N; i++) {
		struct argv_array args = ARGV_ARRAY_INIT;
		assert_int_equal(plugin_before_tool(&p, session, &tool_call, &args, &cause), 1);
		argv_clear(&args);
	}
	int64_t so_ns = now_mono_ns() - start;
	plugin_release(&p);

	fill(&p, "licensecheck", PLUGIN_EXEC, script_path("examples/plugins/licensecheck.sh"),
	     10000, NULL);
	start = now_mono_ns();
	for (int i = 0; i < NX; i++)
		assert_int_equal(plugin_describe(&p, session, &cause), 0);
	int64_t exec_ns = now_mono_ns() - start;
	plugin_release(&p);

	printf("plugin hook cost: %.2f ms per .so before_tool call (%d calls), "
	       "%.2f ms per sh exec describe call (%d calls)\n",
	       (double)so_ns / N / 1e6, N, (double)exec_ns / NX / 1e6, NX);
	assert_true(so_ns / N < 500 * 1000000LL);
	assert_true(exec_ns / NX < 2000 * 1000000LL);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, session_setup, session_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_session_roundtrip),
	    T(test_session_malformed),
	    T(test_salt),
	    T(test_salt_line),
	    T(test_describe_so),
	    T(test_describe_refused),
	    T(test_describe_exec),
	    T(test_before_rewrites),
	    T(test_before_undeclared),
	    T(test_before_crash),
	    T(test_before_fail),
	    T(test_before_hang),
	    T(test_exec_hang),
	    T(test_after_log),
	    T(test_analyze_so),
	    T(test_analyze_so_fails_midway),
	    T(test_analyze_exec),
	    T(test_audit),
	    T(test_doc_examples),
	    T(test_cost),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
