// Package syntaxerr: a broken function does not hide the intact handler.
package syntaxerr

import (
	"context"
	"net/http"
)

func broken(w http.ResponseWriter, r *http.Request) {
	x := := context.Background(
	for {
}

func intact(w http.ResponseWriter, r *http.Request) {
	_ = context.Background() // want `use r\.Context\(\)`
}
