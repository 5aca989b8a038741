package alerting

import (
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

// The reply audit runs in the pipeline: a brand reply that exposes the
// customer's phone number in public is audited as a violation and raises
// the reply_pii alert at once; a customer who posts their own number is
// flagged for a move to a private channel; a good reply passes.
func TestPipelineAuditsBrandRepliesAndFlagsPersonalData(t *testing.T) {
	f := newFixture(t,
		RuleConfig{Name: "exposed", Metric: MetricReplyPII, Min: 1},
		RuleConfig{Name: "customer-data", Metric: MetricCustomerPII, Min: 1},
	)
	complaint := store.Mention{NativeID: "c1", Text: "paket saya hilang, kecewa bgt. ini no hp saya 0812-3456-7890 tolong hubungi",
		Author: store.Author{Handle: "rina"}, CreatedAt: t0}
	f.ingest(t, complaint)
	c, _, _ := f.st.Mention("mastodon:c1")
	if c.Score == nil || len(c.Score.PII) != 1 || c.Score.PII[0].Kind != "phone" {
		t.Fatalf("customer's phone not found: %+v", c.Score)
	}
	if !strings.Contains(strings.Join(c.Score.Reasons, "; "), "answer in private") {
		t.Errorf("reasons do not ask for a private channel: %v", c.Score.Reasons)
	}
	if _, ok := f.alert(t, store.AlertID("customer-data", "mastodon:c1")); !ok {
		t.Error("customer_pii rule did not fire")
	}

	f.clock.Advance(20 * time.Minute)
	bad := store.Mention{NativeID: "r1", ByBrand: true, ReplyTo: "mastodon:c1", Author: store.Author{Handle: "kilatcare"},
		CreatedAt: f.clock.Now(), Text: "Halo kak Rina, kami sudah telepon ke 0812-3456-7890 tapi tidak aktif, makanya baca dulu syaratnya"}
	f.ingest(t, bad)
	r, _, _ := f.st.Mention("mastodon:r1")
	if r.Score == nil || r.Score.Audit == nil || r.Score.Audit.Verdict != "violation" || len(r.Score.PII) == 0 {
		t.Fatalf("brand reply exposing a phone number: %+v", r.Score)
	}
	if r.Score.Audit.ResponseTime != 20*time.Minute {
		t.Errorf("response time = %s, want 20m from the customer's post", r.Score.Audit.ResponseTime)
	}
	a, ok := f.alert(t, store.AlertID("exposed", "mastodon:r1"))
	if !ok || a.State != store.AlertOpen {
		t.Fatalf("reply_pii alert = %+v, %v", a, ok)
	}
	if strings.Contains(a.Summary, "3456") || strings.Contains(strings.Join(a.Reasons, " "), "3456") {
		t.Errorf("the alert shows the customer's number: %q %v", a.Summary, a.Reasons)
	}

	good := store.Mention{NativeID: "r2", ByBrand: true, ReplyTo: "mastodon:c1", Author: store.Author{Handle: "kilatcare"},
		CreatedAt: f.clock.Now(), Text: "Mohon maaf atas ketidaknyamanannya, Kak. Kami cek paketnya hari ini, mohon cek DM ya untuk detailnya."}
	f.ingest(t, good)
	g, _, _ := f.st.Mention("mastodon:r2")
	if g.Score == nil || g.Score.Audit == nil || g.Score.Audit.Verdict == "violation" || len(g.Score.PII) != 0 {
		t.Fatalf("good reply: %+v", g.Score)
	}
	if _, ok := f.alert(t, store.AlertID("exposed", "mastodon:r2")); ok {
		t.Error("a reply without personal data raised reply_pii")
	}
}
