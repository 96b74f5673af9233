// Command browserapp is the program tests/e2e/t99_dev_browser.sh runs under
// golive dev --browser: an HTML page with a stylesheet and a script, chunked
// gzipped and deflated pages, a brotli page the test compresses, a page with
// a strict <meta> CSP, a JSON API, an upload sink and a WebSocket echo, over
// HTTP/1.1 and HTTP/2 with prior knowledge (h2c, Go >= 1.24's
// http.Protocols; std only), and a second package, store.
package main

import (
	"bufio"
	"compress/gzip"
	"compress/zlib"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"example.com/browserapp/store"
)

const version = "v1"

var started = time.Now()

func page(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'")
	fmt.Fprintf(w, `<!doctype html>
<html><head><title>browserapp</title><link rel="stylesheet" href="/static/style.css"></head>
<body><h1 id="msg">%s</h1><script src="/static/app.js"></script></body></html>
`, version)
}

// metaPage has its policy in a <meta> only, nonce-based and strict (html/template
// writes its quotes as &#39;); its own script counts its loads and records
// CSP violations.
var metaPage = template.Must(template.New("meta").Parse(`<!doctype html>
<html><head><title>meta csp</title>
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<script nonce="{{.Nonce}}">
window.violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));
sessionStorage.mloads = (+sessionStorage.mloads || 0) + 1;
</script>
</head><body><h1 id="mv">{{.Version}}</h1></body></html>
`))

func metaCSP(w http.ResponseWriter, r *http.Request) {
	nonce := strconv.FormatInt(time.Now().UnixNano(), 36)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	metaPage.Execute(w, map[string]string{
		"CSP":     "default-src 'none'; script-src 'nonce-" + nonce + "' 'strict-dynamic'; style-src 'self'",
		"Nonce":   nonce,
		"Version": version,
	})
}

func main() {
	ln, err := net.FileListener(os.NewFile(3, "listen"))
	if err != nil {
		ln, err = net.Listen("tcp", "127.0.0.1:18099")
	}
	if err != nil {
		panic(err)
	}
	http.HandleFunc("/", page)
	http.HandleFunc("/metacsp", metaCSP)
	http.HandleFunc("/favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	http.Handle("/static/", http.StripPrefix("/static/", http.FileServer(http.Dir("static"))))
	http.HandleFunc("/started", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strconv.FormatInt(started.UnixNano()/1e6, 10))
	})
	http.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!doctype html><html><body>")
		for i := 0; i < 5; i++ {
			fmt.Fprintf(w, "<p class=part>part %d</p>", i)
			w.(http.Flusher).Flush()
		}
		fmt.Fprint(w, "</body></html>")
	})
	http.HandleFunc("/gzip", func(w http.ResponseWriter, r *http.Request) {
		// gzip even when not asked for: golive must decode it, not corrupt it
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		z := gzip.NewWriter(w)
		fmt.Fprint(z, "<!doctype html><html><body><h1 id=gz>gzipped</h1></body></html>")
		z.Close()
	})
	http.HandleFunc("/deflate", func(w http.ResponseWriter, r *http.Request) {
		// deflate (the zlib format) even when not asked for: decoded too
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "deflate")
		z := zlib.NewWriter(w)
		fmt.Fprint(z, "<!doctype html><html><body><h1 id=zl>deflated</h1></body></html>")
		z.Close()
	})
	http.HandleFunc("/br", func(w http.ResponseWriter, r *http.Request) {
		// brpage.html.br, made by the test with Debian's brotli, served as is
		// whatever the request accepts: golive must decode it, not corrupt it
		b, err := os.ReadFile("brpage.html.br")
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Encoding", "br")
		w.Write(b)
	})
	http.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, n)
	})
	http.HandleFunc("/api", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"version":%q,"html":"<body></body>","n":[1,2,3]}`, version)
	})
	http.HandleFunc("/ws", echo)
	http.HandleFunc("/count", store.Count)
	srv := &http.Server{Protocols: new(http.Protocols)}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true) // h2c with prior knowledge, as gRPC clients speak it
	panic(srv.Serve(ln))
}

// echo is a minimal WebSocket (RFC 6455) echo of text frames.
func echo(w http.ResponseWriter, r *http.Request) {
	h := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	conn, rw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(rw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		base64.StdEncoding.EncodeToString(h[:]))
	rw.Flush()
	for {
		msg, op, err := readFrame(rw.Reader)
		if err != nil || op == 8 {
			return
		}
		out := []byte("echo:" + string(msg))
		hdr := []byte{0x81, byte(len(out))}
		if len(out) > 125 {
			return
		}
		rw.Write(append(hdr, out...))
		rw.Flush()
	}
}

func readFrame(r *bufio.Reader) ([]byte, byte, error) {
	var b [2]byte
	if _, err := r.Read(b[:1]); err != nil {
		return nil, 0, err
	}
	if _, err := r.Read(b[1:]); err != nil {
		return nil, 0, err
	}
	n := int(b[1] & 0x7f)
	if n > 125 {
		return nil, 0, fmt.Errorf("long frame")
	}
	var mask [4]byte
	for i := range mask {
		c, err := r.ReadByte()
		if err != nil {
			return nil, 0, err
		}
		mask[i] = c
	}
	msg := make([]byte, n)
	for i := range msg {
		c, err := r.ReadByte()
		if err != nil {
			return nil, 0, err
		}
		msg[i] = c ^ mask[i%4]
	}
	return msg, b[0] & 0x0f, nil
}
