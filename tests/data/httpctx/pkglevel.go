// Package pkglevel: a package-level declaration named like an import shadows
// it (the Go compiler rejects the clash; golive does not report through it).
package pkglevel

import (
	"context"
	"net/http"
	"os/exec"
)

var exec = struct{ Command func(string) }{}

func context() {}

func handler(w http.ResponseWriter, r *http.Request) {
	exec.Command("ls")
	context.Background()
	http.Get("http://example.com/") // want `http\.Get drops`
}
