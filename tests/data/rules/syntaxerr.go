// Package syntaxerr: matches inside ERROR nodes are skipped, the rest is reported.
package syntaxerr

import (
	"log"
	"os"
)

func helper() {
	os.Exit(2) // want "os\\.Exit in helper"
}

func broken() {
	x := )
	x = x
	if x { ] }
	goto end // want "jump statement"
end:
}

func errorNode() {
	[ log.Fatal("inside an ERROR node: skipped") ]

	goto end // want "jump statement"
end:
	log.Fatal("after") // want "log\\.Fatal exits the process"
}

func (
