// Package collectors pulls public mentions of the configured brands from
// their sources and hands them, one batch per poll, to a Sink.
//
// Every HTTP source goes through one Fetcher (polite, size-capped,
// rate-limited, secret-free errors); a Scheduler runs each configured
// Collector on its cron schedule and keeps per-source backoff in the store.
package collectors

import (
	"context"
	"log/slog"
	"sync"
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

// Streamer is a collector that also follows a live stream (Bluesky's
// Jetstream, Mastodon's streaming API). The scheduler runs Stream in its
// own goroutine for as long as it runs, restarting it with backoff when it
// returns an error. Stream resumes from cursor (the source's stored
// cursor) and hands each batch, carrying its new cursor, to emit; a batch
// is durable once emit returns nil.
type Streamer interface {
	Collector
	Stream(ctx context.Context, cursor string, emit func(store.Batch) error) error
}

// Refresher is a collector that can re-read mentions it collected: fresh
// engagement counts (samples) and brand replies found in their threads.
// The scheduler calls it on a decaying schedule (often while a mention is
// young, rarely when old). The returned batch carries samples and any new
// mentions (brand replies with ReplyTo set) and no cursor.
type Refresher interface {
	Collector
	Refresh(ctx context.Context, mentions []store.Mention) (store.Batch, error)
}

// Coverage says in plain words what a source can and cannot see ("hashtag
// timelines only: full-text search needs a user token"). The dashboard
// shows it next to the source's health.
type Coverage interface {
	Coverage() string
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

// skipLog keeps the last errors about items a collector skipped (a
// malformed status, an oversized frame), logging each as it happens, so a
// poll can report them while keeping the rest of its batch.
type skipLog struct {
	mu   sync.Mutex
	errs []error
}

// maxSkipped bounds what a skipLog keeps between two takes.
const maxSkipped = 100

func (s *skipLog) add(log *slog.Logger, kind, source string, err error) {
	log.Warn(kind+" item skipped", "source", source, "err", redactText(err.Error()))
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) >= maxSkipped {
		s.errs = s.errs[1:]
	}
	s.errs = append(s.errs, err)
}

// take returns and clears the errors kept.
func (s *skipLog) take() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	errs := s.errs
	s.errs = nil
	return errs
}
