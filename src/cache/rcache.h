/*
 * rcache.h - the shared compile cache in the wrapper (docs/cache.md).
 *
 * For a `compile` in a build with a cache (golive build wrote cache.json
 * into the session, or GOLIVE_CACHE is set for a plain
 * `go build -toolexec=golive`), the wrapper:
 *   1. computes the key (cache_key.h) from the final arguments and the
 *      tool's -V=full answer (memoised per tool binary in the user cache
 *      dir, salted like golive's own answer when plugins rewrite);
 *   2. looks it up: the manifest (ac/<key>), then every output (cas/<hash>),
 *      each checked against its size and sha256; on a verified hit the
 *      outputs are written atomically (temp file + rename) where go asked
 *      for them and the tool does not run;
 *   3. on a miss runs the tool with its stdout and stderr captured (then
 *      relayed byte for byte), and when it succeeded and printed nothing,
 *      reads its outputs before go rewrites their build ID, and hands them
 *      to an uploader child that is detached from go (fds 0-2 on
 *      /dev/null, its own session) and bounded by the timeout per request.
 * Any doubt (an error, a timeout, a bad hash, a bad signature) means the
 * tool runs: the cache can only save time, never change a result. The
 * first backend failure of a build (a lookup or an upload) is written to
 * <session>/cache.down, or without a session to go's $WORK/golive-cache.down
 * (go removes $WORK after the build), and from then on the build's wrappers
 * and uploaders skip the cache: neither looking up nor storing.
 *
 * The uploader holds a shared flock on <session>/uploads.lock while it
 * works; golive build takes it exclusively (rcache_wait_uploads) before it
 * reports, so the cache is filled when the build command returns.
 */
#ifndef GOLIVE_RCACHE_H
#define GOLIVE_RCACHE_H

#include "cache/cache_backend.h"
#include "cache/cache_config.h"
#include "cache/cache_key.h"
#include "wrapper/event.h"
#include "core/proc.h"
#include "wrapper/toolargs.h"

#define RCACHE_DOWN_FILE      "cache.down"        /* first backend failure of the session */
#define RCACHE_WORK_DOWN_FILE "golive-cache.down" /* the same in go's $WORK, without a session */
#define RCACHE_UPLOADS_FILE   "rcache.jsonl"      /* one line per upload: key, bytes, error */
#define RCACHE_LOCK_FILE      "uploads.lock"

struct rcache {
	const char *session; /* or NULL */
	struct cache_settings settings;
	struct cache_backend *backend;
	struct cache_key key;
	int active;         /* key computed, backend opened: the tool's result may be stored */
	int capture;        /* the tool's output goes to out_fd/err_fd (then relayed) */
	int out_fd, err_fd; /* memfds, or -1; err_fd == out_fd when go gave one pipe for both */
	char *hmac_key;     /* GOLIVE_CACHE_HMAC_KEY, or NULL */
	char *down;         /* where a failure turns the build's cache off (down_path), or NULL */
};

/* An rcache with nothing in it (rcache_release is then a no-op). */
void rcache_init(struct rcache *rc);

/*
 * Reads the cache settings (session's cache.json, else GOLIVE_CACHE) and,
 * when a cache is on and ti is a compile, computes the key and looks it up.
 * run_argv is the tool's argv as it will run (after plugins), known its
 * classification when the caller has one (else NULL: classified here),
 * salt the plugins' salt ("" for none). Fills ev's rcache fields. Returns
 * 1 on a verified hit (the outputs are in place: do not run the tool), else 0.
 */
int rcache_begin(struct rcache *rc, const char *session, const struct tool_invocation *known,
                 int argc, char **run_argv, const char *salt, struct event *ev);

/* When the tool's output must be captured, points opts' stdout/stderr at rc's memfds. */
void rcache_capture(struct rcache *rc, struct proc_opts *opts);

/*
 * After the tool ran (status from wait): relays captured output to fds 1
 * and 2, and stores the result when it is storable (exit 0, no output,
 * read-write). tool_ns is the tool's wall time. Fills ev's rcache fields.
 */
void rcache_end(struct rcache *rc, int status, int64_t tool_ns, struct event *ev);

void rcache_release(struct rcache *rc);

/* golive build: waits until no uploader of session holds the lock, at most max_ms. 1 if all done.
 */
int rcache_wait_uploads(const char *session, long max_ms);

#endif
