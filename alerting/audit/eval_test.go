package audit

import (
	"os"
	"strings"
	"testing"
)

// TestLabeledSet measures the audit and PII detection on the labeled set
// and fails below the PII targets. Run with -v to see the figures and every
// disagreement.
func TestLabeledSet(t *testing.T) {
	f, err := os.Open("testdata/replies.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := EvalLabeledSet(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + res.Format())
	if testing.Verbose() {
		t.Log("disagreements:\n  " + strings.Join(res.Misses, "\n  "))
	}
	if res.Replies < 150 {
		t.Errorf("labeled set has %d replies, want at least 150", res.Replies)
	}
	if err := res.MeetsTargets(); err != nil {
		t.Error(err)
	}
}

// TestHeldOutSets reports the figures on the held-out sets, written after
// the word lists in new wording and new shapes. holdout.jsonl was run once
// untuned (its first-run figures are in docs/audit.md) and the audit was
// then improved on its failures; holdout2.jsonl was written after all
// tuning and never tuned on. They log and do not fail.
func TestHeldOutSets(t *testing.T) {
	for _, name := range []string{"testdata/holdout.jsonl", "testdata/holdout2.jsonl"} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(name)
			if err != nil {
				t.Skip(err)
			}
			defer f.Close()
			res, err := EvalLabeledSet(f)
			if err != nil {
				t.Fatal(err)
			}
			t.Log("\n" + res.Format())
			if testing.Verbose() {
				t.Log("disagreements:\n  " + strings.Join(res.Misses, "\n  "))
			}
		})
	}
}
