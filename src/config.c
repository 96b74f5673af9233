/*
 * config.c - see config.h.
 *
 * Parsing runs libyaml's event parser and builds a small node tree (struct
 * ynode) with the position of every node; aliases and a second document are
 * refused while the events arrive, nesting is capped. The tree is then
 * checked against the section/key tables below, which also drive the YAML
 * and JSON output.
 */
#define _GNU_SOURCE
#include "config.h"
#include "jsonl.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <yaml.h>

#include "cache_config.h"
#include "pathmatch.h"
#include "verify_policy.h"

#define MAX_DEPTH 64 /* nesting levels accepted in the file */

/* The key tables. */

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

struct ynode;
struct emit;

/*
 * A section: a mapping of fixed keys (keys/nkeys), or, when parse is set,
 * a section with its own shape (analyzers: has one key per built-in
 * analyzer, rules: is a list), which then brings its own YAML and JSON
 * output too.
 */
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

static int check_nonempty(const char *s, char **why);
static int check_addr(const char *s, char **why);
static int check_listen(const char *s, char **why);
static int check_to(const char *s, char **why);
static int check_env(const char *s, char **why);

static const struct key_spec build_keys[] = {
    {"packages", KEY_STRING_LIST, FIELD(build.packages), 0, 0, NULL},
    {"flags", KEY_STRING_LIST, FIELD(build.flags), 0, 0, NULL},
    {"output", KEY_STRING, FIELD(build.output), 0, 0, NULL},
    {"keep", KEY_BOOL, FIELD(build.keep), 0, 0, NULL},
    {"top", KEY_INT, FIELD(build.top), 0, 1000, NULL},
};

static const struct key_spec run_keys[] = {
    {"package", KEY_STRING, FIELD(run.package), 0, 0, check_nonempty},
    {"args", KEY_ARGV, FIELD(run.args), 0, 0, NULL},
    {"listen", KEY_STRING_LIST, FIELD(run.listen), 0, 0, check_listen},
    {"env", KEY_STRING_LIST, FIELD(run.env), 0, 0, check_env},
    {"proxy", KEY_STRING, FIELD(run.proxy), 0, 0, check_addr},
    {"to", KEY_STRING, FIELD(run.to), 0, 0, check_to},
    {"stop_signal", KEY_SIGNAL, FIELD(run.stop_signal), 0, 0, NULL},
    {"grace_ms", KEY_INT, FIELD(run.grace_ms), 0, 600000, NULL},
    {"debug_info", KEY_BOOL, FIELD(run.debug_info), 0, 0, NULL},
    {"fast", KEY_BOOL, FIELD(run.fast), 0, 0, NULL},
};

static const struct key_spec watch_keys[] = {
    {"include", KEY_STRING_LIST, FIELD(watch.include), 0, 0, glob_check},
    {"exclude", KEY_STRING_LIST, FIELD(watch.exclude), 0, 0, glob_check},
    {"debounce_ms", KEY_INT, FIELD(watch.debounce_ms), 0, 10000, NULL},
    {"gitignore", KEY_BOOL, FIELD(watch.gitignore), 0, 0, NULL},
};

static int check_log_format(const char *s, char **why);

static const struct key_spec trace_keys[] = {
    {"log_format", KEY_STRING, FIELD(trace.log_format), 0, 0, check_log_format},
    {"trace_out", KEY_STRING, FIELD(trace.trace_out), 0, 0, check_nonempty},
    {"chrome_trace", KEY_STRING, FIELD(trace.chrome_trace), 0, 0, check_nonempty},
    {"report", KEY_STRING, FIELD(trace.report), 0, 0, check_nonempty},
};

static int check_absolute(const char *s, char **why);

static const struct key_spec profiles_keys[] = {
    {"prod_marker", KEY_STRING, FIELD(profiles.prod_marker), 0, 0, check_absolute},
    {"trusted_dirs", KEY_STRING_LIST, FIELD(profiles.trusted_dirs), 0, 0, check_absolute},
};

static int check_cache_backend(const char *s, char **why);
static int check_cache_mode(const char *s, char **why);
static int check_duration(const char *s, char **why);
static int check_size(const char *s, char **why);

static const struct key_spec cache_keys[] = {
    {"backend", KEY_STRING, FIELD(cache.backend), 0, 0, check_cache_backend},
    {"mode", KEY_STRING, FIELD(cache.mode), 0, 0, check_cache_mode},
    {"timeout", KEY_STRING, FIELD(cache.timeout), 0, 0, check_duration},
    {"max_object", KEY_STRING, FIELD(cache.max_object), 0, 0, check_size},
    {"ttl", KEY_STRING, FIELD(cache.ttl), 0, 0, check_duration},
    {"prefix", KEY_STRING, FIELD(cache.prefix), 0, 0, check_nonempty},
};

static int check_package_pattern(const char *s, char **why);
static int check_build_tag(const char *s, char **why);

static const struct key_spec verify_keys[] = {
    {"forbid_packages", KEY_LIST_DEFAULT, FIELD(verify.forbid_packages), 0, 0,
     check_package_pattern},
    {"allow_packages", KEY_STRING_LIST, FIELD(verify.allow_packages), 0, 0, check_package_pattern},
    {"forbid_tags", KEY_LIST_DEFAULT, FIELD(verify.forbid_tags), 0, 0, check_build_tag},
    {"forbid_race", KEY_BOOL, FIELD(verify.forbid_race), 0, 0, NULL},
    {"forbid_no_optimize", KEY_BOOL, FIELD(verify.forbid_no_optimize), 0, 0, NULL},
    {"forbid_modified", KEY_BOOL, FIELD(verify.forbid_modified), 0, 0, NULL},
    {"dwarf", KEY_ALLOWED, FIELD(verify.dwarf_forbidden), 0, 0, NULL},
    {"require_trimpath", KEY_BOOL, FIELD(verify.require_trimpath), 0, 0, NULL},
};

/* The fixed keys of analyzers:; the built-in analyzers' names follow them. */
static const struct key_spec analyzers_keys[] = {
    {"fail_on", KEY_FAIL_ON, FIELD(analysis.fail_on), 0, 0, NULL},
    {"include_generated", KEY_BOOL, FIELD(analysis.include_generated), 0, 0, NULL},
    {"include_deps", KEY_BOOL, FIELD(analysis.include_deps), 0, 0, NULL},
};

/* The keys of one entry of rules:, in output order. */
static const char *const rule_keys[] = {"id", "query", "message", "severity", "scope"};
enum { RULE_ID, RULE_QUERY, RULE_MESSAGE, RULE_SEVERITY, RULE_SCOPE };

static int parse_analyzers(struct golive_config *c, const struct ynode *n, const char *path,
                           char **cause);
static void emit_analyzers(struct emit *em, const struct golive_config *c);
static json_t *analyzers_to_json(const struct golive_config *c);
static int parse_rules(struct golive_config *c, const struct ynode *n, const char *path,
                       char **cause);
static void emit_rules(struct emit *em, const struct golive_config *c);
static json_t *rules_to_json(const struct golive_config *c);

/* The keys of one entry of plugins:, in output order. */
static const char *const plugin_keys[] = {"name", "path",    "exec",    "sha256",
                                          "args", "timeout", "required"};
enum { PK_NAME, PK_PATH, PK_EXEC, PK_SHA256, PK_ARGS, PK_TIMEOUT, PK_REQUIRED };

static int parse_plugins(struct golive_config *c, const struct ynode *n, const char *path,
                         char **cause);
static void emit_plugins(struct emit *em, const struct golive_config *c);
static json_t *plugins_to_json(const struct golive_config *c);

static int check_run(const struct golive_config *c, const struct ynode *m, const char *path,
                     char **cause);

static const struct section_spec sections[] = {
    {"build", build_keys, ARRAY_SIZE(build_keys), NULL, NULL, NULL, NULL},
    {"run", run_keys, ARRAY_SIZE(run_keys), NULL, NULL, NULL, check_run},
    {"watch", watch_keys, ARRAY_SIZE(watch_keys), NULL, NULL, NULL, NULL},
    {"trace", trace_keys, ARRAY_SIZE(trace_keys), NULL, NULL, NULL, NULL},
    {"analyzers", analyzers_keys, ARRAY_SIZE(analyzers_keys), parse_analyzers, emit_analyzers,
     analyzers_to_json, NULL},
    {"rules", NULL, 0, parse_rules, emit_rules, rules_to_json, NULL},
    {"plugins", NULL, 0, parse_plugins, emit_plugins, plugins_to_json, NULL},
    {"profiles", profiles_keys, ARRAY_SIZE(profiles_keys), NULL, NULL, NULL, NULL},
    {"verify", verify_keys, ARRAY_SIZE(verify_keys), NULL, NULL, NULL, NULL},
    {"cache", cache_keys, ARRAY_SIZE(cache_keys), NULL, NULL, NULL, NULL},
};

static void plugin_spec_release(struct plugin_spec *p);

void config_init(struct golive_config *c)
{
	memset(c, 0, sizeof(*c));
	c->build.top = 10;
	c->run.stop_signal = SIGTERM;
	c->run.grace_ms = 5000;
	c->watch.debounce_ms = 20;
	c->run.fast = 1;
	c->watch.gitignore = 1;
	analysis_settings_init(&c->analysis);
	c->verify.forbid_packages.defaults = verify_default_forbid_packages;
	c->verify.forbid_tags.defaults = verify_default_forbid_tags;
	c->verify.forbid_race = 1;
	c->verify.forbid_no_optimize = 1;
	c->verify.forbid_modified = 1;
}

size_t config_list_len(const struct config_list *l)
{
	size_t n = 0;

	if (l->set)
		return l->items.argc;
	while (l->defaults && l->defaults[n])
		n++;
	return n;
}

const char *config_list_get(const struct config_list *l, size_t i)
{
	return l->set ? l->items.argv[i] : l->defaults[i];
}

void config_release(struct golive_config *c)
{
	free(c->path);
	free(c->root);
	argv_clear(&c->build.packages);
	argv_clear(&c->build.flags);
	free(c->build.output);
	free(c->run.package);
	argv_clear(&c->run.args);
	argv_clear(&c->run.listen);
	argv_clear(&c->run.env);
	free(c->run.proxy);
	free(c->run.to);
	argv_clear(&c->watch.include);
	argv_clear(&c->watch.exclude);
	free(c->cache.backend);
	free(c->cache.mode);
	free(c->cache.timeout);
	free(c->cache.max_object);
	free(c->cache.ttl);
	free(c->cache.prefix);
	free(c->trace.log_format);
	free(c->trace.trace_out);
	free(c->trace.chrome_trace);
	free(c->trace.report);
	analysis_settings_release(&c->analysis);
	for (size_t i = 0; i < c->plugins.n; i++)
		plugin_spec_release(&c->plugins.v[i]);
	ARRAY_FREE(c->plugins);
	free(c->profiles.prod_marker);
	argv_clear(&c->profiles.trusted_dirs);
	argv_clear(&c->verify.forbid_packages.items);
	argv_clear(&c->verify.allow_packages);
	argv_clear(&c->verify.forbid_tags.items);
	config_init(c);
}

/* The node tree. */

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

static void ynode_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->items.n; i++)
		ynode_free(n->items.v[i]);
	ARRAY_FREE(n->items);
	free(n->value);
	free(n);
}

static int is_null(const struct ynode *n)
{
	if (n->kind != YN_SCALAR || !n->plain)
		return 0;
	return !strcmp(n->value, "") || !strcmp(n->value, "~") || !strcmp(n->value, "null") ||
	       !strcmp(n->value, "Null") || !strcmp(n->value, "NULL");
}

/* Sets *cause to "PATH:LINE:COL: message" for the 0-based mark and returns -1. */
static int fail_at(char **cause, const char *path, yaml_mark_t mark, const char *fmt, ...)
    PRINTF_LIKE(4, 5);
static int fail_at(char **cause, const char *path, yaml_mark_t mark, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	strbuf_addf(&sb, "%s:%zu:%zu: ", path, mark.line + 1, mark.column + 1);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	*cause = strbuf_detach(&sb, NULL);
	return -1;
}

/* Appends s as a double-quoted, escaped, one-line string cut after 40 bytes. */
static void add_quoted(struct strbuf *sb, const char *s, size_t len)
{
	size_t max = len > 40 ? 40 : len;

	if (max < len) /* do not cut a UTF-8 sequence */
		while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
			max--;
	strbuf_addch(sb, '"');
	for (size_t i = 0; i < max; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			strbuf_addf(sb, "\\%c", ch);
		else if (ch == '\n')
			strbuf_addstr(sb, "\\n");
		else if (ch == '\t')
			strbuf_addstr(sb, "\\t");
		else if (ch < 0x20 || ch == 0x7f)
			strbuf_addf(sb, "\\x%02x", ch);
		else
			strbuf_addch(sb, ch);
	}
	strbuf_addch(sb, '"');
	if (max < len)
		strbuf_addstr(sb, "...");
}

/* Describes n for "got ..." in messages; returns sb->buf. */
static const char *describe(struct strbuf *sb, const struct ynode *n)
{
	strbuf_reset(sb);
	if (n->kind == YN_MAPPING)
		strbuf_addstr(sb, "a mapping");
	else if (n->kind == YN_SEQUENCE)
		strbuf_addstr(sb, "a sequence");
	else if (is_null(n))
		strbuf_addstr(sb, "null");
	else
		add_quoted(sb, n->value, n->len);
	return sb->buf;
}

/* Line and column of byte offset off in buf, for reader errors that carry no mark. */
static yaml_mark_t mark_at_offset(const char *buf, size_t len, size_t off)
{
	yaml_mark_t m = {off, 0, 0};

	for (size_t i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			m.line++;
			m.column = 0;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			m.column++;
		}
	}
	return m;
}

static int parser_error(yaml_parser_t *p, const char *path, const char *buf, size_t len,
                        char **cause)
{
	yaml_mark_t mark = p->problem_mark;
	const char *problem = p->problem ? p->problem : "cannot parse";

	if (p->error == YAML_MEMORY_ERROR)
		problem = "out of memory";
	if (p->error == YAML_READER_ERROR) {
		mark = mark_at_offset(buf, len, p->problem_offset);
		if (p->problem_value >= 0)
			return fail_at(cause, path, mark, "yaml: %s (#x%x)", problem,
			               (unsigned)p->problem_value);
	}
	if ((p->error == YAML_PARSER_ERROR || p->error == YAML_SCANNER_ERROR) && p->context)
		return fail_at(cause, path, mark, "yaml: %s (%s at %zu:%zu)", problem, p->context,
		               p->context_mark.line + 1, p->context_mark.column + 1);
	return fail_at(cause, path, mark, "yaml: %s", problem);
}

/* A position in the buffer being parsed: byte off starts 0-based line line. */
struct line_cursor {
	size_t off, line;
};

/*
 * Sets where the text of scalar n starts: the character after the opening
 * quote, or for a block scalar (| or >, whose mark is its indicator) the
 * first line after the indicator line, with the indentation of the first
 * non-blank line. Lines end at \n (a \r before it is part of the break).
 * lc moves forward with the scalars, so the buffer is read once.
 */
static void scalar_text_position(struct ynode *n, yaml_scalar_style_t style, const char *buf,
                                 size_t len, struct line_cursor *lc)
{
	size_t i, line;

	n->text_line = (unsigned)n->mark.line + 1;
	n->text_col = (unsigned)n->mark.column + 1;
	if (style == YAML_SINGLE_QUOTED_SCALAR_STYLE || style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		n->text_col++;
	if (style != YAML_LITERAL_SCALAR_STYLE && style != YAML_FOLDED_SCALAR_STYLE)
		return;
	n->block = 1;
	n->text_line++;
	n->text_col = 1;
	if (lc->line > n->mark.line) /* cannot happen: marks only move forward */
		lc->off = lc->line = 0;
	while (lc->off < len && lc->line < n->mark.line) /* to the indicator line */
		if (buf[lc->off++] == '\n')
			lc->line++;
	i = lc->off;
	line = lc->line;
	while (i < len && line <= n->mark.line) /* past the indicator line */
		if (buf[i++] == '\n')
			line++;
	while (i < len) {
		size_t sp = 0;
		while (i + sp < len && buf[i + sp] == ' ')
			sp++;
		if (i + sp < len && buf[i + sp] != '\n' && buf[i + sp] != '\r') {
			n->indent = (unsigned)sp;
			n->text_col = (unsigned)sp + 1;
			return;
		}
		i += sp;
		while (i < len && buf[i] != '\n')
			i++;
		i++;
	}
}

/*
 * Runs the libyaml parser over buf and returns the single document's root
 * in *root (NULL for an empty stream or document). 0, or -1 with *cause.
 */
static int load_tree(const char *path, const char *buf, size_t len, struct ynode **root,
                     char **cause)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	ARRAY(struct ynode *) stack = ARRAY_INIT;
	struct line_cursor lc = {0, 0};
	int ndocs = 0, ret = -1, done = 0;

	*root = NULL;
	if (!yaml_parser_initialize(&parser)) {
		*cause = xasprintf("%s: yaml: cannot initialize the parser", path);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);

	while (!done) {
		struct ynode *n = NULL;

		if (!yaml_parser_parse(&parser, &ev)) {
			parser_error(&parser, path, buf, len, cause);
			goto out;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++ndocs > 1) {
				fail_at(cause, path, ev.start_mark,
				        "yaml: multiple documents are not supported");
				goto out_event;
			}
			break;
		case YAML_ALIAS_EVENT:
			fail_at(cause, path, ev.start_mark, "yaml: aliases are not supported");
			goto out_event;
		case YAML_SCALAR_EVENT:
			n = xcalloc(1, sizeof(*n));
			n->kind = YN_SCALAR;
			n->len = ev.data.scalar.length;
			n->value = xmalloc(n->len + 1); /* the bytes may hold NULs */
			memcpy(n->value, ev.data.scalar.value, n->len);
			n->value[n->len] = '\0';
			n->plain = ev.data.scalar.plain_implicit &&
			           ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			n->mark = ev.start_mark;
			scalar_text_position(n, ev.data.scalar.style, buf, len, &lc);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			n = xcalloc(1, sizeof(*n));
			n->kind = ev.type == YAML_SEQUENCE_START_EVENT ? YN_SEQUENCE : YN_MAPPING;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (!stack.n)
				BUG("unbalanced yaml events");
			stack.n--;
			break;
		default:
			break;
		}
		if (n) {
			n->mark = ev.start_mark;
			if (stack.n) {
				ARRAY_PUSH(stack.v[stack.n - 1]->items, n);
			} else if (!*root) {
				*root = n;
			} else {
				ynode_free(n);
				BUG("two roots in one yaml document");
			}
			if (n->kind != YN_SCALAR) {
				if (stack.n >= MAX_DEPTH) {
					fail_at(cause, path, ev.start_mark,
					        "yaml: nesting deeper than %d levels", MAX_DEPTH);
					goto out_event;
				}
				ARRAY_PUSH(stack, n);
			}
		}
		yaml_event_delete(&ev);
	}
	ret = 0;
	goto out;
out_event:
	yaml_event_delete(&ev);
out:
	if (ret) {
		ynode_free(*root);
		*root = NULL;
	}
	ARRAY_FREE(stack);
	yaml_parser_delete(&parser);
	return ret;
}

/* Value checks, one per key type. */

static int parse_bool(const struct ynode *n, int *out)
{
	static const char *const yes[] = {"true", "yes", "on", "y"};
	static const char *const no[] = {"false", "no", "off", "n"};

	if (n->kind != YN_SCALAR || strlen(n->value) != n->len)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(n->value, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(n->value, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* A decimal integer in min..max. */
static int parse_int(const struct ynode *n, int min, int max, int *out)
{
	const char *s = n->value;
	long long v = 0;
	int neg = 0;

	if (n->kind != YN_SCALAR || strlen(s) != n->len)
		return -1;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v < (long long)INT_MAX + 1)
			v = v * 10 + (*s - '0');
	}
	if (neg)
		v = -v;
	if (v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* A decimal number without sign in 0..max, or -1. */
static int parse_decimal(const char *s, int max)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	return (int)v;
}

/*
 * The signals run.stop_signal knows by name, in the order of messages;
 * config_to_yaml() writes these as "SIGTERM", real-time signals as
 * "SIGRTMIN+N" and any other as its number.
 */
static const struct {
	const char *name; /* without "SIG" */
	int sig;
} signal_names[] = {
    {"TERM", SIGTERM}, {"INT", SIGINT},   {"HUP", SIGHUP},   {"QUIT", SIGQUIT},
    {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2},
};

#define MAX_SIGNAL 64

/*
 * Parses a signal: a name of signal_names or RTMIN, RTMIN+N, RTMAX, RTMAX-N,
 * with or without "SIG", in any case; or a number in 1..MAX_SIGNAL. 0 with
 * *out set, or -1.
 */
int config_signal_parse(const char *s, int *out)
{
	int v = parse_decimal(s, MAX_SIGNAL), n = 0;

	if (v >= 1) {
		*out = v;
		return 0;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++) {
		if (!strcasecmp(s, signal_names[i].name)) {
			*out = signal_names[i].sig;
			return 0;
		}
	}
	if (!strncasecmp(s, "RTMIN", 5) || !strncasecmp(s, "RTMAX", 5)) {
		int max = !strncasecmp(s, "RTMAX", 5);
		if (s[5] &&
		    (s[5] != (max ? '-' : '+') || (n = parse_decimal(s + 6, MAX_SIGNAL)) < 0))
			return -1;
		v = max ? SIGRTMAX - n : SIGRTMIN + n;
		if (v < SIGRTMIN || v > SIGRTMAX || v > MAX_SIGNAL)
			return -1;
		*out = v;
		return 0;
	}
	return -1;
}

/* The name config_to_yaml() writes for signal sig: "SIGTERM", "SIGRTMIN+2" or "7". */
static const char *signal_name(int sig, char buf[32])
{
	for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++) {
		if (signal_names[i].sig == sig) {
			snprintf(buf, 32, "SIG%s", signal_names[i].name);
			return buf;
		}
	}
	if (sig == SIGRTMIN)
		snprintf(buf, 32, "SIGRTMIN");
	else if (sig > SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, 32, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, 32, "%d", sig);
	return buf;
}

/* Quotes s into a new string, for the messages of the string checks. */
static char *quoted(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	add_quoted(&sb, s, strlen(s));
	return strbuf_detach(&sb, NULL);
}

static int check_nonempty(const char *s, char **why)
{
	if (*s)
		return 0;
	*why = xstrdup("expected a non-empty string, got \"\"");
	return -1;
}

/* profiles.prod_marker and profiles.trusted_dirs: an absolute path. */
static int check_absolute(const char *s, char **why)
{
	char *q;

	if (s[0] == '/')
		return 0;
	q = quoted(s);
	*why = xasprintf("must be an absolute path, got %s", q);
	free(q);
	return -1;
}

/* cache.backend: a URL golive can use (redis://, http://, https://, dir://) or an absolute path. */
static int check_cache_backend(const char *s, char **why)
{
	static const char *const schemes[] = {"redis://", "http://", "https://", "dir:///"};
	char *q;

	if (s[0] == '/')
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(schemes); i++)
		if (starts_with(s, schemes[i]) && s[strlen(schemes[i])])
			return 0;
	q = quoted(s);
	*why = xasprintf("want redis://HOST[:PORT][/DB], http(s)://HOST[:PORT]/PATH/ or "
	                 "dir:///PATH, got %s",
	                 q);
	free(q);
	return -1;
}

static int check_cache_mode(const char *s, char **why)
{
	enum cache_mode m;
	return cache_parse_mode(s, &m, why);
}

static int check_duration(const char *s, char **why)
{
	long long ms;
	return cache_parse_duration_ms(s, &ms, why);
}

static int check_size(const char *s, char **why)
{
	unsigned long long n;
	return cache_parse_size(s, &n, why);
}

/*
 * verify.forbid_packages and verify.allow_packages: an import path, or one
 * ending in "/..." (docs/verify.md); no spaces, no leading slash.
 */
static int check_package_pattern(const char *s, char **why)
{
	const char *dots;
	char *q;

	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == ',')
			goto bad;
	dots = strstr(s, "...");
	if (s[0] == '/' || ends_with(s, "/") ||
	    (dots && (!ends_with(s, "/...") || dots != s + strlen(s) - 3)))
		goto bad;
	return 0;
bad:
	q = quoted(s);
	*why = xasprintf("expected an import path or PATH/..., got %s", q);
	free(q);
	return -1;
}

/* verify.forbid_tags: a build tag (letters, digits, '_' and '.'). */
static int check_build_tag(const char *s, char **why)
{
	char *q;

	for (const char *p = s; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '_' && *p != '.')
			goto bad;
	return 0;
bad:
	q = quoted(s);
	*why = xasprintf("expected a build tag (letters, digits, '_' and '.'), got %s", q);
	free(q);
	return -1;
}

static int check_log_format(const char *s, char **why)
{
	if (strcmp(s, "text") == 0 || strcmp(s, "json") == 0)
		return 0;
	*why = xasprintf("expected text or json, got \"%s\"", s);
	return -1;
}

/*
 * What is wrong with TCP address a (HOST:PORT, :PORT, [IPV6]:PORT), or
 * NULL. Only the shape: listen_parse() resolves it when golive dev starts.
 */
static const char *addr_problem(const char *a)
{
	const char *colon = strrchr(a, ':');

	if (!colon)
		return "no port";
	if (!colon[1])
		return "empty port";
	if (parse_decimal(colon + 1, 65535) < 0)
		return "the port is not a number in 0..65535";
	if (a[0] == '[') {
		if (colon - a < 2 || colon[-1] != ']')
			return "no ']' before the port";
		if (colon - a == 2)
			return "empty IPv6 address";
		if (memchr(a + 1, '[', (size_t)(colon - a - 1)) ||
		    memchr(a, ']', (size_t)(colon - a - 1)))
			return "stray bracket";
	} else if (memchr(a, ':', (size_t)(colon - a))) {
		return "an IPv6 address needs brackets: [::1]:8080";
	} else if (memchr(a, '[', (size_t)(colon - a)) || memchr(a, ']', (size_t)(colon - a))) {
		return "stray bracket";
	}
	return NULL;
}

#define ADDR_FORMS "HOST:PORT, :PORT or [IPV6]:PORT"

/* run.proxy and run.to: an address. */
static int check_addr(const char *s, char **why)
{
	const char *problem = addr_problem(s);
	char *q;

	if (!problem)
		return 0;
	q = quoted(s);
	*why = xasprintf("expected an address (" ADDR_FORMS "), got %s: %s", q, problem);
	free(q);
	return -1;
}

/* run.to: an address with a port to connect to (not 0, which only binding can take). */
static int check_to(const char *s, char **why)
{
	if (check_addr(s, why) < 0)
		return -1;
	const char *colon = strrchr(s, ':');
	if (parse_decimal(colon + 1, 65535) == 0) {
		char *q = quoted(s);
		*why = xasprintf("expected the address the program listens on, got %s: port 0 "
		                 "is for binding, not connecting",
		                 q);
		free(q);
		return -1;
	}
	return 0;
}

int config_check_addr(const char *s, char **why)
{
	return check_addr(s, why);
}
int config_check_to(const char *s, char **why)
{
	return check_to(s, why);
}

/* The longest socket name (systemd's limit for LISTEN_FDNAMES entries). */
#define MAX_LISTEN_NAME 255

/* run.listen: [NAME=]ADDR, NAME of [A-Za-z0-9_.-] (a name of LISTEN_FDNAMES). */
static int check_listen(const char *s, char **why)
{
	const char *eq = strchr(s, '='), *addr = eq ? eq + 1 : s;
	const char *problem = addr_problem(addr);
	char *q = quoted(s);

	if (eq == s) {
		*why = xasprintf("empty name before '=' in %s", q);
	} else if (eq && eq - s > MAX_LISTEN_NAME) {
		*why = xasprintf("the name before '=' is longer than %d bytes in %s",
		                 MAX_LISTEN_NAME, q);
	} else if (eq && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                           "0123456789_.-") < (size_t)(eq - s)) {
		*why = xasprintf("the name before '=' may hold only letters, digits, '_', '.' and "
		                 "'-', got %s",
		                 q);
	} else if (problem) {
		*why = xasprintf("expected [NAME=]ADDR with ADDR as " ADDR_FORMS ", got %s: %s", q,
		                 problem);
	} else {
		free(q);
		return 0;
	}
	free(q);
	return -1;
}

int config_check_listen(const char *s, char **why)
{
	return check_listen(s, why);
}

/* Variables golive dev sets for the program itself. */
static const char *const reserved_env[] = {"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
                                           "NOTIFY_SOCKET"};

/* run.env: NAME=value, NAME as [A-Za-z_][A-Za-z0-9_]* and not one golive dev sets. */
static int check_env(const char *s, char **why)
{
	static const char word[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
	const char *eq = strchr(s, '=');
	size_t n = eq ? (size_t)(eq - s) : 0;
	char *q = quoted(s);

	if (!eq || !n) {
		*why = xasprintf("expected NAME=value, got %s", q);
	} else if ((s[0] >= '0' && s[0] <= '9') || strspn(s, word) < n) {
		*why = xasprintf("the name before '=' may hold only letters, digits and '_', not "
		                 "starting with a digit, got %s",
		                 q);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(reserved_env); i++) {
			if (strlen(reserved_env[i]) == n && !memcmp(s, reserved_env[i], n)) {
				*why = xasprintf("%s is set by golive dev itself", reserved_env[i]);
				goto fail;
			}
		}
		free(q);
		return 0;
	}
fail:
	free(q);
	return -1;
}

/* A non-null scalar without NUL bytes. */
static int is_string(const struct ynode *n)
{
	return n->kind == YN_SCALAR && !is_null(n) && strlen(n->value) == n->len;
}

/*
 * Runs k->check, if any, on the string of scalar n, which is item i of the
 * key's list (i < 0: the key's only value). 0, or -1 with *cause at n.
 */
static int check_value(const char *section, const struct key_spec *k, const struct ynode *n, long i,
                       const char *path, char **cause)
{
	char *why = NULL;
	char sub[32] = "";

	if (!k->check || !k->check(n->value, &why))
		return 0;
	if (i >= 0)
		snprintf(sub, sizeof(sub), "[%ld]", i);
	fail_at(cause, path, n->mark, "%s.%s%s: %s", section, k->name, sub, why);
	free(why);
	return -1;
}

/* KEY_STRING_LIST and KEY_ARGV: a string (one item) or a list of strings. */
static int set_string_list(struct argv_array *a, const struct ynode *n, const char *section,
                           const struct key_spec *k, const char *path, char **cause)
{
	const char *nonempty = k->type == KEY_ARGV ? "" : "non-empty ";
	struct strbuf d = STRBUF_INIT;
	int ret = -1;

	if (n->kind == YN_SCALAR) {
		if (!is_string(n) || (!n->len && *nonempty)) {
			fail_at(cause, path, n->mark,
			        "%s.%s: expected a %sstring or a list of strings, got %s", section,
			        k->name, nonempty, describe(&d, n));
			goto out;
		}
		if (check_value(section, k, n, -1, path, cause))
			goto out;
		argv_clear(a);
		argv_push(a, n->value);
		ret = 0;
		goto out;
	}
	if (n->kind != YN_SEQUENCE) {
		fail_at(cause, path, n->mark,
		        "%s.%s: expected a string or a list of strings, got %s", section, k->name,
		        describe(&d, n));
		goto out;
	}
	for (size_t i = 0; i < n->items.n; i++) {
		const struct ynode *it = n->items.v[i];
		if (!is_string(it) || (!it->len && *nonempty)) {
			fail_at(cause, path, it->mark, "%s.%s[%zu]: expected a %sstring, got %s",
			        section, k->name, i, nonempty, describe(&d, it));
			goto out;
		}
		if (check_value(section, k, it, (long)i, path, cause))
			goto out;
	}
	argv_clear(a);
	for (size_t i = 0; i < n->items.n; i++)
		argv_push(a, n->items.v[i]->value);
	ret = 0;
out:
	strbuf_release(&d);
	return ret;
}

/* Stores value node n for key k of section into c. */
static int set_key(struct golive_config *c, const char *section, const struct key_spec *k,
                   const struct ynode *n, const char *path, char **cause)
{
	void *field = (char *)c + k->offset;
	struct strbuf d = STRBUF_INIT;
	int ret = 0;

	if (is_null(n))
		return 0; /* keep the current value */
	switch (k->type) {
	case KEY_STRING:
		if (!is_string(n)) {
			ret = fail_at(cause, path, n->mark, "%s.%s: expected a string, got %s",
			              section, k->name, describe(&d, n));
			break;
		}
		if (check_value(section, k, n, -1, path, cause)) {
			ret = -1;
			break;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(n->value);
		break;
	case KEY_STRING_LIST:
	case KEY_ARGV:
		ret = set_string_list(field, n, section, k, path, cause);
		break;
	case KEY_LIST_DEFAULT: {
		struct config_list *l = field;
		ret = set_string_list(&l->items, n, section, k, path, cause);
		if (!ret)
			l->set = 1;
		break;
	}
	case KEY_ALLOWED:
		if (!is_string(n) || (strcmp(n->value, "allowed") && strcmp(n->value, "forbidden")))
			ret = fail_at(cause, path, n->mark,
			              "%s.%s: expected allowed or forbidden, got %s", section,
			              k->name, describe(&d, n));
		else
			*(int *)field = strcmp(n->value, "forbidden") == 0;
		break;
	case KEY_BOOL:
		if (parse_bool(n, field))
			ret = fail_at(cause, path, n->mark, "%s.%s: expected a boolean, got %s",
			              section, k->name, describe(&d, n));
		break;
	case KEY_INT:
		if (parse_int(n, k->min, k->max, field))
			ret = fail_at(cause, path, n->mark,
			              "%s.%s: expected an integer in %d..%d, got %s", section,
			              k->name, k->min, k->max, describe(&d, n));
		break;
	case KEY_FAIL_ON:
		if (!is_string(n) || fail_on_parse(n->value, field))
			ret = fail_at(cause, path, n->mark,
			              "%s.%s: expected error, warning or never, got %s", section,
			              k->name, describe(&d, n));
		break;
	case KEY_SIGNAL:
		if (!is_string(n) || config_signal_parse(n->value, field)) {
			struct strbuf names = STRBUF_INIT;
			for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++)
				strbuf_addf(&names, "%s, ", signal_names[i].name);
			ret = fail_at(cause, path, n->mark,
			              "%s.%s: expected a signal name (%sRTMIN+N; SIG prefix "
			              "optional) or a number in 1..64, got %s",
			              section, k->name, names.buf, describe(&d, n));
			strbuf_release(&names);
		}
		break;
	}
	strbuf_release(&d);
	return ret;
}

/* The key named name in mapping m (whose keys are scalars), or NULL. */
static const struct ynode *key_node(const struct ynode *m, const char *name)
{
	for (size_t i = 0; i + 1 < m->items.n; i += 2)
		if (!strcmp(m->items.v[i]->value, name) &&
		    strlen(m->items.v[i]->value) == m->items.v[i]->len)
			return m->items.v[i];
	return NULL;
}

/*
 * run: proxy and to go together, and not with listen (golive dev refuses
 * both ways at once). The error is at the key that is set (or at the
 * other, when only that one is in m).
 */
static int check_run(const struct golive_config *c, const struct ynode *m, const char *path,
                     char **cause)
{
	const struct ynode *proxy = key_node(m, "proxy"), *to = key_node(m, "to");
	const struct ynode *listen = key_node(m, "listen"), *at;

	if (!c->run.proxy != !c->run.to) {
		at = c->run.proxy ? (proxy ? proxy : to) : (to ? to : proxy);
		return fail_at(cause, path, (at ? at : m)->mark, "%s",
		               c->run.proxy
		                   ? "run.proxy: needs run.to, the address the program listens on"
		                   : "run.to: needs run.proxy, the address golive accepts on");
	}
	if (c->run.proxy && c->run.listen.argc) {
		at = proxy ? proxy : to ? to : listen;
		return fail_at(
		    cause, path, (at ? at : m)->mark,
		    "run.proxy: does not go together with run.listen (listen is for "
		    "programs that take the socket, proxy for those that open their own)");
	}
	return 0;
}

/*
 * Checks that mapping m has scalar keys, each named in names (n of them,
 * stride bytes apart, the name pointer first) and none twice. *idx gets,
 * per key pair, the index of the matching name. where is "" at the top
 * level, " in SECTION" below.
 */
static int check_keys(const struct ynode *m, const void *names, size_t nnames, size_t stride,
                      const char *where, const char *path, size_t *idx, char **cause)
{
	struct strbuf d = STRBUF_INIT;
	int ret = -1;

	for (size_t i = 0; i + 1 < m->items.n; i += 2) {
		const struct ynode *key = m->items.v[i];
		size_t j;

		if (key->kind != YN_SCALAR) {
			fail_at(cause, path, key->mark, "keys must be strings, got %s",
			        describe(&d, key));
			goto out;
		}
		for (j = 0; j < nnames; j++) {
			const char *name = *(const char *const *)((const char *)names + j * stride);
			if (strlen(name) == key->len && !memcmp(name, key->value, key->len))
				break;
		}
		if (j == nnames) {
			strbuf_reset(&d);
			add_quoted(&d, key->value, key->len);
			strbuf_addf(&d, "%s (known: ", where);
			for (size_t k = 0; k < nnames; k++)
				strbuf_addf(
				    &d, "%s%s", k ? ", " : "",
				    *(const char *const *)((const char *)names + k * stride));
			strbuf_addch(&d, ')');
			fail_at(cause, path, key->mark, "unknown key %s", d.buf);
			goto out;
		}
		for (size_t p = 0; p < i / 2; p++) {
			if (idx[p] == j) {
				fail_at(cause, path, key->mark,
				        "duplicate key \"%s\"%s (first at line %zu)",
				        *(const char *const *)((const char *)names + j * stride),
				        where, m->items.v[2 * p]->mark.line + 1);
				goto out;
			}
		}
		idx[i / 2] = j;
	}
	ret = 0;
out:
	strbuf_release(&d);
	return ret;
}

static int apply_section(struct golive_config *c, const struct section_spec *s,
                         const struct ynode *m, const char *path, char **cause)
{
	struct strbuf d = STRBUF_INIT;
	size_t *idx = NULL;
	int ret = -1;

	if (is_null(m))
		return 0;
	if (s->parse)
		return s->parse(c, m, path, cause);
	if (m->kind != YN_MAPPING) {
		fail_at(cause, path, m->mark, "%s: expected a mapping, got %s", s->name,
		        describe(&d, m));
		goto out;
	}
	idx = xcalloc(m->items.n / 2 + 1, sizeof(*idx));
	strbuf_addf(&d, " in %s", s->name);
	if (check_keys(m, s->keys, s->nkeys, sizeof(*s->keys), d.buf, path, idx, cause))
		goto out;
	for (size_t i = 0; i + 1 < m->items.n; i += 2)
		if (set_key(c, s->name, &s->keys[idx[i / 2]], m->items.v[i + 1], path, cause))
			goto out;
	if (s->check && s->check(c, m, path, cause))
		goto out;
	ret = 0;
out:
	free(idx);
	strbuf_release(&d);
	return ret;
}

/* analyzers: */

/* The override of analyzer name in s, added (enabled, default severity) when missing. */
static struct analyzer_setting *analyzer_setting_get(struct analysis_settings *s, const char *name)
{
	struct analyzer_setting a = {NULL, 1, -1};

	for (size_t i = 0; i < s->analyzers.n; i++)
		if (!strcmp(s->analyzers.v[i].name, name))
			return &s->analyzers.v[i];
	a.name = xstrdup(name);
	ARRAY_PUSH(s->analyzers, a);
	return &s->analyzers.v[s->analyzers.n - 1];
}

static const struct analyzer_setting *analyzer_setting_find(const struct analysis_settings *s,
                                                            const char *name)
{
	for (size_t i = 0; i < s->analyzers.n; i++)
		if (!strcmp(s->analyzers.v[i].name, name))
			return &s->analyzers.v[i];
	return NULL;
}

/*
 * analyzers.NAME: a boolean (on/off), or a mapping {enabled: bool (default
 * true), severity: info|warning|error (default: the analyzer's own)}. The
 * value replaces what c had for that analyzer.
 */
static int set_analyzer(struct golive_config *c, const char *name, const struct ynode *n,
                        const char *path, char **cause)
{
	static const char *const keys[] = {"enabled", "severity"};
	const struct analyzer *a = analyzer_find(name);
	struct analyzer_setting *set;
	struct strbuf d = STRBUF_INIT;
	size_t *idx = NULL;
	int enabled = 1, sev = -1, ret = -1;

	if (!a)
		BUG("analyzers.%s is not a built-in analyzer", name);
	if (is_null(n))
		return 0;
	if (n->kind == YN_SCALAR) {
		if (parse_bool(n, &enabled)) {
			fail_at(cause, path, n->mark,
			        "analyzers.%s: expected on, off or a mapping (enabled, severity), "
			        "got %s",
			        a->name, describe(&d, n));
			goto out;
		}
	} else if (n->kind == YN_MAPPING) {
		idx = xcalloc(n->items.n / 2 + 1, sizeof(*idx));
		strbuf_addf(&d, " in analyzers.%s", a->name);
		if (check_keys(n, keys, ARRAY_SIZE(keys), sizeof(*keys), d.buf, path, idx, cause))
			goto out;
		for (size_t i = 0; i + 1 < n->items.n; i += 2) {
			const struct ynode *v = n->items.v[i + 1];
			enum severity s;

			if (is_null(v))
				continue;
			if (idx[i / 2] == 0 && parse_bool(v, &enabled)) {
				fail_at(cause, path, v->mark,
				        "analyzers.%s.enabled: expected a boolean, got %s", a->name,
				        describe(&d, v));
				goto out;
			}
			if (idx[i / 2] == 1) {
				if (!is_string(v) || severity_parse(v->value, &s)) {
					fail_at(cause, path, v->mark,
					        "analyzers.%s.severity: expected info, warning or "
					        "error, got %s",
					        a->name, describe(&d, v));
					goto out;
				}
				sev = (int)s;
			}
		}
	} else {
		fail_at(cause, path, n->mark,
		        "analyzers.%s: expected on, off or a mapping (enabled, severity), got %s",
		        a->name, describe(&d, n));
		goto out;
	}
	set = analyzer_setting_get(&c->analysis, a->name);
	set->enabled = enabled;
	set->severity = sev;
	ret = 0;
out:
	free(idx);
	strbuf_release(&d);
	return ret;
}

/* analyzers: the fixed keys, then one key per built-in analyzer. */
static int parse_analyzers(struct golive_config *c, const struct ynode *m, const char *path,
                           char **cause)
{
	ARRAY(const char *) names = ARRAY_INIT;
	const size_t nfixed = ARRAY_SIZE(analyzers_keys);
	struct strbuf d = STRBUF_INIT;
	size_t *idx = NULL;
	int ret = -1;

	if (m->kind != YN_MAPPING) {
		fail_at(cause, path, m->mark, "analyzers: expected a mapping, got %s",
		        describe(&d, m));
		goto out;
	}
	for (size_t i = 0; i < nfixed; i++)
		ARRAY_PUSH(names, analyzers_keys[i].name);
	for (const struct analyzer *const *a = builtin_analyzers; *a; a++)
		ARRAY_PUSH(names, (*a)->name);
	idx = xcalloc(m->items.n / 2 + 1, sizeof(*idx));
	if (check_keys(m, names.v, names.n, sizeof(*names.v), " in analyzers", path, idx, cause))
		goto out;
	for (size_t i = 0; i + 1 < m->items.n; i += 2) {
		size_t j = idx[i / 2];
		const struct ynode *v = m->items.v[i + 1];

		if (j < nfixed ? set_key(c, "analyzers", &analyzers_keys[j], v, path, cause)
		               : set_analyzer(c, names.v[j], v, path, cause))
			goto out;
	}
	ret = 0;
out:
	free(idx);
	ARRAY_FREE(names);
	strbuf_release(&d);
	return ret;
}

/* rules: */

static void rule_spec_release(struct rule_spec *r)
{
	free(r->id);
	free(r->query);
	free(r->message);
	free(r->where);
	memset(r, 0, sizeof(*r));
}

/* [a-z0-9][a-z0-9._-]* */
static int is_rule_id(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '_' || *s == '-'))
			return 0;
	return 1;
}

typedef ARRAY(struct rule_spec) rule_array;

/*
 * Parses rules[i] (mapping m) into *r and the line of its id into *id_line;
 * rules holds the rules before it and id_lines the lines of their ids.
 */
static int parse_rule(struct rule_spec *r, unsigned *id_line, size_t i, const struct ynode *m,
                      const rule_array *rules, const unsigned *id_lines, const char *path,
                      char **cause)
{
	const struct ynode *v[ARRAY_SIZE(rule_keys)] = {NULL};
	struct strbuf d = STRBUF_INIT;
	const struct ynode *q;
	size_t *idx = NULL;
	enum severity sev = SEV_WARNING;
	size_t msglen;
	int ret = -1;

	if (m->kind != YN_MAPPING) {
		fail_at(
		    cause, path, m->mark,
		    "rules[%zu]: expected a mapping (id, query, message, severity, scope), got %s",
		    i, describe(&d, m));
		goto out;
	}
	idx = xcalloc(m->items.n / 2 + 1, sizeof(*idx));
	strbuf_addf(&d, " in rules[%zu]", i);
	if (check_keys(m, rule_keys, ARRAY_SIZE(rule_keys), sizeof(*rule_keys), d.buf, path, idx,
	               cause))
		goto out;
	for (size_t k = 0; k + 1 < m->items.n; k += 2)
		v[idx[k / 2]] = m->items.v[k + 1];
	for (size_t k = RULE_ID; k <= RULE_MESSAGE; k++) {
		if (!v[k]) {
			fail_at(cause, path, m->mark, "rules[%zu]: missing key \"%s\"", i,
			        rule_keys[k]);
			goto out;
		}
		if (!is_string(v[k]) || !v[k]->len) {
			fail_at(cause, path, v[k]->mark,
			        "rules[%zu].%s: expected a non-empty string, got %s", i,
			        rule_keys[k], describe(&d, v[k]));
			goto out;
		}
	}

	if (!is_rule_id(v[RULE_ID]->value)) {
		fail_at(cause, path, v[RULE_ID]->mark,
		        "rules[%zu].id: expected lowercase letters, digits, '.', '_' and '-', "
		        "starting with a letter or digit, got %s",
		        i, describe(&d, v[RULE_ID]));
		goto out;
	}
	if (analyzer_find(v[RULE_ID]->value) || !strcmp(v[RULE_ID]->value, "all") ||
	    !strcmp(v[RULE_ID]->value, "golive") || !strcmp(v[RULE_ID]->value, "rules")) {
		fail_at(cause, path, v[RULE_ID]->mark,
		        "rules[%zu].id: \"%s\" is reserved (built-in analyzers, golive, rules "
		        "and all)",
		        i, v[RULE_ID]->value);
		goto out;
	}
	for (size_t k = 0; k < rules->n; k++) {
		if (!strcmp(rules->v[k].id, v[RULE_ID]->value)) {
			fail_at(cause, path, v[RULE_ID]->mark,
			        "rules[%zu].id: duplicate id \"%s\" (first at line %u)", i,
			        v[RULE_ID]->value, id_lines[k]);
			goto out;
		}
	}

	/* a folded or literal message ends in a newline: dropped; it must be one line */
	msglen = v[RULE_MESSAGE]->len;
	while (msglen && v[RULE_MESSAGE]->value[msglen - 1] == '\n')
		msglen--;
	if (!msglen || memchr(v[RULE_MESSAGE]->value, '\n', msglen)) {
		fail_at(cause, path, v[RULE_MESSAGE]->mark,
		        "rules[%zu].message: expected a one-line string, got %s", i,
		        describe(&d, v[RULE_MESSAGE]));
		goto out;
	}

	if (v[RULE_SEVERITY] && !is_null(v[RULE_SEVERITY]) &&
	    (!is_string(v[RULE_SEVERITY]) || severity_parse(v[RULE_SEVERITY]->value, &sev))) {
		fail_at(cause, path, v[RULE_SEVERITY]->mark,
		        "rules[%zu].severity: expected info, warning or error, got %s", i,
		        describe(&d, v[RULE_SEVERITY]));
		goto out;
	}
	r->handler_scope = 0;
	if (v[RULE_SCOPE] && !is_null(v[RULE_SCOPE])) {
		if (is_string(v[RULE_SCOPE]) && !strcmp(v[RULE_SCOPE]->value, "handler")) {
			r->handler_scope = 1;
		} else if (!is_string(v[RULE_SCOPE]) || strcmp(v[RULE_SCOPE]->value, "file")) {
			fail_at(cause, path, v[RULE_SCOPE]->mark,
			        "rules[%zu].scope: expected handler or file, got %s", i,
			        describe(&d, v[RULE_SCOPE]));
			goto out;
		}
	}

	q = v[RULE_QUERY];
	r->id = xstrdup(v[RULE_ID]->value);
	r->query = xstrdup(q->value);
	r->message = xstrndup(v[RULE_MESSAGE]->value, msglen);
	r->severity = sev;
	r->line = q->text_line;
	r->col = q->text_col;
	r->block = q->block;
	r->indent = q->indent;
	r->where = xasprintf("%s:%u:%u", path, r->line, r->col);
	*id_line = (unsigned)v[RULE_ID]->mark.line + 1;
	ret = 0;
out:
	free(idx);
	strbuf_release(&d);
	return ret;
}

/* rules: a list of rules; it replaces the rules c had. */
static int parse_rules(struct golive_config *c, const struct ynode *n, const char *path,
                       char **cause)
{
	rule_array rules = ARRAY_INIT;
	ARRAY(unsigned) id_lines = ARRAY_INIT;
	struct strbuf d = STRBUF_INIT;
	int ret = -1;

	if (n->kind != YN_SEQUENCE) {
		fail_at(cause, path, n->mark, "rules: expected a list of rules, got %s",
		        describe(&d, n));
		goto out;
	}
	for (size_t i = 0; i < n->items.n; i++) {
		struct rule_spec r = {0};
		unsigned line;

		if (parse_rule(&r, &line, i, n->items.v[i], &rules, id_lines.v, path, cause))
			goto out;
		ARRAY_PUSH(rules, r);
		ARRAY_PUSH(id_lines, line);
	}
	for (size_t i = 0; i < c->analysis.rules.n; i++)
		rule_spec_release(&c->analysis.rules.v[i]);
	ARRAY_FREE(c->analysis.rules);
	c->analysis.rules.v = rules.v;
	c->analysis.rules.n = rules.n;
	c->analysis.rules.alloc = rules.alloc;
	rules.v = NULL;
	rules.n = rules.alloc = 0;
	ret = 0;
out:
	for (size_t i = 0; i < rules.n; i++)
		rule_spec_release(&rules.v[i]);
	ARRAY_FREE(rules);
	ARRAY_FREE(id_lines);
	strbuf_release(&d);
	return ret;
}

/* plugins: */

static void plugin_spec_release(struct plugin_spec *p)
{
	free(p->name);
	free(p->path);
	free(p->exec);
	free(p->sha256);
	argv_clear(&p->args);
	free(p->where);
	memset(p, 0, sizeof(*p));
}

#define PLUGIN_NAME_MAX 64

/* [A-Za-z0-9_.-]{1,64}, and not "." nor ".." (the name is a file name in the session). */
static int is_plugin_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > PLUGIN_NAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/*
 * A plugin's timeout: "500ms", "2s", "1m", or a number of milliseconds, in
 * 1ms..10m. 0 with *ms set, or -1.
 */
static int parse_duration_ms(const char *s, int *ms)
{
	long long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((v = v * 10 + (*p - '0')) > PLUGIN_TIMEOUT_MAX_MS)
			v = PLUGIN_TIMEOUT_MAX_MS + 1; /* too large either way; no overflow */
	if (!strcmp(p, "s"))
		v *= 1000;
	else if (!strcmp(p, "m"))
		v *= 60 * 1000;
	else if (*p && strcmp(p, "ms"))
		return -1;
	if (v < 1 || v > PLUGIN_TIMEOUT_MAX_MS)
		return -1;
	*ms = (int)v;
	return 0;
}

/* The shortest of "Nm", "Ns", "Nms" for ms (what config_to_yaml() writes). */
static const char *duration_name(int ms, char buf[32])
{
	if (ms % 60000 == 0)
		snprintf(buf, 32, "%dm", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, 32, "%ds", ms / 1000);
	else
		snprintf(buf, 32, "%dms", ms);
	return buf;
}

/*
 * plugins[i].args: a mapping of names to scalar values, stored as
 * "name=value" in file order. A name is a non-empty string without '='.
 */
static int parse_plugin_args(struct argv_array *out, size_t i, const struct ynode *m,
                             const char *path, char **cause)
{
	struct strbuf d = STRBUF_INIT;
	int ret = -1;

	if (m->kind != YN_MAPPING) {
		fail_at(cause, path, m->mark,
		        "plugins[%zu].args: expected a mapping of names to values, got %s", i,
		        describe(&d, m));
		goto out;
	}
	for (size_t k = 0; k + 1 < m->items.n; k += 2) {
		const struct ynode *key = m->items.v[k], *v = m->items.v[k + 1];

		if (key->kind != YN_SCALAR) {
			fail_at(cause, path, key->mark, "keys must be strings, got %s",
			        describe(&d, key));
			goto out;
		}
		if (!is_string(key) || !key->len || strchr(key->value, '=')) {
			fail_at(cause, path, key->mark,
			        "plugins[%zu].args: a name must be a non-empty string without '=', "
			        "got %s",
			        i, describe(&d, key));
			goto out;
		}
		for (size_t p = 0; p < k; p += 2) {
			if (!strcmp(m->items.v[p]->value, key->value)) {
				fail_at(
				    cause, path, key->mark,
				    "duplicate key \"%s\" in plugins[%zu].args (first at line %zu)",
				    key->value, i, m->items.v[p]->mark.line + 1);
				goto out;
			}
		}
		if (!is_string(v)) {
			fail_at(
			    cause, path, v->mark,
			    "plugins[%zu].args.%s: expected a string, number or boolean, got %s", i,
			    key->value, describe(&d, v));
			goto out;
		}
	}
	argv_clear(out);
	for (size_t k = 0; k + 1 < m->items.n; k += 2)
		argv_pushf(out, "%s=%s", m->items.v[k]->value, m->items.v[k + 1]->value);
	ret = 0;
out:
	strbuf_release(&d);
	return ret;
}

/* plugins[i].path or .exec (v, not null): an absolute path. */
static int check_plugin_file(size_t i, const char *key, const struct ynode *v, const char *path,
                             char **cause)
{
	struct strbuf d = STRBUF_INIT;
	int ret = -1;

	if (!is_string(v) || !v->len)
		fail_at(cause, path, v->mark,
		        "plugins[%zu].%s: expected a non-empty string, got %s", i, key,
		        describe(&d, v));
	else if (v->value[0] != '/')
		fail_at(cause, path, v->mark, "plugins[%zu].%s: must be an absolute path, got %s",
		        i, key, describe(&d, v));
	else
		ret = 0;
	strbuf_release(&d);
	return ret;
}

typedef ARRAY(struct plugin_spec) plugin_list;

/*
 * Parses plugins[i] (mapping m) into *p and the line of its name into
 * *name_line; plugins holds the entries before it and name_lines the lines
 * of their names.
 */
static int parse_plugin(struct plugin_spec *p, unsigned *name_line, size_t i, const struct ynode *m,
                        const plugin_list *plugins, const unsigned *name_lines, const char *path,
                        char **cause)
{
	const struct ynode *v[ARRAY_SIZE(plugin_keys)] = {NULL};
	struct strbuf d = STRBUF_INIT;
	size_t *idx = NULL;
	int ret = -1;

	if (m->kind != YN_MAPPING) {
		fail_at(cause, path, m->mark,
		        "plugins[%zu]: expected a mapping (name, path or exec, sha256, args, "
		        "timeout, required), got %s",
		        i, describe(&d, m));
		goto out;
	}
	idx = xcalloc(m->items.n / 2 + 1, sizeof(*idx));
	strbuf_addf(&d, " in plugins[%zu]", i);
	if (check_keys(m, plugin_keys, ARRAY_SIZE(plugin_keys), sizeof(*plugin_keys), d.buf, path,
	               idx, cause))
		goto out;
	for (size_t k = 0; k + 1 < m->items.n; k += 2)
		if (!is_null(m->items.v[k + 1]))
			v[idx[k / 2]] = m->items.v[k + 1];

	if (!v[PK_NAME]) {
		fail_at(cause, path, m->mark, "plugins[%zu]: missing key \"name\"", i);
		goto out;
	}
	if (!is_string(v[PK_NAME]) || !is_plugin_name(v[PK_NAME]->value)) {
		fail_at(cause, path, v[PK_NAME]->mark,
		        "plugins[%zu].name: expected 1 to %d letters, digits, '_', '.' and '-' "
		        "(not . or ..), got %s",
		        i, PLUGIN_NAME_MAX, describe(&d, v[PK_NAME]));
		goto out;
	}
	for (size_t k = 0; k < plugins->n; k++) {
		if (!strcmp(plugins->v[k].name, v[PK_NAME]->value)) {
			fail_at(cause, path, v[PK_NAME]->mark,
			        "plugins[%zu].name: duplicate name \"%s\" (first at line %u)", i,
			        v[PK_NAME]->value, name_lines[k]);
			goto out;
		}
	}

	if (v[PK_PATH] && check_plugin_file(i, "path", v[PK_PATH], path, cause))
		goto out;
	if (v[PK_EXEC] && check_plugin_file(i, "exec", v[PK_EXEC], path, cause))
		goto out;
	if (v[PK_PATH] && v[PK_EXEC]) {
		const struct ynode *later =
		    v[PK_PATH]->mark.index > v[PK_EXEC]->mark.index ? v[PK_PATH] : v[PK_EXEC];
		fail_at(cause, path, later->mark,
		        "plugins[%zu]: path and exec are both set (a plugin is a shared object or "
		        "a program, not both)",
		        i);
		goto out;
	}
	if (!v[PK_PATH] && !v[PK_EXEC]) {
		fail_at(cause, path, m->mark,
		        "plugins[%zu]: needs path (a C plugin) or exec (a program)", i);
		goto out;
	}

	if (v[PK_SHA256]) {
		const struct ynode *h = v[PK_SHA256];
		if (!is_string(h) || h->len != 64 ||
		    strspn(h->value, "0123456789abcdefABCDEF") != 64) {
			fail_at(cause, path, h->mark,
			        "plugins[%zu].sha256: expected 64 hexadecimal digits, got %s", i,
			        describe(&d, h));
			goto out;
		}
	}
	p->timeout_ms = PLUGIN_TIMEOUT_DEFAULT_MS;
	if (v[PK_TIMEOUT] && (!is_string(v[PK_TIMEOUT]) ||
	                      parse_duration_ms(v[PK_TIMEOUT]->value, &p->timeout_ms))) {
		fail_at(
		    cause, path, v[PK_TIMEOUT]->mark,
		    "plugins[%zu].timeout: expected a duration in 1ms..10m (500ms, 2s, 1m, or a "
		    "number of milliseconds), got %s",
		    i, describe(&d, v[PK_TIMEOUT]));
		goto out;
	}
	p->required = 0;
	if (v[PK_REQUIRED] && parse_bool(v[PK_REQUIRED], &p->required)) {
		fail_at(cause, path, v[PK_REQUIRED]->mark,
		        "plugins[%zu].required: expected a boolean, got %s", i,
		        describe(&d, v[PK_REQUIRED]));
		goto out;
	}
	if (v[PK_ARGS] && parse_plugin_args(&p->args, i, v[PK_ARGS], path, cause))
		goto out;

	p->name = xstrdup(v[PK_NAME]->value);
	p->path = v[PK_PATH] ? xstrdup(v[PK_PATH]->value) : NULL;
	p->exec = v[PK_EXEC] ? xstrdup(v[PK_EXEC]->value) : NULL;
	if (v[PK_SHA256]) {
		p->sha256 = xstrdup(v[PK_SHA256]->value);
		for (char *c = p->sha256; *c; c++)
			if (*c >= 'A' && *c <= 'F')
				*c = (char)(*c - 'A' + 'a');
	}
	p->where = xasprintf("%s:%zu:%zu", path, m->mark.line + 1, m->mark.column + 1);
	*name_line = (unsigned)v[PK_NAME]->mark.line + 1;
	ret = 0;
out:
	free(idx);
	strbuf_release(&d);
	return ret;
}

/* plugins: a list of plugins; it replaces the plugins c had. */
static int parse_plugins(struct golive_config *c, const struct ynode *n, const char *path,
                         char **cause)
{
	plugin_list plugins = ARRAY_INIT;
	ARRAY(unsigned) name_lines = ARRAY_INIT;
	struct strbuf d = STRBUF_INIT;
	int ret = -1;

	if (n->kind != YN_SEQUENCE) {
		fail_at(cause, path, n->mark, "plugins: expected a list of plugins, got %s",
		        describe(&d, n));
		goto out;
	}
	for (size_t i = 0; i < n->items.n; i++) {
		struct plugin_spec p = {0};
		unsigned line;

		if (parse_plugin(&p, &line, i, n->items.v[i], &plugins, name_lines.v, path,
		                 cause)) {
			plugin_spec_release(&p);
			goto out;
		}
		ARRAY_PUSH(plugins, p);
		ARRAY_PUSH(name_lines, line);
	}
	for (size_t i = 0; i < c->plugins.n; i++)
		plugin_spec_release(&c->plugins.v[i]);
	ARRAY_FREE(c->plugins);
	c->plugins.v = plugins.v;
	c->plugins.n = plugins.n;
	c->plugins.alloc = plugins.alloc;
	plugins.v = NULL;
	plugins.n = plugins.alloc = 0;
	ret = 0;
out:
	for (size_t i = 0; i < plugins.n; i++)
		plugin_spec_release(&plugins.v[i]);
	ARRAY_FREE(plugins);
	ARRAY_FREE(name_lines);
	strbuf_release(&d);
	return ret;
}

int config_parse(struct golive_config *c, const char *display_path, const char *buf, size_t len,
                 char **cause)
{
	struct ynode *root;
	struct strbuf d = STRBUF_INIT;
	size_t *idx = NULL;
	int ret = -1;

	if (load_tree(display_path, buf, len, &root, cause))
		return -1;
	if (!root || is_null(root)) {
		ret = 0;
		goto out;
	}
	if (root->kind != YN_MAPPING) {
		fail_at(cause, display_path, root->mark, "top level must be a mapping, got %s",
		        describe(&d, root));
		goto out;
	}
	idx = xcalloc(root->items.n / 2 + 1, sizeof(*idx));
	if (check_keys(root, sections, ARRAY_SIZE(sections), sizeof(*sections), "", display_path,
	               idx, cause))
		goto out;
	for (size_t i = 0; i + 1 < root->items.n; i += 2)
		if (apply_section(c, &sections[idx[i / 2]], root->items.v[i + 1], display_path,
		                  cause))
			goto out;
	ret = 0;
out:
	free(idx);
	strbuf_release(&d);
	ynode_free(root);
	return ret;
}

/* Finding and loading. */

/* Lexically normalizes absolute path p: no ".", "..", empty or trailing components. */
static char *normalize_path(const char *p)
{
	struct strbuf sb = STRBUF_INIT;

	while (*p) {
		const char *e;
		size_t n;

		while (*p == '/')
			p++;
		e = strchrnul(p, '/');
		n = (size_t)(e - p);
		if (n == 2 && !memcmp(p, "..", 2)) {
			char *slash = memrchr(sb.buf, '/', sb.len);
			sb.len = slash ? (size_t)(slash - sb.buf) : 0;
			sb.buf[sb.len] = '\0';
		} else if (n && !(n == 1 && *p == '.')) {
			strbuf_addch(&sb, '/');
			strbuf_add(&sb, p, n);
		}
		p = e;
	}
	if (!sb.len)
		strbuf_addch(&sb, '/');
	return strbuf_detach(&sb, NULL);
}

static char *join_path(const char *dir, const char *name)
{
	return xasprintf("%s%s%s", dir, ends_with(dir, "/") ? "" : "/", name);
}

/* 1 when path exists and is not a directory, 0 when it does not, -1 with errno on error. */
static int file_exists(const char *path)
{
	struct stat st;

	if (!stat(path, &st))
		return !S_ISDIR(st.st_mode);
	return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
}

int config_find(const char *dir, char **path_out, char **root_out, char **cause)
{
	char *cur, *found = NULL;
	int ret = -1;

	*path_out = *root_out = NULL;
	if (!dir || dir[0] != '/') {
		*cause = xasprintf("%s: not an absolute path", dir ? dir : "(null)");
		return -1;
	}
	cur = normalize_path(dir);
	for (;;) {
		char *f = join_path(cur, CONFIG_FILE_NAME);
		int r = file_exists(f);

		if (r < 0) {
			*cause = xasprintf("%s: %s", f, strerror(errno));
			free(f);
			goto out;
		}
		if (r && !found)
			found = f;
		else
			free(f);

		f = join_path(cur, "go.mod");
		r = file_exists(f);
		if (r < 0)
			*cause = xasprintf("%s: %s", f, strerror(errno));
		free(f);
		if (r < 0)
			goto out;
		if (r) {
			*root_out = cur;
			cur = NULL;
			break;
		}
		if (!strcmp(cur, "/"))
			break;
		*strrchr(cur, '/') = '\0';
		if (!*cur)
			strcpy(cur, "/");
	}
	if (!*root_out)
		*root_out = normalize_path(dir);
	*path_out = found;
	found = NULL;
	ret = 0;
out:
	free(found);
	free(cur);
	return ret;
}

static char *get_cwd(void)
{
	size_t n = 256;

	for (;;) {
		char *buf = xmalloc(n);
		if (getcwd(buf, n))
			return buf;
		free(buf);
		if (errno != ERANGE)
			return NULL;
		n *= 2;
	}
}

/* path relative to cwd when below it, else path itself (both normalized, absolute). */
static const char *display_path(const char *path, const char *cwd)
{
	size_t n = strlen(cwd);

	if (!strcmp(cwd, "/"))
		return path[1] ? path + 1 : path;
	if (!strncmp(path, cwd, n) && path[n] == '/' && path[n + 1])
		return path + n + 1;
	return path;
}

int config_load(struct golive_config *c, const char *explicit_path, char **cause)
{
	struct strbuf buf = STRBUF_INIT;
	char *cwd = get_cwd(), *found = NULL, *root = NULL;
	const char *shown;
	int ret = -1;

	if (!cwd) {
		*cause = xasprintf("cannot get the current directory: %s", strerror(errno));
		return -1;
	}
	if (explicit_path && !*explicit_path) {
		*cause = xstrdup("config: empty path");
		goto out;
	}
	if (config_find(cwd, &found, &root, cause))
		goto out;
	free(c->root);
	c->root = root;
	if (explicit_path) {
		char *abs = explicit_path[0] == '/' ? xstrdup(explicit_path)
		                                    : join_path(cwd, explicit_path);
		free(found);
		found = normalize_path(abs);
		free(abs);
	}
	free(c->path);
	c->path = found;
	if (!found) {
		ret = 0;
		goto out;
	}
	shown = display_path(found, cwd);
	if (strbuf_read_file(&buf, found, CONFIG_MAX_SIZE)) {
		if (errno == EFBIG)
			*cause = xasprintf("%s: larger than %d bytes", shown, CONFIG_MAX_SIZE);
		else
			*cause = xasprintf("%s: %s", shown, file_strerror(errno));
		goto out;
	}
	ret = config_parse(c, shown, buf.buf, buf.len, cause);
out:
	strbuf_release(&buf);
	free(cwd);
	return ret;
}

/* Output. */

static int write_to_strbuf(void *data, unsigned char *buffer, size_t size)
{
	strbuf_add(data, buffer, size);
	return 1;
}

/* True when s written plain would read back as null, a boolean or a number. */
static int looks_typed(const char *s)
{
	static const char *const words[] = {"",   "~",  "null", "true", "false", "yes",
	                                    "no", "on", "off",  "y",    "n"};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (!strcasecmp(s, words[i]))
			return 1;
	if (*s == '-' || *s == '+')
		s++;
	return (*s >= '0' && *s <= '9') || (*s == '.' && s[1] && strchr("0123456789iInN", s[1]));
}

struct emit {
	yaml_emitter_t e;
	const char *what; /* the value being written, for messages */
	char whatbuf[64]; /* what, when it is built ("rules[2].query") */
	int failed;
};

/* Emits one event built by the caller (init_ok: its _initialize result). */
static void emit_event(struct emit *em, int init_ok, yaml_event_t *ev)
{
	if (em->failed)
		return;
	if (!init_ok || !yaml_emitter_emit(&em->e, ev))
		em->failed = 1;
}

static void emit_scalar_style(struct emit *em, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	emit_event(em,
	           yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
	                                        1, 1, style),
	           &ev);
}

static void emit_scalar(struct emit *em, const char *s, int quote_if_typed)
{
	yaml_event_t ev;
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

	if (quote_if_typed && looks_typed(s))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	emit_event(em,
	           yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
	                                        1, 1, style),
	           &ev);
}

static void emit_key(struct emit *em, const struct key_spec *k, const void *field)
{
	yaml_event_t ev;
	char num[32];

	emit_scalar(em, k->name, 0);
	if (!em->failed)
		em->what = k->name;
	switch (k->type) {
	case KEY_STRING: {
		const char *s = *(char *const *)field;
		emit_scalar(em, s ? s : "null", s != NULL);
		break;
	}
	case KEY_STRING_LIST:
	case KEY_ARGV: {
		const struct argv_array *a = field;
		emit_event(em,
		           yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		                                                a->argc ? YAML_BLOCK_SEQUENCE_STYLE
		                                                        : YAML_FLOW_SEQUENCE_STYLE),
		           &ev);
		for (size_t i = 0; i < a->argc; i++)
			emit_scalar(em, a->argv[i], 1);
		emit_event(em, yaml_sequence_end_event_initialize(&ev), &ev);
		break;
	}
	case KEY_LIST_DEFAULT: {
		const struct config_list *l = field;
		size_t n = config_list_len(l);
		emit_event(em,
		           yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		                                                n ? YAML_BLOCK_SEQUENCE_STYLE
		                                                  : YAML_FLOW_SEQUENCE_STYLE),
		           &ev);
		for (size_t i = 0; i < n; i++)
			emit_scalar(em, config_list_get(l, i), 1);
		emit_event(em, yaml_sequence_end_event_initialize(&ev), &ev);
		break;
	}
	case KEY_ALLOWED:
		emit_scalar(em, *(const int *)field ? "forbidden" : "allowed", 0);
		break;
	case KEY_BOOL:
		emit_scalar(em, *(const int *)field ? "true" : "false", 0);
		break;
	case KEY_INT:
		snprintf(num, sizeof(num), "%d", *(const int *)field);
		emit_scalar(em, num, 0);
		break;
	case KEY_FAIL_ON:
		emit_scalar(em, fail_on_name(*(const enum fail_on *)field), 0);
		break;
	case KEY_SIGNAL:
		emit_scalar(em, signal_name(*(const int *)field, num), 0);
		break;
	}
}

static void emit_mapping_start(struct emit *em, yaml_mapping_style_t style)
{
	yaml_event_t ev;

	emit_event(em, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, style), &ev);
}

static void emit_mapping_end(struct emit *em)
{
	yaml_event_t ev;

	emit_event(em, yaml_mapping_end_event_initialize(&ev), &ev);
}

/*
 * analyzers: the fixed keys, then every built-in analyzer: on/off at its
 * own severity, or {enabled, severity} when the severity was set.
 */
static void emit_analyzers(struct emit *em, const struct golive_config *c)
{
	emit_mapping_start(em, YAML_BLOCK_MAPPING_STYLE);
	for (size_t i = 0; i < ARRAY_SIZE(analyzers_keys) && !em->failed; i++)
		emit_key(em, &analyzers_keys[i], (const char *)c + analyzers_keys[i].offset);
	for (const struct analyzer *const *a = builtin_analyzers; *a && !em->failed; a++) {
		const struct analyzer_setting *set =
		    analyzer_setting_find(&c->analysis, (*a)->name);

		emit_scalar(em, (*a)->name, 0);
		em->what = (*a)->name;
		if (!set || set->severity < 0) {
			emit_scalar(em, !set || set->enabled ? "on" : "off", 0);
			continue;
		}
		emit_mapping_start(em, YAML_BLOCK_MAPPING_STYLE);
		emit_scalar(em, "enabled", 0);
		emit_scalar(em, set->enabled ? "true" : "false", 0);
		emit_scalar(em, "severity", 0);
		emit_scalar(em, severity_name((enum severity)set->severity), 0);
		emit_mapping_end(em);
	}
	emit_mapping_end(em);
}

/* rules: a list of mappings; a query of several lines as a literal block (|). */
static void emit_rules(struct emit *em, const struct golive_config *c)
{
	const struct analysis_settings *s = &c->analysis;
	yaml_event_t ev;

	emit_event(em,
	           yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
	                                                s->rules.n ? YAML_BLOCK_SEQUENCE_STYLE
	                                                           : YAML_FLOW_SEQUENCE_STYLE),
	           &ev);
	for (size_t i = 0; i < s->rules.n && !em->failed; i++) {
		const struct rule_spec *r = &s->rules.v[i];
		const char *values[ARRAY_SIZE(rule_keys)] = {r->id, r->query, r->message,
		                                             severity_name(r->severity),
		                                             r->handler_scope ? "handler" : "file"};

		emit_mapping_start(em, YAML_BLOCK_MAPPING_STYLE);
		for (size_t k = 0; k < ARRAY_SIZE(rule_keys); k++) {
			emit_scalar(em, rule_keys[k], 0);
			if (em->failed)
				break;
			snprintf(em->whatbuf, sizeof(em->whatbuf), "[%zu].%s", i, rule_keys[k]);
			em->what = em->whatbuf;
			if (k == RULE_QUERY && strchr(values[k], '\n'))
				emit_scalar_style(em, values[k], YAML_LITERAL_SCALAR_STYLE);
			else
				emit_scalar(em, values[k], 1);
		}
		emit_mapping_end(em);
	}
	emit_event(em, yaml_sequence_end_event_initialize(&ev), &ev);
}

/* Names the value about to be written, for messages (kept once writing failed). */
static void emit_what(struct emit *em, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void emit_what(struct emit *em, const char *fmt, ...)
{
	va_list ap;

	if (em->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(em->whatbuf, sizeof(em->whatbuf), fmt, ap);
	va_end(ap);
	em->what = em->whatbuf;
}

/* plugins: a list of mappings; path or exec (the one set), args as a mapping. */
static void emit_plugins(struct emit *em, const struct golive_config *c)
{
	yaml_event_t ev;
	char num[32];

	emit_event(em,
	           yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
	                                                c->plugins.n ? YAML_BLOCK_SEQUENCE_STYLE
	                                                             : YAML_FLOW_SEQUENCE_STYLE),
	           &ev);
	for (size_t i = 0; i < c->plugins.n && !em->failed; i++) {
		const struct plugin_spec *p = &c->plugins.v[i];
		const char *file_key = p->path ? "path" : "exec";
		const char *file = p->path ? p->path : p->exec;

		emit_mapping_start(em, YAML_BLOCK_MAPPING_STYLE);
		emit_scalar(em, "name", 0);
		emit_what(em, "[%zu].name", i);
		emit_scalar(em, p->name ? p->name : "null", p->name != NULL);
		emit_scalar(em, file_key, 0);
		emit_what(em, "[%zu].%s", i, file_key);
		emit_scalar(em, file ? file : "null", file != NULL);
		emit_scalar(em, "sha256", 0);
		emit_what(em, "[%zu].sha256", i);
		emit_scalar(em, p->sha256 ? p->sha256 : "null", p->sha256 != NULL);
		emit_scalar(em, "args", 0);
		emit_mapping_start(em, p->args.argc ? YAML_BLOCK_MAPPING_STYLE
		                                    : YAML_FLOW_MAPPING_STYLE);
		for (size_t k = 0; k < p->args.argc && !em->failed; k++) {
			const char *a = p->args.argv[k], *eq = strchr(a, '=');
			char *key = eq ? xstrndup(a, (size_t)(eq - a)) : xstrdup(a);

			emit_what(em, "[%zu].args.%s", i, key);
			emit_scalar(em, key, 1);
			emit_scalar(em, eq ? eq + 1 : "", 1);
			free(key);
		}
		emit_mapping_end(em);
		emit_scalar(em, "timeout", 0);
		emit_scalar(em, duration_name(p->timeout_ms, num), 0);
		emit_scalar(em, "required", 0);
		emit_scalar(em, p->required ? "true" : "false", 0);
		emit_mapping_end(em);
	}
	emit_event(em, yaml_sequence_end_event_initialize(&ev), &ev);
}

/* Appends s with control characters shown as '?', for a comment line. */
static void add_sanitized(struct strbuf *sb, const char *s)
{
	for (; *s; s++)
		strbuf_addch(sb, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

int config_to_yaml(const struct golive_config *c, struct strbuf *out, char **cause)
{
	struct emit em = {.what = NULL, .failed = 0};
	struct strbuf yaml = STRBUF_INIT;
	const char *section = NULL;
	yaml_event_t ev;

	if (!yaml_emitter_initialize(&em.e)) {
		*cause = xstrdup("yaml: cannot initialize the emitter");
		return -1;
	}
	yaml_emitter_set_output(&em.e, write_to_strbuf, &yaml);
	yaml_emitter_set_unicode(&em.e, 1);
	yaml_emitter_set_width(&em.e, -1);
	yaml_emitter_set_indent(&em.e, 2);

	emit_event(&em, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING), &ev);
	emit_event(&em, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1), &ev);
	emit_event(
	    &em, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE),
	    &ev);
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		const struct section_spec *s = &sections[i];
		section = s->name;
		emit_scalar(&em, s->name, 0);
		if (s->emit) {
			s->emit(&em, c);
			if (em.failed)
				break;
			em.what = NULL;
			continue;
		}
		emit_event(&em,
		           yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		                                               YAML_BLOCK_MAPPING_STYLE),
		           &ev);
		for (size_t j = 0; j < s->nkeys && !em.failed; j++)
			emit_key(&em, &s->keys[j], (const char *)c + s->keys[j].offset);
		emit_event(&em, yaml_mapping_end_event_initialize(&ev), &ev);
		if (em.failed)
			break;
		em.what = NULL;
	}
	emit_event(&em, yaml_mapping_end_event_initialize(&ev), &ev);
	emit_event(&em, yaml_document_end_event_initialize(&ev, 1), &ev);
	emit_event(&em, yaml_stream_end_event_initialize(&ev), &ev);

	if (em.failed) {
		const char *problem =
		    em.e.problem ? em.e.problem : "invalid UTF-8 or out of memory";
		if (em.what)
			*cause = xasprintf("yaml: cannot write %s%s%s: %s", section,
			                   em.what[0] == '[' ? "" : ".", em.what, problem);
		else
			*cause = xasprintf("yaml: cannot write the configuration: %s", problem);
		yaml_emitter_delete(&em.e);
		strbuf_release(&yaml);
		return -1;
	}
	yaml_emitter_delete(&em.e);

	if (c->path) {
		strbuf_addstr(out, "# from ");
		add_sanitized(out, c->path);
		strbuf_addch(out, '\n');
	} else {
		strbuf_addstr(out, "# defaults (no " CONFIG_FILE_NAME " found)\n");
	}
	strbuf_add(out, yaml.buf, yaml.len);
	strbuf_release(&yaml);
	return 0;
}

static json_t *json_string_or_null(const char *s)
{
	return s ? json_string_lossy(s) : json_null();
}

static json_t *key_to_json(const struct key_spec *k, const void *field)
{
	switch (k->type) {
	case KEY_STRING:
		return json_string_or_null(*(char *const *)field);
	case KEY_STRING_LIST:
	case KEY_ARGV: {
		const struct argv_array *a = field;
		json_t *v = json_array();
		for (size_t n = 0; n < a->argc; n++)
			json_array_append_new(v, json_string_lossy(a->argv[n]));
		return v;
	}
	case KEY_LIST_DEFAULT: {
		const struct config_list *l = field;
		json_t *v = json_array();
		for (size_t n = 0; n < config_list_len(l); n++)
			json_array_append_new(v, json_string_lossy(config_list_get(l, n)));
		return v;
	}
	case KEY_ALLOWED:
		return json_string(*(const int *)field ? "forbidden" : "allowed");
	case KEY_BOOL:
		return json_boolean(*(const int *)field);
	case KEY_INT:
		return json_integer(*(const int *)field);
	case KEY_FAIL_ON:
		return json_string(fail_on_name(*(const enum fail_on *)field));
	case KEY_SIGNAL: {
		char buf[32];
		return json_string(signal_name(*(const int *)field, buf));
	}
	}
	return json_null();
}

static json_t *keys_to_json(const struct key_spec *keys, size_t nkeys,
                            const struct golive_config *c)
{
	json_t *sec = json_object();

	for (size_t j = 0; j < nkeys; j++)
		json_object_set_new(sec, keys[j].name,
		                    key_to_json(&keys[j], (const char *)c + keys[j].offset));
	return sec;
}

/* analyzers: the fixed keys, then {"enabled", "severity"} (effective) per built-in analyzer. */
static json_t *analyzers_to_json(const struct golive_config *c)
{
	json_t *sec = keys_to_json(analyzers_keys, ARRAY_SIZE(analyzers_keys), c);

	for (const struct analyzer *const *a = builtin_analyzers; *a; a++) {
		const struct analyzer_setting *set =
		    analyzer_setting_find(&c->analysis, (*a)->name);
		enum severity sev =
		    set && set->severity >= 0 ? (enum severity)set->severity : (*a)->severity;

		json_object_set_new(sec, (*a)->name,
		                    json_pack("{s:b, s:s}", "enabled", !set || set->enabled,
		                              "severity", severity_name(sev)));
	}
	return sec;
}

static json_t *rules_to_json(const struct golive_config *c)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < c->analysis.rules.n; i++) {
		const struct rule_spec *r = &c->analysis.rules.v[i];
		json_t *o = json_object();

		json_object_set_new(o, "id", json_string_lossy(r->id));
		json_object_set_new(o, "query", json_string_lossy(r->query));
		json_object_set_new(o, "message", json_string_lossy(r->message));
		json_object_set_new(o, "severity", json_string(severity_name(r->severity)));
		json_object_set_new(o, "scope", json_string(r->handler_scope ? "handler" : "file"));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* plugins: one object per plugin, args as an object of strings. */
static json_t *plugins_to_json(const struct golive_config *c)
{
	json_t *arr = json_array();
	char num[32];

	for (size_t i = 0; i < c->plugins.n; i++) {
		const struct plugin_spec *p = &c->plugins.v[i];
		json_t *o = json_object(), *args = json_object();

		json_object_set_new(o, "name", json_string_or_null(p->name));
		json_object_set_new(o, "path", json_string_or_null(p->path));
		json_object_set_new(o, "exec", json_string_or_null(p->exec));
		json_object_set_new(o, "sha256", json_string_or_null(p->sha256));
		for (size_t k = 0; k < p->args.argc; k++) {
			const char *a = p->args.argv[k], *eq = strchr(a, '=');
			char *name = eq ? xstrndup(a, (size_t)(eq - a)) : xstrdup(a);
			json_t *key = json_string_lossy(name); /* a valid UTF-8 key */

			json_object_set_new(args, json_string_value(key),
			                    json_string_lossy(eq ? eq + 1 : ""));
			json_decref(key);
			free(name);
		}
		json_object_set_new(o, "args", args);
		json_object_set_new(o, "timeout", json_string(duration_name(p->timeout_ms, num)));
		json_object_set_new(o, "required", json_boolean(p->required));
		json_array_append_new(arr, o);
	}
	return arr;
}

struct json_t *config_to_json(const struct golive_config *c)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "path", json_string_or_null(c->path));
	json_object_set_new(obj, "root", json_string_or_null(c->root));
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		const struct section_spec *s = &sections[i];
		json_object_set_new(
		    obj, s->name, s->to_json ? s->to_json(c) : keys_to_json(s->keys, s->nkeys, c));
	}
	return obj;
}
