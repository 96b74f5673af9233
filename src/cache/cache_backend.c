/*
 * cache_backend.c - see cache_backend.h: choosing a backend by the URL's
 * scheme, what the backends share (options, names, the display URL), and
 * the convenience wrappers.
 */
#include "cache/cache_backend.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CACHE_DEFAULT_TIMEOUT_MS 2000L
#define CACHE_DEFAULT_PREFIX     "golive:"

void cache_url_split_userinfo(const char *url, char **bare, char **userinfo)
{
	const char *sep = strstr(url, "://");
	const char *auth = sep ? sep + 3 : url;
	size_t auth_len = strcspn(auth, "/?#");
	const char *at = NULL;
	/* The last '@' of the authority ends the userinfo (a password may hold an '@'). */
	for (size_t i = 0; sep && i < auth_len; i++)
		if (auth[i] == '@')
			at = auth + i;
	*bare = at ? xasprintf("%.*s%s", (int)(auth - url), url, at + 1) : xstrdup(url);
	if (userinfo)
		*userinfo = at ? xstrndup(auth, (size_t)(at - auth)) : NULL;
}

char *cache_url_display(const char *url)
{
	char *s;
	cache_url_split_userinfo(url, &s, NULL);
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return s;
}

/* The scheme of url (before "://") if it is one; its length in *n, else NULL. */
static const char *url_scheme(const char *url, size_t *n)
{
	const char *sep = strstr(url, "://");
	if (!sep)
		return NULL;
	*n = (size_t)(sep - url);
	return url;
}

int cache_backend_open(const struct cache_backend_options *opts, struct cache_backend **out,
                       char **cause)
{
	static const char want[] = "(want redis://, http://, https:// or dir://)";
	size_t n = 0;
	*out = NULL;
	if (!opts || !opts->url || !*opts->url) {
		*cause = xasprintf("cache.backend: no URL %s", want);
		return -1;
	}
	const char *url = opts->url;
	const char *scheme = url_scheme(url, &n);
	if (!scheme) {
		if (url[0] == '/')
			return cache_dir_open(opts, out, cause);
		char *d = cache_url_display(url);
		*cause = xasprintf(
		    "cache.backend: \"%.200s\" is neither a URL nor an absolute path %s", d, want);
		free(d);
		return -1;
	}
	if (n == 5 && strncasecmp(scheme, "redis", n) == 0)
		return cache_redis_open(opts, out, cause);
	if ((n == 4 && strncasecmp(scheme, "http", n) == 0) ||
	    (n == 5 && strncasecmp(scheme, "https", n) == 0))
		return cache_http_open(opts, out, cause);
	if (n == 3 && strncasecmp(scheme, "dir", n) == 0)
		return cache_dir_open(opts, out, cause);

	/* The scheme as typed, shown only when it looks like one. */
	int clean = n > 0 && n <= 32;
	for (size_t i = 0; clean && i < n; i++)
		clean = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.",
		               scheme[i]) != NULL;
	if (clean)
		*cause = xasprintf("cache.backend: unsupported scheme \"%.*s\" %s", (int)n, scheme,
		                   want);
	else
		*cause = xasprintf("cache.backend: unsupported scheme %s", want);
	return -1;
}

void cache_backend_close(struct cache_backend *b)
{
	if (b)
		b->ops->close(b);
}

void cache_backend_stats_release(struct cache_backend_stats *st)
{
	if (!st)
		return;
	free(st->server);
	st->server = NULL;
}

int cache_get(struct cache_backend *b, enum cache_ns ns, const char *hex, struct strbuf *out,
              char **cause)
{
	return b->ops->get(b, ns, hex, out, cause);
}

int cache_put(struct cache_backend *b, enum cache_ns ns, const char *hex, const void *buf,
              size_t len, char **cause)
{
	return b->ops->put(b, ns, hex, buf, len, cause);
}

void cache_backend_init(struct cache_backend *b, const struct cache_backend_ops *ops,
                        const struct cache_backend_options *opts)
{
	b->ops = ops;
	b->display = cache_url_display(opts->url);
	b->opts = *opts;
	b->opts.url = xstrdup(opts->url);
	b->opts.prefix = xstrdup(opts->prefix ? opts->prefix : CACHE_DEFAULT_PREFIX);
	if (b->opts.timeout_ms <= 0)
		b->opts.timeout_ms = CACHE_DEFAULT_TIMEOUT_MS;
	if (b->opts.ttl_s < 0)
		b->opts.ttl_s = 0;
	if (!b->opts.max_object)
		b->opts.max_object = CACHE_MAX_OBJECT_DEFAULT;
}

void cache_backend_release(struct cache_backend *b)
{
	free(b->display);
	/* Both were copied by cache_backend_init. */
	free((char *)b->opts.url);
	free((char *)b->opts.prefix);
	b->display = NULL;
	b->opts.url = b->opts.prefix = NULL;
}

const char *cache_ns_name(enum cache_ns ns)
{
	return ns == CACHE_CAS ? "cas" : "ac";
}

int cache_name_check(enum cache_ns ns, const char *hex, char **cause)
{
	if (ns != CACHE_AC && ns != CACHE_CAS) {
		*cause = xasprintf("bad cache namespace %d", (int)ns);
		return -1;
	}
	size_t i = 0;
	for (; hex && i < 64; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			break;
	if (!hex || i != 64 || hex[64]) {
		*cause = xstrdup("bad cache name (want 64 lowercase hex digits)");
		return -1;
	}
	return 0;
}
