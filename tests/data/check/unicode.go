package check

import (
	"context"
	"net/http"
)

// The finding's byte column differs from its UTF-16 column (SARIF).
func greet(w http.ResponseWriter, r *http.Request) {
	s := "héllo → 🌍"; _ = context.Background() // want `use r\.Context\(\)`
	_ = s
}
