// poll: the timing half of bench/reload. Every mode prints one JSON object
// on stdout; times are in milliseconds.
//
//	poll edit  [flags] FILE VERSION URL
//	    Saves FILE with its `const version = "..."` line set to VERSION, then
//	    GETs URL every -interval on a fresh connection (no keep-alive) until
//	    the body is VERSION, and goes on polling for -settle after that.
//	    {"latency_ms": save -> first response with VERSION (received),
//	     "failed": requests that failed (refused, reset, timeout, non-200,
//	               short body) from the save to the end of the settle time,
//	     "stale": responses with another body after VERSION was seen,
//	     "requests": N, "errors": {"refused": N, ...}, "first_error": "...",
//	     "timeout": true if VERSION never came within -timeout}
//	poll edit  [flags] FILE VERSION URL URL...
//	    Several URLs (several programs, bench/reload-multi): each is polled
//	    every -interval until it answers VERSION, then for -settle;
//	    latency_ms is the last of them, "latencies_ms" each one's, and the
//	    counts are summed over them.
//	poll build [flags] FILE VERSION URL -- CMD ARGS...
//	    Saves FILE the same way, runs CMD in FILE's directory (in -dir when
//	    given) and times it (the save -> CMD exited), polling URL all the
//	    while so that the machine carries the same load as in edit mode;
//	    latency_ms is CMD's wall time, "failed" counts failed polls (URL
//	    should not fail).
//	poll wait  [flags] URL VERSION
//	    Polls until the body is VERSION (used to wait for start-up).
//
// The save is atomic by default (write FILE.bench.tmp next to it, fsync
// nothing, rename over FILE: what most editors do); -save inplace truncates
// and rewrites FILE instead. The clock starts when rename (or close)
// returns. With -content NEW (edit and build), the text saved is NEW's,
// whole, instead of FILE's with its version line rewritten (an edit of
// more than a version: bench/reload-mod); VERSION is still what to wait for.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

type result struct {
	LatencyMs  float64        `json:"latency_ms"`
	Failed     int            `json:"failed"`
	Stale      int            `json:"stale"`
	Requests   int            `json:"requests"`
	Errors     map[string]int `json:"errors"`
	FirstError string         `json:"first_error,omitempty"`
	Timeout    bool           `json:"timeout"`
	Latencies  []float64      `json:"latencies_ms,omitempty"`
}

var (
	interval = flag.Duration("interval", 2*time.Millisecond, "time between the starts of two requests")
	settle   = flag.Duration("settle", 500*time.Millisecond, "edit: keep polling this long after the new version")
	timeout  = flag.Duration("timeout", 60*time.Second, "give up on the new version after this long")
	reqTO    = flag.Duration("request-timeout", 10*time.Second, "per-request timeout")
	saveMode = flag.String("save", "rename", "rename (atomic save) or inplace")
	content  = flag.String("content", "", "save this file's text instead of rewriting the version line")
	dir      = flag.String("dir", "", "build: where CMD runs (default: FILE's directory)")
)

var versionLine = regexp.MustCompile(`(?m)^const version = ".*"$`)

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "poll: "+format+"\n", a...)
	os.Exit(1)
}

// save writes FILE with VERSION in it; returns the time the save completed.
func save(file, version string) time.Time {
	var out []byte
	if *content != "" {
		b, err := os.ReadFile(*content)
		if err != nil {
			die("%v", err)
		}
		out = b
	} else {
		src, err := os.ReadFile(file)
		if err != nil {
			die("%v", err)
		}
		if !versionLine.Match(src) {
			die("%s: no `const version = \"...\"` line", file)
		}
		out = versionLine.ReplaceAll(src, []byte(fmt.Sprintf("const version = %q", version)))
	}
	switch *saveMode {
	case "rename":
		tmp := file + ".bench.tmp"
		if err := os.WriteFile(tmp, out, 0o644); err != nil {
			die("%v", err)
		}
		if err := os.Rename(tmp, file); err != nil {
			die("%v", err)
		}
	case "inplace":
		if err := os.WriteFile(file, out, 0o644); err != nil {
			die("%v", err)
		}
	default:
		die("-save: rename or inplace, not %q", *saveMode)
	}
	return time.Now()
}

func classify(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case strings.HasPrefix(err.Error(), "status "):
		return "status"
	}
	return "other"
}

type poller struct {
	c   *http.Client
	url string
	res result
}

func newPoller(url string) *poller {
	return &poller{
		c: &http.Client{Timeout: *reqTO, Transport: &http.Transport{
			DisableKeepAlives: true, Proxy: nil,
			DialContext: (&net.Dialer{}).DialContext,
		}},
		url: url,
		res: result{Errors: map[string]int{}},
	}
}

// get does one request; returns the body, or "" and counts the failure.
func (p *poller) get() (string, bool) {
	p.res.Requests++
	resp, err := p.c.Get(p.url)
	if err == nil {
		var b []byte
		b, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %d: %.80q", resp.StatusCode, b)
		}
		if err == nil {
			return string(bytes.TrimSpace(b)), true
		}
	}
	p.res.Failed++
	p.res.Errors[classify(err)]++
	if p.res.FirstError == "" {
		p.res.FirstError = err.Error()
	}
	return "", false
}

// pace sleeps until interval after start.
func pace(start time.Time) {
	if d := *interval - time.Since(start); d > 0 {
		time.Sleep(d)
	}
}

func emit(r *result) {
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		die("%v", err)
	}
}

func edit(file, version string, urls []string) {
	ps := make([]*poller, len(urls))
	seen := make([]time.Time, len(urls))
	for i, u := range urls {
		ps[i] = newPoller(u)
	}
	t0 := save(file, version)
	for {
		start := time.Now()
		done := true
		for i, p := range ps {
			if !seen[i].IsZero() && time.Since(seen[i]) >= *settle {
				continue
			}
			done = false
			body, ok := p.get()
			if ok {
				if body == version {
					if seen[i].IsZero() {
						seen[i] = time.Now()
						p.res.LatencyMs = float64(seen[i].Sub(t0).Microseconds()) / 1000
					}
				} else if !seen[i].IsZero() {
					p.res.Stale++
				}
			}
			if seen[i].IsZero() && time.Since(t0) > *timeout {
				p.res.Timeout = true
				seen[i] = time.Now().Add(-*settle)
			}
		}
		if done {
			break
		}
		pace(start)
	}
	if len(ps) == 1 {
		emit(&ps[0].res)
		return
	}
	all := result{Errors: map[string]int{}}
	for _, p := range ps {
		r := &p.res
		all.Latencies = append(all.Latencies, r.LatencyMs)
		if r.LatencyMs > all.LatencyMs {
			all.LatencyMs = r.LatencyMs
		}
		all.Failed += r.Failed
		all.Stale += r.Stale
		all.Requests += r.Requests
		all.Timeout = all.Timeout || r.Timeout
		for k, v := range r.Errors {
			all.Errors[k] += v
		}
		if all.FirstError == "" {
			all.FirstError = r.FirstError
		}
	}
	emit(&all)
}

func build(file, version, url string, argv []string) {
	p := newPoller(url)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = filepath.Dir(file)
	if *dir != "" {
		cmd.Dir = *dir
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	stop := make(chan struct{})
	polled := make(chan struct{})
	go func() { // the same load as in edit mode
		defer close(polled)
		for {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			p.get()
			pace(start)
		}
	}()
	t0 := save(file, version)
	err := cmd.Run()
	p.res.LatencyMs = float64(time.Since(t0).Microseconds()) / 1000
	close(stop)
	<-polled
	if ctx.Err() != nil {
		p.res.Timeout = true
	} else if err != nil {
		die("%s: %v", strings.Join(argv, " "), err)
	}
	emit(&p.res)
}

func wait(url, version string) {
	p := newPoller(url)
	t0 := time.Now()
	for {
		start := time.Now()
		if body, ok := p.get(); ok && body == version {
			p.res.LatencyMs = float64(time.Since(t0).Microseconds()) / 1000
			break
		}
		if time.Since(t0) > *timeout {
			p.res.Timeout = true
			break
		}
		pace(start)
	}
	emit(&p.res)
}

func main() {
	if len(os.Args) < 2 {
		die("usage: poll edit|build|wait [flags] ARGS...")
	}
	mode := os.Args[1]
	flag.CommandLine.Parse(os.Args[2:])
	args := flag.Args()
	switch {
	case mode == "edit" && len(args) >= 3:
		edit(args[0], args[1], args[2:])
	case mode == "build" && len(args) >= 5 && args[3] == "--":
		build(args[0], args[1], args[2], args[4:])
	case mode == "wait" && len(args) == 2:
		wait(args[0], args[1])
	default:
		die("usage: poll edit FILE VERSION URL | build FILE VERSION URL -- CMD... | wait URL VERSION")
	}
}
