package alerting

// Native fuzz test of the alert rules' validation: rules come from the
// config file, and a rule that passes Validate becomes part of alert ids
// and store keys. Seeds in testdata/fuzz/FuzzRuleConfig are the rules of
// pantau.example.yaml and the documented metrics.
//
//	go test ./alerting -run '^$' -fuzz '^FuzzRuleConfig$' -fuzztime 15s

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// FuzzRuleConfig: Validate accepts exactly the rules the config reference
// describes (a name of at most 100 bytes without '|' or NUL, a known
// metric, a threshold in (0, max], lists without empty or duplicate
// entries), and every line of its error starts with the rule's path and
// the field, so the config loader can point at the line.
func FuzzRuleConfig(f *testing.F) {
	f.Add("complaint", "complaint", 0.7, "", "")
	f.Add("late", "overdue", 30.0, "mastodon,news", "kilat")
	f.Add("", "nope", math.NaN(), " ,x,x", "a,a")
	f.Fuzz(func(t *testing.T, name, metric string, min float64, sources, brands string) {
		split := func(s string) []string {
			if s == "" {
				return nil
			}
			return strings.Split(s, ",")
		}
		r := RuleConfig{Name: name, Metric: metric, Min: min, Sources: split(sources), Brands: split(brands)}
		err := r.Validate("rules[3]")

		hi, known := metricMax(metric)
		listOK := func(list []string) bool {
			for i, s := range list {
				if strings.TrimSpace(s) == "" || slices.Index(list, s) < i {
					return false
				}
			}
			return true
		}
		valid := strings.TrimSpace(name) != "" && len(name) <= maxRuleName && !strings.ContainsAny(name, "|\x00") &&
			known && !math.IsNaN(min) && min > 0 && min <= hi && listOK(r.Sources) && listOK(r.Brands)
		if valid != (err == nil) {
			t.Fatalf("Validate(%+v) = %v, want valid=%v", r, err, valid)
		}
		if err == nil {
			if again := ValidateRules("rules", []RuleConfig{r, r}); again == nil || !strings.Contains(again.Error(), "duplicate") {
				t.Fatalf("two rules named %q: %v", name, again)
			}
			return
		}
		line := regexp.MustCompile(`^rules\[3\]\.(name|metric|min|sources\[\d+\]|brands\[\d+\]): \S`)
		for _, l := range strings.Split(err.Error(), "\n") {
			if !line.MatchString(l) {
				t.Fatalf("error line %q does not start with the rule's path and field", l)
			}
		}
	})
}
