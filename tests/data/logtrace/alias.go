// Package alias: log packages under other names.
package alias

import (
	stdlog "log"
	nethttp "net/http"
)

func handler(w nethttp.ResponseWriter, req *nethttp.Request) {
	stdlog.Printf("x") // want `stdlog\.Printf cannot carry the request's trace id; use slog\.InfoContext\(req\.Context\(\), \.\.\.\)`
	log.Printf("x")    // not the log package here
}
