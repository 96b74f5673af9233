// Package shared is imported by both programs: an edit restarts both.
package shared

const version = "s1"

// Version is the shared package's version (the tests edit it).
func Version() string { return version }
