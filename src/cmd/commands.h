/*
 * commands.h - the subcommands. Each cmd_<name>.c owns its options and
 * usage text; main.c dispatches through the table in main.c.
 *
 * A command returns golive's exit status: 0 ok, 1 failure (or go's own
 * status for build), 2 usage or configuration error; see docs/cli.md.
 */
#ifndef GOLIVE_COMMANDS_H
#define GOLIVE_COMMANDS_H

#define EXIT_USAGE 2
#define EXIT_NO_GO 127

int cmd_build(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_dev(int argc, char **argv);
int cmd_lsp(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_plugins(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_help(int argc, char **argv);

/* Prints the top-level usage to f. */
#include <stdio.h>
void usage_main(FILE *f);

/*
 * The go toolchain check every command that runs go makes (gotool_check,
 * cmd_version.c): prints its warning, or its error, and returns 0 to go
 * on or EXIT_GO_VERSION. quiet drops the warning. When run is not NULL it
 * gets the version of the Go that will run (unknown when unknown).
 */
#define EXIT_GO_VERSION 3
struct goversion;
int cmd_require_go(const char *go, const char *dir, int quiet, struct goversion *run);

/* True when arg is -h, -help or --help. */
int is_help_flag(const char *arg);

#endif
