package alerting

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/pantau/pantau/alerting/audit"
	"github.com/pantau/pantau/store"
)

// Metrics a rule can put a threshold on.
const (
	MetricComplaint = "complaint" // 0..1
	MetricSeverity  = "severity"  // 0..4
	MetricVirality  = "virality"  // 0..1
	MetricPriority  = "priority"  // 0..1
	MetricOverdue   = "overdue"   // minutes past the response target
	MetricEscalated = "escalated" // 1 when the author followed up unanswered, else 0
	// The reply audit's metrics. reply_pii and reply_violation match only
	// the brand's own replies; customer_pii only customers' posts.
	MetricReplyPII       = "reply_pii"       // 1 when a brand reply exposes personal data
	MetricReplyViolation = "reply_violation" // 1 when a brand reply's audit verdict is a violation
	MetricCustomerPII    = "customer_pii"    // 1 when a customer posted personal data in public
)

// metricList names the metrics for error messages.
const metricList = "complaint, severity, virality, priority, overdue, escalated, reply_pii, reply_violation or customer_pii"

// RuleConfig is one alert rule: a threshold over a score metric, for some
// sources and brands or all of them. A mention whose score reaches Min opens
// an alert; the brand's own posts never do.
type RuleConfig struct {
	// Name identifies the rule; it is part of every alert id, so renaming a
	// rule starts new alerts.
	Name string `yaml:"name"`
	// Metric is complaint, severity, virality, priority, overdue (minutes
	// past the response target: min 1 alerts as soon as a post is overdue)
	// or escalated (min 1: the author followed up unanswered).
	Metric string `yaml:"metric"`
	// Min is the threshold: the rule matches when the metric is >= Min.
	Min float64 `yaml:"min"`
	// Sources limits the rule to these configured source names (or source
	// kinds, such as "mastodon"); empty means all.
	Sources []string `yaml:"sources"`
	// Brands limits the rule to these brands; empty means all.
	Brands []string `yaml:"brands"`
	// Expr, instead of Metric and Min, is an expression over the score
	// and the mention (see ExprEnv and docs/alerting.md), such as
	// `complaint >= 0.7 && any_keyword(text, ["refund", "penipuan"])`.
	Expr string `yaml:"expr"`
	// Replies makes an expression rule look at the brand's own replies
	// (their audit verdict, personal data) instead of customers' posts.
	Replies bool `yaml:"replies"`
}

// maxRuleName bounds a rule name: it becomes part of alert ids and keys.
const maxRuleName = 100

// Validate checks the rule. Every error starts with the rule's YAML path
// and the field ("rules[1].metric: ..."), so a config error points at the
// line to fix; all problems are reported at once.
func (r RuleConfig) Validate(path string) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", path, field, fmt.Sprintf(format, args...)))
	}
	switch {
	case strings.TrimSpace(r.Name) == "":
		bad("name", "required")
	case len(r.Name) > maxRuleName:
		bad("name", "longer than %d bytes", maxRuleName)
	case strings.ContainsAny(r.Name, "|\x00"):
		// store.AlertID joins rule and mention key with '|'.
		bad("name", "%q must not contain '|'", r.Name)
	}
	hi, known := metricMax(r.Metric)
	switch {
	case r.Expr != "" && (r.Metric != "" || r.Min != 0):
		bad("expr", "set together with metric/min: a rule is either an expression or a threshold")
	case r.Expr != "":
		if _, err := CompileExpr(r.Expr); err != nil {
			bad("expr", "rule %q: %v", r.Name, err)
		}
	case r.Replies:
		bad("replies", "only for expression rules (metric rules reply_pii and reply_violation already look at replies)")
	case r.Metric == "":
		bad("metric", "required (want %s, or an expr)", metricList)
	case !known:
		bad("metric", "unknown metric %q (want %s)", r.Metric, metricList)
	case math.IsNaN(r.Min) || r.Min <= 0 || r.Min > hi:
		// Zero would alert on every mention, praise included.
		bad("min", "%v out of range for %s (want more than 0, at most %v)", r.Min, r.Metric, hi)
	}
	checkList := func(field string, list []string) {
		for i, s := range list {
			switch {
			case strings.TrimSpace(s) == "":
				bad(fmt.Sprintf("%s[%d]", field, i), "empty")
			case slices.Index(list, s) < i:
				bad(fmt.Sprintf("%s[%d]", field, i), "duplicate %q", s)
			}
		}
	}
	checkList("sources", r.Sources)
	checkList("brands", r.Brands)
	return errors.Join(errs...)
}

// ValidateRules checks a list of rules found at path ("rules"), each on its
// own and their names for duplicates.
func ValidateRules(path string, rules []RuleConfig) error {
	var errs []error
	for i, r := range rules {
		p := fmt.Sprintf("%s[%d]", path, i)
		if err := r.Validate(p); err != nil {
			errs = append(errs, err)
		}
		for j := range i {
			if r.Name != "" && rules[j].Name == r.Name {
				errs = append(errs, fmt.Errorf("%s.name: duplicate %q (also %s[%d])", p, r.Name, path, j))
				break
			}
		}
	}
	return errors.Join(errs...)
}

func metricMax(metric string) (float64, bool) {
	switch metric {
	case MetricComplaint, MetricVirality, MetricPriority:
		return 1, true
	case MetricSeverity:
		return 4, true
	case MetricOverdue:
		return 366 * 24 * 60, true // a year of minutes: more is a typo
	case MetricEscalated, MetricReplyPII, MetricReplyViolation, MetricCustomerPII:
		return 1, true
	}
	return 0, false
}

func isReplyMetric(metric string) bool {
	return metric == MetricReplyPII || metric == MetricReplyViolation
}

func oneIf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Value returns the rule's metric from a score.
func (r RuleConfig) Value(sc *store.Score) (float64, bool) {
	switch r.Metric {
	case MetricComplaint:
		return sc.Complaint, true
	case MetricSeverity:
		return float64(sc.Severity), true
	case MetricVirality:
		return sc.Virality, true
	case MetricPriority:
		return sc.Priority, true
	case MetricOverdue:
		return sc.Overdue.Minutes(), true
	case MetricEscalated:
		return oneIf(sc.Escalated), true
	case MetricReplyPII:
		return oneIf(sc.Audit != nil && len(sc.PII) > 0), true
	case MetricReplyViolation:
		return oneIf(sc.Audit != nil && sc.Audit.Verdict == audit.VerdictViolation), true
	case MetricCustomerPII:
		return oneIf(sc.Audit == nil && len(sc.PII) > 0), true
	}
	return 0, false
}

// Match reports whether the rule fires for m, with the metric's value. The
// brand's own posts, unscored mentions and mentions in a language the scorer
// does not know never match.
func (r RuleConfig) Match(m *store.Mention) (float64, bool) {
	switch {
	case m.Score == nil:
		return 0, false
	case isReplyMetric(r.Metric):
		// The audit of the brand's own replies: personal data is found
		// whatever the language.
		if !m.ByBrand || m.Score.Audit == nil {
			return 0, false
		}
	case m.ByBrand:
		return 0, false
	case !m.Score.Scored && r.Metric != MetricCustomerPII:
		return 0, false
	}
	if len(r.Sources) > 0 && !slices.Contains(r.Sources, m.Source) && !slices.Contains(r.Sources, m.Kind) {
		return 0, false
	}
	if len(r.Brands) > 0 && !slices.Contains(r.Brands, m.Brand) {
		return 0, false
	}
	v, ok := r.Value(m.Score)
	return v, ok && v >= r.Min
}
