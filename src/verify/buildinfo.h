/*
 * buildinfo.h - the Go build information embedded in a Go binary (what
 * `go version -m` prints), read in C from a binfile (binfile.h).
 *
 * The blob starts with the 14-byte magic "\xff Go buildinf:" (16-byte
 * aligned, in the .go.buildinfo section, else searched in the data), then
 * a pointer size byte and a flags byte:
 *  - flags & 2 (Go >= 1.18, "inline"): the version and the module info
 *    follow at offset 32 as two uvarint-length-prefixed strings;
 *  - otherwise (older, "pointer-based"): at offset 16 two pointers (of the
 *    pointer size, in the byte order flags & 1 says: 1 big-endian) to Go
 *    string headers {data pointer, length} elsewhere in the binary.
 * The module info has 16-byte sentinels at both ends (stripped) and lines:
 *   path\t<main package path>
 *   mod\t<path>\t<version>\t<sum>
 *   dep\t<path>\t<version>\t<sum>
 *   =>\t<path>\t<version>\t<sum>        (replaces the dep line before it)
 *   build\t<key>=<value>                (key and value quoted as Go does when needed)
 * Every length and pointer is checked; a hostile blob is one line in *cause.
 */
#ifndef GOLIVE_BUILDINFO_H
#define GOLIVE_BUILDINFO_H

#include "verify/binfile.h"
#include "core/util.h"

struct bi_module {
	char *path, *version, *sum; /* version "(devel)" for a main module built from a tree */
	struct bi_module *replace;  /* the "=>" line after it, or NULL */
};

struct bi_setting {
	char *key, *value; /* "-compiler"/"gc", "-ldflags"/"-s -w", "CGO_ENABLED"/"1",
	                      "vcs.revision"/..., unquoted */
};

struct buildinfo {
	char *go_version;      /* "go1.19.8" */
	int inline_format;     /* 1: Go >= 1.18 inline strings; 0: pointer-based */
	char *path;            /* the main package's import path ("path" line), or NULL */
	struct bi_module main; /* the "mod" line (path NULL when absent: GOPATH mode) */
	ARRAY(struct bi_module) deps;
	ARRAY(struct bi_setting) settings;
};

/*
 * Reads b's build info. 1 when found and parsed, 0 when the binary has no
 * build info (not a Go binary, or too old), -1 with *cause when it is
 * there but malformed. bi is filled on 1 (buildinfo_release() it) and left
 * empty otherwise. *cause names the file like binfile's do ("BINARY: Go
 * build info at file offset 0x...: ..."). Module info without its
 * sentinels counts as none (as go: path, main module and deps absent).
 */
int buildinfo_read(const struct binfile *b, struct buildinfo *bi, char **cause);

/*
 * Parses the module info text (sentinels already stripped; not
 * NUL-terminated, len bytes) into the path, main, deps and settings of bi,
 * which starts zeroed (go_version is left alone). Accepts and refuses what
 * runtime/debug.ParseBuildInfo does, and refuses NUL bytes in the lines it
 * keeps. 0, or -1 with *cause ("line N: ...") and bi released.
 */
int buildinfo_parse_modinfo(struct buildinfo *bi, const char *text, size_t len, char **cause);

/* The value of setting key, or NULL. */
const char *buildinfo_setting(const struct buildinfo *bi, const char *key);

/*
 * Writes what `go version -m FILE` prints for it: "FILE: go1.19.8\n" then
 * "\tpath\t...", "\tmod\t...", "\tdep\t...", "\t=>\t...", "\tbuild\t..."
 * lines, byte for byte as go 1.19+ does (settings re-quoted as go quotes them;
 * a replaced module is followed by its "=>" line and a "\t" line, as go prints it).
 */
void buildinfo_format_m(const struct buildinfo *bi, const char *file, struct strbuf *out);

void buildinfo_release(struct buildinfo *bi);

#endif
