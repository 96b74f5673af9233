/*
 * fuzz_fix.c - the fix applier (src/analysis/fix.c): random text and
 * random fixes (edits anywhere, in range or not, overlapping or not) must
 * never crash, the result must keep every byte outside the taken edits,
 * and the unified diff of the result must be well-formed; plus the query
 * blob reader (tsquery_blob.h) on the same bytes, which must refuse
 * anything that is not a blob it wrote.
 *
 * Input: the first byte is the number of fixes (mod 8), then per fix one
 * byte of edit count (mod 4) and per edit five bytes (line, col, end line,
 * end col, text length mod 8) and the text; the rest is the file.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/fix.h"
#include "analysis/tsquery_blob.h"

const TSLanguage *tree_sitter_go(void);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_fix fixes[8], *ptrs[8];
	size_t at = 0, nfixes;
	struct strbuf out = STRBUF_INIT, diff = STRBUF_INIT;
	struct fix_result res;
	unsigned char taken[8];
	TSQuery *q;

	q = tsquery_blob_read(data, size, tree_sitter_go());
	if (q)
		ts_query_delete(q);
	if (!size)
		return 0;
	nfixes = data[at++] % 8;
	memset(fixes, 0, sizeof(fixes));
	for (size_t f = 0; f < nfixes; f++) {
		size_t n = at < size ? data[at++] % 4 : 0;
		fixes[f].edits = calloc(n + 1, sizeof(struct diag_edit));
		fixes[f].safe = 1;
		for (size_t e = 0; e < n && at + 5 <= size; e++) {
			struct diag_edit *ed = &fixes[f].edits[fixes[f].nedits++];
			size_t tl = data[at + 4] % 8;
			ed->line = data[at];
			ed->col = data[at + 1];
			ed->end_line = data[at + 2];
			ed->end_col = data[at + 3];
			at += 5;
			if (tl > size - at)
				tl = size - at;
			ed->text = calloc(tl + 1, 1);
			memcpy(ed->text, data + at, tl);
			at += tl;
		}
		ptrs[f] = &fixes[f];
	}
	fix_apply((const char *)data + at, size - at, ptrs, nfixes, &out, &res, taken);
	if (res.applied + res.skipped != nfixes)
		abort();
	if (!res.applied && (out.len != size - at || memcmp(out.buf, data + at, out.len)))
		abort();
	fix_unified_diff("f.go", (const char *)data + at, size - at, out.buf, out.len, &diff);
	if ((diff.len == 0) != (out.len == size - at && !memcmp(out.buf, data + at, out.len)))
		abort();
	if (diff.len && strncmp(diff.buf, "--- a/f.go\n+++ b/f.go\n@@ -", 26))
		abort();
	for (size_t f = 0; f < nfixes; f++) {
		for (size_t e = 0; e < fixes[f].nedits; e++)
			free(fixes[f].edits[e].text);
		free(fixes[f].edits);
	}
	strbuf_release(&out);
	strbuf_release(&diff);
	return 0;
}
