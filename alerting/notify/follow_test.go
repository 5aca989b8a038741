package notify

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

func openStore(t *testing.T, c *fakeClock) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pantau.db")
	st, err := store.Open(path, store.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

func hookNotifier(t *testing.T, c *fakeClock, url string) Notifier {
	return build(t, ReceiverConfig{Name: "hook", Kind: KindWebhook, Webhook: &WebhookConfig{URL: secret.New(url + "/h"), Secret: secret.New("0123456789abcdef")}}, Deps{Now: c.Now})
}

func run(t *testing.T, f func(ctx context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f(ctx); close(done) }()
	return func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("did not stop")
		}
	}
}

func TestPermanentRefusalDoesNotBlockTheQueue(t *testing.T) {
	c := newFakeClock()
	st, _ := openStore(t, c)
	f := newFakeReceiver(t, func(r recorded) (int, http.Header, string) {
		if webhookKey(r) == alertN(1).ID+"/trigger" {
			return 400, nil, `{"error":"payload rejected"}`
		}
		return 200, nil, ""
	})
	d := NewDispatcher(st, map[string]Notifier{"hook": hookNotifier(t, c, f.URL)}, nil, c.Now, DispatcherOptions{NewTimer: c.NewTimer})
	for i := 1; i <= 3; i++ {
		if err := d.Enqueue(alertN(i), []string{"hook"}, Trigger); err != nil {
			t.Fatal(err)
		}
	}
	defer run(t, func(ctx context.Context) { d.Run(ctx) })()
	waitFor(t, "the queue to drain", func() bool { d, _ := st.OutboxDepth(); return len(d) == 0 })
	var got []string
	for _, r := range f.requests() {
		got = append(got, webhookKey(r))
	}
	want := []string{alertN(1).ID + "/trigger", alertN(2).ID + "/trigger", alertN(3).ID + "/trigger"}
	if !slices.Equal(got, want) {
		t.Fatalf("requests %v", got)
	}
	it := item(t, st, alertN(1), "hook", Trigger)
	if !it.Permanent || it.DeliveredAt != nil || !strings.Contains(it.LastError, "payload rejected") || it.Attempts != 1 {
		t.Fatalf("refused item %+v", it)
	}
	if it := item(t, st, alertN(3), "hook", Trigger); it.DeliveredAt == nil {
		t.Fatalf("third item %+v", it)
	}
}

func TestEnqueueAndNotifyRouting(t *testing.T) {
	c := newFakeClock()
	st, _ := openStore(t, c)
	f := newFakeReceiver(t, nil)
	ns := map[string]Notifier{"all": hookNotifier(t, c, f.URL), "crit": hookNotifier(t, c, f.URL), "other": hookNotifier(t, c, f.URL)}
	d := NewDispatcher(st, ns, nil, c.Now, DispatcherOptions{Routes: map[string]Route{
		"crit":  {MinPriority: 0.9},
		"other": {Rules: []string{"ghosted"}, Actions: []Action{Trigger}},
	}})
	if err := d.Enqueue(alertN(1), []string{"all", "nope"}, Trigger); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("unknown receiver: %v", err)
	}
	if depth, _ := st.OutboxDepth(); depth["all"] != 1 {
		t.Fatalf("known receiver not enqueued: %v", depth)
	}
	if err := d.Enqueue(alertN(1), []string{"all"}, "page"); err == nil {
		t.Fatal("unknown action accepted")
	}
	a := alertN(2) // priority 0.87, rule viral
	if err := d.Notify(resolved(a), Resolve); err != nil {
		t.Fatal(err)
	}
	if depth, _ := st.OutboxDepth(); depth["all"] != 1 {
		t.Fatalf("a resolve without a trigger was enqueued: %v", depth)
	}
	for _, act := range []Action{Trigger, Trigger, Resolve} {
		if err := d.Notify(a, act); err != nil {
			t.Fatal(err)
		}
	}
	depth, _ := st.OutboxDepth()
	if depth["all"] != 3 || depth["crit"] != 0 || depth["other"] != 0 {
		t.Fatalf("routing: %v", depth)
	}
	// Mention details come through the lookup.
	it := item(t, st, a, "all", Trigger)
	var m Message
	if err := jsonUnmarshal(it.Payload, &m); err != nil || m.Author != "" {
		t.Fatalf("without a mention lookup: %+v %v", m, err)
	}
}

func TestAckLinkIsFreshWhenSent(t *testing.T) {
	c := newFakeClock()
	st, _ := openStore(t, c)
	f := newFakeReceiver(t, nil)
	d := NewDispatcher(st, map[string]Notifier{"hook": hookNotifier(t, c, f.URL)}, nil, c.Now, DispatcherOptions{Renderer: testRenderer(c), NewTimer: c.NewTimer})
	if err := d.Enqueue(testAlert(), []string{"hook"}, Trigger); err != nil {
		t.Fatal(err)
	}
	c.Advance(30 * time.Hour) // a long outage: the stored link has expired
	defer run(t, func(ctx context.Context) { d.Run(ctx) })()
	waitFor(t, "delivery", func() bool { return len(f.requests()) == 1 })
	var m Message
	jsonUnmarshal(f.requests()[0].Body, &m)
	exp, sig := ackParams(t, m.AckURL)
	if err := testSigner(c).Verify(m.AlertID, exp, sig); err != nil {
		t.Fatalf("link sent after the outage: %v", err)
	}
}

func TestUnreadablePayloadIsGivenUp(t *testing.T) {
	c := newFakeClock()
	st, _ := openStore(t, c)
	f := newFakeReceiver(t, nil)
	if err := st.Enqueue(store.OutboxItem{Receiver: "hook", AlertID: "x", Action: "trigger", Payload: []byte(`{"nonsense":1}`)}); err != nil {
		t.Fatal(err)
	}
	d := NewDispatcher(st, map[string]Notifier{"hook": hookNotifier(t, c, f.URL)}, nil, c.Now, DispatcherOptions{NewTimer: c.NewTimer})
	if err := d.Enqueue(alertN(1), []string{"hook"}, Trigger); err != nil {
		t.Fatal(err)
	}
	defer run(t, func(ctx context.Context) { d.Run(ctx) })()
	waitFor(t, "the good item", func() bool { return len(f.requests()) == 1 })
	it, _, _ := st.OutboxItemByID(store.OutboxID("x", "hook", "trigger"))
	if !it.Permanent {
		t.Fatalf("bad item %+v", it)
	}
}

// TestFollowAlerts drives notifications from the store's alert events, the
// way the pipeline's changes reach them, across a crash of the follower.
func TestFollowAlerts(t *testing.T) {
	c := newFakeClock()
	st, _ := openStore(t, c)
	f := newFakeReceiver(t, nil)
	// An alert that existed before notifications were configured.
	old := alertN(9)
	if _, err := st.PutAlert(old); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Ingest(store.Batch{Source: "mastodon", Kind: "mastodon", Mentions: []store.Mention{{NativeID: "1", Text: "call " + phone, Author: store.Author{Handle: "@budi"}, URL: "https://social.example/1"}}}); err != nil {
		t.Fatal(err)
	}
	d := NewDispatcher(st, map[string]Notifier{"hook": hookNotifier(t, c, f.URL)}, nil, c.Now,
		DispatcherOptions{Renderer: testRenderer(c), Mention: st.Mention, NewTimer: c.NewTimer})
	stopRun := run(t, func(ctx context.Context) { d.Run(ctx) })
	defer stopRun()
	stopFollow := run(t, func(ctx context.Context) {
		if err := d.FollowAlerts(ctx, st); err != nil {
			t.Error(err)
		}
	})
	waitFor(t, "the follower to start", func() bool { _, ok, _ := st.OutboxCursor(followCursor); return ok })

	a := alertN(1)
	if _, err := st.PutAlert(a); err != nil {
		t.Fatal(err)
	}
	a.Priority, a.UpdatedAt = 0.95, a.UpdatedAt.Add(time.Minute) // a refresh: no new notification
	if _, err := st.PutAlert(a); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetAlertState(a.ID, store.AlertAcknowledged, "rina"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "trigger and acknowledge", func() bool { return len(f.requests()) == 2 })

	// The follower dies; the pipeline resolves the alert and opens another
	// meanwhile. Nothing is lost: the follower resumes from its cursor.
	stopFollow()
	if _, err := st.SetAlertState(a.ID, store.AlertResolved, ""); err != nil {
		t.Fatal(err)
	}
	b := alertN(2)
	if _, err := st.PutAlert(b); err != nil {
		t.Fatal(err)
	}
	stopFollow = run(t, func(ctx context.Context) { d.FollowAlerts(ctx, st) })
	defer stopFollow()
	waitFor(t, "resolve and the second trigger", func() bool { return len(f.requests()) == 4 })

	var got []string
	for _, r := range f.requests() {
		got = append(got, webhookKey(r))
	}
	want := []string{a.ID + "/trigger", a.ID + "/acknowledge", a.ID + "/resolve", b.ID + "/trigger"}
	if !slices.Equal(got, want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	var m Message
	jsonUnmarshal(f.requests()[0].Body, &m)
	if m.Author != "@budi" || !strings.Contains(m.Excerpt, maskedPh) || m.MentionURL != "https://social.example/1" {
		t.Fatalf("mention details: %+v", m)
	}
	jsonUnmarshal(f.requests()[1].Body, &m)
	if m.By != "rina" || m.Action != Acknowledge {
		t.Fatalf("acknowledge: %+v", m)
	}
	if _, found, _ := st.OutboxItemByID(store.OutboxID(old.ID, "hook", "trigger")); found {
		t.Fatal("an alert from before notifications were configured was announced")
	}
}

func TestFollowAlertsStopsOnContext(t *testing.T) {
	c := newFakeClock()
	st, _ := openStore(t, c)
	d := NewDispatcher(st, nil, nil, c.Now, DispatcherOptions{NewTimer: c.NewTimer})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- d.FollowAlerts(ctx, st) }()
	c.settle(t, 1)
	cancel()
	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("follower did not stop")
	}
}
