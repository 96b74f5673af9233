/*
 * session.h - a session directory: where the wrappers of one build append
 * their events (GOLIVE_SESSION) and golive keeps per-build scratch files.
 */
#ifndef GOLIVE_SESSION_H
#define GOLIVE_SESSION_H

#include "analysis/analyze.h"
#include "analysis/diag.h"
#include "wrapper/event.h"
#include "core/util.h"

#define DIAGS_FILE     "diags.jsonl"    /* one line per package the wrappers analysed */
#define ANALYSIS_FILE  "analysis.json"  /* what to analyse, written by golive build */
#define ANALYSIS_DEFER "analysis.defer" /* "INCLUDE_DEPS\nROOT\n": analyse after the tool */

struct session {
	char *dir; /* absolute path of the session directory */
};

/*
 * Creates a fresh, private (0700) session directory under parent, or under
 * $TMPDIR (else /tmp) when parent is NULL, and checks that it is writable.
 * Returns 0, or -1 with *cause.
 */
int session_create(struct session *s, const char *parent, char **cause);

/*
 * A session golive build owns holds OWNER_FILE: "<pid> <start time>" of
 * that golive (start time: field 22 of /proc/PID/stat, so a reused pid is
 * not mistaken for it). session_disown() removes it (a --keep session is
 * then the user's); session_sweep_stale() removes the session directories
 * under parent (NULL: $TMPDIR, else /tmp) whose owner is gone, e.g. a
 * golive build that was SIGKILLed. Returns how many it removed.
 */
#define OWNER_FILE ".owner"
void session_disown(const struct session *s);
int session_sweep_stale(const char *parent);

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

/* ---- analysis in the build ---------------------------------------------- */

/*
 * What the wrappers analyse, as golive build resolved it from golive.yaml:
 * the wrappers read this instead of parsing YAML. Its JSON form is
 * {"settings": analysis_settings_to_json(), "root": ..., "cache": ...}.
 */
struct session_analysis {
	struct analysis_settings settings;
	char *root;  /* the main module's root directory (absolute) */
	char *cache; /* the analysis cache directory, or NULL for no cache */
};

/* Writes <dir>/analysis.json (temp file + rename). 0, or -1 with *cause. */
int session_write_analysis(const char *dir, const struct analysis_settings *settings,
                           const char *root, const char *cache, char **cause);

/*
 * Writes <dir>/analysis.defer ("INCLUDE_DEPS\nROOT\n"): the wrappers then
 * do not analyse, they send their compile's sources to the session's
 * analyser (analyser.h), which golive build started first. The wrappers
 * read only this small file, not the settings.
 */
int session_write_defer(const char *dir, int include_deps, const char *root, char **cause);

/*
 * Reads <dir>/analysis.json into a (which the caller releases with
 * session_analysis_release either way). Returns 1 when read, 0 when there
 * is no such file (analysis is off), -1 with *cause when it is malformed.
 */
int session_read_analysis(const char *dir, struct session_analysis *a, char **cause);
void session_analysis_release(struct session_analysis *a);

/*
 * Reads <dir>/analysis.defer: 1 with *include_deps and *root (malloc'd),
 * 0 when there is none or it is malformed (analyse as analysis.json says).
 */
int session_read_defer(const char *dir, int *include_deps, char **root);

/* One line of diags.jsonl: the findings of one analysed compile. */
struct pkg_diags {
	char *importpath; /* TOOLEXEC_IMPORTPATH ("p", "p [p.test]"), or NULL */
	char *pkg;        /* compile's -p value, or NULL */
	char *dir;        /* the package directory */
	char *key;        /* the analysis cache key of its file set */
	int printed;      /* 1: the wrapper failed the compile and printed them (fail_on) */
	diag_array diags; /* absolute paths */
};
typedef ARRAY(struct pkg_diags) pkg_diags_array;

/*
 * Encodes p as one compact JSON object plus '\n' ({"importpath", "pkg",
 * "dir", "key", "printed", "diags": [diag objects]}); malloc'd, *len set.
 */
char *pkg_diags_encode(const struct pkg_diags *p, size_t *len);
/* The reverse; 0, or -1 with *cause (p is then empty). */
int pkg_diags_decode(struct pkg_diags *p, const char *line, size_t len, char **cause);
void pkg_diags_release(struct pkg_diags *p);
void pkg_diags_array_release(pkg_diags_array *a);

/*
 * Reads every whole line of the session's diags.jsonl into out; malformed
 * lines are counted in *bad (may be NULL). Returns the number read (0 when
 * there is no file), -1 on an I/O error.
 */
long session_read_diags(const struct session *s, pkg_diags_array *out, long *bad);

#endif
