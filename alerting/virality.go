package alerting

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pantau/pantau/store"
)

// Virality is the risk (0..1) that a post blows up. Research on online
// firestorms finds that arousal and the author's network drive spread, and
// that an empathetic brand reply moving the conversation to a private
// channel damps it. The risk is a noisy OR of independent signals, so each
// signal can only add risk and the total stays below 1:
//
//   - engagement velocity: repost-equivalents per hour over the latest
//     interval between samples;
//   - acceleration: the latest interval's pace against the one before;
//   - the author's reach (followers, log-scaled);
//   - high-arousal language and threats to take it to an audience or an
//     authority (from the text analysis);
//   - spread: the same complaint on several sources or by several people
//     (its case).
//
// Media is not a signal: posts with images or video spread further, but
// store.Mention does not say whether a post carries media, so the risk
// leaves it out rather than guess.

// Engagement weights, in repost-equivalents: reposts and quotes carry the
// post to new audiences; replies keep it in feeds; likes count least (and
// are all that Reddit, Hacker News or YouTube give besides comments).
const (
	wSpread = 1.0
	wReply  = 0.3
	wLike   = 0.05
)

const (
	// minInterval floors the time between samples: one repost a minute
	// after the last poll is not a rate of 60 an hour.
	minInterval = 10 * time.Minute
	// paceScale is the engagement per hour at which the velocity risk
	// reaches 63%.
	paceScale = 30.0
	// minAccelPace is the pace (per hour) below which speeding up is
	// noise: 1 then 3 reposts is not a firestorm.
	minAccelPace = 10.0
)

// counts is one sample's engagement; known says which counts the source
// gave (nil counts are unknown, not zero).
type counts struct {
	at                      time.Time
	spread, replies, likes  int64
	kSpread, kReply, kLikes bool
}

func countsOf(s *store.Sample) counts {
	c := counts{at: s.At}
	if s.Reposts != nil || s.Quotes != nil {
		c.kSpread = true
		if s.Reposts != nil {
			c.spread += *s.Reposts
		}
		if s.Quotes != nil {
			c.spread += *s.Quotes
		}
	}
	if s.Replies != nil {
		c.replies, c.kReply = *s.Replies, true
	}
	if s.Likes != nil {
		c.likes, c.kLikes = *s.Likes, true
	}
	return c
}

// interval is the engagement gained between two samples.
type interval struct {
	spread, replies, likes int64
	span                   time.Duration
	pace                   float64 // repost-equivalents per hour
}

func between(a, b counts) interval {
	iv := interval{span: b.at.Sub(a.at)}
	// Counts can fall (deleted reposts, an API's eventual consistency):
	// that is not negative engagement.
	if a.kSpread && b.kSpread {
		iv.spread = max(b.spread-a.spread, 0)
	}
	if a.kReply && b.kReply {
		iv.replies = max(b.replies-a.replies, 0)
	}
	if a.kLikes && b.kLikes {
		iv.likes = max(b.likes-a.likes, 0)
	}
	units := wSpread*float64(iv.spread) + wReply*float64(iv.replies) + wLike*float64(iv.likes)
	iv.pace = units / max(iv.span, minInterval).Hours()
	return iv
}

// lastIntervals returns the latest interval between samples and the one
// before it (ok2 false when there is none). A post has no engagement when
// it is created: that is the first point when the samples start later.
func lastIntervals(samples []store.Sample, created time.Time) (last, prev interval, ok, ok2 bool) {
	pts := make([]counts, 0, len(samples)+1)
	for i := range samples {
		pts = append(pts, countsOf(&samples[i]))
	}
	slices.SortStableFunc(pts, func(a, b counts) int { return a.at.Compare(b.at) })
	// One point per instant: the last one read wins.
	out := pts[:0]
	for _, p := range pts {
		if n := len(out); n > 0 && out[n-1].at.Equal(p.at) {
			out[n-1] = p
			continue
		}
		out = append(out, p)
	}
	pts = out
	if len(pts) > 0 && !created.IsZero() && created.Before(pts[0].at) {
		zero := counts{at: created, kSpread: pts[0].kSpread, kReply: pts[0].kReply, kLikes: pts[0].kLikes}
		pts = slices.Insert(pts, 0, zero)
	}
	n := len(pts)
	if n < 2 {
		return
	}
	last, ok = between(pts[n-2], pts[n-1]), true
	if n >= 3 {
		prev, ok2 = between(pts[n-3], pts[n-2]), true
	}
	return
}

// followers is the author's audience: the mention's own count, else the
// latest sample's.
func followers(m *store.Mention, samples []store.Sample) int64 {
	if m.Author.Followers != nil {
		return *m.Author.Followers
	}
	var n int64
	var at time.Time
	for i := range samples {
		if f := samples[i].Followers; f != nil && !samples[i].At.Before(at) {
			n, at = *f, samples[i].At
		}
	}
	return n
}

// viralityOf computes the risk and appends its reasons. The text's threats
// count here but are named in the text's evidence; private is true when a
// brand answer moved the conversation to a private channel.
func viralityOf(m *store.Mention, a *Analysis, samples []store.Sample, c CaseInfo, private bool, reasons []string) (float64, []string) {
	var v float64
	add := func(r float64) { v = 1 - (1-v)*(1-r) }

	if last, prev, ok, ok2 := lastIntervals(samples, m.CreatedAt); ok && last.pace > 0 {
		r := min(0.8, 1-math.Exp(-last.pace/paceScale))
		reasons = append(reasons, describeInterval(last))
		if ok2 {
			noun := "engagement"
			if last.spread > 0 {
				noun = "reposts"
			}
			switch ratio := last.pace / max(prev.pace, 2); {
			case ratio >= 1.5 && last.pace >= minAccelPace:
				// Acceleration: the pace itself is growing, the shape of a
				// post that is being discovered.
				add(min(0.35, 0.12*math.Log2(ratio)))
				reasons = append(reasons, noun+" accelerating: "+fmtRatio(ratio)+" the previous pace")
			case prev.pace >= minAccelPace && last.pace <= 0.5*prev.pace:
				r *= 0.6
				reasons = append(reasons, noun+" slowing: "+fmtRatio(last.pace/prev.pace)+" the previous pace")
			}
		}
		add(r)
	}
	if f := followers(m, samples); f >= 1000 {
		add(min(0.7, 0.1+0.2*math.Log10(float64(f)/1000)))
		reasons = append(reasons, "author "+fmtCount(f)+" followers")
	}
	if a.Arousal >= 0.3 {
		add(0.35 * a.Arousal)
		reasons = append(reasons, "high-arousal language")
	}
	if n := len(a.Threats); n > 0 {
		add(min(0.45, 0.3+0.075*float64(n-1)))
	}
	if c.Sources >= 2 {
		add(min(0.45, 0.2*float64(c.Sources-1)))
		reasons = append(reasons, "same complaint on "+strconv.Itoa(c.Sources)+" sources")
	}
	if c.Authors >= 2 {
		add(min(0.35, 0.12*float64(c.Authors-1)))
		reasons = append(reasons, strconv.Itoa(c.Authors)+" people posted the same complaint")
	}
	if private && v > 0 {
		v *= 0.5
		reasons = append(reasons, "brand moved it to a private channel: virality damped")
	}
	return round3(v), reasons
}

// describeInterval writes "12 reposts, 3 replies, 40 likes in 10m".
func describeInterval(iv interval) string {
	var parts []string
	for _, x := range []struct {
		n    int64
		noun string
	}{{iv.spread, "repost"}, {iv.replies, "reply"}, {iv.likes, "like"}} {
		if x.n == 0 {
			continue
		}
		noun := x.noun + plural(int(x.n))
		if x.noun == "reply" && x.n != 1 {
			noun = "replies"
		}
		parts = append(parts, strconv.FormatInt(x.n, 10)+" "+noun)
	}
	return strings.Join(parts, ", ") + " in " + fmtDur(iv.span)
}

// fmtRatio writes 4.2 as "4×" and 0.25 as "0.3×".
func fmtRatio(r float64) string {
	if r >= 2 {
		return strconv.FormatFloat(math.Round(r), 'f', 0, 64) + "×"
	}
	return strconv.FormatFloat(r, 'f', 1, 64) + "×"
}
