// Package methods: ServeHTTP, and methods that are not handlers.
package methods

import (
	"log"
	"net/http"
)

type api struct{}

func (a api) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	log.Println("serving") // want `log\.Println cannot carry the request's trace id; use slog\.InfoContext\(req\.Context\(\), \.\.\.\)`
}

func (a api) health(w http.ResponseWriter, _ *http.Request) {
	log.Print("health") // want `use slog\.InfoContext\(the request's context, \.\.\.\)`
}

func (a api) Close() {
	log.Print("closing")
}
