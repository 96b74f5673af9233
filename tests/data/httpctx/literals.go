// Package literals: handlers as function literals, goroutines, nesting.
package literals

import (
	"context"
	"net/http"
)

type router struct{}

func (router) HandleFunc(string, func(http.ResponseWriter, *http.Request)) {}

func routes(mux *http.ServeMux, rt router) {
	_ = context.Background() // not in a handler: routes runs at start-up

	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) {
		_ = context.Background() // want `use r\.Context\(\) instead of context\.Background\(\)`
	})

	http.HandleFunc("/b", func(w http.ResponseWriter, q *http.Request) {
		http.Get("http://example.com/") // want `use http\.NewRequestWithContext\(q\.Context\(\)`
	})

	http.Handle("/c", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = context.TODO() // want `use r\.Context\(\) instead of context\.TODO\(\)`
	}))

	// A literal with a handler's signature assigned to a variable.
	h := func(w http.ResponseWriter, r *http.Request) {
		go func() {
			_ = context.Background() // want `use r\.Context\(\)`
		}()
		defer func() {
			http.Get("http://example.com/") // want `http\.Get drops`
		}()
		inner := func(w2 http.ResponseWriter, r2 *http.Request) {
			_ = context.Background() // want `use r2\.Context\(\)`
		}
		_ = inner
		_ = context.Background() // want `use r\.Context\(\)`
	}
	_ = h

	// Any router's HandleFunc: the literal is a handler whatever its parameter types say.
	rt.HandleFunc("/d", func(w http.ResponseWriter, req *http.Request) {
		_ = context.Background() // want `use req\.Context\(\)`
	})

	// A callback that is not a handler, outside any handler.
	f := func() {
		_ = context.Background()
	}
	_ = f
}
