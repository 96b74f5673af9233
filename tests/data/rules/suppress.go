// Package suppress: //golive:ignore works for rules too.
package suppress

import "net/http"

func handler(w http.ResponseWriter, r *http.Request) {
	//golive:ignore no-panic-in-handler this handler is only used in tests
	panic("ignored")
	panic("reported") // want "panic in a handler"

	panic("all") //golive:ignore all tests only

	panic("other") //golive:ignore httpctx not this one // want "panic in a handler"
}
