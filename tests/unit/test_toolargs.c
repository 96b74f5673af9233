/* Unit tests of toolargs.c: which tool, which package, which source files. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wrapper/toolargs.h"
#include "core/util.h"

#define TOOLDIR "/usr/lib/go-1.19/pkg/tool/linux_amd64/"

static void classify(struct tool_invocation *ti, char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	toolargs_classify(ti, argc, argv);
}

static void test_kind(void **state)
{
	(void)state;
	char name[64];
	assert_int_equal(toolargs_kind(TOOLDIR "compile", name, sizeof(name)), TOOL_COMPILE);
	assert_string_equal(name, "compile");
	assert_int_equal(toolargs_kind("C:/go/pkg/tool/windows_amd64/link.exe", name, sizeof(name)),
	                 TOOL_LINK);
	assert_string_equal(name, "link");
	assert_int_equal(toolargs_kind(TOOLDIR "asm", NULL, 0), TOOL_ASM);
	assert_int_equal(toolargs_kind(TOOLDIR "cgo", NULL, 0), TOOL_CGO);
	assert_int_equal(toolargs_kind(TOOLDIR "vet", NULL, 0), TOOL_VET);
	assert_int_equal(toolargs_kind(TOOLDIR "cover", NULL, 0), TOOL_COVER);
	assert_int_equal(toolargs_kind(TOOLDIR "preprofile", NULL, 0), TOOL_PREPROFILE);
	assert_int_equal(toolargs_kind(TOOLDIR "compiler", name, sizeof(name)), TOOL_OTHER);
	assert_string_equal(name, "compiler");
	assert_int_equal(toolargs_kind("/usr/bin/pack", NULL, 0), TOOL_OTHER);
	/* a name longer than the buffer is cut, not overflowed */
	char small[4];
	toolargs_kind("/x/abcdefgh", small, sizeof(small));
	assert_string_equal(small, "abc");
}

static void test_is_toolexec(void **state)
{
	(void)state;
	char *a1[] = {"golive", TOOLDIR "compile", "-V=full", NULL};
	char *a2[] = {"golive", "gcc", "-###", "-x", "c", "-c", "-", NULL};
	char *a3[] = {"golive", "build", "./...", NULL};
	char *a4[] = {"golive", NULL};
	char *a5[] = {"golive", "-flags", NULL};
	assert_true(toolargs_is_toolexec(3, a1));
	assert_true(toolargs_is_toolexec(7, a2));
	assert_false(toolargs_is_toolexec(3, a3));
	assert_false(toolargs_is_toolexec(1, a4));
	assert_false(toolargs_is_toolexec(2, a5));
}

static void test_compile(void **state)
{
	(void)state;
	struct tool_invocation ti;
	char *argv[] = {"golive",
	                TOOLDIR "compile",
	                "-o",
	                "/tmp/b006/_pkg_.a",
	                "-trimpath",
	                "/tmp/b006=>",
	                "-p",
	                "internal/goarch",
	                "-std",
	                "-+",
	                "-complete",
	                "-buildid",
	                "x/y",
	                "-goversion",
	                "go1.19.8",
	                "-c=2",
	                "-nolocalimports",
	                "-importcfg",
	                "/tmp/b006/importcfg",
	                "-pack",
	                "/src/internal/goarch/goarch.go",
	                "/src/internal/goarch/goarch_amd64.go",
	                "/src/internal/goarch/zgoarch_amd64.go",
	                NULL};
	classify(&ti, argv);
	assert_int_equal(ti.kind, TOOL_COMPILE);
	assert_string_equal(ti.name, "compile");
	assert_false(ti.probe);
	assert_string_equal(ti.pkg, "internal/goarch");
	assert_string_equal(ti.output, "/tmp/b006/_pkg_.a");
	assert_int_equal(ti.nfiles, 3);
	assert_string_equal(ti.args[ti.first_file], "/src/internal/goarch/goarch.go");
	assert_null(ti.owned);
	toolargs_release(&ti);
}

static void test_compile_flags_with_equals_and_new_flags(void **state)
{
	(void)state;
	struct tool_invocation ti;
	/* future flags (-lang, -embedcfg, -pgoprofile, -coveragecfg) are tolerated */
	char *argv[] = {"golive",
	                TOOLDIR "compile",
	                "-p=main",
	                "-o=/w/_pkg_.a",
	                "-lang=go1.21",
	                "-embedcfg",
	                "/w/embedcfg",
	                "-pgoprofile=/p.pprof",
	                "-coveragecfg",
	                "/w/cov",
	                "./main.go",
	                "./util.go",
	                NULL};
	classify(&ti, argv);
	assert_string_equal(ti.pkg, "main");
	assert_string_equal(ti.output, "/w/_pkg_.a");
	assert_int_equal(ti.nfiles, 2);
	toolargs_release(&ti);
}

static void test_probe(void **state)
{
	(void)state;
	struct tool_invocation ti;
	char *argv[] = {"golive", TOOLDIR "compile", "-V=full", NULL};
	classify(&ti, argv);
	assert_true(ti.probe);
	assert_int_equal(ti.nfiles, 0);
	toolargs_release(&ti);

	char *cc[] = {"golive", "gcc", "-###", "-x", "c", "-c", "-", NULL};
	classify(&ti, cc);
	assert_int_equal(ti.kind, TOOL_CC);
	assert_true(ti.probe);
	assert_string_equal(ti.name, "gcc");
	toolargs_release(&ti);
}

static void test_asm_and_link(void **state)
{
	(void)state;
	struct tool_invocation ti;
	char *asmv[] = {"golive",
	                TOOLDIR "asm",
	                "-p",
	                "internal/cpu",
	                "-trimpath",
	                "x=>",
	                "-I",
	                "/w/b012/",
	                "-D",
	                "GOOS_linux",
	                "-gensymabis",
	                "-o",
	                "/w/b012/symabis",
	                "./cpu.s",
	                "./cpu_x86.s",
	                NULL};
	classify(&ti, asmv);
	assert_int_equal(ti.kind, TOOL_ASM);
	assert_string_equal(ti.pkg, "internal/cpu");
	assert_int_equal(ti.nfiles, 2);
	toolargs_release(&ti);

	char *linkv[] = {"golive",         TOOLDIR "link",    "-o",
	                 "/w/exe/a.out",   "-importcfg",      "/w/importcfg.link",
	                 "-buildmode=exe", "/w/b001/_pkg_.a", NULL};
	classify(&ti, linkv);
	assert_int_equal(ti.kind, TOOL_LINK);
	assert_null(ti.pkg);
	assert_string_equal(ti.output, "/w/exe/a.out");
	assert_int_equal(ti.nfiles, 0); /* the link input is an archive, not source */
	toolargs_release(&ti);
}

static void test_cgo_files_after_cflags(void **state)
{
	(void)state;
	struct tool_invocation ti;
	char *argv[] = {
	    "golive", TOOLDIR "cgo", "-objdir", "/w/b030/",     "-importpath",   "net", "--",
	    "-I",     "/w/b030/",    "-O2",     "cgo_linux.go", "cgo_resnew.go", NULL};
	classify(&ti, argv);
	assert_int_equal(ti.kind, TOOL_CGO);
	assert_int_equal(ti.nfiles, 2);
	toolargs_release(&ti);
}

static void test_response_file(void **state)
{
	(void)state;
	char path[] = "/tmp/golive-test-rsp-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	/* go's encoding: one argument a line, backslash and newline escaped */
	const char body[] = "-p\nexample.com/a\\\\b\n-o\n/w/_pkg_.a\n-D\nX=line1\\nline2\n"
	                    "/src/a.go\n/src/b.go\n";
	assert_int_equal(write(fd, body, sizeof(body) - 1), (ssize_t)(sizeof(body) - 1));
	close(fd);
	char *at = xasprintf("@%s", path);
	char *argv[] = {"golive", TOOLDIR "compile", at, NULL};
	struct tool_invocation ti;
	classify(&ti, argv);
	assert_non_null(ti.owned);
	assert_int_equal(ti.nargs, 8);
	assert_string_equal(ti.pkg, "example.com/a\\b");
	assert_string_equal(ti.args[5], "X=line1\nline2");
	assert_int_equal(ti.nfiles, 2);
	toolargs_release(&ti);
	unlink(path);

	/* an unreadable response file stays a literal word */
	char *argv2[] = {"golive", TOOLDIR "compile", "@/nonexistent/rsp", NULL};
	classify(&ti, argv2);
	assert_int_equal(ti.nargs, 1);
	assert_string_equal(ti.args[0], "@/nonexistent/rsp");
	toolargs_release(&ti);
	free(at);
}

static void test_source_bytes(void **state)
{
	(void)state;
	char dir[] = "/tmp/golive-test-src-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *a = xasprintf("%s/a.go", dir), *b = xasprintf("%s/b.go", dir);
	FILE *f = fopen(a, "w");
	fputs("package a\n", f); /* 10 bytes */
	fclose(f);
	f = fopen(b, "w");
	fputs("package a\n\nvar X = 1\n", f); /* 21 bytes */
	fclose(f);
	char *argv[] = {"golive", TOOLDIR "compile", "-p", "a", a, b, "/nonexistent.go", NULL};
	struct tool_invocation ti;
	classify(&ti, argv);
	assert_int_equal(ti.nfiles, 3);
	assert_int_equal(toolargs_source_bytes(&ti), 31);
	toolargs_release(&ti);
	unlink(a);
	unlink(b);
	rmdir(dir);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kind),
	    cmocka_unit_test(test_is_toolexec),
	    cmocka_unit_test(test_compile),
	    cmocka_unit_test(test_compile_flags_with_equals_and_new_flags),
	    cmocka_unit_test(test_probe),
	    cmocka_unit_test(test_asm_and_link),
	    cmocka_unit_test(test_cgo_files_after_cflags),
	    cmocka_unit_test(test_response_file),
	    cmocka_unit_test(test_source_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
