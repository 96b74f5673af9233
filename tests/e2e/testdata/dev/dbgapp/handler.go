package main

import "strings"

// hello is where the tests set their breakpoint: on the line with greeting.
func hello(name string) string {
	if name == "" {
		name = "world"
	}
	greeting := "hello, " + strings.ToLower(name) // breakpoint here
	return greeting
}
