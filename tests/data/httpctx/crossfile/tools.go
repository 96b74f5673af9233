package crossfile

import (
	"net"
	"net/http"
	"os/exec"
)

// runTool runs a program without the request's context.
func runTool(name string) { _ = exec.Command(name).Run() }

// lookup resolves without a context.
func lookup(host string) []string {
	addrs, _ := net.LookupHost(host)
	return addrs
}

// fetch builds its request without a context, then gives it one.
func fetch(url string) error {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return err
	}
	req = req.WithContext(req.Context())
	_ = req
	return nil
}
