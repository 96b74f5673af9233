/*
 * test_config_sections.c - unit tests of golive.yaml's sections (cmocka):
 * config_build.c (run, watch), config_trace.c, config_analysis.c (analyzers,
 * rules), config_plugins.c (plugins, profiles), config_cache.c and
 * config_verify.c.
 *
 * cc -std=c11 -Wall -Wextra -Wpedantic -Werror -fsanitize=address,undefined -Isrc \
 *    tests/unit/test_config_sections.c src/core/config*.c src/core/pathmatch.c src/core/util.c
 * -lyaml -ljansson -lcmocka
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cache/cache_config.h"
#include "core/config.h"
#include "test_config.h"

/* run: and watch: */

static void assert_argv(const struct argv_array *a, size_t n, ...)
{
	va_list ap;

	assert_int_equal(a->argc, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(a->argv[i], va_arg(ap, const char *));
	va_end(ap);
	if (a->argv) /* NULL when nothing was pushed */
		assert_null(a->argv[n]);
}

static void test_run(void **state)
{
	struct golive_config c;
	(void)state;

	parse_ok(&c, "run:\n"
	             "  package: ./cmd/server\n"
	             "  args: [-addr, \"\", --verbose=true]\n"
	             "  listen:\n"
	             "    - \":8080\"\n"
	             "    - api=127.0.0.1:9090\n"
	             "    - admin.v2_x-y=[::1]:0\n"
	             "    - localhost:65535\n"
	             "  env: [GOLIVE_DEV=1, EMPTY=, _X9=a=b, PATH=/bin:/usr/bin]\n"
	             "  stop_signal: SIGINT\n"
	             "  grace_ms: 600000\n"
	             "  debug_info: true\n"
	             "  fast: off\n");
	assert_string_equal(c.run.package, "./cmd/server");
	assert_int_equal(c.run.debug_info, 1);
	assert_int_equal(c.run.fast, 0);
	assert_argv(&c.run.args, 3, "-addr", "", "--verbose=true");
	assert_argv(&c.run.listen, 4, ":8080", "api=127.0.0.1:9090", "admin.v2_x-y=[::1]:0",
	            "localhost:65535");
	assert_argv(&c.run.env, 4, "GOLIVE_DEV=1", "EMPTY=", "_X9=a=b", "PATH=/bin:/usr/bin");
	assert_null(c.run.proxy);
	assert_null(c.run.to);
	assert_int_equal(c.run.stop_signal, SIGINT);
	assert_int_equal(c.run.grace_ms, 600000);
	config_release(&c);

	/* a string is one item, never split; an argument may be empty */
	parse_ok(&c, "run:\n  args: -addr :8080\n  listen: :8080\n  env: A=b c\n  grace_ms: 0\n");
	assert_argv(&c.run.args, 1, "-addr :8080");
	assert_argv(&c.run.listen, 1, ":8080");
	assert_argv(&c.run.env, 1, "A=b c");
	assert_int_equal(c.run.grace_ms, 0);
	assert_int_equal(c.run.debug_info, 0); /* the defaults: -s -w, the fast path on */
	assert_int_equal(c.run.fast, 1);
	config_release(&c);
	parse_ok(&c, "run:\n  args: \"\"\n");
	assert_argv(&c.run.args, 1, "");
	config_release(&c);
	parse_ok(&c, "run: {args: [], listen: [], env: []}\n");
	assert_argv(&c.run.args, 0);
	assert_argv(&c.run.listen, 0);
	assert_argv(&c.run.env, 0);
	config_release(&c);
	parse_ok(&c, "run: {proxy: \"[::1]:80\", to: \"host.example:8081\"}\n");
	assert_string_equal(c.run.proxy, "[::1]:80");
	assert_string_equal(c.run.to, "host.example:8081");
	config_release(&c);
	parse_ok(&c, "run:\n  proxy: 0.0.0.0:8080\n  to: :18080\n  listen: []\n");
	assert_string_equal(c.run.proxy, "0.0.0.0:8080");
	assert_string_equal(c.run.to, ":18080");
	config_release(&c);

	/* keys of run: in a second file replace those of the first, others stay */
	{
		char *cause = NULL;
		const char *y = "run: {args: [a], stop_signal: 9}\n";
		parse_ok(&c, "run: {args: [x, y], grace_ms: 7, proxy: \":1\", to: \":2\"}\n");
		assert_int_equal(config_parse(&c, "x.yaml", y, strlen(y), &cause), 0);
		assert_argv(&c.run.args, 1, "a");
		assert_int_equal(c.run.stop_signal, SIGKILL);
		assert_int_equal(c.run.grace_ms, 7);
		assert_string_equal(c.run.proxy, ":1");
		config_release(&c);
	}
}

/* trace: its four keys, and a log_format that is neither text nor json. */
static void test_trace_section(void **state)
{
	struct golive_config c;
	(void)state;
	parse_ok(&c, "trace:\n  log_format: json\n  trace_out: out/b.otlp.jsonl\n"
	             "  chrome_trace: /tmp/b.json\n  report: r.html\n");
	assert_string_equal(c.trace.log_format, "json");
	assert_string_equal(c.trace.trace_out, "out/b.otlp.jsonl");
	assert_string_equal(c.trace.chrome_trace, "/tmp/b.json");
	assert_string_equal(c.trace.report, "r.html");
	config_release(&c);
	parse_ok(&c, "trace: {log_format: text}\n");
	assert_string_equal(c.trace.log_format, "text");
	assert_null(c.trace.report);
	config_release(&c);
	expect_error("trace:\n  log_format: xml\n",
	             "golive.yaml:2:15: trace.log_format: expected text or json, got \"xml\"");
	expect_error("trace:\n  report: ''\n",
	             "golive.yaml:2:11: trace.report: expected a non-empty string, got \"\"");
	expect_error("trace:\n  reports: r.html\n",
	             "golive.yaml:2:3: unknown key \"reports\" in trace (known: log_format, "
	             "trace_out, chrome_trace, report)");
}

static void test_run_errors(void **state)
{
	(void)state;
	/* package */
	expect_error("run:\n  package: [./a, ./b]\n",
	             "golive.yaml:2:12: run.package: expected a string, got a sequence");
	expect_error("run:\n  package: ''\n",
	             "golive.yaml:2:12: run.package: expected a non-empty string, got \"\"");
	/* args */
	expect_error("run:\n  args: {a: b}\n",
	             "golive.yaml:2:9: run.args: expected a string or a list of strings, got a "
	             "mapping");
	expect_error("run:\n  args:\n    - -v\n    - ~\n",
	             "golive.yaml:4:7: run.args[1]: expected a string, got null");
	expect_error("run:\n  args: [-v, [x]]\n",
	             "golive.yaml:2:14: run.args[1]: expected a string, got a sequence");
	/* listen */
	expect_error("run:\n  listen: 8080\n",
	             "golive.yaml:2:11: run.listen: expected [NAME=]ADDR with ADDR as HOST:PORT, "
	             ":PORT or [IPV6]:PORT, got \"8080\": no port");
	expect_error("run:\n  listen: [\":8080\", \"=:8081\"]\n",
	             "golive.yaml:2:21: run.listen[1]: empty name before '=' in \"=:8081\"");
	expect_error("run:\n  listen:\n    - api=:8080\n    - \"my api=:8081\"\n",
	             "golive.yaml:4:7: run.listen[1]: the name before '=' may hold only letters, "
	             "digits, '_', '.' and '-', got \"my api=:8081\"");
	expect_error("run:\n  listen: [\"a:b=:1\"]\n",
	             "golive.yaml:2:12: run.listen[0]: the name before '=' may hold only letters, "
	             "digits, '_', '.' and '-', got \"a:b=:1\"");
	expect_error("run:\n  listen: [\"api=\"]\n",
	             "golive.yaml:2:12: run.listen[0]: expected [NAME=]ADDR with ADDR as "
	             "HOST:PORT, :PORT or [IPV6]:PORT, got \"api=\": no port");
	expect_error("run:\n  listen: [\"api=localhost:\"]\n",
	             "golive.yaml:2:12: run.listen[0]: expected [NAME=]ADDR with ADDR as "
	             "HOST:PORT, :PORT or [IPV6]:PORT, got \"api=localhost:\": empty port");
	expect_error("run:\n  listen: [\"localhost:http\"]\n",
	             "golive.yaml:2:12: run.listen[0]: expected [NAME=]ADDR with ADDR as "
	             "HOST:PORT, :PORT or [IPV6]:PORT, got \"localhost:http\": the port is not a "
	             "number in 0..65535");
	expect_error("run:\n  listen: [\":65536\"]\n",
	             "golive.yaml:2:12: run.listen[0]: expected [NAME=]ADDR with ADDR as "
	             "HOST:PORT, :PORT or [IPV6]:PORT, got \":65536\": the port is not a number in "
	             "0..65535");
	expect_error("run:\n  listen: [\"::1:8080\"]\n",
	             "golive.yaml:2:12: run.listen[0]: expected [NAME=]ADDR with ADDR as "
	             "HOST:PORT, :PORT or [IPV6]:PORT, got \"::1:8080\": an IPv6 address needs "
	             "brackets: [::1]:8080");
	expect_error("run:\n  listen: [\"[::1:8080\"]\n",
	             "golive.yaml:2:12: run.listen[0]: expected [NAME=]ADDR with ADDR as "
	             "HOST:PORT, :PORT or [IPV6]:PORT, got \"[::1:8080\": no ']' before the port");
	expect_error("run:\n  listen: [\"[]:8080\"]\n",
	             "golive.yaml:2:12: run.listen[0]: expected [NAME=]ADDR with ADDR as "
	             "HOST:PORT, :PORT or [IPV6]:PORT, got \"[]:8080\": empty IPv6 address");
	expect_error("run:\n  listen: [\"a]:8080\"]\n",
	             "golive.yaml:2:12: run.listen[0]: expected [NAME=]ADDR with ADDR as "
	             "HOST:PORT, :PORT or [IPV6]:PORT, got \"a]:8080\": stray bracket");
	{
		/* a name of 255 bytes is fine, 256 is not */
		struct golive_config c;
		char name[257];
		char *y;
		memset(name, 'n', 255);
		name[255] = '\0';
		y = xasprintf("run:\n  listen: %s=:1\n", name);
		parse_ok(&c, y);
		config_release(&c);
		free(y);
		name[255] = 'n';
		name[256] = '\0';
		y = xasprintf("run:\n  listen: %s=:1\n", name);
		expect_error(y, "golive.yaml:2:11: run.listen: the name before '=' is longer than "
		                "255 bytes in \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\"...");
		free(y);
	}
	/* env */
	expect_error("run:\n  env: [A=1, B]\n",
	             "golive.yaml:2:14: run.env[1]: expected NAME=value, got \"B\"");
	expect_error("run:\n  env: =x\n",
	             "golive.yaml:2:8: run.env: expected NAME=value, got \"=x\"");
	expect_error("run:\n  env:\n    - 1A=x\n",
	             "golive.yaml:3:7: run.env[0]: the name before '=' may hold only letters, "
	             "digits and '_', not starting with a digit, got \"1A=x\"");
	expect_error("run:\n  env: [\"A-B=x\"]\n",
	             "golive.yaml:2:9: run.env[0]: the name before '=' may hold only letters, "
	             "digits and '_', not starting with a digit, got \"A-B=x\"");
	expect_error("run:\n  env: [A=1, LISTEN_FDS=2]\n",
	             "golive.yaml:2:14: run.env[1]: LISTEN_FDS is set by golive dev itself");
	expect_error("run:\n  env: NOTIFY_SOCKET=/x\n",
	             "golive.yaml:2:8: run.env: NOTIFY_SOCKET is set by golive dev itself");
	/* proxy and to */
	expect_error("run:\n  proxy: 8080\n  to: :8081\n",
	             "golive.yaml:2:10: run.proxy: expected an address (HOST:PORT, :PORT or "
	             "[IPV6]:PORT), got \"8080\": no port");
	expect_error("run:\n  proxy: :8080\n  to: [a]\n",
	             "golive.yaml:3:7: run.to: expected a string, got a sequence");
	expect_error("run:\n  package: .\n  proxy: :8080\n",
	             "golive.yaml:3:3: run.proxy: needs run.to, the address the program listens "
	             "on");
	expect_error("run:\n  to: :8081\n  grace_ms: 1\n",
	             "golive.yaml:2:3: run.to: needs run.proxy, the address golive accepts on");
	expect_error("run:\n  to: :8081\n  proxy: ~\n",
	             "golive.yaml:2:3: run.to: needs run.proxy, the address golive accepts on");
	expect_error("run:\n  proxy: :8080\n  to:\n",
	             "golive.yaml:2:3: run.proxy: needs run.to, the address the program listens "
	             "on");
	expect_error("run:\n  listen: :8080\n  proxy: :8081\n  to: :8082\n",
	             "golive.yaml:3:3: run.proxy: does not go together with run.listen (listen is "
	             "for programs that take the socket, proxy for those that open their own)");
	expect_error("run:\n  to: :8082\n  proxy: :8081\n  listen: [api=:8080]\n",
	             "golive.yaml:3:3: run.proxy: does not go together with run.listen (listen is "
	             "for programs that take the socket, proxy for those that open their own)");
	/* stop_signal and grace_ms */
	expect_error("run:\n  stop_signal: SIGFOO\n",
	             "golive.yaml:2:16: run.stop_signal: expected a signal name (TERM, INT, HUP, "
	             "QUIT, KILL, USR1, USR2, RTMIN+N; SIG prefix optional) or a number in 1..64, "
	             "got \"SIGFOO\"");
	expect_error("run:\n  stop_signal: [TERM]\n",
	             "golive.yaml:2:16: run.stop_signal: expected a signal name (TERM, INT, HUP, "
	             "QUIT, KILL, USR1, USR2, RTMIN+N; SIG prefix optional) or a number in 1..64, "
	             "got a sequence");
	expect_error("run:\n  stop_signal: 0\n",
	             "golive.yaml:2:16: run.stop_signal: expected a signal name (TERM, INT, HUP, "
	             "QUIT, KILL, USR1, USR2, RTMIN+N; SIG prefix optional) or a number in 1..64, "
	             "got \"0\"");
	expect_error("run:\n  grace_ms: 600001\n",
	             "golive.yaml:2:13: run.grace_ms: expected an integer in 0..600000, got "
	             "\"600001\"");
	expect_error(
	    "run:\n  grace_ms: 5s\n",
	    "golive.yaml:2:13: run.grace_ms: expected an integer in 0..600000, got \"5s\"");
	expect_error(
	    "run:\n  grace_ms: -1\n",
	    "golive.yaml:2:13: run.grace_ms: expected an integer in 0..600000, got \"-1\"");
	expect_error("run: [a]\n", "golive.yaml:1:6: run: expected a mapping, got a sequence");
}

static void test_stop_signal(void **state)
{
	static const struct {
		const char *text;
		int want;
	} ok[] = {
	    {"SIGTERM", SIGTERM}, {"TERM", SIGTERM},    {"sigterm", SIGTERM},
	    {"term", SIGTERM},    {"SigTerm", SIGTERM}, {"15", SIGTERM},
	    {"\"15\"", SIGTERM},  {"SIGINT", SIGINT},   {"int", SIGINT},
	    {"HUP", SIGHUP},      {"SIGQUIT", SIGQUIT}, {"kill", SIGKILL},
	    {"USR1", SIGUSR1},    {"sigusr2", SIGUSR2}, {"1", 1},
	    {"64", 64},           {"010", 10},          {"7", 7},
	};
	static const char *const bad[] = {
	    "SIG",      "SIGSIGTERM", "'TERM '",     "SIGKILL9", "65",      "-15",    "+15",
	    "1.0",      "0x0f",       "USR3",        "RTMIN-1",  "RTMAX+1", "RTMIN+", "RTMIN+x",
	    "RTMIN+99", "RTMAX-99",   "SIGRTMIN+-1", "WINCH",    "\"\"",    "true",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct golive_config c;
		char *y = xasprintf("run:\n  stop_signal: %s\n", ok[i].text);
		parse_ok(&c, y);
		assert_int_equal(c.run.stop_signal, ok[i].want);
		config_release(&c);
		free(y);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct golive_config c;
		char *cause = NULL;
		char *y = xasprintf("run:\n  stop_signal: %s\n", bad[i]);
		config_init(&c);
		if (!config_parse(&c, "golive.yaml", y, strlen(y), &cause)) {
			print_error("stop_signal %s parsed as %d\n", bad[i], c.run.stop_signal);
			fail();
		}
		assert_non_null(
		    strstr(cause, "golive.yaml:2:16: run.stop_signal: expected a signal"));
		free(cause);
		config_release(&c);
		free(y);
	}
	/* real-time signals, as kill -l names them */
	{
		static const struct {
			const char *prefix;
			int max;
		} rt[] = {{"SIGRTMIN+", 0}, {"rtmin+", 0}, {"SIGRTMAX-", 1}, {"RtMax-", 1}};
		for (size_t i = 0; i < sizeof(rt) / sizeof(rt[0]); i++) {
			for (int n = 0; n <= SIGRTMAX - SIGRTMIN; n++) {
				struct golive_config c;
				char *y = xasprintf("run:\n  stop_signal: %s%d\n", rt[i].prefix, n);
				parse_ok(&c, y);
				assert_int_equal(c.run.stop_signal,
				                 rt[i].max ? SIGRTMAX - n : SIGRTMIN + n);
				config_release(&c);
				free(y);
			}
		}
	}
	{
		struct golive_config c;
		parse_ok(&c, "run: {stop_signal: SIGRTMIN}\n");
		assert_int_equal(c.run.stop_signal, SIGRTMIN);
		config_release(&c);
		parse_ok(&c, "run: {stop_signal: RTMAX}\n");
		assert_int_equal(c.run.stop_signal, SIGRTMAX);
		config_release(&c);
	}
}

static void test_watch(void **state)
{
	struct golive_config c;
	(void)state;

	parse_ok(&c, "watch:\n"
	             "  include: [\"*.html\", \"web/**/*.tmpl\", \"config/[a-z]?.yaml\"]\n"
	             "  exclude:\n"
	             "    - tmp/\n"
	             "    - \"**/*_test.go\"\n"
	             "    - \"\\\\[x].go\"\n"
	             "  debounce_ms: 10000\n"
	             "  gitignore: off\n");
	assert_argv(&c.watch.include, 3, "*.html", "web/**/*.tmpl", "config/[a-z]?.yaml");
	assert_argv(&c.watch.exclude, 3, "tmp/", "**/*_test.go", "\\[x].go");
	assert_int_equal(c.watch.debounce_ms, 10000);
	assert_int_equal(c.watch.gitignore, 0);
	config_release(&c);

	parse_ok(&c, "watch: {include: '*.sql', debounce_ms: 0, gitignore: yes}\n");
	assert_argv(&c.watch.include, 1, "*.sql");
	assert_argv(&c.watch.exclude, 0);
	assert_int_equal(c.watch.debounce_ms, 0);
	assert_int_equal(c.watch.gitignore, 1);
	config_release(&c);
}

static void test_watch_errors(void **state)
{
	(void)state;
	expect_error("watch:\n  include: \"web/[ab\"\n",
	             "golive.yaml:2:12: watch.include: unclosed [ in \"web/[ab\"");
	expect_error("watch:\n  include: [\"*.html\", \"web/[ab\"]\n",
	             "golive.yaml:2:23: watch.include[1]: unclosed [ in \"web/[ab\"");
	expect_error("watch:\n  exclude:\n    - tmp/\n\n    - x[\n",
	             "golive.yaml:5:7: watch.exclude[1]: unclosed [ in \"x[\"");
	expect_error("watch:\n  exclude: [\"\"]\n",
	             "golive.yaml:2:13: watch.exclude[0]: expected a non-empty string, got \"\"");
	expect_error("watch:\n  exclude: {a: b}\n",
	             "golive.yaml:2:12: watch.exclude: expected a string or a list of strings, got "
	             "a mapping");
	expect_error("watch:\n  debounce_ms: 10001\n",
	             "golive.yaml:2:16: watch.debounce_ms: expected an integer in 0..10000, got "
	             "\"10001\"");
	expect_error("watch:\n  debounce_ms: 20ms\n",
	             "golive.yaml:2:16: watch.debounce_ms: expected an integer in 0..10000, got "
	             "\"20ms\"");
	expect_error("watch:\n  gitignore: sometimes\n",
	             "golive.yaml:2:14: watch.gitignore: expected a boolean, got \"sometimes\"");
	expect_error("watch: true\n", "golive.yaml:1:8: watch: expected a mapping, got \"true\"");
}

/* analyzers: and rules: */

static void test_analyzers(void **state)
{
	const struct analyzer_setting *a;
	struct golive_config c;
	(void)state;

	parse_ok(&c, "analyzers:\n"
	             "  fail_on: warning\n"
	             "  include_generated: yes\n"
	             "  include_deps: true\n"
	             "  httpctx: off\n"
	             "  logtrace: { severity: error }\n");
	assert_int_equal(c.analysis.fail_on, FAIL_WARNING);
	assert_int_equal(c.analysis.include_generated, 1);
	assert_int_equal(c.analysis.include_deps, 1);
	assert_int_equal(c.analysis.analyzers.n, 2);
	a = setting(&c, "httpctx");
	assert_non_null(a);
	assert_int_equal(a->enabled, 0);
	assert_int_equal(a->severity, -1);
	a = setting(&c, "logtrace");
	assert_non_null(a);
	assert_int_equal(a->enabled, 1);
	assert_int_equal(a->severity, SEV_ERROR);
	config_release(&c);

	parse_ok(&c, "analyzers:\n  fail_on: error\n  httpctx: {enabled: no, severity: info}\n"
	             "  logtrace: on\n");
	assert_int_equal(c.analysis.fail_on, FAIL_ERROR);
	assert_int_equal(setting(&c, "httpctx")->enabled, 0);
	assert_int_equal(setting(&c, "httpctx")->severity, SEV_INFO);
	assert_int_equal(setting(&c, "logtrace")->enabled, 1);
	assert_int_equal(setting(&c, "logtrace")->severity, -1);
	config_release(&c);

	/* null values keep the defaults; a later file's entry replaces an earlier one */
	parse_ok(&c, "analyzers:\n  fail_on:\n  httpctx: ~\n  logtrace: {enabled: ~}\n");
	assert_int_equal(c.analysis.fail_on, FAIL_NEVER);
	assert_null(setting(&c, "httpctx"));
	assert_int_equal(setting(&c, "logtrace")->enabled, 1);
	{
		char *cause = NULL;
		const char *y = "analyzers:\n  logtrace: {severity: info}\n";
		assert_int_equal(config_parse(&c, "x.yaml", y, strlen(y), &cause), 0);
		y = "analyzers:\n  logtrace: off\n";
		assert_int_equal(config_parse(&c, "x.yaml", y, strlen(y), &cause), 0);
	}
	assert_int_equal(c.analysis.analyzers.n, 1);
	assert_int_equal(setting(&c, "logtrace")->enabled, 0);
	assert_int_equal(setting(&c, "logtrace")->severity, -1);
	config_release(&c);
}

static void test_analyzers_errors(void **state)
{
	(void)state;
	expect_error("analyzers:\n  htpctx: off\n",
	             "golive.yaml:2:3: unknown key \"htpctx\" in analyzers (known: fail_on, "
	             "include_generated, include_deps, httpctx, logtrace, unusedignore)");
	expect_error("analyzers:\n  fail_on: sometimes\n",
	             "golive.yaml:2:12: analyzers.fail_on: expected error, warning or never, got "
	             "\"sometimes\"");
	expect_error("analyzers:\n  fail_on: [error]\n",
	             "golive.yaml:2:12: analyzers.fail_on: expected error, warning or never, got a "
	             "sequence");
	expect_error("analyzers:\n  include_deps: 2\n",
	             "golive.yaml:2:17: analyzers.include_deps: expected a boolean, got \"2\"");
	expect_error("analyzers:\n  httpctx: loud\n",
	             "golive.yaml:2:12: analyzers.httpctx: expected on, off or a mapping (enabled, "
	             "severity), got \"loud\"");
	expect_error("analyzers:\n  httpctx: [on]\n",
	             "golive.yaml:2:12: analyzers.httpctx: expected on, off or a mapping (enabled, "
	             "severity), got a sequence");
	expect_error("analyzers:\n  logtrace: {severity: fatal}\n",
	             "golive.yaml:2:24: analyzers.logtrace.severity: expected info, warning or "
	             "error, got \"fatal\"");
	expect_error("analyzers:\n  logtrace: {enabled: 1}\n",
	             "golive.yaml:2:23: analyzers.logtrace.enabled: expected a boolean, got \"1\"");
	expect_error(
	    "analyzers:\n  logtrace:\n    level: error\n",
	    "golive.yaml:3:5: unknown key \"level\" in analyzers.logtrace (known: enabled, "
	    "severity)");
	expect_error("analyzers:\n  httpctx: off\n  httpctx: on\n",
	             "golive.yaml:3:3: duplicate key \"httpctx\" in analyzers (first at line 2)");
	expect_error("analyzers: [httpctx]\n",
	             "golive.yaml:1:12: analyzers: expected a mapping, got a sequence");
}

static void test_rules(void **state)
{
	const struct rule_spec *r;
	struct golive_config c;
	(void)state;

	parse_ok(&c,
	         "# rules\n"
	         "rules:\n"
	         "  - id: no-panic-in-handler\n"
	         "    query: |\n"
	         "      (call_expression\n"
	         "        function: (identifier) @fn (#eq? @fn \"panic\")) @call\n"
	         "    message: \"panic in a handler ({{fn}})\"\n"
	         "    severity: error\n"
	         "    scope: handler\n"
	         "  - id: todo.2\n"
	         "    query: (comment) @c\n"
	         "    message: >\n"
	         "      a comment\n"
	         "  - {id: q, query: \"(identifier) @i\", message: m, scope: file, severity: ~}\n");
	assert_int_equal(c.analysis.rules.n, 3);
	r = &c.analysis.rules.v[0];
	assert_string_equal(r->id, "no-panic-in-handler");
	assert_string_equal(r->query, "(call_expression\n  function: (identifier) @fn (#eq? @fn "
	                              "\"panic\")) @call\n");
	assert_string_equal(r->message, "panic in a handler ({{fn}})");
	assert_int_equal(r->severity, SEV_ERROR);
	assert_int_equal(r->handler_scope, 1);
	assert_int_equal(r->block, 1);
	assert_int_equal(r->line, 5);
	assert_int_equal(r->col, 7);
	assert_int_equal(r->indent, 6);
	assert_string_equal(r->where, "golive.yaml:5:7");

	r = &c.analysis.rules.v[1];
	assert_string_equal(r->id, "todo.2");
	assert_string_equal(r->message, "a comment"); /* the folded block's newline dropped */
	assert_int_equal(r->severity, SEV_WARNING);
	assert_int_equal(r->handler_scope, 0);
	assert_int_equal(r->block, 0);
	assert_int_equal(r->line, 11);
	assert_int_equal(r->col, 12);
	assert_string_equal(r->where, "golive.yaml:11:12");

	r = &c.analysis.rules.v[2];
	assert_int_equal(r->severity, SEV_WARNING);
	assert_int_equal(r->line, 14);
	assert_int_equal(r->col, 21); /* after the opening quote */
	config_release(&c);

	/* blank lines before a block's text, and a block in a flow-less list item */
	parse_ok(&c, "rules:\n- id: a\n  query: |-\n\n     (x)\n  message: m\n");
	r = &c.analysis.rules.v[0];
	assert_string_equal(r->query, "\n(x)");
	assert_int_equal(r->line, 4);
	assert_int_equal(r->indent, 5);
	config_release(&c);

	/* rules: replaces the list; null keeps it */
	{
		char *cause = NULL;
		const char *y = "rules:\n";
		parse_ok(&c, "rules: [{id: a, query: (x), message: m}]\n");
		assert_int_equal(config_parse(&c, "x.yaml", y, strlen(y), &cause), 0);
		assert_int_equal(c.analysis.rules.n, 1);
		y = "rules: []\n";
		assert_int_equal(config_parse(&c, "x.yaml", y, strlen(y), &cause), 0);
		assert_int_equal(c.analysis.rules.n, 0);
		config_release(&c);
	}
}

static void test_rules_errors(void **state)
{
	(void)state;
	expect_error("rules: {id: a}\n", "golive.yaml:1:8: rules: expected a list of rules, got a "
	                                 "mapping");
	expect_error(
	    "rules: [a]\n",
	    "golive.yaml:1:9: rules[0]: expected a mapping (id, query, "
	    "message, severity, scope, fix, fix_unsafe, paths, valid, invalid), got \"a\"");
	expect_error("rules:\n  - id: a\n    query: (x)\n",
	             "golive.yaml:2:5: rules[0]: missing key \"message\"");
	expect_error("rules:\n  - id: a\n    message: m\n",
	             "golive.yaml:2:5: rules[0]: missing key \"query\"");
	expect_error("rules:\n  - id: a\n    query: (x)\n    message: m\n    sev: error\n",
	             "golive.yaml:5:5: unknown key \"sev\" in rules[0] (known: id, query, message, "
	             "severity, scope, fix, fix_unsafe, paths, valid, invalid)");
	expect_error("rules:\n  - id: No-Caps\n    query: (x)\n    message: m\n",
	             "golive.yaml:2:9: rules[0].id: expected lowercase letters, digits, '.', '_' "
	             "and '-', starting with a letter or digit, got \"No-Caps\"");
	expect_error("rules:\n  - id: -a\n    query: (x)\n    message: m\n",
	             "golive.yaml:2:9: rules[0].id: expected lowercase letters, digits, '.', '_' "
	             "and '-', starting with a letter or digit, got \"-a\"");
	expect_error("rules:\n  - {id: a, query: (x), message: m}\n"
	             "  - {id: b, query: (x), message: m}\n"
	             "  - {id: a, query: (x), message: m}\n",
	             "golive.yaml:4:10: rules[2].id: duplicate id \"a\" (first at line 2)");
	expect_error("rules:\n  - {id: httpctx, query: (x), message: m}\n",
	             "golive.yaml:2:10: rules[0].id: \"httpctx\" is reserved (built-in analyzers, "
	             "golive, rules and all)");
	expect_error("rules:\n  - {id: all, query: (x), message: m}\n",
	             "golive.yaml:2:10: rules[0].id: \"all\" is reserved (built-in analyzers, "
	             "golive, rules and all)");
	/* fix, fix_unsafe, paths, valid/invalid */
	expect_error("rules:\n  - {id: a, query: (x), message: m, fix: [1]}\n",
	             "golive.yaml:2:42: rules[0].fix: expected a string, got a sequence");
	expect_error(
	    "rules:\n  - {id: a, query: (x), message: m, fix: x, fix_unsafe: maybe}\n",
	    "golive.yaml:2:57: rules[0].fix_unsafe: expected true or false, got \"maybe\"");
	expect_error("rules:\n  - {id: a, query: (x), message: m, paths: [x]}\n",
	             "golive.yaml:2:44: rules[0].paths: expected a mapping (include, exclude), got "
	             "a sequence");
	expect_error("rules:\n  - {id: a, query: (x), message: m, paths: {inclde: x}}\n",
	             "golive.yaml:2:45: unknown key \"inclde\" in rules[0].paths (known: include, "
	             "exclude)");
	expect_error("rules:\n  - {id: a, query: (x), message: m, paths: {include: \"[a\"}}\n",
	             "golive.yaml:2:54: rules[0].paths.include: unclosed [ in \"[a\"");
	expect_error("rules:\n  - {id: a, query: (x), message: m, valid: [\"\"]}\n",
	             "golive.yaml:2:45: rules[0].valid: expected a non-empty string, got \"\"");
	expect_error("rules:\n  - {id: a, query: \"\", message: m}\n",
	             "golive.yaml:2:20: rules[0].query: expected a non-empty string, got \"\"");
	expect_error("rules:\n  - {id: a, query: ~, message: m}\n",
	             "golive.yaml:2:20: rules[0].query: expected a non-empty string, got null");
	expect_error("rules:\n  - {id: a, query: (x), message: [m]}\n",
	             "golive.yaml:2:34: rules[0].message: expected a non-empty string, got a "
	             "sequence");
	expect_error("rules:\n  - id: a\n    query: (x)\n    message: |\n      two\n      lines\n",
	             "golive.yaml:4:14: rules[0].message: expected a one-line string, got "
	             "\"two\\nlines\\n\"");
	expect_error(
	    "rules:\n  - {id: a, query: (x), message: m, severity: fatal}\n",
	    "golive.yaml:2:47: rules[0].severity: expected info, warning, error or off, got "
	    "\"fatal\"");
	expect_error("rules:\n  - {id: a, query: (x), message: m, scope: package}\n",
	             "golive.yaml:2:44: rules[0].scope: expected handler or file, got \"package\"");
}

#define HEX64_UPPER "3F1C0000000000000000000000000000000000000000000000000000000000AB"
#define HEX64_LOWER "3f1c0000000000000000000000000000000000000000000000000000000000ab"

static void test_plugins(void **state)
{
	struct golive_config c;
	const struct plugin_spec *p;
	(void)state;

	parse_ok(&c,
	         "plugins:\n"
	         "  - name: devpprof\n"
	         "    path: /usr/local/lib/golive/devpprof.so\n"
	         "    sha256: " HEX64_UPPER "\n"
	         "    args: { addr: \"127.0.0.1:6060\", verbose: yes, n: 3, empty: \"\" }\n"
	         "    timeout: 500ms\n"
	         "  - name: lic.check_2-B\n"
	         "    exec: /opt/tools/licensecheck\n"
	         "    timeout: 10s\n"
	         "    required: true\n"
	         "  - {name: x, exec: /x, timeout: 1m, args: {}}\n"
	         "  - {name: y, exec: /y, timeout: 250}\n"
	         "  - {name: z, exec: /z, timeout: ~, required: ~, sha256: ~, path: ~, args: ~}\n"
	         "  - {name: w, exec: /w, timeout: 10m}\n"
	         "  - {name: v, exec: /v, timeout: 1ms, required: off}\n"
	         "profiles:\n"
	         "  prod_marker: /etc/golive-prod\n"
	         "  trusted_dirs: [/usr/local/lib/golive, /opt/golive]\n");
	assert_int_equal(c.plugins.n, 7);
	p = &c.plugins.v[0];
	assert_string_equal(p->name, "devpprof");
	assert_string_equal(p->path, "/usr/local/lib/golive/devpprof.so");
	assert_null(p->exec);
	assert_string_equal(p->sha256, HEX64_LOWER); /* stored lowercase */
	assert_int_equal(p->args.argc, 4);
	assert_string_equal(p->args.argv[0], "addr=127.0.0.1:6060");
	assert_string_equal(p->args.argv[1], "verbose=yes"); /* the text, not a boolean */
	assert_string_equal(p->args.argv[2], "n=3");
	assert_string_equal(p->args.argv[3], "empty=");
	assert_int_equal(p->timeout_ms, 500);
	assert_int_equal(p->required, 0);
	assert_string_equal(p->where, "golive.yaml:2:5");
	p = &c.plugins.v[1];
	assert_string_equal(p->name, "lic.check_2-B");
	assert_null(p->path);
	assert_string_equal(p->exec, "/opt/tools/licensecheck");
	assert_null(p->sha256);
	assert_int_equal(p->args.argc, 0);
	assert_int_equal(p->timeout_ms, 10000);
	assert_int_equal(p->required, 1);
	assert_int_equal(c.plugins.v[2].timeout_ms, 60000);
	assert_string_equal(c.plugins.v[2].where, "golive.yaml:11:5");
	assert_int_equal(c.plugins.v[3].timeout_ms, 250);
	p = &c.plugins.v[4]; /* nulls keep the defaults */
	assert_string_equal(p->exec, "/z");
	assert_null(p->path);
	assert_null(p->sha256);
	assert_int_equal(p->timeout_ms, 2000);
	assert_int_equal(p->required, 0);
	assert_int_equal(c.plugins.v[5].timeout_ms, 600000);
	assert_int_equal(c.plugins.v[6].timeout_ms, 1);
	assert_string_equal(c.profiles.prod_marker, "/etc/golive-prod");
	assert_int_equal(c.profiles.trusted_dirs.argc, 2);
	assert_string_equal(c.profiles.trusted_dirs.argv[0], "/usr/local/lib/golive");
	assert_string_equal(c.profiles.trusted_dirs.argv[1], "/opt/golive");
	config_release(&c);

	/* a 64-character name; trusted_dirs as one string */
	parse_ok(&c,
	         "plugins: [{name: "
	         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, exec: /a}]\n"
	         "profiles: {trusted_dirs: /opt/golive}\n");
	assert_int_equal(strlen(c.plugins.v[0].name), 64);
	assert_int_equal(c.profiles.trusted_dirs.argc, 1);
	config_release(&c);

	/* plugins: replaces the list; null keeps it; [] empties it */
	{
		char *cause = NULL;
		const char *y = "plugins:\n";
		parse_ok(&c, "plugins: [{name: a, exec: /a}, {name: b, exec: /b}]\n");
		assert_int_equal(config_parse(&c, "x.yaml", y, strlen(y), &cause), 0);
		assert_int_equal(c.plugins.n, 2);
		y = "plugins: [{name: c, path: /c.so}]\n";
		assert_int_equal(config_parse(&c, "x.yaml", y, strlen(y), &cause), 0);
		assert_int_equal(c.plugins.n, 1);
		assert_string_equal(c.plugins.v[0].name, "c");
		assert_string_equal(c.plugins.v[0].where, "x.yaml:1:11");
		y = "plugins: []\n";
		assert_int_equal(config_parse(&c, "x.yaml", y, strlen(y), &cause), 0);
		assert_int_equal(c.plugins.n, 0);
		config_release(&c);
	}
}

static void test_plugins_errors(void **state)
{
	(void)state;
	expect_error("plugins: {a: b}\n",
	             "golive.yaml:1:10: plugins: expected a list of plugins, got a mapping");
	expect_error(
	    "plugins: [a]\n",
	    "golive.yaml:1:11: plugins[0]: expected a mapping (name, path or exec, sha256, "
	    "args, timeout, required), got \"a\"");
	expect_error("plugins:\n  - path: /x.so\n",
	             "golive.yaml:2:5: plugins[0]: missing key \"name\"");
	expect_error("plugins:\n  - {name: ~, path: /x.so}\n",
	             "golive.yaml:2:5: plugins[0]: missing key \"name\"");
	expect_error("plugins:\n  - name: a\n    sha: x\n",
	             "golive.yaml:3:5: unknown key \"sha\" in plugins[0] (known: name, path, exec, "
	             "sha256, args, timeout, required)");
	expect_error("plugins:\n  - name: a\n    exec: /a\n    name: b\n",
	             "golive.yaml:4:5: duplicate key \"name\" in plugins[0] (first at line 2)");

	/* names */
	expect_error(
	    "plugins:\n  - name: a b\n    exec: /x\n",
	    "golive.yaml:2:11: plugins[0].name: expected 1 to 64 letters, digits, '_', '.' "
	    "and '-' (not . or ..), got \"a b\"");
	expect_error(
	    "plugins:\n  - {name: .., exec: /x}\n",
	    "golive.yaml:2:12: plugins[0].name: expected 1 to 64 letters, digits, '_', '.' "
	    "and '-' (not . or ..), got \"..\"");
	expect_error(
	    "plugins:\n  - {name: a/b, exec: /x}\n",
	    "golive.yaml:2:12: plugins[0].name: expected 1 to 64 letters, digits, '_', '.' "
	    "and '-' (not . or ..), got \"a/b\"");
	expect_error(
	    "plugins:\n  - {name: \"\", exec: /x}\n",
	    "golive.yaml:2:12: plugins[0].name: expected 1 to 64 letters, digits, '_', '.' "
	    "and '-' (not . or ..), got \"\"");
	expect_error(
	    "plugins:\n  - {name: [a], exec: /x}\n",
	    "golive.yaml:2:12: plugins[0].name: expected 1 to 64 letters, digits, '_', '.' "
	    "and '-' (not . or ..), got a sequence");
	expect_error(
	    "plugins: [{name: "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, exec: /a}]\n",
	    "golive.yaml:1:18: plugins[0].name: expected 1 to 64 letters, digits, '_', '.' "
	    "and '-' (not . or ..), got \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"...");
	expect_error("plugins:\n  - {name: a, exec: /x}\n  - {name: b, exec: /y}\n"
	             "  - {name: a, exec: /z}\n",
	             "golive.yaml:4:12: plugins[2].name: duplicate name \"a\" (first at line 2)");

	/* path and exec */
	expect_error("plugins:\n  - name: a\n    path: x.so\n",
	             "golive.yaml:3:11: plugins[0].path: must be an absolute path, got \"x.so\"");
	expect_error("plugins:\n  - name: a\n    exec: ./tools/lint\n",
	             "golive.yaml:3:11: plugins[0].exec: must be an absolute path, got "
	             "\"./tools/lint\"");
	expect_error("plugins:\n  - name: a\n    path: \"\"\n",
	             "golive.yaml:3:11: plugins[0].path: expected a non-empty string, got \"\"");
	expect_error("plugins:\n  - name: a\n    exec: [/a]\n",
	             "golive.yaml:3:11: plugins[0].exec: expected a non-empty string, got a "
	             "sequence");
	expect_error(
	    "plugins:\n  - name: a\n    path: /a.so\n    exec: /a\n",
	    "golive.yaml:4:11: plugins[0]: path and exec are both set (a plugin is a shared "
	    "object or a program, not both)");
	expect_error(
	    "plugins:\n  - name: a\n    exec: /a\n    path: /a.so\n",
	    "golive.yaml:4:11: plugins[0]: path and exec are both set (a plugin is a shared "
	    "object or a program, not both)");
	expect_error("plugins:\n  - name: a\n    timeout: 1s\n",
	             "golive.yaml:2:5: plugins[0]: needs path (a C plugin) or exec (a program)");

	/* sha256 */
	expect_error("plugins:\n  - {name: a, exec: /a, sha256: abc}\n",
	             "golive.yaml:2:33: plugins[0].sha256: expected 64 hexadecimal digits, got "
	             "\"abc\"");
	expect_error("plugins:\n  - {name: a, exec: /a, sha256: "
	             "3f1c000000000000000000000000000000000000000000000000000000000g}\n",
	             "golive.yaml:2:33: plugins[0].sha256: expected 64 hexadecimal digits, got "
	             "\"3f1c000000000000000000000000000000000000\"...");
	expect_error("plugins:\n  - {name: a, exec: /a, sha256: " HEX64_LOWER "0}\n",
	             "golive.yaml:2:33: plugins[0].sha256: expected 64 hexadecimal digits, got "
	             "\"3f1c000000000000000000000000000000000000\"...");
	expect_error("plugins:\n  - {name: a, exec: /a, sha256: 12}\n",
	             "golive.yaml:2:33: plugins[0].sha256: expected 64 hexadecimal digits, got "
	             "\"12\"");

	/* timeout */
	{
		static const char *const bad[] = {
		    "2h",   "0",   "0ms",  "11m", "600001",
		    "1.5s", "-1s", "s",    "2 s", "2S",
		    "ms",   "+5",  "601s", "1e3", "99999999999999999999999ms"};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char *y =
			    xasprintf("plugins:\n  - {name: a, exec: /a, timeout: %s}\n", bad[i]);
			char *want = xasprintf(
			    "golive.yaml:2:34: plugins[0].timeout: expected a duration in 1ms..10m "
			    "(500ms, 2s, 1m, or a number of milliseconds), got \"%.40s\"%s",
			    bad[i], strlen(bad[i]) > 40 ? "..." : "");
			expect_error(y, want);
			free(y);
			free(want);
		}
		expect_error(
		    "plugins:\n  - {name: a, exec: /a, timeout: [1s]}\n",
		    "golive.yaml:2:34: plugins[0].timeout: expected a duration in 1ms..10m "
		    "(500ms, 2s, 1m, or a number of milliseconds), got a sequence");
	}

	/* required */
	expect_error("plugins:\n  - {name: a, exec: /a, required: maybe}\n",
	             "golive.yaml:2:35: plugins[0].required: expected a boolean, got \"maybe\"");

	/* args */
	expect_error(
	    "plugins:\n  - {name: a, exec: /a, args: [x]}\n",
	    "golive.yaml:2:31: plugins[0].args: expected a mapping of names to values, got a "
	    "sequence");
	expect_error(
	    "plugins:\n  - {name: a, exec: /a, args: x=1}\n",
	    "golive.yaml:2:31: plugins[0].args: expected a mapping of names to values, got "
	    "\"x=1\"");
	expect_error(
	    "plugins:\n  - name: a\n    exec: /a\n    args:\n      addr: {host: x}\n",
	    "golive.yaml:5:13: plugins[0].args.addr: expected a string, number or boolean, "
	    "got a mapping");
	expect_error(
	    "plugins:\n  - name: a\n    exec: /a\n    args:\n      addr:\n",
	    "golive.yaml:5:12: plugins[0].args.addr: expected a string, number or boolean, "
	    "got null");
	expect_error("plugins:\n  - name: a\n    exec: /a\n    args:\n      a=b: 1\n",
	             "golive.yaml:5:7: plugins[0].args: a name must be a non-empty string without "
	             "'=', got \"a=b\"");
	expect_error("plugins:\n  - name: a\n    exec: /a\n    args:\n      \"\": 1\n",
	             "golive.yaml:5:7: plugins[0].args: a name must be a non-empty string without "
	             "'=', got \"\"");
	expect_error("plugins:\n  - name: a\n    exec: /a\n    args:\n      ? [k]\n      : 1\n",
	             "golive.yaml:5:9: keys must be strings, got a sequence");
	expect_error("plugins:\n  - name: a\n    exec: /a\n    args:\n      a: 1\n      b: 2\n"
	             "      a: 3\n",
	             "golive.yaml:7:7: duplicate key \"a\" in plugins[0].args (first at line 5)");
}

/* cache: (docs/cache.md): kept as written, each value checked where it is. */
static void test_cache(void **state)
{
	struct golive_config c;
	struct cache_settings cs;
	char *cause = NULL;
	(void)state;

	parse_ok(&c, "cache:\n  backend: redis://127.0.0.1:6379/0\n  mode: read-only\n"
	             "  timeout: 250ms\n  max_object: 1GiB\n  ttl: 7d\n  prefix: \"t:\"\n");
	assert_string_equal(c.cache.backend, "redis://127.0.0.1:6379/0");
	unsetenv("GOLIVE_CACHE");
	unsetenv("GOLIVE_CACHE_MODE");
	assert_int_equal(cache_settings_resolve(&c, &cs, &cause), 0);
	assert_string_equal(cs.backend, "redis://127.0.0.1:6379/0");
	assert_int_equal(cs.mode, CACHE_MODE_READ_ONLY);
	assert_int_equal(cs.timeout_ms, 250);
	assert_true(cs.max_object == (1ull << 30));
	assert_int_equal(cs.ttl_s, 7 * 86400);
	assert_string_equal(cs.prefix, "t:");
	cache_settings_release(&cs);
	/* the environment wins; "off" turns it off */
	setenv("GOLIVE_CACHE", "dir:///srv/cache", 1);
	setenv("GOLIVE_CACHE_MODE", "read-write", 1);
	assert_int_equal(cache_settings_resolve(&c, &cs, &cause), 0);
	assert_string_equal(cs.backend, "dir:///srv/cache");
	assert_int_equal(cs.mode, CACHE_MODE_READ_WRITE);
	cache_settings_release(&cs);
	setenv("GOLIVE_CACHE", "off", 1);
	assert_int_equal(cache_settings_resolve(&c, &cs, &cause), 0);
	assert_null(cs.backend);
	assert_int_equal(cs.mode, CACHE_MODE_OFF);
	cache_settings_release(&cs);
	setenv("GOLIVE_CACHE", "cache.internal:6379", 1);
	assert_int_equal(cache_settings_resolve(&c, &cs, &cause), -1);
	assert_string_equal(cause, "GOLIVE_CACHE: want redis://HOST[:PORT][/DB], "
	                           "http(s)://HOST[:PORT]/PATH/ or dir:///PATH, got "
	                           "\"cache.internal:6379\"");
	free(cause);
	cause = NULL;
	cache_settings_release(&cs);
	unsetenv("GOLIVE_CACHE");
	setenv("GOLIVE_CACHE_MODE", "rw", 1);
	assert_int_equal(cache_settings_resolve(&c, &cs, &cause), -1);
	assert_string_equal(cause,
	                    "GOLIVE_CACHE_MODE: want read-write, read-only or off, got \"rw\"");
	free(cause);
	cause = NULL;
	cache_settings_release(&cs);
	unsetenv("GOLIVE_CACHE_MODE");
	config_release(&c);
	/* no backend: off, with the defaults */
	parse_ok(&c, "cache:\n  mode: read-write\n");
	assert_int_equal(cache_settings_resolve(&c, &cs, &cause), 0);
	assert_int_equal(cs.mode, CACHE_MODE_OFF);
	assert_int_equal(cs.timeout_ms, 2000);
	assert_true(cs.max_object == (64ull << 20));
	cache_settings_release(&cs);
	config_release(&c);

	expect_error("cache:\n  backend: ftp://x/\n",
	             "golive.yaml:2:12: cache.backend: want redis://HOST[:PORT][/DB], "
	             "http(s)://HOST[:PORT]/PATH/ or dir:///PATH, got \"ftp://x/\"");
	expect_error("cache:\n  mode: sometimes\n",
	             "golive.yaml:2:9: cache.mode: want read-write, read-only or off, got "
	             "\"sometimes\"");
	expect_error("cache:\n  timeout: 2 seconds\n",
	             "golive.yaml:2:12: cache.timeout: want a duration like 250ms, 2s, 1m, 12h or "
	             "7d, got \"2 seconds\"");
	expect_error("cache:\n  max_object: 64M\n",
	             "golive.yaml:2:15: cache.max_object: want a size like 512KiB, 64MiB, 1GiB or "
	             "10MB, got \"64M\"");
	expect_error("cache:\n  ttl: -1s\n", "golive.yaml:2:8: cache.ttl: want a duration like "
	                                     "250ms, 2s, 1m, 12h or 7d, got \"-1s\"");
	expect_error("cache:\n  backend: [a]\n",
	             "golive.yaml:2:12: cache.backend: expected a string, got a sequence");
}

static void test_profiles(void **state)
{
	struct golive_config c;
	(void)state;

	parse_ok(&c, "profiles:\n  prod_marker: /etc/golive-prod\n  trusted_dirs: /\n");
	assert_string_equal(c.profiles.prod_marker, "/etc/golive-prod");
	assert_string_equal(c.profiles.trusted_dirs.argv[0], "/");
	config_release(&c);
	parse_ok(&c, "profiles:\n");
	assert_defaults(&c);
	config_release(&c);
	parse_ok(&c, "profiles: {prod_marker: ~, trusted_dirs: []}\n");
	assert_defaults(&c);
	config_release(&c);

	expect_error("profiles:\n  trusted_dirs: [lib]\n",
	             "golive.yaml:2:18: profiles.trusted_dirs[0]: must be an absolute path, got "
	             "\"lib\"");
	expect_error("profiles:\n  trusted_dirs: [/ok, ./lib]\n",
	             "golive.yaml:2:23: profiles.trusted_dirs[1]: must be an absolute path, got "
	             "\"./lib\"");
	expect_error(
	    "profiles:\n  trusted_dirs: lib\n",
	    "golive.yaml:2:17: profiles.trusted_dirs: must be an absolute path, got \"lib\"");
	expect_error("profiles:\n  trusted_dirs: [\"\"]\n",
	             "golive.yaml:2:18: profiles.trusted_dirs[0]: expected a non-empty string, got "
	             "\"\"");
	expect_error("profiles:\n  prod_marker: golive-prod\n",
	             "golive.yaml:2:16: profiles.prod_marker: must be an absolute path, got "
	             "\"golive-prod\"");
	expect_error("profiles:\n  prod_marker: [/a]\n",
	             "golive.yaml:2:16: profiles.prod_marker: expected a string, got a sequence");
	expect_error("profiles:\n  default: dev\n",
	             "golive.yaml:2:3: unknown key \"default\" in profiles (known: prod_marker, "
	             "trusted_dirs)");
	expect_error("profiles: [dev]\n",
	             "golive.yaml:1:11: profiles: expected a mapping, got a sequence");
}

/* golive config prints plugins: and profiles: so that they read back the same. */
static void test_plugins_yaml_json(void **state)
{
	static const char *const odd[] = {"true",  "null", "~",   "10",  "a: b", "#c", "- x",
	                                  "é ünï", "\"d",  "[x]", "{a}", "*a",   "",   "x=y"};
	struct golive_config c;
	struct strbuf out = STRBUF_INIT;
	char *cause = NULL;
	json_t *j, *p, *a;
	(void)state;

	parse_ok(&c, "plugins:\n"
	             "  - name: devpprof\n"
	             "    path: /usr/local/lib/golive/devpprof.so\n"
	             "    sha256: " HEX64_UPPER "\n"
	             "    args: { addr: \"127.0.0.1:6060\", on: yes }\n"
	             "  - {name: lint, exec: /opt/lint, timeout: 1500, required: yes}\n"
	             "  - {name: m, exec: /opt/m, timeout: 120s}\n"
	             "profiles:\n"
	             "  prod_marker: /etc/golive-prod\n"
	             "  trusted_dirs: [/usr/local/lib/golive]\n");
	assert_int_equal(config_to_yaml(&c, &out, &cause), 0);
	assert_non_null(strstr(out.buf, "rules: []\n"
	                                "plugins:\n"
	                                "- name: devpprof\n"
	                                "  path: /usr/local/lib/golive/devpprof.so\n"
	                                "  sha256: \"" HEX64_LOWER "\"\n"
	                                "  args:\n"
	                                "    addr: \"127.0.0.1:6060\"\n"
	                                "    \"on\": \"yes\"\n"
	                                "  timeout: 2s\n"
	                                "  required: false\n"
	                                "- name: lint\n"
	                                "  exec: /opt/lint\n"
	                                "  sha256: null\n"
	                                "  args: {}\n"
	                                "  timeout: 1500ms\n"
	                                "  required: true\n"
	                                "- name: m\n"
	                                "  exec: /opt/m\n"
	                                "  sha256: null\n"
	                                "  args: {}\n"
	                                "  timeout: 2m\n"
	                                "  required: false\n"
	                                "profiles:\n"
	                                "  prod_marker: /etc/golive-prod\n"
	                                "  trusted_dirs:\n"
	                                "  - /usr/local/lib/golive\n"));
	strbuf_release(&out);
	round_trip(&c);

	j = config_to_json(&c);
	a = json_object_get(j, "plugins");
	assert_int_equal(json_array_size(a), 3);
	p = json_array_get(a, 0);
	assert_int_equal(json_object_size(p), 7);
	assert_string_equal(json_string_value(json_object_get(p, "name")), "devpprof");
	assert_string_equal(json_string_value(json_object_get(p, "path")),
	                    "/usr/local/lib/golive/devpprof.so");
	assert_true(json_is_null(json_object_get(p, "exec")));
	assert_string_equal(json_string_value(json_object_get(p, "sha256")), HEX64_LOWER);
	assert_int_equal(json_object_size(json_object_get(p, "args")), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(p, "args"), "addr")),
	                    "127.0.0.1:6060");
	assert_string_equal(json_string_value(json_object_get(json_object_get(p, "args"), "on")),
	                    "yes");
	assert_string_equal(json_string_value(json_object_get(p, "timeout")), "2s");
	assert_true(json_is_false(json_object_get(p, "required")));
	p = json_array_get(a, 1);
	assert_true(json_is_null(json_object_get(p, "path")));
	assert_string_equal(json_string_value(json_object_get(p, "exec")), "/opt/lint");
	assert_true(json_is_null(json_object_get(p, "sha256")));
	assert_int_equal(json_object_size(json_object_get(p, "args")), 0);
	assert_string_equal(json_string_value(json_object_get(p, "timeout")), "1500ms");
	assert_true(json_is_true(json_object_get(p, "required")));
	p = json_object_get(j, "profiles");
	assert_string_equal(json_string_value(json_object_get(p, "prod_marker")),
	                    "/etc/golive-prod");
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(p, "trusted_dirs"), 0)),
	    "/usr/local/lib/golive");
	json_decref(j);

	/* odd argument names and values read back as themselves */
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		if (odd[i][0] && !strchr(odd[i], '='))
			argv_pushf(&c.plugins.v[1].args, "%s=%s", odd[i], odd[i]);
		argv_pushf(&c.plugins.v[2].args, "k%zu=%s", i, odd[i]);
		round_trip(&c);
	}
	/* every timeout reads back as itself */
	for (int ms = 1; ms <= PLUGIN_TIMEOUT_MAX_MS; ms = ms < 3000 ? ms + 499 : ms * 7) {
		c.plugins.v[0].timeout_ms = ms;
		round_trip(&c);
	}
	c.plugins.v[0].timeout_ms = PLUGIN_TIMEOUT_MAX_MS;
	round_trip(&c);
	config_release(&c);

	/* the defaults, in JSON */
	config_init(&c);
	j = config_to_json(&c);
	assert_int_equal(json_array_size(json_object_get(j, "plugins")), 0);
	p = json_object_get(j, "profiles");
	assert_int_equal(json_object_size(p), 2);
	assert_true(json_is_null(json_object_get(p, "prod_marker")));
	assert_int_equal(json_array_size(json_object_get(p, "trusted_dirs")), 0);
	json_decref(j);
	config_release(&c);
}

/* verify: golive verify's policy; lists with defaults, [] is a real value */
static void test_verify(void **state)
{
	struct golive_config c;
	struct strbuf out = STRBUF_INIT;
	char *cause = NULL;
	json_t *j, *v;
	(void)state;

	parse_ok(&c, "verify:\n"
	             "  forbid_packages: [net/http/pprof, github.com/evil/...]\n"
	             "  allow_packages: github.com/evil/ok\n"
	             "  forbid_tags: [dev, debug]\n"
	             "  forbid_race: no\n"
	             "  forbid_no_optimize: off\n"
	             "  forbid_modified: false\n"
	             "  dwarf: forbidden\n"
	             "  require_trimpath: yes\n");
	assert_int_equal(c.verify.forbid_packages.set, 1);
	assert_int_equal(config_list_len(&c.verify.forbid_packages), 2);
	assert_string_equal(config_list_get(&c.verify.forbid_packages, 1), "github.com/evil/...");
	assert_string_equal(c.verify.allow_packages.argv[0], "github.com/evil/ok");
	assert_int_equal(config_list_len(&c.verify.forbid_tags), 2);
	assert_string_equal(config_list_get(&c.verify.forbid_tags, 1), "debug");
	assert_int_equal(c.verify.forbid_race, 0);
	assert_int_equal(c.verify.forbid_no_optimize, 0);
	assert_int_equal(c.verify.forbid_modified, 0);
	assert_int_equal(c.verify.dwarf_forbidden, 1);
	assert_int_equal(c.verify.require_trimpath, 1);
	assert_int_equal(config_to_yaml(&c, &out, &cause), 0);
	assert_non_null(strstr(out.buf, "verify:\n"
	                                "  forbid_packages:\n"
	                                "  - net/http/pprof\n"
	                                "  - github.com/evil/...\n"
	                                "  allow_packages:\n"
	                                "  - github.com/evil/ok\n"
	                                "  forbid_tags:\n"
	                                "  - dev\n"
	                                "  - debug\n"
	                                "  forbid_race: false\n"
	                                "  forbid_no_optimize: false\n"
	                                "  forbid_modified: false\n"
	                                "  dwarf: forbidden\n"
	                                "  require_trimpath: true\n"));
	strbuf_release(&out);
	round_trip(&c);
	j = config_to_json(&c);
	v = json_object_get(j, "verify");
	assert_int_equal(json_object_size(v), 8);
	assert_int_equal(json_array_size(json_object_get(v, "forbid_packages")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "forbid_tags"), 1)),
	                    "debug");
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(v, "allow_packages"), 0)),
	    "github.com/evil/ok");
	assert_true(json_is_false(json_object_get(v, "forbid_race")));
	assert_string_equal(json_string_value(json_object_get(v, "dwarf")), "forbidden");
	assert_true(json_is_true(json_object_get(v, "require_trimpath")));
	json_decref(j);
	config_release(&c);
	assert_defaults(&c); /* released: the defaults again, nothing owned */

	/* [] forbids nothing, and is written back as [] */
	parse_ok(&c, "verify: {forbid_packages: [], forbid_tags: []}\n");
	assert_int_equal(c.verify.forbid_packages.set, 1);
	assert_int_equal(config_list_len(&c.verify.forbid_packages), 0);
	assert_int_equal(config_list_len(&c.verify.forbid_tags), 0);
	assert_int_equal(config_to_yaml(&c, &out, &cause), 0);
	assert_non_null(strstr(out.buf, "verify:\n"
	                                "  forbid_packages: []\n"
	                                "  allow_packages: []\n"
	                                "  forbid_tags: []\n"));
	strbuf_release(&out);
	round_trip(&c);
	config_release(&c);

	/* a single string is a list of one; null keeps the default */
	parse_ok(&c, "verify:\n  forbid_tags: debug\n  forbid_packages:\n  dwarf: ~\n");
	assert_int_equal(config_list_len(&c.verify.forbid_tags), 1);
	assert_string_equal(config_list_get(&c.verify.forbid_tags, 0), "debug");
	assert_int_equal(c.verify.forbid_packages.set, 0);
	assert_string_equal(config_list_get(&c.verify.forbid_packages, 0), "net/http/pprof");
	assert_int_equal(c.verify.dwarf_forbidden, 0);
	config_release(&c);
	parse_ok(&c, "verify:\n");
	assert_defaults(&c);
	config_release(&c);
	parse_ok(&c, "verify: {dwarf: allowed}\n");
	assert_defaults(&c);
	config_release(&c);

	/* the defaults, in JSON */
	config_init(&c);
	j = config_to_json(&c);
	v = json_object_get(j, "verify");
	assert_int_equal(json_object_size(v), 8);
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(v, "forbid_packages"), 0)),
	    "net/http/pprof");
	assert_int_equal(json_array_size(json_object_get(v, "allow_packages")), 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "forbid_tags"), 0)),
	                    "dev");
	assert_true(json_is_true(json_object_get(v, "forbid_race")));
	assert_true(json_is_true(json_object_get(v, "forbid_no_optimize")));
	assert_true(json_is_true(json_object_get(v, "forbid_modified")));
	assert_string_equal(json_string_value(json_object_get(v, "dwarf")), "allowed");
	assert_true(json_is_false(json_object_get(v, "require_trimpath")));
	json_decref(j);
	config_release(&c);

	expect_error(
	    "verify:\n  dwarf: stripped\n",
	    "golive.yaml:2:10: verify.dwarf: expected allowed or forbidden, got \"stripped\"");
	expect_error(
	    "verify:\n  dwarf: [allowed]\n",
	    "golive.yaml:2:10: verify.dwarf: expected allowed or forbidden, got a sequence");
	expect_error("verify:\n  forbid_tags: [dev, \"de v\"]\n",
	             "golive.yaml:2:22: verify.forbid_tags[1]: expected a build tag (letters, "
	             "digits, '_' and '.'), got \"de v\"");
	expect_error("verify:\n  forbid_tags: \"dev,debug\"\n",
	             "golive.yaml:2:16: verify.forbid_tags: expected a build tag (letters, digits, "
	             "'_' and '.'), got \"dev,debug\"");
	expect_error("verify:\n  forbid_packages: [\"\"]\n",
	             "golive.yaml:2:21: verify.forbid_packages[0]: expected a non-empty string, "
	             "got \"\"");
	expect_error("verify:\n  forbid_packages: [net/http/pprof/]\n",
	             "golive.yaml:2:21: verify.forbid_packages[0]: expected an import path or "
	             "PATH/..., got \"net/http/pprof/\"");
	expect_error("verify:\n  allow_packages: [\"net/...x\"]\n",
	             "golive.yaml:2:20: verify.allow_packages[0]: expected an import path or "
	             "PATH/..., got \"net/...x\"");
	expect_error("verify:\n  allow_packages: [\"a b\"]\n",
	             "golive.yaml:2:20: verify.allow_packages[0]: expected an import path or "
	             "PATH/..., got \"a b\"");
	expect_error("verify:\n  allow_packages: /abs\n",
	             "golive.yaml:2:19: verify.allow_packages: expected an import path or "
	             "PATH/..., got \"/abs\"");
	expect_error("verify:\n  forbid_race: maybe\n",
	             "golive.yaml:2:16: verify.forbid_race: expected a boolean, got \"maybe\"");
	expect_error("verify:\n  forbid: [x]\n",
	             "golive.yaml:2:3: unknown key \"forbid\" in verify (known: forbid_packages, "
	             "allow_packages, forbid_tags, forbid_race, forbid_no_optimize, "
	             "forbid_modified, dwarf, require_trimpath)");
	expect_error("verify: [x]\n",
	             "golive.yaml:1:9: verify: expected a mapping, got a sequence");
	/* a failed parse still releases cleanly (defaults are static) */
	expect_error("verify:\n  forbid_packages: [a, b]\n  forbid_tags: [x y]\n",
	             "golive.yaml:3:17: verify.forbid_tags[0]: expected a build tag (letters, "
	             "digits, '_' and '.'), got \"x y\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run),
	    cmocka_unit_test(test_trace_section),
	    cmocka_unit_test(test_run_errors),
	    cmocka_unit_test(test_stop_signal),
	    cmocka_unit_test(test_watch),
	    cmocka_unit_test(test_watch_errors),
	    cmocka_unit_test(test_analyzers),
	    cmocka_unit_test(test_analyzers_errors),
	    cmocka_unit_test(test_rules),
	    cmocka_unit_test(test_rules_errors),
	    cmocka_unit_test(test_plugins),
	    cmocka_unit_test(test_plugins_errors),
	    cmocka_unit_test(test_cache),
	    cmocka_unit_test(test_profiles),
	    cmocka_unit_test(test_plugins_yaml_json),
	    cmocka_unit_test(test_verify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
