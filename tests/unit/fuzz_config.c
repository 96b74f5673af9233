/*
 * fuzz_config.c - libFuzzer entry point for config_parse().
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc tests/unit/fuzz_config.c \
 *     src/config.c src/util.c -lyaml -ljansson -o /tmp/fuzz_config
 * /tmp/fuzz_config -max_total_time=60
 *
 * Whatever parses must also survive the way back: config_to_yaml() output
 * parses again to the same configuration, and config_to_json() works.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"

static int same_argv(const struct argv_array *a, const struct argv_array *b)
{
	if (a->argc != b->argc)
		return 0;
	for (size_t i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], b->argv[i]))
			return 0;
	return 1;
}

static int same(const struct golive_config *a, const struct golive_config *b)
{
	return same_argv(&a->build.packages, &b->build.packages) &&
	       same_argv(&a->build.flags, &b->build.flags) &&
	       !a->build.output == !b->build.output &&
	       (!a->build.output || !strcmp(a->build.output, b->build.output)) &&
	       a->build.keep == b->build.keep && a->build.top == b->build.top;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct golive_config c, back;
	struct strbuf out = STRBUF_INIT;
	char *cause = NULL;

	config_init(&c);
	config_init(&back);
	if (config_parse(&c, "fuzz.yaml", (const char *)data, size, &cause)) {
		if (!cause)
			abort();
		goto out;
	}
	json_decref(config_to_json(&c));
	if (config_to_yaml(&c, &out, &cause))
		abort(); /* whatever was parsed is valid UTF-8 */
	if (config_parse(&back, "out.yaml", out.buf, out.len, &cause) || !same(&c, &back))
		abort();
out:
	free(cause);
	strbuf_release(&out);
	config_release(&c);
	config_release(&back);
	return 0;
}
