/*
 * event.h - one record per tool invocation, as the wrapper appends it to
 * $GOLIVE_SESSION/events.jsonl and as `golive build` reads it back.
 *
 * The field names are a stable, documented format (docs/events.md); new
 * fields may be added, none renamed. Times are nanoseconds, memory KiB.
 */
#ifndef GOLIVE_EVENT_H
#define GOLIVE_EVENT_H

#include <stddef.h>
#include <stdint.h>

#define EVENTS_FILE "events.jsonl"

struct event {
	char *tool;           /* "compile", "link", ..., or the basename of an unknown tool */
	char *importpath;     /* TOOLEXEC_IMPORTPATH, or NULL */
	char *pkg;            /* the tool's -p value, or NULL */
	long files;           /* number of source files on the command line */
	long long bytes;      /* their total size */
	int64_t start_ns;     /* unix time when the tool started */
	int64_t wall_ns;      /* wall time of the tool */
	int64_t tool_user_ns; /* the tool's user CPU (with its children) */
	int64_t tool_sys_ns;  /* the tool's system CPU */
	long tool_maxrss_kb;  /* the tool's peak RSS */
	int64_t self_user_ns; /* the wrapper's own user CPU */
	int64_t self_sys_ns;  /* the wrapper's own system CPU */
	long self_maxrss_kb;  /* the wrapper's own peak RSS */
	int exit;             /* exit status, or -1 when killed by a signal */
	int signal;           /* the signal that killed the tool, or 0 */
	int probe;            /* 1 for a -V=full / -### probe */
	int analysed;         /* 1 when golive analysed the compile's sources ("diags" written) */
	long diags;           /* the analysis findings for this compile (0 when not analysed) */
	char *path;           /* the tool's executable as go named it (argv[1]), or NULL */
	/*
	 * The wrapper's span when $TRACEPARENT was valid (has_span): a child of
	 * the span named there (golive build's), so parallel wrappers' spans
	 * join one trace; "trace_id", "span_id", "parent_span_id" in lowercase
	 * hex on the wire.
	 */
	int has_span;
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_id[8];
	/*
	 * The shared compile cache (docs/cache.md), when one was on for this
	 * invocation; rcache NULL otherwise (nothing on the wire).
	 *  rcache          "hit" (restored; the tool did not run), "miss" (the tool
	 *                  ran), "uncacheable", "skipped" (the cache failed earlier in
	 *                  the build) or "error" (this lookup failed; the tool ran)
	 *  rcache_note     why uncacheable / the error, or NULL
	 *  rcache_key      the key (64 hex), or NULL
	 *  rcache_bytes    hit: bytes restored; miss: bytes handed to the uploader
	 *  rcache_ns       time spent on the cache in the wrapper (lookup, restore)
	 *  rcache_saved_ns hit: the tool's wall time when it ran on the writer
	 *  rcache_store    miss: 1 when the result was handed to the uploader
	 *  rcache_dir_bound  1 when the key holds this checkout's path (no -trimpath)
	 */
	char *rcache;
	char *rcache_note;
	char *rcache_key;
	long long rcache_bytes;
	int64_t rcache_ns;
	int64_t rcache_saved_ns;
	int rcache_store;
	int rcache_dir_bound;
};

/* Frees the strings of ev (not ev itself) and zeroes it. */
void event_release(struct event *ev);

/*
 * Encodes ev as one compact JSON object followed by '\n' (jansson).
 * Returns a malloc'd buffer and its length in *len; NULL if encoding failed.
 */
char *event_encode(const struct event *ev, size_t *len);

/*
 * Decodes one JSON line into ev (strings malloc'd). Unknown fields are
 * ignored, missing ones are zero. Returns 0, or -1 with *cause (malloc'd)
 * when the line is not a JSON object or a field has the wrong type.
 */
int event_decode(struct event *ev, const char *line, size_t len, char **cause);

#endif
