// Package newrequest: http.NewRequest whose result gets WithContext is fine (noctx #10, #35).
package newrequest

import (
	"net/http"
)

func handler(w http.ResponseWriter, r *http.Request) {
	req, _ := http.NewRequest("GET", "http://example.com/", nil) // ok
	req = req.WithContext(r.Context())
	http.DefaultClient.Do(req)

	req2, err := http.NewRequest("GET", "http://example.com/", nil) // ok
	if err == nil {
		http.DefaultClient.Do(req2.WithContext(r.Context()))
	}

	var req3, _ = http.NewRequest("GET", "http://example.com/", nil) // ok
	_ = req3.WithContext(r.Context())

	req4, _ := http.NewRequest("GET", "http://example.com/", nil) // want `http\.NewRequest drops the request's context`
	http.DefaultClient.Do(req4)
	_ = req.WithContext(r.Context()) // another request's WithContext does not count for req4
}
