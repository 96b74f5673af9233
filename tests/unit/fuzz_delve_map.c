/*
 * fuzz_delve_map.c - libFuzzer entry point for delve.c's delve_map_line
 * (golive dev --debug's breakpoint carry-over: an old line to the new file).
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc tests/unit/fuzz_delve_map.c \
 *     src/dev/delve.c src/dev/listen.c src/core/util.c -ljansson -o /tmp/fuzz_delve_map
 * /tmp/fuzz_delve_map -max_total_time=60
 *
 * Input: two bytes (the line, big-endian), then the old source, a NUL, the
 * new source. Besides not crashing:
 *  - the answer is 0 or a line of the new source, and that line holds the
 *    old line's text (blanks around it aside), which is not empty;
 *  - a file mapped to itself keeps every non-blank line where it is.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dev/delve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Line n (1-based) of s, blanks trimmed: its start and length; 0 when there is none. */
static int line_of(const char *s, size_t len, int n, const char **start, size_t *out)
{
	size_t i = 0;
	for (int k = 1; k < n; k++) {
		const char *nl = memchr(s + i, '\n', len - i);
		if (!nl)
			return 0;
		i = (size_t)(nl - s) + 1;
	}
	if (i >= len && n > 1)
		return 0;
	const char *nl = memchr(s + i, '\n', len - i);
	size_t e = nl ? (size_t)(nl - s) : len;
	while (i < e && strchr(" \t\r\f\v", s[i]) && s[i])
		i++;
	while (e > i && strchr(" \t\r\f\v", s[e - 1]) && s[e - 1])
		e--;
	*start = s + i;
	*out = e - i;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 1 << 16)
		return 0;
	int line = (data[0] << 8 | data[1]) % 2048;
	const char *a = (const char *)data + 2;
	size_t rest = size - 2;
	const char *z = memchr(a, '\0', rest);
	size_t alen = z ? (size_t)(z - a) : rest;
	const char *b = z ? z + 1 : "";
	size_t blen = z ? rest - alen - 1 : 0;

	int to = delve_map_line(a, alen, b, blen, line);
	if (to) {
		const char *sa, *sb;
		size_t na, nb;
		if (!line_of(a, alen, line, &sa, &na) || !line_of(b, blen, to, &sb, &nb) ||
		    na == 0 || na != nb || memcmp(sa, sb, na) != 0)
			abort();
	}
	const char *sa;
	size_t na;
	if (line >= 1 && line_of(a, alen, line, &sa, &na) && na > 0 &&
	    delve_map_line(a, alen, a, alen, line) != line)
		abort();
	return 0;
}
