/*
 * watch.h - watching directory trees for changes, for `golive dev`.
 *
 * One interface, one backend file per platform chosen by the build
 * (watch_inotify.c on Linux; a watch_kqueue.c can be added later). Callers
 * never #ifdef on the platform.
 *
 * A watcher holds any number of trees. Each directory of a tree is watched
 * (not each file); directories created, moved in or deleted after the start
 * are followed automatically. Nothing polls: the caller waits on watch_fd()
 * with poll()/epoll and calls watch_read() when it is readable, so an idle
 * watcher costs no CPU.
 *
 * Symbolic links below a root are not followed (a symlinked directory is not
 * watched); a root that is a symlink to a directory is followed.
 * Like every library module this one never prints: failures fill *cause
 * (malloc'd, the caller frees it).
 */
#ifndef GOLIVE_WATCH_H
#define GOLIVE_WATCH_H

#include <stddef.h>

struct watcher;

/*
 * Event kinds, or'ed together in watch_event.kind. Every event means
 * "something changed at this path": callers are expected to stat/hash the
 * path rather than trust the kind for anything but a hint.
 */
enum {
	WATCH_WRITE = 1 << 0,  /* a file was written and closed */
	WATCH_CREATE = 1 << 1, /* the path exists and is new: a directory created, a file found in
	                          a new directory, or (with WATCH_MOVE) renamed to this name */
	WATCH_DELETE = 1 << 2, /* the path is gone: deleted, or (with WATCH_MOVE) renamed away */
	WATCH_MOVE = 1 << 3,   /* the change was a rename; see WATCH_CREATE / WATCH_DELETE */
	WATCH_DIR = 1 << 4,    /* the path is (was) a directory */
	WATCH_RESCAN = 1 << 5, /* events were lost (kernel queue overflow): the caller must rescan
	                          everything; path is "" and no other bit is set */
};

struct watch_event {
	const char *path; /* absolute; valid only during the callback */
	unsigned kind;    /* WATCH_* bits */
};

/*
 * Returns a new watcher with no trees, or NULL with *cause (e.g. the
 * per-user limit of inotify instances is reached). Free with watch_free().
 */
struct watcher *watch_new(char **cause);

/*
 * Watches root and, recursively, every directory below it except those for
 * which skip_dir(abs, data) returns non-zero (skip_dir may be NULL; it is
 * never asked about root itself). skip_dir and data are kept and used again
 * for directories that appear later under root, so data must outlive the
 * watcher. A relative root is taken from the current directory; event
 * paths are built from root lexically (symlinks in root are not resolved).
 *
 * Subdirectories that vanish or cannot be read during the walk are skipped
 * silently. Returns 0, or -1 with *cause: root is not a directory, or the
 * inotify watch limit was reached ("inotify watch limit reached
 * (fs.inotify.max_user_watches=N): raise it with `sysctl ...`"). After a
 * failure the directories already added stay watched.
 */
int watch_add_tree(struct watcher *w, const char *root,
                   int (*skip_dir)(const char *abs, void *data), void *data, char **cause);

/* The descriptor to poll for readability (POLLIN); owned by the watcher. */
int watch_fd(struct watcher *w);

/*
 * Reads the events pending in the kernel, without blocking, and calls
 * fn(ev, data) for each relevant one, in order:
 *
 *  - files: a write+close (WATCH_WRITE), a rename to (WATCH_MOVE |
 *    WATCH_CREATE) or away from (WATCH_MOVE | WATCH_DELETE) a name, a
 *    deletion (WATCH_DELETE). Creating a file is not reported by itself: an
 *    atomic save shows as the rename to the final name, `touch new` as its
 *    WATCH_WRITE. Names for which watch_is_noise() is true are never
 *    reported.
 *  - directories (WATCH_DIR set): created or moved in, it is watched
 *    recursively (skip_dir applies) and then scanned, so that files and
 *    directories made in it before the watch took hold are reported too
 *    (WATCH_CREATE); deleted or moved out, it and everything below it stop
 *    being watched. A deleted root is reported once and is not re-watched
 *    if it comes back.
 *  - a kernel queue overflow: the watched set is brought back in line with
 *    the disk and one WATCH_RESCAN event is delivered.
 *
 * An event may be reported twice (e.g. a file found by the scan of a new
 * directory and then written); callers debounce. fn must not call back into
 * the watcher. Returns 0 when the queue is drained (or after a bounded
 * amount of work, leaving watch_fd() readable), -1 with *cause on a read
 * error or when a new directory could not be watched (the remaining events
 * are still delivered).
 */
int watch_read(struct watcher *w, void (*fn)(const struct watch_event *ev, void *data), void *data,
               char **cause);

/* The number of directories watched. */
size_t watch_count(const struct watcher *w);

/* Stops watching and frees w (NULL is fine). */
void watch_free(struct watcher *w);

/*
 * True for file names (a basename, no '/') that editors write as a side
 * effect of saving and that must never trigger a build: vim's write probe
 * "4913" (and its successors 4913 + k*123), "*~" backups, ".#*" emacs
 * locks, "#*#" emacs autosaves, vim swap files "*.swp"/"*.swx"/"*.swo" (and
 * the other "*.sw[a-p]"), kate's ".*.kate-swp", "*.tmp" temporaries
 * written then renamed, and JetBrains' "*___jb_tmp___"/"*___jb_old___".
 */
int watch_is_noise(const char *basename);

#endif
