/* changeq.c - see changeq.h. */
#define _GNU_SOURCE
#include "dev/changeq.h"
#include "core/pathmatch.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void changeq_init(struct changeq *q, int debounce_ms)
{
	memset(q, 0, sizeof(*q));
	q->debounce_ms = debounce_ms;
}

void changeq_release(struct changeq *q)
{
	argv_clear(&q->pending);
	pathmap_clear(&q->pending_set);
}

void changeq_add(struct changeq *q, const char *rel)
{
	int64_t now = now_mono_ns();
	if (!q->pending.argc && !q->rescan) {
		q->first_event = now;
		if (now - q->last_event >= (int64_t)q->debounce_ms * 1000000)
			q->eager = 1;
	}
	q->last_event = now;
	if (!pathmap_get(&q->pending_set, rel, NULL)) {
		pathmap_set(&q->pending_set, rel, 1);
		argv_push(&q->pending, rel);
	}
}

void changeq_rescan(struct changeq *q)
{
	if (!q->pending.argc && !q->rescan)
		q->first_event = now_mono_ns();
	q->rescan = 1;
	q->last_event = now_mono_ns();
}

int changeq_waiting(const struct changeq *q)
{
	return q->pending.argc || q->rescan;
}

int64_t changeq_deadline(const struct changeq *q)
{
	return changeq_waiting(q) ? q->last_event + (int64_t)q->debounce_ms * 1000000 : 0;
}

int changeq_gone(const struct changeq *q, const char *root)
{
	for (size_t i = 0; i < q->pending.argc; i++) {
		char *abs = xasprintf("%s/%s", root, q->pending.argv[i]);
		int gone = access(abs, F_OK) < 0;
		free(abs);
		if (gone)
			return 1;
	}
	return 0;
}

void changeq_take(struct changeq *q, const char *root, struct pathmap *built,
                  int (*is_dir)(const char *rel, void *data), void *data, struct argv_array *files)
{
	if (q->rescan) {
		for (size_t i = 0; i < built->cap; i++)
			if (built->keys[i] && !pathmap_get(&q->pending_set, built->keys[i], NULL)) {
				pathmap_set(&q->pending_set, built->keys[i], 1);
				argv_push(&q->pending, built->keys[i]);
			}
		q->rescan = 0;
	}
	for (size_t i = 0; i < q->pending.argc; i++) {
		const char *rel = q->pending.argv[i];
		char *abs = xasprintf("%s/%s", root, rel);
		struct stat st;
		int dir = stat(abs, &st) == 0 && S_ISDIR(st.st_mode);
		if (dir || (is_dir && is_dir(rel, data))) {
			if (!dir) /* a package directory went away */
				argv_push(files, rel);
			free(abs);
			continue;
		}
		uint64_t h = devgraph_hash_file(abs), old = DEVGRAPH_MISSING;
		int known = pathmap_get(built, rel, &old);
		if (known ? h != old : h != DEVGRAPH_MISSING) {
			argv_push(files, rel);
			pathmap_set(built, rel, h);
		}
		free(abs);
	}
	argv_clear(&q->pending);
	pathmap_clear(&q->pending_set);
}

int changeq_skip_dir(const char *rel, const struct argv_array *exclude, struct gitignore *gi)
{
	const char *base = base_name(rel);
	if (base[0] == '.' || base[0] == '_' || strcmp(base, "testdata") == 0 ||
	    strcmp(base, "node_modules") == 0)
		return 1;
	int skip = glob_match_any(exclude, rel, 1) || (gi && gitignore_ignored(gi, rel, 1));
	if (!skip && gi)
		gitignore_add_dir(gi, rel);
	return skip;
}
