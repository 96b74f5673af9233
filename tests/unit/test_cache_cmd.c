/*
 * Tests of `golive cache` (cmd_cache.c) through the real binary ($GOLIVE)
 * on a dir:// cache filled here with cache_put: good entries, a corrupted
 * object, a truncated one, a missing one, a manifest that is not JSON, and
 * an unsigned manifest when GOLIVE_CACHE_HMAC_KEY is set.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache_backend.h"
#include "cache/cache_entry.h"
#include "core/crypto.h"
#include "core/gotool.h"
#include "core/util.h"

struct fixture {
	char *tmp;    /* removed at the end */
	char *url;    /* dir://<tmp>/cache */
	char *config; /* an empty golive.yaml */
	struct cache_backend *b;
};

struct run {
	int status;
	struct strbuf out, err;
};

static const char *golive(void)
{
	const char *g = getenv("GOLIVE");
	return g && *g ? g : NULL;
}

static void remove_tree(const char *dir)
{
	char *argv[] = {"rm", "-rf", (char *)dir, NULL};
	char *cause = NULL;
	struct strbuf sink = STRBUF_INIT;

	gotool_run_capture(argv, &sink, NULL, 0, &cause);
	free(cause);
	strbuf_release(&sink);
}

/* Runs golive with args (NULL-terminated) in the environment as set. */
static struct run run_golive(const char *first, ...)
{
	struct run r = {0, STRBUF_INIT, STRBUF_INIT};
	struct argv_array av = ARGV_ARRAY_INIT;
	char *cause = NULL;
	va_list ap;

	argv_push(&av, golive());
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv_push(&av, a);
	va_end(ap);
	r.status = gotool_run_capture(av.argv, &r.out, &r.err, 1 << 20, &cause);
	if (r.status < 0)
		fail_msg("cannot run golive: %s", cause);
	argv_clear(&av);
	return r;
}

static void run_release(struct run *r)
{
	strbuf_release(&r->out);
	strbuf_release(&r->err);
}

/* Fails unless text has a line equal to line. */
static void assert_has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, line, n) && (p[n] == '\n' || p[n] == '\0'))
			return;
	fail_msg("no line \"%s\" in:\n%s", line, text);
}

static size_t count_lines(const char *text, const char *prefix)
{
	size_t n = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (starts_with(p, prefix))
			n++;
	return n;
}

static void hash(const char *data, size_t len, char out[65])
{
	char *cause = NULL;

	if (sha256_hex(data, len, out, &cause) < 0)
		fail_msg("sha256: %s", cause);
}

/* A cache key: the sha256 of a label. */
static void make_key(const char *label, char out[65])
{
	hash(label, strlen(label), out);
}

static void put(struct fixture *f, enum cache_ns ns, const char *name, const void *buf, size_t len)
{
	char *cause = NULL;

	if (cache_put(f->b, ns, name, buf, len, &cause) < 0)
		fail_msg("cache_put: %s", cause);
}

/* Writes ac/<key> naming the given (role, bytes) outputs; signed under hmac when non-NULL. */
static void put_entry(struct fixture *f, const char *key, const char *hmac, size_t n,
                      const char *const *roles, const char *const *contents, const size_t *sizes)
{
	struct cache_entry e;
	char *cause = NULL, *text;
	size_t len;

	memset(&e, 0, sizeof(e));
	strcpy(e.key, key);
	strcpy(e.tool, "compile");
	strcpy(e.golive, "test");
	e.tool_ns = 1000;
	e.created = 1764000000;
	for (size_t i = 0; i < n; i++) {
		strcpy(e.outputs[i].role, roles[i]);
		hash(contents[i], strlen(contents[i]), e.outputs[i].sha256);
		e.outputs[i].size = sizes ? sizes[i] : strlen(contents[i]);
	}
	e.noutputs = n;
	text = cache_entry_encode(&e, hmac, &len, &cause);
	if (!text)
		fail_msg("encode: %s", cause);
	put(f, CACHE_AC, key, text, len);
	free(text);
}

static void put_object(struct fixture *f, const char *content)
{
	char name[65];

	hash(content, strlen(content), name);
	put(f, CACHE_CAS, name, content, strlen(content));
}

static void set_env(struct fixture *f)
{
	setenv("GOLIVE_CACHE", f->url, 1);
	setenv("GOLIVE_CONFIG", f->config, 1);
	unsetenv("GOLIVE_CACHE_MODE");
	unsetenv("GOLIVE_CACHE_HMAC_KEY");
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct cache_backend_options o;
	const char *base = getenv("TMPDIR");
	char *cause = NULL;
	FILE *fp;

	f->tmp = xasprintf("%s/golive-cachecmd-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(f->tmp));
	f->url = xasprintf("dir://%s/cache", f->tmp);
	f->config = xasprintf("%s/golive.yaml", f->tmp);
	fp = fopen(f->config, "w");
	assert_non_null(fp);
	fclose(fp);
	memset(&o, 0, sizeof(o));
	o.url = f->url;
	o.max_object = 1 << 20;
	if (cache_backend_open(&o, &f->b, &cause) < 0)
		fail_msg("open %s: %s", f->url, cause);
	set_env(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cache_backend_close(f->b);
	remove_tree(f->tmp);
	free(f->tmp);
	free(f->url);
	free(f->config);
	free(f);
	unsetenv("GOLIVE_CACHE");
	unsetenv("GOLIVE_CONFIG");
	return 0;
}

static const char *const O[] = {"o"};
static const char *const O_ASM[] = {"o", "asmhdr"};

/*
 * The bad cache: 2 good entries (sharing an object), one whose object has
 * other bytes of the same size, one whose object is cut short, one whose
 * object is missing, one manifest that is not JSON.
 */
struct bad_cache {
	char good1[65], good2[65], corrupt[65], truncated[65], missing[65], garbage[65];
	char corrupt_obj[65], truncated_obj[65], missing_obj[65];
};

static void fill_bad_cache(struct fixture *f, struct bad_cache *c)
{
	const char *shared = "package a object bytes";
	const char *c_good1[] = {shared}, *c_good2[] = {"package b object", shared};
	const char *c_corrupt[] = {"the right bytes"}, *c_trunc[] = {"a long object cut short"};
	const char *c_missing[] = {"never stored"};

	make_key("good1", c->good1);
	make_key("good2", c->good2);
	make_key("corrupt", c->corrupt);
	make_key("truncated", c->truncated);
	make_key("missing", c->missing);
	make_key("garbage", c->garbage);
	hash(c_corrupt[0], strlen(c_corrupt[0]), c->corrupt_obj);
	hash(c_trunc[0], strlen(c_trunc[0]), c->truncated_obj);
	hash(c_missing[0], strlen(c_missing[0]), c->missing_obj);

	put_object(f, shared);
	put_object(f, "package b object");
	put_entry(f, c->good1, NULL, 1, O, c_good1, NULL);
	put_entry(f, c->good2, NULL, 2, O_ASM, c_good2, NULL);

	put_entry(f, c->corrupt, NULL, 1, O, c_corrupt, NULL);
	put(f, CACHE_CAS, c->corrupt_obj, "the wrong bytes", 15); /* same size */

	put_entry(f, c->truncated, NULL, 1, O, c_trunc, NULL);
	put(f, CACHE_CAS, c->truncated_obj, "a long", 6);

	put_entry(f, c->missing, NULL, 1, O, c_missing, NULL);

	put(f, CACHE_AC, c->garbage, "{\"format\":1,", 12);
}

static int skip_without_golive(void)
{
	if (!golive()) {
		skip();
		return 1;
	}
	return 0;
}

static void test_verify_finds_bad_entries(void **state)
{
	struct fixture *f = *state;
	struct bad_cache c;
	char *line;

	if (skip_without_golive())
		return;
	fill_bad_cache(f, &c);
	struct run r = run_golive("cache", "verify", NULL);
	assert_int_equal(r.status, 1);

	line = xasprintf("bad entry %.12s: cas %.12s: content does not match its sha256", c.corrupt,
	                 c.corrupt_obj);
	assert_has_line(r.out.buf, line);
	free(line);
	line = xasprintf("bad entry %.12s: cas %.12s: size 6 != 23", c.truncated, c.truncated_obj);
	assert_has_line(r.out.buf, line);
	free(line);
	line = xasprintf("bad entry %.12s: cas %.12s: missing", c.missing, c.missing_obj);
	assert_has_line(r.out.buf, line);
	free(line);
	line = xasprintf("bad entry %.12s: manifest: not JSON", c.garbage);
	assert_int_equal(count_lines(r.out.buf, line), 1);
	free(line);
	assert_int_equal(count_lines(r.out.buf, "bad entry "), 4);
	/* 2 shared + 1 + corrupt + truncated + missing: each fetched once */
	assert_has_line(r.out.buf, "golive: cache verify: 6 entries, 5 objects checked, 4 bad");
	assert_string_equal(r.err.buf, "");
	run_release(&r);

	/* --json: the same in one object */
	r = run_golive("cache", "verify", "--json", NULL);
	assert_int_equal(r.status, 1);
	json_error_t jerr;
	json_t *j = json_loads(r.out.buf, 0, &jerr);
	if (!j)
		fail_msg("%s\n%s", jerr.text, r.out.buf);
	assert_int_equal(json_integer_value(json_object_get(j, "entries")), 6);
	assert_int_equal(json_integer_value(json_object_get(j, "objects")), 5);
	assert_int_equal(json_integer_value(json_object_get(j, "bad")), 4);
	assert_int_equal(json_integer_value(json_object_get(j, "deleted")), 0);
	json_t *probs = json_object_get(j, "problems");
	assert_int_equal(json_array_size(probs), 4);
	int seen_missing = 0;
	for (size_t i = 0; i < json_array_size(probs); i++) {
		json_t *p = json_array_get(probs, i);
		const char *k = json_string_value(json_object_get(p, "key"));
		assert_non_null(k);
		assert_int_equal(strlen(k), 64);
		assert_true(json_is_false(json_object_get(p, "deleted")));
		if (!strcmp(k, c.missing)) {
			seen_missing = 1;
			line = xasprintf("cas %.12s: missing", c.missing_obj);
			assert_string_equal(json_string_value(json_object_get(p, "problem")), line);
			free(line);
		}
	}
	assert_true(seen_missing);
	json_decref(j);
	run_release(&r);

	/* --limit */
	r = run_golive("cache", "verify", "--limit", "2", NULL);
	assert_true(r.status == 0 || r.status == 1);
	assert_int_equal(count_lines(r.out.buf, "golive: cache verify: 2 entries, "), 1);
	run_release(&r);
}

static void test_verify_delete(void **state)
{
	struct fixture *f = *state;
	struct bad_cache c;
	char *cause = NULL;

	if (skip_without_golive())
		return;
	fill_bad_cache(f, &c);

	/* refused unless read-write, before anything is looked at */
	setenv("GOLIVE_CACHE_MODE", "read-only", 1);
	struct run r = run_golive("cache", "verify", "--delete", NULL);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.out.buf, "");
	assert_has_line(r.err.buf, "golive: cache verify --delete: the cache is read-only "
	                           "(--delete needs read-write)");
	run_release(&r);
	unsetenv("GOLIVE_CACHE_MODE");

	r = run_golive("cache", "verify", "--delete", NULL);
	assert_int_equal(r.status, 1);
	assert_int_equal(count_lines(r.out.buf, "bad entry "), 4);
	assert_has_line(r.out.buf,
	                "golive: cache verify: 6 entries, 5 objects checked, 4 bad (4 deleted)");
	run_release(&r);

	/* the bad manifests are gone, and the objects whose bytes did not match their name */
	assert_int_equal(f->b->ops->exists(f->b, CACHE_AC, c.corrupt, &cause), 0);
	assert_int_equal(f->b->ops->exists(f->b, CACHE_AC, c.garbage, &cause), 0);
	assert_int_equal(f->b->ops->exists(f->b, CACHE_CAS, c.corrupt_obj, &cause), 0);
	assert_int_equal(f->b->ops->exists(f->b, CACHE_CAS, c.truncated_obj, &cause), 0);
	assert_int_equal(f->b->ops->exists(f->b, CACHE_AC, c.good1, &cause), 1);
	assert_int_equal(f->b->ops->exists(f->b, CACHE_AC, c.good2, &cause), 1);

	r = run_golive("cache", "verify", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out.buf,
	                    "golive: cache verify: 2 entries, 2 objects checked, 0 bad\n");
	run_release(&r);
}

static void test_verify_hmac(void **state)
{
	struct fixture *f = *state;
	char signed_key[65], unsigned_key[65], other_key[65], *line;
	const char *content[] = {"signed object"};

	if (skip_without_golive())
		return;
	make_key("signed", signed_key);
	make_key("unsigned", unsigned_key);
	make_key("other", other_key);
	put_object(f, content[0]);
	put_entry(f, signed_key, "team-secret", 1, O, content, NULL);
	put_entry(f, unsigned_key, NULL, 1, O, content, NULL);
	put_entry(f, other_key, "another-secret", 1, O, content, NULL);

	/* without a key: nothing checks signatures */
	struct run r = run_golive("cache", "verify", NULL);
	assert_int_equal(r.status, 0);
	assert_has_line(r.out.buf, "golive: cache verify: 3 entries, 1 objects checked, 0 bad");
	run_release(&r);

	setenv("GOLIVE_CACHE_HMAC_KEY", "team-secret", 1);
	r = run_golive("cache", "verify", NULL);
	unsetenv("GOLIVE_CACHE_HMAC_KEY");
	assert_int_equal(r.status, 1);
	line = xasprintf("bad entry %.12s: manifest: not signed", unsigned_key);
	assert_has_line(r.out.buf, line);
	free(line);
	line = xasprintf("bad entry %.12s: manifest: bad signature", other_key);
	assert_has_line(r.out.buf, line);
	free(line);
	assert_has_line(r.out.buf, "golive: cache verify: 3 entries, 1 objects checked, 2 bad");
	run_release(&r);
}

static void test_stats(void **state)
{
	struct fixture *f = *state;
	struct bad_cache c;

	if (skip_without_golive())
		return;
	fill_bad_cache(f, &c);
	struct run r = run_golive("cache", "stats", "--json", NULL);
	assert_int_equal(r.status, 0);
	json_error_t jerr;
	json_t *j = json_loads(r.out.buf, 0, &jerr);
	if (!j)
		fail_msg("%s\n%s", jerr.text, r.out.buf);
	assert_string_equal(json_string_value(json_object_get(j, "backend")), f->url);
	assert_string_equal(json_string_value(json_object_get(j, "from")), "GOLIVE_CACHE");
	assert_string_equal(json_string_value(json_object_get(j, "mode")), "read-write");
	assert_true(json_is_string(json_object_get(j, "server")));
	assert_int_equal(json_integer_value(json_object_get(j, "entries")), 6);
	/* 2 good + corrupt + truncated (the missing one never stored) */
	assert_int_equal(json_integer_value(json_object_get(j, "objects")), 4);
	json_t *bytes = json_object_get(j, "bytes");
	assert_true(json_is_integer(bytes) || json_is_null(bytes));
	assert_true(json_is_number(json_object_get(j, "latency_ms")));
	assert_true(json_number_value(json_object_get(j, "latency_ms")) >= 0);
	json_decref(j);
	run_release(&r);

	r = run_golive("cache", "stats", NULL);
	assert_int_equal(r.status, 0);
	char *line = xasprintf("backend  %s (from GOLIVE_CACHE)", f->url);
	assert_has_line(r.out.buf, line);
	free(line);
	assert_has_line(r.out.buf, "mode     read-write");
	assert_has_line(r.out.buf, "entries  6");
	assert_has_line(r.out.buf, "objects  4");
	assert_int_equal(count_lines(r.out.buf, "latency  "), 1);
	run_release(&r);
}

static void test_no_cache_and_usage(void **state)
{
	(void)state;
	if (skip_without_golive())
		return;

	setenv("GOLIVE_CACHE", "off", 1);
	struct run r = run_golive("cache", "stats", NULL);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err.buf, "golive: no cache configured (set cache.backend in "
	                               "golive.yaml or GOLIVE_CACHE)\n");
	run_release(&r);
	r = run_golive("cache", "verify", NULL);
	assert_int_equal(r.status, 2);
	run_release(&r);

	setenv("GOLIVE_CACHE", "bogus", 1);
	r = run_golive("cache", "stats", NULL);
	assert_int_equal(r.status, 2);
	assert_true(starts_with(r.err.buf, "golive: GOLIVE_CACHE: "));
	run_release(&r);

	setenv("GOLIVE_CACHE", "ftp://x/", 1);
	r = run_golive("cache", "stats", NULL);
	assert_int_equal(r.status, 2);
	assert_true(starts_with(r.err.buf, "golive: cache.backend: unsupported scheme"));
	run_release(&r);

	/* HTTP cannot list: verify says so; no request is made */
	setenv("GOLIVE_CACHE", "http://user:pw@127.0.0.1:1/golive/", 1);
	r = run_golive("cache", "verify", NULL);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err.buf, "golive: cache verify: http://127.0.0.1:1/golive/ cannot "
	                               "list its entries (HTTP); verify works on dir:// and "
	                               "redis:// backends\n");
	run_release(&r);

	/* unreachable: one line, exit 1, no credentials */
	setenv("GOLIVE_CACHE", "redis://user:pw@127.0.0.1:1/0", 1);
	r = run_golive("cache", "stats", NULL);
	assert_int_equal(r.status, 1);
	assert_true(starts_with(r.err.buf, "golive: cache redis://127.0.0.1:1/0: "));
	assert_null(strstr(r.err.buf, "pw"));
	assert_int_equal(count_lines(r.err.buf, ""), 1);
	run_release(&r);
	r = run_golive("cache", "verify", NULL);
	assert_int_equal(r.status, 1);
	assert_true(starts_with(r.err.buf, "golive: cache redis://127.0.0.1:1/0: "));
	run_release(&r);
	unsetenv("GOLIVE_CACHE");

	r = run_golive("cache", NULL);
	assert_int_equal(r.status, 2);
	assert_true(starts_with(r.err.buf, "usage: golive cache stats"));
	run_release(&r);
	r = run_golive("cache", "help", NULL);
	assert_int_equal(r.status, 0);
	assert_true(starts_with(r.out.buf, "usage: golive cache stats"));
	run_release(&r);
	r = run_golive("help", "cache", NULL);
	assert_int_equal(r.status, 0);
	assert_true(starts_with(r.out.buf, "usage: golive cache stats"));
	run_release(&r);
	r = run_golive("cache", "purge", NULL);
	assert_int_equal(r.status, 2);
	run_release(&r);
	r = run_golive("cache", "verify", "--limit", "0", NULL);
	assert_int_equal(r.status, 2);
	run_release(&r);
	r = run_golive("cache", "stats", "--delete", NULL);
	assert_int_equal(r.status, 2);
	run_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_verify_finds_bad_entries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verify_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verify_hmac, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_cache_and_usage, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
