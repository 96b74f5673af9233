/* hello - an example golive plugin (docs/plugins.md): logs each tool's exit status and
 * time, and reports each line of a Go file that contains args.word (default "TODO"). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include <golive/plugin.h>

static int after(void *state, const struct golive_host_api *api, struct golive_host *h,
                 const struct golive_tool_call *call, const struct golive_tool_result *r)
{
	(void)state;
	char line[512]; /* host functions copy what they are given */
	snprintf(line, sizeof(line), "%s %s: exit %d in %lld ms", call->tool,
	         call->importpath ? call->importpath : "-", r->exit_code,
	         (long long)(r->wall_ns / 1000000));
	api->log(h, line);
	return 0;
}

static int analyze(void *state, const struct golive_host_api *api, struct golive_host *h,
                   const char *path, const char *src, size_t len, const struct TSTree *tree)
{
	(void)state, (void)tree; /* the tree: walk it with golive's ts_* functions */
	const char *word = api->arg(h, "word") ? api->arg(h, "word") : "TODO";
	unsigned lineno = 1;
	for (const char *p = src, *end = src + len; *word && p < end; lineno++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *hit = memmem(p, n, word, strlen(word));
		if (hit)
			api->report(h, path, lineno, (unsigned)(hit - p) + 1, GOLIVE_INFO, "to do");
		p += n + 1;
	}
	return 0;
}

const struct golive_plugin_v1 golive_plugin_v1 = {
    .abi_version = GOLIVE_PLUGIN_ABI, /* checked before anything else is read */
    .struct_size = sizeof(struct golive_plugin_v1),
    .name = "hello", /* the name in golive.yaml */
    .version = "1.0",
    .after_tool = after,
    .analyze_file = analyze,
};
