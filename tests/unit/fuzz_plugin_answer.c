/*
 * libFuzzer target: what golive makes of a plugin's answer (plugin.c's
 * plugin_check_answer, the code every hook uses) for arbitrary bytes, as
 * the answer of describe, before_tool and analyze_file. An exec plugin is
 * any program: its stdout is untrusted. Checked: no crash or leak; a
 * before_tool rewrite keeps argv[0]; findings have a file, a line >= 1 and
 * one-line messages; describe leaves a version.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hooks[] = {"describe", "before_tool", "analyze_file"};
	for (size_t h = 0; h < ARRAY_SIZE(hooks); h++) {
		struct plugin p;
		struct argv_array args = ARGV_ARRAY_INIT;
		diag_array diags = ARRAY_INIT;
		char *cause = NULL;
		memset(&p, 0, sizeof(p));
		p.name = xstrdup("fz");
		p.version = xstrdup("");
		p.flags = GOLIVE_PLUGIN_REWRITES_ARGS;
		int rc = plugin_check_answer(&p, hooks[h], (const char *)data, size, "/x/compile",
		                             &args, &diags, &cause);
		if (rc < 0 && !cause)
			abort();
		if (rc >= 0 && cause)
			abort();
		if (rc == 1 && (args.argc < 1 || strcmp(args.argv[0], "/x/compile") != 0))
			abort();
		for (size_t i = 0; i < diags.n; i++)
			if (!diags.v[i].file || diags.v[i].line < 1 ||
			    strchr(diags.v[i].message, '\n'))
				abort();
		if (h == 0 && rc == 0 && !p.version)
			abort();
		free(cause);
		argv_clear(&args);
		diag_array_release(&diags);
		plugin_release(&p);
	}
	return 0;
}
