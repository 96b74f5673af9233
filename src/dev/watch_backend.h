/*
 * watch_backend.h - what a watch.h backend provides (private to src/dev/watch*.c):
 * watch.c dispatches each watch_* call to the backend the watcher was made
 * with. The functions have watch.h's contracts; "new" takes the polling
 * interval (ignored by event-driven backends).
 */
#ifndef GOLIVE_WATCH_BACKEND_H
#define GOLIVE_WATCH_BACKEND_H

#include <stddef.h>

struct watch_event;

struct watch_ops {
	const char *name; /* "inotify", "poll" */
	void *(*new_)(unsigned interval_ms, char **cause);
	int (*add_tree)(void *w, const char *root, int (*skip_dir)(const char *abs, void *data),
	                void *data, char **cause);
	int (*fd)(void *w);
	int (*read)(void *w, void (*fn)(const struct watch_event *ev, void *data), void *data,
	            char **cause);
	size_t (*count)(const void *w);
	void (*set_files)(void *w, const char *const *abs, size_t n);
	void (*free_)(void *w);
};

extern const struct watch_ops watch_inotify_ops; /* watch_inotify.c */
extern const struct watch_ops watch_poll_ops;    /* watch_poll.c */

#endif
