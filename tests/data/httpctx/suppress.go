// Package suppress: //golive:ignore directives.
package suppress

import (
	"context"
	"net/http"
)

func handler(w http.ResponseWriter, r *http.Request) {
	_ = context.Background() //golive:ignore httpctx the cache warm-up outlives the request

	//golive:ignore httpctx detached on purpose: the audit write must finish
	_ = context.Background()

	//golive:ignore all legacy code, tracked in JIRA-123
	_ = context.TODO()

	//golive:ignore logtrace another analyzer's directive does not apply
	_ = context.Background() // want `use r\.Context\(\)`

	//golive:ignore logtrace,httpctx a list of analyzers
	_ = context.Background()

	/* want `//golive:ignore httpctx has no reason and suppresses nothing` */ //golive:ignore httpctx
	_ = context.Background()                                                  // want `use r\.Context\(\)`

	/* want `//golive:ignore needs an analyzer name and a reason` */ //golive:ignore

	//golive:ignore httpctx too far away: two lines above

	_ = context.Background() // want `use r\.Context\(\)`

	//golive:ignored httpctx not a directive
	_ = context.Background() // want `use r\.Context\(\)`
}
