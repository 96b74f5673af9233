/* check_modwalk.c - see check_modwalk.h. */
#define _GNU_SOURCE
#include "cmd/check_modwalk.h"
#include "core/buildcons.h"
#include "core/godir.h"
#include "core/gotool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_GOMOD_BYTES (16u << 20)
#define MAX_DEPTH       64

static int decline(char **why, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int decline(char **why, const char *fmt, ...)
{
	if (!*why) {
		struct strbuf sb = STRBUF_INIT;
		va_list ap;
		va_start(ap, fmt);
		strbuf_vaddf(&sb, fmt, ap);
		va_end(ap);
		*why = strbuf_detach(&sb, NULL);
	}
	return 0;
}

static int in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

/* ---- the environment ----------------------------------------------------- */

/* GOTOOLCHAIN values under which go runs the local toolchain for a module it can build. */
static int toolchain_ok(const char *v)
{
	static const char *const ok[] = {"", "local", "auto", "path", "local+auto", "local+path"};
	return !v || in_list(v, ok, ARRAY_SIZE(ok));
}

/* Keys of the user's go env file that change nothing go list selects. */
static const char *const envfile_keys[] = {
    "GOPROXY",        "GOPRIVATE", "GONOPROXY", "GONOSUMDB",   "GOSUMDB",
    "GOINSECURE",     "GOPATH",    "GOCACHE",   "GOMODCACHE",  "GOTELEMETRY",
    "GOTELEMETRYDIR", "GOVCS",     "GOAUTH",    "GOCACHEPROG", "GOTOOLCHAIN",
};

/* GOFLAGS value g holds only flags that change no file go list selects; *tags when one is -tags. */
static int goflags_ok(const char *g, int *tags, char **why)
{
	static const char *const bare[] = {"-trimpath", "-modcacherw", "-a"};
	static const char *const valued[] = {"-tags",    "-trimpath", "-modcacherw", "-buildvcs",
	                                     "-ldflags", "-gcflags",  "-asmflags",   "-p"};
	*tags = 0;
	if (!g)
		return 1;
	if (strpbrk(g, "\"'\\"))
		return decline(why, "GOFLAGS has quotes");
	for (const char *p = g; *p;) {
		p += strspn(p, " \t\n");
		size_t n = strcspn(p, " \t\n");
		if (!n)
			break;
		char *w = xstrndup(p, n), *f = w;
		p += n;
		if (f[0] == '-' && f[1] == '-')
			f++;
		char *eq = strchr(f, '=');
		int ok;
		if (!eq) {
			ok = in_list(f, bare, ARRAY_SIZE(bare));
		} else {
			*eq = '\0';
			ok = in_list(f, valued, ARRAY_SIZE(valued));
			if (!strcmp(f, "-tags"))
				*tags = 1;
			if (!strcmp(f, "-mod"))
				ok = !strcmp(eq + 1, "mod") || !strcmp(eq + 1, "readonly");
		}
		if (!ok)
			decline(why, "GOFLAGS has %s", w);
		free(w);
		if (!ok)
			return 0;
	}
	return 1;
}

/* The user's go env file, as go finds it (GOENV, else os.UserConfigDir()/go/env); malloc'd. */
static char *envfile_path(void)
{
	const char *genv = getenv("GOENV"), *xdg = getenv("XDG_CONFIG_HOME"),
	           *home = getenv("HOME");
	if (genv && *genv)
		return strcmp(genv, "off") ? xstrdup(genv) : NULL;
	if (xdg && *xdg)
		return xasprintf("%s/go/env", xdg);
	if (home && *home)
		return xasprintf("%s/.config/go/env", home);
	return NULL;
}

static int envfile_ok(char **why)
{
	char *path = envfile_path();
	struct strbuf sb = STRBUF_INIT;
	int ok = 1;
	if (path && strbuf_read_file(&sb, path, 1u << 20) == 0) {
		for (char *line = sb.buf; line && *line && ok;) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			line[strcspn(line, "\r")] = '\0';
			char *eq = strchr(line, '=');
			if (*line && eq) {
				*eq = '\0';
				const char *env = getenv(line);
				if (!strcmp(line, "GOFLAGS")) {
					int tags = 0;
					if (!(env && *env) &&
					    (!goflags_ok(eq + 1, &tags, why) || tags))
						ok = decline(why, "%s sets GOFLAGS=%s", path,
						             eq + 1);
				} else if (!in_list(line, envfile_keys, ARRAY_SIZE(envfile_keys)) &&
				           !(env && *env)) {
					ok = decline(why, "%s sets %s", path, line);
				} else if (!strcmp(line, "GOTOOLCHAIN") && !toolchain_ok(eq + 1))
					ok = decline(why, "%s sets GOTOOLCHAIN=%s", path, eq + 1);
			} else if (*line) {
				ok = decline(why, "%s: a line that is not KEY=VALUE", path);
			}
			line = nl ? nl + 1 : NULL;
		}
	}
	strbuf_release(&sb);
	free(path);
	return ok;
}

static int env_ok(const char *tags, char **why)
{
	const char *v;
	int flag_tags;

	v = getenv("GOWORK");
	if (v && *v && strcmp(v, "off"))
		return decline(why, "GOWORK=%s", v);
	v = getenv("GO111MODULE");
	if (v && *v && strcmp(v, "on") && strcmp(v, "auto"))
		return decline(why, "GO111MODULE=%s", v);
	v = getenv("GOEXPERIMENT");
	if (v && *v)
		return decline(why, "GOEXPERIMENT=%s", v);
	v = getenv("CGO_ENABLED");
	if (v && *v && strcmp(v, "0") && strcmp(v, "1"))
		return decline(why, "CGO_ENABLED=%s", v);
	v = getenv("GOAMD64");
	if (v && *v && !(v[0] == 'v' && v[1] >= '1' && v[1] <= '4' && !v[2]))
		return decline(why, "GOAMD64=%s", v);
	v = getenv("GOTOOLCHAIN");
	if (!toolchain_ok(v))
		return decline(why, "GOTOOLCHAIN=%s", v);
	if (!goflags_ok(getenv("GOFLAGS"), &flag_tags, why))
		return 0;
	if (flag_tags && tags)
		return decline(why, "-tags both in GOFLAGS and on the command line");
	return envfile_ok(why);
}

/* The build context's GOOS/GOARCH are ones whose tags core/buildcons.h knows in full. */
static int buildctx_ok(const struct buildctx *bc, char **why)
{
	static const char *const goos[] = {"linux",   "darwin",  "windows",   "freebsd",
	                                   "netbsd",  "openbsd", "dragonfly", "solaris",
	                                   "illumos", "plan9",   "android",   "ios"};
	if (strcmp(bc->goarch, "amd64"))
		return decline(why, "GOARCH=%s", bc->goarch);
	if (!in_list(bc->goos, goos, ARRAY_SIZE(goos)))
		return decline(why, "GOOS=%s", bc->goos);
	return 1;
}

/* Whether program prog (a name looked up in PATH, or a path) can be run. */
static int on_path(const char *prog)
{
	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	const char *path = getenv("PATH");
	for (const char *p = path ? path : ""; *p;) {
		size_t n = strcspn(p, ":");
		char *cand = n ? xasprintf("%.*s/%s", (int)n, p, prog) : xasprintf("./%s", prog);
		struct stat st;
		int ok = stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0;
		free(cand);
		if (ok)
			return 1;
		p += n;
		if (*p == ':')
			p++;
	}
	return 0;
}

/*
 * cgo as go >= 1.20 decides it when CGO_ENABLED is unset: off without a
 * C compiler (CC unset and the default one not on PATH).
 */
static void cgo_default(struct buildctx *bc, const struct goversion *tv)
{
	const char *e = getenv("CGO_ENABLED"), *cc = getenv("CC");
	if ((e && *e) || !bc->cgo || !goversion_at_least(tv, 1, 20) || (cc && *cc))
		return;
	int clang = !strcmp(bc->goos, "darwin") || !strcmp(bc->goos, "freebsd") ||
	            !strcmp(bc->goos, "openbsd") || !strcmp(bc->goos, "ios");
	if (!on_path(clang ? "clang" : "gcc"))
		bc->cgo = 0;
}

/* ---- go.mod -------------------------------------------------------------- */

/* An import path element golive is sure go takes as is: [A-Za-z0-9._~+-], no dot at either end. */
static int elem_ok(const char *s, size_t n)
{
	static const char *const windows[] = {
	    "con",  "prn",  "aux",  "nul",  "com1", "com2", "com3", "com4", "com5", "com6", "com7",
	    "com8", "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9"};
	if (!n || s[0] == '.' || s[0] == '_' || s[n - 1] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '~' ||
		      ch == '+' || ch == '-'))
			return 0;
	}
	size_t shortn = strcspn(s, ".");
	if (shortn > n)
		shortn = n;
	for (size_t i = 0; i < ARRAY_SIZE(windows); i++)
		if (strlen(windows[i]) == shortn && !strncasecmp(s, windows[i], shortn))
			return 0;
	if ((n == 8 && !memcmp(s, "testdata", 8)) || (n == 6 && !memcmp(s, "vendor", 6)))
		return 0;
	return 1;
}

/* Every '/'-separated element of path (len n) is elem_ok. */
static int path_ok(const char *path, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n;) {
		size_t e = i;
		while (e < n && path[e] != '/')
			e++;
		if (!elem_ok(path + i, e - i))
			return 0;
		i = e + 1;
		if (e + 1 == n)
			return 0; /* a trailing slash */
	}
	return 1;
}

/* Fields of line (NUL-terminated) separated by blanks. */
static size_t nfields(const char *line)
{
	size_t n = 0;
	for (const char *p = line; *p;) {
		p += strspn(p, " \t");
		if (*p)
			n++;
		p += strcspn(p, " \t");
	}
	return n;
}

/*
 * Whether args (a line's text after the verb, or a line of its block) has
 * the shape go.mod's directive verbs[k] takes: require and exclude a path
 * and a version, replace an arrow, retract versions, godebug key=value,
 * tool a path. go list fails as a whole on a go.mod it cannot parse.
 */
static int gomod_args_ok(size_t k, const char *args)
{
	const char *last = args + strlen(args);
	while (last > args && last[-1] != ' ' && last[-1] != '\t')
		last--;
	switch (k) {
	case 3: /* require */
	case 4: /* exclude */
		return nfields(args) == 2 && last[0] == 'v';
	case 5: /* replace */
		return strstr(args, "=>") != NULL;
	case 6: /* retract */
		return args[0] == 'v' || args[0] == '[';
	case 7: /* godebug */
		return strchr(args, '=') != NULL;
	case 8: /* tool */
		return nfields(args) == 1;
	default:
		return 1;
	}
}

/*
 * Reads go.mod's module path, go and toolchain lines, refusing what it
 * does not know. Returns 1, or 0 with *why.
 */
int modwalk_parse_gomod(const char *path, const char *text, size_t size, const struct goversion *tv,
                        struct modwalk_gomod *m, char **why)
{
	static const char *const verbs[] = {"module",  "go",      "toolchain", "require", "exclude",
	                                    "replace", "retract", "godebug",   "tool"};
	static const unsigned since[] = {0, 0, 21, 0, 0, 0, 16, 23, 24};
	struct strbuf sb = STRBUF_INIT;
	int in_block = 0, ok = 1, has_go = 0;
	unsigned lineno = 0;

	memset(m, 0, sizeof(*m));
	strbuf_add(&sb, text, size);
	if (memchr(sb.buf, '\0', sb.len) || memchr(sb.buf, '`', sb.len))
		ok = decline(why, "%s holds a NUL byte or a backquote", path);
	for (char *line = sb.buf; ok && line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		char *c = strstr(line, "//");
		if (c)
			*c = '\0';
		char *w = line + strspn(line, " \t\r");
		size_t len = strlen(w);
		while (len && (w[len - 1] == ' ' || w[len - 1] == '\t' || w[len - 1] == '\r'))
			w[--len] = '\0';
		line = nl ? nl + 1 : NULL;
		if (!len)
			continue;
		if (in_block) {
			if (!strcmp(w, ")"))
				in_block = 0;
			else if (strchr(w, '(') || strchr(w, ')') ||
			         !gomod_args_ok(in_block - 1, w))
				ok = decline(why, "%s:%u: a line golive does not read", path,
				             lineno);
			m->requires += in_block - 1 == 3 && strcmp(w, ")") != 0;
			continue;
		}
		size_t vn = strspn(w, "abcdefghijklmnopqrstuvwxyz");
		char *rest = w + vn;
		rest += strspn(rest, " \t");
		size_t k = 0;
		while (k < ARRAY_SIZE(verbs) &&
		       (strlen(verbs[k]) != vn || strncmp(w, verbs[k], vn)))
			k++;
		if (k == ARRAY_SIZE(verbs) || rest == w + vn) {
			if (k == ARRAY_SIZE(verbs) || *rest != '(')
				ok = decline(why, "%s:%u: a directive golive does not know", path,
				             lineno);
		}
		if (!ok)
			break;
		if (since[k] && !goversion_at_least(tv, 1, since[k])) {
			ok = decline(why, "%s:%u: %s needs go1.%u", path, lineno, verbs[k],
			             since[k]);
			break;
		}
		if (!strcmp(rest, "(")) {
			if (k < 3)
				ok = decline(why, "%s:%u: %s ( ... )", path, lineno, verbs[k]);
			in_block = (int)k + 1;
			continue;
		}
		if (strchr(rest, '(') || strchr(rest, ')') || (k >= 3 && !gomod_args_ok(k, rest))) {
			ok = decline(why, "%s:%u: a line golive does not read", path, lineno);
			break;
		}
		m->requires += k == 3;
		if (k == 0) { /* module PATH or module "PATH" */
			size_t n = strlen(rest);
			if (m->module || (rest[0] == '"' && (n < 2 || rest[n - 1] != '"'))) {
				ok = decline(why, "%s:%u: module line", path, lineno);
				break;
			}
			if (rest[0] == '"') {
				rest++;
				rest[n - 2] = '\0';
			}
			if (!path_ok(rest, strlen(rest)) || !strcmp(rest, "std") ||
			    !strcmp(rest, "cmd") || starts_with(rest, "cmd/")) {
				ok = decline(why, "%s:%u: module path \"%s\"", path, lineno, rest);
				break;
			}
			m->module = xstrdup(rest);
		} else if (k == 1 || k == 2) {
			struct goversion v;
			if (strpbrk(rest, " \t") || goversion_parse(rest, &v) < 0 ||
			    (k == 1 ? has_go : m->has_toolchain)) {
				ok = decline(why, "%s:%u: %s line", path, lineno, verbs[k]);
				break;
			}
			if (k == 1) {
				m->go = v;
				has_go = 1;
			} else {
				m->toolchain = v;
				m->has_toolchain = 1;
			}
		}
	}
	if (ok && in_block)
		ok = decline(why, "%s: an unclosed ( block", path);
	if (ok && !m->module)
		ok = decline(why, "%s: no module line", path);
	if (ok && !has_go && goversion_parse("1.16", &m->go) < 0)
		ok = decline(why, "go1.16");
	strbuf_release(&sb);
	return ok;
}

void modwalk_gomod_release(struct modwalk_gomod *m)
{
	free(m->module);
	memset(m, 0, sizeof(*m));
}

/* modwalk_parse_gomod() of the file at path. */
static int gomod_read(const char *path, const struct goversion *tv, struct modwalk_gomod *m,
                      char **why)
{
	struct strbuf sb = STRBUF_INIT;
	memset(m, 0, sizeof(*m));
	if (strbuf_read_file(&sb, path, MAX_GOMOD_BYTES) < 0) {
		strbuf_release(&sb);
		return decline(why, "%s: %s", path, strerror(errno));
	}
	int ok = modwalk_parse_gomod(path, sb.buf, sb.len, tv, m, why);
	strbuf_release(&sb);
	return ok;
}

/* The directory of the nearest go.mod at or above dir (absolute), or NULL; malloc'd. */
static char *find_up(const char *dir, const char *name)
{
	char *d = xstrdup(dir);
	for (;;) {
		char *f = xasprintf("%s/%s", strcmp(d, "/") ? d : "", name);
		struct stat st;
		int found = stat(f, &st) == 0 && !S_ISDIR(st.st_mode);
		free(f);
		if (found)
			return d;
		char *slash = strrchr(d, '/');
		if (!slash || !strcmp(d, "/"))
			break;
		slash[slash == d ? 1 : 0] = '\0';
	}
	free(d);
	return NULL;
}

/* ---- a file's package and import clauses --------------------------------- */

struct lex {
	const char *s;
	size_t n, i;
	int nl; /* a newline since the last token */
};

/* Skips white space and comments; -1 for an unterminated comment. */
static int lex_skip(struct lex *l)
{
	l->nl = 0;
	while (l->i < l->n) {
		char ch = l->s[l->i];
		if (ch == ' ' || ch == '\t' || ch == '\r') {
			l->i++;
		} else if (ch == '\n') {
			l->nl = 1;
			l->i++;
		} else if (ch == '/' && l->i + 1 < l->n && l->s[l->i + 1] == '/') {
			const char *e = memchr(l->s + l->i, '\n', l->n - l->i);
			l->i = e ? (size_t)(e - l->s) : l->n;
		} else if (ch == '/' && l->i + 1 < l->n && l->s[l->i + 1] == '*') {
			const char *e = memmem(l->s + l->i + 2, l->n - l->i - 2, "*/", 2);
			if (!e)
				return -1;
			if (memchr(l->s + l->i, '\n', (size_t)(e - (l->s + l->i))))
				l->nl = 1;
			l->i = (size_t)(e - l->s) + 2;
		} else {
			break;
		}
	}
	return 0;
}

static int is_ident_byte(char ch, int first)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
	       (!first && ch >= '0' && ch <= '9');
}

/* An ASCII identifier at the current position: its length (0: none), not consumed. */
static size_t lex_ident(const struct lex *l)
{
	size_t k = 0;
	while (l->i + k < l->n && is_ident_byte(l->s[l->i + k], k == 0))
		k++;
	if (l->i + k < l->n && (unsigned char)l->s[l->i + k] >= 0x80)
		return 0; /* a non-ASCII identifier: not read here */
	return k;
}

static int lex_word(struct lex *l, const char *w)
{
	size_t k = lex_ident(l), n = strlen(w);
	if (k != n || memcmp(l->s + l->i, w, n))
		return 0;
	l->i += n;
	return 1;
}

/* An import spec: [name | . ] "path"; -1 when it is not one golive reads. */
static int import_spec(struct lex *l, struct modwalk_file *fi)
{
	size_t k = lex_ident(l);
	if (k) {
		l->i += k;
	} else if (l->i < l->n && l->s[l->i] == '.') {
		l->i++;
	}
	if (lex_skip(l) < 0 || l->i >= l->n || (l->s[l->i] != '"' && l->s[l->i] != '`'))
		return -1;
	char q = l->s[l->i++];
	size_t start = l->i;
	while (l->i < l->n && l->s[l->i] != q) {
		char ch = l->s[l->i];
		if (!is_ident_byte(ch, 0) && !strchr("./~+-", ch))
			return -1;
		l->i++;
	}
	if (l->i >= l->n || l->i == start)
		return -1;
	size_t len = l->i - start;
	l->i++;
	if (len == 1 && l->s[start] == 'C')
		fi->imports_c = 1;
	if (len == 5 && !memcmp(l->s + start, "embed", 5))
		fi->imports_embed = 1;
	return 0;
}

/* After a spec or clause: ";" or a newline (or the end, or ")" when in parens). */
static int lex_end(struct lex *l, int paren)
{
	if (lex_skip(l) < 0)
		return -1;
	if (l->i < l->n && l->s[l->i] == ';') {
		l->i++;
		return 0;
	}
	if (l->nl || l->i >= l->n || (paren && l->s[l->i] == ')'))
		return 0;
	return -1;
}

/*
 * Reads the package clause and the imports of a file's header (len bytes,
 * truncated when the file goes on) into fi. Returns 0, or -1 with *why
 * when it is something go/build could see otherwise than golive.
 */
int modwalk_parse_header(const char *path, const char *buf, size_t len, int truncated,
                         struct modwalk_file *fi, char **why)
{
	struct lex l = {buf, len, 0, 0};
	memset(fi, 0, sizeof(*fi));
	if (!buf)
		return decline(why, "%s cannot be read", path), -1;
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		return decline(why, "%s starts with a byte order mark", path), -1;
	if (lex_skip(&l) < 0 || !lex_word(&l, "package"))
		return decline(why, "%s: no package clause golive reads", path), -1;
	size_t before = l.i;
	if (memmem(buf, before, "goexperiment.", 13) || memmem(buf, before, "//go:debug", 10))
		return decline(why, "%s: goexperiment tags or //go:debug", path), -1;
	lex_skip(&l);
	size_t k = lex_ident(&l);
	if (!k || k >= sizeof(fi->pkg) || (k == 1 && buf[l.i] == '_'))
		return decline(why, "%s: a package name golive does not read", path), -1;
	memcpy(fi->pkg, buf + l.i, k);
	fi->pkg[k] = '\0';
	l.i += k;
	if (lex_end(&l, 0) < 0)
		return decline(why, "%s: after the package clause", path), -1;
	for (;;) {
		if (lex_skip(&l) < 0)
			return decline(why, "%s: an unterminated comment", path), -1;
		if (!lex_word(&l, "import"))
			break;
		if (lex_skip(&l) < 0)
			return decline(why, "%s: an import golive does not read", path), -1;
		if (l.i < l.n && buf[l.i] == '(') {
			l.i++;
			for (;;) {
				if (lex_skip(&l) < 0 || l.i >= l.n)
					return decline(why, "%s: an import golive does not read",
					               path),
					       -1;
				if (buf[l.i] == ')') {
					l.i++;
					break;
				}
				if (import_spec(&l, fi) < 0 || lex_end(&l, 1) < 0)
					return decline(why, "%s: an import golive does not read",
					               path),
					       -1;
			}
		} else if (import_spec(&l, fi) < 0) {
			return decline(why, "%s: an import golive does not read", path), -1;
		}
		if (lex_end(&l, 0) < 0)
			return decline(why, "%s: after an import", path), -1;
	}
	if (l.i >= l.n && truncated)
		return decline(why, "%s: imports beyond what was read", path), -1;
	if (fi->imports_c && memmem(buf, l.i, "#cgo", 4))
		return decline(why, "%s: #cgo lines", path), -1;
	if (fi->imports_embed)
		return decline(why, "%s imports embed", path), -1;
	return 0;
}

/* ---- the walk ------------------------------------------------------------ */

struct walker {
	struct modwalk *out;
	const struct buildctx *bc;
	const char *modroot, *modpath;
	int tests;
	char **why;
	int failed;
	struct argv_array seen; /* directories visited (absolute) */
};

/* What one directory's files say, gathered from godir's callbacks. */
struct dirscan {
	struct walker *w;
	const char *dir;
	char name[128]; /* the package name (xtest's without _test) */
	int failed;
};

static void scan_problem(void *data, const char *path, const char *message)
{
	struct dirscan *ds = data;
	ds->failed = 1;
	decline(ds->w->why, "%s: %s", path, message);
}

static void scan_header(void *data, const char *name, const char *buf, size_t len, int truncated,
                        int kept)
{
	struct dirscan *ds = data;
	struct modwalk_file fi;
	if (ds->failed)
		return;
	char *path = xasprintf("%s/%s", ds->dir, name);
	if (modwalk_parse_header(path, buf, len, truncated, &fi, ds->w->why) < 0) {
		ds->failed = 1;
		free(path);
		return;
	}
	if (fi.imports_c == kept && !ds->w->bc->cgo) {
		/* godir reads `import "C"` lines only: a grouped one, or one in a comment */
		ds->failed =
		    !decline(ds->w->why, "%s: an import of \"C\" golive reads otherwise", path);
		free(path);
		return;
	}
	int test = ends_with(name, "_test.go");
	size_t n = strlen(fi.pkg);
	if (test && fi.imports_c) {
		ds->failed = !decline(ds->w->why, "%s: a test importing \"C\"", path);
	} else if (test && n > 5 && ends_with(fi.pkg, "_test")) {
		fi.pkg[n - 5] = '\0';
	} else if (ends_with(fi.pkg, "_test") || !strcmp(fi.pkg, "documentation")) {
		ds->failed = !decline(ds->w->why, "%s: package %s", path, fi.pkg);
	}
	if (!ds->failed && !ds->name[0])
		memcpy(ds->name, fi.pkg, sizeof(ds->name));
	else if (!ds->failed && strcmp(ds->name, fi.pkg))
		ds->failed =
		    !decline(ds->w->why, "%s: packages %s and %s", ds->dir, ds->name, fi.pkg);
	free(path);
}

static int cmp_case(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* Two of names equal but for case (sorts names). */
static const char *fold_dup(struct argv_array *names)
{
	if (names->argc > 1)
		qsort(names->argv, names->argc, sizeof(char *), cmp_case);
	for (size_t i = 1; i < names->argc; i++)
		if (!strcasecmp(names->argv[i - 1], names->argv[i]))
			return names->argv[i];
	return NULL;
}

/* The package in directory abs (rel: its path below the module root, "" for the root). */
static void walk_package(struct walker *w, const char *abs, const char *rel)
{
	struct argv_array names = ARGV_ARRAY_INIT;
	struct dirscan ds;
	memset(&ds, 0, sizeof(ds));
	ds.w = w;
	ds.dir = abs;
	if (godir_files_scan(abs, w->bc, 1, &names, scan_problem, &ds, scan_header, &ds) < 0) {
		w->failed = !decline(w->why, "%s: %s", abs, strerror(errno));
	} else if (ds.failed) {
		w->failed = 1;
	} else if (names.argc) {
		struct modwalk_pkg p;
		p.import_path = *rel ? xasprintf("%s/%s", w->modpath, rel) : xstrdup(w->modpath);
		p.dir = xstrdup(abs);
		memset(&p.files, 0, sizeof(p.files));
		for (size_t i = 0; i < names.argc; i++)
			if (w->tests || !ends_with(names.argv[i], "_test.go"))
				argv_push(&p.files, names.argv[i]);
		ARRAY_PUSH(w->out->pkgs, p);
	}
	argv_clear(&names);
}

/*
 * The extension when name is a C, C++, Objective-C, Fortran or SWIG file:
 * cmd/go's load reports those in a package without cgo (with cgo off it
 * drops them; assembly, headers and .syso files it takes as they are).
 */
static const char *other_source(const char *name)
{
	static const char *const exts[] = {".c", ".cc",  ".cpp", ".cxx",  ".m",      ".f",
	                                   ".F", ".for", ".f90", ".swig", ".swigcxx"};
	const char *dot = strrchr(name, '.');
	return dot && in_list(dot, exts, ARRAY_SIZE(exts)) ? dot : NULL;
}

static void walk(struct walker *w, const char *abs, const char *rel, unsigned depth)
{
	struct argv_array subs = ARGV_ARRAY_INIT, all = ARGV_ARRAY_INIT;
	char *other = NULL; /* a C, C++, ... or SWIG file's name */
	if (w->failed)
		return;
	for (size_t i = 0; i < w->seen.argc; i++)
		if (!strcmp(w->seen.argv[i], abs))
			return; /* under two patterns */
	argv_push(&w->seen, abs);
	if (depth > MAX_DEPTH) {
		w->failed = !decline(w->why, "%s: deeper than %d levels", abs, MAX_DEPTH);
		return;
	}
	DIR *d = opendir(abs);
	if (!d) {
		w->failed = !decline(w->why, "%s: %s", abs, strerror(errno));
		return;
	}
	for (struct dirent *e; (e = readdir(d));) {
		const char *n = e->d_name;
		struct stat st;
		if (!strcmp(n, ".") || !strcmp(n, ".."))
			continue;
		argv_push(&all, n);
		if (n[0] == '.' || n[0] == '_' || !strcmp(n, "testdata") || !strcmp(n, "vendor"))
			continue;
		if (!other && other_source(n))
			other = xstrdup(n);
		int isdir = e->d_type == DT_DIR;
		if (e->d_type == DT_UNKNOWN && fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) == 0)
			isdir = S_ISDIR(st.st_mode);
		if (!isdir && (e->d_type == DT_LNK || e->d_type == DT_UNKNOWN) &&
		    fstatat(dirfd(d), n, &st, 0) == 0 && S_ISDIR(st.st_mode)) {
			w->failed = !decline(w->why, "%s/%s: a symlink to a directory", abs, n);
			break;
		}
		if (!isdir)
			continue;
		if (!elem_ok(n, strlen(n))) {
			w->failed = !decline(w->why, "%s/%s: a directory name golive does not take",
			                     abs, n);
			break;
		}
		char *gomod = xasprintf("%s/go.mod", n);
		int nested = fstatat(dirfd(d), gomod, &st, 0) == 0 && !S_ISDIR(st.st_mode);
		free(gomod);
		if (!nested) /* a nested module is not part of ./... */
			argv_push(&subs, n);
	}
	closedir(d);
	const char *dup = w->failed ? NULL : fold_dup(&all);
	if (dup)
		w->failed = !decline(w->why, "%s: names equal but for case (%s)", abs, dup);
	argv_clear(&all);
	size_t before = w->out->pkgs.n;
	if (!w->failed)
		walk_package(w, abs, rel);
	if (w->out->pkgs.n > before && other)
		w->failed =
		    !decline(w->why, "%s/%s: go list checks C, C++ and such files", abs, other);
	free(other);
	if (subs.argc)
		qsort(subs.argv, subs.argc, sizeof(char *), cmp_case);
	for (size_t i = 0; i < subs.argc && !w->failed; i++) {
		char *sa = xasprintf("%s/%s", strcmp(abs, "/") ? abs : "", subs.argv[i]);
		char *sr = *rel ? xasprintf("%s/%s", rel, subs.argv[i]) : xstrdup(subs.argv[i]);
		walk(w, sa, sr, depth + 1);
		free(sa);
		free(sr);
	}
	argv_clear(&subs);
}

/* ---- patterns ------------------------------------------------------------ */

/* The directory below cwd that pattern ./X/... or ./... walks ("" for "."), or NULL. */
static char *pattern_dir(const char *p)
{
	if (!strcmp(p, "./..."))
		return xstrdup("");
	if (!starts_with(p, "./") || !ends_with(p, "/...") || strlen(p) < 7)
		return NULL;
	char *rel = xstrndup(p + 2, strlen(p) - 6);
	if (strstr(rel, "...") || !path_ok(rel, strlen(rel))) {
		free(rel);
		return NULL;
	}
	return rel;
}

int modwalk_resolve(const char *cwd, const struct argv_array *patterns, const char *tags, int tests,
                    const char *go, struct modwalk *out, char **why)
{
	struct goversion tv = GOVERSION_UNKNOWN;
	struct buildctx bc;
	struct modwalk_gomod m;
	struct walker w;
	char *modroot = NULL, *work = NULL, *ver = NULL, *relcwd = NULL;
	int ok = 0, have_bc = 0;

	memset(out, 0, sizeof(*out));
	memset(&m, 0, sizeof(m));
	memset(&w, 0, sizeof(w));
	*why = NULL;
	if (!patterns->argc) {
		decline(why, "no pattern");
		goto out;
	}
	for (size_t i = 0; i < patterns->argc; i++) {
		char *rel = pattern_dir(patterns->argv[i]);
		if (!rel) {
			decline(why, "pattern %s", patterns->argv[i]);
			goto out;
		}
		free(rel);
	}
	if (!env_ok(tags, why))
		goto out;
	ver = gotool_goroot_version(go);
	if (!ver || goversion_parse(ver, &tv) < 0 || !goversion_known(&tv) ||
	    tv.pre == GOVERSION_DEVEL) {
		decline(why, "the toolchain's version is unknown (%s)",
		        ver ? ver : "no VERSION file");
		goto out;
	}
	buildctx_from_env(&bc, tags, &tv);
	have_bc = 1;
	if (!buildctx_ok(&bc, why))
		goto out;
	cgo_default(&bc, &tv);

	modroot = find_up(cwd, "go.mod");
	if (!modroot) {
		decline(why, "no go.mod");
		goto out;
	}
	if ((!getenv("GOWORK") || !*getenv("GOWORK")) && (work = find_up(cwd, "go.work"))) {
		decline(why, "%s/go.work", work);
		goto out;
	}
	char *gomod = xasprintf("%s/go.mod", strcmp(modroot, "/") ? modroot : "");
	int read = gomod_read(gomod, &tv, &m, why);
	if (read && goversion_cmp(&m.go, &tv) > 0)
		read = decline(why, "%s's go line is newer than %s", gomod, ver);
	if (read && m.requires && !goversion_at_least(&m.go, 1, 17))
		read = decline(why, "%s: go before 1.17 loads the whole module graph", gomod);
	if (read && m.has_toolchain && goversion_cmp(&m.toolchain, &tv) > 0)
		read = decline(why, "%s's toolchain line is newer than %s", gomod, ver);
	free(gomod);
	if (!read)
		goto out;
	char *vendor = xasprintf("%s/vendor", modroot);
	struct stat st;
	int has_vendor = stat(vendor, &st) == 0 && S_ISDIR(st.st_mode);
	free(vendor);
	if (has_vendor) {
		decline(why, "%s/vendor: go may build in vendor mode", modroot);
		goto out;
	}
	size_t rn = strlen(modroot);
	if (!strcmp(modroot, "/"))
		rn = 0;
	relcwd = xstrdup(cwd[rn] == '/' ? cwd + rn + 1 : cwd + rn);
	if (*relcwd && !path_ok(relcwd, strlen(relcwd))) {
		decline(why, "the cwd %s is no plain import path in its module", cwd);
		goto out;
	}

	w.out = out;
	w.bc = &bc;
	w.modroot = modroot;
	w.modpath = m.module;
	w.tests = tests;
	w.why = why;
	for (size_t i = 0; i < patterns->argc && !w.failed; i++) {
		char *rel = pattern_dir(patterns->argv[i]);
		char *abs =
		    *rel ? xasprintf("%s/%s", strcmp(cwd, "/") ? cwd : "", rel) : xstrdup(cwd);
		char *real = realpath(abs, NULL);
		char *inmod = NULL, *modrel = NULL;
		if (!real || strcmp(real, abs) || lstat(abs, &st) != 0 || !S_ISDIR(st.st_mode)) {
			w.failed = !decline(why, "%s: not a directory of its own path", abs);
		} else if (!(inmod = find_up(abs, "go.mod")) || strcmp(inmod, modroot)) {
			w.failed = !decline(why, "%s is in another module (%s)", patterns->argv[i],
			                    inmod ? inmod : "none");
		} else {
			if (*relcwd && *rel)
				modrel = xasprintf("%s/%s", relcwd, rel);
			else
				modrel = xstrdup(*relcwd ? relcwd : rel);
			walk(&w, abs, modrel, 0);
		}
		free(modrel);
		free(inmod);
		free(real);
		free(abs);
		free(rel);
	}
	if (w.failed)
		goto out;
	if (!out->pkgs.n) {
		decline(why, "no package matched");
		goto out;
	}
	struct argv_array paths = ARGV_ARRAY_INIT;
	for (size_t i = 0; i < out->pkgs.n; i++)
		argv_push(&paths, out->pkgs.v[i].import_path);
	const char *dup = fold_dup(&paths);
	if (dup)
		decline(why, "import paths equal but for case (%s)", dup);
	argv_clear(&paths);
	if (dup)
		goto out;
	goversion_lang(&m.go, &out->lang);
	ok = 1;
out:
	if (!ok)
		modwalk_release(out);
	if (!ok && !*why)
		decline(why, "unknown");
	argv_clear(&w.seen);
	if (have_bc)
		buildctx_release(&bc);
	free(m.module);
	free(modroot);
	free(work);
	free(ver);
	free(relcwd);
	return ok;
}

void modwalk_release(struct modwalk *w)
{
	for (size_t i = 0; i < w->pkgs.n; i++) {
		free(w->pkgs.v[i].import_path);
		free(w->pkgs.v[i].dir);
		argv_clear(&w->pkgs.v[i].files);
	}
	ARRAY_FREE(w->pkgs);
	memset(w, 0, sizeof(*w));
}
