/*
 * libFuzzer target: cache_entry_decode() on arbitrary bytes (a manifest
 * from a shared cache), with and without an HMAC key. Whatever decodes
 * must encode and decode again to the same entry, signed or not; a signed
 * manifest with one byte changed must not verify as another entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache_entry.h"
#include "core/util.h"

#define HMAC_KEY   "fuzz-hmac-key"
#define MAX_OBJECT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_equal(const struct cache_entry *a, const struct cache_entry *b)
{
	if (strcmp(a->key, b->key) || strcmp(a->tool, b->tool) || strcmp(a->golive, b->golive) ||
	    a->tool_ns != b->tool_ns || a->created != b->created || a->noutputs != b->noutputs)
		BUG("cache entry round trip changed the entry");
	for (size_t i = 0; i < a->noutputs; i++)
		if (strcmp(a->outputs[i].role, b->outputs[i].role) ||
		    strcmp(a->outputs[i].sha256, b->outputs[i].sha256) ||
		    a->outputs[i].size != b->outputs[i].size)
			BUG("cache entry round trip changed output %zu", i);
}

/* encode e (signed under sign_key, or not) and decode it again under the same key. */
static void round_trip(const struct cache_entry *e, const char *sign_key)
{
	struct cache_entry back;
	char *cause = NULL, *text;
	size_t len;

	text = cache_entry_encode(e, sign_key, &len, &cause);
	if (!text)
		BUG("a decoded entry does not encode: %s", cause);
	if (cache_entry_decode(text, len, e->key, sign_key, MAX_OBJECT, &back, &cause) < 0)
		BUG("an encoded entry does not decode: %s\n%s", cause, text);
	check_equal(e, &back);
	if (back.signed_ != (sign_key != NULL))
		BUG("signed_ is %d after a round trip", back.signed_);
	free(text);
}

/*
 * Input starting with '\x01': the rest follows a valid head up to
 * "outputs", so that runs from an empty corpus (ctest's smoke run) reach
 * the outputs and the round trip instead of spending their time on the
 * first members. Anything else is decoded as it is.
 */
static const char head[] = "{\"format\":1,\"key\":\"0123456789abcdef0123456789abcdef"
                           "0123456789abcdef0123456789abcdef\",\"tool\":\"compile\","
                           "\"golive\":\"0.1.0\",\"tool_ns\":1,\"created\":2,\"outputs\":";

/* Bytes handed out one at a time, 0 when used up. */
struct bytes {
	const uint8_t *p;
	size_t n;
};

static uint8_t next(struct bytes *b)
{
	if (!b->n)
		return 0;
	b->n--;
	return *b->p++;
}

/*
 * Input starting with '\x02': an entry built from the bytes, signed, then
 * one byte of the text changed. Under the key, the changed text must either
 * fail or decode to the very same entry: the signature binds every field.
 */
static void signed_mutation(const uint8_t *data, size_t size)
{
	static const char *const roles[] = {"o", "asmhdr", "linkobj"};
	static const char hex[] = "0123456789abcdef";
	struct bytes b = {data, size};
	struct cache_entry e, back;
	char *cause = NULL, *text;
	size_t len, n, pos;
	uint8_t to;

	memset(&e, 0, sizeof(e));
	for (int i = 0; i < 64; i++)
		e.key[i] = hex[next(&b) & 15];
	strcpy(e.tool, "compile");
	n = next(&b) % 12;
	for (size_t i = 0; i < n; i++)
		e.golive[i] = (char)(0x20 + next(&b) % 0x5f);
	if (!n)
		strcpy(e.golive, "v");
	e.tool_ns = (int64_t)next(&b) << 24 | next(&b);
	e.created = (int64_t)next(&b) << 32 | next(&b);
	e.noutputs = 1 + next(&b) % 3;
	for (size_t i = 0; i < e.noutputs; i++) {
		strcpy(e.outputs[i].role, roles[i]);
		for (int j = 0; j < 64; j++)
			e.outputs[i].sha256[j] = hex[next(&b) & 15];
		e.outputs[i].size = (uint64_t)next(&b) << 8 | next(&b);
	}
	text = cache_entry_encode(&e, HMAC_KEY, &len, &cause);
	if (!text)
		BUG("a built entry does not encode: %s", cause);
	if (cache_entry_decode(text, len, e.key, HMAC_KEY, MAX_OBJECT, &back, &cause) < 0)
		BUG("a built entry does not decode: %s\n%s", cause, text);
	check_equal(&e, &back);
	pos = ((size_t)next(&b) << 8 | next(&b)) % len;
	to = next(&b);
	text[pos] = (char)to;
	if (cache_entry_decode(text, len, e.key, HMAC_KEY, MAX_OBJECT, &back, &cause) == 0)
		check_equal(&e, &back);
	else
		free(cause);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cache_entry e;
	char *cause = NULL;
	struct strbuf sb = STRBUF_INIT;

	if (size && data[0] == 2) {
		signed_mutation(data + 1, size - 1);
		return 0;
	}
	if (size && data[0] == 1) {
		strbuf_addstr(&sb, head);
		strbuf_add(&sb, data + 1, size - 1);
		data = (const uint8_t *)sb.buf;
		size = sb.len;
	}

	/* no key: any well-formed manifest, then signed and unsigned round trips */
	if (cache_entry_decode((const char *)data, size, NULL, NULL, MAX_OBJECT, &e, &cause) == 0) {
		if (e.signed_)
			BUG("signed_ set without a key");
		round_trip(&e, NULL);
		round_trip(&e, HMAC_KEY);
	} else {
		if (!cause || strncmp(cause, "manifest: ", 10) != 0 || strchr(cause, '\n'))
			BUG("bad cause: %s", cause ? cause : "(null)");
		free(cause);
		cause = NULL;
	}
	/* with a key: only a signature the fuzzer cannot forge gets through */
	if (cache_entry_decode((const char *)data, size, NULL, HMAC_KEY, MAX_OBJECT, &e, &cause) ==
	    0) {
		if (!e.signed_)
			BUG("accepted unsigned under a key");
		round_trip(&e, HMAC_KEY);
	} else {
		free(cause);
	}
	strbuf_release(&sb);
	return 0;
}
