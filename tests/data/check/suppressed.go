package check

import (
	"context"
	"net/http"
)

func audit(w http.ResponseWriter, r *http.Request) {
	//golive:ignore httpctx the audit write must outlive the request
	_ = context.Background()
}
