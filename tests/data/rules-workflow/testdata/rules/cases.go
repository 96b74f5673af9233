package cases

import (
	"errors"
	"fmt"
	"time"
)

func elapsed(start, deadline time.Time) (time.Duration, time.Duration) {
	a := time.Now().Sub(start) // want time-since
	b := time.Since(start)     // ok time-since
	_ = deadline.Sub(start)    // ok time-since
	return a, b
}

func check(name string) error {
	if name == "" {
		panic("no name") // want no-panic
	}
	return errors.New(fmt.Sprintf("bad name %q", name)) // want errorf
}
