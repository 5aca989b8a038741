package route

import (
	"strings"
	"testing"
	"time"
)

func leads() ScheduleConfig {
	return ScheduleConfig{
		Name: "leads", Level: 2, Timezone: "Asia/Jakarta",
		// Weekly turns, handing over on Monday 09:00 Jakarta time.
		Rotation: RotationConfig{Start: "2026-11-02T09:00:00+07:00", Every: 7 * 24 * time.Hour},
		Members:  []Member{{Name: "Rina", Receivers: []string{"rina"}}, {Name: "Budi", Receivers: []string{"budi"}}},
		Overrides: []Override{{From: "2026-12-24T00:00:00+07:00", To: "2026-12-27T00:00:00+07:00",
			Name: "Sari", Receivers: []string{"sari"}}},
	}
}

func jkt(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04 -0700", s+" +0700")
	if err != nil {
		panic(err)
	}
	return t
}

func TestScheduleRotationAndOverride(t *testing.T) {
	s, err := compileSchedule(leads())
	if err != nil {
		t.Fatal(err)
	}
	for at, want := range map[string]string{
		"2026-11-02 09:00": "Rina",
		"2026-11-09 08:59": "Rina",
		"2026-11-09 09:00": "Budi",
		"2026-11-16 10:00": "Rina",
		"2026-10-30 12:00": "Budi", // before the start: the rotation runs backwards too
		"2026-12-24 00:00": "Sari", // the override
		"2026-12-26 23:59": "Sari",
		"2026-12-27 00:00": "Budi", // Dec 21 09:00 began Budi's week
	} {
		if got, ok := s.At(jkt(at)); !ok || got.Name != want {
			t.Errorf("At(%s) = %q, %v; want %s", at, got.Name, ok, want)
		}
	}
	// Next: the handover, then the override.
	at, who, ok := s.Next(jkt("2026-11-05 12:00"))
	if !ok || who.Name != "Budi" || !at.Equal(jkt("2026-11-09 09:00")) {
		t.Errorf("Next = %v %q %v", at, who.Name, ok)
	}
	at, who, ok = s.Next(jkt("2026-12-23 12:00"))
	if !ok || who.Name != "Sari" || !at.Equal(jkt("2026-12-24 00:00")) {
		t.Errorf("Next before the override = %v %q %v", at, who.Name, ok)
	}
}

func TestScheduleWindows(t *testing.T) {
	c := ScheduleConfig{Name: "agents", Timezone: "Asia/Jakarta", Members: []Member{{Name: "CS team", Receivers: []string{"agents"}}},
		Windows: []Window{{Days: []string{"mon-fri"}, Start: "08:00", End: "20:00"}, {Days: []string{"sat"}, Start: "22:00", End: "02:00"}}}
	s, err := compileSchedule(c)
	if err != nil {
		t.Fatal(err)
	}
	for at, want := range map[string]bool{
		"2026-11-23 07:59": false, "2026-11-23 08:00": true, "2026-11-27 19:59": true, "2026-11-27 20:00": false,
		"2026-11-28 23:00": true, "2026-11-29 01:59": true, "2026-11-29 02:00": false, // overnight from Saturday
	} {
		if _, ok := s.At(jkt(at)); ok != want {
			t.Errorf("on duty at %s = %v, want %v", at, ok, want)
		}
	}
	at, who, ok := s.Next(jkt("2026-11-27 21:00")) // Friday night
	if !ok || who.Name != "CS team" || !at.Equal(jkt("2026-11-28 22:00")) {
		t.Errorf("Next = %v %q %v", at, who.Name, ok)
	}
}

func TestEngineOnCall(t *testing.T) {
	c := twoLevels()
	c.OnCall = []ScheduleConfig{leads()}
	c.Routes[0].Levels[1] = LevelConfig{After: 15 * time.Minute, OnCall: "leads"}
	f := newFixture(t, c)
	f.clock.t = jkt("2026-11-10 12:00")
	now, next := f.e.OnCall()
	if len(now) != 1 || now[0].Name != "Budi" || now[0].Level != 2 || now[0].Receivers[0] != "budi" {
		t.Errorf("now = %+v", now)
	}
	if len(next) != 1 || next[0].Name != "Rina" || !next[0].From.Equal(jkt("2026-11-16 09:00")) {
		t.Errorf("next = %+v", next)
	}
	// Level 2 goes to whoever is on call.
	if got := f.e.receivers(f.e.routes[0], 2, f.clock.Now()); strings.Join(got, ",") != "budi" {
		t.Errorf("level 2 receivers = %v", got)
	}
}

func TestConfigValidate(t *testing.T) {
	neg := -time.Second
	c := Config{
		OnCall: []ScheduleConfig{{Name: "leads", Timezone: "Mars/Olympus", Members: []Member{{Name: "A", Receivers: []string{"nobody"}}, {Name: "B", Receivers: []string{"rina"}}},
			Rotation:  RotationConfig{Start: "monday", Every: time.Minute},
			Windows:   []Window{{Days: []string{"mon-fry"}, Start: "9:00", End: "25:00"}},
			Overrides: []Override{{From: "2026-12-27T00:00:00Z", To: "2026-12-24T00:00:00Z", Name: "S", Receivers: []string{"sari"}}}}},
		Routes: []RouteConfig{{Name: "r", Rules: []string{"nope"}, Severities: []string{"high"}, GroupBy: []string{"text"}, GroupWait: &neg,
			Levels: []LevelConfig{{After: time.Minute, Receivers: []string{"agents"}}, {OnCall: "ghosts", After: 10 * time.Second}}},
			{Name: "r"}},
	}
	err := c.Validate([]string{"agents", "rina", "sari"}, []string{"complaint"})
	for _, want := range []string{
		`oncall[0].timezone: unknown time zone "Mars/Olympus"`,
		`oncall[0].members[0].receivers[0]: no receiver named "nobody"`,
		`oncall[0].rotation.start: "monday" is not an RFC 3339 time`,
		"oncall[0].rotation.every: at least 1h",
		`oncall[0].windows[0].days: "mon-fry" is not a day`,
		"oncall[0].windows[0].end:",
		"oncall[0].overrides[0].to: must be after from",
		`routes[0].rules[0]: no rule or spike named "nope"`,
		`routes[0].severities[0]: "high" is not critical`,
		`routes[0].group_by[0]: "text" is not rule`,
		"routes[0].group_wait: -1s out of range",
		"routes[0].levels[0].after: the first level starts at once",
		`routes[0].levels[1].oncall: no on-call schedule named "ghosts"`,
		"routes[0].levels[1].after: 10s out of range",
		`routes[1].name: duplicate "r"`,
		"routes[1].levels: at least one level is needed",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}
