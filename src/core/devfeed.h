/*
 * devfeed.h - golive dev's cycles for other programs (golive lsp): one
 * JSON line per cycle appended to a file per module, which readers follow
 * (docs/dev.md, "The cycle feed"). The file is
 *
 *   $XDG_RUNTIME_DIR/golive/dev-<16 hex digits>.jsonl
 *   (no XDG_RUNTIME_DIR: the user cache dir's golive/dev/dev-<hex>.jsonl)
 *
 * the digits an XXH64 of the module root's absolute path, so that a reader
 * finds it from the root alone. golive dev truncates it when it starts;
 * a reader that sees the file shrink or change inode starts over. A line:
 *
 *   {"v":1,"root":R,"cycle":N,"build":"ok"|"failed","pid":P|null,
 *    "ms":X|null,"errors":[{"file":ABS,"line":L,"col":C,"message":M}]}
 *
 * ms: from the change to serving (or to the failed build's end); errors:
 * the compiler's, with absolute paths (empty after a good build).
 */
#ifndef GOLIVE_DEVFEED_H
#define GOLIVE_DEVFEED_H

#include <stddef.h>

struct json_t;

/* The feed's path for module root (malloc'd), or NULL when there is no place for it. */
char *devfeed_path(const char *root);

/*
 * The compiler errors in go build's output text[0, len): lines
 * "FILE:LINE[:COL]: message" naming a .go file, FILE made absolute against
 * dir. A JSON array of {file, line, col, message} (col 0 when absent).
 */
struct json_t *devfeed_parse_errors(const char *text, size_t len, const char *dir);

#endif
