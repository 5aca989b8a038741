package alerting

import (
	"slices"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

// The history counts the complaints the queue treats as complaints.
func TestComplaintThresholdMatchesStore(t *testing.T) {
	if complaintMin != store.ComplaintThreshold {
		t.Fatalf("scorer complaint threshold %v, store's %v: history and queue would disagree", complaintMin, store.ComplaintThreshold)
	}
}

// Complaints carry their topics; other posts and the brand's replies none.
func TestScoreTopicsOnComplaintsOnly(t *testing.T) {
	s := newScorer(t, ScoringConfig{})
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	got := s.Score(Input{Mention: post("1", "budi", "udh 3 hari paket blm nyampe, kecewa bgt min", 0), Now: t0})
	if got.Complaint < complaintMin || !slices.Equal(got.Topics, []string{"delivery"}) {
		t.Errorf("complaint %v topics %v, want a complaint about delivery", got.Complaint, got.Topics)
	}
	got = s.Score(Input{Mention: post("2", "budi", "makasih paketnya udah sampai, mantap!", 0), Now: t0})
	if got.Complaint >= complaintMin || got.Topics != nil {
		t.Errorf("praise: complaint %v topics %v, want no topics", got.Complaint, got.Topics)
	}
	brand := reply("r", "acme", "Mohon maaf paketnya telat kak, kami cek ke kurir", "mastodon:1", 10*time.Minute, true)
	if got = s.Score(Input{Mention: brand, Now: t0}); got.Topics != nil {
		t.Errorf("brand reply topics %v, want none", got.Topics)
	}
}
