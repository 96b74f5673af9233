/* buildplugins.c - see buildplugins.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "plugin/buildplugins.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin_check.h"

int buildplugins_setup(const struct golive_config *cfg, enum golive_profile prof,
                       const char *session, plugin_array *active, struct strbuf *warnings,
                       struct strbuf *notes, char **cause)
{
	plugin_array kept = ARRAY_INIT;
	int rc = 0;
	*cause = NULL;
	for (size_t i = 0; i < cfg->plugins.n && rc == 0; i++) {
		const struct plugin_spec *spec = &cfg->plugins.v[i];
		struct plugin p;
		char *why = NULL;
		memset(&p, 0, sizeof(p));
		if (plugin_verify(spec, &cfg->profiles.trusted_dirs, session, &p, &why) < 0 ||
		    plugin_describe(&p, session, &why) < 0) {
			if (spec->required) {
				*cause = xasprintf("%s (required: true)", why);
				rc = -1;
			} else {
				strbuf_addf(warnings, "%s; the build goes on without it\n", why);
				json_t *f = json_object();
				json_object_set_new(f, "reason", json_string(why));
				plugin_audit(session, spec->name, "dropped", f);
			}
			free(why);
			plugin_release(&p);
			continue;
		}
		if (prof == PROFILE_CI && (p.flags & GOLIVE_PLUGIN_REWRITES_ARGS)) {
			strbuf_addf(
			    notes,
			    "plugin %s: not in the ci profile (it rewrites tool arguments)\n",
			    p.name);
			json_t *f = json_object();
			json_object_set_new(f, "reason",
			                    json_string("the ci profile runs no argument-rewriting "
			                                "plugin"));
			plugin_audit(session, p.name, "inactive", f);
			plugin_release(&p);
			continue;
		}
		ARRAY_PUSH(kept, p);
	}
	if (rc == 0 && kept.n && plugins_write_session(session, &kept, cause) < 0)
		rc = -1;
	if (rc == 0 && active) {
		*active = kept;
	} else {
		plugin_array_release(&kept);
	}
	return rc;
}
