// Package coverage: the resolver, TLS and database/sql calls without a context.
package coverage

import (
	"crypto/tls"
	"database/sql"
	"net"
	"net/http"
)

var db *sql.DB

func handler(w http.ResponseWriter, r *http.Request) {
	net.LookupHost("example.com")          // want `net\.LookupHost drops the request's context; use net\.DefaultResolver\.LookupHost\(r\.Context\(\), \.\.\.\)`
	net.LookupIP("example.com")            // want `net\.LookupIP drops the request's context; use net\.DefaultResolver\.LookupIP\(r\.Context\(\), "ip", \.\.\.\)`
	net.LookupAddr("127.0.0.1")            // want `net\.LookupAddr drops`
	net.LookupCNAME("example.com")         // want `net\.LookupCNAME drops`
	net.LookupMX("example.com")            // want `net\.LookupMX drops`
	net.LookupNS("example.com")            // want `net\.LookupNS drops`
	net.LookupTXT("example.com")           // want `net\.LookupTXT drops`
	net.LookupSRV("xmpp", "tcp", "x.com")  // want `net\.LookupSRV drops`
	net.LookupPort("tcp", "https")         // want `net\.LookupPort drops`
	net.DefaultResolver.LookupHost(r.Context(), "example.com") // ok: the Resolver's methods take one
	(&net.Resolver{}).LookupPort(r.Context(), "tcp", "https")   // ok

	conn, _ := tls.Dial("tcp", "example.com:443", nil) // want `tls\.Dial drops the request's context; use \(&tls\.Dialer\{\}\)\.DialContext\(r\.Context\(\), \.\.\.\)`
	tls.DialWithDialer(&net.Dialer{}, "tcp", "x:443", nil) // want `tls\.DialWithDialer drops`
	conn.Handshake()                                       // want `conn\.Handshake drops the request's context; use conn\.HandshakeContext\(r\.Context\(\)\)`
	conn.HandshakeContext(r.Context())                     // ok
	d := &tls.Dialer{}
	d.DialContext(r.Context(), "tcp", "x:443") // ok

	db.Ping()                    // want `db\.Ping drops the request's context; use db\.PingContext\(r\.Context\(\)\)`
	db.PingContext(r.Context())  // ok
	c, _ := db.Conn(r.Context()) // ok: Conn takes a context
	_ = c
}

// Not a handler: nothing here is reported.
func warm() {
	net.LookupHost("example.com")
	conn, _ := tls.Dial("tcp", "example.com:443", nil)
	conn.Handshake()
	db.Ping()
}
