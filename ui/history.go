package ui

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/pantau/pantau/store"
)

// The reputation history, for marketing: GET /api/history sums the store's
// hourly rollups over a period and compares it with the period just
// before. It never reads a mention, so a year's page costs the same
// however many mentions there were (see BenchmarkHistoryYear).
//
//	GET /api/history?from=RFC3339&to=RFC3339&step=hour|day|week&source=&brand=
//
// The period is [from, to), widened to whole hours (the rollups' grain).
// Default: the 7 days up to the end of the current hour. Series points
// start at from and are one step long; the last may be shorter.

// Limits on what a history request may ask for.
const (
	maxHistoryPeriod     = 400 * 24 * time.Hour // a year and some, to compare with last year's
	maxHourlyPeriod      = 31 * 24 * time.Hour  // hour steps: at most 744 points
	defaultHistoryPeriod = 7 * 24 * time.Hour
	maxHistoryTopics     = 50
)

// historySteps are the step lengths a request may name.
var historySteps = map[string]time.Duration{"hour": time.Hour, "day": 24 * time.Hour, "week": 7 * 24 * time.Hour}

func (s *Server) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// historyQuery is a validated history request.
type historyQuery struct {
	from, to      time.Time
	step          string
	stepLen       time.Duration
	source, brand string
}

// previous is the period of the same length just before.
func (q *historyQuery) previous() (time.Time, time.Time) {
	return q.from.Add(-q.to.Sub(q.from)), q.from
}

// points is how many series points the period has.
func (q *historyQuery) points() int {
	return int((q.to.Sub(q.from) + q.stepLen - 1) / q.stepLen)
}

// parseHistory reads and checks the parameters; every error names its
// parameter.
func (s *Server) parseHistory(r *http.Request, extra ...string) (*params, historyQuery, error) {
	var q historyQuery
	p, err := parseParams(r, append([]string{"from", "to", "step", "source", "brand"}, extra...)...)
	if err != nil {
		return nil, q, err
	}
	from, to := p.time("from"), p.time("to")
	q.source, q.brand, q.step = p.str("source"), p.str("brand"), p.str("step")
	if p.err != nil {
		return nil, q, p.err
	}
	// Whole hours: from down, to up.
	if to.IsZero() {
		to = s.clock()
	}
	to = ceilHour(to.UTC())
	if from.IsZero() {
		from = to.Add(-defaultHistoryPeriod)
	}
	from = from.UTC().Truncate(time.Hour)
	switch period := to.Sub(from); {
	case period <= 0:
		return nil, q, errors.New(`query parameter "to": must be after from`)
	case period > maxHistoryPeriod:
		return nil, q, fmt.Errorf(`query parameter "from": the period (in whole hours) is %.4g days; at most %d`, period.Hours()/24, int(maxHistoryPeriod.Hours()/24))
	}
	if from.Year() < 1970 {
		return nil, q, errors.New(`query parameter "from": must be 1970 or later`)
	}
	if q.step == "" {
		q.step = "day"
		if to.Sub(from) <= 2*24*time.Hour {
			q.step = "hour"
		}
	}
	var ok bool
	if q.stepLen, ok = historySteps[q.step]; !ok {
		return nil, q, fmt.Errorf(`query parameter "step": %q is not one of hour, day, week`, clip(q.step, 50))
	}
	if q.step == "hour" && to.Sub(from) > maxHourlyPeriod {
		return nil, q, fmt.Errorf(`query parameter "step": hour steps need a period of at most %d days; use day or week`, int(maxHourlyPeriod.Hours()/24))
	}
	q.from, q.to = from, to
	return p, q, nil
}

func ceilHour(t time.Time) time.Time {
	h := t.Truncate(time.Hour)
	if h.Equal(t) {
		return h
	}
	return h.Add(time.Hour)
}

// The response. The shape is a contract with the history screen.
type historyResponse struct {
	From           time.Time      `json:"from"`
	To             time.Time      `json:"to"`
	Step           string         `json:"step"`
	Previous       historyPeriod  `json:"previous"`
	Totals         historyTotals  `json:"totals"`
	PreviousTotals historyTotals  `json:"previous_totals"`
	Series         []historyPoint `json:"series"`
	BySource       []sourceTotals `json:"by_source"`
	ByBrand        []brandTotals  `json:"by_brand"`
	Topics         []topicTrend   `json:"topics"`
	counts         *historyCounts // for the export
	query          historyQuery   // as validated
}

type historyPeriod struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// historyTotals are one group's figures (the T of docs/history.md).
type historyTotals struct {
	Mentions             int64           `json:"mentions"`
	BrandReplies         int64           `json:"brand_replies"`
	Complaints           int64           `json:"complaints"`
	ComplaintShare       float64         `json:"complaint_share"`
	Severity             severityCounts  `json:"severity"`
	Sentiment            sentimentCounts `json:"sentiment"`
	Answered             int64           `json:"answered"`
	AnsweredWithinTarget int64           `json:"answered_within_target"`
	UnansweredPastTarget int64           `json:"unanswered_past_target"`
	UnansweredShare      float64         `json:"unanswered_share"`
	ResponseTime         []responseCount `json:"response_time"`
	Audit                auditCounts     `json:"audit"`
}

type severityCounts struct {
	S1 int64 `json:"1"`
	S2 int64 `json:"2"`
	S3 int64 `json:"3"`
	S4 int64 `json:"4"`
}

type sentimentCounts struct {
	Negative int64   `json:"negative"`
	Neutral  int64   `json:"neutral"`
	Positive int64   `json:"positive"`
	Mean     float64 `json:"mean"`
}

type responseCount struct {
	LE    string `json:"le"`
	Count int64  `json:"count"`
}

type auditCounts struct {
	Pass     int64   `json:"pass"`
	Fail     int64   `json:"fail"`
	PassRate float64 `json:"pass_rate"`
}

type historyPoint struct {
	T                    time.Time `json:"t"`
	Mentions             int64     `json:"mentions"`
	Complaints           int64     `json:"complaints"`
	Negative             int64     `json:"negative"`
	Neutral              int64     `json:"neutral"`
	Positive             int64     `json:"positive"`
	Answered             int64     `json:"answered"`
	UnansweredPastTarget int64     `json:"unanswered_past_target"`
}

type sourceTotals struct {
	Source string        `json:"source"`
	Totals historyTotals `json:"totals"`
}

type brandTotals struct {
	Brand  string        `json:"brand"`
	Totals historyTotals `json:"totals"`
}

type topicTrend struct {
	Topic    string `json:"topic"`
	Count    int64  `json:"count"`
	Previous int64  `json:"previous"`
}

// responseLabels name store.ResponseBuckets and the bucket beyond them.
var responseLabels = [...]string{"15m", "1h", "4h", "24h", "inf"}

func totalsOf(c *store.Counts) historyTotals {
	t := historyTotals{
		Mentions:             c.Mentions,
		BrandReplies:         c.BrandReplies,
		Complaints:           c.Complaints,
		ComplaintShare:       share(c.Complaints, c.Mentions),
		Severity:             severityCounts{c.Severity[0], c.Severity[1], c.Severity[2], c.Severity[3]},
		Sentiment:            sentimentCounts{c.Negative, c.Neutral, c.Positive, math.Round(c.SentimentMean()*1000) / 1000},
		Answered:             c.Answered,
		AnsweredWithinTarget: c.AnsweredWithinTarget,
		UnansweredPastTarget: c.UnansweredPastTarget,
		UnansweredShare:      share(c.UnansweredPastTarget, c.Mentions),
		ResponseTime:         make([]responseCount, len(responseLabels)),
		Audit:                auditCounts{c.AuditPass, c.AuditFail, share(c.AuditPass, c.AuditPass+c.AuditFail)},
	}
	for i, le := range responseLabels {
		t.ResponseTime[i] = responseCount{le, c.ResponseTime[i]}
	}
	return t
}

// share is n/of rounded to four decimals; 0 when of is 0.
func share(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return math.Round(float64(n)/float64(of)*10000) / 10000
}

// historyCounts are the sums of one period, before they become JSON.
type historyCounts struct {
	total    store.Counts
	series   []store.Counts
	bySource map[string]*store.Counts
	byBrand  map[string]*store.Counts
	// cells, for the export only: per point, source and brand.
	cells map[cellKey]*store.Counts
}

type cellKey struct {
	point         int
	source, brand string
}

// sum reads the rollups of [from, to) into the total. With detail it also
// sums per step, source and brand; with cells, every point × source ×
// brand, for the export. The previous period needs only its total.
func (s *Server) sum(q *historyQuery, from, to time.Time, detail, cells bool) (*historyCounts, error) {
	h := &historyCounts{bySource: map[string]*store.Counts{}, byBrand: map[string]*store.Counts{}}
	if detail {
		h.series = make([]store.Counts, q.points())
	}
	if cells {
		h.cells = map[cellKey]*store.Counts{}
	}
	at := func(m map[string]*store.Counts, k string) *store.Counts {
		c := m[k]
		if c == nil {
			c = &store.Counts{}
			m[k] = c
		}
		return c
	}
	err := s.st.ScanRollups(store.RollupScan{From: from, To: to, Source: q.source, Brand: q.brand}, func(r *store.Rollup) error {
		h.total.Add(&r.Counts, 1)
		if detail {
			at(h.bySource, r.Source).AddFigures(&r.Counts, 1)
			at(h.byBrand, r.Brand).AddFigures(&r.Counts, 1)
			i := int(r.Hour.Sub(from) / q.stepLen)
			h.series[i].AddFigures(&r.Counts, 1)
			if cells {
				k := cellKey{i, r.Source, r.Brand}
				c := h.cells[k]
				if c == nil {
					c = &store.Counts{}
					h.cells[k] = c
				}
				c.AddFigures(&r.Counts, 1)
			}
		}
		return nil
	})
	return h, err
}

// buildHistory answers a validated query.
func (s *Server) buildHistory(q historyQuery, cells bool) (*historyResponse, error) {
	cur, err := s.sum(&q, q.from, q.to, true, cells)
	if err != nil {
		return nil, err
	}
	pfrom, pto := q.previous()
	prev, err := s.sum(&q, pfrom, pto, false, false)
	if err != nil {
		return nil, err
	}
	resp := &historyResponse{
		From: q.from, To: q.to, Step: q.step,
		Previous:       historyPeriod{pfrom, pto},
		Totals:         totalsOf(&cur.total),
		PreviousTotals: totalsOf(&prev.total),
		Series:         make([]historyPoint, len(cur.series)),
		BySource:       []sourceTotals{},
		ByBrand:        []brandTotals{},
		Topics:         []topicTrend{},
		counts:         cur,
		query:          q,
	}
	for i := range cur.series {
		c := &cur.series[i]
		resp.Series[i] = historyPoint{
			T: q.from.Add(time.Duration(i) * q.stepLen), Mentions: c.Mentions, Complaints: c.Complaints,
			Negative: c.Negative, Neutral: c.Neutral, Positive: c.Positive,
			Answered: c.Answered, UnansweredPastTarget: c.UnansweredPastTarget,
		}
	}
	for _, name := range sortedByVolume(cur.bySource) {
		resp.BySource = append(resp.BySource, sourceTotals{name, totalsOf(cur.bySource[name])})
	}
	for _, name := range sortedByVolume(cur.byBrand) {
		resp.ByBrand = append(resp.ByBrand, brandTotals{name, totalsOf(cur.byBrand[name])})
	}
	resp.Topics = topicTrends(cur.total.Topics, prev.total.Topics)
	return resp, nil
}

// sortedByVolume orders group names by mentions and replies, most first,
// then by name.
func sortedByVolume(m map[string]*store.Counts) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int {
		va, vb := m[a].Mentions+m[a].BrandReplies, m[b].Mentions+m[b].BrandReplies
		return cmp.Or(cmp.Compare(vb, va), cmp.Compare(a, b))
	})
	return names
}

// topicTrends lists the topics of either period, the current period's
// most counted first.
func topicTrends(cur, prev []store.TopicCount) []topicTrend {
	byTopic := map[string]*topicTrend{}
	for _, t := range cur {
		byTopic[t.Topic] = &topicTrend{Topic: t.Topic, Count: t.N}
	}
	for _, t := range prev {
		if tt := byTopic[t.Topic]; tt != nil {
			tt.Previous = t.N
		} else {
			byTopic[t.Topic] = &topicTrend{Topic: t.Topic, Previous: t.N}
		}
	}
	out := make([]topicTrend, 0, len(byTopic))
	for _, t := range byTopic {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b topicTrend) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(b.Previous, a.Previous), cmp.Compare(a.Topic, b.Topic))
	})
	if len(out) > maxHistoryTopics {
		out = out[:maxHistoryTopics]
	}
	return out
}

// history answers GET /api/history.
func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	_, q, err := s.parseHistory(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	resp, err := s.buildHistory(q, false)
	if err != nil {
		s.internalError(w, r, "read history", err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}
