// sdapp: a web server using go-systemd's socket activation
// (activation.Listeners) and readiness notification (daemon.SdNotify), built
// in GOPATH mode against Debian's golang-github-coreos-go-systemd-dev.
// GET / answers the version below (the tests edit it), GET /pid the pid.
// With -ready-delay D it waits D, then sends READY=1 and only then serves
// (a program with a slow start-up). SIGTERM shuts it down gracefully. With
// -log FILE it appends "start|ready|term <pid> <unix ns>" lines to FILE.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/activation"
	"github.com/coreos/go-systemd/daemon"
)

const version = "v1"

var logPath = flag.String("log", "", "append start/ready/term lines to this file")

func record(what string) {
	if *logPath == "" {
		return
	}
	f, err := os.OpenFile(*logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(f, "%s %d %d\n", what, os.Getpid(), time.Now().UnixNano())
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

func main() {
	readyDelay := flag.Duration("ready-delay", -1, "send READY=1 after this long (-1: never)")
	flag.Parse()
	record("start")
	lns, err := activation.Listeners()
	if err != nil {
		log.Fatal(err)
	}
	if len(lns) != 1 || lns[0] == nil {
		log.Fatalf("sdapp: want one listener, got %d", len(lns))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, version)
	})
	mux.HandleFunc("/pid", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, os.Getpid())
	})
	srv := &http.Server{Handler: mux}
	done := make(chan struct{})
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		record("term")
		daemon.SdNotify(false, daemon.SdNotifyStopping)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		close(done)
	}()
	if *readyDelay >= 0 {
		time.Sleep(*readyDelay)
		record("ready")
		if ok, err := daemon.SdNotify(false, daemon.SdNotifyReady); !ok {
			log.Fatalf("sdapp: READY=1 not sent (NOTIFY_SOCKET=%q): %v", os.Getenv("NOTIFY_SOCKET"), err)
		}
	}
	if err := srv.Serve(lns[0]); err != http.ErrServerClosed {
		log.Fatal(err)
	}
	<-done
}
