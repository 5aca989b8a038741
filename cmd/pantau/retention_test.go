package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

// One retention pass with an injected clock: what is older than its
// kind's age goes, the rest stays.
func TestRetentionPassUsesEachKindsAge(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st, err := store.Open(filepath.Join(t.TempDir(), "pantau.db"), store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ingest := func(id string) {
		_, err := st.Ingest(store.Batch{Source: "news", Kind: "rss", Mentions: []store.Mention{{NativeID: id, Text: "x", CreatedAt: now}},
			Samples: []store.MentionSample{{Key: "rss:" + id, Sample: store.Sample{At: now}}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	ingest("old")
	now = now.Add(10 * 24 * time.Hour)
	ingest("young")
	now = now.Add(24 * time.Hour)

	var c store.RetentionConfig
	c.ApplyDefaults()
	c.Samples = store.Age(5 * 24 * time.Hour) // the old sample (11 days) goes, the young one (1 day) stays
	c.Events = store.Age(5 * 24 * time.Hour)
	got := retentionPass(context.Background(), st, c, now, slog.New(slog.DiscardHandler))
	if got[store.RetainSamples] != 1 || got[store.RetainMentions] != 0 || got[store.RetainEvents] == 0 {
		t.Fatalf("deleted %v", got)
	}
	if s, _ := st.Samples("rss:old"); len(s) != 0 {
		t.Error("old sample kept")
	}
	if _, ok, _ := st.Mention("rss:old"); !ok {
		t.Error("a mention younger than 400 days was deleted")
	}
	// After 400 days, the old mention goes too.
	now = now.Add(400 * 24 * time.Hour)
	got = retentionPass(context.Background(), st, c, now.Add(-5*24*time.Hour), slog.New(slog.DiscardHandler))
	if got[store.RetainMentions] != 1 {
		t.Fatalf("deleted %v", got)
	}
}
