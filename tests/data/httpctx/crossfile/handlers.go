// Package crossfile: the one step of httpctx into the other files of the
// package (store.go, tools.go, shutdown.go). handlers_x_test.go is package
// crossfile_test: its functions are another package's.
package crossfile

import (
	"context"
	"net/http"
	"time"
)

type server struct {
	st  *store
	srv *http.Server
}

func (s *server) user(w http.ResponseWriter, r *http.Request) {
	_ = loadUser(r.URL.Query().Get("id")) // want `loadUser drops the request's context: user → loadUser \(store\.go:20\) → context\.Background\(\); give loadUser a context\.Context parameter and pass it r\.Context\(\)`
	_ = s.st.count()                       // want `count drops the request's context: user → count \(store\.go:32\) → s\.db\.QueryRow; give count a context\.Context parameter and pass it r\.Context\(\)`
	runTool("convert")                     // want `user → runTool \(tools\.go:10\) → exec\.Command`
	_ = lookup("example.org")              // want `user → lookup \(tools\.go:13\) → net\.LookupHost`
	_ = loadUserCtx(r.Context(), "x")      // ok: it takes the context
	_ = fromRequest(r)                     // ok: it takes the request (contextcheck #7)
	_ = ignoresCtx(r.Context())            // ok: `_ context.Context` is a choice (golangci-lint #2216)
	_ = s.st.get("x")                      // ok: get is declared twice (store.get, cache.get): which one is unknown
	_ = viaHelper()                        // ok: two steps away
	_ = fetch("http://127.0.0.1/")         // ok: NewRequest + WithContext (noctx #10, #35)
	_ = clean()                            // ok: nothing dropped there
	_ = s.srv.Close()                      // ok: net/http's; the Close of handlers_x_test.go is package crossfile_test's
}

func (s *server) stop(w http.ResponseWriter, r *http.Request) {
	shutdown(s.srv) // ok: Background for a server's Shutdown (contextcheck #2)
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	_ = ctx
}

// ok: not a handler; a call of loadUser here is not the request's business.
func warm() { _ = loadUser("warm") }
