package route

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/alerting/notify"
	"github.com/pantau/pantau/store"
)

// t0 is a Monday, 10:00 in Jakarta.
var t0 = time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sent is one notification the engine enqueued.
type sent struct {
	key       string
	alert     store.Alert
	receivers []string
	action    notify.Action
}

// fakeOutbox records what the engine enqueues, deduplicating by key as
// the real outbox does.
type fakeOutbox struct {
	mu   sync.Mutex
	all  []sent
	keys map[string]bool
}

func (f *fakeOutbox) EnqueueKeyed(key string, a store.Alert, receivers []string, action notify.Action) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := key + "|" + string(action) + "|" + strings.Join(receivers, ",")
	if f.keys[k] {
		return nil
	}
	f.keys[k] = true
	f.all = append(f.all, sent{key, a, slices.Clone(receivers), action})
	return nil
}

// take returns and forgets what was sent since the last call.
func (f *fakeOutbox) take() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.all
	f.all = nil
	return out
}

type fixture struct {
	t     *testing.T
	clock *clock
	st    *store.Store
	out   *fakeOutbox
	e     *Engine
}

func newFixture(t *testing.T, c Config) *fixture {
	t.Helper()
	if err := c.Validate([]string{"agents", "lead-pd", "rina", "budi", "sari"}, []string{"complaint", "urgent", "spike"}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, clock: &clock{t: t0}, out: &fakeOutbox{keys: map[string]bool{}}}
	st, err := store.Open(filepath.Join(t.TempDir(), "r.db"), store.Options{Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
	f.e, err = New(c, Options{Store: st, Outbox: f.out, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) raise(id, rule string, priority float64) store.Alert {
	f.t.Helper()
	a := store.Alert{ID: rule + "|m:" + id, Rule: rule, MentionKey: "m:" + id, Source: "masto", Brand: "kilat",
		State: store.AlertOpen, Summary: "summary of " + id, Priority: priority, OpenedAt: f.clock.Now(), UpdatedAt: f.clock.Now()}
	if _, err := f.st.PutAlert(a); err != nil {
		f.t.Fatal(err)
	}
	return a
}

func (f *fixture) tick() []sent {
	f.t.Helper()
	if err := f.e.Tick(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	return f.out.take()
}

func (f *fixture) alert(id string) store.Alert {
	f.t.Helper()
	a, ok, err := f.st.Alert(id)
	if err != nil || !ok {
		f.t.Fatalf("alert %s: %v %v", id, ok, err)
	}
	return a
}

func dur(d time.Duration) *time.Duration { return &d }

func twoLevels() Config {
	return Config{Routes: []RouteConfig{{
		Name: "cs", GroupWait: dur(30 * time.Second), GroupInterval: dur(5 * time.Minute), RepeatInterval: dur(time.Hour),
		Levels: []LevelConfig{{Receivers: []string{"agents"}}, {After: 15 * time.Minute, Receivers: []string{"lead-pd"}}},
	}}}
}

// Fifty similar alerts within the group wait are one notification; new
// alerts after it wait for the group interval; an unacknowledged group is
// repeated after the repeat interval.
func TestGroupingWaitIntervalRepeat(t *testing.T) {
	c := twoLevels()
	c.Routes[0].Levels = c.Routes[0].Levels[:1] // no escalation in the way
	f := newFixture(t, c)
	for i := range 50 {
		f.raise(fmt.Sprint(i), "complaint", 0.5)
		if i == 0 {
			if got := f.tick(); len(got) != 0 {
				t.Fatalf("sent before the group wait: %+v", got)
			}
		}
	}
	f.clock.Advance(29 * time.Second)
	if got := f.tick(); len(got) != 0 {
		t.Fatalf("sent at 29s: %d", len(got))
	}
	f.clock.Advance(time.Second)
	got := f.tick()
	if len(got) != 1 || got[0].action != notify.Trigger || !slices.Equal(got[0].receivers, []string{"agents"}) ||
		!strings.Contains(got[0].alert.Summary, "50 alerts (50 new)") || !strings.HasPrefix(got[0].alert.ID, "group:") {
		t.Fatalf("after the group wait: %+v", got)
	}
	groupID := got[0].alert.ID
	// A new alert in the group: not before the group interval.
	f.clock.Advance(time.Minute)
	f.raise("late", "complaint", 0.5)
	if got := f.tick(); len(got) != 0 {
		t.Fatalf("sent within the group interval: %+v", got)
	}
	f.clock.Advance(4 * time.Minute)
	got = f.tick()
	if len(got) != 1 || got[0].alert.ID != groupID || !strings.Contains(got[0].alert.Summary, "51 alerts (1 new)") {
		t.Fatalf("after the group interval: %+v", got)
	}
	// Nothing new: nothing until the repeat interval.
	f.clock.Advance(30 * time.Minute)
	if got := f.tick(); len(got) != 0 {
		t.Fatalf("sent without news: %+v", got)
	}
	f.clock.Advance(30 * time.Minute)
	var repeats int
	for _, s := range f.tick() {
		if slices.Equal(s.receivers, []string{"agents"}) && s.alert.ID == groupID {
			repeats++
		}
	}
	if repeats != 1 {
		t.Fatalf("repeats after the repeat interval = %d, want 1", repeats)
	}
}

// A critical alert skips the group wait: the first notification is at
// once (the latency target).
func TestCriticalSkipsGroupWait(t *testing.T) {
	f := newFixture(t, twoLevels())
	f.raise("1", "urgent", 0.9)
	got := f.tick()
	if len(got) != 1 || got[0].alert.ID == "" || got[0].alert.MentionKey != "m:1" {
		t.Fatalf("critical alert: %+v", got)
	}
}

// Escalation: unacknowledged for 15 minutes goes to level 2; acknowledging
// stops it; resolving tells every receiver that was told.
func TestEscalationAckAndResolve(t *testing.T) {
	zero := time.Duration(0)
	c := twoLevels()
	c.Routes[0].GroupBy, c.Routes[0].GroupWait = []string{"alert"}, &zero
	f := newFixture(t, c)
	a := f.raise("1", "complaint", 0.5)
	if got := f.tick(); len(got) != 1 || got[0].receivers[0] != "agents" || got[0].alert.ID != a.ID {
		t.Fatalf("level 1: %+v", got)
	}
	if f.alert(a.ID).Level != 1 {
		t.Fatal("level not recorded")
	}
	f.clock.Advance(14 * time.Minute)
	if got := f.tick(); len(got) != 0 {
		t.Fatalf("escalated early: %+v", got)
	}
	f.clock.Advance(time.Minute)
	got := f.tick()
	if len(got) != 1 || got[0].receivers[0] != "lead-pd" || f.alert(a.ID).Level != 2 {
		t.Fatalf("level 2: %+v", got)
	}
	// A second alert is acknowledged before its 15 minutes: no level 2.
	b := f.raise("2", "complaint", 0.5)
	f.tick()
	if _, err := f.st.SetAlertState(b.ID, store.AlertAcknowledged, "rina"); err != nil {
		t.Fatal(err)
	}
	got = f.tick()
	if len(got) != 1 || got[0].action != notify.Acknowledge || got[0].alert.ID != b.ID {
		t.Fatalf("acknowledge passed on: %+v", got)
	}
	f.clock.Advance(time.Hour)
	for _, s := range f.tick() {
		if s.alert.ID == b.ID {
			t.Fatalf("an acknowledged alert was notified again: %+v", s)
		}
	}
	if f.alert(b.ID).Level != 1 {
		t.Fatal("an acknowledged alert escalated")
	}
	// Resolve the first: both levels' receivers are told.
	if _, err := f.st.SetAlertState(a.ID, store.AlertResolved, ""); err != nil {
		t.Fatal(err)
	}
	got = f.tick()
	if len(got) != 1 || got[0].action != notify.Resolve || !slices.Equal(got[0].receivers, []string{"agents", "lead-pd"}) {
		t.Fatalf("resolve: %+v", got)
	}
	// Escalation by hand: the last level is a conflict.
	if _, err := f.e.Escalate(a.ID, "rina"); err == nil {
		t.Fatal("escalating a resolved alert worked")
	}
	c2 := f.raise("3", "complaint", 0.5)
	f.tick()
	if got, err := f.e.Escalate(c2.ID, "rina"); err != nil || got.Level != 2 {
		t.Fatalf("escalate: %+v %v", got, err)
	}
	if got := f.tick(); len(got) != 1 || got[0].receivers[0] != "lead-pd" {
		t.Fatalf("after escalate by hand: %+v", got)
	}
	if _, err := f.e.Escalate(c2.ID, "rina"); err == nil {
		t.Fatal("escalating past the last level worked")
	}
}

// Quiet hours hold non-critical notifications until they end; critical
// ones pass.
func TestQuietHours(t *testing.T) {
	zero := time.Duration(0)
	c := twoLevels()
	c.Routes[0].GroupBy, c.Routes[0].GroupWait = []string{"alert"}, &zero
	c.Routes[0].Timezone = "Asia/Jakarta"
	c.Routes[0].QuietHours = []Window{{Days: []string{"mon-sun"}, Start: "22:00", End: "07:00"}}
	f := newFixture(t, c)
	f.clock.Advance(13 * time.Hour) // 23:00 in Jakarta
	low := f.raise("low", "complaint", 0.5)
	f.raise("crit", "urgent", 0.95)
	got := f.tick()
	if len(got) != 1 || got[0].alert.Rule != "urgent" {
		t.Fatalf("in quiet hours: %+v", got)
	}
	f.clock.Advance(7*time.Hour + 59*time.Minute) // 06:59
	for _, s := range f.tick() {
		if s.alert.ID == low.ID {
			t.Fatalf("sent in quiet hours: %+v", s)
		}
	}
	if f.alert(low.ID).Level != 1 {
		t.Fatal("escalated in quiet hours")
	}
	f.clock.Advance(time.Minute) // 07:00
	got = f.tick()
	if !slices.ContainsFunc(got, func(s sent) bool { return s.alert.ID == low.ID && s.receivers[0] == "agents" }) {
		t.Fatalf("after quiet hours: %+v", got)
	}
}

// Silenced and snoozed alerts are recorded but not notified; a silence
// that is removed, or a snooze that ends, lets them through.
func TestSilenceAndSnooze(t *testing.T) {
	zero := time.Duration(0)
	c := twoLevels()
	c.Routes[0].GroupBy, c.Routes[0].GroupWait = []string{"alert"}, &zero
	f := newFixture(t, c)
	si, err := f.e.AddSilence(store.Silence{Matchers: []store.Matcher{{Field: "brand", Value: "kilat"}, {Field: "rule", Value: "complaint"}},
		Until: t0.Add(2 * time.Hour), Comment: "known outage", By: "rina"})
	if err != nil {
		t.Fatal(err)
	}
	a := f.raise("1", "complaint", 0.5)
	other := f.raise("2", "urgent", 0.5)
	got := f.tick()
	if len(got) != 1 || got[0].alert.ID != other.ID {
		t.Fatalf("with a silence: %+v", got)
	}
	if f.alert(a.ID).State != store.AlertOpen {
		t.Fatal("the silenced alert is not recorded")
	}
	if _, err := f.e.Snooze(other.ID, 30*time.Minute, "rina"); err != nil {
		t.Fatal(err)
	}
	if err := f.e.DeleteSilence(si.ID, "rina"); err != nil {
		t.Fatal(err)
	}
	got = f.tick()
	if len(got) != 1 || got[0].alert.ID != a.ID {
		t.Fatalf("after the silence: %+v", got)
	}
	// The snoozed alert neither escalates nor repeats while snoozed.
	f.clock.Advance(29 * time.Minute)
	if got := f.tick(); slices.ContainsFunc(got, func(s sent) bool { return s.alert.ID == other.ID }) {
		t.Fatalf("sent while snoozed: %+v", got)
	}
	// Its escalation clock restarts when the snooze ends.
	f.clock.Advance(16 * time.Minute)
	got = f.tick()
	if !slices.ContainsFunc(got, func(s sent) bool { return s.alert.ID == other.ID && s.receivers[0] == "lead-pd" }) {
		t.Fatalf("after the snooze: %+v", got)
	}
	// Bad silences are refused with what is wrong.
	for _, bad := range []store.Silence{
		{Matchers: []store.Matcher{{Field: "text", Value: "x"}}, Until: t0.Add(3 * time.Hour), Comment: "c"},
		{Matchers: []store.Matcher{{Field: "brand", Value: "kilat"}}, Until: t0, Comment: "c"},
		{Matchers: []store.Matcher{{Field: "brand", Value: "kilat"}}, Until: t0.Add(3 * time.Hour)},
		{Until: t0.Add(3 * time.Hour), Comment: "c"},
	} {
		if _, err := f.e.AddSilence(bad); err == nil {
			t.Errorf("silence %+v accepted", bad)
		}
	}
	if _, err := f.e.Snooze(a.ID, 0, "x"); err == nil {
		t.Error("a zero snooze was accepted")
	}
}

// The engine's decisions survive a restart: a group notified before is
// not notified again by a new engine.
func TestEngineRestart(t *testing.T) {
	f := newFixture(t, twoLevels())
	f.raise("1", "complaint", 0.5)
	f.raise("2", "complaint", 0.5)
	f.tick()
	f.clock.Advance(time.Minute)
	if got := f.tick(); len(got) != 1 {
		t.Fatalf("first: %+v", got)
	}
	e2, err := New(twoLevels(), Options{Store: f.st, Outbox: f.out, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.e = e2
	f.clock.Advance(time.Minute)
	if got := f.tick(); len(got) != 0 {
		t.Fatalf("a restarted engine sent again: %+v", got)
	}
}

// The receivers' own filters still apply: one that takes triggers only
// is not told of the resolve.
func TestReceiverFiltersApplyToFollowUps(t *testing.T) {
	zero := time.Duration(0)
	c := twoLevels()
	c.Routes[0].GroupBy, c.Routes[0].GroupWait = []string{"alert"}, &zero
	c.Routes[0].Levels[0].Receivers = []string{"agents", "lead-pd"}
	f := newFixture(t, c)
	e, err := New(c, Options{Store: f.st, Outbox: f.out, Now: f.clock.Now,
		Filters: map[string]notify.Route{"agents": {Actions: []notify.Action{notify.Trigger}}, "lead-pd": {}}})
	if err != nil {
		t.Fatal(err)
	}
	f.e = e
	a := f.raise("1", "complaint", 0.5)
	if got := f.tick(); len(got) != 1 || !slices.Equal(got[0].receivers, []string{"agents", "lead-pd"}) {
		t.Fatalf("trigger: %+v", got)
	}
	if _, err := f.st.SetAlertState(a.ID, store.AlertResolved, ""); err != nil {
		t.Fatal(err)
	}
	if got := f.tick(); len(got) != 1 || got[0].action != notify.Resolve || !slices.Equal(got[0].receivers, []string{"lead-pd"}) {
		t.Fatalf("resolve: %+v", got)
	}
}

// With no routes (no receivers configured) a tick records when routing
// began and changes nothing else, without reading the alerts; the
// alerts raised before it stay unrouted when routes are added later, as
// with a full tick. Records left by an earlier config with routes still
// get their follow-ups.
func TestNoRoutesTick(t *testing.T) {
	zero := time.Duration(0)
	routed := twoLevels()
	routed.Routes[0].GroupBy, routed.Routes[0].GroupWait = []string{"alert"}, &zero
	f := newFixture(t, Config{})
	before := f.raise("1", "complaint", 0.5)
	f.clock.Advance(time.Minute)
	if got := f.tick(); len(got) != 0 {
		t.Fatalf("no routes sent: %+v", got)
	}
	if f.alert(before.ID).Level != 0 {
		t.Fatal("no routes changed an alert's level")
	}
	raw, err := f.st.NotifyStates("")
	if err != nil || len(raw) != 1 || raw[keySince] == nil {
		t.Fatalf("records after a tick with no routes: %v %v", raw, err)
	}

	// Routes added (a restart with receivers): only the later alert.
	f.e, err = New(routed, Options{Store: f.st, Outbox: f.out, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	after := f.raise("2", "complaint", 0.5)
	if got := f.tick(); len(got) != 1 || got[0].alert.ID != after.ID {
		t.Fatalf("routed after routes were added: %+v", got)
	}

	// Routes removed again: the resolve of the notified alert is still
	// passed on.
	f.e, err = New(Config{}, Options{Store: f.st, Outbox: f.out, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SetAlertState(after.ID, store.AlertResolved, ""); err != nil {
		t.Fatal(err)
	}
	if got := f.tick(); len(got) != 1 || got[0].action != notify.Resolve || got[0].alert.ID != after.ID {
		t.Fatalf("follow-up with no routes: %+v", got)
	}
}
