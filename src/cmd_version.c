/* cmd_version.c - `golive version` and `golive help`. */
#include "commands.h"
#include "gotool.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_version(int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	char *cause = NULL;
	if (argc > 1 && is_help_flag(argv[1])) {
		puts("usage: golive version\n\nPrints golive's version and the go toolchain it "
		     "finds on PATH.");
		return 0;
	}
	if (argc > 1) {
		error("golive version: unexpected argument %s", argv[1]);
		return EXIT_USAGE;
	}
	printf("golive version %s\n", GOLIVE_VERSION_STRING);
	char *go = gotool_find();
	if (!go) {
		printf("go: not found (%s)\n", GOTOOL_MISSING);
		return 0;
	}
	if (gotool_version(go, &sb, &cause) == 0)
		printf("go: %s (%s)\n", sb.buf, go);
	else
		printf("go: %s (%s)\n", cause, go);
	free(cause);
	free(go);
	strbuf_release(&sb);
	return 0;
}
