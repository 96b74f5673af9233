/*
 * cache_http.c - the cache over HTTP (cache_backend.h): GET, PUT, HEAD and
 * DELETE of <base>/ac/<hex> and <base>/cas/<hex>, as nginx WebDAV and
 * bazel-remote serve them, through libcurl loaded at the first request
 * (curl_dl.h).
 *
 * One curl handle per backend, made at the first request and kept so that
 * its connection is reused. Credentials never reach the URL curl sees nor
 * any message: user:password from the URL (or GOLIVE_CACHE_USER and
 * GOLIVE_CACHE_PASSWORD) go to curl as Basic auth options, a
 * GOLIVE_CACHE_TOKEN as an "Authorization: Bearer" header (and wins).
 * Redirects are not followed, so no credential is sent to another host.
 *
 * Bounds: CURLOPT_TIMEOUT_MS is the whole request's deadline (connect
 * included), and a GET's body is bounded by max_object while it arrives:
 * a Content-Length over it fails at the headers (CURLOPT_MAXFILESIZE), a
 * body that grows past it (chunked, or a lying length) is cut by the write
 * callback, so a server's answer never costs more than max_object bytes.
 */
#include "cache/cache_backend.h"
#include "core/curl_dl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef GOLIVE_VERSION_STRING
#define CACHE_HTTP_USER_AGENT "golive/" GOLIVE_VERSION_STRING
#else
#define CACHE_HTTP_USER_AGENT "golive/dev"
#endif
#define CACHE_HTTP_SERVER_MAX 200 /* bytes of a Server header kept */

struct http_backend {
	struct cache_backend b;
	char *base;            /* the URL curl sees: no userinfo, ends in '/' */
	char *user, *password; /* Basic auth, or both NULL */
	char *bearer;          /* "Authorization: Bearer <token>", or NULL */
	const struct curl_dl *curl;
	CURL *cu;                /* made at the first request */
	struct curl_slist *hdrs; /* the request headers, made with cu */
	char errbuf[CURL_ERROR_SIZE];
};

/* One request and what came back. */
struct http_req {
	const char *body; /* PUT: the bytes to send */
	size_t body_len, body_off;
	struct strbuf *out; /* GET: the 200 answer's body (at most max bytes), or NULL */
	size_t max;
	int too_big;  /* the body went past max: the transfer was aborted */
	char *server; /* the last response's Server header, or NULL */
	struct http_backend *h;
};

/* Whether s has a control character (a header value must not). */
static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* CURLOPT_WRITEFUNCTION: keep a 200 answer's body up to max; drop others. */
static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct http_req *r = ud;
	size_t n = size * nmemb;
	long status = 0;
	if (!r->out)
		return n;
	r->h->curl->easy_getinfo(r->h->cu, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return n;
	if (n > r->max - r->out->len) {
		r->too_big = 1;
		return 0; /* curl aborts the transfer with CURLE_WRITE_ERROR */
	}
	strbuf_add(r->out, p, n);
	return n;
}

/* CURLOPT_READFUNCTION: the PUT body from memory. */
static size_t on_read(char *p, size_t size, size_t nitems, void *ud)
{
	struct http_req *r = ud;
	size_t room = size * nitems, left = r->body_len - r->body_off;
	size_t n = left < room ? left : room;
	memcpy(p, r->body + r->body_off, n);
	r->body_off += n;
	return n;
}

/* CURLOPT_HEADERFUNCTION: the Server header of the last response. */
static size_t on_header(char *p, size_t size, size_t nitems, void *ud)
{
	struct http_req *r = ud;
	size_t n = size * nitems;
	if (n > 5 && memcmp(p, "HTTP/", 5) == 0) {
		free(r->server);
		r->server = NULL;
	} else if (n > 7 && strncasecmp(p, "server:", 7) == 0) {
		const char *v = p + 7;
		size_t vn = n - 7;
		while (vn && (*v == ' ' || *v == '\t'))
			v++, vn--;
		while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
			vn--;
		free(r->server);
		r->server = xstrndup(v, vn > CACHE_HTTP_SERVER_MAX ? CACHE_HTTP_SERVER_MAX : vn);
		for (char *c = r->server; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = ' ';
	}
	return n;
}

/* The handle and the header list, made once; NULL with *detail. */
static int http_setup(struct http_backend *h, char **detail)
{
	const char *why;
	if (h->cu)
		return 0;
	if (!(h->curl = curl_dl_load(&why))) {
		*detail = xasprintf("cannot load %s: %s", CURL_DL_LIBRARY, why);
		return -1;
	}
	struct curl_slist *t;
	/* "Expect:" turns off curl's 100-continue wait before bigger PUT bodies. */
	const char *fixed[] = {"Expect:", "Content-Type: application/octet-stream", h->bearer};
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++) {
		if (!fixed[i])
			continue;
		if (!(t = h->curl->slist_append(h->hdrs, fixed[i])))
			goto oom;
		h->hdrs = t;
	}
	if (!(h->cu = h->curl->easy_init()))
		goto oom;
	return 0;
oom:
	*detail = xstrdup("cannot set up libcurl (out of memory)");
	return -1;
}

/*
 * Runs one request (method "GET", "PUT", "HEAD" or "DELETE") on url. 0 with
 * the status in *status, or -1 with *detail (one line, no URL in it).
 */
static int perform(struct http_backend *h, const char *method, const char *url, struct http_req *r,
                   long *status, char **detail)
{
	char *errbuf = h->errbuf;
	*status = 0;
	if (http_setup(h, detail) < 0)
		return -1;
	const struct curl_dl *c = h->curl;
	CURL *cu = h->cu;
	r->h = h;
	c->easy_reset(cu); /* keeps the connection */
	CURLcode sc = CURLE_OK;
#define SETOPT(opt, val)                                                                           \
	do {                                                                                       \
		if (sc == CURLE_OK)                                                                \
			sc = c->easy_setopt(cu, opt, val);                                         \
	} while (0)
	SETOPT(CURLOPT_URL, url);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_TIMEOUT_MS, h->b.opts.timeout_ms);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, h->b.opts.timeout_ms);
	SETOPT(CURLOPT_USERAGENT, CACHE_HTTP_USER_AGENT);
	SETOPT(CURLOPT_HTTPHEADER, h->hdrs);
	SETOPT(CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, r);
	SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(CURLOPT_HEADERDATA, r);
	if (h->user) {
		SETOPT(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SETOPT(CURLOPT_USERNAME, h->user);
		SETOPT(CURLOPT_PASSWORD, h->password);
	}
	if (strcmp(method, "HEAD") == 0) {
		SETOPT(CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "PUT") == 0) {
		SETOPT(CURLOPT_UPLOAD, 1L);
		SETOPT(CURLOPT_READFUNCTION, on_read);
		SETOPT(CURLOPT_READDATA, r);
		SETOPT(CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->body_len);
	} else if (strcmp(method, "DELETE") == 0) {
		SETOPT(CURLOPT_CUSTOMREQUEST, "DELETE");
	} else {
		SETOPT(CURLOPT_HTTPGET, 1L);
		/* A Content-Length over the bound fails before any byte of the body is read. */
		if (r->out)
			SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max);
	}
#undef SETOPT
	if (sc != CURLE_OK) {
		c->easy_reset(cu);
		*detail = xstrdup(c->easy_strerror(sc));
		return -1;
	}
	errbuf[0] = '\0';
	CURLcode cc = c->easy_perform(cu);
	if (cc == CURLE_OK)
		c->easy_getinfo(cu, CURLINFO_RESPONSE_CODE, status);
	/* No option may keep pointing at r, which lives on the caller's stack. */
	c->easy_reset(cu);
	if (r->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		*detail = xasprintf("larger than max_object (%zu)", r->max);
		return -1;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		*detail = xasprintf("no answer within the %ld ms timeout", h->b.opts.timeout_ms);
		return -1;
	}
	if (cc != CURLE_OK) {
		*detail = xstrdup(errbuf[0] ? errbuf : c->easy_strerror(cc));
		for (char *p = *detail; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
		return -1;
	}
	return 0;
}

/*
 * One request on <base><ns>/<hex>: 0 with *status, or -1 with *cause
 * ("<base>ac/0123456789abcdef..: <detail>").
 */
static int object_request(struct http_backend *h, const char *method, enum cache_ns ns,
                          const char *hex, struct http_req *r, long *status, char **cause)
{
	char *detail = NULL;
	char *url = xasprintf("%s%s/%s", h->base, cache_ns_name(ns), hex);
	int rc = perform(h, method, url, r, status, &detail);
	if (rc < 0) {
		*cause = xasprintf("%s%s/%.16s..: %s", h->base, cache_ns_name(ns), hex, detail);
		free(detail);
	}
	free(url);
	free(r->server);
	r->server = NULL;
	return rc;
}

static char *status_error(struct http_backend *h, enum cache_ns ns, const char *hex, long status)
{
	return xasprintf("%s%s/%.16s..: HTTP %ld", h->base, cache_ns_name(ns), hex, status);
}

static int http_get(struct cache_backend *b, enum cache_ns ns, const char *hex, struct strbuf *out,
                    char **cause)
{
	struct http_backend *h = (struct http_backend *)b;
	struct http_req r = {0};
	long status;
	if (cache_name_check(ns, hex, cause) < 0)
		return -1;
	strbuf_reset(out);
	r.out = out;
	r.max = b->opts.max_object;
	if (object_request(h, "GET", ns, hex, &r, &status, cause) < 0) {
		strbuf_reset(out);
		return -1;
	}
	if (status == 200)
		return 1;
	strbuf_reset(out);
	if (status == 404)
		return 0;
	*cause = status_error(h, ns, hex, status);
	return -1;
}

static int http_put(struct cache_backend *b, enum cache_ns ns, const char *hex, const void *buf,
                    size_t len, char **cause)
{
	struct http_backend *h = (struct http_backend *)b;
	struct http_req r = {0};
	long status;
	if (cache_name_check(ns, hex, cause) < 0)
		return -1;
	if (len > b->opts.max_object) {
		*cause = xasprintf("%s%s/%.16s..: %zu bytes, larger than max_object (%zu)", h->base,
		                   cache_ns_name(ns), hex, len, b->opts.max_object);
		return -1;
	}
	r.body = buf;
	r.body_len = len;
	if (object_request(h, "PUT", ns, hex, &r, &status, cause) < 0)
		return -1;
	if (status == 200 || status == 201 || status == 204)
		return 0;
	*cause = status_error(h, ns, hex, status);
	return -1;
}

static int http_exists(struct cache_backend *b, enum cache_ns ns, const char *hex, char **cause)
{
	struct http_backend *h = (struct http_backend *)b;
	struct http_req r = {0};
	long status;
	if (cache_name_check(ns, hex, cause) < 0)
		return -1;
	if (object_request(h, "HEAD", ns, hex, &r, &status, cause) < 0)
		return -1;
	if (status == 200)
		return 1;
	if (status == 404)
		return 0;
	*cause = status_error(h, ns, hex, status);
	return -1;
}

static int http_del(struct cache_backend *b, enum cache_ns ns, const char *hex, char **cause)
{
	struct http_backend *h = (struct http_backend *)b;
	struct http_req r = {0};
	long status;
	if (cache_name_check(ns, hex, cause) < 0)
		return -1;
	if (object_request(h, "DELETE", ns, hex, &r, &status, cause) < 0)
		return -1;
	if (status == 200 || status == 202 || status == 204 || status == 404)
		return 0;
	*cause = status_error(h, ns, hex, status);
	return -1;
}

static int http_list(struct cache_backend *b, enum cache_ns ns,
                     int (*fn)(const char *hex, void *arg), void *arg, char **cause)
{
	(void)b, (void)ns, (void)fn, (void)arg;
	*cause = xstrdup("http backend cannot list entries");
	return -2;
}

/* The server's name from a HEAD of the base URL; counts are unknown (-1). */
static int http_stats(struct cache_backend *b, struct cache_backend_stats *st, char **cause)
{
	struct http_backend *h = (struct http_backend *)b;
	struct http_req r = {0};
	char *detail = NULL;
	long status;
	memset(st, 0, sizeof(*st));
	st->ac_entries = st->cas_objects = st->bytes = -1;
	if (perform(h, "HEAD", h->base, &r, &status, &detail) < 0) {
		*cause = xasprintf("%s: %s", h->base, detail);
		free(detail);
		free(r.server);
		return -1;
	}
	/* Any answer names the server (a directory is often 403), but not one refusing us. */
	if (status == 401 || status == 407) {
		*cause = xasprintf("%s: HTTP %ld", h->base, status);
		free(r.server);
		return -1;
	}
	st->server = r.server;
	return 0;
}

static void http_close(struct cache_backend *b)
{
	struct http_backend *h = (struct http_backend *)b;
	if (h->cu)
		h->curl->easy_cleanup(h->cu);
	if (h->hdrs)
		h->curl->slist_free_all(h->hdrs);
	cache_backend_release(b);
	free(h->base);
	free(h->user);
	free(h->password);
	free(h->bearer);
	free(h);
}

static const struct cache_backend_ops http_ops = {
    "http", http_get, http_put, http_exists, http_del, http_list, http_stats, http_close,
};

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

int cache_http_open(const struct cache_backend_options *opts, struct cache_backend **out,
                    char **cause)
{
	const char *url = opts->url;
	const char *auth = strstr(url, "://") + 3; /* cache_backend_open saw the scheme */
	size_t auth_len = strcspn(auth, "/?#");
	const char *at = NULL;
	char *shown = cache_url_display(url);
	char *user = NULL, *password = NULL;

	if (has_ctl(url) || strpbrk(auth, "?#")) {
		*cause = xasprintf("cache.backend: \"%.200s\": want http[s]://host[:port]/path/ "
		                   "(no query, no fragment)",
		                   shown);
		goto fail;
	}
	for (size_t i = 0; i < auth_len; i++)
		if (auth[i] == '@')
			at = auth + i;
	if ((at ? auth_len - (size_t)(at + 1 - auth) : auth_len) == 0) {
		*cause = xasprintf("cache.backend: \"%.200s\": no host", shown);
		goto fail;
	}
	if (at) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));
		size_t un = colon ? (size_t)(colon - auth) : (size_t)(at - auth);
		user = percent_decode(auth, un);
		password =
		    colon ? percent_decode(colon + 1, (size_t)(at - colon - 1)) : xstrdup("");
		if (!user || !password) {
			*cause = xasprintf("cache.backend: \"%.200s\": bad %%-escape in the user "
			                   "or password",
			                   shown);
			goto fail;
		}
	}
	const char *token = env_nonempty("GOLIVE_CACHE_TOKEN");
	if (token && has_ctl(token)) {
		*cause = xstrdup("GOLIVE_CACHE_TOKEN: has a control character");
		goto fail;
	}
	if (!at && !token &&
	    (env_nonempty("GOLIVE_CACHE_USER") || env_nonempty("GOLIVE_CACHE_PASSWORD"))) {
		const char *u = env_nonempty("GOLIVE_CACHE_USER"),
		           *p = env_nonempty("GOLIVE_CACHE_PASSWORD");
		user = xstrdup(u ? u : "");
		password = xstrdup(p ? p : "");
	}

	struct http_backend *h = xcalloc(1, sizeof(*h));
	cache_backend_init(&h->b, &http_ops, opts);
	size_t sn = strlen(shown);
	h->base = xasprintf("%s%s", shown, sn && shown[sn - 1] == '/' ? "" : "/");
	/* The base URL is also what messages show. */
	free(h->b.display);
	h->b.display = xstrdup(h->base);
	if (token) {
		h->bearer = xasprintf("Authorization: Bearer %s", token);
		free(user);
		free(password);
	} else {
		h->user = user;
		h->password = password;
	}
	free(shown);
	*out = &h->b;
	return 0;
fail:
	free(user);
	free(password);
	free(shown);
	return -1;
}
