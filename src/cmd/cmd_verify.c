/*
 * cmd_verify.c - `golive verify`: a CI gate for release binaries
 * (docs/verify.md).
 *
 *   golive verify [--json] [--config FILE] BINARY      the policy (verify_policy.h)
 *   golive verify --show [--json] BINARY               what the binary holds
 *   golive verify --rebuild [--profile P] [flags] PKG  go build vs golive build, bytes
 *   golive verify --against [--json] OLD NEW           exported symbols, deps, go version
 *
 * The binaries are read by binfile.h / buildinfo.h; the decisions are
 * verify_policy.c's; this file reads, runs the two builds, and prints.
 */
#define _GNU_SOURCE
#include "verify/binfile.h"
#include "core/buildargs.h"
#include "verify/buildinfo.h"
#include "cmd/commands.h"
#include "core/config.h"
#include "core/gotool.h"
#include "core/jsonl.h"
#include "core/profile.h"
#include "core/util.h"
#include "verify/verify_policy.h"

#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHILD_OUTPUT_MAX (1u << 20) /* bytes of a build's stderr kept */

static const char verify_usage[] =
    "usage: golive verify [--json] [--config FILE] BINARY\n"
    "       golive verify --show [--json] BINARY\n"
    "       golive verify --rebuild [--json] [--profile P] [--config FILE] [go build flags] "
    "[PKG]\n"
    "       golive verify --against [--json] [--fail-on-change] OLD NEW\n"
    "\n"
    "Checks Go binaries for release (docs/verify.md):\n"
    "  BINARY     against the policy in golive.yaml verify: (golive's dev injections,\n"
    "             forbidden packages such as net/http/pprof, -race, -gcflags -N/-l,\n"
    "             build tags such as dev, vcs.modified, DWARF, -trimpath): one line\n"
    "             per violation naming the evidence\n"
    "  --show     print the build info like go version -m, then the format, the\n"
    "             sections, DWARF and the symbol count\n"
    "  --rebuild  build PKG with plain go build and with golive build (in the\n"
    "             profile), into fresh temporary directories, and compare the bytes;\n"
    "             the golive-built binary is also checked against the policy\n"
    "  --against  exported symbols added, removed and changed in size, dependency\n"
    "             modules added, removed and changed, Go and main module versions\n"
    "\n"
    "options:\n"
    "  --json             one JSON object on stdout instead of text\n"
    "  --config FILE      read FILE instead of searching for golive.yaml\n"
    "  --profile P        --rebuild: golive build's profile, dev, ci or prod (default:\n"
    "                     $GOLIVE_PROFILE, else detected, as golive build does)\n"
    "  --fail-on-change   --against: exit 1 when anything differs\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 clean (or no difference); 1 a policy violation, not reproducible,\n"
    "or (--against --fail-on-change) a difference; 2 an unreadable or non-Go binary,\n"
    "a failed build, or a usage or configuration error; 127 when go is not found.\n";

enum verify_mode { MODE_CHECK, MODE_SHOW, MODE_REBUILD, MODE_AGAINST };

struct verify_opts {
	enum verify_mode mode;
	int json, fail_on_change;
	const char *config, *profile;
	struct argv_array words; /* binaries, or (--rebuild) go build flags and packages */
};

/* Parses golive's own options; the other words go to o->words. */
static int parse_opts(struct verify_opts *o, int argc, char **argv)
{
	const char *bad_flag = NULL;
	int modes = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (is_help_flag(a)) {
			fputs(verify_usage, stdout);
			exit(0);
		}
		if (!strcmp(a, "--json")) {
			o->json = 1;
		} else if (!strcmp(a, "--show")) {
			o->mode = MODE_SHOW;
			modes++;
		} else if (!strcmp(a, "--rebuild")) {
			o->mode = MODE_REBUILD;
			modes++;
		} else if (!strcmp(a, "--against")) {
			o->mode = MODE_AGAINST;
			modes++;
		} else if (!strcmp(a, "--fail-on-change")) {
			o->fail_on_change = 1;
		} else if (starts_with(a, "--config") || starts_with(a, "--profile")) {
			size_t n = strcspn(a, "=");
			const char *val;
			if ((n != 8 || strncmp(a, "--config", 8)) &&
			    (n != 9 || strncmp(a, "--profile", 9)))
				return error("golive verify: unknown option %s (see golive verify "
				             "--help)",
				             a);
			if (a[n] == '=')
				val = a + n + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return error("golive verify: %.*s needs a value", (int)n, a);
			if (n == 8)
				o->config = val;
			else
				o->profile = val;
		} else if (!strcmp(a, "--")) {
			for (i++; i < argc; i++)
				argv_push(&o->words, argv[i]);
		} else if (starts_with(a, "--")) {
			return error("golive verify: unknown option %s (see golive verify --help)",
			             a);
		} else {
			if (a[0] == '-' && a[1] && !bad_flag)
				bad_flag = a;
			argv_push(&o->words, a);
		}
	}
	/* go build flags are --rebuild's; elsewhere a word starting with '-' is a typo */
	if (bad_flag && o->mode != MODE_REBUILD)
		return error("golive verify: unknown option %s (see golive verify --help)",
		             bad_flag);
	if (modes > 1)
		return error("golive verify: --show, --rebuild and --against go one at a time");
	if (o->profile && o->mode != MODE_REBUILD)
		return error("golive verify: --profile goes with --rebuild");
	if (o->fail_on_change && o->mode != MODE_AGAINST)
		return error("golive verify: --fail-on-change goes with --against");
	if ((o->mode == MODE_CHECK || o->mode == MODE_SHOW) && o->words.argc != 1)
		return error("golive verify: want one BINARY, got %zu arguments (see golive "
		             "verify --help)",
		             o->words.argc);
	if (o->mode == MODE_AGAINST && o->words.argc != 2)
		return error("golive verify --against: want OLD and NEW, got %zu arguments",
		             o->words.argc);
	return 0;
}

/* Prints a JSON value on stdout (indented) and drops it. */
static int print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	json_decref(j);
	if (!s)
		return error("golive verify: cannot encode the result as JSON");
	printf("%s\n", s);
	free(s);
	return 0;
}

static int load_config(struct golive_config *cfg, const char *explicit_path)
{
	char *cause = NULL;

	if (!explicit_path && getenv("GOLIVE_CONFIG") && *getenv("GOLIVE_CONFIG"))
		explicit_path = getenv("GOLIVE_CONFIG");
	if (config_load(cfg, explicit_path, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/*
 * Reads path and its build info. 0, or -1 after one line on stderr: the
 * file is unreadable or hostile, or not a Go binary.
 */
static int read_binary(const char *path, struct binfile *b, struct buildinfo *bi)
{
	char *cause = NULL;
	int r;

	memset(bi, 0, sizeof(*bi));
	if (binfile_open(b, path, &cause) < 0) {
		error("%s", cause);
		free(cause);
		return -1;
	}
	r = buildinfo_read(b, bi, &cause);
	if (r < 0) {
		error("%s", cause);
		free(cause);
	} else if (r == 0) {
		error("%s: not a Go binary (no build info)", path);
	}
	if (r <= 0) {
		buildinfo_release(bi);
		binfile_release(b);
		return -1;
	}
	return 0;
}

static json_t *module_json(const struct bi_module *m)
{
	json_t *o;

	if (!m || !m->path)
		return json_null();
	o = json_object();
	json_object_set_new(o, "path", json_string_lossy(m->path));
	json_object_set_new(o, "version", json_string_lossy(m->version));
	json_object_set_new(o, "sum", json_string_lossy(m->sum));
	if (m->replace)
		json_object_set_new(o, "replace", module_json(m->replace));
	return o;
}

static json_t *violations_json(const verify_violations *v)
{
	json_t *a = json_array();

	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_pack("{s:s, s:o}", "rule", v->v[i].rule, "message",
		                                   json_string_lossy(v->v[i].message)));
	return a;
}

static const char *format_name(const struct binfile *b)
{
	return b->format == BINFILE_ELF ? "elf" : "?";
}

/* The --json object of one binary (--show and the policy check). */
static json_t *binary_json(const char *path, const struct binfile *b, const struct buildinfo *bi,
                           const verify_violations *v)
{
	json_t *o = json_object(), *deps = json_array(), *settings = json_object();
	json_t *secs = json_array();

	json_object_set_new(o, "file", json_string_lossy(path));
	json_object_set_new(o, "go_version", json_string_lossy(bi->go_version));
	json_object_set_new(o, "path", json_string_lossy(bi->path));
	json_object_set_new(o, "main", module_json(&bi->main));
	for (size_t i = 0; i < bi->deps.n; i++)
		json_array_append_new(deps, module_json(&bi->deps.v[i]));
	json_object_set_new(o, "deps", deps);
	for (size_t i = 0; i < bi->settings.n; i++) {
		json_t *key = json_string_lossy(bi->settings.v[i].key);
		json_object_set_new(settings, json_string_value(key),
		                    json_string_lossy(bi->settings.v[i].value));
		json_decref(key);
	}
	json_object_set_new(o, "settings", settings);
	json_object_set_new(o, "format", json_string(format_name(b)));
	json_object_set_new(o, "arch", json_string_lossy(b->arch));
	for (size_t i = 0; i < b->sections.n; i++) {
		const struct bin_section *s = &b->sections.v[i];
		if (!s->name || !s->name[0])
			continue;
		json_array_append_new(secs,
		                      json_pack("{s:o, s:I}", "name", json_string_lossy(s->name),
		                                "size", (json_int_t)s->mem_size));
	}
	json_object_set_new(o, "sections", secs);
	json_object_set_new(o, "dwarf", json_boolean(b->has_dwarf));
	json_object_set_new(o, "symbols",
	                    b->has_symtab ? json_integer((json_int_t)b->symbols.n) : json_null());
	json_object_set_new(o, "violations", violations_json(v));
	json_object_set_new(o, "ok", json_boolean(v->n == 0));
	return o;
}

/* The named sections (the null section at index 0 has no name). */
static size_t named_sections(const struct binfile *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->sections.n; i++)
		n += b->sections.v[i].name && b->sections.v[i].name[0];
	return n;
}

static void print_show(const char *path, const struct binfile *b, const struct buildinfo *bi)
{
	struct strbuf sb = STRBUF_INIT;

	buildinfo_format_m(bi, path, &sb);
	strbuf_addf(&sb, "\tformat\t%s %s\n", format_name(b), b->arch[0] ? b->arch : "?");
	strbuf_addf(&sb, "\tsections\t%zu\n", named_sections(b));
	strbuf_addf(&sb, "\tdwarf\t%s\n", b->has_dwarf ? "yes" : "no");
	if (b->has_symtab)
		strbuf_addf(&sb, "\tsymbols\t%zu\n", b->symbols.n);
	else
		strbuf_addstr(&sb, "\tsymbols\tstripped\n");
	fwrite(sb.buf, 1, sb.len, stdout);
	strbuf_release(&sb);
}

/* golive verify [--show] BINARY */
static int verify_binary(const struct verify_opts *o)
{
	const char *path = o->words.argv[0];
	struct golive_config cfg;
	struct verify_policy pol;
	verify_violations v = ARRAY_INIT;
	struct binfile b;
	struct buildinfo bi;
	int ret = EXIT_USAGE;

	config_init(&cfg);
	memset(&pol, 0, sizeof(pol));
	if (read_binary(path, &b, &bi) < 0) {
		config_release(&cfg);
		return EXIT_USAGE;
	}
	if (load_config(&cfg, o->config) < 0)
		goto out;
	verify_policy_from_config(&pol, &cfg);
	verify_check(&b, &bi, &pol, &v);
	if (o->json) {
		if (print_json(binary_json(path, &b, &bi, &v)) < 0)
			goto out;
	} else if (o->mode == MODE_SHOW) {
		print_show(path, &b, &bi);
	} else {
		for (size_t i = 0; i < v.n; i++)
			printf("%s: %s\n", path, v.v[i].message);
		if (v.n)
			printf("%s: %zu violation%s of the verify policy\n", path, v.n,
			       v.n == 1 ? "" : "s");
		else
			printf("%s: ok (%s%s%s): no violations\n", path,
			       bi.go_version ? bi.go_version : "?", bi.path ? ", " : "",
			       bi.path ? bi.path : "");
	}
	ret = o->mode == MODE_SHOW ? 0 : v.n ? 1 : 0;
out:
	verify_violations_release(&v);
	verify_policy_release(&pol);
	config_release(&cfg);
	buildinfo_release(&bi);
	binfile_release(&b);
	return ret;
}

/* --against */

static const char *or_none(const char *s)
{
	return s && *s ? s : "(none)";
}

static void print_diff_text(const struct verify_opts *o, const struct verify_diff *d)
{
	const char *oldp = o->words.argv[0], *newp = o->words.argv[1];
	size_t n = verify_diff_count(d);

	if (d->go_changed)
		printf("go version changed: %s -> %s\n", or_none(d->old_go), or_none(d->new_go));
	if (d->main_changed)
		printf("main module changed: %s %s -> %s %s\n", or_none(d->old_main),
		       or_none(d->old_main_version), or_none(d->new_main),
		       or_none(d->new_main_version));
	if (!d->symbols_compared)
		printf("symbols not compared: %s has no symbol table (stripped)\n",
		       d->old_stripped ? oldp : newp);
	for (size_t i = 0; i < d->sym_added.n; i++)
		printf("symbol added: %s (%c, %llu bytes)\n", d->sym_added.v[i].name,
		       d->sym_added.v[i].kind, (unsigned long long)d->sym_added.v[i].new_size);
	for (size_t i = 0; i < d->sym_removed.n; i++)
		printf("symbol removed: %s (%c, %llu bytes)\n", d->sym_removed.v[i].name,
		       d->sym_removed.v[i].kind, (unsigned long long)d->sym_removed.v[i].old_size);
	for (size_t i = 0; i < d->sym_resized.n; i++)
		printf("symbol size changed: %s (%c, %llu -> %llu bytes)\n",
		       d->sym_resized.v[i].name, d->sym_resized.v[i].kind,
		       (unsigned long long)d->sym_resized.v[i].old_size,
		       (unsigned long long)d->sym_resized.v[i].new_size);
	for (size_t i = 0; i < d->dep_added.n; i++)
		printf("dependency added: %s %s\n", d->dep_added.v[i].path,
		       d->dep_added.v[i].new_version);
	for (size_t i = 0; i < d->dep_removed.n; i++)
		printf("dependency removed: %s %s\n", d->dep_removed.v[i].path,
		       d->dep_removed.v[i].old_version);
	for (size_t i = 0; i < d->dep_changed.n; i++)
		printf("dependency changed: %s %s -> %s\n", d->dep_changed.v[i].path,
		       d->dep_changed.v[i].old_version, d->dep_changed.v[i].new_version);
	if (n)
		printf("%s -> %s: %zu difference%s (exported symbols: %zu added, %zu removed, %zu "
		       "changed in size; dependencies: %zu added, %zu removed, %zu changed)\n",
		       oldp, newp, n, n == 1 ? "" : "s", d->sym_added.n, d->sym_removed.n,
		       d->sym_resized.n, d->dep_added.n, d->dep_removed.n, d->dep_changed.n);
	else
		printf("%s -> %s: no differences\n", oldp, newp);
}

static json_t *syms_json(const struct verify_sym *v, size_t n, int which)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		char kind[2] = {v[i].kind, '\0'};
		json_t *o =
		    json_pack("{s:o, s:s}", "name", json_string_lossy(v[i].name), "kind", kind);
		if (which == 0)
			json_object_set_new(o, "size", json_integer((json_int_t)v[i].new_size));
		else if (which == 1)
			json_object_set_new(o, "size", json_integer((json_int_t)v[i].old_size));
		else {
			json_object_set_new(o, "old_size", json_integer((json_int_t)v[i].old_size));
			json_object_set_new(o, "new_size", json_integer((json_int_t)v[i].new_size));
		}
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *deps_json(const struct verify_dep *v, size_t n, int which)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:o}", "path", json_string_lossy(v[i].path));
		if (which == 0)
			json_object_set_new(o, "version", json_string_lossy(v[i].new_version));
		else if (which == 1)
			json_object_set_new(o, "version", json_string_lossy(v[i].old_version));
		else {
			json_object_set_new(o, "old_version", json_string_lossy(v[i].old_version));
			json_object_set_new(o, "new_version", json_string_lossy(v[i].new_version));
		}
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *diff_json(const struct verify_opts *o, const struct verify_diff *d)
{
	json_t *j = json_object(), *syms = json_object(), *deps = json_object();

	json_object_set_new(j, "old", json_string_lossy(o->words.argv[0]));
	json_object_set_new(j, "new", json_string_lossy(o->words.argv[1]));
	json_object_set_new(j, "go_version",
	                    json_pack("{s:o, s:o, s:b}", "old", json_string_lossy(d->old_go), "new",
	                              json_string_lossy(d->new_go), "changed", d->go_changed));
	json_object_set_new(j, "main_module",
	                    json_pack("{s:{s:o, s:o}, s:{s:o, s:o}, s:b}", "old", "path",
	                              json_string_lossy(d->old_main), "version",
	                              json_string_lossy(d->old_main_version), "new", "path",
	                              json_string_lossy(d->new_main), "version",
	                              json_string_lossy(d->new_main_version), "changed",
	                              d->main_changed));
	json_object_set_new(syms, "compared", json_boolean(d->symbols_compared));
	json_object_set_new(syms, "added", syms_json(d->sym_added.v, d->sym_added.n, 0));
	json_object_set_new(syms, "removed", syms_json(d->sym_removed.v, d->sym_removed.n, 1));
	json_object_set_new(syms, "changed", syms_json(d->sym_resized.v, d->sym_resized.n, 2));
	json_object_set_new(j, "symbols", syms);
	json_object_set_new(deps, "added", deps_json(d->dep_added.v, d->dep_added.n, 0));
	json_object_set_new(deps, "removed", deps_json(d->dep_removed.v, d->dep_removed.n, 1));
	json_object_set_new(deps, "changed", deps_json(d->dep_changed.v, d->dep_changed.n, 2));
	json_object_set_new(j, "deps", deps);
	json_object_set_new(j, "differences", json_integer((json_int_t)verify_diff_count(d)));
	return j;
}

static int verify_against(const struct verify_opts *o)
{
	struct binfile ob, nb;
	struct buildinfo obi, nbi;
	struct verify_diff d;
	int ret = EXIT_USAGE;

	if (read_binary(o->words.argv[0], &ob, &obi) < 0)
		return EXIT_USAGE;
	if (read_binary(o->words.argv[1], &nb, &nbi) < 0) {
		buildinfo_release(&obi);
		binfile_release(&ob);
		return EXIT_USAGE;
	}
	verify_diff(&ob, &obi, &nb, &nbi, &d);
	if (o->json) {
		if (print_json(diff_json(o, &d)) < 0)
			goto out;
	} else {
		print_diff_text(o, &d);
	}
	ret = o->fail_on_change && verify_diff_count(&d) ? 1 : 0;
out:
	verify_diff_release(&d);
	buildinfo_release(&obi);
	buildinfo_release(&nbi);
	binfile_release(&ob);
	binfile_release(&nb);
	return ret;
}

/* --rebuild */

/* This golive's absolute path. */
static char *self_path(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return NULL;
	self[n] = '\0';
	return xstrdup(self);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_tree(const char *dir)
{
	if (dir)
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Runs argv (its stderr captured); 0, or -1 after showing its stderr and
 * one line naming what failed.
 */
static int run_build(char *const argv[], const char *what)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	char *cause = NULL;
	int rc = gotool_run_capture(argv, &out, &err, CHILD_OUTPUT_MAX, &cause);

	if (rc != 0) {
		fwrite(err.buf, 1, err.len, stderr);
		if (err.len && err.buf[err.len - 1] != '\n')
			fputc('\n', stderr);
		if (rc < 0)
			error("golive verify --rebuild: %s: %s", what, cause);
		else
			error("golive verify --rebuild: %s failed (exit status %d)", what, rc);
	}
	free(cause);
	strbuf_release(&out);
	strbuf_release(&err);
	return rc == 0 ? 0 : -1;
}

#define BUILDID_SECTION ".note.go.buildid"

/*
 * The first differing section of a and b other than the build ID (which
 * differs whenever anything does), else the build ID's; 0 when none.
 */
static int first_section_diff(const struct binfile *a, const struct binfile *b, char *sec,
                              size_t size, uint64_t *off)
{
	return verify_section_diff(a, b, BUILDID_SECTION, sec, size, off) ||
	       verify_section_diff(a, b, NULL, sec, size, off);
}

/*
 * "first difference at offset 0x1234 in section .text (+0x10)", then the
 * first differing section (not the build ID) when that is another one.
 */
static void describe_diff(struct strbuf *sb, const struct bin_diff *d, const struct binfile *a,
                          const struct binfile *b)
{
	char sec[128] = "";
	uint64_t off = 0;
	int named = d->section[0] && d->section[0] != '(';

	strbuf_addf(sb, "first difference at offset 0x%llx", (unsigned long long)d->offset);
	if (named)
		strbuf_addf(sb, " in section %s (+0x%llx)", d->section,
		            (unsigned long long)d->section_offset);
	else if (!strcmp(d->section, "(end of file)"))
		strbuf_addf(sb, " (end of file: %zu and %zu bytes)", a->len, b->len);
	else
		strbuf_addstr(sb, " in the file headers");
	if (first_section_diff(a, b, sec, sizeof(sec), &off) && (!named || strcmp(sec, d->section)))
		strbuf_addf(sb, "; first differing section %s (+0x%llx)", sec,
		            (unsigned long long)off);
}

static int verify_rebuild(const struct verify_opts *o)
{
	struct golive_config cfg;
	struct build_args ba = BUILD_ARGS_INIT, cli = BUILD_ARGS_INIT;
	struct argv_array go_argv = ARGV_ARRAY_INIT, gl_argv = ARGV_ARRAY_INIT;
	struct verify_policy pol;
	verify_violations v = ARRAY_INIT;
	struct binfile pb, gb;
	struct buildinfo gbi;
	struct bin_diff diff;
	enum golive_profile prof = PROFILE_DEV;
	char why[PATH_MAX + 32] = "", *cause = NULL, *go = NULL, *self = NULL;
	char *dir1 = NULL, *dir2 = NULL, *bin1 = NULL, *bin2 = NULL;
	const char *tmpdir = getenv("TMPDIR");
	int ret = EXIT_USAGE, have_pb = 0, have_gb = 0;
	struct strbuf desc = STRBUF_INIT;

	config_init(&cfg);
	memset(&pol, 0, sizeof(pol));
	memset(&gbi, 0, sizeof(gbi));
	if (load_config(&cfg, o->config) < 0)
		goto out;
	if (profile_choose(o->profile, cfg.profiles.prod_marker, &prof, why, sizeof(why), &cause) <
	    0) {
		error("golive verify: %s", cause);
		goto out;
	}
	/* plain go build gets what golive build uses: build.flags, then the command line */
	if (buildargs_parse(&ba, (int)cfg.build.flags.argc, cfg.build.flags.argv, &cause) < 0) {
		error("%s: build.flags: %s", cfg.path ? cfg.path : "golive.yaml", cause);
		goto out;
	}
	if (buildargs_parse(&cli, (int)o->words.argc, o->words.argv, &cause) < 0 ||
	    buildargs_parse(&ba, (int)o->words.argc, o->words.argv, &cause) < 0) {
		error("golive verify --rebuild: %s", cause);
		goto out;
	}
	if (ba.has_output || ba.has_toolexec) {
		error("golive verify --rebuild: %s is verify's own (it builds into temporary "
		      "directories)",
		      ba.has_output ? "-o" : "-toolexec");
		goto out;
	}
	if (!ba.packages.argc)
		for (size_t i = 0; i < cfg.build.packages.argc; i++) {
			const char *p = cfg.build.packages.argv[i];
			if (!strcmp(p, ".") || starts_with(p, "./") || !strcmp(p, "..") ||
			    starts_with(p, "../"))
				argv_pushf(&ba.packages, "%s/%s", cfg.root, p);
			else
				argv_push(&ba.packages, p);
		}
	go = gotool_find();
	if (!go) {
		error(GOTOOL_MISSING);
		ret = EXIT_NO_GO;
		goto out;
	}
	if (cmd_require_go(go, NULL, 0, NULL) != 0) {
		ret = EXIT_GO_VERSION;
		goto out;
	}
	self = self_path();
	if (!self) {
		error("golive verify: cannot find golive's own path (/proc/self/exe): %s",
		      strerror(errno));
		goto out;
	}
	dir1 = xasprintf("%s/golive-verify-go-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	dir2 = xasprintf("%s/golive-verify-golive-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(dir1) || !mkdtemp(dir2)) {
		error("golive verify: cannot create a temporary directory: %s", strerror(errno));
		goto out;
	}
	bin1 = xasprintf("%s/bin", dir1);
	bin2 = xasprintf("%s/bin", dir2);

	argv_push(&go_argv, go);
	argv_push(&go_argv, "build");
	for (size_t i = 0; i < ba.flags.argc; i++)
		argv_push(&go_argv, ba.flags.argv[i]);
	argv_push(&go_argv, "-o");
	argv_push(&go_argv, bin1);
	buildargs_push_packages(&ba, &go_argv);

	/* golive build adds build.flags and build.packages itself */
	argv_push(&gl_argv, self);
	argv_push(&gl_argv, "build");
	argv_push(&gl_argv, "--quiet");
	argv_pushf(&gl_argv, "--profile=%s", profile_name(prof));
	if (o->config)
		argv_pushf(&gl_argv, "--config=%s", o->config);
	for (size_t i = 0; i < cli.flags.argc; i++)
		argv_push(&gl_argv, cli.flags.argv[i]);
	argv_push(&gl_argv, "-o");
	argv_push(&gl_argv, bin2);
	buildargs_push_packages(&cli, &gl_argv);

	if (run_build(go_argv.argv, "go build") < 0 || run_build(gl_argv.argv, "golive build") < 0)
		goto out;
	if (binfile_open(&pb, bin1, &cause) < 0) {
		error("golive verify --rebuild: %s", cause);
		goto out;
	}
	have_pb = 1;
	if (read_binary(bin2, &gb, &gbi) < 0)
		goto out;
	have_gb = 1;
	binfile_compare(&pb, &gb, &diff);
	verify_policy_from_config(&pol, &cfg);
	verify_check(&gb, &gbi, &pol, &v);
	if (!diff.same)
		describe_diff(&desc, &diff, &pb, &gb);

	if (o->json) {
		json_t *j = json_object(), *pk = json_array();
		for (size_t i = 0; i < ba.packages.argc; i++)
			json_array_append_new(pk, json_string_lossy(ba.packages.argv[i]));
		json_object_set_new(j, "packages", pk);
		json_object_set_new(j, "profile", json_string(profile_name(prof)));
		json_object_set_new(j, "profile_reason", json_string_lossy(why));
		json_object_set_new(j, "reproducible", json_boolean(diff.same));
		json_object_set_new(j, "go_size", json_integer((json_int_t)pb.len));
		json_object_set_new(j, "golive_size", json_integer((json_int_t)gb.len));
		if (diff.same) {
			json_object_set_new(j, "difference", json_null());
		} else {
			char sec[128] = "";
			uint64_t off = 0;
			json_t *d =
			    json_pack("{s:I, s:o, s:I, s:o}", "offset", (json_int_t)diff.offset,
			              "section", json_string_lossy(diff.section), "section_offset",
			              (json_int_t)diff.section_offset, "message",
			              json_string_lossy(desc.buf));
			if (first_section_diff(&pb, &gb, sec, sizeof(sec), &off)) {
				json_object_set_new(d, "first_section", json_string_lossy(sec));
				json_object_set_new(d, "first_section_offset",
				                    json_integer((json_int_t)off));
			}
			json_object_set_new(j, "difference", d);
		}
		json_object_set_new(j, "violations", violations_json(&v));
		if (print_json(j) < 0)
			goto out;
	} else {
		if (diff.same)
			printf("reproducible: go build and golive build (profile %s, from %s) give "
			       "the same %zu bytes\n",
			       profile_name(prof), why, pb.len);
		else
			printf("not reproducible: %s (go build: %zu bytes, golive build, profile "
			       "%s from %s: %zu bytes)\n",
			       desc.buf, pb.len, profile_name(prof), why, gb.len);
		for (size_t i = 0; i < v.n; i++)
			printf("golive build: %s\n", v.v[i].message);
	}
	ret = diff.same && !v.n ? 0 : 1;
out:
	if (have_pb)
		binfile_release(&pb);
	if (have_gb) {
		buildinfo_release(&gbi);
		binfile_release(&gb);
	}
	rm_tree(dir1);
	rm_tree(dir2);
	free(dir1);
	free(dir2);
	free(bin1);
	free(bin2);
	free(go);
	free(self);
	free(cause);
	strbuf_release(&desc);
	verify_violations_release(&v);
	verify_policy_release(&pol);
	argv_clear(&go_argv);
	argv_clear(&gl_argv);
	buildargs_release(&ba);
	buildargs_release(&cli);
	config_release(&cfg);
	return ret;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_opts o;
	int ret;

	memset(&o, 0, sizeof(o));
	if (parse_opts(&o, argc, argv) < 0) {
		argv_clear(&o.words);
		return EXIT_USAGE;
	}
	switch (o.mode) {
	case MODE_REBUILD:
		ret = verify_rebuild(&o);
		break;
	case MODE_AGAINST:
		ret = verify_against(&o);
		break;
	default:
		ret = verify_binary(&o);
		break;
	}
	argv_clear(&o.words);
	return ret;
}
