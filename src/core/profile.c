/* profile.c - see profile.h. */
#define _GNU_SOURCE
#include "core/profile.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define VALID_PROFILES "dev, ci or prod"

static const char *const names[] = {
    [PROFILE_DEV] = "dev",
    [PROFILE_CI] = "ci",
    [PROFILE_PROD] = "prod",
};

const char *profile_name(enum golive_profile p)
{
	if ((size_t)p >= ARRAY_SIZE(names))
		BUG("bad profile %d", (int)p);
	return names[p];
}

int profile_parse(const char *s, enum golive_profile *out)
{
	for (size_t i = 0; s && i < ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum golive_profile)i;
			return 0;
		}
	return -1;
}

/* $name when set and non-empty, else NULL. */
static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* True when $name equals one of the values (without case), a NULL-terminated list. */
static int env_is(const char *name, const char *const *values)
{
	const char *v = env(name);
	for (size_t i = 0; v && values[i]; i++)
		if (strcasecmp(v, values[i]) == 0)
			return 1;
	return 0;
}

/* Sets *out and why to "NAME=value" for the variable that decided. */
static int chose_by_env(enum golive_profile p, const char *name, enum golive_profile *out,
                        char *why, size_t whylen)
{
	*out = p;
	snprintf(why, whylen, "%s=%s", name, getenv(name));
	return 0;
}

int profile_choose(const char *flag, const char *prod_marker, enum golive_profile *out, char *why,
                   size_t whylen, char **cause)
{
	static const char *const env_prod[] = {"prod", "production", NULL};
	static const char *const production[] = {"production", NULL};
	static const char *const truthy[] = {"true", NULL};
	static const char *const ci_on[] = {"true", "1", NULL};
	static const char *const ci_vars[] = {"GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE",
	                                      "JENKINS_URL", "CI"};
	const char *const *ci_values[] = {truthy, NULL, truthy, NULL, ci_on};
	enum golive_profile p;
	const char *v;
	struct stat st;

	if (flag) {
		if (profile_parse(flag, &p) < 0) {
			*cause = xasprintf(
			    "--profile: unknown profile \"%s\" (want " VALID_PROFILES ")", flag);
			return -1;
		}
		*out = p;
		snprintf(why, whylen, "--profile");
		return 0;
	}
	if ((v = env("GOLIVE_PROFILE"))) {
		if (profile_parse(v, &p) < 0) {
			*cause = xasprintf(
			    "GOLIVE_PROFILE: unknown profile \"%s\" (want " VALID_PROFILES ")", v);
			return -1;
		}
		return chose_by_env(p, "GOLIVE_PROFILE", out, why, whylen);
	}

	if (env_is("ENV", env_prod))
		return chose_by_env(PROFILE_PROD, "ENV", out, why, whylen);
	if (env_is("GO_ENV", production))
		return chose_by_env(PROFILE_PROD, "GO_ENV", out, why, whylen);
	if (prod_marker && *prod_marker && stat(prod_marker, &st) == 0) {
		*out = PROFILE_PROD;
		snprintf(why, whylen, "marker file %s", prod_marker);
		return 0;
	}

	for (size_t i = 0; i < ARRAY_SIZE(ci_vars); i++)
		if (ci_values[i] ? env_is(ci_vars[i], ci_values[i]) : env(ci_vars[i]) != NULL)
			return chose_by_env(PROFILE_CI, ci_vars[i], out, why, whylen);

	*out = PROFILE_DEV;
	snprintf(why, whylen, "default");
	return 0;
}
