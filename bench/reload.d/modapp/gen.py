# gen.py DIR: writes the app bench/reload-mod restarts into DIR: module
# golive.bench/modapp, 16 packages in a DAG (the shape of
# tests/e2e/testdata/fastapp: 5 leaves, 6 middle, 4 upper, main) and
# github.com/gorilla/mux through a replace to Debian's sources
# (golang-github-gorilla-mux-dev under /usr/share/gocode/src), so nothing
# is downloaded.
#
#   leaf/l1..l5   import nothing of the module; l1 is imported by m1, m4,
#                 m5, u1..u4 and main: 8 dependents, each importing it
#                 directly
#   mid/m1..m6    two or three leaves each
#   up/u1..u4     two mids and l1 each
#   main          u1..u4, m6, l1 and gorilla/mux
#
# Where the edits of bench/reload-mod land (each is one rename over one
# file; each carries a version string the app then serves):
#   GET /     main's home handler: `const version = "..."` in its body
#             (row a), and the import that row d swaps: the line marked
#             `// bench: import`, used by the line marked `// bench: use`
#   GET /l1   l1.Page(): `const version = "..."` in its body (row b), and
#             above it l1.Value, whose parameter type row c changes
#             (`func Value(opts ...int8) int`: every caller still compiles)
# l1.Page is over the inliner's budget (go build -gcflags=-m says "cannot
# inline Page: function too complex"), so an edit of its body leaves l1's
# export data as it was, as most function-body edits do.
#
# The program listens like bench/reload.d/app: on fd 3 when LISTEN_FDS is
# set for it (golive dev --listen), else on $APP_ADDR, retrying the bind
# every 2 ms for up to 10 s; it sends READY=1 to $NOTIFY_SOCKET when that
# is set, and shuts down gracefully on SIGTERM or SIGINT.
import os
import sys

root = sys.argv[1]
mod = "golive.bench/modapp"
MUX = "/usr/share/gocode/src/github.com/gorilla/mux"

pk = {}
for i in range(1, 6):
    pk[f"leaf/l{i}"] = []
for i in range(1, 7):
    pk[f"mid/m{i}"] = [f"leaf/l{(i % 5) + 1}", f"leaf/l{((i + 1) % 5) + 1}"]
pk["mid/m1"].append("leaf/l1")
for i in range(1, 5):
    pk[f"up/u{i}"] = [f"mid/m{i}", f"mid/m{i + 1}", "leaf/l1"]


def w(p, s):
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(s)


w(f"{root}/go.mod", f"""module {mod}

go 1.19

require github.com/gorilla/mux v1.8.0

replace github.com/gorilla/mux => {MUX}
""")

L1_EXTRA = '''
// Value's parameter is what row c of bench/reload-mod changes.
func Value(opts ...int8) int {
\treturn Base + len(opts)
}

// Page is what GET /l1 answers; row b edits the version in its body.
// The loop and the calls keep it over the inliner's budget.
func Page(items []Item) string {
\tconst version = "v0"
\tvar b strings.Builder
\tb.WriteString(version)
\tfor i, it := range items {
\t\tif i > 0 {
\t\t\tb.WriteString(", ")
\t\t}
\t\tb.WriteString(it.Show())
\t\tfmt.Fprintf(&b, "#%d", i)
\t}
\treturn b.String()
}
'''

for p, deps in pk.items():
    name = p.split("/")[-1]
    deps = sorted(set(deps))
    imps = "".join(f'\t"{mod}/{d}"\n' for d in deps)
    if name == "l1":
        imps = '\t"strings"\n' + imps
    calls = " + ".join(f'{d.split("/")[-1]}.Value()' for d in deps) or "0"
    value = "" if name == "l1" else f'''
func Value() int {{
\treturn Base + {calls}
}}
'''
    w(f"{root}/{p}/{name}.go", f'''package {name}

import (
\t"fmt"
{imps})

const Base = {len(name) * 7}

type Item struct {{
\tN int
}}

func (it Item) Show() string {{ return fmt.Sprintf("{name}(%d)", it.N) }}
{value}
func Describe() string {{
\treturn fmt.Sprintf("{name}=%d", Value())
}}
{L1_EXTRA if name == "l1" else ""}''')

w(f"{root}/main.go", f'''// The app bench/reload-mod restarts (see gen.py). GET / answers the
// version in home's body, GET /l1 what l1.Page answers, GET /all the
// Describe() of every package above l1.
package main

import (
\t"context"
\t"fmt"
\t"log"
\t"net"
\t"net/http"
\t"os"
\t"os/signal"
\t"strconv"
\t"strings"
\t"syscall"
\t"time"
\t"unicode/utf8" // bench: import

\t"github.com/gorilla/mux"

\t"{mod}/leaf/l1"
\t"{mod}/mid/m6"
\t"{mod}/up/u1"
\t"{mod}/up/u2"
\t"{mod}/up/u3"
\t"{mod}/up/u4"
)

var _ = utf8.RuneLen // bench: use

func home(w http.ResponseWriter, r *http.Request) {{
\tconst version = "v0"
\tfmt.Fprint(w, version)
}}

func all(w http.ResponseWriter, r *http.Request) {{
\tparts := []string{{u1.Describe(), u2.Describe(), u3.Describe(), u4.Describe(), m6.Describe(), l1.Describe()}}
\tfmt.Fprintln(w, strings.Join(parts, " "))
}}

func listener() net.Listener {{
\tif n, _ := strconv.Atoi(os.Getenv("LISTEN_FDS")); n >= 1 &&
\t\tos.Getenv("LISTEN_PID") == strconv.Itoa(os.Getpid()) {{
\t\tln, err := net.FileListener(os.NewFile(3, "listen"))
\t\tif err != nil {{
\t\t\tlog.Fatal("fd 3: ", err)
\t\t}}
\t\treturn ln
\t}}
\taddr := os.Getenv("APP_ADDR")
\tif addr == "" {{
\t\tlog.Fatal("neither LISTEN_FDS nor APP_ADDR is set")
\t}}
\tdeadline := time.Now().Add(10 * time.Second)
\tfor {{
\t\tln, err := net.Listen("tcp", addr)
\t\tif err == nil {{
\t\t\treturn ln
\t\t}}
\t\tif time.Now().After(deadline) {{
\t\t\tlog.Fatal(err)
\t\t}}
\t\ttime.Sleep(2 * time.Millisecond)
\t}}
}}

func notifyReady() {{
\tsock := os.Getenv("NOTIFY_SOCKET")
\tif sock == "" {{
\t\treturn
\t}}
\tc, err := net.DialUnix("unixgram", nil, &net.UnixAddr{{Name: sock, Net: "unixgram"}})
\tif err != nil {{
\t\tlog.Print("sd_notify: ", err)
\t\treturn
\t}}
\tdefer c.Close()
\tif _, err := c.Write([]byte("READY=1")); err != nil {{
\t\tlog.Print("sd_notify: ", err)
\t}}
}}

func main() {{
\tr := mux.NewRouter()
\tr.HandleFunc("/", home)
\tr.HandleFunc("/l1", func(w http.ResponseWriter, _ *http.Request) {{ fmt.Fprint(w, l1.Page(nil)) }})
\tr.HandleFunc("/all", all)
\tsrv := &http.Server{{Handler: r}}
\tln := listener()
\tdone := make(chan struct{{}})
\tgo func() {{
\t\tsig := make(chan os.Signal, 1)
\t\tsignal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
\t\t<-sig
\t\tctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
\t\tdefer cancel()
\t\tsrv.Shutdown(ctx)
\t\tclose(done)
\t}}()
\tnotifyReady()
\tif err := srv.Serve(ln); err != http.ErrServerClosed {{
\t\tlog.Fatal(err)
\t}}
\t<-done
}}
''')
