#!/usr/bin/env bash
# gostd.sh: CTest's fixture e2e/setup_gostd (and e2e-oldest-go/setup_gostd),
# not a test of golive. Builds, with plain go build and lib.sh's environment,
# the standard-library packages the test programs import (examples/webapp,
# tests/e2e/testdata/dev, go test's own) into the GOCACHE
# $GOLIVE_TEST_STD_CACHE/<go version>, kept between runs. lib.sh's
# seed_std_cache starts a test's private GOCACHE as a copy of it, so the
# scripts that need std only built (never through golive) do not compile it
# again each; run by hand without GOLIVE_TEST_STD_CACHE, they build it.
. "$(dirname "$0")/lib.sh"

: "${GOLIVE_TEST_STD_CACHE:?the directory of the std caches, from tests/CMakeLists.txt}"
dst=$GOLIVE_TEST_STD_CACHE/$(go env GOVERSION)
mkdir -p "$dst"
rm -f "$dst.ready"
pkgs=testing/internal/testdeps
for d in "$GOLIVE_SRC/examples/webapp" "$GOLIVE_SRC"/tests/e2e/testdata/dev/*/; do
	[ -f "$d/go.mod" ] || continue
	pkgs="$pkgs $(cd "$d" && go list -deps -f '{{if .Standard}}{{.ImportPath}}{{end}}' ./...)" ||
		fail "go list -deps in $d failed"
done
# shellcheck disable=SC2086
(cd "$GOLIVE_SRC/examples/webapp" && GOCACHE=$dst go build $(printf '%s\n' $pkgs | sort -u)) ||
	fail "go build of std failed"
touch "$dst.ready"
pass "std for $(go env GOVERSION) in $dst ($(printf '%s\n' $pkgs | sort -u | wc -l) packages and their deps)"
finish
