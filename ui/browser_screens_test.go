package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pantau/pantau/store"
)

// login opens the dashboard, logs in through the login form and waits for
// the first screen of the role.
func (b *browser) login(t *testing.T, url, user string) {
	t.Helper()
	b.do(t, chromedp.Navigate(url+"/"))
	b.waitJS(t, "the login form", `!document.getElementById('screen-login').hidden`)
	b.do(t,
		chromedp.SendKeys(chromedp.ID("login-user"), user),
		chromedp.SendKeys(chromedp.ID("login-pass"), user+"-pw"),
		chromedp.Click(chromedp.ID("login-submit")),
	)
	b.waitJS(t, "logged in as "+user, `!document.getElementById('whoami').hidden && document.getElementById('whoami-name').textContent === `+js(user))
}

func (b *browser) waitLive(t *testing.T) {
	t.Helper()
	b.waitJS(t, "the live connection", `document.getElementById('conn').dataset.state === 'live'`)
}

func score(prio float64, sev int, lang string) store.Score {
	return store.Score{Scorer: "t", Lang: lang, Scored: true, Complaint: prio, Severity: sev, Priority: prio,
		Reasons: []string{"reason for " + lang}}
}

func saveScore(t *testing.T, st *store.Store, key string, sc store.Score) {
	t.Helper()
	if err := st.SaveScores(map[string]store.Score{key: sc}); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserQueueIsLive: mentions ingested after the page loaded appear in
// the queue in priority order, a score moves a mention up, and the brand's
// reply takes it out, all without reloading. The order shown is the
// server's order for the same query.
func TestBrowserQueueIsLive(t *testing.T) {
	b := newBrowser(t)
	st := newTestStore(t)
	ts, _ := startDashboard(t, st)
	b.open(t, ts.URL, "#/queue")
	b.waitJS(t, "the empty queue note", `!document.getElementById('queue-empty').hidden`)
	b.do(t, chromedp.Evaluate[chromedp.Void](`window.__sameDocument = 1`))

	first := mention("q1", "Paket saya belum datang sudah 5 hari, kecewa bgt min")
	first.Author = store.Author{Handle: "rina_w", DisplayName: "Rina W."}
	ingest(t, st, first)
	b.waitJS(t, "the first mention", has("queue", first.Text))
	second := mention("q2", "Checkout error 502 again")
	ingest(t, st, second)
	b.waitJS(t, "the second mention", `(`+queueKeys+`).length === 2`)

	// Scored: the second becomes critical and goes to the top.
	saveScore(t, st, "rss:q1", score(0.4, 2, "id"))
	saveScore(t, st, "rss:q2", score(0.95, 4, "en"))
	b.waitJS(t, "the new order", `(`+queueKeys+`).join() === 'rss:q2,rss:q1'`)
	b.waitJS(t, "the critical item noticed", `document.body.dataset.lastCritical === 'rss:q2'`)
	if !evalJS[bool](t, b, `document.querySelector('#queue li[data-key="rss:q2"]').classList.contains('critical')`) {
		t.Error("the severity 4 item is not marked critical")
	}
	apiOrder := awaitJS[[]string](t, b, `fetch('api/queue').then(r => r.json()).then(d => d.mentions.map(m => m.key))`)
	if shown := evalJS[[]string](t, b, queueKeys); strings.Join(shown, ",") != strings.Join(apiOrder, ",") {
		t.Errorf("queue shows %v, the API orders %v", shown, apiOrder)
	}

	// The brand answers the first: it leaves the open queue.
	reply := mention("q3", "Halo kak Rina, mohon maaf. Boleh DM nomor pesanannya?")
	reply.ByBrand, reply.ReplyTo = true, "rss:q1"
	reply.CreatedAt = first.CreatedAt.Add(10 * time.Minute)
	ingest(t, st, reply)
	b.waitJS(t, "the answered mention to leave", `(`+queueKeys+`).join() === 'rss:q2'`)
	if !evalJS[bool](t, b, `window.__sameDocument === 1`) {
		t.Error("the page reloaded")
	}
	b.checkProblems(t, nil)
}
