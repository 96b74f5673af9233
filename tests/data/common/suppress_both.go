// Package suppressboth: directives on lines with findings of two analyzers.
package suppressboth

import (
	"context"
	"log"
	"net/http"
)

func handler(w http.ResponseWriter, r *http.Request) {
	log.Print(context.Background()) // want `log\.Print cannot carry` `use r\.Context\(\) instead of context\.Background\(\)`

	log.Print(context.Background()) //golive:ignore all both are fine here

	log.Print(context.Background()) //golive:ignore httpctx only the context one // want `log\.Print cannot carry`

	//golive:ignore logtrace only the log one
	log.Print(context.Background()) // want `use r\.Context\(\)`

	//golive:ignore httpctx,logtrace both, as a list
	log.Print(context.Background())

	// A directive inside a string is not a directive.
	log.Print("//golive:ignore all nope", context.Background()) // want `log\.Print cannot carry` `use r\.Context\(\)`
}
