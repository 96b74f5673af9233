/* bodydec.c - see bodydec.h. */
#include "dev/bodydec.h"

#include <brotli/decode.h>
#include <string.h>
#include <strings.h>

int bodydec_kind_of(const char *name, size_t len)
{
	if ((len == 4 && !strncasecmp(name, "gzip", 4)) ||
	    (len == 6 && !strncasecmp(name, "x-gzip", 6)))
		return BODYDEC_GZIP;
	if (len == 7 && !strncasecmp(name, "deflate", 7))
		return BODYDEC_DEFLATE;
	if (len == 2 && !strncasecmp(name, "br", 2))
		return BODYDEC_BR;
	return -1;
}

int bodydec_init(struct bodydec *d, enum bodydec_kind kind)
{
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	if (kind == BODYDEC_BR) {
		d->br = BrotliDecoderCreateInstance(NULL, NULL, NULL);
		if (!d->br)
			return -1;
	} else if (kind == BODYDEC_GZIP) {
		if (inflateInit2(&d->z, 16 + MAX_WBITS) != Z_OK)
			return -1;
		d->on = 1;
	}
	/* deflate: zlib starts once the first two bytes are known */
	return 0;
}

/* The deflate body's first two bytes: a zlib header, or raw deflate data. */
static int deflate_start(struct bodydec *d)
{
	unsigned h = (unsigned)d->head[0] << 8 | d->head[1];
	int zlib = (d->head[0] & 0x0f) == 8 && (d->head[0] >> 4) <= 7 && h % 31 == 0;
	if (inflateInit2(&d->z, zlib ? MAX_WBITS : -MAX_WBITS) != Z_OK)
		return -1;
	d->on = 1;
	return 0;
}

static int zfeed(struct bodydec *d, const unsigned char *in, size_t n, bodydec_sink *sink,
                 void *arg)
{
	unsigned char buf[16384];
	while (n) {
		if (d->end) {
			/* gzip: another member may follow (as gunzip reads them) */
			if (d->kind != BODYDEC_GZIP || inflateReset(&d->z) != Z_OK)
				return -1;
			d->end = 0;
		}
		unsigned chunk = n > 1u << 30 ? 1u << 30 : (unsigned)n;
		d->z.next_in = (unsigned char *)in;
		d->z.avail_in = chunk;
		int zr;
		do {
			d->z.next_out = buf;
			d->z.avail_out = sizeof(buf);
			zr = inflate(&d->z, Z_NO_FLUSH);
			if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
				return -1;
			size_t got = sizeof(buf) - d->z.avail_out;
			if ((d->out += got) > BODYDEC_MAX)
				return -1;
			if (got)
				sink(arg, (const char *)buf, got);
			if (zr == Z_STREAM_END)
				d->end = 1;
		} while (!d->end && (d->z.avail_in || !d->z.avail_out) && zr != Z_BUF_ERROR);
		size_t used = chunk - d->z.avail_in;
		if (!used && !d->end)
			return -1; /* no progress: cannot happen with valid data */
		in += used;
		n -= used;
	}
	return 0;
}

static int brfeed(struct bodydec *d, const unsigned char *in, size_t n, bodydec_sink *sink,
                  void *arg)
{
	unsigned char buf[16384];
	if (d->end)
		return n ? -1 : 0;
	for (;;) {
		uint8_t *next_out = buf;
		size_t avail_out = sizeof(buf);
		BrotliDecoderResult r =
		    BrotliDecoderDecompressStream(d->br, &n, &in, &avail_out, &next_out, NULL);
		size_t got = sizeof(buf) - avail_out;
		if ((d->out += got) > BODYDEC_MAX)
			return -1;
		if (got)
			sink(arg, (const char *)buf, got);
		if (r == BROTLI_DECODER_RESULT_ERROR)
			return -1;
		if (r == BROTLI_DECODER_RESULT_SUCCESS) {
			d->end = 1;
			return n ? -1 : 0; /* bytes after the end */
		}
		if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
			return 0;
		/* NEEDS_MORE_OUTPUT: again */
	}
}

int bodydec_feed(struct bodydec *d, const char *data, size_t n, bodydec_sink *sink, void *arg)
{
	const unsigned char *in = (const unsigned char *)data;
	d->in += n;
	if (d->kind == BODYDEC_BR)
		return brfeed(d, in, n, sink, arg);
	if (d->kind == BODYDEC_DEFLATE && !d->on) {
		while (n && d->nhead < 2) {
			d->head[d->nhead++] = *in++;
			n--;
		}
		if (d->nhead < 2)
			return 0;
		if (deflate_start(d) < 0 || zfeed(d, d->head, 2, sink, arg) < 0)
			return -1;
	}
	return zfeed(d, in, n, sink, arg);
}

int bodydec_finish(struct bodydec *d)
{
	return d->end || !d->in ? 0 : -1;
}

void bodydec_release(struct bodydec *d)
{
	if (d->on)
		inflateEnd(&d->z);
	if (d->br)
		BrotliDecoderDestroyInstance(d->br);
	d->on = 0;
	d->br = NULL;
}
