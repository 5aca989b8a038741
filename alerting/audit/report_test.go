package audit

import (
	"fmt"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

func audited(account, sig, verdict string, rt time.Duration, failed ...string) AuditedReply {
	au := store.Audit{Verdict: verdict, Signature: sig, ResponseTime: rt}
	if rt > 0 {
		pass := true
		for _, f := range failed {
			if f == CheckResponseTime {
				pass = false
			}
		}
		au.Checks = append(au.Checks, store.AuditCheck{Name: CheckResponseTime, Pass: pass})
	}
	for _, name := range []string{CheckEmpathy, CheckNextStep, CheckTone, CheckPII} {
		pass := true
		for _, f := range failed {
			if f == name {
				pass = false
			}
		}
		au.Checks = append(au.Checks, store.AuditCheck{Name: name, Pass: pass})
	}
	return AuditedReply{Account: account, Audit: au}
}

func TestBuildReport(t *testing.T) {
	m := time.Minute
	replies := []AuditedReply{
		audited("@kilat_cs", "RN", VerdictOK, 10*m),
		audited("@kilat_cs", "RN", VerdictNeedsAttention, 90*m, CheckResponseTime, CheckEmpathy),
		audited("@kilat_cs", "Dina", VerdictOK, 30*m),
		audited("@kilat_cs", "Dina", VerdictViolation, 20*m, CheckPII, CheckEmpathy),
		audited("@kilat_id", "", VerdictNeedsAttention, 0, CheckNextStep),
		audited("@kilat_id", "RN", VerdictOK, 40*m),
	}
	r := BuildReport(replies)

	all := r.All
	if all.Replies != 6 || all.Timed != 5 || all.Violations != 1 {
		t.Fatalf("all: %+v", all)
	}
	// sorted times 10 20 30 40 90: median (3rd) 30, p90 (ceil 4.5 = 5th) 90
	if all.MedianResponse != 30*m || all.P90Response != 90*m {
		t.Errorf("median %v p90 %v, want 30m 90m", all.MedianResponse, all.P90Response)
	}
	if all.WithinTarget != 0.8 || all.PassRate != 0.5 {
		t.Errorf("within %v pass %v, want 0.8 0.5", all.WithinTarget, all.PassRate)
	}
	if fmt.Sprint(all.Problems) != "[{empathy 2} {next_step 1} {pii 1} {response_time 1}]" {
		t.Errorf("problems %v", all.Problems)
	}

	if len(r.Accounts) != 2 || r.Accounts[0].Key != "@kilat_cs" || r.Accounts[0].Replies != 4 {
		t.Fatalf("accounts %+v", r.Accounts)
	}
	cs := r.Accounts[0]
	// 10 20 30 90: median is the lower middle (2nd) = 20, p90 = ceil(3.6) = 4th = 90
	if cs.MedianResponse != 20*m || cs.P90Response != 90*m || cs.WithinTarget != 0.75 || cs.PassRate != 0.5 {
		t.Errorf("@kilat_cs %+v", cs)
	}
	id := r.Accounts[1]
	if id.Timed != 1 || id.MedianResponse != 40*m || id.P90Response != 40*m {
		t.Errorf("@kilat_id %+v", id)
	}

	var keys []string
	for _, g := range r.Signatures {
		keys = append(keys, fmt.Sprintf("%s:%d", g.Key, g.Replies))
	}
	if fmt.Sprint(keys) != "[RN:3 Dina:2 :1]" {
		t.Errorf("signatures %v", keys)
	}
}

func TestBuildReportEmpty(t *testing.T) {
	r := BuildReport(nil)
	if r.All.Replies != 0 || r.All.PassRate != 0 || len(r.Accounts) != 0 || len(r.Signatures) != 0 {
		t.Errorf("%+v", r)
	}
}

func TestPercentile(t *testing.T) {
	s := func(xs ...int) []time.Duration {
		var out []time.Duration
		for _, x := range xs {
			out = append(out, time.Duration(x))
		}
		return out
	}
	tests := []struct {
		xs   []time.Duration
		pct  int
		want time.Duration
	}{
		{s(5), 50, 5}, {s(5), 90, 5},
		{s(1, 2), 50, 1}, {s(1, 2), 90, 2},
		{s(1, 2, 3), 50, 2},
		{s(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9}, // exactly the 9th, no float drift
		{s(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 50, 5},
		{s(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 90, 10},
	}
	for _, tc := range tests {
		if got := percentile(tc.xs, tc.pct); got != tc.want {
			t.Errorf("p%d of %v = %v, want %v", tc.pct, tc.xs, got, tc.want)
		}
	}
}
