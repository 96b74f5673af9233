// Package shadow: names that look like packages but are local declarations.
package shadow

import (
	"context"
	"net/http"
	"os/exec"
)

type client struct{}

func (client) Get(string) {}

var myClient client

func localVar(w http.ResponseWriter, r *http.Request) {
	http := myClient
	http.Get("http://example.com/")
}

func param(w http.ResponseWriter, r *http.Request) {
	f := func(context ctxer) {
		context.Background()
	}
	_ = f
}

type ctxer interface{ Background() }

func rangeVar(w http.ResponseWriter, r *http.Request, cs []ctxer) {
	for _, context := range cs {
		context.Background()
	}
	context.Background() // want `use r\.Context\(\)`
}

func typeSwitch(w http.ResponseWriter, r *http.Request, v interface{}) {
	switch context := v.(type) {
	case ctxer:
		context.Background()
	}
}

func ifInit(w http.ResponseWriter, r *http.Request) {
	if context := getCtxer(); context != nil {
		context.Background()
	}
	context.TODO() // want `use r\.Context\(\) instead of context\.TODO\(\)`
}

func getCtxer() ctxer { return nil }

func declaredLater(w http.ResponseWriter, r *http.Request) {
	context.Background() // want `use r\.Context\(\)`
	context := getCtxer()
	context.Background()
}

func varDecl(w http.ResponseWriter, r *http.Request) {
	var exec = struct{ Command func(string) }{}
	exec.Command("ls")
}

func innerBlock(w http.ResponseWriter, r *http.Request) {
	{
		http := myClient
		http.Get("x")
	}
	http.Get("x") // want `http\.Get drops`
}

func namedResult(w http.ResponseWriter, r *http.Request) (context ctxer) {
	context.Background()
	return
}

func varList(w http.ResponseWriter, r *http.Request) {
	var (
		n    = 1
		http = myClient
	)
	http.Get("x")
	_ = n
}

func labeled(w http.ResponseWriter, r *http.Request) {
outer:
	for http := range []client{myClient} {
		_ = http
		break outer
	}
	http.Get("x") // want `http\.Get drops`
	type context struct{ Background func() }
	context{}.Background()
}
