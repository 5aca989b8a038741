package ui

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pantau/pantau/store"
)

// TestBrowserScreenshots renders each screen over realistic demo data into
// docs/screenshots/<screen>.png when PANTAU_SCREENSHOTS=1. (The login and
// history screenshots come from their own tests, with the same switch.)
func TestBrowserScreenshots(t *testing.T) {
	if os.Getenv("PANTAU_SCREENSHOTS") != "1" {
		t.Skip("set PANTAU_SCREENSHOTS=1 to update docs/screenshots/")
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "demo.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seedDemo(t, st)
	ts, _ := startDashboard(t, st, map[string]string{"adi": "admin"})
	b := newBrowser(t)
	b.login(t, ts.URL, "adi")
	b.waitLive(t)
	b.do(t, chromedp.Navigate(ts.URL+"/#/queue"))
	b.waitJS(t, "the demo queue", `document.querySelectorAll('#queue > li').length === 5`)
	b.key(t, "j")
	b.screenshot(t, "queue")

	// An agent's action with a note, for the mention and audit screens.
	b.do(t, chromedp.Navigate(ts.URL+"/#/mention/"+"appstore%3Ar-88213"))
	b.waitJS(t, "the demo mention", `document.getElementById('detail').dataset.key === 'appstore:r-88213'`)
	b.do(t, chromedp.SendKeys(chromedp.ID("detail-note"), "Called the customer back, OTP issue escalated to the app team"), chromedp.Click(chromedp.CSS("button.act-assign")))
	b.waitJS(t, "the note", `document.querySelectorAll('#detail .note-item').length === 1`)
	b.screenshot(t, "mention")

	b.do(t, chromedp.Navigate(ts.URL+"/#/alerts"))
	b.waitJS(t, "the demo alerts", `document.querySelectorAll('#alerts li[data-id]').length === 2 && document.querySelector('#oncall dl') !== null`)
	b.screenshot(t, "alerts")
	b.do(t, chromedp.Navigate(ts.URL+"/#/sources"))
	b.waitJS(t, "the demo sources", `document.querySelectorAll('#sources li').length >= 5 && document.querySelector('#config ul') !== null`)
	b.screenshot(t, "sources")
	b.do(t, chromedp.Navigate(ts.URL+"/#/audit"))
	b.waitJS(t, "the audit log", `document.querySelectorAll('#audit-rows tr').length >= 1`)
	b.screenshot(t, "audit")
	b.checkProblems(t, httpErrors(401))
}

func seedDemo(t *testing.T, st *store.Store) {
	t.Helper()
	now := time.Now()
	n := func(v int64) *int64 { return &v }
	rating := 1
	type demo struct {
		source, kind string
		m            store.Mention
		score        *store.Score
	}
	demos := []demo{
		{"app-store", "appstore", store.Mention{NativeID: "r-88213", Title: "Gak bisa login sejak update",
			Text:   "Udh 3 hari gk bisa login, OTP nggak pernah masuk. Kecewa bgt, saldo saya masih di dalam!!",
			Author: store.Author{Handle: "dimas.pratama"}, Rating: &rating, CreatedAt: now.Add(-2*time.Hour - 13*time.Minute)},
			&store.Score{Lang: "id", Scored: true, Complaint: 0.94, Severity: 3, Virality: 0.31, Priority: 0.88,
				Reasons: []string{"'kecewa bgt', 'gk bisa login'", "money at stake: 'saldo'", "unanswered 2h13m, SLA 1h"},
				Target:  time.Hour, Overdue: 73 * time.Minute}},
		{"mastodon-id", "mastodon", store.Mention{NativeID: "109344", URL: "https://mastodon.example/@sinta/109344",
			Text:   "@tokoku pesanan #TK-22817 dibatalin sepihak, refund belum masuk sampai sekarang. Ini gimana sih?",
			Author: store.Author{Handle: "sinta@mastodon.example", DisplayName: "Sinta", Followers: n(48200)}, CreatedAt: now.Add(-47 * time.Minute)},
			&store.Score{Lang: "id", Scored: true, Complaint: 0.89, Severity: 4, Virality: 0.72, Priority: 0.93,
				Reasons: []string{"'dibatalin sepihak', 'refund belum masuk'", "12 reposts in 10 min", "author 48k followers"}}},
		{"bluesky", "bluesky", store.Mention{NativeID: "at://did:plc:q1/app.bsky.feed.post/3k", URL: "https://bsky.example/profile/q1/post/3k",
			Text:   "Honestly the new Tokoku checkout is so much faster. Nice work!",
			Author: store.Author{Handle: "maya.bsky.social", DisplayName: "Maya"}, CreatedAt: now.Add(-25 * time.Minute)},
			&store.Score{Lang: "en", Scored: true, Complaint: 0.04, Virality: 0.08, Priority: 0.05, Reasons: []string{"positive: 'so much faster', 'nice work'"}}},
		{"hn", "hackernews", store.Mention{NativeID: "41877812", URL: "https://news.example/item?id=41877812",
			Text:   "Their status page said all green while the API returned 502 for an hour.",
			Author: store.Author{Handle: "throwaway_ops"}, CreatedAt: now.Add(-12 * time.Minute)},
			&store.Score{Lang: "en", Scored: true, Complaint: 0.71, Severity: 2, Virality: 0.18, Priority: 0.52,
				Reasons: []string{"disapproval: 'all green while'", "outage words: '502'"}}},
		{"reddit", "reddit", store.Mention{NativeID: "t1_kx91", URL: "https://reddit.example/r/indonesia/comments/kx91",
			Text:   "Ada yang tau kenapa promo ongkir Tokoku hari ini nggak muncul di app?",
			Author: store.Author{Handle: "u/ardi_bdg"}, CreatedAt: now.Add(-6 * time.Minute)},
			&store.Score{Lang: "id", Scored: true, Complaint: 0.38, Severity: 1, Virality: 0.05, Priority: 0.3,
				Reasons: []string{"question, mild: 'nggak muncul'"}}},
		{"rss-news", "rss", store.Mention{NativeID: "https://berita.example/2025/tokoku-ekspansi",
			URL: "https://berita.example/2025/tokoku-ekspansi", Title: "Tokoku ekspansi ke 12 kota baru",
			Text: "Perusahaan e-commerce lokal Tokoku mengumumkan ekspansi layanan pengiriman same-day.", Author: store.Author{Handle: "Redaksi Berita"},
			CreatedAt: now.Add(-3 * time.Minute)}, nil},
	}
	for i, d := range demos {
		if _, err := st.Ingest(store.Batch{Source: d.source, Kind: d.kind, At: now.Add(time.Duration(i-len(demos)) * time.Minute), Mentions: []store.Mention{d.m}}); err != nil {
			t.Fatal(err)
		}
		if d.score != nil {
			d.score.Scorer, d.score.At = "demo", now
			if err := st.SaveScores(map[string]store.Score{store.MentionKey(d.kind, d.m.NativeID): *d.score}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The brand answered the Hacker News comment.
	reply := store.Mention{NativeID: "41877990", ByBrand: true, ReplyTo: "hackernews:41877812", Text: "Sorry about that, we have fixed the status checks.",
		Author: store.Author{Handle: "tokoku_eng"}, CreatedAt: now.Add(-4 * time.Minute)}
	if _, err := st.Ingest(store.Batch{Source: "hn", Kind: "hackernews", At: now.Add(-30 * time.Second), Mentions: []store.Mention{reply}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordSourceError("twitter-search", "rss", now.Add(-time.Minute), "HTTP 429 Too Many Requests (Retry-After 900s)", now.Add(14*time.Minute)); err != nil {
		t.Fatal(err)
	}
	alerts := []store.Alert{
		{ID: "viral-complaint|mastodon:109344", Rule: "viral-complaint", MentionKey: "mastodon:109344", Source: "mastodon-id", Brand: "tokoku",
			State: store.AlertOpen, Summary: "Refund complaint spreading fast (48k followers)", Priority: 0.93,
			Reasons: []string{"12 reposts in 10 min", "severity 4: blame"}, OpenedAt: now.Add(-40 * time.Minute)},
		{ID: "unanswered|appstore:r-88213", Rule: "unanswered", MentionKey: "appstore:r-88213", Source: "app-store", Brand: "tokoku",
			State: store.AlertAcknowledged, By: "Sari", Summary: "1-star review unanswered for 2h13m (SLA 1h)", Priority: 0.88,
			Reasons: []string{"unanswered 2h13m, SLA 1h"}, OpenedAt: now.Add(-73 * time.Minute)},
	}
	for _, a := range alerts {
		a.UpdatedAt = a.OpenedAt
		if _, err := st.PutAlert(a); err != nil {
			t.Fatal(err)
		}
	}
}
