// fdlisten: a web server on a socket passed by its parent, the systemd
// socket-activation protocol done by hand: fd 3, LISTEN_FDS=1, LISTEN_PID =
// our pid. GET / answers the version below (the tests edit it), GET /pid
// the pid, GET /env the LISTEN_* variables as seen at start. SIGTERM shuts
// it down gracefully.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

const version = "v1"

func main() {
	env := fmt.Sprintf("LISTEN_FDS=%s LISTEN_PID=%s LISTEN_FDNAMES=%s GOLIVE_DEV=%s",
		os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDNAMES"),
		os.Getenv("GOLIVE_DEV"))
	if os.Getenv("LISTEN_FDS") != "1" || os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) {
		log.Fatalf("fdlisten: not socket-activated: %s (pid %d)", env, os.Getpid())
	}
	ln, err := net.FileListener(os.NewFile(3, "listen"))
	if err != nil {
		log.Fatalf("fdlisten: fd 3: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, version)
	})
	mux.HandleFunc("/pid", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, os.Getpid())
	})
	mux.HandleFunc("/env", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, env)
	})
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
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		log.Fatal(err)
	}
	<-done
}
