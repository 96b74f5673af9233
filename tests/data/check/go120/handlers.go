// Package go120 is a module written for Go 1.20 (its go.mod says so), older
// than log/slog (Go 1.21): logtrace's advice, slog.InfoContext, cannot be
// followed here, so its log calls in handlers are not reported. httpctx's
// findings do not depend on the version.
package go120

import (
	"context"
	"log"
	"net/http"
)

func Index(w http.ResponseWriter, r *http.Request) {
	log.Printf("serving %s", r.URL.Path)
	logger := log.New(w, "", 0)
	logger.Println("served")
	_ = context.Background() // want `use r\.Context\(\) instead of context\.Background\(\)`
}
