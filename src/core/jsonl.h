/*
 * jsonl.h - JSON lines: the format of every session file the wrappers append
 * to (events.jsonl, diags.jsonl). One compact object per line, written with
 * one write() so that parallel writers never interleave.
 */
#ifndef GOLIVE_JSONL_H
#define GOLIVE_JSONL_H

#include <stddef.h>

struct json_t;

/*
 * Encodes o compactly (keys in insertion order) as one line ending in '\n',
 * and drops the caller's reference to o. Returns a malloc'd buffer and its
 * length in *len, or NULL when o cannot be encoded.
 */
char *jsonl_encode(struct json_t *o, size_t *len);

/*
 * Steps through the complete lines of buf[0..size): sets *line and *n to the
 * line starting at *pos (without its '\n'), advances *pos past it and
 * returns 1; returns 0 at the end, or before a last line with no newline
 * yet (a writer is still at it: read it next time from *pos).
 */
int jsonl_next_line(const char *buf, size_t size, size_t *pos, const char **line, size_t *n);

/*
 * A JSON string of s (a new reference), with bytes that are not valid
 * UTF-8 replaced by U+FFFD, so that paths and messages from the outside
 * always encode; json null for NULL.
 */
struct json_t *json_string_lossy(const char *s);

/*
 * Writes o (compact, in insertion order) to dir/name through a temp file
 * and rename, so readers never see half of it; takes o's reference.
 * 0, or -1 with *cause ("cannot write PATH: reason").
 */
int jsonl_write_file(struct json_t *o, const char *dir, const char *name, char **cause);

#endif
