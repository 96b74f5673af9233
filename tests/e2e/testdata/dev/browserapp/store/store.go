// Package store is browserapp's second package: t99 gives it an analyzer
// finding, then edits only main, and the overlay must keep showing it (the
// fast build compiles main alone; golive dev analyses every package).
package store

import "net/http"

// Count answers GET /count.
func Count(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte("1"))
}
