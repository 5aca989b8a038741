package alerting

import (
	"fmt"
	"testing"

	"github.com/pantau/pantau/alerting/textmodel"
)

// TestTextModelAdapter checks the copy from the trained model's analysis,
// not the model's numbers (those are its own package's to test).
func TestTextModelAdapter(t *testing.T) {
	m := textmodel.Default()
	an := TextModel(m)
	for _, text := range []string{
		"udh 3 hari paket blm nyampe, kecewa bgt min",
		"refund gak cair2, saya laporkan ke YLKI dan OJK, biar viral",
		"min?? kok gak dibales sih",
		"Mohon maaf kak 🙏 Boleh DM nomor resinya?",
		"Le service est nul",
	} {
		want, got := m.Analyze(text, ""), an.Analyze(text, "")
		if fmt.Sprint(got) != fmt.Sprint(Analysis{Lang: string(want.Lang), Scored: want.Scored, Complaint: want.Complaint,
			Severity: want.Severity, Sentiment: want.Sentiment, Arousal: want.Arousal, Threats: want.Threats,
			FollowUp: want.FollowUp, Private: want.Private, Evidence: want.Evidence}) {
			t.Errorf("%q: adapter gave %+v, model %+v", text, got, want)
		}
	}
	s, err := NewScorer(ScoringConfig{}, an, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != ComposedScorerName+"+"+TextModelName {
		t.Errorf("Name = %q", s.Name())
	}
}
