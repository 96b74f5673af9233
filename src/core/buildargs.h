/*
 * buildargs.h - splitting a `go build` command line into flags and packages,
 * the way cmd/go's flag parser does, so that golive can add -toolexec, take
 * defaults from golive.yaml, and ask `go list` about the same packages.
 */
#ifndef GOLIVE_BUILDARGS_H
#define GOLIVE_BUILDARGS_H

#include "core/util.h"

struct build_args {
	struct argv_array flags;    /* go build flags, each flag with its value(s), in order */
	struct argv_array packages; /* the package patterns (or .go files) */
	int has_output;             /* -o was given */
	int has_toolexec;           /* -toolexec was given */
};
#define BUILD_ARGS_INIT                                                                            \
	{                                                                                          \
		ARGV_ARRAY_INIT, ARGV_ARRAY_INIT, 0, 0                                             \
	}

/*
 * Appends argv[0..argc-1] (go build words) to ba: words starting with '-'
 * are flags until "--" or the first non-flag word; flags that take a value
 * (-o, -tags, -ldflags, ...) take the next word unless written -flag=value.
 * Returns 0, or -1 with *cause (malloc'd) when a value is missing.
 */
int buildargs_parse(struct build_args *ba, int argc, char *const argv[], char **cause);

/*
 * Appends to out the flags of ba that `go list` accepts and that can change
 * the package graph (drops -o, -v, -x, -n, -work, -json, -toolexec).
 */
void buildargs_list_flags(const struct build_args *ba, struct argv_array *out);

/*
 * Appends ba's packages to out, after "--" when one of them starts with '-'
 * (the user ended go's flags with "--": the word is a package for go, and
 * must stay one however the command line is put together again).
 */
void buildargs_push_packages(const struct build_args *ba, struct argv_array *out);

/* True when ba's flags hold -name (or --name, -name=value). */
int buildargs_has_flag(const struct build_args *ba, const char *name);

/* True when the go build flag name (no dash: "tags") takes a value as the next word. */
int buildargs_takes_value(const char *name);

void buildargs_release(struct build_args *ba);

#endif
