package crossfile

import (
	"context"
	"net/http"
	"time"
)

// shutdown stops the server: Background is right here, the request's
// context dies with the server.
func shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}
