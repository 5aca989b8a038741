package route

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pantau/pantau/alerting/notify"
	"github.com/pantau/pantau/store"
)

// Outbox takes the engine's notifications; *notify.Dispatcher implements
// it. key makes the outbox items' ids (with the receiver and action), so
// a decision replayed after a crash enqueues nothing twice.
type Outbox interface {
	EnqueueKeyed(key string, a store.Alert, receivers []string, action notify.Action) error
}

// Options wire an Engine.
type Options struct {
	Store  *store.Store
	Outbox Outbox
	// Filters are the receivers' own filters (min_priority, rules,
	// brands, actions in the receivers section), applied after routing.
	Filters map[string]notify.Route
	Logger  *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Engine turns alerts into notifications: it follows the store, routes
// each alert, groups, holds what is muted or quiet, escalates, and tells
// the receivers that were told of a trigger about its acknowledge and
// resolve. All its decisions are kept in the store, so a restart goes on
// where it stopped.
type Engine struct {
	st      *store.Store
	out     Outbox
	filters map[string]notify.Route
	routes  []*compiledRoute
	scheds  []*Schedule
	log     *slog.Logger
	now     func() time.Time

	// mu makes one tick (or one person's action) at a time.
	mu sync.Mutex
}

type compiledRoute struct {
	RouteConfig
	loc                            *time.Location
	active, quiet                  []weekly
	wait, critWait, interval, rept time.Duration
}

// DefaultRoute is the route used when the config has none: every alert
// on its own, at once, to every receiver (as their own filters allow),
// never repeated: what Pantau did before routes existed.
func DefaultRoute(receivers []string) RouteConfig {
	zero := time.Duration(0)
	return RouteConfig{Name: "default", GroupBy: []string{"alert"}, GroupWait: &zero, GroupInterval: &zero, RepeatInterval: &zero,
		Levels: []LevelConfig{{Receivers: receivers}}}
}

// New compiles a validated config into an engine.
func New(c Config, o Options) (*Engine, error) {
	e := &Engine{st: o.Store, out: o.Outbox, filters: o.Filters, log: o.Logger, now: o.Now}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	for _, sc := range c.OnCall {
		s, err := compileSchedule(sc)
		if err != nil {
			return nil, fmt.Errorf("oncall %s: %w", sc.Name, err)
		}
		e.scheds = append(e.scheds, s)
	}
	for _, rc := range c.Routes {
		r := &compiledRoute{RouteConfig: rc, loc: time.UTC,
			wait: durOr(rc.GroupWait, DefaultGroupWait), critWait: durOr(rc.CriticalGroupWait, 0),
			interval: durOr(rc.GroupInterval, DefaultGroupInterval), rept: durOr(rc.RepeatInterval, DefaultRepeatInterval)}
		if rc.Timezone != "" {
			loc, err := time.LoadLocation(rc.Timezone)
			if err != nil {
				return nil, fmt.Errorf("route %s: %w", rc.Name, err)
			}
			r.loc = loc
		}
		for _, w := range rc.Active {
			pw, _ := parseWindow(w)
			r.active = append(r.active, pw)
		}
		for _, w := range rc.QuietHours {
			pw, _ := parseWindow(w)
			r.quiet = append(r.quiet, pw)
		}
		if len(r.GroupBy) == 0 {
			r.GroupBy = []string{"rule", "brand"}
		}
		e.routes = append(e.routes, r)
	}
	return e, nil
}

func durOr(d *time.Duration, def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return *d
}

// severity names an alert's urgency as receivers know it.
func severity(a *store.Alert) string { return notify.Severity(a.Priority) }

func field(a *store.Alert, name string) string {
	switch name {
	case "rule":
		return a.Rule
	case "brand":
		return a.Brand
	case "source":
		return a.Source
	case "severity":
		return severity(a)
	case "alert":
		return a.ID
	}
	return ""
}

func (r *compiledRoute) match(a *store.Alert, now time.Time) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	return in(r.Rules, a.Rule) && in(r.Severities, severity(a)) && in(r.Brands, a.Brand) && in(r.Sources, a.Source) &&
		(len(r.active) == 0 || inAny(r.active, r.loc, now))
}

func (r *compiledRoute) quietAt(now time.Time) bool {
	return len(r.quiet) > 0 && inAny(r.quiet, r.loc, now)
}

func (e *Engine) route(name string) *compiledRoute {
	for _, r := range e.routes {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Records kept in the store (notify_state), by key prefix.
const (
	prefAlert = "a/" // alert id -> alertRec: the route that took it
	prefGroup = "g/" // group key -> groupRec
	prefMsg   = "m/" // message id -> msgRec
	// keySince is when the engine first ran: alerts opened before it are
	// not announced (they were raised before notifications were set up,
	// or announced by the follower that came before the router).
	keySince = "meta/since"
)

type alertRec struct {
	Route string `json:"route"`
	// Level and SentAt: the level at which the alert was last notified,
	// and when. Its escalation clock runs from then (not from when it was
	// raised: an alert held by quiet hours has not been seen by anyone).
	Level  int       `json:"level,omitempty"`
	SentAt time.Time `json:"sent_at,omitzero"`
}

// groupRec is one group's notification history.
type groupRec struct {
	// MsgID is the alert id the group's notifications carry (so a
	// receiver that dedupes, such as PagerDuty, keeps one incident).
	MsgID        string    `json:"msg_id"`
	FirstPending time.Time `json:"first_pending,omitzero"`
	LastSent     time.Time `json:"last_sent,omitzero"`
	Notified     []string  `json:"notified,omitempty"`
	Count        int       `json:"count"`
}

// msgRec is who was told of a message's trigger, about which alerts: they
// are told of its acknowledge and resolve.
type msgRec struct {
	Receivers []string `json:"receivers"`
	Members   []string `json:"members"`
	Acked     bool     `json:"acked,omitempty"`
}

type state struct {
	raw    map[string][]byte // as loaded: unchanged records are not rewritten
	since  time.Time
	alerts map[string]*alertRec
	groups map[string]*groupRec
	msgs   map[string]*msgRec
	dirty  map[string][]byte
}

func (e *Engine) load() (*state, error) {
	raw, err := e.st.NotifyStates("")
	if err != nil {
		return nil, err
	}
	s := &state{raw: raw, alerts: map[string]*alertRec{}, groups: map[string]*groupRec{}, msgs: map[string]*msgRec{}, dirty: map[string][]byte{}}
	for k, v := range raw {
		var err error
		switch {
		case strings.HasPrefix(k, prefAlert):
			r := &alertRec{}
			err, s.alerts[k[len(prefAlert):]] = json.Unmarshal(v, r), r
		case strings.HasPrefix(k, prefGroup):
			r := &groupRec{}
			err, s.groups[k[len(prefGroup):]] = json.Unmarshal(v, r), r
		case strings.HasPrefix(k, prefMsg):
			r := &msgRec{}
			err, s.msgs[k[len(prefMsg):]] = json.Unmarshal(v, r), r
		case k == keySince:
			err = json.Unmarshal(v, &s.since)
		}
		if err != nil {
			e.log.Error("notify routing: unreadable record dropped", "key", k)
			s.dirty[k] = nil
		}
	}
	return s, nil
}

// MarkFirstStart records now as the router's first start unless one is
// recorded: call it before anything can raise alerts, so an alert raised
// while the router starts is announced, not taken for one from before.
func MarkFirstStart(st *store.Store, now time.Time) error {
	have, err := st.NotifyStates(keySince)
	if err != nil || len(have) > 0 {
		return err
	}
	data, _ := json.Marshal(now)
	return st.SetNotifyStates(map[string][]byte{keySince: data})
}

func (s *state) put(key string, v any) {
	data, _ := json.Marshal(v)
	if old, ok := s.raw[key]; ok && string(old) == string(data) {
		delete(s.dirty, key)
		return
	}
	s.dirty[key] = data
}

// unresolved returns the open and acknowledged alerts by id.
func (e *Engine) unresolved() (map[string]store.Alert, error) {
	list, err := e.st.UnresolvedAlerts()
	if err != nil {
		return nil, err
	}
	out := make(map[string]store.Alert, len(list))
	for _, a := range list {
		out[a.ID] = a
	}
	return out, nil
}

// activeSilences are the silences not run out at now.
func (e *Engine) activeSilences(now time.Time) ([]store.Silence, error) {
	all, err := e.st.Silences()
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(s store.Silence) bool { return !now.Before(s.Until) }), nil
}

// Silenced reports whether a silence matches a: every matcher equals the
// alert's field.
func Silenced(a *store.Alert, silences []store.Silence) bool {
	for _, s := range silences {
		if len(s.Matchers) > 0 && !slices.ContainsFunc(s.Matchers, func(m store.Matcher) bool { return field(a, m.Field) != m.Value }) {
			return true
		}
	}
	return false
}

type groupWork struct {
	r       *compiledRoute
	level   int
	members []store.Alert
}

// Tick does everything due at the clock's now: routes new alerts,
// escalates, sends what grouping lets go, repeats, and passes on
// acknowledges and resolves. Run calls it whenever the store changes; tests
// call it with an injected clock.
func (e *Engine) Tick(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	s, err := e.load()
	if err != nil {
		return err
	}
	if s.since.IsZero() {
		s.since = now
		s.put(keySince, now)
	}
	if len(e.routes) == 0 && len(s.alerts) == 0 && len(s.groups) == 0 && len(s.msgs) == 0 {
		// No route can take an alert and nothing routed earlier awaits a
		// follow-up: the rest of the tick would change nothing. Skipping
		// it matters because it decodes every unresolved alert, and Run
		// ticks on every alert change: a dashboard-only deployment (no
		// receivers) with many open alerts spent half the daemon's CPU
		// here in the soak (issue 8).
		return e.st.SetNotifyStates(s.dirty)
	}
	alerts, err := e.unresolved()
	if err != nil {
		return err
	}
	silences, err := e.activeSilences(now)
	if err != nil {
		return err
	}
	var errs []error
	groups := map[string]*groupWork{}
	held := map[string]bool{}
	// First, which route takes each alert; new alerts start at level 1,
	// all in one transaction.
	routed := map[string]*compiledRoute{}
	var fresh []string
	for _, id := range slices.Sorted(maps.Keys(alerts)) {
		a := alerts[id]
		rec := s.alerts[id]
		if rec == nil && a.OpenedAt.Before(s.since) {
			continue
		}
		var r *compiledRoute
		if rec != nil {
			r = e.route(rec.Route)
		}
		if r == nil {
			// The first route that takes it keeps it, even when its
			// active window ends meanwhile.
			for _, c := range e.routes {
				if c.match(&a, now) {
					r = c
					break
				}
			}
			if r == nil {
				continue
			}
			rec = &alertRec{Route: r.Name}
			s.alerts[id] = rec
			s.put(prefAlert+id, rec)
		}
		routed[id] = r
		if a.Level == 0 {
			fresh = append(fresh, id)
		}
	}
	if len(fresh) > 0 {
		updated, err := e.st.UpdateAlerts(fresh, func(a *store.Alert) error {
			if a.Level == 0 {
				t := now
				a.Level, a.EscalatedAt = 1, &t
			}
			return nil
		})
		if err != nil {
			return err
		}
		maps.Copy(alerts, updated)
	}
	for _, id := range slices.Sorted(maps.Keys(routed)) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		a, r, rec := alerts[id], routed[id], s.alerts[id]
		if a.State != store.AlertOpen {
			continue
		}
		crit := severity(&a) == "critical"
		muted := (a.SnoozedUntil != nil && now.Before(*a.SnoozedUntil)) || Silenced(&a, silences)
		// Quiet hours hold non-critical alerts, and their escalation,
		// until they end.
		if !muted && !(!crit && r.quietAt(now)) && escalationDue(r, &a, rec, now) {
			if a, err = e.setLevel(id, a.Level+1, now); err != nil {
				errs = append(errs, err)
				continue
			}
			e.log.Info("alert escalated", "alert", id, "level", a.Level)
		}
		level := min(a.Level, len(r.Levels))
		var key strings.Builder
		key.WriteString(r.Name + "|L" + strconv.Itoa(level))
		for _, f := range r.GroupBy {
			key.WriteString("|" + f + "=" + field(&a, f))
		}
		if muted || (!crit && r.quietAt(now)) {
			// Held: the group keeps what it already sent.
			held[key.String()] = true
			continue
		}
		g := groups[key.String()]
		if g == nil {
			g = &groupWork{r: r, level: level}
			groups[key.String()] = g
		}
		g.members = append(g.members, a)
	}
	for _, key := range slices.Sorted(maps.Keys(groups)) {
		if err := e.group(s, key, groups[key], now); err != nil {
			errs = append(errs, err)
		}
	}
	// Groups with no open alert left start afresh next time.
	for key := range s.groups {
		if groups[key] == nil && !held[key] {
			delete(s.groups, key)
			s.dirty[prefGroup+key] = nil
		}
	}
	errs = append(errs, e.followUps(s, alerts))
	for id := range s.alerts {
		if _, ok := alerts[id]; !ok {
			s.dirty[prefAlert+id] = nil // resolved: done with it
		}
	}
	errs = append(errs, e.st.SetNotifyStates(s.dirty))
	return errors.Join(errs...)
}

// escalationDue reports whether an open alert has waited at its level,
// unacknowledged, for as long as the next level's after. The clock runs
// from its notification at the level, and starts again after a snooze.
func escalationDue(r *compiledRoute, a *store.Alert, rec *alertRec, now time.Time) bool {
	if a.Level >= len(r.Levels) || rec.Level != a.Level || rec.SentAt.IsZero() {
		return false
	}
	base := rec.SentAt
	if a.SnoozedUntil != nil && a.SnoozedUntil.After(base) {
		base = *a.SnoozedUntil
	}
	return !now.Before(base.Add(r.Levels[a.Level].After))
}

func (e *Engine) setLevel(id string, level int, now time.Time) (store.Alert, error) {
	return e.st.UpdateAlert(id, func(a *store.Alert) error {
		t := now
		a.Level, a.EscalatedAt = level, &t
		return nil
	})
}

// group decides whether a group's notification is due, and sends it.
func (e *Engine) group(s *state, key string, g *groupWork, now time.Time) error {
	r := g.r
	gr := s.groups[key]
	if gr == nil {
		gr = &groupRec{MsgID: "group:" + key + "@" + strconv.FormatInt(now.Unix(), 10)}
		if slices.Equal(r.GroupBy, []string{"alert"}) {
			gr.MsgID = g.members[0].ID // one alert, its own id: as receivers always saw it
		}
		s.groups[key] = gr
	}
	var fresh int
	crit := false
	firstNew := now
	for i := range g.members {
		if !slices.Contains(gr.Notified, g.members[i].ID) {
			fresh++
			// The wait runs from when the alert was raised, not from when
			// the router first looked: a router that was busy or
			// restarting does not add its delay to the wait.
			if op := g.members[i].OpenedAt; !op.IsZero() && op.Before(firstNew) {
				firstNew = op
			}
		}
		crit = crit || severity(&g.members[i]) == "critical"
	}
	due := false
	switch {
	case fresh > 0:
		if gr.FirstPending.IsZero() || firstNew.Before(gr.FirstPending) {
			gr.FirstPending = firstNew
		}
		wait := r.wait
		if crit {
			wait = r.critWait
		}
		if gr.LastSent.IsZero() {
			due = !now.Before(gr.FirstPending.Add(wait))
		} else {
			due = !now.Before(gr.LastSent.Add(r.interval))
		}
	case r.rept > 0 && !gr.LastSent.IsZero():
		due = !now.Before(gr.LastSent.Add(r.rept))
	}
	defer s.put(prefGroup+key, gr)
	if !due {
		return nil
	}
	slices.SortFunc(g.members, func(a, b store.Alert) int {
		return cmp.Or(cmp.Compare(b.Priority, a.Priority), strings.Compare(a.ID, b.ID))
	})
	msg := e.message(gr.MsgID, g, fresh, now)
	receivers := e.receivers(r, g.level, now)
	var to []string
	for _, name := range receivers {
		if f, ok := e.filters[name]; !ok || f.Match(msg, notify.Trigger) {
			to = append(to, name)
		}
	}
	if len(to) > 0 {
		sendKey := gr.MsgID + "#" + strconv.Itoa(g.level) + "." + strconv.Itoa(gr.Count+1)
		if err := e.out.EnqueueKeyed(sendKey, msg, to, notify.Trigger); err != nil {
			return err
		}
		m := s.msgs[gr.MsgID]
		if m == nil {
			m = &msgRec{}
			s.msgs[gr.MsgID] = m
		}
		for _, t := range to {
			if !slices.Contains(m.Receivers, t) {
				m.Receivers = append(m.Receivers, t)
			}
		}
		for i := range g.members {
			id := g.members[i].ID
			if !slices.Contains(m.Members, id) {
				m.Members = append(m.Members, id)
			}
			if rec := s.alerts[id]; rec != nil && rec.Level != g.level {
				rec.Level, rec.SentAt = g.level, now
				s.put(prefAlert+id, rec)
			}
		}
		m.Acked = false
		s.put(prefMsg+gr.MsgID, m)
	} else {
		e.log.Warn("notify routing: no receiver takes the group", "route", r.Name, "level", g.level, "group", key)
	}
	gr.LastSent, gr.FirstPending, gr.Count = now, time.Time{}, gr.Count+1
	gr.Notified = gr.Notified[:0]
	for i := range g.members {
		gr.Notified = append(gr.Notified, g.members[i].ID)
	}
	return nil
}

// maxListed bounds the alerts a group's message lists.
const maxListed = 10

// message is what the group's notification says: the alert itself when
// it is alone, else a summary of the group, most urgent first.
func (e *Engine) message(msgID string, g *groupWork, fresh int, now time.Time) store.Alert {
	if len(g.members) == 1 {
		a := g.members[0]
		a.ID = msgID
		return a
	}
	common := func(f string) string {
		v := field(&g.members[0], f)
		for i := range g.members {
			if field(&g.members[i], f) != v {
				return ""
			}
		}
		return v
	}
	a := store.Alert{
		ID: msgID, Rule: common("rule"), Brand: common("brand"), Source: common("source"),
		State: store.AlertOpen, Priority: g.members[0].Priority, UpdatedAt: now,
		Summary: fmt.Sprintf("%d alerts (%d new) on route %s, level %d", len(g.members), fresh, g.r.Name, g.level),
	}
	a.OpenedAt = g.members[0].OpenedAt
	for i, m := range g.members {
		if m.OpenedAt.Before(a.OpenedAt) {
			a.OpenedAt = m.OpenedAt
		}
		if i < maxListed {
			a.Reasons = append(a.Reasons, m.Summary)
		}
	}
	if n := len(g.members) - maxListed; n > 0 {
		a.Reasons = append(a.Reasons, fmt.Sprintf("and %d more on the dashboard", n))
	}
	return a
}

// receivers of a route's level at now: its own, and whoever is on call.
func (e *Engine) receivers(r *compiledRoute, level int, now time.Time) []string {
	l := r.Levels[level-1]
	out := slices.Clone(l.Receivers)
	if l.OnCall != "" {
		for _, s := range e.scheds {
			if s.Name == l.OnCall {
				if m, ok := s.At(now); ok {
					out = append(out, m.Receivers...)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// followUps tells the receivers of each message when all its alerts are
// acknowledged, and when all are resolved (PagerDuty closes the incident).
func (e *Engine) followUps(s *state, alerts map[string]store.Alert) error {
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(s.msgs)) {
		m := s.msgs[id]
		resolved, acked := true, true
		var last store.Alert
		for _, mid := range m.Members {
			a, ok := alerts[mid]
			if !ok {
				stored, found, err := e.st.Alert(mid)
				if err != nil {
					errs = append(errs, err)
					resolved, acked = false, false
					break
				}
				if !found {
					continue
				}
				a = stored
			}
			last = a
			resolved = resolved && a.State == store.AlertResolved
			acked = acked && a.State != store.AlertOpen
		}
		msg := last
		msg.ID = id
		if len(m.Members) > 1 {
			msg.Summary = fmt.Sprintf("%d alerts", len(m.Members))
			msg.MentionKey = ""
		}
		// The receivers' own filters say whether they want to be told
		// (actions: [trigger] takes triggers only).
		told := func(action notify.Action) []string {
			var to []string
			for _, name := range m.Receivers {
				f, ok := e.filters[name]
				switch {
				case !ok && e.filters != nil:
					// No longer configured: nobody to tell.
				case !ok || f.Match(msg, action):
					to = append(to, name)
				}
			}
			return to
		}
		switch {
		case resolved:
			msg.State = store.AlertResolved
			if err := e.out.EnqueueKeyed(id, msg, told(notify.Resolve), notify.Resolve); err != nil {
				errs = append(errs, err)
				continue
			}
			delete(s.msgs, id)
			s.dirty[prefMsg+id] = nil
		case acked && !m.Acked:
			msg.State = store.AlertAcknowledged
			if err := e.out.EnqueueKeyed(id, msg, told(notify.Acknowledge), notify.Acknowledge); err != nil {
				errs = append(errs, err)
				continue
			}
			m.Acked = true
			s.put(prefMsg+id, m)
		}
	}
	return errors.Join(errs...)
}

// Run ticks at once, then whenever the store records a change to an
// alert or a silence, and at least every poll (group waits, escalations
// and quiet hours end with time alone), until ctx is done. Other changes
// (mentions, scores, deliveries) do not wake it: on a busy store that
// would be a full look at the alerts for every ingested post.
func (e *Engine) Run(ctx context.Context, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	changed := e.st.Changed()
	seq, err := e.st.LastSeq()
	if err != nil {
		e.log.Error("notify routing: read event log", "err", err)
	}
	due := true
	for {
		if due {
			if err := e.Tick(ctx); err != nil && ctx.Err() == nil {
				e.log.Error("notify routing", "err", err)
			}
			due = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			due = true
		case <-changed:
			// Take the next channel before reading, so no commit in
			// between is missed.
			changed = e.st.Changed()
			var relevant bool
			relevant, seq = e.relevantSince(seq)
			due = due || relevant
		}
	}
}

// relevantSince reads the events after seq and reports whether one is
// about an alert or a silence, with the last sequence number read. A read
// error counts as relevant: a tick is never wrong, only extra work.
func (e *Engine) relevantSince(seq uint64) (bool, uint64) {
	const page = 1000
	found := false
	for {
		evs, err := e.st.EventsSince(seq, page)
		if err != nil {
			return true, seq
		}
		for _, ev := range evs {
			seq = ev.Seq
			switch ev.Type {
			case store.EventAlert, store.EventSilence, store.EventSilenceDeleted:
				found = true
			}
		}
		if len(evs) < page {
			return found, seq
		}
	}
}
