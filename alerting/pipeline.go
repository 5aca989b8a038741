package alerting

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/pantau/pantau/alerting/audit"
	"github.com/pantau/pantau/store"
)

// ErrTransition is returned for an alert state change the state machine
// does not allow (acknowledging a resolved alert). It is a store.ErrConflict,
// which the dashboard's API answers with 409.
var ErrTransition = fmt.Errorf("alert state change not allowed: %w", store.ErrConflict)

// sweepPage is how many mentions a sweep reads per store call.
const sweepPage = 1000

// Pipeline scores mentions as they are ingested, opens alerts for the ones
// that cross a rule, resolves alerts when the brand answers or an agent
// closes the mention, and sweeps recent mentions so clocks keep running
// without new data. It keeps the case index (cases.go).
//
// Alert states: open -> acknowledged -> resolved, or open -> resolved. An
// acknowledged or resolved alert is never reopened by a rule: a person or a
// reply has dealt with it. States live in the store and survive restarts.
type Pipeline struct {
	st    *store.Store
	sc    Scorer
	name  string // the scorer's name, when it has one: scores by it may be settled
	rules []RuleConfig
	log   *slog.Logger
	now   func() time.Time

	// mu serializes the store writes that read first (scores, alerts), so
	// two of them never act on the same stale record. Scoring a batch
	// before it is stored happens outside it.
	mu sync.Mutex
	// auditor checks the brand's own replies (empathy, next step, tone,
	// personal data); it is safe for concurrent use.
	auditor     *audit.Auditor
	cases       *caseIndex
	casesLoaded bool // the index has been rebuilt from the store
	// swept is set after the first full sweep: later ones skip the
	// mentions whose score stands until its Recheck time. The first one
	// rescores all, so a new config (targets, hours) reaches every score.
	swept bool
	// sampled holds the mentions that got engagement samples since the
	// sweep last started: their virality may have changed, so the next
	// sweep scores them whatever their Recheck says.
	sampled map[string]bool

	// progs are the expression rules, compiled, by rule name.
	progs map[string]*vm.Program
	// spikes watch complaint volume per brand (spike.go).
	spikes []SpikeConfig
	// onRaise, when set (OnAlertRaised), is told each alert opened.
	onRaise func(rule string)
}

// NewPipeline wires a pipeline. sc is normally a *ComposedScorer; a bare
// *TextScorer (the first scorer's wiring) is scored through the composed
// scorer with the default config. Rules should have passed ValidateRules;
// an invalid rule simply never matches. A nil logger discards, a nil clock
// is time.Now.
func NewPipeline(st *store.Store, sc Scorer, rules []RuleConfig, logger *slog.Logger, now func() time.Time) *Pipeline {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	if ts, ok := sc.(*TextScorer); ok {
		sc = ts.legacy
	}
	// The default audit config cannot be invalid.
	auditor, _ := audit.New(audit.Config{})
	p := &Pipeline{st: st, sc: sc, rules: slices.Clone(rules), log: logger, now: now, auditor: auditor, cases: newCaseIndex(caseWindow, caseLimit)}
	if n, ok := sc.(interface{ Name() string }); ok {
		p.name = n.Name()
	}
	p.progs = map[string]*vm.Program{}
	for _, r := range rules {
		if r.Expr == "" {
			continue
		}
		if prog, err := CompileExpr(r.Expr); err == nil {
			p.progs[r.Name] = prog
		} else {
			logger.Error("expression rule does not compile; it never matches", "rule", r.Name, "err", err)
		}
	}
	return p
}

// Ingest scores every mention of b (with its samples from the same batch),
// stores the batch, then brings the rest up to date: places new complaints
// in their cases, re-scores what the new posts change (a follow-up
// escalates its thread's first post, a brand reply answers the
// conversation, a new member grows a case), resolves the alerts of
// mentions now answered, and opens alerts for new mentions that cross a
// rule. Input the store rejects is logged and skipped; it never fails the
// batch.
//
// An error means the batch was not stored. Once the store has committed,
// later failures are logged instead of returned: the collector must not
// redo a batch that is safely stored, and the next Sweep tries again.
func (p *Pipeline) Ingest(ctx context.Context, b store.Batch) (store.IngestResult, error) {
	if err := ctx.Err(); err != nil {
		return store.IngestResult{}, err
	}
	now := p.now()
	if len(b.Mentions) > 0 {
		// Score a copy: the caller's batch is not ours to change. The
		// thread and case are not known before the batch is stored; what
		// they change is re-scored after.
		samples := samplesByKey(&b)
		ms := slices.Clone(b.Mentions)
		for i := range ms {
			m := &ms[i]
			// The store fills these too; the scorer needs them now (the
			// response target depends on kind and source).
			m.Kind, m.Source = cmp.Or(m.Kind, b.Kind), cmp.Or(m.Source, b.Source)
			m.Key = store.MentionKey(m.Kind, m.NativeID)
			sc := p.sc.Score(Input{Mention: *m, Samples: samples[m.Key], Now: now})
			p.privacy(m, &sc)
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
	for _, k := range res.Sampled {
		if p.sampled == nil {
			p.sampled = map[string]bool{}
		}
		p.sampled[k] = true
	}
	for _, e := range res.Rejected {
		p.log.Warn("skipped invalid input", "source", b.Source, "err", e)
	}
	if err := p.afterIngest(&res, now); err != nil {
		p.log.Error("after ingest", "source", b.Source, "err", err)
	}
	return res, nil
}

// afterIngest does the work that needs the batch stored. Call with p.mu
// held.
func (p *Pipeline) afterIngest(res *store.IngestResult, now time.Time) error {
	if len(res.New) == 0 {
		return nil
	}
	p.loadCases(now)
	tc := newThreadCache(p.st)
	var errs []error
	var touched []string
	seen := map[string]bool{}
	touch := func(k string) {
		if !seen[k] {
			seen[k] = true
			touched = append(touched, k)
		}
	}
	for i := range res.New {
		n := &res.New[i]
		threaded := n.ReplyTo != "" || n.ThreadRoot != "" || n.AnsweredAt != nil
		var thread []store.Mention
		if threaded {
			var err error
			if thread, err = tc.thread(n.Key); err != nil {
				errs = append(errs, err)
				threaded = false
			}
		}
		if !n.ByBrand {
			if ci := p.cases.place(n, thread, now); ci.Size >= 2 {
				// It joined a case: its own score and the first post's
				// spread change.
				touch(n.Key)
				touch(ci.Key)
			}
		}
		if !threaded {
			continue
		}
		// Whose conversation the new post changes: its author's (a
		// follow-up), or, for a brand reply, the author it answers.
		who := n
		if n.ByBrand {
			who = tc.mention(n.ReplyTo)
		}
		if who == nil {
			continue
		}
		for j := range thread {
			t := &thread[j]
			if !t.ByBrand && (t.Key == who.Key || sameAuthor(t, who)) && !t.CreatedAt.After(n.CreatedAt) {
				touch(t.Key)
			}
		}
	}

	var ms []*store.Mention
	for _, k := range touched {
		m := tc.mention(k)
		if m == nil {
			stored, found, err := p.st.Mention(k)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !found {
				continue
			}
			m = &stored
		}
		ms = append(ms, m)
	}
	closed, err := p.rescore(ms, now, tc)
	if err != nil {
		errs = append(errs, err)
	}
	fresh := make(map[string]*store.Mention, len(ms))
	for _, m := range ms {
		fresh[m.Key] = m
	}
	// New mentions have no alerts yet; the others may.
	for i := range res.New {
		delete(closed, res.New[i].Key)
	}
	if err := p.resolve(closed, now); err != nil {
		errs = append(errs, fmt.Errorf("resolve alerts: %w", err))
	}
	check := make([]*store.Mention, 0, len(res.New)+len(ms))
	for i := range res.New {
		if f := fresh[res.New[i].Key]; f != nil {
			res.New[i] = *f // as stored now, with its latest score
			delete(fresh, f.Key)
		}
		check = append(check, &res.New[i])
	}
	for _, m := range ms {
		if fresh[m.Key] != nil { // touched, but not new in this batch
			check = append(check, m)
		}
	}
	// The batch's alert writes go to the store together (one disk sync).
	w := &alertWrites{}
	for _, m := range check {
		if err := p.evaluate(m, now, w); err != nil {
			errs = append(errs, fmt.Errorf("alert rules for %s: %w", m.Key, err))
		}
	}
	if err := p.flush(w); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// rescore scores stored mentions again with their samples, thread and
// case, saves the scores that changed (every save is an event on every
// dashboard), and updates ms in place. It returns the mentions that people
// closed since their last score (the brand answered, an agent handled
// them), each with the reason for their alerts. Call with p.mu held.
func (p *Pipeline) rescore(ms []*store.Mention, now time.Time, tc *threadCache) (map[string]string, error) {
	changed := make(map[string]store.Score)
	closed := make(map[string]string)
	for _, m := range ms {
		if m.ByBrand {
			continue
		}
		samples, err := p.st.Samples(m.Key)
		if err != nil {
			return nil, err
		}
		thread, err := tc.thread(m.Key)
		if err != nil {
			return nil, err
		}
		sc := p.sc.Score(Input{Mention: *m, Samples: samples, Thread: thread, Case: p.cases.info(m.Key), Now: now})
		p.privacy(m, &sc)
		old := m.Score
		if old == nil || scoreChanged(old, &sc) {
			changed[m.Key] = sc
		}
		if closedByPeople(m, &sc) && (old == nil || old.ReplyState != sc.ReplyState) {
			closed[m.Key] = closeReason(m, thread)
		}
		m.Score = &sc
	}
	return closed, p.st.SaveScores(changed)
}

// closedByPeople is true when people closed the mention: the brand
// answered, or an agent handled it (the scorer's own "no reply needed"
// does not close anything).
func closedByPeople(m *store.Mention, sc *store.Score) bool {
	switch {
	case m.Handling != "":
		return true
	case sc == nil:
		return false
	}
	return sc.ReplyState == store.ReplyAnswered || sc.ReplyState == store.ReplyPrivate || sc.ReplyState == store.ReplyResolved
}

// closeReason says who closed a mention, for its alerts.
func closeReason(m *store.Mention, thread []store.Mention) string {
	if m.Handling != "" {
		return "marked " + strings.ReplaceAll(string(m.Handling), "_", " ") + " by " + cmp.Or(m.HandledBy, "an agent")
	}
	c := converse(m, &Analysis{}, thread, func(*store.Mention) Analysis { return Analysis{} })
	return "answered by " + handle(c.by)
}

// privacy adds the reply audit's findings to a score: personal data in any
// post and, for the brand's own replies, the audit against
// customer-service ethics (measured against the post it answers, when
// that is stored).
func (p *Pipeline) privacy(m *store.Mention, sc *store.Score) {
	if !m.ByBrand {
		sc.PII = audit.FindPII(m.Text)
		if len(sc.PII) > 0 {
			sc.Reasons = append(sc.Reasons, "customer posted personal data in public ("+piiKinds(sc.PII)+"): answer in private and ask them to remove it")
		}
		return
	}
	in := audit.ReplyInput{Text: m.Text, Recipient: m.ReplyTo}
	if m.ReplyTo != "" {
		if parent, ok, err := p.st.Mention(m.ReplyTo); err == nil && ok {
			in.InReplyTo = parent.Text
			if parent.Score != nil && parent.Score.Scored {
				complaint := parent.Score.Complaint >= 0.5
				in.Complaint = &complaint
			}
			if !parent.CreatedAt.IsZero() && m.CreatedAt.After(parent.CreatedAt) {
				in.ResponseTime = m.CreatedAt.Sub(parent.CreatedAt)
			}
			if t, ok := p.sc.(interface {
				Target(*store.Mention) time.Duration
			}); ok {
				in.Target = t.Target(&parent)
			}
		}
	}
	res := p.auditor.Check(in)
	a := res.Audit
	sc.Audit, sc.PII = &a, res.PII
	sc.Reasons = append(append(sc.Reasons, "reply audit: "+strings.ReplaceAll(a.Verdict, "_", " ")), res.Reasons...)
}

// piiKinds lists the kinds of personal data found, once each.
func piiKinds(spans []store.Span) string {
	var kinds []string
	for _, s := range spans {
		if !slices.Contains(kinds, s.Kind) {
			kinds = append(kinds, s.Kind)
		}
	}
	return strings.Join(kinds, ", ")
}

func samplesByKey(b *store.Batch) map[string][]store.Sample {
	out := make(map[string][]store.Sample, len(b.Samples))
	for _, s := range b.Samples {
		out[s.Key] = append(out[s.Key], s.Sample)
	}
	return out
}

// Sweep re-scores the open mentions first seen within window before now
// (not the brand's own, not those already settled), saves the scores that
// changed, resolves the alerts of mentions closed since (an agent's
// handling), and evaluates the rules again: an unanswered complaint's
// clock runs without new data, and new engagement samples change
// virality.
func (p *Pipeline) Sweep(ctx context.Context, window time.Duration) error {
	now := p.now()
	p.mu.Lock()
	p.loadCases(now)
	sampled := p.sampled
	p.sampled = nil
	p.mu.Unlock()
	var errs []error
	err := p.pages(ctx, now.Add(-window), true, func(page []store.Mention) error {
		tc := newThreadCache(p.st)
		var open []*store.Mention
		for i := range page {
			if m := &page[i]; !m.ByBrand && !p.settled(m) && (!p.swept || sampled[m.Key] || p.due(m, now)) {
				open = append(open, m)
			}
		}
		closed, err := p.rescore(open, now, tc)
		if err != nil {
			return err
		}
		if err := p.resolve(closed, now); err != nil {
			errs = append(errs, err)
		}
		w := &alertWrites{}
		for _, m := range open {
			if err := p.evaluate(m, now, w); err != nil {
				errs = append(errs, err)
			}
		}
		if err := p.flush(w); err != nil {
			errs = append(errs, err)
		}
		return nil
	})
	if err != nil {
		// Keep the sampled keys for the next sweep.
		p.mu.Lock()
		for k := range sampled {
			if p.sampled == nil {
				p.sampled = map[string]bool{}
			}
			p.sampled[k] = true
		}
		p.mu.Unlock()
		return err
	}
	p.mu.Lock()
	p.swept = true
	p.mu.Unlock()
	if err := p.CheckSpikes(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// due reports whether m's score may have changed with time since it was
// made: its Recheck time has come, or it has none, or another scorer made
// it.
func (p *Pipeline) due(m *store.Mention, now time.Time) bool {
	sc := m.Score
	return sc == nil || sc.Scorer != p.name || sc.Recheck.IsZero() || !now.Before(sc.Recheck)
}

// settled reports whether a stored score can no longer change with time:
// its clock has stopped. Answers do not un-happen; the text that decided
// no reply was needed does not change (a follow-up re-scores the post when
// it arrives); text the analyzer cannot read has no clock. Scores by
// another scorer (an upgrade) are never settled.
func (p *Pipeline) settled(m *store.Mention) bool {
	sc := m.Score
	if sc == nil || p.name == "" || sc.Scorer != p.name {
		return false
	}
	if m.Handling != "" {
		return sc.ReplyState == m.Handling
	}
	switch sc.ReplyState {
	case store.ReplyAnswered, store.ReplyPrivate, store.ReplyNotNeeded:
		return true
	case store.ReplyResolved:
		return false // the handling was cleared since
	}
	return !sc.Scored
}

// pages calls fn with the mentions seen at or after since, a page at a
// time, oldest first, each mention once. With lock, each page is read and
// handled under p.mu, so a page is never acted on after an Ingest changed
// it; without, the caller holds p.mu.
func (p *Pipeline) pages(ctx context.Context, since time.Time, lock bool, fn func([]store.Mention) error) error {
	at := store.SeenCursor{At: since}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, next, err := p.page(at, lock, fn)
		if err != nil || n < sweepPage {
			return err
		}
		at = next
	}
}

func (p *Pipeline) page(at store.SeenCursor, lock bool, fn func([]store.Mention) error) (int, store.SeenCursor, error) {
	if lock {
		p.mu.Lock()
		defer p.mu.Unlock()
	}
	page, next, err := p.st.MentionsSeenAfter(at, sweepPage)
	if err != nil || len(page) == 0 {
		return 0, next, err
	}
	return len(page), next, fn(page)
}

// loadCases rebuilds the case index from the mentions seen within its
// window, once. A failure is logged and retried on the next call: without
// the index, cases only start later. Call with p.mu held.
func (p *Pipeline) loadCases(now time.Time) {
	if p.casesLoaded {
		return
	}
	err := p.pages(context.Background(), now.Add(-p.cases.window), false, func(page []store.Mention) error {
		for i := range page {
			p.cases.restore(&page[i], now)
		}
		return nil
	})
	if err != nil {
		p.log.Error("rebuild case index", "err", err)
		return
	}
	p.casesLoaded = true
}

// SetHandling records an agent's handling of a mention (private, resolved,
// no reply needed, or empty to clear) and, with assign, its assignee, as
// store.SetHandling does; then it re-scores the mention at once and
// resolves its alerts when the handling closes it. The dashboard should
// call this rather than the store, so the queue and alerts follow at once
// instead of at the next sweep.
func (p *Pipeline) SetHandling(key string, state store.ReplyState, assignee string, assign bool, by string) (store.Mention, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, err := p.st.SetHandling(key, state, assignee, assign, by)
	if err != nil || m.ByBrand {
		return m, err
	}
	now := p.now()
	p.loadCases(now)
	closed, err := p.rescore([]*store.Mention{&m}, now, newThreadCache(p.st))
	if err != nil {
		return m, err
	}
	if state != "" {
		// Handling always closes the mention's alerts, even when the state
		// reads the same as the scorer's own ("no reply needed").
		closed[key] = closeReason(&m, nil)
	}
	if err := p.resolve(closed, now); err != nil {
		return m, err
	}
	return m, p.evaluate(&m, now, nil)
}

// scoreChanged compares what a person sees: the numbers, the clock, the
// case and the reasons, not the time of scoring.
func scoreChanged(a, b *store.Score) bool {
	return a.Scorer != b.Scorer || a.Lang != b.Lang || a.Scored != b.Scored ||
		a.Complaint != b.Complaint || a.Severity != b.Severity || a.Sentiment != b.Sentiment ||
		a.Virality != b.Virality || a.Priority != b.Priority ||
		a.ReplyState != b.ReplyState || a.Target != b.Target || a.Overdue != b.Overdue ||
		a.Escalated != b.Escalated || a.Case != b.Case || !a.Recheck.Equal(b.Recheck) || !slices.Equal(a.Reasons, b.Reasons)
}

// threadCache reads each thread once per batch or sweep page: every member
// of a thread shares the one read.
type threadCache struct {
	st      *store.Store
	threads map[string][]store.Mention // by member key
}

func newThreadCache(st *store.Store) *threadCache {
	return &threadCache{st: st, threads: make(map[string][]store.Mention)}
}

func (c *threadCache) thread(key string) ([]store.Mention, error) {
	if t, ok := c.threads[key]; ok {
		return t, nil
	}
	t, err := c.st.Thread(key)
	if err != nil {
		return nil, fmt.Errorf("thread of %s: %w", key, err)
	}
	c.threads[key] = t
	for i := range t {
		c.threads[t[i].Key] = t
	}
	return t, nil
}

// mention returns a mention from a thread already read, or nil.
func (c *threadCache) mention(key string) *store.Mention {
	t := c.threads[key]
	for i := range t {
		if t[i].Key == key {
			m := t[i] // a copy: rescore updates it, the thread stays as read
			return &m
		}
	}
	return nil
}

// alertWrites collects the alert writes of one ingested batch or sweep
// page, so they reach the store in one transaction (flush) instead of one
// disk sync per alert: under load (the soak's 1,000 mentions/s, issue 8)
// those syncs were over half of the daemon's time and held the pipeline.
type alertWrites struct {
	ws     []store.AlertWrite
	opened []store.Alert // logged and counted once written
}

// flush writes w's alerts, in the order raise asked for them, then logs
// and counts the alerts opened. Call with p.mu held.
func (p *Pipeline) flush(w *alertWrites) error {
	err := p.st.WriteAlerts(w.ws)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("write alerts: %w", err) // nothing was written
	}
	for _, a := range w.opened {
		p.log.Info("alert opened", "alert", a.ID, "priority", a.Priority)
		if p.onRaise != nil {
			p.onRaise(a.Rule)
		}
	}
	if err != nil {
		return fmt.Errorf("write alerts: %w", err)
	}
	return nil
}

// evaluate runs the rules over one scored mention. With w, the alert
// writes are added to it for the caller to flush; without, each is
// written at once. Call with p.mu held.
func (p *Pipeline) evaluate(m *store.Mention, now time.Time, w *alertWrites) error {
	// The brand's own replies only reach the reply-audit rules; Match
	// decides which rule looks at which posts.
	if m.Score == nil {
		return nil
	}
	var errs []error
	for _, r := range p.rules {
		v, ok := r.Match(m)
		if r.Expr != "" {
			v, ok = p.matchExpr(r, m)
		}
		if !ok {
			continue
		}
		if err := p.raise(r, m, v, now, w); err != nil {
			errs = append(errs, fmt.Errorf("rule %s: %w", r.Name, err))
		}
	}
	return errors.Join(errs...)
}

// raise opens the rule's alert for m, or refreshes it while it is open:
// at once, or with w, when w is flushed. Call with p.mu held.
func (p *Pipeline) raise(r RuleConfig, m *store.Mention, v float64, now time.Time, w *alertWrites) error {
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
		// In one transaction: the router may have changed the alert's
		// level or snooze since it was read. The values are taken now:
		// with w, the write comes later.
		priority, reasons := m.Score.Priority, slices.Clone(m.Score.Reasons)
		update := func(cur *store.Alert) error {
			if cur.State == store.AlertOpen {
				cur.Priority, cur.Summary, cur.Reasons, cur.UpdatedAt = priority, summary, slices.Clone(reasons), now
			}
			return nil
		}
		if w != nil {
			w.ws = append(w.ws, store.AlertWrite{ID: id, Update: update})
			return nil
		}
		_, err := p.st.UpdateAlert(id, update)
		return err
	}
	if m.AnsweredAt != nil || closedByPeople(m, m.Score) {
		// The brand has answered or an agent has handled it; an alert now
		// would have nothing left to ask of anyone, and nothing would come
		// to resolve it.
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
	if w != nil {
		w.ws = append(w.ws, store.AlertWrite{Put: &a})
		w.opened = append(w.opened, a)
		return nil
	}
	if _, err := p.st.PutAlert(a); err != nil {
		return err
	}
	p.log.Info("alert opened", "alert", id, "priority", a.Priority)
	if p.onRaise != nil {
		p.onRaise(r.Name)
	}
	return nil
}

// resolve resolves the open and acknowledged alerts of closed mentions
// (key -> why, such as "answered by @acme"). Call with p.mu held.
func (p *Pipeline) resolve(closed map[string]string, now time.Time) error {
	if len(closed) == 0 {
		return nil
	}
	// The configured rules give the alert ids directly; a scan of the
	// unresolved alerts also finds alerts of rules removed or renamed since
	// (the store has no index by mention, so the scan sees the newest 1000
	// of each state).
	var ids []string
	for _, k := range slices.Sorted(maps.Keys(closed)) {
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
			if _, ok := closed[a.MentionKey]; ok && !slices.Contains(ids, a.ID) {
				ids = append(ids, a.ID)
			}
		}
	}
	var errs []error
	for _, id := range ids {
		a, found, err := p.st.Alert(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !found || a.State == store.AlertResolved {
			continue
		}
		why := closed[a.MentionKey]
		_, err = p.st.UpdateAlert(id, func(cur *store.Alert) error {
			if cur.State != store.AlertResolved {
				cur.State, cur.By, cur.UpdatedAt = store.AlertResolved, "", now
				cur.Reasons = append(slices.Clone(cur.Reasons), why)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.log.Info("alert resolved", "alert", id, "why", why)
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
	var what string
	switch r.Metric {
	case "":
		what = "matched " + excerpt(oneLineExpr(r.Expr), 80)
	case MetricSeverity:
		what = fmt.Sprintf("severity %d >= %s", int(v), strconv.FormatFloat(r.Min, 'f', -1, 64))
	case MetricOverdue:
		what = fmt.Sprintf("overdue %s >= %s", fmtDur(time.Duration(v*float64(time.Minute))), fmtDur(time.Duration(r.Min*float64(time.Minute))))
	case MetricEscalated:
		what = "escalated"
	default:
		what = fmt.Sprintf("%s %s >= %s", r.Metric, strconv.FormatFloat(v, 'f', 2, 64), strconv.FormatFloat(r.Min, 'f', -1, 64))
	}
	who := "someone"
	if m.Author.Handle != "" {
		who = handle(m.Author.Handle)
	}
	// Personal data is masked before the excerpt is cut, so a number cut
	// in half is never half shown: summaries travel to every receiver.
	text := m.Text
	if m.Score != nil && len(m.Score.PII) > 0 {
		text = audit.Mask(text, m.Score.PII)
	}
	if strings.TrimSpace(text) == "" {
		text = audit.MaskAll(m.Title)
	}
	return fmt.Sprintf("%s (rule %s): %s on %s: “%s”", what, r.Name, who, m.Source, excerpt(text, 140))
}
