package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

// timelineAnswer is the body of GET /api/alerts/{id}.
type timelineAnswer struct {
	Alert    store.Alert     `json:"alert"`
	Timeline []timelineEntry `json:"timeline"`
}

// A lead acknowledges and snoozes an alert through the API, the outbox
// records a delivery after a retry and a refusal: the timeline has each of
// them, by whom, oldest first, with the customer's phone number masked.
func TestAlertTimeline(t *testing.T) {
	ops := &fakeOps{now: time.Date(2025, 3, 14, 15, 0, 0, 0, time.UTC)}
	f := newAuthFixture(t, Config{}, WithAlertOps(ops))
	ops.st = f.st
	const phone = "0812-3456-7890"
	id := store.AlertID("unanswered", "mastodon:https://m.example/@rina/1")
	opened := time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC)
	level := opened.Add(10 * time.Minute)
	if _, err := f.st.PutAlert(store.Alert{ID: id, Rule: "unanswered", MentionKey: "mastodon:https://m.example/@rina/1",
		State: store.AlertOpen, Summary: "Paket hilang, hubungi " + phone, Reasons: []string{"unanswered 1h12m, SLA 1h"},
		OpenedAt: opened, UpdatedAt: opened, Level: 2, EscalatedAt: &level}); err != nil {
		t.Fatal(err)
	}
	path := "/api/alerts/" + url.PathEscape(id)
	lead := f.login("lead")
	if w := f.request("POST", path+"/ack", "", lead); w.Code != http.StatusOK {
		t.Fatalf("ack: %d %s", w.Code, w.Body)
	}
	if w := f.request("POST", path+"/snooze", `{"minutes":30}`, lead); w.Code != http.StatusOK {
		t.Fatalf("snooze: %d %s", w.Code, w.Body)
	}

	// The router's keyed send to Slack fails once, then goes through;
	// PagerDuty refuses it. Another alert whose id extends this one's
	// has its own notification, which must not show.
	slack := store.OutboxItem{ID: store.OutboxID(id+"#1.1", "cs-slack", store.OutboxTrigger), AlertID: id, Receiver: "cs-slack", Action: store.OutboxTrigger}
	pd := store.OutboxItem{AlertID: id, Receiver: "pagerduty", Action: store.OutboxTrigger}
	other := store.OutboxItem{AlertID: id + "2", Receiver: "cs-slack", Action: store.OutboxTrigger}
	if err := f.st.Enqueue(slack, pd, other); err != nil {
		t.Fatal(err)
	}
	retryAt, deliveredAt, refusedAt := opened.Add(5*time.Hour), opened.Add(5*time.Hour+time.Minute), opened.Add(5*time.Hour+2*time.Minute)
	mustDo(t, f.st.MarkRetry(slack.ID, retryAt, "slack: 503 Service Unavailable", deliveredAt))
	mustDo(t, f.st.MarkDelivered(slack.ID, deliveredAt))
	mustDo(t, f.st.MarkPermanentFailure(store.OutboxID(id, "pagerduty", store.OutboxTrigger), refusedAt, "pagerduty: 400 invalid routing key"))

	w := f.request("GET", path, "", lead)
	if w.Code != http.StatusOK {
		t.Fatalf("timeline: %d %s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), phone) {
		t.Errorf("the answer shows the phone number: %s", w.Body)
	}
	got := decode[timelineAnswer](t, w)
	if got.Alert.ID != id || got.Alert.State != store.AlertAcknowledged {
		t.Errorf("alert %q in state %q", got.Alert.ID, got.Alert.State)
	}
	want := []struct{ kind, by, detail string }{
		{"opened", "", "unanswered 1h12m, SLA 1h"},
		{"level", "", "escalated to level 2"},
		{"acknowledged", "lead", ""},
		{"snoozed", "lead", "for 30m0s"},
		{"notified", "", "cs-slack: trigger delivered on attempt 2 (earlier: slack: 503 Service Unavailable)"},
		{"notify_failed", "", "pagerduty: trigger refused on attempt 1, given up: pagerduty: 400 invalid routing key"},
		{"snooze_ends", "", "notifications held"},
	}
	if len(got.Timeline) != len(want) {
		t.Fatalf("timeline has %d entries, want %d: %+v", len(got.Timeline), len(want), got.Timeline)
	}
	for i, e := range got.Timeline {
		if e.Kind != want[i].kind || e.By != want[i].by || !strings.Contains(e.Detail, want[i].detail) {
			t.Errorf("entry %d: %s by %q %q, want %s by %q containing %q", i, e.Kind, e.By, e.Detail, want[i].kind, want[i].by, want[i].detail)
		}
		if i > 0 && e.At.Before(got.Timeline[i-1].At) {
			t.Errorf("entry %d (%s at %v) is before the one above it", i, e.Kind, e.At)
		}
	}
	if at := got.Timeline[0].At; !at.Equal(opened) {
		t.Errorf("opened at %v, want %v", at, opened)
	}
	if at := got.Timeline[4].At; !at.Equal(deliveredAt) {
		t.Errorf("delivered at %v, want %v", at, deliveredAt)
	}
	if at := got.Timeline[6].At; !at.Equal(ops.now.Add(30 * time.Minute)) {
		t.Errorf("snooze ends at %v, want %v", at, ops.now.Add(30*time.Minute))
	}
}

// Agents read the timeline too; marketing may not; a bad id is 400 and
// an unknown one 404.
func TestAlertTimelineStatuses(t *testing.T) {
	f := newAuthFixture(t, Config{})
	now := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	if _, err := f.st.PutAlert(store.Alert{ID: "a1", Rule: "r", State: store.AlertOpen, OpenedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	agent, mkt := f.login("agen"), f.login("mkt")
	for name, tc := range map[string]struct {
		path   string
		sess   *session
		status int
		msg    string
	}{
		"agent reads":      {"/api/alerts/a1", agent, 200, `"kind":"opened"`},
		"marketing":        {"/api/alerts/a1", mkt, 403, ""},
		"not logged in":    {"/api/alerts/a1", nil, 401, ""},
		"unknown":          {"/api/alerts/nope", agent, 404, `no alert with id \"nope\"`},
		"id too long":      {"/api/alerts/" + strings.Repeat("x", maxKeyLen+1), agent, 400, "alert id: must be 1 to"},
		"query parameters": {"/api/alerts/a1?limit=5", agent, 400, "takes none"},
	} {
		t.Run(name, func(t *testing.T) {
			w := f.request("GET", tc.path, "", tc.sess)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.msg) {
				t.Errorf("%d %s, want %d containing %q", w.Code, w.Body, tc.status, tc.msg)
			}
		})
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
