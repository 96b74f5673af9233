// Package onestep: a handler calling a function of this file that drops the
// request's context is reported at the call, naming the chain.
package onestep

import (
	"context"
	"database/sql"
	"net/http"
	"os/exec"
	"time"
)

var db *sql.DB

type user struct{}

type store struct{ db *sql.DB }

func loadUser(id string) user {
	ctx := context.Background()
	_ = ctx
	return user{}
}

func runTool() { exec.Command("convert").Run() }

func (s *store) count() int {
	row := s.db.QueryRow("SELECT count(*) FROM t")
	_ = row
	return 0
}

func handler(w http.ResponseWriter, r *http.Request) {
	_ = loadUser(r.URL.Query().Get("id")) // want `loadUser drops the request's context: handler → loadUser → context\.Background\(\); give loadUser a context\.Context parameter and pass it r\.Context\(\)`
	runTool()                             // want `runTool drops the request's context: handler → runTool → exec\.Command`
	s := &store{db}
	_ = s.count() // want `count drops the request's context: handler → count → s\.db\.QueryRow`
	go runTool()  // want `handler → runTool → exec\.Command`
	http.HandleFunc("/x", func(w http.ResponseWriter, q *http.Request) {
		_ = loadUser("x") // want `handler → loadUser → context\.Background\(\); give loadUser a context\.Context parameter and pass it q\.Context\(\)`
	})
}

// ok: one step only; the chain handler → viaHelper → loadUser is not followed.
func viaHelper() user { return loadUser("y") }

func deep(w http.ResponseWriter, r *http.Request) {
	_ = viaHelper() // ok: two steps away
	_ = clean()     // ok: nothing dropped there
}

func clean() int { return 1 }

// ok: a helper given the request can use r.Context() itself (contextcheck #7).
func withRequest(r *http.Request) { _ = context.Background() }

// ok: a helper with a context parameter, even `_` (golangci-lint #2216), chose what to do with it.
func withCtx(ctx context.Context) { _ = context.TODO() }
func blankCtx(_ context.Context) { _ = context.Background() }

func helpers(w http.ResponseWriter, r *http.Request) {
	withRequest(r)                 // ok
	withCtx(r.Context())           // ok
	blankCtx(r.Context())          // ok
	time.Sleep(time.Millisecond)   // ok: another package
}

// ok: graceful shutdown starts from Background (contextcheck #2), also when a
// handler triggers it: the server's shutdown cancels the requests' contexts.
var srv = &http.Server{}

func shutdownSoon() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
}

func quit(w http.ResponseWriter, r *http.Request) {
	go shutdownSoon()                  // ok
	srv.Shutdown(context.Background()) // ok
	sctx := context.TODO()
	srv.Shutdown(sctx) // ok
	_ = context.TODO() // want `use r\.Context\(\) instead of context\.TODO\(\)`
}

func main() {
	srv.Shutdown(context.Background()) // ok: not a handler
}
