// realweb: one small program on the four routers Go web teams use most (gin,
// echo, chi, gorilla/mux), pinned in go.mod/go.sum. The end-to-end and cache
// tests build, check and run it: real third-party code, not std alone.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes returns one handler per router, each answering "<router> <name>".
func routes() map[string]http.Handler {
	gin.SetMode(gin.ReleaseMode)
	g := gin.New()
	g.GET("/hello/:name", func(c *gin.Context) { c.String(http.StatusOK, "gin %s", c.Param("name")) })

	e := echo.New()
	e.HideBanner = true
	e.Use(middleware.Recover())
	e.GET("/hello/:name", func(c echo.Context) error {
		return c.String(http.StatusOK, "echo "+c.Param("name"))
	})

	c := chi.NewRouter()
	c.Get("/hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "chi %s", chi.URLParam(r, "name"))
	})

	m := mux.NewRouter()
	m.HandleFunc("/hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "mux %s", mux.Vars(r)["name"])
	})
	return map[string]http.Handler{"gin": g, "echo": e, "chi": c, "mux": m}
}

func main() {
	rs := routes()
	if len(os.Args) == 3 && os.Args[1] == "-serve" {
		// -serve ROUTER: serve that router on $ADDR (golive dev, curl).
		h, ok := rs[os.Args[2]]
		if !ok {
			log.Fatalf("no router %q", os.Args[2])
		}
		log.Fatal(http.ListenAndServe(os.Getenv("ADDR"), h))
	}
	// Without arguments: ask every router once, in-process.
	for _, name := range []string{"chi", "echo", "gin", "mux"} {
		req, _ := http.NewRequest("GET", "/hello/world", nil)
		w := &recorder{header: http.Header{}}
		rs[name].ServeHTTP(w, req)
		fmt.Printf("%s\n", w.body)
	}
}

// recorder is the least of an http.ResponseWriter (httptest stays out of the binary).
type recorder struct {
	header http.Header
	body   []byte
	code   int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(code int)        { r.code = code }
func (r *recorder) Write(b []byte) (int, error) { r.body = append(r.body, b...); return len(b), nil }
