package crossfile_test

import "context"

type T struct{}

// Close of another package (crossfile_test): not the one handlers.go calls.
func (T) Close() error { _ = context.Background(); return nil }
