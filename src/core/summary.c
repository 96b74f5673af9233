/* summary.c - see summary.h. */
#include "core/summary.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

const char *summary_event_package(const struct event *ev, char *buf, size_t size)
{
	const char *p = ev->importpath && *ev->importpath ? ev->importpath : ev->pkg;
	if (!p)
		return "";
	size_t n = strcspn(p, " ");
	if (n >= size)
		n = size - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_slowest(const void *a, const void *b)
{
	const struct event *x = *(const struct event *const *)a;
	const struct event *y = *(const struct event *const *)b;
	return (x->wall_ns < y->wall_ns) - (x->wall_ns > y->wall_ns);
}

static struct tool_count *tool_slot(struct build_summary *sum, const char *name)
{
	for (size_t i = 0; i < sum->ntools; i++)
		if (strcmp(sum->tools[i].name, name) == 0)
			return &sum->tools[i];
	if (sum->ntools == ARRAY_SIZE(sum->tools))
		return &sum->tools[sum->ntools - 1]; /* the last slot collects the rest */
	struct tool_count *t = &sum->tools[sum->ntools++];
	snprintf(t->name, sizeof(t->name), "%s", name);
	return t;
}

void summary_compute(struct build_summary *sum, const event_array *evs,
                     const struct argv_array *deps, size_t top)
{
	ARRAY(const struct event *) compiles = ARRAY_INIT;
	ARRAY(char *) compiled = ARRAY_INIT;
	char buf[1024];

	long bad = sum->bad_events;
	int64_t wall = sum->wall_ns;
	int exit_status = sum->exit_status;
	memset(sum, 0, sizeof(*sum));
	sum->bad_events = bad;
	sum->wall_ns = wall;
	sum->exit_status = exit_status;
	sum->graph = sum->cached = -1;

	for (size_t i = 0; i < evs->n; i++) {
		const struct event *ev = &evs->v[i];
		sum->self_cpu_ns += ev->self_user_ns + ev->self_sys_ns;
		if (ev->self_maxrss_kb > sum->self_maxrss_kb)
			sum->self_maxrss_kb = ev->self_maxrss_kb;
		if (ev->probe) {
			sum->probes++;
			continue;
		}
		int64_t cpu = ev->tool_user_ns + ev->tool_sys_ns;
		struct tool_count *t = tool_slot(sum, ev->tool);
		t->runs++;
		t->wall_ns += ev->wall_ns;
		t->cpu_ns += cpu;
		sum->runs++;
		sum->tool_cpu_ns += cpu;
		if (ev->exit != 0)
			sum->failed++;
		if (strcmp(ev->tool, "compile") == 0) {
			ARRAY_PUSH(compiles, ev);
			ARRAY_PUSH(compiled, xstrdup(summary_event_package(ev, buf, sizeof(buf))));
		} else if (strcmp(ev->tool, "link") == 0) {
			if (!sum->link || ev->wall_ns > sum->link->wall_ns)
				sum->link = ev;
		}
	}

	/* Distinct compiled packages. */
	if (compiled.n)
		qsort(compiled.v, compiled.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < compiled.n; i++)
		if (i == 0 || strcmp(compiled.v[i], compiled.v[i - 1]) != 0)
			sum->compiled++;

	if (deps) {
		sum->graph = sum->cached = 0;
		for (size_t i = 0; i < deps->argc; i++) {
			const char *p = deps->argv[i];
			if (strcmp(p, "unsafe") == 0 || strcmp(p, "C") == 0)
				continue; /* never compiled */
			sum->graph++;
			if (!compiled.n ||
			    !bsearch(&p, compiled.v, compiled.n, sizeof(char *), cmp_str))
				sum->cached++;
		}
		/* After a failure go stopped early: what it did not compile was not
		   necessarily cached, so the figure would lie. */
		if (sum->exit_status != 0)
			sum->cached = -1;
	}

	if (compiles.n)
		qsort(compiles.v, compiles.n, sizeof(*compiles.v), cmp_slowest);
	sum->nslowest = compiles.n < top ? compiles.n : top;
	sum->slowest = xcalloc(sum->nslowest ? sum->nslowest : 1, sizeof(*sum->slowest));
	for (size_t i = 0; i < sum->nslowest; i++)
		sum->slowest[i] = compiles.v[i];

	for (size_t i = 0; i < compiled.n; i++)
		free(compiled.v[i]);
	ARRAY_FREE(compiled);
	ARRAY_FREE(compiles);
}

void summary_release(struct build_summary *sum)
{
	free(sum->slowest);
	sum->slowest = NULL;
	sum->nslowest = 0;
}

static void fmt_dur(char *buf, size_t size, int64_t ns)
{
	if (ns >= 1000000000LL)
		snprintf(buf, size, "%.2fs", (double)ns / 1e9);
	else
		snprintf(buf, size, "%.0fms", (double)ns / 1e6);
}

static void fmt_kb(char *buf, size_t size, long kb)
{
	if (kb >= 10240)
		snprintf(buf, size, "%.0f MiB", (double)kb / 1024.0);
	else if (kb >= 1024)
		snprintf(buf, size, "%.1f MiB", (double)kb / 1024.0);
	else
		snprintf(buf, size, "%ld KiB", kb);
}

void summary_print_text(const struct build_summary *sum, FILE *f, int color)
{
	const char *b = color ? "\033[1m" : "", *d = color ? "\033[2m" : "",
	           *r = color ? "\033[0m" : "";
	char t1[32], t2[32], t3[32], pkg[1024];

	fmt_dur(t1, sizeof(t1), sum->wall_ns);
	fprintf(f, "%sgolive: build %s in %s%s", b, sum->exit_status == 0 ? "ok" : "failed", t1, r);
	fprintf(f, " · %ld tool runs", sum->runs);
	if (sum->ntools) {
		fputs(" (", f);
		for (size_t i = 0; i < sum->ntools; i++)
			fprintf(f, "%s%s %ld", i ? ", " : "", sum->tools[i].name,
			        sum->tools[i].runs);
		fputs(")", f);
	}
	fputc('\n', f);
	if (sum->graph >= 0 && sum->cached >= 0)
		fprintf(f, "packages: %ld in the build graph, %ld compiled, %ld from go's cache\n",
		        sum->graph, sum->compiled, sum->cached);
	else if (sum->graph >= 0)
		fprintf(f, "packages: %ld in the build graph, %ld compiled\n", sum->graph,
		        sum->compiled);
	else
		fprintf(f, "packages: %ld compiled (package graph unknown: %s)\n", sum->compiled,
		        sum->incomplete ? "its file could not be written" : "go list failed");
	if (sum->nslowest) {
		fprintf(f, "%sslowest compiles%*s%8s %8s %9s%s\n", d, 42 - 16, "", "wall", "cpu",
		        "rss", r);
		for (size_t i = 0; i < sum->nslowest; i++) {
			const struct event *ev = sum->slowest[i];
			const char *name = ev->importpath && *ev->importpath
			                       ? ev->importpath
			                       : summary_event_package(ev, pkg, sizeof(pkg));
			fmt_dur(t1, sizeof(t1), ev->wall_ns);
			fmt_dur(t2, sizeof(t2), ev->tool_user_ns + ev->tool_sys_ns);
			fmt_kb(t3, sizeof(t3), ev->tool_maxrss_kb);
			fprintf(f, "  %-40s%8s %8s %9s\n", name, t1, t2, t3);
		}
	}
	if (sum->link) {
		fmt_dur(t1, sizeof(t1), sum->link->wall_ns);
		fmt_dur(t2, sizeof(t2), sum->link->tool_user_ns + sum->link->tool_sys_ns);
		fmt_kb(t3, sizeof(t3), sum->link->tool_maxrss_kb);
		fprintf(f, "link %s: %s wall, %s cpu, %s rss\n",
		        sum->link->importpath ? sum->link->importpath : "", t1, t2, t3);
	}
	if (sum->runs) {
		fmt_kb(t3, sizeof(t3), sum->self_maxrss_kb);
		fprintf(f, "%sgolive wrapper: %.2f%% of the tools' CPU, peak RSS %s%s\n", d,
		        sum->tool_cpu_ns
		            ? 100.0 * (double)sum->self_cpu_ns / (double)sum->tool_cpu_ns
		            : 0.0,
		        t3, r);
	}
	if (sum->bad_events)
		fprintf(f, "golive: warning: %ld unreadable event lines were skipped\n",
		        sum->bad_events);
	if (sum->incomplete)
		fprintf(f, "golive: warning: this summary may be incomplete: %s\n",
		        sum->incomplete);
}

static json_t *event_json(const struct event *ev)
{
	json_t *o = json_object();
	json_object_set_new(o, "importpath", json_string(ev->importpath ? ev->importpath : ""));
	json_object_set_new(o, "pkg", json_string(ev->pkg ? ev->pkg : ""));
	json_object_set_new(o, "wall_ns", json_integer(ev->wall_ns));
	json_object_set_new(o, "cpu_ns", json_integer(ev->tool_user_ns + ev->tool_sys_ns));
	json_object_set_new(o, "maxrss_kb", json_integer(ev->tool_maxrss_kb));
	json_object_set_new(o, "files", json_integer(ev->files));
	json_object_set_new(o, "bytes", json_integer(ev->bytes));
	return o;
}

json_t *summary_to_json(const struct build_summary *sum)
{
	json_t *o = json_object(), *tools = json_object(), *slow = json_array();
	json_object_set_new(o, "ok", json_boolean(sum->exit_status == 0));
	json_object_set_new(o, "exit", json_integer(sum->exit_status));
	json_object_set_new(o, "wall_ns", json_integer(sum->wall_ns));
	json_object_set_new(o, "runs", json_integer(sum->runs));
	json_object_set_new(o, "probes", json_integer(sum->probes));
	json_object_set_new(o, "failed_runs", json_integer(sum->failed));
	for (size_t i = 0; i < sum->ntools; i++) {
		json_t *t = json_object();
		json_object_set_new(t, "runs", json_integer(sum->tools[i].runs));
		json_object_set_new(t, "wall_ns", json_integer(sum->tools[i].wall_ns));
		json_object_set_new(t, "cpu_ns", json_integer(sum->tools[i].cpu_ns));
		json_object_set_new(tools, sum->tools[i].name, t);
	}
	json_object_set_new(o, "tools", tools);
	json_t *pk = json_object();
	json_object_set_new(pk, "graph", sum->graph >= 0 ? json_integer(sum->graph) : json_null());
	json_object_set_new(pk, "compiled", json_integer(sum->compiled));
	json_object_set_new(pk, "cached",
	                    sum->cached >= 0 ? json_integer(sum->cached) : json_null());
	json_object_set_new(o, "packages", pk);
	for (size_t i = 0; i < sum->nslowest; i++)
		json_array_append_new(slow, event_json(sum->slowest[i]));
	json_object_set_new(o, "slowest_compiles", slow);
	json_object_set_new(o, "link", sum->link ? event_json(sum->link) : json_null());
	json_t *w = json_object();
	json_object_set_new(w, "cpu_ns", json_integer(sum->self_cpu_ns));
	json_object_set_new(w, "tool_cpu_ns", json_integer(sum->tool_cpu_ns));
	json_object_set_new(w, "cpu_share",
	                    json_real(sum->tool_cpu_ns
	                                  ? (double)sum->self_cpu_ns / (double)sum->tool_cpu_ns
	                                  : 0.0));
	json_object_set_new(w, "max_rss_kb", json_integer(sum->self_maxrss_kb));
	json_object_set_new(o, "wrapper", w);
	json_object_set_new(o, "bad_events", json_integer(sum->bad_events));
	json_object_set_new(o, "incomplete",
	                    sum->incomplete ? json_string(sum->incomplete) : json_null());
	return o;
}
