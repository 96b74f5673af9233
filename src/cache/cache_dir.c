/*
 * cache_dir.c - the cache in a directory (cache_backend.h): dir:///abs/path
 * or a plain absolute path, possibly on NFS and shared by a team.
 *
 * An object is the file <path>/<ns>/<xx>/<hex> (xx = the hex's first two
 * digits). put writes a temp file ".tmp-<hex>-XXXXXX" next to it and
 * renames it over the name, so a reader sees the old file, the new one or
 * none, never half of one. Directories are made 0777 and files 0666, both
 * less the umask, so a group-writable umask shares the cache. Files are
 * not fsync()ed: a file cut short by a crash is caught by the caller's
 * checks (CAS content is hashed, a manifest must decode).
 *
 * Anyone who can write to a shared cache can leave a FIFO, a device or a
 * symlink where an object should be: get opens with O_NONBLOCK and
 * O_NOFOLLOW (a FIFO's open does not wait for a writer), refuses anything
 * fstat does not call a regular file ("not a regular file"), and reads at
 * most max_object bytes; get and put stop at opts->timeout_ms between
 * reads and writes (a read or write that blocks in the kernel, on a hung
 * NFS server, is not interrupted).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cache/cache_backend.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct dir_backend {
	struct cache_backend b;
	char *path; /* absolute, without a trailing slash ("" for "/") */
};

/*
 * 0666 less the umask, for a new file. The umask is read without changing
 * it (umask() would, for every thread) from /proc/self/status (Linux 4.7+);
 * 0644 when that cannot be read.
 */
static mode_t file_mode(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned mask;
	mode_t mode = 0644;
	if (!f)
		return mode;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Umask: %o", &mask) == 1) {
			mode = (mode_t)(0666 & ~mask);
			break;
		}
	fclose(f);
	return mode;
}

static char *object_path(const struct dir_backend *d, enum cache_ns ns, const char *hex)
{
	return xasprintf("%s/%s/%.2s/%s", d->path, cache_ns_name(ns), hex, hex);
}

/* The directory for messages. */
static const char *shown(const struct dir_backend *d)
{
	return d->path[0] ? d->path : "/";
}

/* what relative to the cache directory when it is inside. */
static const char *rel(const struct dir_backend *d, const char *what)
{
	size_t n = strlen(d->path);
	return strncmp(what, d->path, n) == 0 && what[n] == '/' && what[n + 1] ? what + n + 1
	                                                                       : what;
}

/* "dir /x: <what>: <strerror(err)>", what relative to /x. */
static char *dir_error(const struct dir_backend *d, const char *what, int err)
{
	return xasprintf("dir %s: %s: %s", shown(d), rel(d, what), strerror(err));
}

/* The request's deadline: timeout_ms from now. */
static int64_t deadline_of(const struct cache_backend *b)
{
	return now_mono_ns() + (int64_t)b->opts.timeout_ms * 1000000;
}

#define DIR_IO_SIZE (1u << 20) /* bytes per read or write between deadline checks */

/*
 * Appends fd's bytes to out until EOF: 0; -1 with errno EFBIG as soon as
 * there are more than max (the rest is not read), ETIMEDOUT past the
 * deadline, or read's errno.
 */
static int read_bounded(int fd, struct strbuf *out, size_t max, int64_t deadline)
{
	size_t start = out->len;
	for (;;) {
		if (now_mono_ns() > deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		size_t room = max - (out->len - start);
		size_t want = room < DIR_IO_SIZE ? room + 1 : DIR_IO_SIZE;
		strbuf_grow(out, want);
		ssize_t n = read(fd, out->buf + out->len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if ((size_t)n > room) {
			errno = EFBIG;
			return -1;
		}
		out->len += (size_t)n;
		out->buf[out->len] = '\0';
	}
}

/* Writes all of buf to fd: 0, or -1 with errno (ETIMEDOUT past the deadline). */
static int write_bounded(int fd, const char *buf, size_t len, int64_t deadline)
{
	for (size_t off = 0; off < len;) {
		if (now_mono_ns() > deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		size_t n = len - off < DIR_IO_SIZE ? len - off : DIR_IO_SIZE;
		if (write_all(fd, buf + off, n) < 0)
			return -1;
		off += n;
	}
	return 0;
}

/* "dir /x: <what>: ..." for an errno of read_bounded/write_bounded. */
static char *io_error(const struct dir_backend *d, const char *what, int err)
{
	if (err == ETIMEDOUT)
		return xasprintf("dir %s: %s: not done within the %ld ms timeout", shown(d),
		                 rel(d, what), d->b.opts.timeout_ms);
	if (err == EFBIG)
		return xasprintf("dir %s: %s: larger than max_object (%zu)", shown(d), rel(d, what),
		                 d->b.opts.max_object);
	return dir_error(d, what, err);
}

static int dir_get(struct cache_backend *b, enum cache_ns ns, const char *hex, struct strbuf *out,
                   char **cause)
{
	struct dir_backend *d = (struct dir_backend *)b;
	struct stat st;
	int rc = -1;
	if (cache_name_check(ns, hex, cause) < 0)
		return -1;
	int64_t deadline = deadline_of(b);
	strbuf_reset(out);
	char *path = object_path(d, ns, hex);
	/* O_NONBLOCK: opening a FIFO must not wait for a writer (reading a file ignores it). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			rc = 0;
		else if (errno == ELOOP)
			*cause = xasprintf("dir %s: %s: a symlink, not a regular file", shown(d),
			                   rel(d, path));
		else
			*cause = dir_error(d, path, errno);
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		*cause = dir_error(d, path, errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		*cause = xasprintf("dir %s: %s: not a regular file", shown(d), rel(d, path));
		goto out;
	}
	if ((unsigned long long)st.st_size > b->opts.max_object) {
		*cause = xasprintf("dir %s: %s: %lld bytes, larger than max_object (%zu)", shown(d),
		                   rel(d, path), (long long)st.st_size, b->opts.max_object);
		goto out;
	}
	/* The file may grow between fstat and read (another writer's rename cannot). */
	strbuf_grow(out, (size_t)st.st_size);
	if (read_bounded(fd, out, b->opts.max_object, deadline) < 0) {
		*cause = io_error(d, path, errno);
		strbuf_reset(out);
		goto out;
	}
	rc = 1;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

static int dir_put(struct cache_backend *b, enum cache_ns ns, const char *hex, const void *buf,
                   size_t len, char **cause)
{
	struct dir_backend *d = (struct dir_backend *)b;
	int rc = -1, fd = -1;
	char *tmp = NULL;
	if (cache_name_check(ns, hex, cause) < 0)
		return -1;
	if (len > b->opts.max_object) {
		*cause = xasprintf("dir %s: %s/%.2s/%s: %zu bytes, larger than max_object (%zu)",
		                   shown(d), cache_ns_name(ns), hex, hex, len, b->opts.max_object);
		return -1;
	}
	int64_t deadline = deadline_of(b);
	char *path = object_path(d, ns, hex);
	char *dir = xstrndup(path, (size_t)(strrchr(path, '/') - path));
	if (mkdir_p(dir, 0777) < 0) {
		*cause = dir_error(d, dir, errno);
		goto out;
	}
	tmp = xasprintf("%s/.tmp-%s-XXXXXX", dir, hex);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		*cause = dir_error(d, dir, errno);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	/* mkstemp makes 0600: the cache is shared, so 0666 less the umask like any file. */
	if (fchmod(fd, file_mode()) < 0 || write_bounded(fd, buf, len, deadline) < 0) {
		*cause = io_error(d, tmp, errno);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		*cause = dir_error(d, tmp, errno);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		*cause = dir_error(d, path, errno);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(dir);
	free(path);
	return rc;
}

static int dir_exists(struct cache_backend *b, enum cache_ns ns, const char *hex, char **cause)
{
	struct dir_backend *d = (struct dir_backend *)b;
	struct stat st;
	int rc = 1;
	if (cache_name_check(ns, hex, cause) < 0)
		return -1;
	char *path = object_path(d, ns, hex);
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			rc = 0;
		} else {
			*cause = dir_error(d, path, errno);
			rc = -1;
		}
	} else if (!S_ISREG(st.st_mode)) {
		*cause = xasprintf("dir %s: %s: not a regular file", shown(d), rel(d, path));
		rc = -1;
	}
	free(path);
	return rc;
}

static int dir_del(struct cache_backend *b, enum cache_ns ns, const char *hex, char **cause)
{
	struct dir_backend *d = (struct dir_backend *)b;
	int rc = 0;
	if (cache_name_check(ns, hex, cause) < 0)
		return -1;
	char *path = object_path(d, ns, hex);
	if (unlink(path) < 0 && errno != ENOENT && errno != ENOTDIR) {
		*cause = dir_error(d, path, errno);
		rc = -1;
	}
	free(path);
	return rc;
}

static int is_hex_name(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/*
 * Walks <path>/<ns>/<xx>/<hex>: fn (when set) for every name, and the
 * files and their bytes counted into *count and *bytes (when set). Temp
 * files and anything else that is not a name are skipped. A missing
 * namespace directory is empty. 0, fn's non-zero answer, or -1 with *cause.
 */
static int walk(struct dir_backend *d, enum cache_ns ns, int (*fn)(const char *hex, void *arg),
                void *arg, long long *count, long long *bytes, char **cause)
{
	char *top = xasprintf("%s/%s", d->path, cache_ns_name(ns));
	DIR *td = opendir(top), *sd = NULL;
	char *sub = NULL;
	int rc = 0;
	if (!td) {
		if (errno != ENOENT)
			rc = -1, *cause = dir_error(d, top, errno);
		goto out;
	}
	for (;;) {
		errno = 0;
		struct dirent *te = readdir(td);
		if (!te) {
			if (errno)
				rc = -1, *cause = dir_error(d, top, errno);
			break;
		}
		if (!is_hex_name(te->d_name, 2))
			continue;
		free(sub);
		sub = xasprintf("%s/%s", top, te->d_name);
		if (!(sd = opendir(sub))) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			rc = -1, *cause = dir_error(d, sub, errno);
			break;
		}
		for (;;) {
			errno = 0;
			struct dirent *e = readdir(sd);
			if (!e) {
				if (errno)
					rc = -1, *cause = dir_error(d, sub, errno);
				break;
			}
			if (!is_hex_name(e->d_name, 64) || strncmp(e->d_name, te->d_name, 2) != 0)
				continue;
			if (count || bytes) {
				struct stat st;
				if (fstatat(dirfd(sd), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
				    !S_ISREG(st.st_mode))
					continue;
				if (count)
					(*count)++;
				if (bytes)
					*bytes += (long long)st.st_size;
			}
			if (fn && (rc = fn(e->d_name, arg)) != 0)
				break;
		}
		closedir(sd);
		sd = NULL;
		if (rc)
			break;
	}
out:
	if (td)
		closedir(td);
	free(sub);
	free(top);
	return rc;
}

static int dir_list(struct cache_backend *b, enum cache_ns ns,
                    int (*fn)(const char *hex, void *arg), void *arg, char **cause)
{
	if (ns != CACHE_AC && ns != CACHE_CAS) {
		*cause = xasprintf("bad cache namespace %d", (int)ns);
		return -1;
	}
	return walk((struct dir_backend *)b, ns, fn, arg, NULL, NULL, cause);
}

static int dir_stats(struct cache_backend *b, struct cache_backend_stats *st, char **cause)
{
	struct dir_backend *d = (struct dir_backend *)b;
	memset(st, 0, sizeof(*st));
	if (walk(d, CACHE_AC, NULL, NULL, &st->ac_entries, &st->bytes, cause) < 0 ||
	    walk(d, CACHE_CAS, NULL, NULL, &st->cas_objects, &st->bytes, cause) < 0)
		return -1;
	st->server = xstrdup("dir");
	return 0;
}

static void dir_close(struct cache_backend *b)
{
	struct dir_backend *d = (struct dir_backend *)b;
	cache_backend_release(b);
	free(d->path);
	free(d);
}

static const struct cache_backend_ops dir_ops = {
    "dir", dir_get, dir_put, dir_exists, dir_del, dir_list, dir_stats, dir_close,
};

int cache_dir_open(const struct cache_backend_options *opts, struct cache_backend **out,
                   char **cause)
{
	const char *p = opts->url;
	if (strncasecmp(p, "dir://", 6) == 0) {
		p += 6;
		/* dir://localhost/x is dir:///x, as in file:// URLs. */
		if (strncasecmp(p, "localhost/", 10) == 0)
			p += 9;
	}
	if (p[0] != '/') {
		char *shown = cache_url_display(opts->url);
		*cause = xasprintf("cache.backend: \"%.200s\": want dir:///absolute/path", shown);
		free(shown);
		return -1;
	}
	struct dir_backend *d = xcalloc(1, sizeof(*d));
	cache_backend_init(&d->b, &dir_ops, opts);
	size_t n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	d->path = xstrndup(p, n);
	*out = &d->b;
	return 0;
}
