package textmodel

// Native fuzz test of Analyze: every mention's text (and its platform's
// language tag) comes from strangers. Seeds in testdata/fuzz/FuzzAnalyze
// are mention texts from the collectors' fixtures and the audit set.
//
//	go test ./alerting/textmodel -run '^$' -fuzz '^FuzzAnalyze$' -fuzztime 15s

import (
	"math"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzAnalyze: any text and hint give an analysis within the documented
// ranges (probabilities in 0..1, sentiment in -1..1, severity 0..4 and
// non-zero exactly for complaints), nothing but zeros for an unknown
// language, readable reasons, and the same answer twice (the scratch
// buffers are pooled and must not leak between calls).
func FuzzAnalyze(f *testing.F) {
	for _, s := range [][2]string{{"Paket saya hilang, CS gak bales. Kecewa bgt!!!", "id"}, {"Worst delivery ever, I'm calling my lawyer 😡", "en"},
		{"min?? masih belum ada jawaban", ""}, {"Thanks for the quick help!", "in"}, {"", ""}, {"\xff\xfe\x00", "xx"}, {"PAKET HILANG LAGI", "en-US"},
		{"これは日本語です", "ja"}, {"DM kami ya kak", "id_ID"}} {
		f.Add(s[0], s[1])
	}
	m := Default()
	f.Fuzz(func(t *testing.T, text, hint string) {
		a := m.Analyze(text, hint)
		switch a.Lang {
		case LangEN, LangID:
			if !a.Scored {
				t.Fatalf("%s text not scored", a.Lang)
			}
		case LangOther:
			if a.Scored || a.Complaint != 0 || a.Severity != 0 || a.Sentiment != 0 || a.Arousal != 0 || len(a.Threats) > 0 || len(a.Evidence) > 0 {
				t.Fatalf("unknown language, yet scored: %+v", a)
			}
		default:
			t.Fatalf("language %q", a.Lang)
		}
		in := func(what string, v, lo, hi float64) {
			t.Helper()
			if math.IsNaN(v) || v < lo || v > hi {
				t.Fatalf("%s = %v, outside [%v, %v] for %q", what, v, lo, hi, text)
			}
		}
		in("complaint", a.Complaint, 0, 1)
		in("sentiment", a.Sentiment, -1, 1)
		in("arousal", a.Arousal, 0, 1)
		if a.Severity < 0 || a.Severity > 4 || (a.Severity > 0) != (a.Complaint >= ComplaintThreshold) {
			t.Fatalf("severity %d with complaint %v for %q", a.Severity, a.Complaint, text)
		}
		seen := map[string]bool{}
		for _, th := range a.Threats {
			if th == "" || seen[th] {
				t.Fatalf("threats %q", a.Threats)
			}
			seen[th] = true
		}
		if utf8.ValidString(text) {
			for _, e := range a.Evidence {
				if e == "" || !utf8.ValidString(e) {
					t.Fatalf("evidence %q", a.Evidence)
				}
			}
		}
		if b := m.Analyze(text, hint); !reflect.DeepEqual(a, b) {
			t.Fatalf("two analyses of %q differ:\n%+v\n%+v", text, a, b)
		}
	})
}
