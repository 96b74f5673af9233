/*
 * test_profile.c - src/core/profile.c: names, parsing, and profile_choose()'s
 * rules and their order (flag > GOLIVE_PROFILE > prod signals > ci signals
 * > default), the reasons it gives, invalid values, the marker file. Every
 * variable involved is unset before and after each test.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/profile.h"
#include "core/util.h"

static const char *const vars[] = {"GOLIVE_PROFILE", "ENV",       "GO_ENV",    "CI",
                                   "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "JENKINS_URL"};

static int clean_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(vars); i++)
		unsetenv(vars[i]);
	return 0;
}

/* Chooses with no flag and no marker; asserts success and returns the reason in why. */
static enum golive_profile choose(const char *flag, const char *marker, char *why, size_t len)
{
	enum golive_profile p = (enum golive_profile) - 1;
	char *cause = NULL;
	assert_int_equal(profile_choose(flag, marker, &p, why, len, &cause), 0);
	assert_null(cause);
	return p;
}

static void test_names(void **state)
{
	(void)state;
	enum golive_profile p;
	assert_string_equal(profile_name(PROFILE_DEV), "dev");
	assert_string_equal(profile_name(PROFILE_CI), "ci");
	assert_string_equal(profile_name(PROFILE_PROD), "prod");
	assert_int_equal(profile_parse("dev", &p), 0);
	assert_int_equal(p, PROFILE_DEV);
	assert_int_equal(profile_parse("ci", &p), 0);
	assert_int_equal(p, PROFILE_CI);
	assert_int_equal(profile_parse("prod", &p), 0);
	assert_int_equal(p, PROFILE_PROD);
	p = PROFILE_CI;
	assert_int_equal(profile_parse("", &p), -1);
	assert_int_equal(profile_parse("Prod", &p), -1);
	assert_int_equal(profile_parse("production", &p), -1);
	assert_int_equal(profile_parse("dev ", &p), -1);
	assert_int_equal(profile_parse(NULL, &p), -1);
	assert_int_equal(p, PROFILE_CI); /* untouched */
}

static void test_default(void **state)
{
	(void)state;
	char why[64];
	assert_int_equal(choose(NULL, NULL, why, sizeof(why)), PROFILE_DEV);
	assert_string_equal(why, "default");
	/* Set but not matching: still the default. */
	setenv("CI", "false", 1);
	setenv("GITHUB_ACTIONS", "false", 1);
	setenv("BUILDKITE", "0", 1);
	setenv("ENV", "staging", 1);
	setenv("GO_ENV", "prod", 1); /* GO_ENV wants "production" */
	setenv("GITLAB_CI", "", 1);
	setenv("JENKINS_URL", "", 1);
	setenv("GOLIVE_PROFILE", "", 1); /* empty: unset */
	assert_int_equal(choose(NULL, NULL, why, sizeof(why)), PROFILE_DEV);
	assert_string_equal(why, "default");
	clean_env(NULL);
}

static void test_ci_signals(void **state)
{
	(void)state;
	static const struct {
		const char *name, *value, *why;
	} cases[] = {
	    {"CI", "true", "CI=true"},
	    {"CI", "1", "CI=1"},
	    {"CI", "TRUE", "CI=TRUE"},
	    {"GITHUB_ACTIONS", "true", "GITHUB_ACTIONS=true"},
	    {"GITLAB_CI", "true", "GITLAB_CI=true"},
	    {"GITLAB_CI", "yes", "GITLAB_CI=yes"},
	    {"BUILDKITE", "true", "BUILDKITE=true"},
	    {"JENKINS_URL", "http://ci:8080/", "JENKINS_URL=http://ci:8080/"},
	};
	char why[64];
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		setenv(cases[i].name, cases[i].value, 1);
		assert_int_equal(choose(NULL, NULL, why, sizeof(why)), PROFILE_CI);
		assert_string_equal(why, cases[i].why);
		unsetenv(cases[i].name);
	}
	/* The named CI system is the reason, not the generic CI=true it also sets. */
	setenv("CI", "true", 1);
	setenv("GITHUB_ACTIONS", "true", 1);
	assert_int_equal(choose(NULL, NULL, why, sizeof(why)), PROFILE_CI);
	assert_string_equal(why, "GITHUB_ACTIONS=true");
	clean_env(NULL);
}

static void test_prod_signals(void **state)
{
	(void)state;
	static const struct {
		const char *name, *value, *why;
	} cases[] = {
	    {"ENV", "prod", "ENV=prod"},
	    {"ENV", "production", "ENV=production"},
	    {"ENV", "Production", "ENV=Production"},
	    {"GO_ENV", "production", "GO_ENV=production"},
	};
	char why[64];
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		setenv(cases[i].name, cases[i].value, 1);
		assert_int_equal(choose(NULL, NULL, why, sizeof(why)), PROFILE_PROD);
		assert_string_equal(why, cases[i].why);
		unsetenv(cases[i].name);
	}
	clean_env(NULL);
}

static void test_marker(void **state)
{
	(void)state;
	char why[4096];
	const char *base = getenv("TMPDIR");
	char *path = xasprintf("%s/golive-tprofile-XXXXXX", base && *base ? base : "/tmp");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);

	assert_int_equal(choose(NULL, path, why, sizeof(why)), PROFILE_PROD);
	char *want = xasprintf("marker file %s", path);
	assert_string_equal(why, want);
	free(want);
	/* Prod wins over ci. */
	setenv("CI", "true", 1);
	assert_int_equal(choose(NULL, path, why, sizeof(why)), PROFILE_PROD);
	unsetenv("CI");
	/* ENV comes before the marker. */
	setenv("ENV", "prod", 1);
	assert_int_equal(choose(NULL, path, why, sizeof(why)), PROFILE_PROD);
	assert_string_equal(why, "ENV=prod");
	unsetenv("ENV");
	/* GOLIVE_PROFILE and the flag come before it. */
	setenv("GOLIVE_PROFILE", "dev", 1);
	assert_int_equal(choose(NULL, path, why, sizeof(why)), PROFILE_DEV);
	assert_string_equal(why, "GOLIVE_PROFILE=dev");
	assert_int_equal(choose("ci", path, why, sizeof(why)), PROFILE_CI);
	assert_string_equal(why, "--profile");
	unsetenv("GOLIVE_PROFILE");

	/* A marker that does not exist, or an empty path, is no signal. */
	unlink(path);
	assert_int_equal(choose(NULL, path, why, sizeof(why)), PROFILE_DEV);
	assert_int_equal(choose(NULL, "", why, sizeof(why)), PROFILE_DEV);
	assert_string_equal(why, "default");
	/* A directory counts: the marker only has to exist. */
	assert_int_equal(choose(NULL, base && *base ? base : "/tmp", why, sizeof(why)),
	                 PROFILE_PROD);
	free(path);
	clean_env(NULL);
}

static void test_precedence(void **state)
{
	(void)state;
	char why[64];
	/* prod signals beat ci signals. */
	setenv("CI", "true", 1);
	setenv("GITHUB_ACTIONS", "true", 1);
	setenv("GO_ENV", "production", 1);
	assert_int_equal(choose(NULL, NULL, why, sizeof(why)), PROFILE_PROD);
	assert_string_equal(why, "GO_ENV=production");
	setenv("ENV", "prod", 1);
	assert_int_equal(choose(NULL, NULL, why, sizeof(why)), PROFILE_PROD);
	assert_string_equal(why, "ENV=prod");
	/* GOLIVE_PROFILE beats detection. */
	setenv("GOLIVE_PROFILE", "ci", 1);
	assert_int_equal(choose(NULL, NULL, why, sizeof(why)), PROFILE_CI);
	assert_string_equal(why, "GOLIVE_PROFILE=ci");
	/* The flag beats everything, GOLIVE_PROFILE included. */
	assert_int_equal(choose("dev", NULL, why, sizeof(why)), PROFILE_DEV);
	assert_string_equal(why, "--profile");
	assert_int_equal(choose("prod", NULL, why, sizeof(why)), PROFILE_PROD);
	/* --profile dev overrides CI=true alone, too. */
	clean_env(NULL);
	setenv("CI", "true", 1);
	assert_int_equal(choose("dev", NULL, why, sizeof(why)), PROFILE_DEV);
	assert_string_equal(why, "--profile");
	clean_env(NULL);
}

static void test_invalid(void **state)
{
	(void)state;
	enum golive_profile p = PROFILE_CI;
	char why[64] = "untouched";
	char *cause = NULL;

	assert_int_equal(profile_choose("bogus", NULL, &p, why, sizeof(why), &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, "--profile: unknown profile \"bogus\" (want dev, ci or prod)");
	assert_null(strchr(cause, '\n'));
	free(cause);
	cause = NULL;
	assert_int_equal(profile_choose("", NULL, &p, why, sizeof(why), &cause), -1);
	free(cause);
	cause = NULL;

	setenv("GOLIVE_PROFILE", "bogus", 1);
	assert_int_equal(profile_choose(NULL, NULL, &p, why, sizeof(why), &cause), -1);
	assert_string_equal(cause,
	                    "GOLIVE_PROFILE: unknown profile \"bogus\" (want dev, ci or prod)");
	free(cause);
	cause = NULL;
	/* A valid flag wins without looking at a bad GOLIVE_PROFILE. */
	assert_int_equal(profile_choose("ci", NULL, &p, why, sizeof(why), &cause), 0);
	assert_int_equal(p, PROFILE_CI);
	/* A bad GOLIVE_PROFILE is an error even when detection would decide. */
	setenv("CI", "true", 1);
	assert_int_equal(profile_choose(NULL, NULL, &p, why, sizeof(why), &cause), -1);
	free(cause);
	clean_env(NULL);
}

static void test_why_truncated(void **state)
{
	(void)state;
	char why[8];
	setenv("JENKINS_URL", "https://jenkins.example.com/", 1);
	assert_int_equal(choose(NULL, NULL, why, sizeof(why)), PROFILE_CI);
	assert_string_equal(why, "JENKINS");
	clean_env(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_names, clean_env, clean_env),
	    cmocka_unit_test_setup_teardown(test_default, clean_env, clean_env),
	    cmocka_unit_test_setup_teardown(test_ci_signals, clean_env, clean_env),
	    cmocka_unit_test_setup_teardown(test_prod_signals, clean_env, clean_env),
	    cmocka_unit_test_setup_teardown(test_marker, clean_env, clean_env),
	    cmocka_unit_test_setup_teardown(test_precedence, clean_env, clean_env),
	    cmocka_unit_test_setup_teardown(test_invalid, clean_env, clean_env),
	    cmocka_unit_test_setup_teardown(test_why_truncated, clean_env, clean_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
