package alerting

import "time"

// schedule is the weekly window the unanswered clock runs in, in one time
// zone. Windows are built from wall-clock times with time.Date each day,
// so a day with a daylight-saving change is 23 or 25 hours long and a
// window across the change is an hour shorter or longer, as the people
// working it experience it.
type schedule struct {
	loc    *time.Location
	always bool    // 24x7: every instant is business time
	days   [7]bool // by time.Weekday
	// start and end are minutes after local midnight. An end at or before
	// start is an overnight window ending the next day.
	start, end int
}

// maxClockDays bounds the day-by-day walk: a post older than this (a
// backfill, a bad timestamp) is overdue anyway, and the walk must stay
// cheap for every sweep.
const maxClockDays = 400

// windows calls fn with the business windows that end after from, in
// order, for at most days days, until fn returns false.
func (s *schedule) windows(from time.Time, days int, fn func(start, end time.Time) bool) {
	f := from.In(s.loc)
	y, m, d := f.Date()
	// Start a day early: yesterday's overnight window may still be open.
	for i := -1; i <= days; i++ {
		// Noon is never skipped or repeated by a clock change.
		if !s.days[time.Date(y, m, d+i, 12, 0, 0, 0, s.loc).Weekday()] {
			continue
		}
		ws := time.Date(y, m, d+i, s.start/60, s.start%60, 0, 0, s.loc)
		endDay := d + i
		if s.end <= s.start {
			endDay++
		}
		// time.Date normalises 24:00 to the next midnight.
		we := time.Date(y, m, endDay, s.end/60, s.end%60, 0, 0, s.loc)
		if !we.After(from) {
			continue
		}
		if !fn(ws, we) {
			return
		}
	}
}

// working is the business time between from and to; zero when to is not
// after from.
func (s *schedule) working(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	if s.always {
		return to.Sub(from)
	}
	if limit := to.AddDate(0, 0, -maxClockDays); from.Before(limit) {
		from = limit
	}
	var total time.Duration
	s.windows(from, int(to.Sub(from)/(24*time.Hour))+2, func(ws, we time.Time) bool {
		if !ws.Before(to) {
			return false
		}
		total += minTime(we, to).Sub(maxTime(ws, from))
		return true
	})
	return total
}

// deadline is the instant at which d of business time will have passed
// since from. It is the zero time when no window comes within
// maxClockDays (a schedule without days, which Validate refuses).
func (s *schedule) deadline(from time.Time, d time.Duration) time.Time {
	if s.always {
		return from.Add(d)
	}
	left := d
	var due time.Time
	s.windows(from, maxClockDays, func(ws, we time.Time) bool {
		st := maxTime(ws, from)
		if seg := we.Sub(st); seg < left {
			left -= seg
			return true
		}
		due = st.Add(left)
		return false
	})
	return due
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
