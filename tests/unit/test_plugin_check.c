/*
 * test_plugin_check.c - unit tests of plugin_check.c (cmocka): every
 * refusal of plugin_verify() with its one-line reason, trusted directories
 * and symlinks, the session copy, and the audit log.
 *
 * The tests run as root here: the "owned by another user" case chowns a
 * file to uid 65534 and is skipped (with a message) only when chown fails.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/config.h"
#include "core/crypto.h"
#include "core/jsonl.h"
#include "plugin/plugin.h"
#include "plugin/plugin_check.h"

#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_ABC   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_HELLO "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

/* ---- fixtures --------------------------------------------------------------- */

struct fixture {
	char *tmp;     /* the test's directory */
	char *session; /* tmp/session, 0700 */
	char *trusted; /* tmp/trusted */
	char *other;   /* tmp/other */
	struct argv_array trusted_dirs;
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/golive-test-plugin-check-XXXXXX";

	if (!mkdtemp(tmpl))
		return -1;
	f->tmp = xstrdup(tmpl);
	f->session = xasprintf("%s/session", f->tmp);
	f->trusted = xasprintf("%s/trusted", f->tmp);
	f->other = xasprintf("%s/other", f->tmp);
	if (mkdir(f->session, 0700) || mkdir(f->trusted, 0755) || mkdir(f->other, 0755))
		return -1;
	argv_push(&f->trusted_dirs, f->trusted);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f->tmp);
	free(f->session);
	free(f->trusted);
	free(f->other);
	argv_clear(&f->trusted_dirs);
	free(f);
	return 0;
}

/* Writes len bytes of data to dir/name with exactly mode; returns the path (malloc'd). */
static char *write_file(const char *dir, const char *name, const void *data, size_t len,
                        mode_t mode)
{
	char *p = xasprintf("%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, data, len), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
	return p;
}

static struct plugin_spec spec_so(const char *name, const char *path, const char *sha256)
{
	struct plugin_spec s = {0};

	s.name = (char *)name;
	s.path = (char *)path;
	s.sha256 = (char *)sha256;
	s.timeout_ms = PLUGIN_TIMEOUT_DEFAULT_MS;
	return s;
}

/* The session copy of plugin name. */
static char *copy_path(const struct fixture *f, const char *name)
{
	return xasprintf("%s/%s/%s", f->session, PLUGIN_COPY_DIR, name);
}

/* Asserts that spec is refused with exactly want, and that nothing was copied. */
static void expect_refused(const struct fixture *f, const struct plugin_spec *spec,
                           const char *want)
{
	struct plugin out;
	char *cause = NULL, *copy = copy_path(f, spec->name);
	struct stat st;

	memset(&out, 0xff, sizeof(out)); /* must come back empty */
	assert_int_equal(plugin_verify(spec, &f->trusted_dirs, f->session, &out, &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	assert_null(strchr(cause, '\n'));
	assert_null(out.name);
	assert_null(out.file);
	assert_int_equal(out.args.argc, 0);
	assert_int_equal(lstat(copy, &st), -1);
	assert_int_equal(errno, ENOENT);
	free(cause);
	free(copy);
	plugin_release(&out);
}

/* The lines of the session's audit log, parsed; the caller json_decref()s it. */
static json_t *read_audit(const struct fixture *f)
{
	char *path = xasprintf("%s/%s", f->session, PLUGIN_AUDIT);
	struct strbuf sb = STRBUF_INIT;
	json_t *lines = json_array();
	const char *line;
	size_t pos = 0, n;

	if (strbuf_read_file(&sb, path, 1 << 20) == 0) {
		while (jsonl_next_line(sb.buf, sb.len, &pos, &line, &n)) {
			json_error_t err;
			json_t *o = json_loadb(line, n, 0, &err);
			if (!o)
				fail_msg("audit.log: not JSON: %.*s: %s", (int)n, line, err.text);
			assert_true(json_is_object(o));
			json_array_append_new(lines, o);
		}
		assert_int_equal(pos, sb.len); /* every line is whole */
	}
	strbuf_release(&sb);
	free(path);
	return lines;
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- refusals --------------------------------------------------------------- */

static void test_refuse_relative_and_missing(void **state)
{
	struct fixture *f = *state;
	struct plugin_spec s = spec_so("devpprof", "x.so", SHA_HELLO);
	char *missing = xasprintf("%s/devpprof.so", f->other), *want;

	expect_refused(f, &s, "plugin devpprof: must be an absolute path, got \"x.so\"");
	s.path = NULL;
	s.exec = "./tools/lint";
	expect_refused(f, &s, "plugin devpprof: must be an absolute path, got \"./tools/lint\"");

	s = spec_so("devpprof", missing, SHA_HELLO);
	want = xasprintf("plugin devpprof: %s: No such file or directory", missing);
	expect_refused(f, &s, want);
	free(want);
	/* a path through a file is not a directory */
	free(missing);
	missing = write_file(f->other, "file", "x", 1, 0644);
	{
		char *through = xasprintf("%s/p.so", missing);
		s.path = through;
		want = xasprintf("plugin devpprof: %s: Not a directory", through);
		expect_refused(f, &s, want);
		free(want);
		free(through);
	}
	free(missing);
}

static void test_refuse_not_regular(void **state)
{
	struct fixture *f = *state;
	struct plugin_spec s = spec_so("p", f->other, NULL);
	char *want = xasprintf("plugin p: %s: not a regular file (a directory)", f->other);
	char *fifo = xasprintf("%s/fifo", f->other);

	expect_refused(f, &s, want);
	free(want);

	/* a FIFO: refused at once, the open does not wait for a writer */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	s.path = fifo;
	want = xasprintf("plugin p: %s: not a regular file (a FIFO)", fifo);
	expect_refused(f, &s, want);
	free(want);
	free(fifo);

	s.path = "/dev/null";
	expect_refused(f, &s, "plugin p: /dev/null: not a regular file (a character device)");
}

static void test_refuse_writable(void **state)
{
	static const struct {
		mode_t mode;
		const char *what;
	} cases[] = {
	    {0664, "group-writable (mode 0664)"},
	    {0620, "group-writable (mode 0620)"},
	    {0646, "world-writable (mode 0646)"},
	    {0602, "world-writable (mode 0602)"},
	    {0666, "group- and world-writable (mode 0666)"},
	    {04777, "group- and world-writable (mode 4777)"},
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = write_file(f->trusted, "p.so", "hello", 5, cases[i].mode);
		struct plugin_spec s = spec_so("p", p, SHA_HELLO);
		char *want = xasprintf("plugin p: %s: %s", p, cases[i].what);

		expect_refused(f, &s, want);
		/* trusted directory or not: the mode is checked first */
		s.sha256 = NULL;
		expect_refused(f, &s, want);
		free(want);
		free(p);
	}
}

static void test_refuse_other_owner(void **state)
{
	struct fixture *f = *state;
	char *p = write_file(f->trusted, "p.so", "hello", 5, 0644);
	struct plugin_spec s = spec_so("p", p, SHA_HELLO);
	char *want;

	if (chown(p, 65534, 65534)) {
		print_message("skipped: cannot chown a file to uid 65534 (%s): run as root to test "
		              "the owner check\n",
		              strerror(errno));
		free(p);
		skip();
	}
	if (geteuid() == 65534) {
		free(p);
		skip();
	}
	want = xasprintf("plugin p: %s: owned by uid 65534, neither root nor the current user "
	                 "(uid %u)",
	                 p, (unsigned)geteuid());
	expect_refused(f, &s, want);
	free(want);
	free(p);
}

static void test_refuse_hash_mismatch(void **state)
{
	struct fixture *f = *state;
	char *p = write_file(f->trusted, "p.so", "hello", 5, 0444);
	struct plugin_spec s = spec_so("devpprof", p, SHA_ABC);
	char *want = xasprintf("plugin devpprof: %s: sha256 mismatch: the file has " SHA_HELLO
	                       ", golive.yaml pins " SHA_ABC,
	                       p);

	/* a pinned hash is checked even under a trusted directory */
	expect_refused(f, &s, want);
	free(want);
	free(p);
}

static void test_refuse_no_sha256_untrusted(void **state)
{
	struct fixture *f = *state;
	char *p = write_file(f->other, "p.so", "hello", 5, 0755);
	struct plugin_spec s = spec_so("p", p, NULL);
	char *want = xasprintf("plugin p: %s: no sha256: and not under a trusted directory", p);
	char *prefix = xasprintf("%s/trust", f->tmp), *q;

	expect_refused(f, &s, want);
	free(want);

	/* "under" is a path prefix at a '/': .../trust does not hold .../trusted/p.so */
	q = write_file(f->trusted, "q.so", "hello", 5, 0644);
	assert_int_equal(mkdir(prefix, 0755), 0);
	argv_clear(&f->trusted_dirs);
	argv_push(&f->trusted_dirs, prefix);
	argv_push(&f->trusted_dirs, "/nonexistent/golive"); /* ignored */
	s.path = q;
	want = xasprintf("plugin p: %s: no sha256: and not under a trusted directory", q);
	expect_refused(f, &s, want);
	free(want);

	/* no trusted directories at all */
	{
		struct plugin out;
		char *cause = NULL;
		assert_int_equal(plugin_verify(&s, NULL, f->session, &out, &cause), -1);
		assert_non_null(strstr(cause, "no sha256: and not under a trusted directory"));
		free(cause);
	}
	free(prefix);
	free(q);
	free(p);
}

static void test_refuse_too_large(void **state)
{
	struct fixture *f = *state;
	char *p = write_file(f->other, "big.so", "", 0, 0644);
	struct plugin_spec s = spec_so("big", p, SHA_EMPTY);
	char *want = xasprintf("plugin big: %s: larger than 256 MiB", p);

	assert_int_equal(truncate(p, (off_t)PLUGIN_FILE_MAX + 1), 0); /* sparse: cheap */
	expect_refused(f, &s, want);
	free(want);
	free(p);
}

static void test_refuse_bad_name(void **state)
{
	struct fixture *f = *state;
	char *p = write_file(f->other, "p.so", "hello", 5, 0644);
	struct plugin_spec s = spec_so("..", p, SHA_HELLO);
	struct plugin out;
	char *cause = NULL;

	assert_int_equal(plugin_verify(&s, NULL, f->session, &out, &cause), -1);
	assert_string_equal(cause, "plugin ..: not a valid plugin name");
	free(cause);
	s.name = "a/b";
	assert_int_equal(plugin_verify(&s, NULL, f->session, &out, &cause), -1);
	assert_string_equal(cause, "plugin a/b: not a valid plugin name");
	free(cause);
	free(p);
}

/* ---- accepted ----------------------------------------------------------------- */

static void assert_copy(const struct fixture *f, const struct plugin *out, const void *data,
                        size_t len, mode_t mode)
{
	struct strbuf sb = STRBUF_INIT;
	char *want = copy_path(f, out->name),
	     *dir = xasprintf("%s/%s", f->session, PLUGIN_COPY_DIR);
	struct stat st;

	assert_string_equal(out->file, want);
	assert_int_equal(lstat(out->file, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, mode);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(strbuf_read_file(&sb, out->file, PLUGIN_FILE_MAX), 0);
	assert_int_equal(sb.len, len);
	assert_memory_equal(sb.buf, data, len);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	strbuf_release(&sb);
	free(want);
	free(dir);
}

static void test_verified_sha256(void **state)
{
	static const char bytes[] = "\x7f"
	                            "ELF\0\0binary\0with NULs\n";
	struct fixture *f = *state;
	char *p = write_file(f->other, "devpprof.so", bytes, sizeof(bytes) - 1, 0755);
	struct plugin_spec s = spec_so("devpprof", p, NULL);
	struct plugin out;
	char hex[65], upper[65], *cause = NULL;

	assert_int_equal(sha256_hex(bytes, sizeof(bytes) - 1, hex, &cause), 0);
	for (size_t i = 0; i < 65; i++) /* the pin may be upper case */
		upper[i] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 'a' + 'A' : hex[i]);
	s.sha256 = upper;
	argv_push(&s.args, "addr=127.0.0.1:6060");
	argv_push(&s.args, "v=");
	s.timeout_ms = 500;
	s.required = 1;

	assert_int_equal(plugin_verify(&s, &f->trusted_dirs, f->session, &out, &cause), 0);
	assert_null(cause);
	assert_string_equal(out.name, "devpprof");
	assert_string_equal(out.version, "");
	assert_int_equal(out.kind, PLUGIN_SO);
	assert_string_equal(out.source, p);
	assert_string_equal(out.sha256, hex);
	assert_int_equal(out.args.argc, 2);
	assert_string_equal(out.args.argv[0], "addr=127.0.0.1:6060");
	assert_string_equal(out.args.argv[1], "v=");
	assert_null(out.args.argv[2]);
	assert_int_equal(out.timeout_ms, 500);
	assert_int_equal(out.required, 1);
	assert_int_equal(out.flags, 0);
	assert_int_equal(out.hooks, 0);
	assert_copy(f, &out, bytes, sizeof(bytes) - 1, 0400);
	plugin_release(&out);
	assert_null(out.name);

	/* the same name again in the same session: the copy is never replaced */
	{
		char *copy = copy_path(f, "devpprof");
		char *want = xasprintf("plugin devpprof: cannot create the session copy %s: File "
		                       "exists",
		                       copy);
		assert_int_equal(plugin_verify(&s, &f->trusted_dirs, f->session, &out, &cause), -1);
		assert_string_equal(cause, want);
		free(cause);
		free(want);
		free(copy);
	}
	argv_clear(&s.args);
	free(p);
}

static void test_verified_exec_mode(void **state)
{
	struct fixture *f = *state;
	char *p = write_file(f->other, "lint", "#!/bin/sh\nexit 0\n", 17, 0700);
	struct plugin_spec s = {0};
	struct plugin out;
	char hex[65], *cause = NULL;
	mode_t old = umask(0177); /* would take the copy's x bit: fchmod puts it back */

	assert_int_equal(sha256_hex("#!/bin/sh\nexit 0\n", 17, hex, &cause), 0);
	s.name = "lint";
	s.exec = p;
	s.sha256 = hex;
	s.timeout_ms = 10000;
	assert_int_equal(plugin_verify(&s, NULL, f->session, &out, &cause), 0);
	umask(old);
	assert_int_equal(out.kind, PLUGIN_EXEC);
	assert_string_equal(out.source, p);
	assert_int_equal(out.timeout_ms, 10000);
	assert_int_equal(out.required, 0);
	assert_copy(f, &out, "#!/bin/sh\nexit 0\n", 17, 0500);
	plugin_release(&out);
	free(p);
}

static void test_verified_trusted_dir(void **state)
{
	struct fixture *f = *state;
	char *sub = xasprintf("%s/sub", f->trusted), *p, *alias, *slash;
	struct plugin_spec s;
	struct plugin out;
	char *cause = NULL;

	assert_int_equal(mkdir(sub, 0755), 0);
	p = write_file(sub, "p.so", "hello", 5, 0644); /* at any depth below */
	s = spec_so("p", p, NULL);
	assert_int_equal(plugin_verify(&s, &f->trusted_dirs, f->session, &out, &cause), 0);
	assert_string_equal(out.sha256, SHA_HELLO);
	assert_copy(f, &out, "hello", 5, 0400);
	plugin_release(&out);

	/* the trusted directory is compared by its realpath: a symlink to it, a trailing / */
	alias = xasprintf("%s/alias", f->tmp);
	assert_int_equal(symlink(f->trusted, alias), 0);
	slash = xasprintf("%s/", alias);
	argv_clear(&f->trusted_dirs);
	argv_push(&f->trusted_dirs, slash);
	s.name = "p2";
	assert_int_equal(plugin_verify(&s, &f->trusted_dirs, f->session, &out, &cause), 0);
	plugin_release(&out);

	/*
	 * "/" trusts every file whose directories up to "/" only root or we can
	 * write (a world-writable /tmp on the way refuses it).
	 */
	argv_clear(&f->trusted_dirs);
	argv_push(&f->trusted_dirs, "/");
	s.name = "p3";
	int chain_ok = 1;
	char *d = realpath(sub, NULL);
	while (d && strcmp(d, "/")) {
		struct stat st;
		if (lstat(d, &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)))
			chain_ok = 0;
		char *sl = strrchr(d, '/');
		if (sl == d)
			sl[1] = '\0';
		else
			*sl = '\0';
	}
	free(d);
	assert_int_equal(plugin_verify(&s, &f->trusted_dirs, f->session, &out, &cause),
	                 chain_ok ? 0 : -1);
	if (chain_ok)
		plugin_release(&out);
	else
		free(cause), cause = NULL;

	free(sub), free(p), free(alias), free(slash);
}

/* A trusted directory (or one below it) others can write trusts nothing. */
static void test_refuse_writable_trusted_dir(void **state)
{
	struct fixture *f = *state;
	char *sub = xasprintf("%s/sub", f->trusted);
	assert_int_equal(mkdir(sub, 0755), 0);
	char *p = write_file(sub, "p.so", "hello", 5, 0755);
	struct plugin_spec s = spec_so("p", p, NULL);
	char *want;

	assert_int_equal(chmod(f->trusted, 0777), 0);
	want = xasprintf("plugin p: %s: no sha256: and its trusted directory cannot be trusted: "
	                 "directory %s is world-writable (mode 0777): whoever can write it can put "
	                 "a plugin there",
	                 p, f->trusted);
	expect_refused(f, &s, want);
	free(want);
	assert_int_equal(chmod(f->trusted, 0755), 0);
	assert_int_equal(chmod(sub, 0775), 0);
	want = xasprintf("plugin p: %s: no sha256: and its trusted directory cannot be trusted: "
	                 "directory %s is group-writable (mode 0775): whoever can write it can put "
	                 "a plugin there",
	                 p, sub);
	expect_refused(f, &s, want);
	free(want);
	/* pinned by sha256, the directory does not matter */
	struct plugin out;
	char *cause = NULL;
	s.sha256 = SHA_HELLO;
	assert_int_equal(plugin_verify(&s, &f->trusted_dirs, f->session, &out, &cause), 0);
	plugin_release(&out);
	assert_int_equal(chmod(sub, 0755), 0);
	free(sub);
	free(p);
}

/*
 * Symlinks are followed; what must lie under a trusted directory is the file
 * the kernel opened (the link's target), never the link.
 */
static void test_symlinks(void **state)
{
	struct fixture *f = *state;
	char *inside = write_file(f->trusted, "in.so", "hello", 5, 0644);
	char *outside = write_file(f->other, "out.so", "abc", 3, 0644);
	char *link_in = xasprintf("%s/link-to-trusted.so", f->other);
	char *link_out = xasprintf("%s/link-to-other.so", f->trusted);
	char *dangling = xasprintf("%s/dangling.so", f->other), *want;
	struct plugin_spec s;
	struct plugin out;
	char *cause = NULL;

	assert_int_equal(symlink(inside, link_in), 0);
	assert_int_equal(symlink(outside, link_out), 0);
	assert_int_equal(symlink("/nonexistent/x.so", dangling), 0);

	/* a link elsewhere to a file in a trusted directory: accepted */
	s = spec_so("a", link_in, NULL);
	assert_int_equal(plugin_verify(&s, &f->trusted_dirs, f->session, &out, &cause), 0);
	assert_string_equal(out.source, link_in); /* messages name the configured path */
	assert_string_equal(out.sha256, SHA_HELLO);
	assert_copy(f, &out, "hello", 5, 0400); /* the target's bytes, as a file */
	plugin_release(&out);

	/* a link in a trusted directory to a file elsewhere: refused */
	s = spec_so("b", link_out, NULL);
	want = xasprintf("plugin b: %s: no sha256: and not under a trusted directory", link_out);
	expect_refused(f, &s, want);
	free(want);

	/* with a pinned sha256 a link is fine: the target's bytes are hashed */
	s = spec_so("c", link_out, SHA_ABC);
	assert_int_equal(plugin_verify(&s, &f->trusted_dirs, f->session, &out, &cause), 0);
	assert_copy(f, &out, "abc", 3, 0400);
	plugin_release(&out);

	s = spec_so("d", dangling, SHA_ABC);
	want = xasprintf("plugin d: %s: No such file or directory", dangling);
	expect_refused(f, &s, want);
	free(want);

	free(inside), free(outside), free(link_in), free(link_out), free(dangling);
}

/* ---- the audit log ------------------------------------------------------------ */

/* True when s looks like 2024-05-01T12:00:00.123456789Z. */
static int is_rfc3339(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddddddZ";

	if (!s || strlen(s) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return 0;
	return 1;
}

static void test_audit_log(void **state)
{
	struct fixture *f = *state;
	char *good = write_file(f->trusted, "good.so", "hello", 5, 0644);
	char *bad = write_file(f->other, "bad", "abc", 3, 0666);
	struct plugin_spec s = spec_so("good", good, NULL);
	struct plugin out;
	char *cause = NULL, *raw = NULL, *path, *want;
	json_t *lines, *l;
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(plugin_verify(&s, &f->trusted_dirs, f->session, &out, &cause), 0);
	plugin_release(&out);
	s = spec_so("bad", NULL, NULL);
	s.exec = bad;
	assert_int_equal(plugin_verify(&s, &f->trusted_dirs, f->session, &out, &cause), -1);
	free(cause);
	s = spec_so("mismatch", good, SHA_ABC);
	assert_int_equal(plugin_verify(&s, &f->trusted_dirs, f->session, &out, &cause), -1);
	free(cause);

	lines = read_audit(f);
	assert_int_equal(json_array_size(lines), 3);

	l = json_array_get(lines, 0);
	assert_true(is_rfc3339(jstr(l, "time")));
	assert_string_equal(jstr(l, "plugin"), "good");
	assert_string_equal(jstr(l, "kind"), "so");
	assert_string_equal(jstr(l, "source"), good);
	assert_string_equal(jstr(l, "sha256"), SHA_HELLO);
	assert_string_equal(jstr(l, "verified_by"), "trusted_dir");
	assert_string_equal(jstr(l, "action"), "verified");
	assert_null(json_object_get(l, "reason"));
	want = copy_path(f, "good");
	assert_string_equal(jstr(l, "file"), want);
	free(want);

	l = json_array_get(lines, 1);
	assert_true(is_rfc3339(jstr(l, "time")));
	assert_string_equal(jstr(l, "plugin"), "bad");
	assert_string_equal(jstr(l, "kind"), "exec");
	assert_string_equal(jstr(l, "source"), bad);
	assert_null(json_object_get(l, "sha256")); /* refused before it was read */
	assert_null(json_object_get(l, "verified_by"));
	assert_string_equal(jstr(l, "action"), "refused");
	want = xasprintf("%s: group- and world-writable (mode 0666)", bad);
	assert_string_equal(jstr(l, "reason"), want);
	free(want);

	l = json_array_get(lines, 2);
	assert_string_equal(jstr(l, "plugin"), "mismatch");
	assert_string_equal(jstr(l, "sha256"), SHA_HELLO); /* what the file has */
	assert_string_equal(jstr(l, "action"), "refused");
	assert_non_null(strstr(jstr(l, "reason"), "sha256 mismatch"));
	json_decref(lines);

	/* the members in the documented order, "reason" last */
	path = xasprintf("%s/%s", f->session, PLUGIN_AUDIT);
	assert_int_equal(strbuf_read_file(&sb, path, 1 << 20), 0);
	raw = strchr(sb.buf, '\n') + 1; /* the second line */
	{
		static const char *const order[] = {"\"time\"",   "\"plugin\"", "\"kind\"",
		                                    "\"source\"", "\"action\"", "\"reason\""};
		const char *at = raw;
		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
			const char *k = strstr(at, order[i]);
			assert_non_null(k);
			at = k;
		}
		assert_true(strchr(raw, '\n') > at);
	}
	strbuf_release(&sb);

	/* plugin_audit itself: "reason" moves last; reserved members are golive's */
	assert_int_equal(remove(path), 0);
	plugin_audit(f->session, "x", "load",
	             json_pack("{s:s, s:s, s:i, s:s}", "reason", "r", "hook", "describe", "pid", 7,
	                       "action", "forged"));
	plugin_audit(f->session, "y", "refused", NULL);
	plugin_audit(NULL, "z", "refused", json_object()); /* no session: nothing, no leak */
	plugin_audit(f->session, "bad\xff", "verified", json_pack("{s:s}", "source", "/a\xfe"));
	assert_int_equal(strbuf_read_file(&sb, path, 1 << 20), 0);
	{
		const char *l1 = sb.buf;
		assert_true(strstr(l1, "\"plugin\":\"x\",\"hook\":\"describe\",\"pid\":7,"
		                       "\"action\":\"load\",\"reason\":\"r\"}\n") != NULL);
	}
	strbuf_release(&sb);
	lines = read_audit(f);
	assert_int_equal(json_array_size(lines), 3);
	assert_string_equal(jstr(json_array_get(lines, 1), "plugin"), "y");
	assert_string_equal(jstr(json_array_get(lines, 1), "action"), "refused");
	assert_string_equal(jstr(json_array_get(lines, 2), "plugin"), "bad\xef\xbf\xbd");
	json_decref(lines);
	free(path);
	free(good);
	free(bad);
}

static void test_release(void **state)
{
	struct plugin p = {0};
	plugin_array a = ARRAY_INIT;
	(void)state;

	plugin_release(&p); /* an empty one */
	p.name = xstrdup("a");
	p.version = xstrdup("1");
	p.source = xstrdup("/a");
	p.file = xstrdup("/s/plugins/a");
	p.sha256 = xstrdup(SHA_ABC);
	argv_push(&p.args, "k=v");
	ARRAY_PUSH(a, p);
	memset(&p, 0, sizeof(p));
	p.name = xstrdup("b");
	ARRAY_PUSH(a, p);
	plugin_array_release(&a);
	assert_int_equal(a.n, 0);
	assert_null(a.v);
	plugin_array_release(&a);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_refuse_relative_and_missing),
	    T(test_refuse_not_regular),
	    T(test_refuse_writable),
	    T(test_refuse_other_owner),
	    T(test_refuse_hash_mismatch),
	    T(test_refuse_no_sha256_untrusted),
	    T(test_refuse_too_large),
	    T(test_refuse_bad_name),
	    T(test_verified_sha256),
	    T(test_verified_exec_mode),
	    T(test_verified_trusted_dir),
	    T(test_refuse_writable_trusted_dir),
	    T(test_symlinks),
	    T(test_audit_log),
	    cmocka_unit_test(test_release),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
