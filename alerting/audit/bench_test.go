package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// labeledInputs returns the labeled set's brand replies as audit inputs.
func labeledInputs(b *testing.B) []ReplyInput {
	var ins []ReplyInput
	sc := bufio.NewScanner(bytes.NewReader(labeledSet))
	for sc.Scan() {
		var l Labeled
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			b.Fatal(err)
		}
		if l.Role == "customer" {
			continue
		}
		to := l.To
		if to == "" {
			to = l.ID
		}
		ins = append(ins, ReplyInput{Text: l.Text, InReplyTo: l.InReplyTo, Recipient: to,
			ResponseTime: time.Duration(l.ReplySeconds) * time.Second, Target: time.Duration(l.TargetSeconds) * time.Second})
	}
	return ins
}

// BenchmarkAudit audits the labeled replies in turn on one goroutine (one
// core): a full audit per op, customer post included, PII scan included.
// Target: 50,000 audits/s.
func BenchmarkAudit(b *testing.B) {
	ins := labeledInputs(b)
	a, _ := New(Config{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.Check(ins[i%len(ins)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "audits/s")
}

// BenchmarkFindPII scans the labeled replies and posts for personal data.
func BenchmarkFindPII(b *testing.B) {
	var texts []string
	sc := bufio.NewScanner(bytes.NewReader(labeledSet))
	for sc.Scan() {
		var l Labeled
		json.Unmarshal(sc.Bytes(), &l)
		texts = append(texts, l.Text)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		FindPII(texts[i%len(texts)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "texts/s")
}
