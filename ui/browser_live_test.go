package ui

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/pantau/pantau/store"
)

const hostile = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`

func hostileMention(id, prefix string) store.Mention {
	m := mention(id, prefix+hostile)
	m.Title = hostile
	m.Lang = `"><img src=x onerror=window.__pwned=5>`
	m.URL = "javascript:window.__pwned=4"
	m.Brand = hostile
	m.Author = store.Author{Handle: hostile, DisplayName: hostile, ProfileURL: "javascript:window.__pwned=3"}
	return m
}

// TestBrowserRendersHostileTextAsText puts markup, script and javascript:
// URLs everywhere a mention, an alert, a source and a note can carry text,
// through the API snapshot and through the websocket, on every screen
// that shows them: nothing runs, nothing becomes an element, no link
// leads anywhere but http(s).
func TestBrowserRendersHostileTextAsText(t *testing.T) {
	b := newBrowser(t)
	st := newTestStore(t)
	ingest(t, st, hostileMention("x1", "Pertama "))
	sc := score(0.9, 3, hostile)
	sc.Reasons, sc.Case = []string{hostile}, hostile
	saveScore(t, st, "rss:x1", sc)
	now := time.Now()
	storeAlert(t, st, store.Alert{ID: "x|" + hostile, Rule: hostile, MentionKey: "rss:x1", Source: hostile, Brand: hostile, State: store.AlertOpen,
		Summary: hostile, Reasons: []string{hostile}, OpenedAt: now, UpdatedAt: now})
	if _, err := st.RecordSourceError(hostile, "rss", now, hostile, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ts, _ := startDashboard(t, st, nil)
	b.open(t, ts.URL, "#/queue")
	b.waitJS(t, "the first hostile mention", has("queue", "Pertama "+hostile))

	// ...and through the websocket after it.
	ingest(t, st, hostileMention("x2", "Kedua "))
	saveScore(t, st, "rss:x2", score(0.95, 4, "id"))
	b.waitJS(t, "the second hostile mention", has("queue", "Kedua "+hostile))
	// One more round trip, so that an injected handler would have had its
	// turn to run before the checks.
	ingest(t, st, mention("x3", "sentinel"))
	b.waitJS(t, "the sentinel", has("queue", "sentinel"))

	texts := evalJS[[]string](t, b, `[...document.querySelectorAll('#queue .text')].map(e => e.textContent)`)
	want := []string{"Kedua " + hostile, "Pertama " + hostile, "sentinel"}
	if strings.Join(texts, "\n") != strings.Join(want, "\n") {
		t.Errorf("texts shown %q, want %q", texts, want)
	}
	safe := map[string]string{
		"nothing ran":           `window.__pwned === undefined`,
		"no injected element":   `[...document.querySelectorAll('img')].every(i => i.getAttribute('src') === 'assets/favicon.svg') && [...document.querySelectorAll('script')].every(s => s.getAttribute('src') === 'assets/app.js')`,
		"only http(s) links":    `[...document.querySelectorAll('a[href]')].every(a => /^https?:/.test(a.href))`,
		"no bad lang attribute": `[...document.querySelectorAll('[lang]')].every(e => /^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(e.getAttribute('lang')))`,
	}
	checkSafe := func(where string) {
		t.Helper()
		for name, expr := range safe {
			if !evalJS[bool](t, b, expr) {
				t.Errorf("%s: %s: false: %s", where, name, expr)
			}
		}
	}
	checkSafe("queue")
	if got := evalJS[int](t, b, `[...document.querySelectorAll('#queue .author')].filter(a => a.textContent === `+js(hostile+" @"+hostile)+` && a.tagName === 'SPAN').length`); got != 2 {
		t.Errorf("%d hostile authors shown as plain text, want 2", got)
	}

	// The detail: thread, reasons, case link (kept inside the page), note.
	b.do(t, chromedp.Navigate(ts.URL+"/#/mention/rss%3Ax1"))
	b.waitJS(t, "the hostile detail", `document.getElementById('detail').dataset.key === 'rss:x1'`)
	b.do(t, chromedp.SendKeys(chromedp.ID("detail-note"), hostile), chromedp.Click(chromedp.CSS("button.act-assign")))
	b.waitJS(t, "the hostile note", `document.querySelectorAll('#detail .note-item').length === 1`)
	if !evalJS[bool](t, b, `document.querySelector('#detail .reasons li').textContent === `+js(hostile)+` && document.querySelector('#detail .note-item .text').textContent === `+js(hostile)) {
		t.Error("reasons or note not shown as text")
	}
	checkSafe("detail")
	if !evalJS[bool](t, b, `document.querySelector('#detail a.case').getAttribute('href').startsWith('#/mention/')`) {
		t.Error("the case link leaves the page")
	}

	b.do(t, chromedp.Navigate(ts.URL+"/#/alerts"))
	b.waitJS(t, "the hostile alert", `document.querySelectorAll('#alerts li[data-id]').length === 1`)
	if !evalJS[bool](t, b, has("alerts", hostile)) {
		t.Error("alert not shown as text")
	}
	// Its timeline, from the server, carries the hostile summary too.
	b.do(t, chromedp.Click(chromedp.CSS("#alerts .timeline-box > summary")))
	b.waitJS(t, "the hostile timeline", `document.querySelector('#alerts ol.timeline').dataset.loaded === '1'`)
	if !evalJS[bool](t, b, `document.querySelector('#alerts li[data-kind=opened]').textContent.includes(`+js(hostile)+`)`) {
		t.Error("the timeline's opening not shown as text")
	}
	checkSafe("alerts")
	b.do(t, chromedp.Navigate(ts.URL+"/#/sources"))
	b.waitJS(t, "the hostile source", has("sources", hostile))
	checkSafe("sources")
	b.do(t, chromedp.Navigate(ts.URL+"/#/audit"))
	b.waitJS(t, "the hostile audit entry", has("audit-rows", hostile))
	checkSafe("audit")
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
	ts := startServer(t, st, Config{}, nil, demoOptions(st)...)
	addr := ts.Host
	b.open(t, ts.URL, "#/queue")
	b.waitJS(t, "the first mention", has("queue", first.Text))
	b.do(t, chromedp.Evaluate[chromedp.Void](`window.__sameDocument = 42`))

	ts.stop()
	b.waitJS(t, "the page to notice", `document.getElementById('conn').dataset.state !== 'live'`)

	// Meanwhile: a new mention, a score for the old one, a new alert.
	away := mention("r2", "Sent while the dashboard was away: refund belum masuk")
	ingest(t, st, away)
	saveScore(t, st, "rss:r1", score(0.66, 2, "id"))
	now := time.Now()
	storeAlert(t, st, store.Alert{ID: "unanswered|rss:r2", Rule: "unanswered", MentionKey: "rss:r2", Source: "news",
		State: store.AlertOpen, Summary: "Refund complaint unanswered for 1h", OpenedAt: now, UpdatedAt: now})

	serveOn(t, relisten(t, addr), st, Config{}, nil, demoOptions(st)...)
	b.waitJS(t, "the mention sent while away", has("queue", away.Text))
	b.waitJS(t, "the score sent while away", has("queue", "0.66"))
	b.waitJS(t, "live again", `document.getElementById('conn').dataset.state === 'live'`)
	b.do(t, chromedp.Navigate(ts.URL+"/#/alerts"))
	b.waitJS(t, "the alert sent while away", has("alerts", "Refund complaint unanswered for 1h"))
	if !evalJS[bool](t, b, `window.__sameDocument === 42`) {
		t.Error("the page was reloaded; it should have resumed over the websocket")
	}
	if n := evalJS[int](t, b, `document.querySelectorAll('#queue > li').length`); n != 2 {
		t.Errorf("%d queue items, want 2 (no duplicates)", n)
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
	ts := startServer(t, old, Config{}, nil, demoOptions(old)...)
	addr := ts.Host
	b.open(t, ts.URL, "#/queue")
	b.waitJS(t, "the old mentions", `document.querySelectorAll('#queue > li').length === 3`)
	ts.stop()

	replaced := newTestStore(t)
	ingest(t, replaced, mention("new-1", "From the restored store")) // 2 events
	serveOn(t, relisten(t, addr), replaced, Config{}, nil, demoOptions(replaced)...)
	b.waitJS(t, "the restored store's state", has("queue", "From the restored store")+
		` && document.querySelectorAll('#queue > li').length === 1`)
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

// spyOnSignals replaces the browser's Notification and watches WebAudio
// before the page's own scripts run, recording what the page asks of them.
const spyOnSignals = `
window.__signals = {permission: 0, notes: [], beeps: 0};
class FakeNotification {
  static permission = 'default';
  static async requestPermission() { window.__signals.permission++; FakeNotification.permission = 'granted'; return 'granted'; }
  constructor(title, opts) { window.__signals.notes.push({title, body: (opts || {}).body || ''}); }
  addEventListener() {}
}
window.Notification = FakeNotification;
const osc = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () { window.__signals.beeps++; return osc.call(this); };
`

// TestBrowserCriticalSignalIsOptIn: nothing is asked and nothing sounds
// until the agent clicks the switch; after it, a critical item that
// enters the queue beeps (WebAudio, no sound file) and shows a desktop
// notification with the post's text; an ordinary one does neither.
func TestBrowserCriticalSignalIsOptIn(t *testing.T) {
	b := newBrowser(t)
	_, err := chromedp.Run(b.ctx, chromedp.Action[page.AddScriptToEvaluateOnNewDocumentResult](func(ctx context.Context, tg *chromedp.Target) (page.AddScriptToEvaluateOnNewDocumentResult, error) {
		return cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: spyOnSignals})
	}))
	if err != nil {
		t.Fatal(err)
	}
	st := newTestStore(t)
	ts, _ := startDashboard(t, st, nil)
	b.open(t, ts.URL, "#/queue")

	critical := func(id, text string) {
		ingest(t, st, mention(id, text))
		saveScore(t, st, "rss:"+id, score(0.95, 4, "id"))
		b.waitJS(t, "the critical item", `document.body.dataset.lastCritical === `+js("rss:"+id))
	}
	critical("c1", "Saldo hilang 5 juta, CS tidak respon. Saya lapor polisi")
	if got := evalJS[string](t, b, `JSON.stringify(window.__signals)`); got != `{"permission":0,"notes":[],"beeps":0}` {
		t.Errorf("before the click: %s", got)
	}

	b.do(t, chromedp.Click(chromedp.ID("queue-signal")))
	b.waitJS(t, "the switch on", `document.getElementById('queue-signal').getAttribute('aria-pressed') === 'true'`)
	if n := evalJS[int](t, b, `window.__signals.permission`); n != 1 {
		t.Errorf("permission asked %d times after the click, want 1", n)
	}
	ingest(t, st, mention("c2", "Kapan promo balik?"))
	saveScore(t, st, "rss:c2", score(0.2, 1, "id"))
	critical("c3", "Akun saya dibobol, saldo terkuras")
	b.waitJS(t, "the notification", `window.__signals.notes.length === 1`)
	if got := evalJS[string](t, b, `JSON.stringify(window.__signals)`); got != `{"permission":1,"notes":[{"title":"Critical: User c3","body":"Akun saya dibobol, saldo terkuras"}],"beeps":1}` {
		t.Errorf("after the click: %s", got)
	}
	b.checkProblems(t, nil)
}
