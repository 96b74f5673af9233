/*
 * config_build.c - golive.yaml's build:, run: and watch: sections (config_section.h):
 * go build's packages and flags, how golive dev runs the program (listen
 * sockets, proxy, environment, stop signal) and what it watches.
 */
#define _GNU_SOURCE
#include "core/config_section.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pathmatch.h"

/*
 * What is wrong with TCP address a (HOST:PORT, :PORT, [IPV6]:PORT), or
 * NULL. Only the shape: listen_parse() resolves it when golive dev starts.
 */
static const char *addr_problem(const char *a)
{
	const char *colon = strrchr(a, ':');

	if (!colon)
		return "no port";
	if (!colon[1])
		return "empty port";
	if (config_parse_decimal(colon + 1, 65535) < 0)
		return "the port is not a number in 0..65535";
	if (a[0] == '[') {
		if (colon - a < 2 || colon[-1] != ']')
			return "no ']' before the port";
		if (colon - a == 2)
			return "empty IPv6 address";
		if (memchr(a + 1, '[', (size_t)(colon - a - 1)) ||
		    memchr(a, ']', (size_t)(colon - a - 1)))
			return "stray bracket";
	} else if (memchr(a, ':', (size_t)(colon - a))) {
		return "an IPv6 address needs brackets: [::1]:8080";
	} else if (memchr(a, '[', (size_t)(colon - a)) || memchr(a, ']', (size_t)(colon - a))) {
		return "stray bracket";
	}
	return NULL;
}

#define ADDR_FORMS "HOST:PORT, :PORT or [IPV6]:PORT"

/* run.proxy and run.to: an address. */
static int check_addr(const char *s, char **why)
{
	const char *problem = addr_problem(s);
	char *q;

	if (!problem)
		return 0;
	q = config_quoted(s);
	*why = xasprintf("expected an address (" ADDR_FORMS "), got %s: %s", q, problem);
	free(q);
	return -1;
}

/* run.to: an address with a port to connect to (not 0, which only binding can take). */
static int check_to(const char *s, char **why)
{
	if (check_addr(s, why) < 0)
		return -1;
	const char *colon = strrchr(s, ':');
	if (config_parse_decimal(colon + 1, 65535) == 0) {
		char *q = config_quoted(s);
		*why = xasprintf("expected the address the program listens on, got %s: port 0 "
		                 "is for binding, not connecting",
		                 q);
		free(q);
		return -1;
	}
	return 0;
}

int config_check_addr(const char *s, char **why)
{
	return check_addr(s, why);
}
int config_check_to(const char *s, char **why)
{
	return check_to(s, why);
}

/* The longest socket name (systemd's limit for LISTEN_FDNAMES entries). */
#define MAX_LISTEN_NAME 255

/* run.listen: [NAME=]ADDR, NAME of [A-Za-z0-9_.-] (a name of LISTEN_FDNAMES). */
static int check_listen(const char *s, char **why)
{
	const char *eq = strchr(s, '='), *addr = eq ? eq + 1 : s;
	const char *problem = addr_problem(addr);
	char *q = config_quoted(s);

	if (eq == s) {
		*why = xasprintf("empty name before '=' in %s", q);
	} else if (eq && eq - s > MAX_LISTEN_NAME) {
		*why = xasprintf("the name before '=' is longer than %d bytes in %s",
		                 MAX_LISTEN_NAME, q);
	} else if (eq && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                           "0123456789_.-") < (size_t)(eq - s)) {
		*why = xasprintf("the name before '=' may hold only letters, digits, '_', '.' and "
		                 "'-', got %s",
		                 q);
	} else if (problem) {
		*why = xasprintf("expected [NAME=]ADDR with ADDR as " ADDR_FORMS ", got %s: %s", q,
		                 problem);
	} else {
		free(q);
		return 0;
	}
	free(q);
	return -1;
}

int config_check_listen(const char *s, char **why)
{
	return check_listen(s, why);
}

/* Variables golive dev sets for the program itself. */
static const char *const reserved_env[] = {"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
                                           "NOTIFY_SOCKET"};

/* run.env: NAME=value, NAME as [A-Za-z_][A-Za-z0-9_]* and not one golive dev sets. */
static int check_env(const char *s, char **why)
{
	static const char word[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
	const char *eq = strchr(s, '=');
	size_t n = eq ? (size_t)(eq - s) : 0;
	char *q = config_quoted(s);

	if (!eq || !n) {
		*why = xasprintf("expected NAME=value, got %s", q);
	} else if ((s[0] >= '0' && s[0] <= '9') || strspn(s, word) < n) {
		*why = xasprintf("the name before '=' may hold only letters, digits and '_', not "
		                 "starting with a digit, got %s",
		                 q);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(reserved_env); i++) {
			if (strlen(reserved_env[i]) == n && !memcmp(s, reserved_env[i], n)) {
				*why = xasprintf("%s is set by golive dev itself", reserved_env[i]);
				goto fail;
			}
		}
		free(q);
		return 0;
	}
fail:
	free(q);
	return -1;
}

/*
 * run: proxy and to go together, and not with listen (golive dev refuses
 * both ways at once). The error is at the key that is set (or at the
 * other, when only that one is in m).
 */
static int check_run(const struct golive_config *c, const struct ynode *m, const char *path,
                     char **cause)
{
	const struct ynode *proxy = ynode_key(m, "proxy"), *to = ynode_key(m, "to");
	const struct ynode *listen = ynode_key(m, "listen"), *at;

	if (!c->run.proxy != !c->run.to) {
		at = c->run.proxy ? (proxy ? proxy : to) : (to ? to : proxy);
		return config_fail_at(
		    cause, path, (at ? at : m)->mark, "%s",
		    c->run.proxy ? "run.proxy: needs run.to, the address the program listens on"
		                 : "run.to: needs run.proxy, the address golive accepts on");
	}
	if (c->run.proxy && c->run.listen.argc) {
		at = proxy ? proxy : to ? to : listen;
		return config_fail_at(
		    cause, path, (at ? at : m)->mark,
		    "run.proxy: does not go together with run.listen (listen is for "
		    "programs that take the socket, proxy for those that open their own)");
	}
	return 0;
}

static const struct key_spec build_keys[] = {
    {"packages", KEY_STRING_LIST, FIELD(build.packages), 0, 0, NULL},
    {"flags", KEY_STRING_LIST, FIELD(build.flags), 0, 0, NULL},
    {"output", KEY_STRING, FIELD(build.output), 0, 0, NULL},
    {"keep", KEY_BOOL, FIELD(build.keep), 0, 0, NULL},
    {"top", KEY_INT, FIELD(build.top), 0, 1000, NULL},
};

static const struct key_spec run_keys[] = {
    {"package", KEY_STRING, FIELD(run.package), 0, 0, config_check_nonempty},
    {"args", KEY_ARGV, FIELD(run.args), 0, 0, NULL},
    {"listen", KEY_STRING_LIST, FIELD(run.listen), 0, 0, check_listen},
    {"env", KEY_STRING_LIST, FIELD(run.env), 0, 0, check_env},
    {"proxy", KEY_STRING, FIELD(run.proxy), 0, 0, check_addr},
    {"to", KEY_STRING, FIELD(run.to), 0, 0, check_to},
    {"stop_signal", KEY_SIGNAL, FIELD(run.stop_signal), 0, 0, NULL},
    {"grace_ms", KEY_INT, FIELD(run.grace_ms), 0, 600000, NULL},
    {"debug_info", KEY_BOOL, FIELD(run.debug_info), 0, 0, NULL},
    {"fast", KEY_BOOL, FIELD(run.fast), 0, 0, NULL},
    {"browser", KEY_BOOL, FIELD(run.browser), 0, 0, NULL},
    {"editor_url", KEY_STRING, FIELD(run.editor_url), 0, 0, config_check_nonempty},
};

long config_parse_poll(const char *s)
{
	if (!s || strcmp(s, "auto") == 0)
		return -1;
	if (strcmp(s, "off") == 0)
		return 0;
	char *end;
	if (*s < '0' || *s > '9')
		return -2;
	double v = strtod(s, &end);
	if (strcmp(end, "s") == 0)
		v *= 1000;
	else if (strcmp(end, "ms") != 0)
		return -2;
	if (v < 10 || v > 10000)
		return -2;
	return (long)v;
}

static int check_poll(const char *s, char **why)
{
	if (config_parse_poll(s) >= -1)
		return 0;
	*why = xasprintf("want \"auto\", \"off\" or an interval of 10ms to 10s (e.g. 250ms), "
	                 "got \"%s\"",
	                 s);
	return -1;
}

static const struct key_spec watch_keys[] = {
    {"include", KEY_INCLUDE, FIELD(watch.include), 0, 0, glob_check},
    {"exclude", KEY_STRING_LIST, FIELD(watch.exclude), 0, 0, glob_check},
    {"debounce_ms", KEY_INT, FIELD(watch.debounce_ms), 0, 10000, NULL},
    {"gitignore", KEY_BOOL, FIELD(watch.gitignore), 0, 0, NULL},
    {"poll", KEY_STRING, FIELD(watch.poll), 0, 0, check_poll},
};

const struct section_spec config_section_build = {
    "build", build_keys, ARRAY_SIZE(build_keys), NULL, NULL, NULL, NULL};
const struct section_spec config_section_run = {"run", run_keys, ARRAY_SIZE(run_keys), NULL, NULL,
                                                NULL,  check_run};
const struct section_spec config_section_watch = {
    "watch", watch_keys, ARRAY_SIZE(watch_keys), NULL, NULL, NULL, NULL};
