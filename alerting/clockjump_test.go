package alerting

import (
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

var negativeDuration = regexp.MustCompile(`-\d`)

// The wall clock jumps back (an NTP step, a VM restored) and forward (a
// suspended machine waking): the unanswered clock never shows a negative
// time, alerts already open are not opened again, and repeated sweeps at
// the new time record nothing more: no storm of alerts or events.
func TestPipelineSurvivesClockJumps(t *testing.T) {
	m := complaintMention("0")
	fresh := NewTextScorer().Score(Input{Mention: m, Now: t0})
	urgent := RuleConfig{Name: "urgent", Metric: MetricPriority, Min: fresh.Priority + 0.05}
	f := newFixture(t, complaintRule, urgent)
	const n = 20
	var ms []store.Mention
	for i := range n {
		ms = append(ms, complaintMention(strconv.Itoa(i)))
	}
	f.ingest(t, ms...)
	sweep := func() {
		t.Helper()
		if err := f.p.Sweep(context.Background(), 30*24*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	checkReasons := func(when string) {
		t.Helper()
		for _, m := range ms {
			stored, _, _ := f.st.Mention(store.MentionKey("mastodon", m.NativeID))
			for _, r := range stored.Score.Reasons {
				if negativeDuration.MatchString(r) {
					t.Errorf("%s: negative duration in %q", when, r)
				}
			}
		}
	}
	opened := func() map[string]time.Time {
		out := map[string]time.Time{}
		for _, a := range f.alerts(t) {
			out[a.ID] = a.OpenedAt
		}
		return out
	}

	f.clock.Advance(2 * time.Hour)
	sweep()
	before := opened()
	if len(before) != 2*n {
		t.Fatalf("%d alerts after 2h unanswered, want %d (complaint and urgent for each)", len(before), 2*n)
	}

	// Back 5 hours: the posts now lie in the future.
	f.clock.Advance(-5 * time.Hour)
	sweep()
	checkReasons("after jumping back")
	after := opened()
	if len(after) != len(before) {
		t.Errorf("%d alerts after jumping back, %d before", len(after), len(before))
	}
	for id, at := range before {
		if !after[id].Equal(at) {
			t.Errorf("alert %s reopened (%v, was %v)", id, after[id], at)
		}
	}
	last, _ := f.st.LastSeq()
	sweep()
	if now, _ := f.st.LastSeq(); now != last {
		t.Errorf("a second sweep after jumping back recorded %d events", now-last)
	}

	// Forward 10 days.
	f.clock.Advance(10 * 24 * time.Hour)
	sweep()
	checkReasons("after jumping forward")
	if got := len(opened()); got != 2*n {
		t.Errorf("%d alerts after jumping forward, want still %d", got, 2*n)
	}
	last, _ = f.st.LastSeq()
	sweep()
	if now, _ := f.st.LastSeq(); now != last {
		t.Errorf("a second sweep after jumping forward recorded %d events", now-last)
	}
}
