/*
 * cache_config.h - the shared compile cache's settings (docs/cache.md):
 * golive.yaml's cache: section and the environment, resolved once by golive
 * build (or golive cache) and handed to the wrappers in the session as
 * cache.json, so a wrapper never parses YAML.
 *
 *   cache:
 *     backend: redis://127.0.0.1:6379/0   # or http://host:8080/golive/, dir:///path
 *     mode: read-write                    # read-only | read-write | off
 *     timeout: 2s                         # per request: 250ms, 2s, 1m
 *     max_object: 64MiB                   # 512KiB, 64MiB, 1GiB, 1000000
 *     ttl: 7d                             # Redis key expiry: 3600s, 12h, 7d; 0 = none
 *     prefix: "golive:"                   # Redis key prefix
 *
 * The environment wins over the file: GOLIVE_CACHE (the backend URL; "off"
 * or "" turns the cache off) and GOLIVE_CACHE_MODE. Secrets never go in
 * golive.yaml or cache.json: GOLIVE_CACHE_PASSWORD, GOLIVE_CACHE_TOKEN,
 * GOLIVE_CACHE_USER and GOLIVE_CACHE_HMAC_KEY are read from the
 * environment by the process that needs them.
 */
#ifndef GOLIVE_CACHE_CONFIG_H
#define GOLIVE_CACHE_CONFIG_H

#include "core/config.h"

#define CACHE_SETTINGS_FILE "cache.json" /* in the session */

enum cache_mode { CACHE_MODE_OFF = 0, CACHE_MODE_READ_ONLY, CACHE_MODE_READ_WRITE };

struct cache_settings {
	char *backend; /* the URL, NULL when the cache is off */
	enum cache_mode mode;
	long timeout_ms;               /* default 2000 */
	unsigned long long max_object; /* default 64 MiB */
	long ttl_s;                    /* default 0: no expiry */
	char *prefix;                  /* default NULL ("golive:") */
	const char *from; /* where backend came from: "GOLIVE_CACHE" or "golive.yaml" */
};

void cache_settings_init(struct cache_settings *s);
void cache_settings_release(struct cache_settings *s);

/*
 * Resolves the settings from cfg (may be NULL: no golive.yaml) and the
 * environment. With no backend anywhere, or mode off, s->mode is
 * CACHE_MODE_OFF and s->backend NULL. Returns 0, or -1 with *cause (one
 * line naming the variable or golive.yaml key and the bad value).
 */
int cache_settings_resolve(const struct golive_config *cfg, struct cache_settings *s, char **cause);

/* "250ms", "2s", "1m", "12h", "7d" (or a bare number of seconds) -> ms. 0, or -1 with *why. */
int cache_parse_duration_ms(const char *s, long long *ms, char **why);
/* "64MiB", "512KiB", "1GiB", "10MB", "1000" -> bytes. 0, or -1 with *why. */
int cache_parse_size(const char *s, unsigned long long *bytes, char **why);
/* "read-write", "read-only", "off". 0, or -1 with *why. */
int cache_parse_mode(const char *s, enum cache_mode *mode, char **why);
const char *cache_mode_name(enum cache_mode m);

/*
 * <session>/cache.json: write (temp file + rename) and read (1 read, 0
 * absent, -1 with *cause). The backend URL's "user:password@" is never
 * written: cache_settings_write puts it in this process's environment as
 * CACHE_USERINFO_ENV (the wrappers it starts inherit it) and marks the file
 * "userinfo": "env"; cache_settings_read puts it back into the URL.
 */
#define CACHE_USERINFO_ENV "GOLIVE_CACHE_USERINFO"
int cache_settings_write(const char *session, const struct cache_settings *s, char **cause);
int cache_settings_read(const char *session, struct cache_settings *s, char **cause);

#endif
