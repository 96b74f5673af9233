// worker: the other program of bench/reload-multi.
package main

import (
	"encoding/xml"
	"net/http"

	"example.com/multiapp/internal/shared"
)

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/xml", func(w http.ResponseWriter, r *http.Request) {
		xml.NewEncoder(w).Encode(struct{ Version string }{shared.Version()})
	})
	shared.Serve(mux)
}
