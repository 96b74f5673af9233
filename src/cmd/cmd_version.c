/* cmd_version.c - `golive version` and `golive help`. */
#include "cmd/commands.h"
#include "core/gotool.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_version(int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	char *cause = NULL;
	if (argc > 1 && is_help_flag(argv[1])) {
		printf("usage: golive version\n\nPrints golive's version, the go toolchain it "
		       "finds on PATH, and whether golive supports it (go1.%d to go1.%d).\n",
		       GOTOOL_OLDEST_MINOR, GOTOOL_NEWEST_MINOR);
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
	if (gotool_version(go, &sb, &cause) == 0) {
		/* go's bytes, but never a control character (a fake go could print any) */
		struct strbuf shown = STRBUF_INIT;
		strbuf_add_printable(&shown, sb.buf, 0);
		printf("go: %s (%s)\n", shown.buf, go);
		strbuf_release(&shown);
	} else
		printf("go: %s (%s)\n", cause, go);
	free(cause);
	cause = NULL;
	struct gotool_check gc;
	if (gotool_check(go, NULL, &gc, &cause) < 0)
		printf("go: not supported: %s\n", cause);
	else
		printf("go: supported (golive supports go1.%d to go1.%d)%s%s\n",
		       GOTOOL_OLDEST_MINOR, GOTOOL_NEWEST_MINOR, gc.warning ? "; " : "",
		       gc.warning ? gc.warning : "");
	gotool_check_release(&gc);
	free(cause);
	free(go);
	strbuf_release(&sb);
	return 0;
}

int cmd_require_go(const char *go, const char *dir, int quiet, struct goversion *run)
{
	struct gotool_check gc;
	char *cause = NULL;
	int ret = 0;
	int rc = gotool_check(go, dir, &gc, &cause);
	if (run)
		*run = gc.run;
	if (rc < 0) {
		error("%s", cause);
		ret = EXIT_GO_VERSION;
	} else if (gc.warning && !quiet) {
		warning("%s", gc.warning);
	}
	gotool_check_release(&gc);
	free(cause);
	return ret;
}
