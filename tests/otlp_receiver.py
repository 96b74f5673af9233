#!/usr/bin/env python3
"""otlp_receiver.py - an OTLP/HTTP (JSON) trace receiver for golive's tests.

Usage:
    python3 tests/otlp_receiver.py --log FILE [--script ITEMS] [--idle-timeout SECONDS]

Listens on 127.0.0.1, on a port the kernel picks, and prints "PORT <n>" as
its first line of stdout (flushed). It exits by itself after --idle-timeout
seconds (default 60) without a request, and on SIGTERM or SIGINT.

Every POST to /v1/traces is validated field by field as an OTLP/JSON
ExportTraceServiceRequest: Content-Type application/json; the body gunzipped
when Content-Encoding is gzip; resourceSpans[].resource.attributes[] and
every other attribute list as KeyValue (a key and a value with exactly one
of stringValue, intValue (decimal string), doubleValue, boolValue,
arrayValue, kvlistValue); scopeSpans[].scope.name; spans[] with traceId
(32 lowercase hex, not all zero), spanId (16, not all zero), parentSpanId
(absent or 16 lowercase hex), a non-empty name, kind 0-5,
startTimeUnixNano and endTimeUnixNano as decimal strings with end >= start,
status {} or {"code": 0-2, "message"?: string}, events[] (timeUnixNano,
name, attributes), traceState a string. Unknown fields are errors (they
catch misspelt names). A request that fails gets 400 with
{"code": 3, "message": "<what failed, at its JSON path>"}, whatever the
script says. Other paths get 404, other methods 405.

--log FILE: each request, valid or not, is appended as one JSON line,
written before the answer is sent (so a client that has its answer finds
its line in the file):
    {"path", "headers": {lowercased names}, "gzip": bool, "valid": bool,
     "error": str|null, "body": <parsed JSON or null>, "status": <the HTTP
     status answered, or null for hang and drop>, "script": <the item
     used>, "t": <unix time, float>}

--script ITEMS: a comma list, one item consumed per POST (the last one
repeats once the list is used up); default "200":
    200             200 with {}
    STATUS          that status; an error status has a google.rpc.Status body
                    {"code": ..., "message": "scripted STATUS"}
    STATUS:SECONDS  the same with Retry-After: SECONDS
    partial:N:MSG   200 with {"partialSuccess": {"rejectedSpans": "N",
                    "errorMessage": "MSG"}} (MSG may not contain a comma)
    hang            read the request, then never answer until the client
                    goes away
    drop            read the request, then close the connection unanswered
    400             reject (as STATUS above)
"""

import argparse
import gzip
import http.server
import json
import re
import select
import signal
import socket
import sys
import threading
import time

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
DECIMAL = re.compile(r"^[0-9]+$")
SIGNED_DECIMAL = re.compile(r"^-?[0-9]+$")

# google.rpc.Code for an HTTP status, for the bodies of scripted errors.
RPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 409: 10, 429: 8, 500: 13, 501: 12, 502: 14,
             503: 14, 504: 4}


class Invalid(Exception):
    """A request that is not a valid OTLP/JSON ExportTraceServiceRequest."""


def fail(path, what):
    raise Invalid("%s: %s" % (path or "$", what))


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def check_fields(obj, path, allowed):
    if not isinstance(obj, dict):
        fail(path, "not an object")
    for k in obj:
        if k not in allowed:
            fail(path, "unknown field %r" % k)


def check_any_value(v, path):
    check_fields(v, path, {"stringValue", "intValue", "doubleValue", "boolValue",
                           "arrayValue", "kvlistValue"})
    if len(v) != 1:
        fail(path, "an AnyValue needs exactly one of stringValue, intValue, doubleValue, "
             "boolValue, arrayValue, kvlistValue (has %d)" % len(v))
    (kind, x), = v.items()
    p = "%s.%s" % (path, kind)
    if kind == "stringValue":
        if not isinstance(x, str):
            fail(p, "not a string")
    elif kind == "intValue":
        if not isinstance(x, str) or not SIGNED_DECIMAL.match(x):
            fail(p, "not a decimal string: %r" % (x,))
    elif kind == "doubleValue":
        if not ((isinstance(x, (int, float)) and not isinstance(x, bool))
                or x in ("NaN", "Infinity", "-Infinity")):
            fail(p, "not a number: %r" % (x,))
    elif kind == "boolValue":
        if not isinstance(x, bool):
            fail(p, "not a boolean")
    elif kind == "arrayValue":
        check_fields(x, p, {"values"})
        vals = x.get("values", [])
        if not isinstance(vals, list):
            fail(p + ".values", "not an array")
        for i, e in enumerate(vals):
            check_any_value(e, "%s.values[%d]" % (p, i))
    elif kind == "kvlistValue":
        check_fields(x, p, {"values"})
        check_attributes(x.get("values", []), p + ".values")


def check_attributes(attrs, path):
    if not isinstance(attrs, list):
        fail(path, "not an array")
    for i, kv in enumerate(attrs):
        p = "%s[%d]" % (path, i)
        check_fields(kv, p, {"key", "value"})
        if not isinstance(kv.get("key"), str) or not kv["key"]:
            fail(p + ".key", "missing or not a non-empty string")
        if "value" not in kv:
            fail(p + ".value", "missing")
        check_any_value(kv["value"], p + ".value")


def check_id(v, path, rx, n):
    if not isinstance(v, str) or not rx.match(v):
        fail(path, "not %d lowercase hex digits: %r" % (n, v))
    if set(v) == {"0"}:
        fail(path, "all zeros")


def check_time(v, path):
    if not isinstance(v, str) or not DECIMAL.match(v):
        fail(path, "not a decimal string: %r" % (v,))
    return int(v)


def check_span(s, path):
    check_fields(s, path, {"traceId", "spanId", "traceState", "parentSpanId", "flags", "name",
                           "kind", "startTimeUnixNano", "endTimeUnixNano", "attributes",
                           "droppedAttributesCount", "events", "droppedEventsCount", "links",
                           "droppedLinksCount", "status"})
    for f in ("traceId", "spanId", "name", "startTimeUnixNano", "endTimeUnixNano"):
        if f not in s:
            fail("%s.%s" % (path, f), "missing")
    check_id(s["traceId"], path + ".traceId", HEX32, 32)
    check_id(s["spanId"], path + ".spanId", HEX16, 16)
    if "parentSpanId" in s:
        p = s["parentSpanId"]
        if not isinstance(p, str) or not HEX16.match(p):
            fail(path + ".parentSpanId", "not 16 lowercase hex digits: %r" % (p,))
    if "traceState" in s and not isinstance(s["traceState"], str):
        fail(path + ".traceState", "not a string")
    if not isinstance(s["name"], str) or not s["name"]:
        fail(path + ".name", "not a non-empty string")
    if "kind" in s and (not is_int(s["kind"]) or not 0 <= s["kind"] <= 5):
        fail(path + ".kind", "not an integer 0-5: %r" % (s["kind"],))
    start = check_time(s["startTimeUnixNano"], path + ".startTimeUnixNano")
    end = check_time(s["endTimeUnixNano"], path + ".endTimeUnixNano")
    if end < start:
        fail(path + ".endTimeUnixNano", "before startTimeUnixNano")
    check_attributes(s.get("attributes", []), path + ".attributes")
    events = s.get("events", [])
    if not isinstance(events, list):
        fail(path + ".events", "not an array")
    for i, ev in enumerate(events):
        p = "%s.events[%d]" % (path, i)
        check_fields(ev, p, {"timeUnixNano", "name", "attributes", "droppedAttributesCount"})
        if "timeUnixNano" not in ev:
            fail(p + ".timeUnixNano", "missing")
        check_time(ev["timeUnixNano"], p + ".timeUnixNano")
        if not isinstance(ev.get("name"), str) or not ev["name"]:
            fail(p + ".name", "missing or not a non-empty string")
        check_attributes(ev.get("attributes", []), p + ".attributes")
    if "status" in s:
        st = s["status"]
        p = path + ".status"
        check_fields(st, p, {"code", "message"})
        if st:
            if "code" not in st:
                fail(p, "a status that is not {} needs a code")
            if not is_int(st["code"]) or not 0 <= st["code"] <= 2:
                fail(p + ".code", "not an integer 0-2: %r" % (st["code"],))
            if "message" in st and not isinstance(st["message"], str):
                fail(p + ".message", "not a string")


def validate(doc):
    """Raises Invalid naming the first problem of an ExportTraceServiceRequest."""
    check_fields(doc, "", {"resourceSpans"})
    rss = doc.get("resourceSpans")
    if not isinstance(rss, list) or not rss:
        fail("resourceSpans", "missing or not a non-empty array")
    for i, rs in enumerate(rss):
        p = "resourceSpans[%d]" % i
        check_fields(rs, p, {"resource", "scopeSpans", "schemaUrl"})
        res = rs.get("resource")
        if res is None:
            fail(p + ".resource", "missing")
        check_fields(res, p + ".resource", {"attributes", "droppedAttributesCount"})
        check_attributes(res.get("attributes", []), p + ".resource.attributes")
        sss = rs.get("scopeSpans")
        if not isinstance(sss, list):
            fail(p + ".scopeSpans", "missing or not an array")
        for j, ss in enumerate(sss):
            q = "%s.scopeSpans[%d]" % (p, j)
            check_fields(ss, q, {"scope", "spans", "schemaUrl"})
            scope = ss.get("scope")
            if scope is None:
                fail(q + ".scope", "missing")
            check_fields(scope, q + ".scope", {"name", "version", "attributes",
                                                "droppedAttributesCount"})
            if not isinstance(scope.get("name"), str) or not scope["name"]:
                fail(q + ".scope.name", "missing or not a non-empty string")
            if "version" in scope and not isinstance(scope["version"], str):
                fail(q + ".scope.version", "not a string")
            spans = ss.get("spans")
            if not isinstance(spans, list):
                fail(q + ".spans", "missing or not an array")
            for k, s in enumerate(spans):
                check_span(s, "%s.spans[%d]" % (q, k))


class Script:
    """The scripted answers: one item per request, the last one repeating."""

    def __init__(self, text):
        self.items = [x.strip() for x in text.split(",") if x.strip()] or ["200"]
        self.n = 0
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            item = self.items[min(self.n, len(self.items) - 1)]
            self.n += 1
            return item


class State:
    def __init__(self, args):
        self.script = Script(args.script)
        self.log_path = args.log
        self.log_lock = threading.Lock()
        self.last_request = time.monotonic()
        self.stop = threading.Event()

    def log(self, rec):
        line = json.dumps(rec, sort_keys=True)
        with self.log_lock:
            if self.log_path:
                with open(self.log_path, "a", encoding="utf-8") as f:
                    f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "otlp-receiver/1"

    def log_message(self, fmt, *args):  # quiet: the log file says it all
        pass

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def answer(self, status, body, extra=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def hang(self):
        """Holds the connection, unanswered, until the client closes it."""
        self.close_connection = True
        conn = self.connection
        while not self.server.state.stop.is_set():
            r, _, _ = select.select([conn], [], [], 0.1)
            if r:
                try:
                    if not conn.recv(4096):
                        return
                except OSError:
                    return

    def do_POST(self):
        state = self.server.state
        state.last_request = time.monotonic()
        headers = {}
        for k, v in self.headers.items():
            k = k.lower()
            headers[k] = headers[k] + ", " + v if k in headers else v
        raw = self.read_body()
        item = state.script.next() if self.path == "/v1/traces" else None
        rec = {"path": self.path, "headers": headers, "gzip": False, "valid": False,
               "error": None, "body": None, "status": None, "script": item, "t": time.time()}
        try:
            if self.path != "/v1/traces":
                rec["status"] = 404
                rec["error"] = "no such path: %s" % self.path
                state.log(rec)
                self.answer(404, {"code": 5, "message": rec["error"]})
                return
            ctype = headers.get("content-type", "")
            if ctype.split(";")[0].strip().lower() != "application/json":
                raise Invalid("Content-Type: not application/json: %r" % ctype)
            enc = headers.get("content-encoding", "identity").strip().lower()
            if enc == "gzip":
                rec["gzip"] = True
                try:
                    raw = gzip.decompress(raw)
                except (OSError, EOFError) as e:
                    raise Invalid("Content-Encoding gzip: body is not gzip: %s" % e)
            elif enc != "identity":
                raise Invalid("Content-Encoding: unsupported %r" % enc)
            try:
                doc = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                raise Invalid("body is not JSON: %s" % e)
            rec["body"] = doc
            validate(doc)
            rec["valid"] = True
        except Invalid as e:
            rec["error"] = str(e)
            rec["status"] = 400
            state.log(rec)
            self.answer(400, {"code": 3, "message": str(e)})
            return

        if item == "hang" or item == "drop":
            state.log(rec)
            if item == "hang":
                self.hang()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if item.startswith("partial:"):
            _, n, msg = (item.split(":", 2) + ["", ""])[:3]
            rec["status"] = 200
            state.log(rec)
            self.answer(200, {"partialSuccess": {"rejectedSpans": n, "errorMessage": msg}})
            return
        status, _, retry_after = item.partition(":")
        status = int(status)
        rec["status"] = status
        state.log(rec)
        extra = {"Retry-After": retry_after} if retry_after else None
        if 200 <= status < 300:
            self.answer(status, {}, extra)
        else:
            self.answer(status, {"code": RPC_CODES.get(status, 2),
                                 "message": "scripted %d" % status}, extra)

    def other(self):
        self.server.state.last_request = time.monotonic()
        self.answer(405, {"code": 12, "message": "method %s not allowed" % self.command})

    do_GET = do_PUT = do_DELETE = do_PATCH = other


def main():
    ap = argparse.ArgumentParser(description="OTLP/HTTP JSON trace receiver for tests")
    ap.add_argument("--log", help="append one JSON line per request to this file")
    ap.add_argument("--script", default="200", help='answers, e.g. "429:1,503,200"')
    ap.add_argument("--idle-timeout", type=float, default=60.0,
                    help="exit after this many seconds without a request")
    args = ap.parse_args()
    for item in args.script.split(","):
        item = item.strip()
        if item in ("hang", "drop") or item.startswith("partial:"):
            continue
        status, _, ra = item.partition(":")
        if not status.isdigit() or (ra and not ra.isdigit()):
            ap.error("bad script item %r" % item)

    state = State(args)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = state

    def stop(*_):
        state.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def watchdog():
        while not state.stop.wait(0.1):
            if time.monotonic() - state.last_request > args.idle_timeout:
                state.stop.set()
        server.shutdown()

    print("PORT %d" % server.server_address[1], flush=True)
    threading.Thread(target=watchdog, daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
