/*
 * jsonrpc.h - the Language Server Protocol's base protocol: JSON-RPC 2.0
 * messages framed by a `Content-Length: N\r\n\r\n` header (jansson for the
 * JSON itself).
 *
 * The reader is fed whatever bytes arrive (a pipe gives them in any
 * chunks) and hands out whole messages. Bad input never stops it: a header
 * block without Content-Length, an oversized message or a body that is
 * not JSON is reported once (JSONRPC_BAD with a one-line cause), skipped,
 * and reading goes on with the next header.
 */
#ifndef GOLIVE_JSONRPC_H
#define GOLIVE_JSONRPC_H

#include <stddef.h>

#include "core/util.h"

struct json_t;

/* Bodies larger than this are skipped (a 50 MB file's didOpen still fits). */
#define JSONRPC_MAX_BODY (96u << 20)
/* A header block longer than this is malformed. */
#define JSONRPC_MAX_HEADER 8192

struct jsonrpc_reader {
	struct strbuf buf; /* unread bytes start at buf.buf + start */
	size_t start;
	size_t body_len; /* of the message whose header was read, when have_header */
	int have_header;
	size_t skip; /* bytes of an oversized body still to drop */
};

void jsonrpc_reader_init(struct jsonrpc_reader *r);
void jsonrpc_reader_release(struct jsonrpc_reader *r);
/* Appends len bytes read from the peer. */
void jsonrpc_reader_feed(struct jsonrpc_reader *r, const char *data, size_t len);

enum jsonrpc_status {
	JSONRPC_NEED = 0, /* no whole message yet: feed more */
	JSONRPC_MSG = 1,  /* *msg set: a JSON value the caller json_decref()s */
	JSONRPC_BAD = -1, /* *cause set (malloc'd): something was skipped; call again */
};

/* The next message, if a whole one has arrived. */
enum jsonrpc_status jsonrpc_reader_next(struct jsonrpc_reader *r, struct json_t **msg,
                                        char **cause);

/*
 * Appends msg framed (header + compact JSON, invalid UTF-8 already
 * excluded by jansson) to out.
 */
void jsonrpc_frame(struct strbuf *out, struct json_t *msg);

/* JSON-RPC's error codes (and the LSP's). */
#define JSONRPC_PARSE_ERROR        -32700
#define JSONRPC_INVALID_REQUEST    -32600
#define JSONRPC_METHOD_NOT_FOUND   -32601
#define JSONRPC_INVALID_PARAMS     -32602
#define JSONRPC_INTERNAL_ERROR     -32603
#define LSP_SERVER_NOT_INITIALIZED -32002
#define LSP_REQUEST_CANCELLED      -32800
#define LSP_CONTENT_MODIFIED       -32801

#endif
