/*
 * delve.c - delve's command line, its JSON-RPC 2 client, and the
 * breakpoint carry-over's line mapping (delve.h).
 */
#define _GNU_SOURCE
#include "dev/delve.h"
#include "dev/listen.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_MAX (16u << 20) /* a longer answer is an error */

struct delve_client {
	int fd;
	unsigned next_id;
	struct strbuf in; /* read, not yet taken */
};

static char *search_path(const char *name)
{
	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? path_join_clean(".", name) : NULL;
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *end = strchrnul(path, ':');
		char *cand = end == path ? xasprintf("./%s", name)
		                         : xasprintf("%.*s/%s", (int)(end - path), path, name);
		if (access(cand, X_OK) == 0) {
			char *abs = path_join_clean(".", cand);
			free(cand);
			return abs;
		}
		free(cand);
		path = *end ? end + 1 : end;
	}
	return NULL;
}

char *delve_find(const char *configured)
{
	return search_path(configured && *configured ? configured : "dlv");
}

void delve_argv(struct argv_array *av, const char *dlv, const char *listen_addr, const char *bin,
                char *const *args, size_t nargs)
{
	argv_push(av, dlv);
	argv_push(av, "exec");
	argv_push(av, "--headless");
	argv_push(av, "--accept-multiclient");
	argv_push(av, "--api-version=2");
	argv_pushf(av, "--listen=%s", listen_addr);
	/* its "API server listening at" names a port that changes: clients use golive's ADDR */
	argv_push(av, "--log-dest=/dev/null");
	argv_push(av, bin);
	if (nargs) {
		argv_push(av, "--");
		for (size_t i = 0; i < nargs; i++)
			argv_push(av, args[i]);
	}
}

unsigned delve_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	unsigned port = 0;
	if (fd < 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

struct delve_client *delve_connect(const char *addr, int timeout_ms, int (*alive)(void *),
                                   void *data, char **cause)
{
	struct listen_addr la;
	if (listen_parse(addr, &la, cause) < 0)
		return NULL;
	int64_t deadline = now_mono_ns() + (int64_t)timeout_ms * 1000000;
	int err = 0;
	for (;;) {
		int fd = socket(la.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			*cause = xasprintf("socket: %s", strerror(errno));
			return NULL;
		}
		if (connect(fd, (struct sockaddr *)&la.ss, la.len) == 0) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			struct delve_client *c = xcalloc(1, sizeof(*c));
			c->fd = fd;
			c->next_id = 1;
			strbuf_init(&c->in, 4096);
			return c;
		}
		err = errno;
		close(fd);
		if ((err != ECONNREFUSED && err != EINTR) || now_mono_ns() >= deadline ||
		    (alive && !alive(data)))
			break;
		sleep_ms(5);
	}
	*cause = xasprintf("cannot connect to delve at %s: %s", addr, strerror(err));
	return NULL;
}

void delve_close(struct delve_client *c)
{
	if (!c)
		return;
	close(c->fd);
	strbuf_release(&c->in);
	free(c);
}

static int send_request(struct delve_client *c, const char *method, json_t *params, unsigned *id,
                        char **cause)
{
	json_t *req = json_object();
	json_object_set_new(req, "method", json_sprintf("RPCServer.%s", method));
	json_object_set_new(req, "params", json_pack("[o]", params ? params : json_object()));
	*id = c->next_id++;
	json_object_set_new(req, "id", json_integer(*id));
	char *s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!s) {
		*cause = xstrdup("cannot encode a request");
		return -1;
	}
	size_t len = strlen(s), off = 0;
	s[len] = '\0';
	int rc = 0;
	while (off < len) {
		ssize_t n = send(c->fd, s + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*cause = xasprintf("sending %s to delve: %s", method, strerror(errno));
			rc = -1;
			break;
		}
		off += (size_t)n;
	}
	if (rc == 0 && send(c->fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		*cause = xasprintf("sending %s to delve: %s", method, strerror(errno));
		rc = -1;
	}
	free(s);
	return rc;
}

/* The next answer (a line) as JSON, waiting up to timeout_ms. */
static json_t *read_answer(struct delve_client *c, int timeout_ms, char **cause)
{
	int64_t deadline = now_mono_ns() + (int64_t)timeout_ms * 1000000;
	for (;;) {
		char *nl = memchr(c->in.buf, '\n', c->in.len);
		if (nl) {
			size_t n = (size_t)(nl - c->in.buf);
			json_error_t je;
			json_t *v = json_loadb(c->in.buf, n, 0, &je);
			memmove(c->in.buf, nl + 1, c->in.len - n - 1);
			c->in.len -= n + 1;
			c->in.buf[c->in.len] = '\0';
			if (!v)
				*cause = xasprintf("delve's answer is not JSON: %s", je.text);
			return v;
		}
		if (c->in.len > ANSWER_MAX) {
			*cause = xstrdup("delve's answer is too long");
			return NULL;
		}
		int64_t left = (deadline - now_mono_ns()) / 1000000;
		if (left <= 0) {
			*cause = xasprintf("delve did not answer within %d ms", timeout_ms);
			return NULL;
		}
		struct pollfd pfd = {c->fd, POLLIN, 0};
		int r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		char buf[16384];
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*cause = xasprintf("delve closed the connection%s%s", n < 0 ? ": " : "",
			                   n < 0 ? strerror(errno) : "");
			return NULL;
		}
		strbuf_add(&c->in, buf, (size_t)n);
	}
}

int delve_call(struct delve_client *c, const char *method, json_t *params, int timeout_ms,
               json_t **result, char **cause)
{
	unsigned id;
	if (result)
		*result = NULL;
	if (send_request(c, method, params, &id, cause) < 0)
		return -1;
	for (;;) {
		json_t *ans = read_answer(c, timeout_ms, cause);
		if (!ans)
			return -1;
		json_t *jid = json_object_get(ans, "id");
		if (!json_is_integer(jid) || (unsigned)json_integer_value(jid) != id) {
			json_decref(ans); /* an answer to a request we gave up on */
			continue;
		}
		json_t *err = json_object_get(ans, "error");
		if (err && !json_is_null(err)) {
			*cause = xasprintf("delve: %s: %s", method,
			                   json_is_string(err) ? json_string_value(err) : "error");
			json_decref(ans);
			return -1;
		}
		if (result) {
			*result = json_object_get(ans, "result");
			json_incref(*result);
		}
		json_decref(ans);
		return 0;
	}
}

int delve_state(struct delve_client *c, int *pid, int *running, char **cause)
{
	json_t *r;
	if (delve_call(c, "State", json_pack("{s:b}", "NonBlocking", 1), 5000, &r, cause) < 0)
		return -1;
	json_t *st = json_object_get(r, "State");
	if (pid)
		*pid = (int)json_integer_value(json_object_get(st, "Pid"));
	if (running)
		*running = json_is_true(json_object_get(st, "Running"));
	json_decref(r);
	return 0;
}

int delve_halt(struct delve_client *c, int timeout_ms, char **cause)
{
	int running = 0;
	if (delve_state(c, NULL, &running, cause) < 0)
		return -1;
	if (!running)
		return 0;
	return delve_call(c, "Command", json_pack("{s:s}", "name", "halt"), timeout_ms, NULL,
	                  cause);
}

int delve_continue_nowait(struct delve_client *c, char **cause)
{
	unsigned id;
	return send_request(c, "Command", json_pack("{s:s}", "name", "continue"), &id, cause);
}

json_t *delve_list_breakpoints(struct delve_client *c, char **cause)
{
	static const char *const drop[] = {"id",         "addr",        "addrs",
	                                   "addrpid",    "hitCount",    "totalHitCount",
	                                   "ExprString", "VerboseDescr"};
	json_t *r;
	if (delve_call(c, "ListBreakpoints", json_pack("{s:b}", "All", 0), 5000, &r, cause) < 0)
		return NULL;
	json_t *out = json_array(), *bp;
	size_t i;
	json_array_foreach(json_object_get(r, "Breakpoints"), i, bp)
	{
		json_t *id = json_object_get(bp, "id");
		if (!json_is_integer(id) || json_integer_value(id) < 0)
			continue;
		json_t *copy = json_deep_copy(bp);
		for (size_t k = 0; k < ARRAY_SIZE(drop); k++)
			json_object_del(copy, drop[k]);
		json_array_append_new(out, copy);
	}
	json_decref(r);
	return out;
}

int delve_create_breakpoint(struct delve_client *c, const json_t *bp, const char *file, int line,
                            int *set_line, char **cause)
{
	json_t *b = json_deep_copy(bp), *r;
	json_object_set_new(b, "file", json_string(file));
	json_object_set_new(b, "line", json_integer(line));
	/* by file:line, not by the old process's function or addresses */
	json_object_del(b, "functionName");
	if (delve_call(c, "CreateBreakpoint", json_pack("{s:o}", "Breakpoint", b), 10000, &r,
	               cause) < 0)
		return -1;
	if (set_line)
		*set_line = (int)json_integer_value(
		    json_object_get(json_object_get(r, "Breakpoint"), "line"));
	json_decref(r);
	return 0;
}

/* ---- line mapping -------------------------------------------------------- */

struct lines {
	const char **start; /* each line's first non-blank byte */
	size_t *len;        /* its length without the surrounding blanks */
	size_t n;
};

static int blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

static void split_lines(struct lines *l, const char *s, size_t n)
{
	size_t cap = 64;
	l->start = xmalloc(cap * sizeof(*l->start));
	l->len = xmalloc(cap * sizeof(*l->len));
	l->n = 0;
	size_t i = 0;
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - s) : n, b = i;
		while (b < e && blank(s[b]))
			b++;
		size_t t = e;
		while (t > b && blank(s[t - 1]))
			t--;
		if (l->n == cap) {
			cap *= 2;
			l->start = xrealloc(l->start, cap * sizeof(*l->start));
			l->len = xrealloc(l->len, cap * sizeof(*l->len));
		}
		l->start[l->n] = s + b;
		l->len[l->n] = t - b;
		l->n++;
		i = e + 1;
	}
}

static int same(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && memcmp(a->start[i], b->start[j], a->len[i]) == 0;
}

/* How many lines around a's i and b's j (up to 3 each way) are the same. */
static int context(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	int score = 0;
	for (size_t k = 1; k <= 3 && k <= i && k <= j; k++)
		score += same(a, i - k, b, j - k);
	for (size_t k = 1; k <= 3 && i + k < a->n && j + k < b->n; k++)
		score += same(a, i + k, b, j + k);
	return score;
}

int delve_map_line(const char *old_src, size_t old_len, const char *new_src, size_t new_len,
                   int line)
{
	struct lines a, b;
	int found = 0;
	split_lines(&a, old_src, old_len);
	split_lines(&b, new_src, new_len);
	size_t i = (size_t)line - 1;
	if (line < 1 || i >= a.n || a.len[i] == 0)
		goto out;
	if (i < b.n && same(&a, i, &b, i) && context(&a, i, &b, i) > 0) {
		found = line;
		goto out;
	}
	/*
	 * Where line i would be now: the shift of the nearest unchanged line
	 * above it (lines before an edit keep their place; after it they move
	 * by what it added or removed). Then the same text nearest to there,
	 * the best context first.
	 */
	long shift = (long)b.n - (long)a.n, best_d = -1;
	int best_ctx = -1;
	for (size_t j = 0; j < b.n; j++) {
		if (!same(&a, i, &b, j))
			continue;
		int ctx = context(&a, i, &b, j);
		long want = (long)i + (j < i ? 0 : shift);
		long dist = labs((long)j - want);
		if (ctx > best_ctx || (ctx == best_ctx && dist < best_d)) {
			best_ctx = ctx;
			best_d = dist;
			found = (int)j + 1;
		}
	}
out:
	free(a.start);
	free(a.len);
	free(b.start);
	free(b.len);
	return found;
}
