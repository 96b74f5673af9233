"""lspclient.py - a small Language Server Protocol client for golive lsp's tests.

Starts `golive lsp` as a child, frames JSON-RPC messages (Content-Length), reads
the server's messages on a thread, answers its requests (registerCapability),
and lets a test wait for a response or a notification with a deadline.
"""
import json
import os
import queue
import subprocess
import threading
import time


def uri(path):
    from urllib.parse import quote
    return "file://" + quote(os.path.abspath(path))


class Client:
    def __init__(self, argv, env=None, cwd=None):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env, cwd=cwd)
        self.q = queue.Queue()
        self.seen = []  # every notification, in order
        self.next_id = 1
        self.stderr = b""
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read_err(self):
        self.stderr = self.p.stderr.read()

    def _read(self):
        f = self.p.stdout
        while True:
            headers = {}
            while True:
                line = f.readline()
                if not line:
                    self.q.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                k, _, v = line.decode().partition(":")
                headers[k.strip().lower()] = v.strip()
            body = f.read(int(headers["content-length"]))
            msg = json.loads(body)
            if "method" in msg and "id" in msg:  # a request of the server's
                self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
            self.q.put(msg)

    def send_raw(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def send(self, msg):
        body = json.dumps(msg).encode()
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request_async(self, method, params):
        i = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": i, "method": method, "params": params})
        return i

    def wait(self, pred, timeout=20, what="a message"):
        """The first message (new or already seen) for which pred is true."""
        for m in self.seen:
            if pred(m):
                self.seen.remove(m)
                return m
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                raise AssertionError("timed out waiting for %s; seen: %s" % (what, self.seen[-5:]))
            try:
                m = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if m is None:
                raise AssertionError("server exited while waiting for %s (stderr: %s)"
                                     % (what, self.stderr.decode(errors="replace")[-2000:]))
            if pred(m):
                return m
            self.seen.append(m)

    def request(self, method, params, timeout=20):
        i = self.request_async(method, params)
        return self.wait(lambda m: m.get("id") == i and "method" not in m, timeout,
                         "the answer to " + method)

    def diagnostics(self, u, pred=lambda d: True, timeout=20):
        """The next publishDiagnostics for uri u whose list satisfies pred."""
        m = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                      and m["params"]["uri"] == u and pred(m["params"]["diagnostics"]),
                      timeout, "diagnostics for " + u)
        return m["params"]["diagnostics"]

    def initialize(self, root, caps=None, options=None):
        r = self.request("initialize", {
            "processId": os.getpid(), "rootUri": uri(root),
            "workspaceFolders": [{"uri": uri(root), "name": "ws"}],
            "capabilities": caps or {}, "initializationOptions": options or {}})
        self.notify("initialized", {})
        return r["result"]

    def open(self, path, text=None, version=1):
        if text is None:
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri(path), "languageId": "go" if path.endswith(".go") else "yaml",
            "version": version, "text": text}})

    def change(self, path, version, changes):
        self.notify("textDocument/didChange", {
            "textDocument": {"uri": uri(path), "version": version}, "contentChanges": changes})

    def close(self):
        """shutdown + exit; returns the exit status."""
        self.request("shutdown", None)
        self.notify("exit", None)
        try:
            return self.p.wait(timeout=20)
        finally:
            self.p.stdin.close()


def rng(l1, c1, l2, c2):
    return {"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}}


def offset(text, line, character):
    """The str index of an LSP position (UTF-16 code units) in text."""
    lines = text.split("\n")
    i = sum(len(x) + 1 for x in lines[:line])
    units = 0
    for ch in lines[line] if line < len(lines) else "":
        if units >= character:
            break
        units += 2 if ord(ch) > 0xFFFF else 1
        i += 1
    return i


def apply_edits(text, edits):
    """text with LSP TextEdits applied (last first)."""
    spans = []
    for e in edits:
        r = e["range"]
        spans.append((offset(text, r["start"]["line"], r["start"]["character"]),
                      offset(text, r["end"]["line"], r["end"]["character"]), e["newText"]))
    for a, b, t in sorted(spans, reverse=True):
        text = text[:a] + t + text[b:]
    return text


def u16len(s):
    return len(s.encode("utf-16-le")) // 2
