// Package alias: packages imported under other names; messages quote them.
package alias

import (
	stdctx "context"
	nethttp "net/http"
	osexec "os/exec"
)

func handler(w nethttp.ResponseWriter, req *nethttp.Request) {
	_ = stdctx.Background()            // want `use req\.Context\(\) instead of stdctx\.Background\(\)`
	nethttp.Get("http://example.com/") // want `nethttp\.Get drops the request's context; use nethttp\.NewRequestWithContext\(req\.Context\(\), \.\.\.\)`
	osexec.Command("ls")               // want `osexec\.Command drops the request's context; use osexec\.CommandContext\(req\.Context\(\), \.\.\.\)`
}

// The package's default name is not in scope when an alias is used.
func notImported(w nethttp.ResponseWriter, r *nethttp.Request) {
	http.Get("http://example.com/")
	context.Background()
}
