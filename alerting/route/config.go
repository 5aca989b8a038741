package route

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	// Schedules name IANA zones; the database is embedded so a container
	// without /usr/share/zoneinfo reads them too.
	_ "time/tzdata"
)

// Defaults of a route's timing (Alertmanager's, in spirit).
const (
	DefaultGroupWait      = 30 * time.Second
	DefaultGroupInterval  = 5 * time.Minute
	DefaultRepeatInterval = 4 * time.Hour
)

// Config is the `routes:` and `oncall:` sections of the main config.
type Config struct {
	Routes []RouteConfig
	OnCall []ScheduleConfig
}

// RouteConfig picks the alerts it takes (every listed field must match;
// empty matches all), and says who hears about them, level by level.
// The first route that matches an alert takes it.
//
//	routes:
//	  - name: critical
//	    severities: [critical]
//	    group_by: [rule, brand]
//	    levels:
//	      - receivers: [cs-slack]
//	      - after: 15m
//	        oncall: leads
type RouteConfig struct {
	Name       string   `yaml:"name"`
	Rules      []string `yaml:"rules"`
	Severities []string `yaml:"severities"` // critical, error, warning, info
	Brands     []string `yaml:"brands"`
	Sources    []string `yaml:"sources"`
	// Timezone reads Active and QuietHours; empty is UTC.
	Timezone string `yaml:"timezone"`
	// Active limits the route to these weekly windows (business hours to
	// one team, nights to another); empty is always.
	Active []Window `yaml:"active"`
	// QuietHours hold non-critical notifications until they end;
	// critical ones go at once.
	QuietHours []Window `yaml:"quiet_hours"`
	// GroupBy are the alert fields whose values make one group: rule,
	// brand, source, severity, or alert (every alert on its own).
	// Default: rule and brand.
	GroupBy []string `yaml:"group_by"`
	// GroupWait collects a new group's alerts before its first
	// notification; default 30s. CriticalGroupWait applies instead when
	// a critical alert is among them; default 0, so a critical alert goes
	// out at once.
	GroupWait         *time.Duration `yaml:"group_wait"`
	CriticalGroupWait *time.Duration `yaml:"critical_group_wait"`
	// GroupInterval is the least time between notifications about a
	// group that has new alerts; default 5m.
	GroupInterval *time.Duration `yaml:"group_interval"`
	// RepeatInterval re-notifies a group whose alerts are still open and
	// unacknowledged; default 4h, 0 never.
	RepeatInterval *time.Duration `yaml:"repeat_interval"`
	// Levels are the escalation levels, first one first.
	Levels []LevelConfig `yaml:"levels"`
}

// LevelConfig is one escalation level: its receivers, and the on-call
// schedule whose person on duty is added. After is how long an alert
// waits unacknowledged at the level before this one.
type LevelConfig struct {
	After     time.Duration `yaml:"after"`
	Receivers []string      `yaml:"receivers"`
	OnCall    string        `yaml:"oncall"`
}

// ScheduleConfig is an on-call rotation: members take turns, handing over
// every Every from Start, on duty inside Windows (always, when empty);
// an override replaces whoever is on call for a date range.
//
//	oncall:
//	  - name: leads
//	    level: 2
//	    timezone: Asia/Jakarta
//	    rotation: {start: "2026-11-02T09:00:00+07:00", every: 168h}
//	    members:
//	      - {name: Rina, receivers: [rina-ntfy]}
//	      - {name: Budi, receivers: [budi-telegram]}
//	    overrides:
//	      - {from: "2026-12-24T00:00:00+07:00", to: "2026-12-27T00:00:00+07:00", name: Sari, receivers: [sari-ntfy]}
type ScheduleConfig struct {
	Name string `yaml:"name"`
	// Level is the escalation level the schedule staffs (shown on the
	// leads' screen); default 1.
	Level     int            `yaml:"level"`
	Timezone  string         `yaml:"timezone"`
	Rotation  RotationConfig `yaml:"rotation"`
	Members   []Member       `yaml:"members"`
	Windows   []Window       `yaml:"windows"`
	Overrides []Override     `yaml:"overrides"`
}

// RotationConfig is when the first member's turn starts (RFC 3339) and
// how long each turn lasts.
type RotationConfig struct {
	Start string        `yaml:"start"`
	Every time.Duration `yaml:"every"`
}

// Member is a person on a schedule and the receivers that reach them.
type Member struct {
	Name      string   `yaml:"name"`
	Receivers []string `yaml:"receivers"`
}

// Override puts a person on call from From to To (RFC 3339), whatever the
// rotation says.
type Override struct {
	From      string   `yaml:"from"`
	To        string   `yaml:"to"`
	Name      string   `yaml:"name"`
	Receivers []string `yaml:"receivers"`
}

// groupFields are what group_by may name.
var groupFields = []string{"rule", "brand", "source", "severity", "alert"}

// Severities, as notify.Severity names them.
var severities = []string{"critical", "error", "warning", "info"}

// Validate checks both sections against the configured receivers and
// rule names (rules and spikes). Messages start with the YAML path.
func (c Config) Validate(receivers, rules []string) error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	checkReceivers := func(path string, list []string) {
		for i, r := range list {
			if !slices.Contains(receivers, r) {
				bad(fmt.Sprintf("%s[%d]", path, i), "no receiver named %q", clip(r, 64))
			}
		}
	}
	checkWindows := func(path string, ws []Window) {
		for i, w := range ws {
			if _, msgs := parseWindow(w); len(msgs) > 0 {
				for _, m := range msgs {
					bad(fmt.Sprintf("%s[%d].%s", path, i, strings.SplitN(m, ": ", 2)[0]), "%s", strings.SplitN(m, ": ", 2)[1])
				}
			}
		}
	}
	checkZone := func(path, tz string) {
		if tz != "" {
			if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
				bad(path, "unknown time zone %q (want an IANA name such as Asia/Jakarta)", clip(tz, 64))
			}
		}
	}
	var schedNames []string
	for i, s := range c.OnCall {
		p := fmt.Sprintf("oncall[%d]", i)
		switch {
		case strings.TrimSpace(s.Name) == "":
			bad(p+".name", "required")
		case slices.Contains(schedNames, s.Name):
			bad(p+".name", "duplicate %q", s.Name)
		}
		schedNames = append(schedNames, s.Name)
		if s.Level < 0 || s.Level > 10 {
			bad(p+".level", "%d out of range (1 to 10)", s.Level)
		}
		checkZone(p+".timezone", s.Timezone)
		if len(s.Members) == 0 {
			bad(p+".members", "at least one member is needed")
		}
		for j, m := range s.Members {
			mp := fmt.Sprintf("%s.members[%d]", p, j)
			if strings.TrimSpace(m.Name) == "" {
				bad(mp+".name", "required")
			}
			if len(m.Receivers) == 0 {
				bad(mp+".receivers", "at least one receiver is needed")
			}
			checkReceivers(mp+".receivers", m.Receivers)
		}
		if len(s.Members) > 1 {
			if _, err := time.Parse(time.RFC3339, s.Rotation.Start); err != nil {
				bad(p+".rotation.start", "%q is not an RFC 3339 time such as 2026-11-02T09:00:00+07:00", clip(s.Rotation.Start, 40))
			}
			if s.Rotation.Every < time.Hour {
				bad(p+".rotation.every", "at least 1h is needed to rotate %d members", len(s.Members))
			}
		}
		checkWindows(p+".windows", s.Windows)
		for j, o := range s.Overrides {
			op := fmt.Sprintf("%s.overrides[%d]", p, j)
			from, errF := time.Parse(time.RFC3339, o.From)
			to, errT := time.Parse(time.RFC3339, o.To)
			if errF != nil {
				bad(op+".from", "%q is not an RFC 3339 time", clip(o.From, 40))
			}
			if errT != nil {
				bad(op+".to", "%q is not an RFC 3339 time", clip(o.To, 40))
			}
			if errF == nil && errT == nil && !to.After(from) {
				bad(op+".to", "must be after from")
			}
			if strings.TrimSpace(o.Name) == "" {
				bad(op+".name", "required")
			}
			if len(o.Receivers) == 0 {
				bad(op+".receivers", "at least one receiver is needed")
			}
			checkReceivers(op+".receivers", o.Receivers)
		}
	}
	var names []string
	for i, r := range c.Routes {
		p := fmt.Sprintf("routes[%d]", i)
		switch {
		case strings.TrimSpace(r.Name) == "":
			bad(p+".name", "required")
		case slices.Contains(names, r.Name):
			bad(p+".name", "duplicate %q", r.Name)
		case strings.ContainsAny(r.Name, "|\x00"):
			bad(p+".name", "must not contain '|'")
		}
		names = append(names, r.Name)
		for j, rule := range r.Rules {
			if !slices.Contains(rules, rule) {
				bad(fmt.Sprintf("%s.rules[%d]", p, j), "no rule or spike named %q", clip(rule, 64))
			}
		}
		for j, s := range r.Severities {
			if !slices.Contains(severities, s) {
				bad(fmt.Sprintf("%s.severities[%d]", p, j), "%q is not critical, error, warning or info", clip(s, 20))
			}
		}
		for j, g := range r.GroupBy {
			if !slices.Contains(groupFields, g) {
				bad(fmt.Sprintf("%s.group_by[%d]", p, j), "%q is not rule, brand, source, severity or alert", clip(g, 20))
			}
		}
		checkZone(p+".timezone", r.Timezone)
		checkWindows(p+".active", r.Active)
		checkWindows(p+".quiet_hours", r.QuietHours)
		for field, d := range map[string]*time.Duration{"group_wait": r.GroupWait, "critical_group_wait": r.CriticalGroupWait, "group_interval": r.GroupInterval, "repeat_interval": r.RepeatInterval} {
			if d != nil && (*d < 0 || *d > 7*24*time.Hour) {
				bad(p+"."+field, "%s out of range (0 to 168h)", *d)
			}
		}
		if len(r.Levels) == 0 {
			bad(p+".levels", "at least one level is needed (who hears about the alerts first)")
		}
		for j, l := range r.Levels {
			lp := fmt.Sprintf("%s.levels[%d]", p, j)
			if len(l.Receivers) == 0 && l.OnCall == "" {
				bad(lp, "receivers or oncall is needed")
			}
			checkReceivers(lp+".receivers", l.Receivers)
			if l.OnCall != "" && !slices.ContainsFunc(c.OnCall, func(s ScheduleConfig) bool { return s.Name == l.OnCall }) {
				bad(lp+".oncall", "no on-call schedule named %q", clip(l.OnCall, 64))
			}
			switch {
			case j == 0 && l.After != 0:
				bad(lp+".after", "the first level starts at once; after is for the levels after it")
			case j > 0 && (l.After < time.Minute || l.After > 7*24*time.Hour):
				bad(lp+".after", "%s out of range (1m to 168h)", l.After)
			}
		}
	}
	return errors.Join(errs...)
}
