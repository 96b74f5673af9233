// Package apionly is imported by cmd/api only: an edit of its version
// restarts api alone.
package apionly

import (
	"encoding/json"
	"net/http"
)

const version = "v0"

// Register adds GET /a (this package's version) and GET /json.
func Register(mux *http.ServeMux) {
	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(version)) })
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"version": version})
	})
}
