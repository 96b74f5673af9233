/*
 * bodydec.h - streaming decoding of an HTTP body's Content-Encoding for
 * `golive dev --browser` (httpproxy.h decodes the pages it inserts its
 * script into): gzip (one member or several) and deflate with zlib, br with
 * Debian's libbrotli (BrotliDecoderDecompressStream). Feed the body in
 * pieces of any size; the decoded bytes go to a sink as they come. Anything
 * that is not a whole, valid stream of the encoding (bad data, bytes after
 * its end, a body that ends early, more than BODYDEC_MAX decoded bytes) is
 * an error: the caller then resets its connection, never sending a
 * corrupt body.
 */
#ifndef GOLIVE_BODYDEC_H
#define GOLIVE_BODYDEC_H

#include <stddef.h>
#include <zlib.h>

#define BODYDEC_MAX ((size_t)256 << 20) /* decoded bytes of one body: a bomb stops here */

enum bodydec_kind {
	BODYDEC_GZIP,    /* gzip, x-gzip */
	BODYDEC_DEFLATE, /* the zlib format (RFC 1950), or raw deflate as some servers send */
	BODYDEC_BR,      /* brotli (RFC 7932) */
};

/* The encoding named by a Content-Encoding value (one token, any case); -1 for another. */
int bodydec_kind_of(const char *name, size_t len);

typedef void bodydec_sink(void *arg, const char *data, size_t n);

/* One body's decoder; an embedded value: _init, _feed..., _finish, _release. */
struct bodydec {
	enum bodydec_kind kind;
	z_stream z;
	void *br; /* BrotliDecoderState */
	unsigned char head[2];
	size_t nhead;   /* deflate: the first bytes, until they tell zlib from raw */
	size_t in, out; /* bytes fed, decoded so far */
	int on, end;
};

/* 0, or -1 (out of memory in zlib or brotli). */
int bodydec_init(struct bodydec *d, enum bodydec_kind kind);
/* Decodes data[0, n) to sink; 0, or -1 on an error (see above: the body is bad). */
int bodydec_feed(struct bodydec *d, const char *data, size_t n, bodydec_sink *sink, void *arg);
/* The body ended: 0 when the stream was complete (or the body empty), else -1. */
int bodydec_finish(struct bodydec *d);
void bodydec_release(struct bodydec *d);

#endif
