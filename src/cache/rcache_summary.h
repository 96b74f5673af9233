/*
 * rcache_summary.h - what golive build says about the shared compile cache
 * (docs/cache.md): from the session's events (the wrappers' rcache fields),
 * rcache.jsonl (the uploaders) and cache.down (the first failure).
 */
#ifndef GOLIVE_RCACHE_SUMMARY_H
#define GOLIVE_RCACHE_SUMMARY_H

#include "cache/cache_config.h"
#include "wrapper/session.h"

#include <stdint.h>
#include <stdio.h>

struct json_t;

struct rcache_summary {
	char *backend; /* display URL, NULL when the cache was off */
	enum cache_mode mode;
	long hits, misses, uncacheable, skipped, errors;
	long long fetched_bytes;     /* restored by hits */
	int64_t saved_ns;            /* the hits' compile time on the machine that stored them */
	int64_t cache_ns;            /* time the wrappers spent on the cache */
	long stored;                 /* misses handed to an uploader */
	long uploads, upload_errors; /* lines of rcache.jsonl */
	long long uploaded_bytes;
	long dir_bound;         /* misses whose key holds this checkout's path (no -trimpath) */
	int uploads_pending;    /* uploaders still running when golive build stopped waiting */
	char *down;             /* the failure that turned the cache off, or NULL */
	char *upload_error;     /* the first upload error, or NULL */
	char *uncacheable_note; /* the first reason an invocation was uncacheable, or NULL */
};

/* Fills sum; s is the cache golive build configured (settings->backend NULL: off). */
void rcache_summary_compute(struct rcache_summary *sum, const struct cache_settings *s,
                            const char *session, const event_array *evs);
void rcache_summary_release(struct rcache_summary *sum);
/* The text lines ("remote cache ...: N hits, ..."); nothing when the cache was off. */
void rcache_summary_print(const struct rcache_summary *sum, FILE *f);
/* {"backend","mode","hits",...}, or JSON null when the cache was off. */
struct json_t *rcache_summary_to_json(const struct rcache_summary *sum);

#endif
