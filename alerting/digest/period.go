// Package digest builds Pantau's daily and weekly reputation digests for
// marketing: the period's numbers against the previous period of the same
// length, a chart, and the period's highest-priority complaints. A digest
// is rendered once when its period ends and handed to the notification
// outbox, which delivers it to e-mail and Slack receivers at least once.
package digest

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Kind is which digest: daily or weekly.
type Kind string

// Digest kinds.
const (
	Daily  Kind = "daily"
	Weekly Kind = "weekly"
)

// days is the length of a kind's period in calendar days.
func (k Kind) days() int {
	if k == Weekly {
		return 7
	}
	return 1
}

// ParseKind reads "daily" or "weekly".
func ParseKind(s string) (Kind, error) {
	switch Kind(s) {
	case Daily, Weekly:
		return Kind(s), nil
	}
	return "", fmt.Errorf("%q is not daily or weekly", s)
}

// Period is a half-open span of time [Start, End) in a time zone.
type Period struct {
	Start, End time.Time
}

// PeriodFor is the period a digest of kind sent at at reports on: the
// calendar days (one or seven) in loc that ended at the last midnight
// before at. Days are counted on the calendar, not in 24-hour steps, so a
// day across a DST change is 23 or 25 hours long and still one day.
func PeriodFor(kind Kind, at time.Time, loc *time.Location) Period {
	l := at.In(loc)
	end := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	return Period{Start: end.AddDate(0, 0, -kind.days()), End: end}
}

// Previous is the period of the same number of calendar days just before p.
func (p Period) Previous() Period {
	days := int((p.End.Sub(p.Start) + 12*time.Hour) / (24 * time.Hour))
	return Period{Start: p.Start.AddDate(0, 0, -days), End: p.Start}
}

// Contains reports whether t falls in [Start, End).
func (p Period) Contains(t time.Time) bool { return !t.Before(p.Start) && t.Before(p.End) }

// Label names the period for people: "Sat 21 Nov 2026" or
// "Mon 16 – Sun 22 Nov 2026".
func (p Period) Label() string {
	last := p.End.AddDate(0, 0, -1)
	if !last.After(p.Start) {
		return p.Start.Format("Mon 2 Jan 2006")
	}
	return p.Start.Format("Mon 2 Jan") + " – " + last.Format("Mon 2 Jan 2006")
}

// ID identifies a digest of kind for the period starting at start: the
// outbox's alert id for it, so each (digest, period, receiver) is one
// outbox item and is sent once.
func ID(kind Kind, p Period) string {
	return "digest|" + string(kind) + "|" + p.Start.Format("2006-01-02")
}

// ParseSchedule parses a standard five-field cron expression (or @daily,
// @weekly...) read in loc. @every is refused: a digest reports on calendar
// days and must be sent at a time of day.
func ParseSchedule(spec string, loc *time.Location) (cron.Schedule, error) {
	spec = strings.TrimSpace(spec)
	switch {
	case spec == "":
		return nil, fmt.Errorf("required (a cron expression such as \"0 8 * * *\")")
	case strings.HasPrefix(spec, "@every"):
		return nil, fmt.Errorf("%q: use a cron expression (a digest is sent at a time of day, not every so often)", spec)
	case strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ="):
		return nil, fmt.Errorf("%q: set the time zone in timezone:, not in the schedule", spec)
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("%q: %v", spec, err)
	}
	if ss, ok := s.(*cron.SpecSchedule); ok {
		ss.Location = loc
	}
	// "0 8 30 2 *" parses but never fires: say so instead of never
	// sending.
	if s.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, loc)).IsZero() {
		return nil, fmt.Errorf("%q never fires", spec)
	}
	return s, nil
}

// lookback bounds how far back LastFire looks for a missed run.
const lookback = 35 * 24 * time.Hour

// LastFire returns the latest time at or before now that s fires, within
// the last five weeks; ok is false when there is none.
func LastFire(s cron.Schedule, now time.Time) (t time.Time, ok bool) {
	// Next is strictly after its argument: start just before the window.
	cur := now.Add(-lookback)
	for {
		n := s.Next(cur)
		if n.IsZero() || n.After(now) {
			return t, ok
		}
		t, ok, cur = n, true, n
	}
}
