package shared

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Serve answers GET / with body() and GET /pid with the pid on the socket
// golive dev passes as fd 3 (LISTEN_FDS=1), until SIGTERM or SIGINT, then
// shuts down gracefully.
func Serve(name string, body func() string) {
	if os.Getenv("LISTEN_FDS") != "1" {
		log.Fatalf("%s: not socket-activated (LISTEN_FDS=%q)", name, os.Getenv("LISTEN_FDS"))
	}
	ln, err := net.FileListener(os.NewFile(3, "listen"))
	if err != nil {
		log.Fatalf("%s: fd 3: %v", name, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body()) })
	mux.HandleFunc("/pid", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, os.Getpid()) })
	srv := &http.Server{Handler: mux}
	done := make(chan struct{})
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		close(done)
	}()
	fmt.Printf("%s serving (pid %d, MODE=%s)\n", body(), os.Getpid(), os.Getenv("MODE"))
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		log.Fatal(err)
	}
	<-done
}
