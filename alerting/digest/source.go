package digest

import (
	"context"
	"time"

	"github.com/pantau/pantau/store"
)

// Source yields the stored mentions a digest counts. The store scans its
// time index (StoreSource); a source built on hourly rollups can replace
// it without touching the rest.
type Source interface {
	// Mentions calls fn for every mention first stored in [from, to).
	// fn must not keep the pointer.
	Mentions(ctx context.Context, from, to time.Time, fn func(*store.Mention) error) error
}

// StoreSource reads mentions straight from the store.
type StoreSource struct{ Store *store.Store }

// Mentions implements Source.
func (s StoreSource) Mentions(ctx context.Context, from, to time.Time, fn func(*store.Mention) error) error {
	return s.Store.ScanMentionsSeen(from, to, func(m *store.Mention) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(m)
	})
}
