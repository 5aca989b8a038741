package alerting

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

func TestSpikeThreshold(t *testing.T) {
	for name, tc := range map[string]struct {
		history  []int
		k        float64
		minCount int
		want     float64
	}{
		"quiet brand: the minimum count":     {[]int{0, 1, 0, 2}, 3, 10, 10},
		"steady: median + k·sqrt(median)":    {[]int{20, 20, 20, 20}, 3, 5, 34},  // 20 + 3·4.47
		"one past spike does not lift it":    {[]int{10, 12, 11, 90}, 3, 5, 22},  // median 11.5, MAD 1 -> sqrt floor 3.39
		"varied: the MAD spread wins":        {[]int{10, 30, 50, 70}, 2, 5, 100}, // median 40, MAD 20 -> 29.65
		"no history: the minimum count only": {nil, 3, 10, 10},
	} {
		t.Run(name, func(t *testing.T) {
			if _, got := spikeThreshold(tc.history, tc.k, tc.minCount); got != tc.want {
				t.Errorf("threshold = %v, want %v", got, tc.want)
			}
		})
	}
}

// ingestComplaints stores n complaints of brand acme written at at.
func (f *fixture) ingestComplaints(t *testing.T, prefix string, n int, at time.Time) {
	t.Helper()
	var ms []store.Mention
	for i := range n {
		m := complaintMention(fmt.Sprintf("%s-%d", prefix, i))
		m.CreatedAt = at
		m.Author.Handle = fmt.Sprintf("user%d", i) // not one author's follow-ups
		m.Text = fmt.Sprintf("paket %d hilang, kecewa bgt min, mana tanggung jawabnya", i)
		ms = append(ms, m)
	}
	f.ingest(t, ms...)
}

// A spike is one alert, updated while it lasts and resolved when the
// volume is back to normal; the usual level is the same hour of the week.
func TestSpikeOneAlertPerSpike(t *testing.T) {
	f := newFixture(t)
	f.p.WithSpikes([]SpikeConfig{{Name: "spike", Weeks: 3, K: 3, MinCount: 8}})
	ctx := context.Background()
	check := func() {
		t.Helper()
		if err := f.p.CheckSpikes(ctx); err != nil {
			t.Fatal(err)
		}
	}
	spikes := func() []store.Alert {
		var out []store.Alert
		for _, a := range f.alerts(t) {
			if a.Rule == "spike" {
				out = append(out, a)
			}
		}
		return out
	}
	// Three weeks of the same hour with 4 complaints each.
	for w := 3; w >= 1; w-- {
		f.ingestComplaints(t, fmt.Sprintf("w%d", w), 4, f.clock.Now().Add(-30*time.Minute))
		check()
		f.clock.Advance(7 * 24 * time.Hour)
	}
	if n := len(spikes()); n != 0 {
		t.Fatalf("%d spike alerts for the usual volume", n)
	}
	// Now: 6 in the hour is above usual but under min_count: no page.
	f.ingestComplaints(t, "now-a", 6, f.clock.Now().Add(-20*time.Minute))
	check()
	if n := len(spikes()); n != 0 {
		t.Fatalf("%d spike alerts under min_count", n)
	}
	// 12 more: a spike. Threshold: median 4 + 3·2 = 10, min 8.
	f.ingestComplaints(t, "now-b", 12, f.clock.Now().Add(-10*time.Minute))
	check()
	got := spikes()
	if len(got) != 1 || got[0].State != store.AlertOpen || got[0].Brand != "acme" || !strings.Contains(got[0].Summary, "18 complaints in the last hour") {
		t.Fatalf("spike alerts = %+v", got)
	}
	id := got[0].ID
	// It goes on, with more posts: the same alert, updated.
	f.clock.Advance(5 * time.Minute)
	f.ingestComplaints(t, "now-c", 30, f.clock.Now().Add(-time.Minute))
	check()
	got = spikes()
	if len(got) != 1 || got[0].ID != id || !strings.Contains(got[0].Summary, "48 complaints") {
		t.Fatalf("after more posts: %+v", got)
	}
	// An hour and a half later the hour is quiet: resolved, still one.
	f.clock.Advance(90 * time.Minute)
	check()
	got = spikes()
	if len(got) != 1 || got[0].State != store.AlertResolved || !strings.Contains(strings.Join(got[0].Reasons, " "), "back to normal") {
		t.Fatalf("after the spike: %+v", got)
	}
	// A later spike is a new alert with its own id.
	f.ingestComplaints(t, "later", 20, f.clock.Now().Add(-time.Minute))
	check()
	if got = spikes(); len(got) != 2 {
		t.Fatalf("a second spike: %d alerts", len(got))
	}
}

func TestValidateSpikes(t *testing.T) {
	err := ValidateSpikes("spikes", []SpikeConfig{{Name: "complaint", K: -1, Weeks: 40}, {Name: ""}}, []RuleConfig{complaintRule, {Name: "complaint"}})
	for _, want := range []string{`spikes[0].name: "complaint" is also a rule's name`, "spikes[0].k:", "spikes[0].weeks:", "spikes[1].name: required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}

// The pipeline keeps an open alert current without overwriting what the
// router set on it (its escalation level and snooze).
func TestPipelineKeepsRouterFields(t *testing.T) {
	f := newFixture(t, complaintRule)
	f.ingest(t, complaintMention("1"))
	id := store.AlertID(complaintRule.Name, "mastodon:1")
	until := f.clock.Now().Add(time.Hour)
	if _, err := f.st.UpdateAlert(id, func(a *store.Alert) error { a.Level, a.SnoozedUntil = 2, &until; return nil }); err != nil {
		t.Fatal(err)
	}
	before, _ := f.alert(t, id)
	f.clock.Advance(3 * time.Hour) // the unanswered clock changes the reasons
	if err := f.p.Sweep(context.Background(), 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	after, _ := f.alert(t, id)
	if after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Fatal("the sweep did not update the alert; the test proves nothing")
	}
	if after.Level != 2 || after.SnoozedUntil == nil || !after.SnoozedUntil.Equal(until) {
		t.Fatalf("router fields lost: level %d, snoozed until %v", after.Level, after.SnoozedUntil)
	}
}
