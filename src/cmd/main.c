/*
 * main.c - golive's entry point: choose the mode, then the subcommand.
 *
 *   golive /abs/path/to/go/tool args...   toolexec mode (toolexec.c)
 *   golive gcc -### -x c -c -             go's C compiler probe, passed through
 *   golive -flags | -V=full | ... vet.cfg  go vet -vettool mode (vettool.c)
 *   golive <command> [args]               a subcommand from the table below
 */
#include "cmd/commands.h"
#include "dev/fastpath.h"
#include "dev/fastwarm.h"
#include "dev/keeper.h"
#include "wrapper/analyser.h"
#include "wrapper/toolargs.h"
#include "wrapper/toolexec.h"
#include "wrapper/vettool.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
    {"build", cmd_build, "go build through golive, then a timing summary"},
    {"dev", cmd_dev, "build, run, and rebuild + restart on every save"},
    {"test", cmd_test, "go test with a summary; --watch: the affected tests on every save"},
    {"check", cmd_check, "analyse Go sources without building (text, --json, --sarif)"},
    {"lsp", cmd_lsp, "the Language Server: findings as you type (docs/editors.md)"},
    {"config", cmd_config, "print the effective configuration (golive.yaml)"},
    {"plugins", cmd_plugins, "list the configured plugins: verified, active in the profile"},
    {"verify", cmd_verify, "check a release binary: policy, reproducibility, ABI diff"},
    {"cache", cmd_cache, "the shared compile cache: stats, verify, prog (docs/cache.md)"},
    {"version", cmd_version, "print golive's version and the go it finds"},
    {"help", cmd_help, "show help for golive or one command"},
    /* golive dev's fast-path build (fastpath.h); not listed in the help */
    {"__fastbuild", cmd_fastbuild, NULL},
    /* its warm-up after the first build (fastwarm.h); not listed either */
    {"__fastwarm", cmd_fastwarm, NULL},
    /* golive build's analyser, after the compiles (analyser.h); not listed either */
    {"__analyse", cmd_analyse, NULL},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int is_help_flag(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "-help") == 0 || strcmp(arg, "--help") == 0;
}

void usage_main(FILE *f)
{
	fputs("usage: golive <command> [arguments]\n"
	      "       go build -toolexec=golive [go build flags] [packages]\n"
	      "\n"
	      "golive gives Go an interpreter-like edit/run loop and a programmable,\n"
	      "observable build on top of go build -toolexec.\n"
	      "\n"
	      "commands:\n",
	      f);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (commands[i].summary)
			fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'golive <command> --help' for a command's options.\n", f);
}

int cmd_help(int argc, char **argv)
{
	if (argc < 2 || is_help_flag(argv[1])) {
		usage_main(stdout);
		return 0;
	}
	const struct command *c = find_command(argv[1]);
	if (!c) {
		error("golive help: unknown command \"%s\"", argv[1]);
		usage_main(stderr);
		return EXIT_USAGE;
	}
	char *args[] = {argv[1], "--help", NULL};
	return c->fn(2, args);
}

int main(int argc, char **argv)
{
	/* vet first: go vet runs `golive /abs/$WORK/bNNN/vet.cfg`, an absolute path too */
	if (vettool_detect(argc, argv))
		return vettool_main(argc, argv);
	if (toolargs_is_toolexec(argc, argv))
		toolexec_main(argc, argv);
	keeper_main_if_argv0(argv[0]); /* golive dev's keeper process: never returns */
	if (argc < 2) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	if (is_help_flag(argv[1])) {
		usage_main(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(1, argv + 1);
	const struct command *c = find_command(argv[1]);
	if (!c) {
		error("unknown command \"%s\" (see golive help)", argv[1]);
		return EXIT_USAGE;
	}
	return c->fn(argc - 1, argv + 1);
}
