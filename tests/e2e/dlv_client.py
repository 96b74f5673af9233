#!/usr/bin/env python3
"""dlv_client.py - a delve JSON-RPC 2 client for the golive dev --debug tests
(what `dlv connect`, VS Code or nvim-dap do, reduced to what the tests need).

  dlv_client.py setbp ADDR FILE LINE   halt, CreateBreakpoint, continue: prints the line set
  dlv_client.py list ADDR              halt, ListBreakpoints, continue: "file:line" per line
  dlv_client.py hit ADDR URL           halt, continue, GET URL: waits for the stop, prints
                                       JSON {"file", "line", "pid", "body"} after continuing
  dlv_client.py state ADDR             State (non-blocking): JSON {"pid", "running"}

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


def main():
    cmd, addr = sys.argv[1], sys.argv[2]
    d = Delve(addr)
    if cmd == "state":
        st = d.call("State", {"NonBlocking": True})["State"]
        print(json.dumps({"pid": st.get("Pid"), "running": st.get("Running")}))
        return
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
