/*
 * browser.h - what `golive dev --browser` tells the pages: the reload
 * script served at /__golive/reload.js, and the payloads of the
 * /__golive/events stream (Server-Sent Events) built from golive dev's
 * cycles. The stream itself is served by httpproxy.h.
 *
 * Events (one JSON object per data: line):
 *   hello     {"version":N}: first on every stream; a page whose script
 *             came with another version reloads (it missed a reload)
 *   building  {"files":[...]}: a build started
 *   reload    {"version":N}: a new version serves (sent after readiness)
 *   error     {"title":..,"diagnostics":[{file,abs,line,col,message,href}],
 *             "log":..}: the build failed; the page shows an overlay
 *   findings  the same payload: a build succeeded with analyzer findings
 *             (sent after its reload, or once the fast path's analysis is
 *             done); the page shows them in the overlay
 *   clear     {}: nothing to show any more; the overlay goes
 *   css       {"files":[...]}: only stylesheets changed: swapped in place
 */
#ifndef GOLIVE_BROWSER_H
#define GOLIVE_BROWSER_H

#include <stddef.h>

#include "core/util.h"

/* The default of run.editor_url: {abs}, {line}, {col}, {file} are replaced. */
#define BROWSER_EDITOR_URL "vscode://file/{abs}:{line}:{col}"

/* The reload script (static, NUL-terminated); *len its length. */
const char *browser_script(size_t *len);

/*
 * The editor link for abs:line:col by the template tmpl ({abs} is
 * percent-encoded; its leading '/' is dropped after a '/'). malloc'd.
 */
char *browser_editor_href(const char *tmpl, const char *abs, const char *rel, long line, long col);

/*
 * The "error" payload (compact JSON, malloc'd) for a failed build: title,
 * each "file:line:col: message" (or "file:line: message") line of the
 * build's output log[0, len) as a diagnostic, paths made absolute against
 * base (and shown relative to it when under it), links by tmpl (NULL: BROWSER_EDITOR_URL), and the
 * log (cut at 64 KiB).
 */
char *browser_error_json(const char *title, const char *log, size_t len, const char *base,
                         const char *tmpl);

/* {"files":[...]} for building/css events (files may be NULL); malloc'd. */
char *browser_files_json(const struct argv_array *files);

#endif
