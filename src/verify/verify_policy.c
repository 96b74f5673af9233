/*
 * verify_policy.c - see verify_policy.h.
 */
#define _GNU_SOURCE
#include "verify/verify_policy.h"
#include "core/config.h"

#include <stdlib.h>
#include <string.h>

const char *const verify_default_forbid_packages[] = {"net/http/pprof", NULL};
const char *const verify_default_forbid_tags[] = {"dev", NULL};

/* The marker of golive's devpprof injection: its generated file golive_devpprof_<pid>.go. */
#define DEVPPROF_MARK "golive_devpprof_"

void verify_policy_init(struct verify_policy *p)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; verify_default_forbid_packages[i]; i++)
		argv_push(&p->forbid_packages, verify_default_forbid_packages[i]);
	for (size_t i = 0; verify_default_forbid_tags[i]; i++)
		argv_push(&p->forbid_tags, verify_default_forbid_tags[i]);
	p->forbid_race = 1;
	p->forbid_no_optimize = 1;
	p->forbid_modified = 1;
}

void verify_policy_from_config(struct verify_policy *p, const struct golive_config *c)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < config_list_len(&c->verify.forbid_packages); i++)
		argv_push(&p->forbid_packages, config_list_get(&c->verify.forbid_packages, i));
	for (size_t i = 0; i < c->verify.allow_packages.argc; i++)
		argv_push(&p->allow_packages, c->verify.allow_packages.argv[i]);
	for (size_t i = 0; i < config_list_len(&c->verify.forbid_tags); i++)
		argv_push(&p->forbid_tags, config_list_get(&c->verify.forbid_tags, i));
	p->forbid_race = c->verify.forbid_race;
	p->forbid_no_optimize = c->verify.forbid_no_optimize;
	p->forbid_modified = c->verify.forbid_modified;
	p->forbid_dwarf = c->verify.dwarf_forbidden;
	p->require_trimpath = c->verify.require_trimpath;
}

void verify_policy_release(struct verify_policy *p)
{
	argv_clear(&p->forbid_packages);
	argv_clear(&p->allow_packages);
	argv_clear(&p->forbid_tags);
	memset(p, 0, sizeof(*p));
}

void verify_violations_release(verify_violations *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i].message);
	ARRAY_FREE(*v);
}

static void add_violation(verify_violations *out, const char *rule, char *message)
{
	struct verify_violation v = {rule, message};

	ARRAY_PUSH(*out, v);
}

/* Symbol names */

static int is_path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == '/' || c == '~' || c == '%' || c == '+';
}

size_t verify_symbol_pkglen(const char *name)
{
	size_t end = strcspn(name, "([");
	const char *last = NULL, *dot;
	size_t n, elem = 0;

	for (size_t i = 0; i < end; i++)
		if (name[i] == '/')
			last = name + i;
	last = last ? last + 1 : name;
	dot = memchr(last, '.', end - (size_t)(last - name));
	if (!dot || dot == name)
		return 0;
	n = (size_t)(dot - name);
	/* path elements: non-empty, of path characters, not starting with '.' */
	for (size_t i = 0; i < n; i++) {
		if (!is_path_char(name[i]))
			return 0;
		if (name[i] == '/') {
			if (elem == 0)
				return 0;
			elem = 0;
			continue;
		}
		if (name[i] == '.' && (elem == 0 || name[i - 1] == '.'))
			return 0;
		elem++;
	}
	return n;
}

/* Length of the exported identifier at s (ASCII uppercase first), or 0. */
static size_t exported_ident(const char *s)
{
	size_t n = 0;

	if (!(s[0] >= 'A' && s[0] <= 'Z'))
		return 0;
	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
	       (s[n] >= '0' && s[n] <= '9') || s[n] == '_' || (unsigned char)s[n] >= 0x80)
		n++;
	return n;
}

int verify_symbol_exported(const char *name)
{
	size_t pl = verify_symbol_pkglen(name), n;
	const char *s;

	if (!pl || strchr(name, '['))
		return 0;
	s = name + pl + 1;
	if (starts_with(s, "(*")) { /* (*Type).Method */
		s += 2;
		if (!(n = exported_ident(s)) || strncmp(s + n, ").", 2) != 0)
			return 0;
		s += n + 2;
		return (n = exported_ident(s)) && !s[n];
	}
	if (!(n = exported_ident(s))) /* Name or Type.Method */
		return 0;
	s += n;
	if (!*s)
		return 1;
	if (*s++ != '.')
		return 0;
	return (n = exported_ident(s)) && !s[n];
}

/* Package patterns */

/* Whether package path pkg (unescaped) matches pattern ("P" or "P/..."). */
static int pattern_match(const char *pattern, const char *pkg)
{
	size_t n = strlen(pattern);

	if (n >= 4 && strcmp(pattern + n - 4, "/...") == 0) {
		n -= 4;
		return strncmp(pkg, pattern, n) == 0 && (pkg[n] == '\0' || pkg[n] == '/');
	}
	return strcmp(pattern, pkg) == 0;
}

static int allowed(const struct verify_policy *p, const char *pkg)
{
	for (size_t i = 0; i < p->allow_packages.argc; i++)
		if (pattern_match(p->allow_packages.argv[i], pkg))
			return 1;
	return 0;
}

/* The package of symbol name, unescaped ("%2e" -> "."), as a new string; NULL when none. */
static char *symbol_package(const char *name)
{
	size_t pl = verify_symbol_pkglen(name);
	char *pkg;

	if (!pl)
		return NULL;
	if (!memchr(name, '%', pl))
		return xstrndup(name, pl);
	pkg = percent_decode(name, pl);
	return pkg ? pkg : xstrndup(name, pl);
}

/* Evidence for one forbidden pattern: the best name seen and how many matched. */
struct evidence {
	const char *best; /* borrowed */
	size_t best_len;
	char *best_pkg;
	size_t count;
};

/* An exported-looking name wins; then the smallest by bytes. */
static int better(const char *a, size_t alen, const char *b, size_t blen)
{
	int ea = verify_symbol_exported(a), eb = verify_symbol_exported(b);
	size_t n = alen < blen ? alen : blen;
	int c;

	if (ea != eb)
		return ea;
	c = memcmp(a, b, n);
	return c < 0 || (c == 0 && alen < blen);
}

/* Records name (len bytes, NUL-terminated at len) against every pattern it is forbidden by. */
static void note_name(const struct verify_policy *p, struct evidence *ev, const char *name,
                      size_t len)
{
	char *pkg = symbol_package(name);

	if (!pkg)
		return;
	for (size_t i = 0; i < p->forbid_packages.argc; i++) {
		if (!pattern_match(p->forbid_packages.argv[i], pkg) || allowed(p, pkg))
			continue;
		ev[i].count++;
		if (!ev[i].best || better(name, len, ev[i].best, ev[i].best_len)) {
			ev[i].best = name;
			ev[i].best_len = len;
			free(ev[i].best_pkg);
			ev[i].best_pkg = xstrdup(pkg);
		}
	}
	free(pkg);
}

/* The bytes of section s in b's file, or NULL (not in the file, or out of bounds). */
static const uint8_t *section_bytes(const struct binfile *b, const struct bin_section *s)
{
	if (!s || !s->in_file || s->offset > b->len || s->size > b->len - s->offset)
		return NULL;
	return b->data + s->offset;
}

/* The region searched for names when there are no symbols: .gopclntab, else the whole file. */
static const uint8_t *names_region(const struct binfile *b, size_t *len)
{
	const struct bin_section *s = binfile_section(b, ".gopclntab");
	const uint8_t *p = section_bytes(b, s);

	if (p) {
		*len = s->size;
		return p;
	}
	*len = b->len;
	return b->data;
}

/*
 * Calls fn for every NUL-terminated run of printable bytes in .gopclntab
 * that ends within it (the function and file names of the pclntab).
 */
static void each_pclntab_name(const struct binfile *b,
                              void (*fn)(void *arg, const char *name, size_t len), void *arg)
{
	const struct bin_section *s = binfile_section(b, ".gopclntab");
	const uint8_t *p = section_bytes(b, s);
	size_t start = 0;

	if (!p)
		return;
	for (size_t i = 0; i < s->size; i++) {
		if (p[i] >= 0x21 && p[i] < 0x7f)
			continue;
		if (p[i] == 0 && i > start)
			fn(arg, (const char *)p + start, i - start);
		start = i + 1;
	}
}

struct pcln_ctx {
	const struct verify_policy *p;
	struct evidence *ev;
};

static void pcln_name(void *arg, const char *name, size_t len)
{
	struct pcln_ctx *c = arg;

	if (ends_with(name, ".go") || ends_with(name, ".s"))
		return;
	note_name(c->p, c->ev, name, len);
}

static void check_packages(const struct binfile *b, const struct buildinfo *bi,
                           const struct verify_policy *p, verify_violations *out)
{
	size_t n = p->forbid_packages.argc;
	struct evidence *ev = xcalloc(n ? n : 1, sizeof(*ev));
	int by_pclntab = 0;

	for (size_t i = 0; b->has_symtab && i < b->symbols.n; i++) {
		const struct bin_symbol *s = &b->symbols.v[i];
		if (s->kind != 'U' && s->name)
			note_name(p, ev, s->name, strlen(s->name));
	}
	if (!b->has_symtab) { /* stripped (.dynsym, if any, holds C imports only) */
		struct pcln_ctx c = {p, ev};
		each_pclntab_name(b, pcln_name, &c);
		by_pclntab = 1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *pat = p->forbid_packages.argv[i];
		struct strbuf sb = STRBUF_INIT;

		if (ev[i].best) {
			strbuf_addf(&sb, "forbidden package %s", ev[i].best_pkg);
			if (strcmp(pat, ev[i].best_pkg) != 0)
				strbuf_addf(&sb, " (%s)", pat);
			strbuf_addf(&sb, ": %s %.*s", by_pclntab ? "function" : "symbol",
			            (int)ev[i].best_len, ev[i].best);
			if (by_pclntab)
				strbuf_addstr(&sb, " in .gopclntab (no symbol table)");
			if (ev[i].count > 1)
				strbuf_addf(&sb, " (and %zu more)", ev[i].count - 1);
			add_violation(out, "forbid_packages", strbuf_detach(&sb, NULL));
			continue;
		}
		for (size_t d = 0; bi && d < bi->deps.n; d++) {
			const struct bi_module *m = &bi->deps.v[d];
			if (!m->path || !pattern_match(pat, m->path) || allowed(p, m->path))
				continue;
			strbuf_addf(&sb, "forbidden package %s", m->path);
			if (strcmp(pat, m->path) != 0)
				strbuf_addf(&sb, " (%s)", pat);
			strbuf_addf(&sb, ": dependency %s %s", m->path,
			            m->version && *m->version ? m->version : "(no version)");
			add_violation(out, "forbid_packages", strbuf_detach(&sb, NULL));
			break;
		}
		strbuf_release(&sb);
	}
	for (size_t i = 0; i < n; i++)
		free(ev[i].best_pkg);
	free(ev);
}

/*
 * devpprof's generated file in the pclntab file table (or anywhere in the
 * file when there is no .gopclntab): ".../golive_devpprof_<digits>.go".
 * Returns the whole name as a new string, or NULL.
 */
static char *find_devpprof_file(const struct binfile *b)
{
	size_t len, ml = strlen(DEVPPROF_MARK);
	const uint8_t *base = names_region(b, &len), *p = base, *end = base + len;

	while (p < end) {
		const uint8_t *m = memmem(p, (size_t)(end - p), DEVPPROF_MARK, ml);
		const uint8_t *q, *s;
		if (!m)
			break;
		p = m + 1;
		q = m + ml;
		if (q >= end || !(*q >= '0' && *q <= '9'))
			continue;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
		if ((size_t)(end - q) < 3 || memcmp(q, ".go", 3) != 0)
			continue;
		q += 3;
		if (q < end && *q != '\0')
			continue;
		if (m > base && m[-1] != '/' && m[-1] != '\0')
			continue;
		s = m;
		while (s > base && m - s < 4096 && s[-1] >= 0x20 && s[-1] < 0x7f)
			s--;
		return xstrndup((const char *)s, (size_t)(q - s));
	}
	return NULL;
}

static void check_injections(const struct binfile *b, verify_violations *out)
{
	const char *best = NULL;
	char *file;

	for (size_t i = 0; i < b->symbols.n; i++) {
		const char *n = b->symbols.v[i].name;
		if (n && strstr(n, "golive_devpprof") && (!best || strcmp(n, best) < 0))
			best = n;
	}
	if (best) {
		add_violation(out, "dev_injection",
		              xasprintf("golive dev injection devpprof: symbol %s", best));
		return;
	}
	file = find_devpprof_file(b);
	if (file) {
		add_violation(out, "dev_injection",
		              xasprintf("golive dev injection devpprof: file %s", file));
		free(file);
	}
}

/* key=value as go version -m writes a build setting: the value quoted when needed. */
static void add_setting(struct strbuf *sb, const char *key, const char *value)
{
	strbuf_addf(sb, "%s=", key);
	if (!strpbrk(value, " \t\r\n\"`")) {
		strbuf_addstr(sb, value);
		return;
	}
	strbuf_addch(sb, '"');
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_addf(sb, "\\%c", *p);
		else if (*p == '\n')
			strbuf_addstr(sb, "\\n");
		else if (*p == '\t')
			strbuf_addstr(sb, "\\t");
		else if (*p == '\r')
			strbuf_addstr(sb, "\\r");
		else if (*p < 0x20 || *p == 0x7f)
			strbuf_addf(sb, "\\x%02x", *p);
		else
			strbuf_addch(sb, (char)*p);
	}
	strbuf_addch(sb, '"');
}

/*
 * Which of -N (bit 1) and -l (bit 2) a -gcflags value holds: "[pattern=]args",
 * args split at blanks with '...' and "..." quoting, as cmd/go does.
 */
static int gcflags_no_optimize(const char *v)
{
	const char *eq = strchr(v, '=');
	int found = 0;

	if (v[0] != '-' && eq)
		v = eq + 1;
	while (*v) {
		char word[64];
		size_t n = 0;
		char quote = 0;

		while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
			v++;
		if (!*v)
			break;
		for (; *v && (quote || (*v != ' ' && *v != '\t' && *v != '\n' && *v != '\r'));
		     v++) {
			if (!quote && (*v == '\'' || *v == '"')) {
				quote = *v;
				continue;
			}
			if (quote && *v == quote) {
				quote = 0;
				continue;
			}
			if (n + 1 < sizeof(word))
				word[n++] = *v;
		}
		word[n] = '\0';
		const char *w = word[0] == '-' && word[1] == '-' ? word + 1 : word;
		if (!strcmp(w, "-N") || !strcmp(w, "-N=true") || !strcmp(w, "-N=1"))
			found |= 1;
		if (!strcmp(w, "-l") || !strcmp(w, "-l=true") || !strcmp(w, "-l=1"))
			found |= 2;
	}
	return found;
}

static int in_list(const struct argv_array *a, const char *s, size_t n)
{
	for (size_t i = 0; i < a->argc; i++)
		if (strlen(a->argv[i]) == n && !memcmp(a->argv[i], s, n))
			return 1;
	return 0;
}

static void check_settings(const struct buildinfo *bi, const struct verify_policy *p,
                           verify_violations *out)
{
	const char *v;
	struct strbuf sb = STRBUF_INIT;

	/* golive dev's fast path (src/dev/fastpath.h) marks what it links: never a release. */
	if ((v = buildinfo_setting(bi, "golive.fast")))
		add_violation(out, "golive_fast",
		              xstrdup("build setting golive.fast=1: a golive dev fast-path build"));
	if (p->forbid_race && (v = buildinfo_setting(bi, "-race")) && !strcmp(v, "true"))
		add_violation(out, "forbid_race", xstrdup("build setting -race=true is forbidden"));
	if (p->forbid_no_optimize && (v = buildinfo_setting(bi, "-gcflags"))) {
		int f = gcflags_no_optimize(v);
		if (f) {
			add_setting(&sb, "-gcflags", v);
			strbuf_addstr(&sb,
			              f & 1 ? ": optimizations disabled" : ": inlining disabled");
			add_violation(out, "forbid_no_optimize", strbuf_detach(&sb, NULL));
		}
	}
	if ((v = buildinfo_setting(bi, "-tags"))) {
		/* one line per forbidden tag, in the order of -tags; each tag once */
		for (const char *t = v; *t;) {
			size_t n = strcspn(t, ", ");
			int seen = 0;
			for (const char *u = v; u < t && !seen;) {
				size_t m = strcspn(u, ", ");
				seen = m == n && !memcmp(u, t, n);
				u += m + (u[m] ? 1 : 0);
			}
			if (n && !seen && in_list(&p->forbid_tags, t, n)) {
				strbuf_reset(&sb);
				strbuf_addf(&sb, "build tag %.*s is forbidden (", (int)n, t);
				add_setting(&sb, "-tags", v);
				strbuf_addch(&sb, ')');
				add_violation(out, "forbid_tags", strbuf_detach(&sb, NULL));
			}
			t += n + (t[n] ? 1 : 0);
		}
	}
	if (p->forbid_modified && (v = buildinfo_setting(bi, "vcs.modified")) && !strcmp(v, "true"))
		add_violation(out, "forbid_modified",
		              xstrdup("vcs.modified=true: built from a modified tree"));
	strbuf_release(&sb);
}

/* The DWARF section to name: .debug_info (or .zdebug_info), else the first debug section. */
static const char *dwarf_section(const struct binfile *b)
{
	const char *first = NULL;

	for (size_t i = 0; i < b->sections.n; i++) {
		const char *n = b->sections.v[i].name;
		if (!n)
			continue;
		if (!strcmp(n, ".debug_info") || !strcmp(n, ".zdebug_info"))
			return n;
		if (!first && (starts_with(n, ".debug_") || starts_with(n, ".zdebug_")))
			first = n;
	}
	return first ? first : ".debug_*";
}

size_t verify_check(const struct binfile *b, const struct buildinfo *bi,
                    const struct verify_policy *p, verify_violations *out)
{
	size_t before = out->n;
	const char *v;

	check_injections(b, out);
	check_packages(b, bi, p, out);
	check_settings(bi, p, out);
	if (p->forbid_dwarf && b->has_dwarf)
		add_violation(out, "dwarf",
		              xasprintf("DWARF present (%s) but verify.dwarf is forbidden",
		                        dwarf_section(b)));
	if (p->require_trimpath && (!(v = buildinfo_setting(bi, "-trimpath")) || strcmp(v, "true")))
		add_violation(out, "require_trimpath", xstrdup("-trimpath missing"));
	return out->n - before;
}

/* --against */

static int sym_cmp(const void *a, const void *b)
{
	const struct bin_symbol *x = *(const struct bin_symbol *const *)a;
	const struct bin_symbol *y = *(const struct bin_symbol *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->kind > y->kind) - (x->kind < y->kind);
}

typedef ARRAY(const struct bin_symbol *) sym_ptrs;

/* b's exported global symbols of kind T, D, R, B, sorted by name, each name once. */
static void exported_symbols(const struct binfile *b, sym_ptrs *out)
{
	size_t w = 0;

	for (size_t i = 0; i < b->symbols.n; i++) {
		const struct bin_symbol *s = &b->symbols.v[i];
		if (s->global && s->name && strchr("TDRB", s->kind) && s->kind &&
		    verify_symbol_exported(s->name))
			ARRAY_PUSH(*out, s);
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), sym_cmp);
	for (size_t i = 0; i < out->n; i++)
		if (!w || strcmp(out->v[w - 1]->name, out->v[i]->name) != 0)
			out->v[w++] = out->v[i];
	out->n = w;
}

static void push_sym(struct verify_diff *d, int which, const struct bin_symbol *o,
                     const struct bin_symbol *n)
{
	struct verify_sym s;

	s.name = (o ? o : n)->name;
	s.kind = (n ? n : o)->kind;
	s.old_size = o ? o->size : 0;
	s.new_size = n ? n->size : 0;
	if (which == 0)
		ARRAY_PUSH(d->sym_added, s);
	else if (which == 1)
		ARRAY_PUSH(d->sym_removed, s);
	else
		ARRAY_PUSH(d->sym_resized, s);
}

static void diff_symbols(const struct binfile *ob, const struct binfile *nb, struct verify_diff *d)
{
	sym_ptrs os = ARRAY_INIT, ns = ARRAY_INIT;
	size_t i = 0, j = 0;

	d->old_stripped = !ob->has_symtab;
	d->new_stripped = !nb->has_symtab;
	d->symbols_compared = !d->old_stripped && !d->new_stripped;
	if (!d->symbols_compared)
		return;
	exported_symbols(ob, &os);
	exported_symbols(nb, &ns);
	while (i < os.n || j < ns.n) {
		int c = i == os.n ? 1 : j == ns.n ? -1 : strcmp(os.v[i]->name, ns.v[j]->name);
		if (c < 0) {
			push_sym(d, 1, os.v[i++], NULL);
		} else if (c > 0) {
			push_sym(d, 0, NULL, ns.v[j++]);
		} else {
			if (os.v[i]->size != ns.v[j]->size)
				push_sym(d, 2, os.v[i], ns.v[j]);
			i++;
			j++;
		}
	}
	ARRAY_FREE(os);
	ARRAY_FREE(ns);
}

/* "v1.2.3", "v1.2.3 => ../x", "v1.2.3 => example.com/y v1.3.0". */
static char *dep_version(const struct bi_module *m)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, m->version ? m->version : "");
	if (m->replace) {
		strbuf_addf(&sb, " => %s", m->replace->path ? m->replace->path : "");
		if (m->replace->version && *m->replace->version)
			strbuf_addf(&sb, " %s", m->replace->version);
	}
	return strbuf_detach(&sb, NULL);
}

static int mod_cmp(const void *a, const void *b)
{
	const struct bi_module *x = *(const struct bi_module *const *)a;
	const struct bi_module *y = *(const struct bi_module *const *)b;

	return strcmp(x->path, y->path);
}

typedef ARRAY(const struct bi_module *) mod_ptrs;

static void sorted_deps(const struct buildinfo *bi, mod_ptrs *out)
{
	for (size_t i = 0; bi && i < bi->deps.n; i++)
		if (bi->deps.v[i].path)
			ARRAY_PUSH(*out, &bi->deps.v[i]);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), mod_cmp);
}

static void diff_deps(const struct buildinfo *obi, const struct buildinfo *nbi,
                      struct verify_diff *d)
{
	mod_ptrs om = ARRAY_INIT, nm = ARRAY_INIT;
	size_t i = 0, j = 0;

	sorted_deps(obi, &om);
	sorted_deps(nbi, &nm);
	while (i < om.n || j < nm.n) {
		int c = i == om.n ? 1 : j == nm.n ? -1 : strcmp(om.v[i]->path, nm.v[j]->path);
		struct verify_dep dep = {NULL, NULL, NULL};
		if (c < 0) {
			dep.path = om.v[i]->path;
			dep.old_version = dep_version(om.v[i++]);
			ARRAY_PUSH(d->dep_removed, dep);
		} else if (c > 0) {
			dep.path = nm.v[j]->path;
			dep.new_version = dep_version(nm.v[j++]);
			ARRAY_PUSH(d->dep_added, dep);
		} else {
			dep.path = om.v[i]->path;
			dep.old_version = dep_version(om.v[i++]);
			dep.new_version = dep_version(nm.v[j++]);
			if (strcmp(dep.old_version, dep.new_version) != 0) {
				ARRAY_PUSH(d->dep_changed, dep);
			} else {
				free(dep.old_version);
				free(dep.new_version);
			}
		}
	}
	ARRAY_FREE(om);
	ARRAY_FREE(nm);
}

static int str_differ(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

void verify_diff(const struct binfile *ob, const struct buildinfo *obi, const struct binfile *nb,
                 const struct buildinfo *nbi, struct verify_diff *d)
{
	memset(d, 0, sizeof(*d));
	diff_symbols(ob, nb, d);
	diff_deps(obi, nbi, d);
	d->old_go = obi->go_version;
	d->new_go = nbi->go_version;
	d->go_changed = str_differ(d->old_go, d->new_go);
	d->old_main = obi->main.path;
	d->new_main = nbi->main.path;
	d->old_main_version = obi->main.version;
	d->new_main_version = nbi->main.version;
	d->main_changed = str_differ(d->old_main, d->new_main) ||
	                  str_differ(d->old_main_version, d->new_main_version);
}

size_t verify_diff_count(const struct verify_diff *d)
{
	return d->sym_added.n + d->sym_removed.n + d->sym_resized.n + d->dep_added.n +
	       d->dep_removed.n + d->dep_changed.n + (size_t)d->go_changed +
	       (size_t)d->main_changed;
}

static void release_deps(struct verify_dep *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].old_version);
		free(v[i].new_version);
	}
}

void verify_diff_release(struct verify_diff *d)
{
	ARRAY_FREE(d->sym_added);
	ARRAY_FREE(d->sym_removed);
	ARRAY_FREE(d->sym_resized);
	release_deps(d->dep_added.v, d->dep_added.n);
	release_deps(d->dep_removed.v, d->dep_removed.n);
	release_deps(d->dep_changed.v, d->dep_changed.n);
	ARRAY_FREE(d->dep_added);
	ARRAY_FREE(d->dep_removed);
	ARRAY_FREE(d->dep_changed);
	memset(d, 0, sizeof(*d));
}

/* --rebuild */

static int offset_cmp(const void *a, const void *b)
{
	const struct bin_section *x = *(const struct bin_section *const *)a;
	const struct bin_section *y = *(const struct bin_section *const *)b;

	return (x->offset > y->offset) - (x->offset < y->offset);
}

int verify_section_diff(const struct binfile *a, const struct binfile *b, const char *skip,
                        char *name, size_t size, uint64_t *offset)
{
	ARRAY(const struct bin_section *) secs = ARRAY_INIT;
	int found = 0;

	for (size_t i = 0; i < a->sections.n; i++)
		if (a->sections.v[i].name && a->sections.v[i].name[0] && a->sections.v[i].in_file &&
		    (!skip || strcmp(a->sections.v[i].name, skip) != 0))
			ARRAY_PUSH(secs, &a->sections.v[i]);
	if (secs.n)
		qsort(secs.v, secs.n, sizeof(*secs.v), offset_cmp);
	for (size_t i = 0; i < secs.n && !found; i++) {
		const struct bin_section *sa = secs.v[i];
		const struct bin_section *sb = binfile_section(b, sa->name);
		const uint8_t *pa = section_bytes(a, sa);
		const uint8_t *pb = sb && sb->in_file ? section_bytes(b, sb) : NULL;
		uint64_t n, k = 0;

		if (!pa)
			continue;
		if (pb) {
			n = sa->size < sb->size ? sa->size : sb->size;
			while (k < n && pa[k] == pb[k])
				k++;
			if (k == n && sa->size == sb->size)
				continue;
		}
		found = 1;
		*offset = k;
		snprintf(name, size, "%s", sa->name);
	}
	ARRAY_FREE(secs);
	return found;
}
