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
 * SELECT) and dropped after any I/O or protocol error so that the next
 * request starts afresh. hiredis connects, formats commands and parses
 * replies; the socket's I/O is ours, non-blocking, so that:
 *   - a request has one deadline, opts->timeout_ms from its start, for
 *     everything it does (connect, AUTH, SELECT, writing, every reply): a
 *     server that trickles bytes is cut off like one that never answers.
 *     list and stats are one request per SCAN batch. The host name is
 *     resolved with getaddrinfo, which no timeout bounds.
 *   - every byte read is checked by a RESP scanner (struct resp_scan)
 *     before hiredis sees it: a string longer than any value golive stores
 *     (resp_limits), an array with too many elements or nested too deep, a
 *     reply over its byte budget, or bytes that are not RESP end the
 *     request at the header, before anything is buffered for it. A
 *     server's answer therefore never costs more memory than the largest
 *     legitimate reply.
 * Writes use send(MSG_NOSIGNAL): a server that went away is an error, not
 * a SIGPIPE.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cache/cache_backend.h"

#include <hiredis/hiredis.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define REDIS_DEFAULT_PORT 6379
#define REDIS_SCAN_COUNT   "1000"
#define REDIS_DEL_BATCH    512 /* keys per DEL */
#define REDIS_ERR_MAX      200 /* bytes of a server's error kept in a cause */
/* A chunk count above this is a corrupt descriptor (4 PiB at 4 MiB a chunk). */
#define REDIS_MAX_CHUNKS 1000000000ULL
#define REDIS_READ_SIZE  65536 /* bytes read from the socket at a time */

/* ---- the reply scanner -------------------------------------------------------------- */

/* A string may always be this long (INFO's answer, an error line). */
#define RESP_MIN_STRING (64u << 10)
#define RESP_ELEMENTS   (1u << 16)  /* elements in one reply (a SCAN batch is ~1000 keys) */
#define RESP_EXTRA      (8u << 20)  /* bytes a reply may have beyond its longest string */
#define RESP_DEPTH      4           /* nested arrays (golive's replies nest 2 deep) */
#define RESP_LINE_MAX   (64u << 10) /* a header, status or error line */
#define RESP_NUM_MAX    24          /* bytes of a length header kept for parsing */

/*
 * Follows the RESP2 stream the server sends, reply by reply, and refuses
 * one that is not RESP or is over its limits as soon as its header says so:
 * the string length of a '$' header, the element count of a '*' header.
 */
struct resp_scan {
	size_t max_string, max_elements, max_bytes; /* the limits (resp_limits) */
	char num[RESP_NUM_MAX];                     /* the start of the header line being read */
	size_t line;                                /* bytes of that line so far, 0 between lines */
	int cr;                                     /* the line's last byte was '\r' */
	long long skip;                             /* a string's bytes (+ CRLF) still to pass */
	long long due[RESP_DEPTH];                  /* per open array: elements still to come */
	int depth;                                  /* open arrays */
	size_t bytes, elements;                     /* of the reply being read */
};

/* The limits for a backend: no legitimate reply is refused, nothing else is buffered. */
static void resp_limits(struct resp_scan *s, size_t max_object)
{
	/* The longest string golive reads: '=' + a value, or a chunk; never over max_object + 1. */
	size_t longest = max_object < CACHE_REDIS_CHUNK ? max_object : CACHE_REDIS_CHUNK;
	memset(s, 0, sizeof(*s));
	s->max_string = longest + 1 > RESP_MIN_STRING ? longest + 1 : RESP_MIN_STRING;
	s->max_elements = RESP_ELEMENTS;
	s->max_bytes = s->max_string + RESP_EXTRA;
}

/* Starts afresh (a new connection), keeping the limits. */
static void resp_reset(struct resp_scan *s)
{
	size_t ms = s->max_string, me = s->max_elements, mb = s->max_bytes;
	memset(s, 0, sizeof(*s));
	s->max_string = ms, s->max_elements = me, s->max_bytes = mb;
}

/* One element is complete: closes the arrays it completes, and the reply with the last. */
static void resp_element_done(struct resp_scan *s)
{
	while (s->depth > 0) {
		if (--s->due[s->depth - 1] > 0)
			return;
		s->depth--;
	}
	s->bytes = s->elements = 0; /* the reply is complete */
}

/* A header's number: -1 and up, digits only; -2 when it is not one. */
static long long resp_number(const char *s, size_t n)
{
	long long v = 0;
	int neg = n > 0 && s[0] == '-';
	if (neg)
		s++, n--;
	if (n == 0 || n > 18)
		return -2;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -2;
		v = v * 10 + (s[i] - '0');
	}
	return neg ? (v == 1 ? -1 : -2) : v;
}

/* A complete header line (s->num holds its start, s->line its length with CRLF). */
static int resp_header(struct resp_scan *s, char **why)
{
	char type = s->num[0];
	size_t n = s->line - 3; /* without the type byte and CRLF */
	if (++s->elements > s->max_elements) {
		*why = xasprintf("reply too large: over %zu elements", s->max_elements);
		return -1;
	}
	if (type == '+' || type == '-' || type == ':') {
		resp_element_done(s);
		return 0;
	}
	long long v = n <= RESP_NUM_MAX - 1 ? resp_number(s->num + 1, n) : -2;
	if (v < -1) {
		*why = xstrdup("bad reply: a length that is not a number");
		return -1;
	}
	if (type == '$') {
		if (v > (long long)s->max_string) {
			*why = xasprintf("reply too large: a %lld-byte string (at most %zu)", v,
			                 s->max_string);
			return -1;
		}
		if (v < 0)
			resp_element_done(s);
		else
			s->skip = v + 2;
		return 0;
	}
	if (v > (long long)(s->max_elements - s->elements)) {
		*why = xasprintf("reply too large: an array of %lld elements (at most %zu)", v,
		                 s->max_elements);
		return -1;
	}
	if (v <= 0) {
		resp_element_done(s);
		return 0;
	}
	if (s->depth == RESP_DEPTH) {
		*why = xasprintf("bad reply: arrays nested over %d deep", RESP_DEPTH);
		return -1;
	}
	s->due[s->depth++] = v;
	return 0;
}

/* Checks the next n bytes of the stream; 0, or -1 with *why (the stream is then unusable). */
static int resp_scan_feed(struct resp_scan *s, const char *p, size_t n, char **why)
{
	while (n > 0) {
		if (s->skip > 0) {
			size_t take = (unsigned long long)s->skip < n ? (size_t)s->skip : n;
			s->skip -= (long long)take;
			s->bytes += take;
			p += take, n -= take;
			if (s->skip == 0) {
				if (p[-1] != '\n') {
					*why = xstrdup("bad reply: a string not followed by CRLF");
					return -1;
				}
				resp_element_done(s);
			}
		} else {
			char c = *p++;
			n--;
			s->bytes++;
			if (s->line == 0 && !strchr("+-:$*", c)) {
				*why =
				    xasprintf("bad reply: not RESP (a line starting with 0x%02x)",
				              (unsigned char)c);
				return -1;
			}
			if (s->line < RESP_NUM_MAX)
				s->num[s->line] = c;
			if (++s->line > RESP_LINE_MAX) {
				*why = xasprintf("bad reply: a line over %u bytes", RESP_LINE_MAX);
				return -1;
			}
			if (c == '\n' && s->cr && s->line >= 3) {
				int rc = resp_header(s, why);
				s->line = 0;
				s->cr = 0;
				if (rc < 0)
					return -1;
			} else {
				s->cr = c == '\r';
			}
		}
		if (s->bytes > s->max_bytes) {
			*why = xasprintf("reply too large: over %zu bytes", s->max_bytes);
			return -1;
		}
	}
	return 0;
}

/* ---- the backend --------------------------------------------------------------------- */

struct redis_backend {
	struct cache_backend b;
	char *host;
	int port, db;
	char *user, *password; /* AUTH [user] password when password is set */
	char *where;           /* "redis host:port[/db]" for messages */
	redisContext *c;       /* NULL until connected, and after an I/O error */
	struct strbuf out;     /* commands formatted and not yet sent */
	struct resp_scan scan; /* what the server sent, checked before hiredis reads it */
	int64_t deadline;      /* now_mono_ns() at which the current request fails */
};

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

/* A system or hiredis error text, worded for a cause ("connection refused"). */
static char *error_text(const char *e)
{
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

static char *timeout_text(const struct redis_backend *r)
{
	return xasprintf("no answer within the %ld ms timeout", r->b.opts.timeout_ms);
}

/* Closes the connection and forgets what was queued on it. */
static void drop(struct redis_backend *r)
{
	if (r->c)
		redisFree(r->c);
	r->c = NULL;
	strbuf_reset(&r->out);
	resp_reset(&r->scan);
}

/* Drops the connection after an I/O or protocol error; *cause from detail (taken). */
static int io_failed(struct redis_backend *r, const char *what, char *detail, char **cause)
{
	*cause = fail_msg(r, what, detail);
	drop(r);
	return -1;
}

/* "ac/0123456789abcdef.." for messages. */
static char *object_name(enum cache_ns ns, const char *hex)
{
	return xasprintf("%s/%.16s..", cache_ns_name(ns), hex);
}

/* ---- the connection and commands ------------------------------------------------ */

/* A request starts: its deadline is timeout_ms from now. */
static void request_begin(struct redis_backend *r)
{
	r->deadline = now_mono_ns() + (int64_t)r->b.opts.timeout_ms * 1000000;
}

/* Milliseconds left before the deadline (rounded up), 0 when it has passed. */
static int ms_left(const struct redis_backend *r)
{
	int64_t left = r->deadline - now_mono_ns();
	if (left <= 0)
		return 0;
	left = (left + 999999) / 1000000;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* Waits until the socket is ready for events, within the deadline; 0, or -1 with *cause. */
static int wait_ready(struct redis_backend *r, short events, const char *what, char **cause)
{
	for (;;) {
		int ms = ms_left(r);
		if (ms == 0)
			return io_failed(r, what, timeout_text(r), cause);
		struct pollfd pfd = {r->c->fd, events, 0};
		int n = poll(&pfd, 1, ms);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return io_failed(r, what, error_text(strerror(errno)), cause);
	}
}

/* Queues one command (binary-safe arguments); sent by the next get_reply. 0, or -1 with *cause. */
static int append(struct redis_backend *r, const char *what, int argc, const char **argv,
                  const size_t *lens, char **cause)
{
	char *cmd = NULL;
	int n = redisFormatCommandArgv(&cmd, argc, argv, lens);
	if (n < 0 || !cmd)
		return io_failed(r, what, xstrdup("cannot format a command (out of memory)"),
		                 cause);
	strbuf_add(&r->out, cmd, (size_t)n);
	redisFreeCommand(cmd);
	return 0;
}

/* Sends what append queued, within the deadline. 0, or -1 with *cause (connection dropped). */
static int flush(struct redis_backend *r, const char *what, char **cause)
{
	size_t off = 0;
	while (off < r->out.len) {
		ssize_t n = send(r->c->fd, r->out.buf + off, r->out.len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_ready(r, POLLOUT, what, cause) < 0)
				return -1;
			continue;
		}
		return io_failed(r, what, error_text(n < 0 ? strerror(errno) : "cannot send"),
		                 cause);
	}
	strbuf_reset(&r->out);
	return 0;
}

/*
 * The next reply of the pipeline (queued commands are sent first), read
 * within the request's deadline and checked by the scanner before hiredis
 * parses it. 0, or -1 with *cause after an I/O or protocol error, a reply
 * over the limits or the deadline (the connection is dropped).
 */
static int get_reply(struct redis_backend *r, const char *what, redisReply **reply, char **cause)
{
	char buf[REDIS_READ_SIZE];
	if (r->out.len && flush(r, what, cause) < 0)
		return -1;
	for (;;) {
		void *p = NULL;
		if (redisReaderGetReply(r->c->reader, &p) != REDIS_OK) {
			char *e = xasprintf("bad reply: %s", r->c->reader->errstr);
			if (p)
				freeReplyObject(p);
			return io_failed(r, what, e, cause);
		}
		if (p) {
			*reply = p;
			return 0;
		}
		if (wait_ready(r, POLLIN, what, cause) < 0)
			return -1;
		ssize_t n = recv(r->c->fd, buf, sizeof(buf), 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n <= 0)
			return io_failed(r, what,
			                 n ? error_text(strerror(errno))
			                   : xstrdup("the server closed the connection"),
			                 cause);
		char *why = NULL;
		if (resp_scan_feed(&r->scan, buf, (size_t)n, &why) < 0)
			return io_failed(r, what, why, cause);
		if (redisReaderFeed(r->c->reader, buf, (size_t)n) != REDIS_OK)
			return io_failed(r, what, xstrdup("cannot buffer a reply (out of memory)"),
			                 cause);
	}
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

/* Connects (once), authenticates and selects the database, within the request's deadline. */
static int redis_connect(struct redis_backend *r, char **cause)
{
	if (r->c)
		return 0;
	int ms = ms_left(r);
	if (ms == 0) {
		*cause = fail_msg(
		    r, NULL,
		    xasprintf("cannot connect within the %ld ms timeout", r->b.opts.timeout_ms));
		return -1;
	}
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
	redisContext *c = redisConnectWithTimeout(r->host, r->port, tv);
	if (!c) {
		*cause = fail_msg(r, NULL, xstrdup("cannot allocate a connection"));
		return -1;
	}
	if (c->err) {
		char *e = c->err == REDIS_ERR_IO && strcmp(c->errstr, strerror(ETIMEDOUT)) == 0
		              ? xasprintf("cannot connect within the %ld ms timeout",
		                          r->b.opts.timeout_ms)
		              : error_text(c->errstr[0] ? c->errstr : "cannot connect");
		*cause = fail_msg(r, NULL, e);
		redisFree(c);
		return -1;
	}
	int fl = fcntl(c->fd, F_GETFL);
	if (fl < 0 || fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		*cause = fail_msg(r, NULL, error_text(strerror(errno)));
		redisFree(c);
		return -1;
	}
	r->c = c;
	strbuf_reset(&r->out);
	resp_reset(&r->scan);
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
	drop(r);
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
	request_begin(r);
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
	request_begin(r);
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
	if (cache_name_check(ns, hex, cause) < 0)
		return -1;
	request_begin(r);
	if (redis_connect(r, cause) < 0)
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
	if (cache_name_check(ns, hex, cause) < 0)
		return -1;
	request_begin(r);
	if (redis_connect(r, cause) < 0)
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
		request_begin(r); /* one request per batch: a big cache takes many */
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
	request_begin(r);
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
	request_begin(r);
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
	drop(r);
	strbuf_release(&r->out);
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
	strbuf_init(&r->out, 0);
	resp_limits(&r->scan, r->b.opts.max_object);
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
