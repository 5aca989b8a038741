package digest

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"
)

func TestComputeNumbersFromKnownMentions(t *testing.T) {
	loc := mustZone(t, "Asia/Jakarta")
	st := openStore(t)
	storeFixtures(t, st, jakartaFixtures(loc))
	at := time.Date(2026, 11, 23, 8, 0, 0, 0, loc)
	r, err := Compute(context.Background(), StoreSource{Store: st}, Params{Kind: Daily, At: at, Loc: loc, Exclude: []string{"kilat express"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 22, 0, 0, 0, 0, loc); !r.Period.Start.Equal(want) || !r.Period.End.Equal(want.AddDate(0, 0, 1)) {
		t.Fatalf("period = %v .. %v", r.Period.Start, r.Period.End)
	}
	c, p := r.Cur, r.Prev
	ints := []struct {
		name      string
		got, want int
	}{
		{"mentions", c.Mentions, 9}, // c1-c4, n1, n2, b-in, late, o1
		{"complaints", c.Complaints, 4},
		{"severity 1", c.Severity[1], 1}, {"severity 2", c.Severity[2], 1}, {"severity 3", c.Severity[3], 1}, {"severity 4", c.Severity[4], 1},
		{"scored", c.Scored, 8},
		{"positive", c.Positive, 1}, {"neutral", c.Neutral, 3}, {"negative", c.Negative, 4},
		{"answered", c.Answered, 2},
		{"overdue", c.Overdue, 1}, // c4: 31h unanswered, target 1h; c3 is 8h30 into a 24h target
		{"replies", c.Replies, 2}, {"passed", c.Passed, 1},
		{"prev mentions", p.Mentions, 3}, // b-out, p1, p2
		{"prev complaints", p.Complaints, 1},
		{"bins", len(c.Bins), 24},
		{"bin 00 (b-in)", c.Bins[0].Mentions, 1},
		{"bin 10 complaints (c1)", c.Bins[10].Complaints, 1},
		{"bin 23 (c3, late)", c.Bins[23].Mentions, 2},
		{"prev bin 23 (b-out)", p.Bins[23].Mentions, 1},
		{"top complaints", len(r.Top), 4},
	}
	for _, tc := range ints {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
	floats := []struct {
		name      string
		got, want float64
	}{
		{"complaint share", c.ComplaintShare, 4.0 / 9},
		{"sentiment", c.Sentiment, -1.8 / 8},
		{"within target", c.WithinTarget, 0.5},
		{"overdue share", c.OverdueShare, 0.25},
		{"audit pass rate", c.AuditPassRate, 0.5},
		{"prev complaint share", p.ComplaintShare, 1.0 / 3},
	}
	for _, tc := range floats {
		if math.Abs(tc.got-tc.want) > 1e-9 {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if c.RespMedian != 30*time.Minute || c.RespP90 != 3*time.Hour || p.RespMedian != 2*time.Hour {
		t.Errorf("response median %v p90 %v, prev median %v; want 30m, 3h, 2h", c.RespMedian, c.RespP90, p.RespMedian)
	}
	if len(r.Targets) != 2 || r.Targets[0] != time.Hour || r.Targets[1] != 24*time.Hour {
		t.Errorf("targets = %v", r.Targets)
	}
	var order []string
	for _, x := range r.Top {
		order = append(order, x.Key)
	}
	if got := strings.Join(order, " "); got != "rss:c1 appstore:c3 rss:c2 rss:c4" {
		t.Errorf("top complaints by priority = %s", got)
	}
	if len(r.Terms) != 1 || r.Terms[0] != (Term{Term: "paket", Cur: 3, Prev: 1}) {
		t.Errorf("terms = %+v, want paket 3 (prev 1); brand words are excluded", r.Terms)
	}
	if src := findShare(r.BySource, "apps"); src == nil || src.Cur.Mentions != 1 || src.Cur.Complaints != 1 {
		t.Errorf("by source apps = %+v", src)
	}
	if b := findShare(r.ByBrand, "other"); b == nil || b.Cur.Mentions != 1 || b.Cur.Complaints != 0 {
		t.Errorf("by brand other = %+v", b)
	}

	// Limited to one brand, the other brand's mention is gone.
	r2, err := Compute(context.Background(), StoreSource{Store: st}, Params{Kind: Daily, At: at, Loc: loc, Brands: []string{"kilat"}})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Cur.Mentions != 8 || findShare(r2.ByBrand, "other") != nil {
		t.Errorf("brand-limited report: %d mentions, brands %+v", r2.Cur.Mentions, r2.ByBrand)
	}
}

func findShare(ss []Share, name string) *Share {
	for i := range ss {
		if ss[i].Name == name {
			return &ss[i]
		}
	}
	return nil
}

func TestPeriodBoundaries(t *testing.T) {
	jkt := mustZone(t, "Asia/Jakarta")
	ny := mustZone(t, "America/New_York")
	cases := map[string]struct {
		kind       Kind
		at         time.Time
		start, end time.Time
		length     time.Duration
		prevLen    time.Duration
	}{
		"jakarta daily at 08:00": {Daily, time.Date(2026, 11, 23, 8, 0, 0, 0, jkt),
			time.Date(2026, 11, 22, 0, 0, 0, 0, jkt), time.Date(2026, 11, 23, 0, 0, 0, 0, jkt), 24 * time.Hour, 24 * time.Hour},
		"jakarta daily just after midnight": {Daily, time.Date(2026, 11, 23, 0, 0, 1, 0, jkt),
			time.Date(2026, 11, 22, 0, 0, 0, 0, jkt), time.Date(2026, 11, 23, 0, 0, 0, 0, jkt), 24 * time.Hour, 24 * time.Hour},
		"jakarta weekly on Monday": {Weekly, time.Date(2026, 11, 23, 8, 0, 0, 0, jkt),
			time.Date(2026, 11, 16, 0, 0, 0, 0, jkt), time.Date(2026, 11, 23, 0, 0, 0, 0, jkt), 7 * 24 * time.Hour, 7 * 24 * time.Hour},
		// DST ends on Sunday 1 November 2026 in New York: that day has 25 hours.
		"new york daily over the fall-back day": {Daily, time.Date(2026, 11, 2, 8, 0, 0, 0, ny),
			time.Date(2026, 11, 1, 0, 0, 0, 0, ny), time.Date(2026, 11, 2, 0, 0, 0, 0, ny), 25 * time.Hour, 24 * time.Hour},
		"new york daily after the fall-back day": {Daily, time.Date(2026, 11, 3, 8, 0, 0, 0, ny),
			time.Date(2026, 11, 2, 0, 0, 0, 0, ny), time.Date(2026, 11, 3, 0, 0, 0, 0, ny), 24 * time.Hour, 25 * time.Hour},
		"new york weekly across the change": {Weekly, time.Date(2026, 11, 2, 8, 0, 0, 0, ny),
			time.Date(2026, 10, 26, 0, 0, 0, 0, ny), time.Date(2026, 11, 2, 0, 0, 0, 0, ny), 7*24*time.Hour + time.Hour, 7 * 24 * time.Hour},
		// DST starts on Sunday 8 March 2026: 23 hours.
		"new york daily over the spring-forward day": {Daily, time.Date(2026, 3, 9, 8, 0, 0, 0, ny),
			time.Date(2026, 3, 8, 0, 0, 0, 0, ny), time.Date(2026, 3, 9, 0, 0, 0, 0, ny), 23 * time.Hour, 24 * time.Hour},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			loc := tc.start.Location()
			p := PeriodFor(tc.kind, tc.at, loc)
			if !p.Start.Equal(tc.start) || !p.End.Equal(tc.end) {
				t.Fatalf("period = %v .. %v, want %v .. %v", p.Start, p.End, tc.start, tc.end)
			}
			if got := p.End.Sub(p.Start); got != tc.length {
				t.Errorf("length = %v, want %v", got, tc.length)
			}
			prev := p.Previous()
			if !prev.End.Equal(p.Start) || prev.End.Sub(prev.Start) != tc.prevLen {
				t.Errorf("previous = %v .. %v (%v), want it to end at the start and last %v", prev.Start, prev.End, prev.End.Sub(prev.Start), tc.prevLen)
			}
			if prev.Start.In(loc).Hour() != 0 {
				t.Errorf("previous period starts at %v, not midnight", prev.Start)
			}
		})
	}
}

// A daily digest over the 25-hour day has 25 hourly bars, and a mention
// in the repeated hour lands in the right one.
func TestDSTDayBins(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	st := openStore(t)
	// 01:30 EST (the second 01:30 of the day) is 06:30 UTC: the third bar
	// (00-01 EDT, 01-02 EDT, 01-02 EST).
	second130 := time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC)
	storeFixtures(t, st, []fixture{
		{id: "x", text: "x", posted: second130, scored: true, complaint: 0.9, severity: 2},
		{id: "y", text: "y", posted: time.Date(2026, 11, 1, 23, 30, 0, 0, ny), scored: true},
	})
	r, err := Compute(context.Background(), StoreSource{Store: st}, Params{Kind: Daily, At: time.Date(2026, 11, 2, 8, 0, 0, 0, ny), Loc: ny})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Cur.Bins) != 25 {
		t.Fatalf("%d bins, want 25", len(r.Cur.Bins))
	}
	if r.Cur.Bins[2].Complaints != 1 || r.Cur.Bins[24].Mentions != 1 {
		t.Errorf("bins: %+v", r.Cur.Bins)
	}
}

func TestScheduleInZone(t *testing.T) {
	jkt := mustZone(t, "Asia/Jakarta")
	s, err := ParseSchedule("0 8 * * 1", jkt)
	if err != nil {
		t.Fatal(err)
	}
	// Sunday 22 Nov 2026 noon UTC: next is Monday 23 Nov 08:00 WIB = 01:00 UTC.
	next := s.Next(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC); !next.Equal(want) {
		t.Errorf("next = %v, want %v", next, want)
	}
	last, ok := LastFire(s, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 11, 30, 8, 0, 0, 0, jkt); !ok || !last.Equal(want) {
		t.Errorf("last fire = %v %v, want %v", last, ok, want)
	}
	for _, bad := range []string{"", "@every 1h", "CRON_TZ=UTC 0 8 * * *", "0 8 * *", "61 8 * * *", "0 8 30 2 *"} {
		if _, err := ParseSchedule(bad, jkt); err == nil {
			t.Errorf("ParseSchedule(%q) accepted", bad)
		}
	}
}
