/*
 * config_section.h - what config.c (the parser core) shares with the
 * config_<family>.c files that describe golive.yaml's sections; private to
 * them, everyone else includes config.h.
 *
 * A section is a table of keys (struct key_spec) that config.c parses,
 * checks and writes back (YAML, JSON) by itself, or a section of its own
 * shape that brings its own parse, emit and to_json functions over the
 * node tree (struct ynode) and the emitter (struct emit).
 *
 *  config_build.c     build:, run:, watch:
 *  config_analysis.c  analyzers:, rules:
 *  config_trace.c     trace:
 *  config_plugins.c   plugins:, profiles:
 *  config_verify.c    verify:
 *  config_cache.c     cache:
 */
#ifndef GOLIVE_CONFIG_SECTION_H
#define GOLIVE_CONFIG_SECTION_H

#include <jansson.h>
#include <yaml.h>

#include "core/config.h"
#include "core/util.h"

enum key_type {
	KEY_STRING,       /* char *, NULL when unset */
	KEY_STRING_LIST,  /* struct argv_array: a string or a list of non-empty strings */
	KEY_ARGV,         /* struct argv_array: like KEY_STRING_LIST, "" allowed (arguments) */
	KEY_BOOL,         /* int 0/1 */
	KEY_INT,          /* int in min..max */
	KEY_FAIL_ON,      /* enum fail_on: never, warning or error */
	KEY_SIGNAL,       /* int 1..64: "SIGTERM", "term", "RTMIN+2" or 15 (config_signal_parse) */
	KEY_LIST_DEFAULT, /* struct config_list: like KEY_STRING_LIST, with static defaults */
	KEY_ALLOWED,      /* int 0/1: "allowed" or "forbidden" */
	/*
	 * two struct argv_array in a row (watch.include, watch.reload): a list
	 * of globs, each a string (the first array) or {glob: G, restart: B}
	 * (restart: false goes to the second array)
	 */
	KEY_INCLUDE,
};

struct key_spec {
	const char *name;
	enum key_type type;
	size_t offset; /* of the field in struct golive_config */
	int min, max;  /* KEY_INT range */
	/*
	 * KEY_STRING and the list types, or NULL: checks one string, returning
	 * 0, or -1 with *why (malloc'd, without the key's name) when it is not
	 * acceptable; the error is reported at that string's position.
	 */
	int (*check)(const char *s, char **why);
};

/*
 * A section: a mapping of fixed keys (keys/nkeys), or, when parse is set,
 * a section with its own shape (analyzers: has one key per built-in
 * analyzer, rules: is a list), which then brings its own YAML and JSON
 * output too.
 */
struct ynode;
struct emit;

struct section_spec {
	const char *name;
	const struct key_spec *keys;
	size_t nkeys;
	int (*parse)(struct golive_config *c, const struct ynode *n, const char *path,
	             char **cause);
	void (*emit)(struct emit *em, const struct golive_config *c);
	json_t *(*to_json)(const struct golive_config *c);
	/*
	 * Or NULL: for a section of fixed keys, checks the values together once
	 * the keys of mapping m (the section in the file) are stored in c.
	 */
	int (*check)(const struct golive_config *c, const struct ynode *m, const char *path,
	             char **cause);
};

#define FIELD(f) offsetof(struct golive_config, f)

/* The sections, one per config_<family>.c (config.c lists them in order). */
extern const struct section_spec config_section_build;
extern const struct section_spec config_section_run;
extern const struct section_spec config_section_watch;
extern const struct section_spec config_section_trace;
extern const struct section_spec config_section_analyzers;
extern const struct section_spec config_section_rules;
extern const struct section_spec config_section_plugins;
extern const struct section_spec config_section_profiles;
extern const struct section_spec config_section_verify;
extern const struct section_spec config_section_cache;

/* The node tree (config.c builds it with libyaml). */

enum ynode_kind { YN_SCALAR, YN_SEQUENCE, YN_MAPPING };

struct ynode {
	enum ynode_kind kind;
	yaml_mark_t mark;
	char *value; /* scalar: the bytes, NUL-terminated (may hold NULs) */
	size_t len;
	int plain;                   /* scalar: plain and untagged, so ~ and "" mean null */
	ARRAY(struct ynode *) items; /* sequence items; mapping keys and values, alternating */
	/* scalar: where its text starts in the file (1-based), for rule queries */
	unsigned text_line, text_col;
	int block;       /* scalar: a block scalar (| or >) */
	unsigned indent; /* block scalar: the indentation of its first non-blank line */
};

/* The YAML writer (config_to_yaml): after the first failure it writes nothing more. */
struct emit {
	yaml_emitter_t e;
	const char *what; /* the value being written, for messages */
	char whatbuf[64]; /* what, when it is built ("rules[2].query") */
	int failed;
};

/* The node tree: reading values. */

/* True for a null node: a plain ~, null, Null, NULL or nothing. */
int ynode_is_null(const struct ynode *n);

/* A non-null scalar without NUL bytes. */
int ynode_is_string(const struct ynode *n);

/* Describes n for "got ..." in messages; returns sb->buf. */
const char *ynode_describe(struct strbuf *sb, const struct ynode *n);

/* A YAML 1.1 boolean (true/false, yes/no, on/off, y/n, any case): 0 with *out set, or -1. */
int ynode_parse_bool(const struct ynode *n, int *out);

/* The key named name in mapping m (whose keys are scalars), or NULL. */
const struct ynode *ynode_key(const struct ynode *m, const char *name);

/* Checking and storing. */

/* Sets *cause to "PATH:LINE:COL: message" for the 0-based mark and returns -1. */
int config_fail_at(char **cause, const char *path, yaml_mark_t mark, const char *fmt, ...)
    PRINTF_LIKE(4, 5);

/* A decimal number without sign in 0..max, or -1. */
int config_parse_decimal(const char *s, int max);

/* Quotes s into a new string, for the messages of the string checks. */
char *config_quoted(const char *s);

/* A key_spec check: a non-empty string. */
int config_check_nonempty(const char *s, char **why);

/*
 * Checks that mapping m has scalar keys, each named in names (n of them,
 * stride bytes apart, the name pointer first) and none twice. *idx gets,
 * per key pair, the index of the matching name. where is "" at the top
 * level, " in SECTION" below.
 */
int config_check_keys(const struct ynode *m, const void *names, size_t nnames, size_t stride,
                      const char *where, const char *path, size_t *idx, char **cause);

/* Stores value node n for key k of section into c. */
int config_set_key(struct golive_config *c, const char *section, const struct key_spec *k,
                   const struct ynode *n, const char *path, char **cause);

/* Releases one entry of plugins: (config_plugins.c). */
void config_plugin_spec_release(struct plugin_spec *p);

/* Output: YAML through struct emit, which stops at the first failure. */

/* Emits one event built by the caller (init_ok: its _initialize result). */
void config_emit_event(struct emit *em, int init_ok, yaml_event_t *ev);
void config_emit_scalar_style(struct emit *em, const char *s, yaml_scalar_style_t style);
/* s plain, or double-quoted when quote_if_typed and it would read back typed. */
void config_emit_scalar(struct emit *em, const char *s, int quote_if_typed);
/* Key k and its value, field (in struct golive_config). */
void config_emit_key(struct emit *em, const struct key_spec *k, const void *field);
void config_emit_mapping_start(struct emit *em, yaml_mapping_style_t style);
void config_emit_mapping_end(struct emit *em);
/* Names the value about to be written, for messages (kept once writing failed). */
void config_emit_what(struct emit *em, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Output: JSON. */

json_t *config_json_string_or_null(const char *s);
/* An object of keys (nkeys of them) with their values in c. */
json_t *config_keys_to_json(const struct key_spec *keys, size_t nkeys,
                            const struct golive_config *c);

#endif
