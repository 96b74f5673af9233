// config.ts - what the extension asks of VS Code's client, from its settings:
// how to start golive lsp, which documents it serves, and the files it
// watches. Pure (no vscode import), so that the unit test runs under node.

/** The extension's settings (contributes.configuration in package.json). */
export interface Settings {
  path: string; // golive.path
  debounceMs: number; // golive.debounceMs
}

/** A getter like vscode.WorkspaceConfiguration.get. */
export type Getter = <T>(key: string, fallback: T) => T;

/** The settings from a configuration section "golive", defaults and bad values fixed. */
export function readSettings(get: Getter): Settings {
  let path = get<string>("path", "golive");
  if (typeof path !== "string" || path.trim() === "") path = "golive";
  let debounceMs = get<number>("debounceMs", 50);
  if (typeof debounceMs !== "number" || !Number.isInteger(debounceMs) || debounceMs < 0 ||
      debounceMs > 10000)
    debounceMs = 50;
  return { path: path.trim(), debounceMs };
}

/** vscode-languageclient's Executable: golive lsp on stdio. */
export function serverExecutable(s: Settings) {
  return { command: s.path, args: ["lsp"], options: { env: process.env } };
}

/** Go files and golive.yaml, on disk and unsaved. */
export const documentSelector = [
  { scheme: "file", language: "go" },
  { scheme: "untitled", language: "go" },
  { scheme: "file", pattern: "**/golive.yaml" },
];

/** The files whose changes reload golive.yaml's settings (workspace/didChangeWatchedFiles). */
export const watchedGlobs = ["**/golive.yaml", "**/go.mod"];

/** LanguageClientOptions without the vscode objects (the extension adds the watchers). */
export function clientOptions(s: Settings) {
  return {
    documentSelector,
    initializationOptions: { debounceMs: s.debounceMs },
    diagnosticCollectionName: "golive",
  };
}
