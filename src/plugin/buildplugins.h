/*
 * buildplugins.h - the plugins of one golive build: from golive.yaml's
 * plugins: to the session's plugins.json that the wrappers read
 * (plugin.h), in the chosen profile.
 */
#ifndef GOLIVE_BUILDPLUGINS_H
#define GOLIVE_BUILDPLUGINS_H

#include "core/config.h"
#include "plugin/plugin.h"
#include "core/profile.h"
#include "core/util.h"

/*
 * For each configured plugin, in order: verify its file and copy it into
 * the session (plugin_verify), ask it what it is (plugin_describe), and
 * keep it when the profile allows it (dev: every plugin; ci: those that do
 * not rewrite tool arguments; prod: none: do not call this). A plugin that
 * fails is one line in warnings ("plugin NAME: REASON; the build goes
 * on without it") unless it is required: then -1 with *cause (the build must
 * not start). One left out by the profile is a line in notes too. Writes
 * <session>/plugins.json when at least one plugin is kept. active gets
 * the kept plugins (may be NULL). Returns 0, or -1 with *cause.
 */
int buildplugins_setup(const struct golive_config *cfg, enum golive_profile prof,
                       const char *session, plugin_array *active, struct strbuf *warnings,
                       struct strbuf *notes, char **cause);

#endif
