/*
 * cmd_plugins.c - `golive plugins`: what golive.yaml configures, whether
 * each plugin verifies, and whether it is active in the profile.
 *
 * Each plugin is verified (plugin_verify) into a temporary session that is
 * removed afterwards; outside prod, a verified plugin is also asked what it
 * is (plugin_describe, in a child process), which says whether it rewrites
 * tool arguments and so whether the ci profile runs it.
 */
#define _GNU_SOURCE
#include "cmd/commands.h"
#include "core/config.h"
#include "core/jsonl.h"
#include "plugin/plugin.h"
#include "plugin/plugin_check.h"
#include "core/profile.h"
#include "wrapper/session.h"
#include "core/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char plugins_usage[] =
    "usage: golive plugins [--json] [--config FILE] [--profile dev|ci|prod]\n"
    "\n"
    "Lists the plugins golive.yaml configures, one line each: name, kind (so or\n"
    "exec), the configured file, whether it verifies (absolute path, owned by\n"
    "root or you, not group/world-writable, sha256 or a trusted directory) and\n"
    "whether it is active in the profile (dev: every verified plugin; ci: those\n"
    "that do not rewrite tool arguments; prod: none). The profile is chosen as\n"
    "golive build chooses it (--profile, GOLIVE_PROFILE, then detection).\n"
    "With --json, the same as a JSON object.\n"
    "\n"
    "Exit status 0 when every plugin verifies (and, outside prod, describes\n"
    "itself), 1 when one does not, 2 for a usage or configuration error.\n";

/* What golive plugins found out about one configured plugin. */
struct plugin_status {
	const struct plugin_spec *spec;
	struct plugin p; /* filled when verified */
	int verified;    /* plugin_verify() succeeded */
	int described;   /* plugin_describe() succeeded */
	char *reason;    /* why it was refused or did not describe, or NULL */
	int active;      /* runs in the profile */
	const char *why; /* why it is inactive (static), or NULL */
	char *why_buf;   /* or this, when built */
};

/* cause without its "plugin NAME: " prefix, as a new string. */
static char *strip_plugin_prefix(const char *cause, const char *name)
{
	char *prefix = xasprintf("plugin %s: ", name);
	char *r = xstrdup(starts_with(cause, prefix) ? cause + strlen(prefix) : cause);

	free(prefix);
	return r;
}

static void check_one(struct plugin_status *st, const struct golive_config *cfg,
                      enum golive_profile profile, const char *session)
{
	char *cause = NULL;

	if (plugin_verify(st->spec, &cfg->profiles.trusted_dirs, session, &st->p, &cause)) {
		st->reason = strip_plugin_prefix(cause, st->spec->name);
		st->why = "refused";
		free(cause);
		return;
	}
	st->verified = 1;
	if (profile == PROFILE_PROD) {
		st->why = "the prod profile loads no plugin";
		return;
	}
	if (plugin_describe(&st->p, session, &cause)) {
		st->reason = strip_plugin_prefix(cause, st->spec->name);
		st->why_buf = xasprintf("describe failed: %s", st->reason);
		free(cause);
		return;
	}
	st->described = 1;
	if (profile == PROFILE_CI && (st->p.flags & GOLIVE_PLUGIN_REWRITES_ARGS)) {
		st->why = "rewrites tool arguments: not in the ci profile";
		return;
	}
	st->active = 1;
}

static const char *verified_by(const struct plugin_status *st)
{
	return st->spec->sha256 ? "sha256" : "trusted_dir";
}

static json_t *status_to_json(const struct plugin_status *st)
{
	const struct plugin_spec *s = st->spec;
	json_t *o = json_object(), *hooks = json_array();

	json_object_set_new(o, "name", json_string_lossy(s->name));
	json_object_set_new(o, "kind", json_string(s->path ? "so" : "exec"));
	json_object_set_new(o, "source", json_string_lossy(s->path ? s->path : s->exec));
	json_object_set_new(o, "verified", json_boolean(st->verified));
	json_object_set_new(o, "verified_by",
	                    st->verified ? json_string(verified_by(st)) : json_null());
	json_object_set_new(o, "sha256", st->verified ? json_string(st->p.sha256) : json_null());
	json_object_set_new(o, "version",
	                    st->described ? json_string_lossy(st->p.version) : json_null());
	json_object_set_new(o, "rewrites_args",
	                    st->described ? json_boolean(st->p.flags & GOLIVE_PLUGIN_REWRITES_ARGS)
	                                  : json_null());
	if (st->p.hooks & PLUGIN_HOOK_BEFORE)
		json_array_append_new(hooks, json_string("before_tool"));
	if (st->p.hooks & PLUGIN_HOOK_AFTER)
		json_array_append_new(hooks, json_string("after_tool"));
	if (st->p.hooks & PLUGIN_HOOK_FILE)
		json_array_append_new(hooks, json_string("analyze_file"));
	json_object_set_new(o, "hooks", hooks);
	json_object_set_new(o, "reason", st->reason ? json_string_lossy(st->reason) : json_null());
	json_object_set_new(o, "active", json_boolean(st->active));
	json_object_set_new(o, "why",
	                    st->active ? json_null()
	                               : json_string_lossy(st->why_buf ? st->why_buf : st->why));
	return o;
}

/* "verified (sha256)", "verified (trusted dir)" or "REFUSED: reason", as a new string. */
static char *verification_text(const struct plugin_status *st)
{
	if (st->verified)
		return xasprintf("verified (%s)", st->spec->sha256 ? "sha256" : "trusted dir");
	return xasprintf("REFUSED: %s", st->reason);
}

static void print_text(const struct plugin_status *sts, size_t n, enum golive_profile profile,
                       const char *profile_why)
{
	int wname = 0, wsrc = 0, wver = 0;

	printf("# profile %s (%s)\n", profile_name(profile), profile_why);
	if (!n) {
		printf("no plugins configured\n");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct plugin_spec *s = sts[i].spec;
		char *v = verification_text(&sts[i]);
		int a = (int)strlen(s->name), b = (int)strlen(s->path ? s->path : s->exec);
		int c = (int)strlen(v);

		wname = a > wname ? a : wname;
		wsrc = b > wsrc ? b : wsrc;
		wver = c > wver ? c : wver;
		wver = wver > 22 ? 22 : wver; /* a refusal is longer: it runs over */
		free(v);
	}
	for (size_t i = 0; i < n; i++) {
		const struct plugin_status *st = &sts[i];
		const struct plugin_spec *s = st->spec;
		char *v = verification_text(st);

		printf("%-*s  %-4s  %-*s  %-*s  ", wname, s->name, s->path ? "so" : "exec", wsrc,
		       s->path ? s->path : s->exec, wver, v);
		if (st->active)
			printf("active\n");
		else
			printf("inactive (%s)\n", st->why_buf ? st->why_buf : st->why);
		free(v);
	}
}

int cmd_plugins(int argc, char **argv)
{
	struct golive_config cfg;
	struct session sess = {NULL};
	struct plugin_status *sts = NULL;
	const char *explicit_path = getenv("GOLIVE_CONFIG"), *profile_flag = NULL;
	enum golive_profile profile;
	char *cause = NULL, why[256];
	int json = 0, ret = EXIT_USAGE;

	if (explicit_path && !*explicit_path)
		explicit_path = NULL;
	for (int i = 1; i < argc; i++) {
		if (is_help_flag(argv[i])) {
			fputs(plugins_usage, stdout);
			return 0;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			explicit_path = argv[++i];
		} else if (starts_with(argv[i], "--config=")) {
			explicit_path = argv[i] + 9;
		} else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc) {
			profile_flag = argv[++i];
		} else if (starts_with(argv[i], "--profile=")) {
			profile_flag = argv[i] + 10;
		} else {
			error("golive plugins: unexpected argument %s (see golive plugins --help)",
			      argv[i]);
			return EXIT_USAGE;
		}
	}

	config_init(&cfg);
	if (config_load(&cfg, explicit_path, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		goto out;
	}
	if (profile_choose(profile_flag, cfg.profiles.prod_marker, &profile, why, sizeof(why),
	                   &cause) < 0) {
		error("golive plugins: %s", cause);
		goto out;
	}
	if (cfg.plugins.n && session_create(&sess, NULL, &cause) < 0) {
		error("golive plugins: %s", cause);
		ret = 1;
		goto out;
	}

	ret = 0;
	sts = xcalloc(cfg.plugins.n + 1, sizeof(*sts));
	for (size_t i = 0; i < cfg.plugins.n; i++) {
		sts[i].spec = &cfg.plugins.v[i];
		check_one(&sts[i], &cfg, profile, sess.dir);
		if (!sts[i].verified || (profile != PROFILE_PROD && !sts[i].described))
			ret = 1;
	}

	if (json) {
		json_t *o = json_object(), *arr = json_array();
		char *s;

		json_object_set_new(o, "profile", json_string(profile_name(profile)));
		json_object_set_new(o, "profile_reason", json_string_lossy(why));
		for (size_t i = 0; i < cfg.plugins.n; i++)
			json_array_append_new(arr, status_to_json(&sts[i]));
		json_object_set_new(o, "plugins", arr);
		s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(o);
		if (!s) {
			error("golive plugins: cannot encode the list as JSON");
			ret = 1;
			goto out;
		}
		printf("%s\n", s);
		free(s);
	} else {
		print_text(sts, cfg.plugins.n, profile, why);
	}
out:
	for (size_t i = 0; sts && i < cfg.plugins.n; i++) {
		plugin_release(&sts[i].p);
		free(sts[i].reason);
		free(sts[i].why_buf);
	}
	free(sts);
	if (sess.dir)
		session_remove(&sess);
	free(cause);
	config_release(&cfg);
	return ret;
}
