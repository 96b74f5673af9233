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

void dev_browser_failed(struct dev *d)
{
	if (!d->hp)
		return;
	char cwd[PATH_MAX];
	char *data =
	    browser_error_json("golive dev: build failed", d->build_log.buf, d->build_log.len,
	                       getcwd(cwd, sizeof(cwd)) ? cwd : NULL, d->cfg.run.editor_url);
	httpproxy_event(d->hp, "error", data);
	free(data);
}

void dev_browser_ready(struct dev *d)
{
	if (d->hp)
		httpproxy_event(d->hp, "reload", NULL);
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
	free(data);
	argv_clear(&d->reload_files);
}
