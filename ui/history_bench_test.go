package ui

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

// A year of history: one mention every hour for each of 8 sources and 2
// brands (8,760 × 16 = 140,160 hourly rollup records) in a real bbolt
// file, stored through Ingest as collectors store them.
var (
	benchYearStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	benchSources   = []string{"mastodon", "bluesky", "reddit", "hn", "rss", "appstore", "playstore", "discourse"}
	benchBrands    = []string{"acme", "beta"}
)

func benchYearStore(b *testing.B) *store.Store {
	b.Helper()
	st, err := store.Open(filepath.Join(b.TempDir(), "pantau.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	topics := [][]string{{"delivery", "late"}, {"refund"}, {"app"}, nil}
	batch := make([]store.Mention, 0, 24*len(benchSources)*len(benchBrands))
	for day := range 365 {
		batch = batch[:0]
		for h := range 24 {
			at := benchYearStart.Add(time.Duration(day*24+h)*time.Hour + 7*time.Minute)
			for si, src := range benchSources {
				for bi, brand := range benchBrands {
					i := (day*24+h)*16 + si*2 + bi
					sc := &store.Score{Scored: true, Lang: "id", Complaint: float64(i%10) / 10, Severity: i % 5,
						Sentiment: float64(i%7-3) / 4, ReplyState: store.ReplyNew, Target: time.Hour, Topics: topics[i%4]}
					m := store.Mention{NativeID: fmt.Sprint(i), Source: src, Brand: brand, Text: "x",
						Author: store.Author{Handle: "u"}, CreatedAt: at, Score: sc}
					if i%3 == 0 {
						answered := at.Add(time.Duration(i%300) * time.Minute)
						m.AnsweredAt = &answered
					}
					batch = append(batch, m)
				}
			}
		}
		if _, err := st.Ingest(store.Batch{Kind: "bench", Mentions: batch}); err != nil {
			b.Fatal(err)
		}
	}
	return st
}

// BenchmarkHistoryYear serves the history page for a 365-day period with
// day steps from a year of hourly rollups; the target is under 100 ms.
// The baseline reads the same year's mentions without rollups (only
// decoding them, before any counting), which is what the page would cost
// without rollups.
//
//	go test ./ui -run '^$' -bench HistoryYear -benchtime 3x
func BenchmarkHistoryYear(b *testing.B) {
	st := benchYearStore(b)
	srv := New(Config{}, st, nil, WithClock(func() time.Time { return benchYearStart.AddDate(1, 0, 0) }))
	h := srv.Handler()
	b.Run("rollups", func(b *testing.B) {
		target := "/api/history?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&step=day"
		b.ReportAllocs()
		cpu0, n := cpuTime(), 0
		for b.Loop() {
			n++
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodGet, target, nil)
			r.Host = "127.0.0.1:8080"
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
		// CPU per request: on a machine shared with other work the wall
		// time (ns/op) also counts the waits for a core.
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(n)/1e6, "cpu-ms/op")
	})
	b.Run("baseline-scan-mentions", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			q := store.MentionQuery{Limit: 1000}
			for {
				ms, err := st.Mentions(q)
				if err != nil {
					b.Fatal(err)
				}
				n += len(ms)
				if len(ms) < q.Limit {
					break
				}
				q.Before, q.BeforeKey = ms[len(ms)-1].SeenAt, ms[len(ms)-1].Key
			}
			if n != 365*24*16 {
				b.Fatalf("read %d mentions", n)
			}
		}
	})
}
