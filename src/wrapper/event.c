/* event.c - see event.h. */
#include "wrapper/event.h"
#include "core/jsonl.h"
#include "trace/tracectx.h"
#include "core/util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void event_release(struct event *ev)
{
	free(ev->tool);
	free(ev->importpath);
	free(ev->pkg);
	free(ev->path);
	free(ev->rcache);
	free(ev->rcache_note);
	free(ev->rcache_key);
	memset(ev, 0, sizeof(*ev));
}

static void set_str(json_t *o, const char *key, const char *v)
{
	if (v)
		json_object_set_new(o, key, json_string(v));
}

static void set_int(json_t *o, const char *key, long long v)
{
	json_object_set_new(o, key, json_integer(v));
}

char *event_encode(const struct event *ev, size_t *len)
{
	json_t *o = json_object();
	set_str(o, "tool", ev->tool ? ev->tool : "");
	set_str(o, "importpath", ev->importpath);
	set_str(o, "pkg", ev->pkg);
	set_int(o, "files", ev->files);
	set_int(o, "bytes", ev->bytes);
	set_int(o, "start_ns", ev->start_ns);
	set_int(o, "wall_ns", ev->wall_ns);
	set_int(o, "tool_user_ns", ev->tool_user_ns);
	set_int(o, "tool_sys_ns", ev->tool_sys_ns);
	set_int(o, "tool_maxrss_kb", ev->tool_maxrss_kb);
	set_int(o, "self_user_ns", ev->self_user_ns);
	set_int(o, "self_sys_ns", ev->self_sys_ns);
	set_int(o, "self_maxrss_kb", ev->self_maxrss_kb);
	set_int(o, "exit", ev->exit);
	set_int(o, "signal", ev->signal);
	json_object_set_new(o, "probe", json_boolean(ev->probe));
	if (ev->analysed)
		set_int(o, "diags", ev->diags);
	set_str(o, "path", ev->path);
	if (ev->has_span) {
		char hex[33];
		tracectx_hex(ev->trace_id, sizeof(ev->trace_id), hex);
		set_str(o, "trace_id", hex);
		tracectx_hex(ev->span_id, sizeof(ev->span_id), hex);
		set_str(o, "span_id", hex);
		tracectx_hex(ev->parent_id, sizeof(ev->parent_id), hex);
		set_str(o, "parent_span_id", hex);
	}
	if (ev->rcache) {
		set_str(o, "rcache", ev->rcache);
		set_str(o, "rcache_note", ev->rcache_note);
		set_str(o, "rcache_key", ev->rcache_key);
		set_int(o, "rcache_bytes", ev->rcache_bytes);
		set_int(o, "rcache_ns", ev->rcache_ns);
		set_int(o, "rcache_saved_ns", ev->rcache_saved_ns);
		json_object_set_new(o, "rcache_store", json_boolean(ev->rcache_store));
		json_object_set_new(o, "rcache_dir_bound", json_boolean(ev->rcache_dir_bound));
	}
	return jsonl_encode(o, len);
}

static int get_str(json_t *o, const char *key, char **out, char **cause)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		*cause = xasprintf("field \"%s\": expected a string", key);
		return -1;
	}
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int get_int(json_t *o, const char *key, long long *out, char **cause)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return 0;
	if (!json_is_integer(v)) {
		*cause = xasprintf("field \"%s\": expected an integer", key);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

static int get_bool(json_t *o, const char *key, int *out, char **cause)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		*cause = xasprintf("field \"%s\": expected a boolean", key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

/* n bytes from 2n lowercase hex digits; -1 unless exactly that and not all zero. */
static int unhex(const char *s, uint8_t *out, size_t n)
{
	int nonzero = 0;
	if (strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < 2 * n; i++) {
		int c = (unsigned char)s[i], v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
		nonzero |= v;
	}
	return nonzero ? 0 : -1;
}

/* The optional span ids: all three valid, or none given. */
static int get_span(json_t *o, struct event *ev, char **cause)
{
	char *t = NULL, *sp = NULL, *pa = NULL;
	int rc = 0;
	if (get_str(o, "trace_id", &t, cause) || get_str(o, "span_id", &sp, cause) ||
	    get_str(o, "parent_span_id", &pa, cause)) {
		rc = -1;
	} else if (t || sp || pa) {
		if (!t || !sp || !pa || unhex(t, ev->trace_id, 16) || unhex(sp, ev->span_id, 8) ||
		    unhex(pa, ev->parent_id, 8)) {
			*cause = xstrdup("fields \"trace_id\", \"span_id\", \"parent_span_id\": "
			                 "expected all three, as non-zero lowercase hex");
			rc = -1;
		} else {
			ev->has_span = 1;
		}
	}
	free(t);
	free(sp);
	free(pa);
	return rc;
}

int event_decode(struct event *ev, const char *line, size_t len, char **cause)
{
	json_error_t jerr;
	memset(ev, 0, sizeof(*ev));
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o) {
		*cause = xasprintf("column %d: %s", jerr.column, jerr.text);
		return -1;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		*cause = xstrdup("expected a JSON object");
		return -1;
	}
	long long files = 0, bytes = 0, start = 0, wall = 0, tu = 0, ts = 0, trss = 0, su = 0,
	          ss = 0, srss = 0, ex = 0, sig = 0, diags = -1, rbytes = 0, rns = 0, rsaved = 0;
	int rc = 0;
	if (get_str(o, "tool", &ev->tool, cause) ||
	    get_str(o, "importpath", &ev->importpath, cause) ||
	    get_str(o, "pkg", &ev->pkg, cause) || get_int(o, "files", &files, cause) ||
	    get_int(o, "bytes", &bytes, cause) || get_int(o, "start_ns", &start, cause) ||
	    get_int(o, "wall_ns", &wall, cause) || get_int(o, "tool_user_ns", &tu, cause) ||
	    get_int(o, "tool_sys_ns", &ts, cause) || get_int(o, "tool_maxrss_kb", &trss, cause) ||
	    get_int(o, "self_user_ns", &su, cause) || get_int(o, "self_sys_ns", &ss, cause) ||
	    get_int(o, "self_maxrss_kb", &srss, cause) || get_int(o, "exit", &ex, cause) ||
	    get_int(o, "signal", &sig, cause) || get_int(o, "diags", &diags, cause) ||
	    get_str(o, "path", &ev->path, cause) || get_span(o, ev, cause) ||
	    get_str(o, "rcache", &ev->rcache, cause) ||
	    get_str(o, "rcache_note", &ev->rcache_note, cause) ||
	    get_str(o, "rcache_key", &ev->rcache_key, cause) ||
	    get_int(o, "rcache_bytes", &rbytes, cause) || get_int(o, "rcache_ns", &rns, cause) ||
	    get_int(o, "rcache_saved_ns", &rsaved, cause) ||
	    get_bool(o, "rcache_store", &ev->rcache_store, cause) ||
	    get_bool(o, "rcache_dir_bound", &ev->rcache_dir_bound, cause)) {
		rc = -1;
		goto out;
	}
	json_t *probe = json_object_get(o, "probe");
	if (probe && !json_is_boolean(probe)) {
		*cause = xstrdup("field \"probe\": expected a boolean");
		rc = -1;
		goto out;
	}
	ev->probe = probe && json_is_true(probe);
	ev->rcache_bytes = rbytes;
	ev->rcache_ns = rns;
	ev->rcache_saved_ns = rsaved;
	ev->files = (long)files;
	ev->bytes = bytes;
	ev->start_ns = start;
	ev->wall_ns = wall;
	ev->tool_user_ns = tu;
	ev->tool_sys_ns = ts;
	ev->tool_maxrss_kb = (long)trss;
	ev->self_user_ns = su;
	ev->self_sys_ns = ss;
	ev->self_maxrss_kb = (long)srss;
	ev->exit = (int)ex;
	ev->signal = (int)sig;
	ev->analysed = diags >= 0;
	ev->diags = diags >= 0 ? (long)diags : 0;
	if (!ev->tool) {
		*cause = xstrdup("field \"tool\" is missing");
		rc = -1;
	}
out:
	json_decref(o);
	if (rc)
		event_release(ev);
	return rc;
}
