/* buildargs.c - see buildargs.h. */
#include "core/buildargs.h"

#include <stdlib.h>
#include <string.h>

/* go build flags that take a value (cmd/go/internal/work/build.go, Go 1.19-1.24). */
static const char *const value_flags[] = {
    "C",
    "o",
    "p",
    "asmflags",
    "buildmode",
    "compiler",
    "gccgoflags",
    "gcflags",
    "installsuffix",
    "ldflags",
    "mod",
    "modfile",
    "overlay",
    "pgo",
    "pkgdir",
    "tags",
    "toolexec",
    "coverpkg",
    "covermode",
    "debug-actiongraph",
    "debug-deprioritize",
    "debug-trace",
    "exec",
};

int buildargs_takes_value(const char *name)
{
	for (size_t i = 0; i < sizeof(value_flags) / sizeof(value_flags[0]); i++)
		if (strcmp(name, value_flags[i]) == 0)
			return 1;
	return 0;
}

/* Flags go list does not take, or that only change how go build reports. */
static const char *const not_for_list[] = {
    "o", "v", "x", "n", "work", "json", "toolexec", "debug-actiongraph", "debug-trace", "i"};

/* The flag name of word w ("-tags=x" -> "tags"), written into name. */
static void flag_name(const char *w, char *name, size_t size)
{
	while (*w == '-')
		w++;
	size_t n = strcspn(w, "=");
	if (n >= size)
		n = size - 1;
	memcpy(name, w, n);
	name[n] = '\0';
}

static int in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return 1;
	return 0;
}

int buildargs_parse(struct build_args *ba, int argc, char *const argv[], char **cause)
{
	int i = 0;
	for (; i < argc; i++) {
		const char *w = argv[i];
		char name[64];
		if (strcmp(w, "--") == 0) {
			i++;
			break;
		}
		if (w[0] != '-' || w[1] == '\0')
			break;
		flag_name(w, name, sizeof(name));
		if (strcmp(name, "o") == 0)
			ba->has_output = 1;
		if (strcmp(name, "toolexec") == 0)
			ba->has_toolexec = 1;
		argv_push(&ba->flags, w);
		if (!strchr(w, '=') && in_list(name, value_flags, ARRAY_SIZE(value_flags))) {
			if (i + 1 >= argc) {
				*cause = xasprintf("flag needs an argument: %s", w);
				return -1;
			}
			argv_push(&ba->flags, argv[++i]);
		}
	}
	for (; i < argc; i++)
		argv_push(&ba->packages, argv[i]);
	return 0;
}

void buildargs_list_flags(const struct build_args *ba, struct argv_array *out)
{
	for (size_t i = 0; i < ba->flags.argc; i++) {
		const char *w = ba->flags.argv[i];
		char name[64];
		flag_name(w, name, sizeof(name));
		int takes_value = !strchr(w, '=') &&
		                  in_list(name, value_flags, ARRAY_SIZE(value_flags)) &&
		                  i + 1 < ba->flags.argc;
		if (!in_list(name, not_for_list, ARRAY_SIZE(not_for_list))) {
			argv_push(out, w);
			if (takes_value)
				argv_push(out, ba->flags.argv[i + 1]);
		}
		if (takes_value)
			i++;
	}
}

void buildargs_release(struct build_args *ba)
{
	argv_clear(&ba->flags);
	argv_clear(&ba->packages);
	ba->has_output = ba->has_toolexec = 0;
}

int buildargs_has_flag(const struct build_args *ba, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < ba->flags.argc; i++) {
		const char *f = ba->flags.argv[i];
		if (f[0] != '-')
			continue; /* a flag's value */
		f += f[1] == '-' ? 2 : 1;
		if (!strncmp(f, name, n) && (f[n] == '\0' || f[n] == '='))
			return 1;
	}
	return 0;
}

void buildargs_push_packages(const struct build_args *ba, struct argv_array *out)
{
	for (size_t i = 0; i < ba->packages.argc; i++)
		if (ba->packages.argv[i][0] == '-') {
			argv_push(out, "--");
			break;
		}
	for (size_t i = 0; i < ba->packages.argc; i++)
		argv_push(out, ba->packages.argv[i]);
}
