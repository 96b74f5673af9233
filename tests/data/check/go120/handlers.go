// Package go120 is a module written for Go 1.20 (its go.mod says so), older than
// log/slog (Go 1.21): its log calls in handlers get the request-scoped logger
// pattern, not slog advice (naming the Go go compiles for: go1.19 on a go1.19
// toolchain). httpctx's findings do not depend on the version.
package go120

import (
	"context"
	"log"
	"net/http"
)

func Index(w http.ResponseWriter, r *http.Request) {
	log.Printf("serving %s", r.URL.Path) // want `log\.Printf cannot carry the request's trace id; log through a request-scoped logger taken from r\.Context\(\) \(log/slog's \*Context methods need Go 1\.21; this package is go1\.(19|20)\)`
	logger := log.New(w, "", 0)
	logger.Println("served") // want `logger\.Println cannot carry the request's trace id; log through a request-scoped logger taken from r\.Context\(\)`
	_ = context.Background() // want `use r\.Context\(\) instead of context\.Background\(\)`
}
