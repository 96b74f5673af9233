/* util.c - see util.h. */
#define _GNU_SOURCE
#include "core/util.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

char strbuf_slopbuf[1];

static NORETURN void oom(size_t n)
{
	fprintf(stderr, "golive: out of memory allocating %zu bytes\n", n);
	exit(2);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		oom(nmemb * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	return strbuf_detach(&sb, NULL);
}

static void (*report_hook)(const char *level, const char *message);

void set_report_hook(void (*hook)(const char *level, const char *message))
{
	report_hook = hook;
}

static PRINTF_LIKE(2, 0) void vreport(const char *prefix, const char *fmt, va_list ap,
                                      const char *suffix)
{
	struct strbuf sb = STRBUF_INIT;
	if (report_hook) {
		strbuf_vaddf(&sb, fmt, ap);
		if (suffix) {
			strbuf_addstr(&sb, ": ");
			strbuf_addstr(&sb, suffix);
		}
		report_hook(strcmp(prefix, "warning: ") == 0 ? "warn" : "error", sb.buf);
		strbuf_release(&sb);
		return;
	}
	strbuf_addstr(&sb, "golive: ");
	strbuf_addstr(&sb, prefix);
	strbuf_vaddf(&sb, fmt, ap);
	if (suffix) {
		strbuf_addstr(&sb, ": ");
		strbuf_addstr(&sb, suffix);
	}
	strbuf_addch(&sb, '\n');
	/* One write so that parallel processes never interleave a line. */
	(void)write_all(2, sb.buf, sb.len);
	strbuf_release(&sb);
}

int error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("error: ", fmt, ap, NULL);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("warning: ", fmt, ap, NULL);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("", fmt, ap, NULL);
	va_end(ap);
	exit(2);
}

void die_errno(const char *fmt, ...)
{
	const char *e = strerror(errno);
	va_list ap;
	va_start(ap, fmt);
	vreport("", fmt, ap, e);
	va_end(ap);
	exit(2);
}

void bug_fl(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "golive: BUG: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void strbuf_init(struct strbuf *sb, size_t hint)
{
	sb->alloc = sb->len = 0;
	sb->buf = strbuf_slopbuf;
	if (hint)
		strbuf_grow(sb, hint);
}

void strbuf_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb, 0);
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *res;
	strbuf_grow(sb, 0);
	res = sb->buf;
	if (len)
		*len = sb->len;
	strbuf_init(sb, 0);
	return res;
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t want = sb->len + extra + 1;
	if (want < sb->len)
		oom(SIZE_MAX);
	if (want <= sb->alloc)
		return;
	size_t na = sb->alloc ? sb->alloc : 64;
	while (na < want)
		na *= 2;
	if (!sb->alloc) {
		sb->buf = xmalloc(na);
		sb->buf[0] = '\0';
	} else {
		sb->buf = xrealloc(sb->buf, na);
	}
	sb->alloc = na;
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	strbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, int c)
{
	char ch = (char)c;
	strbuf_add(sb, &ch, 1);
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		BUG("vsnprintf failed for %s", fmt);
	strbuf_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->alloc)
		sb->buf[0] = '\0';
}

long strbuf_read_fd(struct strbuf *sb, int fd, size_t max, int *truncated)
{
	char tmp[8192];
	long total = 0;
	if (truncated)
		*truncated = 0;
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		size_t room = sb->len < max ? max - sb->len : 0;
		size_t take = (size_t)n < room ? (size_t)n : room;
		if (take)
			strbuf_add(sb, tmp, take);
		if (take < (size_t)n && truncated)
			*truncated = 1;
		total += n;
	}
	return total;
}

#define READ_FILE_CHUNK 65536 /* bytes per read of strbuf_read_file */

int strbuf_read_file(struct strbuf *sb, const char *path, size_t max)
{
	struct stat st;
	size_t start = sb->len;
	int rc = -1, err = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		err = errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? EISDIR : GOLIVE_ENOTREG;
		goto out;
	}
	if (st.st_size > 0 && (unsigned long long)st.st_size <= max)
		strbuf_grow(sb, (size_t)st.st_size);
	for (;;) {
		size_t room = max - (sb->len - start);
		/* One byte past max tells a file of max bytes from a longer one. */
		size_t want = room < READ_FILE_CHUNK ? room + 1 : READ_FILE_CHUNK;
		strbuf_grow(sb, want);
		ssize_t n = read(fd, sb->buf + sb->len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			break;
		}
		if (n == 0) {
			rc = 0;
			break;
		}
		if ((size_t)n > room) {
			err = EFBIG;
			break;
		}
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
	}
out:
	if (sb->alloc)
		sb->buf[sb->len] = '\0';
	close(fd);
	if (rc < 0)
		errno = err;
	return rc;
}

const char *file_strerror(int err)
{
	return err == GOLIVE_ENOTREG ? "not a regular file" : strerror(err);
}

void argv_push(struct argv_array *a, const char *arg)
{
	if (a->argc + 2 > a->alloc) {
		a->alloc = a->alloc ? a->alloc * 2 : 16;
		a->argv = xrealloc(a->argv, a->alloc * sizeof(char *));
	}
	a->argv[a->argc++] = xstrdup(arg);
	a->argv[a->argc] = NULL;
}

void argv_pushf(struct argv_array *a, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	argv_push(a, sb.buf);
	strbuf_release(&sb);
}

void argv_clear(struct argv_array *a)
{
	for (size_t i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	a->argv = NULL;
	a->argc = a->alloc = 0;
}

int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t now_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

int64_t now_unix_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int file_replace(const char *path, const void *buf, size_t len)
{
	struct stat st;
	mode_t mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644;
	char *tmp = xasprintf("%s.%ld.golive-tmp", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), err;

	if (fd < 0) {
		err = errno;
		free(tmp);
		errno = err;
		return -1;
	}
	if (write_all(fd, buf, len) < 0 || fchmod(fd, mode) < 0 || close(fd) < 0 ||
	    rename(tmp, path) < 0) {
		err = errno;
		close(fd); /* EBADF after a close that failed: harmless */
		unlink(tmp);
		free(tmp);
		errno = err;
		return -1;
	}
	free(tmp);
	return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

char *path_join_clean(const char *base, const char *rel)
{
	struct strbuf sb = STRBUF_INIT;
	char *all = rel[0] == '/' ? xstrdup(rel) : xasprintf("%s/%s", base, rel);
	char *save = NULL;

	for (char *seg = strtok_r(all, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			char *slash = strrchr(sb.buf, '/');
			if (slash) {
				sb.len = (size_t)(slash - sb.buf);
				sb.buf[sb.len] = '\0';
			}
			continue;
		}
		strbuf_addch(&sb, '/');
		strbuf_addstr(&sb, seg);
	}
	if (!sb.len)
		strbuf_addch(&sb, '/');
	free(all);
	return strbuf_detach(&sb, NULL);
}

/* s under (or equal to) d, both clean absolute paths. */
static int lexically_within(const char *s, const char *d)
{
	size_t n = strlen(d);
	if (strcmp(d, "/") == 0)
		return 1;
	return strncmp(s, d, n) == 0 && (s[n] == '\0' || s[n] == '/');
}

int path_within(const char *path, const char *dir)
{
	char cwd[PATH_MAX];
	const char *base = getcwd(cwd, sizeof(cwd)) ? cwd : "/";
	char *p = path_join_clean(base, path), *d = path_join_clean(base, dir);
	int in = lexically_within(p, d);
	struct stat ds, st;
	free(p);
	free(d);
	if (in || stat(dir, &ds) < 0)
		return in;
	/* The nearest ancestor of path that exists, as given (the kernel resolves its ".."). */
	char *raw = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", base, path);
	char *real = NULL;
	for (;;) {
		if ((real = realpath(raw, NULL)) != NULL)
			break;
		char *slash = strrchr(raw, '/');
		if (!slash || slash == raw) {
			real = xstrdup("/");
			break;
		}
		*slash = '\0';
	}
	free(raw);
	/* real has no symlink in it: its ancestors are the lexical ones. */
	for (;;) {
		if (stat(real, &st) == 0 && st.st_dev == ds.st_dev && st.st_ino == ds.st_ino) {
			in = 1;
			break;
		}
		char *slash = strrchr(real, '/');
		if (!slash || strcmp(real, "/") == 0)
			break;
		slash[slash == real ? 1 : 0] = '\0';
	}
	free(real);
	return in;
}

const char *signal_to_name(int sig, char *buf, size_t size)
{
	const char *abbrev = sig > 0 && sig < SIGRTMIN ? sigabbrev_np(sig) : NULL;
	if (abbrev)
		snprintf(buf, size, "SIG%s", abbrev);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, size, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, size, "%d", sig);
	return buf;
}

int mkdir_p(const char *dir, unsigned mode)
{
	char *p = xstrdup(dir);
	int rc = 0;
	for (char *s = p + 1;; s++) {
		if (*s == '/' || !*s) {
			char c = *s;
			*s = '\0';
			if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
				rc = -1;
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	int e = errno;
	free(p);
	errno = e;
	return rc;
}

/*
 * Checks that path can be created: its directory exists and is writable,
 * and path itself is not a directory. 0, or -1 with errno.
 */
int path_creatable(const char *path)
{
	struct stat st;
	const char *slash = strrchr(path, '/');
	char *dir =
	    slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
	int rc = -1;

	if (!*path || (slash && !slash[1])) {
		errno = EISDIR; /* "" or "dir/": no file name */
		goto out;
	}
	if (stat(dir, &st) < 0)
		goto out;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		goto out;
	}
	if (access(dir, W_OK | X_OK) < 0)
		goto out;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto out;
	}
	rc = 0;
out:;
	int saved = errno;
	free(dir);
	errno = saved;
	return rc;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *percent_decode(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			strbuf_addch(&sb, s[i]);
			continue;
		}
		int a = i + 2 < n ? hex_digit((unsigned char)s[i + 1]) : -1;
		int b = i + 2 < n ? hex_digit((unsigned char)s[i + 2]) : -1;
		if (a < 0 || b < 0 || (a == 0 && b == 0)) {
			strbuf_release(&sb);
			return NULL;
		}
		strbuf_addch(&sb, a * 16 + b);
		i += 2;
	}
	return strbuf_detach(&sb, NULL);
}

char *user_cache_dir(const char *sub)
{
	const char *v = getenv("XDG_CACHE_HOME");
	if (v && *v == '/')
		return xasprintf("%s/golive/%s", v, sub);
	v = getenv("HOME");
	if (v && *v == '/')
		return xasprintf("%s/.cache/golive/%s", v, sub);
	return NULL;
}

void strbuf_add_printable(struct strbuf *sb, const char *s, int quote)
{
	int plain = 1;
	for (const unsigned char *p = (const unsigned char *)s; *p && plain; p++)
		plain = *p >= 0x20 && *p != 0x7f;
	if (plain) {
		strbuf_addstr(sb, s);
		return;
	}
	if (quote)
		strbuf_addch(sb, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n')
			strbuf_addstr(sb, "\\n");
		else if (*p == '\t')
			strbuf_addstr(sb, "\\t");
		else if (*p == '\r')
			strbuf_addstr(sb, "\\r");
		else if (*p < 0x20 || *p == 0x7f)
			strbuf_addf(sb, "\\x%02x", *p);
		else if (quote && (*p == '"' || *p == '\\'))
			strbuf_addf(sb, "\\%c", *p);
		else
			strbuf_addch(sb, (char)*p);
	}
	if (quote)
		strbuf_addch(sb, '"');
}
