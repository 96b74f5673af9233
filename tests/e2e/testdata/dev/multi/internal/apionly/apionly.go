// Package apionly is imported by cmd/api only: an edit restarts api alone.
package apionly

const version = "a1"

// Version is this package's version (the tests edit it).
func Version() string { return version }
