/*
 * crypto.c - see crypto.h: sha256 and HMAC-SHA256 from a libcrypto that is
 * loaded with dlopen() on first use, never linked.
 */
#define _GNU_SOURCE
#include "core/crypto.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

#define LIBCRYPTO "libcrypto.so.3"

/*
 * The libcrypto functions golive uses (<openssl/evp.h>, <openssl/hmac.h>),
 * with their types left opaque: EVP_MD and EVP_MD_CTX are void here.
 */
typedef const void *(*evp_sha256_fn)(void);
typedef int (*evp_digest_fn)(const void *data, size_t count, unsigned char *md, unsigned int *size,
                             const void *type, void *impl);
typedef void *(*evp_md_ctx_new_fn)(void);
typedef void (*evp_md_ctx_free_fn)(void *ctx);
typedef int (*evp_digest_init_ex_fn)(void *ctx, const void *type, void *impl);
typedef int (*evp_digest_update_fn)(void *ctx, const void *d, size_t cnt);
typedef int (*evp_digest_final_ex_fn)(void *ctx, unsigned char *md, unsigned int *s);
typedef unsigned char *(*hmac_fn)(const void *evp_md, const void *key, int key_len,
                                  const unsigned char *d, size_t n, unsigned char *md,
                                  unsigned int *md_len);

static struct {
	evp_sha256_fn sha256;
	evp_digest_fn digest;
	evp_md_ctx_new_fn ctx_new;
	evp_md_ctx_free_fn ctx_free;
	evp_digest_init_ex_fn init;
	evp_digest_update_fn update;
	evp_digest_final_ex_fn final;
	hmac_fn hmac;
	char *error; /* why libcrypto is not usable, or NULL; kept for the process */
} crypto;
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;

/* Resolves name in h into *fn (a function pointer of any type); -1 when missing. */
static int load_sym(void *h, const char *name, void *fn, size_t fn_size)
{
	void *sym = dlsym(h, name);

	if (!sym) {
		crypto.error = xasprintf(LIBCRYPTO " has no %s", name);
		return -1;
	}
	/* POSIX: a dlsym() result converts to a function pointer; memcpy says so in ISO C. */
	memcpy(fn, &sym, fn_size);
	return 0;
}

#define LOAD(h, name, field) load_sym(h, name, &crypto.field, sizeof(crypto.field))

static void crypto_load_once(void)
{
	/* Never closed: libcrypto stays for the process once loaded. */
	void *h = dlopen(LIBCRYPTO, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		const char *e = dlerror();
		crypto.error = xasprintf("cannot load " LIBCRYPTO ": %s", e ? e : "unknown error");
		return;
	}
	if (LOAD(h, "EVP_sha256", sha256) || LOAD(h, "EVP_Digest", digest) ||
	    LOAD(h, "EVP_MD_CTX_new", ctx_new) || LOAD(h, "EVP_MD_CTX_free", ctx_free) ||
	    LOAD(h, "EVP_DigestInit_ex", init) || LOAD(h, "EVP_DigestUpdate", update) ||
	    LOAD(h, "EVP_DigestFinal_ex", final) || LOAD(h, "HMAC", hmac))
		return;
}

/* Loads libcrypto once; 0, or -1 with *cause. */
static int crypto_ready(char **cause)
{
	pthread_once(&crypto_once, crypto_load_once);
	if (crypto.error) {
		*cause = xstrdup(crypto.error);
		return -1;
	}
	return 0;
}

static void to_hex(const unsigned char md[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";

	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[64] = '\0';
}

int sha256_hex(const void *buf, size_t len, char out[65], char **cause)
{
	unsigned char md[64];
	unsigned int mdlen = 0;

	if (crypto_ready(cause))
		return -1;
	if (!crypto.digest(len ? buf : "", len, md, &mdlen, crypto.sha256(), NULL) || mdlen != 32) {
		*cause = xstrdup("sha256: EVP_Digest failed");
		return -1;
	}
	to_hex(md, out);
	return 0;
}

/* ---- incremental ------------------------------------------------------------ */

struct sha256_ctx {
	void *md;   /* EVP_MD_CTX */
	int failed; /* an EVP_DigestUpdate failed: final reports it */
};

struct sha256_ctx *sha256_new(char **cause)
{
	struct sha256_ctx *c;
	void *md;

	if (crypto_ready(cause))
		return NULL;
	md = crypto.ctx_new();
	if (!md) {
		*cause = xstrdup("sha256: EVP_MD_CTX_new failed");
		return NULL;
	}
	if (!crypto.init(md, crypto.sha256(), NULL)) {
		crypto.ctx_free(md);
		*cause = xstrdup("sha256: EVP_DigestInit_ex failed");
		return NULL;
	}
	c = xmalloc(sizeof(*c));
	c->md = md;
	c->failed = 0;
	return c;
}

void sha256_update(struct sha256_ctx *c, const void *buf, size_t len)
{
	if (len && !c->failed && !crypto.update(c->md, buf, len))
		c->failed = 1;
}

int sha256_final_hex(struct sha256_ctx *c, char out[65], char **cause)
{
	unsigned char md[64];
	unsigned int mdlen = 0;

	if (c->failed) {
		*cause = xstrdup("sha256: EVP_DigestUpdate failed");
		return -1;
	}
	c->failed = 1; /* no update after final */
	if (!crypto.final(c->md, md, &mdlen) || mdlen != 32) {
		*cause = xstrdup("sha256: EVP_DigestFinal_ex failed");
		return -1;
	}
	to_hex(md, out);
	return 0;
}

void sha256_free(struct sha256_ctx *c)
{
	if (!c)
		return;
	crypto.ctx_free(c->md);
	free(c);
}

/* ---- files ------------------------------------------------------------------ */

int sha256_file_hex(const char *path, char out[65], unsigned long long *size, char **cause)
{
	unsigned char buf[64 * 1024];
	unsigned long long total = 0;
	struct sha256_ctx *c;
	struct stat st;
	int fd, ret = -1;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		*cause = xasprintf("%s: %s", path,
		                   S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
		goto out_close;
	}
	c = sha256_new(cause);
	if (!c)
		goto out_close;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*cause = xasprintf("%s: %s", path, strerror(errno));
			goto out_free;
		}
		if (n == 0)
			break;
		sha256_update(c, buf, (size_t)n);
		total += (unsigned long long)n;
	}
	if (sha256_final_hex(c, out, cause))
		goto out_free;
	if (size)
		*size = total;
	ret = 0;
out_free:
	sha256_free(c);
out_close:
	close(fd);
	return ret;
}

/* ---- HMAC ------------------------------------------------------------------- */

int hmac_sha256_hex(const void *key, size_t keylen, const void *msg, size_t msglen, char out[65],
                    char **cause)
{
	unsigned char md[64];
	unsigned int mdlen = 0;

	if (crypto_ready(cause))
		return -1;
	if (keylen > INT_MAX) {
		*cause = xstrdup("hmac-sha256: key too long");
		return -1;
	}
	if (!crypto.hmac(crypto.sha256(), keylen ? key : "", (int)keylen,
	                 msglen ? msg : (const void *)"", msglen, md, &mdlen) ||
	    mdlen != 32) {
		*cause = xstrdup("hmac-sha256: HMAC failed");
		return -1;
	}
	to_hex(md, out);
	return 0;
}

int hex_equal_ct(const char *a, const char *b)
{
	size_t la, lb;
	unsigned char diff;

	if (!a || !b)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	/* The lengths are public (64 for a sha256); only the bytes are compared in constant time.
	 */
	if (la != lb)
		return 0;
	diff = 0;
	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}
