package digest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

// fakeClock is a settable clock whose timers fire when it is advanced.
// Each timer made is reported on armed, so a test knows the runner has
// finished a round and is waiting.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
	armed  chan time.Duration
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, armed: make(chan time.Duration, 16)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	ch := make(chan time.Time, 1)
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), c: ch})
	c.mu.Unlock()
	c.armed <- d
	return ch, func() bool { return true }
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if !tm.at.After(t) {
			tm.c <- t
			continue
		}
		kept = append(kept, tm)
	}
	c.timers = kept
}

// waitArmed waits until the runner sleeps again and returns how long.
func (c *fakeClock) waitArmed(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.armed:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("the runner did not go back to sleep")
	}
	return 0
}

// digestItems lists the digest outbox items of a receiver by alert id.
func digestItems(t *testing.T, st *store.Store, receiver string) map[string]bool {
	t.Helper()
	items, err := st.PendingOutbox(receiver, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, it := range items {
		out[it.AlertID] = true
	}
	return out
}

func TestCatchUpSendsOnlyTheLatestMissedDigest(t *testing.T) {
	loc := mustZone(t, "Asia/Jakarta")
	st := openStore(t)
	daily, _ := ParseSchedule("0 8 * * *", loc)
	weekly, _ := ParseSchedule("0 8 * * 1", loc)
	jobs := []Job{
		{Kind: Daily, Schedule: daily, Loc: loc, Receivers: []Target{{Name: "mail"}}},
		{Kind: Weekly, Schedule: weekly, Loc: loc, Receivers: []Target{{Name: "mail"}}},
	}
	var woken []string
	var wmu sync.Mutex
	run := func(clock *fakeClock) (stop func()) {
		r := NewRunner(jobs, StoreSource{Store: st}, st, nil, RunnerOptions{Now: clock.Now, NewTimer: clock.NewTimer,
			Wake: func(rs ...string) { wmu.Lock(); woken = append(woken, rs...); wmu.Unlock() }})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); r.Run(ctx) }()
		return func() { cancel(); <-done }
	}

	// First start, Friday 20 Nov 10:00 WIB: today's 08:00 digest was due
	// before digests ever ran here, so it is not "missed".
	clock := newFakeClock(time.Date(2026, 11, 20, 10, 0, 0, 0, loc))
	stop := run(clock)
	if d := clock.waitArmed(t); d != 22*time.Hour {
		t.Errorf("sleeps %v, want 22h until tomorrow 08:00", d)
	}
	stop()
	if got := digestItems(t, st, "mail"); len(got) != 0 {
		t.Fatalf("first start sent %v", got)
	}

	// Down from then until Monday 23 Nov 09:30: the dailies of the 21st,
	// 22nd and 23rd and Monday's weekly were missed. Only the latest of
	// each kind goes out.
	clock = newFakeClock(time.Date(2026, 11, 23, 9, 30, 0, 0, loc))
	stop = run(clock)
	clock.waitArmed(t)
	stop()
	got := digestItems(t, st, "mail")
	want := map[string]bool{"digest|daily|2026-11-22": true, "digest|weekly|2026-11-16": true}
	if len(got) != len(want) || !got["digest|daily|2026-11-22"] || !got["digest|weekly|2026-11-16"] {
		t.Fatalf("after downtime the outbox holds %v, want only %v", got, want)
	}

	// Another restart the same morning sends nothing again.
	clock = newFakeClock(time.Date(2026, 11, 23, 10, 0, 0, 0, loc))
	stop = run(clock)
	clock.waitArmed(t)
	if got := digestItems(t, st, "mail"); len(got) != 2 {
		t.Fatalf("a restart sent again: %v", got)
	}
	// On schedule: Tuesday 08:00 makes Monday's daily.
	clock.Set(time.Date(2026, 11, 24, 8, 0, 0, 0, loc))
	clock.waitArmed(t)
	stop()
	if got := digestItems(t, st, "mail"); len(got) != 3 || !got["digest|daily|2026-11-23"] {
		t.Fatalf("on schedule: %v", got)
	}
	wmu.Lock()
	defer wmu.Unlock()
	if len(woken) != 3 {
		t.Errorf("dispatcher woken for %v, want once per queued digest", woken)
	}
}

// A failed run is retried after RetryDelay, not at the next schedule.
func TestRunnerRetriesAfterAFailure(t *testing.T) {
	loc := time.UTC
	st := openStore(t)
	daily, _ := ParseSchedule("0 8 * * *", loc)
	src := &failingSource{fails: 1, next: StoreSource{Store: st}}
	clock := newFakeClock(time.Date(2026, 11, 23, 7, 0, 0, 0, loc))
	r := NewRunner([]Job{{Kind: Daily, Schedule: daily, Loc: loc, Receivers: []Target{{Name: "mail"}}}}, src, st, nil,
		RunnerOptions{Now: clock.Now, NewTimer: clock.NewTimer, RetryDelay: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	clock.waitArmed(t)
	clock.Set(time.Date(2026, 11, 23, 8, 0, 0, 0, loc))
	if d := clock.waitArmed(t); d != time.Minute {
		t.Fatalf("after a failure sleeps %v, want 1m", d)
	}
	clock.Set(time.Date(2026, 11, 23, 8, 1, 0, 0, loc))
	clock.waitArmed(t)
	if got := digestItems(t, st, "mail"); !got["digest|daily|2026-11-22"] {
		t.Fatalf("not sent after the retry: %v", got)
	}
}

type failingSource struct {
	mu    sync.Mutex
	fails int
	next  Source
}

func (f *failingSource) Mentions(ctx context.Context, from, to time.Time, fn func(*store.Mention) error) error {
	f.mu.Lock()
	fail := f.fails > 0
	f.fails--
	f.mu.Unlock()
	if fail {
		return context.DeadlineExceeded
	}
	return f.next.Mentions(ctx, from, to, fn)
}

type panickySource struct{}

func (panickySource) Mentions(context.Context, time.Time, time.Time, func(*store.Mention) error) error {
	panic("broken source")
}

// A panic while making a digest is an error, not a crash.
func TestSendRecoversFromPanic(t *testing.T) {
	st := openStore(t)
	daily, _ := ParseSchedule("0 8 * * *", time.UTC)
	job := Job{Kind: Daily, Schedule: daily, Loc: time.UTC, Receivers: []Target{{Name: "mail"}}}
	r := NewRunner([]Job{job}, panickySource{}, st, nil, RunnerOptions{})
	err := r.Send(context.Background(), job, time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC))
	if err == nil || !strings.Contains(err.Error(), "panic: broken source") {
		t.Fatalf("err = %v", err)
	}
	if got := digestItems(t, st, "mail"); len(got) != 0 {
		t.Errorf("queued %v", got)
	}
}

// A digest whose outbox item was delivered and pruned (the outbox's
// retention can be shorter than a week) is not made again on a restart.
func TestPrunedDigestIsNotSentAgain(t *testing.T) {
	st := openStore(t)
	weekly, _ := ParseSchedule("0 8 * * 1", time.UTC)
	job := Job{Kind: Weekly, Schedule: weekly, Loc: time.UTC, Receivers: []Target{{Name: "mail"}}}
	if err := st.SetOutboxCursor(baselineCursor, uint64(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix())); err != nil {
		t.Fatal(err)
	}
	start := func(now time.Time) {
		clock := newFakeClock(now)
		r := NewRunner([]Job{job}, StoreSource{Store: st}, st, nil, RunnerOptions{Now: clock.Now, NewTimer: clock.NewTimer})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); r.Run(ctx) }()
		clock.waitArmed(t)
		cancel()
		<-done
	}
	start(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	id := store.OutboxID("digest|weekly|2026-11-16", "mail", store.OutboxDigest)
	if _, found, _ := st.OutboxItemByID(id); !found {
		t.Fatal("the weekly digest was not made")
	}
	if err := st.MarkDelivered(id, time.Date(2026, 11, 23, 9, 0, 1, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if n, err := st.PruneOutbox(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)); err != nil || n != 1 {
		t.Fatalf("pruned %d: %v", n, err)
	}
	start(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	if _, found, _ := st.OutboxItemByID(id); found {
		t.Fatal("the pruned weekly digest was made again")
	}
}
