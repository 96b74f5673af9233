/*
 * config.h - golive.yaml: finding it, parsing it (libyaml) into a typed
 * struct, and printing the effective configuration back as YAML (libyaml
 * emitter) or JSON (jansson).
 *
 * The file is looked for by walking up from the current directory to the
 * module root (the first directory holding go.mod). Unknown keys, wrong
 * types, duplicate keys, aliases and multiple documents are errors; every
 * error is one line "FILE:LINE:COL: message" (1-based) handed back through
 * a `char **cause` out-parameter (malloc'd, the caller frees it). Nothing
 * here prints.
 *
 * config.c is the parser core (the node tree, value types, finding and
 * loading, YAML and JSON output); each family of sections has its file,
 * config_<family>.c, behind config_section.h: build/run/watch, analysis
 * (analyzers, rules), trace, plugins (plugins, profiles), verify, cache.
 *
 * Adding a section: add its fields to struct golive_config, set defaults in
 * config_init(), free them in config_release(), and add a key table plus a
 * struct section_spec in its family's file, listed in the section table in
 * config.c; parsing, YAML and JSON output follow. A section of another shape
 * (analyzers: names the built-in analyzers, rules: and plugins: are lists)
 * brings its own parse, emit and to_json functions.
 */
#ifndef GOLIVE_CONFIG_H
#define GOLIVE_CONFIG_H

#include <stddef.h>

#include "analysis/analyze.h"
#include "core/util.h"

#define CONFIG_FILE_NAME "golive.yaml"
#define CONFIG_MAX_SIZE  (1024 * 1024) /* bytes; larger files are refused */

struct json_t;

/*
 * One entry of plugins: (docs/config.md, docs/plugins.md). Exactly one of
 * path and exec is set; both are absolute. Verified and loaded by
 * plugin_check.c and plugin.c, never here.
 */
struct plugin_spec {
	char *name;             /* [A-Za-z0-9_.-]{1,64}, not "." nor "..", unique */
	char *path;             /* absolute .so path, or NULL */
	char *exec;             /* absolute executable path, or NULL */
	char *sha256;           /* 64 lowercase hex digits, or NULL */
	struct argv_array args; /* "key=value" in file order */
	int timeout_ms;         /* default 2000 */
	int required;           /* default 0 */
	char *where;            /* "FILE:LINE:COL" of the entry, for messages */
};
typedef ARRAY(struct plugin_spec) plugin_spec_array;

/*
 * A list key with a default (verify.forbid_packages, verify.forbid_tags):
 * until golive.yaml names the key its items are the defaults; once named,
 * the file's items ([] included). Read it with config_list_len/_get.
 */
struct config_list {
	struct argv_array items;     /* the file's items, when set */
	int set;                     /* the file named the key */
	const char *const *defaults; /* NULL-terminated, static; set by config_init() */
};

/* The number of effective items of l, and item i. */
size_t config_list_len(const struct config_list *l);
const char *config_list_get(const struct config_list *l, size_t i);

#define PLUGIN_TIMEOUT_DEFAULT_MS 2000
#define PLUGIN_TIMEOUT_MAX_MS     (10 * 60 * 1000)

struct golive_config {
	char *path; /* absolute path of the file the config came from, NULL when none was found */
	/* module root (the dir holding go.mod), or the dir the search started from when there
	   is no go.mod; never NULL after a successful config_load() */
	char *root;
	struct {
		struct argv_array packages; /* build.packages: a string or a list of strings */
		struct argv_array flags;    /* build.flags: one string (never split) or a list */
		char *output;               /* build.output: string, or NULL when unset */
		int keep;                   /* build.keep: boolean, default 0 */
		int top; /* build.top: 0..1000, slowest compiles listed, default 10 */
	} build;
	/*
	 * run: how golive dev runs the program (docs/dev.md, docs/config.md).
	 *  package      the main package; NULL: build.packages[0], else the module's
	 *               only main package ("" is an error)
	 *  args         program arguments (a string is one; "" is a real argument)
	 *  listen       "[NAME=]ADDR" sockets golive holds (NAME: [A-Za-z0-9_.-],
	 *               at most 255 bytes); not together with proxy
	 *  env          "NAME=value" added to the program's environment; LISTEN_* and
	 *               NOTIFY_SOCKET are refused (golive dev sets them)
	 *  proxy, to    ADDR golive accepts on / ADDR the program listens on: both or
	 *               neither
	 *  stop_signal  "SIGTERM", "TERM", "sigterm" or 15 (default SIGTERM)
	 *  grace_ms     0..600000, default 5000
	 *  debug_info   bool, default 0: golive dev links with -s -w unless set
	 *  fast         bool, default 1: golive dev's fast path (src/dev/fastpath.h)
	 *  browser      bool, default 0: the HTTP-aware proxy that reloads pages
	 *               (src/dev/httpproxy.h); needs listen or proxy
	 *  editor_url   the overlay's links, {abs} {file} {line} {col} replaced; NULL:
	 *               vscode://file/{abs}:{line}:{col}
	 */
	struct {
		char *package;
		struct argv_array args, listen, env;
		char *proxy, *to;
		int stop_signal, grace_ms;
		int debug_info, fast;
		int browser;
		char *editor_url;
	} run;
	/*
	 * watch: what golive dev watches (docs/dev.md).
	 *  include, exclude  globs (pathmatch.h) that also rebuild / never rebuild;
	 *                    an include entry {glob: G, restart: false} goes to reload
	 *  reload            (from include) globs whose changes reload the browser
	 *                    (golive dev --browser) without a rebuild or restart
	 *  debounce_ms       0..10000, default 20
	 *  gitignore         bool, default 1: .gitignored paths never rebuild
	 *  poll              NULL/"auto" (poll only where inotify sees nothing), "off", or
	 *                    an interval ("250ms", "1s"): see config_parse_poll()
	 */
	struct {
		struct argv_array include, reload; /* in this order (KEY_INCLUDE) */
		struct argv_array exclude;
		int debounce_ms, gitignore;
		char *poll;
	} watch;
	/*
	 * trace: observable builds (docs/tracing.md); the command line wins.
	 *  log_format    "text" (default) or "json"
	 *  trace_out     OTLP/JSON lines file (--trace-out), relative to the root
	 *  chrome_trace  Chrome/Perfetto trace file (--chrome-trace), relative to the root
	 *  report        HTML report file (--report), relative to the root
	 */
	struct {
		char *log_format, *trace_out, *chrome_trace, *report;
	} trace;
	/*
	 * analyzers: (fail_on, include_generated, include_deps, one entry per
	 * built-in analyzer named in the file) and rules: (user rules, with the
	 * position of each query in the file). Defaults: every analyzer on at
	 * its own severity, no rules, fail_on never.
	 */
	struct analysis_settings analysis;
	/* plugins: the configured plugins, in file order (a plugins: list replaces them) */
	plugin_spec_array plugins;
	/*
	 * profiles: (the profile itself is chosen in profile.c).
	 *  prod_marker   absolute path of a file whose existence selects prod, or NULL
	 *  trusted_dirs  absolute directories: plugins under them need no sha256
	 */
	struct {
		char *prod_marker;
		struct argv_array trusted_dirs;
	} profiles;
	/*
	 * cache: the shared compile cache (docs/cache.md, cache_config.h), kept
	 * as written; cache_settings_resolve() turns them into values.
	 *  backend     redis://, http://, https:// or dir:// URL
	 *  mode        read-write, read-only or off
	 *  timeout     a duration per request (default 2s)
	 *  max_object  a size (default 64MiB)
	 *  ttl         a duration, Redis key expiry (default none)
	 *  prefix      Redis key prefix (default "golive:")
	 */
	struct {
		char *backend, *mode, *timeout, *max_object, *ttl, *prefix;
	} cache;
	/*
	 * verify: golive verify's policy (docs/verify.md, verify_policy.h).
	 *  forbid_packages     package patterns ("P" or "P/..."), default [net/http/pprof]
	 *  allow_packages      patterns that win over forbid_packages, default []
	 *  forbid_tags         build tags, default [dev]
	 *  forbid_race, forbid_no_optimize, forbid_modified   bool, default 1
	 *  dwarf_forbidden     dwarf: allowed (0, the default) or forbidden (1)
	 *  require_trimpath    bool, default 0
	 */
	struct {
		struct config_list forbid_packages;
		struct argv_array allow_packages;
		struct config_list forbid_tags;
		int forbid_race, forbid_no_optimize, forbid_modified;
		int dwarf_forbidden, require_trimpath;
	} verify;
};

/*
 * Parses a signal as run.stop_signal takes it (and golive dev --stop-signal):
 * TERM, INT, HUP, QUIT, KILL, USR1, USR2, RTMIN, RTMIN+N, RTMAX, RTMAX-N,
 * with or without "SIG", in any case, or a number in 1..64. Returns 0 with
 * *out set, or -1.
 */
int config_signal_parse(const char *s, int *out);

/* Fills c with the defaults; c owns no memory afterwards (list defaults are static). */
void config_init(struct golive_config *c);
/* Frees everything c owns and leaves it as config_init() does. */
void config_release(struct golive_config *c);

/*
 * Looks for golive.yaml: walks up from dir (an absolute path), checking each
 * directory for golive.yaml, and stops after the first directory that holds
 * go.mod (the module root) or at "/". The nearest golive.yaml wins, so one
 * above the module root is never found.
 *
 * Sets *path_out (malloc'd) to the absolute path of the file, or NULL when
 * none was found, and *root_out (malloc'd) to the directory holding go.mod,
 * or to dir itself when no go.mod was found. Returns 0, or -1 with *cause
 * set (and both outputs NULL) when dir is not absolute or on an I/O error
 * other than ENOENT/ENOTDIR (EACCES, for example).
 */
int config_find(const char *dir, char **path_out, char **root_out, char **cause);

/*
 * Parses YAML text buf of len bytes (need not be NUL-terminated), naming it
 * display_path in messages, into c (which was config_init'ed or loaded
 * before: keys present in buf replace the values in c, others keep them; a
 * null value such as `output:` or `output: ~` keeps the value too).
 *
 * An empty document (empty file, only comments, a lone `---`) is fine.
 * Returns 0, or -1 with *cause = "DISPLAY_PATH:LINE:COL: message" (1-based
 * line and column of the offending node: the key for unknown and duplicate
 * keys, the value for wrong types). On error c may hold part of the file;
 * config_release() it either way.
 */
int config_parse(struct golive_config *c, const char *display_path, const char *buf, size_t len,
                 char **cause);

/*
 * Finds and loads the configuration: explicit_path when non-NULL (from
 * --config or GOLIVE_CONFIG, resolved by the caller; relative to the cwd),
 * else the file config_find() finds from the cwd. Sets c->root (always) and
 * c->path, reads the file (at most CONFIG_MAX_SIZE bytes) and config_parse()s
 * it, naming it in messages relative to the cwd when it is below the cwd,
 * else by its absolute path.
 *
 * No file found by the search is fine (c keeps the defaults, c->path NULL);
 * a missing or unreadable explicit file is an error. Returns 0, or -1 with
 * *cause set.
 */
int config_load(struct golive_config *c, const char *explicit_path, char **cause);

/*
 * Appends the effective configuration to out as YAML written by the libyaml
 * emitter, after a header comment line "# from PATH" or "# defaults (no
 * golive.yaml found)". Unset strings are written as null; strings that would
 * read back as another type (true, 10, null, "") are quoted, so that
 * config_parse() of the output gives c back. Returns 0, or -1 with *cause set
 * (a string that is not valid UTF-8, for example).
 */
int config_to_yaml(const struct golive_config *c, struct strbuf *out, char **cause);

/*
 * Returns a new jansson object of the effective configuration: "path" and
 * "root" (string or null) followed by one object per section, keyed like the
 * YAML. Invalid UTF-8 in strings is replaced by U+FFFD. The caller
 * json_decref()s it.
 */
struct json_t *config_to_json(const struct golive_config *c);

/*
 * The checks golive.yaml's run: addresses get, for the same values given on
 * golive dev's command line: an address (HOST:PORT, :PORT, [IPV6]:PORT),
 * one to connect to (run.to: not port 0), [NAME=]ADDR (run.listen). Each
 * returns 0, or -1 with *why (malloc'd, the value quoted).
 */
int config_check_addr(const char *s, char **why);
/*
 * watch.poll and --poll: "250ms", "1s", "1.5s" (10 ms to 10 s) -> that many
 * ms; "auto" or NULL -> -1 (poll only on file systems without inotify
 * events); "off" -> 0. -2 when s is none of these.
 */
long config_parse_poll(const char *s);
int config_check_to(const char *s, char **why);
int config_check_listen(const char *s, char **why);

#endif
