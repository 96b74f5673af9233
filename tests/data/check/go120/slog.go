//go:build go1.21

// A file built only from Go 1.21 on may use log/slog, whatever go.mod says:
// it imports log/slog, so logtrace reports here as in a go 1.21 module.
package go120

import (
	"log"
	"log/slog"
	"net/http"
)

func WithSlog(w http.ResponseWriter, r *http.Request) {
	log.Printf("serving %s", r.URL.Path) // want `log\.Printf cannot carry the request's trace id; use slog\.InfoContext\(r\.Context\(\), \.\.\.\)`
	slog.Info("served")                  // want `slog\.Info cannot carry the request's trace id; use slog\.InfoContext\(r\.Context\(\), \.\.\.\)`
}
