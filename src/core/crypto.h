/*
 * crypto.h - sha256 and HMAC-SHA256 through a dlopen'd libcrypto.
 *
 * The wrapper must not pay the dynamic loader for OpenSSL on every tool
 * run, so libcrypto (libcrypto.so.3) is loaded with dlopen() the first time
 * one of these functions is called, once per process (thread-safe), and
 * never linked: `ldd golive` lists libc only. When it cannot be loaded
 * every function fails with a one-line *cause naming the library.
 *
 * Hex output is always 64 lowercase hex digits and a NUL.
 */
#ifndef GOLIVE_CRYPTO_H
#define GOLIVE_CRYPTO_H

#include <stddef.h>

/* sha256 of buf[0..len) as hex into out. 0, or -1 with *cause (malloc'd). */
int sha256_hex(const void *buf, size_t len, char out[65], char **cause);

/* An incremental sha256 (EVP_MD_CTX underneath). */
struct sha256_ctx;

/* A fresh context, or NULL with *cause. Free with sha256_free (also after final). */
struct sha256_ctx *sha256_new(char **cause);
void sha256_update(struct sha256_ctx *c, const void *buf, size_t len);
/*
 * Writes the digest as hex into out. Once only: later updates are ignored
 * and a second final fails. 0, or -1 with *cause.
 */
int sha256_final_hex(struct sha256_ctx *c, char out[65], char **cause);
void sha256_free(struct sha256_ctx *c); /* NULL is a no-op */

/*
 * sha256 of the file at path (read in 64 KiB blocks) as hex into out, and
 * its size into *size (may be NULL). Only a regular file: a FIFO or device
 * is refused without blocking (opened O_NONBLOCK). 0, or -1 with *cause
 * ("PATH: reason", e.g. "PATH: not a regular file").
 */
int sha256_file_hex(const char *path, char out[65], unsigned long long *size, char **cause);

/* HMAC-SHA256 of msg under key, as hex into out. 0, or -1 with *cause. */
int hmac_sha256_hex(const void *key, size_t keylen, const void *msg, size_t msglen, char out[65],
                    char **cause);

/*
 * Comparison of two NUL-terminated hex strings in time that does not depend
 * on where they differ (for MACs): 1 when equal byte for byte (case
 * matters), 0 otherwise or when either is NULL. The lengths are not secret.
 */
int hex_equal_ct(const char *a, const char *b);

#endif
