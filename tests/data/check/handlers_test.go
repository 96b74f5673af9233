package check

import (
	"context"
	"net/http"
	"testing"
)

func testHandler(w http.ResponseWriter, r *http.Request) {
	_ = context.Background() // want `use r\.Context\(\)`
}

func TestNothing(t *testing.T) {}
