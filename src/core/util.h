/*
 * util.h - the small things every module uses: allocation that dies on
 * out-of-memory, a growable string buffer, a typed growable array, and the
 * error/die family.
 *
 * Messages are lowercase, without a full stop, and prefixed "golive: ".
 * error() and warning() print and return -1 / nothing; die() exits 2 and is
 * only for main.c and cmd_*.c; BUG() aborts on a broken invariant.
 */
#ifndef GOLIVE_UTIL_H
#define GOLIVE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN          __attribute__((noreturn))
#else
#define PRINTF_LIKE(f, a)
#define NORETURN
#endif

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);

/*
 * Routes error()/warning()/die() through hook(level, message) instead of
 * the text lines below: level "error" or "warn", message without prefix
 * or newline (log.c's JSON logs). NULL restores the text lines.
 */
void set_report_hook(void (*hook)(const char *level, const char *message));

/* Prints "golive: error: <msg>" to stderr and returns -1. */
int error(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Prints "golive: warning: <msg>" to stderr. */
void warning(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Prints "golive: <msg>" to stderr and exits with status 2. */
NORETURN void die(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Like die(), with ": strerror(errno)" appended. */
NORETURN void die_errno(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Reports a broken invariant and aborts. */
#define BUG(...) bug_fl(__FILE__, __LINE__, __VA_ARGS__)
NORETURN void bug_fl(const char *file, int line, const char *fmt, ...) PRINTF_LIKE(3, 4);

/*
 * struct strbuf: a NUL-terminated growable buffer. STRBUF_INIT is a valid
 * empty buffer that owns no memory; buf is never NULL.
 */
struct strbuf {
	size_t alloc;
	size_t len;
	char *buf;
};
extern char strbuf_slopbuf[];
#define STRBUF_INIT                                                                                \
	{                                                                                          \
		0, 0, strbuf_slopbuf                                                               \
	}

void strbuf_init(struct strbuf *sb, size_t hint);
void strbuf_release(struct strbuf *sb);
/* Hands the buffer to the caller (who frees it) and resets sb. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) PRINTF_LIKE(2, 3);
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap) PRINTF_LIKE(2, 0);
void strbuf_reset(struct strbuf *sb);
/*
 * Appends at most max bytes read from fd until EOF. Returns the number of
 * bytes read, or -1 on a read error (errno set). Bytes past max are read
 * and dropped so that a writer never blocks; *truncated is set when that
 * happened (truncated may be NULL).
 */
long strbuf_read_fd(struct strbuf *sb, int fd, size_t max, int *truncated);
/*
 * Reads a whole file of at most max bytes, safely for any path a user or a
 * repository can name: the open never waits (O_NONBLOCK: a FIFO does not
 * block it; symlinks are followed), what fstat does not call a regular
 * file is refused (a FIFO, a device like /dev/zero, a socket: errno
 * GOLIVE_ENOTREG; a directory: EISDIR), and reading stops as soon as the
 * file turns out to hold more than max bytes (EFBIG), never reading it to
 * its end. /proc and /sys files are regular files. 0, or -1 with errno; sb
 * may then hold what was read. Word an errno with file_strerror().
 */
int strbuf_read_file(struct strbuf *sb, const char *path, size_t max);

/*
 * strbuf_read_file's errno for a path that is not a regular file. Not a
 * system error number: strerror() does not know it, file_strerror() does.
 */
#define GOLIVE_ENOTREG 0x4e52
/* strerror(err), with GOLIVE_ENOTREG as "not a regular file". */
const char *file_strerror(int err);

/*
 * Appends s for a line of text output that someone else may parse: as is
 * when it holds no control character (bytes below 0x20, and 0x7f);
 * else, when quote is set, Go-quoted ("a\nb", \t, \r, \", \\, \xNN), so a
 * file name with a newline cannot forge a line of its own; without quote,
 * only the control characters are escaped (\n, \t, \r, \xNN).
 */
void strbuf_add_printable(struct strbuf *sb, const char *s, int quote);

/*
 * ARRAY(T): a typed growable array. Declare with ARRAY(T) name = ARRAY_INIT;
 * ARRAY_PUSH(a, v) appends, a.n is the length, a.v the items; ARRAY_FREE
 * frees the storage (not the items).
 */
#define ARRAY(T)                                                                                   \
	struct {                                                                                   \
		T *v;                                                                              \
		size_t n, alloc;                                                                   \
	}
#define ARRAY_INIT                                                                                 \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}
#define ARRAY_GROW(a, want)                                                                        \
	do {                                                                                       \
		if ((want) > (a).alloc) {                                                          \
			size_t na_ = (a).alloc ? (a).alloc * 2 : 8;                                \
			while (na_ < (want))                                                       \
				na_ *= 2;                                                          \
			(a).v = xrealloc((a).v, na_ * sizeof(*(a).v));                             \
			(a).alloc = na_;                                                           \
		}                                                                                  \
	} while (0)
#define ARRAY_PUSH(a, val)                                                                         \
	do {                                                                                       \
		ARRAY_GROW(a, (a).n + 1);                                                          \
		(a).v[(a).n++] = (val);                                                            \
	} while (0)
#define ARRAY_FREE(a)                                                                              \
	do {                                                                                       \
		free((a).v);                                                                       \
		(a).v = NULL;                                                                      \
		(a).n = (a).alloc = 0;                                                             \
	} while (0)

/* A NULL-terminated argv under construction. */
struct argv_array {
	char **argv; /* always NULL-terminated once anything was pushed */
	size_t argc;
	size_t alloc;
};
#define ARGV_ARRAY_INIT                                                                            \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}
void argv_push(struct argv_array *a, const char *arg);
void argv_pushf(struct argv_array *a, const char *fmt, ...) PRINTF_LIKE(2, 3);
void argv_clear(struct argv_array *a);

/* True when s starts with prefix. */
int starts_with(const char *s, const char *prefix);

/*
 * s[0..n) with each %XX (hex, either case) decoded, as a new string; NULL
 * on a bad or cut-off escape, and on %00 (it would end the string early).
 */
char *percent_decode(const char *s, size_t n);
/* True when s ends with suffix. */
int ends_with(const char *s, const char *suffix);
/* The part of path after the last '/'. */
const char *base_name(const char *path);

/*
 * rel joined to base (unless rel is absolute) and cleaned lexically: "." and
 * ".." segments resolved, repeated slashes dropped, no symlinks followed.
 * Returns a malloc'd absolute path ("/" at the least).
 */
char *path_join_clean(const char *base, const char *rel);

/*
 * Whether path is dir or lies under it, by what the names are rather than
 * how they are spelled: true when path_join_clean(path) is dir's or under
 * it, or when dir exists and is (same device and inode) path itself or
 * one of its ancestors, symlinks and ".." resolved as the kernel does for
 * the part of path that exists (realpath of its nearest existing
 * ancestor). Neither needs to exist; relative paths are taken from the
 * current directory.
 */
int path_within(const char *path, const char *dir);

/* Monotonic and wall clocks in nanoseconds. */
int64_t now_mono_ns(void);
int64_t now_unix_ns(void);

/*
 * Whether a file can be created at path: its directory exists and is
 * writable, and path is not a directory. 0, or -1 with errno (ENOENT,
 * ENOTDIR, EACCES, EISDIR). Lets an output option fail before the work.
 */
int path_creatable(const char *path);

/* mkdir -p: creates dir and its missing parents with mode; 0, or -1 (errno). */
int mkdir_p(const char *dir, unsigned mode);

/*
 * golive's directory named sub in the user cache dir (malloc'd):
 * $XDG_CACHE_HOME/golive/sub, else $HOME/.cache/golive/sub; NULL when
 * neither is set to an absolute path. Not created.
 */
char *user_cache_dir(const char *sub);

/* Writes all of buf, retrying on EINTR and short writes; 0 or -1 (errno). */
int write_all(int fd, const void *buf, size_t len);

/*
 * Replaces (or creates) path with buf[0, len) through a temporary file in
 * its directory renamed over it, keeping an existing file's permission
 * bits (0644 for a new one): readers see the old or the new content,
 * never a part. 0, or -1 with errno (the temporary file removed).
 */
int file_replace(const char *path, const void *buf, size_t len);

/*
 * A signal's name for messages: "SIGTERM" for 15, "SIGSEGV", "SIGRTMIN+2",
 * or the number as text; into buf (>= 16 bytes). (golive.yaml's own names are
 * config_signal_parse()'s.)
 */
const char *signal_to_name(int sig, char *buf, size_t size);

#endif
