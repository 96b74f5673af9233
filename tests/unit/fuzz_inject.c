/*
 * fuzz_inject.c - libFuzzer entry point for golive dev --browser's page
 * rewriting (dev/inject.h, dev/browser.h) and the HTTP parser glue of the
 * proxy (dev/httpproxy.h).
 *
 * Input: one flags byte, then "html\0\0csp\0\0client bytes\0\0program bytes".
 *  - the streaming injector, fed the html in pieces whose sizes come from
 *    the flags, gives exactly what a one-shot insertion before the first
 *    "</body" (any case), else at the end, gives; set up for a page (meta
 *    CSPs rewritten), it gives what it gives fed the html at once, and the
 *    same as the plain one when the html has no "<meta" (corpus:
 *    tests/unit/corpus/fuzz_inject/, seeds of ctest's runs);
 *  - the body decoders (dev/bodydec.h) give back the html from its gzip,
 *    zlib, raw deflate and brotli encodings fed in pieces of any size, and
 *    take the html itself as each encoding without crashing (an error, or
 *    at most BODYDEC_MAX bytes);
 *  - inject_csp and browser_error_json never crash and give a string;
 *  - a real httpproxy on loopback sockets gets the client bytes from a
 *    client and answers them with the program bytes from a fake program:
 *    whatever they are, the proxy neither crashes nor leaks (ASan), and
 *    every round is bounded.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <brotli/encode.h>
#include <zlib.h>

#include "core/util.h"
#include "dev/bodydec.h"
#include "dev/browser.h"
#include "dev/httpproxy.h"
#include "dev/inject.h"
#include "dev/listen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next part of [*p, end) up to "\0\0" (or the end). */
static const char *part(const char **p, const char *end, size_t *len)
{
	const char *s = *p;
	const char *e = s;
	while (e + 1 < end && !(e[0] == '\0' && e[1] == '\0'))
		e++;
	if (e + 1 >= end)
		e = end;
	*len = (size_t)(e - s);
	*p = e < end ? e + 2 : end;
	return s;
}

/* Feeds html to in in pieces of 1..8 bytes (from flags), finishes and releases it. */
static void feed_pieces(struct injector *in, const char *html, size_t n, unsigned flags,
                        struct strbuf *out)
{
	size_t step = (flags & 7) + 1;
	for (size_t off = 0; off < n;) {
		size_t k = n - off < step ? n - off : step;
		injector_feed(in, html + off, k, out);
		off += k;
		step = step % 7 + 1;
	}
	injector_finish(in, out);
	injector_release(in);
}

static void check_injector(const char *html, size_t n, unsigned flags)
{
	const char *tag = "<script async src=\"/__golive/reload.js?v=1\"></script>";
	struct strbuf want = STRBUF_INIT, got = STRBUF_INIT;
	size_t at = n;
	for (size_t i = 0; i + 6 <= n; i++)
		if (!strncasecmp(html + i, "</body", 6)) {
			at = i;
			break;
		}
	strbuf_add(&want, html, at);
	strbuf_addstr(&want, tag);
	strbuf_add(&want, html + at, n - at);

	struct injector in;
	injector_init(&in, tag);
	feed_pieces(&in, html, n, flags, &got);
	if (got.len != want.len || memcmp(got.buf, want.buf, got.len))
		abort();

	/* page mode: pieces or whole, the same; without "<meta", the plain result */
	struct strbuf whole = STRBUF_INIT, pieces = STRBUF_INIT;
	const char *hdr_nonce = (flags & 128) ? "hdr" : NULL;
	injector_init_page(&in, hdr_nonce, 1);
	injector_feed(&in, html, n, &whole);
	injector_finish(&in, &whole);
	injector_release(&in);
	injector_init_page(&in, hdr_nonce, 1);
	feed_pieces(&in, html, n, flags, &pieces);
	if (pieces.len != whole.len || memcmp(pieces.buf, whole.buf, whole.len))
		abort();
	int meta = 0;
	for (size_t i = 0; i + 5 <= n && !meta; i++)
		meta = !strncasecmp(html + i, "<meta", 5);
	if (!meta && !hdr_nonce && (whole.len != want.len || memcmp(whole.buf, want.buf, want.len)))
		abort();
	strbuf_release(&whole);
	strbuf_release(&pieces);
	strbuf_release(&want);
	strbuf_release(&got);
}

static void sink(void *arg, const char *data, size_t n)
{
	struct strbuf *sb = arg;
	if (sb->len < (1u << 20))
		strbuf_add(sb, data, n);
}

/* Feeds enc[0, n) to a decoder of kind in pieces of 1..8 bytes (from flags); its result. */
static int decode(int kind, const unsigned char *enc, size_t n, unsigned flags, struct strbuf *out)
{
	struct bodydec d;
	int rc = bodydec_init(&d, (enum bodydec_kind)kind);
	size_t step = (flags >> 3 & 7) + 1;
	for (size_t off = 0; !rc && off < n;) {
		size_t k = n - off < step ? n - off : step;
		rc = bodydec_feed(&d, (const char *)enc + off, k, sink, out);
		off += k;
		step = step % 8 + 1;
	}
	if (!rc)
		rc = bodydec_finish(&d);
	if (d.out > BODYDEC_MAX + 16384) /* past the cap by one buffer at most */
		abort();
	bodydec_release(&d);
	return rc;
}

static void check_decoders(const char *html, size_t n, unsigned flags)
{
	size_t cap = n + n / 2 + 1024, len;
	unsigned char *enc = xmalloc(cap);
	static const int wbits[] = {16 + 15, 15, -15};
	static const int kinds[] = {BODYDEC_GZIP, BODYDEC_DEFLATE, BODYDEC_DEFLATE};
	struct strbuf out = STRBUF_INIT;
	for (size_t i = 0; i < 4; i++) {
		len = cap;
		int kind = i < 3 ? kinds[i] : BODYDEC_BR;
		if (i == 3) {
			if (!BrotliEncoderCompress(flags % 12, 16, BROTLI_MODE_GENERIC, n,
			                           (const uint8_t *)html, &len, enc))
				abort();
		} else {
			z_stream z;
			memset(&z, 0, sizeof(z));
			if (deflateInit2(&z, (int)(flags % 10), Z_DEFLATED, wbits[i], 8,
			                 Z_DEFAULT_STRATEGY) != Z_OK)
				abort();
			z.next_in = (unsigned char *)html;
			z.avail_in = (unsigned)n;
			z.next_out = enc;
			z.avail_out = (unsigned)cap;
			if (deflate(&z, Z_FINISH) != Z_STREAM_END)
				abort();
			len = cap - z.avail_out;
			deflateEnd(&z);
		}
		strbuf_reset(&out);
		if (decode(kind, enc, len, flags, &out) < 0 || out.len != n ||
		    (n && memcmp(out.buf, html, n)))
			abort();
		strbuf_reset(&out);
		(void)decode(kind, (const unsigned char *)html, n, flags, &out);
	}
	strbuf_release(&out);
	free(enc);
}

static int plisten = -1, blisten = -1;
static struct httpproxy *hp;

static void setup(void)
{
	char *cause = NULL;
	struct listen_addr pa, ba;
	plisten = listen_bind("127.0.0.1:0", &pa, &cause);
	blisten = listen_bind("127.0.0.1:0", &ba, &cause);
	if (plisten < 0 || blisten < 0)
		abort();
	fcntl(blisten, F_SETFL, O_NONBLOCK);
	char *b = listen_format(&ba);
	struct proxy_opts o = PROXY_OPTS_INIT;
	o.buf_cap = 4096;
	o.retry_total_ms = 50;
	hp = httpproxy_new(plisten, b, &o, &cause);
	free(b);
	if (!hp)
		abort();
}

static void check_proxy(const char *req, size_t rn, const char *resp, size_t sn, unsigned flags)
{
	struct listen_addr pa;
	socklen_t len = sizeof(pa.ss);
	getsockname(plisten, (struct sockaddr *)&pa.ss, &len);
	int cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (cfd < 0)
		return;
	connect(cfd, (struct sockaddr *)&pa.ss, len);
	int bfd = -1, sent = 0;
	size_t rsent = 0;
	char buf[65536];
	for (int round = 0; round < 60; round++) {
		if (rsent < rn) {
			ssize_t k = send(cfd, req + rsent, rn - rsent, MSG_NOSIGNAL);
			if (k > 0)
				rsent += (size_t)k;
			if (rsent == rn && (flags & 8))
				shutdown(cfd, SHUT_WR);
		}
		httpproxy_run_once(hp, 1);
		if (bfd < 0)
			bfd = accept4(blisten, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (bfd >= 0) {
			while (recv(bfd, buf, sizeof(buf), 0) > 0)
				;
			if (!sent) {
				(void)!send(bfd, resp, sn, MSG_NOSIGNAL);
				sent = 1;
				if (flags & 16)
					shutdown(bfd, SHUT_WR);
			}
		}
		if (round == 20 && (flags & 32))
			httpproxy_event(hp, (flags & 64) ? "reload" : "error", "{}");
		ssize_t k = recv(cfd, buf, sizeof(buf), 0);
		if (k == 0)
			break;
	}
	close(cfd);
	if (bfd >= 0)
		close(bfd);
	for (int i = 0; i < 3; i++)
		httpproxy_run_once(hp, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	if (!hp)
		setup();
	unsigned flags = data[0];
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	size_t hl, cl, rl, sl;
	const char *html = part(&p, end, &hl);
	const char *csp = part(&p, end, &cl);
	const char *req = part(&p, end, &rl);
	const char *resp = part(&p, end, &sl);

	check_injector(html, hl, flags);
	check_decoders(html, hl, flags);

	char *c = xstrndup(csp, cl), *nonce = NULL;
	char *out = inject_csp(c, &nonce);
	char *tag = inject_tag(nonce, 3);
	char *js = browser_error_json("t", csp, cl, "/src", NULL);
	if (!out || !tag || !js)
		abort();
	free(out);
	free(nonce);
	free(tag);
	free(js);
	free(c);

	check_proxy(req, rl, resp, sl, flags);
	return 0;
}
