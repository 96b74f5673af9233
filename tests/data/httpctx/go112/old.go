// Package old is analysed as Go 1.12 (tests/unit/test_analyzers.c): no advice
// names an API that Go does not have (NewRequestWithContext 1.13, tls.Dialer and
// Resolver.LookupIP 1.15, HandshakeContext 1.17).
package old

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"os/exec"
)

func handler(w http.ResponseWriter, r *http.Request) {
	_ = context.Background()                           // want `use r\.Context\(\) instead of context\.Background\(\)`
	http.Get("http://example.com/")                    // want `http\.Get drops the request's context; use http\.NewRequest, req\.WithContext\(r\.Context\(\)\) and a client's Do`
	http.DefaultClient.Get("http://example.com/")      // want `use http\.NewRequest, req\.WithContext\(r\.Context\(\)\) and http\.DefaultClient\.Do`
	http.NewRequest("GET", "http://example.com/", nil) // want `http\.NewRequest drops the request's context; follow it with req = req\.WithContext\(r\.Context\(\)\)`
	net.LookupIP("example.com")                        // want `use net\.DefaultResolver\.LookupIPAddr\(r\.Context\(\), \.\.\.\)`
	conn, _ := tls.Dial("tcp", "example.com:443", nil) // want `tls\.Dial drops the request's context; dial with \(&net\.Dialer\{\}\)\.DialContext\(r\.Context\(\), \.\.\.\) and wrap the connection in tls\.Client \(tls\.Dialer needs Go 1\.15; this package is go1\.12\)`
	conn.Handshake()                                   // want `conn\.Handshake drops the request's context; set a deadline from r\.Context\(\)\.Deadline\(\) with conn\.SetDeadline \(HandshakeContext needs Go 1\.17; this package is go1\.12\)`
	exec.Command("ls")                                 // want `exec\.CommandContext\(r\.Context\(\), \.\.\.\)`
}
