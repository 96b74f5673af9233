/*
 * fuzz_jsonrpc.c - libFuzzer entry point for golive lsp's JSON-RPC framing
 * (lsp/jsonrpc.h): the input is fed in pieces whose sizes come from its
 * first byte; every message handed out is valid JSON that frames back and
 * reads again to an equal value, and the reader never holds more than the
 * input plus a header's worth.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lsp/jsonrpc.h"

static void drain(struct jsonrpc_reader *r)
{
	for (;;) {
		json_t *m;
		char *cause = NULL;
		enum jsonrpc_status st = jsonrpc_reader_next(r, &m, &cause);
		if (st == JSONRPC_NEED)
			return;
		if (st == JSONRPC_BAD) {
			if (!cause || strchr(cause, '\n'))
				abort(); /* one line, always */
			free(cause);
			continue;
		}
		/* the way back */
		struct strbuf sb = STRBUF_INIT;
		jsonrpc_frame(&sb, m);
		struct jsonrpc_reader r2;
		jsonrpc_reader_init(&r2);
		jsonrpc_reader_feed(&r2, sb.buf, sb.len);
		json_t *m2 = NULL;
		if (jsonrpc_reader_next(&r2, &m2, &cause) != JSONRPC_MSG || !json_equal(m, m2))
			abort();
		json_decref(m2);
		jsonrpc_reader_release(&r2);
		strbuf_release(&sb);
		json_decref(m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	size_t piece = (size_t)data[0] % 17 + 1;
	data++;
	size--;
	struct jsonrpc_reader r;
	jsonrpc_reader_init(&r);
	for (size_t i = 0; i < size; i += piece) {
		size_t n = size - i < piece ? size - i : piece;
		jsonrpc_reader_feed(&r, (const char *)data + i, n);
		drain(&r);
		if (r.buf.len - r.start > size + JSONRPC_MAX_HEADER)
			abort();
	}
	jsonrpc_reader_release(&r);
	return 0;
}
