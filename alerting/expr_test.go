package alerting

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

func TestCompileExprErrorsHavePositions(t *testing.T) {
	for name, tc := range map[string]struct {
		src       string
		line, col int
		msg       string
	}{
		"unknown name":    {"complain >= 0.7", 1, 1, "unknown name complain"},
		"type mismatch":   {"complaint >= 0.7 && brand > 3", 1, 27, "invalid operation"},
		"not a bool":      {"complaint + 1", 1, 1, "expected bool"},
		"second line":     {"complaint >= 0.7 &&\n  lang == 'id' && nope", 2, 19, "unknown name nope"},
		"syntax":          {"complaint >= ", 1, 13, "unexpected token"},
		"bad helper args": {"keyword(text)", 1, 1, "not enough arguments"},
		"empty":           {"  ", 1, 1, "empty expression"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := CompileExpr(tc.src)
			var ee *ExprError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v, want an *ExprError", err)
			}
			if ee.Line != tc.line || ee.Column != tc.col || !strings.Contains(ee.Msg, tc.msg) {
				t.Errorf("got line %d column %d %q, want line %d column %d containing %q", ee.Line, ee.Column, ee.Msg, tc.line, tc.col, tc.msg)
			}
		})
	}
}

func TestRuleValidateExprNamesRuleAndPosition(t *testing.T) {
	err := RuleConfig{Name: "refunds", Expr: "complaint >= 0.7 && lnag == 'id'"}.Validate("rules[3]")
	if err == nil || !strings.Contains(err.Error(), `rules[3].expr: rule "refunds": line 1, column 21: unknown name lnag`) {
		t.Fatalf("err = %v", err)
	}
	if err := (RuleConfig{Name: "x", Expr: "complaint > 0.5", Metric: "complaint", Min: 0.5}).Validate("rules[0]"); err == nil {
		t.Fatal("expr together with metric was accepted")
	}
	if err := (RuleConfig{Name: "x", Metric: "complaint", Min: 0.5, Replies: true}).Validate("rules[0]"); err == nil {
		t.Fatal("replies on a metric rule was accepted")
	}
}

func TestExprMatch(t *testing.T) {
	followers := int64(48000)
	m := &store.Mention{
		Key: "mastodon:1", Kind: "mastodon", Source: "masto-id", Brand: "acme",
		Author: store.Author{Handle: "budi", Followers: &followers},
		Text:   "Kecewaaa bgt, minta REFUND aja deh. Hubungi 0812-3456-7890",
		Score: &store.Score{Scored: true, Lang: "id", Complaint: 0.9, Severity: 3, Priority: 0.75,
			Overdue: 90 * time.Minute, PII: []store.Span{{Kind: "phone"}}},
	}
	for src, want := range map[string]bool{
		`complaint >= 0.7 && lang == "id"`:                        true,
		`keyword(text, "kecewa")`:                                 true,
		`keyword(text, "refund aja")`:                             true,
		`keyword(text, "fund")`:                                   false,
		`icontains(text, "refund")`:                               true,
		`any_keyword(text, ["penipuan", "refund"])`:               true,
		`any_keyword(text, ["penipuan", "lapor"])`:                false,
		`"phone" in pii && followers > 10000`:                     true,
		`overdue >= 60 && severity >= 3 && source == "masto-id"`:  true,
		`kind == "bluesky" || brand != "acme"`:                    false,
		`escalated || verdict == "violation"`:                     false,
		`priority > 0.7 && sentiment <= 0 && scored && !by_brand`: true,
	} {
		prog, err := CompileExpr(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		got, err := runExpr(prog, m)
		if err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", src, got, err, want)
		}
	}
}

func TestNormWords(t *testing.T) {
	got := strings.Join(normWords("Kecewaaa BANGEEET!! tunggu #booking 3000"), " ")
	if got != "kecewa banget tunggu booking 3000" {
		t.Errorf("normWords = %q", got)
	}
}

// An expression rule raises alerts through the pipeline, and only for the
// posts it is about: customers' posts, or with replies the brand's.
func TestPipelineExpressionRule(t *testing.T) {
	rule := RuleConfig{Name: "kecewa-id", Expr: `lang == "id" && keyword(text, "kecewa")`}
	f := newFixture(t, rule)
	f.ingest(t, complaintMention("1"))
	a, ok := f.alert(t, store.AlertID("kecewa-id", "mastodon:1"))
	if !ok || a.State != store.AlertOpen || !strings.Contains(a.Summary, "matched lang") {
		t.Fatalf("alert = %+v, %v", a, ok)
	}
	praise := complaintMention("2")
	praise.Text = "paket sampai cepat, mantap"
	f.ingest(t, praise)
	if _, ok := f.alert(t, store.AlertID("kecewa-id", "mastodon:2")); ok {
		t.Fatal("the rule matched a post without the keyword")
	}
}

// FuzzCompileExpr: any text compiles or is refused with a position inside
// the expression, and what compiles runs on a mention without panicking.
func FuzzCompileExpr(f *testing.F) {
	f.Add("complaint >= 0.7")
	m := &store.Mention{Text: "kecewa bgt", Score: &store.Score{Scored: true, Lang: "id", Complaint: 0.8}}
	f.Fuzz(func(t *testing.T, src string) {
		prog, err := CompileExpr(src)
		if err != nil {
			var ee *ExprError
			if !errors.As(err, &ee) || ee.Line < 1 || ee.Column < 1 {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		runExpr(prog, m) // an error is fine; a panic is not
	})
}

// A rule that builds a huge collection fails its evaluation quickly (a
// non-match with an error) instead of holding up the pipeline.
func TestExprMemoryBudget(t *testing.T) {
	m := &store.Mention{Text: "kecewa", Score: &store.Score{Scored: true, Lang: "id", Complaint: 0.8}}
	prog, err := CompileExpr(`len(map(1..999999, #)) > 0`)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := runExpr(prog, m)
	if ok || err == nil || !strings.Contains(err.Error(), "memory budget") {
		t.Fatalf("got %v, %v; want a memory budget error", ok, err)
	}
	prog, err = CompileExpr(`complaint >= 0.7 && any_keyword(text, ["kecewa", "refund"])`)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := runExpr(prog, m); !ok || err != nil {
		t.Fatalf("an ordinary rule: %v, %v", ok, err)
	}
}
