package digest

import (
	"slices"
	"time"

	"github.com/pantau/pantau/store"
)

// Numbers are one period's figures.
type Numbers struct {
	Mentions       int     `json:"mentions"`
	Complaints     int     `json:"complaints"`
	ComplaintShare float64 `json:"complaint_share"`
	// Severity counts complaints by severity; index 1..4 is used.
	Severity [5]int `json:"severity"`
	// Sentiment is the mean over scored mentions (-1..1).
	Sentiment float64 `json:"sentiment"`
	Scored    int     `json:"scored"`
	Positive  int     `json:"positive"`
	Neutral   int     `json:"neutral"`
	Negative  int     `json:"negative"`
	// First response to complaints: answered in public, or moved to
	// private or resolved by an agent, by At.
	Answered     int           `json:"answered"`
	RespMedian   time.Duration `json:"resp_median"`
	RespP90      time.Duration `json:"resp_p90"`
	WithinTarget float64       `json:"within_target"` // share of answered complaints
	// Overdue counts complaints still unanswered at At and past their
	// response target; OverdueShare is their share of complaints.
	Overdue      int     `json:"overdue"`
	OverdueShare float64 `json:"overdue_share"`
	// Replies are the brand's own replies with a reply audit; Passed the
	// ones whose verdict is ok.
	Replies       int     `json:"replies"`
	Passed        int     `json:"passed"`
	AuditPassRate float64 `json:"audit_pass_rate"`
	// Bins are mentions and complaints per hour (daily digest) or per
	// day (weekly), from the period's start.
	Bins []Bin `json:"bins"`

	resp     []time.Duration
	within   int
	sentSum  float64
	complain []*store.Mention
}

// Bin is one bar of the chart.
type Bin struct {
	Start      time.Time `json:"start"`
	Mentions   int       `json:"mentions"`
	Complaints int       `json:"complaints"`
}

func (n *Numbers) finish() {
	n.ComplaintShare = ratio(n.Complaints, n.Mentions)
	n.OverdueShare = ratio(n.Overdue, n.Complaints)
	n.AuditPassRate = ratio(n.Passed, n.Replies)
	n.WithinTarget = ratio(n.within, n.Answered)
	if n.Scored > 0 {
		n.Sentiment = n.sentSum / float64(n.Scored)
	}
	slices.Sort(n.resp)
	n.RespMedian = percentile(n.resp, 0.5)
	n.RespP90 = percentile(n.resp, 0.9)
	n.resp = nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// percentile is the nearest-rank percentile of sorted durations; zero for
// none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p*float64(len(sorted)) + 0.999999)
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// bins makes the chart's empty bars for a period: hours for a daily
// digest (23 or 25 on a DST day), days for a weekly one.
func (r *Report) bins(p Period) []Bin {
	var out []Bin
	if r.hourlyBins {
		for t := p.Start; t.Before(p.End); t = t.Add(time.Hour) {
			out = append(out, Bin{Start: t})
		}
		return out
	}
	for t := p.Start; t.Before(p.End); t = t.AddDate(0, 0, 1) {
		out = append(out, Bin{Start: t})
	}
	return out
}

// binOf is the bar that t falls in.
func (r *Report) binOf(p Period, t time.Time, n int) int {
	var i int
	if r.hourlyBins {
		i = int(t.Sub(p.Start) / time.Hour)
	} else {
		l := t.In(p.Start.Location())
		day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, p.Start.Location())
		// Calendar days differ by 23 to 25 hours: round.
		i = int((day.Sub(p.Start) + 12*time.Hour) / (24 * time.Hour))
	}
	return min(max(i, 0), n-1)
}
