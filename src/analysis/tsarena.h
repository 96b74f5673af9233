/*
 * tsarena.h - tree-sitter's memory for one parse on an arena: allocating is
 * a pointer bump, and the whole tree goes at once, without the walk of
 * ts_tree_delete(). A big file's chunks are parsed this way
 * (analyze_chunks.c): tree-sitter allocates a few small objects per token,
 * and malloc, free and ts_tree_delete cost a quarter of the parse.
 *
 * tsarena_install() points tree-sitter's allocator (ts_set_allocator) at
 * functions that serve a thread's current arena, if any, and libc
 * otherwise. Arena memory comes from one reserved range of addresses, so
 * free() and realloc() of anything else, allocated before the install or
 * outside an arena, still go to libc. Memory is never given back to an
 * arena piece by piece: an arena suits a parse, not a long-lived parser.
 *
 * Threading: an arena is entered by one thread at a time; arenas on
 * different threads are independent.
 */
#ifndef GOLIVE_TSARENA_H
#define GOLIVE_TSARENA_H

struct tsarena;

/*
 * Installs the allocator, once per process (later calls do nothing). Call
 * it before threads parse: analysis_ctx_new() does.
 */
void tsarena_install(void);

/* A new, empty arena; NULL when arenas are unavailable (then parse as usual). */
struct tsarena *tsarena_new(void);

/*
 * Until tsarena_leave(), the calling thread's tree-sitter allocations come
 * from a (NULL: from libc). Nothing allocated in a may be used after
 * tsarena_free(a), and trees parsed in a are not deleted: a goes instead.
 */
void tsarena_enter(struct tsarena *a);
void tsarena_leave(void);

/*
 * True when everything allocated while in a came from a: its trees then
 * need no ts_tree_delete(). False for NULL, or when a could not grow and
 * libc served some allocations: delete its trees first, as usual.
 */
int tsarena_complete(const struct tsarena *a);

/* Frees everything allocated in a, and a. NULL is a no-op. */
void tsarena_free(struct tsarena *a);

#endif
