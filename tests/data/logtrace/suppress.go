// Package suppress: directives for logtrace.
package suppress

import (
	"log"
	"net/http"
)

func handler(w http.ResponseWriter, r *http.Request) {
	log.Printf("x") //golive:ignore logtrace the access log has its own trace id

	//golive:ignore all reason
	log.Printf("x")

	//golive:ignore httpctx not this analyzer
	log.Printf("x") // want `log\.Printf cannot carry`

	/* want `//golive:ignore logtrace has no reason` */ //golive:ignore logtrace
	log.Printf("x")                                     // want `log\.Printf cannot carry`
}
