/*
 * config.c - see config.h.
 *
 * Parsing runs libyaml's event parser and builds a small node tree (struct
 * ynode) with the position of every node; aliases and a second document are
 * refused while the events arrive, nesting is capped. The tree is then
 * checked against the sections' key tables (config_section.h: the
 * config_<family>.c files), which also drive the YAML and JSON output.
 */
#define _GNU_SOURCE
#include "core/config.h"
#include "core/config_section.h"
#include "core/jsonl.h"

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

#include "verify/verify_policy.h"

#define MAX_DEPTH 64 /* nesting levels accepted in the file */

/*
 * The sections in the order config_to_yaml() and config_to_json() write
 * them.
 */
static const struct section_spec *const sections[] = {
    &config_section_build,   &config_section_run,       &config_section_watch,
    &config_section_trace,   &config_section_analyzers, &config_section_rules,
    &config_section_plugins, &config_section_profiles,  &config_section_verify,
    &config_section_cache,
};

void config_init(struct golive_config *c)
{
	memset(c, 0, sizeof(*c));
	c->build.top = 10;
	c->run.stop_signal = SIGTERM;
	c->run.grace_ms = 5000;
	c->run.fast = 1;
	c->watch.debounce_ms = 20;
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
	free(c->run.editor_url);
	argv_clear(&c->watch.include);
	argv_clear(&c->watch.reload);
	argv_clear(&c->watch.exclude);
	free(c->watch.poll);
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
		config_plugin_spec_release(&c->plugins.v[i]);
	ARRAY_FREE(c->plugins);
	free(c->profiles.prod_marker);
	argv_clear(&c->profiles.trusted_dirs);
	argv_clear(&c->verify.forbid_packages.items);
	argv_clear(&c->verify.allow_packages);
	argv_clear(&c->verify.forbid_tags.items);
	config_init(c);
}

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

int ynode_is_null(const struct ynode *n)
{
	if (n->kind != YN_SCALAR || !n->plain)
		return 0;
	return !strcmp(n->value, "") || !strcmp(n->value, "~") || !strcmp(n->value, "null") ||
	       !strcmp(n->value, "Null") || !strcmp(n->value, "NULL");
}

/* Sets *cause to "PATH:LINE:COL: message" for the 0-based mark and returns -1. */
int config_fail_at(char **cause, const char *path, yaml_mark_t mark, const char *fmt, ...)
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
const char *ynode_describe(struct strbuf *sb, const struct ynode *n)
{
	strbuf_reset(sb);
	if (n->kind == YN_MAPPING)
		strbuf_addstr(sb, "a mapping");
	else if (n->kind == YN_SEQUENCE)
		strbuf_addstr(sb, "a sequence");
	else if (ynode_is_null(n))
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
			return config_fail_at(cause, path, mark, "yaml: %s (#x%x)", problem,
			                      (unsigned)p->problem_value);
	}
	if ((p->error == YAML_PARSER_ERROR || p->error == YAML_SCANNER_ERROR) && p->context)
		return config_fail_at(cause, path, mark, "yaml: %s (%s at %zu:%zu)", problem,
		                      p->context, p->context_mark.line + 1,
		                      p->context_mark.column + 1);
	return config_fail_at(cause, path, mark, "yaml: %s", problem);
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
				config_fail_at(cause, path, ev.start_mark,
				               "yaml: multiple documents are not supported");
				goto out_event;
			}
			break;
		case YAML_ALIAS_EVENT:
			config_fail_at(cause, path, ev.start_mark,
			               "yaml: aliases are not supported");
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
					config_fail_at(cause, path, ev.start_mark,
					               "yaml: nesting deeper than %d levels",
					               MAX_DEPTH);
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

int ynode_parse_bool(const struct ynode *n, int *out)
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
int config_parse_decimal(const char *s, int max)
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
	int v = config_parse_decimal(s, MAX_SIGNAL), n = 0;

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
		if (s[5] && (s[5] != (max ? '-' : '+') ||
		             (n = config_parse_decimal(s + 6, MAX_SIGNAL)) < 0))
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
char *config_quoted(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	add_quoted(&sb, s, strlen(s));
	return strbuf_detach(&sb, NULL);
}

int config_check_nonempty(const char *s, char **why)
{
	if (*s)
		return 0;
	*why = xstrdup("expected a non-empty string, got \"\"");
	return -1;
}

/* A non-null scalar without NUL bytes. */
int ynode_is_string(const struct ynode *n)
{
	return n->kind == YN_SCALAR && !ynode_is_null(n) && strlen(n->value) == n->len;
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
	config_fail_at(cause, path, n->mark, "%s.%s%s: %s", section, k->name, sub, why);
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
		if (!ynode_is_string(n) || (!n->len && *nonempty)) {
			config_fail_at(cause, path, n->mark,
			               "%s.%s: expected a %sstring or a list of strings, got %s",
			               section, k->name, nonempty, ynode_describe(&d, n));
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
		config_fail_at(cause, path, n->mark,
		               "%s.%s: expected a string or a list of strings, got %s", section,
		               k->name, ynode_describe(&d, n));
		goto out;
	}
	for (size_t i = 0; i < n->items.n; i++) {
		const struct ynode *it = n->items.v[i];
		if (!ynode_is_string(it) || (!it->len && *nonempty)) {
			config_fail_at(cause, path, it->mark,
			               "%s.%s[%zu]: expected a %sstring, got %s", section, k->name,
			               i, nonempty, ynode_describe(&d, it));
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

/*
 * KEY_INCLUDE: a string or a list whose items are strings or {glob: G,
 * restart: B} mappings; a[0] gets the globs that restart, a[1] the others.
 */
static int set_include(struct argv_array *a, const struct ynode *n, const char *section,
                       const struct key_spec *k, const char *path, char **cause)
{
	static const char *const names[] = {"glob", "restart"};
	struct argv_array keep = ARGV_ARRAY_INIT, reload = ARGV_ARRAY_INIT;
	struct strbuf d = STRBUF_INIT;
	char where[64];
	int ret = -1;
	if (n->kind != YN_SEQUENCE) {
		ret = set_string_list(&a[0], n, section, k, path, cause);
		if (!ret)
			argv_clear(&a[1]);
		return ret;
	}
	snprintf(where, sizeof(where), " in %s.%s", section, k->name);
	for (size_t i = 0; i < n->items.n; i++) {
		const struct ynode *it = n->items.v[i], *g = it;
		int restart = 1;
		if (it->kind == YN_MAPPING) {
			size_t idx[2] = {0, 0};
			if (it->items.n > 4 || config_check_keys(it, names, 2, sizeof(names[0]),
			                                         where, path, idx, cause) < 0) {
				if (it->items.n > 4)
					config_fail_at(cause, path, it->mark,
					               "%s.%s[%zu]: too many keys", section,
					               k->name, i);
				goto out;
			}
			g = NULL;
			const struct ynode *r = NULL;
			for (size_t j = 0; j + 1 < it->items.n; j += 2)
				*(idx[j / 2] ? &r : &g) = it->items.v[j + 1];
			if (!g) {
				config_fail_at(cause, path, it->mark, "%s.%s[%zu]: needs glob",
				               section, k->name, i);
				goto out;
			}
			if (r && ynode_parse_bool(r, &restart) < 0) {
				config_fail_at(cause, path, r->mark,
				               "%s.%s[%zu].restart: expected a boolean, got %s",
				               section, k->name, i, ynode_describe(&d, r));
				goto out;
			}
		}
		if (!ynode_is_string(g) || !g->len) {
			config_fail_at(
			    cause, path, g->mark,
			    "%s.%s[%zu]: expected a non-empty string or {glob: G, restart: "
			    "false}, got %s",
			    section, k->name, i, ynode_describe(&d, g));
			goto out;
		}
		if (check_value(section, k, g, (long)i, path, cause))
			goto out;
		argv_push(restart ? &keep : &reload, g->value);
	}
	argv_clear(&a[0]);
	argv_clear(&a[1]);
	a[0] = keep;
	a[1] = reload;
	memset(&keep, 0, sizeof(keep));
	memset(&reload, 0, sizeof(reload));
	ret = 0;
out:
	argv_clear(&keep);
	argv_clear(&reload);
	strbuf_release(&d);
	return ret;
}

/* Stores value node n for key k of section into c. */
int config_set_key(struct golive_config *c, const char *section, const struct key_spec *k,
                   const struct ynode *n, const char *path, char **cause)
{
	void *field = (char *)c + k->offset;
	struct strbuf d = STRBUF_INIT;
	int ret = 0;

	if (ynode_is_null(n))
		return 0; /* keep the current value */
	switch (k->type) {
	case KEY_STRING:
		if (!ynode_is_string(n)) {
			ret =
			    config_fail_at(cause, path, n->mark, "%s.%s: expected a string, got %s",
			                   section, k->name, ynode_describe(&d, n));
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
	case KEY_INCLUDE:
		ret = set_include(field, n, section, k, path, cause);
		break;
	case KEY_LIST_DEFAULT: {
		struct config_list *l = field;
		ret = set_string_list(&l->items, n, section, k, path, cause);
		if (!ret)
			l->set = 1;
		break;
	}
	case KEY_ALLOWED:
		if (!ynode_is_string(n) ||
		    (strcmp(n->value, "allowed") && strcmp(n->value, "forbidden")))
			ret = config_fail_at(cause, path, n->mark,
			                     "%s.%s: expected allowed or forbidden, got %s",
			                     section, k->name, ynode_describe(&d, n));
		else
			*(int *)field = strcmp(n->value, "forbidden") == 0;
		break;
	case KEY_BOOL:
		if (ynode_parse_bool(n, field))
			ret = config_fail_at(cause, path, n->mark,
			                     "%s.%s: expected a boolean, got %s", section, k->name,
			                     ynode_describe(&d, n));
		break;
	case KEY_INT:
		if (parse_int(n, k->min, k->max, field))
			ret = config_fail_at(
			    cause, path, n->mark, "%s.%s: expected an integer in %d..%d, got %s",
			    section, k->name, k->min, k->max, ynode_describe(&d, n));
		break;
	case KEY_FAIL_ON:
		if (!ynode_is_string(n) || fail_on_parse(n->value, field))
			ret = config_fail_at(cause, path, n->mark,
			                     "%s.%s: expected error, warning or never, got %s",
			                     section, k->name, ynode_describe(&d, n));
		break;
	case KEY_SIGNAL:
		if (!ynode_is_string(n) || config_signal_parse(n->value, field)) {
			struct strbuf names = STRBUF_INIT;
			for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++)
				strbuf_addf(&names, "%s, ", signal_names[i].name);
			ret = config_fail_at(cause, path, n->mark,
			                     "%s.%s: expected a signal name (%sRTMIN+N; SIG prefix "
			                     "optional) or a number in 1..64, got %s",
			                     section, k->name, names.buf, ynode_describe(&d, n));
			strbuf_release(&names);
		}
		break;
	}
	strbuf_release(&d);
	return ret;
}

/* The key named name in mapping m (whose keys are scalars), or NULL. */
const struct ynode *ynode_key(const struct ynode *m, const char *name)
{
	for (size_t i = 0; i + 1 < m->items.n; i += 2)
		if (!strcmp(m->items.v[i]->value, name) &&
		    strlen(m->items.v[i]->value) == m->items.v[i]->len)
			return m->items.v[i];
	return NULL;
}

/*
 * Checks that mapping m has scalar keys, each named in names (n of them,
 * stride bytes apart, the name pointer first) and none twice. *idx gets,
 * per key pair, the index of the matching name. where is "" at the top
 * level, " in SECTION" below.
 */
int config_check_keys(const struct ynode *m, const void *names, size_t nnames, size_t stride,
                      const char *where, const char *path, size_t *idx, char **cause)
{
	struct strbuf d = STRBUF_INIT;
	int ret = -1;

	for (size_t i = 0; i + 1 < m->items.n; i += 2) {
		const struct ynode *key = m->items.v[i];
		size_t j;

		if (key->kind != YN_SCALAR) {
			config_fail_at(cause, path, key->mark, "keys must be strings, got %s",
			               ynode_describe(&d, key));
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
			config_fail_at(cause, path, key->mark, "unknown key %s", d.buf);
			goto out;
		}
		for (size_t p = 0; p < i / 2; p++) {
			if (idx[p] == j) {
				config_fail_at(
				    cause, path, key->mark,
				    "duplicate key \"%s\"%s (first at line %zu)",
				    *(const char *const *)((const char *)names + j * stride), where,
				    m->items.v[2 * p]->mark.line + 1);
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

	if (ynode_is_null(m))
		return 0;
	if (s->parse)
		return s->parse(c, m, path, cause);
	if (m->kind != YN_MAPPING) {
		config_fail_at(cause, path, m->mark, "%s: expected a mapping, got %s", s->name,
		               ynode_describe(&d, m));
		goto out;
	}
	idx = xcalloc(m->items.n / 2 + 1, sizeof(*idx));
	strbuf_addf(&d, " in %s", s->name);
	if (config_check_keys(m, s->keys, s->nkeys, sizeof(*s->keys), d.buf, path, idx, cause))
		goto out;
	for (size_t i = 0; i + 1 < m->items.n; i += 2)
		if (config_set_key(c, s->name, &s->keys[idx[i / 2]], m->items.v[i + 1], path,
		                   cause))
			goto out;
	if (s->check && s->check(c, m, path, cause))
		goto out;
	ret = 0;
out:
	free(idx);
	strbuf_release(&d);
	return ret;
}

int config_parse(struct golive_config *c, const char *display_path, const char *buf, size_t len,
                 char **cause)
{
	const char *names[ARRAY_SIZE(sections)];
	struct ynode *root;
	struct strbuf d = STRBUF_INIT;
	size_t *idx = NULL;
	int ret = -1;

	if (load_tree(display_path, buf, len, &root, cause))
		return -1;
	if (!root || ynode_is_null(root)) {
		ret = 0;
		goto out;
	}
	if (root->kind != YN_MAPPING) {
		config_fail_at(cause, display_path, root->mark,
		               "top level must be a mapping, got %s", ynode_describe(&d, root));
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		names[i] = sections[i]->name;
	idx = xcalloc(root->items.n / 2 + 1, sizeof(*idx));
	if (config_check_keys(root, names, ARRAY_SIZE(names), sizeof(*names), "", display_path, idx,
	                      cause))
		goto out;
	for (size_t i = 0; i + 1 < root->items.n; i += 2)
		if (apply_section(c, sections[idx[i / 2]], root->items.v[i + 1], display_path,
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

/* Emits one event built by the caller (init_ok: its _initialize result). */
void config_emit_event(struct emit *em, int init_ok, yaml_event_t *ev)
{
	if (em->failed)
		return;
	if (!init_ok || !yaml_emitter_emit(&em->e, ev))
		em->failed = 1;
}

void config_emit_scalar_style(struct emit *em, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	config_emit_event(em,
	                  yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
	                                               (int)strlen(s), 1, 1, style),
	                  &ev);
}

void config_emit_scalar(struct emit *em, const char *s, int quote_if_typed)
{
	yaml_event_t ev;
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

	if (quote_if_typed && looks_typed(s))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	config_emit_event(em,
	                  yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
	                                               (int)strlen(s), 1, 1, style),
	                  &ev);
}

void config_emit_key(struct emit *em, const struct key_spec *k, const void *field)
{
	yaml_event_t ev;
	char num[32];

	config_emit_scalar(em, k->name, 0);
	if (!em->failed)
		em->what = k->name;
	switch (k->type) {
	case KEY_STRING: {
		const char *s = *(char *const *)field;
		config_emit_scalar(em, s ? s : "null", s != NULL);
		break;
	}
	case KEY_STRING_LIST:
	case KEY_ARGV: {
		const struct argv_array *a = field;
		config_emit_event(
		    em,
		    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		                                         a->argc ? YAML_BLOCK_SEQUENCE_STYLE
		                                                 : YAML_FLOW_SEQUENCE_STYLE),
		    &ev);
		for (size_t i = 0; i < a->argc; i++)
			config_emit_scalar(em, a->argv[i], 1);
		config_emit_event(em, yaml_sequence_end_event_initialize(&ev), &ev);
		break;
	}
	case KEY_INCLUDE: {
		const struct argv_array *a = field;
		config_emit_event(em,
		                  yaml_sequence_start_event_initialize(
		                      &ev, NULL, NULL, 1,
		                      a[0].argc || a[1].argc ? YAML_BLOCK_SEQUENCE_STYLE
		                                             : YAML_FLOW_SEQUENCE_STYLE),
		                  &ev);
		for (size_t i = 0; i < a[0].argc; i++)
			config_emit_scalar(em, a[0].argv[i], 1);
		for (size_t i = 0; i < a[1].argc; i++) {
			config_emit_mapping_start(em, YAML_FLOW_MAPPING_STYLE);
			config_emit_scalar(em, "glob", 0);
			config_emit_scalar(em, a[1].argv[i], 1);
			config_emit_scalar(em, "restart", 0);
			config_emit_scalar(em, "false", 0);
			config_emit_mapping_end(em);
		}
		config_emit_event(em, yaml_sequence_end_event_initialize(&ev), &ev);
		break;
	}
	case KEY_LIST_DEFAULT: {
		const struct config_list *l = field;
		size_t n = config_list_len(l);
		config_emit_event(em,
		                  yaml_sequence_start_event_initialize(
		                      &ev, NULL, NULL, 1,
		                      n ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE),
		                  &ev);
		for (size_t i = 0; i < n; i++)
			config_emit_scalar(em, config_list_get(l, i), 1);
		config_emit_event(em, yaml_sequence_end_event_initialize(&ev), &ev);
		break;
	}
	case KEY_ALLOWED:
		config_emit_scalar(em, *(const int *)field ? "forbidden" : "allowed", 0);
		break;
	case KEY_BOOL:
		config_emit_scalar(em, *(const int *)field ? "true" : "false", 0);
		break;
	case KEY_INT:
		snprintf(num, sizeof(num), "%d", *(const int *)field);
		config_emit_scalar(em, num, 0);
		break;
	case KEY_FAIL_ON:
		config_emit_scalar(em, fail_on_name(*(const enum fail_on *)field), 0);
		break;
	case KEY_SIGNAL:
		config_emit_scalar(em, signal_name(*(const int *)field, num), 0);
		break;
	}
}

void config_emit_mapping_start(struct emit *em, yaml_mapping_style_t style)
{
	yaml_event_t ev;

	config_emit_event(em, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, style), &ev);
}

void config_emit_mapping_end(struct emit *em)
{
	yaml_event_t ev;

	config_emit_event(em, yaml_mapping_end_event_initialize(&ev), &ev);
}

/* Names the value about to be written, for messages (kept once writing failed). */
void config_emit_what(struct emit *em, const char *fmt, ...)
{
	va_list ap;

	if (em->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(em->whatbuf, sizeof(em->whatbuf), fmt, ap);
	va_end(ap);
	em->what = em->whatbuf;
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

	config_emit_event(&em, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING), &ev);
	config_emit_event(&em, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1), &ev);
	config_emit_event(
	    &em, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE),
	    &ev);
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		const struct section_spec *s = sections[i];
		section = s->name;
		config_emit_scalar(&em, s->name, 0);
		if (s->emit) {
			s->emit(&em, c);
			if (em.failed)
				break;
			em.what = NULL;
			continue;
		}
		config_emit_event(&em,
		                  yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		                                                      YAML_BLOCK_MAPPING_STYLE),
		                  &ev);
		for (size_t j = 0; j < s->nkeys && !em.failed; j++)
			config_emit_key(&em, &s->keys[j], (const char *)c + s->keys[j].offset);
		config_emit_event(&em, yaml_mapping_end_event_initialize(&ev), &ev);
		if (em.failed)
			break;
		em.what = NULL;
	}
	config_emit_event(&em, yaml_mapping_end_event_initialize(&ev), &ev);
	config_emit_event(&em, yaml_document_end_event_initialize(&ev, 1), &ev);
	config_emit_event(&em, yaml_stream_end_event_initialize(&ev), &ev);

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

json_t *config_json_string_or_null(const char *s)
{
	return s ? json_string_lossy(s) : json_null();
}

static json_t *key_to_json(const struct key_spec *k, const void *field)
{
	switch (k->type) {
	case KEY_STRING:
		return config_json_string_or_null(*(char *const *)field);
	case KEY_STRING_LIST:
	case KEY_ARGV: {
		const struct argv_array *a = field;
		json_t *v = json_array();
		for (size_t n = 0; n < a->argc; n++)
			json_array_append_new(v, json_string_lossy(a->argv[n]));
		return v;
	}
	case KEY_INCLUDE: {
		const struct argv_array *a = field;
		json_t *v = json_array();
		for (size_t n = 0; n < a[0].argc; n++)
			json_array_append_new(v, json_string_lossy(a[0].argv[n]));
		for (size_t n = 0; n < a[1].argc; n++)
			json_array_append_new(v, json_pack("{s:o,s:b}", "glob",
			                                   json_string_lossy(a[1].argv[n]),
			                                   "restart", 0));
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

json_t *config_keys_to_json(const struct key_spec *keys, size_t nkeys,
                            const struct golive_config *c)
{
	json_t *sec = json_object();

	for (size_t j = 0; j < nkeys; j++)
		json_object_set_new(sec, keys[j].name,
		                    key_to_json(&keys[j], (const char *)c + keys[j].offset));
	return sec;
}

struct json_t *config_to_json(const struct golive_config *c)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "path", config_json_string_or_null(c->path));
	json_object_set_new(obj, "root", config_json_string_or_null(c->root));
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		const struct section_spec *s = sections[i];
		json_object_set_new(obj, s->name,
		                    s->to_json ? s->to_json(c)
		                               : config_keys_to_json(s->keys, s->nkeys, c));
	}
	return obj;
}
