#!/usr/bin/env python3
"""dlv_client.py - a delve JSON-RPC 2 client for the golive dev --debug tests
(what `dlv connect`, VS Code or nvim-dap do, reduced to what the tests need).

  dlv_client.py setbp ADDR FILE LINE   halt, CreateBreakpoint, continue: prints the line set
  dlv_client.py list ADDR              halt, ListBreakpoints, continue: "file:line" per line
  dlv_client.py hit ADDR URL           halt, continue, GET URL: waits for the stop, prints
                                       JSON {"file", "line", "pid", "body"} after continuing
  dlv_client.py state ADDR             State (non-blocking): JSON {"pid", "running"}
  dlv_client.py where ADDR             "running", or the stopped thread's "file:line"
  dlv_client.py dap ADDR FILE LINE URL a DAP session as VS Code's "attach" (mode remote):
                                       initialize, attach, setBreakpoints, configurationDone,
                                       GET URL, the "stopped" event, stackTrace, continue,
                                       disconnect leaving the program running: prints JSON
                                       {"verified", "reason", "line", "body"}

Every answer is waited for at most 30 s (exit 1 with the reason).
"""
import json
import socket
import sys
import threading
import urllib.request


class Delve:
    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        self.buf = b""
        self.next_id = 1

    def send(self, method, params):
        rid = self.next_id
        self.next_id += 1
        msg = {"method": "RPCServer." + method, "params": [params], "id": rid}
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        return rid

    def answer(self, rid):
        while True:
            while b"\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise SystemExit("delve closed the connection")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            ans = json.loads(line)
            if ans.get("id") != rid:
                continue
            if ans.get("error"):
                raise SystemExit("delve: %s" % ans["error"])
            return ans.get("result")

    def call(self, method, params):
        return self.answer(self.send(method, params))


class Dap:
    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        self.buf = b""
        self.seq = 0
        self.events = []

    def read(self):
        while b"\r\n\r\n" not in self.buf:
            self.more()
        head, rest = self.buf.split(b"\r\n\r\n", 1)
        n = int([l.split(b":", 1)[1] for l in head.split(b"\r\n")
                 if l.lower().startswith(b"content-length")][0])
        while len(rest) < n:
            self.buf = head + b"\r\n\r\n" + rest
            self.more()
            head, rest = self.buf.split(b"\r\n\r\n", 1)
        self.buf = rest[n:]
        return json.loads(rest[:n])

    def more(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise SystemExit("delve closed the DAP connection")
        self.buf += chunk

    def request(self, command, arguments):
        self.seq += 1
        body = json.dumps({"seq": self.seq, "type": "request", "command": command,
                           "arguments": arguments}).encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        while True:
            m = self.read()
            if m.get("type") == "event":
                self.events.append(m)
            elif m.get("type") == "response" and m.get("request_seq") == self.seq:
                if not m.get("success"):
                    raise SystemExit("DAP %s: %s" % (command, m.get("message")))
                return m.get("body") or {}

    def event(self, name):
        while True:
            for i, e in enumerate(self.events):
                if e.get("event") == name:
                    return self.events.pop(i)
            m = self.read()
            if m.get("type") == "event":
                self.events.append(m)


def dap(addr, path, line, url):
    d = Dap(addr)
    d.request("initialize", {"clientID": "golive-test", "adapterID": "go", "linesStartAt1": True,
                             "columnsStartAt1": True, "pathFormat": "path"})
    d.request("attach", {"request": "attach", "mode": "remote"})
    d.event("initialized")
    bps = d.request("setBreakpoints", {"source": {"path": path}, "breakpoints": [{"line": line}]})
    d.request("configurationDone", {})
    got = {}

    def get():
        with urllib.request.urlopen(url, timeout=60) as r:
            got["body"] = r.read().decode()

    t = threading.Thread(target=get, daemon=True)
    t.start()
    stopped = d.event("stopped")["body"]
    frames = d.request("stackTrace", {"threadId": stopped["threadId"], "levels": 1})["stackFrames"]
    d.request("continue", {"threadId": stopped["threadId"]})
    t.join(30)
    d.request("disconnect", {"terminateDebuggee": False})
    print(json.dumps({"verified": bps["breakpoints"][0].get("verified"), "reason": stopped.get("reason"),
                      "line": frames[0]["line"] if frames else None, "body": got.get("body")}))


def main():
    cmd, addr = sys.argv[1], sys.argv[2]
    if cmd == "dap":
        dap(addr, sys.argv[3], int(sys.argv[4]), sys.argv[5])
        return
    d = Delve(addr)
    if cmd == "state":
        st = d.call("State", {"NonBlocking": True})["State"]
        print(json.dumps({"pid": st.get("Pid"), "running": st.get("Running")}))
        return
    if cmd == "where":
        st = d.call("State", {"NonBlocking": True})["State"]
        th = st.get("currentThread") or {}
        print("running" if st.get("Running") else "%s:%s" % (th.get("file"), th.get("line")))
        return
    # halt a running program only: delve keeps a halt of a stopped one pending,
    # and the next continue would stop at once
    if d.call("State", {"NonBlocking": True})["State"].get("Running"):
        d.call("Command", {"name": "halt"})
    if cmd == "setbp":
        bp = d.call("CreateBreakpoint", {"Breakpoint": {"file": sys.argv[3], "line": int(sys.argv[4])}})
        print(bp["Breakpoint"]["line"])
        d.send("Command", {"name": "continue"})
    elif cmd == "list":
        for bp in d.call("ListBreakpoints", {"All": False})["Breakpoints"]:
            if bp["id"] > 0:
                print("%s:%d" % (bp["file"], bp["line"]))
        d.send("Command", {"name": "continue"})
    elif cmd == "hit":
        rid = d.send("Command", {"name": "continue"})
        got = {}

        def get():
            with urllib.request.urlopen(sys.argv[3], timeout=60) as r:
                got["body"] = r.read().decode()

        t = threading.Thread(target=get, daemon=True)
        t.start()
        st = d.answer(rid)["State"]
        th = st.get("currentThread") or {}
        out = {"file": th.get("file"), "line": th.get("line"), "pid": st.get("Pid"),
               "bp": (th.get("breakPoint") or {}).get("id")}
        d.send("Command", {"name": "continue"})
        t.join(30)
        out["body"] = got.get("body")
        print(json.dumps(out))
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
