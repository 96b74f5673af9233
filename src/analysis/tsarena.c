/* tsarena.c - see tsarena.h. */
#define _GNU_SOURCE
#include "analysis/tsarena.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <tree_sitter/api.h>

#include "core/util.h"

#define RANGE_SIZE ((size_t)1 << 36)  /* addresses reserved once, not memory */
#define MIN_BLOCK  ((size_t)64 << 10) /* an arena's first block; each next one doubles, */
#define LEVELS     9                  /* up to 16 MiB */
#define BLOCK_SIZE (MIN_BLOCK << (LEVELS - 1))
#define HDR        16 /* each allocation's size and arena, keeping payloads 16-byte aligned */
#define CLASSES    64 /* freed allocations of up to 64 * 16 bytes are reused, by size */

struct hdr {
	size_t size;
	struct tsarena *owner;
};

struct region {
	char *p;
	size_t size;
};

struct tsarena {
	char *cur, *end;          /* the free part of the current block */
	char *last;               /* the last allocation's payload: realloc grows it in place */
	int fell_back;            /* an allocation came from libc: trees must be deleted */
	void *freed[CLASSES + 1]; /* freed allocations of 16 * class bytes, linked through */
	ARRAY(struct region) blocks;
	ARRAY(struct region) big; /* allocations larger than a quarter of the largest block */
};

static char *range;                 /* NULL: no arenas */
static size_t range_used;           /* under lock */
static ARRAY(char *) spare[LEVELS]; /* freed blocks by size, under lock */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static _Thread_local struct tsarena *current;

static int in_range(const void *p)
{
	return range && (uintptr_t)p - (uintptr_t)range < RANGE_SIZE;
}

/* The level of a block of size bytes, or -1 for another size. */
static int level_of(size_t size)
{
	for (int k = 0; k < LEVELS; k++)
		if (size == MIN_BLOCK << k)
			return k;
	return -1;
}

/* size bytes of the range, made writable; NULL when it is used up or refused. */
static char *take(size_t size)
{
	char *p = NULL;
	int k = level_of(size);
	pthread_mutex_lock(&lock);
	if (k >= 0 && spare[k].n) {
		p = spare[k].v[--spare[k].n];
	} else if (range_used + size <= RANGE_SIZE) {
		p = range + range_used;
		if (mprotect(p, size, PROT_READ | PROT_WRITE) == 0)
			range_used += size;
		else
			p = NULL;
	}
	pthread_mutex_unlock(&lock);
	return p;
}

static void *arena_alloc(struct tsarena *a, size_t n)
{
	size_t need = ((n + 15) & ~(size_t)15) + HDR, cls = (n + 15) / 16;
	char *p;
	if (cls && cls <= CLASSES && a->freed[cls]) {
		void *q = a->freed[cls];
		a->freed[cls] = *(void **)q;
		((struct hdr *)((char *)q - HDR))->size = n;
		return q;
	}
	if (need > BLOCK_SIZE / 4) {
		struct region r = {NULL, (need + 4095) & ~(size_t)4095};
		if (!(r.p = take(r.size)))
			return NULL;
		ARRAY_PUSH(a->big, r);
		p = r.p;
	} else {
		if ((size_t)(a->end - a->cur) < need) {
			/* small parses (a chunk a declaration) stay small */
			size_t lvl = a->blocks.n < LEVELS ? a->blocks.n : LEVELS - 1;
			struct region b = {NULL, MIN_BLOCK << lvl};
			while (b.size < need)
				b.size *= 2;
			if (!(b.p = take(b.size)))
				return NULL;
#ifdef MADV_POPULATE_WRITE
			/* all its pages at once: a fault a page costs a sixth of a parse */
			madvise(b.p, b.size, MADV_POPULATE_WRITE);
#endif
			ARRAY_PUSH(a->blocks, b);
			a->cur = b.p;
			a->end = b.p + b.size;
		}
		p = a->cur;
		a->cur += need;
		a->last = p + HDR;
	}
	((struct hdr *)p)->size = n;
	((struct hdr *)p)->owner = a;
	return p + HDR;
}

static void *arena_malloc(size_t n)
{
	if (current) {
		void *p = arena_alloc(current, n);
		if (p)
			return p;
		current->fell_back = 1;
	}
	return xmalloc(n ? n : 1);
}

static void arena_free(void *p);

static void *arena_calloc(size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		die("tree-sitter: allocation overflow");
	if (current) {
		void *p = arena_alloc(current, count * size);
		if (p)
			return memset(p, 0, count * size); /* spare blocks are not zeroed */
		current->fell_back = 1;
	}
	return xcalloc(count ? count : 1, size ? size : 1);
}

static void *arena_realloc(void *p, size_t n)
{
	if (!p)
		return arena_malloc(n);
	if (!in_range(p))
		return xrealloc(p, n ? n : 1);
	struct hdr *h = (struct hdr *)((char *)p - HDR);
	size_t old = h->size;
	struct tsarena *a = current;
	if (a && p == a->last && (size_t)(a->end - (char *)p) >= ((n + 15) & ~(size_t)15)) {
		h->size = n; /* the last allocation of the current block: grow or shrink in place */
		a->cur = (char *)p + ((n + 15) & ~(size_t)15);
		return p;
	}
	void *q = arena_malloc(n);
	memcpy(q, p, old < n ? old : n);
	arena_free(p);
	return q;
}

/* libc's, or kept for reuse by its own arena (on the thread in it); else left to the arena. */
static void arena_free(void *p)
{
	if (!in_range(p)) {
		free(p);
		return;
	}
	struct hdr *h = (struct hdr *)((char *)p - HDR);
	size_t cls = (h->size + 15) / 16;
	if (h->owner != current || !current || !cls || cls > CLASSES || p == current->last)
		return;
	*(void **)p = current->freed[cls];
	current->freed[cls] = p;
}

static void install(void)
{
	void *p =
	    mmap(NULL, RANGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return; /* no arenas: tree-sitter keeps libc's allocator */
	range = p;
	ts_set_allocator(arena_malloc, arena_calloc, arena_realloc, arena_free);
}

void tsarena_install(void)
{
	pthread_once(&once, install);
}

struct tsarena *tsarena_new(void)
{
	return range ? xcalloc(1, sizeof(struct tsarena)) : NULL;
}

void tsarena_enter(struct tsarena *a)
{
	current = a;
}

void tsarena_leave(void)
{
	current = NULL;
}

int tsarena_complete(const struct tsarena *a)
{
	return a && !a->fell_back;
}

void tsarena_free(struct tsarena *a)
{
	if (!a)
		return;
	if (current == a)
		current = NULL;
	/* the memory goes back to the system; the addresses stay reserved */
	for (size_t i = 0; i < a->blocks.n; i++)
		madvise(a->blocks.v[i].p, a->blocks.v[i].size, MADV_DONTNEED);
	for (size_t i = 0; i < a->big.n; i++)
		madvise(a->big.v[i].p, a->big.v[i].size, MADV_DONTNEED);
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < a->blocks.n; i++) {
		int k = level_of(a->blocks.v[i].size);
		if (k >= 0) /* always: blocks have a level's size */
			ARRAY_PUSH(spare[k], a->blocks.v[i].p);
	}
	pthread_mutex_unlock(&lock);
	ARRAY_FREE(a->blocks);
	ARRAY_FREE(a->big);
	free(a);
}
