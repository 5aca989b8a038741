package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// pantau is one run of "Pantau": a store opened on the file and a
// dispatcher running over it, as the daemon wires them.
type pantau struct {
	st     *store.Store
	d      *Dispatcher
	cancel context.CancelFunc
	done   chan struct{}
}

func startPantau(t *testing.T, path string, c *fakeClock, notifiers map[string]Notifier, routes map[string]Route) *pantau {
	t.Helper()
	st, err := store.Open(path, store.Options{Now: c.Now, LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	d := NewDispatcher(st, notifiers, nil, c.Now, DispatcherOptions{
		Renderer: testRenderer(c), Mention: st.Mention, Routes: routes,
		NewTimer: c.NewTimer, Rand: func() float64 { return 0.5 },
	})
	ctx, cancel := context.WithCancel(context.Background())
	p := &pantau{st: st, d: d, cancel: cancel, done: make(chan struct{})}
	go func() { d.Run(ctx); close(p.done) }()
	return p
}

// stop stops the dispatcher (abandoning a delivery in flight) and closes
// the store, as a shutdown or a crash after the last commit would.
func (p *pantau) stop(t *testing.T) {
	t.Helper()
	p.cancel()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("dispatcher did not stop")
	}
	if err := p.st.Close(); err != nil {
		t.Fatal(err)
	}
}

func alertN(i int) store.Alert {
	a := testAlert()
	a.MentionKey = "mastodon:" + strconv.Itoa(i)
	a.ID = store.AlertID("viral", a.MentionKey)
	a.OpenedAt = a.OpenedAt.Add(time.Duration(i) * time.Minute)
	return a
}

func resolved(a store.Alert) store.Alert {
	a.State = store.AlertResolved
	return a
}

// outageReceiver is a fake receiver whose behaviour the test switches:
// down (503), throttling (429 with Retry-After), accepting but never
// answering (the response is lost when Pantau dies), or up. It records
// every request it accepted, with the (fake) time it accepted it.
type outageReceiver struct {
	*fakeReceiver
	mu       sync.Mutex
	mode     string
	accepted []acceptance
	release  chan struct{}
	clock    *fakeClock
	dedupe   bool // PagerDuty-like: a repeated (dedup key, action) is absorbed
}

type acceptance struct {
	key string // what identifies the notification at this receiver
	at  time.Time
}

func newOutageReceiver(t *testing.T, c *fakeClock, key func(recorded) string, dedupe bool) *outageReceiver {
	o := &outageReceiver{mode: "503", clock: c, release: make(chan struct{}), dedupe: dedupe}
	o.fakeReceiver = newFakeReceiver(t, func(r recorded) (int, http.Header, string) {
		o.mu.Lock()
		mode := o.mode
		o.mu.Unlock()
		switch mode {
		case "503":
			return 503, nil, "maintenance"
		case "429":
			return 429, http.Header{"Retry-After": {"120"}}, "slow down"
		case "hang":
			// The receiver processes the notification, then the answer
			// never reaches Pantau.
			o.accept(key(r))
			<-o.release
			return 200, nil, ""
		}
		o.accept(key(r))
		return 202, nil, `{"status":"success"}`
	})
	t.Cleanup(func() { o.setMode("up"); close(o.release) })
	return o
}

func (o *outageReceiver) accept(k string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.accepted = append(o.accepted, acceptance{k, o.clock.Now()})
}

func (o *outageReceiver) setMode(m string) { o.mu.Lock(); o.mode = m; o.mu.Unlock() }

func (o *outageReceiver) acceptedKeys() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var ks []string
	for _, a := range o.accepted {
		ks = append(ks, a.key)
	}
	return ks
}

// effective is what the receiver keeps: everything for a plain webhook,
// the first of each key for a deduplicating receiver.
func (o *outageReceiver) effective() (keys []string, duplicates int) {
	seen := map[string]bool{}
	for _, k := range o.acceptedKeys() {
		if seen[k] {
			duplicates++
			if o.dedupe {
				continue
			}
		}
		seen[k] = true
		keys = append(keys, k)
	}
	return keys, duplicates
}

func webhookKey(r recorded) string {
	var m Message
	json.Unmarshal(r.Body, &m)
	return m.AlertID + "/" + string(m.Action)
}

func pagerDutyKey(r recorded) string {
	var ev struct {
		Action string `json:"event_action"`
		Key    string `json:"dedup_key"`
	}
	json.Unmarshal(r.Body, &ev)
	return ev.Key + "/" + ev.Action
}

func item(t *testing.T, st *store.Store, a store.Alert, receiver string, action Action) store.OutboxItem {
	t.Helper()
	it, found, err := st.OutboxItemByID(store.OutboxID(a.ID, receiver, string(action)))
	if err != nil || !found {
		t.Fatalf("outbox item %s/%s/%s: found=%v err=%v", a.ID, receiver, action, found, err)
	}
	return it
}

// noneDelivered checks that nothing is recorded as delivered while the
// receivers have accepted nothing.
func noneDelivered(t *testing.T, st *store.Store, want []string, receivers ...string) {
	t.Helper()
	for _, r := range receivers {
		items, err := st.PendingOutbox(r, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range items {
			if it.DeliveredAt != nil {
				t.Fatalf("%s recorded delivered during the outage", it.ID)
			}
			got = append(got, it.AlertID+"/"+it.Action)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s queue = %v, want %v", r, got, want)
		}
	}
}

func TestOutageAndRestartsLoseNothing(t *testing.T) {
	c := newFakeClock()
	path := filepath.Join(t.TempDir(), "pantau.db")
	hookRecv := newOutageReceiver(t, c, webhookKey, false)
	pdRecv := newOutageReceiver(t, c, pagerDutyKey, true)
	notifiers := func() map[string]Notifier {
		return map[string]Notifier{
			"hook": build(t, ReceiverConfig{Name: "hook", Kind: KindWebhook, Webhook: &WebhookConfig{URL: secret.New(hookRecv.URL + "/h"), Secret: secret.New("0123456789abcdef")}}, Deps{Now: c.Now}),
			"pd":   build(t, ReceiverConfig{Name: "pd", Kind: KindPagerDuty, PagerDuty: &PagerDutyConfig{RoutingKey: secret.New("rk"), URL: pdRecv.URL + "/v2/enqueue"}}, Deps{Now: c.Now}),
		}
	}
	a1, a2, a3, a4, a5 := alertN(1), alertN(2), alertN(3), alertN(4), alertN(5)
	k := func(a store.Alert, act Action) string { return a.ID + "/" + string(act) }
	waitAttempts := func(st *store.Store, a store.Alert, n int) {
		t.Helper()
		for _, r := range []string{"hook", "pd"} {
			waitFor(t, fmt.Sprintf("%s attempt %d at %s", a.ID, n, r), func() bool { return item(t, st, a, r, Trigger).Attempts >= n })
		}
	}

	// 1. Pantau runs; both receivers are down (503). Three alerts are
	// raised.
	p := startPantau(t, path, c, notifiers(), nil)
	for _, a := range []store.Alert{a1, a2, a3} {
		if err := p.d.Notify(a, Trigger); err != nil {
			t.Fatal(err)
		}
	}
	waitAttempts(p.st, a1, 1)
	for i := 2; i <= 4; i++ { // retries back off; the clock moves them on
		c.settle(t, 2)
		c.Advance(10 * time.Minute)
		waitAttempts(p.st, a1, i)
	}
	// Head of line: only the first alert was tried.
	for _, r := range []*outageReceiver{hookRecv, pdRecv} {
		for _, req := range r.requests() {
			if key := map[*outageReceiver]func(recorded) string{hookRecv: webhookKey, pdRecv: pagerDutyKey}[r](req); key != k(a1, Trigger) && key != DedupKey(a1.ID)+"/trigger" {
				t.Fatalf("sent %s before the head was delivered", key)
			}
		}
	}
	// 2. They throttle: 429 with Retry-After: 120, which the next
	// attempt honours even though the backoff would be shorter.
	hookRecv.setMode("429")
	pdRecv.setMode("429")
	c.settle(t, 2)
	c.Advance(10 * time.Minute)
	waitAttempts(p.st, a1, 5)
	for _, r := range []string{"hook", "pd"} {
		it := item(t, p.st, a1, r, Trigger)
		if wait := it.NextAttempt.Sub(it.LastAttempt); wait < 120*time.Second {
			t.Fatalf("%s: next attempt in %v, before the receiver's Retry-After", r, wait)
		}
	}
	// The first alert is resolved meanwhile: the resolve queues behind.
	if err := p.d.Notify(resolved(a1), Resolve); err != nil {
		t.Fatal(err)
	}
	noneDelivered(t, p.st, []string{k(a1, Trigger), k(a2, Trigger), k(a3, Trigger), k(a1, Resolve)}, "hook", "pd")

	// 3. Pantau stops (shutdown or crash); time passes.
	p.stop(t)
	c.Advance(time.Hour)
	hookRecv.setMode("503")
	pdRecv.setMode("503")

	// 4. Pantau starts again from the same file; two more alerts come.
	p = startPantau(t, path, c, notifiers(), nil)
	for _, a := range []store.Alert{a4, a5} {
		if err := p.d.Notify(a, Trigger); err != nil {
			t.Fatal(err)
		}
	}
	waitAttempts(p.st, a1, 6) // the overdue head is tried at once on start
	noneDelivered(t, p.st, []string{k(a1, Trigger), k(a2, Trigger), k(a3, Trigger), k(a1, Resolve), k(a4, Trigger), k(a5, Trigger)}, "hook", "pd")

	// 5. The webhook receiver processes the next attempt, but Pantau dies
	// before the answer arrives: the item must not count as delivered.
	hookRecv.setMode("hang")
	c.settle(t, 2)
	c.Advance(10 * time.Minute)
	waitFor(t, "the webhook to accept the head", func() bool { return len(hookRecv.acceptedKeys()) == 1 })
	p.stop(t)
	st, err := store.Open(path, store.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	if it := item(t, st, a1, "hook", Trigger); it.DeliveredAt != nil {
		t.Fatal("recorded delivered although Pantau never saw the receiver's answer")
	}
	st.Close()

	// 6. Everything recovers; Pantau starts a third time.
	hookRecv.setMode("up")
	pdRecv.setMode("up")
	p = startPantau(t, path, c, notifiers(), nil)
	defer p.stop(t)
	for i := 0; ; i++ {
		c.settle(t, 2)
		depth, err := p.st.OutboxDepth()
		if err != nil {
			t.Fatal(err)
		}
		if len(depth) == 0 {
			break
		}
		if i > 20 {
			t.Fatalf("still pending: %v", depth)
		}
		c.Advance(10 * time.Minute)
	}

	// Every alert raised meanwhile arrived, in order.
	wantHook := []string{k(a1, Trigger), k(a2, Trigger), k(a3, Trigger), k(a1, Resolve), k(a4, Trigger), k(a5, Trigger)}
	gotHook, hookDup := hookRecv.effective()
	if !slices.Equal(dedupeInOrder(gotHook), wantHook) {
		t.Fatalf("webhook got %v, want %v", gotHook, wantHook)
	}
	var wantPD []string
	for _, w := range wantHook {
		id, act, _ := cutLast(w, "/")
		wantPD = append(wantPD, DedupKey(id)+"/"+act)
	}
	gotPD, pdDup := pdRecv.effective()
	if !slices.Equal(gotPD, wantPD) {
		t.Fatalf("pagerduty kept %v, want %v", gotPD, wantPD)
	}
	// Duplicates only where at-least-once had to resend: the one the
	// webhook accepted while Pantau died, which a webhook does not
	// dedupe (its Idempotency-Key lets it); PagerDuty saw none.
	if hookDup != 1 || pdDup != 0 || len(gotHook) != 7 {
		t.Fatalf("duplicates: webhook %d (requests kept %d), pagerduty %d", hookDup, len(gotHook), pdDup)
	}
	t.Logf("webhook: %d deliveries for 6 notifications (%d duplicate, from the crash in flight); pagerduty: %d kept, %d duplicates",
		len(gotHook), hookDup, len(gotPD), pdDup)

	// Nothing was recorded delivered before the receiver accepted it.
	lastAccept := func(o *outageReceiver, key string) time.Time {
		o.mu.Lock()
		defer o.mu.Unlock()
		var at time.Time
		for _, a := range o.accepted {
			if a.key == key {
				at = a.at
			}
		}
		return at
	}
	for _, w := range wantHook {
		id, act, _ := cutLast(w, "/")
		a := store.Alert{ID: id}
		for r, o := range map[string]*outageReceiver{"hook": hookRecv, "pd": pdRecv} {
			it := item(t, p.st, a, r, Action(act))
			key := w
			if r == "pd" {
				key = DedupKey(id) + "/" + act
			}
			acc := lastAccept(o, key)
			if it.DeliveredAt == nil || acc.IsZero() || it.DeliveredAt.Before(acc) {
				t.Errorf("%s at %s: delivered %v, accepted %v", w, r, it.DeliveredAt, acc)
			}
		}
	}
}

func dedupeInOrder(ks []string) []string {
	var out []string
	for _, k := range ks {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

func cutLast(s, sep string) (string, string, bool) {
	for i := len(s) - len(sep); i >= 0; i-- {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}
