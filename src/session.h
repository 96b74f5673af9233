/*
 * session.h - a session directory: where the wrappers of one build append
 * their events (GOLIVE_SESSION) and golive keeps per-build scratch files.
 */
#ifndef GOLIVE_SESSION_H
#define GOLIVE_SESSION_H

#include "event.h"
#include "util.h"

struct session {
	char *dir; /* absolute path of the session directory */
};

/*
 * Creates a fresh, private (0700) session directory under parent, or under
 * $TMPDIR (else /tmp) when parent is NULL, and checks that it is writable.
 * Returns 0, or -1 with *cause.
 */
int session_create(struct session *s, const char *parent, char **cause);

/* Removes the session directory and everything in it; s->dir is freed. */
void session_remove(struct session *s);

/* Frees s->dir and keeps the directory. */
void session_release(struct session *s);

/* A malloc'd path of a file in the session: "<dir>/<name>". */
char *session_path(const struct session *s, const char *name);

typedef ARRAY(struct event) event_array;

/*
 * Reads the events appended to the session so far, starting at byte
 * *offset of events.jsonl (updated to the end of the last whole line read),
 * appending them to evs. A malformed line is skipped and counted in
 * *bad (may be NULL). Returns the number of events added, -1 on I/O error.
 */
long session_read_events(const struct session *s, long long *offset, event_array *evs, long *bad);

void event_array_release(event_array *evs);

#endif
