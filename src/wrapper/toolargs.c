/* toolargs.c - see toolargs.h. */
#define _GNU_SOURCE
#include "wrapper/toolargs.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct {
	const char *name;
	enum go_tool kind;
} tools[] = {
    {"compile", TOOL_COMPILE},
    {"asm", TOOL_ASM},
    {"link", TOOL_LINK},
    {"cgo", TOOL_CGO},
    {"cover", TOOL_COVER},
    {"vet", TOOL_VET},
    {"preprofile", TOOL_PREPROFILE},
};

enum go_tool toolargs_kind(const char *tool_path, char *name_out, size_t name_size)
{
	const char *b = base_name(tool_path);
	size_t len = strlen(b);
	if (len > 4 && strcmp(b + len - 4, ".exe") == 0)
		len -= 4;
	if (name_out && name_size) {
		size_t n = len < name_size - 1 ? len : name_size - 1;
		memcpy(name_out, b, n);
		name_out[n] = '\0';
	}
	for (size_t i = 0; i < ARRAY_SIZE(tools); i++)
		if (strlen(tools[i].name) == len && memcmp(tools[i].name, b, len) == 0)
			return tools[i].kind;
	return TOOL_OTHER;
}

int toolargs_is_toolexec(int argc, char **argv)
{
	if (argc < 2)
		return 0;
	if (argv[1][0] == '/')
		return 1;
	return argc >= 3 && strcmp(argv[2], "-###") == 0;
}

size_t toolargs_decode_response_line(char *s, size_t len)
{
	size_t r = 0, w = 0;
	while (r < len) {
		if (s[r] == '\\' && r + 1 < len && (s[r + 1] == '\\' || s[r + 1] == 'n')) {
			s[w++] = s[r + 1] == 'n' ? '\n' : '\\';
			r += 2;
		} else {
			s[w++] = s[r++];
		}
	}
	s[w] = '\0';
	return w;
}

/* Appends the arguments of response file `path` to out; -1 if unreadable. */
static int expand_response_file(struct argv_array *out, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	if (strbuf_read_file(&sb, path, 64u << 20) < 0) {
		strbuf_release(&sb);
		return -1;
	}
	char *p = sb.buf, *end = sb.buf + sb.len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		p[len] = '\0';
		toolargs_decode_response_line(p, len);
		argv_push(out, p);
		p += len + 1;
	}
	strbuf_release(&sb);
	return 0;
}

static const char *source_suffix(enum go_tool kind)
{
	switch (kind) {
	case TOOL_COMPILE:
	case TOOL_CGO:
	case TOOL_COVER:
		return ".go";
	case TOOL_ASM:
		return ".s";
	default:
		return NULL;
	}
}

void toolargs_classify(struct tool_invocation *ti, int argc, char **argv)
{
	memset(ti, 0, sizeof(*ti));
	if (argc < 2)
		return;
	ti->kind = toolargs_kind(argv[1], ti->name, sizeof(ti->name));
	if (argv[1][0] != '/' && argc >= 3 && strcmp(argv[2], "-###") == 0)
		ti->kind = TOOL_CC;
	ti->args = argv + 2;
	ti->nargs = (size_t)(argc - 2);

	int has_response = 0;
	for (size_t i = 0; i < ti->nargs; i++)
		if (ti->args[i][0] == '@')
			has_response = 1;
	if (has_response) {
		struct argv_array ex = ARGV_ARRAY_INIT;
		for (size_t i = 0; i < ti->nargs; i++)
			if (ti->args[i][0] != '@' || expand_response_file(&ex, ti->args[i] + 1) < 0)
				argv_push(&ex, ti->args[i]);
		if (!ex.argv) /* every response file was empty */
			ex.argv = xcalloc(1, sizeof(char *));
		ti->owned = ex.argv;
		ti->args = ex.argv;
		ti->nargs = ex.argc;
	}

	for (size_t i = 0; i < ti->nargs; i++) {
		const char *a = ti->args[i];
		if (strcmp(a, "-V=full") == 0 || strcmp(a, "-V") == 0)
			ti->probe = 1;
		if (i + 1 < ti->nargs && (strcmp(a, "-p") == 0 || strcmp(a, "-o") == 0)) {
			if (a[1] == 'p')
				ti->pkg = ti->args[i + 1];
			else
				ti->output = ti->args[i + 1];
			i++;
		} else if (starts_with(a, "-p=")) {
			ti->pkg = a + 3;
		} else if (starts_with(a, "-o=")) {
			ti->output = a + 3;
		} else if (ti->kind == TOOL_COMPILE && starts_with(a, "-lang")) {
			if (a[5] == '=')
				ti->lang = a + 6;
			else if (!a[5] && i + 1 < ti->nargs)
				ti->lang = ti->args[++i];
		}
	}
	if (ti->kind == TOOL_CC)
		ti->probe = 1;

	const char *suffix = source_suffix(ti->kind);
	size_t first = ti->nargs;
	if (suffix)
		while (first > 0 && ti->args[first - 1][0] != '-' &&
		       ends_with(ti->args[first - 1], suffix))
			first--;
	ti->first_file = first;
	ti->nfiles = ti->nargs - first;
}

void toolargs_release(struct tool_invocation *ti)
{
	if (ti->owned) {
		for (size_t i = 0; ti->owned[i]; i++)
			free(ti->owned[i]);
		free(ti->owned);
	}
	memset(ti, 0, sizeof(*ti));
}

long long toolargs_source_bytes(const struct tool_invocation *ti)
{
	long long total = 0;
	struct stat st;
	for (size_t i = ti->first_file; i < ti->nargs; i++)
		if (stat(ti->args[i], &st) == 0)
			total += (long long)st.st_size;
	return total;
}
