// Package basic: each rule of golive.yaml firing, and not firing.
package basic

import (
	"errors"
	"log"
	"net/http"
	"os"
)

func handler(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/boom" {
		panic("boom") // want "panic in a handler \\(panic\\): return an error status instead"
	}
	go func() {
		panic("in a goroutine of the handler") // want "panic in a handler"
	}()
	x := 1
	x = x // want "self-assignment of x"
	_ = x
}

func notAHandler() {
	panic("fine here")
}

func helper() {
	os.Exit(1) // want "os\\.Exit in helper: only main should decide to exit"
}

func main() {
	os.Exit(0)
	log.Fatal("x")  // want "log\\.Fatal exits the process"
	log.Fatalf("x") // want "log\\.Fatalf exits the process"
	log.Printf("x")
}

var (
	errA = errors.New("Capitalized") // want "error strings should not be capitalized: \"Capitalized\""
	errB = errors.New("lowercase")
	errC = errors.New(`Raw`)
)

type server struct{}

func (s *server) ok()          {}
func (srv *server) tooLong()   {} // want "receiver name srv should be one or two letters"
func (_ *server) blank()       {} // want "receiver name _ should"
func (server) unnamed()        {}

func jumps(n int) {
	switch n {
	case 0:
		fallthrough // want "jump statement"
	case 1:
		goto end // want "^jump statement$"
	}
end:
}

// TODO: short // want "todo: // TODO: short"

// TODO this comment goes on and on well past the eighty bytes a message quotes from it, really // want `^todo: // TODO this comment goes on and on well past the eighty bytes a message quotes …$`

/* TODO: first line // want `^todo: /\* TODO: first line // want .*…$`
   second line */
