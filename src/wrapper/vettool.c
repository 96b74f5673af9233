/* vettool.c - see vettool.h. */
#define _GNU_SOURCE
#include "wrapper/vettool.h"
#include "analysis/anacache.h"
#include "analysis/analyze.h"
#include "core/config.h"
#include "analysis/diag.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VETCFG_MAX (64u << 20) /* bytes: a vet.cfg larger than this is refused */

/* ---- vet.cfg -------------------------------------------------------------- */

static int want_string(json_t *o, const char *key, int required, char **out, char **cause)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		if (required)
			*cause = xasprintf("field %s is missing", key);
		return required ? -1 : 0;
	}
	if (!json_is_string(v)) {
		*cause = xasprintf("field %s: want a string", key);
		return -1;
	}
	if (out) {
		free(*out);
		*out = xstrdup(json_string_value(v));
	}
	return 0;
}

static int want_bool(json_t *o, const char *key, int *out, char **cause)
{
	json_t *v = json_object_get(o, key);
	if (v && !json_is_boolean(v)) {
		*cause = xasprintf("field %s: want true or false", key);
		return -1;
	}
	if (out)
		*out = v && json_is_true(v);
	return 0;
}

/* An array of strings, or null. */
static int want_strings(json_t *o, const char *key, int required, struct argv_array *out,
                        char **cause)
{
	json_t *v = json_object_get(o, key), *e;
	size_t i;
	if (!v) {
		if (required)
			*cause = xasprintf("field %s is missing", key);
		return required ? -1 : 0;
	}
	if (json_is_null(v))
		return 0;
	if (!json_is_array(v)) {
		*cause = xasprintf("field %s: want an array of strings", key);
		return -1;
	}
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e) || !*json_string_value(e)) {
			*cause = xasprintf("field %s[%zu]: want a file name", key, i);
			return -1;
		}
		if (out)
			argv_push(out, json_string_value(e));
	}
	return 0;
}

/* An object whose values are all strings (or all booleans), or null. */
static int want_map(json_t *o, const char *key, int booleans, char **cause)
{
	json_t *v = json_object_get(o, key), *e;
	const char *k;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v)) {
		*cause = xasprintf("field %s: want an object", key);
		return -1;
	}
	json_object_foreach(v, k, e)
	{
		if (booleans ? !json_is_boolean(e) : !json_is_string(e)) {
			char shown[64];
			size_t n = 0;
			for (; k[n] && n < sizeof(shown) - 1; n++) /* one line, whatever the key */
				shown[n] = (unsigned char)k[n] < 0x20 || k[n] == '"' ? '?' : k[n];
			shown[n] = '\0';
			*cause = xasprintf("field %s[\"%s\"]: want %s", key, shown,
			                   booleans ? "true or false" : "a string");
			return -1;
		}
	}
	return 0;
}

int vetcfg_parse(struct vetcfg *c, const char *buf, size_t len, char **cause)
{
	json_error_t jerr;
	int rc = -1;
	memset(c, 0, sizeof(*c));
	json_t *o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o) {
		/* jansson quotes the offending input, which may hold any byte: keep one line. */
		for (char *t = jerr.text; *t; t++)
			if ((unsigned char)*t < 0x20 || *t == 0x7f)
				*t = '?';
		*cause = xasprintf("line %d column %d: %s", jerr.line, jerr.column, jerr.text);
		return -1;
	}
	if (!json_is_object(o)) {
		*cause = xstrdup("not a JSON object");
		goto out;
	}
	if (want_string(o, "ImportPath", 1, &c->import_path, cause) ||
	    want_string(o, "ID", 0, &c->id, cause) || want_string(o, "Dir", 0, &c->dir, cause) ||
	    want_string(o, "Compiler", 0, NULL, cause) ||
	    want_string(o, "GoVersion", 0, &c->go_version, cause) ||
	    want_strings(o, "GoFiles", 1, &c->go_files, cause) ||
	    want_strings(o, "NonGoFiles", 0, NULL, cause) ||
	    want_strings(o, "IgnoredFiles", 0, NULL, cause) || want_map(o, "ImportMap", 0, cause) ||
	    want_map(o, "PackageFile", 0, cause) || want_map(o, "Standard", 1, cause) ||
	    want_map(o, "PackageVetx", 0, cause) ||
	    want_bool(o, "VetxOnly", &c->vetx_only, cause) ||
	    want_bool(o, "SucceedOnTypecheckFailure", NULL, cause))
		goto out;
	json_t *vo = json_object_get(o, "VetxOutput");
	if (vo && !json_is_string(vo)) {
		*cause = xstrdup("field VetxOutput: want a string");
		goto out;
	}
	if (vo && *json_string_value(vo))
		c->vetx_output = xstrdup(json_string_value(vo));
	/* Go >= 1.26: the tool's stdout (the -json tree) goes to this file, which go reads. */
	if (want_string(o, "Stdout", 0, &c->stdout_file, cause))
		goto out;
	if (c->stdout_file && !*c->stdout_file) {
		free(c->stdout_file);
		c->stdout_file = NULL;
	}
	if (!*c->import_path) {
		*cause = xstrdup("field ImportPath is empty");
		goto out;
	}
	if (!c->id)
		c->id = xstrdup("");
	if (!c->dir)
		c->dir = xstrdup("");
	if (!c->go_version)
		c->go_version = xstrdup("");
	rc = 0;
out:
	json_decref(o);
	return rc;
}

void vetcfg_release(struct vetcfg *c)
{
	free(c->id);
	free(c->import_path);
	free(c->dir);
	free(c->go_version);
	free(c->vetx_output);
	free(c->stdout_file);
	argv_clear(&c->go_files);
	memset(c, 0, sizeof(*c));
}

/* ---- the protocol --------------------------------------------------------- */

int vettool_detect(int argc, char **argv)
{
	if (argc < 2)
		return 0;
	if (strcmp(argv[1], "-flags") == 0 || strcmp(argv[1], "-V=full") == 0 ||
	    strcmp(argv[1], "--flags") == 0 || strcmp(argv[1], "--V=full") == 0)
		return 1;
	if (!ends_with(argv[argc - 1], ".cfg"))
		return 0;
	for (int i = 1; i < argc - 1; i++)
		if (argv[i][0] != '-')
			return 0;
	return 1;
}

static void add_flag(json_t *arr, const char *name, int is_bool, const char *usage)
{
	json_t *f = json_object();
	json_object_set_new(f, "Name", json_string(name));
	json_object_set_new(f, "Bool", json_boolean(is_bool));
	json_object_set_new(f, "Usage", json_string(usage));
	json_array_append_new(arr, f);
}

static int print_flags(void)
{
	json_t *arr = json_array();
	add_flag(arr, "c", 0, "display offending line with this many lines of context (ignored)");
	add_flag(arr, "json", 1, "emit JSON output");
	for (size_t i = 0; builtin_analyzers[i]; i++) {
		char *usage = xasprintf("enable %s analysis: %s", builtin_analyzers[i]->name,
		                        builtin_analyzers[i]->doc);
		add_flag(arr, builtin_analyzers[i]->name, 1, usage);
		free(usage);
	}
	char *txt = json_dumps(arr, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(arr);
	if (!txt)
		return error("cannot encode the flags");
	printf("%s\n", txt);
	free(txt);
	return 0;
}

/*
 * Loads $GOLIVE_CONFIG, else the golive.yaml found from dir (the cwd when
 * NULL), into cfg; -1 with *cause when it is bad.
 */
static int load_config(struct golive_config *cfg, const char *dir, char **cause)
{
	const char *env = getenv("GOLIVE_CONFIG");
	if (env && *env)
		return config_load(cfg, env, cause);
	if (!dir)
		return config_load(cfg, NULL, cause);
	char *path = NULL, *root = NULL;
	struct strbuf sb = STRBUF_INIT;
	int rc = -1;
	if (config_find(dir, &path, &root, cause) < 0)
		return -1;
	free(cfg->root);
	cfg->root = root;
	if (!path) {
		rc = 0;
		goto out;
	}
	if (strbuf_read_file(&sb, path, CONFIG_MAX_SIZE) < 0) {
		*cause = xasprintf("%s: %s", path, file_strerror(errno));
		goto out;
	}
	free(cfg->path);
	cfg->path = xstrdup(path);
	rc = config_parse(cfg, path, sb.buf, sb.len, cause);
out:
	strbuf_release(&sb);
	free(path);
	return rc;
}

/*
 * "golive version <ver> analysis=<hash> exe=<id>": go uses the whole line
 * (a release-style answer, never "devel") as the vet tool's ID.
 */
static int print_version(void)
{
	struct golive_config cfg;
	char *cause = NULL;
	config_init(&cfg);
	if (load_config(&cfg, NULL, &cause) < 0) {
		fprintf(stderr, "golive: %s\n", cause);
		free(cause);
		config_release(&cfg);
		return 1;
	}
	char exe[64];
	anacache_exe_id(exe, sizeof(exe));
	printf("golive version %s analysis=%016llx exe=%s\n", GOLIVE_VERSION_STRING,
	       (unsigned long long)analysis_settings_hash(&cfg.analysis), exe[0] ? exe : "unknown");
	config_release(&cfg);
	return 0;
}

/* Which analyzers the command line selected (go vet's convention). */
struct selection {
	struct argv_array on, off; /* -NAME / -NAME=true, and -NAME=false */
};

static int selected(const struct selection *sel, const char *analyzer)
{
	for (size_t i = 0; i < sel->off.argc; i++)
		if (strcmp(sel->off.argv[i], analyzer) == 0)
			return 0;
	if (!sel->on.argc)
		return 1;
	for (size_t i = 0; i < sel->on.argc; i++)
		if (strcmp(sel->on.argv[i], analyzer) == 0)
			return 1;
	return 0;
}

/* Parses "true"/"false"/"1"/"0"/... as Go's strconv.ParseBool; -1 when neither. */
static int parse_bool(const char *s)
{
	static const char *const t[] = {"1", "t", "T", "true", "TRUE", "True"};
	static const char *const f[] = {"0", "f", "F", "false", "FALSE", "False"};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		if (strcmp(s, t[i]) == 0)
			return 1;
		if (strcmp(s, f[i]) == 0)
			return 0;
	}
	return -1;
}

static int write_vetx(const struct vetcfg *c, const char *cfg_path)
{
	if (!c->vetx_output)
		return 0;
	int fd = open(c->vetx_output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "golive: vet.cfg %s: cannot write VetxOutput %s: %s\n", cfg_path,
		        c->vetx_output, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Writes go vet's JSON tree of diags to stdout, or (Go >= 1.26) to the
 * config's Stdout file, which go reads, prints and caches. 0, or -1 after
 * a one-line message.
 */
static int print_json(const struct vetcfg *c, const char *cfg_path, const diag_array *diags)
{
	json_t *tree = json_object(), *pkg = json_object();
	for (size_t i = 0; i < diags->n; i++) {
		const struct diag *d = &diags->v[i];
		json_t *list = json_object_get(pkg, d->analyzer);
		if (!list) {
			list = json_array();
			json_object_set_new(pkg, d->analyzer, list);
		}
		json_t *o = json_object();
		char *posn = xasprintf("%s:%u:%u", d->file, d->line, d->col);
		json_object_set_new(o, "posn", json_string(posn));
		json_object_set_new(o, "message", json_string(d->message));
		json_array_append_new(list, o);
		free(posn);
	}
	if (json_object_size(pkg))
		json_object_set_new(tree, *c->id ? c->id : c->import_path, pkg);
	else
		json_decref(pkg);
	char *txt = json_dumps(tree, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(tree);
	int ret = 0;
	if (!txt) {
		fprintf(stderr, "golive: vet.cfg %s: cannot encode the findings\n", cfg_path);
		return -1;
	}
	if (!c->stdout_file) {
		printf("%s\n", txt);
	} else {
		FILE *f = fopen(c->stdout_file, "we");
		int bad = !f;
		if (f) {
			bad = fprintf(f, "%s\n", txt) < 0;
			bad |= fclose(f) != 0;
		}
		if (bad) {
			int e = errno;
			fprintf(stderr, "golive: vet.cfg %s: cannot write Stdout %s: %s\n",
			        cfg_path, c->stdout_file, strerror(e));
			ret = -1;
		}
	}
	free(txt);
	return ret;
}

/* Analyses the package of one vet.cfg; returns the exit status. */
static int run_cfg(const char *cfg_path, int json, const struct selection *sel)
{
	struct vetcfg c;
	struct strbuf sb = STRBUF_INIT;
	struct golive_config cfg;
	struct argv_array files = ARGV_ARRAY_INIT;
	struct pkgsrc ps = PKGSRC_INIT;
	struct anacache ac;
	struct analysis_ctx *ctx = NULL;
	diag_array found = ARRAY_INIT, shown = ARRAY_INIT;
	char key[ANACACHE_KEY_HEX + 1];
	char *cause = NULL, *work = NULL;
	int ret = 1;

	config_init(&cfg);
	memset(&ac, 0, sizeof(ac));
	memset(&c, 0, sizeof(c));
	if (strbuf_read_file(&sb, cfg_path, VETCFG_MAX) < 0) {
		fprintf(stderr, "golive: vet.cfg %s: %s\n", cfg_path,
		        errno == EFBIG ? "too large" : file_strerror(errno));
		goto out;
	}
	if (vetcfg_parse(&c, sb.buf, sb.len, &cause) < 0) {
		fprintf(stderr, "golive: vet.cfg %s: %s\n", cfg_path, cause);
		goto out;
	}
	if (c.vetx_only) {
		/* A dependency's facts: golive's analyzers use none. */
		ret = write_vetx(&c, cfg_path) < 0 ? 1 : 0;
		goto out;
	}

	/* Settings: the golive.yaml of the package's module. */
	const char *dir = c.dir;
	char *owned_dir = NULL;
	if (!*dir && c.go_files.argc && c.go_files.argv[0][0] == '/') {
		owned_dir = xstrdup(c.go_files.argv[0]);
		*strrchr(owned_dir, '/') = '\0';
		dir = owned_dir;
	}
	int lrc = *dir == '/' ? load_config(&cfg, dir, &cause) : load_config(&cfg, NULL, &cause);
	free(owned_dir);
	if (lrc < 0) {
		fprintf(stderr, "golive: %s\n", cause);
		goto out;
	}

	/* vet.cfg sits in the package's object directory, with cgo's and cover's files. */
	work = xstrdup(cfg_path);
	if (strrchr(work, '/'))
		*strrchr(work, '/') = '\0';
	pkgsrc_resolve(c.go_files.argv, c.go_files.argc, *work == '/' ? work : NULL, &files);
	pkgsrc_load(&ps, files.argv, files.argc);
	/* A file that is not a regular file was not read (a FIFO would hang us): say so. */
	for (size_t i = 0; i < ps.files.n; i++) {
		struct stat st;
		if (!ps.files.v[i].src && stat(ps.files.v[i].path, &st) == 0 &&
		    !S_ISREG(st.st_mode))
			fprintf(stderr, "golive: %s: not a regular file\n", ps.files.v[i].path);
	}
	/*
	 * The module's go line, else (go before 1.21 writes no GoVersion) the
	 * toolchain's, $GOVERSION, which go sets for its tools; one golive
	 * cannot read: the newest Go.
	 */
	(void)pkgsrc_set_goversion(&ps, *c.go_version ? c.go_version : getenv("GOVERSION"));
	if (anacache_open(&ac, NULL, &cause) < 0) {
		free(cause); /* no cache: analyse anyway */
		cause = NULL;
	}
	/* the rules compiled once, kept beside the findings; paths: from golive.yaml's dir */
	if (ac.dir && !cfg.analysis.blob_dir)
		cfg.analysis.blob_dir = xstrdup(ac.dir);
	if (cfg.path && strrchr(cfg.path, '/') && !cfg.analysis.root)
		cfg.analysis.root = xstrndup(cfg.path, (size_t)(strrchr(cfg.path, '/') - cfg.path));
	anacache_key(&ac, &ps, analysis_settings_hash(&cfg.analysis), key);
	if (anacache_analyse(&ac, &cfg.analysis, &ctx, &ps, key, &found, NULL, &cause) < 0) {
		fprintf(stderr, "golive: %s\n", cause);
		goto out;
	}
	for (size_t i = 0; i < found.n; i++) {
		if (selected(sel, found.v[i].analyzer))
			ARRAY_PUSH(shown, found.v[i]);
		else
			diag_release(&found.v[i]);
	}
	ARRAY_FREE(found);
	if (write_vetx(&c, cfg_path) < 0)
		goto out;
	if (json) {
		ret = print_json(&c, cfg_path, &shown) < 0 ? 1 : 0;
	} else {
		for (size_t i = 0; i < shown.n; i++)
			diag_print_text(&shown.v[i], stderr, NULL);
		ret = shown.n ? 1 : 0;
	}
out:
	if (ctx)
		analysis_ctx_free(ctx);
	diag_array_release(&found);
	diag_array_release(&shown);
	anacache_close(&ac);
	pkgsrc_release(&ps);
	argv_clear(&files);
	config_release(&cfg);
	vetcfg_release(&c);
	strbuf_release(&sb);
	free(work);
	free(cause);
	return ret;
}

int vettool_main(int argc, char **argv)
{
	struct selection sel = {ARGV_ARRAY_INIT, ARGV_ARRAY_INIT};
	int json = 0, ret;
	const char *a1 = argv[1][0] == '-' && argv[1][1] == '-' ? argv[1] + 1 : argv[1];

	if (strcmp(a1, "-flags") == 0)
		return print_flags() < 0 ? 1 : 0;
	if (strcmp(a1, "-V=full") == 0)
		return print_version();

	/* [flags] vet.cfg: unknown flags are ignored (go passes only ours, others may not). */
	for (int i = 1; i < argc - 1; i++) {
		const char *f = argv[i] + 1;
		if (*f == '-')
			f++;
		const char *eq = strchr(f, '=');
		size_t n = eq ? (size_t)(eq - f) : strlen(f);
		int val = eq ? parse_bool(eq + 1) : 1;
		if (n == 4 && strncmp(f, "json", 4) == 0) {
			json = val > 0;
			continue;
		}
		for (size_t k = 0; builtin_analyzers[k]; k++) {
			const char *name = builtin_analyzers[k]->name;
			if (strlen(name) == n && strncmp(f, name, n) == 0 && val >= 0)
				argv_push(val ? &sel.on : &sel.off, name);
		}
	}
	ret = run_cfg(argv[argc - 1], json, &sel);
	argv_clear(&sel.on);
	argv_clear(&sel.off);
	return ret;
}
