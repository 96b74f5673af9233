// Package shared is imported by both programs of bench/reload-multi: an
// edit of its version restarts both.
package shared

import (
	"fmt"
	"net"
	"net/http"
	"os"
)

const version = "v0"

// Version is what GET / answers in both programs (the bench edits it).
func Version() string { return version }

// Listen is the socket golive dev passes as fd 3 (LISTEN_FDS=1), else ADDR's.
func Listen() (net.Listener, error) {
	if os.Getenv("LISTEN_FDS") == "1" {
		return net.FileListener(os.NewFile(3, "listen"))
	}
	return net.Listen("tcp", os.Getenv("ADDR"))
}

// Serve serves mux on Listen() until the program is killed.
func Serve(mux *http.ServeMux) {
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, Version()) })
	mux.HandleFunc("/pid", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, os.Getpid()) })
	ln, err := Listen()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.Serve(ln, mux)
}
