/* cache_config.c - see cache_config.h. */
#define _GNU_SOURCE
#include "cache/cache_config.h"
#include "cache/cache_backend.h"
#include "core/jsonl.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#define DEFAULT_TIMEOUT_MS 2000
#define DEFAULT_MAX_OBJECT (64ull << 20)

void cache_settings_init(struct cache_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->timeout_ms = DEFAULT_TIMEOUT_MS;
	s->max_object = DEFAULT_MAX_OBJECT;
}

void cache_settings_release(struct cache_settings *s)
{
	free(s->backend);
	free(s->prefix);
	cache_settings_init(s);
}

/* A number with an optional unit from units[] (name, factor); 0, or -1. */
struct unit {
	const char *name;
	unsigned long long factor;
};

static int parse_with_units(const char *s, const struct unit *units, size_t nunits,
                            unsigned long long *out)
{
	const char *p = s;
	unsigned long long v = 0;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		if (v > (ULLONG_MAX - 9) / 10)
			return -1;
		v = v * 10 + (unsigned long long)(*p++ - '0');
	}
	for (size_t i = 0; i < nunits; i++) {
		if (strcmp(p, units[i].name) == 0) {
			if (units[i].factor && v > ULLONG_MAX / units[i].factor)
				return -1;
			*out = v * units[i].factor;
			return 0;
		}
	}
	return -1;
}

int cache_parse_duration_ms(const char *s, long long *ms, char **why)
{
	static const struct unit units[] = {
	    {"", 1000},
	    {"ms", 1},
	    {"s", 1000},
	    {"m", 60 * 1000ull},
	    {"h", 3600 * 1000ull},
	    {"d", 86400 * 1000ull},
	};
	unsigned long long v;
	if (parse_with_units(s, units, sizeof(units) / sizeof(units[0]), &v) < 0 ||
	    v > (unsigned long long)LLONG_MAX / 2) {
		*why = xasprintf("want a duration like 250ms, 2s, 1m, 12h or 7d, got \"%s\"", s);
		return -1;
	}
	*ms = (long long)v;
	return 0;
}

int cache_parse_size(const char *s, unsigned long long *bytes, char **why)
{
	static const struct unit units[] = {
	    {"", 1},
	    {"B", 1},
	    {"KiB", 1ull << 10},
	    {"MiB", 1ull << 20},
	    {"GiB", 1ull << 30},
	    {"KB", 1000},
	    {"MB", 1000000},
	    {"GB", 1000000000},
	};
	unsigned long long v;
	if (parse_with_units(s, units, sizeof(units) / sizeof(units[0]), &v) < 0 || v == 0) {
		*why = xasprintf("want a size like 512KiB, 64MiB, 1GiB or 10MB, got \"%s\"", s);
		return -1;
	}
	*bytes = v;
	return 0;
}

static const char *const mode_names[] = {"off", "read-only", "read-write"};

int cache_parse_mode(const char *s, enum cache_mode *mode, char **why)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(s, mode_names[i]) == 0) {
			*mode = (enum cache_mode)i;
			return 0;
		}
	*why = xasprintf("want read-write, read-only or off, got \"%s\"", s);
	return -1;
}

const char *cache_mode_name(enum cache_mode m)
{
	return (unsigned)m < 3 ? mode_names[m] : "?";
}

/* A golive.yaml value that did not parse: "golive.yaml: cache.KEY: why" (takes why). */
static int file_error(const struct golive_config *cfg, const char *key, char *why, char **cause)
{
	*cause = xasprintf("%s: cache.%s: %s", cfg->path ? cfg->path : "golive.yaml", key, why);
	free(why);
	return -1;
}

int cache_settings_resolve(const struct golive_config *cfg, struct cache_settings *s, char **cause)
{
	char *why = NULL;
	long long ms;
	cache_settings_init(s);
	s->mode = CACHE_MODE_READ_WRITE;
	if (cfg) {
		/* config_parse checked them already: these fail only for a hand-made cfg */
		if (cfg->cache.mode && cache_parse_mode(cfg->cache.mode, &s->mode, &why) < 0)
			return file_error(cfg, "mode", why, cause);
		if (cfg->cache.timeout) {
			if (cache_parse_duration_ms(cfg->cache.timeout, &ms, &why) < 0)
				return file_error(cfg, "timeout", why, cause);
			s->timeout_ms = ms > LONG_MAX ? LONG_MAX : (long)ms;
		}
		if (cfg->cache.max_object &&
		    cache_parse_size(cfg->cache.max_object, &s->max_object, &why) < 0)
			return file_error(cfg, "max_object", why, cause);
		if (cfg->cache.ttl) {
			if (cache_parse_duration_ms(cfg->cache.ttl, &ms, &why) < 0)
				return file_error(cfg, "ttl", why, cause);
			s->ttl_s = (long)(ms / 1000);
			if (ms > 0 && s->ttl_s == 0)
				s->ttl_s = 1;
		}
		if (cfg->cache.prefix)
			s->prefix = xstrdup(cfg->cache.prefix);
		if (cfg->cache.backend) {
			s->backend = xstrdup(cfg->cache.backend);
			s->from = "golive.yaml";
		}
	}
	const char *env = getenv("GOLIVE_CACHE");
	if (env) {
		free(s->backend);
		s->backend = NULL;
		s->from = "GOLIVE_CACHE";
		if (*env && strcmp(env, "off") != 0) {
			if (env[0] != '/' && !strstr(env, "://")) {
				*cause =
				    xasprintf("GOLIVE_CACHE: want redis://HOST[:PORT][/DB], "
				              "http(s)://HOST[:PORT]/PATH/ or dir:///PATH, got "
				              "\"%s\"",
				              env);
				return -1;
			}
			s->backend = xstrdup(env);
		}
	}
	const char *mode = getenv("GOLIVE_CACHE_MODE");
	if (mode && *mode && cache_parse_mode(mode, &s->mode, &why) < 0) {
		*cause = xasprintf("GOLIVE_CACHE_MODE: %s", why);
		free(why);
		return -1;
	}
	if (!s->backend || s->mode == CACHE_MODE_OFF) {
		free(s->backend);
		s->backend = NULL;
		s->mode = CACHE_MODE_OFF;
	}
	return 0;
}

int cache_settings_write(const char *session, const struct cache_settings *s, char **cause)
{
	json_t *o = json_object();
	char *bare = NULL, *userinfo = NULL;
	if (s->backend)
		cache_url_split_userinfo(s->backend, &bare, &userinfo);
	/* Credentials never reach the file (a kept session may be uploaded): the environment. */
	if (userinfo) {
		setenv(CACHE_USERINFO_ENV, userinfo, 1);
		json_object_set_new(o, "userinfo", json_string("env"));
	}
	json_object_set_new(o, "backend", bare ? json_string(bare) : json_null());
	free(bare);
	free(userinfo);
	json_object_set_new(o, "mode", json_string(cache_mode_name(s->mode)));
	json_object_set_new(o, "timeout_ms", json_integer(s->timeout_ms));
	json_object_set_new(o, "max_object", json_integer((json_int_t)s->max_object));
	json_object_set_new(o, "ttl_s", json_integer(s->ttl_s));
	json_object_set_new(o, "prefix", s->prefix ? json_string(s->prefix) : json_null());
	return jsonl_write_file(o, session, CACHE_SETTINGS_FILE, cause);
}

int cache_settings_read(const char *session, struct cache_settings *s, char **cause)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = xasprintf("%s/%s", session, CACHE_SETTINGS_FILE);
	json_t *o = NULL;
	json_error_t jerr;
	int rc = -1;
	cache_settings_init(s);
	if (strbuf_read_file(&sb, path, 1u << 16) < 0) {
		if (errno == ENOENT)
			rc = 0;
		else
			*cause = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	o = json_loadb(sb.buf, sb.len, JSON_REJECT_DUPLICATES, &jerr);
	const char *backend = json_string_value(json_object_get(o, "backend"));
	const char *mode = json_string_value(json_object_get(o, "mode"));
	json_t *t = json_object_get(o, "timeout_ms"), *m = json_object_get(o, "max_object");
	json_t *ttl = json_object_get(o, "ttl_s"), *prefix = json_object_get(o, "prefix");
	char *why = NULL;
	if (!json_is_object(o) || !mode || cache_parse_mode(mode, &s->mode, &why) < 0 ||
	    !json_is_integer(t) || json_integer_value(t) <= 0 || !json_is_integer(m) ||
	    json_integer_value(m) <= 0 || !json_is_integer(ttl) || json_integer_value(ttl) < 0 ||
	    (prefix && !json_is_null(prefix) && !json_is_string(prefix))) {
		free(why);
		*cause = xasprintf("%s: not a cache settings file", path);
		goto out;
	}
	s->backend = backend ? xstrdup(backend) : NULL;
	/* The credentials golive build took out of the file (cache_settings_write). */
	const char *ui = json_string_value(json_object_get(o, "userinfo"));
	const char *env = getenv(CACHE_USERINFO_ENV);
	if (s->backend && ui && !strcmp(ui, "env") && env && *env) {
		const char *sep = strstr(s->backend, "://");
		if (sep) {
			char *full = xasprintf("%.*s%s@%s", (int)(sep + 3 - s->backend), s->backend,
			                       env, sep + 3);
			free(s->backend);
			s->backend = full;
		}
	}
	s->timeout_ms = (long)json_integer_value(t);
	s->max_object = (unsigned long long)json_integer_value(m);
	s->ttl_s = (long)json_integer_value(ttl);
	s->prefix = json_is_string(prefix) ? xstrdup(json_string_value(prefix)) : NULL;
	if (!s->backend)
		s->mode = CACHE_MODE_OFF;
	rc = 1;
out:
	if (rc < 0)
		cache_settings_release(s);
	json_decref(o);
	strbuf_release(&sb);
	free(path);
	return rc;
}
