/*
 * cache_backend.h - the shared compile cache's storage, behind one small
 * interface (docs/cache.md, "Backends").
 *
 * A cache holds two namespaces, like bazel-remote's HTTP protocol:
 *   CACHE_AC  "ac/<key>"     the manifest of one tool invocation (cache_entry.h)
 *   CACHE_CAS "cas/<sha256>" one output file's bytes, named by their sha256
 * Names are 64 lowercase hex digits; the backend never interprets values.
 *
 * Backends, chosen by the URL's scheme:
 *   redis://[user:password@]host[:port][/db]   hiredis (linked statically);
 *       keys "<prefix>ac:<hex>" and "<prefix>cas:<hex>" in database db
 *       (SELECT, default 0). A value (either namespace) of at most
 *       CACHE_REDIS_CHUNK bytes is one Redis string: the byte '=' then the
 *       value. A larger one is stored as chunks "<key>:0".."<key>:<C-1>"
 *       and then the key itself holding the decimal total size and chunk
 *       count ("N:C"); get fails (-1, never a partial value) when a chunk
 *       is missing or has the wrong size; del removes the chunks too.
 *       Every key gets the TTL (SET .. EX) when ttl_s > 0. Password also
 *       from GOLIVE_CACHE_PASSWORD, user from GOLIVE_CACHE_USER (when the
 *       URL has none); AUTH with a user needs Redis >= 6. list and stats
 *       SCAN the prefix (SCAN may report a name twice while Redis rehashes);
 *       stats' bytes are the stored values' sizes (STRLEN).
 *   http://host[:port]/path/ and https://   libcurl (dlopen'd): GET, PUT,
 *       HEAD (exists) and DELETE of <url>/ac/<hex> and <url>/cas/<hex>
 *       (a '/' is added to the URL when missing); 200 = found, 404 =
 *       missing, PUT 200/201/204 = stored, DELETE 200/202/204/404 = gone.
 *       Auth: GOLIVE_CACHE_TOKEN (Bearer), else user:password in the URL or
 *       GOLIVE_CACHE_USER/GOLIVE_CACHE_PASSWORD (Basic). Redirects are not
 *       followed. nginx WebDAV (dav_methods PUT DELETE; create_full_put_path
 *       on) and bazel-remote both serve this. list cannot (-2); stats
 *       names the server (its Server header) and counts -1.
 *   dir:///abs/path (or a plain absolute path)   files <path>/ac/<xx>/<hex>
 *       and <path>/cas/<xx>/<hex> (xx = the first two hex digits), written
 *       to a temp file and renamed, so readers never see half a file;
 *       directories 0777 and files 0666, less the umask (a shared cache
 *       wants umask 002).
 *
 * Every request is bounded by opts->timeout_ms as a whole, connect
 * included: a server that trickles bytes is cut off at the deadline like
 * one that never answers (Redis: get, put, exists and del are one request
 * each, list and stats one per SCAN batch; dir: checked between reads and
 * writes of at most 1 MiB). What a server sends is bounded while it is
 * read, never buffered first: HTTP bodies by max_object (a Content-Length
 * over it fails at the headers); Redis replies by a scanner that refuses a
 * string longer than any value golive stores (max_object or a chunk, 64
 * KiB at the least), an array of over 65536 elements or nested deeper than
 * 4, and a reply of more bytes than that, at the header that announces it;
 * dir objects by O_NONBLOCK opens that refuse anything but a regular file
 * ("not a regular file": a FIFO, a device, a symlink) and reads that stop
 * after max_object bytes. Host names are resolved by the system resolver,
 * which no timeout bounds. Errors
 * are one line with no credentials in it: "redis 127.0.0.1:6379: connection
 * refused", "http://h/golive/ac/ab12cd34ab12cd34..: HTTP 500", "dir /x:
 * ac/ab/ab12...: Permission denied"; a name that is not 64 lowercase hex
 * digits is "bad cache name ..." in every backend. No function prints
 * anything.
 */
#ifndef GOLIVE_CACHE_BACKEND_H
#define GOLIVE_CACHE_BACKEND_H

#include "core/util.h"

#include <stddef.h>

enum cache_ns { CACHE_AC = 0, CACHE_CAS = 1 };

#define CACHE_REDIS_CHUNK        (4u << 20)        /* bytes per Redis value of a chunked value */
#define CACHE_MAX_OBJECT_DEFAULT ((size_t)1 << 30) /* when opts->max_object is 0 */

struct cache_backend_options {
	const char *url;
	long timeout_ms;    /* per request, the whole of it; <= 0 means 2000 */
	long ttl_s;         /* Redis only: key expiry in seconds, 0 = none */
	const char *prefix; /* Redis only: key prefix, NULL = "golive:" */
	size_t max_object;  /* a value larger than this is refused by get and put; 0 = default */
};

/* What an operator sees in `golive cache stats`; -1 where the backend cannot tell. */
struct cache_backend_stats {
	long long ac_entries, cas_objects, bytes;
	char *server; /* e.g. "redis 7.0.15", "nginx/1.22.1", "dir"; malloc'd or NULL */
};

struct cache_backend;

struct cache_backend_ops {
	const char *scheme; /* "redis", "http", "dir" */
	/* 1 with the value in *out (reset first), 0 when missing, -1 with *cause. */
	int (*get)(struct cache_backend *b, enum cache_ns ns, const char *hex, struct strbuf *out,
	           char **cause);
	/* 0 when stored, -1 with *cause. */
	int (*put)(struct cache_backend *b, enum cache_ns ns, const char *hex, const void *buf,
	           size_t len, char **cause);
	/* 1 when it exists, 0 when not, -1 with *cause (HEAD / EXISTS / stat). */
	int (*exists)(struct cache_backend *b, enum cache_ns ns, const char *hex, char **cause);
	/* 0 when removed or absent, -1 with *cause. */
	int (*del)(struct cache_backend *b, enum cache_ns ns, const char *hex, char **cause);
	/*
	 * Calls fn for every name in ns (stops when fn returns non-zero, which
	 * is then returned). -2 with *cause when the backend cannot list (HTTP).
	 */
	int (*list)(struct cache_backend *b, enum cache_ns ns,
	            int (*fn)(const char *hex, void *arg), void *arg, char **cause);
	/* Fills *st (malloc'd members released by cache_backend_stats_release). 0, or -1. */
	int (*stats)(struct cache_backend *b, struct cache_backend_stats *st, char **cause);
	void (*close)(struct cache_backend *b);
};

struct cache_backend {
	const struct cache_backend_ops *ops;
	char *display; /* the URL without credentials, for messages (http: the base, with '/') */
	struct cache_backend_options opts; /* an owned copy, defaults filled in */
};

/*
 * Opens the backend named by opts->url (no network traffic yet: a Redis or
 * HTTP connection is made by the first request; GOLIVE_CACHE_* variables
 * are read now). opts is copied. Returns 0, or -1 with
 * *cause for a URL it cannot use ("cache.backend: unsupported scheme
 * \"ftp\" (want redis://, http://, https:// or dir://)").
 */
int cache_backend_open(const struct cache_backend_options *opts, struct cache_backend **out,
                       char **cause);
void cache_backend_close(struct cache_backend *b);
void cache_backend_stats_release(struct cache_backend_stats *st);

/* Convenience wrappers over b->ops. */
int cache_get(struct cache_backend *b, enum cache_ns ns, const char *hex, struct strbuf *out,
              char **cause);
int cache_put(struct cache_backend *b, enum cache_ns ns, const char *hex, const void *buf,
              size_t len, char **cause);

/* The URL with any user:password@ removed, on one line (malloc'd). */
char *cache_url_display(const char *url);
/*
 * Splits url's "user:password@" (the last '@' of the authority ends it)
 * from the rest: *bare the URL without it, *userinfo (when not NULL) it
 * without the '@', NULL when there is none. malloc'd.
 */
void cache_url_split_userinfo(const char *url, char **bare, char **userinfo);

/*
 * ---- for the backends themselves (cache_dir.c, cache_redis.c, cache_http.c) ----
 *
 * Each backend embeds struct cache_backend as its first member; its open
 * function is called by cache_backend_open with the URL's scheme checked.
 * A backend is used by one thread at a time (it keeps one connection).
 */
int cache_dir_open(const struct cache_backend_options *opts, struct cache_backend **out,
                   char **cause);
int cache_redis_open(const struct cache_backend_options *opts, struct cache_backend **out,
                     char **cause);
int cache_http_open(const struct cache_backend_options *opts, struct cache_backend **out,
                    char **cause);

/*
 * Fills b's common part: ops, display, and an owned copy of opts with the
 * defaults filled in (timeout_ms 2000, prefix "golive:", max_object
 * CACHE_MAX_OBJECT_DEFAULT). cache_backend_release frees what it made.
 */
void cache_backend_init(struct cache_backend *b, const struct cache_backend_ops *ops,
                        const struct cache_backend_options *opts);
void cache_backend_release(struct cache_backend *b);

/* 0 when ns is CACHE_AC or CACHE_CAS and hex is a name; else -1 with *cause. */
int cache_name_check(enum cache_ns ns, const char *hex, char **cause);
/* "ac" or "cas". */
const char *cache_ns_name(enum cache_ns ns);

#endif
