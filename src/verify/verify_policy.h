/*
 * verify_policy.h - what `golive verify` decides about Go binaries, as pure
 * functions over what binfile.h and buildinfo.h read (docs/verify.md):
 *
 *  - the policy (golive.yaml verify:): one line of evidence per violation;
 *  - the ABI / dependency diff between two binaries (--against);
 *  - the first differing section of two files (--rebuild).
 *
 * Nothing here reads files, runs anything or prints; cmd_verify.c does.
 */
#ifndef GOLIVE_VERIFY_POLICY_H
#define GOLIVE_VERIFY_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "verify/binfile.h"
#include "verify/buildinfo.h"
#include "core/util.h"

struct golive_config;

/* The defaults of verify.forbid_packages and verify.forbid_tags (NULL-terminated). */
extern const char *const verify_default_forbid_packages[];
extern const char *const verify_default_forbid_tags[];

/*
 * The policy. A package pattern is an import path ("net/http/pprof": that
 * package) or a path ending in "/..." (the package and every package below
 * it). A package is forbidden when a forbid_packages pattern matches it and
 * no allow_packages pattern does.
 */
struct verify_policy {
	struct argv_array forbid_packages; /* patterns */
	struct argv_array allow_packages;  /* patterns that win over forbid_packages */
	struct argv_array forbid_tags;     /* build tags (-tags) */
	int forbid_race;                   /* -race=true */
	int forbid_no_optimize;            /* -gcflags with -N or -l */
	int forbid_modified;               /* vcs.modified=true */
	int forbid_dwarf;                  /* verify.dwarf: forbidden */
	int require_trimpath;              /* -trimpath=true required */
};

/* Fills p with the defaults (forbid_packages, forbid_tags allocated: release p). */
void verify_policy_init(struct verify_policy *p);
/* Fills p from golive.yaml's verify: section (c's defaults are the same as above). */
void verify_policy_from_config(struct verify_policy *p, const struct golive_config *c);
void verify_policy_release(struct verify_policy *p);

/* One violation: the verify: key that forbids it, and one line naming the evidence. */
struct verify_violation {
	const char
	    *rule;     /* "dev_injection", "forbid_packages", "forbid_race", "forbid_no_optimize",
	                  "forbid_tags", "forbid_modified", "dwarf", "require_trimpath" (static) */
	char *message; /* "forbidden package net/http/pprof: symbol net/http/pprof.Cmdline
	                  (and 20 more)", "build setting -race=true is forbidden", ... */
};
typedef ARRAY(struct verify_violation) verify_violations;

/*
 * Checks binary b with build info bi against p, appending one violation per
 * finding to out, in this order: golive dev injections (always forbidden),
 * forbidden packages (by symbol, or by function name in .gopclntab when the
 * binary has no .symtab (stripped), then by dependency module), -race, -gcflags,
 * -tags, vcs.modified, DWARF, -trimpath. Returns the number appended.
 */
size_t verify_check(const struct binfile *b, const struct buildinfo *bi,
                    const struct verify_policy *p, verify_violations *out);

void verify_violations_release(verify_violations *v);

/*
 * The length of the package path at the start of symbol name
 * ("net/http/pprof" in "net/http/pprof.(*handler).ServeHTTP", "main" in
 * "main.main"), or 0 when name does not start with one (linker symbols such
 * as "go.itab.*p.T,q.I", "go:buildid"). The path is as the linker spells it:
 * '.' in its last element is "%2e".
 */
size_t verify_symbol_pkglen(const char *name);

/*
 * Whether symbol name is exported API (docs/verify.md): PKG.Name,
 * PKG.Type.Method or PKG.(*Type).Method where every part after the package
 * path starts with an ASCII uppercase letter and is an identifier; closures
 * (".func1"), generic instantiations ("[...]") and linker symbols are not.
 */
int verify_symbol_exported(const char *name);

/* An exported symbol in --against. */
struct verify_sym {
	const char *name; /* borrowed from the binfile */
	char kind;        /* 'T', 'D', 'R' or 'B' */
	uint64_t old_size, new_size;
};

/* A dependency in --against; a version is "v1.2.3" or "v1.2.3 => path [version]". */
struct verify_dep {
	const char *path;                /* borrowed from the build info */
	char *old_version, *new_version; /* NULL: not there on that side */
};

struct verify_diff {
	int symbols_compared; /* 0: one side has no symbol table (stripped) */
	int old_stripped, new_stripped;
	ARRAY(struct verify_sym) sym_added, sym_removed, sym_resized; /* sorted by name */
	ARRAY(struct verify_dep) dep_added, dep_removed, dep_changed; /* sorted by path */
	const char *old_go, *new_go;                                  /* Go versions (borrowed) */
	const char *old_main, *new_main; /* main module paths (borrowed; NULL: none) */
	const char *old_main_version, *new_main_version;
	int go_changed, main_changed; /* main_changed: path or version */
};

/*
 * Compares OLD (ob, obi) with NEW (nb, nbi): exported global symbols of
 * kind T, D, R or B added, removed, changed in size; dependency modules
 * added, removed, with another version or replacement; Go version; main
 * module path and version. d borrows strings from its arguments: release d
 * before them.
 */
void verify_diff(const struct binfile *ob, const struct buildinfo *obi, const struct binfile *nb,
                 const struct buildinfo *nbi, struct verify_diff *d);

/* The number of differences in d. */
size_t verify_diff_count(const struct verify_diff *d);

void verify_diff_release(struct verify_diff *d);

/*
 * For two files that differ: the first section of a, in file order, whose
 * bytes differ from the section of the same name in b (or that b lacks, or
 * whose size differs), into name (size bytes), with the offset of the
 * first differing byte within it in *offset; the section named skip (or
 * NULL) is passed over (".note.go.buildid": the build ID differs whenever
 * anything does). Returns 1 when one was found, 0 when every section of a
 * is the same in b (the difference is in the headers or padding only).
 */
int verify_section_diff(const struct binfile *a, const struct binfile *b, const char *skip,
                        char *name, size_t size, uint64_t *offset);

#endif
