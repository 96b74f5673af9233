/* cmd_config.c - `golive config`: print the effective configuration. */
#include "cmd/commands.h"
#include "core/config.h"
#include "core/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char config_usage[] =
    "usage: golive config [--json] [--config FILE]\n"
    "\n"
    "Prints the effective configuration: golive.yaml (found by walking up from\n"
    "the current directory to the module root) over the defaults, as YAML or,\n"
    "with --json, as JSON. Exit status 2 when the file has an error.\n";

int cmd_config(int argc, char **argv)
{
	struct golive_config cfg;
	const char *explicit_path = getenv("GOLIVE_CONFIG");
	char *cause = NULL;
	int json = 0, ret = EXIT_USAGE;

	if (explicit_path && !*explicit_path)
		explicit_path = NULL;
	for (int i = 1; i < argc; i++) {
		if (is_help_flag(argv[i])) {
			fputs(config_usage, stdout);
			return 0;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			explicit_path = argv[++i];
		} else if (starts_with(argv[i], "--config=")) {
			explicit_path = argv[i] + 9;
		} else {
			error("golive config: unexpected argument %s (see golive config --help)",
			      argv[i]);
			return EXIT_USAGE;
		}
	}

	config_init(&cfg);
	if (config_load(&cfg, explicit_path, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		goto out;
	}
	if (json) {
		json_t *j = config_to_json(&cfg);
		char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(j);
		if (!s) {
			error("golive config: cannot encode the configuration as JSON");
			goto out;
		}
		printf("%s\n", s);
		free(s);
	} else {
		struct strbuf sb = STRBUF_INIT;
		if (config_to_yaml(&cfg, &sb, &cause) < 0) {
			error("golive config: %s", cause);
			strbuf_release(&sb);
			goto out;
		}
		fwrite(sb.buf, 1, sb.len, stdout);
		strbuf_release(&sb);
	}
	ret = 0;
out:
	free(cause);
	config_release(&cfg);
	return ret;
}
