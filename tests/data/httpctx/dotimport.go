// Package dotimport: dot imports make the names unqualified.
package dotimport

import (
	. "context"
	. "net/http"
)

func handler(w ResponseWriter, r *Request) {
	_ = Background()                    // want `use r\.Context\(\) instead of Background\(\)`
	Get("http://example.com/")          // want `Get drops the request's context; use NewRequestWithContext\(r\.Context\(\), \.\.\.\)`
	NewRequest("GET", "http://x/", nil) // want `NewRequest drops the request's context`
	_ = TODO()                          // want `instead of TODO\(\)`
}

func notHandler() {
	_ = Background()
}

func shadowedDot(w ResponseWriter, r *Request) {
	Background := func() Context { return r.Context() }
	_ = Background()
}
