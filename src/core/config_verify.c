/*
 * config_verify.c - golive.yaml's verify: section (config_section.h): what
 * golive verify forbids in a production binary.
 */
#define _GNU_SOURCE
#include "core/config_section.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	q = config_quoted(s);
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
	q = config_quoted(s);
	*why = xasprintf("expected a build tag (letters, digits, '_' and '.'), got %s", q);
	free(q);
	return -1;
}

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

const struct section_spec config_section_verify = {
    "verify", verify_keys, ARRAY_SIZE(verify_keys), NULL, NULL, NULL, NULL};
