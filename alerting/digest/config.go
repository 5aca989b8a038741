package digest

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pantau/pantau/alerting/notify"
)

// Config is the `digests:` section of the main config.
//
//	digests:
//	  timezone: Asia/Jakarta        # default: scoring.timezone, else UTC
//	  daily:
//	    schedule: "0 8 * * *"       # every day at 08:00
//	  weekly:
//	    schedule: "0 8 * * 1"       # Mondays at 08:00
//	    receivers: [marketing-mail] # default: every receiver whose actions include digest
//
// A kind left out is not sent. Receivers are the entries of the config's
// receivers list that have digest in their actions; their brands limit
// what their digest reports on.
type Config struct {
	Timezone string     `yaml:"timezone"`
	Daily    *JobConfig `yaml:"daily"`
	Weekly   *JobConfig `yaml:"weekly"`
}

// JobConfig is one digest kind.
type JobConfig struct {
	// Schedule is a five-field cron expression in the section's time zone.
	Schedule string `yaml:"schedule"`
	// Receivers name receivers; empty means every receiver that takes
	// digests.
	Receivers []string `yaml:"receivers"`
}

// Build checks the section at path ("digests") against the receivers list
// and returns its jobs; every problem is reported at once, each message
// starting with the offending field's path. defaultZone is used when the
// section names none.
func (c Config) Build(path string, receivers []notify.ReceiverConfig, defaultZone string) ([]Job, error) {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", path, field, fmt.Sprintf(format, args...)))
	}
	loc := time.UTC
	if c.Timezone != "" {
		l, err := time.LoadLocation(c.Timezone)
		if err != nil {
			add("timezone", "%q is not an IANA time zone such as Asia/Jakarta", c.Timezone)
		} else {
			loc = l
		}
	} else if l, err := time.LoadLocation(defaultZone); err == nil {
		// A bad default is reported where it is written (scoring).
		loc = l
	}
	takes := map[string]notify.ReceiverConfig{}
	var all []string
	for i, r := range receivers {
		if !slices.Contains(r.Actions, notify.Digest) {
			continue
		}
		if r.Kind == notify.KindPagerDuty {
			errs = append(errs, fmt.Errorf("receivers[%d].actions: a pagerduty receiver cannot take digests (they are not incidents)", i))
			continue
		}
		takes[r.Name] = r
		all = append(all, r.Name)
	}
	var jobs []Job
	for _, j := range []struct {
		kind Kind
		cfg  *JobConfig
	}{{Daily, c.Daily}, {Weekly, c.Weekly}} {
		if j.cfg == nil {
			continue
		}
		jp := string(j.kind)
		sched, err := ParseSchedule(j.cfg.Schedule, loc)
		if err != nil {
			add(jp+".schedule", "%v", err)
		}
		names := j.cfg.Receivers
		if len(names) == 0 {
			names = all
		}
		var targets []Target
		seen := map[string]bool{}
		for i, name := range j.cfg.Receivers {
			rp := fmt.Sprintf("%s.receivers[%d]", jp, i)
			switch {
			case seen[name]:
				add(rp, "%q is listed twice", name)
			case !slices.ContainsFunc(receivers, func(r notify.ReceiverConfig) bool { return r.Name == name }):
				add(rp, "no receiver named %q", name)
			case takes[name].Name == "":
				add(rp, "receiver %q does not take digests: add digest to its actions", name)
			}
			seen[name] = true
		}
		for _, name := range names {
			if r, ok := takes[name]; ok && !slices.ContainsFunc(targets, func(t Target) bool { return t.Name == name }) {
				targets = append(targets, Target{Name: name, Brands: r.Brands})
			}
		}
		jobs = append(jobs, Job{Kind: j.kind, Schedule: sched, Loc: loc, Receivers: targets})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return jobs, nil
}
