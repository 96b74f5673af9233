// Package dotimport: a dot import of log and of net/http.
package dotimport

import (
	. "log"
	. "net/http"
)

func handler(w ResponseWriter, r *Request) {
	Printf("x") // want `Printf cannot carry the request's trace id; use slog\.InfoContext\(r\.Context\(\), \.\.\.\)`
}
