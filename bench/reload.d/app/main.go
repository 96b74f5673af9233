// The one-file net/http app bench/reload restarts. GET / answers the
// version constant below (in an HTML page to a browser's navigation: the
// --browser row); bench/reload rewrites it before every restart.
//
// Where it listens: on fd 3 when LISTEN_FDS is set for this process (golive
// dev --listen, the systemd protocol), else on $APP_ADDR, retrying the bind
// every 2 ms for up to 10 s (an old instance may still hold the port). Once
// it serves it sends READY=1 to $NOTIFY_SOCKET when that is set (sd_notify).
// SIGTERM or SIGINT: graceful shutdown (http.Server.Shutdown), exit 0.
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

const version = "v0"

func listener() net.Listener {
	if n, _ := strconv.Atoi(os.Getenv("LISTEN_FDS")); n >= 1 &&
		os.Getenv("LISTEN_PID") == strconv.Itoa(os.Getpid()) {
		ln, err := net.FileListener(os.NewFile(3, "listen"))
		if err != nil {
			log.Fatal("fd 3: ", err)
		}
		return ln
	}
	addr := os.Getenv("APP_ADDR")
	if addr == "" {
		log.Fatal("neither LISTEN_FDS nor APP_ADDR is set")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln
		}
		if time.Now().After(deadline) {
			log.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func notifyReady() {
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" {
		return
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		log.Print("sd_notify: ", err)
		return
	}
	defer c.Close()
	if _, err := c.Write([]byte("READY=1")); err != nil {
		log.Print("sd_notify: ", err)
	}
}

func main() {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Sec-Fetch-Dest") == "document" { // a browser's navigation: a page
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, "<!doctype html><html><body><p id=v>%s</p></body></html>", version)
			return
		}
		fmt.Fprint(w, version)
	})}
	ln := listener()
	done := make(chan struct{})
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		close(done)
	}()
	notifyReady()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		log.Fatal(err)
	}
	<-done
}
