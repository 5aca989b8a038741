package route_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/alerting"
	"github.com/pantau/pantau/alerting/audit"
	"github.com/pantau/pantau/alerting/notify"
	"github.com/pantau/pantau/alerting/route"
	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

type e2eClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *e2eClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *e2eClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeReceiver is a webhook endpoint that hands every message it gets to
// the test.
type fakeReceiver struct {
	*httptest.Server
	got chan notify.Message
}

func newFakeReceiver(t *testing.T) *fakeReceiver {
	f := &fakeReceiver{got: make(chan notify.Message, 100)}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m notify.Message
		if err := json.Unmarshal(body, &m); err != nil {
			t.Errorf("receiver: %v", err)
		}
		w.WriteHeader(http.StatusNoContent)
		f.got <- m
	}))
	t.Cleanup(f.Close)
	return f
}

// next waits for the receiver's next message; the guard only stops a hung
// test, the delivery itself takes milliseconds.
func (f *fakeReceiver) next(t *testing.T) notify.Message {
	t.Helper()
	select {
	case m := <-f.got:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("the receiver got nothing")
		return notify.Message{}
	}
}

// A mention ingested through the pipeline crosses an expression rule; the
// route holds it for the group wait, then the agents' receiver gets it;
// acknowledging stops the escalation to the lead, while an alert nobody
// acknowledges reaches the lead after the level's wait.
func TestEndToEndExpressionRouteGroupingAckEscalation(t *testing.T) {
	clock := &e2eClock{t: time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)}
	st, err := store.Open(filepath.Join(t.TempDir(), "e2e.db"), store.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	rule := alerting.RuleConfig{Name: "kecewa", Expr: `complaint >= 0.5 && any_keyword(text, ["kecewa", "refund"])`}
	if err := rule.Validate("rules[0]"); err != nil {
		t.Fatal(err)
	}
	pipe := alerting.NewPipeline(st, alerting.NewTextScorer(), []alerting.RuleConfig{rule}, nil, clock.Now)

	agents, lead := newFakeReceiver(t), newFakeReceiver(t)
	key := secret.New("0123456789abcdef")
	receivers, err := notify.Build([]notify.ReceiverConfig{
		{Name: "agents", Kind: notify.KindWebhook, Webhook: &notify.WebhookConfig{URL: secret.New(agents.URL + "/a"), Secret: key}},
		{Name: "lead", Kind: notify.KindWebhook, Webhook: &notify.WebhookConfig{URL: secret.New(lead.URL + "/l"), Secret: key}},
	}, notify.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	d := notify.NewDispatcher(st, notify.Notifiers(receivers), nil, clock.Now,
		notify.DispatcherOptions{Renderer: &notify.Renderer{Mask: audit.MaskAll}, Mention: st.Mention})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.Run(ctx)

	wait := 30 * time.Second
	cfg := route.Config{Routes: []route.RouteConfig{{
		Name: "cs", GroupBy: []string{"rule", "brand"}, GroupWait: &wait, CriticalGroupWait: &wait,
		Levels: []route.LevelConfig{{Receivers: []string{"agents"}}, {After: 10 * time.Minute, Receivers: []string{"lead"}}},
	}}}
	if err := cfg.Validate([]string{"agents", "lead"}, []string{"kecewa"}); err != nil {
		t.Fatal(err)
	}
	eng, err := route.New(cfg, route.Options{Store: st, Outbox: d, Filters: notify.Routes(receivers), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	tick := func() {
		t.Helper()
		if err := eng.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	tick() // the router starts before the mention comes in

	ingest := func(id, brand, text string) string {
		t.Helper()
		_, err := pipe.Ingest(ctx, store.Batch{Source: "masto", Kind: "mastodon", At: clock.Now(), Mentions: []store.Mention{{
			NativeID: id, Brand: brand, Author: store.Author{Handle: "budi" + id}, Text: text, CreatedAt: clock.Now(),
		}}})
		if err != nil {
			t.Fatal(err)
		}
		alertID := store.AlertID("kecewa", store.MentionKey("mastodon", id))
		if _, ok, _ := st.Alert(alertID); !ok {
			t.Fatalf("no alert for %q", text)
		}
		return alertID
	}
	first := ingest("1", "kilat", "paket 5 hari blm nyampe, kecewaaa bgt min, hubungi 081234567890")
	tick()
	if n, _ := st.OutboxDepth(); len(n) != 0 {
		t.Fatalf("sent within the group wait: %v", n)
	}
	clock.Advance(wait)
	tick()
	m := agents.next(t)
	// One group (rule and brand) under one id; the lone alert's own text,
	// with the phone number masked.
	group := m.AlertID
	if m.Action != notify.Trigger || !route.IsGroup(group) || !strings.Contains(m.Summary, "@budi1") || strings.Contains(m.Excerpt, "081234567890") {
		t.Fatalf("agents got %+v", m)
	}

	// Acknowledged: the receiver hears it, and the lead never does.
	if _, err := pipe.Acknowledge(first, "Rina"); err != nil {
		t.Fatal(err)
	}
	tick()
	if m := agents.next(t); m.Action != notify.Acknowledge || m.AlertID != group {
		t.Fatalf("agents got %+v, want the acknowledge", m)
	}
	clock.Advance(11 * time.Minute)
	tick()
	if a, _, _ := st.Alert(first); a.Level != 1 {
		t.Fatalf("the acknowledged alert escalated to level %d", a.Level)
	}
	// Nothing for the lead: not queued, and (checked after, so a
	// delivery in between is seen) not delivered.
	if pending, _ := st.PendingOutbox("lead", 10); len(pending) != 0 {
		t.Fatalf("the lead has %d notifications queued", len(pending))
	}
	select {
	case m := <-lead.got:
		t.Fatalf("the lead got %+v", m)
	default:
	}

	// Another brand's alert that nobody acknowledges goes to the lead.
	second := ingest("2", "acme", "minta refund, kecewa bgt sama layanannya")
	clock.Advance(wait)
	tick()
	if m := agents.next(t); !route.IsGroup(m.AlertID) || m.Brand != "acme" {
		t.Fatalf("agents got %+v", m)
	}
	clock.Advance(10 * time.Minute)
	tick()
	if m := lead.next(t); m.Action != notify.Trigger || m.Brand != "acme" || !strings.Contains(m.Summary, "refund") {
		t.Fatalf("lead got %+v", m)
	}
	// Resolving it tells both levels (PagerDuty would close the incident).
	if _, err := pipe.Resolve(second, "Budi"); err != nil {
		t.Fatal(err)
	}
	tick()
	if m := agents.next(t); m.Action != notify.Resolve {
		t.Fatalf("agents got %+v, want the resolve", m)
	}
	if m := lead.next(t); m.Action != notify.Resolve {
		t.Fatalf("lead got %+v, want the resolve", m)
	}
	select {
	case m := <-lead.got:
		t.Fatalf("the lead got more: %+v", m)
	default:
	}
}
