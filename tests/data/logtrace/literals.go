// Package literals: handler literals, goroutines, nested callbacks.
package literals

import (
	"log"
	"log/slog"
	"net/http"
)

func routes(mux *http.ServeMux) {
	log.Print("routes") // start-up: fine

	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) {
		go func() {
			slog.Info("async") // want `slog\.Info cannot carry .* slog\.InfoContext\(r\.Context\(\)`
		}()
		for _, f := range []func(){func() { log.Print("cb") }} { // want `log\.Print cannot carry`
			f()
		}
	})

	mux.Handle("/b", http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		log.Printf("b") // want `slog\.InfoContext\(q\.Context\(\)`
	}))
}
