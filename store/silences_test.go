package store

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestSilencesAndUpdateAlert(t *testing.T) {
	now := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := Open(path, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutSilence(Silence{}); err == nil {
		t.Fatal("a silence without matchers was stored")
	}
	si, err := st.PutSilence(Silence{Matchers: []Matcher{{"brand", "kilat"}}, Until: now.Add(time.Hour), Comment: "outage", By: "rina"})
	if err != nil || si.ID == "" || !si.CreatedAt.Equal(now) {
		t.Fatalf("put: %+v %v", si, err)
	}
	// Silences, notification state and alerts survive a restart.
	if err := st.SetNotifyStates(map[string][]byte{"g/x": []byte(`{"n":1}`), "a/y": []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutAlert(Alert{ID: "r|m:1", Rule: "r", State: AlertOpen}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if st, err = Open(path, Options{Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	list, err := st.Silences()
	if err != nil || len(list) != 1 || list[0].ID != si.ID || list[0].Matchers[0].Value != "kilat" {
		t.Fatalf("after restart: %+v %v", list, err)
	}
	states, err := st.NotifyStates("g/")
	if err != nil || len(states) != 1 || string(states["g/x"]) != `{"n":1}` {
		t.Fatalf("notify states: %v %v", states, err)
	}
	if err := st.SetNotifyStates(map[string][]byte{"g/x": nil}); err != nil {
		t.Fatal(err)
	}
	if states, _ := st.NotifyStates(""); len(states) != 1 {
		t.Fatalf("after delete: %v", states)
	}

	seq, _ := st.LastSeq()
	a, err := st.UpdateAlert("r|m:1", func(a *Alert) error { a.Level = 2; return nil })
	if err != nil || a.Level != 2 {
		t.Fatalf("update: %+v %v", a, err)
	}
	// No change, no event; an error writes nothing.
	st.UpdateAlert("r|m:1", func(a *Alert) error { return nil })
	boom := errors.New("boom")
	if _, err := st.UpdateAlert("r|m:1", func(a *Alert) error { a.Level = 9; return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if _, err := st.UpdateAlert("nope", func(a *Alert) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown alert: %v", err)
	}
	if _, err := st.DeleteSilence("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown silence: %v", err)
	}
	if _, err := st.DeleteSilence(si.ID); err != nil {
		t.Fatal(err)
	}
	evs, _ := st.EventsSince(seq, 10)
	if len(evs) != 2 || evs[0].Type != EventAlert || evs[1].Type != EventSilenceDeleted {
		t.Fatalf("events: %+v", evs)
	}
	if got, _, _ := st.Alert("r|m:1"); got.Level != 2 {
		t.Fatalf("stored level %d", got.Level)
	}
}

func TestUnresolvedAlerts(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "u.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for id, state := range map[string]AlertState{"a": AlertOpen, "b": AlertAcknowledged, "c": AlertResolved} {
		// A summary quoting the resolved marker must not hide an open alert.
		if _, err := st.PutAlert(Alert{ID: id, State: state, Summary: `"state":"resolved"`}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := st.UnresolvedAlerts()
	if err != nil || len(list) != 2 || list[0].ID != "a" || list[1].ID != "b" {
		t.Fatalf("unresolved = %+v, %v", list, err)
	}
}
