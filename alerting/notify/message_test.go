package notify

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/pantau/pantau/store"
)

func TestRenderMasksEveryText(t *testing.T) {
	c := newFakeClock()
	m := testMessage(c, Trigger)
	raw, _ := json.Marshal(m)
	if strings.Contains(string(raw), phone) {
		t.Fatalf("unmasked personal data in the message:\n%s", raw)
	}
	for name, s := range map[string]string{"summary": m.Summary, "author": m.Author, "excerpt": m.Excerpt, "reason": m.Reasons[3]} {
		if !strings.Contains(s, maskedPh) {
			t.Errorf("%s not masked: %q", name, s)
		}
	}
	if m.MentionURL != "https://social.example/@budi/1" || m.Severity != "critical" || m.Version != MessageVersion {
		t.Errorf("message %+v", m)
	}
	if m.DashboardURL != "https://pantau.example.com/?alert="+url.QueryEscape(m.AlertID) {
		t.Errorf("dashboard url %s", m.DashboardURL)
	}
	u, err := url.Parse(m.AckURL)
	if err != nil || u.Path != "/ack" || u.Query().Get("alert") != m.AlertID {
		t.Fatalf("ack url %s", m.AckURL)
	}
	exp := u.Query().Get("exp")
	if err := testSigner(c).Verify(m.AlertID, mustInt(t, exp), u.Query().Get("sig")); err != nil {
		t.Errorf("ack link does not verify: %v", err)
	}
	if ack := testMessage(c, Acknowledge); ack.AckURL != "" || ack.By != "rina" || !strings.HasPrefix(ack.Title, "Acknowledged by rina") {
		t.Errorf("acknowledge message %+v", ack)
	}
}

func TestRenderMasksBeforeCutting(t *testing.T) {
	// The phone number straddles the excerpt's cut: masking first means
	// no half of it survives.
	c := newFakeClock()
	m := testMention()
	m.Text = strings.Repeat("a", maxExcerpt-6) + " " + phone
	msg := (&Renderer{Mask: maskPhone, Now: c.Now}).Render(testAlert(), Trigger, m)
	if strings.Contains(msg.Excerpt, "0812") {
		t.Fatalf("half a phone number leaked: %q", msg.Excerpt[len(msg.Excerpt)-20:])
	}
}

func TestRenderDropsHostileURLsAndControls(t *testing.T) {
	c := newFakeClock()
	m := testMention()
	a := testAlert()
	a.Summary = "line1\nline2\u202e\u200bgnp.exe\x00"
	for _, bad := range []string{"javascript:alert(1)", "data:text/html,x", "ftp://x", "https://", "https://x.example/a b", "//x.example"} {
		m.URL = bad
		msg := (&Renderer{Now: c.Now}).Render(a, Trigger, m)
		if msg.MentionURL != "" {
			t.Errorf("%q kept as %q", bad, msg.MentionURL)
		}
		if msg.Summary != "line1 line2 gnp.exe" {
			t.Errorf("summary %q", msg.Summary)
		}
	}
	// No public URL: no dashboard or ack link, even with a signer.
	msg := (&Renderer{Signer: testSigner(c), Now: c.Now}).Render(a, Trigger, nil)
	if msg.DashboardURL != "" || msg.AckURL != "" || msg.Author != "" {
		t.Errorf("links without a public url: %+v", msg)
	}
	// A nil renderer still renders.
	var r *Renderer
	if got := r.Render(a, Resolve, nil); got.Title == "" || got.AckURL != "" {
		t.Errorf("nil renderer: %+v", got)
	}
}

func TestSeverity(t *testing.T) {
	for p, want := range map[float64]string{1: "critical", 0.8: "critical", 0.79: "error", 0.6: "error", 0.5: "warning", 0.39: "info", 0: "info"} {
		if got := Severity(p); got != want {
			t.Errorf("Severity(%v) = %s, want %s", p, got, want)
		}
	}
}

func TestRouteMatch(t *testing.T) {
	a := store.Alert{Rule: "viral", Brand: "acme", Priority: 0.7}
	cases := map[string]struct {
		r    Route
		act  Action
		want bool
	}{
		"zero route takes triggers":   {Route{}, Trigger, true},
		"zero route takes resolves":   {Route{}, Resolve, true},
		"zero route skips digests":    {Route{}, Digest, false},
		"digest opt-in":               {Route{Actions: []Action{Digest}}, Digest, true},
		"rule filter":                 {Route{Rules: []string{"ghosted"}}, Trigger, false},
		"brand filter":                {Route{Brands: []string{"acme"}}, Trigger, true},
		"priority floor":              {Route{MinPriority: 0.8}, Trigger, false},
		"actions exclude acknowledge": {Route{Actions: []Action{Trigger, Resolve}}, Acknowledge, false},
	}
	for name, tc := range cases {
		if got := tc.r.Match(a, tc.act); got != tc.want {
			t.Errorf("%s: %v", name, got)
		}
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
