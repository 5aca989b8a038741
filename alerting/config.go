package alerting

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	// The zone database is embedded: the clock must read "Asia/Jakarta" in
	// a container image that has no /usr/share/zoneinfo, and a daemon that
	// refuses its config there would be a surprise found in production.
	_ "time/tzdata"

	"go.yaml.in/yaml/v3"
)

// Channels group source kinds by how fast customers expect an answer.
const (
	ChannelSocial = "social" // public posts: about an hour
	ChannelReview = "review" // app-store reviews: about a day
	ChannelForum  = "forum"  // forums and issue trackers: about a day
)

// Default response targets.
const (
	DefaultSocialTarget = time.Hour
	DefaultReviewTarget = 24 * time.Hour
	DefaultForumTarget  = 24 * time.Hour
)

// Bounds on a response target: below a minute the clock's resolution makes
// no sense, and a target of months is a typo.
const (
	minTarget = time.Minute
	maxTarget = 90 * 24 * time.Hour
)

// ChannelOf says which channel a source kind belongs to. Kinds it does not
// know (new collectors, webhooks, RSS) are social: the strictest target,
// so a new kind is never left without a clock that runs.
func ChannelOf(kind string) string {
	switch kind {
	case "appstore", "googleplay":
		return ChannelReview
	case "discourse", "hackernews", "github":
		return ChannelForum
	}
	return ChannelSocial
}

// ScoringConfig is the `scoring:` section of the main config: the
// unanswered clock's response targets, and the time zone and business
// hours it runs in. A brand may override any of it.
//
//	scoring:
//	  timezone: Asia/Jakarta
//	  business_hours: {days: [mon-fri], start: "08:00", end: "20:00"}   # or: 24x7
//	  targets:
//	    social: 1h          # mastodon, bluesky, reddit, x, youtube, rss, ...
//	    review: 24h         # appstore, googleplay
//	    forum: 24h          # discourse, hackernews, github
//	    kinds: {youtube: 4h}
//	    sources: {app-store-id: 12h}
//	  brands:
//	    kilat:
//	      business_hours: 24x7
//
// The zero value is valid: around the clock, UTC, default targets.
type ScoringConfig struct {
	ClockConfig `yaml:",inline"`
	// Brands overrides the clock per brand name. What a brand leaves out
	// comes from the section above; its kinds and sources targets are
	// added to (and win over) the section's.
	Brands map[string]ClockConfig `yaml:"brands"`
}

// ClockConfig is when, and how fast, the brand must answer.
type ClockConfig struct {
	// Timezone is the IANA zone business hours are read in ("Asia/Jakarta",
	// "Europe/Berlin"); empty is UTC.
	Timezone string `yaml:"timezone"`
	// BusinessHours are when the clock runs. Left out (or 24x7), it runs
	// around the clock.
	BusinessHours *BusinessHours `yaml:"business_hours"`
	Targets       Targets        `yaml:"targets"`
}

// BusinessHours is the weekly window the unanswered clock runs in. In YAML
// it is either the word 24x7 or a mapping of days, start and end.
type BusinessHours struct {
	// Always is "24x7": the clock never stops.
	Always bool `yaml:"-"`
	// Days are mon, tue, wed, thu, fri, sat, sun, or ranges such as
	// mon-fri.
	Days []string `yaml:"days"`
	// Start and End are HH:MM in the config's time zone. End may be
	// "24:00". An End before Start is an overnight window that ends on
	// the next day (22:00 to 06:00 belongs to the day it starts on).
	Start string `yaml:"start"`
	End   string `yaml:"end"`
}

// Targets are the response targets: how long a post may wait for the
// brand's first answer, counted in business time. The most specific
// setting wins: source name, then source kind, then channel.
type Targets struct {
	Social  time.Duration            `yaml:"social"`
	Review  time.Duration            `yaml:"review"`
	Forum   time.Duration            `yaml:"forum"`
	Kinds   map[string]time.Duration `yaml:"kinds"`
	Sources map[string]time.Duration `yaml:"sources"`
}

// UnmarshalYAML reads 24x7 or a mapping. The mapping's keys are checked
// here because a yaml.Node decodes without the outer decoder's
// KnownFields: a typo must still be an error.
func (b *BusinessHours) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		switch strings.ToLower(n.Value) {
		case "24x7", "24/7":
			*b = BusinessHours{Always: true}
			return nil
		}
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: business_hours: %q is not 24x7 or a mapping of days, start and end", n.Line, n.Value)}}
	}
	if n.Kind == yaml.MappingNode {
		var bad []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i]; k.Value {
			case "days", "start", "end":
			default:
				bad = append(bad, fmt.Sprintf("line %d: field %s not found in type alerting.BusinessHours", k.Line, k.Value))
			}
		}
		if len(bad) > 0 {
			return &yaml.TypeError{Errors: bad}
		}
	}
	type plain BusinessHours // without this method, or Decode would recurse
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*b = BusinessHours(p)
	return nil
}

// Validate checks the section. Every message starts with the YAML path of
// the field ("scoring.business_hours.start: ..."), and all problems are
// reported at once.
func (c ScoringConfig) Validate(path string) error {
	errs := []error{c.ClockConfig.validate(path)}
	for _, name := range slices.Sorted(maps.Keys(c.Brands)) {
		p := path + ".brands." + name
		if strings.TrimSpace(name) == "" {
			p = path + ".brands"
			errs = append(errs, fmt.Errorf("%s: a brand name is empty", p))
		}
		errs = append(errs, c.Brands[name].validate(p))
	}
	return errors.Join(errs...)
}

var kindName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

func (c ClockConfig) validate(path string) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", path, field, fmt.Sprintf(format, args...)))
	}
	if c.Timezone != "" {
		if _, err := time.LoadLocation(c.Timezone); err != nil || c.Timezone == "Local" {
			bad("timezone", "unknown time zone %q (want an IANA name such as Asia/Jakarta)", c.Timezone)
		}
	}
	if bh := c.BusinessHours; bh != nil && !bh.Always {
		_, badDays := parseDays(bh.Days)
		for _, i := range slices.Sorted(maps.Keys(badDays)) {
			field := "business_hours.days"
			if i >= 0 {
				field += "[" + strconv.Itoa(i) + "]"
			}
			bad(field, "%s", badDays[i])
		}
		start, errS := parseClock(bh.Start, false)
		if errS != nil {
			bad("business_hours.start", "%v", errS)
		}
		end, errE := parseClock(bh.End, true)
		if errE != nil {
			bad("business_hours.end", "%v", errE)
		}
		if errS == nil && errE == nil && start == end%(24*60) {
			bad("business_hours.end", "%q is the same time as start: the window would be empty (use 24x7 for around the clock)", bh.End)
		}
	}
	t := c.Targets
	for _, ch := range []struct {
		name string
		d    time.Duration
	}{{ChannelSocial, t.Social}, {ChannelReview, t.Review}, {ChannelForum, t.Forum}} {
		// Zero leaves the default (or, in a brand, the section's value).
		if ch.d != 0 {
			if err := checkTarget(ch.d); err != nil {
				bad("targets."+ch.name, "%v", err)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(t.Kinds)) {
		if !kindName.MatchString(k) {
			bad("targets.kinds", "%q is not a source kind", excerpt(k, 40))
			continue
		}
		if err := checkTarget(t.Kinds[k]); err != nil {
			bad("targets.kinds."+k, "%v", err)
		}
	}
	for _, s := range slices.Sorted(maps.Keys(t.Sources)) {
		if strings.TrimSpace(s) == "" {
			bad("targets.sources", "a source name is empty")
			continue
		}
		if err := checkTarget(t.Sources[s]); err != nil {
			bad("targets.sources."+s, "%v", err)
		}
	}
	return errors.Join(errs...)
}

func checkTarget(d time.Duration) error {
	if d < minTarget || d > maxTarget {
		return fmt.Errorf("%s is out of range (want %s to %s)", d, fmtDur(minTarget), fmtDur(maxTarget))
	}
	return nil
}

var dayNames = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} // time.Weekday order

func dayIndex(s string) (int, bool) {
	i := slices.Index(dayNames[:], strings.ToLower(strings.TrimSpace(s)))
	return i, i >= 0
}

// parseDays reads day names and ranges ("mon-fri", "fri-mon" wraps) into a
// set indexed by time.Weekday. It returns one message per bad entry, by
// index; -1 is about the list as a whole.
func parseDays(days []string) (set [7]bool, bad map[int]string) {
	if len(days) == 0 {
		return set, map[int]string{-1: "at least one day is needed (mon, tue, wed, thu, fri, sat, sun, or a range such as mon-fri)"}
	}
	for n, d := range days {
		from, to, isRange := strings.Cut(d, "-")
		a, okA := dayIndex(from)
		b, okB := a, okA
		if isRange {
			b, okB = dayIndex(to)
		}
		if !okA || !okB {
			if bad == nil {
				bad = map[int]string{}
			}
			bad[n] = fmt.Sprintf("%q is not a day (want mon, tue, wed, thu, fri, sat, sun, or a range such as mon-fri)", excerpt(d, 20))
			continue
		}
		for i := a; ; i = (i + 1) % 7 {
			if _, said := bad[n]; set[i] && !said {
				if bad == nil {
					bad = map[int]string{}
				}
				bad[n] = fmt.Sprintf("%q repeats %s", d, dayNames[i])
			}
			set[i] = true
			if i == b {
				break
			}
		}
	}
	return set, bad
}

// parseClock reads "HH:MM" as minutes after midnight. "24:00" is allowed
// only as an end.
func parseClock(s string, isEnd bool) (int, error) {
	hh, mm, ok := strings.Cut(s, ":")
	h, errH := strconv.Atoi(hh)
	m, errM := strconv.Atoi(mm)
	if !ok || errH != nil || errM != nil || len(hh) < 1 || len(hh) > 2 || len(mm) != 2 || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && (m != 0 || !isEnd)) {
		if s == "" {
			return 0, errors.New("required (HH:MM)")
		}
		return 0, fmt.Errorf("%q is not HH:MM", excerpt(s, 20))
	}
	return h*60 + m, nil
}

// clockRules is a validated ClockConfig, ready for the scorer: the
// schedule and the targets, with a brand's overrides merged in.
type clockRules struct {
	sched                 schedule
	social, review, forum time.Duration
	kinds, sources        map[string]time.Duration
}

// compile applies c over base (nil: the defaults). c must be valid.
func (c ClockConfig) compile(base *clockRules) (*clockRules, error) {
	r := &clockRules{sched: schedule{loc: time.UTC, always: true}, social: DefaultSocialTarget, review: DefaultReviewTarget, forum: DefaultForumTarget}
	if base != nil {
		cp := *base
		r = &cp
	}
	if c.Timezone != "" {
		loc, err := time.LoadLocation(c.Timezone)
		if err != nil {
			return nil, err
		}
		r.sched.loc = loc
	}
	if bh := c.BusinessHours; bh != nil {
		r.sched.always = bh.Always
		if !bh.Always {
			days, bad := parseDays(bh.Days)
			if len(bad) > 0 {
				return nil, errors.New("invalid business days") // Validate says which
			}
			start, err := parseClock(bh.Start, false)
			if err != nil {
				return nil, err
			}
			end, err := parseClock(bh.End, true)
			if err != nil {
				return nil, err
			}
			r.sched.days, r.sched.start, r.sched.end = days, start, end
		}
	}
	if c.Targets.Social != 0 {
		r.social = c.Targets.Social
	}
	if c.Targets.Review != 0 {
		r.review = c.Targets.Review
	}
	if c.Targets.Forum != 0 {
		r.forum = c.Targets.Forum
	}
	r.kinds = merged(r.kinds, c.Targets.Kinds)
	r.sources = merged(r.sources, c.Targets.Sources)
	return r, nil
}

func merged(base, over map[string]time.Duration) map[string]time.Duration {
	if len(over) == 0 {
		return base
	}
	out := maps.Clone(base)
	if out == nil {
		out = make(map[string]time.Duration, len(over))
	}
	maps.Copy(out, over)
	return out
}

// target is the response target for a post from source (a configured
// source's name) of kind.
func (r *clockRules) target(source, kind string) time.Duration {
	if d, ok := r.sources[source]; ok {
		return d
	}
	if d, ok := r.kinds[kind]; ok {
		return d
	}
	switch ChannelOf(kind) {
	case ChannelReview:
		return r.review
	case ChannelForum:
		return r.forum
	}
	return r.social
}
