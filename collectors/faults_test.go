package collectors

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/pantau/pantau/store"
)

// Hostile or broken sources, each behind the real fetch layer and the
// scheduler: every one fails with an error that says what was wrong,
// recorded in that source's health, while a good source beside them is
// polled and stored as usual.
func TestBrokenSourcesFailAloneWithClearErrors(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	good := serveFixture(t, "rss2.xml")

	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte("\x00\x01\xff<rss><channel><item><title>unterminated \x89PNG garbage"))
	}))
	defer garbage.Close()

	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		chunk := []byte(strings.Repeat("<item><title>Acme</title></item>", 1000))
		w.Write([]byte("<rss><channel>"))
		for range 100 { // about 3 MB, far past the 64 KiB cap below
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer huge.Close()

	// A few bytes at a time, never finishing: only the poll's timeout
	// ends it. The handler stops when the client goes away.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte("<rss><channel>"))
		w.(http.Flusher).Flush()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
				if _, err := w.Write([]byte("<!-- -->")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		}
	}))
	defer slow.Close()

	// Promises 5000 bytes, sends a few, then closes the connection.
	cut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 5000\r\n\r\n<rss><channel><item><title>Acme")
		buf.Flush()
		conn.Close()
	}))
	defer cut.Close()

	f := NewFetcher(FetcherOptions{Rate: rate.Inf, Now: clk.Now, MaxBodyBytes: 64 << 10})
	s := NewScheduler(st, storeSink{st}, nil, clk.Now)
	var mu sync.Mutex
	observed := map[string]error{}
	s.ObservePolls(func(source string, _ time.Duration, err error) {
		mu.Lock()
		observed[source] = err
		mu.Unlock()
	})
	// The slow source's timeout is the behaviour under test; the others
	// finish long before it.
	const timeout = 500 * time.Millisecond
	sources := map[string]string{"good": good.URL, "garbage": garbage.URL, "huge": huge.URL, "slow": slow.URL, "cut": cut.URL}
	for name, u := range sources {
		if err := s.Add(newTestRSS(t, rssSource(name, u), f), "@every 1h", timeout); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{
		"garbage": "malformed feed",
		"huge":    "larger than the 64 KiB limit",
		"slow":    "timed out",
		"cut":     "unexpected EOF",
	}
	for name := range sources {
		err := s.PollNow(context.Background(), name)
		if name == "good" {
			if err != nil {
				t.Fatalf("good source: %v", err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want[name]) {
			t.Errorf("%s: error %v, want one saying %q", name, err, want[name])
		}
	}
	for name := range sources {
		got := state(t, st, name)
		switch name {
		case "good":
			if got.ItemsSeen == 0 || got.ConsecutiveErrors != 0 || got.LastErrorText != "" {
				t.Errorf("good source harmed: %+v", got)
			}
		default:
			if got.ConsecutiveErrors != 1 || !strings.Contains(got.LastErrorText, want[name]) || got.NextAttempt.IsZero() {
				t.Errorf("%s health: errors=%d text=%q next=%v", name, got.ConsecutiveErrors, got.LastErrorText, got.NextAttempt)
			}
			if strings.Contains(got.LastErrorText, "\x00") {
				t.Errorf("%s: raw bytes from the source in the error text", name)
			}
		}
		mu.Lock()
		if oerr, ok := observed[name]; !ok || (oerr == nil) != (name == "good") {
			t.Errorf("%s: the poll observer saw %v (reported: %v)", name, oerr, ok)
		}
		mu.Unlock()
	}
}

type failingSink struct{}

func (failingSink) Ingest(context.Context, store.Batch) (store.IngestResult, error) {
	return store.IngestResult{}, errors.New("write /data/pantau.db: no space left on device")
}

// A batch fetched but not stored (the store's disk is full) is recorded as
// the source's error without a backoff: the next scheduled poll tries
// again, so ingest resumes as soon as the store can write.
func TestIngestFailureDoesNotBackOffTheSource(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	good := serveFixture(t, "rss2.xml")
	s := NewScheduler(st, failingSink{}, nil, clk.Now)
	if err := s.Add(newTestRSS(t, rssSource("news", good.URL), newTestFetcher(clk)), "@every 1h", 0); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		err := s.PollNow(context.Background(), "news")
		if err == nil || !strings.Contains(err.Error(), "ingest: write /data/pantau.db: no space left") {
			t.Fatalf("err = %v", err)
		}
	}
	got := state(t, st, "news")
	if got.ConsecutiveErrors != 3 || got.NextAttempt.After(clk.Now()) {
		t.Fatalf("state %+v: want 3 errors and no backoff", got)
	}
}
