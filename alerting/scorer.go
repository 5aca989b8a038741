// Package alerting turns stored mentions into scores, scores into alerts,
// and keeps each alert's state.
//
// The flow: a collector's batch goes through Pipeline.Ingest, which scores
// every mention, stores the batch, and then brings the rest up to date:
// new complaints join their case (cases.go), posts whose thread changed
// are re-scored (a follow-up escalates the author's first post, a brand
// reply answers the conversation), alerts of answered posts resolve, and
// new alerts open where a rule (RuleConfig) is crossed. Pipeline.Sweep
// re-scores open mentions as time passes, because an unanswered complaint
// gets more urgent without any new data.
//
// The scorer is a ComposedScorer (composed.go): a TextAnalyzer reads the
// text (TextScorer, the hand-written word lists, or the trained model in
// alerting/textmodel through TextModel), and the composed scorer adds
// virality (virality.go), the thread (conversation.go), the unanswered
// clock in business hours (hours.go) and the priority, configured by
// ScoringConfig (config.go).
package alerting

import (
	"time"

	"github.com/pantau/pantau/store"
)

// Input is everything a scorer may look at for one mention.
type Input struct {
	Mention store.Mention
	// Samples are the mention's engagement observations, in any order.
	Samples []store.Sample
	// Thread is the mention's thread as store.Thread returns it: the root
	// and every stored descendant, oldest first, possibly including the
	// mention itself. Nil when not known (a mention scored before it is
	// stored).
	Thread []store.Mention
	// Case is the group of near-duplicate complaints the pipeline placed
	// the mention in; zero when it stands alone or is not placed yet.
	Case CaseInfo
	// Now is the scoring time: the unanswered clock runs up to it.
	Now time.Time
}

// Scorer judges one mention. Implementations must be safe for concurrent
// use and must fill Reasons: every number needs its explanation.
//
// ComposedScorer is the implementation; the interface lets tests and other
// scorers stand in for it.
type Scorer interface {
	Score(in Input) store.Score
}
