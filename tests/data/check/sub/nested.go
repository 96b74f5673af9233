// Package sub: below tests/data/check, so a plain directory argument does not reach it.
package sub

import (
	"context"
	"net/http"
)

func nested(w http.ResponseWriter, r *http.Request) {
	_ = context.Background() // want `use r\.Context\(\)`
}
