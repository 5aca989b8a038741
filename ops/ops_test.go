package ops

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pantau/pantau/store"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "pantau.db"), store.Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestConfigValidate(t *testing.T) {
	for listen, want := range map[string]string{
		"":               "",
		"127.0.0.1:9090": "",
		"localhost:0":    "",
		"[::1]:9090":     "",
		"0.0.0.0:9090":   "loopback",
		":9090":          "loopback",
		"10.0.0.5:9090":  "loopback",
		"nine":           "host:port",
		"127.0.0.1:x":    "port",
	} {
		err := Config{Listen: listen}.Validate("ops")
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "ops.listen: ")) {
			t.Errorf("%q: %v, want %q", listen, err, want)
		}
	}
}

// The scrape-time collector reads the store: mentions per configured
// source, lag against the injected clock, outbox depth per receiver;
// state kept for a source no longer configured is not reported.
func TestMetricsReadStateAtScrape(t *testing.T) {
	st := openStore(t)
	created := t0.Add(-90 * time.Second)
	for _, src := range []string{"news", "retired"} {
		if _, err := st.Ingest(store.Batch{Source: src, Kind: "rss", At: t0, Mentions: []store.Mention{
			{NativeID: src + "1", Text: "secret customer text", CreatedAt: created},
			{NativeID: src + "2", Text: "more", CreatedAt: created.Add(-time.Hour)},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Enqueue(store.OutboxItem{Receiver: "oncall", AlertID: "a1", Action: store.OutboxTrigger}); err != nil {
		t.Fatal(err)
	}
	m := NewMetrics(StateSource{
		Store:   st,
		Sources: func() []string { return []string{"news"} },
		Clients: func() int64 { return 3 },
		Now:     func() time.Time { return t0 },
	})
	m.ObservePoll("news", 200*time.Millisecond, nil)
	m.ObservePoll("news", time.Second, io.ErrUnexpectedEOF)
	m.AlertRaised("complaint")
	m.Notification("oncall", "retry")

	want := `
# HELP pantau_source_mentions_total New mentions stored from a source, ever.
# TYPE pantau_source_mentions_total counter
pantau_source_mentions_total{source="news"} 2
# HELP pantau_source_lag_seconds Age of the newest mention stored from a source (now minus its creation time).
# TYPE pantau_source_lag_seconds gauge
pantau_source_lag_seconds{source="news"} 90
# HELP pantau_outbox_depth Notifications waiting for delivery, by receiver.
# TYPE pantau_outbox_depth gauge
pantau_outbox_depth{receiver="oncall"} 1
# HELP pantau_websocket_clients Dashboard websocket clients connected.
# TYPE pantau_websocket_clients gauge
pantau_websocket_clients 3
# HELP pantau_fetch_errors_total Polls of a source that failed, by source.
# TYPE pantau_fetch_errors_total counter
pantau_fetch_errors_total{source="news"} 1
# HELP pantau_alerts_raised_total Alerts opened, by rule.
# TYPE pantau_alerts_raised_total counter
pantau_alerts_raised_total{rule="complaint"} 1
# HELP pantau_notifications_total Notification attempts by receiver and outcome (delivered, retry, failed).
# TYPE pantau_notifications_total counter
pantau_notifications_total{outcome="retry",receiver="oncall"} 1
# HELP pantau_store_write_failing 1 while the latest write transaction failed to commit, else 0.
# TYPE pantau_store_write_failing gauge
pantau_store_write_failing 0
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want),
		"pantau_source_mentions_total", "pantau_source_lag_seconds", "pantau_outbox_depth", "pantau_websocket_clients",
		"pantau_fetch_errors_total", "pantau_alerts_raised_total", "pantau_notifications_total", "pantau_store_write_failing"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.Registry, "pantau_fetch_duration_seconds"); n != 1 {
		t.Errorf("%d fetch histograms, want 1", n)
	}
	// The whole exposition holds no user text.
	rec := httptest.NewRecorder()
	Handler(m, &Health{Store: st}, st, slog.New(slog.DiscardHandler)).ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1/metrics", nil))
	if rec.Code != 200 || strings.Contains(rec.Body.String(), "customer") || strings.Contains(rec.Body.String(), "retired") {
		t.Errorf("/metrics %d leaks text or unconfigured sources", rec.Code)
	}
}

func TestHandlerServesLoopbackHostsOnly(t *testing.T) {
	st := openStore(t)
	h := Handler(NewMetrics(StateSource{Store: st}), &Health{Store: st}, st, slog.New(slog.DiscardHandler))
	for host, want := range map[string]int{"127.0.0.1:9090": 200, "localhost": 200, "[::1]:9090": 200, "evil.example": 421, "evil.example:9090": 421, "10.0.0.1:9090": 421} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/healthz", nil)
		req.Host = host
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %s: %d, want %d", host, rec.Code, want)
		}
	}
}

func TestReadyzNamesWhatIsWrong(t *testing.T) {
	st := openStore(t)
	running := true
	h := &Health{Store: st, CollectorsRunning: func() bool { return running }}
	rec := httptest.NewRecorder()
	h.Readyz(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"ready"`) {
		t.Fatalf("ready: %d %s", rec.Code, rec.Body)
	}
	running = false
	rec = httptest.NewRecorder()
	h.Readyz(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "collectors are not running") {
		t.Fatalf("collectors stopped: %d %s", rec.Code, rec.Body)
	}
	st.Close()
	running = true
	rec = httptest.NewRecorder()
	h.Readyz(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "cannot read the store") {
		t.Fatalf("store closed: %d %s", rec.Code, rec.Body)
	}
}

// GET /backup streams a store that opens, with a Content-Length that
// matches, while the source store stays open.
func TestBackupHandlerStreamsAVerifiableStore(t *testing.T) {
	st := openStore(t)
	st.Ingest(store.Batch{Source: "news", Kind: "rss", Mentions: []store.Mention{{NativeID: "1", Text: "x"}}})
	srv := httptest.NewServer(BackupHandler(st, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	path := filepath.Join(t.TempDir(), "copy.db")
	f, _ := os.Create(path)
	n, _ := io.Copy(f, resp.Body)
	f.Close()
	if resp.ContentLength != n || n == 0 {
		t.Fatalf("Content-Length %d, body %d", resp.ContentLength, n)
	}
	info, err := store.VerifyFile(path, time.Second)
	if err != nil || info.Schema != store.SchemaVersion() {
		t.Fatalf("verify: %+v %v", info, err)
	}
	cp, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if _, ok, _ := cp.Mention("rss:1"); !ok {
		t.Error("the copy lacks the mention")
	}
}

// The profiler is on the ops listener, behind the same loopback check.
func TestHandlerServesPprofOnLoopbackOnly(t *testing.T) {
	st := openStore(t)
	h := Handler(NewMetrics(StateSource{Store: st}), &Health{Store: st}, st, slog.New(slog.DiscardHandler))
	for host, want := range map[string]int{"127.0.0.1:9090": 200, "evil.example": 421} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/debug/pprof/cmdline", nil)
		req.Host = host
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %s: %d, want %d", host, rec.Code, want)
		}
	}
}
