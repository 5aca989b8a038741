package collectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/pantau/pantau/store"
)

// errStreamEnded stands for a stream that returned without an error and
// without delivering anything: a server that accepts the connection and
// closes it at once would otherwise be redialled in a tight loop.
var errStreamEnded = errors.New("stream ended without delivering anything")

// startStreamLocked starts j's stream supervisor when j is a Streamer.
// Call with s.mu held, after Start.
func (s *Scheduler) startStreamLocked(j *job) {
	sc, ok := j.c.(Streamer)
	if !ok || s.stopped {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.superviseStream(j, sc)
	}()
}

// superviseStream keeps one source's stream running until Stop. Each run
// starts from the source's stored cursor, which the Sink advances with
// every batch the stream emits, so a restart resumes where the last
// durable batch ended. A failed run is recorded as a source error and the
// next one waits a backoff: exponential in the failures since the stream
// last delivered (a stream that worked for a while and then dropped is
// retried quickly), never shorter than the server's Retry-After, and never
// before the source's NextAttempt (which polls and a previous daemon's run
// may have set too).
func (s *Scheduler) superviseStream(j *job, sc Streamer) {
	ctx := s.ctx
	name, kind := j.c.Name(), j.c.Kind()
	log := s.log.With("source", name, "kind", kind)
	failures := 0
	for ctx.Err() == nil {
		st, err := s.states.SourceState(name)
		if err != nil {
			failures++
			log.Error("stream: load source state", "err", err)
			if s.sleep(ctx, Backoff(failures, 0, s.rnd)) != nil {
				return
			}
			continue
		}
		if wait := st.NextAttempt.Sub(s.now()); wait > 0 {
			log.Debug("stream backing off", "next_attempt", st.NextAttempt)
			if s.sleep(ctx, wait) != nil {
				return
			}
			// The wait is over whatever the clock says now: do not check
			// again, re-read only for the freshest cursor.
			if st, err = s.states.SourceState(name); err != nil {
				continue
			}
		}

		var delivered atomic.Bool
		err = s.runStream(ctx, j, sc, st.Cursor, log, &delivered)
		if ctx.Err() != nil {
			log.Info("stream stopped")
			return
		}
		if delivered.Load() {
			failures = 0
		}
		if err == nil {
			if delivered.Load() {
				// A server that rotates connections: reconnect after a
				// short pause, with nothing to record.
				log.Info("stream ended, reconnecting")
				if s.sleep(ctx, Backoff(1, 0, s.rnd)) != nil {
					return
				}
				continue
			}
			err = errStreamEnded
		}
		failures++
		now := s.now()
		retryAfter := retryAfterOf(err)
		delay := Backoff(failures, retryAfter, s.rnd)
		next := now.Add(delay)
		text := redactText(fmt.Sprintf("source %q: stream: %v", name, err))
		if _, rerr := s.states.RecordSourceError(name, kind, now, text, next); rerr != nil {
			log.Error("record source error", "err", rerr)
		}
		log.Warn("stream failed, restarting", "err", text, "failures", failures, "retry_after", retryAfter, "restart_in", delay)
		if s.sleep(ctx, delay) != nil {
			return
		}
	}
}

// runStream runs one Stream call, turning a panic into an error. emit
// hands batches to the Sink one at a time and in order, even if the
// collector calls it from several goroutines, and sets delivered after the
// first one is durable.
func (s *Scheduler) runStream(ctx context.Context, j *job, sc Streamer, cursor string, log *slog.Logger, delivered *atomic.Bool) (err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("stream panicked", "panic", redactText(fmt.Sprint(p)), "stack", string(debug.Stack()))
			err = fmt.Errorf("stream panicked: %v", p)
		}
	}()
	var mu sync.Mutex
	emit := func(b store.Batch) error {
		mu.Lock()
		defer mu.Unlock()
		// Like a poll's batch, an emitted batch is stored even while
		// shutting down: the stream already consumed it.
		res, err := s.deliver(context.WithoutCancel(ctx), j, &b, s.now())
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		delivered.Store(true)
		level := slog.LevelDebug
		if len(res.New) > 0 || len(res.Rejected) > 0 {
			level = slog.LevelInfo
		}
		log.Log(ctx, level, "streamed", "mentions", len(b.Mentions), "new", len(res.New), "duplicates", res.Duplicates, "rejected", len(res.Rejected))
		for _, rej := range res.Rejected[:min(len(res.Rejected), 5)] {
			log.Warn("mention rejected", "err", redactText(rej.Error()))
		}
		return nil
	}
	log.Debug("stream starting", "resume", cursor != "")
	return sc.Stream(ctx, cursor, emit)
}
