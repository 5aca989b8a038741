package audit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

func TestDebugPII(t *testing.T) {
	f, _ := os.Open("testdata/replies.jsonl")
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r struct {
			ID   string
			Text string
			PII  []struct{ Kind, Text string }
		}
		json.Unmarshal(sc.Bytes(), &r)
		got := FindPII(r.Text)
		gs := ""
		for _, g := range got {
			gs += fmt.Sprintf("[%s %q] ", g.Kind, r.Text[g.Start:g.End])
		}
		es := ""
		for _, e := range r.PII {
			es += fmt.Sprintf("[%s %q] ", e.Kind, e.Text)
		}
		if gs != es {
			fmt.Printf("%s\n  got:  %s\n  want: %s\n", r.ID, gs, es)
		}
	}
}
