/*
 * cache_key.c - see cache_key.h: the key of one `compile` invocation.
 *
 * The work is done in passes over the arguments so that nothing is hashed,
 * and libcrypto not even loaded, for an invocation that is not cacheable:
 *   1. validate: every flag in the allow-list below, none that prints or
 *      writes extra files, -o and -importcfg present, sources absolute;
 *   2. the arguments, normalised ($WORK, -trimpath directories);
 *   3. the inputs' contents, in argument order;
 *   4. the allow-listed environment.
 *
 * Which paths reach the object. compile records a source file's path (and
 * the files of //line directives) as objabi.AbsFile(cwd, file, -trimpath)
 * does: the first -trimpath rule (in list order) whose prefix is a path
 * prefix of the file rewrites it, else a file under $GOROOT is recorded as
 * "$GOROOT/...", else as it is. So a source file's key text is the rule's
 * token plus the rest of the path ("$TRIM0/x.go" for rule 0, "$WORK/b/x.go"
 * for go's "$WORK/bNNN=>" rule), which together with the normalised rules
 * in the key determines the recorded path exactly. Every other path (-o,
 * -importcfg, -embedcfg, -symabis, -pgoprofile, -asmhdr, -linkobj, -I)
 * never reaches the object (the inputs' contents are hashed), so those are
 * normalised freely: $WORK/bNNN to "$WORK/b", the rest of $WORK to "$WORK",
 * a -trimpath directory to its token.
 *
 * The -c flag (backend concurrency, chosen by go from GOMAXPROCS and -p) is
 * left out of the key: compile's output does not depend on it, and go does
 * not put it in its own action IDs either.
 */
#define _GNU_SOURCE
#include "cache/cache_key.h"
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/crypto.h"
#include "core/util.h"

#define CFG_FILE_MAX    (64u << 20)  /* bytes: a larger importcfg or embedcfg is not cached */
#define SOURCE_FILE_MAX (256u << 20) /* bytes: a larger generated source is not cached */

/*
 * The environment that changes what compile writes, in key order:
 * internal/buildcfg's variables (GOOS, GOARCH and the per-architecture
 * levels, GOEXPERIMENT), GOROOT (sources under it are recorded as
 * "$GOROOT/...") and GOROOT_FINAL, and the cgo variables. compile itself
 * never reads CGO_*FLAGS: they change the files cgo generates, which are
 * hashed by content anyway. So they go into the key (cheap insurance) only
 * of a compile that has cgo's generated files among its sources: a package
 * without cgo keeps its key when a cgo flag changes. GODEBUG is left out: it
 * changes how the compiler runs, not what it writes.
 */
const char *const cache_key_env_names[] = {
    "GOOS",        "GOARCH",       "GO386",        "GOAMD64",      "GOARM",      "GOARM64",
    "GOMIPS",      "GOMIPS64",     "GOPPC64",      "GORISCV64",    "GOWASM",     "GOEXPERIMENT",
    "CGO_ENABLED", "CGO_CFLAGS",   "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_FFLAGS", "CGO_LDFLAGS",
    "GOROOT",      "GOROOT_FINAL", NULL,
};

/* Variables that make compile print or write files of its own: never cached when set. */
static const struct {
	const char *name;
	const char *why;
} env_deny[] = {
    {"GOSSAFUNC", "writes ssa.html"},
    {"GOSSADIR", "writes SSA dumps"},
    {"GOSSAHASH", "is an SSA debugging setting"},
    {"GOCOMPILEDEBUG", "is a debug setting (like -d)"},
    {"GOCLOBBERDEADHASH", "is a debug setting"},
};

/* ---- the flag allow-list ---------------------------------------------------- */

enum flag_use {
	USE_KEEP,      /* in the key as given */
	USE_DROP,      /* left out of the key (-c) */
	USE_LOCAL,     /* -D: in the key as given; a non-empty one makes the key dir_bound */
	USE_PATH,      /* -I: a path that never reaches the object (-importcfg decides imports) */
	USE_OUTPUT,    /* -o, -asmhdr, -linkobj: what is restored on a hit */
	USE_INPUT,     /* -symabis, -pgoprofile: content hashed */
	USE_IMPORTCFG, /* content rewritten (packagefile targets hashed) */
	USE_EMBEDCFG,  /* canonical text (embedded files hashed) */
	USE_TRIMPATH,  /* the rewrite rules: their directories become tokens */
	USE_NOCACHE,   /* prints, writes other files, or debugging: not cacheable */
};

struct flag_spec {
	const char *name;
	unsigned char value; /* 1: takes a value (-f v, -f=v); 0: boolean or counter (-f, -f=v) */
	unsigned char use;
	const char *what; /* USE_OUTPUT: the role; USE_NOCACHE: why, after "flag -NAME " */
};

/*
 * cmd/compile's flags (internal/base/flag.go, go 1.19 .. 1.26). Those that
 * go passes: -o -p -trimpath -lang -std -+ -complete -installsuffix -buildid
 * -dwarf=false -goversion -coveragecfg -pgoprofile -symabis -c
 * -nolocalimports -D -importcfg -embedcfg -pack -asmhdr, and from
 * forced or user -gcflags: -race -msan -asan -shared -dynlink -linkshared
 * -N -l -B -spectre -d=... (fuzzing: -d=libfuzzer). The -V probe is
 * refused before this table (tool_invocation.probe).
 */
static const struct flag_spec flags[] = {
    /* with a value */
    {"o", 1, USE_OUTPUT, "o"},
    {"asmhdr", 1, USE_OUTPUT, "asmhdr"},
    {"linkobj", 1, USE_OUTPUT, "linkobj"},
    {"p", 1, USE_KEEP, NULL},
    {"buildid", 1, USE_KEEP, NULL},
    {"lang", 1, USE_KEEP, NULL},
    {"goversion", 1, USE_KEEP, NULL},
    {"installsuffix", 1, USE_KEEP, NULL},
    {"spectre", 1, USE_KEEP, NULL},
    {"gendwarfinl", 1, USE_KEEP, NULL},
    {"memprofilerate", 1, USE_KEEP, NULL},
    {"c", 1, USE_DROP, NULL},
    {"D", 1, USE_LOCAL, NULL},
    {"I", 1, USE_PATH, NULL},
    {"symabis", 1, USE_INPUT, NULL},
    {"pgoprofile", 1, USE_INPUT, NULL},
    {"importcfg", 1, USE_IMPORTCFG, NULL},
    {"embedcfg", 1, USE_EMBEDCFG, NULL},
    {"trimpath", 1, USE_TRIMPATH, NULL},
    {"d", 1, USE_NOCACHE, "is a debug setting"},
    {"json", 1, USE_NOCACHE, "writes optimizer details"},
    {"cpuprofile", 1, USE_NOCACHE, "writes a profile"},
    {"memprofile", 1, USE_NOCACHE, "writes a profile"},
    {"blockprofile", 1, USE_NOCACHE, "writes a profile"},
    {"mutexprofile", 1, USE_NOCACHE, "writes a profile"},
    {"traceprofile", 1, USE_NOCACHE, "writes a trace"},
    {"bench", 1, USE_NOCACHE, "writes benchmark times"},
    {"coveragecfg", 1, USE_NOCACHE, "is a coverage build"},
    {"env", 1, USE_NOCACHE, "changes the compiler's environment"},
    /* booleans and counters */
    {"+", 0, USE_KEEP, NULL},
    {"B", 0, USE_KEEP, NULL},
    {"C", 0, USE_KEEP, NULL},
    {"L", 0, USE_KEEP, NULL},
    {"N", 0, USE_KEEP, NULL},
    {"e", 0, USE_KEEP, NULL},
    {"l", 0, USE_KEEP, NULL},
    {"asan", 0, USE_KEEP, NULL},
    {"clobberdead", 0, USE_KEEP, NULL},
    {"clobberdeadreg", 0, USE_KEEP, NULL},
    {"complete", 0, USE_KEEP, NULL},
    {"dwarf", 0, USE_KEEP, NULL},
    {"dwarfbasentries", 0, USE_KEEP, NULL},
    {"dwarflocationlists", 0, USE_KEEP, NULL},
    {"dynlink", 0, USE_KEEP, NULL},
    {"linkshared", 0, USE_KEEP, NULL},
    {"msan", 0, USE_KEEP, NULL},
    {"nolocalimports", 0, USE_KEEP, NULL},
    {"pack", 0, USE_KEEP, NULL},
    {"race", 0, USE_KEEP, NULL},
    {"shared", 0, USE_KEEP, NULL},
    {"smallframes", 0, USE_KEEP, NULL},
    {"errorurl", 0, USE_KEEP, NULL}, /* go1.26: error messages name their documentation */
    {"std", 0, USE_KEEP, NULL},
    {"wb", 0, USE_KEEP, NULL},
    {"S", 0, USE_NOCACHE, "prints assembly"},
    {"m", 0, USE_NOCACHE, "prints optimization decisions"},
    {"V", 0, USE_NOCACHE, "prints the version"},
    {"v", 0, USE_NOCACHE, "prints debugging output"},
    {"E", 0, USE_NOCACHE, "prints debugging output"},
    {"K", 0, USE_NOCACHE, "prints debugging output"},
    {"W", 0, USE_NOCACHE, "prints debugging output"},
    {"j", 0, USE_NOCACHE, "prints debugging output"},
    {"r", 0, USE_NOCACHE, "prints debugging output"},
    {"w", 0, USE_NOCACHE, "prints debugging output"},
    {"%", 0, USE_NOCACHE, "prints debugging output"},
    {"live", 0, USE_NOCACHE, "prints debugging output"},
    {"t", 0, USE_NOCACHE, "traces the compiler"},
    {"h", 0, USE_NOCACHE, "is a debugging setting"},
};

/* One flag as Go's flag package reads it. */
struct flagword {
	const struct flag_spec *spec;
	const char *word;  /* args[at]: the flag itself */
	size_t namelen;    /* its name: word + dashes .. + namelen */
	const char *value; /* after '=' in word, or the next word, or NULL */
	int separate;      /* the value is the next word */
};

/*
 * Reads the flag at args[*i] like Go's flag.Parse (one or two dashes,
 * "--" ends the flags, a non-flag word ends them, a value flag takes
 * "=v" or the next word). Returns 1 with *fw and *i past it, 0 at the end
 * of the flags (*i the first source file), or -1 with *why.
 */
static int next_flag(char *const *args, size_t n, size_t *i, struct flagword *fw, char **why)
{
	const char *w, *name, *eq;
	size_t len;

	if (*i >= n)
		return 0;
	w = args[*i];
	if (w[0] != '-' || w[1] == '\0')
		return 0;
	name = w + 1;
	if (name[0] == '-') {
		name++;
		if (name[0] == '\0') {
			(*i)++;
			return 0;
		}
	}
	if (name[0] == '\0' || name[0] == '-' || name[0] == '=') {
		*why = xasprintf("flag %.40s not understood", w);
		return -1;
	}
	eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	memset(fw, 0, sizeof(*fw));
	for (size_t k = 0; k < ARRAY_SIZE(flags); k++)
		if (strlen(flags[k].name) == len && memcmp(flags[k].name, name, len) == 0) {
			fw->spec = &flags[k];
			break;
		}
	if (!fw->spec) {
		*why = xasprintf("flag -%.*s not understood", (int)(len < 40 ? len : 40), name);
		return -1;
	}
	fw->word = w;
	fw->namelen = (size_t)(name - w) + len;
	(*i)++;
	if (eq) {
		fw->value = eq + 1;
	} else if (fw->spec->value) {
		if (*i >= n) {
			*why = xasprintf("flag -%s needs a value", fw->spec->name);
			return -1;
		}
		fw->value = args[(*i)++];
		fw->separate = 1;
	}
	return 1;
}

/* Go's strconv.ParseBool true (a boolean flag without "=v" is true). */
static int bool_true(const char *v)
{
	return !v || !strcmp(v, "1") || !strcmp(v, "t") || !strcmp(v, "T") || !strcmp(v, "true") ||
	       !strcmp(v, "TRUE") || !strcmp(v, "True");
}

/* ---- paths ------------------------------------------------------------------ */

/* One -trimpath rule "prefix" or "prefix=>replace" (objabi.applyRewrite). */
struct trim_rule {
	const char *prefix, *replace;
	size_t plen, rlen;
	int arrow;      /* "=>" present */
	char token[32]; /* what prefix becomes in the key: "$TRIM<i>" or "$WORK/b" */
};

struct paths {
	const char *work, *objdir; /* $WORK and $WORK/bNNN, or NULL when not recognised */
	size_t worklen, objdirlen;
	const char *goroot; /* $GOROOT (the tool's environment), or NULL */
	size_t gorootlen;
	struct trim_rule *rules;
	size_t nrules;
	int dir_bound;
};

/* objabi.hasPathPrefix: t is s or a leading run of s's elements (ASCII case and slash folded). */
static int go_has_path_prefix(const char *s, size_t slen, const char *t, size_t tlen)
{
	size_t i;

	if (tlen > slen)
		return 0;
	for (i = 0; i < tlen; i++) {
		int cs = (unsigned char)s[i], ct = (unsigned char)t[i];
		if (cs >= 'A' && cs <= 'Z')
			cs += 'a' - 'A';
		if (ct >= 'A' && ct <= 'Z')
			ct += 'a' - 'A';
		if (cs == '\\')
			cs = '/';
		if (ct == '\\')
			ct = '/';
		if (cs != ct)
			return 0;
	}
	return i >= slen || s[i] == '/' || s[i] == '\\';
}

/* Byte-exact: s starts with dir, followed by '/' or the end. */
static int under(const char *s, const char *dir, size_t dirlen)
{
	return dir && dirlen && !strncmp(s, dir, dirlen) && (s[dirlen] == '/' || s[dirlen] == '\0');
}

/* A path of this machine that would bind the key to a directory. */
static int machine_path(const struct paths *p, const char *s, size_t len)
{
	if (!len || s[0] != '/')
		return 0;
	if (p->goroot && go_has_path_prefix(s, len, p->goroot, p->gorootlen))
		return 0;
	if (p->work && len >= p->worklen && !memcmp(s, p->work, p->worklen) &&
	    (len == p->worklen || s[p->worklen] == '/'))
		return 0;
	return 1;
}

/* The length of "$WORK/b<digits>" at s (just past WORK) when it is an action directory, else 0. */
static size_t action_dir_len(const char *s)
{
	size_t k = 2;

	if (s[0] != '/' || s[1] != 'b' || !(s[2] >= '0' && s[2] <= '9'))
		return 0;
	while (s[k] >= '0' && s[k] <= '9')
		k++;
	return s[k] == '/' || s[k] == '\0' ? k : 0;
}

/*
 * Appends the key text of a path that never reaches the object: $WORK/bNNN
 * becomes "$WORK/b", the rest of $WORK "$WORK", a -trimpath directory its
 * token; anything else stays (and may make the key dir_bound).
 */
static void norm_free_path(struct paths *p, struct strbuf *sb, const char *s)
{
	if (p->work && under(s, p->work, p->worklen)) {
		const char *rest = s + p->worklen;
		size_t k = action_dir_len(rest);
		strbuf_addstr(sb, k ? "$WORK/b" : "$WORK");
		strbuf_addstr(sb, rest + k);
		return;
	}
	for (size_t i = 0; i < p->nrules; i++) {
		const struct trim_rule *r = &p->rules[i];
		if (r->plen && !strncmp(s, r->prefix, r->plen) &&
		    (s[r->plen] == '/' || s[r->plen] == '\0')) {
			strbuf_addstr(sb, r->token);
			strbuf_addstr(sb, s + r->plen);
			return;
		}
	}
	if (machine_path(p, s, strlen(s)))
		p->dir_bound = 1;
	strbuf_addstr(sb, s);
}

/*
 * Appends the key text of a source file (absolute): the first -trimpath
 * rule matching it as compile matches them gives token + rest; else it
 * stays, with $WORK written "$WORK".
 */
static void norm_source(struct paths *p, struct strbuf *sb, const char *s)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < p->nrules; i++) {
		const struct trim_rule *r = &p->rules[i];
		if (r->plen && go_has_path_prefix(s, len, r->prefix, r->plen)) {
			strbuf_addstr(sb, r->token);
			strbuf_addstr(sb, s + r->plen);
			return;
		}
	}
	/* (a directory named just "b" would read like the objdir's token: it stays) */
	if (p->work && under(s, p->work, p->worklen) &&
	    !(s[p->worklen] == '/' && s[p->worklen + 1] == 'b' &&
	      (s[p->worklen + 2] == '/' || !s[p->worklen + 2]))) {
		strbuf_addstr(sb, "$WORK");
		strbuf_addstr(sb, s + p->worklen);
		return;
	}
	if (machine_path(p, s, len))
		p->dir_bound = 1;
	strbuf_addstr(sb, s);
}

/* Appends the -trimpath value with each rule's prefix replaced by its token. */
static void norm_trimpath(struct paths *p, struct strbuf *sb)
{
	for (size_t i = 0; i < p->nrules; i++) {
		const struct trim_rule *r = &p->rules[i];
		if (i)
			strbuf_addch(sb, ';');
		if (r->plen)
			strbuf_addstr(sb, r->token);
		if (r->arrow) {
			strbuf_addstr(sb, "=>");
			strbuf_add(sb, r->replace, r->rlen);
		}
	}
}

/*
 * Finds $WORK from the -o file (go's $WORK/bNNN/_pkg_.a, $WORK a go-build*
 * directory) and splits the -trimpath value into rules with their tokens.
 */
static void paths_init(struct paths *p, const char *output, const char *trimpath)
{
	const char *slash;

	memset(p, 0, sizeof(*p));
	p->goroot = getenv("GOROOT");
	if (p->goroot && p->goroot[0])
		p->gorootlen = strlen(p->goroot);
	else
		p->goroot = NULL;

	slash = output[0] == '/' ? strrchr(output, '/') : NULL;
	if (slash && slash > output) {
		const char *objdir_end = slash, *work_end;
		const char *s = objdir_end;
		while (s > output && s[-1] != '/')
			s--;
		/* s: the objdir's last element, which must be b<digits> */
		work_end = s - 1;
		if (s > output + 1 && action_dir_len(work_end) == (size_t)(objdir_end - work_end)) {
			const char *b = work_end;
			while (b > output && b[-1] != '/')
				b--;
			if (!strncmp(b, "go-build", 8)) {
				p->work = output;
				p->worklen = (size_t)(work_end - output);
				p->objdir = output;
				p->objdirlen = (size_t)(objdir_end - output);
			}
		}
	}

	if (!trimpath)
		return;
	p->nrules = 1;
	for (const char *c = trimpath; *c; c++)
		if (*c == ';')
			p->nrules++;
	p->rules = xcalloc(p->nrules, sizeof(*p->rules));
	const char *start = trimpath;
	for (size_t i = 0; i < p->nrules; i++) {
		struct trim_rule *r = &p->rules[i];
		const char *end = strchr(start, ';'), *arrow = NULL;
		if (!end)
			end = start + strlen(start);
		for (const char *c = start; c + 1 < end; c++)
			if (c[0] == '=' && c[1] == '>')
				arrow = c; /* the last "=>", as strings.LastIndex */
		r->prefix = start;
		r->plen = arrow ? (size_t)(arrow - start) : (size_t)(end - start);
		if (arrow) {
			r->arrow = 1;
			r->replace = arrow + 2;
			r->rlen = (size_t)(end - r->replace);
		}
		if (p->objdir && r->plen == p->objdirlen && !memcmp(r->prefix, p->objdir, r->plen))
			snprintf(r->token, sizeof(r->token), "$WORK/b");
		else
			snprintf(r->token, sizeof(r->token), "$TRIM%zu", i);
		/* A rewrite to a directory of this machine keeps it in every object. */
		if (machine_path(p, r->replace ? r->replace : "", r->rlen))
			p->dir_bound = 1;
		start = *end ? end + 1 : end;
	}
}

/* ---- files ------------------------------------------------------------------ */

/* Reads a regular file of at most max bytes into sb (O_NONBLOCK: a FIFO is refused, not waited on).
 */
static int read_regular(struct strbuf *sb, const char *path, size_t max, char **why)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), trunc = 0;

	if (fd < 0) {
		*why = xasprintf("unreadable input %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		*why = xasprintf("unreadable input %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = xasprintf("unreadable input %s: %s", path,
		                 S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
		close(fd);
		return -1;
	}
	if (strbuf_read_fd(sb, fd, max, &trunc) < 0 || trunc) {
		*why = xasprintf("unreadable input %s: %s", path,
		                 trunc ? "too large" : strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* A hash_file with a context: the production one counts the bytes it hashed. */
struct hasher {
	int (*fn)(void *ctx, const char *path, char hex[65], char **why);
	void *ctx;
};

static int hash_counted(void *ctx, const char *path, char hex[65], char **why);

/* ---- memoised hashes of dependencies' archives (cache_key_set_memo_dir) ------ */

static char *memo_dir;

void cache_key_set_memo_dir(const char *dir)
{
	free(memo_dir);
	memo_dir = dir ? xstrdup(dir) : NULL;
	if (memo_dir)
		mkdir(memo_dir, 0700);
}

/* The memo file of path as it is now (identity, size, times), or NULL. */
static char *memo_path(const char *path)
{
	struct stat st;
	char id[128];
	if (!memo_dir || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return NULL;
	int n = snprintf(
	    id, sizeof(id), "%llu.%llu.%lld.%lld.%ld.%lld.%ld", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
	    (long)st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec, (long)st.st_ctim.tv_nsec);
	XXH64_hash_t h = XXH64(path, strlen(path), XXH64(id, (size_t)n, 0));
	return xasprintf("%s/%016llx", memo_dir, (unsigned long long)h);
}

/*
 * hash_counted for a dependency's archive named by the importcfg: the same
 * files are named by many compiles of a build, so their hashes are kept in
 * the memo directory (golive's session), keyed by path, identity, size and
 * times: a file rewritten in place (go's build ID stamp) gets a new entry.
 */
static int hash_memo(void *ctx, const char *path, char hex[65], char **why)
{
	char *memo = memo_path(path);
	if (memo) {
		char buf[65];
		int fd = open(memo, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t n = read(fd, buf, 64);
			close(fd);
			if (n == 64) {
				int ok = 1;
				for (int i = 0; i < 64; i++)
					ok &= (buf[i] >= '0' && buf[i] <= '9') ||
					      (buf[i] >= 'a' && buf[i] <= 'f');
				if (ok) {
					memcpy(hex, buf, 64);
					hex[64] = '\0';
					free(memo);
					return 0;
				}
			}
		}
	}
	int rc = hash_counted(ctx, path, hex, why);
	if (rc == 0 && memo) {
		char *tmp = xasprintf("%s.%d", memo, (int)getpid());
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0) {
			int ok = write_all(fd, hex, 64) == 0;
			close(fd);
			if (!ok || rename(tmp, memo) < 0)
				unlink(tmp);
		}
		free(tmp);
	}
	free(memo);
	return rc;
}

static int hash_counted(void *ctx, const char *path, char hex[65], char **why)
{
	unsigned long long size = 0, *total = ctx;
	char *cause = NULL;

	if (sha256_file_hex(path, hex, &size, &cause)) {
		*why = xasprintf("unreadable input %s", cause);
		free(cause);
		return -1;
	}
	*total += size;
	return 0;
}

struct user_hash {
	int (*fn)(const char *path, char hex[65], char **why);
};

static int hash_user(void *ctx, const char *path, char hex[65], char **why)
{
	const struct user_hash *u = ctx;
	char *cause = NULL;

	if (u->fn(path, hex, &cause)) {
		*why = cause ? cause : xasprintf("cannot hash %s", path);
		return -1;
	}
	free(cause);
	return 0;
}

/* Replaces control bytes with '?' so that a message stays one line. */
static char *one_line(char *s)
{
	for (char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return s;
}

/* ---- importcfg -------------------------------------------------------------- */

static int ascii_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/*
 * strings.TrimSpace for the ASCII spaces; -1 when a non-ASCII byte is left
 * at either end (Go would trim a Unicode space there: never guessed).
 */
static int trim_space(const char **s, size_t *len)
{
	while (*len && ascii_space((unsigned char)(*s)[0]))
		(*s)++, (*len)--;
	while (*len && ascii_space((unsigned char)(*s)[*len - 1]))
		(*len)--;
	if (*len && (((unsigned char)(*s)[0] & 0x80) || ((unsigned char)(*s)[*len - 1] & 0x80)))
		return -1;
	return 0;
}

/* One importcfg line (readImportCfg): appended to out rewritten, or dropped. 0, or -1 with *why. */
static int importcfg_line(const char *line, size_t n, size_t lineno, struct strbuf *out,
                          struct strbuf *path, const struct hasher *h, char **why)
{
	const char *verb, *args, *eq;
	size_t vlen, alen;
	char hex[65];

	if (trim_space(&line, &n)) {
		*why = xasprintf("importcfg: line %zu: unexpected non-ASCII space", lineno);
		return -1;
	}
	if (n == 0 || line[0] == '#')
		return 0;
	verb = line;
	args = memchr(line, ' ', n);
	vlen = args ? (size_t)(args - line) : n;
	alen = 0;
	if (args) {
		args++;
		alen = n - vlen - 1;
		if (trim_space(&args, &alen)) {
			*why = xasprintf("importcfg: line %zu: unexpected non-ASCII space", lineno);
			return -1;
		}
	} else {
		args = line + n;
	}
	eq = memchr(args, '=', alen);
	if (vlen == 9 && !memcmp(verb, "importmap", 9)) {
		if (!eq || eq == args || eq == args + alen - 1) {
			*why = xasprintf("importcfg: line %zu: invalid importmap", lineno);
			return -1;
		}
		strbuf_addstr(out, "importmap ");
		strbuf_add(out, args, alen);
		strbuf_addch(out, '\n');
		return 0;
	}
	if (vlen == 11 && !memcmp(verb, "packagefile", 11)) {
		if (!eq || eq == args || eq == args + alen - 1) {
			*why = xasprintf("importcfg: line %zu: invalid packagefile", lineno);
			return -1;
		}
		strbuf_reset(path);
		strbuf_add(path, eq + 1, (size_t)(args + alen - eq - 1));
		if (h->fn(h->ctx, path->buf, hex, why))
			return -1;
		strbuf_addstr(out, "packagefile ");
		strbuf_add(out, args, (size_t)(eq - args));
		strbuf_addstr(out, "=sha256:");
		strbuf_addstr(out, hex);
		strbuf_addch(out, '\n');
		return 0;
	}
	*why = xasprintf("importcfg: line %zu: unknown directive \"%.*s\"", lineno,
	                 (int)(vlen < 40 ? vlen : 40), verb);
	return -1;
}

static int importcfg_rewrite(const char *text, size_t len, struct strbuf *out,
                             const struct hasher *h, char **why)
{
	struct strbuf path = STRBUF_INIT;
	const char *p, *end;
	size_t lineno = 0;
	int ret = 0;

	if (!text)
		text = "", len = 0;
	p = text;
	end = text + len;

	if (len && memchr(text, '\0', len)) {
		*why = xstrdup("importcfg: NUL byte");
		return -1;
	}
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (importcfg_line(p, n, ++lineno, out, &path, h, why)) {
			one_line(*why);
			ret = -1;
			break;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	strbuf_release(&path);
	return ret;
}

int cache_key_importcfg(const char *text, size_t len, struct strbuf *out,
                        int (*hash_file)(const char *path, char hex[65], char **why), char **why)
{
	struct user_hash u = {hash_file};
	struct hasher h = {hash_user, &u};

	return importcfg_rewrite(text, len, out, &h, why);
}

/* ---- embedcfg --------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of object o, sorted, in a new array (free it); *n their number. */
static const char **sorted_keys(json_t *o, size_t *n)
{
	const char **keys = xmalloc((json_object_size(o) + 1) * sizeof(*keys));
	const char *k;
	json_t *v;
	size_t i = 0;

	json_object_foreach(o, k, v)
	{
		keys[i++] = k;
	}
	qsort(keys, i, sizeof(*keys), cmp_str);
	*n = i;
	return keys;
}

static int embedcfg_canonical(const char *text, size_t len, struct strbuf *out,
                              const struct hasher *h, char **why)
{
	json_error_t err;
	json_t *root, *patterns, *files, *v;
	const char **keys = NULL, *k;
	size_t n = 0;
	int ret = -1;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		*why = one_line(xasprintf("embedcfg: %s (line %d)", err.text, err.line));
		return -1;
	}
	if (!json_is_object(root)) {
		*why = xstrdup("embedcfg: not a JSON object");
		goto out;
	}
	json_object_foreach(root, k, v)
	{
		if (strcmp(k, "Patterns") && strcmp(k, "Files")) {
			*why = xasprintf("embedcfg: unexpected member \"%.40s\"", k);
			goto out;
		}
	}
	patterns = json_object_get(root, "Patterns");
	files = json_object_get(root, "Files");
	if (!json_is_object(patterns) || !json_is_object(files)) {
		*why = xstrdup("embedcfg: Patterns and Files must be objects");
		goto out;
	}

	keys = sorted_keys(patterns, &n);
	strbuf_addf(out, "patterns %zu\n", n);
	for (size_t i = 0; i < n; i++) {
		json_t *names = json_object_get(patterns, keys[i]);
		if (strchr(keys[i], '\n')) {
			*why = xstrdup("embedcfg: newline in a pattern");
			goto out;
		}
		if (!json_is_array(names)) {
			*why = xasprintf("embedcfg: pattern \"%.40s\": not a list", keys[i]);
			goto out;
		}
		strbuf_addf(out, "pattern %s\n", keys[i]);
		for (size_t j = 0; j < json_array_size(names); j++) {
			const char *name = json_string_value(json_array_get(names, j));
			if (!name || strchr(name, '\n')) {
				*why = xasprintf("embedcfg: pattern \"%.40s\": bad name", keys[i]);
				goto out;
			}
			strbuf_addf(out, "\t%s\n", name);
		}
	}
	free(keys);

	keys = sorted_keys(files, &n);
	strbuf_addf(out, "files %zu\n", n);
	for (size_t i = 0; i < n; i++) {
		const char *path = json_string_value(json_object_get(files, keys[i]));
		char hex[65];
		if (strchr(keys[i], '\n')) {
			*why = xstrdup("embedcfg: newline in a file name");
			goto out;
		}
		if (!path || !path[0]) {
			*why = xasprintf("embedcfg: file \"%.40s\": not a path", keys[i]);
			goto out;
		}
		if (h->fn(h->ctx, path, hex, why))
			goto out;
		strbuf_addf(out, "%s=sha256:%s\n", keys[i], hex);
	}
	ret = 0;
out:
	free(keys);
	json_decref(root);
	if (ret)
		one_line(*why);
	return ret;
}

int cache_key_embedcfg(const char *text, size_t len, struct strbuf *out,
                       int (*hash_file)(const char *path, char hex[65], char **why), char **why)
{
	struct user_hash u = {hash_file};
	struct hasher h = {hash_user, &u};

	return embedcfg_canonical(text, len, out, &h, why);
}

/* ---- the key ---------------------------------------------------------------- */

/* Hashes one item, framed "<name> <length>\n<bytes>\n". */
static void item(struct sha256_ctx *c, const char *name, const void *buf, size_t len)
{
	char head[64];
	int n = snprintf(head, sizeof(head), "%s %zu\n", name, len);

	sha256_update(c, head, (size_t)n);
	sha256_update(c, buf, len);
	sha256_update(c, "\n", 1);
}

/* What pass 1 learnt from the flags. */
struct parsed {
	const char *out[3]; /* -o, -asmhdr, -linkobj */
	const char *importcfg, *embedcfg, *trimpath;
	int local;       /* -nolocalimports, or a non-empty -D */
	int local_bound; /* a non-empty -D */
	size_t first_file;
};

static const char *const output_roles[3] = {"o", "asmhdr", "linkobj"};

static int output_index(const char *role)
{
	for (int k = 0; k < 3; k++)
		if (!strcmp(output_roles[k], role))
			return k;
	BUG("unknown output role %s", role);
}

/* Pass 1: 1 when cacheable as far as the arguments tell, 0 with *why. */
static int validate(const struct tool_invocation *ti, struct parsed *ps, char **why)
{
	struct flagword fw;
	size_t i = 0;
	int r;

	memset(ps, 0, sizeof(*ps));
	while ((r = next_flag(ti->args, ti->nargs, &i, &fw, why)) > 0) {
		const char **once = NULL;
		switch (fw.spec->use) {
		case USE_NOCACHE:
			*why = xasprintf("flag -%s %s", fw.spec->name, fw.spec->what);
			return 0;
		case USE_OUTPUT:
			once = &ps->out[output_index(fw.spec->what)];
			break;
		case USE_IMPORTCFG:
			once = &ps->importcfg;
			break;
		case USE_EMBEDCFG:
			once = &ps->embedcfg;
			break;
		case USE_TRIMPATH:
			once = &ps->trimpath;
			break;
		case USE_LOCAL:
			if (fw.value[0])
				ps->local = ps->local_bound = 1;
			break;
		case USE_KEEP:
			if (!strcmp(fw.spec->name, "nolocalimports") && bool_true(fw.value))
				ps->local = 1;
			break;
		default:
			break;
		}
		if (once) {
			/* Twice would mean last-wins for some and merging for others: not guessed.
			 */
			if (*once) {
				*why = xasprintf("flag -%s given twice", fw.spec->name);
				return 0;
			}
			*once = fw.value;
		}
	}
	if (r < 0)
		return 0;
	ps->first_file = i;
	if (i == ti->nargs) {
		*why = xstrdup("no source files");
		return 0;
	}
	for (; i < ti->nargs; i++)
		if (ti->args[i][0] != '/') {
			*why = xasprintf("relative source file %.200s", ti->args[i]);
			return 0;
		}
	if (!ps->out[0] || !ps->out[0][0]) {
		*why = xstrdup("no -o");
		return 0;
	}
	if (!ps->importcfg) {
		*why = xstrdup("no -importcfg (imports would be searched for)");
		return 0;
	}
	if (!ps->local) {
		*why = xstrdup("neither -nolocalimports nor -D (local imports would use the cwd)");
		return 0;
	}
	return 1;
}

/* Pass 2: the arguments as key items. */
static void hash_args(struct sha256_ctx *c, const struct tool_invocation *ti, struct paths *p,
                      const struct parsed *ps, struct strbuf *sb)
{
	struct flagword fw;
	size_t i = 0;
	char *ignored = NULL;

	while (next_flag(ti->args, ti->nargs, &i, &fw, &ignored) > 0) {
		if (fw.spec->use == USE_DROP)
			continue;
		strbuf_reset(sb);
		if (fw.separate) {
			item(c, "arg", fw.word, strlen(fw.word));
		} else if (fw.value) {
			strbuf_add(sb, fw.word, fw.namelen + 1); /* "-name=" */
		} else {
			item(c, "arg", fw.word, strlen(fw.word));
			continue;
		}
		switch (fw.spec->use) {
		case USE_TRIMPATH:
			norm_trimpath(p, sb);
			break;
		case USE_PATH:
		case USE_OUTPUT:
		case USE_INPUT:
		case USE_IMPORTCFG:
		case USE_EMBEDCFG:
			norm_free_path(p, sb, fw.value);
			break;
		default:
			strbuf_addstr(sb, fw.value);
			break;
		}
		item(c, "arg", sb->buf, sb->len);
	}
	for (i = ps->first_file; i < ti->nargs; i++) {
		strbuf_reset(sb);
		norm_source(p, sb, ti->args[i]);
		item(c, "arg", sb->buf, sb->len);
	}
	if (ps->local_bound)
		p->dir_bound = 1;
	free(ignored); /* never set: pass 1 read the same flags */
}

/* Hashes one input file as an item "input" = "sha256:<hex>"; 0, or -1 with *why. */
static int hash_input(struct sha256_ctx *c, const char *path, unsigned long long *bytes, char **why)
{
	char hex[65 + 7] = "sha256:";

	if (hash_counted(bytes, path, hex + 7, why))
		return -1;
	item(c, "input", hex, 7 + 64);
	return 0;
}

/*
 * Hashes a Go source go generated in $WORK (cgo's *.cgo1.go, _cgo_gotypes.go;
 * cover's files) like hash_input, with the file names of its "//line"
 * directives normalised by the -trimpath rules as the arguments are: they
 * point at the package's own sources, and compile records them through
 * -trimpath, so the checkout's directory never reaches the object. Nothing
 * else in the text is touched.
 */
static int hash_work_source(struct sha256_ctx *c, struct paths *p, const char *path,
                            unsigned long long *bytes, char **why)
{
	struct strbuf text = STRBUF_INIT, norm = STRBUF_INIT;
	char hex[65 + 7] = "sha256:";
	char *cause = NULL;
	int ret = -1;

	if (read_regular(&text, path, SOURCE_FILE_MAX, why))
		goto out;
	*bytes += text.len;
	for (size_t pos = 0; pos < text.len;) {
		const char *line = text.buf + pos;
		const char *nl = memchr(line, '\n', text.len - pos);
		size_t len = nl ? (size_t)(nl - line) + 1 : text.len - pos;
		pos += len;
		static const char directive[] = "//line ";
		const size_t dlen = sizeof(directive) - 1;
		int done = 0;
		if (len > dlen && !memcmp(line, directive, dlen)) {
			const char *name = line + dlen;
			size_t nlen = len - dlen;
			for (size_t i = 0; i < p->nrules && !done; i++) {
				const struct trim_rule *r = &p->rules[i];
				if (r->plen && nlen > r->plen &&
				    go_has_path_prefix(name, r->plen, r->prefix, r->plen) &&
				    (name[r->plen] == '/' || name[r->plen] == ':')) {
					strbuf_add(&norm, line, dlen);
					strbuf_addstr(&norm, r->token);
					strbuf_add(&norm, name + r->plen, nlen - r->plen);
					done = 1;
				}
			}
		}
		if (!done && len > dlen && !memcmp(line, directive, dlen)) {
			/* a directive naming this checkout keeps it in the object */
			const char *name = line + dlen;
			size_t n = strcspn(name, ":\n");
			if (machine_path(p, name, n))
				p->dir_bound = 1;
		}
		if (!done)
			strbuf_add(&norm, line, len);
	}
	if (sha256_hex(norm.buf, norm.len, hex + 7, &cause)) {
		*why = cause;
		goto out;
	}
	item(c, "input", hex, 7 + 64);
	ret = 0;
out:
	strbuf_release(&text);
	strbuf_release(&norm);
	return ret;
}

/* Pass 3: the inputs' contents in argument order. 0, or -1 with *why. */
static int hash_inputs(struct sha256_ctx *c, const struct tool_invocation *ti,
                       const struct parsed *ps, struct paths *p, struct strbuf *sb,
                       unsigned long long *bytes, char **why)
{
	struct hasher h = {hash_memo, bytes};
	struct strbuf text = STRBUF_INIT;
	struct flagword fw;
	size_t i = 0;
	int ret = -1;
	char *ignored = NULL;

	while (next_flag(ti->args, ti->nargs, &i, &fw, &ignored) > 0) {
		switch (fw.spec->use) {
		case USE_INPUT:
			if (hash_input(c, fw.value, bytes, why))
				goto out;
			break;
		case USE_IMPORTCFG:
		case USE_EMBEDCFG:
			strbuf_reset(&text);
			strbuf_reset(sb);
			if (read_regular(&text, fw.value, CFG_FILE_MAX, why))
				goto out;
			*bytes += text.len;
			if (fw.spec->use == USE_IMPORTCFG) {
				if (importcfg_rewrite(text.buf, text.len, sb, &h, why))
					goto out;
				item(c, "importcfg", sb->buf, sb->len);
			} else {
				if (embedcfg_canonical(text.buf, text.len, sb, &h, why))
					goto out;
				item(c, "embedcfg", sb->buf, sb->len);
			}
			break;
		default:
			break;
		}
	}
	for (i = ps->first_file; i < ti->nargs; i++) {
		const char *f = ti->args[i];
		if (p->work && p->nrules && under(f, p->work, p->worklen)
		        ? hash_work_source(c, p, f, bytes, why)
		        : hash_input(c, f, bytes, why))
			goto out;
	}
	ret = 0;
out:
	free(ignored);
	strbuf_release(&text);
	return ret;
}

/* CGO_CFLAGS, CGO_CPPFLAGS, ...: the variables only cgo reads. */
static int is_cgo_flags(const char *name)
{
	return !strncmp(name, "CGO_", 4) && strcmp(name, "CGO_ENABLED") != 0;
}

/* Whether the compile's sources include files cgo generated in $WORK. */
static int uses_cgo(const struct tool_invocation *ti, const struct parsed *ps,
                    const struct paths *p)
{
	for (size_t i = ps->first_file; i < ti->nargs; i++) {
		const char *f = ti->args[i], *base = strrchr(f, '/');
		base = base ? base + 1 : f;
		if ((!p->work || under(f, p->work, p->worklen)) &&
		    (ends_with(base, ".cgo1.go") || !strcmp(base, "_cgo_gotypes.go") ||
		     !strcmp(base, "_cgo_import.go")))
			return 1;
	}
	return 0;
}

static int compute(const struct tool_invocation *ti, const char *version_answer,
                   struct cache_key *key, char **why)
{
	struct sha256_ctx *c;
	struct strbuf sb = STRBUF_INIT;
	struct parsed ps;
	struct paths p;
	char *cause = NULL;
	int ret = 0;

	memset(key, 0, sizeof(*key));
	*why = NULL;
	if (ti->kind != TOOL_COMPILE) {
		*why = xasprintf("tool %.40s is not cached", ti->name[0] ? ti->name : "(none)");
		return 0;
	}
	if (ti->probe) {
		*why = xstrdup("version probe");
		return 0;
	}
	for (size_t k = 0; k < ARRAY_SIZE(env_deny); k++) {
		const char *v = getenv(env_deny[k].name);
		if (v && v[0]) {
			*why = xasprintf("environment %s %s", env_deny[k].name, env_deny[k].why);
			return 0;
		}
	}
	if (!validate(ti, &ps, why))
		return 0;

	c = sha256_new(&cause);
	if (!c) {
		*why = cause;
		return -1;
	}
	paths_init(&p, ps.out[0], ps.trimpath);

	item(c, "format", "golive-cache-key v1", strlen("golive-cache-key v1"));
	if (!version_answer)
		version_answer = "";
	item(c, "version", version_answer, strlen(version_answer));
	item(c, "tool", ti->name, strlen(ti->name));
	hash_args(c, ti, &p, &ps, &sb);
	if (hash_inputs(c, ti, &ps, &p, &sb, &key->input_bytes, why))
		goto out;
	int cgo = uses_cgo(ti, &ps, &p);
	for (size_t k = 0; cache_key_env_names[k]; k++) {
		const char *v = getenv(cache_key_env_names[k]);
		if (!v || (!cgo && is_cgo_flags(cache_key_env_names[k])))
			continue;
		strbuf_reset(&sb);
		strbuf_addf(&sb, "%s=%s", cache_key_env_names[k], v);
		item(c, "env", sb.buf, sb.len);
	}
	if (sha256_final_hex(c, key->hex, &cause)) {
		*why = cause;
		ret = -1;
		goto out;
	}
	for (int k = 0; k < 3; k++)
		if (ps.out[k]) {
			key->outputs[key->noutputs].role = output_roles[k];
			key->outputs[key->noutputs].path = xstrdup(ps.out[k]);
			key->noutputs++;
		}
	key->dir_bound = p.dir_bound;
	ret = 1;
out:
	if (ret != 1) {
		unsigned long long bytes = key->input_bytes;
		cache_key_release(key);
		key->input_bytes = bytes;
	}
	sha256_free(c);
	free(p.rules);
	strbuf_release(&sb);
	return ret;
}

int cache_key_compute(const struct tool_invocation *ti, const char *version_answer,
                      struct cache_key *key, char **why)
{
	int ret = compute(ti, version_answer, key, why);

	if (ret != 1 && *why)
		one_line(*why); /* flags and paths come from the command line */
	return ret;
}

void cache_key_release(struct cache_key *key)
{
	for (size_t i = 0; i < key->noutputs && i < CACHE_MAX_OUTPUTS; i++)
		free(key->outputs[i].path);
	memset(key, 0, sizeof(*key));
}
