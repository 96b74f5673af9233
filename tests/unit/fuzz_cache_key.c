/*
 * libFuzzer target: cache_key_importcfg() and cache_key_embedcfg() on
 * arbitrary bytes, with a fake hash_file (no file is opened): paths
 * containing "missing" fail, others hash to a digest of the path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache_key.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 64 hex digits derived from the path, without libcrypto (the fuzzer stays fast). */
static int fake_hash(const char *path, char hex[65], char **why)
{
	static const char digits[] = "0123456789abcdef";
	uint64_t h = 1469598103934665603ull;

	if (strstr(path, "missing")) {
		*why = xasprintf("unreadable input %s: No such file or directory", path);
		return -1;
	}
	for (const char *c = path; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	for (int i = 0; i < 64; i++)
		hex[i] = digits[(h >> ((i % 16) * 4)) & 0xf];
	hex[64] = '\0';
	return 0;
}

/* A result is either text with every line ending in '\n', or a one-line reason. */
static void check(int rc, const struct strbuf *out, char *why)
{
	if (rc == 0) {
		if (why)
			abort();
		if (out->len && out->buf[out->len - 1] != '\n')
			abort();
		if (memchr(out->buf, '\0', out->len))
			abort();
	} else if (rc != -1 || !why || !*why || strchr(why, '\n')) {
		abort();
	}
	free(why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf out = STRBUF_INIT;
	char *why = NULL;
	int rc;

	rc = cache_key_importcfg((const char *)data, size, &out, fake_hash, &why);
	if (rc == 0) {
		/* Every line kept is a packagefile with a hash or an importmap. */
		for (char *p = out.buf; p < out.buf + out.len;) {
			char *nl = memchr(p, '\n', (size_t)(out.buf + out.len - p));
			if (!nl)
				abort();
			if (!starts_with(p, "packagefile ") && !starts_with(p, "importmap "))
				abort();
			if (starts_with(p, "packagefile ") &&
			    (nl - p < 72 || memcmp(nl - 72, "=sha256:", 8)))
				abort();
			p = nl + 1;
		}
	}
	check(rc, &out, why);
	strbuf_reset(&out);

	why = NULL;
	rc = cache_key_embedcfg((const char *)data, size, &out, fake_hash, &why);
	if (rc == 0 && !starts_with(out.buf, "patterns "))
		abort();
	check(rc, &out, why);
	strbuf_release(&out);
	return 0;
}
