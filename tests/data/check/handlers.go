// Package check: the fixtures of golive check (see README.md).
package check

import (
	"context"
	"log"
	"net/http"
)

func index(w http.ResponseWriter, r *http.Request) {
	ctx := context.Background() // want `use r\.Context\(\) instead of context\.Background\(\)`
	_ = ctx
	resp, err := http.Get("http://example.com/") // want `http\.Get drops the request's context`
	if err == nil {
		resp.Body.Close()
	}
	log.Printf("served %s", r.URL.Path) // want `log\.Printf cannot carry the request's trace id`
}

// Not a handler: nothing to report.
func background() context.Context {
	log.Printf("starting")
	return context.Background()
}

func routes(mux *http.ServeMux) {
	mux.HandleFunc("/todo", func(w http.ResponseWriter, req *http.Request) {
		_ = context.TODO() // want `use req\.Context\(\) instead of context\.TODO\(\)`
	})
}
