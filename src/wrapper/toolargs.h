/*
 * toolargs.h - classifying one `go build -toolexec` invocation from its argv.
 *
 * go calls the wrapper as: <wrapper> <absolute tool path> <tool args...>, or
 * for the C compiler probe as: <wrapper> <cc name> -### -x c -c -. This
 * module looks at those words and never changes them: it only reads what
 * the wrapper records (tool name, package, source files and their bytes).
 * Tool flags change every Go release, so parsing is lenient: only the few
 * flags we need are looked for, and source files are the trailing words.
 */
#ifndef GOLIVE_TOOLARGS_H
#define GOLIVE_TOOLARGS_H

#include <stddef.h>

enum go_tool {
	TOOL_OTHER = 0, /* anything else: passed through, recorded by basename */
	TOOL_COMPILE,
	TOOL_ASM,
	TOOL_LINK,
	TOOL_CGO,
	TOOL_COVER,
	TOOL_VET,
	TOOL_PREPROFILE,
	TOOL_CC, /* the C compiler probe ($CC -### ...) */
};

struct tool_invocation {
	enum go_tool kind;
	char name[64];      /* tool basename with ".exe" stripped, e.g. "compile" */
	int probe;          /* 1 for `-V=full` and the `$CC -###` probe */
	const char *pkg;    /* value of -p (compile, asm), or NULL; points into args */
	const char *output; /* value of -o, or NULL; points into args */
	const char *lang;   /* value of compile's -lang ("go1.21"), or NULL; points into args */
	size_t first_file;  /* index in args of the first source file */
	size_t nfiles;      /* number of trailing source files (.go for compile/cgo, .s for asm) */
	char **args;        /* the tool's arguments after @file expansion (not argv[0..1]) */
	size_t nargs;
	char **owned; /* non-NULL when args were expanded and must be freed */
};

/* Returns the tool kind of a tool path or name (basename, ".exe" stripped). */
enum go_tool toolargs_kind(const char *tool_path, char *name_out, size_t name_size);

/*
 * True when argv (as main() got it) is a toolexec invocation: argv[1] is an
 * absolute path (a Go tool), or argv[2] is "-###" (go's C compiler probe).
 */
int toolargs_is_toolexec(int argc, char **argv);

/*
 * Classifies the tool invocation argv[1..argc-1] (argv[1] is the tool).
 * Expands `@file` response-file words (go's encoding: one argument per line,
 * "\\" and "\n" escaped) for reading only; an unreadable response file is
 * left as the literal word. Never fails. Release with toolargs_release().
 */
void toolargs_classify(struct tool_invocation *ti, int argc, char **argv);
void toolargs_release(struct tool_invocation *ti);

/*
 * Sums the sizes of the source files named by ti (stat, relative to cwd);
 * missing files count 0 bytes. Returns the total bytes.
 */
long long toolargs_source_bytes(const struct tool_invocation *ti);

/* Decodes one line of a go response file in place; returns its new length. */
size_t toolargs_decode_response_line(char *s, size_t len);

#endif
