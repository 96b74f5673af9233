/*
 * cmd_dev_opts.c - golive dev's options (cmd_dev.h), and what they pick with
 * golive.yaml's run: section: the package to run, the sockets golive holds
 * for the program (--listen) or the proxy in front of it (--proxy, --to).
 */
#define _GNU_SOURCE
#include "cmd/cmd_dev.h"
#include "cmd/commands.h"
#include "core/golist.h"
#include "dev/drain.h"
#include "dev/listen.h"
#include "dev/lpool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char dev_usage[] =
    "usage: golive dev [options] [package] [-- program arguments]\n"
    "\n"
    "Builds the package (run.package in golive.yaml, else build.packages, else the\n"
    "module's main package) with golive build, runs it, and on every saved change\n"
    "to its files rebuilds it and restarts the program. A failed build keeps the\n"
    "old program running. Ctrl-C stops everything.\n"
    "\n"
    "options:\n"
    "  --listen [NAME=]ADDR  golive binds ADDR and hands the socket to the program as\n"
    "                        fd 3.. (systemd LISTEN_FDS); repeatable; run.listen\n"
    "  --proxy ADDR          accept on ADDR and forward to the program's own port...\n"
    "  --to ADDR             ...ADDR, holding connections while it restarts; run.proxy/run.to\n"
    "  --browser             make the --listen/--proxy address an HTTP proxy that\n"
    "                        reloads pages and shows build errors; run.browser\n"
    "  --json                one JSON object per line on stdout for each cycle\n"
    "  --quiet               no status lines (build errors are still printed)\n"
    "  --config FILE         read FILE instead of searching for golive.yaml\n"
    "  --debounce MS         quiet time that groups changes into one build (default 20)\n"
    "  --poll DUR            poll for changes every DUR (e.g. 250ms) instead of inotify:\n"
    "                        bind mounts, VMs, WSL, NFS; auto (default) or off; watch.poll\n"
    "  --stop-signal SIG     signal that stops the program (default SIGTERM)\n"
    "  --grace MS            then SIGKILL after this long (default 5000)\n"
    "  --trace-out FILE      append each cycle's trace to FILE as OTLP/JSON\n"
    "  --chrome-trace FILE   the latest cycle as a Chrome/Perfetto trace\n"
    "  --report FILE         the latest cycle as an HTML report\n"
    "  --debug-info          keep DWARF and the symbol table (run.debug_info)\n"
    "  --no-fast             always the full build, never the fast path (run.fast)\n"
    "  --profile P           dev or ci (default: $GOLIVE_PROFILE, else detected; prod\n"
    "                        is refused: see docs/profiles.md)\n"
    "  -h, --help            show this help\n"
    "\n"
    "ADDR is host:port, [v6]:port or :port (127.0.0.1). See docs/dev.md.\n";

/* ---- options ------------------------------------------------------------ */

static int parse_int_opt(const char *name, const char *val, int max, int *out)
{
	char *end;
	long v = strtol(val, &end, 10);
	if (!*val || *end || v < 0 || v > max)
		return error("golive dev: %s: want a number 0..%d, got \"%s\"", name, max, val);
	*out = (int)v;
	return 0;
}

int dev_parse_opts(struct dev_opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (is_help_flag(a)) {
			fputs(dev_usage, stdout);
			exit(0);
		}
		if (strcmp(a, "--") == 0) {
			o->have_args = 1;
			for (i++; i < argc; i++)
				argv_push(&o->args, argv[i]);
			break;
		}
		if (strcmp(a, "--json") == 0) {
			o->json = 1;
			continue;
		}
		if (strcmp(a, "--quiet") == 0) {
			o->quiet = 1;
			continue;
		}
		if (strcmp(a, "--browser") == 0) {
			o->browser = 1;
			continue;
		}
		if (strcmp(a, "--debug-info") == 0 || strcmp(a, "--no-fast") == 0) {
			*(a[2] == 'd' ? &o->debug_info : &o->no_fast) = 1;
			continue;
		}
		static const char *const valued[] = {
		    "--listen",       "--proxy",  "--to",          "--config",
		    "--debounce",     "--grace",  "--stop-signal", "--trace-out",
		    "--chrome-trace", "--report", "--profile",     "--poll"};
		size_t k;
		const char *val = NULL;
		for (k = 0; k < ARRAY_SIZE(valued); k++) {
			size_t n = strlen(valued[k]);
			if (strncmp(a, valued[k], n) == 0 && (a[n] == '\0' || a[n] == '=')) {
				if (a[n] == '=')
					val = a + n + 1;
				else if (i + 1 < argc)
					val = argv[++i];
				else
					return error("golive dev: %s needs a value", valued[k]);
				break;
			}
		}
		if (k == ARRAY_SIZE(valued)) {
			if (a[0] == '-')
				return error(
				    "golive dev: unknown option %s (see golive dev --help)", a);
			if (o->package)
				return error("golive dev: one package at a time (got %s and %s); "
				             "program arguments go after --",
				             o->package, a);
			o->package = a;
			continue;
		}
		/* The same checks as golive.yaml's run: section gives these values. */
		int (*check)(const char *, char **) = k == 0   ? config_check_listen
		                                      : k == 1 ? config_check_addr
		                                      : k == 2 ? config_check_to
		                                               : NULL;
		char *why = NULL;
		if (check && check(val, &why) < 0) {
			error("golive dev: %s: %s", valued[k], why);
			free(why);
			return -1;
		}
		switch (k) {
		case 0:
			argv_push(&o->listen, val);
			break;
		case 1:
			o->proxy = val;
			break;
		case 2:
			o->to = val;
			break;
		case 3:
			o->config = val;
			break;
		case 4:
			if (parse_int_opt("--debounce", val, 10000, &o->debounce_ms) < 0)
				return -1;
			break;
		case 5:
			if (parse_int_opt("--grace", val, 600000, &o->grace_ms) < 0)
				return -1;
			break;
		case 7:
			o->trace_out = val;
			break;
		case 8:
			o->chrome_trace = val;
			break;
		case 9:
			o->report = val;
			break;
		case 10:
			o->profile = val;
			break;
		case 11:
			if (config_parse_poll(val) < -1)
				return error("golive dev: --poll: want an interval of 10ms to 10s "
				             "(e.g. 250ms), \"auto\" or \"off\", got \"%s\"",
				             val);
			o->poll = val;
			break;
		default:
			if (config_signal_parse(val, &o->stop_signal) < 0)
				return error(
				    "golive dev: --stop-signal: unknown signal \"%s\" (TERM, "
				    "INT, HUP, QUIT, KILL, USR1, USR2, RTMIN+N, or 1..64)",
				    val);
			break;
		}
	}
	if (!o->proxy != !o->to)
		return error("golive dev: --proxy and --to go together");
	return 0;
}

/* ---- the package -------------------------------------------------------- */

/* Picks the package to run: the option, golive.yaml, else the module's main package. */
int dev_resolve_package(struct dev *d, const char *cwd)
{
	const char *p = d->o.package;
	if (!p && d->cfg.run.package)
		p = d->cfg.run.package;
	else if (!p && d->cfg.build.packages.argc)
		p = d->cfg.build.packages.argv[0];
	if (p) {
		if (p != d->o.package &&
		    (strcmp(p, ".") == 0 || starts_with(p, "./") || starts_with(p, "../")))
			d->pkg = path_join_clean(d->cfg.root, p);
		else
			d->pkg = xstrdup(p);
	}
	/* Ask go what it is, for its name (and, with no package given, to find it). */
	golist_packages pkgs = ARRAY_INIT;
	struct argv_array pats = ARGV_ARRAY_INIT;
	char *cause = NULL;
	if (!d->pkg) {
		/* The main package in the current directory is the common case: one cheap
		   go list -find instead of a walk of the whole module. */
		argv_push(&pats, ".");
		if (golist_run(d->go, &d->cfg.build.flags, &pats, GOLIST_FIND, &pkgs, &cause) ==
		        0 &&
		    pkgs.n == 1 && pkgs.v[0].name && strcmp(pkgs.v[0].name, "main") == 0 &&
		    pkgs.v[0].dir && !pkgs.v[0].error)
			d->pkg = xstrdup(pkgs.v[0].dir);
		free(cause);
		cause = NULL;
		golist_packages_release(&pkgs);
		argv_clear(&pats);
	}
	if (d->pkg)
		argv_push(&pats, d->pkg);
	else
		argv_pushf(&pats, "%s/...", d->cfg.root);
	int rc = golist_run(d->go, &d->cfg.build.flags, &pats, 0, &pkgs, &cause);
	argv_clear(&pats);
	if (rc < 0) {
		error("golive dev: %s", cause);
		free(cause);
		return -1;
	}
	const struct golist_package *pick = NULL;
	size_t nmain = 0;
	for (size_t i = 0; i < pkgs.n; i++) {
		const struct golist_package *g = &pkgs.v[i];
		if (d->pkg) {
			if (g->error && !g->name) {
				error("golive dev: %s: %s", d->pkg, g->error);
				golist_packages_release(&pkgs);
				return -1;
			}
			pick = g;
			break;
		}
		if (g->name && strcmp(g->name, "main") == 0) {
			nmain++;
			if (!pick || (g->dir && strcmp(g->dir, cwd) == 0))
				pick = g;
		}
	}
	if (!d->pkg) {
		int cwd_main = pick && pick->dir && strcmp(pick->dir, cwd) == 0;
		if (!pick) {
			error("golive dev: no main package in %s; name one: golive dev ./cmd/app",
			      d->cfg.root);
			golist_packages_release(&pkgs);
			return -1;
		}
		if (nmain > 1 && !cwd_main) {
			struct strbuf sb;
			strbuf_init(&sb, 128);
			for (size_t i = 0, k = 0; i < pkgs.n && k < 5; i++)
				if (pkgs.v[i].name && strcmp(pkgs.v[i].name, "main") == 0)
					strbuf_addf(&sb, "%s%s", k++ ? ", " : "",
					            pkgs.v[i].import_path);
			error("golive dev: %zu main packages in the module (%s); name one: golive "
			      "dev PACKAGE, or set run.package in golive.yaml",
			      nmain, sb.buf);
			strbuf_release(&sb);
			golist_packages_release(&pkgs);
			return -1;
		}
		d->pkg = xstrdup(pick->dir ? pick->dir : pick->import_path);
	}
	if (!pick || !pick->name || strcmp(pick->name, "main") != 0) {
		error("golive dev: %s is not a main package%s%s", d->pkg,
		      pick && pick->name ? " but package " : "",
		      pick && pick->name ? pick->name : "");
		golist_packages_release(&pkgs);
		return -1;
	}
	const char *base = pick->dir ? base_name(pick->dir) : base_name(pick->import_path);
	d->name = xstrdup(*base && strcmp(base, "/") != 0 ? base : "main");
	golist_packages_release(&pkgs);
	return 0;
}

int dev_setup_sockets(struct dev *d)
{
	const struct argv_array *ls = d->o.listen.argc ? &d->o.listen : &d->cfg.run.listen;
	const char *proxy = d->o.proxy ? d->o.proxy : d->cfg.run.proxy;
	const char *to = d->o.proxy ? d->o.to : d->cfg.run.to;
	char *cause = NULL;
	struct strbuf names;
	strbuf_init(&names, 64);
	if (ls->argc && proxy) {
		strbuf_release(&names);
		return error(
		    "golive dev: --listen and --proxy do not go together: --listen is for "
		    "programs that take the socket, --proxy for those that open their own");
	}
	int browser = d->o.browser || d->cfg.run.browser;
	if (browser && !ls->argc && !proxy) {
		strbuf_release(&names);
		return error("golive dev: --browser needs --listen ADDR or --proxy ADDR --to ADDR: "
		             "the address the browser opens");
	}
	d->fds = xcalloc(ls->argc ? ls->argc : 1, sizeof(int));
	if (ls->argc)
		d->lp = lpool_new();
	for (size_t i = 0; i < ls->argc; i++) {
		const char *spec = ls->argv[i];
		const char *eq = strchr(spec, '=');
		const char *addr = eq ? eq + 1 : spec;
		struct listen_addr bound, priv;
		int fd;
		if (browser && i == 0) {
			/* golive keeps the public socket; the programs get private ones */
			d->browser_fd = listen_bind(addr, &bound, &cause);
			fd =
			    d->browser_fd < 0 ? -1 : lpool_add(d->lp, "127.0.0.1:0", &priv, &cause);
		} else {
			fd = lpool_add(d->lp, addr, &bound, &cause);
		}
		if (fd < 0) {
			error("golive dev: %s", cause);
			free(cause);
			strbuf_release(&names);
			return -1;
		}
		if (browser && i == 0 && dev_browser_listen(d, d->browser_fd, &priv) < 0) {
			strbuf_release(&names);
			return -1;
		}
		d->fds[d->nfds++] = fd;
		if (names.len)
			strbuf_addch(&names, ':');
		if (eq)
			strbuf_add(&names, spec, (size_t)(eq - spec));
		else
			strbuf_addstr(&names, "listen");
		char *b = listen_format(&bound);
		if (browser && i == 0)
			dev_say(d, "listening on http://%s (browser reload; the program gets fd 3)",
			        b);
		else
			dev_say(d, "listening on http://%s (handed to the program as fd %zu)", b,
			        3 + i);
		if (d->o.json) {
			json_t *o = json_object();
			json_object_set_new(o, "type", json_string("listen"));
			json_object_set_new(o, "addr", json_string(b));
			json_object_set_new(o, "fd", json_integer((json_int_t)(3 + i)));
			json_object_set_new(o, "name",
			                    eq ? json_stringn(spec, (size_t)(eq - spec))
			                       : json_string("listen"));
			if (browser && i == 0)
				json_object_set_new(o, "browser", json_true());
			dev_json_line(o);
		}
		free(b);
	}
	for (size_t i = 0; i < d->nfds && d->ndrain_ports < ARRAY_SIZE(d->drain_ports); i++) {
		unsigned port = drain_port_of(d->fds[i]);
		if (port)
			d->drain_ports[d->ndrain_ports++] = port;
	}
	if (d->nfds) {
		d->listen_mode = 1;
		argv_pushf(&d->penv, "LISTEN_FDNAMES=%s", names.buf);
	}
	strbuf_release(&names);
	if (proxy) {
		struct listen_addr bound, toa;
		if (listen_parse(to, &toa, &cause) < 0) {
			error("golive dev: --to: %s", cause);
			free(cause);
			return -1;
		}
		if (listen_port(&toa) > 0)
			d->drain_ports[d->ndrain_ports++] = (unsigned)listen_port(&toa);
		d->proxy_listen_fd = listen_bind(proxy, &bound, &cause);
		if (d->proxy_listen_fd < 0) {
			error("golive dev: %s", cause);
			free(cause);
			return -1;
		}
		if (listen_same_endpoint(&bound, &toa)) {
			char *b = listen_format(&bound);
			error("golive dev: --proxy %s would forward to itself (--to %s): give --to "
			      "the "
			      "address the program listens on",
			      b, to);
			free(b);
			return -1;
		}
		if (browser)
			d->hp = httpproxy_new(d->proxy_listen_fd, to, NULL, &cause);
		else
			d->px = proxy_new(d->proxy_listen_fd, to, NULL, &cause);
		if (!d->px && !d->hp) {
			error("golive dev: %s", cause);
			free(cause);
			return -1;
		}
		dev_proxy_hold(d, 1);
		char *b = listen_format(&bound);
		dev_say(d, "proxying http://%s to %s", b, to);
		if (d->o.json) {
			json_t *o = json_object();
			json_object_set_new(o, "type", json_string("proxy"));
			json_object_set_new(o, "addr", json_string(b));
			json_object_set_new(o, "to", json_string(to));
			if (browser)
				json_object_set_new(o, "browser", json_true());
			dev_json_line(o);
		}
		free(b);
	}
	return 0;
}
