/*
 * watch_inotify.c - the Linux backend of watch.h: one inotify descriptor,
 * one watch per directory, and a table from watch descriptor to directory.
 *
 * Directories are watched with IN_ONLYDIR | IN_DONT_FOLLOW, so a symlink is
 * never followed and a name that stopped being a directory is not watched.
 * New directories are watched first and read second: whatever is created in
 * them before the watch took hold is found by the read, whatever comes after
 * arrives as an event.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "dev/watch.h"
#include "dev/watch_backend.h"

#define WATCH_MASK                                                                                 \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF |   \
	 IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)

/* Bytes per read(); a read returns whole events only. */
#define WATCH_BUF_SIZE (64 * 1024)
/* Reads per watch_read() call, so that a flood cannot keep the caller busy forever. */
#define WATCH_MAX_READS 16

typedef void (*watch_fn)(const struct watch_event *ev, void *data);

struct wroot {
	char *path; /* absolute, clean */
	int (*skip_dir)(const char *abs, void *data);
	void *data;
};

struct wdir {
	int wd;
	size_t root;  /* index in watcher.roots */
	unsigned gen; /* last resync that saw it */
	char *path;   /* absolute */
};

struct iwatcher {
	int fd;
	ARRAY(struct wroot) roots;
	struct wdir **slots; /* open addressing by wd, linear probing; cap is a power of two */
	size_t cap, n;
	unsigned gen; /* bumped by each resync */
	char *buf;    /* WATCH_BUF_SIZE bytes for read() */
};

/* --- the wd table ------------------------------------------------------ */

static size_t wd_hash(int wd, size_t cap)
{
	return ((size_t)(unsigned)wd * 2654435761u) & (cap - 1);
}

static struct wdir *wd_find(const struct iwatcher *w, int wd)
{
	if (!w->cap)
		return NULL;
	for (size_t i = wd_hash(wd, w->cap);; i = (i + 1) & (w->cap - 1)) {
		if (!w->slots[i])
			return NULL;
		if (w->slots[i]->wd == wd)
			return w->slots[i];
	}
}

static void wd_place(struct wdir **slots, size_t cap, struct wdir *d)
{
	size_t i = wd_hash(d->wd, cap);
	while (slots[i])
		i = (i + 1) & (cap - 1);
	slots[i] = d;
}

static void wd_insert(struct iwatcher *w, struct wdir *d)
{
	if ((w->n + 1) * 2 > w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 64;
		struct wdir **ns = xcalloc(ncap, sizeof(*ns));
		for (size_t i = 0; i < w->cap; i++)
			if (w->slots[i])
				wd_place(ns, ncap, w->slots[i]);
		free(w->slots);
		w->slots = ns;
		w->cap = ncap;
	}
	wd_place(w->slots, w->cap, d);
	w->n++;
}

/* Takes wd out of the table (backward-shift deletion, no tombstones) and frees its entry. */
static void wd_remove(struct iwatcher *w, int wd)
{
	size_t mask = w->cap - 1, i;
	if (!w->cap)
		return;
	for (i = wd_hash(wd, w->cap);; i = (i + 1) & mask) {
		if (!w->slots[i])
			return;
		if (w->slots[i]->wd == wd)
			break;
	}
	free(w->slots[i]->path);
	free(w->slots[i]);
	w->slots[i] = NULL;
	w->n--;
	for (size_t j = (i + 1) & mask; w->slots[j]; j = (j + 1) & mask) {
		size_t k = wd_hash(w->slots[j]->wd, w->cap);
		/* the entry at j may move to the hole at i unless its home k lies in (i, j] */
		int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (!stays) {
			w->slots[i] = w->slots[j];
			w->slots[j] = NULL;
			i = j;
		}
	}
}

/* --- helpers ------------------------------------------------------------- */

static void path_add_name(struct strbuf *sb, const char *dir, const char *name)
{
	strbuf_reset(sb);
	strbuf_addstr(sb, dir);
	if (!sb->len || sb->buf[sb->len - 1] != '/')
		strbuf_addch(sb, '/');
	strbuf_addstr(sb, name);
}

/* "N" from a /proc/sys file, or "?" */
static char *read_sysctl(const char *file)
{
	struct strbuf sb = STRBUF_INIT;
	if (strbuf_read_file(&sb, file, 64) < 0 || !sb.len) {
		strbuf_release(&sb);
		return xstrdup("?");
	}
	while (sb.len && (sb.buf[sb.len - 1] == '\n' || sb.buf[sb.len - 1] == ' '))
		sb.buf[--sb.len] = '\0';
	return strbuf_detach(&sb, NULL);
}

static char *add_watch_cause(const char *path, int err)
{
	if (err == ENOSPC) {
		char *n = read_sysctl("/proc/sys/fs/inotify/max_user_watches");
		char *c = xasprintf("inotify watch limit reached (fs.inotify.max_user_watches=%s): "
		                    "raise it with `sysctl fs.inotify.max_user_watches=524288`",
		                    n);
		free(n);
		return c;
	}
	return xasprintf("cannot watch %s: %s", path, strerror(err));
}

static void report(watch_fn fn, void *data, const char *path, unsigned kind)
{
	struct watch_event ev = {path, kind};
	if (fn)
		fn(&ev, data);
}

/*
 * Watches one directory (a symlink only when it is the root itself). Returns the wd, with *fresh
 * set when the directory was not watched before under this path, or -1 with errno.
 */
static int add_one(struct iwatcher *w, const char *path, size_t root, int *fresh)
{
	uint32_t mask = WATCH_MASK;
	if (!strcmp(path, w->roots.v[root].path))
		mask &= ~(uint32_t)IN_DONT_FOLLOW; /* a root given as a symlink is followed */
	int wd = inotify_add_watch(w->fd, path, mask);
	if (wd < 0)
		return -1;
	struct wdir *d = wd_find(w, wd);
	if (d) {
		*fresh = strcmp(d->path, path) != 0;
		if (*fresh) { /* the same directory seen under a new name: it was moved */
			free(d->path);
			d->path = xstrdup(path);
			d->root = root;
		}
		d->gen = w->gen;
		return wd;
	}
	d = xmalloc(sizeof(*d));
	d->wd = wd;
	d->root = root;
	d->gen = w->gen;
	d->path = xstrdup(path);
	wd_insert(w, d);
	*fresh = 1;
	return wd;
}

/* errno values of inotify_add_watch meaning "this is not (any more) a directory we can watch" */
static int vanished(int err)
{
	return err == ENOENT || err == ENOTDIR || err == EACCES || err == ELOOP || err == EPERM;
}

/*
 * Watches top and the directories below it (skip_dir of the root applies
 * below top), without recursion. With fn (event-driven mode) each directory
 * newly watched is reported (top as top_kind, the others as WATCH_CREATE |
 * WATCH_DIR) together with the files found in it, and a directory already
 * watched under the same path is not walked again (it was read after its
 * watch was added, so later changes arrive as events). Without fn (initial
 * add, resync) everything is walked. strict: top must be watchable.
 * Returns 0, or -1 with *cause.
 */
static int add_tree(struct iwatcher *w, const char *top, size_t root, int strict, unsigned top_kind,
                    watch_fn fn, void *data, char **cause)
{
	ARRAY(char *) stack = ARRAY_INIT;
	struct strbuf child = STRBUF_INIT;
	int ret = 0;

	ARRAY_PUSH(stack, xstrdup(top));
	while (stack.n) {
		char *dir = stack.v[--stack.n];
		int fresh = 0;
		if (add_one(w, dir, root, &fresh) < 0) {
			int err = errno;
			if (!vanished(err) || (strict && strcmp(dir, top) == 0)) {
				*cause = add_watch_cause(dir, err);
				free(dir);
				ret = -1;
				goto out;
			}
			free(dir);
			continue;
		}
		if (fn && !fresh) {
			free(dir);
			continue;
		}
		report(fn, data, dir, strcmp(dir, top) == 0 ? top_kind : WATCH_CREATE | WATCH_DIR);

		DIR *dh = opendir(dir);
		if (!dh) { /* vanished since: its removal arrives as an event */
			free(dir);
			continue;
		}
		const struct wroot *r = &w->roots.v[root];
		struct dirent *de;
		while ((de = readdir(dh))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			unsigned char type = de->d_type;
			if (type == DT_UNKNOWN) {
				struct stat st;
				if (fstatat(dirfd(dh), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
					continue;
				type = S_ISDIR(st.st_mode)   ? DT_DIR
				       : S_ISREG(st.st_mode) ? DT_REG
				                             : DT_LNK;
			}
			path_add_name(&child, dir, de->d_name);
			if (type == DT_DIR) {
				if (r->skip_dir && r->skip_dir(child.buf, r->data))
					continue;
				ARRAY_PUSH(stack, xstrdup(child.buf));
			} else if (type == DT_REG && fn && !watch_is_noise(de->d_name)) {
				report(fn, data, child.buf, WATCH_CREATE);
			}
		}
		closedir(dh);
		free(dir);
	}
out:
	for (size_t i = 0; i < stack.n; i++)
		free(stack.v[i]);
	ARRAY_FREE(stack);
	strbuf_release(&child);
	return ret;
}

/* Stops watching path and every directory below it. */
static void remove_tree(struct iwatcher *w, const char *path)
{
	ARRAY(int) wds = ARRAY_INIT;
	size_t len = strlen(path);
	for (size_t i = 0; i < w->cap; i++) {
		const struct wdir *d = w->slots[i];
		if (d && !strncmp(d->path, path, len) &&
		    (d->path[len] == '\0' || d->path[len] == '/'))
			ARRAY_PUSH(wds, d->wd);
	}
	for (size_t i = 0; i < wds.n; i++) {
		inotify_rm_watch(w->fd, wds.v[i]); /* EINVAL when the kernel dropped it already */
		wd_remove(w, wds.v[i]);
	}
	ARRAY_FREE(wds);
}

/*
 * After a queue overflow: walks every root again (adding what is missing,
 * refreshing moved paths) and drops the watches that were not seen.
 */
static int resync(struct iwatcher *w, char **cause)
{
	int ret = 0;
	w->gen++;
	for (size_t r = 0; r < w->roots.n; r++) {
		char *c = NULL;
		if (add_tree(w, w->roots.v[r].path, r, 0, 0, NULL, NULL, &c) < 0) {
			if (ret == 0)
				*cause = c;
			else
				free(c);
			ret = -1;
		}
	}
	ARRAY(int) stale = ARRAY_INIT;
	for (size_t i = 0; i < w->cap; i++)
		if (w->slots[i] && w->slots[i]->gen != w->gen)
			ARRAY_PUSH(stale, w->slots[i]->wd);
	for (size_t i = 0; i < stale.n; i++) {
		inotify_rm_watch(w->fd, stale.v[i]);
		wd_remove(w, stale.v[i]);
	}
	ARRAY_FREE(stale);
	return ret;
}

/* --- the interface --------------------------------------------------------- */

static void *iw_new(unsigned interval_ms, char **cause)
{
	(void)interval_ms;
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE) {
			char *n = read_sysctl("/proc/sys/fs/inotify/max_user_instances");
			*cause = xasprintf("too many inotify instances "
			                   "(fs.inotify.max_user_instances=%s): raise it with "
			                   "`sysctl fs.inotify.max_user_instances=1024`",
			                   n);
			free(n);
		} else {
			*cause = xasprintf("inotify_init1: %s", strerror(errno));
		}
		return NULL;
	}
	struct iwatcher *w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	w->buf = xmalloc(WATCH_BUF_SIZE);
	return w;
}

static int iw_add_tree(void *wv, const char *abs, int (*skip_dir)(const char *abs, void *data),
                       void *data, char **cause)
{
	struct iwatcher *w = wv;
	struct wroot r = {xstrdup(abs), skip_dir, data};
	ARRAY_PUSH(w->roots, r);
	return add_tree(w, r.path, w->roots.n - 1, 1, 0, NULL, NULL, cause);
}

static int iw_fd(void *wv)
{
	struct iwatcher *w = wv;
	return w->fd;
}

static size_t iw_count(const void *wv)
{
	const struct iwatcher *w = wv;
	return w->n;
}

/* The parts of watch_read() for one event on a directory entry named in d. */
static int dir_entry_event(struct iwatcher *w, const struct wdir *d, const struct inotify_event *ev,
                           watch_fn fn, void *data, char **cause)
{
	struct strbuf path = STRBUF_INIT;
	int ret = 0;

	path_add_name(&path, d->path, ev->name);
	if (ev->mask & IN_ISDIR) {
		if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
			const struct wroot *r = &w->roots.v[d->root];
			unsigned kind = ev->mask & IN_MOVED_TO
			                    ? WATCH_MOVE | WATCH_CREATE | WATCH_DIR
			                    : WATCH_CREATE | WATCH_DIR;
			if (!(r->skip_dir && r->skip_dir(path.buf, r->data)))
				ret = add_tree(w, path.buf, d->root, 0, kind, fn, data, cause);
		} else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
			const struct wroot *r = &w->roots.v[d->root];
			int watched = !(r->skip_dir && r->skip_dir(path.buf, r->data));
			remove_tree(w, path.buf);
			if (watched)
				report(fn, data, path.buf,
				       ev->mask & IN_MOVED_FROM
				           ? WATCH_MOVE | WATCH_DELETE | WATCH_DIR
				           : WATCH_DELETE | WATCH_DIR);
		}
	} else if (!watch_is_noise(ev->name)) {
		unsigned kind = 0;
		if (ev->mask & IN_CLOSE_WRITE)
			kind = WATCH_WRITE;
		else if (ev->mask & IN_MOVED_TO)
			kind = WATCH_MOVE | WATCH_CREATE;
		else if (ev->mask & IN_MOVED_FROM)
			kind = WATCH_MOVE | WATCH_DELETE;
		else if (ev->mask & IN_DELETE)
			kind = WATCH_DELETE;
		if (kind) /* IN_CREATE of a file alone is not a change yet */
			report(fn, data, path.buf, kind);
	}
	strbuf_release(&path);
	return ret;
}

static int iw_read(void *wv, void (*fn)(const struct watch_event *ev, void *data), void *data,
                   char **cause)
{
	struct iwatcher *w = wv;
	int ret = 0, overflow = 0;

	for (int reads = 0; reads < WATCH_MAX_READS; reads++) {
		ssize_t n = read(w->fd, w->buf, WATCH_BUF_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			if (ret == 0)
				*cause =
				    xasprintf("reading inotify events: %s",
				              n < 0 ? strerror(errno) : "unexpected end of file");
			ret = -1;
			break;
		}
		for (ssize_t off = 0; off < n;) {
			/* the kernel pads each name so that the next event is aligned */
			const struct inotify_event *ev = (const void *)(w->buf + off);
			off += (ssize_t)(sizeof(struct inotify_event) + ev->len);

			if (ev->mask & IN_Q_OVERFLOW) {
				overflow = 1;
				continue;
			}
			struct wdir *d = wd_find(w, ev->wd);
			if (ev->mask & IN_IGNORED) { /* the kernel dropped the watch */
				if (d)
					wd_remove(w, ev->wd);
				continue;
			}
			if (!d)
				continue; /* a watch removed since the event was queued */
			if (ev->mask & IN_DELETE_SELF) {
				/* the parent reports the deletion, except for a root */
				if (!strcmp(d->path, w->roots.v[d->root].path))
					report(fn, data, d->path, WATCH_DELETE | WATCH_DIR);
				wd_remove(w, ev->wd);
				continue;
			}
			if (!ev->len || !ev->name[0])
				continue;
			char *c = NULL;
			if (dir_entry_event(w, d, ev, fn, data, &c) < 0) {
				if (ret == 0)
					*cause = c;
				else
					free(c);
				ret = -1;
			}
		}
	}
	if (overflow) {
		char *c = NULL;
		if (resync(w, &c) < 0) {
			if (ret == 0)
				*cause = c;
			else
				free(c);
			ret = -1;
		}
		report(fn, data, "", WATCH_RESCAN);
	}
	return ret;
}

static void iw_free(void *wv)
{
	struct iwatcher *w = wv;
	if (!w)
		return;
	close(w->fd); /* drops every watch */
	for (size_t i = 0; i < w->cap; i++) {
		if (w->slots[i]) {
			free(w->slots[i]->path);
			free(w->slots[i]);
		}
	}
	free(w->slots);
	for (size_t i = 0; i < w->roots.n; i++)
		free(w->roots.v[i].path);
	ARRAY_FREE(w->roots);
	free(w->buf);
	free(w);
}

/* vim's probe "4913", then 4913 + 123, 4913 + 246, ... while the name exists */
static int is_vim_probe(const char *b)
{
	size_t n = strlen(b);
	if (n < 4 || n > 9 || strspn(b, "0123456789") != n)
		return 0;
	long v = strtol(b, NULL, 10);
	return v >= 4913 && (v - 4913) % 123 == 0;
}

int watch_is_noise(const char *b)
{
	size_t n = strlen(b);
	if (!n)
		return 0;
	if (is_vim_probe(b))
		return 1;
	if (b[n - 1] == '~') /* backup~ */
		return 1;
	if (starts_with(b, ".#")) /* emacs lock */
		return 1;
	if (n >= 2 && b[0] == '#' && b[n - 1] == '#') /* emacs autosave */
		return 1;
	if (n >= 4 && b[n - 4] == '.' && b[n - 3] == 's' && b[n - 2] == 'w' &&
	    ((b[n - 1] >= 'a' && b[n - 1] <= 'p') || b[n - 1] == 'x')) /* vim swap */
		return 1;
	if (b[0] == '.' && ends_with(b, ".kate-swp"))
		return 1;
	if (ends_with(b, ".tmp"))
		return 1;
	if (ends_with(b, "___jb_tmp___") || ends_with(b, "___jb_old___"))
		return 1;
	return 0;
}

static void iw_set_files(void *wv, const char *const *abs, size_t n)
{
	(void)wv; /* inotify sees every file of a watched directory */
	(void)abs;
	(void)n;
}

const struct watch_ops watch_inotify_ops = {"inotify", iw_new,   iw_add_tree,  iw_fd,
                                            iw_read,   iw_count, iw_set_files, iw_free};
