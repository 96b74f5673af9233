// config.test.ts - the extension's configuration (node --test, no VS Code):
// package.json declares the settings config.ts reads, with the same defaults;
// golive lsp is started on stdio with the path set; the documents and watchers
// are Go files, golive.yaml and go.mod; bad settings fall back to the defaults.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { clientOptions, documentSelector, readSettings, serverExecutable, watchedGlobs } from "../config";

const pkg = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8"));
const props = pkg.contributes.configuration.properties;

function getter(values: Record<string, unknown>) {
  return <T>(key: string, fallback: T): T => (key in values ? (values[key] as T) : fallback);
}

test("package.json declares every setting with config.ts's defaults", () => {
  const d = readSettings(getter({}));
  assert.equal(props["golive.path"].default, d.path);
  assert.equal(props["golive.debounceMs"].default, d.debounceMs);
  assert.deepEqual(props["golive.trace.server"].enum, ["off", "messages", "verbose"]);
});

test("golive lsp on stdio, from the configured path", () => {
  const e = serverExecutable(readSettings(getter({ path: " /opt/golive/bin/golive " })));
  assert.equal(e.command, "/opt/golive/bin/golive");
  assert.deepEqual(e.args, ["lsp"]);
});

test("bad settings fall back to the defaults", () => {
  assert.deepEqual(readSettings(getter({ path: "", debounceMs: -3 })), { path: "golive", debounceMs: 50 });
  assert.deepEqual(readSettings(getter({ debounceMs: 2.5 })).debounceMs, 50);
  assert.deepEqual(readSettings(getter({ debounceMs: 200 })).debounceMs, 200);
});

test("Go files and golive.yaml are served; golive.yaml and go.mod watched", () => {
  assert.ok(documentSelector.some((d) => d.language === "go" && d.scheme === "file"));
  assert.ok(documentSelector.some((d) => d.pattern === "**/golive.yaml"));
  assert.deepEqual(watchedGlobs, ["**/golive.yaml", "**/go.mod"]);
  const o = clientOptions(readSettings(getter({ debounceMs: 120 })));
  assert.deepEqual(o.initializationOptions, { debounceMs: 120 });
});

test("activated for Go and for a workspace with golive.yaml, next to gopls", () => {
  assert.ok(pkg.activationEvents.includes("onLanguage:go"));
  assert.ok(pkg.activationEvents.includes("workspaceContains:**/golive.yaml"));
  assert.equal(pkg.main, "./out/extension.js");
  assert.equal(pkg.dependencies["vscode-languageclient"], "9.0.1"); // pinned
});
