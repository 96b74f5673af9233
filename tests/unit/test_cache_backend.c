/*
 * test_cache_backend.c - the shared compile cache's storage
 * (cache_backend.h): the dir backend on a temporary directory, and the
 * redis and http backends against real servers (redis-server and nginx
 * WebDAV, started on 127.0.0.1 by tests/cache_servers.sh, which stops them
 * when our end of its stdin closes), plus a listener that never answers.
 *
 * Every backend gets the same round trips (small, empty, 9 MiB: chunked
 * in Redis), missing names, exists, del, bad names and max_object; then
 * what is its own: listing, stats, TTLs and chunk corruption (Redis), auth
 * (Redis requirepass and ACL users, nginx Basic and Bearer), dead and hung
 * servers. No cause may hold a password. Timing assertions are one-sided
 * and generous: a hung server must fail the request within five times its
 * timeout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache/cache_backend.h"
#include "core/util.h"

#define MS         1000000LL /* nanoseconds */
#define BIG_SIZE   ((size_t)9 << 20)
#define REDIS_PASS "Sekr1t-redis-pw"
#define ACL_USER   "alice"
#define ACL_PASS   "Sekr1t-acl-pw"
#define HTTP_USER  "bob"
#define HTTP_PASS  "Sekr1t-http-pw"
#define HTTP_TOKEN "Sekr1t-token"
#define HANG_MS    300L

/* ---- servers ------------------------------------------------------------------------ */

struct server {
	pid_t pid;
	int stdin_fd; /* closing it stops the server */
	int port;
	char *dir; /* the server's temporary directory (nginx: DIR/www is the root) */
};

static struct server redis_plain, redis_auth, redis_acl, nginx_plain, nginx_basic, nginx_bearer,
    hang;

/* Starts tests/cache_servers.sh kind cred and reads its "PORT n" and "DIR d" lines. */
static int server_start(struct server *s, const char *kind, const char *cred)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		return -1;
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		setpgid(0, 0); /* the script and its server: one group, killed together */
		dup2(in[0], 0);
		dup2(out[1], 1);
		execlp("bash", "bash", "tests/cache_servers.sh", kind, cred, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	s->stdin_fd = in[1];

	char buf[4096];
	size_t n = 0;
	int lines = 0;
	while (lines < 2 && n < sizeof(buf) - 1) {
		struct pollfd pfd = {out[0], POLLIN, 0};
		if (poll(&pfd, 1, 30000) != 1)
			break;
		ssize_t r = read(out[0], buf + n, 1);
		if (r <= 0)
			break;
		if (buf[n++] == '\n')
			lines++;
	}
	buf[n] = '\0';
	close(out[0]);
	char dir[4096];
	if (lines < 2 || sscanf(buf, "PORT %d\nDIR %4095s", &s->port, dir) != 2) {
		fprintf(stderr, "cache_servers.sh %s did not start (\"%s\")\n", kind, buf);
		return -1;
	}
	s->dir = xstrdup(dir);
	return 0;
}

/* Closes the server's stdin and waits (at most 15 s) for it to stop. */
static void server_stop(struct server *s)
{
	if (!s->pid)
		return;
	close(s->stdin_fd);
	pid_t w = 0;
	for (int i = 0; i < 1500 && w == 0; i++) {
		w = waitpid(s->pid, NULL, WNOHANG);
		if (w == 0)
			usleep(10000);
	}
	if (w == 0) {
		kill(-s->pid, SIGKILL); /* the server too, not just the script */
		waitpid(s->pid, NULL, 0);
	} else {
		kill(-s->pid, SIGKILL); /* whatever the script left in its group */
	}
	free(s->dir);
	memset(s, 0, sizeof(*s));
}

/* A port on 127.0.0.1 with nothing listening (bound, then closed). */
static int dead_port(void)
{
	struct sockaddr_in a = {0};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static int start_all(void **state)
{
	(void)state;
	static const char *const vars[] = {
	    "GOLIVE_CACHE_TOKEN", "GOLIVE_CACHE_USER", "GOLIVE_CACHE_PASSWORD",
	    "http_proxy",         "HTTP_PROXY",        "https_proxy",
	    "HTTPS_PROXY",        "all_proxy",         "ALL_PROXY"};
	for (size_t i = 0; i < ARRAY_SIZE(vars); i++)
		unsetenv(vars[i]);
	if (server_start(&redis_plain, "redis", "") < 0 ||
	    server_start(&redis_auth, "redis", REDIS_PASS) < 0 ||
	    server_start(&redis_acl, "redis", ACL_USER ":" ACL_PASS) < 0 ||
	    server_start(&nginx_plain, "nginx", "") < 0 ||
	    server_start(&nginx_basic, "nginx", HTTP_USER ":" HTTP_PASS) < 0 ||
	    server_start(&nginx_bearer, "nginx", "token=" HTTP_TOKEN) < 0 ||
	    server_start(&hang, "hang", "") < 0)
		return -1;
	return 0;
}

static int stop_all(void **state)
{
	(void)state;
	server_stop(&redis_plain);
	server_stop(&redis_auth);
	server_stop(&redis_acl);
	server_stop(&nginx_plain);
	server_stop(&nginx_basic);
	server_stop(&nginx_bearer);
	server_stop(&hang);
	return 0;
}

/* ---- helpers ------------------------------------------------------------------------- */

/* A name: 64 hex digits made from seed. */
static void name_of(unsigned seed, char hex[65])
{
	uint64_t x = 0x9e3779b97f4a7c15ULL * (seed + 1);
	for (int i = 0; i < 64; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		hex[i] = "0123456789abcdef"[x & 15];
	}
	hex[64] = '\0';
}

/* n bytes of noise from seed (caller frees). */
static char *noise(size_t n, unsigned seed)
{
	char *p = xmalloc(n ? n : 1);
	uint64_t x = 0x2545f4914f6cdd1dULL + seed;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		p[i] = (char)(x >> 24);
	}
	return p;
}

static struct cache_backend *open_backend(const char *url, long timeout_ms, long ttl_s,
                                          const char *prefix, size_t max_object)
{
	struct cache_backend_options o = {url, timeout_ms, ttl_s, prefix, max_object};
	struct cache_backend *b = NULL;
	char *cause = NULL;
	if (cache_backend_open(&o, &b, &cause) < 0)
		fail_msg("cache_backend_open %s: %s", url, cause);
	assert_null(cause);
	return b;
}

/* The cause of a failure: no password or token in it, one line, not empty. */
static void check_cause(const char *cause)
{
	assert_non_null(cause);
	assert_true(*cause);
	assert_null(strchr(cause, '\n'));
	assert_null(strstr(cause, "Sekr1t"));
}

static void expect_get(struct cache_backend *b, enum cache_ns ns, const char *hex, const char *want,
                       size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	char *cause = NULL;
	strbuf_addstr(&sb, "stale");
	int rc = b->ops->get(b, ns, hex, &sb, &cause);
	if (rc != 1)
		fail_msg("get %s: %d (%s)", hex, rc, cause ? cause : "");
	assert_null(cause);
	assert_int_equal(sb.len, len);
	assert_true(len == 0 || memcmp(sb.buf, want, len) == 0);
	strbuf_release(&sb);
}

static void expect_put(struct cache_backend *b, enum cache_ns ns, const char *hex, const void *buf,
                       size_t len)
{
	char *cause = NULL;
	int rc = cache_put(b, ns, hex, buf, len, &cause);
	if (rc != 0)
		fail_msg("put %s: %d (%s)", hex, rc, cause ? cause : "");
}

static void expect_missing(struct cache_backend *b, enum cache_ns ns, const char *hex)
{
	struct strbuf sb = STRBUF_INIT;
	char *cause = NULL;
	strbuf_addstr(&sb, "stale");
	assert_int_equal(cache_get(b, ns, hex, &sb, &cause), 0);
	assert_null(cause);
	assert_int_equal(sb.len, 0);
	assert_int_equal(b->ops->exists(b, ns, hex, &cause), 0);
	assert_null(cause);
	strbuf_release(&sb);
}

/* A failing get: -1, an empty buffer, and a cause holding want (returned, caller frees). */
static char *expect_get_fails(struct cache_backend *b, enum cache_ns ns, const char *hex,
                              const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	char *cause = NULL;
	int rc = cache_get(b, ns, hex, &sb, &cause);
	if (rc != -1)
		fail_msg("get %s: %d, want -1", hex, rc);
	check_cause(cause);
	if (!strstr(cause, want))
		fail_msg("cause \"%s\" does not say \"%s\"", cause, want);
	assert_int_equal(sb.len, 0);
	strbuf_release(&sb);
	return cause;
}

/*
 * What every backend must do: round trips of a small manifest, an empty
 * object and a 9 MiB one, missing names, exists, del (twice), overwrite,
 * bad names, and max_object on put and get (big is a backend on the same
 * store whose max_object is 1000).
 */
static void common_checks(struct cache_backend *b, struct cache_backend *small)
{
	char a[65], c[65], e[65], m[65];
	char *cause = NULL;
	name_of(1, a), name_of(2, c), name_of(3, e), name_of(4, m);
	const char *manifest = "{\"format\":1}";
	char *big = noise(BIG_SIZE, 7);

	expect_missing(b, CACHE_AC, a);
	expect_put(b, CACHE_AC, a, manifest, strlen(manifest));
	expect_get(b, CACHE_AC, a, manifest, strlen(manifest));
	assert_int_equal(b->ops->exists(b, CACHE_AC, a, &cause), 1);
	/* The namespaces are apart. */
	expect_missing(b, CACHE_CAS, a);

	expect_put(b, CACHE_CAS, e, "", 0);
	expect_get(b, CACHE_CAS, e, "", 0);
	assert_int_equal(b->ops->exists(b, CACHE_CAS, e, &cause), 1);

	expect_put(b, CACHE_CAS, c, big, BIG_SIZE);
	expect_get(b, CACHE_CAS, c, big, BIG_SIZE);
	/* Overwriting with the same bytes (two builders storing one output) is fine. */
	expect_put(b, CACHE_CAS, c, big, BIG_SIZE);
	expect_get(b, CACHE_CAS, c, big, BIG_SIZE);

	/* Overwriting a manifest. */
	expect_put(b, CACHE_AC, a, "{}", 2);
	expect_get(b, CACHE_AC, a, "{}", 2);

	assert_int_equal(b->ops->del(b, CACHE_AC, a, &cause), 0);
	assert_null(cause);
	expect_missing(b, CACHE_AC, a);
	assert_int_equal(b->ops->del(b, CACHE_AC, a, &cause), 0);
	assert_null(cause);
	assert_int_equal(b->ops->del(b, CACHE_CAS, c, &cause), 0);
	expect_missing(b, CACHE_CAS, c);
	assert_int_equal(b->ops->del(b, CACHE_CAS, e, &cause), 0);
	expect_missing(b, CACHE_CAS, e);

	/* Bad names, in every operation. */
	char upper[65], shorter[64];
	name_of(5, upper);
	upper[10] = 'A';
	memcpy(shorter, a, 63);
	shorter[63] = '\0';
	char *longer = xasprintf("%s0", a);
	const char *bad[] = {upper, shorter, longer, "", "../../../../etc/passwd", NULL};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct strbuf sb = STRBUF_INIT;
		cause = NULL;
		assert_int_equal(b->ops->get(b, CACHE_AC, bad[i], &sb, &cause), -1);
		assert_non_null(strstr(cause, "bad cache name"));
		free(cause), cause = NULL;
		assert_int_equal(b->ops->put(b, CACHE_CAS, bad[i], "x", 1, &cause), -1);
		assert_non_null(strstr(cause, "bad cache name"));
		free(cause), cause = NULL;
		assert_int_equal(b->ops->exists(b, CACHE_AC, bad[i], &cause), -1);
		assert_non_null(strstr(cause, "bad cache name"));
		free(cause), cause = NULL;
		assert_int_equal(b->ops->del(b, CACHE_CAS, bad[i], &cause), -1);
		assert_non_null(strstr(cause, "bad cache name"));
		free(cause), cause = NULL;
		strbuf_release(&sb);
	}
	free(longer);
	assert_int_equal(b->ops->exists(b, (enum cache_ns)7, a, &cause), -1);
	free(cause), cause = NULL;

	/* max_object: put refuses, get refuses what another writer stored. */
	char *k = noise(1001, 3);
	assert_int_equal(small->ops->put(small, CACHE_CAS, m, k, 1001, &cause), -1);
	check_cause(cause);
	assert_non_null(strstr(cause, "larger than max_object"));
	free(cause), cause = NULL;
	expect_missing(b, CACHE_CAS, m);
	expect_put(small, CACHE_CAS, m, k, 1000);
	expect_get(small, CACHE_CAS, m, k, 1000);
	expect_put(b, CACHE_CAS, m, k, 1001);
	free(expect_get_fails(small, CACHE_CAS, m, "larger than max_object"));
	expect_get(b, CACHE_CAS, m, k, 1001);
	assert_int_equal(b->ops->del(b, CACHE_CAS, m, &cause), 0);
	free(k);
	free(big);
}

struct names {
	ARRAY(char *) v;
	int stop_after; /* answer 7 after this many, 0 = never */
};

static int collect(const char *hex, void *arg)
{
	struct names *n = arg;
	ARRAY_PUSH(n->v, xstrdup(hex));
	return n->stop_after && (int)n->v.n >= n->stop_after ? 7 : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(struct names *n)
{
	for (size_t i = 0; i < n->v.n; i++)
		free(n->v.v[i]);
	ARRAY_FREE(n->v);
}

/* list: 3 manifests and 2 objects (one of them 9 MiB), listed exactly; stopping early. */
static void list_checks(struct cache_backend *b)
{
	char ac[3][65], cas[2][65];
	char *cause = NULL;
	char *big = noise(BIG_SIZE, 9);
	for (int i = 0; i < 3; i++) {
		name_of(100 + (unsigned)i, ac[i]);
		expect_put(b, CACHE_AC, ac[i], "{}", 2);
	}
	name_of(200, cas[0]), name_of(201, cas[1]);
	expect_put(b, CACHE_CAS, cas[0], "x", 1);
	expect_put(b, CACHE_CAS, cas[1], big, BIG_SIZE);

	struct names n = {ARRAY_INIT, 0};
	assert_int_equal(b->ops->list(b, CACHE_AC, collect, &n, &cause), 0);
	assert_null(cause);
	assert_int_equal(n.v.n, 3);
	qsort(n.v.v, n.v.n, sizeof(char *), cmp_str);
	char *want[3] = {ac[0], ac[1], ac[2]};
	qsort(want, 3, sizeof(char *), cmp_str);
	for (int i = 0; i < 3; i++)
		assert_string_equal(n.v.v[i], want[i]);
	names_free(&n);

	assert_int_equal(b->ops->list(b, CACHE_CAS, collect, &n, &cause), 0);
	assert_int_equal(n.v.n, 2); /* the chunks are not names */
	qsort(n.v.v, n.v.n, sizeof(char *), cmp_str);
	assert_string_equal(n.v.v[0], strcmp(cas[0], cas[1]) < 0 ? cas[0] : cas[1]);
	assert_string_equal(n.v.v[1], strcmp(cas[0], cas[1]) < 0 ? cas[1] : cas[0]);
	names_free(&n);

	n.stop_after = 2;
	assert_int_equal(b->ops->list(b, CACHE_AC, collect, &n, &cause), 7);
	assert_int_equal(n.v.n, 2);
	names_free(&n);

	struct cache_backend_stats st;
	assert_int_equal(b->ops->stats(b, &st, &cause), 0);
	assert_null(cause);
	assert_int_equal(st.ac_entries, 3);
	assert_int_equal(st.cas_objects, 2);
	assert_true(st.bytes >= (long long)(3 * 2 + 1 + BIG_SIZE));
	assert_true(st.bytes <= (long long)(3 * 2 + 1 + BIG_SIZE + 200));
	assert_non_null(st.server);
	cache_backend_stats_release(&st);
	assert_null(st.server);

	for (int i = 0; i < 3; i++)
		assert_int_equal(b->ops->del(b, CACHE_AC, ac[i], &cause), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(b->ops->del(b, CACHE_CAS, cas[i], &cause), 0);
	assert_int_equal(b->ops->list(b, CACHE_AC, collect, &n, &cause), 0);
	assert_int_equal(n.v.n, 0);
	free(big);
}

/* A request to a server that never answers fails within 5x the timeout. */
static void expect_timeout(struct cache_backend *b)
{
	char hex[65];
	char *cause = NULL;
	struct strbuf sb = STRBUF_INIT;
	name_of(1, hex);
	int64_t t0 = now_mono_ns();
	assert_int_equal(b->ops->get(b, CACHE_AC, hex, &sb, &cause), -1);
	int64_t took = now_mono_ns() - t0;
	check_cause(cause);
	if (!strstr(cause, "timeout"))
		fail_msg("cause \"%s\" does not name the timeout", cause);
	if (took > 5 * HANG_MS * MS)
		fail_msg("a hung request took %lld ms (timeout %ld ms)", (long long)(took / MS),
		         HANG_MS);
	free(cause), cause = NULL;
	t0 = now_mono_ns();
	assert_int_equal(b->ops->put(b, CACHE_AC, hex, "{}", 2, &cause), -1);
	assert_true(now_mono_ns() - t0 <= 5 * HANG_MS * MS);
	check_cause(cause);
	free(cause);
	strbuf_release(&sb);
}

/* Every operation against a port where nothing listens fails at once, naming the server. */
static void expect_down(struct cache_backend *b, const char *where)
{
	char hex[65];
	char *cause = NULL;
	struct strbuf sb = STRBUF_INIT;
	struct cache_backend_stats st;
	name_of(1, hex);
	int64_t t0 = now_mono_ns();
	assert_int_equal(b->ops->get(b, CACHE_AC, hex, &sb, &cause), -1);
	assert_true(now_mono_ns() - t0 <= 5 * HANG_MS * MS);
	check_cause(cause);
	if (!strstr(cause, where))
		fail_msg("cause \"%s\" does not name %s", cause, where);
	free(cause), cause = NULL;
	assert_int_equal(b->ops->put(b, CACHE_AC, hex, "{}", 2, &cause), -1);
	check_cause(cause);
	free(cause), cause = NULL;
	assert_int_equal(b->ops->exists(b, CACHE_AC, hex, &cause), -1);
	check_cause(cause);
	free(cause), cause = NULL;
	assert_int_equal(b->ops->del(b, CACHE_AC, hex, &cause), -1);
	check_cause(cause);
	free(cause), cause = NULL;
	assert_int_equal(b->ops->stats(b, &st, &cause), -1);
	check_cause(cause);
	free(cause);
	strbuf_release(&sb);
}

/* ---- opening, URLs -------------------------------------------------------------------- */

static void test_open_errors(void **state)
{
	(void)state;
	static const struct {
		const char *url, *want;
	} cases[] = {
	    {"ftp://h/x", "cache.backend: unsupported scheme \"ftp\" (want redis://, http://, "
	                  "https:// or dir://)"},
	    {"relative/dir", "neither a URL nor an absolute path"},
	    {"", "no URL"},
	    {"dir://relative", "want dir:///absolute/path"},
	    {"redis://", "no host"},
	    {"redis://h:0", "bad port"},
	    {"redis://h:65536", "bad port"},
	    {"redis://h:12x", "bad port"},
	    {"redis://h/x", "database number"},
	    {"redis://h/1?x=y", "database number"},
	    {"redis://[::1", "unclosed"},
	    {"redis://u%zz:Sekr1t@h", "bad %-escape"},
	    {"http://u:Sekr1t%g@h/", "bad %-escape"},
	    {"http://Sekr1t@/x", "no host"},
	    {"http://h/x?q=1", "no query"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct cache_backend_options o = {cases[i].url, 0, 0, NULL, 0};
		struct cache_backend *b = (struct cache_backend *)&o;
		char *cause = NULL;
		assert_int_equal(cache_backend_open(&o, &b, &cause), -1);
		assert_null(b);
		check_cause(cause);
		if (!strstr(cause, cases[i].want))
			fail_msg("%s: cause \"%s\", want \"%s\"", cases[i].url, cause,
			         cases[i].want);
		free(cause);
	}
	/* A user with no password anywhere. */
	struct cache_backend_options o = {"redis://alice@h", 0, 0, NULL, 0};
	struct cache_backend *b = NULL;
	char *cause = NULL;
	assert_int_equal(cache_backend_open(&o, &b, &cause), -1);
	assert_non_null(strstr(cause, "needs a password"));
	free(cause);
}

static void test_open_defaults(void **state)
{
	(void)state;
	struct cache_backend *b = open_backend("REDIS://u:Sekr1t@h:1/2", 0, -5, NULL, 0);
	assert_string_equal(b->ops->scheme, "redis");
	assert_string_equal(b->display, "REDIS://h:1/2");
	assert_int_equal(b->opts.timeout_ms, 2000);
	assert_int_equal(b->opts.ttl_s, 0);
	assert_string_equal(b->opts.prefix, "golive:");
	assert_int_equal(b->opts.max_object, CACHE_MAX_OBJECT_DEFAULT);
	cache_backend_close(b);

	b = open_backend("https://u:Sekr1t@cache.example/golive", 150, 0, "p:", 10);
	assert_string_equal(b->ops->scheme, "http");
	assert_string_equal(b->display, "https://cache.example/golive/");
	assert_int_equal(b->opts.timeout_ms, 150);
	assert_string_equal(b->opts.prefix, "p:");
	assert_int_equal(b->opts.max_object, 10);
	cache_backend_close(b);

	b = open_backend("dir:///var/cache/golive/", 0, 0, NULL, 0);
	assert_string_equal(b->ops->scheme, "dir");
	cache_backend_close(b);
	b = open_backend("/var/cache/golive", 0, 0, NULL, 0);
	assert_string_equal(b->ops->scheme, "dir");
	cache_backend_close(b);
	cache_backend_close(NULL);
}

static void test_url_display(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
	    {"redis://u:p@h:1/2", "redis://h:1/2"},
	    {"redis://:p@h", "redis://h"},
	    {"http://user:p@ss@h/x", "http://h/x"},
	    {"http://h/x@y", "http://h/x@y"},
	    {"https://h:8443/c/", "https://h:8443/c/"},
	    {"dir:///a@b", "dir:///a@b"},
	    {"/plain/path", "/plain/path"},
	    {"http://u:p@h/a\nb", "http://h/a b"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *d = cache_url_display(cases[i][0]);
		assert_string_equal(d, cases[i][1]);
		free(d);
	}
}

/* ---- dir ------------------------------------------------------------------------------ */

static char *make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *d = xasprintf("%s/golive-cachedir-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(d));
	return d;
}

static void rm_rf(const char *path)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execlp("rm", "rm", "-rf", path, (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Counts the entries of dir whose name starts with prefix. */
static int count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	int n = 0;
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

static void test_dir(void **state)
{
	(void)state;
	char *tmp = make_tmpdir();
	char *root = xasprintf("%s/shared/cache", tmp); /* made by the first put */
	char *url = xasprintf("dir://%s/", root);
	mode_t old = umask(002);
	struct cache_backend *b = open_backend(url, 0, 0, NULL, 0);
	struct cache_backend *small = open_backend(root, 0, 0, NULL, 1000);
	common_checks(b, small);
	list_checks(b);

	char hex[65], *cause = NULL;
	name_of(42, hex);
	expect_put(b, CACHE_CAS, hex, "abc", 3);
	char *sub = xasprintf("%s/cas/%.2s", root, hex);
	char *path = xasprintf("%s/%s", sub, hex);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0664);
	assert_int_equal(st.st_size, 3);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0775);
	assert_int_equal(count_entries(sub, ".tmp-"), 0);
	umask(old);

	/* A temp file left by a crashed writer is not a name, and not counted. */
	char *stray = xasprintf("%s/.tmp-%s-XXXXXX", sub, hex);
	int fd = mkstemp(stray);
	assert_true(fd >= 0);
	close(fd);
	struct names n = {ARRAY_INIT, 0};
	assert_int_equal(b->ops->list(b, CACHE_CAS, collect, &n, &cause), 0);
	assert_int_equal(n.v.n, 1);
	assert_string_equal(n.v.v[0], hex);
	names_free(&n);
	struct cache_backend_stats stats;
	assert_int_equal(b->ops->stats(b, &stats, &cause), 0);
	assert_int_equal(stats.ac_entries, 0);
	assert_int_equal(stats.cas_objects, 1);
	assert_int_equal(stats.bytes, 3);
	assert_string_equal(stats.server, "dir");
	cache_backend_stats_release(&stats);

	/* A directory where the object should be: an error naming the path, not a miss. */
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	char *c = expect_get_fails(b, CACHE_CAS, hex, "not a regular file");
	assert_non_null(strstr(c, root));
	free(c);
	assert_int_equal(b->ops->put(b, CACHE_CAS, hex, "x", 1, &cause), -1);
	check_cause(cause);
	assert_true(starts_with(cause, "dir /"));
	free(cause), cause = NULL;

	/*
	 * A FIFO (no writer: a blocking open would wait forever) and a symlink
	 * to /dev/zero (endless) where an entry or object should be: refused at
	 * once, by get and exists; a put replaces them.
	 */
	rmdir(path);
	for (int kind = 0; kind < 2; kind++) {
		for (enum cache_ns ns = CACHE_AC; ns <= CACHE_CAS; ns++) {
			char *dir = xasprintf("%s/%s/%.2s", root, cache_ns_name(ns), hex);
			char *obj = xasprintf("%s/%s", dir, hex);
			assert_int_equal(mkdir_p(dir, 0777), 0);
			unlink(obj);
			if (kind == 0)
				assert_int_equal(mkfifo(obj, 0666), 0);
			else
				assert_int_equal(symlink("/dev/zero", obj), 0);
			int64_t t0 = now_mono_ns();
			c = expect_get_fails(b, ns, hex, "not a regular file");
			assert_true(now_mono_ns() - t0 < 1000 * MS);
			assert_non_null(strstr(c, root));
			free(c);
			assert_int_equal(b->ops->exists(b, ns, hex, &cause), -1);
			assert_non_null(strstr(cause, "not a regular file"));
			free(cause), cause = NULL;
			expect_put(b, ns, hex, "new", 3);
			expect_get(b, ns, hex, "new", 3);
			free(obj);
			free(dir);
		}
	}
	cache_backend_close(b);
	cache_backend_close(small);

	/* A regular file where the cache directory should be. */
	char *file = xasprintf("%s/file", tmp);
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	b = open_backend(file, 0, 0, NULL, 0);
	expect_missing(b, CACHE_AC, hex);
	assert_int_equal(b->ops->put(b, CACHE_AC, hex, "x", 1, &cause), -1);
	check_cause(cause);
	assert_non_null(strstr(cause, "Not a directory"));
	free(cause), cause = NULL;
	assert_int_equal(b->ops->list(b, CACHE_AC, collect, &n, &cause), -1);
	check_cause(cause);
	free(cause);
	cache_backend_close(b);

	rm_rf(tmp);
	free(file);
	free(stray);
	free(path);
	free(sub);
	free(url);
	free(root);
	free(tmp);
}

/* ---- redis ------------------------------------------------------------------------------ */

/* A hiredis connection of the test's own, to look behind the backend. */
static redisContext *peek(const struct server *s, const char *user, const char *pass)
{
	struct timeval tv = {5, 0};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", s->port, tv);
	assert_non_null(c);
	assert_int_equal(c->err, 0);
	if (pass) {
		redisReply *r = user ? redisCommand(c, "AUTH %s %s", user, pass)
		                     : redisCommand(c, "AUTH %s", pass);
		assert_non_null(r);
		assert_int_equal(r->type, REDIS_REPLY_STATUS);
		freeReplyObject(r);
	}
	return c;
}

static long long peek_int(redisContext *c, const char *fmt, const char *arg)
{
	redisReply *r = redisCommand(c, fmt, arg);
	assert_non_null(r);
	if (r->type != REDIS_REPLY_INTEGER)
		fail_msg("%s %s: reply type %d", fmt, arg, r->type);
	long long v = r->integer;
	freeReplyObject(r);
	return v;
}

static char *redis_url(const struct server *s, const char *userinfo, const char *path)
{
	return xasprintf("redis://%s%s127.0.0.1:%d%s", userinfo ? userinfo : "",
	                 userinfo ? "@" : "", s->port, path ? path : "");
}

static void test_redis_common(void **state)
{
	(void)state;
	char *url = redis_url(&redis_plain, NULL, NULL);
	struct cache_backend *b = open_backend(url, 2000, 0, "common:", 0);
	struct cache_backend *small = open_backend(url, 2000, 0, "common:", 1000);
	common_checks(b, small);
	cache_backend_close(b);
	cache_backend_close(small);
	free(url);
}

static void test_redis_list_stats(void **state)
{
	(void)state;
	char *url = redis_url(&redis_plain, NULL, NULL);
	/* Keys of another prefix and a glob character in ours: neither listed nor counted. */
	struct cache_backend *other = open_backend(url, 2000, 0, "listx:", 0);
	struct cache_backend *b = open_backend(url, 2000, 0, "list*", 0);
	char hex[65], *cause = NULL;
	name_of(9, hex);
	expect_put(other, CACHE_AC, hex, "{}", 2);
	list_checks(b);
	struct cache_backend_stats st;
	assert_int_equal(b->ops->stats(b, &st, &cause), 0);
	assert_true(starts_with(st.server, "redis 7."));
	assert_int_equal(st.ac_entries, 0);
	cache_backend_stats_release(&st);
	assert_int_equal(other->ops->del(other, CACHE_AC, hex, &cause), 0);
	cache_backend_close(b);
	cache_backend_close(other);
	free(url);
}

static void test_redis_ttl_chunks(void **state)
{
	(void)state;
	char *url = redis_url(&redis_plain, NULL, NULL);
	struct cache_backend *b = open_backend(url, 2000, 100, NULL, 0);
	redisContext *c = peek(&redis_plain, NULL, NULL);
	char a[65], big_name[65];
	name_of(300, a), name_of(301, big_name);
	char *big = noise(BIG_SIZE, 11);
	char *ak = xasprintf("golive:ac:%s", a), *bk = xasprintf("golive:cas:%s", big_name);

	expect_put(b, CACHE_AC, a, "{}", 2);
	long long ttl = peek_int(c, "TTL %s", ak);
	assert_true(ttl > 0 && ttl <= 100);

	/* 9 MiB: three chunks of at most CACHE_REDIS_CHUNK, each with the TTL, then "N:C". */
	expect_put(b, CACHE_CAS, big_name, big, BIG_SIZE);
	redisReply *r = redisCommand(c, "GET %s", bk);
	char want[64];
	snprintf(want, sizeof(want), "%zu:3", BIG_SIZE);
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	assert_string_equal(r->str, want);
	freeReplyObject(r);
	char *ck[3];
	for (int i = 0; i < 3; i++) {
		ck[i] = xasprintf("%s:%d", bk, i);
		assert_int_equal(peek_int(c, "STRLEN %s", ck[i]),
		                 i < 2 ? CACHE_REDIS_CHUNK : BIG_SIZE - 2 * CACHE_REDIS_CHUNK);
		ttl = peek_int(c, "TTL %s", ck[i]);
		assert_true(ttl > 0 && ttl <= 100);
	}
	ttl = peek_int(c, "TTL %s", bk);
	assert_true(ttl > 0 && ttl <= 100);
	/* Without a TTL, keys do not expire. */
	struct cache_backend *forever = open_backend(url, 2000, 0, NULL, 0);
	expect_put(forever, CACHE_AC, a, "{}", 2);
	assert_int_equal(peek_int(c, "TTL %s", ak), -1);
	cache_backend_close(forever);

	/* A chunk of the wrong size. */
	r = redisCommand(c, "SET %s %s", ck[1], "short");
	freeReplyObject(r);
	free(expect_get_fails(b, CACHE_CAS, big_name, "chunk 2 of 3 has 5 bytes"));
	/* A chunk evicted. */
	expect_put(b, CACHE_CAS, big_name, big, BIG_SIZE);
	expect_get(b, CACHE_CAS, big_name, big, BIG_SIZE);
	assert_int_equal(peek_int(c, "DEL %s", ck[2]), 1);
	free(expect_get_fails(b, CACHE_CAS, big_name, "chunk 3 of 3 is missing"));
	/* The connection is still in step after a failed pipeline. */
	expect_get(b, CACHE_AC, a, "{}", 2);
	/* A descriptor that does not add up, and a value that is not ours. */
	r = redisCommand(c, "SET %s %s", bk, "5:3");
	freeReplyObject(r);
	free(expect_get_fails(b, CACHE_CAS, big_name, "not a golive cache value"));
	r = redisCommand(c, "SET %s %s", ak, "plain");
	freeReplyObject(r);
	free(expect_get_fails(b, CACHE_AC, a, "not a golive cache value"));
	r = redisCommand(c, "SET %s %s", ak, "");
	freeReplyObject(r);
	free(expect_get_fails(b, CACHE_AC, a, "not a golive cache value"));

	/* del removes the chunks with the object. */
	expect_put(b, CACHE_CAS, big_name, big, BIG_SIZE);
	char *cause = NULL;
	assert_int_equal(b->ops->del(b, CACHE_CAS, big_name, &cause), 0);
	assert_int_equal(peek_int(c, "EXISTS %s", bk), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(peek_int(c, "EXISTS %s", ck[i]), 0);
		free(ck[i]);
	}
	assert_int_equal(b->ops->del(b, CACHE_AC, a, &cause), 0);

	redisFree(c);
	cache_backend_close(b);
	free(ak);
	free(bk);
	free(big);
	free(url);
}

static void test_redis_select(void **state)
{
	(void)state;
	char *url = redis_url(&redis_plain, NULL, "/3");
	struct cache_backend *b = open_backend(url, 2000, 0, "sel:", 0);
	char hex[65];
	name_of(400, hex);
	expect_put(b, CACHE_AC, hex, "{}", 2);
	redisContext *c = peek(&redis_plain, NULL, NULL);
	char *key = xasprintf("sel:ac:%s", hex);
	assert_int_equal(peek_int(c, "EXISTS %s", key), 0);
	redisReply *r = redisCommand(c, "SELECT 3");
	freeReplyObject(r);
	assert_int_equal(peek_int(c, "EXISTS %s", key), 1);
	assert_int_equal(peek_int(c, "DEL %s", key), 1);
	redisFree(c);
	free(key);
	cache_backend_close(b);
	free(url);
}

static void test_redis_auth(void **state)
{
	(void)state;
	char hex[65], *cause = NULL;
	struct strbuf sb = STRBUF_INIT;
	name_of(500, hex);

	/* requirepass, the password in the URL. */
	char *url = redis_url(&redis_auth, ":" REDIS_PASS, NULL);
	struct cache_backend *b = open_backend(url, 2000, 0, NULL, 0);
	expect_put(b, CACHE_AC, hex, "{}", 2);
	expect_get(b, CACHE_AC, hex, "{}", 2);
	cache_backend_close(b);
	free(url);

	/* ... from GOLIVE_CACHE_PASSWORD. */
	url = redis_url(&redis_auth, NULL, NULL);
	setenv("GOLIVE_CACHE_PASSWORD", REDIS_PASS, 1);
	b = open_backend(url, 2000, 0, NULL, 0);
	unsetenv("GOLIVE_CACHE_PASSWORD");
	expect_get(b, CACHE_AC, hex, "{}", 2);
	cache_backend_close(b);

	/* No password: NOAUTH. */
	b = open_backend(url, 2000, 0, NULL, 0);
	assert_int_equal(b->ops->get(b, CACHE_AC, hex, &sb, &cause), -1);
	check_cause(cause);
	assert_non_null(strstr(cause, "NOAUTH"));
	free(cause), cause = NULL;
	cache_backend_close(b);
	free(url);

	/* A wrong password: the error names the server, never a password. */
	url = redis_url(&redis_auth, ":Sekr1t-wrong", NULL);
	b = open_backend(url, 2000, 0, NULL, 0);
	char *where = xasprintf("redis 127.0.0.1:%d: AUTH: ", redis_auth.port);
	assert_int_equal(b->ops->put(b, CACHE_AC, hex, "{}", 2, &cause), -1);
	check_cause(cause);
	if (!starts_with(cause, where))
		fail_msg("cause \"%s\", want \"%s...\"", cause, where);
	free(cause), cause = NULL;
	cache_backend_close(b);
	free(where);
	free(url);

	/* An ACL user (Redis 6+), in the URL; and a wrong one. */
	url = redis_url(&redis_acl, ACL_USER ":" ACL_PASS, "/1");
	b = open_backend(url, 2000, 0, NULL, 0);
	expect_put(b, CACHE_AC, hex, "{}", 2);
	expect_get(b, CACHE_AC, hex, "{}", 2);
	cache_backend_close(b);
	free(url);
	url = redis_url(&redis_acl, ACL_USER ":Sekr1t-nope", NULL);
	b = open_backend(url, 2000, 0, NULL, 0);
	assert_int_equal(b->ops->exists(b, CACHE_AC, hex, &cause), -1);
	check_cause(cause);
	assert_non_null(strstr(cause, "WRONGPASS"));
	free(cause), cause = NULL;
	cache_backend_close(b);
	free(url);
	/* The user and password from the environment. */
	url = redis_url(&redis_acl, NULL, "/1");
	setenv("GOLIVE_CACHE_USER", ACL_USER, 1);
	setenv("GOLIVE_CACHE_PASSWORD", ACL_PASS, 1);
	b = open_backend(url, 2000, 0, NULL, 0);
	unsetenv("GOLIVE_CACHE_USER");
	unsetenv("GOLIVE_CACHE_PASSWORD");
	expect_get(b, CACHE_AC, hex, "{}", 2);
	assert_int_equal(b->ops->del(b, CACHE_AC, hex, &cause), 0);
	cache_backend_close(b);
	free(url);
	strbuf_release(&sb);
}

static void test_redis_down_and_hung(void **state)
{
	(void)state;
	int port = dead_port();
	char *url = xasprintf("redis://:Sekr1t-x@127.0.0.1:%d", port);
	char *where = xasprintf("redis 127.0.0.1:%d: connection refused", port);
	struct cache_backend *b = open_backend(url, HANG_MS, 0, NULL, 0);
	expect_down(b, where);
	cache_backend_close(b);
	free(where);
	free(url);

	url = xasprintf("redis://:Sekr1t-x@127.0.0.1:%d", hang.port);
	b = open_backend(url, HANG_MS, 0, NULL, 0);
	expect_timeout(b);
	cache_backend_close(b);
	free(url);

	/* A server that goes away between requests: an error, then a fresh connection. */
	struct server s = {0};
	assert_int_equal(server_start(&s, "redis", ""), 0);
	url = redis_url(&s, NULL, NULL);
	b = open_backend(url, 2000, 0, NULL, 0);
	char hex[65], *cause = NULL;
	name_of(600, hex);
	expect_put(b, CACHE_AC, hex, "{}", 2);
	server_stop(&s);
	/* 9 MiB into a closed connection: the writes after the peer's RST raise SIGPIPE. */
	char *big = noise(BIG_SIZE, 5);
	assert_int_equal(b->ops->put(b, CACHE_CAS, hex, big, BIG_SIZE, &cause), -1);
	free(big);
	check_cause(cause);
	free(cause), cause = NULL;
	assert_int_equal(b->ops->exists(b, CACHE_AC, hex, &cause), -1);
	check_cause(cause);
	free(cause);
	cache_backend_close(b);
	free(url);
}

/* ---- hostile servers ------------------------------------------------------------------------ */

/*
 * A server that misbehaves on purpose, in a child process: it answers
 * whatever it is sent (after reading the request's first bytes) with the
 * mode's bytes, forever or until the client goes away, one child per
 * connection (each gives up after 20 s).
 */
enum hostile_mode {
	H_BULK,       /* $2000000000, then bytes as fast as they are read */
	H_ARRAY,      /* *2000000000, then ":1" elements forever */
	H_NESTED,     /* "*1" forever: arrays in arrays */
	H_BUDGET,     /* an array of 60000 strings of 4 MiB: each within bounds, the sum not */
	H_TRICKLE,    /* $1000, then one byte every 100 ms: never a syscall timeout */
	H_GARBAGE,    /* not RESP at all */
	H_HTTP_BIG,   /* 200 with Content-Length 2000000000, then bytes */
	H_HTTP_CHUNK, /* 200 chunked, chunks forever */
	H_HTTP_SLOW,  /* 200 with Content-Length 1000, then one byte every 100 ms */
};

static void hostile_send(int c, const char *p, size_t n)
{
	if (write_all(c, p, n) < 0)
		_exit(0);
}

static void hostile_serve(int c, enum hostile_mode mode)
{
	static char fill[65536];
	char req[4096];
	struct pollfd pfd = {c, POLLIN, 0};
	if (poll(&pfd, 1, 5000) != 1 || read(c, req, sizeof(req)) <= 0)
		_exit(0);
	memset(fill, 'x', sizeof(fill));
	alarm(20);
	switch (mode) {
	case H_BULK:
		hostile_send(c, "$2000000000\r\n", 13);
		for (;;)
			hostile_send(c, fill, sizeof(fill));
	case H_ARRAY:
		hostile_send(c, "*2000000000\r\n", 13);
		for (size_t i = 0; i + 4 <= sizeof(fill); i += 4)
			memcpy(fill + i, ":1\r\n", 4);
		for (;;)
			hostile_send(c, fill, sizeof(fill));
	case H_NESTED:
		for (size_t i = 0; i + 4 <= sizeof(fill); i += 4)
			memcpy(fill + i, "*1\r\n", 4);
		for (;;)
			hostile_send(c, fill, sizeof(fill));
	case H_BUDGET:
		hostile_send(c, "*60000\r\n", 8);
		for (;;) {
			hostile_send(c, "$4194304\r\n", 10);
			for (int i = 0; i < 64; i++)
				hostile_send(c, fill, sizeof(fill));
			hostile_send(c, "\r\n", 2);
		}
	case H_TRICKLE:
		hostile_send(c, "$1000\r\n", 7);
		for (;;) {
			hostile_send(c, "x", 1);
			usleep(100000);
		}
	case H_GARBAGE:
		hostile_send(c, "HTTP/1.0 400 Bad Request\r\n\r\n", 28);
		for (;;)
			sleep(1);
	case H_HTTP_BIG: {
		const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 2000000000\r\n\r\n";
		hostile_send(c, h, strlen(h));
		for (;;)
			hostile_send(c, fill, sizeof(fill));
	}
	case H_HTTP_CHUNK: {
		const char *h = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
		hostile_send(c, h, strlen(h));
		for (;;) {
			hostile_send(c, "10000\r\n", 7);
			hostile_send(c, fill, sizeof(fill));
			hostile_send(c, "\r\n", 2);
		}
	}
	case H_HTTP_SLOW: {
		const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
		hostile_send(c, h, strlen(h));
		for (;;) {
			hostile_send(c, "x", 1);
			usleep(100000);
		}
	}
	}
	_exit(0);
}

/* Starts a hostile server on a free port of 127.0.0.1 (its pid in *pid; kill with SIGKILL). */
static int hostile_start(enum hostile_mode mode, pid_t *pid)
{
	struct sockaddr_in a = {0};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		signal(SIGPIPE, SIG_DFL); /* a client that went away ends its child */
		signal(SIGCHLD, SIG_IGN); /* no zombies */
		alarm(120);
		for (;;) {
			int c = accept(fd, NULL, NULL);
			if (c < 0)
				continue;
			if (fork() == 0) {
				close(fd);
				hostile_serve(c, mode);
			}
			close(c);
		}
	}
	close(fd);
	return ntohs(a.sin_port);
}

static void hostile_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* The peak RSS of this process so far, in MiB. */
static long peak_rss_mib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

/*
 * A get against the hostile server fails within max_ms, with a cause
 * saying want, without the process's peak RSS growing by 100 MiB; a
 * second request fails the same way (a fresh connection).
 */
static void expect_hostile(const char *scheme, enum hostile_mode mode, long timeout_ms,
                           size_t max_object, long max_ms, const char *want)
{
	pid_t pid;
	int port = hostile_start(mode, &pid);
	char *url = xasprintf("%s://127.0.0.1:%d/", scheme, port);
	struct cache_backend *b = open_backend(url, timeout_ms, 0, NULL, max_object);
	long rss0 = peak_rss_mib();
	char hex[65];
	name_of(900 + (unsigned)mode, hex);
	for (int round = 0; round < 2; round++) {
		char *cause = NULL;
		struct strbuf sb = STRBUF_INIT;
		int64_t t0 = now_mono_ns();
		int rc = b->ops->get(b, round ? CACHE_CAS : CACHE_AC, hex, &sb, &cause);
		int64_t took = (now_mono_ns() - t0) / MS;
		if (rc != -1)
			fail_msg("%s mode %d: get returned %d", scheme, (int)mode, rc);
		check_cause(cause);
		if (!strstr(cause, want))
			fail_msg("%s mode %d: cause \"%s\" does not say \"%s\"", scheme, (int)mode,
			         cause, want);
		if (took > max_ms)
			fail_msg("%s mode %d: the request took %lld ms (at most %ld)", scheme,
			         (int)mode, (long long)took, max_ms);
		assert_int_equal(sb.len, 0);
		strbuf_release(&sb);
		free(cause);
	}
	long grew = peak_rss_mib() - rss0;
	if (grew > 100)
		fail_msg("%s mode %d: the peak RSS grew by %ld MiB", scheme, (int)mode, grew);
	cache_backend_close(b);
	hostile_stop(pid);
	free(url);
}

/*
 * Redis: a reply over the limits fails at its header, whatever follows;
 * a trickle fails at the request's deadline (not per syscall); memory
 * stays flat.
 */
static void test_redis_hostile(void **state)
{
	(void)state;
	expect_hostile("redis", H_BULK, 2000, 0, 1000, "a 2000000000-byte string");
	expect_hostile("redis", H_ARRAY, 2000, 0, 1000, "an array of 2000000000 elements");
	expect_hostile("redis", H_NESTED, 2000, 0, 1000, "nested");
	expect_hostile("redis", H_BUDGET, 5000, 0, 4000, "reply too large: over");
	expect_hostile("redis", H_GARBAGE, 2000, 0, 1000, "not RESP");
	/* 1000 bytes at 10 a second: 100 s, cut at the 500 ms deadline */
	expect_hostile("redis", H_TRICKLE, 500, 0, 5 * 500, "timeout");
	/* the string bound follows max_object (64 KiB at the least) */
	pid_t pid;
	int port = hostile_start(H_BULK, &pid);
	char *url = xasprintf("redis://127.0.0.1:%d", port);
	struct cache_backend *b = open_backend(url, 2000, 0, NULL, 1000);
	char hex[65], *cause = NULL;
	struct strbuf sb = STRBUF_INIT;
	name_of(950, hex);
	assert_int_equal(b->ops->get(b, CACHE_AC, hex, &sb, &cause), -1);
	if (!strstr(cause, "(at most 65536)"))
		fail_msg("cause \"%s\" does not give the 64 KiB bound", cause);
	free(cause);
	strbuf_release(&sb);
	cache_backend_close(b);
	hostile_stop(pid);
	free(url);
}

/* HTTP: a body over max_object fails while it arrives; a trickle at the deadline. */
static void test_http_hostile(void **state)
{
	(void)state;
	expect_hostile("http", H_HTTP_BIG, 2000, 1u << 20, 1000, "larger than max_object");
	expect_hostile("http", H_HTTP_CHUNK, 2000, 1u << 20, 1000, "larger than max_object");
	expect_hostile("http", H_HTTP_BIG, 2000, 0, 1000, "larger than max_object");
	expect_hostile("http", H_HTTP_SLOW, 500, 0, 5 * 500, "timeout");
}

/* ---- http --------------------------------------------------------------------------------- */

static char *http_url(const struct server *s, const char *userinfo, const char *path)
{
	return xasprintf("http://%s%s127.0.0.1:%d%s", userinfo ? userinfo : "", userinfo ? "@" : "",
	                 s->port, path);
}

static void test_http_common(void **state)
{
	(void)state;
	char *url = http_url(&nginx_plain, NULL, "/golive"); /* no trailing slash */
	struct cache_backend *b = open_backend(url, 5000, 0, NULL, 0);
	struct cache_backend *small = open_backend(url, 5000, 0, NULL, 1000);
	common_checks(b, small);

	/* The layout bazel-remote and nginx share: <base>/ac/<hex>. */
	char hex[65], *cause = NULL;
	name_of(700, hex);
	expect_put(b, CACHE_AC, hex, "{}", 2);
	char *file = xasprintf("%s/www/golive/ac/%s", nginx_plain.dir, hex);
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_size, 2);
	assert_int_equal(b->ops->del(b, CACHE_AC, hex, &cause), 0);
	assert_int_equal(stat(file, &st), -1);
	free(file);

	struct names n = {ARRAY_INIT, 0};
	assert_int_equal(b->ops->list(b, CACHE_AC, collect, &n, &cause), -2);
	assert_string_equal(cause, "http backend cannot list entries");
	free(cause), cause = NULL;

	struct cache_backend_stats sts;
	assert_int_equal(b->ops->stats(b, &sts, &cause), 0);
	assert_null(cause);
	assert_true(starts_with(sts.server, "nginx"));
	assert_int_equal(sts.ac_entries, -1);
	assert_int_equal(sts.cas_objects, -1);
	assert_int_equal(sts.bytes, -1);
	cache_backend_stats_release(&sts);
	cache_backend_close(b);
	cache_backend_close(small);
	free(url);

	/* A 500: "<url>/ac/<hex>..: HTTP 500". */
	url = http_url(&nginx_plain, NULL, "/fail/");
	b = open_backend(url, 5000, 0, NULL, 0);
	char *want =
	    xasprintf("http://127.0.0.1:%d/fail/ac/%.16s..: HTTP 500", nginx_plain.port, hex);
	char *c = expect_get_fails(b, CACHE_AC, hex, "HTTP 500");
	assert_string_equal(c, want);
	free(c);
	assert_int_equal(b->ops->put(b, CACHE_AC, hex, "{}", 2, &cause), -1);
	assert_non_null(strstr(cause, "HTTP 500"));
	free(cause);
	free(want);
	cache_backend_close(b);
	free(url);
}

static void test_http_auth(void **state)
{
	(void)state;
	char hex[65], *cause = NULL;
	name_of(800, hex);

	/* Basic, user:password in the URL. */
	char *url = http_url(&nginx_basic, HTTP_USER ":" HTTP_PASS, "/c/");
	struct cache_backend *b = open_backend(url, 5000, 0, NULL, 0);
	assert_null(strstr(b->display, "Sekr1t"));
	expect_put(b, CACHE_AC, hex, "{}", 2);
	expect_get(b, CACHE_AC, hex, "{}", 2);
	assert_int_equal(b->ops->exists(b, CACHE_AC, hex, &cause), 1);
	cache_backend_close(b);
	free(url);

	/* ... from GOLIVE_CACHE_USER and GOLIVE_CACHE_PASSWORD. */
	url = http_url(&nginx_basic, NULL, "/c/");
	setenv("GOLIVE_CACHE_USER", HTTP_USER, 1);
	setenv("GOLIVE_CACHE_PASSWORD", HTTP_PASS, 1);
	b = open_backend(url, 5000, 0, NULL, 0);
	unsetenv("GOLIVE_CACHE_USER");
	unsetenv("GOLIVE_CACHE_PASSWORD");
	expect_get(b, CACHE_AC, hex, "{}", 2);
	cache_backend_close(b);

	/* None: 401, in every operation. */
	b = open_backend(url, 5000, 0, NULL, 0);
	free(expect_get_fails(b, CACHE_AC, hex, "HTTP 401"));
	assert_int_equal(b->ops->put(b, CACHE_AC, hex, "{}", 2, &cause), -1);
	assert_non_null(strstr(cause, "HTTP 401"));
	free(cause), cause = NULL;
	assert_int_equal(b->ops->exists(b, CACHE_AC, hex, &cause), -1);
	assert_non_null(strstr(cause, "HTTP 401"));
	free(cause), cause = NULL;
	struct cache_backend_stats st;
	assert_int_equal(b->ops->stats(b, &st, &cause), -1);
	assert_non_null(strstr(cause, "HTTP 401"));
	free(cause), cause = NULL;
	cache_backend_close(b);
	free(url);

	/* A wrong password: the URL in the cause has no credentials. */
	url = http_url(&nginx_basic, HTTP_USER ":Sekr1t-wrong", "/c/");
	b = open_backend(url, 5000, 0, NULL, 0);
	char *c = expect_get_fails(b, CACHE_AC, hex, "HTTP 401");
	char *want = xasprintf("http://127.0.0.1:%d/c/ac/", nginx_basic.port);
	assert_true(starts_with(c, want));
	free(want);
	free(c);
	cache_backend_close(b);
	free(url);

	/* Bearer: GOLIVE_CACHE_TOKEN, which wins over a user in the URL. */
	url = http_url(&nginx_bearer, "someone:Sekr1t-ignored", "/");
	setenv("GOLIVE_CACHE_TOKEN", HTTP_TOKEN, 1);
	b = open_backend(url, 5000, 0, NULL, 0);
	unsetenv("GOLIVE_CACHE_TOKEN");
	expect_put(b, CACHE_CAS, hex, "obj", 3);
	expect_get(b, CACHE_CAS, hex, "obj", 3);
	cache_backend_close(b);
	b = open_backend(url, 5000, 0, NULL, 0);
	free(expect_get_fails(b, CACHE_CAS, hex, "HTTP 401"));
	cache_backend_close(b);
	free(url);
	setenv("GOLIVE_CACHE_TOKEN", "bad\ntoken", 1);
	struct cache_backend_options o = {"http://h/", 0, 0, NULL, 0};
	assert_int_equal(cache_backend_open(&o, &b, &cause), -1);
	assert_non_null(strstr(cause, "GOLIVE_CACHE_TOKEN"));
	free(cause);
	unsetenv("GOLIVE_CACHE_TOKEN");
}

static void test_http_down_and_hung(void **state)
{
	(void)state;
	int port = dead_port();
	char *url = xasprintf("http://u:Sekr1t-x@127.0.0.1:%d/c", port);
	char *where = xasprintf("http://127.0.0.1:%d/c/", port);
	struct cache_backend *b = open_backend(url, HANG_MS, 0, NULL, 0);
	expect_down(b, where);
	cache_backend_close(b);
	free(where);
	free(url);

	url = xasprintf("http://u:Sekr1t-x@127.0.0.1:%d/", hang.port);
	b = open_backend(url, HANG_MS, 0, NULL, 0);
	expect_timeout(b);
	cache_backend_close(b);
	free(url);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
	    cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_open_defaults),
	    cmocka_unit_test(test_url_display),
	    cmocka_unit_test(test_dir),
	};
	const struct CMUnitTest served[] = {
	    cmocka_unit_test(test_redis_common),       cmocka_unit_test(test_redis_list_stats),
	    cmocka_unit_test(test_redis_ttl_chunks),   cmocka_unit_test(test_redis_select),
	    cmocka_unit_test(test_redis_auth),         cmocka_unit_test(test_redis_down_and_hung),
	    cmocka_unit_test(test_http_common),        cmocka_unit_test(test_http_auth),
	    cmocka_unit_test(test_http_down_and_hung), cmocka_unit_test(test_redis_hostile),
	    cmocka_unit_test(test_http_hostile),
	};
	int failed = cmocka_run_group_tests_name("cache_backend", pure, NULL, NULL);
	failed += cmocka_run_group_tests_name("cache_backend_servers", served, start_all, stop_all);
	return failed ? 1 : 0;
}
