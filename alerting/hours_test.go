package alerting

import (
	"testing"
	"time"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// sched builds a schedule the way the config does, so the tests cover the
// parsing too.
func sched(t testing.TB, zone string, days []string, start, end string) schedule {
	t.Helper()
	r, err := ClockConfig{Timezone: zone, BusinessHours: &BusinessHours{Days: days, Start: start, End: end}}.compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	return r.sched
}

func TestScheduleWorking(t *testing.T) {
	jkt, ber := mustZone(t, "Asia/Jakarta"), mustZone(t, "Europe/Berlin")
	at := func(loc *time.Location, s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	office := sched(t, "Asia/Jakarta", []string{"mon-fri"}, "08:00", "20:00")
	nights := sched(t, "Asia/Jakarta", []string{"mon", "tue", "wed", "thu", "fri"}, "22:00", "06:00")
	everyDay := sched(t, "Europe/Berlin", []string{"mon-sun"}, "00:00", "24:00")
	earlyBerlin := sched(t, "Europe/Berlin", []string{"sun"}, "01:00", "04:00")
	always := schedule{loc: ber, always: true}

	cases := map[string]struct {
		s        schedule
		from, to time.Time
		want     time.Duration
	}{
		// 14 March 2025 is a Friday.
		"within one day":         {office, at(jkt, "2025-03-14 10:00"), at(jkt, "2025-03-14 12:13"), 2*time.Hour + 13*time.Minute},
		"before opening":         {office, at(jkt, "2025-03-14 06:00"), at(jkt, "2025-03-14 08:45"), 45 * time.Minute},
		"over the weekend":       {office, at(jkt, "2025-03-14 19:30"), at(jkt, "2025-03-17 08:30"), time.Hour},
		"all weekend":            {office, at(jkt, "2025-03-15 09:00"), at(jkt, "2025-03-16 18:00"), 0},
		"overnight, posted late": {office, at(jkt, "2025-03-18 22:00"), at(jkt, "2025-03-19 09:00"), time.Hour},
		"a whole week":           {office, at(jkt, "2025-03-17 08:00"), at(jkt, "2025-03-24 08:00"), 60 * time.Hour},
		"to before from":         {office, at(jkt, "2025-03-14 12:00"), at(jkt, "2025-03-14 11:00"), 0},
		// The time zone decides: 13:00 UTC is 20:00 in Jakarta, closing time.
		"zone, after closing":  {office, time.Date(2025, 3, 14, 13, 0, 0, 0, time.UTC), time.Date(2025, 3, 14, 15, 0, 0, 0, time.UTC), 0},
		"zone, before closing": {office, time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC), time.Date(2025, 3, 14, 15, 0, 0, 0, time.UTC), time.Hour},
		// A night shift's window belongs to the day it starts on.
		"night shift, Friday night into Saturday": {nights, at(jkt, "2025-03-15 01:00"), at(jkt, "2025-03-15 05:00"), 4 * time.Hour},
		"night shift, Sunday night is off":        {nights, at(jkt, "2025-03-16 23:00"), at(jkt, "2025-03-17 01:00"), 0},
		"night shift, across the morning":         {nights, at(jkt, "2025-03-17 21:00"), at(jkt, "2025-03-18 07:00"), 8 * time.Hour},
		// Daylight saving time in Berlin: 30 March 2025 has 23 hours,
		// 26 October 2025 has 25.
		"DST spring, every day":        {everyDay, at(ber, "2025-03-29 12:00"), at(ber, "2025-03-30 12:00"), 23 * time.Hour},
		"DST spring, around the clock": {always, at(ber, "2025-03-29 12:00"), at(ber, "2025-03-30 12:00"), 23 * time.Hour},
		"DST autumn, every day":        {everyDay, at(ber, "2025-10-25 12:00"), at(ber, "2025-10-26 12:00"), 25 * time.Hour},
		"DST spring, window across":    {earlyBerlin, at(ber, "2025-03-30 00:00"), at(ber, "2025-03-30 12:00"), 2 * time.Hour},
		"DST autumn, window across":    {earlyBerlin, at(ber, "2025-10-26 00:00"), at(ber, "2025-10-26 12:00"), 4 * time.Hour},
		"DST, an ordinary Sunday":      {earlyBerlin, at(ber, "2025-04-06 00:00"), at(ber, "2025-04-06 12:00"), 3 * time.Hour},
		// A bad timestamp years back stays cheap and bounded.
		"years back is capped": {office, at(jkt, "2001-01-01 00:00"), at(jkt, "2025-03-14 09:00"), 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := tc.s.working(tc.from, tc.to)
			if name == "years back is capped" {
				// About 400 days of 60-hour weeks, not 24 years of them.
				if got < 3000*time.Hour || got > 3600*time.Hour {
					t.Errorf("working = %v", got)
				}
				return
			}
			if got != tc.want {
				t.Errorf("working(%v, %v) = %v, want %v", tc.from, tc.to, got, tc.want)
			}
		})
	}
}

func TestScheduleDeadline(t *testing.T) {
	jkt, ber := mustZone(t, "Asia/Jakarta"), mustZone(t, "Europe/Berlin")
	at := func(loc *time.Location, s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	office := sched(t, "Asia/Jakarta", []string{"mon-fri"}, "08:00", "20:00")
	berlinDays := sched(t, "Europe/Berlin", []string{"mon-sun"}, "08:00", "20:00")
	cases := map[string]struct {
		s    schedule
		from time.Time
		d    time.Duration
		want time.Time
	}{
		"same day":                {office, at(jkt, "2025-03-14 10:00"), time.Hour, at(jkt, "2025-03-14 11:00")},
		"ends exactly at closing": {office, at(jkt, "2025-03-14 19:00"), time.Hour, at(jkt, "2025-03-14 20:00")},
		"over the weekend":        {office, at(jkt, "2025-03-14 19:30"), time.Hour, at(jkt, "2025-03-17 08:30")},
		"posted on Sunday":        {office, at(jkt, "2025-03-16 10:00"), time.Hour, at(jkt, "2025-03-17 09:00")},
		"overnight":               {office, at(jkt, "2025-03-18 22:00"), time.Hour, at(jkt, "2025-03-19 09:00")},
		"a day of business hours": {office, at(jkt, "2025-03-14 12:00"), 24 * time.Hour, at(jkt, "2025-03-18 12:00")},
		// Wall-clock 14:00 on both Sundays, a different instant in UTC.
		"DST spring":       {berlinDays, at(ber, "2025-03-29 19:00"), 7 * time.Hour, time.Date(2025, 3, 30, 12, 0, 0, 0, time.UTC)},
		"DST autumn":       {berlinDays, at(ber, "2025-10-25 19:00"), 7 * time.Hour, time.Date(2025, 10, 26, 13, 0, 0, 0, time.UTC)},
		"around the clock": {schedule{loc: time.UTC, always: true}, at(jkt, "2025-03-15 10:00"), time.Hour, at(jkt, "2025-03-15 11:00")},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := tc.s.deadline(tc.from, tc.d)
			if !got.Equal(tc.want) {
				t.Errorf("deadline(%v, %v) = %v, want %v", tc.from, tc.d, got, tc.want)
			}
			// The two functions agree: at the deadline exactly d has passed.
			if w := tc.s.working(tc.from, got); w != tc.d {
				t.Errorf("working up to the deadline = %v, want %v", w, tc.d)
			}
		})
	}
}
