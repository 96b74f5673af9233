//go:build golive_extra

package check

import (
	"context"
	"net/http"
)

func tagged(w http.ResponseWriter, r *http.Request) {
	_ = context.Background() // want `use r\.Context\(\)`
}
