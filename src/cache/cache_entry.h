/*
 * cache_entry.h - the manifest stored under ac/<key> (docs/cache.md, "Entries").
 *
 * A manifest is one JSON object:
 *   {"format":1, "key":"<hex>", "tool":"compile", "golive":"<version>",
 *    "tool_ns":<the tool's wall time when it ran>, "created":<unix seconds>,
 *    "outputs":[{"role":"o","sha256":"<hex>","size":N}, ...],
 *    "hmac":"<hex>"}            (only when signed)
 * The HMAC is HMAC-SHA256 under the key from GOLIVE_CACHE_HMAC_KEY over
 * "golive-cache-entry v1\n" + key + "\n" + the canonical text of the
 * manifest without "hmac" (keys in the order above, no spaces; strings are
 * printable ASCII, so the only escapes are \" and \\). Binding
 * the key stops a signed manifest being replayed under another key; the
 * outputs' hashes bind their contents (checked on every hit).
 *
 * When the reader has an HMAC key, an unsigned or wrongly signed manifest
 * is rejected. Without one, signatures are not checked (an "hmac" member
 * must still be 64 lowercase hex digits). An empty key counts as none.
 *
 * Decoding is strict, since the bytes come from a shared store: duplicate
 * or unknown members, wrong JSON types, negative numbers, strings that do
 * not fit the struct below or are not printable ASCII, and manifests over
 * CACHE_ENTRY_MAX_SIZE bytes are all rejected.
 */
#ifndef GOLIVE_CACHE_ENTRY_H
#define GOLIVE_CACHE_ENTRY_H

#include "cache/cache_key.h"

#include <stddef.h>
#include <stdint.h>

#define CACHE_ENTRY_FORMAT   1
#define CACHE_ENTRY_MAX_SIZE 65536 /* bytes of a manifest decode accepts */

struct cache_entry_output {
	char role[16];   /* "o", "asmhdr", "linkobj" */
	char sha256[65]; /* of the output's bytes */
	uint64_t size;
};

struct cache_entry {
	char key[65];    /* 64 lowercase hex digits: the name under ac/ */
	char tool[32];   /* "compile"; printable ASCII */
	char golive[64]; /* the writer's version; printable ASCII */
	int64_t tool_ns; /* >= 0 */
	int64_t created; /* >= 0 */
	struct cache_entry_output outputs[CACHE_MAX_OUTPUTS];
	size_t noutputs;
	int signed_; /* decode: 1 when it carried an hmac that verified */
};

/*
 * Encodes e as compact JSON (malloc'd, NUL-terminated, no newline, length
 * in *len when len is non-NULL), signed when hmac_key is non-NULL and
 * non-empty. e must pass decode's checks (e->signed_ is ignored), so what
 * encode writes always decodes. NULL with *cause ("manifest: ...") when it
 * does not, or when signing failed (libcrypto missing).
 */
char *cache_entry_encode(const struct cache_entry *e, const char *hmac_key, size_t *len,
                         char **cause);

/*
 * Decodes buf[0..len) (untrusted bytes) into *e and checks it: format 1,
 * key equal to expect_key (NULL: any key, for tools that only inspect),
 * 1..CACHE_MAX_OUTPUTS outputs with known roles, each once, one of them
 * "o", lowercase hex hashes, sizes <= max_object (0: no limit), and the
 * HMAC when hmac_key is non-NULL and non-empty. 0, or -1 with *cause (one
 * line, malloc'd, never longer than about 100 bytes of the input:
 * "manifest: not signed", "manifest: bad signature", "manifest: key
 * mismatch", ...) and *e zeroed.
 */
int cache_entry_decode(const char *buf, size_t len, const char *expect_key, const char *hmac_key,
                       uint64_t max_object, struct cache_entry *e, char **cause);

#endif
