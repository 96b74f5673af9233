/*
 * cmd_dev_browser.c - golive dev --browser (docs/dev.md): the HTTP-aware
 * proxy on the public address (dev/httpproxy.h) and what golive dev's
 * cycles tell the pages through it (dev/browser.h). Without --browser
 * every hook here does nothing, and the proxy helpers are proxy.h's.
 */
#define _GNU_SOURCE
#include "cmd/cmd_dev.h"
#include "dev/browser.h"
#include "dev/listen.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * How long after a new version serves its pages get every package's
 * findings: the reloads it triggered go through the proxy (this loop) first.
 */
#define BROWSER_FINDINGS_DELAY_MS 50

int dev_browser_listen(struct dev *d, int public_fd, const struct listen_addr *priv)
{
	char *cause = NULL;
	char *addr = listen_format(priv);
	d->hp = httpproxy_new(public_fd, addr, NULL, &cause);
	free(addr);
	if (!d->hp) {
		error("golive dev: --browser: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

void dev_proxy_hold(struct dev *d, int hold)
{
	if (d->px)
		proxy_hold(d->px, hold);
	else if (d->hp && d->browser_fd < 0) /* with --listen the socket queues them */
		httpproxy_hold(d->hp, hold);
}

int dev_proxy_fd(const struct dev *d)
{
	return d->px ? proxy_fd(d->px) : d->hp ? httpproxy_fd(d->hp) : -1;
}

int dev_proxy_timeout(const struct dev *d)
{
	return d->px ? proxy_timeout_ms(d->px) : d->hp ? httpproxy_timeout_ms(d->hp) : -1;
}

void dev_proxy_run(struct dev *d)
{
	if (d->px)
		proxy_run_once(d->px, 0);
	else if (d->hp)
		httpproxy_run_once(d->hp, 0);
}

void dev_browser_building(struct dev *d, const struct argv_array *files)
{
	if (!d->hp)
		return;
	char *data = browser_files_json(files);
	httpproxy_event(d->hp, "building", data);
	free(data);
}

/* The payload for the diagnostics of text (title, diagnostics, log); NULL when it has none. */
static char *payload(struct dev *d, const char *title, const struct strbuf *text, int always)
{
	char cwd[PATH_MAX];
	char *data =
	    browser_error_json(title, text->buf, text->len, getcwd(cwd, sizeof(cwd)) ? cwd : NULL,
	                       d->cfg.run.editor_url);
	if (!always && strstr(data, "\"diagnostics\":[]")) {
		free(data);
		return NULL;
	}
	return data;
}

/*
 * The build's output, and the findings of a fast build analysed before the
 * swap (analyzers.fail_on set): they refused it, or stayed under fail_on.
 */
static void build_text(struct dev *d, struct strbuf *all)
{
	strbuf_add(all, d->build_log.buf, d->build_log.len);
	if (d->ana_found.len) {
		strbuf_addstr(all, "\n");
		strbuf_add(all, d->ana_found.buf, d->ana_found.len);
		strbuf_reset(&d->ana_found);
	}
}

void dev_browser_failed(struct dev *d)
{
	if (!d->hp)
		return;
	struct strbuf all = STRBUF_INIT;
	build_text(d, &all);
	d->findings_at = 0; /* the error is what the pages show */
	char *data = payload(d, "golive dev: build failed", &all, 1);
	httpproxy_event(d->hp, "error", data);
	free(data);
	strbuf_release(&all);
}

void dev_browser_built(struct dev *d)
{
	if (!d->hp)
		return;
	struct strbuf all = STRBUF_INIT;
	build_text(d, &all);
	free(d->findings);
	d->findings = payload(d, "golive dev: analyzer findings (the build succeeded)", &all, 0);
	strbuf_release(&all);
}

void dev_browser_ready(struct dev *d)
{
	if (!d->hp)
		return;
	httpproxy_event(d->hp, "reload", NULL); /* and the overlay of the last version goes */
	if (d->findings) /* for the reloaded pages: the old ones are leaving */
		httpproxy_keep(d->hp, "findings", d->findings);
	free(d->findings_shown);
	d->findings_shown = d->findings;
	d->findings = NULL;
	/* a build reports the packages it compiled; the pages get them all */
	if (d->fast.enabled)
		d->findings_at = now_mono_ns() + (int64_t)BROWSER_FINDINGS_DELAY_MS * 1000000;
}

void dev_browser_findings_due(struct dev *d)
{
	devfast_findings_array found = ARRAY_INIT;
	struct strbuf text = STRBUF_INIT;
	char *cause = NULL;
	d->findings_at = 0;
	if (!d->hp)
		return;
	if (devfast_analyse(&d->fast, &d->cfg.analysis, NULL, &found, &cause) < 0) {
		/* no plan yet (the first build failed), or a rule: the build's own findings stay */
		free(cause);
		devfast_findings_release(&found);
		return;
	}
	for (size_t i = 0; i < found.n; i++)
		for (size_t k = 0; k < found.v[i].diags.n; k++) {
			const struct diag *dg = &found.v[i].diags.v[k];
			strbuf_addf(&text, "%s:%u:%u: [%s] %s\n", dg->file, dg->line, dg->col,
			            dg->analyzer, dg->message);
		}
	devfast_findings_release(&found);
	char *data = payload(d, "golive dev: analyzer findings (the build succeeded)", &text, 0);
	strbuf_release(&text);
	if (data) {
		if (!d->findings_shown || strcmp(data, d->findings_shown)) {
			httpproxy_event(d->hp, "findings", data);
			httpproxy_keep(d->hp, "findings", data);
		}
		free(d->findings_shown);
		d->findings_shown = data;
	} else if (d->findings_shown) {
		httpproxy_event(d->hp, "clear", NULL);
		free(d->findings_shown);
		d->findings_shown = NULL;
	}
}

void dev_browser_analysed(struct dev *d)
{
	if (!d->hp || !d->ana_found.len || d->findings_at)
		return; /* every package's findings are due: those include these */
	char *data =
	    payload(d, "golive dev: analyzer findings (the build succeeded)", &d->ana_found, 0);
	if (data) {
		httpproxy_event(d->hp, "findings", data);
		free(d->findings_shown);
		d->findings_shown = data;
	}
	strbuf_reset(&d->ana_found);
}

int dev_browser_static(struct dev *d, const char *rel, int is_dir)
{
	if (!d->cfg.watch.reload.argc || !glob_match_any(&d->cfg.watch.reload, rel, is_dir))
		return 0;
	if (!d->hp || is_dir)
		return 1; /* never a rebuild; without --browser nobody is told */
	for (size_t i = 0; i < d->reload_files.argc; i++)
		if (!strcmp(d->reload_files.argv[i], rel))
			goto due;
	if (d->reload_files.argc < 256)
		argv_push(&d->reload_files, rel);
due:
	d->reload_at = now_mono_ns() + (int64_t)d->cfg.watch.debounce_ms * 1000000;
	return 1;
}

void dev_browser_reload_due(struct dev *d)
{
	int css = 1;
	d->reload_at = 0;
	for (size_t i = 0; i < d->reload_files.argc; i++)
		css = css && ends_with(d->reload_files.argv[i], ".css");
	char *data = browser_files_json(&d->reload_files);
	dev_say(d, "%s changed → %s", d->reload_files.argc ? d->reload_files.argv[0] : "?",
	        css ? "stylesheets swapped in the pages" : "pages reloaded");
	httpproxy_event(d->hp, css ? "css" : "reload", data);
	if (!css && d->findings_shown) /* the code did not change: its findings stay */
		httpproxy_keep(d->hp, "findings", d->findings_shown);
	free(data);
	argv_clear(&d->reload_files);
}
