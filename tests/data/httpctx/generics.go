// Package generics: type parameters around and outside handlers.
package generics

import (
	"context"
	"net/http"
)

// A generic helper outside any handler: not reported in itself, but ServeHTTP
// calls it, one step away (httpctx follows calls into this file's functions).
func Map[T, U any](xs []T, f func(context.Context, T) U) []U {
	ctx := context.Background()
	out := make([]U, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(ctx, x))
	}
	return out
}

type Store[T any] struct {
	items []T
}

func (s *Store[T]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = context.Background() // want `use r\.Context\(\) instead of context\.Background\(\)`
	_ = Map[T, int](s.items, func(ctx context.Context, t T) int { return 0 }) // want `Map drops the request's context: ServeHTTP → Map → context\.Background\(\)`
}

func (s *Store[T]) handle(w http.ResponseWriter, r *http.Request) {
	http.Get("http://example.com/") // want `http\.Get drops`
}

// A type parameter named like the package shadows it.
func Shadow[http any](w http.ResponseWriter) {
}
