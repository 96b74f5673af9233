/* rcache_summary.c - see rcache_summary.h. */
#define _GNU_SOURCE
#include "cache/rcache_summary.h"
#include "cache/cache_backend.h"
#include "core/jsonl.h"
#include "cache/rcache.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static char *read_small(const char *session, const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	char *p = xasprintf("%s/%s", session, name);
	int rc = strbuf_read_file(&sb, p, 4096);
	free(p);
	if (rc < 0 || !sb.len) {
		strbuf_release(&sb);
		return NULL;
	}
	sb.len = strcspn(sb.buf, "\n");
	sb.buf[sb.len] = '\0';
	return strbuf_detach(&sb, NULL);
}

void rcache_summary_compute(struct rcache_summary *sum, const struct cache_settings *s,
                            const char *session, const event_array *evs)
{
	memset(sum, 0, sizeof(*sum));
	if (!s || !s->backend || s->mode == CACHE_MODE_OFF)
		return;
	sum->backend = cache_url_display(s->backend);
	sum->mode = s->mode;
	for (size_t i = 0; evs && i < evs->n; i++) {
		const struct event *ev = &evs->v[i];
		if (!ev->rcache)
			continue;
		sum->cache_ns += ev->rcache_ns;
		if (strcmp(ev->rcache, "hit") == 0) {
			sum->hits++;
			sum->fetched_bytes += ev->rcache_bytes;
			sum->saved_ns += ev->rcache_saved_ns;
		} else if (strcmp(ev->rcache, "miss") == 0) {
			sum->misses++;
			sum->stored += ev->rcache_store;
			sum->dir_bound += ev->rcache_dir_bound;
		} else if (strcmp(ev->rcache, "uncacheable") == 0) {
			sum->uncacheable++;
			if (!sum->uncacheable_note && ev->rcache_note)
				sum->uncacheable_note = xstrdup(ev->rcache_note);
		} else if (strcmp(ev->rcache, "skipped") == 0) {
			sum->skipped++;
		} else {
			sum->errors++;
			sum->stored += ev->rcache_store;
		}
	}
	if (!session)
		return;
	sum->down = read_small(session, RCACHE_DOWN_FILE);
	struct strbuf sb = STRBUF_INIT;
	char *p = xasprintf("%s/%s", session, RCACHE_UPLOADS_FILE);
	if (strbuf_read_file(&sb, p, 64u << 20) >= 0) {
		size_t pos = 0, len;
		const char *line;
		while (jsonl_next_line(sb.buf, sb.len, &pos, &line, &len)) {
			json_error_t jerr;
			json_t *o = json_loadb(line, len, 0, &jerr);
			if (!json_is_object(o)) {
				json_decref(o);
				continue;
			}
			const char *err = json_string_value(json_object_get(o, "error"));
			sum->uploads++;
			if (err) {
				sum->upload_errors++;
				if (!sum->upload_error)
					sum->upload_error = xstrdup(err);
			} else {
				sum->uploaded_bytes +=
				    json_integer_value(json_object_get(o, "bytes"));
			}
			json_decref(o);
		}
	}
	free(p);
	strbuf_release(&sb);
}

void rcache_summary_release(struct rcache_summary *sum)
{
	free(sum->backend);
	free(sum->down);
	free(sum->upload_error);
	free(sum->uncacheable_note);
	memset(sum, 0, sizeof(*sum));
}

static void human_bytes(long long n, char *buf, size_t size)
{
	if (n >= 1000000)
		snprintf(buf, size, "%.1f MB", (double)n / 1e6);
	else if (n >= 1000)
		snprintf(buf, size, "%.1f kB", (double)n / 1e3);
	else
		snprintf(buf, size, "%lld B", n);
}

void rcache_summary_print(const struct rcache_summary *sum, FILE *f)
{
	char b1[32], b2[32];
	if (!sum->backend)
		return;
	human_bytes(sum->fetched_bytes, b1, sizeof(b1));
	fprintf(f, "remote cache %s (%s): %ld hit%s, %ld miss%s", sum->backend,
	        cache_mode_name(sum->mode), sum->hits, sum->hits == 1 ? "" : "s", sum->misses,
	        sum->misses == 1 ? "" : "es");
	if (sum->uncacheable)
		fprintf(f, ", %ld uncacheable", sum->uncacheable);
	if (sum->skipped)
		fprintf(f, ", %ld skipped", sum->skipped);
	if (sum->errors)
		fprintf(f, ", %ld error%s", sum->errors, sum->errors == 1 ? "" : "s");
	if (sum->hits)
		fprintf(f, "; fetched %s, saved ~%.1fs of compiling", b1,
		        (double)sum->saved_ns / 1e9);
	fprintf(f, "; %.2fs in the cache", (double)sum->cache_ns / 1e9);
	if (sum->stored) {
		human_bytes(sum->uploaded_bytes, b2, sizeof(b2));
		fprintf(f, "; stored %ld (%s uploaded)", sum->uploads - sum->upload_errors, b2);
	}
	fputc('\n', f);
	if (sum->dir_bound)
		fprintf(f,
		        "remote cache: %ld miss%s built without -trimpath: those objects hold this "
		        "checkout's path and hit only in builds from the same directory (go build "
		        "-trimpath shares them across checkouts)\n",
		        sum->dir_bound, sum->dir_bound == 1 ? " was" : "es were");
	if (sum->uncacheable_note)
		fprintf(f, "remote cache: uncacheable, e.g. %s\n", sum->uncacheable_note);
	if (sum->down)
		fprintf(f, "remote cache: off for the rest of the build after: %s\n", sum->down);
	if (sum->upload_errors)
		fprintf(f, "remote cache: %ld upload%s failed: %s\n", sum->upload_errors,
		        sum->upload_errors == 1 ? "" : "s", sum->upload_error);
	if (sum->uploads_pending)
		fprintf(f,
		        "remote cache: uploads still running when golive build stopped waiting\n");
}

json_t *rcache_summary_to_json(const struct rcache_summary *sum)
{
	if (!sum->backend)
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "backend", json_string_lossy(sum->backend));
	json_object_set_new(o, "mode", json_string(cache_mode_name(sum->mode)));
	json_object_set_new(o, "hits", json_integer(sum->hits));
	json_object_set_new(o, "misses", json_integer(sum->misses));
	json_object_set_new(o, "uncacheable", json_integer(sum->uncacheable));
	json_object_set_new(o, "skipped", json_integer(sum->skipped));
	json_object_set_new(o, "errors", json_integer(sum->errors));
	json_object_set_new(o, "fetched_bytes", json_integer(sum->fetched_bytes));
	json_object_set_new(o, "saved_ms", json_integer(sum->saved_ns / 1000000));
	json_object_set_new(o, "cache_ms", json_integer(sum->cache_ns / 1000000));
	json_object_set_new(o, "stored", json_integer(sum->stored));
	json_object_set_new(o, "uploads", json_integer(sum->uploads));
	json_object_set_new(o, "upload_errors", json_integer(sum->upload_errors));
	json_object_set_new(o, "uploaded_bytes", json_integer(sum->uploaded_bytes));
	json_object_set_new(o, "dir_bound", json_integer(sum->dir_bound));
	json_object_set_new(o, "uploads_pending", json_boolean(sum->uploads_pending));
	json_object_set_new(o, "down", sum->down ? json_string_lossy(sum->down) : json_null());
	json_object_set_new(o, "upload_error",
	                    sum->upload_error ? json_string_lossy(sum->upload_error) : json_null());
	return o;
}
