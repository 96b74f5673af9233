// extension.ts - starts golive lsp next to gopls for Go files and golive.yaml
// (docs/editors.md). Restarts it when the golive.* settings change.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";

import { clientOptions, readSettings, serverExecutable, watchedGlobs } from "./config";

let client: LanguageClient | undefined;

async function start(ctx: vscode.ExtensionContext) {
  const cfg = vscode.workspace.getConfiguration("golive");
  const s = readSettings((key, fallback) => cfg.get(key, fallback));
  const exe = serverExecutable(s);
  const server: ServerOptions = { run: exe, debug: exe };
  const watchers = watchedGlobs.map((g) => vscode.workspace.createFileSystemWatcher(g));
  watchers.forEach((w) => ctx.subscriptions.push(w));
  const options: LanguageClientOptions = { ...clientOptions(s), synchronize: { fileEvents: watchers } };
  client = new LanguageClient("golive", "golive", server, options);
  await client.start();
}

export async function activate(ctx: vscode.ExtensionContext) {
  await start(ctx);
  ctx.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration("golive.path") && !e.affectsConfiguration("golive.debounceMs"))
        return;
      await client?.stop();
      await start(ctx);
    }),
  );
}

export async function deactivate() {
  await client?.stop();
}
