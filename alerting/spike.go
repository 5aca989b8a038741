package alerting

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pantau/pantau/store"
)

// SpikeConfig watches complaint volume: the complaints of the last hour
// against the usual number for that hour of the week, per brand (and,
// with PerSource, per source). One spike is one alert, kept up to date
// while it lasts and resolved when the volume is back to normal.
//
//	spikes:
//	  - name: complaint-spike
//	    weeks: 4          # the same hour of the week over the past 4 weeks
//	    k: 3              # median + k·MAD (robust spread)
//	    min_count: 10     # never a spike below 10 complaints an hour
type SpikeConfig struct {
	// Name is the rule name of the spike's alerts.
	Name   string   `yaml:"name"`
	Brands []string `yaml:"brands"`
	// PerSource counts each source on its own.
	PerSource bool `yaml:"per_source"`
	// MinComplaint is the complaint probability that counts a post;
	// default 0.5.
	MinComplaint float64 `yaml:"min_complaint"`
	// Weeks of history for the usual level; default 4, at most 12.
	Weeks int `yaml:"weeks"`
	// K is how many robust deviations above the median is a spike;
	// default 3.
	K float64 `yaml:"k"`
	// MinCount is the least number of complaints in an hour that can be
	// a spike, so a quiet brand does not page anyone for three posts;
	// default 10.
	MinCount int `yaml:"min_count"`
	// Priority of the spike's alert (0..1); default 0.7.
	Priority float64 `yaml:"priority"`
}

func (c SpikeConfig) withDefaults() SpikeConfig {
	if c.MinComplaint == 0 {
		c.MinComplaint = 0.5
	}
	if c.Weeks == 0 {
		c.Weeks = 4
	}
	if c.K == 0 {
		c.K = 3
	}
	if c.MinCount == 0 {
		c.MinCount = 10
	}
	if c.Priority == 0 {
		c.Priority = 0.7
	}
	return c
}

// ValidateSpikes checks the spikes list at path ("spikes"); rules are the
// configured rules, whose names a spike must not reuse.
func ValidateSpikes(path string, spikes []SpikeConfig, rules []RuleConfig) error {
	var errs []error
	for i, c := range spikes {
		p := fmt.Sprintf("%s[%d]", path, i)
		bad := func(field, format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s.%s: %s", p, field, fmt.Sprintf(format, args...)))
		}
		switch {
		case strings.TrimSpace(c.Name) == "":
			bad("name", "required")
		case len(c.Name) > maxRuleName || strings.ContainsAny(c.Name, "|\x00"):
			bad("name", "must be at most %d bytes without '|'", maxRuleName)
		case slices.ContainsFunc(rules, func(r RuleConfig) bool { return r.Name == c.Name }):
			bad("name", "%q is also a rule's name", c.Name)
		case slices.ContainsFunc(spikes[:i], func(o SpikeConfig) bool { return o.Name == c.Name }):
			bad("name", "duplicate %q", c.Name)
		}
		if c.MinComplaint < 0 || c.MinComplaint > 1 || math.IsNaN(c.MinComplaint) {
			bad("min_complaint", "%v out of range (want 0 to 1)", c.MinComplaint)
		}
		if c.Weeks < 0 || c.Weeks > 12 {
			bad("weeks", "%d out of range (want 1 to 12)", c.Weeks)
		}
		if c.K < 0 || c.K > 20 || math.IsNaN(c.K) {
			bad("k", "%v out of range (want more than 0, at most 20)", c.K)
		}
		if c.MinCount < 0 || c.MinCount > 1_000_000 {
			bad("min_count", "%d out of range", c.MinCount)
		}
		if c.Priority < 0 || c.Priority > 1 || math.IsNaN(c.Priority) {
			bad("priority", "%v out of range (want 0 to 1)", c.Priority)
		}
		for j, b := range c.Brands {
			if strings.TrimSpace(b) == "" {
				bad(fmt.Sprintf("brands[%d]", j), "empty")
			}
		}
	}
	return errors.Join(errs...)
}

// WithSpikes adds volume-spike watches to the pipeline; Sweep checks
// them. Each should have passed ValidateSpikes.
func (p *Pipeline) WithSpikes(spikes []SpikeConfig) *Pipeline {
	for _, c := range spikes {
		p.spikes = append(p.spikes, c.withDefaults())
	}
	return p
}

// spikeKeyPrefix starts the mention key of a spike's alert: it is about a
// brand's volume, not one mention.
const spikeKeyPrefix = "spike:"

// spikeThreshold is the least count in an hour that is a spike, given the
// same hour's counts in past weeks: the median plus k robust deviations
// (1.4826·MAD, which estimates the standard deviation without being
// pulled up by one past spike), with the Poisson spread sqrt(median) as a
// floor (counts that never varied have a MAD of 0), and never below
// minCount.
func spikeThreshold(history []int, k float64, minCount int) (median, threshold float64) {
	med := medianOf(history)
	var devs []float64
	for _, h := range history {
		devs = append(devs, math.Abs(float64(h)-med))
	}
	mad := medianF(devs)
	spread := max(1.4826*mad, math.Sqrt(max(med, 1)))
	return med, max(float64(minCount), math.Ceil(med+k*spread))
}

func medianOf(xs []int) float64 {
	f := make([]float64, len(xs))
	for i, x := range xs {
		f[i] = float64(x)
	}
	return medianF(f)
}

func medianF(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// CheckSpikes compares each brand's complaints of the last hour with the
// same hour in past weeks, and opens, updates or resolves spike alerts.
// Sweep calls it; it is exported for tests and tools.
func (p *Pipeline) CheckSpikes(ctx context.Context) error {
	if len(p.spikes) == 0 {
		return nil
	}
	now := p.now()
	var errs []error
	for _, c := range p.spikes {
		if err := p.checkSpike(ctx, c, now); err != nil {
			errs = append(errs, fmt.Errorf("spike %s: %w", c.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (p *Pipeline) checkSpike(ctx context.Context, c SpikeConfig, now time.Time) error {
	current, err := p.countComplaints(ctx, c, now.Add(-time.Hour), now)
	if err != nil {
		return err
	}
	weeks := make([]map[string]int, 0, c.Weeks)
	groups := maps.Clone(current)
	for w := 1; w <= c.Weeks; w++ {
		end := now.Add(-time.Duration(w) * 7 * 24 * time.Hour)
		counts, err := p.countComplaints(ctx, c, end.Add(-time.Hour), end)
		if err != nil {
			return err
		}
		weeks = append(weeks, counts)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	open, err := p.openSpikes(c.Name)
	if err != nil {
		return err
	}
	// Groups with an open spike are checked even when quiet now: that is
	// how the spike ends.
	for g := range open {
		if _, ok := groups[g]; !ok {
			groups[g] = 0
		}
	}
	var errs []error
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		history := make([]int, len(weeks))
		for i, wc := range weeks {
			history[i] = wc[g] // a week without complaints counts 0
		}
		med, thr := spikeThreshold(history, c.K, c.MinCount)
		n := current[g]
		a, isOpen := open[g]
		brand, source, _ := strings.Cut(g, "/")
		facts := fmt.Sprintf("%d complaints in the last hour; usually %s at this hour of the week (median of %d weeks); spike from %d",
			n, trimFloat(med), c.Weeks, int(thr))
		switch {
		case float64(n) >= thr && !isOpen:
			start := now.UTC().Truncate(time.Minute)
			key := spikeKeyPrefix + g + "@" + start.Format(time.RFC3339)
			a = store.Alert{
				ID: store.AlertID(c.Name, key), Rule: c.Name, MentionKey: key,
				Source: source, Brand: brand, State: store.AlertOpen,
				Summary:  fmt.Sprintf("complaint spike (rule %s) for %s: %s", c.Name, g, facts),
				Reasons:  []string{facts},
				Priority: c.Priority, OpenedAt: now, UpdatedAt: now,
			}
			if _, err := p.st.PutAlert(a); err != nil {
				errs = append(errs, err)
				continue
			}
			p.log.Info("spike alert opened", "alert", a.ID, "count", n, "threshold", thr)
		case float64(n) >= thr:
			// The same spike goes on: one alert, kept current.
			sum := fmt.Sprintf("complaint spike (rule %s) for %s: %s", c.Name, g, facts)
			if a.Summary != sum {
				_, err := p.st.UpdateAlert(a.ID, func(cur *store.Alert) error {
					cur.Summary, cur.Reasons, cur.UpdatedAt = sum, []string{facts}, now
					return nil
				})
				if err != nil {
					errs = append(errs, err)
				}
			}
		case isOpen:
			_, err := p.st.UpdateAlert(a.ID, func(cur *store.Alert) error {
				cur.State, cur.By, cur.UpdatedAt = store.AlertResolved, "", now
				cur.Reasons = append(slices.Clone(cur.Reasons), "volume back to normal: "+facts)
				return nil
			})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			p.log.Info("spike alert resolved", "alert", a.ID, "count", n, "threshold", thr)
		}
	}
	return errors.Join(errs...)
}

// openSpikes returns the unresolved spike alerts of one spike watch, by
// group. Call with p.mu held.
func (p *Pipeline) openSpikes(name string) (map[string]store.Alert, error) {
	out := map[string]store.Alert{}
	for _, state := range []store.AlertState{store.AlertOpen, store.AlertAcknowledged} {
		list, err := p.st.Alerts(store.AlertQuery{State: state, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, a := range list {
			if a.Rule != name || !strings.HasPrefix(a.MentionKey, spikeKeyPrefix) {
				continue
			}
			g, _, _ := strings.Cut(strings.TrimPrefix(a.MentionKey, spikeKeyPrefix), "@")
			out[g] = a
		}
	}
	return out, nil
}

// countComplaints counts, per group (brand, or brand/source), customers'
// complaints written in [from, to). Posts are found through the time they
// were stored, up to an hour after the window (collectors lag), and
// counted by when they were written, so a first poll that brings in a
// month of old posts is not a spike.
func (p *Pipeline) countComplaints(ctx context.Context, c SpikeConfig, from, to time.Time) (map[string]int, error) {
	out := map[string]int{}
	at := store.SeenCursor{At: from}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		page, next, err := p.st.MentionsSeenAfter(at, sweepPage)
		if err != nil {
			return nil, err
		}
		at = next
		for i := range page {
			m := &page[i]
			if m.SeenAt.After(to.Add(time.Hour)) {
				return out, nil
			}
			written := m.CreatedAt
			if written.IsZero() {
				written = m.SeenAt
			}
			if m.ByBrand || m.Score == nil || !m.Score.Scored || m.Score.Complaint < c.MinComplaint ||
				written.Before(from) || !written.Before(to) || (len(c.Brands) > 0 && !slices.Contains(c.Brands, m.Brand)) {
				continue
			}
			g := m.Brand
			if c.PerSource {
				g += "/" + m.Source
			}
			out[g]++
		}
		if len(page) < sweepPage {
			return out, nil
		}
	}
}

func trimFloat(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", f), "0"), ".")
}
