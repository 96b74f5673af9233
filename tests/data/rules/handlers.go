// Package handlers: what counts as a handler for scope: handler.
package handlers

import (
	nethttp "net/http"
)

type api struct{}

func (a *api) ServeHTTP(w nethttp.ResponseWriter, r *nethttp.Request) {
	panic("method") // want "panic in a handler"
}

func routes(mux *nethttp.ServeMux) {
	mux.HandleFunc("/", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		panic("literal") // want "panic in a handler"
	})
	panic("not in a handler")
}

func wrong(w nethttp.ResponseWriter) {
	panic("one parameter only")
}
