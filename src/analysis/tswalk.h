/*
 * tswalk.h - a pre-order walk over the visible nodes under a node, in the
 * order and at the depths a TSTreeCursor visits them (first child, next
 * sibling, up), several times faster: it reads tree-sitter's subtrees
 * directly instead of keeping a cursor's bookkeeping (descendant indexes,
 * a stack entry per hidden node) at every step. analysis_collect() walks
 * every node of every file with it.
 *
 * Built with tree-sitter's own sources (src/analysis/tsext/tswalk.c), as it
 * needs their private headers; the interface is tree-sitter's public types.
 */
#ifndef GOLIVE_TSWALK_H
#define GOLIVE_TSWALK_H

#include <stdint.h>
#include <tree_sitter/api.h>

/*
 * Called for every visible node, named or not (extras such as comments
 * included), with its depth below the walk's root (the root is 0).
 * Returns nonzero to walk n's children, 0 to skip them.
 */
typedef int (*tswalk_fn)(TSNode n, uint32_t depth, void *data);

/* Walks root and every visible node under it. Iterative: trees can be deep. */
void tswalk(TSNode root, tswalk_fn fn, void *data);

#endif
