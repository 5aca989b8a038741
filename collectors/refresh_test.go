package collectors

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

func TestRefreshSchedule(t *testing.T) {
	tests := map[string]struct {
		age       time.Duration
		sinceLast time.Duration
		every     time.Duration
		due       bool
	}{
		"just seen":                     {age: time.Minute, sinceLast: time.Minute, every: 5 * time.Minute, due: false},
		"young, 5 min since last":       {age: 30 * time.Minute, sinceLast: 5 * time.Minute, every: 5 * time.Minute, due: true},
		"young, 4 min since last":       {age: 30 * time.Minute, sinceLast: 4*time.Minute + 59*time.Second, every: 5 * time.Minute, due: false},
		"one hour old is hourly":        {age: time.Hour, sinceLast: 10 * time.Minute, every: time.Hour, due: false},
		"hours old, an hour since last": {age: 5 * time.Hour, sinceLast: time.Hour, every: time.Hour, due: true},
		"hours old, 59 min since last":  {age: 23 * time.Hour, sinceLast: 59 * time.Minute, every: time.Hour, due: false},
		"a day old is daily":            {age: 24 * time.Hour, sinceLast: 2 * time.Hour, every: 24 * time.Hour, due: false},
		"days old, a day since last":    {age: 6 * 24 * time.Hour, sinceLast: 24 * time.Hour, every: 24 * time.Hour, due: true},
		"a week old: never":             {age: 7 * 24 * time.Hour, sinceLast: 30 * 24 * time.Hour, every: 0, due: false},
		"a month old: never":            {age: 30 * 24 * time.Hour, sinceLast: 30 * 24 * time.Hour, every: 0, due: false},
	}
	now := time.Date(2024, 6, 4, 12, 0, 0, 0, time.UTC)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			every, ok := refreshInterval(tc.age)
			if every != tc.every || ok != (tc.every != 0) {
				t.Errorf("refreshInterval(%s) = %s, %v; want %s", tc.age, every, ok, tc.every)
			}
			if got := refreshDue(now, now.Add(-tc.age), now.Add(-tc.sinceLast)); got != tc.due {
				t.Errorf("refreshDue = %v, want %v", got, tc.due)
			}
		})
	}
	// The table is ordered and its tiers slow down with age.
	for i := 1; i < len(refreshSchedule); i++ {
		if refreshSchedule[i].Under <= refreshSchedule[i-1].Under || refreshSchedule[i].Every <= refreshSchedule[i-1].Every {
			t.Fatalf("refreshSchedule not decaying at %d: %+v", i, refreshSchedule)
		}
	}
}

// fakeRefresher records what it is asked to refresh and returns a sample
// for each mention, except those in noSample (a deleted post, say).
type fakeRefresher struct {
	fakeCollector
	mu       sync.Mutex
	calls    [][]string
	deadline []bool
	noSample map[string]bool
	err      error
}

func (f *fakeRefresher) Refresh(ctx context.Context, ms []store.Mention) (store.Batch, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	keys := make([]string, len(ms))
	var b store.Batch
	for i, m := range ms {
		keys[i] = m.Key
		if !f.noSample[m.Key] {
			b.Samples = append(b.Samples, store.MentionSample{Key: m.Key, Sample: store.Sample{Likes: ptr(int64(10 * (i + 1)))}})
		}
	}
	f.calls = append(f.calls, keys)
	_, ok := ctx.Deadline()
	f.deadline = append(f.deadline, ok)
	if f.err != nil {
		return store.Batch{}, f.err
	}
	// A collector returning a cursor from a refresh must not move the
	// source's position.
	b.Cursor = ptr("from-a-refresh")
	return b, nil
}

func (f *fakeRefresher) Coverage() string { return "posts and their like counts" }

func (f *fakeRefresher) takeCalls() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

var _ Refresher = (*fakeRefresher)(nil)

// runRefresh runs one refresh job and waits for the refreshes it started.
func runRefresh(t *testing.T, s *Scheduler) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		s.refreshTick().Wait()
		close(done)
	}()
	wait(t, done, "the refresh run")
}

func TestRefreshPicksDueMentions(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	now := clk.Now()
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	type seed struct {
		id        string
		source    string
		created   time.Duration // age; -1 means unknown
		seen      time.Duration
		sampled   time.Duration // 0: never sampled
		byBrand   bool
		handling  store.ReplyState
		wantFirst bool
	}
	seeds := []seed{
		{id: "fresh", created: 2 * time.Minute, seen: 2 * time.Minute},
		{id: "young", created: 10 * time.Minute, seen: 10 * time.Minute, wantFirst: true},
		{id: "young-sampled", created: 20 * time.Minute, seen: 20 * time.Minute, sampled: 3 * time.Minute},
		{id: "hourly-due", created: 3 * time.Hour, seen: 3 * time.Hour, sampled: 70 * time.Minute, wantFirst: true},
		{id: "hourly-not", created: 3 * time.Hour, seen: 3 * time.Hour, sampled: 30 * time.Minute},
		{id: "daily-due", created: 3 * 24 * time.Hour, seen: 3 * 24 * time.Hour, wantFirst: true},
		{id: "daily-not", created: 3 * 24 * time.Hour, seen: 3 * 24 * time.Hour, sampled: 5 * time.Hour},
		{id: "old", created: 8 * 24 * time.Hour, seen: 8 * 24 * time.Hour},
		{id: "old-collected-late", created: 8 * 24 * time.Hour, seen: time.Hour},
		{id: "brand-reply", created: 10 * time.Minute, seen: 10 * time.Minute, byBrand: true},
		{id: "resolved", created: 10 * time.Minute, seen: 10 * time.Minute, handling: store.ReplyResolved},
		{id: "no-reply-needed", created: 10 * time.Minute, seen: 10 * time.Minute, handling: store.ReplyNotNeeded},
		{id: "moved-to-dm", created: 10 * time.Minute, seen: 10 * time.Minute, handling: store.ReplyPrivate, wantFirst: true},
		{id: "no-date", created: -1, seen: 10 * time.Minute, wantFirst: true},
		{id: "other-source", source: "news", created: 10 * time.Minute, seen: 10 * time.Minute},
	}
	// Oldest first, as a real store fills up.
	slices.SortStableFunc(seeds, func(a, b seed) int { return int(b.seen - a.seen) })
	for _, sd := range seeds {
		src := sd.source
		if src == "" {
			src = "social"
		}
		m := store.Mention{NativeID: sd.id, Text: "acme " + sd.id, Author: store.Author{Handle: "u"}, ByBrand: sd.byBrand}
		if sd.created >= 0 {
			m.CreatedAt = ago(sd.created)
		}
		if _, err := st.Ingest(store.Batch{Source: src, Kind: "fake", At: ago(sd.seen), Mentions: []store.Mention{m}}); err != nil {
			t.Fatal(err)
		}
		if sd.sampled > 0 {
			if _, err := st.Ingest(store.Batch{Source: src, Kind: "fake", At: ago(sd.sampled),
				Samples: []store.MentionSample{{Key: "fake:" + sd.id, Sample: store.Sample{Likes: ptr(int64(1))}}}}); err != nil {
				t.Fatal(err)
			}
		}
		if sd.handling != "" {
			if _, err := st.SetHandling("fake:"+sd.id, sd.handling, "", false, "agent"); err != nil {
				t.Fatal(err)
			}
		}
	}
	var wantFirst []string
	for _, sd := range seeds {
		if sd.wantFirst {
			wantFirst = append(wantFirst, "fake:"+sd.id)
		}
	}
	slices.Sort(wantFirst)

	s := NewScheduler(st, storeSink{st}, nil, clk.Now)
	r := &fakeRefresher{fakeCollector: fakeCollector{name: "social", poll: okPoll}, noSample: map[string]bool{"fake:moved-to-dm": true}}
	for _, c := range []Collector{r, &fakeCollector{name: "news", poll: okPoll}} {
		if err := s.Add(c, "@every 1h", 0); err != nil {
			t.Fatal(err)
		}
	}
	cursor := "cursor-before"
	if _, err := st.Ingest(store.Batch{Source: "social", Kind: "fake", Cursor: &cursor}); err != nil {
		t.Fatal(err)
	}

	runRefresh(t, s)
	calls := r.takeCalls()
	if len(calls) != 1 {
		t.Fatalf("Refresh called %d times, want once: %v", len(calls), calls)
	}
	got := slices.Sorted(slices.Values(calls[0]))
	if !slices.Equal(got, wantFirst) {
		t.Fatalf("refreshed %v\nwant      %v", got, wantFirst)
	}
	// Youngest tier first: the hourly and daily ones come last.
	if n := len(calls[0]); calls[0][n-2] != "fake:hourly-due" || calls[0][n-1] != "fake:daily-due" {
		t.Fatalf("order %v: the 5-minute tier goes first", calls[0])
	}
	samples, err := st.Samples("fake:young")
	if err != nil || len(samples) != 1 || !samples[0].At.Equal(now) {
		t.Fatalf("samples of young = %+v, %v", samples, err)
	}
	sst := state(t, st, "social")
	if sst.Coverage != r.Coverage() || sst.Cursor != "cursor-before" || !sst.LastSuccess.Equal(now) {
		t.Fatalf("state after refresh = %+v", sst)
	}

	// Right after, nothing is due: not even the mention that got no
	// sample back.
	runRefresh(t, s)
	if calls := r.takeCalls(); len(calls) != 0 {
		t.Fatalf("refreshed again at once: %v", calls)
	}

	// Five minutes on, the young ones are due again (the two that were
	// not due before too), except the one an agent has since resolved.
	if _, err := st.SetHandling("fake:young", store.ReplyResolved, "", false, "agent"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(5 * time.Minute)
	runRefresh(t, s)
	calls = r.takeCalls()
	want := []string{"fake:fresh", "fake:moved-to-dm", "fake:no-date", "fake:young-sampled"}
	if len(calls) != 1 || !slices.Equal(slices.Sorted(slices.Values(calls[0])), want) {
		t.Fatalf("after 5 min refreshed %v, want %v", calls, want)
	}
}

func TestRefreshBackoffAndBatches(t *testing.T) {
	tests := map[string]struct {
		mentions  int
		before    func(st *store.Store, now time.Time)
		err       error
		wantCalls []int // mentions per call
		check     func(t *testing.T, got store.SourceState, now time.Time)
	}{
		"batches of 100":          {mentions: 250, wantCalls: []int{100, 100, 50}},
		"at most 5 batches a run": {mentions: 620, wantCalls: []int{100, 100, 100, 100, 100}},
		"source backing off": {mentions: 3, before: func(st *store.Store, now time.Time) {
			st.RecordSourceError("social", "fake", now, "HTTP 503", now.Add(10*time.Minute))
		}, wantCalls: nil},
		"error recorded with Retry-After": {mentions: 3, err: &StatusError{Code: 429, RetryAfter: 2 * time.Minute, Method: "GET", URL: "https://api.example/posts?token=REDACTED"},
			wantCalls: []int{3},
			check: func(t *testing.T, got store.SourceState, now time.Time) {
				if got.ConsecutiveErrors != 1 || !got.NextAttempt.Equal(now.Add(2*time.Minute)) || !strings.Contains(got.LastErrorText, "refresh: GET https://api.example/posts?REDACTED: HTTP 429") {
					t.Fatalf("state = %+v", got)
				}
			}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newTestClock()
			st := openStore(t, clk)
			now := clk.Now()
			var ms []store.Mention
			for i := range tc.mentions {
				ms = append(ms, store.Mention{NativeID: "m" + strconv.Itoa(i), Text: "acme", CreatedAt: now.Add(-20 * time.Minute)})
			}
			if _, err := st.Ingest(store.Batch{Source: "social", Kind: "fake", At: now.Add(-20 * time.Minute), Mentions: ms}); err != nil {
				t.Fatal(err)
			}
			if tc.before != nil {
				tc.before(st, now)
			}
			s := NewScheduler(st, storeSink{st}, nil, clk.Now)
			s.rnd = func() float64 { return 0.5 }
			r := &fakeRefresher{fakeCollector: fakeCollector{name: "social", poll: okPoll}, err: tc.err}
			if err := s.Add(r, "", 0); err != nil {
				t.Fatal(err)
			}
			runRefresh(t, s)
			var sizes []int
			for _, c := range r.takeCalls() {
				sizes = append(sizes, len(c))
			}
			if !slices.Equal(sizes, tc.wantCalls) {
				t.Fatalf("calls of %v, want %v", sizes, tc.wantCalls)
			}
			for i, ok := range r.deadline {
				if !ok {
					t.Fatalf("call %d had no deadline", i)
				}
			}
			if tc.check != nil {
				tc.check(t, state(t, st, "social"), now)
			}
			// A failed or skipped source is not refreshed again while it
			// backs off.
			if tc.err != nil || tc.before != nil {
				runRefresh(t, s)
				if calls := r.takeCalls(); len(calls) != 0 {
					t.Fatalf("refreshed during the backoff: %d calls", len(calls))
				}
			}
		})
	}
}

// TestRefreshScanPagesThroughBigBatches: mentions of one batch share a
// SeenAt; paging must neither skip nor repeat them, even when one batch is
// larger than a page.
func TestRefreshScanPagesThroughBigBatches(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	now := clk.Now()
	sizes := []int{refreshScanPage - 1, refreshScanPage*2 + 5, 3}
	total := 0
	for bi, n := range sizes {
		var ms []store.Mention
		for i := range n {
			ms = append(ms, store.Mention{NativeID: strconv.Itoa(bi) + "-" + strconv.Itoa(i), Text: "acme", CreatedAt: now.Add(-time.Hour)})
		}
		total += n
		if _, err := st.Ingest(store.Batch{Source: "social", Kind: "fake", At: now.Add(-time.Duration(len(sizes)-bi) * time.Minute), Mentions: ms}); err != nil {
			t.Fatal(err)
		}
	}
	s := NewScheduler(st, storeSink{st}, nil, clk.Now)
	seen := map[string]int{}
	if err := s.scanRecent(now.Add(-time.Hour), func(m store.Mention) { seen[m.Key]++ }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != total {
		t.Fatalf("scanned %d distinct mentions, want %d", len(seen), total)
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("%s scanned %d times", k, n)
		}
	}
}

// The refresh needs a store that lists mentions; without one it is off
// and Add still works.
func TestRefreshOffWithoutRefreshStore(t *testing.T) {
	clk := newTestClock()
	st := openStore(t, clk)
	logger, logs := testLogger()
	s := NewScheduler(onlyStates{st}, storeSink{st}, logger, clk.Now)
	if err := s.Add(&fakeRefresher{fakeCollector: fakeCollector{name: "social", poll: okPoll}}, "", 0); err != nil {
		t.Fatal(err)
	}
	runRefresh(t, s)
	if !strings.Contains(logs.String(), "engagement refresh is off") {
		t.Fatalf("no warning:\n%s", logs)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// onlyStates hides everything of the store but SourceStates.
type onlyStates struct{ st *store.Store }

func (o onlyStates) SourceState(name string) (store.SourceState, error) {
	return o.st.SourceState(name)
}
func (o onlyStates) RecordSourceError(source, kind string, at time.Time, errText string, next time.Time) (store.SourceState, error) {
	return o.st.RecordSourceError(source, kind, at, errText, next)
}
