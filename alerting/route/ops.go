package route

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pantau/pantau/store"
)

// Limits on what a person may ask for.
const (
	MaxSnooze      = 7 * 24 * time.Hour
	MaxSilence     = 90 * 24 * time.Hour
	maxMatchers    = 10
	maxMatchValue  = 200
	maxCommentLen  = 500
	groupMsgPrefix = "group:"
)

// ErrBadRequest marks a person's request the engine refuses as invalid
// (the dashboard answers 400).
var ErrBadRequest = errors.New("bad request")

// Snooze holds an alert's notifications, and its escalation, back for d.
// Its record stays on the dashboard. A resolved alert cannot be snoozed.
func (e *Engine) Snooze(id string, d time.Duration, by string) (store.Alert, error) {
	if d <= 0 || d > MaxSnooze {
		return store.Alert{}, fmt.Errorf("snooze: %s out of range (1m to %s): %w", d, MaxSnooze, ErrBadRequest)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	until := e.now().Add(d)
	a, err := e.st.UpdateAlert(id, func(a *store.Alert) error {
		if a.State == store.AlertResolved {
			return fmt.Errorf("snooze alert %q: it is resolved: %w", id, store.ErrConflict)
		}
		a.SnoozedUntil = &until
		if a.EscalatedAt != nil {
			// The escalation clock starts again when the snooze ends.
			t := until
			a.EscalatedAt = &t
		}
		return nil
	})
	if err == nil {
		e.log.Info("alert snoozed", "alert", id, "until", until, "by", by)
	}
	return a, err
}

// Escalate moves an open alert to its route's next level now. It is a
// conflict when the alert is acknowledged (someone is on it), resolved,
// not routed, or already at the last level.
func (e *Engine) Escalate(id, by string) (store.Alert, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	s, err := e.load()
	if err != nil {
		return store.Alert{}, err
	}
	a, err := e.st.UpdateAlert(id, func(a *store.Alert) error {
		if a.State != store.AlertOpen {
			return fmt.Errorf("escalate alert %q: it is %s: %w", id, a.State, store.ErrConflict)
		}
		var r *compiledRoute
		if rec := s.alerts[id]; rec != nil {
			r = e.route(rec.Route)
		}
		if r == nil {
			for _, c := range e.routes {
				if c.match(a, now) {
					r = c
					break
				}
			}
		}
		if r == nil {
			return fmt.Errorf("escalate alert %q: no route takes it: %w", id, store.ErrConflict)
		}
		if max(a.Level, 1) >= len(r.Levels) {
			return fmt.Errorf("escalate alert %q: already at the last level of route %s: %w", id, r.Name, store.ErrConflict)
		}
		t := now
		a.Level, a.EscalatedAt, a.SnoozedUntil = max(a.Level, 1)+1, &t, nil
		return nil
	})
	if err == nil {
		e.log.Info("alert escalated by hand", "alert", id, "level", a.Level, "by", by)
	}
	return a, err
}

// AcknowledgeGroup acknowledges every open alert of a group's message
// (the acknowledge link of a grouped notification) through ack, the
// pipeline's state machine. An id that is not a group's is ErrNotFound.
func (e *Engine) AcknowledgeGroup(id, by string, ack func(id, by string) (store.Alert, error)) error {
	if !strings.HasPrefix(id, groupMsgPrefix) {
		return fmt.Errorf("group %q: %w", id, store.ErrNotFound)
	}
	e.mu.Lock()
	s, err := e.load()
	e.mu.Unlock()
	if err != nil {
		return err
	}
	m := s.msgs[id]
	if m == nil {
		return fmt.Errorf("group %q: %w", id, store.ErrNotFound)
	}
	var errs []error
	for _, mid := range m.Members {
		if _, err := ack(mid, by); err != nil && !errors.Is(err, store.ErrConflict) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// IsGroup reports whether an alert id names a grouped notification.
func IsGroup(id string) bool { return strings.HasPrefix(id, groupMsgPrefix) }

// MatcherFields are the alert fields a silence may match.
var MatcherFields = []string{"rule", "brand", "source", "severity"}

// Silences returns the silences that have not run out.
func (e *Engine) Silences() ([]store.Silence, error) {
	return e.activeSilences(e.now())
}

// AddSilence checks and stores a silence; its By is who asked.
func (e *Engine) AddSilence(si store.Silence) (store.Silence, error) {
	now := e.now()
	var errs []string
	switch {
	case len(si.Matchers) == 0:
		errs = append(errs, "matchers: at least one is needed (a silence of everything is a mistake waiting to happen)")
	case len(si.Matchers) > maxMatchers:
		errs = append(errs, fmt.Sprintf("matchers: at most %d", maxMatchers))
	}
	for i, m := range si.Matchers {
		if !slices.Contains(MatcherFields, m.Field) {
			errs = append(errs, fmt.Sprintf("matchers[%d].field: %q is not rule, brand, source or severity", i, clip(m.Field, 40)))
		}
		if v := strings.TrimSpace(m.Value); v == "" || len(v) > maxMatchValue || !cleanText(v) {
			errs = append(errs, fmt.Sprintf("matchers[%d].value: want 1 to %d bytes of text", i, maxMatchValue))
		}
		if m.Field == "severity" && !slices.Contains(severities, m.Value) {
			errs = append(errs, fmt.Sprintf("matchers[%d].value: %q is not critical, error, warning or info", i, clip(m.Value, 40)))
		}
	}
	switch {
	case si.Until.IsZero():
		errs = append(errs, "until: required (RFC 3339)")
	case !si.Until.After(now):
		errs = append(errs, "until: must be in the future")
	case si.Until.Sub(now) > MaxSilence:
		errs = append(errs, fmt.Sprintf("until: at most %s ahead", MaxSilence))
	}
	if c := strings.TrimSpace(si.Comment); c == "" || utf8.RuneCountInString(c) > maxCommentLen || !cleanText(c) {
		errs = append(errs, fmt.Sprintf("comment: say why, in 1 to %d characters", maxCommentLen))
	}
	if len(errs) > 0 {
		return store.Silence{}, fmt.Errorf("%s: %w", strings.Join(errs, "; "), ErrBadRequest)
	}
	si.ID, si.CreatedAt = "", now
	for i := range si.Matchers {
		si.Matchers[i].Value = strings.TrimSpace(si.Matchers[i].Value)
	}
	si.Comment = strings.TrimSpace(si.Comment)
	out, err := e.st.PutSilence(si)
	if err == nil {
		e.log.Info("silence added", "silence", out.ID, "until", out.Until, "by", out.By)
	}
	return out, err
}

// DeleteSilence ends a silence now.
func (e *Engine) DeleteSilence(id, by string) error {
	_, err := e.st.DeleteSilence(id)
	if err == nil {
		e.log.Info("silence removed", "silence", id, "by", by)
	}
	return err
}

func cleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' {
			return false
		}
	}
	return true
}

// OnDuty is who is on call now on one schedule.
type OnDuty struct {
	Level     int
	Name      string
	Schedule  string
	Receivers []string
}

// Handover is the next change on one schedule.
type Handover struct {
	Level    int
	Name     string
	Schedule string
	From     time.Time
}

// OnCall says who is on call now and who is next, by schedule, lowest
// level first.
func (e *Engine) OnCall() (now []OnDuty, next []Handover) {
	t := e.now()
	for _, s := range e.scheds {
		if m, ok := s.At(t); ok {
			now = append(now, OnDuty{Level: s.Level, Name: m.Name, Schedule: s.Name, Receivers: slices.Clone(m.Receivers)})
		}
		if at, m, ok := s.Next(t); ok {
			next = append(next, Handover{Level: s.Level, Name: m.Name, Schedule: s.Name, From: at})
		}
	}
	slices.SortStableFunc(now, func(a, b OnDuty) int { return a.Level - b.Level })
	slices.SortStableFunc(next, func(a, b Handover) int { return a.Level - b.Level })
	return now, next
}
