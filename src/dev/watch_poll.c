/*
 * watch_poll.c - the polling backend of watch.h (watch_new_poll): for file
 * systems that deliver no inotify events for changes made from elsewhere.
 *
 * The fd is a timerfd, armed (one-shot) for the next tick. Each tick:
 *  - stats every file given to watch_set_files() (relative to an O_PATH
 *    descriptor of its directory: no path walk) and compares mtime,
 *    ctime, size and inode with the last look: a difference is a
 *    WATCH_WRITE (or WATCH_CREATE / WATCH_DELETE when it appeared or went);
 *  - lstat()s the "hot" directories (those holding such files, and those
 *    that changed in the last minute) and a slice of the others, so that a
 *    sweep of every directory takes about SWEEP_MS; a directory whose mtime,
 *    ctime or inode moved is read again and its listing compared with the
 *    last one (new names: WATCH_CREATE, a new directory followed and
 *    reported with what it holds; vanished names: WATCH_DELETE, a vanished
 *    directory forgotten with everything below it).
 * A file whose stamp moved is reported when a second look, SETTLE_MS later
 * (a quarter of the interval at most), agrees: a file caught while being
 * written (truncated, half written) is reported once, complete, as inotify's
 * close-write would. Files that appear in a listing without being in the
 * set are stat'ed every tick for a minute, so that `cat > new.go` is seen
 * whole. Time stamps can be coarse (a second on some remote file systems): a file
 * or directory whose mtime is within RACY_NS of the previous look may have
 * changed again without moving it, so it is reported (file) or read (dir)
 * again until its mtime is older; callers hash contents anyway.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "dev/devgraph.h"
#include "dev/watch.h"
#include "dev/watch_backend.h"

#define SWEEP_MS    8000 /* every directory at least this often */
#define MAX_DIR_FDS 512  /* O_PATH descriptors kept for the directories holding files */
#define SETTLE_MS   50   /* a change is reported when a look this much later agrees */
#define ALL_FILES   400  /* up to this many files, each is stat'ed every tick */
#define FILE_SWEEP_MS                                                                              \
	1000 /* beyond: those of hot directories every tick, each other one this often */
#define HOT_NS  (60LL * 1000000000LL) /* a changed directory stays hot this long */
#define RACY_NS (1100LL * 1000000LL)  /* mtime granularity we allow for */

typedef void (*watch_fn)(const struct watch_event *ev, void *data);

struct proot {
	char *path;
	int (*skip_dir)(const char *abs, void *data);
	void *data;
	int gone;
};

struct stamp {
	int64_t mtime, ctime;
	off_t size;
	ino_t ino;
	int exists;
};

struct pentry {
	char *name;
	int dir;
};

struct pdir {
	char *path;
	size_t root;
	struct stamp st;
	int64_t checked;   /* CLOCK_REALTIME ns of the last look */
	int64_t hot_until; /* monotonic ns */
	int has_files;     /* holds a file of the set */
	int fd;            /* O_PATH, when has_files (files are stat'ed relative to it), else -1 */
	ARRAY(struct pentry) names; /* sorted by name */
};

struct pfile {
	char *path;
	size_t base; /* offset of the base name in path */
	struct stamp st;
	int64_t checked;
	int settling;      /* a change seen once: reported when the next look agrees */
	struct stamp seen; /* what that look saw */
	int64_t until;     /* recent files (not in the set): watched until then (monotonic) */
};

struct pwatcher {
	int tfd;
	unsigned interval_ms;
	ARRAY(struct proot) roots;
	ARRAY(struct pdir *) dirs;
	struct pathmap dir_index;   /* path -> index + 1 in dirs (0: none) */
	ARRAY(struct pfile) files;  /* sorted by path: a directory's files are together */
	size_t cursor;              /* the rotation over the cold directories */
	size_t fcursor;             /* the rotation over the files */
	size_t nfds;                /* open pdir.fd */
	ARRAY(struct pfile) recent; /* files that appeared in a listing, not in the set */
	int64_t next_tick;          /* monotonic ns */
	int64_t settle_at;          /* when to look again at settling files, 0: none */
};

static int64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void stamp_of(const struct stat *st, struct stamp *s)
{
	s->mtime = (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
	s->ctime = (int64_t)st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
	s->size = st->st_size;
	s->ino = st->st_ino;
	s->exists = 1;
}

static int stamp_eq(const struct stamp *a, const struct stamp *b)
{
	return a->exists == b->exists &&
	       (!a->exists || (a->mtime == b->mtime && a->ctime == b->ctime && a->size == b->size &&
	                       a->ino == b->ino));
}

static void report(watch_fn fn, void *data, const char *path, unsigned kind)
{
	struct watch_event ev = {path, kind};
	if (fn)
		fn(&ev, data);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct pentry *)a)->name, ((const struct pentry *)b)->name);
}

static void names_free(struct pdir *d)
{
	for (size_t i = 0; i < d->names.n; i++)
		free(d->names.v[i].name);
	ARRAY_FREE(d->names);
}

/* Reads dir's listing into out (sorted); -1 when it cannot be read. */
static int read_listing(const char *dir, struct pdir *out)
{
	DIR *dh = opendir(dir);
	if (!dh)
		return -1;
	struct dirent *de;
	while ((de = readdir(dh))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		unsigned char type = de->d_type;
		if (type == DT_UNKNOWN) {
			struct stat st;
			if (fstatat(dirfd(dh), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
		}
		if (type != DT_DIR && type != DT_REG)
			continue;
		struct pentry e = {xstrdup(de->d_name), type == DT_DIR};
		ARRAY_PUSH(out->names, e);
	}
	closedir(dh);
	if (out->names.n)
		qsort(out->names.v, out->names.n, sizeof(*out->names.v), cmp_entry);
	return 0;
}

static struct pdir *dir_find(const struct pwatcher *w, const char *path)
{
	uint64_t v;
	if (!pathmap_get(&w->dir_index, path, &v) || !v)
		return NULL;
	return w->dirs.v[v - 1];
}

static void path_add_name(struct strbuf *sb, const char *dir, const char *name)
{
	strbuf_reset(sb);
	strbuf_addstr(sb, dir);
	if (sb->len && sb->buf[sb->len - 1] != '/')
		strbuf_addch(sb, '/');
	strbuf_addstr(sb, name);
}

static void add_recent(struct pwatcher *w, const char *path);

/*
 * Tracks top and the directories below it (skip_dir applies below top).
 * With fn, each new directory is reported (top as top_kind) with the files
 * found in it.
 */
static void add_tree(struct pwatcher *w, const char *top, size_t root, unsigned top_kind,
                     watch_fn fn, void *data)
{
	ARRAY(char *) stack = ARRAY_INIT;
	struct strbuf child = STRBUF_INIT;
	int64_t now = real_ns();
	ARRAY_PUSH(stack, xstrdup(top));
	while (stack.n) {
		char *dir = stack.v[--stack.n];
		struct stat st;
		int is_top = strcmp(dir, top) == 0;
		if ((is_top ? stat(dir, &st) : lstat(dir, &st)) < 0 || !S_ISDIR(st.st_mode) ||
		    dir_find(w, dir)) {
			free(dir);
			continue;
		}
		struct pdir *d = xcalloc(1, sizeof(*d));
		d->fd = -1;
		d->path = dir;
		d->root = root;
		stamp_of(&st, &d->st);
		d->checked = now;
		if (fn)
			d->hot_until = now_mono_ns() + HOT_NS;
		read_listing(dir, d);
		ARRAY_PUSH(w->dirs, d);
		pathmap_set(&w->dir_index, dir, w->dirs.n);
		report(fn, data, dir, is_top ? top_kind : WATCH_CREATE | WATCH_DIR);
		const struct proot *r = &w->roots.v[root];
		for (size_t i = 0; i < d->names.n; i++) {
			path_add_name(&child, dir, d->names.v[i].name);
			if (d->names.v[i].dir) {
				if (r->skip_dir && r->skip_dir(child.buf, r->data))
					continue;
				ARRAY_PUSH(stack, xstrdup(child.buf));
			} else if (fn && !watch_is_noise(d->names.v[i].name)) {
				report(fn, data, child.buf, WATCH_CREATE);
				add_recent(w, child.buf); /* its writes are seen too */
			}
		}
	}
	ARRAY_FREE(stack);
	strbuf_release(&child);
}

/* Forgets path and every directory below it. */
static void remove_tree(struct pwatcher *w, const char *path)
{
	size_t len = strlen(path);
	for (size_t i = 0; i < w->dirs.n;) {
		struct pdir *d = w->dirs.v[i];
		if (strncmp(d->path, path, len) == 0 &&
		    (d->path[len] == '\0' || d->path[len] == '/')) {
			pathmap_set(&w->dir_index, d->path, 0);
			if (d->fd >= 0) {
				close(d->fd);
				w->nfds--;
			}
			names_free(d);
			free(d->path);
			free(d);
			w->dirs.v[i] = w->dirs.v[--w->dirs.n];
			if (i < w->dirs.n)
				pathmap_set(&w->dir_index, w->dirs.v[i]->path, i + 1);
			continue;
		}
		i++;
	}
	if (w->cursor > w->dirs.n)
		w->cursor = 0;
}

/*
 * Looks at one directory; returns 1 when it was forgotten (gone), so that
 * the caller's index into dirs must not advance.
 */
static int check_dir(struct pwatcher *w, struct pdir *d, watch_fn fn, void *data)
{
	struct stat st;
	struct stamp now_st = {0, 0, 0, 0, 0};
	int is_root = strcmp(d->path, w->roots.v[d->root].path) == 0;
	/* through its descriptor when it has one: no path walk (a deleted one has no links) */
	int rc = d->fd >= 0 ? fstat(d->fd, &st)
	         : is_root  ? stat(d->path, &st)
	                    : lstat(d->path, &st);
	if (rc == 0 && S_ISDIR(st.st_mode) && st.st_nlink > 0)
		stamp_of(&st, &now_st);
	int64_t now = real_ns();
	if (!now_st.exists) {
		char *path = xstrdup(d->path);
		size_t root = d->root;
		report(fn, data, path, WATCH_DELETE | WATCH_DIR);
		remove_tree(w, path);
		/* deleted and made again under the same name (its descriptor saw the old one) */
		if (is_root)
			w->roots.v[root].gone = 1; /* like inotify: not watched again */
		else if (rc == 0 && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			add_tree(w, path, root, WATCH_CREATE | WATCH_DIR, fn, data);
		free(path);
		return 1;
	}
	int racy = d->st.mtime >= d->checked - RACY_NS;
	d->checked = now;
	int moved = !stamp_eq(&now_st, &d->st);
	if (!moved && !racy)
		return 0;
	d->st = now_st;
	struct pdir fresh;
	memset(&fresh, 0, sizeof(fresh));
	if (read_listing(d->path, &fresh) < 0)
		return 0; /* unreadable for now: its removal shows in its parent */
	/* the two sorted listings side by side */
	struct strbuf child = STRBUF_INIT;
	size_t i = 0, j = 0;
	int changed = 0;
	const struct proot *r = &w->roots.v[d->root];
	char *dpath = xstrdup(d->path);
	size_t root = d->root;
	while (i < d->names.n || j < fresh.names.n) {
		int c = i == d->names.n      ? 1
		        : j == fresh.names.n ? -1
		                             : strcmp(d->names.v[i].name, fresh.names.v[j].name);
		if (c == 0 && d->names.v[i].dir != fresh.names.v[j].dir)
			c = -1; /* same name, another type: gone, then new */
		if (c < 0) {    /* vanished */
			const struct pentry *e = &d->names.v[i++];
			path_add_name(&child, dpath, e->name);
			if (e->dir) {
				if (dir_find(w, child.buf)) {
					report(fn, data, child.buf, WATCH_DELETE | WATCH_DIR);
					remove_tree(w, child.buf);
				}
			} else if (!watch_is_noise(e->name)) {
				report(fn, data, child.buf, WATCH_DELETE);
			}
			changed = 1;
		} else if (c > 0) { /* new */
			const struct pentry *e = &fresh.names.v[j++];
			path_add_name(&child, dpath, e->name);
			if (e->dir) {
				if (!(r->skip_dir && r->skip_dir(child.buf, r->data)))
					add_tree(w, child.buf, root, WATCH_CREATE | WATCH_DIR, fn,
					         data);
			} else if (!watch_is_noise(e->name)) {
				report(fn, data, child.buf, WATCH_CREATE);
				add_recent(w, child.buf); /* its writes are seen too */
			}
			changed = 1;
		} else {
			i++;
			j++;
		}
	}
	strbuf_release(&child);
	free(dpath);
	/* d itself stays (only paths below it were added or forgotten) */
	names_free(d);
	d->names = fresh.names;
	if (changed || moved) /* its files are due now (an atomic save replaced one) */
		d->hot_until = now_mono_ns() + HOT_NS;
	return 0;
}

/* Looks at one file; 1 when it changed, -1 when it is settling (look again soon), else 0. */
static int check_file(struct pfile *f, int dirfd, watch_fn fn, void *data)
{
	struct stat st;
	struct stamp now_st = {0, 0, 0, 0, 0};
	int rc = dirfd >= 0 ? fstatat(dirfd, f->path + f->base, &st, AT_SYMLINK_NOFOLLOW)
	                    : lstat(f->path, &st);
	if (rc == 0 && S_ISREG(st.st_mode))
		stamp_of(&st, &now_st);
	int64_t now = real_ns();
	int racy = f->st.exists && f->st.mtime >= f->checked - RACY_NS;
	f->checked = now;
	if (stamp_eq(&now_st, &f->st)) {
		f->settling = 0;
		if (racy && now_st.exists)
			report(fn, data, f->path, WATCH_WRITE);
		return 0;
	}
	/*
	 * Changed: reported once a second look SETTLE_MS later agrees, so that a
	 * file caught in the middle of being written (truncated, half written)
	 * is not reported twice (inotify waits for the close).
	 */
	if (!f->settling || !stamp_eq(&now_st, &f->seen)) {
		f->settling = 1;
		f->seen = now_st;
		return -1;
	}
	unsigned kind = !now_st.exists ? WATCH_DELETE : !f->st.exists ? WATCH_CREATE : WATCH_WRITE;
	f->settling = 0;
	f->st = now_st;
	report(fn, data, f->path, kind);
	return 1;
}

static void settle_later(struct pwatcher *w)
{
	unsigned ms = w->interval_ms / 4 < SETTLE_MS ? w->interval_ms / 4 : SETTLE_MS;
	if (!w->settle_at)
		w->settle_at = now_mono_ns() + (int64_t)(ms < 5 ? 5 : ms) * 1000000;
}

/* The files that appeared in listings lately (not in the set): every tick, for a while. */
static void check_recent(struct pwatcher *w, watch_fn fn, void *data)
{
	int64_t mono = now_mono_ns();
	for (size_t i = 0; i < w->recent.n;) {
		struct pfile *f = &w->recent.v[i];
		if (f->until < mono && !f->settling) {
			free(f->path);
			w->recent.v[i] = w->recent.v[--w->recent.n];
			continue;
		}
		if (check_file(f, -1, fn, data) < 0)
			settle_later(w);
		i++;
	}
}

/* A file found by a listing: watched for HOT_NS unless the set has it. */
static void add_recent(struct pwatcher *w, const char *path)
{
	for (size_t i = 0; i < w->recent.n; i++)
		if (!strcmp(w->recent.v[i].path, path))
			return;
	struct pfile f;
	memset(&f, 0, sizeof(f));
	struct stat st;
	f.path = xstrdup(path);
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
		stamp_of(&st, &f.st);
	f.checked = real_ns();
	f.until = now_mono_ns() + HOT_NS;
	if (w->recent.n < 4096)
		ARRAY_PUSH(w->recent, f);
	else
		free(f.path);
}

/* Only the settling files (SETTLE_MS after a change was seen). */
static void settle(struct pwatcher *w, watch_fn fn, void *data)
{
	w->settle_at = 0;
	for (size_t i = 0; i < w->files.n; i++) {
		struct pfile *f = &w->files.v[i];
		if (f->settling && check_file(f, -1, fn, data) < 0)
			settle_later(w);
	}
	for (size_t i = 0; i < w->recent.n; i++) {
		struct pfile *f = &w->recent.v[i];
		if (f->settling && check_file(f, -1, fn, data) < 0)
			settle_later(w);
	}
}

/*
 * One tick: the hot directories and a slice of the others, then the files:
 * all of them when there are at most ALL_FILES, else those in hot
 * directories (changed in the last minute: an atomic save moves the
 * directory's mtime, so its files are looked at in the same tick) and a
 * slice of the rest, so that each is seen every FILE_SWEEP_MS.
 */
static void tick(struct pwatcher *w, watch_fn fn, void *data)
{
	int64_t mono = now_mono_ns();
	size_t cold = 0;
	for (size_t i = 0; i < w->dirs.n;) {
		struct pdir *d = w->dirs.v[i];
		if (d->has_files || d->hot_until > mono) {
			size_t n = w->dirs.n;
			if (check_dir(w, d, fn, data) && w->dirs.n < n)
				continue;
		} else {
			cold++;
		}
		i++;
	}
	/* the cold ones: a slice, so that all are seen every SWEEP_MS */
	size_t slice = (cold * w->interval_ms + SWEEP_MS - 1) / SWEEP_MS;
	for (size_t seen = 0, k = 0; seen < slice && k < w->dirs.n && w->dirs.n; k++) {
		if (w->cursor >= w->dirs.n)
			w->cursor = 0;
		struct pdir *d = w->dirs.v[w->cursor];
		if (d->has_files || d->hot_until > mono) {
			w->cursor++;
			continue;
		}
		seen++;
		size_t n = w->dirs.n;
		if (!(check_dir(w, d, fn, data) && w->dirs.n < n))
			w->cursor++;
	}

	/* files, relative to their directory's descriptor (they are sorted by path) */
	size_t n = w->files.n;
	size_t fslice =
	    n <= ALL_FILES ? n : (n * w->interval_ms + FILE_SWEEP_MS - 1) / FILE_SWEEP_MS;
	if (w->fcursor >= n)
		w->fcursor = 0;
	const struct pfile *prev = NULL;
	struct pdir *d = NULL;
	mono = now_mono_ns();
	for (size_t i = 0; i < n; i++) {
		struct pfile *f = &w->files.v[i];
		if (!prev || prev->base != f->base || strncmp(prev->path, f->path, f->base) != 0) {
			char *dir = xstrndup(f->path, f->base > 1 ? f->base - 1 : f->base);
			d = dir_find(w, dir);
			free(dir);
			if (d && d->fd < 0 && d->has_files && w->nfds < MAX_DIR_FDS) {
				d->fd =
				    open(d->path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				w->nfds += d->fd >= 0;
			}
		}
		prev = f;
		int due =
		    (i + n - w->fcursor) % n < fslice || (d && d->hot_until > mono) || f->settling;
		int c = due ? check_file(f, d ? d->fd : -1, fn, data) : 0;
		if (c && d)
			d->hot_until = mono + HOT_NS;
		if (c < 0)
			settle_later(w);
	}
	w->fcursor = n ? (w->fcursor + fslice) % n : 0;
	check_recent(w, fn, data);
}

/* --- the backend --------------------------------------------------------- */

/* The timer fires at the next tick, or sooner for settling files (one-shot, absolute). */
static void arm(struct pwatcher *w)
{
	int64_t at = w->next_tick;
	if (w->settle_at && w->settle_at < at)
		at = w->settle_at;
	struct itimerspec its;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = at / 1000000000LL;
	its.it_value.tv_nsec = at % 1000000000LL;
	timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void *pw_new(unsigned interval_ms, char **cause)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0) {
		*cause = xasprintf("timerfd_create: %s", strerror(errno));
		return NULL;
	}
	if (interval_ms < 10)
		interval_ms = 10;
	struct pwatcher *w = xcalloc(1, sizeof(*w));
	w->tfd = fd;
	w->interval_ms = interval_ms;
	w->next_tick = now_mono_ns() + (int64_t)interval_ms * 1000000;
	arm(w);
	return w;
}

static int pw_add_tree(void *wv, const char *abs, int (*skip_dir)(const char *abs, void *data),
                       void *data, char **cause)
{
	struct pwatcher *w = wv;
	(void)cause;
	struct proot r = {xstrdup(abs), skip_dir, data, 0};
	ARRAY_PUSH(w->roots, r);
	add_tree(w, r.path, w->roots.n - 1, 0, NULL, NULL);
	return 0;
}

static int pw_fd(void *wv)
{
	return ((struct pwatcher *)wv)->tfd;
}

static size_t pw_count(const void *wv)
{
	return ((const struct pwatcher *)wv)->dirs.n;
}

static int pw_read(void *wv, watch_fn fn, void *data, char **cause)
{
	struct pwatcher *w = wv;
	uint64_t expirations;
	ssize_t n = read(w->tfd, &expirations, sizeof(expirations));
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		*cause = xasprintf("reading the poll timer: %s", strerror(errno));
		return -1;
	}
	int64_t now = now_mono_ns();
	if (now >= w->next_tick) {
		tick(w, fn, data);
		w->next_tick += (int64_t)w->interval_ms * 1000000;
		if (w->next_tick <= now) /* late (a busy machine): no burst of ticks */
			w->next_tick = now + (int64_t)w->interval_ms * 1000000;
	} else if (w->settle_at && now >= w->settle_at) {
		settle(w, fn, data);
	}
	arm(w);
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct pfile *)a)->path, ((const struct pfile *)b)->path);
}

static void pw_set_files(void *wv, const char *const *abs, size_t n)
{
	struct pwatcher *w = wv;
	struct pathmap old = PATHMAP_INIT;
	for (size_t i = 0; i < w->files.n; i++)
		pathmap_set(&old, w->files.v[i].path, i + 1);
	ARRAY(struct pfile) nf = ARRAY_INIT;
	struct pathmap seen = PATHMAP_INIT;
	int64_t now = real_ns();
	for (size_t i = 0; i < n; i++) {
		if (pathmap_get(&seen, abs[i], NULL))
			continue;
		pathmap_set(&seen, abs[i], 1);
		uint64_t at;
		struct pfile f;
		if (pathmap_get(&old, abs[i], &at)) {
			f = w->files.v[at - 1];
			w->files.v[at - 1].path = NULL;
		} else {
			struct stat st;
			memset(&f, 0, sizeof(f));
			f.path = xstrdup(abs[i]);
			if (lstat(f.path, &st) == 0 && S_ISREG(st.st_mode))
				stamp_of(&st, &f.st);
			f.checked = now;
		}
		ARRAY_PUSH(nf, f);
	}
	for (size_t i = 0; i < w->files.n; i++)
		free(w->files.v[i].path);
	ARRAY_FREE(w->files);
	w->files.v = nf.v;
	w->files.n = nf.n;
	w->files.alloc = nf.alloc;
	pathmap_clear(&old);
	pathmap_clear(&seen);
	if (w->files.n)
		qsort(w->files.v, w->files.n, sizeof(*w->files.v), cmp_file);
	for (size_t i = 0; i < w->files.n; i++) {
		const char *slash = strrchr(w->files.v[i].path, '/');
		w->files.v[i].base = slash ? (size_t)(slash - w->files.v[i].path) + 1 : 0;
	}
	/* the directories holding them are checked every tick */
	for (size_t i = 0; i < w->dirs.n; i++) {
		struct pdir *d = w->dirs.v[i];
		d->has_files = 0;
		if (d->fd >= 0) { /* opened again on the next tick if it still has files */
			close(d->fd);
			d->fd = -1;
			w->nfds--;
		}
	}
	for (size_t i = 0; i < w->files.n; i++) {
		const char *p = w->files.v[i].path;
		const char *slash = strrchr(p, '/');
		if (!slash)
			continue;
		char *dir = slash == p ? xstrdup("/") : xstrndup(p, (size_t)(slash - p));
		struct pdir *d = dir_find(w, dir);
		if (d)
			d->has_files = 1;
		free(dir);
	}
}

static void pw_free(void *wv)
{
	struct pwatcher *w = wv;
	if (!w)
		return;
	close(w->tfd);
	for (size_t i = 0; i < w->dirs.n; i++) {
		if (w->dirs.v[i]->fd >= 0)
			close(w->dirs.v[i]->fd);
		names_free(w->dirs.v[i]);
		free(w->dirs.v[i]->path);
		free(w->dirs.v[i]);
	}
	ARRAY_FREE(w->dirs);
	pathmap_clear(&w->dir_index);
	for (size_t i = 0; i < w->files.n; i++)
		free(w->files.v[i].path);
	ARRAY_FREE(w->files);
	for (size_t i = 0; i < w->recent.n; i++)
		free(w->recent.v[i].path);
	ARRAY_FREE(w->recent);
	for (size_t i = 0; i < w->roots.n; i++)
		free(w->roots.v[i].path);
	ARRAY_FREE(w->roots);
	free(w);
}

const struct watch_ops watch_poll_ops = {"poll",  pw_new,   pw_add_tree,  pw_fd,
                                         pw_read, pw_count, pw_set_files, pw_free};
