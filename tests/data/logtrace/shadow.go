// Package shadow: local names that hide the log packages.
package shadow

import (
	"log"
	"log/slog"
	"net/http"
)

type logger struct{}

func (logger) Printf(string, ...interface{}) {}
func (logger) Info(string, ...interface{})   {}

func handler(w http.ResponseWriter, r *http.Request) {
	log := logger{}
	log.Printf("x")
}

func param(w http.ResponseWriter, r *http.Request, slog logger) {
	slog.Info("x")
}

func later(w http.ResponseWriter, r *http.Request) {
	slog.Info("x") // want `slog\.Info cannot carry`
	slog := logger{}
	slog.Info("x")
}

func closure(w http.ResponseWriter, r *http.Request) {
	func(log logger) {
		log.Printf("x")
	}(logger{})
	log.Printf("x") // want `log\.Printf cannot carry`
}
