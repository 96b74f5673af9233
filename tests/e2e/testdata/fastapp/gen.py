# gen.py DIR: writes the fast-path test and benchmark app into DIR: a module of
# 16 packages (5 leaves, 6 middle, 4 upper, main) in a DAG, and gorilla/mux
# through a replace to Debian's sources (golang-github-gorilla-mux-dev).
# The program prints its output with -print, else serves it on fd 3
# (golive dev --listen) or a free port.
import os, sys
root = sys.argv[1]
mod = "example.com/fastapp"
# DAG: 5 leaves, 6 middle, 4 upper, main = 16 packages
pk = {}
for i in range(1, 6): pk[f"leaf/l{i}"] = []
for i in range(1, 7): pk[f"mid/m{i}"] = [f"leaf/l{(i % 5) + 1}", f"leaf/l{((i + 1) % 5) + 1}"]
pk["mid/m1"].append("leaf/l1")
for i in range(1, 5): pk[f"up/u{i}"] = [f"mid/m{i}", f"mid/m{i + 1}", "leaf/l1"]
pk["main"] = ["up/u1", "up/u2", "up/u3", "up/u4", "mid/m6"]
def w(p, s):
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "w").write(s)
w(f"{root}/go.mod", f"module {mod}\n\ngo 1.19\n\nrequire github.com/gorilla/mux v1.8.0\n\nreplace github.com/gorilla/mux => /usr/share/gocode/src/github.com/gorilla/mux\n")
for p, deps in pk.items():
    if p == "main": continue
    name = p.split("/")[-1]
    imps = "".join(f'\t"{mod}/{d}"\n' for d in sorted(set(deps)))
    calls = " + ".join(f'{d.split("/")[-1]}.Value()' for d in sorted(set(deps))) or "0"
    w(f"{root}/{p}/{name}.go", f'''package {name}

import (
\t"fmt"
{imps})

const Base = {len(name) * 7}

type Item struct {{
\tN int
}}

func (it Item) Show() string {{ return fmt.Sprintf("{name}(%d)", it.N) }}

func Value() int {{
\treturn Base + {calls}
}}

func Describe() string {{
\treturn fmt.Sprintf("{name}=%d", Value())
}}
''')
w(f"{root}/main.go", f'''package main

import (
\t"fmt"
\t"net"
\t"net/http"
\t"os"
\t"strings"

\t"github.com/gorilla/mux"

\t"{mod}/mid/m6"
\t"{mod}/up/u1"
\t"{mod}/up/u2"
\t"{mod}/up/u3"
\t"{mod}/up/u4"
)

const version = "v0"

func output() string {{
\tparts := []string{{version, u1.Describe(), u2.Describe(), u3.Describe(), u4.Describe(), m6.Describe()}}
\treturn strings.Join(parts, " ") + "\\n"
}}

func main() {{
\tif len(os.Args) > 1 && os.Args[1] == "-print" {{
\t\tfmt.Print(output())
\t\treturn
\t}}
\tr := mux.NewRouter()
\tr.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {{ fmt.Fprint(w, output()) }})
\tln, err := net.FileListener(os.NewFile(3, "listen"))
\tif err != nil {{
\t\tln, err = net.Listen("tcp", "127.0.0.1:0")
\t}}
\tif err != nil {{
\t\tpanic(err)
\t}}
\tpanic(http.Serve(ln, r))
}}
''')
