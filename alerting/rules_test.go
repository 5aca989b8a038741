package alerting

import (
	"math"
	"strings"
	"testing"

	"github.com/pantau/pantau/store"
)

func TestRuleValidate(t *testing.T) {
	cases := map[string]struct {
		rule RuleConfig
		want []string // each error line, in order; none means valid
	}{
		"valid, all sources":  {rule: RuleConfig{Name: "complaints", Metric: "complaint", Min: 0.7}},
		"valid, some sources": {rule: RuleConfig{Name: "sev", Metric: "severity", Min: 3, Sources: []string{"mastodon", "reddit-id"}, Brands: []string{"acme"}}},
		"unknown metric": {
			rule: RuleConfig{Name: "x", Metric: "x", Min: 1},
			want: []string{`rules[1].metric: unknown metric "x" (want complaint, severity, virality, priority, overdue, escalated, reply_pii, reply_violation or customer_pii)`},
		},
		"missing name and metric": {
			rule: RuleConfig{Min: 0.5},
			want: []string{"rules[1].name: required", "rules[1].metric: required (want complaint, severity, virality, priority, overdue, escalated, reply_pii, reply_violation or customer_pii, or an expr)"},
		},
		"name with the id separator": {
			rule: RuleConfig{Name: "a|b", Metric: "priority", Min: 0.5},
			want: []string{`rules[1].name: "a|b" must not contain '|'`},
		},
		"min zero": {
			rule: RuleConfig{Name: "all", Metric: "complaint"},
			want: []string{"rules[1].min: 0 out of range for complaint (want more than 0, at most 1)"},
		},
		"min above the scale": {
			rule: RuleConfig{Name: "sev", Metric: "severity", Min: 5},
			want: []string{"rules[1].min: 5 out of range for severity (want more than 0, at most 4)"},
		},
		"min NaN": {
			rule: RuleConfig{Name: "v", Metric: "virality", Min: math.NaN()},
			want: []string{"rules[1].min: NaN out of range for virality (want more than 0, at most 1)"},
		},
		"bad lists": {
			rule: RuleConfig{Name: "p", Metric: "priority", Min: 0.5, Sources: []string{"rss", " ", "rss"}, Brands: []string{""}},
			want: []string{`rules[1].sources[1]: empty`, `rules[1].sources[2]: duplicate "rss"`, `rules[1].brands[0]: empty`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.rule.Validate("rules[1]")
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", err, strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestValidateRules(t *testing.T) {
	err := ValidateRules("alerting.rules", []RuleConfig{
		{Name: "a", Metric: "complaint", Min: 0.5},
		{Name: "b", Metric: "nope", Min: 0.5},
		{Name: "a", Metric: "priority", Min: 0.5},
	})
	want := "alerting.rules[1].metric: unknown metric \"nope\" (want complaint, severity, virality, priority, overdue, escalated, reply_pii, reply_violation or customer_pii)\n" +
		"alerting.rules[2].name: duplicate \"a\" (also alerting.rules[0])"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
	if err := ValidateRules("rules", nil); err != nil {
		t.Errorf("no rules: %v", err)
	}
}

func TestRuleMatch(t *testing.T) {
	score := &store.Score{Scorer: TextScorerName, Lang: LangID, Scored: true, Complaint: 0.8, Severity: 2, Virality: 0.3, Priority: 0.55}
	mention := func(edit func(*store.Mention)) *store.Mention {
		m := &store.Mention{Key: "mastodon:1", Kind: "mastodon", Source: "masto-id", Brand: "acme", Score: score}
		if edit != nil {
			edit(m)
		}
		return m
	}
	cases := map[string]struct {
		rule  RuleConfig
		m     *store.Mention
		match bool
		value float64
	}{
		"complaint, all sources": {rule: RuleConfig{Metric: "complaint", Min: 0.7}, m: mention(nil), match: true, value: 0.8},
		"below the threshold":    {rule: RuleConfig{Metric: "complaint", Min: 0.9}, m: mention(nil), value: 0.8},
		"threshold is inclusive": {rule: RuleConfig{Metric: "severity", Min: 2}, m: mention(nil), match: true, value: 2},
		"virality":               {rule: RuleConfig{Metric: "virality", Min: 0.3}, m: mention(nil), match: true, value: 0.3},
		"priority":               {rule: RuleConfig{Metric: "priority", Min: 0.6}, m: mention(nil), value: 0.55},
		"by source name":         {rule: RuleConfig{Metric: "complaint", Min: 0.5, Sources: []string{"masto-id"}}, m: mention(nil), match: true, value: 0.8},
		"by source kind":         {rule: RuleConfig{Metric: "complaint", Min: 0.5, Sources: []string{"mastodon"}}, m: mention(nil), match: true, value: 0.8},
		"other source":           {rule: RuleConfig{Metric: "complaint", Min: 0.5, Sources: []string{"reddit"}}, m: mention(nil)},
		"brand":                  {rule: RuleConfig{Metric: "complaint", Min: 0.5, Brands: []string{"acme"}}, m: mention(nil), match: true, value: 0.8},
		"other brand":            {rule: RuleConfig{Metric: "complaint", Min: 0.5, Brands: []string{"globex"}}, m: mention(nil)},
		"brand's own post never": {rule: RuleConfig{Metric: "complaint", Min: 0.1}, m: mention(func(m *store.Mention) { m.ByBrand = true })},
		"unscored never":         {rule: RuleConfig{Metric: "complaint", Min: 0.1}, m: mention(func(m *store.Mention) { m.Score = nil })},
		"unknown language never": {rule: RuleConfig{Metric: "complaint", Min: 0.1}, m: mention(func(m *store.Mention) { m.Score = &store.Score{Lang: LangOther} })},
		"unknown metric never":   {rule: RuleConfig{Metric: "bogus", Min: 0.1}, m: mention(nil)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			v, ok := tc.rule.Match(tc.m)
			if ok != tc.match || v != tc.value {
				t.Errorf("Match = %v, %v; want %v, %v", v, ok, tc.value, tc.match)
			}
		})
	}
}
