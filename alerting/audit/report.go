package audit

import (
	"slices"
	"strings"
	"time"

	"github.com/pantau/pantau/store"
)

// AuditedReply is one audited brand reply, as the report reads it.
type AuditedReply struct {
	// Account is the brand account that posted the reply ("@kilat_cs").
	Account string
	Audit   store.Audit
}

// Report aggregates audited replies per brand account and per agent
// signature. It is a pure function of its input (BuildReport); the
// dashboard's API feeds it the audited replies of a period
// (GET /api/reply-report). Durations are in nanoseconds in JSON.
type Report struct {
	// All covers every reply.
	All Group `json:"all"`
	// Accounts has one group per brand account, most replies first.
	Accounts []Group `json:"accounts"`
	// Signatures has one group per agent signature, most replies first;
	// replies without a signature are grouped under "".
	Signatures []Group `json:"signatures"`
}

// Group is the figures of one account, one agent, or everything.
type Group struct {
	Key     string `json:"key"`
	Replies int    `json:"replies"`
	// Timed is how many replies had a response time; the figures below
	// are over those.
	Timed          int           `json:"timed"`
	MedianResponse time.Duration `json:"median_response"`
	P90Response    time.Duration `json:"p90_response"`
	// WithinTarget is the share of timed replies whose response_time
	// check passed.
	WithinTarget float64 `json:"within_target"`
	// PassRate is the share of replies with verdict ok.
	PassRate   float64 `json:"pass_rate"`
	Violations int     `json:"violations"`
	// Problems counts failed checks, most common first (ties by name).
	Problems []Problem `json:"problems"`
}

// Problem is how often one check failed.
type Problem struct {
	Check string `json:"check"`
	Count int    `json:"count"`
}

// BuildReport aggregates replies. Percentiles use the nearest-rank
// method: the p-th percentile of n sorted times is the ceil(p*n)-th, so the
// median of an even count is the lower middle value and every figure is a
// response time that really happened.
func BuildReport(replies []AuditedReply) Report {
	var r Report
	all := newAcc("")
	accounts := map[string]*acc{}
	sigs := map[string]*acc{}
	for _, x := range replies {
		all.add(x.Audit)
		if accounts[x.Account] == nil {
			accounts[x.Account] = newAcc(x.Account)
		}
		accounts[x.Account].add(x.Audit)
		s := strings.TrimSpace(x.Audit.Signature)
		if sigs[s] == nil {
			sigs[s] = newAcc(s)
		}
		sigs[s].add(x.Audit)
	}
	r.All = all.group()
	r.Accounts = groups(accounts)
	r.Signatures = groups(sigs)
	return r
}

type acc struct {
	key                          string
	n, ok, violations, timedPass int
	times                        []time.Duration
	problems                     map[string]int
}

func newAcc(key string) *acc { return &acc{key: key, problems: map[string]int{}} }

func (a *acc) add(au store.Audit) {
	a.n++
	switch au.Verdict {
	case VerdictOK:
		a.ok++
	case VerdictViolation:
		a.violations++
	}
	for _, c := range au.Checks {
		if !c.Pass {
			a.problems[c.Name]++
		}
	}
	if au.ResponseTime > 0 {
		a.times = append(a.times, au.ResponseTime)
		for _, c := range au.Checks {
			if c.Name == CheckResponseTime && c.Pass {
				a.timedPass++
			}
		}
	}
}

func (a *acc) group() Group {
	g := Group{Key: a.key, Replies: a.n, Timed: len(a.times), Violations: a.violations}
	if a.n > 0 {
		g.PassRate = float64(a.ok) / float64(a.n)
	}
	if len(a.times) > 0 {
		slices.Sort(a.times)
		g.MedianResponse = percentile(a.times, 50)
		g.P90Response = percentile(a.times, 90)
		g.WithinTarget = float64(a.timedPass) / float64(len(a.times))
	}
	for name, n := range a.problems {
		g.Problems = append(g.Problems, Problem{Check: name, Count: n})
	}
	slices.SortFunc(g.Problems, func(x, y Problem) int {
		if x.Count != y.Count {
			return y.Count - x.Count
		}
		return strings.Compare(x.Check, y.Check)
	})
	return g
}

// percentile is the nearest-rank pct-th percentile of sorted times, in
// integers so that 90% of 10 is exactly the 9th.
func percentile(sorted []time.Duration, pct int) time.Duration {
	k := (pct*len(sorted) + 99) / 100
	k = max(1, min(k, len(sorted)))
	return sorted[k-1]
}

func groups(m map[string]*acc) []Group {
	out := make([]Group, 0, len(m))
	for _, a := range m {
		out = append(out, a.group())
	}
	slices.SortFunc(out, func(x, y Group) int {
		if x.Replies != y.Replies {
			return y.Replies - x.Replies
		}
		return strings.Compare(x.Key, y.Key)
	})
	return out
}
