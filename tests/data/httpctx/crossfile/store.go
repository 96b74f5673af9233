package crossfile

import (
	"context"
	"database/sql"
	"net/http"
)

type user struct{ name string }

type store struct{ db *sql.DB }

type cache struct{}

// loadUser starts from context.Background(): a handler calling it drops its
// request's context one step away.
//
// (The want lines in handlers.go name this file and the line of each
// `func`: keep the line numbers.)
func loadUser(id string) user {
	ctx := context.Background()
	_ = ctx
	return user{name: id}
}

func loadUserCtx(ctx context.Context, id string) user { return user{name: id} }

func fromRequest(r *http.Request) user { _ = context.Background(); return user{} }

func ignoresCtx(_ context.Context) user { _ = context.TODO(); return user{} }

func (s *store) count() int {
	row := s.db.QueryRow("SELECT count(*) FROM t")
	_ = row
	return 0
}

func (s *store) get(id string) user { _ = context.Background(); return user{name: id} }

func (c *cache) get(id string) user { return user{name: id} }

func viaHelper() user { return loadUser("y") }

func clean() int { return 1 }
