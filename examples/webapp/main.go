// Command webapp is the small net/http program that golive's `make run`
// and end-to-end tests build, run and reload.
package main

import (
	"context"
	"encoding/json"
	"flag"
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

var started = time.Now()

// greeting is what / answers; tests edit it to see a reload.
const greeting = "hello from webapp"

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on (unless golive dev --listen hands over a socket)")
	flag.Parse()

	ln, err := listener(*addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: newMux(), ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		// Stop gracefully: finish the requests in flight, then exit.
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		close(done)
	}()
	log.Printf("webapp listening on http://%s", ln.Addr())
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
	<-done
}

// listener returns the socket golive dev --listen (or systemd) passed as fd 3,
// else a new one on addr.
func listener(addr string) (net.Listener, error) {
	if os.Getenv("LISTEN_PID") == strconv.Itoa(os.Getpid()) && os.Getenv("LISTEN_FDS") == "1" {
		return net.FileListener(os.NewFile(3, "listen"))
	}
	return net.Listen("tcp", addr)
}

func newMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, greeting)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"status": "ok",
			"uptime": time.Since(started).Round(time.Millisecond).String(),
			"pid":    os.Getpid(),
		})
	})
	return mux
}
