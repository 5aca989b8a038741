package collectors

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

// fakeStreamer is a pollable collector with a live stream and a coverage
// statement.
type fakeStreamer struct {
	fakeCollector
	coverage string
	stream   func(ctx context.Context, cursor string, emit func(store.Batch) error) error
}

func (f *fakeStreamer) Stream(ctx context.Context, cursor string, emit func(store.Batch) error) error {
	return f.stream(ctx, cursor, emit)
}

func (f *fakeStreamer) Coverage() string { return f.coverage }

var (
	_ Streamer = (*fakeStreamer)(nil)
	_ Coverage = (*fakeStreamer)(nil)
)

func ptr[T any](v T) *T { return &v }

// fakeSleep replaces the scheduler's sleep: it moves the test clock by the
// wait instead of waiting, and reports each wait.
func fakeSleep(s *Scheduler, clk *testClock) chan time.Duration {
	sleeps := make(chan time.Duration, 100)
	s.sleep = func(ctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		clk.Advance(d)
		sleeps <- d
		return nil
	}
	return sleeps
}

func streamMention(id string, at time.Time) store.Mention {
	return store.Mention{NativeID: id, Text: "acme stream " + id, Author: store.Author{Handle: "u" + id}, CreatedAt: at}
}

// TestStreamSupervisor follows one stream through its life: it delivers
// and drops, fails at once (the backoff grows), is rate limited (the
// Retry-After wins), ends without delivering (counted as a failure), and
// finally runs until Stop, which ends it cleanly. Every restart resumes
// from the cursor of the last batch the stream emitted.
func TestStreamSupervisor(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	states := signalStates{st, make(chan string, 20)}
	logger, logs := testLogger()
	s := NewScheduler(states, storeSink{st}, logger, clk.Now)
	s.rnd = func() float64 { return 0.5 } // Backoff(n) = 2^(n-1) s
	sleeps := fakeSleep(s, clk)

	cursors := make(chan string, 20)
	running := make(chan struct{})
	ended := make(chan error, 1)
	var runs atomic.Int32
	c := &fakeStreamer{
		fakeCollector: fakeCollector{name: "live", poll: okPoll},
		coverage:      "every public post, from the moment of connection",
		stream: func(ctx context.Context, cursor string, emit func(store.Batch) error) error {
			cursors <- cursor
			switch runs.Add(1) {
			case 1:
				now := clk.Now()
				if err := emit(store.Batch{Mentions: []store.Mention{streamMention("1", now)}, Cursor: ptr("c1")}); err != nil {
					return err
				}
				if err := emit(store.Batch{Mentions: []store.Mention{streamMention("2", now)}, Cursor: ptr("c2")}); err != nil {
					return err
				}
				return errors.New("read: connection reset by peer")
			case 2:
				return errors.New("dial: connection refused")
			case 3:
				return &StatusError{Code: 429, RetryAfter: time.Minute, URL: "wss://stream.example/subscribe", Method: "GET"}
			case 4:
				return nil
			default:
				close(running)
				<-ctx.Done()
				ended <- ctx.Err()
				return ctx.Err()
			}
		},
	}
	if err := s.Add(c, "@every 1h", 0); err != nil {
		t.Fatal(err)
	}
	s.Start()

	tests := []struct {
		cursor  string
		errText string
		sleep   time.Duration
	}{
		{"", "connection reset by peer", time.Second},                       // delivered: the count starts over
		{"c2", "connection refused", 2 * time.Second},                       // failure 2
		{"c2", "HTTP 429", time.Minute},                                     // failure 3, 4s < Retry-After
		{"c2", "stream ended without delivering anything", 8 * time.Second}, // failure 4
	}
	for i, tc := range tests {
		if got := wait(t, cursors, "a stream run"); got != tc.cursor {
			t.Fatalf("run %d resumed from %q, want %q", i+1, got, tc.cursor)
		}
		if msg := wait(t, states.errs, "the stream error to be recorded"); !strings.Contains(msg, tc.errText) || !strings.HasPrefix(msg, "live: ") {
			t.Fatalf("run %d recorded %q, want %q", i+1, msg, tc.errText)
		}
		if d := wait(t, sleeps, "the restart backoff"); d != tc.sleep {
			t.Fatalf("run %d: waited %s before restarting, want %s", i+1, d, tc.sleep)
		}
	}
	if got := wait(t, cursors, "the last run"); got != "c2" {
		t.Fatalf("last run resumed from %q", got)
	}
	wait(t, running, "the last run to start")

	got := state(t, st, "live")
	if got.Cursor != "c2" || got.Coverage != c.coverage || got.ItemsSeen != 2 || got.Kind != "fake" {
		t.Fatalf("state = %+v", got)
	}
	for _, key := range []string{"fake:1", "fake:2"} {
		if m, ok, err := st.Mention(key); err != nil || !ok || m.Source != "live" {
			t.Fatalf("mention %s: %+v %v %v", key, m, ok, err)
		}
	}

	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, ended, "the stream to see Stop"); !errors.Is(err, context.Canceled) {
		t.Fatalf("stream ended with %v", err)
	}
	select {
	case msg := <-states.errs:
		t.Fatalf("Stop was recorded as a source error: %q", msg)
	default:
	}
	if !strings.Contains(logs.String(), "stream stopped") {
		t.Fatalf("no stop logged:\n%s", logs)
	}
}

// TestStreamEmit checks what emit does with a batch: the source's name,
// kind and coverage are filled in, the sink's error comes back to the
// stream, and the stream then fails and restarts.
func TestStreamEmit(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	sink := &flakySink{st: st, fail: 1, got: make(chan store.Batch, 10)}
	states := signalStates{st, make(chan string, 10)}
	s := NewScheduler(states, sink, nil, clk.Now)
	s.rnd = func() float64 { return 0.5 }
	fakeSleep(s, clk)

	emitErrs := make(chan error, 10)
	var runs atomic.Int32
	c := &fakeStreamer{
		fakeCollector: fakeCollector{name: "live", poll: func(ctx context.Context, _ string) (store.Batch, error) {
			<-ctx.Done() // keep the start-up poll out of the sink
			return store.Batch{}, ctx.Err()
		}},
		coverage: "posts with the brand's hashtags",
		stream: func(ctx context.Context, cursor string, emit func(store.Batch) error) error {
			if runs.Add(1) > 2 {
				<-ctx.Done()
				return ctx.Err()
			}
			// A collector that names another source is overruled.
			err := emit(store.Batch{Source: "someone-else", Kind: "x", Mentions: []store.Mention{streamMention("9", clk.Now())}, Cursor: ptr("p9")})
			emitErrs <- err
			return err
		},
	}
	if err := s.Add(c, "@every 1h", time.Hour); err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Stop(context.Background())

	if err := wait(t, emitErrs, "the first emit"); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("emit returned %v, want the sink's error", err)
	}
	if msg := wait(t, states.errs, "the failure"); !strings.Contains(msg, "ingest: disk full") {
		t.Fatalf("recorded %q", msg)
	}
	if err := wait(t, emitErrs, "the second emit"); err != nil {
		t.Fatalf("second emit: %v", err)
	}
	b := wait(t, sink.got, "the stored batch")
	if b.Source != "live" || b.Kind != "fake" || b.Coverage != c.coverage || b.At.IsZero() {
		t.Fatalf("batch = %+v", b)
	}
	if got := state(t, st, "live"); got.Cursor != "p9" || got.Coverage != c.coverage || got.ConsecutiveErrors != 0 {
		t.Fatalf("state = %+v", got)
	}
	if got := state(t, st, "someone-else"); got.Kind != "" || got.Cursor != "" {
		t.Fatalf("a stream wrote another source's state: %+v", got)
	}
}

// flakySink fails its first fail batches, then stores and reports them.
type flakySink struct {
	st    *store.Store
	fail  int32
	calls atomic.Int32
	got   chan store.Batch
}

func (f *flakySink) Ingest(_ context.Context, b store.Batch) (store.IngestResult, error) {
	if f.calls.Add(1) <= f.fail {
		return store.IngestResult{}, errors.New("disk full")
	}
	res, err := f.st.Ingest(b)
	f.got <- b
	return res, err
}

// TestStreamWaitsForBackoffAndSurvivesPanics: a source backing off (after
// a poll's 429, or from before a restart) is not redialled before its
// NextAttempt, and a panicking stream is a failure, not a crash.
func TestStreamWaitsForBackoffAndSurvivesPanics(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	states := signalStates{st, make(chan string, 10)}
	s := NewScheduler(states, storeSink{st}, nil, clk.Now)
	s.rnd = func() float64 { return 0.5 }
	sleeps := fakeSleep(s, clk)
	if _, err := st.RecordSourceError("live", "fake", clk.Now(), "HTTP 429", clk.Now().Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	starts := make(chan time.Time, 10)
	var runs atomic.Int32
	c := &fakeStreamer{
		fakeCollector: fakeCollector{name: "live", poll: okPoll},
		stream: func(ctx context.Context, _ string, _ func(store.Batch) error) error {
			starts <- clk.Now()
			if runs.Add(1) == 1 {
				panic("nil map in the decoder")
			}
			<-ctx.Done()
			return ctx.Err()
		},
	}
	start := clk.Now()
	if err := s.Add(c, "@every 1h", 0); err != nil {
		t.Fatal(err)
	}
	s.Start()
	if d := wait(t, sleeps, "the initial backoff"); d != 10*time.Minute {
		t.Fatalf("waited %s, want the 10m left of the backoff", d)
	}
	if at := wait(t, starts, "the first run"); at.Before(start.Add(10 * time.Minute)) {
		t.Fatalf("stream dialled at %s, before the next attempt", at)
	}
	if msg := wait(t, states.errs, "the panic"); !strings.Contains(msg, "stream panicked: nil map") {
		t.Fatalf("recorded %q", msg)
	}
	wait(t, starts, "the restart after the panic")
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}
