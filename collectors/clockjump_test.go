package collectors

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// The clock is set back after a source failed: its backoff, counted from
// an error that now lies in the future, must not silence it for as long
// as the clock jumped. Set forward, a source in backoff is simply due.
func TestSchedulerSurvivesClockJumps(t *testing.T) {
	for name, jump := range map[string]time.Duration{"back 6h": -6 * time.Hour, "forward 3 days": 72 * time.Hour} {
		t.Run(name, func(t *testing.T) {
			clk := newTestClock()
			st := openStore(t, clk)
			var failing atomic.Bool
			failing.Store(true)
			var hits atomic.Int32
			body := fixture(t, "rss2.xml")
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if failing.Load() {
					w.Header().Set("Retry-After", "600")
					http.Error(w, "down", http.StatusServiceUnavailable)
					return
				}
				w.Write(body)
			}))
			defer srv.Close()
			s := NewScheduler(st, storeSink{st}, nil, clk.Now)
			s.rnd = func() float64 { return 0.5 }
			if err := s.Add(newTestRSS(t, rssSource("forum", srv.URL), newTestFetcher(clk)), "@every 5m", 0); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := s.PollNow(ctx, "forum"); err == nil {
				t.Fatal("want the 503")
			}
			// Still within the backoff on an honest clock.
			if err := s.PollNow(ctx, "forum"); !errors.Is(err, ErrNotDue) {
				t.Fatalf("err = %v, want ErrNotDue", err)
			}
			failing.Store(false)
			clk.Advance(jump)
			if err := s.PollNow(ctx, "forum"); err != nil {
				t.Fatalf("after the jump: %v", err)
			}
			got := state(t, st, "forum")
			if got.ConsecutiveErrors != 0 || got.ItemsSeen == 0 || !got.NextAttempt.IsZero() {
				t.Fatalf("state after the jump: %+v", got)
			}
			if hits.Load() != 2 {
				t.Errorf("%d requests, want 2 (one failure, one poll after the jump)", hits.Load())
			}
		})
	}
}
