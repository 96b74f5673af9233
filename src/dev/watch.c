/* watch.c - watch.h's dispatch to a backend (watch_backend.h), and choosing one. */
#define _GNU_SOURCE
#include "dev/watch.h"
#include "dev/watch_backend.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>
#include <sys/vfs.h>

#include "core/util.h"

struct watcher {
	const struct watch_ops *ops;
	void *impl;
};

static struct watcher *wrap(const struct watch_ops *ops, unsigned interval_ms, char **cause)
{
	void *impl = ops->new_(interval_ms, cause);
	if (!impl)
		return NULL;
	struct watcher *w = xmalloc(sizeof(*w));
	w->ops = ops;
	w->impl = impl;
	return w;
}

struct watcher *watch_new(char **cause)
{
	return wrap(&watch_inotify_ops, 0, cause);
}

struct watcher *watch_new_poll(unsigned interval_ms, char **cause)
{
	return wrap(&watch_poll_ops, interval_ms, cause);
}

int watch_add_tree(struct watcher *w, const char *root,
                   int (*skip_dir)(const char *abs, void *data), void *data, char **cause)
{
	char *abs;
	struct stat st;
	if (root[0] == '/') {
		abs = path_join_clean("/", root);
	} else {
		char *cwd = getcwd(NULL, 0);
		if (!cwd) {
			*cause = xasprintf("getcwd: %s", strerror(errno));
			return -1;
		}
		abs = path_join_clean(cwd, root);
		free(cwd);
	}
	int err = stat(abs, &st) < 0 ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR : 0;
	int rc = -1;
	if (err)
		*cause = xasprintf("cannot watch %s: %s", abs, strerror(err));
	else
		rc = w->ops->add_tree(w->impl, abs, skip_dir, data, cause);
	free(abs);
	return rc;
}

int watch_fd(struct watcher *w)
{
	return w->ops->fd(w->impl);
}

int watch_read(struct watcher *w, void (*fn)(const struct watch_event *ev, void *data), void *data,
               char **cause)
{
	return w->ops->read(w->impl, fn, data, cause);
}

size_t watch_count(const struct watcher *w)
{
	return w->ops->count(w->impl);
}

void watch_set_files(struct watcher *w, const char *const *abs, size_t n)
{
	w->ops->set_files(w->impl, abs, n);
}

const char *watch_backend_name(const struct watcher *w)
{
	return w->ops->name;
}

void watch_free(struct watcher *w)
{
	if (!w)
		return;
	w->ops->free_(w->impl);
	free(w);
}

/* statfs f_type values (linux/magic.h and the file systems' sources) */
static const struct {
	unsigned long magic;
	const char *name;
} remote_fs[] = {
    {0x01021997UL, "9p"},
    {0x65735546UL, "fuse (virtiofs, Docker Desktop's file sharing, sshfs...)"},
    {0x6969UL, "nfs"},
    {0x517BUL, "smb"},
    {0xFF534D42UL, "cifs"},
    {0xFE534D42UL, "smb2"},
    {0x00C36400UL, "ceph"},
    {0x786F4256UL, "vboxsf"},
    {0x53464846UL, "wslfs"},
    {0x5346414FUL, "afs"},
    {0x0BD00BD0UL, "lustre"},
    {0x47504653UL, "gpfs"},
};

int watch_fs_needs_poll(const char *dir, const char **fs)
{
	struct statfs sf;
	if (statfs(dir, &sf) < 0)
		return 0;
	unsigned long t = (unsigned long)(unsigned int)sf.f_type;
	for (size_t i = 0; i < ARRAY_SIZE(remote_fs); i++)
		if (remote_fs[i].magic == t) {
			*fs = remote_fs[i].name;
			return 1;
		}
	return 0;
}

struct watcher *watch_open(const char *root, long poll_ms, char **why, char **cause)
{
	const char *fs = NULL;
	*why = NULL;
	if (poll_ms > 0)
		return watch_new_poll((unsigned)poll_ms, cause);
	if (poll_ms < 0 && watch_fs_needs_poll(root, &fs)) {
		*why = xasprintf("%s is on %s, where inotify sees no changes made from outside: "
		                 "polling every %d ms (watch.poll in golive.yaml, or --poll, sets "
		                 "the interval; \"off\" never polls)",
		                 root, fs, WATCH_POLL_DEFAULT_MS);
		return watch_new_poll(WATCH_POLL_DEFAULT_MS, cause);
	}
	return watch_new(cause);
}
