// Package loggers: methods of *slog.Logger and *log.Logger values the
// function visibly creates or receives; other .Info calls are left alone.
package loggers

import (
	"log"
	"log/slog"
	"net/http"
	"os"
)

type metrics struct{}

func (metrics) Info(string)  {}
func (metrics) Error(string) {}

var m metrics

func routes(base *slog.Logger) {
	http.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) {
		base.Info("a") // want `base\.Info cannot carry the request's trace id; use base\.InfoContext\(r\.Context\(\), \.\.\.\)`
	})
}

func handler(w http.ResponseWriter, r *http.Request) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	logger.Info("x")  // want `logger\.Info cannot carry the request's trace id; use logger\.InfoContext\(r\.Context\(\), \.\.\.\)`
	logger.Error("x") // want `logger\.Error cannot carry .* logger\.ErrorContext`
	l2 := logger.With("req", r.URL.Path)
	l2.Warn("x")              // want `l2\.Warn cannot carry`
	slog.Default().Debug("x") // want `slog\.Default\(\)\.Debug cannot carry`
	logger.InfoContext(r.Context(), "x")

	std := log.New(os.Stderr, "", 0)
	std.Printf("x") // want `std\.Printf cannot carry the request's trace id; use slog\.InfoContext\(r\.Context\(\), \.\.\.\)`

	m.Info("x") // not a logger
	m.Error("x")
	var unknown interface{ Info(string) }
	unknown.Info("x")
}
