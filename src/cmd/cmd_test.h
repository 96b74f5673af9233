/*
 * cmd_test.h - `golive test`, shared by its two files (private to them):
 * cmd_test.c (the options, one run of go test -json and its summary) and
 * cmd_test_watch.c (--watch: the affected packages' tests on every save).
 */
#ifndef GOLIVE_CMD_TEST_H
#define GOLIVE_CMD_TEST_H

#include <stdint.h>
#include <sys/types.h>

#include "core/config.h"
#include "core/util.h"
#include "gotest/testrun.h"

struct test_opts {
	int json, watch, top;
	int debounce_ms;              /* -1: golive.yaml's */
	int poll_set;                 /* --poll was given: */
	long poll_ms;                 /* its config_parse_poll() value */
	const char *config;           /* --config */
	struct argv_array go;         /* go test flags, in order (values included), -json dropped */
	struct argv_array list_flags; /* the flags go list needs too (-tags, -mod, ...) */
	struct argv_array pkgs;       /* the package patterns */
};

/* One go test -json run in progress (its own process group). */
struct test_job {
	pid_t pid;
	int pidfd, out; /* -1 when closed */
	int64_t t0;     /* monotonic ns */
	struct testrun run;
};

/* cmd_test.c */

/*
 * Starts `go test -json <flags> -- <pkgs>` (pkgs NULL: o->pkgs), stdout to
 * a pipe read by test_job_read, stderr inherited. 0, or -1 after an error.
 */
int test_job_start(struct test_job *j, const char *go, const struct test_opts *o,
                   const struct argv_array *pkgs, int verbose_output);
/* Reads what the pipe holds (non-blocking); closes it at EOF. */
void test_job_read(struct test_job *j);
/* The job ended (pidfd readable, or blocking): reads the rest, reaps; go's wait status. */
int test_job_finish(struct test_job *j);
/* Kills the job's process group and reaps it. */
void test_job_cancel(struct test_job *j);
void test_job_release(struct test_job *j);

/*
 * The summary of a finished job (text on stderr, or one JSON line on
 * stdout with --json); status: go test's wait status; extra: fields added
 * to the JSON line (may be NULL; taken). The package directories come from
 * dirs (import path -> absolute dir; NULL: asked of go list when needed).
 */
struct json_t;
void test_report(const struct test_opts *o, struct test_job *j, int status, const char *go,
                 const char *cwd, struct json_t *extra,
                 const char *(*dir_of)(const char *pkg, void *data), void *data);

/* cmd_test_watch.c: the --watch loop; returns golive's exit status. */
int test_watch(struct test_opts *o, struct golive_config *cfg, const char *go, const char *cwd);

#endif
