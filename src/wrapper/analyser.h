/*
 * analyser.h - the build's analysis after the compiles: one process per
 * session at idle priority (SCHED_IDLE) that analyses the packages the
 * wrappers compiled, so that the analysis uses the CPU the build leaves
 * idle instead of lengthening each compile (docs/benchmarks.md).
 *
 * golive build uses it when no finding can fail a compile (fail_on never)
 * and no plugin analyses files:
 *
 *   golive build                 wrappers                    golive __analyse SESSION
 *   analysis.json, ANALYSE_QUEUE
 *   analyser_start() ---------------------------------------> settings, rules once
 *   analysis.defer
 *   go build ...       compile: one line to ANALYSE_QUEUE --> analyses it, appends
 *                      (analyser_request), no analysis          diags.jsonl
 *   analyser_finish(): the end line, back to normal priority, wait
 *   diags.jsonl as before
 *
 * The queue is a file of JSON lines, each appended with one write():
 * {"importpath", "pkg", "lang", "files": [...]} per compile, then
 * {"end": true} from golive build. Nothing is lost when the analyser fails
 * or is killed: golive build analyses itself what diags.jsonl lacks
 * (analyser_catch_up, and its graph of the packages go served from cache).
 */
#ifndef GOLIVE_ANALYSER_H
#define GOLIVE_ANALYSER_H

#include "analysis/anacache.h"
#include "analysis/analyze.h"
#include "analysis/diag.h"
#include "wrapper/session.h"

#include <sys/types.h>

#define ANALYSE_QUEUE "analyse.jsonl" /* the analyser's requests */

/*
 * Analyses the package of files (absolute .go paths) as Go version lang
 * (NULL or unreadable: the newest) through cache (its dir may be NULL),
 * creating *ctx on first use: the analysis of one compile, in the wrapper
 * and in the analyser alike. Fills ps (the caller releases it) and key;
 * 0 with the findings in *out, or -1 with *cause (a rule that does not
 * compile).
 */
int analyser_package(const struct anacache *cache, const struct analysis_settings *s,
                     struct analysis_ctx **ctx, char *const *files, size_t n, const char *lang,
                     struct pkgsrc *ps, char key[ANACACHE_KEY_HEX + 1], diag_array *out,
                     char **cause);

/*
 * The wrapper's side: appends the request for a compile's sources (files,
 * already mapped back from $WORK) to the session's queue. lang is the
 * compile's -lang, else $GOVERSION. 0, or -1 (the wrapper then analyses).
 */
int analyser_request(const char *session, const char *importpath, const char *pkg, const char *lang,
                     const struct argv_array *files);

/*
 * golive build's side. analyser_start() creates the empty queue and starts
 * `golive __analyse SESSION` (self: golive's executable): its pid, or -1
 * with *cause. analyser_finish() appends the end line, puts the analyser
 * back at normal priority (possible with CAP_SYS_NICE or an RLIMIT_NICE of
 * 20, as for root; otherwise it waits while it makes progress, and kills
 * it after grace_ms without any) and reaps it. It says how that went in
 * the session's ANALYSER_END file ("done", "failed" or "starved", for
 * whoever reads a kept session). Returns ANALYSER_DONE when the analyser
 * served the whole queue; otherwise analyser_catch_up() has work.
 */
#define ANALYSER_END "analyser.end"
enum analyser_end {
	ANALYSER_DONE,    /* it served the whole queue and exited 0 */
	ANALYSER_FAILED,  /* it exited otherwise, or was killed by someone */
	ANALYSER_STARVED, /* at idle priority, no progress for grace_ms: killed */
};
pid_t analyser_start(const char *self, const struct session *s, char **cause);
enum analyser_end analyser_finish(const struct session *s, pid_t pid, int grace_ms);

/*
 * Analyses, in this process, the queue's requests whose package has no
 * line in diags.jsonl (an analyser that was killed or failed), appending
 * their lines. Returns the number analysed, or -1 with *cause.
 */
long analyser_catch_up(const struct session *s, const struct analysis_settings *settings,
                       const struct anacache *cache, struct analysis_ctx **ctx, char **cause);

/* `golive __analyse SESSION`: the analyser process (not in the help). */
int cmd_analyse(int argc, char **argv);

#endif
