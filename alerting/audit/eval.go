package audit

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/pantau/pantau/store"
)

//go:embed testdata/replies.jsonl
var labeledSet []byte

// LabeledSet returns the labeled replies and customer posts shipped with
// Pantau (testdata/replies.jsonl), for EvalLabeledSet.
func LabeledSet() io.Reader { return bytes.NewReader(labeledSet) }

// Targets the labeled-set evaluation must meet (span-level PII detection).
const (
	TargetPIIRecall    = 0.95
	TargetPIIPrecision = 0.90
)

// Labeled is one line of the labeled set.
type Labeled struct {
	ID string `json:"id"`
	// Role is "customer" for a customer's post (only PII is evaluated);
	// anything else is a brand reply.
	Role          string `json:"role,omitempty"`
	Text          string `json:"text"`
	InReplyTo     string `json:"in_reply_to,omitempty"`
	ReplySeconds  int64  `json:"reply_seconds,omitempty"`
	TargetSeconds int64  `json:"target_seconds,omitempty"`
	// To is the recipient, for canned detection; default the id.
	To string `json:"to,omitempty"`
	// Fail lists the checks expected to fail; the others must pass.
	Fail      []string `json:"fail,omitempty"`
	Verdict   string   `json:"verdict,omitempty"`
	Signature string   `json:"signature,omitempty"`
	// PII lists the expected personal data by kind and exact text (the
	// first occurrence in Text).
	PII  []LabeledSpan `json:"pii,omitempty"`
	Note string        `json:"note,omitempty"`
}

// LabeledSpan is an expected piece of personal data.
type LabeledSpan struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// Counts are detection counts: a positive is a failed check or a found
// span.
type Counts struct {
	TP, FP, FN int
}

// Precision is TP/(TP+FP), 1 when nothing was predicted.
func (c Counts) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP/(TP+FN), 1 when nothing was expected.
func (c Counts) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// EvalResult is the outcome of EvalLabeledSet.
type EvalResult struct {
	Replies, Posts int
	// Checks holds per-check counts, a failed check being a positive, in
	// CheckNames order.
	Checks []CheckCounts
	// PII is span-level over replies and posts: a found span is a true
	// positive when it overlaps an expected span of the same kind; an
	// expected span is missed when no found span of its kind overlaps it.
	// (TP counts found spans, so precision is exact; recall uses the
	// expected spans matched: PIIExpected - FN over PIIExpected.)
	PII         Counts
	PIIExpected int
	PIIByKind   []KindCounts
	// Verdicts counts correct verdicts; Confusion[expected][got].
	VerdictsRight int
	Confusion     map[string]map[string]int
	// Signatures counts replies whose extracted signature (or its absence)
	// matches the label.
	SignaturesRight int
	// Misses lists each disagreement, for reading with -v.
	Misses []string
}

// CheckCounts are the counts of one check.
type CheckCounts struct {
	Name string
	Counts
}

// KindCounts are the PII counts of one kind.
type KindCounts struct {
	Kind     string
	Expected int
	Counts
}

// PIIRecall is the share of expected spans found.
func (r EvalResult) PIIRecall() float64 { return ratio(r.PIIExpected-r.PII.FN, r.PIIExpected) }

// MeetsTargets reports whether PII detection meets TargetPIIRecall and
// TargetPIIPrecision.
func (r EvalResult) MeetsTargets() error {
	var errs []error
	if p := r.PII.Precision(); p < TargetPIIPrecision {
		errs = append(errs, fmt.Errorf("PII precision %.3f below target %.2f", p, TargetPIIPrecision))
	}
	if rc := r.PIIRecall(); rc < TargetPIIRecall {
		errs = append(errs, fmt.Errorf("PII recall %.3f below target %.2f", rc, TargetPIIRecall))
	}
	return errors.Join(errs...)
}

// EvalLabeledSet audits every labeled line of r in order with a fresh
// Auditor (default config; canned detection depends on the order) and
// compares with the labels. A malformed line is an error naming it.
func EvalLabeledSet(r io.Reader) (EvalResult, error) {
	a, err := New(Config{})
	if err != nil {
		return EvalResult{}, err
	}
	res := EvalResult{Confusion: map[string]map[string]int{}}
	checks := map[string]*Counts{}
	for _, n := range CheckNames {
		checks[n] = &Counts{}
	}
	kinds := map[string]*KindCounts{}
	kindOf := func(k string) *KindCounts {
		if kinds[k] == nil {
			kinds[k] = &KindCounts{Kind: k}
		}
		return kinds[k]
	}

	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] == '/' {
			continue
		}
		var l Labeled
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return res, fmt.Errorf("labeled set line %d: %w", line, err)
		}
		expected, err := resolveSpans(l)
		if err != nil {
			return res, fmt.Errorf("labeled set line %d (%s): %w", line, l.ID, err)
		}
		var got []store.Span
		if l.Role == "customer" {
			res.Posts++
			got = FindPII(l.Text)
		} else {
			res.Replies++
			to := l.To
			if to == "" {
				to = l.ID
			}
			cr := a.Check(ReplyInput{
				Text: l.Text, InReplyTo: l.InReplyTo, Recipient: to,
				ResponseTime: time.Duration(l.ReplySeconds) * time.Second,
				Target:       time.Duration(l.TargetSeconds) * time.Second,
			})
			got = cr.PII
			var wrong []string
			for _, c := range cr.Audit.Checks {
				want := slices.Contains(l.Fail, c.Name)
				cc := checks[c.Name]
				switch {
				case !c.Pass && want:
					cc.TP++
				case !c.Pass && !want:
					cc.FP++
					wrong = append(wrong, "+"+c.Name)
				case c.Pass && want:
					cc.FN++
					wrong = append(wrong, "-"+c.Name)
				}
			}
			for _, n := range l.Fail {
				if !slices.ContainsFunc(cr.Audit.Checks, func(c store.AuditCheck) bool { return c.Name == n }) {
					checks[n].FN++
					wrong = append(wrong, "-"+n)
				}
			}
			if res.Confusion[l.Verdict] == nil {
				res.Confusion[l.Verdict] = map[string]int{}
			}
			res.Confusion[l.Verdict][cr.Audit.Verdict]++
			if cr.Audit.Verdict == l.Verdict {
				res.VerdictsRight++
			} else {
				wrong = append(wrong, "verdict "+cr.Audit.Verdict+" want "+l.Verdict)
			}
			if cr.Audit.Signature == l.Signature {
				res.SignaturesRight++
			} else {
				wrong = append(wrong, fmt.Sprintf("signature %q want %q", cr.Audit.Signature, l.Signature))
			}
			if len(wrong) > 0 {
				res.Misses = append(res.Misses, l.ID+": "+strings.Join(wrong, ", ")+"  | "+l.Text)
			}
		}
		// PII, span level
		matched := make([]bool, len(expected))
		for _, g := range got {
			ok := false
			for i, e := range expected {
				if e.Kind == g.Kind && g.Start < e.End && e.Start < g.End {
					ok = true
					matched[i] = true
				}
			}
			if ok {
				res.PII.TP++
				kindOf(g.Kind).TP++
			} else {
				res.PII.FP++
				kindOf(g.Kind).FP++
				res.Misses = append(res.Misses, fmt.Sprintf("%s: PII false positive %s %q", l.ID, g.Kind, l.Text[g.Start:g.End]))
			}
		}
		for i, e := range expected {
			res.PIIExpected++
			kindOf(e.Kind).Expected++
			if !matched[i] {
				res.PII.FN++
				kindOf(e.Kind).FN++
				res.Misses = append(res.Misses, fmt.Sprintf("%s: PII missed %s %q", l.ID, e.Kind, l.Text[e.Start:e.End]))
			}
		}
	}
	if err := sc.Err(); err != nil {
		return res, fmt.Errorf("labeled set line %d: %w", line+1, err)
	}
	for _, n := range CheckNames {
		res.Checks = append(res.Checks, CheckCounts{Name: n, Counts: *checks[n]})
	}
	for _, k := range kinds {
		res.PIIByKind = append(res.PIIByKind, *k)
	}
	slices.SortFunc(res.PIIByKind, func(a, b KindCounts) int { return strings.Compare(a.Kind, b.Kind) })
	return res, nil
}

func resolveSpans(l Labeled) ([]store.Span, error) {
	var out []store.Span
	for _, p := range l.PII {
		i := strings.Index(l.Text, p.Text)
		if p.Text == "" || i < 0 {
			return nil, fmt.Errorf("expected %s %q is not in the text", p.Kind, p.Text)
		}
		out = append(out, store.Span{Kind: p.Kind, Start: i, End: i + len(p.Text)})
	}
	return out, nil
}

// Format prints the evaluation: one line per check and per PII kind with
// precision and recall, then the verdict and signature accuracy.
func (r EvalResult) Format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "labeled set: %d replies, %d customer posts\n", r.Replies, r.Posts)
	fmt.Fprintf(&b, "%-16s %5s %5s %5s %9s %7s\n", "check (fail=pos)", "tp", "fp", "fn", "precision", "recall")
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%-16s %5d %5d %5d %9.3f %7.3f\n", c.Name, c.TP, c.FP, c.FN, c.Precision(), c.Recall())
	}
	fmt.Fprintf(&b, "%-16s %5s %5s %5s %9s %7s\n", "pii (span)", "found", "fp", "miss", "precision", "recall")
	for _, k := range r.PIIByKind {
		fmt.Fprintf(&b, "  %-14s %5d %5d %5d %9.3f %7.3f\n", k.Kind, k.TP+k.FP, k.FP, k.FN, k.Precision(),
			ratio(k.Expected-k.FN, k.Expected))
	}
	fmt.Fprintf(&b, "%-16s %5d %5d %5d %9.3f %7.3f   (targets: precision >= %.2f, recall >= %.2f)\n", "pii all",
		r.PII.TP+r.PII.FP, r.PII.FP, r.PII.FN, r.PII.Precision(), r.PIIRecall(), TargetPIIPrecision, TargetPIIRecall)
	fmt.Fprintf(&b, "verdict accuracy %d/%d = %.3f", r.VerdictsRight, r.Replies, ratio(r.VerdictsRight, r.Replies))
	for _, want := range []string{VerdictOK, VerdictNeedsAttention, VerdictViolation} {
		row := r.Confusion[want]
		fmt.Fprintf(&b, "  [%s -> ok %d, needs_attention %d, violation %d]", want,
			row[VerdictOK], row[VerdictNeedsAttention], row[VerdictViolation])
	}
	b.WriteByte('\n')
	fmt.Fprintf(&b, "signature accuracy %d/%d = %.3f\n", r.SignaturesRight, r.Replies, ratio(r.SignaturesRight, r.Replies))
	return b.String()
}
