/*
 * cmd_lsp.c - golive lsp: the language server on stdin/stdout (lsp/lsp.h,
 * docs/editors.md).
 */
#include "cmd/commands.h"
#include "core/util.h"
#include "lsp/lsp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fputs(
	    "usage: golive lsp [--debounce-ms N] [--stdio]\n"
	    "\n"
	    "Runs golive's Language Server on stdin/stdout: findings as you type, quick\n"
	    "fixes, golive.yaml errors and golive dev's build state in the editor.\n"
	    "Editor setups: docs/editors.md.\n"
	    "\n"
	    "  --debounce-ms N  wait N ms after the last change before analysing (default 50)\n"
	    "  --stdio          accepted for editors that pass it (stdio is the only transport)\n",
	    f);
}

int cmd_lsp(int argc, char **argv)
{
	struct lsp_options o = {.debounce_ms = 50, .feed_dir = NULL};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (is_help_flag(a)) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--stdio"))
			continue;
		if (!strcmp(a, "--debounce-ms") || starts_with(a, "--debounce-ms=")) {
			const char *v = a[13] == '=' ? a + 14 : (i + 1 < argc ? argv[++i] : NULL);
			char *end;
			long n = v ? strtol(v, &end, 10) : -1;
			if (!v || !*v || *end || n < 0 || n > 10000) {
				error("golive lsp: --debounce-ms wants 0..10000 ms, got \"%s\"",
				      v ? v : "");
				return EXIT_USAGE;
			}
			o.debounce_ms = (int)n;
			continue;
		}
		error("golive lsp: unknown option \"%s\"", a);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (isatty(STDIN_FILENO))
		warning(
		    "golive lsp: speaks the Language Server Protocol on stdin; start it from an "
		    "editor (docs/editors.md)");
	return lsp_serve(STDIN_FILENO, STDOUT_FILENO, &o);
}
