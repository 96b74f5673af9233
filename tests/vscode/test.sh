#!/usr/bin/env bash
# tests/vscode/test.sh EXTDIR VSIX: the VS Code extension of editors/vscode:
# compiles (tsc), runs its configuration's unit test (node --test), packages
# it with @vscode/vsce into VSIX, and checks the package holds the compiled
# extension, its manifest and the pinned vscode-languageclient, not its tests.
set -euo pipefail
ext=$1 vsix=$2
[ -d "$ext/node_modules/@vscode/vsce" ] || {
	echo "FAIL: $ext/node_modules is missing: run scripts/bootstrap" >&2
	exit 1
}
# out/ (tsc's output, gitignored) is written in place: vsce packages the
# directory it runs in, with its node_modules.
cd "$ext"
npx --no-install tsc -p .
node --test out/test/
npx --no-install vsce package --allow-missing-repository --skip-license -o "$vsix" >/dev/null
python3 - "$vsix" <<'PY'
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = set(z.namelist())
for want in ("extension/package.json", "extension/out/extension.js", "extension/out/config.js",
             "extension/node_modules/vscode-languageclient/package.json"):
    assert want in names, "missing from the .vsix: " + want
assert not any(n.startswith("extension/out/test/") or n.startswith("extension/src/") for n in names), \
    "tests or sources packaged"
lc = json.loads(z.read("extension/node_modules/vscode-languageclient/package.json"))
assert lc["version"] == "9.0.1", lc["version"]
print("ok - %s: %d files, vscode-languageclient %s" % (sys.argv[1], len(names), lc["version"]))
PY
