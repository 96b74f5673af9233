// Package syntaxinside: a handler with broken statements in its middle.
package syntaxinside

import (
	"context"
	"log"
	"net/http"
)

func handler(w http.ResponseWriter, r *http.Request) {
	_ = context.Background() // want `use r\.Context\(\)`
	x := )
	log.Print(, "broken call")
	if x { ] }
	log.Print("after") // want `log\.Print cannot carry`
}

func (
