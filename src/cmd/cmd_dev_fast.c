/*
 * cmd_dev_fast.c - golive dev's side of the fast path (dev/devfast.h):
 * the warm-up that records what go served from its cache, and the
 * analysis of a fast build's packages (before the swap with fail_on, else
 * once the new program serves).
 */
#define _GNU_SOURCE
#include "cmd/cmd_dev.h"
#include "analysis/diag.h"
#include "dev/devfast.h"
#include "dev/keeper.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Stops a running warm-up: it must never write records while a build runs. */
void dev_stop_warm(struct dev *d)
{
	if (d->warm_pid <= 0)
		return;
	kill(-d->warm_pid, SIGKILL);
	while (waitpid(d->warm_pid, NULL, 0) < 0 && errno == EINTR)
		;
	keeper_remove(d->warm_pid);
	d->warm_pid = 0;
}

/* Starts the warm-up when it is due and golive dev is idle; reaps it when it is over. */
void dev_run_warm(struct dev *d)
{
	int st;
	if (d->warm_pid > 0) {
		if (waitpid(d->warm_pid, &st, WNOHANG) != d->warm_pid)
			return;
		keeper_remove(d->warm_pid);
		d->warm_pid = 0;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return; /* due again after the next full build */
		d->warm_done = 1;
		d->warm_t0 = 0;
		char *wp = xasprintf("%s/warm.json", d->fast->plan_dir);
		json_t *r = json_load_file(wp, 0, NULL);
		free(wp);
		if (d->o.json) {
			json_t *o = json_object();
			json_object_set_new(o, "type", json_string("warmup"));
			json_object_set_new(
			    o, "recorded",
			    json_integer(json_integer_value(json_object_get(r, "recorded"))));
			json_object_set_new(
			    o, "skipped",
			    json_integer(json_integer_value(json_object_get(r, "skipped"))));
			json_object_set_new(o, "ms",
			                    json_round(ms_between(d->warm_start, now_mono_ns())));
			dev_json_line(o);
		}
		json_decref(r);
		return;
	}
	if (!d->warm_t0 || d->warm_done || d->build_pid || dev_prog_busy(&d->progs[0]))
		return;
	struct argv_array av = ARGV_ARRAY_INIT;
	char *cause = NULL;
	argv_push(&av, d->self);
	argv_push(&av, "__fastwarm");
	argv_push(&av, d->fast->plan_dir);
	argv_pushf(&av, "%lld", d->warm_t0);
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	d->warm_pid = dev_spawn_group(av.argv, nul, nul, &cause);
	if (nul >= 0)
		close(nul);
	argv_clear(&av);
	if (d->warm_pid < 0) {
		free(cause);
		d->warm_pid = 0;
		d->warm_done = 1; /* no second try */
		return;
	}
	keeper_add(d->warm_pid);
	d->warm_start = now_mono_ns();
}

/* Analyses pkgs (a fast build's) and prints the findings; 1 when they reach fail_on. */
int dev_analyse_fast(struct dev *d, const struct argv_array *pkgs)
{
	devfast_findings_array found = ARRAY_INIT;
	diag_array all = ARRAY_INIT;
	char *cause = NULL;
	if (devfast_analyse(d->ana_fast ? d->ana_fast : d->fast, &d->cfg.analysis, pkgs, &found,
	                    &cause) < 0) {
		warning("golive dev: analysis: %s", cause);
		free(cause);
	}
	dev_print_findings(d, &found);
	strbuf_reset(&d->ana_found);
	for (size_t i = 0; i < found.n; i++)
		for (size_t k = 0; k < found.v[i].diags.n; k++) {
			const struct diag *dg = &found.v[i].diags.v[k];
			ARRAY_PUSH(all, *dg);
			strbuf_addf(&d->ana_found, "%s:%u:%u: [%s] %s\n", dg->file, dg->line,
			            dg->col, dg->analyzer, dg->message);
		}
	int fails = diag_fails(&all, d->cfg.analysis.fail_on);
	ARRAY_FREE(all); /* borrowed */
	devfast_findings_release(&found);
	return fails;
}

/*
 * A fast build succeeded. Its packages are analysed off the critical path,
 * once the new program serves (loop()), unless analyzers.fail_on is set:
 * then here, before the swap, and findings that reach it refuse the build
 * (like the wrapper fails a full build's compile). Returns -1 when refused.
 */
int dev_fast_findings(struct dev *d)
{
	struct argv_array pkgs = ARGV_ARRAY_INIT;
	int rc = 0;
	devfast_compiled(d->fast, &pkgs);
	if (d->cfg.analysis.fail_on == FAIL_NEVER) {
		for (size_t i = 0; i < pkgs.argc; i++) {
			int have = 0;
			for (size_t k = 0; k < d->ana_pkgs.argc && !have; k++)
				have = strcmp(d->ana_pkgs.argv[k], pkgs.argv[i]) == 0;
			if (!have)
				argv_push(&d->ana_pkgs, pkgs.argv[i]);
		}
		d->ana_fast = d->fast; /* the plan their sources are in */
	} else if (dev_analyse_fast(d, &pkgs)) {
		fprintf(stderr, "golive: findings reach analyzers.fail_on (%s)\n",
		        fail_on_name(d->cfg.analysis.fail_on));
		fflush(stderr);
		devfast_refuse(d->fast);
		rc = -1;
	}
	argv_clear(&pkgs);
	return rc;
}
