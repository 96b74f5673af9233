// api: one of bench/reload-multi's two programs.
package main

import (
	"net/http"

	"example.com/multiapp/internal/apionly"
	"example.com/multiapp/internal/shared"
)

func main() {
	mux := http.NewServeMux()
	apionly.Register(mux)
	shared.Serve(mux)
}
