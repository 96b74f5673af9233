/*
 * tswalk.c - see analysis/tswalk.h. Compiled into the treesitter library
 * (CMakeLists.txt), with tree-sitter's private headers and flags: it reads
 * subtrees as tree_cursor.c does.
 */
#include "../tswalk.h"

#include <stdlib.h>

#include "language.h"
#include "subtree.h"
#include "tree.h"

/* The children of a subtree being walked: the next one and where it starts. */
struct frame {
	const Subtree *children;
	uint32_t count, index;
	uint32_t structural;     /* the index among non-extra children (aliases count those) */
	const TSSymbol *aliases; /* the parent's production's aliases, or NULL */
	Length pos;              /* where children[index] starts (its padding skipped) */
	uint32_t depth;          /* the visible depth of these children */
};

struct stack {
	struct frame *v;
	size_t n, cap;
};

static void push(struct stack *st, const TSLanguage *lang, Subtree s, Length pos, uint32_t depth)
{
	if (st->n == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 64;
		st->v = realloc(st->v, st->cap * sizeof(*st->v));
		if (!st->v)
			abort();
	}
	st->v[st->n++] = (struct frame){
	    ts_subtree_children(s),
	    ts_subtree_child_count(s),
	    0,
	    0,
	    ts_language_alias_sequence(lang, s.ptr->production_id),
	    pos,
	    depth,
	};
}

void tswalk(TSNode root, tswalk_fn fn, void *data)
{
	const TSTree *tree = root.tree;
	struct stack st = {NULL, 0, 0};
	if (ts_node_is_null(root) || !fn(root, 0, data))
		return;
	Subtree rs = *(const Subtree *)root.id;
	if (!ts_subtree_child_count(rs))
		return;
	Length start = {ts_node_start_byte(root), ts_node_start_point(root)};
	push(&st, tree->language, rs, start, 1);
	while (st.n) {
		struct frame *f = &st.v[st.n - 1];
		if (f->index == f->count) {
			st.n--;
			continue;
		}
		const Subtree *child = &f->children[f->index];
		Length at = f->pos;
		uint32_t depth = f->depth;
		TSSymbol alias = 0;
		bool visible = ts_subtree_visible(*child);
		if (!ts_subtree_extra(*child)) {
			if (f->aliases && f->aliases[f->structural]) {
				alias = f->aliases[f->structural];
				visible = true;
			}
			f->structural++;
		}
		f->pos = length_add(f->pos, ts_subtree_size(*child));
		if (++f->index < f->count)
			f->pos = length_add(f->pos, ts_subtree_padding(f->children[f->index]));
		uint32_t kids = ts_subtree_child_count(*child);
		if (visible) {
			if (fn(ts_node_new(tree, child, at, alias), depth, data) && kids)
				push(&st, tree->language, *child, at, depth + 1);
		} else if (kids && ts_subtree_visible_child_count(*child)) {
			push(&st, tree->language, *child, at,
			     depth); /* hidden: its children are ours */
		}
	}
	free(st.v);
}
