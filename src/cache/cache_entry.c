/*
 * cache_entry.c - the manifest under ac/<key>: encode, and decode + check
 * untrusted bytes (see cache_entry.h).
 *
 * Both directions go through one canonical form: entry_to_json() builds the
 * object from a struct cache_entry in the header's key order, and the signed
 * text is that object dumped compactly. decode rebuilds the struct from the
 * bytes, checks it, and signs the struct's canonical text again, so what is
 * verified is exactly what the caller gets, whatever spacing or escapes the
 * stored bytes used.
 */
#include "cache/cache_entry.h"
#include "core/crypto.h"
#include "core/util.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIGN_DOMAIN "golive-cache-entry v1\n"

static const char *const known_roles[] = {"o", "asmhdr", "linkobj"};

/* Sets *cause to "manifest: <fmt>" and returns -1. */
static PRINTF_LIKE(2, 3) int fail(char **cause, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	strbuf_addstr(&sb, "manifest: ");
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (cause)
		*cause = strbuf_detach(&sb, NULL);
	else
		strbuf_release(&sb);
	return -1;
}

/*
 * Untrusted text made fit for a one-line message: at most size - 3 bytes
 * (then ".."), bytes outside printable ASCII and '"', '\\' as '?'. Into buf.
 */
static const char *quote_safe(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	for (; *s && n + 3 < size; s++)
		buf[n++] = (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\') ? *s : '?';
	if (*s)
		buf[n++] = '.', buf[n++] = '.';
	buf[n] = '\0';
	return buf;
}

static int is_lower_hex64(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 64;
}

/* Non-empty printable ASCII (space included), so a message can show it. */
static int is_printable(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < 0x20 || *s >= 0x7f)
			return 0;
	return 1;
}

static int known_role(const char *r)
{
	for (size_t i = 0; i < ARRAY_SIZE(known_roles); i++)
		if (strcmp(r, known_roles[i]) == 0)
			return 1;
	return 0;
}

/*
 * The checks decode makes on the decoded struct, shared with encode so that
 * whatever encode writes decodes again. max_object 0: no size limit.
 */
static int check_entry(const struct cache_entry *e, uint64_t max_object, char **cause)
{
	int have_o = 0;

	if (!memchr(e->key, '\0', sizeof(e->key)) || !is_lower_hex64(e->key))
		return fail(cause, "key is not 64 lowercase hex digits");
	if (!memchr(e->tool, '\0', sizeof(e->tool)) || !is_printable(e->tool))
		return fail(cause, "tool is empty, too long or not printable ASCII");
	if (!memchr(e->golive, '\0', sizeof(e->golive)) || !is_printable(e->golive))
		return fail(cause, "golive is empty, too long or not printable ASCII");
	if (e->tool_ns < 0)
		return fail(cause, "tool_ns is negative");
	if (e->created < 0)
		return fail(cause, "created is negative");
	if (e->noutputs == 0)
		return fail(cause, "no outputs");
	if (e->noutputs > CACHE_MAX_OUTPUTS)
		return fail(cause, "%zu outputs (at most %d)", e->noutputs, CACHE_MAX_OUTPUTS);
	for (size_t i = 0; i < e->noutputs; i++) {
		const struct cache_entry_output *o = &e->outputs[i];
		char q[40];

		if (!memchr(o->role, '\0', sizeof(o->role)) || !known_role(o->role))
			return fail(
			    cause, "outputs[%zu]: unknown role \"%s\"", i,
			    quote_safe(memchr(o->role, '\0', sizeof(o->role)) ? o->role : "", q,
			               sizeof(q)));
		for (size_t j = 0; j < i; j++)
			if (strcmp(e->outputs[j].role, o->role) == 0)
				return fail(cause, "outputs[%zu]: role \"%s\" repeated", i,
				            o->role);
		if (!memchr(o->sha256, '\0', sizeof(o->sha256)) || !is_lower_hex64(o->sha256))
			return fail(cause, "outputs[%zu]: sha256 is not 64 lowercase hex digits",
			            i);
		if (o->size > (uint64_t)INT64_MAX)
			return fail(cause, "outputs[%zu]: size %" PRIu64 " too large", i, o->size);
		if (max_object && o->size > max_object)
			return fail(cause, "outputs[%zu]: size %" PRIu64 " > max_object %" PRIu64,
			            i, o->size, max_object);
		if (strcmp(o->role, "o") == 0)
			have_o = 1;
	}
	if (!have_o)
		return fail(cause, "no \"o\" output");
	return 0;
}

/* The manifest without "hmac", keys in the header's order (a new reference). */
static json_t *entry_to_json(const struct cache_entry *e)
{
	json_t *o = json_object(), *outs = json_array();

	json_object_set_new(o, "format", json_integer(CACHE_ENTRY_FORMAT));
	json_object_set_new(o, "key", json_string(e->key));
	json_object_set_new(o, "tool", json_string(e->tool));
	json_object_set_new(o, "golive", json_string(e->golive));
	json_object_set_new(o, "tool_ns", json_integer((json_int_t)e->tool_ns));
	json_object_set_new(o, "created", json_integer((json_int_t)e->created));
	for (size_t i = 0; i < e->noutputs; i++) {
		json_t *out = json_object();

		json_object_set_new(out, "role", json_string(e->outputs[i].role));
		json_object_set_new(out, "sha256", json_string(e->outputs[i].sha256));
		json_object_set_new(out, "size", json_integer((json_int_t)e->outputs[i].size));
		json_array_append_new(outs, out);
	}
	json_object_set_new(o, "outputs", outs);
	return o;
}

/* Compact, keys in insertion order, no spaces: the canonical text. */
static char *dump_compact(const json_t *o)
{
	return json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

/* HMAC-SHA256 of SIGN_DOMAIN + key + "\n" + canonical under hmac_key into out. */
static int sign(const char *hmac_key, const char *key, const char *canonical, char out[65],
                char **cause)
{
	struct strbuf msg = STRBUF_INIT;
	char *why = NULL;
	int rc;

	strbuf_addstr(&msg, SIGN_DOMAIN);
	strbuf_addstr(&msg, key);
	strbuf_addch(&msg, '\n');
	strbuf_addstr(&msg, canonical);
	rc = hmac_sha256_hex(hmac_key, strlen(hmac_key), msg.buf, msg.len, out, &why);
	strbuf_release(&msg);
	if (rc < 0) {
		fail(cause, "cannot compute the signature: %s", why ? why : "hmac failed");
		free(why);
		return -1;
	}
	return 0;
}

char *cache_entry_encode(const struct cache_entry *e, const char *hmac_key, size_t *len,
                         char **cause)
{
	json_t *o;
	char *text, mac[65];

	if (check_entry(e, 0, cause) < 0)
		return NULL;
	o = entry_to_json(e);
	text = dump_compact(o);
	if (!text) {
		json_decref(o);
		fail(cause, "cannot encode as JSON");
		return NULL;
	}
	if (hmac_key && *hmac_key) {
		int rc = sign(hmac_key, e->key, text, mac, cause);

		free(text);
		if (rc < 0) {
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, "hmac", json_string(mac));
		text = dump_compact(o);
		if (!text) {
			json_decref(o);
			fail(cause, "cannot encode as JSON");
			return NULL;
		}
	}
	json_decref(o);
	if (len)
		*len = strlen(text);
	return text;
}

/* Copies the string member name of o into dst[size]; -1 with *cause. */
static int get_string(json_t *o, const char *name, char *dst, size_t size, char **cause)
{
	json_t *v = json_object_get(o, name);
	const char *s;

	if (!v)
		return fail(cause, "missing \"%s\"", name);
	if (!json_is_string(v))
		return fail(cause, "\"%s\" is not a string", name);
	s = json_string_value(v);
	if (json_string_length(v) >= size)
		return fail(cause, "\"%s\" is too long (%zu bytes, at most %zu)", name,
		            json_string_length(v), size - 1);
	memcpy(dst, s, json_string_length(v) + 1);
	return 0;
}

/* The integer member name of o, >= 0, into *out; -1 with *cause. */
static int get_uint(json_t *o, const char *name, json_int_t *out, char **cause)
{
	json_t *v = json_object_get(o, name);

	if (!v)
		return fail(cause, "missing \"%s\"", name);
	if (!json_is_integer(v))
		return fail(cause, "\"%s\" is not an integer", name);
	*out = json_integer_value(v);
	if (*out < 0)
		return fail(cause, "\"%s\" is negative", name);
	return 0;
}

/* Fails on a member of o not in names[0..n). */
static int only_fields(json_t *o, const char *const *names, size_t n, const char *where,
                       char **cause)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		size_t i;
		char q[40];

		for (i = 0; i < n; i++)
			if (strcmp(k, names[i]) == 0)
				break;
		if (i == n)
			return fail(cause, "%sunknown field \"%s\"", where,
			            quote_safe(k, q, sizeof(q)));
	}
	return 0;
}

static int decode_output(json_t *v, size_t i, struct cache_entry_output *out, char **cause)
{
	static const char *const fields[] = {"role", "sha256", "size"};
	char where[32], *why = NULL;
	json_int_t size = 0;

	snprintf(where, sizeof(where), "outputs[%zu]: ", i);
	if (!json_is_object(v))
		return fail(cause, "outputs[%zu] is not an object", i);
	if (only_fields(v, fields, ARRAY_SIZE(fields), where, cause) < 0)
		return -1;
	if (get_string(v, "role", out->role, sizeof(out->role), &why) < 0 ||
	    get_string(v, "sha256", out->sha256, sizeof(out->sha256), &why) < 0 ||
	    get_uint(v, "size", &size, &why) < 0) {
		/* why is "manifest: ..."; put the index after the prefix */
		fail(cause, "%s%s", where, why + strlen("manifest: "));
		free(why);
		return -1;
	}
	out->size = (uint64_t)size;
	return 0;
}

int cache_entry_decode(const char *buf, size_t len, const char *expect_key, const char *hmac_key,
                       uint64_t max_object, struct cache_entry *e, char **cause)
{
	static const char *const fields[] = {"format",  "key",     "tool",    "golive",
	                                     "tool_ns", "created", "outputs", "hmac"};
	json_error_t jerr;
	json_t *o = NULL, *v, *outs, *mac;
	json_int_t n = 0;
	char *canonical = NULL, want[65];
	int rc = -1;

	memset(e, 0, sizeof(*e));
	if (len > CACHE_ENTRY_MAX_SIZE) {
		fail(cause, "%zu bytes (at most %d)", len, CACHE_ENTRY_MAX_SIZE);
		goto out;
	}
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o) {
		char q[100];

		if (json_error_code(&jerr) == json_error_duplicate_key)
			fail(cause, "duplicate field at byte %d", jerr.position);
		else
			fail(cause, "not JSON: %s at byte %d", quote_safe(jerr.text, q, sizeof(q)),
			     jerr.position);
		goto out;
	}
	if (!json_is_object(o)) {
		fail(cause, "not a JSON object");
		goto out;
	}
	/* the format first: another format may have other fields */
	v = json_object_get(o, "format");
	if (!v) {
		fail(cause, "missing \"format\"");
		goto out;
	}
	if (!json_is_integer(v) || json_integer_value(v) != CACHE_ENTRY_FORMAT) {
		if (json_is_integer(v))
			fail(cause, "format %" JSON_INTEGER_FORMAT " (want %d)",
			     json_integer_value(v), CACHE_ENTRY_FORMAT);
		else
			fail(cause, "\"format\" is not an integer");
		goto out;
	}
	if (only_fields(o, fields, ARRAY_SIZE(fields), "", cause) < 0)
		goto out;
	if (get_string(o, "key", e->key, sizeof(e->key), cause) < 0 ||
	    get_string(o, "tool", e->tool, sizeof(e->tool), cause) < 0 ||
	    get_string(o, "golive", e->golive, sizeof(e->golive), cause) < 0)
		goto out;
	if (get_uint(o, "tool_ns", &n, cause) < 0)
		goto out;
	e->tool_ns = n;
	if (get_uint(o, "created", &n, cause) < 0)
		goto out;
	e->created = n;
	outs = json_object_get(o, "outputs");
	if (!outs) {
		fail(cause, "missing \"outputs\"");
		goto out;
	}
	if (!json_is_array(outs)) {
		fail(cause, "\"outputs\" is not an array");
		goto out;
	}
	if (json_array_size(outs) > CACHE_MAX_OUTPUTS) {
		fail(cause, "%zu outputs (at most %d)", json_array_size(outs), CACHE_MAX_OUTPUTS);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(outs); i++)
		if (decode_output(json_array_get(outs, i), i, &e->outputs[i], cause) < 0)
			goto out;
	e->noutputs = json_array_size(outs);
	if (check_entry(e, max_object, cause) < 0)
		goto out;
	if (expect_key && strcmp(e->key, expect_key) != 0) {
		fail(cause, "key mismatch");
		goto out;
	}

	mac = json_object_get(o, "hmac");
	if (mac && (!json_is_string(mac) || !is_lower_hex64(json_string_value(mac)) ||
	            json_string_length(mac) != 64)) {
		fail(cause, "\"hmac\" is not 64 lowercase hex digits");
		goto out;
	}
	if (hmac_key && *hmac_key) {
		json_t *c;

		if (!mac) {
			fail(cause, "not signed");
			goto out;
		}
		c = entry_to_json(e);
		canonical = dump_compact(c);
		json_decref(c);
		if (!canonical) {
			fail(cause, "cannot encode as JSON");
			goto out;
		}
		if (sign(hmac_key, e->key, canonical, want, cause) < 0)
			goto out;
		if (!hex_equal_ct(want, json_string_value(mac))) {
			fail(cause, "bad signature");
			goto out;
		}
		e->signed_ = 1;
	}
	rc = 0;
out:
	free(canonical);
	json_decref(o);
	if (rc < 0) {
		memset(e, 0, sizeof(*e));
	}
	return rc;
}
