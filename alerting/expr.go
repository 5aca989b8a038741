package alerting

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/pantau/pantau/store"
)

// ExprEnv is what an expression rule sees of a mention: the scorer's
// outputs and the mention's facts, by the names written in the config.
// The type checker knows these fields, so a typo or a comparison of a
// number with a string is an error at config load, not a silent false.
type ExprEnv struct {
	Complaint float64 `expr:"complaint"` // 0..1
	Severity  int     `expr:"severity"`  // 0..4
	Sentiment float64 `expr:"sentiment"` // -1..1
	Virality  float64 `expr:"virality"`  // 0..1
	Priority  float64 `expr:"priority"`  // 0..1
	// Overdue is minutes past the response target (0 within target).
	Overdue   float64 `expr:"overdue"`
	Escalated bool    `expr:"escalated"`
	// Verdict is the reply audit's verdict on a brand reply (ok,
	// needs_attention, violation); empty for customers' posts.
	Verdict string `expr:"verdict"`
	// PII lists the kinds of personal data found (phone, email, ...).
	PII     []string `expr:"pii"`
	ByBrand bool     `expr:"by_brand"`
	// Scored is false for text in a language the scorer does not know.
	Scored bool   `expr:"scored"`
	Source string `expr:"source"`
	Kind   string `expr:"kind"`
	Brand  string `expr:"brand"`
	// Lang is the detected language: en, id or other.
	Lang string `expr:"lang"`
	// Followers is the author's follower count, 0 when the source does
	// not say.
	Followers int64 `expr:"followers"`
	// Text is the title and text of the mention.
	Text string `expr:"text"`
}

// maxExprLen bounds an expression: a rule is a line or two, not a program.
const maxExprLen = 2000

// exprFunctions are the helpers an expression may call. They are pure
// functions of their arguments, so the type checker sees every call.
var exprFunctions = []expr.Option{
	// icontains(s, sub): sub anywhere in s, ignoring case.
	expr.Function("icontains", func(p ...any) (any, error) {
		return strings.Contains(strings.ToLower(p[0].(string)), strings.ToLower(p[1].(string))), nil
	}, new(func(string, string) bool)),
	// keyword(text, "refund"): the word or phrase, as whole words,
	// ignoring case and drawn-out letters ("kecewaaa" is "kecewa").
	expr.Function("keyword", func(p ...any) (any, error) {
		return hasKeyword(normWords(p[0].(string)), p[1].(string)), nil
	}, new(func(string, string) bool)),
	// any_keyword(text, ["refund", "kecewa", "penipuan"]): any of them.
	expr.Function("any_keyword", func(p ...any) (any, error) {
		words := normWords(p[0].(string))
		for _, k := range p[1].([]any) {
			if s, ok := k.(string); ok && hasKeyword(words, s) {
				return true, nil
			}
		}
		return false, nil
	}, new(func(string, []any) bool)),
}

// ExprError is an expression that does not compile, with the position
// (1-based line and column within the expression) of the problem.
type ExprError struct {
	Line, Column int
	Msg          string
}

func (e *ExprError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// CompileExpr compiles a rule expression against ExprEnv; it must yield a
// bool. Errors are *ExprError with the position of the problem.
func CompileExpr(src string) (*vm.Program, error) {
	switch {
	case strings.TrimSpace(src) == "":
		return nil, &ExprError{Line: 1, Column: 1, Msg: "empty expression"}
	case len(src) > maxExprLen:
		return nil, &ExprError{Line: 1, Column: 1, Msg: fmt.Sprintf("longer than %d bytes", maxExprLen)}
	case !utf8.ValidString(src):
		return nil, &ExprError{Line: 1, Column: 1, Msg: "not valid UTF-8"}
	}
	opts := append([]expr.Option{expr.Env(ExprEnv{}), expr.AsBool(), expr.MaxNodes(500)}, exprFunctions...)
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			line, col := max(fe.Line, 1), fe.Column+1
			return nil, &ExprError{Line: line, Column: col, Msg: fe.Message}
		}
		return nil, &ExprError{Line: 1, Column: 1, Msg: err.Error()}
	}
	return prog, nil
}

// exprEnv builds what an expression sees of m (scored).
func exprEnv(m *store.Mention) ExprEnv {
	sc := m.Score
	e := ExprEnv{
		Complaint: sc.Complaint, Severity: sc.Severity, Sentiment: sc.Sentiment,
		Virality: sc.Virality, Priority: sc.Priority, Overdue: sc.Overdue.Minutes(),
		Escalated: sc.Escalated, ByBrand: m.ByBrand, Scored: sc.Scored,
		Source: m.Source, Kind: m.Kind, Brand: m.Brand, Lang: sc.Lang,
		Text: strings.TrimSpace(m.Title + "\n" + m.Text),
	}
	if sc.Audit != nil {
		e.Verdict = sc.Audit.Verdict
	}
	for _, s := range sc.PII {
		e.PII = append(e.PII, s.Kind)
	}
	if m.Author.Followers != nil {
		e.Followers = *m.Author.Followers
	}
	return e
}

// exprMemoryBudget bounds what one evaluation may build (ranges, maps,
// lists), in expr's units. A rule looks at one mention and needs a few
// dozen; expr's default (a million) lets `map(1..999999, #)` take a second
// per mention, which would stall the pipeline for every post.
const exprMemoryBudget = 10_000

// runExpr evaluates a compiled rule over m. A run-time failure (a budget
// exceeded) is a non-match, not a crash.
func runExpr(prog *vm.Program, m *store.Mention) (bool, error) {
	machine := vm.VM{MemoryBudget: exprMemoryBudget}
	out, err := machine.Run(prog, exprEnv(m))
	if err != nil {
		return false, err
	}
	b, _ := out.(bool)
	return b, nil
}

// normWords splits text into lower-case words of letters and digits, with
// a letter drawn out three times or more cut to one ("kecewaaa" reads
// "kecewa", "bangeeet" "banget"), so keywords match how people type.
// Ordinary doubled letters ("tunggu", "booking") stay as written.
func normWords(s string) []string {
	fields := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for i, w := range fields {
		fields[i] = collapseRuns(w)
	}
	return fields
}

// collapseRuns cuts every run of three or more of one letter to one.
func collapseRuns(w string) string {
	rs := []rune(w)
	out := rs[:0:0]
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && rs[j] == rs[i] {
			j++
		}
		n := j - i
		if n >= 3 && unicode.IsLetter(rs[i]) {
			n = 1
		}
		for range n {
			out = append(out, rs[i])
		}
		i = j
	}
	return string(out)
}

// hasKeyword reports whether the phrase kw appears in words as whole,
// consecutive words.
func hasKeyword(words []string, kw string) bool {
	k := normWords(kw)
	if len(k) == 0 {
		return false
	}
	for i := 0; i+len(k) <= len(words); i++ {
		match := true
		for j := range k {
			if words[i+j] != k[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// matchExpr runs an expression rule over m, as Match does for a metric
// rule: customers' posts (or, with Replies, the brand's replies), with
// sources and brands narrowing. The value is the mention's priority.
func (p *Pipeline) matchExpr(r RuleConfig, m *store.Mention) (float64, bool) {
	prog := p.progs[r.Name]
	switch {
	case prog == nil || m.Score == nil:
		return 0, false
	case m.ByBrand != r.Replies:
		return 0, false
	case len(r.Sources) > 0 && !slices.Contains(r.Sources, m.Source) && !slices.Contains(r.Sources, m.Kind):
		return 0, false
	case len(r.Brands) > 0 && !slices.Contains(r.Brands, m.Brand):
		return 0, false
	}
	ok, err := runExpr(prog, m)
	if err != nil {
		p.log.Warn("expression rule failed on a mention; no match", "rule", r.Name, "mention", m.Key, "err", err)
		return 0, false
	}
	return m.Score.Priority, ok
}

// oneLineExpr flattens an expression for a summary.
func oneLineExpr(s string) string { return strings.Join(strings.Fields(s), " ") }
