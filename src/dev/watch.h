/*
 * watch.h - watching directory trees for changes, for `golive dev` and
 * `golive test --watch`.
 *
 * One interface, one file per backend (watch_backend.h): watch_inotify.c
 * (Linux's events; a watch_kqueue.c can be added later) and watch_poll.c
 * (stat polling, for file systems whose changes inotify never sees: Docker
 * bind mounts from a Mac or Windows host, 9p/virtiofs in VMs and WSL, NFS,
 * SMB). Callers never #ifdef on the platform; watch_open() picks.
 *
 * A watcher holds any number of trees. Each directory of a tree is watched
 * (not each file); directories created, moved in or deleted after the start
 * are followed automatically. Nothing polls: the caller waits on watch_fd()
 * with poll()/epoll and calls watch_read() when it is readable, so an idle
 * watcher costs no CPU.
 *
 * The polling backend is the exception: its fd is a timer, and each tick
 * stats the files given to watch_set_files() and the directories (see
 * watch_new_poll()).
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

/*
 * A polling watcher (watch_poll.c): every interval_ms it lstat()s the files
 * last given to watch_set_files() (a write shows as WATCH_WRITE, like an
 * inotify close-write) and the directories holding them, and reads a
 * directory again only when its mtime moved (new and vanished names:
 * WATCH_CREATE / WATCH_DELETE, directories followed as with inotify). The
 * other directories of the trees are checked in turn, a slice per tick, so
 * that a sweep of them all takes about 8 s whatever their number: polling
 * costs stats in proportion to the files that matter, not to the tree.
 * Files outside that set are seen when created, deleted or renamed (an
 * atomic save), not when written in place.
 */
struct watcher *watch_new_poll(unsigned interval_ms, char **cause);

/*
 * The files that matter (absolute paths; replaces the previous set). The
 * poller stats them every tick; inotify ignores the call (it sees every file
 * of a watched directory).
 */
void watch_set_files(struct watcher *w, const char *const *abs, size_t n);

/* "inotify" or "poll". */
const char *watch_backend_name(const struct watcher *w);

/*
 * Whether dir's file system delivers no inotify events for changes made
 * from elsewhere (statfs f_type: 9p, virtiofs and other FUSE file systems,
 * NFS, CIFS/SMB, Ceph, vboxsf, WSL1's drvfs...): 1 with its name in *fs,
 * else 0 (also when statfs fails).
 */
int watch_fs_needs_poll(const char *dir, const char **fs);

/*
 * The watcher golive dev and golive test --watch use: poll_ms > 0 forces
 * polling at that interval (watch.poll / --poll); poll_ms == 0 never polls;
 * poll_ms < 0 polls (every WATCH_POLL_DEFAULT_MS) only when root's file system
 * needs it, and then sets *why to a one-line explanation (malloc'd; the
 * caller prints and frees it). NULL with *cause on failure.
 */
#define WATCH_POLL_DEFAULT_MS 250
struct watcher *watch_open(const char *root, long poll_ms, char **why, char **cause);

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
