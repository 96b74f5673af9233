// poller: an HTTP client for golive dev's end-to-end tests.
//
//	poller -once URL        one GET; prints the body, exits 0 (1 on any error or non-200)
//	poller [flags] URL      GETs URL every -interval on a fresh connection each time
//	                        (no keep-alive), until -duration has passed or the -stop file
//	                        exists, then prints a JSON summary on stdout:
//	                        {"ok":N,"failed":N,"first_error":"...","bodies":["v1","v2"]}
//	                        bodies: the distinct bodies in the order seen (consecutive
//	                        repeats collapsed). With -started FILE, FILE is created after
//	                        the first request has been answered. With -until BODY, it
//	                        also stops once it has been answered BODY (spaces trimmed).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

type summary struct {
	OK         int      `json:"ok"`
	Failed     int      `json:"failed"`
	FirstError string   `json:"first_error"`
	Bodies     []string `json:"bodies"`
	Requests   int      `json:"requests"`
	MaxMs      float64  `json:"max_ms"`
}

func get(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %.80q", resp.StatusCode, b)
	}
	return string(b), nil
}

func main() {
	once := flag.Bool("once", false, "one request: print the body")
	interval := flag.Duration("interval", 2*time.Millisecond, "delay between requests")
	duration := flag.Duration("duration", 60*time.Second, "stop after this long at most")
	stop := flag.String("stop", "", "stop once this file exists")
	started := flag.String("started", "", "create this file after the first answered request")
	until := flag.String("until", "", "stop once answered this body (spaces trimmed)")
	timeout := flag.Duration("timeout", 10*time.Second, "per-request timeout")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: poller [-once] [flags] URL")
		os.Exit(64)
	}
	url := flag.Arg(0)
	c := &http.Client{
		Timeout:   *timeout,
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
	}
	if *once {
		body, err := get(c, url)
		if err != nil {
			fmt.Fprintln(os.Stderr, "poller:", err)
			os.Exit(1)
		}
		fmt.Print(body)
		return
	}
	var s summary
	s.Bodies = []string{}
	deadline := time.Now().Add(*duration)
	for time.Now().Before(deadline) {
		if *stop != "" {
			if _, err := os.Stat(*stop); err == nil {
				break
			} else if !errors.Is(err, os.ErrNotExist) {
				break
			}
		}
		t0 := time.Now()
		body, err := get(c, url)
		if ms := float64(time.Since(t0).Microseconds()) / 1000; ms > s.MaxMs {
			s.MaxMs = ms
		}
		s.Requests++
		if err != nil {
			s.Failed++
			if s.FirstError == "" {
				s.FirstError = fmt.Sprintf("%s: %v", time.Now().Format("15:04:05.000"), err)
			}
		} else {
			s.OK++
			if n := len(s.Bodies); n == 0 || s.Bodies[n-1] != body {
				s.Bodies = append(s.Bodies, body)
			}
			if *started != "" && s.OK == 1 {
				if f, err := os.Create(*started); err == nil {
					f.Close()
				}
			}
			if *until != "" && strings.TrimSpace(body) == *until {
				break
			}
		}
		time.Sleep(*interval)
	}
	json.NewEncoder(os.Stdout).Encode(&s)
}
