// Package syntaxerr: broken code elsewhere in the file.
package syntaxerr

import (
	"log"
	"net/http"
)

func broken(w http.ResponseWriter, r *http.Request) {
	log.Printf("x" +
	if {
}

func intact(w http.ResponseWriter, r *http.Request) {
	log.Printf("x") // want `log\.Printf cannot carry`
}
