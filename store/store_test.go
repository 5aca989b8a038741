package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is an injected, manually advanced clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openTest(t testing.TB, c *clock) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pantau.db")
	st, err := Open(path, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

func ptr[T any](v T) *T { return &v }

func mention(id, text string) Mention {
	return Mention{NativeID: id, Text: text, Author: Author{Handle: "budi"}, CreatedAt: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)}
}

func TestIngestDeduplicatesAcrossPolls(t *testing.T) {
	c := newClock()
	st, _ := openTest(t, c)
	batch := Batch{Source: "news", Kind: "rss", Mentions: []Mention{mention("a", "one"), mention("b", "two"), mention("a", "one again in the same batch")}}
	res, err := st.Ingest(batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 2 || res.Duplicates != 1 {
		t.Fatalf("first poll: new=%d dup=%d, want 2 and 1", len(res.New), res.Duplicates)
	}
	c.Add(time.Minute)
	batch.Mentions = []Mention{mention("a", "edited text"), mention("c", "three")}
	batch.Samples = []MentionSample{{Key: "rss:a", Sample: Sample{Likes: ptr[int64](5)}}}
	res, err = st.Ingest(batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 1 || res.New[0].Key != "rss:c" || res.Duplicates != 1 {
		t.Fatalf("second poll: %+v", res)
	}
	m, ok, err := st.Mention("rss:a")
	if err != nil || !ok {
		t.Fatalf("mention a: %v %v", ok, err)
	}
	if m.Text != "one" {
		t.Errorf("duplicate changed the stored text to %q", m.Text)
	}
	samples, _ := st.Samples("rss:a")
	if len(samples) != 1 || *samples[0].Likes != 5 {
		t.Errorf("samples = %+v, want the one sample", samples)
	}
	all, _ := st.Mentions(MentionQuery{})
	if len(all) != 3 {
		t.Errorf("stored %d mentions, want 3", len(all))
	}
	srcState, _ := st.SourceState("news")
	if srcState.ItemsSeen != 3 || srcState.LastItems != 1 {
		t.Errorf("source health items seen=%d last=%d, want 3 and 1", srcState.ItemsSeen, srcState.LastItems)
	}
}

func TestIngestCommitsCursorWithMentions(t *testing.T) {
	c := newClock()
	st, path := openTest(t, c)
	cur := `{"etag":"v1"}`
	if _, err := st.Ingest(Batch{Source: "news", Kind: "rss", Mentions: []Mention{mention("a", "x")}, Cursor: &cur}); err != nil {
		t.Fatal(err)
	}
	// A batch with no new cursor keeps the old one.
	if _, err := st.Ingest(Batch{Source: "news", Kind: "rss"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st2, err := Open(path, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	s, err := st2.SourceState("news")
	if err != nil {
		t.Fatal(err)
	}
	if s.Cursor != cur || s.Kind != "rss" {
		t.Fatalf("cursor after reopen = %q kind %q", s.Cursor, s.Kind)
	}
}

func TestIngestSkipsBadMentionsKeepsTheRest(t *testing.T) {
	c := newClock()
	st, _ := openTest(t, c)
	res, err := st.Ingest(Batch{Source: "s", Kind: "rss", Mentions: []Mention{
		mention("", "no id"),
		mention("ok", "fine"),
		mention("nul\x00id", "bad"),
		mention(strings.Repeat("x", 5000), "huge id"),
		{NativeID: "year0", Text: "a broken date", CreatedAt: time.Date(0, 1, 1, 0, 0, 0, 0, time.FixedZone("", 3600))},
	}, Samples: []MentionSample{{Key: ""}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 1 || res.New[0].Key != "rss:ok" {
		t.Fatalf("new = %+v", res.New)
	}
	if len(res.Rejected) != 5 {
		t.Fatalf("rejected %d, want 5: %v", len(res.Rejected), res.Rejected)
	}
	for _, want := range []string{"no native id", "NUL", "too large", "bad mention key", "out of range"} {
		found := false
		for _, e := range res.Rejected {
			found = found || strings.Contains(e.Error(), want)
		}
		if !found {
			t.Errorf("no rejection mentions %q: %v", want, res.Rejected)
		}
	}
}

func TestBrandReplyMarksAnsweredInEitherOrder(t *testing.T) {
	tests := map[string]struct{ replyFirst bool }{
		"reply after mention":  {false},
		"reply before mention": {true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			st, _ := openTest(t, newClock())
			complaint := mention("1", "paket belum sampai")
			reply := Mention{NativeID: "2", Text: "Mohon maaf, Kak. Cek DM ya", ReplyTo: "masto:1", ByBrand: true,
				Author: Author{Handle: "acme_support"}, CreatedAt: complaint.CreatedAt.Add(20 * time.Minute)}
			order := []Mention{complaint, reply}
			if tc.replyFirst {
				order = []Mention{reply, complaint}
			}
			var answered []string
			for _, m := range order {
				res, err := st.Ingest(Batch{Source: "m", Kind: "masto", Mentions: []Mention{m}})
				if err != nil {
					t.Fatal(err)
				}
				answered = append(answered, res.Answered...)
			}
			m, _, _ := st.Mention("masto:1")
			if m.AnsweredAt == nil || !m.AnsweredAt.Equal(reply.CreatedAt) || m.AnsweredBy != "acme_support" {
				t.Fatalf("answered = %v by %q", m.AnsweredAt, m.AnsweredBy)
			}
			if !tc.replyFirst && (len(answered) != 1 || answered[0] != "masto:1") {
				t.Errorf("IngestResult.Answered = %v", answered)
			}
			thread, err := st.Thread("masto:2")
			if err != nil || len(thread) != 2 || thread[0].Key != "masto:1" || thread[1].Key != "masto:2" {
				t.Fatalf("thread = %+v, %v", thread, err)
			}
		})
	}
}

func TestThreadSurvivesReplyCycles(t *testing.T) {
	st, _ := openTest(t, newClock())
	a := mention("a", "a")
	a.ReplyTo = "x:b"
	b := mention("b", "b")
	b.ReplyTo = "x:a"
	if _, err := st.Ingest(Batch{Source: "x", Kind: "x", Mentions: []Mention{a, b}}); err != nil {
		t.Fatal(err)
	}
	done := make(chan []Mention)
	go func() { th, _ := st.Thread("x:a"); done <- th }()
	select {
	case th := <-done:
		if len(th) != 2 {
			t.Fatalf("thread has %d mentions, want 2", len(th))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Thread looped on a reply cycle")
	}
}

func TestEventsAreSequencedPersistedAndSignalled(t *testing.T) {
	c := newClock()
	st, path := openTest(t, c)
	changed := st.Changed()
	if _, err := st.Ingest(Batch{Source: "s", Kind: "rss", Mentions: []Mention{mention("a", "x"), mention("b", "y")}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	case <-time.After(time.Second):
		t.Fatal("Changed not closed after a commit with events")
	}
	evs, err := st.EventsSince(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
		types = append(types, e.Type)
	}
	if got := strings.Join(types, ","); got != "mention.new,mention.new,source.health" {
		t.Fatalf("event types = %s", got)
	}
	if err := st.SaveScores(map[string]Score{"rss:a": {Scorer: "t", Complaint: 0.9}, "rss:missing": {}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st2, err := Open(path, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	last, _ := st2.LastSeq()
	if last != 4 {
		t.Fatalf("last seq after reopen = %d, want 4", last)
	}
	evs, _ = st2.EventsSince(3, 10)
	if len(evs) != 1 || evs[0].Type != EventMentionScored || !bytes.Contains(evs[0].Data, []byte(`"complaint":0.9`)) {
		t.Fatalf("events since 3 = %+v", evs)
	}
	// Sequence numbers continue after a restart, never reused.
	if _, err := st2.Ingest(Batch{Source: "s", Kind: "rss", Mentions: []Mention{mention("c", "z")}}); err != nil {
		t.Fatal(err)
	}
	evs, _ = st2.EventsSince(4, 10)
	if len(evs) == 0 || evs[0].Seq != 5 {
		t.Fatalf("after restart the next seq is %+v, want 5", evs)
	}
}

func TestMentionsFiltersAndPaging(t *testing.T) {
	c := newClock()
	st, _ := openTest(t, c)
	for i := range 30 {
		m := mention(fmt.Sprint(i), fmt.Sprintf("post %d", i))
		src := "a"
		if i%3 == 0 {
			src = "b"
			m.Text = "Kecewa BANGET " + m.Text
		}
		if _, err := st.Ingest(Batch{Source: src, Kind: "rss", Mentions: []Mention{m}}); err != nil {
			t.Fatal(err)
		}
		c.Add(time.Second)
	}
	tests := map[string]struct {
		q     MentionQuery
		count int
		first string
	}{
		"latest first":         {MentionQuery{Limit: 5}, 5, "rss:29"},
		"by source":            {MentionQuery{Source: "b"}, 10, "rss:27"},
		"text case-folded":     {MentionQuery{Text: "kecewa banget"}, 10, "rss:27"},
		"paging before":        {MentionQuery{Before: time.Date(2026, 11, 2, 9, 0, 10, 0, time.UTC), Limit: 3}, 3, "rss:9"},
		"no match":             {MentionQuery{Source: "zzz"}, 0, ""},
		"language needs score": {MentionQuery{Lang: "id"}, 0, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := st.Mentions(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.count {
				t.Fatalf("got %d mentions, want %d", len(got), tc.count)
			}
			if tc.count > 0 && got[0].Key != tc.first {
				t.Errorf("first = %s, want %s", got[0].Key, tc.first)
			}
		})
	}
}

func TestAlertStateAndSourceErrors(t *testing.T) {
	c := newClock()
	st, _ := openTest(t, c)
	a := Alert{ID: AlertID("complaints", "rss:a"), Rule: "complaints", MentionKey: "rss:a", State: AlertOpen, OpenedAt: c.Now(), UpdatedAt: c.Now()}
	if changed, err := st.PutAlert(a); err != nil || !changed {
		t.Fatalf("put: %v %v", changed, err)
	}
	if changed, _ := st.PutAlert(a); changed {
		t.Error("putting the same alert again reported a change")
	}
	got, err := st.SetAlertState(a.ID, AlertAcknowledged, "dina")
	if err != nil || got.State != AlertAcknowledged || got.By != "dina" {
		t.Fatalf("ack: %+v %v", got, err)
	}
	if _, err := st.SetAlertState("nope", AlertResolved, ""); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("unknown alert: %v", err)
	}
	open, _ := st.Alerts(AlertQuery{State: AlertOpen})
	acked, _ := st.Alerts(AlertQuery{State: AlertAcknowledged})
	if len(open) != 0 || len(acked) != 1 {
		t.Fatalf("open=%d acked=%d", len(open), len(acked))
	}

	next := c.Now().Add(time.Minute)
	s, err := st.RecordSourceError("news", "rss", c.Now(), "fetch news: 503", next)
	if err != nil || s.ConsecutiveErrors != 1 || !s.NextAttempt.Equal(next) {
		t.Fatalf("source error: %+v %v", s, err)
	}
	st.RecordSourceError("news", "rss", c.Now(), "again", next)
	if _, err := st.Ingest(Batch{Source: "news", Kind: "rss"}); err != nil {
		t.Fatal(err)
	}
	s, _ = st.SourceState("news")
	if s.ConsecutiveErrors != 0 || !s.NextAttempt.IsZero() || s.LastErrorText != "again" {
		t.Fatalf("after success: %+v", s)
	}
}

func TestOpenRefusesSecondProcessLock(t *testing.T) {
	c := newClock()
	_, path := openTest(t, c)
	_, err := Open(path, Options{Now: c.Now, LockTimeout: 50 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("second open: %v, want a timeout naming the file", err)
	}
}

func TestBackupIsAUsableStore(t *testing.T) {
	c := newClock()
	st, _ := openTest(t, c)
	st.Ingest(Batch{Source: "s", Kind: "rss", Mentions: []Mention{mention("a", "x")}})
	var buf bytes.Buffer
	if _, err := st.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cp, err := Open(path, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if _, ok, _ := cp.Mention("rss:a"); !ok {
		t.Fatal("backup lacks the mention")
	}
}

func TestMentionsPagesInsideOneBatch(t *testing.T) {
	st, _ := openTest(t, newClock())
	var batch []Mention
	for i := range 10 {
		batch = append(batch, mention(fmt.Sprint(i), "x"))
	}
	if _, err := st.Ingest(Batch{Source: "s", Kind: "rss", Mentions: batch}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	q := MentionQuery{Limit: 3}
	for page := 0; page < 10; page++ {
		got, err := st.Mentions(q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		for _, m := range got {
			if seen[m.Key] {
				t.Fatalf("%s returned twice", m.Key)
			}
			seen[m.Key] = true
		}
		last := got[len(got)-1]
		q.Before, q.BeforeKey = last.SeenAt, last.Key
	}
	if len(seen) != 10 {
		t.Fatalf("paging saw %d of 10 mentions", len(seen))
	}
	if _, err := st.SetAlertState("x", AlertAcknowledged, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown alert: %v", err)
	}
	st.PutAlert(Alert{ID: "a", State: AlertResolved})
	if _, err := st.SetAlertState("a", AlertAcknowledged, "dina"); !errors.Is(err, ErrConflict) {
		t.Fatalf("acknowledging a resolved alert: %v, want ErrConflict", err)
	}
}

func TestSourceHealthCountsHoursLagAndCoverage(t *testing.T) {
	c := newClock()
	st, _ := openTest(t, c)
	ingest := func(ids ...string) {
		var ms []Mention
		for _, id := range ids {
			m := mention(id, "x")
			m.CreatedAt = c.Now().Add(-time.Minute)
			ms = append(ms, m)
		}
		if _, err := st.Ingest(Batch{Source: "s", Kind: "rss", Mentions: ms, Coverage: "hashtags only"}); err != nil {
			t.Fatal(err)
		}
	}
	ingest("a", "b")
	c.Add(30 * time.Minute)
	ingest("c")
	c.Add(time.Hour)
	ingest("d")
	c.Add(25 * time.Hour)
	ingest("e", "a") // a is a duplicate: not counted
	s, _ := st.SourceState("s")
	if s.Coverage != "hashtags only" {
		t.Errorf("coverage = %q", s.Coverage)
	}
	if !s.Newest.Equal(c.Now().Add(-time.Minute)) {
		t.Errorf("newest = %v, want the last new mention's time", s.Newest)
	}
	if n := s.ItemsLastDay(c.Now()); n != 1 {
		t.Errorf("items in the last day = %d, want 1 (older hours dropped): %+v", n, s.Hourly)
	}
}

func TestSetHandlingRecordsAnEvent(t *testing.T) {
	st, _ := openTest(t, newClock())
	st.Ingest(Batch{Source: "s", Kind: "rss", Mentions: []Mention{mention("a", "x")}})
	m, err := st.SetHandling("rss:a", ReplyPrivate, "dina", true, "dina")
	if err != nil || m.Handling != ReplyPrivate || m.AssignedTo != "dina" || m.HandledAt == nil {
		t.Fatalf("handling: %+v %v", m, err)
	}
	if _, err := st.SetHandling("rss:a", "bogus", "", false, "x"); err == nil {
		t.Fatal("unknown state accepted")
	}
	if _, err := st.SetHandling("rss:zz", ReplyResolved, "", false, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown mention: %v", err)
	}
	last, _ := st.LastSeq()
	evs, _ := st.EventsSince(last-1, 1)
	if len(evs) != 1 || evs[0].Type != EventMentionHandled {
		t.Fatalf("last event = %+v", evs)
	}
}

// Paging through mentions in the order seen keeps its place inside a batch
// larger than a page (its mentions share one seen time): each mention
// comes once, none is skipped.
func TestMentionsSeenAfterPagesThroughOneBigBatch(t *testing.T) {
	c := newClock()
	st, _ := openTest(t, c)
	start := c.Now()
	big := make([]Mention, 2500)
	for i := range big {
		big[i] = mention(fmt.Sprintf("big%04d", i), "x")
	}
	if _, err := st.Ingest(Batch{Source: "news", Kind: "rss", Mentions: big}); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Second)
	if _, err := st.Ingest(Batch{Source: "news", Kind: "rss", Mentions: []Mention{mention("later", "y")}}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	at := SeenCursor{At: start}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		page, next, err := st.MentionsSeenAfter(at, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page {
			seen[m.Key]++
		}
		if len(page) < 1000 {
			break
		}
		at = next
	}
	if len(seen) != 2501 {
		t.Errorf("%d distinct mentions paged, want 2501", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s paged %d times", k, n)
		}
	}
}
