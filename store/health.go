package store

import (
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// writeHealth counts write transactions and remembers whether the last
// one failed to commit. A commit fails when the file cannot be written
// (a full disk, a file-size limit, an I/O error); the daemon then keeps
// serving reads and reports itself not ready until a write succeeds again.
// Errors that a transaction's own function returns (a record not found, a
// conflict) are answers, not storage failures, and are not counted.
type writeHealth struct {
	writes   atomic.Uint64
	failures atomic.Uint64
	nanos    atomic.Uint64

	mu      sync.Mutex
	lastErr error
	since   time.Time
}

func (h *writeHealth) record(took time.Duration, storageErr error, now time.Time) {
	h.writes.Add(1)
	h.nanos.Add(uint64(max(took, 0)))
	if storageErr != nil {
		h.failures.Add(1)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case storageErr == nil:
		h.lastErr, h.since = nil, time.Time{}
	case h.lastErr == nil:
		h.lastErr, h.since = storageErr, now
	default:
		h.lastErr = storageErr
	}
}

// WriteStats is what the store counts about its write transactions.
type WriteStats struct {
	// Writes counts write transactions, committed or not.
	Writes uint64
	// Failures counts transactions whose commit failed.
	Failures uint64
	// Time is the total time spent in write transactions.
	Time time.Duration
	// Failing is the error of the latest write when it failed to commit,
	// nil once a write has succeeded since; FailingSince is when the
	// current run of failures began.
	Failing      error
	FailingSince time.Time
}

// WriteStats reports the write counters and the write-failure state.
func (s *Store) WriteStats() WriteStats {
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	return WriteStats{
		Writes:       h.writes.Load(),
		Failures:     h.failures.Load(),
		Time:         time.Duration(h.nanos.Load()),
		Failing:      h.lastErr,
		FailingSince: h.since,
	}
}

// Size is the store file's size in bytes as bbolt sees it (the data it
// holds, free pages included).
func (s *Store) Size() (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Size()
		return nil
	})
	return n, err
}
