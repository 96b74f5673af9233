// Package go121 is a module written for Go 1.21 (its go.mod says so), the
// first Go with log/slog: log calls in handlers are reported, with the
// advice to use slog's Context functions.
package go121

import (
	"context"
	"log"
	"net/http"
)

func Index(w http.ResponseWriter, r *http.Request) {
	log.Printf("serving %s", r.URL.Path) // want `log\.Printf cannot carry the request's trace id; use slog\.InfoContext\(r\.Context\(\), \.\.\.\)`
	logger := log.New(w, "", 0)
	logger.Println("served") // want `logger\.Println cannot carry the request's trace id; use slog\.InfoContext\(r\.Context\(\), \.\.\.\)`
	_ = context.Background() // want `use r\.Context\(\) instead of context\.Background\(\)`
}
