package route

import (
	"slices"
	"time"
)

// Schedule is a compiled on-call schedule.
type Schedule struct {
	Name      string
	Level     int
	loc       *time.Location
	start     time.Time
	every     time.Duration
	members   []Member
	windows   []weekly
	overrides []override
}

type override struct {
	from, to time.Time
	who      Member
}

// Duty is who is on call on a schedule.
type Duty struct {
	Schedule string
	Level    int
	Member
}

func compileSchedule(c ScheduleConfig) (*Schedule, error) {
	s := &Schedule{Name: c.Name, Level: max(c.Level, 1), loc: time.UTC, every: c.Rotation.Every, members: c.Members}
	if c.Timezone != "" {
		loc, err := time.LoadLocation(c.Timezone)
		if err != nil {
			return nil, err
		}
		s.loc = loc
	}
	if c.Rotation.Start != "" {
		t, err := time.Parse(time.RFC3339, c.Rotation.Start)
		if err != nil {
			return nil, err
		}
		s.start = t
	}
	for _, w := range c.Windows {
		pw, _ := parseWindow(w)
		s.windows = append(s.windows, pw)
	}
	for _, o := range c.Overrides {
		from, err1 := time.Parse(time.RFC3339, o.From)
		to, err2 := time.Parse(time.RFC3339, o.To)
		if err1 != nil || err2 != nil {
			continue // Validate said so
		}
		s.overrides = append(s.overrides, override{from, to, Member{Name: o.Name, Receivers: o.Receivers}})
	}
	return s, nil
}

// At returns who is on call at t, and false when nobody is (outside the
// schedule's windows). An override wins over the windows and the rotation:
// it is someone standing in on purpose.
func (s *Schedule) At(t time.Time) (Member, bool) {
	for _, o := range s.overrides {
		if !t.Before(o.from) && t.Before(o.to) {
			return o.who, true
		}
	}
	if len(s.windows) > 0 && !inAny(s.windows, s.loc, t) {
		return Member{}, false
	}
	if len(s.members) == 1 || s.every <= 0 {
		return s.members[0], true
	}
	n := int64(t.Sub(s.start) / s.every)
	if t.Before(s.start) && t.Sub(s.start)%s.every != 0 {
		n-- // floor, not truncation toward zero
	}
	i := int(((n % int64(len(s.members))) + int64(len(s.members))) % int64(len(s.members)))
	return s.members[i], true
}

// horizon bounds the search for the next handover.
const horizon = 35 * 24 * time.Hour

// Next returns the next change of who is on call after t: the time and
// who takes over (false when nobody does within five weeks, or when the
// schedule goes off duty rather than to someone else).
func (s *Schedule) Next(t time.Time) (time.Time, Member, bool) {
	cur, on := s.At(t)
	end := t.Add(horizon)
	var cand []time.Time
	if len(s.members) > 1 && s.every > 0 {
		n := t.Sub(s.start) / s.every
		for b := s.start.Add(n * s.every); !b.After(end); b = b.Add(s.every) {
			if b.After(t) {
				cand = append(cand, b)
			}
		}
	}
	for _, o := range s.overrides {
		for _, x := range []time.Time{o.from, o.to} {
			if x.After(t) && !x.After(end) {
				cand = append(cand, x)
			}
		}
	}
	cand = edges(s.windows, s.loc, t, end, cand)
	slices.SortFunc(cand, func(a, b time.Time) int { return a.Compare(b) })
	for _, c := range cand {
		who, ok := s.At(c)
		if ok && (!on || who.Name != cur.Name) {
			return c, who, true
		}
		if !ok && on {
			// Off duty from c; the next person on is found later.
			cur, on = Member{}, false
		}
	}
	return time.Time{}, Member{}, false
}
