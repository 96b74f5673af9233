// procs: a program misbehaving on purpose, for golive dev's process tests.
// Every start appends "start <pid> <version> <child pid>" to -log, and a clean
// SIGTERM exit appends "term <pid>".
//
//	-crash N      the first N starts (counted in -log) fail: odd ones exit 3,
//	              even ones panic (exit 2)
//	-ignore-term  ignore SIGTERM (golive must SIGKILL it after the grace period)
//	-child BIN    start "BIN 1000" as a child (a plain child: no Pdeathsig, same group)
//	-stdin        append "stdin <pid> <line>" to -log for each line read from stdin
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

const version = "v1"

func starts(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "start ") {
			n++
		}
	}
	return n
}

func record(path, line string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(f, line)
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

func main() {
	logPath := flag.String("log", "", "the start log (required)")
	crash := flag.Int("crash", 0, "fail the first N starts")
	ignoreTerm := flag.Bool("ignore-term", false, "ignore SIGTERM")
	child := flag.String("child", "", "start BIN 1000 as a child")
	stdin := flag.Bool("stdin", false, "log the lines read from stdin")
	flag.Parse()
	if *logPath == "" {
		log.Fatal("-log is required")
	}
	n := starts(*logPath) + 1
	if *ignoreTerm {
		signal.Ignore(syscall.SIGTERM)
	}
	childPid := 0
	if *child != "" {
		cmd := exec.Command(*child, "1000")
		if err := cmd.Start(); err != nil {
			log.Fatal(err)
		}
		childPid = cmd.Process.Pid
	}
	record(*logPath, fmt.Sprintf("start %d %s %d", os.Getpid(), version, childPid))
	if *stdin {
		go func() {
			sc := bufio.NewScanner(os.Stdin)
			for sc.Scan() {
				record(*logPath, fmt.Sprintf("stdin %d %s", os.Getpid(), sc.Text()))
			}
		}()
	}
	if n <= *crash {
		time.Sleep(50 * time.Millisecond)
		if n%2 == 1 {
			fmt.Fprintln(os.Stderr, "procs: crashing with exit status 3")
			os.Exit(3)
		}
		panic("procs: crashing on purpose")
	}
	if *ignoreTerm {
		for {
			time.Sleep(time.Hour)
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
	record(*logPath, fmt.Sprintf("term %d", os.Getpid()))
}
