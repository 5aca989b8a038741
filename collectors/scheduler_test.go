package collectors

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

// fakeCollector polls with a function.
type fakeCollector struct {
	name string
	poll func(ctx context.Context, cursor string) (store.Batch, error)
}

func (f *fakeCollector) Name() string { return f.name }
func (f *fakeCollector) Kind() string { return "fake" }
func (f *fakeCollector) Poll(ctx context.Context, cursor string) (store.Batch, error) {
	return f.poll(ctx, cursor)
}

func okPoll(context.Context, string) (store.Batch, error) { return store.Batch{}, nil }

// chanSink reports every batch on a channel after storing it.
type chanSink struct {
	st  *store.Store
	got chan store.Batch
}

func (s chanSink) Ingest(_ context.Context, b store.Batch) (store.IngestResult, error) {
	res, err := s.st.Ingest(b)
	s.got <- b
	return res, err
}

// signalStates reports every recorded source error on a channel.
type signalStates struct {
	*store.Store
	errs chan string
}

func (s signalStates) RecordSourceError(source, kind string, at time.Time, errText string, next time.Time) (store.SourceState, error) {
	st, err := s.Store.RecordSourceError(source, kind, at, errText, next)
	s.errs <- source + ": " + errText
	return st, err
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

func state(t *testing.T, st *store.Store, name string) store.SourceState {
	t.Helper()
	s, err := st.SourceState(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSchedulerHonoursRetryAfter(t *testing.T) {
	tests := map[string]struct {
		header func(now time.Time) string
		want   time.Duration
	}{
		"seconds":   {func(time.Time) string { return "120" }, 2 * time.Minute},
		"http date": {func(now time.Time) string { return now.Add(10 * time.Minute).Format(http.TimeFormat) }, 10 * time.Minute},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newTestClock()
			st := openStore(t, clk)
			var limited atomic.Bool
			limited.Store(true)
			var hits atomic.Int32
			body := fixture(t, "rss2.xml")
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if limited.Load() {
					w.Header().Set("Retry-After", tc.header(clk.Now()))
					http.Error(w, "slow down", http.StatusTooManyRequests)
					return
				}
				w.Write(body)
			}))
			defer srv.Close()

			s := NewScheduler(st, storeSink{st}, nil, clk.Now)
			s.rnd = func() float64 { return 0.5 } // jitter 1s: Retry-After must win
			if err := s.Add(newTestRSS(t, rssSource("forum", srv.URL), newTestFetcher(clk)), "@every 5m", 0); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			start := clk.Now()

			err := s.PollNow(ctx, "forum")
			var se *StatusError
			if !errors.As(err, &se) || se.Code != 429 {
				t.Fatalf("err = %v, want a 429 StatusError", err)
			}
			got := state(t, st, "forum")
			if !got.NextAttempt.Equal(start.Add(tc.want)) || got.ConsecutiveErrors != 1 || !strings.Contains(got.LastErrorText, "HTTP 429") || got.Kind != KindRSS {
				t.Fatalf("state = %+v, want next attempt %s", got, start.Add(tc.want))
			}

			// Until then the source is left alone.
			clk.Advance(tc.want - time.Second)
			if err := s.PollNow(ctx, "forum"); !errors.Is(err, ErrNotDue) {
				t.Fatalf("err = %v, want ErrNotDue", err)
			}
			if hits.Load() != 1 {
				t.Fatalf("server hit %d times during the backoff", hits.Load())
			}

			// Then it is polled again, and success clears the errors.
			limited.Store(false)
			clk.Advance(time.Second)
			if err := s.PollNow(ctx, "forum"); err != nil {
				t.Fatal(err)
			}
			got = state(t, st, "forum")
			if got.ConsecutiveErrors != 0 || !got.NextAttempt.IsZero() || got.ItemsSeen != 3 || !got.LastSuccess.Equal(clk.Now()) {
				t.Fatalf("state after recovery = %+v", got)
			}
		})
	}
}

func TestSchedulerBackoffGrows(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	s := NewScheduler(st, storeSink{st}, nil, clk.Now)
	s.rnd = func() float64 { return 0.5 }
	boom := &fakeCollector{name: "flaky", poll: func(context.Context, string) (store.Batch, error) {
		return store.Batch{}, errors.New("connection reset")
	}}
	if err := s.Add(boom, "", 0); err != nil {
		t.Fatal(err)
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		if err := s.PollNow(context.Background(), "flaky"); err == nil || !strings.Contains(err.Error(), "connection reset") {
			t.Fatalf("poll %d: err = %v", i, err)
		}
		got := state(t, st, "flaky")
		if got.ConsecutiveErrors != i+1 || !got.NextAttempt.Equal(clk.Now().Add(want)) {
			t.Fatalf("poll %d: state = %+v, want backoff %s", i, got, want)
		}
		clk.Advance(want)
	}
}

func TestSchedulerStartPollsAtOnceAndSurvivesPanics(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	states := signalStates{st, make(chan string, 10)}
	sink := chanSink{st, make(chan store.Batch, 10)}
	logger, logs := testLogger()
	s := NewScheduler(states, sink, logger, clk.Now)

	panicky := &fakeCollector{name: "panicky", poll: func(context.Context, string) (store.Batch, error) {
		panic("index out of range in a parser")
	}}
	good := &fakeCollector{name: "good", poll: okPoll}
	for _, c := range []Collector{panicky, good} {
		if err := s.Add(c, "@every 1h", 0); err != nil {
			t.Fatal(err)
		}
	}
	s.Start()
	// Both run right away, without waiting an hour for cron.
	if b := wait(t, sink.got, "the good source's first batch"); b.Source != "good" || b.Kind != "fake" || !b.At.Equal(clk.Now()) {
		t.Fatalf("batch = %+v", b)
	}
	if msg := wait(t, states.errs, "the panic to be recorded"); !strings.Contains(msg, "panicky: ") || !strings.Contains(msg, "collector panicked: index out of range") {
		t.Fatalf("recorded %q", msg)
	}
	// The scheduler is still alive and serving both sources.
	clk.Advance(time.Hour)
	if err := s.PollNow(context.Background(), "good"); err != nil {
		t.Fatal(err)
	}
	wait(t, sink.got, "the good source's second batch")
	if err := s.PollNow(context.Background(), "panicky"); err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("err = %v", err)
	}
	wait(t, states.errs, "the second panic to be recorded")
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "collector panicked") {
		t.Fatalf("panic not logged:\n%s", logs)
	}
}

// panickySink panics on its first batch.
type panickySink struct {
	calls atomic.Int32
	first chan struct{}
}

func (p *panickySink) Ingest(context.Context, store.Batch) (store.IngestResult, error) {
	if p.calls.Add(1) == 1 {
		close(p.first)
		panic("sink bug")
	}
	return store.IngestResult{}, nil
}

// A panic outside the collector (here the sink) is caught by cron's
// Recover wrapper on scheduled runs and by PollNow on direct ones.
func TestSchedulerCronRecoverCatchesSinkPanic(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	sink := &panickySink{first: make(chan struct{})}
	logger, logs := testLogger()
	s := NewScheduler(st, sink, logger, clk.Now)
	if err := s.Add(&fakeCollector{name: "src", poll: okPoll}, "@every 1h", 0); err != nil {
		t.Fatal(err)
	}
	s.Start()
	wait(t, sink.first, "the start-up run")
	// PollNow waits for the panicking run to unwind, then works.
	if err := s.PollNow(context.Background(), "src"); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "cron: panic") || !strings.Contains(logs.String(), "sink bug") {
		t.Fatalf("cron.Recover did not log the panic:\n%s", logs)
	}
}

func TestSchedulerTimeoutCancelsPoll(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	s := NewScheduler(st, storeSink{st}, nil, clk.Now)
	const timeout = 20 * time.Millisecond
	var deadline atomic.Value
	slow := &fakeCollector{name: "slow", poll: func(ctx context.Context, _ string) (store.Batch, error) {
		d, ok := ctx.Deadline()
		if !ok {
			return store.Batch{}, errors.New("no deadline")
		}
		deadline.Store(d)
		<-ctx.Done()
		return store.Batch{}, ctx.Err()
	}}
	if err := s.Add(slow, "", timeout); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	err := s.PollNow(context.Background(), "slow")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if d := deadline.Load().(time.Time); d.Sub(before) > timeout+time.Second {
		t.Fatalf("deadline %s is not the job's timeout", d.Sub(before))
	}
	got := state(t, st, "slow")
	if !strings.Contains(got.LastErrorText, "poll timed out after 20ms") || got.ConsecutiveErrors != 1 {
		t.Fatalf("state = %+v", got)
	}
}

func TestSchedulerStop(t *testing.T) {
	t.Run("cancels polls in flight without recording an error", func(t *testing.T) {
		clk := newTestClock()
		st := openStore(t, clk)
		s := NewScheduler(st, storeSink{st}, nil, clk.Now)
		started := make(chan struct{})
		cancelled := make(chan error, 1)
		c := &fakeCollector{name: "hang", poll: func(ctx context.Context, _ string) (store.Batch, error) {
			close(started)
			<-ctx.Done()
			cancelled <- ctx.Err()
			return store.Batch{}, ctx.Err()
		}}
		if err := s.Add(c, "", time.Hour); err != nil {
			t.Fatal(err)
		}
		s.Start()
		wait(t, started, "the poll to start")
		if err := s.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := wait(t, cancelled, "the poll to be cancelled"); !errors.Is(err, context.Canceled) {
			t.Fatalf("poll ended with %v", err)
		}
		if got := state(t, st, "hang"); got.ConsecutiveErrors != 0 || got.LastErrorText != "" {
			t.Fatalf("shutdown recorded as a source error: %+v", got)
		}
		if err := s.Add(&fakeCollector{name: "late", poll: okPoll}, "", 0); err == nil {
			t.Fatal("Add after Stop succeeded")
		}
	})
	t.Run("gives up at the caller's deadline", func(t *testing.T) {
		clk := newTestClock()
		st := openStore(t, clk)
		s := NewScheduler(st, storeSink{st}, nil, clk.Now)
		started, release := make(chan struct{}), make(chan struct{})
		stubborn := &fakeCollector{name: "stubborn", poll: func(context.Context, string) (store.Batch, error) {
			close(started)
			<-release // ignores its context
			return store.Batch{}, nil
		}}
		if err := s.Add(stubborn, "", time.Hour); err != nil {
			t.Fatal(err)
		}
		s.Start()
		wait(t, started, "the poll to start")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Stop(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Stop = %v, want the context's error", err)
		}
		close(release)
	})
}

func TestSchedulerAddAndPollNowErrors(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	s := NewScheduler(st, storeSink{st}, nil, clk.Now)
	if err := s.Add(&fakeCollector{name: "a", poll: okPoll}, "", 0); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		err  error
		want string
	}{
		"duplicate name":  {s.Add(&fakeCollector{name: "a", poll: okPoll}, "", 0), `source "a" added twice`},
		"bad spec":        {s.Add(&fakeCollector{name: "b", poll: okPoll}, "every five minutes", 0), `source "b": schedule "every five minutes"`},
		"nil collector":   {s.Add(nil, "", 0), "nil collector"},
		"empty name":      {s.Add(&fakeCollector{poll: okPoll}, "", 0), "no name"},
		"unknown PollNow": {s.PollNow(context.Background(), "zzz"), `unknown source "zzz"`},
		"cancelled PollNow": {func() error {
			// Hold the source busy so PollNow has to wait, then give up.
			j := s.byName["a"]
			j.busy <- struct{}{}
			defer func() { <-j.busy }()
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return s.PollNow(ctx, "a")
		}(), "context canceled"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", tc.err, tc.want)
			}
		})
	}
	if err := s.PollNow(context.Background(), "zzz"); !errors.Is(err, ErrUnknownSource) {
		t.Fatalf("err = %v", err)
	}
}

// coveredCollector polls with a function and states its coverage.
type coveredCollector struct {
	fakeCollector
	coverage string
}

func (c *coveredCollector) Coverage() string { return c.coverage }

// TestCoverageLandsInSourceState: every batch the scheduler hands on
// carries the collector's coverage statement, so the dashboard can say
// what each source sees (streams and refreshes are covered in their own
// tests).
func TestCoverageLandsInSourceState(t *testing.T) {
	tests := map[string]struct {
		c    Collector
		want string
	}{
		"collector with a statement": {
			&coveredCollector{fakeCollector{name: "src", poll: okPoll}, "hashtag timelines only: full-text search needs a user token"},
			"hashtag timelines only: full-text search needs a user token"},
		"batch's own statement wins": {
			&coveredCollector{fakeCollector{name: "src", poll: func(context.Context, string) (store.Batch, error) {
				return store.Batch{Coverage: "this poll: the last 100 posts only"}, nil
			}}, "general statement"},
			"this poll: the last 100 posts only"},
		"collector without one": {&fakeCollector{name: "src", poll: okPoll}, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newTestClock()
			st := openStore(t, clk)
			sink := chanSink{st, make(chan store.Batch, 1)}
			s := NewScheduler(st, sink, nil, clk.Now)
			if err := s.Add(tc.c, "", 0); err != nil {
				t.Fatal(err)
			}
			if err := s.PollNow(context.Background(), "src"); err != nil {
				t.Fatal(err)
			}
			if b := wait(t, sink.got, "the batch"); b.Coverage != tc.want {
				t.Fatalf("batch coverage %q, want %q", b.Coverage, tc.want)
			}
			if got := state(t, st, "src"); got.Coverage != tc.want {
				t.Fatalf("stored coverage %q, want %q", got.Coverage, tc.want)
			}
		})
	}
}

// A poll that fails in part still stores what it read, then records the
// failure, so one broken storefront does not block the others.
func TestSchedulerStoresPartialPollThenRecordsError(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	c := &fakeCollector{name: "reviews", poll: func(context.Context, string) (store.Batch, error) {
		b := store.Batch{Mentions: []store.Mention{{NativeID: "r1", Text: "Kilat Express app crashes"}}}
		return b, &PartialPollError{Source: "reviews", Errs: []error{errors.New("storefront us: HTTP 503")}}
	}}
	s := NewScheduler(st, storeSink{st}, nil, clk.Now)
	if err := s.Add(c, "", 0); err != nil {
		t.Fatal(err)
	}
	err := s.PollNow(context.Background(), "reviews")
	if err == nil || !strings.Contains(err.Error(), "storefront us") {
		t.Fatalf("PollNow = %v, want the partial failure", err)
	}
	if _, ok, _ := st.Mention(store.MentionKey("fake", "r1")); !ok {
		t.Fatal("the part that was read was not stored")
	}
	if got := state(t, st, "reviews"); got.ConsecutiveErrors != 1 || !strings.Contains(got.LastErrorText, "storefront us") {
		t.Fatalf("source state = %+v, want the failure recorded", got)
	}
}
