// Package generics: generic helpers outside handlers, handlers on generic types.
package generics

import (
	"log"
	"net/http"
)

func Each[T any](xs []T) {
	for range xs {
		log.Print("item")
	}
}

type Cache[K comparable, V any] struct{ m map[K]V }

func (c *Cache[K, V]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log.Printf("%d entries", len(c.m)) // want `log\.Printf cannot carry`
}
