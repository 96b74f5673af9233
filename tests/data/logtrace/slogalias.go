// Package slogalias: log/slog under another name.
package slogalias

import (
	"log"
	sl "log/slog"
	"net/http"
)

func handler(w http.ResponseWriter, r *http.Request) {
	sl.Info("x")   // want `sl\.Info cannot carry the request's trace id; use sl\.InfoContext\(r\.Context\(\), \.\.\.\)`
	log.Print("x") // want `log\.Print cannot carry the request's trace id; use sl\.InfoContext\(r\.Context\(\), \.\.\.\)`
}
