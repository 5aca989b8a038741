package alerting

// Analysis is what a text analyzer reads from one post. It has the same
// fields as textmodel.Analysis, the trained bilingual model, so that model
// plugs in behind TextAnalyzer with a field-by-field copy.
type Analysis struct {
	// Lang is "en", "id" or "other".
	Lang string
	// Scored is false for text in a language the analyzer does not know;
	// the numbers are then zero and mean nothing.
	Scored bool
	// Complaint is the probability (0..1) that the text complains.
	Complaint float64
	// Severity is 0 (no complaint) or 1..4: no explicit reproach,
	// disapproval, accusation, blame.
	Severity int
	// Sentiment runs from -1 to +1.
	Sentiment float64
	// Arousal (0..1) is how agitated the text is: anger and calls to
	// others are high, sadness is low. Agitated posts spread further.
	Arousal float64
	// Threats are the words that threaten to take the matter to an
	// audience or an authority: lawyers, police, YLKI, BPKN, OJK, the
	// press, "viral", "spill", boycotts.
	Threats []string
	// FollowUp is true when the text nudges an earlier post that got no
	// answer ("still no answer", "min??", "kok gak dibales").
	FollowUp bool
	// Private is true when the text moves the conversation to a private
	// channel ("DM kami ya", "please email us"). It matters for the
	// brand's own replies.
	Private bool
	// Evidence says, in plain language, what in the text produced the
	// numbers ("words: 'kecewa'", "phrases: 'udh 3 hari'").
	Evidence []string
}

// TextAnalyzer reads one post's text. langHint is the platform's language
// tag when it gives one. Implementations must be safe for concurrent use.
//
// TextScorer (hand-written word lists) implements it; so will the trained
// model in alerting/textmodel, through an adapter of the same shape.
type TextAnalyzer interface {
	Analyze(text, langHint string) Analysis
}
