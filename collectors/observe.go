package collectors

import (
	"time"

	"github.com/pantau/pantau/store"
)

// PollObserver is told about each poll of a source: how long the fetch
// and parse took and its error (nil on success). Polls cut short by
// shutdown are not reported.
type PollObserver func(source string, took time.Duration, err error)

// ObservePolls sets o (for metrics). Call it before Start.
func (s *Scheduler) ObservePolls(o PollObserver) { s.observe = o }

// clockWentBack reports whether the source's last recorded error lies
// after now, which only happens when the clock was set back.
func clockWentBack(st store.SourceState, now time.Time) bool {
	return !st.LastError.IsZero() && st.LastError.After(now)
}

// ingestError is a batch that was fetched but could not be stored.
type ingestError struct{ err error }

func (e ingestError) Error() string { return "ingest: " + e.err.Error() }
func (e ingestError) Unwrap() error { return e.err }
