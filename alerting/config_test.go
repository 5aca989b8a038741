package alerting

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestScoringConfigValidate(t *testing.T) {
	hours := func(days []string, start, end string) *BusinessHours {
		return &BusinessHours{Days: days, Start: start, End: end}
	}
	cases := map[string]struct {
		cfg  ScoringConfig
		want []string // each error line, in order; none means valid
	}{
		"zero value":            {},
		"24x7":                  {cfg: ScoringConfig{ClockConfig: ClockConfig{Timezone: "Asia/Jakarta", BusinessHours: &BusinessHours{Always: true}}}},
		"office hours":          {cfg: ScoringConfig{ClockConfig: ClockConfig{Timezone: "Asia/Jakarta", BusinessHours: hours([]string{"mon-fri", "sat"}, "08:00", "20:00")}}},
		"night shift and 24:00": {cfg: ScoringConfig{ClockConfig: ClockConfig{BusinessHours: hours([]string{"fri-mon"}, "22:00", "24:00")}}},
		"overlapping ranges": {
			cfg:  ScoringConfig{ClockConfig: ClockConfig{BusinessHours: hours([]string{"mon-wed", "tue-fri"}, "08:00", "17:00")}},
			want: []string{`scoring.business_hours.days[1]: "tue-fri" repeats tue`},
		},
		"targets": {cfg: ScoringConfig{ClockConfig: ClockConfig{Targets: Targets{
			Social: 30 * time.Minute, Kinds: map[string]time.Duration{"youtube": 4 * time.Hour}, Sources: map[string]time.Duration{"app-store-id": 12 * time.Hour},
		}}}},
		"bad start": {
			cfg:  ScoringConfig{ClockConfig: ClockConfig{BusinessHours: hours([]string{"mon"}, "25:00", "20:00")}},
			want: []string{`scoring.business_hours.start: "25:00" is not HH:MM`},
		},
		"24:00 is only an end": {
			cfg:  ScoringConfig{ClockConfig: ClockConfig{BusinessHours: hours([]string{"mon"}, "24:00", "20:00")}},
			want: []string{`scoring.business_hours.start: "24:00" is not HH:MM`},
		},
		"missing times and days": {
			cfg: ScoringConfig{ClockConfig: ClockConfig{BusinessHours: hours(nil, "", "8pm")}},
			want: []string{
				"scoring.business_hours.days: at least one day is needed (mon, tue, wed, thu, fri, sat, sun, or a range such as mon-fri)",
				"scoring.business_hours.start: required (HH:MM)",
				`scoring.business_hours.end: "8pm" is not HH:MM`,
			},
		},
		"bad and repeated days": {
			cfg: ScoringConfig{ClockConfig: ClockConfig{BusinessHours: hours([]string{"mon", "funday", "mon", "mon-xyz"}, "08:00", "17:00")}},
			want: []string{
				`scoring.business_hours.days[1]: "funday" is not a day (want mon, tue, wed, thu, fri, sat, sun, or a range such as mon-fri)`,
				`scoring.business_hours.days[2]: "mon" repeats mon`,
				`scoring.business_hours.days[3]: "mon-xyz" is not a day (want mon, tue, wed, thu, fri, sat, sun, or a range such as mon-fri)`,
			},
		},
		"empty window": {
			cfg:  ScoringConfig{ClockConfig: ClockConfig{BusinessHours: hours([]string{"mon"}, "00:00", "24:00")}},
			want: []string{`scoring.business_hours.end: "24:00" is the same time as start: the window would be empty (use 24x7 for around the clock)`},
		},
		"unknown zone": {
			cfg:  ScoringConfig{ClockConfig: ClockConfig{Timezone: "Asia/Jakrta"}},
			want: []string{`scoring.timezone: unknown time zone "Asia/Jakrta" (want an IANA name such as Asia/Jakarta)`},
		},
		"Local is not a zone for a config": {
			cfg:  ScoringConfig{ClockConfig: ClockConfig{Timezone: "Local"}},
			want: []string{`scoring.timezone: unknown time zone "Local" (want an IANA name such as Asia/Jakarta)`},
		},
		"bad targets": {
			cfg: ScoringConfig{ClockConfig: ClockConfig{Targets: Targets{
				Social: -time.Hour, Review: time.Second,
				Kinds:   map[string]time.Duration{"YouTube": time.Hour, "reddit": 0},
				Sources: map[string]time.Duration{"forum": 100 * 24 * time.Hour, " ": time.Hour},
			}}},
			want: []string{
				"scoring.targets.social: -1h0m0s is out of range (want 1m to 90d)",
				"scoring.targets.review: 1s is out of range (want 1m to 90d)",
				`scoring.targets.kinds: "YouTube" is not a source kind`,
				"scoring.targets.kinds.reddit: 0s is out of range (want 1m to 90d)",
				"scoring.targets.sources: a source name is empty",
				"scoring.targets.sources.forum: 2400h0m0s is out of range (want 1m to 90d)",
			},
		},
		"brand overrides are checked with their path": {
			cfg: ScoringConfig{Brands: map[string]ClockConfig{
				"kilat": {Timezone: "Mars/Olympus", BusinessHours: hours([]string{"mon"}, "9", "17:00")},
				"":      {},
			}},
			want: []string{
				"scoring.brands: a brand name is empty",
				`scoring.brands.kilat.timezone: unknown time zone "Mars/Olympus" (want an IANA name such as Asia/Jakarta)`,
				`scoring.brands.kilat.business_hours.start: "9" is not HH:MM`,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.cfg.Validate("scoring")
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if _, err := NewScorer(tc.cfg, NewTextScorer(), nil); err != nil {
					t.Fatalf("NewScorer: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if got, want := err.Error(), strings.Join(tc.want, "\n"); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			if _, err := NewScorer(tc.cfg, NewTextScorer(), nil); err == nil {
				t.Error("NewScorer accepted an invalid config")
			}
		})
	}
}

// decodeStrict decodes the way cmd/pantau does: unknown keys are errors.
func decodeStrict(src string, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader([]byte(src)))
	dec.KnownFields(true)
	return dec.Decode(v)
}

func TestScoringConfigYAML(t *testing.T) {
	var doc struct {
		Scoring ScoringConfig `yaml:"scoring"`
	}
	src := `
scoring:
  timezone: Asia/Jakarta
  business_hours: {days: [mon-fri], start: "08:00", end: "20:00"}
  targets:
    social: 1h
    review: 24h
    kinds: {youtube: 4h}
    sources: {app-store-id: 12h}
  brands:
    kilat:
      business_hours: 24x7
      targets:
        sources: {kilat-forum: 2h}
`
	if err := decodeStrict(src, &doc); err != nil {
		t.Fatal(err)
	}
	sc := doc.Scoring
	if err := sc.Validate("scoring"); err != nil {
		t.Fatal(err)
	}
	if sc.Timezone != "Asia/Jakarta" || sc.BusinessHours == nil || sc.BusinessHours.Always || sc.BusinessHours.Start != "08:00" ||
		sc.Targets.Kinds["youtube"] != 4*time.Hour || sc.Targets.Sources["app-store-id"] != 12*time.Hour {
		t.Errorf("decoded %+v", sc)
	}
	kilat := sc.Brands["kilat"]
	if kilat.BusinessHours == nil || !kilat.BusinessHours.Always {
		t.Errorf("24x7 not decoded: %+v", kilat)
	}

	// Targets: source name, then kind, then channel; a brand inherits what
	// it leaves out.
	s, err := NewScorer(sc, NewTextScorer(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		brand, source, kind string
		want                time.Duration
		always              bool
	}{
		{"", "masto", "mastodon", time.Hour, false},
		{"", "yt", "youtube", 4 * time.Hour, false},
		{"", "app-store-id", "appstore", 12 * time.Hour, false},
		{"", "play", "googleplay", 24 * time.Hour, false},
		{"", "disc", "discourse", DefaultForumTarget, false},
		{"", "hook", "webhook", time.Hour, false},
		{"kilat", "kilat-forum", "discourse", 2 * time.Hour, true},
		{"kilat", "app-store-id", "appstore", 12 * time.Hour, true},
		{"kilat", "yt", "youtube", 4 * time.Hour, true},
	} {
		r := s.rules(tc.brand)
		if got := r.target(tc.source, tc.kind); got != tc.want || r.sched.always != tc.always || r.sched.loc.String() != "Asia/Jakarta" {
			t.Errorf("%s/%s/%s: target %v always %v zone %v, want %v %v", tc.brand, tc.source, tc.kind, got, r.sched.always, r.sched.loc, tc.want, tc.always)
		}
	}
}

func TestScoringConfigYAMLErrors(t *testing.T) {
	var doc struct {
		Scoring ScoringConfig `yaml:"scoring"`
	}
	cases := map[string]struct{ src, want string }{
		"unknown key in business hours": {
			src:  "scoring:\n  business_hours:\n    days: [mon]\n    start: \"08:00\"\n    ends: \"17:00\"\n",
			want: "line 5: field ends not found in type alerting.BusinessHours",
		},
		"a word that is not 24x7": {
			src:  "scoring:\n  business_hours: always\n",
			want: `line 2: business_hours: "always" is not 24x7 or a mapping of days, start and end`,
		},
		"unknown key in the section": {
			src:  "scoring:\n  time_zone: Asia/Jakarta\n",
			want: "line 2: field time_zone not found",
		},
		"a target that is not a duration": {
			src:  "scoring:\n  targets:\n    social: soon\n",
			want: "line 3: cannot unmarshal",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := decodeStrict(tc.src, &doc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
