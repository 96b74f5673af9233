/*
 * profile.h - the build profile: dev, ci or prod (docs/profiles.md).
 *
 *   dev   everything: analyzers, plugins, dev-only injections, hot reload
 *   ci    analysis and timing; nothing that changes compiled code (no
 *         plugin that rewrites tool arguments)
 *   prod  pure pass-through, identical to plain go build: the wrapper
 *         execs each tool directly (GOLIVE_PROFILE=prod), reads no
 *         configuration, loads no plugin, records nothing
 *
 * golive build and golive dev choose the profile once and export it to the
 * wrappers as GOLIVE_PROFILE=<name>. Nothing here prints.
 */
#ifndef GOLIVE_PROFILE_H
#define GOLIVE_PROFILE_H

#include <stddef.h>

enum golive_profile { PROFILE_DEV, PROFILE_CI, PROFILE_PROD };

/* "dev", "ci" or "prod" (static storage). */
const char *profile_name(enum golive_profile p);

/* Parses "dev", "ci" or "prod" (exactly, lowercase) into *out; 0, or -1 for anything else. */
int profile_parse(const char *s, enum golive_profile *out);

/*
 * Chooses the profile, first rule that applies:
 *   1. flag (the --profile value, or NULL);
 *   2. $GOLIVE_PROFILE (unset or empty: no choice);
 *   3. prod signals: ENV=prod or ENV=production, GO_ENV=production (values
 *      compared without case), or the file prod_marker (a path, or NULL)
 *      exists;
 *   4. ci signals: GITHUB_ACTIONS=true, GITLAB_CI non-empty, BUILDKITE=true,
 *      JENKINS_URL non-empty, CI=true or CI=1 (true without case) - in that
 *      order, so that the reason names the CI system when it can;
 *   5. dev.
 * Prod wins over ci: a production build on a CI runner is prod.
 *
 * Sets *out and writes a short reason into why (whylen bytes, truncated,
 * always terminated): "--profile", "GOLIVE_PROFILE=ci", "ENV=production",
 * "GITHUB_ACTIONS=true", "marker file /etc/golive-prod", "default".
 * Returns 0, or -1 with *cause (malloc'd, one line naming the bad value and
 * the valid ones) when the flag or $GOLIVE_PROFILE is not a profile name;
 * *out and why are then left alone.
 */
int profile_choose(const char *flag, const char *prod_marker, enum golive_profile *out, char *why,
                   size_t whylen, char **cause);

#endif
