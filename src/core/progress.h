/*
 * progress.h - the one-line progress display of `golive build` on a TTY:
 * "[37/190] compiling net/http". Output written through progress_write()
 * scrolls above the line; progress_finish() erases it.
 * Disabled (every call a no-op) unless progress_init() got enabled=1.
 */
#ifndef GOLIVE_PROGRESS_H
#define GOLIVE_PROGRESS_H

#include <stddef.h>

struct progress {
	int enabled;
	int fd;     /* where the line is drawn (stderr) */
	int shown;  /* the line is on screen now */
	int at_bol; /* the last output written ended with a newline */
	long done;  /* packages compiled so far */
	long total; /* packages in the graph, or -1 while unknown */
	char current[256];
};

void progress_init(struct progress *p, int enabled, int fd);
/* Sets the figures and redraws the line. */
void progress_update(struct progress *p, long done, long total, const char *current);
/* Writes data to fd (go's output) above the progress line. */
void progress_write(struct progress *p, int fd, const char *data, size_t len);
/* Erases the line for good. */
void progress_finish(struct progress *p);

#endif
