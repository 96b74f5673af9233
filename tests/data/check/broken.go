package check

import (
	"context"
	"net/http"
)

func brokenHandler(w http.ResponseWriter, r *http.Request) {
	x := := context.Background(
	for {
}

func intactHandler(w http.ResponseWriter, r *http.Request) {
	_ = context.Background() // want `use r\.Context\(\)`
}
