// Package crlf: CRLF line endings.
package crlf

import (
	"context"
	"net/http"
)

func handler(w http.ResponseWriter, r *http.Request) {
	//golive:ignore httpctx reason at the end of a CRLF line
	_ = context.Background()
	_ = context.TODO() // want `use r\.Context\(\) instead of context\.TODO\(\)`
}
