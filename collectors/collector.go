// Package collectors pulls public mentions of the configured brands from
// their sources and hands them, one batch per poll, to a Sink.
//
// Every HTTP source goes through one Fetcher (polite, size-capped,
// rate-limited, secret-free errors); a Scheduler runs each configured
// Collector on its cron schedule and keeps per-source backoff in the store.
package collectors

import (
	"context"
	"time"

	"github.com/pantau/pantau/store"
)

// Collector polls one configured source.
type Collector interface {
	// Name is the configured source's name.
	Name() string
	// Kind is the source kind ("rss", ...).
	Kind() string
	// Poll fetches what is new since cursor and returns one batch with
	// Source, Kind, At and the new Cursor set. Errors must not contain
	// secrets.
	Poll(ctx context.Context, cursor string) (store.Batch, error)
}

// Sink takes batches. The alerting pipeline implements it: score,
// store.Ingest, rules.
type Sink interface {
	Ingest(ctx context.Context, b store.Batch) (store.IngestResult, error)
}

// SourceStates is the part of *store.Store the scheduler needs.
type SourceStates interface {
	SourceState(name string) (store.SourceState, error)
	RecordSourceError(source, kind string, at time.Time, errText string, nextAttempt time.Time) (store.SourceState, error)
}

var _ SourceStates = (*store.Store)(nil)
