/*
 * cache_redis.c - the cache in Redis (cache_backend.h), through hiredis
 * (linked statically, like zlib: its .a is position-independent).
 *
 * Keys "<prefix>ac:<hex>" and "<prefix>cas:<hex>". A value of at most
 * CACHE_REDIS_CHUNK bytes is stored as one Redis string: '=' and the
 * bytes. A larger one is stored as chunks "<key>:0" .. "<key>:<C-1>" of
 * CACHE_REDIS_CHUNK bytes (the last one shorter) and then, last, the key
 * itself holding "N:C" (the total size and the chunk count, decimal): a
 * reader that finds the key finds the chunks written before it, and get
 * checks every chunk's presence and size, failing rather than returning a
 * partial value when one was evicted. Chunks are written and read in one
 * pipeline. With ttl_s > 0 every key is SET with EX ttl_s.
 *
 * One connection per backend, made at the first request (connect, AUTH,
 * SELECT) and dropped after any I/O error so that the next request starts
 * afresh. opts->timeout_ms bounds the connect and every wait for the
 * server (SO_RCVTIMEO/SO_SNDTIMEO, redisSetTimeout); the host name is
 * resolved with getaddrinfo, which no timeout bounds. hiredis writes with
 * write(): SIGPIPE is blocked around every exchange and a SIGPIPE raised
 * by it is consumed, so a server that went away is an error, not death.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cache_backend.h"

#include <hiredis/hiredis.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define REDIS_DEFAULT_PORT 6379
#define REDIS_SCAN_COUNT   "1000"
#define REDIS_DEL_BATCH    512 /* keys per DEL */
#define REDIS_ERR_MAX      200 /* bytes of a server's error kept in a cause */
/* A chunk count above this is a corrupt descriptor (4 PiB at 4 MiB a chunk). */
#define REDIS_MAX_CHUNKS 1000000000ULL

struct redis_backend {
	struct cache_backend b;
	char *host;
	int port, db;
	char *user, *password; /* AUTH [user] password when password is set */
	char *where;           /* "redis host:port[/db]" for messages */
	redisContext *c;       /* NULL until connected, and after an I/O error */
};

/* ---- SIGPIPE around hiredis's writes ----------------------------------------- */

struct sigpipe_guard {
	sigset_t old;
	int was_pending;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigemptyset(&pending);
	sigpending(&pending);
	g->was_pending = sigismember(&pending, SIGPIPE) == 1;
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

/* Consumes a SIGPIPE raised while blocked (not one pending before), restores the mask. */
static void sigpipe_restore(struct sigpipe_guard *g)
{
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigemptyset(&pending);
	sigpending(&pending);
	if (!g->was_pending && sigismember(&pending, SIGPIPE) == 1) {
		struct timespec zero = {0, 0};
		while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* ---- messages -------------------------------------------------------------------- */

/* s[0..n) on one line, cut at REDIS_ERR_MAX bytes (a server's text). */
static char *one_line(const char *s, size_t n)
{
	char *out = xstrndup(s, n > REDIS_ERR_MAX ? REDIS_ERR_MAX : n);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return out;
}

/* A hiredis context's error, worded for a cause. */
static char *context_error(const struct redis_backend *r, const redisContext *c)
{
	const char *e = c->errstr[0] ? c->errstr : "unknown error";
	if (strcmp(e, strerror(EAGAIN)) == 0 || strcmp(e, strerror(EWOULDBLOCK)) == 0 ||
	    strcmp(e, strerror(ETIMEDOUT)) == 0)
		return xasprintf("no answer within the %ld ms timeout", r->b.opts.timeout_ms);
	char *s = one_line(e, strlen(e));
	/* "Connection refused" reads "connection refused" after a colon. */
	if (isupper((unsigned char)s[0]) && islower((unsigned char)s[1]))
		s[0] = (char)tolower((unsigned char)s[0]);
	return s;
}

/* "<where>: <what>: <detail>" (what may be NULL); frees detail. */
static char *fail_msg(const struct redis_backend *r, const char *what, char *detail)
{
	char *m = what ? xasprintf("%s: %s: %s", r->where, what, detail)
	               : xasprintf("%s: %s", r->where, detail);
	free(detail);
	return m;
}

/* Drops the connection after an I/O error, with the cause from it. */
static void io_failed(struct redis_backend *r, const char *what, char **cause)
{
	*cause = fail_msg(r, what, context_error(r, r->c));
	redisFree(r->c);
	r->c = NULL;
}

/* "ac/0123456789abcdef.." for messages. */
static char *object_name(enum cache_ns ns, const char *hex)
{
	return xasprintf("%s/%.16s..", cache_ns_name(ns), hex);
}

/* ---- the connection and commands ------------------------------------------------ */

static int get_reply(struct redis_backend *r, const char *what, redisReply **reply, char **cause);

/*
 * Queues one command (binary-safe arguments). hiredis fails only when out
 * of memory: -1 with *cause, the connection (and what was queued) dropped.
 */
static int append(struct redis_backend *r, const char *what, int argc, const char **argv,
                  const size_t *lens, char **cause)
{
	if (redisAppendCommandArgv(r->c, argc, argv, lens) == REDIS_OK)
		return 0;
	io_failed(r, what, cause);
	return -1;
}

/*
 * Runs one command: the reply (caller frees), or NULL with *cause for an
 * I/O error (the connection is dropped) or an error reply (it is kept).
 */
static redisReply *command(struct redis_backend *r, const char *what, int argc, const char **argv,
                           const size_t *lens, char **cause)
{
	redisReply *reply;
	if (append(r, what, argc, argv, lens, cause) < 0 || get_reply(r, what, &reply, cause) < 0)
		return NULL;
	if (reply->type == REDIS_REPLY_ERROR) {
		*cause = fail_msg(r, what, one_line(reply->str, reply->len));
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

/* The next reply of the pipeline; -1 with *cause after an I/O error (connection dropped). */
static int get_reply(struct redis_backend *r, const char *what, redisReply **reply, char **cause)
{
	struct sigpipe_guard g;
	void *p = NULL;
	sigpipe_block(&g);
	int rc = redisGetReply(r->c, &p);
	sigpipe_restore(&g);
	if (rc != REDIS_OK || !p) {
		if (p)
			freeReplyObject(p);
		io_failed(r, what, cause);
		return -1;
	}
	*reply = p;
	return 0;
}

/* A command whose answer must be +OK. */
static int command_ok(struct redis_backend *r, const char *what, int argc, const char **argv,
                      const size_t *lens, char **cause)
{
	redisReply *reply = command(r, what, argc, argv, lens, cause);
	if (!reply)
		return -1;
	int ok = reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "OK") == 0;
	freeReplyObject(reply);
	if (!ok)
		*cause = fail_msg(r, what, xstrdup("unexpected answer"));
	return ok ? 0 : -1;
}

static size_t *arg_lens(int argc, const char **argv, size_t *lens)
{
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	return lens;
}

/* Connects (once), authenticates and selects the database. */
static int redis_connect(struct redis_backend *r, char **cause)
{
	if (r->c)
		return 0;
	long ms = r->b.opts.timeout_ms;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
	redisContext *c = redisConnectWithTimeout(r->host, r->port, tv);
	if (!c) {
		*cause = fail_msg(r, NULL, xstrdup("cannot allocate a connection"));
		return -1;
	}
	if (c->err) {
		char *e = context_error(r, c);
		/* A connect that timed out is worded as such. */
		if (strcmp(c->errstr, strerror(ETIMEDOUT)) == 0) {
			free(e);
			e = xasprintf("cannot connect within the %ld ms timeout", ms);
		}
		*cause = fail_msg(r, NULL, e);
		redisFree(c);
		return -1;
	}
	r->c = c;
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		io_failed(r, NULL, cause);
		return -1;
	}
	if (r->password) {
		const char *argv[3] = {"AUTH", r->user, r->password};
		size_t lens[3];
		if (!r->user)
			argv[1] = r->password;
		int argc = r->user ? 3 : 2;
		if (command_ok(r, "AUTH", argc, argv, arg_lens(argc, argv, lens), cause) < 0)
			goto fail;
	}
	if (r->db) {
		char db[16];
		snprintf(db, sizeof(db), "%d", r->db);
		const char *argv[2] = {"SELECT", db};
		size_t lens[2];
		if (command_ok(r, "SELECT", 2, argv, arg_lens(2, argv, lens), cause) < 0)
			goto fail;
	}
	return 0;
fail:
	if (r->c)
		redisFree(r->c);
	r->c = NULL;
	return -1;
}

/* ---- keys and values ------------------------------------------------------------ */

static char *object_key(const struct redis_backend *r, enum cache_ns ns, const char *hex)
{
	return xasprintf("%s%s:%s", r->b.opts.prefix, cache_ns_name(ns), hex);
}

/* Parses a decimal without sign or blanks; -1 when s[0..n) is not one. */
static int parse_u64(const char *s, size_t n, unsigned long long *v)
{
	*v = 0;
	if (!n || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned long long)(s[i] - '0');
	}
	return 0;
}

/* A chunked value's "N:C": 0 when consistent (C chunks of CACHE_REDIS_CHUNK hold N), else -1. */
static int parse_descriptor(const char *s, size_t n, unsigned long long *total,
                            unsigned long long *chunks)
{
	const char *colon = memchr(s, ':', n);
	if (!colon || parse_u64(s, (size_t)(colon - s), total) < 0 ||
	    parse_u64(colon + 1, n - (size_t)(colon + 1 - s), chunks) < 0)
		return -1;
	if (*total <= CACHE_REDIS_CHUNK || *chunks > REDIS_MAX_CHUNKS ||
	    *chunks != (*total + CACHE_REDIS_CHUNK - 1) / CACHE_REDIS_CHUNK)
		return -1;
	return 0;
}

/* ---- the operations --------------------------------------------------------------- */

/* Reads the C chunks of key into out (pipelined); 1, or -1 with *cause. */
static int get_chunks(struct redis_backend *r, const char *key, const char *name,
                      unsigned long long total, unsigned long long chunks, struct strbuf *out,
                      char **cause)
{
	char *problem = NULL;
	strbuf_grow(out, (size_t)total);
	for (unsigned long long i = 0; i < chunks; i++) {
		char *ck = xasprintf("%s:%llu", key, i);
		const char *argv[2] = {"GET", ck};
		size_t lens[2];
		int rc = append(r, name, 2, argv, arg_lens(2, argv, lens), cause);
		free(ck);
		if (rc < 0)
			return -1;
	}
	/* Every reply is read, even after a problem, to keep the pipeline in step. */
	for (unsigned long long i = 0; i < chunks; i++) {
		redisReply *reply;
		if (get_reply(r, name, &reply, cause) < 0) {
			free(problem);
			strbuf_reset(out);
			return -1;
		}
		size_t want =
		    i + 1 < chunks ? CACHE_REDIS_CHUNK : (size_t)(total - i * CACHE_REDIS_CHUNK);
		if (problem) {
			/* already failed */
		} else if (reply->type == REDIS_REPLY_NIL) {
			problem = xasprintf("chunk %llu of %llu is missing", i + 1, chunks);
		} else if (reply->type != REDIS_REPLY_STRING) {
			problem = xasprintf("chunk %llu of %llu: not a string", i + 1, chunks);
		} else if (reply->len != want) {
			problem = xasprintf("chunk %llu of %llu has %zu bytes, want %zu", i + 1,
			                    chunks, reply->len, want);
		} else {
			strbuf_add(out, reply->str, reply->len);
		}
		freeReplyObject(reply);
	}
	if (!problem && out->len != total)
		problem = xasprintf("%zu bytes in chunks, want %llu", out->len, total);
	if (problem) {
		*cause = fail_msg(r, name, problem);
		strbuf_reset(out);
		return -1;
	}
	return 1;
}

static int redis_get(struct cache_backend *b, enum cache_ns ns, const char *hex, struct strbuf *out,
                     char **cause)
{
	struct redis_backend *r = (struct redis_backend *)b;
	unsigned long long total, chunks;
	redisReply *reply = NULL;
	int rc = -1;
	if (cache_name_check(ns, hex, cause) < 0)
		return -1;
	strbuf_reset(out);
	if (redis_connect(r, cause) < 0)
		return -1;
	char *key = object_key(r, ns, hex), *name = object_name(ns, hex);
	const char *argv[2] = {"GET", key};
	size_t lens[2];
	if (!(reply = command(r, name, 2, argv, arg_lens(2, argv, lens), cause)))
		goto out;
	if (reply->type == REDIS_REPLY_NIL) {
		rc = 0;
	} else if (reply->type != REDIS_REPLY_STRING || reply->len == 0) {
		*cause = fail_msg(r, name, xstrdup("not a golive cache value"));
	} else if (reply->str[0] == '=') {
		if (reply->len - 1 > b->opts.max_object) {
			*cause = fail_msg(r, name,
			                  xasprintf("%zu bytes, larger than max_object (%zu)",
			                            reply->len - 1, b->opts.max_object));
		} else {
			strbuf_add(out, reply->str + 1, reply->len - 1);
			rc = 1;
		}
	} else if (parse_descriptor(reply->str, reply->len, &total, &chunks) < 0) {
		*cause = fail_msg(r, name, xstrdup("not a golive cache value"));
	} else if (total > b->opts.max_object) {
		*cause = fail_msg(r, name,
		                  xasprintf("%llu bytes, larger than max_object (%zu)", total,
		                            b->opts.max_object));
	} else {
		rc = get_chunks(r, key, name, total, chunks, out, cause);
	}
out:
	if (reply)
		freeReplyObject(reply);
	free(key);
	free(name);
	return rc;
}

/* Queues SET key value [EX ttl]; 0, or -1 with *cause. */
static int append_set(struct redis_backend *r, const char *name, const char *key, const char *val,
                      size_t len, const char *ttl, char **cause)
{
	const char *argv[5] = {"SET", key, val, "EX", ttl};
	size_t lens[5] = {3, strlen(key), len, 2, ttl ? strlen(ttl) : 0};
	return append(r, name, ttl ? 5 : 3, argv, lens, cause);
}

static int redis_put(struct cache_backend *b, enum cache_ns ns, const char *hex, const void *buf,
                     size_t len, char **cause)
{
	struct redis_backend *r = (struct redis_backend *)b;
	char ttl[24], *ttlp = NULL, *problem = NULL, *val = NULL;
	size_t nreplies = 0;
	int rc = -1;
	if (cache_name_check(ns, hex, cause) < 0)
		return -1;
	char *name = object_name(ns, hex);
	if (len > b->opts.max_object) {
		*cause = fail_msg(
		    r, name,
		    xasprintf("%zu bytes, larger than max_object (%zu)", len, b->opts.max_object));
		free(name);
		return -1;
	}
	if (redis_connect(r, cause) < 0) {
		free(name);
		return -1;
	}
	if (b->opts.ttl_s > 0) {
		snprintf(ttl, sizeof(ttl), "%ld", b->opts.ttl_s);
		ttlp = ttl;
	}
	char *key = object_key(r, ns, hex);
	if (len <= CACHE_REDIS_CHUNK) {
		val = xmalloc(len + 1);
		val[0] = '=';
		if (len)
			memcpy(val + 1, buf, len);
		if (append_set(r, name, key, val, len + 1, ttlp, cause) < 0)
			goto out;
		nreplies = 1;
	} else {
		size_t chunks = (len + CACHE_REDIS_CHUNK - 1) / CACHE_REDIS_CHUNK;
		for (size_t i = 0; i < chunks; i++) {
			size_t off = i * CACHE_REDIS_CHUNK;
			size_t n = len - off < CACHE_REDIS_CHUNK ? len - off : CACHE_REDIS_CHUNK;
			char *ck = xasprintf("%s:%zu", key, i);
			int arc = append_set(r, name, ck, (const char *)buf + off, n, ttlp, cause);
			free(ck);
			if (arc < 0)
				goto out;
		}
		/* The descriptor last: whoever sees it can find every chunk. */
		val = xasprintf("%zu:%zu", len, chunks);
		if (append_set(r, name, key, val, strlen(val), ttlp, cause) < 0)
			goto out;
		nreplies = chunks + 1;
	}
	for (size_t i = 0; i < nreplies; i++) {
		redisReply *reply;
		if (get_reply(r, name, &reply, cause) < 0)
			goto out;
		if (problem) {
			/* keep reading: the pipeline must be drained */
		} else if (reply->type == REDIS_REPLY_ERROR) {
			problem = one_line(reply->str, reply->len);
		} else if (reply->type != REDIS_REPLY_STATUS || strcmp(reply->str, "OK") != 0) {
			problem = xstrdup("unexpected answer to SET");
		}
		freeReplyObject(reply);
	}
	if (problem) {
		*cause = fail_msg(r, name, problem);
		problem = NULL;
		goto out;
	}
	rc = 0;
out:
	free(problem);
	free(val);
	free(key);
	free(name);
	return rc;
}

static int redis_exists(struct cache_backend *b, enum cache_ns ns, const char *hex, char **cause)
{
	struct redis_backend *r = (struct redis_backend *)b;
	int rc = -1;
	if (cache_name_check(ns, hex, cause) < 0 || redis_connect(r, cause) < 0)
		return -1;
	char *key = object_key(r, ns, hex), *name = object_name(ns, hex);
	const char *argv[2] = {"EXISTS", key};
	size_t lens[2];
	redisReply *reply = command(r, name, 2, argv, arg_lens(2, argv, lens), cause);
	if (reply && reply->type == REDIS_REPLY_INTEGER)
		rc = reply->integer > 0;
	else if (reply)
		*cause = fail_msg(r, name, xstrdup("unexpected answer to EXISTS"));
	if (reply)
		freeReplyObject(reply);
	free(key);
	free(name);
	return rc;
}

/* DEL of keys[0..n), REDIS_DEL_BATCH at a time; 0, or -1 with *cause. */
static int del_keys(struct redis_backend *r, const char *name, char **keys, size_t n, char **cause)
{
	for (size_t start = 0; start < n; start += REDIS_DEL_BATCH) {
		size_t m = n - start < REDIS_DEL_BATCH ? n - start : REDIS_DEL_BATCH;
		const char **argv = xcalloc(m + 1, sizeof(*argv));
		size_t *lens = xcalloc(m + 1, sizeof(*lens));
		argv[0] = "DEL";
		for (size_t i = 0; i < m; i++)
			argv[i + 1] = keys[start + i];
		redisReply *reply =
		    command(r, name, (int)(m + 1), argv, arg_lens((int)(m + 1), argv, lens), cause);
		free(argv);
		free(lens);
		if (!reply)
			return -1;
		freeReplyObject(reply);
	}
	return 0;
}

static int redis_del(struct cache_backend *b, enum cache_ns ns, const char *hex, char **cause)
{
	struct redis_backend *r = (struct redis_backend *)b;
	unsigned long long total, chunks = 0;
	ARRAY(char *) keys = ARRAY_INIT;
	int rc = -1;
	if (cache_name_check(ns, hex, cause) < 0 || redis_connect(r, cause) < 0)
		return -1;
	char *key = object_key(r, ns, hex), *name = object_name(ns, hex);
	/* The head of the value says whether there are chunks to delete too. */
	const char *argv[4] = {"GETRANGE", key, "0", "40"};
	size_t lens[4];
	redisReply *reply = command(r, name, 4, argv, arg_lens(4, argv, lens), cause);
	if (!reply)
		goto out;
	if (reply->type == REDIS_REPLY_STRING &&
	    parse_descriptor(reply->str, reply->len, &total, &chunks) < 0)
		chunks = 0;
	freeReplyObject(reply);
	ARRAY_PUSH(keys, xstrdup(key));
	for (unsigned long long i = 0; i < chunks; i++)
		ARRAY_PUSH(keys, xasprintf("%s:%llu", key, i));
	rc = del_keys(r, name, keys.v, keys.n, cause);
out:
	for (size_t i = 0; i < keys.n; i++)
		free(keys.v[i]);
	ARRAY_FREE(keys);
	free(key);
	free(name);
	return rc;
}

/* s with the glob characters of a SCAN MATCH pattern escaped. */
static void add_glob_escaped(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (strchr("*?[]\\", *s))
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, *s);
	}
}

static int is_hex64(const char *s, size_t n)
{
	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/*
 * SCANs the keys matching pattern, calling each(key, len, arg) for every
 * batch member; a non-zero answer stops the scan and is returned. 0, or
 * -1 with *cause. (SCAN may report a key twice when the table grows.)
 */
static int scan(struct redis_backend *r, const char *pattern,
                int (*each)(struct redis_backend *r, redisReply *keys, void *arg, char **cause),
                void *arg, char **cause)
{
	char *cursor = xstrdup("0");
	int rc = 0;
	do {
		const char *argv[6] = {"SCAN", cursor, "MATCH", pattern, "COUNT", REDIS_SCAN_COUNT};
		size_t lens[6];
		redisReply *reply = command(r, "SCAN", 6, argv, arg_lens(6, argv, lens), cause);
		if (!reply) {
			rc = -1;
			break;
		}
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
		    reply->element[0]->type != REDIS_REPLY_STRING ||
		    reply->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(reply);
			*cause = fail_msg(r, "SCAN", xstrdup("unexpected answer"));
			rc = -1;
			break;
		}
		free(cursor);
		cursor = xstrndup(reply->element[0]->str, reply->element[0]->len);
		rc = each(r, reply->element[1], arg, cause);
		freeReplyObject(reply);
	} while (rc == 0 && strcmp(cursor, "0") != 0);
	free(cursor);
	return rc;
}

struct list_state {
	size_t skip; /* strlen("<prefix><ns>:") */
	int (*fn)(const char *hex, void *arg);
	void *arg;
};

static int list_each(struct redis_backend *r, redisReply *keys, void *arg, char **cause)
{
	struct list_state *ls = arg;
	char hex[65];
	(void)r, (void)cause;
	for (size_t i = 0; i < keys->elements; i++) {
		redisReply *k = keys->element[i];
		if (k->type != REDIS_REPLY_STRING || k->len != ls->skip + 64 ||
		    !is_hex64(k->str + ls->skip, 64))
			continue; /* chunks, and keys that are not ours */
		memcpy(hex, k->str + ls->skip, 64);
		hex[64] = '\0';
		int rc = ls->fn(hex, ls->arg);
		if (rc)
			return rc;
	}
	return 0;
}

static int redis_list(struct cache_backend *b, enum cache_ns ns,
                      int (*fn)(const char *hex, void *arg), void *arg, char **cause)
{
	struct redis_backend *r = (struct redis_backend *)b;
	struct strbuf pattern = STRBUF_INIT;
	if (ns != CACHE_AC && ns != CACHE_CAS) {
		*cause = xasprintf("bad cache namespace %d", (int)ns);
		return -1;
	}
	if (redis_connect(r, cause) < 0)
		return -1;
	add_glob_escaped(&pattern, b->opts.prefix);
	strbuf_addf(&pattern, "%s:*", cache_ns_name(ns));
	struct list_state ls = {strlen(b->opts.prefix) + strlen(cache_ns_name(ns)) + 1, fn, arg};
	int rc = scan(r, pattern.buf, list_each, &ls, cause);
	strbuf_release(&pattern);
	return rc;
}

/* Whether s[0..n) is "ac:<hex>:<i>" or "cas:<hex>:<i>" (a chunk). */
static int is_chunk_key(const char *s, size_t n)
{
	size_t ns = n > 3 && memcmp(s, "ac:", 3) == 0    ? 3
	            : n > 4 && memcmp(s, "cas:", 4) == 0 ? 4
	                                                 : 0;
	if (!ns || n < ns + 64 + 2 || !is_hex64(s + ns, 64) || s[ns + 64] != ':')
		return 0;
	for (size_t i = ns + 65; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

struct stats_state {
	struct cache_backend_stats *st;
	size_t plen;
};

/* Counts a SCAN batch and adds its values' sizes (STRLEN, pipelined). */
static int stats_each(struct redis_backend *r, redisReply *keys, void *arg, char **cause)
{
	struct stats_state *ss = arg;
	size_t queued = 0;
	for (size_t i = 0; i < keys->elements; i++) {
		redisReply *k = keys->element[i];
		if (k->type != REDIS_REPLY_STRING || k->len < ss->plen)
			continue;
		const char *rest = k->str + ss->plen;
		size_t n = k->len - ss->plen;
		if (n == 3 + 64 && memcmp(rest, "ac:", 3) == 0 && is_hex64(rest + 3, 64))
			ss->st->ac_entries++;
		else if (n == 4 + 64 && memcmp(rest, "cas:", 4) == 0 && is_hex64(rest + 4, 64))
			ss->st->cas_objects++;
		else if (!is_chunk_key(rest, n))
			continue; /* not ours */
		const char *argv[2] = {"STRLEN", k->str};
		size_t lens[2] = {6, k->len};
		if (append(r, "STRLEN", 2, argv, lens, cause) < 0)
			return -1;
		queued++;
	}
	for (size_t i = 0; i < queued; i++) {
		redisReply *reply;
		if (get_reply(r, "STRLEN", &reply, cause) < 0)
			return -1;
		if (reply->type == REDIS_REPLY_INTEGER)
			ss->st->bytes += reply->integer;
		freeReplyObject(reply);
	}
	return 0;
}

/* "redis 7.0.15" from INFO server, or NULL. */
static char *server_version(const char *info, size_t len)
{
	static const char field[] = "redis_version:";
	for (const char *p = info, *end = info + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > sizeof(field) - 1 && memcmp(p, field, sizeof(field) - 1) == 0) {
			const char *v = p + sizeof(field) - 1;
			size_t vn = n - (sizeof(field) - 1);
			while (vn && (v[vn - 1] == '\r' || v[vn - 1] == ' '))
				vn--;
			char *ver = one_line(v, vn > 40 ? 40 : vn);
			char *s = xasprintf("redis %s", ver);
			free(ver);
			return s;
		}
		p += n + 1;
	}
	return NULL;
}

static int redis_stats(struct cache_backend *b, struct cache_backend_stats *st, char **cause)
{
	struct redis_backend *r = (struct redis_backend *)b;
	struct strbuf pattern = STRBUF_INIT;
	memset(st, 0, sizeof(*st));
	if (redis_connect(r, cause) < 0)
		return -1;
	const char *argv[2] = {"INFO", "server"};
	size_t lens[2];
	redisReply *reply = command(r, "INFO", 2, argv, arg_lens(2, argv, lens), cause);
	if (!reply)
		return -1;
	if (reply->type == REDIS_REPLY_STRING)
		st->server = server_version(reply->str, reply->len);
	freeReplyObject(reply);
	if (!st->server)
		st->server = xstrdup("redis");

	add_glob_escaped(&pattern, b->opts.prefix);
	strbuf_addch(&pattern, '*');
	struct stats_state ss = {st, strlen(b->opts.prefix)};
	int rc = scan(r, pattern.buf, stats_each, &ss, cause);
	strbuf_release(&pattern);
	if (rc < 0) {
		cache_backend_stats_release(st);
		return -1;
	}
	return 0;
}

static void redis_close(struct cache_backend *b)
{
	struct redis_backend *r = (struct redis_backend *)b;
	if (r->c)
		redisFree(r->c);
	cache_backend_release(b);
	free(r->host);
	free(r->user);
	free(r->password);
	free(r->where);
	free(r);
}

static const struct cache_backend_ops redis_ops = {
    "redis", redis_get, redis_put, redis_exists, redis_del, redis_list, redis_stats, redis_close,
};

/* ---- the URL ---------------------------------------------------------------------- */

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

int cache_redis_open(const struct cache_backend_options *opts, struct cache_backend **out,
                     char **cause)
{
	const char *auth = strstr(opts->url, "://") + 3; /* cache_backend_open saw the scheme */
	size_t auth_len = strcspn(auth, "/?#");
	const char *at = NULL, *hp, *path = auth + auth_len;
	char *shown = cache_url_display(opts->url);
	char *user = NULL, *password = NULL, *host = NULL;
	unsigned long long port = REDIS_DEFAULT_PORT, db = 0;
	const char *why = NULL;

	for (size_t i = 0; i < auth_len; i++)
		if (auth[i] == '@')
			at = auth + i;
	hp = at ? at + 1 : auth;
	size_t hp_len = (size_t)(path - hp);
	const char *port_s = NULL;
	if (hp_len && hp[0] == '[') {
		const char *close = memchr(hp, ']', hp_len);
		if (!close) {
			why = "unclosed [ in the host";
			goto fail;
		}
		host = xstrndup(hp + 1, (size_t)(close - hp - 1));
		if (close + 1 < path) {
			if (close[1] != ':') {
				why = "junk after the host";
				goto fail;
			}
			port_s = close + 2;
		}
	} else {
		const char *colon = memchr(hp, ':', hp_len);
		host = xstrndup(hp, colon ? (size_t)(colon - hp) : hp_len);
		port_s = colon ? colon + 1 : NULL;
	}
	if (!*host) {
		why = "no host";
		goto fail;
	}
	if (port_s &&
	    (parse_u64(port_s, (size_t)(path - port_s), &port) < 0 || port == 0 || port > 65535)) {
		why = "bad port";
		goto fail;
	}
	if (*path == '?' || *path == '#') {
		why = "a query or fragment is not understood";
		goto fail;
	}
	if (*path == '/' && path[1] &&
	    (parse_u64(path + 1, strlen(path + 1), &db) < 0 || db > INT_MAX)) {
		why = "the path must be a database number";
		goto fail;
	}
	if (at) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));
		size_t un = colon ? (size_t)(colon - auth) : (size_t)(at - auth);
		user = percent_decode(auth, un);
		password = colon ? percent_decode(colon + 1, (size_t)(at - colon - 1)) : NULL;
		if (!user || (colon && !password)) {
			why = "bad %-escape in the user or password";
			goto fail;
		}
	}
	if (!user || !*user) {
		free(user);
		user =
		    env_nonempty("GOLIVE_CACHE_USER") ? xstrdup(getenv("GOLIVE_CACHE_USER")) : NULL;
	}
	if (!password || !*password) {
		free(password);
		password = env_nonempty("GOLIVE_CACHE_PASSWORD")
		               ? xstrdup(getenv("GOLIVE_CACHE_PASSWORD"))
		               : NULL;
	}
	if (user && !password) {
		why = "a user needs a password (in the URL or GOLIVE_CACHE_PASSWORD)";
		goto fail;
	}

	struct redis_backend *r = xcalloc(1, sizeof(*r));
	cache_backend_init(&r->b, &redis_ops, opts);
	r->host = host;
	r->port = (int)port;
	r->db = (int)db;
	r->user = user;
	r->password = password;
	int v6 = strchr(host, ':') != NULL;
	r->where =
	    db ? xasprintf("redis %s%s%s:%d/%d", v6 ? "[" : "", host, v6 ? "]" : "", r->port, r->db)
	       : xasprintf("redis %s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", r->port);
	free(shown);
	*out = &r->b;
	return 0;
fail:
	*cause = xasprintf("cache.backend: \"%.200s\": %s", shown, why);
	free(shown);
	free(host);
	free(user);
	free(password);
	return -1;
}
