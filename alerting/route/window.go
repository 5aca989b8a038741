// Package route decides who hears about an alert, and when: routes pick
// receivers by rule, severity, brand, source and time; on-call schedules
// say who is on duty; quiet hours hold non-critical notifications;
// grouping turns a burst of alerts into one notification; silences and
// snoozes mute; escalation goes to the next level when nobody
// acknowledges.
package route

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Window is a weekly time window in a schedule's time zone: the days it
// starts on and the time of day. An End before Start runs overnight into
// the next day (22:00 to 07:00).
//
//	{days: [mon-fri], start: "09:00", end: "18:00"}
type Window struct {
	Days  []string `yaml:"days"`
	Start string   `yaml:"start"`
	End   string   `yaml:"end"`
}

// weekly is a parsed Window.
type weekly struct {
	days       [7]bool // by time.Weekday
	start, end int     // minutes after midnight; end may be 1440
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func parseWindow(w Window) (weekly, []string) {
	var out weekly
	var bad []string
	if len(w.Days) == 0 {
		bad = append(bad, "days: at least one day is needed (mon..sun, or a range such as mon-fri)")
	}
	for _, d := range w.Days {
		from, to, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(d)), "-")
		a, b := slices.Index(dayNames, from), slices.Index(dayNames, to)
		if !isRange {
			b = a
		}
		if a < 0 || b < 0 {
			bad = append(bad, fmt.Sprintf("days: %q is not a day or a range of days", clip(d, 20)))
			continue
		}
		for i := a; ; i = (i + 1) % 7 {
			out.days[i] = true
			if i == b {
				break
			}
		}
	}
	var err error
	if out.start, err = parseHHMM(w.Start, false); err != nil {
		bad = append(bad, "start: "+err.Error())
	}
	if out.end, err = parseHHMM(w.End, true); err != nil {
		bad = append(bad, "end: "+err.Error())
	}
	if len(bad) == 0 && out.start == out.end%1440 {
		bad = append(bad, "end: the same time as start: the window would be empty")
	}
	return out, bad
}

func parseHHMM(s string, isEnd bool) (int, error) {
	hh, mm, ok := strings.Cut(s, ":")
	h, e1 := strconv.Atoi(hh)
	m, e2 := strconv.Atoi(mm)
	if !ok || e1 != nil || e2 != nil || len(mm) != 2 || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && (m != 0 || !isEnd)) {
		if s == "" {
			return 0, fmt.Errorf("required (HH:MM)")
		}
		return 0, fmt.Errorf("%q is not HH:MM", clip(s, 20))
	}
	return h*60 + m, nil
}

// contains reports whether t (already in the zone) is inside the window.
func (w weekly) contains(t time.Time) bool {
	m := t.Hour()*60 + t.Minute()
	wd := int(t.Weekday())
	if w.start < w.end {
		return w.days[wd] && m >= w.start && m < w.end
	}
	// Overnight: the evening of a listed day, or the morning after one.
	return (w.days[wd] && m >= w.start) || (w.days[(wd+6)%7] && m < w.end)
}

// inAny reports whether t falls in any of the windows, read in loc.
func inAny(ws []weekly, loc *time.Location, t time.Time) bool {
	lt := t.In(loc)
	for _, w := range ws {
		if w.contains(lt) {
			return true
		}
	}
	return false
}

// edges appends the times in (from, to] at which any window starts or
// ends: where who is on duty may change.
func edges(ws []weekly, loc *time.Location, from, to time.Time, out []time.Time) []time.Time {
	lf := from.In(loc)
	day := time.Date(lf.Year(), lf.Month(), lf.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, -1)
	for ; !day.After(to); day = day.AddDate(0, 0, 1) {
		for _, w := range ws {
			for _, m := range []int{w.start, w.end} {
				t := time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, loc)
				if t.After(from) && !t.After(to) {
					out = append(out, t)
				}
			}
		}
	}
	return out
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
