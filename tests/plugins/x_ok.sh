#!/bin/sh
# x_ok - a well-behaved exec plugin for tests/unit/test_plugin.c: describes
# itself, logs after_tool, and reports one diagnostic per analysed file, on
# line 1. The request is parsed with python3's json module.
exec python3 -c '
import json, sys
req = json.load(sys.stdin)
hook = req["hook"]
if hook == "describe":
    ans = {"name": "x_ok", "version": "0.3", "rewrites_args": False,
           "hooks": ["after_tool", "analyze_file"]}
elif hook == "after_tool":
    ans = {"log": ["%s exited %d" % (req["call"]["tool"], req["result"]["exit_code"])]}
elif hook == "analyze_file":
    ans = {"diagnostics": [{"file": f, "line": 1, "col": 1, "severity": "info",
                            "message": "x_ok saw " + f.rsplit("/", 1)[-1]}
                           for f in req["files"]]}
else:
    ans = {}
json.dump(ans, sys.stdout)
'
