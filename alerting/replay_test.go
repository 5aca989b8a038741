package alerting

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/alerting/textmodel"
	"github.com/pantau/pantau/store"
)

// replayFile is a recorded sequence of collector batches (mentions,
// engagement samples, brand replies) and the flags that must be raised and
// cleared along the way.
type replayFile struct {
	Start      time.Time `json:"start"`
	End        string    `json:"end"`
	SweepEvery string    `json:"sweep_every"`
	Scoring    struct {
		Timezone   string   `json:"timezone"`
		Days       []string `json:"days"`
		Start, End string
	} `json:"scoring"`
	Rules  []RuleConfig `json:"rules"`
	Watch  []string     `json:"watch"`
	Events []struct {
		At       string                `json:"at"`
		Source   string                `json:"source"`
		Kind     string                `json:"kind"`
		Mentions []store.Mention       `json:"mentions"`
		Samples  []store.MentionSample `json:"samples"`
	} `json:"events"`
	Expect []transition `json:"expect"`
}

// transition is what changed on one mention at one sweep: flags raised and
// cleared. Flags are "viral" (virality at the viral rule's threshold),
// "overdue", "escalated", and "alert:<rule>" while that alert is open or
// acknowledged.
type transition struct {
	At    string   `json:"at"`
	Key   string   `json:"key"`
	Raise []string `json:"raise,omitempty"`
	Clear []string `json:"clear,omitempty"`
}

func (tr transition) String() string {
	return fmt.Sprintf("%s %s +%v -%v", tr.At, tr.Key, tr.Raise, tr.Clear)
}

func mustDur(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestReplay runs testdata/replay.json through the pipeline with an
// injected clock and a sweep every few minutes, and checks that exactly the
// expected flags are raised and cleared at the expected times.
func TestReplay(t *testing.T) { replay(t, NewTextScorer()) }

// TestReplayTextModel tells the same story with the trained model. The
// model is built and tuned elsewhere, so this is opt-in:
//
//	PANTAU_REPLAY_TEXTMODEL=1 go test ./alerting/ -run TestReplayTextModel -v
func TestReplayTextModel(t *testing.T) {
	if os.Getenv("PANTAU_REPLAY_TEXTMODEL") != "1" {
		t.Skip("set PANTAU_REPLAY_TEXTMODEL=1 to replay with alerting/textmodel")
	}
	replay(t, TextModel(textmodel.Default()))
}

func replay(t *testing.T, text TextAnalyzer) {
	data, err := os.ReadFile(filepath.Join("testdata", "replay.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rf replayFile
	if err := json.Unmarshal(data, &rf); err != nil {
		t.Fatal(err)
	}
	if err := ValidateRules("rules", rf.Rules); err != nil {
		t.Fatal(err)
	}
	viralMin := 0.0
	for _, r := range rf.Rules {
		if r.Metric == MetricVirality {
			viralMin = r.Min
		}
	}
	scoring := ScoringConfig{ClockConfig: ClockConfig{Timezone: rf.Scoring.Timezone,
		BusinessHours: &BusinessHours{Days: rf.Scoring.Days, Start: rf.Scoring.Start, End: rf.Scoring.End}}}

	clk := &clock{t: rf.Start}
	st, err := store.Open(filepath.Join(t.TempDir(), "replay.db"), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sc, err := NewScorer(scoring, text, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	p := NewPipeline(st, sc, rf.Rules, slog.New(slog.NewTextHandler(logs, nil)), clk.Now)

	flags := func(key string) []string {
		var out []string
		m, ok, err := st.Mention(key)
		if err != nil {
			t.Fatal(err)
		}
		if !ok || m.Score == nil {
			return nil
		}
		if viralMin > 0 && m.Score.Virality >= viralMin {
			out = append(out, "viral")
		}
		if m.Score.Overdue > 0 {
			out = append(out, "overdue")
		}
		if m.Score.Escalated {
			out = append(out, "escalated")
		}
		for _, r := range rf.Rules {
			if a, ok, _ := st.Alert(store.AlertID(r.Name, key)); ok && a.State != store.AlertResolved {
				out = append(out, "alert:"+r.Name)
			}
		}
		return out
	}

	end, step := mustDur(t, rf.End), mustDur(t, rf.SweepEvery)
	byTick := map[time.Duration][]int{}
	for i, ev := range rf.Events {
		at := mustDur(t, ev.At)
		if at%step != 0 || at > end {
			t.Fatalf("event %d at %s is not on a sweep tick", i, ev.At)
		}
		byTick[at] = append(byTick[at], i)
	}
	prev := map[string][]string{}
	var got []transition
	ctx := context.Background()
	for tick := time.Duration(0); tick <= end; tick += step {
		clk.mu.Lock()
		clk.t = rf.Start.Add(tick)
		clk.mu.Unlock()
		for _, i := range byTick[tick] {
			ev := rf.Events[i]
			res, err := p.Ingest(ctx, store.Batch{Source: ev.Source, Kind: ev.Kind, At: clk.Now(), Mentions: ev.Mentions, Samples: ev.Samples})
			if err != nil || len(res.Rejected) > 0 {
				t.Fatalf("ingest at %s: %v %v", ev.At, err, res.Rejected)
			}
		}
		if err := p.Sweep(ctx, 24*time.Hour); err != nil {
			t.Fatalf("sweep at %s: %v", tick, err)
		}
		for _, key := range rf.Watch {
			now := flags(key)
			tr := transition{At: tick.String(), Key: key}
			for _, f := range now {
				if !slices.Contains(prev[key], f) {
					tr.Raise = append(tr.Raise, f)
				}
			}
			for _, f := range prev[key] {
				if !slices.Contains(now, f) {
					tr.Clear = append(tr.Clear, f)
				}
			}
			if len(tr.Raise)+len(tr.Clear) > 0 {
				got = append(got, tr)
			}
			prev[key] = now
		}
	}

	norm := func(trs []transition) []string {
		var out []string
		for _, tr := range trs {
			tr.At = mustDur(t, tr.At).String() // "1h5m" and "1h5m0s" alike
			slices.Sort(tr.Raise)
			slices.Sort(tr.Clear)
			out = append(out, tr.String())
		}
		return out
	}
	if g, w := norm(got), norm(rf.Expect); !slices.Equal(g, w) {
		t.Errorf("transitions\ngot:\n  %s\nwant:\n  %s", strings.Join(g, "\n  "), strings.Join(w, "\n  "))
	}

	// What the story says beyond the flags.
	get := func(key string) store.Mention {
		m, _, _ := st.Mention(key)
		if m.Score == nil {
			t.Fatalf("%s not scored", key)
		}
		return m
	}
	budi := get("mastodon:101")
	if budi.Score.ReplyState != store.ReplyPrivate || budi.Score.Case != "mastodon:101" {
		t.Errorf("Budi's post: %+v", budi.Score)
	}
	for _, k := range []string{"bluesky:at://budi/1", "mastodon:102"} {
		if c := get(k).Score.Case; c != "mastodon:101" {
			t.Errorf("%s: case %q, want Budi's first post", k, c)
		}
	}
	for _, k := range []string{"bluesky:at://sari/1", "mastodon:105"} {
		if c := get(k).Score.Case; c != "" {
			t.Errorf("%s: grouped into %q", k, c)
		}
	}
	if s := get("bluesky:at://sari/1").Score; s.ReplyState != store.ReplyAnswered {
		t.Errorf("Sari's post: %+v", s)
	}
	if s := get("mastodon:104").Score; s.ReplyState != store.ReplyNotNeeded || s.Priority != 0 {
		t.Errorf("praise: %+v", s)
	}
	// Eko posted at 19:45; at 21:00 only 15 minutes of business time have
	// passed, and the reply is due on Monday morning.
	if s := get("mastodon:105").Score; s.Overdue != 0 || !hasReason(s.Reasons, "reply due 17 Mar 08:45 WIB, target 1h of business hours") {
		t.Errorf("Eko's post: %+v", s)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", logs)
	}
}
