package store

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// WriteAlerts leaves the same alerts and the same events, in the same
// order, as PutAlert and UpdateAlert one at a time; an update of an alert
// not stored is skipped and reported without losing the other writes.
func TestWriteAlertsSameAsOneAtATime(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	open := func() *Store {
		st, err := Open(filepath.Join(t.TempDir(), "a.db"), Options{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a1 := Alert{ID: "complaint|rss:1", Rule: "complaint", MentionKey: "rss:1", State: AlertOpen, Summary: "one", Priority: 0.5, OpenedAt: now, UpdatedAt: now}
	a2 := Alert{ID: "complaint|rss:2", Rule: "complaint", MentionKey: "rss:2", State: AlertOpen, Summary: "two", Priority: 0.6, OpenedAt: now, UpdatedAt: now}
	bump := func(a *Alert) error { a.Priority, a.Summary = 0.9, "bumped"; return nil }

	one := open()
	for _, a := range []Alert{a1, a2} {
		if _, err := one.PutAlert(a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := one.UpdateAlert(a1.ID, bump); err != nil {
		t.Fatal(err)
	}

	batch := open()
	err := batch.WriteAlerts([]AlertWrite{{Put: &a1}, {Put: &a2}, {ID: "complaint|rss:gone", Update: bump}, {ID: a1.ID, Update: bump}})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing alert: %v, want ErrNotFound", err)
	}

	for _, id := range []string{a1.ID, a2.ID} {
		x, _, _ := one.Alert(id)
		y, ok, err := batch.Alert(id)
		if err != nil || !ok || x.Summary != y.Summary || x.Priority != y.Priority {
			t.Fatalf("alert %s: %+v, want %+v (%v %v)", id, y, x, ok, err)
		}
	}
	want, _ := one.EventsSince(0, 100)
	got, _ := batch.EventsSince(0, 100)
	if len(got) != len(want) || len(got) != 3 {
		t.Fatalf("%d events, want %d (3)", len(got), len(want))
	}
	for i := range got {
		if got[i].Seq != want[i].Seq || got[i].Type != want[i].Type || string(got[i].Data) != string(want[i].Data) {
			t.Fatalf("event %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
