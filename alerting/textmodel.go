package alerting

import "github.com/pantau/pantau/alerting/textmodel"

// TextModelName names the trained model in Score.Scorer.
const TextModelName = "textmodel"

// TextModel adapts the trained bilingual model (alerting/textmodel) to
// TextAnalyzer:
//
//	scorer, err := alerting.NewScorer(cfg.Scoring, alerting.TextModel(textmodel.Default()), time.Now)
//
// alerting keeps its own Analysis type, so the model can grow fields
// without breaking this package; the copy is a few words per call.
func TextModel(m *textmodel.Model) TextAnalyzer { return textModel{m} }

type textModel struct{ m *textmodel.Model }

func (t textModel) Name() string { return TextModelName }

func (t textModel) Analyze(text, langHint string) Analysis {
	a := t.m.Analyze(text, langHint)
	return Analysis{
		Lang:      string(a.Lang),
		Scored:    a.Scored,
		Complaint: a.Complaint,
		Severity:  a.Severity,
		Sentiment: a.Sentiment,
		Arousal:   a.Arousal,
		Threats:   a.Threats,
		FollowUp:  a.FollowUp,
		Private:   a.Private,
		Evidence:  a.Evidence,
	}
}
