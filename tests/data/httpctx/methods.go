// Package methods: ServeHTTP and other methods with a handler's parameters.
package methods

import (
	"context"
	"net/http"
)

type api struct{}

func (a *api) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	_ = context.Background() // want `use req\.Context\(\) instead of context\.Background\(\)`
}

func (a *api) list(rw http.ResponseWriter, _ *http.Request) {
	_ = context.Background() // want `use the request's context instead of context\.Background\(\)`
}

func (a *api) unnamed(http.ResponseWriter, *http.Request) {
	_ = context.TODO() // want `use the request's context instead of context\.TODO\(\)`
}

// A method that does not serve requests.
func (a *api) Close() error {
	_ = context.Background()
	return nil
}
