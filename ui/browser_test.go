package ui

// These tests drive the real dashboard in a real headless Chromium: the
// embedded page, its script, the API and the websocket together, under the
// real Content-Security-Policy. Without a browser they skip, unless
// PANTAU_REQUIRE_BROWSER=1 (as in CI), where a missing browser fails.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/pantau/pantau/store"
)

const browserTestTimeout = 90 * time.Second

// chromiumPath finds the browser, or skips (fails when it is required).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PANTAU_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("PANTAU_REQUIRE_BROWSER") == "1" {
		t.Fatal("no Chromium found and PANTAU_REQUIRE_BROWSER=1 (apt-get install -y chromium)")
	}
	t.Skip("no Chromium found; set PANTAU_REQUIRE_BROWSER=1 to make this a failure")
	return ""
}

// browser is one headless Chromium with one tab, and what its pages
// complained about (uncaught exceptions, console errors, CSP violations).
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	problems []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromiumPath(t)
	// The deadline bounds the whole test, browser included.
	ctx, cancel := context.WithTimeout(context.Background(), browserTestTimeout)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)

	b := &browser{ctx: tabCtx}
	if err := chromedp.Do(tabCtx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	err := chromedp.Listen(tabCtx, func(ev any) {
		var p string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			p = "exception: " + exceptionText(ev.ExceptionDetails)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				p = "console.error: " + consoleArgs(ev.Args)
			}
		case *log.EventEntryAdded:
			if ev.Entry != nil && ev.Entry.Level == log.EntryLevelError {
				p = fmt.Sprintf("log (%s): %s", ev.Entry.Source, ev.Entry.Text)
			}
		}
		if p != "" {
			b.mu.Lock()
			b.problems = append(b.problems, p)
			b.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "?"
	}
	s := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		s += " " + d.Exception.Description
	}
	return s
}

func consoleArgs(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		if a.Description != "" {
			parts = append(parts, a.Description)
		} else {
			parts = append(parts, string(a.Value))
		}
	}
	return strings.Join(parts, " ")
}

// checkProblems fails the test for every complaint of the page that allow
// does not excuse.
func (b *browser) checkProblems(t *testing.T, allow func(string) bool) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		if allow == nil || !allow(p) {
			t.Errorf("page problem: %s", p)
		}
	}
}

func (b *browser) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// waitJS waits until the JavaScript expression is truthy.
func (b *browser) waitJS(t *testing.T, what, expr string) {
	t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func evalJS[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// open loads the dashboard and waits for its websocket to be live.
func (b *browser) open(t *testing.T, url string) {
	t.Helper()
	b.do(t, chromedp.Navigate(url+"/"))
	b.waitJS(t, "the live connection", `document.getElementById('conn').dataset.state === 'live'`)
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func feedHas(text string) string {
	return `document.getElementById('feed').textContent.includes(` + js(text) + `)`
}

func TestBrowserShowsMentionArrivingLive(t *testing.T) {
	b := newBrowser(t)
	st := newTestStore(t)
	ts := startServer(t, st, Config{}, nil)
	b.open(t, ts.URL)
	b.waitJS(t, "the empty feed note", `!document.getElementById('feed-empty').hidden`)

	// Arrives after the page loaded: only the websocket can bring it.
	m := mention("live-1", "Paket saya belum datang sudah 5 hari, CS nggak bales. Kecewa bgt min")
	m.Author = store.Author{Handle: "rina_w", DisplayName: "Rina W."}
	ingest(t, st, m)
	b.waitJS(t, "the new mention", feedHas(m.Text))
	if got := evalJS[string](t, b, `document.querySelector('#feed .card .author').textContent`); got != "Rina W. @rina_w" {
		t.Errorf("author shown as %q", got)
	}

	// A score updates the same card in place.
	err := st.SaveScores(map[string]store.Score{"rss:live-1": {
		Scorer: "t", Lang: "id", Scored: true, Complaint: 0.87, Severity: 3, Virality: 0.2, Priority: 0.9,
		Reasons: []string{"'kecewa', 'nggak bales'"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	b.waitJS(t, "the score", feedHas("87%")+` && `+feedHas("'kecewa', 'nggak bales'"))
	if n := evalJS[int](t, b, `document.querySelectorAll('#feed .card').length`); n != 1 {
		t.Errorf("%d cards after the update, want 1", n)
	}

	// And the brand's reply marks it answered.
	reply := mention("live-2", "Halo kak Rina, mohon maaf. Boleh DM nomor pesanannya?")
	reply.ByBrand, reply.ReplyTo = true, "rss:live-1"
	reply.Author.Handle = "tokoku_care"
	reply.CreatedAt = m.CreatedAt.Add(10 * time.Minute)
	ingest(t, st, reply)
	b.waitJS(t, "the answer", feedHas("Answered by @tokoku_care"))
	b.checkProblems(t, nil)
}

const hostile = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`

func hostileMention(id, prefix string) store.Mention {
	m := mention(id, prefix+hostile)
	m.Title = hostile
	m.Lang = `"><img src=x onerror=window.__pwned=5>`
	m.URL = "javascript:window.__pwned=4"
	m.Author = store.Author{Handle: hostile, DisplayName: hostile, ProfileURL: "javascript:window.__pwned=3"}
	return m
}

func TestBrowserRendersHostileTextAsText(t *testing.T) {
	b := newBrowser(t)
	st := newTestStore(t)
	// Through the API snapshot at load...
	ingest(t, st, hostileMention("x1", "Pertama "))
	if err := st.SaveScores(map[string]store.Score{"rss:x1": {Scorer: "t", Lang: hostile, Scored: true, Complaint: 0.9, Reasons: []string{hostile}}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := st.PutAlert(store.Alert{ID: "x|" + hostile, Rule: hostile, MentionKey: "rss:x1", Source: hostile, State: store.AlertOpen,
		Summary: hostile, Reasons: []string{hostile}, OpenedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordSourceError(hostile, "rss", now, hostile, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, st, Config{}, nil)
	b.open(t, ts.URL)
	b.waitJS(t, "the first hostile mention", feedHas("Pertama "+hostile))

	// ...and through the websocket after it.
	ingest(t, st, hostileMention("x2", "Kedua "))
	b.waitJS(t, "the second hostile mention", feedHas("Kedua "+hostile))
	// One more round trip, so that an injected handler would have had its
	// turn to run before the checks.
	ingest(t, st, mention("x3", "sentinel"))
	b.waitJS(t, "the sentinel", feedHas("sentinel"))

	texts := evalJS[[]string](t, b, `[...document.querySelectorAll('#feed .text')].map(e => e.textContent)`)
	want := []string{"sentinel", "Kedua " + hostile, "Pertama " + hostile}
	if strings.Join(texts, "\n") != strings.Join(want, "\n") {
		t.Errorf("texts shown %q, want %q", texts, want)
	}
	checks := map[string]string{
		"nothing ran":               `window.__pwned === undefined`,
		"no injected element":       `[...document.querySelectorAll('img')].every(i => i.getAttribute('src') === 'assets/favicon.svg') && [...document.querySelectorAll('script')].every(s => s.getAttribute('src') === 'assets/app.js')`,
		"only http(s) links":        `[...document.querySelectorAll('a[href]')].every(a => /^https?:/.test(a.href))`,
		"no bad lang attribute":     `[...document.querySelectorAll('[lang]')].every(e => /^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(e.getAttribute('lang')))`,
		"author shown as text":      `[...document.querySelectorAll('#feed .author')].filter(a => a.textContent === ` + js(hostile+" @"+hostile) + `).length === 2`,
		"alert shown as text":       `document.getElementById('alerts').textContent.includes(` + js(hostile) + `)`,
		"source error shown":        `document.getElementById('sources').textContent.includes(` + js(hostile) + `)`,
		"title and reasons as text": `document.querySelectorAll('#feed .title').length === 2 && document.querySelector('#feed .reasons li').textContent === ` + js(hostile),
	}
	for name, expr := range checks {
		if !evalJS[bool](t, b, expr) {
			t.Errorf("%s: false: %s", name, expr)
		}
	}
	b.checkProblems(t, nil)
}

// TestBrowserCatchesUpAfterReconnect stops the server under the page,
// changes the store while the page is disconnected, and starts a new server
// on the same address and store: the page must reconnect by itself with
// since=<last seq> and show everything that happened, without a reload.
func TestBrowserCatchesUpAfterReconnect(t *testing.T) {
	b := newBrowser(t)
	st := newTestStore(t)
	first := mention("r1", "Sebelum putus: aplikasi error waktu checkout")
	ingest(t, st, first)
	ts := startServer(t, st, Config{}, nil)
	addr := ts.Host
	b.open(t, ts.URL)
	b.waitJS(t, "the first mention", feedHas(first.Text))
	b.do(t, chromedp.Evaluate[chromedp.Void](`window.__sameDocument = 42`))

	ts.stop()
	b.waitJS(t, "the page to notice", `document.getElementById('conn').dataset.state !== 'live'`)

	// Meanwhile: a new mention, a score for the old one, a new alert.
	away := mention("r2", "Sent while the dashboard was away: refund belum masuk")
	ingest(t, st, away)
	if err := st.SaveScores(map[string]store.Score{"rss:r1": {Scorer: "t", Lang: "id", Scored: true, Complaint: 0.66, Severity: 2}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := st.PutAlert(store.Alert{ID: "unanswered|rss:r2", Rule: "unanswered", MentionKey: "rss:r2", Source: "news",
		State: store.AlertOpen, Summary: "Refund complaint unanswered for 1h", OpenedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}

	ln := relisten(t, addr)
	serveOn(t, ln, st, Config{}, nil)
	b.waitJS(t, "the mention sent while away", feedHas(away.Text))
	b.waitJS(t, "the score sent while away", feedHas("66%"))
	b.waitJS(t, "the alert sent while away", `document.getElementById('alerts').textContent.includes("Refund complaint unanswered for 1h")`)
	b.waitJS(t, "live again", `document.getElementById('conn').dataset.state === 'live'`)
	if !evalJS[bool](t, b, `window.__sameDocument === 42`) {
		t.Error("the page was reloaded; it should have resumed over the websocket")
	}
	if n := evalJS[int](t, b, `document.querySelectorAll('#feed .card').length`); n != 2 {
		t.Errorf("%d cards, want 2 (no duplicates)", n)
	}
	// While the server was down, the browser logged its failed attempts.
	b.checkProblems(t, func(p string) bool {
		return strings.Contains(p, "(network)") || strings.Contains(p, "WebSocket connection")
	})
}

// TestBrowserStartsOverWithReplacedStore restarts the server on another
// store whose events end before the page's last seq (a restored backup):
// the page must drop what it shows and load the new store's state.
func TestBrowserStartsOverWithReplacedStore(t *testing.T) {
	b := newBrowser(t)
	old := newTestStore(t)
	ingestN(t, old, "old", 3) // 6 events
	ts := startServer(t, old, Config{}, nil)
	addr := ts.Host
	b.open(t, ts.URL)
	b.waitJS(t, "the old mentions", `document.querySelectorAll('#feed .card').length === 3`)
	ts.stop()

	replaced := newTestStore(t)
	ingest(t, replaced, mention("new-1", "From the restored store")) // 2 events
	serveOn(t, relisten(t, addr), replaced, Config{}, nil)
	b.waitJS(t, "the restored store's state", feedHas("From the restored store")+
		` && document.querySelectorAll('#feed .card').length === 1`)
	b.waitJS(t, "live again", `document.getElementById('conn').dataset.state === 'live'`)
	b.checkProblems(t, func(p string) bool {
		return strings.Contains(p, "(network)") || strings.Contains(p, "WebSocket connection")
	})
}

// relisten binds addr again after its server stopped.
func relisten(t *testing.T, addr string) net.Listener {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			t.Fatalf("listen again on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBrowserAlertActions(t *testing.T) {
	b := newBrowser(t)
	st := newTestStore(t)
	ingest(t, st, mention("a1", "Saldo terpotong dua kali, tolong dicek"))
	now := time.Now()
	id := store.AlertID("unanswered", "rss:a1")
	if _, err := st.PutAlert(store.Alert{ID: id, Rule: "unanswered", MentionKey: "rss:a1", Source: "news",
		State: store.AlertOpen, Summary: "Double charge complaint", Priority: 0.8, OpenedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, st, Config{}, nil)
	b.open(t, ts.URL)
	b.waitJS(t, "the alert", `document.querySelector('#alerts .btn.ack') !== null`)

	b.do(t,
		chromedp.SendKeys(chromedp.ID("agent"), "Sari"),
		chromedp.Click(chromedp.CSS("#alerts .btn.ack")),
	)
	b.waitJS(t, "the acknowledgement", `document.querySelector('#alerts .alert.state-ack') !== null`)
	a, _, err := st.Alert(id)
	if err != nil {
		t.Fatal(err)
	}
	if a.State != store.AlertAcknowledged || a.By != "Sari" {
		t.Errorf("stored alert: state %q by %q", a.State, a.By)
	}

	b.do(t, chromedp.Click(chromedp.CSS("#alerts .btn.resolve")))
	b.waitJS(t, "the alert to leave the panel", `document.querySelectorAll('#alerts .alert').length === 0 && !document.getElementById('alerts-empty').hidden`)
	if a, _, _ = st.Alert(id); a.State != store.AlertResolved {
		t.Errorf("stored alert: state %q, want resolved", a.State)
	}
	b.checkProblems(t, nil)
}

// TestBrowserScreenshot renders a realistic dashboard into
// docs/screenshots/dashboard.png when PANTAU_SCREENSHOTS=1.
func TestBrowserScreenshot(t *testing.T) {
	if os.Getenv("PANTAU_SCREENSHOTS") != "1" {
		t.Skip("set PANTAU_SCREENSHOTS=1 to update docs/screenshots/dashboard.png")
	}
	b := newBrowser(t)
	st, err := store.Open(filepath.Join(t.TempDir(), "demo.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seedDemo(t, st)
	ts := startServer(t, st, Config{}, nil)
	b.do(t, chromedp.EmulateViewport(1440, 900))
	b.open(t, ts.URL)
	b.waitJS(t, "the demo data", `document.querySelectorAll('#feed .card').length === 7 && document.querySelectorAll('#alerts .alert').length === 2`)
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dashboard.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	b.checkProblems(t, nil)
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
				Reasons: []string{"'kecewa bgt', 'gk bisa login'", "money at stake: 'saldo'", "unanswered 2h13m, SLA 1h"}}},
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
