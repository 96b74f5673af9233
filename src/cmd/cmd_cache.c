/*
 * cmd_cache.c - `golive cache`: look at and check the shared compile cache
 * (docs/cache.md, "golive cache").
 *
 *   golive cache stats [--json]                          what the backend holds
 *   golive cache verify [--delete] [--json] [--limit N]  every entry, every output
 *   golive cache prog [--dir DIR] [--stats] [--flush-timeout D]   a GOCACHEPROG program
 *
 * The settings come from golive.yaml's cache: section and the environment
 * (cache_config.h), the storage from cache_backend.h, the manifests'
 * checks from cache_entry.h; this file fetches, re-hashes and prints.
 * prog's protocol and storage are cache_prog.c's; this file resolves its
 * options and settings.
 */
#define _GNU_SOURCE
#include "cache/cache_backend.h"
#include "cache/cache_config.h"
#include "cache/cache_entry.h"
#include "cache/cache_prog.h"
#include "cmd/commands.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/jsonl.h"
#include "core/util.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define SHORT_HEX 12 /* hex digits of a key or object name in messages */

static const char cache_usage[] =
    "usage: golive cache stats [--json] [--config FILE]\n"
    "       golive cache verify [--delete] [--json] [--limit N] [--config FILE]\n"
    "       golive cache prog [--dir DIR] [--stats] [--flush-timeout DURATION] [--config FILE]\n"
    "\n"
    "Looks at the shared compile cache that golive.yaml's cache: section (or\n"
    "GOLIVE_CACHE and GOLIVE_CACHE_MODE) configures (docs/cache.md):\n"
    "  stats    the backend (never its credentials), the mode, the server, the\n"
    "           number of entries (ac) and objects (cas) and their bytes where the\n"
    "           backend can tell, and the round-trip time of one request\n"
    "  verify   fetches every entry's manifest and checks it (format, key, and the\n"
    "           signature when GOLIVE_CACHE_HMAC_KEY is set), then fetches every\n"
    "           output it names and checks its size and sha256; one line per bad\n"
    "           entry. dir:// and redis:// only: an HTTP cache cannot list entries\n"
    "  prog     a GOCACHEPROG program (Go >= 1.24): GOCACHEPROG=\"golive cache prog\"\n"
    "           go build ./... keeps go's outputs in a local directory (--dir, default\n"
    "           <user cache dir>/golive/cacheprog) and, when a cache is configured,\n"
    "           fetches misses from it and uploads puts in the background; without\n"
    "           one it is a plain local cache\n"
    "\n"
    "options:\n"
    "  --json          stats, verify: one JSON object on stdout instead of text\n"
    "  --config FILE   read FILE instead of searching for golive.yaml\n"
    "  --delete        verify: delete the bad entries' manifests, and the objects\n"
    "                  whose bytes do not match their name (needs mode read-write)\n"
    "  --limit N       verify: check at most N entries\n"
    "  --dir DIR       prog: the local directory (never inside GOCACHE)\n"
    "  --stats         prog: one line of figures on stderr at the end\n"
    "  --flush-timeout DURATION  prog: how long close waits for uploads (default 30s)\n"
    "  -h, --help      show this help\n"
    "\n"
    "Exit status: 0 ok (verify: every entry good); 1 a bad entry, or a request to\n"
    "the backend failed; 2 a usage or configuration error, or no cache configured.\n"
    "prog: 0 after close or the end of its input (a remote that fails is a warning);\n"
    "1 when go's request stream is broken; 2 when the local directory cannot be used.\n";

struct cache_opts {
	int json, del;
	long limit; /* 0: no limit */
	const char *config;
	const char *dir;    /* prog */
	int stats;          /* prog */
	long long flush_ms; /* prog; 0: the default */
};

/* "golive: <msg>" on stderr, as die() prints it, without exiting. */
static PRINTF_LIKE(1, 2) void say(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	fprintf(stderr, "golive: %s\n", sb.buf);
	strbuf_release(&sb);
}

/*
 * Parses the options after the subcommand; verify says whether --delete/--limit
 * are allowed, prog whether --dir/--stats/--flush-timeout are.
 */
static int parse_opts(struct cache_opts *o, const char *sub, int verify, int prog, int argc,
                      char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (is_help_flag(a)) {
			fputs(cache_usage, stdout);
			exit(0);
		}
		if (!prog && !strcmp(a, "--json")) {
			o->json = 1;
		} else if (prog && !strcmp(a, "--stats")) {
			o->stats = 1;
		} else if (prog && (!strcmp(a, "--dir") || starts_with(a, "--dir="))) {
			o->dir = a[5] == '=' ? a + 6 : i + 1 < argc ? argv[++i] : NULL;
			if (!o->dir || !*o->dir)
				return error("golive cache prog: --dir needs a directory");
		} else if (prog &&
		           (!strcmp(a, "--flush-timeout") || starts_with(a, "--flush-timeout="))) {
			const char *v = a[15] == '=' ? a + 16 : i + 1 < argc ? argv[++i] : NULL;
			char *why = NULL;

			if (!v)
				return error("golive cache prog: --flush-timeout needs a duration");
			if (cache_parse_duration_ms(v, &o->flush_ms, &why) < 0) {
				error("golive cache prog: --flush-timeout: %s", why);
				free(why);
				return -1;
			}
			if (o->flush_ms <= 0)
				o->flush_ms = 1;
		} else if (verify && !strcmp(a, "--delete")) {
			o->del = 1;
		} else if (!strcmp(a, "--config") || starts_with(a, "--config=")) {
			if (a[8] == '=')
				o->config = a + 9;
			else if (i + 1 < argc)
				o->config = argv[++i];
			else
				return error("golive cache %s: --config needs a value", sub);
		} else if (verify && (!strcmp(a, "--limit") || starts_with(a, "--limit="))) {
			const char *v = a[7] == '=' ? a + 8 : i + 1 < argc ? argv[++i] : NULL;
			char *end;
			long n;

			if (!v)
				return error("golive cache verify: --limit needs a value");
			errno = 0;
			n = strtol(v, &end, 10);
			if (errno || end == v || *end || n <= 0)
				return error(
				    "golive cache verify: --limit wants a positive number, "
				    "got \"%s\"",
				    v);
			o->limit = n;
		} else {
			return error("golive cache %s: unexpected argument %s (see golive cache "
			             "--help)",
			             sub, a);
		}
	}
	return 0;
}

/*
 * Loads golive.yaml and the cache settings and opens the backend. 0, or the
 * exit status (EXIT_USAGE) after printing why.
 */
static int open_cache(const struct cache_opts *o, struct cache_settings *s,
                      struct cache_backend **b)
{
	struct golive_config cfg;
	struct cache_backend_options bo;
	const char *path = o->config;
	char *cause = NULL;
	int ret = EXIT_USAGE;

	if (!path) {
		path = getenv("GOLIVE_CONFIG");
		if (path && !*path)
			path = NULL;
	}
	config_init(&cfg);
	cache_settings_init(s);
	if (config_load(&cfg, path, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		goto out;
	}
	if (cache_settings_resolve(&cfg, s, &cause) < 0) {
		say("%s", cause);
		goto out;
	}
	if (s->mode == CACHE_MODE_OFF || !s->backend) {
		say("no cache configured (set cache.backend in golive.yaml or GOLIVE_CACHE)");
		goto out;
	}
	memset(&bo, 0, sizeof(bo));
	bo.url = s->backend;
	bo.timeout_ms = s->timeout_ms;
	bo.ttl_s = s->ttl_s;
	bo.prefix = s->prefix;
	bo.max_object = s->max_object > SIZE_MAX ? SIZE_MAX : (size_t)s->max_object;
	if (cache_backend_open(&bo, b, &cause) < 0) {
		say("%s", cause);
		goto out;
	}
	ret = 0;
out:
	free(cause);
	config_release(&cfg);
	return ret;
}

/* Prints a JSON value on stdout (indented; reals with 6 digits) and drops it. */
static int print_json(json_t *j, const char *sub)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));

	json_decref(j);
	if (!s)
		return error("golive cache %s: cannot encode the result as JSON", sub);
	printf("%s\n", s);
	free(s);
	return 0;
}

static json_t *count_json(long long n)
{
	return n < 0 ? json_null() : json_integer((json_int_t)n);
}

/* n as text, or "unknown" when the backend cannot tell (-1); into buf. */
static const char *count_text(long long n, char *buf, size_t size)
{
	if (n < 0)
		snprintf(buf, size, "unknown");
	else
		snprintf(buf, size, "%lld", n);
	return buf;
}

/* 64 random lowercase hex digits: a name no entry has. */
static int random_name(char out[65])
{
	unsigned char b[32];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t r = getrandom(b + got, sizeof(b) - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

static int cache_stats(const struct cache_opts *o)
{
	struct cache_settings s;
	struct cache_backend *b = NULL;
	struct cache_backend_stats st = {-1, -1, -1, NULL};
	char *cause = NULL, name[65];
	int64_t t0;
	double latency_ms;
	int ret;

	ret = open_cache(o, &s, &b);
	if (ret)
		goto out;
	ret = 1;
	if (b->ops->stats(b, &st, &cause) < 0) {
		say("cache %s: %s", b->display, cause);
		goto out;
	}
	if (random_name(name) < 0) {
		say("cache stats: cannot draw a random name (getrandom): %s", strerror(errno));
		goto out;
	}
	/* after stats: a Redis or HTTP connection is made, so this is one round trip */
	t0 = now_mono_ns();
	if (b->ops->exists(b, CACHE_CAS, name, &cause) < 0) {
		say("cache %s: %s", b->display, cause);
		goto out;
	}
	latency_ms = (double)(now_mono_ns() - t0) / 1e6;

	if (o->json) {
		json_t *j = json_object();

		json_object_set_new(j, "backend", json_string_lossy(b->display));
		json_object_set_new(j, "from", json_string_lossy(s.from));
		json_object_set_new(j, "mode", json_string(cache_mode_name(s.mode)));
		json_object_set_new(j, "server", json_string_lossy(st.server));
		json_object_set_new(j, "entries", count_json(st.ac_entries));
		json_object_set_new(j, "objects", count_json(st.cas_objects));
		json_object_set_new(j, "bytes", count_json(st.bytes));
		json_object_set_new(j, "latency_ms", json_real(latency_ms));
		if (print_json(j, "stats") < 0)
			goto out;
	} else {
		char n1[32], n2[32], n3[32];

		printf("backend  %s (from %s)\n", b->display, s.from ? s.from : "golive.yaml");
		printf("mode     %s\n", cache_mode_name(s.mode));
		printf("server   %s\n", st.server ? st.server : "unknown");
		printf("entries  %s\n", count_text(st.ac_entries, n1, sizeof(n1)));
		printf("objects  %s\n", count_text(st.cas_objects, n2, sizeof(n2)));
		printf("bytes    %s\n", count_text(st.bytes, n3, sizeof(n3)));
		printf("latency  %.2f ms (one exists request)\n", latency_ms);
	}
	ret = 0;
out:
	free(cause);
	cache_backend_stats_release(&st);
	if (b)
		cache_backend_close(b);
	cache_settings_release(&s);
	return ret;
}

/* ---- verify -------------------------------------------------------------- */

enum obj_state { OBJ_OK, OBJ_MISSING, OBJ_CORRUPT };

/* What fetching one cas object found; fetched once however many entries name it. */
struct obj {
	char name[65];
	enum obj_state state;
	uint64_t size; /* its bytes (OBJ_OK, OBJ_CORRUPT) */
};

/* An open-addressing set of the objects checked, keyed by name. */
struct obj_table {
	ARRAY(struct obj) objs;
	size_t *slots; /* index + 1 into objs, 0 = empty; nslots a power of two */
	size_t nslots;
};

static size_t name_hash(const char *name)
{
	size_t h = 0;

	/* names are sha256 hex: their first digits are already uniform */
	for (int i = 0; i < 16 && name[i]; i++)
		h = h * 16 + (size_t)(name[i] <= '9' ? name[i] - '0' : name[i] - 'a' + 10);
	return h;
}

static struct obj *obj_find(struct obj_table *t, const char *name)
{
	if (!t->nslots)
		return NULL;
	for (size_t i = name_hash(name) & (t->nslots - 1);; i = (i + 1) & (t->nslots - 1)) {
		if (!t->slots[i])
			return NULL;
		if (!strcmp(t->objs.v[t->slots[i] - 1].name, name))
			return &t->objs.v[t->slots[i] - 1];
	}
}

static void obj_slot(struct obj_table *t, size_t idx)
{
	size_t i = name_hash(t->objs.v[idx].name) & (t->nslots - 1);

	while (t->slots[i])
		i = (i + 1) & (t->nslots - 1);
	t->slots[i] = idx + 1;
}

static struct obj *obj_add(struct obj_table *t, const struct obj *o)
{
	ARRAY_PUSH(t->objs, *o);
	if (t->objs.n * 2 > t->nslots) {
		free(t->slots);
		t->nslots = t->nslots ? t->nslots * 2 : 64;
		t->slots = xcalloc(t->nslots, sizeof(*t->slots));
		for (size_t i = 0; i < t->objs.n; i++)
			obj_slot(t, i);
	} else {
		obj_slot(t, t->objs.n - 1);
	}
	return &t->objs.v[t->objs.n - 1];
}

/* One bad entry, as printed. */
struct problem {
	char key[65];
	char *why;
	int deleted;
};

struct verify_state {
	const struct cache_opts *o;
	struct cache_backend *b;
	const char *hmac_key;
	uint64_t max_object;
	struct argv_array names; /* the ac names listed */
	struct obj_table objs;
	ARRAY(struct problem) problems;
	long entries, deleted, objects_deleted;
	struct strbuf buf;
	char *cause; /* of the request that failed */
};

static int is_hex64(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 64;
}

static int collect_name(const char *hex, void *arg)
{
	struct verify_state *v = arg;

	if (!is_hex64(hex))
		return 0; /* not a name golive writes: not an entry */
	argv_push(&v->names, hex);
	return v->o->limit && (long)v->names.argc >= v->o->limit ? 1 : 0;
}

/* Fetches and re-hashes cas/<name> once. NULL with v->cause when a request failed. */
static struct obj *check_object(struct verify_state *v, const char *name)
{
	struct obj o, *found = obj_find(&v->objs, name);
	char hex[65];
	int rc;

	if (found)
		return found;
	memset(&o, 0, sizeof(o));
	memcpy(o.name, name, sizeof(o.name));
	rc = cache_get(v->b, CACHE_CAS, name, &v->buf, &v->cause);
	if (rc < 0)
		return NULL;
	if (rc == 0) {
		o.state = OBJ_MISSING;
		return obj_add(&v->objs, &o);
	}
	if (sha256_hex(v->buf.buf, v->buf.len, hex, &v->cause) < 0)
		return NULL;
	o.size = v->buf.len;
	o.state = strcmp(hex, name) == 0 ? OBJ_OK : OBJ_CORRUPT;
	if (o.state == OBJ_CORRUPT && v->o->del) {
		if (v->b->ops->del(v->b, CACHE_CAS, name, &v->cause) < 0)
			return NULL;
		v->objects_deleted++;
	}
	return obj_add(&v->objs, &o);
}

/* Adds "; " between the causes of one entry. */
static void add_why(struct strbuf *why, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void add_why(struct strbuf *why, const char *fmt, ...)
{
	va_list ap;

	if (why->len)
		strbuf_addstr(why, "; ");
	va_start(ap, fmt);
	strbuf_vaddf(why, fmt, ap);
	va_end(ap);
}

/* Checks ac/<key> and its outputs; -1 with v->cause when a request failed. */
static int check_entry(struct verify_state *v, const char *key)
{
	struct cache_entry e;
	struct strbuf why = STRBUF_INIT;
	char *cause = NULL;
	int rc;

	rc = cache_get(v->b, CACHE_AC, key, &v->buf, &v->cause);
	if (rc < 0)
		goto fail;
	if (rc == 0)
		return 0; /* gone since the listing (expired, or another verify) */
	v->entries++;
	if (cache_entry_decode(v->buf.buf, v->buf.len, key, v->hmac_key, v->max_object, &e,
	                       &cause) < 0) {
		strbuf_addstr(&why, cause);
		free(cause);
	} else {
		for (size_t i = 0; i < e.noutputs; i++) {
			const struct cache_entry_output *out = &e.outputs[i];
			struct obj *ob = check_object(v, out->sha256);

			if (!ob)
				goto fail;
			if (ob->state == OBJ_MISSING)
				add_why(&why, "cas %.*s: missing", SHORT_HEX, out->sha256);
			else if (ob->size != out->size)
				add_why(&why, "cas %.*s: size %" PRIu64 " != %" PRIu64, SHORT_HEX,
				        out->sha256, ob->size, out->size);
			else if (ob->state == OBJ_CORRUPT)
				add_why(&why, "cas %.*s: content does not match its sha256",
				        SHORT_HEX, out->sha256);
		}
	}
	if (why.len) {
		struct problem p;

		memset(&p, 0, sizeof(p));
		memcpy(p.key, key, sizeof(p.key));
		if (v->o->del) {
			if (v->b->ops->del(v->b, CACHE_AC, key, &v->cause) < 0)
				goto fail;
			p.deleted = 1;
			v->deleted++;
		}
		p.why = strbuf_detach(&why, NULL);
		if (!v->o->json)
			printf("bad entry %.*s: %s%s\n", SHORT_HEX, key, p.why,
			       p.deleted ? " (deleted)" : "");
		ARRAY_PUSH(v->problems, p);
	}
	return 0;
fail:
	strbuf_release(&why);
	return -1;
}

static json_t *verify_json(const struct verify_state *v)
{
	json_t *j = json_object(), *probs = json_array();

	json_object_set_new(j, "backend", json_string_lossy(v->b->display));
	json_object_set_new(j, "entries", json_integer(v->entries));
	json_object_set_new(j, "objects", json_integer((json_int_t)v->objs.objs.n));
	json_object_set_new(j, "bad", json_integer((json_int_t)v->problems.n));
	json_object_set_new(j, "deleted", json_integer(v->deleted));
	json_object_set_new(j, "objects_deleted", json_integer(v->objects_deleted));
	for (size_t i = 0; i < v->problems.n; i++)
		json_array_append_new(probs,
		                      json_pack("{s:s, s:o, s:b}", "key", v->problems.v[i].key,
		                                "problem", json_string_lossy(v->problems.v[i].why),
		                                "deleted", v->problems.v[i].deleted));
	json_object_set_new(j, "problems", probs);
	return j;
}

static int cache_verify(const struct cache_opts *o)
{
	struct cache_settings s;
	struct verify_state v;
	char *cause = NULL, hex[65];
	const char *key = getenv("GOLIVE_CACHE_HMAC_KEY");
	int ret, rc;

	memset(&v, 0, sizeof(v));
	v.o = o;
	strbuf_init(&v.buf, 0);
	ret = open_cache(o, &s, &v.b);
	if (ret)
		goto out;
	ret = EXIT_USAGE;
	if (o->del && s.mode != CACHE_MODE_READ_WRITE) {
		say("cache verify --delete: the cache is %s (--delete needs read-write)",
		    cache_mode_name(s.mode));
		goto out;
	}
	v.hmac_key = key && *key ? key : NULL;
	v.max_object = s.max_object;
	ret = 1;
	/* before anything is judged (or deleted): libcrypto must work */
	if (sha256_hex("", 0, hex, &cause) < 0) {
		say("cache verify: %s", cause);
		goto out;
	}
	rc = v.b->ops->list(v.b, CACHE_AC, collect_name, &v, &cause);
	if (rc == -2) {
		say("cache verify: %s cannot list its entries (HTTP); verify works on dir:// and "
		    "redis:// backends",
		    v.b->display);
		ret = EXIT_USAGE;
		goto out;
	}
	if (rc < 0) {
		say("cache %s: %s", v.b->display, cause);
		goto out;
	}
	for (size_t i = 0; i < v.names.argc; i++) {
		if (check_entry(&v, v.names.argv[i]) < 0) {
			fflush(stdout);
			say("cache %s: %s", v.b->display, v.cause);
			goto out;
		}
	}
	if (o->json) {
		if (print_json(verify_json(&v), "verify") < 0)
			goto out;
	} else {
		printf("golive: cache verify: %ld entries, %zu objects checked, %zu bad", v.entries,
		       v.objs.objs.n, v.problems.n);
		if (o->del)
			printf(" (%ld deleted)", v.deleted);
		printf("\n");
	}
	ret = v.problems.n ? 1 : 0;
out:
	free(cause);
	free(v.cause);
	for (size_t i = 0; i < v.problems.n; i++)
		free(v.problems.v[i].why);
	ARRAY_FREE(v.problems);
	ARRAY_FREE(v.objs.objs);
	free(v.objs.slots);
	argv_clear(&v.names);
	strbuf_release(&v.buf);
	if (v.b)
		cache_backend_close(v.b);
	cache_settings_release(&s);
	return ret;
}

/* ---- prog ------------------------------------------------------------------ */

/*
 * golive cache prog: runs under go, so a configuration problem is one warning
 * and a local cache, never a failed build.
 */
static int cache_prog(const struct cache_opts *o)
{
	struct golive_config cfg;
	struct cache_settings s;
	struct cache_prog_options po;
	const char *path = o->config, *hk = getenv("GOLIVE_CACHE_HMAC_KEY");
	char *cause = NULL;
	int ret;

	if (!path) {
		path = getenv("GOLIVE_CONFIG");
		if (path && !*path)
			path = NULL;
	}
	config_init(&cfg);
	cache_settings_init(&s);
	if (config_load(&cfg, path, &cause) < 0) {
		fprintf(stderr, "golive cache prog: warning: %s; working as a local cache\n",
		        cause);
		cache_settings_init(&s);
	} else if (cache_settings_resolve(&cfg, &s, &cause) < 0) {
		fprintf(stderr, "golive cache prog: warning: %s; working as a local cache\n",
		        cause);
		cache_settings_release(&s);
	}
	memset(&po, 0, sizeof(po));
	po.dir = o->dir;
	po.settings = &s;
	po.hmac_key = hk && *hk ? hk : NULL;
	po.flush_ms = o->flush_ms > LONG_MAX ? LONG_MAX : (long)o->flush_ms;
	po.stats = o->stats;
	po.in_fd = 0;
	po.out_fd = 1;
	po.err_fd = 2;
	ret = cache_prog_run(&po);
	free(cause);
	cache_settings_release(&s);
	config_release(&cfg);
	return ret;
}

int cmd_cache(int argc, char **argv)
{
	struct cache_opts o;
	const char *sub = argc > 1 ? argv[1] : NULL;
	int verify, prog;

	if (!sub) {
		fputs(cache_usage, stderr);
		return EXIT_USAGE;
	}
	if (is_help_flag(sub) || !strcmp(sub, "help")) {
		fputs(cache_usage, stdout);
		return 0;
	}
	if (strcmp(sub, "stats") && strcmp(sub, "verify") && strcmp(sub, "prog")) {
		error("golive cache: unknown subcommand \"%s\" (want stats, verify or prog; see "
		      "golive cache --help)",
		      sub);
		return EXIT_USAGE;
	}
	verify = !strcmp(sub, "verify");
	prog = !strcmp(sub, "prog");
	memset(&o, 0, sizeof(o));
	if (parse_opts(&o, sub, verify, prog, argc - 1, argv + 1) < 0)
		return EXIT_USAGE;
	if (prog)
		return cache_prog(&o);
	return verify ? cache_verify(&o) : cache_stats(&o);
}
