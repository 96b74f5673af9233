/* testrun.c - see testrun.h. */
#define _GNU_SOURCE
#include "gotest/testrun.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

struct testrun_live {
	char *pkg, *test;
	struct strbuf out;
};

void testrun_init(struct testrun *r)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->partial, 0);
}

static void live_free(struct testrun_live *l)
{
	free(l->pkg);
	free(l->test);
	strbuf_release(&l->out);
	free(l);
}

void testrun_release(struct testrun *r)
{
	for (size_t i = 0; i < r->pkgs.n; i++)
		free(r->pkgs.v[i].path);
	for (size_t i = 0; i < r->failures.n; i++) {
		free(r->failures.v[i].pkg);
		free(r->failures.v[i].test);
		free(r->failures.v[i].file);
		free(r->failures.v[i].message);
	}
	for (size_t i = 0; i < r->timings.n; i++) {
		free(r->timings.v[i].pkg);
		free(r->timings.v[i].test);
	}
	for (size_t i = 0; i < r->live.n; i++)
		live_free(r->live.v[i]);
	ARRAY_FREE(r->pkgs);
	ARRAY_FREE(r->failures);
	ARRAY_FREE(r->timings);
	ARRAY_FREE(r->live);
	argv_clear(&r->failed_tests);
	strbuf_release(&r->partial);
	memset(r, 0, sizeof(*r));
}

static void emit(struct testrun *r, enum test_stream s, const char *text, size_t len)
{
	if (r->emit && len)
		r->emit(s, text, len, r->data);
}

struct test_pkg *testrun_pkg(struct testrun *r, const char *path)
{
	for (size_t i = 0; i < r->pkgs.n; i++)
		if (strcmp(r->pkgs.v[i].path, path) == 0)
			return &r->pkgs.v[i];
	struct test_pkg p = {xstrdup(path), TEST_PKG_RUNNING, 0, 0};
	ARRAY_PUSH(r->pkgs, p);
	return &r->pkgs.v[r->pkgs.n - 1];
}

static struct testrun_live *live_get(struct testrun *r, const char *pkg, const char *test,
                                     int create, size_t *at)
{
	for (size_t i = 0; i < r->live.n; i++)
		if (strcmp(r->live.v[i]->test, test) == 0 && strcmp(r->live.v[i]->pkg, pkg) == 0) {
			if (at)
				*at = i;
			return r->live.v[i];
		}
	if (!create)
		return NULL;
	struct testrun_live *l = xcalloc(1, sizeof(*l));
	l->pkg = xstrdup(pkg);
	l->test = xstrdup(test);
	strbuf_init(&l->out, 0);
	ARRAY_PUSH(r->live, l);
	if (at)
		*at = r->live.n - 1;
	return l;
}

int testrun_parse_location(const char *text, char **file, int *line, char **msg)
{
	const char *p = text;
	if (*p != ' ' && *p != '\t')
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	const char *f = p;
	while (*p && *p != ':' && *p != ' ' && *p != '\t' && *p != '\n')
		p++;
	if (*p != ':' || p - f < 4 || strncmp(p - 3, ".go", 3) != 0)
		return 0;
	const char *fe = p++;
	if (!isdigit((unsigned char)*p))
		return 0;
	long n = 0;
	while (isdigit((unsigned char)*p) && n < 100000000)
		n = n * 10 + (*p++ - '0');
	if (*p != ':')
		return 0;
	p++;
	while (*p == ' ')
		p++;
	size_t ml = strcspn(p, "\n");
	*file = xstrndup(f, (size_t)(fe - f));
	*line = (int)n;
	*msg = xstrndup(p, ml);
	return 1;
}

/* A panic's first frame in a _test.go file: "\t/abs/dir/x_test.go:12 +0x1d". */
static int parse_panic_frame(const char *text, char **file, int *line)
{
	if (text[0] != '\t' || text[1] != '/')
		return 0;
	const char *p = text + 1, *colon = NULL;
	for (const char *q = p; *q && *q != ' ' && *q != '\n'; q++)
		if (*q == ':')
			colon = q;
	if (!colon || colon - p < 9 || strncmp(colon - 8, "_test.go", 8) != 0 ||
	    !isdigit((unsigned char)colon[1]))
		return 0;
	const char *slash = colon;
	while (slash > p && slash[-1] != '/')
		slash--;
	*file = xstrndup(slash, (size_t)(colon - slash));
	*line = atoi(colon + 1);
	return 1;
}

static void add_failure(struct testrun *r, const char *pkg, const char *test, char *file, int line,
                        char *msg)
{
	struct test_failure f = {xstrdup(pkg), xstrdup(test), file, line, msg};
	ARRAY_PUSH(r->failures, f);
}

/* Failures from a failed test's own output. */
static void collect_failures(struct testrun *r, struct testrun_live *l)
{
	int found = 0, panicked = 0;
	const char *s = l->out.buf ? l->out.buf : "";
	while (*s) {
		size_t n = strcspn(s, "\n");
		char *ln = xstrndup(s, n), *file, *msg;
		int line;
		if (!panicked && testrun_parse_location(ln, &file, &line, &msg)) {
			add_failure(r, l->pkg, l->test, file, line, msg);
			found = 1;
		} else if (starts_with(ln, "panic: ")) {
			panicked = 1;
			if (!found) {
				/* the first frame in a test file, below */
				for (const char *t = s + n; *t;) {
					size_t m = strcspn(t, "\n");
					char *fl = xstrndup(t, m);
					if (parse_panic_frame(fl, &file, &line)) {
						add_failure(r, l->pkg, l->test, file, line,
						            xstrdup(ln));
						found = 1;
						free(fl);
						break;
					}
					free(fl);
					t += m + (t[m] == '\n');
				}
			}
		}
		free(ln);
		s += n + (s[n] == '\n');
	}
	if (!found) {
		/* settled in testrun_finish: unless a subtest failed */
		argv_pushf(&r->failed_tests, "?%s\t%s", l->pkg, l->test);
	}
	argv_pushf(&r->failed_tests, "%s\t%s", l->pkg, l->test);
}

static int is_marker_line(const char *s)
{
	return starts_with(s, "=== RUN") || starts_with(s, "=== PAUSE") ||
	       starts_with(s, "=== CONT") || starts_with(s, "=== NAME");
}

/* Emits a finished test's buffered output, without the === lines. */
static void emit_test_output(struct testrun *r, const struct strbuf *out)
{
	const char *s = out->buf ? out->buf : "";
	while (*s) {
		size_t n = strcspn(s, "\n");
		size_t m = n + (s[n] == '\n');
		char *ln = xstrndup(s, n);
		if (!is_marker_line(ln))
			emit(r, TEST_OUT, s, m);
		free(ln);
		s += m;
	}
}

static void on_event(struct testrun *r, json_t *o)
{
	const char *action = json_string_value(json_object_get(o, "Action"));
	const char *pkg = json_string_value(json_object_get(o, "Package"));
	const char *test = json_string_value(json_object_get(o, "Test"));
	const char *out = json_string_value(json_object_get(o, "Output"));
	double elapsed = json_number_value(json_object_get(o, "Elapsed"));
	if (!action)
		return;
	if (strcmp(action, "build-output") == 0) {
		if (out)
			emit(r, TEST_ERR, out, strlen(out));
		return;
	}
	if (strcmp(action, "build-fail") == 0) {
		const char *ip = json_string_value(json_object_get(o, "ImportPath"));
		if (ip) {
			char *sp = xstrndup(ip, strcspn(ip, " ")); /* "p [p.test]" */
			testrun_pkg(r, sp)->build_failed = 1;
			free(sp);
		}
		return;
	}
	if (!pkg)
		return;
	if (!test) {
		struct test_pkg *p = testrun_pkg(r, pkg);
		if (strcmp(action, "output") == 0 && out) {
			if (strcmp(out, "PASS\n") != 0 && strcmp(out, "FAIL\n") != 0 &&
			    !starts_with(out, "testing: warning: no tests to run"))
				emit(r, TEST_OUT, out, strlen(out));
		} else if (strcmp(action, "pass") == 0) {
			p->result = TEST_PKG_OK;
			p->elapsed = elapsed;
		} else if (strcmp(action, "fail") == 0) {
			p->result = TEST_PKG_FAIL;
			p->elapsed = elapsed;
			if (json_object_get(o, "FailedBuild"))
				p->build_failed = 1;
		} else if (strcmp(action, "skip") == 0) {
			p->result = TEST_PKG_NOTESTS;
			p->elapsed = elapsed;
		}
		return;
	}
	if (strcmp(action, "output") == 0) {
		if (!out)
			return;
		if (r->verbose) {
			emit(r, TEST_OUT, out, strlen(out));
			return;
		}
		struct testrun_live *l = live_get(r, pkg, test, 1, NULL);
		if (l->out.len < (4u << 20))
			strbuf_addstr(&l->out, out);
		return;
	}
	int pass = strcmp(action, "pass") == 0, fail = strcmp(action, "fail") == 0,
	    skip = strcmp(action, "skip") == 0;
	if (!pass && !fail && !skip) {
		if (strcmp(action, "run") == 0)
			live_get(r, pkg, test, 1, NULL);
		return;
	}
	pass ? r->passed++ : fail ? r->failed++ : r->skipped++;
	size_t at;
	struct testrun_live *l = live_get(r, pkg, test, 0, &at);
	if (fail) {
		struct testrun_live empty = {(char *)pkg, (char *)test, STRBUF_INIT};
		if (!r->verbose)
			emit_test_output(r, l ? &l->out : &empty.out);
		collect_failures(r, l ? l : &empty);
	}
	if (!strchr(test, '/')) {
		struct test_timing t = {xstrdup(pkg), xstrdup(test), elapsed};
		ARRAY_PUSH(r->timings, t);
	}
	if (l) {
		live_free(l);
		r->live.v[at] = r->live.v[--r->live.n];
	}
}

static void on_line(struct testrun *r, const char *line, size_t len)
{
	json_error_t err;
	json_t *o = len && line[0] == '{' ? json_loadb(line, len, 0, &err) : NULL;
	if (o && json_is_object(o)) {
		on_event(r, o);
	} else if (len) {
		emit(r, TEST_OUT, line, len);
		emit(r, TEST_OUT, "\n", 1);
	}
	json_decref(o);
}

void testrun_feed(struct testrun *r, const char *buf, size_t len)
{
	while (len) {
		const char *nl = memchr(buf, '\n', len);
		if (!nl) {
			strbuf_add(&r->partial, buf, len);
			return;
		}
		size_t n = (size_t)(nl - buf);
		if (r->partial.len) {
			strbuf_add(&r->partial, buf, n);
			on_line(r, r->partial.buf, r->partial.len);
			strbuf_reset(&r->partial);
		} else {
			on_line(r, buf, n);
		}
		buf += n + 1;
		len -= n + 1;
	}
}

void testrun_finish(struct testrun *r)
{
	if (r->partial.len) {
		on_line(r, r->partial.buf, r->partial.len);
		strbuf_reset(&r->partial);
	}
	/* failed tests without a location: one failure, unless a subtest failed */
	for (size_t i = 0; i < r->failed_tests.argc; i++) {
		const char *e = r->failed_tests.argv[i];
		if (e[0] != '?')
			continue;
		size_t n = strlen(e + 1);
		int sub = 0;
		for (size_t j = 0; j < r->failed_tests.argc && !sub; j++) {
			const char *f = r->failed_tests.argv[j];
			sub = f[0] != '?' && strncmp(f, e + 1, n) == 0 && f[n] == '/';
		}
		if (sub)
			continue;
		const char *tab = strchr(e + 1, '\t');
		char *pkg = xstrndup(e + 1, (size_t)(tab - e - 1));
		add_failure(r, pkg, tab + 1, NULL, 0, xstrdup("failed"));
		free(pkg);
	}
	argv_clear(&r->failed_tests);
	/* packages whose tests never ended (a build failure, a crash): failed */
	for (size_t i = 0; i < r->pkgs.n; i++)
		if (r->pkgs.v[i].result == TEST_PKG_RUNNING && r->pkgs.v[i].build_failed)
			r->pkgs.v[i].result = TEST_PKG_FAIL;
}

static int cmp_timing(const void *a, const void *b)
{
	const struct test_timing *x = a, *y = b;
	if (x->elapsed != y->elapsed)
		return x->elapsed > y->elapsed ? -1 : 1;
	int c = strcmp(x->pkg, y->pkg);
	return c ? c : strcmp(x->test, y->test);
}

void testrun_sort_timings(struct testrun *r)
{
	if (r->timings.n)
		qsort(r->timings.v, r->timings.n, sizeof(*r->timings.v), cmp_timing);
}
