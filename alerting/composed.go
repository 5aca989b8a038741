package alerting

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pantau/pantau/alerting/topics"
	"github.com/pantau/pantau/store"
)

// ComposedScorerName is the composed scorer's part of Score.Scorer; the
// text analyzer's name follows it when the analyzer has one.
const ComposedScorerName = "composed/v1"

// complaintMin is the complaint probability from which a post is treated
// as a complaint: it needs an answer, has a severity and joins cases.
const complaintMin = 0.5

// maxClockBacklog: a post created this long before Pantau first saw it (a
// backfill on the first run, a feed that surfaces old items) gets no
// response clock. It is still unanswered, but hundreds of "overdue by
// weeks" alerts on the first start would bury the ones that matter now.
const maxClockBacklog = 7 * 24 * time.Hour

// ComposedScorer is Pantau's scorer. It asks a TextAnalyzer what the text
// says and adds what the text cannot know: engagement over time, reach,
// the case a post belongs to, the brand's answers and the customer's
// follow-ups in the thread, and the unanswered clock in business hours.
// From all of it comes one priority that orders the agents' queue.
//
// Every number comes with its reasons, in plain language. It is safe for
// concurrent use.
type ComposedScorer struct {
	text   TextAnalyzer
	name   string
	now    func() time.Time
	base   *clockRules
	brands map[string]*clockRules
}

var _ Scorer = (*ComposedScorer)(nil)

// NewScorer builds the scorer from the `scoring:` section (which should
// have passed Validate; an invalid one is an error here too), a text
// analyzer, and a clock for inputs that carry no time (nil: time.Now).
func NewScorer(cfg ScoringConfig, text TextAnalyzer, now func() time.Time) (*ComposedScorer, error) {
	if text == nil {
		return nil, errors.New("scoring: no text analyzer")
	}
	if err := cfg.Validate("scoring"); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	s := &ComposedScorer{text: text, name: ComposedScorerName, now: now}
	if n, ok := text.(interface{ Name() string }); ok && n.Name() != "" {
		s.name += "+" + n.Name()
	}
	var err error
	if s.base, err = cfg.ClockConfig.compile(nil); err != nil {
		return nil, err
	}
	if len(cfg.Brands) > 0 {
		s.brands = make(map[string]*clockRules, len(cfg.Brands))
		for name, bc := range cfg.Brands {
			if s.brands[name], err = bc.compile(s.base); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// Name is the scorer's name and version, as scores carry it: a sweep
// re-scores everything once after it changes.
func (s *ComposedScorer) Name() string { return s.name }

// Target is the response target for a mention's channel and brand.
func (s *ComposedScorer) Target(m *store.Mention) time.Duration {
	return s.rules(m.Brand).target(m.Source, m.Kind)
}

func (s *ComposedScorer) rules(brand string) *clockRules {
	if r, ok := s.brands[brand]; ok {
		return r
	}
	return s.base
}

// analyze reads a mention's title and text together.
func (s *ComposedScorer) analyze(m *store.Mention) Analysis {
	text := m.Text
	if m.Title != "" {
		text = m.Title + "\n" + m.Text
	}
	return s.text.Analyze(text, m.Lang)
}

// Score implements Scorer.
func (s *ComposedScorer) Score(in Input) store.Score {
	m := &in.Mention
	now := in.Now
	if now.IsZero() {
		now = s.now()
	}
	sc := store.Score{Scorer: s.name, At: now}
	reasons := make([]string, 0, 12)
	if m.ByBrand {
		reasons = append(reasons, ReasonBrandReply)
	}
	a := s.analyze(m)

	if !a.Scored {
		// Text the analyzer cannot read gets no numbers, never guessed
		// ones; the facts (answered, handled) still hold.
		sc.Lang = LangOther
		reasons = append(reasons, ReasonNotScored)
		if !m.ByBrand {
			c := converse(m, &a, in.Thread, s.analyze)
			sc.ReplyState, reasons = s.settledState(m, &c, reasons)
			if sc.ReplyState == "" {
				sc.ReplyState = store.ReplyNew
			}
		}
		sc.Reasons = reasons
		return sc
	}
	sc.Scored = true
	sc.Lang = a.Lang
	reasons = append(reasons, "language: "+a.Lang)

	complaint, severity, sentiment := a.Complaint, a.Severity, a.Sentiment
	if r := m.Rating; r != nil && *r >= 1 && *r <= 5 {
		// The star rating is the customer's own summary. It shifts the
		// text's complaint odds (one star: strongly towards complaint)
		// and is averaged into the sentiment.
		complaint = logistic(logit(complaint) + [...]float64{1.5, 0.8, 0, -0.8, -1.5}[*r-1])
		rv := float64(*r-3) / 2
		sentiment = (sentiment + rv) / (1 + math.Abs(rv))
		reasons = append(reasons, "rating "+strconv.Itoa(*r)+"/5")
	}
	switch {
	case m.ByBrand:
		complaint, severity = 0, 0 // the brand does not complain about itself
	case complaint < complaintMin:
		severity = 0
	case severity == 0:
		severity = 1 // a complaint from the rating alone: no explicit reproach
	}
	sc.Complaint, sc.Severity, sc.Sentiment = round3(complaint), severity, round3(sentiment)
	if complaint >= complaintMin {
		// What the complaint is about, for the history's top topics.
		sc.Topics = topics.Find(m.Title + "\n" + m.Text)
	}
	// The analyzer's evidence names the words, threats among them.
	reasons = append(reasons, a.Evidence...)

	if m.ByBrand {
		sc.Virality, reasons = viralityOf(m, &a, in.Samples, CaseInfo{}, false, reasons)
		if a.Private {
			reasons = append(reasons, "moves the conversation to a private channel")
		}
		sc.Reasons = reasons
		return sc
	}

	c := converse(m, &a, in.Thread, s.analyze)
	if in.Case.Size >= 2 {
		sc.Case = in.Case.Key
	}
	sc.Virality, reasons = viralityOf(m, &a, in.Samples, in.Case, c.answered && c.private, reasons)
	if in.Case.Size >= 2 {
		reasons = append(reasons, "grouped with "+strconv.Itoa(in.Case.Size-1)+" related post"+plural(in.Case.Size-1))
	}

	// The reply state: what people did first, then what the text needs.
	question := strings.ContainsAny(m.Text, "?？")
	need := complaint >= complaintMin || question || len(c.followUps) > 0
	sc.ReplyState, reasons = s.settledState(m, &c, reasons)
	if sc.ReplyState == "" {
		if !need {
			sc.ReplyState = store.ReplyNotNeeded
			reasons = append(reasons, "no reply needed: not a complaint or a question")
		} else {
			sc.ReplyState = store.ReplyNew
		}
	}

	// Priority: how sure and how serious the complaint is (a question
	// counts as half a complaint), how far it may spread, how long it has
	// waited past its target, and whether the author had to follow up.
	weight := complaint
	if question || len(c.followUps) > 0 {
		weight = max(weight, 0.5)
	}
	p := weight * (0.35 + 0.1*float64(severity))
	p += 0.25 * sc.Virality * weight
	switch sc.ReplyState {
	case store.ReplyNew:
		if c.first != nil {
			// The author's first post carries the conversation's clock,
			// escalation and priority; one queue item per conversation.
			reasons = append(reasons, "follow-up to "+handle(c.first.Author.Handle)+"'s earlier post: the clock and priority are on that post")
			p = 0
			break
		}
		var overdue time.Duration
		sc.Target, overdue, sc.Recheck, reasons = s.clock(m, now, reasons)
		if overdue > 0 {
			sc.Overdue = overdue
			p += 0.1 + 0.15*min(1, float64(overdue)/float64(3*sc.Target))
		}
		if n := len(c.followUps); n > 0 {
			sc.Escalated = true
			p += 0.15 + 0.05*float64(min(n-1, 2))
			last := c.followUps[n-1]
			what := "followed up unanswered"
			if n > 1 {
				what = "followed up " + strconv.Itoa(n) + " times unanswered"
			}
			reasons = append(reasons, "escalated: "+handle(m.Author.Handle)+" "+what+": “"+excerpt(last.Text, 60)+"”")
		}
	case store.ReplyAnswered, store.ReplyPrivate:
		// Answered: the clock stopped. The post stays visible, low. The
		// target stays on the score: the history measures the answer
		// against it.
		p *= 0.3
		sc.Target = s.rules(m.Brand).target(m.Source, m.Kind)
	default:
		p = 0 // resolved, or no reply needed
	}
	sc.Priority = round3(min(1, p))
	sc.Reasons = reasons
	return sc
}

// settledState is the reply state people settled: an agent's handling, or
// the brand's answer. Empty when neither: the scorer decides.
func (s *ComposedScorer) settledState(m *store.Mention, c *conversation, reasons []string) (store.ReplyState, []string) {
	switch {
	case m.Handling != "":
		who := m.HandledBy
		if who == "" {
			who = "an agent"
		}
		var what string
		switch m.Handling {
		case store.ReplyPrivate:
			what = "moved to a private channel"
		case store.ReplyNotNeeded:
			what = "marked as needing no reply"
		default:
			what = "marked " + string(m.Handling)
		}
		return m.Handling, append(reasons, what+" by "+who)
	case c.answered:
		r := "answered by " + handle(c.by)
		if created := createdAt(m); !created.IsZero() && !c.at.Before(created) {
			r += " after " + fmtDur(c.at.Sub(created))
		}
		reasons = append(reasons, r)
		if c.private {
			return store.ReplyPrivate, append(reasons, "moved to a private channel by the brand's answer")
		}
		return store.ReplyAnswered, reasons
	}
	return "", reasons
}

// clock runs the unanswered clock of an open post: its target, how far
// past it the post is (rounded up to the minute, so it is non-zero as soon
// as the target has passed, and a sweep re-saves at most once a minute),
// and the reason.
func (s *ComposedScorer) clock(m *store.Mention, now time.Time, reasons []string) (target, over time.Duration, recheck time.Time, _ []string) {
	created := createdAt(m)
	if created.IsZero() {
		return 0, 0, now.Add(noClockRecheck), reasons
	}
	if !m.SeenAt.IsZero() && m.SeenAt.Sub(created) > maxClockBacklog {
		return 0, 0, now.Add(noClockRecheck), append(reasons, "posted "+fmtDur(m.SeenAt.Sub(created))+" before Pantau found it: no response clock")
	}
	r := s.rules(m.Brand)
	target = r.target(m.Source, m.Kind)
	of := ""
	if !r.sched.always {
		of = " of business hours"
	}
	elapsed := r.sched.working(created, now)
	if elapsed <= target {
		// Nothing changes until the deadline passes.
		due := r.sched.deadline(created, target)
		return target, 0, due, append(reasons, "reply due "+due.In(r.sched.loc).Format("2 Jan 15:04 MST")+", target "+fmtDur(target)+of)
	}
	over = (elapsed - target + time.Minute - 1).Truncate(time.Minute)
	return target, over, now.Add(overdueRecheck(target, over)), append(reasons, "unanswered "+fmtDur(target+over)+of+", target "+fmtDur(target))
}

// noClockRecheck is how often a score with no response clock is looked at
// again by the sweep (new data rescores it at once anyway).
const noClockRecheck = 24 * time.Hour

// overdueRecheck is how long an overdue score stands before the sweep
// scores it again: every minute while its priority still climbs (up to
// three times the target), then a twentieth of the time it has waited, at
// most 30 minutes. Rescoring every overdue mention every minute made the
// sweep's cost grow with the whole week's backlog (issue 8's soak), while
// the dashboard runs its own live clock.
func overdueRecheck(target, over time.Duration) time.Duration {
	if over < 3*target {
		return time.Minute
	}
	return min(max((target+over)/20, time.Minute), 30*time.Minute)
}

func createdAt(m *store.Mention) time.Time {
	if !m.CreatedAt.IsZero() {
		return m.CreatedAt
	}
	return m.SeenAt
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// logit is the inverse of logistic, clamped so a model's 0 or 1 stays
// finite.
func logit(p float64) float64 {
	p = min(max(p, 1e-6), 1-1e-6)
	return math.Log(p / (1 - p))
}
