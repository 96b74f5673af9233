/*
 * plugin_check.h - verifying a configured plugin file before golive uses it
 * (the pinning of docs/plugins.md), copying the verified bytes into the
 * session, and the session's audit log.
 *
 * The file is opened once; its owner and mode are checked on that open file
 * (fstat), its bytes are read from it, hashed, and those same bytes are
 * written to <session>/plugins/<name>. golive then loads or executes only
 * that copy (plugin.c: dlopen through /proc/self/fd, fexecve), so there is
 * no window between the check and the use: what was hashed is what runs,
 * and the copy lives in the session directory, private (0700) to the user.
 *
 * Without a configured sha256, a plugin is accepted only when the file
 * golive opened lies under one of profiles.trusted_dirs. "The file golive
 * opened" is the path the kernel reports for the open descriptor
 * (/proc/self/fd/N), so a symlink is followed and its target is what must
 * be under a trusted directory: a link inside a trusted directory pointing
 * outside it is refused, a link elsewhere pointing into one is accepted
 * (the bytes come from the trusted directory). The trusted directories are
 * compared by their realpath, and "under" means at any depth below.
 *
 * Like every library module this one never prints: failures come back as
 * one line in *cause, "plugin NAME: REASON".
 */
#ifndef GOLIVE_PLUGIN_CHECK_H
#define GOLIVE_PLUGIN_CHECK_H

#include <stddef.h>

#include "core/config.h"
#include "plugin/plugin.h"
#include "core/util.h"

struct json_t;

#define PLUGIN_FILE_MAX (256u << 20) /* bytes: a larger plugin file is refused */
#define PLUGIN_COPY_DIR "plugins"    /* <session>/plugins/<name>: the verified copies */

/*
 * Verifies the file of spec and copies it into the session, in this order,
 * refusing at the first failing check:
 *   - the path (spec->path or spec->exec) is absolute;
 *   - it opens (O_RDONLY, following symlinks);
 *   - on that descriptor: a regular file, owned by root or the effective
 *     user, neither group- nor world-writable, at most PLUGIN_FILE_MAX bytes;
 *   - the bytes read from that descriptor hash to spec->sha256 (either case)
 *     or, with no sha256 configured, the opened file is under one of
 *     trusted_dirs (may be NULL: none; see the top of this file);
 *   - the bytes are written to <session>/plugins/<name> (the directory made
 *     0700 when missing; the file created anew, mode 0400 for a .so, 0500
 *     for an exec: program).
 * session is an existing directory (never NULL: the copy and the audit
 * line go there). Fills *out (the caller plugin_release()s it): name,
 * kind, source (the configured path), file (the copy), sha256, args,
 * timeout_ms, required; version "" and flags and hooks 0
 * (plugin_describe() fills them).
 *
 * Either way one line goes to <session>/audit.log (plugin_audit): action
 * "verified" with verified_by "sha256" or "trusted_dir", or "refused" with
 * the reason. Returns 0, or -1 with *cause = "plugin NAME: REASON" (one
 * line; *out is then left empty), for example:
 *   plugin devpprof: /x/devpprof.so: No such file or directory
 *   plugin devpprof: /x/devpprof.so: group-writable (mode 0664)
 *   plugin devpprof: /x/devpprof.so: sha256 mismatch: the file has 9f86...,
 *                    golive.yaml pins 3f1c...                (one line)
 *   plugin devpprof: /x/devpprof.so: no sha256: and not under a trusted directory
 */
int plugin_verify(const struct plugin_spec *spec, const struct argv_array *trusted_dirs,
                  const char *session, struct plugin *out, char **cause);

/*
 * Appends one JSON line to <session>/audit.log with one write() (O_APPEND:
 * lines of concurrent writers never interleave): {"time": RFC 3339 UTC,
 * "plugin": plugin, the members of fields in order (but "reason"),
 * "action": action, "reason" when fields has one}. fields (a jansson
 * object, or NULL) is stolen. Failing to write is silent: nothing here
 * prints, and a build does not stop for its audit log.
 */
void plugin_audit(const char *session, const char *plugin, const char *action,
                  struct json_t *fields);

#endif
