package alerting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/pantau/pantau/store"
)

// ErrTransition is returned for an alert state change the state machine
// does not allow (acknowledging a resolved alert). It is a store.ErrConflict,
// which the dashboard's API answers with 409.
var ErrTransition = fmt.Errorf("alert state change not allowed: %w", store.ErrConflict)

// sweepPage is how many mentions a sweep reads per store call.
const sweepPage = 1000

// Pipeline scores mentions as they are ingested, opens alerts for the ones
// that cross a rule, resolves alerts when the brand answers, and sweeps
// recent mentions so clocks keep running without new data.
//
// Alert states: open -> acknowledged -> resolved, or open -> resolved. An
// acknowledged or resolved alert is never reopened by a rule: a person or a
// reply has dealt with it. States live in the store and survive restarts.
type Pipeline struct {
	st    *store.Store
	sc    Scorer
	rules []RuleConfig
	log   *slog.Logger
	now   func() time.Time

	// mu serializes the store writes that read alerts first (open, update,
	// resolve, acknowledge), so two of them never act on the same stale
	// alert. Scoring happens outside it.
	mu sync.Mutex
}

// NewPipeline wires a pipeline. Rules should have passed ValidateRules; an
// invalid rule simply never matches. A nil logger discards, a nil clock is
// time.Now.
func NewPipeline(st *store.Store, sc Scorer, rules []RuleConfig, logger *slog.Logger, now func() time.Time) *Pipeline {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Pipeline{st: st, sc: sc, rules: slices.Clone(rules), log: logger, now: now}
}

// Ingest scores every mention of b (with its samples from the same batch),
// stores the batch, opens alerts for new mentions that cross a rule, and
// resolves the alerts of mentions the brand has now answered. Input the
// store rejects is logged and skipped; it never fails the batch.
//
// An error means the batch was not stored. Once the store has committed,
// a failure to open or resolve an alert is logged instead of returned: the
// collector must not redo a batch that is safely stored, and the next
// Sweep evaluates the rules again.
func (p *Pipeline) Ingest(ctx context.Context, b store.Batch) (store.IngestResult, error) {
	if err := ctx.Err(); err != nil {
		return store.IngestResult{}, err
	}
	now := p.now()
	if len(b.Mentions) > 0 {
		// Score a copy: the caller's batch is not ours to change.
		samples := samplesByKey(&b)
		ms := slices.Clone(b.Mentions)
		for i := range ms {
			m := &ms[i]
			kind := m.Kind
			if kind == "" {
				kind = b.Kind
			}
			sc := p.sc.Score(Input{Mention: *m, Samples: samples[store.MentionKey(kind, m.NativeID)], Now: now})
			m.Score = &sc
		}
		b.Mentions = ms
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	res, err := p.st.Ingest(b)
	if err != nil {
		return res, err
	}
	for _, e := range res.Rejected {
		p.log.Warn("skipped invalid input", "source", b.Source, "err", e)
	}
	p.rescoreAnsweredNew(&res, &b, now)
	for i := range res.New {
		if err := p.evaluate(&res.New[i], now); err != nil {
			p.log.Error("alert rules", "mention", res.New[i].Key, "err", err)
		}
	}
	if err := p.resolveAnswered(res.Answered, now); err != nil {
		p.log.Error("resolve answered alerts", "err", err)
	}
	return res, nil
}

// rescoreAnsweredNew fixes the scores of new mentions that the store found
// already answered (the brand's reply was stored first): they were scored
// as unanswered.
func (p *Pipeline) rescoreAnsweredNew(res *store.IngestResult, b *store.Batch, now time.Time) {
	var samples map[string][]store.Sample
	changed := map[string]store.Score{}
	for i := range res.New {
		m := &res.New[i]
		if m.ByBrand || m.AnsweredAt == nil {
			continue
		}
		if samples == nil {
			samples = samplesByKey(b)
		}
		sc := p.sc.Score(Input{Mention: *m, Samples: samples[m.Key], Now: now})
		m.Score = &sc
		changed[m.Key] = sc
	}
	if err := p.st.SaveScores(changed); err != nil {
		p.log.Error("save scores", "err", err)
	}
}

func samplesByKey(b *store.Batch) map[string][]store.Sample {
	out := make(map[string][]store.Sample, len(b.Samples))
	for _, s := range b.Samples {
		out[s.Key] = append(out[s.Key], s.Sample)
	}
	return out
}

// Sweep re-scores the mentions first seen within window before now (not
// the brand's own), saves the scores that changed, and evaluates the rules
// again: an unanswered complaint's priority rises with the clock alone, and
// new engagement samples change virality.
func (p *Pipeline) Sweep(ctx context.Context, window time.Duration) error {
	now := p.now()
	since := now.Add(-window)
	done := make(map[string]bool)
	var errs []error
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, last, fresh, err := p.sweepPage(since, now, done, &errs)
		if err != nil {
			return err
		}
		if n < sweepPage {
			break
		}
		if fresh == 0 {
			// A full page of mentions all seen at the same instant that we
			// already did: step past that instant or we would loop.
			p.log.Warn("sweep: more mentions share one timestamp than a page holds; skipping the rest of them", "seen_at", last)
			last = last.Add(time.Nanosecond)
		}
		since = last
	}
	return errors.Join(errs...)
}

// sweepPage handles one page of mentions seen at or after since. It returns
// how many mentions the page held, the last one's SeenAt, and how many were
// not done before.
func (p *Pipeline) sweepPage(since, now time.Time, done map[string]bool, errs *[]error) (int, time.Time, int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	page, err := p.st.MentionsSeenSince(since, sweepPage)
	if err != nil {
		return 0, time.Time{}, 0, err
	}
	if len(page) == 0 {
		return 0, since, 0, nil
	}
	fresh := 0
	changed := make(map[string]store.Score)
	var check []*store.Mention
	for i := range page {
		m := &page[i]
		if done[m.Key] {
			continue
		}
		done[m.Key] = true
		fresh++
		if m.ByBrand {
			continue
		}
		samples, err := p.st.Samples(m.Key)
		if err != nil {
			return 0, time.Time{}, 0, err
		}
		sc := p.sc.Score(Input{Mention: *m, Samples: samples, Now: now})
		// Save only real changes: every save is an event on every
		// dashboard.
		if m.Score == nil || scoreChanged(m.Score, &sc) {
			changed[m.Key] = sc
			m.Score = &sc
		}
		check = append(check, m)
	}
	if err := p.st.SaveScores(changed); err != nil {
		return 0, time.Time{}, 0, err
	}
	for _, m := range check {
		if err := p.evaluate(m, now); err != nil {
			*errs = append(*errs, err)
		}
	}
	return len(page), page[len(page)-1].SeenAt, fresh, nil
}

// scoreChanged compares what a person sees: the numbers and the reasons,
// not the time of scoring.
func scoreChanged(a, b *store.Score) bool {
	return a.Scorer != b.Scorer || a.Lang != b.Lang || a.Scored != b.Scored ||
		a.Complaint != b.Complaint || a.Severity != b.Severity || a.Sentiment != b.Sentiment ||
		a.Virality != b.Virality || a.Priority != b.Priority || !slices.Equal(a.Reasons, b.Reasons)
}

// evaluate runs the rules over one scored mention. Call with p.mu held.
func (p *Pipeline) evaluate(m *store.Mention, now time.Time) error {
	if m.ByBrand || m.Score == nil {
		return nil
	}
	var errs []error
	for _, r := range p.rules {
		v, ok := r.Match(m)
		if !ok {
			continue
		}
		if err := p.raise(r, m, v, now); err != nil {
			errs = append(errs, fmt.Errorf("rule %s: %w", r.Name, err))
		}
	}
	return errors.Join(errs...)
}

// raise opens the rule's alert for m, or refreshes it while it is open.
// Call with p.mu held.
func (p *Pipeline) raise(r RuleConfig, m *store.Mention, v float64, now time.Time) error {
	id := store.AlertID(r.Name, m.Key)
	a, found, err := p.st.Alert(id)
	if err != nil {
		return err
	}
	summary := summarize(r, m, v)
	if found {
		if a.State != store.AlertOpen {
			return nil // acknowledged or resolved: someone dealt with it
		}
		// Keep an open alert current: the queue orders by priority and
		// shows the reasons (the unanswered clock among them).
		if a.Priority == m.Score.Priority && a.Summary == summary && slices.Equal(a.Reasons, m.Score.Reasons) {
			return nil
		}
		a.Priority, a.Summary, a.Reasons, a.UpdatedAt = m.Score.Priority, summary, slices.Clone(m.Score.Reasons), now
		_, err := p.st.PutAlert(a)
		return err
	}
	if m.AnsweredAt != nil {
		// The brand has answered; an alert now would have nothing left to
		// ask of anyone, and no reply would come to resolve it.
		return nil
	}
	a = store.Alert{
		ID:         id,
		Rule:       r.Name,
		MentionKey: m.Key,
		Source:     m.Source,
		Brand:      m.Brand,
		State:      store.AlertOpen,
		Summary:    summary,
		Reasons:    slices.Clone(m.Score.Reasons),
		Priority:   m.Score.Priority,
		OpenedAt:   now,
		UpdatedAt:  now,
	}
	if _, err := p.st.PutAlert(a); err != nil {
		return err
	}
	p.log.Info("alert opened", "alert", id, "priority", a.Priority)
	return nil
}

// resolveAnswered resolves the open and acknowledged alerts of mentions
// the brand has just answered. Call with p.mu held.
func (p *Pipeline) resolveAnswered(keys []string, now time.Time) error {
	if len(keys) == 0 {
		return nil
	}
	answered := make(map[string]bool, len(keys))
	for _, k := range keys {
		answered[k] = true
	}
	// The configured rules give the alert ids directly; a scan of the
	// unresolved alerts also finds alerts of rules removed or renamed since
	// (the store has no index by mention, so the scan sees the newest 1000
	// of each state).
	var ids []string
	for _, k := range keys {
		for _, r := range p.rules {
			ids = append(ids, store.AlertID(r.Name, k))
		}
	}
	for _, state := range []store.AlertState{store.AlertOpen, store.AlertAcknowledged} {
		list, err := p.st.Alerts(store.AlertQuery{State: state, Limit: 1000})
		if err != nil {
			return err
		}
		for _, a := range list {
			if answered[a.MentionKey] && !slices.Contains(ids, a.ID) {
				ids = append(ids, a.ID)
			}
		}
	}
	var errs []error
	by := make(map[string]string) // mention key -> who answered
	for _, id := range ids {
		a, found, err := p.st.Alert(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !found || a.State == store.AlertResolved {
			continue
		}
		who, ok := by[a.MentionKey]
		if !ok {
			m, _, err := p.st.Mention(a.MentionKey)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			who = handle(m.AnsweredBy)
			by[a.MentionKey] = who
		}
		a.State, a.By, a.UpdatedAt = store.AlertResolved, "", now
		a.Reasons = append(slices.Clone(a.Reasons), "answered by "+who)
		if _, err := p.st.PutAlert(a); err != nil {
			errs = append(errs, err)
			continue
		}
		p.log.Info("alert resolved", "alert", id, "answered_by", who)
	}
	return errors.Join(errs...)
}

// Acknowledge marks an open alert as being handled by a person. It is a
// no-op on an acknowledged alert and an ErrTransition on a resolved one;
// an unknown id is a store.ErrNotFound.
func (p *Pipeline) Acknowledge(id, by string) (store.Alert, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, err := p.alert(id, "acknowledge")
	if err != nil {
		return a, err
	}
	switch a.State {
	case store.AlertAcknowledged:
		return a, nil
	case store.AlertResolved:
		return a, fmt.Errorf("acknowledge alert %q: it is resolved: %w", id, ErrTransition)
	}
	return p.st.SetAlertState(id, store.AlertAcknowledged, by)
}

// Resolve closes an open or acknowledged alert by hand. Resolving a
// resolved alert is a no-op; an unknown id is a store.ErrNotFound.
func (p *Pipeline) Resolve(id, by string) (store.Alert, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, err := p.alert(id, "resolve")
	if err != nil || a.State == store.AlertResolved {
		return a, err
	}
	return p.st.SetAlertState(id, store.AlertResolved, by)
}

func (p *Pipeline) alert(id, verb string) (store.Alert, error) {
	a, found, err := p.st.Alert(id)
	if err != nil {
		return a, fmt.Errorf("%s alert %q: %w", verb, id, err)
	}
	if !found {
		return a, fmt.Errorf("%s alert %q: %w", verb, id, store.ErrNotFound)
	}
	return a, nil
}

// summarize writes the alert's one-line summary: the rule, the value, who
// said it where, and the start of what they said.
func summarize(r RuleConfig, m *store.Mention, v float64) string {
	val := strconv.FormatFloat(v, 'f', 2, 64)
	if r.Metric == MetricSeverity {
		val = strconv.Itoa(int(v))
	}
	who := "someone"
	if m.Author.Handle != "" {
		who = handle(m.Author.Handle)
	}
	text := m.Text
	if strings.TrimSpace(text) == "" {
		text = m.Title
	}
	return fmt.Sprintf("%s %s >= %s (rule %s): %s on %s: “%s”",
		r.Metric, val, strconv.FormatFloat(r.Min, 'f', -1, 64), r.Name, who, m.Source, excerpt(text, 140))
}

// excerpt returns the first n characters of s on one line, without control
// or bidi-override characters: it is shown to staff, in alerts and
// notifications, and must not be able to reorder or hide text.
func excerpt(s string, n int) string {
	var b strings.Builder
	count, space := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == unicode.ReplacementChar {
			space = b.Len() > 0
			continue
		}
		if count >= n {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		count++
	}
	return b.String()
}
