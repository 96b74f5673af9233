// worker: the other program. GET / answers "worker <shared version>"; with
// crash set it exits at once with status 3 (the crash-loop test).
package main

import (
	"fmt"
	"os"

	"example.com/multi/internal/shared"
)

const crash = false

func main() {
	if crash {
		fmt.Fprintln(os.Stderr, "worker: crashing on purpose")
		os.Exit(3)
	}
	shared.Serve("worker", func() string { return "worker " + shared.Version() })
}
