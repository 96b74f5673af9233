/*
 * cache_prog.h - `golive cache prog`: golive's shared cache as a GOCACHEPROG
 * program (Go >= 1.24; docs/cache.md, "GOCACHEPROG").
 *
 *   GOCACHEPROG="golive cache prog" go build ./...
 *
 * go starts the program once per go command and talks to it over its
 * stdin/stdout (the protocol of cmd/go/internal/cacheprog):
 *   - the program first writes {"ID":0,"KnownCommands":["get","put","close"]};
 *   - go writes one JSON request per line ({"ID":N,"Command":"get"|"put"|"close",
 *     "ActionID":<base64>,"OutputID":<base64>,"BodySize":N}), followed, for a
 *     put with BodySize > 0, by the body as one line holding a JSON string of
 *     its base64 (go writes an empty line after each request: empty lines are
 *     skipped);
 *   - the program answers every request with one JSON line naming its ID,
 *     in any order: {"ID":N,"Miss":true}, or {"ID":N,"OutputID":..,"Size":N,
 *     "Time":"<RFC 3339>","DiskPath":"<abs path>"}, or {"ID":N,"Err":".."}.
 *     DiskPath is a file holding the body that exists until close.
 *
 * Storage. Bodies and entries live in a local directory (default
 * <user cache dir>/golive/cacheprog, never inside GOCACHE):
 *   o/<xx>/<output id hex>   a body, named by its OutputID (go: its sha256)
 *   a/<xx>/<action id hex>   {"output":"<hex>","size":N,"time":<unix ns>}
 *   tmp/                     files being written (temp file + rename)
 * Local hits never touch the remote. With a backend configured (golive.yaml
 * cache: or GOLIVE_CACHE, cache_config.h), a local miss asks it: the entry is
 * a manifest (cache_entry.h, tool "cacheprog", one output "o", signed with
 * GOLIVE_CACHE_HMAC_KEY when set) under ac/<sha256("golive-cacheprog v1\n" +
 * action id hex)> - a domain of its own, no toolexec key can equal it - and
 * the body under cas/<sha256>. A remote object is checked (manifest, size,
 * sha256) before it is written locally: anything wrong is a miss. A put is
 * written locally and answered at once; in mode read-write it is uploaded by
 * a background thread (objects first, the manifest last), and close waits
 * for the uploads for at most flush_ms. The first failed request (not a bad
 * entry) turns the remote off for the rest of the run, with one warning.
 *
 * This header has two parts: the protocol (cache_prog_proto.c; pure, for
 * the unit tests and the fuzzer: request parsing, the body stream, response
 * encoding) and the program itself (cache_prog.c: cache_prog_run), which writes its own messages -
 * one line each, "golive cache prog: ..." - on opts->err_fd: it is the command, not a library.
 */
#ifndef GOLIVE_CACHE_PROG_H
#define GOLIVE_CACHE_PROG_H

#include "cache/cache_config.h"
#include "core/util.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROG_ID_SIZE  32          /* bytes of an ActionID and an OutputID (go's HashSize) */
#define PROG_MAX_LINE (64u << 10) /* bytes of one request line */

/* ---- the protocol ------------------------------------------------------------ */

enum prog_cmd { PROG_UNKNOWN = 0, PROG_GET, PROG_PUT, PROG_CLOSE };

struct prog_request {
	int64_t id;
	int has_id;        /* ID was present and an integer >= 0 */
	enum prog_cmd cmd; /* PROG_UNKNOWN for a command we did not declare */
	unsigned char action_id[PROG_ID_SIZE];
	int has_action;
	unsigned char output_id[PROG_ID_SIZE];
	int has_output;
	int64_t body_size;  /* >= 0; -1 when BodySize was not a usable number */
	unsigned long line; /* the request's line in the stream (1-based) */
};

/*
 * Parses one request line (without its '\n'). Unknown members are ignored
 * (go may add some); ActionID and OutputID must be base64 of exactly 32
 * bytes; get needs ActionID, put needs ActionID and OutputID. Returns 0; 1
 * when the line is a request that can be answered (req->has_id) but is
 * wrong, with *cause ("no ActionID", ...); -1 when it cannot be answered
 * (not a JSON object, no usable ID), with *cause. req is filled as far as
 * it parsed; req->line is left as it was.
 */
int prog_request_parse(const char *line, size_t len, struct prog_request *req, char **cause);

/* The stream of requests: lines from a read function, with a bounded buffer. */
struct prog_reader {
	/* Like read(2): bytes read, 0 at end of input, -1 with errno. */
	ssize_t (*read)(void *arg, void *buf, size_t n);
	void *arg;
	unsigned long line; /* lines started so far */
	int body_pending;   /* a put's body line may follow and was not read */
	size_t pos, len;
	struct strbuf cur; /* the request line being read */
	char buf[1u << 16];
};

/* Sets up r (heap or static: it holds a 64 KiB buffer). prog_reader_release frees it. */
void prog_reader_init(struct prog_reader *r, ssize_t (*read_fn)(void *, void *, size_t), void *arg);
void prog_reader_release(struct prog_reader *r);

/*
 * Reads the next request, skipping empty lines (and a body line after a
 * put request whose body was not read). Returns 0 for a good request; 1
 * for an answerable bad one (*cause, see prog_request_parse); 2 at the end
 * of the input between requests; -1 when the stream is broken (a line over
 * PROG_MAX_LINE, a line that cannot be answered, a read error, input that
 * ends mid-line), with *cause naming the line ("line 12: ..."). After a put
 * (good or bad), the caller reads its body with prog_reader_body when
 * req->body_size > 0; if it does not, the next call skips it.
 */
int prog_reader_next(struct prog_reader *r, struct prog_request *req, char **cause);

/*
 * Reads the body line of a put that announced size bytes (> 0), decoding
 * base64 into sink(arg, buf, n) in pieces (sink returns 0, or -1 to have the
 * rest of the body read and dropped: the caller knows why). The line must
 * be '"', plain base64 (RFC 4648, padded; no escapes, no white space) of
 * exactly size bytes, '"'. Returns 0; 1 when the body was read to its end
 * but is wrong (a bad character, another size, sink failed), with *cause;
 * -1 when the stream is broken (no body line, input ends, a line far longer
 * than size), with *cause. The memory used does not depend on size.
 */
int prog_reader_body(struct prog_reader *r, int64_t size,
                     int (*sink)(void *arg, const void *buf, size_t n), void *arg, char **cause);

/* What one response line says. */
struct prog_response {
	int64_t id;
	const char *err;                /* non-empty: the error (the rest is not sent) */
	const char *const *known;       /* NULL-terminated: KnownCommands (the ID 0 line) */
	int miss;                       /* a get's miss */
	const unsigned char *output_id; /* a hit: PROG_ID_SIZE bytes, or NULL */
	int64_t size;                   /* a hit: the body's size */
	int64_t time_ns;                /* a hit: when it was put (unix ns); 0: not sent */
	const char *disk_path;          /* a hit or a put: the absolute path of the body */
};

/* One response as a compact JSON line ending in '\n' (malloc'd, length in *len). */
char *prog_response_encode(const struct prog_response *resp, size_t *len);

/* Standard base64 with padding of in[0..n) into out (>= 4 * ((n + 2) / 3) + 1 bytes). */
void prog_base64_encode(const unsigned char *in, size_t n, char *out);
/*
 * Decodes standard padded base64 s[0..len) into out (room for max bytes);
 * the decoded length, or -1 when s is not canonical padded base64 or
 * decodes to more than max bytes.
 */
long prog_base64_decode(const char *s, size_t len, unsigned char *out, size_t max);

/* n bytes as 2n lowercase hex digits and a NUL in out. */
void prog_to_hex(const unsigned char *b, size_t n, char *out);

/* 64 lowercase hex digits (then the string's end) into 32 bytes; 0, or -1. */
int prog_from_hex64(const char *s, unsigned char out[PROG_ID_SIZE]);

/* The remote name of an action: sha256("golive-cacheprog v1\n" + hex(id)) as hex. 0, or -1. */
int prog_remote_key(const unsigned char id[PROG_ID_SIZE], char out[65], char **cause);

/* ---- the program ------------------------------------------------------------- */

struct cache_prog_options {
	const char *dir;                       /* absolute; NULL: user_cache_dir("cacheprog") */
	const struct cache_settings *settings; /* mode OFF or no backend: a local cache only */
	const char *hmac_key;                  /* NULL or "": unsigned manifests */
	long flush_ms;                         /* close waits this long for uploads; <= 0: 30 s */
	int stats;                             /* print one stats line at the end */
	int in_fd, out_fd, err_fd;             /* the protocol in and out, and messages */
	int getters;                           /* threads for remote gets; <= 0: 4 */
};

/*
 * Runs the program until close or the end of its input: answers every
 * request, uploads in the background, waits for the uploads (bounded), trims
 * the local directory about once a day (files unused for 5 days), and, with
 * opts->stats, writes one line of figures on err_fd. Never fails a build on
 * the remote's account: a remote failure is one warning and the local cache
 * goes on. Returns the exit status: 0 after close or at the end of input; 1
 * when the stream was broken (one line on err_fd says where); 2 when the
 * local directory cannot be used, or lies inside GOCACHE (go's default,
 * <user cache dir>/go-build, when GOCACHE is not set).
 */
int cache_prog_run(const struct cache_prog_options *opts);

#endif
