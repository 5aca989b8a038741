package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

// fakeOps implements AlertOps over a real store, as the router does, with
// just enough rules to check that the API passes requests and errors on.
type fakeOps struct {
	st  *store.Store
	now time.Time
	by  []string // who did each action
}

func (f *fakeOps) Snooze(id string, d time.Duration, by string) (store.Alert, error) {
	f.by = append(f.by, by)
	until := f.now.Add(d)
	return f.st.UpdateAlert(id, func(a *store.Alert) error {
		if a.State == store.AlertResolved {
			return fmt.Errorf("resolved: %w", store.ErrConflict)
		}
		a.SnoozedUntil = &until
		return nil
	})
}

func (f *fakeOps) Escalate(id, by string) (store.Alert, error) {
	f.by = append(f.by, by)
	return f.st.UpdateAlert(id, func(a *store.Alert) error { a.Level++; return nil })
}

func (f *fakeOps) Silences() ([]store.Silence, error) { return f.st.Silences() }

func (f *fakeOps) AddSilence(s store.Silence) (store.Silence, error) {
	f.by = append(f.by, s.By)
	if len(s.Matchers) == 0 {
		return s, fmt.Errorf("matchers: at least one is needed: %w", ErrInvalid)
	}
	return f.st.PutSilence(s)
}

func (f *fakeOps) DeleteSilence(id, by string) error {
	f.by = append(f.by, by)
	_, err := f.st.DeleteSilence(id)
	return err
}

func (f *fakeOps) OnCall() (OnCall, error) {
	return OnCall{
		Now:  []OnDuty{{Level: 1, Name: "CS team", Receivers: []string{"cs-slack"}}},
		Next: []Handover{{Level: 2, Name: "Budi", From: f.now.Add(time.Hour)}},
	}, nil
}

func TestLeadsEndpoints(t *testing.T) {
	st := newTestStore(t)
	id := store.AlertID("complaint", "mastodon:https://m.example/1")
	putAlert(t, st, id, store.AlertOpen, 0.8, time.Now())
	ops := &fakeOps{st: st, now: time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)}
	h := New(Config{}, st, testLogger(t), WithAlertOps(ops)).Handler()
	path := "/api/alerts/" + url.PathEscape(id)
	seq := lastSeq(t, st)

	w := call(t, h, "POST", path+"/snooze", `{"minutes":30,"by":"Rina"}`, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("snooze: %d %s", w.Code, w.Body)
	}
	a := decode[struct {
		Alert store.Alert `json:"alert"`
	}](t, w).Alert
	if a.SnoozedUntil == nil || !a.SnoozedUntil.Equal(ops.now.Add(30*time.Minute)) {
		t.Errorf("snoozed until %v", a.SnoozedUntil)
	}
	if w := call(t, h, "POST", path+"/escalate", "", nil); w.Code != http.StatusOK {
		t.Fatalf("escalate: %d %s", w.Code, w.Body)
	}

	w = call(t, h, "POST", "/api/silences", `{"matchers":[{"field":"brand","value":"kilat"}],"until":"2026-11-23T05:00:00Z","comment":"courier outage, known","by":"Rina"}`, nil)
	if w.Code != http.StatusCreated {
		t.Fatalf("add silence: %d %s", w.Code, w.Body)
	}
	created := decode[map[string]any](t, w)
	sid, _ := created["id"].(string)
	if sid == "" || created["by"] != "Rina" || created["comment"] != "courier outage, known" {
		t.Fatalf("created = %v", created)
	}
	w = call(t, h, "GET", "/api/silences", "", nil)
	var list struct {
		Silences []map[string]json.RawMessage `json:"silences"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || w.Code != http.StatusOK || len(list.Silences) != 1 {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	for _, k := range []string{"id", "matchers", "until", "comment", "by"} {
		if _, ok := list.Silences[0][k]; !ok {
			t.Errorf("silence without %q: %s", k, w.Body)
		}
	}
	if w := call(t, h, "DELETE", "/api/silences/"+sid, "", nil); w.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	if w := call(t, h, "DELETE", "/api/silences/"+sid, "", nil); w.Code != http.StatusNotFound {
		t.Errorf("delete again: %d %s", w.Code, w.Body)
	}

	w = call(t, h, "GET", "/api/oncall", "", nil)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"now":[{"level":1,"name":"CS team","receivers":["cs-slack"]}]`) ||
		!strings.Contains(w.Body.String(), `"next":[{"level":2,"name":"Budi","from":"2026-11-23T04:00:00Z"}]`) {
		t.Errorf("oncall: %d %s", w.Code, w.Body)
	}

	// Every change is an event the dashboard follows: snooze, escalate
	// (alert), silence added and deleted, each followed by its audit entry.
	evs, err := st.EventsSince(seq, 100)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
	}
	if got := strings.Join(types, ","); got != "alert,audit,alert,audit,silence,audit,silence.deleted,audit" {
		t.Errorf("events = %s", got)
	}
	if got := strings.Join(ops.by, ","); got != "Rina,demo,Rina,demo,demo" {
		t.Errorf("acting users = %s", got)
	}
}

func TestLeadsEndpointErrors(t *testing.T) {
	st := newTestStore(t)
	putAlert(t, st, "a1", store.AlertResolved, 0.8, time.Now())
	ops := &fakeOps{st: st, now: time.Now()}
	h := New(Config{}, st, testLogger(t), WithAlertOps(ops)).Handler()
	for name, tc := range map[string]struct {
		method, path, body string
		status             int
		msg                string
	}{
		"snooze without minutes":  {"POST", "/api/alerts/a1/snooze", `{}`, 400, "minutes: want 1 to 10080"},
		"snooze zero":             {"POST", "/api/alerts/a1/snooze", `{"minutes":0}`, 400, "minutes"},
		"snooze a week and a day": {"POST", "/api/alerts/a1/snooze", `{"minutes":11600}`, 400, "minutes"},
		"snooze malformed":        {"POST", "/api/alerts/a1/snooze", `{"minutes":"ten"}`, 400, "want JSON"},
		"snooze unknown field":    {"POST", "/api/alerts/a1/snooze", `{"minutes":5,"hours":1}`, 400, "unknown field"},
		"snooze resolved":         {"POST", "/api/alerts/a1/snooze", `{"minutes":5}`, 409, "resolved"},
		"snooze unknown alert":    {"POST", "/api/alerts/nope/snooze", `{"minutes":5}`, 404, "not found"},
		"snooze control chars":    {"POST", "/api/alerts/a1/snooze", `{"minutes":5,"by":"a\u0007b"}`, 400, "control"},
		"escalate unknown":        {"POST", "/api/alerts/nope/escalate", ``, 404, "not found"},
		"silence invalid":         {"POST", "/api/silences", `{"matchers":[],"until":"2030-01-01T00:00:00Z","comment":"x"}`, 400, "matchers: at least one"},
		"silence bad time":        {"POST", "/api/silences", `{"matchers":[],"until":"tomorrow","comment":"x"}`, 400, "want JSON"},
		"silence too big":         {"POST", "/api/silences", `{"comment":"` + strings.Repeat("x", 9000) + `"}`, 413, "larger than"},
		"delete unknown":          {"DELETE", "/api/silences/s99", ``, 404, "not found"},
		"oncall with params":      {"GET", "/api/oncall?x=1", ``, 400, ""},
	} {
		t.Run(name, func(t *testing.T) {
			w := call(t, h, tc.method, tc.path, tc.body, nil)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.msg) {
				t.Errorf("%d %s, want %d containing %q", w.Code, w.Body, tc.status, tc.msg)
			}
		})
	}
	// Without a router the endpoints say so.
	bare := New(Config{}, st, testLogger(t)).Handler()
	if w := call(t, bare, "GET", "/api/oncall", "", nil); w.Code != http.StatusServiceUnavailable {
		t.Errorf("without ops: %d", w.Code)
	}
}
