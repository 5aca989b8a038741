package alerting

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

// clock is the injected time: tests move it, they never sleep.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer collects log output from concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	path  string
	clock *clock
	st    *store.Store
	p     *Pipeline
	logs  *syncBuffer
	rules []RuleConfig
}

func newFixture(t *testing.T, rules ...RuleConfig) *fixture {
	t.Helper()
	f := &fixture{path: filepath.Join(t.TempDir(), "p.db"), clock: &clock{t: t0}, logs: &syncBuffer{}, rules: rules}
	f.open(t)
	return f
}

// open opens (or reopens) the store file and builds a new pipeline on it,
// as a restarted daemon would.
func (f *fixture) open(t *testing.T) {
	t.Helper()
	st, err := store.Open(f.path, store.Options{Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
	logger := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.p = NewPipeline(st, NewTextScorer(), f.rules, logger, f.clock.Now)
}

func (f *fixture) reopen(t *testing.T) {
	t.Helper()
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	f.open(t)
}

func (f *fixture) ingest(t *testing.T, ms ...store.Mention) store.IngestResult {
	t.Helper()
	res, err := f.p.Ingest(context.Background(), store.Batch{Source: "masto-id", Kind: "mastodon", At: f.clock.Now(), Mentions: ms})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *fixture) alert(t *testing.T, id string) (store.Alert, bool) {
	t.Helper()
	a, ok, err := f.st.Alert(id)
	if err != nil {
		t.Fatal(err)
	}
	return a, ok
}

func (f *fixture) alerts(t *testing.T) []store.Alert {
	t.Helper()
	list, err := f.st.Alerts(store.AlertQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// events counts stored events of a type.
func (f *fixture) events(t *testing.T, typ string) int {
	t.Helper()
	evs, err := f.st.EventsSince(0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func complaintMention(id string) store.Mention {
	return store.Mention{
		NativeID:  id,
		Brand:     "acme",
		Author:    store.Author{Handle: "budi"},
		Text:      "udh 3 hari paket blm nyampe, kecewa bgt min",
		CreatedAt: t0,
	}
}

func brandReply(id, to string) store.Mention {
	return store.Mention{
		NativeID:  id,
		Brand:     "acme",
		Author:    store.Author{Handle: "acme_support"},
		Text:      "Mohon maaf kak, kami cek dulu ya. Boleh DM nomor pesanannya?",
		CreatedAt: t0.Add(20 * time.Minute),
		ByBrand:   true,
		ReplyTo:   to,
	}
}

var complaintRule = RuleConfig{Name: "complaints", Metric: MetricComplaint, Min: 0.7}

func TestPipelineComplaintLifecycle(t *testing.T) {
	f := newFixture(t, complaintRule)
	key := store.MentionKey("mastodon", "1")
	id := store.AlertID("complaints", key)

	// A new complaint opens an alert, scored before it was stored.
	batch := []store.Mention{complaintMention("1"), {NativeID: "2", Text: "Pelayanannya ramah dan cepat, mantap kak!", CreatedAt: t0}}
	res := f.ingest(t, batch...)
	if len(res.New) != 2 {
		t.Fatalf("New = %d", len(res.New))
	}
	if batch[0].Score != nil {
		t.Error("Ingest changed the caller's batch")
	}
	m, _, err := f.st.Mention(key)
	if err != nil || m.Score == nil || m.Score.Complaint < 0.7 || m.Score.Lang != LangID {
		t.Fatalf("stored mention not scored: %+v, %v", m.Score, err)
	}
	a, ok := f.alert(t, id)
	if !ok || a.State != store.AlertOpen || a.Rule != "complaints" || a.MentionKey != key || a.Source != "masto-id" || a.Brand != "acme" {
		t.Fatalf("alert = %+v, %v", a, ok)
	}
	if a.Priority != m.Score.Priority || !equalStrings(a.Reasons, m.Score.Reasons) || !a.OpenedAt.Equal(t0) {
		t.Errorf("alert does not carry the score: %+v vs %+v", a, m.Score)
	}
	if !strings.Contains(a.Summary, "complaint") || !strings.Contains(a.Summary, "@budi") || !strings.Contains(a.Summary, "kecewa bgt") {
		t.Errorf("Summary = %q", a.Summary)
	}
	if n := len(f.alerts(t)); n != 1 {
		t.Errorf("%d alerts, praise must not open one", n)
	}
	if n := f.events(t, store.EventAlert); n != 1 {
		t.Errorf("%d alert events, want 1", n)
	}

	// The same batch again opens nothing twice.
	f.clock.Advance(time.Minute)
	res = f.ingest(t, batch...)
	if len(res.New) != 0 || res.Duplicates != 2 {
		t.Errorf("second ingest: New %d Duplicates %d", len(res.New), res.Duplicates)
	}
	if n := f.events(t, store.EventAlert); n != 1 {
		t.Errorf("%d alert events after a duplicate batch, want 1", n)
	}

	// The brand's reply resolves it, by the system, saying who answered.
	f.clock.Advance(19 * time.Minute)
	res = f.ingest(t, brandReply("r1", key))
	if len(res.Answered) != 1 || res.Answered[0] != key {
		t.Fatalf("Answered = %v", res.Answered)
	}
	a, _ = f.alert(t, id)
	if a.State != store.AlertResolved || a.By != "" || a.Reasons[len(a.Reasons)-1] != "answered by @acme_support" {
		t.Errorf("after the reply: %+v", a)
	}
	if !a.UpdatedAt.Equal(t0.Add(20 * time.Minute)) {
		t.Errorf("UpdatedAt = %v", a.UpdatedAt)
	}
	reply, _, _ := f.st.Mention(store.MentionKey("mastodon", "r1"))
	if reply.Score == nil || reply.Score.Complaint != 0 || reply.Score.Reasons[0] != ReasonBrandReply {
		t.Errorf("brand reply score = %+v", reply.Score)
	}
	if n := len(f.alerts(t)); n != 1 {
		t.Errorf("%d alerts; a brand reply must not open one", n)
	}

	// A later sweep does not reopen it.
	f.clock.Advance(3 * time.Hour)
	if err := f.p.Sweep(context.Background(), 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if a, _ = f.alert(t, id); a.State != store.AlertResolved {
		t.Errorf("sweep reopened a resolved alert: %+v", a)
	}
}

func TestPipelineBrandPostsNeverAlert(t *testing.T) {
	f := newFixture(t, RuleConfig{Name: "any", Metric: MetricComplaint, Min: 0.01})
	post := store.Mention{NativeID: "b1", ByBrand: true, Text: "Paket hilang? Kecewa? Refund kami proses hari ini, mohon maaf!", CreatedAt: t0}
	f.ingest(t, post)
	f.clock.Advance(5 * time.Hour)
	if err := f.p.Sweep(context.Background(), 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if list := f.alerts(t); len(list) != 0 {
		t.Errorf("brand post opened alerts: %+v", list)
	}
}

func TestPipelineSweep(t *testing.T) {
	// Find the complaint's fresh priority, then set a priority rule just
	// above it: only the unanswered clock can cross it.
	m := complaintMention("1")
	fresh := NewTextScorer().Score(Input{Mention: m, Now: t0})
	urgent := RuleConfig{Name: "urgent", Metric: MetricPriority, Min: fresh.Priority + 0.05}
	f := newFixture(t, complaintRule, urgent)
	key := store.MentionKey("mastodon", "1")
	urgentID := store.AlertID("urgent", key)

	f.ingest(t, m, complaintMention("2"))
	if _, ok := f.alert(t, urgentID); ok {
		t.Fatal("priority alert opened before the clock ran")
	}
	// Mention 2's complaint alert is acknowledged by a person: sweeps
	// must not reopen or rewrite it.
	ack, err := f.p.Acknowledge(store.AlertID("complaints", store.MentionKey("mastodon", "2")), "sari")
	if err != nil || ack.State != store.AlertAcknowledged || ack.By != "sari" {
		t.Fatalf("Acknowledge = %+v, %v", ack, err)
	}

	// Within the target nothing changes, so nothing is saved.
	scored := f.events(t, store.EventMentionScored)
	f.clock.Advance(30 * time.Minute)
	if err := f.p.Sweep(context.Background(), 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := f.events(t, store.EventMentionScored); n != scored {
		t.Errorf("sweep saved %d unchanged scores", n-scored)
	}

	// Past the target the clock raises priority and the rule fires.
	f.clock.Advance(90 * time.Minute)
	if err := f.p.Sweep(context.Background(), 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	stored, _, _ := f.st.Mention(key)
	if stored.Score.Priority <= fresh.Priority || !hasReason(stored.Score.Reasons, "unanswered 2h, target 1h") {
		t.Errorf("after 2h: %+v (fresh priority %v)", stored.Score, fresh.Priority)
	}
	if n := f.events(t, store.EventMentionScored); n != scored+2 {
		t.Errorf("%d score events, want 2 (one per changed mention)", n-scored)
	}
	a, ok := f.alert(t, urgentID)
	if !ok || a.State != store.AlertOpen || a.Priority != stored.Score.Priority || !a.OpenedAt.Equal(f.clock.Now()) {
		t.Fatalf("urgent alert = %+v, %v", a, ok)
	}
	// The open complaint alert was refreshed with the new priority; the
	// acknowledged one was left alone.
	c1, _ := f.alert(t, store.AlertID("complaints", key))
	if c1.Priority != stored.Score.Priority || !hasReason(c1.Reasons, "unanswered") || !c1.OpenedAt.Equal(t0) {
		t.Errorf("open complaint alert not refreshed: %+v", c1)
	}
	c2, _ := f.alert(t, ack.ID)
	if c2.State != store.AlertAcknowledged || c2.Priority != ack.Priority || !c2.UpdatedAt.Equal(ack.UpdatedAt) {
		t.Errorf("acknowledged alert changed: %+v", c2)
	}

	// A second sweep at the same time changes nothing at all.
	last, _ := f.st.LastSeq()
	if err := f.p.Sweep(context.Background(), 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if now, _ := f.st.LastSeq(); now != last {
		t.Errorf("idle sweep recorded %d events", now-last)
	}

	// Mentions outside the window are left alone.
	f.clock.Advance(48 * time.Hour)
	if err := f.p.Sweep(context.Background(), time.Hour); err != nil {
		t.Fatal(err)
	}
	if now, _ := f.st.LastSeq(); now != last {
		t.Errorf("sweep touched mentions outside its window")
	}
}

func TestPipelineSweepSamples(t *testing.T) {
	f := newFixture(t, RuleConfig{Name: "viral", Metric: MetricVirality, Min: 0.5})
	key := store.MentionKey("mastodon", "1")
	f.ingest(t, complaintMention("1"))
	if _, ok := f.alert(t, store.AlertID("viral", key)); ok {
		t.Fatal("viral alert before any reposts")
	}
	// A collector re-polls the mention and stores samples; the sweep
	// turns them into virality.
	f.clock.Advance(30 * time.Minute)
	_, err := f.p.Ingest(context.Background(), store.Batch{Source: "masto-id", Kind: "mastodon", At: f.clock.Now(), Samples: []store.MentionSample{
		{Key: key, Sample: store.Sample{At: t0.Add(10 * time.Minute), Reposts: ptr[int64](1)}},
		{Key: key, Sample: store.Sample{At: t0.Add(30 * time.Minute), Reposts: ptr[int64](41)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.p.Sweep(context.Background(), 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	a, ok := f.alert(t, store.AlertID("viral", key))
	if !ok || !hasReason(a.Reasons, "40 reposts in 20m") {
		t.Errorf("viral alert = %+v, %v", a, ok)
	}
}

func TestPipelineBatchSamplesScoreNewMentions(t *testing.T) {
	f := newFixture(t, RuleConfig{Name: "viral", Metric: MetricVirality, Min: 0.5})
	m := complaintMention("1")
	key := store.MentionKey("mastodon", "1")
	_, err := f.p.Ingest(context.Background(), store.Batch{Source: "masto-id", Kind: "mastodon", At: t0.Add(time.Hour), Mentions: []store.Mention{m},
		Samples: []store.MentionSample{{Key: key, Sample: store.Sample{At: t0.Add(time.Hour), Reposts: ptr[int64](120)}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.alert(t, store.AlertID("viral", key)); !ok {
		t.Error("the batch's own samples were not used to score its mentions")
	}
}

func TestPipelineReplyStoredFirst(t *testing.T) {
	f := newFixture(t, complaintRule)
	key := store.MentionKey("mastodon", "1")
	// The reply arrives in an earlier poll than the post it answers.
	f.ingest(t, brandReply("r1", key))
	f.clock.Advance(3 * time.Hour)
	f.ingest(t, complaintMention("1"))
	m, _, _ := f.st.Mention(key)
	if m.AnsweredAt == nil || m.Score == nil || !hasReason(m.Score.Reasons, "answered by @acme_support after 20m") || hasReason(m.Score.Reasons, "unanswered") {
		t.Errorf("score of an already answered mention: %+v", m.Score)
	}
	if list := f.alerts(t); len(list) != 0 {
		t.Errorf("alert opened for an answered mention: %+v", list)
	}
}

func TestPipelineRejectedInputIsLogged(t *testing.T) {
	f := newFixture(t, complaintRule)
	res := f.ingest(t, store.Mention{Text: "no id, kecewa"}, complaintMention("1"))
	if len(res.Rejected) != 1 || len(res.New) != 1 {
		t.Fatalf("Rejected %v New %d", res.Rejected, len(res.New))
	}
	if logs := f.logs.String(); !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "skipped invalid input") || !strings.Contains(logs, "no native id") {
		t.Errorf("rejection not logged:\n%s", logs)
	}
	if len(f.alerts(t)) != 1 {
		t.Error("the valid mention of the batch did not alert")
	}
}

func TestPipelineCanceled(t *testing.T) {
	f := newFixture(t, complaintRule)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.p.Ingest(ctx, store.Batch{Source: "s", Mentions: []store.Mention{complaintMention("1")}}); !errors.Is(err, context.Canceled) {
		t.Errorf("Ingest: %v", err)
	}
	if err := f.p.Sweep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sweep: %v", err)
	}
}

func TestAlertStateMachine(t *testing.T) {
	f := newFixture(t, complaintRule)
	f.ingest(t, complaintMention("1"), complaintMention("2"))
	id1 := store.AlertID("complaints", store.MentionKey("mastodon", "1"))
	id2 := store.AlertID("complaints", store.MentionKey("mastodon", "2"))

	steps := []struct {
		name  string
		do    func() (store.Alert, error)
		state store.AlertState
		by    string
		err   error
	}{
		{"acknowledge open", func() (store.Alert, error) { return f.p.Acknowledge(id1, "sari") }, store.AlertAcknowledged, "sari", nil},
		{"acknowledge again is a no-op", func() (store.Alert, error) { return f.p.Acknowledge(id1, "tono") }, store.AlertAcknowledged, "sari", nil},
		{"resolve acknowledged", func() (store.Alert, error) { return f.p.Resolve(id1, "tono") }, store.AlertResolved, "tono", nil},
		{"resolve again is a no-op", func() (store.Alert, error) { return f.p.Resolve(id1, "sari") }, store.AlertResolved, "tono", nil},
		{"acknowledge resolved is refused", func() (store.Alert, error) { return f.p.Acknowledge(id1, "sari") }, store.AlertResolved, "tono", ErrTransition},
		{"resolve open", func() (store.Alert, error) { return f.p.Resolve(id2, "sari") }, store.AlertResolved, "sari", nil},
		{"unknown id", func() (store.Alert, error) { return f.p.Acknowledge("nope|x", "sari") }, "", "", store.ErrNotFound},
		{"unknown id resolve", func() (store.Alert, error) { return f.p.Resolve("nope|x", "sari") }, "", "", store.ErrNotFound},
	}
	for _, s := range steps {
		f.clock.Advance(time.Minute)
		a, err := s.do()
		if !errors.Is(err, s.err) || (s.err == nil) != (err == nil) {
			t.Errorf("%s: err = %v, want %v", s.name, err, s.err)
		}
		if a.State != s.state || a.By != s.by {
			t.Errorf("%s: state %q by %q, want %q by %q", s.name, a.State, a.By, s.state, s.by)
		}
	}
}

func TestAlertStateSurvivesRestart(t *testing.T) {
	f := newFixture(t, complaintRule)
	key := store.MentionKey("mastodon", "1")
	id := store.AlertID("complaints", key)
	f.ingest(t, complaintMention("1"))
	if _, err := f.p.Acknowledge(id, "sari"); err != nil {
		t.Fatal(err)
	}
	before, _ := f.alert(t, id)

	f.reopen(t)
	after, ok := f.alert(t, id)
	if !ok || !alertsEqual(before, after) {
		t.Fatalf("after reopening: %+v, want %+v", after, before)
	}
	// The new pipeline knows the alert: a sweep does not reopen it and the
	// state machine goes on from where it was.
	f.clock.Advance(4 * time.Hour)
	if err := f.p.Sweep(context.Background(), 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if a, _ := f.alert(t, id); a.State != store.AlertAcknowledged {
		t.Errorf("state after sweep: %q", a.State)
	}
	if _, err := f.p.Resolve(id, "tono"); err != nil {
		t.Fatal(err)
	}
	f.reopen(t)
	if a, _ := f.alert(t, id); a.State != store.AlertResolved || a.By != "tono" {
		t.Errorf("after the second restart: %+v", a)
	}
	// The brand answering later changes nothing on a resolved alert.
	f.ingest(t, brandReply("r1", key))
	if a, _ := f.alert(t, id); a.By != "tono" {
		t.Errorf("resolved alert rewritten: %+v", a)
	}
}

func alertsEqual(a, b store.Alert) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestPipelineRemovedRuleAlertsResolve(t *testing.T) {
	f := newFixture(t, RuleConfig{Name: "old", Metric: MetricComplaint, Min: 0.5})
	key := store.MentionKey("mastodon", "1")
	f.ingest(t, complaintMention("1"))
	// The daemon restarts with the rule renamed; the old alert must still
	// resolve when the brand answers.
	f.rules = []RuleConfig{{Name: "new", Metric: MetricComplaint, Min: 0.99}}
	f.reopen(t)
	f.ingest(t, brandReply("r1", key))
	if a, _ := f.alert(t, store.AlertID("old", key)); a.State != store.AlertResolved {
		t.Errorf("old rule's alert: %+v", a)
	}
}

func TestExcerpt(t *testing.T) {
	cases := map[string]struct {
		in   string
		n    int
		want string
	}{
		"short":         {"kecewa bgt", 20, "kecewa bgt"},
		"cut":           {"abcdef", 3, "abc…"},
		"whitespace":    {"  a\n\n\tb  ", 10, "a b"},
		"control":       {"a\x00b\x1b[31mc", 10, "a b [31mc"},
		"bidi":          {"abc\u202edcba", 10, "abc dcba"},
		"runes counted": {"😡😡😡😡", 2, "😡😡…"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := excerpt(tc.in, tc.n); got != tc.want {
				t.Errorf("excerpt(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
		})
	}
}

func (f *fixture) mention(t *testing.T, key string) store.Mention {
	t.Helper()
	m, ok, err := f.st.Mention(key)
	if err != nil || !ok || m.Score == nil {
		t.Fatalf("mention %s: found %v, %v, score %v", key, ok, err, m.Score)
	}
	return m
}

func (f *fixture) ingestFrom(t *testing.T, source, kind string, ms ...store.Mention) store.IngestResult {
	t.Helper()
	res, err := f.p.Ingest(context.Background(), store.Batch{Source: source, Kind: kind, At: f.clock.Now(), Mentions: ms})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestPipelineFollowUpEscalatesTheFirstPost(t *testing.T) {
	escalated := RuleConfig{Name: "escalated", Metric: MetricEscalated, Min: 1}
	f := newFixture(t, complaintRule, escalated)
	root := complaintMention("1")
	key := store.MentionKey("mastodon", "1")
	f.ingest(t, root)

	// Half an hour later the author nudges in the thread.
	f.clock.Advance(30 * time.Minute)
	fu := store.Mention{NativeID: "2", Brand: "acme", Author: store.Author{Handle: "budi"}, Text: "min?? kok gak dibales sih",
		CreatedAt: f.clock.Now(), ReplyTo: key}
	f.ingest(t, fu)
	m := f.mention(t, key)
	// The follow-up is in the thread and by the same author: it joins the
	// first post's case.
	if !m.Score.Escalated || !hasReason(m.Score.Reasons, "escalated: @budi followed up unanswered") || m.Score.Case != key {
		t.Fatalf("root after the follow-up: %+v", m.Score)
	}
	a, ok := f.alert(t, store.AlertID("escalated", key))
	if !ok || a.State != store.AlertOpen {
		t.Fatalf("escalation alert: %+v %v", a, ok)
	}
	follow := f.mention(t, store.MentionKey("mastodon", "2"))
	if follow.Score.Priority != 0 || follow.Score.Case != key {
		t.Errorf("the follow-up: %+v", follow.Score)
	}
	if _, ok := f.alert(t, store.AlertID("escalated", follow.Key)); ok {
		t.Error("the follow-up opened its own escalation alert")
	}

	// The brand answers the follow-up, moving to DM: the whole
	// conversation is answered and its alerts resolve.
	f.clock.Advance(10 * time.Minute)
	ans := brandReply("r1", follow.Key)
	ans.CreatedAt = f.clock.Now()
	f.ingest(t, ans)
	m = f.mention(t, key)
	if m.Score.ReplyState != store.ReplyPrivate || m.Score.Escalated || m.Score.Priority > 0.3 {
		t.Errorf("root after the answer: %+v", m.Score)
	}
	for _, rule := range []string{"escalated", "complaints"} {
		a, _ := f.alert(t, store.AlertID(rule, key))
		if a.State != store.AlertResolved || a.Reasons[len(a.Reasons)-1] != "answered by @acme_support" {
			t.Errorf("%s alert after the answer: %+v", rule, a)
		}
	}

	// Answered posts stop ticking: a sweep hours later saves nothing.
	last, _ := f.st.LastSeq()
	f.clock.Advance(5 * time.Hour)
	if err := f.p.Sweep(context.Background(), 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if now, _ := f.st.LastSeq(); now != last {
		t.Errorf("sweep of answered posts recorded %d events", now-last)
	}
}

func TestPipelineCases(t *testing.T) {
	f := newFixture(t, complaintRule)
	text := "udh 3 hari paket blm nyampe, kecewa bgt min. resi KX12345 gak gerak sama sekali dari gudang"
	first := store.MentionKey("mastodon", "1")
	f.ingestFrom(t, "masto-id", "mastodon", store.Mention{NativeID: "1", Brand: "acme", Author: store.Author{Handle: "budi"}, Text: text, CreatedAt: t0})
	if m := f.mention(t, first); m.Score.Case != "" {
		t.Fatalf("a post alone has a case: %q", m.Score.Case)
	}
	f.ingestFrom(t, "masto-id", "mastodon", store.Mention{NativeID: "9", Brand: "acme", Author: store.Author{Handle: "sari"},
		Text: "my parcel arrived damaged and the box was soaking wet, really disappointed", CreatedAt: t0})

	// The same author cross-posts on Bluesky: one case, and the first
	// post's spread grows at once.
	f.clock.Advance(15 * time.Minute)
	f.ingestFrom(t, "bsky", "bluesky", store.Mention{NativeID: "at://a", Brand: "acme", Author: store.Author{Handle: "budi.bsky.social"},
		Text: text + " #kilat", CreatedAt: f.clock.Now()})
	cross := f.mention(t, store.MentionKey("bluesky", "at://a"))
	root := f.mention(t, first)
	if cross.Score.Case != first || root.Score.Case != first || !hasReason(root.Score.Reasons, "same complaint on 2 sources") {
		t.Errorf("cross-post %q, first %q (%q)", cross.Score.Case, root.Score.Case, root.Score.Reasons)
	}
	if other := f.mention(t, store.MentionKey("mastodon", "9")); other.Score.Case != "" {
		t.Errorf("an unrelated complaint joined case %q", other.Score.Case)
	}

	// After a restart the index is rebuilt from the store: a repost on a
	// third platform joins the same case.
	f.reopen(t)
	f.clock.Advance(time.Hour)
	f.ingestFrom(t, "reddit", "reddit", store.Mention{NativeID: "t3_x", Brand: "acme", Author: store.Author{Handle: "u_budi"}, Text: text, CreatedAt: f.clock.Now()})
	if m := f.mention(t, store.MentionKey("reddit", "t3_x")); m.Score.Case != first || !hasReason(m.Score.Reasons, "same complaint on 3 sources") {
		t.Errorf("after the restart: %q (%q)", m.Score.Case, m.Score.Reasons)
	}
}

func TestPipelineSetHandling(t *testing.T) {
	f := newFixture(t, complaintRule)
	key := store.MentionKey("mastodon", "1")
	id := store.AlertID("complaints", key)
	f.ingest(t, complaintMention("1"), complaintMention("2"))

	// Through the pipeline the alert resolves at once.
	f.clock.Advance(time.Minute)
	m, err := f.p.SetHandling(key, store.ReplyResolved, "", false, "sari")
	if err != nil || m.Handling != store.ReplyResolved || m.Score.ReplyState != store.ReplyResolved || m.Score.Priority != 0 {
		t.Fatalf("SetHandling = %+v, %v", m.Score, err)
	}
	if a, _ := f.alert(t, id); a.State != store.AlertResolved || a.Reasons[len(a.Reasons)-1] != "marked resolved by sari" {
		t.Errorf("alert: %+v", a)
	}
	if _, err := f.p.SetHandling("mastodon:nope", store.ReplyResolved, "", false, "sari"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown mention: %v", err)
	}

	// Handling written to the store directly (as the dashboard does
	// today) is picked up by the next sweep.
	key2 := store.MentionKey("mastodon", "2")
	if _, err := f.st.SetHandling(key2, store.ReplyNotNeeded, "", false, "tono"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	if err := f.p.Sweep(context.Background(), 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	m2 := f.mention(t, key2)
	if m2.Score.ReplyState != store.ReplyNotNeeded || m2.Score.Priority != 0 {
		t.Errorf("after the sweep: %+v", m2.Score)
	}
	if a, _ := f.alert(t, store.AlertID("complaints", key2)); a.State != store.AlertResolved || a.Reasons[len(a.Reasons)-1] != "marked no reply needed by tono" {
		t.Errorf("alert after the sweep: %+v", a)
	}

	// Clearing the handling restarts the clock; the resolved alert stays
	// resolved.
	if _, err := f.p.SetHandling(key, "", "", false, "sari"); err != nil {
		t.Fatal(err)
	}
	if m := f.mention(t, key); m.Score.ReplyState != store.ReplyNew || m.Score.Priority == 0 {
		t.Errorf("after clearing: %+v", m.Score)
	}
	if a, _ := f.alert(t, id); a.State != store.AlertResolved {
		t.Errorf("alert reopened: %+v", a)
	}
}

// A batch's alerts are written together (one transaction), and each is
// still opened, logged and counted once; a second batch with the same
// mentions (duplicates) opens nothing more.
func TestBatchAlertsWrittenTogether(t *testing.T) {
	f := newFixture(t, complaintRule)
	var raised []string
	f.p.OnAlertRaised(func(rule string) { raised = append(raised, rule) })
	ms := []store.Mention{complaintMention("1"), complaintMention("2"), complaintMention("3")}
	f.ingest(t, ms...)
	if n := len(f.alerts(t)); n != 3 || len(raised) != 3 {
		t.Fatalf("%d alerts, %d raised; want 3 and 3", n, len(raised))
	}
	if n := strings.Count(f.logs.String(), "alert opened"); n != 3 {
		t.Fatalf("%d 'alert opened' logs, want 3", n)
	}
	alertEvents := f.events(t, store.EventAlert)
	f.clock.Advance(time.Minute)
	f.ingest(t, ms...)
	if n := len(f.alerts(t)); n != 3 || len(raised) != 3 || f.events(t, store.EventAlert) != alertEvents {
		t.Fatalf("after duplicates: %d alerts, %d raised, %d alert events (was %d)", n, len(raised), f.events(t, store.EventAlert), alertEvents)
	}
}

// countingScorer counts the mentions it scores.
type countingScorer struct {
	*ComposedScorer
	n int
}

func (c *countingScorer) Score(in Input) store.Score { c.n++; return c.ComposedScorer.Score(in) }

// After its first full pass, the sweep scores only what time or new
// engagement can have changed: a complaint within its reply target is left
// alone until the deadline, then scored every minute while its priority
// climbs; one that got samples is scored at the next sweep.
func TestSweepScoresOnlyWhatTimeChanged(t *testing.T) {
	f := newFixture(t)
	sc := &countingScorer{ComposedScorer: NewTextScorer().legacy}
	f.p = NewPipeline(f.st, sc, nil, nil, f.clock.Now)
	f.ingest(t, complaintMention("1"), complaintMention("2"))
	sweep := func() int {
		t.Helper()
		before := sc.n
		if err := f.p.Sweep(context.Background(), 24*time.Hour); err != nil {
			t.Fatal(err)
		}
		return sc.n - before
	}
	if n := sweep(); n != 2 {
		t.Errorf("first sweep scored %d, want both (a full pass)", n)
	}
	f.clock.Advance(30 * time.Minute)
	if n := sweep(); n != 0 {
		t.Errorf("within the 1h target the sweep scored %d, want none", n)
	}
	key := store.MentionKey("mastodon", "1")
	reposts := int64(40)
	if _, err := f.p.Ingest(context.Background(), store.Batch{Source: "masto-id", Kind: "mastodon", At: f.clock.Now(),
		Samples: []store.MentionSample{{Key: key, Sample: store.Sample{At: f.clock.Now(), Reposts: &reposts}}}}); err != nil {
		t.Fatal(err)
	}
	if n := sweep(); n != 1 {
		t.Errorf("after samples for one mention the sweep scored %d, want 1", n)
	}
	f.clock.Advance(31 * time.Minute) // past the 1h target
	if n := sweep(); n != 2 {
		t.Errorf("past the target the sweep scored %d, want 2", n)
	}
	stored, _, _ := f.st.Mention(key)
	if stored.Score.Overdue == 0 || !stored.Score.Recheck.Equal(f.clock.Now().Add(time.Minute)) {
		t.Errorf("overdue score = %+v, want a recheck in a minute", stored.Score)
	}
	f.clock.Advance(30 * time.Second)
	if n := sweep(); n != 0 {
		t.Errorf("30 s later the sweep scored %d, want none", n)
	}
	f.clock.Advance(30 * time.Second)
	if n := sweep(); n != 2 {
		t.Errorf("a minute later the sweep scored %d, want 2", n)
	}
	// Long past the target the priority no longer climbs: rechecks thin out.
	if d := overdueRecheck(time.Hour, 10*time.Hour); d != 30*time.Minute {
		t.Errorf("recheck 10h overdue = %v, want 30m", d)
	}
	if d := overdueRecheck(time.Hour, 4*time.Hour); d != 15*time.Minute {
		t.Errorf("recheck 4h overdue = %v, want 15m", d)
	}
}
