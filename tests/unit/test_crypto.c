/*
 * test_crypto.c - unit tests of crypto.c (cmocka): sha256 one-shot and
 * incremental against FIPS 180-2 vectors, sha256 of files (and the causes
 * of failing ones), HMAC-SHA256 against RFC 4231, the constant-time
 * comparison, and that libcrypto stays out of golive's link.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crypto.h"
#include "core/util.h"

#define SHA_EMPTY   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_ABC     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_448     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
#define SHA_MILLION "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
#define MSG_448     "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"

static void test_sha256_vectors(void **state)
{
	char out[65], *cause = NULL;
	char *million = xmalloc(1000000);
	(void)state;

	assert_int_equal(sha256_hex("", 0, out, &cause), 0);
	assert_string_equal(out, SHA_EMPTY);
	assert_int_equal(sha256_hex(NULL, 0, out, &cause), 0);
	assert_string_equal(out, SHA_EMPTY);
	assert_int_equal(sha256_hex("abc", 3, out, &cause), 0);
	assert_string_equal(out, SHA_ABC);
	assert_int_equal(sha256_hex(MSG_448, 56, out, &cause), 0);
	assert_string_equal(out, SHA_448);
	memset(million, 'a', 1000000);
	assert_int_equal(sha256_hex(million, 1000000, out, &cause), 0);
	assert_string_equal(out, SHA_MILLION);
	assert_null(cause);
	free(million);
}

static void test_sha256_incremental(void **state)
{
	char out[65], *cause = NULL;
	char *million = xmalloc(1000000);
	struct sha256_ctx *c;
	(void)state;

	/* Nothing fed: the empty digest. */
	c = sha256_new(&cause);
	assert_non_null(c);
	assert_int_equal(sha256_final_hex(c, out, &cause), 0);
	assert_string_equal(out, SHA_EMPTY);
	sha256_free(c);

	/* Byte by byte, and in uneven pieces, equal the one-shot digests. */
	c = sha256_new(&cause);
	for (size_t i = 0; i < 56; i++)
		sha256_update(c, &MSG_448[i], 1);
	sha256_update(c, NULL, 0);
	assert_int_equal(sha256_final_hex(c, out, &cause), 0);
	assert_string_equal(out, SHA_448);
	sha256_free(c);

	memset(million, 'a', 1000000);
	c = sha256_new(&cause);
	for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 3 + 1) {
		size_t n = off + step > 1000000 ? 1000000 - off : step;
		sha256_update(c, million + off, n);
	}
	assert_int_equal(sha256_final_hex(c, out, &cause), 0);
	assert_string_equal(out, SHA_MILLION);
	/* Final once: a second final is refused with a cause. */
	assert_int_equal(sha256_final_hex(c, out, &cause), -1);
	assert_non_null(cause);
	assert_null(strchr(cause, '\n'));
	free(cause);
	sha256_free(c);
	sha256_free(NULL);
	free(million);
}

static void test_sha256_file(void **state)
{
	char tmpl[] = "/tmp/golive-test-crypto-XXXXXX", out[65], *cause = NULL;
	unsigned long long size = 0;
	char *path, *big, *fifo;
	char *million = xmalloc(1000000);
	FILE *f;
	(void)state;

	assert_non_null(mkdtemp(tmpl));
	path = xasprintf("%s/abc", tmpl);
	big = xasprintf("%s/million", tmpl);
	fifo = xasprintf("%s/fifo", tmpl);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("abc", f);
	fclose(f);
	assert_int_equal(sha256_file_hex(path, out, &size, &cause), 0);
	assert_string_equal(out, SHA_ABC);
	assert_int_equal(size, 3);
	assert_int_equal(sha256_file_hex(path, out, NULL, &cause), 0);

	/* More than one 64 KiB block. */
	memset(million, 'a', 1000000);
	f = fopen(big, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(million, 1, 1000000, f), 1000000);
	fclose(f);
	assert_int_equal(sha256_file_hex(big, out, &size, &cause), 0);
	assert_string_equal(out, SHA_MILLION);
	assert_int_equal(size, 1000000);
	assert_null(cause);

	/* Failures name the path and the reason, on one line. */
	unlink(path);
	assert_int_equal(sha256_file_hex(path, out, &size, &cause), -1);
	assert_non_null(strstr(cause, path));
	assert_non_null(strstr(cause, "No such file or directory"));
	free(cause);
	assert_int_equal(sha256_file_hex(tmpl, out, &size, &cause), -1);
	assert_non_null(strstr(cause, "Is a directory"));
	free(cause);
	/* A FIFO is refused without waiting for a writer. */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(sha256_file_hex(fifo, out, &size, &cause), -1);
	assert_non_null(strstr(cause, "not a regular file"));
	free(cause);

	unlink(big);
	unlink(fifo);
	rmdir(tmpl);
	free(path);
	free(big);
	free(fifo);
	free(million);
}

/* RFC 4231 test cases 1, 2, 4 (key 25 bytes) and 6 (key longer than a block). */
static void test_hmac_vectors(void **state)
{
	char out[65], *cause = NULL;
	unsigned char key[131];
	(void)state;

	memset(key, 0x0b, 20);
	assert_int_equal(hmac_sha256_hex(key, 20, "Hi There", 8, out, &cause), 0);
	assert_string_equal(out,
	                    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	assert_int_equal(
	    hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, out, &cause), 0);
	assert_string_equal(out,
	                    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	for (int i = 0; i < 25; i++)
		key[i] = (unsigned char)(i + 1);
	{
		unsigned char msg[50];
		memset(msg, 0xcd, sizeof(msg));
		assert_int_equal(hmac_sha256_hex(key, 25, msg, sizeof(msg), out, &cause), 0);
		assert_string_equal(
		    out, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
	}
	memset(key, 0xaa, 131);
	assert_int_equal(hmac_sha256_hex(key, 131,
	                                 "Test Using Larger Than Block-Size Key - Hash Key First",
	                                 54, out, &cause),
	                 0);
	assert_string_equal(out,
	                    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	/* An empty key and an empty message are valid. */
	assert_int_equal(hmac_sha256_hex(NULL, 0, NULL, 0, out, &cause), 0);
	assert_string_equal(out,
	                    "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
	assert_null(cause);
}

static void test_hex_equal_ct(void **state)
{
	(void)state;
	assert_true(hex_equal_ct(SHA_ABC, SHA_ABC));
	assert_true(hex_equal_ct("", ""));
	assert_false(hex_equal_ct(SHA_ABC, SHA_EMPTY));
	assert_false(hex_equal_ct(SHA_ABC, "ba7816bf"));
	assert_false(hex_equal_ct("ba7816bf", SHA_ABC));
	/* Byte for byte: case matters (this module writes lowercase). */
	assert_false(hex_equal_ct("ab", "AB"));
	assert_false(hex_equal_ct(NULL, SHA_ABC));
	assert_false(hex_equal_ct(SHA_ABC, NULL));
}

/* libcrypto is dlopen'd: golive itself must not be linked against it. */
static void test_not_linked(void **state)
{
	const char *golive = getenv("GOLIVE");
	char *cmd;
	FILE *p;
	char line[512];
	int crypto_seen = 0;
	(void)state;

	if (!golive || access(golive, X_OK)) {
		skip();
		return;
	}
	cmd = xasprintf("readelf -d '%s' 2>/dev/null", golive);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "NEEDED") && strstr(line, "libcrypto"))
			crypto_seen = 1;
	pclose(p);
	free(cmd);
	assert_false(crypto_seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256_vectors), cmocka_unit_test(test_sha256_incremental),
	    cmocka_unit_test(test_sha256_file),    cmocka_unit_test(test_hmac_vectors),
	    cmocka_unit_test(test_hex_equal_ct),   cmocka_unit_test(test_not_linked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
