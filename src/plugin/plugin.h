/*
 * plugin.h - golive's plugins at run time (the public ABI is
 * include/golive/plugin.h; docs/plugins.md is the user's view).
 *
 * The flow:
 *   golive build (dev or ci profile) reads golive.yaml's plugins:, verifies
 *   each file (plugin_verify, plugin_check.c: absolute path, owner, mode,
 *   sha256 or a trusted directory) and copies the bytes it hashed into the
 *   session (<session>/plugins/<name>), asks each plugin what it is
 *   (plugin_describe: name, version, flags, hooks; in a forked child), drops
 *   those the profile does not allow (ci: no GOLIVE_PLUGIN_REWRITES_ARGS),
 *   and writes the list to <session>/plugins.json. Every step that loads or
 *   refuses a plugin is one line of <session>/audit.log.
 *   The wrapper (toolexec.c) reads plugins.json when it exists and runs the
 *   hooks, each in a forked child (.so) or a child process (exec:), with the
 *   plugin's timeout, killing the child's process group when it expires.
 *   A failing plugin is one line in <session>/plugins.log and, unless
 *   required, the tool runs as if the plugin were not there. On -V=full the
 *   wrapper appends the salt of the rewriting plugins (plugin_salt_line).
 *
 * Like every library module this one never prints.
 */
#ifndef GOLIVE_PLUGIN_RT_H
#define GOLIVE_PLUGIN_RT_H

#include <stdint.h>

#include "analysis/diag.h"
#include "golive/plugin.h"
#include "core/util.h"

#define PLUGINS_FILE "plugins.json" /* in the session */
#define PLUGIN_LOG   "plugins.log"  /* failures, one line each, in the session */
#define PLUGIN_AUDIT "audit.log"    /* loads and refusals, one JSON line each */

enum plugin_kind { PLUGIN_SO, PLUGIN_EXEC };

/* Which hooks a plugin has. */
#define PLUGIN_HOOK_BEFORE 0x1u
#define PLUGIN_HOOK_AFTER  0x2u
#define PLUGIN_HOOK_FILE   0x4u

/* A verified plugin, as the session knows it. */
struct plugin {
	char *name;    /* from golive.yaml (a .so must report the same) */
	char *version; /* from the plugin (describe), "" until then */
	enum plugin_kind kind;
	char *source;           /* the configured path (for messages) */
	char *file;             /* the verified copy: <session>/plugins/<name> */
	char *sha256;           /* lowercase hex of the bytes verified */
	struct argv_array args; /* "key=value", in golive.yaml's order */
	int timeout_ms;
	int required;   /* a failure fails the tool / the build */
	uint32_t flags; /* GOLIVE_PLUGIN_* */
	uint32_t hooks; /* PLUGIN_HOOK_* */
};
typedef ARRAY(struct plugin) plugin_array;

void plugin_release(struct plugin *p);
void plugin_array_release(plugin_array *a);

/* ---- the session's list -------------------------------------------------- */

/* Writes <session>/plugins.json (atomically). 0, or -1 with *cause. */
int plugins_write_session(const char *session, const plugin_array *a, char **cause);
/*
 * Reads <session>/plugins.json into a: 1 when it was there, 0 when not
 * (no plugins: the common case costs one failed open), -1 with *cause when
 * it is malformed.
 */
int plugins_read_session(const char *session, plugin_array *a, char **cause);

/* ---- the cache salt ------------------------------------------------------- */

/*
 * The salt of the rewriting plugins of a: 16 lowercase hex digits of a
 * hash over golive's version and each such plugin's name, version and
 * args (in order), or "" when none rewrites. Deterministic.
 */
void plugins_salt(const plugin_array *a, char out[17]);

/*
 * The -V=full answer line with the salt in it: for a release toolchain
 * ("compile version go1.19.8") " golive-plugins=<salt>" is appended; for a
 * devel one the last field stays buildID=... and ".golive-<salt>" is
 * appended to it (go takes the part after its last '/' as the tool's
 * content ID). line has no trailing newline; out gets the new line
 * without one. Returns 0, or -1 when line is not a -V=full answer
 * (out then holds line unchanged).
 */
int plugin_salt_line(const char *line, const char *salt, struct strbuf *out);

/* ---- running hooks (each in a child process) ---------------------------- */

/*
 * What a plugin is: for a .so, loads it in a forked child and reads its
 * golive_plugin_v1 (ABI version and struct size checked first; its name
 * must match p->name); for exec:, runs it with {"hook":"describe"} on
 * stdin. Fills p->version, p->flags, p->hooks. 0, or -1 with *cause (one
 * line naming the plugin: "plugin devpprof: ABI version 2, golive has 1").
 */
int plugin_describe(struct plugin *p, const char *session, char **cause);

/*
 * before_tool: runs the hook for call; a plugin that called set_args puts
 * the new argument list (argv[0] included) in *args and returns 1; 0 when
 * it left them alone; -1 with *cause when it failed (crashed, timed out,
 * answered garbage, returned non-zero).
 */
int plugin_before_tool(const struct plugin *p, const char *session,
                       const struct golive_tool_call *call, struct argv_array *args, char **cause);

/* after_tool: 0, or -1 with *cause. */
int plugin_after_tool(const struct plugin *p, const char *session,
                      const struct golive_tool_call *call, const struct golive_tool_result *result,
                      char **cause);

/*
 * analyze_file for each of files (absolute paths): findings appended to
 * out with the plugin's name as analyzer. 0, or -1 with *cause (the
 * findings of the files done before the failure are kept).
 */
int plugin_analyze_files(const struct plugin *p, const char *session,
                         const struct argv_array *files, diag_array *out, char **cause);

/*
 * What a hook does with a child's answer buf[0..len) (for tests and the
 * fuzzer; the hooks above use the same code): parsed as hook's answer
 * ("describe" fills p's version, flags and hooks; "before_tool" checks
 * "args" against argv0 and fills args, returning 1; "analyze_file" appends
 * to diags), no log lines written. 0/1, or -1 with *cause.
 */
int plugin_check_answer(struct plugin *p, const char *hook, const char *buf, size_t len,
                        const char *argv0, struct argv_array *args, diag_array *diags,
                        char **cause);

/* Appends one line to <session>/plugins.log (the wrapper's failure record). */
void plugin_log_failure(const char *session, const struct plugin *p, const char *what);

#endif
