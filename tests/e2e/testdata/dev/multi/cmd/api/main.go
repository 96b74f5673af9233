// api: one of the two programs of golive dev's multi-program test. GET /
// answers "api <apionly version> <shared version>".
package main

import (
	"example.com/multi/internal/apionly"
	"example.com/multi/internal/shared"
)

func main() {
	shared.Serve("api", func() string { return "api " + apionly.Version() + " " + shared.Version() })
}
