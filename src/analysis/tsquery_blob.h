/*
 * tsquery_blob.h - a compiled tree-sitter query as bytes, and back.
 *
 * tree-sitter has no query serialisation, and ts_query_new() is costly: it
 * analyses every pattern against the grammar's parse table (about 0.5 ms
 * a rule, 14 ms for 32 rules in one query, on this machine). The wrapper
 * analyses each compiled package in a process of its own, so a build with
 * user rules would pay that once per compile. A blob is the query's
 * tables copied out byte for byte; reading it back costs a few memcpys.
 *
 * A blob is only valid for the very tree-sitter build that wrote it (the
 * tables hold grammar symbol ids and the layout of private structs): it
 * starts with a fingerprint of the struct sizes, tree-sitter's ABI
 * version and the grammar's symbol and field counts, and ends with a
 * checksum of everything before it; callers key stored blobs by the
 * golive executable too (anacache_exe_id). A blob that fails any check is
 * refused (NULL), never trusted.
 *
 * Built with tree-sitter's own sources (src/analysis/tsext/tsquery_blob.c
 * includes lib.c, so the private types are the compiler's, not a copy).
 */
#ifndef GOLIVE_TSQUERY_BLOB_H
#define GOLIVE_TSQUERY_BLOB_H

#include <stddef.h>
#include <tree_sitter/api.h>

/* The bytes of q (malloc'd, *len bytes); never NULL. */
void *tsquery_blob_write(const TSQuery *q, size_t *len);

/*
 * A query equal to the one blob was written from, for language lang (the
 * same language it was compiled for), or NULL when blob is not a whole,
 * intact blob of this build. Free it with ts_query_delete().
 */
TSQuery *tsquery_blob_read(const void *blob, size_t len, const TSLanguage *lang);

#endif
