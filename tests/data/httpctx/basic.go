// Package basic: every call httpctx knows, in a plain handler and outside one.
package basic

import (
	"context"
	"database/sql"
	"net"
	"net/http"
	"os/exec"
)

var db *sql.DB

func handler(w http.ResponseWriter, r *http.Request) {
	ctx := context.Background() // want `use r\.Context\(\) instead of context\.Background\(\)`
	_ = context.TODO()          // want `use r\.Context\(\) instead of context\.TODO\(\)`
	_ = ctx

	http.Get("http://example.com/")                     // want `http\.Get drops the request's context; use http\.NewRequestWithContext\(r\.Context\(\), \.\.\.\) and a client's Do`
	http.Head("http://example.com/")                    // want `http\.Head drops`
	http.Post("http://example.com/", "text/plain", nil) // want `http\.Post drops`
	http.PostForm("http://example.com/", nil)           // want `http\.PostForm drops`
	http.DefaultClient.Get("http://example.com/")       // want `http\.DefaultClient\.Get drops the request's context; use http\.NewRequestWithContext\(r\.Context\(\), \.\.\.\) and http\.DefaultClient\.Do`
	http.NewRequest("GET", "http://example.com/", nil)  // want `http\.NewRequest drops the request's context; use http\.NewRequestWithContext\(r\.Context\(\), \.\.\.\)`

	exec.Command("ls")              // want `exec\.Command drops the request's context; use exec\.CommandContext\(r\.Context\(\), \.\.\.\)`
	net.Dial("tcp", "localhost:80") // want `net\.Dial drops the request's context; use \(&net\.Dialer\{\}\)\.DialContext\(r\.Context\(\), \.\.\.\)`

	db.Query("SELECT 1")              // want `db\.Query drops the request's context; use db\.QueryContext\(r\.Context\(\), \.\.\.\)`
	db.QueryRow("SELECT 1")           // want `db\.QueryRow drops the request's context; use db\.QueryRowContext\(r\.Context\(\), \.\.\.\)`
	db.Exec("DELETE FROM t")          // want `db\.Exec drops the request's context; use db\.ExecContext\(r\.Context\(\), \.\.\.\)`
	stmt, _ := db.Prepare("SELECT 1") // want `db\.Prepare drops the request's context; use db\.PrepareContext`
	stmt.Exec()                       // want `stmt\.Exec drops the request's context; use stmt\.ExecContext\(r\.Context\(\), \.\.\.\)`
	tx, _ := db.Begin()               // want `db\.Begin drops the request's context; use db\.BeginTx\(r\.Context\(\), nil\)`
	tx.Exec("UPDATE t SET x = 1")     // want `tx\.Exec drops`

	// The right ways: nothing to report.
	req, _ := http.NewRequestWithContext(r.Context(), "GET", "http://example.com/", nil)
	http.DefaultClient.Do(req)
	exec.CommandContext(r.Context(), "ls")
	db.QueryContext(r.Context(), "SELECT 1")
	tx2, _ := db.BeginTx(r.Context(), nil)
	_ = tx2
	_ = r.URL.Query().Get("q") // url.Values, not a database
	(&net.Dialer{}).DialContext(r.Context(), "tcp", "localhost:80")
}

// Not a handler: a background job may well use context.Background().
func job() {
	ctx := context.Background()
	_ = ctx
	http.Get("http://example.com/")
	db.Query("SELECT 1")
	exec.Command("ls")
}

// Three parameters, the first two a handler's (httprouter style): a handler.
func withParams(w http.ResponseWriter, r *http.Request, ps []string) {
	_ = context.TODO() // want `use r\.Context\(\) instead of context\.TODO\(\)`
}

// The request first, the writer second: not the handler signature.
func reversed(r *http.Request, w http.ResponseWriter) {
	_ = context.TODO()
}
