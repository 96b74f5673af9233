/*
 * golive/plugin.h - the C plugin ABI of golive (the only public header).
 *
 * A plugin is a shared object that exports one symbol:
 *
 *     const struct golive_plugin_v1 golive_plugin_v1 = { ... };
 *
 * golive finds it with dlsym(GOLIVE_PLUGIN_SYMBOL), checks abi_version and
 * struct_size before touching anything else (a mismatch is a one-line
 * error naming the plugin and both versions, never a crash), and calls its
 * hooks. Every hook call happens in a child process that golive forks for
 * it (docs/plugins.md, "Isolation"): a plugin that crashes, hangs past its
 * timeout or misbehaves costs that child only, and golive reports it in
 * one line naming the plugin. Plugins are C (or anything with a C ABI);
 * this header needs only <stddef.h> and <stdint.h>.
 *
 * Ownership: every pointer golive passes to a hook is owned by golive and
 * valid until the hook returns; a plugin copies what it wants to keep.
 * Every pointer a plugin passes to a host function is read during the call
 * and copied by golive; the plugin keeps ownership. Strings are
 * NUL-terminated UTF-8 (paths are bytes).
 *
 * Lifecycle in one hook child: init (once, with the configured args), then
 * the hook, then fini. State a plugin keeps in *state lives for that child
 * only: there is no state shared between tool invocations.
 */
#ifndef GOLIVE_PLUGIN_H
#define GOLIVE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI this header describes. A plugin built against another is refused. */
#define GOLIVE_PLUGIN_ABI 1
/* The symbol a plugin exports (a const struct golive_plugin_v1). */
#define GOLIVE_PLUGIN_SYMBOL "golive_plugin_v1"

/* golive_plugin_v1.flags */
/*
 * The plugin may change what a tool produces (before_tool rewrites
 * arguments). Such a plugin runs only in the dev profile, and its name,
 * version and args go into the tools' -V=full answer, so that go's build
 * cache never hands a plugin-modified object to a build without it, or the
 * reverse.
 */
#define GOLIVE_PLUGIN_REWRITES_ARGS 0x1u

/* Severities for report(), as golive's own analyzers use them. */
enum golive_severity { GOLIVE_INFO = 0, GOLIVE_WARNING = 1, GOLIVE_ERROR = 2 };

/* One tool invocation, as go asked for it (read-only). */
struct golive_tool_call {
	const char *tool;        /* "compile", "link", "asm", "cgo", ... */
	const char *importpath;  /* TOOLEXEC_IMPORTPATH, or NULL */
	const char *package;     /* the tool's -p value ("main"), or NULL */
	int argc;                /* argv[0] is the tool's path */
	const char *const *argv; /* argc entries, then NULL */
	const char *workdir;     /* a private directory for files the plugin writes
	                            (generated sources); it outlives the build's tools */
	const char *go;          /* the go command golive builds with */
};

/* What a tool did (after_tool). */
struct golive_tool_result {
	int exit_code; /* -1 when killed by a signal */
	int signal;    /* the signal, or 0 */
	int64_t wall_ns, user_ns, sys_ns;
	long maxrss_kb;
};

/* golive's side of a call; opaque. */
struct golive_host;

/* What golive offers a plugin: passed to every hook. */
struct golive_host_api {
	uint32_t abi_version; /* GOLIVE_PLUGIN_ABI */
	uint32_t struct_size; /* sizeof(struct golive_host_api) of golive: newer fields appended */

	/* The value of args.<key> in golive.yaml, or NULL. Owned by golive. */
	const char *(*arg)(struct golive_host *h, const char *key);

	/*
	 * before_tool only: the argument list the tool runs with instead
	 * (argv[0] is the tool's path and must stay; argc >= 1). Copied.
	 * Returns 0, or -1 outside before_tool, from a plugin without
	 * GOLIVE_PLUGIN_REWRITES_ARGS, or with argc < 1.
	 */
	int (*set_args)(struct golive_host *h, int argc, const char *const *argv);

	/*
	 * analyze_file only: a finding, shown and counted like golive's own
	 * analyzers' (the analyzer name is the plugin's name). line and col are
	 * 1-based (col in bytes). Copied.
	 */
	void (*report)(struct golive_host *h, const char *file, unsigned line, unsigned col,
	               enum golive_severity severity, const char *message);

	/* One line into the session's plugin log (never to the tool's output). Copied. */
	void (*log)(struct golive_host *h, const char *message);
};

/* The tree-sitter tree of an analysed file (tree_sitter/api.h's TSTree). */
struct TSTree;

struct golive_plugin_v1 {
	uint32_t abi_version; /* GOLIVE_PLUGIN_ABI the plugin was built against */
	uint32_t struct_size; /* sizeof(struct golive_plugin_v1) */
	const char *name;     /* must equal the name in golive.yaml */
	const char *version;  /* goes into the cache salt of a rewriting plugin */
	uint32_t flags;       /* GOLIVE_PLUGIN_* */

	/*
	 * Called first in every hook child (may be NULL). Reads its settings
	 * through api->arg. Returns 0, or non-zero when it cannot run (the
	 * hook is then not called; reported as the plugin failing).
	 */
	int (*init)(const struct golive_host_api *api, struct golive_host *h, void **state);

	/*
	 * Before a tool runs (may be NULL). May call api->set_args. Returns 0,
	 * or non-zero for a failure (golive runs the tool unchanged).
	 */
	int (*before_tool)(void *state, const struct golive_host_api *api, struct golive_host *h,
	                   const struct golive_tool_call *call);

	/* After a tool ran (may be NULL): sees what it did. Return value as before_tool's. */
	int (*after_tool)(void *state, const struct golive_host_api *api, struct golive_host *h,
	                  const struct golive_tool_call *call,
	                  const struct golive_tool_result *result);

	/*
	 * For each Go file golive analyses (may be NULL): its path, its bytes,
	 * and its tree-sitter-go tree (valid during the call; the plugin may
	 * walk it with the tree-sitter API golive links in). Reports findings
	 * with api->report. Return value as before_tool's.
	 */
	int (*analyze_file)(void *state, const struct golive_host_api *api, struct golive_host *h,
	                    const char *path, const char *source, size_t len,
	                    const struct TSTree *tree);

	/* Called last in every hook child (may be NULL). */
	void (*fini)(void *state);
};

#ifdef __cplusplus
}
#endif

#endif
