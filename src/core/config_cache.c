/*
 * config_cache.c - golive.yaml's cache: section (config_section.h): the shared
 * compile cache's backend URL, mode, timeout, sizes and key prefix.
 */
#define _GNU_SOURCE
#include "core/config_section.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache_config.h"

/* cache.backend: a URL golive can use (redis://, http://, https://, dir://) or an absolute path. */
static int check_cache_backend(const char *s, char **why)
{
	static const char *const schemes[] = {"redis://", "http://", "https://", "dir:///"};
	char *q;

	if (s[0] == '/')
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(schemes); i++)
		if (starts_with(s, schemes[i]) && s[strlen(schemes[i])])
			return 0;
	q = config_quoted(s);
	*why = xasprintf("want redis://HOST[:PORT][/DB], http(s)://HOST[:PORT]/PATH/ or "
	                 "dir:///PATH, got %s",
	                 q);
	free(q);
	return -1;
}

static int check_cache_mode(const char *s, char **why)
{
	enum cache_mode m;
	return cache_parse_mode(s, &m, why);
}

static int check_duration(const char *s, char **why)
{
	long long ms;
	return cache_parse_duration_ms(s, &ms, why);
}

static int check_size(const char *s, char **why)
{
	unsigned long long n;
	return cache_parse_size(s, &n, why);
}

static const struct key_spec cache_keys[] = {
    {"backend", KEY_STRING, FIELD(cache.backend), 0, 0, check_cache_backend},
    {"mode", KEY_STRING, FIELD(cache.mode), 0, 0, check_cache_mode},
    {"timeout", KEY_STRING, FIELD(cache.timeout), 0, 0, check_duration},
    {"max_object", KEY_STRING, FIELD(cache.max_object), 0, 0, check_size},
    {"ttl", KEY_STRING, FIELD(cache.ttl), 0, 0, check_duration},
    {"prefix", KEY_STRING, FIELD(cache.prefix), 0, 0, config_check_nonempty},
};

const struct section_spec config_section_cache = {
    "cache", cache_keys, ARRAY_SIZE(cache_keys), NULL, NULL, NULL, NULL};
