// Package basic: package log and log/slog calls in a handler and outside one.
package basic

import (
	"log"
	"log/slog"
	"net/http"
)

func handler(w http.ResponseWriter, r *http.Request) {
	log.Print("x")        // want `log\.Print cannot carry the request's trace id; use slog\.InfoContext\(r\.Context\(\), \.\.\.\)`
	log.Printf("%s", "x") // want `log\.Printf cannot carry the request's trace id; use slog\.InfoContext\(r\.Context\(\), \.\.\.\)`
	log.Println("x")      // want `log\.Println cannot carry`
	log.Fatalf("%s", "x") // want `log\.Fatalf cannot carry the request's trace id; use slog\.ErrorContext\(r\.Context\(\), \.\.\.\)`
	log.Panicln("x")      // want `log\.Panicln cannot carry .* slog\.ErrorContext`

	slog.Debug("x")        // want `slog\.Debug cannot carry the request's trace id; use slog\.DebugContext\(r\.Context\(\), \.\.\.\)`
	slog.Info("x", "k", 1) // want `slog\.Info cannot carry the request's trace id; use slog\.InfoContext\(r\.Context\(\), \.\.\.\)`
	slog.Warn("x")         // want `slog\.Warn cannot carry .* slog\.WarnContext`
	slog.Error("x")        // want `slog\.Error cannot carry .* slog\.ErrorContext`

	// With a context: nothing to report.
	slog.InfoContext(r.Context(), "x")
	slog.Log(r.Context(), slog.LevelInfo, "x")
	log.SetFlags(0)
}

// Not a handler.
func main() {
	log.Printf("starting")
	slog.Info("starting")
}
