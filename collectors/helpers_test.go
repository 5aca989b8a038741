package collectors

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/pantau/pantau/store"
)

// testClock is an injected clock that only moves when told to.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2024, 6, 4, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newTestFetcher is a Fetcher for loopback test servers: no rate limit,
// the test's clock.
func newTestFetcher(clk *testClock) *Fetcher {
	return NewFetcher(FetcherOptions{Rate: rate.Inf, Now: clk.Now, UserAgent: "PantauTest/1.0 (+test)"})
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func contentTypeOf(name string) string {
	switch filepath.Ext(name) {
	case ".json":
		return "application/feed+json"
	case ".html":
		return "text/html; charset=utf-8"
	default:
		return "application/xml; charset=utf-8"
	}
}

// serveFixture serves one testdata file at every path.
func serveFixture(t *testing.T, name string) *httptest.Server {
	t.Helper()
	body := fixture(t, name)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentTypeOf(name))
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func openStore(t *testing.T, clk *testClock) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "pantau.db"), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// storeSink is the simplest Sink: straight into the store.
type storeSink struct{ st *store.Store }

func (s storeSink) Ingest(_ context.Context, b store.Batch) (store.IngestResult, error) {
	return s.st.Ingest(b)
}

var acme = Brand{
	Name:     "acme",
	Terms:    []string{"Acme", "acme bank", "#acme"},
	Exclude:  []string{"cartoon"},
	Accounts: map[string][]string{"rss": {"AcmeCare"}},
}

func rssSource(name, url string) SourceConfig {
	return SourceConfig{Name: name, Kind: KindRSS, URL: url, Brand: "acme"}
}

func newTestRSS(t *testing.T, cfg SourceConfig, f *Fetcher) *RSS {
	t.Helper()
	r, err := NewRSS(cfg, acme, f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// wait fails the test if ch does not deliver in time: a guard against a
// deadlock hanging the suite, not a timing assumption.
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func urlParse(s string) (*url.URL, error) { return url.Parse(s) }
