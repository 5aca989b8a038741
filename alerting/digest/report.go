package digest

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/pantau/pantau/alerting"
	"github.com/pantau/pantau/alerting/audit"
	"github.com/pantau/pantau/alerting/notify"
	"github.com/pantau/pantau/store"
)

// complaintMin is the complaint probability from which a post counts as a
// complaint: the scorer's own threshold (alerting's complaintMin).
const complaintMin = 0.5

// topN is how many complaints and terms a digest lists.
const (
	topComplaints = 5
	topTerms      = 8
)

// Params say what to report on.
type Params struct {
	Kind Kind
	// At is when the digest is made: the end of the scan, and the "now"
	// of the unanswered clock. Answers after At do not count.
	At  time.Time
	Loc *time.Location
	// Brands limits the report to these brands; empty is all.
	Brands []string
	// Exclude are words never counted as complaint terms: the brands'
	// own names and search terms, which every mention has.
	Exclude []string
}

// Share is one row of a breakdown: a source or a brand, both periods.
type Share struct {
	Name string `json:"name"`
	Cur  Small  `json:"cur"`
	Prev Small  `json:"prev"`
}

// Small are a breakdown row's figures.
type Small struct {
	Mentions   int `json:"mentions"`
	Complaints int `json:"complaints"`
	Overdue    int `json:"overdue"`
}

// Term is a word frequent in the period's complaints, with how many
// complaints used it in each period.
type Term struct {
	Term string `json:"term"`
	Cur  int    `json:"cur"`
	Prev int    `json:"prev"`
}

// Complaint is one of the period's highest-priority complaints, masked.
type Complaint struct {
	Key      string    `json:"key"`
	Priority float64   `json:"priority"`
	Severity int       `json:"severity"`
	Source   string    `json:"source"`
	Brand    string    `json:"brand,omitempty"`
	Author   string    `json:"author"`
	Text     string    `json:"text"`
	URL      string    `json:"url,omitempty"`
	At       time.Time `json:"at"`
	// Answered says how it stands at the digest's time.
	Status string `json:"status"`
}

// Report is a digest's content before rendering.
type Report struct {
	Kind     Kind      `json:"kind"`
	At       time.Time `json:"at"`
	Period   Period    `json:"period"`
	Previous Period    `json:"previous"`
	Brands   []string  `json:"brands,omitempty"`
	Cur      Numbers   `json:"cur"`
	Prev     Numbers   `json:"prev"`
	// Targets are the response targets the complaints were held to.
	Targets    []time.Duration `json:"targets"`
	BySource   []Share         `json:"by_source"`
	ByBrand    []Share         `json:"by_brand"`
	Terms      []Term          `json:"terms"`
	Top        []Complaint     `json:"top"`
	hourlyBins bool
}

// Compute reads the mentions of the period ending before p.At and of the
// period before it, once, and computes the report.
func Compute(ctx context.Context, src Source, p Params) (*Report, error) {
	loc := p.Loc
	if loc == nil {
		loc = time.UTC
	}
	cur := PeriodFor(p.Kind, p.At, loc)
	r := &Report{Kind: p.Kind, At: p.At, Period: cur, Previous: cur.Previous(), Brands: p.Brands, hourlyBins: p.Kind == Daily}
	r.Cur.Bins = r.bins(r.Period)
	r.Prev.Bins = r.bins(r.Previous)
	sources := map[string]*Share{}
	brands := map[string]*Share{}
	targets := map[time.Duration]bool{}
	curTerms, prevTerms := map[string]int{}, map[string]int{}
	exclude := map[string]bool{}
	for _, e := range p.Exclude {
		for _, w := range Terms(e) {
			exclude[w] = true
		}
	}

	// A mention belongs to the period it was posted in. It can only have
	// been stored after that, so the scan starts at the previous period
	// and runs to At (late arrivals of the period count).
	err := src.Mentions(ctx, r.Previous.Start, p.At, func(m *store.Mention) error {
		if len(p.Brands) > 0 && !slices.Contains(p.Brands, m.Brand) {
			return nil
		}
		when := postedAt(m)
		var n *Numbers
		var curr bool
		switch {
		case r.Period.Contains(when):
			n, curr = &r.Cur, true
		case r.Previous.Contains(when):
			n = &r.Prev
		default:
			return nil
		}
		if m.ByBrand {
			if m.Score != nil && m.Score.Audit != nil {
				n.Replies++
				if m.Score.Audit.Verdict == "ok" {
					n.Passed++
				}
			}
			return nil
		}
		period := r.Previous
		if curr {
			period = r.Period
		}
		complaint := m.Score != nil && m.Score.Scored && m.Score.Complaint >= complaintMin
		n.Mentions++
		bin := r.binOf(period, when, len(n.Bins))
		n.Bins[bin].Mentions++
		if m.Score != nil && m.Score.Scored {
			n.Scored++
			n.sentSum += m.Score.Sentiment
			switch {
			case m.Score.Sentiment > 0.05:
				n.Positive++
			case m.Score.Sentiment < -0.05:
				n.Negative++
			default:
				n.Neutral++
			}
		}
		row := func(rows map[string]*Share, name string) *Small {
			s := rows[name]
			if s == nil {
				s = &Share{Name: name}
				rows[name] = s
			}
			if curr {
				return &s.Cur
			}
			return &s.Prev
		}
		srcRow, brandRow := row(sources, m.Source), row(brands, m.Brand)
		srcRow.Mentions++
		brandRow.Mentions++
		if !complaint {
			return nil
		}
		n.Complaints++
		srcRow.Complaints++
		brandRow.Complaints++
		n.Bins[bin].Complaints++
		n.Severity[min(max(m.Score.Severity, 1), 4)]++
		target := targetOf(m)
		if curr {
			targets[target] = true
		}
		answered, state := answeredAt(m, p.At)
		switch {
		case !answered.IsZero():
			rt := max(answered.Sub(when), 0)
			n.Answered++
			n.resp = append(n.resp, rt)
			if rt <= target {
				n.within++
			}
		case state == store.ReplyNotNeeded:
		case p.At.Sub(when) > target:
			n.Overdue++
			srcRow.Overdue++
			brandRow.Overdue++
		}
		termsOf := prevTerms
		if curr {
			termsOf = curTerms
			c := *m
			n.complain = append(n.complain, &c)
		}
		for _, t := range Terms(audit.MaskAll(m.Title + "\n" + m.Text)) {
			if !exclude[t] {
				termsOf[t]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.Cur.finish()
	r.Prev.finish()
	for t := range targets {
		r.Targets = append(r.Targets, t)
	}
	slices.Sort(r.Targets)
	r.BySource = sortedShares(sources)
	r.ByBrand = sortedShares(brands)
	r.Terms = topTermsOf(curTerms, prevTerms)
	r.Top = topOf(r.Cur.complain, p.At)
	r.Cur.complain = nil
	return r, nil
}

// postedAt is when a mention was posted: its creation time, unless the
// source gave none or one after it was stored (a wrong clock).
func postedAt(m *store.Mention) time.Time {
	if m.CreatedAt.IsZero() || (!m.SeenAt.IsZero() && m.CreatedAt.After(m.SeenAt)) {
		return m.SeenAt
	}
	return m.CreatedAt
}

// answeredAt is when the brand first answered a mention by at: a public
// reply, or an agent moving it to private or resolving it. state is the
// agent's handling.
func answeredAt(m *store.Mention, at time.Time) (time.Time, store.ReplyState) {
	var t time.Time
	if m.AnsweredAt != nil && !m.AnsweredAt.After(at) {
		t = *m.AnsweredAt
	}
	if (m.Handling == store.ReplyPrivate || m.Handling == store.ReplyResolved) && m.HandledAt != nil && !m.HandledAt.After(at) {
		if t.IsZero() || m.HandledAt.Before(t) {
			t = *m.HandledAt
		}
	}
	return t, m.Handling
}

// targetOf is the response target the scorer held the mention to, or the
// channel's default when the score does not say.
func targetOf(m *store.Mention) time.Duration {
	if m.Score != nil && m.Score.Target > 0 {
		return m.Score.Target
	}
	switch alerting.ChannelOf(m.Kind) {
	case alerting.ChannelReview:
		return alerting.DefaultReviewTarget
	case alerting.ChannelForum:
		return alerting.DefaultForumTarget
	}
	return alerting.DefaultSocialTarget
}

func sortedShares(m map[string]*Share) []Share {
	out := make([]Share, 0, len(m))
	for _, s := range m {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Cur.Mentions != out[j].Cur.Mentions {
			return out[i].Cur.Mentions > out[j].Cur.Mentions
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func topTermsOf(cur, prev map[string]int) []Term {
	var out []Term
	for t, n := range cur {
		// A word in one complaint is not a topic.
		if n >= 2 {
			out = append(out, Term{Term: t, Cur: n, Prev: prev[t]})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Cur != out[j].Cur {
			return out[i].Cur > out[j].Cur
		}
		return out[i].Term < out[j].Term
	})
	return out[:min(len(out), topTerms)]
}

// topOf picks the highest-priority complaints and masks what they show.
func topOf(ms []*store.Mention, at time.Time) []Complaint {
	sort.SliceStable(ms, func(i, j int) bool {
		pi, pj := ms[i].Score.Priority, ms[j].Score.Priority
		if pi != pj {
			return pi > pj
		}
		return postedAt(ms[i]).Before(postedAt(ms[j]))
	})
	var out []Complaint
	for _, m := range ms[:min(len(ms), topComplaints)] {
		text := m.Text
		if text == "" {
			text = m.Title
		}
		who := m.Author.Handle
		if m.Author.DisplayName != "" && m.Author.DisplayName != who {
			who = m.Author.DisplayName + " (" + who + ")"
		}
		status := "unanswered"
		if t, _ := answeredAt(m, at); !t.IsZero() {
			status = "answered after " + fmtDuration(t.Sub(postedAt(m)))
		} else if m.Handling == store.ReplyNotNeeded {
			status = "no reply needed"
		} else if d := at.Sub(postedAt(m)); d > targetOf(m) {
			status = "unanswered for " + fmtDuration(d) + " (target " + fmtDuration(targetOf(m)) + ")"
		}
		out = append(out, Complaint{
			Key: m.Key, Priority: m.Score.Priority, Severity: m.Score.Severity,
			Source: notify.OneLine(m.Source, 80), Brand: notify.OneLine(m.Brand, 80),
			Author: notify.OneLine(audit.MaskAll(who), 100),
			Text:   notify.OneLine(audit.MaskAll(text), maxExcerpt),
			URL:    notify.WebURL(m.URL), At: postedAt(m), Status: status,
		})
	}
	return out
}
