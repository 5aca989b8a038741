package digest

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

// fixture is a mention to store: when it was posted, when Pantau stored
// it, and what the scorer said.
type fixture struct {
	id        string
	kind      string
	source    string
	brand     string
	text      string
	author    string
	url       string
	posted    time.Time
	seen      time.Time // zero: a minute after posted
	byBrand   bool
	verdict   string // brand replies: audit verdict
	scored    bool
	complaint float64
	severity  int
	sentiment float64
	priority  float64
	target    time.Duration
	answered  time.Duration // after posted; zero: unanswered
	handling  store.ReplyState
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "pantau.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// storeFixtures stores the fixtures, each in its own batch at its seen time.
func storeFixtures(t *testing.T, st *store.Store, fs []fixture) {
	t.Helper()
	for _, f := range fs {
		kind := f.kind
		if kind == "" {
			kind = "rss"
		}
		src := f.source
		if src == "" {
			src = "social"
		}
		brand := f.brand
		if brand == "" {
			brand = "kilat"
		}
		author := f.author
		if author == "" {
			author = "cust-" + f.id
		}
		m := store.Mention{Kind: kind, Source: src, NativeID: f.id, Brand: brand, Text: f.text, URL: f.url,
			Author: store.Author{Handle: author}, CreatedAt: f.posted, ByBrand: f.byBrand, Handling: f.handling}
		sc := &store.Score{Scorer: "test", Lang: "id", Scored: f.scored, Complaint: f.complaint, Severity: f.severity,
			Sentiment: f.sentiment, Priority: f.priority, Target: f.target}
		if f.byBrand {
			sc = &store.Score{Scorer: "test", Audit: &store.Audit{Verdict: f.verdict}}
		}
		m.Score = sc
		if f.answered > 0 {
			at := f.posted.Add(f.answered)
			if f.handling != "" {
				m.HandledAt = &at
			} else {
				m.AnsweredAt = &at
			}
		}
		seen := f.seen
		if seen.IsZero() {
			seen = f.posted.Add(time.Minute)
		}
		res, err := st.Ingest(store.Batch{Source: src, Kind: kind, At: seen, Mentions: []store.Mention{m}})
		if err != nil || len(res.New) != 1 {
			t.Fatalf("ingest %s: %v %+v", f.id, err, res)
		}
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// jakartaFixtures is a day of known mentions: the daily digest made at
// 2026-11-23 08:00 WIB reports on Sunday 22 November (WIB), against
// Saturday 21 November.
func jakartaFixtures(loc *time.Location) []fixture {
	d := func(day, h, m, s int) time.Time { return time.Date(2026, 11, day, h, m, s, 0, loc) }
	return []fixture{
		{id: "c1", text: "Paket saya hilang! <script>alert(1)</script> email dina.r92@gmail.com hp 0812-3456-7890 @kilatexpress",
			author: "dina.r92@gmail.com", url: "https://social.example/p/c1",
			posted: d(22, 10, 0, 0), scored: true, complaint: 0.9, severity: 3, sentiment: -0.8, priority: 0.9, target: time.Hour, answered: 30 * time.Minute},
		{id: "c2", text: "paket rusak, kilat express parah", posted: d(22, 12, 0, 0), scored: true, complaint: 0.8, severity: 2, sentiment: -0.5, priority: 0.7, target: time.Hour, answered: 3 * time.Hour},
		{id: "c3", kind: "appstore", source: "apps", text: "app crashes when tracking paket", posted: d(22, 23, 30, 0),
			scored: true, complaint: 0.7, severity: 4, sentiment: -0.9, priority: 0.8, target: 24 * time.Hour},
		{id: "c4", text: "refund belum masuk, kecewa", posted: d(22, 1, 0, 0), scored: true, complaint: 0.6, severity: 1, sentiment: -0.2, priority: 0.5, target: time.Hour},
		{id: "n1", text: "thanks kilat, fast", posted: d(22, 9, 0, 0), scored: true, complaint: 0.1, sentiment: 0.6},
		{id: "n2", text: "???", posted: d(22, 18, 0, 0)},
		{id: "r1", byBrand: true, verdict: "ok", text: "Mohon maaf kak, kami cek ya", posted: d(22, 10, 30, 0)},
		{id: "r2", byBrand: true, verdict: "violation", text: "cek sendiri", posted: d(22, 15, 0, 0)},
		// The first second of the day is in it; the last second before it is not.
		{id: "b-in", text: "kilat", posted: d(22, 0, 0, 0), scored: true, complaint: 0.1},
		{id: "b-out", text: "kilat", posted: d(21, 23, 59, 59), scored: true, complaint: 0.1},
		// Posted in the period, stored after it but before the digest.
		{id: "late", text: "kilat", posted: d(22, 23, 50, 0), seen: d(23, 2, 0, 0), scored: true, complaint: 0.1},
		// Stored after the digest was made: not in it.
		{id: "after", text: "kilat", posted: d(22, 20, 0, 0), seen: d(23, 9, 0, 0), scored: true, complaint: 0.9, severity: 4, priority: 1},
		{id: "o1", brand: "other", text: "other brand", posted: d(22, 14, 0, 0), scored: true, complaint: 0.1},
		// The previous day.
		{id: "p1", text: "paket telat", posted: d(21, 10, 0, 0), scored: true, complaint: 0.9, severity: 2, sentiment: -0.6, priority: 0.6, target: time.Hour, answered: 2 * time.Hour},
		{id: "p2", text: "ok", posted: d(21, 11, 0, 0), scored: true, complaint: 0.1, sentiment: 0.3},
		// Two days before: in neither period.
		{id: "old", text: "paket", posted: d(20, 11, 0, 0), scored: true, complaint: 0.9},
	}
}
