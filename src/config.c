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

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <yaml.h>

#define MAX_DEPTH 64 /* nesting levels accepted in the file */

/* The key tables. */

enum key_type {
	KEY_STRING,      /* char *, NULL when unset */
	KEY_STRING_LIST, /* struct argv_array: a string or a list of non-empty strings */
	KEY_BOOL,        /* int 0/1 */
	KEY_INT,         /* int in min..max */
};

struct key_spec {
	const char *name;
	enum key_type type;
	size_t offset; /* of the field in struct golive_config */
	int min, max;  /* KEY_INT range */
};

struct section_spec {
	const char *name;
	const struct key_spec *keys;
	size_t nkeys;
};

#define FIELD(f) offsetof(struct golive_config, f)

static const struct key_spec build_keys[] = {
    {"packages", KEY_STRING_LIST, FIELD(build.packages), 0, 0},
    {"flags", KEY_STRING_LIST, FIELD(build.flags), 0, 0},
    {"output", KEY_STRING, FIELD(build.output), 0, 0},
    {"keep", KEY_BOOL, FIELD(build.keep), 0, 0},
    {"top", KEY_INT, FIELD(build.top), 0, 1000},
};

static const struct section_spec sections[] = {
    {"build", build_keys, ARRAY_SIZE(build_keys)},
};

void config_init(struct golive_config *c)
{
	memset(c, 0, sizeof(*c));
	c->build.top = 10;
}

void config_release(struct golive_config *c)
{
	free(c->path);
	free(c->root);
	argv_clear(&c->build.packages);
	argv_clear(&c->build.flags);
	free(c->build.output);
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

/* A non-null scalar without NUL bytes. */
static int is_string(const struct ynode *n)
{
	return n->kind == YN_SCALAR && !is_null(n) && strlen(n->value) == n->len;
}

static int set_string_list(struct argv_array *a, const struct ynode *n, const char *section,
                           const struct key_spec *k, const char *path, char **cause)
{
	struct strbuf d = STRBUF_INIT;
	int ret = -1;

	if (n->kind == YN_SCALAR) {
		if (!is_string(n) || !n->len) {
			fail_at(cause, path, n->mark,
			        "%s.%s: expected a non-empty string or a list of strings, got %s",
			        section, k->name, describe(&d, n));
			goto out;
		}
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
		if (!is_string(it) || !it->len) {
			fail_at(cause, path, it->mark,
			        "%s.%s[%zu]: expected a non-empty string, got %s", section, k->name,
			        i, describe(&d, it));
			goto out;
		}
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
		free(*(char **)field);
		*(char **)field = xstrdup(n->value);
		break;
	case KEY_STRING_LIST:
		ret = set_string_list(field, n, section, k, path, cause);
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
	}
	strbuf_release(&d);
	return ret;
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
	ret = 0;
out:
	free(idx);
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
			*cause = xasprintf("%s: %s", shown, strerror(errno));
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
	case KEY_STRING_LIST: {
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
	case KEY_BOOL:
		emit_scalar(em, *(const int *)field ? "true" : "false", 0);
		break;
	case KEY_INT:
		snprintf(num, sizeof(num), "%d", *(const int *)field);
		emit_scalar(em, num, 0);
		break;
	}
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
			*cause =
			    xasprintf("yaml: cannot write %s.%s: %s", section, em.what, problem);
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

/* A JSON string of s, with invalid UTF-8 replaced by U+FFFD. */
static json_t *json_string_lossy(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	json_t *j = json_string(s);

	if (j)
		return j;
	while (*p) {
		size_t n = 0;
		unsigned cp = 0, min = 0;

		if (*p < 0x80)
			n = 1, cp = *p;
		else if ((*p & 0xe0) == 0xc0)
			n = 2, cp = *p & 0x1f, min = 0x80;
		else if ((*p & 0xf0) == 0xe0)
			n = 3, cp = *p & 0x0f, min = 0x800;
		else if ((*p & 0xf8) == 0xf0)
			n = 4, cp = *p & 0x07, min = 0x10000;
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80) {
				n = 0;
				break;
			}
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (!n || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			strbuf_addstr(&sb, "\xef\xbf\xbd");
			p++;
			continue;
		}
		strbuf_add(&sb, p, n);
		p += n;
	}
	j = json_string(sb.buf);
	strbuf_release(&sb);
	return j;
}

static json_t *json_string_or_null(const char *s)
{
	return s ? json_string_lossy(s) : json_null();
}

struct json_t *config_to_json(const struct golive_config *c)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "path", json_string_or_null(c->path));
	json_object_set_new(obj, "root", json_string_or_null(c->root));
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		const struct section_spec *s = &sections[i];
		json_t *sec = json_object();

		for (size_t j = 0; j < s->nkeys; j++) {
			const struct key_spec *k = &s->keys[j];
			const void *field = (const char *)c + k->offset;
			json_t *v = NULL;

			switch (k->type) {
			case KEY_STRING:
				v = json_string_or_null(*(char *const *)field);
				break;
			case KEY_STRING_LIST: {
				const struct argv_array *a = field;
				v = json_array();
				for (size_t n = 0; n < a->argc; n++)
					json_array_append_new(v, json_string_lossy(a->argv[n]));
				break;
			}
			case KEY_BOOL:
				v = json_boolean(*(const int *)field);
				break;
			case KEY_INT:
				v = json_integer(*(const int *)field);
				break;
			}
			json_object_set_new(sec, k->name, v);
		}
		json_object_set_new(obj, s->name, sec);
	}
	return obj;
}
