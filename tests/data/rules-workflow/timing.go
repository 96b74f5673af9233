package app

import (
	"errors"
	"fmt"
	"time"
)

// Took reports how long a job ran.
func Took(start time.Time) string {
	d := time.Now().Sub(start)
	return fmt.Sprintf("took %v", d)
}

// Check validates a job name.
func Check(name string) error {
	if name == "" {
		panic("empty name")
	}
	//golive:ignore time-since kept as it was for the demo
	return errors.New(fmt.Sprintf("bad name %q", name))
}
